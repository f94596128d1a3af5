/* qcts compare: regressions between two runs (db/include/qcts/compare.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/cmds.h"
#include "qcts/compare.h"
#include "qcts/db.h"
#include "qcts/db_bench.h"

static const char CMD[] = "compare";

const char qcts_help_compare[] =
    "usage: qcts compare [--baseline RUN] [--candidate RUN] [--threshold 5%]\n"
    "                    [--alpha 0.002] [--kind bench|check]\n"
    "                    [--baseline-host H] [--candidate-host H] [--db FILE]\n"
    "\n"
    "Compares two runs of the database. For bench runs, every measurement\n"
    "present (status ok) in both, matched on backend, op, scheme, shape set,\n"
    "shape, threads and cold: the ratio of medians (candidate / baseline, > 1 is\n"
    "slower) with a 95% bootstrap confidence interval, and the two-sided\n"
    "Mann-Whitney U test on the raw samples. A regression is significant\n"
    "(p < alpha) AND slower beyond the threshold; an improvement is significant\n"
    "and faster beyond it. For check runs: a case that passed in the baseline\n"
    "and fails (or errors) in the candidate is a conformance regression.\n"
    "\n"
    "RUN is a uuid, a unique uuid prefix, a tag (qcts db tag), 'latest' or\n"
    "'latest~N' (the N-th run of --kind before the newest; with --*-host, of\n"
    "that host).\n"
    "\n"
    "options:\n"
    "  --baseline RUN        default latest~1\n"
    "  --candidate RUN       default latest\n"
    "  --threshold T         slower by more than T (5%, 0.05) is a regression\n"
    "                        when significant (default 5%)\n"
    "  --alpha A             significance level of the U test (default 0.002)\n"
    "  --kind K              which runs latest~N counts: bench (default) or check\n"
    "  --baseline-host H     resolve the baseline among the runs of host H (id,\n"
    "  --candidate-host H    fingerprint prefix or a CPU model substring)\n"
    "  --db FILE             the results database (default db/qcts.db)\n"
    "\n"
    "exit status: 0 no regression; 1 a regression (timing or conformance), or\n"
    "the database or a run cannot be read; 2 usage error.\n";

enum { OPT_BASE, OPT_CAND, OPT_THRESH, OPT_ALPHA, OPT_KIND, OPT_BHOST, OPT_CHOST, OPT_DB, OPT_N };
static const qcts_opt opts[OPT_N] = {
    [OPT_BASE] = { "baseline", 0, 1 },
    [OPT_CAND] = { "candidate", 0, 1 },
    [OPT_THRESH] = { "threshold", 0, 1 },
    [OPT_ALPHA] = { "alpha", 0, 1 },
    [OPT_KIND] = { "kind", 0, 1 },
    [OPT_BHOST] = { "baseline-host", 0, 1 },
    [OPT_CHOST] = { "candidate-host", 0, 1 },
    [OPT_DB] = { "db", 0, 1 },
};

static const char *short_backend(const char *b)
{
    const char *s = strncmp(b, "plugin:", 7) == 0 ? strrchr(b, '/') : NULL;
    return s ? s + 1 : b;
}

static void brief(const char *what, const qcts_run_brief *b)
{
    printf("%-9s %s  %s  %s  commit %.12s%s  %s\n", what, b->uuid, b->kind, b->started_at,
           b->git_commit[0] ? b->git_commit : "-", b->git_dirty == 1 ? "+" : "", b->host);
}

int qcts_cmd_compare(int argc, char **argv)
{
    qcts_args a;
    int rc = qcts_args_parse(CMD, opts, OPT_N, argc, argv, &a);
    if (rc)
        return rc;
    if (a.help)
        return QCTS_EXIT_HELP;
    if (a.npos > 0)
        return qcts_usage(CMD, "unexpected argument '%s'", a.pos[0]);
    double threshold = 0.05, alpha = 0.002;
    if (a.value[OPT_THRESH] && qcts_parse_fraction(a.value[OPT_THRESH], &threshold))
        return qcts_usage(CMD, "--threshold needs a fraction like 5%% or 0.05, got '%s'", a.value[OPT_THRESH]);
    if (a.value[OPT_ALPHA] && (qcts_parse_fraction(a.value[OPT_ALPHA], &alpha) || alpha <= 0))
        return qcts_usage(CMD, "--alpha needs a probability in (0, 1), got '%s'", a.value[OPT_ALPHA]);
    const char *kind = a.value[OPT_KIND] ? a.value[OPT_KIND] : "bench";
    if (strcmp(kind, "bench") != 0 && strcmp(kind, "check") != 0)
        return qcts_usage(CMD, "--kind is bench or check, got '%s'", kind);
    const char *bspec = a.value[OPT_BASE] ? a.value[OPT_BASE] : "latest~1";
    const char *cspec = a.value[OPT_CAND] ? a.value[OPT_CAND] : "latest";
    const char *path = a.value[OPT_DB] ? a.value[OPT_DB] : QCTS_DB_DEFAULT_PATH;
    char err[QCTS_DB_ERRLEN];
    qcts_db *db;
    if (qcts_db_open(path, QCTS_DB_OPEN_EXISTING, &db, err, sizeof err) != 0)
        return qcts_fail(CMD, "%s", err);
    char bu[37], cu[37];
    qcts_comparison c;
    if (qcts_db_run_resolve(db, bspec, kind, a.value[OPT_BHOST], bu, err, sizeof err)
        || qcts_db_run_resolve(db, cspec, kind, a.value[OPT_CHOST], cu, err, sizeof err)
        || qcts_compare_runs(db, bu, cu, threshold, alpha, &c, err, sizeof err)) {
        qcts_db_close(db);
        return qcts_fail(CMD, "%s", err);
    }
    brief("baseline", &c.base);
    brief("candidate", &c.cand);
    if (strcmp(bu, cu) == 0)
        printf("note: baseline and candidate are the same run\n");
    printf("regression: p < %g (Mann-Whitney U, two-sided) and median ratio > %.4g\n\n", alpha, 1 + threshold);
    if (c.n_t) {
        printf("%-12s %-7s %-15s %-26s %3s %11s %11s %7s %-17s %9s  %s\n", "backend", "op", "scheme", "shape",
               "thr", "base us", "cand us", "ratio", "95% CI", "p", "verdict");
        for (size_t i = 0; i < c.n_t; i++) {
            const qcts_cmp_timing *t = &c.t[i];
            char shape[160], ci[40];
            snprintf(shape, sizeof shape, "%s/%s%s", t->shape_set, t->shape, t->cold ? " cold" : "");
            snprintf(ci, sizeof ci, "[%.3f, %.3f]", t->ci_lo, t->ci_hi);
            printf("%-12.12s %-7s %-15s %-26s %3d %11.2f %11.2f %7.3f %-17s %9.2g  %s\n", short_backend(t->backend),
                   t->op, t->scheme, shape, t->threads, t->base_median * 1e6, t->cand_median * 1e6, t->ratio, ci,
                   t->p, t->verdict == QCTS_CMP_REGRESSION ? "REGRESSION"
                         : t->verdict == QCTS_CMP_IMPROVEMENT ? "improved" : "unchanged");
        }
    } else {
        printf("no measurement is in both runs\n");
    }
    for (size_t i = 0; i < c.n_c; i++) {
        const qcts_cmp_case *k = &c.c[i];
        if (i == 0)
            printf("\nconformance changes:\n");
        printf("  %s %s %s/%s: %s -> %s%s%s\n", k->regression ? "REGRESSION" : "fixed     ", short_backend(k->backend),
               k->suite, k->case_id, k->base_verdict, k->cand_verdict, k->reason[0] ? ": " : "", k->reason);
    }
    printf("\nregressions: %zu improvements: %zu unchanged: %zu not in both: %zu conformance regressions: %zu "
           "fixed: %zu\n", c.regressions, c.improvements, c.unchanged, c.unmatched, c.conf_regressions, c.conf_fixed);
    rc = c.regressions || c.conf_regressions ? QCTS_EXIT_FAIL : QCTS_EXIT_OK;
    qcts_comparison_free(&c);
    qcts_db_close(db);
    return rc;
}
