/* kernels/opcall.h — the call object of an op after GEMM (ABI 2) in an
 * in-tree backend whose slot lives in its own file (kernels/ref/ref_<op>.c,
 * kernels/simd/avx2/<op>*.c). It begins with the op, as every in-tree
 * backend's struct qcts_call does, and carries its own run, release and
 * variant, so the backend's shared run/release/variant hand every such op
 * over generically (qcts_opdef_get(c->op) != NULL -> qcts_opcall_*). A slot
 * allocates a struct that begins with a qcts_opcall, fills it and returns
 * it as the qcts_call. */
#ifndef QCTS_KERNELS_OPCALL_H
#define QCTS_KERNELS_OPCALL_H

#include <stddef.h>

#include "qcts/backend.h"
#include "qcts/case_call.h"

typedef struct qcts_opcall {
    qcts_op op;                   /* first, as in the backends' struct qcts_call */
    qcts_status (*run)(struct qcts_opcall *c, char *msg, size_t n);
    void (*release)(struct qcts_opcall *c);
    const char *variant;          /* e.g. "qref_attention", "avx2_attention_flash" */
} qcts_opcall;

/* Validates desc (qcts_op_io_get) and the buffers against it: every used
 * input present and large enough, every used output too (an optional one
 * may be NULL). who names the backend in messages. */
qcts_status qcts_opcall_check(qcts_op op, const void *desc, const qcts_buffers *b, const char *who,
                              qcts_op_io *io, char *msg, size_t n);

static inline qcts_status qcts_opcall_run(void *c, char *msg, size_t n)
{
    return ((qcts_opcall *)c)->run((qcts_opcall *)c, msg, n);
}
static inline void qcts_opcall_release(void *c) { ((qcts_opcall *)c)->release((qcts_opcall *)c); }
static inline const char *qcts_opcall_variant(const void *c) { return ((const qcts_opcall *)c)->variant; }

/* The slot functions of the in-tree backends (one line each in
 * kernels/ref/backend_ref.c and kernels/simd/backend_simd.c). */
#define QCTS_DECLARE_SLOT_(BE, NAME)                                                                       \
    qcts_status qcts_##BE##_##NAME(const qcts_##NAME##_desc *d, const qcts_buffers *b, qcts_call **call,    \
                                   char *msg, size_t n)
QCTS_DECLARE_SLOT_(ref, attention);
QCTS_DECLARE_SLOT_(ref, rope);
QCTS_DECLARE_SLOT_(ref, norm);
QCTS_DECLARE_SLOT_(ref, softmax);
QCTS_DECLARE_SLOT_(ref, hadamard);
QCTS_DECLARE_SLOT_(ref, moe_route);
QCTS_DECLARE_SLOT_(ref, moe_dispatch);
QCTS_DECLARE_SLOT_(ref, moe_experts);
QCTS_DECLARE_SLOT_(ref, sampling);
QCTS_DECLARE_SLOT_(avx2, attention);
QCTS_DECLARE_SLOT_(avx2, rope);
QCTS_DECLARE_SLOT_(avx2, norm);
QCTS_DECLARE_SLOT_(avx2, softmax);
QCTS_DECLARE_SLOT_(avx2, hadamard);
QCTS_DECLARE_SLOT_(avx2, moe_route);
QCTS_DECLARE_SLOT_(avx2, moe_dispatch);
QCTS_DECLARE_SLOT_(avx2, moe_experts);
QCTS_DECLARE_SLOT_(avx2, sampling);
#undef QCTS_DECLARE_SLOT_

#endif
