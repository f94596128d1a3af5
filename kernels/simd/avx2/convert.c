/* AVX2 + F16C conversions between float32 and f16/bf16 bit patterns (the
 * generic tier does the tails). f16: vcvtph2ps (exact) and vcvtps2ph with
 * round-to-nearest-even (IEEE, subnormals included); NaN becomes sign |
 * 0x7E00 as in qref_f32_to_f16, so a value converts to the same bits on the
 * vector and the scalar path (thread chunks move elements between them). bf16:
 * the upper half of the float32 pattern, rounded to nearest even by adding
 * 0x7FFF + the kept lsb; NaN keeps its sign and top payload bits and is
 * made quiet (as qref_f32_to_bf16 does: (bits >> 16) | 0x40). */
#include "kernels/simd/avx2/common.h"

static void f16_to_f32(const uint16_t *x, float *y, int64_t n)
{
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(x + i))));
    qcts_convert__scalar.f16_to_f32(x + i, y + i, n - i);
}

static void bf16_to_f32(const uint16_t *x, float *y, int64_t n)
{
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(const void *)(x + i)));
        _mm256_storeu_ps(y + i, _mm256_castsi256_ps(_mm256_slli_epi32(v, 16)));
    }
    qcts_convert__scalar.bf16_to_f32(x + i, y + i, n - i);
}

static void f32_to_f16(const float *x, uint16_t *y, int64_t n)
{
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 f = _mm256_loadu_ps(x + i);
        __m128i h = _mm256_cvtps_ph(f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        /* NaN: sign | 0x7E00, as qref_f32_to_f16 (vcvtps2ph keeps payload bits) */
        const __m256i nan = _mm256_castps_si256(_mm256_cmp_ps(f, f, _CMP_UNORD_Q));
        const __m256i canon = _mm256_or_si256(
            _mm256_srli_epi32(_mm256_and_si256(_mm256_castps_si256(f), _mm256_set1_epi32((int)0x80000000u)), 16),
            _mm256_set1_epi32(0x7E00));
        const __m128i c16 = _mm_packus_epi32(_mm256_castsi256_si128(canon), _mm256_extracti128_si256(canon, 1));
        const __m128i m16 = _mm_packs_epi32(_mm256_castsi256_si128(nan), _mm256_extracti128_si256(nan, 1));
        h = _mm_blendv_epi8(h, c16, m16);
        _mm_storeu_si128((__m128i *)(void *)(y + i), h);
    }
    qcts_convert__scalar.f32_to_f16(x + i, y + i, n - i);
}

static void f32_to_bf16(const float *x, uint16_t *y, int64_t n)
{
    int64_t i = 0;
    const __m256i one = _mm256_set1_epi32(1), bias = _mm256_set1_epi32(0x7FFF);
    for (; i + 8 <= n; i += 8) {
        __m256 f = _mm256_loadu_ps(x + i);
        __m256i b = _mm256_castps_si256(f);
        __m256i r = _mm256_srli_epi32(_mm256_add_epi32(_mm256_add_epi32(b, bias),
                                                       _mm256_and_si256(_mm256_srli_epi32(b, 16), one)), 16);
        __m256i q = _mm256_or_si256(_mm256_srli_epi32(b, 16), _mm256_set1_epi32(0x40));
        __m256i nan = _mm256_castps_si256(_mm256_cmp_ps(f, f, _CMP_UNORD_Q));
        r = _mm256_blendv_epi8(r, q, nan);
        /* pack the low 16 bits of the 8 lanes */
        __m128i lo = _mm256_castsi256_si128(r), hi = _mm256_extracti128_si256(r, 1);
        _mm_storeu_si128((__m128i *)(void *)(y + i), _mm_packus_epi32(lo, hi));
    }
    qcts_convert__scalar.f32_to_bf16(x + i, y + i, n - i);
}

const qcts_convert_ops qcts_convert__avx2 = { f16_to_f32, bf16_to_f32, f32_to_f16, f32_to_bf16 };
