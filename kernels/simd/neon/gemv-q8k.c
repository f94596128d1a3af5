/* NEON dotprod q8_K x gguf_q4_k / gguf_q6_k (actq.h; ggml's
 * vec_dot_q4_K_q8_K / vec_dot_q6_K_q8_K), built with +dotprod (simd.mk),
 * chosen only where HWCAP_ASIMDDP says so (actq.c). Activations: q8_K codes
 * in column order (aq->q), d_a (aq->bd), sums of 16 (aq->bsums).
 *
 * Q4_K: per sub-block j of 32, two SDOT of the codes (0..15, as signed
 * bytes) give 4 lanes, times sc_j into the i32 sum (vmla); the mins term
 * sum_j m_j (bsum_2j + bsum_2j+1) from the pairwise-added bsums (vmull).
 * Q6_K: the signed value (u - 32) per 16 columns, one SDOT, times sc_g
 * (vmla). All integers exact. Float per super-block: acc += cvt(isum) x
 * (d_a d_w) (Q4_K: acc -= cvt(mins) x (d_a dmin_w)); y = vaddvq(acc).
 * Weights decoded once per super-block and weight row for 1 or 4
 * activation rows (tiles). */
#include <arm_neon.h>
#include <string.h>

#include "kernels/simd/actq.h"

#define INL static inline __attribute__((always_inline))
#define UNROLL _Pragma("GCC unroll 8")

#define Q4K_BYTES 144
#define Q6K_BYTES 210

INL float f16v(const uint8_t *p)
{
    uint16_t h;
    memcpy(&h, p, 2);
    __fp16 f;
    memcpy(&f, &h, 2);
    return (float)f;
}

#define Q4K_ROWS(fname, R, T)                                                                          \
    static void fname(const qcts_gemm_args *g, int64_t m0, int64_t n, float *v)                         \
    {                                                                                                   \
        const qcts_actq *aq = g->aq;                                                                    \
        const qcts_qview *w = g->w;                                                                     \
        const int64_t nb = w->cols / 256, K = w->cols;                                                  \
        const uint8x16_t m4 = vdupq_n_u8(0x0F);                                                         \
        const uint8_t *p[R];                                                                            \
        float32x4_t acc[T][R];                                                                          \
        UNROLL for (int r = 0; r < R; r++) {                                                            \
            p[r] = w->codes + (size_t)(n + r) * w->row_bytes;                                           \
            UNROLL for (int t = 0; t < T; t++) acc[t][r] = vdupq_n_f32(0.0f);                           \
        }                                                                                               \
        for (int64_t b = 0; b < nb; b++) {                                                              \
            int16x8_t bs2[T];                                                                           \
            UNROLL for (int t = 0; t < T; t++) {                                                        \
                const int16_t *bs = aq->bsums + ((m0 + t) * K + 256 * b) / 16;                          \
                bs2[t] = vpaddq_s16(vld1q_s16(bs), vld1q_s16(bs + 8));                                  \
            }                                                                                           \
            UNROLL for (int r = 0; r < R; r++) {                                                        \
                const uint8_t *blk = p[r] + Q4K_BYTES * b;                                              \
                uint8_t sm[16];                                                                         \
                qcts_q4k_scales(blk + 4, sm);                                                           \
                const int16x8_t mins = vreinterpretq_s16_u16(vmovl_u8(vld1_u8(sm + 8)));                \
                const float dw = f16v(blk), dmin = f16v(blk + 2);                                       \
                int32x4_t isum[T];                                                                      \
                UNROLL for (int t = 0; t < T; t++) isum[t] = vdupq_n_s32(0);                            \
                UNROLL for (int c = 0; c < 4; c++) {                                                    \
                    const uint8x16_t q0 = vld1q_u8(blk + 16 + 32 * c), q1 = vld1q_u8(blk + 32 + 32 * c); \
                    const int8x16_t l0 = vreinterpretq_s8_u8(vandq_u8(q0, m4));                         \
                    const int8x16_t l1 = vreinterpretq_s8_u8(vandq_u8(q1, m4));                         \
                    const int8x16_t h0 = vreinterpretq_s8_u8(vshrq_n_u8(q0, 4));                        \
                    const int8x16_t h1 = vreinterpretq_s8_u8(vshrq_n_u8(q1, 4));                        \
                    UNROLL for (int t = 0; t < T; t++) {                                                \
                        const int8_t *a = aq->q + (m0 + t) * K + 256 * b + 64 * c;                      \
                        const int32x4_t dl = vdotq_s32(vdotq_s32(vdupq_n_s32(0), l0, vld1q_s8(a)), l1, vld1q_s8(a + 16)); \
                        const int32x4_t dh = vdotq_s32(vdotq_s32(vdupq_n_s32(0), h0, vld1q_s8(a + 32)), h1, vld1q_s8(a + 48)); \
                        isum[t] = vmlaq_n_s32(vmlaq_n_s32(isum[t], dl, sm[2 * c]), dh, sm[2 * c + 1]);  \
                    }                                                                                   \
                }                                                                                       \
                UNROLL for (int t = 0; t < T; t++) {                                                    \
                    const float da = aq->bd[(m0 + t) * aq->nblk + b];                                   \
                    const int32x4_t ms = vmlal_s16(vmull_s16(vget_low_s16(bs2[t]), vget_low_s16(mins)), \
                                                   vget_high_s16(bs2[t]), vget_high_s16(mins));         \
                    acc[t][r] = vfmaq_n_f32(acc[t][r], vcvtq_f32_s32(isum[t]), da * dw);                \
                    acc[t][r] = vfmsq_n_f32(acc[t][r], vcvtq_f32_s32(ms), da * dmin);                   \
                }                                                                                       \
            }                                                                                           \
        }                                                                                               \
        UNROLL for (int t = 0; t < T; t++)                                                              \
            UNROLL for (int r = 0; r < R; r++) v[t * 4 + r] = vaddvq_f32(acc[t][r]);                    \
    }

/* Q6_K half h: 16 columns 16 i + l (i < 8) from ql byte 16 (i % 4) + l
 * (low nibble for i < 4, high for i >= 4) and qh byte 16 (i % 2) + l, bits
 * 2 (i / 2) .. +1; scale sc[8 h + i]. */
#define Q6K_ROWS(fname, R, T)                                                                          \
    static void fname(const qcts_gemm_args *g, int64_t m0, int64_t n, float *v)                         \
    {                                                                                                   \
        const qcts_actq *aq = g->aq;                                                                    \
        const qcts_qview *w = g->w;                                                                     \
        const int64_t nb = w->cols / 256, K = w->cols;                                                  \
        const uint8x16_t m4 = vdupq_n_u8(0x0F), m3 = vdupq_n_u8(0x30);                                  \
        const uint8_t *p[R];                                                                            \
        float32x4_t acc[T][R];                                                                          \
        UNROLL for (int r = 0; r < R; r++) {                                                            \
            p[r] = w->codes + (size_t)(n + r) * w->row_bytes;                                           \
            UNROLL for (int t = 0; t < T; t++) acc[t][r] = vdupq_n_f32(0.0f);                           \
        }                                                                                               \
        for (int64_t b = 0; b < nb; b++) {                                                              \
            UNROLL for (int r = 0; r < R; r++) {                                                        \
                const uint8_t *blk = p[r] + Q6K_BYTES * b;                                              \
                const int8_t *s8 = (const int8_t *)(const void *)(blk + 192);                           \
                const float dw = f16v(blk + 208);                                                       \
                int32x4_t isum[T];                                                                      \
                UNROLL for (int t = 0; t < T; t++) isum[t] = vdupq_n_s32(0);                            \
                UNROLL for (int h = 0; h < 2; h++) {                                                    \
                    const uint8_t *ql = blk + 64 * h, *qh = blk + 128 + 32 * h;                         \
                    const uint8x16_t L[4] = { vld1q_u8(ql), vld1q_u8(ql + 16), vld1q_u8(ql + 32), vld1q_u8(ql + 48) }; \
                    const uint8x16_t H[2] = { vld1q_u8(qh), vld1q_u8(qh + 16) };                        \
                    int8x16_t u[8];                                                                     \
                    u[0] = vreinterpretq_s8_u8(vorrq_u8(vandq_u8(L[0], m4), vandq_u8(vshlq_n_u8(H[0], 4), m3))); \
                    u[1] = vreinterpretq_s8_u8(vorrq_u8(vandq_u8(L[1], m4), vandq_u8(vshlq_n_u8(H[1], 4), m3))); \
                    u[2] = vreinterpretq_s8_u8(vorrq_u8(vandq_u8(L[2], m4), vandq_u8(vshlq_n_u8(H[0], 2), m3))); \
                    u[3] = vreinterpretq_s8_u8(vorrq_u8(vandq_u8(L[3], m4), vandq_u8(vshlq_n_u8(H[1], 2), m3))); \
                    u[4] = vreinterpretq_s8_u8(vorrq_u8(vshrq_n_u8(L[0], 4), vandq_u8(H[0], m3)));      \
                    u[5] = vreinterpretq_s8_u8(vorrq_u8(vshrq_n_u8(L[1], 4), vandq_u8(H[1], m3)));      \
                    u[6] = vreinterpretq_s8_u8(vorrq_u8(vshrq_n_u8(L[2], 4), vandq_u8(vshrq_n_u8(H[0], 2), m3))); \
                    u[7] = vreinterpretq_s8_u8(vorrq_u8(vshrq_n_u8(L[3], 4), vandq_u8(vshrq_n_u8(H[1], 2), m3))); \
                    UNROLL for (int i = 0; i < 8; i++) u[i] = vsubq_s8(u[i], vdupq_n_s8(32));           \
                    UNROLL for (int i = 0; i < 8; i++) {                                                \
                        UNROLL for (int t = 0; t < T; t++) {                                            \
                            const int8_t *a = aq->q + (m0 + t) * K + 256 * b + 128 * h + 16 * i;        \
                            isum[t] = vmlaq_n_s32(isum[t], vdotq_s32(vdupq_n_s32(0), u[i], vld1q_s8(a)), s8[8 * h + i]); \
                        }                                                                               \
                    }                                                                                   \
                }                                                                                       \
                UNROLL for (int t = 0; t < T; t++) {                                                    \
                    const float da = aq->bd[(m0 + t) * aq->nblk + b];                                   \
                    acc[t][r] = vfmaq_n_f32(acc[t][r], vcvtq_f32_s32(isum[t]), da * dw);                \
                }                                                                                       \
            }                                                                                           \
        }                                                                                               \
        UNROLL for (int t = 0; t < T; t++)                                                              \
            UNROLL for (int r = 0; r < R; r++) v[t * 4 + r] = vaddvq_f32(acc[t][r]);                    \
    }

#define QK_KERNEL(scheme, ROWS)                                                                        \
    ROWS(r4t4_##scheme, 4, 4)                                                                          \
    ROWS(r4t1_##scheme, 4, 1)                                                                          \
    ROWS(r1t4_##scheme, 1, 4)                                                                          \
    ROWS(r1t1_##scheme, 1, 1)                                                                          \
    void qcts_aq_##scheme##__neondot(const qcts_gemm_args *g, int64_t n0, int64_t n1, void *scratch)  \
    {                                                                                                  \
        (void)scratch;                                                                                 \
        qcts_actq_drive_tiled(g, n0, n1, r4t4_##scheme, r4t1_##scheme, r1t4_##scheme, r1t1_##scheme);  \
    }

QK_KERNEL(gguf_q4_k, Q4K_ROWS)
QK_KERNEL(gguf_q6_k, Q6K_ROWS)
