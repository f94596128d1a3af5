/* kernels/op_slot.h — how a per-op file (kernels/ref/ref_<op>.c,
 * kernels/simd/avx2/<op>*.c) makes a call of a backend whose struct
 * qcts_call is private to its backend file: it keeps its own state and
 * gives the backend these functions; the backend's run / release / variant
 * forward to them (qcts_ref_slot_call, qcts_simd_slot_call). */
#ifndef QCTS_KERNELS_OP_SLOT_H
#define QCTS_KERNELS_OP_SLOT_H

#include <stddef.h>

#include "qcts/backend.h"

typedef struct qcts_op_slot {
    qcts_status (*run)(void *state, char *msg, size_t n);
    void (*release)(void *state);
    const char *(*variant)(const void *state);   /* may be NULL */
} qcts_op_slot;

/* Wraps state into a call of the ref / simd backend (state is released
 * through slot->release on failure too). */
qcts_status qcts_ref_slot_call(qcts_op op, const qcts_op_slot *slot, void *state, qcts_call **out, char *msg,
                               size_t n);
qcts_status qcts_simd_slot_call(qcts_op op, const qcts_op_slot *slot, void *state, qcts_call **out, char *msg,
                                size_t n);

/* The per-op slot functions the backends' initializers name. */
qcts_status qcts_ref_attention(const qcts_attention_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                               size_t n);
qcts_status qcts_avx2_attention(const qcts_attention_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                                size_t n);

#endif
