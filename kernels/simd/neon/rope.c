/* RoPE, NEON (qcts/op_rope.h): the method of avx2/rope.c with the driver
 * and slot of rope_rows.inc. The per-token cos/sin are computed in double,
 * one angle at a time, with the AVX2 kernel's reduction (Cody-Waite by
 * pi/2 in three 21-bit pieces, exact products for |k| < 2^32) and Taylor
 * polynomials, rounded to float32 once; the rotation of every head, the hot
 * loop, runs 4 lanes at a time: y = x CC + x' SS (one multiply, one FMA),
 * rounded once to out_dtype. Rows are widened / narrowed by the NEON
 * conversions in blocks of 64. */
#include <stdlib.h>
#include <string.h>

#include "kernels/backend_say.h"
#include "kernels/opcall.h"
#include "kernels/simd/avx2/rowops.h"
#include "kernels/simd/neon/common.h"

enum { BLK = 64 };

/* sin and cos of x (|x| < 2^31), as avx2/rope.c's sincos4 per lane. */
static void sincos1(double x, double *s, double *c)
{
    const double P0 = 0x1.921fb00000000p+0, P1 = 0x1.5110b00000000p-22, P2 = 0x1.1846a00000000p-44,
                 P3 = -0x1.d9ccf00000000p-66;
    const double k = __builtin_rint(x * 0x1.45f306dc9c883p-1);
    double r = x - k * P0;
    r = r - k * P1;
    r = r - k * P2;
    r = r - k * P3;
    const double z = r * r;
    double S = 1.0 / 355687428096000.0;
    S = __builtin_fma(S, z, -1.0 / 1307674368000.0);
    S = __builtin_fma(S, z, 1.0 / 6227020800.0);
    S = __builtin_fma(S, z, -1.0 / 39916800.0);
    S = __builtin_fma(S, z, 1.0 / 362880.0);
    S = __builtin_fma(S, z, -1.0 / 5040.0);
    S = __builtin_fma(S, z, 1.0 / 120.0);
    S = __builtin_fma(S, z, -1.0 / 6.0);
    const double sr = __builtin_fma(r * z, S, r);
    double C = 1.0 / 20922789888000.0;
    C = __builtin_fma(C, z, -1.0 / 87178291200.0);
    C = __builtin_fma(C, z, 1.0 / 479001600.0);
    C = __builtin_fma(C, z, -1.0 / 3628800.0);
    C = __builtin_fma(C, z, 1.0 / 40320.0);
    C = __builtin_fma(C, z, -1.0 / 720.0);
    C = __builtin_fma(C, z, 1.0 / 24.0);
    const double cr = __builtin_fma(z * z, C, __builtin_fma(-z, 0.5, 1.0));
    /* quadrant q = k mod 4: sin = (s, c, -s, -c)[q], cos = (c, -s, -c, s)[q] */
    const int q = (int)((int64_t)k & 3);
    *s = q == 0 ? sr : q == 1 ? cr : q == 2 ? -sr : -cr;
    *c = q == 0 ? cr : q == 1 ? -sr : q == 2 ? -cr : sr;
}

static void token_trig(const qcts_rope_plan *p, int32_t pos, float *cs, float *sn, int half)
{
    for (int i = 0; i < half; i++) {
        double s, c;
        sincos1((double)pos * p->freq[i], &s, &c);
        cs[i] = (float)(c * p->attn);
        sn[i] = (float)(s * p->attn);
    }
}

static void load_f32(int dt, const void *src, int64_t so, float *dst, int64_t n)
{
    if (dt == QCTS_DT_F32)
        memcpy(dst, (const float *)src + so, sizeof(float) * (size_t)n);
    else if (dt == QCTS_DT_F16)
        qcts_convert__neon.f16_to_f32((const uint16_t *)src + so, dst, n);
    else
        qcts_convert__neon.bf16_to_f32((const uint16_t *)src + so, dst, n);
}

static void store_f32(int dt, void *dst, int64_t dof, const float *src, int64_t n)
{
    if (dt == QCTS_DT_F32)
        memcpy((float *)dst + dof, src, sizeof(float) * (size_t)n);
    else if (dt == QCTS_DT_F16)
        qcts_convert__neon.f32_to_f16(src, (uint16_t *)dst + dof, n);
    else
        qcts_convert__neon.f32_to_bf16(src, (uint16_t *)dst + dof, n);
}

static void convert(int sdt, const void *src, int64_t so, int ddt, void *dst, int64_t dof, int64_t n)
{
    if (sdt == ddt) {
        size_t es = sdt == QCTS_DT_F32 ? 4 : 2;
        memcpy((char *)dst + (size_t)dof * es, (const char *)src + (size_t)so * es, (size_t)n * es);
        return;
    }
    float t[BLK];
    for (int64_t j = 0; j < n; j += BLK) {
        int64_t m = n - j < BLK ? n - j : BLK;
        load_f32(sdt, src, so + j, t, m);
        store_f32(ddt, dst, dof + j, t, m);
    }
}

/* y = x * C + xs * S, 4 lanes at a time (the scalar tail: the same two operations) */
static void rot(const float *x, const float *xs, const float *C, const float *S, float *y, int64_t n)
{
    int64_t j = 0;
    for (; j + 4 <= n; j += 4)
        vst1q_f32(y + j, vfmaq_f32(vmulq_f32(vld1q_f32(xs + j), vld1q_f32(S + j)), vld1q_f32(x + j),
                                   vld1q_f32(C + j)));
    for (; j < n; j++)
        y[j] = __builtin_fmaf(x[j], C[j], xs[j] * S[j]);
}

/* The R rotated dims at src[so..] into dst[dof..]. */
static void rotate(int layout, int R, const float *CC, const float *SS, int sdt, const void *src, int64_t so, int ddt,
                   void *dst, int64_t dof)
{
    float a[BLK], b[BLK], y[BLK];
    if (layout == QCTS_ROPE_GPTJ) {   /* pairs (2i, 2i + 1): blocks of 64 keep them together */
        for (int j = 0; j < R; j += BLK) {
            int m = R - j < BLK ? R - j : BLK;
            load_f32(sdt, src, so + j, a, m);
            for (int i = 0; i < m; i++)
                b[i] = a[i ^ 1];
            rot(a, b, CC + j, SS + j, y, m);
            store_f32(ddt, dst, dof + j, y, m);
        }
        return;
    }
    const int half = R / 2;
    for (int j = 0; j < half; j += BLK) {
        int m = half - j < BLK ? half - j : BLK;
        load_f32(sdt, src, so + j, a, m);
        load_f32(sdt, src, so + half + j, b, m);
        rot(a, b, CC + j, SS + j, y, m);
        store_f32(ddt, dst, dof + j, y, m);
        rot(b, a, CC + half + j, SS + half + j, y, m);
        store_f32(ddt, dst, dof + half + j, y, m);
    }
}

void qcts_rope_rows__neon(const qcts_rope_plan *p, const qcts_buffers *b, int64_t t0, int64_t t1, float *scratch);
qcts_status qcts_neon_rope_rows(const qcts_rope_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                                size_t n);

#define QCTS_ROPE_ROWS qcts_rope_rows__neon
#define QCTS_ROPE_SLOT qcts_neon_rope_rows
#define QCTS_ROPE_ISA QCTS_ISA_NEON
#define QCTS_ROPE_WHO "neon"
#define QCTS_ROPE_VARIANT "qcts_rope_rows__neon"
#include "kernels/simd/rope_rows.inc"
