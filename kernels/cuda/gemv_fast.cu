/* Fast GEMV (M = 1, float32 activations) for the formats the bench goals
 * name, and the kernel choice for every GEMM (qcu_gemm_plan).
 *
 * Weight-only: Hopper has no FP4 tensor-core instruction and these kernels
 * use none: codes are decoded in registers (E2M1 and E4M3 by placing the
 * code bits in a float32 and one exact power-of-two multiply; INT4 by the
 * 2^23 magic number) and multiplied with FP32 FMA.
 *
 * Layout of the work (v1, the default, checked and measured on an H100):
 * a block of 256 threads owns ROWS = 4 consecutive rows and the whole of
 * K; thread t takes units t, t + 256, ... of a row (a unit: 16 weights = 8
 * bytes of 4-bit codes or 16 bytes of FP8; a Q4_0 block of 32) and loads
 * the unit of all ROWS rows before using them, then reuses each activation
 * for the ROWS rows. A row's sum is the threads' sums reduced in a fixed
 * tree (warp shuffles, then the warps in order): the order depends on
 * (K, kernel) only.
 * v2 (QCTS_CUDA_GEMV=2; NOT YET RUN ON A GPU: check it with make test-cuda
 * before trusting it): 128 threads, 16-byte units (32 4-bit weights), and
 * the next unit's codes loaded before the current one is used. v1 reached
 * ~1 TB/s of 4-bit weights but 2.2 TB/s of FP8 weights, the same weights
 * per second with twice the bytes per load: a sign that v1 is bound by the
 * bytes each thread has in flight (8 bytes per row), which v2 quadruples.
 *
 * Numerics (qref_gemm's bound, K' = K + has_bias + 2):
 *   fp4 (f16 scale), mxfp4: w = code value x scale is exact in float32;
 *     acc = fma(a, w, acc).
 *   fp8_e4m3_per_channel: w = RN(code value x scale) (the float32
 *     dequantized weight), acc = fma(a, w, acc).
 *   int4_sym, gguf_q4_0 (integer codes): p = sum over the unit of
 *     fma(a, q, p), then acc = fma(p, scale, acc), as ggml and the simd
 *     backend do: a term sees <= K + 1 roundings. */
#include <cuda_runtime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/cuda/cuda_api.h"
#include "kernels/cuda/cuda_internal.h"

enum { F_NONE = 0, F_FP4_F16, F_INT4_F16, F_MXFP4, F_Q4_0, F_FP8_ROW, F_TILED };
#define ROWS 4
#define THREADS(V) ((V) == 1 ? 256 : 128)

int qcu_launch_gemm_generic(const qcu_gemm *g, char *why, size_t n);
int qcu_launch_gemm_tiled(const qcu_gemm *g, char *why, size_t n);


/* Weights per unit. */
template <int F, int V> struct unit_w { enum { W = F == F_Q4_0 ? 32 : F == F_FP8_ROW ? 16 : V == 1 ? 16 : 32 }; };

/* Raw code bytes of a unit. */
struct codes16 {
    uint4 v;                   /* 16 bytes: 16 FP8 codes or 32 4-bit codes */
    unsigned short q[9];       /* Q4_0 block */
};

/* The u32 word of a 16-byte unit holding 4-bit code j (8 codes a word). */
static __device__ __forceinline__ unsigned word4(const uint4 &v, int j)
{
    return j < 8 ? v.x : j < 16 ? v.y : j < 24 ? v.z : v.w;
}

template <int F, int V>
static __device__ __forceinline__ void load_unit(const qcu_tensor &t, long long r, long long u, codes16 &c)
{
    const unsigned char *row = t.codes + r * t.row_bytes;
    if (F == F_FP8_ROW) {
        c.v = __ldg((const uint4 *)(row + u * 16));
    } else if (F == F_Q4_0) {
        const unsigned short *p = (const unsigned short *)(row + u * 18);
#pragma unroll
        for (int i = 0; i < 9; i++)
            c.q[i] = __ldg(p + i);
    } else if (V == 1) {
        uint2 x = __ldg((const uint2 *)(row + u * 8));
        c.v.x = x.x;
        c.v.y = x.y;
    } else {
        c.v = __ldg((const uint4 *)(row + u * 16));
    }
}

/* Adds the unit's products to acc. a: the 16 or 32 activations of the unit. */
template <int F, int V>
static __device__ __forceinline__ float unit_dot(const qcu_tensor &t, long long r, long long u, const codes16 &c,
                                                 const float *a, float acc)
{
    const int W = unit_w<F, V>::W;
    if (F == F_FP4_F16) {
        long long gi = r * t.gpr + (u * W) / t.glen;
        float s = __half2float(__ushort_as_half(__ldg((const unsigned short *)t.scales + gi)));
        int small = qcu_fp4_small(s);
        float S = qcu_fp4_S(s, small);
        if (small) {
#pragma unroll
            for (int j = 0; j < W; j++)
                acc = __fmaf_rn(a[j], qcu_fp4_w_small(word4(c.v, j) >> (4 * (j & 7)), S), acc);
        } else {
#pragma unroll
            for (int j = 0; j < W; j++)
                acc = __fmaf_rn(a[j], qcu_fp4_w_large(word4(c.v, j) >> (4 * (j & 7)), S), acc);
        }
        return acc;
    } else if (F == F_MXFP4) {
        unsigned e = t.scales[r * t.gpr + (u * W) / 32];   /* a unit lies inside one MX block of 32 */
        int small = qcu_mx_small(e);
        float S = qcu_mx_S(e, small);
        if (small) {
#pragma unroll
            for (int j = 0; j < W; j++)
                acc = __fmaf_rn(a[j], qcu_mx_w_small(word4(c.v, j) >> (4 * (j & 7)), S), acc);
        } else {
#pragma unroll
            for (int j = 0; j < W; j++)
                acc = __fmaf_rn(a[j], qcu_mx_w_large(word4(c.v, j) >> (4 * (j & 7)), S), acc);
        }
        return acc;
    } else if (F == F_INT4_F16) {
        long long gi = r * t.gpr + (u * W) / t.glen;
        float s = __half2float(__ushort_as_half(__ldg((const unsigned short *)t.scales + gi)));
        float p = 0.0f;
#pragma unroll
        for (int j = 0; j < W; j++)
            p = __fmaf_rn(a[j], qcu_int4_q(word4(c.v, j) >> (4 * (j & 7))), p);
        return __fmaf_rn(p, s, acc);
    } else if (F == F_Q4_0) {
        float d = __half2float(__ushort_as_half(c.q[0]));
        float p = 0.0f;
#pragma unroll
        for (int j = 0; j < 32; j++) {
            int i = j & 15;
            unsigned byte = (c.q[1 + i / 2] >> (8 * (i & 1))) & 0xFFu;
            p = __fmaf_rn(a[j], qcu_u4m8_q(j < 16 ? byte : byte >> 4), p);
        }
        return __fmaf_rn(p, d, acc);
    } else {   /* F_FP8_ROW */
        const unsigned char *sp = t.scales + 4 * r;
        float s = __uint_as_float((unsigned)sp[0] | ((unsigned)sp[1] << 8) | ((unsigned)sp[2] << 16) |
                                  ((unsigned)sp[3] << 24));
        unsigned words[4] = { c.v.x, c.v.y, c.v.z, c.v.w };
        int small = qcu_fp8_small(s);
        float S = qcu_fp8_S(s, small);
        if (small) {
#pragma unroll
            for (int j = 0; j < 16; j++)
                acc = __fmaf_rn(a[j], qcu_fp8_w_small((words[j / 4] >> (8 * (j & 3))) & 0xFFu, S), acc);
        } else {
#pragma unroll
            for (int j = 0; j < 16; j++)
                acc = __fmaf_rn(a[j], qcu_fp8_w_large((words[j / 4] >> (8 * (j & 3))) & 0xFFu, S), acc);
        }
        return acc;
    }
}

template <int F, int V>
__global__ void __launch_bounds__(THREADS(V)) qcu_gemv_kernel(qcu_gemm g)
{
    const int W = unit_w<F, V>::W, T = THREADS(V);
    long long b = blockIdx.y;
    qcu_tensor t = g.w;
    if (b) {
        long long off = b * g.w_stride;
        t.codes += off;
        t.scales += off;
    }
    const float *a = (const float *)g.a + b * (g.lda ? g.lda : g.K);
    long long row0 = (long long)blockIdx.x * ROWS;
    long long units = g.K / W;
    float acc[ROWS];
#pragma unroll
    for (int i = 0; i < ROWS; i++)
        acc[i] = 0.0f;
    codes16 c[ROWS], nx[ROWS];
    long long u = threadIdx.x;
    if (V == 2 && u < units) {
#pragma unroll
        for (int i = 0; i < ROWS; i++)
            if (row0 + i < g.N)
                load_unit<F, V>(t, row0 + i, u, c[i]);
    }
    for (; u < units; u += T) {
        if (V == 1) {
#pragma unroll
            for (int i = 0; i < ROWS; i++)
                if (row0 + i < g.N)
                    load_unit<F, V>(t, row0 + i, u, c[i]);
        } else if (u + T < units) {   /* v2: the next unit's codes before this one is used */
#pragma unroll
            for (int i = 0; i < ROWS; i++)
                if (row0 + i < g.N)
                    load_unit<F, V>(t, row0 + i, u + T, nx[i]);
        }
        float av[W];
        const float4 *a4 = (const float4 *)(a + u * W);
#pragma unroll
        for (int j = 0; j < W / 4; j++) {
            float4 v = __ldg(a4 + j);
            av[4 * j] = v.x;
            av[4 * j + 1] = v.y;
            av[4 * j + 2] = v.z;
            av[4 * j + 3] = v.w;
        }
#pragma unroll
        for (int i = 0; i < ROWS; i++)
            if (row0 + i < g.N)
                acc[i] = unit_dot<F, V>(t, row0 + i, u, c[i], av, acc[i]);
        if (V == 2) {
#pragma unroll
            for (int i = 0; i < ROWS; i++)
                c[i] = nx[i];
        }
    }
    __shared__ float part[THREADS(V) / 32][ROWS];
#pragma unroll
    for (int i = 0; i < ROWS; i++) {
        float v = acc[i];
#pragma unroll
        for (int o = 16; o > 0; o >>= 1)
            v = __fadd_rn(v, __shfl_xor_sync(0xFFFFFFFFu, v, o));
        if ((threadIdx.x & 31) == 0)
            part[threadIdx.x / 32][i] = v;
    }
    __syncthreads();
    if (threadIdx.x < ROWS && row0 + threadIdx.x < g.N) {
        int i = threadIdx.x;
        float v = part[0][i];
        for (int w = 1; w < T / 32; w++)
            v = __fadd_rn(v, part[w][i]);
        long long n = row0 + i;
        if (g.bias)
            v = __fadd_rn(v, g.bias[b * g.N + n]);
        qcu_store(g.y, g.out_dtype, b * (g.ldy ? g.ldy : g.N) + n, v);
    }
}

/* ---- v3: warps own rows, lanes split K, several 16-byte loads in flight ----
 * A group of S warps (S = 1, 2 or 4 of the block's 4) owns R consecutive
 * rows; thread j (0 .. 32S-1) of the group takes units j, j + 32S, ... of
 * each row (a unit: 16 bytes of codes; Q4_0: two blocks, 36 bytes, nine
 * 4-byte loads) and loads U units of all R rows (R x U loads) before it
 * uses any. A row's sum: each thread's units in ascending order, then the
 * warp's xor tree, then the S warps in order: fixed by (K, R, U, S), not by
 * the grid. */
template <int F> struct v3_unit { enum { W = F == F_Q4_0 ? 64 : F == F_FP8_ROW ? 16 : 32 }; };
struct codes36 { unsigned w[9]; };
template <int F> struct v3_codes { typedef uint4 T; };
template <> struct v3_codes<F_Q4_0> { typedef codes36 T; };

template <int F>
static __device__ __forceinline__ void v3_load(const unsigned char *row, long long u, typename v3_codes<F>::T &c);
template <> __device__ __forceinline__ void v3_load<F_FP4_F16>(const unsigned char *row, long long u, uint4 &c) { c = __ldg((const uint4 *)(row + u * 16)); }
template <> __device__ __forceinline__ void v3_load<F_INT4_F16>(const unsigned char *row, long long u, uint4 &c) { c = __ldg((const uint4 *)(row + u * 16)); }
template <> __device__ __forceinline__ void v3_load<F_MXFP4>(const unsigned char *row, long long u, uint4 &c) { c = __ldg((const uint4 *)(row + u * 16)); }
template <> __device__ __forceinline__ void v3_load<F_FP8_ROW>(const unsigned char *row, long long u, uint4 &c) { c = __ldg((const uint4 *)(row + u * 16)); }
template <> __device__ __forceinline__ void v3_load<F_Q4_0>(const unsigned char *row, long long u, codes36 &c)
{
    const unsigned *p = (const unsigned *)(row + u * 36);
#pragma unroll
    for (int i = 0; i < 9; i++)
        c.w[i] = __ldg(p + i);
}

/* One Q4_0 block: d (f16 bits) and its 16 code bytes as 4 words; the sum
 * as v1: p = sum_j fma(a[j], q_j, p), j = 0..31 (low nibbles, then high),
 * acc = fma(p, d, acc). */
static __device__ __forceinline__ float v3_q4_0_block(unsigned d, const unsigned *q, const float *a, float acc)
{
    float p = 0.0f;
#pragma unroll
    for (int j = 0; j < 32; j++) {
        int i = j & 15;
        unsigned byte = (q[i / 4] >> (8 * (i & 3))) & 0xFFu;
        p = __fmaf_rn(a[j], qcu_u4m8_q(j < 16 ? byte : byte >> 4), p);
    }
    return __fmaf_rn(p, __half2float(__ushort_as_half((unsigned short)d)), acc);
}

template <int F>
static __device__ __forceinline__ float v3_dot(const qcu_tensor &t, long long r, long long u,
                                               const typename v3_codes<F>::T &c, const float *a, float acc);
#define V3_DOT16(FF)                                                                                      \
    template <> __device__ __forceinline__ float v3_dot<FF>(const qcu_tensor &t, long long r, long long u, \
                                                           const uint4 &c, const float *a, float acc)       \
    {                                                                                                     \
        codes16 cc;                                                                                       \
        cc.v = c;                                                                                         \
        return unit_dot<FF, 2>(t, r, u, cc, a, acc);                                                      \
    }
V3_DOT16(F_FP4_F16)
V3_DOT16(F_INT4_F16)
V3_DOT16(F_MXFP4)
V3_DOT16(F_FP8_ROW)
template <> __device__ __forceinline__ float v3_dot<F_Q4_0>(const qcu_tensor &t, long long r, long long u,
                                                          const codes36 &c, const float *a, float acc)
{
    (void)t, (void)r, (void)u;
    unsigned q0[4], q1[4] = { c.w[5], c.w[6], c.w[7], c.w[8] };
#pragma unroll
    for (int i = 0; i < 4; i++)
        q0[i] = __funnelshift_r(c.w[i], c.w[i + 1], 16);   /* bytes 2..17 */
    acc = v3_q4_0_block(c.w[0] & 0xFFFFu, q0, a, acc);
    return v3_q4_0_block(c.w[4] >> 16, q1, a + 32, acc);
}

template <int F, int R, int U, int S>
__global__ void __launch_bounds__(128) qcu_gemv3_kernel(qcu_gemm g)
{
    const int W = v3_unit<F>::W, G = 4 / S;   /* row groups per block */
    long long b = blockIdx.y;
    qcu_tensor t = g.w;
    if (b) {
        long long off = b * g.w_stride;
        t.codes += off;
        t.scales += off;
    }
    const float *a = (const float *)g.a + b * (g.lda ? g.lda : g.K);
    int warp = threadIdx.x / 32, lane = threadIdx.x & 31;
    int grp = warp / S, j = (warp % S) * 32 + lane;
    long long row0 = ((long long)blockIdx.x * G + grp) * R;
    long long units = g.K / W;
    float acc[R];
#pragma unroll
    for (int i = 0; i < R; i++)
        acc[i] = 0.0f;
    typename v3_codes<F>::T c[U][R];
    for (long long u0 = j; u0 < units; u0 += 32LL * S * U) {
#pragma unroll
        for (int x = 0; x < U; x++)
#pragma unroll
            for (int i = 0; i < R; i++)
                if (u0 + 32LL * S * x < units && row0 + i < g.N)
                    v3_load<F>(t.codes + (row0 + i) * t.row_bytes, u0 + 32LL * S * x, c[x][i]);
#pragma unroll
        for (int x = 0; x < U; x++) {
            long long u = u0 + 32LL * S * x;
            if (u < units) {
                float av[W];
                const float4 *a4 = (const float4 *)(a + u * W);
#pragma unroll
                for (int q = 0; q < W / 4; q++) {
                    float4 v = __ldg(a4 + q);
                    av[4 * q] = v.x;
                    av[4 * q + 1] = v.y;
                    av[4 * q + 2] = v.z;
                    av[4 * q + 3] = v.w;
                }
#pragma unroll
                for (int i = 0; i < R; i++)
                    if (row0 + i < g.N)
                        acc[i] = v3_dot<F>(t, row0 + i, u, c[x][i], av, acc[i]);
            }
        }
    }
#pragma unroll
    for (int i = 0; i < R; i++)
#pragma unroll
        for (int o = 16; o > 0; o >>= 1)
            acc[i] = __fadd_rn(acc[i], __shfl_xor_sync(0xFFFFFFFFu, acc[i], o));
    if (S > 1) {
        __shared__ float part[4][R];
        if (lane == 0)
#pragma unroll
            for (int i = 0; i < R; i++)
                part[warp][i] = acc[i];
        __syncthreads();
        if (warp % S == 0 && lane < R) {
            float v = part[warp][lane];
            for (int w = 1; w < S; w++)
                v = __fadd_rn(v, part[warp + w][lane]);
            acc[0] = v;
        }
    } else if (lane < R) {
        float v = acc[0];
#pragma unroll
        for (int i = 1; i < R; i++)
            if (lane == i)
                v = acc[i];
        acc[0] = v;
    }
    long long n = row0 + lane;
    if (warp % S == 0 && lane < R && n < g.N) {
        float v = acc[0];
        if (g.bias)
            v = __fadd_rn(v, g.bias[b * g.N + n]);
        qcu_store(g.y, g.out_dtype, b * (g.ldy ? g.ldy : g.N) + n, v);
    }
}

/* The v3 configurations built: (R, U, S). QCTS_CUDA_GEMV=3 takes the
 * first; qcu_launch_gemv_cfg (the sweep tool) any. */
#define V3_CFGS(X) X(4, 4, 1) X(4, 2, 1) X(2, 4, 1) X(8, 2, 1) X(4, 2, 4) X(8, 1, 4) X(2, 2, 1) X(1, 4, 1)
static const int v3_cfgs[][3] = {
#define X(R, U, S) { R, U, S },
    V3_CFGS(X)
#undef X
};
enum { V3_NCFG = sizeof v3_cfgs / sizeof v3_cfgs[0] };

template <int F>
static int v3_launch(const qcu_gemm *g, int cfg, char *why, size_t n)
{
    int k = 0;
#define X(R, U, S)                                                                                             \
    if (k++ == cfg) {                                                                                          \
        dim3 grid((unsigned)((g->N + R * (4 / S) - 1) / (R * (4 / S))), (unsigned)g->batch);                   \
        qcu_gemv3_kernel<F, R, U, S><<<grid, 128, 0, qcu_stream()>>>(*g);                                       \
        return qcu_fail(cudaGetLastError(), "launch of qcu_gemv3_kernel", why, n);                             \
    }
    V3_CFGS(X)
#undef X
    snprintf(why, n, "cuda: no v3 GEMV configuration %d", cfg);
    return -1;
}

static int v3_dispatch(const qcu_gemm *g, int f, int cfg, char *why, size_t n)
{
    switch (f) {
    case F_FP4_F16: return v3_launch<F_FP4_F16>(g, cfg, why, n);
    case F_INT4_F16: return v3_launch<F_INT4_F16>(g, cfg, why, n);
    case F_MXFP4: return v3_launch<F_MXFP4>(g, cfg, why, n);
    case F_Q4_0: return v3_launch<F_Q4_0>(g, cfg, why, n);
    case F_FP8_ROW: return v3_launch<F_FP8_ROW>(g, cfg, why, n);
    }
    snprintf(why, n, "cuda: no v3 GEMV for kind %d", f);
    return -1;
}

/* The fast kernel for a scheme, if any. */
static int fast_kind(const char *scheme)
{
    if (!strcmp(scheme, "fp4_g128_f16") || !strcmp(scheme, "fp4_g32_f16"))
        return F_FP4_F16;
    if (!strcmp(scheme, "int4_sym_g128"))
        return F_INT4_F16;
    if (!strcmp(scheme, "mxfp4"))
        return F_MXFP4;
    if (!strcmp(scheme, "gguf_q4_0"))
        return F_Q4_0;
    if (!strcmp(scheme, "fp8_e4m3_per_channel"))
        return F_FP8_ROW;
    return F_NONE;
}

/* QCTS_CUDA_GEMV=2 or 3 selects the v2 or v3 GEMV kernels (see above);
 * QCTS_CUDA_GEMV_CFG=i v3's configuration i (default 0). */
static int gemv_version(void)
{
    const char *v = getenv("QCTS_CUDA_GEMV");
    return v && strcmp(v, "2") == 0 ? 2 : v && strcmp(v, "3") == 0 ? 3 : 1;
}

static int gemv_cfg(void)
{
    const char *v = getenv("QCTS_CUDA_GEMV_CFG");
    int c = v ? atoi(v) : 0;
    return c >= 0 && c < V3_NCFG ? c : 0;
}

extern "C" const char *qcu_gemm_plan(qcu_gemm *g, const char *scheme)
{
    static const char *names[3][7] = {
        { "qcu_gemm_generic (weights decoded per output, fp32 FMA)",
          "qcu_gemv_fp4_f16 (weight-only: E2M1 decoded in registers, fp32 FMA)",
          "qcu_gemv_int4_f16 (weight-only, fp32 FMA)",
          "qcu_gemv_mxfp4 (weight-only: E2M1 decoded in registers, fp32 FMA)",
          "qcu_gemv_q4_0 (weight-only, fp32 FMA)",
          "qcu_gemv_fp8_e4m3_row (weight-only: E4M3 decoded in registers, fp32 FMA)",
          "qcu_gemm_tiled (64x64 tiles, weights decoded once per tile into shared memory, fp32 FMA)" },
        { "qcu_gemm_generic (weights decoded per output, fp32 FMA)",
          "qcu_gemv_fp4_f16_v2 (weight-only: E2M1 decoded in registers, fp32 FMA; pipelined)",
          "qcu_gemv_int4_f16_v2 (weight-only, fp32 FMA; pipelined)",
          "qcu_gemv_mxfp4_v2 (weight-only: E2M1 decoded in registers, fp32 FMA; pipelined)",
          "qcu_gemv_q4_0_v2 (weight-only, fp32 FMA; pipelined)",
          "qcu_gemv_fp8_e4m3_row_v2 (weight-only: E4M3 decoded in registers, fp32 FMA; pipelined)",
          "qcu_gemm_tiled (64x64 tiles, weights decoded once per tile into shared memory, fp32 FMA)" },
        { "qcu_gemm_generic (weights decoded per output, fp32 FMA)",
          "qcu_gemv3_fp4_f16 (weight-only: E2M1 decoded in registers, fp32 FMA; rows per warp, 16-byte loads)",
          "qcu_gemv3_int4_f16 (weight-only, fp32 FMA; rows per warp, 16-byte loads)",
          "qcu_gemv3_mxfp4 (weight-only: E2M1 decoded in registers, fp32 FMA; rows per warp, 16-byte loads)",
          "qcu_gemv3_q4_0 (weight-only, fp32 FMA; rows per warp)",
          "qcu_gemv3_fp8_e4m3_row (weight-only: E4M3 decoded in registers, fp32 FMA; rows per warp, 16-byte loads)",
          "qcu_gemm_tiled (64x64 tiles, weights decoded once per tile into shared memory, fp32 FMA)" },
    };
    int f = fast_kind(scheme), v = gemv_version();
    int W = v == 3 ? (f == F_Q4_0 ? 64 : f == F_FP8_ROW ? 16 : 32)
                   : f == F_FP8_ROW || (v == 1 && f != F_Q4_0) ? 16 : 32;
    /* M = 1, float32 activations, K a whole number of units (always true for
     * these presets' shapes), 16-byte aligned activation rows and tensors */
    if (f != F_NONE && (g->M != 1 || g->a_dtype != 0 || g->K % W != 0 ||
                        (g->batch > 1 && ((g->lda ? g->lda : g->K) % 4 != 0 || g->w_stride % 16 != 0))))
        f = F_NONE;
    if (f == F_NONE && g->M > 1)
        f = F_TILED;
    g->fast = f + (f != F_NONE && f != F_TILED && v > 1 ? 100 * (v - 1) : 0);
    g->cfg = v == 3 ? gemv_cfg() : 0;
    return names[v - 1][f];
}

/* The sweep tool's entry: kind f (F_*), version 1, 2 or 3 (v3: cfg). */
extern "C" int qcu_launch_gemv_variant(const qcu_gemm *g, int f, int v, int cfg, char *why, size_t n)
{
    qcu_gemm h = *g;
    h.fast = f + 100 * (v - 1);
    h.cfg = cfg;
    return qcu_launch_gemm(&h, why, n);
}

extern "C" int qcu_gemv_nconfigs(int *r, int *u, int *s, int max)
{
    for (int i = 0; i < V3_NCFG && i < max; i++)
        r[i] = v3_cfgs[i][0], u[i] = v3_cfgs[i][1], s[i] = v3_cfgs[i][2];
    return V3_NCFG;
}

#define LAUNCH(F, V) qcu_gemv_kernel<F, V><<<grid, THREADS(V), 0, qcu_stream()>>>(*g)

extern "C" int qcu_launch_gemm(const qcu_gemm *g, char *why, size_t n)
{
    if (g->fast == F_NONE)
        return qcu_launch_gemm_generic(g, why, n);
    if (g->fast == F_TILED)
        return qcu_launch_gemm_tiled(g, why, n);
    if (g->fast > 200)
        return v3_dispatch(g, g->fast - 200, g->cfg, why, n);
    dim3 grid((unsigned)((g->N + ROWS - 1) / ROWS), (unsigned)g->batch);
    switch (g->fast) {
    case F_FP4_F16: LAUNCH(F_FP4_F16, 1); break;
    case F_INT4_F16: LAUNCH(F_INT4_F16, 1); break;
    case F_MXFP4: LAUNCH(F_MXFP4, 1); break;
    case F_Q4_0: LAUNCH(F_Q4_0, 1); break;
    case F_FP8_ROW: LAUNCH(F_FP8_ROW, 1); break;
    case 100 + F_FP4_F16: LAUNCH(F_FP4_F16, 2); break;
    case 100 + F_INT4_F16: LAUNCH(F_INT4_F16, 2); break;
    case 100 + F_MXFP4: LAUNCH(F_MXFP4, 2); break;
    case 100 + F_Q4_0: LAUNCH(F_Q4_0, 2); break;
    case 100 + F_FP8_ROW: LAUNCH(F_FP8_ROW, 2); break;
    }
    return qcu_fail(cudaGetLastError(), "launch of qcu_gemv_kernel", why, n);
}
