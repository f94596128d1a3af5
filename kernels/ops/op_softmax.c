/* op_softmax.c — the softmax op's definition (qcts/opdef.h; descriptor and
 * slots: qcts/op_norm.h; arithmetic: qref/norm.h). */
#include <string.h>

#include "op_json.h"

static int dt_ok(int32_t dt) { return dt == QCTS_DT_F32 || dt == QCTS_DT_F16 || dt == QCTS_DT_BF16; }

static qcts_status softmax_io(const void *desc, qcts_op_io *io, char *err, size_t errlen)
{
    const qcts_softmax_desc *d = desc;
    if (!dt_ok(d->in_dtype) || !dt_ok(d->out_dtype))
        return op_fail(err, errlen, "softmax: in_dtype %d / out_dtype %d, expected f32, f16 or bf16",
                       (int)d->in_dtype, (int)d->out_dtype);
    if (d->rows < 1 || d->n < 1 || d->rows > ((int64_t)1 << 40) || d->n > ((int64_t)1 << 30) ||
        d->rows > (((int64_t)1 << 40) / d->n))
        return op_fail(err, errlen, "softmax: rows %lld x n %lld, expected rows, n >= 1 and rows * n <= 2^40",
                       (long long)d->rows, (long long)d->n);
    if (!(d->temperature > 0 && d->temperature < 1e30))
        return op_fail(err, errlen, "softmax: temperature is %g, expected 0 < T < 1e30", d->temperature);
    if (d->threads < 0 || d->reserved != 0)
        return op_fail(err, errlen, "softmax: threads must be >= 0 and reserved 0");
    memset(io, 0, sizeof *io);
    io->n_in = 1;
    io->n_out = 1;
    if (op_spec(&io->in[0], "x", (qcts_dtype)d->in_dtype, 0, 2, d->rows, d->n, 0, 0) ||
        op_spec(&io->out[0], "y", (qcts_dtype)d->out_dtype, 0, 2, d->rows, d->n, 0, 0))
        return op_fail(err, errlen, "softmax: tensor sizes overflow");
    return QCTS_OK;
}

static qcts_status softmax_from_json(const cJSON *p, void *desc, char *err, size_t errlen)
{
    qcts_softmax_desc *d = desc;
    int64_t rows, n, th;
    qcts_dtype it, ot;
    if (op_json_dtype(p, "in_dtype", "f32", 1, &it, err, errlen) ||
        op_json_dtype(p, "out_dtype", "f32", 1, &ot, err, errlen) ||
        op_json_int(p, "rows", 1, 0, 1, (int64_t)1 << 40, &rows, err, errlen) ||
        op_json_int(p, "n", 1, 0, 1, (int64_t)1 << 30, &n, err, errlen) ||
        op_json_double(p, "temperature", 0, 1.0, 1e-30, 1e30, &d->temperature, err, errlen) ||
        op_json_int(p, "threads", 0, 1, 1, 1024, &th, err, errlen))
        return QCTS_ERROR;
    d->in_dtype = (int32_t)it;
    d->out_dtype = (int32_t)ot;
    d->rows = rows;
    d->n = n;
    d->threads = (int32_t)th;
    return QCTS_OK;
}

static int softmax_to_json(const void *desc, cJSON *p)
{
    const qcts_softmax_desc *d = desc;
    return (op_set_str(p, "in_dtype", qcts_dtype_name((qcts_dtype)d->in_dtype)) ||
            op_set_str(p, "out_dtype", qcts_dtype_name((qcts_dtype)d->out_dtype)) ||
            op_set_int(p, "rows", d->rows) || op_set_int(p, "n", d->n) ||
            op_set_double(p, "temperature", d->temperature) ||
            op_set_int(p, "threads", d->threads > 0 ? d->threads : 1))
               ? -1
               : 0;
}

static void softmax_describe(const void *desc, char *buf, size_t n)
{
    const qcts_softmax_desc *d = desc;
    const char *it = qcts_dtype_name((qcts_dtype)d->in_dtype), *ot = qcts_dtype_name((qcts_dtype)d->out_dtype);
    snprintf(buf, n, "softmax rows %lld n %lld T %g %s->%s threads %d", (long long)d->rows, (long long)d->n,
             d->temperature, it ? it : "?", ot ? ot : "?", (int)d->threads);
}

static qcts_status softmax_call(const qcts_backend *be, const void *d, const qcts_buffers *b, qcts_call **c,
                                char *m, size_t n)
{
    return be->softmax((const qcts_softmax_desc *)d, b, c, m, n);
}

static int softmax_has(const qcts_backend *be) { return be->softmax != NULL; }

static int32_t softmax_threads(void *desc, int32_t n)
{
    qcts_softmax_desc *d = desc;
    int32_t own = d->threads > 0 ? d->threads : 1;
    if (n > 0)
        d->threads = n;
    return own;
}

const qcts_opdef qcts_opdef_softmax = { QCTS_OP_SOFTMAX, "softmax", sizeof(qcts_softmax_desc), softmax_io,
                                        softmax_from_json, softmax_to_json, softmax_describe, NULL,
                                        softmax_call, softmax_has, softmax_threads };
