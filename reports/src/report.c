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
#include "reports/src/report_ctx.h"
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

sqlite3_stmt *rpt_prep(ctx *c, const char *sql)
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

const char *rpt_txt(sqlite3_stmt *st, int i)
{
    const char *s = (const char *)sqlite3_column_text(st, i);
    return s ? s : "";
}

const char *rpt_short_backend(const char *b)
{
    const char *s = strncmp(b, "plugin:", 7) == 0 ? strrchr(b, '/') : NULL;
    return s ? s + 1 : b;
}

#define prep rpt_prep
#define txt rpt_txt

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
    doc_add(&c->d, B_H2, "Runs used");
    doc_add(&c->d, B_P, "Conformance and accuracy come, per backend, from its newest COMPLETE check run: one with as "
                        "many results for the backend as any run of the same vector set had (a debug run over a few "
                        "cases never stands for the whole suite).");
    tbl *t = tbl_new(5, "llrll", "backend", "check run used", "cases", "started (UTC)", "note");
    for (int i = 0; i < c->nch; i++) {
        const chosen *k = &c->ch[i];
        char n[32], note[400] = "";
        snprintf(n, sizeof n, "%ld", k->n);
        if (k->alias[0])
            snprintf(note, sizeof note, "same kernels as %s: shown once, as %s", k->alias, k->alias);
        else if (!k->run[0])
            snprintf(note, sizeof note, "no complete run");
        if (k->newer_partial[0]) {
            size_t l = strlen(note);
            snprintf(note + l, sizeof note - l, "%snewer partial run %.16s (%ld cases%s%s) not used", l ? "; " : "",
                     k->newer_partial, k->newer_partial_n, k->partial_why[0] ? ", " : "", k->partial_why);
        }
        const char *row[5] = { k->backend, k->run[0] ? k->run : "-", n, k->started, note };
        tbl_add(t, row);
    }
    if (c->nch)
        doc_table(&c->d, t);
    else {
        tbl_free(t);
        doc_add(&c->d, B_P, "No check run is stored.");
    }
    run_line(c, "Bench run (throughput)", c->bench);
    run_line(c, "Bench baseline", c->bench_base);
    sqlite3_stmt *st = prep(c, "SELECT r.uuid, r.kind, r.started_at, coalesce(substr(r.git_commit, 1, 12), '-') || "
                               "CASE r.git_dirty WHEN 1 THEN '+' ELSE '' END, '#' || r.host_id, "
                               "coalesce(r.vector_set_sha256, '-'), "
                               "(SELECT count(*) FROM result x WHERE x.run_id = r.id), "
                               "(SELECT count(*) FROM measurement x WHERE x.run_id = r.id), "
                               "CASE WHEN r.shard_count IS NULL THEN '-' ELSE r.shard_index || '/' || r.shard_count || "
                               "' of ' || r.run_group END "
                               "FROM run r ORDER BY r.started_at DESC, r.id DESC LIMIT 20");
    if (!st)
        return;
    t = tbl_new(9, "llllllrrl", "run", "kind", "started (UTC)", "commit", "host", "vector set SHA-256",
                "results", "measurements", "shard");
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *row[9];
        for (int i = 0; i < 9; i++)
            row[i] = txt(st, i);
        tbl_add(t, row);
    }
    sqlite3_finalize(st);
    doc_add(&c->d, B_DETAILS, "The newest runs of the database (at most 20)");
    doc_table(&c->d, t);
    doc_end_details(&c->d);
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
    if (!c->nch) {
        doc_add(&c->d, B_P, "No check run is stored (run `qcts check`).");
        return;
    }
    char backends[16][256];
    int nb = 0;
    for (int i = 0; i < c->nch && nb < 16; i++)
        if (!c->ch[i].alias[0] && c->ch[i].run[0])
            snprintf(backends[nb++], sizeof backends[0], "%s", c->ch[i].backend);
    sqlite3_stmt *st;
    st = prep(c, "SELECT x.op || '/' || coalesce(x.scheme, '-'), x.backend, sum(x.verdict = 'PASS'), "
                 "sum(x.verdict IN ('FAIL', 'ERROR')), sum(x.verdict = 'SKIP'), sum(x.verdict = 'UNAVAILABLE'), "
                 "sum(x.verdict = 'MISTRUSTED') FROM result x JOIN temp.chosen k ON k.run_id = x.run_id AND "
                 "k.backend = x.backend GROUP BY 1, 2 ORDER BY 1");
    if (!st)
        return;
    const char *head[17] = { "op/scheme" };
    for (int i = 0; i < nb; i++)
        head[i + 1] = backends[i];
    tbl *t = tbl_new(nb + 1, NULL, head[0], head[1], head[2], head[3], head[4], head[5], head[6], head[7], head[8],
                     head[9], head[10], head[11], head[12], head[13], head[14], head[15], head[16]);
    if (t)
        t->colour = 1;
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
    doc_add(&c->d, B_P, "Backend x op/scheme in the check runs used (see Runs used): passed %ld, failed or errored %ld, skipped %ld, "
                        "unavailable %ld, mistrusted %ld (cases; MISTRUSTED is never counted as passed).", tot[0], tot[1], tot[2], tot[3], tot[4]);
    doc_table(&c->d, t);

    doc_add(&c->d, B_H3, "Failures");
    st = prep(c, "SELECT x.backend, x.suite || '/' || x.case_id, x.verdict, coalesce(x.seed, ''), "
                 "coalesce(x.reason, '') FROM result x JOIN temp.chosen k ON k.run_id = x.run_id AND "
                 "k.backend = x.backend WHERE x.verdict IN ('FAIL', 'ERROR') ORDER BY x.backend, x.suite, x.case_id "
                 "LIMIT 200");
    if (!st)
        return;
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
    doc_add(&c->d, B_DETAILS, "Skipped and unavailable");
    st = prep(c, "SELECT x.backend, x.verdict, coalesce(x.reason, ''), count(*) FROM result x JOIN temp.chosen k "
                 "ON k.run_id = x.run_id AND k.backend = x.backend WHERE x.verdict IN ('SKIP', 'UNAVAILABLE') "
                 "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 LIMIT 100");
    if (!st)
        return;
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
    doc_end_details(&c->d);
}

static void sec_accuracy(ctx *c)
{
    doc_add(&c->d, B_H2, "Accuracy");
    if (!c->nch) {
        doc_add(&c->d, B_P, "No check run is stored.");
        return;
    }
    doc_add(&c->d, B_P, "Kernel error against the reference on the golden cases of the check runs used (float "
                        "outputs): worst MSE, lowest cosine, worst KL (softmax of each output row) and largest "
                        "ULP distance over the cases of each backend, op and scheme. Collapsed; rows with any "
                        "non-zero error first, every row in the second fold.");
    for (int all = 0; all < 2; all++) {
        sqlite3_stmt *st = prep(c, all ? "SELECT x.backend, x.op, coalesce(x.scheme, '-'), count(*), max(x.mse), "
                                         "min(x.cosine), max(x.kl), max(x.max_ulp) FROM result x JOIN temp.chosen k ON "
                                         "k.run_id = x.run_id AND k.backend = x.backend WHERE x.mse IS NOT NULL "
                                         "GROUP BY 1, 2, 3 ORDER BY 2, 3, 1"
                                       : "SELECT x.backend, x.op, coalesce(x.scheme, '-'), count(*), max(x.mse), "
                                         "min(x.cosine), max(x.kl), max(x.max_ulp) FROM result x JOIN temp.chosen k ON "
                                         "k.run_id = x.run_id AND k.backend = x.backend WHERE x.mse IS NOT NULL "
                                         "GROUP BY 1, 2, 3 HAVING max(x.mse) > 0 OR max(x.max_ulp) > 0 OR "
                                         "max(x.kl) > 0 ORDER BY 2, 3, 1");
        if (!st)
            return;
        tbl *t = tbl_new(8, "lllrrrrr", "backend", "op", "scheme", "cases", "max MSE", "min cosine", "max KL",
                         "max ULP");
        while (sqlite3_step(st) == SQLITE_ROW) {
            char b[5][32];
            const char *row[8] = { txt(st, 0), txt(st, 1), txt(st, 2), txt(st, 3),
                                   num(b[0], 32, st, 4, "%.3e", 1), num(b[1], 32, st, 5, "%.9f", 1),
                                   num(b[2], 32, st, 6, "%.3e", 1), num(b[3], 32, st, 7, "%.0f", 1) };
            tbl_add(t, row);
        }
        sqlite3_finalize(st);
        long rows = t ? (long)t->nrows - 1 : 0;
        doc_add(&c->d, B_DETAILS, all ? "Every backend, op and scheme (%ld rows)"
                                      : "Rows with a non-zero error (%ld rows)", rows);
        if (rows > 0) {
            doc_table(&c->d, t);
        } else {
            tbl_free(t);
            doc_add(&c->d, B_P, all ? "No case with float metrics." : "None: every kernel matched the reference exactly.");
        }
        doc_end_details(&c->d);
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
    doc_add(&c->d, B_H3, "Host roofline (probed in the bench run)");
    sqlite3_stmt *st = prep(c, "SELECT e.repeats, e.order_seed, e.load1_start, e.load1_end, e.other_cpu_share, "
                               "e.steal_fraction, coalesce(e.governor, 'unavailable'), coalesce(e.turbo, 'unavailable'), "
                               "e.busy, coalesce(e.warning, ''), coalesce(e.roof_checks, 'not recorded') "
                               "FROM run_env e JOIN run r ON r.id = e.run_id AND r.uuid = ?");
    if (!st)
        return;
    sqlite3_bind_text(st, 1, c->bench, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW) {
        doc_add(&c->d, B_P, "Machine during the run: load average %.2f at the start, %.2f at the end; other processes "
                            "used %.0f%% of the CPUs; steal %.1f%%; frequency governor %s, turbo %s.%s%s",
                sqlite3_column_double(st, 2), sqlite3_column_double(st, 3), 100 * sqlite3_column_double(st, 4),
                100 * sqlite3_column_double(st, 5), txt(st, 6), txt(st, 7),
                sqlite3_column_int(st, 8) ? " BUSY: " : "", sqlite3_column_int(st, 8) ? txt(st, 9) : "");
        doc_add(&c->d, B_P, "%d repetitions per kernel in a random interleaved order (seed %lld). Probe self-checks "
                            "(all cores >= one core, AVX-512 >= AVX2, read plausible against copy, caches >= DRAM): %s.",
                sqlite3_column_int(st, 0), (long long)sqlite3_column_int64(st, 1), txt(st, 10));
    } else {
        doc_add(&c->d, B_P, "This bench run predates the recording of the machine's state and of repetitions "
                            "(schema migration 3): its numbers cannot be judged for load or noise.");
    }
    sqlite3_finalize(st);
    st = prep(c, "SELECT f.metric, f.isa, f.threads, f.value, coalesce(f.unit, ''), f.spread FROM roofline f "
                 "JOIN run r ON r.id = f.run_id AND r.uuid = ? ORDER BY f.metric, f.isa, f.threads");
    if (!st)
        return;
    sqlite3_bind_text(st, 1, c->bench, -1, SQLITE_TRANSIENT);
    tbl *t = tbl_new(5, "llrrr", "ceiling", "ISA / counter", "threads", "value (best pass)", "spread of passes");
    while (sqlite3_step(st) == SQLITE_ROW) {
        char v[64], th[16], sp[32];
        double x = sqlite3_column_double(st, 3);
        const char *m = txt(st, 0);
        if (strcmp(m, "llc") == 0)
            snprintf(v, sizeof v, "%.1f MiB", x / 1048576.0);
        else if (strcmp(m, "counter") == 0)
            snprintf(v, sizeof v, "%.3f GHz", x * 1e-9);
        else
            snprintf(v, sizeof v, "%.2f %s", x, txt(st, 4));
        snprintf(th, sizeof th, "%s", txt(st, 2));
        num(sp, sizeof sp, st, 5, "%.0f%%", 100);
        const char *name = strcmp(m, "read") == 0 ? "read, DRAM" : strcmp(m, "read_llc") == 0 ? "read, LLC"
                           : strcmp(m, "read_l2") == 0 ? "read, L2" : strcmp(m, "copy") == 0 ? "copy, DRAM"
                           : strcmp(m, "store") == 0 ? "store, DRAM" : strcmp(m, "store_llc") == 0 ? "store, LLC"
                           : strcmp(m, "store_l2") == 0 ? "store, L2" : strcmp(m, "fma") == 0 ? "FMA peak"
                           : strcmp(m, "llc") == 0 ? "last-level cache" : "cycle counter";
        const char *row[5] = { name, txt(st, 1), th, v, sp };
        tbl_add(t, row);
    }
    sqlite3_finalize(st);
    doc_add(&c->d, B_DETAILS, "Every ceiling of the probe");
    doc_table(&c->d, t);
    doc_end_details(&c->d);

    doc_add(&c->d, B_H3, "Kernels");
    doc_add(&c->d, B_P, "Median of the repetition medians of each kernel, with their robust spread (MAD / median, "
                        "IQR / median). GB/s counts weights (codes + scales + zeros), activations and outputs; "
                        "GFLOP/s is 2 M N K. %% of ceiling is against the level the data comes from: the FMA peak "
                        "for GEMM (M > 1); read bandwidth of the L2, LLC or DRAM by working set for GEMV (DRAM when "
                        "cold); for dequant, the time to read the weights from their level and store the f32 "
                        "output. A figure above 100%% is flagged ABOVE CEILING: the probe under-read (a busy "
                        "machine; see its spread and self-checks) or the data sits nearer than its size suggests.");
    st = prep(c, "SELECT m.backend, m.op, m.scheme, m.shape_set || '/' || m.shape || CASE m.cold WHEN 1 THEN ' cold' "
                 "ELSE '' END, m.m || 'x' || m.n || 'x' || m.k, m.threads, coalesce(m.repeats, 1), m.median_s, "
                 "m.mad_s / m.median_s, m.iqr_s / m.median_s, m.gbs, m.gflops, m.roof_fraction, "
                 "coalesce(m.roof_kind, ''), coalesce(m.variant, '') FROM measurement m JOIN run r ON r.id = m.run_id "
                 "AND r.uuid = ? WHERE m.status = 'ok' ORDER BY m.shape_set, m.op, m.scheme, m.shape, m.backend, "
                 "m.threads");
    if (!st)
        return;
    sqlite3_bind_text(st, 1, c->bench, -1, SQLITE_TRANSIENT);
    t = tbl_new(13, "lllllrrrrrrrl", "backend", "op", "scheme", "shape", "MxNxK", "threads", "reps", "median us",
                "MAD/median", "IQR/median", "GB/s", "GFLOP/s", "% of ceiling");
    while (sqlite3_step(st) == SQLITE_ROW) {
        char b[8][64], roof[160];
        if (sqlite3_column_type(st, 12) == SQLITE_NULL)
            snprintf(roof, sizeof roof, "-");
        else
            snprintf(roof, sizeof roof, "%.1f%% of %s%s", 100 * sqlite3_column_double(st, 12), txt(st, 13),
                     sqlite3_column_double(st, 12) > 1 ? " ABOVE CEILING" : "");
        const char *row[13] = { txt(st, 0), txt(st, 1), txt(st, 2), txt(st, 3), txt(st, 4), txt(st, 5), txt(st, 6),
                                num(b[0], 64, st, 7, "%.2f", 1e6), num(b[1], 64, st, 8, "%.1f%%", 100),
                                num(b[2], 64, st, 9, "%.1f%%", 100), num(b[3], 64, st, 10, "%.2f", 1),
                                num(b[4], 64, st, 11, "%.2f", 1), roof };
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

    doc_add(&c->d, B_H3, "Decode tokens/s, weights-only upper bound");
    st = prep(c, "SELECT m.shape_set, m.backend, m.scheme, m.threads, sum(m.median_s * m.per_token), "
                 "sum(m.status <> 'ok') + (count(*) < max(coalesce(m.set_decode_shapes, 0))), count(*), "
                 "max(coalesce(m.set_decode_shapes, 0)) FROM measurement m JOIN run r ON r.id = m.run_id AND r.uuid = ? "
                 "WHERE m.phase = 'decode' AND m.per_token > 0 GROUP BY 1, 2, 3, 4 ORDER BY 1, 3, 2, 4");
    if (!st)
        return;
    sqlite3_bind_text(st, 1, c->bench, -1, SQLITE_TRANSIENT);
    t = tbl_new(6, "llllrr", "shape set", "backend", "scheme", "threads", "decode GEMVs timed", "tokens/s (upper bound)");
    long incomplete = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        double s = sqlite3_column_double(st, 4);
        if (sqlite3_column_int(st, 5) > 0 || !(s > 0)) {
            incomplete++;
            continue;
        }
        char v[32], n[32];
        snprintf(v, sizeof v, "%.2f", 1.0 / s);
        snprintf(n, sizeof n, "%d of %d", sqlite3_column_int(st, 6), sqlite3_column_int(st, 7));
        const char *row[6] = { txt(st, 0), rpt_short_backend(txt(st, 1)), txt(st, 2), txt(st, 3), n, v };
        tbl_add(t, row);
    }
    sqlite3_finalize(st);
    if (t->nrows > 1) {
        doc_add(&c->d, B_P, "Only from a complete model shape set: every decode GEMV of the model, each counted by "
                            "its calls per token (layers x projections, from the shape set file): 1 / the sum of "
                            "median x calls. A WEIGHTS-ONLY UPPER BOUND, not a measured speed: attention, norms, "
                            "embeddings, sampling and everything else are left out.");
        doc_table(&c->d, t);
    } else {
        tbl_free(t);
        doc_add(&c->d, B_P, "No projection: the bench run did not time every decode GEMV of a model shape set.");
    }
    if (incomplete)
        doc_add(&c->d, B_P, "%ld backend/scheme combination(s) left out: not every decode shape of the set was timed.",
                incomplete);
    svg_history(&c->d, c->h, c->bench);
}

static void sec_regressions(ctx *c)
{
    doc_add(&c->d, B_H2, "Regressions since the baseline");
    doc_add(&c->d, B_P, "Rule: a timing regression is significant (exact Mann-Whitney U on the repetition minimums, "
                        "p < %g) AND slower than 1 + max(%.3g, the host's noise floor for that kernel); fewer than 3 "
                        "repetitions on a side cannot be judged. A conformance regression (new failure) is a case "
                        "that fails in the backend's run used and passed in its run before.", c->o->alpha,
            c->o->threshold);
    if (c->have_cmp) {
        const qcts_comparison *cmp = &c->cmp;
        doc_add(&c->d, B_P, "Timings, bench run `%.8s` against `%.8s`: %zu regressions, %zu improvements, %zu "
                            "unchanged, %zu not judged, %zu not in both; noise floor %s.", c->bench, c->bench_base,
                cmp->regressions, cmp->improvements, cmp->unchanged, cmp->cannot, cmp->unmatched,
                cmp->floors ? "calibrated" : "not calibrated on this host (`qcts bench --calibrate-noise RUNS`)");
        tbl *t = tbl_new(9, "lllllrrrl", "verdict", "backend", "op", "scheme", "shape", "ratio", "p", "limit",
                         "95% CI of the ratio");
        for (size_t i = 0; i < cmp->n_t; i++) {
            const qcts_cmp_timing *x = &cmp->t[i];
            if (x->verdict == QCTS_CMP_SAME)
                continue;
            char shape[160], ratio[32], p[32], ci[64], lim[32];
            snprintf(shape, sizeof shape, "%s/%s t%d%s", x->shape_set, x->shape, x->threads, x->cold ? " cold" : "");
            snprintf(ratio, sizeof ratio, "%.3f", x->ratio);
            snprintf(p, sizeof p, "%.2e", x->p);
            snprintf(ci, sizeof ci, "[%.3f, %.3f]", x->ci_lo, x->ci_hi);
            snprintf(lim, sizeof lim, "%.1f%%", 100 * x->limit);
            const char *row[9] = { x->verdict == QCTS_CMP_REGRESSION ? "REGRESSION"
                                   : x->verdict == QCTS_CMP_IMPROVEMENT ? "improved" : "not judged",
                                   x->backend, x->op, x->scheme, shape, ratio, p, lim,
                                   x->verdict == QCTS_CMP_CANNOT ? x->why : ci };
            tbl_add(t, row);
        }
        if (t->nrows > 1)
            doc_table(&c->d, t);
        else
            tbl_free(t);
    } else {
        doc_add(&c->d, B_P, "Timings: %s.", c->cmp_err[0] ? c->cmp_err : "no baseline bench run to compare with");
    }
    sqlite3_stmt *st = prep(c, "SELECT x.backend, x.suite || '/' || x.case_id, x.verdict, coalesce(x.reason, ''), "
                               "(SELECT p.verdict FROM result p JOIN run pr ON pr.id = p.run_id WHERE p.backend = "
                               "x.backend AND p.suite = x.suite AND p.case_id = x.case_id AND (pr.started_at < "
                               "r.started_at OR (pr.started_at = r.started_at AND pr.id < r.id)) ORDER BY "
                               "pr.started_at DESC, pr.id DESC LIMIT 1) AS before FROM result x JOIN temp.chosen k ON "
                               "k.run_id = x.run_id AND k.backend = x.backend JOIN run r ON r.id = x.run_id "
                               "WHERE x.verdict IN ('FAIL', 'ERROR') AND before IN ('PASS', 'MISTRUSTED') "
                               "ORDER BY 1, 2 LIMIT 200");
    if (!st)
        return;
    tbl *t = tbl_new(4, NULL, "backend", "case", "verdicts", "reason");
    while (sqlite3_step(st) == SQLITE_ROW) {
        char v[48];
        snprintf(v, sizeof v, "%s -> %s", txt(st, 4), txt(st, 2));
        const char *row[4] = { txt(st, 0), txt(st, 1), v, txt(st, 3) };
        tbl_add(t, row);
    }
    sqlite3_finalize(st);
    if (t->nrows > 1) {
        doc_add(&c->d, B_P, "New failures: %zu.", t->nrows - 1);
        doc_table(&c->d, t);
    } else {
        tbl_free(t);
        doc_add(&c->d, B_P, "New failures: none.");
    }
}

static void sec_hosts(ctx *c)
{
    doc_add(&c->d, B_H2, "Hosts");
    sqlite3_stmt *st = prep(c, "SELECT '#' || h.id, coalesce(h.cpu_model, '-'), coalesce(h.cores, '-'), "
                               "coalesce(printf('%.1f GiB', h.memory_bytes / 1073741824.0), '-'), coalesce(h.os, '-'), "
                               "coalesce(h.compiler, '-'), coalesce(h.gpu, '-'), coalesce(h.isa_flags, '-') "
                               "FROM host h WHERE h.id IN (SELECT host_id FROM run WHERE uuid = ?1 OR id IN "
                               "(SELECT run_id FROM temp.chosen)) ORDER BY h.id");
    if (!st)
        return;
    sqlite3_bind_text(st, 1, c->bench, -1, SQLITE_TRANSIENT);
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
    qcts_report_opts oo = *o;
    if (!(oo.stale_after_s > 0))
        oo.stale_after_s = 7 * 86400.0;
    o = &oo;
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
    }   /* else: per backend, its newest complete check run (rpt_choose_check_runs) */
    if (o->baseline) {
        if (qcts_db_run_resolve(db, o->baseline, NULL, NULL, c.bench_base, e, sizeof e)) {
            seterr(err, errlen, "%s", e);
            return -1;
        }
    } else if (c.bench[0]) {
        previous_run(&c, "bench", c.bench, c.bench_base);
    }
    rpt_choose_check_runs(&c);
    if (c.bench[0] && c.bench_base[0]) {
        qcts_cmp_opts co = { .threshold = o->threshold, .alpha = o->alpha, .use_floor = 1, .use_min = 1 };
        if (qcts_compare_runs(db, c.bench_base, c.bench, &co, &c.cmp, e, sizeof e) == 0)
            c.have_cmp = 1;
        else
            snprintf(c.cmp_err, sizeof c.cmp_err, "could not be compared: %.200s", e);
    }

    const char *cmd = o->command_line ? o->command_line : "qcts report";
    doc_add(&c.d, B_COMMENT, "Generated by `%s` from the results database %s. Do not edit: run the command again.",
            cmd, qcts_db_path(db));
    doc_add(&c.d, B_H1, "qcts status");
    if (!c.failed)
        rpt_glance(&c);
    doc_add(&c.d, B_P, "Generated by `%s` from the database `%s`; every number on this page comes from it.", cmd,
            qcts_db_path(db));
    sec_regressions(&c);
    sec_conformance(&c);
    sec_throughput(&c);
    sec_accuracy(&c);
    sec_quality(&c);
    rpt_fleet(&c);
    sec_runs(&c);
    sec_hosts(&c);
    if (c.have_cmp)
        qcts_comparison_free(&c.cmp);
    sqlite3_exec(c.h, "DROP TABLE IF EXISTS temp.chosen; DROP TABLE IF EXISTS temp.fleet_hosts; "
                      "DROP TABLE IF EXISTS temp.fleet_commits", NULL, NULL, NULL);
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
