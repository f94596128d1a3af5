/* The ref backend's MoE slots (moe_route, moe_dispatch, moe_experts):
 * ref/src/moe*.c behind the ABI, as kernels/opcall.h call objects.
 * prepare validates the descriptor and the buffers (experts: loads and
 * validates every weight tensor); run computes straight into the outputs. */
#include <stdlib.h>
#include <string.h>

#include "kernels/backend_say.h"
#include "kernels/opcall.h"
#include "kernels/ops/op_moe.h"

/* ---- moe_route ------------------------------------------------------------------ */

typedef struct route_call {
    qcts_opcall h;
    qcts_moe_route_desc d;
    qcts_buffers b;
} route_call;

static qcts_status route_run(qcts_opcall *oc, char *msg, size_t n)
{
    route_call *c = (route_call *)oc;
    qref_moe_route_desc q;
    qcts_moe_route_qref(&c->d, &q);
    qref_error e;
    qref_status st = qref_moe_route(&q, c->b.in[0], c->d.has_bias ? c->b.in[1] : NULL, c->b.out[0], c->b.out[1],
                                    c->b.out[2], NULL, NULL, &e);
    return st == QREF_OK ? QCTS_OK : qcts_say(QCTS_ERROR, msg, n, "ref: %s", e.msg);
}

qcts_status qcts_ref_moe_route(const qcts_moe_route_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                               size_t n)
{
    qcts_status st;
    *call = (qcts_call *)QCTS_OPCALL_NEW(route_call, QCTS_OP_MOE_ROUTE, "ref", route_run, qcts_opcall_free,
                                         "qref_moe_route", d, b, NULL, &st, msg, n);
    return st;
}

/* ---- moe_dispatch ----------------------------------------------------------------- */

typedef struct dispatch_call {
    qcts_opcall h;
    qcts_moe_dispatch_desc d;
    qcts_buffers b;
} dispatch_call;

static qcts_status dispatch_run(qcts_opcall *oc, char *msg, size_t n)
{
    dispatch_call *c = (dispatch_call *)oc;
    qref_moe_dispatch_desc q;
    qcts_moe_dispatch_qref(&c->d, &q);
    qref_error e;
    qref_status st = qref_moe_dispatch(&q, c->b.in[0], c->b.in[1], c->b.out[0], c->b.out[1], c->b.out[2],
                                       c->b.out[3], &e);
    return st == QREF_OK ? QCTS_OK : qcts_say(QCTS_ERROR, msg, n, "ref: %s", e.msg);
}

qcts_status qcts_ref_moe_dispatch(const qcts_moe_dispatch_desc *d, const qcts_buffers *b, qcts_call **call,
                                  char *msg, size_t n)
{
    qcts_status st;
    *call = (qcts_call *)QCTS_OPCALL_NEW(dispatch_call, QCTS_OP_MOE_DISPATCH, "ref", dispatch_run, qcts_opcall_free,
                                         "qref_moe_dispatch", d, b, NULL, &st, msg, n);
    return st;
}

/* ---- moe_experts ------------------------------------------------------------------ */

typedef struct experts_call {
    qcts_opcall h;
    qcts_moe_experts_desc d;
    qcts_buffers b;
    qref_qtensor *t;     /* gate_up[E], down[E], shared gate_up, shared down */
    int n_t;
} experts_call;

static void experts_release(qcts_opcall *oc)
{
    experts_call *c = (experts_call *)oc;
    if (c->t)
        for (int i = 0; i < c->n_t; i++)
            qref_qtensor_free(&c->t[i]);
    free(c->t);
    free(c);
}

static qcts_status experts_run(qcts_opcall *oc, char *msg, size_t n)
{
    experts_call *c = (experts_call *)oc;
    qref_moe_experts_desc q;
    qcts_moe_experts_qref(&c->d, &q);
    const int E = c->d.n_experts;
    qref_error e;
    qref_status st = qref_moe_experts(&q, c->b.in[0], c->b.in[1], c->b.in[2], c->t, c->t + E,
                                      c->d.has_shared ? &c->t[2 * E] : NULL, c->d.has_shared ? &c->t[2 * E + 1] : NULL,
                                      c->b.out[0], NULL, &e);
    return st == QREF_OK ? QCTS_OK : qcts_say(QCTS_ERROR, msg, n, "ref: %s", e.msg);
}

/* Loads count tensors of rows x cols from the bytes of input slot i. */
static qcts_status load(experts_call *c, const qref_scheme *s, int i, int64_t count, int64_t rows, int64_t cols,
                        const char *what, char *msg, size_t n)
{
    qref_qsizes z;
    qref_error e;
    if (qref_qsizes_get(s, rows, cols, &z, &e) != QREF_OK)
        return qcts_say(QCTS_ERROR, msg, n, "ref: %s: %s", what, e.msg);
    size_t each = z.total;
    for (int64_t k = 0; k < count; k++) {
        if (qref_qtensor_load(s, rows, cols, (const uint8_t *)c->b.in[i] + (size_t)k * each, each, &c->t[c->n_t],
                              &e) != QREF_OK)
            return qcts_say(QCTS_ERROR, msg, n, "ref: %s %lld: %s", what, (long long)k, e.msg);
        c->n_t++;
    }
    return QCTS_OK;
}

qcts_status qcts_ref_moe_experts(const qcts_moe_experts_desc *d, const qcts_buffers *b, qcts_call **call,
                                 char *msg, size_t n)
{
    qcts_status st;
    experts_call *c = QCTS_OPCALL_NEW(experts_call, QCTS_OP_MOE_EXPERTS, "ref", experts_run, experts_release,
                                      "qref_moe_experts", d, b, NULL, &st, msg, n);
    *call = NULL;
    if (!c)
        return st;
    if (!(c->t = calloc((size_t)d->n_experts * 2 + 2, sizeof *c->t))) {
        free(c);
        return qcts_say(QCTS_ERROR, msg, n, "ref: out of memory");
    }
    const qref_scheme *s = qref_scheme_find(c->d.scheme);
    st = load(c, s, 3, d->n_experts, 2 * d->inter, d->hidden, "gate_up", msg, n);
    if (st == QCTS_OK)
        st = load(c, s, 4, d->n_experts, d->hidden, d->inter, "down", msg, n);
    if (st == QCTS_OK && d->has_shared)
        st = load(c, s, 5, 1, 2 * d->shared_inter, d->hidden, "shared_gate_up", msg, n);
    if (st == QCTS_OK && d->has_shared)
        st = load(c, s, 6, 1, d->hidden, d->shared_inter, "shared_down", msg, n);
    if (st != QCTS_OK) {
        experts_release(&c->h);
        return st;
    }
    *call = (qcts_call *)(void *)c;
    return QCTS_OK;
}
