/* qcts/op_moe.h — ABI 2 descriptors of moe_route, moe_dispatch and
 * moe_experts (see qcts/backend.h, DESCRIPTORS OF THE OPS AFTER GEMM).
 * Plain old data only: no pointers. Semantics, tie rule, aux-loss formula
 * and check bounds: ref/include/qref/moe.h; vectors/README.md ("moe").
 * threads: CPU threads to use; results must not depend on it. */
#ifndef QCTS_OP_MOE_H
#define QCTS_OP_MOE_H

/* Its types (qcts_dtype, QCTS_SCHEME_NAME_MAX) come from qcts/backend.h, which
 * includes this file at its end; either may be included first. */
#include "qcts/backend.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { QCTS_MOE_SOFTMAX = 0, QCTS_MOE_SIGMOID = 1 };

/* MOE_ROUTE: router of T tokens over E experts.
 *   in[0]  logits   F32 [T, E]   finite, |x| <= 64
 *   in[1]  bias     F32 [E]      the selection-only score bias (has_bias; else unused)
 *   out[0] ids      I32 [T, K]   chosen experts, by decreasing score; ties: lowest index first
 *   out[1] weights  F32 [T, K]   score (without bias), renormalised over the K if renorm,
 *                                times routed_scale
 *   out[2] aux      F32 [1]      aux_alpha · Σ_e f_e·P_e (qref/moe.h)
 * n_group > 1: grouped top-k (groups scored by the sum of their two best
 * scores, topk_group groups kept), as DeepSeek-V3 / GLM-4.x. */
struct qcts_moe_route_desc {
    int64_t n_tokens;      /* T >= 1 */
    int32_t n_experts;     /* E in [1, 4096] */
    int32_t top_k;         /* K in [1, min(64, topk_group·E/n_group)] */
    int32_t scoring;       /* QCTS_MOE_SOFTMAX or QCTS_MOE_SIGMOID */
    int32_t n_group;       /* >= 1, divides E (1: no groups) */
    int32_t topk_group;    /* [1, n_group] */
    int32_t renorm;        /* 0 or 1 */
    int32_t has_bias;      /* 0 or 1 */
    float routed_scale;    /* finite, > 0 */
    float aux_alpha;       /* finite, >= 0 */
    int32_t threads;
};

/* MOE_DISPATCH: a stable counting sort of the (token, j) pairs by expert.
 *   in[0]  ids      I32 [T, K]   experts in [0, E)
 *   in[1]  x        dtype [T, H] token rows (F32, F16 or BF16: copied as bits)
 *   out[0] counts   I32 [E]      pairs per expert
 *   out[1] offsets  I32 [E + 1]  exclusive scan of counts (offsets[E] = T·K)
 *   out[2] slots    I32 [T, K]   row of pair (t, j) in packed: offsets[e] + its rank
 *                                among expert e's pairs in increasing t·K + j
 *   out[3] packed   dtype [T·K, H] packed[slots[t][j]] = x[t]
 * Every output is exact. */
struct qcts_moe_dispatch_desc {
    int64_t n_tokens;      /* T >= 1, T·K < 2^31 */
    int32_t top_k;         /* K >= 1 */
    int32_t n_experts;     /* E in [1, 2^18] */
    int64_t hidden;        /* H >= 1 */
    int32_t dtype;         /* qcts_dtype of x and packed: F32, F16, BF16 */
    int32_t threads;
};

/* MOE_EXPERTS: the routed experts and the shared expert of one MoE layer.
 *   in[0]  x        F32 [T, H]
 *   in[1]  ids      I32 [T, K]   experts in [0, E)
 *   in[2]  weights  F32 [T, K]   combine weights (finite)
 *   in[3]  gate_up  U8  E serialized (2I x H) tensors of the scheme, back to back;
 *                                rows 0..I-1 gate, I..2I-1 up
 *   in[4]  down     U8  E serialized (H x I) tensors
 *   in[5]  shared_gate_up U8 one (2Is x H) tensor (has_shared; else unused)
 *   in[6]  shared_down    U8 one (H x Is) tensor  (has_shared; else unused)
 *   out[0] y        F32 [T, H]   Σ_j w[t][j]·down_e(silu(gate_e x)·up_e x) + shared(x)
 * Checked against the bound of qref/moe.h (composed from the GEMM bound). */
struct qcts_moe_experts_desc {
    char scheme[48];       /* QCTS_SCHEME_NAME_MAX: a preset of `qcts list schemes` */
    int64_t n_tokens;      /* T >= 1 */
    int64_t hidden;        /* H >= 1 */
    int64_t inter;         /* I >= 1 */
    int32_t n_experts;     /* E in [1, 4096] */
    int32_t top_k;         /* K in [1, 64] */
    int32_t has_shared;    /* 0 or 1 */
    int32_t threads;
    int64_t shared_inter;  /* Is >= 1 when has_shared, else 0 */
};

#ifdef __cplusplus
}
#endif
#endif
