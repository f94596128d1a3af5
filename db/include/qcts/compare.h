/* qcts/compare.h — regressions between two runs of the database
 * (ARCHITECTURE.md "Database": `qcts compare`, and the regressions section
 * of `qcts report`).
 *
 * TIMINGS (bench runs)
 *   Measurements are matched on (backend, op, scheme, shape set, shape,
 *   threads, cold); only pairs with status ok on both sides are compared.
 *   For each pair, from the raw samples (seconds per call):
 *     ratio   median(candidate) / median(baseline) (> 1: slower)
 *     ci      95% percentile-bootstrap interval of the ratio (2000
 *             resamples, GSL mt19937, fixed seed: the same data always gives
 *             the same interval)
 *     p       two-sided Mann-Whitney U test (qcts/stats.h)
 *   A REGRESSION is p < alpha AND ratio > 1 + threshold; an IMPROVEMENT is
 *   p < alpha AND ratio < 1 - threshold; anything else is unchanged.
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

typedef struct qcts_cmp_timing {
    char backend[256], op[16], scheme[64], shape_set[64], shape[64];
    int64_t M, N, K;
    int threads, cold;
    size_t n_base, n_cand;
    double base_median, cand_median, ratio, ci_lo, ci_hi, p;
    int verdict;               /* QCTS_CMP_* */
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
    size_t regressions, improvements, unchanged, conf_regressions, conf_fixed;
    size_t unmatched;          /* ok measurements present on one side only */
} qcts_comparison;

/* Fills a run's brief from its uuid; 0 or -1. */
int qcts_run_brief_get(qcts_db *db, const char *uuid, qcts_run_brief *b, char *err, size_t errlen);

int qcts_compare_runs(qcts_db *db, const char *base_uuid, const char *cand_uuid, double threshold, double alpha,
                      qcts_comparison *out, char *err, size_t errlen);
void qcts_comparison_free(qcts_comparison *c);

#endif
