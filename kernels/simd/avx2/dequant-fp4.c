/* AVX2 dequantization of E2M1 (FP4) codes packed KMAJOR_U32 (element 2i in
 * the low nibble of byte i): fp4_g32_f16, fp4_g128_f16, fp4_g128_bf16,
 * mxfp4, nvfp4. One sign-magnitude table per scale group (common.h), four
 * instructions per 8 weights, one 32-byte store. */
#include "kernels/simd/avx2/common.h"

/* E4M3 code to float32 (exact; NaN codes are rejected by validation). */
QCTS_AVX2_INLINE float e4m3(uint8_t c)
{
    uint32_t u = (uint32_t)(c & 0x7F) << 20;
    float f;
    memcpy(&f, &u, 4);
    f *= 0x1p120f;                        /* exact: E4M3 is float32 with bias 7 */
    return (c & 0x80) ? -f : f;
}

/* LUT_EXPR: the group's table from gi (the scale index), w and mag. */
#define QCTS_FP4_SPAN(name, LUT_EXPR)                                                              \
    void name(const qcts_qview *w, int64_t row, int64_t k0, int64_t k1, float *out)                 \
    {                                                                                               \
        const uint8_t *prow = w->codes + (size_t)row * w->row_bytes;                               \
        const __m256i sh = qcts_avx2_nib_shifts();                                                 \
        const __m256 mag = qcts_avx2_e2m1_mag();                                                   \
        int64_t k = k0;                                                                             \
        int64_t gi = qcts_qview_group(w, row, k0) - (w->gpr != 0);                                 \
        int64_t gend = k0 / w->glen * w->glen;                                                     \
        while (k + 8 <= k1) {                                                                       \
            gi += w->gpr != 0; /* the next group (one division per span, not per group) */        \
            gend += w->glen;                                                                        \
            if (gend > k1)                                                                          \
                gend = k1;                                                                          \
            const __m256 lut = (LUT_EXPR);                                                          \
            for (; k + 8 <= gend; k += 8)                                                           \
                _mm256_storeu_ps(out + (k - k0), qcts_avx2_sm_dec(qcts_avx2_nib8(prow + k / 2, sh), lut)); \
            if (k < gend)                                                                           \
                break;                                                                              \
        }                                                                                           \
        qcts_dequant_span__scalar(w, row, k, k1, out + (k - k0));                                  \
    }

#define F16_SCALE _mm256_set1_ps(qcts_avx2_f16(w->scales + 2 * gi))
#define BF16_SCALE _mm256_set1_ps(qcts_avx2_bf16(w->scales + 2 * gi))

QCTS_FP4_SPAN(qcts_dequant_fp4_g32_f16__avx2, qcts_avx2_sm_lut(_mm256_mul_ps(mag, F16_SCALE)))
QCTS_FP4_SPAN(qcts_dequant_fp4_g128_f16__avx2, qcts_avx2_sm_lut(_mm256_mul_ps(mag, F16_SCALE)))
QCTS_FP4_SPAN(qcts_dequant_fp4_g128_bf16__avx2, qcts_avx2_sm_lut(_mm256_mul_ps(mag, BF16_SCALE)))
QCTS_FP4_SPAN(qcts_dequant_mxfp4__avx2,
              qcts_avx2_sm_lut(_mm256_mul_ps(mag, _mm256_set1_ps(qcts_avx2_e8m0(w->scales[gi])))))
/* NVFP4: (mag * b) is exact, * S rounds once: the table holds the float32
 * values, as the scalar rule (e * b) * S gives them (rounded to odd when
 * w->odd, simd.h). */
QCTS_FP4_SPAN(qcts_dequant_nvfp4__avx2,
              qcts_avx2_sm_lut(qcts_avx2_mul_r(_mm256_mul_ps(mag, _mm256_set1_ps(e4m3(w->scales[gi]))),
                                               _mm256_set1_ps(w->tscale), w->odd)))
