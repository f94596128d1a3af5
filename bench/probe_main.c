/* qcts-probe — a small benchmark of the CPU kernels against this host's
 * measured roofline (a benchmark, not a test: it prints numbers and never
 * fails on them).
 *
 *   qcts-probe [--quick] [--reps N] [--only dequant|gemv|gemm]
 *
 * Single-thread roofline, median of repeated runs:
 *   (measured by bench/src/roofline.c, shared with `qcts bench`)
 *   read   streaming read bandwidth of one core (AVX2 loads summed, a buffer
 *          4x the last-level cache)
 *   copy   the better of memcpy and an AVX2 load/store loop on such a
 *          buffer (bytes copied per second)
 *   fma    AVX2 FMA peak of one core (12 independent ymm FMA chains)
 * Then, each as the median of repeated runs:
 *   dequant fp4_g128_f16 / int4_sym_g128 -> f32 of a tensor larger than the
 *          LLC: GB/s of float32 output, ratio to copy, speed-up over
 *          qref_dequantize (one run of ref on the same tensor);
 *   GEMV   M = 1, N x K = 4096x4096, 4096x14336, 14336x4096 (weights rotated
 *          over copies totalling > 2x LLC, so they come from DRAM):
 *          GB/s of weight bytes (codes + scales), ratio to read;
 *          fp4_g128_f16, int4_sym_g128, mxfp4, gguf_q4_0; 1 and 2 threads;
 *   GEMM   M = 64 and 256, N = K = 4096: GFLOP/s (2*M*N*K), ratio to the FMA
 *          peak (1 thread); fp4_g128_f16 and int4_sym_g128.
 * Targets printed next to the ratios: dequant >= 0.60 of copy and >= 10x
 * ref; GEMV >= 0.50 of read; GEMM >= 0.50 of peak.
 *
 * Weights are random valid tensors written directly in the serialized
 * layout (random codes, scales in a normal range), not quantized. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels/simd/simd.h"
#include "qcts/bench_hadsamp.h"
#include "qcts/bench_rowops.h"
#include "qcts/roofline.h"
#include "qref/fmt.h"

#if QCTS_SIMD_X86
#include <immintrin.h>
#define TARGET_AVX2 __attribute__((target("avx2,fma")))
#endif

static int reps = 7;
static int quick;
static const char *only;   /* NULL: everything; else "dequant", "gemv" or "gemm" */

static int want(const char *what) { return !only || strcmp(only, what) == 0; }

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    uint64_t x = rng += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static void *xmalloc(size_t n)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, n ? n : 1) != 0) {
        fprintf(stderr, "qcts-probe: out of memory (%zu bytes)\n", n);
        exit(1);
    }
    return p;
}

static void fill_random(uint8_t *p, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t r = rnd();
        memcpy(p + i, &r, 8);
    }
    for (; i < n; i++)
        p[i] = (uint8_t)rnd();
}

/* Last-level cache size in bytes (sysfs), 32 MiB if unknown. */
static size_t llc_bytes(void) { return qcts_llc_bytes(); }

typedef struct roofline {
    double read_gbs, copy_gbs, fma_gflops, ghz;
} roofline;

/* Core clock estimate: a chain of dependent integer adds (1 cycle each). */
static double probe_ghz(void)
{
    double t[32];
    for (int i = 0; i < reps; i++) {
        uint64_t x = 1, n = 200000000;
        double t0 = now();
#if QCTS_SIMD_X86
#define ADD1 "add %1, %0\n\t"
#else
#define ADD1 "add %0, %0, %1\n\t"
#endif
        for (uint64_t j = 0; j < n; j += 8)
            __asm__ volatile(ADD1 ADD1 ADD1 ADD1 ADD1 ADD1 ADD1 ADD1 : "+r"(x) : "r"(j));
#undef ADD1
        t[i] = (double)n / (now() - t0);
    }
    return median(t, reps) * 1e-9;
}

/* The roofline is measured by bench/src/roofline.c (qcts/roofline.h), the
 * same code `qcts bench` uses; this program shows its one-core numbers and
 * the AVX2 FMA peak. */
static roofline probe_roofline(size_t llc)
{
    (void)llc;
    qcts_roofline q;
    qcts_roofline_probe(&q, quick);
    roofline r = { q.read_gbs[0], q.copy_gbs[0], 0, probe_ghz() };
    for (int i = 0; i < q.n_fma; i++)
        if (strcmp(q.fma[i].isa, "avx2") == 0)
            r.fma_gflops = q.fma[i].gflops[0];
    return r;
}

/* ---- test tensors -------------------------------------------------------------------- */

typedef struct tensor {
    const qref_scheme *s;
    int64_t rows, cols;
    uint8_t *bytes;
    qcts_qview v;
    size_t weight_bytes;    /* codes + scales + zeros */
} tensor;

static uint16_t f16_of(float x) { return qref_f32_to_f16(x); }

static void tensor_make(tensor *t, const char *scheme, int64_t rows, int64_t cols)
{
    memset(t, 0, sizeof *t);
    t->s = qref_scheme_find(scheme);
    t->rows = rows;
    t->cols = cols;
    qref_qsizes z;
    qref_error e;
    if (!t->s || qref_qsizes_get(t->s, rows, cols, &z, &e) != QREF_OK) {
        fprintf(stderr, "qcts-probe: %s %lldx%lld: bad shape\n", scheme, (long long)rows, (long long)cols);
        exit(1);
    }
    t->bytes = xmalloc(z.total);
    fill_random(t->bytes, z.codes);
    uint8_t *sc = t->bytes + z.codes;
    if (t->s->family == QREF_FAMILY_GGUF && t->s->gguf_type == 2) {   /* Q4_0: d of every block */
        size_t nb = z.codes / 18;
        for (size_t b = 0; b < nb; b++) {
            uint16_t h = f16_of(0.001f + 0.01f * (float)(rnd() % 100) / 100.0f);
            memcpy(t->bytes + 18 * b, &h, 2);
        }
    } else if (t->s->scale == QREF_SCALE_F16) {
        for (size_t i = 0; i < z.scales / 2; i++) {
            uint16_t h = f16_of(0.001f + 0.01f * (float)(rnd() % 100) / 100.0f);
            memcpy(sc + 2 * i, &h, 2);
        }
    } else if (t->s->scale == QREF_SCALE_E8M0) {
        for (size_t i = 0; i < z.scales; i++)
            sc[i] = (uint8_t)(120 + rnd() % 8);
    } else {
        memset(sc, 0, z.scales);
    }
    memset(t->bytes + z.codes + z.scales, 0, z.total - z.codes - z.scales);
    if (z.tscale) {
        float one = 1.0f;
        memcpy(t->bytes + z.total - 4, &one, 4);
    }
    t->weight_bytes = z.codes + z.scales + z.zeros;
    char why[256];
    if (qcts_qview_init_unchecked(&t->v, t->s, rows, cols, t->bytes, z.total, why, sizeof why) != 0) {
        fprintf(stderr, "qcts-probe: %s\n", why);
        exit(1);
    }
}

static void tensor_free(tensor *t) { free(t->bytes); }

/* ---- dequant ------------------------------------------------------------------------ */

static void row_line(const char *what, const char *shape, const char *variant, double ms, const char *unit,
                     double val, const char *vs, double ratio, double target)
{
    printf("%-9s %-22s %-38s %9.3f %9.2f %-7s %5.2fx %-5s %s\n", what, shape, variant, ms, val, unit, ratio, vs,
           target <= 0 ? "" : ratio >= target ? "ok" : "MISSED");
}

static void bench_dequant(const char *scheme, const roofline *rf, size_t llc)
{
    const qcts_dequant_variant *dv = qcts_dequant_variant_find(QCTS_ISA_AVX2, scheme);
    if (!dv || !qcts_isa_cpu_ok(QCTS_ISA_AVX2, NULL, 0))
        return;
    /* Output float32 >= 4x the LLC. */
    int64_t K = 8192, N = (int64_t)((4 * llc) / (size_t)(4 * K));
    if (N < 64)
        N = 64;
    N = (N + 63) / 64 * 64;
    tensor t;
    tensor_make(&t, scheme, N, K);
    float *out = xmalloc(sizeof(float) * (size_t)(N * K));
    memset(out, 0, sizeof(float) * (size_t)(N * K));
    double tm[32];
    for (int i = 0; i <= reps; i++) {
        double t0 = now();
        for (int64_t r = 0; r < N; r++)
            dv->fn(&t.v, r, 0, K, out + r * K);
        if (i > 0)
            tm[i - 1] = now() - t0;
    }
    double sec = median(tm, reps);
    double gbs = (double)(N * K) * 4 / sec * 1e-9;
    char shape[64];
    snprintf(shape, sizeof shape, "%lldx%lld", (long long)N, (long long)K);
    row_line("dequant", shape, dv->symbol, sec * 1e3, "GB/s", gbs, "copy", gbs / rf->copy_gbs, 0.60);
    /* ref: one run (it is slow), on the same tensor. */
    qref_qtensor q;
    qcts_qview_as_qtensor(&t.v, &q);
    qref_error e;
    int64_t refN = quick ? N / 8 : N / 2;
    q.rows = refN;
    double t0 = now();
    qref_dequantize(&q, out, &e);
    double rsec = (now() - t0) * (double)N / (double)refN;
    row_line("dequant", shape, "qref_dequantize (ref)", rsec * 1e3, "GB/s", (double)(N * K) * 4 / rsec * 1e-9,
             "ref", rsec / sec, 10.0);
    free(out);
    tensor_free(&t);
}

/* ---- GEMV ---------------------------------------------------------------------------------- */

typedef struct gemv_ctx {
    qcts_gemm_kernel fn;
    qcts_gemm_args g;
} gemv_ctx;

static void gemv_part(void *ctx, int t, int64_t lo, int64_t hi)
{
    (void)t;
    gemv_ctx *c = ctx;
    if (hi > lo)
        c->fn(&c->g, lo, hi, NULL);
}

static void bench_gemv(const char *scheme, int64_t N, int64_t K, int threads, const roofline *rf, size_t llc)
{
    const qcts_gemm_variant *gv = qcts_gemm_variant_find(QCTS_ISA_AVX2, scheme, 1);
    if (!gv || !qcts_isa_cpu_ok(QCTS_ISA_AVX2, NULL, 0))
        return;
    tensor first;
    tensor_make(&first, scheme, N, K);
    /* Copies so the rotation exceeds 2x the LLC. */
    int copies = (int)((2 * llc) / first.weight_bytes) + 2;
    if (copies > 64)
        copies = 64;
    tensor *ts = calloc((size_t)copies, sizeof *ts);
    ts[0] = first;
    for (int c = 1; c < copies; c++)
        tensor_make(&ts[c], scheme, N, K);
    float *x = xmalloc(sizeof(float) * (size_t)K), *y = xmalloc(sizeof(float) * (size_t)N);
    for (int64_t k = 0; k < K; k++)
        x[k] = (float)((int)(rnd() % 200) - 100) / 64.0f;
    int n_runs = quick ? reps : 3 * reps;
    double *tm = calloc((size_t)n_runs, sizeof *tm);
    for (int i = -copies; i < n_runs; i++) {
        tensor *t = &ts[(i + copies) % copies];
        gemv_ctx c = { gv->fn, { .w = &t->v, .a = x, .M = 1, .lda = K, .y = y, .ldy = N, .bias = NULL } };
        double t0 = now();
        qcts_parallel_for(threads, N, 16, gemv_part, &c);
        if (i >= 0)
            tm[i] = now() - t0;
    }
    double sec = median(tm, n_runs);
    double gbs = (double)first.weight_bytes / sec * 1e-9;
    char shape[64], var[96];
    snprintf(shape, sizeof shape, "%lldx%lld t%d", (long long)N, (long long)K, threads);
    snprintf(var, sizeof var, "%s", gv->symbol);
    row_line("gemv", shape, var, sec * 1e3, "GB/s", gbs, "read", gbs / rf->read_gbs, threads == 1 ? 0.50 : 0);
    for (int c = 0; c < copies; c++)
        tensor_free(&ts[c]);
    free(ts);
    free(x);
    free(y);
    free(tm);
}

/* GEMV with the weights in L2 (no rotation): the kernel's compute rate,
 * as core cycles per 8 weights. */
static void bench_gemv_hot(const char *scheme, const roofline *rf)
{
    const qcts_gemm_variant *gv = qcts_gemm_variant_find(QCTS_ISA_AVX2, scheme, 1);
    if (!gv || !qcts_isa_cpu_ok(QCTS_ISA_AVX2, NULL, 0))
        return;
    const int64_t N = 128, K = 4096;
    tensor t;
    tensor_make(&t, scheme, N, K);
    float *x = xmalloc(sizeof(float) * (size_t)K), *y = xmalloc(sizeof(float) * (size_t)N);
    for (int64_t k = 0; k < K; k++)
        x[k] = (float)((int)(rnd() % 200) - 100) / 64.0f;
    qcts_gemm_args g = { .w = &t.v, .a = x, .M = 1, .lda = K, .y = y, .ldy = N, .bias = NULL };
    double tm[32];
    for (int i = 0; i <= reps; i++) {
        double t0 = now();
        for (int it = 0; it < 50; it++)
            gv->fn(&g, 0, N, NULL);
        if (i > 0)
            tm[i - 1] = (now() - t0) / 50;
    }
    double sec = median(tm, reps);
    double cyc8 = sec * rf->ghz * 1e9 / ((double)(N * K) / 8);
    char shape[64];
    snprintf(shape, sizeof shape, "%lldx%lld L2 t1", (long long)N, (long long)K);
    printf("%-9s %-22s %-38s %9.3f %9.2f %-7s %5.2f  cycles per 8 weights (compute bound)\n", "gemv-hot", shape,
           gv->symbol, sec * 1e3, (double)t.weight_bytes / sec * 1e-9, "GB/s", cyc8);
    tensor_free(&t);
    free(x);
    free(y);
}

/* ---- GEMM ---------------------------------------------------------------------------------- */

static void bench_gemm(const char *scheme, int64_t M, int64_t N, int64_t K, const roofline *rf)
{
    const qcts_gemm_variant *gv = qcts_gemm_variant_find(QCTS_ISA_AVX2, scheme, 0);
    if (!gv || !qcts_isa_cpu_ok(QCTS_ISA_AVX2, NULL, 0))
        return;
    tensor t;
    tensor_make(&t, scheme, N, K);
    float *a = xmalloc(sizeof(float) * (size_t)(M * K)), *y = xmalloc(sizeof(float) * (size_t)(M * N));
    for (int64_t i = 0; i < M * K; i++)
        a[i] = (float)((int)(rnd() % 200) - 100) / 64.0f;
    void *scratch = xmalloc(qcts_gemm_scratch_bytes(M, K));
    qcts_gemm_args g = { .w = &t.v, .a = a, .M = M, .lda = K, .y = y, .ldy = N, .bias = NULL };
    int n = quick ? 3 : reps;
    double tm[32];
    for (int i = 0; i <= n; i++) {
        double t0 = now();
        gv->fn(&g, 0, N, scratch);
        if (i > 0)
            tm[i - 1] = now() - t0;
    }
    double sec = median(tm, n);
    double gf = 2.0 * (double)M * (double)N * (double)K / sec * 1e-9;
    char shape[64];
    snprintf(shape, sizeof shape, "M%lld %lldx%lld t1", (long long)M, (long long)N, (long long)K);
    row_line("gemm", shape, gv->symbol, sec * 1e3, "GFLOP/s", gf, "peak", gf / rf->fma_gflops, 0.50);
    free(a);
    free(y);
    free(scratch);
    tensor_free(&t);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            quick = 1;
            reps = 3;
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            only = argv[++i];
        } else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
            /* Checked, not atoi: an out-of-range atoi is undefined. */
            char *end;
            errno = 0;
            long v = strtol(argv[++i], &end, 10);
            if (errno || end == argv[i] || *end || v < 1 || v > 31) {
                fprintf(stderr, "qcts-probe: --reps needs a number from 1 to 31, got '%s'\n", argv[i]);
                return 2;
            }
            reps = (int)v;
        } else {
            fprintf(stderr, "usage: qcts-probe [--quick] [--reps N] [--only dequant|gemv|gemm|hadamard|sampling|rowops]\n");
            return 2;
        }
    }
    const qcts_cpu_info *cpu = qcts_cpu();
    size_t llc = llc_bytes();
    printf("cpu: %s (%s); avx2 %d fma %d f16c %d avx512f %d; LLC %zu MiB; median of %d runs\n",
           cpu->brand[0] ? cpu->brand : "?", cpu->vendor, cpu->avx2, cpu->fma, cpu->f16c, cpu->avx512f, llc >> 20,
           reps);
    char why[256];
    if (!qcts_isa_cpu_ok(QCTS_ISA_AVX2, why, sizeof why))
        printf("note: %s; only the copy bandwidth is measured\n", why);
    roofline rf = probe_roofline(llc);
    printf("\nroofline (1 core): read %.2f GB/s, copy %.2f GB/s (bytes copied), AVX2 FMA peak %.1f GFLOP/s, "
           "clock ~%.2f GHz (dependent adds)\n\n",
           rf.read_gbs, rf.copy_gbs, rf.fma_gflops, rf.ghz);
    printf("%-9s %-22s %-38s %9s %9s %-7s %6s %-5s %s\n", "op", "shape", "variant", "ms", "value", "unit", "ratio",
           "vs", "target");
    if (want("dequant")) {
        bench_dequant("fp4_g128_f16", &rf, llc);
        bench_dequant("int4_sym_g128", &rf, llc);
    }
    static const char *gemv_schemes[] = { "fp4_g128_f16", "int4_sym_g128", "mxfp4", "gguf_q4_0" };
    static const int64_t shapes[][2] = { { 4096, 4096 }, { 4096, 14336 }, { 14336, 4096 } };
    for (size_t s = 0; s < 4 && want("gemv"); s++)
        for (size_t sh = 0; sh < 3; sh++)
            for (int th = 1; th <= 2; th++)
                bench_gemv(gemv_schemes[s], shapes[sh][0], shapes[sh][1], th, &rf, llc);
    for (size_t s = 0; s < 4 && want("gemv"); s++)
        bench_gemv_hot(gemv_schemes[s], &rf);
    static const char *gemm_schemes[] = { "fp4_g128_f16", "int4_sym_g128" };
    for (size_t s = 0; s < 2 && want("gemm"); s++) {
        bench_gemm(gemm_schemes[s], 64, 4096, 4096, &rf);
        bench_gemm(gemm_schemes[s], 256, 4096, 4096, &rf);
    }
    if (want("hadamard"))   /* bench/src/bench_hadamard.c */
        qcts_bench_hadamard_rows(rf.read_gbs, rf.copy_gbs, reps, quick);
    if (want("sampling"))   /* bench/src/bench_sampling.c */
        qcts_bench_sampling_rows(rf.read_gbs, reps, quick);
    if (want("rowops"))   /* bench/src/bench_rowops.c: rope, norm, softmax */
        qcts_bench_rowops_rows(rf.read_gbs, rf.copy_gbs, reps, quick);
    return 0;
}
