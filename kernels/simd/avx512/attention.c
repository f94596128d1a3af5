/* AVX-512 attention: the flash-attention algorithm of attention_flash.inc
 * (avx2/attention.c describes it) on 16-lane float32 vectors: logits by FMA
 * dot products (4 keys at once, 8 independent accumulators), the online
 * softmax's exp with the AVX2 kernel's Cody-Waite / degree-6 polynomial
 * (relative error below 2 ulp, exp(0) = 1, arguments below -87 give +0),
 * P.V with 8 independent 16-lane accumulators per 128 columns. KV caches in
 * f16/bf16 are widened exactly; scheme presets are dequantized by the
 * AVX-512 dequant kernels (the AVX2 ones for schemes without one). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/simd/avx2/attention.h"
#include "kernels/simd/avx512/common.h"

QCTS_AVX512_INLINE __m512 exp16(__m512 x)
{
    const __m512 hi = _mm512_set1_ps(88.3762626647949f), lo = _mm512_set1_ps(-87.0f);
    const __mmask16 keep = _mm512_cmp_ps_mask(x, lo, _CMP_GE_OQ);
    x = _mm512_min_ps(_mm512_max_ps(x, lo), hi);
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500E-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507E-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073E-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894E-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459E-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201E-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r);
    p = _mm512_add_ps(p, _mm512_set1_ps(1.0f));
    const __m512i e = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
    return _mm512_maskz_mul_ps(keep, p, _mm512_castsi512_ps(e));
}

float qcts_attn_exp__avx512(float x) { return _mm512_cvtss_f32(exp16(_mm512_set1_ps(x))); }

static float exp1(float x) { return qcts_attn_exp__avx512(x); }

/* 16 lanes added in a fixed tree (halves, then quarters, ...). */
QCTS_AVX512_INLINE float hsum16(__m512 v)
{
    __m256 a = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static float dot(const float *a, const float *b, int64_t n)
{
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
    int64_t c = 0;
    for (; c + 32 <= n; c += 32) {
        a0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + c), _mm512_loadu_ps(b + c), a0);
        a1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + c + 16), _mm512_loadu_ps(b + c + 16), a1);
    }
    for (; c + 16 <= n; c += 16)
        a0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + c), _mm512_loadu_ps(b + c), a0);
    float s = hsum16(_mm512_add_ps(a0, a1));
    for (; c < n; c++)
        s += a[c] * b[c];
    return s;
}

/* s[k] = q.k_k for 4 keys at once (8 independent accumulators). */
static void dot4(const float *q, const float *const *k, int64_t n, float *s)
{
    __m512 a[4], b[4];
    for (int j = 0; j < 4; j++)
        a[j] = b[j] = _mm512_setzero_ps();
    int64_t c = 0;
    for (; c + 32 <= n; c += 32) {
        const __m512 x = _mm512_loadu_ps(q + c), y = _mm512_loadu_ps(q + c + 16);
        QCTS_UNROLL
        for (int j = 0; j < 4; j++) {
            a[j] = _mm512_fmadd_ps(x, _mm512_loadu_ps(k[j] + c), a[j]);
            b[j] = _mm512_fmadd_ps(y, _mm512_loadu_ps(k[j] + c + 16), b[j]);
        }
    }
    for (; c + 16 <= n; c += 16) {
        const __m512 x = _mm512_loadu_ps(q + c);
        QCTS_UNROLL
        for (int j = 0; j < 4; j++)
            a[j] = _mm512_fmadd_ps(x, _mm512_loadu_ps(k[j] + c), a[j]);
    }
    for (int j = 0; j < 4; j++)
        s[j] = hsum16(_mm512_add_ps(a[j], b[j]));
    for (; c < n; c++)
        for (int j = 0; j < 4; j++)
            s[j] += q[c] * k[j][c];
}

/* o = o.alpha + sum_j p[j].v[j] over n keys; masked keys (p = 0) skipped. */
static void pv(float *o, int64_t dv, float alpha, const float *p, const float *const *v, int64_t n)
{
    const __m512 al = _mm512_set1_ps(alpha);
    int64_t c = 0;
    for (; c + 128 <= dv; c += 128) {
        __m512 a[8];
        QCTS_UNROLL
        for (int k = 0; k < 8; k++)
            a[k] = _mm512_mul_ps(_mm512_loadu_ps(o + c + 16 * k), al);
        for (int64_t j = 0; j < n; j++) {
            if (p[j] == 0.0f)
                continue;
            const __m512 pj = _mm512_set1_ps(p[j]);
            const float *vj = v[j] + c;
            QCTS_UNROLL
            for (int k = 0; k < 8; k++)
                a[k] = _mm512_fmadd_ps(pj, _mm512_loadu_ps(vj + 16 * k), a[k]);
        }
        QCTS_UNROLL
        for (int k = 0; k < 8; k++)
            _mm512_storeu_ps(o + c + 16 * k, a[k]);
    }
    for (; c + 16 <= dv; c += 16) {
        __m512 acc = _mm512_mul_ps(_mm512_loadu_ps(o + c), al);
        for (int64_t j = 0; j < n; j++)
            if (p[j] != 0.0f)
                acc = _mm512_fmadd_ps(_mm512_set1_ps(p[j]), _mm512_loadu_ps(v[j] + c), acc);
        _mm512_storeu_ps(o + c, acc);
    }
    for (; c < dv; c++) {
        float acc = o[c] * alpha;
        for (int64_t j = 0; j < n; j++)
            if (p[j] != 0.0f)
                acc += p[j] * v[j][c];
        o[c] = acc;
    }
}

static void row_f16(const uint16_t *src, float *dst, int64_t n) { qcts_convert__avx512.f16_to_f32(src, dst, n); }
static void row_bf16(const uint16_t *src, float *dst, int64_t n) { qcts_convert__avx512.bf16_to_f32(src, dst, n); }

QCTS_AVX512_INLINE void prefetch_line(const char *p) { _mm_prefetch(p, _MM_HINT_T1); }

QCTS_AVX512_INLINE uint16_t f32_to_f16_1(float v) { return (uint16_t)_cvtss_sh(v, _MM_FROUND_TO_NEAREST_INT); }

/* p[j] = exp(s[j] - mn): 16 at a time (exp16 gives 0 below -87, so -inf -> 0) */
static void exp_row(const float *s, float *p, int64_t nb, float mn)
{
    const __m512 mnv = _mm512_set1_ps(mn);
    int64_t j = 0;
    for (; j + 16 <= nb; j += 16)
        _mm512_storeu_ps(p + j, exp16(_mm512_sub_ps(_mm512_loadu_ps(s + j), mnv)));
    for (; j < nb; j++)
        p[j] = s[j] == -INFINITY ? 0.0f : exp1(s[j] - mn);
}

#define QCTS_ATTN_ENTRY qcts_attention__avx512
#include "kernels/simd/attention_flash.inc"
