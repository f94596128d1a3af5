/* gen_softmax.c — golden cases of the softmax op (qcts/op_norm.h,
 * qref/norm.h).
 *
 * A case definition (vectors/suites/softmax.json):
 *   {"in_dtype": .., "out_dtype": .., "rows": R, "n": N, "temperature": T,
 *    "dist": vdist, "scale": s, "offset": o (logits = o + s·dist), "neg_inf": k (k logits
 *    of every row set to -inf), "all_neg_inf_row": bool (the last row all
 *    -inf: NaN out), "threads": T, "flags": [..]}
 * Expected y from qref_softmax_run; check "bound" with bound.y (0 where y
 * is NaN: compared exactly). */
#include <math.h>
#include <stdio.h>

#include "gen_rowops.h"

static void one_case(vfile *f, const char *raw)
{
    const vsuite *su = f->s;
    qcts_rng r;
    uint64_t seed;
    unsigned id = vf_begin(f, &r, &seed);
    cJSON *o = cJSON_Parse(raw);
    int64_t rows = 0, n = 0, th, ninf;
    int allinf;
    double T, scale, offset;
    qref_fmt it = QREF_FMT_F32, ot = QREF_FMT_F32;
    vdist dist;
    vflags fl = { { 0 }, 0 };
    int ok = o && vdef_fmt(o, "in_dtype", &it) && vdef_fmt(o, "out_dtype", &ot) && vdef_int(o, "rows", 0, 1, 4096, &rows) &&
             vdef_int(o, "n", 0, 1, 1 << 22, &n) && vdef_num(o, "temperature", 1.0, 1e-6, 1e6, &T) && T > 0 &&
             vdef_num(o, "scale", 1.0, 0.0, 1e30, &scale) && vdef_num(o, "offset", 0.0, -1e30, 1e30, &offset) && vdef_int(o, "neg_inf", 0, 0, 1 << 22, &ninf) &&
             ninf < n && vdef_bool(o, "all_neg_inf_row", 0, &allinf) && vdef_int(o, "threads", 1, 1, 64, &th) &&
             gr_dist(o, VD_GAUSS, &dist) && gr_flags(o, &fl) && (!allinf || rows >= 2);
    cJSON_Delete(o);
    if (!ok) {
        vf_fail(f, QCTS_VEC_ERR_SUITE,
                "%s: c%03u: a softmax case needs in_dtype/out_dtype f32|f16|bf16, rows 1..4096 (>= 2 with "
                "all_neg_inf_row), n 1..2^22, temperature in [1e-6, 1e6], scale, neg_inf < n, threads 1..64, dist: %s",
                su->info.name, id, raw);
        return;
    }
    const size_t N = (size_t)(rows * n);
    float *tmp = malloc(N * sizeof *tmp), *bound = malloc(N * sizeof *bound);
    void *x = malloc(N * gr_size(it)), *y = malloc(N * gr_size(ot));
    char *params = NULL;
    if (!tmp || !bound || !x || !y) {
        vf_fail(f, QCTS_VEC_ERR_NOMEM, "out of memory");
        goto done;
    }
    vin_fill(&r, dist, rows, n, 0, tmp);
    for (size_t i = 0; i < N; i++)
        qref_rowop_store(it, x, (int64_t)i, qref_rowop_round(it, offset + scale * (double)tmp[i]));
    for (int64_t rr = 0; rr < rows; rr++)
        for (int64_t k = 0; k < ninf; k++)
            qref_rowop_store(it, x, rr * n + (int64_t)qcts_rng_below(&r, (uint64_t)n), -INFINITY);
    if (allinf)
        for (int64_t i = 0; i < n; i++)
            qref_rowop_store(it, x, (rows - 1) * n + i, -INFINITY);
    qref_softmax_params p = { n, T, it, ot };
    if (qref_softmax_run(&p, rows, x, y, bound) != QREF_OK) {
        vf_fail(f, QCTS_VEC_ERR_GEN, "%s: c%03u: qref_softmax_run failed", su->info.name, id);
        goto done;
    }
    if (ninf)
        vflags_add(&fl, "neg_inf");
    if (allinf)
        vflags_add(&fl, "nan");
    if (n % 8)
        vflags_add(&fl, "n_tail");
    if (n >= 2048)
        vflags_add(&fl, "long_row");
    if (scale >= 100 || offset >= 100 || offset <= -100)
        vflags_add(&fl, "large_logits");
    if (it != QREF_FMT_F32)
        vflags_add(&fl, it == QREF_FMT_F16 ? "in_f16" : "in_bf16");
    if (ot != QREF_FMT_F32)
        vflags_add(&fl, ot == QREF_FMT_F16 ? "out_f16" : "out_bf16");
    if (th > 1)
        vflags_add(&fl, "threads");
    {
        vbuf pb = { 0 };
        vb_printf(&pb,
                  "{\"in_dtype\":\"%s\",\"out_dtype\":\"%s\",\"rows\":%lld,\"n\":%lld,\"temperature\":%.17g,"
                  "\"threads\":%lld,\"bound_c\":1}",
                  vdtype_name(it), vdtype_name(ot), (long long)rows, (long long)n, T, (long long)th);
        if (pb.oom) {
            vb_free(&pb);
            vf_fail(f, QCTS_VEC_ERR_NOMEM, "out of memory");
            goto done;
        }
        params = pb.p;
    }
    vf_case(f, id, seed, "bound", &fl, vdist_name(dist), params);
    int64_t s2[2] = { rows, n };
    gr_tensor_raw(f, id, "in.x", it, x, s2, 2);
    gr_tensor_raw(f, id, "out.y", ot, y, s2, 2);
    vf_tensor_f32(f, id, "bound.y", bound, s2, 2);
done:
    free(tmp), free(bound), free(x), free(y), free(params);
}

void vgen_softmax(vfile *f)
{
    for (size_t i = 0; i < f->s->n_defs && vf_ok(f); i++)
        one_case(f, f->s->cases[i].raw);
}
