/* qm_gemv.metal — Y = A W^T (+ bias) for M = 1: one SIMD-group per output.
 * Threadgroups of QM_GEMV_TG threads hold QM_GEMV_TG / width SIMD-groups
 * (p.n_per_tg, set by the host from the pipeline's threadExecutionWidth);
 * grid (ceil(N / n_per_tg), batch). Lane l sums a[k] * w(n, k) for
 * k = l, l + width, ... in float32, then simd_sum adds the lanes. Every
 * lane reaches simd_sum (lanes past N too): a SIMD-group function needs
 * all of its threads. */
#include "qm_common.h"

kernel void qm_gemv(constant qm_params &p [[buffer(QM_BUF_PARAMS)]],
                    device const uchar *w [[buffer(QM_BUF_W)]],
                    device const uint *aux [[buffer(QM_BUF_AUX)]],
                    device const uchar *a [[buffer(QM_BUF_A)]],
                    device const float *bias [[buffer(QM_BUF_BIAS)]],
                    device uchar *y [[buffer(QM_BUF_OUT)]],
                    uint3 tgid [[threadgroup_position_in_grid]],
                    uint sg [[simdgroup_index_in_threadgroup]],
                    uint lane [[thread_index_in_simdgroup]],
                    uint width [[threads_per_simdgroup]])
{
    /* n_per_tg comes from the pipeline's threadExecutionWidth (developer.apple.com/
     * documentation/metal/mtlcomputepipelinestate/threadexecutionwidth), the
     * SIMD-group width on Apple GPUs; should they differ, SIMD-groups past
     * n_per_tg compute nothing and outputs left unwritten show as such. */
    uint n = sg < p.n_per_tg ? tgid.x * p.n_per_tg + sg : p.N, b = tgid.y;
    device const uchar *wb = w + b * p.w.batch_bytes;
    uint asz = p.a_dtype == QM_DT_F32 ? 4u : 2u;
    device const uchar *ab = a + b * p.lda * asz;   /* M = 1: one row per batch */
    float acc = 0.0f;
    if (n < p.N)
        for (uint k = lane; k < p.K; k += width)
            acc += qm_load_act(ab, p.a_dtype, k) * qm_weight(p.w, wb, aux, n, k);
    float sum = simd_sum(acc);
    if (lane == 0u && n < p.N) {
        if (p.has_bias != 0u)
            sum += bias[b * p.N + n];
        uint osz = p.out_dtype == QM_DT_F32 ? 4u : 2u;
        qm_store(y + b * p.ldy * osz, p.out_dtype, n, sum);
    }
}
