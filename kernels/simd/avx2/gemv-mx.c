/* AVX2 fused dequant-GEMV (M = 1) for mxfp8_e4m3: per 8 weights the
 * float32 weight of dequant-mx.c (E4M3 decoded exactly, times the block's
 * 2^(e-127): exact, or the same overflow as qref's) and an FMA; the 4
 * groups of 8 of a 32-element block alternate between two accumulators. */
#include "kernels/simd/avx2/gemv.h"

#define MXFP8_ROWS(fname, R)                                                                       \
    static void fname(const qcts_qview *w, const float *x, int64_t n, float *y)                     \
    {                                                                                               \
        const int64_t nb = w->cols / 32;                                                            \
        const uint8_t *p[R], *sc[R];                                                                \
        __m256 acc0[R], acc1[R];                                                                    \
        QCTS_UNROLL for (int r = 0; r < R; r++) {                                                   \
            p[r] = w->codes + (size_t)(n + r) * w->row_bytes;                                       \
            sc[r] = w->scales + (size_t)(n + r) * (size_t)nb;                                       \
            acc0[r] = _mm256_setzero_ps();                                                          \
            acc1[r] = _mm256_setzero_ps();                                                          \
        }                                                                                           \
        for (int64_t b = 0; b < nb; b++) {                                                          \
            const float *xb = x + 32 * b;                                                           \
            const __m256 x0 = _mm256_loadu_ps(xb), x1 = _mm256_loadu_ps(xb + 8);                    \
            const __m256 x2 = _mm256_loadu_ps(xb + 16), x3 = _mm256_loadu_ps(xb + 24);              \
            QCTS_UNROLL for (int r = 0; r < R; r++) {                                               \
                const uint8_t *q = p[r] + 32 * b;                                                   \
                if ((b & 1) == 0)                                                                   \
                    qcts_avx2_prefetch(q);                                                          \
                const __m256 s = _mm256_set1_ps(qcts_avx2_e8m0(sc[r][b]));                         \
                acc0[r] = _mm256_fmadd_ps(_mm256_mul_ps(qcts_avx2_minifloat8(qcts_avx2_bytes8(q), 7, 3, 7), s), x0, acc0[r]); \
                acc1[r] = _mm256_fmadd_ps(_mm256_mul_ps(qcts_avx2_minifloat8(qcts_avx2_bytes8(q + 8), 7, 3, 7), s), x1, acc1[r]); \
                acc0[r] = _mm256_fmadd_ps(_mm256_mul_ps(qcts_avx2_minifloat8(qcts_avx2_bytes8(q + 16), 7, 3, 7), s), x2, acc0[r]); \
                acc1[r] = _mm256_fmadd_ps(_mm256_mul_ps(qcts_avx2_minifloat8(qcts_avx2_bytes8(q + 24), 7, 3, 7), s), x3, acc1[r]); \
            }                                                                                       \
        }                                                                                           \
        QCTS_UNROLL for (int r = 0; r < R; r++)                                                     \
            y[r] = qcts_avx2_hsum(_mm256_add_ps(acc0[r], acc1[r]));                                 \
    }
MXFP8_ROWS(rows4_mxfp8_e4m3, 4)
MXFP8_ROWS(rows1_mxfp8_e4m3, 1)
QCTS_GEMV_DRIVER(qcts_gemv_mxfp8_e4m3__avx2, rows4_mxfp8_e4m3, rows1_mxfp8_e4m3)
