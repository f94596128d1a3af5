/* GGUF MXFP4 (ggml type 39) and NVFP4 (ggml type 40): E2M1 elements.
 *
 * ggml stores E2M1 values doubled (kvalues_mxfp4 = 2 * E2M1, so every value
 * is an integer) and halves the scale to match:
 *   MXFP4: y = kvalues[q] * 2^(e - 128)             (ggml_e8m0_to_fp32_half)
 *   NVFP4: y = kvalues[q] * ue4m3(d[s]) / 2        (ggml_ue4m3_to_fp32)
 * Quantizers follow ggml quantize_row_mxfp4_ref / quantize_row_nvfp4_ref:
 * the element code is the first index with the smallest float32 error
 * |kvalues[i]*d - x| (best_index_mxfp4), so ties go to the smaller magnitude
 * (0.75 -> 0.5, 1.75 -> 1.5, 3.5 -> 3, 5 -> 4 in E2M1 units) and -0 (code 8)
 * is never produced. The error is computed in float, as ggml does, so a
 * float rounding of the subtraction decides near-ties exactly as in ggml. */
#include <math.h>
#include <stdio.h>

#include "gguf_impl.h"

const int8_t qref_kvalues_mxfp4[16] = { 0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12 };

static int best_index_mxfp4(float x, float e)
{
    int best_index = 0;
    float best_err = qref__absf((float)qref_kvalues_mxfp4[0] * e - x);
    for (int i = 1; i < 16; i++) {
        float err = qref__absf((float)qref_kvalues_mxfp4[i] * e - x);
        if (err < best_err) {
            best_index = i;
            best_err = err;
        }
    }
    return best_index;
}

/* ggml_e8m0_to_fp32_half: 2^(e - 128) (e = 0, 1 subnormal; 0xFF gives
 * 2^127, ggml has no NaN here: validation rejects 0xFF instead). */
static float e8m0_half(int e)
{
    return qref_f32_from_bits(e < 2 ? 0x00200000u << e : (uint32_t)(e - 1) << 23);
}

/* ---- MXFP4 ----------------------------------------------------------------
 * e = (uint8)(floorf(log2f(amax)) - 2 + 127), or 0 when amax == 0; no clamp.
 * This is the one place in ref/ whose result depends on libm: log2f is not
 * correctly rounded by IEEE 754, and ggml's definition *is* libm's
 * floorf(log2f()). Near a power of two the two differ from the exponent
 * bits: glibc's log2f(nextafterf(2^k, 0)) rounds up to k for k >= 3 and
 * k <= -1 (7.9999995 -> 3), so the scale goes up by one. FORMATS.md §6.
 * For amax < 2^-125 the float -> uint8 cast is out of range (undefined in
 * C); qcts takes the low byte of the x86-64 conversion (qref__cvtt_u8). */
static void mxfp4_quantize(const float *x, uint8_t *blk)
{
    float amax = 0.0f;
    for (int j = 0; j < QREF_QK_MXFP4; j++)
        if (amax < qref__absf(x[j]))
            amax = qref__absf(x[j]);
    const int e = amax > 0.0f ? qref__cvtt_u8(floorf(log2f(amax)) - 2.0f + 127.0f) : 0;
    const float d = e8m0_half(e);
    blk[offsetof(qref_block_mxfp4, e)] = (uint8_t)e;
    uint8_t *qs = blk + offsetof(qref_block_mxfp4, qs);
    for (int j = 0; j < QREF_QK_MXFP4 / 2; j++)
        qs[j] = (uint8_t)(best_index_mxfp4(x[j], d) | (best_index_mxfp4(x[QREF_QK_MXFP4 / 2 + j], d) << 4));
}

static void mxfp4_dequant(const uint8_t *blk, double *hi, double *lo)
{
    const double d = (double)e8m0_half(blk[offsetof(qref_block_mxfp4, e)]);
    const uint8_t *qs = blk + offsetof(qref_block_mxfp4, qs);
    for (int j = 0; j < QREF_QK_MXFP4 / 2; j++) {
        hi[j] = (double)qref_kvalues_mxfp4[qs[j] & 0x0F] * d;
        hi[j + QREF_QK_MXFP4 / 2] = (double)qref_kvalues_mxfp4[qs[j] >> 4] * d;
        lo[j] = lo[j + QREF_QK_MXFP4 / 2] = 0.0;
    }
}

static int mxfp4_check(const uint8_t *blk, char *why, size_t len)
{
    if (blk[offsetof(qref_block_mxfp4, e)] != 0xFF)
        return 0;
    snprintf(why, len, "E8M0 scale e = 0xFF (NaN), which ggml_validate_row_data rejects");
    return 1;
}

/* ---- NVFP4 ----------------------------------------------------------------
 * ggml_ue4m3_to_fp32(u), already halved: 0x00 and 0x7F give 0; otherwise bit
 * 7 is ignored and bits 6..3 / 2..0 are a bias-7 E4M3 exponent / mantissa
 * with exponent 15 a normal binade (0x78..0x7E = 128..224 after halving; so
 * 0xFF, whose low bits are 0x7F, decodes to 240 while 0x7F is 0). */
static float ue4m3_half(int u)
{
    if (u == 0 || u == 0x7F)
        return 0.0f;
    const int exp = (u >> 3) & 0xF, man = u & 0x7;
    /* man * 2^-9 / 2, or (1 + man/8) * 2^(exp-7) / 2 = (8 + man) * 2^(exp-11): exact */
    return exp == 0 ? (float)man * qref__pow2f(-10) : (float)(8 + man) * qref__pow2f(exp - 11);
}

/* ggml_fp32_to_ue4m3: not RNE. <= 0 and NaN give 0; above 448 clamps to
 * 448; the mantissa is rounded half up on bit 19 (the first dropped bit) and
 * the result saturates to 0x7E (448); below 2^-6 the code is the subnormal
 * (int)(x*512 + 0.5f), at most 7, in float arithmetic. */
static int fp32_to_ue4m3(float x)
{
    if (!(x > 0.0f))
        return 0;
    if (x > 448.0f)
        x = 448.0f;
    const uint32_t bits = qref_f32_bits(x);
    const int fp32_exp = (int)((bits >> 23) & 0xFF) - 127;
    const int fp32_man = (int)((bits >> 20) & 0x7);
    int ue4m3_exp = fp32_exp + 7;
    if (ue4m3_exp <= 0) {
        int man = (int)(x * 512.0f + 0.5f);
        if (man > 7)
            man = 7;
        return man < 1 ? 0 : man;
    }
    if (ue4m3_exp >= 15)
        return 0x7E;
    int ue4m3_man = fp32_man + (int)((bits >> 19) & 1);
    if (ue4m3_man > 7) {
        ue4m3_man = 0;
        ue4m3_exp++;
        if (ue4m3_exp >= 15)
            return 0x7E;
    }
    return (ue4m3_exp << 3) | ue4m3_man;
}

/* Per 16-element sub-block s: d[s] = ue4m3(amax/6); byte 8s+j holds
 * element 16s+j (low nibble) and 16s+8+j (high nibble). */
static void nvfp4_quantize(const float *x, uint8_t *blk)
{
    for (int s = 0; s < QREF_QK_NVFP4 / QREF_QK_NVFP4_SUB; s++) {
        const float *xb = x + s * QREF_QK_NVFP4_SUB;
        float amax = 0.0f;
        for (int j = 0; j < QREF_QK_NVFP4_SUB; j++)
            if (amax < qref__absf(xb[j]))
                amax = qref__absf(xb[j]);
        const int u = fp32_to_ue4m3(amax / 6.0f);
        blk[offsetof(qref_block_nvfp4, d) + s] = (uint8_t)u;
        const float d = ue4m3_half(u);
        uint8_t *qs = blk + offsetof(qref_block_nvfp4, qs) + s * (QREF_QK_NVFP4_SUB / 2);
        for (int j = 0; j < QREF_QK_NVFP4_SUB / 2; j++)
            qs[j] = (uint8_t)(best_index_mxfp4(xb[j], d) | (best_index_mxfp4(xb[QREF_QK_NVFP4_SUB / 2 + j], d) << 4));
    }
}

static void nvfp4_dequant(const uint8_t *blk, double *hi, double *lo)
{
    for (int s = 0; s < QREF_QK_NVFP4 / QREF_QK_NVFP4_SUB; s++) {
        const double d = (double)ue4m3_half(blk[offsetof(qref_block_nvfp4, d) + s]);
        const uint8_t *qs = blk + offsetof(qref_block_nvfp4, qs) + s * (QREF_QK_NVFP4_SUB / 2);
        double *y = hi + s * QREF_QK_NVFP4_SUB;
        for (int j = 0; j < QREF_QK_NVFP4_SUB / 2; j++) {
            y[j] = (double)qref_kvalues_mxfp4[qs[j] & 0x0F] * d;
            y[j + QREF_QK_NVFP4_SUB / 2] = (double)qref_kvalues_mxfp4[qs[j] >> 4] * d;
        }
    }
    for (int i = 0; i < QREF_QK_NVFP4; i++)
        lo[i] = 0.0;
}

/* ggml_validate_row_data accepts every NVFP4 byte ("UE4M3 scales are
 * uint8_t — all byte values are valid"). */
static int nvfp4_check(const uint8_t *blk, char *why, size_t len)
{
    (void)blk;
    (void)why;
    (void)len;
    return 0;
}

const qref__gguf_type qref__gguf_mxfp4 = { QREF_GGML_TYPE_MXFP4, "MXFP4", QREF_QK_MXFP4, sizeof(qref_block_mxfp4),
                                           mxfp4_quantize, mxfp4_dequant, mxfp4_check, NULL };
const qref__gguf_type qref__gguf_nvfp4 = { QREF_GGML_TYPE_NVFP4, "NVFP4", QREF_QK_NVFP4, sizeof(qref_block_nvfp4),
                                           nvfp4_quantize, nvfp4_dequant, nvfp4_check, NULL };
