/* avx2/common.h — decoding building blocks shared by the AVX2 kernels.
 * Included only by the files of kernels/simd/avx2/ (built with -mavx2 -mfma -mf16c).
 *
 * 4-BIT CODES TO FLOAT32 (8 at a time, no int->float conversion)
 *   A group's 16 possible values are pre-scaled once per group into
 *   float32 tables, so a weight costs a table lookup: vpermps picks one of
 *   8 floats by the low 3 bits of each 32-bit lane, whatever the bits above.
 *   nib8() broadcasts a little-endian u32 of 8 packed nibbles and shifts
 *   lane i right by 4i: lane i then holds nibble i in bits 0..3.
 *
 *   Sign-magnitude codes (E2M1: bit 3 is the sign) need one table of 8
 *   magnitudes. e2m1_lut() stores mag[j]*s XOR (j << 28) and e2m1_dec()
 *   XORs the lookup with (lane << 28): that is nibble << 28, i.e. j << 28
 *   (cancelling the stored bits) plus the sign at bit 31. Four
 *   instructions per 8 weights: vpsrlvd, vpslld, vpermps, vxorps.
 *   The products mag[j]*s are the float32 dequantized values (one IEEE
 *   multiply of exact operands: the correctly rounded exact value); the sign
 *   is exact. Code 8 gives -(0*s), as qref's -0.0 * s does.
 *
 *   Other 4-bit codes (INT4, UINT4 - z, NF4, Q4_0, Q4_K) use two tables
 *   (codes 0-7 and 8-15) and vblendvps on bit 3 moved to bit 31.
 */
#ifndef QCTS_SIMD_AVX2_COMMON_H
#define QCTS_SIMD_AVX2_COMMON_H

#include <immintrin.h>
#include <string.h>

#include "kernels/simd/simd.h"

#define QCTS_AVX2_INLINE static inline __attribute__((always_inline))

/* Fully unrolls a loop over a small constant count (rows of a register
 * tile), so per-row vectors stay in registers instead of arrays on the
 * stack. Usable inside macros. */
#define QCTS_UNROLL _Pragma("GCC unroll 8")

QCTS_AVX2_INLINE __m256i qcts_avx2_nib_shifts(void) { return _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28); }

/* Lane i = (u32 at p) >> 4i: nibble i in bits 0..3. */
QCTS_AVX2_INLINE __m256i qcts_avx2_nib8(const uint8_t *p, __m256i shifts)
{
    return _mm256_srlv_epi32(_mm256_castps_si256(_mm256_broadcast_ss((const float *)(const void *)p)), shifts);
}

/* Lanes = bytes p[0..8) zero-extended. */
QCTS_AVX2_INLINE __m256i qcts_avx2_bytes8(const uint8_t *p)
{
    return _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)p));
}

QCTS_AVX2_INLINE __m256i qcts_avx2_sbytes8(const uint8_t *p)
{
    return _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)p));
}

/* E2M1 magnitudes, and the index bits the table carries (see above). */
QCTS_AVX2_INLINE __m256 qcts_avx2_e2m1_mag(void) { return _mm256_setr_ps(0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f); }

QCTS_AVX2_INLINE __m256 qcts_avx2_idx_bits(void)
{
    return _mm256_castsi256_ps(_mm256_setr_epi32(0, 1 << 28, 2 << 28, 3 << 28, 4 << 28, 5 << 28, 6 << 28, 7 << 28));
}

/* Table of mag[j] * s, carrying the index bits. */
QCTS_AVX2_INLINE __m256 qcts_avx2_sm_lut(__m256 mag_scaled) { return _mm256_xor_ps(mag_scaled, qcts_avx2_idx_bits()); }

/* 8 sign-magnitude codes: bits 0..3 of each lane (bits above are ignored:
 * vpermps reads bits 0..2 and the shift drops bits 4..31). */
QCTS_AVX2_INLINE __m256 qcts_avx2_sm_dec(__m256i lanes, __m256 lut)
{
    __m256 m = _mm256_permutevar8x32_ps(lut, lanes);
    return _mm256_xor_ps(m, _mm256_castsi256_ps(_mm256_slli_epi32(lanes, 28)));
}

/* 8 codes of a 16-entry table lo (codes 0..7), hi (codes 8..15). */
QCTS_AVX2_INLINE __m256 qcts_avx2_lut16_dec(__m256i lanes, __m256 lo, __m256 hi)
{
    __m256 a = _mm256_permutevar8x32_ps(lo, lanes);
    __m256 b = _mm256_permutevar8x32_ps(hi, lanes);
    return _mm256_blendv_ps(a, b, _mm256_castsi256_ps(_mm256_slli_epi32(lanes, 28)));
}

/* Scalar scale decoders (exact). */
QCTS_AVX2_INLINE float qcts_avx2_f16(const uint8_t *p)
{
    uint16_t h;
    memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

QCTS_AVX2_INLINE float qcts_avx2_f32(const uint8_t *p)
{
    float f;
    memcpy(&f, p, 4);
    return f;
}

QCTS_AVX2_INLINE float qcts_avx2_bf16(const uint8_t *p)
{
    uint16_t h;
    memcpy(&h, p, 2);
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* E8M0 2^(e-127) (e = 0: 2^-127, a float32 subnormal). 0xFF is rejected by
 * validation; here it would give Inf. */
QCTS_AVX2_INLINE float qcts_avx2_e8m0(uint8_t e)
{
    uint32_t u = e ? (uint32_t)e << 23 : 0x00400000u;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* ggml_e8m0_to_fp32_half: 2^(e-128). */
QCTS_AVX2_INLINE float qcts_avx2_e8m0_half(uint8_t e)
{
    uint32_t u = e < 2 ? 0x00200000u << e : (uint32_t)(e - 1) << 23;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* Round to odd (simd.h) of 4 doubles to float32: the nearest-even result
 * r, moved one step toward zero where it rounded away, and its last bit set
 * where it was inexact. Beyond FLT_MAX this gives FLT_MAX (odd), which
 * every narrower format rounds to Inf, as the exact value. */
QCTS_AVX2_INLINE __m128 qcts_avx2_pd_to_ps_odd(__m256d x)
{
    const __m128 r = _mm256_cvtpd_ps(x);
    const __m256d back = _mm256_cvtps_pd(r);
    const __m256d abs = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7FFFFFFFFFFFFFFFll));
    const __m256d inexact = _mm256_cmp_pd(back, x, _CMP_NEQ_UQ);
    const __m256d away = _mm256_cmp_pd(_mm256_and_pd(back, abs), _mm256_and_pd(x, abs), _CMP_GT_OQ);
    /* 64-bit lane masks to 32-bit lanes (their low halves) */
    const __m128i in32 = _mm_castps_si128(_mm_shuffle_ps(_mm256_castps256_ps128(_mm256_castpd_ps(inexact)),
                                                         _mm256_extractf128_ps(_mm256_castpd_ps(inexact), 1), 0x88));
    const __m128i aw32 = _mm_castps_si128(_mm_shuffle_ps(_mm256_castps256_ps128(_mm256_castpd_ps(away)),
                                                         _mm256_extractf128_ps(_mm256_castpd_ps(away), 1), 0x88));
    __m128i b = _mm_add_epi32(_mm_castps_si128(r), aw32);   /* -1: one step toward zero */
    b = _mm_or_si128(b, _mm_and_si128(in32, _mm_set1_epi32(1)));
    return _mm_castsi128_ps(b);
}

/* a * b, a + b, a - b of float32 lanes, computed in double (the product of
 * two float32 values is exact there; sums must be exact there by the
 * caller's argument) and rounded to odd. */
#define QCTS_AVX2_ODD_OP(name, pdop)                                                               \
    QCTS_AVX2_INLINE __m256 name(__m256 a, __m256 b)                                               \
    {                                                                                               \
        const __m256d lo = pdop(_mm256_cvtps_pd(_mm256_castps256_ps128(a)), _mm256_cvtps_pd(_mm256_castps256_ps128(b))); \
        const __m256d hi = pdop(_mm256_cvtps_pd(_mm256_extractf128_ps(a, 1)), _mm256_cvtps_pd(_mm256_extractf128_ps(b, 1))); \
        return _mm256_set_m128(qcts_avx2_pd_to_ps_odd(hi), qcts_avx2_pd_to_ps_odd(lo));           \
    }
QCTS_AVX2_ODD_OP(qcts_avx2_mul_odd, _mm256_mul_pd)
QCTS_AVX2_ODD_OP(qcts_avx2_add_odd, _mm256_add_pd)
QCTS_AVX2_ODD_OP(qcts_avx2_sub_odd, _mm256_sub_pd)

/* The last operation of a value, rounded as w->odd asks. */
QCTS_AVX2_INLINE __m256 qcts_avx2_mul_r(__m256 a, __m256 b, int odd) { return odd ? qcts_avx2_mul_odd(a, b) : _mm256_mul_ps(a, b); }
QCTS_AVX2_INLINE __m256 qcts_avx2_add_r(__m256 a, __m256 b, int odd) { return odd ? qcts_avx2_add_odd(a, b) : _mm256_add_ps(a, b); }
QCTS_AVX2_INLINE __m256 qcts_avx2_sub_r(__m256 a, __m256 b, int odd) { return odd ? qcts_avx2_sub_odd(a, b) : _mm256_sub_ps(a, b); }

/* ggml_ue4m3_to_fp32 (already halved): 0x00 and 0x7F give 0, bit 7 is
 * ignored, else a bias-7 E4M3 value / 2 (exact). */
QCTS_AVX2_INLINE float qcts_avx2_ue4m3_half(uint8_t u)
{
    if (u == 0 || u == 0x7F)
        return 0.0f;
    const int exp = (u >> 3) & 0xF, man = u & 0x7;
    const float m = exp == 0 ? (float)man : (float)(8 + man);
    return m * qcts_avx2_e8m0((uint8_t)(exp == 0 ? 127 - 10 : 127 + exp - 11));
}

/* 8 minifloat codes (one per lane, zero-extended; sign at bit SIGN, MAN
 * mantissa bits, exponent bias BIAS, no Inf/NaN codes: validation rejects
 * them) to float32, exactly. E4M3 (7, 3, 7), E5M2 (7, 2, 15), E2M3
 * (5, 3, 1), E3M2 (5, 2, 3).
 *
 * qcts_avx2_minifloat8 (FP8): the code's exponent and mantissa bits placed
 * at float32's are the float32 pattern of value * 2^(BIAS-127), normal and
 * subnormal alike, so one exact multiply by 2^(127-BIAS) and the sign (6
 * instructions). A subnormal code is a float32 subnormal operand there,
 * which costs a microcode assist on many cores: rare for FP8 data (below
 * 2^-6 of a range up to 448 or 57344), common for FP6 E2M3 (every |v| < 1).
 *
 * qcts_avx2_minifloat8_nosub (FP6): the same bits rebiased by 127 - BIAS
 * in the integer domain are the float32 value of a normal code; a
 * subnormal code (exponent field 0) gets exponent field 1 instead, i.e.
 * 2^(1-BIAS) * (1 + m/2^MAN), and 2^(1-BIAS) is subtracted, exactly
 * (Sterbenz), leaving 2^(1-BIAS) * m/2^MAN (+0 for m = 0); then the sign.
 * No subnormal operand anywhere. */
QCTS_AVX2_INLINE __m256 qcts_avx2_minifloat8(__m256i c, const int sign, const int man, const int bias)
{
    const __m256i mag = _mm256_and_si256(c, _mm256_set1_epi32((1 << sign) - 1));
    const __m256 v = _mm256_mul_ps(_mm256_castsi256_ps(_mm256_slli_epi32(mag, 23 - man)),
                                   _mm256_set1_ps(qcts_avx2_e8m0((uint8_t)(254 - bias))));
    const __m256i sg = _mm256_slli_epi32(_mm256_and_si256(c, _mm256_set1_epi32(1 << sign)), 31 - sign);
    return _mm256_or_ps(v, _mm256_castsi256_ps(sg));
}

QCTS_AVX2_INLINE __m256 qcts_avx2_minifloat8_nosub(__m256i c, const int sign, const int man, const int bias)
{
    const __m256i mag = _mm256_and_si256(c, _mm256_set1_epi32((1 << sign) - 1));
    const __m256i expf = _mm256_and_si256(c, _mm256_set1_epi32(((1 << sign) - 1) & ~((1 << man) - 1)));
    const __m256i sub = _mm256_cmpeq_epi32(expf, _mm256_setzero_si256());
    const __m256i b = _mm256_add_epi32(_mm256_add_epi32(_mm256_slli_epi32(mag, 23 - man), _mm256_set1_epi32((127 - bias) << 23)),
                                       _mm256_and_si256(sub, _mm256_set1_epi32(1 << 23)));
    const __m256 v = _mm256_sub_ps(_mm256_castsi256_ps(b), _mm256_and_ps(_mm256_castsi256_ps(sub),
                                                                        _mm256_set1_ps(qcts_avx2_e8m0((uint8_t)(128 - bias)))));
    const __m256i sg = _mm256_slli_epi32(_mm256_and_si256(c, _mm256_set1_epi32(1 << sign)), 31 - sign);
    return _mm256_or_ps(v, _mm256_castsi256_ps(sg));
}

/* The walk over the scale groups of a span, 8 dense columns per step.
 * GROUP_DECL runs once per group with gi its scale index (it declares what
 * DECODE8 needs), DECODE8 is the 8 float32 values at column k; the row tail
 * (fewer than 8 columns, or a group cut short by k1) goes to the generic
 * tier. Groups are multiples of 8 columns. */
#define QCTS_AVX2_GROUP_SPAN(name, GROUP_DECL, DECODE8)                                            \
    void name(const qcts_qview *w, int64_t row, int64_t k0, int64_t k1, float *out)                 \
    {                                                                                               \
        const uint8_t *prow = w->codes + (size_t)row * w->row_bytes;                               \
        int64_t k = k0;                                                                             \
        int64_t gi = qcts_qview_group(w, row, k0) - (w->gpr != 0);                                 \
        int64_t gend = k0 / w->glen * w->glen;                                                     \
        (void)prow;                                                                                 \
        while (k + 8 <= k1) {                                                                       \
            gi += w->gpr != 0;                                                                      \
            gend += w->glen;                                                                        \
            if (gend > k1)                                                                          \
                gend = k1;                                                                          \
            GROUP_DECL;                                                                             \
            for (; k + 8 <= gend; k += 8)                                                           \
                _mm256_storeu_ps(out + (k - k0), (DECODE8));                                        \
            if (k < gend)                                                                           \
                break;                                                                              \
        }                                                                                           \
        qcts_dequant_span__scalar(w, row, k, k1, out + (k - k0));                                  \
    }

/* GEMV software prefetch: bytes ahead in each weight row stream (the
 * rows are read at the kernel's compute rate, several streams at once). */
#ifndef QCTS_AVX2_PF_AHEAD
#define QCTS_AVX2_PF_AHEAD 1024
#endif
QCTS_AVX2_INLINE void qcts_avx2_prefetch(const uint8_t *p) { _mm_prefetch((const char *)p + QCTS_AVX2_PF_AHEAD, _MM_HINT_T0); }
/* ... and the same offset `next` bytes later (the rows of the next group
 * of 4, which follow in memory): a row is a short stream (a 4096-column
 * Q4_0 row is 36 cache lines) that the hardware prefetchers barely ramp
 * up on before it ends. */
QCTS_AVX2_INLINE void qcts_avx2_prefetch2(const uint8_t *p, size_t next)
{
    _mm_prefetch((const char *)p + QCTS_AVX2_PF_AHEAD, _MM_HINT_T0);
    _mm_prefetch((const char *)p + next, _MM_HINT_T0);
}

/* Horizontal sum in a fixed order: (lanes 0-3 + 4-7), then pairs. */
QCTS_AVX2_INLINE float qcts_avx2_hsum(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

#endif
