/* op_norm.c — the norm op's definition (qcts/opdef.h; descriptor and slots:
 * qcts/op_norm.h; arithmetic: qref/norm.h). */
#include <string.h>

#include "op_json.h"

static const char *const KINDS[] = { "rms", "layer", NULL };

static int dt_ok(int32_t dt) { return dt == QCTS_DT_F32 || dt == QCTS_DT_F16 || dt == QCTS_DT_BF16; }
static int bit(int32_t v) { return v == 0 || v == 1; }

static qcts_status norm_io(const void *desc, qcts_op_io *io, char *err, size_t errlen)
{
    const qcts_norm_desc *d = desc;
    if (d->kind != QCTS_NORM_RMS && d->kind != QCTS_NORM_LAYER)
        return op_fail(err, errlen, "norm: kind is %d, expected 0 (rms) or 1 (layer)", (int)d->kind);
    if (!dt_ok(d->dtype) || !dt_ok(d->out_dtype))
        return op_fail(err, errlen, "norm: dtype %d / out_dtype %d, expected f32, f16 or bf16", (int)d->dtype,
                       (int)d->out_dtype);
    if (!bit(d->has_weight) || !bit(d->has_bias) || !bit(d->has_residual))
        return op_fail(err, errlen, "norm: has_weight, has_bias, has_residual must be 0 or 1 (are %d, %d, %d)",
                       (int)d->has_weight, (int)d->has_bias, (int)d->has_residual);
    if (d->rows < 1 || d->n < 1 || d->rows > ((int64_t)1 << 40) || d->n > ((int64_t)1 << 30) ||
        d->rows > (((int64_t)1 << 40) / d->n))
        return op_fail(err, errlen, "norm: rows %lld x n %lld, expected rows, n >= 1 and rows * n <= 2^40",
                       (long long)d->rows, (long long)d->n);
    if (!(d->eps > 0 && d->eps <= 1.0))
        return op_fail(err, errlen, "norm: eps is %g, expected 0 < eps <= 1", d->eps);
    if (d->threads < 0 || d->reserved != 0)
        return op_fail(err, errlen, "norm: threads must be >= 0 and reserved 0");
    memset(io, 0, sizeof *io);
    const qcts_dtype dt = (qcts_dtype)d->dtype;
    io->n_in = 4;
    io->n_out = d->has_residual ? 2 : 1;
    int bad = op_spec(&io->in[0], "x", dt, 0, 2, d->rows, d->n, 0, 0);
    if (d->has_weight)
        bad |= op_spec(&io->in[1], "weight", dt, 0, 1, d->n, 0, 0, 0);
    if (d->has_bias)
        bad |= op_spec(&io->in[2], "bias", dt, 0, 1, d->n, 0, 0, 0);
    if (d->has_residual) {
        bad |= op_spec(&io->in[3], "residual", dt, 0, 2, d->rows, d->n, 0, 0);
        bad |= op_spec(&io->out[1], "residual", dt, 0, 2, d->rows, d->n, 0, 0);
    }
    bad |= op_spec(&io->out[0], "y", (qcts_dtype)d->out_dtype, 0, 2, d->rows, d->n, 0, 0);
    if (bad)
        return op_fail(err, errlen, "norm: tensor sizes overflow");
    return QCTS_OK;
}

static qcts_status norm_from_json(const cJSON *p, void *desc, char *err, size_t errlen)
{
    qcts_norm_desc *d = desc;
    int64_t rows, n, th;
    qcts_dtype dt, ot;
    if (op_json_enum(p, "kind", NULL, KINDS, &d->kind, err, errlen) ||
        op_json_dtype(p, "dtype", "f32", 1, &dt, err, errlen) ||
        op_json_dtype(p, "out_dtype", "f32", 1, &ot, err, errlen) ||
        op_json_int(p, "rows", 1, 0, 1, (int64_t)1 << 40, &rows, err, errlen) ||
        op_json_int(p, "n", 1, 0, 1, (int64_t)1 << 30, &n, err, errlen) ||
        op_json_double(p, "eps", 1, 0, 1e-300, 1.0, &d->eps, err, errlen) ||
        op_json_bool(p, "weight", 1, &d->has_weight, err, errlen) ||
        op_json_bool(p, "bias", 0, &d->has_bias, err, errlen) ||
        op_json_bool(p, "residual", 0, &d->has_residual, err, errlen) ||
        op_json_int(p, "threads", 0, 1, 1, 1024, &th, err, errlen))
        return QCTS_ERROR;
    d->dtype = (int32_t)dt;
    d->out_dtype = (int32_t)ot;
    d->rows = rows;
    d->n = n;
    d->threads = (int32_t)th;
    return QCTS_OK;
}

static int norm_to_json(const void *desc, cJSON *p)
{
    const qcts_norm_desc *d = desc;
    if (d->kind < 0 || d->kind > 1)
        return -1;
    return (op_set_str(p, "kind", KINDS[d->kind]) || op_set_str(p, "dtype", qcts_dtype_name((qcts_dtype)d->dtype)) ||
            op_set_str(p, "out_dtype", qcts_dtype_name((qcts_dtype)d->out_dtype)) ||
            op_set_int(p, "rows", d->rows) || op_set_int(p, "n", d->n) || op_set_double(p, "eps", d->eps) ||
            op_set_bool(p, "weight", d->has_weight) || op_set_bool(p, "bias", d->has_bias) ||
            op_set_bool(p, "residual", d->has_residual) || op_set_int(p, "threads", d->threads > 0 ? d->threads : 1))
               ? -1
               : 0;
}

static void norm_describe(const void *desc, char *buf, size_t n)
{
    const qcts_norm_desc *d = desc;
    const char *it = qcts_dtype_name((qcts_dtype)d->dtype), *ot = qcts_dtype_name((qcts_dtype)d->out_dtype);
    snprintf(buf, n, "norm %s rows %lld n %lld eps %g%s%s%s %s->%s threads %d",
             d->kind == 0 ? "rms" : d->kind == 1 ? "layer" : "?", (long long)d->rows, (long long)d->n, d->eps,
             d->has_weight ? " weight" : "", d->has_bias ? " bias" : "", d->has_residual ? " residual" : "",
             it ? it : "?", ot ? ot : "?", (int)d->threads);
}

/* Results are filed under the kind (rms, layer). */
static const char *norm_scheme(const void *desc)
{
    const qcts_norm_desc *d = desc;
    return d->kind == 0 || d->kind == 1 ? KINDS[d->kind] : NULL;
}

static qcts_status norm_call(const qcts_backend *be, const void *d, const qcts_buffers *b, qcts_call **c, char *m,
                             size_t n)
{
    return be->norm((const qcts_norm_desc *)d, b, c, m, n);
}

static int norm_has(const qcts_backend *be) { return be->norm != NULL; }

static int32_t norm_threads(void *desc, int32_t n)
{
    qcts_norm_desc *d = desc;
    int32_t own = d->threads > 0 ? d->threads : 1;
    if (n > 0)
        d->threads = n;
    return own;
}

const qcts_opdef qcts_opdef_norm = { QCTS_OP_NORM, "norm", sizeof(qcts_norm_desc), norm_io, norm_from_json,
                                     norm_to_json, norm_describe, norm_scheme, norm_call, norm_has, norm_threads };
