/* report_ctx.h — what the report's sections share (private to reports/). */
#ifndef QCTS_REPORTS_CTX_H
#define QCTS_REPORTS_CTX_H

#include <sqlite3.h>

#include "qcts/compare.h"
#include "qcts/reports.h"
#include "reports/src/doc.h"

#define RPT_MAX_BACKENDS 16

/* The check run used for one backend: its newest COMPLETE run (as many
 * results as the most any run of that vector set had for the backend), or
 * every backend of --check RUN. A run is a unit: one run, or every shard of
 * a run group (qcts check --shard I/N), complete only when all N shards
 * are stored. */
typedef struct chosen {
    char backend[256];
    char run[68], started[32]; /* the run's uuid, or its run group */
    long n;                    /* results of the backend in that run */
    char newer_partial[68];    /* a newer run that covered fewer cases ("" none) */
    char partial_why[96];      /* why the newer run is partial ("" none) */
    long newer_partial_n;
    char alias[256];           /* another backend that ran the same kernels here (shown once) */
} chosen;

typedef struct ctx {
    qcts_db *db;
    sqlite3 *h;
    const qcts_report_opts *o;
    doc d;
    char bench[37], check[37], bench_base[37];
    chosen ch[RPT_MAX_BACKENDS];
    int nch;
    qcts_comparison cmp;       /* bench run against its baseline */
    int have_cmp;
    char cmp_err[256];
    int failed;
    char err[512];
} ctx;

sqlite3_stmt *rpt_prep(ctx *c, const char *sql);
const char *rpt_txt(sqlite3_stmt *st, int i);
const char *rpt_short_backend(const char *b);

/* Picks the check run of each backend into c->ch and the temp table
 * temp.chosen (backend, run_id); aliases are left out of it. */
void rpt_choose_check_runs(ctx *c);
/* The first screen: verdict, matrix, what changed, throughput against the
 * ceiling with trends, hardware comparison. */
void rpt_glance(ctx *c);
/* The Fleet section: every host (filters and staleness from the options). */
void rpt_fleet(ctx *c);

#endif
