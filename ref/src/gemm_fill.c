/* Exact fill: does every correct kernel give the reference bits? (qref/gemm.h)
 *
 * For one output element the terms are t_k = a[m][k]·w[n][k] and the bias.
 * Let 2^E be the largest power of two dividing every nonzero term (terms are
 * ±odd·2^e in the integer form of gemm_impl.h, E the smallest such e) and
 * U = Σ|t_k| / 2^E, an integer. Every partial sum, in any order and any
 * grouping, is an integer multiple of 2^E of magnitude at most U·2^E. If
 * U <= 2^p (p = 24 for f32, 11 for f16), such a value j·2^E has at most p
 * significant bits; if moreover E >= the smallest subnormal exponent of the
 * accumulation type (-149, -24) and E + p <= its largest exponent (127, 15),
 * it is representable, so no addition ever rounds. The products are partial
 * sums of one term, so they do not round either, provided the kernel's
 * operands are the exact a and w: hence every a, every weight (with lo = 0)
 * and the bias must be finite and exactly representable in the accumulation
 * type. Then the kernel's accumulator holds the exact sum y, and converting
 * it to the output type is the same single rounding the reference does. */
#include <stdlib.h>
#include <string.h>

#include "gemm_impl.h"
#include "scheme_impl.h"

/* x (finite) exactly representable in the accumulation type? */
static int fits_acc(double x, qref_acc acc)
{
    if (acc == QREF_ACC_F32)
        return (double)qref_round2_to_f32(x, 0.0) == x;
    return (double)qref_f16_to_f32(qref_round2_to_f16(x, 0.0)) == x;
}

typedef struct term {
    uint64_t mant;   /* odd, or 0 */
    int exp;
} term;

static term term_of(double x)
{
    term t;
    int neg;
    if (qref__double_parts(x, &t.mant, &t.exp, &neg))
        t.mant = 0, t.exp = 0;
    return t;
}

qref_status qref_gemm_is_exact_fill(const qref_gemm_desc *d, const void *a, const qref_qtensor *w,
                                    const float *bias, qref_acc acc, int *exact, qref_error *err)
{
    if (d && d->a_quant)
        return qref__gemm_aq_is_exact_fill(d, a, w, bias, acc, exact, err);
    int64_t lda, ldy;
    qref_status st = qref__gemm_check(d, a, w, bias, acc, &lda, &ldy, err);
    if (st != QREF_OK)
        return st;
    if (!exact)
        return qref__fail(err, QREF_ERR_ARG, -1, -1, "gemm: no output flag given");
    *exact = 0;
    const int64_t M = d->M, N = d->N, K = d->K;
    const int p = acc == QREF_ACC_F16 ? 11 : 24;
    const int emin = acc == QREF_ACC_F16 ? -24 : -149, emax = acc == QREF_ACC_F16 ? 15 : 127;
    const uint64_t lim = 1ull << p;
    term *ta = malloc(sizeof *ta * (size_t)(M * K)), *tw = malloc(sizeof *tw * (size_t)K);
    double *hi = malloc(sizeof *hi * (size_t)K), *lo = malloc(sizeof *lo * (size_t)K);
    if (!ta || !tw || !hi || !lo) {
        st = qref__fail(err, QREF_ERR_SIZE, -1, -1, "gemm: out of memory");
        goto done;
    }
    int ok = 1;
    for (int64_t b = 0; b < d->batch && ok; b++) {
        for (int64_t m = 0; m < M && ok; m++)
            for (int64_t k = 0; k < K && ok; k++) {
                float f = qref__a_at(d, a, lda, b, m, k);
                uint32_t u = qref_f32_bits(f);
                ok = (u & 0x7F800000u) != 0x7F800000u && fits_acc((double)f, acc);
                ta[m * K + k] = term_of((double)f);
            }
        for (int64_t n = 0; n < N && ok; n++) {
            memset(lo, 0, sizeof *lo * (size_t)K);
            if ((st = qref_dequantize_row_exact(&w[b], n, hi, lo, err)) != QREF_OK)
                goto done;
            for (int64_t k = 0; k < K && ok; k++) {
                uint64_t mt;
                int ex, neg;
                ok = lo[k] == 0.0 && !qref__double_parts(hi[k], &mt, &ex, &neg) && fits_acc(hi[k], acc);
                tw[k] = term_of(hi[k]);
            }
            term tb = { 0, 0 };
            if (ok && d->has_bias) {
                float bv = bias[b * N + n];
                ok = (qref_f32_bits(bv) & 0x7F800000u) != 0x7F800000u && fits_acc((double)bv, acc);
                tb = term_of((double)bv);
            }
            for (int64_t m = 0; m < M && ok; m++) {
                const term *ar = &ta[m * K];
                int E = tb.mant ? tb.exp : INT32_MAX;
                for (int64_t k = 0; k < K; k++)
                    if (ar[k].mant && tw[k].mant && ar[k].exp + tw[k].exp < E)
                        E = ar[k].exp + tw[k].exp;
                if (E == INT32_MAX)
                    continue;                           /* all terms zero: y = +0 in every order */
                if (E < emin || E + p > emax) {
                    ok = 0;
                    break;
                }
                /* U = Σ mant·2^(exp - E), stopping as soon as it passes 2^p. */
                uint64_t U = 0;
                for (int64_t k = -1; k < K && ok; k++) {
                    uint64_t mt;
                    int sh;
                    if (k < 0) {
                        mt = tb.mant, sh = tb.exp - E;
                    } else {
                        if (!ar[k].mant || !tw[k].mant)
                            continue;
                        if (ar[k].mant > lim || tw[k].mant > lim) {
                            ok = 0;
                            break;
                        }
                        mt = ar[k].mant * tw[k].mant, sh = ar[k].exp + tw[k].exp - E;
                    }
                    if (!mt)
                        continue;
                    if (sh > p || mt > (lim >> sh) || (U += mt << sh) > lim)
                        ok = 0;
                }
            }
        }
    }
    *exact = ok;
done:
    free(ta);
    free(tw);
    free(hi);
    free(lo);
    return st;
}
