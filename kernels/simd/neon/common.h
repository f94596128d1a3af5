/* neon/common.h — decoding building blocks of the NEON (AArch64 AdvSIMD)
 * kernels; baseline ARMv8-A, no extension needed (dotprod/i8mm only pay
 * off with integer activations, which these f32-activation kernels do not
 * have).
 *
 * 4-BIT CODES: a group's 16 float32 values (value(c) * s, one IEEE multiply
 * of exact operands, as qref) are kept as a 64-byte table in 4 q registers;
 * 4 codes become 4 floats through one vqtbl4q_u8 whose byte indices are
 * 4c + {0, 1, 2, 3}. Codes arrive as 16 bytes of 0..15 in element order
 * (qcts_neon_kmajor16 for KMAJOR_U32 nibbles: byte b holds elements 2b and
 * 2b + 1; ggml blocks: low nibbles are elements 0..15, high ones 16..31). */
#ifndef QCTS_SIMD_NEON_COMMON_H
#define QCTS_SIMD_NEON_COMMON_H

#include <arm_neon.h>
#include <string.h>

#include "kernels/simd/simd.h"

#define QCTS_NEON_INLINE static inline __attribute__((always_inline))
#define QCTS_UNROLL _Pragma("GCC unroll 8")

typedef uint8x16x4_t qcts_neon_lut;

/* Table of vals[c] * s (vals: 16 floats). */
QCTS_NEON_INLINE qcts_neon_lut qcts_neon_lut_make(const float *vals, float s)
{
    qcts_neon_lut t;
    t.val[0] = vreinterpretq_u8_f32(vmulq_n_f32(vld1q_f32(vals), s));
    t.val[1] = vreinterpretq_u8_f32(vmulq_n_f32(vld1q_f32(vals + 4), s));
    t.val[2] = vreinterpretq_u8_f32(vmulq_n_f32(vld1q_f32(vals + 8), s));
    t.val[3] = vreinterpretq_u8_f32(vmulq_n_f32(vld1q_f32(vals + 12), s));
    return t;
}

/* Floats j*4 .. j*4+3 of 16 codes (bytes 0..15). */
QCTS_NEON_INLINE float32x4_t qcts_neon_lut4(uint8x16_t codes, int j, qcts_neon_lut t)
{
    static const uint8_t rep[4][16] = {
        { 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3 },
        { 4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7 },
        { 8, 8, 8, 8, 9, 9, 9, 9, 10, 10, 10, 10, 11, 11, 11, 11 },
        { 12, 12, 12, 12, 13, 13, 13, 13, 14, 14, 14, 14, 15, 15, 15, 15 },
    };
    static const uint8_t sub[16] = { 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3 };
    uint8x16_t idx = vqtbl1q_u8(codes, vld1q_u8(rep[j]));
    idx = vaddq_u8(vshlq_n_u8(idx, 2), vld1q_u8(sub));
    return vreinterpretq_f32_u8(vqtbl4q_u8(t, idx));
}

/* 16 KMAJOR_U32 nibbles (8 bytes at p) as 16 codes in element order. */
QCTS_NEON_INLINE uint8x16_t qcts_neon_kmajor16(const uint8_t *p)
{
    const uint8x8_t v = vld1_u8(p);
    const uint8x8_t lo = vand_u8(v, vdup_n_u8(0xF)), hi = vshr_n_u8(v, 4);
    return vcombine_u8(vzip1_u8(lo, hi), vzip2_u8(lo, hi));
}

QCTS_NEON_INLINE float qcts_neon_f16(const uint8_t *p)
{
    __fp16 h;
    memcpy(&h, p, 2);
    return (float)h;
}
QCTS_NEON_INLINE float qcts_neon_f32(const uint8_t *p)
{
    float f;
    memcpy(&f, p, 4);
    return f;
}
QCTS_NEON_INLINE float qcts_neon_bf16(const uint8_t *p)
{
    uint16_t h;
    memcpy(&h, p, 2);
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}
QCTS_NEON_INLINE float qcts_neon_e8m0(uint8_t e)
{
    uint32_t u = e ? (uint32_t)e << 23 : 0x00400000u;
    float f;
    memcpy(&f, &u, 4);
    return f;
}
QCTS_NEON_INLINE float qcts_neon_e8m0_half(uint8_t e)
{
    uint32_t u = e < 2 ? 0x00200000u << e : (uint32_t)(e - 1) << 23;
    float f;
    memcpy(&f, &u, 4);
    return f;
}
QCTS_NEON_INLINE float qcts_neon_e4m3(uint8_t c)
{
    uint32_t u = (uint32_t)(c & 0x7F) << 20;
    float f;
    memcpy(&f, &u, 4);
    f *= 0x1p120f;
    return (c & 0x80) ? -f : f;
}

/* 16 signed bytes to 4 float32x4 (exact). */
QCTS_NEON_INLINE void qcts_neon_s8x16_f32(const uint8_t *p, float32x4_t v[4])
{
    const int8x16_t b = vld1q_s8((const int8_t *)(const void *)p);
    const int16x8_t lo = vmovl_s8(vget_low_s8(b)), hi = vmovl_s8(vget_high_s8(b));
    v[0] = vcvtq_f32_s32(vmovl_s16(vget_low_s16(lo)));
    v[1] = vcvtq_f32_s32(vmovl_s16(vget_high_s16(lo)));
    v[2] = vcvtq_f32_s32(vmovl_s16(vget_low_s16(hi)));
    v[3] = vcvtq_f32_s32(vmovl_s16(vget_high_s16(hi)));
}

extern const float qcts_neon_e2m1_vals[16], qcts_neon_int4_vals[16], qcts_neon_uint4_vals[16],
    qcts_neon_q4_0_vals[16], qcts_neon_kvalues_mxfp4[16];

#endif
