/* kernels/cuda/quant_rows.h — QUANTIZE on the cuda backend, one group per
 * call, for host and device alike (QCU_HD): quant.cu runs qcu_qz_group in
 * one GPU thread per group; the CPU test plugin (tools/ops_host_plugin.c)
 * runs the same function on the host against the golden quantize suites.
 *
 * The presets served (qcu_qz_setup, qcu_build.c; the others are
 * UNSUPPORTED): the integer group presets (GROUP family, no tensor scale,
 * f16/bf16/f32 scales, a group a whole number of bytes of codes) —
 * symmetric INT4/INT8 (int4_sym_g128, int8_per_channel) and asymmetric
 * UINT2/3/4 with a u8 zero point (int2_asym_g64, int3_asym_g128,
 * int4_asym_g128) — and ggml's gguf_q8_0 and gguf_q4_0. The rules are
 * ref's, operation for operation in float32 (ref/src/scheme_group.c: the
 * scale is scale_encode(amax / M) or scale_encode((hi - lo) / qmax), codes
 * from the DECODED scale, RNE, saturated; ref/src/gguf_q32.c: ggml's
 * quantize_row_q8_0_ref / q4_0_ref with x86's truncating conversion), so
 * every byte of the serialized tensor is ref's. A group whose scale is not
 * finite, or a non-finite weight, sets a status bit instead (ref refuses
 * those: the backend reports an error, never a result).
 *
 * CUDA_OPS_HOST_WRONG=1 (host plugin only): plausible wrong quantizers —
 * symmetric groups scaled by amax / 2^(bits-1) (128, 8) in place of
 * amax / M, asymmetric codes from the undecoded scale (hi - lo) / qmax,
 * Q8_0 codes from 1 / the stored f16 scale,
 * Q4_0 rounded to nearest even instead of ggml's half up. */
#ifndef QCTS_KERNELS_CUDA_QUANT_ROWS_H
#define QCTS_KERNELS_CUDA_QUANT_ROWS_H

#include "kernels/cuda/qcu.h"

enum { QCU_QZ_GROUP = 0, QCU_QZ_Q8_0 = 1, QCU_QZ_Q4_0 = 2 };
enum { QCU_QZ_NONFINITE = 1u, QCU_QZ_OVERFLOW = 2u };   /* status bits */

typedef struct qcu_qz {
    int kind;                  /* QCU_QZ_* */
    int bits, asym, scale_fmt; /* GROUP: code width, zero point, QCU_S_F16/BF16/F32 */
    int lo, hi;                /* symmetric code range: INT4 [-8, 7], INT8 [-127, 127]; asym [0, qmax] */
    float M;                   /* the element's largest value: 7, 127; asym qmax */
    int wrong;                 /* host plugin only */
    int64_t rows, cols, glen, gpr, row_bytes, off_scales, off_zeros;
    const float *w;            /* rows x cols */
    uint8_t *out;              /* the serialized tensor */
    unsigned *status;          /* QCU_QZ_* bits, zeroed before the launch */
} qcu_qz;

QCU_HD void qcu_qz_flag(unsigned *s, unsigned f)
{
#ifdef __CUDA_ARCH__
    atomicOr(s, f);
#else
    *s |= f;
#endif
}

QCU_HD float qcu_qz_abs(float x) { return qcu_u2f(qcu_f2u(x) & 0x7FFFFFFFu); }
/* RNE to an integer of |x| <= 2^22 (the 1.5 x 2^23 trick) */
QCU_HD int qcu_qz_rne(float x)
{
    float t = x + 12582912.0f;
    return (int)(t - 12582912.0f);
}
/* x86 cvttss2si, low byte as int8 (ref's qref__cvtt_i8) */
QCU_HD int qcu_qz_cvtt_i8(float x)
{
    int v = !(x > -2147483648.0f && x < 2147483648.0f) ? 0 : (int)((unsigned)(int)x & 0xFFu);
    return v >= 128 ? v - 256 : v;
}
/* roundf written out (ref's roundf_away) */
QCU_HD float qcu_qz_roundf(float v)
{
    if (!(qcu_qz_abs(v) < 8388608.0f))
        return v;
    float t = (float)(int)v;
    if (qcu_qz_abs(v - t) >= 0.5f)
        t += v < 0.0f ? -1.0f : 1.0f;
    return t;
}
QCU_HD float qcu_qz_clamp(float x, float lo, float hi) { return x < lo ? lo : x > hi ? hi : x; }

/* scale_encode then decode: the code in *code, the value returned (NaN/Inf
 * when it overflows). */
QCU_HD float qcu_qz_scale(int fmt, float t, uint32_t *code)
{
    if (fmt == QCU_S_F32) {
        *code = qcu_f2u(t);
        return t;
    }
    if (fmt == QCU_S_BF16) {
        *code = qcu_f32_to_bf16(t);
        return qcu_u2f(*code << 16);
    }
    uint16_t h = qcu_f32_to_f16(t);
    uint8_t b[2] = { (uint8_t)(h & 255u), (uint8_t)(h >> 8) };
    *code = h;
    return (float)qcu_f16(b);
}

/* GGUF Q8_0 / Q4_0 block gi (ref/src/gguf_q32.c). */
QCU_HD void qcu_qz_gguf(const qcu_qz *z, int64_t gi)
{
    const float *x = z->w + gi * 32;
    const int q8 = z->kind == QCU_QZ_Q8_0;
    uint8_t *blk = z->out + gi * (q8 ? 34 : 18);
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < 32; j++) {
        if ((qcu_f2u(x[j]) & 0x7F800000u) == 0x7F800000u) {
            qcu_qz_flag(z->status, QCU_QZ_NONFINITE);
            return;
        }
        if (amax < qcu_qz_abs(x[j]))
            amax = qcu_qz_abs(x[j]), max = x[j];   /* Q4_0: the first of the largest |x|, signed */
    }
    const float d = q8 ? amax / 127.0f : max / -8.0f;
    const uint16_t h = qcu_f32_to_f16(d);
    if ((h & 0x7C00u) == 0x7C00u) {
        qcu_qz_flag(z->status, QCU_QZ_OVERFLOW);
        return;
    }
    const uint8_t hb[2] = { (uint8_t)(h & 0xFFu), (uint8_t)(h >> 8) };
    const float dw = z->wrong && q8 ? (float)qcu_f16(hb) : d;   /* wrong: 1 / the stored f16 scale */
    const float id = dw != 0.0f ? 1.0f / dw : 0.0f;
    blk[0] = (uint8_t)(h & 0xFFu), blk[1] = (uint8_t)(h >> 8);
    if (q8) {
        for (int j = 0; j < 32; j++) {
            float v = x[j] * id;
            blk[2 + j] = (uint8_t)(qcu_qz_cvtt_i8(qcu_qz_roundf(v)) & 0xFF);
        }
        return;
    }
    for (int j = 0; j < 16; j++) {
        const float x0 = x[j] * id, x1 = x[16 + j] * id;
        int q0 = z->wrong ? qcu_qz_rne(qcu_qz_clamp(x0, -8.0f, 8.0f)) + 8 : qcu_qz_cvtt_i8(x0 + 8.5f);
        int q1 = z->wrong ? qcu_qz_rne(qcu_qz_clamp(x1, -8.0f, 8.0f)) + 8 : qcu_qz_cvtt_i8(x1 + 8.5f);
        q0 = q0 < 15 ? q0 : 15;
        q1 = q1 < 15 ? q1 : 15;
        blk[2 + j] = (uint8_t)(((unsigned)q0 & 0xFFu) | (((unsigned)q1 & 0xFFu) << 4));
    }
}

/* Integer group gi = row x gpr + g (ref/src/scheme_group.c): its scale,
 * zero point and codes (the group's bytes, a whole number, are its own;
 * the last group of a row also zeroes the row's padding). */
QCU_HD void qcu_qz_int_group(const qcu_qz *z, int64_t gi)
{
    const int64_t r = gi / z->gpr, g = gi % z->gpr, n = z->glen;
    const float *x = z->w + gi * n;   /* groups are contiguous in the row-major weights */
    float lo = 0.0f, hi = 0.0f, amax = 0.0f;
    for (int64_t i = 0; i < n; i++) {
        if ((qcu_f2u(x[i]) & 0x7F800000u) == 0x7F800000u) {
            qcu_qz_flag(z->status, QCU_QZ_NONFINITE);
            return;
        }
        lo = x[i] < lo ? x[i] : lo;
        hi = x[i] > hi ? x[i] : hi;
        amax = qcu_qz_abs(x[i]) > amax ? qcu_qz_abs(x[i]) : amax;
    }
    const float t = z->asym ? (hi - lo) / z->M : amax / (z->wrong ? z->M + 1.0f : z->M);   /* wrong: 2^(bits-1) */
    uint32_t scode;
    const float sd = qcu_qz_scale(z->scale_fmt, t, &scode);
    if ((qcu_f2u(sd) & 0x7F800000u) == 0x7F800000u) {
        qcu_qz_flag(z->status, QCU_QZ_OVERFLOW);
        return;
    }
    const int sb = z->scale_fmt == QCU_S_F32 ? 4 : 2;
    for (int i = 0; i < sb; i++)
        z->out[z->off_scales + gi * sb + i] = (uint8_t)(scode >> (8 * i));
    const float s = z->wrong && z->asym ? t : sd;   /* wrong: the undecoded scale */
    int zp = 0;
    if (z->asym) {
        zp = s != 0.0f ? qcu_qz_rne(qcu_qz_clamp(-lo / s, 0.0f, z->M)) : 0;
        z->out[z->off_zeros + gi] = (uint8_t)zp;
    }
    uint8_t *row = z->out + r * z->row_bytes;
    const int64_t bit0 = g * n * z->bits, nbytes = n * z->bits / 8;
    for (int64_t i = 0; i < nbytes; i++)
        row[bit0 / 8 + i] = 0;
    const unsigned mask = (1u << z->bits) - 1u;
    for (int64_t i = 0; i < n && s != 0.0f; i++) {
        float q = x[i] / s;
        int v = z->asym ? qcu_qz_rne(qcu_qz_clamp(q, -512.0f, 512.0f)) + zp
                        : qcu_qz_rne(qcu_qz_clamp(q, (float)z->lo, (float)z->hi));
        v = v < z->lo ? z->lo : v > z->hi ? z->hi : v;
        unsigned c = (unsigned)v & mask;
        int64_t bit = bit0 + i * z->bits, byte = bit / 8;
        unsigned sh = (unsigned)(bit % 8);
        row[byte] = (uint8_t)(row[byte] | (c << sh));
        if (sh + (unsigned)z->bits > 8)
            row[byte + 1] = (uint8_t)(row[byte + 1] | (c >> (8 - sh)));
    }
    if (g == z->gpr - 1)
        for (int64_t i = (z->cols * z->bits + 7) / 8; i < z->row_bytes; i++)
            row[i] = 0;
}

QCU_HD void qcu_qz_group(const qcu_qz *z, int64_t gi)
{
    if (z->kind == QCU_QZ_GROUP)
        qcu_qz_int_group(z, gi);
    else
        qcu_qz_gguf(z, gi);
}

/* Groups (or GGUF blocks) of the tensor: one call each. */
QCU_HD int64_t qcu_qz_groups(const qcu_qz *z) { return z->kind == QCU_QZ_GROUP ? z->rows * z->gpr : z->rows * z->cols / 32; }

#endif
