/* NEON MoE expert layer: the stages of moe_experts.inc (avx2/moe_experts.c
 * describes them) with the scheme's NEON GEMV / panel GEMM (the generic
 * qcts_gemm__scalar for a scheme without one), SwiGLU 4 lanes at a time
 * and the combine y[t] = sum_j wt[t][j] D[slot(t, j)] (FMA, j in order)
 * + shared, 4 columns at a time.
 * exp: the method of avx2/moe_vmath.h (x clamped to [-104, 88.7], n =
 * round(x log2 e), two-piece Cody-Waite with FMA, degree-6 polynomial, 2^n
 * as two factors); relative error < 2^-21 (QREF_MOE_EPS_F), tested. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/backend_say.h"
#include "kernels/opcall.h"
#include "kernels/ops/op_moe.h"
#include "kernels/simd/avx2/moe.h"
#include "kernels/simd/neon/common.h"
#include "qref/bits.h"


QCTS_NEON_INLINE float32x4_t moe_exp4(float32x4_t x)
{
    x = vminq_f32(vmaxq_f32(x, vdupq_n_f32(-104.0f)), vdupq_n_f32(88.7f));
    const float32x4_t n = vrndnq_f32(vmulq_f32(x, vdupq_n_f32(1.44269504088896341f)));
    float32x4_t r = vfmsq_f32(x, n, vdupq_n_f32(0.693359375f));
    r = vfmsq_f32(r, n, vdupq_n_f32(-2.12194440e-4f));
    float32x4_t p = vdupq_n_f32(1.9875691500e-4f);
    p = vfmaq_f32(vdupq_n_f32(1.3981999507e-3f), p, r);
    p = vfmaq_f32(vdupq_n_f32(8.3334519073e-3f), p, r);
    p = vfmaq_f32(vdupq_n_f32(4.1665795894e-2f), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.6666665459e-1f), p, r);
    p = vfmaq_f32(vdupq_n_f32(5.0000001201e-1f), p, r);
    p = vfmaq_f32(vaddq_f32(r, vdupq_n_f32(1.0f)), p, vmulq_f32(r, r));
    const int32x4_t ni = vcvtnq_s32_f32(n), h = vshrq_n_s32(ni, 1);
    const float32x4_t s1 = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(h, vdupq_n_s32(127)), 23));
    const float32x4_t s2 = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(vsubq_s32(ni, h), vdupq_n_s32(127)), 23));
    return vmulq_f32(vmulq_f32(p, s1), s2);
}

/* silu(g) u = g / (1 + exp(-g)) u */
QCTS_NEON_INLINE float32x4_t swiglu4(float32x4_t g, float32x4_t u)
{
    const float32x4_t e = moe_exp4(vnegq_f32(g));
    return vmulq_f32(vdivq_f32(g, vaddq_f32(vdupq_n_f32(1.0f), e)), u);
}

/* Tests: fn 0 exp, 1 SwiGLU on n (a multiple of 4) floats. */
void qcts_moe_vmath__neon(int fn, const float *x, const float *u, float *y, int64_t n);
void qcts_moe_vmath__neon(int fn, const float *x, const float *u, float *y, int64_t n)
{
    for (int64_t i = 0; i + 4 <= n; i += 4)
        vst1q_f32(y + i, fn == 0 ? moe_exp4(vld1q_f32(x + i)) : swiglu4(vld1q_f32(x + i), vld1q_f32(u + i)));
}

typedef struct xjob xjob;
static const qcts_gemm_variant *moe_variant(const char *scheme, int gemv)
{
    return qcts_gemm_variant_best(QCTS_ISA_NEON, scheme, gemv);
}

static void swiglu_rows(float *act, const float *h, int64_t I)
{
    int64_t i = 0;
    for (; i + 4 <= I; i += 4)
        vst1q_f32(act + i, swiglu4(vld1q_f32(h + i), vld1q_f32(h + I + i)));
    if (i < I) {   /* the same vector code on a padded tail */
        float g[4] = { 0 }, u[4] = { 0 }, y[4];
        memcpy(g, h + i, sizeof(float) * (size_t)(I - i));
        memcpy(u, h + I + i, sizeof(float) * (size_t)(I - i));
        vst1q_f32(y, swiglu4(vld1q_f32(g), vld1q_f32(u)));
        memcpy(act + i, y, sizeof(float) * (size_t)(I - i));
    }
}

#define MOE_FN(name) name##__neon
#define MOE_WHO "neon"
#define MOE_ISA QCTS_ISA_NEON
#define MOE_SLOT qcts_neon_moe_experts_gemv
#define MOE_GENERIC_GEMM 1
qcts_status MOE_SLOT(const qcts_moe_experts_desc *d, const qcts_buffers *b, qcts_call **call, char *msg, size_t n);
qcts_moe_experts_plan *qcts_moe_experts_plan__neon(const qref_moe_experts_desc *d, const char *scheme,
                                                   const uint8_t *gu, size_t gu_bytes, const uint8_t *dn,
                                                   size_t dn_bytes, const uint8_t *sgu, size_t sgu_bytes,
                                                   const uint8_t *sdn, size_t sdn_bytes, int threads,
                                                   int *unsupported, char *why, size_t n);
int qcts_moe_experts_run__neon(qcts_moe_experts_plan *p, const float *x, const int32_t *ids, const float *wt,
                               float *y, char *why, size_t n);
const char *qcts_moe_experts_variant__neon(const qcts_moe_experts_plan *p);
void qcts_moe_experts_free__neon(qcts_moe_experts_plan *p);
static void combine_worker(void *ctx, int th, int64_t lo, int64_t hi);
#include "kernels/simd/moe_experts.inc"

static void combine_worker(void *ctx, int th, int64_t lo, int64_t hi)
{
    (void)th;
    const xjob *j = ctx;
    const qcts_moe_experts_plan *p = j->p;
    const int64_t H = p->d.hidden, K = p->d.top_k;
    for (int64_t t = lo; t < hi; t++) {
        float *y = j->y + t * H;
        int64_t h = 0;
        for (; h + 4 <= H; h += 4) {
            float32x4_t acc = vdupq_n_f32(0.0f);
            for (int64_t k = 0; k < K; k++)
                acc = vfmaq_n_f32(acc, vld1q_f32(p->D + (int64_t)p->slot[t * K + k] * H + h), j->wt[t * K + k]);
            if (p->d.has_shared)
                acc = vaddq_f32(acc, vld1q_f32(p->SH + t * H + h));
            vst1q_f32(y + h, acc);
        }
        for (; h < H; h++) {   /* the same operations, one lane */
            float acc = 0.0f;
            for (int64_t k = 0; k < K; k++)
                acc = __builtin_fmaf(j->wt[t * K + k], p->D[(int64_t)p->slot[t * K + k] * H + h], acc);
            if (p->d.has_shared)
                acc += p->SH[t * H + h];
            y[h] = acc;
        }
    }
}
