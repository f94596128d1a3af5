/* AVX-512 Hadamard transform of rows (qcts/op_hadamard.h) and the avx512
 * backend's hadamard slot. The network of avx2/hadamard.c and qref: each
 * output is formed by k = log2 n float32 butterflies (a + b, a - b with a
 * the lower index), so integer rows with n max|x| <= 2^24 are exact and
 * other rows meet qref_hadamard_bound. Stages h = 1, 2, 4, 8 run inside a
 * register (swap + add/sub + masked blend: the odd side takes sw - x =
 * a - b), h >= 16 across registers, two stages per pass; then one float32
 * scaling and one rounding to out_dtype. Rows split over the thread pool;
 * a row's bits depend on n only (the driver and slot: hadamard_rows.inc). */
#include <stdlib.h>
#include <string.h>

#include "kernels/backend_say.h"
#include "kernels/opcall.h"
#include "kernels/simd/avx512/common.h"
#include "qcts/op_hadamard.h"
#include "qref/hadamard.h"

QCTS_AVX512_INLINE __m512 stage(__m512 x, __m512 sw, __mmask16 odd)
{
    return _mm512_mask_blend_ps(odd, _mm512_add_ps(x, sw), _mm512_sub_ps(sw, x));
}

QCTS_AVX512_INLINE __m512 stages_1248(__m512 x)
{
    x = stage(x, _mm512_permute_ps(x, 0xB1), 0xAAAA);
    x = stage(x, _mm512_permute_ps(x, 0x4E), 0xCCCC);
    x = stage(x, _mm512_shuffle_f32x4(x, x, 0xB1), 0xF0F0);
    return stage(x, _mm512_shuffle_f32x4(x, x, 0x4E), 0xFF00);
}

/* Stages (h, 2h) in one pass over i, i+h, i+2h, i+3h. */
static void radix4(float *t, int64_t n, int64_t h)
{
    for (int64_t b = 0; b < n; b += 4 * h)
        for (int64_t i = b; i < b + h; i += 16) {
            const __m512 a0 = _mm512_load_ps(t + i), a1 = _mm512_load_ps(t + i + h);
            const __m512 a2 = _mm512_load_ps(t + i + 2 * h), a3 = _mm512_load_ps(t + i + 3 * h);
            const __m512 b0 = _mm512_add_ps(a0, a1), b1 = _mm512_sub_ps(a0, a1);
            const __m512 b2 = _mm512_add_ps(a2, a3), b3 = _mm512_sub_ps(a2, a3);
            _mm512_store_ps(t + i, _mm512_add_ps(b0, b2));
            _mm512_store_ps(t + i + h, _mm512_add_ps(b1, b3));
            _mm512_store_ps(t + i + 2 * h, _mm512_sub_ps(b0, b2));
            _mm512_store_ps(t + i + 3 * h, _mm512_sub_ps(b1, b3));
        }
}

/* t = H src (src may be t), unscaled. n >= 32. */
static void transform(const float *src, float *t, int64_t n)
{
    for (int64_t i = 0; i < n; i += 16)
        _mm512_store_ps(t + i, stages_1248(_mm512_loadu_ps(src + i)));
    int64_t h = 16;
    for (; 4 * h <= n; h *= 4)
        radix4(t, n, h);
    if (h < n)   /* one stage left */
        for (int64_t b = 0; b < n; b += 2 * h)
            for (int64_t i = b; i < b + h; i += 16) {
                const __m512 a = _mm512_load_ps(t + i), c = _mm512_load_ps(t + i + h);
                _mm512_store_ps(t + i, _mm512_add_ps(a, c));
                _mm512_store_ps(t + i + h, _mm512_sub_ps(a, c));
            }
}

QCTS_AVX512_INLINE void scale_row(float *t, int64_t n, float s)
{
    const __m512 vs = _mm512_set1_ps(s);
    for (int64_t i = 0; i < n; i += 16)
        _mm512_store_ps(t + i, _mm512_mul_ps(_mm512_load_ps(t + i), vs));
}

void qcts_avx512_hadamard_rows(const void *x, qcts_dtype in_dt, void *y, qcts_dtype out_dt, int64_t n,
                               int normalized, int inverse, int64_t r0, int64_t r1);
#define HAD_ALIGN 64
#define HAD_CONVERT qcts_convert__avx512
#define HAD_ROWS qcts_avx512_hadamard_rows
#define HAD_SLOT qcts_avx512_hadamard
#define HAD_ISA QCTS_ISA_AVX512
#define HAD_WHO "avx512"
#define HAD_VARIANT "qcts_hadamard_rows__avx512"
#include "kernels/simd/hadamard_rows.inc"
