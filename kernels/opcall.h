/* kernels/opcall.h — the call object of an op after GEMM whose backend
 * slot lives in its own file (kernels/ref/ref_<op>.c,
 * kernels/simd/avx2/<op>.c). It begins with the op, as every in-tree
 * backend's struct qcts_call does, and carries its own run, release and
 * variant, so the backend's shared run/release/variant hand it over with
 * one case label per op (case QCTS_OP_HADAMARD: return qcts_opcall_run(..)). */
#ifndef QCTS_KERNELS_OPCALL_H
#define QCTS_KERNELS_OPCALL_H

#include <stddef.h>

#include "qcts/backend.h"
#include "qcts/case_call.h"

typedef struct qcts_opcall {
    qcts_op op;                   /* first, as in the backends' struct qcts_call */
    qcts_status (*run)(struct qcts_opcall *c, char *msg, size_t n);
    void (*release)(struct qcts_opcall *c);
    const char *variant;
} qcts_opcall;

/* Validates desc (qcts_op_io_get) and the buffers against it: every used
 * input present and large enough, every used output too (an optional one
 * may be NULL). who names the backend in messages. */
qcts_status qcts_opcall_check(qcts_op op, const void *desc, const qcts_buffers *b, const char *who,
                              qcts_op_io *io, char *msg, size_t n);

/* Slots implemented this way (kernels/ref/ref_<op>.c, kernels/simd/avx2/<op>.c). */
qcts_status qcts_ref_hadamard(const qcts_hadamard_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                              size_t n);
qcts_status qcts_ref_sampling(const qcts_sampling_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                              size_t n);
qcts_status qcts_avx2_hadamard(const qcts_hadamard_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                               size_t n);
qcts_status qcts_avx2_sampling(const qcts_sampling_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                               size_t n);

static inline qcts_status qcts_opcall_run(void *c, char *msg, size_t n)
{
    return ((qcts_opcall *)c)->run((qcts_opcall *)c, msg, n);
}
static inline void qcts_opcall_release(void *c) { ((qcts_opcall *)c)->release((qcts_opcall *)c); }
static inline const char *qcts_opcall_variant(const void *c) { return ((const qcts_opcall *)c)->variant; }

#endif
