/* qm_dequant.metal — dequantize any scheme preset: one thread per weight.
 * Grid: (ceil(K / QM_LINEAR_TG), N) threadgroups of QM_LINEAR_TG threads.
 * out[r*K + k] = weight (r, k) rounded once to out_dtype (qm_common.h). */
#include "qm_common.h"

kernel void qm_dequant(constant qm_params &p [[buffer(QM_BUF_PARAMS)]],
                       device const uchar *w [[buffer(QM_BUF_W)]],
                       device const uint *aux [[buffer(QM_BUF_AUX)]],
                       device uchar *out [[buffer(QM_BUF_OUT)]],
                       uint3 gid [[thread_position_in_grid]])
{
    uint k = gid.x, r = gid.y;
    if (k >= p.w.cols || r >= p.w.rows)
        return;
    qm_store(out, p.out_dtype, r * p.w.cols + k, qm_weight(p.w, w, aux, r, k));
}
