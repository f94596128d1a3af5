/* NEON dotprod (ARMv8.2-A SDOT) quantized-activation GEMV/GEMM (actq.h),
 * built with +dotprod (simd.mk) and chosen only where HWCAP_ASIMDDP says
 * so (actq.c). SDOT multiplies signed bytes, so weights are decoded to
 * their signed integer values (Q4_0: nibble - 8; INT4: sign-extended
 * nibble; E2M1: 2 x value by one TBL; Q8_0: as stored) and no correction is
 * needed. One q register of 4-bit codes is one ggml block (32) or 32
 * KMAJOR columns (QCTS_AQO_EVENODD32: 16 even, 16 odd).
 * Order: per row, per block / group, cvt(exact int32) x scale into one
 * float accumulator; y = vaddvq x row scale + bias. */
#include <arm_neon.h>
#include <string.h>

#include "kernels/simd/actq.h"

#define INL static inline __attribute__((always_inline))
#define UNROLL _Pragma("GCC unroll 8")

INL float f16v(const uint8_t *p)
{
    uint16_t h;
    memcpy(&h, p, 2);
    __fp16 f;
    memcpy(&f, &h, 2);
    return (float)f;
}

INL float e8m0_half(uint8_t e)
{
    uint32_t u = e < 2 ? 0x00200000u << e : (uint32_t)(e - 1) << 23;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static const int8_t e2m1x2[16] = { 0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12 };

/* ---- ggml blocks of 32 ---------------------------------------------------------------------- */
#define GG_ROWS(fname, R, BYTES, DOT, SCALE, Q80)                                                     \
    static void fname(const qcts_gemm_args *g, int64_t m, int64_t n, float *y)                          \
    {                                                                                                   \
        const qcts_actq *aq = g->aq;                                                                    \
        const qcts_qview *w = g->w;                                                                     \
        const int64_t nb = w->cols / 32;                                                                \
        const int8_t *pa = aq->pa + m * aq->kpad;                                                       \
        const float *bd = aq->bd + m * aq->nblk;                                                        \
        const int8x16_t tbl = vld1q_s8(e2m1x2);                                                         \
        (void)tbl;                                                                                      \
        const uint8_t *p[R];                                                                            \
        float32x4_t acc[R];                                                                             \
        UNROLL for (int r = 0; r < R; r++) {                                                            \
            p[r] = w->codes + (size_t)(n + r) * w->row_bytes;                                           \
            acc[r] = vdupq_n_f32(0.0f);                                                                 \
        }                                                                                               \
        for (int64_t b = 0; b < nb; b++) {                                                              \
            const int8x16_t a0 = vld1q_s8(pa + 32 * b), a1 = vld1q_s8(pa + 32 * b + 16);                \
            UNROLL for (int r = 0; r < R; r++) {                                                        \
                const uint8_t *b0 = p[r] + (BYTES) * b;                                                 \
                int32x4_t d = vdupq_n_s32(0);                                                           \
                DOT;                                                                                    \
                float s = SCALE;                                                                        \
                if (Q80)                                                                                \
                    s = s * bd[b];                                                                      \
                acc[r] = vfmaq_n_f32(acc[r], vcvtq_f32_s32(d), s);                                      \
            }                                                                                           \
        }                                                                                               \
        UNROLL for (int r = 0; r < R; r++)                                                              \
            y[r] = vaddvq_f32(acc[r]);                                                                  \
    }

#define Q4_0_DOT                                                                                       \
    const uint8x16_t q = vld1q_u8(b0 + 2);                                                             \
    d = vdotq_s32(d, vsubq_s8(vreinterpretq_s8_u8(vandq_u8(q, vdupq_n_u8(0x0F))), vdupq_n_s8(8)), a0); \
    d = vdotq_s32(d, vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(q, 4)), vdupq_n_s8(8)), a1)
#define MX_DOT                                                                                         \
    const uint8x16_t q = vld1q_u8(b0 + 1);                                                             \
    d = vdotq_s32(d, vqtbl1q_s8(tbl, vandq_u8(q, vdupq_n_u8(0x0F))), a0);                              \
    d = vdotq_s32(d, vqtbl1q_s8(tbl, vshrq_n_u8(q, 4)), a1)
#define Q8_DOT                                                                                         \
    d = vdotq_s32(d, vld1q_s8((const int8_t *)(b0 + 2)), a0);                                          \
    d = vdotq_s32(d, vld1q_s8((const int8_t *)(b0 + 18)), a1)

#define GG_KERNEL(scheme, BYTES, DOT, SCALE)                                                          \
    GG_ROWS(r4i_##scheme, 4, BYTES, DOT, SCALE, 0)                                                    \
    GG_ROWS(r1i_##scheme, 1, BYTES, DOT, SCALE, 0)                                                    \
    GG_ROWS(r4q_##scheme, 4, BYTES, DOT, SCALE, 1)                                                    \
    GG_ROWS(r1q_##scheme, 1, BYTES, DOT, SCALE, 1)                                                    \
    void qcts_aq_##scheme##__neondot(const qcts_gemm_args *g, int64_t n0, int64_t n1, void *scratch)  \
    {                                                                                                  \
        (void)scratch;                                                                                 \
        if (g->aq->mode == QCTS_AQ_GGUF_Q8_0)                                                          \
            qcts_actq_drive(g, n0, n1, r4q_##scheme, r1q_##scheme);                                              \
        else                                                                                           \
            qcts_actq_drive(g, n0, n1, r4i_##scheme, r1i_##scheme);                                              \
    }

GG_KERNEL(gguf_q4_0, 18, Q4_0_DOT, f16v(b0))
GG_KERNEL(gguf_mxfp4, 17, MX_DOT, e8m0_half(b0[0]))
GG_KERNEL(gguf_q8_0, 34, Q8_DOT, f16v(b0))

/* ---- KMAJOR_U32 4-bit rows, 32 columns per step; G columns per scale group ------------------- */
#define KM_ROWS(fname, R, LOHI, G, SCALE)                                                              \
    static void fname(const qcts_gemm_args *g, int64_t m, int64_t n, float *y)                          \
    {                                                                                                   \
        const qcts_actq *aq = g->aq;                                                                    \
        const qcts_qview *w = g->w;                                                                     \
        const int64_t K = w->cols;                                                                      \
        const int8_t *pa = aq->pa + m * aq->kpad;                                                       \
        const int8x16_t tbl = vld1q_s8(e2m1x2);                                                         \
        (void)tbl;                                                                                      \
        const uint8_t *p[R];                                                                            \
        float32x4_t acc[R];                                                                             \
        UNROLL for (int r = 0; r < R; r++) {                                                            \
            p[r] = w->codes + (size_t)(n + r) * w->row_bytes;                                           \
            acc[r] = vdupq_n_f32(0.0f);                                                                 \
        }                                                                                               \
        for (int64_t k0 = 0; k0 < K; k0 += (G)) {                                                       \
            int32x4_t d[R];                                                                             \
            UNROLL for (int r = 0; r < R; r++) d[r] = vdupq_n_s32(0);                                   \
            for (int64_t k = k0; k < k0 + (G); k += 32) {                                               \
                const int8x16_t a0 = vld1q_s8(pa + k), a1 = vld1q_s8(pa + k + 16);                      \
                UNROLL for (int r = 0; r < R; r++) {                                                    \
                    const uint8x16_t q = vld1q_u8(p[r] + k / 2);                                        \
                    int8x16_t lo, hi;                                                                   \
                    LOHI;                                                                               \
                    d[r] = vdotq_s32(vdotq_s32(d[r], lo, a0), hi, a1);                                  \
                }                                                                                       \
            }                                                                                           \
            UNROLL for (int r = 0; r < R; r++) {                                                        \
                const int64_t gi = (n + r) * w->gpr + k0 / (G);                                         \
                acc[r] = vfmaq_n_f32(acc[r], vcvtq_f32_s32(d[r]), SCALE);                               \
            }                                                                                           \
        }                                                                                               \
        UNROLL for (int r = 0; r < R; r++)                                                              \
            y[r] = vaddvq_f32(acc[r]);                                                                  \
    }

#define INT4_LOHI                                                                                      \
    lo = vshrq_n_s8(vshlq_n_s8(vreinterpretq_s8_u8(q), 4), 4);                                         \
    hi = vshrq_n_s8(vreinterpretq_s8_u8(q), 4)
#define FP4_LOHI                                                                                       \
    lo = vqtbl1q_s8(tbl, vandq_u8(q, vdupq_n_u8(0x0F)));                                               \
    hi = vqtbl1q_s8(tbl, vshrq_n_u8(q, 4))

#define KM_KERNEL(scheme, LOHI, G, SCALE)                                                              \
    KM_ROWS(r4_##scheme, 4, LOHI, G, SCALE)                                                            \
    KM_ROWS(r1_##scheme, 1, LOHI, G, SCALE)                                                            \
    void qcts_aq_##scheme##__neondot(const qcts_gemm_args *g, int64_t n0, int64_t n1, void *scratch)  \
    {                                                                                                  \
        (void)scratch;                                                                                 \
        qcts_actq_drive(g, n0, n1, r4_##scheme, r1_##scheme);                                                    \
    }

KM_KERNEL(int4_sym_g128, INT4_LOHI, 128, f16v(w->scales + 2 * gi))
KM_KERNEL(fp4_g128_f16, FP4_LOHI, 128, f16v(w->scales + 2 * gi) * 0.5f)
KM_KERNEL(mxfp4, FP4_LOHI, 32, e8m0_half(w->scales[gi]))
