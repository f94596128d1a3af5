/* Regressions between two runs (qcts/compare.h). */
#include "qcts/compare.h"

#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qcts/db_bench.h"
#include "qcts/stats.h"

static void seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static void col(sqlite3_stmt *st, int i, char *dst, size_t n)
{
    const char *s = (const char *)sqlite3_column_text(st, i);
    snprintf(dst, n, "%s", s ? s : "");
}

int qcts_run_brief_get(qcts_db *db, const char *uuid, qcts_run_brief *b, char *err, size_t errlen)
{
    memset(b, 0, sizeof *b);
    sqlite3 *h = qcts_db_sqlite(db);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(h, "SELECT r.uuid, r.kind, r.started_at, r.git_commit, coalesce(r.git_dirty, -1), "
                              "'#' || h.id || ' ' || coalesce(h.cpu_model, '?') FROM run r JOIN host h "
                              "ON h.id = r.host_id WHERE r.uuid = ?", -1, &st, NULL) != SQLITE_OK) {
        seterr(err, errlen, "%s", sqlite3_errmsg(h));
        return -1;
    }
    sqlite3_bind_text(st, 1, uuid, -1, SQLITE_TRANSIENT);
    int rc = -1;
    if (sqlite3_step(st) == SQLITE_ROW) {
        col(st, 0, b->uuid, sizeof b->uuid);
        col(st, 1, b->kind, sizeof b->kind);
        col(st, 2, b->started_at, sizeof b->started_at);
        col(st, 3, b->git_commit, sizeof b->git_commit);
        b->git_dirty = sqlite3_column_int(st, 4);
        col(st, 5, b->host, sizeof b->host);
        rc = 0;
    } else {
        seterr(err, errlen, "no run %s", uuid);
    }
    sqlite3_finalize(st);
    return rc;
}

/* The repetition medians of a measurement. */
static double *rep_stat_of(sqlite3 *h, sqlite3_int64 mid, double q, size_t *n)
{
    sqlite3_stmt *st;
    *n = 0;
    if (sqlite3_prepare_v2(h, "SELECT seconds, coalesce(rep, -1) FROM sample WHERE measurement_id = ? ORDER BY idx", -1,
                           &st, NULL) != SQLITE_OK)
        return NULL;
    sqlite3_bind_int64(st, 1, mid);
    size_t cap = 64, k = 0;
    double *v = malloc(cap * sizeof *v);
    int *r = malloc(cap * sizeof *r);
    while (v && r && sqlite3_step(st) == SQLITE_ROW) {
        if (k == cap) {
            cap *= 2;
            double *v2 = realloc(v, cap * sizeof *v2);
            int *r2 = realloc(r, cap * sizeof *r2);
            if (v2)
                v = v2;
            if (r2)
                r = r2;
            if (!v2 || !r2)
                break;
        }
        v[k] = sqlite3_column_double(st, 0);
        r[k++] = sqlite3_column_int(st, 1);
    }
    sqlite3_finalize(st);
    double *out = NULL;
    if (v && r)
        *n = qcts_rep_stat(v, r, k, q, &out);
    free(v);
    free(r);
    return out;
}

size_t qcts_rep_stat(const double *x, const int *rep, size_t n, double q, double **out)
{
    *out = NULL;
    if (n == 0)
        return 0;
    int maxr = -1;
    for (size_t i = 0; rep && i < n; i++)
        if (rep[i] > maxr)
            maxr = rep[i];
    if (maxr < 0) {
        double *m = malloc(sizeof *m);
        if (!m)
            return 0;
        m[0] = qcts_quantile(x, n, q);
        *out = m;
        return 1;
    }
    double *m = malloc((size_t)(maxr + 1) * sizeof *m), *tmp = malloc(n * sizeof *tmp);
    if (!m || !tmp) {
        free(m);
        free(tmp);
        return 0;
    }
    size_t k = 0;
    for (int r = 0; r <= maxr; r++) {
        size_t c = 0;
        for (size_t i = 0; i < n; i++)
            if (rep[i] == r)
                tmp[c++] = x[i];
        if (c)
            m[k++] = qcts_quantile(tmp, c, q);
    }
    free(tmp);
    *out = m;
    return k;
}

/* The noise floor stored for (candidate host, kernel); NaN when none. */
static double floor_of(sqlite3 *h, const char *cand_uuid, const char *stat, const qcts_cmp_timing *t)
{
    sqlite3_stmt *st;
    double v = NAN;
    if (sqlite3_prepare_v2(h, "SELECT f.floor FROM noise_floor f JOIN run r ON r.host_id = f.host_id AND r.uuid = ?1 "
                              "WHERE f.backend = ?2 AND f.op = ?3 AND f.scheme = ?4 AND f.shape_set = ?5 "
                              "AND f.shape = ?6 AND f.threads = ?7 AND f.cold = ?8 AND f.statistic = ?9", -1, &st, NULL)
        != SQLITE_OK)
        return v;
    sqlite3_bind_text(st, 1, cand_uuid, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, t->backend, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, t->op, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, t->scheme, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, t->shape_set, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 6, t->shape, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 7, t->threads);
    sqlite3_bind_int(st, 8, t->cold);
    sqlite3_bind_text(st, 9, stat, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* 2 / C(a + b, a): the smallest two-sided p of the exact U test. */
static double min_p(size_t a, size_t b)
{
    double c = 1;
    for (size_t i = 1; i <= a; i++)
        c = c * (double)(b + i) / (double)i;
    return 2.0 / c;
}

int qcts_compare_runs(qcts_db *db, const char *base_uuid, const char *cand_uuid, const qcts_cmp_opts *o,
                      qcts_comparison *out, char *err, size_t errlen)
{
    double threshold = o->threshold, alpha = o->alpha, q = o->use_min ? 0.0 : 0.5;
    int use_floor = o->use_floor;
    const char *stat = o->use_min ? "min" : "median";
    memset(out, 0, sizeof *out);
    out->threshold = threshold;
    out->alpha = alpha;
    if (qcts_run_brief_get(db, base_uuid, &out->base, err, errlen)
        || qcts_run_brief_get(db, cand_uuid, &out->cand, err, errlen))
        return -1;
    sqlite3 *h = qcts_db_sqlite(db);
    static const char tsql[] =
        "SELECT b.id, c.id, c.backend, c.op, c.scheme, c.shape_set, c.shape, c.m, c.n, c.k, c.threads, c.cold "
        "FROM measurement b JOIN run rb ON rb.id = b.run_id AND rb.uuid = ?1 "
        "JOIN measurement c ON c.backend = b.backend AND c.op = b.op AND c.scheme = b.scheme "
        "AND c.shape_set = b.shape_set AND c.shape = b.shape AND c.threads = b.threads AND c.cold = b.cold "
        "JOIN run rc ON rc.id = c.run_id AND rc.uuid = ?2 "
        "WHERE b.status = 'ok' AND c.status = 'ok' "
        "ORDER BY c.backend, c.op, c.scheme, c.shape_set, c.shape, c.threads, c.cold";
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(h, tsql, -1, &st, NULL) != SQLITE_OK) {
        seterr(err, errlen, "compare: %s", sqlite3_errmsg(h));
        return -1;
    }
    sqlite3_bind_text(st, 1, base_uuid, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, cand_uuid, -1, SQLITE_TRANSIENT);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->n_t == cap) {
            cap = cap ? 2 * cap : 32;
            qcts_cmp_timing *t = realloc(out->t, cap * sizeof *t);
            if (!t)
                break;
            out->t = t;
        }
        qcts_cmp_timing *t = &out->t[out->n_t];
        memset(t, 0, sizeof *t);
        col(st, 2, t->backend, sizeof t->backend);
        col(st, 3, t->op, sizeof t->op);
        col(st, 4, t->scheme, sizeof t->scheme);
        col(st, 5, t->shape_set, sizeof t->shape_set);
        col(st, 6, t->shape, sizeof t->shape);
        t->M = sqlite3_column_int64(st, 7);
        t->N = sqlite3_column_int64(st, 8);
        t->K = sqlite3_column_int64(st, 9);
        t->threads = sqlite3_column_int(st, 10);
        t->cold = sqlite3_column_int(st, 11);
        double *b = rep_stat_of(h, sqlite3_column_int64(st, 0), q, &t->n_base);
        double *c = rep_stat_of(h, sqlite3_column_int64(st, 1), q, &t->n_cand);
        t->base_median = qcts_median(b, t->n_base);
        t->cand_median = qcts_median(c, t->n_cand);
        t->ratio = t->cand_median / t->base_median;
        t->ci_lo = t->ci_hi = t->p = NAN;
        t->floor = use_floor ? floor_of(h, cand_uuid, stat, t) : NAN;
        if (!isnan(t->floor))
            out->floors++;
        t->limit = isnan(t->floor) || t->floor < threshold ? threshold : t->floor;
        if (t->n_base < QCTS_CMP_MIN_REPS || t->n_cand < QCTS_CMP_MIN_REPS) {
            t->verdict = QCTS_CMP_CANNOT;
            snprintf(t->why, sizeof t->why, "%zu and %zu repetitions: at least %d per side are needed", t->n_base,
                     t->n_cand, QCTS_CMP_MIN_REPS);
        } else if (min_p(t->n_base, t->n_cand) >= alpha) {
            t->verdict = QCTS_CMP_CANNOT;
            snprintf(t->why, sizeof t->why, "%zu and %zu repetitions cannot reach p < %g (best p %.3g)", t->n_base,
                     t->n_cand, alpha, min_p(t->n_base, t->n_cand));
        } else {
            qcts_bootstrap_ratio_ci(b, t->n_base, c, t->n_cand, 2000, 0.95, 0x5EEDull, &t->ci_lo, &t->ci_hi);
            qcts_mwu u;
            if (qcts_mann_whitney(b, t->n_base, c, t->n_cand, &u) == 0)
                t->p = u.p;
            int sig = t->p < alpha;
            t->verdict = sig && t->ratio > 1 + t->limit ? QCTS_CMP_REGRESSION
                         : sig && t->ratio < 1 / (1 + t->limit) ? QCTS_CMP_IMPROVEMENT : QCTS_CMP_SAME;
        }
        free(b);
        free(c);
        if (t->verdict == QCTS_CMP_REGRESSION)
            out->regressions++;
        else if (t->verdict == QCTS_CMP_IMPROVEMENT)
            out->improvements++;
        else if (t->verdict == QCTS_CMP_CANNOT)
            out->cannot++;
        else
            out->unchanged++;
        out->n_t++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        seterr(err, errlen, "compare: %s", rc == SQLITE_ROW ? "out of memory" : sqlite3_errmsg(h));
        qcts_comparison_free(out);
        return -1;
    }
    static const char usql[] =
        "SELECT count(*) FROM measurement x JOIN run r ON r.id = x.run_id WHERE x.status = 'ok' AND "
        "((r.uuid = ?1 AND NOT EXISTS (SELECT 1 FROM measurement y JOIN run s ON s.id = y.run_id AND s.uuid = ?2 "
        "  WHERE y.status = 'ok' AND y.backend = x.backend AND y.op = x.op AND y.scheme = x.scheme "
        "  AND y.shape_set = x.shape_set AND y.shape = x.shape AND y.threads = x.threads AND y.cold = x.cold)) "
        "OR (r.uuid = ?2 AND NOT EXISTS (SELECT 1 FROM measurement y JOIN run s ON s.id = y.run_id AND s.uuid = ?1 "
        "  WHERE y.status = 'ok' AND y.backend = x.backend AND y.op = x.op AND y.scheme = x.scheme "
        "  AND y.shape_set = x.shape_set AND y.shape = x.shape AND y.threads = x.threads AND y.cold = x.cold)))";
    if (sqlite3_prepare_v2(h, usql, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, base_uuid, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, cand_uuid, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) == SQLITE_ROW)
            out->unmatched = (size_t)sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    static const char csql[] =
        "SELECT c.backend, c.suite, c.case_id, c.op, coalesce(c.scheme, ''), b.verdict, c.verdict, "
        "coalesce(c.reason, '') FROM result b JOIN run rb ON rb.id = b.run_id AND rb.uuid = ?1 "
        "JOIN result c ON c.backend = b.backend AND c.suite = b.suite AND c.case_id = b.case_id "
        "JOIN run rc ON rc.id = c.run_id AND rc.uuid = ?2 "
        "WHERE (b.verdict IN ('PASS', 'MISTRUSTED') AND c.verdict IN ('FAIL', 'ERROR')) "
        "OR (b.verdict IN ('FAIL', 'ERROR') AND c.verdict IN ('PASS', 'MISTRUSTED')) "
        "ORDER BY c.backend, c.suite, c.case_id";
    if (sqlite3_prepare_v2(h, csql, -1, &st, NULL) != SQLITE_OK) {
        seterr(err, errlen, "compare: %s", sqlite3_errmsg(h));
        qcts_comparison_free(out);
        return -1;
    }
    sqlite3_bind_text(st, 1, base_uuid, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, cand_uuid, -1, SQLITE_TRANSIENT);
    cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->n_c == cap) {
            cap = cap ? 2 * cap : 32;
            qcts_cmp_case *c = realloc(out->c, cap * sizeof *c);
            if (!c)
                break;
            out->c = c;
        }
        qcts_cmp_case *c = &out->c[out->n_c++];
        col(st, 0, c->backend, sizeof c->backend);
        col(st, 1, c->suite, sizeof c->suite);
        col(st, 2, c->case_id, sizeof c->case_id);
        col(st, 3, c->op, sizeof c->op);
        col(st, 4, c->scheme, sizeof c->scheme);
        col(st, 5, c->base_verdict, sizeof c->base_verdict);
        col(st, 6, c->cand_verdict, sizeof c->cand_verdict);
        col(st, 7, c->reason, sizeof c->reason);
        c->regression = strcmp(c->cand_verdict, "FAIL") == 0 || strcmp(c->cand_verdict, "ERROR") == 0;
        if (c->regression)
            out->conf_regressions++;
        else
            out->conf_fixed++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        seterr(err, errlen, "compare: %s", rc == SQLITE_ROW ? "out of memory" : sqlite3_errmsg(h));
        qcts_comparison_free(out);
        return -1;
    }
    return 0;
}

void qcts_comparison_free(qcts_comparison *c)
{
    free(c->t);
    free(c->c);
    c->t = NULL;
    c->c = NULL;
    c->n_t = c->n_c = 0;
}
