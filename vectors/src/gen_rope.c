/* gen_rope.c — golden cases of the rope op (qcts/op_rope.h, qref/rope.h).
 *
 * A case definition (vectors/suites/rope.json) holds the op's params with
 * the same keys as the case's params (kernels/ops/op_rope.c: mode, layout,
 * scaling, in_dtype, out_dtype, tokens, q_heads, k_heads, q_dim, k_dim,
 * rot_dim, q_rot_off, k_rot_off, theta, factor, orig_ctx, beta_fast,
 * beta_slow, mscale, mscale_all_dim, attn_factor, low_freq_factor,
 * high_freq_factor, threads) plus how to draw the inputs:
 *   "positions": "seq" (0, 1, 2, ...) | "random" (0, 1, then uniform below
 *                pos_max) | [explicit I32 list of `tokens` values]
 *   "pos_max":   bound of random positions (default 65536)
 *   "dist", "scale": activations (vdist, times scale; rounded to in_dtype)
 *   "flags":     extra flags
 * Expected outputs are qref_rope_run's (double, rounded once); the check is
 * "bound" with bound.<output> from the same call (0 on pass-through dims,
 * which are therefore compared exactly). YaRN cases whose correction dims
 * lie within 1e-6 of an integer are refused: implementations would floor
 * or ceil them differently. */
#include <stdio.h>

#include "gen_rowops.h"
#include "qref/rope.h"

static const char *const MODES[] = { "apply", "cache", "mla_latent", "mla_split_fused", NULL };
static const char *const LAYOUTS[] = { "neox", "gptj", NULL };
static const char *const SCALINGS[] = { "none", "linear", "yarn", "llama3", NULL };
static const char *const IN_NAMES[5][4] = {
    { "pos", "q", "k", NULL },                      /* apply */
    { "pos", NULL, NULL, NULL },                    /* cache */
    { "pos", "q", "k", NULL },                      /* mla_latent */
    { "pos", "q_nope", "q_pe", "k_nope" },          /* split fused (+ k_pe) */
};

static int near_int(double x)
{
    double r = x - (double)(int64_t)x;
    if (r < 0)
        r = -r;
    return r < 1e-6 || r > 1 - 1e-6;
}

static void one_case(vfile *f, const char *raw)
{
    const vsuite *su = f->s;
    qcts_rng r;
    uint64_t seed;
    unsigned id = vf_begin(f, &r, &seed);
    cJSON *o = cJSON_Parse(raw);
    qref_rope_op op;
    memset(&op, 0, sizeof op);
    int mode = 0, layout = 0, scaling = 0;
    int64_t T = 0, hq, hk, dq, dk, R = 0, qo, ko, th, pos_max;
    double scale;
    vdist dist;
    vflags fl = { { 0 }, 0 };
    qref_rope_params *p = &op.p;
    int ok = o && vdef_enum(o, "mode", 0, MODES, &mode) && vdef_enum(o, "layout", 0, LAYOUTS, &layout) &&
             vdef_enum(o, "scaling", 0, SCALINGS, &scaling) && vdef_fmt(o, "in_dtype", &op.in_dtype) &&
             vdef_fmt(o, "out_dtype", &op.out_dtype) && vdef_int(o, "tokens", 0, 1, 4096, &T) &&
             vdef_int(o, "rot_dim", 0, 2, QREF_ROPE_MAX_ROT, &R) && vdef_int(o, "q_heads", 0, 0, 256, &hq) &&
             vdef_int(o, "k_heads", 0, 0, 256, &hk) && vdef_int(o, "q_dim", 0, 0, 8192, &dq) &&
             vdef_int(o, "k_dim", 0, 0, 8192, &dk) && vdef_int(o, "q_rot_off", 0, 0, 8192, &qo) &&
             vdef_int(o, "k_rot_off", 0, 0, 8192, &ko) && vdef_num(o, "theta", 10000.0, 1.0, 1e12, &p->theta) &&
             vdef_num(o, "factor", 1.0, 1.0, 1e6, &p->factor) && vdef_num(o, "orig_ctx", 0.0, 0.0, 1e9, &p->orig_ctx) &&
             vdef_num(o, "beta_fast", 32.0, 0.0, 1e6, &p->beta_fast) &&
             vdef_num(o, "beta_slow", 1.0, 0.0, 1e6, &p->beta_slow) && vdef_num(o, "mscale", 1.0, 0.0, 100, &p->mscale) &&
             vdef_num(o, "mscale_all_dim", 0.0, 0.0, 100, &p->mscale_all_dim) &&
             vdef_num(o, "attn_factor", 0.0, 0.0, 100, &p->attn_factor) &&
             vdef_num(o, "low_freq_factor", 1.0, 0.0, 1e6, &p->low_freq_factor) &&
             vdef_num(o, "high_freq_factor", 4.0, 0.0, 1e6, &p->high_freq_factor) &&
             vdef_int(o, "threads", 1, 1, 64, &th) && vdef_int(o, "pos_max", 65536, 1, INT32_MAX, &pos_max) &&
             vdef_num(o, "scale", 1.0, 1e-30, 1e30, &scale) && gr_dist(o, VD_GAUSS, &dist) && gr_flags(o, &fl);
    if (ok) {
        p->layout = (qref_rope_layout)layout;
        p->scaling = (qref_rope_scaling)scaling;
        p->rot_dim = (int32_t)R;
        op.mode = (qref_rope_mode)mode;
        op.tokens = T;
        op.q_heads = (int32_t)hq, op.k_heads = (int32_t)hk, op.q_dim = (int32_t)dq, op.k_dim = (int32_t)dk;
        op.q_rot_off = (int32_t)qo, op.k_rot_off = (int32_t)ko;
    }
    int64_t ni[QREF_ROPE_IN], no[QREF_ROPE_OUT];
    if (!ok || qref_rope_sizes(&op, ni, no) != QREF_OK) {
        cJSON_Delete(o);
        vf_fail(f, QCTS_VEC_ERR_SUITE,
                "%s: c%03u: not a valid rope case (keys and ranges: vectors/src/gen_rope.c, shapes: "
                "qcts/op_rope.h): %s",
                su->info.name, id, raw);
        return;
    }
    if (scaling == QREF_ROPE_SCALE_YARN) {
        double cf, cs;
        qref_rope_yarn_dims(p, &cf, &cs);
        if (near_int(cf) || near_int(cs)) {
            cJSON_Delete(o);
            vf_fail(f, QCTS_VEC_ERR_SUITE, "%s: c%03u: YaRN correction dims %.9g, %.9g lie within 1e-6 of an integer",
                    su->info.name, id, cf, cs);
            return;
        }
    }
    /* positions */
    int32_t *pos = malloc((size_t)T * sizeof *pos);
    double *in[QREF_ROPE_IN] = { 0 }, *want[QREF_ROPE_OUT] = { 0 };
    void *inb[QREF_ROPE_IN] = { 0 }, *outb[QREF_ROPE_OUT] = { 0 };
    float *bound[QREF_ROPE_OUT] = { 0 };
    char *params = NULL;
    if (!pos) {
        vf_fail(f, QCTS_VEC_ERR_NOMEM, "out of memory");
        goto done;
    }
    const cJSON *pv = cJSON_GetObjectItemCaseSensitive(o, "positions");
    if (cJSON_IsArray(pv)) {
        if (cJSON_GetArraySize(pv) != T) {
            vf_fail(f, QCTS_VEC_ERR_SUITE, "%s: c%03u: positions must list %lld values", su->info.name, id,
                    (long long)T);
            goto done;
        }
        int64_t k = 0;
        for (const cJSON *it = pv->child; it; it = it->next, k++) {
            if (!cJSON_IsNumber(it) || it->valuedouble != (double)(int32_t)it->valuedouble) {
                vf_fail(f, QCTS_VEC_ERR_SUITE, "%s: c%03u: positions[%lld] is not an int32", su->info.name, id,
                        (long long)k);
                goto done;
            }
            pos[k] = (int32_t)it->valuedouble;
        }
    } else {
        int seq = 1;
        if (pv && !(cJSON_IsString(pv) && (!strcmp(pv->valuestring, "seq") || !(seq = strcmp(pv->valuestring, "random"))))) {
            vf_fail(f, QCTS_VEC_ERR_SUITE, "%s: c%03u: positions must be \"seq\", \"random\" or a list", su->info.name,
                    id);
            goto done;
        }
        for (int64_t t = 0; t < T; t++)
            pos[t] = seq || t < 2 ? (int32_t)t : (int32_t)qcts_rng_below(&r, (uint64_t)pos_max);
    }
    int32_t pmax = 0;
    for (int64_t t = 0; t < T; t++)
        pmax = pos[t] > pmax ? pos[t] : pmax;
    /* activations */
    for (int i = 1; i < QREF_ROPE_IN; i++) {
        if (!ni[i])
            continue;
        float *tmp = malloc((size_t)ni[i] * sizeof *tmp);
        in[i] = malloc((size_t)ni[i] * sizeof *in[i]);
        inb[i] = malloc((size_t)ni[i] * gr_size(op.in_dtype));
        if (!tmp || !in[i] || !inb[i]) {
            free(tmp);
            vf_fail(f, QCTS_VEC_ERR_NOMEM, "out of memory");
            goto done;
        }
        vin_fill(&r, dist, 1, ni[i], 0, tmp);
        for (int64_t j = 0; j < ni[i]; j++) {
            in[i][j] = qref_rowop_round(op.in_dtype, (double)tmp[j] * scale);
            qref_rowop_store(op.in_dtype, inb[i], j, in[i][j]);
        }
        free(tmp);
    }
    for (int i = 0; i < QREF_ROPE_OUT; i++) {
        if (!no[i])
            continue;
        outb[i] = malloc((size_t)no[i] * gr_size(op.out_dtype));
        bound[i] = malloc((size_t)no[i] * sizeof *bound[i]);
        if (!outb[i] || !bound[i]) {
            vf_fail(f, QCTS_VEC_ERR_NOMEM, "out of memory");
            goto done;
        }
    }
    const void *cin[QREF_ROPE_IN] = { pos, inb[1], inb[2], inb[3], inb[4] };
    if (qref_rope_run(&op, cin, outb, bound) != QREF_OK) {
        vf_fail(f, QCTS_VEC_ERR_GEN, "%s: c%03u: qref_rope_run failed", su->info.name, id);
        goto done;
    }
    /* flags */
    vflags_add(&fl, MODES[mode]);
    vflags_add(&fl, LAYOUTS[layout]);
    if (scaling)
        vflags_add(&fl, SCALINGS[scaling]);
    if ((mode == 0 && (R < dq || (hk && R < dk))))
        vflags_add(&fl, "partial");
    if ((R / 2) % 8)
        vflags_add(&fl, "odd_half");
    if (pmax >= 65536)
        vflags_add(&fl, "large_pos");
    if (op.in_dtype != QREF_FMT_F32)
        vflags_add(&fl, op.in_dtype == QREF_FMT_F16 ? "in_f16" : "in_bf16");
    if (op.out_dtype != QREF_FMT_F32)
        vflags_add(&fl, op.out_dtype == QREF_FMT_F16 ? "out_f16" : "out_bf16");
    if (th > 1)
        vflags_add(&fl, "threads");
    /* params: the desc's keys (op_rope.c reads them) and bound_c */
    {
        vbuf b = { 0 };
        vb_printf(&b,
                  "{\"mode\":\"%s\",\"layout\":\"%s\",\"scaling\":\"%s\",\"in_dtype\":\"%s\",\"out_dtype\":\"%s\","
                  "\"tokens\":%lld,\"rot_dim\":%lld,\"q_heads\":%lld,\"k_heads\":%lld,\"q_dim\":%lld,\"k_dim\":%lld,"
                  "\"q_rot_off\":%lld,\"k_rot_off\":%lld,\"theta\":%.17g,\"factor\":%.17g,\"orig_ctx\":%.17g,"
                  "\"beta_fast\":%.17g,\"beta_slow\":%.17g,\"mscale\":%.17g,\"mscale_all_dim\":%.17g,"
                  "\"attn_factor\":%.17g,\"low_freq_factor\":%.17g,\"high_freq_factor\":%.17g,\"threads\":%lld,"
                  "\"bound_c\":1}",
                  MODES[mode], LAYOUTS[layout], SCALINGS[scaling], vdtype_name(op.in_dtype),
                  vdtype_name(op.out_dtype), (long long)T, (long long)R, (long long)hq, (long long)hk, (long long)dq,
                  (long long)dk, (long long)qo, (long long)ko, p->theta, p->factor, p->orig_ctx, p->beta_fast,
                  p->beta_slow, p->mscale, p->mscale_all_dim, p->attn_factor, p->low_freq_factor,
                  p->high_freq_factor, (long long)th);
        if (b.oom) {
            vb_free(&b);
            vf_fail(f, QCTS_VEC_ERR_NOMEM, "out of memory");
            goto done;
        }
        params = b.p;
    }
    vf_case(f, id, seed, "bound", &fl, vdist_name(dist), params);
    {
        int64_t sh[3] = { T, 0, 0 };
        vf_tensor_u32(f, id, "in.pos", QCTS_ST_I32, (const uint32_t *)(const void *)pos, sh, 1);
        int64_t D = mode == QREF_ROPE_MLA_SPLIT_FUSED ? dq : 0, nope = dq - R;
        for (int i = 1; i < QREF_ROPE_IN; i++) {
            if (!ni[i])
                continue;
            char name[32];
            const char *nm = i < 4 ? IN_NAMES[mode][i] : "k_pe";
            snprintf(name, sizeof name, "in.%s", nm);
            int64_t s3[3] = { T, 0, 0 };
            if (mode == QREF_ROPE_MLA_SPLIT_FUSED) {
                s3[1] = i == 4 ? 1 : hq;
                s3[2] = (i == 1 || i == 3) ? nope : R;
            } else {
                s3[1] = i == 1 ? hq : hk;
                s3[2] = i == 1 ? dq : dk;
            }
            gr_tensor_raw(f, id, name, op.in_dtype, inb[i], s3, 3);
        }
        static const char *const OUTN[2][2] = { { "q", "k" }, { "cos", "sin" } };
        for (int i = 0; i < QREF_ROPE_OUT; i++) {
            if (!no[i])
                continue;
            const char *nm = OUTN[mode == QREF_ROPE_CACHE][i];
            char name[32];
            int64_t s3[3] = { T, 0, 0 };
            int nd = 3;
            if (mode == QREF_ROPE_CACHE) {
                s3[1] = R / 2;
                nd = 2;
            } else if (mode == QREF_ROPE_MLA_SPLIT_FUSED) {
                s3[1] = hq;
                s3[2] = D;
            } else {
                s3[1] = i == 0 ? hq : hk;
                s3[2] = i == 0 ? dq : dk;
            }
            snprintf(name, sizeof name, "out.%s", nm);
            gr_tensor_raw(f, id, name, op.out_dtype, outb[i], s3, nd);
            snprintf(name, sizeof name, "bound.%s", nm);
            vf_tensor_f32(f, id, name, bound[i], s3, nd);
        }
    }
done:
    cJSON_Delete(o);
    free(pos);
    free(params);
    for (int i = 0; i < QREF_ROPE_IN; i++)
        free(in[i]), free(inb[i]);
    for (int i = 0; i < QREF_ROPE_OUT; i++)
        free(want[i]), free(outb[i]), free(bound[i]);
}

void vgen_rope(vfile *f)
{
    for (size_t i = 0; i < f->s->n_defs && vf_ok(f); i++)
        one_case(f, f->s->cases[i].raw);
}
