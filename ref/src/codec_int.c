/* Integer formats: round to an integer, then saturate to [lo, hi].
 * ocp and every other convention: ties to even (nearbyint). ggml: ties away
 * from zero (roundf, as its Q8_0 quantizer). NaN has no code: QREF_ERR_NAN
 * with the code of 0. +-Inf saturate. */
#include "codec_impl.h"

#include "minifloat.h"

#include <string.h>

qref_status qref__enc_int(qref_conv c, int lo, int hi, unsigned bits, uint32_t u, uint32_t *code)
{
    uint32_t a = u & 0x7FFFFFFFu, mask = (1u << bits) - 1;
    if (a > 0x7F800000u) {
        *code = 0;
        return QREF_ERR_NAN;
    }
    uint32_t n = qref__round_abs_to_int(a, c == QREF_CONV_GGML);
    int64_t v = (u >> 31) ? -(int64_t)n : (int64_t)n;
    if (v < lo)
        v = lo;
    if (v > hi)
        v = hi;
    *code = (uint32_t)v & mask;
    return QREF_OK;
}

qref_status qref__dec_int(int is_signed, unsigned bits, uint32_t code, uint32_t *out)
{
    int32_t v = (int32_t)code;
    if (is_signed && (code >> (bits - 1)))
        v -= (int32_t)1 << bits;
    float f = (float)v;          /* |v| <= 255: exact */
    memcpy(out, &f, sizeof f);
    return QREF_OK;
}
