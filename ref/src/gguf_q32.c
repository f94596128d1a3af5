/* GGUF Q4_0, Q4_1, Q8_0: blocks of 32 with an f16 scale (and f16 min).
 * Quantizers follow ggml quantize_row_q4_0_ref / q4_1_ref / q8_0_ref;
 * dequantization is ggml dequantize_row_q4_0 / q4_1 / q8_0 computed exactly
 * (every ggml result is the float rounding of the exact value computed here:
 * the products are exact in float and Q4_1's q*d + m rounds once). */
#include "gguf_impl.h"

#define QK 32

/* ---- Q4_0 ---------------------------------------------------------------
 * d = (the element of largest magnitude, first one on ties) / -8; q =
 * min(15, (int8)(x * (1/d) + 8.5f)), truncated. Note the rounding: x/d is
 * rounded half up (x*id + 8.5 then truncation), not to nearest even, and the
 * result depends on the product x*id being rounded to float before the add:
 * ggml's gguf-py says "reference rounding is cursed and depends on FMA".
 * qcts computes it without FMA (-ffp-contract=off), which is what ggml's
 * scalar reference gives when built without FMA contraction (x86-64
 * ggml-base); a build that contracts x*id + 8.5 into an FMA can differ
 * where x*id sits next to a .5 boundary. */
static void q4_0_quantize(const float *x, uint8_t *blk)
{
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < QK; j++) {
        if (amax < qref__absf(x[j])) {
            amax = qref__absf(x[j]);
            max = x[j];
        }
    }
    const float d = max / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    qref__put_f16(blk + offsetof(qref_block_q4_0, d), d);
    uint8_t *qs = blk + offsetof(qref_block_q4_0, qs);
    for (int j = 0; j < QK / 2; j++) {
        const float x0 = x[j] * id;
        const float x1 = x[QK / 2 + j] * id;
        int q0 = qref__cvtt_i8(x0 + 8.5f), q1 = qref__cvtt_i8(x1 + 8.5f);
        q0 = q0 < 15 ? q0 : 15;
        q1 = q1 < 15 ? q1 : 15;
        qs[j] = (uint8_t)(((unsigned)q0 & 0xFF) | (((unsigned)q1 & 0xFF) << 4));
    }
}

static void q4_0_dequant(const uint8_t *blk, double *hi, double *lo)
{
    const double d = qref__f16_at(blk + offsetof(qref_block_q4_0, d));
    const uint8_t *qs = blk + offsetof(qref_block_q4_0, qs);
    for (int j = 0; j < QK / 2; j++) {
        hi[j] = (double)((qs[j] & 0x0F) - 8) * d;
        hi[j + QK / 2] = (double)((qs[j] >> 4) - 8) * d;
        lo[j] = lo[j + QK / 2] = 0.0;
    }
}

static int q4_0_check(const uint8_t *blk, char *why, size_t len)
{
    return qref__gguf_check_f16(blk + offsetof(qref_block_q4_0, d), "scale d", why, len);
}

/* ---- Q4_1 ---------------------------------------------------------------
 * d = (max - min) / 15, m = min; q = min(15, (int8)((x - min) * (1/d) + 0.5f)),
 * truncated (round half up, same FMA remark as Q4_0). */
static void q4_1_quantize(const float *x, uint8_t *blk)
{
    float min = FLT_MAX, max = -FLT_MAX;
    for (int j = 0; j < QK; j++) {
        if (x[j] < min)
            min = x[j];
        if (x[j] > max)
            max = x[j];
    }
    const float d = (max - min) / 15.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    qref__put_f16(blk + offsetof(qref_block_q4_1, d), d);
    qref__put_f16(blk + offsetof(qref_block_q4_1, m), min);
    uint8_t *qs = blk + offsetof(qref_block_q4_1, qs);
    for (int j = 0; j < QK / 2; j++) {
        const float x0 = (x[j] - min) * id;
        const float x1 = (x[QK / 2 + j] - min) * id;
        int q0 = qref__cvtt_i8(x0 + 0.5f), q1 = qref__cvtt_i8(x1 + 0.5f);
        q0 = q0 < 15 ? q0 : 15;
        q1 = q1 < 15 ? q1 : 15;
        qs[j] = (uint8_t)(((unsigned)q0 & 0xFF) | (((unsigned)q1 & 0xFF) << 4));
    }
}

static void q4_1_dequant(const uint8_t *blk, double *hi, double *lo)
{
    const double d = qref__f16_at(blk + offsetof(qref_block_q4_1, d));
    const double m = qref__f16_at(blk + offsetof(qref_block_q4_1, m));
    const uint8_t *qs = blk + offsetof(qref_block_q4_1, qs);
    for (int j = 0; j < QK / 2; j++) {
        /* q*d is exact; q*d + m is exact too for f16 operands (a multiple of
         * 2^-24 below 2^21 needs at most 45 bits), TwoSum keeps it so. */
        qref__two_sum((double)(qs[j] & 0x0F) * d, m, &hi[j], &lo[j]);
        qref__two_sum((double)(qs[j] >> 4) * d, m, &hi[j + QK / 2], &lo[j + QK / 2]);
    }
}

static int q4_1_check(const uint8_t *blk, char *why, size_t len)
{
    if (qref__gguf_check_f16(blk + offsetof(qref_block_q4_1, d), "scale d", why, len))
        return 1;
    return qref__gguf_check_f16(blk + offsetof(qref_block_q4_1, m), "min m", why, len);
}

/* ---- Q8_0 ---------------------------------------------------------------
 * d = amax / 127; q = roundf(x * (1/d)): ties away from zero. roundf is
 * written out here (it is exact: no libm needed). */
static float roundf_away(float v)
{
    if (!(qref__absf(v) < 8388608.0f))   /* already an integer, or Inf/NaN */
        return v;
    float t = (float)(int32_t)v;         /* truncation, exact */
    if (qref__absf(v - t) >= 0.5f)       /* v - t is exact */
        t += v < 0.0f ? -1.0f : 1.0f;
    return t;
}

static void q8_0_quantize(const float *x, uint8_t *blk)
{
    float amax = 0.0f;
    for (int j = 0; j < QK; j++) {
        const float a = qref__absf(x[j]);
        amax = amax > a ? amax : a;
    }
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    qref__put_f16(blk + offsetof(qref_block_q8_0, d), d);
    uint8_t *qs = blk + offsetof(qref_block_q8_0, qs);
    for (int j = 0; j < QK; j++)
        qs[j] = (uint8_t)(qref__cvtt_i8(roundf_away(x[j] * id)) & 0xFF);
}

static void q8_0_dequant(const uint8_t *blk, double *hi, double *lo)
{
    const double d = qref__f16_at(blk + offsetof(qref_block_q8_0, d));
    const uint8_t *qs = blk + offsetof(qref_block_q8_0, qs);
    for (int j = 0; j < QK; j++) {
        hi[j] = (double)(qs[j] >= 128 ? qs[j] - 256 : qs[j]) * d;
        lo[j] = 0.0;
    }
}

static int q8_0_check(const uint8_t *blk, char *why, size_t len)
{
    return qref__gguf_check_f16(blk + offsetof(qref_block_q8_0, d), "scale d", why, len);
}

const qref__gguf_type qref__gguf_q4_0 = { QREF_GGML_TYPE_Q4_0, "Q4_0", QREF_QK4_0, sizeof(qref_block_q4_0),
                                          q4_0_quantize, q4_0_dequant, q4_0_check, NULL };
const qref__gguf_type qref__gguf_q4_1 = { QREF_GGML_TYPE_Q4_1, "Q4_1", QREF_QK4_1, sizeof(qref_block_q4_1),
                                          q4_1_quantize, q4_1_dequant, q4_1_check, NULL };
const qref__gguf_type qref__gguf_q8_0 = { QREF_GGML_TYPE_Q8_0, "Q8_0", QREF_QK8_0, sizeof(qref_block_q8_0),
                                          q8_0_quantize, q8_0_dequant, q8_0_check, NULL };
