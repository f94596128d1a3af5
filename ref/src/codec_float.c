/* Encoders and decoders of the sign/exponent/mantissa formats:
 * F16, BF16, FP8 E4M3 and E5M2, FP4 E2M1, FP6 E2M3 and E3M2.
 *
 * Finite values are rounded with qref__round_mag_rne (exact integer RNE);
 * the conventions differ only in NaN, Inf and overflow handling, which is
 * written out per format below with the source of each rule in
 * ref/README.md ("Conventions"). */
#include "codec_impl.h"

#include "minifloat.h"
#include "qref/bits.h"

#define SIGN(u) ((u) >> 31)
#define ABS(u) ((u) & 0x7FFFFFFFu)

static int is_cuda(qref_conv c) { return c == QREF_CONV_CUDA_SATFINITE || c == QREF_CONV_CUDA_NOSAT; }

/* ---- F16: IEEE binary16, overflow to Inf in every convention ---------- */
qref_status qref__enc_f16(qref_conv c, qref_mode m, uint32_t u, uint32_t *code)
{
    (void)m;
    uint32_t s = SIGN(u) << 15, a = ABS(u);
    if (a > 0x7F800000u) {
        if (qref_conv_is_ml_dtypes(c)) {     /* numpy npy_floatbits_to_halfbits */
            uint32_t h = 0x7C00u + ((a & 0x7FFFFFu) >> 13);
            *code = s | (h == 0x7C00u ? 0x7C01u : h);
        } else if (is_cuda(c)) {
            *code = 0x7FFFu;                 /* __float2half_rn: sign dropped */
        } else if (qref_conv_is_torch(c)) {  /* torch 2.11 CPU (as F16C): quiet, payload >> 13 */
            *code = s | 0x7E00u | ((a & 0x7FFFFFu) >> 13);
        } else {
            *code = s | 0x7E00u;             /* ocp, ggml */
        }
        return QREF_OK;
    }
    uint32_t mag = a == 0x7F800000u ? 0x7C00u : qref__round_mag_rne(a, 10, -14);
    *code = s | (mag > 0x7BFFu ? 0x7C00u : mag);
    return QREF_OK;
}

qref_status qref__dec_f16(qref_conv c, uint32_t code, uint32_t *bits)
{
    uint32_t s = (code >> 15) << 31, mag = code & 0x7FFFu;
    if (mag > 0x7C00u && qref_conv_is_torch(c))  /* torch 2.11 CPU tensors: NaN quieted */
        *bits = s | 0x7FC00000u | ((mag & 0x3FFu) << 13);
    else if (mag >= 0x7C00u)                 /* Inf, or NaN keeping its payload */
        *bits = s | 0x7F800000u | ((mag & 0x3FFu) << 13);
    else
        *bits = s | qref__decode_mag(mag, 10, -14);
    return QREF_OK;
}

/* ---- BF16: the top half of float32, RNE, overflow to Inf -------------- */
qref_status qref__enc_bf16(qref_conv c, qref_mode m, uint32_t u, uint32_t *code)
{
    (void)m;
    uint32_t s = SIGN(u) << 15, a = ABS(u);
    if (a > 0x7F800000u) {
        switch (c) {
        case QREF_CONV_TORCH:
        case QREF_CONV_TORCH_2_15:   *code = 0xFFFFu; break;          /* 2.11 CPU .to() */
        case QREF_CONV_ML_DTYPES:
        case QREF_CONV_ML_DTYPES_0_7:
        case QREF_CONV_ML_DTYPES_0_5_0: *code = s | 0x7FC0u; break;
        case QREF_CONV_CUDA_SATFINITE:
        case QREF_CONV_CUDA_NOSAT:   *code = 0x7FFFu; break;          /* __float2bfloat16_rn */
        default:                     *code = (u >> 16) | 0x40u; break; /* ocp, ggml */
        }
        return QREF_OK;
    }
    uint32_t mag = a == 0x7F800000u ? 0x7F80u : qref__round_mag_rne(a, 7, -126);
    *code = s | (mag > 0x7F7Fu ? 0x7F80u : mag);
    return QREF_OK;
}

qref_status qref__dec_bf16(qref_conv c, uint32_t code, uint32_t *bits)
{
    (void)c;
    *bits = code << 16;
    return QREF_OK;
}

/* ---- FP8 E4M3 (fn): max 448 = 0x7E, NaN = S.1111.111, no Inf ---------- */
qref_status qref__enc_e4m3(qref_conv c, qref_mode m, uint32_t u, uint32_t *code)
{
    uint32_t s = SIGN(u) << 7, a = ABS(u);
    if (a > 0x7F800000u) {
        *code = is_cuda(c) ? 0x7Fu : (s | 0x7Fu);   /* CUDA drops the sign */
        return QREF_OK;
    }
    uint32_t over = m == QREF_MODE_SAT ? 0x7Eu : 0x7Fu;
    uint32_t mag = a == 0x7F800000u ? over : qref__round_mag_rne(a, 3, -6);
    *code = s | (mag > 0x7Eu ? over : mag);
    return QREF_OK;
}

qref_status qref__dec_e4m3(qref_conv c, uint32_t code, uint32_t *bits)
{
    (void)c;
    uint32_t s = (code >> 7) << 31, mag = code & 0x7Fu;
    *bits = mag == 0x7Fu ? (s | 0x7FC00000u) : (s | qref__decode_mag(mag, 3, -6));
    return QREF_OK;
}

/* ---- FP8 E5M2: max 57344 = 0x7B, Inf 0x7C, NaN 0x7D..0x7F -------------- */
qref_status qref__enc_e5m2(qref_conv c, qref_mode m, uint32_t u, uint32_t *code)
{
    uint32_t s = SIGN(u) << 7, a = ABS(u);
    if (a > 0x7F800000u) {
        if (is_cuda(c))
            *code = 0x7Fu;
        else if (qref_conv_is_torch(c))
            *code = s | 0x7Fu;
        else
            *code = s | 0x7Eu;                      /* ocp, ml_dtypes, ggml */
        return QREF_OK;
    }
    uint32_t over = m == QREF_MODE_SAT ? 0x7Bu : 0x7Cu;
    uint32_t mag = a == 0x7F800000u ? over : qref__round_mag_rne(a, 2, -14);
    *code = s | (mag > 0x7Bu ? over : mag);
    return QREF_OK;
}

qref_status qref__dec_e5m2(qref_conv c, uint32_t code, uint32_t *bits)
{
    (void)c;
    uint32_t s = (code >> 7) << 31, mag = code & 0x7Fu;
    if (mag == 0x7Cu)
        *bits = s | 0x7F800000u;
    else if (mag > 0x7Cu)
        *bits = s | 0x7FC00000u;
    else
        *bits = s | qref__decode_mag(mag, 2, -14);
    return QREF_OK;
}

/* ---- FP4 / FP6: no Inf, no NaN, always saturating --------------------- */

/* NaN policy of the formats without NaN (FP4, FP6). */
static qref_status small_nan(qref_conv c, uint32_t u, unsigned bits, uint32_t max_mag, uint32_t *code)
{
    uint32_t sign_bit = 1u << (bits - 1);
    switch (c) {
    case QREF_CONV_ML_DTYPES:          /* quiet_NaN() = -0, then the sign is applied */
    case QREF_CONV_ML_DTYPES_0_7:
    case QREF_CONV_ML_DTYPES_0_5_0:
        *code = SIGN(u) ? 0 : sign_bit;
        return QREF_OK;
    case QREF_CONV_CUDA_SATFINITE:     /* "NaN input values result in positive MAXNORM" */
    case QREF_CONV_CUDA_NOSAT:
        *code = max_mag;
        return QREF_OK;
    default:                           /* ocp: an error, with +max as the value */
        *code = max_mag;
        return QREF_ERR_NAN;
    }
}

static qref_status enc_small(qref_conv c, uint32_t u, unsigned bits, int mbits, int emin,
                             uint32_t max_mag, uint32_t *code)
{
    uint32_t a = ABS(u);
    if (a > 0x7F800000u)
        return small_nan(c, u, bits, max_mag, code);
    uint32_t mag = a == 0x7F800000u ? max_mag : qref__round_mag_rne(a, mbits, emin);
    *code = (SIGN(u) << (bits - 1)) | (mag > max_mag ? max_mag : mag);
    return QREF_OK;
}

static void dec_small(uint32_t code, unsigned bits, int mbits, int emin, uint32_t *out)
{
    uint32_t sign_bit = 1u << (bits - 1);
    *out = ((code & sign_bit) ? 0x80000000u : 0) | qref__decode_mag(code & (sign_bit - 1), mbits, emin);
}

/* ggml has no general FP4 encoder; its only one is best_index_mxfp4()
 * (ggml-quants.c), the first minimum of |kvalues[i]*d - x| over the table
 * {0,1,2,3,4,6,8,12,0,-1,...,-12} (E2M1 doubled, d = 0.5 in element units).
 * Ties go toward zero, -0 is never produced, and NaN or +-Inf give code 0.
 * This is float arithmetic by definition; it is exact for |x| < 2^22. */
static uint32_t ggml_best_index_e2m1(float x)
{
    static const signed char kv[16] = { 0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12 };
    uint32_t best = 0;
    float best_err = qref_f32_from_bits(ABS(qref_f32_bits((float)kv[0] * 0.5f - x)));
    for (uint32_t i = 1; i < 16; i++) {
        float err = qref_f32_from_bits(ABS(qref_f32_bits((float)kv[i] * 0.5f - x)));
        if (err < best_err) {
            best_err = err;
            best = i;
        }
    }
    return best;
}

qref_status qref__enc_e2m1(qref_conv c, qref_mode m, uint32_t u, uint32_t *code)
{
    (void)m;
    if (c == QREF_CONV_GGML) {
        *code = ggml_best_index_e2m1(qref_f32_from_bits(u));
        return QREF_OK;
    }
    return enc_small(c, u, 4, 1, 0, 0x7u, code);
}

qref_status qref__dec_e2m1(qref_conv c, uint32_t code, uint32_t *bits)
{
    (void)c;
    dec_small(code, 4, 1, 0, bits);
    return QREF_OK;
}

qref_status qref__enc_e2m3(qref_conv c, qref_mode m, uint32_t u, uint32_t *code)
{
    (void)m;
    return enc_small(c, u, 6, 3, 0, 0x1Fu, code);
}

qref_status qref__dec_e2m3(qref_conv c, uint32_t code, uint32_t *bits)
{
    (void)c;
    dec_small(code, 6, 3, 0, bits);
    return QREF_OK;
}

qref_status qref__enc_e3m2(qref_conv c, qref_mode m, uint32_t u, uint32_t *code)
{
    (void)m;
    return enc_small(c, u, 6, 2, -2, 0x1Fu, code);
}

qref_status qref__dec_e3m2(qref_conv c, uint32_t code, uint32_t *bits)
{
    (void)c;
    dec_small(code, 6, 2, -2, bits);
    return QREF_OK;
}
