/* The avx2 backend's MoE slots (moe_route, moe_dispatch, moe_experts):
 * the kernels of avx2/moe_route.c, moe_dispatch.c and moe_experts.c behind
 * the ABI, as kernels/opcall.h call objects. prepare checks the CPU, the
 * descriptor and the buffers and allocates everything (experts: validates
 * the weights and picks the scheme's GEMV/GEMM kernels); run only
 * computes. */
#include <stdlib.h>
#include <string.h>

#include "kernels/backend_say.h"
#include "kernels/opcall.h"
#include "kernels/ops/op_moe.h"
#include "kernels/simd/avx2/moe.h"
#include "kernels/simd/simd.h"
#include "qref/bits.h"

static int threads_of(int32_t t) { return t < 1 ? 1 : t > 256 ? 256 : t; }

static qcts_status cpu_ok(char *msg, size_t n)
{
    char why[256];
    if (!qcts_isa_cpu_ok(QCTS_ISA_AVX2, why, sizeof why))
        return qcts_say(QCTS_UNAVAILABLE, msg, n, "%s", why);
    return QCTS_OK;
}

/* ---- moe_route ---------------------------------------------------------------------- */

typedef struct route_call {
    qcts_opcall h;
    qcts_moe_route_desc d;
    qcts_buffers b;
    void *ws;
} route_call;

static qcts_status route_run(qcts_opcall *oc, char *msg, size_t n)
{
    route_call *c = (route_call *)oc;
    qref_moe_route_desc q;
    qcts_moe_route_qref(&c->d, &q);
    const float *x = c->b.in[0], *bias = c->d.has_bias ? c->b.in[1] : NULL;
    /* the kernel's domain (qref/moe.h): finite logits within +-64, finite bias */
    for (int64_t i = 0; i < q.n_tokens * q.n_experts; i++)
        if (!(x[i] >= -QREF_MOE_MAX_LOGIT && x[i] <= QREF_MOE_MAX_LOGIT))
            return qcts_say(QCTS_ERROR, msg, n, "avx2: moe_route: logit of token %lld expert %lld is not finite or |x| > 64",
                            (long long)(i / q.n_experts), (long long)(i % q.n_experts));
    for (int e = 0; bias && e < q.n_experts; e++)
        if ((qref_f32_bits(bias[e]) & 0x7F800000u) == 0x7F800000u)
            return qcts_say(QCTS_ERROR, msg, n, "avx2: moe_route: bias of expert %d is not finite", e);
    qcts_moe_route__avx2(&q, x, bias, c->b.out[0], c->b.out[1], c->b.out[2], threads_of(c->d.threads), c->ws);
    return QCTS_OK;
}

static void route_release(qcts_opcall *oc)
{
    route_call *c = (route_call *)oc;
    free(c->ws);
    free(c);
}

qcts_status qcts_avx2_moe_route(const qcts_moe_route_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                                size_t n)
{
    *call = NULL;
    qcts_status st = cpu_ok(msg, n);
    route_call *c = st != QCTS_OK ? NULL
                                  : QCTS_OPCALL_NEW(route_call, QCTS_OP_MOE_ROUTE, "avx2", route_run, route_release,
                                                    "qcts_moe_route__avx2", d, b, NULL, &st, msg, n);
    if (!c)
        return st;
    qref_moe_route_desc q;
    qcts_moe_route_qref(d, &q);
    if (!(c->ws = malloc(qcts_moe_route_ws_bytes__avx2(&q, threads_of(d->threads))))) {
        free(c);
        return qcts_say(QCTS_ERROR, msg, n, "avx2: out of memory");
    }
    *call = (qcts_call *)(void *)c;
    return QCTS_OK;
}

/* ---- moe_dispatch --------------------------------------------------------------------- */

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
    int r = qcts_moe_dispatch__avx2(&q, c->b.in[0], c->b.in[1], c->b.out[0], c->b.out[1], c->b.out[2], c->b.out[3],
                                    threads_of(c->d.threads));
    if (r == -1)
        return qcts_say(QCTS_ERROR, msg, n, "avx2: moe_dispatch: an id is not an expert in [0, %d)", q.n_experts);
    if (r)
        return qcts_say(QCTS_ERROR, msg, n, "avx2: moe_dispatch: out of memory");
    return QCTS_OK;
}

qcts_status qcts_avx2_moe_dispatch(const qcts_moe_dispatch_desc *d, const qcts_buffers *b, qcts_call **call,
                                   char *msg, size_t n)
{
    qcts_status st = cpu_ok(msg, n);
    *call = st != QCTS_OK ? NULL
                          : (qcts_call *)QCTS_OPCALL_NEW(dispatch_call, QCTS_OP_MOE_DISPATCH, "avx2", dispatch_run,
                                                         qcts_opcall_free, "qcts_moe_dispatch__avx2", d, b, NULL, &st,
                                                         msg, n);
    return st;
}
