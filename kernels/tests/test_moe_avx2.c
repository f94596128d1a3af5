/* Tests of the AVX2 MoE kernels (kernels/simd/avx2/moe*.c), called
 * directly:
 *   - exp / sigmoid / SwiGLU accuracy against libm in double: relative
 *     error below QREF_MOE_EPS_F (2^-21), the error model of qref/moe.h;
 *   - router: ids exactly the reference's on decided tokens (ties included),
 *     weights and aux within the reference's bounds, identical bits with 1
 *     and 2 threads; softmax/sigmoid, groups, bias, top_k = E, E % 8 != 0;
 *   - dispatch: every output equal to the reference's, threads 1 and 2, bad
 *     ids refused;
 *   - expert layer: within the composed bound on several schemes (odd
 *     sizes, one token, experts without tokens, shared or not), identical
 *     bits with 1 and 2 threads, the worst error / bound printed with
 *     QCTS_MOE_VERBOSE.
 * Skipped (CU_PASS with the reason) on a CPU or build without AVX2. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/simd/simd.h"
#include "qref/moe.h"
#include "qtest.h"
#if QCTS_SIMD_X86
#include "kernels/simd/avx2/moe.h"
#endif

static uint64_t sm64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

__attribute__((unused)) static float gauss(uint64_t *s)
{
    float t = 0.0f;
    for (int i = 0; i < 4; i++)
        t += (float)((int32_t)(sm64(s) >> 44) - (1 << 19)) * 0x1p-19f;
    return t;
}

__attribute__((unused)) static int have_avx2(void)
{
    char why[256] = "";
    if (QCTS_SIMD_X86 && qcts_isa_built(QCTS_ISA_AVX2, why, sizeof why) &&
        qcts_isa_cpu_ok(QCTS_ISA_AVX2, why, sizeof why))
        return 1;
    fprintf(stderr, "moe avx2 tests skipped: %s\n", why);
    CU_PASS("no AVX2");
    return 0;
}

#if QCTS_SIMD_X86

static void test_vmath_accuracy(void)
{
    if (!have_avx2())
        return;
    enum { N = 1 << 16 };
    float *x = malloc(sizeof *x * N), *u = malloc(sizeof *u * N), *y = malloc(sizeof *y * N);
    uint64_t s = 42;
    for (int i = 0; i < N; i++) {
        x[i] = (float)(-87.0 + 175.0 * (double)(sm64(&s) >> 11) * 0x1p-53);
        u[i] = gauss(&s);
    }
    double worst[3] = { 0, 0, 0 };
    for (int fn = 0; fn < 3; fn++) {
        qcts_moe_vmath__avx2(fn, x, u, y, N);
        for (int i = 0; i < N; i++) {
            double xd = x[i];
            double want = fn == 0 ? exp(xd) : fn == 1 ? 1 / (1 + exp(-xd)) : xd / (1 + exp(-xd)) * (double)u[i];
            if (fn == 1 && want < 0x1p-100)
                continue;   /* sigmoid of x < -69: relative error of the subnormal-free range only */
            if (fabs(want) < 0x1p-100)
                continue;
            double r = fabs(y[i] - want) / fabs(want);
            worst[fn] = r > worst[fn] ? r : worst[fn];
        }
    }
    if (getenv("QCTS_MOE_VERBOSE"))
        fprintf(stderr, "vmath worst relative error: exp %.3g sigmoid %.3g swiglu %.3g (2^-21 = %.3g)\n", worst[0],
                worst[1], worst[2], QREF_MOE_EPS_F);
    CU_ASSERT(worst[0] < QREF_MOE_EPS_F);
    CU_ASSERT(worst[1] < 2 * QREF_MOE_EPS_F + 4 * 0x1p-24);
    CU_ASSERT(worst[2] < 2 * QREF_MOE_EPS_F + 6 * 0x1p-24);
    free(x), free(u), free(y);
}

/* ---- router ---------------------------------------------------------------- */

static void route_case(qref_moe_route_desc d, uint64_t seed, int ties)
{
    const int E = d.n_experts, K = d.top_k;
    const int64_t T = d.n_tokens;
    float *x = malloc(sizeof *x * T * E), *b = malloc(sizeof *b * E);
    int32_t *ids = malloc(sizeof *ids * T * K), *ids2 = malloc(sizeof *ids2 * T * K), *rid = malloc(sizeof *rid * T * K);
    float *w = malloc(sizeof *w * T * K), *w2 = malloc(sizeof *w2 * T * K), *rw = malloc(sizeof *rw * T * K);
    float *wb = malloc(sizeof *wb * T * K), aux, aux2, raux, ab;
    for (int e = 0; e < E; e++)
        b[e] = gauss(&seed) * (d.scoring == QREF_MOE_SOFTMAX ? 0.01f : 0.1f);
    if (ties)   /* equal biases where the logits are copied below */
        for (int e = E / 2; e < E; e++)
            b[e] = b[e - E / 2];
    for (int64_t t = 0; t < T; t++) {
        int tries = 0;
        do {
            for (int e = 0; e < E; e++)
                x[t * E + e] = gauss(&seed) * 2.0f;
            if (ties)   /* the second half copies the first: every comparison at the top is a tie */
                for (int e = E / 2; e < E; e++)
                    x[t * E + e] = x[t * E + e - E / 2];
        } while (!qref_moe_route_token_ok(&d, x, b, t) && ++tries < 1000);
        CU_ASSERT_FATAL(tries < 1000);
    }
    qref_error err;
    CU_ASSERT_EQUAL_FATAL(qref_moe_route(&d, x, b, rid, rw, &raux, wb, &ab, &err), QREF_OK);
    void *ws1 = malloc(qcts_moe_route_ws_bytes__avx2(&d, 1)), *ws2 = malloc(qcts_moe_route_ws_bytes__avx2(&d, 2));
    qcts_moe_route__avx2(&d, x, b, ids, w, &aux, 1, ws1);
    qcts_moe_route__avx2(&d, x, b, ids2, w2, &aux2, 2, ws2);
    QCHECK(memcmp(ids, rid, sizeof *ids * T * K) == 0, "E %d K %d ng %d ties %d: ids differ from the reference", E, K,
           d.n_group, ties);
    QCHECK(memcmp(ids, ids2, sizeof *ids * T * K) == 0 && memcmp(w, w2, sizeof *w * T * K) == 0 &&
               memcmp(&aux, &aux2, sizeof aux) == 0,
           "threads 1 and 2 differ");
    double worst = 0;
    int bad = 0;
    for (int64_t i = 0; i < T * K; i++) {
        double e = fabs((double)w[i] - rw[i]);
        bad += !(e <= wb[i]);
        worst = e / wb[i] > worst ? e / wb[i] : worst;
    }
    double ar = fabs((double)aux - raux) / ab;
    QCHECK(bad == 0, "E %d K %d: %d weights outside the bound", E, K, bad);
    QCHECK(ar <= 1.0, "E %d K %d: aux %.9g vs %.9g, bound %.3g", E, K, aux, raux, ab);
    if (getenv("QCTS_MOE_VERBOSE"))
        fprintf(stderr, "route E %d K %d scoring %d ng %d: worst weight err/bound %.3g, aux %.3g\n", E, K, d.scoring,
                d.n_group, worst, ar);
    free(x), free(b), free(ids), free(ids2), free(rid), free(w), free(w2), free(rw), free(wb), free(ws1), free(ws2);
}

static qref_moe_route_desc rd(int64_t T, int E, int K, int sc, int ng, int tg, int renorm, int bias)
{
    return (qref_moe_route_desc){ .n_tokens = T, .n_experts = E, .top_k = K, .scoring = sc, .n_group = ng,
                                  .topk_group = tg, .renorm = renorm, .has_bias = bias, .routed_scale = 2.5f,
                                  .aux_alpha = 0.001f };
}

static void test_route_avx2(void)
{
    if (!have_avx2())
        return;
    route_case(rd(70, 64, 4, QREF_MOE_SOFTMAX, 1, 1, 1, 0), 1, 0);
    route_case(rd(130, 64, 4, QREF_MOE_SIGMOID, 1, 1, 1, 1), 2, 0);
    route_case(rd(9, 256, 8, QREF_MOE_SIGMOID, 8, 4, 1, 1), 3, 0);
    route_case(rd(9, 160, 8, QREF_MOE_SIGMOID, 1, 1, 1, 1), 4, 0);
    route_case(rd(5, 8, 8, QREF_MOE_SOFTMAX, 1, 1, 0, 0), 5, 0);
    route_case(rd(5, 13, 3, QREF_MOE_SOFTMAX, 1, 1, 0, 1), 6, 0);   /* E % 8 = 5 */
    route_case(rd(5, 20, 6, QREF_MOE_SIGMOID, 10, 5, 1, 0), 7, 0);  /* groups of 2 */
    route_case(rd(1, 16, 4, QREF_MOE_SOFTMAX, 1, 1, 1, 0), 8, 1);   /* ties */
    route_case(rd(3, 32, 4, QREF_MOE_SIGMOID, 4, 2, 1, 1), 9, 1);   /* group ties */
}

/* ---- dispatch ---------------------------------------------------------------- */

static void test_dispatch_avx2(void)
{
    if (!have_avx2())
        return;
    const int64_t T = 37, H = 19;
    const int K = 3, E = 9;
    uint64_t s = 5;
    int32_t ids[37 * 3];
    for (int i = 0; i < T * K; i++)
        ids[i] = (int32_t)(sm64(&s) % (E - 1));   /* expert E-1 gets nothing */
    uint16_t x[37 * 19];
    for (int i = 0; i < T * H; i++)
        x[i] = (uint16_t)sm64(&s);
    for (int eb = 2; eb <= 4; eb += 2) {
        qref_moe_dispatch_desc d = { .n_tokens = T, .top_k = K, .n_experts = E, .hidden = eb == 4 ? 9 : H,
                                     .elem_bytes = eb };
        int32_t c0[9], o0[10], s0[111], c1[9], o1[10], s1[111];
        uint16_t p0[111 * 19], p1[111 * 19];
        CU_ASSERT_EQUAL_FATAL(qref_moe_dispatch(&d, ids, x, c0, o0, s0, p0, NULL), QREF_OK);
        for (int th = 1; th <= 2; th++) {
            memset(p1, 0xA5, sizeof p1);
            CU_ASSERT_EQUAL(qcts_moe_dispatch__avx2(&d, ids, x, c1, o1, s1, p1, th), 0);
            CU_ASSERT(memcmp(c0, c1, sizeof c0) == 0);
            CU_ASSERT(memcmp(o0, o1, sizeof o0) == 0);
            CU_ASSERT(memcmp(s0, s1, sizeof s0) == 0);
            CU_ASSERT(memcmp(p0, p1, (size_t)(T * K * d.hidden * eb)) == 0);
        }
    }
    qref_moe_dispatch_desc d = { .n_tokens = T, .top_k = K, .n_experts = E, .hidden = H, .elem_bytes = 2 };
    int32_t c1[9], o1[10], s1[111];
    uint16_t p1[111 * 19];
    ids[50] = E;
    CU_ASSERT_EQUAL(qcts_moe_dispatch__avx2(&d, ids, x, c1, o1, s1, p1, 1), -1);
}

/* ---- experts ------------------------------------------------------------------ */

static uint8_t *quant_all(const qref_scheme *s, int count, int64_t r, int64_t c, uint64_t *seed, qref_qtensor *t,
                          size_t *bytes)
{
    qref_qsizes z;
    qref_error e;
    CU_ASSERT_EQUAL_FATAL(qref_qsizes_get(s, r, c, &z, &e), QREF_OK);
    uint8_t *buf = malloc(z.total * (size_t)count);
    float *w = malloc(sizeof *w * (size_t)(r * c));
    for (int i = 0; i < count; i++) {
        for (int64_t k = 0; k < r * c; k++)
            w[k] = gauss(seed) * 0.1f;
        CU_ASSERT_EQUAL_FATAL(qref_quantize(s, r, c, w, &t[i], &e), QREF_OK);
        CU_ASSERT_EQUAL_FATAL(qref_qtensor_save(&t[i], buf + (size_t)i * z.total, z.total), QREF_OK);
    }
    free(w);
    *bytes = z.total * (size_t)count;
    return buf;
}

static void experts_case(const char *scheme, int64_t T, int64_t H, int64_t I, int E, int K, int shared, uint64_t seed)
{
    const qref_scheme *s = qref_scheme_find(scheme);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    qref_moe_experts_desc d = { .n_tokens = T, .hidden = H, .inter = I, .n_experts = E, .top_k = K,
                                .has_shared = shared, .shared_inter = shared ? 2 * I : 0 };
    float *x = malloc(sizeof *x * T * H), *wt = malloc(sizeof *wt * T * K);
    int32_t *ids = malloc(sizeof *ids * T * K);
    for (int64_t i = 0; i < T * H; i++)
        x[i] = gauss(&seed);
    for (int64_t i = 0; i < T * K; i++) {
        ids[i] = (int32_t)(sm64(&seed) % (uint64_t)(E > 2 ? E - 1 : E));   /* duplicates allowed */
        wt[i] = 0.05f + (float)(sm64(&seed) % 1000) * 0.001f;
    }
    qref_qtensor *gu = calloc(E, sizeof *gu), *dn = calloc(E, sizeof *dn), sgu, sdn;
    size_t gub, dnb, sgub = 0, sdnb = 0;
    uint8_t *gbuf = quant_all(s, E, 2 * I, H, &seed, gu, &gub), *dbuf = quant_all(s, E, H, I, &seed, dn, &dnb);
    uint8_t *sgbuf = NULL, *sdbuf = NULL;
    if (shared) {
        sgbuf = quant_all(s, 1, 2 * d.shared_inter, H, &seed, &sgu, &sgub);
        sdbuf = quant_all(s, 1, H, d.shared_inter, &seed, &sdn, &sdnb);
    }
    float *ry = malloc(sizeof *ry * T * H), *rb = malloc(sizeof *rb * T * H);
    float *y1 = malloc(sizeof *y1 * T * H), *y2 = malloc(sizeof *y2 * T * H);
    qref_error err;
    CU_ASSERT_EQUAL_FATAL(qref_moe_experts(&d, x, ids, wt, gu, dn, shared ? &sgu : NULL, shared ? &sdn : NULL, ry, rb,
                                           &err), QREF_OK);
    char why[256];
    int unsup;
    qcts_moe_experts_plan *p1 = qcts_moe_experts_plan__avx2(&d, scheme, gbuf, gub, dbuf, dnb, sgbuf, sgub, sdbuf,
                                                            sdnb, 1, &unsup, why, sizeof why);
    qcts_moe_experts_plan *p2 = qcts_moe_experts_plan__avx2(&d, scheme, gbuf, gub, dbuf, dnb, sgbuf, sgub, sdbuf,
                                                            sdnb, 2, &unsup, why, sizeof why);
    QCHECK(p1 && p2, "%s: plan: %s", scheme, why);
    if (p1 && p2) {
        CU_ASSERT_EQUAL(qcts_moe_experts_run__avx2(p1, x, ids, wt, y1, why, sizeof why), 0);
        CU_ASSERT_EQUAL(qcts_moe_experts_run__avx2(p2, x, ids, wt, y2, why, sizeof why), 0);
        QCHECK(memcmp(y1, y2, sizeof *y1 * T * H) == 0, "%s: threads 1 and 2 differ", scheme);
        int bad = 0;
        double worst = 0;
        for (int64_t i = 0; i < T * H; i++) {
            double e = fabs((double)y1[i] - ry[i]);
            bad += !(e <= rb[i]);
            worst = e / rb[i] > worst ? e / rb[i] : worst;
        }
        QCHECK(bad == 0, "%s T %lld H %lld I %lld: %d outside the bound (worst %.3g)", scheme, (long long)T,
               (long long)H, (long long)I, bad, worst);
        if (getenv("QCTS_MOE_VERBOSE"))
            fprintf(stderr, "experts %s T %lld H %lld I %lld E %d K %d shared %d: worst err/bound %.3g (%s)\n",
                    scheme, (long long)T, (long long)H, (long long)I, E, K, shared, worst,
                    qcts_moe_experts_variant__avx2(p1));
        ids[0] = E;
        CU_ASSERT_EQUAL(qcts_moe_experts_run__avx2(p1, x, ids, wt, y1, why, sizeof why), -1);
    }
    qcts_moe_experts_free__avx2(p1);
    qcts_moe_experts_free__avx2(p2);
    for (int e = 0; e < E; e++)
        qref_qtensor_free(&gu[e]), qref_qtensor_free(&dn[e]);
    if (shared)
        qref_qtensor_free(&sgu), qref_qtensor_free(&sdn);
    free(x), free(wt), free(ids), free(gu), free(dn), free(gbuf), free(dbuf), free(sgbuf), free(sdbuf), free(ry),
        free(rb), free(y1), free(y2);
}

static void test_experts_avx2(void)
{
    if (!have_avx2())
        return;
    experts_case("fp4_g32_f16", 5, 64, 32, 4, 2, 1, 1);
    experts_case("int8_per_channel", 3, 67, 13, 3, 2, 1, 2);   /* odd sizes */
    experts_case("gguf_q4_0", 1, 64, 32, 4, 1, 0, 3);          /* one token: GEMV */
    experts_case("int4_sym_g128", 9, 128, 128, 8, 4, 1, 4);
    experts_case("mxfp4", 2, 96, 64, 2, 2, 0, 5);              /* top_k = n_experts */
    experts_case("gguf_q4_k", 4, 256, 256, 3, 2, 1, 6);
    char why[256];
    int unsup = 0;
    qref_moe_experts_desc d = { .n_tokens = 1, .hidden = 32, .inter = 32, .n_experts = 1, .top_k = 1 };
    CU_ASSERT_PTR_NULL(qcts_moe_experts_plan__avx2(&d, "no_such", NULL, 0, NULL, 0, NULL, 0, NULL, 0, 1, &unsup, why,
                                                   sizeof why));
    CU_ASSERT_EQUAL(unsup, 1);
}

#else
static void test_vmath_accuracy(void) { (void)have_avx2(); }
static void test_route_avx2(void) { (void)have_avx2(); }
static void test_dispatch_avx2(void) { (void)have_avx2(); }
static void test_experts_avx2(void) { (void)have_avx2(); }
#endif

QTEST_SUITE(moe_avx2,
    QTEST(test_vmath_accuracy),
    QTEST(test_route_avx2),
    QTEST(test_dispatch_avx2),
    QTEST(test_experts_avx2))
