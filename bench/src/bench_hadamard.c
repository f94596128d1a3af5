/* Bench rows of the AVX2 Hadamard kernel (qcts/bench_hadsamp.h): rows of
 * n = 64, 128, 1024, 4096 float32 over a buffer of 4x the LLC, one thread.
 * The transform reads each row once and writes it once, so its ceiling is
 * the copy bandwidth (bytes copied per second, the input's bytes); the
 * ratio to the read bandwidth is printed too (the "read
 * roofline"). A row is computed in L1 (16 KiB at n = 4096), so a kernel
 * that keeps up with memory shows a copy ratio near 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/simd/simd.h"
#include "qcts/bench_hadsamp.h"
#include "qcts/roofline.h"
#if QCTS_SIMD_X86
#include "kernels/simd/avx2/hadsamp.h"
#endif

#if QCTS_SIMD_X86
static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}
#endif

void qcts_bench_hadamard_rows(double read_gbs, double copy_gbs, int reps, int quick)
{
#if QCTS_SIMD_X86
    if (!qcts_isa_cpu_ok(QCTS_ISA_AVX2, NULL, 0))
        return;
    size_t bytes = 4 * qcts_llc_bytes();
    if (quick)
        bytes /= 4;
    if (bytes < ((size_t)16 << 20))
        bytes = (size_t)16 << 20;
    float *x = aligned_alloc(64, bytes), *y = aligned_alloc(64, bytes);
    if (!x || !y) {
        free(x);
        free(y);
        return;
    }
    for (size_t i = 0; i < bytes / 4; i++)
        x[i] = (float)((int)(i * 2654435761u >> 20) % 2001 - 1000) * 0.001f;
    memset(y, 0, bytes);
    static const int64_t ns[] = { 64, 128, 1024, 4096 };
    for (int a = 0; a < 4; a++) {
        int64_t n = ns[a], rows = (int64_t)(bytes / 4) / n;
        double t[32];
        int R = reps < 32 ? reps : 32;
        qcts_avx2_hadamard_rows(x, QCTS_DT_F32, y, QCTS_DT_F32, n, 1, 0, 0, rows);   /* warm-up */
        for (int r = 0; r < R; r++) {
            double t0 = qcts_now();
            qcts_avx2_hadamard_rows(x, QCTS_DT_F32, y, QCTS_DT_F32, n, 1, 0, 0, rows);
            t[r] = qcts_now() - t0;
        }
        qsort(t, (size_t)R, sizeof *t, cmp_d);
        double sec = t[R / 2], gbs = (double)(rows * n * 4) / sec * 1e-9;
        char shape[64];
        snprintf(shape, sizeof shape, "n%lld x%lld rows t1", (long long)n, (long long)rows);
        printf("%-9s %-22s %-38s %9.3f %9.2f %-7s %5.2fx %-5s (%.2fx read)\n", "hadamard", shape,
               "qcts_hadamard_rows__avx2", sec * 1e3, gbs, "GB/s", copy_gbs > 0 ? gbs / copy_gbs : 0, "copy",
               read_gbs > 0 ? gbs / read_gbs : 0);
    }
    free(x);
    free(y);
#else
    (void)read_gbs;
    (void)copy_gbs;
    (void)reps;
    (void)quick;
#endif
}
