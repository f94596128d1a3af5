/* Tests of the reference MoE router and dispatch (qref/moe.h).
 *  - Known answers: ties (lowest index wins), top_k = n_experts, grouped
 *    top-k that excludes the best single expert, bias that changes the
 *    selection but not the weights, renormalisation, routed scale, aux.
 *  - The check rule both ways: float32 routers (libm expf; sums forward,
 *    backward, pairwise) on decided tokens give the reference ids exactly
 *    and weights / aux within the stored bounds; plausible wrong routers
 *    (highest index wins ties, no renormalisation, bias in the weights,
 *    sigmoid aux without per-token normalisation) fail.
 *  - The margin: near ties are not decided, exact ties are.
 *  - Dispatch: counts, offsets, stable slots, packed rows on a known case;
 *    bad ids are errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qref/moe.h"
#include "qtest.h"

static uint64_t sm64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static float gauss(uint64_t *s)
{
    float t = 0.0f;
    for (int i = 0; i < 4; i++)
        t += (float)((int32_t)(sm64(s) >> 44) - (1 << 19)) * 0x1p-19f;
    return t;
}

/* ---- a float32 router with switchable mistakes -------------------------- */

typedef struct fcfg {
    int order;             /* 0 forward, 1 backward, 2 pairwise sums */
    int tie_high;          /* wrong: the highest index wins ties */
    int no_renorm;         /* wrong: skips the renormalisation */
    int bias_in_weights;   /* wrong: weights from s + bias */
    int aux_unnormalised;  /* wrong: sigmoid aux without per-token normalisation */
} fcfg;

static float fsum(const float *v, int n, int order)
{
    if (order == 2) {
        if (n == 1)
            return v[0];
        int h = n / 2;
        return fsum(v, h, 2) + fsum(v + h, n - h, 2);
    }
    float s = 0.0f;
    for (int i = 0; i < n; i++)
        s += v[order == 1 ? n - 1 - i : i];
    return s;
}

static void f32_route(const qref_moe_route_desc *d, const float *x, const float *b, fcfg f, int32_t *ids, float *w,
                      float *aux)
{
    int E = d->n_experts, K = d->top_k, gs = E / d->n_group;
    float *s = malloc(sizeof *s * E), *c = malloc(sizeof *c * E), *P = calloc(E, sizeof *P);
    int *cnt = calloc(E, sizeof *cnt);
    for (int64_t t = 0; t < d->n_tokens; t++) {
        const float *xt = x + t * E;
        if (d->scoring == QREF_MOE_SOFTMAX) {
            float m = xt[0];
            for (int e = 1; e < E; e++)
                m = fmaxf(m, xt[e]);
            for (int e = 0; e < E; e++)
                s[e] = expf(xt[e] - m);
            float S = fsum(s, E, f.order);
            for (int e = 0; e < E; e++)
                s[e] /= S;
        } else {
            for (int e = 0; e < E; e++)
                s[e] = 1.0f / (1.0f + expf(-xt[e]));
        }
        for (int e = 0; e < E; e++)
            c[e] = d->has_bias ? s[e] + b[e] : s[e];
        unsigned char allow[QREF_MOE_MAX_EXPERTS];
        memset(allow, 1, E);
        if (d->n_group > 1) {
            float g[QREF_MOE_MAX_EXPERTS];
            unsigned char gt[QREF_MOE_MAX_EXPERTS] = { 0 };
            for (int q = 0; q < d->n_group; q++) {
                float a1 = -INFINITY, a2 = -INFINITY;
                for (int i = 0; i < gs; i++) {
                    float v = c[q * gs + i];
                    if (v > a1)
                        a2 = a1, a1 = v;
                    else if (v > a2)
                        a2 = v;
                }
                g[q] = gs > 1 ? a1 + a2 : a1;
            }
            memset(allow, 0, E);
            for (int p = 0; p < d->topk_group; p++) {
                int best = -1;
                for (int q = 0; q < d->n_group; q++)
                    if (!gt[q] && (best < 0 || g[q] > g[best] || (f.tie_high && g[q] == g[best])))
                        best = q;
                gt[best] = 1;
                memset(&allow[best * gs], 1, gs);
            }
        }
        float wt[QREF_MOE_MAX_TOPK];
        for (int j = 0; j < K; j++) {
            int best = -1;
            for (int e = 0; e < E; e++)
                if (allow[e] && (best < 0 || c[e] > c[best] || (f.tie_high && c[e] == c[best])))
                    best = e;
            allow[best] = 0;
            ids[t * K + j] = best;
            cnt[best]++;
            wt[j] = f.bias_in_weights ? c[best] : s[best];
        }
        float sw = fsum(wt, K, f.order);
        for (int j = 0; j < K; j++)
            w[t * K + j] = (d->renorm && !f.no_renorm ? wt[j] / sw : wt[j]) * d->routed_scale;
        float ss = d->scoring == QREF_MOE_SIGMOID && !f.aux_unnormalised ? fsum(s, E, f.order) : 1.0f;
        for (int e = 0; e < E; e++)
            P[e] += s[e] / ss;
    }
    float a = 0.0f, T = (float)d->n_tokens;
    for (int e = 0; e < E; e++)
        a += ((float)E * (float)cnt[e] / ((float)K * T)) * (P[e] / T);
    *aux = d->aux_alpha * a;
    free(s), free(c), free(P), free(cnt);
}

/* Number of elements outside the bound. */
static int outside(const float *y, const float *ref, const float *bound, int n)
{
    int bad = 0;
    for (int i = 0; i < n; i++)
        bad += !(fabsf(y[i] - ref[i]) <= bound[i]);
    return bad;
}

typedef struct rcase {
    qref_moe_route_desc d;
    float *x, *b;
    int32_t *ids;
    float *w, *wb, aux, ab;
} rcase;

/* Random decided tokens (redrawn until qref_moe_route_token_ok), bias of
 * magnitude ~ the scores, reference outputs and bounds. */
static void make_case(rcase *c, qref_moe_route_desc d, uint64_t seed)
{
    c->d = d;
    int E = d.n_experts;
    c->x = malloc(sizeof(float) * d.n_tokens * E);
    c->b = malloc(sizeof(float) * E);
    c->ids = malloc(sizeof(int32_t) * d.n_tokens * d.top_k);
    c->w = malloc(sizeof(float) * d.n_tokens * d.top_k);
    c->wb = malloc(sizeof(float) * d.n_tokens * d.top_k);
    for (int e = 0; e < E; e++)
        c->b[e] = gauss(&seed) * (d.scoring == QREF_MOE_SOFTMAX ? 0.02f : 0.2f);
    for (int64_t t = 0; t < d.n_tokens; t++) {
        int tries = 0;
        do {
            for (int e = 0; e < E; e++)
                c->x[t * E + e] = gauss(&seed) * 2.0f;
        } while (!qref_moe_route_token_ok(&d, c->x, c->b, t) && ++tries < 1000);
        QCHECK(tries < 1000, "no decided token found");
    }
    qref_error err;
    qref_status st = qref_moe_route(&d, c->x, c->b, c->ids, c->w, &c->aux, c->wb, &c->ab, &err);
    QCHECK(st == QREF_OK, "route: %s", err.msg);
}

static void free_case(rcase *c) { free(c->x), free(c->b), free(c->ids), free(c->w), free(c->wb); }

/* 1 when a float32 router with cfg f passes the case's check (ids exact,
 * weights and aux within the bounds). */
static int passes(const rcase *c, fcfg f, int *why)
{
    int n = (int)(c->d.n_tokens * c->d.top_k);
    int32_t *ids = malloc(sizeof *ids * n);
    float *w = malloc(sizeof *w * n), aux;
    f32_route(&c->d, c->x, c->b, f, ids, w, &aux);
    int id_ok = memcmp(ids, c->ids, sizeof *ids * n) == 0;
    int w_ok = outside(w, c->w, c->wb, n) == 0;
    int a_ok = fabsf(aux - c->aux) <= c->ab;
    *why = !id_ok ? 1 : !w_ok ? 2 : !a_ok ? 3 : 0;
    free(ids), free(w);
    return id_ok && w_ok && a_ok;
}

static qref_moe_route_desc rdesc(int64_t T, int E, int K, int scoring, int ng, int tg, int renorm, int bias)
{
    return (qref_moe_route_desc){ .n_tokens = T, .n_experts = E, .top_k = K, .scoring = scoring, .n_group = ng,
                                  .topk_group = tg, .renorm = renorm, .has_bias = bias, .routed_scale = 2.5f,
                                  .aux_alpha = 0.001f };
}

/* ---- known answers ------------------------------------------------------- */

static void test_route_ties_lowest_index(void)
{
    /* experts 1 and 3 tie for first, 0 and 2 tie for third: lowest index first */
    qref_moe_route_desc d = rdesc(1, 4, 3, QREF_MOE_SOFTMAX, 1, 1, 1, 0);
    d.routed_scale = 1.0f;
    float x[4] = { 1.0f, 3.0f, 1.0f, 3.0f };
    int32_t ids[3];
    float w[3], aux;
    CU_ASSERT_EQUAL_FATAL(qref_moe_route(&d, x, NULL, ids, w, &aux, NULL, NULL, NULL), QREF_OK);
    CU_ASSERT_EQUAL(ids[0], 1);
    CU_ASSERT_EQUAL(ids[1], 3);
    CU_ASSERT_EQUAL(ids[2], 0);
    CU_ASSERT_EQUAL(w[0], w[1]);
    double e2 = exp(-2.0), sw = 2 + e2;
    CU_ASSERT_EQUAL(w[0], (float)(1 / sw));
    CU_ASSERT_EQUAL(w[2], (float)(e2 / sw));
    CU_ASSERT(qref_moe_route_token_ok(&d, x, NULL, 0));  /* exact ties are decided */
    /* and a float32 router with the wrong tie rule differs */
    int32_t ids2[3];
    float w2[3], a2;
    f32_route(&d, x, NULL, (fcfg){ .tie_high = 1 }, ids2, w2, &a2);
    CU_ASSERT(ids2[0] == 3 && ids2[1] == 1 && ids2[2] == 2);
}

static void test_route_topk_all_and_aux(void)
{
    /* K = E: every expert, sorted; f_e = 1 for all, so aux = alpha·Σ P_e = alpha */
    qref_moe_route_desc d = rdesc(2, 3, 3, QREF_MOE_SOFTMAX, 1, 1, 0, 0);
    d.routed_scale = 1.0f;
    d.aux_alpha = 1.0f;
    float x[6] = { 0.5f, -1.0f, 2.0f, 0.0f, 0.0f, 0.0f };
    int32_t ids[6];
    float w[6], aux, wb[6], ab;
    CU_ASSERT_EQUAL_FATAL(qref_moe_route(&d, x, NULL, ids, w, &aux, wb, &ab, NULL), QREF_OK);
    int32_t want[6] = { 2, 0, 1, 0, 1, 2 };
    CU_ASSERT(memcmp(ids, want, sizeof want) == 0);
    CU_ASSERT(fabsf(aux - 1.0f) <= ab);
    CU_ASSERT(ab < 1e-5f);
    CU_ASSERT(fabsf(w[3] - 1.0f / 3) <= wb[3]);
}

static void test_route_groups(void)
{
    /* 8 experts in 4 groups of 2, 2 groups kept. Expert 0 is the best single
     * expert but its group (0, 1) sums lowest; groups 1 (2, 3) and 3 (6, 7)
     * win; top-2 of those. Sigmoid scoring. */
    qref_moe_route_desc d = rdesc(1, 8, 2, QREF_MOE_SIGMOID, 4, 2, 1, 0);
    float x[8] = { 4.0f, -6.0f, 2.0f, 1.5f, 0.0f, -0.5f, 1.0f, 3.0f };
    int32_t ids[2];
    float w[2], aux;
    CU_ASSERT_EQUAL_FATAL(qref_moe_route(&d, x, NULL, ids, w, &aux, NULL, NULL, NULL), QREF_OK);
    CU_ASSERT_EQUAL(ids[0], 7);
    CU_ASSERT_EQUAL(ids[1], 2);
    /* group tie: groups 1 and 3 identical, topk_group 1: group 1 (lower) wins */
    float y[8] = { -5.0f, -5.0f, 1.0f, 2.0f, -5.0f, -5.0f, 1.0f, 2.0f };
    d.topk_group = 1;
    CU_ASSERT_EQUAL_FATAL(qref_moe_route(&d, y, NULL, ids, w, &aux, NULL, NULL, NULL), QREF_OK);
    CU_ASSERT(ids[0] == 3 && ids[1] == 2);
    CU_ASSERT(qref_moe_route_token_ok(&d, y, NULL, 0));
    /* group size 1: the group score is the expert's own */
    qref_moe_route_desc d1 = rdesc(1, 4, 2, QREF_MOE_SIGMOID, 4, 2, 1, 0);
    float z[4] = { 1.0f, 3.0f, 2.0f, 0.0f };
    CU_ASSERT_EQUAL_FATAL(qref_moe_route(&d1, z, NULL, ids, w, &aux, NULL, NULL, NULL), QREF_OK);
    CU_ASSERT(ids[0] == 1 && ids[1] == 2);
}

static void test_route_bias_selects_only(void)
{
    qref_moe_route_desc d = rdesc(1, 4, 1, QREF_MOE_SIGMOID, 1, 1, 0, 1);
    d.routed_scale = 1.0f;
    float x[4] = { 2.0f, 1.0f, 0.0f, -1.0f }, b[4] = { 0.0f, 0.0f, 0.5f, 0.0f };
    int32_t id;
    float w, aux;
    CU_ASSERT_EQUAL_FATAL(qref_moe_route(&d, x, b, &id, &w, &aux, NULL, NULL, NULL), QREF_OK);
    CU_ASSERT_EQUAL(id, 2);                          /* 0.5 + 0.5 beats sigmoid(2) = 0.88 */
    CU_ASSERT_EQUAL(w, (float)(1 / (1 + exp(0.0)))); /* the weight is sigmoid(0), no bias */
}

static void test_route_errors(void)
{
    qref_error e;
    qref_moe_route_desc d = rdesc(1, 6, 2, QREF_MOE_SOFTMAX, 4, 1, 1, 0);   /* 4 does not divide 6 */
    CU_ASSERT_EQUAL(qref_moe_route_check(&d, &e), QREF_ERR_SIZE);
    CU_ASSERT(strstr(e.msg, "n_group") != NULL);
    d = rdesc(1, 8, 5, QREF_MOE_SOFTMAX, 4, 2, 1, 0);                      /* 5 > 2 groups x 2 */
    CU_ASSERT_EQUAL(qref_moe_route_check(&d, &e), QREF_ERR_SIZE);
    CU_ASSERT(strstr(e.msg, "top_k") != NULL);
    d = rdesc(1, 4, 2, 7, 1, 1, 1, 0);
    CU_ASSERT_EQUAL(qref_moe_route_check(&d, &e), QREF_ERR_ARG);
    d = rdesc(1, 4, 2, QREF_MOE_SOFTMAX, 1, 1, 1, 0);
    float x[4] = { 0, NAN, 0, 0 };
    int32_t ids[2];
    float w[2], aux;
    CU_ASSERT_EQUAL(qref_moe_route(&d, x, NULL, ids, w, &aux, NULL, NULL, &e), QREF_ERR_DATA);
    x[1] = 100.0f;
    CU_ASSERT_EQUAL(qref_moe_route(&d, x, NULL, ids, w, &aux, NULL, NULL, &e), QREF_ERR_DATA);
}

static void test_route_margin(void)
{
    qref_moe_route_desc d = rdesc(1, 4, 1, QREF_MOE_SOFTMAX, 1, 1, 1, 0);
    float x[4] = { 1.0f, 1.0f + 0x1p-20f, -1.0f, -2.0f };
    CU_ASSERT(!qref_moe_route_token_ok(&d, x, NULL, 0));   /* near tie at the top */
    x[1] = 1.0f;
    CU_ASSERT(qref_moe_route_token_ok(&d, x, NULL, 0));    /* exact tie */
    x[1] = 1.5f;
    CU_ASSERT(qref_moe_route_token_ok(&d, x, NULL, 0));
    /* the K-th vs (K+1)-th comparison matters, below it does not */
    d.top_k = 2;
    float y[4] = { 3.0f, 1.0f, -1.0f, -1.0f + 0x1p-20f };
    CU_ASSERT(qref_moe_route_token_ok(&d, y, NULL, 0));
    y[2] = 1.0f - 0x1p-20f;
    CU_ASSERT(!qref_moe_route_token_ok(&d, y, NULL, 0));
}

/* ---- the check rule both ways ------------------------------------------------ */

static void both_ways(qref_moe_route_desc d, uint64_t seed)
{
    rcase c;
    make_case(&c, d, seed);
    int why;
    for (int o = 0; o < 3; o++)
        QCHECK(passes(&c, (fcfg){ .order = o }, &why), "E %d K %d scoring %d ng %d: correct order %d fails (%d)",
               d.n_experts, d.top_k, d.scoring, d.n_group, o, why);
    if (d.renorm && d.top_k > 1)
        QCHECK(!passes(&c, (fcfg){ .no_renorm = 1 }, &why), "no renormalisation passes");
    if (d.has_bias)
        QCHECK(!passes(&c, (fcfg){ .bias_in_weights = 1 }, &why), "bias in the weights passes");
    if (d.scoring == QREF_MOE_SIGMOID)
        QCHECK(!passes(&c, (fcfg){ .aux_unnormalised = 1 }, &why), "unnormalised sigmoid aux passes");
    free_case(&c);
}

static void test_route_check_both_ways(void)
{
    both_ways(rdesc(16, 64, 4, QREF_MOE_SOFTMAX, 1, 1, 1, 0), 1);
    both_ways(rdesc(16, 64, 4, QREF_MOE_SIGMOID, 1, 1, 1, 1), 2);
    both_ways(rdesc(8, 256, 8, QREF_MOE_SIGMOID, 8, 4, 1, 1), 3);   /* DeepSeek-V3 */
    both_ways(rdesc(8, 160, 8, QREF_MOE_SIGMOID, 1, 1, 1, 1), 4);   /* GLM-4.5 */
    both_ways(rdesc(8, 8, 8, QREF_MOE_SOFTMAX, 1, 1, 0, 0), 5);
    both_ways(rdesc(8, 32, 6, QREF_MOE_SOFTMAX, 4, 3, 1, 1), 6);
}

static void test_route_wrong_tie_rule_fails(void)
{
    /* ties made by copying logits: the wrong tie rule must fail the ids */
    qref_moe_route_desc d = rdesc(4, 16, 4, QREF_MOE_SIGMOID, 4, 2, 1, 1);
    rcase c;
    make_case(&c, d, 9);
    for (int e = 0; e < 16; e++)
        c.b[e] = 0.0f;
    for (int t = 0; t < 4; t++) {
        float *x = c.x + t * 16;
        for (int e = 0; e < 16; e++)
            x[e] = (float)((e * 7 + t) % 16) * 0.25f;
        x[13] = x[2] = 5.0f;            /* tie in groups 0 and 3 at the top */
        x[12] = x[3] = 4.0f;
    }
    CU_ASSERT_EQUAL_FATAL(qref_moe_route(&c.d, c.x, c.b, c.ids, c.w, &c.aux, c.wb, &c.ab, NULL), QREF_OK);
    for (int t = 0; t < 4; t++)
        CU_ASSERT(qref_moe_route_token_ok(&c.d, c.x, c.b, t));
    int why;
    CU_ASSERT(passes(&c, (fcfg){ 0 }, &why));
    CU_ASSERT(!passes(&c, (fcfg){ .tie_high = 1 }, &why));
    CU_ASSERT_EQUAL(why, 1);
    free_case(&c);
}

/* ---- dispatch -------------------------------------------------------------------- */

static void test_dispatch_known(void)
{
    qref_moe_dispatch_desc d = { .n_tokens = 3, .top_k = 2, .n_experts = 4, .hidden = 3, .elem_bytes = 4 };
    int32_t ids[6] = { 2, 0, 0, 2, 2, 3 };   /* expert 1 gets no token */
    float x[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, packed[18];
    int32_t counts[4], offsets[5], slots[6];
    CU_ASSERT_EQUAL_FATAL(qref_moe_dispatch(&d, ids, x, counts, offsets, slots, packed, NULL), QREF_OK);
    int32_t wc[4] = { 2, 0, 3, 1 }, wo[5] = { 0, 2, 2, 5, 6 }, ws[6] = { 2, 0, 1, 3, 4, 5 };
    CU_ASSERT(memcmp(counts, wc, sizeof wc) == 0);
    CU_ASSERT(memcmp(offsets, wo, sizeof wo) == 0);
    CU_ASSERT(memcmp(slots, ws, sizeof ws) == 0);
    float wp[18] = { 1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6, 7, 8, 9, 7, 8, 9 };
    CU_ASSERT(memcmp(packed, wp, sizeof wp) == 0);
    ids[3] = 4;
    qref_error e;
    CU_ASSERT_EQUAL(qref_moe_dispatch(&d, ids, x, counts, offsets, slots, packed, &e), QREF_ERR_DATA);
    CU_ASSERT(strstr(e.msg, "ids[1][1] = 4") != NULL);
    ids[3] = -1;
    CU_ASSERT_EQUAL(qref_moe_dispatch(&d, ids, x, counts, offsets, slots, packed, &e), QREF_ERR_DATA);
    d.elem_bytes = 3;
    CU_ASSERT_EQUAL(qref_moe_dispatch(&d, ids, x, counts, offsets, slots, packed, &e), QREF_ERR_SIZE);
}

QTEST_SUITE(moe_route,
    QTEST(test_route_ties_lowest_index),
    QTEST(test_route_topk_all_and_aux),
    QTEST(test_route_groups),
    QTEST(test_route_bias_selects_only),
    QTEST(test_route_errors),
    QTEST(test_route_margin),
    QTEST(test_route_check_both_ways),
    QTEST(test_route_wrong_tie_rule_fails),
    QTEST(test_dispatch_known))
