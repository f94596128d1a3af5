/* Bench rows of the AVX2 row ops (qcts/bench_rowops.h), one thread, data
 * of at least 4x the LLC (from DRAM):
 *   rope   apply, q 32 heads + k 8 heads of 128, NeoX, positions < 2^17,
 *          f32 and bf16 (Llama-3-8B's attention shapes);
 *   norm   RMSNorm n = 4096 with weight and fused residual, f32 and bf16
 *          (reads x and r, writes y and the residual);
 *   softmax rows of n = 32000 (a vocabulary), f32.
 * Each reads its inputs once and writes its outputs once, so the ceiling is
 * the copy bandwidth: GB/s here counts the bytes read (inputs) per second,
 * and the ratio to copy is printed, with the ratio to read (the issue's
 * "read roofline") after it. A ratio near 1 means the kernel keeps up with
 * memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/simd/simd.h"
#include "qcts/bench_rowops.h"
#include "qcts/roofline.h"
#if QCTS_SIMD_X86
#include "kernels/simd/avx2/rowops.h"
#endif

#if QCTS_SIMD_X86
static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void fill(void *p, size_t bytes)
{
    uint16_t *h = p;
    for (size_t i = 0; i < bytes / 2; i++)   /* small values in both f32 halves and bf16 */
        h[i] = (uint16_t)(0x3C00u + (uint16_t)((i * 2654435761u >> 20) & 0x3FF));
}

typedef void (*run_fn)(void *ctx);

static double median_time(run_fn fn, void *ctx, int reps)
{
    double t[32];
    int R = reps < 32 ? reps : 32;
    fn(ctx);   /* warm-up */
    for (int r = 0; r < R; r++) {
        double t0 = qcts_now();
        fn(ctx);
        t[r] = qcts_now() - t0;
    }
    qsort(t, (size_t)R, sizeof *t, cmp_d);
    return t[R / 2];
}

static void row(const char *op, const char *shape, const char *variant, double sec, double in_bytes,
                double read_gbs, double copy_gbs)
{
    double gbs = in_bytes / sec * 1e-9;
    printf("%-9s %-22s %-38s %9.3f %9.2f %-7s %5.2fx %-5s (%.2fx read)\n", op, shape, variant, sec * 1e3, gbs, "GB/s",
           copy_gbs > 0 ? gbs / copy_gbs : 0, "copy", read_gbs > 0 ? gbs / read_gbs : 0);
}

typedef struct rope_ctx {
    qcts_rope_plan plan;
    qcts_buffers b;
    float *scratch;
    int64_t T;
} rope_ctx;

static void rope_once(void *p)
{
    rope_ctx *c = p;
    qcts_rope_rows__avx2(&c->plan, &c->b, 0, c->T, c->scratch);
}

typedef struct norm_ctx {
    qcts_norm_desc d;
    qcts_buffers b;
    float *scratch;
} norm_ctx;

static void norm_once(void *p)
{
    norm_ctx *c = p;
    qcts_norm_rows__avx2(&c->d, &c->b, 0, c->d.rows, c->scratch);
}

typedef struct softmax_ctx {
    qcts_softmax_desc d;
    qcts_buffers b;
    float *scratch;
} softmax_ctx;

static void softmax_once(void *p)
{
    softmax_ctx *c = p;
    qcts_softmax_rows__avx2(&c->d, &c->b, 0, c->d.rows, c->scratch);
}
#endif

void qcts_bench_rowops_rows(double read_gbs, double copy_gbs, int reps, int quick)
{
#if QCTS_SIMD_X86
    if (!qcts_isa_cpu_ok(QCTS_ISA_AVX2, NULL, 0))
        return;
    size_t bytes = 4 * qcts_llc_bytes();
    if (quick)
        bytes /= 4;
    if (bytes < ((size_t)16 << 20))
        bytes = (size_t)16 << 20;
    void *in0 = aligned_alloc(64, bytes), *in1 = aligned_alloc(64, bytes);
    void *out0 = aligned_alloc(64, bytes), *out1 = aligned_alloc(64, bytes);
    if (!in0 || !in1 || !out0 || !out1)
        goto done;
    fill(in0, bytes);
    fill(in1, bytes);
    memset(out0, 0, bytes);
    memset(out1, 0, bytes);
    char shape[64];
    for (int dt = 0; dt < 3; dt += 2) {   /* f32, bf16 */
        size_t es = dt == QCTS_DT_F32 ? 4 : 2;
        rope_ctx c;
        memset(&c, 0, sizeof c);
        qcts_rope_desc d = { 0 };
        d.layout = QCTS_ROPE_NEOX, d.in_dtype = d.out_dtype = dt, d.q_heads = 32, d.k_heads = 8;
        d.q_dim = d.k_dim = d.rot_dim = 128, d.theta = 500000, d.threads = 1;
        /* q takes 4/5 of the buffer, k 1/5 */
        c.T = (int64_t)(bytes / es / (40 * 128));
        d.tokens = c.T;
        int32_t *pos = malloc((size_t)c.T * sizeof *pos);
        if (!pos || qcts_rope_plan_init(&c.plan, &d) != 0) {
            free(pos);
            goto done;
        }
        for (int64_t t = 0; t < c.T; t++)
            pos[t] = (int32_t)((t * 2654435761u) & 0x1FFFF);
        c.scratch = malloc((size_t)qcts_rope_scratch(&d) * sizeof(float));
        c.b.in[0] = pos;
        c.b.in[1] = in0;
        c.b.in[2] = (char *)in0 + (size_t)c.T * 32 * 128 * es;
        c.b.out[0] = out0;
        c.b.out[1] = (char *)out0 + (size_t)c.T * 32 * 128 * es;
        if (c.scratch) {
            double sec = median_time(rope_once, &c, reps);
            snprintf(shape, sizeof shape, "T%lld q32k8x128 %s", (long long)c.T, dt ? "bf16" : "f32");
            row("rope", shape, "qcts_rope_rows__avx2", sec, (double)c.T * 40 * 128 * (double)es, read_gbs,
                copy_gbs);
        }
        free(c.scratch);
        free(pos);
        qcts_rope_plan_free(&c.plan);
    }
    for (int dt = 0; dt < 3; dt += 2) {
        size_t es = dt == QCTS_DT_F32 ? 4 : 2;
        norm_ctx c;
        memset(&c, 0, sizeof c);
        c.d = (qcts_norm_desc){ QCTS_NORM_RMS, dt, dt, 1, 0, 1, 0, 4096, 1e-6, 1, 0 };
        c.d.rows = (int64_t)(bytes / es / 4096);
        c.b.in[0] = in0;
        c.b.in[1] = in1;   /* weight: the first 4096 values */
        c.b.in[3] = in1;
        c.b.out[0] = out0;
        c.b.out[1] = out1;
        c.scratch = malloc((size_t)qcts_norm_scratch(&c.d) * sizeof(float));
        if (c.scratch) {
            double sec = median_time(norm_once, &c, reps);
            snprintf(shape, sizeof shape, "rms n4096 x%lld res %s", (long long)c.d.rows, dt ? "bf16" : "f32");
            row("norm", shape, "qcts_norm_rows__avx2", sec, 2.0 * (double)c.d.rows * 4096 * (double)es, read_gbs,
                copy_gbs);
        }
        free(c.scratch);
    }
    {
        softmax_ctx c;
        memset(&c, 0, sizeof c);
        c.d = (qcts_softmax_desc){ QCTS_DT_F32, QCTS_DT_F32, 0, 32000, 1.0, 1, 0 };
        c.d.rows = (int64_t)(bytes / 4 / 32000);
        c.b.in[0] = in0;
        c.b.out[0] = out0;
        c.scratch = malloc((size_t)qcts_softmax_scratch(&c.d) * sizeof(float));
        if (c.scratch) {
            double sec = median_time(softmax_once, &c, reps);
            snprintf(shape, sizeof shape, "n32000 x%lld f32", (long long)c.d.rows);
            row("softmax", shape, "qcts_softmax_rows__avx2", sec, (double)c.d.rows * 32000 * 4, read_gbs, copy_gbs);
        }
        free(c.scratch);
    }
done:
    free(in0);
    free(in1);
    free(out0);
    free(out1);
#else
    (void)read_gbs;
    (void)copy_gbs;
    (void)reps;
    (void)quick;
#endif
}
