/* op_rope.c — the rope op's definition (qcts/opdef.h; descriptor and slots:
 * qcts/op_rope.h; arithmetic: qref/rope.h). */
#include <string.h>

#include "op_json.h"
#include "op_rope_qref.h"

static const char *const MODES[] = { "apply", "cache", "mla_latent", "mla_split_fused", NULL };
static const char *const LAYOUTS[] = { "neox", "gptj", NULL };
static const char *const SCALINGS[] = { "none", "linear", "yarn", "llama3", NULL };

static int dt_ok(int32_t dt) { return dt == QCTS_DT_F32 || dt == QCTS_DT_F16 || dt == QCTS_DT_BF16; }

static qcts_status rope_io(const void *desc, qcts_op_io *io, char *err, size_t errlen)
{
    const qcts_rope_desc *d = desc;
    if (d->mode < 0 || d->mode > 3)
        return op_fail(err, errlen, "rope: mode is %d, expected 0..3 (apply, cache, mla_latent, mla_split_fused)",
                       (int)d->mode);
    if (d->layout < 0 || d->layout > 1)
        return op_fail(err, errlen, "rope: layout is %d, expected 0 (neox) or 1 (gptj)", (int)d->layout);
    if (d->scaling < 0 || d->scaling > 3)
        return op_fail(err, errlen, "rope: scaling is %d, expected 0..3 (none, linear, yarn, llama3)",
                       (int)d->scaling);
    if (!dt_ok(d->in_dtype) || !dt_ok(d->out_dtype))
        return op_fail(err, errlen, "rope: in_dtype %d / out_dtype %d, expected f32, f16 or bf16", (int)d->in_dtype,
                       (int)d->out_dtype);
    if (d->threads < 0 || d->reserved != 0)
        return op_fail(err, errlen, "rope: threads must be >= 0 and reserved 0");
    if (d->rot_dim < 2 || d->rot_dim > QREF_ROPE_MAX_ROT || (d->rot_dim & 1))
        return op_fail(err, errlen, "rope: rot_dim is %d, expected an even number in 2..%d", (int)d->rot_dim,
                       QREF_ROPE_MAX_ROT);
    qref_rope_op op;
    qcts_rope_to_qref(d, &op);
    if (qref_rope_check(&op.p) != QREF_OK)
        return op_fail(err, errlen,
                       "rope: frequency parameters rejected: theta > 1 (is %g); factor >= 1 with a scaling (is %g); "
                       "yarn: orig_ctx > 0, beta_fast > beta_slow > 0, mscale(s) >= 0; llama3: orig_ctx > 0, "
                       "high_freq_factor > low_freq_factor > 0; attn_factor >= 0",
                       d->theta, d->factor);
    int64_t ni[QREF_ROPE_IN], no[QREF_ROPE_OUT];
    if (qref_rope_sizes(&op, ni, no) != QREF_OK) {
        if (d->mode == QCTS_ROPE_MLA_SPLIT_FUSED)
            return op_fail(err, errlen,
                           "rope mla_split_fused: expected tokens >= 1, q_heads >= 1, k_heads == q_heads, q_dim > "
                           "rot_dim, k_dim, q_rot_off, k_rot_off 0 (are %lld, %d, %d, %d/%d, %d, %d, %d)",
                           (long long)d->tokens, (int)d->q_heads, (int)d->k_heads, (int)d->q_dim, (int)d->rot_dim,
                           (int)d->k_dim, (int)d->q_rot_off, (int)d->k_rot_off);
        if (d->mode == QCTS_ROPE_MLA_LATENT)
            return op_fail(err, errlen,
                           "rope mla_latent: expected k_heads 1, q_rot_off = q_dim - rot_dim and k_rot_off = k_dim - "
                           "rot_dim (are %d, %d, %d)",
                           (int)d->k_heads, (int)d->q_rot_off, (int)d->k_rot_off);
        return op_fail(err, errlen,
                       "rope: shapes rejected: tokens >= 1 (is %lld), q_heads >= 1 (is %d), k_heads >= 0 (is %d), "
                       "q_rot_off + rot_dim <= q_dim (%d + %d, %d), k likewise (%d + %d, %d; k_dim 0 without k), "
                       "sizes below 2^40 elements",
                       (long long)d->tokens, (int)d->q_heads, (int)d->k_heads, (int)d->q_rot_off, (int)d->rot_dim,
                       (int)d->q_dim, (int)d->k_rot_off, (int)d->rot_dim, (int)d->k_dim);
    }
    memset(io, 0, sizeof *io);
    const qcts_dtype it = (qcts_dtype)d->in_dtype, ot = (qcts_dtype)d->out_dtype;
    const int64_t T = d->tokens, R = d->rot_dim;
    int bad = op_spec(&io->in[0], "pos", QCTS_DT_I32, 0, 1, T, 0, 0, 0);
    switch (d->mode) {
    case QCTS_ROPE_CACHE:
        io->n_in = 1;
        io->n_out = 2;
        bad |= op_spec(&io->out[0], "cos", ot, 0, 2, T, R / 2, 0, 0);
        bad |= op_spec(&io->out[1], "sin", ot, 0, 2, T, R / 2, 0, 0);
        break;
    case QCTS_ROPE_MLA_SPLIT_FUSED:
        io->n_in = 5;
        io->n_out = 2;
        bad |= op_spec(&io->in[1], "q_nope", it, 0, 3, T, d->q_heads, d->q_dim - R, 0);
        bad |= op_spec(&io->in[2], "q_pe", it, 0, 3, T, d->q_heads, R, 0);
        bad |= op_spec(&io->in[3], "k_nope", it, 0, 3, T, d->q_heads, d->q_dim - R, 0);
        bad |= op_spec(&io->in[4], "k_pe", it, 0, 3, T, 1, R, 0);
        bad |= op_spec(&io->out[0], "q", ot, 0, 3, T, d->q_heads, d->q_dim, 0);
        bad |= op_spec(&io->out[1], "k", ot, 0, 3, T, d->q_heads, d->q_dim, 0);
        break;
    default:
        io->n_in = d->k_heads > 0 ? 3 : 2;
        io->n_out = d->k_heads > 0 ? 2 : 1;
        bad |= op_spec(&io->in[1], "q", it, 0, 3, T, d->q_heads, d->q_dim, 0);
        bad |= op_spec(&io->out[0], "q", ot, 0, 3, T, d->q_heads, d->q_dim, 0);
        if (d->k_heads > 0) {
            bad |= op_spec(&io->in[2], "k", it, 0, 3, T, d->k_heads, d->k_dim, 0);
            bad |= op_spec(&io->out[1], "k", ot, 0, 3, T, d->k_heads, d->k_dim, 0);
        }
        break;
    }
    if (bad)
        return op_fail(err, errlen, "rope: tensor sizes overflow");
    return QCTS_OK;
}

static qcts_status rope_from_json(const cJSON *p, void *desc, char *err, size_t errlen)
{
    qcts_rope_desc *d = desc;
    int64_t T, hq, hk, dq, dk, R, qo, ko, th;
    qcts_dtype it, ot;
    const double big = 1e300;
    if (op_json_enum(p, "mode", "apply", MODES, &d->mode, err, errlen) ||
        op_json_enum(p, "layout", "neox", LAYOUTS, &d->layout, err, errlen) ||
        op_json_enum(p, "scaling", "none", SCALINGS, &d->scaling, err, errlen) ||
        op_json_dtype(p, "in_dtype", "f32", 1, &it, err, errlen) ||
        op_json_dtype(p, "out_dtype", "f32", 1, &ot, err, errlen) ||
        op_json_int(p, "tokens", 1, 0, 1, (int64_t)1 << 40, &T, err, errlen) ||
        op_json_int(p, "rot_dim", 1, 0, 2, QREF_ROPE_MAX_ROT, &R, err, errlen) ||
        op_json_int(p, "q_heads", 0, 0, 0, 1 << 20, &hq, err, errlen) ||
        op_json_int(p, "k_heads", 0, 0, 0, 1 << 20, &hk, err, errlen) ||
        op_json_int(p, "q_dim", 0, 0, 0, 1 << 24, &dq, err, errlen) ||
        op_json_int(p, "k_dim", 0, 0, 0, 1 << 24, &dk, err, errlen) ||
        op_json_int(p, "q_rot_off", 0, 0, 0, 1 << 24, &qo, err, errlen) ||
        op_json_int(p, "k_rot_off", 0, 0, 0, 1 << 24, &ko, err, errlen) ||
        op_json_double(p, "theta", 0, 10000.0, 1.0, big, &d->theta, err, errlen) ||
        op_json_double(p, "factor", 0, 1.0, 1.0, big, &d->factor, err, errlen) ||
        op_json_double(p, "orig_ctx", 0, 0.0, 0.0, big, &d->orig_ctx, err, errlen) ||
        op_json_double(p, "beta_fast", 0, 32.0, 0.0, big, &d->beta_fast, err, errlen) ||
        op_json_double(p, "beta_slow", 0, 1.0, 0.0, big, &d->beta_slow, err, errlen) ||
        op_json_double(p, "mscale", 0, 1.0, 0.0, big, &d->mscale, err, errlen) ||
        op_json_double(p, "mscale_all_dim", 0, 0.0, 0.0, big, &d->mscale_all_dim, err, errlen) ||
        op_json_double(p, "attn_factor", 0, 0.0, 0.0, big, &d->attn_factor, err, errlen) ||
        op_json_double(p, "low_freq_factor", 0, 1.0, 0.0, big, &d->low_freq_factor, err, errlen) ||
        op_json_double(p, "high_freq_factor", 0, 4.0, 0.0, big, &d->high_freq_factor, err, errlen) ||
        op_json_int(p, "threads", 0, 1, 1, 1024, &th, err, errlen))
        return QCTS_ERROR;
    d->in_dtype = (int32_t)it;
    d->out_dtype = (int32_t)ot;
    d->tokens = T;
    d->rot_dim = (int32_t)R;
    d->q_heads = (int32_t)hq;
    d->k_heads = (int32_t)hk;
    d->q_dim = (int32_t)dq;
    d->k_dim = (int32_t)dk;
    d->q_rot_off = (int32_t)qo;
    d->k_rot_off = (int32_t)ko;
    d->threads = (int32_t)th;
    return QCTS_OK;
}

static int rope_to_json(const void *desc, cJSON *p)
{
    const qcts_rope_desc *d = desc;
    if (d->mode < 0 || d->mode > 3 || d->layout < 0 || d->layout > 1 || d->scaling < 0 || d->scaling > 3)
        return -1;
    return (op_set_str(p, "mode", MODES[d->mode]) || op_set_str(p, "layout", LAYOUTS[d->layout]) ||
            op_set_str(p, "scaling", SCALINGS[d->scaling]) ||
            op_set_str(p, "in_dtype", qcts_dtype_name((qcts_dtype)d->in_dtype)) ||
            op_set_str(p, "out_dtype", qcts_dtype_name((qcts_dtype)d->out_dtype)) ||
            op_set_int(p, "tokens", d->tokens) || op_set_int(p, "rot_dim", d->rot_dim) ||
            op_set_int(p, "q_heads", d->q_heads) || op_set_int(p, "k_heads", d->k_heads) ||
            op_set_int(p, "q_dim", d->q_dim) || op_set_int(p, "k_dim", d->k_dim) ||
            op_set_int(p, "q_rot_off", d->q_rot_off) || op_set_int(p, "k_rot_off", d->k_rot_off) ||
            op_set_double(p, "theta", d->theta) || op_set_double(p, "factor", d->factor) ||
            op_set_double(p, "orig_ctx", d->orig_ctx) || op_set_double(p, "beta_fast", d->beta_fast) ||
            op_set_double(p, "beta_slow", d->beta_slow) || op_set_double(p, "mscale", d->mscale) ||
            op_set_double(p, "mscale_all_dim", d->mscale_all_dim) ||
            op_set_double(p, "attn_factor", d->attn_factor) ||
            op_set_double(p, "low_freq_factor", d->low_freq_factor) ||
            op_set_double(p, "high_freq_factor", d->high_freq_factor) ||
            op_set_int(p, "threads", d->threads > 0 ? d->threads : 1))
               ? -1
               : 0;
}

static void rope_describe(const void *desc, char *buf, size_t n)
{
    const qcts_rope_desc *d = desc;
    int ok = d->mode >= 0 && d->mode <= 3 && d->layout >= 0 && d->layout <= 1 && d->scaling >= 0 && d->scaling <= 3;
    const char *it = qcts_dtype_name((qcts_dtype)d->in_dtype), *ot = qcts_dtype_name((qcts_dtype)d->out_dtype);
    snprintf(buf, n, "rope %s %s %s theta %g tokens %lld q %dx%d k %dx%d rot %d @%d/%d %s->%s threads %d",
             ok ? MODES[d->mode] : "?", ok ? LAYOUTS[d->layout] : "?", ok ? SCALINGS[d->scaling] : "?", d->theta,
             (long long)d->tokens, (int)d->q_heads, (int)d->q_dim, (int)d->k_heads, (int)d->k_dim, (int)d->rot_dim,
             (int)d->q_rot_off, (int)d->k_rot_off, it ? it : "?", ot ? ot : "?", (int)d->threads);
}

/* Results are filed under the mode (apply, cache, mla_latent, mla_split_fused). */
static const char *rope_scheme(const void *desc)
{
    const qcts_rope_desc *d = desc;
    return d->mode >= 0 && d->mode <= 3 ? MODES[d->mode] : NULL;
}

static qcts_status rope_call(const qcts_backend *be, const void *d, const qcts_buffers *b, qcts_call **c, char *m,
                             size_t n)
{
    return be->rope((const qcts_rope_desc *)d, b, c, m, n);
}

static int rope_has(const qcts_backend *be) { return be->rope != NULL; }

static int32_t rope_threads(void *desc, int32_t n)
{
    qcts_rope_desc *d = desc;
    int32_t own = d->threads > 0 ? d->threads : 1;
    if (n > 0)
        d->threads = n;
    return own;
}

const qcts_opdef qcts_opdef_rope = { QCTS_OP_ROPE, "rope", sizeof(qcts_rope_desc), rope_io, rope_from_json,
                                     rope_to_json, rope_describe, rope_scheme, rope_call, rope_has, rope_threads };
