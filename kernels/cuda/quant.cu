/* QUANTIZE on the GPU: the status word zeroed, then one thread per group
 * (or GGUF block) running quant_rows.h's qcu_qz_group, which writes that
 * group's scale, zero point and code bytes of the serialized tensor. */
#include <cuda_runtime.h>

#include "kernels/cuda/cuda_api.h"
#include "kernels/cuda/cuda_internal.h"

__global__ void qcu_quantize_kernel(qcu_qz z)
{
    long long total = qcu_qz_groups(&z);
    for (long long g = (long long)blockIdx.x * blockDim.x + threadIdx.x; g < total;
         g += (long long)gridDim.x * blockDim.x)
        qcu_qz_group(&z, g);
}

extern "C" int qcu_launch_quantize(const qcu_qz *z, char *why, size_t n)
{
    if (qcu_fail(cudaMemsetAsync(z->status, 0, sizeof(unsigned), qcu_stream()), "zeroing the quantize status", why,
                 n))
        return -1;
    long long total = qcu_qz_groups(z), blocks = (total + 127) / 128;
    blocks = blocks < 1 ? 1 : blocks > 65535 * 8 ? 65535 * 8 : blocks;
    qcu_quantize_kernel<<<(unsigned)blocks, 128, 0, qcu_stream()>>>(*z);
    return qcu_fail(cudaGetLastError(), "launch of qcu_quantize_kernel", why, n);
}
