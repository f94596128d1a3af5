/* qcts/op_hadamard.h — ABI 2 descriptor of the hadamard op (qcts/backend.h,
 * DESCRIPTORS OF THE OPS AFTER GEMM). Plain old data only: no pointers.
 *
 * HADAMARD: y = s * H_n x for each of `rows` rows of length n, H_n the
 * Sylvester (natural-order) matrix, H[i][j] = (-1)^popcount(i & j), and
 *   s = 1 (unnormalised forward), 1/n (unnormalised inverse),
 *   1/sqrt(n) (normalised, forward or inverse: its own inverse)
 * (qref/hadamard.h, qref_hadamard_f64).
 *   in[0]  = x: rows x n of in_dtype (F32, F16, BF16), row-major
 *   out[0] = y: rows x n of out_dtype (F32, F16, BF16)
 * Check (vectors/README.md, "hadamard"): exact for integer rows whose
 * result is representable; else within qref_hadamard_bound. */
#ifndef QCTS_OP_HADAMARD_H
#define QCTS_OP_HADAMARD_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct qcts_hadamard_desc {
    int64_t rows;          /* >= 1 */
    int64_t n;             /* 32..4096, a power of two */
    int32_t normalized;    /* 0 or 1 */
    int32_t inverse;       /* 0 or 1 */
    int32_t in_dtype;      /* qcts_dtype: F32, F16, BF16 */
    int32_t out_dtype;     /* qcts_dtype: F32, F16, BF16 */
    int32_t threads;       /* CPU threads; results must not depend on it */
    int32_t reserved_;     /* 0 */
};

#ifdef __cplusplus
}
#endif
#endif
