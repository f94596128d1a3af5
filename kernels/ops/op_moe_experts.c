/* op_moe_experts.c — the moe_experts op's definition (qcts/opdef.h):
 * params <-> descriptor, the buffer slots (qcts/op_moe.h), the call. */
#include <string.h>

#include "op_json.h"
#include "op_moe.h"
#include "qref/scheme.h"

void qcts_moe_experts_qref(const qcts_moe_experts_desc *d, qref_moe_experts_desc *q)
{
    *q = (qref_moe_experts_desc){ .n_tokens = d->n_tokens, .hidden = d->hidden, .inter = d->inter,
                                  .n_experts = d->n_experts, .top_k = d->top_k, .has_shared = d->has_shared,
                                  .shared_inter = d->shared_inter };
}

static qcts_status qbytes(const qref_scheme *s, int64_t rows, int64_t cols, int64_t count, const char *what,
                          int64_t *out, char *err, size_t errlen)
{
    qref_qsizes z;
    qref_error e;
    if (qref_qsizes_get(s, rows, cols, &z, &e) != QREF_OK)
        return op_fail(err, errlen, "moe_experts: %s (%lld x %lld): %s", what, (long long)rows, (long long)cols,
                       e.msg);
    if (z.total > (size_t)INT64_MAX / (size_t)count / 2)
        return op_fail(err, errlen, "moe_experts: %s: tensor sizes overflow", what);
    *out = (int64_t)z.total * count;
    return QCTS_OK;
}

static qcts_status experts_io(const void *desc, qcts_op_io *io, char *err, size_t errlen)
{
    const qcts_moe_experts_desc *d = desc;
    const int64_t lim = 1 << 20;
    if (memchr(d->scheme, 0, sizeof d->scheme) == NULL)
        return op_fail(err, errlen, "moe_experts: scheme is not NUL-terminated");
    const qref_scheme *s = qref_scheme_find(d->scheme);
    if (!s)
        return op_fail(err, errlen, "moe_experts: unknown scheme '%s' (qcts list schemes)", d->scheme);
    if (d->n_tokens < 1 || d->n_tokens > lim || d->hidden < 1 || d->hidden > lim || d->inter < 1 ||
        d->inter > lim)
        return op_fail(err, errlen, "moe_experts: n_tokens %lld, hidden %lld, inter %lld: expected 1..2^20 each",
                       (long long)d->n_tokens, (long long)d->hidden, (long long)d->inter);
    if (d->n_experts < 1 || d->n_experts > QREF_MOE_MAX_EXPERTS)
        return op_fail(err, errlen, "moe_experts: n_experts is %d, expected 1..%d", d->n_experts,
                       QREF_MOE_MAX_EXPERTS);
    if (d->top_k < 1 || d->top_k > QREF_MOE_MAX_TOPK)
        return op_fail(err, errlen, "moe_experts: top_k is %d, expected 1..%d", d->top_k, QREF_MOE_MAX_TOPK);
    if (d->has_shared != 0 && d->has_shared != 1)
        return op_fail(err, errlen, "moe_experts: has_shared is %d, expected 0 or 1", d->has_shared);
    if (d->has_shared ? d->shared_inter < 1 || d->shared_inter > lim : d->shared_inter != 0)
        return op_fail(err, errlen, "moe_experts: shared_inter is %lld, expected 1..2^20 with has_shared, else 0",
                       (long long)d->shared_inter);
    if (d->threads < 0 || d->threads > 1024)
        return op_fail(err, errlen, "moe_experts: threads is %d, expected 0..1024", d->threads);
    if (d->n_tokens * d->top_k * d->hidden > ((int64_t)1 << 32) || d->n_tokens * d->hidden * 4 > ((int64_t)1 << 34))
        return op_fail(err, errlen, "moe_experts: n_tokens x top_k x hidden exceeds 2^32");
    int64_t gub, dnb, sgub = 0, sdnb = 0;
    if (qbytes(s, 2 * d->inter, d->hidden, d->n_experts, "gate_up", &gub, err, errlen) ||
        qbytes(s, d->hidden, d->inter, d->n_experts, "down", &dnb, err, errlen) ||
        (d->has_shared && (qbytes(s, 2 * d->shared_inter, d->hidden, 1, "shared_gate_up", &sgub, err, errlen) ||
                           qbytes(s, d->hidden, d->shared_inter, 1, "shared_down", &sdnb, err, errlen))))
        return QCTS_ERROR;
    memset(io, 0, sizeof *io);
    io->n_in = 7;
    io->n_out = 1;
    int bad = op_spec(&io->in[0], "x", QCTS_DT_F32, 0, 2, d->n_tokens, d->hidden, 0, 0);
    bad |= op_spec(&io->in[1], "ids", QCTS_DT_I32, 0, 2, d->n_tokens, d->top_k, 0, 0);
    bad |= op_spec(&io->in[2], "weights", QCTS_DT_F32, 0, 2, d->n_tokens, d->top_k, 0, 0);
    bad |= op_spec(&io->in[3], "gate_up", QCTS_DT_U8, 0, 1, gub, 0, 0, 0);
    bad |= op_spec(&io->in[4], "down", QCTS_DT_U8, 0, 1, dnb, 0, 0, 0);
    if (d->has_shared) {
        bad |= op_spec(&io->in[5], "shared_gate_up", QCTS_DT_U8, 0, 1, sgub, 0, 0, 0);
        bad |= op_spec(&io->in[6], "shared_down", QCTS_DT_U8, 0, 1, sdnb, 0, 0, 0);
    } else {
        io->in[5].name = "shared_gate_up";
        io->in[6].name = "shared_down";
    }
    bad |= op_spec(&io->out[0], "y", QCTS_DT_F32, 0, 2, d->n_tokens, d->hidden, 0, 0);
    if (bad)
        return op_fail(err, errlen, "moe_experts: tensor sizes overflow");
    return QCTS_OK;
}

static qcts_status experts_from_json(const cJSON *p, void *desc, char *err, size_t errlen)
{
    qcts_moe_experts_desc *d = desc;
    int64_t v;
    if (op_json_scheme(p, "scheme", NULL, d->scheme, err, errlen))
        return QCTS_ERROR;
    if (op_json_int(p, "n_tokens", 1, 1, 1, 1 << 20, &v, err, errlen))
        return QCTS_ERROR;
    d->n_tokens = v;
    if (op_json_int(p, "hidden", 1, 1, 1, 1 << 20, &v, err, errlen))
        return QCTS_ERROR;
    d->hidden = v;
    if (op_json_int(p, "inter", 1, 1, 1, 1 << 20, &v, err, errlen))
        return QCTS_ERROR;
    d->inter = v;
    if (op_json_int(p, "n_experts", 1, 1, 1, QREF_MOE_MAX_EXPERTS, &v, err, errlen))
        return QCTS_ERROR;
    d->n_experts = (int32_t)v;
    if (op_json_int(p, "top_k", 1, 1, 1, QREF_MOE_MAX_TOPK, &v, err, errlen))
        return QCTS_ERROR;
    d->top_k = (int32_t)v;
    if (op_json_bool(p, "has_shared", 0, &d->has_shared, err, errlen))
        return QCTS_ERROR;
    if (op_json_int(p, "shared_inter", d->has_shared, 0, d->has_shared ? 1 : 0, d->has_shared ? 1 << 20 : 0, &v,
                    err, errlen))
        return QCTS_ERROR;
    d->shared_inter = v;
    if (op_json_int(p, "threads", 0, 1, 0, 1024, &v, err, errlen))
        return QCTS_ERROR;
    d->threads = (int32_t)v;
    return QCTS_OK;
}

static int experts_to_json(const void *desc, cJSON *p)
{
    const qcts_moe_experts_desc *d = desc;
    int r = 0;
    r |= op_set_str(p, "scheme", d->scheme);
    r |= op_set_int(p, "n_tokens", d->n_tokens);
    r |= op_set_int(p, "hidden", d->hidden);
    r |= op_set_int(p, "inter", d->inter);
    r |= op_set_int(p, "n_experts", d->n_experts);
    r |= op_set_int(p, "top_k", d->top_k);
    r |= op_set_bool(p, "has_shared", d->has_shared);
    r |= op_set_int(p, "shared_inter", d->shared_inter);
    r |= op_set_int(p, "threads", d->threads);
    return r ? -1 : 0;
}

static void experts_describe(const void *desc, char *buf, size_t n)
{
    const qcts_moe_experts_desc *d = desc;
    snprintf(buf, n, "moe_experts %.48s T %lld H %lld I %lld E %d K %d shared %lld", d->scheme,
             (long long)d->n_tokens, (long long)d->hidden, (long long)d->inter, d->n_experts, d->top_k,
             (long long)d->shared_inter);
}

static const char *experts_scheme(const void *desc) { return ((const qcts_moe_experts_desc *)desc)->scheme; }

static qcts_status experts_call(const qcts_backend *be, const void *desc, const qcts_buffers *b, qcts_call **c,
                                char *m, size_t n)
{
    return be->moe_experts((const qcts_moe_experts_desc *)desc, b, c, m, n);
}

static int experts_has(const qcts_backend *be) { return be->moe_experts != NULL; }

static int32_t experts_threads(void *desc, int32_t n)
{
    qcts_moe_experts_desc *d = desc;
    int32_t old = d->threads;
    if (n > 0)
        d->threads = n;
    return old;
}

const qcts_opdef qcts_opdef_moe_experts = { QCTS_OP_MOE_EXPERTS, "moe_experts", sizeof(qcts_moe_experts_desc),
                                            experts_io, experts_from_json, experts_to_json, experts_describe,
                                            experts_scheme, experts_call, experts_has, experts_threads };
