/* gen_sampling.c — golden cases of the sampling op (qcts/op_sampling.h).
 *
 * A case definition (vectors/suites/sampling.json) is
 *   {"rows": R, "vocab": V, "logits_dtype": "f32"|"f16"|"bf16",
 *    "temperature": T, "rep_penalty", "presence_penalty", "freq_penalty",
 *    "hist_len", "top_k", "top_p", "min_p" (defaults: 1, 1, 0, 0, 0, 0, 1, 0),
 *    "dist": "gaussian" | "uniform" | "grid" (many ties) | "equal" (all
 *            logits equal) | "neginf" (gaussian, every 5th -inf, the last
 *            row all -inf) | "peaked" (one logit 12 above the rest),
 *    "scale": S (logits = S * draw; default 4),
 *    "u": "random" | "zero" | "below_one" (0x3F7FFFFF) | "boundary" (u at
 *         the reference's cumulative boundary C_t of a kept token, rounded
 *         to float32: two tokens admissible),
 *    "want_probs": bool, "threads": T}
 * Tokens come from qref_sampling_row; admit.token holds each row's
 * admissible set (check "admissible"). want_probs cases are check "bound":
 * every row must admit exactly the reference's token (then out.token is
 * compared exactly) and have a certain kept set; bound.probs is
 * qref_sampling_row_ex's bound rounded up to float32. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "gen_defjson.h"
#include "gen_impl.h"
#include "qref/sampling.h"

enum { D_GAUSS, D_UNIFORM, D_GRID, D_EQUAL, D_NEGINF, D_PEAKED };
enum { U_RANDOM, U_ZERO, U_BELOW_ONE, U_BOUNDARY };

static void one_case(vfile *f, const char *raw)
{
    static const char *const dists[] = { "gaussian", "uniform", "grid", "equal", "neginf", "peaked", NULL };
    static const char *const us[] = { "random", "zero", "below_one", "boundary", NULL };
    static const char *const dts[] = { "f32", "f16", "bf16", NULL };
    const vsuite *su = f->s;
    qcts_rng r;
    uint64_t seed;
    unsigned id = vf_begin(f, &r, &seed);
    cJSON *o = cJSON_Parse(raw);
    int64_t rows, vocab, hist_len, top_k, threads;
    double T, rep, pres, freq, tp, mp, scale;
    int dist, um, dt;
    const cJSON *wp = o ? cJSON_GetObjectItemCaseSensitive(o, "want_probs") : NULL;
    if (!o || !vdef_int(o, "rows", 0, 1, 256, &rows) || !vdef_int(o, "vocab", 0, 1, 1 << 20, &vocab) ||
        !vdef_int(o, "hist_len", 0, 0, 4096, &hist_len) || !vdef_int(o, "top_k", 0, 0, 1 << 24, &top_k) ||
        !vdef_int(o, "threads", 1, 1, 64, &threads) || !vdef_num(o, "temperature", 1, 0, 1e38, &T) ||
        !vdef_num(o, "rep_penalty", 1, 1e-3, 1e3, &rep) || !vdef_num(o, "presence_penalty", 0, -100, 100, &pres) ||
        !vdef_num(o, "freq_penalty", 0, -100, 100, &freq) || !vdef_num(o, "top_p", 1, 0, 1, &tp) ||
        !vdef_num(o, "min_p", 0, 0, 1, &mp) || !vdef_num(o, "scale", 4, 0, 1e4, &scale) ||
        !vdef_enum(o, "dist", -1, dists, &dist) || !vdef_enum(o, "u", 0, us, &um) ||
        !vdef_enum(o, "logits_dtype", 0, dts, &dt) || (wp && !cJSON_IsBool(wp))) {
        cJSON_Delete(o);
        vf_fail(f, QCTS_VEC_ERR_SUITE,
                "%s: c%03u: a sampling case needs rows 1..256, vocab >= 1, dist gaussian|uniform|grid|equal|neginf|"
                "peaked, u random|zero|below_one|boundary and parameters in range: %s",
                su->info.name, id, raw);
        return;
    }
    int want_probs = wp && cJSON_IsTrue(wp);
    cJSON_Delete(o);
    qref_sampling_params p = { (int32_t)vocab, (int32_t)hist_len, (float)T, (float)rep, (float)pres, (float)freq,
                               (int32_t)top_k, (float)tp, (float)mp };
    qref_fmt fmt = dt == 0 ? QREF_FMT_F32 : dt == 1 ? QREF_FMT_F16 : QREF_FMT_BF16;
    size_t V = (size_t)vocab, N = (size_t)rows * V;
    float *l = malloc(N * sizeof *l), *u = malloc((size_t)rows * sizeof *u), *pf = malloc(N * sizeof *pf);
    float *pb = malloc(N * sizeof *pb);
    uint16_t *h16 = malloc(N * sizeof *h16);
    int32_t *hist = malloc(((size_t)rows * (size_t)hist_len + 1) * sizeof *hist), *tok = malloc((size_t)rows * 4);
    uint8_t *admit = malloc(N);
    double *q = malloc(V * sizeof *q), *qb = malloc(V * sizeof *qb);
    if (!l || !u || !pf || !pb || !h16 || !hist || !tok || !admit || !q || !qb) {
        vf_fail(f, QCTS_VEC_ERR_NOMEM, "out of memory");
        goto done;
    }
    /* draw order: logits, history, u */
    float sc = (float)scale;
    for (size_t i = 0; i < N; i++) {
        float v;
        switch (dist) {
        case D_UNIFORM: v = qcts_rng_uniform(&r) * sc; break;
        case D_GRID: v = (float)((int64_t)qcts_rng_below(&r, 9) - 4) * 0.5f * sc; break;
        case D_EQUAL: v = 0.75f * sc; break;
        default: v = qcts_rng_gauss(&r) * sc; break;
        }
        if (dist == D_NEGINF && (i % 5 == 2 || i / V == (size_t)rows - 1))
            v = -1.0f / 0.0f;
        if (dist == D_PEAKED && i % V == (size_t)(seed % V))
            v += 12.0f;
        if (fmt == QREF_FMT_F16) {
            h16[i] = qref_f32_to_f16(v);
            v = qref_f16_to_f32(h16[i]);
        } else if (fmt == QREF_FMT_BF16) {
            h16[i] = qref_f32_to_bf16(v);
            v = qref_bf16_to_f32(h16[i]);
        }
        l[i] = v;
    }
    for (size_t i = 0; i < (size_t)rows * (size_t)hist_len; i++)
        hist[i] = (int32_t)qcts_rng_below(&r, V + 1) - 1;   /* -1: padding */
    for (int64_t row = 0; row < rows; row++) {
        float x = (qcts_rng_uniform(&r) + 1.0f) * 0.5f;   /* [0, 1) on the grid 2^-24 */
        u[row] = um == U_ZERO ? 0.0f : um == U_BELOW_ONE ? 0x1.fffffep-1f : x;
    }
    int all_single = 1, all_certain = 1;
    for (int64_t row = 0; row < rows; row++) {
        const float *lr = l + (size_t)row * V;
        const int32_t *hr = hist_len ? hist + (size_t)row * (size_t)hist_len : NULL;
        if (um == U_BOUNDARY && p.temperature > 0) {
            /* the boundary after the kept token nearest the middle of the mass */
            int32_t t0;
            if (qref_sampling_row(&p, lr, hr, 0.5f, &t0, q, NULL) == QREF_OK) {
                double C = 0;
                for (int32_t t = 0; t < t0; t++)
                    C += q[t];
                u[row] = (float)C;
                if (!(u[row] < 1.0f))
                    u[row] = 0x1.fffffep-1f;
            }
        }
        int certain = 1;
        qref_status st = qref_sampling_row_ex(&p, lr, hr, u[row], &tok[row], q, admit + (size_t)row * V,
                                              want_probs ? qb : NULL, &certain);
        if (st != QREF_OK) {
            vf_fail(f, QCTS_VEC_ERR_GEN, "%s: c%03u (seed 0x%016llx): qref_sampling_row: %s", su->info.name, id,
                    (unsigned long long)seed, qref_status_message(st));
            goto done;
        }
        int n_adm = 0;
        for (size_t t = 0; t < V; t++)
            n_adm += admit[(size_t)row * V + t];
        all_single &= n_adm == 1;
        all_certain &= certain;
        for (size_t t = 0; t < V; t++) {
            pf[(size_t)row * V + t] = (float)q[t];
            pb[(size_t)row * V + t] = want_probs ? vdef_f32_up(qb[t]) : 0;
        }
    }
    if (want_probs && !(all_single && all_certain)) {
        vf_fail(f, QCTS_VEC_ERR_SUITE,
                "%s: c%03u: want_probs needs every row to admit one token with a certain kept set (%s); change u or "
                "the thresholds: %s", su->info.name, id, all_single ? "a kept set is uncertain" : "a row admits more",
                raw);
        goto done;
    }
    vflags fl = { { 0 }, 0 };
    if (p.temperature == 0)
        vflags_add(&fl, "greedy");
    if (p.top_k > 0)
        vflags_add(&fl, p.top_k >= p.vocab ? "top_k_off" : "top_k");
    if (p.top_p < 1)
        vflags_add(&fl, "top_p");
    if (p.min_p > 0)
        vflags_add(&fl, "min_p");
    if (hist_len)
        vflags_add(&fl, "penalties");
    if (!all_single)
        vflags_add(&fl, "ambiguous");
    vbuf pj = { 0 };
    vb_printf(&pj,
              "{\"rows\":%lld,\"vocab\":%lld,\"hist_len\":%lld,\"temperature\":%.9g,\"rep_penalty\":%.9g,"
              "\"presence_penalty\":%.9g,\"freq_penalty\":%.9g,\"top_k\":%lld,\"top_p\":%.9g,\"min_p\":%.9g,"
              "\"logits_dtype\":\"%s\",\"want_probs\":%s,\"threads\":%lld}",
              (long long)rows, (long long)vocab, (long long)hist_len, (double)p.temperature, (double)p.rep_penalty,
              (double)p.presence_penalty, (double)p.freq_penalty, (long long)top_k, (double)p.top_p,
              (double)p.min_p, dts[dt], want_probs ? "true" : "false", (long long)threads);
    vf_case(f, id, seed, want_probs ? "bound" : "admissible", &fl, dists[dist], pj.p);
    vb_free(&pj);
    int64_t ls[2] = { rows, vocab }, hs[2] = { rows, hist_len }, rs[1] = { rows };
    if (fmt == QREF_FMT_F32)
        vf_tensor_f32(f, id, "in.logits", l, ls, 2);
    else
        vf_tensor_u16(f, id, "in.logits", vdtype_st(fmt), h16, ls, 2);
    if (hist_len)
        vf_tensor_u32(f, id, "in.history", QCTS_ST_I32, (const uint32_t *)hist, hs, 2);
    vf_tensor_f32(f, id, "in.u", u, rs, 1);
    vf_tensor_u32(f, id, "out.token", QCTS_ST_I32, (const uint32_t *)tok, rs, 1);
    if (want_probs) {
        vf_tensor_f32(f, id, "out.probs", pf, ls, 2);
        vf_tensor_f32(f, id, "bound.probs", pb, ls, 2);
    } else {
        vf_tensor(f, id, "admit.token", QCTS_ST_U8, ls, 2, admit, N);
    }
done:
    free(l);
    free(u);
    free(pf);
    free(pb);
    free(h16);
    free(hist);
    free(tok);
    free(admit);
    free(q);
    free(qb);
}

void vgen_sampling(vfile *f)
{
    for (size_t i = 0; i < f->s->n_defs && vf_ok(f); i++)
        one_case(f, f->s->cases[i].raw);
}
