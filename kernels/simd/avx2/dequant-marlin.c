/* AVX2 dequantization of the Marlin tile layout (qref/marlin.h):
 * marlin_int4_g128 (nibble = int4 code ^ 8, value (nibble - 8) * s) and
 * marlin_fp4_g128 (nibble = E2M1 code), f16 scale per (group of 128, row).
 *
 * Row n's 16 columns of k-tile kt sit in one 1024-nibble chunk at fixed
 * positions: nibble f = kt * 16N + 1024 * (n / 64) + perm_inv(256 * (n / 16
 * % 4) + 16 r + n % 16) for r < 16, the chunk offset depending only on n.
 * The 16 word indexes (f / 8) and shifts (4 * (f % 8)) are computed once
 * per call; each tile then costs two vpgatherdd of the u32 words, a
 * variable shift and the table lookup of common.h (values are the base
 * preset's: one multiply of exact operands). */
#include "kernels/simd/avx2/common.h"
#include "qref/marlin.h"

typedef struct marlin_pos {
    __m256i word[2], shift[2];   /* columns r = 0..7 and 8..15 of a tile */
} marlin_pos;

QCTS_AVX2_INLINE void marlin_positions(int64_t row, marlin_pos *mp)
{
    int32_t wd[16], sh[16];
    const int64_t cb = 1024 * (row / 64);
    for (int r = 0; r < 16; r++) {
        const int64_t f = cb + qref_marlin_perm_inv((int)(256 * (row / 16 % 4) + 16 * r + row % 16));
        wd[r] = (int32_t)(f / 8);
        sh[r] = (int32_t)(4 * (f % 8));
    }
    for (int h = 0; h < 2; h++) {
        mp->word[h] = _mm256_loadu_si256((const __m256i *)(const void *)(wd + 8 * h));
        mp->shift[h] = _mm256_loadu_si256((const __m256i *)(const void *)(sh + 8 * h));
    }
}

/* The 8 nibbles (in bits 0..3 of each lane, garbage above) of columns
 * 16 kt + 8h .. + 7 of the row. */
QCTS_AVX2_INLINE __m256i marlin_nib8(const qcts_qview *w, const marlin_pos *mp, int64_t kt, int h)
{
    const __m256i base = _mm256_set1_epi32((int)(kt * 2 * w->rows));   /* kt * 16N nibbles / 8 */
    const __m256i v = _mm256_i32gather_epi32((const int *)(const void *)w->codes, _mm256_add_epi32(base, mp->word[h]), 4);
    return _mm256_srlv_epi32(v, mp->shift[h]);
}

/* GROUP_DECL: the table(s) of group g from the f16 scale s; DECODE(lanes). */
#define QCTS_MARLIN_SPAN(name, GROUP_DECL, DECODE)                                                 \
    void name(const qcts_qview *w, int64_t row, int64_t k0, int64_t k1, float *out)                 \
    {                                                                                               \
        marlin_pos mp;                                                                              \
        marlin_positions(row, &mp);                                                                 \
        const int64_t groups = w->cols / QREF_MARLIN_GROUP;                                        \
        int64_t k = k0;                                                                             \
        while (k + 16 <= k1) {                                                                      \
            const int64_t g = k / QREF_MARLIN_GROUP;                                               \
            const float sf = qcts_avx2_f16(w->scales + 2 * qref_marlin_scale_index(w->rows, groups, row, g)); \
            const __m256 s = _mm256_set1_ps(sf);                                                    \
            GROUP_DECL;                                                                             \
            int64_t gend = (g + 1) * QREF_MARLIN_GROUP < k1 ? (g + 1) * QREF_MARLIN_GROUP : k1;    \
            for (; k + 16 <= gend; k += 16)                                                         \
                for (int h = 0; h < 2; h++)                                                         \
                    _mm256_storeu_ps(out + (k - k0) + 8 * h, DECODE(marlin_nib8(w, &mp, k / 16, h))); \
            if (k < gend)                                                                           \
                break;                                                                              \
        }                                                                                           \
        qcts_dequant_span__scalar(w, row, k, k1, out + (k - k0));                                  \
    }

#define INT4_DECL                                                                                  \
    const __m256 lo = _mm256_mul_ps(_mm256_setr_ps(-8, -7, -6, -5, -4, -3, -2, -1), s);           \
    const __m256 hi = _mm256_mul_ps(_mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7), s)
#define INT4_DEC(x) qcts_avx2_lut16_dec((x), lo, hi)
#define FP4_DECL const __m256 lut = qcts_avx2_sm_lut(_mm256_mul_ps(qcts_avx2_e2m1_mag(), s))
#define FP4_DEC(x) qcts_avx2_sm_dec((x), lut)

QCTS_MARLIN_SPAN(qcts_dequant_marlin_int4_g128__avx2, INT4_DECL, INT4_DEC)
QCTS_MARLIN_SPAN(qcts_dequant_marlin_fp4_g128__avx2, FP4_DECL, FP4_DEC)
