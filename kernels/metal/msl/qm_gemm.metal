/* qm_gemm.metal — Y = A W^T (+ bias), tiled: a threadgroup of T x T threads
 * (QM_GEMM_T) computes a T x T tile of Y. Per step of QM_GEMM_TK along K the
 * threads stage T x TK activations and T x TK dequantized weights in
 * threadgroup memory (float32), wait at a barrier, accumulate k ascending,
 * and wait again before the next step overwrites the tiles.
 * Grid (ceil(N / T), ceil(M / T), batch). Threadgroup memory comes as
 * arguments [[threadgroup(0/1)]] of T*TK floats each (the host sets their
 * lengths). */
#include "qm_common.h"

kernel void qm_gemm(constant qm_params &p [[buffer(QM_BUF_PARAMS)]],
                    device const uchar *w [[buffer(QM_BUF_W)]],
                    device const uint *aux [[buffer(QM_BUF_AUX)]],
                    device const uchar *a [[buffer(QM_BUF_A)]],
                    device const float *bias [[buffer(QM_BUF_BIAS)]],
                    device uchar *y [[buffer(QM_BUF_OUT)]],
                    threadgroup float *at [[threadgroup(0)]],
                    threadgroup float *wt [[threadgroup(1)]],
                    uint3 tgid [[threadgroup_position_in_grid]],
                    uint3 tid [[thread_position_in_threadgroup]])
{
    const uint T = QM_GEMM_T, TK = QM_GEMM_TK;
    uint b = tgid.z, n0 = tgid.x * T, m0 = tgid.y * T;
    uint tn = tid.x, tm = tid.y, lin = tm * T + tn;
    device const uchar *wb = w + b * p.w.batch_bytes;
    uint asz = p.a_dtype == QM_DT_F32 ? 4u : 2u;
    device const uchar *ab = a + b * p.M * p.lda * asz;
    float acc = 0.0f;
    for (uint k0 = 0u; k0 < p.K; k0 += TK) {
        /* T*T threads fill 2 * T*TK slots: TK/T each of A and of W */
        for (uint s = lin; s < T * TK; s += T * T) {
            uint row = s / TK, kk = s % TK, k = k0 + kk;
            uint m = m0 + row, n = n0 + row;
            at[s] = (m < p.M && k < p.K) ? qm_load_act(ab + m * p.lda * asz, p.a_dtype, k) : 0.0f;
            wt[s] = (n < p.N && k < p.K) ? qm_weight(p.w, wb, aux, n, k) : 0.0f;
        }
        threadgroup_barrier(mem_flags::mem_threadgroup);
        uint kend = min(TK, p.K - k0);
        for (uint kk = 0u; kk < kend; kk++)
            acc += at[tm * TK + kk] * wt[tn * TK + kk];
        threadgroup_barrier(mem_flags::mem_threadgroup);
    }
    uint m = m0 + tm, n = n0 + tn;
    if (m < p.M && n < p.N) {
        if (p.has_bias != 0u)
            acc += bias[b * p.N + n];
        uint osz = p.out_dtype == QM_DT_F32 ? 4u : 2u;
        qm_store(y + (b * p.M + m) * p.ldy * osz, p.out_dtype, n, acc);
    }
}
