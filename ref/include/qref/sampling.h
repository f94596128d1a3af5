/* qref/sampling.h — the reference of the `sampling` op: logits -> one token
 * per row, deterministic given the caller's uniform u. Definitions are
 * exact; ref/README.md ("Sampling") restates them for implementers.
 *
 * PIPELINE (per row; l = the row's logits as float32, V = vocab)
 *  1. Penalties, in float32, every operation correctly rounded, in this
 *     order, for each token t with count c_t > 0 in the row's history
 *     (entries < 0 are padding; entries >= V are an error):
 *         l_t = l_t > 0 ? l_t / rep : l_t * rep;
 *         l_t = l_t - ((float)c_t * freq + presence);
 *     Tokens with c_t = 0 are untouched. The result l' is exact (bits).
 *  2. Greedy (temperature == 0): the token is the argmax of l', the lowest
 *     index among equal maxima. Same when every l' is -inf (token 0).
 *  3. Temperature T > 0: x_t = (l'_t - max l') / T (in double).
 *  4. top-k (0 < k < V): keep the k tokens first in the order (l' desc,
 *     index asc). Else keep all.
 *  5. e_t = exp(x_t) over the kept tokens (e = 1 at the max; -inf -> 0).
 *  6. top-p (top_p < 1): in the order (l' desc, index asc), keep the
 *     shortest prefix whose sum of e is >= top_p * Z (Z = sum of e over
 *     the tokens kept by 4); the token that reaches top_p is kept.
 *  7. min-p (min_p > 0): of those, keep tokens with e_t >= min_p (i.e.
 *     p_t >= min_p * p_max: e of the max token is 1).
 *  8. Renormalise: q_t = e_t / sum of e over the kept tokens.
 *  9. Categorical: C_t = sum of q_i over kept i <= t, in INDEX order; the
 *     token is the smallest kept t with q_t > 0 and u < C_t; if rounding
 *     leaves none, the largest kept index with q_t > 0. u in [0, 1).
 *
 * ADMISSIBLE SET. qref_sampling_row also returns every token that an
 * implementation computing steps 3..9 in float32 (any summation order, an
 * exp within 8 ulp, FTZ allowed) may return for this u: see
 * vectors/README.md ("sampling") for the error model. Steps 1, 2 and 4
 * are exact, so greedy rows and top_k = 1 admit exactly one token.
 */
#ifndef QREF_SAMPLING_H
#define QREF_SAMPLING_H

#include <stddef.h>
#include <stdint.h>

#include "qref/status.h"

typedef struct qref_sampling_params {
    int32_t vocab;          /* V >= 1 */
    int32_t hist_len;       /* history entries per row, >= 0 */
    float temperature;      /* 0: greedy; else finite > 0 */
    float rep_penalty;      /* > 0, finite; 1: off */
    float presence_penalty; /* finite; 0: off */
    float freq_penalty;     /* finite; 0: off */
    int32_t top_k;          /* 0 or >= V: off; else >= 1 */
    float top_p;            /* in [0, 1]; 1: off */
    float min_p;            /* in [0, 1]; 0: off */
} qref_sampling_params;

/* QREF_OK, or QREF_ERR_ARG naming nothing (the op's from_json names the field). */
qref_status qref_sampling_params_check(const qref_sampling_params *p);

/* Step 1 for one row: lp[V] = penalised logits. hist may be NULL when
 * hist_len = 0. counts: V int32 scratch (NULL: allocated). Errors:
 * QREF_ERR_DATA for a history entry >= V. */
qref_status qref_sampling_penalize(const qref_sampling_params *p, const float *logits, const int32_t *hist,
                                   float *lp, int32_t *counts);

/* One row, steps 1..9. token: the sampled token. probs (V doubles, may be
 * NULL): q_t of step 8 (0 for dropped tokens; greedy: 1 at the token).
 * admit (V bytes, may be NULL): 1 for every admissible token. u must be in
 * [0, 1) (else QREF_ERR_ARG); logits must not be NaN or +inf (QREF_ERR_DATA). */
qref_status qref_sampling_row(const qref_sampling_params *p, const float *logits, const int32_t *hist, float u,
                              int32_t *token, double *probs, uint8_t *admit);

/* qref_sampling_row plus, in probs_bound (V doubles, may be NULL), a bound
 * on |q'_t - q_t| for an implementation's probabilities q' under the same
 * error model, valid only when the kept set is certain: *certain = 1 when
 * no threshold lies within the error bound (then every kept token's q has
 * its bound and every dropped token is 0 exactly), else 0. */
qref_status qref_sampling_row_ex(const qref_sampling_params *p, const float *logits, const int32_t *hist, float u,
                                 int32_t *token, double *probs, uint8_t *admit, double *probs_bound,
                                 int *certain);

#endif
