/* Suite attention: the reference attention family (qref/attention.h).
 *  - the definition: against an independent libm double evaluation;
 *  - fully masked rows: y = +0, lse = -inf, bound 0;
 *  - split-K partials + reduce = the one-pass result;
 *  - the bound, both ways: a float32 flash kernel (blocks 16, 64, 256; 1
 *    and 3 split-K partitions) PASSES on every variant (prefill causal /
 *    non-causal, decode, GQA, MQA, window, paged, tree, differential,
 *    quantized KV, large logits); the same kernel with bf16 accumulation,
 *    no max subtraction, a causal mask off by one, a wrong GQA head map or
 *    a stale block-table page FAILS;
 *  - hostile descriptors are refused with a message.
 * Data: splitmix64 from fixed seeds (printed on failure). */
#include "qtest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "attn_support.h"
#include "qref/attention.h"

/* Variants the bound must cover. */
typedef struct tcfg {
    const char *name;
    qref_attention a;
    const char *scheme;
    int per_head;
    float amp;
} tcfg;

#define A(...) ((qref_attention){ __VA_ARGS__ })
static const tcfg CFGS[] = {
    { "prefill_causal_gqa4", A(.batch = 2, .q_heads = 8, .kv_heads = 2, .seq_q = 77, .seq_kv = 77, .d = 64, .dv = 64,
                               .causal = 1, .scale = 0.125f, .splits = 1), NULL, 0, 1.0f },
    { "prefill_noncausal_mqa", A(.batch = 1, .q_heads = 4, .kv_heads = 1, .seq_q = 33, .seq_kv = 90, .d = 80,
                                 .dv = 80, .scale = 0.11f, .splits = 1), NULL, 0, 1.0f },
    { "decode_paged16_fp8_head", A(.batch = 2, .q_heads = 8, .kv_heads = 1, .seq_q = 1, .seq_kv = 300, .d = 128,
                                   .dv = 128, .causal = 1, .scale = 0.0884f, .page_size = 16, .pages = 48,
                                   .splits = 1), "fp8_e4m3_per_tensor", 1, 1.0f },
    { "window_int8_token", A(.batch = 1, .q_heads = 4, .kv_heads = 4, .seq_q = 100, .seq_kv = 100, .d = 96, .dv = 96,
                             .causal = 1, .window = 32, .scale = 0.1f, .splits = 1), "int8_per_channel", 0, 1.0f },
    { "tree_nvfp4", A(.batch = 1, .q_heads = 2, .kv_heads = 2, .seq_q = 7, .seq_kv = 50, .d = 64, .dv = 64,
                      .tree = 1, .scale = 0.125f, .splits = 1), "nvfp4", 0, 1.0f },
    { "paged32_q4_0_gqa8", A(.batch = 1, .q_heads = 8, .kv_heads = 1, .seq_q = 3, .seq_kv = 200, .d = 64, .dv = 64,
                             .causal = 1, .scale = 0.125f, .page_size = 32, .pages = 9, .splits = 1), "gguf_q4_0", 0,
      1.0f },
    { "diff_lambda", A(.batch = 1, .q_heads = 2, .kv_heads = 1, .seq_q = 20, .seq_kv = 60, .d = 64, .dv = 32,
                       .causal = 1, .scale = 0.177f, .diff = 1, .lambda = 0.8f, .splits = 1), NULL, 0, 1.0f },
    { "large_logits", A(.batch = 1, .q_heads = 2, .kv_heads = 2, .seq_q = 9, .seq_kv = 70, .d = 64, .dv = 64,
                        .scale = 1.0f, .splits = 1), NULL, 0, 6.0f },
    { "head_dim_256_mxfp4", A(.batch = 1, .q_heads = 2, .kv_heads = 1, .seq_q = 5, .seq_kv = 130, .d = 256, .dv = 256,
                              .causal = 1, .scale = 0.0625f, .splits = 1), "mxfp4", 0, 1.0f },
};
#define NCFG (sizeof CFGS / sizeof CFGS[0])

static int make_cfg(tattn *t, const tcfg *c, uint64_t seed)
{
    memset(t, 0, sizeof *t);
    t->a = c->a;
    t->scheme = c->scheme;
    t->per_head = c->per_head;
    return tattn_make(t, seed, c->amp);
}

/* ---- definition ------------------------------------------------------------------ */

static void test_attention_definition(void)
{
    for (size_t ci = 0; ci < NCFG; ci++) {
        tattn t;
        uint64_t seed = 1000 + ci;
        CU_ASSERT_EQUAL_FATAL(make_cfg(&t, &CFGS[ci], seed), 0);
        const qref_attention *a = &t.a;
        int64_t R = qref_attention_cache_rows(a), group = a->q_heads / a->kv_heads, bad = 0;
        for (int64_t b = 0; b < a->batch; b++)
            for (int64_t h = 0; h < a->q_heads; h++)
                for (int64_t i = 0; i < a->seq_q; i++) {
                    int64_t r = (b * a->q_heads + h) * a->seq_q + i, g = h / group;
                    int maps = a->diff ? 2 : 1;
                    int64_t dq = a->d / maps;
                    double ym[2][256] = { { 0 } }, lse = -INFINITY;
                    for (int mp = 0; mp < maps; mp++) {
                        double s[400], M = -INFINITY, L = 0;
                        for (int64_t j = 0; j < a->seq_kv; j++) {
                            s[j] = -INFINITY;
                            if (!qref_attention_visible(a, t.tree, b, i, j))
                                continue;
                            int64_t pps = qref_attention_pages_per_seq(a);
                            int64_t cr = a->page_size ? t.bt[b * pps + j / a->page_size] * a->page_size +
                                                            j % a->page_size
                                                      : b * a->seq_kv + j;
                            double acc = 0;
                            for (int64_t c = 0; c < dq; c++)
                                acc += (double)t.q[r * a->d + mp * dq + c] *
                                       (double)t.kf[(g * R + cr) * a->d + mp * dq + c];
                            s[j] = acc * a->scale;
                            M = fmax(M, s[j]);
                        }
                        if (M == -INFINITY)
                            continue;
                        for (int64_t j = 0; j < a->seq_kv; j++)
                            if (s[j] > -INFINITY) {
                                double w = exp(s[j] - M);
                                int64_t pps = qref_attention_pages_per_seq(a);
                                int64_t cr = a->page_size ? t.bt[b * pps + j / a->page_size] * a->page_size +
                                                                j % a->page_size
                                                          : b * a->seq_kv + j;
                                L += w;
                                for (int64_t c = 0; c < a->dv; c++)
                                    ym[mp][c] += w * t.vf[(g * R + cr) * a->dv + c];
                            }
                        for (int64_t c = 0; c < a->dv; c++)
                            ym[mp][c] /= L;
                        lse = M + log(L);
                    }
                    for (int64_t c = 0; c < a->dv; c++) {
                        double y = a->diff ? ym[0][c] - a->lambda * ym[1][c] : ym[0][c];
                        /* kf/vf are the float32 roundings of the exact K/V: for schemes
                         * whose values are not all float32 (nvfp4) allow for them */
                        double tol = 4e-7 * (fabs(y) + 1e-3) + 1e-7;
                        if (!QCHECK(fabs(t.y[r * a->dv + c] - y) <= tol, "%s seed %llu row %lld col %lld: %.9g vs %.9g",
                                    CFGS[ci].name, (unsigned long long)seed, (long long)r, (long long)c,
                                    t.y[r * a->dv + c], y))
                            if (++bad > QTEST_MAX_REPORTS)
                                break;
                    }
                    if (!a->diff && lse > -INFINITY)
                        QCHECK(fabs(t.lse[r] - lse) <= 1e-6 * (fabs(lse) + 1), "%s lse row %lld: %.9g vs %.9g",
                               CFGS[ci].name, (long long)r, t.lse[r], lse);
                }
        tattn_free(&t);
    }
}

/* ---- fully masked rows ------------------------------------------------------------ */

static void test_attention_fully_masked(void)
{
    tattn t;
    tcfg c = { "masked", A(.batch = 1, .q_heads = 2, .kv_heads = 1, .seq_q = 6, .seq_kv = 4, .d = 16, .dv = 8,
                           .causal = 1, .scale = 0.25f, .splits = 2), NULL, 0, 1.0f };
    CU_ASSERT_EQUAL_FATAL(make_cfg(&t, &c, 7), 0);
    /* pos_i = 4 - 6 + i: rows 0 and 1 see nothing */
    for (int64_t h = 0; h < 2; h++)
        for (int64_t i = 0; i < 6; i++) {
            int64_t r = h * 6 + i;
            for (int64_t cc = 0; cc < 8; cc++) {
                uint32_t bits;
                memcpy(&bits, &t.y[r * 8 + cc], 4);
                if (i < 2) {
                    CU_ASSERT_EQUAL(bits, 0u);
                    CU_ASSERT(t.bound[r * 8 + cc] == 0.0f);
                } else {
                    CU_ASSERT(t.bound[r * 8 + cc] > 0.0f);
                }
            }
            if (i < 2) {
                CU_ASSERT(isinf(t.lse[r]) && t.lse[r] < 0);
                CU_ASSERT(t.blse[r] == 0.0f);
                for (int64_t j = 0; j < 4; j++)
                    CU_ASSERT(t.probs[r * 4 + j] == 0.0f);
            } else {
                double sum = 0;
                for (int64_t j = 0; j < 4; j++)
                    sum += t.probs[r * 4 + j];
                CU_ASSERT(fabs(sum - 1.0) < 1e-6);
                CU_ASSERT(t.probs[r * 4 + 3] == (i >= 5 ? t.probs[r * 4 + 3] : 0.0f));
            }
        }
    /* the float32 kernel returns 0 there too and passes */
    float y[12 * 8];
    tattn_flash32(&t, 16, 2, TBUG_NONE, y, NULL);
    CU_ASSERT_EQUAL(tattn_violations(&t, y, NULL), 0);
    /* a kernel that returns NaN for masked rows (0/0) fails */
    y[0] = NAN;
    CU_ASSERT(tattn_violations(&t, y, NULL) > 0);
    tattn_free(&t);
}

/* ---- split-K --------------------------------------------------------------------- */

static void test_attention_split_reduce(void)
{
    for (int64_t P = 1; P <= 5; P += 2) {
        tattn t;
        tcfg c = CFGS[2];
        c.a.splits = P;
        CU_ASSERT_EQUAL_FATAL(make_cfg(&t, &c, 99), 0);
        int64_t rows = qref_attention_rows(&t.a), dv = t.a.dv;
        double *m = malloc((size_t)(rows * P) * 8), *l = malloc((size_t)(rows * P) * 8);
        double *o = malloc((size_t)(rows * P * dv) * 8), *y = malloc((size_t)(rows * dv) * 8);
        double *lse = malloc((size_t)rows * 8);
        qref_error err;
        CU_ASSERT_EQUAL_FATAL(qref_attention_partials(&t.a, &t.io, m, l, o, &err), QREF_OK);
        qref_attention_reduce(rows, P, dv, m, l, o, y, lse);
        int64_t bad = 0;
        for (int64_t i = 0; i < rows * dv; i++)
            if (fabs(y[i] - t.y[i]) > 1e-6 * fabs(y[i]) + 1e-9)
                bad++;
        for (int64_t r = 0; r < rows; r++)
            if (fabs(lse[r] - t.lse[r]) > 1e-6 * fabs(lse[r]) + 1e-9)
                bad++;
        QCHECK(bad == 0, "splits %lld: %lld elements differ", (long long)P, (long long)bad);
        free(m);
        free(l);
        free(o);
        free(y);
        free(lse);
        tattn_free(&t);
    }
}

/* ---- the bound, both ways --------------------------------------------------------- */

static void test_attention_bound_passes_flash32(void)
{
    static const int blocks[] = { 16, 64, 256 };
    for (size_t ci = 0; ci < NCFG; ci++) {
        tattn t;
        uint64_t seed = 2000 + ci;
        CU_ASSERT_EQUAL_FATAL(make_cfg(&t, &CFGS[ci], seed), 0);
        int64_t n = qref_attention_rows(&t.a) * t.a.dv;
        float *y = malloc((size_t)n * sizeof(float));
        for (int bi = 0; bi < 3; bi++)
            for (int splits = 1; splits <= 3; splits += 2) {
                double worst;
                tattn_flash32(&t, blocks[bi], splits, TBUG_NONE, y, NULL);
                int64_t bad = tattn_violations(&t, y, &worst);
                QCHECK(bad == 0, "%s seed %llu block %d splits %d: %lld violations (worst %.3g x bound)",
                       CFGS[ci].name, (unsigned long long)seed, blocks[bi], splits, (long long)bad, worst);
                if (getenv("QCTS_ATTN_VERBOSE"))
                    printf("%s block %d splits %d: worst |err|/bound %.3g\n", CFGS[ci].name, blocks[bi], splits,
                           worst);
            }
        free(y);
        tattn_free(&t);
    }
}

static void expect_fail(size_t ci, unsigned bug, const char *what)
{
    tattn t;
    CU_ASSERT_EQUAL_FATAL(make_cfg(&t, &CFGS[ci], 3000 + ci), 0);
    int64_t n = qref_attention_rows(&t.a) * t.a.dv;
    float *y = malloc((size_t)n * sizeof(float));
    static const int blocks[] = { 16, 64, 256 };
    for (int bi = 0; bi < 3; bi++) {
        tattn_flash32(&t, blocks[bi], 1, bug, y, NULL);
        int64_t bad = tattn_violations(&t, y, NULL);
        QCHECK(bad > 0, "%s on %s (block %d): no violation", what, CFGS[ci].name, blocks[bi]);
    }
    free(y);
    tattn_free(&t);
}

static void test_attention_bound_fails_bf16_accumulation(void)
{
    expect_fail(0, TBUG_BF16_ACC, "bf16 accumulation");
    expect_fail(2, TBUG_BF16_ACC, "bf16 accumulation");
}

static void test_attention_bound_fails_no_max_subtraction(void)
{
    expect_fail(7, TBUG_NO_MAX, "no max subtraction");
}

static void test_attention_bound_fails_mask_off_by_one(void)
{
    expect_fail(0, TBUG_MASK_OFF_BY_ONE, "causal mask off by one");
    expect_fail(3, TBUG_MASK_OFF_BY_ONE, "causal mask off by one (window)");
}

static void test_attention_bound_fails_gqa_mapping(void)
{
    expect_fail(0, TBUG_GQA_MAP, "GQA head map h % kv_heads");
}

static void test_attention_bound_fails_stale_page(void)
{
    expect_fail(2, TBUG_STALE_PAGE, "stale block-table page");
    expect_fail(5, TBUG_STALE_PAGE, "stale block-table page");
}

/* ---- hostile descriptors ------------------------------------------------------------ */

static void test_attention_rejects_bad_shapes(void)
{
    tattn t;
    CU_ASSERT_EQUAL_FATAL(make_cfg(&t, &CFGS[2], 5), 0);
    qref_error err;
    qref_attention a = t.a;
    qref_attn_io io = t.io;
    a.kv_heads = 3;
    CU_ASSERT_EQUAL(qref_attention_check(&a, &io, &err), QREF_ERR_SIZE);
    CU_ASSERT(strstr(err.msg, "kv_heads") != NULL);
    a = t.a;
    t.bt[0] = (int32_t)a.pages;   /* out of the pool */
    CU_ASSERT_EQUAL(qref_attention_check(&a, &io, &err), QREF_ERR_SIZE);
    CU_ASSERT(strstr(err.msg, "block_table") != NULL);
    t.bt[0] = -1;
    CU_ASSERT_EQUAL(qref_attention_check(&a, &io, &err), QREF_ERR_SIZE);
    t.bt[0] = 0;
    io.k.bytes -= 1;
    CU_ASSERT_EQUAL(qref_attention_check(&a, &io, &err), QREF_ERR_SIZE);
    CU_ASSERT(strstr(err.msg, "K cache") != NULL);
    io = t.io;
    a.splits = 0;
    CU_ASSERT_EQUAL(qref_attention_check(&a, &io, &err), QREF_ERR_SIZE);
    a = t.a;
    a.scale = INFINITY;
    CU_ASSERT_EQUAL(qref_attention_check(&a, &io, &err), QREF_ERR_SIZE);
    a = t.a;
    a.d = 0;
    CU_ASSERT_EQUAL(qref_attention_check(&a, &io, &err), QREF_ERR_SIZE);
    a = t.a;
    a.seq_kv = (int64_t)1 << 40;
    CU_ASSERT_EQUAL(qref_attention_check(&a, &io, &err), QREF_ERR_SIZE);
    CU_ASSERT_EQUAL(qref_attention_check(NULL, &io, &err), QREF_ERR_ARG);
    tattn_free(&t);
}

QTEST_SUITE(attention,
    QTEST(test_attention_definition),
    QTEST(test_attention_fully_masked),
    QTEST(test_attention_split_reduce),
    QTEST(test_attention_bound_passes_flash32),
    QTEST(test_attention_bound_fails_bf16_accumulation),
    QTEST(test_attention_bound_fails_no_max_subtraction),
    QTEST(test_attention_bound_fails_mask_off_by_one),
    QTEST(test_attention_bound_fails_gqa_mapping),
    QTEST(test_attention_bound_fails_stale_page),
    QTEST(test_attention_rejects_bad_shapes))
