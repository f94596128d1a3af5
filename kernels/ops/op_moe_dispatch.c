/* op_moe_dispatch.c — the moe_dispatch op's definition (qcts/opdef.h):
 * params <-> descriptor, the buffer slots (qcts/op_moe.h), the call. */
#include <string.h>

#include "op_json.h"
#include "op_moe.h"

static int elem_bytes(int32_t dt) { return dt == QCTS_DT_F32 ? 4 : dt == QCTS_DT_F16 || dt == QCTS_DT_BF16 ? 2 : 0; }

void qcts_moe_dispatch_qref(const qcts_moe_dispatch_desc *d, qref_moe_dispatch_desc *q)
{
    *q = (qref_moe_dispatch_desc){ .n_tokens = d->n_tokens, .top_k = d->top_k, .n_experts = d->n_experts,
                                   .hidden = d->hidden, .elem_bytes = elem_bytes(d->dtype) };
}

static qcts_status dispatch_io(const void *desc, qcts_op_io *io, char *err, size_t errlen)
{
    const qcts_moe_dispatch_desc *d = desc;
    if (d->n_tokens < 1 || d->n_tokens > (1 << 24))
        return op_fail(err, errlen, "moe_dispatch: n_tokens is %lld, expected 1..2^24", (long long)d->n_tokens);
    if (d->top_k < 1 || d->top_k > 4096 || d->n_tokens * d->top_k > INT32_MAX)
        return op_fail(err, errlen, "moe_dispatch: top_k is %d, expected 1..4096 with n_tokens x top_k < 2^31",
                       d->top_k);
    if (d->n_experts < 1 || d->n_experts > (1 << 18))
        return op_fail(err, errlen, "moe_dispatch: n_experts is %d, expected 1..2^18", d->n_experts);
    if (d->hidden < 1 || d->hidden > (1 << 24))
        return op_fail(err, errlen, "moe_dispatch: hidden is %lld, expected 1..2^24", (long long)d->hidden);
    if (!elem_bytes(d->dtype))
        return op_fail(err, errlen, "moe_dispatch: dtype must be f32, f16 or bf16");
    if (d->threads < 0 || d->threads > 1024)
        return op_fail(err, errlen, "moe_dispatch: threads is %d, expected 0..1024", d->threads);
    memset(io, 0, sizeof *io);
    io->n_in = 2;
    io->n_out = 4;
    int bad = op_spec(&io->in[0], "ids", QCTS_DT_I32, 0, 2, d->n_tokens, d->top_k, 0, 0);
    bad |= op_spec(&io->in[1], "x", (qcts_dtype)d->dtype, 0, 2, d->n_tokens, d->hidden, 0, 0);
    bad |= op_spec(&io->out[0], "counts", QCTS_DT_I32, 0, 1, d->n_experts, 0, 0, 0);
    bad |= op_spec(&io->out[1], "offsets", QCTS_DT_I32, 0, 1, (int64_t)d->n_experts + 1, 0, 0, 0);
    bad |= op_spec(&io->out[2], "slots", QCTS_DT_I32, 0, 2, d->n_tokens, d->top_k, 0, 0);
    bad |= op_spec(&io->out[3], "packed", (qcts_dtype)d->dtype, 0, 2, d->n_tokens * d->top_k, d->hidden, 0, 0);
    if (bad)
        return op_fail(err, errlen, "moe_dispatch: tensor sizes overflow");
    return QCTS_OK;
}

static const char *const DTYPES[] = { "f32", "f16", "bf16", NULL };

static qcts_status dispatch_from_json(const cJSON *p, void *desc, char *err, size_t errlen)
{
    qcts_moe_dispatch_desc *d = desc;
    int64_t v;
    int32_t e;
    if (op_json_int(p, "n_tokens", 1, 1, 1, 1 << 24, &v, err, errlen))
        return QCTS_ERROR;
    d->n_tokens = v;
    if (op_json_int(p, "top_k", 1, 1, 1, 4096, &v, err, errlen))
        return QCTS_ERROR;
    d->top_k = (int32_t)v;
    if (op_json_int(p, "n_experts", 1, 1, 1, 1 << 18, &v, err, errlen))
        return QCTS_ERROR;
    d->n_experts = (int32_t)v;
    if (op_json_int(p, "hidden", 1, 1, 1, 1 << 24, &v, err, errlen))
        return QCTS_ERROR;
    d->hidden = v;
    if (op_json_int(p, "threads", 0, 1, 0, 1024, &v, err, errlen))
        return QCTS_ERROR;
    d->threads = (int32_t)v;
    if (op_json_enum(p, "dtype", "f32", DTYPES, &e, err, errlen))
        return QCTS_ERROR;
    d->dtype = e == 0 ? QCTS_DT_F32 : e == 1 ? QCTS_DT_F16 : QCTS_DT_BF16;
    return QCTS_OK;
}

static const char *dt_name(int32_t dt) { return dt == QCTS_DT_F16 ? "f16" : dt == QCTS_DT_BF16 ? "bf16" : "f32"; }

static int dispatch_to_json(const void *desc, cJSON *p)
{
    const qcts_moe_dispatch_desc *d = desc;
    int r = 0;
    r |= op_set_int(p, "n_tokens", d->n_tokens);
    r |= op_set_int(p, "top_k", d->top_k);
    r |= op_set_int(p, "n_experts", d->n_experts);
    r |= op_set_int(p, "hidden", d->hidden);
    r |= op_set_str(p, "dtype", dt_name(d->dtype));
    r |= op_set_int(p, "threads", d->threads);
    return r ? -1 : 0;
}

static void dispatch_describe(const void *desc, char *buf, size_t n)
{
    const qcts_moe_dispatch_desc *d = desc;
    snprintf(buf, n, "moe_dispatch T %lld K %d E %d H %lld %s", (long long)d->n_tokens, d->top_k, d->n_experts,
             (long long)d->hidden, dt_name(d->dtype));
}

static const char *dispatch_scheme(const void *desc) { return dt_name(((const qcts_moe_dispatch_desc *)desc)->dtype); }

static qcts_status dispatch_call(const qcts_backend *be, const void *desc, const qcts_buffers *b, qcts_call **c,
                                 char *m, size_t n)
{
    return be->moe_dispatch((const qcts_moe_dispatch_desc *)desc, b, c, m, n);
}

static int dispatch_has(const qcts_backend *be) { return be->moe_dispatch != NULL; }

static int32_t dispatch_threads(void *desc, int32_t n)
{
    qcts_moe_dispatch_desc *d = desc;
    int32_t old = d->threads;
    if (n > 0)
        d->threads = n;
    return old;
}

const qcts_opdef qcts_opdef_moe_dispatch = { QCTS_OP_MOE_DISPATCH, "moe_dispatch", sizeof(qcts_moe_dispatch_desc),
                                             dispatch_io, dispatch_from_json, dispatch_to_json, dispatch_describe,
                                             dispatch_scheme, dispatch_call, dispatch_has, dispatch_threads };
