/* Suite sampling: the sampling reference (qref/sampling.h) and its
 * admissible sets (the interval-aware verdict of vectors/README.md).
 *  - edges by hand: argmax ties (lowest index), all-equal logits, -inf
 *    logits, u = 0 and u just below 1, top_k = 1 and > V, top_p = 1 and 0,
 *    min_p 0 and 1, penalties bit by bit, history errors;
 *  - the reference's own token is always admissible;
 *  - both ways: float32 samplers with other summation orders (forward,
 *    reverse, pairwise; normalised or not) always land in the admissible
 *    set, over thousands of random rows; a sampler that drops the token
 *    crossing top_p (the wrong side of the threshold) lands outside it. */
#include "qtest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qref/sampling.h"

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}
static double rng_unit(uint64_t *s) { return (double)(rng_next(s) >> 11) * 0x1p-53; }

static qref_sampling_params params(int32_t V)
{
    qref_sampling_params p = { .vocab = V, .temperature = 1, .rep_penalty = 1, .top_p = 1 };
    return p;
}

static int32_t row(const qref_sampling_params *p, const float *l, const int32_t *h, float u, uint8_t *admit)
{
    int32_t tok = -1;
    CU_ASSERT_EQUAL_FATAL(qref_sampling_row(p, l, h, u, &tok, NULL, admit), QREF_OK);
    return tok;
}

static int count(const uint8_t *a, int32_t V)
{
    int c = 0;
    for (int32_t i = 0; i < V; i++)
        c += a[i];
    return c;
}

static void test_sampling_edges(void)
{
    uint8_t a[64];
    /* greedy: ties -> lowest index; the admissible set is that token */
    float l[5] = { 1, 3, -2, 3, 0 };
    qref_sampling_params p = params(5);
    p.temperature = 0;
    CU_ASSERT_EQUAL(row(&p, l, NULL, 0.5f, a), 1);
    CU_ASSERT(a[1] == 1 && count(a, 5) == 1);
    /* all -inf: token 0 in any mode */
    float ninf[3] = { -INFINITY, -INFINITY, -INFINITY };
    p = params(3);
    CU_ASSERT_EQUAL(row(&p, ninf, NULL, 0.9f, a), 0);
    /* all equal, T = 1: uniform, u in [i/4, (i+1)/4) -> i (away from the edges) */
    float eq[4] = { 2, 2, 2, 2 };
    p = params(4);
    CU_ASSERT_EQUAL(row(&p, eq, NULL, 0.0f, a), 0);
    CU_ASSERT(a[0] == 1 && count(a, 4) == 1);
    CU_ASSERT_EQUAL(row(&p, eq, NULL, 0.3f, a), 1);
    CU_ASSERT_EQUAL(row(&p, eq, NULL, 0.74f, a), 2);
    CU_ASSERT_EQUAL(row(&p, eq, NULL, nextafterf(1.0f, 0.0f), a), 3);
    CU_ASSERT(a[3] == 1 && count(a, 4) == 1);
    /* u exactly at a boundary (0.25 = C_0): the next token, and both admissible */
    CU_ASSERT_EQUAL(row(&p, eq, NULL, 0.25f, a), 1);
    CU_ASSERT(a[0] == 1 && a[1] == 1 && count(a, 4) == 2);
    /* -inf logits are never drawn, even at u = 0 */
    float mi[4] = { -INFINITY, 1, -INFINITY, 1 };
    CU_ASSERT_EQUAL(row(&p, mi, NULL, 0.0f, a), 1);
    CU_ASSERT_EQUAL(row(&p, mi, NULL, 0.9999f, a), 3);
    CU_ASSERT(a[0] == 0 && a[2] == 0);
    /* top_k = 1: the argmax only, whatever u; top_k > V: no filter */
    float d[6] = { 0.5f, 1.5f, 1.5f, -1, 0, 1 };
    p = params(6);
    p.top_k = 1;
    CU_ASSERT_EQUAL(row(&p, d, NULL, 0.999f, a), 1);
    CU_ASSERT(count(a, 6) == 1);
    p.top_k = 7;
    int32_t t7 = row(&p, d, NULL, 0.999f, a);
    p.top_k = 0;
    CU_ASSERT_EQUAL(row(&p, d, NULL, 0.999f, a), t7);
    CU_ASSERT_EQUAL(t7, 5);
    /* top_p = 0: one token (the first in logit order); min_p = 1: the maxima only */
    p.top_p = 0;
    CU_ASSERT_EQUAL(row(&p, d, NULL, 0.999f, a), 1);
    CU_ASSERT(count(a, 6) == 1);
    p.top_p = 1;
    p.min_p = 1;
    CU_ASSERT_EQUAL(row(&p, d, NULL, 0.999f, a), 2);
    CU_ASSERT(a[2] && count(a, 6) == 1);
    CU_ASSERT_EQUAL(row(&p, d, NULL, 0.3f, a), 1);
    CU_ASSERT(a[1] && count(a, 6) == 1);
    /* huge temperature: uniform over the kept tokens */
    p = params(6);
    p.temperature = 1e30f;
    CU_ASSERT_EQUAL(row(&p, d, NULL, 0.5f - 1e-3f, a), 2);
    /* errors */
    p = params(6);
    int32_t tok;
    CU_ASSERT_EQUAL(qref_sampling_row(&p, d, NULL, 1.0f, &tok, NULL, NULL), QREF_ERR_ARG);
    CU_ASSERT_EQUAL(qref_sampling_row(&p, d, NULL, -0.0f - 1e-9f, &tok, NULL, NULL), QREF_ERR_ARG);
    p.temperature = -1;
    CU_ASSERT_EQUAL(qref_sampling_row(&p, d, NULL, 0.5f, &tok, NULL, NULL), QREF_ERR_ARG);
    p = params(6);
    p.hist_len = 2;
    int32_t bad[2] = { 1, 6 };
    CU_ASSERT_EQUAL(qref_sampling_row(&p, d, bad, 0.5f, &tok, NULL, NULL), QREF_ERR_DATA);
    float nan[2] = { 0, NAN };
    p = params(2);
    CU_ASSERT_EQUAL(qref_sampling_row(&p, nan, NULL, 0.5f, &tok, NULL, NULL), QREF_ERR_DATA);
}

static void test_sampling_penalties(void)
{
    /* rep 1.3, freq 0.25, presence 0.5; history 2, 2, 0, -1 (padding) */
    float l[4] = { -1.0f, 2.0f, 3.0f, 0.7f };
    int32_t h[4] = { 2, 2, 0, -1 };
    qref_sampling_params p = params(4);
    p.hist_len = 4;
    p.rep_penalty = 1.3f;
    p.freq_penalty = 0.25f;
    p.presence_penalty = 0.5f;
    float lp[4];
    CU_ASSERT_EQUAL(qref_sampling_penalize(&p, l, h, lp, NULL), QREF_OK);
    volatile float r = 1.3f;
    CU_ASSERT_EQUAL(lp[0], -1.0f * r - (1.0f * 0.25f + 0.5f));
    CU_ASSERT_EQUAL(lp[1], 2.0f);
    CU_ASSERT_EQUAL(lp[2], 3.0f / r - (2.0f * 0.25f + 0.5f));
    CU_ASSERT_EQUAL(lp[3], 0.7f);
    /* the penalised argmax */
    p.temperature = 0;
    CU_ASSERT_EQUAL(row(&p, l, h, 0.1f, (uint8_t[4]){ 0 }), 1);
}

/* ---- float32 samplers: correct ones with other orders, and a wrong one -------- */

enum { ORD_FWD, ORD_REV, ORD_PAIR };

static float sum_f32(const float *v, int n, int ord)
{
    if (ord == ORD_PAIR) {
        if (n <= 2)
            return n == 0 ? 0 : n == 1 ? v[0] : v[0] + v[1];
        return sum_f32(v, n / 2, ord) + sum_f32(v + n / 2, n - n / 2, ord);
    }
    float s = 0;
    for (int i = 0; i < n; i++)
        s += v[ord == ORD_REV ? n - 1 - i : i];
    return s;
}

typedef struct { float l; int32_t i; } key32;
static int key_cmp(const void *a, const void *b)
{
    const key32 *x = a, *y = b;
    if (x->l != y->l)
        return x->l > y->l ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* wrong_side: top-p keeps the prefix strictly below top_p (drops the token
 * that crosses it). normalize: draws with q = e / Z, else compares u * Z. */
static int32_t sampler_f32(const qref_sampling_params *p, const float *logits, const int32_t *hist, float u, int ord,
                           int normalize, int wrong_side)
{
    int32_t V = p->vocab;
    float *lp = malloc(V * sizeof *lp), *e = calloc(V, sizeof *e), *tmp = calloc(V, sizeof *tmp);
    key32 *k = malloc(V * sizeof *k);
    qref_sampling_penalize(p, logits, hist, lp, NULL);
    int32_t am = 0;
    for (int32_t t = 1; t < V; t++)
        if (lp[t] > lp[am])
            am = t;
    int32_t tok = am;
    if (p->temperature == 0 || lp[am] == -INFINITY)
        goto done;
    for (int32_t t = 0; t < V; t++)
        k[t] = (key32){ lp[t], t };
    qsort(k, V, sizeof *k, key_cmp);
    int32_t nk = (p->top_k > 0 && p->top_k < V) ? p->top_k : V;
    float invT = 1.0f / p->temperature;
    for (int32_t j = 0; j < nk; j++) {
        int32_t t = k[j].i;
        e[t] = expf(ord == ORD_REV ? lp[t] * invT - lp[am] * invT : (lp[t] - lp[am]) / p->temperature);
        tmp[j] = e[t];
    }
    float Z = sum_f32(tmp, nk, ord);
    int32_t cut = nk - 1;
    if (p->top_p < 1) {
        float S = 0;
        for (int32_t j = 0; j < nk; j++) {
            float before = S;
            S += e[k[j].i];
            if (S / Z >= p->top_p) {
                cut = (wrong_side && j > 0 && before / Z < p->top_p) ? j - 1 : j;
                break;
            }
        }
    }
    for (int32_t j = cut + 1; j < nk; j++)
        e[k[j].i] = 0;
    for (int32_t t = 0; t < V; t++)
        if (p->min_p > 0 && e[t] < p->min_p * e[am])
            e[t] = 0;
    int32_t n = 0;
    for (int32_t t = 0; t < V; t++)
        tmp[n++] = e[t];
    float Zk = sum_f32(tmp, n, ord);
    float C = 0, target = normalize ? u : u * Zk;
    tok = -1;
    int32_t last = am;
    for (int32_t t = 0; t < V; t++) {
        float q = normalize ? e[t] / Zk : e[t];
        if (q > 0) {
            last = t;
            C += q;
            if (tok < 0 && target < C)
                tok = t;
        }
    }
    if (tok < 0)
        tok = last;
done:
    free(lp);
    free(e);
    free(tmp);
    free(k);
    return tok;
}

static void random_row(uint64_t *s, qref_sampling_params *p, float *l, int32_t *h, float *u)
{
    int32_t V = 1 + (int32_t)(rng_next(s) % 300);
    *p = params(V);
    double scale = 0.5 + 8 * rng_unit(s);
    for (int32_t t = 0; t < V; t++) {
        uint64_t r = rng_next(s);
        /* duplicates of an earlier logit make ties (never an element not yet
         * written: its stack garbage differed between x86-64 and aarch64) */
        l[t] = (r % 17 == 0 && t > 0) ? l[(r >> 8) % (uint64_t)t]
                                      : (float)((rng_unit(s) - 0.5) * 2 * scale);
        if (r % 97 == 1)
            l[t] = -INFINITY;
    }
    p->temperature = (rng_next(s) % 9 == 0) ? 0 : (float)(0.05 + 3 * rng_unit(s));
    if (rng_next(s) % 3 == 0) {
        p->hist_len = 8;
        for (int i = 0; i < 8; i++)
            h[i] = (int32_t)(rng_next(s) % (uint64_t)(V + 2)) - 2;
        p->rep_penalty = (float)(1 + rng_unit(s));
        p->freq_penalty = (float)rng_unit(s);
        p->presence_penalty = (float)rng_unit(s);
    }
    uint64_t f = rng_next(s);
    if (f & 1)
        p->top_k = (int32_t)(rng_next(s) % (uint64_t)(V + 3));
    if (f & 2)
        p->top_p = (float)rng_unit(s);
    if (f & 4)
        p->min_p = (float)(rng_unit(s) * rng_unit(s));
    *u = (float)rng_unit(s);
    if (*u >= 1.0f)
        *u = 0;
}

static void test_sampling_orders_pass(void)
{
    uint64_t s = 0x5A3F1E;
    float l[300], u;
    int32_t h[8];
    uint8_t a[300];
    qref_sampling_params p;
    unsigned long n = qtest_scale(20000), bad = 0;
    for (unsigned long it = 0; it < n && bad < QTEST_MAX_REPORTS; it++) {
        random_row(&s, &p, l, h, &u);
        int32_t ref = row(&p, l, h, u, a);
        if (!QCHECK(a[ref], "iteration %lu: the reference's own token %d is not admissible", it, ref))
            bad++;
        for (int ord = 0; ord < 3; ord++)
            for (int nz = 0; nz < 2; nz++) {
                int32_t t = sampler_f32(&p, l, h, u, ord, nz, 0);
                if (!QCHECK(t >= 0 && t < p.vocab && a[t],
                            "iteration %lu: order %d normalize %d gave %d (ref %d), not admissible", it, ord, nz, t,
                            ref))
                    bad++;
            }
    }
}

/* The token that crosses top_p holds a clear mass; u falls in it. */
static void test_sampling_wrong_topp_side_fails(void)
{
    /* p ~ (0.5, 0.3, 0.15, 0.05) in logit order; top_p 0.7: keep 0, 1.
     * Index order 3, 1, 0, 2 for the logits. */
    float l[4] = { logf(0.3f), logf(0.05f), logf(0.15f), logf(0.5f) };
    qref_sampling_params p = params(4);
    p.top_p = 0.7f;
    uint8_t a[4];
    /* kept {3 (0.5), 0 (0.3)}: q0 = 0.375 (index 0 first), q3 = 0.625 */
    float u = 0.2f;
    int32_t ref = row(&p, l, NULL, u, a);
    CU_ASSERT_EQUAL(ref, 0);
    CU_ASSERT(a[0] == 1 && count(a, 4) == 1);
    int32_t right = sampler_f32(&p, l, NULL, u, ORD_FWD, 1, 0);
    int32_t wrong = sampler_f32(&p, l, NULL, u, ORD_FWD, 1, 1);
    CU_ASSERT_EQUAL(right, 0);
    CU_ASSERT_EQUAL(wrong, 3);      /* dropped token 0 */
    CU_ASSERT_EQUAL(a[wrong], 0);   /* -> FAIL under the admissible check */

    /* and over random rows, the wrong side is caught (it is not admissible somewhere) */
    uint64_t s = 0xBADC0DE;
    float lr[300], ur;
    int32_t h[8];
    uint8_t ar[300];
    unsigned long caught = 0, n = qtest_scale(4000);
    for (unsigned long it = 0; it < n; it++) {
        random_row(&s, &p, lr, h, &ur);
        p.top_p = 0.3f + 0.6f * (float)rng_unit(&s);
        row(&p, lr, h, ur, ar);
        int32_t t = sampler_f32(&p, lr, h, ur, ORD_PAIR, 0, 1);
        caught += !ar[t];
    }
    CU_ASSERT(caught > n / 100);
}

/* The admissible set is not everything: on random rows it is mostly one token. */
static void test_sampling_admit_is_tight(void)
{
    uint64_t s = 0x7157;
    float l[300], u;
    int32_t h[8];
    uint8_t a[300];
    qref_sampling_params p;
    unsigned long single = 0, n = qtest_scale(4000);
    for (unsigned long it = 0; it < n; it++) {
        random_row(&s, &p, l, h, &u);
        row(&p, l, h, u, a);
        single += count(a, p.vocab) == 1;
    }
    CU_ASSERT(single > n * 95 / 100);
    if (single <= n * 95 / 100)
        fprintf(stderr, "admissible sets of one token: %lu of %lu\n", single, n);
}

QTEST_SUITE(sampling,
    QTEST(test_sampling_edges),
    QTEST(test_sampling_penalties),
    QTEST(test_sampling_orders_pass),
    QTEST(test_sampling_wrong_topp_side_fails),
    QTEST(test_sampling_admit_is_tight))
