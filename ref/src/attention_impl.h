/* Private to ref/src/attention*.c. */
#ifndef QREF_ATTENTION_IMPL_H
#define QREF_ATTENTION_IMPL_H

#include "qref/attention.h"

/* Ranges the reference accepts (descriptor validation names them). */
#define QREF_ATTN_MAX_DIM 4096
#define QREF_ATTN_MAX_HEADS 1024
#define QREF_ATTN_MAX_SEQ (1 << 20)
#define QREF_ATTN_MAX_HEAD_DIM 1024

/* Cache row of token t of sequence b (contiguous or through the block table). */
int64_t qref_attn_cache_row(const qref_attention *a, const int32_t *block_table, int64_t b, int64_t t);

/* KV head g of a cache as exact doubles hi + lo, [R][cols]. */
qref_status qref_attn_head_load(const qref_attention *a, const qref_attn_cache *c, int64_t cols, int64_t g,
                                double *hi, double *lo, qref_error *err);

#endif
