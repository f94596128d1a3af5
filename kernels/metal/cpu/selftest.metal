/* selftest.metal — kernels that test the metal-cpu executor itself
 * (kernels/tests/test_metal_cpu.c), written in MSL like the real ones but
 * compiled only for the CPU (they are not in kernels/metal/msl, so the
 * Metal library does not carry them; mcpu_test_barrier_divergent is
 * undefined behaviour on a GPU on purpose). */
#include <metal_stdlib>
using namespace metal;

/* out[g] = the value thread (n-1-t) stored: right only if the barrier
 * makes every store visible before any load. */
kernel void mcpu_test_reverse(device uint *out [[buffer(0)]],
                              threadgroup uint *tmp [[threadgroup(0)]],
                              uint t [[thread_index_in_threadgroup]],
                              uint n [[threads_per_threadgroup]],
                              uint g [[thread_position_in_grid]])
{
    tmp[t] = g * 3u + 1u;
    threadgroup_barrier(mem_flags::mem_threadgroup);
    out[g] = tmp[n - 1u - t];
}

/* The same without the barrier: the executor runs thread 0 to its end
 * before thread n-1 stores, so thread 0 reads the poisoned memory. */
kernel void mcpu_test_reverse_nobarrier(device uint *out [[buffer(0)]],
                                        threadgroup uint *tmp [[threadgroup(0)]],
                                        uint t [[thread_index_in_threadgroup]],
                                        uint n [[threads_per_threadgroup]],
                                        uint g [[thread_position_in_grid]])
{
    tmp[t] = g * 3u + 1u;
    out[g] = tmp[n - 1u - t];
}

/* Only threads below 3 reach the barrier. */
kernel void mcpu_test_barrier_divergent(device uint *out [[buffer(0)]],
                                        uint t [[thread_index_in_threadgroup]])
{
    if (t < 3u)
        threadgroup_barrier(mem_flags::mem_threadgroup);
    out[t] = t;
}

/* simd_sum of lane + 1, and simd_shuffle_down by 1. */
kernel void mcpu_test_simd(device float *sums [[buffer(0)]],
                           device float *down [[buffer(1)]],
                           uint t [[thread_index_in_threadgroup]],
                           uint lane [[thread_index_in_simdgroup]])
{
    float v = float(lane + 1u);
    sums[t] = simd_sum(v);
    down[t] = simd_shuffle_down(v, ushort(1));
}

/* half and vector types through the shim: out = float(half(x)) per
 * element (round to nearest even), and a swizzle. */
kernel void mcpu_test_types(device const float *x [[buffer(0)]],
                            device float *out [[buffer(1)]],
                            device uint *sw [[buffer(2)]],
                            uint g [[thread_position_in_grid]])
{
    half h = half(x[g]);
    out[g] = float(h);
    uint4 v = {g, g + 1u, g + 2u, g + 3u};   /* the shim has no vector constructors: brace init */
    uint2 s = v.wy;
    sw[g] = s.x * 1000u + s.y;
}
