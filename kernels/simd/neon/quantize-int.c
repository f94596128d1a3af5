/* NEON kernels of the integer-group quantizer (quantize_int.h): absmax
 * (exact in any order) and the codes, 4 lanes at a time; tails run the
 * same vector code on a zero-padded copy. */
#include <string.h>

#include "kernels/simd/neon/common.h"
#include "kernels/simd/quantize_int.h"

static float absmax(const float *x, int64_t n)
{
    float32x4_t m = vdupq_n_f32(0.0f);
    int64_t i = 0;
    for (; i + 4 <= n; i += 4)
        m = vmaxq_f32(m, vabsq_f32(vld1q_f32(x + i)));
    float t[4] = { 0 };
    memcpy(t, x + i, sizeof(float) * (size_t)(n - i));
    m = vmaxq_f32(m, vabsq_f32(vld1q_f32(t)));
    return vmaxvq_f32(m);
}

QCTS_NEON_INLINE void codes4(const float *x, float32x4_t sd, float32x4_t hi, uint32x4_t mask, uint8_t *out)
{
    float32x4_t q = vrndnq_f32(vdivq_f32(vld1q_f32(x), sd));   /* one division, ties to even */
    q = vminq_f32(vmaxq_f32(q, vnegq_f32(hi)), hi);
    const uint32x4_t v = vandq_u32(vreinterpretq_u32_s32(vcvtq_s32_f32(q)), mask);   /* exact: an integer */
    out[0] = (uint8_t)vgetq_lane_u32(v, 0);
    out[1] = (uint8_t)vgetq_lane_u32(v, 1);
    out[2] = (uint8_t)vgetq_lane_u32(v, 2);
    out[3] = (uint8_t)vgetq_lane_u32(v, 3);
}

static void codes(const float *x, int64_t n, float sdv, float qmax, uint8_t m, uint8_t *out)
{
    const float32x4_t sd = vdupq_n_f32(sdv), hi = vdupq_n_f32(qmax);
    const uint32x4_t mask = vdupq_n_u32(m);
    int64_t i = 0;
    for (; i + 4 <= n; i += 4)
        codes4(x + i, sd, hi, mask, out + i);
    if (i < n) {
        float t[4] = { 0 };
        uint8_t o[4];
        memcpy(t, x + i, sizeof(float) * (size_t)(n - i));
        codes4(t, sd, hi, mask, o);
        memcpy(out + i, o, (size_t)(n - i));
    }
}

const qcts_qint_ops qcts_qint__neon = { absmax, codes };
