/* The tensor-core product of the quantized-activation GEMM (opt-in:
 * QCTS_CUDA_GEMM=tc; NOT YET RUN ON A GPU): int8 token activations times
 * symmetric INT4 (KMAJOR_U32, e.g. int4_sym_g128) or INT8 (BYTES, e.g.
 * int8_per_channel) group weights, by mma.sync m16n8k32 s8 x s8 -> s32.
 *
 * A block computes a 64 x 64 tile of Y with 4 warps (warp w: rows 16w ..
 * 16w + 15, eight n8 tiles); per step of 32 along K it stages the int8
 * activation codes and the weights unpacked to s8 in shared memory (rows
 * of 48 bytes: the fragment loads of a warp hit 32 distinct banks). The
 * int32 accumulators of a unit (a weight group, cut at 4096 as in
 * actq_rows.h) are exact; at the unit's end each is added into a float32
 * accumulator as fmaf((float)isum, s_w, acc), units in ascending order,
 * then times the row's activation scale, + bias: the operations and order
 * of qcu_aq_output's QCU_AQP_INT_GROUP path, so the outputs are the simple
 * kernel's bit for bit (and the verdict the reference's exact/bound).
 * The quantizer passes (actq.cu) run first, unchanged. Any M (rows past M
 * are zeros), so the qact suites (M <= 8) exercise it too. */
#include <cuda_runtime.h>

#include "kernels/cuda/cuda_api.h"
#include "kernels/cuda/cuda_internal.h"

#define TC_BM 64
#define TC_BN 64
#define TC_BK 32
#define TC_LD 48   /* bytes per staged row */

__global__ void __launch_bounds__(128) qcu_aq_tc_kernel(qcu_aq q)
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    __shared__ __align__(16) unsigned char As[TC_BM * TC_LD];
    __shared__ __align__(16) unsigned char Ws[TC_BN * TC_LD];
    const long long b = blockIdx.z, m0 = (long long)blockIdx.y * TC_BM, n0 = (long long)blockIdx.x * TC_BN;
    const qcu_tensor t = qcu_aq_batch_w(&q, b);
    const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32, g = lane / 4, tg = lane % 4;
    const long long glen = t.glen ? t.glen : q.K;
    int acc[8][4];
    float facc[8][4];
#pragma unroll
    for (int j = 0; j < 8; j++)
#pragma unroll
        for (int i = 0; i < 4; i++)
            acc[j][i] = 0, facc[j][i] = 0.0f;
    const int lr = tid / 2, half = tid % 2;   /* the staged row and half this thread loads */
    for (long long k0 = 0; k0 < q.K; k0 += TC_BK) {
        {   /* activations: 16 code bytes of row m0 + lr */
            long long m = m0 + lr;
            unsigned *dst = (unsigned *)(As + lr * TC_LD + half * 16);
            if (m < q.M) {
                const unsigned *src = (const unsigned *)(q.codes + (b * q.M + m) * q.K + k0 + half * 16);
                dst[0] = src[0], dst[1] = src[1], dst[2] = src[2], dst[3] = src[3];
            } else {
                dst[0] = dst[1] = dst[2] = dst[3] = 0u;
            }
        }
        {   /* weights of row n0 + lr, 16 values, as s8 */
            long long n = n0 + lr;
            unsigned *dst = (unsigned *)(Ws + lr * TC_LD + half * 16);
            if (n >= q.N) {
                dst[0] = dst[1] = dst[2] = dst[3] = 0u;
            } else if (t.bits == 8) {
                const unsigned *src = (const unsigned *)(t.codes + n * t.row_bytes + k0 + half * 16);
                dst[0] = src[0], dst[1] = src[1], dst[2] = src[2], dst[3] = src[3];
            } else {   /* INT4 two's complement nibbles, code i at bits 4i of the row */
                const unsigned *src = (const unsigned *)(t.codes + n * t.row_bytes + (k0 + half * 16) / 2);
#pragma unroll
                for (int w = 0; w < 2; w++) {
                    unsigned v = src[w], lo = 0u, hi = 0u;
#pragma unroll
                    for (int e = 0; e < 4; e++) {
                        unsigned a = (((v >> (4 * e)) & 15u) ^ 8u) - 8u, c = (((v >> (4 * e + 16)) & 15u) ^ 8u) - 8u;
                        lo |= (a & 255u) << (8 * e);
                        hi |= (c & 255u) << (8 * e);
                    }
                    dst[2 * w] = lo, dst[2 * w + 1] = hi;
                }
            }
        }
        __syncthreads();
        const unsigned char *ar = As + (warp * 16 + g) * TC_LD + tg * 4;
        unsigned a0 = *(const unsigned *)ar, a1 = *(const unsigned *)(ar + 8 * TC_LD);
        unsigned a2 = *(const unsigned *)(ar + 16), a3 = *(const unsigned *)(ar + 8 * TC_LD + 16);
#pragma unroll
        for (int j = 0; j < 8; j++) {
            const unsigned char *br = Ws + (j * 8 + g) * TC_LD + tg * 4;
            unsigned b0 = *(const unsigned *)br, b1 = *(const unsigned *)(br + 16);
            asm volatile("mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
                         "{%0,%1,%2,%3};\n"
                         : "+r"(acc[j][0]), "+r"(acc[j][1]), "+r"(acc[j][2]), "+r"(acc[j][3])
                         : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
        }
        __syncthreads();
        /* the end of a unit: the group's end, or 4096 into it */
        const long long g0 = (k0 / glen) * glen, kn = k0 + TC_BK;
        if (kn == g0 + glen || (kn - g0) % QCU_AQ_UNIT_MAX == 0) {
            const long long gcol = g0 / glen;
#pragma unroll
            for (int j = 0; j < 8; j++)
#pragma unroll
                for (int c = 0; c < 2; c++) {
                    long long n = n0 + j * 8 + tg * 2 + c;
                    float ws = n < q.N ? __double2float_rn(qcu_scale(&t, t.glen ? n * t.gpr + gcol : 0)) : 0.0f;
                    facc[j][c] = __fmaf_rn((float)acc[j][c], ws, facc[j][c]);
                    facc[j][c + 2] = __fmaf_rn((float)acc[j][c + 2], ws, facc[j][c + 2]);
                    acc[j][c] = acc[j][c + 2] = 0;
                }
        }
    }
    const long long ldy = q.ldy ? q.ldy : q.N;
#pragma unroll
    for (int h = 0; h < 2; h++) {
        long long m = m0 + warp * 16 + g + 8 * h;
        if (m >= q.M)
            continue;
        const long long r = b * q.M + m;
        const float sa = q.scales[r * q.nblk];
#pragma unroll
        for (int j = 0; j < 8; j++)
#pragma unroll
            for (int c = 0; c < 2; c++) {
                long long n = n0 + j * 8 + tg * 2 + c;
                if (n >= q.N)
                    continue;
                float v = __fmul_rn(facc[j][c + 2 * h], sa);
                if (q.bias)
                    v = __fadd_rn(v, q.bias[b * q.N + n]);
                qcu_st(q.out_dtype, q.y, r * ldy + n, v);
            }
    }
#endif
}

extern "C" int qcu_aq_tc_eligible(const qcu_aq *q)
{
    const qcu_tensor *t = &q->w;
    const long long glen = t->glen ? t->glen : q->K;
    return q->mode == QCTS_AQ_INT8_TOKEN && q->path == QCU_AQP_INT_GROUP && t->kind == QCU_GROUP && !t->asym &&
           ((t->bits == 8 && t->layout == QCU_L_BYTES) || (t->bits == 4 && t->layout == QCU_L_KMAJOR_U32)) &&
           q->K % TC_BK == 0 && glen % TC_BK == 0 && t->row_bytes % 16 == 0 && (q->batch == 1 || q->w_stride % 4 == 0) &&
           q->M <= 65535LL * TC_BM && q->batch <= 65535;
}

extern "C" int qcu_launch_aq_tc(const qcu_aq *q, char *why, size_t n)
{
    dim3 grid((unsigned)((q->N + TC_BN - 1) / TC_BN), (unsigned)((q->M + TC_BM - 1) / TC_BM), (unsigned)q->batch);
    qcu_aq_tc_kernel<<<grid, 128, 0, qcu_stream()>>>(*q);
    return qcu_fail(cudaGetLastError(), "launch of qcu_aq_tc_kernel", why, n);
}
