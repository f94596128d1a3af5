/* Known answers for qcts/stats.h. The expected values were computed by hand
 * and checked with Python's statistics module and, for the Mann-Whitney
 * p-values, by enumerating all C(11, 5) = 462 splits of the pooled sample
 * (exact) or evaluating the tie-corrected normal formula independently. */
#include <math.h>

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

QTEST_SUITE(stats,
    QTEST(test_summary),
    QTEST(test_bootstrap),
    QTEST(test_mann_whitney_exact),
    QTEST(test_mann_whitney_ties))
