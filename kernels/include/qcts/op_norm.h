/* qcts/op_norm.h — ABI 2 descriptor(s) of norm, softmax: see qcts/backend.h
 * (DESCRIPTORS OF THE OPS AFTER GEMM). Plain old data only: no pointers.
 * PLACEHOLDER: the owner of this op replaces the body with the real fields,
 * the buffer slots (in[i]/out[i]) and their meaning. */
#ifndef QCTS_OP_NORM_H
#define QCTS_OP_NORM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct qcts_norm_desc {
    int32_t threads;
};

struct qcts_softmax_desc {
    int32_t threads;
};

#ifdef __cplusplus
}
#endif
#endif
