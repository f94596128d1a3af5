/* gen_moe_dispatch.c — golden cases of the moe_dispatch op (qcts/op_moe.h).
 *
 * A case definition (vectors/suites/moe_dispatch.json) is
 *   {"n_tokens": T, "top_k": K, "n_experts": E, "hidden": H,
 *    "dtype": "f32"|"f16"|"bf16", "ids": "distinct"|"random"|"skewed"|"one",
 *    "threads": t}
 * ids: distinct = K different experts per token (a router's output);
 * random = with repetition; skewed = experts 0..3 only (the others get no
 * token); one = every pair to expert E-1. Rows are random bit patterns
 * (NaN and Inf codes included: dispatch copies bits). Every output is
 * exact (qref_moe_dispatch): check exact. */
#include <stdlib.h>
#include <string.h>

#include "gen_moe.h"
#include "qref/moe.h"

static void one_case(vfile *f, const char *raw)
{
    const vsuite *su = f->s;
    qcts_rng r;
    uint64_t seed;
    unsigned id = vf_begin(f, &r, &seed);
    static const char *const keys[] = { "n_tokens", "top_k", "n_experts", "hidden", "dtype", "ids", "threads", NULL };
    static const char *const dts[] = { "f32", "f16", "bf16", NULL };
    static const char *const idk[] = { "distinct", "random", "skewed", "one", NULL };
    cJSON *o = cJSON_Parse(raw);
    int64_t T, K, E, H, threads;
    int dt, kind;
    if (!o || !vdef_only(o, keys) || !vdef_int(o, "n_tokens", 0, 1, 4096, &T) ||
        !vdef_int(o, "top_k", 0, 1, 64, &K) || !vdef_int(o, "n_experts", 0, 1, 4096, &E) ||
        !vdef_int(o, "hidden", 0, 1, 8192, &H) || !vdef_enum(o, "dtype", 0, dts, &dt) ||
        !vdef_enum(o, "ids", 0, idk, &kind) || !vdef_int(o, "threads", 1, 1, 64, &threads) ||
        (kind == 0 && K > E)) {
        cJSON_Delete(o);
        vf_fail(f, QCTS_VEC_ERR_SUITE,
                "%s: c%03u: a moe_dispatch case needs n_tokens 1..4096, top_k 1..64, n_experts 1..4096 (>= top_k "
                "for distinct ids), hidden 1..8192, dtype f32|f16|bf16, ids distinct|random|skewed|one, threads "
                "1..64 and no other key: %s", su->info.name, id, raw);
        return;
    }
    cJSON_Delete(o);
    const int eb = dt == 0 ? 4 : 2;
    const size_t TK = (size_t)(T * K), row = (size_t)H * (size_t)eb;
    int32_t *ids = malloc(TK * 4), *counts = malloc((size_t)E * 4), *offs = malloc((size_t)(E + 1) * 4);
    int32_t *slots = malloc(TK * 4);
    uint8_t *x = malloc((size_t)T * row), *packed = malloc(TK * row);
    if (!ids || !counts || !offs || !slots || !x || !packed) {
        vf_fail(f, QCTS_VEC_ERR_NOMEM, "out of memory");
        goto done;
    }
    /* Draw order: ids, then the rows. */
    for (int64_t t = 0; t < T; t++)
        for (int64_t j = 0; j < K; j++) {
            int32_t v;
            int dup;
            do {
                v = kind == 3 ? (int32_t)(E - 1)
                    : kind == 2 ? (int32_t)qcts_rng_below(&r, (uint64_t)(E < 4 ? E : 4))
                                : (int32_t)qcts_rng_below(&r, (uint64_t)E);
                dup = 0;
                for (int64_t q = 0; kind == 0 && q < j; q++)
                    dup |= ids[t * K + q] == v;
            } while (dup);
            ids[t * K + j] = v;
        }
    for (size_t i = 0; i < (size_t)T * row; i += 8) {
        uint64_t v = qcts_rng_next(&r);
        for (size_t k = 0; k < 8 && i + k < (size_t)T * row; k++)
            x[i + k] = (uint8_t)(v >> (8 * k));
    }
    qref_moe_dispatch_desc d = { .n_tokens = T, .top_k = (int32_t)K, .n_experts = (int32_t)E, .hidden = H,
                                 .elem_bytes = eb };
    qref_error e;
    if (qref_moe_dispatch(&d, ids, x, counts, offs, slots, packed, &e) != QREF_OK) {
        vf_fail(f, QCTS_VEC_ERR_GEN, "%s: c%03u: %s", su->info.name, id, e.msg);
        goto done;
    }
    vflags fl = { { 0 }, 0 };
    vflags_add(&fl, idk[kind]);
    int empty = 0;
    for (int64_t k = 0; k < E; k++)
        empty |= counts[k] == 0;
    if (empty)
        vflags_add(&fl, "empty_experts");
    if (T == 1)
        vflags_add(&fl, "one_token");
    if (H % 8)
        vflags_add(&fl, "odd_hidden");
    vflags_add(&fl, dts[dt]);
    vbuf p = { 0 };
    vb_printf(&p, "{\"n_tokens\":%lld,\"top_k\":%lld,\"n_experts\":%lld,\"hidden\":%lld,\"dtype\":\"%s\",\"threads\":%lld}",
              (long long)T, (long long)K, (long long)E, (long long)H, dts[dt], (long long)threads);
    vf_case(f, id, seed, "exact", &fl, "random_bits", p.p);
    vb_free(&p);
    qcts_st_dtype st = dt == 0 ? QCTS_ST_F32 : dt == 1 ? QCTS_ST_F16 : QCTS_ST_BF16;
    int64_t sk[2] = { T, K }, sx[2] = { T, H }, se[1] = { E }, so[1] = { E + 1 }, sp[2] = { T * K, H };
    vf_tensor_u32(f, id, "in.ids", QCTS_ST_I32, (const uint32_t *)(const void *)ids, sk, 2);
    vf_tensor(f, id, "in.x", st, sx, 2, x, (size_t)T * row);
    vf_tensor_u32(f, id, "out.counts", QCTS_ST_I32, (const uint32_t *)(const void *)counts, se, 1);
    vf_tensor_u32(f, id, "out.offsets", QCTS_ST_I32, (const uint32_t *)(const void *)offs, so, 1);
    vf_tensor_u32(f, id, "out.slots", QCTS_ST_I32, (const uint32_t *)(const void *)slots, sk, 2);
    vf_tensor(f, id, "out.packed", st, sp, 2, packed, TK * row);
done:
    free(ids), free(counts), free(offs), free(slots), free(x), free(packed);
}

void vgen_moe_dispatch(vfile *f)
{
    for (size_t i = 0; i < f->s->n_defs && vf_ok(f); i++)
        one_case(f, f->s->cases[i].raw);
}
