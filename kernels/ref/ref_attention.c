/* The ref backend's attention slot: qref_attention_run (ref/) behind the
 * ABI. prepare validates the descriptor and the buffers (every block-table
 * entry included) and keeps a copy of the descriptor; run computes straight
 * into the output buffers. */
#include <stdlib.h>
#include <string.h>

#include "kernels/backend_say.h"
#include "kernels/opcall.h"
#include "kernels/ops/op_attention.h"

typedef struct ref_attn {
    qcts_opcall h;    /* first (kernels/opcall.h) */
    qcts_attention_desc d;
    qcts_buffers b;
} ref_attn;

static qcts_status ref_attn_run(qcts_opcall *c, char *msg, size_t n)
{
    ref_attn *s = (ref_attn *)c;
    qref_attention a;
    qref_attn_io io;
    char e[256];
    if (qcts_attention_io(&s->d, &s->b, &a, &io, e, sizeof e))
        return qcts_say(QCTS_ERROR, msg, n, "ref: %s", e);
    qref_error err;
    qref_status st = qref_attention_run(&a, &io, &err);
    if (st != QREF_OK)
        return qcts_say(QCTS_ERROR, msg, n, "ref: attention: %s", err.msg);
    return QCTS_OK;
}

qcts_status qcts_ref_attention(const qcts_attention_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                               size_t n)
{
    *call = NULL;
    qcts_status st;
    ref_attn *s = QCTS_OPCALL_NEW(ref_attn, QCTS_OP_ATTENTION, "ref", ref_attn_run, qcts_opcall_free,
                                  "qref_attention_run", d, b, NULL, &st, msg, n);
    if (!s)
        return st;
    qref_attention a;   /* every block-table entry and cache, checked once here */
    qref_attn_io io;
    char e[256];
    if (qcts_attention_io(d, b, &a, &io, e, sizeof e)) {
        free(s);
        return qcts_say(QCTS_ERROR, msg, n, "ref: %s", e);
    }
    *call = (qcts_call *)(void *)s;
    return QCTS_OK;
}
