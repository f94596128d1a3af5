/* The quantized-activation GEMM (a_quant != NONE) on the GPU: four launches
 * on the one stream, each running a function of actq_rows.h (the code the
 * host plugin checks on the CPU) in one thread per item:
 *   row maxima (one thread per row of A), the FP8 tensor maximum (a separate
 *   reduction: one thread per batch, after every row is done), the
 *   quantizer (one thread per group: the row for token modes, a block of
 *   32 / 256 for GGUF), the product (one thread per output).
 * Simple and right first: no tiling, no tensor cores. Codes, scales and
 * maxima live in the call's scratch (prepare allocates it). */
#include <cuda_runtime.h>

#include "kernels/cuda/cuda_api.h"
#include "kernels/cuda/cuda_internal.h"

__global__ void qcu_aq_rowmax_kernel(qcu_aq q)
{
    for (long long r = (long long)blockIdx.x * blockDim.x + threadIdx.x; r < q.batch * q.M;
         r += (long long)gridDim.x * blockDim.x)
        qcu_aq_row_max(&q, r);
}

__global__ void qcu_aq_tensor_kernel(qcu_aq q)
{
    for (long long b = (long long)blockIdx.x * blockDim.x + threadIdx.x; b < q.batch;
         b += (long long)gridDim.x * blockDim.x)
        qcu_aq_tensor_max(&q, b);
}

__global__ void qcu_aq_quant_kernel(qcu_aq q)
{
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < q.batch * q.M * q.nblk;
         i += (long long)gridDim.x * blockDim.x)
        qcu_aq_quant_block(&q, i);
}

__global__ void qcu_aq_gemm_kernel(qcu_aq q)
{
    for (long long o = (long long)blockIdx.x * blockDim.x + threadIdx.x; o < q.batch * q.M * q.N;
         o += (long long)gridDim.x * blockDim.x)
        qcu_aq_output(&q, o);
}

static unsigned blocks_for(long long items, int threads)
{
    long long b = (items + threads - 1) / threads;
    return (unsigned)(b < 1 ? 1 : b > 65535 * 8 ? 65535 * 8 : b);
}

extern "C" int qcu_launch_aq_gemm(const qcu_aq *q, char *why, size_t n)
{
    const int T = 128;
    const long long rows = q->batch * q->M;
    qcu_aq_rowmax_kernel<<<blocks_for(rows, T), T, 0, qcu_stream()>>>(*q);
    if (qcu_fail(cudaGetLastError(), "launch of qcu_aq_rowmax_kernel", why, n))
        return -1;
    if (q->mode == QCTS_AQ_FP8_E4M3_TENSOR) {
        qcu_aq_tensor_kernel<<<blocks_for(q->batch, T), T, 0, qcu_stream()>>>(*q);
        if (qcu_fail(cudaGetLastError(), "launch of qcu_aq_tensor_kernel", why, n))
            return -1;
    }
    qcu_aq_quant_kernel<<<blocks_for(rows * q->nblk, T), T, 0, qcu_stream()>>>(*q);
    if (qcu_fail(cudaGetLastError(), "launch of qcu_aq_quant_kernel", why, n))
        return -1;
    if (q->tc)
        return qcu_launch_aq_tc(q, why, n);
    qcu_aq_gemm_kernel<<<blocks_for(rows * q->N, T), T, 0, qcu_stream()>>>(*q);
    return qcu_fail(cudaGetLastError(), "launch of qcu_aq_gemm_kernel", why, n);
}
