/* avx512/common.h — decoding building blocks of the AVX-512 kernels.
 * Included only by the files of kernels/simd/avx512/ (built with -mavx512f -mavx512bw
 * -mavx512dq -mavx512vl -mfma -mf16c).
 *
 * 4-BIT CODES: one zmm holds a whole 16-entry float32 table, and vpermps
 * (_mm512_permutexvar_ps) reads only the low 4 bits of each index lane, so
 * a code is decoded by ONE lookup whatever the bits above it: no sign XOR,
 * no blend, no masking (the AVX2 kernels need 2-3 more instructions per 8
 * weights). Tables are built once per scale group: table[c] = value(c) * s,
 * one IEEE multiply of exact operands, which is what qref computes.
 *
 * KMAJOR_U32 nibbles (element 8w + i in bits 4i of u32 word w):
 *   qcts_avx512_nib16(p)   16 lanes in element order (dequant): the two
 *                          words spread over lanes 0-7 and 8-15 (vpermd),
 *                          lane i shifted right by 4 (i % 8);
 *   qcts_avx512_nib16x(p)  16 lanes in "pair" order (GEMV): one 64-bit
 *                          broadcast load and one vpsrlvd; lane 2i holds
 *                          element i, lane 2i + 1 element 8 + i. The GEMV
 *                          permutes the activations once per call to match
 *                          (qcts_avx512_pair_x), which costs K moves per
 *                          call instead of one shuffle per 16 weights.
 */
#ifndef QCTS_SIMD_AVX512_COMMON_H
#define QCTS_SIMD_AVX512_COMMON_H

#include <immintrin.h>
#include <string.h>

#include "kernels/simd/simd.h"

#define QCTS_AVX512_INLINE static inline __attribute__((always_inline))
#define QCTS_UNROLL _Pragma("GCC unroll 8")

QCTS_AVX512_INLINE __m512i qcts_avx512_nib16(const uint8_t *p)
{
    const __m512i sel = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
    const __m512i sh = _mm512_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28, 0, 4, 8, 12, 16, 20, 24, 28);
    const __m512i v = _mm512_castsi128_si512(_mm_loadl_epi64((const __m128i *)(const void *)p));
    return _mm512_srlv_epi32(_mm512_permutexvar_epi32(sel, v), sh);
}

QCTS_AVX512_INLINE __m512i qcts_avx512_nib16x(const uint8_t *p)
{
    const __m512i sh = _mm512_setr_epi32(0, 0, 4, 4, 8, 8, 12, 12, 16, 16, 20, 20, 24, 24, 28, 28);
    long long u;
    memcpy(&u, p, 8);
    return _mm512_srlv_epi32(_mm512_set1_epi64(u), sh);
}

/* x in pair order per 16 columns (the order of qcts_avx512_nib16x):
 * xp[16b + 2i] = x[16b + i], xp[16b + 2i + 1] = x[16b + 8 + i]; K % 16 == 0. */
QCTS_AVX512_INLINE void qcts_avx512_pair_x(const float *x, int64_t K, float *xp)
{
    const __m512i idx = _mm512_setr_epi32(0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15);
    for (int64_t k = 0; k + 16 <= K; k += 16)
        _mm512_storeu_ps(xp + k, _mm512_permutexvar_ps(idx, _mm512_loadu_ps(x + k)));
}

/* 16 bytes zero- / sign-extended to lanes. */
QCTS_AVX512_INLINE __m512i qcts_avx512_bytes16(const uint8_t *p)
{
    return _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(const void *)p));
}
QCTS_AVX512_INLINE __m512i qcts_avx512_sbytes16(const uint8_t *p)
{
    return _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(const void *)p));
}

QCTS_AVX512_INLINE __m512 qcts_avx512_lut(__m512i codes, __m512 table) { return _mm512_permutexvar_ps(codes, table); }

/* The 16 signed values of the 4-bit code families (index = code). */
QCTS_AVX512_INLINE __m512 qcts_avx512_e2m1_vals(void)
{
    return _mm512_setr_ps(0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f, -0.0f, -0.5f, -1.0f, -1.5f, -2.0f, -3.0f,
                          -4.0f, -6.0f);
}
QCTS_AVX512_INLINE __m512 qcts_avx512_int4_vals(void)
{
    return _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, -8, -7, -6, -5, -4, -3, -2, -1);
}
QCTS_AVX512_INLINE __m512 qcts_avx512_uint4_vals(void)
{
    return _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
}

/* Scalar scale decoders (exact). */
QCTS_AVX512_INLINE float qcts_avx512_f16(const uint8_t *p)
{
    uint16_t h;
    memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}
QCTS_AVX512_INLINE float qcts_avx512_f32(const uint8_t *p)
{
    float f;
    memcpy(&f, p, 4);
    return f;
}
QCTS_AVX512_INLINE float qcts_avx512_bf16(const uint8_t *p)
{
    uint16_t h;
    memcpy(&h, p, 2);
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}
QCTS_AVX512_INLINE float qcts_avx512_e8m0(uint8_t e)
{
    uint32_t u = e ? (uint32_t)e << 23 : 0x00400000u;
    float f;
    memcpy(&f, &u, 4);
    return f;
}
QCTS_AVX512_INLINE float qcts_avx512_e8m0_half(uint8_t e)
{
    uint32_t u = e < 2 ? 0x00200000u << e : (uint32_t)(e - 1) << 23;
    float f;
    memcpy(&f, &u, 4);
    return f;
}
QCTS_AVX512_INLINE float qcts_avx512_e4m3(uint8_t c)
{
    uint32_t u = (uint32_t)(c & 0x7F) << 20;
    float f;
    memcpy(&f, &u, 4);
    f *= 0x1p120f;   /* exact: E4M3 is float32 with bias 7 */
    return (c & 0x80) ? -f : f;
}

/* Round to odd (simd.h) of a product of float32 lanes: exact in double,
 * truncated to float32 (embedded rounding toward zero), last bit set where
 * that was inexact. Beyond FLT_MAX truncation gives FLT_MAX (odd), which
 * every narrower format rounds to Inf, as the exact value. */
QCTS_AVX512_INLINE __m256 qcts_avx512_pd_to_ps_odd(__m512d x)
{
    const __m256 r = _mm512_cvt_roundpd_ps(x, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __mmask8 inexact = _mm512_cmp_pd_mask(_mm512_cvtps_pd(r), x, _CMP_NEQ_UQ);
    return _mm256_castsi256_ps(_mm256_mask_or_epi32(_mm256_castps_si256(r), inexact, _mm256_castps_si256(r),
                                                    _mm256_set1_epi32(1)));
}
QCTS_AVX512_INLINE __m512 qcts_avx512_mul_odd(__m512 a, __m512 b)
{
    const __m512d lo = _mm512_mul_pd(_mm512_cvtps_pd(_mm512_castps512_ps256(a)), _mm512_cvtps_pd(_mm512_castps512_ps256(b)));
    const __m512d hi = _mm512_mul_pd(_mm512_cvtps_pd(_mm512_extractf32x8_ps(a, 1)), _mm512_cvtps_pd(_mm512_extractf32x8_ps(b, 1)));
    return _mm512_insertf32x8(_mm512_castps256_ps512(qcts_avx512_pd_to_ps_odd(lo)), qcts_avx512_pd_to_ps_odd(hi), 1);
}
QCTS_AVX512_INLINE __m512 qcts_avx512_mul_r(__m512 a, __m512 b, int odd) { return odd ? qcts_avx512_mul_odd(a, b) : _mm512_mul_ps(a, b); }

#ifndef QCTS_AVX512_PF_AHEAD
#define QCTS_AVX512_PF_AHEAD 1024
#endif
QCTS_AVX512_INLINE void qcts_avx512_prefetch(const uint8_t *p) { _mm_prefetch((const char *)p + QCTS_AVX512_PF_AHEAD, _MM_HINT_T0); }
/* GEMV rows are short streams (a 4096-column Q4_0 row is 36 cache lines):
 * the hardware prefetchers barely ramp up before a row ends. So the GEMV
 * also prefetches the same offset `ahead` bytes later: the rows of the next
 * group of 4 (ahead = 4 x row bytes), which follow in memory. */
QCTS_AVX512_INLINE void qcts_avx512_prefetch_next(const uint8_t *p, size_t ahead)
{
    _mm_prefetch((const char *)p + ahead, _MM_HINT_T0);
}

/* Horizontal sum in a fixed order (halves, then quarters, ...). */
QCTS_AVX512_INLINE float qcts_avx512_hsum(__m512 v)
{
    __m256 h = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

#endif
