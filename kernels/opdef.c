/* opdef.c — the table of op definitions (qcts/opdef.h) and the calls that
 * cover every op. */
#include "qcts/opdef.h"

#include <stdio.h>

extern const qcts_opdef qcts_opdef_attention, qcts_opdef_rope, qcts_opdef_norm, qcts_opdef_softmax,
    qcts_opdef_hadamard, qcts_opdef_moe_route, qcts_opdef_moe_dispatch, qcts_opdef_moe_experts,
    qcts_opdef_sampling;

static const qcts_opdef *const table[QCTS_OP_COUNT] = {
    [QCTS_OP_ATTENTION] = &qcts_opdef_attention,
    [QCTS_OP_ROPE] = &qcts_opdef_rope,
    [QCTS_OP_MOE_ROUTE] = &qcts_opdef_moe_route,
    [QCTS_OP_SAMPLING] = &qcts_opdef_sampling,
    [QCTS_OP_SOFTMAX] = &qcts_opdef_softmax,
    [QCTS_OP_HADAMARD] = &qcts_opdef_hadamard,
    [QCTS_OP_NORM] = &qcts_opdef_norm,
    [QCTS_OP_MOE_DISPATCH] = &qcts_opdef_moe_dispatch,
    [QCTS_OP_MOE_EXPERTS] = &qcts_opdef_moe_experts,
};

const qcts_opdef *qcts_opdef_get(qcts_op op)
{
    return (unsigned)op < QCTS_OP_COUNT ? table[op] : NULL;
}

int qcts_op_has(const qcts_backend *be, qcts_op op)
{
    if (!be)
        return 0;
    switch (op) {
    case QCTS_OP_CONVERT: return be->convert != NULL;
    case QCTS_OP_QUANTIZE: return be->quantize != NULL;
    case QCTS_OP_DEQUANT: return be->dequant != NULL;
    case QCTS_OP_GEMM: return be->gemm != NULL;
    default: {
        const qcts_opdef *d = qcts_opdef_get(op);
        return d && d->has(be);
    }
    }
}

qcts_status qcts_op_call(const qcts_backend *be, qcts_op op, const void *desc, const qcts_buffers *b,
                         qcts_call **call, char *msg, size_t n)
{
    if (!qcts_op_has(be, op)) {
        snprintf(msg, n, "backend %s has no %s", be && be->name ? be->name : "?",
                 qcts_op_name(op) ? qcts_op_name(op) : "(op out of range)");
        return QCTS_UNSUPPORTED;
    }
    switch (op) {
    case QCTS_OP_CONVERT: return be->convert(desc, b, call, msg, n);
    case QCTS_OP_QUANTIZE: return be->quantize(desc, b, call, msg, n);
    case QCTS_OP_DEQUANT: return be->dequant(desc, b, call, msg, n);
    case QCTS_OP_GEMM: return be->gemm(desc, b, call, msg, n);
    default: return qcts_opdef_get(op)->call(be, desc, b, call, msg, n);
    }
}

size_t qcts_op_desc_size(qcts_op op)
{
    switch (op) {
    case QCTS_OP_CONVERT: return sizeof(qcts_convert_desc);
    case QCTS_OP_QUANTIZE: return sizeof(qcts_quantize_desc);
    case QCTS_OP_DEQUANT: return sizeof(qcts_dequant_desc);
    case QCTS_OP_GEMM: return sizeof(qcts_gemm_desc);
    default: {
        const qcts_opdef *d = qcts_opdef_get(op);
        return d ? d->desc_size : 0;
    }
    }
}
