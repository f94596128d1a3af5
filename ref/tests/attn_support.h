/* Shared by ref/tests/test_attention*.c: random attention problems and a
 * plain float32 flash-attention implementation with switchable bugs, so the
 * bound can be shown to pass correct kernels and fail wrong ones. */
#ifndef QTEST_ATTN_SUPPORT_H
#define QTEST_ATTN_SUPPORT_H

#include <stdint.h>

#include "qref/attention.h"

typedef struct tattn {
    qref_attention a;
    qref_attn_io io;
    const char *scheme;          /* KV scheme, NULL: f32 */
    int per_head;
    float *q;
    uint8_t *kbuf, *vbuf;
    int32_t *bt;
    uint32_t *tree;
    float *y, *bound, *lse, *blse, *probs, *bprobs;
    float *kf, *vf;              /* caches dequantized to float32 [kv_heads][R][d] */
} tattn;

/* Bugs of the float32 flash kernel. */
enum {
    TBUG_NONE = 0,
    TBUG_BF16_ACC = 1,           /* o and l rounded to bf16 after every block */
    TBUG_NO_MAX = 2,             /* exp(s) without subtracting the running max */
    TBUG_MASK_OFF_BY_ONE = 4,    /* causal j <= pos + 1 */
    TBUG_GQA_MAP = 8,            /* kv head h % kv_heads instead of h / group */
    TBUG_STALE_PAGE = 16         /* page 1 of sequence 0 read from another page */
};

/* Fills t (inputs, reference outputs and bounds); amp scales q and K
 * (large logits), seed the data. Returns 0 or -1 (message printed). */
int tattn_make(tattn *t, uint64_t seed, float amp);
void tattn_free(tattn *t);

/* float32 flash attention: KV blocks of `block` keys, `splits` partitions
 * and a reduce, online max rescaling; y: rows x dv floats. */
void tattn_flash32(const tattn *t, int block, int splits, unsigned bugs, float *y, float *lse);

/* Elements of y outside |y - ref| <= bound (NaN counts); *worst gets the
 * largest |y - ref| / bound. */
int64_t tattn_violations(const tattn *t, const float *y, double *worst);

#endif
