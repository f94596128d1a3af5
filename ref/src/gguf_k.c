/* GGUF Q4_K and Q6_K: super-blocks of 256.
 *
 * Quantizers are ports of ggml's reference quantizers, which is what
 * llama-quantize writes when no importance matrix is given
 * (quantize_q4_K / quantize_q6_K with quant_weights == NULL call
 * quantize_row_q4_K_ref / quantize_row_q6_K_ref):
 *   Q4_K: per 32-element sub-block, make_qkx2_quants(32, 15, weights =
 *         sqrt(mean x^2) + |x|, rmin -1, rdelta 0.1, 20 steps) searches a
 *         scale and a min; the 8 scales and mins are quantized to 6 bits
 *         against their maxima (d = max_scale/63, dmin = max_min/63) and the
 *         elements re-quantized with the stored f16/6-bit values.
 *   Q6_K: per 16-element sub-block, make_qx_quants(16, 32, rmse_type 1:
 *         weights x^2) searches a scale over 19 candidates; the 16 scales
 *         are quantized to int8 against the largest magnitude (d =
 *         max_scale/-128) and the elements re-quantized.
 * Every float operation is done in float, in ggml's order, with ggml's
 * nearest_int (round half to even via 1.5*2^23); see gguf_impl.h for the
 * FMA / FLT_EVAL_METHOD conditions. sqrtf is IEEE correctly rounded.
 *
 * Dequantization is ggml dequantize_row_q4_K / q6_K computed exactly. */
#include <math.h>
#include <string.h>

#include "gguf_impl.h"

#define QK_K QREF_QK_K
#define GROUP_MAX_EPS 1e-15f

/* ---- ggml make_qkx2_quants ------------------------------------------------ */
static float make_qkx2_quants(int n, int nmax, const float *x, const float *weights, uint8_t *L,
                              float *the_min, uint8_t *Laux, float rmin, float rdelta, int nstep, int use_mad)
{
    float min = x[0];
    float max = x[0];
    float sum_w = weights[0];
    float sum_x = sum_w * x[0];
    for (int i = 1; i < n; ++i) {
        if (x[i] < min)
            min = x[i];
        if (x[i] > max)
            max = x[i];
        float w = weights[i];
        sum_w += w;
        sum_x += w * x[i];
    }
    if (min > 0)
        min = 0;
    if (max == min) {
        for (int i = 0; i < n; ++i)
            L[i] = 0;
        *the_min = -min;
        return 0.f;
    }
    float iscale = (float)nmax / (max - min);
    float scale = 1 / iscale;
    float best_error = 0;
    for (int i = 0; i < n; ++i) {
        int l = qref__nearest_int(iscale * (x[i] - min));
        L[i] = (uint8_t)(l < 0 ? 0 : l > nmax ? nmax : l);
        float diff = scale * (float)L[i] + min - x[i];
        diff = use_mad ? qref__absf(diff) : diff * diff;
        float w = weights[i];
        best_error += w * diff;
    }
    if (nstep < 1) {
        *the_min = -min;
        return scale;
    }
    for (int is = 0; is <= nstep; ++is) {
        iscale = (rmin + rdelta * (float)is + (float)nmax) / (max - min);
        float sum_l = 0, sum_l2 = 0, sum_xl = 0;
        for (int i = 0; i < n; ++i) {
            int l = qref__nearest_int(iscale * (x[i] - min));
            l = l < 0 ? 0 : l > nmax ? nmax : l;
            Laux[i] = (uint8_t)l;
            float w = weights[i];
            sum_l += w * (float)l;
            sum_l2 += w * (float)l * (float)l;
            sum_xl += w * (float)l * x[i];
        }
        float D = sum_w * sum_l2 - sum_l * sum_l;
        if (D > 0) {
            float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
            float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
            if (this_min > 0) {
                this_min = 0;
                this_scale = sum_xl / sum_l2;
            }
            float cur_error = 0;
            for (int i = 0; i < n; ++i) {
                float diff = this_scale * (float)Laux[i] + this_min - x[i];
                diff = use_mad ? qref__absf(diff) : diff * diff;
                float w = weights[i];
                cur_error += w * diff;
            }
            if (cur_error < best_error) {
                for (int i = 0; i < n; ++i)
                    L[i] = Laux[i];
                best_error = cur_error;
                scale = this_scale;
                min = this_min;
            }
        }
    }
    *the_min = -min;
    return scale;
}

/* ggml get_scale_min_k4: the j-th 6-bit scale and min of a Q4_K block. */
static void get_scale_min_k4(int j, const uint8_t *q, int *d, int *m)
{
    if (j < 4) {
        *d = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
        *m = (q[j + 4] >> 4) | ((q[j - 0] >> 6) << 4);
    }
}

/* ---- Q4_K: ggml quantize_row_q4_K_ref, one super-block ------------------- */
static void q4_k_quantize(const float *x, uint8_t *blk)
{
    uint8_t L[QK_K], Laux[32];
    float weights[32], mins[QK_K / 32], scales[QK_K / 32];
    uint8_t *sc_bytes = blk + offsetof(qref_block_q4_k, scales);

    float max_scale = 0, max_min = 0;
    for (int j = 0; j < QK_K / 32; ++j) {
        float sum_x2 = 0;
        for (int l = 0; l < 32; ++l)
            sum_x2 += x[32 * j + l] * x[32 * j + l];
        float av_x = sqrtf(sum_x2 / 32);
        for (int l = 0; l < 32; ++l)
            weights[l] = av_x + qref__absf(x[32 * j + l]);
        scales[j] = make_qkx2_quants(32, 15, x + 32 * j, weights, L + 32 * j, &mins[j], Laux, -1.f, 0.1f, 20, 0);
        if (scales[j] > max_scale)
            max_scale = scales[j];
        if (mins[j] > max_min)
            max_min = mins[j];
    }

    float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
    float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
    memset(sc_bytes, 0, QREF_K_SCALE_SIZE);
    for (int j = 0; j < QK_K / 32; ++j) {
        int ls = qref__nearest_int(inv_scale * scales[j]) & 0xFF;   /* stored to uint8_t first */
        int lm = qref__nearest_int(inv_min * mins[j]) & 0xFF;
        ls = ls < 63 ? ls : 63;
        lm = lm < 63 ? lm : 63;
        if (j < 4) {
            sc_bytes[j] = (uint8_t)ls;
            sc_bytes[j + 4] = (uint8_t)lm;
        } else {
            sc_bytes[j + 4] = (uint8_t)((ls & 0xF) | ((lm & 0xF) << 4));
            sc_bytes[j - 4] |= (uint8_t)((ls >> 4) << 6);
            sc_bytes[j - 0] |= (uint8_t)((lm >> 4) << 6);
        }
    }
    qref__put_f16(blk + offsetof(qref_block_q4_k, d), max_scale / 63.f);
    qref__put_f16(blk + offsetof(qref_block_q4_k, dmin), max_min / 63.f);

    const float d16 = qref__f16_at_f(blk + offsetof(qref_block_q4_k, d));
    const float dmin16 = qref__f16_at_f(blk + offsetof(qref_block_q4_k, dmin));
    for (int j = 0; j < QK_K / 32; ++j) {
        int sc, m;
        get_scale_min_k4(j, sc_bytes, &sc, &m);
        const float d = d16 * (float)sc;
        if (d == 0.0f)
            continue;   /* ggml keeps make_qkx2_quants' L for this sub-block */
        const float dm = dmin16 * (float)m;
        for (int ii = 0; ii < 32; ++ii) {
            int l = qref__nearest_int((x[32 * j + ii] + dm) / d);
            L[32 * j + ii] = (uint8_t)(l < 0 ? 0 : l > 15 ? 15 : l);
        }
    }

    uint8_t *q = blk + offsetof(qref_block_q4_k, qs);
    for (int j = 0; j < QK_K; j += 64) {
        for (int l = 0; l < 32; ++l)
            q[l] = (uint8_t)(L[j + l] | (L[j + l + 32] << 4));
        q += 32;
    }
}

/* ggml dequantize_row_q4_K: per 64-element chunk c, sub-blocks 2c (low
 * nibbles) and 2c+1 (high nibbles): y = d*sc*q - dmin*m. Exact: the two
 * products are exact, their difference is a multiple of 2^-24 below 2^23. */
static void q4_k_dequant(const uint8_t *blk, double *hi, double *lo)
{
    const double d = qref__f16_at(blk + offsetof(qref_block_q4_k, d));
    const double dmin = qref__f16_at(blk + offsetof(qref_block_q4_k, dmin));
    const uint8_t *scales = blk + offsetof(qref_block_q4_k, scales);
    const uint8_t *q = blk + offsetof(qref_block_q4_k, qs);
    for (int c = 0; c < QK_K / 64; c++) {
        int sc1, m1, sc2, m2;
        get_scale_min_k4(2 * c, scales, &sc1, &m1);
        get_scale_min_k4(2 * c + 1, scales, &sc2, &m2);
        const double d1 = d * sc1, mm1 = dmin * m1, d2 = d * sc2, mm2 = dmin * m2;
        for (int l = 0; l < 32; l++) {
            qref__two_sum(d1 * (double)(q[32 * c + l] & 0xF), -mm1, &hi[64 * c + l], &lo[64 * c + l]);
            qref__two_sum(d2 * (double)(q[32 * c + l] >> 4), -mm2, &hi[64 * c + 32 + l], &lo[64 * c + 32 + l]);
        }
    }
}

static int q4_k_check(const uint8_t *blk, char *why, size_t len)
{
    if (qref__gguf_check_f16(blk + offsetof(qref_block_q4_k, d), "scale d", why, len))
        return 1;
    return qref__gguf_check_f16(blk + offsetof(qref_block_q4_k, dmin), "min scale dmin", why, len);
}

/* ---- ggml make_qx_quants with rmse_type 1 and no importance weights ------- */
static float make_qx_quants_rmse1(int n, int nmax, const float *x, int8_t *L)
{
    float max = 0, amax = 0;
    for (int i = 0; i < n; ++i) {
        float ax = qref__absf(x[i]);
        if (ax > amax) {
            amax = ax;
            max = x[i];
        }
    }
    if (amax < GROUP_MAX_EPS) {
        for (int i = 0; i < n; ++i)
            L[i] = 0;
        return 0.f;
    }
    float iscale = (float)-nmax / max;
    float sumlx = 0, suml2 = 0;
    for (int i = 0; i < n; ++i) {
        int l = qref__nearest_int(iscale * x[i]);
        l = l < -nmax ? -nmax : l > nmax - 1 ? nmax - 1 : l;
        L[i] = (int8_t)(l + nmax);
        float w = x[i] * x[i];
        sumlx += w * x[i] * (float)l;
        suml2 += w * (float)l * (float)l;
    }
    float scale = suml2 != 0.0f ? sumlx / suml2 : 0.0f;
    float best = scale * sumlx;
    for (int is = -9; is <= 9; ++is) {
        if (is == 0)
            continue;
        iscale = -((float)nmax + 0.1f * (float)is) / max;
        sumlx = suml2 = 0;
        for (int i = 0; i < n; ++i) {
            int l = qref__nearest_int(iscale * x[i]);
            l = l < -nmax ? -nmax : l > nmax - 1 ? nmax - 1 : l;
            float w = x[i] * x[i];
            sumlx += w * x[i] * (float)l;
            suml2 += w * (float)l * (float)l;
        }
        if (suml2 > 0 && sumlx * sumlx > best * suml2) {
            for (int i = 0; i < n; ++i) {
                int l = qref__nearest_int(iscale * x[i]);
                L[i] = (int8_t)(nmax + (l < -nmax ? -nmax : l > nmax - 1 ? nmax - 1 : l));
            }
            scale = sumlx / suml2;
            best = scale * sumlx;
        }
    }
    return scale;
}

/* ---- Q6_K: ggml quantize_row_q6_K_ref, one super-block ------------------- */
static void q6_k_quantize(const float *x, uint8_t *blk)
{
    int8_t L[QK_K];
    float scales[QK_K / 16];
    float max_scale = 0, max_abs_scale = 0;

    for (int ib = 0; ib < QK_K / 16; ++ib) {
        const float scale = make_qx_quants_rmse1(16, 32, x + 16 * ib, L + 16 * ib);
        scales[ib] = scale;
        const float abs_scale = qref__absf(scale);
        if (abs_scale > max_abs_scale) {
            max_abs_scale = abs_scale;
            max_scale = scale;
        }
    }

    memset(blk, 0, sizeof(qref_block_q6_k));
    if (max_abs_scale < GROUP_MAX_EPS)
        return;   /* ggml: all-zero block, d = +0 */

    uint8_t *sc = blk + offsetof(qref_block_q6_k, scales);
    float iscale = -128.f / max_scale;
    qref__put_f16(blk + offsetof(qref_block_q6_k, d), 1 / iscale);
    for (int ib = 0; ib < QK_K / 16; ++ib) {
        int v = qref__nearest_int(iscale * scales[ib]);
        sc[ib] = (uint8_t)(qref__wrap_i8(v < 127 ? v : 127) & 0xFF);
    }

    const float d16 = qref__f16_at_f(blk + offsetof(qref_block_q6_k, d));
    for (int j = 0; j < QK_K / 16; ++j) {
        float d = d16 * (float)qref__wrap_i8(sc[j]);
        if (d == 0.0f)
            continue;   /* ggml keeps make_qx_quants' L for this sub-block */
        for (int ii = 0; ii < 16; ++ii) {
            int l = qref__nearest_int(x[16 * j + ii] / d);
            l = l < -32 ? -32 : l > 31 ? 31 : l;
            L[16 * j + ii] = (int8_t)(l + 32);
        }
    }

    uint8_t *ql = blk + offsetof(qref_block_q6_k, ql);
    uint8_t *qh = blk + offsetof(qref_block_q6_k, qh);
    for (int j = 0; j < QK_K; j += 128) {
        for (int l = 0; l < 32; ++l) {
            const int q1 = L[j + l + 0] & 0xF, q2 = L[j + l + 32] & 0xF;
            const int q3 = L[j + l + 64] & 0xF, q4 = L[j + l + 96] & 0xF;
            ql[l + 0] = (uint8_t)(q1 | (q3 << 4));
            ql[l + 32] = (uint8_t)(q2 | (q4 << 4));
            qh[l] = (uint8_t)((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) |
                              ((L[j + l + 96] >> 4) << 6));
        }
        ql += 64;
        qh += 32;
    }
}

/* ggml dequantize_row_q6_K: per 128-element half h, l = 0..31, scale group
 * is = l/16: y[l] (ql low, qh bits 0-1, sc[is]), y[l+32] (ql[l+32] low, qh
 * bits 2-3, sc[is+2]), y[l+64] (ql high, qh bits 4-5, sc[is+4]), y[l+96]
 * (ql[l+32] high, qh bits 6-7, sc[is+6]); y = d * sc * (q - 32), exact. */
static void q6_k_dequant(const uint8_t *blk, double *hi, double *lo)
{
    const double d = qref__f16_at(blk + offsetof(qref_block_q6_k, d));
    const uint8_t *ql = blk + offsetof(qref_block_q6_k, ql);
    const uint8_t *qh = blk + offsetof(qref_block_q6_k, qh);
    const uint8_t *sc = blk + offsetof(qref_block_q6_k, scales);
    for (int h = 0; h < 2; h++) {
        const uint8_t *l8 = ql + 64 * h, *h8 = qh + 32 * h, *s8 = sc + 8 * h;
        double *y = hi + 128 * h;
        for (int l = 0; l < 32; ++l) {
            const int is = l / 16;
            const int q1 = ((l8[l] & 0xF) | (((h8[l] >> 0) & 3) << 4)) - 32;
            const int q2 = ((l8[l + 32] & 0xF) | (((h8[l] >> 2) & 3) << 4)) - 32;
            const int q3 = ((l8[l] >> 4) | (((h8[l] >> 4) & 3) << 4)) - 32;
            const int q4 = ((l8[l + 32] >> 4) | (((h8[l] >> 6) & 3) << 4)) - 32;
            y[l + 0] = d * qref__wrap_i8(s8[is + 0]) * q1;
            y[l + 32] = d * qref__wrap_i8(s8[is + 2]) * q2;
            y[l + 64] = d * qref__wrap_i8(s8[is + 4]) * q3;
            y[l + 96] = d * qref__wrap_i8(s8[is + 6]) * q4;
        }
    }
    for (int i = 0; i < QK_K; i++)
        lo[i] = 0.0;
}

static int q6_k_check(const uint8_t *blk, char *why, size_t len)
{
    return qref__gguf_check_f16(blk + offsetof(qref_block_q6_k, d), "scale d", why, len);
}

const qref__gguf_type qref__gguf_q4_k = { QREF_GGML_TYPE_Q4_K, "Q4_K", QREF_QK_K, sizeof(qref_block_q4_k),
                                          q4_k_quantize, q4_k_dequant, q4_k_check, NULL };
const qref__gguf_type qref__gguf_q6_k = { QREF_GGML_TYPE_Q6_K, "Q6_K", QREF_QK_K, sizeof(qref_block_q6_k),
                                          q6_k_quantize, q6_k_dequant, q6_k_check, NULL };
