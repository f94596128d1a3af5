/* AVX2 dequantization of the OCP MX schemes with 6- and 8-bit elements
 * (mxfp6_e2m3, mxfp6_e3m2: PACK24, 4 codes per 24-bit word; mxfp8_e4m3,
 * mxfp8_e5m2: one byte per code) and E8M0 scales per 32: the element
 * decoded exactly (common.h: qcts_avx2_minifloat8_nosub for FP6, whose
 * subnormal codes are common, qcts_avx2_minifloat8 for FP8) times
 * 2^(e-127): exact, or overflowing float32 as qref's product does. */
#include "kernels/simd/avx2/common.h"

/* 8 codes of 6 bits at column k (a multiple of 8): two 24-bit words at
 * bytes 3k/4 and 3k/4 + 3, spread by one byte shuffle (lanes 0-3: bytes
 * 0-2, lanes 4-7: bytes 3-5), then lane i shifted by 6 (i % 4). */
QCTS_AVX2_INLINE __m256i codes6(const uint8_t *prow, int64_t k)
{
    const uint8_t *p = prow + 3 * (k / 4);
    uint32_t lo;
    uint16_t hi;
    memcpy(&lo, p, 4);
    memcpy(&hi, p + 4, 2);
    const __m256i v = _mm256_broadcastsi128_si256(_mm_cvtsi64_si128((long long)((uint64_t)lo | (uint64_t)hi << 32)));
    const __m256i spread = _mm256_shuffle_epi8(
        v, _mm256_setr_epi8(0, 1, 2, -1, 0, 1, 2, -1, 0, 1, 2, -1, 0, 1, 2, -1, 3, 4, 5, -1, 3, 4, 5, -1, 3, 4, 5, -1, 3,
                            4, 5, -1));
    return _mm256_and_si256(_mm256_srlv_epi32(spread, _mm256_setr_epi32(0, 6, 12, 18, 0, 6, 12, 18)),
                            _mm256_set1_epi32(0x3F));
}

#define E8M0 const __m256 x = _mm256_set1_ps(qcts_avx2_e8m0(w->scales[gi]))

QCTS_AVX2_GROUP_SPAN(qcts_dequant_mxfp6_e2m3__avx2, E8M0,
                     _mm256_mul_ps(qcts_avx2_minifloat8_nosub(codes6(prow, k), 5, 3, 1), x))
QCTS_AVX2_GROUP_SPAN(qcts_dequant_mxfp6_e3m2__avx2, E8M0,
                     _mm256_mul_ps(qcts_avx2_minifloat8_nosub(codes6(prow, k), 5, 2, 3), x))
QCTS_AVX2_GROUP_SPAN(qcts_dequant_mxfp8_e4m3__avx2, E8M0,
                     _mm256_mul_ps(qcts_avx2_minifloat8(qcts_avx2_bytes8(prow + k), 7, 3, 7), x))
QCTS_AVX2_GROUP_SPAN(qcts_dequant_mxfp8_e5m2__avx2, E8M0,
                     _mm256_mul_ps(qcts_avx2_minifloat8(qcts_avx2_bytes8(prow + k), 7, 2, 15), x))
