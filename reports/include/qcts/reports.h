/* qcts/reports.h — status reports generated from the results database
 * only (ARCHITECTURE.md "Reports"): reports/STATUS.md and
 * reports/status.html. Nothing in a report is typed by hand; both files
 * name the command that generated them.
 *
 * WHICH RUNS
 *   check run   --check RUN, else the newest check run: conformance matrix,
 *               failures, skips, accuracy table
 *   bench run   --run RUN, else the newest bench run: throughput, roofline,
 *               projected tokens/s
 *   baselines   --baseline RUN, else the bench run before the bench run;
 *               the check run before the check run: "regressions since the
 *               baseline" (qcts/compare.h: Mann-Whitney U p < alpha and a
 *               ratio beyond the threshold; conformance PASS -> FAIL)
 *   quality     the newest batch stored by `qcts quality --db`
 *
 * HTML: one self-contained file (inline CSS and SVG, no JavaScript, no
 * network): the same tables, a bar chart of throughput per backend and
 * scheme and line charts of kernels' history over bench runs.
 */
#ifndef QCTS_REPORTS_H
#define QCTS_REPORTS_H

#include <stddef.h>

#include "qcts/db.h"

typedef struct qcts_report_opts {
    const char *md_path;       /* NULL: no Markdown */
    const char *html_path;     /* NULL: no HTML */
    const char *run;           /* bench run spec, NULL: latest bench run */
    const char *check;         /* check run spec, NULL: latest check run */
    const char *baseline;      /* bench baseline spec, NULL: the bench run before */
    const char *command_line;  /* written into both files */
    double threshold, alpha;   /* regression rule (0.05, 0.002) */
    /* The Fleet section (every host of the store): */
    const char *hosts;         /* comma list of host ids ("3", "#3") or CPU/GPU
                                  substrings; NULL: every host */
    const char *backends;      /* comma list of backend names; NULL: all */
    const char *commits;       /* "A..B": only runs of `git rev-list A..B` */
    double stale_after_s;      /* a host whose newest bench run is older than
                                  the store's newest run by more is STALE
                                  (0 means the default, 7 days) */
} qcts_report_opts;

/* Writes the files (each atomically). 0, or -1 with err set. */
int qcts_report_write(qcts_db *db, const qcts_report_opts *o, char *err, size_t errlen);

#endif
