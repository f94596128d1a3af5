/* The generic path: every preset, through qcu_value (qcu.h), one thread per
 * output. Dequant writes each weight's exact value rounded once; GEMM sums
 * a[k] * w[k] in float32 with FMA, k ascending, from +0, then + bias, then
 * one rounding to the output type: the order of ref's model, so "exact
 * fill" cases come out bit-exact and every other case within qref_gemm's
 * bound. */
#include <cuda_runtime.h>

#include "kernels/cuda/cuda_api.h"
#include "kernels/cuda/cuda_internal.h"

__global__ void qcu_dequant_kernel(qcu_tensor t, int dtype, void *out)
{
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    long long total = (long long)t.rows * t.cols;
    for (; i < total; i += (long long)gridDim.x * blockDim.x) {
        long long r = i / t.cols, k = i % t.cols;
        double v = qcu_value(&t, r, k);
        if (dtype == 0)
            ((float *)out)[i] = __double2float_rn(v);
        else if (dtype == 1)
            ((unsigned short *)out)[i] = __half_as_ushort(__float2half_rn(qcu_f32_odd(v)));
        else
            ((unsigned short *)out)[i] = qcu_f32_to_bf16(qcu_f32_odd(v));
    }
}

extern "C" int qcu_launch_dequant(const qcu_tensor *t, int out_dtype, void *out, char *why, size_t n)
{
    long long total = (long long)t->rows * t->cols;
    int threads = 256;
    long long blocks = (total + threads - 1) / threads;
    if (blocks > 65535 * 8)
        blocks = 65535 * 8;
    if (blocks < 1)
        blocks = 1;
    qcu_dequant_kernel<<<(unsigned)blocks, threads, 0, qcu_stream()>>>(*t, out_dtype, out);
    return qcu_fail(cudaGetLastError(), "launch of qcu_dequant_kernel", why, n);
}

static __device__ __forceinline__ qcu_tensor batch_of(const qcu_tensor &w, long long b, long long stride)
{
    qcu_tensor t = w;
    if (b) {
        long long off = b * stride;
        t.codes = w.codes + off;
        t.scales = w.scales ? w.scales + off : 0;
        t.zeros = w.zeros ? w.zeros + off : 0;
        t.meta = w.meta ? w.meta + off : 0;
    }
    if (t.has_tscale) {   /* each batch's tensor has its own float32 tensor scale (the last 4 bytes) */
        const unsigned char *p = w.codes + b * stride + t.total - 4;
        t.tscale = __uint_as_float((unsigned)p[0] | ((unsigned)p[1] << 8) | ((unsigned)p[2] << 16) |
                                   ((unsigned)p[3] << 24));
    }
    return t;
}

/* One output per thread: grid (N/256, M, batch). Each weight is decoded by
 * every row of A that uses it: slow, simple, for any shape. */
__global__ void qcu_gemm_generic_kernel(qcu_gemm g)
{
    long long n = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    long long m = blockIdx.y, b = blockIdx.z;
    if (n >= g.N)
        return;
    qcu_tensor t = batch_of(g.w, b, g.w_stride);
    long long lda = g.lda ? g.lda : g.K, ldy = g.ldy ? g.ldy : g.N;
    long long abase = (b * g.M + m) * lda;
    float acc = 0.0f;
    for (long long k = 0; k < g.K; k++) {
        float w = __double2float_rn(qcu_value(&t, n, k));
        acc = __fmaf_rn(qcu_load_a(g.a, g.a_dtype, abase + k), w, acc);
    }
    if (g.bias)
        acc = __fadd_rn(acc, g.bias[b * g.N + n]);
    qcu_store(g.y, g.out_dtype, (b * g.M + m) * ldy + n, acc);
}

int qcu_launch_gemm_generic(const qcu_gemm *g, char *why, size_t n)
{
    dim3 grid((unsigned)((g->N + 255) / 256), (unsigned)g->M, (unsigned)g->batch);
    qcu_gemm_generic_kernel<<<grid, 256, 0, qcu_stream()>>>(*g);
    return qcu_fail(cudaGetLastError(), "launch of qcu_gemm_generic_kernel", why, n);
}

/* Tiled generic GEMM (M > 1): a block computes a 64 x 64 tile of Y with 256
 * threads (4 x 4 outputs each); per step of 16 along K it stages A (widened
 * to float32) and the weights (decoded once per block, qcu_value rounded to
 * float32) in shared memory. Each output is the same FMA chain as
 * qcu_gemm_generic_kernel (k ascending, from +0, then + bias): the same
 * bits, with every weight decoded M / 64 times instead of M times. */
#define TB 64
#define TK 16
__global__ void __launch_bounds__(256) qcu_gemm_tiled_kernel(qcu_gemm g)
{
    __shared__ float As[TK][TB];
    __shared__ float Ws[TK][TB + 4];
    long long b = blockIdx.z;
    qcu_tensor t = batch_of(g.w, b, g.w_stride);
    long long lda = g.lda ? g.lda : g.K, ldy = g.ldy ? g.ldy : g.N;
    long long m0 = (long long)blockIdx.y * TB, n0 = (long long)blockIdx.x * TB;
    int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
    float acc[4][4];
#pragma unroll
    for (int i = 0; i < 4; i++)
#pragma unroll
        for (int j = 0; j < 4; j++)
            acc[i][j] = 0.0f;
    for (long long k0 = 0; k0 < g.K; k0 += TK) {
        for (int e = threadIdx.x; e < TB * TK; e += 256) {
            int kk = e % TK, rr = e / TK;
            long long m = m0 + rr, n = n0 + rr, k = k0 + kk;
            As[kk][rr] = (m < g.M && k < g.K) ? qcu_load_a(g.a, g.a_dtype, (b * g.M + m) * lda + k) : 0.0f;
            Ws[kk][rr] = (n < g.N && k < g.K) ? __double2float_rn(qcu_value(&t, n, k)) : 0.0f;
        }
        __syncthreads();
        int kmax = g.K - k0 < TK ? (int)(g.K - k0) : TK;
        for (int kk = 0; kk < kmax; kk++) {
            float a[4], w[4];
#pragma unroll
            for (int i = 0; i < 4; i++) {
                a[i] = As[kk][ty * 4 + i];
                w[i] = Ws[kk][tx * 4 + i];
            }
#pragma unroll
            for (int i = 0; i < 4; i++)
#pragma unroll
                for (int j = 0; j < 4; j++)
                    acc[i][j] = __fmaf_rn(a[i], w[j], acc[i][j]);
        }
        __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < 4; i++)
#pragma unroll
        for (int j = 0; j < 4; j++) {
            long long m = m0 + ty * 4 + i, n = n0 + tx * 4 + j;
            if (m < g.M && n < g.N) {
                float v = acc[i][j];
                if (g.bias)
                    v = __fadd_rn(v, g.bias[b * g.N + n]);
                qcu_store(g.y, g.out_dtype, (b * g.M + m) * ldy + n, v);
            }
        }
}

int qcu_launch_gemm_tiled(const qcu_gemm *g, char *why, size_t n)
{
    dim3 grid((unsigned)((g->N + TB - 1) / TB), (unsigned)((g->M + TB - 1) / TB), (unsigned)g->batch);
    qcu_gemm_tiled_kernel<<<grid, 256, 0, qcu_stream()>>>(*g);
    return qcu_fail(cudaGetLastError(), "launch of qcu_gemm_tiled_kernel", why, n);
}
