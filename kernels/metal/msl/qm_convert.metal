/* qm_convert.metal — decode element codes (qref/fmt.h) to float32 under a
 * convention: one thread per element, grid ceil(n / QM_LINEAR_TG)
 * threadgroups. Codes are 1, 2 or 4 bytes wide (p.code_bytes). Encoding is
 * not implemented in Metal (the host answers unsupported). */
#include "qm_common.h"

kernel void qm_convert_decode(constant qm_convert_params &p [[buffer(QM_BUF_PARAMS)]],
                              device const uchar *codes [[buffer(QM_BUF_W)]],
                              device float *out [[buffer(QM_BUF_OUT)]],
                              uint3 gid [[thread_position_in_grid]])
{
    uint i = gid.x;
    if (i >= p.n)
        return;
    uint c = p.code_bytes == 1u ? uint(codes[i])
           : p.code_bytes == 2u ? qm_rd16(codes, 2u * i) : qm_rd32(codes, 4u * i);
    out[i] = qm_decode(p.fmt, p.convention, c);
}
