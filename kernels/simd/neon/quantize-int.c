/* NEON kernels of the integer quantizer (quantize_int.h): absmax (exact in
 * any order), the group codes, 4 lanes at a time (tails run the same vector
 * code on a zero-padded copy), and the GGUF Q8_0 / Q4_0 block codes. */
#include <stdint.h>
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

/* x86's cvttss2si, which ggml's casts compile to: truncation, INT32_MIN for
 * NaN and out of range (NEON's fcvtzs saturates instead). */
QCTS_NEON_INLINE int32x4_t cvtt_x86(float32x4_t v)
{
    const uint32x4_t in = vandq_u32(vcgtq_f32(v, vdupq_n_f32(-2147483648.0f)), vcltq_f32(v, vdupq_n_f32(2147483648.0f)));
    return vbslq_s32(in, vcvtq_s32_f32(v), vdupq_n_s32(INT32_MIN));
}

/* (int8)roundf(x id): truncate, +-1 where |v - t| >= 1/2 (v - t is exact),
 * v itself where |v| >= 2^23 (an integer, Inf or NaN). */
static void q8_0(const float *x, float id, uint8_t *qs)
{
    for (int k = 0; k < 8; k++) {
        const float32x4_t v = vmulq_n_f32(vld1q_f32(x + 4 * k), id);
        float32x4_t t = vrndq_f32(v);
        const uint32x4_t up = vcgeq_f32(vabsq_f32(vsubq_f32(v, t)), vdupq_n_f32(0.5f));
        const float32x4_t pm1 = vbslq_f32(vcltq_f32(v, vdupq_n_f32(0.0f)), vdupq_n_f32(-1.0f), vdupq_n_f32(1.0f));
        t = vbslq_f32(up, vaddq_f32(t, pm1), t);
        t = vbslq_f32(vcltq_f32(vabsq_f32(v), vdupq_n_f32(8388608.0f)), t, v);
        const int32x4_t i = cvtt_x86(t);
        for (int l = 0; l < 4; l++)
            qs[4 * k + l] = (uint8_t)(i[l] & 0xFF);
    }
}

/* min((int8)(x id + 8.5), 15); byte j = q_j | q_(j+16) << 4. */
static void q4_0(const float *x, float id, uint8_t *qs)
{
    int32_t q[32];
    for (int k = 0; k < 8; k++) {
        int32x4_t i = cvtt_x86(vaddq_f32(vmulq_n_f32(vld1q_f32(x + 4 * k), id), vdupq_n_f32(8.5f)));
        i = vshrq_n_s32(vshlq_n_s32(i, 24), 24);   /* the int8 of the low byte */
        vst1q_s32(q + 4 * k, vandq_s32(vminq_s32(i, vdupq_n_s32(15)), vdupq_n_s32(0xFF)));
    }
    for (int j = 0; j < 16; j++)
        qs[j] = (uint8_t)(q[j] | (q[j + 16] << 4));
}

const qcts_qint_ops qcts_qint__neon = { absmax, codes, q8_0, q4_0 };
