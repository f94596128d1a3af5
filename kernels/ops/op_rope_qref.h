/* op_rope_qref.h — qcts_rope_desc -> qref_rope_op (the reference's view of
 * the same op), for op_rope.c's validation and the ref backend's slot. */
#ifndef QCTS_OP_ROPE_QREF_H
#define QCTS_OP_ROPE_QREF_H

#include "qcts/backend.h"
#include "qref/rope.h"

static inline qref_fmt qcts_rowop_fmt(int32_t dt)
{
    return dt == QCTS_DT_F32 ? QREF_FMT_F32 : dt == QCTS_DT_F16 ? QREF_FMT_F16 : dt == QCTS_DT_BF16 ? QREF_FMT_BF16
                                                                                                     : QREF_FMT_COUNT;
}

static inline void qcts_rope_to_qref(const qcts_rope_desc *d, qref_rope_op *op)
{
    qref_rope_op o = { { (qref_rope_layout)d->layout, (qref_rope_scaling)d->scaling, d->rot_dim, d->theta,
                         d->factor, d->orig_ctx, d->beta_fast, d->beta_slow, d->mscale, d->mscale_all_dim,
                         d->attn_factor, d->low_freq_factor, d->high_freq_factor },
                       (qref_rope_mode)d->mode, qcts_rowop_fmt(d->in_dtype), qcts_rowop_fmt(d->out_dtype),
                       d->tokens, d->q_heads, d->k_heads, d->q_dim, d->k_dim, d->q_rot_off, d->k_rot_off };
    *op = o;
}

#endif
