/* Bench rows of the AVX2 sampler (qcts/bench_hadsamp.h): float32 logits of
 * vocab 32000 and 151936 over at least 4x the LLC, one thread, four
 * configurations: greedy (one pass: max), temperature only (max, exp+sum,
 * draw), temperature + top-k 40 + top-p 0.95 (plus a quickselect and a
 * small sort), min-p 0.05. GB/s of logits read per second against the
 * one-core DRAM read bandwidth: a vocabulary-wide pass reads the row once
 * from memory; the later passes hit the caches (a row of 151936 floats
 * is 594 KiB). */
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

void qcts_bench_sampling_rows(double read_gbs, int reps, int quick)
{
#if QCTS_SIMD_X86
    if (!qcts_isa_cpu_ok(QCTS_ISA_AVX2, NULL, 0))
        return;
    static const int32_t vocabs[] = { 32000, 151936 };
    static const struct {
        const char *name;
        float T;
        int32_t k;
        float p, minp;
    } cfg[] = { { "greedy", 0, 0, 1, 0 }, { "T0.8", 0.8f, 0, 1, 0 }, { "T0.8_k40_p0.95", 0.8f, 40, 0.95f, 0 },
                { "T1_minp0.05", 1, 0, 1, 0.05f } };
    size_t bytes = 4 * qcts_llc_bytes();
    if (quick)
        bytes /= 4;
    if (bytes < ((size_t)16 << 20))
        bytes = (size_t)16 << 20;
    for (int v = 0; v < 2; v++) {
        int32_t V = vocabs[v];
        int64_t rows = (int64_t)(bytes / 4) / V;
        float *l = malloc((size_t)rows * (size_t)V * 4), *u = malloc((size_t)rows * 4);
        qcts_avx2_samp_scratch sc;
        if (!l || !u || qcts_avx2_samp_scratch_init(&sc, V) != 0) {
            free(l);
            free(u);
            return;
        }
        uint64_t s = 0x9E3779B97F4A7C15u;
        for (size_t i = 0; i < (size_t)rows * (size_t)V; i++) {
            s ^= s << 13, s ^= s >> 7, s ^= s << 17;
            l[i] = (float)((int64_t)(s >> 40) - (1 << 23)) * 0x1p-21f;   /* logits in [-4, 4) */
        }
        for (int64_t r = 0; r < rows; r++)
            u[r] = (float)r / (float)rows;
        for (int c = 0; c < 4; c++) {
            qref_sampling_params p = { V, 0, cfg[c].T, 1, 0, 0, cfg[c].k, cfg[c].p, cfg[c].minp };
            double t[32];
            int R = reps < 32 ? reps : 32;
            volatile int32_t sink = 0;
            for (int r = -1; r < R; r++) {
                double t0 = qcts_now();
                for (int64_t row = 0; row < rows; row++)
                    sink += qcts_avx2_sample_row(&p, l + (size_t)row * (size_t)V, QCTS_DT_F32, NULL, u[row], NULL, &sc);
                if (r >= 0)
                    t[r] = qcts_now() - t0;
            }
            qsort(t, (size_t)R, sizeof *t, cmp_d);
            double sec = t[R / 2] / (double)rows, gbs = (double)V * 4 / sec * 1e-9;
            char shape[64], var[64];
            snprintf(shape, sizeof shape, "V%d x%lld rows t1", (int)V, (long long)rows);
            snprintf(var, sizeof var, "qcts_sample_row__avx2 %s", cfg[c].name);
            printf("%-9s %-22s %-38s %9.3f %9.2f %-7s %5.2fx %-5s\n", "sampling", shape, var, sec * 1e3, gbs, "GB/s",
                   read_gbs > 0 ? gbs / read_gbs : 0, "read");
        }
        qcts_avx2_samp_scratch_free(&sc);
        free(l);
        free(u);
    }
#else
    (void)read_gbs;
    (void)reps;
    (void)quick;
#endif
}
