/* qref/gemm.h — the reference GEMM / GEMV on quantized weights.
 *
 *     Y[b] = A[b] · W[b]ᵀ (+ bias[b])       for b = 0 .. batch-1
 *
 * A[b] is M x K activations, W[b] an N x K quantized matrix (a qref_qtensor
 * of any scheme preset: dense, Marlin, sparse, GGUF, ...), bias[b] N float32
 * values, Y[b] M x N. A GEMV is a GEMM with M = 1.
 *
 * ---- What the reference computes ------------------------------------------
 * Every weight is dequantized exactly (qref_dequantize_row_exact, hi + lo),
 * every activation is decoded exactly (f16 / bf16 / f32 are all float32
 * values), and each output element
 *
 *     y[m][n] = Σ_k a[m][k] · w[n][k]  (+ bias[n])
 *
 * is the EXACT real sum, rounded once, to nearest even, to the output type.
 * There is no accumulation type and no summation order: the sum is formed
 * in an exact integer accumulator (ref/src/gemm.c explains why it is
 * exact). An exact zero sum is +0 (what a kernel whose accumulator starts
 * at +0.0 gets in every order); a nonzero sum that rounds to zero keeps its
 * sign. Overflow in the output type gives ±Inf.
 *
 * Non-finite inputs follow IEEE 754 in any order: a NaN term, Inf · 0 or
 * +Inf and -Inf terms together give NaN (the quiet NaN 0x7FC00000 / 0x7E00 /
 * 0x7FC0, positive); otherwise an infinite term gives that infinity.
 *
 * ---- Layouts ----------------------------------------------------------------
 * All element counts, row-major, no padding between batches:
 *   a      batch b, row m, column k at  b·M·lda + m·lda + k   (lda >= K)
 *          float (a_dtype F32) or uint16_t bit patterns (F16, BF16)
 *   w      an array of `batch` tensors, w[b].rows == N, w[b].cols == K
 *   bias   b·N + n, float32 (read only when has_bias)
 *   y      b·M·ldy + m·ldy + n                             (ldy >= N)
 *          float (out_dtype F32) or uint16_t bit patterns (F16, BF16)
 *   bound  b·M·N + m·N + n, float32, dense (ldy does not apply)
 * lda = 0 means K, ldy = 0 means N. Elements of y between N and ldy are not
 * written.
 *
 * ---- The error bound (for the harness's `bound` check) --------------------
 * bound[m][n] bounds |ŷ − y| for every kernel ŷ that forms the products
 * a·w (operands and product rounded to the accumulation type `acc`), adds
 * them (and the bias) in ANY order in `acc`
 * (f32 or f16), and rounds the result to the output type — y being the
 * stored reference, itself rounded once:
 *
 *     n_t  = K + has_bias                  terms in the sum
 *     K'   = K + has_bias + 2              roundings a term can see
 *     S    = Σ_k |a·w| + |bias|            (w = hi + lo, |hi| + |lo| used)
 *     E    = γ(K', u)·S + (1 + γ(K', u))·η·(Σ_k |a| + Σ_k |w| + 2·n_t)
 *     bound = (1 + u_o)·E + 2·u_o·|y_exact| + 2·η_o
 *
 * with γ(k, u) = k·u / (1 − k·u); u = 2^-24, η = 2^-150 (f32 accumulation)
 * or u = 2^-11, η = 2^-25 (f16 accumulation); u_o, η_o the unit roundoff and
 * half the smallest subnormal of the output type (f32: 2^-24, 2^-150; f16:
 * 2^-11, 2^-25; bf16: 2^-8, 2^-134). vectors/CASES.md ("gemm") and
 * ref/src/gemm.c derive it. It is evaluated in double and rounded up to
 * float32, so it never understates; it is 0 where the stored y is NaN or
 * infinite (compare those exactly) and +Inf when K'·u >= 1 (f16
 * accumulation with K' >= 2048: no finite bound exists). It assumes gradual
 * underflow and no overflow in the accumulation or output type.
 *
 * ---- Quantized activations (a_quant != 0) ---------------------------------
 * A is first quantized by the rules of qref/actquant.h; y is the exact sum of
 * value(code)·w (+ bias; Q8_1: ggml's d_w·d_a·Σq_w·q_a + m_w·s_a per block),
 * rounded once. The bound is the one above with the activation values in
 * place of a and K' = K + has_bias + 5 (a kernel may round s·q, the weight,
 * a scale product s·d_w and the group sum once more each); exact fill needs
 * power-of-two activation scales. Pairs the mode does not support give
 * QREF_ERR_UNSUPPORTED. ref/src/actquant_gemm.c derives it.
 *
 * ---- Exact fill ---------------------------------------------------------------
 * qref_gemm_is_exact_fill() says whether every partial sum of every element,
 * in any order, is exactly representable in the accumulation type (the
 * benchdnn "safe K" idea, generalised): then every correct kernel returns
 * exactly y, bit for bit, and the check is `exact`.
 */
#ifndef QREF_GEMM_H
#define QREF_GEMM_H

#include <stdint.h>

#include "qref/fmt.h"
#include "qref/scheme.h"
#include "qref/status.h"

/* The accumulation type assumed by the bound and by exact fill. The result
 * y never depends on it. */
typedef enum qref_acc {
    QREF_ACC_F32,   /* float32 products and sums (the default) */
    QREF_ACC_F16,   /* f16 activations, weights, products and sums */
    QREF_ACC_COUNT
} qref_acc;

const char *qref_acc_name(qref_acc acc);                       /* "f32", "f16"; NULL if out of range */
qref_status qref_acc_from_name(const char *name, qref_acc *out); /* case-insensitive */

typedef struct qref_gemm_desc {
    int64_t batch;        /* >= 1 independent problems */
    int64_t M, N, K;      /* >= 1 each */
    int64_t lda, ldy;     /* row strides in elements; 0 = K (lda), N (ldy) */
    qref_fmt a_dtype;     /* QREF_FMT_F32, F16 or BF16 */
    qref_fmt out_dtype;   /* QREF_FMT_F32, F16 or BF16 */
    int has_bias;         /* 1: bias (batch x N float32) is added */
    int a_quant;          /* qref_aq (qref/actquant.h): 0 = A used as given;
                             else A is quantized first (ref/src/actquant_gemm.c) */
} qref_gemm_desc;

/* Y = A·Wᵀ (+ bias), exact sum rounded once; see the top of this file.
 * bound: NULL, or batch·M·N floats to receive the per-element bound for
 * accumulation type `acc`. Errors: QREF_ERR_ARG (NULL pointer, bad enum,
 * bias NULL with has_bias), QREF_ERR_SIZE (non-positive or inconsistent
 * sizes: lda < K, ldy < N, a tensor not N x K), QREF_ERR_UNSUPPORTED (a_dtype
 * or out_dtype not F32/F16/BF16), or what dequantization reports; err names
 * the batch in its message and the W row in err->row. Nothing in y is
 * meaningful after an error. K must be below 2^31. Cost: each W row is
 * dequantized once per call, each A row decoded once per batch; then about
 * 2.5-5 ns per multiply-add on one core (64 x 512 x 4096: 0.35-0.7 s). */
qref_status qref_gemm(const qref_gemm_desc *desc, const void *a, const qref_qtensor *w, const float *bias, void *y,
                      float *bound, qref_acc acc, qref_error *err);

/* *exact = 1 when the problem is an exact fill for accumulation type acc:
 * for every batch and every (m, n),
 *   - every a[m][k], every weight w[n][k] (lo = 0) and bias[n] is finite and
 *     exactly representable in the accumulation type, and
 *   - with 2^E the largest power of two dividing every nonzero term
 *     a[m][k]·w[n][k] and bias[n]: 2^E >= the smallest subnormal of acc
 *     (E >= -149 for f32, -24 for f16), E + p <= its largest exponent (127,
 *     15), and U = (Σ_k |a·w| + |bias|) / 2^E <= 2^p (p = 24 for f32, 11 for
 *     f16) — e.g. integer activations and weights with Σ|a·w| <= 2^24;
 * so every partial sum, in any order, is a multiple of 2^E of magnitude at
 * most 2^p·2^E: representable, no rounding anywhere (ref/src/gemm_fill.c).
 * Then every kernel that forms the products a·w and adds them in acc, in any
 * order from a +0 start, holds exactly y before the (same) final rounding,
 * and the check is `exact`. Same arguments and errors as qref_gemm (y and
 * bound not needed); *exact is 0 on error. */
qref_status qref_gemm_is_exact_fill(const qref_gemm_desc *desc, const void *a, const qref_qtensor *w,
                                    const float *bias, qref_acc acc, int *exact, qref_error *err);

#endif
