/* op_moe.h — helpers of the MoE ops shared by their definitions
 * (op_moe_route.c, op_moe_dispatch.c, op_moe_experts.c), the ref slots
 * (kernels/ref/ref_moe.c), the AVX2 slots (kernels/simd/avx2/moe_slots.c) and
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

#endif
