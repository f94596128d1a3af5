/* gen_hadamard.c — golden cases of the hadamard op (qcts/op_hadamard.h).
 *
 * A case definition (vectors/suites/hadamard.json) is
 *   {"rows": R, "n": 32..4096, "normalized": bool, "inverse": bool,
 *    "in_dtype": "f32"|"f16"|"bf16", "out_dtype": ..., "dist": a vdist name,
 *    "amax": A (dist integers: values in [-A, A]), "threads": T}
 * The expected y is qref_hadamard_f64 of the (dtype-rounded) inputs, rounded
 * once to float32 and then to out_dtype. Check "exact" when the result is
 * exact in every butterfly order: integer inputs with n * max|x| <= 2^24
 * (every float32 partial sum exact), a power-of-two scale (unnormalised,
 * or normalised with even log2 n) and every output representable in
 * out_dtype; dist "integers" must be exact (else the definition is an
 * error). Otherwise check "bound" with bound.y = qref_hadamard_bound
 * rounded up to float32 (vectors/README.md, "hadamard"). */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "gen_defjson.h"
#include "gen_impl.h"
#include "qref/hadamard.h"

static int get_dist(const cJSON *o, vdist *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "dist");
    if (!cJSON_IsString(v))
        return 0;
    for (int k = 0; k < VD_COUNT; k++)
        if (k != VD_RANDOM_BITS && !strcmp(v->valuestring, vdist_name((vdist)k))) {
            *out = (vdist)k;
            return 1;
        }
    return 0;
}

static float round_fmt(float v, qref_fmt f)
{
    if (f == QREF_FMT_F16)
        return qref_f16_to_f32(qref_f32_to_f16(v));
    if (f == QREF_FMT_BF16)
        return qref_bf16_to_f32(qref_f32_to_bf16(v));
    return v;
}

static qref_had_out had_out(qref_fmt f)
{
    return f == QREF_FMT_F16 ? QREF_HAD_OUT_F16 : f == QREF_FMT_BF16 ? QREF_HAD_OUT_BF16 : QREF_HAD_OUT_F32;
}

static void one_case(vfile *f, const char *raw)
{
    const vsuite *su = f->s;
    qcts_rng r;
    uint64_t seed;
    unsigned id = vf_begin(f, &r, &seed);
    cJSON *o = cJSON_Parse(raw);
    int64_t rows, n, amax, threads;
    int norm, inv;
    qref_fmt it, ot;
    vdist dist;
    if (!o || !vdef_int(o, "rows", 0, 1, 4096, &rows) || !vdef_int(o, "n", 0, 32, 4096, &n) || (n & (n - 1)) ||
        !vdef_bool(o, "normalized", 0, &norm) || !vdef_bool(o, "inverse", 0, &inv) || !vdef_fmt(o, "in_dtype", &it) ||
        !vdef_fmt(o, "out_dtype", &ot) || !get_dist(o, &dist) || !vdef_int(o, "amax", 100, 1, 1 << 20, &amax) ||
        !vdef_int(o, "threads", 1, 1, 64, &threads)) {
        cJSON_Delete(o);
        vf_fail(f, QCTS_VEC_ERR_SUITE,
                "%s: c%03u: a hadamard case needs rows 1..4096, n a power of two in 32..4096, normalized/inverse "
                "booleans, in_dtype/out_dtype f32|f16|bf16, dist a distribution name, amax >= 1, threads 1..64: %s",
                su->info.name, id, raw);
        return;
    }
    cJSON_Delete(o);
    size_t N = (size_t)(rows * n);
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y), *bound = malloc(N * sizeof *bound);
    double *t = malloc((size_t)n * sizeof *t);
    uint16_t *h = malloc(N * sizeof *h);
    if (!x || !y || !bound || !t || !h) {
        vf_fail(f, QCTS_VEC_ERR_NOMEM, "out of memory");
        goto done;
    }
    vin_fill(&r, dist, rows, n, (int)amax, x);
    for (size_t i = 0; i < N; i++)
        x[i] = round_fmt(x[i], it);
    int k = qref_wht_log2((size_t)n), exact = !(norm && (k & 1));
    for (int64_t row = 0; row < rows; row++) {
        double as = 0, mx = 0;
        for (int64_t j = 0; j < n; j++) {
            double v = x[row * n + j];
            t[j] = v;
            as += v < 0 ? -v : v;
            if ((v < 0 ? -v : v) > mx)
                mx = v < 0 ? -v : v;
            if (v != (double)(int64_t)v)
                exact = 0;
        }
        if ((double)n * mx > 16777216.0)
            exact = 0;
        qref_hadamard_f64(t, (size_t)n, norm, inv);
        for (int64_t j = 0; j < n; j++) {
            float e = round_fmt((float)t[j], ot);
            y[row * n + j] = e;
            if ((double)e != t[j])
                exact = 0;
            bound[row * n + j] = vdef_f32_up(qref_hadamard_bound((size_t)n, norm, inv, as, t[j], had_out(ot)));
        }
    }
    if (dist == VD_INTEGERS && !exact) {
        vf_fail(f, QCTS_VEC_ERR_SUITE,
                "%s: c%03u: dist integers must give an exact case (n * amax <= 2^24, a power-of-two scale, outputs "
                "representable in %s): %s", su->info.name, id, vdtype_name(ot), raw);
        goto done;
    }
    vflags fl = { { 0 }, 0 };
    vflags_add(&fl, norm ? "normalized" : "unnormalized");
    vflags_add(&fl, inv ? "inverse" : "forward");
    if (exact)
        vflags_add(&fl, "exact_fill");
    vbuf p = { 0 };
    vb_printf(&p,
              "{\"rows\":%lld,\"n\":%lld,\"normalized\":%s,\"inverse\":%s,\"in_dtype\":\"%s\",\"out_dtype\":\"%s\","
              "\"threads\":%lld}",
              (long long)rows, (long long)n, norm ? "true" : "false", inv ? "true" : "false", vdtype_name(it),
              vdtype_name(ot), (long long)threads);
    vf_case(f, id, seed, exact ? "exact" : "bound", &fl, vdist_name(dist), p.p);
    vb_free(&p);
    int64_t shape[2] = { rows, n };
    if (it == QREF_FMT_F32) {
        vf_tensor_f32(f, id, "in.x", x, shape, 2);
    } else {
        for (size_t i = 0; i < N; i++)
            h[i] = it == QREF_FMT_F16 ? qref_f32_to_f16(x[i]) : qref_f32_to_bf16(x[i]);
        vf_tensor_u16(f, id, "in.x", vdtype_st(it), h, shape, 2);
    }
    if (ot == QREF_FMT_F32) {
        vf_tensor_f32(f, id, "out.y", y, shape, 2);
    } else {
        for (size_t i = 0; i < N; i++)
            h[i] = ot == QREF_FMT_F16 ? qref_f32_to_f16(y[i]) : qref_f32_to_bf16(y[i]);
        vf_tensor_u16(f, id, "out.y", vdtype_st(ot), h, shape, 2);
    }
    if (!exact)
        vf_tensor_f32(f, id, "bound.y", bound, shape, 2);
done:
    free(x);
    free(y);
    free(bound);
    free(t);
    free(h);
}

void vgen_hadamard(vfile *f)
{
    for (size_t i = 0; i < f->s->n_defs && vf_ok(f); i++)
        one_case(f, f->s->cases[i].raw);
}
