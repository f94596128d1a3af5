/* Tests of the reference MoE expert layer (qref/moe.h).
 *  - A hand-checkable case: int8 per-channel experts with integer weights,
 *    one token, two experts, shared expert.
 *  - The check rule both ways: float32 expert layers (weights dequantized
 *    to float32, libm expf, dot products forward, backward, pairwise)
 *    stay within the composed bound on several schemes, odd hidden sizes,
 *    experts without tokens, one token; plausible wrong ones (SiLU on the
 *    up half, shared expert missing, weights ignored) fail it.
 *  - Bad ids and shapes are errors. */
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

typedef struct xcfg {
    int order;          /* 0 forward, 1 backward, 2 pairwise */
    int silu_up;        /* wrong: silu(up) * gate */
    int no_shared;      /* wrong: shared expert left out */
    int unweighted;     /* wrong: weights ignored */
} xcfg;

static float fdot(const float *a, const float *b, int64_t n, int order)
{
    if (order == 2) {
        if (n <= 2)
            return n == 1 ? a[0] * b[0] : a[0] * b[0] + a[1] * b[1];
        int64_t h = n / 2;
        return fdot(a, b, h, 2) + fdot(a + h, b + h, n - h, 2);
    }
    float s = 0.0f;
    for (int64_t i = 0; i < n; i++) {
        int64_t k = order == 1 ? n - 1 - i : i;
        s += a[k] * b[k];
    }
    return s;
}

/* One float32 FFN on row x: out (H). */
static void f32_ffn(const float *x, const float *gu, const float *dn, int64_t H, int64_t I, xcfg f, float *out)
{
    float *a = malloc(sizeof *a * (size_t)I);
    for (int64_t i = 0; i < I; i++) {
        float g = fdot(&gu[i * H], x, H, f.order), u = fdot(&gu[(I + i) * H], x, H, f.order);
        if (f.silu_up) {
            float t = g;
            g = u, u = t;
        }
        a[i] = g / (1.0f + expf(-g)) * u;
    }
    for (int64_t h = 0; h < H; h++)
        out[h] = fdot(&dn[h * I], a, I, f.order);
    free(a);
}

typedef struct xcase {
    qref_moe_experts_desc d;
    const qref_scheme *s;
    float *x, *wt, *y, *bound;
    int32_t *ids;
    qref_qtensor *gu, *dn, sgu, sdn;
    float **gu32, **dn32, *sgu32, *sdn32;
} xcase;

static void quant(const qref_scheme *s, int64_t r, int64_t c, uint64_t *seed, float scale, qref_qtensor *t,
                  float **f32)
{
    float *w = malloc(sizeof *w * (size_t)(r * c));
    for (int64_t i = 0; i < r * c; i++)
        w[i] = gauss(seed) * scale;
    qref_error e;
    QCHECK(qref_quantize(s, r, c, w, t, &e) == QREF_OK, "quantize %s: %s", s->name, e.msg);
    *f32 = w;   /* reused: overwritten with the float32 dequantized weights */
    QCHECK(qref_dequantize(t, w, &e) == QREF_OK, "dequantize: %s", e.msg);
}

static void make_xcase(xcase *c, const char *scheme, int64_t T, int64_t H, int64_t I, int E, int K, int shared,
                       uint64_t seed)
{
    memset(c, 0, sizeof *c);
    c->d = (qref_moe_experts_desc){ .n_tokens = T, .hidden = H, .inter = I, .n_experts = E, .top_k = K,
                                    .has_shared = shared, .shared_inter = shared ? 2 * I : 0 };
    c->s = qref_scheme_find(scheme);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c->s);
    c->x = malloc(sizeof(float) * T * H);
    c->wt = malloc(sizeof(float) * T * K);
    c->ids = malloc(sizeof(int32_t) * T * K);
    c->y = malloc(sizeof(float) * T * H);
    c->bound = malloc(sizeof(float) * T * H);
    c->gu = calloc(E, sizeof *c->gu);
    c->dn = calloc(E, sizeof *c->dn);
    c->gu32 = calloc(E, sizeof *c->gu32);
    c->dn32 = calloc(E, sizeof *c->dn32);
    for (int64_t i = 0; i < T * H; i++)
        c->x[i] = gauss(&seed);
    for (int64_t t = 0; t < T; t++)
        for (int j = 0; j < K; j++) {   /* distinct experts, never the last one (no tokens) */
            int32_t e;
            int dup;
            do {
                e = (int32_t)(sm64(&seed) % (uint64_t)(K < E ? E - 1 : E));
                dup = 0;
                for (int q = 0; q < j; q++)
                    dup |= c->ids[t * K + q] == e;
            } while (dup && K < E);
            c->ids[t * K + j] = e;
            c->wt[t * K + j] = 0.1f + (float)(sm64(&seed) % 1000) * 0.001f;
        }
    for (int e = 0; e < E; e++) {
        quant(c->s, 2 * I, H, &seed, 0.1f, &c->gu[e], &c->gu32[e]);
        quant(c->s, H, I, &seed, 0.1f, &c->dn[e], &c->dn32[e]);
    }
    if (shared) {
        quant(c->s, 4 * I, H, &seed, 0.1f, &c->sgu, &c->sgu32);
        quant(c->s, H, 2 * I, &seed, 0.1f, &c->sdn, &c->sdn32);
    }
    qref_error err;
    qref_status st = qref_moe_experts(&c->d, c->x, c->ids, c->wt, c->gu, c->dn, shared ? &c->sgu : NULL,
                                      shared ? &c->sdn : NULL, c->y, c->bound, &err);
    QCHECK(st == QREF_OK, "experts %s: %s", scheme, err.msg);
}

static void free_xcase(xcase *c)
{
    for (int e = 0; e < c->d.n_experts; e++) {
        qref_qtensor_free(&c->gu[e]), qref_qtensor_free(&c->dn[e]);
        free(c->gu32[e]), free(c->dn32[e]);
    }
    if (c->d.has_shared) {
        qref_qtensor_free(&c->sgu), qref_qtensor_free(&c->sdn);
        free(c->sgu32), free(c->sdn32);
    }
    free(c->x), free(c->wt), free(c->ids), free(c->y), free(c->bound), free(c->gu), free(c->dn), free(c->gu32),
        free(c->dn32);
}

/* Elements of a float32 layer with cfg f outside the bound; *ratio gets
 * the worst |ŷ - y| / bound. */
static int64_t run_f32(const xcase *c, xcfg f, double *ratio)
{
    const int64_t T = c->d.n_tokens, H = c->d.hidden, I = c->d.inter, K = c->d.top_k;
    float *y = calloc((size_t)(T * H), sizeof *y), *o = malloc(sizeof *o * (size_t)H);
    for (int64_t t = 0; t < T; t++) {
        for (int64_t j = 0; j < K; j++) {
            int e = c->ids[t * K + j];
            f32_ffn(&c->x[t * H], c->gu32[e], c->dn32[e], H, I, f, o);
            for (int64_t h = 0; h < H; h++)
                y[t * H + h] += (f.unweighted ? 1.0f : c->wt[t * K + j]) * o[h];
        }
        if (c->d.has_shared && !f.no_shared) {
            f32_ffn(&c->x[t * H], c->sgu32, c->sdn32, H, 2 * I, f, o);
            for (int64_t h = 0; h < H; h++)
                y[t * H + h] += o[h];
        }
    }
    int64_t bad = 0;
    double worst = 0.0;
    for (int64_t i = 0; i < T * H; i++) {
        double err = fabs((double)y[i] - (double)c->y[i]);
        bad += !(err <= c->bound[i]);
        if (c->bound[i] > 0 && err / c->bound[i] > worst)
            worst = err / c->bound[i];
    }
    if (ratio)
        *ratio = worst;
    free(y), free(o);
    return bad;
}

static void both_ways(const char *scheme, int64_t T, int64_t H, int64_t I, int E, int K, int shared, uint64_t seed)
{
    xcase c;
    make_xcase(&c, scheme, T, H, I, E, K, shared, seed);
    double worst = 0.0, r;
    for (int o = 0; o < 3; o++) {
        int64_t bad = run_f32(&c, (xcfg){ .order = o }, &r);
        QCHECK(bad == 0, "%s T %lld H %lld I %lld: correct order %d: %lld outside the bound (worst %.3g)", scheme,
               (long long)T, (long long)H, (long long)I, o, (long long)bad, r);
        worst = r > worst ? r : worst;
    }
    if (getenv("QCTS_MOE_VERBOSE")) fprintf(stderr, "%s: worst/bound %.3g\n", scheme, worst);
    QCHECK(worst > 1e-4, "%s: the bound is loose beyond use (worst ratio %.3g)", scheme, worst);
    QCHECK(run_f32(&c, (xcfg){ .silu_up = 1 }, NULL) > 0, "%s: SiLU on the up half passes", scheme);
    if (shared)
        QCHECK(run_f32(&c, (xcfg){ .no_shared = 1 }, NULL) > 0, "%s: missing shared expert passes", scheme);
    QCHECK(run_f32(&c, (xcfg){ .unweighted = 1 }, NULL) > 0, "%s: unweighted combine passes", scheme);
    free_xcase(&c);
}

static void test_experts_check_both_ways(void)
{
    both_ways("fp4_g32_f16", 5, 64, 32, 4, 2, 1, 1);
    both_ways("int8_per_channel", 3, 67, 13, 3, 2, 1, 2);    /* odd sizes */
    both_ways("gguf_q4_0", 1, 64, 32, 4, 1, 0, 3);           /* one token, no shared */
    both_ways("int4_sym_g128", 4, 128, 128, 8, 4, 1, 4);
    both_ways("mxfp4", 2, 96, 64, 2, 2, 0, 5);               /* top_k = n_experts */
}

static void test_experts_known(void)
{
    /* int8 per channel with weights w = q·s: all integers except s; a
     * one-token problem checked against a direct double evaluation */
    xcase c;
    make_xcase(&c, "int8_per_channel", 1, 5, 3, 2, 1, 0, 7);
    double want[5];
    int e = c.ids[0];
    double a[3];
    for (int i = 0; i < 3; i++) {
        double g = 0, u = 0;
        for (int h = 0; h < 5; h++) {
            g += (double)c.gu32[e][i * 5 + h] * c.x[h];
            u += (double)c.gu32[e][(3 + i) * 5 + h] * c.x[h];
        }
        a[i] = g / (1 + exp(-g)) * u;
    }
    for (int h = 0; h < 5; h++) {
        double s = 0;
        for (int i = 0; i < 3; i++)
            s += (double)c.dn32[e][h * 3 + i] * a[i];
        want[h] = c.wt[0] * s;
        QCHECK(fabs(want[h] - c.y[h]) <= c.bound[h] + 1e-6 * fabs(want[h]), "h %d: %.9g vs %.9g", h, want[h],
               (double)c.y[h]);
    }
    free_xcase(&c);
}

static void test_experts_errors(void)
{
    xcase c;
    make_xcase(&c, "int8_per_channel", 2, 8, 4, 3, 2, 0, 11);
    qref_error e;
    c.ids[1] = 3;
    CU_ASSERT_EQUAL(qref_moe_experts(&c.d, c.x, c.ids, c.wt, c.gu, c.dn, NULL, NULL, c.y, c.bound, &e), QREF_ERR_DATA);
    c.ids[1] = 0;
    c.d.inter = 5;
    CU_ASSERT_EQUAL(qref_moe_experts(&c.d, c.x, c.ids, c.wt, c.gu, c.dn, NULL, NULL, c.y, c.bound, &e), QREF_ERR_SIZE);
    c.d.inter = 4;
    c.d.has_shared = 1;
    CU_ASSERT_EQUAL(qref_moe_experts(&c.d, c.x, c.ids, c.wt, c.gu, c.dn, NULL, NULL, c.y, c.bound, &e), QREF_ERR_ARG);
    c.d.has_shared = 0;
    free_xcase(&c);
}

QTEST_SUITE(moe_experts,
    QTEST(test_experts_known),
    QTEST(test_experts_check_both_ways),
    QTEST(test_experts_errors))
