/* qcts/op_attention.h — the ATTENTION op (ABI 2): flash prefill (causal or
 * not), decode, GQA / MQA, sliding window, paged KV caches (block table,
 * split-K partitions), KV caches in any scheme preset, tree masks,
 * differential attention and the probabilities as an output. Plain old
 * data only (qcts/backend.h). The math, the fully-masked-row rule and the
 * bound are ref/include/qref/attention.h's; CASES.md ("attention") lists
 * the params keys.
 *
 * With R = batch·seq_kv (contiguous caches) or pages·page_size (paged),
 * pps = ceil(seq_kv / page_size) and W = ceil(seq_q / 32):
 *   in[0]  q            F32  [batch, q_heads, seq_q, d]
 *   in[1]  k            kv_scheme "": kv_dtype (F32/F16/BF16) [kv_heads, R, d]
 *                       else U8 [bytes]: one serialized qtensor of rows
 *                       kv_heads·R, cols d (kv_per_head 0), or kv_heads
 *                       qtensors of rows R back to back (kv_per_head 1)
 *   in[2]  v            the same with dv
 *   in[3]  block_table  I32  [batch, pps]          (used when page_size > 0)
 *   in[4]  tree_mask    U32  [batch, seq_q, W]     (used when tree)
 *   out[0] y            out_dtype (F32/F16/BF16) [batch, q_heads, seq_q, dv]
 *   out[1] lse          F32  [batch, q_heads, seq_q]            (want_lse)
 *   out[2] probs        F32  [batch, q_heads, seq_q, seq_kv]    (want_probs:
 *                       the QK-softmax stage of a split QK-softmax / PV kernel)
 * Query head h reads KV head h / (q_heads / kv_heads). A block-table entry
 * outside [0, pages) is an error (QCTS_ERROR), never a read out of bounds.
 * Results must not depend on `threads`; `splits` asks a paged-v2 kernel for
 * that many split-K partitions plus a reduce (results are checked by the
 * same bound whatever the kernel does with it). */
#ifndef QCTS_OP_ATTENTION_H
#define QCTS_OP_ATTENTION_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct qcts_attention_desc {
    int32_t batch, q_heads, kv_heads;
    int32_t seq_q, seq_kv;
    int32_t d, dv;                 /* qk and v head dims */
    int32_t causal;                /* 0/1 */
    int32_t window;                /* 0: none; else keys with pos - j < window */
    int32_t tree;                  /* 0/1: in[4] is the packed tree mask */
    float scale;                   /* logits = scale * q.k */
    int32_t diff;                  /* 0/1: differential attention */
    float lambda;                  /* y = y1 - lambda * y2 */
    char kv_scheme[QCTS_SCHEME_NAME_MAX]; /* "" = plain kv_dtype */
    int32_t kv_dtype;              /* qcts_dtype of a plain cache */
    int32_t kv_per_head;           /* 0/1: one qtensor per KV head */
    int32_t page_size;             /* 0: contiguous caches */
    int32_t pages;                 /* paged: pages in the pool */
    int32_t splits;                /* >= 1 */
    int32_t out_dtype;             /* qcts_dtype of y */
    int32_t want_lse, want_probs;  /* 0/1: outputs 1 and 2 */
    int32_t threads;               /* CPU threads; results must not depend on it */
};

#ifdef __cplusplus
}
#endif
#endif
