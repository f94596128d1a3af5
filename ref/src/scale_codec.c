/* Scale formats of the schemes: encode (ocp, RNE, saturating where the
 * format saturates), exact decode, and little-endian storage. */
#include "qref/bits.h"
#include "qref/scheme.h"

uint32_t qref_scale_encode(qref_scale_fmt s, float x)
{
    uint32_t c = 0;
    switch (s) {
    case QREF_SCALE_F32: return qref_f32_bits(x);
    case QREF_SCALE_F16: return qref_f32_to_f16(x);
    case QREF_SCALE_BF16: return qref_f32_to_bf16(x);
    case QREF_SCALE_E8M0: qref_encode(QREF_FMT_E8M0, QREF_CONV_OCP, QREF_MODE_SAT, x, &c); return c;
    case QREF_SCALE_E4M3: return qref_f32_to_e4m3_sat(x);
    case QREF_SCALE_UE4M3: return qref_f32_to_e4m3_sat(x) & 0x7Fu;
    default: return 0;
    }
}

double qref_scale_decode(qref_scale_fmt s, uint32_t code)
{
    switch (s) {
    case QREF_SCALE_F32: return qref_f32_from_bits(code);
    case QREF_SCALE_F16: return qref_f16_to_f32((uint16_t)code);
    case QREF_SCALE_BF16: return qref_bf16_to_f32((uint16_t)code);
    case QREF_SCALE_E8M0: return qref_e8m0_to_f32((uint8_t)code);
    case QREF_SCALE_E4M3: return qref_e4m3_to_f32((uint8_t)code);
    case QREF_SCALE_UE4M3: return qref_e4m3_to_f32((uint8_t)(code & 0x7Fu));
    default: return 1.0;
    }
}

void qref_scale_store(qref_scale_fmt s, uint8_t *dst, size_t index, uint32_t code)
{
    unsigned n = qref_scale_fmt_bytes(s);
    for (unsigned i = 0; i < n; i++)
        dst[index * n + i] = (uint8_t)(code >> (8 * i));
}

uint32_t qref_scale_load(qref_scale_fmt s, const uint8_t *src, size_t index)
{
    unsigned n = qref_scale_fmt_bytes(s);
    uint32_t c = 0;
    for (unsigned i = 0; i < n; i++)
        c |= (uint32_t)src[index * n + i] << (8 * i);
    return c;
}
