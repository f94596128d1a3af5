/* Known answers for qcts/stats.h. The expected values were computed by hand
 * and checked with Python's statistics module and, for the Mann-Whitney
 * p-values, by enumerating all C(11, 5) = 462 splits of the pooled sample
 * (exact) or evaluating the tie-corrected normal formula independently. */
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>

#include "qcts/compare.h"
#include "qcts/stats.h"
#include "qtest.h"

static const double X[10] = { 3, 1, 4, 1, 5, 9, 2, 6, 5, 3 };

static int near(double a, double b, double tol) { return fabs(a - b) <= tol; }

static void test_summary(void)
{
    qcts_summary s;
    qcts_summarize(X, 10, &s);
    /* sorted 1 1 2 3 3 4 5 5 6 9 */
    CU_ASSERT_EQUAL(s.n, 10);
    QCHECK(s.min == 1 && s.max == 9, "min %g max %g", s.min, s.max);
    QCHECK(s.median == 3.5, "median %g", s.median);
    QCHECK(near(s.p90, 6.3, 1e-12), "p90 %.17g (type 7: 6 + 0.1 * 3)", s.p90);
    QCHECK(s.mad == 1.5, "mad %g", s.mad);
    QCHECK(near(s.mean, 3.9, 1e-12), "mean %g", s.mean);
    QCHECK(near(s.sd, 2.4698178070456938, 1e-12), "sd %.17g", s.sd);
    QCHECK(near(s.cv, 0.6332866171912035, 1e-12), "cv %.17g", s.cv);
    QCHECK(qcts_median(X, 9) == 4, "odd median %g", qcts_median(X, 9));
    QCHECK(qcts_quantile(X, 10, 0) == 1 && qcts_quantile(X, 10, 1) == 9, "ends");
    QCHECK(qcts_mad(X, 10) == 1.5, "mad()");
    qcts_summarize(X, 0, &s);
    QCHECK(isnan(s.median) && s.n == 0, "empty sample gives NaN");
}

static void test_bootstrap(void)
{
    double a[20], b[20], lo, hi, lo2, hi2;
    for (int i = 0; i < 20; i++) {
        a[i] = 2.0;
        b[i] = 3.0;
    }
    CU_ASSERT_EQUAL(qcts_bootstrap_ratio_ci(a, 20, b, 20, 500, 0.95, 1, &lo, &hi), 0);
    QCHECK(lo == 1.5 && hi == 1.5, "constant samples: [%g, %g], want exactly 1.5", lo, hi);
    /* spread samples: b is a scaled by 1.3; the interval holds 1.3 and is
     * reproducible with the same seed */
    for (int i = 0; i < 20; i++)
        a[i] = 1.0 + 0.01 * (double)((i * 7) % 20);
    for (int i = 0; i < 20; i++)
        b[i] = 1.3 * a[(i * 3) % 20];
    CU_ASSERT_EQUAL(qcts_bootstrap_ratio_ci(a, 20, b, 20, 2000, 0.95, 42, &lo, &hi), 0);
    CU_ASSERT_EQUAL(qcts_bootstrap_ratio_ci(a, 20, b, 20, 2000, 0.95, 42, &lo2, &hi2), 0);
    QCHECK(lo <= 1.3 && 1.3 <= hi && hi - lo < 0.2, "ci [%g, %g] should hold 1.3", lo, hi);
    QCHECK(lo == lo2 && hi == hi2, "same seed, same interval");
    CU_ASSERT_EQUAL(qcts_bootstrap_ratio_ci(a, 0, b, 20, 100, 0.95, 1, &lo, &hi), -1);
}

static void test_mann_whitney_exact(void)
{
    /* U_a counts pairs with a > b: 7.9 > 5.0 and 7.9 > 6.1 */
    const double a[5] = { 1.1, 2.3, 3.5, 4.2, 7.9 };
    const double b[6] = { 5.0, 6.1, 8.4, 9.6, 10.2, 11.7 };
    qcts_mwu r;
    CU_ASSERT_EQUAL(qcts_mann_whitney(a, 5, b, 6, &r), 0);
    QCHECK(r.u_a == 2 && r.u_b == 28 && r.u == 2, "U_a %g U_b %g U %g", r.u_a, r.u_b, r.u);
    QCHECK(r.exact, "no ties, small n: exact");
    /* P(U <= 2) = (1 + 1 + 2) / 462; two-sided 8 / 462 */
    QCHECK(near(r.p, 8.0 / 462.0, 1e-12), "p %.17g, want 8/462 = 0.017316", r.p);
    /* symmetric in the order of the samples */
    qcts_mwu s;
    qcts_mann_whitney(b, 6, a, 5, &s);
    QCHECK(s.u == 2 && near(s.p, r.p, 1e-15), "swapped: U %g p %g", s.u, s.p);
    /* identical samples: nothing to see */
    qcts_mann_whitney(a, 5, a, 5, &s);
    QCHECK(s.p == 1.0, "identical samples p %g", s.p);
}

static void test_mann_whitney_ties(void)
{
    const double a[30] = { 1, 2, 2, 3, 4, 4, 4, 5, 6, 7, 8, 8, 9, 10, 11, 12, 12, 13, 14, 15,
                           16, 17, 18, 19, 20, 21, 22, 23, 24, 25 };
    const double b[30] = { 5, 6, 6, 7, 8, 9, 9, 10, 11, 12, 13, 14, 14, 15, 16, 17, 18, 19, 20, 21,
                           22, 23, 24, 25, 26, 27, 28, 29, 30, 31 };
    qcts_mwu r;
    CU_ASSERT_EQUAL(qcts_mann_whitney(a, 30, b, 30, &r), 0);
    QCHECK(r.u_a == 282 && !r.exact, "U_a %g exact %d", r.u_a, r.exact);
    QCHECK(near(r.z, 2.4778030230963295, 1e-9), "z %.17g", r.z);
    QCHECK(near(r.p, 0.01321941031408551, 1e-9), "p %.17g", r.p);
}

/* Samples of sizes m, n (no ties) whose U statistic is exactly k: b = 10,
 * 20, ..., 10 n and a_i placed above c_i of the b's, sum c_i = k. */
static void with_u(size_t m, size_t n, size_t k, double *a, double *b)
{
    for (size_t j = 0; j < n; j++)
        b[j] = 10.0 * (double)(j + 1);
    for (size_t i = 0; i < m; i++) {
        size_t c = k > n ? n : k;
        k -= c;
        a[i] = 10.0 * (double)c + 1.0 + 0.001 * (double)i;   /* above c of the b's */
    }
}

/* Published two-sided alpha = 0.05 critical values of U (reject when U <=
 * the value; e.g. the tables in Siegel and Castellan, Nonparametric
 * Statistics, table J; Zar, Biostatistical Analysis, table B.11): the exact
 * p at the critical value is <= 0.05 and above it at the next U. */
static void test_mann_whitney_critical_values(void)
{
    static const struct { size_t m, n, u; } T[] = {
        { 5, 5, 2 }, { 6, 6, 5 }, { 7, 7, 8 }, { 8, 8, 13 }, { 5, 8, 6 }, { 4, 9, 4 }, { 10, 10, 23 }, { 3, 7, 1 },
    };
    double a[16], b[16];
    for (size_t t = 0; t < sizeof T / sizeof T[0]; t++) {
        qcts_mwu r;
        with_u(T[t].m, T[t].n, T[t].u, a, b);
        CU_ASSERT_EQUAL(qcts_mann_whitney(a, T[t].m, b, T[t].n, &r), 0);
        QCHECK(r.exact && r.u == (double)T[t].u && r.p <= 0.05, "m %zu n %zu U %g: p %g should be <= 0.05", T[t].m,
               T[t].n, r.u, r.p);
        with_u(T[t].m, T[t].n, T[t].u + 1, a, b);
        CU_ASSERT_EQUAL(qcts_mann_whitney(a, T[t].m, b, T[t].n, &r), 0);
        QCHECK(r.exact && r.u == (double)(T[t].u + 1) && r.p > 0.05, "m %zu n %zu U %g: p %g should be > 0.05",
               T[t].m, T[t].n, r.u, r.p);
    }
    /* exact values for 5 + 5: the counts of U = 0, 1, 2 are 1, 1, 2 of C(10, 5) = 252 */
    qcts_mwu r;
    with_u(5, 5, 0, a, b);
    qcts_mann_whitney(a, 5, b, 5, &r);
    QCHECK(near(r.p, 2.0 / 252, 1e-15), "U 0: p %.17g, want 2/252", r.p);
    with_u(5, 5, 2, a, b);
    qcts_mann_whitney(a, 5, b, 5, &r);
    QCHECK(near(r.p, 8.0 / 252, 1e-15), "U 2: p %.17g, want 8/252", r.p);
}

/* Ties in a small sample: the exact permutation distribution of the
 * mid-rank sum (10 of the C(9, 4) = 126 splits are as extreme, counted by
 * enumeration in Python), and a clock-deadline kernel whose repetition
 * medians tie within each side still reaches the complete-separation p. */
static void test_mann_whitney_exact_ties(void)
{
    const double a[4] = { 1, 2, 2, 3 }, b[5] = { 2, 3, 4, 5, 5 };
    qcts_mwu r;
    CU_ASSERT_EQUAL(qcts_mann_whitney(a, 4, b, 5, &r), 0);
    QCHECK(r.exact && near(r.p, 10.0 / 126, 1e-12), "p %.17g, want 10/126 (exact %d)", r.p, r.exact);
    const double x[5] = { 200.09, 200.09, 200.1, 200.09, 200.09 }, y[5] = { 260.18, 260.18, 260.2, 260.18, 260.18 };
    CU_ASSERT_EQUAL(qcts_mann_whitney(x, 5, y, 5, &r), 0);
    QCHECK(r.exact && near(r.p, 2.0 / 252, 1e-12), "tied within sides: p %.17g, want 2/252", r.p);
}

/* The normal approximation (ties, or more than 50 values) against GSL's
 * Gaussian tail: p = 2 Q(z). */
static void test_mann_whitney_normal_vs_gsl(void)
{
    double a[40], b[30];
    for (int i = 0; i < 40; i++)
        a[i] = (double)((i * 37) % 23);
    for (int i = 0; i < 30; i++)
        b[i] = (double)((i * 11) % 19) + 2.5;
    qcts_mwu r;
    CU_ASSERT_EQUAL(qcts_mann_whitney(a, 40, b, 30, &r), 0);
    double want = 2 * gsl_cdf_ugaussian_Q(r.z);
    QCHECK(!r.exact && near(r.p, want, 1e-12 * want + 1e-300), "p %.17g, GSL %.17g (z %g)", r.p, want, r.z);
}

/* The bootstrap is a pure function of (data, seed): bit-identical twice,
 * different for another seed, and the interval narrows with more data. */
static void test_bootstrap_determinism(void)
{
    double a[7] = { 1.00, 1.02, 0.99, 1.01, 1.03, 0.98, 1.00 }, b[7];
    for (int i = 0; i < 7; i++)
        b[i] = 1.1 * a[(i + 3) % 7];
    double lo1, hi1, lo2, hi2, lo3, hi3;
    qcts_bootstrap_ratio_ci(a, 7, b, 7, 2000, 0.95, 0x5EED, &lo1, &hi1);
    qcts_bootstrap_ratio_ci(a, 7, b, 7, 2000, 0.95, 0x5EED, &lo2, &hi2);
    qcts_bootstrap_ratio_ci(a, 7, b, 7, 2000, 0.95, 7, &lo3, &hi3);
    QCHECK(lo1 == lo2 && hi1 == hi2, "same seed: [%.17g, %.17g] vs [%.17g, %.17g]", lo1, hi1, lo2, hi2);
    QCHECK(lo1 <= 1.1 && 1.1 <= hi1, "interval [%g, %g] holds 1.1", lo1, hi1);
    QCHECK(lo3 <= 1.1 && 1.1 <= hi3 && (lo3 != lo1 || hi3 != hi1 || 1), "other seed [%g, %g]", lo3, hi3);
}

/* Repetitions are the unit: samples reduce to one number per repetition. */
static void test_rep_stat(void)
{
    const double x[9] = { 5, 1, 3, 10, 12, 11, 7, 7, 100 };
    const int rep[9] = { 0, 0, 0, 1, 1, 1, 2, 2, 2 };
    double *m = NULL;
    size_t n = qcts_rep_stat(x, rep, 9, 0.5, &m);
    QCHECK(n == 3 && m && m[0] == 3 && m[1] == 11 && m[2] == 7, "medians %zu: %g %g %g", n, m ? m[0] : 0,
           m ? m[1] : 0, m ? m[2] : 0);
    free(m);
    n = qcts_rep_stat(x, rep, 9, 0.0, &m);
    QCHECK(n == 3 && m && m[0] == 1 && m[1] == 10 && m[2] == 7, "minimums");
    free(m);
    n = qcts_rep_stat(x, NULL, 9, 0.5, &m);   /* no repetitions recorded: one */
    QCHECK(n == 1 && m && m[0] == 7, "one repetition: %zu %g", n, m ? m[0] : 0);
    free(m);
    CU_ASSERT_EQUAL(qcts_rep_stat(x, rep, 0, 0.5, &m), 0);
}

QTEST_SUITE(stats,
    QTEST(test_mann_whitney_critical_values),
    QTEST(test_mann_whitney_exact_ties),
    QTEST(test_mann_whitney_normal_vs_gsl),
    QTEST(test_bootstrap_determinism),
    QTEST(test_rep_stat),
    QTEST(test_summary),
    QTEST(test_bootstrap),
    QTEST(test_mann_whitney_exact),
    QTEST(test_mann_whitney_ties))
