/* gen_attention.c — golden cases of the attention op (CASES.md "attention").
 * Each case definition of vectors/suites/attention*.json is an object with
 * the op's params (qcts/op_attention.h: batch, q_heads, kv_heads, seq_q,
 * seq_kv, d, dv, causal, window, tree, scale, diff, lambda, kv_scheme,
 * kv_dtype, kv_per_head, page_size, pages, splits, out_dtype, want_lse,
 * want_probs) plus
 *   dist      "gaussian" (q, K, V gaussian), "outliers" (K and V with about
 *             1 in 64 values times 256: quantized KV with outliers) or
 *             "large" (q and K times 8: logits of several hundred, which
 *             overflow float32 exp without max subtraction)
 *   bound_c   the bound multiplier (default 1)
 * Defaults: dv = d, scale = 1/sqrt(d) rounded to float32, pages = batch·
 * ceil(seq_kv/page_size) + 3 (spare pages: the table is a shuffled
 * permutation of the pool, so pages are neither in order nor all used).
 * The inputs come from the case seed; K and V are quantized by the scheme
 * (qref_quantize) when kv_scheme is set; the tree mask is a random tree
 * (each node sees its ancestors and itself). Outputs and bounds come from
 * qref_attention_run: check "bound" on y (and lse, probs when asked). */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "gen_impl.h"
#include "qref/attention.h"
#include "qref/mathx.h"

static const char *const KEYS[] = { "batch",     "q_heads",   "kv_heads",    "seq_q",     "seq_kv",   "d",
                                    "dv",        "causal",    "window",      "tree",      "scale",    "diff",
                                    "lambda",    "kv_scheme", "kv_dtype",    "kv_per_head", "page_size", "pages",
                                    "splits",    "out_dtype", "want_lse",    "want_probs", "dist",     "bound_c",
                                    "threads",   NULL };

typedef struct attn_def {
    qref_attention a;
    const qref_scheme *scheme;
    qref_fmt kv_dtype, out_dtype;
    int per_head, want_lse, want_probs, bound_c, threads;
    int dist;                    /* 0 gaussian, 1 outliers, 2 large */
} attn_def;

static int get_int(vfile *f, const cJSON *o, const char *key, int64_t dflt, int64_t lo, int64_t hi, int64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) {
        *out = dflt;
        return 0;
    }
    if (cJSON_IsBool(v)) {
        *out = cJSON_IsTrue(v);
        return 0;
    }
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int64_t)v->valuedouble || v->valuedouble < (double)lo ||
        v->valuedouble > (double)hi) {
        vf_fail(f, QCTS_VEC_ERR_SUITE, "%s: attention case: '%s' must be an integer in %lld..%lld", f->s->info.name,
                key, (long long)lo, (long long)hi);
        return -1;
    }
    *out = (int64_t)v->valuedouble;
    return 0;
}

static int get_fmt(vfile *f, const cJSON *o, const char *key, qref_fmt *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    *out = QREF_FMT_F32;
    if (!v)
        return 0;
    if (cJSON_IsString(v) && strcmp(v->valuestring, "f32") == 0)
        return 0;
    if (cJSON_IsString(v) && strcmp(v->valuestring, "f16") == 0) {
        *out = QREF_FMT_F16;
        return 0;
    }
    if (cJSON_IsString(v) && strcmp(v->valuestring, "bf16") == 0) {
        *out = QREF_FMT_BF16;
        return 0;
    }
    vf_fail(f, QCTS_VEC_ERR_SUITE, "%s: attention case: '%s' must be \"f32\", \"f16\" or \"bf16\"", f->s->info.name,
            key);
    return -1;
}

static int parse_def(vfile *f, const char *raw, attn_def *df)
{
    memset(df, 0, sizeof *df);
    cJSON *o = cJSON_Parse(raw);
    if (!o) {
        vf_fail(f, QCTS_VEC_ERR_SUITE, "%s: attention case is not JSON", f->s->info.name);
        return -1;
    }
    int rc = -1;
    for (const cJSON *it = o->child; it; it = it->next) {
        int known = 0;
        for (int k = 0; KEYS[k]; k++)
            known |= strcmp(it->string, KEYS[k]) == 0;
        if (!known) {
            vf_fail(f, QCTS_VEC_ERR_SUITE, "%s: attention case: unknown key '%s'", f->s->info.name, it->string);
            goto out;
        }
    }
    int64_t v;
    qref_attention *a = &df->a;
#define I(key, field, dflt, lo, hi)                         \
    if (get_int(f, o, key, dflt, lo, hi, &v))               \
        goto out;                                           \
    field = v;
    I("batch", a->batch, 1, 1, 64)
    I("q_heads", a->q_heads, 1, 1, 128)
    I("kv_heads", a->kv_heads, a->q_heads, 1, 128)
    I("seq_q", a->seq_q, 1, 1, 1 << 16)
    I("seq_kv", a->seq_kv, 1, 1, 1 << 16)
    I("d", a->d, 64, 1, 512)
    I("dv", a->dv, a->d, 1, 512)
    I("causal", a->causal, 0, 0, 1)
    I("window", a->window, 0, 0, 1 << 16)
    I("tree", a->tree, 0, 0, 1)
    I("diff", a->diff, 0, 0, 1)
    I("page_size", a->page_size, 0, 0, 4096)
    int64_t pps = a->page_size ? (a->seq_kv + a->page_size - 1) / a->page_size : 0;
    I("pages", a->pages, a->page_size ? a->batch * pps + 3 : 0, 0, 1 << 20)
    I("splits", a->splits, 1, 1, 1 << 16)
    I("kv_per_head", df->per_head, 0, 0, 1)
    I("want_lse", df->want_lse, 0, 0, 1)
    I("want_probs", df->want_probs, 0, 0, 1)
    I("bound_c", df->bound_c, 1, 1, 1000)
    I("threads", df->threads, 1, 0, 64)
#undef I
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(o, "scale");
    if (sc && !cJSON_IsNumber(sc)) {
        vf_fail(f, QCTS_VEC_ERR_SUITE, "%s: attention case: 'scale' must be a number", f->s->info.name);
        goto out;
    }
    a->scale = sc ? (float)sc->valuedouble : (float)(1.0 / qref_sqrt((double)a->d));
    const cJSON *lm = cJSON_GetObjectItemCaseSensitive(o, "lambda");
    if (lm && !cJSON_IsNumber(lm)) {
        vf_fail(f, QCTS_VEC_ERR_SUITE, "%s: attention case: 'lambda' must be a number", f->s->info.name);
        goto out;
    }
    a->lambda = lm ? (float)lm->valuedouble : 0.0f;
    const cJSON *ks = cJSON_GetObjectItemCaseSensitive(o, "kv_scheme");
    if (ks && (!cJSON_IsString(ks) || (ks->valuestring[0] && !qref_scheme_find(ks->valuestring)))) {
        vf_fail(f, QCTS_VEC_ERR_SUITE, "%s: attention case: 'kv_scheme' must name a scheme preset",
                f->s->info.name);
        goto out;
    }
    df->scheme = ks && ks->valuestring[0] ? qref_scheme_find(ks->valuestring) : NULL;
    if (get_fmt(f, o, "kv_dtype", &df->kv_dtype) || get_fmt(f, o, "out_dtype", &df->out_dtype))
        goto out;
    const cJSON *ds = cJSON_GetObjectItemCaseSensitive(o, "dist");
    const char *dn = ds && cJSON_IsString(ds) ? ds->valuestring : ds ? "?" : "gaussian";
    if (strcmp(dn, "gaussian") == 0)
        df->dist = 0;
    else if (strcmp(dn, "outliers") == 0)
        df->dist = 1;
    else if (strcmp(dn, "large") == 0)
        df->dist = 2;
    else {
        vf_fail(f, QCTS_VEC_ERR_SUITE, "%s: attention case: 'dist' must be gaussian, outliers or large",
                f->s->info.name);
        goto out;
    }
    if (a->tree && a->seq_q > 4096) {
        vf_fail(f, QCTS_VEC_ERR_SUITE, "%s: attention case: a tree mask takes seq_q <= 4096", f->s->info.name);
        goto out;
    }
    rc = 0;
out:
    cJSON_Delete(o);
    return rc;
}

static int any_masked_row(const qref_attention *a, const uint32_t *tree)
{
    for (int64_t b = 0; b < a->batch; b++)
        for (int64_t i = 0; i < a->seq_q; i++) {
            int vis = 0;
            for (int64_t j = 0; j < a->seq_kv && !vis; j++)
                vis = qref_attention_visible(a, tree, b, i, j);
            if (!vis)
                return 1;
        }
    return 0;
}

static void fill(qcts_rng *r, int64_t n, float amp, int outliers, float *out)
{
    vin_fill(r, outliers ? VD_OUTLIERS : VD_GAUSS, 1, n, 0, out);
    for (int64_t i = 0; i < n; i++)
        out[i] *= amp;
}

/* One cache: plain values (written in kv_dtype) or quantized by the scheme.
 * *bytes gets the serialized form the op reads. */
static int make_cache(vfile *f, const attn_def *df, const float *vals, int64_t cols, uint8_t **bytes, size_t *len)
{
    const qref_attention *a = &df->a;
    int64_t R = qref_attention_cache_rows(a), H = a->kv_heads, n = H * R * cols;
    if (!df->scheme) {
        size_t es = df->kv_dtype == QREF_FMT_F32 ? 4 : 2;
        *len = (size_t)n * es;
        *bytes = malloc(*len ? *len : 1);
        if (!*bytes)
            return -1;
        for (int64_t i = 0; i < n; i++) {
            uint32_t u;
            if (df->kv_dtype == QREF_FMT_F32) {
                memcpy(&u, &vals[i], 4);
                for (int k = 0; k < 4; k++)
                    (*bytes)[i * 4 + k] = (uint8_t)(u >> (8 * k));
            } else {
                u = df->kv_dtype == QREF_FMT_F16 ? qref_f32_to_f16(vals[i]) : qref_f32_to_bf16(vals[i]);
                (*bytes)[i * 2] = (uint8_t)u;
                (*bytes)[i * 2 + 1] = (uint8_t)(u >> 8);
            }
        }
        return 0;
    }
    int parts = df->per_head ? (int)H : 1;
    int64_t rows = df->per_head ? R : H * R;
    *len = 0;
    *bytes = NULL;
    for (int p = 0; p < parts; p++) {
        qref_qtensor q;
        qref_error e;
        if (qref_quantize(df->scheme, rows, cols, vals + (size_t)p * (size_t)(rows * cols), &q, &e) != QREF_OK) {
            vf_fail(f, QCTS_VEC_ERR_GEN, "%s: attention: quantize %s: %s", f->s->info.name, df->scheme->name,
                    e.msg);
            return -1;
        }
        uint8_t *nb = realloc(*bytes, *len + q.sizes.total);
        if (!nb) {
            qref_qtensor_free(&q);
            return -1;
        }
        *bytes = nb;
        qref_qtensor_save(&q, *bytes + *len, q.sizes.total);
        *len += q.sizes.total;
        qref_qtensor_free(&q);
    }
    return 0;
}

static const char *fmt_name(qref_fmt f) { return f == QREF_FMT_F16 ? "f16" : f == QREF_FMT_BF16 ? "bf16" : "f32"; }

static void one_case(vfile *f, const vcase_def *cd)
{
    attn_def df;
    if (parse_def(f, cd->raw, &df))
        return;
    qref_attention *a = &df.a;
    qcts_rng r;
    uint64_t seed;
    unsigned id = vf_begin(f, &r, &seed);
    int64_t rows = a->batch * a->q_heads * a->seq_q, R, H = a->kv_heads;
    int64_t pps = a->page_size ? (a->seq_kv + a->page_size - 1) / a->page_size : 0;
    int64_t words = (a->seq_q + 31) / 32;
    if (a->page_size && a->pages < a->batch * pps) {
        vf_fail(f, QCTS_VEC_ERR_SUITE, "%s: attention case: pages %lld < batch x pages per sequence %lld",
                f->s->info.name, (long long)a->pages, (long long)(a->batch * pps));
        return;
    }
    R = qref_attention_cache_rows(a);
    float amp = df.dist == 2 ? 8.0f : 1.0f;
    float *q = malloc((size_t)(rows * a->d) * 4), *kv = malloc((size_t)(H * R * a->d) * 4);
    float *vv = malloc((size_t)(H * R * a->dv) * 4);
    int32_t *bt = pps ? malloc((size_t)(a->batch * pps) * 4) : NULL;
    int32_t *perm = a->page_size ? malloc((size_t)a->pages * 4) : NULL;
    uint32_t *tree = a->tree ? calloc((size_t)(a->batch * a->seq_q * words), 4) : NULL;
    size_t ye = (size_t)(rows * a->dv);
    void *y = malloc(ye * 4);
    float *by = malloc(ye * 4), *lse = NULL, *blse = NULL, *pr = NULL, *bpr = NULL;
    uint8_t *kb = NULL, *vb = NULL;
    size_t kl = 0, vl = 0;
    if (df.want_lse) {
        lse = malloc((size_t)rows * 4);
        blse = malloc((size_t)rows * 4);
    }
    if (df.want_probs) {
        pr = malloc((size_t)(rows * a->seq_kv) * 4);
        bpr = malloc((size_t)(rows * a->seq_kv) * 4);
    }
    if (!q || !kv || !vv || (pps && !bt) || (a->page_size && !perm) || (a->tree && !tree) || !y || !by ||
        (df.want_lse && (!lse || !blse)) || (df.want_probs && (!pr || !bpr))) {
        vf_fail(f, QCTS_VEC_ERR_NOMEM, "%s: attention: out of memory", f->s->info.name);
        goto done;
    }
    fill(&r, rows * a->d, amp, 0, q);
    fill(&r, H * R * a->d, amp, df.dist == 1, kv);
    fill(&r, H * R * a->dv, 1.0f, df.dist == 1, vv);
    if (a->page_size) {
        for (int64_t i = 0; i < a->pages; i++)
            perm[i] = (int32_t)i;
        for (int64_t i = a->pages - 1; i > 0; i--) {
            int64_t j = (int64_t)qcts_rng_below(&r, (uint64_t)(i + 1));
            int32_t x = perm[i];
            perm[i] = perm[j];
            perm[j] = x;
        }
        memcpy(bt, perm, (size_t)(a->batch * pps) * 4);
    }
    if (a->tree)
        for (int64_t b = 0; b < a->batch; b++) {
            int64_t par[4096];
            for (int64_t i = 0; i < a->seq_q && i < 4096; i++) {
                par[i] = i ? (int64_t)qcts_rng_below(&r, (uint64_t)i) : -1;
                for (int64_t x = i; x >= 0; x = par[x])
                    tree[(b * a->seq_q + i) * words + x / 32] |= 1u << (x % 32);
            }
        }
    if (make_cache(f, &df, kv, a->d, &kb, &kl) || make_cache(f, &df, vv, a->dv, &vb, &vl)) {
        if (vf_ok(f))
            vf_fail(f, QCTS_VEC_ERR_NOMEM, "%s: attention: out of memory", f->s->info.name);
        goto done;
    }
    qref_attn_io io = { 0 };
    io.q = q;
    io.k = (qref_attn_cache){ df.scheme, df.kv_dtype, df.per_head, kb, kl };
    io.v = (qref_attn_cache){ df.scheme, df.kv_dtype, df.per_head, vb, vl };
    io.block_table = bt;
    io.tree_mask = tree;
    io.out_dtype = df.out_dtype;
    io.y = y;
    io.bound_y = by;
    io.lse = lse;
    io.bound_lse = blse;
    io.probs = pr;
    io.bound_probs = bpr;
    qref_error e;
    qref_status st = qref_attention_run(a, &io, &e);
    if (st != QREF_OK) {
        vf_fail(f, QCTS_VEC_ERR_SUITE, "%s: c%03u: attention: %s", f->s->info.name, id, e.msg);
        goto done;
    }
    for (size_t i = 0; i < ye; i++)
        if (!(by[i] < 1e30f)) {
            vf_fail(f, QCTS_VEC_ERR_GEN, "%s: c%03u (seed 0x%016llx): no finite bound for element %zu",
                    f->s->info.name, id, (unsigned long long)seed, i);
            goto done;
        }

    vflags fl = { { 0 }, 0 };
    vflags_add(&fl, a->seq_q == 1 ? "decode" : "prefill");
    if (a->causal)
        vflags_add(&fl, "causal");
    if (a->window)
        vflags_add(&fl, "window");
    if (a->tree)
        vflags_add(&fl, "tree");
    if (a->diff)
        vflags_add(&fl, "diff");
    if (a->page_size)
        vflags_add(&fl, "paged");
    if (a->splits > 1)
        vflags_add(&fl, "split_k");
    if (a->kv_heads == 1 && a->q_heads > 1)
        vflags_add(&fl, "mqa");
    else if (a->kv_heads < a->q_heads)
        vflags_add(&fl, "gqa");
    if (df.scheme)
        vflags_add(&fl, "quantized_kv");
    if (df.dist == 1)
        vflags_add(&fl, "outliers");
    if (df.dist == 2)
        vflags_add(&fl, "large_logits");
    if (a->seq_kv == 1)
        vflags_add(&fl, "seq_kv_1");
    if (a->seq_kv % 16)
        vflags_add(&fl, "kv_tail");
    if (any_masked_row(a, tree))
        vflags_add(&fl, "all_masked_rows");
    if (df.want_probs)
        vflags_add(&fl, "probs");

    vbuf p = { 0 };
    vb_printf(&p,
              "{\"batch\":%lld,\"q_heads\":%lld,\"kv_heads\":%lld,\"seq_q\":%lld,\"seq_kv\":%lld,\"d\":%lld,"
              "\"dv\":%lld,\"causal\":%s,\"window\":%lld,\"tree\":%s,\"scale\":%.9g,\"diff\":%s,\"lambda\":%.9g,"
              "\"kv_scheme\":\"%s\",\"kv_dtype\":\"%s\",\"kv_per_head\":%s,\"page_size\":%lld,\"pages\":%lld,"
              "\"splits\":%lld,\"out_dtype\":\"%s\",\"want_lse\":%s,\"want_probs\":%s,\"threads\":%d,"
              "\"bound_c\":%d,\"exp_ulps\":2}",
              (long long)a->batch, (long long)a->q_heads, (long long)a->kv_heads, (long long)a->seq_q,
              (long long)a->seq_kv, (long long)a->d, (long long)a->dv, a->causal ? "true" : "false",
              (long long)a->window, a->tree ? "true" : "false", (double)a->scale, a->diff ? "true" : "false",
              (double)a->lambda, df.scheme ? df.scheme->name : "", fmt_name(df.kv_dtype),
              df.per_head ? "true" : "false", (long long)a->page_size, (long long)a->pages, (long long)a->splits,
              fmt_name(df.out_dtype), df.want_lse ? "true" : "false", df.want_probs ? "true" : "false", df.threads,
              df.bound_c);
    vf_case(f, id, seed, "bound", &fl, df.dist == 1 ? "outliers" : df.dist == 2 ? "large" : "gaussian", p.p);
    vb_free(&p);
    int64_t qs[4] = { a->batch, a->q_heads, a->seq_q, a->d }, ys[4] = { a->batch, a->q_heads, a->seq_q, a->dv };
    vf_tensor_f32(f, id, "in.q", q, qs, 4);
    if (df.scheme) {
        int64_t ks[1] = { (int64_t)kl }, vs[1] = { (int64_t)vl };
        vf_tensor(f, id, "in.k", QCTS_ST_U8, ks, 1, kb, kl);
        vf_tensor(f, id, "in.v", QCTS_ST_U8, vs, 1, vb, vl);
    } else {
        int64_t ks[3] = { H, R, a->d }, vs[3] = { H, R, a->dv };
        qcts_st_dtype dt = vdtype_st(df.kv_dtype);
        vf_tensor(f, id, "in.k", dt, ks, 3, kb, kl);
        vf_tensor(f, id, "in.v", dt, vs, 3, vb, vl);
    }
    if (a->page_size) {
        int64_t bs[2] = { a->batch, pps };
        vf_tensor_u32(f, id, "in.block_table", QCTS_ST_I32, (const uint32_t *)bt, bs, 2);
    }
    if (a->tree) {
        int64_t ts[3] = { a->batch, a->seq_q, words };
        vf_tensor_u32(f, id, "in.tree_mask", QCTS_ST_U32, tree, ts, 3);
    }
    if (df.out_dtype == QREF_FMT_F32)
        vf_tensor_f32(f, id, "out.y", y, ys, 4);
    else
        vf_tensor_u16(f, id, "out.y", vdtype_st(df.out_dtype), y, ys, 4);
    vf_tensor_f32(f, id, "bound.y", by, ys, 4);
    if (df.want_lse) {
        int64_t ls[3] = { a->batch, a->q_heads, a->seq_q };
        vf_tensor_f32(f, id, "out.lse", lse, ls, 3);
        vf_tensor_f32(f, id, "bound.lse", blse, ls, 3);
    }
    if (df.want_probs) {
        int64_t ps[4] = { a->batch, a->q_heads, a->seq_q, a->seq_kv };
        vf_tensor_f32(f, id, "out.probs", pr, ps, 4);
        vf_tensor_f32(f, id, "bound.probs", bpr, ps, 4);
    }
done:
    free(q);
    free(kv);
    free(vv);
    free(bt);
    free(perm);
    free(tree);
    free(y);
    free(by);
    free(lse);
    free(blse);
    free(pr);
    free(bpr);
    free(kb);
    free(vb);
}

void vgen_attention(vfile *f)
{
    for (size_t i = 0; i < f->s->n_defs && vf_ok(f); i++)
        one_case(f, &f->s->cases[i]);
}
