/* qref/moe.h — the reference mixture-of-experts kernels: router, dispatch,
 * experts. libc + qref/mathx.h only; computation in double (or exact
 * integers), every float output rounded once.
 *
 * ==== ROUTER (qref_moe_route) ==================================================
 * For each token t (row of logits x[t][0..E-1], E = n_experts):
 *   score     s[e] = softmax(x)[e]            (scoring SOFTMAX)
 *                  = 1 / (1 + exp(-x[e]))      (scoring SIGMOID)
 *   choice    c[e] = s[e] + bias[e]            (has_bias; else c = s). The
 *             bias is DeepSeek-V3's aux-loss-free "e_score_correction_bias":
 *             it moves the SELECTION only, never the weights.
 *   groups    n_group > 1: experts are n_group contiguous groups of E/n_group;
 *             a group's score is the sum of its two largest c (its largest
 *             when a group holds one expert), as DeepSeek-V3 / GLM-4.x
 *             noaux_tc; the topk_group best groups stay selectable, the
 *             other experts are excluded (score -inf, as vLLM / SGLang; not
 *             HF's masked_fill(0), which lets a masked expert beat a
 *             negative c).
 *   top-k     ids[t][0..K-1] = the K selectable experts of largest c, in
 *             order of decreasing c. TIE RULE (experts and groups): of equal
 *             values the LOWEST index comes first (wins).
 *   weights   w[t][j] = s[ids[t][j]] (no bias), then if renorm
 *             w /= Σ_j w (no epsilon), then w *= routed_scale.
 *   aux loss  aux = alpha · Σ_e f_e · P_e over all tokens, with
 *             f_e = E / (K·T) · #{(t, j): ids[t][j] = e}   (load fraction)
 *             P_e = (1/T) Σ_t p[t][e],  p = s (softmax) or s / Σ_e' s (sigmoid,
 *             normalised per token as DeepSeek-V3's sequence-wise loss).
 *             (Switch Transformer / DeepSeek-V2 "expert-level balance loss".)
 * Outputs: ids (int32), weights (float, rounded once from the double value),
 * aux (one float).
 *
 * Verdict: ids are compared exactly. That is only fair when every
 * comparison the selection depends on is decided by a gap much larger than
 * any correct float32 kernel's score error, or by an exact tie of equal
 * inputs (same logit and bias, which every kernel turns into equal scores).
 * qref_moe_route_token_ok() tells: the generator keeps only such tokens
 * (redrawing the others) — see "MARGIN" below. The weights and aux are
 * checked with the bounds written to wbound / auxbound.
 *
 * ERROR MODEL of a correct float32 router (what the bounds cover):
 *   - exp() with relative error <= QREF_MOE_EPS_F (2^-21, 4 float ulps),
 *     applied to a float32 argument computed by one rounding (x - max, or
 *     -x, or x); |x| <= QREF_MOE_MAX_LOGIT (the routine rejects larger);
 *   - sums in any order, divisions and products each rounded once.
 * Then, with u = 2^-24, R = 2·max_e |x[e]| and γ(n) = n·u/(1 - n·u):
 *   softmax: e = exp(x - m) has relative error ε_e <= (1+ε_f)(1+u·R·(1+u·R)) - 1,
 *            the sum ε_e + γ(E-1)(1+ε_e), the quotient two more roundings:
 *            ε_s = (1+ε_e)(1+u)^2 / (1 - ε_e - γ(E-1)(1+ε_e)) - 1;
 *   sigmoid: ε_s = (1+ε_f)^2 (1+u)^4 - 1 (1/(1+exp(-x)) or exp(x)/(1+exp(x))).
 *   choice:  |ĉ - c| <= ε_s·s + u·(|s| + |b|)(1 + ε_s).
 *   weights: no renorm ε_w = (1+ε_s)(1+u) - 1; renorm
 *            ε_w = (1+ε_s)(1+u)^2 / (1 - ((1+ε_s)(1+γ(K-1)) - 1)) - 1;
 *            wbound = |w|·(ε_w + u) + (K+4)·2^-126·max(1, routed_scale)
 *            (u·|w|: the rounding of the stored reference).
 *   aux:     ε_p = ε_s (softmax), (1+ε_s)^2 (1+γ(E))(1+u) - 1 (sigmoid);
 *            auxbound = aux·((1+ε_p)(1+γ(T+E+8)) - 1 + u) + 2^-126
 *   Each bound is evaluated in double, multiplied by 1 + 2^-30 (the double
 *   evaluation and the reference's own error, < 2^-45 relative) and
 *   rounded up to float32.
 *
 * MARGIN: with M_t = QREF_MOE_TAU · max_e (|s[e]| + |b[e]|) for token t,
 * the token is "decided" when
 *   - (ε_s + u)(1 + ε_s) <= QREF_MOE_TAU / 4 (every kernel's |ĉ - c| < M_t/4),
 *   - in the selectable experts sorted by (c desc, index asc), positions
 *     p and p+1 for p < K either have bitwise-equal (logit, bias) or
 *     c[p] - c[p+1] > M_t,
 *   - with groups, in the groups sorted by (score desc, index asc),
 *     positions p and p+1 for p < topk_group either have bitwise-equal top
 *     two (logit, bias) pairs or differ by more than 2·M_t (a group score's
 *     error is below 2·M_t/4 + u·|g|).
 * Then every kernel within the model ranks the K+1 first experts (and
 * topk_group+1 first groups) as the reference does, and everything below
 * them stays below by more than its error: same ids.
 *
 * ==== DISPATCH (qref_moe_dispatch) ================================================
 * ids[T][K] in [0, E). counts[e] = #{(t,j): ids[t][j] = e}; offsets[0..E]
 * the exclusive scan (offsets[E] = T·K); slots[t][j] = offsets[e] + the rank
 * of (t, j) among the pairs of expert e in increasing t·K + j (a stable
 * counting sort); packed[slots[t][j]] = row t of x (elem_bytes·H bytes,
 * copied bit for bit). Everything is exact.
 *
 * ==== EXPERTS (qref_moe_experts) ====================================================
 * For token t, with x[t] (H floats), its K experts ids[t][j] and weights
 * wt[t][j]:
 *   h      = W_gu[e] · x[t]           (2I outputs: rows 0..I-1 gate, I..2I-1 up)
 *   a[i]   = silu(gate[i]) · up[i]     (SwiGLU; silu(g) = g·sigmoid(g))
 *   d      = W_dn[e] · a               (H outputs)
 *   y[t]   = Σ_j wt[t][j] · d_j  (+ the shared expert: the same FFN with
 *            W_sgu, W_sdn on x[t], weight 1)
 * W_gu[e] is a (2I) x H quantized matrix, W_dn[e] H x I, of one scheme
 * preset (qref/scheme.h; N x K as GEMM).
 * The reference stages like a float32 kernel: gate/up = qref_gemm (exact
 * sum rounded to float32, with its bound), a = silu(g)·u in double rounded
 * to float32 (ã), d = qref_gemm(ã), y = Σ wt·d + sh in double rounded once.
 * BOUND (composed from the GEMM bound; per element of y):
 *   Bg, Bu   qref_gemm's bound of gate/up (f32 accumulation, any order)
 *   Δa[i]    = (|σg|+L·Bg)·Bu + L·Bg·|up| + ε_a·(|σg|+L·Bg)(|up|+Bu) + u·|a|
 *              + 2^-120·(1 + |up|)   (exp saturating near ±88: absolute)
 *            with σg = silu(gate) (double), L = 1.1 >= max |silu'|, ε_a the
 *            SwiGLU error: ε_a = (1+ε_f)^2(1+u)^6 - 1 (sigmoid as above,
 *            times g, times up: 2 more roundings); u·|a|: ã's rounding
 *   Bd[h]    = qref_gemm's bound of the down GEMM on ã
 *              + (1 + γ(I+2))·Σ_i |W_dn[h][i]|·Δa[i]   (the kernel's â ≠ ã)
 *   By       = Σ_j |wt_j|·Bd_j + Bsh + γ(K+3)·(Σ_j |wt_j|(|d_j| + Bd_j) + |sh| + Bsh)
 *              + u·|y| + 2^-126·(K+2)
 *   (|W| = |hi| + |lo| of the exact weight.) Evaluated in double, times
 *   1 + 2^-30, rounded up to float32.
 */
#ifndef QREF_MOE_H
#define QREF_MOE_H

#include <stdint.h>

#include "qref/scheme.h"
#include "qref/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define QREF_MOE_EPS_F 0x1p-21          /* assumed relative error of a kernel's exp() */
#define QREF_MOE_TAU 0x1p-11            /* decision margin, relative to max(|s|+|b|) */
#define QREF_MOE_MAX_LOGIT 64.0         /* |logit| accepted by the router */
#define QREF_MOE_MAX_EXPERTS 4096
#define QREF_MOE_MAX_TOPK 64

typedef enum qref_moe_scoring { QREF_MOE_SOFTMAX = 0, QREF_MOE_SIGMOID = 1 } qref_moe_scoring;

typedef struct qref_moe_route_desc {
    int64_t n_tokens;      /* T >= 1 */
    int32_t n_experts;     /* E in [1, QREF_MOE_MAX_EXPERTS] */
    int32_t top_k;         /* K in [1, min(E, QREF_MOE_MAX_TOPK)] */
    int32_t scoring;       /* qref_moe_scoring */
    int32_t n_group;       /* >= 1, divides E */
    int32_t topk_group;    /* [1, n_group]; K <= topk_group·E/n_group */
    int32_t renorm;        /* 0 or 1 */
    int32_t has_bias;      /* 0 or 1 */
    float routed_scale;    /* finite, > 0 */
    float aux_alpha;       /* finite, >= 0 */
} qref_moe_route_desc;

/* Checks a descriptor: QREF_OK or QREF_ERR_SIZE / QREF_ERR_ARG naming the
 * field and what it must be. */
qref_status qref_moe_route_check(const qref_moe_route_desc *d, qref_error *err);

/* logits T x E floats (finite, |x| <= QREF_MOE_MAX_LOGIT); bias E floats
 * (finite; read only with has_bias); ids, weights T x K; aux 1 float.
 * wbound (T x K) and auxbound (1) may be NULL. QREF_ERR_DATA names the
 * token and expert of a non-finite or too large logit or bias. */
qref_status qref_moe_route(const qref_moe_route_desc *d, const float *logits, const float *bias, int32_t *ids,
                           float *weights, float *aux, float *wbound, float *auxbound, qref_error *err);

/* 1 when token t's selection is decided (see MARGIN above), 0 when some
 * comparison is within the margin (the generator redraws the token). */
int qref_moe_route_token_ok(const qref_moe_route_desc *d, const float *logits, const float *bias, int64_t t);

/* The derived score error ε_s of token t (for tests and the README). */
double qref_moe_route_eps_s(const qref_moe_route_desc *d, const float *logits, int64_t t);

typedef struct qref_moe_dispatch_desc {
    int64_t n_tokens;      /* T >= 1 */
    int32_t top_k;         /* K >= 1 */
    int32_t n_experts;     /* E >= 1 */
    int64_t hidden;        /* H >= 1 */
    int32_t elem_bytes;    /* 2 or 4 (f16/bf16 or f32 rows, copied as bits) */
} qref_moe_dispatch_desc;

/* ids T x K in [0, E) (else QREF_ERR_DATA naming t, j, value); counts E;
 * offsets E + 1; slots T x K; x T rows of H elements; packed T·K rows. */
qref_status qref_moe_dispatch(const qref_moe_dispatch_desc *d, const int32_t *ids, const void *x, int32_t *counts,
                              int32_t *offsets, int32_t *slots, void *packed, qref_error *err);

typedef struct qref_moe_experts_desc {
    int64_t n_tokens;      /* T >= 1 */
    int64_t hidden;        /* H >= 1 */
    int64_t inter;         /* I >= 1 (per routed expert) */
    int32_t n_experts;     /* E >= 1 */
    int32_t top_k;         /* K >= 1 */
    int32_t has_shared;    /* 0 or 1 */
    int64_t shared_inter;  /* Is >= 1 when has_shared */
} qref_moe_experts_desc;

/* x T x H floats (finite); ids T x K in [0, E); wt T x K floats (finite);
 * gate_up[E] (2I x H), down[E] (H x I) tensors of one scheme; shared_gate_up
 * (2Is x H) and shared_down (H x Is) when has_shared. y T x H; bound T x H
 * or NULL. */
qref_status qref_moe_experts(const qref_moe_experts_desc *d, const float *x, const int32_t *ids, const float *wt,
                             const qref_qtensor *gate_up, const qref_qtensor *down, const qref_qtensor *shared_gate_up,
                             const qref_qtensor *shared_down, float *y, float *bound, qref_error *err);

#ifdef __cplusplus
}
#endif
#endif
