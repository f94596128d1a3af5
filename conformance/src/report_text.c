/* The terminal report of qcts check (qcts/report.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qcts/report.h"

typedef struct group {
    size_t backend;
    char key[160];                 /* op/scheme */
    size_t counts[QCTS_V_COUNT];
    const qcts_result *first[QCTS_V_COUNT];  /* first result of each verdict */
} group;

static size_t backend_index(const qcts_check_report *r, const char *spec)
{
    for (size_t b = 0; b < r->n_backends; b++)
        if (r->backends[b] == spec || strcmp(r->backends[b], spec) == 0)
            return b;
    return 0;
}

static int cmp_group(const void *a, const void *b)
{
    const group *x = a, *y = b;
    if (x->backend != y->backend)
        return x->backend < y->backend ? -1 : 1;
    return strcmp(x->key, y->key);
}

/* Groups of (backend, op/scheme), sorted by backend order then key. */
static group *make_groups(const qcts_check_report *r, size_t *ng)
{
    group *g = calloc(r->n_results ? r->n_results : 1, sizeof *g);
    size_t n = 0;
    for (size_t i = 0; g && i < r->n_results; i++) {
        const qcts_result *res = &r->results[i];
        char key[160];
        snprintf(key, sizeof key, "%s/%s", res->op, res->scheme[0] ? res->scheme : res->suite);
        size_t b = backend_index(r, res->backend), k;
        for (k = 0; k < n; k++)
            if (g[k].backend == b && strcmp(g[k].key, key) == 0)
                break;
        if (k == n) {
            g[n].backend = b;
            snprintf(g[n].key, sizeof g[n].key, "%s", key);
            n++;
        }
        g[k].counts[res->verdict]++;
        if (!g[k].first[res->verdict])
            g[k].first[res->verdict] = res;
    }
    if (g)
        qsort(g, n, sizeof *g, cmp_group);
    *ng = n;
    return g;
}

/* The single verdict and reason every result of backend b shares, or -1. */
static int uniform(const qcts_check_report *r, size_t b, const char **reason, size_t *count)
{
    int v = -1;
    *count = 0;
    *reason = NULL;
    for (size_t i = 0; i < r->n_results; i++) {
        const qcts_result *res = &r->results[i];
        if (backend_index(r, res->backend) != b)
            continue;
        if (v < 0) {
            v = (int)res->verdict;
            *reason = res->reason;
        } else if ((int)res->verdict != v || strcmp(res->reason, *reason) != 0) {
            return -1;
        }
        (*count)++;
    }
    return v == QCTS_V_PASS ? -1 : v;
}

static void print_table(FILE *f, char **cells, size_t rows, size_t cols)
{
    size_t *w = calloc(cols, sizeof *w);
    if (!w)
        return;
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++)
            if (cells[r * cols + c] && strlen(cells[r * cols + c]) > w[c])
                w[c] = strlen(cells[r * cols + c]);
    for (size_t r = 0; r < rows; r++) {
        size_t last = cols;
        while (last > 0 && !cells[r * cols + last - 1])
            last--;
        for (size_t c = 0; c < last; c++) {
            const char *s = cells[r * cols + c] ? cells[r * cols + c] : "";
            if (c + 1 == last)
                fprintf(f, "%s", s);
            else
                fprintf(f, "%-*s  ", (int)w[c], s);
        }
        fputc('\n', f);
    }
    free(w);
}

static char *dup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

static void matrix(FILE *f, const qcts_check_report *r, const group *g, size_t ng)
{
    enum { COLS = 8 };
    size_t cap = (ng + r->n_backends + 1) * COLS;
    char **cells = calloc(cap, sizeof *cells);
    if (!cells)
        return;
    static const char *const head[COLS] = { "backend", "op/scheme", "pass", "fail", "skip",
                                            "mistrusted", "unavailable", "errors" };
    static const qcts_verdict order[6] = { QCTS_V_PASS, QCTS_V_FAIL, QCTS_V_SKIP, QCTS_V_MISTRUSTED,
                                           QCTS_V_UNAVAILABLE, QCTS_V_ERROR };
    size_t rows = 0;
    for (size_t c = 0; c < COLS; c++)
        cells[c] = dup(head[c]);
    rows++;
    for (size_t b = 0; b < r->n_backends; b++) {
        const char *reason;
        size_t count;
        if (uniform(r, b, &reason, &count) >= 0)
            continue;                  /* one line below the table */
        for (size_t k = 0; k < ng; k++) {
            if (g[k].backend != b)
                continue;
            cells[rows * COLS] = dup(r->backends[b]);
            cells[rows * COLS + 1] = dup(g[k].key);
            for (int c = 0; c < 6; c++) {
                char num[32];
                snprintf(num, sizeof num, "%zu", g[k].counts[order[c]]);
                cells[rows * COLS + 2 + c] = dup(num);
            }
            rows++;
        }
    }
    if (rows > 1)
        print_table(f, cells, rows, COLS);
    for (size_t b = 0; b < r->n_backends; b++) {
        const char *reason;
        size_t count;
        int v = uniform(r, b, &reason, &count);
        if (v >= 0)
            fprintf(f, "%s: %s%zu case%s %s: %s\n", r->backends[b], count == 1 ? "" : "all ", count,
                    count == 1 ? "" : "s", qcts_verdict_name((qcts_verdict)v), reason[0] ? reason : "(no reason)");
    }
    for (size_t i = 0; i < rows * COLS; i++)
        free(cells[i]);
    free(cells);
}

static void failures(FILE *f, const qcts_check_report *r)
{
    size_t n = r->counts[QCTS_V_FAIL] + r->counts[QCTS_V_ERROR];
    if (!n)
        return;
    fprintf(f, "\nfailures and errors (%zu):\n", n);
    for (size_t i = 0; i < r->n_results; i++) {
        const qcts_result *res = &r->results[i];
        if (res->verdict != QCTS_V_FAIL && res->verdict != QCTS_V_ERROR)
            continue;
        fprintf(f, "%s %s %s/%s", qcts_verdict_name(res->verdict), res->backend, res->suite, res->case_id);
        if (res->seed[0])
            fprintf(f, " (seed %s)", res->seed);
        if (res->variant[0])
            fprintf(f, " [%s]", res->variant);
        fprintf(f, ": %s\n", res->reason);
        if (!res->file || strcmp(res->case_id, "-") == 0)
            continue;
        char cmd[1600];
        qcts_report_rerun(r, res, cmd, sizeof cmd);
        fprintf(f, "  rerun:      %s\n", cmd);
        qcts_report_standalone(res, cmd, sizeof cmd);
        fprintf(f, "  standalone: %s\n", cmd);
    }
}

/* The shape of a reason: digits and the case's suite/id do not count, so
 * "expected output is 96% zeros (983 of 1024 elements)" groups with its
 * siblings. */
static void reason_shape(const char *reason, char *out, size_t n)
{
    size_t k = 0;
    for (const char *p = reason; *p && k + 1 < n; p++) {
        if (*p >= '0' && *p <= '9') {
            if (k == 0 || out[k - 1] != '#')
                out[k++] = '#';
        } else {
            out[k++] = *p;
        }
    }
    out[k] = '\0';
}

typedef struct note {
    size_t backend;
    qcts_verdict v;
    char shape[256];
    size_t count;
    const qcts_result *first;
} note;

/* SKIP, MISTRUSTED, UNAVAILABLE grouped by backend, verdict and the shape
 * of the reason: count, first case, its reason. */
static void notes(FILE *f, const qcts_check_report *r)
{
    note *nt = calloc(r->n_results ? r->n_results : 1, sizeof *nt);
    size_t nn = 0;
    for (size_t i = 0; nt && i < r->n_results; i++) {
        const qcts_result *res = &r->results[i];
        if (res->verdict != QCTS_V_SKIP && res->verdict != QCTS_V_MISTRUSTED && res->verdict != QCTS_V_UNAVAILABLE)
            continue;
        size_t b = backend_index(r, res->backend);
        const char *reason;
        size_t count;
        if (uniform(r, b, &reason, &count) >= 0)
            continue;                  /* said under the matrix */
        char shape[256];
        reason_shape(res->reason, shape, sizeof shape);
        size_t k;
        for (k = 0; k < nn; k++)
            if (nt[k].backend == b && nt[k].v == res->verdict && strcmp(nt[k].shape, shape) == 0)
                break;
        if (k == nn) {
            nt[nn].backend = b;
            nt[nn].v = res->verdict;
            snprintf(nt[nn].shape, sizeof nt[nn].shape, "%s", shape);
            nt[nn].first = res;
            nn++;
        }
        nt[k].count++;
    }
    if (nn)
        fprintf(f, "\nskipped, mistrusted, unavailable (count, first case: its reason):\n");
    static const qcts_verdict order[3] = { QCTS_V_SKIP, QCTS_V_MISTRUSTED, QCTS_V_UNAVAILABLE };
    for (size_t b = 0; b < r->n_backends; b++)
        for (int v = 0; v < 3; v++)
            for (size_t k = 0; k < nn; k++)
                if (nt[k].backend == b && nt[k].v == order[v])
                    fprintf(f, "%-11s %s: %zu, e.g. %s/%s: %s\n", qcts_verdict_name(nt[k].v), r->backends[b],
                            nt[k].count, nt[k].first->suite, nt[k].first->case_id, nt[k].first->reason);
    free(nt);
}

/* --identify: per backend and suite, the conventions every tried case
 * matched (the intersection), with the number of cases. */
static void identified(FILE *f, const qcts_check_report *r)
{
    int header = 0;
    for (size_t b = 0; b < r->n_backends; b++) {
        size_t i = 0;
        while (i < r->n_results) {
            const qcts_result *res = &r->results[i];
            if (!res->identify_tried || backend_index(r, res->backend) != b) {
                i++;
                continue;
            }
            /* Every tried result of this suite and backend. */
            char common[160];
            snprintf(common, sizeof common, "%s", res->identified);
            size_t tried = 0;
            size_t j = i;
            for (; j < r->n_results && strcmp(r->results[j].suite, res->suite) == 0; j++) {
                const qcts_result *x = &r->results[j];
                if (!x->identify_tried || backend_index(r, x->backend) != b)
                    continue;
                tried++;
                /* Keep the words of common that x also has. */
                char keep[160] = "", word[64];
                size_t kl = 0;
                for (const char *p = common; *p;) {
                    size_t wl = strcspn(p, " ");
                    snprintf(word, sizeof word, "%.*s", (int)wl, p);
                    char padded[200], needle[80];
                    snprintf(padded, sizeof padded, " %s ", x->identified);
                    snprintf(needle, sizeof needle, " %s ", word);
                    if (wl && strstr(padded, needle) && kl + wl + 2 < sizeof keep)
                        kl += (size_t)snprintf(keep + kl, sizeof keep - kl, "%s%s", kl ? " " : "", word);
                    p += wl;
                    while (*p == ' ')
                        p++;
                }
                snprintf(common, sizeof common, "%s", keep);
            }
            if (!header) {
                fprintf(f, "\nconventions identified (--identify; matched exactly by every case of the suite):\n");
                header = 1;
            }
            fprintf(f, "%s %s: %s (%zu cases)\n", r->backends[b], res->suite, common[0] ? common : "none",
                    tried);
            i = j;
        }
    }
}

void qcts_report_text(FILE *f, const qcts_check_report *r)
{
    fprintf(f, "qcts check: %zu backend%s x %zu case%s from %zu file%s in %s", r->n_backends,
            r->n_backends == 1 ? "" : "s", r->n_cases, r->n_cases == 1 ? "" : "s", r->n_files,
            r->n_files == 1 ? "" : "s", r->vectors);
    if (r->vector_set_sha256[0])
        fprintf(f, " (%svector set %.12s)", r->vector_set_official ? "" : "unofficial ", r->vector_set_sha256);
    fprintf(f, ", %d thread%s\n\n", r->jobs, r->jobs == 1 ? "" : "s");
    size_t ng = 0;
    group *g = make_groups(r, &ng);
    if (r->n_results)
        matrix(f, r, g, ng);
    else
        fprintf(f, "no case matched\n");
    failures(f, r);
    notes(f, r);
    identified(f, r);
    free(g);
    char sum[256];
    qcts_report_summary(r, sum, sizeof sum);
    fprintf(f, "\nchecked %zu results in %.2f s\n%s\n", r->n_results, r->seconds, sum);
}
