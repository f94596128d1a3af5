/* avx2/gemv.h — the row driver shared by the fused GEMV kernels (M = 1).
 *
 * A kernel file defines, per scheme, a function that computes R whole
 * rows (R = 4 and R = 1 instances of the same code: each row's arithmetic
 * is the same instruction sequence on its own accumulators, so a row's
 * result does not depend on R, nor on where a thread's range starts).
 * QCTS_GEMV_DRIVER(name, rows4, rows1) makes the registered kernel: rows in
 * fours, the last N % 4 one at a time, then + bias. */
#ifndef QCTS_SIMD_AVX2_GEMV_H
#define QCTS_SIMD_AVX2_GEMV_H

#include "kernels/simd/avx2/common.h"

typedef void (*qcts_avx2_rows_fn)(const qcts_qview *w, const float *x, int64_t n, float *y);

QCTS_AVX2_INLINE void qcts_avx2_gemv_drive(const qcts_gemm_args *g, int64_t n0, int64_t n1, qcts_avx2_rows_fn rows4,
                                           qcts_avx2_rows_fn rows1)
{
    float v[4];
    int64_t n = n0;
    for (; n + 4 <= n1; n += 4) {
        rows4(g->w, g->a, n, v);
        for (int r = 0; r < 4; r++)
            g->y[n + r] = g->bias ? v[r] + g->bias[n + r] : v[r];
    }
    for (; n < n1; n++) {
        rows1(g->w, g->a, n, v);
        g->y[n] = g->bias ? v[0] + g->bias[n] : v[0];
    }
}

#define QCTS_GEMV_DRIVER(name, rows4, rows1)                                                      \
    void name(const qcts_gemm_args *g, int64_t n0, int64_t n1, void *scratch)                      \
    {                                                                                               \
        (void)scratch;                                                                              \
        qcts_avx2_gemv_drive(g, n0, n1, rows4, rows1);                                             \
    }

#endif
