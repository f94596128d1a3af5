/* RMSNorm / LayerNorm with a fused residual add, AVX2 (qcts/op_norm.h).
 * Per row: h = x (+ r, rounded once to the activation dtype and stored as
 * the residual output) into float32 scratch; sums in four 8-lane float32
 * accumulators (32 partial sums, added in a fixed tree), LayerNorm in two
 * passes (mean, then Σ (h − μ)²); 1 / sqrtf(mean + eps) once per row; then
 * y = ((h − μ) · r) · w + b in float32, rounded once to out_dtype. */
#include <math.h>

#include <stdlib.h>

#include "kernels/backend_say.h"
#include "kernels/opcall.h"
#include "kernels/simd/avx2/rowops.h"
#include "kernels/simd/scratch_guard.h"
#include "kernels/simd/simd.h"

int64_t qcts_norm_scratch(const qcts_norm_desc *d) { return d->n + 16; }

static inline float round1(int dt, float v)
{
    uint16_t t[1];
    if (dt == QCTS_DT_F32)
        return v;
    rowop_store1(dt, t, 0, v);
    return rowop_load1(dt, t, 0);
}

/* Σ f(h_j) over the row: f = h (sq 0) or (h − mu)² (sq 1). */
static float row_sum(const float *h, int64_t n, float mu, int sq)
{
    __m256 acc[4] = { _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps() };
    __m256 m = _mm256_set1_ps(mu);
    int64_t j = 0;
    for (; j + 32 <= n; j += 32)
        for (int k = 0; k < 4; k++) {
            __m256 v = _mm256_loadu_ps(h + j + 8 * k);
            if (sq) {
                v = _mm256_sub_ps(v, m);
                acc[k] = _mm256_fmadd_ps(v, v, acc[k]);
            } else {
                acc[k] = _mm256_add_ps(acc[k], v);
            }
        }
    for (; j + 8 <= n; j += 8) {
        __m256 v = _mm256_loadu_ps(h + j);
        if (sq) {
            v = _mm256_sub_ps(v, m);
            acc[0] = _mm256_fmadd_ps(v, v, acc[0]);
        } else {
            acc[0] = _mm256_add_ps(acc[0], v);
        }
    }
    float s = rowop_hsum(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
    for (; j < n; j++) {
        float v = sq ? h[j] - mu : h[j];
        s = sq ? __builtin_fmaf(v, v, s) : s + v;
    }
    return s;
}

void qcts_norm_rows__avx2(const qcts_norm_desc *d, const qcts_buffers *b, int64_t r0, int64_t r1, float *h)
{
    const int64_t n = d->n;
    const int dt = d->dtype, ot = d->out_dtype;
    const void *w = d->has_weight ? b->in[1] : NULL, *bias = d->has_bias ? b->in[2] : NULL;
    for (int64_t r = r0; r < r1; r++) {
        const int64_t o = r * n;
        int64_t j = 0;
        if (d->has_residual) {
            for (; j + 8 <= n; j += 8) {
                __m256 s = _mm256_add_ps(rowop_load8(dt, b->in[0], o + j), rowop_load8(dt, b->in[3], o + j));
                if (dt == QCTS_DT_F32) {
                    _mm256_storeu_ps((float *)b->out[1] + o + j, s);
                } else {   /* round once, store those bits, keep their value */
                    __m128i hp = dt == QCTS_DT_F16 ? _mm256_cvtps_ph(s, _MM_FROUND_TO_NEAREST_INT) : rowop_bf16_pack(s);
                    _mm_storeu_si128((__m128i *)((uint16_t *)b->out[1] + o + j), hp);
                    s = dt == QCTS_DT_F16 ? _mm256_cvtph_ps(hp)
                                          : _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(hp), 16));
                }
                _mm256_storeu_ps(h + j, s);
            }
            for (; j < n; j++) {
                h[j] = round1(dt, rowop_load1(dt, b->in[0], o + j) + rowop_load1(dt, b->in[3], o + j));
                rowop_store1(dt, b->out[1], o + j, h[j]);
            }
        } else {
            for (; j + 8 <= n; j += 8)
                _mm256_storeu_ps(h + j, rowop_load8(dt, b->in[0], o + j));
            for (; j < n; j++)
                h[j] = rowop_load1(dt, b->in[0], o + j);
        }
        float mu = d->kind == QCTS_NORM_LAYER ? row_sum(h, n, 0.0f, 0) / (float)n : 0.0f;
        float var = row_sum(h, n, mu, 1) / (float)n;
        float rs = 1.0f / sqrtf(var + (float)d->eps);
        __m256 M = _mm256_set1_ps(mu), RS = _mm256_set1_ps(rs);
        for (j = 0; j + 8 <= n; j += 8) {
            __m256 y = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(h + j), M), RS);
            if (w)
                y = _mm256_mul_ps(y, rowop_load8(dt, w, j));
            if (bias)
                y = _mm256_add_ps(y, rowop_load8(dt, bias, j));
            rowop_store8(ot, b->out[0], o + j, y);
        }
        for (; j < n; j++) {
            float y = (h[j] - mu) * rs;
            if (w)
                y *= rowop_load1(dt, w, j);
            if (bias)
                y += rowop_load1(dt, bias, j);
            rowop_store1(ot, b->out[0], o + j, y);
        }
    }
}

/* ---- the avx2 backend's norm slot (kernels/opcall.h) ------------------------- */

typedef struct norm_call {
    qcts_opcall h;
    qcts_norm_desc d;
    qcts_buffers b;
    int threads;
    int64_t per;       /* scratch floats per thread */
    float *scratch;
    
} norm_call;

static void norm_part(void *ctx, int t, int64_t lo, int64_t hi)
{
    const norm_call *c = ctx;
    qcts_norm_rows__avx2(&c->d, &c->b, lo, hi, c->scratch + (size_t)t * (size_t)c->per);
}

static qcts_status norm_run(qcts_opcall *oc, char *msg, size_t n)
{
    norm_call *c = (norm_call *)oc;
    if (qcts_parallel_for(c->threads, c->d.rows, 1, norm_part, c) != 0)
        return qcts_say(QCTS_ERROR, msg, n, "avx2: norm: could not start threads");
    if (!qcts_scratch_intact(c->scratch))   /* scratch_guard.h */
        return qcts_say(QCTS_ERROR, msg, n, "avx2: norm: qcts_norm_rows__avx2 wrote outside its private buffer "
                        "scratch (per-thread float32 rows; guard zone changed)");
    return QCTS_OK;
}

static void norm_release(qcts_opcall *oc)
{
    norm_call *c = (norm_call *)oc;
    if (!c)
        return;
    
    qcts_scratch_free(c->scratch);
    free(c);
}

qcts_status qcts_avx2_norm(const qcts_norm_desc *d, const qcts_buffers *b, qcts_call **call, char *msg, size_t n)
{
    char why[256];
    *call = NULL;
    if (!qcts_isa_cpu_ok(QCTS_ISA_AVX2, why, sizeof why))
        return qcts_say(QCTS_UNAVAILABLE, msg, n, "%s", why);
    qcts_op_io io;
    qcts_status st = qcts_opcall_check(QCTS_OP_NORM, d, b, "avx2", &io, msg, n);
    if (st != QCTS_OK)
        return st;
    norm_call *c = calloc(1, sizeof *c);
    if (!c)
        return qcts_say(QCTS_ERROR, msg, n, "avx2: out of memory");
    c->h = (qcts_opcall){ QCTS_OP_NORM, norm_run, norm_release, "qcts_norm_rows__avx2" };
    c->d = *d;
    c->b = *b;
    c->threads = d->threads > 0 ? (d->threads < 256 ? d->threads : 256) : 1;
    c->per = (qcts_norm_scratch(d) + 15) & ~(int64_t)15;
    c->scratch = qcts_scratch_alloc((size_t)c->per * (size_t)c->threads * sizeof(float));
    if (!c->scratch || 0) {
        norm_release(&c->h);
        return qcts_say(QCTS_ERROR, msg, n, "avx2: out of memory");
    }
    *call = (qcts_call *)(void *)c;
    return QCTS_OK;
}
