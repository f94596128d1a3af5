/* qcts/op_sampling.h — ABI 2 descriptor of the sampling op (qcts/backend.h,
 * DESCRIPTORS OF THE OPS AFTER GEMM). Plain old data only: no pointers.
 *
 * SAMPLING: one token per row from logits, deterministic given the
 * caller's uniform u: penalties (float32, fixed operations), greedy when
 * temperature is 0, else temperature, top-k, top-p, min-p, renormalise,
 * and the categorical draw with u over index-order cumulative sums. The
 * exact definition is qref/sampling.h (ref/README.md, "Sampling").
 *   in[0]  = logits:  rows x vocab of logits_dtype (F32, F16, BF16); no
 *            NaN or +inf (-inf is allowed: never drawn)
 *   in[1]  = history: rows x hist_len I32 token ids (entries < 0 are
 *            padding); used when hist_len > 0
 *   in[2]  = u:       rows F32 in [0, 1)
 *   out[0] = token:   rows I32
 *   out[1] = probs:   rows x vocab F32, the renormalised probabilities q
 *            (0 for dropped tokens; greedy: 1 at the token); used when
 *            want_probs, optional (the caller may pass NULL)
 * Check (vectors/README.md, "sampling"): admissible (every token an
 * implementation in float32 may draw for this u), or, for cases whose
 * every row admits one token, bound on probs and exact tokens. */
#ifndef QCTS_OP_SAMPLING_H
#define QCTS_OP_SAMPLING_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct qcts_sampling_desc {
    int64_t rows;              /* >= 1 */
    int32_t vocab;             /* >= 1 */
    int32_t hist_len;          /* >= 0 */
    float temperature;         /* 0 (greedy) or finite > 0 */
    float rep_penalty;         /* finite > 0; 1: off */
    float presence_penalty;    /* finite; 0: off */
    float freq_penalty;        /* finite; 0: off */
    int32_t top_k;             /* >= 0; 0 or >= vocab: off */
    float top_p;               /* [0, 1]; 1: off */
    float min_p;               /* [0, 1]; 0: off */
    int32_t logits_dtype;      /* qcts_dtype: F32, F16, BF16 */
    int32_t want_probs;        /* 0 or 1: out[1] is part of the call */
    int32_t threads;           /* CPU threads; results must not depend on it */
};

#ifdef __cplusplus
}
#endif
#endif
