/* AVX2 MoE router (semantics: qref/moe.h). Per token: scores 8 experts at
 * a time (masked loads for the tail, so every expert goes through the SAME
 * vector exp and equal logits give equal scores: ties stay ties), groups,
 * then K passes of a vector max and a first-index-of-max scan (the lowest
 * index wins ties). Tokens are split over threads in blocks of RB tokens;
 * the aux loss sums per-block partials in block order, so no bit depends
 * on the thread count. */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kernels/simd/avx2/moe.h"
#include "kernels/simd/avx2/moe_vmath.h"
#include "kernels/simd/simd.h"

#define RB 64   /* tokens per aux partial block */

static __m256i tail_mask(int n)   /* lanes < n */
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

static float hsum8(__m256 v)
{
    __m128 a = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    a = _mm_add_ps(a, _mm_movehl_ps(a, a));
    a = _mm_add_ss(a, _mm_movehdup_ps(a));
    return _mm_cvtss_f32(a);
}

static float hmax8(__m256 v)
{
    __m128 a = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    a = _mm_max_ps(a, _mm_movehl_ps(a, a));
    a = _mm_max_ss(a, _mm_movehdup_ps(a));
    return _mm_cvtss_f32(a);
}

static size_t per_thread_floats(const qref_moe_route_desc *d)
{
    size_t E8 = ((size_t)d->n_experts + 7) / 8 * 8;
    return (3 * E8 + (size_t)d->n_group + 16 + 15) / 16 * 16;   /* keeps every area 64-byte aligned */
}

size_t qcts_moe_route_ws_bytes__avx2(const qref_moe_route_desc *d, int threads)
{
    if (threads < 1)
        threads = 1;
    size_t E8 = ((size_t)d->n_experts + 7) / 8 * 8, nb = ((size_t)d->n_tokens + RB - 1) / RB;
    return sizeof(float) * ((size_t)threads * per_thread_floats(d) + nb * E8) + sizeof(int64_t) * E8 + 64;
}

typedef struct rjob {
    const qref_moe_route_desc *d;
    const float *x, *b;
    int32_t *ids;
    float *w;
    float *ws;      /* per-thread areas */
    float *part;    /* per-block aux partials, E8 each */
} rjob;

/* Lowest index of the largest value of v[0..E8) (-inf padded). */
static int argmax_first(const float *v, int E8)
{
    __m256 m = _mm256_load_ps(v);
    for (int e = 8; e < E8; e += 8)
        m = _mm256_max_ps(m, _mm256_load_ps(v + e));
    __m256 mx = _mm256_set1_ps(hmax8(m));
    for (int e = 0; e < E8; e += 8) {
        int bits = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_load_ps(v + e), mx, _CMP_EQ_OQ));
        if (bits)
            return e + __builtin_ctz((unsigned)bits);
    }
    return 0;   /* not reached: the max is one of the values */
}

static void route_token(const rjob *j, int64_t t, float *s, float *c, float *wk, float *gsc, float *part)
{
    const qref_moe_route_desc *d = j->d;
    const int E = d->n_experts, K = d->top_k, E8 = (E + 7) / 8 * 8;
    const float *x = j->x + t * E;
    const __m256 ninf = _mm256_set1_ps(-INFINITY);
    /* scores */
    if (d->scoring == QREF_MOE_SOFTMAX) {
        __m256 m = ninf;
        for (int e = 0; e < E8; e += 8) {
            __m256i mk = tail_mask(E - e);
            __m256 v = _mm256_blendv_ps(ninf, _mm256_maskload_ps(x + e, mk), _mm256_castsi256_ps(mk));
            m = _mm256_max_ps(m, v);
        }
        __m256 mx = _mm256_set1_ps(hmax8(m)), acc = _mm256_setzero_ps();
        for (int e = 0; e < E8; e += 8) {
            __m256i mk = tail_mask(E - e);
            __m256 v = qcts_moe_exp8(_mm256_sub_ps(_mm256_maskload_ps(x + e, mk), mx));
            v = _mm256_and_ps(v, _mm256_castsi256_ps(mk));
            _mm256_store_ps(s + e, v);
            acc = _mm256_add_ps(acc, v);
        }
        __m256 inv = _mm256_set1_ps(1.0f / hsum8(acc));
        for (int e = 0; e < E8; e += 8)
            _mm256_store_ps(s + e, _mm256_mul_ps(_mm256_load_ps(s + e), inv));
    } else {
        for (int e = 0; e < E8; e += 8) {
            __m256i mk = tail_mask(E - e);
            __m256 v = qcts_moe_sigmoid8(_mm256_maskload_ps(x + e, mk));
            _mm256_store_ps(s + e, _mm256_and_ps(v, _mm256_castsi256_ps(mk)));
        }
    }
    for (int e = 0; e < E8; e += 8) {
        __m256i mk = tail_mask(E - e);
        __m256 v = _mm256_load_ps(s + e);
        if (d->has_bias)
            v = _mm256_add_ps(v, _mm256_maskload_ps(j->b + e, mk));
        _mm256_store_ps(c + e, _mm256_blendv_ps(ninf, v, _mm256_castsi256_ps(mk)));
    }
    /* groups: sum of the two largest c; keep topk_group, lowest index on ties */
    memcpy(wk, c, sizeof(float) * (size_t)E8);
    if (d->n_group > 1) {
        const int gs = E / d->n_group;
        for (int g = 0; g < d->n_group; g++) {
            float a1 = -INFINITY, a2 = -INFINITY;
            for (int i = 0; i < gs; i++) {
                float v = c[g * gs + i];
                if (v > a1)
                    a2 = a1, a1 = v;
                else if (v > a2)
                    a2 = v;
            }
            gsc[g] = gs > 1 ? a1 + a2 : a1;
        }
        for (int p = 0; p < d->topk_group; p++) {
            int best = -1;
            for (int g = 0; g < d->n_group; g++)
                if (gsc[g] != -INFINITY && (best < 0 || gsc[g] > gsc[best]))
                    best = g;
            gsc[best] = -INFINITY;   /* taken */
        }
        /* taken groups now hold -inf; the others are excluded */
        for (int g = 0; g < d->n_group; g++)
            if (gsc[g] != -INFINITY)
                for (int i = 0; i < gs; i++)
                    wk[g * gs + i] = -INFINITY;
    }
    /* top-k */
    float wt[QREF_MOE_MAX_TOPK], sw = 0.0f;
    for (int k = 0; k < K; k++) {
        int e = argmax_first(wk, E8);
        wk[e] = -INFINITY;
        j->ids[t * K + k] = e;
        wt[k] = s[e];
        sw += wt[k];
    }
    for (int k = 0; k < K; k++)
        j->w[t * K + k] = (d->renorm ? wt[k] / sw : wt[k]) * d->routed_scale;
    /* aux partial: p = s, or s / Σ s for sigmoid */
    __m256 sc = _mm256_set1_ps(1.0f);
    if (d->scoring == QREF_MOE_SIGMOID) {
        __m256 acc = _mm256_setzero_ps();
        for (int e = 0; e < E8; e += 8)
            acc = _mm256_add_ps(acc, _mm256_load_ps(s + e));
        sc = _mm256_set1_ps(1.0f / hsum8(acc));
    }
    for (int e = 0; e < E8; e += 8)
        _mm256_store_ps(part + e, _mm256_fmadd_ps(_mm256_load_ps(s + e), sc, _mm256_load_ps(part + e)));
}

static void route_worker(void *ctx, int th, int64_t lo, int64_t hi)
{
    const rjob *j = ctx;
    const qref_moe_route_desc *d = j->d;
    const int E8 = (d->n_experts + 7) / 8 * 8;
    float *base = j->ws + (size_t)th * per_thread_floats(d);
    float *s = base, *c = s + E8, *wk = c + E8, *gsc = wk + E8;
    for (int64_t t = lo; t < hi; t++) {
        float *part = j->part + (size_t)(t / RB) * (size_t)E8;
        if (t % RB == 0)
            memset(part, 0, sizeof(float) * (size_t)E8);
        route_token(j, t, s, c, wk, gsc, part);
    }
}

void qcts_moe_route__avx2(const qref_moe_route_desc *d, const float *logits, const float *bias, int32_t *ids,
                          float *weights, float *aux, int threads, void *ws)
{
    if (threads < 1)
        threads = 1;
    const int E = d->n_experts, E8 = (E + 7) / 8 * 8;
    const int64_t T = d->n_tokens, nb = (T + RB - 1) / RB;
    float *w0 = (float *)(((uintptr_t)ws + 63) & ~(uintptr_t)63);
    rjob j = { d, logits, bias, ids, weights, w0, w0 + (size_t)threads * per_thread_floats(d) };
    int64_t *cnt = (int64_t *)(void *)(j.part + (size_t)nb * (size_t)E8);
    qcts_parallel_for(threads, T, RB, route_worker, &j);
    /* aux: P_e = Σ_blocks partial / T in block order; counts exact */
    memset(cnt, 0, sizeof *cnt * (size_t)E);
    for (int64_t i = 0; i < T * d->top_k; i++)
        cnt[ids[i]]++;
    float a = 0.0f;
    const float Tf = (float)T, fscale = (float)E / ((float)d->top_k * Tf);
    for (int e = 0; e < E; e++) {
        float P = 0.0f;
        for (int64_t b = 0; b < nb; b++)
            P += j.part[(size_t)b * (size_t)E8 + (size_t)e];
        a += fscale * (float)cnt[e] * (P / Tf);
    }
    *aux = d->aux_alpha * a;
}

/* The vector exp / sigmoid / SwiGLU on arrays, for the tests (accuracy of
 * avx2/moe_vmath.h). n a multiple of 8. */
void qcts_moe_vmath__avx2(int fn, const float *x, const float *u, float *y, int64_t n)
{
    for (int64_t i = 0; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        v = fn == 0 ? qcts_moe_exp8(v) : fn == 1 ? qcts_moe_sigmoid8(v) : qcts_moe_swiglu8(v, _mm256_loadu_ps(u + i));
        _mm256_storeu_ps(y + i, v);
    }
}
