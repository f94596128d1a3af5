/* AVX2 fused dequant-GEMV (M = 1) for 4-bit integer codes and NF4,
 * KMAJOR_U32 nibbles.
 *
 * int4_sym_g128, int4_asym_g128: the scale is applied after summing a
 * group, y = sum_g s_g * (sum_k q_k * x_k) (q = c or c - z, small integers),
 * which qref_gemm's bound covers (a term sees at most g + 2 + K/g <= K'
 * roundings) and which stays exact on exact fill (a group sum is a partial
 * sum divided by s_g: representable whenever the partial sum is). The
 * integer q comes from the float bit pattern 0x4B000000 | u = 2^23 + u
 * (u = nibble, or nibble ^ 8 for two's complement) minus 2^23 + z (or
 * 2^23 + 8): exact. Per 8 weights: broadcast load, vpsrlvd, vpand, vpxor,
 * vsubps, FMA (no table, no per-group setup but one FMA per row).
 *
 * nf4_g64: the NF4 table times the f32 absmax is the float32 weight (one
 * rounding, as dequant); 16-entry table per group: vpsrlvd, 2 vpermps,
 * vpslld, vblendvps, FMA. */
#include "kernels/simd/avx2/gemv.h"
#include "qref/fmt.h"

/* MAGIC: 0x4B000008 (sym) or 0x4B000000 (asym); OFF_EXPR: 2^23 + 8 or
 * 2^23 + z of group gi; S_EXPR: the scale of group gi. */
#define QCTS_INTQ_ROWS(fname, R, MAGIC, OFF_EXPR, S_EXPR)                                          \
    static void fname(const qcts_qview *w, const float *x, int64_t n, float *y)                     \
    {                                                                                               \
        const __m256i sh = qcts_avx2_nib_shifts();                                                 \
        const __m256i m15 = _mm256_set1_epi32(0xF), magic = _mm256_set1_epi32(MAGIC);              \
        const int64_t K = w->cols, gl = w->glen;                                                   \
        const uint8_t *p[R];                                                                        \
        __m256 acc0[R], acc1[R], g0[R], g1[R], off[R];                                              \
        int64_t gbase[R];                                                                           \
        QCTS_UNROLL for (int r = 0; r < R; r++) {                                                   \
            p[r] = w->codes + (size_t)(n + r) * w->row_bytes;                                       \
            gbase[r] = (n + r) * w->gpr;                                                            \
            acc0[r] = _mm256_setzero_ps();                                                          \
            acc1[r] = _mm256_setzero_ps();                                                          \
        }                                                                                           \
        for (int64_t k = 0, g = 0; k < K; k += gl, g++) {                                           \
            QCTS_UNROLL for (int r = 0; r < R; r++) {                                               \
                const int64_t gi = gbase[r] + g;                                                    \
                (void)gi;                                                                           \
                qcts_avx2_prefetch2(p[r] + k / 2, 4 * w->row_bytes);                                 \
                off[r] = (OFF_EXPR);                                                                \
                g0[r] = _mm256_setzero_ps();                                                        \
                g1[r] = _mm256_setzero_ps();                                                        \
            }                                                                                       \
            for (int64_t kk = k; kk < k + gl; kk += 16) {                                           \
                const __m256 x0 = _mm256_loadu_ps(x + kk), x1 = _mm256_loadu_ps(x + kk + 8);        \
                QCTS_UNROLL for (int r = 0; r < R; r++) {                                           \
                    __m256i l0 = _mm256_xor_si256(_mm256_and_si256(qcts_avx2_nib8(p[r] + kk / 2, sh), m15), magic); \
                    __m256i l1 = _mm256_xor_si256(_mm256_and_si256(qcts_avx2_nib8(p[r] + kk / 2 + 4, sh), m15), magic); \
                    g0[r] = _mm256_fmadd_ps(_mm256_sub_ps(_mm256_castsi256_ps(l0), off[r]), x0, g0[r]); \
                    g1[r] = _mm256_fmadd_ps(_mm256_sub_ps(_mm256_castsi256_ps(l1), off[r]), x1, g1[r]); \
                }                                                                                   \
            }                                                                                       \
            QCTS_UNROLL for (int r = 0; r < R; r++) {                                               \
                const int64_t gi = gbase[r] + g;                                                    \
                const __m256 s = _mm256_set1_ps(S_EXPR);                                            \
                acc0[r] = _mm256_fmadd_ps(s, g0[r], acc0[r]);                                       \
                acc1[r] = _mm256_fmadd_ps(s, g1[r], acc1[r]);                                       \
            }                                                                                       \
        }                                                                                           \
        QCTS_UNROLL for (int r = 0; r < R; r++)                                                     \
            y[r] = qcts_avx2_hsum(_mm256_add_ps(acc0[r], acc1[r]));                                 \
    }

#define QCTS_INTQ_GEMV(scheme, MAGIC, OFF_EXPR, S_EXPR)                                            \
    QCTS_INTQ_ROWS(rows4_##scheme, 4, MAGIC, OFF_EXPR, S_EXPR)                                     \
    QCTS_INTQ_ROWS(rows1_##scheme, 1, MAGIC, OFF_EXPR, S_EXPR)                                     \
    QCTS_GEMV_DRIVER(qcts_gemv_##scheme##__avx2, rows4_##scheme, rows1_##scheme)

QCTS_INTQ_GEMV(int4_sym_g128, 0x4B000008, _mm256_set1_ps(8388616.0f), qcts_avx2_f16(w->scales + 2 * gi))
QCTS_INTQ_GEMV(int4_asym_g128, 0x4B000000, _mm256_set1_ps(8388608.0f + (float)w->zeros[gi]),
               qcts_avx2_f16(w->scales + 2 * gi))

/* ---- NF4: float32 weights from a 16-entry table per group ------------------------ */
#define QCTS_LUT16_ROWS(fname, R, LO_EXPR, HI_EXPR)                                                \
    static void fname(const qcts_qview *w, const float *x, int64_t n, float *y)                     \
    {                                                                                               \
        const __m256i sh = qcts_avx2_nib_shifts();                                                 \
        const int64_t K = w->cols, gl = w->glen;                                                   \
        const uint8_t *p[R];                                                                        \
        __m256 acc0[R], acc1[R], lo[R], hi[R];                                                      \
        int64_t gbase[R];                                                                           \
        QCTS_UNROLL for (int r = 0; r < R; r++) {                                                   \
            p[r] = w->codes + (size_t)(n + r) * w->row_bytes;                                       \
            gbase[r] = (n + r) * w->gpr;                                                            \
            acc0[r] = _mm256_setzero_ps();                                                          \
            acc1[r] = _mm256_setzero_ps();                                                          \
        }                                                                                           \
        for (int64_t k = 0, g = 0; k < K; k += gl, g++) {                                           \
            QCTS_UNROLL for (int r = 0; r < R; r++) {                                               \
                const int64_t gi = gbase[r] + g;                                                    \
                qcts_avx2_prefetch2(p[r] + k / 2, 4 * w->row_bytes);                                 \
                lo[r] = (LO_EXPR);                                                                  \
                hi[r] = (HI_EXPR);                                                                  \
            }                                                                                       \
            for (int64_t kk = k; kk < k + gl; kk += 16) {                                           \
                const __m256 x0 = _mm256_loadu_ps(x + kk), x1 = _mm256_loadu_ps(x + kk + 8);        \
                QCTS_UNROLL for (int r = 0; r < R; r++) {                                           \
                    acc0[r] = _mm256_fmadd_ps(qcts_avx2_lut16_dec(qcts_avx2_nib8(p[r] + kk / 2, sh), lo[r], hi[r]), x0, acc0[r]); \
                    acc1[r] = _mm256_fmadd_ps(qcts_avx2_lut16_dec(qcts_avx2_nib8(p[r] + kk / 2 + 4, sh), lo[r], hi[r]), x1, acc1[r]); \
                }                                                                                   \
            }                                                                                       \
        }                                                                                           \
        QCTS_UNROLL for (int r = 0; r < R; r++)                                                     \
            y[r] = qcts_avx2_hsum(_mm256_add_ps(acc0[r], acc1[r]));                                 \
    }

#define SF32 _mm256_set1_ps(qcts_avx2_f32(w->scales + 4 * gi))
QCTS_LUT16_ROWS(rows4_nf4_g64, 4, _mm256_mul_ps(_mm256_loadu_ps(qref_nf4_table), SF32),
                _mm256_mul_ps(_mm256_loadu_ps(qref_nf4_table + 8), SF32))
QCTS_LUT16_ROWS(rows1_nf4_g64, 1, _mm256_mul_ps(_mm256_loadu_ps(qref_nf4_table), SF32),
                _mm256_mul_ps(_mm256_loadu_ps(qref_nf4_table + 8), SF32))
QCTS_GEMV_DRIVER(qcts_gemv_nf4_g64__avx2, rows4_nf4_g64, rows1_nf4_g64)
