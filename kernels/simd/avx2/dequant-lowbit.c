/* AVX2 dequantization of 3-bit and 2-bit codes with a table per scale
 * group: int3_asym_g128 and nf3_g64 (PACK24: 8 codes per 24-bit word),
 * int2_asym_g64 and nf2_g64 (KMAJOR_U32: 8 codes per 16 bits). Lane i of a
 * word shifted right by bits*i holds code i in its low bits; vpermps reads
 * the low 3 bits of each lane, so the 3-bit table is 8 values and the 2-bit
 * table is its 4 values twice (bit 2 then belongs to the next code and does
 * not matter). Table entries are (code - z) * s (f16 s, u8 z) or
 * nf[code] * s (f32 s): one float32 operation of exact operands, as
 * qref's float32 result (NF tables rounded to odd when w->odd, simd.h). */
#include "kernels/simd/avx2/common.h"
#include "qref/fmt.h"

/* 8 codes of 3 bits at column k (a multiple of 8): bytes 3k/8 .. 3k/8 + 2. */
QCTS_AVX2_INLINE __m256i codes3(const uint8_t *prow, int64_t k)
{
    const uint8_t *p = prow + 3 * (k / 8);
    const int u = p[0] | (p[1] << 8) | (p[2] << 16);
    return _mm256_srlv_epi32(_mm256_set1_epi32(u), _mm256_setr_epi32(0, 3, 6, 9, 12, 15, 18, 21));
}

/* 8 codes of 2 bits at column k (a multiple of 8): bytes k/4, k/4 + 1. */
QCTS_AVX2_INLINE __m256i codes2(const uint8_t *prow, int64_t k)
{
    const uint8_t *p = prow + k / 4;
    const int u = p[0] | (p[1] << 8);
    return _mm256_srlv_epi32(_mm256_set1_epi32(u), _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14));
}

#define CODES8 _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7)
#define CODES4X2 _mm256_setr_ps(0, 1, 2, 3, 0, 1, 2, 3)
#define S16 _mm256_set1_ps(qcts_avx2_f16(w->scales + 2 * gi))
#define SF32 _mm256_set1_ps(qcts_avx2_f32(w->scales + 4 * gi))
#define Z8 _mm256_set1_ps((float)w->zeros[gi])

QCTS_AVX2_GROUP_SPAN(qcts_dequant_int3_asym_g128__avx2, const __m256 lut = _mm256_mul_ps(_mm256_sub_ps(CODES8, Z8), S16),
                     _mm256_permutevar8x32_ps(lut, codes3(prow, k)))
QCTS_AVX2_GROUP_SPAN(qcts_dequant_nf3_g64__avx2, const __m256 lut = qcts_avx2_mul_r(_mm256_loadu_ps(qref_nf3_table), SF32, w->odd),
                     _mm256_permutevar8x32_ps(lut, codes3(prow, k)))
QCTS_AVX2_GROUP_SPAN(qcts_dequant_int2_asym_g64__avx2,
                     const __m256 lut = _mm256_mul_ps(_mm256_sub_ps(CODES4X2, Z8), S16),
                     _mm256_permutevar8x32_ps(lut, codes2(prow, k)))
QCTS_AVX2_GROUP_SPAN(qcts_dequant_nf2_g64__avx2,
                     const __m256 lut = qcts_avx2_mul_r(_mm256_castps128_ps256(_mm_loadu_ps(qref_nf2_table)), SF32, w->odd);
                     const __m256 lut2 = _mm256_permute2f128_ps(lut, lut, 0x00),
                     _mm256_permutevar8x32_ps(lut2, codes2(prow, k)))
