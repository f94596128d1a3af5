/* Suite hadamard_op: the Hadamard op's reference (qref_hadamard_f64) and
 * its check bound (qref_hadamard_bound), both ways:
 *  - integers, every n = 32..4096, unnormalised forward: equal to the
 *    exact sum_j (-1)^popcount(i&j) x_j; inverse(forward(x)) = x exactly;
 *    normalised with even k exact too;
 *  - float32 butterfly implementations in other stage orders (h ascending,
 *    descending; scaling before or after; 1/sqrt(n) as one float32
 *    constant) stay within the bound, for f32, f16 and bf16 outputs, and
 *    the worst ratio error / bound is printed (the bound's tightness);
 *  - plausible wrong implementations fail it: the sequency (Walsh) order,
 *    normalised inverse scaled by 1/n, butterflies in float16, and a
 *    missing 1/sqrt(2) for odd k. */
#include "qtest.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "qref/fmt.h"
#include "qref/hadamard.h"

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static int popc(unsigned v) { return __builtin_popcount(v); }

static void test_hadamard_op_integers_exact(void)
{
    static double x[4096], y[4096], z[4096];
    uint64_t s = 0x1234;
    for (size_t n = 32; n <= 4096; n *= 2) {
        for (size_t i = 0; i < n; i++)
            x[i] = (double)((int64_t)(rng_next(&s) % 2001) - 1000);
        memcpy(y, x, n * sizeof *x);
        CU_ASSERT_EQUAL(qref_hadamard_f64(y, n, 0, 0), QREF_OK);
        int bad = 0;
        for (size_t i = 0; i < n && !bad; i++) {
            int64_t acc = 0;
            for (size_t j = 0; j < n; j++)
                acc += (popc((unsigned)(i & j)) & 1) ? -(int64_t)x[j] : (int64_t)x[j];
            bad = !QCHECK((double)acc == y[i], "n %zu: y[%zu] = %.17g, exact %lld", n, i, y[i], (long long)acc);
        }
        memcpy(z, y, n * sizeof *y);
        CU_ASSERT_EQUAL(qref_hadamard_f64(z, n, 0, 1), QREF_OK);
        CU_ASSERT(memcmp(z, x, n * sizeof *x) == 0);
        int k = qref_wht_log2(n);
        memcpy(z, x, n * sizeof *x);
        qref_hadamard_f64(z, n, 1, 0);
        if (k % 2 == 0)
            for (size_t i = 0; i < n; i++)
                CU_ASSERT_EQUAL(z[i], ldexp(y[i], -k / 2));
        CU_ASSERT_EQUAL(qref_hadamard_scale(n, 1, 1), qref_hadamard_scale(n, 1, 0));
    }
    double e[3];
    CU_ASSERT_EQUAL(qref_hadamard_f64(e, 3, 0, 0), QREF_ERR_SIZE);
    CU_ASSERT_EQUAL(qref_hadamard_f64(NULL, 32, 0, 0), QREF_ERR_ARG);
    CU_ASSERT_EQUAL(qref_hadamard_scale(8192, 0, 0), 0);
}

/* ---- float32 implementations under test --------------------------------------- */

enum { IMPL_ASC, IMPL_DESC, IMPL_PRESCALE, IMPL_WALSH, IMPL_INV_N, IMPL_F16, IMPL_NO_C };

static float f16r(float v) { return qref_f16_to_f32(qref_f32_to_f16(v)); }

static void impl_f32(float *x, size_t n, int norm, int inv, int impl)
{
    int k = qref_wht_log2(n);
    float s = 1.0f;
    if (norm)
        s = (impl == IMPL_NO_C) ? ldexpf(1.0f, -(k / 2)) : (float)(1.0 / sqrt((double)n));
    else if (inv)
        s = ldexpf(1.0f, -k);
    if (norm && inv && impl == IMPL_INV_N)
        s = ldexpf(1.0f, -k);
    if (impl == IMPL_PRESCALE)
        for (size_t i = 0; i < n; i++)
            x[i] *= s;
    for (int st = 0; st < k; st++) {
        size_t h = (impl == IMPL_DESC) ? n >> (st + 1) : (size_t)1 << st;
        for (size_t i = 0; i < n; i++) {
            if (i & h)
                continue;
            float a = x[i], b = x[i + h];
            x[i] = impl == IMPL_F16 ? f16r(a + b) : a + b;
            x[i + h] = impl == IMPL_F16 ? f16r(a - b) : a - b;
        }
    }
    if (impl != IMPL_PRESCALE)
        for (size_t i = 0; i < n; i++)
            x[i] *= s;
    if (impl == IMPL_WALSH) {   /* sequency order: output index Gray-coded and bit-reversed */
        float t[4096];
        memcpy(t, x, n * sizeof *x);
        for (size_t i = 0; i < n; i++) {
            size_t g = i ^ (i >> 1), r = 0;
            for (int b = 0; b < k; b++)
                if (g & ((size_t)1 << b))
                    r |= (size_t)1 << (k - 1 - b);
            x[i] = t[r];
        }
    }
}

static float round_out(double v, qref_had_out o)
{
    float f = (float)v;
    if (o == QREF_HAD_OUT_F16)
        return qref_f16_to_f32(qref_f32_to_f16(f));   /* double rounding is within the bound's 2 u_o */
    if (o == QREF_HAD_OUT_BF16)
        return qref_bf16_to_f32(qref_f32_to_bf16(f));
    return f;
}

/* The worst error / bound of an implementation over random rows (n, flags). */
static double worst_ratio(int impl, size_t n, int norm, int inv, qref_had_out o, uint64_t seed, int ints)
{
    static float xf[4096];
    static double yd[4096];
    uint64_t s = seed;
    double worst = 0;
    for (int r = 0; r < 8; r++) {
        double abs_sum = 0;
        for (size_t i = 0; i < n; i++) {
            uint64_t v = rng_next(&s);
            float f = ints ? (float)((int64_t)(v % 201) - 100)
                           : ldexpf((float)((int32_t)(v >> 40) - (1 << 23)) / (float)(1 << 23), (int)((v >> 8) % 9) - 4);
            if (o == QREF_HAD_OUT_BF16)
                f = qref_bf16_to_f32(qref_f32_to_bf16(f));   /* bf16 inputs */
            xf[i] = f;
            yd[i] = f;
            abs_sum += fabs((double)f);
        }
        qref_hadamard_f64(yd, n, norm, inv);
        impl_f32(xf, n, norm, inv, impl);
        for (size_t i = 0; i < n; i++) {
            double b = qref_hadamard_bound(n, norm, inv, abs_sum, yd[i], o);
            double err = fabs((double)round_out(xf[i], o) - (double)round_out(yd[i], o));
            if (err / b > worst)
                worst = err / b;
        }
    }
    return worst;
}

static void test_hadamard_op_bound_both_ways(void)
{
    static const qref_had_out outs[3] = { QREF_HAD_OUT_F32, QREF_HAD_OUT_F16, QREF_HAD_OUT_BF16 };
    double tight[3] = { 0, 0, 0 };
    for (size_t n = 32; n <= 4096; n *= 2)
        for (int o = 0; o < 3; o++)
            for (int flags = 0; flags < 4; flags++) {
                int norm = flags & 1, inv = flags >> 1;
                for (int impl = IMPL_ASC; impl <= IMPL_PRESCALE; impl++) {
                    double w = worst_ratio(impl, n, norm, inv, outs[o], n * 7 + flags, 0);
                    QCHECK(w <= 1, "impl %d n %zu norm %d inv %d out %d: error / bound %.3g > 1", impl, n, norm,
                           inv, o, w);
                    if (w > tight[o])
                        tight[o] = w;
                    /* integers, unnormalised: exact */
                    if (!norm && o == 0) {
                        double wi = worst_ratio(impl, n, norm, inv, outs[o], n, 1);
                        QCHECK(wi == 0, "impl %d n %zu inv %d: integer rows not exact (%.3g)", impl, n, inv, wi);
                    }
                }
                /* wrong ones fail */
                double ww = worst_ratio(IMPL_WALSH, n, norm, inv, outs[o], n + 1, 0);
                QCHECK(ww > 1, "Walsh order passed: n %zu out %d (%.3g)", n, o, ww);
                if (norm && inv) {
                    double wn = worst_ratio(IMPL_INV_N, n, norm, inv, outs[o], n + 2, 0);
                    QCHECK(wn > 1, "1/n for a normalised inverse passed: n %zu out %d (%.3g)", n, o, wn);
                }
                if (norm && (qref_wht_log2(n) & 1)) {
                    double wc = worst_ratio(IMPL_NO_C, n, norm, inv, outs[o], n + 3, 0);
                    QCHECK(wc > 1, "missing 1/sqrt 2 passed: n %zu out %d (%.3g)", n, o, wc);
                }
                if (o == 0) {
                    double wh = worst_ratio(IMPL_F16, n, norm, inv, outs[o], n + 4, 0);
                    QCHECK(wh > 1, "float16 butterflies passed: n %zu (%.3g)", n, wh);
                }
            }
    printf("\n  hadamard bound tightness (worst error / bound, f32 impls): f32 %.3g f16 %.3g bf16 %.3g\n", tight[0],
           tight[1], tight[2]);
}

QTEST_SUITE(hadamard_op,
    QTEST(test_hadamard_op_integers_exact),
    QTEST(test_hadamard_op_bound_both_ways))
