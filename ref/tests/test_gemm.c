/* Tests of the reference GEMM (qref/gemm.h).
 *
 *  - Known answers on hand-made problems, expected bits written as literals:
 *    cancellation that naive double accumulation gets wrong, output ties
 *    decided by a remainder far below double precision, signed zeros,
 *    subnormal and overflowing outputs, bias, batch with strides, f16/bf16
 *    activations, Inf/NaN, argument errors, a bound and exact-fill flags.
 *  - An independent exact oracle: weights split with Veltkamp (so that
 *    a·w_hi and a·w_lo are exact double products), summed with Shewchuk's
 *    Grow-Expansion (TwoSum, no integers), rounded to the output type by
 *    exact comparisons with the neighbouring midpoints. The reference must
 *    match it bit for bit on random problems of many schemes.
 *  - The bound: float32 kernels in several orders (forward, backward,
 *    pairwise, 8 lanes), and an emulated f16-accumulation kernel, stay
 *    within the stored bound for every element; a buggy kernel (one term
 *    dropped) does not. Exact-fill problems give identical bits in every
 *    order.
 *  - Every preset of the catalog through qref_gemm with M = 1 and M = 3
 *    (IQ types, which have no quantizer, from random blocks with a valid d).
 * Random data come from splitmix64; failures print the seed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qref/bits.h"
#include "qref/gemm.h"
#include "qref/scheme.h"
#include "qtest.h"

/* ---- random data --------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint32_t rnd(uint64_t *s, uint32_t n) { return (uint32_t)(splitmix64(s) % n); }

/* A float32 with a random 24-bit significand and exponent in [emin, emax];
 * 1 in 16 is zero (some -0). */
static float rnd_float(uint64_t *s, int emin, int emax)
{
    uint64_t r = splitmix64(s);
    if ((r & 15) == 0)
        return (r & 16) ? -0.0f : 0.0f;
    float m = (float)((r >> 40) | 0x800000u) * 0x1p-23f;   /* [1, 2) */
    float v = ldexpf(m, emin + (int)rnd(s, (uint32_t)(emax - emin + 1)));
    return (r & 32) ? -v : v;
}

/* roughly gaussian, exact float32 arithmetic on 20-bit uniforms */
static float rnd_gauss(uint64_t *s)
{
    float t = 0.0f;
    for (int i = 0; i < 4; i++)
        t += (float)((int32_t)(splitmix64(s) >> 44) - (1 << 19)) * 0x1p-19f;
    return t;
}

/* ---- small helpers ---------------------------------------------------------- */

/* An int8_per_channel tensor with codes q (N x K) and per-row f32 scales:
 * w[n][k] = q[n][k] * scale[n] exactly. */
static void make_int8(int64_t N, int64_t K, const int8_t *q, const float *scale, qref_qtensor *t)
{
    const qref_scheme *s = qref_scheme_find("int8_per_channel");
    CU_ASSERT_FATAL(s && qref_qtensor_alloc(s, N, K, t, NULL) == QREF_OK);
    for (int64_t i = 0; i < N * K; i++)
        t->codes[i] = (uint8_t)q[i];
    for (int64_t n = 0; n < N; n++)
        qref_scale_store(QREF_SCALE_F32, t->scales, (size_t)n, qref_f32_bits(scale[n]));
}

/* One problem with f32 activations and int8 weights (scale 1 per row
 * unless given). y is f32 or uint16 bits. */
static qref_status run1(int64_t M, int64_t N, int64_t K, qref_fmt adt, const void *a, const int8_t *q,
                        const float *scale, const float *bias, qref_fmt odt, void *y, float *bound)
{
    float ones[64];
    for (int i = 0; i < 64; i++)
        ones[i] = 1.0f;
    qref_qtensor w;
    make_int8(N, K, q, scale ? scale : ones, &w);
    qref_gemm_desc d = { 1, M, N, K, 0, 0, adt, odt, bias != NULL, 0 };
    qref_error err;
    qref_status st = qref_gemm(&d, a, &w, bias, y, bound, QREF_ACC_F32, &err);
    qref_qtensor_free(&w);
    return st;
}

/* y of a 1 x 1 x K problem with weights 1, for each output type. */
static uint32_t dot1(const float *a, int K, qref_fmt odt)
{
    int8_t q[16];
    for (int k = 0; k < K; k++)
        q[k] = 1;
    float yf = 0;
    uint16_t yh = 0;
    qref_status st = run1(1, 1, K, QREF_FMT_F32, a, q, NULL, NULL, odt, odt == QREF_FMT_F32 ? (void *)&yf : (void *)&yh,
                          NULL);
    CU_ASSERT_EQUAL(st, QREF_OK);
    return odt == QREF_FMT_F32 ? qref_f32_bits(yf) : yh;
}

static double naive_double(const float *a, int K)
{
    double s = 0.0;
    for (int k = 0; k < K; k++)
        s += (double)a[k];
    return s;
}

/* ---- known answers ------------------------------------------------------------ */

static void test_known_small(void)
{
    /* A 2x4, W 3x4 (rows scaled 1, 0.5, 2), y = A W^T */
    const float a[8] = { 1, 2, 3, 4, -1, 0.5f, 0, 8 };
    const int8_t q[12] = { 1, 0, -1, 2, 3, 3, 3, 3, -7, 1, 1, 1 };
    const float sc[3] = { 1.0f, 0.5f, 2.0f };
    /* row 0: 1-3+8 = 6; (1+2+3+4)*1.5 = 15; (-7+2+3+4)*2 = 4
     * row 1: -1+16 = 15; (-1+0.5+8)*1.5 = 11.25; (7+0.5+8)*2 = 31 */
    const uint32_t want[6] = { 0x40C00000u, 0x41700000u, 0x40800000u, 0x41700000u, 0x41340000u, 0x41F80000u };
    float y[6], bound[6];
    CU_ASSERT_EQUAL_FATAL(run1(2, 3, 4, QREF_FMT_F32, a, q, sc, NULL, QREF_FMT_F32, y, bound), QREF_OK);
    for (int i = 0; i < 6; i++) {
        QCHECK(qref_f32_bits(y[i]) == want[i], "y[%d] = 0x%08x, want 0x%08x", i, qref_f32_bits(y[i]), want[i]);
        QCHECK(bound[i] > 0.0f && bound[i] < 1e-4f, "bound[%d] = %g", i, (double)bound[i]);
    }
    uint16_t yh[6];
    const uint16_t wanth[6] = { 0x4600, 0x4B80, 0x4400, 0x4B80, 0x49A0, 0x4FC0 };
    CU_ASSERT_EQUAL_FATAL(run1(2, 3, 4, QREF_FMT_F32, a, q, sc, NULL, QREF_FMT_F16, yh, NULL), QREF_OK);
    for (int i = 0; i < 6; i++)
        QCHECK(yh[i] == wanth[i], "f16 y[%d] = 0x%04x, want 0x%04x", i, yh[i], wanth[i]);
}

static void test_cancellation(void)
{
    /* 2^60 + 1 - 2^60: exactly 1; summing in double loses the 1. */
    const float a[3] = { 0x1p60f, 1.0f, -0x1p60f };
    CU_ASSERT_EQUAL(naive_double(a, 3), 0.0);
    CU_ASSERT_EQUAL(dot1(a, 3, QREF_FMT_F32), 0x3F800000u);
    CU_ASSERT_EQUAL(dot1(a, 3, QREF_FMT_F16), 0x3C00u);
    CU_ASSERT_EQUAL(dot1(a, 3, QREF_FMT_BF16), 0x3F80u);
    /* 3·2^100 + 2^-100 - 3·2^100 = 2^-100: f32 0x0D800000, f16 +0 (underflow), bf16 0x0D80 */
    const float b[3] = { 0x1.8p101f, 0x1p-100f, -0x1.8p101f };
    CU_ASSERT_EQUAL(naive_double(b, 3), 0.0);
    CU_ASSERT_EQUAL(dot1(b, 3, QREF_FMT_F32), 0x0D800000u);
    CU_ASSERT_EQUAL(dot1(b, 3, QREF_FMT_F16), 0x0000u);
    CU_ASSERT_EQUAL(dot1(b, 3, QREF_FMT_BF16), 0x0D80u);
    /* terms 70 binades apart: beyond the 64-bit shift range of the 128-bit
     * window, though the bits would fit in 128 */
    const float e[3] = { 0x1p40f, 0x1p-30f, -0x1p40f };
    CU_ASSERT_EQUAL(dot1(e, 3, QREF_FMT_F32), 0x30800000u);
    const float e2[4] = { 0x1.000002p40f, -0x1p40f, 0x1p-23f, -0x1p-30f };   /* 2^17 + 2^-23 - 2^-30 */
    CU_ASSERT_EQUAL(dot1(e2, 4, QREF_FMT_F32), 0x48000000u);
    CU_ASSERT_EQUAL(dot1(e2, 4, QREF_FMT_BF16), 0x4800u);
    /* weights of both signs and sizes, 2^-149 survives a 2^127-sized cancellation */
    const float c[4] = { 0x1p127f, 0x1p-149f, 0x1p126f, -0x1p126f };
    const int8_t q[4] = { 1, 1, -2, 0 };
    float y;
    CU_ASSERT_EQUAL(run1(1, 1, 4, QREF_FMT_F32, c, q, NULL, NULL, QREF_FMT_F32, &y, NULL), QREF_OK);
    CU_ASSERT_EQUAL(qref_f32_bits(y), 0x00000001u);
}

static void test_ties(void)
{
    /* f16: 1 + 2^-11 is the midpoint of 0x3C00 and 0x3C01. */
    const float t0[4] = { 1.0f, 0x1p-11f, 0, 0 };
    const float tp[4] = { 1.0f, 0x1p-11f, 0x1p-100f, 0 };
    const float tm[4] = { 1.0f, 0x1p-11f, -0x1p-100f, 0 };
    const float to[4] = { 1.0f, 0x1p-10f, 0x1p-11f, 0 };        /* midpoint of 0x3C01, 0x3C02 */
    const float tom[4] = { 1.0f, 0x1p-10f, 0x1p-11f, -0x1p-100f };
    const float tn[4] = { -1.0f, -0x1p-11f, -0x1p-100f, 0 };
    CU_ASSERT_EQUAL(dot1(t0, 4, QREF_FMT_F16), 0x3C00u);
    CU_ASSERT_EQUAL(dot1(tp, 4, QREF_FMT_F16), 0x3C01u);
    CU_ASSERT_EQUAL(qref_round2_to_f16(naive_double(tp, 4), 0.0), 0x3C00u);  /* doubles alone get it wrong */
    CU_ASSERT_EQUAL(dot1(tm, 4, QREF_FMT_F16), 0x3C00u);
    CU_ASSERT_EQUAL(dot1(to, 4, QREF_FMT_F16), 0x3C02u);
    CU_ASSERT_EQUAL(dot1(tom, 4, QREF_FMT_F16), 0x3C01u);
    CU_ASSERT_EQUAL(dot1(tn, 4, QREF_FMT_F16), 0xBC01u);
    /* bf16: 1 + 2^-8 is the midpoint of 0x3F80 and 0x3F81 */
    const float b0[3] = { 1.0f, 0x1p-8f, 0 }, bp[3] = { 1.0f, 0x1p-8f, 0x1p-120f }, bm[3] = { 1.0f, 0x1p-8f, -0x1p-120f };
    CU_ASSERT_EQUAL(dot1(b0, 3, QREF_FMT_BF16), 0x3F80u);
    CU_ASSERT_EQUAL(dot1(bp, 3, QREF_FMT_BF16), 0x3F81u);
    CU_ASSERT_EQUAL(dot1(bm, 3, QREF_FMT_BF16), 0x3F80u);
    /* f32: 1 + 2^-24 is the midpoint of 0x3F800000 and 0x3F800001 */
    const float f0[3] = { 1.0f, 0x1p-24f, 0 }, fp[3] = { 1.0f, 0x1p-24f, 0x1p-100f }, fm[3] = { 1.0f, 0x1p-24f, -0x1p-100f };
    CU_ASSERT_EQUAL(dot1(f0, 3, QREF_FMT_F32), 0x3F800000u);
    CU_ASSERT_EQUAL(dot1(fp, 3, QREF_FMT_F32), 0x3F800001u);
    CU_ASSERT_EQUAL(dot1(fm, 3, QREF_FMT_F32), 0x3F800000u);
    /* the remainder is 2^-149 on a sum near 2^24: 156 bits apart */
    const float fw[3] = { 0x1p24f, 1.0f, 0x1p-149f };
    CU_ASSERT_EQUAL(dot1(fw, 3, QREF_FMT_F32), 0x4B800001u);
    /* a tie in the bias: 1 + (2^-11 + 2^-30) */
    const float one = 1.0f, bias = 0x1p-11f + 0x1p-30f;
    const int8_t q1 = 1;
    uint16_t yh;
    CU_ASSERT_EQUAL(run1(1, 1, 1, QREF_FMT_F32, &one, &q1, NULL, &bias, QREF_FMT_F16, &yh, NULL), QREF_OK);
    CU_ASSERT_EQUAL(yh, 0x3C01u);
}

static void test_zeros_tiny_overflow(void)
{
    const float z[2] = { 1.0f, -1.0f }, nz[2] = { -0.0f, -0.0f }, neg[1] = { -0x1p-100f };
    CU_ASSERT_EQUAL(dot1(z, 2, QREF_FMT_F32), 0x00000000u);          /* exact zero: +0 */
    CU_ASSERT_EQUAL(dot1(nz, 2, QREF_FMT_F32), 0x00000000u);         /* -0 terms: +0 */
    CU_ASSERT_EQUAL(dot1(neg, 1, QREF_FMT_F16), 0x8000u);            /* tiny negative: -0 */
    CU_ASSERT_EQUAL(dot1(neg, 1, QREF_FMT_F32), 0x8D800000u);
    /* f16 subnormals: 2^-25 is half the smallest one: tie to 0; a hair more rounds up */
    const float h0[2] = { 0x1p-25f, 0 }, h1[2] = { 0x1p-25f, 0x1p-60f }, h3[2] = { 0x1p-24f, 0x1p-25f };
    CU_ASSERT_EQUAL(dot1(h0, 2, QREF_FMT_F16), 0x0000u);
    CU_ASSERT_EQUAL(dot1(h1, 2, QREF_FMT_F16), 0x0001u);
    CU_ASSERT_EQUAL(dot1(h3, 2, QREF_FMT_F16), 0x0002u);
    /* f16 overflow: 65504 + 16 is the midpoint to 2^16: ties to even = Inf */
    const float o0[3] = { 65504.0f, 16.0f, 0 }, o1[3] = { 65504.0f, 15.0f, 0 }, o2[3] = { 65504.0f, 16.0f, -0x1p-30f };
    CU_ASSERT_EQUAL(dot1(o0, 3, QREF_FMT_F16), 0x7C00u);
    CU_ASSERT_EQUAL(dot1(o1, 3, QREF_FMT_F16), 0x7BFFu);
    CU_ASSERT_EQUAL(dot1(o2, 3, QREF_FMT_F16), 0x7BFFu);
    /* f32 overflow of the exact sum */
    const float fo[2] = { 0x1.fffffep127f, 0x1.fffffep127f };
    CU_ASSERT_EQUAL(dot1(fo, 2, QREF_FMT_F32), 0x7F800000u);
    const float fom[2] = { -0x1.fffffep127f, -0x1p103f };          /* -(max + half ulp): tie to even: -Inf */
    CU_ASSERT_EQUAL(dot1(fom, 2, QREF_FMT_F32), 0xFF800000u);
}

static void test_bias(void)
{
    const float a[6] = { 1, 2, 3, -1, -2, -3 };
    const int8_t q[6] = { 1, 1, 1, 2, 0, -1 };
    const float bias[2] = { 0.5f, -100.0f };
    /* row 0: 6.5, -1-100 = -101;  row 1: -5.5, -2+3-100 = -99 */
    const uint32_t want[4] = { 0x40D00000u, 0xC2CA0000u, 0xC0B00000u, 0xC2C60000u };
    float y[4], bound[4];
    CU_ASSERT_EQUAL_FATAL(run1(2, 2, 3, QREF_FMT_F32, a, q, NULL, bias, QREF_FMT_F32, y, bound), QREF_OK);
    for (int i = 0; i < 4; i++) {
        QCHECK(qref_f32_bits(y[i]) == want[i], "y[%d] = 0x%08x, want 0x%08x", i, qref_f32_bits(y[i]), want[i]);
        QCHECK(bound[i] > 0.0f, "bound[%d] = %g", i, (double)bound[i]);
    }
    /* the bias counts in S: |bias| = 100 dominates the bound of element 1 */
    CU_ASSERT(bound[1] > 100.0f * 6 * 0x1p-24f);
}

static void test_batch_strides(void)
{
    enum { B = 2, M = 2, N = 3, K = 2, LDA = 3, LDY = 4 };
    /* a[b][m][0..2], the third column is padding (NaN: must not be read) */
    const float nan = qref_f32_from_bits(0x7FC00000u);
    const float a[B * M * LDA] = { 1, 2, nan, 3, 4, nan, -1, 0.25f, nan, 2, -2, nan };
    const int8_t q0[N * K] = { 1, 0, 0, 1, 1, 1 };
    const int8_t q1[N * K] = { 2, -1, 4, 8, -3, 0 };
    const float sc0[N] = { 1, 1, 1 }, sc1[N] = { 1, 0.5f, 0.25f };
    const float bias[B * N] = { 0, 10, 0, 1, 0, -1 };
    qref_qtensor w[2];
    make_int8(N, K, q0, sc0, &w[0]);
    make_int8(N, K, q1, sc1, &w[1]);
    float y[B * M * LDY], bound[B * M * N];
    for (int i = 0; i < B * M * LDY; i++)
        y[i] = 12345.0f;
    qref_gemm_desc d = { B, M, N, K, LDA, LDY, QREF_FMT_F32, QREF_FMT_F32, 1, 0 };
    CU_ASSERT_EQUAL_FATAL(qref_gemm(&d, a, w, bias, y, bound, QREF_ACC_F32, NULL), QREF_OK);
    /* batch 0: rows (1,2), (3,4) · w0 = [1 0; 0 1; 1 1] + (0, 10, 0)
     * batch 1: rows (-1, .25), (2,-2) · w1 = [2 -1; 2 4; -.75 0] + (1, 0, -1) */
    const float want[B * M * LDY] = { 1, 12, 3, 12345, 3, 14, 7, 12345, -1.25f, -1, -0.25f, 12345, 7, -4, -2.5f, 12345 };
    for (int i = 0; i < B * M * LDY; i++)
        QCHECK(qref_f32_bits(y[i]) == qref_f32_bits(want[i]), "y[%d] = %a, want %a", i, (double)y[i], (double)want[i]);
    for (int i = 0; i < B * M * N; i++)
        QCHECK(bound[i] > 0.0f && bound[i] < 1e-4f, "bound[%d] = %g", i, (double)bound[i]);
    int ex = -1;
    CU_ASSERT_EQUAL(qref_gemm_is_exact_fill(&d, a, w, bias, QREF_ACC_F32, &ex, NULL), QREF_OK);
    CU_ASSERT_EQUAL(ex, 1);
    qref_qtensor_free(&w[0]);
    qref_qtensor_free(&w[1]);
}

/* A non-finite output's bound (0) goes to its own element in a batched,
 * multi-row call: an Inf in batch 1, row 0 zeroes the bound of exactly that
 * row (an index slip, b / M for b * M, would zero batch 0's row 0 instead
 * and leave the row's own bound unwritten). */
static void test_batch_nonfinite_bound(void)
{
    enum { B = 2, M = 2, N = 3, K = 2 };
    const float inf = qref_f32_from_bits(0x7F800000u);
    const float a[B * M * K] = { 1, 2, 3, 4, inf, 0.25f, 2, -2 };
    const int8_t q0[N * K] = { 1, 0, 0, 1, 1, 1 };
    const int8_t q1[N * K] = { 2, -1, 4, 8, -3, 0 };
    const float sc0[N] = { 1, 1, 1 }, sc1[N] = { 1, 0.5f, 0.25f };
    qref_qtensor w[2];
    make_int8(N, K, q0, sc0, &w[0]);
    make_int8(N, K, q1, sc1, &w[1]);
    float y[B * M * N], bound[B * M * N];
    for (int i = 0; i < B * M * N; i++)
        bound[i] = -1.0f;
    qref_gemm_desc d = { B, M, N, K, K, N, QREF_FMT_F32, QREF_FMT_F32, 0, 0 };
    CU_ASSERT_EQUAL_FATAL(qref_gemm(&d, a, w, NULL, y, bound, QREF_ACC_F32, NULL), QREF_OK);
    for (int i = 0; i < B * M * N; i++) {
        int special = i / N == M;   /* batch 1, row 0 */
        QCHECK(special ? !isfinite(y[i]) && bound[i] == 0.0f : isfinite(y[i]) && bound[i] > 0.0f,
               "y[%d] = %g, bound %g", i, (double)y[i], (double)bound[i]);
    }
    qref_qtensor_free(&w[0]);
    qref_qtensor_free(&w[1]);
}

/* The 128-bit window accumulator is used only when its width bound
 * (span + bits_a + bits_w + bit_length(np) <= 126) holds. Here it must not
 * be: 2047 activations with full 24-bit mantissas 63 binades above one tiny
 * activation (span 63), weights 127 x a scale with a full mantissa (31
 * bits), 2048 terms (130 > 126): each half of the window would reach
 * 2^128. Understating bits_a or bits_w (both 0 for a mantissa OR-ed by XOR
 * over equal values) overflows it; the sum is 2047·a·w + 2^-64·w. */
static void test_window_width(void)
{
    enum { K = 2048 };
    static float a[K];
    static int8_t q[K];
    const float big = qref_f32_from_bits(0x3F7FFFFFu), tiny = qref_f32_from_bits(0x1F800000u);   /* 2^-64 */
    const float sc[1] = { qref_f32_from_bits(0x3F7FFFFFu) };
    for (int k = 0; k < K; k++) {
        a[k] = k == K - 1 ? tiny : big;
        q[k] = 127;
    }
    float y = 0, bound = 0;
    CU_ASSERT_EQUAL_FATAL(run1(1, 1, K, QREF_FMT_F32, a, q, sc, NULL, QREF_FMT_F32, &y, &bound), QREF_OK);
    double w = 127.0 * (double)sc[0], want = 2047.0 * (double)big * w + (double)tiny * w;
    QCHECK(fabs((double)y - want) <= 0x1p-24 * want, "y = %a, want %a", (double)y, want);
}

static void test_f16_bf16_inputs(void)
{
    /* f16: 1, -2, 0.5, 2^-24 (subnormal) · (3, 1, 2, 4) = 2 + 2^-22 */
    const uint16_t ah[4] = { 0x3C00, 0xC000, 0x3800, 0x0001 };
    const int8_t q[4] = { 3, 1, 2, 4 };
    float y;
    uint16_t yh;
    CU_ASSERT_EQUAL(run1(1, 1, 4, QREF_FMT_F16, ah, q, NULL, NULL, QREF_FMT_F32, &y, NULL), QREF_OK);
    CU_ASSERT_EQUAL(qref_f32_bits(y), 0x40000001u);
    CU_ASSERT_EQUAL(run1(1, 1, 4, QREF_FMT_F16, ah, q, NULL, NULL, QREF_FMT_F16, &yh, NULL), QREF_OK);
    CU_ASSERT_EQUAL(yh, 0x4000u);
    /* bf16: 1, 3, -0.5, 2^-133 · (1, 1, 1, 1) = 3.5 + 2^-133 */
    const uint16_t ab[4] = { 0x3F80, 0x4040, 0xBF00, 0x0001 };
    const int8_t q1[4] = { 1, 1, 1, 1 };
    CU_ASSERT_EQUAL(run1(1, 1, 4, QREF_FMT_BF16, ab, q1, NULL, NULL, QREF_FMT_F32, &y, NULL), QREF_OK);
    CU_ASSERT_EQUAL(qref_f32_bits(y), 0x40600000u);
    CU_ASSERT_EQUAL(run1(1, 1, 4, QREF_FMT_BF16, ab, q1, NULL, NULL, QREF_FMT_BF16, &yh, NULL), QREF_OK);
    CU_ASSERT_EQUAL(yh, 0x4060u);
    /* bf16 input, bf16 output, a tie broken by the subnormal: 1 + 2^-8 + 2^-133 */
    const uint16_t at[3] = { 0x3F80, 0x3B80, 0x0001 };
    CU_ASSERT_EQUAL(run1(1, 1, 3, QREF_FMT_BF16, at, q1, NULL, NULL, QREF_FMT_BF16, &yh, NULL), QREF_OK);
    CU_ASSERT_EQUAL(yh, 0x3F81u);
}

static void test_nonfinite(void)
{
    const float inf = qref_f32_from_bits(0x7F800000u), nan = qref_f32_from_bits(0x7FC00000u);
    const int8_t q[2] = { 1, 0 };   /* w = (1, 0) */
    struct {
        float a0, a1, bias;
        uint32_t want32;
        uint16_t want16;
    } c[] = {
        { nan, 1, 0, 0x7FC00000u, 0x7E00u },      /* NaN term */
        { 1, inf, 0, 0x7FC00000u, 0x7E00u },      /* Inf · 0 */
        { inf, 5, -inf, 0x7FC00000u, 0x7E00u },   /* +Inf - Inf */
        { inf, 5, 3, 0x7F800000u, 0x7C00u },
        { -inf, 5, 3, 0xFF800000u, 0xFC00u },
        { 1, 5, -inf, 0xFF800000u, 0xFC00u },
        { 1, 5, nan, 0x7FC00000u, 0x7E00u },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        float a[2] = { c[i].a0, c[i].a1 }, y, bound = -1;
        uint16_t yh;
        CU_ASSERT_EQUAL(run1(1, 1, 2, QREF_FMT_F32, a, q, NULL, &c[i].bias, QREF_FMT_F32, &y, &bound), QREF_OK);
        QCHECK(qref_f32_bits(y) == c[i].want32, "case %zu: 0x%08x", i, qref_f32_bits(y));
        QCHECK(bound == 0.0f, "case %zu: bound %g", i, (double)bound);
        CU_ASSERT_EQUAL(run1(1, 1, 2, QREF_FMT_F32, a, q, NULL, &c[i].bias, QREF_FMT_F16, &yh, NULL), QREF_OK);
        QCHECK(yh == c[i].want16, "case %zu: f16 0x%04x", i, yh);
    }
    /* a NaN in row 0 of A leaves row 1 alone */
    const float a2[4] = { nan, 1, 2, 3 };
    float y2[2];
    CU_ASSERT_EQUAL(run1(2, 1, 2, QREF_FMT_F32, a2, q, NULL, NULL, QREF_FMT_F32, y2, NULL), QREF_OK);
    CU_ASSERT_EQUAL(qref_f32_bits(y2[0]), 0x7FC00000u);
    CU_ASSERT_EQUAL(qref_f32_bits(y2[1]), 0x40000000u);
    /* An Inf weight (scale Inf) times the smallest subnormal activation is
     * Inf, not Inf · 0 (only a true zero makes NaN). */
    const float sub[1] = { qref_f32_from_bits(0x00000001u) }, sinf[1] = { inf };
    const int8_t q1[1] = { 1 };
    float y3 = 0;
    CU_ASSERT_EQUAL(run1(1, 1, 1, QREF_FMT_F32, sub, q1, sinf, NULL, QREF_FMT_F32, &y3, NULL), QREF_OK);
    QCHECK(qref_f32_bits(y3) == 0x7F800000u, "Inf x 2^-149: 0x%08x", qref_f32_bits(y3));
}

static void test_errors(void)
{
    const float a[4] = { 1, 2, 3, 4 };
    const int8_t q[4] = { 1, 1, 1, 1 };
    const float sc[2] = { 1, 1 };
    qref_qtensor w;
    make_int8(2, 2, q, sc, &w);
    float y[4], b[2] = { 0, 0 };
    qref_error err;
    qref_gemm_desc ok = { 1, 2, 2, 2, 0, 0, QREF_FMT_F32, QREF_FMT_F32, 0, 0 }, d;
    CU_ASSERT_EQUAL(qref_gemm(&ok, a, &w, NULL, y, NULL, QREF_ACC_F32, &err), QREF_OK);
    CU_ASSERT_EQUAL(qref_gemm(NULL, a, &w, NULL, y, NULL, QREF_ACC_F32, &err), QREF_ERR_ARG);
    CU_ASSERT_EQUAL(qref_gemm(&ok, NULL, &w, NULL, y, NULL, QREF_ACC_F32, &err), QREF_ERR_ARG);
    CU_ASSERT_EQUAL(qref_gemm(&ok, a, NULL, NULL, y, NULL, QREF_ACC_F32, &err), QREF_ERR_ARG);
    CU_ASSERT_EQUAL(qref_gemm(&ok, a, &w, NULL, NULL, NULL, QREF_ACC_F32, &err), QREF_ERR_ARG);
    CU_ASSERT_EQUAL(qref_gemm(&ok, a, &w, NULL, y, NULL, (qref_acc)7, &err), QREF_ERR_ARG);
    d = ok, d.has_bias = 1;
    CU_ASSERT_EQUAL(qref_gemm(&d, a, &w, NULL, y, NULL, QREF_ACC_F32, &err), QREF_ERR_ARG);
    CU_ASSERT_EQUAL(qref_gemm(&d, a, &w, b, y, NULL, QREF_ACC_F32, &err), QREF_OK);
    d = ok, d.K = 0;
    CU_ASSERT_EQUAL(qref_gemm(&d, a, &w, NULL, y, NULL, QREF_ACC_F32, &err), QREF_ERR_SIZE);
    d = ok, d.lda = 1;
    CU_ASSERT_EQUAL(qref_gemm(&d, a, &w, NULL, y, NULL, QREF_ACC_F32, &err), QREF_ERR_SIZE);
    d = ok, d.ldy = 1;
    CU_ASSERT_EQUAL(qref_gemm(&d, a, &w, NULL, y, NULL, QREF_ACC_F32, &err), QREF_ERR_SIZE);
    d = ok, d.N = 1;                                   /* the tensor is 2 x 2 */
    CU_ASSERT_EQUAL(qref_gemm(&d, a, &w, NULL, y, NULL, QREF_ACC_F32, &err), QREF_ERR_SIZE);
    CU_ASSERT(strstr(err.msg, "batch 0") != NULL);
    d = ok, d.batch = 0;
    CU_ASSERT_EQUAL(qref_gemm(&d, a, &w, NULL, y, NULL, QREF_ACC_F32, &err), QREF_ERR_SIZE);
    d = ok, d.out_dtype = QREF_FMT_E4M3;
    CU_ASSERT_EQUAL(qref_gemm(&d, a, &w, NULL, y, NULL, QREF_ACC_F32, &err), QREF_ERR_UNSUPPORTED);
    d = ok, d.a_dtype = QREF_FMT_INT8;
    CU_ASSERT_EQUAL(qref_gemm(&d, a, &w, NULL, y, NULL, QREF_ACC_F32, &err), QREF_ERR_UNSUPPORTED);
    d = ok, d.a_dtype = (qref_fmt)99;
    CU_ASSERT_EQUAL(qref_gemm(&d, a, &w, NULL, y, NULL, QREF_ACC_F32, &err), QREF_ERR_ARG);
    int ex = 5;
    CU_ASSERT_EQUAL(qref_gemm_is_exact_fill(&ok, a, &w, NULL, QREF_ACC_F32, NULL, &err), QREF_ERR_ARG);
    d = ok, d.K = 0;
    CU_ASSERT_EQUAL(qref_gemm_is_exact_fill(&d, a, &w, NULL, QREF_ACC_F32, &ex, &err), QREF_ERR_SIZE);
    qref_acc acc;
    CU_ASSERT_EQUAL(qref_acc_from_name("F16", &acc), QREF_OK);
    CU_ASSERT_EQUAL(acc, QREF_ACC_F16);
    CU_ASSERT_EQUAL(qref_acc_from_name("f8", &acc), QREF_ERR_ARG);
    CU_ASSERT_STRING_EQUAL(qref_acc_name(QREF_ACC_F32), "f32");
    CU_ASSERT_PTR_NULL(qref_acc_name(QREF_ACC_COUNT));
    qref_qtensor_free(&w);
}

/* The bound of a 1 x 1 x 2 problem a = (1, 3), w = (1, -1), f32 / f32, no bias:
 * S = 4, Σ|a| = 4, Σ|w| = 2, n_t = 2, K' = 4, γ = 4u/(1-4u), u = 2^-24,
 * E = 4γ + (1+γ)·2^-150·10, bound = (1+u)E + 2u·2 + 2·2^-150
 *     = 20u + 80u^2 + ... = 0x1.4p-20 (float 0x35A00000) plus 2.5 float ulps:
 * rounded up, 0x35A00003 (Python fractions). With f16 accumulation and f16
 * output: u = 2^-11, K' = 4: γ = 4/2044, E = 16/2044 + (1+γ)·2^-25·10,
 * bound = (1+2^-11)·E + 2^-11·4 + 2^-24 = 0.00978509..., rounded up
 * 0x3C2051A9. */
static void test_bound_known(void)
{
    const float a[2] = { 1, 3 };
    const int8_t q[2] = { 1, -1 };
    qref_qtensor w;
    const float sc = 1.0f;
    make_int8(1, 2, q, &sc, &w);
    qref_gemm_desc d = { 1, 1, 1, 2, 0, 0, QREF_FMT_F32, QREF_FMT_F32, 0, 0 };
    float y, bound;
    CU_ASSERT_EQUAL_FATAL(qref_gemm(&d, a, &w, NULL, &y, &bound, QREF_ACC_F32, NULL), QREF_OK);
    CU_ASSERT_EQUAL(qref_f32_bits(y), 0xC0000000u);
    CU_ASSERT_EQUAL(qref_f32_bits(bound), 0x35A00003u);
    uint16_t yh;
    d.out_dtype = QREF_FMT_F16;
    CU_ASSERT_EQUAL_FATAL(qref_gemm(&d, a, &w, NULL, &yh, &bound, QREF_ACC_F16, NULL), QREF_OK);
    CU_ASSERT_EQUAL(yh, 0xC000u);
    CU_ASSERT_EQUAL(qref_f32_bits(bound), 0x3C2051A9u);
    double exact = (1 + 0x1p-11) * (16.0 / 2044 + (1 + 4.0 / 2044) * 0x1p-25 * 10) + 0x1p-11 * 4 + 0x1p-24;
    CU_ASSERT((double)bound >= exact);
    CU_ASSERT((double)bound <= exact * (1 + 0x1p-22));
    /* f16 accumulation cannot bound K' >= 2048 terms: +Inf */
    qref_qtensor_free(&w);
    enum { KB = 2046 };
    static float ab[KB];
    static int8_t qb[KB];
    for (int k = 0; k < KB; k++)
        ab[k] = 1.0f, qb[k] = 1;
    make_int8(1, KB, qb, &sc, &w);
    d.K = KB;
    CU_ASSERT_EQUAL_FATAL(qref_gemm(&d, ab, &w, NULL, &yh, &bound, QREF_ACC_F16, NULL), QREF_OK);
    CU_ASSERT_EQUAL(qref_f32_bits(bound), 0x7F800000u);
    CU_ASSERT_EQUAL(yh, 0x67FEu);   /* 2046 */
    /* f32: γ(2048, 2^-24)·2046 = 0.2497 plus 2·2^-11·2046 for the f16 output */
    CU_ASSERT_EQUAL_FATAL(qref_gemm(&d, ab, &w, NULL, &yh, &bound, QREF_ACC_F32, NULL), QREF_OK);
    CU_ASSERT(bound > 2.2f && bound < 2.3f);
    qref_qtensor_free(&w);
}

static int fill_of(int64_t K, const float *a, const int8_t *q, float scale, const float *bias, qref_acc acc)
{
    qref_qtensor w;
    make_int8(1, K, q, &scale, &w);
    qref_gemm_desc d = { 1, 1, 1, K, 0, 0, QREF_FMT_F32, QREF_FMT_F32, bias != NULL, 0 };
    int ex = -1;
    CU_ASSERT_EQUAL(qref_gemm_is_exact_fill(&d, a, &w, bias, acc, &ex, NULL), QREF_OK);
    qref_qtensor_free(&w);
    return ex;
}

static void test_exact_fill_known(void)
{
    const int8_t q[4] = { 127, -127, 100, 1 };
    const float ai[4] = { 3, -8, 0, 1 };              /* Σ|a·w| = 381 + 1016 + 1 = 1398 */
    CU_ASSERT_EQUAL(fill_of(4, ai, q, 1.0f, NULL, QREF_ACC_F32), 1);
    CU_ASSERT_EQUAL(fill_of(4, ai, q, 1.0f, NULL, QREF_ACC_F16), 1);
    CU_ASSERT_EQUAL(fill_of(4, ai, q, 2.0f, NULL, QREF_ACC_F16), 1);        /* units 2: still 1398 */
    const float ai5[4] = { 3, -8, 5, 1 }, ai7[4] = { 3, -8, 7, 1 };
    CU_ASSERT_EQUAL(fill_of(4, ai5, q, 1.0f, NULL, QREF_ACC_F16), 1);       /* 1898 <= 2^11 */
    CU_ASSERT_EQUAL(fill_of(4, ai7, q, 1.0f, NULL, QREF_ACC_F16), 0);       /* 2098 > 2^11 */
    CU_ASSERT_EQUAL(fill_of(4, ai7, q, 1.0f, NULL, QREF_ACC_F32), 1);
    CU_ASSERT_EQUAL(fill_of(4, ai, q, 0x1p-20f, NULL, QREF_ACC_F16), 1);    /* units 2^-20 */
    CU_ASSERT_EQUAL(fill_of(4, ai, q, 0x1p-30f, NULL, QREF_ACC_F16), 0);    /* below f16 subnormals */
    CU_ASSERT_EQUAL(fill_of(4, ai, q, 0x1p-30f, NULL, QREF_ACC_F32), 1);
    CU_ASSERT_EQUAL(fill_of(4, ai, q, 0x1p100f, NULL, QREF_ACC_F32), 1);    /* 1398·2^100 < 2^127 */
    CU_ASSERT_EQUAL(fill_of(4, ai, q, 0x1p110f, NULL, QREF_ACC_F32), 0);    /* 2^24·2^110 overflows */
    const float bias = 0.5f, bias2 = 0x1p-12f;
    CU_ASSERT_EQUAL(fill_of(4, ai, q, 1.0f, &bias, QREF_ACC_F32), 1);       /* units become 1/2 */
    CU_ASSERT_EQUAL(fill_of(4, ai, q, 1.0f, &bias, QREF_ACC_F16), 0);       /* 2797 halves > 2^11 */
    CU_ASSERT_EQUAL(fill_of(4, ai, q, 1.0f, &bias2, QREF_ACC_F32), 1);      /* 1398·2^12 + 1 < 2^24 */
    const float bias3 = 0x1p-14f;
    CU_ASSERT_EQUAL(fill_of(4, ai, q, 1.0f, &bias3, QREF_ACC_F32), 0);      /* 1398·2^14 + 1 > 2^24 */
    /* activations with a fractional bit: 2^24 boundary exactly */
    const float big[2] = { 0x1p16f, 0x1p-1f };
    const int8_t q2[2] = { 127, 1 };   /* Σ = 127·2^16 + 2^-1: in units of 2^-1, 127·2^17 + 1 < 2^24 */
    CU_ASSERT_EQUAL(fill_of(2, big, q2, 1.0f, NULL, QREF_ACC_F32), 1);
    const float big2[2] = { 0x1p17f, 0x1p-1f };  /* 127·2^18 + 1 > 2^24 */
    CU_ASSERT_EQUAL(fill_of(2, big2, q2, 1.0f, NULL, QREF_ACC_F32), 0);
    const float at24[3] = { 0x1p23f, 8388607.0f, 1.0f };   /* Σ = 2^24 exactly: allowed */
    const float over24[3] = { 0x1p23f, 8388609.0f, 1.0f }; /* 2^24 + 2: one too many */
    const int8_t q11[3] = { 1, 1, 1 };
    CU_ASSERT_EQUAL(fill_of(3, at24, q11, 1.0f, NULL, QREF_ACC_F32), 1);
    CU_ASSERT_EQUAL(fill_of(3, over24, q11, 1.0f, NULL, QREF_ACC_F32), 0);
    const float frac[2] = { 0.1f, 1.0f };             /* 0.1f has 24 bits: Σ in units > 2^24 */
    CU_ASSERT_EQUAL(fill_of(2, frac, q11, 1.0f, NULL, QREF_ACC_F32), 0);
    const float f16no[2] = { 1.0f + 0x1p-12f, 0.0f }; /* fits f32 accumulation, not f16 */
    CU_ASSERT_EQUAL(fill_of(2, f16no, q11, 1.0f, NULL, QREF_ACC_F32), 1);
    CU_ASSERT_EQUAL(fill_of(2, f16no, q11, 1.0f, NULL, QREF_ACC_F16), 0);
    const float nan[2] = { qref_f32_from_bits(0x7FC00000u), 0 };
    CU_ASSERT_EQUAL(fill_of(2, nan, q11, 1.0f, NULL, QREF_ACC_F32), 0);
    const float zeros[2] = { 0, -0.0f };
    CU_ASSERT_EQUAL(fill_of(2, zeros, q11, 1.0f, NULL, QREF_ACC_F32), 1);
}

/* ---- the independent oracle --------------------------------------------------- */

/* A nonoverlapping expansion (Shewchuk 1997), increasing magnitude, no zeros. */
typedef struct expn {
    int n;
    double c[2400];
} expn;

static void two_sum(double a, double b, double *s, double *e)
{
    double x = a + b, bv = x - a, av = x - bv;
    *s = x;
    *e = (a - av) + (b - bv);
}

static void grow(expn *e, double b)   /* Grow-Expansion with zero elimination */
{
    double q = b;
    int j = 0;
    for (int i = 0; i < e->n; i++) {
        double h;
        two_sum(q, e->c[i], &q, &h);
        if (h != 0.0)
            e->c[j++] = h;
    }
    if (q != 0.0)
        e->c[j++] = q;
    e->n = j;
}

static int expn_sign(const expn *e) { return e->n == 0 ? 0 : e->c[e->n - 1] > 0 ? 1 : -1; }

/* sign of (e - v), exact */
static int expn_cmp(const expn *e, double v)
{
    static expn t;
    t.n = e->n;
    memcpy(t.c, e->c, sizeof(double) * (size_t)e->n);
    grow(&t, -v);
    return expn_sign(&t);
}

/* a · (hi + lo) exactly: Veltkamp splits a 53-bit double into two halves of
 * at most 26 bits; times a 24-bit float each product is exact in double. */
static void add_product(expn *e, double a, double w)
{
    double c = 134217729.0 * w, wh = c - (c - w), wl = w - wh;
    grow(e, a * wh);
    grow(e, a * wl);
}

typedef struct ofmt {
    int mbits, bias;
    uint32_t inf;     /* magnitude code of Inf */
    int sbit;
} ofmt;

static ofmt ofmt_of(qref_fmt f)
{
    if (f == QREF_FMT_F32)
        return (ofmt){ 23, 127, 0x7F800000u, 31 };
    if (f == QREF_FMT_F16)
        return (ofmt){ 10, 15, 0x7C00u, 15 };
    return (ofmt){ 7, 127, 0x7F80u, 15 };
}

/* value of a signed magnitude key (every code finite: Inf's code is 2^emax+1) */
static double key_val(ofmt o, int64_t key)
{
    uint64_t c = (uint64_t)(key < 0 ? -key : key);
    uint64_t e = c >> o.mbits, m = c & ((1ull << o.mbits) - 1);
    double v = e ? ldexp((double)(m | (1ull << o.mbits)), (int)e - o.bias - o.mbits)
                 : ldexp((double)m, 1 - o.bias - o.mbits);
    return key < 0 ? -v : v;
}

static uint32_t oracle_round(const expn *e, qref_fmt f)
{
    ofmt o = ofmt_of(f);
    double h = 0.0;
    for (int i = 0; i < e->n; i++)
        h += e->c[i];
    uint32_t c0 = f == QREF_FMT_F32 ? qref_f32_bits(qref_round2_to_f32(h, 0))
                  : f == QREF_FMT_F16 ? qref_round2_to_f16(h, 0) : qref_round2_to_bf16(h, 0);
    uint32_t mag = c0 & ((1u << o.sbit) - 1);
    int64_t key = (c0 >> o.sbit) ? -(int64_t)mag : (int64_t)mag, lim = (int64_t)o.inf;
    for (int guard = 0; guard < 100; guard++) {
        if (key < lim) {
            int c = expn_cmp(e, (key_val(o, key) + key_val(o, key + 1)) / 2);
            if (c > 0 || (c == 0 && (key & 1))) {
                key++;
                continue;
            }
        }
        if (key > -lim) {
            int c = expn_cmp(e, (key_val(o, key - 1) + key_val(o, key)) / 2);
            if (c < 0 || (c == 0 && (key & 1))) {
                key--;
                continue;
            }
        }
        break;
    }
    uint32_t sign = key < 0 || (key == 0 && expn_sign(e) < 0);
    return (sign << o.sbit) | (uint32_t)(key < 0 ? -key : key);
}

/* ---- kernels to check against the bound -------------------------------------- */

static float f16r(double x) { return qref_f16_to_f32(qref_round2_to_f16(x, 0.0)); }

static float sum_pairwise(const float *p, int64_t n)
{
    if (n == 1)
        return p[0];
    int64_t h = n / 2;
    return sum_pairwise(p, h) + sum_pairwise(p + h, n - h);
}

static float sum_pairwise16(const float *p, int64_t n)
{
    if (n == 1)
        return p[0];
    int64_t h = n / 2;
    return f16r((double)sum_pairwise16(p, h) + (double)sum_pairwise16(p + h, n - h));
}

/* Kernel variant v on products p (f32 or f16 values) plus bias:
 * 0 forward, 1 backward, 2 pairwise, 3 eight lanes, 4 bias first. */
static float kernel_sum(const float *p, int64_t K, float bias, int v, int f16)
{
    float s = 0.0f;
    if (v == 2) {
        s = f16 ? sum_pairwise16(p, K) : sum_pairwise(p, K);
    } else if (v == 3) {
        float lane[8] = { 0 };
        for (int64_t k = 0; k < K; k++)
            lane[k % 8] = f16 ? f16r((double)lane[k % 8] + (double)p[k]) : lane[k % 8] + p[k];
        for (int j = 0; j < 8; j++)
            s = f16 ? f16r((double)s + (double)lane[j]) : s + lane[j];
    } else {
        if (v == 4)
            s = bias;
        for (int64_t k = 0; k < K; k++) {
            float t = p[v == 1 ? K - 1 - k : k];
            s = f16 ? f16r((double)s + (double)t) : s + t;
        }
    }
    if (v != 4)
        s = f16 ? f16r((double)s + (double)bias) : s + bias;
    return s;
}

static double out_val(qref_fmt f, const void *y, size_t i)
{
    if (f == QREF_FMT_F32)
        return (double)((const float *)y)[i];
    uint16_t h = ((const uint16_t *)y)[i];
    return (double)(f == QREF_FMT_F16 ? qref_f16_to_f32(h) : qref_bf16_to_f32(h));
}

static uint32_t out_bits(qref_fmt f, const void *y, size_t i)
{
    return f == QREF_FMT_F32 ? qref_f32_bits(((const float *)y)[i]) : ((const uint16_t *)y)[i];
}

static uint32_t to_out(qref_fmt f, float x)
{
    return f == QREF_FMT_F32 ? qref_f32_bits(x) : f == QREF_FMT_F16 ? qref_f32_to_f16(x) : qref_f32_to_bf16(x);
}

static double bits_val(qref_fmt f, uint32_t b)
{
    return f == QREF_FMT_F32 ? (double)qref_f32_from_bits(b)
           : (double)(f == QREF_FMT_F16 ? qref_f16_to_f32((uint16_t)b) : qref_bf16_to_f32((uint16_t)b));
}

typedef struct verdict {
    long elems, oracle_bad, bound_bad, exact_bad, buggy_caught, reports;
} verdict;

/* QCHECK for the element loops: registers at most QTEST_MAX_REPORTS
 * failures per verdict (the counters keep the totals, asserted once). */
#define VCHECK(v, cond, ...) ((cond) || ((v)->reports++ < QTEST_MAX_REPORTS ? QCHECK(0, __VA_ARGS__) : 0))

/* Runs qref_gemm on (d, a, w, bias) and checks every element: bits against
 * the oracle, every kernel variant against the bound (f32 and, where K' <
 * 2048, f16 accumulation), bit-identity of all variants when exact_fill. */
static void check_problem(const qref_gemm_desc *d, const void *a, const qref_qtensor *w, const float *bias,
                          uint64_t seed, verdict *v)
{
    const int64_t M = d->M, N = d->N, K = d->K, B = d->batch;
    const int64_t lda = d->lda ? d->lda : K, ldy = d->ldy ? d->ldy : N;
    size_t ysz = (size_t)(B * M * ldy) * (d->out_dtype == QREF_FMT_F32 ? 4 : 2);
    void *y = malloc(ysz), *y16 = malloc(ysz);
    memset(y, 0xA5, ysz);
    memset(y16, 0xA5, ysz);
    float *bound = malloc(sizeof(float) * (size_t)(B * M * N)), *bound16 = malloc(sizeof(float) * (size_t)(B * M * N));
    double *hi = malloc(sizeof(double) * (size_t)K), *lo = malloc(sizeof(double) * (size_t)K);
    float *p = malloc(sizeof(float) * (size_t)K), *p16 = malloc(sizeof(float) * (size_t)K);
    float *af = malloc(sizeof(float) * (size_t)K);
    static expn e;
    qref_error err;
    qref_status st = qref_gemm(d, a, w, bias, y, bound, QREF_ACC_F32, &err);
    QCHECK(st == QREF_OK, "seed 0x%llx: gemm failed: %s", (unsigned long long)seed, err.msg);
    st = qref_gemm(d, a, w, bias, y16, bound16, QREF_ACC_F16, &err);
    QCHECK(st == QREF_OK && memcmp(y, y16, ysz) == 0, "seed 0x%llx: y depends on acc", (unsigned long long)seed);
    int fill32 = -1, fill16 = -1;
    CU_ASSERT_EQUAL(qref_gemm_is_exact_fill(d, a, w, bias, QREF_ACC_F32, &fill32, NULL), QREF_OK);
    CU_ASSERT_EQUAL(qref_gemm_is_exact_fill(d, a, w, bias, QREF_ACC_F16, &fill16, NULL), QREF_OK);
    int f16ok = K + (d->has_bias ? 1 : 0) + 2 < 2048;
    for (int64_t b = 0; b < B && st == QREF_OK; b++) {
        for (int64_t n = 0; n < N; n++) {
            memset(lo, 0, sizeof(double) * (size_t)K);
            CU_ASSERT_EQUAL_FATAL(qref_dequantize_row_exact(&w[b], n, hi, lo, NULL), QREF_OK);
            float bn = d->has_bias ? bias[b * N + n] : 0.0f;
            for (int64_t m = 0; m < M; m++) {
                size_t yi = (size_t)((b * M + m) * ldy + n), bi = (size_t)((b * M + m) * N + n);
                e.n = 0;
                for (int64_t k = 0; k < K; k++) {
                    size_t ai = (size_t)((b * M + m) * lda + k);
                    af[k] = d->a_dtype == QREF_FMT_F32 ? ((const float *)a)[ai]
                            : d->a_dtype == QREF_FMT_F16 ? qref_f16_to_f32(((const uint16_t *)a)[ai])
                                                         : qref_bf16_to_f32(((const uint16_t *)a)[ai]);
                    add_product(&e, (double)af[k], hi[k]);
                    add_product(&e, (double)af[k], lo[k]);
                    p[k] = af[k] * qref_round2_to_f32(hi[k], lo[k]);
                    p16[k] = f16r((double)f16r((double)af[k]) * (double)qref_f16_to_f32(qref_round2_to_f16(hi[k], lo[k])));
                }
                grow(&e, (double)bn);
                double Sd = fabs((double)bn);
                for (int64_t k = 0; k < K; k++)
                    Sd += fabs((double)af[k]) * (fabs(hi[k]) + fabs(lo[k]));
                int f16el = f16ok && Sd < 30000.0;   /* the f16 bound assumes no overflow */
                v->elems++;
                uint32_t want = oracle_round(&e, d->out_dtype), got = out_bits(d->out_dtype, y, yi);
                if (!VCHECK(v, want == got, "seed 0x%llx b%lld m%lld n%lld: y 0x%x, oracle 0x%x", (unsigned long long)seed,
                            (long long)b, (long long)m, (long long)n, got, want))
                    v->oracle_bad++;
                double yr = out_val(d->out_dtype, y, yi);
                for (int var = 0; var < 5; var++) {
                    uint32_t k32 = to_out(d->out_dtype, kernel_sum(p, K, bn, var, 0));
                    double diff = k32 == got ? 0.0 : fabs(bits_val(d->out_dtype, k32) - yr);
                    if (!VCHECK(v, diff <= (double)bound[bi], "seed 0x%llx b%lld m%lld n%lld order %d: |%a - %a| > bound %a",
                                (unsigned long long)seed, (long long)b, (long long)m, (long long)n, var,
                                bits_val(d->out_dtype, k32), yr, (double)bound[bi]))
                        v->bound_bad++;
                    if (fill32 == 1 && !VCHECK(v, k32 == got, "seed 0x%llx: exact fill, order %d gives 0x%x, y 0x%x",
                                               (unsigned long long)seed, var, k32, got))
                        v->exact_bad++;
                    float s16 = kernel_sum(p16, K, f16r((double)bn), var, 1);
                    uint32_t k16 = to_out(d->out_dtype, s16);
                    double d16 = k16 == got ? 0.0 : fabs(bits_val(d->out_dtype, k16) - yr);
                    if (f16el && !VCHECK(v, d16 <= (double)bound16[bi], "seed 0x%llx b%lld m%lld n%lld f16 order %d: |%a - %a| > bound %a",
                                         (unsigned long long)seed, (long long)b, (long long)m, (long long)n, var,
                                         bits_val(d->out_dtype, k16), yr, (double)bound16[bi]))
                        v->bound_bad++;
                    if (fill16 == 1 && f16el && !VCHECK(v, k16 == got, "seed 0x%llx: exact fill (f16), order %d gives 0x%x, y 0x%x",
                                               (unsigned long long)seed, var, k16, got))
                        v->exact_bad++;
                }
                /* a buggy kernel: drops the largest term */
                int64_t kmax = 0;
                for (int64_t k = 1; k < K; k++)
                    if (fabsf(p[k]) > fabsf(p[kmax]))
                        kmax = k;
                float saved = p[kmax];
                p[kmax] = 0.0f;
                double bug = bits_val(d->out_dtype, to_out(d->out_dtype, kernel_sum(p, K, bn, 0, 0)));
                p[kmax] = saved;
                if (saved != 0.0f && fabs(bug - yr) > (double)bound[bi])
                    v->buggy_caught++;
            }
        }
    }
    free(y), free(y16), free(bound), free(bound16), free(hi), free(lo), free(p), free(p16), free(af);
}

/* Activations of batch x M x lda in a_dtype, exponents in [emin, emax]. */
static void *make_acts(uint64_t *s, qref_fmt adt, int64_t count, int emin, int emax, int integers)
{
    void *a = malloc((size_t)count * 4);
    for (int64_t i = 0; i < count; i++) {
        float f = integers ? (float)((int)rnd(s, 17) - 8) : rnd_float(s, emin, emax);
        if (adt == QREF_FMT_F32)
            ((float *)a)[i] = f;
        else
            ((uint16_t *)a)[i] = adt == QREF_FMT_F16 ? qref_f32_to_f16(f) : qref_f32_to_bf16(f);
    }
    return a;
}

/* W for scheme s: quantized random weights, or random blocks with a valid
 * f16 d at the start of each block for presets without a quantizer. */
static int make_weights(uint64_t *s, const qref_scheme *sc, int64_t N, int64_t K, qref_qtensor *w)
{
    float *wf = malloc(sizeof(float) * (size_t)(N * K));
    for (int64_t n = 0; n < N; n++) {
        float rs = ldexpf(1.0f, (int)rnd(s, 9) - 4);
        for (int64_t k = 0; k < K; k++)
            wf[n * K + k] = rnd_gauss(s) * rs;
    }
    qref_error err;
    qref_status st = qref_quantize(sc, N, K, wf, w, &err);
    free(wf);
    if (st == QREF_ERR_UNSUPPORTED && sc->family == QREF_FAMILY_GGUF) {
        qref_qtensor raw;
        if (qref_qtensor_alloc(sc, N, K, &raw, &err) != QREF_OK)
            return 0;
        size_t nb = (size_t)(N * K / sc->group), bs = raw.sizes.codes / nb;
        for (size_t i = 0; i < raw.sizes.total; i++)
            raw.storage[i] = (uint8_t)splitmix64(s);
        for (size_t i = 0; i < nb; i++) {
            uint16_t dh = (uint16_t)(0x1800 + rnd(s, 0x1000));      /* 2^-9 .. 2^-6 */
            raw.codes[i * bs] = (uint8_t)dh, raw.codes[i * bs + 1] = (uint8_t)(dh >> 8);
        }
        uint8_t *buf = malloc(raw.sizes.total);
        qref_qtensor_save(&raw, buf, raw.sizes.total);
        st = qref_qtensor_load(sc, N, K, buf, raw.sizes.total, w, &err);
        free(buf);
        qref_qtensor_free(&raw);
    }
    if (!QCHECK(st == QREF_OK, "%s: no weights: %s", sc->name, err.msg))
        return 0;
    return 1;
}

static void report(const char *what, const verdict *v)
{
    printf("\n    %s: %ld elements, %ld oracle mismatches, %ld outside the bound, %ld exact-fill differences, "
           "buggy kernel caught on %ld",
           what, v->elems, v->oracle_bad, v->bound_bad, v->exact_bad, v->buggy_caught);
}

static void test_random_problems(void)
{
    static const char *const schemes[] = { "int8_per_channel", "fp4_g32_f16", "nf4_g64", "nvfp4", "gguf_q4_1",
                                           "gguf_q4_k", "mxfp8_e5m2", "int4_asym_g128" };
    static const qref_fmt fmts[3] = { QREF_FMT_F32, QREF_FMT_F16, QREF_FMT_BF16 };
    verdict v = { 0 };
    for (int it = 0; it < 120; it++) {
        uint64_t seed = 0x6E6D0000u + (uint64_t)it, s = seed;
        const qref_scheme *sc = qref_scheme_find(schemes[it % 8]);
        int64_t G = sc->group > 0 ? sc->group : 32;
        int64_t B = 1 + (it % 5 == 0), M = 1 + rnd(&s, 4), N = 1 + rnd(&s, 6), K = G * (1 + rnd(&s, 3));
        if (sc->group == 256)
            K = 256;
        qref_gemm_desc d = { B, M, N, K, K + rnd(&s, 3), N + rnd(&s, 2), fmts[rnd(&s, 3)], fmts[rnd(&s, 3)],
                             (int)rnd(&s, 2), 0 };
        /* activations over 2^-6 .. 2^2, 2^-30 .. 2^10 or (f32 only) 2^-120 .. 2^60: the
         * last ones do not fit the 128-bit window and take the limb path */
        static const int ranges[3][2] = { { -6, 2 }, { -30, 10 }, { -120, 60 } };
        int wide = it % 3 == 2 && d.a_dtype != QREF_FMT_F32 ? 1 : it % 3;
        void *a = make_acts(&s, d.a_dtype, B * M * d.lda, ranges[wide][0], ranges[wide][1], 0);
        float *bias = malloc(sizeof(float) * (size_t)(B * N));
        for (int64_t i = 0; i < B * N; i++)
            bias[i] = rnd_float(&s, -8, 3);
        qref_qtensor w[2];
        int ok = make_weights(&s, sc, N, K, &w[0]) && (B == 1 || make_weights(&s, sc, N, K, &w[1]));
        if (ok)
            check_problem(&d, a, w, d.has_bias ? bias : NULL, seed, &v);
        for (int64_t b = 0; ok && b < B; b++)
            qref_qtensor_free(&w[b]);
        free(a);
        free(bias);
    }
    report("random", &v);
    CU_ASSERT(v.elems > 1000);
    CU_ASSERT(v.oracle_bad == 0 && v.bound_bad == 0 && v.exact_bad == 0);
    CU_ASSERT(v.buggy_caught > v.elems / 2);
}

/* Weights with wide significands: Q4_K blocks with d = 2^15 and dmin = 2^-24
 * give w = d·sc·q - dmin·m with up to ~50 significant bits, which the
 * reference cuts into two pieces (no preset gives lo != 0 today: lo takes
 * the same path as hi). With activations over 2^-60 .. 2^20 the sums take
 * the limb path. */
static void test_wide_weights(void)
{
    const qref_scheme *sc = qref_scheme_find("gguf_q4_k");
    verdict v = { 0 };
    long nwide = 0;
    for (int it = 0; it < 6; it++) {
        uint64_t seed = 0x10AD0000u + (uint64_t)it, s = seed;
        const int64_t M = 2, N = 4, K = 512;
        qref_qtensor raw, w;
        CU_ASSERT_FATAL(qref_qtensor_alloc(sc, N, K, &raw, NULL) == QREF_OK);
        size_t bs = raw.sizes.codes / (size_t)(N * K / 256);
        for (size_t i = 0; i < raw.sizes.total; i++)
            raw.storage[i] = (uint8_t)splitmix64(&s);
        for (size_t i = 0; i < (size_t)(N * K / 256); i++) {
            raw.codes[i * bs] = 0x00, raw.codes[i * bs + 1] = 0x78;       /* d = 2^15 */
            raw.codes[i * bs + 2] = 0x01, raw.codes[i * bs + 3] = 0x00;   /* dmin = 2^-24 */
        }
        uint8_t *buf = malloc(raw.sizes.total);
        qref_qtensor_save(&raw, buf, raw.sizes.total);
        CU_ASSERT_FATAL(qref_qtensor_load(sc, N, K, buf, raw.sizes.total, &w, NULL) == QREF_OK);
        double hi[512], lo[512];
        for (int64_t n = 0; n < N; n++) {
            memset(lo, 0, sizeof lo);
            CU_ASSERT_EQUAL(qref_dequantize_row_exact(&w, n, hi, lo, NULL), QREF_OK);
            for (int64_t k = 0; k < K; k++) {
                double m = fabs(hi[k]);
                int ex;
                nwide += m != 0.0 && lo[k] == 0.0 && ldexp(frexp(m, &ex), 41) != floor(ldexp(frexp(m, &ex), 41));
            }
        }
        qref_gemm_desc d = { 1, M, N, K, 0, 0, QREF_FMT_F32, (qref_fmt)(it % 3), it & 1, 0 };
        void *a = make_acts(&s, QREF_FMT_F32, M * K, it < 3 ? -6 : -60, it < 3 ? 2 : 20, 0);
        float bias[4];
        for (int i = 0; i < 4; i++)
            bias[i] = rnd_float(&s, -30, 20);
        check_problem(&d, a, &w, bias, seed, &v);
        free(a), free(buf);
        qref_qtensor_free(&raw);
        qref_qtensor_free(&w);
    }
    report("wide weights", &v);
    printf(" (%ld weights wider than 41 bits)", nwide);
    CU_ASSERT(nwide > 100);
    CU_ASSERT(v.oracle_bad == 0 && v.bound_bad == 0 && v.exact_bad == 0);
}

static void test_exact_fill_orders(void)
{
    verdict v = { 0 };
    int fills32 = 0, fills16 = 0;
    for (int it = 0; it < 60; it++) {
        uint64_t seed = 0xF1110000u + (uint64_t)it, s = seed;
        int f16 = it & 1;
        int64_t M = 1 + rnd(&s, 3), N = 1 + rnd(&s, 5), K = f16 ? 4 + rnd(&s, 12) : 16 + rnd(&s, 500);
        int lim = f16 ? 15 : 127;
        int8_t *q = malloc((size_t)(N * K));
        float *sc = malloc(sizeof(float) * (size_t)N);
        for (int64_t i = 0; i < N * K; i++)
            q[i] = (int8_t)((int)rnd(&s, (uint32_t)(2 * lim + 1)) - lim);
        for (int64_t n = 0; n < N; n++)
            sc[n] = ldexpf(1.0f, -(int)rnd(&s, 6));
        qref_qtensor w;
        make_int8(N, K, q, sc, &w);
        qref_fmt adt = f16 ? QREF_FMT_F16 : (qref_fmt)rnd(&s, 3), odt = (qref_fmt)rnd(&s, 3);
        qref_gemm_desc d = { 1, M, N, K, 0, 0, adt, odt, (int)rnd(&s, 2), 0 };
        void *a = make_acts(&s, adt, M * K, 0, 0, 1);
        float bias[8];
        for (int i = 0; i < 8; i++)
            bias[i] = (float)((int)rnd(&s, 33) - 16) * (f16 ? 1.0f : 0.25f);
        int ex32 = 0, ex16 = 0;
        CU_ASSERT_EQUAL(qref_gemm_is_exact_fill(&d, a, &w, bias, QREF_ACC_F32, &ex32, NULL), QREF_OK);
        CU_ASSERT_EQUAL(qref_gemm_is_exact_fill(&d, a, &w, bias, QREF_ACC_F16, &ex16, NULL), QREF_OK);
        QCHECK(ex32 == 1, "seed 0x%llx: integer problem is not an exact fill", (unsigned long long)seed);
        fills32 += ex32, fills16 += ex16;
        check_problem(&d, a, &w, bias, seed, &v);
        qref_qtensor_free(&w);
        free(a), free(q), free(sc);
    }
    report("exact fill", &v);
    CU_ASSERT(fills16 >= 20);
    CU_ASSERT(v.oracle_bad == 0 && v.bound_bad == 0 && v.exact_bad == 0);
}

static void test_catalog(void)
{
    static const int64_t shapes[][2] = { { 64, 512 }, { 256, 256 } };
    verdict v = { 0 };
    int schemes = 0;
    for (size_t i = 0; i < qref_scheme_count(); i++) {
        const qref_scheme *sc = qref_scheme_at(i);
        int64_t N = 0, K = 0;
        for (size_t j = 0; j < 2 && !N; j++) {
            qref_qsizes z;
            if (qref_qsizes_get(sc, shapes[j][0], shapes[j][1], &z, NULL) == QREF_OK)
                N = shapes[j][0], K = shapes[j][1];
        }
        if (!QCHECK(N, "%s: no shape fits", sc->name))
            continue;
        for (int64_t M = 1; M <= 3; M += 2) {
            uint64_t seed = 0xCA7A0000u + i * 16 + (uint64_t)M, s = seed;
            qref_qtensor w;
            if (!make_weights(&s, sc, N, K, &w))
                continue;
            qref_gemm_desc d = { 1, M, N, K, 0, 0, QREF_FMT_F32, M == 1 ? QREF_FMT_F16 : QREF_FMT_F32, M == 3, 0 };
            void *a = make_acts(&s, d.a_dtype, M * K, -8, 3, 0);
            float *bias = malloc(sizeof(float) * (size_t)N);
            for (int64_t n = 0; n < N; n++)
                bias[n] = rnd_float(&s, -4, 2);
            check_problem(&d, a, &w, bias, seed, &v);
            schemes += M == 1;
            qref_qtensor_free(&w);
            free(a), free(bias);
        }
    }
    report("catalog", &v);
    CU_ASSERT_EQUAL(schemes, (int)qref_scheme_count());
    CU_ASSERT(v.oracle_bad == 0 && v.bound_bad == 0 && v.exact_bad == 0);
}

QTEST_SUITE(gemm,
    QTEST(test_known_small),
    QTEST(test_cancellation),
    QTEST(test_ties),
    QTEST(test_zeros_tiny_overflow),
    QTEST(test_bias),
    QTEST(test_batch_strides),
    QTEST(test_batch_nonfinite_bound),
    QTEST(test_window_width),
    QTEST(test_f16_bf16_inputs),
    QTEST(test_nonfinite),
    QTEST(test_errors),
    QTEST(test_bound_known),
    QTEST(test_exact_fill_known),
    QTEST(test_random_problems),
    QTEST(test_wide_weights),
    QTEST(test_exact_fill_orders),
    QTEST(test_catalog))
