/* Suite norm: reference RMSNorm / LayerNorm (qref/norm.h) and their bound.
 *  - known answers (a zero row gives b exactly; [3, 4] RMS; LayerNorm of
 *    [1, 2, 3, 4]); the fused residual is RN_dtype(x + r);
 *  - the bound both ways, over rows of many lengths and magnitudes
 *    (tiny rows where eps matters, huge rows, rows with a large offset):
 *    float32 kernels in several summation orders (forward, backward,
 *    pairwise, 8 lanes), HF's order (normalized value rounded to the
 *    activation dtype before w), vLLM's fused add (mean square of the
 *    unrounded sum), a 1/sqrt 2 ulps off all PASS; eps outside the square root, a bf16
 *    accumulator, and LayerNorm's one-pass E[x²] − μ² FAIL. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static double gauss(uint64_t *s)
{
    double t = 0;
    for (int i = 0; i < 4; i++)
        t += (double)((int32_t)(sm64(s) >> 44) - (1 << 19)) * 0x1p-19;
    return t;
}

static void test_norm_known(void)
{
    qref_norm_params p = { QREF_NORM_RMS, 2, 1e-6, QREF_FMT_F32, QREF_FMT_F32 };
    double x[4] = { 0, 0 }, b[4] = { 1.5, -0.25 }, y[4], h[4];
    float bd[4];
    CU_ASSERT_EQUAL(qref_norm_row(&p, x, NULL, NULL, b, y, h, bd), QREF_OK);
    CU_ASSERT_EQUAL(y[0], 1.5);
    CU_ASSERT_EQUAL(y[1], -0.25);
    /* [3, 4]: ms = 12.5, y = x / sqrt(12.5 + 1e-6) */
    x[0] = 3, x[1] = 4;
    CU_ASSERT_EQUAL(qref_norm_row(&p, x, NULL, NULL, NULL, y, h, bd), QREF_OK);
    CU_ASSERT_EQUAL(y[0], (double)(float)(3.0 / sqrt(12.500001)));
    CU_ASSERT_EQUAL(y[1], (double)(float)(4.0 / sqrt(12.500001)));
    /* LayerNorm [1,2,3,4]: mu 2.5, var 1.25 */
    p.kind = QREF_NORM_LAYER;
    p.n = 4;
    p.eps = 1e-5;
    double x4[4] = { 1, 2, 3, 4 };
    CU_ASSERT_EQUAL(qref_norm_row(&p, x4, NULL, NULL, NULL, y, h, bd), QREF_OK);
    CU_ASSERT_EQUAL(y[0], (double)(float)(-1.5 / sqrt(1.25001)));
    CU_ASSERT_EQUAL(y[3], (double)(float)(1.5 / sqrt(1.25001)));
    /* residual: h = RN_f16(x + r) */
    p.dtype = QREF_FMT_F16;
    p.n = 1;
    double xr[1] = { 1.0 }, rr[1] = { 0x1p-11 };   /* 1 + 2^-11 is a tie in f16: to even 1.0 */
    CU_ASSERT_EQUAL(qref_norm_row(&p, xr, rr, NULL, NULL, y, h, bd), QREF_OK);
    CU_ASSERT_EQUAL(h[0], 1.0);
    /* errors */
    p.eps = 0;
    CU_ASSERT_EQUAL(qref_norm_row(&p, xr, NULL, NULL, NULL, y, h, bd), QREF_ERR_ARG);
    p.eps = 1e-6;
    p.n = 0;
    CU_ASSERT_EQUAL(qref_norm_row(&p, xr, NULL, NULL, NULL, y, h, bd), QREF_ERR_ARG);
}

/* ---- emulated float32 kernels ---- */
enum { K_FWD, K_BWD, K_PAIR, K_LANES8, K_HF, K_VLLM, K_RSQRT_ULPS, K_EPS_OUT, K_BF16_ACC, K_ONEPASS };

static float round_dt(qref_fmt dt, float v) { return (float)qref_rowop_round(dt, v); }

static float sum_f(const float *v, int64_t n, int how)
{
    if (how == K_BWD) {
        float s = 0;
        for (int64_t i = n; i-- > 0;)
            s += v[i];
        return s;
    }
    if (how == K_PAIR) {
        if (n <= 2)
            return n == 1 ? v[0] : v[0] + v[1];
        return sum_f(v, n / 2, how) + sum_f(v + n / 2, n - n / 2, how);
    }
    if (how == K_LANES8) {
        float l[8] = { 0 };
        for (int64_t i = 0; i < n; i++)
            l[i & 7] += v[i];
        return ((l[0] + l[4]) + (l[1] + l[5])) + ((l[2] + l[6]) + (l[3] + l[7]));
    }
    if (how == K_BF16_ACC) {
        float s = 0;
        for (int64_t i = 0; i < n; i++)
            s = round_dt(QREF_FMT_BF16, s + v[i]);
        return s;
    }
    float s = 0;
    for (int64_t i = 0; i < n; i++)
        s += v[i];
    return s;
}

/* y (as float, rounded to out dtype) of a float32 kernel of style how. */
static void kernel(const qref_norm_params *p, const double *x, const double *r, const double *w, const double *b,
                   int how, float *y)
{
    int64_t n = p->n;
    float *z = malloc((size_t)n * sizeof *z), *t = malloc((size_t)n * sizeof *t), *hh = malloc((size_t)n * sizeof *hh);
    for (int64_t i = 0; i < n; i++) {
        z[i] = r ? (float)x[i] + (float)r[i] : (float)x[i];
        hh[i] = round_dt(p->dtype, z[i]);
        if (how != K_VLLM)
            z[i] = hh[i];
    }
    int sh = how == K_ONEPASS ? K_FWD : how;
    float mu = 0;
    if (p->kind == QREF_NORM_LAYER && how != K_ONEPASS)
        mu = sum_f(z, n, sh) / (float)n;
    if (how == K_ONEPASS) {
        float m1 = sum_f(z, n, K_FWD) / (float)n;
        for (int64_t i = 0; i < n; i++)
            t[i] = z[i] * z[i];
        float var = sum_f(t, n, K_FWD) / (float)n - m1 * m1;
        mu = m1;
        float rs = 1.0f / sqrtf(var + (float)p->eps);
        for (int64_t i = 0; i < n; i++)
            y[i] = round_dt(p->out_dtype, (hh[i] - mu) * rs * (w ? (float)w[i] : 1.0f) + (b ? (float)b[i] : 0.0f));
        free(z), free(t), free(hh);
        return;
    }
    for (int64_t i = 0; i < n; i++)
        t[i] = (z[i] - mu) * (z[i] - mu);
    float v = sum_f(t, n, sh) / (float)n;
    float rs = how == K_EPS_OUT ? 1.0f / (sqrtf(v) + (float)p->eps) : 1.0f / sqrtf(v + (float)p->eps);
    if (how == K_RSQRT_ULPS)   /* rsqrt + Newton: 2 ulps low (<= 4u, what the bound allows) */
        for (int k = 0; k < 2; k++)
            rs = nextafterf(rs, 0.0f);
    for (int64_t i = 0; i < n; i++) {
        float src = how == K_VLLM ? hh[i] : z[i];
        float nv = (src - mu) * rs;
        if (how == K_HF)
            nv = round_dt(p->dtype, nv);
        float yv = nv * (w ? (float)w[i] : 1.0f);
        if (b)
            yv += (float)b[i];
        y[i] = round_dt(p->out_dtype, yv);
    }
    free(z), free(t), free(hh);
}

typedef struct row_case {
    qref_norm_kind kind;
    int64_t n;
    double scale, offset, eps;
    qref_fmt dt, out;
    int residual, weight, bias;
} row_case;

/* Number of elements outside the bound, over `reps` random rows. */
static long violations(const row_case *rc, int how, int reps, uint64_t seed, double *worst)
{
    qref_norm_params p = { rc->kind, rc->n, rc->eps, rc->dt, rc->out };
    size_t n = (size_t)rc->n;
    double *x = malloc(n * 8), *r = malloc(n * 8), *w = malloc(n * 8), *b = malloc(n * 8), *y = malloc(n * 8);
    float *bd = malloc(n * 4), *yk = malloc(n * 4);
    long bad = 0;
    uint64_t s = seed;
    for (int rep = 0; rep < reps; rep++) {
        for (size_t i = 0; i < n; i++) {
            x[i] = qref_rowop_round(rc->dt, rc->offset + rc->scale * gauss(&s));
            r[i] = qref_rowop_round(rc->dt, rc->scale * gauss(&s));
            w[i] = qref_rowop_round(rc->dt, 1.0 + 0.25 * gauss(&s));
            b[i] = qref_rowop_round(rc->dt, 0.1 * gauss(&s));
        }
        const double *rp = rc->residual ? r : NULL, *wp = rc->weight ? w : NULL, *bp = rc->bias ? b : NULL;
        if (qref_norm_row(&p, x, rp, wp, bp, y, NULL, bd) != QREF_OK)
            return -1;
        kernel(&p, x, rp, wp, bp, how, yk);
        for (size_t i = 0; i < n; i++) {
            double e = fabs((double)yk[i] - y[i]);
            if (!(e <= bd[i]))
                bad++;
            else if (worst && bd[i] > 0 && e / bd[i] > *worst)
                *worst = e / bd[i];
        }
    }
    free(x), free(r), free(w), free(b), free(y), free(bd), free(yk);
    return bad;
}

static const row_case CASES[] = {
    { QREF_NORM_RMS, 4096, 1.0, 0, 1e-6, QREF_FMT_F32, QREF_FMT_F32, 0, 1, 0 },
    { QREF_NORM_RMS, 4096, 1.0, 0, 1e-6, QREF_FMT_BF16, QREF_FMT_BF16, 1, 1, 1 },
    { QREF_NORM_RMS, 37, 1e-3, 0, 1e-6, QREF_FMT_F32, QREF_FMT_F32, 0, 1, 0 },
    { QREF_NORM_RMS, 1000, 1e4, 0, 1e-5, QREF_FMT_F16, QREF_FMT_F32, 1, 1, 0 },
    { QREF_NORM_RMS, 1, 3.0, 0, 1e-6, QREF_FMT_F32, QREF_FMT_F16, 0, 1, 1 },
    { QREF_NORM_LAYER, 4096, 1.0, 0, 1e-5, QREF_FMT_F32, QREF_FMT_F32, 0, 1, 1 },
    { QREF_NORM_LAYER, 768, 1.0, 300.0, 1e-5, QREF_FMT_F32, QREF_FMT_F32, 0, 1, 1 },
    { QREF_NORM_LAYER, 100, 1e-3, 0, 1e-6, QREF_FMT_BF16, QREF_FMT_F32, 1, 1, 1 },
    { QREF_NORM_LAYER, 3, 2.0, 0, 1e-5, QREF_FMT_F16, QREF_FMT_F16, 1, 0, 0 },
};

static void test_norm_bound_correct_orders_pass(void)
{
    static const int good[] = { K_FWD, K_BWD, K_PAIR, K_LANES8, K_HF, K_VLLM, K_RSQRT_ULPS };
    double worst = 0;
    for (size_t c = 0; c < sizeof CASES / sizeof CASES[0]; c++)
        for (size_t k = 0; k < sizeof good / sizeof good[0]; k++) {
            long v = violations(&CASES[c], good[k], (int)qtest_scale(8), 0x1234 + c, &worst);
            QCHECK(v == 0, "case %zu kernel %d: %ld elements outside the bound", c, good[k], v);
        }
    printf("\n  norm: worst error / bound of the correct float32 kernels: %.3g\n", worst);
}

static void test_norm_bound_wrong_fail(void)
{
    /* eps outside sqrt: rows with mean square near eps */
    row_case tiny = { QREF_NORM_RMS, 64, 1e-3, 0, 1e-6, QREF_FMT_F32, QREF_FMT_F32, 0, 1, 0 };
    QCHECK(violations(&tiny, K_EPS_OUT, 2, 7, NULL) > 0, "eps outside the square root passed");
    QCHECK(violations(&tiny, K_FWD, 2, 7, NULL) == 0, "the correct kernel failed the tiny row");
    /* a bf16 accumulator on a long row */
    row_case lng = { QREF_NORM_RMS, 4096, 1.0, 0, 1e-6, QREF_FMT_F32, QREF_FMT_F32, 0, 1, 0 };
    QCHECK(violations(&lng, K_BF16_ACC, 2, 8, NULL) > 0, "a bf16 accumulator passed (f32 out)");
    row_case lngb = { QREF_NORM_RMS, 4096, 1.0, 0, 1e-6, QREF_FMT_BF16, QREF_FMT_BF16, 0, 1, 0 };
    QCHECK(violations(&lngb, K_BF16_ACC, 2, 8, NULL) > 0, "a bf16 accumulator passed (bf16 out)");
    /* one-pass variance on an offset row */
    row_case off = { QREF_NORM_LAYER, 768, 1.0, 300.0, 1e-5, QREF_FMT_F32, QREF_FMT_F32, 0, 1, 1 };
    QCHECK(violations(&off, K_ONEPASS, 2, 9, NULL) > 0, "one-pass E[x^2] - mu^2 passed");
}

QTEST_SUITE(norm,
    QTEST(test_norm_known),
    QTEST(test_norm_bound_correct_orders_pass),
    QTEST(test_norm_bound_wrong_fail))
