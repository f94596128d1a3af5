/* The ref backend's norm and softmax slots (qcts/op_norm.h): qref_norm_run
 * and qref_softmax_run, which made the golden vectors. */
#include <stdlib.h>

#include "kernels/backend_say.h"
#include "kernels/opcall.h"
#include "kernels/ops/op_rope_qref.h"
#include "qref/norm.h"

typedef struct ref_norm_call {
    qcts_opcall h;
    qcts_norm_desc d;
    qcts_softmax_desc s;
    qcts_buffers b;
} ref_norm_call;

static qcts_status norm_run(qcts_opcall *oc, char *msg, size_t n)
{
    ref_norm_call *c = (ref_norm_call *)oc;
    const qcts_norm_desc *d = &c->d;
    qref_norm_params p = { (qref_norm_kind)d->kind, d->n, d->eps, qcts_rowop_fmt(d->dtype),
                           qcts_rowop_fmt(d->out_dtype) };
    qref_status st = qref_norm_run(&p, d->rows, c->b.in[0], d->has_weight ? c->b.in[1] : NULL,
                                   d->has_bias ? c->b.in[2] : NULL, d->has_residual ? c->b.in[3] : NULL,
                                   c->b.out[0], d->has_residual ? c->b.out[1] : NULL, NULL);
    if (st != QREF_OK)
        return qcts_say(QCTS_ERROR, msg, n, "ref: norm: %s", qref_status_message(st));
    return QCTS_OK;
}

static qcts_status softmax_run(qcts_opcall *oc, char *msg, size_t n)
{
    ref_norm_call *c = (ref_norm_call *)oc;
    const qcts_softmax_desc *d = &c->s;
    qref_softmax_params p = { d->n, d->temperature, qcts_rowop_fmt(d->in_dtype), qcts_rowop_fmt(d->out_dtype) };
    qref_status st = qref_softmax_run(&p, d->rows, c->b.in[0], c->b.out[0], NULL);
    if (st != QREF_OK)
        return qcts_say(QCTS_ERROR, msg, n, "ref: softmax: %s", qref_status_message(st));
    return QCTS_OK;
}

static void release(qcts_opcall *c) { free(c); }

static qcts_status make(qcts_op op, const void *d, const qcts_buffers *b, qcts_call **call, char *msg, size_t n)
{
    *call = NULL;
    qcts_op_io io;
    qcts_status st = qcts_opcall_check(op, d, b, "ref", &io, msg, n);
    if (st != QCTS_OK)
        return st;
    ref_norm_call *c = calloc(1, sizeof *c);
    if (!c)
        return qcts_say(QCTS_ERROR, msg, n, "ref: out of memory");
    if (op == QCTS_OP_NORM) {
        c->h = (qcts_opcall){ op, norm_run, release, "qref_norm_run" };
        c->d = *(const qcts_norm_desc *)d;
    } else {
        c->h = (qcts_opcall){ op, softmax_run, release, "qref_softmax_run" };
        c->s = *(const qcts_softmax_desc *)d;
    }
    c->b = *b;
    *call = (qcts_call *)(void *)c;
    return QCTS_OK;
}

qcts_status qcts_ref_norm(const qcts_norm_desc *d, const qcts_buffers *b, qcts_call **call, char *msg, size_t n)
{
    return make(QCTS_OP_NORM, d, b, call, msg, n);
}

qcts_status qcts_ref_softmax(const qcts_softmax_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                             size_t n)
{
    return make(QCTS_OP_SOFTMAX, d, b, call, msg, n);
}
