/* Suite norm_softmax: reference softmax with temperature (qref/norm.h) and
 * its bound.
 *  - known answers: uniform rows give 1/n exactly, -inf logits give 0, a
 *    row of all -inf (or with +inf or NaN) gives NaN; two logits [0, ln 3]
 *    give [1/4, 3/4];
 *  - the bound both ways over rows of length 1 .. 50000 with logits up to
 *    ±1000 and temperatures 0.3 .. 2: float32 kernels computing
 *    exp((x − m)/T) or exp(x/T − m/T), summing forward, pairwise or in 8
 *    lanes, dividing or multiplying by the reciprocal, an exp 4 ulps off, PASS; no max
 *    subtraction (overflow on large logits), a bf16 accumulator, and T
 *    applied as a multiplier FAIL. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "qref/fmt.h"
#include "qref/norm.h"
#include "qtest.h"

static uint64_t sm64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double unif(uint64_t *s) { return (double)(sm64(s) >> 11) * 0x1p-53 * 2.0 - 1.0; }

static void test_softmax_known(void)
{
    qref_softmax_params p = { 4, 1.0, QREF_FMT_F32, QREF_FMT_F32 };
    double x[4] = { 2.5, 2.5, 2.5, 2.5 }, y[4];
    float bd[4];
    CU_ASSERT_EQUAL(qref_softmax_row(&p, x, y, bd), QREF_OK);
    CU_ASSERT_EQUAL(y[0], 0.25);
    CU_ASSERT_EQUAL(y[3], 0.25);
    x[1] = -INFINITY;
    x[3] = -INFINITY;
    CU_ASSERT_EQUAL(qref_softmax_row(&p, x, y, bd), QREF_OK);
    CU_ASSERT_EQUAL(y[0], 0.5);
    CU_ASSERT_EQUAL(y[1], 0.0);
    CU_ASSERT(!signbit(y[1]));
    for (int i = 0; i < 4; i++)
        x[i] = -INFINITY;
    CU_ASSERT_EQUAL(qref_softmax_row(&p, x, y, bd), QREF_OK);
    CU_ASSERT(isnan(y[0]) && isnan(y[3]) && bd[0] == 0.0f);
    x[0] = 1, x[1] = INFINITY, x[2] = 0, x[3] = 0;
    CU_ASSERT_EQUAL(qref_softmax_row(&p, x, y, bd), QREF_OK);
    CU_ASSERT(isnan(y[2]));
    p.n = 2;
    double x2[2] = { 0.0, log(3.0) };
    CU_ASSERT_EQUAL(qref_softmax_row(&p, x2, y, bd), QREF_OK);
    CU_ASSERT(fabs(y[0] - 0.25) <= bd[0] && fabs(y[1] - 0.75) <= bd[1]);
    p.temperature = 0;
    CU_ASSERT_EQUAL(qref_softmax_row(&p, x2, y, bd), QREF_ERR_ARG);
}

enum { S_SUB, S_DIVT, S_PAIR, S_LANES_RCP, S_EXP_ULPS, S_NOMAX, S_BF16ACC, S_MULT };

static float sumf(const float *v, int64_t n, int how)
{
    if (how == S_PAIR) {
        if (n <= 2)
            return n == 1 ? v[0] : v[0] + v[1];
        return sumf(v, n / 2, how) + sumf(v + n / 2, n - n / 2, how);
    }
    if (how == S_LANES_RCP) {
        float l[8] = { 0 };
        for (int64_t i = 0; i < n; i++)
            l[i & 7] += v[i];
        return ((l[0] + l[4]) + (l[1] + l[5])) + ((l[2] + l[6]) + (l[3] + l[7]));
    }
    float s = 0;
    for (int64_t i = 0; i < n; i++)
        s = how == S_BF16ACC ? (float)qref_rowop_round(QREF_FMT_BF16, s + v[i]) : s + v[i];
    return s;
}

static void kernel(const qref_softmax_params *p, const double *x, int how, float *y)
{
    int64_t n = p->n;
    float T = (float)p->temperature, m = -INFINITY, *e = malloc((size_t)n * 4);
    for (int64_t i = 0; i < n; i++)
        m = (float)x[i] > m ? (float)x[i] : m;
    for (int64_t i = 0; i < n; i++) {
        float xi = (float)x[i];
        switch (how) {
        case S_DIVT: e[i] = expf(xi / T - m / T); break;
        case S_NOMAX: e[i] = expf(xi / T); break;
        case S_MULT: e[i] = expf((xi - m) * T); break;
        case S_EXP_ULPS:   /* an exp 4 ulps high (<= 8u, what the bound allows) */
            e[i] = expf((xi - m) / T);
            for (int k = 0; k < 4 && e[i] > 0; k++)
                e[i] = nextafterf(e[i], INFINITY);
            break;
        default: e[i] = expf((xi - m) / T); break;
        }
    }
    float s = sumf(e, n, how), rcp = 1.0f / s;
    for (int64_t i = 0; i < n; i++)
        y[i] = (float)qref_rowop_round(p->out_dtype, how == S_LANES_RCP ? e[i] * rcp : e[i] / s);
    free(e);
}

static long violations(int64_t n, double scale, double T, qref_fmt in, qref_fmt out, int how, uint64_t seed,
                       double *worst)
{
    qref_softmax_params p = { n, T, in, out };
    double *x = malloc((size_t)n * 8), *y = malloc((size_t)n * 8);
    float *bd = malloc((size_t)n * 4), *yk = malloc((size_t)n * 4);
    uint64_t s = seed;
    for (int64_t i = 0; i < n; i++)
        x[i] = qref_rowop_round(in, scale * unif(&s));
    if (n > 3)
        x[n / 3] = -INFINITY;
    long bad = 0;
    if (qref_softmax_row(&p, x, y, bd) != QREF_OK)
        bad = -1;
    kernel(&p, x, how, yk);
    for (int64_t i = 0; bad >= 0 && i < n; i++) {
        double e = fabs((double)yk[i] - y[i]);
        if (!(e <= bd[i]) && !(isnan(y[i]) && isnan(yk[i])))
            bad++;
        else if (worst && bd[i] > 0 && e / bd[i] > *worst)
            *worst = e / bd[i];
    }
    free(x), free(y), free(bd), free(yk);
    return bad;
}

static void test_softmax_bound_correct_pass(void)
{
    static const struct { int64_t n; double scale, T; qref_fmt in, out; } C[] = {
        { 1, 3.0, 1.0, QREF_FMT_F32, QREF_FMT_F32 },
        { 7, 10.0, 0.3, QREF_FMT_F32, QREF_FMT_F32 },
        { 4096, 5.0, 1.0, QREF_FMT_F32, QREF_FMT_F32 },
        { 50000, 20.0, 0.7, QREF_FMT_BF16, QREF_FMT_F32 },
        { 1000, 1000.0, 1.0, QREF_FMT_F32, QREF_FMT_F32 },
        { 333, 3.0, 2.0, QREF_FMT_F16, QREF_FMT_F16 },
        { 2048, 8.0, 1.0, QREF_FMT_BF16, QREF_FMT_BF16 },
    };
    static const int good[] = { S_SUB, S_DIVT, S_PAIR, S_LANES_RCP, S_EXP_ULPS };
    double worst = 0;
    for (size_t c = 0; c < sizeof C / sizeof C[0]; c++)
        for (size_t k = 0; k < 5; k++) {
            long v = violations(C[c].n, C[c].scale, C[c].T, C[c].in, C[c].out, good[k], 77 + c, &worst);
            QCHECK(v == 0, "case %zu kernel %d: %ld elements outside the bound", c, good[k], v);
        }
    printf("\n  softmax: worst error / bound of the correct float32 kernels: %.3g\n", worst);
}

static void test_softmax_bound_wrong_fail(void)
{
    QCHECK(violations(100, 200.0, 1.0, QREF_FMT_F32, QREF_FMT_F32, S_NOMAX, 5, NULL) > 0,
           "softmax without max subtraction passed on logits up to 200");
    QCHECK(violations(20000, 2.0, 1.0, QREF_FMT_F32, QREF_FMT_F32, S_BF16ACC, 6, NULL) > 0,
           "a bf16 accumulator passed (f32 out)");
    QCHECK(violations(20000, 2.0, 1.0, QREF_FMT_BF16, QREF_FMT_BF16, S_BF16ACC, 6, NULL) > 0,
           "a bf16 accumulator passed (bf16 out)");
    QCHECK(violations(64, 4.0, 0.5, QREF_FMT_F32, QREF_FMT_BF16, S_MULT, 7, NULL) > 0,
           "temperature as a multiplier passed");
}

QTEST_SUITE(norm_softmax,
    QTEST(test_softmax_known),
    QTEST(test_softmax_bound_correct_pass),
    QTEST(test_softmax_bound_wrong_fail))
