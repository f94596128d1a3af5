/* The report's first screen (report_ctx.h): is it green, what regressed or
 * newly failed, and how fast against the ceiling. Every block has an HTML
 * form (inline SVG, no script) and a Markdown form for the top of
 * STATUS.md. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/src/report_ctx.h"
#include "reports/src/sbuf.h"

/* ---- which check run per backend ------------------------------------------------- */

void rpt_choose_check_runs(ctx *c)
{
    c->nch = 0;
    sqlite3_exec(c->h, "CREATE TEMP TABLE IF NOT EXISTS chosen (backend TEXT, run_id INTEGER); "
                       "DELETE FROM temp.chosen", NULL, NULL, NULL);
    sqlite3_stmt *st;
    if (c->check[0]) {
        /* --check RUN: every backend of that run */
        st = rpt_prep(c, "SELECT x.backend, coalesce(r.run_group, r.uuid), min(r.started_at), count(*) FROM result x "
                         "JOIN run r ON r.id = x.run_id WHERE r.uuid = ?1 OR r.run_group = (SELECT g.run_group FROM run g "
                         "WHERE g.uuid = ?1) GROUP BY x.backend "
                         "ORDER BY min(x.id)");
        if (!st)
            return;
        sqlite3_bind_text(st, 1, c->check, -1, SQLITE_TRANSIENT);
        while (sqlite3_step(st) == SQLITE_ROW && c->nch < RPT_MAX_BACKENDS) {
            chosen *k = &c->ch[c->nch++];
            memset(k, 0, sizeof *k);
            snprintf(k->backend, sizeof k->backend, "%s", rpt_txt(st, 0));
            snprintf(k->run, sizeof k->run, "%s", rpt_txt(st, 1));
            snprintf(k->started, sizeof k->started, "%s", rpt_txt(st, 2));
            k->n = sqlite3_column_int64(st, 3);
        }
        sqlite3_finalize(st);
    } else {
        /* the backends of the newest 20 check runs, in order of first appearance */
        st = rpt_prep(c, "SELECT x.backend FROM result x WHERE x.run_id IN (SELECT id FROM run WHERE kind = 'check' "
                         "ORDER BY started_at DESC, id DESC LIMIT 20) GROUP BY x.backend ORDER BY min(x.id)");
        if (!st)
            return;
        while (sqlite3_step(st) == SQLITE_ROW && c->nch < RPT_MAX_BACKENDS) {
            chosen *k = &c->ch[c->nch++];
            memset(k, 0, sizeof *k);
            snprintf(k->backend, sizeof k->backend, "%s", rpt_txt(st, 0));
        }
        sqlite3_finalize(st);
        /* per backend: runs newest first; complete = as many results as the
         * most any run of the same vector set had for this backend */
        for (int i = 0; i < c->nch; i++) {
            chosen *k = &c->ch[i];
            /* units (a run, or the shards of a run group) newest first; n its
             * results for the backend, most the largest n of any unit of the
             * same vector set, have/need the shards stored/expected */
            st = rpt_prep(c, "SELECT coalesce(r.run_group, r.uuid) AS unit, min(r.started_at), count(*), "
                             "(SELECT max(n) FROM (SELECT count(*) AS n FROM result y JOIN run q ON q.id = y.run_id "
                             " WHERE y.backend = ?1 AND coalesce(q.vector_set_sha256, '') = "
                             " coalesce(r.vector_set_sha256, '') GROUP BY coalesce(q.run_group, q.uuid))), "
                             "(SELECT count(DISTINCT g.shard_index) FROM run g WHERE g.run_group = r.run_group), "
                             "max(r.shard_count) "
                             "FROM result x JOIN run r ON r.id = x.run_id WHERE x.backend = ?1 "
                             "GROUP BY coalesce(r.run_group, r.uuid) ORDER BY max(r.started_at) DESC, max(r.id) DESC");
            if (!st)
                return;
            sqlite3_bind_text(st, 1, k->backend, -1, SQLITE_TRANSIENT);
            while (sqlite3_step(st) == SQLITE_ROW) {
                long n = sqlite3_column_int64(st, 2), most = sqlite3_column_int64(st, 3);
                int sharded = sqlite3_column_type(st, 5) != SQLITE_NULL;
                long have = sqlite3_column_int64(st, 4), need = sharded ? sqlite3_column_int64(st, 5) : 0;
                if (n >= most && (!sharded || have == need)) {
                    snprintf(k->run, sizeof k->run, "%s", rpt_txt(st, 0));
                    snprintf(k->started, sizeof k->started, "%s", rpt_txt(st, 1));
                    k->n = n;
                    break;
                }
                if (!k->newer_partial[0]) {
                    snprintf(k->newer_partial, sizeof k->newer_partial, "%s", rpt_txt(st, 0));
                    k->newer_partial_n = n;
                    if (sharded && have != need)
                        snprintf(k->partial_why, sizeof k->partial_why, "run group with %ld of %ld shards", have,
                                 need);
                }
            }
            sqlite3_finalize(st);
        }
    }
    /* aliases: two backends whose every case has the same verdict and the
     * same kernel variant (some of them non-empty) in their chosen runs */
    for (int i = 0; i < c->nch; i++)
        for (int j = i + 1; j < c->nch; j++) {
            if (c->ch[i].alias[0] || c->ch[j].alias[0])
                continue;
            st = rpt_prep(c, "SELECT sum(coalesce(a.variant, '') <> ''), sum(a.verdict = b.verdict AND "
                             "coalesce(a.variant, '') = coalesce(b.variant, '')) - count(*) FROM result a JOIN run ra "
                             "ON ra.id = a.run_id AND "
                             "coalesce(ra.run_group, ra.uuid) = ?1 JOIN result b ON b.suite = a.suite AND b.case_id = "
                             "a.case_id JOIN run rb ON rb.id = b.run_id AND coalesce(rb.run_group, rb.uuid) = ?2 "
                             "WHERE a.backend = ?3 AND b.backend = ?4");
            if (!st)
                return;
            sqlite3_bind_text(st, 1, c->ch[i].run, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 2, c->ch[j].run, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 3, c->ch[i].backend, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 4, c->ch[j].backend, -1, SQLITE_TRANSIENT);
            if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0 && sqlite3_column_int64(st, 1) == 0
                && c->ch[i].n == c->ch[j].n) {
                /* keep the one the variants are named after ("__avx2" -> avx2) */
                int keep = i, drop = j;
                if (strcmp(c->ch[i].backend, "simd") == 0)
                    keep = j, drop = i;
                snprintf(c->ch[drop].alias, sizeof c->ch[drop].alias, "%s", c->ch[keep].backend);
            }
            sqlite3_finalize(st);
        }
    for (int i = 0; i < c->nch; i++) {
        if (!c->ch[i].run[0] || c->ch[i].alias[0])
            continue;
        st = rpt_prep(c, "INSERT INTO temp.chosen (backend, run_id) SELECT ?1, id FROM run WHERE "
                         "coalesce(run_group, uuid) = ?2");
        if (!st)
            return;
        sqlite3_bind_text(st, 1, c->ch[i].backend, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, c->ch[i].run, -1, SQLITE_TRANSIENT);
        sqlite3_step(st);
        sqlite3_finalize(st);
    }
}

/* ---- the first screen -------------------------------------------------------------- */

/* simd measured with the very kernel variant another backend of the run
 * measured too: the same kernel, shown once (as the named ISA). */
#define NOT_ALIAS                                                                                                     \
    "(m.backend = 'simd' AND EXISTS (SELECT 1 FROM measurement a WHERE a.run_id = m.run_id AND "                     \
    "a.backend <> 'simd' AND a.variant = m.variant AND a.op = m.op AND a.scheme = m.scheme AND "                      \
    "a.shape_set = m.shape_set AND a.shape = m.shape AND a.threads = m.threads AND a.cold = m.cold))"

static const char *const FAMILIES[] = { "convert", "quantize", "dequant", "gemm" };
enum { NFAM = 4 };

typedef struct counts {
    long pass, fail, skip, mis;
} counts;

static const char *alias_of(const ctx *c, const char *backend)
{
    for (int i = 0; i < c->nch; i++)
        if (c->ch[i].alias[0] && strcmp(c->ch[i].alias, backend) == 0)
            return c->ch[i].backend;
    return NULL;
}

/* A sparkline of values v[0..n-1] (NaN: missing), higher is better. */
static void spark(sbuf *b, const double *v, int n)
{
    double lo = INFINITY, hi = -INFINITY;
    int k = 0;
    for (int i = 0; i < n; i++)
        if (!isnan(v[i])) {
            lo = fmin(lo, v[i]);
            hi = fmax(hi, v[i]);
            k++;
        }
    sb(b, "<svg class=\"spark\" width=\"90\" height=\"18\" viewBox=\"0 0 90 18\" role=\"img\">");
    if (k >= 2) {
        double span = hi > lo ? hi - lo : 1;
        sb(b, "<polyline fill=\"none\" stroke=\"#555\" stroke-width=\"1.2\" points=\"");
        double lx = 0, ly = 0;
        for (int i = 0; i < n; i++) {
            if (isnan(v[i]))
                continue;
            lx = 2 + 86.0 * i / (n > 1 ? n - 1 : 1);
            ly = 16 - 14 * (v[i] - lo) / span;
            sb(b, "%.1f,%.1f ", lx, ly);
        }
        sb(b, "\"/><circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\" fill=\"#1f77b4\"/>", lx, ly);
    }
    sb(b, "<title>throughput over the last %d bench runs of this host (%d with this kernel)</title></svg>", n, k);
}

/* Throughput (1 / median) of one kernel over the last n bench runs of the
 * bench run's host, oldest first. */
static int history(ctx *c, const char *backend, const char *op, const char *scheme, const char *set,
                   const char *shape, int threads, int cold, double *v, int n)
{
    for (int i = 0; i < n; i++)
        v[i] = NAN;
    sqlite3_stmt *st = rpt_prep(c, "SELECT (SELECT 1.0 / m.median_s FROM measurement m WHERE m.run_id = p.id AND "
                                   "m.backend = ?2 AND m.op = ?3 AND m.scheme = ?4 AND m.shape_set = ?5 AND "
                                   "m.shape = ?6 AND m.threads = ?7 AND m.cold = ?8 AND m.status = 'ok') "
                                   "FROM run p, run r WHERE r.uuid = ?1 AND p.kind = 'bench' AND p.host_id = r.host_id "
                                   "AND (p.started_at < r.started_at OR (p.started_at = r.started_at AND p.id <= r.id)) "
                                   "ORDER BY p.started_at DESC, p.id DESC LIMIT ?9");
    if (!st)
        return 0;
    sqlite3_bind_text(st, 1, c->bench, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, backend, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, op, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, scheme, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, set, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 6, shape, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 7, threads);
    sqlite3_bind_int(st, 8, cold);
    sqlite3_bind_int(st, 9, n);
    int k = 0;
    double tmp[64];
    while (sqlite3_step(st) == SQLITE_ROW && k < n && k < 64)
        tmp[k++] = sqlite3_column_type(st, 0) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
    for (int i = 0; i < k; i++)
        v[n - k + i] = tmp[k - 1 - i];   /* oldest first, right-aligned */
    return k;
}

static void verdict(ctx *c, sbuf *h, sbuf *m, const counts *tot, long new_fail, int busy, const char *checks,
                    long over)
{
    const char *cls, *word;
    char why[1024] = "";
    size_t l = 0;
#define WHY(...) (l += (size_t)snprintf(why + l, l < sizeof why ? sizeof why - l : 0, __VA_ARGS__))
    long regs = c->have_cmp ? (long)(c->cmp.regressions) : 0, cannot = c->have_cmp ? (long)c->cmp.cannot : 0;
    if (tot->fail || regs) {
        cls = "v-red";
        word = "RED";
        if (tot->fail)
            WHY("%ld case%s fail%s (%ld new); ", tot->fail, tot->fail == 1 ? "" : "s", tot->fail == 1 ? "s" : "",
                new_fail);
        if (regs)
            WHY("%ld timing regression%s; ", regs, regs == 1 ? "" : "s");
    } else if (tot->mis || cannot || busy || (checks && strcmp(checks, "ok") != 0) || over || !c->nch
               || !c->bench[0]) {
        cls = "v-amber";
        word = "AMBER";
        if (tot->pass)
            WHY("all %ld judged cases pass; ", tot->pass);
    } else {
        cls = "v-green";
        word = "GREEN";
        WHY("all %ld cases pass on every backend; no timing regression; ", tot->pass);
    }
    if (tot->mis)
        WHY("%ld mistrusted (never counted as passed); ", tot->mis);
    if (!c->nch)
        WHY("no check run; ");
    if (!c->bench[0])
        WHY("no bench run; ");
    if (cannot)
        WHY("%ld timing%s could not be judged (too few repetitions); ", cannot, cannot == 1 ? "" : "s");
    if (busy)
        WHY("the machine was busy during the bench run; ");
    if (checks && strcmp(checks, "ok") != 0)
        WHY("the roofline probe failed a self-check; ");
    if (over)
        WHY("%ld throughput figure%s above %s ceiling (flagged); ", over, over == 1 ? "" : "s",
            over == 1 ? "its" : "their");
#undef WHY
    if (l >= 2 && l < sizeof why)
        why[l - 2] = '\0';
    sb(h, "<div class=\"verdict %s\">%s &mdash; ", cls, word);
    sb_esc(h, why);
    sb(h, "</div>\n");
    sb(m, "**%s** — %s\n\n", word, why);
}

void rpt_glance(ctx *c)
{
    sbuf h = { 0 }, m = { 0 };
    /* ---- matrix: backend x op family over the chosen check runs ---- */
    counts cnt[RPT_MAX_BACKENDS][NFAM];
    memset(cnt, 0, sizeof cnt);
    counts tot = { 0 };
    sqlite3_stmt *st = rpt_prep(c, "SELECT x.backend, x.op, sum(x.verdict = 'PASS'), sum(x.verdict IN ('FAIL', 'ERROR')), "
                                   "sum(x.verdict IN ('SKIP', 'UNAVAILABLE')), sum(x.verdict = 'MISTRUSTED') "
                                   "FROM result x JOIN temp.chosen k ON k.run_id = x.run_id AND k.backend = x.backend "
                                   "GROUP BY 1, 2");
    if (!st)
        return;
    while (sqlite3_step(st) == SQLITE_ROW) {
        for (int i = 0; i < c->nch; i++) {
            if (strcmp(c->ch[i].backend, rpt_txt(st, 0)) != 0)
                continue;
            for (int f = 0; f < NFAM; f++)
                if (strcmp(FAMILIES[f], rpt_txt(st, 1)) == 0) {
                    counts *x = &cnt[i][f];
                    x->pass += sqlite3_column_int64(st, 2);
                    x->fail += sqlite3_column_int64(st, 3);
                    x->skip += sqlite3_column_int64(st, 4);
                    x->mis += sqlite3_column_int64(st, 5);
                }
        }
        tot.pass += sqlite3_column_int64(st, 2);
        tot.fail += sqlite3_column_int64(st, 3);
        tot.skip += sqlite3_column_int64(st, 4);
        tot.mis += sqlite3_column_int64(st, 5);
    }
    sqlite3_finalize(st);
    /* new failures: failing now, passed in the backend's run before */
    typedef struct nf {
        char backend[64], what[200];
        int is_new;
    } nf;
    nf fails[8];
    int nfail = 0;
    long new_fail = 0;
    st = rpt_prep(c, "SELECT x.backend, x.suite || '/' || x.case_id, (SELECT p.verdict FROM result p JOIN run pr ON "
                     "pr.id = p.run_id WHERE p.backend = x.backend AND p.suite = x.suite AND p.case_id = x.case_id "
                     "AND (pr.started_at < r.started_at OR (pr.started_at = r.started_at AND pr.id < r.id)) "
                     "ORDER BY pr.started_at DESC, pr.id DESC LIMIT 1) FROM result x JOIN temp.chosen k ON "
                     "k.run_id = x.run_id AND k.backend = x.backend JOIN run r ON r.id = x.run_id "
                     "WHERE x.verdict IN ('FAIL', 'ERROR') ORDER BY 3 IN ('PASS', 'MISTRUSTED') DESC, 1, 2");
    if (!st)
        return;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *before = rpt_txt(st, 2);
        int is_new = strcmp(before, "PASS") == 0 || strcmp(before, "MISTRUSTED") == 0;
        new_fail += is_new;
        if (nfail < 8) {
            snprintf(fails[nfail].backend, sizeof fails[nfail].backend, "%s", rpt_short_backend(rpt_txt(st, 0)));
            snprintf(fails[nfail].what, sizeof fails[nfail].what, "%s", rpt_txt(st, 1));
            fails[nfail++].is_new = is_new;
        }
    }
    sqlite3_finalize(st);
    /* the bench run's machine state and probe checks */
    int busy = 0;
    char checks[512] = "", warning[256] = "";
    double load = NAN, other = NAN;
    long over = 0;
    if (c->bench[0]) {
        st = rpt_prep(c, "SELECT e.busy, coalesce(e.roof_checks, ''), coalesce(e.warning, ''), e.load1_start, "
                         "e.other_cpu_share FROM run_env e JOIN run r ON r.id = e.run_id AND r.uuid = ?");
        if (!st)
            return;
        sqlite3_bind_text(st, 1, c->bench, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) == SQLITE_ROW) {
            busy = sqlite3_column_int(st, 0);
            snprintf(checks, sizeof checks, "%s", rpt_txt(st, 1));
            snprintf(warning, sizeof warning, "%s", rpt_txt(st, 2));
            load = sqlite3_column_type(st, 3) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 3);
            other = sqlite3_column_type(st, 4) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 4);
        }
        sqlite3_finalize(st);
        st = rpt_prep(c, "SELECT count(*) FROM measurement m JOIN run r ON r.id = m.run_id AND r.uuid = ? "
                         "WHERE m.status = 'ok' AND m.roof_fraction > 1");
        if (!st)
            return;
        sqlite3_bind_text(st, 1, c->bench, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) == SQLITE_ROW)
            over = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    verdict(c, &h, &m, &tot, new_fail, busy, checks[0] ? checks : NULL, over);

    /* ---- left column: matrix and what changed ---- */
    sb(&h, "<div class=\"glance\">\n<div>\n<h4>Conformance: backend &times; op family "
           "(<a href=\"#conformance-matrix\">by scheme</a>)</h4>\n<table>\n<tr><th>backend</th>");
    sb(&m, "| backend |");
    for (int f = 0; f < NFAM; f++) {
        sb(&h, "<th>%s</th>", FAMILIES[f]);
        sb(&m, " %s |", FAMILIES[f]);
    }
    sb(&h, "</tr>\n");
    sb(&m, "\n|---|");
    for (int f = 0; f < NFAM; f++)
        sb(&m, "---|");
    sb(&m, "\n");
    int rows = 0;
    for (int i = 0; i < c->nch; i++) {
        if (c->ch[i].alias[0] || !c->ch[i].run[0])
            continue;
        rows++;
        const char *al = alias_of(c, c->ch[i].backend);
        char name[300];
        snprintf(name, sizeof name, "%s%s%s%s", rpt_short_backend(c->ch[i].backend), al ? " (= " : "", al ? al : "",
                 al ? ")" : "");
        sb(&h, "<tr><th>");
        sb_esc(&h, name);
        sb(&h, "</th>");
        sb(&m, "| %s |", name);
        for (int f = 0; f < NFAM; f++) {
            const counts *x = &cnt[i][f];
            const char *cls = x->fail ? "c-fail" : x->mis ? "c-mis" : x->pass ? "c-pass" : x->skip ? "c-skip" : "";
            char cell[128];
            if (x->fail)
                snprintf(cell, sizeof cell, "FAIL %ld/%ld", x->fail, x->pass + x->fail + x->skip + x->mis);
            else if (x->pass)
                snprintf(cell, sizeof cell, "pass %ld", x->pass);
            else if (x->mis)
                snprintf(cell, sizeof cell, "mistrusted %ld", x->mis);
            else if (x->skip)
                snprintf(cell, sizeof cell, "skip %ld", x->skip);
            else
                snprintf(cell, sizeof cell, "-");
            size_t l = strlen(cell);
            if ((x->fail || x->pass) && x->mis)
                l += (size_t)snprintf(cell + l, sizeof cell - l, ", %ld mistrusted", x->mis);
            if ((x->fail || x->pass || x->mis) && x->skip && l < sizeof cell)
                snprintf(cell + l, sizeof cell - l, ", %ld skip", x->skip);
            sb(&h, "<td class=\"%s\">%s</td>", cls, cell);
            sb(&m, " %s |", cell);
        }
        sb(&h, "</tr>\n");
        sb(&m, "\n");
    }
    sb(&h, "</table>\n");
    if (!rows) {
        sb(&h, "<p class=\"small\">No check run is stored (run <code>qcts check</code>).</p>\n");
        sb(&m, "| (no check run) |%s\n", " - | - | - | - |");
    }
    sb(&m, "\n");
    for (int i = 0; i < c->nch; i++)
        if (c->ch[i].alias[0]) {
            sb(&h, "<p class=\"small\">%s ran the same kernels as %s on every case here: shown once.</p>\n",
               c->ch[i].backend, c->ch[i].alias);
            sb(&m, "%s ran the same kernels as %s on every case here: shown once.\n\n", c->ch[i].backend,
               c->ch[i].alias);
        }
    sb(&h, "<h4>What changed</h4>\n<ul>\n");
    sb(&m, "What changed:\n\n");
    int items = 0;
    for (int i = 0; i < nfail; i++) {
        if (!fails[i].is_new)
            continue;
        sb(&h, "<li><span class=\"bad\">NEW FAILURE</span> <a href=\"#failures\">");
        sb_esc(&h, fails[i].backend);
        sb(&h, " ");
        sb_esc(&h, fails[i].what);
        sb(&h, "</a></li>\n");
        sb(&m, "- **NEW FAILURE** [%s %s](#failures)\n", fails[i].backend, fails[i].what);
        items++;
    }
    if (c->have_cmp)
        for (size_t i = 0; i < c->cmp.n_t && items < 12; i++) {
            const qcts_cmp_timing *t = &c->cmp.t[i];
            if (t->verdict != QCTS_CMP_REGRESSION)
                continue;
            sb(&h, "<li><span class=\"bad\">REGRESSION</span> <a href=\"#regressions-since-the-baseline\">");
            sb_esc(&h, rpt_short_backend(t->backend));
            sb(&h, " %s %s %s t%d: %.1f%% slower (p = %.2g)</a></li>\n", t->op, t->scheme, t->shape, t->threads,
               100 * (t->ratio - 1), t->p);
            sb(&m, "- **REGRESSION** [%s %s %s %s t%d: %.1f%% slower](#regressions-since-the-baseline)\n",
               rpt_short_backend(t->backend), t->op, t->scheme, t->shape, t->threads, 100 * (t->ratio - 1));
            items++;
        }
    long old_fail = tot.fail - new_fail;
    if (old_fail > 0) {
        sb(&h, "<li><a href=\"#failures\">%ld failing case%s</a> that failed before too</li>\n", old_fail,
           old_fail == 1 ? "" : "s");
        sb(&m, "- [%ld failing case%s](#failures) that failed before too\n", old_fail, old_fail == 1 ? "" : "s");
        items++;
    }
    if (c->have_cmp && c->cmp.improvements) {
        sb(&h, "<li class=\"good\">%zu kernel%s faster than the baseline</li>\n", c->cmp.improvements,
           c->cmp.improvements == 1 ? "" : "s");
        sb(&m, "- %zu kernel%s faster than the baseline\n", c->cmp.improvements, c->cmp.improvements == 1 ? "" : "s");
        items++;
    }
    if (c->have_cmp && c->cmp.cannot) {
        sb(&h, "<li>%zu timing%s not judged: fewer than 3 repetitions on a side</li>\n", c->cmp.cannot,
           c->cmp.cannot == 1 ? "" : "s");
        sb(&m, "- %zu timing%s not judged: fewer than 3 repetitions on a side\n", c->cmp.cannot,
           c->cmp.cannot == 1 ? "" : "s");
        items++;
    }
    if (!c->have_cmp) {
        sb(&h, "<li>timings: %s</li>\n", c->cmp_err[0] ? c->cmp_err : "no baseline bench run to compare with");
        sb(&m, "- timings: %s\n", c->cmp_err[0] ? c->cmp_err : "no baseline bench run to compare with");
        items++;
    }
    if (!items) {
        sb(&h, "<li class=\"good\">nothing: no new failure, no regression</li>\n");
        sb(&m, "- nothing: no new failure, no regression\n");
    }
    if (busy) {
        sb(&h, "<li>bench run on a busy machine: ");
        sb_esc(&h, warning);
        sb(&h, "</li>\n");
        sb(&m, "- bench run on a busy machine: %s\n", warning);
    } else if (!isnan(load)) {
        sb(&h, "<li class=\"small\">bench machine calm: load %.2f, other processes %.0f%% of the CPUs</li>\n", load,
           100 * other);
        sb(&m, "- bench machine calm: load %.2f, other processes %.0f%% of the CPUs\n", load, 100 * other);
    }
    if (checks[0] && strcmp(checks, "ok") != 0) {
        sb(&h, "<li><a href=\"#host-roofline-probed-in-the-bench-run\">roofline self-checks failed</a>: ");
        sb_esc(&h, checks);
        sb(&h, "</li>\n");
        sb(&m, "- [roofline self-checks failed](#host-roofline-probed-in-the-bench-run): %s\n", checks);
    }
    sb(&h, "</ul>\n</div>\n");
    sb(&m, "\n");

    /* ---- right column: throughput in % of ceiling with trends ---- */
    sb(&h, "<div>\n<h4>Throughput against the ceiling of the level the data comes from "
           "(<a href=\"#kernels\">all kernels</a>)</h4>\n");
    sb(&m, "Throughput in %% of the ceiling of the level the data comes from ([all kernels](#kernels)):\n\n"
           "| kernel | %% of ceiling | ceiling | trend |\n|---|---|---|---|\n");
    int nb = 0;
    if (c->bench[0]) {
        /* one backend of an alias pair (same variant on every kernel) */
        st = rpt_prep(c, "SELECT m.backend, m.op, m.scheme, m.shape_set, m.shape, m.threads, m.cold, m.roof_fraction, "
                         "coalesce(m.roof_kind, ''), m.m FROM measurement m JOIN run r ON r.id = m.run_id AND r.uuid = ?1 "
                         "WHERE m.status = 'ok' AND m.backend <> 'ref' AND m.roof_fraction IS NOT NULL AND NOT "
                         NOT_ALIAS " "
                         "ORDER BY m.op, m.m > 1, m.scheme, m.shape, m.backend, m.threads LIMIT 14");
        if (!st)
            return;
        sqlite3_bind_text(st, 1, c->bench, -1, SQLITE_TRANSIENT);
        sbuf rowsb = { 0 };
        while (sqlite3_step(st) == SQLITE_ROW) {
            double fr = sqlite3_column_double(st, 7);
            char label[256];
            snprintf(label, sizeof label, "%s %s %s %s%s", rpt_short_backend(rpt_txt(st, 0)),
                     strcmp(rpt_txt(st, 1), "gemm") == 0 && sqlite3_column_int64(st, 9) == 1 ? "gemv" : rpt_txt(st, 1),
                     rpt_txt(st, 2), rpt_txt(st, 4), sqlite3_column_int(st, 5) > 1 ? " mt" : "");
            double y = 4 + nb * 22;
            double w = 190 * fmin(fr, 1.0);
            const char *col = fr > 1 ? "#d62728" : fr >= 0.5 ? "#2ca02c" : fr >= 0.25 ? "#e0a000" : "#8c8c8c";
            sb(&rowsb, "<text x=\"0\" y=\"%.0f\">", y + 13);
            sb_esc(&rowsb, label);
            sb(&rowsb, "</text><rect x=\"250\" y=\"%.0f\" width=\"190\" height=\"16\" fill=\"#eee\"/>"
                       "<rect x=\"250\" y=\"%.0f\" width=\"%.1f\" height=\"16\" fill=\"%s\"/>"
                       "<text x=\"446\" y=\"%.0f\"%s>%.0f%%%s <tspan fill=\"#777\">",
               y, y, w, col, y + 13, fr > 1 ? " fill=\"#d62728\" font-weight=\"bold\"" : "", 100 * fr,
               fr > 1 ? " !" : "");
            sb_esc(&rowsb, rpt_txt(st, 8));
            sb(&rowsb, "</tspan></text>");
            sb(&rowsb, "<title>");
            sb_esc(&rowsb, rpt_txt(st, 8));
            sb(&rowsb, "</title>");
            double v[10];
            history(c, rpt_txt(st, 0), rpt_txt(st, 1), rpt_txt(st, 2), rpt_txt(st, 3), rpt_txt(st, 4),
                    sqlite3_column_int(st, 5), sqlite3_column_int(st, 6), v, 10);
            sb(&rowsb, "<g transform=\"translate(645 %.0f)\">", y - 1);
            spark(&rowsb, v, 10);
            sb(&rowsb, "</g>\n");
            char bar[32] = "";
            int full = (int)lround(10 * fmin(fr, 1.0));
            size_t bl = 0;
            for (int i = 0; i < 10; i++)
                bl += (size_t)snprintf(bar + bl, sizeof bar - bl, "%s", i < full ? "#" : ".");
            int nv = 0;
            for (int i = 0; i < 10; i++)
                nv += !isnan(v[i]);
            double first = NAN, last = NAN;
            for (int i = 0; i < 10; i++)
                if (!isnan(v[i])) {
                    if (isnan(first))
                        first = v[i];
                    last = v[i];
                }
            char trend[64];
            if (nv >= 2)
                snprintf(trend, sizeof trend, "%+.0f%% over %d runs", 100 * (last / first - 1), nv);
            else
                snprintf(trend, sizeof trend, "first run");
            sb(&m, "| %s | `%s` %.0f%%%s | %s | %s |\n", label, bar, 100 * fr, fr > 1 ? " **ABOVE CEILING**" : "",
               rpt_txt(st, 8), trend);
            nb++;
        }
        sqlite3_finalize(st);
        if (nb)
            sb(&h, "<svg width=\"100%%\" viewBox=\"0 0 740 %d\" role=\"img\" style=\"margin:0;max-width:740px\" "
                   "font-family=\"sans-serif\" font-size=\"11\">\n%s</svg>\n", nb * 22 + 8,
               rowsb.s ? rowsb.s : "");
        if (rowsb.oom)
            h.oom = 1;
        free(rowsb.s);
        sb(&h, "<p class=\"small\">Bar: %% of the ceiling (green &ge; 50%%, amber &ge; 25%%, red: above the ceiling, "
               "flagged &ldquo;!&rdquo; &mdash; see <a href=\"#kernels\">Kernels</a>). Line: throughput over the "
               "last 10 bench runs of this host.</p>\n");
    }
    if (!nb) {
        sb(&h, "<p class=\"small\">No timed kernel (run <code>qcts bench</code>).</p>\n");
        sb(&m, "| (no bench run) | - | - | - |\n");
    }
    sb(&m, "\n");

    /* ---- hardware comparison: the same kernel and shape on every host ---- */
    sb(&h, "<h4>Hardware comparison: the newest timing of each kernel on every host</h4>\n");
    sb(&m, "Hardware comparison (the newest timing of each kernel on every host, GB/s or GFLOP/s):\n\n");
    char hosts[4][128];
    int hid[4], nh = 0;
    st = rpt_prep(c, "SELECT h.id, coalesce(h.cpu_model, '?') || ' (' || coalesce(h.cores, '?') || ' cpus)' FROM host h "
                     "WHERE h.id IN (SELECT host_id FROM run WHERE kind = 'bench') ORDER BY (SELECT max(started_at) "
                     "FROM run r WHERE r.host_id = h.id AND r.kind = 'bench') DESC LIMIT 4");
    if (!st)
        return;
    while (sqlite3_step(st) == SQLITE_ROW && nh < 4) {
        hid[nh] = sqlite3_column_int(st, 0);
        snprintf(hosts[nh++], sizeof hosts[0], "#%d %s", sqlite3_column_int(st, 0), rpt_txt(st, 1));
    }
    sqlite3_finalize(st);
    if (nh && c->bench[0]) {
        sb(&h, "<table>\n<tr><th>kernel</th>");
        sb(&m, "| kernel |");
        for (int i = 0; i < nh; i++) {
            sb(&h, "<th>");
            sb_esc(&h, hosts[i]);
            sb(&h, "</th>");
            sb(&m, " %s |", hosts[i]);
        }
        sb(&h, "</tr>\n");
        sb(&m, "\n|---|");
        for (int i = 0; i < nh; i++)
            sb(&m, "---:|");
        sb(&m, "\n");
        st = rpt_prep(c, "SELECT m.backend, m.op, m.scheme, m.shape_set, m.shape, m.threads, m.cold, m.m FROM measurement m "
                         "JOIN run r ON r.id = m.run_id AND r.uuid = ?1 WHERE m.status = 'ok' AND m.backend <> 'ref' "
                         "AND NOT " NOT_ALIAS " ORDER BY m.op, m.m > 1, m.scheme, m.shape, m.backend LIMIT 6");
        if (!st)
            return;
        sqlite3_bind_text(st, 1, c->bench, -1, SQLITE_TRANSIENT);
        while (sqlite3_step(st) == SQLITE_ROW) {
            int gemm_mk = strcmp(rpt_txt(st, 1), "gemm") == 0 && sqlite3_column_int64(st, 7) > 1;
            char label[256];
            /* M = 1 is a GEMV: named as in the bars above */
            const char *opname = strcmp(rpt_txt(st, 1), "gemm") == 0 && sqlite3_column_int64(st, 7) == 1 ? "gemv"
                                                                                                         : rpt_txt(st, 1);
            snprintf(label, sizeof label, "%s %s %s %s t%d%s", rpt_short_backend(rpt_txt(st, 0)), opname,
                     rpt_txt(st, 2), rpt_txt(st, 4), sqlite3_column_int(st, 5), sqlite3_column_int(st, 6) ? " cold" : "");
            sb(&h, "<tr><td>");
            sb_esc(&h, label);
            sb(&h, "</td>");
            sb(&m, "| %s |", label);
            for (int i = 0; i < nh; i++) {
                sqlite3_stmt *q = rpt_prep(c, "SELECT m.gbs, m.gflops, m.roof_fraction FROM measurement m JOIN run r "
                                              "ON r.id = m.run_id WHERE r.host_id = ?1 AND m.backend = ?2 AND m.op = ?3 "
                                              "AND m.scheme = ?4 AND m.shape_set = ?5 AND m.shape = ?6 AND m.threads = ?7 "
                                              "AND m.cold = ?8 AND m.status = 'ok' ORDER BY r.started_at DESC LIMIT 1");
                if (!q)
                    return;
                sqlite3_bind_int(q, 1, hid[i]);
                for (int k = 0; k < 5; k++)
                    sqlite3_bind_text(q, 2 + k, rpt_txt(st, k), -1, SQLITE_TRANSIENT);
                sqlite3_bind_int(q, 7, sqlite3_column_int(st, 5));
                sqlite3_bind_int(q, 8, sqlite3_column_int(st, 6));
                char cell[64] = "-";
                if (sqlite3_step(q) == SQLITE_ROW)
                    snprintf(cell, sizeof cell, "%.2f %s (%.0f%%)", sqlite3_column_double(q, gemm_mk ? 1 : 0),
                             gemm_mk ? "GFLOP/s" : "GB/s", 100 * sqlite3_column_double(q, 2));
                sqlite3_finalize(q);
                sb(&h, "<td class=\"r\">%s</td>", cell);
                sb(&m, " %s |", cell);
            }
            sb(&h, "</tr>\n");
            sb(&m, "\n");
        }
        sqlite3_finalize(st);
        sb(&h, "</table>\n");
        if (nh == 1) {
            sb(&h, "<p class=\"small\">One host in the database: <code>qcts db merge</code> the databases of other "
                   "machines to compare them here.</p>\n");
            sb(&m, "\nOne host in the database: `qcts db merge` the databases of other machines to compare them here.\n");
        }
    } else {
        sb(&h, "<p class=\"small\">No bench run is stored.</p>\n");
        sb(&m, "No bench run is stored.\n");
    }
    sb(&h, "</div>\n</div>\n");
    if (h.oom || m.oom)
        c->d.oom = 1;
    doc_raw(&c->d, h.s, m.s);
}
