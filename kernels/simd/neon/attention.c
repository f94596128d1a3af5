/* NEON attention: the flash-attention algorithm of attention_flash.inc
 * (avx2/attention.c describes it) on 4-lane float32 vectors: logits by
 * FMA dot products (4 keys at once, 8 independent accumulators), the online
 * softmax's exp with the Cody-Waite / degree-6 polynomial of the AVX2
 * kernel (relative error below 2 ulp, exp(0) = 1, arguments below -87 give
 * +0), P.V with 16 independent accumulators per 64 columns. KV caches in
 * f16/bf16 are widened exactly; scheme presets are dequantized by the NEON
 * dequant kernels (the generic tier for schemes without one). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/simd/avx2/attention.h"
#include "kernels/simd/neon/common.h"
#include "qref/fmt.h"

QCTS_NEON_INLINE float32x4_t exp4(float32x4_t x)
{
    const float32x4_t hi = vdupq_n_f32(88.3762626647949f), lo = vdupq_n_f32(-87.0f);
    const uint32x4_t keep = vcgeq_f32(x, lo);
    x = vminq_f32(vmaxq_f32(x, lo), hi);
    const float32x4_t n = vrndnq_f32(vmulq_f32(x, vdupq_n_f32(1.44269504088896341f)));
    float32x4_t r = vfmsq_f32(x, n, vdupq_n_f32(0.693359375f));
    r = vfmsq_f32(r, n, vdupq_n_f32(-2.12194440e-4f));
    float32x4_t p = vdupq_n_f32(1.9875691500E-4f);
    p = vfmaq_f32(vdupq_n_f32(1.3981999507E-3f), p, r);
    p = vfmaq_f32(vdupq_n_f32(8.3334519073E-3f), p, r);
    p = vfmaq_f32(vdupq_n_f32(4.1665795894E-2f), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.6666665459E-1f), p, r);
    p = vfmaq_f32(vdupq_n_f32(5.0000001201E-1f), p, r);
    p = vfmaq_f32(r, p, vmulq_f32(r, r));
    p = vaddq_f32(p, vdupq_n_f32(1.0f));
    const int32x4_t e = vshlq_n_s32(vaddq_s32(vcvtnq_s32_f32(n), vdupq_n_s32(127)), 23);
    return vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(vmulq_f32(p, vreinterpretq_f32_s32(e))), keep));
}

float qcts_attn_exp__neon(float x) { return vgetq_lane_f32(exp4(vdupq_n_f32(x)), 0); }

static float exp1(float x) { return qcts_attn_exp__neon(x); }

/* Lanes added as (l0 + l2) + (l1 + l3). */
QCTS_NEON_INLINE float hsum4(float32x4_t v)
{
    const float32x2_t p = vadd_f32(vget_low_f32(v), vget_high_f32(v));
    return vget_lane_f32(p, 0) + vget_lane_f32(p, 1);
}

static float dot(const float *a, const float *b, int64_t n)
{
    float32x4_t a0 = vdupq_n_f32(0.0f), a1 = a0;
    int64_t c = 0;
    for (; c + 8 <= n; c += 8) {
        a0 = vfmaq_f32(a0, vld1q_f32(a + c), vld1q_f32(b + c));
        a1 = vfmaq_f32(a1, vld1q_f32(a + c + 4), vld1q_f32(b + c + 4));
    }
    for (; c + 4 <= n; c += 4)
        a0 = vfmaq_f32(a0, vld1q_f32(a + c), vld1q_f32(b + c));
    float s = hsum4(vaddq_f32(a0, a1));
    for (; c < n; c++)
        s += a[c] * b[c];
    return s;
}

/* s[k] = q.k_k for 4 keys at once (8 independent accumulators). */
static void dot4(const float *q, const float *const *k, int64_t n, float *s)
{
    float32x4_t a[4], b[4];
    for (int j = 0; j < 4; j++)
        a[j] = b[j] = vdupq_n_f32(0.0f);
    int64_t c = 0;
    for (; c + 8 <= n; c += 8) {
        const float32x4_t x = vld1q_f32(q + c), y = vld1q_f32(q + c + 4);
        QCTS_UNROLL
        for (int j = 0; j < 4; j++) {
            a[j] = vfmaq_f32(a[j], x, vld1q_f32(k[j] + c));
            b[j] = vfmaq_f32(b[j], y, vld1q_f32(k[j] + c + 4));
        }
    }
    for (; c + 4 <= n; c += 4) {
        const float32x4_t x = vld1q_f32(q + c);
        QCTS_UNROLL
        for (int j = 0; j < 4; j++)
            a[j] = vfmaq_f32(a[j], x, vld1q_f32(k[j] + c));
    }
    for (int j = 0; j < 4; j++)
        s[j] = hsum4(vaddq_f32(a[j], b[j]));
    for (; c < n; c++)
        for (int j = 0; j < 4; j++)
            s[j] += q[c] * k[j][c];
}

/* o = o.alpha + sum_j p[j].v[j] over n keys; masked keys (p = 0) skipped. */
static void pv(float *o, int64_t dv, float alpha, const float *p, const float *const *v, int64_t n)
{
    int64_t c = 0;
    for (; c + 64 <= dv; c += 64) {
        float32x4_t a[16];
        QCTS_UNROLL
        for (int k = 0; k < 16; k++)
            a[k] = vmulq_n_f32(vld1q_f32(o + c + 4 * k), alpha);
        for (int64_t j = 0; j < n; j++) {
            if (p[j] == 0.0f)
                continue;
            const float *vj = v[j] + c;
            QCTS_UNROLL
            for (int k = 0; k < 16; k++)
                a[k] = vfmaq_n_f32(a[k], vld1q_f32(vj + 4 * k), p[j]);
        }
        QCTS_UNROLL
        for (int k = 0; k < 16; k++)
            vst1q_f32(o + c + 4 * k, a[k]);
    }
    for (; c + 4 <= dv; c += 4) {
        float32x4_t acc = vmulq_n_f32(vld1q_f32(o + c), alpha);
        for (int64_t j = 0; j < n; j++)
            if (p[j] != 0.0f)
                acc = vfmaq_n_f32(acc, vld1q_f32(v[j] + c), p[j]);
        vst1q_f32(o + c, acc);
    }
    for (; c < dv; c++) {
        float acc = o[c] * alpha;
        for (int64_t j = 0; j < n; j++)
            if (p[j] != 0.0f)
                acc += p[j] * v[j][c];
        o[c] = acc;
    }
}

static void row_f16(const uint16_t *src, float *dst, int64_t n) { qcts_convert__neon.f16_to_f32(src, dst, n); }
static void row_bf16(const uint16_t *src, float *dst, int64_t n) { qcts_convert__neon.bf16_to_f32(src, dst, n); }

QCTS_NEON_INLINE void prefetch_line(const char *p) { __builtin_prefetch(p, 0, 2); }

QCTS_NEON_INLINE uint16_t f32_to_f16_1(float v) { return qref_f32_to_f16(v); }

/* p[j] = exp(s[j] - mn): 4 at a time (exp4 gives 0 below -87, so -inf -> 0) */
static void exp_row(const float *s, float *p, int64_t nb, float mn)
{
    const float32x4_t mnv = vdupq_n_f32(mn);
    int64_t j = 0;
    for (; j + 4 <= nb; j += 4)
        vst1q_f32(p + j, exp4(vsubq_f32(vld1q_f32(s + j), mnv)));
    for (; j < nb; j++)
        p[j] = s[j] == -INFINITY ? 0.0f : exp1(s[j] - mn);
}

#define QCTS_ATTN_ENTRY qcts_attention__neon
#include "kernels/simd/attention_flash.inc"
