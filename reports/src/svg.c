/* Inline SVG charts (svg.h). */
#include "reports/src/svg.h"
#include "reports/src/sbuf.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const PALETTE[] = { "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                       "#9467bd", "#8c564b", "#e377c2", "#17becf" };

static const char *short_backend(const char *b)
{
    const char *s = strncmp(b, "plugin:", 7) == 0 ? strrchr(b, '/') : NULL;
    return s ? s + 1 : b;
}

static void bars(doc *d, sqlite3 *h, const char *run, const char *where, const char *metric, const char *unit,
                 const char *title)
{
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT m.backend, m.scheme, %s FROM measurement m JOIN run r ON r.id = m.run_id AND r.uuid = ? "
             "WHERE m.status = 'ok' AND %s ORDER BY m.scheme, m.backend", metric, where);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_text(st, 1, run, -1, SQLITE_TRANSIENT);
    /* group by (backend, scheme): median of the values */
    typedef struct g {
        char label[200];
        char scheme[64];
        double v[256];
        int n;
    } g;
    g *gs = calloc(64, sizeof *gs);
    int ng = 0;
    while (gs && sqlite3_step(st) == SQLITE_ROW) {
        char label[200];
        snprintf(label, sizeof label, "%s %s", short_backend((const char *)sqlite3_column_text(st, 0)),
                 (const char *)sqlite3_column_text(st, 1));
        int k = 0;
        while (k < ng && strcmp(gs[k].label, label) != 0)
            k++;
        if (k == ng) {
            if (ng == 64)
                continue;
            snprintf(gs[ng].label, sizeof gs[ng].label, "%s", label);
            snprintf(gs[ng].scheme, sizeof gs[ng].scheme, "%s", (const char *)sqlite3_column_text(st, 1));
            ng++;
        }
        if (gs[k].n < 256)
            gs[k].v[gs[k].n++] = sqlite3_column_double(st, 2);
    }
    sqlite3_finalize(st);
    if (!gs || ng == 0) {
        free(gs);
        return;
    }
    double vmax = 0, med[64];
    for (int k = 0; k < ng; k++) {
        /* median by insertion sort (n <= 256) */
        for (int i = 1; i < gs[k].n; i++)
            for (int j = i; j > 0 && gs[k].v[j - 1] > gs[k].v[j]; j--) {
                double t = gs[k].v[j];
                gs[k].v[j] = gs[k].v[j - 1];
                gs[k].v[j - 1] = t;
            }
        int n = gs[k].n;
        med[k] = n % 2 ? gs[k].v[n / 2] : 0.5 * (gs[k].v[n / 2 - 1] + gs[k].v[n / 2]);
        if (med[k] > vmax)
            vmax = med[k];
    }
    const int W = 900, L = 260, R = 90, BH = 18, GAP = 6, TOP = 30;
    int H = TOP + ng * (BH + GAP) + 10;
    sbuf b = { 0 };
    sb(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
           "font-family=\"sans-serif\" font-size=\"12\" role=\"img\">\n", W, H, W, H);
    sb(&b, "<title>");
    sb_esc(&b, title);
    sb(&b, "</title>\n<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", W, H);
    sb(&b, "<text x=\"4\" y=\"18\" font-weight=\"bold\">");
    sb_esc(&b, title);
    sb(&b, "</text>\n");
    const char *scheme_prev = "";
    int color = -1;
    for (int k = 0; k < ng; k++) {
        if (strcmp(scheme_prev, gs[k].scheme) != 0) {
            color = (color + 1) % 8;
            scheme_prev = gs[k].scheme;
        }
        int y = TOP + k * (BH + GAP);
        double w = vmax > 0 ? (double)(W - L - R) * med[k] / vmax : 0;
        sb(&b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", L - 6, y + BH - 5);
        sb_esc(&b, gs[k].label);
        sb(&b, "</text>\n<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>\n", L, y,
           w < 1 ? 1.0 : w, BH, PALETTE[color]);
        sb(&b, "<text x=\"%.1f\" y=\"%d\">%.2f %s</text>\n", L + (w < 1 ? 1.0 : w) + 4, y + BH - 5, med[k], unit);
    }
    sb(&b, "</svg>");
    free(gs);
    if (b.oom)
        d->oom = 1;
    doc_svg(d, b.s);
}

void svg_throughput_bars(doc *d, sqlite3 *h, const char *run)
{
    bars(d, h, run, "m.op = 'gemm' AND m.m = 1", "m.gbs", "GB/s",
         "GEMV throughput, GB/s (median over shapes) per backend and scheme");
    bars(d, h, run, "m.op = 'gemm' AND m.m > 1", "m.gflops", "GFLOP/s",
         "GEMM throughput, GFLOP/s (median over shapes) per backend and scheme");
    bars(d, h, run, "m.op = 'dequant'", "m.gbs", "GB/s",
         "Dequant throughput, GB/s (median over shapes) per backend and scheme");
}

void svg_history(doc *d, sqlite3 *h, const char *run)
{
    /* the kernels: up to 8 ok non-ref measurements of the run */
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(h, "SELECT m.backend, m.op, m.scheme, m.shape_set, m.shape, m.threads, m.cold "
                              "FROM measurement m JOIN run r ON r.id = m.run_id AND r.uuid = ? "
                              "WHERE m.status = 'ok' AND m.backend <> 'ref' ORDER BY m.id LIMIT 8", -1, &st, NULL)
        != SQLITE_OK)
        return;
    sqlite3_bind_text(st, 1, run, -1, SQLITE_TRANSIENT);
    typedef struct series {
        char label[256];
        double v[64];          /* median us per bench run index, NAN absent */
    } series;
    series *s = calloc(8, sizeof *s);
    int ns = 0;
    /* the bench runs up to and including run, oldest first (at most 64) */
    char runs[64][37];
    int nr = 0;
    sqlite3_stmt *rs;
    if (s && sqlite3_prepare_v2(h, "SELECT uuid FROM (SELECT p.uuid, p.started_at, p.id FROM run p, run r "
                                   "WHERE r.uuid = ? AND p.kind = 'bench' AND (p.started_at < r.started_at OR "
                                   "(p.started_at = r.started_at AND p.id <= r.id)) ORDER BY p.started_at DESC, "
                                   "p.id DESC LIMIT 64) ORDER BY started_at, id", -1, &rs, NULL) == SQLITE_OK) {
        sqlite3_bind_text(rs, 1, run, -1, SQLITE_TRANSIENT);
        while (sqlite3_step(rs) == SQLITE_ROW && nr < 64)
            snprintf(runs[nr++], 37, "%s", (const char *)sqlite3_column_text(rs, 0));
        sqlite3_finalize(rs);
    }
    sqlite3_stmt *q = NULL;
    if (s && sqlite3_prepare_v2(h, "SELECT m.median_s FROM measurement m JOIN run r ON r.id = m.run_id AND r.uuid = ?1 "
                                   "WHERE m.status = 'ok' AND m.backend = ?2 AND m.op = ?3 AND m.scheme = ?4 AND "
                                   "m.shape_set = ?5 AND m.shape = ?6 AND m.threads = ?7 AND m.cold = ?8",
                                -1, &q, NULL) != SQLITE_OK)
        q = NULL;
    int points = 0;
    while (q && sqlite3_step(st) == SQLITE_ROW && ns < 8) {
        series *x = &s[ns++];
        snprintf(x->label, sizeof x->label, "%s %s %s %s/%s t%d", short_backend((const char *)sqlite3_column_text(st, 0)),
                 sqlite3_column_text(st, 1), sqlite3_column_text(st, 2), sqlite3_column_text(st, 3),
                 sqlite3_column_text(st, 4), sqlite3_column_int(st, 5));
        for (int i = 0; i < nr; i++) {
            sqlite3_reset(q);
            sqlite3_bind_text(q, 1, runs[i], -1, SQLITE_TRANSIENT);
            for (int k = 0; k < 5; k++)
                sqlite3_bind_text(q, 2 + k, (const char *)sqlite3_column_text(st, k), -1, SQLITE_TRANSIENT);
            sqlite3_bind_int(q, 7, sqlite3_column_int(st, 5));
            sqlite3_bind_int(q, 8, sqlite3_column_int(st, 6));
            x->v[i] = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_double(q, 0) * 1e6 : NAN;
            points += !isnan(x->v[i]);
        }
    }
    sqlite3_finalize(q);
    sqlite3_finalize(st);
    if (ns == 0 || nr == 0) {
        free(s);
        return;
    }
    double vmax = 0;
    for (int k = 0; k < ns; k++)
        for (int i = 0; i < nr; i++)
            if (!isnan(s[k].v[i]) && s[k].v[i] > vmax)
                vmax = s[k].v[i];
    const int W = 900, H = 320 + 16 * ns, L = 70, R = 20, T = 30, PH = 240;
    sbuf b = { 0 };
    sb(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
           "font-family=\"sans-serif\" font-size=\"12\" role=\"img\">\n", W, H, W, H);
    sb(&b, "<title>History of kernels over bench runs</title>\n<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" "
           "fill=\"#ffffff\"/>\n", W, H);
    sb(&b, "<text x=\"4\" y=\"18\" font-weight=\"bold\">History: median us per call over the last %d bench runs "
           "(oldest left)</text>\n", nr);
    sb(&b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#444\"/>\n", L, T + PH, W - R, T + PH);
    sb(&b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#444\"/>\n", L, T, L, T + PH);
    for (int g = 0; g <= 4; g++) {
        double v = vmax * g / 4;
        int y = T + PH - (int)(PH * g / 4);
        sb(&b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#ddd\"/>\n", L, y, W - R, y);
        sb(&b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.1f</text>\n", L - 4, y + 4, v);
    }
    double dx = nr > 1 ? (double)(W - L - R) / (nr - 1) : 0;
    for (int k = 0; k < ns; k++) {
        sbuf pts = { 0 };
        for (int i = 0; i < nr; i++) {
            if (isnan(s[k].v[i]))
                continue;
            double x = L + (nr > 1 ? dx * i : (W - L - R) / 2.0);
            double y = T + PH - (vmax > 0 ? PH * s[k].v[i] / vmax : 0);
            sb(&pts, "%.1f,%.1f ", x, y);
            sb(&b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", x, y, PALETTE[k % 8]);
        }
        if (pts.s)
            sb(&b, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>\n", pts.s, PALETTE[k % 8]);
        free(pts.s);
        int ly = T + PH + 30 + 16 * k;
        sb(&b, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>\n<text x=\"%d\" y=\"%d\">", L, ly - 10,
           PALETTE[k % 8], L + 18, ly);
        sb_esc(&b, s[k].label);
        sb(&b, "</text>\n");
    }
    sb(&b, "</svg>");
    (void)points;
    free(s);
    if (b.oom)
        d->oom = 1;
    doc_svg(d, b.s);
}
