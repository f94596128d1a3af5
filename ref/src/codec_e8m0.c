/* E8M0, the OCP MX block scale: code b means 2^(b-127); 0xFF is NaN; there
 * is no zero and no sign. The conventions disagree on almost everything but
 * exact powers of two (ref/README.md, "E8M0"):
 *   ocp        RNE on the exponent with true ties to even; 0, negative, Inf,
 *              NaN -> 0xFF; finite overflow -> 0xFE (sat, default) or 0xFF;
 *              values below 2^-127 -> 0x00 (the smallest scale).
 *   torch      fp8e8m0fnu_from_fp32_value: guard/round/sticky on the float32
 *              fields with lsb = (exponent > 0), so ties round up for normal
 *              inputs and float32 subnormals above 2^-127 go to 2^-126;
 *              0 -> 0x00; the sign is ignored; rounding up from 0xFE gives 0xFF.
 *   ml_dtypes_0_6  the same rounding as torch for positive values (measured
 *              with ml_dtypes 0.5.0 - 0.6.0: 1.5 -> 0x80, 0x00400001 -> 0x01,
 *              0x00400000 -> 0x00), but 0 and negative values -> 0xFF.
 *   ml_dtypes_0_7  as ml_dtypes_0_6, except float32 subnormals, which 0.7.0
 *              rounds by value with ties up: below the midpoint 0x00600000
 *              of 2^-127 and 2^-126 -> 0x00, from it on -> 0x01
 *              (0x005FFFFF -> 0x00, 0x00600000 -> 0x01).
 *   ml_dtypes_0_5_0  as ml_dtypes_0_6, except that ties of normal inputs
 *              go to the even code (lsb = the exponent's lowest bit):
 *              1.5 -> 0x80, 0x01400000 -> 0x02, 3 -> 0x80 (measured).
 *   cuda_*     __nv_cvt_float_to_e8m0 with cudaRoundPosInf (what the
 *              constructor uses): ceiling; 0 -> 0x00; |x|; Inf -> 0xFE with
 *              SATFINITE, 0xFF with NOSAT.
 *   ggml       no general encoder in ggml: the ocp result. */
#include "codec_impl.h"

static uint32_t ocp_round(uint32_t a)
{
    uint32_t e32 = a >> 23, m32 = a & 0x7FFFFFu;
    if (e32 == 0) {
        /* float32 subnormal: between 2^-127 (code 0, m32 = 0x400000) and
         * 2^-126 (code 1, midpoint m32 = 0x600000, tie to the even code 0);
         * below 2^-127 there is nothing smaller than code 0 */
        return m32 > 0x600000u ? 1 : 0;
    }
    if (m32 > 0x400000u || (m32 == 0x400000u && (e32 & 1)))
        return e32 + 1;
    return e32;
}

static uint32_t torch_round(uint32_t a)
{
    uint32_t e = (a >> 23) & 0xFFu;
    uint32_t g = (a >> 22) & 1u, r = (a >> 21) & 1u, st = (a & 0x1FFFFFu) != 0, lsb = e > 0;
    return e + (g && (r || st || lsb));
}

static uint32_t ceil_round(uint32_t a)
{
    uint32_t e32 = a >> 23, m32 = a & 0x7FFFFFu;
    if (e32 == 0)
        return m32 > 0x400000u ? 1 : 0;
    return e32 + (m32 != 0);
}

qref_status qref__enc_e8m0(qref_conv c, qref_mode m, uint32_t u, uint32_t *code)
{
    uint32_t a = u & 0x7FFFFFFFu, neg = u >> 31;
    uint32_t over = m == QREF_MODE_SAT ? 0xFEu : 0xFFu;
    if (a > 0x7F800000u) {
        *code = 0xFFu;
        return QREF_OK;
    }
    switch (c) {
    case QREF_CONV_TORCH:
    case QREF_CONV_TORCH_2_15:
        *code = a == 0x7F800000u ? 0xFFu : torch_round(a);
        return QREF_OK;
    case QREF_CONV_ML_DTYPES:
        *code = (a == 0x7F800000u || a == 0 || neg) ? 0xFFu : torch_round(a);
        return QREF_OK;
    case QREF_CONV_ML_DTYPES_0_5_0:
        if (a == 0x7F800000u || a == 0 || neg) {
            *code = 0xFFu;
        } else {
            uint32_t e = a >> 23, g = (a >> 22) & 1u, r = (a >> 21) & 1u, st = (a & 0x1FFFFFu) != 0;
            *code = e + (g && (r || st || (e & 1u)));
        }
        return QREF_OK;
    case QREF_CONV_ML_DTYPES_0_7:
        if (a == 0x7F800000u || a == 0 || neg)
            *code = 0xFFu;
        else
            *code = a < 0x800000u ? (a >= 0x600000u ? 1u : 0u) : torch_round(a);
        return QREF_OK;
    case QREF_CONV_CUDA_SATFINITE:
    case QREF_CONV_CUDA_NOSAT: {
        if (a == 0x7F800000u) {
            *code = over;
            return QREF_OK;
        }
        uint32_t b = ceil_round(a);
        *code = b > 0xFEu ? over : b;
        return QREF_OK;
    }
    default: {
        if (a == 0x7F800000u || a == 0 || neg) {
            *code = 0xFFu;
            return QREF_OK;
        }
        uint32_t b = ocp_round(a);
        *code = b > 0xFEu ? over : b;
        return QREF_OK;
    }
    }
}

qref_status qref__dec_e8m0(qref_conv c, uint32_t code, uint32_t *bits)
{
    if (code == 0xFFu)
        *bits = c == QREF_CONV_GGML ? 0x7F800000u : 0x7FC00000u;  /* ggml: NaN branch disabled */
    else if (code == 0)
        *bits = 0x00400000u;                                     /* 2^-127, a float32 subnormal */
    else
        *bits = code << 23;
    return QREF_OK;
}
