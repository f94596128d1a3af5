/* kernels/simd/avx2/attention.h — the AVX2 attention kernel's plan: the
 * descriptor resolved to pointers, views and dequant kernels once at
 * prepare (kernels/simd/attention_avx2_slot.c builds it), so that run only
 * computes. Private to kernels/ (tests and bench call it directly). */
#ifndef QCTS_SIMD_AVX2_ATTENTION_H
#define QCTS_SIMD_AVX2_ATTENTION_H

#include <stdint.h>

#include "kernels/simd/simd.h"

typedef struct qcts_attn_cache {
    const void *data;             /* plain f32/f16/bf16 values [kv_heads][R][cols] */
    qcts_dtype dtype;
    qcts_qview *view;             /* scheme: 1 view (rows kv_heads·R) or kv_heads views */
    int per_head;
    qcts_dequant_kernel kernel;   /* the AVX2 dequant kernel of the scheme */
} qcts_attn_cache;

typedef struct qcts_attn_plan {
    int64_t batch, q_heads, kv_heads, seq_q, seq_kv, d, dv, R;
    int causal, tree, diff;
    int64_t window, page_size, pps, splits;
    float scale, lambda;
    const float *q;
    qcts_attn_cache cache[2];     /* K, V */
    const int32_t *block_table;   /* validated: every entry in [0, pages) */
    const uint32_t *tree_mask;
    qcts_dtype out_dtype;
    void *y;
    float *lse, *probs;           /* NULL when not asked */
    int threads;
} qcts_attn_plan;

/* Computes every output of the plan. 0, or -1 (allocation or thread failure). */
int qcts_attention__avx2(const qcts_attn_plan *pl);
int qcts_attention__neon(const qcts_attn_plan *pl);     /* neon/attention.c (arm64 builds) */
int qcts_attention__avx512(const qcts_attn_plan *pl);   /* avx512/attention.c (x86-64 builds) */

/* The kernel's exp, one value (tests measure its error). */
float qcts_attn_exp__avx2(float x);
float qcts_attn_exp__neon(float x);
float qcts_attn_exp__avx512(float x);

#endif
