/* qcts compare: regressions between two runs (db/include/qcts/compare.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/cmds.h"
#include "cli/paths.h"
#include "qcts/compare.h"
#include "qcts/db.h"
#include "qcts/db_bench.h"

static const char CMD[] = "compare";

const char qcts_help_compare[] =
    "usage: qcts compare [--baseline RUN] [--candidate RUN] [--threshold 5%]\n"
    "                    [--alpha 0.01] [--kind bench|check]\n"
    "                    [--baseline-host H] [--candidate-host H] [--no-floor]\n"
    "                    [--statistic min|median]\n"
    "                    [--db FILE]\n"
    "\n"
    "Compares two runs of the database. For bench runs, every measurement\n"
    "present (status ok) in both, matched on backend, op, scheme, shape set,\n"
    "shape, threads and cold. The unit is the REPETITION (qcts bench --repeat):\n"
    "samples of one repetition are correlated, so each side is reduced to one\n"
    "number per repetition, its minimum (--statistic min, the default) or its\n"
    "median. Reported: the ratio of the medians of those\n"
    "(candidate / baseline, > 1 is slower) with a 95% bootstrap confidence\n"
    "interval, and the exact two-sided Mann-Whitney U test on them. A regression\n"
    "is significant (p < alpha) AND slower than 1 + max(threshold, floor), where\n"
    "floor is this host's noise floor for the kernel (qcts bench\n"
    "--calibrate-noise; 0 when not calibrated); an improvement is significant\n"
    "and faster than 1 / (1 + max(threshold, floor)). With fewer than 3\n"
    "repetitions on a side, or too few to reach p < alpha at all, compare says\n"
    "it cannot judge that measurement. For check runs: a case that passed in\n"
    "the baseline and fails (or errors) in the candidate is a conformance\n"
    "regression.\n"
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
    "  --alpha A             significance level of the U test (default 0.01: 5\n"
    "                        repetitions per side reach it only when every\n"
    "                        candidate repetition is slower than every baseline one)\n"
    "  --kind K              which runs latest~N counts: bench (default) or check\n"
    "  --baseline-host H     resolve the baseline among the runs of host H (id,\n"
    "  --candidate-host H    fingerprint prefix or a CPU model substring)\n"
    "  --no-floor            ignore the stored noise floors (threshold alone)\n"
    "  --statistic S         what each repetition is reduced to: min (default:\n"
    "                        noise only adds time, so the minimum of a repetition\n"
    "                        resists a neighbour sharing the core for most of it)\n"
    "                        or median\n"
    "  --db FILE             the results database (default db/qcts.db)\n"
    "\n"
    "exit status: 0 no regression; 1 a regression (timing or conformance), or\n"
    "the database or a run cannot be read; 2 usage error; 3 no regression\n"
    "found, but at least one measurement could not be judged (too few\n"
    "repetitions): the answer is not a pass.\n";

enum { OPT_BASE, OPT_CAND, OPT_THRESH, OPT_ALPHA, OPT_KIND, OPT_BHOST, OPT_CHOST, OPT_DB, OPT_NOFLOOR, OPT_STAT, OPT_N };
static const qcts_opt opts[OPT_N] = {
    [OPT_BASE] = { "baseline", 0, 1 },
    [OPT_CAND] = { "candidate", 0, 1 },
    [OPT_THRESH] = { "threshold", 0, 1 },
    [OPT_ALPHA] = { "alpha", 0, 1 },
    [OPT_KIND] = { "kind", 0, 1 },
    [OPT_BHOST] = { "baseline-host", 0, 1 },
    [OPT_CHOST] = { "candidate-host", 0, 1 },
    [OPT_DB] = { "db", 0, 1 },
    [OPT_NOFLOOR] = { "no-floor", 0, 0 },
    [OPT_STAT] = { "statistic", 0, 1 },
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
    double threshold = 0.05, alpha = 0.01;
    if (a.value[OPT_THRESH] && qcts_parse_fraction(a.value[OPT_THRESH], &threshold))
        return qcts_usage(CMD, "--threshold needs a fraction like 5%% or 0.05, got '%s'", a.value[OPT_THRESH]);
    if (a.value[OPT_ALPHA] && (qcts_parse_fraction(a.value[OPT_ALPHA], &alpha) || alpha <= 0))
        return qcts_usage(CMD, "--alpha needs a probability in (0, 1), got '%s'", a.value[OPT_ALPHA]);
    const char *stat = a.value[OPT_STAT] ? a.value[OPT_STAT] : "min";
    if (strcmp(stat, "median") != 0 && strcmp(stat, "min") != 0)
        return qcts_usage(CMD, "--statistic is median or min, got '%s'", stat);
    const char *kind = a.value[OPT_KIND] ? a.value[OPT_KIND] : "bench";
    if (strcmp(kind, "bench") != 0 && strcmp(kind, "check") != 0)
        return qcts_usage(CMD, "--kind is bench or check, got '%s'", kind);
    const char *bspec = a.value[OPT_BASE] ? a.value[OPT_BASE] : "latest~1";
    const char *cspec = a.value[OPT_CAND] ? a.value[OPT_CAND] : "latest";
    const char *path = a.value[OPT_DB] ? a.value[OPT_DB] : qcts_db_default();
    char err[QCTS_DB_ERRLEN];
    qcts_db *db;
    if (qcts_db_open(path, QCTS_DB_OPEN_EXISTING, &db, err, sizeof err) != 0)
        return qcts_fail(CMD, "%s", err);
    char bu[37], cu[37];
    qcts_comparison c;
    qcts_cmp_opts co = { .threshold = threshold, .alpha = alpha, .use_floor = !a.value[OPT_NOFLOOR],
                         .use_min = strcmp(stat, "min") == 0 };
    if (qcts_db_run_resolve(db, bspec, kind, a.value[OPT_BHOST], bu, err, sizeof err)
        || qcts_db_run_resolve(db, cspec, kind, a.value[OPT_CHOST], cu, err, sizeof err)
        || qcts_compare_runs(db, bu, cu, &co, &c, err, sizeof err)) {
        qcts_db_close(db);
        return qcts_fail(CMD, "%s", err);
    }
    brief("baseline", &c.base);
    brief("candidate", &c.cand);
    if (strcmp(bu, cu) == 0)
        printf("note: baseline and candidate are the same run\n");
    printf("regression: p < %g (Mann-Whitney U on repetition %ss, two-sided) and ratio > 1 + "
           "max(%.4g, the host's noise floor)\n", alpha, stat, threshold);
    printf("noise floor: %s\n\n", c.floors ? "calibrated for some kernels (column floor%)"
                                           : "not calibrated on this host (qcts bench --calibrate-noise RUNS)");
    if (c.n_t) {
        printf("%-12s %-7s %-15s %-26s %3s %5s %11s %11s %7s %-17s %9s %6s  %s\n", "backend", "op", "scheme", "shape",
               "thr", "reps", "base us", "cand us", "ratio", "95% CI", "p", "floor%", "verdict");
        for (size_t i = 0; i < c.n_t; i++) {
            const qcts_cmp_timing *t = &c.t[i];
            char shape[160], ci[40], reps[24], fl[16];
            snprintf(shape, sizeof shape, "%s/%s%s", t->shape_set, t->shape, t->cold ? " cold" : "");
            snprintf(ci, sizeof ci, "[%.3f, %.3f]", t->ci_lo, t->ci_hi);
            snprintf(reps, sizeof reps, "%zu/%zu", t->n_base, t->n_cand);
            if (isnan(t->floor))
                snprintf(fl, sizeof fl, "-");
            else
                snprintf(fl, sizeof fl, "%.1f", 100 * t->floor);
            char verdict[200];
            if (t->verdict == QCTS_CMP_CANNOT)
                snprintf(verdict, sizeof verdict, "CANNOT JUDGE: %s", t->why);
            else
                snprintf(verdict, sizeof verdict, "%s", t->verdict == QCTS_CMP_REGRESSION ? "REGRESSION"
                                                        : t->verdict == QCTS_CMP_IMPROVEMENT ? "improved" : "unchanged");
            printf("%-12.12s %-7s %-15s %-26s %3d %5s %11.2f %11.2f %7.3f %-17s %9.2g %6s  %s\n",
                   short_backend(t->backend), t->op, t->scheme, shape, t->threads, reps, t->base_median * 1e6,
                   t->cand_median * 1e6, t->ratio, ci, t->p, fl, verdict);
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
    printf("\nregressions: %zu improvements: %zu unchanged: %zu cannot judge: %zu not in both: %zu conformance "
           "regressions: %zu fixed: %zu\n", c.regressions, c.improvements, c.unchanged, c.cannot, c.unmatched,
           c.conf_regressions, c.conf_fixed);
    if (c.cannot && !c.regressions && !c.conf_regressions)
        printf("cannot judge %zu measurement(s): run qcts bench with --repeat 5 or more on both sides\n", c.cannot);
    rc = c.regressions || c.conf_regressions ? QCTS_EXIT_FAIL : c.cannot ? 3 : QCTS_EXIT_OK;
    qcts_comparison_free(&c);
    qcts_db_close(db);
    return rc;
}
