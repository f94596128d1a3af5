/* AVX-512 norm and softmax: the algorithms of rowops.inc on 16-lane
 * float32 vectors (kernels/simd/rowops.h; the slot is rowop_slot.c). */
#include <string.h>

#include "kernels/simd/avx512/common.h"
#include "kernels/simd/rowops.h"

typedef __m512 vf;
#define VL 16
QCTS_AVX512_INLINE vf vdup(float x) { return _mm512_set1_ps(x); }
QCTS_AVX512_INLINE vf vld(const float *p) { return _mm512_loadu_ps(p); }
QCTS_AVX512_INLINE void vst(float *p, vf v) { _mm512_storeu_ps(p, v); }
QCTS_AVX512_INLINE vf vadd(vf a, vf b) { return _mm512_add_ps(a, b); }
QCTS_AVX512_INLINE vf vsub(vf a, vf b) { return _mm512_sub_ps(a, b); }
QCTS_AVX512_INLINE vf vmul(vf a, vf b) { return _mm512_mul_ps(a, b); }
QCTS_AVX512_INLINE vf vfma(vf acc, vf a, vf b) { return _mm512_fmadd_ps(a, b, acc); }
QCTS_AVX512_INLINE vf vmax(vf a, vf b) { return _mm512_max_ps(a, b); }
QCTS_AVX512_INLINE float vhmax(vf v) { return _mm512_reduce_max_ps(v); }   /* exact in any order (no NaN here) */
QCTS_AVX512_INLINE int vhasnan(vf v) { return _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q) != 0; }

/* 16 lanes added in a fixed tree (halves, then quarters, ...). */
QCTS_AVX512_INLINE float vhsum(vf v)
{
    __m256 a = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* exp of avx2/softmax.c, 16 lanes (t <= 0 here; -inf -> -88 -> 0) */
QCTS_AVX512_INLINE vf vexp(vf t)
{
    t = _mm512_max_ps(t, _mm512_set1_ps(-88.0f));
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(t, _mm512_set1_ps(1.44269504088896341f)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), t);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500E-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507E-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073E-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894E-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459E-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201E-1f));
    const __m512 y = _mm512_add_ps(_mm512_fmadd_ps(_mm512_mul_ps(p, r), r, r), _mm512_set1_ps(1.0f));
    /* 2^n as two factors so that n = -127 .. -126 still scales gradually */
    const __m512i ni = _mm512_cvtps_epi32(n);
    const __m512i h1 = _mm512_srai_epi32(ni, 1), h2 = _mm512_sub_epi32(ni, h1);
    const __m512 s1 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(h1, _mm512_set1_epi32(127)), 23));
    const __m512 s2 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(h2, _mm512_set1_epi32(127)), 23));
    return _mm512_mul_ps(_mm512_mul_ps(y, s1), s2);
}

static inline float vexp1(float t) { return _mm512_cvtss_f32(vexp(_mm512_set1_ps(t))); }

#define RO_CONVERT qcts_convert__avx512
#define RO_FN(name) name##__avx512
#include "kernels/simd/rowops.inc"
