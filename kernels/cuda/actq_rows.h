/* kernels/cuda/actq_rows.h — the quantized-activation GEMM of the cuda
 * backend (qcts_gemm_desc.a_quant != NONE), for host and device alike
 * (QCU_HD): actq.cu runs these functions one GPU thread per row / block /
 * output; the CPU test plugin (tools/ops_host_plugin.c) runs the very same
 * functions on the host, so `make test` checks them against the qact golden
 * suites where there is no GPU.
 *
 * Quantizers: ref/include/qref/actquant.h (the authority) transcribed
 * operation for operation in float32 (one IEEE operation each, RNE, nothing
 * contracted: nvcc --fmad=false, the plugin -ffp-contract=off), so codes and
 * scales are the reference's bit for bit:
 *   pass 1  qcu_aq_row_max     per row of A: max|a|, NaN when the row holds
 *                              a NaN or an Inf (FP8 modes);
 *   pass 2  qcu_aq_tensor_max  per batch: the max of the row maxima (FP8
 *                              per tensor only: one scale spans every row);
 *   pass 3  qcu_aq_quant_block one group (token modes: the row; GGUF: a
 *                              block of 32 / 256): codes, the scale as its
 *                              float value (NaN when poisoned), Q8_1's s.
 * Product, qcu_aq_output (one output): where weight and activation are both
 * integers times a per-group scale (int8 token x integer group presets;
 * q8_0 / int8 token x gguf_q4_0 / gguf_q8_0; q8_1 x gguf_q4_1) the code
 * products of a unit (a weight group, at most 4096 wide, inside one
 * activation block) are summed in int32 (exact), then scaled in float32 as
 * ggml does (Σ_units isum·(d_w·d_a); int8 token: Σ isum·s_w, times s_a at
 * the end; Q8_1: d_w·d_a·isum + m_w·s_a, ggml's q4_1 x q8_1 dot). Every
 * other pair: per activation block the float32 FMA sum of code value x
 * weight (the exact weight rounded once to float32), times the block scale.
 * Both stay inside qref_gemm's bound (per term at most K + has_bias + 5
 * roundings) and are exact where every activation scale is a power of two
 * and gemm_fill's condition holds. A poisoned group's NaN scale reaches
 * every output of its row (FP8 tensor: of the batch), whatever W and bias.
 *
 * CUDA_OPS_HOST_WRONG-style plausible wrong kernels (qcu_aq_wrong, host
 * plugin only; 0 on the device): int8 ties away from zero, Q8_0 ties to
 * even, Q8_K ties away, FP8 per tensor with per-row scales, FP8 per token
 * encoded by truncation, Q8_1 with d_a·Σq_a in place of the stored s_a. */
#ifndef QCTS_KERNELS_CUDA_ACTQ_ROWS_H
#define QCTS_KERNELS_CUDA_ACTQ_ROWS_H

#include "kernels/cuda/ops_rows.h"
#include "kernels/cuda/qcu.h"

#define QCU_AQ_UNIT_MAX 4096   /* int32 unit: 4096 x 128 x 128 = 2^26 */

typedef struct qcu_aq {
    int mode;                  /* qcts_act_quant 1..6 */
    int path;                  /* QCU_AQP_* */
    int wrong;                 /* host plugin only: a plausible wrong kernel */
    int tc;                    /* the product on tensor cores (actq_tc.cu; QCTS_CUDA_GEMM=tc) */
    int64_t batch, M, N, K, lda, ldy;
    int64_t blk, nblk;         /* activation block (K for token/tensor modes) and blocks per row */
    int a_dtype, out_dtype;    /* 0 f32, 1 f16, 2 bf16 */
    const void *a;
    qcu_tensor w;              /* batch 0; batch b at + b x w_stride */
    int64_t w_stride;
    const float *bias;
    void *y;
    /* scratch (device or host): */
    int8_t *codes;             /* batch x M x K: int8 codes or e4m3 bytes */
    float *scales;             /* batch x M x nblk: the scale's float value */
    float *sums;               /* batch x M x nblk: Q8_1's s as its float value */
    float *rmax;               /* batch x M: max|a| of the row, NaN if poisoned */
    float *tmax;               /* batch: FP8 tensor max */
} qcu_aq;

/* ---- float32 primitives -------------------------------------------------------------- */

QCU_HD float qcu_aq_abs(float x) { return qcu_u2f(qcu_f2u(x) & 0x7FFFFFFFu); }
QCU_HD int qcu_aq_finite(float x) { return (qcu_f2u(x) & 0x7F800000u) != 0x7F800000u; }
QCU_HD float qcu_aq_nan(void) { return qcu_u2f(0x7FC00000u); }
/* a x b + c rounded once (glibc's fmaf is correctly rounded, as __fmaf_rn) */
QCU_HD float qcu_aq_fma(float a, float b, float c)
{
#ifdef __CUDA_ARCH__
    return __fmaf_rn(a, b, c);
#else
    return fmaf(a, b, c);
#endif
}
/* an exact double weight rounded once (RNE) to float32 */
QCU_HD float qcu_aq_wf(double v)
{
#ifdef __CUDA_ARCH__
    return __double2float_rn(v);
#else
    return (float)v;
#endif
}

/* sat8: NaN -> 0, else clamp to [-128, 127] (before rounding: the same
 * result, rounding is monotonic and the bounds are integers). */
QCU_HD float qcu_aq_sat8(float x) { return x != x ? 0.0f : x > 127.0f ? 127.0f : x < -128.0f ? -128.0f : x; }
/* ties to even: adding 1.5 x 2^23 rounds the fraction away in RNE */
QCU_HD int qcu_aq_rne(float x)
{
    float t = qcu_aq_sat8(x) + 12582912.0f;   /* no fast-math: (x + c) - c is not reassociated */
    return (int)(t - 12582912.0f);
}
/* ties away from zero (C roundf) */
QCU_HD int qcu_aq_rna(float x)
{
    x = qcu_aq_sat8(x);
    int t = (int)x;                 /* toward zero, exact */
    float f = x - (float)t;         /* exact */
    return f >= 0.5f ? t + 1 : f <= -0.5f ? t - 1 : t;
}
/* ggml's nearest_int (ties to even), read from the bits */
QCU_HD int qcu_aq_nearest_int(float f)
{
    float v = f + 12582912.0f;
    return (int)(qcu_f2u(v) & 0x007FFFFFu) - 0x00400000;
}

/* e4m3 (OCP) of a finite |v| <= 448, RNE; wrong: truncation. */
QCU_HD uint8_t qcu_aq_e4m3(float v, int trunc)
{
    uint32_t u = qcu_f2u(v), s = (u >> 24) & 0x80u, a = u & 0x7FFFFFFFu;
    if (a < 0x3C800000u) {   /* below 2^-6: subnormal, steps of 2^-9 (a x 512 exact) */
        float q = qcu_u2f(a) * 512.0f;
        int c = trunc ? (int)q : qcu_aq_rne(q);   /* 0..8 (8: the smallest normal) */
        return (uint8_t)(s | (uint32_t)c);
    }
    uint32_t r = trunc ? a : a + 0x7FFFFu + ((a >> 20) & 1u);   /* 3 mantissa bits, RNE */
    return (uint8_t)(s | ((r >> 20) - (120u << 3)));
}
/* the value of an e4m3 code (finite codes only) */
QCU_HD float qcu_aq_e4m3_value(uint8_t c) { return qcu_e4m3_raw(c) * 0x1p120f; }

/* ---- pass 1 and 2 --------------------------------------------------------------------- */

QCU_HD float qcu_aq_load(const qcu_aq *q, int64_t b, int64_t m, int64_t k)
{
    int64_t lda = q->lda ? q->lda : q->K;
    return qcu_ld(q->a_dtype, q->a, (b * q->M + m) * lda + k);
}

/* Row r = b x M + m: max|a| over [k0, k0 + n), NaN if one is not finite. */
QCU_HD float qcu_aq_span_max(const qcu_aq *q, int64_t b, int64_t m, int64_t k0, int64_t n)
{
    float amax = 0.0f;
    for (int64_t k = k0; k < k0 + n; k++) {
        float x = qcu_aq_load(q, b, m, k);
        if (!qcu_aq_finite(x))
            return qcu_aq_nan();
        amax = qcu_aq_abs(x) > amax ? qcu_aq_abs(x) : amax;
    }
    return amax;
}

QCU_HD void qcu_aq_row_max(const qcu_aq *q, int64_t r)
{
    q->rmax[r] = qcu_aq_span_max(q, r / q->M, r % q->M, 0, q->K);
}

/* The batch's max (NaN if any row is poisoned): the FP8 tensor scale's amax. */
QCU_HD void qcu_aq_tensor_max(const qcu_aq *q, int64_t b)
{
    float t = 0.0f;
    for (int64_t m = 0; m < q->M; m++) {
        float v = q->rmax[b * q->M + m];
        if (v != v) {
            t = v;
            break;
        }
        t = v > t ? v : t;
    }
    q->tmax[b] = t;
}

/* ---- pass 3: one group --------------------------------------------------------------- */

/* Group i = (b x M + m) x nblk + j. */
QCU_HD void qcu_aq_quant_block(const qcu_aq *q, int64_t i)
{
    const int64_t r = i / q->nblk, j = i % q->nblk, b = r / q->M, m = r % q->M, k0 = j * q->blk, n = q->blk;
    int8_t *c = q->codes + r * q->K + k0;
    const int mode = q->mode;
    if (mode == QCTS_AQ_INT8_TOKEN) {
        float amax = q->rmax[r];
        if (amax != amax || amax == 0.0f) {   /* poisoned, or all zero */
            for (int64_t k = 0; k < n; k++)
                c[k] = 0;
            q->scales[i] = amax;
            return;
        }
        const float inv = 127.0f / amax;
        for (int64_t k = 0; k < n; k++) {
            float v = qcu_aq_load(q, b, m, k0 + k) * inv;
            c[k] = (int8_t)(q->wrong ? qcu_aq_rna(v) : qcu_aq_rne(v));
        }
        q->scales[i] = amax / 127.0f;
    } else if (mode == QCTS_AQ_FP8_E4M3_TOKEN || mode == QCTS_AQ_FP8_E4M3_TENSOR) {
        float amax = mode == QCTS_AQ_FP8_E4M3_TENSOR && !q->wrong ? q->tmax[b] : q->rmax[r];
        float s = amax / 448.0f;   /* NaN stays NaN */
        q->scales[i] = s;
        const int trunc = q->wrong && mode == QCTS_AQ_FP8_E4M3_TOKEN;
        for (int64_t k = 0; k < n; k++) {
            if (s != s || s == 0.0f) {   /* poisoned, or amax 0 (or amax / 448 underflowed) */
                c[k] = 0;
                continue;
            }
            float v = qcu_aq_load(q, b, m, k0 + k) / s;
            v = v != v ? 0.0f : v > 448.0f ? 448.0f : v < -448.0f ? -448.0f : v;
            c[k] = (int8_t)qcu_aq_e4m3(v, trunc);
        }
    } else if (mode == QCTS_AQ_GGUF_Q8_0 || mode == QCTS_AQ_GGUF_Q8_1) {
        float amax = qcu_aq_span_max(q, b, m, k0, 32);
        if (amax != amax) {
            for (int k = 0; k < 32; k++)
                c[k] = 0;
            q->scales[i] = q->sums[i] = amax;
            return;
        }
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        int sum = 0;
        for (int k = 0; k < 32; k++) {
            float v = qcu_aq_load(q, b, m, k0 + k) * id;
            c[k] = (int8_t)(q->wrong && mode == QCTS_AQ_GGUF_Q8_0 ? qcu_aq_rne(v) : qcu_aq_rna(v));
            sum += c[k];
        }
        uint16_t h = qcu_f32_to_f16(d);
        uint8_t hb[2] = { (uint8_t)(h & 255u), (uint8_t)(h >> 8) };
        q->scales[i] = (float)qcu_f16(hb);
        if (mode == QCTS_AQ_GGUF_Q8_1) {   /* s = f16(d x Σq), d the float32 one (ggml) */
            h = qcu_f32_to_f16(d * (float)sum);
            hb[0] = (uint8_t)(h & 255u), hb[1] = (uint8_t)(h >> 8);
            q->sums[i] = (float)qcu_f16(hb);
        }
    } else {   /* Q8_K: blocks of 256 */
        float amax = 0.0f, max = 0.0f;
        int bad = 0;
        for (int k = 0; k < 256; k++) {
            float x = qcu_aq_load(q, b, m, k0 + k);
            if (!qcu_aq_finite(x)) {
                bad = 1;
                break;
            }
            if (qcu_aq_abs(x) > amax)
                amax = qcu_aq_abs(x), max = x;   /* the first of the largest |x| */
        }
        if (bad || amax == 0.0f) {
            for (int k = 0; k < 256; k++)
                c[k] = 0;
            q->scales[i] = bad ? qcu_aq_nan() : 0.0f;
            return;
        }
        const float iscale = -127.0f / max;
        for (int k = 0; k < 256; k++) {
            float v = iscale * qcu_aq_load(q, b, m, k0 + k);
            int t = q->wrong ? qcu_aq_rna(v) : qcu_aq_nearest_int(v);
            c[k] = (int8_t)(uint8_t)(unsigned)(t < 127 ? t : 127);   /* ggml: the low byte */
        }
        q->scales[i] = 1.0f / iscale;
    }
}

/* ---- the product ---------------------------------------------------------------------- */

/* Batch b's tensor (each batch's tensor scale is its last 4 bytes). */
QCU_HD qcu_tensor qcu_aq_batch_w(const qcu_aq *q, int64_t b)
{
    qcu_tensor t = q->w;
    if (b) {
        int64_t off = b * q->w_stride;
        t.codes = q->w.codes + off;
        t.scales = q->w.scales ? q->w.scales + off : 0;
        t.zeros = q->w.zeros ? q->w.zeros + off : 0;
        t.meta = q->w.meta ? q->w.meta + off : 0;
    }
    if (t.has_tscale) {
        const uint8_t *p = q->w.codes + b * q->w_stride + t.total - 4;
        t.tscale = qcu_u2f((uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24));
    }
    return t;
}

/* Integer weight code k of row n in a GROUP-kind integer preset (the
 * table's value is an integer; asymmetric: code - zero point). */
QCU_HD int qcu_aq_wint_group(const qcu_tensor *t, int64_t n, int64_t k, int64_t gi)
{
    unsigned code = qcu_packed_code(t->layout, t->bits, t->codes + n * t->row_bytes, k);
    return t->asym ? (int)code - (int)t->zeros[gi] : (int)t->tab->lut[code];
}

/* Weight row n's block j (32 wide) of Q4_0 / Q8_0 / Q4_1: element e's integer code. */
QCU_HD int qcu_aq_wint_gguf(const qcu_tensor *t, const uint8_t *blk, int e)
{
    if (t->gguf_type == 8)
        return (int)(int8_t)blk[2 + e];
    const uint8_t *qs = blk + (t->gguf_type == 3 ? 4 : 2);
    int v = e < 16 ? (qs[e] & 15) : (qs[e - 16] >> 4);
    return t->gguf_type == 3 ? v : v - 8;
}

/* Output (b, m, n) = o / (M N), (o / N) % M, o % N. */
QCU_HD void qcu_aq_output(const qcu_aq *q, int64_t o)
{
    const int64_t n = o % q->N, m = (o / q->N) % q->M, b = o / (q->N * q->M), r = b * q->M + m;
    const qcu_tensor t = qcu_aq_batch_w(q, b);
    const int8_t *c = q->codes + r * q->K;
    const float *sc = q->scales + r * q->nblk;
    const int fp8 = q->mode == QCTS_AQ_FP8_E4M3_TENSOR || q->mode == QCTS_AQ_FP8_E4M3_TOKEN;
    const int token = q->mode == QCTS_AQ_INT8_TOKEN;   /* one activation scale, applied at the end */
    float acc = 0.0f;
    if (q->path == QCU_AQP_INT_GROUP) {   /* int8 token x integer group preset */
        const int64_t glen = t.glen ? t.glen : q->K;
        for (int64_t g0 = 0; g0 < q->K; g0 += glen) {
            const int64_t gi = t.glen ? n * t.gpr + g0 / t.glen : 0;
            const float ws = qcu_aq_wf(qcu_scale(&t, gi));   /* f16/bf16/f32: exact */
            for (int64_t k0 = g0; k0 < g0 + glen; k0 += QCU_AQ_UNIT_MAX) {
                const int64_t k1 = k0 + QCU_AQ_UNIT_MAX < g0 + glen ? k0 + QCU_AQ_UNIT_MAX : g0 + glen;
                int32_t isum = 0;
                for (int64_t k = k0; k < k1; k++)
                    isum += (int32_t)c[k] * qcu_aq_wint_group(&t, n, k, gi);
                acc = qcu_aq_fma((float)isum, ws, acc);
            }
        }
        acc = acc * sc[0];
    } else if (q->path == QCU_AQP_INT_GGUF || q->path == QCU_AQP_Q4_1) {   /* blocks of 32 */
        const uint8_t *row = t.codes + n * t.row_bytes;
        for (int64_t j = 0; j < q->K / 32; j++) {
            const uint8_t *blk = row + j * t.gguf_bytes;
            int32_t isum = 0;
            for (int e = 0; e < 32; e++)
                isum += (int32_t)c[32 * j + e] * qcu_aq_wint_gguf(&t, blk, e);
            float dw = (float)qcu_f16(blk);
            if (token) {
                acc = qcu_aq_fma((float)isum, dw, acc);
            } else if (q->path == QCU_AQP_INT_GGUF) {
                acc = qcu_aq_fma((float)isum, dw * sc[j], acc);
            } else {   /* ggml q4_1 x q8_1: d_w d_a sumi + m_w s_a */
                float sa = q->sums[r * q->nblk + j];
                if (q->wrong) {   /* d_a x Σq_a in place of the stored f16 s_a */
                    int s = 0;
                    for (int e = 0; e < 32; e++)
                        s += c[32 * j + e];
                    sa = sc[j] * (float)s;
                }
                acc = qcu_aq_fma(dw * sc[j], (float)isum, acc);
                acc = qcu_aq_fma((float)qcu_f16(blk + 2), sa, acc);
            }
        }
        if (token)
            acc = acc * sc[0];
    } else {   /* any pair: per activation block, Σ code x w in float32, times the block scale */
        for (int64_t j = 0; j < q->nblk; j++) {
            float f = 0.0f;
            for (int64_t k = j * q->blk; k < (j + 1) * q->blk; k++) {
                float cv = fp8 ? qcu_aq_e4m3_value((uint8_t)c[k]) : (float)c[k];
                f = qcu_aq_fma(cv, qcu_aq_wf(qcu_value(&t, n, k)), f);
            }
            acc = qcu_aq_fma(f, sc[j], acc);
        }
    }
    if (q->bias)
        acc = acc + q->bias[b * q->N + n];
    int64_t ldy = q->ldy ? q->ldy : q->N;
    qcu_st(q->out_dtype, q->y, r * ldy + n, acc);
}

#endif
