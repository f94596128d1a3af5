/* STATUS.md and status.html from the database (qcts/reports.h). */
#include "qcts/reports.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qcts/compare.h"
#include "qcts/db_bench.h"
#include "reports/src/doc.h"
#include "reports/src/svg.h"

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

typedef struct ctx {
    qcts_db *db;
    sqlite3 *h;
    const qcts_report_opts *o;
    doc d;
    char bench[37], check[37], bench_base[37], check_base[37];
    int failed;
    char err[512];
} ctx;

static sqlite3_stmt *prep(ctx *c, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(c->h, sql, -1, &st, NULL) != SQLITE_OK) {
        if (!c->failed)
            snprintf(c->err, sizeof c->err, "%s", sqlite3_errmsg(c->h));
        c->failed = 1;
        return NULL;
    }
    return st;
}

static const char *txt(sqlite3_stmt *st, int i)
{
    const char *s = (const char *)sqlite3_column_text(st, i);
    return s ? s : "";
}

/* A number column with fmt, "-" when NULL. */
static const char *num(char *buf, size_t n, sqlite3_stmt *st, int i, const char *fmt, double scale)
{
    if (sqlite3_column_type(st, i) == SQLITE_NULL)
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, fmt, sqlite3_column_double(st, i) * scale);
    return buf;
}

/* The run of `kind` just before run uuid (by started_at, id); "" if none. */
static void previous_run(ctx *c, const char *kind, const char *uuid, char out[37])
{
    out[0] = '\0';
    sqlite3_stmt *st = prep(c, "SELECT p.uuid FROM run p, run r WHERE r.uuid = ?1 AND p.kind = ?2 AND "
                               "(p.started_at < r.started_at OR (p.started_at = r.started_at AND p.id < r.id)) "
                               "ORDER BY p.started_at DESC, p.id DESC LIMIT 1");
    if (!st)
        return;
    sqlite3_bind_text(st, 1, uuid, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW)
        snprintf(out, 37, "%s", txt(st, 0));
    sqlite3_finalize(st);
}

static void run_line(ctx *c, const char *what, const char *uuid)
{
    qcts_run_brief b;
    char e[256];
    if (!uuid[0]) {
        doc_add(&c->d, B_P, "%s: none in the database.", what);
        return;
    }
    if (qcts_run_brief_get(c->db, uuid, &b, e, sizeof e) == 0)
        doc_add(&c->d, B_P, "%s: `%s` (%s, started %s, commit `%.12s%s`, host %s)", what, b.uuid, b.kind,
                b.started_at, b.git_commit[0] ? b.git_commit : "-", b.git_dirty == 1 ? "+" : "", b.host);
}

/* ---- sections ------------------------------------------------------------------------ */

static void sec_runs(ctx *c)
{
    doc_add(&c->d, B_H2, "Runs, hosts and vector sets covered");
    run_line(c, "Check run (conformance, accuracy)", c->check);
    run_line(c, "Bench run (throughput)", c->bench);
    run_line(c, "Check baseline", c->check_base);
    run_line(c, "Bench baseline", c->bench_base);
    sqlite3_stmt *st = prep(c, "SELECT r.uuid, r.kind, r.started_at, coalesce(substr(r.git_commit, 1, 12), '-') || "
                               "CASE r.git_dirty WHEN 1 THEN '+' ELSE '' END, '#' || r.host_id, "
                               "coalesce(r.vector_set_sha256, '-'), "
                               "(SELECT count(*) FROM result x WHERE x.run_id = r.id), "
                               "(SELECT count(*) FROM measurement x WHERE x.run_id = r.id) "
                               "FROM run r ORDER BY r.started_at DESC, r.id DESC LIMIT 20");
    if (!st)
        return;
    tbl *t = tbl_new(8, "llllllrr", "run", "kind", "started (UTC)", "commit", "host", "vector set SHA-256",
                     "results", "measurements");
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *row[8];
        for (int i = 0; i < 8; i++)
            row[i] = txt(st, i);
        tbl_add(t, row);
    }
    sqlite3_finalize(st);
    doc_add(&c->d, B_P, "The newest runs of the database (at most 20):");
    doc_table(&c->d, t);
}

static const char *cell_of(long pass, long fail, long skip, long unav, long mis, char *buf, size_t n)
{
    long total = pass + fail + skip + unav + mis;
    if (fail)
        snprintf(buf, n, "FAIL %ld/%ld", fail, total);
    else if (pass)
        snprintf(buf, n, "pass %ld%s", pass, skip ? " (some skipped)" : "");
    else if (mis)
        snprintf(buf, n, "mistrusted");
    else if (skip)
        snprintf(buf, n, "skip");
    else if (unav)
        snprintf(buf, n, "unavailable");
    else
        snprintf(buf, n, "-");
    if (mis && !fail && pass) {
        size_t l = strlen(buf);
        snprintf(buf + l, n - l, " (%ld mistrusted)", mis);
    }
    return buf;
}

static void sec_conformance(ctx *c)
{
    doc_add(&c->d, B_H2, "Conformance matrix");
    if (!c->check[0]) {
        doc_add(&c->d, B_P, "No check run is stored (run `qcts check`).");
        return;
    }
    /* backends in order of first appearance */
    char backends[16][256];
    int nb = 0;
    sqlite3_stmt *st = prep(c, "SELECT x.backend FROM result x JOIN run r ON r.id = x.run_id AND r.uuid = ? "
                               "GROUP BY x.backend ORDER BY min(x.id)");
    if (!st)
        return;
    sqlite3_bind_text(st, 1, c->check, -1, SQLITE_TRANSIENT);
    while (sqlite3_step(st) == SQLITE_ROW && nb < 16)
        snprintf(backends[nb++], sizeof backends[0], "%s", txt(st, 0));
    sqlite3_finalize(st);
    st = prep(c, "SELECT x.op || '/' || coalesce(x.scheme, '-'), x.backend, sum(x.verdict = 'PASS'), "
                 "sum(x.verdict IN ('FAIL', 'ERROR')), sum(x.verdict = 'SKIP'), sum(x.verdict = 'UNAVAILABLE'), "
                 "sum(x.verdict = 'MISTRUSTED') FROM result x JOIN run r ON r.id = x.run_id AND r.uuid = ? "
                 "GROUP BY 1, 2 ORDER BY 1");
    if (!st)
        return;
    sqlite3_bind_text(st, 1, c->check, -1, SQLITE_TRANSIENT);
    const char *head[17] = { "op/scheme" };
    for (int i = 0; i < nb; i++)
        head[i + 1] = backends[i];
    tbl *t = tbl_new(nb + 1, NULL, head[0], head[1], head[2], head[3], head[4], head[5], head[6], head[7], head[8],
                     head[9], head[10], head[11], head[12], head[13], head[14], head[15], head[16]);
    char key[160] = "", cells[17][96];
    const char *row[17];
    int have = 0;
    long tot[5] = { 0 };
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (!have || strcmp(key, txt(st, 0)) != 0) {
            if (have)
                tbl_add(t, row);
            snprintf(key, sizeof key, "%s", txt(st, 0));
            snprintf(cells[0], sizeof cells[0], "%s", key);
            row[0] = cells[0];
            for (int i = 0; i < nb; i++) {
                snprintf(cells[i + 1], sizeof cells[0], "-");
                row[i + 1] = cells[i + 1];
            }
            have = 1;
        }
        for (int i = 0; i < nb; i++)
            if (strcmp(backends[i], txt(st, 1)) == 0)
                cell_of(sqlite3_column_int(st, 2), sqlite3_column_int(st, 3), sqlite3_column_int(st, 4),
                        sqlite3_column_int(st, 5), sqlite3_column_int(st, 6), cells[i + 1], sizeof cells[0]);
        tot[0] += sqlite3_column_int(st, 2);
        tot[4] += sqlite3_column_int(st, 6);
        tot[1] += sqlite3_column_int(st, 3);
        tot[2] += sqlite3_column_int(st, 4);
        tot[3] += sqlite3_column_int(st, 5);
    }
    if (have)
        tbl_add(t, row);
    sqlite3_finalize(st);
    doc_add(&c->d, B_P, "Backend x op/scheme in the check run: passed %ld, failed or errored %ld, skipped %ld, "
                        "unavailable %ld, mistrusted %ld (cases; MISTRUSTED is never counted as passed).", tot[0], tot[1], tot[2], tot[3], tot[4]);
    doc_table(&c->d, t);

    doc_add(&c->d, B_H3, "Failures");
    st = prep(c, "SELECT x.backend, x.suite || '/' || x.case_id, x.verdict, coalesce(x.seed, ''), "
                 "coalesce(x.reason, '') FROM result x JOIN run r ON r.id = x.run_id AND r.uuid = ? "
                 "WHERE x.verdict IN ('FAIL', 'ERROR') ORDER BY x.backend, x.suite, x.case_id LIMIT 200");
    if (!st)
        return;
    sqlite3_bind_text(st, 1, c->check, -1, SQLITE_TRANSIENT);
    t = tbl_new(5, NULL, "backend", "case", "verdict", "seed", "reason");
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *row5[5] = { txt(st, 0), txt(st, 1), txt(st, 2), txt(st, 3), txt(st, 4) };
        tbl_add(t, row5);
    }
    sqlite3_finalize(st);
    if (t->nrows > 1) {
        doc_table(&c->d, t);
    } else {
        tbl_free(t);
        doc_add(&c->d, B_P, "None.");
    }
    doc_add(&c->d, B_H3, "Skipped and unavailable");
    st = prep(c, "SELECT x.backend, x.verdict, coalesce(x.reason, ''), count(*) FROM result x JOIN run r "
                 "ON r.id = x.run_id AND r.uuid = ? WHERE x.verdict IN ('SKIP', 'UNAVAILABLE') "
                 "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 LIMIT 100");
    if (!st)
        return;
    sqlite3_bind_text(st, 1, c->check, -1, SQLITE_TRANSIENT);
    t = tbl_new(4, "lllr", "backend", "verdict", "reason", "cases");
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *row4[4] = { txt(st, 0), txt(st, 1), txt(st, 2), txt(st, 3) };
        tbl_add(t, row4);
    }
    sqlite3_finalize(st);
    if (t->nrows > 1) {
        doc_table(&c->d, t);
    } else {
        tbl_free(t);
        doc_add(&c->d, B_P, "None.");
    }
}

static void sec_accuracy(ctx *c)
{
    doc_add(&c->d, B_H2, "Accuracy");
    if (!c->check[0]) {
        doc_add(&c->d, B_P, "No check run is stored.");
        return;
    }
    doc_add(&c->d, B_P, "Kernel error against the reference on the golden cases of the check run (float "
                        "outputs): worst MSE, lowest cosine, worst KL (softmax of each output row) and largest "
                        "ULP distance over the cases of each backend, op and scheme.");
    sqlite3_stmt *st = prep(c, "SELECT x.backend, x.op, coalesce(x.scheme, '-'), count(*), max(x.mse), min(x.cosine), "
                               "max(x.kl), max(x.max_ulp) FROM result x JOIN run r ON r.id = x.run_id AND r.uuid = ? "
                               "WHERE x.mse IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 2, 3, 1");
    if (!st)
        return;
    sqlite3_bind_text(st, 1, c->check, -1, SQLITE_TRANSIENT);
    tbl *t = tbl_new(8, "lllrrrrr", "backend", "op", "scheme", "cases", "max MSE", "min cosine", "max KL", "max ULP");
    while (sqlite3_step(st) == SQLITE_ROW) {
        char b[5][32];
        const char *row[8] = { txt(st, 0), txt(st, 1), txt(st, 2), txt(st, 3),
                               num(b[0], 32, st, 4, "%.3e", 1), num(b[1], 32, st, 5, "%.9f", 1),
                               num(b[2], 32, st, 6, "%.3e", 1), num(b[3], 32, st, 7, "%.0f", 1) };
        tbl_add(t, row);
    }
    sqlite3_finalize(st);
    if (t->nrows > 1) {
        doc_table(&c->d, t);
    } else {
        tbl_free(t);
        doc_add(&c->d, B_P, "No case with float metrics in the check run.");
    }
}

static void sec_quality(ctx *c)
{
    doc_add(&c->d, B_H2, "Quantization quality");
    sqlite3_stmt *st = prep(c, "SELECT q.scheme, coalesce(q.dist, '-'), q.rows || 'x' || q.cols, q.bits_per_weight, "
                               "q.mse, q.nmse, q.snr_db, q.cosine, q.kl, coalesce(q.note, ''), q.batch_uuid "
                               "FROM quality q WHERE q.batch_uuid = (SELECT batch_uuid FROM quality "
                               "ORDER BY recorded_at DESC, id DESC LIMIT 1) ORDER BY q.id");
    if (!st)
        return;
    tbl *t = tbl_new(10, "lllrrrrrrl", "scheme", "weights", "shape", "bits/w", "MSE", "NMSE", "SNR dB", "cosine",
                     "KL", "note");
    char batch[40] = "";
    while (sqlite3_step(st) == SQLITE_ROW) {
        char b[6][32];
        const char *row[10] = { txt(st, 0), txt(st, 1), txt(st, 2), num(b[0], 32, st, 3, "%.4f", 1),
                                num(b[1], 32, st, 4, "%.3e", 1), num(b[2], 32, st, 5, "%.3e", 1),
                                num(b[3], 32, st, 6, "%.2f", 1), num(b[4], 32, st, 7, "%.6f", 1),
                                num(b[5], 32, st, 8, "%.3e", 1), txt(st, 9) };
        snprintf(batch, sizeof batch, "%s", txt(st, 10));
        tbl_add(t, row);
    }
    sqlite3_finalize(st);
    if (t->nrows > 1) {
        doc_add(&c->d, B_P, "Format error of each scheme on reference weights (the newest batch stored by `qcts "
                            "quality --db`, batch `%s`): quantized and dequantized with the reference code.", batch);
        doc_table(&c->d, t);
    } else {
        tbl_free(t);
        doc_add(&c->d, B_P, "No quality results stored (`qcts quality --db FILE` stores them).");
    }
}

static void sec_throughput(ctx *c)
{
    doc_add(&c->d, B_H2, "Throughput");
    if (!c->bench[0]) {
        doc_add(&c->d, B_P, "No bench run is stored (run `qcts bench`).");
        return;
    }
    /* roofline */
    sqlite3_stmt *st = prep(c, "SELECT f.metric, f.isa, f.threads, f.value, coalesce(f.unit, '') FROM roofline f "
                               "JOIN run r ON r.id = f.run_id AND r.uuid = ? ORDER BY f.metric, f.isa, f.threads");
    if (!st)
        return;
    sqlite3_bind_text(st, 1, c->bench, -1, SQLITE_TRANSIENT);
    tbl *t = tbl_new(4, "llrr", "ceiling", "ISA / counter", "threads", "value");
    while (sqlite3_step(st) == SQLITE_ROW) {
        char v[64], th[16];
        double x = sqlite3_column_double(st, 3);
        const char *m = txt(st, 0);
        if (strcmp(m, "llc") == 0)
            snprintf(v, sizeof v, "%.1f MiB", x / 1048576.0);
        else if (strcmp(m, "counter") == 0)
            snprintf(v, sizeof v, "%.3f GHz", x * 1e-9);
        else
            snprintf(v, sizeof v, "%.2f %s", x, txt(st, 4));
        snprintf(th, sizeof th, "%s", txt(st, 2));
        const char *row[4] = { strcmp(m, "read") == 0 ? "streaming read" : strcmp(m, "copy") == 0 ? "copy"
                               : strcmp(m, "fma") == 0 ? "FMA peak" : strcmp(m, "llc") == 0 ? "last-level cache"
                               : "cycle counter", txt(st, 1), th, v };
        tbl_add(t, row);
    }
    sqlite3_finalize(st);
    doc_add(&c->d, B_H3, "Host roofline (probed in the bench run)");
    doc_table(&c->d, t);

    doc_add(&c->d, B_H3, "Kernels");
    doc_add(&c->d, B_P, "Median of the samples of each kernel; GB/s counts weights (codes + scales + zeros), "
                        "activations and outputs; GFLOP/s is 2 M N K; %% of roofline is GB/s over the read "
                        "bandwidth for dequant and GEMV (M = 1) and GFLOP/s over the FMA peak for GEMM; speed-up "
                        "is over the ref backend on the same shape (where ref was timed).");
    st = prep(c, "SELECT m.backend, m.op, m.scheme, m.shape_set || '/' || m.shape, m.m || 'x' || m.n || 'x' || m.k, "
                 "m.threads, m.median_s, m.gbs, m.gflops, m.roof_fraction, "
                 "coalesce((SELECT f.median_s FROM measurement f WHERE f.run_id = m.run_id AND f.backend = 'ref' "
                 " AND f.op = m.op AND f.scheme = m.scheme AND f.shape_set = m.shape_set AND f.shape = m.shape "
                 " AND f.cold = m.cold AND f.status = 'ok' AND f.threads = m.threads), "
                 " (SELECT min(f.median_s) FROM measurement f WHERE f.run_id = m.run_id AND f.backend = 'ref' "
                 " AND f.op = m.op AND f.scheme = m.scheme AND f.shape_set = m.shape_set AND f.shape = m.shape "
                 " AND f.cold = m.cold AND f.status = 'ok')) / m.median_s, "
                 "m.cycles_per_weight, coalesce(m.variant, '') FROM measurement m JOIN run r ON r.id = m.run_id "
                 "AND r.uuid = ? WHERE m.status = 'ok' ORDER BY m.shape_set, m.op, m.scheme, m.shape, m.backend, "
                 "m.threads");
    if (!st)
        return;
    sqlite3_bind_text(st, 1, c->bench, -1, SQLITE_TRANSIENT);
    t = tbl_new(12, "llllllrrrrrr", "backend", "op", "scheme", "shape", "MxNxK", "threads", "median us", "GB/s",
                "GFLOP/s", "% of roofline", "speed-up over ref", "cycles/weight");
    while (sqlite3_step(st) == SQLITE_ROW) {
        char b[7][32];
        const char *row[12] = { txt(st, 0), txt(st, 1), txt(st, 2), txt(st, 3), txt(st, 4), txt(st, 5),
                                num(b[0], 32, st, 6, "%.2f", 1e6), num(b[1], 32, st, 7, "%.2f", 1),
                                num(b[2], 32, st, 8, "%.2f", 1), num(b[3], 32, st, 9, "%.1f", 100),
                                num(b[4], 32, st, 10, "%.1fx", 1), num(b[5], 32, st, 11, "%.3f", 1) };
        tbl_add(t, row);
    }
    sqlite3_finalize(st);
    doc_table(&c->d, t);
    svg_throughput_bars(&c->d, c->h, c->bench);

    st = prep(c, "SELECT m.backend, m.op, m.scheme, m.shape_set || '/' || m.shape, m.status, coalesce(m.reason, '') "
                 "FROM measurement m JOIN run r ON r.id = m.run_id AND r.uuid = ? WHERE m.status <> 'ok' "
                 "ORDER BY m.status, m.backend, m.op, m.scheme, m.shape LIMIT 200");
    if (!st)
        return;
    sqlite3_bind_text(st, 1, c->bench, -1, SQLITE_TRANSIENT);
    t = tbl_new(6, NULL, "backend", "op", "scheme", "shape", "status", "reason");
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *row[6] = { txt(st, 0), txt(st, 1), txt(st, 2), txt(st, 3), txt(st, 4), txt(st, 5) };
        tbl_add(t, row);
    }
    sqlite3_finalize(st);
    doc_add(&c->d, B_H3, "Not timed");
    if (t->nrows > 1) {
        doc_add(&c->d, B_P, "refused = wrong result on the pre-check against ref (never timed).");
        doc_table(&c->d, t);
    } else {
        tbl_free(t);
        doc_add(&c->d, B_P, "None.");
    }

    doc_add(&c->d, B_H3, "Projected decode tokens/s");
    st = prep(c, "SELECT m.shape_set, m.backend, m.scheme, m.threads, sum(m.median_s * m.per_token), "
                 "sum(m.status <> 'ok') + (count(*) < max(coalesce(m.set_decode_shapes, 0))), count(*) FROM measurement m JOIN run r ON r.id = m.run_id AND r.uuid = ? "
                 "WHERE m.phase = 'decode' AND m.per_token > 0 GROUP BY 1, 2, 3, 4 ORDER BY 1, 3, 2, 4");
    if (!st)
        return;
    sqlite3_bind_text(st, 1, c->bench, -1, SQLITE_TRANSIENT);
    t = tbl_new(6, "llllrr", "shape set", "backend", "scheme", "threads", "decode shapes", "tokens/s");
    while (sqlite3_step(st) == SQLITE_ROW) {
        char v[32], n[16];
        double s = sqlite3_column_double(st, 4);
        if (sqlite3_column_int(st, 5) > 0 || !(s > 0))
            snprintf(v, sizeof v, "- (not all shapes timed)");
        else
            snprintf(v, sizeof v, "%.2f", 1.0 / s);
        snprintf(n, sizeof n, "%d", sqlite3_column_int(st, 6));
        const char *row[6] = { txt(st, 0), txt(st, 1), txt(st, 2), txt(st, 3), n, v };
        tbl_add(t, row);
    }
    sqlite3_finalize(st);
    if (t->nrows > 1) {
        doc_add(&c->d, B_P, "Projection from kernel timings, not a measured end-to-end speed: 1 / the sum over "
                            "the set's decode (M = 1) shapes of median time x calls per token (layers x projections, "
                            "from the shape set file). Attention, norms, embeddings and everything else are left out.");
        doc_table(&c->d, t);
    } else {
        tbl_free(t);
        doc_add(&c->d, B_P, "The bench run has no decode shapes with calls per token.");
    }
    svg_history(&c->d, c->h, c->bench);
}

static void sec_regressions(ctx *c)
{
    doc_add(&c->d, B_H2, "Regressions since the baseline");
    char e[512];
    doc_add(&c->d, B_P, "Rule: a timing regression is Mann-Whitney U p < %g on the raw samples and a median ratio "
                        "(candidate / baseline) above %.4g; a conformance regression is a case that passed in the "
                        "baseline check run and fails now.", c->o->alpha, 1 + c->o->threshold);
    if (c->bench[0] && c->bench_base[0]) {
        qcts_comparison cmp;
        if (qcts_compare_runs(c->db, c->bench_base, c->bench, &(qcts_cmp_opts){ c->o->threshold, c->o->alpha, 1, 0 }, &cmp, e, sizeof e) == 0) {
            doc_add(&c->d, B_P, "Timings, bench run `%.8s` against `%.8s`: %zu regressions, %zu improvements, %zu "
                                "unchanged, %zu not in both.", c->bench, c->bench_base, cmp.regressions,
                    cmp.improvements, cmp.unchanged, cmp.unmatched);
            tbl *t = tbl_new(8, "lllllrrl", "verdict", "backend", "op", "scheme", "shape", "ratio", "p",
                             "95% CI of the ratio");
            for (size_t i = 0; i < cmp.n_t; i++) {
                const qcts_cmp_timing *x = &cmp.t[i];
                if (x->verdict == QCTS_CMP_SAME)
                    continue;
                char shape[160], ratio[32], p[32], ci[64];
                snprintf(shape, sizeof shape, "%s/%s t%d%s", x->shape_set, x->shape, x->threads, x->cold ? " cold" : "");
                snprintf(ratio, sizeof ratio, "%.3f", x->ratio);
                snprintf(p, sizeof p, "%.2e", x->p);
                snprintf(ci, sizeof ci, "[%.3f, %.3f]", x->ci_lo, x->ci_hi);
                const char *row[8] = { x->verdict == QCTS_CMP_REGRESSION ? "REGRESSION" : "improved", x->backend,
                                       x->op, x->scheme, shape, ratio, p, ci };
                tbl_add(t, row);
            }
            if (t->nrows > 1)
                doc_table(&c->d, t);
            else
                tbl_free(t);
            qcts_comparison_free(&cmp);
        } else {
            doc_add(&c->d, B_P, "Timings could not be compared: %s", e);
        }
    } else {
        doc_add(&c->d, B_P, "Timings: no baseline bench run to compare with.");
    }
    if (c->check[0] && c->check_base[0]) {
        qcts_comparison cmp;
        if (qcts_compare_runs(c->db, c->check_base, c->check, &(qcts_cmp_opts){ c->o->threshold, c->o->alpha, 1, 0 }, &cmp, e, sizeof e) == 0) {
            doc_add(&c->d, B_P, "Conformance, check run `%.8s` against `%.8s`: %zu regressions, %zu fixed.",
                    c->check, c->check_base, cmp.conf_regressions, cmp.conf_fixed);
            tbl *t = tbl_new(5, NULL, "change", "backend", "case", "verdicts", "reason");
            for (size_t i = 0; i < cmp.n_c; i++) {
                const qcts_cmp_case *x = &cmp.c[i];
                char cs[200], v[48];
                snprintf(cs, sizeof cs, "%s/%s", x->suite, x->case_id);
                snprintf(v, sizeof v, "%s -> %s", x->base_verdict, x->cand_verdict);
                const char *row[5] = { x->regression ? "REGRESSION" : "fixed", x->backend, cs, v, x->reason };
                tbl_add(t, row);
            }
            if (t->nrows > 1)
                doc_table(&c->d, t);
            else
                tbl_free(t);
            qcts_comparison_free(&cmp);
        } else {
            doc_add(&c->d, B_P, "Conformance could not be compared: %s", e);
        }
    } else {
        doc_add(&c->d, B_P, "Conformance: no baseline check run to compare with.");
    }
}

static void sec_hosts(ctx *c)
{
    doc_add(&c->d, B_H2, "Hosts");
    sqlite3_stmt *st = prep(c, "SELECT '#' || h.id, coalesce(h.cpu_model, '-'), coalesce(h.cores, '-'), "
                               "coalesce(printf('%.1f GiB', h.memory_bytes / 1073741824.0), '-'), coalesce(h.os, '-'), "
                               "coalesce(h.compiler, '-'), coalesce(h.gpu, '-'), coalesce(h.isa_flags, '-') "
                               "FROM host h WHERE h.id IN (SELECT host_id FROM run WHERE uuid IN (?1, ?2)) ORDER BY h.id");
    if (!st)
        return;
    sqlite3_bind_text(st, 1, c->check, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, c->bench, -1, SQLITE_TRANSIENT);
    tbl *t = tbl_new(8, "llrlllll", "host", "CPU", "cores", "memory", "OS", "compiler", "GPU", "ISA flags");
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *row[8];
        for (int i = 0; i < 8; i++)
            row[i] = txt(st, i);
        tbl_add(t, row);
    }
    sqlite3_finalize(st);
    doc_table(&c->d, t);
}

/* ---- writing ----------------------------------------------------------------------- */

static int write_atomic(const char *path, const doc *d, int html, const char *title, char *err, size_t errlen)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) {
        seterr(err, errlen, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    int rc = html ? doc_html(d, f, title) : doc_markdown(d, f);
    if (fclose(f) != 0)
        rc = -1;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -1;
    if (rc) {
        seterr(err, errlen, "%s: %s", path, strerror(errno ? errno : EIO));
        remove(tmp);
    }
    return rc;
}

int qcts_report_write(qcts_db *db, const qcts_report_opts *o, char *err, size_t errlen)
{
    ctx c;
    memset(&c, 0, sizeof c);
    c.db = db;
    c.h = qcts_db_sqlite(db);
    c.o = o;
    char e[512];
    if (o->run) {
        if (qcts_db_run_resolve(db, o->run, NULL, NULL, c.bench, e, sizeof e)) {
            seterr(err, errlen, "%s", e);
            return -1;
        }
    } else if (qcts_db_run_resolve(db, "latest", "bench", NULL, c.bench, e, sizeof e)) {
        c.bench[0] = '\0';
    }
    if (o->check) {
        if (qcts_db_run_resolve(db, o->check, NULL, NULL, c.check, e, sizeof e)) {
            seterr(err, errlen, "%s", e);
            return -1;
        }
    } else if (qcts_db_run_resolve(db, "latest", "check", NULL, c.check, e, sizeof e)) {
        c.check[0] = '\0';
    }
    if (o->baseline) {
        if (qcts_db_run_resolve(db, o->baseline, NULL, NULL, c.bench_base, e, sizeof e)) {
            seterr(err, errlen, "%s", e);
            return -1;
        }
    } else if (c.bench[0]) {
        previous_run(&c, "bench", c.bench, c.bench_base);
    }
    if (c.check[0])
        previous_run(&c, "check", c.check, c.check_base);

    const char *cmd = o->command_line ? o->command_line : "qcts report";
    doc_add(&c.d, B_COMMENT, "Generated by `%s` from the results database %s. Do not edit: run the command again.",
            cmd, qcts_db_path(db));
    doc_add(&c.d, B_H1, "qcts status");
    doc_add(&c.d, B_P, "Generated by `%s` from the database `%s`; every number below comes from it.", cmd,
            qcts_db_path(db));
    sec_runs(&c);
    sec_conformance(&c);
    sec_accuracy(&c);
    sec_quality(&c);
    sec_throughput(&c);
    sec_regressions(&c);
    sec_hosts(&c);
    int rc = 0;
    if (c.failed || c.d.oom) {
        seterr(err, errlen, "%s: %s", qcts_db_path(db), c.d.oom ? "out of memory" : c.err);
        rc = -1;
    }
    if (rc == 0 && o->md_path)
        rc = write_atomic(o->md_path, &c.d, 0, "qcts status", err, errlen);
    if (rc == 0 && o->html_path)
        rc = write_atomic(o->html_path, &c.d, 1, "qcts status", err, errlen);
    doc_free(&c.d);
    return rc;
}
