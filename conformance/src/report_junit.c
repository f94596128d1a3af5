/* The JUnit XML report of qcts check (qcts/report.h). The element and
 * attribute set is the one Jenkins, GitLab and pytest share: testsuites >
 * testsuite > testcase with failure, error or skipped. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qcts/report.h"

typedef struct out {
    char *p;
    size_t len, cap;
    int oom;
} out;

static void put(out *o, const char *s)
{
    size_t n = strlen(s);
    if (o->oom)
        return;
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 4096;
        while (cap < o->len + n + 1)
            cap *= 2;
        char *q = realloc(o->p, cap);
        if (!q) {
            o->oom = 1;
            return;
        }
        o->p = q;
        o->cap = cap;
    }
    memcpy(o->p + o->len, s, n + 1);
    o->len += n;
}

__attribute__((format(printf, 2, 3)))
static void putf(out *o, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    put(o, buf);
}

/* Escaped s (attribute or content). */
static void esc(out *o, const char *s, int attr)
{
    char *e = qcts_xml_escape(s, attr);
    if (!e) {
        o->oom = 1;
        return;
    }
    put(o, e);
    free(e);
}

static double secs(double v)
{
    return isnan(v) || v < 0 ? 0.0 : v;
}

static void testcase(out *o, const qcts_check_report *r, const qcts_result *res)
{
    put(o, "    <testcase classname=\"");
    esc(o, res->suite, 1);
    put(o, "\" name=\"");
    esc(o, res->case_id, 1);
    putf(o, "\" time=\"%.6f\"", secs(res->duration_s));
    if (res->verdict == QCTS_V_PASS) {
        put(o, "/>\n");
        return;
    }
    put(o, ">\n");
    const char *v = qcts_verdict_name(res->verdict);
    if (res->verdict == QCTS_V_FAIL || res->verdict == QCTS_V_ERROR) {
        const char *tag = res->verdict == QCTS_V_FAIL ? "failure" : "error";
        putf(o, "      <%s type=\"%s\" message=\"", tag, v);
        esc(o, res->reason, 1);
        put(o, "\">");
        char text[4096], rerun[1600], alone[1600];
        rerun[0] = alone[0] = '\0';
        if (strcmp(res->case_id, "-") != 0) {
            qcts_report_rerun(r, res, rerun, sizeof rerun);
            qcts_report_standalone(res, alone, sizeof alone);
        }
        snprintf(text, sizeof text, "%s %s %s/%s\nseed: %s\nvariant: %s\ncheck: %s\nreason: %s\nrerun: %s\n"
                 "standalone: %s\n", v, res->backend, res->suite, res->case_id, res->seed, res->variant,
                 res->check, res->reason, rerun, alone);
        esc(o, text, 0);
        putf(o, "</%s>\n", tag);
    } else {
        /* The reason alone for SKIP; the other verdicts JUnit counts as
         * skipped say which they are. */
        put(o, "      <skipped message=\"");
        if (res->verdict != QCTS_V_SKIP) {
            esc(o, v, 1);
            if (res->reason[0])
                put(o, ": ");
        }
        esc(o, res->reason, 1);
        put(o, "\"/>\n");
    }
    put(o, "    </testcase>\n");
}

char *qcts_report_junit(const qcts_check_report *r)
{
    out o = { 0 };
    size_t tot[QCTS_V_COUNT] = { 0 };
    double tot_time = 0;
    for (size_t i = 0; i < r->n_results; i++)
        tot_time += secs(r->results[i].duration_s);
    for (int v = 0; v < QCTS_V_COUNT; v++)
        tot[v] = r->counts[v];
    put(&o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    putf(&o, "<testsuites name=\"qcts check\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" "
         "time=\"%.6f\">\n", r->n_results, tot[QCTS_V_FAIL], tot[QCTS_V_ERROR],
         tot[QCTS_V_SKIP] + tot[QCTS_V_UNAVAILABLE] + tot[QCTS_V_MISTRUSTED], r->seconds);
    for (size_t b = 0; b < r->n_backends; b++) {
        size_t c[QCTS_V_COUNT] = { 0 }, n = 0;
        double t = 0;
        for (size_t i = 0; i < r->n_results; i++) {
            const qcts_result *res = &r->results[i];
            if (strcmp(res->backend, r->backends[b]) != 0)
                continue;
            c[res->verdict]++;
            n++;
            t += secs(res->duration_s);
        }
        put(&o, "  <testsuite name=\"");
        esc(&o, r->backends[b], 1);
        putf(&o, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.6f\">\n", n,
             c[QCTS_V_FAIL], c[QCTS_V_ERROR], c[QCTS_V_SKIP] + c[QCTS_V_UNAVAILABLE] + c[QCTS_V_MISTRUSTED], t);
        for (size_t i = 0; i < r->n_results; i++)
            if (strcmp(r->results[i].backend, r->backends[b]) == 0)
                testcase(&o, r, &r->results[i]);
        put(&o, "  </testsuite>\n");
    }
    put(&o, "</testsuites>\n");
    if (o.oom) {
        free(o.p);
        return NULL;
    }
    return o.p;
}
