/* Shared by the .cu files only. */
#ifndef QCTS_KERNELS_CUDA_INTERNAL_H
#define QCTS_KERNELS_CUDA_INTERNAL_H

#include <cuda_runtime.h>
#include <stddef.h>

#include "kernels/cuda/qcu.h"

cudaStream_t qcu_stream(void);
/* 0 when e is cudaSuccess, else -1 with "cuda: what: error" in why. */
int qcu_fail(cudaError_t e, const char *what, char *why, size_t n);

/* Output element i of dtype (0 f32, 1 f16, 2 bf16) from a float32 value. */
__device__ __forceinline__ void qcu_store(void *y, int dtype, long long i, float v)
{
    if (dtype == 0)
        ((float *)y)[i] = v;
    else if (dtype == 1)
        ((unsigned short *)y)[i] = __half_as_ushort(__float2half_rn(v));
    else
        ((unsigned short *)y)[i] = qcu_f32_to_bf16(v);
}

__device__ __forceinline__ float qcu_load_a(const void *a, int dtype, long long i)
{
    if (dtype == 0)
        return ((const float *)a)[i];
    unsigned short h = ((const unsigned short *)a)[i];
    if (dtype == 1)
        return __half2float(__ushort_as_half(h));
    return __uint_as_float((unsigned)h << 16);
}

#endif
