/* qcts/metrics.h — accuracy metrics between an expected and a computed array.
 *
 * Every metric is computed in double from the exact float32 (or f16/bf16)
 * values; nothing here depends on the FPU rounding mode beyond IEEE double
 * round-to-nearest. One call (qcts_metrics_compute) fills a qcts_metrics;
 * each metric is also available alone. KL divergences are separate functions
 * because they apply to probability vectors and logits only.
 *
 * Element metrics (defined for every input, NaN and Inf included):
 *   mismatches  elements whose bit patterns differ, except that any NaN
 *               matches any NaN (payload and sign ignored). +0 and -0 differ;
 *               so do +Inf and -Inf.
 *   abs error   |got - expected|, with: 0 where the pair matches (both NaN,
 *               or equal values, including equal infinities); +Inf where
 *               they do not match and either is NaN or infinite.
 *   rel error   abs / |expected|; where expected is 0 (either sign) it is 0
 *               if abs is 0 and +Inf otherwise; where expected is infinite
 *               or NaN it is 0 for a match and +Inf otherwise.
 *   ULP         distance in units in the last place of the element format:
 *               the number of representable values strictly between
 *               expected and got, plus one (0 when equal). +0 and -0 are 0
 *               apart, so crossing zero counts the values on each side
 *               (-min_subnormal to +min_subnormal is 2). Infinity is one ULP
 *               past the largest finite value. Two NaNs are 0 apart; a NaN
 *               and a non-NaN are QCTS_ULP_NAN apart.
 *
 * Energy metrics (d = got - expected, sums over all n elements):
 *   mse     sum(d^2) / n
 *   nmse    sum(d^2) / sum(expected^2): 0 when both sums are 0, +Inf when
 *           only the expected energy is 0
 *   cosine  sum(e*g) / sqrt(sum(e^2) * sum(g^2)), clamped to [-1, 1];
 *           1 when both vectors are all zeros, NaN when exactly one is
 *   snr_db  10*log10(sum(e^2) / sum(d^2)): +Inf when d is all zeros (both
 *           vectors zero included), -Inf when only the expected energy is 0
 * If any element of either array is NaN or infinite, the energy metrics are
 * NaN (they have no meaning there); the element metrics still describe the
 * arrays. n == 0 gives the values of two all-zero vectors.
 */
#ifndef QCTS_METRICS_H
#define QCTS_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "qref/fmt.h"

/* The ULP distance of a NaN to a number. */
#define QCTS_ULP_NAN UINT64_MAX

typedef struct qcts_metrics {
    size_t n;              /* elements compared */
    size_t mismatches;     /* bitwise, NaN == NaN */
    size_t nonfinite;      /* elements where expected or got is NaN or Inf */
    double max_abs;        /* largest abs error (see above) */
    size_t max_abs_index;  /* first element with that error (0 when n == 0) */
    double max_rel;        /* largest rel error */
    uint64_t max_ulp;      /* largest ULP distance in the compared format */
    size_t max_ulp_index;
    double mse, nmse, cosine, snr_db;
} qcts_metrics;

/* Compares two float32 arrays of n elements. */
void qcts_metrics_compute(const float *expected, const float *got, size_t n, qcts_metrics *m);

/* The same for arrays in format fmt: QREF_FMT_F32 (float), QREF_FMT_F16 or
 * QREF_FMT_BF16 (uint16_t codes). Mismatches and ULPs are counted on the
 * codes of fmt; values are the exact float32 values of the codes. Returns 0,
 * or -1 (m untouched) for any other format. */
int qcts_metrics_compute_as(qref_fmt fmt, const void *expected, const void *got, size_t n,
                            qcts_metrics *m);

/* ULP distance between two values of one format (see above). */
uint64_t qcts_ulp_distance_f32(float a, float b);
uint64_t qcts_ulp_distance_f16(uint16_t a, uint16_t b);
uint64_t qcts_ulp_distance_bf16(uint16_t a, uint16_t b);

/* Single metrics over n elements, with the definitions above. */
size_t qcts_count_mismatches(const float *expected, const float *got, size_t n);
double qcts_max_abs_error(const float *expected, const float *got, size_t n);
double qcts_max_rel_error(const float *expected, const float *got, size_t n);
uint64_t qcts_max_ulp_f32(const float *expected, const float *got, size_t n);
double qcts_mse(const float *expected, const float *got, size_t n);
double qcts_nmse(const float *expected, const float *got, size_t n);
double qcts_cosine(const float *expected, const float *got, size_t n);
double qcts_snr_db(const float *expected, const float *got, size_t n);

/* The same energy metrics on double arrays (e.g. logits computed in double). */
void qcts_metrics_energy_f64(const double *expected, const double *got, size_t n,
                             double *mse, double *nmse, double *cosine, double *snr_db);

/* KL(p || q) = sum p_i * log(p_i / q_i) in nats, natural log, for two
 * probability vectors used as given (not renormalised). Terms with p_i == 0
 * are 0; p_i > 0 with q_i == 0 gives +Inf. NaN, Inf or negative entries, or
 * n == 0, give NaN. */
double qcts_kl_div(const double *p, const double *q, size_t n);
double qcts_kl_div_f32(const float *p, const float *q, size_t n);

/* KL(softmax(a) || softmax(b)) from logits, computed with log-sum-exp (no
 * overflow for any finite logits). A logit of -Inf is a probability of 0
 * (a masked entry); NaN or +Inf logits, all logits -Inf, or n == 0 give NaN.
 * A -Inf in b where a is finite gives +Inf. */
double qcts_kl_softmax(const double *a, const double *b, size_t n);
double qcts_kl_softmax_f32(const float *a, const float *b, size_t n);

/* Attention probabilities (attention's out.probs: rows of n probabilities,
 * nelems in all): the mean over rows of KL(expected || got) in nats, rows
 * whose expected values are all 0 (fully masked) skipped; *cos (may be NULL)
 * the mean row cosine. NaN when no row counts. */
double qcts_attn_probs_kl(const float *expected, const float *got, int64_t n, size_t nelems, double *cos);

#endif
