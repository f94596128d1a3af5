/* The golden-vector generator (qcts/vectors.h): the suite definitions cover
 * every format x convention and every scheme; a suite generated twice (and
 * from a definition file holding only it) is byte-identical, and equal to
 * the committed file; seeds depend only on the suite name and case index;
 * every exact-fill GEMM case gives its expected output bit for bit when
 * summed in float32 in several orders; random cases hold their bound for a
 * plain float32 loop; every GEMM suite has its zero-weight canary; bad
 * definitions are rejected with a message naming file, suite and field; and
 * verify finds a changed byte and names the tensor. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qcts/safetensors.h"
#include "qcts/vectors.h"
#include "qref/bits.h"
#include "qref/scheme.h"
#include "qref/actquant.h"
#include "qtest.h"

#ifndef QCTS_VECTORS_SUITES
#define QCTS_VECTORS_SUITES "vectors/suites"
#endif
#ifndef QCTS_VECTORS_GOLDEN
#define QCTS_VECTORS_GOLDEN "vectors/golden"
#endif

static qcts_suite_set *load_all(void)
{
    qcts_suite_set *set = NULL;
    char err[QCTS_VEC_ERRLEN];
    qcts_vec_status st = qcts_suites_load(QCTS_VECTORS_SUITES, &set, err, sizeof err);
    QCHECK(st == QCTS_VEC_OK, "loading %s: %s", QCTS_VECTORS_SUITES, err);
    return set;
}

static int gen(const qcts_suite_set *set, const char *name, uint8_t **buf, size_t *len)
{
    char err[QCTS_VEC_ERRLEN];
    long i = qcts_suites_find(set, name);
    if (!QCHECK(i >= 0, "suite %s is not defined", name))
        return -1;
    qcts_vec_status st = qcts_suite_generate(set, (size_t)i, "test", buf, len, err, sizeof err);
    return QCHECK(st == QCTS_VEC_OK, "generating %s: %s", name, err) ? 0 : -1;
}

static void test_definitions_cover_everything(void)
{
    qcts_suite_set *set = load_all();
    if (!set)
        return;
    int bad = 0;
    for (int f = 0; f < QREF_FMT_COUNT; f++)
        for (int c = 0; c < QREF_CONV_COUNT; c++) {
            char name[96];
            snprintf(name, sizeof name, "convert/%s_%s", qref_fmt_get((qref_fmt)f)->name, qref_conv_name((qref_conv)c));
            long i = qcts_suites_find(set, name);
            bad += !QCHECK(i >= 0, "no suite %s", name);
            if (i < 0)
                continue;
            /* every mode that can be chosen is covered: 1 decode + 4 (f32:
             * 3) encode cases per mode */
            int modes = 1;
            qref_mode eff;
            if (qref_mode_resolve((qref_fmt)f, (qref_conv)c, QREF_MODE_SAT, &eff) == QREF_OK &&
                qref_mode_resolve((qref_fmt)f, (qref_conv)c, QREF_MODE_NOSAT, &eff) == QREF_OK)
                modes = 3;
            size_t want = 1 + (size_t)modes * (f == QREF_FMT_F32 ? 3 : 4);
            bad += !QCHECK(qcts_suites_at(set, (size_t)i)->n_cases == want, "%s has %zu cases, expected %zu", name,
                           qcts_suites_at(set, (size_t)i)->n_cases, want);
        }
    static const char *const groups[] = { "quantize", "dequant", "gemv", "gemm" };
    for (size_t k = 0; k < qref_scheme_count(); k++) {
        const qref_scheme *s = qref_scheme_at(k);
        for (size_t g = 0; g < 4; g++) {
            char name[96];
            snprintf(name, sizeof name, "%s/%s", groups[g], s->name);
            int skipped = 0;
            for (size_t j = 0; j < qcts_suites_skip_count(set); j++) {
                const qcts_suite_skip *sk = qcts_suites_skip_at(set, j);
                skipped |= strcmp(sk->group, groups[g]) == 0 && strcmp(sk->target, s->name) == 0;
            }
            bad += !QCHECK((qcts_suites_find(set, name) >= 0) != skipped,
                           "%s: expected either a suite or a skip entry (suite %s, skip %s)", name,
                           qcts_suites_find(set, name) >= 0 ? "yes" : "no", skipped ? "yes" : "no");
        }
    }
    CU_ASSERT_EQUAL(bad, 0);
    qcts_suites_free(set);
}

static const char *const sample_suites[] = {
    "convert/e4m3_ocp", "convert/f16_ml_dtypes_0_6", "convert/e8m0_ggml", "convert/nf4_torch",
    "quantize/nvfp4", "quantize/gguf_q4_k", "dequant/gguf_iq2_xxs", "dequant/int3_asym_g128",
    "gemv/sparse24_fp4_g128", "gemv/gguf_iq3_xxs", "gemm/marlin_int4_g128", "gemm/mxfp6_e3m2",
};

static void test_generate_twice_identical_and_committed(void)
{
    qcts_suite_set *set = load_all();
    if (!set)
        return;
    int bad = 0;
    for (size_t k = 0; k < sizeof sample_suites / sizeof sample_suites[0]; k++) {
        uint8_t *a = NULL, *b = NULL;
        size_t na = 0, nb = 0;
        if (gen(set, sample_suites[k], &a, &na) == 0 && gen(set, sample_suites[k], &b, &nb) == 0)
            bad += !QCHECK(na == nb && memcmp(a, b, na) == 0, "%s: two generations differ", sample_suites[k]);
        free(b);
        /* The committed file has the same bytes, but for the version in
         * qcts.generator ("test" here): compare the tensors. */
        char path[1024], e1[QCTS_ST_ERRLEN], e2[QCTS_ST_ERRLEN];
        snprintf(path, sizeof path, "%s/%s.safetensors", QCTS_VECTORS_GOLDEN, sample_suites[k]);
        qcts_st_file *fa = NULL, *fg = NULL;
        if (a && QCHECK(qcts_st_read_mem(a, na, sample_suites[k], &fa, e1, sizeof e1) == QCTS_ST_OK, "%s", e1) &&
            QCHECK(qcts_st_read_file(path, &fg, e2, sizeof e2) == QCTS_ST_OK, "%s", e2)) {
            bad += !QCHECK(fa->data_size == fg->data_size && memcmp(fa->data, fg->data, fa->data_size) == 0 &&
                               strcmp(qcts_st_meta_get(fa, "qcts.cases"), qcts_st_meta_get(fg, "qcts.cases")) == 0,
                           "%s: differs from the committed %s", sample_suites[k], path);
        } else {
            bad++;
        }
        qcts_st_free(fa);
        qcts_st_free(fg);
        free(a);
    }
    CU_ASSERT_EQUAL(bad, 0);
    qcts_suites_free(set);
}

static char *tmpdir(void)
{
    const char *t = getenv("TMPDIR");
    char tmpl[512];
    snprintf(tmpl, sizeof tmpl, "%s/qcts-gen-XXXXXX", t && *t ? t : "/tmp");
    char *d = mkdtemp(tmpl);
    return d ? strdup(d) : NULL;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void remove_tree(const char *dir)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

/* A definition file holding only suite `name` of `file`, in a new folder. */
static char *isolate(const char *file, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", QCTS_VECTORS_SUITES, file);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char text[1 << 20];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    cJSON *root = cJSON_Parse(text);
    cJSON *suites = cJSON_DetachItemFromObjectCaseSensitive(root, "suites");
    cJSON_DeleteItemFromObjectCaseSensitive(root, "skip");
    cJSON *keep = cJSON_CreateArray();
    for (cJSON *it = suites ? suites->child : NULL; it; it = it->next)
        if (strcmp(cJSON_GetObjectItemCaseSensitive(it, "name")->valuestring, name) == 0)
            cJSON_AddItemToArray(keep, cJSON_Duplicate(it, 1));
    cJSON_AddItemToObject(root, "suites", keep);
    cJSON_Delete(suites);
    char *out = cJSON_Print(root);
    cJSON_Delete(root);
    char *dir = tmpdir();
    if (dir && out) {
        snprintf(path, sizeof path, "%s/only.json", dir);
        write_text(path, out);
    }
    free(out);
    return dir;
}

static void test_seeds_depend_on_name_and_index_only(void)
{
    qcts_suite_set *all = load_all(), *one = NULL;
    char *dir = isolate("gemm.json", "fp4_g32_f16");
    char err[QCTS_VEC_ERRLEN];
    if (!all || !QCHECK(dir != NULL, "cannot isolate a suite") ||
        !QCHECK(qcts_suites_load(dir, &one, err, sizeof err) == QCTS_VEC_OK, "%s", err) ||
        !QCHECK(qcts_suites_count(one) == 1, "isolated set has %zu suites", qcts_suites_count(one)))
        goto out;
    uint8_t *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    /* Suite 0 of a one-suite set and suite k of the full set: same bytes. */
    if (gen(all, "gemm/fp4_g32_f16", &a, &na) == 0 && gen(one, "gemm/fp4_g32_f16", &b, &nb) == 0) {
        CU_ASSERT(na == nb && memcmp(a, b, na) == 0);
        qcts_st_file *f = NULL;
        char sterr[QCTS_ST_ERRLEN];
        if (QCHECK(qcts_st_read_mem(a, na, "gemm/fp4_g32_f16", &f, sterr, sizeof sterr) == QCTS_ST_OK, "%s", sterr)) {
            cJSON *cases = cJSON_Parse(qcts_st_meta_get(f, "qcts.cases"));
            unsigned i = 0;
            for (cJSON *c = cases ? cases->child : NULL; c; c = c->next, i++) {
                char want[32];
                snprintf(want, sizeof want, "0x%016llx", (unsigned long long)qcts_case_seed("gemm/fp4_g32_f16", i));
                QCHECK(strcmp(cJSON_GetObjectItemCaseSensitive(c, "seed")->valuestring, want) == 0,
                       "case %u: seed %s, expected %s", i, cJSON_GetObjectItemCaseSensitive(c, "seed")->valuestring,
                       want);
            }
            CU_ASSERT(i > 0);
            cJSON_Delete(cases);
            qcts_st_free(f);
        }
    }
    free(a);
    free(b);
out:
    qcts_suites_free(all);
    qcts_suites_free(one);
    if (dir)
        remove_tree(dir);
    free(dir);
}

/* ---- exact fill, bounds and canaries -------------------------------------------- */

static float rd16(const uint8_t *p, size_t i, int bf)
{
    uint16_t h = (uint16_t)(p[2 * i] | p[2 * i + 1] << 8);
    return bf ? qref_bf16_to_f32(h) : qref_f16_to_f32(h);
}

static float rd32(const uint8_t *p, size_t i)
{
    uint32_t u = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 |
                 (uint32_t)p[4 * i + 3] << 24;
    return qref_f32_from_bits(u);
}

/* The bits of out.y element i, widened: f32 bits, or f16/bf16 codes. */
static uint32_t out_bits(const qcts_st_tensor *t, size_t i)
{
    const uint8_t *p = t->data;
    if (t->dtype == QCTS_ST_F32)
        return qref_f32_bits(rd32(p, i));
    return (uint32_t)(p[2 * i] | p[2 * i + 1] << 8);
}

static uint32_t round_to(float v, const char *dtype)
{
    if (strcmp(dtype, "f16") == 0)
        return qref_f32_to_f16(v);
    if (strcmp(dtype, "bf16") == 0)
        return qref_f32_to_bf16(v);
    return qref_f32_bits(v);
}

typedef struct gcase {
    const char *scheme, *a_dtype, *out_dtype;
    int64_t B, M, N, K;
    int bias;
    const qcts_st_tensor *a, *w, *b, *y, *bound;
    qref_aq aq;          /* params.a_quant: the sums use the quantized values */
    float *aval;         /* aq != none: B·M·K values s·code in f32 (NaN rows poisoned) */
} gcase;

static int64_t num(const cJSON *p, const char *k) { return (int64_t)cJSON_GetObjectItemCaseSensitive(p, k)->valuedouble; }

static const qcts_st_tensor *tensor(const qcts_st_file *f, const char *id, const char *role)
{
    char name[64];
    snprintf(name, sizeof name, "%s/%s", id, role);
    return qcts_st_find(f, name);
}

static float act(const gcase *g, int64_t b, int64_t m, int64_t k);

/* A quantized (a_quant) by qref_aq_quantize, as the values s·code rounded
 * to f32 (exact for the power-of-two scales of exact fills; one more
 * rounding, inside the bound, otherwise); a poisoned row is NaN. */
static int quantized_values(gcase *g)
{
    size_t mk = (size_t)(g->M * g->K);
    int64_t blk = qref_aq_block(g->aq, g->K), ns = qref_aq_scale_count(g->aq, g->M, g->K);
    float *a = malloc(sizeof *a * mk), *sc = malloc(sizeof *sc * (size_t)ns), *sums = malloc(sizeof *sums * (size_t)ns);
    uint8_t *codes = malloc(mk), *poison = malloc((size_t)g->M);
    float *vals = malloc(sizeof *vals * mk * (size_t)g->B);   /* g->aval stays NULL while act() reads A */
    int ok = a && sc && sums && codes && poison && vals;
    for (int64_t b = 0; ok && b < g->B; b++) {
        for (int64_t m = 0; m < g->M; m++)
            for (int64_t k = 0; k < g->K; k++)
                a[m * g->K + k] = act(g, b, m, k);
        ok = qref_aq_quantize(g->aq, a, g->M, g->K, g->K, codes, sc, sums, poison) == QREF_OK;
        for (int64_t m = 0; ok && m < g->M; m++)
            for (int64_t k = 0; k < g->K; k++) {
                int64_t si = g->aq == QREF_AQ_FP8_E4M3_TENSOR ? 0 : blk == g->K ? m : m * (g->K / blk) + k / blk;
                double v = (double)sc[si] * qref_aq_code_value(g->aq, codes[m * g->K + k]);
                vals[(size_t)b * mk + (size_t)(m * g->K + k)] = poison[m] ? qref_f32_from_bits(0x7FC00000u) : (float)v;
            }
    }
    free(a), free(sc), free(sums), free(codes), free(poison);
    if (!ok)
        free(vals);
    g->aval = ok ? vals : NULL;
    return ok;
}

/* Runs check(case) over every case of every gemm-op suite (every
 * `every`-th suite) whose flags include `flag`. */
static int for_gemm_cases(const char *flag, size_t every, int (*check)(const char *suite, const char *id,
                                                                     const gcase *c))
{
    qcts_suite_set *set = load_all();
    int bad = 0, seen = 0;
    size_t nth = 0;
    for (size_t s = 0; set && s < qcts_suites_count(set); s++) {
        const qcts_suite_info *si = qcts_suites_at(set, s);
        if (strcmp(si->op, "gemm") != 0 || nth++ % every != 0)
            continue;
        uint8_t *buf = NULL;
        size_t len = 0;
        qcts_st_file *f = NULL;
        char sterr[QCTS_ST_ERRLEN];
        if (gen(set, si->name, &buf, &len) != 0 ||
            !QCHECK(qcts_st_read_mem(buf, len, si->name, &f, sterr, sizeof sterr) == QCTS_ST_OK, "%s", sterr)) {
            bad++;
            free(buf);
            continue;
        }
        cJSON *cases = cJSON_Parse(qcts_st_meta_get(f, "qcts.cases"));
        for (cJSON *c = cases ? cases->child : NULL; c; c = c->next) {
            int has = 0;
            for (cJSON *fl = cJSON_GetObjectItemCaseSensitive(c, "flags")->child; fl; fl = fl->next)
                has |= strcmp(fl->valuestring, flag) == 0;
            if (!has)
                continue;
            const char *id = cJSON_GetObjectItemCaseSensitive(c, "id")->valuestring;
            const cJSON *p = cJSON_GetObjectItemCaseSensitive(c, "params");
            gcase g = { cJSON_GetObjectItemCaseSensitive(p, "scheme")->valuestring,
                        cJSON_GetObjectItemCaseSensitive(p, "a_dtype")->valuestring,
                        cJSON_GetObjectItemCaseSensitive(p, "out_dtype")->valuestring,
                        num(p, "batch"), num(p, "M"), num(p, "N"), num(p, "K"),
                        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "bias")),
                        tensor(f, id, "in.a"), tensor(f, id, "in.w"), tensor(f, id, "in.bias"),
                        tensor(f, id, "out.y"), tensor(f, id, "bound.y"), QREF_AQ_NONE, NULL };
            const cJSON *aq = cJSON_GetObjectItemCaseSensitive(p, "a_quant");
            if (aq && (!cJSON_IsString(aq) || qref_aq_from_name(aq->valuestring, &g.aq) != QREF_OK))
                bad += !QCHECK(0, "%s %s: bad params.a_quant", si->name, id);
            if (g.aq && !quantized_values(&g)) {
                bad += !QCHECK(0, "%s %s: cannot quantize A", si->name, id);
                continue;
            }
            seen++;
            bad += check(si->name, id, &g);
            free(g.aval);
        }
        cJSON_Delete(cases);
        qcts_st_free(f);
        free(buf);
    }
    qcts_suites_free(set);
    QCHECK(seen > 0, "no case flagged %s", flag);
    return bad;
}

/* Dequantized weights (f32) of batch b, or NULL. */
static float *weights(const gcase *g, int64_t b)
{
    const qref_scheme *s = qref_scheme_find(g->scheme);
    size_t total = g->w->nbytes / (size_t)g->B;
    qref_qtensor t;
    qref_error e;
    float *w = malloc((size_t)(g->N * g->K) * sizeof *w);
    if (!w || qref_qtensor_load(s, g->N, g->K, (const uint8_t *)g->w->data + (size_t)b * total, total, &t, &e) !=
                  QREF_OK) {
        free(w);
        return NULL;
    }
    qref_status st = qref_dequantize(&t, w, &e);
    qref_qtensor_free(&t);
    if (st != QREF_OK) {
        free(w);
        return NULL;
    }
    return w;
}

static float act(const gcase *g, int64_t b, int64_t m, int64_t k)
{
    size_t i = (size_t)((b * g->M + m) * g->K + k);
    if (g->aval)
        return g->aval[i];
    if (strcmp(g->a_dtype, "f32") == 0)
        return rd32(g->a->data, i);
    return rd16(g->a->data, i, strcmp(g->a_dtype, "bf16") == 0);
}

/* Orders: 0 forward, 1 backward, 2 even indices then odd, 3.. seeded
 * shuffles; the bias comes first in even orders and last in odd ones. */
static float sum_in_order(const gcase *g, const float *w, int64_t b, int64_t m, int64_t n, int order, int64_t *perm)
{
    int64_t K = g->K;
    for (int64_t k = 0; k < K; k++)
        perm[k] = order == 1 ? K - 1 - k : order == 2 ? (k < (K + 1) / 2 ? 2 * k : 2 * (k - (K + 1) / 2) + 1) : k;
    if (order >= 3) {
        qcts_rng r;
        qcts_rng_seed(&r, (uint64_t)order * 1000003u + (uint64_t)(m * 131 + n));
        for (int64_t k = K - 1; k > 0; k--) {
            int64_t j = (int64_t)qcts_rng_below(&r, (uint64_t)k + 1), t = perm[k];
            perm[k] = perm[j];
            perm[j] = t;
        }
    }
    float bias = g->bias ? rd32(g->b->data, (size_t)(b * g->N + n)) : 0.0f;
    float acc = 0.0f;
    if (g->bias && order % 2 == 0)
        acc += bias;
    for (int64_t k = 0; k < K; k++)
        acc += act(g, b, m, perm[k]) * w[n * K + perm[k]];
    if (g->bias && order % 2 == 1)
        acc += bias;
    return acc;
}

/* Every suite normally; every fourth with QCTS_TEST_QUICK (qemu). */
static size_t quick_every(void) { return qtest_scale(16) < 16 ? 4 : 1; }

static int check_exact_fill(const char *suite, const char *id, const gcase *g)
{
    int bad = 0, orders = 3 + (int)qtest_scale(4);
    int64_t *perm = malloc((size_t)g->K * sizeof *perm);
    for (int64_t b = 0; b < g->B && perm; b++) {
        float *w = weights(g, b);
        if (!QCHECK(w != NULL, "%s %s: weights do not load", suite, id)) {
            bad++;
            continue;
        }
        for (int64_t m = 0; m < g->M; m++)
            for (int64_t n = 0; n < g->N; n++) {
                uint32_t want = out_bits(g->y, (size_t)((b * g->M + m) * g->N + n));
                for (int o = 0; o < orders; o++) {
                    uint32_t got = round_to(sum_in_order(g, w, b, m, n, o, perm), g->out_dtype);
                    bad += !QCHECK(got == want, "%s %s [%lld,%lld,%lld]: order %d gives 0x%x, expected 0x%x", suite,
                                   id, (long long)b, (long long)m, (long long)n, o, got, want);
                }
            }
        free(w);
    }
    free(perm);
    return bad != 0;
}

static void test_exact_fill_is_exact_in_every_order(void)
{
    CU_ASSERT_EQUAL(for_gemm_cases("exact_fill", quick_every(), check_exact_fill), 0);
}

static double widen(uint32_t bits, const char *dtype)
{
    if (strcmp(dtype, "f16") == 0)
        return qref_f16_to_f32((uint16_t)bits);
    if (strcmp(dtype, "bf16") == 0)
        return qref_bf16_to_f32((uint16_t)bits);
    return qref_f32_from_bits(bits);
}

static int check_bound(const char *suite, const char *id, const gcase *g)
{
    int bad = 0;
    if (g->aq == QREF_AQ_GGUF_Q8_1)   /* ggml's m_w·s_a term is no Σ a·w: ref/tests/test_actquant.c checks it */
        return 0;
    int64_t *perm = malloc((size_t)g->K * sizeof *perm);
    if (!QCHECK(g->bound != NULL, "%s %s: random case without bound.y", suite, id)) {
        free(perm);
        return 1;
    }
    for (int64_t b = 0; b < g->B && perm; b++) {
        float *w = weights(g, b);
        if (!w) {
            bad++;
            continue;
        }
        for (int64_t m = 0; m < g->M; m++)
            for (int64_t n = 0; n < g->N; n++) {
                size_t i = (size_t)((b * g->M + m) * g->N + n);
                double want = widen(out_bits(g->y, i), g->out_dtype), bound = rd32(g->bound->data, i);
                for (int o = 0; o < 2; o++) {
                    double got = widen(round_to(sum_in_order(g, w, b, m, n, o, perm), g->out_dtype), g->out_dtype);
                    double d = got > want ? got - want : want - got;
                    if (want != want || want - want != 0)   /* NaN or Inf (NaN/Inf activations): exact */
                        d = (want != want && got != got) || got == want ? 0 : 1;
                    bad += !QCHECK(d <= bound, "%s %s [%lld,%lld,%lld]: order %d is off by %g, bound %g", suite, id,
                                   (long long)b, (long long)m, (long long)n, o, d, bound);
                }
            }
        free(w);
    }
    free(perm);
    return bad != 0;
}

static void test_random_cases_hold_their_bound(void)
{
    CU_ASSERT_EQUAL(for_gemm_cases("random", quick_every(), check_bound), 0);
}

static int canaries;
static int check_canary(const char *suite, const char *id, const gcase *g)
{
    int bad = 0;
    canaries++;
    for (size_t i = 0; i < g->y->nbytes; i++)
        bad |= ((const uint8_t *)g->y->data)[i] != 0;
    return !QCHECK(!bad && !g->bias && g->bound == NULL, "%s %s: the degenerate canary must be all +0, exact",
                   suite, id);
}

static void test_every_gemm_suite_has_a_canary(void)
{
    canaries = 0;
    CU_ASSERT_EQUAL(for_gemm_cases("degenerate", 1, check_canary), 0);
    qcts_suite_set *set = load_all();
    int gemm_suites = 0;
    for (size_t s = 0; set && s < qcts_suites_count(set); s++)
        gemm_suites += strcmp(qcts_suites_at(set, s)->op, "gemm") == 0;
    qcts_suites_free(set);
    CU_ASSERT_EQUAL(canaries, gemm_suites);
}

/* ---- bad definitions, manifest and verify ------------------------------------- */

static void expect_rejected(const char *json, const char *needle)
{
    char *dir = tmpdir(), path[1024], err[QCTS_VEC_ERRLEN] = "";
    if (!dir)
        return;
    snprintf(path, sizeof path, "%s/bad.json", dir);
    write_text(path, json);
    qcts_suite_set *set = NULL;
    qcts_vec_status st = qcts_suites_load(dir, &set, err, sizeof err);
    QCHECK(st == QCTS_VEC_ERR_SUITE && set == NULL && strstr(err, needle) && strstr(err, "bad.json"),
           "definition %s: status %s, message '%s' (expected one naming '%s')", json, qcts_vec_status_name(st), err,
           needle);
    qcts_suites_free(set);
    remove_tree(dir);
    free(dir);
}

static void test_bad_definitions_are_rejected(void)
{
    expect_rejected("{\"group\":\"quantize\",\"op\":\"quantize\",\"suites\":[{\"name\":\"x\",\"scheme\":\"fp4_g32_f16\","
                    "\"cases\":[{\"rows\":1,\"cols\":100,\"dist\":\"gaussian\"}]}]}",
                    "suite 'quantize/x': cases[0]: 1 x 100 does not fit fp4_g32_f16");
    expect_rejected("{\"group\":\"quantize\",\"op\":\"quantize\",\"suites\":[{\"name\":\"x\",\"scheme\":\"fp4_g32_f16\","
                    "\"cases\":[{\"rows\":1,\"cols\":32,\"dist\":\"gaussian\",\"colz\":3}]}]}",
                    "unknown key 'colz'");
    expect_rejected("{\"group\":\"quantize\",\"op\":\"quantize\",\"suites\":[{\"name\":\"x\",\"scheme\":\"gguf_iq2_xxs\","
                    "\"cases\":[{\"rows\":1,\"cols\":256,\"dist\":\"gaussian\"}]}]}",
                    "has no quantizer");
    expect_rejected("{\"group\":\"convert\",\"op\":\"convert\",\"suites\":[{\"name\":\"x\",\"fmt\":\"e4m3\","
                    "\"convention\":\"torch\",\"modes\":[\"sat\"],\"coverage\":\"full\",\"random\":1}]}",
                    "mode 'sat' is not available for e4m3 under torch");
    expect_rejected("{\"group\":\"gemm\",\"op\":\"gemm\",\"suites\":[{\"name\":\"x\",\"scheme\":\"nope\",\"cases\":[]}]}",
                    "'scheme' must name a scheme preset");
    expect_rejected("{\"group\":\"gemm\",\"op\":\"gemm\",\"suites\":[{\"name\":\"x\",\"scheme\":\"mxfp4\",\"cases\":"
                    "[{\"M\":1,\"N\":8,\"K\":32,\"dist\":\"zeros\",\"bias\":true}]}]}",
                    "canary has no bias");
    expect_rejected("{\"group\":\"gemm\",\"op\":\"gemm\",\"suites\":[{\"name\":\"x\",\"scheme\":\"mxfp4\",\"cases\":"
                    "[{\"M\":1,\"N\":8,\"K\":32,\"dist\":\"zeros\"}]},{\"name\":\"x\",\"scheme\":\"mxfp4\",\"cases\":"
                    "[{\"M\":1,\"N\":8,\"K\":32,\"dist\":\"zeros\"}]}]}",
                    "defined twice");
}

static void test_gen_verify_finds_a_changed_byte(void)
{
    char *defs = tmpdir(), *out = tmpdir(), path[1200], err[QCTS_VEC_ERRLEN];
    qcts_suite_set *set = NULL;
    if (!defs || !out)
        goto done;
    snprintf(path, sizeof path, "%s/small.json", defs);
    write_text(path, "{\"group\":\"gemv\",\"op\":\"gemm\",\"suites\":["
                     "{\"name\":\"a\",\"scheme\":\"mxfp4\",\"cases\":[{\"M\":1,\"N\":8,\"K\":64,\"dist\":\"gaussian\"},"
                     "{\"M\":1,\"N\":8,\"K\":32,\"dist\":\"integers\"}]},"
                     "{\"name\":\"b\",\"scheme\":\"int8_per_channel\",\"cases\":[{\"M\":1,\"N\":3,\"K\":5,\"dist\":\"zeros\"}]}]}");
    if (!QCHECK(qcts_suites_load(defs, &set, err, sizeof err) == QCTS_VEC_OK, "%s", err))
        goto done;
    qcts_vec_opts o = { "test", 2, NULL };
    CU_ASSERT_EQUAL_FATAL(qcts_vectors_gen(set, "all", out, &o, err, sizeof err), QCTS_VEC_OK);
    CU_ASSERT_EQUAL(qcts_vectors_verify(set, out, 1, &o, err, sizeof err), QCTS_VEC_OK);
    /* Flip the last byte of gemv/a (the data of its last tensor). */
    snprintf(path, sizeof path, "%s/gemv/a.safetensors", out);
    FILE *f = fopen(path, "r+b");
    if (!QCHECK(f != NULL, "cannot open %s", path))
        goto done;
    fseek(f, -1, SEEK_END);
    int c = fgetc(f);
    fseek(f, -1, SEEK_END);
    fputc(c ^ 1, f);
    fclose(f);
    char *log = NULL;
    size_t loglen = 0;
    o.log = open_memstream(&log, &loglen);
    qcts_vec_status st = qcts_vectors_verify(set, out, 1, &o, err, sizeof err);
    fclose(o.log);
    CU_ASSERT_EQUAL(st, QCTS_VEC_ERR_MISMATCH);
    QCHECK(log && strstr(log, "gemv/a.safetensors: sha256") && strstr(log, "differs from a regeneration") &&
               strstr(log, "tensor 'c00"),
           "verify log does not name the file and tensor:\n%s", log ? log : "");
    free(log);
done:
    qcts_suites_free(set);
    if (defs)
        remove_tree(defs);
    if (out)
        remove_tree(out);
    free(defs);
    free(out);
}

QTEST_SUITE(gen,
    QTEST(test_definitions_cover_everything),
    QTEST(test_generate_twice_identical_and_committed),
    QTEST(test_seeds_depend_on_name_and_index_only),
    QTEST(test_exact_fill_is_exact_in_every_order),
    QTEST(test_random_cases_hold_their_bound),
    QTEST(test_every_gemm_suite_has_a_canary),
    QTEST(test_bad_definitions_are_rejected),
    QTEST(test_gen_verify_finds_a_changed_byte))
