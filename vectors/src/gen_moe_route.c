/* gen_moe_route.c — golden cases of the moe_route op (qcts/op_moe.h).
 *
 * A case definition (vectors/suites/moe_route.json) is
 *   {"n_tokens": T, "n_experts": E, "top_k": K, "scoring": "softmax"|"sigmoid",
 *    "n_group": G, "topk_group": g, "renorm": bool, "has_bias": bool,
 *    "routed_scale": s, "aux_alpha": a, "logit_scale": l (default 2),
 *    "bias_scale": b (default 0.02 softmax, 0.2 sigmoid), "ties": 0..2,
 *    "threads": t}
 * Logits are gaussian x logit_scale, the bias gaussian x bias_scale
 * (rounded to float32). ties 1: the second half of the experts copies the
 * first half's logits (and bias), so the ranking is made of exact ties
 * (at the K boundary too when K is odd) — decided by the lowest-index rule;
 * ties 2: also the groups: group g+G/2 copies group g. Every token is
 * redrawn until qref_moe_route_token_ok() says its selection is decided
 * (every relevant gap above the margin of qref/moe.h, or an exact tie), so
 * the ids are compared exactly; weights and aux are checked with bound
 * (bound.weights, bound.aux from qref_moe_route). vectors/README.md, "moe". */
#include <stdlib.h>
#include <string.h>

#include "gen_moe.h"
#include "qref/moe.h"

enum { MAX_TRIES = 20000 };

static void one_case(vfile *f, const char *raw)
{
    const vsuite *su = f->s;
    qcts_rng r;
    uint64_t seed;
    unsigned id = vf_begin(f, &r, &seed);
    static const char *const keys[] = { "n_tokens", "n_experts", "top_k", "scoring", "n_group", "topk_group",
                                        "renorm", "has_bias", "routed_scale", "aux_alpha", "logit_scale",
                                        "bias_scale", "ties", "threads", NULL };
    static const char *const scorings[] = { "softmax", "sigmoid", NULL };
    cJSON *o = cJSON_Parse(raw);
    int64_t T, E, K, G, g, ties, threads;
    int scoring, renorm, bias;
    double rs, aa, ls, bs;
    if (!o || !vdef_only(o, keys) || !vdef_int(o, "n_tokens", 0, 1, 4096, &T) ||
        !vdef_int(o, "n_experts", 0, 1, 512, &E) || !vdef_int(o, "top_k", 0, 1, QREF_MOE_MAX_TOPK, &K) ||
        !vdef_enum(o, "scoring", -1, scorings, &scoring) || !vdef_int(o, "n_group", 1, 1, 512, &G) ||
        !vdef_int(o, "topk_group", 1, 1, 512, &g) || !vdef_bool(o, "renorm", 0, &renorm) ||
        !vdef_bool(o, "has_bias", 0, &bias) || !vdef_num(o, "routed_scale", 1.0, 0x1p-20, 1e6, &rs) ||
        !vdef_num(o, "aux_alpha", 0.001, 0.0, 1e6, &aa) || !vdef_num(o, "logit_scale", 2.0, 0.0, 12.0, &ls) ||
        !vdef_num(o, "bias_scale", scoring == 1 ? 0.2 : 0.02, 0.0, 16.0, &bs) ||
        !vdef_int(o, "ties", 0, 0, 2, &ties) || !vdef_int(o, "threads", 1, 1, 64, &threads)) {
        cJSON_Delete(o);
        vf_fail(f, QCTS_VEC_ERR_SUITE,
                "%s: c%03u: a moe_route case needs n_tokens 1..4096, n_experts 1..512, top_k 1..64, scoring "
                "softmax|sigmoid, n_group/topk_group, renorm/has_bias booleans, routed_scale > 0, aux_alpha >= 0, "
                "logit_scale 0..12, bias_scale 0..16, ties 0..2, threads 1..64 and no other key: %s",
                su->info.name, id, raw);
        return;
    }
    cJSON_Delete(o);
    qref_moe_route_desc d = { .n_tokens = T, .n_experts = (int32_t)E, .top_k = (int32_t)K, .scoring = scoring,
                              .n_group = (int32_t)G, .topk_group = (int32_t)g, .renorm = renorm,
                              .has_bias = bias, .routed_scale = (float)rs, .aux_alpha = (float)aa };
    qref_error e;
    if (qref_moe_route_check(&d, &e) != QREF_OK) {
        vf_fail(f, QCTS_VEC_ERR_SUITE, "%s: c%03u: %s: %s",
                su->info.name, id, e.msg, raw);
        return;
    }
    const size_t TE = (size_t)(T * E), TK = (size_t)(T * K);
    float *x = malloc(TE * 4), *b = malloc((size_t)E * 4), *w = malloc(TK * 4), *wb = malloc(TK * 4), aux, ab;
    int32_t *ids = malloc(TK * 4);
    if (!x || !b || !w || !wb || !ids) {
        vf_fail(f, QCTS_VEC_ERR_NOMEM, "out of memory");
        goto done;
    }
    /* Draw order: bias, then each token (redrawn until decided). */
    const int64_t half = E / 2, gs = E / G;
    for (int64_t k = 0; k < E; k++)
        b[k] = bias ? (float)((double)qcts_rng_gauss(&r) * bs) : 0.0f;
    if (ties == 1)
        for (int64_t k = half; k < 2 * half; k++)
            b[k] = b[k - half];
    if (ties == 2)
        for (int64_t k = (G / 2) * gs; k < 2 * (G / 2) * gs; k++)
            b[k] = b[k - (G / 2) * gs];
    for (int64_t t = 0; t < T; t++) {
        float *xt = x + t * E;
        int tries = 0;
        do {
            for (int64_t k = 0; k < E; k++)
                xt[k] = (float)((double)qcts_rng_gauss(&r) * ls);
            if (ties == 1)
                for (int64_t k = half; k < 2 * half; k++)
                    xt[k] = xt[k - half];
            if (ties == 2)
                for (int64_t k = (G / 2) * gs; k < 2 * (G / 2) * gs; k++)
                    xt[k] = xt[k - (G / 2) * gs];
        } while (!qref_moe_route_token_ok(&d, x, b, t) && ++tries < MAX_TRIES);
        if (tries >= MAX_TRIES) {
            vf_fail(f, QCTS_VEC_ERR_GEN,
                    "%s: c%03u: token %lld: no draw in %d whose selection is decided (margin of qref/moe.h); "
                    "fewer experts or a larger logit_scale", su->info.name, id, (long long)t, MAX_TRIES);
            goto done;
        }
    }
    if (qref_moe_route(&d, x, b, ids, w, &aux, wb, &ab, &e) != QREF_OK) {
        vf_fail(f, QCTS_VEC_ERR_GEN, "%s: c%03u: %s", su->info.name, id, e.msg);
        goto done;
    }
    vflags fl = { { 0 }, 0 };
    vflags_add(&fl, scoring ? "sigmoid" : "softmax");
    if (G > 1)
        vflags_add(&fl, "grouped");
    if (G > 1 && gs == 1)
        vflags_add(&fl, "group_size_1");
    if (G > 1 && g == G)
        vflags_add(&fl, "all_groups");
    if (bias)
        vflags_add(&fl, "bias");
    if (renorm)
        vflags_add(&fl, "renorm");
    if (ties)
        vflags_add(&fl, ties == 2 ? "group_ties" : "ties");
    if (K == E)
        vflags_add(&fl, "topk_all");
    if (K == 1)
        vflags_add(&fl, "top1");
    if (T == 1)
        vflags_add(&fl, "one_token");
    if (E % 8)
        vflags_add(&fl, "e_tail");
    if (T > 64)
        vflags_add(&fl, "many_blocks");
    vbuf p = { 0 };
    vb_printf(&p,
              "{\"n_tokens\":%lld,\"n_experts\":%lld,\"top_k\":%lld,\"scoring\":\"%s\",\"n_group\":%lld,"
              "\"topk_group\":%lld,\"renorm\":%s,\"has_bias\":%s,\"routed_scale\":%.9g,\"aux_alpha\":%.9g,"
              "\"threads\":%lld}",
              (long long)T, (long long)E, (long long)K, scoring ? "sigmoid" : "softmax", (long long)G, (long long)g,
              renorm ? "true" : "false", bias ? "true" : "false", (double)d.routed_scale, (double)d.aux_alpha,
              (long long)threads);   /* %.9g gives the float32 back */
    vf_case(f, id, seed, "bound", &fl, "gaussian", p.p);
    vb_free(&p);
    int64_t sx[2] = { T, E }, se[1] = { E }, sk[2] = { T, K }, s1[1] = { 1 };
    vf_tensor_f32(f, id, "in.logits", x, sx, 2);
    if (bias)
        vf_tensor_f32(f, id, "in.bias", b, se, 1);
    vf_tensor_u32(f, id, "out.ids", QCTS_ST_I32, (const uint32_t *)(const void *)ids, sk, 2);
    vf_tensor_f32(f, id, "out.weights", w, sk, 2);
    vf_tensor_f32(f, id, "out.aux", &aux, s1, 1);
    vf_tensor_f32(f, id, "bound.weights", wb, sk, 2);
    vf_tensor_f32(f, id, "bound.aux", &ab, s1, 1);
done:
    free(x), free(b), free(w), free(wb), free(ids);
}

void vgen_moe_route(vfile *f)
{
    for (size_t i = 0; i < f->s->n_defs && vf_ok(f); i++)
        one_case(f, f->s->cases[i].raw);
}
