/* qcts/stats.h — the statistics of the benchmark (bench/) and of the
 * regression check (qcts/compare.h, `qcts compare`, reports)
 * (ARCHITECTURE.md "Benchmarks", "Database").
 *
 * Every function copies its input before sorting; none keeps a pointer.
 * Quantiles use linear interpolation between order statistics (Hyndman and
 * Fan type 7, R's default and numpy's "linear"): q(p) = x[h] + (h - floor h)
 * (x[h+1] - x[h]) with h = (n - 1) p on the sorted sample, 0-based.
 * MAD is the raw median absolute deviation from the median (not scaled by
 * 1.4826). CV is the sample standard deviation (n - 1) over the mean.
 */
#ifndef QCTS_STATS_H
#define QCTS_STATS_H

#include <stddef.h>
#include <stdint.h>

typedef struct qcts_summary {
    size_t n;
    double min, max, median, mad, p90, mean, sd, cv;   /* NaN when n == 0 */
} qcts_summary;

double qcts_quantile(const double *x, size_t n, double p);
double qcts_median(const double *x, size_t n);
double qcts_mad(const double *x, size_t n);
void qcts_summarize(const double *x, size_t n, qcts_summary *s);

/* Percentile bootstrap confidence interval of median(b) / median(a):
 * `reps` resamples of each sample with replacement (GSL's mt19937 seeded
 * with `seed`, so the answer is reproducible), the ratio of the resampled
 * medians, and the (1-level)/2 and (1+level)/2 quantiles of those ratios.
 * Returns 0, or -1 when a sample is empty or a median is 0. */
int qcts_bootstrap_ratio_ci(const double *a, size_t na, const double *b, size_t nb, int reps, double level,
                            uint64_t seed, double *lo, double *hi);

/* Mann-Whitney U (Wilcoxon rank-sum) test of samples a and b, two-sided.
 *   u_a   = R_a - na (na + 1) / 2, R_a the rank sum of a in the pooled
 *           sample (ties get their mean rank); u_b = na nb - u_a
 *   u     = min(u_a, u_b)
 *   p     exact when na + nb <= 50: without ties, the null distribution
 *         of U counted by dynamic programming; with ties (repetition
 *         medians of a clock-deadline kernel tie), the permutation
 *         distribution of the mid-rank sum, p = P(|S - E S| >= |s - E S|),
 *         also by dynamic programming. Otherwise the normal
 *         approximation with the tie-corrected variance
 *             var = na nb / 12 ((n + 1) - sum(t^3 - t) / (n (n - 1)))
 *         and a continuity correction of 0.5: z = (|u_a - na nb / 2| - 0.5)
 *         / sqrt(var), p = erfc(z / sqrt 2) (capped at 1).
 *   exact 1 when p is exact. */
typedef struct qcts_mwu {
    double u_a, u_b, u, z, p;
    int exact;
} qcts_mwu;

int qcts_mann_whitney(const double *a, size_t na, const double *b, size_t nb, qcts_mwu *out);

#endif
