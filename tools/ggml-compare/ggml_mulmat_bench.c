/* ggml_mulmat_bench: times ggml's CPU mul_mat (Y = X W^T, W N x K of a
 * ggml type, X M x K f32) through its graph API, as llama.cpp runs it, for
 * tools/ggml-compare.sh. Built against a ggml built in build/ggml (never
 * vendored). Not part of qcts: no qcts headers.
 *
 *   ggml_mulmat_bench TYPE N K M THREADS [--cold] [--reps R] [--repack] [--min-time S]
 *
 * TYPE: q4_0 | mxfp4 | q8_0 | q4_k. --cold: enough copies of W to cover
 * 512 MiB, rotated call by call (the weights come from DRAM, as with
 * `qcts bench --cold`). --repack: W in the CPU "extra" buffer type (ggml's
 * runtime repacking, e.g. Q4_0 -> Q4_0_8x8, where the CPU offers it), as
 * llama.cpp allocates weights by default. Each repetition is a timing
 * block of calls (wall time over the whole graph compute, threads
 * included) lasting at least --min-time; prints one line:
 *   ggml TYPE N K M THREADS median_us min_us reps weight_bytes copies repack
 * with the median and minimum of the repetitions' per-call times. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ggml.h"
#include "ggml-alloc.h"
#include "ggml-backend.h"
#include "ggml-cpu.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static float frand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (float)((double)(rng >> 11) * 0x1p-53 - 0.5);
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: %s TYPE N K M THREADS [--cold] [--reps R] [--repack] [--min-time S]\n", argv[0]);
        return 2;
    }
    const char *tname = argv[1];
    const int64_t N = atoll(argv[2]), K = atoll(argv[3]), M = atoll(argv[4]);
    const int threads = atoi(argv[5]);
    int cold = 0, reps = 7, repack = 0;
    double min_time = 0.2;
    for (int i = 6; i < argc; i++) {
        if (!strcmp(argv[i], "--cold"))
            cold = 1;
        else if (!strcmp(argv[i], "--repack"))
            repack = 1;
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--min-time") && i + 1 < argc)
            min_time = atof(argv[++i]);
    }
    enum ggml_type type;
    if (!strcmp(tname, "q4_0"))
        type = GGML_TYPE_Q4_0;
    else if (!strcmp(tname, "mxfp4"))
        type = GGML_TYPE_MXFP4;
    else if (!strcmp(tname, "q8_0"))
        type = GGML_TYPE_Q8_0;
    else if (!strcmp(tname, "q4_k"))
        type = GGML_TYPE_Q4_K;
    else {
        fprintf(stderr, "unknown type %s\n", tname);
        return 2;
    }
    const size_t wbytes = ggml_row_size(type, K) * (size_t)N;
    int copies = cold ? (int)((512ull << 20) / wbytes) + 1 : 1;
    if (copies > 4096)
        copies = 4096;

    ggml_backend_t be = ggml_backend_cpu_init();
    ggml_backend_cpu_set_n_threads(be, threads);
    ggml_backend_buffer_type_t wbuft = ggml_backend_cpu_buffer_type();
    if (repack) {
        ggml_backend_dev_t dev = ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU);
        ggml_backend_reg_t reg = ggml_backend_dev_backend_reg(dev);
        ggml_backend_dev_get_extra_bufts_t get =
            (ggml_backend_dev_get_extra_bufts_t)ggml_backend_reg_get_proc_address(reg, "ggml_backend_dev_get_extra_bufts");
        ggml_backend_buffer_type_t *extra = get ? get(dev) : NULL;
        if (extra && extra[0])
            wbuft = extra[0];
        else
            repack = 0;
    }

    /* weights in their own context (their buffer type), the rest in another */
    struct ggml_init_params pw = { ggml_tensor_overhead() * (size_t)(copies + 1), NULL, true };
    struct ggml_context *cw = ggml_init(pw);
    struct ggml_tensor **W = calloc((size_t)copies, sizeof *W);
    for (int c = 0; c < copies; c++)
        W[c] = ggml_new_tensor_2d(cw, type, K, N);
    ggml_backend_buffer_t bw = ggml_backend_alloc_ctx_tensors_from_buft(cw, wbuft);

    struct ggml_init_params pg = { ggml_tensor_overhead() * (size_t)(2 * copies + 8) + ggml_graph_overhead() * (size_t)copies,
                                   NULL, true };
    struct ggml_context *cg = ggml_init(pg);
    struct ggml_tensor *X = ggml_new_tensor_2d(cg, GGML_TYPE_F32, K, M);
    struct ggml_cgraph **G = calloc((size_t)copies, sizeof *G);
    for (int c = 0; c < copies; c++) {
        struct ggml_tensor *Y = ggml_mul_mat(cg, W[c], X);
        G[c] = ggml_new_graph(cg);
        ggml_build_forward_expand(G[c], Y);
    }
    ggml_backend_buffer_t bg = ggml_backend_alloc_ctx_tensors(cg, be);
    if (!bw || !bg) {
        fprintf(stderr, "allocation failed\n");
        return 1;
    }

    /* random weights quantized by ggml; copy 0's bytes reused for the others */
    float *f = malloc(sizeof(float) * (size_t)(N * K));
    for (int64_t i = 0; i < N * K; i++)
        f[i] = frand();
    void *q = malloc(wbytes);
    ggml_quantize_chunk(type, f, q, 0, N, K, NULL);
    for (int c = 0; c < copies; c++)
        ggml_backend_tensor_set(W[c], q, 0, wbytes);
    float *x = malloc(sizeof(float) * (size_t)(M * K));
    for (int64_t i = 0; i < M * K; i++)
        x[i] = frand();
    ggml_backend_tensor_set(X, x, 0, sizeof(float) * (size_t)(M * K));

    for (int c = 0; c < (copies < 4 ? copies : 4); c++)   /* warm-up */
        ggml_backend_graph_compute(be, G[c]);
    double *t = calloc((size_t)reps, sizeof *t);
    int next = 0;
    for (int r = 0; r < reps; r++) {
        int calls = 0;
        double t0 = now(), t1;
        do {
            ggml_backend_graph_compute(be, G[next]);
            next = (next + 1) % copies;
            calls++;
            t1 = now();
        } while (t1 - t0 < min_time || calls < 3);
        t[r] = (t1 - t0) / calls;
    }
    qsort(t, (size_t)reps, sizeof *t, cmp);
    printf("ggml %s %lld %lld %lld %d %.3f %.3f %d %zu %d %d\n", tname, (long long)N, (long long)K, (long long)M,
           threads, 1e6 * t[reps / 2], 1e6 * t[0], reps, wbytes, copies, repack);
    ggml_backend_buffer_free(bg);
    ggml_backend_buffer_free(bw);
    ggml_free(cg);
    ggml_free(cw);
    ggml_backend_free(be);
    return 0;
}
