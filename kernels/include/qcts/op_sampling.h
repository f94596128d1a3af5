/* qcts/op_sampling.h — ABI 2 descriptor(s) of sampling: see qcts/backend.h
 * (DESCRIPTORS OF THE OPS AFTER GEMM). Plain old data only: no pointers.
 * PLACEHOLDER: the owner of this op replaces the body with the real fields,
 * the buffer slots (in[i]/out[i]) and their meaning. */
#ifndef QCTS_OP_SAMPLING_H
#define QCTS_OP_SAMPLING_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct qcts_sampling_desc {
    int32_t threads;
};

#ifdef __cplusplus
}
#endif
#endif
