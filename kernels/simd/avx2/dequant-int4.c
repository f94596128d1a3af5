/* AVX2 dequantization of 4-bit codes with a 16-value table per scale group
 * (KMAJOR_U32 nibbles): int4_sym_g128 (two's complement), int4_asym_g128
 * ((code - z) * s), nf4_g64 (NF4 table * f32 absmax: one rounding, as
 * qref's float32 result). Five instructions per 8 weights (common.h). */
#include "kernels/simd/avx2/common.h"
#include "qref/fmt.h"

/* LO_EXPR/HI_EXPR: the values of codes 0..7 and 8..15 of group gi. */
#define QCTS_INT4_SPAN(name, LO_EXPR, HI_EXPR)                                                     \
    void name(const qcts_qview *w, int64_t row, int64_t k0, int64_t k1, float *out)                 \
    {                                                                                               \
        const uint8_t *prow = w->codes + (size_t)row * w->row_bytes;                               \
        const __m256i sh = qcts_avx2_nib_shifts();                                                 \
        const __m256 c_lo = _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7);                                \
        const __m256 c_hi = _mm256_setr_ps(8, 9, 10, 11, 12, 13, 14, 15);                          \
        (void)c_lo;                                                                                 \
        (void)c_hi;                                                                                 \
        int64_t k = k0;                                                                             \
        int64_t gi = qcts_qview_group(w, row, k0) - (w->gpr != 0);                                 \
        int64_t gend = k0 / w->glen * w->glen;                                                     \
        while (k + 8 <= k1) {                                                                       \
            gi += w->gpr != 0; /* the next group (one division per span, not per group) */        \
            gend += w->glen;                                                                        \
            if (gend > k1)                                                                          \
                gend = k1;                                                                          \
            const __m256 lo = (LO_EXPR), hi = (HI_EXPR);                                            \
            for (; k + 8 <= gend; k += 8)                                                           \
                _mm256_storeu_ps(out + (k - k0), qcts_avx2_lut16_dec(qcts_avx2_nib8(prow + k / 2, sh), lo, hi)); \
            if (k < gend)                                                                           \
                break;                                                                              \
        }                                                                                           \
        qcts_dequant_span__scalar(w, row, k, k1, out + (k - k0));                                  \
    }

#define S16 _mm256_set1_ps(qcts_avx2_f16(w->scales + 2 * gi))
#define Z16 _mm256_set1_ps((float)w->zeros[gi])
#define SF32 _mm256_set1_ps(qcts_avx2_f32(w->scales + 4 * gi))

QCTS_INT4_SPAN(qcts_dequant_int4_sym_g128__avx2, _mm256_mul_ps(c_lo, S16),
               _mm256_mul_ps(_mm256_sub_ps(c_hi, _mm256_set1_ps(16.0f)), S16))
QCTS_INT4_SPAN(qcts_dequant_int4_asym_g128__avx2, _mm256_mul_ps(_mm256_sub_ps(c_lo, Z16), S16),
               _mm256_mul_ps(_mm256_sub_ps(c_hi, Z16), S16))
/* NF4's f32 scale: the table is rounded to odd when w->odd (simd.h). */
QCTS_INT4_SPAN(qcts_dequant_nf4_g64__avx2, qcts_avx2_mul_r(_mm256_loadu_ps(qref_nf4_table), SF32, w->odd),
               qcts_avx2_mul_r(_mm256_loadu_ps(qref_nf4_table + 8), SF32, w->odd))
