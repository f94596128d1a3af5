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

/* ---- ggml blocks of 32 ----------------------------------------------------------------------
 * T activation rows m0.. share each decoded block (qcts_actq_drive_tiled);
 * an output's operations are the same for every T. WDEC decodes block b0
 * into the signed values w0 (columns 0..15), w1 (16..31). */
#define GG_ROWS(fname, R, T, BYTES, WDEC, SCALE, Q80)                                                 \
    static void fname(const qcts_gemm_args *g, int64_t m0, int64_t n, float *v)                         \
    {                                                                                                   \
        const qcts_actq *aq = g->aq;                                                                    \
        const qcts_qview *w = g->w;                                                                     \
        const int64_t nb = w->cols / 32;                                                                \
        const int8x16_t tbl = vld1q_s8(e2m1x2);                                                         \
        (void)tbl;                                                                                      \
        const uint8_t *p[R];                                                                            \
        float32x4_t acc[T][R];                                                                          \
        UNROLL for (int r = 0; r < R; r++) {                                                            \
            p[r] = w->codes + (size_t)(n + r) * w->row_bytes;                                           \
            UNROLL for (int t = 0; t < T; t++) acc[t][r] = vdupq_n_f32(0.0f);                           \
        }                                                                                               \
        for (int64_t b = 0; b < nb; b++) {                                                              \
            int8x16_t a0[T], a1[T];                                                                     \
            UNROLL for (int t = 0; t < T; t++) {                                                        \
                const int8_t *pa = aq->pa + (m0 + t) * aq->kpad;                                        \
                a0[t] = vld1q_s8(pa + 32 * b), a1[t] = vld1q_s8(pa + 32 * b + 16);                      \
            }                                                                                           \
            UNROLL for (int r = 0; r < R; r++) {                                                        \
                const uint8_t *b0 = p[r] + (BYTES) * b;                                                 \
                int8x16_t w0, w1;                                                                       \
                WDEC;                                                                                   \
                const float s = SCALE;                                                                  \
                UNROLL for (int t = 0; t < T; t++) {                                                    \
                    const int32x4_t d = vdotq_s32(vdotq_s32(vdupq_n_s32(0), w0, a0[t]), w1, a1[t]);     \
                    const float st = Q80 ? s * aq->bd[(m0 + t) * aq->nblk + b] : s;                     \
                    acc[t][r] = vfmaq_n_f32(acc[t][r], vcvtq_f32_s32(d), st);                           \
                }                                                                                       \
            }                                                                                           \
        }                                                                                               \
        UNROLL for (int t = 0; t < T; t++)                                                              \
            UNROLL for (int r = 0; r < R; r++) v[t * 4 + r] = vaddvq_f32(acc[t][r]);                    \
    }

#define Q4_0_WDEC                                                                                      \
    const uint8x16_t q = vld1q_u8(b0 + 2);                                                             \
    w0 = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(q, vdupq_n_u8(0x0F))), vdupq_n_s8(8));                  \
    w1 = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(q, 4)), vdupq_n_s8(8))
#define MX_WDEC                                                                                        \
    const uint8x16_t q = vld1q_u8(b0 + 1);                                                             \
    w0 = vqtbl1q_s8(tbl, vandq_u8(q, vdupq_n_u8(0x0F)));                                               \
    w1 = vqtbl1q_s8(tbl, vshrq_n_u8(q, 4))
#define Q8_WDEC                                                                                        \
    w0 = vld1q_s8((const int8_t *)(b0 + 2));                                                           \
    w1 = vld1q_s8((const int8_t *)(b0 + 18))

#define GG_KERNEL(scheme, BYTES, WDEC, SCALE)                                                         \
    GG_ROWS(r4t4i_##scheme, 4, 4, BYTES, WDEC, SCALE, 0)                                              \
    GG_ROWS(r4t1i_##scheme, 4, 1, BYTES, WDEC, SCALE, 0)                                              \
    GG_ROWS(r1t4i_##scheme, 1, 4, BYTES, WDEC, SCALE, 0)                                              \
    GG_ROWS(r1t1i_##scheme, 1, 1, BYTES, WDEC, SCALE, 0)                                              \
    GG_ROWS(r4t4q_##scheme, 4, 4, BYTES, WDEC, SCALE, 1)                                              \
    GG_ROWS(r4t1q_##scheme, 4, 1, BYTES, WDEC, SCALE, 1)                                              \
    GG_ROWS(r1t4q_##scheme, 1, 4, BYTES, WDEC, SCALE, 1)                                              \
    GG_ROWS(r1t1q_##scheme, 1, 1, BYTES, WDEC, SCALE, 1)                                              \
    void qcts_aq_##scheme##__neondot(const qcts_gemm_args *g, int64_t n0, int64_t n1, void *scratch)  \
    {                                                                                                  \
        (void)scratch;                                                                                 \
        if (g->aq->mode == QCTS_AQ_GGUF_Q8_0)                                                          \
            qcts_actq_drive_tiled(g, n0, n1, r4t4q_##scheme, r4t1q_##scheme, r1t4q_##scheme, r1t1q_##scheme); \
        else                                                                                           \
            qcts_actq_drive_tiled(g, n0, n1, r4t4i_##scheme, r4t1i_##scheme, r1t4i_##scheme, r1t1i_##scheme); \
    }

GG_KERNEL(gguf_q4_0, 18, Q4_0_WDEC, f16v(b0))
GG_KERNEL(gguf_mxfp4, 17, MX_WDEC, e8m0_half(b0[0]))
GG_KERNEL(gguf_q8_0, 34, Q8_WDEC, f16v(b0))

/* ---- KMAJOR_U32 4-bit rows, 32 columns per step; G columns per scale group ------------------- */
#define KM_ROWS(fname, R, T, LOHI, G, SCALE)                                                           \
    static void fname(const qcts_gemm_args *g, int64_t m0, int64_t n, float *v)                         \
    {                                                                                                   \
        const qcts_actq *aq = g->aq;                                                                    \
        const qcts_qview *w = g->w;                                                                     \
        const int64_t K = w->cols;                                                                      \
        const int8x16_t tbl = vld1q_s8(e2m1x2);                                                         \
        (void)tbl;                                                                                      \
        const uint8_t *p[R];                                                                            \
        float32x4_t acc[T][R];                                                                          \
        UNROLL for (int r = 0; r < R; r++) {                                                            \
            p[r] = w->codes + (size_t)(n + r) * w->row_bytes;                                           \
            UNROLL for (int t = 0; t < T; t++) acc[t][r] = vdupq_n_f32(0.0f);                           \
        }                                                                                               \
        for (int64_t k0 = 0; k0 < K; k0 += (G)) {                                                       \
            int32x4_t d[T][R];                                                                          \
            UNROLL for (int t = 0; t < T; t++) UNROLL for (int r = 0; r < R; r++) d[t][r] = vdupq_n_s32(0); \
            for (int64_t k = k0; k < k0 + (G); k += 32) {                                               \
                int8x16_t a0[T], a1[T];                                                                 \
                UNROLL for (int t = 0; t < T; t++) {                                                    \
                    const int8_t *pa = aq->pa + (m0 + t) * aq->kpad;                                    \
                    a0[t] = vld1q_s8(pa + k), a1[t] = vld1q_s8(pa + k + 16);                            \
                }                                                                                       \
                UNROLL for (int r = 0; r < R; r++) {                                                    \
                    const uint8x16_t q = vld1q_u8(p[r] + k / 2);                                        \
                    int8x16_t lo, hi;                                                                   \
                    LOHI;                                                                               \
                    UNROLL for (int t = 0; t < T; t++) d[t][r] = vdotq_s32(vdotq_s32(d[t][r], lo, a0[t]), hi, a1[t]); \
                }                                                                                       \
            }                                                                                           \
            UNROLL for (int r = 0; r < R; r++) {                                                        \
                const int64_t gi = (n + r) * w->gpr + k0 / (G);                                         \
                const float sc = SCALE;                                                                 \
                UNROLL for (int t = 0; t < T; t++) acc[t][r] = vfmaq_n_f32(acc[t][r], vcvtq_f32_s32(d[t][r]), sc); \
            }                                                                                           \
        }                                                                                               \
        UNROLL for (int t = 0; t < T; t++)                                                              \
            UNROLL for (int r = 0; r < R; r++) v[t * 4 + r] = vaddvq_f32(acc[t][r]);                    \
    }

#define INT4_LOHI                                                                                      \
    lo = vshrq_n_s8(vshlq_n_s8(vreinterpretq_s8_u8(q), 4), 4);                                         \
    hi = vshrq_n_s8(vreinterpretq_s8_u8(q), 4)
#define FP4_LOHI                                                                                       \
    lo = vqtbl1q_s8(tbl, vandq_u8(q, vdupq_n_u8(0x0F)));                                               \
    hi = vqtbl1q_s8(tbl, vshrq_n_u8(q, 4))

#define KM_KERNEL(scheme, LOHI, G, SCALE)                                                              \
    KM_ROWS(r4t4_##scheme, 4, 4, LOHI, G, SCALE)                                                       \
    KM_ROWS(r4t1_##scheme, 4, 1, LOHI, G, SCALE)                                                       \
    KM_ROWS(r1t4_##scheme, 1, 4, LOHI, G, SCALE)                                                       \
    KM_ROWS(r1t1_##scheme, 1, 1, LOHI, G, SCALE)                                                       \
    void qcts_aq_##scheme##__neondot(const qcts_gemm_args *g, int64_t n0, int64_t n1, void *scratch)  \
    {                                                                                                  \
        (void)scratch;                                                                                 \
        qcts_actq_drive_tiled(g, n0, n1, r4t4_##scheme, r4t1_##scheme, r1t4_##scheme, r1t1_##scheme);  \
    }

KM_KERNEL(int4_sym_g128, INT4_LOHI, 128, f16v(w->scales + 2 * gi))
KM_KERNEL(fp4_g128_f16, FP4_LOHI, 128, f16v(w->scales + 2 * gi) * 0.5f)
KM_KERNEL(mxfp4, FP4_LOHI, 32, e8m0_half(w->scales[gi]))
