/* The reference MoE dispatch (qref/moe.h): a stable counting sort of the
 * (token, slot) pairs by expert. Integers and bit copies only. */
#include <string.h>

#include "qref/moe.h"
#include "scheme_impl.h"

qref_status qref_moe_dispatch(const qref_moe_dispatch_desc *d, const int32_t *ids, const void *x, int32_t *counts,
                              int32_t *offsets, int32_t *slots, void *packed, qref_error *err)
{
    if (!d || !ids || !x || !counts || !offsets || !slots || !packed)
        return qref__fail(err, QREF_ERR_ARG, -1, -1, "moe_dispatch: a NULL argument");
    if (d->n_tokens < 1 || d->top_k < 1 || d->n_experts < 1 || d->hidden < 1 ||
        (d->elem_bytes != 2 && d->elem_bytes != 4) || d->n_tokens * d->top_k > INT32_MAX ||
        d->n_experts > QREF_MOE_MAX_EXPERTS * 64)
        return qref__fail(err, QREF_ERR_SIZE, -1, -1,
                          "moe_dispatch: n_tokens %lld, top_k %d, n_experts %d, hidden %lld must be >= 1 "
                          "(n_tokens x top_k < 2^31), elem_bytes %d must be 2 or 4",
                          (long long)d->n_tokens, d->top_k, d->n_experts, (long long)d->hidden, d->elem_bytes);
    const int64_t n = d->n_tokens * d->top_k;
    for (int64_t i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= d->n_experts)
            return qref__fail(err, QREF_ERR_DATA, i / d->top_k, -1,
                              "moe_dispatch: ids[%lld][%lld] = %d is not an expert in [0, %d)",
                              (long long)(i / d->top_k), (long long)(i % d->top_k), ids[i], d->n_experts);
    memset(counts, 0, sizeof *counts * (size_t)d->n_experts);
    for (int64_t i = 0; i < n; i++)
        counts[ids[i]]++;
    int32_t run = 0;
    for (int e = 0; e < d->n_experts; e++) {
        offsets[e] = run;
        run += counts[e];
    }
    offsets[d->n_experts] = run;
    /* stable: pairs of one expert in increasing t·K + j; counts reused as cursors after */
    for (int e = 0; e < d->n_experts; e++)
        counts[e] = 0;
    const size_t row = (size_t)d->hidden * (size_t)d->elem_bytes;
    for (int64_t i = 0; i < n; i++) {
        int32_t e = ids[i], s = offsets[e] + counts[e]++;
        slots[i] = s;
        memcpy((unsigned char *)packed + (size_t)s * row, (const unsigned char *)x + (size_t)(i / d->top_k) * row,
               row);
    }
    return QREF_OK;
}
