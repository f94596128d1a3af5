/* AVX2 Hadamard transform of rows (avx2/hadsamp.h). Each output is formed
 * by k = log2 n float32 butterflies (a + b, a - b with a the lower index),
 * the same network as qref's, so integer rows with n max|x| <= 2^24 are
 * exact and other rows meet qref_hadamard_bound. Stages h = 1, 2, 4 run
 * inside a register (swap + add/sub + blend), h >= 8 across registers. */
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

void qcts_avx2_hadamard_rows(const void *x, qcts_dtype in_dt, void *y, qcts_dtype out_dt, int64_t n,
                             int normalized, int inverse, int64_t r0, int64_t r1)
{
    _Alignas(32) float t[QREF_WHT_MAX_N];
    /* the double scale rounded once to float32: exact for powers of two,
     * RN32(2^-(k-1)/2 / sqrt 2) for odd k (relative error <= 2^-24) */
    float s = (float)qref_hadamard_scale((size_t)n, normalized, inverse);
    const qcts_convert_ops *cv = &qcts_convert__avx2;
    size_t isz = in_dt == QCTS_DT_F32 ? 4 : 2, osz = out_dt == QCTS_DT_F32 ? 4 : 2;
    const __m256 vs = _mm256_set1_ps(s);
    for (int64_t r = r0; r < r1; r++) {
        const void *xr = (const uint8_t *)x + (size_t)(r * n) * isz;
        void *yr = (uint8_t *)y + (size_t)(r * n) * osz;
        const float *src = t;
        if (in_dt == QCTS_DT_F32)
            src = xr;   /* the first pass reads the input directly */
        else if (in_dt == QCTS_DT_F16)
            cv->f16_to_f32(xr, t, n);
        else
            cv->bf16_to_f32(xr, t, n);
        transform(src, t, n);
        /* one float32 scaling (skipped for s = 1: x * 1 = x), fused with the store */
        if (out_dt == QCTS_DT_F32) {
            float *yf = yr;
            for (int64_t i = 0; i < n; i += 8) {
                __m256 v = _mm256_load_ps(t + i);
                _mm256_storeu_ps(yf + i, s != 1.0f ? _mm256_mul_ps(v, vs) : v);
            }
            continue;
        }
        if (s != 1.0f)
            for (int64_t i = 0; i < n; i += 8)
                _mm256_store_ps(t + i, _mm256_mul_ps(_mm256_load_ps(t + i), vs));
        if (out_dt == QCTS_DT_F16)
            cv->f32_to_f16(t, yr, n);
        else
            cv->f32_to_bf16(t, yr, n);
    }
}

/* ---- the avx2 backend's hadamard slot (kernels/opcall.h) ------------------------- */

#include <stdlib.h>

#include "kernels/backend_say.h"
#include "kernels/opcall.h"

typedef struct had_call {
    qcts_opcall h;
    qcts_hadamard_desc d;
    qcts_buffers b;
} had_call;

static void had_rows(void *ctx, int t, int64_t lo, int64_t hi)
{
    (void)t;
    const had_call *c = ctx;
    qcts_avx2_hadamard_rows(c->b.in[0], (qcts_dtype)c->d.in_dtype, c->b.out[0], (qcts_dtype)c->d.out_dtype, c->d.n,
                            c->d.normalized, c->d.inverse, lo, hi);
}

static qcts_status had_run(qcts_opcall *oc, char *msg, size_t n)
{
    (void)msg;
    (void)n;
    had_call *c = (had_call *)oc;
    int th = c->d.threads > 0 ? (c->d.threads < 256 ? c->d.threads : 256) : 1;
    qcts_parallel_for(th, c->d.rows, 1, had_rows, c);
    return QCTS_OK;
}

static void had_release(qcts_opcall *c) { free(c); }

qcts_status qcts_avx2_hadamard(const qcts_hadamard_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                               size_t n)
{
    char why[256];
    *call = NULL;
    if (!qcts_isa_cpu_ok(QCTS_ISA_AVX2, why, sizeof why))
        return qcts_say(QCTS_UNAVAILABLE, msg, n, "%s", why);
    qcts_op_io io;
    qcts_status st = qcts_opcall_check(QCTS_OP_HADAMARD, d, b, "avx2", &io, msg, n);
    if (st != QCTS_OK)
        return st;
    had_call *c = calloc(1, sizeof *c);
    if (!c)
        return qcts_say(QCTS_ERROR, msg, n, "avx2: out of memory");
    c->h = (qcts_opcall){ QCTS_OP_HADAMARD, had_run, had_release, "qcts_hadamard_rows__avx2" };
    c->d = *d;
    c->b = *b;
    *call = (qcts_call *)(void *)c;
    return QCTS_OK;
}
