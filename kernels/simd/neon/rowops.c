/* NEON norm and softmax: the algorithms of rowops.inc on 4-lane float32
 * vectors (kernels/simd/rowops.h; the slot is rowop_slot.c). */
#include <string.h>

#include "kernels/simd/neon/common.h"
#include "kernels/simd/rowops.h"

typedef float32x4_t vf;
#define VL 4
QCTS_NEON_INLINE vf vdup(float x) { return vdupq_n_f32(x); }
QCTS_NEON_INLINE vf vld(const float *p) { return vld1q_f32(p); }
QCTS_NEON_INLINE void vst(float *p, vf v) { vst1q_f32(p, v); }
QCTS_NEON_INLINE vf vadd(vf a, vf b) { return vaddq_f32(a, b); }
QCTS_NEON_INLINE vf vsub(vf a, vf b) { return vsubq_f32(a, b); }
QCTS_NEON_INLINE vf vmul(vf a, vf b) { return vmulq_f32(a, b); }
QCTS_NEON_INLINE vf vfma(vf acc, vf a, vf b) { return vfmaq_f32(acc, a, b); }
QCTS_NEON_INLINE vf vmax(vf a, vf b) { return vmaxq_f32(a, b); }
QCTS_NEON_INLINE float vhmax(vf v) { return vmaxvq_f32(v); }
QCTS_NEON_INLINE int vhasnan(vf v) { return vmaxvq_u32(vmvnq_u32(vceqq_f32(v, v))) != 0; }

/* Lanes added as (l0 + l2) + (l1 + l3). */
QCTS_NEON_INLINE float vhsum(vf v)
{
    float32x2_t p = vadd_f32(vget_low_f32(v), vget_high_f32(v));
    return vget_lane_f32(p, 0) + vget_lane_f32(p, 1);
}

QCTS_NEON_INLINE vf vexp(vf t)
{
    t = vmaxq_f32(t, vdupq_n_f32(-88.0f));   /* t <= 0 here; -inf -> -88 -> 0 */
    const float32x4_t n = vrndnq_f32(vmulq_f32(t, vdupq_n_f32(1.44269504088896341f)));
    float32x4_t r = vfmsq_f32(t, n, vdupq_n_f32(0.693359375f));
    r = vfmsq_f32(r, n, vdupq_n_f32(-2.12194440e-4f));
    float32x4_t p = vdupq_n_f32(1.9875691500E-4f);
    p = vfmaq_f32(vdupq_n_f32(1.3981999507E-3f), p, r);
    p = vfmaq_f32(vdupq_n_f32(8.3334519073E-3f), p, r);
    p = vfmaq_f32(vdupq_n_f32(4.1665795894E-2f), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.6666665459E-1f), p, r);
    p = vfmaq_f32(vdupq_n_f32(5.0000001201E-1f), p, r);
    const float32x4_t y = vaddq_f32(vfmaq_f32(r, vmulq_f32(p, r), r), vdupq_n_f32(1.0f));
    /* 2^n as two factors so that n = -127 .. -126 still scales gradually */
    const int32x4_t ni = vcvtnq_s32_f32(n);
    const int32x4_t h1 = vshrq_n_s32(ni, 1), h2 = vsubq_s32(ni, h1);
    const float32x4_t s1 = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(h1, vdupq_n_s32(127)), 23));
    const float32x4_t s2 = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(h2, vdupq_n_s32(127)), 23));
    return vmulq_f32(vmulq_f32(y, s1), s2);
}

static inline float vexp1(float t) { return vgetq_lane_f32(vexp(vdupq_n_f32(t)), 0); }

#define RO_CONVERT qcts_convert__neon
#define RO_FN(name) name##__neon
#include "kernels/simd/rowops.inc"
