/* The TAP version 13 report of qcts check (qcts/report.h). */
#include <stdio.h>
#include <string.h>

#include "qcts/report.h"

/* The description and directive text: one line, '#' and '\' escaped. */
static void tap_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '#' || *s == '\\')
            fputc('\\', f);
        fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
    }
}

typedef struct word {
    char s[24];
} word;

static word lower(const char *v)
{
    word w;
    size_t i = 0;
    for (; v[i] && i + 1 < sizeof w.s; i++)
        w.s[i] = (char)(v[i] >= 'A' && v[i] <= 'Z' ? v[i] - 'A' + 'a' : v[i]);
    w.s[i] = '\0';
    return w;
}

/* A YAML single-quoted scalar. */
static void yaml(FILE *f, const char *key, const char *s)
{
    fprintf(f, "  %s: '", key);
    for (; *s; s++) {
        if (*s == '\'')
            fputc('\'', f);
        fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
    }
    fputs("'\n", f);
}

void qcts_report_tap(FILE *f, const qcts_check_report *r)
{
    fprintf(f, "TAP version 13\n1..%zu\n", r->n_results);
    for (size_t i = 0; i < r->n_results; i++) {
        const qcts_result *res = &r->results[i];
        int bad = res->verdict == QCTS_V_FAIL || res->verdict == QCTS_V_ERROR;
        fprintf(f, "%s %zu - ", bad ? "not ok" : "ok", i + 1);
        tap_text(f, res->backend);
        fputc(' ', f);
        tap_text(f, res->suite);
        fputc('/', f);
        tap_text(f, res->case_id);
        if (res->verdict == QCTS_V_SKIP || res->verdict == QCTS_V_UNAVAILABLE || res->verdict == QCTS_V_MISTRUSTED) {
            /* "# SKIP reason"; the verdict is named only where it is not
             * SKIP itself ("# SKIP unavailable: ..."). */
            fputs(" # SKIP", f);
            if (res->verdict != QCTS_V_SKIP)
                fprintf(f, " %s%s", lower(qcts_verdict_name(res->verdict)).s, res->reason[0] ? ":" : "");
            if (res->reason[0]) {
                fputc(' ', f);
                tap_text(f, res->reason);
            }
        }
        fputc('\n', f);
        if (!bad)
            continue;
        fputs("  ---\n", f);
        yaml(f, "verdict", qcts_verdict_name(res->verdict));
        yaml(f, "message", res->reason);
        if (res->seed[0])
            yaml(f, "seed", res->seed);
        if (res->check[0])
            yaml(f, "check", res->check);
        if (strcmp(res->case_id, "-") != 0) {
            char cmd[1600];
            qcts_report_rerun(r, res, cmd, sizeof cmd);
            yaml(f, "rerun", cmd);
            qcts_report_standalone(res, cmd, sizeof cmd);
            yaml(f, "standalone", cmd);
        }
        fputs("  ...\n", f);
    }
    char sum[256];
    qcts_report_summary(r, sum, sizeof sum);
    fprintf(f, "# %s\n", sum);
}
