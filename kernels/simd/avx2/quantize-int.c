/* AVX2 kernels of the integer-group quantizer (quantize_int.h): absmax
 * (exact in any order) and the codes, 8 lanes at a time; tails run the
 * same vector code on a zero-padded copy. */
#include <string.h>

#include "kernels/simd/avx2/common.h"
#include "kernels/simd/quantize_int.h"

static float absmax(const float *x, int64_t n)
{
    const __m256 abs = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
    __m256 m = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        m = _mm256_max_ps(m, _mm256_and_ps(_mm256_loadu_ps(x + i), abs));
    float t[8] = { 0 };
    memcpy(t, x + i, sizeof(float) * (size_t)(n - i));
    m = _mm256_max_ps(m, _mm256_and_ps(_mm256_loadu_ps(t), abs));
    float l[8];
    _mm256_storeu_ps(l, m);
    float r = 0.0f;
    for (int k = 0; k < 8; k++)
        r = l[k] > r ? l[k] : r;
    return r;
}

QCTS_AVX2_INLINE void codes8(const float *x, __m256 sd, __m256 hi, __m256i mask, uint8_t *out)
{
    __m256 q = _mm256_div_ps(_mm256_loadu_ps(x), sd);
    q = _mm256_round_ps(q, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);   /* ties to even */
    q = _mm256_min_ps(_mm256_max_ps(q, _mm256_sub_ps(_mm256_setzero_ps(), hi)), hi);
    __m256i v = _mm256_and_si256(_mm256_cvtps_epi32(q), mask);   /* exact: q is an integer */
    __m128i p = _mm_packus_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    _mm_storel_epi64((__m128i *)(void *)out, _mm_packus_epi16(p, p));
}

static void codes(const float *x, int64_t n, float sdv, float qmax, uint8_t m, uint8_t *out)
{
    const __m256 sd = _mm256_set1_ps(sdv), hi = _mm256_set1_ps(qmax);
    const __m256i mask = _mm256_set1_epi32(m);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        codes8(x + i, sd, hi, mask, out + i);
    if (i < n) {
        float t[8] = { 0 };
        uint8_t o[8];
        memcpy(t, x + i, sizeof(float) * (size_t)(n - i));
        codes8(t, sd, hi, mask, o);
        memcpy(out + i, o, (size_t)(n - i));
    }
}

const qcts_qint_ops qcts_qint__avx2 = { absmax, codes };
