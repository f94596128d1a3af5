/* qcts/op_moe.h — ABI 2 descriptor(s) of moe_route, moe_dispatch, moe_experts: see qcts/backend.h
 * (DESCRIPTORS OF THE OPS AFTER GEMM). Plain old data only: no pointers.
 * PLACEHOLDER: the owner of this op replaces the body with the real fields,
 * the buffer slots (in[i]/out[i]) and their meaning. */
#ifndef QCTS_OP_MOE_H
#define QCTS_OP_MOE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct qcts_moe_route_desc {
    int32_t threads;
};

struct qcts_moe_dispatch_desc {
    int32_t threads;
};

struct qcts_moe_experts_desc {
    int32_t threads;
};

#ifdef __cplusplus
}
#endif
#endif
