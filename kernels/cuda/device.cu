/* The device's own ceilings for `qcts bench` (bench/src/bench_cuda.c):
 * device-to-device copy bandwidth, and cuBLAS bf16 GEMM/GEMV on a shape as
 * the baseline. libcublas is opened with dlopen at the first use, so qcts
 * does not link it (and runs without it). Times come from CUDA events.
 * Inputs are random (never zeros: a matrix unit can run faster on zeros),
 * and the weights rotate over enough copies to exceed three times the L2. */
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "kernels/cuda/cuda_api.h"
#include "kernels/cuda/cuda_internal.h"

extern "C" size_t qcu_device_l2(void)
{
    if (!qcu_device_ok(NULL, 0))
        return 0;
    int v = 0;
    if (cudaDeviceGetAttribute(&v, cudaDevAttrL2CacheSize, 0) != cudaSuccess)
        return 0;
    return (size_t)v;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

extern "C" int qcu_copy_gbs(size_t bytes, int reps, double *gbs, double *spread, char *why, size_t n)
{
    void *a = NULL, *b = NULL;
    cudaEvent_t e0 = NULL, e1 = NULL;
    cudaStream_t s = qcu_stream();
    int rc = -1;
    double best = 0, worst = 1e300;
    if (!qcu_device_ok(why, n))
        return -1;
    if (qcu_fail(cudaMalloc(&a, bytes), "cudaMalloc (copy source)", why, n) ||
        qcu_fail(cudaMalloc(&b, bytes), "cudaMalloc (copy destination)", why, n) ||
        qcu_fail(cudaMemsetAsync(a, 0x5A, bytes, s), "cudaMemset", why, n) ||
        qcu_fail(cudaEventCreate(&e0), "cudaEventCreate", why, n) || qcu_fail(cudaEventCreate(&e1), "cudaEventCreate", why, n))
        goto out;
    for (int i = 0; i < reps + 2; i++) {
        float ms = 0;
        if (qcu_fail(cudaEventRecord(e0, s), "cudaEventRecord", why, n) ||
            qcu_fail(cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice, s), "cudaMemcpy (device to device)", why, n) ||
            qcu_fail(cudaEventRecord(e1, s), "cudaEventRecord", why, n) ||
            qcu_fail(cudaEventSynchronize(e1), "cudaEventSynchronize", why, n) ||
            qcu_fail(cudaEventElapsedTime(&ms, e0, e1), "cudaEventElapsedTime", why, n))
            goto out;
        if (i < 2)
            continue;   /* warm-up */
        double g = 2.0 * (double)bytes / ((double)ms * 1e-3) * 1e-9;   /* bytes read + written */
        best = g > best ? g : best;
        worst = g < worst ? g : worst;
    }
    *gbs = best;
    *spread = best > 0 ? (best - worst) / best : 0;
    rc = 0;
out:
    cudaFree(a);
    cudaFree(b);
    if (e0)
        cudaEventDestroy(e0);
    if (e1)
        cudaEventDestroy(e1);
    return rc;
}

/* ---- cuBLAS through dlopen ----------------------------------------------------------- */

typedef cublasStatus_t (*gemm_ex_fn)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int,
                                     const void *, const void *, cudaDataType, int, const void *, cudaDataType, int,
                                     const void *, void *, cudaDataType, int, cublasComputeType_t, cublasGemmAlgo_t);
typedef cublasStatus_t (*create_fn)(cublasHandle_t *);
typedef cublasStatus_t (*set_stream_fn)(cublasHandle_t, cudaStream_t);

static struct {
    pthread_once_t once;
    char why[512];
    create_fn create;
    set_stream_fn set_stream;
    gemm_ex_fn gemm_ex;
    cublasHandle_t h;
    int ok;
} cb = { PTHREAD_ONCE_INIT };

static void cublas_open(void)
{
    static const char *const names[] = {
        "libcublas.so.13", "libcublas.so.12", "libcublas.so", "/usr/local/cuda/lib64/libcublas.so.13",
        "/usr/local/cuda/lib64/libcublas.so.12", "/usr/local/cuda/lib64/libcublas.so",
    };
    void *lib = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !lib; i++)
        lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(cb.why, sizeof cb.why, "cuBLAS baseline not measured: libcublas.so.13/.12 not found (%s)", dlerror());
        return;
    }
    cb.create = (create_fn)dlsym(lib, "cublasCreate_v2");
    cb.set_stream = (set_stream_fn)dlsym(lib, "cublasSetStream_v2");
    cb.gemm_ex = (gemm_ex_fn)dlsym(lib, "cublasGemmEx");
    if (!cb.create || !cb.set_stream || !cb.gemm_ex) {
        snprintf(cb.why, sizeof cb.why, "cuBLAS baseline not measured: a cuBLAS function is missing (%s)", dlerror());
        return;
    }
    cublasStatus_t st = cb.create(&cb.h);
    if (st != CUBLAS_STATUS_SUCCESS || (st = cb.set_stream(cb.h, qcu_stream())) != CUBLAS_STATUS_SUCCESS) {
        snprintf(cb.why, sizeof cb.why, "cuBLAS baseline not measured: cublasCreate/SetStream failed (status %d)", (int)st);
        return;
    }
    cb.ok = 1;
}

__global__ void qcu_fill_bf16(unsigned short *p, size_t n, unsigned seed)
{
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) {
        unsigned x = (unsigned)i * 2654435761u ^ seed;
        x ^= x >> 15;
        x *= 2246822519u;
        x ^= x >> 13;
        float v = (float)(x & 0xFFFFFF) * (2.0f / 16777216.0f) - 1.0f;   /* uniform in [-1, 1) */
        p[i] = qcu_f32_to_bf16(v);
    }
}

extern "C" int qcu_cublas_bf16(int64_t M, int64_t N, int64_t K, int copies, int reps, double *median_s, double *samples,
                               int max_samples, int *n_samples, char *why, size_t n)
{
    if (!qcu_device_ok(why, n))
        return -1;
    pthread_once(&cb.once, cublas_open);
    if (!cb.ok) {
        snprintf(why, n, "%s", cb.why);
        return -1;
    }
    size_t wbytes = (size_t)N * (size_t)K * 2, l2 = qcu_device_l2();
    if (copies < 1)
        copies = (int)((3 * l2) / wbytes) + 1;
    if (copies > 64)
        copies = 64;
    unsigned short *a = NULL, *y = NULL, *w[64] = { 0 };
    cudaEvent_t e0 = NULL, e1 = NULL;
    cudaStream_t s = qcu_stream();
    int rc = -1, ns = 0;
    const int inner = 10;
    double *t = (double *)calloc((size_t)reps, sizeof *t);
    float alpha = 1.0f, beta = 0.0f;
    if (!t) {
        snprintf(why, n, "out of memory");
        return -1;
    }
    if (qcu_fail(cudaMalloc((void **)&a, (size_t)M * K * 2), "cudaMalloc (A)", why, n) ||
        qcu_fail(cudaMalloc((void **)&y, (size_t)M * N * 2), "cudaMalloc (Y)", why, n) ||
        qcu_fail(cudaEventCreate(&e0), "cudaEventCreate", why, n) || qcu_fail(cudaEventCreate(&e1), "cudaEventCreate", why, n))
        goto out;
    qcu_fill_bf16<<<1024, 256, 0, s>>>(a, (size_t)M * K, 12345u);
    for (int c = 0; c < copies; c++) {
        if (qcu_fail(cudaMalloc((void **)&w[c], wbytes), "cudaMalloc (W copies)", why, n))
            goto out;
        qcu_fill_bf16<<<4096, 256, 0, s>>>(w[c], (size_t)N * K, 777u + (unsigned)c);
    }
    for (int i = 0; i < reps + 1; i++) {
        float ms = 0;
        if (qcu_fail(cudaEventRecord(e0, s), "cudaEventRecord", why, n))
            goto out;
        for (int j = 0; j < inner; j++) {
            /* Y^T (N x M, column-major) = W^T^T ... : op(W) = W (N x K row-major = K x N column-major, transposed) */
            cublasStatus_t st = cb.gemm_ex(cb.h, CUBLAS_OP_T, CUBLAS_OP_N, (int)N, (int)M, (int)K, &alpha,
                                           w[(i * inner + j) % copies], CUDA_R_16BF, (int)K, a, CUDA_R_16BF, (int)K,
                                           &beta, y, CUDA_R_16BF, (int)N, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
            if (st != CUBLAS_STATUS_SUCCESS) {
                snprintf(why, n, "cublasGemmEx (bf16, %lldx%lldx%lld) failed: status %d", (long long)M, (long long)N,
                         (long long)K, (int)st);
                goto out;
            }
        }
        if (qcu_fail(cudaEventRecord(e1, s), "cudaEventRecord", why, n) ||
            qcu_fail(cudaEventSynchronize(e1), "cudaEventSynchronize", why, n) ||
            qcu_fail(cudaEventElapsedTime(&ms, e0, e1), "cudaEventElapsedTime", why, n))
            goto out;
        if (i == 0)
            continue;   /* warm-up: cuBLAS picks and loads its kernel */
        t[ns] = (double)ms * 1e-3 / inner;
        if (samples && ns < max_samples)
            samples[ns] = t[ns];
        ns++;
    }
    qsort(t, (size_t)ns, sizeof *t, cmp_d);
    *median_s = ns % 2 ? t[ns / 2] : 0.5 * (t[ns / 2 - 1] + t[ns / 2]);
    *n_samples = ns < max_samples ? ns : max_samples;
    rc = 0;
out:
    free(t);
    cudaFree(a);
    cudaFree(y);
    for (int c = 0; c < copies; c++)
        cudaFree(w[c]);
    if (e0)
        cudaEventDestroy(e0);
    if (e1)
        cudaEventDestroy(e1);
    return rc;
}
