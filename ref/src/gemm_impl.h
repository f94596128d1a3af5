/* gemm_impl.h — internal to gemm.c / gemm_fill.c: argument checks and the
 * exact integer form of activations and weights.
 *
 * Every finite float32 a is ±ma·2^ea with ma < 2^24 an integer; every finite
 * double d is ±md·2^ed with md < 2^53. With trailing zero bits stripped,
 * md usually has few bits (a quantized weight: a few code bits times a
 * scale); a significand wider than 40 bits is split into two pieces of at
 * most 32 and 21 bits at exponents ed and ed + 32. So every product of an
 * activation and a weight piece is ma·mp < 2^24·2^40 = 2^64: one exact
 * uint64 multiplication, no rounding anywhere. */
#ifndef QREF_GEMM_IMPL_H
#define QREF_GEMM_IMPL_H

#include <stdint.h>

#include "qref/bits.h"
#include "qref/gemm.h"

/* An activation (or the bias) in integer form: value = (-1)^neg · mant · 2^exp.
 * Zero: mant 0, exp 0. nonfinite: 1 for Inf/NaN (mant, exp unused). */
typedef struct qref__aent {
    uint32_t mant;
    int16_t exp;
    uint8_t neg, nonfinite;
} qref__aent;

/* One piece of a weight: value = (-1)^neg · mant · 2^exp, mant < 2^40. */
typedef struct qref__wpiece {
    uint64_t mant;
    int32_t k;      /* column */
    int16_t exp;
    uint16_t neg;
} qref__wpiece;

static inline qref__aent qref__aent_of(float f)
{
    uint32_t u = qref_f32_bits(f), e = (u >> 23) & 0xFFu, m = u & 0x7FFFFFu;
    qref__aent r = { 0, 0, (uint8_t)(u >> 31), 0 };
    if (e == 0xFFu)
        r.nonfinite = 1;
    else if (e == 0)
        r.mant = m, r.exp = m ? -149 : 0;
    else
        r.mant = m | 0x800000u, r.exp = (int16_t)((int)e - 150);
    return r;
}

/* Trailing zero bits of v != 0 (de Bruijn multiplication, no builtins). */
static inline int qref__ctz64(uint64_t v)
{
    static const unsigned char tab[64] = {
        0,  1,  2,  53, 3,  7,  54, 27, 4,  38, 41, 8,  34, 55, 48, 28, 62, 5,  39, 46, 44, 42,
        22, 9,  24, 35, 59, 56, 49, 18, 29, 11, 63, 52, 6,  26, 37, 40, 33, 47, 61, 45, 43, 21,
        23, 58, 17, 10, 51, 25, 36, 32, 60, 20, 57, 16, 50, 31, 19, 15, 30, 14, 13, 12,
    };
    return tab[((v & (0 - v)) * 0x022FDD63CC95386Dull) >> 58];
}

/* d = ±mant·2^exp exactly with mant odd (or 0); 0 on success, 1 if d is not
 * finite. */
static inline int qref__double_parts(double d, uint64_t *mant, int *exp, int *neg)
{
    uint64_t u = qref_f64_bits(d), e = (u >> 52) & 0x7FFu, m = u & 0xFFFFFFFFFFFFFull;
    *neg = (int)(u >> 63);
    if (e == 0x7FFu)
        return 1;
    int x = e ? (int)e - 1075 : -1074;
    if (e)
        m |= 1ull << 52;
    if (m == 0) {
        *mant = 0, *exp = 0;
        return 0;
    }
    int tz = qref__ctz64(m);
    *mant = m >> tz, *exp = x + tz;
    return 0;
}

/* The activation element (m, k) of batch b as a float32 (exact). */
static inline float qref__a_at(const qref_gemm_desc *d, const void *a, int64_t lda, int64_t b, int64_t m, int64_t k)
{
    size_t i = (size_t)((b * d->M + m) * lda + k);
    switch (d->a_dtype) {
    case QREF_FMT_F16: return qref_f16_to_f32(((const uint16_t *)a)[i]);
    case QREF_FMT_BF16: return qref_bf16_to_f32(((const uint16_t *)a)[i]);
    default: return ((const float *)a)[i];
    }
}

/* ---- shared with actquant_gemm.c (the exact accumulator of gemm.c) ---- */
#define QREF__ACC_LIMBS 80
#define QREF__ACC_BASE (-1248)

/* L += (-1)^neg · u · 2^(s + QREF__ACC_BASE); s >= 0, u < 2^64 (gemm.c,
 * step 2). */
static inline void qref__xacc_add(int64_t *L, uint64_t u, int s, unsigned neg)
{
    int i = s >> 5, b = s & 31;
    int64_t nm = -(int64_t)neg;                       /* 0 or -1: (x ^ nm) - nm is x or -x */
    int64_t x0 = (int64_t)((u << b) & 0xFFFFFFFFull);
    int64_t x1 = (int64_t)((u >> (32 - b)) & 0xFFFFFFFFull);
    int64_t x2 = (int64_t)((u >> 32) >> (32 - b));    /* two shifts: b = 0 gives 0, no shift by 64 */
    L[i] += (x0 ^ nm) - nm;
    L[i + 1] += (x1 ^ nm) - nm;
    L[i + 2] += (x2 ^ nm) - nm;
}
void qref__xacc_norm(int64_t *L);
void qref__xacc_finish(int64_t *L, double *hi, double *lo);
void qref__gemm_store_y(qref_fmt f, void *y, size_t i, double hi, double lo);
void qref__gemm_store_special(qref_fmt f, void *y, size_t i, int cls);   /* 1 NaN, 2 +Inf, 3 -Inf */
int qref__gemm_y_is_finite(qref_fmt f, const void *y, size_t i);
/* The bound of qref/gemm.h with `extra` more roundings per term (K' = n_t +
 * 2 + extra) and c_eta·n_t in place of 2·n_t in the underflow part. */
float qref__gemm_bound_ex(double S, double sum_a, double sum_w, double yabs, int64_t K, int has_bias, int extra,
                          double c_eta, qref_acc acc, qref_fmt out);

/* The quantized-activation GEMM and its exact fill (actquant_gemm.c):
 * qref_gemm and qref_gemm_is_exact_fill hand over when d->a_quant != 0. */
qref_status qref__gemm_aq(const qref_gemm_desc *d, const void *a, const qref_qtensor *w, const float *bias, void *y,
                          float *bound, qref_acc acc, qref_error *err);
qref_status qref__gemm_aq_is_exact_fill(const qref_gemm_desc *d, const void *a, const qref_qtensor *w,
                                        const float *bias, qref_acc acc, int *exact, qref_error *err);

/* Checks shared by qref_gemm and qref_gemm_is_exact_fill; sets the
 * effective strides. */
qref_status qref__gemm_check(const qref_gemm_desc *d, const void *a, const qref_qtensor *w, const float *bias,
                             qref_acc acc, int64_t *lda, int64_t *ldy, qref_error *err);

#endif
