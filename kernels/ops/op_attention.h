/* op_attention.h — helpers of the attention op shared by its definition
 * (op_attention.c), the ref slot (kernels/ref/ref_attention.c), the AVX2
 * kernels and the bench. Private to qcts. */
#ifndef QCTS_OPS_OP_ATTENTION_H
#define QCTS_OPS_OP_ATTENTION_H

#include "qcts/backend.h"
#include "qref/attention.h"

/* The reference's view of a descriptor (shape fields only). */
void qcts_attention_shape(const qcts_attention_desc *d, qref_attention *a);

/* The reference's view of a call's buffers (q, caches, block table, tree
 * mask, outputs); out_dtype set; bounds NULL. Validates the descriptor and
 * every block-table entry (qref_attention_check): 0, or -1 with a message. */
int qcts_attention_io(const qcts_attention_desc *d, const qcts_buffers *b, qref_attention *a, qref_attn_io *io,
                      char *err, size_t errlen);

#endif
