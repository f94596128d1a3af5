/* NEON conversions between float32 and f16/bf16 bit patterns (tails: the
 * generic tier). f16: fcvtl / fcvtn, IEEE round-to-nearest-even with
 * subnormals (FPCR default: no flush-to-zero), NaN as sign | 0x7E00
 * (qref_f32_to_f16). bf16: integer
 * nearest-even rounding of the upper half, NaN made quiet keeping its sign
 * and top payload bits, as qref_f32_to_bf16. */
#include "kernels/simd/neon/common.h"

static void f16_to_f32(const uint16_t *x, float *y, int64_t n)
{
    int64_t i = 0;
    for (; i + 4 <= n; i += 4)
        vst1q_f32(y + i, vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(x + i))));
    qcts_convert__scalar.f16_to_f32(x + i, y + i, n - i);
}

static void bf16_to_f32(const uint16_t *x, float *y, int64_t n)
{
    int64_t i = 0;
    for (; i + 4 <= n; i += 4)
        vst1q_f32(y + i, vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(x + i), 16)));
    qcts_convert__scalar.bf16_to_f32(x + i, y + i, n - i);
}

static void f32_to_f16(const float *x, uint16_t *y, int64_t n)
{
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const float32x4_t f = vld1q_f32(x + i);
        const uint16x4_t h = vreinterpret_u16_f16(vcvt_f16_f32(f));
        /* NaN: sign | 0x7E00, as qref_f32_to_f16 (fcvtn keeps payload bits) */
        const uint16x4_t nan = vmovn_u32(vmvnq_u32(vceqq_f32(f, f)));
        const uint16x4_t canon = vorr_u16(vshrn_n_u32(vandq_u32(vreinterpretq_u32_f32(f), vdupq_n_u32(0x80000000u)), 16),
                                          vdup_n_u16(0x7E00));
        vst1_u16(y + i, vbsl_u16(nan, canon, h));
    }
    qcts_convert__scalar.f32_to_f16(x + i, y + i, n - i);
}

static void f32_to_bf16(const float *x, uint16_t *y, int64_t n)
{
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const float32x4_t f = vld1q_f32(x + i);
        const uint32x4_t b = vreinterpretq_u32_f32(f);
        const uint32x4_t r = vshrq_n_u32(vaddq_u32(vaddq_u32(b, vdupq_n_u32(0x7FFF)),
                                                   vandq_u32(vshrq_n_u32(b, 16), vdupq_n_u32(1))), 16);
        const uint32x4_t q = vorrq_u32(vshrq_n_u32(b, 16), vdupq_n_u32(0x40));
        const uint32x4_t nan = vmvnq_u32(vceqq_f32(f, f));
        vst1_u16(y + i, vmovn_u32(vbslq_u32(nan, q, r)));
    }
    qcts_convert__scalar.f32_to_bf16(x + i, y + i, n - i);
}

const qcts_convert_ops qcts_convert__neon = { f16_to_f32, bf16_to_f32, f32_to_f16, f32_to_bf16 };
