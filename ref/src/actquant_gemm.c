/* The quantized-activation GEMM (qref_gemm with a_quant != 0; qref/gemm.h,
 * qref/actquant.h).
 *
 * ---- The exact value -------------------------------------------------------------
 * A is quantized by qref_aq_quantize. Every activation value s·c is an exact
 * product of a float scale (24-bit significand at most; f16 scales 11) and a
 * code (int8: |c| <= 128, 8 bits; e4m3: a 4-bit significand): an integer
 * below 2^32 times a power of two, i.e. a qref__aent with a 32-bit mant.
 * Weights are dequantized exactly (hi + lo) and cut into pieces of at most
 * 32 bits (a 53-bit double: 32 + 21). A term is then mant_a·mant_w < 2^64,
 * one exact uint64 multiplication, added into gemm.c's limb accumulator
 * (ACC_BASE -1248: the smallest offset is -158 (a subnormal fp8 scale times
 * the e4m3 value 2^-9) - 1074 + 1248 >= 0; the largest 127 + 1055 + 1248 +
 * 64 bits stays in limb 77 < 80), so the sum is exact in any order and
 * rounded once (gemm.c, step 5).
 * Q8_1 follows ggml's q4_1 x q8_1 dot: per block d_w·d_a·Σ q_w·q_a + m_w·s_a,
 * where s_a = f16(d·Σq_a) is stored, not d_a·Σ q_a. Since w = d_w·q_w + m_w,
 * that is Σ a·w + m_w·(s_a − d_a·Σq_a): two extra terms per block, m_w·s_a
 * and −m_w·(d_a·Σq_a), both exact products of small integers.
 *
 * ---- Non-finite ----------------------------------------------------------------------
 * A poisoned row (qref/actquant.h) gives NaN across its output row (FP8
 * tensor: the whole batch), bound 0 (compare exactly). Otherwise a non-finite
 * weight or bias follows IEEE on the terms value·w (gemm.c's rule with the
 * quantized values: NaN, Inf·0 or mixed infinities give NaN, else ±Inf).
 *
 * ---- The bound -------------------------------------------------------------------------
 * gemm.c's derivation, with the activation values in place of a. A kernel
 * may form, per term, s·q (1 rounding), the weight (1, or 2 for two-level
 * scales), a scale product s·d_w (1) and a group sum times a scale (1), plus
 * the product and the sum tree: at most n_t + 5 roundings per term, so
 * K' = K + has_bias + 5 (gemm.c has + 2). Integer dot products inside a
 * block are exact (|Σ q·q| < 2^24 for a block of 256). The underflow part:
 * an absolute error e <= η of a scale product is multiplied by an integer
 * group sum below 2^23, so c_eta = 2^24 per term replaces 2. For Q8_1, S
 * also counts |m_w|·(Σ_block |value| + |s_a|), covering a kernel that sums
 * the d_w·q_w part and the m_w part apart.
 *
 * ---- Exact fill ------------------------------------------------------------------------
 * When every activation scale is a power of two (or 0) in [2^-40, 2^40], s·q
 * and s·d_w are exact for every f32 weight scale a kernel may multiply by,
 * and the activation values are exact f32 numbers: gemm_fill.c's condition
 * on A_q = the values then says that every partial sum of every order is
 * exact (its terms are the same products). Q8_1 is exact only where s_a ==
 * d_a·Σ q_a in every block (then ggml's formula is Σ a·w); f16 accumulation
 * is never called exact here. */
#include <stdlib.h>
#include <string.h>

#include "gemm_impl.h"
#include "qref/actquant.h"
#include "qref/bits.h"
#include "scheme_impl.h"

#define CHUNK 1024   /* renormalise the limbs every CHUNK terms (gemm.c step 2) */

static double fabs_d(double x) { return x < 0 ? -x : x; }

/* Trailing zero bits moved into the exponent: an f16 scale then has at
 * most 11 bits, an e4m3 value 4, an f32 24. */
static qref__aent strip(qref__aent e)
{
    while (e.mant && !(e.mant & 1u))
        e.mant >>= 1, e.exp++;
    return e;
}

/* A float32 as ±mant·2^exp (qref__aent_of), then times the code value:
 * 24 + 8 or 24 + 4 bits, below 2^32. */
static qref__aent value_of(float scale, qref_aq mode, uint8_t code)
{
    qref__aent s = strip(qref__aent_of(scale)), c;
    if (mode == QREF_AQ_FP8_E4M3_TENSOR || mode == QREF_AQ_FP8_E4M3_TOKEN) {
        c = strip(qref__aent_of(qref_e4m3_to_f32(code)));   /* finite: satfinite codes only */
    } else {
        int v = (int8_t)code;
        c = (qref__aent){ (uint32_t)(v < 0 ? -v : v), 0, (uint8_t)(v < 0), 0 };
    }
    if (!s.mant || !c.mant)
        return (qref__aent){ 0, 0, 0, 0 };
    return (qref__aent){ s.mant * c.mant, (int16_t)(s.exp + c.exp), (uint8_t)(s.neg ^ c.neg), 0 };
}

static double aent_value(qref__aent e)
{
    double v = (double)e.mant;
    int x = e.exp;
    for (; x > 0; x--)
        v *= 2.0;
    for (; x < 0; x++)
        v *= 0.5;
    return e.neg ? -v : v;
}

/* A weight piece: mant < 2^32 at an absolute exponent. */
typedef struct piece {
    uint32_t mant;
    int32_t k;
    int16_t exp;
    uint16_t neg;
} piece;

/* Pieces of the exact row; 1 if some weight is Inf/NaN (then pieces are
 * not used). */
static int cut_row(const double *hi, const double *lo, int64_t K, piece *wp, size_t *np, double *wabs, double *sumw)
{
    size_t n = 0;
    double s = 0.0;
    int bad = 0;
    for (int64_t k = 0; k < K; k++) {
        const double part[2] = { hi[k], lo[k] };
        for (int h = 0; h < 2; h++) {
            uint64_t mant;
            int exp, neg;
            if (qref__double_parts(part[h], &mant, &exp, &neg)) {
                bad = 1;
                continue;
            }
            while (mant) {
                wp[n++] = (piece){ (uint32_t)(mant & 0xFFFFFFFFull), (int32_t)k, (int16_t)exp, (uint16_t)neg };
                mant >>= 32, exp += 32;
            }
        }
        wabs[k] = fabs_d(hi[k]) + fabs_d(lo[k]);
        s += wabs[k];
    }
    *np = n;
    *sumw = s;
    return bad;
}

/* IEEE class of Σ value_k·w_k (+ bias) with a non-finite weight or bias:
 * 1 NaN, 2 +Inf, 3 -Inf. */
static int special_class(const qref__aent *av, const double *hi, int64_t K, const float *bias)
{
    int pinf = 0, ninf = 0;
    for (int64_t k = 0; k < K; k++) {
        uint64_t wb = qref_f64_bits(hi[k]), mag = wb & 0x7FFFFFFFFFFFFFFFull;
        if (mag > 0x7FF0000000000000ull)
            return 1;
        if (mag != 0x7FF0000000000000ull)
            continue;
        if (!av[k].mant)
            return 1;   /* Inf·0 */
        *(((unsigned)(wb >> 63) ^ av[k].neg) ? &ninf : &pinf) = 1;
    }
    if (bias) {
        uint32_t bb = qref_f32_bits(*bias);
        if (qref_f32_is_nan(bb))
            return 1;
        if (qref_f32_is_inf(bb))
            *((bb >> 31) ? &ninf : &pinf) = 1;
    }
    return pinf && ninf ? 1 : pinf ? 2 : ninf ? 3 : 1;
}

/* Everything about A of one batch after quantization. */
typedef struct aq_batch {
    qref__aent *val;      /* M·K activation values */
    double *vabs;         /* |value| */
    double *suma;         /* per row Σ|value| */
    uint8_t *poison;      /* per row */
    /* Q8_1: per row and block, s_a and d_a·Σq as values */
    qref__aent *sa, *dsum;
    double *sa_abs, *blk_abs;
    float *af, *scales, *sums;
    uint8_t *codes;
} aq_batch;

static void aq_free(aq_batch *q)
{
    free(q->val), free(q->vabs), free(q->suma), free(q->poison), free(q->sa), free(q->dsum);
    free(q->sa_abs), free(q->blk_abs), free(q->af), free(q->scales), free(q->sums), free(q->codes);
}

static int aq_alloc(aq_batch *q, qref_aq mode, int64_t M, int64_t K)
{
    size_t mk = (size_t)(M * K), nb = (size_t)(M * (K / 32)), ns = (size_t)qref_aq_scale_count(mode, M, K);
    memset(q, 0, sizeof *q);
    q->val = malloc(sizeof *q->val * mk);
    q->vabs = malloc(sizeof *q->vabs * mk);
    q->suma = malloc(sizeof *q->suma * (size_t)M);
    q->poison = malloc((size_t)M);
    q->af = malloc(sizeof *q->af * mk);
    q->codes = malloc(mk);
    q->scales = malloc(sizeof *q->scales * ns);
    q->sums = malloc(sizeof *q->sums * (nb ? nb : 1));
    q->sa = malloc(sizeof *q->sa * (nb ? nb : 1));
    q->dsum = malloc(sizeof *q->dsum * (nb ? nb : 1));
    q->sa_abs = malloc(sizeof *q->sa_abs * (nb ? nb : 1));
    q->blk_abs = malloc(sizeof *q->blk_abs * (nb ? nb : 1));
    return q->val && q->vabs && q->suma && q->poison && q->af && q->codes && q->scales && q->sums && q->sa &&
           q->dsum && q->sa_abs && q->blk_abs;
}

/* Quantizes A of batch b and builds the values. */
static void aq_prepare(aq_batch *q, qref_aq mode, const qref_gemm_desc *d, const void *a, int64_t lda, int64_t b)
{
    const int64_t M = d->M, K = d->K, blk = qref_aq_block(mode, K), nblk = K / blk;
    for (int64_t m = 0; m < M; m++)
        for (int64_t k = 0; k < K; k++)
            q->af[m * K + k] = qref__a_at(d, a, lda, b, m, k);
    qref_aq_quantize(mode, q->af, M, K, K, q->codes, q->scales, q->sums, q->poison);   /* sizes checked */
    for (int64_t m = 0; m < M; m++) {
        double s = 0.0;
        for (int64_t k = 0; k < K; k++) {
            int64_t si = mode == QREF_AQ_FP8_E4M3_TENSOR ? 0 : blk == K ? m : m * nblk + k / blk;
            qref__aent v = q->poison[m] ? (qref__aent){ 0, 0, 0, 0 } : value_of(q->scales[si], mode, q->codes[m * K + k]);
            q->val[m * K + k] = v;
            q->vabs[m * K + k] = fabs_d(aent_value(v));
            s += q->vabs[m * K + k];
        }
        q->suma[m] = s;
        if (mode != QREF_AQ_GGUF_Q8_1 || q->poison[m])
            continue;
        for (int64_t j = 0; j < nblk; j++) {
            int64_t si = m * nblk + j;
            int sum = 0;
            double ba = 0.0;
            for (int64_t k = j * 32; k < j * 32 + 32; k++)
                sum += (int8_t)q->codes[m * K + k], ba += q->vabs[m * K + k];
            qref__aent da = strip(qref__aent_of(q->scales[si]));   /* 11 bits, times |sum| < 2^13 */
            q->dsum[si] = (qref__aent){ da.mant * (uint32_t)(sum < 0 ? -sum : sum), da.exp,
                                        (uint8_t)(da.neg ^ (sum < 0)), 0 };
            if (!sum)
                q->dsum[si] = (qref__aent){ 0, 0, 0, 0 };
            q->sa[si] = qref__aent_of(q->sums[si]);
            q->sa_abs[si] = fabs_d((double)q->sums[si]);
            q->blk_abs[si] = ba;
        }
    }
}

/* m_w of Q4_1 block j of weight row n (f16 at byte 2 of the 20-byte block). */
static double q4_1_min(const qref_qtensor *t, int64_t n, int64_t j)
{
    const uint8_t *p = t->codes + ((size_t)n * (size_t)(t->cols / 32) + (size_t)j) * 20 + 2;
    return (double)qref_f16_to_f32((uint16_t)(p[0] | (p[1] << 8)));
}

static qref_status check_mode(const qref_gemm_desc *d, const qref_qtensor *w, qref_error *err)
{
    qref_aq mode = (qref_aq)d->a_quant;
    if (d->a_quant < 0 || d->a_quant >= QREF_AQ_COUNT)
        return qref__fail(err, QREF_ERR_ARG, -1, -1, "gemm: a_quant %d is not an activation quantization (0-6)",
                          d->a_quant);
    for (int64_t b = 0; b < d->batch; b++)
        if (qref_aq_pairs_with(mode, w[b].scheme) != QREF_OK)
            return qref__fail(err, QREF_ERR_UNSUPPORTED, -1, -1,
                              "gemm: activation quantization %s does not pair with weight scheme %s "
                              "(ggml's vec_dot_type)", qref_aq_name(mode), w[b].scheme->name);
    int64_t blk = qref_aq_block(mode, d->K);
    if (d->K % blk)
        return qref__fail(err, QREF_ERR_SIZE, -1, -1, "gemm: K %lld is not a multiple of the %s block %lld",
                          (long long)d->K, qref_aq_name(mode), (long long)blk);
    return QREF_OK;
}

qref_status qref__gemm_aq(const qref_gemm_desc *d, const void *a, const qref_qtensor *w, const float *bias, void *y,
                          float *bound, qref_acc acc, qref_error *err)
{
    int64_t lda, ldy;
    qref_status st = qref__gemm_check(d, a, w, bias, acc, &lda, &ldy, err);
    if (st == QREF_OK)
        st = check_mode(d, w, err);
    if (st != QREF_OK)
        return st;
    if (!y)
        return qref__fail(err, QREF_ERR_ARG, -1, -1, "gemm: no output given");
    const qref_aq mode = (qref_aq)d->a_quant;
    const int64_t M = d->M, N = d->N, K = d->K, nb32 = K / 32;
    aq_batch q;
    int ok = aq_alloc(&q, mode, M, K);
    double *hi = malloc(sizeof *hi * (size_t)K), *lo = malloc(sizeof *lo * (size_t)K);
    double *wabs = malloc(sizeof *wabs * (size_t)K), *mw = malloc(sizeof *mw * (size_t)(nb32 ? nb32 : 1));
    piece *wp = malloc(sizeof *wp * 4 * (size_t)K);
    int64_t *L = malloc(sizeof *L * QREF__ACC_LIMBS);
    if (!ok || !hi || !lo || !wabs || !mw || !wp || !L) {
        st = qref__fail(err, QREF_ERR_SIZE, -1, -1, "gemm: out of memory");
        goto done;
    }
    for (int64_t b = 0; b < d->batch && st == QREF_OK; b++) {
        aq_prepare(&q, mode, d, a, lda, b);
        for (int64_t n = 0; n < N; n++) {
            memset(lo, 0, sizeof *lo * (size_t)K);
            if ((st = qref_dequantize_row_exact(&w[b], n, hi, lo, err)) != QREF_OK)
                break;
            size_t np;
            double sumw;
            int wnf = cut_row(hi, lo, K, wp, &np, wabs, &sumw);
            if (mode == QREF_AQ_GGUF_Q8_1)
                for (int64_t j = 0; j < nb32; j++)
                    mw[j] = q4_1_min(&w[b], n, j);
            const float *bn = d->has_bias ? &bias[b * N + n] : NULL;
            qref__aent be = bn ? qref__aent_of(*bn) : (qref__aent){ 0, 0, 0, 0 };
            for (int64_t m = 0; m < M; m++) {
                size_t yi = (size_t)((b * M + m) * ldy + n), bi = (size_t)((b * M + m) * N + n);
                const qref__aent *av = &q.val[m * K];
                if (q.poison[m] || wnf || be.nonfinite) {
                    qref__gemm_store_special(d->out_dtype, y, yi, q.poison[m] ? 1 : special_class(av, hi, K, bn));
                    if (bound)
                        bound[bi] = 0.0f;
                    continue;
                }
                memset(L, 0, sizeof *L * QREF__ACC_LIMBS);
                for (size_t p = 0; p < np; p++) {
                    const qref__aent *x = &av[wp[p].k];
                    if (x->mant)
                        qref__xacc_add(L, (uint64_t)x->mant * wp[p].mant, x->exp + wp[p].exp - QREF__ACC_BASE,
                                       x->neg ^ wp[p].neg);
                    if ((p + 1) % CHUNK == 0)
                        qref__xacc_norm(L);
                }
                double extra = 0.0;
                if (mode == QREF_AQ_GGUF_Q8_1) {
                    for (int64_t j = 0; j < nb32; j++) {
                        uint64_t mm = 0;
                        int me = 0, mn = 0;
                        qref__double_parts(mw[j], &mm, &me, &mn);   /* f16 value: finite (else wnf) */
                        const qref__aent *s = &q.sa[m * nb32 + j], *ds = &q.dsum[m * nb32 + j];
                        if (mm && s->mant)
                            qref__xacc_add(L, mm * s->mant, me + s->exp - QREF__ACC_BASE, (unsigned)mn ^ s->neg);
                        if (mm && ds->mant)
                            qref__xacc_add(L, mm * ds->mant, me + ds->exp - QREF__ACC_BASE, (unsigned)mn ^ ds->neg ^ 1u);
                        extra += fabs_d(mw[j]) * (q.blk_abs[m * nb32 + j] + q.sa_abs[m * nb32 + j]);
                        if ((j + 1) % (CHUNK / 2) == 0)
                            qref__xacc_norm(L);
                    }
                }
                if (be.mant)
                    qref__xacc_add(L, be.mant, be.exp - QREF__ACC_BASE, be.neg);
                double yh, yl;
                qref__xacc_finish(L, &yh, &yl);
                qref__gemm_store_y(d->out_dtype, y, yi, yh, yl);
                if (bound) {
                    float bv = 0.0f;
                    if (qref__gemm_y_is_finite(d->out_dtype, y, yi)) {
                        double S = extra + (bn ? fabs_d((double)*bn) : 0.0);
                        for (int64_t k = 0; k < K; k++)
                            S += q.vabs[m * K + k] * wabs[k];
                        bv = qref__gemm_bound_ex(S, q.suma[m], sumw, fabs_d(yh), K, d->has_bias, 5, 0x1p24, acc,
                                                 d->out_dtype);
                    }
                    bound[bi] = bv;
                }
            }
        }
    }
done:
    aq_free(&q);
    free(hi), free(lo), free(wabs), free(mw), free(wp), free(L);
    return st;
}

/* A power of two (or zero) within [2^-40, 2^40]? */
static int pow2_scale(float s)
{
    uint32_t u = qref_f32_bits(s) & 0x7FFFFFFFu;
    if (!u)
        return 1;
    int e = (int)(u >> 23) - 127;
    return (u & 0x7FFFFFu) == 0 && e >= -40 && e <= 40;
}

qref_status qref__gemm_aq_is_exact_fill(const qref_gemm_desc *d, const void *a, const qref_qtensor *w,
                                        const float *bias, qref_acc acc, int *exact, qref_error *err)
{
    int64_t lda, ldy;
    qref_status st = qref__gemm_check(d, a, w, bias, acc, &lda, &ldy, err);
    if (st == QREF_OK)
        st = check_mode(d, w, err);
    if (st != QREF_OK)
        return st;
    if (!exact)
        return qref__fail(err, QREF_ERR_ARG, -1, -1, "gemm: no output flag given");
    *exact = 0;
    if (acc != QREF_ACC_F32)
        return QREF_OK;
    const qref_aq mode = (qref_aq)d->a_quant;
    const int64_t M = d->M, K = d->K, nb32 = K / 32;
    aq_batch q;
    float *vals = malloc(sizeof *vals * (size_t)(M * K));
    if (!aq_alloc(&q, mode, M, K) || !vals) {
        aq_free(&q);
        free(vals);
        return qref__fail(err, QREF_ERR_SIZE, -1, -1, "gemm: out of memory");
    }
    int all = 1;
    for (int64_t b = 0; b < d->batch && all && st == QREF_OK; b++) {
        aq_prepare(&q, mode, d, a, lda, b);
        int64_t ns = qref_aq_scale_count(mode, M, K);
        for (int64_t i = 0; i < ns && all; i++)
            all = pow2_scale(q.scales[i]);
        for (int64_t m = 0; m < M && all; m++) {
            all = !q.poison[m];
            for (int64_t j = 0; mode == QREF_AQ_GGUF_Q8_1 && all && j < nb32; j++) {
                const qref__aent *s = &q.sa[m * nb32 + j], *ds = &q.dsum[m * nb32 + j];
                all = aent_value(*s) == aent_value(*ds);
            }
        }
        if (!all)
            break;
        for (int64_t i = 0; i < M * K; i++)
            vals[i] = (float)aent_value(q.val[i]);   /* exact: pow2 scale times a code */
        qref_gemm_desc one = *d;
        one.batch = 1, one.lda = 0, one.a_dtype = QREF_FMT_F32, one.a_quant = 0;
        st = qref_gemm_is_exact_fill(&one, vals, &w[b], d->has_bias ? bias + b * d->N : NULL, acc, &all, err);
    }
    *exact = st == QREF_OK && all;
    aq_free(&q);
    free(vals);
    return st;
}
