/* AVX2 fused dequant-GEMV (M = 1) for sparse24_fp4_g128: only the stored
 * (kept) values are multiplied. Per 8 stored values (16 dense columns):
 * the weights as in gemv-fp4.c, and the activations they meet picked from
 * the 16 dense ones with the 2-bit metadata: position 4*(i/2) + idx_i, a
 * vpermps from each half and vblendvps on bit 3. One metadata u32 covers
 * 32 dense columns (two code words). Per row: two accumulators (the two
 * halves of each metadata word), hsum(acc0 + acc1). */
#include "kernels/simd/avx2/gemv.h"

#define SPARSE_ROWS(fname, R)                                                                      \
    static void fname(const qcts_qview *w, const float *x, int64_t n, float *y)                     \
    {                                                                                               \
        const __m256i sh = qcts_avx2_nib_shifts();                                                 \
        const __m256i msh0 = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14);                         \
        const __m256i msh1 = _mm256_setr_epi32(16, 18, 20, 22, 24, 26, 28, 30);                    \
        const __m256i pbase = _mm256_setr_epi32(0, 0, 4, 4, 8, 8, 12, 12);                         \
        const __m256i three = _mm256_set1_epi32(3);                                                \
        const __m256 mag = qcts_avx2_e2m1_mag();                                                   \
        const int64_t K = w->cols, span = 2 * w->glen; /* dense columns per scale group */         \
        const uint8_t *p[R], *m[R];                                                                 \
        __m256 acc0[R], acc1[R], lut[R];                                                            \
        QCTS_UNROLL for (int r = 0; r < R; r++) {                                                               \
            p[r] = w->codes + (size_t)(n + r) * w->row_bytes;                                       \
            m[r] = w->meta + (size_t)(n + r) * w->meta_row_bytes;                                   \
            acc0[r] = _mm256_setzero_ps();                                                          \
            acc1[r] = _mm256_setzero_ps();                                                          \
        }                                                                                           \
        for (int64_t k = 0, g = 0; k < K; k += span, g++) {                                         \
            QCTS_UNROLL for (int r = 0; r < R; r++) {                                                           \
                const int64_t gi = (n + r) * w->gpr + g;                                            \
                lut[r] = qcts_avx2_sm_lut(_mm256_mul_ps(mag, _mm256_set1_ps(qcts_avx2_f16(w->scales + 2 * gi)))); \
            }                                                                                       \
            for (int64_t kk = k; kk < k + span; kk += 32) {                                         \
                const __m256 xa = _mm256_loadu_ps(x + kk), xb = _mm256_loadu_ps(x + kk + 8);        \
                const __m256 xc = _mm256_loadu_ps(x + kk + 16), xd = _mm256_loadu_ps(x + kk + 24);  \
                QCTS_UNROLL for (int r = 0; r < R; r++) {                                                       \
                    const __m256i mw = _mm256_castps_si256(_mm256_broadcast_ss((const float *)(const void *)(m[r] + kk / 8))); \
                    __m256i pos0 = _mm256_add_epi32(_mm256_and_si256(_mm256_srlv_epi32(mw, msh0), three), pbase); \
                    __m256i pos1 = _mm256_add_epi32(_mm256_and_si256(_mm256_srlv_epi32(mw, msh1), three), pbase); \
                    __m256 s0 = _mm256_castsi256_ps(_mm256_slli_epi32(pos0, 28));                   \
                    __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(pos1, 28));                   \
                    __m256 xs0 = _mm256_blendv_ps(_mm256_permutevar8x32_ps(xa, pos0), _mm256_permutevar8x32_ps(xb, pos0), s0); \
                    __m256 xs1 = _mm256_blendv_ps(_mm256_permutevar8x32_ps(xc, pos1), _mm256_permutevar8x32_ps(xd, pos1), s1); \
                    acc0[r] = _mm256_fmadd_ps(qcts_avx2_sm_dec(qcts_avx2_nib8(p[r] + kk / 4, sh), lut[r]), xs0, acc0[r]); \
                    acc1[r] = _mm256_fmadd_ps(qcts_avx2_sm_dec(qcts_avx2_nib8(p[r] + kk / 4 + 4, sh), lut[r]), xs1, acc1[r]); \
                }                                                                                   \
            }                                                                                       \
        }                                                                                           \
        QCTS_UNROLL for (int r = 0; r < R; r++)                                                                 \
            y[r] = qcts_avx2_hsum(_mm256_add_ps(acc0[r], acc1[r]));                                 \
    }

SPARSE_ROWS(rows4_sparse24_fp4, 4)
SPARSE_ROWS(rows1_sparse24_fp4, 1)
QCTS_GEMV_DRIVER(qcts_gemv_sparse24_fp4_g128__avx2, rows4_sparse24_fp4, rows1_sparse24_fp4)
