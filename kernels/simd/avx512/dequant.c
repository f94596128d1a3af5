/* AVX-512 dequantization: the 4-bit KMAJOR_U32 families (E2M1: fp4_*,
 * mxfp4, nvfp4; INT4 sym/asym; NF4), ggml Q4_0 / MXFP4 / Q8_0 blocks and
 * int8_per_channel. Each weight is one lookup in a 16-entry table built per
 * group (common.h) or one multiply of an exact code by its scale: the same
 * single IEEE operation qref performs, so the result is bit-identical;
 * w->odd (f16/bf16 of schemes with inexact float32 values) rounds that one
 * operation to odd. Row tails (< 16 columns or a group cut short) go to the
 * generic tier. Schemes not here run their AVX2 kernel (dequant.inc). */
#include "kernels/simd/avx512/common.h"
#include "qref/fmt.h"

/* The walk over the scale groups of a span, 16 dense columns per step:
 * TABLE is the 16-entry table of group gi. */
#define QCTS_AVX512_LUT_SPAN(name, TABLE)                                                          \
    void name(const qcts_qview *w, int64_t row, int64_t k0, int64_t k1, float *out)                 \
    {                                                                                               \
        const uint8_t *prow = w->codes + (size_t)row * w->row_bytes;                               \
        int64_t k = k0;                                                                             \
        int64_t gi = qcts_qview_group(w, row, k0) - (w->gpr != 0);                                 \
        int64_t gend = k0 / w->glen * w->glen;                                                     \
        while (k + 16 <= k1) {                                                                      \
            gi += w->gpr != 0;                                                                      \
            gend += w->glen;                                                                        \
            if (gend > k1)                                                                          \
                gend = k1;                                                                          \
            const __m512 lut = (TABLE);                                                             \
            for (; k + 16 <= gend; k += 16)                                                         \
                _mm512_storeu_ps(out + (k - k0), qcts_avx512_lut(qcts_avx512_nib16(prow + k / 2), lut)); \
            if (k < gend)                                                                           \
                break;                                                                              \
        }                                                                                           \
        qcts_dequant_span__scalar(w, row, k, k1, out + (k - k0));                                  \
    }

#define S_F16 _mm512_set1_ps(qcts_avx512_f16(w->scales + 2 * gi))
#define S_BF16 _mm512_set1_ps(qcts_avx512_bf16(w->scales + 2 * gi))
#define S_F32 _mm512_set1_ps(qcts_avx512_f32(w->scales + 4 * gi))
#define S_E8M0 _mm512_set1_ps(qcts_avx512_e8m0(w->scales[gi]))

QCTS_AVX512_LUT_SPAN(qcts_dequant_fp4_g32_f16__avx512, _mm512_mul_ps(qcts_avx512_e2m1_vals(), S_F16))
QCTS_AVX512_LUT_SPAN(qcts_dequant_fp4_g128_f16__avx512, _mm512_mul_ps(qcts_avx512_e2m1_vals(), S_F16))
QCTS_AVX512_LUT_SPAN(qcts_dequant_fp4_g128_bf16__avx512, _mm512_mul_ps(qcts_avx512_e2m1_vals(), S_BF16))
QCTS_AVX512_LUT_SPAN(qcts_dequant_mxfp4__avx512, _mm512_mul_ps(qcts_avx512_e2m1_vals(), S_E8M0))
/* NVFP4: (e x b) x S, e x b exact; the tensor-scale product rounds (to odd when w->odd). */
QCTS_AVX512_LUT_SPAN(qcts_dequant_nvfp4__avx512,
                     qcts_avx512_mul_r(_mm512_mul_ps(qcts_avx512_e2m1_vals(),
                                                     _mm512_set1_ps(qcts_avx512_e4m3(w->scales[gi]))),
                                       _mm512_set1_ps(w->tscale), w->odd))
QCTS_AVX512_LUT_SPAN(qcts_dequant_int4_sym_g128__avx512, _mm512_mul_ps(qcts_avx512_int4_vals(), S_F16))
QCTS_AVX512_LUT_SPAN(qcts_dequant_int4_asym_g128__avx512,
                     _mm512_mul_ps(_mm512_sub_ps(qcts_avx512_uint4_vals(), _mm512_set1_ps((float)w->zeros[gi])), S_F16))
QCTS_AVX512_LUT_SPAN(qcts_dequant_nf4_g64__avx512, qcts_avx512_mul_r(_mm512_loadu_ps(qref_nf4_table), S_F32, w->odd))

/* ---- ggml blocks: byte j holds element j (low nibble) and j + 16 (high) ------------- */
#define BLOCK_LOOP(BYTES, ...)                                                                     \
    const uint8_t *prow = w->codes + (size_t)row * w->row_bytes;                                   \
    for (int64_t b = k0 / 32; b * 32 < k1; b++) {                                                  \
        const uint8_t *blk = prow + (size_t)b * (BYTES);                                           \
        float *o = out + (b * 32 - k0);                                                            \
        __VA_ARGS__                                                                                 \
    }

void qcts_dequant_gguf_q4_0__avx512(const qcts_qview *w, int64_t row, int64_t k0, int64_t k1, float *out)
{
    const __m512 v = _mm512_setr_ps(-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7);
    BLOCK_LOOP(18, {
        const __m512 lut = _mm512_mul_ps(v, _mm512_set1_ps(qcts_avx512_f16(blk)));
        const __m512i c = qcts_avx512_bytes16(blk + 2);
        _mm512_storeu_ps(o, qcts_avx512_lut(c, lut));
        _mm512_storeu_ps(o + 16, qcts_avx512_lut(_mm512_srli_epi32(c, 4), lut));
    })
}

/* ggml's kvalues (doubled E2M1, code 8 is +0) times 2^(e-128). */
void qcts_dequant_gguf_mxfp4__avx512(const qcts_qview *w, int64_t row, int64_t k0, int64_t k1, float *out)
{
    const __m512 v = _mm512_setr_ps(0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12);
    BLOCK_LOOP(17, {
        const __m512 lut = _mm512_mul_ps(v, _mm512_set1_ps(qcts_avx512_e8m0_half(blk[0])));
        const __m512i c = qcts_avx512_bytes16(blk + 1);
        _mm512_storeu_ps(o, qcts_avx512_lut(c, lut));
        _mm512_storeu_ps(o + 16, qcts_avx512_lut(_mm512_srli_epi32(c, 4), lut));
    })
}

void qcts_dequant_gguf_q8_0__avx512(const qcts_qview *w, int64_t row, int64_t k0, int64_t k1, float *out)
{
    BLOCK_LOOP(34, {
        const __m512 d = _mm512_set1_ps(qcts_avx512_f16(blk));
        _mm512_storeu_ps(o, _mm512_mul_ps(_mm512_cvtepi32_ps(qcts_avx512_sbytes16(blk + 2)), d));
        _mm512_storeu_ps(o + 16, _mm512_mul_ps(_mm512_cvtepi32_ps(qcts_avx512_sbytes16(blk + 18)), d));
    })
}

/* int8 codes times the row's f32 scale; the K tail through masked loads. */
void qcts_dequant_int8_per_channel__avx512(const qcts_qview *w, int64_t row, int64_t k0, int64_t k1, float *out)
{
    const uint8_t *prow = w->codes + (size_t)row * w->row_bytes;
    const __m512 s = _mm512_set1_ps(qcts_avx512_f32(w->scales + 4 * qcts_qview_group(w, row, 0)));
    const int odd = w->odd;
    int64_t k = k0;
    for (; k + 16 <= k1; k += 16)
        _mm512_storeu_ps(out + (k - k0), qcts_avx512_mul_r(_mm512_cvtepi32_ps(qcts_avx512_sbytes16(prow + k)), s, odd));
    if (k < k1) {
        const __mmask16 m = (__mmask16)((1u << (k1 - k)) - 1);
        const __m512i q = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, prow + k));
        _mm512_mask_storeu_ps(out + (k - k0), m, qcts_avx512_mul_r(_mm512_cvtepi32_ps(q), s, odd));
    }
}
