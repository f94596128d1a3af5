/* qcts/compare.h — regressions between two runs of the database
 * (ARCHITECTURE.md "Database": `qcts compare`, and the regressions section
 * of `qcts report`).
 *
 * TIMINGS (bench runs)
 *   Measurements are matched on (backend, op, scheme, shape set, shape,
 *   threads, cold); only pairs with status ok on both sides are compared.
 *   THE UNIT IS THE REPETITION: the samples of one repetition are
 *   correlated (same moment, same machine state), so each side is reduced
 *   to its repetition medians (sample.rep; a run from before repetitions
 *   counts as one repetition); with use_min, to the repetition minimums
 *   (timing noise only ever adds time: the minimum of a repetition shrugs
 *   off a neighbour that shares the core for part of it). For each pair:
 *     ratio   median(candidate rep medians) / median(baseline rep medians)
 *             (> 1: slower)
 *     ci      95% percentile-bootstrap interval of that ratio over the
 *             repetition medians (2000 resamples, GSL mt19937, fixed seed:
 *             the same data always gives the same interval)
 *     p       two-sided Mann-Whitney U test on the repetition medians
 *             (exact for small samples, qcts/stats.h)
 *     floor   this host's noise floor for the kernel (table noise_floor,
 *             from `qcts bench --calibrate-noise`: the largest |ratio - 1|
 *             seen between A/A runs); 0 when not calibrated
 *     limit   max(threshold, floor)
 *   CANNOT JUDGE: fewer than 3 repetitions on a side, or so few that even
 *   complete separation could not reach p < alpha (2 / C(na + nb, na) >=
 *   alpha). A REGRESSION is p < alpha AND ratio > 1 + limit; an
 *   IMPROVEMENT is p < alpha AND ratio < 1 / (1 + limit); anything else is
 *   unchanged.
 *
 * CONFORMANCE (check runs)
 *   Results are matched on (backend, suite, case id). A case that was PASS
 *   (or MISTRUSTED) in the baseline and is FAIL or ERROR in the candidate is
 *   a conformance regression; the reverse is "fixed".
 */
#ifndef QCTS_COMPARE_H
#define QCTS_COMPARE_H

#include <stddef.h>
#include <stdint.h>

#include "qcts/db.h"

#define QCTS_CMP_SAME 0
#define QCTS_CMP_REGRESSION 1
#define QCTS_CMP_IMPROVEMENT 2
#define QCTS_CMP_CANNOT 3
#define QCTS_CMP_MIN_REPS 3

typedef struct qcts_cmp_timing {
    char backend[256], op[16], scheme[64], shape_set[64], shape[64];
    int64_t M, N, K;
    int threads, cold;
    size_t n_base, n_cand;     /* repetitions on each side */
    double base_median, cand_median, ratio, ci_lo, ci_hi, p;
    double floor, limit;       /* noise floor (0: not calibrated), max(threshold, floor) */
    int verdict;               /* QCTS_CMP_* */
    char why[128];             /* CANNOT: why */
} qcts_cmp_timing;

typedef struct qcts_cmp_case {
    char backend[256], suite[128], case_id[32], op[16], scheme[64];
    char base_verdict[16], cand_verdict[16];
    char reason[512];          /* the candidate's reason */
    int regression;            /* 1 regression, 0 fixed */
} qcts_cmp_case;

typedef struct qcts_run_brief {
    char uuid[37], kind[8], started_at[32], git_commit[41], host[200];
    int git_dirty;
} qcts_run_brief;

typedef struct qcts_comparison {
    qcts_run_brief base, cand;
    double threshold, alpha;
    qcts_cmp_timing *t;
    size_t n_t;
    qcts_cmp_case *c;          /* conformance regressions and fixes only */
    size_t n_c;
    size_t regressions, improvements, unchanged, cannot, conf_regressions, conf_fixed;
    size_t floors;             /* pairs that had a calibrated noise floor */
    size_t unmatched;          /* ok measurements present on one side only */
} qcts_comparison;

/* Fills a run's brief from its uuid; 0 or -1. */
int qcts_run_brief_get(qcts_db *db, const char *uuid, qcts_run_brief *b, char *err, size_t errlen);

typedef struct qcts_cmp_opts {
    double threshold, alpha;   /* 0.05, 0.01 */
    int use_floor;             /* 0: ignore the stored noise floors (the calibration itself) */
    int use_min;               /* reduce each repetition to its minimum (qcts compare's and the
                                * report's default) instead of its median */
} qcts_cmp_opts;

int qcts_compare_runs(qcts_db *db, const char *base_uuid, const char *cand_uuid, const qcts_cmp_opts *o,
                      qcts_comparison *out, char *err, size_t errlen);
/* Reduces samples with their repetitions to one number per repetition,
 * quantile q of its samples (0.5 median, 0 minimum), in rep order; rep
 * NULL or all negative: one repetition. Returns the count (into a malloc'd
 * *out), 0 when empty or out of memory. */
size_t qcts_rep_stat(const double *x, const int *rep, size_t n, double q, double **out);
void qcts_comparison_free(qcts_comparison *c);

#endif
