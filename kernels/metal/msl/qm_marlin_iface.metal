/* qm_marlin_iface.metal — an FP4 GEMM written to the interface documented
 * by the Metal Marlin kernels (e.g. marlin_gemm_fp4), so that
 * kernels/metal/examples/marlin_fp4.json can drive it and a user can point
 * the same manifest at their own kernel by changing "source"/"function":
 *
 *   buffer 0  A       half [M, K], row-major
 *   buffer 1  B       uint [K/8, N]: word (kk, n) holds the E2M1 codes of
 *                     rows k = 8kk .. 8kk+7 of column n, k = 8kk + i at
 *                     bits 4i .. 4i+3 (packed along K)
 *   buffer 2  scales  half [K/group_size, N]
 *   buffer 3  C       half [M, N], row-major
 *   buffers 4-7       M, N, K, group_size (uint)
 *
 * C[m][n] = sum_k A[m][k] * e2m1(B) * scales[k/gs][n], accumulated in
 * float32 (k ascending; e2m1 * half scale is exact), rounded once to half.
 * One thread per output; threadgroups of 8 x 8, grid (ceil(N/8), ceil(M/8)).
 * Self-contained (only <metal_stdlib>): Metal compiles a manifest's source
 * from a string, with no include path. */
#include <metal_stdlib>
using namespace metal;

constant float qm_e2m1_values[16] = { 0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f,
                                      -0.0f, -0.5f, -1.0f, -1.5f, -2.0f, -3.0f, -4.0f, -6.0f };

kernel void qm_marlin_gemm_fp4(device const half *A [[buffer(0)]],
                               device const uint *B [[buffer(1)]],
                               device const half *scales [[buffer(2)]],
                               device half *C [[buffer(3)]],
                               constant uint &M [[buffer(4)]],
                               constant uint &N [[buffer(5)]],
                               constant uint &K [[buffer(6)]],
                               constant uint &group_size [[buffer(7)]],
                               uint2 gid [[thread_position_in_grid]])
{
    uint n = gid.x, m = gid.y;
    if (m >= M || n >= N)
        return;
    float acc = 0.0f;
    for (uint k = 0; k < K; k++) {
        uint word = B[(k / 8u) * N + n];
        float q = qm_e2m1_values[(word >> (4u * (k % 8u))) & 0xFu];
        float s = float(scales[(k / group_size) * N + n]);
        acc += float(A[m * K + k]) * (q * s);
    }
    C[m * N + n] = half(acc);
}
