/* ref_rowops.h — the ref backend's rope, norm and softmax slots
 * (kernels/ref/ref_rope.c, ref_norm.c; call objects of kernels/opcall.h). */
#ifndef QCTS_KERNELS_REF_ROWOPS_H
#define QCTS_KERNELS_REF_ROWOPS_H

#include "qcts/backend.h"

qcts_status qcts_ref_rope(const qcts_rope_desc *d, const qcts_buffers *b, qcts_call **call, char *msg, size_t n);
qcts_status qcts_ref_norm(const qcts_norm_desc *d, const qcts_buffers *b, qcts_call **call, char *msg, size_t n);
qcts_status qcts_ref_softmax(const qcts_softmax_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                             size_t n);

#endif
