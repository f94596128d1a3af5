/* op_moe_route.c — the moe_route op's definition (qcts/opdef.h): params <->
 * descriptor, the buffer slots (qcts/op_moe.h), the call. */
#include <string.h>

#include "op_json.h"
#include "op_moe.h"

void qcts_moe_route_qref(const qcts_moe_route_desc *d, qref_moe_route_desc *q)
{
    *q = (qref_moe_route_desc){ .n_tokens = d->n_tokens, .n_experts = d->n_experts, .top_k = d->top_k,
                                .scoring = d->scoring, .n_group = d->n_group, .topk_group = d->topk_group,
                                .renorm = d->renorm, .has_bias = d->has_bias, .routed_scale = d->routed_scale,
                                .aux_alpha = d->aux_alpha };
}

static qcts_status route_io(const void *desc, qcts_op_io *io, char *err, size_t errlen)
{
    const qcts_moe_route_desc *d = desc;
    qref_moe_route_desc q;
    qcts_moe_route_qref(d, &q);
    qref_error e;
    if (qref_moe_route_check(&q, &e) != QREF_OK)
        return op_fail(err, errlen, "%s", e.msg);
    if (d->threads < 0 || d->threads > 1024)
        return op_fail(err, errlen, "moe_route: threads is %d, expected 0..1024", d->threads);
    memset(io, 0, sizeof *io);
    io->n_in = 2;
    io->n_out = 3;
    int bad = op_spec(&io->in[0], "logits", QCTS_DT_F32, 0, 2, d->n_tokens, d->n_experts, 0, 0);
    if (d->has_bias)
        bad |= op_spec(&io->in[1], "bias", QCTS_DT_F32, 0, 1, d->n_experts, 0, 0, 0);
    else
        io->in[1].name = "bias";
    bad |= op_spec(&io->out[0], "ids", QCTS_DT_I32, 0, 2, d->n_tokens, d->top_k, 0, 0);
    bad |= op_spec(&io->out[1], "weights", QCTS_DT_F32, 0, 2, d->n_tokens, d->top_k, 0, 0);
    bad |= op_spec(&io->out[2], "aux", QCTS_DT_F32, 0, 1, 1, 0, 0, 0);
    if (bad)
        return op_fail(err, errlen, "moe_route: tensor sizes overflow");
    return QCTS_OK;
}

static const char *const SCORING[] = { "softmax", "sigmoid", NULL };

static qcts_status route_from_json(const cJSON *p, void *desc, char *err, size_t errlen)
{
    qcts_moe_route_desc *d = desc;
    int64_t v;
    double x;
    if (op_json_int(p, "n_tokens", 1, 1, 1, 1 << 24, &v, err, errlen))
        return QCTS_ERROR;
    d->n_tokens = v;
#define INT(key, req, dflt, lo, hi)                                   \
    do {                                                              \
        if (op_json_int(p, #key, req, dflt, lo, hi, &v, err, errlen)) \
            return QCTS_ERROR;                                        \
        d->key = (int32_t)v;                                          \
    } while (0)
    INT(n_experts, 1, 1, 1, QREF_MOE_MAX_EXPERTS);
    INT(top_k, 1, 1, 1, QREF_MOE_MAX_TOPK);
    INT(n_group, 0, 1, 1, QREF_MOE_MAX_EXPERTS);
    INT(topk_group, 0, 1, 1, QREF_MOE_MAX_EXPERTS);
    INT(threads, 0, 1, 0, 1024);
#undef INT
    if (op_json_enum(p, "scoring", NULL, SCORING, &d->scoring, err, errlen) ||
        op_json_bool(p, "renorm", 0, &d->renorm, err, errlen) ||
        op_json_bool(p, "has_bias", 0, &d->has_bias, err, errlen))
        return QCTS_ERROR;
    if (op_json_double(p, "routed_scale", 0, 1.0, 0x1p-100, 1e30, &x, err, errlen))
        return QCTS_ERROR;
    d->routed_scale = (float)x;
    if (op_json_double(p, "aux_alpha", 0, 0.0, 0.0, 1e30, &x, err, errlen))
        return QCTS_ERROR;
    d->aux_alpha = (float)x;
    return QCTS_OK;
}

static int route_to_json(const void *desc, cJSON *p)
{
    const qcts_moe_route_desc *d = desc;
    int r = 0;
    r |= op_set_int(p, "n_tokens", d->n_tokens);
    r |= op_set_int(p, "n_experts", d->n_experts);
    r |= op_set_int(p, "top_k", d->top_k);
    r |= op_set_str(p, "scoring", d->scoring == QCTS_MOE_SIGMOID ? "sigmoid" : "softmax");
    r |= op_set_int(p, "n_group", d->n_group);
    r |= op_set_int(p, "topk_group", d->topk_group);
    r |= op_set_bool(p, "renorm", d->renorm);
    r |= op_set_bool(p, "has_bias", d->has_bias);
    r |= op_set_double(p, "routed_scale", d->routed_scale);
    r |= op_set_double(p, "aux_alpha", d->aux_alpha);
    r |= op_set_int(p, "threads", d->threads);
    return r ? -1 : 0;
}

static void route_describe(const void *desc, char *buf, size_t n)
{
    const qcts_moe_route_desc *d = desc;
    snprintf(buf, n, "moe_route T %lld E %d K %d %s groups %d/%d%s%s scale %g",
             (long long)d->n_tokens, d->n_experts, d->top_k, d->scoring == QCTS_MOE_SIGMOID ? "sigmoid" : "softmax",
             d->topk_group, d->n_group, d->renorm ? " renorm" : "", d->has_bias ? " bias" : "",
             (double)d->routed_scale);
}

static const char *route_scheme(const void *desc)
{
    const qcts_moe_route_desc *d = desc;
    return d->scoring == QCTS_MOE_SIGMOID ? "sigmoid" : "softmax";
}

static qcts_status route_call(const qcts_backend *be, const void *desc, const qcts_buffers *b, qcts_call **c,
                              char *m, size_t n)
{
    return be->moe_route((const qcts_moe_route_desc *)desc, b, c, m, n);
}

static int route_has(const qcts_backend *be) { return be->moe_route != NULL; }

static int32_t route_threads(void *desc, int32_t n)
{
    qcts_moe_route_desc *d = desc;
    int32_t old = d->threads;
    if (n > 0)
        d->threads = n;
    return old;
}

const qcts_opdef qcts_opdef_moe_route = { QCTS_OP_MOE_ROUTE, "moe_route", sizeof(qcts_moe_route_desc), route_io,
                                          route_from_json, route_to_json, route_describe, route_scheme,
                                          route_call, route_has, route_threads };
