/* Shared checks of qcts_opcall slots (kernels/opcall.h). */
#include "kernels/opcall.h"

#include <stdlib.h>
#include <string.h>

#include "kernels/backend_say.h"

qcts_status qcts_opcall_check(qcts_op op, const void *desc, const qcts_buffers *b, const char *who,
                              qcts_op_io *io, char *msg, size_t n)
{
    if (!desc || !b)
        return qcts_say(QCTS_ERROR, msg, n, "%s: NULL desc or buffers", who);
    char e[QCTS_CASE_ERRLEN];
    if (qcts_op_io_get(op, desc, io, e, sizeof e) != QCTS_OK)
        return qcts_say(QCTS_ERROR, msg, n, "%s: %s", who, e);
    for (int i = 0; i < io->n_in; i++) {
        const qcts_tensor_spec *s = &io->in[i];
        if (s->used && (!b->in[i] || b->in_bytes[i] < s->nbytes))
            return qcts_say(QCTS_ERROR, msg, n, "%s: input %d (%s) is %s: %zu bytes given, %zu needed", who, i,
                            s->name, b->in[i] ? "too small" : "NULL", b->in_bytes[i], s->nbytes);
    }
    for (int i = 0; i < io->n_out; i++) {
        const qcts_tensor_spec *s = &io->out[i];
        if (!s->used || (s->optional && !b->out[i]))
            continue;
        if (!b->out[i] || b->out_bytes[i] < s->nbytes)
            return qcts_say(QCTS_ERROR, msg, n, "%s: output %d (%s) is %s: %zu bytes given, %zu needed", who, i,
                            s->name, b->out[i] ? "too small" : "NULL", b->out_bytes[i], s->nbytes);
    }
    return QCTS_OK;
}

void *qcts_opcall_new(const qcts_opcall_spec *s, const void *desc, const qcts_buffers *b, qcts_op_io *io,
                      qcts_status *st, char *msg, size_t n)
{
    qcts_op_io local;
    *st = qcts_opcall_check(s->op, desc, b, s->who, io ? io : &local, msg, n);
    if (*st != QCTS_OK)
        return NULL;
    unsigned char *c = calloc(1, s->size);
    if (!c) {
        *st = qcts_say(QCTS_ERROR, msg, n, "%s: out of memory", s->who);
        return NULL;
    }
    *(qcts_opcall *)(void *)c = (qcts_opcall){ s->op, s->run, s->release, s->variant };
    memcpy(c + s->desc_off, desc, s->desc_size);
    memcpy(c + s->bufs_off, b, sizeof *b);
    return c;
}

void qcts_opcall_free(qcts_opcall *c) { free(c); }
