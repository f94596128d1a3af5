/* gen_moe_experts.c — golden cases of the moe_experts op (qcts/op_moe.h).
 *
 * A case definition (vectors/suites/moe_experts.json) is
 *   {"scheme": preset, "n_tokens": T, "hidden": H, "inter": I,
 *    "n_experts": E, "top_k": K, "has_shared": bool, "shared_inter": Is,
 *    "ids": "distinct"|"random"|"skewed", "threads": t}
 * Weights: the scheme's quantization of gaussian x 0.1 matrices (random
 * valid blocks for the schemes without a quantizer); x gaussian; combine
 * weights uniform in [0.05, 1.05). ids: distinct = K different experts per
 * token, never the last expert (it gets no token); random = with repetition
 * (an expert may get the same token twice); skewed = experts 0 and 1 only.
 * Check bound with bound.y from qref_moe_experts (the GEMM bound composed
 * through SwiGLU, down and the combine: qref/moe.h, vectors/README.md). */
#include <stdlib.h>
#include <string.h>

#include "gen_moe.h"
#include "qref/moe.h"

static int has_quantizer(const qref_scheme *s)
{
    return !(s->family == QREF_FAMILY_GGUF && (s->gguf_type == 16 || s->gguf_type == 18));
}

/* count tensors rows x cols into buf (z.total each) and t[]. */
static int make_weights(vfile *f, unsigned id, qcts_rng *r, const qref_scheme *s, int64_t count, int64_t rows,
                        int64_t cols, uint8_t *buf, size_t each, qref_qtensor *t)
{
    float *w = malloc(sizeof *w * (size_t)(rows * cols));
    char msg[320] = "";
    qref_error e = { -1, -1, "" };
    if (!w) {
        vf_fail(f, QCTS_VEC_ERR_NOMEM, "out of memory");
        return -1;
    }
    for (int64_t k = 0; k < count; k++) {
        uint8_t *q = buf + (size_t)k * each;
        qref_status st = QREF_OK;
        if (has_quantizer(s)) {
            for (int64_t i = 0; i < rows * cols; i++)
                w[i] = (float)((double)qcts_rng_gauss(r) * 0.1);
            qref_qtensor tmp;
            st = qref_quantize(s, rows, cols, w, &tmp, &e);
            if (st == QREF_OK) {
                st = qref_qtensor_save(&tmp, q, each);
                qref_qtensor_free(&tmp);
            }
        } else if (vin_random_qtensor(r, s, rows, cols, 0, q, each, msg, sizeof msg) != 0) {
            vf_fail(f, QCTS_VEC_ERR_GEN, "%s: c%03u: %s", f->s->info.name, id, msg);
            free(w);
            return -1;
        }
        if (st == QREF_OK)
            st = qref_qtensor_load(s, rows, cols, q, each, &t[k], &e);
        if (st != QREF_OK) {
            vf_fail(f, QCTS_VEC_ERR_GEN, "%s: c%03u: weights: %s", f->s->info.name, id, e.msg);
            free(w);
            return -1;
        }
    }
    free(w);
    return 0;
}

static void one_case(vfile *f, const char *raw)
{
    const vsuite *su = f->s;
    qcts_rng r;
    uint64_t seed;
    unsigned id = vf_begin(f, &r, &seed);
    static const char *const keys[] = { "scheme", "n_tokens", "hidden", "inter", "n_experts", "top_k", "has_shared",
                                        "shared_inter", "ids", "threads", NULL };
    static const char *const idk[] = { "distinct", "random", "skewed", NULL };
    cJSON *o = cJSON_Parse(raw);
    const cJSON *sv = o ? cJSON_GetObjectItemCaseSensitive(o, "scheme") : NULL;
    const qref_scheme *s = cJSON_IsString(sv) ? qref_scheme_find(sv->valuestring) : NULL;
    int64_t T, H, I, E, K, Is, threads;
    int shared, kind;
    if (!o || !s || !vdef_only(o, keys) || !vdef_int(o, "n_tokens", 0, 1, 1024, &T) ||
        !vdef_int(o, "hidden", 0, 1, 8192, &H) || !vdef_int(o, "inter", 0, 1, 8192, &I) ||
        !vdef_int(o, "n_experts", 0, 1, 256, &E) || !vdef_int(o, "top_k", 0, 1, 64, &K) ||
        !vdef_bool(o, "has_shared", 0, &shared) || !vdef_int(o, "shared_inter", shared ? I : 0, 0, 8192, &Is) ||
        !vdef_enum(o, "ids", 0, idk, &kind) || !vdef_int(o, "threads", 1, 1, 64, &threads) ||
        (kind == 0 && K > (E > 1 && K < E ? E - 1 : E)) || (shared && Is < 1) || (!shared && Is)) {
        cJSON_Delete(o);
        vf_fail(f, QCTS_VEC_ERR_SUITE,
                "%s: c%03u: a moe_experts case needs a known scheme, n_tokens 1..1024, hidden and inter 1..8192, "
                "n_experts 1..256, top_k 1..64 (distinct ids: top_k < n_experts or = n_experts), has_shared, "
                "shared_inter >= 1 with has_shared, ids distinct|random|skewed, threads 1..64, no other key: %s",
                su->info.name, id, raw);
        return;
    }
    char scheme[64];
    snprintf(scheme, sizeof scheme, "%s", s->name);
    cJSON_Delete(o);
    qref_qsizes zg, zd, zsg = { 0 }, zsd = { 0 };
    qref_error e = { -1, -1, "" };
    if (qref_qsizes_get(s, 2 * I, H, &zg, &e) != QREF_OK || qref_qsizes_get(s, H, I, &zd, &e) != QREF_OK ||
        (shared && (qref_qsizes_get(s, 2 * Is, H, &zsg, &e) != QREF_OK ||
                    qref_qsizes_get(s, H, Is, &zsd, &e) != QREF_OK))) {
        vf_fail(f, QCTS_VEC_ERR_SUITE, "%s: c%03u: %s: %s", su->info.name, id, e.msg, raw);
        return;
    }
    const size_t TH = (size_t)(T * H), TK = (size_t)(T * K);
    float *x = malloc(TH * 4), *wt = malloc(TK * 4), *y = malloc(TH * 4), *bound = malloc(TH * 4);
    int32_t *ids = malloc(TK * 4);
    uint8_t *gu = malloc(zg.total * (size_t)E), *dn = malloc(zd.total * (size_t)E);
    uint8_t *sgu = malloc(zsg.total + 1), *sdn = malloc(zsd.total + 1);
    qref_qtensor *t = calloc((size_t)(2 * E + 2), sizeof *t);
    if (!x || !wt || !y || !bound || !ids || !gu || !dn || !sgu || !sdn || !t) {
        vf_fail(f, QCTS_VEC_ERR_NOMEM, "out of memory");
        goto done;
    }
    /* Draw order: gate_up, down, shared gate_up, shared down, x, ids, combine weights. */
    if (make_weights(f, id, &r, s, E, 2 * I, H, gu, zg.total, t) ||
        make_weights(f, id, &r, s, E, H, I, dn, zd.total, t + E) ||
        (shared && (make_weights(f, id, &r, s, 1, 2 * Is, H, sgu, zsg.total, t + 2 * E) ||
                    make_weights(f, id, &r, s, 1, H, Is, sdn, zsd.total, t + 2 * E + 1))))
        goto done;
    for (size_t i = 0; i < TH; i++)
        x[i] = qcts_rng_gauss(&r);
    const int64_t pool = kind == 2 ? (E < 2 ? E : 2) : kind == 0 && K < E ? E - 1 : E;
    for (int64_t tk = 0; tk < T; tk++)
        for (int64_t j = 0; j < K; j++) {
            int32_t v;
            int dup;
            do {
                v = (int32_t)qcts_rng_below(&r, (uint64_t)pool);
                dup = 0;
                for (int64_t q = 0; kind == 0 && q < j; q++)
                    dup |= ids[tk * K + q] == v;
            } while (dup);
            ids[tk * K + j] = v;
        }
    for (size_t i = 0; i < TK; i++)
        wt[i] = 0.05f + (float)qcts_rng_below(&r, 1000) * 0.001f;
    qref_moe_experts_desc d = { .n_tokens = T, .hidden = H, .inter = I, .n_experts = (int32_t)E,
                                .top_k = (int32_t)K, .has_shared = shared, .shared_inter = Is };
    if (qref_moe_experts(&d, x, ids, wt, t, t + E, shared ? t + 2 * E : NULL, shared ? t + 2 * E + 1 : NULL, y, bound,
                         &e) != QREF_OK) {
        vf_fail(f, QCTS_VEC_ERR_GEN, "%s: c%03u: %s", su->info.name, id, e.msg);
        goto done;
    }
    vflags fl = { { 0 }, 0 };
    vflags_add(&fl, idk[kind]);
    int empty = 0;
    for (int64_t k = 0; k < E; k++) {
        int used = 0;
        for (size_t i = 0; i < TK; i++)
            used |= ids[i] == k;
        empty |= !used;
    }
    if (empty)
        vflags_add(&fl, "empty_experts");
    if (shared)
        vflags_add(&fl, "shared");
    if (T == 1)
        vflags_add(&fl, "one_token");
    if (K == E)
        vflags_add(&fl, "topk_all");
    if (H % 8 || I % 8)
        vflags_add(&fl, "odd_sizes");
    vbuf p = { 0 };
    vb_printf(&p,
              "{\"scheme\":\"%s\",\"n_tokens\":%lld,\"hidden\":%lld,\"inter\":%lld,\"n_experts\":%lld,\"top_k\":%lld,"
              "\"has_shared\":%s,\"shared_inter\":%lld,\"threads\":%lld}",
              scheme, (long long)T, (long long)H, (long long)I, (long long)E, (long long)K, shared ? "true" : "false",
              (long long)Is, (long long)threads);
    vf_case(f, id, seed, "bound", &fl, "gaussian", p.p);
    vb_free(&p);
    int64_t sx[2] = { T, H }, sk[2] = { T, K }, sg[1] = { (int64_t)(zg.total * (size_t)E) },
            sd[1] = { (int64_t)(zd.total * (size_t)E) }, ssg[1] = { (int64_t)zsg.total }, ssd[1] = { (int64_t)zsd.total };
    vf_tensor_f32(f, id, "in.x", x, sx, 2);
    vf_tensor_u32(f, id, "in.ids", QCTS_ST_I32, (const uint32_t *)(const void *)ids, sk, 2);
    vf_tensor_f32(f, id, "in.weights", wt, sk, 2);
    vf_tensor(f, id, "in.gate_up", QCTS_ST_U8, sg, 1, gu, zg.total * (size_t)E);
    vf_tensor(f, id, "in.down", QCTS_ST_U8, sd, 1, dn, zd.total * (size_t)E);
    if (shared) {
        vf_tensor(f, id, "in.shared_gate_up", QCTS_ST_U8, ssg, 1, sgu, zsg.total);
        vf_tensor(f, id, "in.shared_down", QCTS_ST_U8, ssd, 1, sdn, zsd.total);
    }
    vf_tensor_f32(f, id, "out.y", y, sx, 2);
    vf_tensor_f32(f, id, "bound.y", bound, sx, 2);
done:
    if (t)
        for (int64_t k = 0; k < 2 * E + 2; k++)
            qref_qtensor_free(&t[k]);
    free(x), free(wt), free(y), free(bound), free(ids), free(gu), free(dn), free(sgu), free(sdn), free(t);
}

void vgen_moe_experts(vfile *f)
{
    for (size_t i = 0; i < f->s->n_defs && vf_ok(f); i++)
        one_case(f, f->s->cases[i].raw);
}
