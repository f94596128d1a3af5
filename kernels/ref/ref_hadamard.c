/* The ref backend's hadamard slot (qcts/op_hadamard.h): qref_hadamard_f64
 * per row, each output rounded once from the double result (to f16/bf16
 * through float32: within the bound's 2 u_o, and exactly what the golden
 * vectors hold). */
#include <stdlib.h>
#include <string.h>

#include "kernels/backend_say.h"
#include "kernels/opcall.h"
#include "qref/fmt.h"
#include "qref/hadamard.h"


typedef struct ref_had_call {
    qcts_opcall h;
    qcts_hadamard_desc d;
    qcts_buffers b;
} ref_had_call;

static float load(const void *p, size_t i, int32_t dt)
{
    if (dt == QCTS_DT_F32)
        return ((const float *)p)[i];
    uint16_t v = ((const uint16_t *)p)[i];
    return dt == QCTS_DT_F16 ? qref_f16_to_f32(v) : qref_bf16_to_f32(v);
}

static void store(void *p, size_t i, int32_t dt, double v)
{
    float f = (float)v;
    if (dt == QCTS_DT_F32)
        ((float *)p)[i] = f;
    else
        ((uint16_t *)p)[i] = dt == QCTS_DT_F16 ? qref_f32_to_f16(f) : qref_f32_to_bf16(f);
}

static qcts_status had_run(qcts_opcall *oc, char *msg, size_t n)
{
    ref_had_call *c = (ref_had_call *)oc;
    const qcts_hadamard_desc *d = &c->d;
    double *t = malloc((size_t)d->n * sizeof *t);
    if (!t)
        return qcts_say(QCTS_ERROR, msg, n, "ref: hadamard: out of memory");
    for (int64_t r = 0; r < d->rows; r++) {
        size_t base = (size_t)(r * d->n);
        for (int64_t j = 0; j < d->n; j++)
            t[j] = load(c->b.in[0], base + (size_t)j, d->in_dtype);
        qref_hadamard_f64(t, (size_t)d->n, d->normalized, d->inverse);
        for (int64_t j = 0; j < d->n; j++)
            store(c->b.out[0], base + (size_t)j, d->out_dtype, t[j]);
    }
    free(t);
    return QCTS_OK;
}

static void had_release(qcts_opcall *c) { free(c); }

qcts_status qcts_ref_hadamard(const qcts_hadamard_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                              size_t n)
{
    *call = NULL;
    qcts_op_io io;
    qcts_status st = qcts_opcall_check(QCTS_OP_HADAMARD, d, b, "ref", &io, msg, n);
    if (st != QCTS_OK)
        return st;
    ref_had_call *c = calloc(1, sizeof *c);
    if (!c)
        return qcts_say(QCTS_ERROR, msg, n, "ref: out of memory");
    c->h = (qcts_opcall){ QCTS_OP_HADAMARD, had_run, had_release, "qref_hadamard_f64" };
    c->d = *d;
    c->b = *b;
    *call = (qcts_call *)(void *)c;
    return QCTS_OK;
}
