/* avx2/moe_vmath.h — exp, sigmoid and SiLU on 8 floats for the MoE
 * kernels (files built with -mavx2 -mfma only).
 *
 * exp: x = n·ln2 + r with n = round(x·log2 e), r by a two-piece Cody-Waite
 * reduction with FMA (|r| <= ln2/2), exp(r) by a degree-6 polynomial
 * (Cephes expf coefficients), times 2^n built in the exponent bits.
 * Measured relative error < 2 ulp on [-87, 88] (kernels/tests/test_moe_avx2.c
 * asserts < 2^-21 = QREF_MOE_EPS_F, the router's and SwiGLU's model).
 * Inputs are clamped to [-104, 88.7]: 2^n is applied as two factors
 * 2^(n/2)·2^(n - n/2), so results in the subnormal range are rounded once
 * (absolute error <= 2^-149, inside the models' absolute terms) and
 * exp(-104) ~ 2^-150 stands for everything below. Above 88.7 the callers
 * never go (|logit| <= 64; a SwiGLU gate beyond it saturates sigmoid to 1
 * or 0 either way). */
#ifndef QCTS_SIMD_AVX2_MOE_VMATH_H
#define QCTS_SIMD_AVX2_MOE_VMATH_H

#include <immintrin.h>

static inline __attribute__((always_inline)) __m256 qcts_moe_exp8(__m256 x)
{
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-104.0f)), _mm256_set1_ps(88.7f));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    /* 2^n in two factors so that n = 128 (x near 88.7) does not overflow the exponent */
    __m256i ni = _mm256_cvtps_epi32(n);
    __m256i h = _mm256_srai_epi32(ni, 1);
    __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(h, _mm256_set1_epi32(127)), 23));
    __m256 s2 = _mm256_castsi256_ps(
        _mm256_slli_epi32(_mm256_add_epi32(_mm256_sub_epi32(ni, h), _mm256_set1_epi32(127)), 23));
    return _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
}

/* 1 / (1 + exp(-x)) */
static inline __attribute__((always_inline)) __m256 qcts_moe_sigmoid8(__m256 x)
{
    __m256 e = qcts_moe_exp8(_mm256_sub_ps(_mm256_setzero_ps(), x));
    return _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_add_ps(_mm256_set1_ps(1.0f), e));
}

/* silu(g)·u = g / (1 + exp(-g)) · u */
static inline __attribute__((always_inline)) __m256 qcts_moe_swiglu8(__m256 g, __m256 u)
{
    __m256 e = qcts_moe_exp8(_mm256_sub_ps(_mm256_setzero_ps(), g));
    return _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(_mm256_set1_ps(1.0f), e)), u);
}

#endif
