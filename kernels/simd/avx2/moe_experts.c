/* AVX2 MoE expert layer (semantics and bound: qref/moe.h).
 *
 * run(), five stages, each one qcts_parallel_for:
 *   1. a stable counting sort of the (token, j) pairs by expert (serial,
 *      integers) and the packing of each pair's token row into A (TK x H),
 *      expert by expert (rows of expert e at offsets[e]);
 *   2. gate/up: for every expert with rows, and the shared expert on x,
 *      the scheme's AVX2 GEMV (one row) or panel GEMM (kernels/simd/gemm.inc)
 *      on its rows; all problems' 16-column tiles form one list split over
 *      threads, so a decode step costs one thread launch, not one per expert;
 *   3. SwiGLU 8 lanes at a time (avx2/moe_vmath.h), every row;
 *   4. down, as stage 2;
 *   5. combine: y[t] = Σ_j wt[t][j]·D[slot(t, j)] (FMA, j in order) + shared,
 *      8 columns at a time, tokens split over threads.
 * Every output element is computed in an order fixed by the shapes and the
 * ids (the GEMM kernels' own contract), never by the thread split. */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/simd/avx2/moe.h"
#include "kernels/simd/avx2/moe_vmath.h"
#include "kernels/simd/simd.h"

#define TILE 16

struct qcts_moe_experts_plan {
    qref_moe_experts_desc d;
    qcts_qview *gu, *dn, sgu, sdn;
    qcts_gemm_kernel gemv, gemm;
    char variant[160];
    int threads;
    void **scratch;
    int32_t *cnt, *off, *slot, *tok;   /* E, E + 1, TK, TK */
    float *A, *Hb, *Act, *D;           /* TK x H, TK x 2I, TK x I, TK x H */
    float *HbS, *ActS, *SH;            /* T x 2Is, T x Is, T x H */
    /* per run: the GEMM problems of a stage */
    int n_prob;
    struct prob {
        const qcts_qview *w;
        const float *a;
        int64_t M, lda, N, ldy, tile0;
        float *y;
    } *prob;
};

static void *xalloc(size_t n, int *ok)
{
    void *p = aligned_alloc(64, (n + 63) / 64 * 64 + 64);
    if (!p)
        *ok = 0;
    return p;
}

void qcts_moe_experts_free__avx2(qcts_moe_experts_plan *p)
{
    if (!p)
        return;
    if (p->scratch)
        for (int t = 0; t < p->threads; t++)
            free(p->scratch[t]);
    free(p->scratch);
    free(p->gu), free(p->dn), free(p->cnt), free(p->off), free(p->slot), free(p->tok);
    free(p->A), free(p->Hb), free(p->Act), free(p->D), free(p->HbS), free(p->ActS), free(p->SH), free(p->prob);
    free(p);
}

const char *qcts_moe_experts_variant__avx2(const qcts_moe_experts_plan *p) { return p ? p->variant : NULL; }

static int views(qcts_qview *v, int count, const char *scheme, int64_t rows, int64_t cols, const uint8_t *bytes,
                 size_t len, const char *what, char *why, size_t n)
{
    const qref_scheme *s = qref_scheme_find(scheme);
    qref_qsizes z;
    qref_error e;
    if (!s) {
        snprintf(why, n, "moe_experts: unknown scheme %s", scheme);
        return -1;
    }
    if (qref_qsizes_get(s, rows, cols, &z, &e) != QREF_OK) {
        snprintf(why, n, "moe_experts: %s: %s", what, e.msg);
        return -1;
    }
    if (!bytes || len < z.total * (size_t)count) {
        snprintf(why, n, "moe_experts: %s: %zu bytes given, %d x %zu needed", what, len, count, z.total);
        return -1;
    }
    for (int i = 0; i < count; i++) {
        char e2[256];
        if (qcts_qview_init(&v[i], scheme, rows, cols, bytes + (size_t)i * z.total, z.total, e2, sizeof e2) != 0) {
            snprintf(why, n, "moe_experts: %s %d: %s", what, i, e2);
            return -1;
        }
    }
    return 0;
}

qcts_moe_experts_plan *qcts_moe_experts_plan__avx2(const qref_moe_experts_desc *d, const char *scheme,
                                                   const uint8_t *gu, size_t gu_bytes, const uint8_t *dn,
                                                   size_t dn_bytes, const uint8_t *sgu, size_t sgu_bytes,
                                                   const uint8_t *sdn, size_t sdn_bytes, int threads,
                                                   int *unsupported, char *why, size_t n)
{
    *unsupported = 0;
    const qcts_gemm_variant *vv = qcts_gemm_variant_find(QCTS_ISA_AVX2, scheme, 1);
    const qcts_gemm_variant *vm = qcts_gemm_variant_find(QCTS_ISA_AVX2, scheme, 0);
    if (!vm) {
        *unsupported = 1;
        snprintf(why, n, "avx2: no AVX2 GEMM kernel for scheme %s (kernels/simd/gemm.inc lists them)", scheme);
        return NULL;
    }
    qcts_moe_experts_plan *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(why, n, "moe_experts: out of memory");
        return NULL;
    }
    p->d = *d;
    const int64_t T = d->n_tokens, H = d->hidden, I = d->inter, TK = T * d->top_k, E = d->n_experts;
    const int64_t Is = d->has_shared ? d->shared_inter : 0;
    p->gemm = vm->fn;
    p->gemv = vv ? vv->fn : vm->fn;
    snprintf(p->variant, sizeof p->variant, "qcts_moe_experts__avx2(%s%s%s)", vv ? vv->symbol : "",
             vv ? "," : "", vm->symbol);
    p->threads = threads < 1 ? 1 : threads > 256 ? 256 : threads;
    int ok = 1;
    p->gu = calloc((size_t)E, sizeof *p->gu);
    p->dn = calloc((size_t)E, sizeof *p->dn);
    if (!p->gu || !p->dn) {
        snprintf(why, n, "moe_experts: out of memory");
        qcts_moe_experts_free__avx2(p);
        return NULL;
    }
    if (views(p->gu, (int)E, scheme, 2 * I, H, gu, gu_bytes, "gate_up", why, n) ||
        views(p->dn, (int)E, scheme, H, I, dn, dn_bytes, "down", why, n) ||
        (d->has_shared && (views(&p->sgu, 1, scheme, 2 * Is, H, sgu, sgu_bytes, "shared_gate_up", why, n) ||
                           views(&p->sdn, 1, scheme, H, Is, sdn, sdn_bytes, "shared_down", why, n)))) {
        qcts_moe_experts_free__avx2(p);
        return NULL;
    }
    int64_t Mmax = TK > T ? TK : T, Kmax = H > I ? H : I;
    Kmax = Kmax > Is ? Kmax : Is;
    size_t sb = qcts_gemm_scratch_bytes(Mmax, Kmax);
    p->scratch = calloc((size_t)p->threads, sizeof *p->scratch);
    ok = p->scratch != NULL;
    for (int t = 0; ok && t < p->threads; t++)
        ok = (p->scratch[t] = malloc(sb)) != NULL;
    p->cnt = xalloc(sizeof(int32_t) * (size_t)E, &ok);
    p->off = xalloc(sizeof(int32_t) * (size_t)(E + 1), &ok);
    p->slot = xalloc(sizeof(int32_t) * (size_t)TK, &ok);
    p->tok = xalloc(sizeof(int32_t) * (size_t)TK, &ok);
    p->A = xalloc(sizeof(float) * (size_t)(TK * H), &ok);
    p->Hb = xalloc(sizeof(float) * (size_t)(TK * 2 * I), &ok);
    p->Act = xalloc(sizeof(float) * (size_t)(TK * I), &ok);
    p->D = xalloc(sizeof(float) * (size_t)(TK * H), &ok);
    if (d->has_shared) {
        p->HbS = xalloc(sizeof(float) * (size_t)(T * 2 * Is), &ok);
        p->ActS = xalloc(sizeof(float) * (size_t)(T * Is), &ok);
        p->SH = xalloc(sizeof(float) * (size_t)(T * H), &ok);
    }
    p->prob = calloc((size_t)E + 1, sizeof *p->prob);
    if (!ok || !p->prob) {
        snprintf(why, n, "moe_experts: out of memory");
        qcts_moe_experts_free__avx2(p);
        return NULL;
    }
    return p;
}

/* ---- stages ---------------------------------------------------------------- */

typedef struct xjob {
    qcts_moe_experts_plan *p;
    const float *x, *wt;
    float *y;
} xjob;

static void pack_rows(void *ctx, int th, int64_t lo, int64_t hi)
{
    (void)th;
    const xjob *j = ctx;
    const int64_t H = j->p->d.hidden;
    for (int64_t s = lo; s < hi; s++)
        memcpy(j->p->A + s * H, j->x + (int64_t)j->p->tok[s] * H, sizeof(float) * (size_t)H);
}

/* Tiles [lo, hi) of the problem list. */
static void gemm_tiles(void *ctx, int th, int64_t lo, int64_t hi)
{
    const xjob *j = ctx;
    const qcts_moe_experts_plan *p = j->p;
    for (int i = 0; i < p->n_prob && lo < hi; i++) {
        const struct prob *q = &p->prob[i];
        int64_t nt = (q->N + TILE - 1) / TILE, a = lo - q->tile0, b = hi - q->tile0;
        if (b <= 0 || a >= nt)
            continue;
        a = a < 0 ? 0 : a;
        b = b > nt ? nt : b;
        int64_t n0 = a * TILE, n1 = b * TILE < q->N ? b * TILE : q->N;
        qcts_gemm_args g = { .w = q->w, .a = q->a, .M = q->M, .lda = q->lda, .y = q->y, .ldy = q->ldy };
        (q->M == 1 ? p->gemv : p->gemm)(&g, n0, n1, p->scratch[th]);
    }
}

static int64_t add_prob(qcts_moe_experts_plan *p, int64_t tiles, const qcts_qview *w, const float *a, int64_t M,
                        int64_t lda, float *y, int64_t ldy)
{
    p->prob[p->n_prob++] = (struct prob){ w, a, M, lda, w->rows, ldy, tiles, y };
    return tiles + (w->rows + TILE - 1) / TILE;
}

static void swiglu_rows(float *act, const float *h, int64_t I)
{
    int64_t i = 0;
    for (; i + 8 <= I; i += 8)
        _mm256_storeu_ps(act + i, qcts_moe_swiglu8(_mm256_loadu_ps(h + i), _mm256_loadu_ps(h + I + i)));
    if (i < I) {   /* the same vector code on a masked tail */
        __m256i mk = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(I - i)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        __m256 v = qcts_moe_swiglu8(_mm256_maskload_ps(h + i, mk), _mm256_maskload_ps(h + I + i, mk));
        _mm256_maskstore_ps(act + i, mk, v);
    }
}

static void swiglu_worker(void *ctx, int th, int64_t lo, int64_t hi)
{
    (void)th;
    const xjob *j = ctx;
    const qcts_moe_experts_plan *p = j->p;
    const int64_t TK = p->d.n_tokens * p->d.top_k, I = p->d.inter, Is = p->d.shared_inter;
    for (int64_t r = lo; r < hi; r++) {
        if (r < TK)
            swiglu_rows(p->Act + r * I, p->Hb + r * 2 * I, I);
        else
            swiglu_rows(p->ActS + (r - TK) * Is, p->HbS + (r - TK) * 2 * Is, Is);
    }
}

static void combine_worker(void *ctx, int th, int64_t lo, int64_t hi)
{
    (void)th;
    const xjob *j = ctx;
    const qcts_moe_experts_plan *p = j->p;
    const int64_t H = p->d.hidden, K = p->d.top_k;
    for (int64_t t = lo; t < hi; t++) {
        float *y = j->y + t * H;
        for (int64_t h = 0; h < H; h += 8) {
            __m256i mk = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(H - h < 8 ? H - h : 8)),
                                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
            __m256 acc = _mm256_setzero_ps();
            for (int64_t k = 0; k < K; k++) {
                const float *dr = p->D + (int64_t)p->slot[t * K + k] * H + h;
                acc = _mm256_fmadd_ps(_mm256_set1_ps(j->wt[t * K + k]), _mm256_maskload_ps(dr, mk), acc);
            }
            if (p->d.has_shared)
                acc = _mm256_add_ps(acc, _mm256_maskload_ps(p->SH + t * H + h, mk));
            _mm256_maskstore_ps(y + h, mk, acc);
        }
    }
}

int qcts_moe_experts_run__avx2(qcts_moe_experts_plan *p, const float *x, const int32_t *ids, const float *wt,
                               float *y, char *why, size_t n)
{
    const qref_moe_experts_desc *d = &p->d;
    const int64_t T = d->n_tokens, H = d->hidden, I = d->inter, K = d->top_k, TK = T * K;
    const int E = d->n_experts;
    const int64_t Is = d->has_shared ? d->shared_inter : 0;
    for (int64_t i = 0; i < TK; i++)
        if (ids[i] < 0 || ids[i] >= E) {
            snprintf(why, n, "moe_experts: ids[%lld][%lld] = %d is not an expert in [0, %d)", (long long)(i / K),
                     (long long)(i % K), ids[i], E);
            return -1;
        }
    /* 1. counting sort and packing */
    memset(p->cnt, 0, sizeof *p->cnt * (size_t)E);
    for (int64_t i = 0; i < TK; i++)
        p->cnt[ids[i]]++;
    int32_t run = 0;
    for (int e = 0; e < E; e++) {
        p->off[e] = run;
        run += p->cnt[e];
    }
    p->off[E] = run;
    {
        int32_t *cur = p->cnt;   /* reused as cursors: counts are recomputed below */
        for (int e = 0; e < E; e++)
            cur[e] = p->off[e];
        for (int64_t i = 0; i < TK; i++) {
            int32_t s = cur[ids[i]]++;
            p->slot[i] = s;
            p->tok[s] = (int32_t)(i / K);
        }
        for (int e = 0; e < E; e++)
            p->cnt[e] = p->off[e + 1] - p->off[e];
    }
    xjob j = { p, x, wt, y };
    qcts_parallel_for(p->threads, TK, 1, pack_rows, &j);
    /* 2. gate/up */
    int64_t tiles = 0;
    p->n_prob = 0;
    for (int e = 0; e < E; e++)
        if (p->cnt[e])
            tiles = add_prob(p, tiles, &p->gu[e], p->A + (int64_t)p->off[e] * H, p->cnt[e], H,
                             p->Hb + (int64_t)p->off[e] * 2 * I, 2 * I);
    if (d->has_shared)
        tiles = add_prob(p, tiles, &p->sgu, x, T, H, p->HbS, 2 * Is);
    qcts_parallel_for(p->threads, tiles, 1, gemm_tiles, &j);
    /* 3. SwiGLU */
    qcts_parallel_for(p->threads, TK + (d->has_shared ? T : 0), 1, swiglu_worker, &j);
    /* 4. down */
    tiles = 0;
    p->n_prob = 0;
    for (int e = 0; e < E; e++)
        if (p->cnt[e])
            tiles = add_prob(p, tiles, &p->dn[e], p->Act + (int64_t)p->off[e] * I, p->cnt[e], I,
                             p->D + (int64_t)p->off[e] * H, H);
    if (d->has_shared)
        tiles = add_prob(p, tiles, &p->sdn, p->ActS, T, Is, p->SH, H);
    qcts_parallel_for(p->threads, tiles, 1, gemm_tiles, &j);
    /* 5. combine */
    qcts_parallel_for(p->threads, T, 1, combine_worker, &j);
    return 0;
}
