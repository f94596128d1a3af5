/* Generic (scalar) dequantization: every scheme of the catalog, and the
 * tails of the ISA kernels.
 *
 * Each float32 value is produced by one IEEE float operation on exact
 * operands (decoded code, decoded scale, or a product of them that is exact
 * in float32: see the notes per family), so it is the correctly rounded
 * exact value, as qref_dequantize returns it. Schemes without such a rule
 * (IQ types, Marlin) go through qref_dequantize_row_exact. With w->odd
 * (simd.h) that last operation is done exactly in double and rounded to
 * odd instead (mul_r, add_r, odd_f32_2): the f16/bf16 path of schemes whose
 * float32 values are rounded, and the tails of the ISA kernels in it. */
#include <stdlib.h>
#include <string.h>

#include "kernels/simd/simd.h"
#include "qref/blocks.h"
#include "qref/fmt.h"
#include "qref/pack.h"
#include "qref/sparse.h"

static float f16_at(const uint8_t *p) { return qref_f16_to_f32((uint16_t)(p[0] | (p[1] << 8))); }

/* hi + lo (|lo| <= ulp(hi)/2, or hi exact) rounded to float32 by rounding
 * to odd (simd.h): nearest even, one step toward zero where that rounded
 * away, the last bit set where inexact. */
static float odd_f32_2(double hi, double lo)
{
    float f = (float)hi;
    double d = (hi - (double)f) + lo;   /* hi - f is exact; the sign of d is the exact remainder's */
    if (d == 0.0)
        return f;
    uint32_t u;
    memcpy(&u, &f, 4);
    if (f != 0.0f && (d < 0.0) == (f > 0.0))   /* f is farther from zero than the exact value */
        u--;
    u |= 1;
    memcpy(&f, &u, 4);
    return f;
}

/* The last operation of a value: its exact result (a product of two
 * floats, or a sum the scheme keeps within 53 bits, exact in double)
 * rounded to nearest even, or to odd when w->odd. */
static float mul_r(const qcts_qview *w, float a, float b)
{
    return w->odd ? odd_f32_2((double)a * (double)b, 0.0) : a * b;
}

static float add_r(const qcts_qview *w, float a, float b)
{
    return w->odd ? odd_f32_2((double)a + (double)b, 0.0) : a + b;
}

static float scale_at(qref_scale_fmt f, const uint8_t *scales, int64_t gi)
{
    return (float)qref_scale_decode(f, qref_scale_load(f, scales, (size_t)gi));   /* exact */
}

/* Stored value j of row r of a GROUP-family tensor (also the values of a
 * sparse one): value(code) * sd, or (code - z) * sd: one rounding. */
static float group_value(const qcts_qview *w, const qref_scheme *b, const uint8_t *prow, int64_t r, int64_t j)
{
    int64_t gi = qcts_qview_group(w, r, j);
    float sd = scale_at(b->scale, w->scales, gi);
    uint8_t c = qref_packed_code(b->layout, w->bits, prow, j);
    if (b->zero == QREF_ZERO_INT)
        return mul_r(w, (float)((int)c - (int)w->zeros[gi]), sd);
    float v = 0.0f;
    qref_decode(b->elem, QREF_CONV_OCP, c, &v);
    return mul_r(w, v, sd);
}

static void span_group(const qcts_qview *w, int64_t r, int64_t k0, int64_t k1, float *out)
{
    const uint8_t *prow = w->codes + (size_t)r * w->row_bytes;
    for (int64_t k = k0; k < k1; k++)
        out[k - k0] = group_value(w, w->s, prow, r, k);
}

/* MX: value * 2^(e-127), exact (or overflowing) in float32. */
static void span_mx(const qcts_qview *w, int64_t r, int64_t k0, int64_t k1, float *out)
{
    const uint8_t *prow = w->codes + (size_t)r * w->row_bytes;
    for (int64_t k = k0; k < k1; k++) {
        float x = qref_e8m0_to_f32(w->scales[r * w->gpr + k / 32]);
        float v = 0.0f;
        qref_decode(w->s->elem, QREF_CONV_OCP, qref_packed_code(w->s->layout, w->bits, prow, k), &v);
        out[k - k0] = v * x;
    }
}

/* NVFP4: (e2m1 * e4m3) is exact (<= 6 bits), times the tensor scale: one
 * rounding. */
static void span_nvfp4(const qcts_qview *w, int64_t r, int64_t k0, int64_t k1, float *out)
{
    const uint8_t *prow = w->codes + (size_t)r * w->row_bytes;
    for (int64_t k = k0; k < k1; k++) {
        float b = qref_e4m3_to_f32(w->scales[r * w->gpr + k / 16]);
        float e = qref_e2m1_to_f32(qref_packed_code(w->s->layout, 4, prow, k));
        out[k - k0] = mul_r(w, e * b, w->tscale);
    }
}

static void span_sparse(const qcts_qview *w, int64_t r, int64_t k0, int64_t k1, float *out)
{
    const int n = w->s->sparse_n, m = w->s->sparse_m;
    const uint8_t *prow = w->codes + (size_t)r * w->row_bytes;
    uint8_t idx[QREF_SPARSE_MAX_M];
    for (int64_t k = k0; k < k1; k++)
        out[k - k0] = 0.0f;
    for (int64_t g = k0 / m; g * m < k1; g++) {
        qref_sparse_meta_get(w->meta, w->cols, n, m, r, g, idx);
        for (int j = 0; j < n; j++) {
            int64_t k = g * m + idx[j];
            if (k >= k0 && k < k1)
                out[k - k0] = group_value(w, w->base, prow, r, g * n + j);
        }
    }
}

/* ggml get_scale_min_k4. */
static void scale_min_k4(int j, const uint8_t *q, int *d, int *m)
{
    if (j < 4) {
        *d = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
        *m = (q[j + 4] >> 4) | ((q[j - 0] >> 6) << 4);
    }
}

static float e8m0_half(int e)
{
    uint32_t u = e < 2 ? 0x00200000u << e : (uint32_t)(e - 1) << 23;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static float ue4m3_half(int u)
{
    if (u == 0 || u == 0x7F)
        return 0.0f;
    int exp = (u >> 3) & 0xF, man = u & 0x7;
    return exp == 0 ? (float)man * 0x1p-10f : (float)(8 + man) * qref_e8m0_to_f32((uint8_t)(exp - 11 + 127));
}

/* One GGUF block into y[0..block): 0 if the type has a float rule here. */
static int gguf_block(const qcts_qview *w, int type, const uint8_t *blk, float *y)
{
    switch (type) {
    case QREF_GGML_TYPE_Q4_0: {
        float d = f16_at(blk);
        for (int j = 0; j < 16; j++) {
            y[j] = (float)((blk[2 + j] & 0xF) - 8) * d;
            y[j + 16] = (float)((blk[2 + j] >> 4) - 8) * d;
        }
        return 0;
    }
    case QREF_GGML_TYPE_Q4_1: {
        float d = f16_at(blk), m = f16_at(blk + 2);   /* q*d exact, + m: one rounding */
        for (int j = 0; j < 16; j++) {
            y[j] = add_r(w, (float)(blk[4 + j] & 0xF) * d, m);
            y[j + 16] = add_r(w, (float)(blk[4 + j] >> 4) * d, m);
        }
        return 0;
    }
    case QREF_GGML_TYPE_Q8_0: {
        float d = f16_at(blk);
        for (int j = 0; j < 32; j++)
            y[j] = (float)(int8_t)blk[2 + j] * d;
        return 0;
    }
    case QREF_GGML_TYPE_Q4_K: {
        /* d1 = d*sc and m1 = dmin*m are exact (11 + 6 bits), d1*q too; the
         * subtraction rounds once. */
        float d = f16_at(blk), dmin = f16_at(blk + 2);
        const uint8_t *sc = blk + 4, *q = blk + 16;
        for (int c = 0; c < 4; c++) {
            int s1, m1, s2, m2;
            scale_min_k4(2 * c, sc, &s1, &m1);
            scale_min_k4(2 * c + 1, sc, &s2, &m2);
            float d1 = d * (float)s1, mm1 = dmin * (float)m1, d2 = d * (float)s2, mm2 = dmin * (float)m2;
            for (int l = 0; l < 32; l++) {
                y[64 * c + l] = add_r(w, d1 * (float)(q[32 * c + l] & 0xF), -mm1);
                y[64 * c + 32 + l] = add_r(w, d2 * (float)(q[32 * c + l] >> 4), -mm2);
            }
        }
        return 0;
    }
    case QREF_GGML_TYPE_Q6_K: {
        /* d*sc exact (11 + 8 bits), times q: one rounding. */
        const uint8_t *ql = blk, *qh = blk + 128, *scb = blk + 192;
        float d = f16_at(blk + 208);
        for (int h = 0; h < 2; h++) {
            const uint8_t *l8 = ql + 64 * h, *h8 = qh + 32 * h, *s8 = scb + 8 * h;
            float *o = y + 128 * h;
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int q1 = ((l8[l] & 0xF) | (((h8[l] >> 0) & 3) << 4)) - 32;
                int q2 = ((l8[l + 32] & 0xF) | (((h8[l] >> 2) & 3) << 4)) - 32;
                int q3 = ((l8[l] >> 4) | (((h8[l] >> 4) & 3) << 4)) - 32;
                int q4 = ((l8[l + 32] >> 4) | (((h8[l] >> 6) & 3) << 4)) - 32;
                o[l] = mul_r(w, d * (float)(int8_t)s8[is + 0], (float)q1);
                o[l + 32] = mul_r(w, d * (float)(int8_t)s8[is + 2], (float)q2);
                o[l + 64] = mul_r(w, d * (float)(int8_t)s8[is + 4], (float)q3);
                o[l + 96] = mul_r(w, d * (float)(int8_t)s8[is + 6], (float)q4);
            }
        }
        return 0;
    }
    case QREF_GGML_TYPE_MXFP4: {
        float d = e8m0_half(blk[0]);
        for (int j = 0; j < 16; j++) {
            y[j] = (float)qref_kvalues_mxfp4[blk[1 + j] & 0xF] * d;
            y[j + 16] = (float)qref_kvalues_mxfp4[blk[1 + j] >> 4] * d;
        }
        return 0;
    }
    case QREF_GGML_TYPE_NVFP4: {
        for (int s = 0; s < 4; s++) {
            float d = ue4m3_half(blk[s]);
            const uint8_t *qs = blk + 4 + 8 * s;
            for (int j = 0; j < 8; j++) {
                y[16 * s + j] = (float)qref_kvalues_mxfp4[qs[j] & 0xF] * d;
                y[16 * s + j + 8] = (float)qref_kvalues_mxfp4[qs[j] >> 4] * d;
            }
        }
        return 0;
    }
    default: return -1;
    }
}

/* Through ref/: the exact row, rounded once to float32. */
static void span_ref(const qcts_qview *w, int64_t r, int64_t k0, int64_t k1, float *out)
{
    double *hi = malloc(sizeof(double) * 2 * (size_t)w->cols);
    if (!hi) {
        for (int64_t k = k0; k < k1; k++)
            out[k - k0] = __builtin_nanf("");
        return;
    }
    double *lo = hi + w->cols;
    qref_qtensor t;
    qref_error e;
    qcts_qview_as_qtensor(w, &t);
    memset(lo, 0, sizeof(double) * (size_t)w->cols);
    if (qref_dequantize_row_exact(&t, r, hi, lo, &e) != QREF_OK) {
        for (int64_t k = 0; k < w->cols; k++)
            hi[k] = __builtin_nan(""), lo[k] = 0.0;
    }
    for (int64_t k = k0; k < k1; k++)
        out[k - k0] = w->odd ? odd_f32_2(hi[k], lo[k]) : qref_round2_to_f32(hi[k], lo[k]);
    free(hi);
}

static void span_gguf(const qcts_qview *w, int64_t r, int64_t k0, int64_t k1, float *out)
{
    const int64_t bl = w->glen;
    const size_t bbytes = w->row_bytes / (size_t)(w->cols / bl);
    float y[QREF_QK_K];
    for (int64_t b = k0 / bl; b * bl < k1; b++) {
        if (gguf_block(w, w->s->gguf_type, w->codes + (size_t)r * w->row_bytes + (size_t)b * bbytes, y) != 0) {
            span_ref(w, r, k0, k1, out);
            return;
        }
        int64_t lo = b * bl > k0 ? b * bl : k0, hi = (b + 1) * bl < k1 ? (b + 1) * bl : k1;
        memcpy(out + (lo - k0), y + (lo - b * bl), sizeof(float) * (size_t)(hi - lo));
    }
}

void qcts_dequant_span__scalar(const qcts_qview *w, int64_t row, int64_t k0, int64_t k1, float *out)
{
    if (k1 <= k0)
        return;
    switch (w->s->family) {
    case QREF_FAMILY_GROUP: span_group(w, row, k0, k1, out); break;
    case QREF_FAMILY_MX: span_mx(w, row, k0, k1, out); break;
    case QREF_FAMILY_NVFP4: span_nvfp4(w, row, k0, k1, out); break;
    case QREF_FAMILY_SPARSE: span_sparse(w, row, k0, k1, out); break;
    case QREF_FAMILY_GGUF: span_gguf(w, row, k0, k1, out); break;
    default: span_ref(w, row, k0, k1, out); break;
    }
}

int qcts_dequant_row_exact__scalar(const qcts_qview *w, int64_t row, qcts_dtype dt, void *out)
{
    double *hi = malloc(sizeof(double) * 2 * (size_t)w->cols);
    if (!hi)
        return -1;
    double *lo = hi + w->cols;
    qref_qtensor t;
    qref_error e;
    qcts_qview_as_qtensor(w, &t);
    memset(lo, 0, sizeof(double) * (size_t)w->cols);
    if (qref_dequantize_row_exact(&t, row, hi, lo, &e) != QREF_OK) {
        free(hi);
        return -1;
    }
    for (int64_t k = 0; k < w->cols; k++) {
        if (dt == QCTS_DT_F16)
            ((uint16_t *)out)[k] = qref_round2_to_f16(hi[k], lo[k]);
        else if (dt == QCTS_DT_BF16)
            ((uint16_t *)out)[k] = qref_round2_to_bf16(hi[k], lo[k]);
        else
            ((float *)out)[k] = qref_round2_to_f32(hi[k], lo[k]);
    }
    free(hi);
    return 0;
}
