/* qref/norm.h — reference RMSNorm, LayerNorm (with a fused residual add)
 * and softmax over rows, with the per-element error bounds that the `bound`
 * check of the norm and softmax ops uses.
 *
 * Every function here works on one row of doubles holding the values of the
 * op's (F32, F16 or BF16) inputs, exactly. The result is computed in double
 * (libc + qref/mathx.h only) and rounded ONCE to the output dtype; the
 * returned doubles hold those rounded values exactly, so a caller stores
 * them without another rounding (qref_rowop_store).
 *
 * ---- RMSNorm / LayerNorm ----------------------------------------------------
 *   h = x                       (no residual)
 *   h = RN_dtype(x + r)         (fused residual add: the exact sum rounded
 *                                once to the activation dtype; it is also
 *                                the op's second output, checked exactly —
 *                                f32 arithmetic then one rounding gives the
 *                                same value, since 24 >= 2·11 + 2)
 *   RMS:   y_i = h_i / sqrt(Σ h_j² / n + eps) · w_i + b_i
 *   Layer: y_i = (h_i − μ) / sqrt(Σ (h_j − μ)² / n + eps) · w_i + b_i,
 *          μ = Σ h_j / n      (biased variance, as torch.nn.LayerNorm)
 * eps > 0 inside the square root (torch, HF, vLLM, llama.cpp); w = 1 and
 * b = 0 when absent. A zero row gives y = b exactly.
 *
 * ---- Softmax ----------------------------------------------------------------
 *   y_i = exp((x_i − m) / T) / Σ_j exp((x_j − m) / T),  m = max_j x_j, T > 0
 * -inf logits give exactly 0; a row that is all -inf, or holds +inf or NaN,
 * gives NaN everywhere (IEEE: -inf − (-inf), inf − inf), as torch.softmax.
 *
 * ---- The bounds ---------------------------------------------------------------
 * bound[i] bounds |ŷ_i − y_i| for every kernel that computes in float32 as
 * the derivation in vectors/README.md ("norm", "softmax") allows — any
 * summation order, reciprocal square roots and exps with a few ulps of
 * error, intermediate roundings to the activation dtype where common
 * implementations make them — and rounds the result once to the output
 * dtype; y itself is one rounding away from the exact value. Evaluated in
 * double, rounded up to float32; 0 where y is NaN or infinite (compared
 * exactly). Assumes gradual underflow (no FTZ) and no overflow in float32.
 */
#ifndef QREF_NORM_H
#define QREF_NORM_H

#include <stdint.h>

#include "qref/fmt.h"
#include "qref/status.h"

/* ---- Rounding helpers shared by the row ops (rope, norm, softmax) ---- */

/* x rounded once (RNE) to dt (QREF_FMT_F32, F16 or BF16), as a double. */
double qref_rowop_round(qref_fmt dt, double x);
/* Unit roundoff (2^-24, 2^-11, 2^-8) and half the smallest subnormal
 * (2^-150, 2^-25, 2^-134) of dt; 0 for other formats. */
double qref_rowop_unit(qref_fmt dt);
double qref_rowop_eta(qref_fmt dt);
/* x >= 0 rounded up to float32 (never understates a bound). */
float qref_rowop_bound_up(double x);
/* Element i of a buffer of dt (F32 float, F16/BF16 uint16_t bits), exactly. */
double qref_rowop_load(qref_fmt dt, const void *buf, int64_t i);
/* Stores x (already representable in dt, e.g. from qref_rowop_round). */
void qref_rowop_store(qref_fmt dt, void *buf, int64_t i, double x);
/* 1 when dt is F32, F16 or BF16. */
int qref_rowop_dtype_ok(qref_fmt dt);

/* ---- Norms ---- */

typedef enum qref_norm_kind {
    QREF_NORM_RMS = 0,
    QREF_NORM_LAYER = 1,
    QREF_NORM_KIND_COUNT
} qref_norm_kind;

typedef struct qref_norm_params {
    qref_norm_kind kind;
    int64_t n;            /* row length >= 1 */
    double eps;           /* > 0, finite */
    qref_fmt dtype;       /* of x, residual, weight and bias (and of h) */
    qref_fmt out_dtype;   /* of y */
} qref_norm_params;

/* One row. x[n]; r[n] or NULL (no residual); w[n] or NULL; b[n] or NULL.
 * y[n] receives y rounded to out_dtype; h[n] (may be NULL) receives h;
 * bound[n] (may be NULL) the bound of y. QREF_ERR_ARG on NULL x/y, bad
 * kind, dtype, n < 1 or eps not > 0. */
qref_status qref_norm_row(const qref_norm_params *p, const double *x, const double *r, const double *w,
                          const double *b, double *y, double *h, float *bound);

/* ---- Softmax ---- */

typedef struct qref_softmax_params {
    int64_t n;            /* row length >= 1 */
    double temperature;   /* > 0, finite */
    qref_fmt in_dtype;    /* of x (F32, F16, BF16) */
    qref_fmt out_dtype;   /* of y */
} qref_softmax_params;

/* One row: y[n] rounded to out_dtype, bound[n] (may be NULL). */
qref_status qref_softmax_row(const qref_softmax_params *p, const double *x, double *y, float *bound);

/* ---- Whole ops (slots as qcts/op_norm.h documents them) ---- */

/* rows x n: x, residual (NULL: none), h (residual output: NULL unless
 * residual) of p->dtype; w, b ([n], NULL: absent) of p->dtype; y of
 * p->out_dtype; bound (NULL, or rows*n floats) of y. */
qref_status qref_norm_run(const qref_norm_params *p, int64_t rows, const void *x, const void *w, const void *b,
                          const void *residual, void *y, void *h, float *bound);

/* rows x n of in_dtype -> out_dtype; bound NULL or rows*n floats. */
qref_status qref_softmax_run(const qref_softmax_params *p, int64_t rows, const void *x, void *y, float *bound);

#endif
