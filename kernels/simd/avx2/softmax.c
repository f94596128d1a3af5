/* Softmax with temperature, AVX2 (qcts/op_norm.h). Per row: the maximum
 * (and a NaN / ±Inf check: such rows are NaN, as IEEE gives in every
 * order); e_j = exp((x_j − m) · (1/T)) with a Cephes-style float32 exp
 * (Cody–Waite reduction by ln 2, degree-6 polynomial, 2^n from the
 * exponent bits; results below 2^-126 may flush to 0, which the bound
 * allows) into float32 scratch, summed in four 8-lane accumulators; then
 * y = e · (1/Σ), rounded once to out_dtype. */
#include <math.h>

#include <stdlib.h>

#include "kernels/backend_say.h"
#include "kernels/opcall.h"
#include "kernels/simd/avx2/rowops.h"
#include "kernels/simd/scratch_guard.h"
#include "kernels/simd/simd.h"

int64_t qcts_softmax_scratch(const qcts_softmax_desc *d) { return d->n + 16; }

static inline __m256 exp8(__m256 t)
{
    t = _mm256_max_ps(t, _mm256_set1_ps(-88.0f));   /* t <= 0 here; -inf -> -88 -> 0 */
    __m256 n = _mm256_round_ps(_mm256_mul_ps(t, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), t);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500E-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507E-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073E-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894E-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459E-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201E-1f));
    __m256 y = _mm256_add_ps(_mm256_fmadd_ps(_mm256_mul_ps(p, r), r, r), _mm256_set1_ps(1.0f));
    /* 2^n as two factors so that n = -127 .. -126 still scales gradually */
    __m256i ni = _mm256_cvtps_epi32(n);
    __m256i h1 = _mm256_srai_epi32(ni, 1), h2 = _mm256_sub_epi32(ni, h1);
    __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(h1, _mm256_set1_epi32(127)), 23));
    __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(h2, _mm256_set1_epi32(127)), 23));
    return _mm256_mul_ps(_mm256_mul_ps(y, s1), s2);
}

static inline float exp1(float t)
{
    float v[8] = { t, t, t, t, t, t, t, t };
    __m256 e = exp8(_mm256_loadu_ps(v));
    return _mm256_cvtss_f32(e);
}

void qcts_softmax_rows__avx2(const qcts_softmax_desc *d, const qcts_buffers *b, int64_t r0, int64_t r1, float *e)
{
    const int64_t n = d->n;
    const int it = d->in_dtype, ot = d->out_dtype;
    const float invT = (float)(1.0 / d->temperature);
    for (int64_t r = r0; r < r1; r++) {
        const int64_t o = r * n;
        __m256 mx = _mm256_set1_ps(-INFINITY), bad = _mm256_setzero_ps();
        int64_t j = 0;
        for (; j + 8 <= n; j += 8) {
            __m256 x = rowop_load8(it, b->in[0], o + j);
            bad = _mm256_or_ps(bad, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
            mx = _mm256_max_ps(mx, x);
        }
        float m = -INFINITY;
        float lanes[8];
        _mm256_storeu_ps(lanes, mx);
        for (int k = 0; k < 8; k++)
            m = lanes[k] > m ? lanes[k] : m;
        int nan = _mm256_movemask_ps(bad) != 0;
        for (; j < n; j++) {
            float x = rowop_load1(it, b->in[0], o + j);
            nan |= x != x;
            m = x > m ? x : m;
        }
        if (nan || m == INFINITY || m == -INFINITY) {
            for (j = 0; j < n; j++)
                rowop_store1(ot, b->out[0], o + j, NAN);
            continue;
        }
        __m256 M = _mm256_set1_ps(m), IT = _mm256_set1_ps(invT);
        __m256 acc[4] = { _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps() };
        for (j = 0; j + 32 <= n; j += 32)
            for (int k = 0; k < 4; k++) {
                __m256 v = exp8(_mm256_mul_ps(_mm256_sub_ps(rowop_load8(it, b->in[0], o + j + 8 * k), M), IT));
                _mm256_storeu_ps(e + j + 8 * k, v);
                acc[k] = _mm256_add_ps(acc[k], v);
            }
        for (; j + 8 <= n; j += 8) {
            __m256 v = exp8(_mm256_mul_ps(_mm256_sub_ps(rowop_load8(it, b->in[0], o + j), M), IT));
            _mm256_storeu_ps(e + j, v);
            acc[0] = _mm256_add_ps(acc[0], v);
        }
        float s = rowop_hsum(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
        for (; j < n; j++) {
            e[j] = exp1((rowop_load1(it, b->in[0], o + j) - m) * invT);
            s += e[j];
        }
        const float rcp = 1.0f / s;
        const __m256 RC = _mm256_set1_ps(rcp);
        for (j = 0; j + 8 <= n; j += 8)
            rowop_store8(ot, b->out[0], o + j, _mm256_mul_ps(_mm256_loadu_ps(e + j), RC));
        for (; j < n; j++)
            rowop_store1(ot, b->out[0], o + j, e[j] * rcp);
    }
}

/* ---- the avx2 backend's softmax slot (kernels/opcall.h) ------------------------- */

typedef struct softmax_call {
    qcts_opcall h;
    qcts_softmax_desc d;
    qcts_buffers b;
    int threads;
    int64_t per;       /* scratch floats per thread */
    float *scratch;
    
} softmax_call;

static void softmax_part(void *ctx, int t, int64_t lo, int64_t hi)
{
    const softmax_call *c = ctx;
    qcts_softmax_rows__avx2(&c->d, &c->b, lo, hi, c->scratch + (size_t)t * (size_t)c->per);
}

static qcts_status softmax_run(qcts_opcall *oc, char *msg, size_t n)
{
    softmax_call *c = (softmax_call *)oc;
    if (qcts_parallel_for(c->threads, c->d.rows, 1, softmax_part, c) != 0)
        return qcts_say(QCTS_ERROR, msg, n, "avx2: softmax: could not start threads");
    if (!qcts_scratch_intact(c->scratch))   /* scratch_guard.h */
        return qcts_say(QCTS_ERROR, msg, n, "avx2: softmax: qcts_softmax_rows__avx2 wrote outside its private buffer "
                        "scratch (per-thread float32 rows; guard zone changed)");
    return QCTS_OK;
}

static void softmax_release(qcts_opcall *oc)
{
    softmax_call *c = (softmax_call *)oc;
    if (!c)
        return;
    
    qcts_scratch_free(c->scratch);
    free(c);
}

qcts_status qcts_avx2_softmax(const qcts_softmax_desc *d, const qcts_buffers *b, qcts_call **call, char *msg, size_t n)
{
    char why[256];
    *call = NULL;
    if (!qcts_isa_cpu_ok(QCTS_ISA_AVX2, why, sizeof why))
        return qcts_say(QCTS_UNAVAILABLE, msg, n, "%s", why);
    qcts_op_io io;
    qcts_status st = qcts_opcall_check(QCTS_OP_SOFTMAX, d, b, "avx2", &io, msg, n);
    if (st != QCTS_OK)
        return st;
    softmax_call *c = calloc(1, sizeof *c);
    if (!c)
        return qcts_say(QCTS_ERROR, msg, n, "avx2: out of memory");
    c->h = (qcts_opcall){ QCTS_OP_SOFTMAX, softmax_run, softmax_release, "qcts_softmax_rows__avx2" };
    c->d = *d;
    c->b = *b;
    c->threads = d->threads > 0 ? (d->threads < 256 ? d->threads : 256) : 1;
    c->per = (qcts_softmax_scratch(d) + 15) & ~(int64_t)15;
    c->scratch = qcts_scratch_alloc((size_t)c->per * (size_t)c->threads * sizeof(float));
    if (!c->scratch || 0) {
        softmax_release(&c->h);
        return qcts_say(QCTS_ERROR, msg, n, "avx2: out of memory");
    }
    *call = (qcts_call *)(void *)c;
    return QCTS_OK;
}
