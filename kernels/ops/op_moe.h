/* op_moe.h — helpers of the MoE ops shared by their definitions
 * (op_moe_route.c, op_moe_dispatch.c, op_moe_experts.c), the ref slots
 * (kernels/ref/ref_moe.c), the AVX2 slots (kernels/simd/backend_moe.c) and
 * the bench. Private to qcts. */
#ifndef QCTS_OPS_OP_MOE_H
#define QCTS_OPS_OP_MOE_H

#include <stddef.h>

#include "qcts/backend.h"
#include "qcts/case_call.h"
#include "qref/moe.h"

/* The reference's view of a descriptor. */
void qcts_moe_route_qref(const qcts_moe_route_desc *d, qref_moe_route_desc *q);
void qcts_moe_dispatch_qref(const qcts_moe_dispatch_desc *d, qref_moe_dispatch_desc *q);
void qcts_moe_experts_qref(const qcts_moe_experts_desc *d, qref_moe_experts_desc *q);

/* Validates desc (the op's io()) and that every used buffer of b is there
 * and large enough: 0, or -1 with a message naming the tensor. io gets
 * the specs (for their byte counts). */
int qcts_moe_check_buffers(qcts_op op, const void *desc, const qcts_buffers *b, qcts_op_io *io, char *err,
                           size_t errlen);

/* The slot functions of the backends (kernels/ref/ref_moe.c,
 * kernels/simd/backend_moe.c). */
qcts_status qcts_ref_moe_route(const qcts_moe_route_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                               size_t n);
qcts_status qcts_ref_moe_dispatch(const qcts_moe_dispatch_desc *d, const qcts_buffers *b, qcts_call **call,
                                  char *msg, size_t n);
qcts_status qcts_ref_moe_experts(const qcts_moe_experts_desc *d, const qcts_buffers *b, qcts_call **call,
                                 char *msg, size_t n);
qcts_status qcts_avx2_moe_route(const qcts_moe_route_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                                size_t n);
qcts_status qcts_avx2_moe_dispatch(const qcts_moe_dispatch_desc *d, const qcts_buffers *b, qcts_call **call,
                                   char *msg, size_t n);
qcts_status qcts_avx2_moe_experts(const qcts_moe_experts_desc *d, const qcts_buffers *b, qcts_call **call,
                                  char *msg, size_t n);

#endif
