/* Activation quantizers of the quantized-activation GEMM (actq.h) and its
 * generic product. Plain IEEE f32 operations in the order the semantics
 * state (built with -ffp-contract=off, no libm): the codes and scales are
 * the reference's, bit for bit, on every ISA and thread count. */
#include <stdlib.h>
#include <string.h>

#include "kernels/simd/actq.h"
#include "qref/fmt.h"

static int finite_f(float x) { return x - x == 0.0f; }

static float nan_f(void)
{
    uint32_t u = 0x7FC00000u;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static float abs_f(float x) { return x < 0.0f ? -x : x; }

/* NaN (0 x Inf, when 127 / amax overflows for a tiny amax) -> 0, else
 * clamped to [-128, 127]: the reference's sat8, applied before rounding
 * (the same result: rounding is monotonic and the bounds are integers). */
static float sat8f(float x) { return x != x ? 0.0f : x > 127.0f ? 127.0f : x < -128.0f ? -128.0f : x; }

/* Round to nearest, ties to even, of a saturated value (the 1.5 * 2^23
 * trick: the addition rounds away the fraction in the current mode, RNE). */
static int rne_i(float x)
{
    float t = sat8f(x) + 12582912.0f;   /* no fast-math: (x + c) - c is not reassociated */
    return (int)(t - 12582912.0f);
}

/* Round half away from zero (C roundf) of a saturated value. */
static int rna_i(float x)
{
    x = sat8f(x);
    int t = (int)x;                        /* toward zero, exact */
    float f = x - (float)t;                /* exact */
    if (f >= 0.5f)
        t++;
    else if (f <= -0.5f)
        t--;
    return t;
}

/* ggml nearest_int: the same trick, read from the bits. */
static int nearest_int_ggml(float fval)
{
    float val = fval + 12582912.0f;
    int32_t i;
    memcpy(&i, &val, 4);
    return (i & 0x007fffff) - 0x00400000;
}

void qcts_actq_int8_row(const float *a, int64_t K, int8_t *q, float *s)
{
    float amax = 0.0f;
    int bad = 0;
    for (int64_t k = 0; k < K; k++) {
        if (!finite_f(a[k]))
            bad = 1;
        else if (abs_f(a[k]) > amax)
            amax = abs_f(a[k]);
    }
    if (bad || amax == 0.0f) {
        if (K > 0)
            memset(q, 0, (size_t)K);
        *s = bad ? nan_f() : 0.0f;
        return;
    }
    const float inv = 127.0f / amax;
    for (int64_t k = 0; k < K; k++)
        q[k] = (int8_t)rne_i(a[k] * inv);
    *s = amax / 127.0f;
}

/* amax: the tensor's (>= 0, NaN when it holds a non-finite value), or < 0
 * to take the row's own. */
void qcts_actq_fp8_row(const float *a, int64_t K, float amax, int8_t *q, float *s)
{
    int bad = amax != amax;
    if (amax < 0.0f) {
        amax = 0.0f;
        for (int64_t k = 0; k < K; k++) {
            if (!finite_f(a[k]))
                bad = 1;
            else if (abs_f(a[k]) > amax)
                amax = abs_f(a[k]);
        }
    }
    if (bad || amax == 0.0f) {
        if (K > 0)
            memset(q, 0, (size_t)K);
        *s = bad ? nan_f() : 0.0f;
        return;
    }
    const float sc = amax / 448.0f;
    if (sc == 0.0f) {   /* amax / 448 underflowed: codes 0, as for amax 0 */
        if (K > 0)
            memset(q, 0, (size_t)K);
        *s = 0.0f;
        return;
    }
    for (int64_t k = 0; k < K; k++) {
        float v = a[k] / sc;
        v = v != v ? 0.0f : v < -448.0f ? -448.0f : v > 448.0f ? 448.0f : v;
        q[k] = (int8_t)qref_f32_to_e4m3_sat(v);
    }
    *s = sc;
}

/* Q8_0 / Q8_1 shared part: d, codes; returns the code sum (Q8_1). */
static int q8_block(const float *a, int8_t *q, uint16_t *dh, float *d)
{
    float amax = 0.0f;
    int bad = 0;
    for (int j = 0; j < 32; j++) {
        if (!finite_f(a[j]))
            bad = 1;
        else if (abs_f(a[j]) > amax)
            amax = abs_f(a[j]);
    }
    if (bad) {
        memset(q, 0, 32);
        *dh = 0x7E00;
        *d = nan_f();
        return 0;
    }
    const float dd = amax / 127.0f;
    const float id = dd != 0.0f ? 1.0f / dd : 0.0f;
    int sum = 0;
    for (int j = 0; j < 32; j++) {
        q[j] = (int8_t)rna_i(a[j] * id);
        sum += q[j];
    }
    *dh = qref_f32_to_f16(dd);
    *d = qref_f16_to_f32(*dh);
    return sum;
}

void qcts_actq_q8_0_block(const float *a, int8_t *q, uint16_t *dh, float *d) { (void)q8_block(a, q, dh, d); }

void qcts_actq_q8_1_block(const float *a, int8_t *q, uint16_t *dh, float *d, uint16_t *sh, float *s)
{
    int sum = q8_block(a, q, dh, d);
    if (*d != *d) {
        *sh = 0x7E00;
        *s = nan_f();
        return;
    }
    /* d * (float)sum with the unrounded f32 d, as ggml */
    float amax = 0.0f;
    for (int j = 0; j < 32; j++)
        if (abs_f(a[j]) > amax)
            amax = abs_f(a[j]);
    const float dd = amax / 127.0f;
    *sh = qref_f32_to_f16(dd * (float)sum);
    *s = qref_f16_to_f32(*sh);
}

void qcts_actq_q8_k_block(const float *a, int8_t *q, float *d, int16_t *bsums)
{
    float amax = 0.0f, max = 0.0f;
    int bad = 0;
    for (int j = 0; j < 256; j++) {
        if (!finite_f(a[j])) {
            bad = 1;
            continue;
        }
        float ax = abs_f(a[j]);
        if (ax > amax) {
            amax = ax;
            max = a[j];
        }
    }
    if (bad || amax == 0.0f) {
        memset(q, 0, 256);
        memset(bsums, 0, 16 * sizeof *bsums);
        *d = bad ? nan_f() : 0.0f;
        return;
    }
    const float iscale = -127.0f / max;
    for (int j = 0; j < 256; j++) {
        int v = nearest_int_ggml(iscale * a[j]);
        q[j] = (int8_t)(v < 127 ? v : 127);
    }
    for (int j = 0; j < 16; j++) {
        int sum = 0;
        for (int i = 0; i < 16; i++)
            sum += q[16 * j + i];
        bsums[j] = (int16_t)sum;
    }
    *d = 1.0f / iscale;
}

/* ---- buffers --------------------------------------------------------------------------- */

qcts_actq *qcts_actq_new(uint32_t mode, int64_t M, int64_t K)
{
    qcts_actq *aq = calloc(1, sizeof *aq);
    if (!aq)
        return NULL;
    aq->mode = mode;
    aq->M = M;
    aq->K = K;
    aq->blk = mode == QCTS_AQ_GGUF_Q8_0 || mode == QCTS_AQ_GGUF_Q8_1 ? 32 : mode == QCTS_AQ_GGUF_Q8_K ? 256 : K;
    aq->nblk = aq->blk > 0 ? (K + aq->blk - 1) / aq->blk : 0;
    const size_t MK = (size_t)(M * K), MB = (size_t)(M * aq->nblk);
    int ok = (aq->q = malloc(MK ? MK : 1)) && (aq->rs = malloc(sizeof(float) * (size_t)(M ? M : 1))) &&
             (aq->bd = malloc(sizeof(float) * (MB ? MB : 1))) && (aq->dh = malloc(2 * (MB ? MB : 1))) &&
             (aq->sh = malloc(2 * (MB ? MB : 1))) && (aq->bs = malloc(sizeof(float) * (MB ? MB : 1))) &&
             (aq->bsums = malloc(2 * (MK / 16 + 1)));
    /* the kernel layout: rows padded to 128 columns, 8 lanes per 32-block */
    aq->notile = getenv("QCTS_ACTQ_NOTILE") != NULL;   /* bench / tests: the untiled path */
    aq->kpad = (K + 127) / 128 * 128;
    aq->dastride = 8 * (aq->kpad / 32);
    ok = ok && (aq->pa = malloc((size_t)(M * aq->kpad) + 64)) &&
         (aq->corr = malloc(sizeof(int32_t) * (size_t)(M * aq->kpad / 4) + 64)) &&
         (aq->da = malloc(sizeof(float) * (size_t)(M * aq->dastride) + 64));
    if (!ok) {
        qcts_actq_free(aq);
        return NULL;
    }
    return aq;
}

void qcts_actq_free(qcts_actq *aq)
{
    if (!aq)
        return;
    free(aq->q);
    free(aq->rs);
    free(aq->bd);
    free(aq->dh);
    free(aq->sh);
    free(aq->bs);
    free(aq->bsums);
    free(aq->pa);
    free(aq->corr);
    free(aq->da);
    free(aq);
}

void qcts_actq_quantize(qcts_actq *aq, const float *a, int64_t lda)
{
    const int64_t M = aq->M, K = aq->K, nb = aq->nblk;
    float tamax = -1.0f;
    if (aq->mode == QCTS_AQ_FP8_E4M3_TENSOR) {
        tamax = 0.0f;
        for (int64_t m = 0; m < M; m++)
            for (int64_t k = 0; k < K; k++) {
                float v = a[m * lda + k];
                if (!finite_f(v))
                    tamax = nan_f();
                else if (tamax == tamax && abs_f(v) > tamax)
                    tamax = abs_f(v);
            }
    }
    for (int64_t m = 0; m < M; m++) {
        const float *ar = a + m * lda;
        int8_t *q = aq->q + m * K;
        switch (aq->mode) {
        case QCTS_AQ_INT8_TOKEN: qcts_actq_int8_row(ar, K, q, &aq->rs[m]); break;
        case QCTS_AQ_FP8_E4M3_TOKEN: qcts_actq_fp8_row(ar, K, -1.0f, q, &aq->rs[m]); break;
        case QCTS_AQ_FP8_E4M3_TENSOR: qcts_actq_fp8_row(ar, K, tamax, q, &aq->rs[m]); break;
        case QCTS_AQ_GGUF_Q8_0:
            aq->rs[m] = 1.0f;
            for (int64_t b = 0; b < nb; b++)
                qcts_actq_q8_0_block(ar + 32 * b, q + 32 * b, &aq->dh[m * nb + b], &aq->bd[m * nb + b]);
            break;
        case QCTS_AQ_GGUF_Q8_1:
            aq->rs[m] = 1.0f;
            for (int64_t b = 0; b < nb; b++)
                qcts_actq_q8_1_block(ar + 32 * b, q + 32 * b, &aq->dh[m * nb + b], &aq->bd[m * nb + b],
                                     &aq->sh[m * nb + b], &aq->bs[m * nb + b]);
            break;
        case QCTS_AQ_GGUF_Q8_K:
            aq->rs[m] = 1.0f;
            for (int64_t b = 0; b < nb; b++)
                qcts_actq_q8_k_block(ar + 256 * b, q + 256 * b, &aq->bd[m * nb + b], aq->bsums + (m * K + 256 * b) / 16);
            break;
        default: break;
        }
    }
}

/* ---- the generic product ------------------------------------------------------------------ */

static float f16v(const uint8_t *p) { return qref_f16_to_f32((uint16_t)(p[0] | (p[1] << 8))); }

/* The value of activation code k of row m as a double (exact). */
static double act_value(const qcts_actq *aq, int64_t m, int64_t k)
{
    const int8_t c = aq->q[m * aq->K + k];
    switch (aq->mode) {
    case QCTS_AQ_FP8_E4M3_TOKEN:
    case QCTS_AQ_FP8_E4M3_TENSOR: return (double)aq->rs[m] * (double)qref_e4m3_to_f32((uint8_t)c);
    case QCTS_AQ_INT8_TOKEN: return (double)aq->rs[m] * (double)c;
    default: return (double)aq->bd[m * aq->nblk + k / aq->blk] * (double)c;
    }
}

/* Q8_1 x Q4_1, ggml's formula per block: d_w d_a sumi + m_w s_a. */
static double q4_1_row(const qcts_actq *aq, const qcts_qview *w, int64_t m, int64_t n)
{
    const uint8_t *row = w->codes + (size_t)n * w->row_bytes;
    const int8_t *q = aq->q + m * aq->K;
    double acc = 0.0;
    for (int64_t b = 0; b < aq->nblk; b++) {
        const uint8_t *blk = row + 20 * b;
        int sumi = 0;
        for (int j = 0; j < 16; j++)
            sumi += (blk[4 + j] & 0xF) * q[32 * b + j] + (blk[4 + j] >> 4) * q[32 * b + j + 16];
        const double dd = (double)f16v(blk) * (double)aq->bd[m * aq->nblk + b];
        acc += dd * (double)sumi + (double)f16v(blk + 2) * (double)aq->bs[m * aq->nblk + b];
    }
    return acc;
}

void qcts_actq_gemm__scalar(const qcts_gemm_args *g, int64_t n0, int64_t n1, void *scratch)
{
    const qcts_actq *aq = g->aq;
    const qcts_qview *w = g->w;
    const int64_t K = w->cols;
    float *row = scratch;   /* K floats: the dequantized weight row */
    const int q41 = aq->mode == QCTS_AQ_GGUF_Q8_1;
    for (int64_t n = n0; n < n1; n++) {
        if (!q41)
            qcts_dequant_span__scalar(w, n, 0, K, row);
        for (int64_t m = 0; m < g->M; m++) {
            double acc = 0.0;
            if (q41)
                acc = q4_1_row(aq, w, m, n);
            else
                for (int64_t k = 0; k < K; k++)
                    acc += act_value(aq, m, k) * (double)row[k];
            if (g->bias)
                acc += (double)g->bias[n];
            g->y[m * g->ldy + n] = (float)acc;
        }
    }
}
