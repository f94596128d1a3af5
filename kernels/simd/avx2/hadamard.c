/* AVX2 Hadamard transform of rows (avx2/hadsamp.h). Each output is formed
 * by k = log2 n float32 butterflies (a + b, a - b with a the lower index),
 * the same network as qref's, so integer rows with n max|x| <= 2^24 are
 * exact and other rows meet qref_hadamard_bound. Stages h = 1, 2, 4 run
 * inside a register (swap + add/sub + blend), h >= 8 across registers.
 * The row driver and the slot: hadamard_rows.inc. */
#include "kernels/simd/avx2/common.h"
#include "kernels/simd/avx2/hadsamp.h"
#include "qref/hadamard.h"

/* The three in-register stages on 8 consecutive values. The odd lanes of
 * each stage take sw - x = x[i - h] - x[i]: exactly a - b. */
QCTS_AVX2_INLINE __m256 stages_124(__m256 x)
{
    __m256 sw = _mm256_permute_ps(x, 0xB1);
    x = _mm256_blend_ps(_mm256_add_ps(x, sw), _mm256_sub_ps(sw, x), 0xAA);
    sw = _mm256_permute_ps(x, 0x4E);
    x = _mm256_blend_ps(_mm256_add_ps(x, sw), _mm256_sub_ps(sw, x), 0xCC);
    sw = _mm256_permute2f128_ps(x, x, 0x01);
    return _mm256_blend_ps(_mm256_add_ps(x, sw), _mm256_sub_ps(sw, x), 0xF0);
}

/* Stages (h, 2h) in one pass over 4 registers at i, i+h, i+2h, i+3h: the
 * same a + b, a - b of the network, half the passes over the row. */
static void radix4(float *t, int64_t n, int64_t h)
{
    for (int64_t b = 0; b < n; b += 4 * h)
        for (int64_t i = b; i < b + h; i += 8) {
            __m256 a0 = _mm256_load_ps(t + i), a1 = _mm256_load_ps(t + i + h);
            __m256 a2 = _mm256_load_ps(t + i + 2 * h), a3 = _mm256_load_ps(t + i + 3 * h);
            __m256 b0 = _mm256_add_ps(a0, a1), b1 = _mm256_sub_ps(a0, a1);
            __m256 b2 = _mm256_add_ps(a2, a3), b3 = _mm256_sub_ps(a2, a3);
            _mm256_store_ps(t + i, _mm256_add_ps(b0, b2));
            _mm256_store_ps(t + i + h, _mm256_add_ps(b1, b3));
            _mm256_store_ps(t + i + 2 * h, _mm256_sub_ps(b0, b2));
            _mm256_store_ps(t + i + 3 * h, _mm256_sub_ps(b1, b3));
        }
}

/* t = H src (src may be t), unscaled: h = 1, 2, 4 in registers while
 * loading, then two stages per pass. n >= 32. */
static void transform(const float *src, float *t, int64_t n)
{
    for (int64_t i = 0; i < n; i += 8)
        _mm256_store_ps(t + i, stages_124(_mm256_loadu_ps(src + i)));
    int64_t h = 8;
    for (; 4 * h <= n; h *= 4)
        radix4(t, n, h);
    if (h < n)   /* one stage left */
        for (int64_t b = 0; b < n; b += 2 * h)
            for (int64_t i = b; i < b + h; i += 8) {
                __m256 a = _mm256_load_ps(t + i), c = _mm256_load_ps(t + i + h);
                _mm256_store_ps(t + i, _mm256_add_ps(a, c));
                _mm256_store_ps(t + i + h, _mm256_sub_ps(a, c));
            }
}

QCTS_AVX2_INLINE void scale_row(float *t, int64_t n, float s)
{
    const __m256 vs = _mm256_set1_ps(s);
    for (int64_t i = 0; i < n; i += 8)
        _mm256_store_ps(t + i, _mm256_mul_ps(_mm256_load_ps(t + i), vs));
}

#include <stdlib.h>
#include <string.h>

#include "kernels/backend_say.h"
#include "kernels/opcall.h"

#define HAD_ALIGN 32
#define HAD_CONVERT qcts_convert__avx2
#define HAD_ROWS qcts_avx2_hadamard_rows
#define HAD_SLOT qcts_avx2_hadamard
#define HAD_ISA QCTS_ISA_AVX2
#define HAD_WHO "avx2"
#define HAD_VARIANT "qcts_hadamard_rows__avx2"
#include "kernels/simd/hadamard_rows.inc"
