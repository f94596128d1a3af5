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

/* The setup every slot repeats, in one place: validates desc and buffers
 * (qcts_opcall_check), allocates a zeroed call struct of `size` bytes that
 * begins with a qcts_opcall, fills that header, and copies the descriptor
 * (desc_size bytes to desc_off) and the buffers table (to bufs_off) into
 * it. On failure returns NULL with *st set (the message names `who`). Use
 * it through QCTS_OPCALL_NEW, which takes the offsets of the struct's
 * members `d` and `b`. */
typedef struct qcts_opcall_spec {
    qcts_op op;
    const char *who;              /* backend name, for messages */
    size_t size, desc_off, desc_size, bufs_off;
    qcts_status (*run)(struct qcts_opcall *c, char *msg, size_t n);
    void (*release)(struct qcts_opcall *c);
    const char *variant;
} qcts_opcall_spec;

void *qcts_opcall_new(const qcts_opcall_spec *s, const void *desc, const qcts_buffers *b, qcts_op_io *io,
                      qcts_status *st, char *msg, size_t n);

/* T: the call struct, with members `d` (a copy of the descriptor) and `b`
 * (of the buffers). */
#define QCTS_OPCALL_NEW(T, OP, WHO, RUN, RELEASE, VARIANT, desc, bufs, io, st, msg, n)                       \
    ((T *)qcts_opcall_new(&(const qcts_opcall_spec){ (OP), (WHO), sizeof(T), offsetof(T, d),                 \
                                                      sizeof(((T *)0)->d), offsetof(T, b), (RUN), (RELEASE), \
                                                      (VARIANT) },                                           \
                          (desc), (bufs), (io), (st), (msg), (n)))

/* Frees a call struct that owns nothing else (a release for plain calls). */
void qcts_opcall_free(qcts_opcall *c);

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
QCTS_DECLARE_SLOT_(avx512, attention);   /* kernels/simd/avx2_attention_slot.c */
QCTS_DECLARE_SLOT_(avx512, hadamard);    /* kernels/simd/avx512/hadamard.c (x86-64 builds) */
QCTS_DECLARE_SLOT_(avx512, norm);        /* kernels/simd/rowop_slot.c (x86-64 builds) */
QCTS_DECLARE_SLOT_(avx512, softmax);
/* kernels/simd/op_slots.c: the generic tier, neon and simd (every op). */
#define QCTS_DECLARE_SLOTS_(BE)                                                                            \
    QCTS_DECLARE_SLOT_(BE, attention);                                                                     \
    QCTS_DECLARE_SLOT_(BE, rope);                                                                          \
    QCTS_DECLARE_SLOT_(BE, norm);                                                                          \
    QCTS_DECLARE_SLOT_(BE, softmax);                                                                       \
    QCTS_DECLARE_SLOT_(BE, hadamard);                                                                      \
    QCTS_DECLARE_SLOT_(BE, moe_route);                                                                     \
    QCTS_DECLARE_SLOT_(BE, moe_dispatch);                                                                  \
    QCTS_DECLARE_SLOT_(BE, moe_experts);                                                                   \
    QCTS_DECLARE_SLOT_(BE, sampling)
QCTS_DECLARE_SLOTS_(generic);
QCTS_DECLARE_SLOTS_(neon);
QCTS_DECLARE_SLOTS_(simd);
#undef QCTS_DECLARE_SLOTS_
#undef QCTS_DECLARE_SLOT_

/* kernels/simd/convert_slot.c: the convert and quantize slots of the CPU
 * SIMD backends (isa: a qcts_isa value; who: the backend's name). */
qcts_status qcts_simd_convert_slot(int isa, const char *who, const qcts_convert_desc *d, const qcts_buffers *b,
                                   qcts_call **call, char *msg, size_t n);
qcts_status qcts_simd_quantize_slot(int isa, const char *who, const qcts_quantize_desc *d, const qcts_buffers *b,
                                    qcts_call **call, char *msg, size_t n);

#endif
