/* AVX2 fused dequant-GEMV (M = 1) for one-byte codes with a float32 scale
 * per row: int8_per_channel, fp8_e4m3_per_channel. Per 8 weights: the
 * float32 weight (code * s, one rounding, as the dequant kernel) and an
 * FMA. K need not be a multiple of 8: the last K % 8 weights come from the
 * generic tier into a zero-padded vector (zero activations pad x), one more
 * FMA on the odd accumulator. */
#include "kernels/simd/avx2/gemv.h"

QCTS_AVX2_INLINE __m256 int8x8(const uint8_t *p, __m256 s)
{
    return _mm256_mul_ps(_mm256_cvtepi32_ps(qcts_avx2_sbytes8(p)), s);
}

QCTS_AVX2_INLINE __m256 e4m3x8(const uint8_t *p, __m256 s)
{
    return _mm256_mul_ps(qcts_avx2_minifloat8(qcts_avx2_bytes8(p), 7, 3, 7), s);
}

#define QCTS_BYTE_ROWS(fname, R, DEC)                                                              \
    static void fname(const qcts_qview *w, const float *x, int64_t n, float *y)                     \
    {                                                                                               \
        const int64_t K = w->cols;                                                                  \
        const uint8_t *p[R];                                                                        \
        __m256 acc0[R], acc1[R], s[R];                                                              \
        QCTS_UNROLL for (int r = 0; r < R; r++) {                                                               \
            p[r] = w->codes + (size_t)(n + r) * w->row_bytes;                                       \
            s[r] = _mm256_set1_ps(qcts_avx2_f32(w->scales + 4 * qcts_qview_group(w, n + r, 0)));  \
            acc0[r] = _mm256_setzero_ps();                                                          \
            acc1[r] = _mm256_setzero_ps();                                                          \
        }                                                                                           \
        int64_t k = 0;                                                                              \
        for (; k + 16 <= K; k += 16) {                                                              \
            const __m256 x0 = _mm256_loadu_ps(x + k), x1 = _mm256_loadu_ps(x + k + 8);             \
            QCTS_UNROLL for (int r = 0; r < R; r++) {                                                           \
                acc0[r] = _mm256_fmadd_ps(DEC(p[r] + k, s[r]), x0, acc0[r]);                        \
                acc1[r] = _mm256_fmadd_ps(DEC(p[r] + k + 8, s[r]), x1, acc1[r]);                    \
            }                                                                                       \
        }                                                                                           \
        if (k + 8 <= K) {                                                                           \
            const __m256 x0 = _mm256_loadu_ps(x + k);                                               \
            QCTS_UNROLL for (int r = 0; r < R; r++)                                                             \
                acc0[r] = _mm256_fmadd_ps(DEC(p[r] + k, s[r]), x0, acc0[r]);                        \
            k += 8;                                                                                 \
        }                                                                                           \
        if (k < K) {                                                                                \
            float wt[8] = { 0 }, xt[8] = { 0 };                                                     \
            memcpy(xt, x + k, sizeof(float) * (size_t)(K - k));                                     \
            QCTS_UNROLL for (int r = 0; r < R; r++) {                                                           \
                qcts_dequant_span__scalar(w, n + r, k, K, wt);                                     \
                acc1[r] = _mm256_fmadd_ps(_mm256_loadu_ps(wt), _mm256_loadu_ps(xt), acc1[r]);       \
            }                                                                                       \
        }                                                                                           \
        QCTS_UNROLL for (int r = 0; r < R; r++)                                                                 \
            y[r] = qcts_avx2_hsum(_mm256_add_ps(acc0[r], acc1[r]));                                 \
    }

#define QCTS_BYTE_GEMV(scheme, DEC)                                                                \
    QCTS_BYTE_ROWS(rows4_##scheme, 4, DEC)                                                         \
    QCTS_BYTE_ROWS(rows1_##scheme, 1, DEC)                                                         \
    QCTS_GEMV_DRIVER(qcts_gemv_##scheme##__avx2, rows4_##scheme, rows1_##scheme)

QCTS_BYTE_GEMV(int8_per_channel, int8x8)
QCTS_BYTE_GEMV(fp8_e4m3_per_channel, e4m3x8)
