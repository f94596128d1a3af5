/* AVX2 kernels of the integer quantizer (quantize_int.h): absmax (exact in
 * any order), the group codes, 8 lanes at a time (tails run the same vector
 * code on a zero-padded copy), and the GGUF Q8_0 / Q4_0 block codes. */
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

/* 8 int32 -> their low bytes */
QCTS_AVX2_INLINE void low_bytes8(__m256i v, uint8_t *out)
{
    v = _mm256_and_si256(v, _mm256_set1_epi32(0xFF));
    __m128i p = _mm_packus_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    _mm_storel_epi64((__m128i *)(void *)out, _mm_packus_epi16(p, p));
}

/* (int8)roundf(x id): truncate, +-1 where |v - t| >= 1/2 (v - t is exact),
 * v itself where |v| >= 2^23 (an integer, Inf or NaN); cvttps gives
 * INT32_MIN out of range, as ggml's cvttss2si. */
static void q8_0(const float *x, float id, uint8_t *qs)
{
    const __m256 vid = _mm256_set1_ps(id), sign = _mm256_set1_ps(-0.0f), one = _mm256_set1_ps(1.0f);
    for (int k = 0; k < 4; k++) {
        const __m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + 8 * k), vid);
        __m256 t = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
        const __m256 up = _mm256_cmp_ps(_mm256_andnot_ps(sign, _mm256_sub_ps(v, t)), _mm256_set1_ps(0.5f), _CMP_GE_OQ);
        t = _mm256_add_ps(t, _mm256_and_ps(up, _mm256_or_ps(_mm256_and_ps(v, sign), one)));
        const __m256 small = _mm256_cmp_ps(_mm256_andnot_ps(sign, v), _mm256_set1_ps(8388608.0f), _CMP_LT_OQ);
        low_bytes8(_mm256_cvttps_epi32(_mm256_blendv_ps(v, t, small)), qs + 8 * k);
    }
}

/* min((int8)(x id + 8.5), 15): two roundings (a product, a sum), as ref;
 * byte j = q_j | q_(j+16) << 4. */
static void q4_0(const float *x, float id, uint8_t *qs)
{
    const __m256 vid = _mm256_set1_ps(id), h = _mm256_set1_ps(8.5f);
    __m256i q[4];
    for (int k = 0; k < 4; k++) {
        __m256i i = _mm256_cvttps_epi32(_mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(x + 8 * k), vid), h));
        i = _mm256_srai_epi32(_mm256_slli_epi32(i, 24), 24);   /* the int8 of the low byte */
        q[k] = _mm256_and_si256(_mm256_min_epi32(i, _mm256_set1_epi32(15)), _mm256_set1_epi32(0xFF));
    }
    low_bytes8(_mm256_or_si256(q[0], _mm256_slli_epi32(q[2], 4)), qs);
    low_bytes8(_mm256_or_si256(q[1], _mm256_slli_epi32(q[3], 4)), qs + 8);
}

const qcts_qint_ops qcts_qint__avx2 = { absmax, codes, q8_0, q4_0 };
