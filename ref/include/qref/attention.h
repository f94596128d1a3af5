/* qref/attention.h — the reference attention family (issue 13): flash
 * prefill (causal / non-causal), decode, GQA / MQA, sliding window, paged
 * KV caches (block table) with split-K partitions and their reduce, KV
 * caches in any scheme preset, tree (packed) masks, differential attention
 * and the QK-softmax / PV split (the probabilities as an output).
 *
 * ---- Definition -----------------------------------------------------------------
 * For batch b, query head h, query row i (0 <= i < seq_q) and key j
 * (0 <= j < seq_kv):
 *   g        = h / (q_heads / kv_heads)        the KV head (GQA groups are
 *                                               contiguous; MQA: kv_heads 1)
 *   pos_i    = seq_kv - seq_q + i              the query's absolute position
 *                                               (bottom-right aligned: decode
 *                                               and chunked prefill)
 *   visible(i, j) iff all of
 *       causal      -> j <= pos_i
 *       window W>0  -> pos_i - j < W           (W keys including itself)
 *       tree        -> j < seq_kv - seq_q, or bit (j - seq_kv + seq_q) of
 *                      row i of the packed tree mask is set
 *   s_j      = scale · Σ_c q[c]·K[j][c]        (c over the qk head dim d)
 *   M        = max over visible j of s_j;  w_j = exp(s_j − M);  L = Σ w_j
 *   y[c]     = Σ_j w_j·V[j][c] / L             (c over the v head dim dv)
 *   lse      = M + log L                       (natural log)
 *   probs[j] = w_j / L for visible j, 0 for masked j
 * Masked logits are −inf: they add nothing and never set the maximum.
 * Differential attention (diff = 1): d is even, q and K are split into the
 * halves c < d/2 (map 1) and c >= d/2 (map 2), each softmax'ed as above with
 * the same scale, mask and V:  y = y1 − λ·y2  (lse and probs: not defined).
 *
 * FULLY MASKED ROWS (no visible key, e.g. causal with seq_q > seq_kv, or a
 * tree row with no bit and no prefix): y = +0 in every column, lse = −inf,
 * probs = +0 everywhere. (FlashAttention-2's choice; PyTorch's math SDPA
 * gives NaN instead. A NaN would poison the next layer; 0 is what a kernel
 * whose accumulators start at 0 and that guards the division returns.)
 *
 * HOW IT IS COMPUTED: every K and V value is dequantized EXACTLY (hi + lo
 * doubles from qref_dequantize_row_exact, or the exact f16/bf16/f32 value);
 * logits, weights and sums are double, exp/log are qref_exp / qref_log
 * (libm-free, < 1 ulp, identical on every platform); the fixed loop order
 * makes the double result reproducible bit for bit, and it is rounded ONCE,
 * to nearest even, to the output type (y: f32/f16/bf16; lse, probs: f32).
 * Inputs must be finite (the generator never writes NaN/Inf).
 *
 * ---- Layouts (all row-major, element counts) -------------------------------------
 *   q            f32 [batch][q_heads][seq_q][d]
 *   K cache      logical [kv_heads][R][d], V cache [kv_heads][R][dv], with
 *                R = batch·seq_kv (contiguous: token t of sequence b is row
 *                b·seq_kv + t) or R = pages·page_size (paged: row
 *                block_table[b][t / page_size]·page_size + t % page_size)
 *                stored as
 *                  plain f32 / f16 / bf16 values, or
 *                  kv_per_head = 0: ONE serialized qtensor (qref/scheme.h)
 *                    of rows kv_heads·R, cols d (dv): a group preset gives
 *                    per-group scales, a per-row preset per-token scales,
 *                    a per-tensor preset one scale;
 *                  kv_per_head = 1: kv_heads qtensors of rows R back to back
 *                    (per-head scales with a per-tensor preset).
 *   block_table  i32 [batch][pages_per_seq], pages_per_seq = ceil(seq_kv /
 *                page_size), every entry in [0, pages) (checked).
 *   tree_mask    u32 [batch][seq_q][ceil(seq_q / 32)], bit j % 32 of word
 *                j / 32 of row i: query i sees tree key j.
 *   y            [batch][q_heads][seq_q][dv]; lse f32 [batch][q_heads][seq_q];
 *                probs f32 [batch][q_heads][seq_q][seq_kv].
 *
 * ---- Split-K (paged attention v2) ----------------------------------------------
 * The keys of a row are cut into `splits` contiguous partitions of
 * ceil(seq_kv / splits) keys (the last may be shorter or empty); each gives
 * (m_p, l_p, o_p) = its max, Σ exp(s − m_p), Σ exp(s − m_p)·V (unnormalised)
 * and the reduce is  M = max m_p,  L = Σ exp(m_p − M) l_p,
 * y = Σ exp(m_p − M) o_p / L. qref_attention_partials / _reduce compute
 * both stages (in double) so kernels and tests can be checked stage by stage;
 * the reduce of the partials equals the one-pass result up to double
 * rounding. A partition with no visible key has m_p = −inf and adds nothing.
 *
 * ---- The error bound (the `bound` check; derivation in vectors/README.md) ----
 * For each stored output the reference also gives a per-element bound on
 * |kernel − reference| for ANY correct float32 kernel: logits by float32
 * dot products in any order (the scale applied before or after, log2 e
 * folded in or not), dequantized K/V rounded to float32 at most twice,
 * online (flash) max-rescaling with any KV block size and any number of
 * split-K partitions, an exp whose relative error is at most `exp_ulps`
 * ulp (and exp(0) = 1), float32 accumulation of Σw and Σw·v in any order,
 * one division. With u = 2^-24, n visible keys, A_j = |scale|·Σ|q·K_j|,
 * c_j = #{k : s_k > s_j − 2·η_max} and E = exp_ulps·2^-23:
 *   η_j  = γ(d + 6)·A_j + 4u(|s_j| + |M|)
 *   ρ_j  = exp(η_j + (c_j + 2)·E) − 1        relative error of weight j
 *   g_j  = γ(n + c_j + 6)                     roundings a term of a sum sees
 *   Lm   = Σ w_j(1 − ρ_j) − Σ g_j w_j(1 + ρ_j)            (> 0 required)
 *   T1   = Σ w_j ρ_j |v_j − y| + Σ 2^-125 (|v_j| + |y| + 1)
 *   T2   = Σ g_j w_j (1 + ρ_j)(|v_j| + |y| + T1/Lm)
 *   e    = (T1 + T2)/Lm;  e' = e + u(|y| + e)
 *   bound(y) = e' + 2·u_out·(|y| + e')
 * (differential: e'_1 + |λ|(e'_2 + u|y_2|) + u(|y| + ...) then the same
 * output term). γ(k) = k·u/(1 − k·u); u_out = 2^-24 / 2^-11 / 2^-8 for
 * f32 / f16 / bf16 outputs. The bound is evaluated in double, enlarged by
 * 2^-40 relative and rounded up to float32. A fully masked row has bound 0:
 * y must be a zero (|y − 0| <= 0), lse exactly −inf.
 */
#ifndef QREF_ATTENTION_H
#define QREF_ATTENTION_H

#include <stddef.h>
#include <stdint.h>

#include "qref/fmt.h"
#include "qref/scheme.h"
#include "qref/status.h"

typedef struct qref_attention {
    int64_t batch, q_heads, kv_heads;
    int64_t seq_q, seq_kv;
    int64_t d, dv;              /* qk and v head dims */
    int causal;
    int64_t window;             /* 0: none */
    int tree;                   /* 1: tree_mask given */
    float scale;
    int diff;                   /* differential attention */
    float lambda;
    int64_t page_size;          /* 0: contiguous caches */
    int64_t pages;              /* paged: pages in the pool */
    int64_t splits;             /* split-K partitions a kernel uses (>= 1); y does not depend on it */
} qref_attention;

/* One KV cache (K or V). */
typedef struct qref_attn_cache {
    const qref_scheme *scheme;  /* NULL: plain values of dtype */
    qref_fmt dtype;             /* QREF_FMT_F32, F16, BF16 when scheme is NULL */
    int per_head;               /* scheme: 1 = kv_heads tensors back to back */
    const void *data;
    size_t bytes;
} qref_attn_cache;

typedef struct qref_attn_io {
    const float *q;
    qref_attn_cache k, v;
    const int32_t *block_table; /* paged */
    const uint32_t *tree_mask;  /* tree */
    qref_fmt out_dtype;         /* y: F32, F16 or BF16 */
    void *y;                    /* float or uint16_t codes */
    float *lse, *probs;         /* optional (NULL) */
    float *bound_y, *bound_lse, *bound_probs;   /* optional */
    double *y_exact;            /* optional: y before rounding (quality metrics) */
    double *probs_exact;        /* optional */
    unsigned exp_ulps;          /* bound model: exp error in ulp (0 -> 2) */
} qref_attn_io;

/* Element counts; -1 on overflow. */
int64_t qref_attention_rows(const qref_attention *a);          /* batch*q_heads*seq_q */
int64_t qref_attention_cache_rows(const qref_attention *a);    /* R */
int64_t qref_attention_pages_per_seq(const qref_attention *a); /* paged: ceil(seq_kv/page_size) */
/* Bytes of one cache (K: cols = d, V: cols = dv) as qref_attention_run reads it. */
qref_status qref_attention_cache_bytes(const qref_attention *a, const qref_attn_cache *c, int64_t cols,
                                       size_t *bytes, qref_error *err);

/* Validates the shape (ranges, divisibility, sizes, block-table entries,
 * cache sizes) with a message naming the field. */
qref_status qref_attention_check(const qref_attention *a, const qref_attn_io *io, qref_error *err);

/* 1 if key j is visible for query row i of batch b (mask only). */
int qref_attention_visible(const qref_attention *a, const uint32_t *tree_mask, int64_t b, int64_t i, int64_t j);

/* The whole op (outputs and bounds as requested in io). */
qref_status qref_attention_run(const qref_attention *a, const qref_attn_io *io, qref_error *err);

/* Split-K stage 1 for every row: m[r*P + p], l[r*P + p], o[(r*P + p)*dv + c]
 * (P = a->splits; not for diff). Stage 2: y[r*dv + c] and lse[r] in double
 * from them (fully masked: 0 and -inf). */
qref_status qref_attention_partials(const qref_attention *a, const qref_attn_io *io, double *m, double *l,
                                    double *o, qref_error *err);
void qref_attention_reduce(int64_t rows, int64_t splits, int64_t dv, const double *m, const double *l,
                           const double *o, double *y, double *lse);

#endif
