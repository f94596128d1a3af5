/* NEON dequantization: the 4-bit KMAJOR_U32 families (E2M1: fp4_*, mxfp4,
 * nvfp4; INT4 sym/asym; NF4), ggml Q4_0 / MXFP4 / Q8_0 blocks and
 * int8_per_channel. Each weight is a lookup in a 16-entry table of
 * value(c) * s built per group (common.h), or an exact code times its
 * scale: qref's one IEEE operation, so bit-identical. Round-to-odd mode
 * (w->odd, f16/bf16 output of schemes with f32 scales or a tensor scale:
 * nvfp4, nf4_g64, int8_per_channel) is left to the generic tier, which
 * implements it; other schemes, and row tails, run on the generic tier too. */
#include "kernels/simd/neon/common.h"
#include "qref/fmt.h"

const float qcts_neon_e2m1_vals[16] = { 0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f,
                                        -0.0f, -0.5f, -1.0f, -1.5f, -2.0f, -3.0f, -4.0f, -6.0f };
const float qcts_neon_int4_vals[16] = { 0, 1, 2, 3, 4, 5, 6, 7, -8, -7, -6, -5, -4, -3, -2, -1 };
const float qcts_neon_uint4_vals[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
const float qcts_neon_q4_0_vals[16] = { -8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7 };
const float qcts_neon_kvalues_mxfp4[16] = { 0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12 };

/* TABLE(gi) -> qcts_neon_lut of group gi; ODD_OK: 0 when the kernel leaves
 * odd mode to the generic tier. */
#define QCTS_NEON_LUT_SPAN(name, TABLE, ODD_OK)                                                    \
    void name(const qcts_qview *w, int64_t row, int64_t k0, int64_t k1, float *out)                 \
    {                                                                                               \
        int64_t k = k0;                                                                             \
        if (w->odd && !(ODD_OK)) {                                                                  \
            qcts_dequant_span__scalar(w, row, k0, k1, out);                                        \
            return;                                                                                 \
        }                                                                                           \
        const uint8_t *prow = w->codes + (size_t)row * w->row_bytes;                               \
        int64_t gi = qcts_qview_group(w, row, k0) - (w->gpr != 0);                                 \
        int64_t gend = k0 / w->glen * w->glen;                                                     \
        while (k + 16 <= k1) {                                                                      \
            gi += w->gpr != 0;                                                                      \
            gend += w->glen;                                                                        \
            if (gend > k1)                                                                          \
                gend = k1;                                                                          \
            const qcts_neon_lut lut = (TABLE);                                                      \
            for (; k + 16 <= gend; k += 16) {                                                       \
                const uint8x16_t c = qcts_neon_kmajor16(prow + k / 2);                              \
                float *o = out + (k - k0);                                                          \
                vst1q_f32(o, qcts_neon_lut4(c, 0, lut));                                            \
                vst1q_f32(o + 4, qcts_neon_lut4(c, 1, lut));                                        \
                vst1q_f32(o + 8, qcts_neon_lut4(c, 2, lut));                                        \
                vst1q_f32(o + 12, qcts_neon_lut4(c, 3, lut));                                       \
            }                                                                                       \
            if (k < gend)                                                                           \
                break;                                                                              \
        }                                                                                           \
        qcts_dequant_span__scalar(w, row, k, k1, out + (k - k0));                                  \
    }

#define S_F16 qcts_neon_f16(w->scales + 2 * gi)
#define S_BF16 qcts_neon_bf16(w->scales + 2 * gi)
#define S_F32 qcts_neon_f32(w->scales + 4 * gi)
#define S_E8M0 qcts_neon_e8m0(w->scales[gi])

QCTS_NEON_LUT_SPAN(qcts_dequant_fp4_g32_f16__neon, qcts_neon_lut_make(qcts_neon_e2m1_vals, S_F16), 1)
QCTS_NEON_LUT_SPAN(qcts_dequant_fp4_g128_f16__neon, qcts_neon_lut_make(qcts_neon_e2m1_vals, S_F16), 1)
QCTS_NEON_LUT_SPAN(qcts_dequant_fp4_g128_bf16__neon, qcts_neon_lut_make(qcts_neon_e2m1_vals, S_BF16), 1)
QCTS_NEON_LUT_SPAN(qcts_dequant_mxfp4__neon, qcts_neon_lut_make(qcts_neon_e2m1_vals, S_E8M0), 1)
QCTS_NEON_LUT_SPAN(qcts_dequant_int4_sym_g128__neon, qcts_neon_lut_make(qcts_neon_int4_vals, S_F16), 1)
QCTS_NEON_LUT_SPAN(qcts_dequant_nf4_g64__neon, qcts_neon_lut_make(qref_nf4_table, S_F32), 0)

/* int4_asym: (c - z) * s, c - z exact. */
QCTS_NEON_INLINE qcts_neon_lut asym_lut(float z, float s)
{
    float v[16];
    for (int i = 0; i < 16; i++)
        v[i] = qcts_neon_uint4_vals[i] - z;
    return qcts_neon_lut_make(v, s);
}
QCTS_NEON_LUT_SPAN(qcts_dequant_int4_asym_g128__neon, asym_lut((float)w->zeros[gi], S_F16), 1)

/* NVFP4: (e x b) x S: e x b exact, then the rounding product (odd mode: generic tier). */
QCTS_NEON_INLINE qcts_neon_lut nvfp4_lut(float b, float S)
{
    float v[16];
    for (int i = 0; i < 16; i++)
        v[i] = qcts_neon_e2m1_vals[i] * b;
    return qcts_neon_lut_make(v, S);
}
QCTS_NEON_LUT_SPAN(qcts_dequant_nvfp4__neon, nvfp4_lut(qcts_neon_e4m3(w->scales[gi]), w->tscale), 0)

/* ---- ggml blocks of 32: byte j holds element j (low nibble) and j + 16 ---------------- */
#define BLOCK_LOOP(BYTES, ...)                                                                     \
    const uint8_t *prow = w->codes + (size_t)row * w->row_bytes;                                   \
    for (int64_t b = k0 / 32; b * 32 < k1; b++) {                                                  \
        const uint8_t *blk = prow + (size_t)b * (BYTES);                                           \
        float *o = out + (b * 32 - k0);                                                            \
        __VA_ARGS__                                                                                 \
    }

QCTS_NEON_INLINE void blk4_store(const uint8_t *q, qcts_neon_lut lut, float *o)
{
    const uint8x16_t v = vld1q_u8(q);
    const uint8x16_t lo = vandq_u8(v, vdupq_n_u8(0xF)), hi = vshrq_n_u8(v, 4);
    for (int j = 0; j < 4; j++) {
        vst1q_f32(o + 4 * j, qcts_neon_lut4(lo, j, lut));
        vst1q_f32(o + 16 + 4 * j, qcts_neon_lut4(hi, j, lut));
    }
}

void qcts_dequant_gguf_q4_0__neon(const qcts_qview *w, int64_t row, int64_t k0, int64_t k1, float *out)
{
    BLOCK_LOOP(18, { blk4_store(blk + 2, qcts_neon_lut_make(qcts_neon_q4_0_vals, qcts_neon_f16(blk)), o); })
}

void qcts_dequant_gguf_mxfp4__neon(const qcts_qview *w, int64_t row, int64_t k0, int64_t k1, float *out)
{
    BLOCK_LOOP(17, { blk4_store(blk + 1, qcts_neon_lut_make(qcts_neon_kvalues_mxfp4, qcts_neon_e8m0_half(blk[0])), o); })
}

void qcts_dequant_gguf_q8_0__neon(const qcts_qview *w, int64_t row, int64_t k0, int64_t k1, float *out)
{
    BLOCK_LOOP(34, {
        const float d = qcts_neon_f16(blk);
        for (int h = 0; h < 2; h++) {
            float32x4_t v[4];
            qcts_neon_s8x16_f32(blk + 2 + 16 * h, v);
            for (int j = 0; j < 4; j++)
                vst1q_f32(o + 16 * h + 4 * j, vmulq_n_f32(v[j], d));
        }
    })
}

void qcts_dequant_int8_per_channel__neon(const qcts_qview *w, int64_t row, int64_t k0, int64_t k1, float *out)
{
    if (w->odd) {
        qcts_dequant_span__scalar(w, row, k0, k1, out);
        return;
    }
    const uint8_t *prow = w->codes + (size_t)row * w->row_bytes;
    const float s = qcts_neon_f32(w->scales + 4 * qcts_qview_group(w, row, 0));
    int64_t k = k0;
    for (; k + 16 <= k1; k += 16) {
        float32x4_t v[4];
        qcts_neon_s8x16_f32(prow + k, v);
        for (int j = 0; j < 4; j++)
            vst1q_f32(out + (k - k0) + 4 * j, vmulq_n_f32(v[j], s));
    }
    qcts_dequant_span__scalar(w, row, k, k1, out + (k - k0));
}
