/* kernels/simd/rowops.h — the norm and softmax kernels of rowops.inc
 * (neon/rowops.c, avx512/rowops.c): whole-op functions over a range of
 * rows, so the slot (kernels/simd/rowop_slot.c) splits [0, rows) over the
 * thread pool; each row is computed in an order fixed by the shape alone,
 * so the bits never depend on the thread count. The __neon ones exist in
 * arm64 builds, the __avx512 ones in x86-64 builds. scratch: per thread, at
 * least qcts_rowop_scratch(n) floats. */
#ifndef QCTS_SIMD_ROWOPS_H
#define QCTS_SIMD_ROWOPS_H

#include <stdint.h>

#include "qcts/backend.h"
#include "qcts/op_norm.h"

static inline int64_t qcts_rowop_scratch(int64_t n) { return 4 * (n + 16); }

void qcts_norm_rows__neon(const qcts_norm_desc *d, const qcts_buffers *b, int64_t r0, int64_t r1, float *scratch);
void qcts_softmax_rows__neon(const qcts_softmax_desc *d, const qcts_buffers *b, int64_t r0, int64_t r1,
                             float *scratch);
void qcts_norm_rows__avx512(const qcts_norm_desc *d, const qcts_buffers *b, int64_t r0, int64_t r1, float *scratch);
void qcts_softmax_rows__avx512(const qcts_softmax_desc *d, const qcts_buffers *b, int64_t r0, int64_t r1,
                               float *scratch);

#endif
