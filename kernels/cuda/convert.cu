/* CONVERT through the CUDA conversion intrinsics themselves (cuda_fp8.h,
 * cuda_fp6.h, cuda_fp4.h, cuda_fp16.h, cuda_bf16.h), run on the GPU: the
 * conventions `cuda_satfinite` and `cuda_nosat` of ref/ are a model of
 * exactly these functions, written from the CUDA headers, so this checks
 * the model against the hardware. Formats: e4m3, e5m2, e2m1, e2m3, e3m2,
 * e8m0, f16, bf16; other formats and conventions are not CUDA's
 * (UNSUPPORTED). The status bytes are 0: for these formats every input,
 * NaN included, has a code under the CUDA conventions (ref/README.md). */
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp4.h>
#include <cuda_fp6.h>
#include <cuda_fp8.h>
#include <cuda_runtime.h>
#include <stdio.h>

#include "kernels/cuda/cuda_api.h"
#include "kernels/cuda/cuda_internal.h"

/* qref_fmt, qref_conv, qref_mode values (qref/fmt.h) */
enum { F_F16 = 1, F_BF16 = 2, F_E4M3 = 3, F_E5M2 = 4, F_E2M1 = 5, F_E2M3 = 6, F_E3M2 = 7, F_E8M0 = 8 };
enum { C_SATFINITE = 3, C_NOSAT = 4 };
enum { M_DEFAULT = 0, M_SAT = 1, M_NOSAT = 2 };

static __device__ unsigned encode1(int fmt, int sat, float x)
{
    __nv_saturation_t s = sat ? __NV_SATFINITE : __NV_NOSAT;
    switch (fmt) {
    case F_E4M3: return __nv_cvt_float_to_fp8(x, s, __NV_E4M3);
    case F_E5M2: return __nv_cvt_float_to_fp8(x, s, __NV_E5M2);
    case F_E2M1: return __nv_cvt_float_to_fp4(x, __NV_E2M1, cudaRoundNearest);
    case F_E2M3: return __nv_cvt_float_to_fp6(x, __NV_E2M3, cudaRoundNearest);
    case F_E3M2: return __nv_cvt_float_to_fp6(x, __NV_E3M2, cudaRoundNearest);
    case F_E8M0: return __nv_cvt_float_to_e8m0(x, s, cudaRoundPosInf);
    case F_F16: return __half_as_ushort(__float2half_rn(x));
    default: return __bfloat16_as_ushort(__float2bfloat16_rn(x));
    }
}

static __device__ float decode1(int fmt, unsigned c)
{
    __half_raw h;
    switch (fmt) {
    case F_E4M3: h = __nv_cvt_fp8_to_halfraw((__nv_fp8_storage_t)c, __NV_E4M3); return __half2float(__half(h));
    case F_E5M2: h = __nv_cvt_fp8_to_halfraw((__nv_fp8_storage_t)c, __NV_E5M2); return __half2float(__half(h));
    case F_E2M1: h = __nv_cvt_fp4_to_halfraw((__nv_fp4_storage_t)c, __NV_E2M1); return __half2float(__half(h));
    case F_E2M3: h = __nv_cvt_fp6_to_halfraw((__nv_fp6_storage_t)c, __NV_E2M3); return __half2float(__half(h));
    case F_E3M2: h = __nv_cvt_fp6_to_halfraw((__nv_fp6_storage_t)c, __NV_E3M2); return __half2float(__half(h));
    case F_E8M0: {
        __nv_bfloat16_raw b = __nv_cvt_e8m0_to_bf16raw((__nv_fp8_storage_t)c);
        return __uint_as_float((unsigned)b.x << 16);
    }
    case F_F16: return __half2float(__ushort_as_half((unsigned short)c));
    default: return __uint_as_float(c << 16);
    }
}

__global__ void qcu_convert_kernel(int fmt, int sat, int decode, long long n, const void *in, void *out,
                                   unsigned char *status)
{
    int wide = fmt == F_F16 || fmt == F_BF16;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        if (decode) {
            unsigned c = wide ? ((const unsigned short *)in)[i] : ((const unsigned char *)in)[i];
            ((float *)out)[i] = decode1(fmt, c);
        } else {
            unsigned c = encode1(fmt, sat, ((const float *)in)[i]);
            if (wide)
                ((unsigned short *)out)[i] = (unsigned short)c;
            else
                ((unsigned char *)out)[i] = (unsigned char)c;
            if (status)
                status[i] = 0;
        }
    }
}

extern "C" int qcu_convert_supported(int fmt, int conv, int mode, char *why, size_t n)
{
    if (conv != C_SATFINITE && conv != C_NOSAT) {
        snprintf(why, n, "cuda: convert runs the CUDA intrinsics, which are the conventions cuda_satfinite and "
                         "cuda_nosat only");
        return 0;
    }
    if (fmt < F_F16 || fmt > F_E8M0) {
        snprintf(why, n, "cuda: convert covers e4m3, e5m2, e2m1, e2m3, e3m2, e8m0, f16 and bf16 (CUDA has no "
                         "intrinsic for this format)");
        return 0;
    }
    int fixed = conv == C_SATFINITE ? M_SAT : M_NOSAT;
    if (mode != M_DEFAULT && mode != fixed) {
        snprintf(why, n, "cuda: the convention fixes the mode (%s)", conv == C_SATFINITE ? "sat" : "nosat");
        return 0;
    }
    return 1;
}

extern "C" int qcu_launch_convert(int fmt, int conv, int mode, int decode, int64_t count, const void *in, void *out,
                                  void *status, char *why, size_t wn)
{
    (void)mode;
    long long blocks = (count + 255) / 256;
    if (blocks > 65535)
        blocks = 65535;
    if (blocks < 1)
        blocks = 1;
    qcu_convert_kernel<<<(unsigned)blocks, 256, 0, qcu_stream()>>>(fmt, conv == C_SATFINITE, decode, count, in, out,
                                                                  (unsigned char *)status);
    return qcu_fail(cudaGetLastError(), "launch of qcu_convert_kernel", why, wn);
}
