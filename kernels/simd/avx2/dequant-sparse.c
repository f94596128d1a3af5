/* AVX2 dequantization of 2:4 sparse schemes (sparse24_fp4_g128,
 * sparse24_int4_g128): per 16 dense columns, one u32 of 8 stored 4-bit
 * codes (decoded as the base preset does) and 16 metadata bits (4 groups
 * of idx0 | idx1 << 2); pruned positions are exactly +0. */
#include "kernels/simd/avx2/common.h"

#define QCTS_SPARSE_SPAN(name, LUT_DECL, DECODE)                                                   \
    void name(const qcts_qview *w, int64_t row, int64_t k0, int64_t k1, float *out)                 \
    {                                                                                               \
        const uint8_t *prow = w->codes + (size_t)row * w->row_bytes;                               \
        const uint8_t *mrow = w->meta + (size_t)row * w->meta_row_bytes;                           \
        const __m256i sh = qcts_avx2_nib_shifts();                                                 \
        const __m256 zero = _mm256_setzero_ps();                                                   \
        float v[8];                                                                                 \
        int64_t k = k0;                                                                             \
        int64_t gi = qcts_qview_group(w, row, k0 / 2), gnext = (k0 / 2 / w->glen + 1) * w->glen;   \
        for (; k + 16 <= k1; k += 16) {                                                             \
            const int64_t j = k / 2; /* first stored column */                                     \
            if (j >= gnext) {                                                                       \
                gi++;                                                                               \
                gnext += w->glen;                                                                   \
            }                                                                                       \
            LUT_DECL;                                                                               \
            _mm256_storeu_ps(v, (DECODE));                                                          \
            const unsigned m16 = (unsigned)mrow[k / 8] | ((unsigned)mrow[k / 8 + 1] << 8);         \
            float *o = out + (k - k0);                                                              \
            _mm256_storeu_ps(o, zero);                                                              \
            _mm256_storeu_ps(o + 8, zero);                                                          \
            for (int i = 0; i < 8; i++)                                                             \
                o[4 * (i / 2) + ((m16 >> (2 * i)) & 3)] = v[i];                                     \
        }                                                                                           \
        qcts_dequant_span__scalar(w, row, k, k1, out + (k - k0));                                  \
    }

QCTS_SPARSE_SPAN(qcts_dequant_sparse24_fp4_g128__avx2,
                 const __m256 lut = qcts_avx2_sm_lut(
                     _mm256_mul_ps(qcts_avx2_e2m1_mag(), _mm256_set1_ps(qcts_avx2_f16(w->scales + 2 * gi)))),
                 qcts_avx2_sm_dec(qcts_avx2_nib8(prow + j / 2, sh), lut))
QCTS_SPARSE_SPAN(qcts_dequant_sparse24_int4_g128__avx2,
                 const __m256 s = _mm256_set1_ps(qcts_avx2_f16(w->scales + 2 * gi));
                 const __m256 lo = _mm256_mul_ps(_mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7), s);
                 const __m256 hi = _mm256_mul_ps(_mm256_setr_ps(-8, -7, -6, -5, -4, -3, -2, -1), s),
                 qcts_avx2_lut16_dec(qcts_avx2_nib8(prow + j / 2, sh), lo, hi))
