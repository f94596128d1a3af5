/* qref_encode / qref_decode: argument checks and dispatch to the format
 * families, plus the ocp fast paths declared in qref/fmt.h. */
#include "codec_impl.h"

#include "qref/bits.h"

static const struct {
    qref__enc_fn enc;
    qref__dec_fn dec;
} float_codecs[QREF_FMT_COUNT] = {
    [QREF_FMT_F16] = { qref__enc_f16, qref__dec_f16 },
    [QREF_FMT_BF16] = { qref__enc_bf16, qref__dec_bf16 },
    [QREF_FMT_E4M3] = { qref__enc_e4m3, qref__dec_e4m3 },
    [QREF_FMT_E5M2] = { qref__enc_e5m2, qref__dec_e5m2 },
    [QREF_FMT_E2M1] = { qref__enc_e2m1, qref__dec_e2m1 },
    [QREF_FMT_E2M3] = { qref__enc_e2m3, qref__dec_e2m3 },
    [QREF_FMT_E3M2] = { qref__enc_e3m2, qref__dec_e3m2 },
    [QREF_FMT_E8M0] = { qref__enc_e8m0, qref__dec_e8m0 },
};

static const float *codebook(qref_fmt f, unsigned *n)
{
    switch (f) {
    case QREF_FMT_NF4: *n = 16; return qref_nf4_table;
    case QREF_FMT_NF3: *n = 8; return qref_nf3_table;
    case QREF_FMT_NF2: *n = 4; return qref_nf2_table;
    default: *n = 0; return NULL;
    }
}

static int int_range(const qref_fmt_info *i, int *lo, int *hi)
{
    if (i->kind != QREF_KIND_INT)
        return 0;
    *lo = i->is_signed ? -(1 << (i->bits - 1)) : 0;
    *hi = i->is_signed ? (1 << (i->bits - 1)) - 1 : (1 << i->bits) - 1;
    return 1;
}

qref_status qref_encode(qref_fmt f, qref_conv c, qref_mode m, float x, uint32_t *code)
{
    const qref_fmt_info *info = qref_fmt_get(f);
    if (!info || !code || (unsigned)c >= QREF_CONV_COUNT)
        return QREF_ERR_ARG;
    qref_mode eff;
    qref_status st = qref_mode_resolve(f, c, m, &eff);
    if (st != QREF_OK)
        return st;
    uint32_t u = qref_f32_bits(x);
    if (f == QREF_FMT_F32) {
        *code = u;
        return QREF_OK;
    }
    if (float_codecs[f].enc)
        return float_codecs[f].enc(c, eff, u, code);
    int lo, hi;
    if (int_range(info, &lo, &hi))
        return qref__enc_int(c, lo, hi, info->bits, u, code);
    unsigned n;
    const float *t = codebook(f, &n);
    return qref__enc_codebook(t, n, u, code);
}

qref_status qref_decode(qref_fmt f, qref_conv c, uint32_t code, float *out)
{
    const qref_fmt_info *info = qref_fmt_get(f);
    if (!info || !out || (unsigned)c >= QREF_CONV_COUNT)
        return QREF_ERR_ARG;
    if (info->bits < 32 && (code >> info->bits) != 0)
        return QREF_ERR_CODE;
    uint32_t bits;
    if (f == QREF_FMT_F32) {
        bits = code;
    } else if (float_codecs[f].dec) {
        float_codecs[f].dec(c, code, &bits);
    } else if (info->kind == QREF_KIND_INT) {
        qref__dec_int(info->is_signed, info->bits, code, &bits);
    } else {
        unsigned n;
        *out = codebook(f, &n)[code];
        return QREF_OK;
    }
    *out = qref_f32_from_bits(bits);
    return QREF_OK;
}

/* ---- fast paths (ocp, default mode) ------------------------------------- */

uint16_t qref_f32_to_f16(float x)
{
    uint32_t c;
    qref__enc_f16(QREF_CONV_OCP, QREF_MODE_NOSAT, qref_f32_bits(x), &c);
    return (uint16_t)c;
}

float qref_f16_to_f32(uint16_t h)
{
    uint32_t b;
    qref__dec_f16(QREF_CONV_OCP, h, &b);
    return qref_f32_from_bits(b);
}

uint16_t qref_f32_to_bf16(float x)
{
    uint32_t c;
    qref__enc_bf16(QREF_CONV_OCP, QREF_MODE_NOSAT, qref_f32_bits(x), &c);
    return (uint16_t)c;
}

float qref_bf16_to_f32(uint16_t h)
{
    return qref_f32_from_bits((uint32_t)h << 16);
}

uint8_t qref_f32_to_e4m3_sat(float x)
{
    uint32_t c;
    qref__enc_e4m3(QREF_CONV_OCP, QREF_MODE_SAT, qref_f32_bits(x), &c);
    return (uint8_t)c;
}

float qref_e4m3_to_f32(uint8_t c)
{
    uint32_t b;
    qref__dec_e4m3(QREF_CONV_OCP, c, &b);
    return qref_f32_from_bits(b);
}

uint8_t qref_f32_to_e5m2_sat(float x)
{
    uint32_t c;
    qref__enc_e5m2(QREF_CONV_OCP, QREF_MODE_SAT, qref_f32_bits(x), &c);
    return (uint8_t)c;
}

float qref_e5m2_to_f32(uint8_t c)
{
    uint32_t b;
    qref__dec_e5m2(QREF_CONV_OCP, c, &b);
    return qref_f32_from_bits(b);
}

uint8_t qref_f32_to_e2m1(float x)
{
    uint32_t c;
    qref__enc_e2m1(QREF_CONV_OCP, QREF_MODE_SAT, qref_f32_bits(x), &c);
    return (uint8_t)c;
}

float qref_e2m1_to_f32(uint8_t c)
{
    uint32_t b;
    qref__dec_e2m1(QREF_CONV_OCP, c & 0xFu, &b);
    return qref_f32_from_bits(b);
}

float qref_e8m0_to_f32(uint8_t c)
{
    uint32_t b;
    qref__dec_e8m0(QREF_CONV_OCP, c, &b);
    return qref_f32_from_bits(b);
}
