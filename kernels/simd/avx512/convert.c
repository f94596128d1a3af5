/* AVX-512 conversions between float32 and f16/bf16 bit patterns, 16 at a
 * time (tails: the generic tier). f16: vcvtph2ps / vcvtps2ph with
 * round-to-nearest-even (exact IEEE, subnormals included), NaN as sign |
 * 0x7E00 (qref_f32_to_f16). bf16: integer
 * nearest-even rounding of the upper half, NaN made quiet keeping its sign
 * and top payload bits, as qref_f32_to_bf16 (AVX512_BF16's vcvtneps2bf16
 * is not used: it flushes subnormals to zero). */
#include "kernels/simd/avx512/common.h"

static void f16_to_f32(const uint16_t *x, float *y, int64_t n)
{
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(y + i, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)(x + i))));
    qcts_convert__scalar.f16_to_f32(x + i, y + i, n - i);
}

static void bf16_to_f32(const uint16_t *x, float *y, int64_t n)
{
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512i v = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(const void *)(x + i)));
        _mm512_storeu_ps(y + i, _mm512_castsi512_ps(_mm512_slli_epi32(v, 16)));
    }
    qcts_convert__scalar.bf16_to_f32(x + i, y + i, n - i);
}

static void f32_to_f16(const float *x, uint16_t *y, int64_t n)
{
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512 f = _mm512_loadu_ps(x + i);
        __m256i h = _mm512_cvtps_ph(f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        /* NaN: sign | 0x7E00, as qref_f32_to_f16 and the scalar tail */
        const __mmask16 nan = _mm512_cmp_ps_mask(f, f, _CMP_UNORD_Q);
        const __m512i canon = _mm512_or_si512(
            _mm512_srli_epi32(_mm512_and_si512(_mm512_castps_si512(f), _mm512_set1_epi32((int)0x80000000u)), 16),
            _mm512_set1_epi32(0x7E00));
        h = _mm256_mask_mov_epi16(h, nan, _mm512_cvtepi32_epi16(canon));
        _mm256_storeu_si256((__m256i *)(void *)(y + i), h);
    }
    qcts_convert__scalar.f32_to_f16(x + i, y + i, n - i);
}

static void f32_to_bf16(const float *x, uint16_t *y, int64_t n)
{
    int64_t i = 0;
    const __m512i one = _mm512_set1_epi32(1), bias = _mm512_set1_epi32(0x7FFF);
    for (; i + 16 <= n; i += 16) {
        __m512 f = _mm512_loadu_ps(x + i);
        __m512i b = _mm512_castps_si512(f);
        __m512i r = _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(b, bias),
                                                       _mm512_and_si512(_mm512_srli_epi32(b, 16), one)), 16);
        __m512i q = _mm512_or_si512(_mm512_srli_epi32(b, 16), _mm512_set1_epi32(0x40));
        __mmask16 nan = _mm512_cmp_ps_mask(f, f, _CMP_UNORD_Q);
        r = _mm512_mask_mov_epi32(r, nan, q);
        _mm256_storeu_si256((__m256i *)(void *)(y + i), _mm512_cvtepi32_epi16(r));
    }
    qcts_convert__scalar.f32_to_bf16(x + i, y + i, n - i);
}

const qcts_convert_ops qcts_convert__avx512 = { f16_to_f32, bf16_to_f32, f32_to_f16, f32_to_bf16 };
