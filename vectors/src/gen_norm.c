/* gen_norm.c — golden cases of the norm op (qcts/op_norm.h, qref/norm.h).
 *
 * A case definition (vectors/suites/norm.json):
 *   {"kind": "rms"|"layer", "dtype": .., "out_dtype": .., "rows": R, "n": N,
 *    "eps": e, "weight": bool (true), "bias": bool, "residual": bool,
 *    "dist": vdist, "scale": s, "offset": o (x = o + s·dist),
 *    "zero_row": bool (row 1 all zeros, residual too), "threads": T,
 *    "flags": [..]}
 * weight = RN(1 + dist/4), bias = RN(dist/10), residual = RN(s·dist).
 * Expected y and the residual output h from qref_norm_run; check "bound"
 * with bound.y (h has no bound tensor: compared exactly). Rows whose Σ h²
 * would overflow float32 are refused (the bound assumes no overflow). */
#include <stdio.h>

#include "gen_rowops.h"

static const char *const KINDS[] = { "rms", "layer", NULL };

static void one_case(vfile *f, const char *raw)
{
    const vsuite *su = f->s;
    qcts_rng r;
    uint64_t seed;
    unsigned id = vf_begin(f, &r, &seed);
    cJSON *o = cJSON_Parse(raw);
    int kind = 0, hw, hb, hr, zr;
    int64_t rows = 0, n = 0, th;
    double eps, scale, offset;
    qref_fmt dt = QREF_FMT_F32, ot = QREF_FMT_F32;
    vdist dist;
    vflags fl = { { 0 }, 0 };
    int ok = o && vdef_enum(o, "kind", 0, KINDS, &kind) && vdef_fmt(o, "dtype", &dt) && vdef_fmt(o, "out_dtype", &ot) &&
             vdef_int(o, "rows", 0, 1, 4096, &rows) && vdef_int(o, "n", 0, 1, 1 << 20, &n) &&
             vdef_num(o, "eps", 1e-6, 1e-30, 1.0, &eps) && eps > 0 && vdef_bool(o, "weight", 1, &hw) &&
             vdef_bool(o, "bias", 0, &hb) && vdef_bool(o, "residual", 0, &hr) && vdef_bool(o, "zero_row", 0, &zr) &&
             vdef_int(o, "threads", 1, 1, 64, &th) && vdef_num(o, "scale", 1.0, 0.0, 1e30, &scale) &&
             vdef_num(o, "offset", 0.0, -1e30, 1e30, &offset) && gr_dist(o, VD_GAUSS, &dist) && gr_flags(o, &fl) &&
             (!zr || rows >= 2);
    cJSON_Delete(o);
    if (!ok) {
        vf_fail(f, QCTS_VEC_ERR_SUITE,
                "%s: c%03u: a norm case needs kind rms|layer, dtype/out_dtype f32|f16|bf16, rows 1..4096 (>= 2 with "
                "zero_row), n 1..2^20, eps in (0, 1], booleans weight/bias/residual/zero_row, threads 1..64, scale, "
                "offset, dist: %s",
                su->info.name, id, raw);
        return;
    }
    const size_t N = (size_t)(rows * n), es = gr_size(dt), eo = gr_size(ot);
    float *tmp = malloc((N > (size_t)n ? N : (size_t)n) * sizeof *tmp);
    void *x = malloc(N * es), *res = malloc(N * es), *w = malloc((size_t)n * es), *b = malloc((size_t)n * es);
    void *y = malloc(N * eo), *h = malloc(N * es);
    float *bound = malloc(N * sizeof *bound);
    char *params = NULL;
    if (!tmp || !x || !res || !w || !b || !y || !h || !bound) {
        vf_fail(f, QCTS_VEC_ERR_NOMEM, "out of memory");
        goto done;
    }
    vin_fill(&r, dist, rows, n, 0, tmp);
    for (size_t i = 0; i < N; i++)
        qref_rowop_store(dt, x, (int64_t)i, qref_rowop_round(dt, offset + scale * (double)tmp[i]));
    vin_fill(&r, VD_GAUSS, rows, n, 0, tmp);
    for (size_t i = 0; i < N; i++)
        qref_rowop_store(dt, res, (int64_t)i, qref_rowop_round(dt, scale * (double)tmp[i]));
    vin_fill(&r, VD_GAUSS, 1, n, 0, tmp);
    for (int64_t i = 0; i < n; i++)
        qref_rowop_store(dt, w, i, qref_rowop_round(dt, 1.0 + 0.25 * (double)tmp[i]));
    vin_fill(&r, VD_GAUSS, 1, n, 0, tmp);
    for (int64_t i = 0; i < n; i++)
        qref_rowop_store(dt, b, i, qref_rowop_round(dt, 0.1 * (double)tmp[i]));
    if (zr)
        for (int64_t i = 0; i < n; i++) {
            qref_rowop_store(dt, x, n + i, 0.0);
            qref_rowop_store(dt, res, n + i, 0.0);
        }
    qref_norm_params p = { (qref_norm_kind)kind, n, eps, dt, ot };
    if (qref_norm_run(&p, rows, x, hw ? w : NULL, hb ? b : NULL, hr ? res : NULL, y, hr ? h : NULL, bound) !=
        QREF_OK) {
        vf_fail(f, QCTS_VEC_ERR_GEN, "%s: c%03u: qref_norm_run failed", su->info.name, id);
        goto done;
    }
    double big = 0;
    for (int64_t rr = 0; rr < rows; rr++) {
        double s = 0;
        for (int64_t i = 0; i < n; i++) {
            double v = qref_rowop_load(dt, hr ? h : x, rr * n + i);
            s += v * v;
        }
        big = s > big ? s : big;
    }
    if (!(big < 0x1p126)) {
        vf_fail(f, QCTS_VEC_ERR_SUITE, "%s: c%03u: a row's sum of squares (%g) overflows float32", su->info.name, id,
                big);
        goto done;
    }
    vflags_add(&fl, KINDS[kind]);
    if (hr)
        vflags_add(&fl, "residual");
    if (hb)
        vflags_add(&fl, "bias");
    if (zr)
        vflags_add(&fl, "zero_row");
    if (n % 8)
        vflags_add(&fl, "n_tail");
    if (n >= 2048)
        vflags_add(&fl, "long_row");
    if (dt != QREF_FMT_F32)
        vflags_add(&fl, dt == QREF_FMT_F16 ? "in_f16" : "in_bf16");
    if (ot != QREF_FMT_F32)
        vflags_add(&fl, ot == QREF_FMT_F16 ? "out_f16" : "out_bf16");
    if (th > 1)
        vflags_add(&fl, "threads");
    {
        vbuf pb = { 0 };
        vb_printf(&pb,
                  "{\"kind\":\"%s\",\"dtype\":\"%s\",\"out_dtype\":\"%s\",\"rows\":%lld,\"n\":%lld,\"eps\":%.17g,"
                  "\"weight\":%s,\"bias\":%s,\"residual\":%s,\"threads\":%lld,\"bound_c\":1}",
                  KINDS[kind], vdtype_name(dt), vdtype_name(ot), (long long)rows, (long long)n, eps,
                  hw ? "true" : "false", hb ? "true" : "false", hr ? "true" : "false", (long long)th);
        if (pb.oom) {
            vb_free(&pb);
            vf_fail(f, QCTS_VEC_ERR_NOMEM, "out of memory");
            goto done;
        }
        params = pb.p;
    }
    vf_case(f, id, seed, "bound", &fl, vdist_name(dist), params);
    int64_t s2[2] = { rows, n }, s1[1] = { n };
    gr_tensor_raw(f, id, "in.x", dt, x, s2, 2);
    if (hw)
        gr_tensor_raw(f, id, "in.weight", dt, w, s1, 1);
    if (hb)
        gr_tensor_raw(f, id, "in.bias", dt, b, s1, 1);
    if (hr) {
        gr_tensor_raw(f, id, "in.residual", dt, res, s2, 2);
        gr_tensor_raw(f, id, "out.residual", dt, h, s2, 2);
    }
    gr_tensor_raw(f, id, "out.y", ot, y, s2, 2);
    vf_tensor_f32(f, id, "bound.y", bound, s2, 2);
done:
    free(tmp), free(x), free(res), free(w), free(b), free(y), free(h), free(bound), free(params);
}

void vgen_norm(vfile *f)
{
    for (size_t i = 0; i < f->s->n_defs && vf_ok(f); i++)
        one_case(f, f->s->cases[i].raw);
}
