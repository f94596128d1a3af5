/* op_hadamard.c — the hadamard op's definition (qcts/opdef.h; the
 * descriptor and its slots: qcts/op_hadamard.h). */
#include "op_json.h"
#include <string.h>

static qcts_status hadamard_io(const void *desc, qcts_op_io *io, char *err, size_t errlen)
{
    const qcts_hadamard_desc *d = desc;
    if (d->rows < 1 || d->rows > ((int64_t)1 << 40))
        return op_fail(err, errlen, "hadamard: rows is %lld, expected 1..2^40", (long long)d->rows);
    if (d->n < 32 || d->n > 4096 || (d->n & (d->n - 1)))
        return op_fail(err, errlen, "hadamard: n is %lld, expected a power of two in 32..4096", (long long)d->n);
    if ((d->normalized != 0 && d->normalized != 1) || (d->inverse != 0 && d->inverse != 1))
        return op_fail(err, errlen, "hadamard: normalized and inverse must be 0 or 1 (are %d, %d)",
                       (int)d->normalized, (int)d->inverse);
    for (int i = 0; i < 2; i++) {
        int32_t dt = i ? d->out_dtype : d->in_dtype;
        if (dt != QCTS_DT_F32 && dt != QCTS_DT_F16 && dt != QCTS_DT_BF16)
            return op_fail(err, errlen, "hadamard: %s is %d, expected f32, f16 or bf16", i ? "out_dtype" : "in_dtype",
                           (int)dt);
    }
    if (d->threads < 0 || d->reserved_ != 0)
        return op_fail(err, errlen, "hadamard: threads must be >= 0 and reserved_ 0");
    memset(io, 0, sizeof *io);
    io->n_in = 1;
    io->n_out = 1;
    if (op_spec(&io->in[0], "x", (qcts_dtype)d->in_dtype, 0, 2, d->rows, d->n, 0, 0) ||
        op_spec(&io->out[0], "y", (qcts_dtype)d->out_dtype, 0, 2, d->rows, d->n, 0, 0))
        return op_fail(err, errlen, "hadamard: rows %lld x n %lld overflows", (long long)d->rows, (long long)d->n);
    return QCTS_OK;
}

/* A misspelt key ("topk") must not silently become a default. */
static qcts_status only_known_keys(const cJSON *p, char *err, size_t errlen)
{
    static const char *const known[] = { "rows", "n", "normalized", "inverse", "in_dtype", "out_dtype", "threads", "bound_c", NULL };
    for (const cJSON *it = p ? p->child : NULL; it; it = it->next) {
        int ok = 0;
        for (int i = 0; known[i] && !ok; i++)
            ok = it->string && strcmp(it->string, known[i]) == 0;
        if (!ok)
            return op_fail(err, errlen, "params.%s is not a parameter of hadamard", it->string ? it->string : "?");
    }
    return QCTS_OK;
}

static qcts_status hadamard_from_json(const cJSON *p, void *desc, char *err, size_t errlen)
{
    qcts_hadamard_desc *d = desc;
    int64_t rows, n, th;
    qcts_dtype it, ot;
    if (only_known_keys(p, err, errlen) != QCTS_OK)
        return QCTS_ERROR;
    if (op_json_int(p, "rows", 1, 0, 1, (int64_t)1 << 40, &rows, err, errlen) ||
        op_json_int(p, "n", 1, 0, 32, 4096, &n, err, errlen) ||
        op_json_bool(p, "normalized", 0, &d->normalized, err, errlen) ||
        op_json_bool(p, "inverse", 0, &d->inverse, err, errlen) ||
        op_json_dtype(p, "in_dtype", "f32", 1, &it, err, errlen) ||
        op_json_dtype(p, "out_dtype", "f32", 1, &ot, err, errlen) ||
        op_json_int(p, "threads", 0, 1, 1, 1024, &th, err, errlen))
        return QCTS_ERROR;
    if (n & (n - 1))
        return op_fail(err, errlen, "params.n is %lld, expected a power of two in 32..4096", (long long)n);
    d->rows = rows;
    d->n = n;
    d->in_dtype = (int32_t)it;
    d->out_dtype = (int32_t)ot;
    d->threads = (int32_t)th;
    return QCTS_OK;
}

static int hadamard_to_json(const void *desc, cJSON *p)
{
    const qcts_hadamard_desc *d = desc;
    return (op_set_int(p, "rows", d->rows) || op_set_int(p, "n", d->n) ||
            op_set_bool(p, "normalized", d->normalized) || op_set_bool(p, "inverse", d->inverse) ||
            op_set_str(p, "in_dtype", qcts_dtype_name((qcts_dtype)d->in_dtype)) ||
            op_set_str(p, "out_dtype", qcts_dtype_name((qcts_dtype)d->out_dtype)) ||
            op_set_int(p, "threads", d->threads > 0 ? d->threads : 1))
               ? -1
               : 0;
}

static void hadamard_describe(const void *desc, char *buf, size_t n)
{
    const qcts_hadamard_desc *d = desc;
    const char *it = qcts_dtype_name((qcts_dtype)d->in_dtype), *ot = qcts_dtype_name((qcts_dtype)d->out_dtype);
    snprintf(buf, n, "hadamard rows %lld n %lld %s %s %s->%s threads %d", (long long)d->rows, (long long)d->n,
             d->normalized ? "normalized" : "unnormalized", d->inverse ? "inverse" : "forward", it ? it : "?",
             ot ? ot : "?", (int)d->threads);
}

static qcts_status hadamard_call(const qcts_backend *be, const void *d, const qcts_buffers *b, qcts_call **c,
                                 char *m, size_t n)
{
    return be->hadamard((const qcts_hadamard_desc *)d, b, c, m, n);
}

static int hadamard_has(const qcts_backend *be) { return be->hadamard != NULL; }

static int32_t hadamard_threads(void *desc, int32_t n)
{
    qcts_hadamard_desc *d = desc;
    int32_t own = d->threads > 0 ? d->threads : 1;
    if (n > 0)
        d->threads = n;
    return own;
}

const qcts_opdef qcts_opdef_hadamard = { QCTS_OP_HADAMARD, "hadamard", sizeof(qcts_hadamard_desc), hadamard_io,
                                         hadamard_from_json, hadamard_to_json, hadamard_describe, NULL,
                                         hadamard_call, hadamard_has, hadamard_threads };
