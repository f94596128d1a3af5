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
 * WDEC decodes block b0 into the signed values w0 (columns 0..15), w1
 * (16..31). Each output (m, r) is one scalar chain, the same in every
 * tile and in the i8mm kernel (gemv-q8-i8mm.c): per block, the exact
 * int32 block sum isum (SDOT lanes added), st = s_r (Q8_0: s_r x d_m),
 * acc = fma(cvt(isum), st, acc); y = acc. The chains of the 4 weight rows
 * sit in the 4 lanes of one vector. */
#define GG_ROWS(fname, R, T, BYTES, WDEC, SCALE, Q80)                                                 \
    static __attribute__((unused)) void fname(const qcts_gemm_args *g, int64_t m0, int64_t n, float *v)                         \
    {                                                                                                   \
        const qcts_actq *aq = g->aq;                                                                    \
        const qcts_qview *w = g->w;                                                                     \
        const int64_t nb = w->cols / 32;                                                                \
        const int8x16_t tbl = vld1q_s8(e2m1x2);                                                         \
        (void)tbl;                                                                                      \
        const uint8_t *p[R];                                                                            \
        float32x4_t acc[T];                                                                             \
        UNROLL for (int r = 0; r < R; r++) p[r] = w->codes + (size_t)(n + r) * w->row_bytes;            \
        UNROLL for (int t = 0; t < T; t++) acc[t] = vdupq_n_f32(0.0f);                                  \
        for (int64_t b = 0; b < nb; b++) {                                                              \
            int8x16_t a0[T], a1[T];                                                                     \
            UNROLL for (int t = 0; t < T; t++) {                                                        \
                const int8_t *pa = aq->pa + (m0 + t) * aq->kpad;                                        \
                a0[t] = vld1q_s8(pa + 32 * b), a1[t] = vld1q_s8(pa + 32 * b + 16);                      \
            }                                                                                           \
            int32x4_t d[T][R];                                                                          \
            float sv[4] = { 0.0f, 0.0f, 0.0f, 0.0f };                                                   \
            UNROLL for (int r = 0; r < R; r++) {                                                        \
                const uint8_t *b0 = p[r] + (BYTES) * b;                                                 \
                int8x16_t w0, w1;                                                                       \
                WDEC;                                                                                   \
                sv[r] = SCALE;                                                                          \
                UNROLL for (int t = 0; t < T; t++)                                                      \
                    d[t][r] = vdotq_s32(vdotq_s32(vdupq_n_s32(0), w0, a0[t]), w1, a1[t]);               \
            }                                                                                           \
            const float32x4_t s = vld1q_f32(sv);                                                        \
            UNROLL for (int t = 0; t < T; t++) {                                                        \
                int32x4_t iv;                                                                           \
                if (R == 4)                                                                             \
                    iv = vpaddq_s32(vpaddq_s32(d[t][0], d[t][1 % R]), vpaddq_s32(d[t][2 % R], d[t][3 % R])); \
                else                                                                                    \
                    iv = vdupq_n_s32(vaddvq_s32(d[t][0]));                                              \
                const float32x4_t st = Q80 ? vmulq_n_f32(s, aq->bd[(m0 + t) * aq->nblk + b]) : s;       \
                acc[t] = vfmaq_f32(acc[t], vcvtq_f32_s32(iv), st);                                      \
            }                                                                                           \
        }                                                                                               \
        UNROLL for (int t = 0; t < T; t++) {                                                            \
            float o[4];                                                                                 \
            vst1q_f32(o, acc[t]);                                                                       \
            UNROLL for (int r = 0; r < R; r++) v[t * 4 + r] = o[r];                                     \
        }                                                                                               \
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

#define GG_ROWS_ALL(scheme, BYTES, WDEC, SCALE)                                                       \
    GG_ROWS(r4t4i_##scheme, 4, 4, BYTES, WDEC, SCALE, 0)                                              \
    GG_ROWS(r4t1i_##scheme, 4, 1, BYTES, WDEC, SCALE, 0)                                              \
    GG_ROWS(r1t4i_##scheme, 1, 4, BYTES, WDEC, SCALE, 0)                                              \
    GG_ROWS(r1t1i_##scheme, 1, 1, BYTES, WDEC, SCALE, 0)                                              \
    GG_ROWS(r4t4q_##scheme, 4, 4, BYTES, WDEC, SCALE, 1)                                              \
    GG_ROWS(r4t1q_##scheme, 4, 1, BYTES, WDEC, SCALE, 1)                                              \
    GG_ROWS(r1t4q_##scheme, 1, 4, BYTES, WDEC, SCALE, 1)                                              \
    GG_ROWS(r1t1q_##scheme, 1, 1, BYTES, WDEC, SCALE, 1)

#ifndef QCTS_AQ_I8MM
#define GG_KERNEL(scheme, BYTES, WDEC, SCALE)                                                         \
    GG_ROWS_ALL(scheme, BYTES, WDEC, SCALE)                                                           \
    void qcts_aq_##scheme##__neondot(const qcts_gemm_args *g, int64_t n0, int64_t n1, void *scratch)  \
    {                                                                                                  \
        (void)scratch;                                                                                 \
        if (g->aq->mode == QCTS_AQ_GGUF_Q8_0)                                                          \
            qcts_actq_drive_tiled(g, n0, n1, r4t4q_##scheme, r4t1q_##scheme, r1t4q_##scheme, r1t1q_##scheme); \
        else                                                                                           \
            qcts_actq_drive_tiled(g, n0, n1, r4t4i_##scheme, r4t1i_##scheme, r1t4i_##scheme, r1t1i_##scheme); \
    }
#else
/* i8mm (gemv-q8-i8mm.c): SMMLA multiplies a 2 x 8 block of activation
 * rows by a 2 x 8 block of weight rows: per ggml block, 4 SMMLA give the
 * exact block sums of 2 activation rows x 2 weight rows, lanes [(m, r),
 * (m, r+1), (m+1, r), (m+1, r+1)]; the float chain of each (m, r) is the
 * one of the SDOT rows above, so tails (odd M, N % 4) run those. T = 2 or
 * 4 activation rows, 4 weight rows. */
#define GG_MM(fname, T, BYTES, WDEC, SCALE, Q80)                                                      \
    static void fname(const qcts_gemm_args *g, int64_t m0, int64_t n, float *v)                         \
    {                                                                                                   \
        const qcts_actq *aq = g->aq;                                                                    \
        const qcts_qview *w = g->w;                                                                     \
        const int64_t nb = w->cols / 32;                                                                \
        const int8x16_t tbl = vld1q_s8(e2m1x2);                                                         \
        (void)tbl;                                                                                      \
        const uint8_t *p[4];                                                                            \
        float32x4_t acc[T / 2][2];                                                                      \
        UNROLL for (int r = 0; r < 4; r++) p[r] = w->codes + (size_t)(n + r) * w->row_bytes;            \
        UNROLL for (int i = 0; i < T / 2; i++) acc[i][0] = acc[i][1] = vdupq_n_f32(0.0f);               \
        for (int64_t b = 0; b < nb; b++) {                                                              \
            int8x16_t az[T / 2][4];                                                                     \
            float32x4_t dv[T / 2];                                                                      \
            UNROLL for (int i = 0; i < T / 2; i++) {                                                    \
                const int8_t *x0 = aq->pa + (m0 + 2 * i) * aq->kpad + 32 * b, *x1 = x0 + aq->kpad;      \
                const int64x2_t l0 = vreinterpretq_s64_s8(vld1q_s8(x0)), l1 = vreinterpretq_s64_s8(vld1q_s8(x1)); \
                const int64x2_t h0 = vreinterpretq_s64_s8(vld1q_s8(x0 + 16)), h1 = vreinterpretq_s64_s8(vld1q_s8(x1 + 16)); \
                az[i][0] = vreinterpretq_s8_s64(vzip1q_s64(l0, l1));                                    \
                az[i][1] = vreinterpretq_s8_s64(vzip2q_s64(l0, l1));                                    \
                az[i][2] = vreinterpretq_s8_s64(vzip1q_s64(h0, h1));                                    \
                az[i][3] = vreinterpretq_s8_s64(vzip2q_s64(h0, h1));                                    \
                const float d0 = Q80 ? aq->bd[(m0 + 2 * i) * aq->nblk + b] : 1.0f;                      \
                const float d1 = Q80 ? aq->bd[(m0 + 2 * i + 1) * aq->nblk + b] : 1.0f;                  \
                dv[i] = vcombine_f32(vdup_n_f32(d0), vdup_n_f32(d1));                                   \
            }                                                                                           \
            UNROLL for (int j = 0; j < 2; j++) {                                                        \
                int8x16_t wv[2][2];                                                                     \
                float sv[2];                                                                            \
                UNROLL for (int r = 0; r < 2; r++) {                                                    \
                    const uint8_t *b0 = p[2 * j + r] + (BYTES) * b;                                     \
                    int8x16_t w0, w1;                                                                   \
                    WDEC;                                                                               \
                    wv[r][0] = w0, wv[r][1] = w1;                                                       \
                    sv[r] = SCALE;                                                                      \
                }                                                                                       \
                const int64x2_t u0 = vreinterpretq_s64_s8(wv[0][0]), u1 = vreinterpretq_s64_s8(wv[1][0]); \
                const int64x2_t g0 = vreinterpretq_s64_s8(wv[0][1]), g1 = vreinterpretq_s64_s8(wv[1][1]); \
                const int8x16_t wz[4] = { vreinterpretq_s8_s64(vzip1q_s64(u0, u1)), vreinterpretq_s8_s64(vzip2q_s64(u0, u1)), \
                                          vreinterpretq_s8_s64(vzip1q_s64(g0, g1)), vreinterpretq_s8_s64(vzip2q_s64(g0, g1)) }; \
                const float32x2_t s2 = vld1_f32(sv);                                                    \
                const float32x4_t s = vcombine_f32(s2, s2);                                             \
                UNROLL for (int i = 0; i < T / 2; i++) {                                                \
                    int32x4_t iv = vdupq_n_s32(0);                                                      \
                    UNROLL for (int k = 0; k < 4; k++) iv = vmmlaq_s32(iv, az[i][k], wz[k]);            \
                    const float32x4_t st = Q80 ? vmulq_f32(s, dv[i]) : s;                               \
                    acc[i][j] = vfmaq_f32(acc[i][j], vcvtq_f32_s32(iv), st);                            \
                }                                                                                       \
            }                                                                                           \
        }                                                                                               \
        UNROLL for (int i = 0; i < T / 2; i++)                                                          \
            UNROLL for (int j = 0; j < 2; j++) {                                                        \
                float o[4];                                                                             \
                vst1q_f32(o, acc[i][j]);                                                                \
                v[(2 * i) * 4 + 2 * j] = o[0], v[(2 * i) * 4 + 2 * j + 1] = o[1];                       \
                v[(2 * i + 1) * 4 + 2 * j] = o[2], v[(2 * i + 1) * 4 + 2 * j + 1] = o[3];               \
            }                                                                                           \
    }

#define GG_KERNEL(scheme, BYTES, WDEC, SCALE)                                                         \
    GG_ROWS_ALL(scheme, BYTES, WDEC, SCALE)                                                           \
    GG_MM(mm4i_##scheme, 4, BYTES, WDEC, SCALE, 0)                                                    \
    GG_MM(mm2i_##scheme, 2, BYTES, WDEC, SCALE, 0)                                                    \
    GG_MM(mm4q_##scheme, 4, BYTES, WDEC, SCALE, 1)                                                    \
    GG_MM(mm2q_##scheme, 2, BYTES, WDEC, SCALE, 1)                                                    \
    void qcts_aq_##scheme##__neoni8mm(const qcts_gemm_args *g, int64_t n0, int64_t n1, void *scratch) \
    {                                                                                                  \
        (void)scratch;                                                                                 \
        if (g->aq->mode == QCTS_AQ_GGUF_Q8_0)                                                          \
            qcts_actq_drive_tiled2(g, n0, n1, mm4q_##scheme, mm2q_##scheme, r4t1q_##scheme, r1t4q_##scheme, \
                                   r1t1q_##scheme);                                                    \
        else                                                                                           \
            qcts_actq_drive_tiled2(g, n0, n1, mm4i_##scheme, mm2i_##scheme, r4t1i_##scheme, r1t4i_##scheme, \
                                   r1t1i_##scheme);                                                    \
    }
#endif

GG_KERNEL(gguf_q4_0, 18, Q4_0_WDEC, f16v(b0))
GG_KERNEL(gguf_mxfp4, 17, MX_WDEC, e8m0_half(b0[0]))
GG_KERNEL(gguf_q8_0, 34, Q8_WDEC, f16v(b0))

#ifndef QCTS_AQ_I8MM   /* the KMAJOR kernels: the dotprod build only */
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
#endif
