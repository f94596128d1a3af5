/* The ref backend's rope slot (qcts/op_rope.h): qref_rope_run, which made
 * the golden vectors, so every case passes on it. */
#include <stdlib.h>

#include "kernels/backend_say.h"
#include "kernels/opcall.h"
#include "kernels/ops/op_rope_qref.h"

typedef struct ref_rope_call {
    qcts_opcall h;
    qcts_rope_desc d;
    qcts_buffers b;
} ref_rope_call;

static qcts_status rope_run(qcts_opcall *oc, char *msg, size_t n)
{
    ref_rope_call *c = (ref_rope_call *)oc;
    qref_rope_op op;
    qcts_rope_to_qref(&c->d, &op);
    const void *in[QREF_ROPE_IN] = { c->b.in[0], c->b.in[1], c->b.in[2], c->b.in[3], c->b.in[4] };
    void *out[QREF_ROPE_OUT] = { c->b.out[0], c->b.out[1] };
    qref_status st = qref_rope_run(&op, in, out, NULL);
    if (st != QREF_OK)
        return qcts_say(QCTS_ERROR, msg, n, "ref: rope: %s", qref_status_message(st));
    return QCTS_OK;
}

static void rope_release(qcts_opcall *c) { free(c); }

qcts_status qcts_ref_rope(const qcts_rope_desc *d, const qcts_buffers *b, qcts_call **call, char *msg, size_t n)
{
    *call = NULL;
    qcts_op_io io;
    qcts_status st = qcts_opcall_check(QCTS_OP_ROPE, d, b, "ref", &io, msg, n);
    if (st != QCTS_OK)
        return st;
    ref_rope_call *c = calloc(1, sizeof *c);
    if (!c)
        return qcts_say(QCTS_ERROR, msg, n, "ref: out of memory");
    c->h = (qcts_opcall){ QCTS_OP_ROPE, rope_run, rope_release, "qref_rope_run" };
    c->d = *d;
    c->b = *b;
    *call = (qcts_call *)(void *)c;
    return QCTS_OK;
}
