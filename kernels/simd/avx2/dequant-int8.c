/* AVX2 dequantization of one-byte codes with one float32 scale per row (or
 * per tensor): int8_per_channel, fp8_e4m3_per_channel, fp8_e4m3_per_tensor,
 * fp8_e5m2_per_tensor.
 * code * s is one float32 multiply of exact operands (one rounding, as
 * qref's float32 result; rounded to odd when w->odd, simd.h). Row tails of
 * fewer than 8 go to the generic tier. */
#include "kernels/simd/avx2/common.h"

QCTS_AVX2_INLINE float row_scale(const qcts_qview *w, int64_t row)
{
    float s;
    memcpy(&s, w->scales + 4 * qcts_qview_group(w, row, 0), 4);
    return s;
}

void qcts_dequant_int8_per_channel__avx2(const qcts_qview *w, int64_t row, int64_t k0, int64_t k1, float *out)
{
    const uint8_t *prow = w->codes + (size_t)row * w->row_bytes;
    const __m256 s = _mm256_set1_ps(row_scale(w, row));
    const int odd = w->odd;
    int64_t k = k0;
    for (; k + 8 <= k1; k += 8)
        _mm256_storeu_ps(out + (k - k0), qcts_avx2_mul_r(_mm256_cvtepi32_ps(qcts_avx2_sbytes8(prow + k)), s, odd));
    qcts_dequant_span__scalar(w, row, k, k1, out + (k - k0));
}

/* FP8 (E4M3 or E5M2, common.h) times the row's (or tensor's) scale. */
QCTS_AVX2_INLINE void fp8_span(const qcts_qview *w, int64_t row, int64_t k0, int64_t k1, float *out, const int man,
                               const int bias)
{
    const uint8_t *prow = w->codes + (size_t)row * w->row_bytes;
    const __m256 s = _mm256_set1_ps(row_scale(w, row));
    const int odd = w->odd;
    int64_t k = k0;
    for (; k + 8 <= k1; k += 8)
        _mm256_storeu_ps(out + (k - k0), qcts_avx2_mul_r(qcts_avx2_minifloat8(qcts_avx2_bytes8(prow + k), 7, man, bias), s, odd));
    qcts_dequant_span__scalar(w, row, k, k1, out + (k - k0));
}

void qcts_dequant_fp8_e4m3_per_channel__avx2(const qcts_qview *w, int64_t row, int64_t k0, int64_t k1, float *out)
{
    fp8_span(w, row, k0, k1, out, 3, 7);
}

void qcts_dequant_fp8_e4m3_per_tensor__avx2(const qcts_qview *w, int64_t row, int64_t k0, int64_t k1, float *out)
{
    fp8_span(w, row, k0, k1, out, 3, 7);
}

void qcts_dequant_fp8_e5m2_per_tensor__avx2(const qcts_qview *w, int64_t row, int64_t k0, int64_t k1, float *out)
{
    fp8_span(w, row, k0, k1, out, 2, 15);
}
