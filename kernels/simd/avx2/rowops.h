/* avx2/rowops.h — the AVX2 row-op kernels (rope, norm, softmax): their entry
 * points, and the F32/F16/BF16 load/store building blocks they share.
 * The kernels are whole-op functions over a range of rows/tokens, so the
 * backend splits [0, rows) over threads with qcts_parallel_for; each row is
 * computed in an order fixed by the shape alone, so the bits never depend
 * on the thread count.
 *
 * Entry points (declared for every target; defined only in the avx2/ files,
 * which build on x86-64 only):
 *   qcts_rope_plan_init   frequencies and A in double (libm), from the desc
 *   qcts_rope_rows__avx2  tokens [t0, t1) of any mode
 *   qcts_norm_rows__avx2, qcts_softmax_rows__avx2  rows [r0, r1)
 * scratch: per-thread floats, at least qcts_*_scratch(desc) of them. */
#ifndef QCTS_SIMD_AVX2_ROWOPS_H
#define QCTS_SIMD_AVX2_ROWOPS_H

#include <stdint.h>

#include "qcts/backend.h"

typedef struct qcts_rope_plan {
    qcts_rope_desc d;
    double *freq;       /* rot_dim / 2 */
    double attn;
} qcts_rope_plan;

/* 0 ok; -1 out of memory or a desc the plan cannot hold (the op's io()
 * validated it already). */
int qcts_rope_plan_init(qcts_rope_plan *p, const qcts_rope_desc *d);
void qcts_rope_plan_free(qcts_rope_plan *p);
int64_t qcts_rope_scratch(const qcts_rope_desc *d);
void qcts_rope_rows__avx2(const qcts_rope_plan *p, const qcts_buffers *b, int64_t t0, int64_t t1, float *scratch);

int64_t qcts_norm_scratch(const qcts_norm_desc *d);
void qcts_norm_rows__avx2(const qcts_norm_desc *d, const qcts_buffers *b, int64_t r0, int64_t r1, float *scratch);

int64_t qcts_softmax_scratch(const qcts_softmax_desc *d);
void qcts_softmax_rows__avx2(const qcts_softmax_desc *d, const qcts_buffers *b, int64_t r0, int64_t r1,
                             float *scratch);

/* The avx2 backend's slots (qcts_avx2_rope, _norm, _softmax) are declared in
 * kernels/opcall.h. */

#ifdef __AVX2__
#include <immintrin.h>

#define ROWOP_INLINE static inline __attribute__((always_inline))

/* n <= 8 elements of dt at p (+ i elements) as float32 (exact). */
ROWOP_INLINE __m256 rowop_load8(int dt, const void *p, int64_t i)
{
    if (dt == QCTS_DT_F32)
        return _mm256_loadu_ps((const float *)p + i);
    __m128i h = _mm_loadu_si128((const __m128i *)((const uint16_t *)p + i));
    if (dt == QCTS_DT_F16)
        return _mm256_cvtph_ps(h);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

/* float32 -> bf16 bits, round to nearest even; NaN stays a quiet NaN. */
ROWOP_INLINE __m128i rowop_bf16_pack(__m256 v)
{
    __m256i u = _mm256_castps_si256(v);
    __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
    __m256i r = _mm256_add_epi32(u, _mm256_add_epi32(_mm256_set1_epi32(0x7FFF), lsb));
    __m256 nan = _mm256_cmp_ps(v, v, _CMP_UNORD_Q);
    r = _mm256_blendv_epi8(r, _mm256_or_si256(u, _mm256_set1_epi32(0x00400000)), _mm256_castps_si256(nan));
    r = _mm256_srli_epi32(r, 16);
    return _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
}

ROWOP_INLINE void rowop_store8(int dt, void *p, int64_t i, __m256 v)
{
    if (dt == QCTS_DT_F32)
        _mm256_storeu_ps((float *)p + i, v);
    else if (dt == QCTS_DT_F16)
        _mm_storeu_si128((__m128i *)((uint16_t *)p + i), _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
    else
        _mm_storeu_si128((__m128i *)((uint16_t *)p + i), rowop_bf16_pack(v));
}

/* Scalar forms for tails (same roundings). */
ROWOP_INLINE float rowop_load1(int dt, const void *p, int64_t i)
{
    if (dt == QCTS_DT_F32)
        return ((const float *)p)[i];
    uint16_t h = ((const uint16_t *)p)[i];
    if (dt == QCTS_DT_F16)
        return _cvtsh_ss(h);
    uint32_t u = (uint32_t)h << 16;
    float f;
    __builtin_memcpy(&f, &u, 4);
    return f;
}

ROWOP_INLINE void rowop_store1(int dt, void *p, int64_t i, float v)
{
    if (dt == QCTS_DT_F32) {
        ((float *)p)[i] = v;
    } else if (dt == QCTS_DT_F16) {
        ((uint16_t *)p)[i] = _cvtss_sh(v, _MM_FROUND_TO_NEAREST_INT);
    } else {
        uint32_t u;
        __builtin_memcpy(&u, &v, 4);
        if ((u & 0x7FFFFFFFu) > 0x7F800000u)
            ((uint16_t *)p)[i] = (uint16_t)((u | 0x00400000u) >> 16);
        else
            ((uint16_t *)p)[i] = (uint16_t)((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
    }
}

/* Horizontal sum of 8 lanes in a fixed order. */
ROWOP_INLINE float rowop_hsum(__m256 v)
{
    __m128 a = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    a = _mm_add_ps(a, _mm_movehl_ps(a, a));
    a = _mm_add_ss(a, _mm_movehdup_ps(a));
    return _mm_cvtss_f32(a);
}
#endif
#endif
