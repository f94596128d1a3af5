/* AVX-512 Hadamard transform of rows (qcts/op_hadamard.h) and the avx512
 * backend's hadamard slot. The network of avx2/hadamard.c and qref: each
 * output is formed by k = log2 n float32 butterflies (a + b, a - b with a
 * the lower index), so integer rows with n max|x| <= 2^24 are exact and
 * other rows meet qref_hadamard_bound. Stages h = 1, 2, 4, 8 run inside a
 * register (swap + add/sub + masked blend: the odd side takes sw - x =
 * a - b), h >= 16 across registers, two stages per pass; then one float32
 * scaling and one rounding to out_dtype. Rows split over the thread pool;
 * a row's bits depend on n only. */
#include <stdlib.h>

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

static void hadamard_rows(const void *x, qcts_dtype in_dt, void *y, qcts_dtype out_dt, int64_t n, int normalized,
                          int inverse, int64_t r0, int64_t r1)
{
    _Alignas(64) float t[QREF_WHT_MAX_N];
    /* the double scale rounded once to float32, as avx2/hadamard.c */
    const float s = (float)qref_hadamard_scale((size_t)n, normalized, inverse);
    const qcts_convert_ops *cv = &qcts_convert__avx512;
    const size_t isz = in_dt == QCTS_DT_F32 ? 4 : 2, osz = out_dt == QCTS_DT_F32 ? 4 : 2;
    const __m512 vs = _mm512_set1_ps(s);
    for (int64_t r = r0; r < r1; r++) {
        const void *xr = (const uint8_t *)x + (size_t)(r * n) * isz;
        void *yr = (uint8_t *)y + (size_t)(r * n) * osz;
        const float *src = t;
        if (in_dt == QCTS_DT_F32)
            src = xr;
        else if (in_dt == QCTS_DT_F16)
            cv->f16_to_f32(xr, t, n);
        else
            cv->bf16_to_f32(xr, t, n);
        transform(src, t, n);
        if (s != 1.0f)   /* x * 1 = x: skipped */
            for (int64_t i = 0; i < n; i += 16)
                _mm512_store_ps(t + i, _mm512_mul_ps(_mm512_load_ps(t + i), vs));
        if (out_dt == QCTS_DT_F32)
            memcpy(yr, t, sizeof(float) * (size_t)n);
        else if (out_dt == QCTS_DT_F16)
            cv->f32_to_f16(t, yr, n);
        else
            cv->f32_to_bf16(t, yr, n);
    }
}

/* ---- the avx512 backend's hadamard slot ----------------------------------------- */

typedef struct had_call {
    qcts_opcall h;
    qcts_hadamard_desc d;
    qcts_buffers b;
} had_call;

static void had_rows(void *ctx, int t, int64_t lo, int64_t hi)
{
    (void)t;
    const had_call *c = ctx;
    hadamard_rows(c->b.in[0], (qcts_dtype)c->d.in_dtype, c->b.out[0], (qcts_dtype)c->d.out_dtype, c->d.n,
                  c->d.normalized, c->d.inverse, lo, hi);
}

static qcts_status had_run(qcts_opcall *oc, char *msg, size_t n)
{
    had_call *c = (had_call *)oc;
    int th = c->d.threads > 0 ? (c->d.threads < 256 ? c->d.threads : 256) : 1;
    if (qcts_parallel_for(th, c->d.rows, 1, had_rows, c) != 0)
        return qcts_say(QCTS_ERROR, msg, n, "avx512: hadamard: could not start threads");
    return QCTS_OK;
}

qcts_status qcts_avx512_hadamard(const qcts_hadamard_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                                 size_t n)
{
    char why[256];
    *call = NULL;
    if (!qcts_isa_cpu_ok(QCTS_ISA_AVX512, why, sizeof why))
        return qcts_say(QCTS_UNAVAILABLE, msg, n, "%s", why);
    qcts_status st;
    *call = (qcts_call *)QCTS_OPCALL_NEW(had_call, QCTS_OP_HADAMARD, "avx512", had_run, qcts_opcall_free,
                                         "qcts_hadamard_rows__avx512", d, b, NULL, &st, msg, n);
    return st;
}
