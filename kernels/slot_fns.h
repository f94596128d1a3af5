/* slot_fns.h — per-slot prepare trampolines. The backend ABI passes no
 * user-data pointer, so a backend that can be open several times at once
 * (exec, isolated plugins) gives each open instance a slot and its own set
 * of function pointers. QCTS_SLOT_PREPARE_FNS(i) defines convert_i,
 * quantize_i, dequant_i and gemm_i, which call the includer's
 *   prepare(slots[i], op, desc, buffers, call, msg, n). */
#ifndef QCTS_KERNELS_SLOT_FNS_H
#define QCTS_KERNELS_SLOT_FNS_H

#define QCTS_SLOT_PREPARE_FNS(i)                                                                           \
    static qcts_status convert_##i(const qcts_convert_desc *d, const qcts_buffers *b, qcts_call **c,       \
                                   char *m, size_t n)                                                      \
    { return prepare(slots[i], QCTS_OP_CONVERT, d, b, c, m, n); }                                          \
    static qcts_status quantize_##i(const qcts_quantize_desc *d, const qcts_buffers *b, qcts_call **c,     \
                                    char *m, size_t n)                                                     \
    { return prepare(slots[i], QCTS_OP_QUANTIZE, d, b, c, m, n); }                                         \
    static qcts_status dequant_##i(const qcts_dequant_desc *d, const qcts_buffers *b, qcts_call **c,       \
                                   char *m, size_t n)                                                      \
    { return prepare(slots[i], QCTS_OP_DEQUANT, d, b, c, m, n); }                                          \
    static qcts_status gemm_##i(const qcts_gemm_desc *d, const qcts_buffers *b, qcts_call **c, char *m,    \
                                size_t n)                                                                  \
    { return prepare(slots[i], QCTS_OP_GEMM, d, b, c, m, n); }                                             \
    QCTS_SLOT_OP_FN_(i, attention, QCTS_OP_ATTENTION)                                                      \
    QCTS_SLOT_OP_FN_(i, rope, QCTS_OP_ROPE)                                                                \
    QCTS_SLOT_OP_FN_(i, norm, QCTS_OP_NORM)                                                                \
    QCTS_SLOT_OP_FN_(i, softmax, QCTS_OP_SOFTMAX)                                                          \
    QCTS_SLOT_OP_FN_(i, hadamard, QCTS_OP_HADAMARD)                                                        \
    QCTS_SLOT_OP_FN_(i, moe_route, QCTS_OP_MOE_ROUTE)                                                      \
    QCTS_SLOT_OP_FN_(i, moe_dispatch, QCTS_OP_MOE_DISPATCH)                                                \
    QCTS_SLOT_OP_FN_(i, moe_experts, QCTS_OP_MOE_EXPERTS)                                                  \
    QCTS_SLOT_OP_FN_(i, sampling, QCTS_OP_SAMPLING)

/* The ABI 2 ops (qcts/opdef.h): NAME_i for each. */
#define QCTS_SLOT_OP_FN_(i, NAME, OP)                                                                      \
    __attribute__((unused)) static qcts_status NAME##_##i(const qcts_##NAME##_desc *d, const qcts_buffers *b, qcts_call **c,       \
                                  char *m, size_t n)                                                       \
    { return prepare(slots[i], OP, d, b, c, m, n); }

/* The slot's functions of the ABI 2 ops, as a struct to keep in a table. */
typedef struct qcts_slot_new_ops {
    qcts_attention_fn attention;
    qcts_rope_fn rope;
    qcts_norm_fn norm;
    qcts_softmax_fn softmax;
    qcts_hadamard_fn hadamard;
    qcts_moe_route_fn moe_route;
    qcts_moe_dispatch_fn moe_dispatch;
    qcts_moe_experts_fn moe_experts;
    qcts_sampling_fn sampling;
} qcts_slot_new_ops;
#define QCTS_SLOT_NEW_OPS(i)                                                                               \
    { attention_##i, rope_##i, norm_##i, softmax_##i, hadamard_##i, moe_route_##i, moe_dispatch_##i,       \
      moe_experts_##i, sampling_##i }

/* Sets be's ABI 2 op slots from t, those for which want(op) is true. */
static inline void qcts_slot_set_new_ops(qcts_backend *be, const qcts_slot_new_ops *t, int (*want)(qcts_op, void *),
                                         void *ctx)
{
#define QCTS_SET_(NAME, OP) be->NAME = want(OP, ctx) ? t->NAME : NULL;
    QCTS_SET_(attention, QCTS_OP_ATTENTION)
    QCTS_SET_(rope, QCTS_OP_ROPE)
    QCTS_SET_(norm, QCTS_OP_NORM)
    QCTS_SET_(softmax, QCTS_OP_SOFTMAX)
    QCTS_SET_(hadamard, QCTS_OP_HADAMARD)
    QCTS_SET_(moe_route, QCTS_OP_MOE_ROUTE)
    QCTS_SET_(moe_dispatch, QCTS_OP_MOE_DISPATCH)
    QCTS_SET_(moe_experts, QCTS_OP_MOE_EXPERTS)
    QCTS_SET_(sampling, QCTS_OP_SAMPLING)
#undef QCTS_SET_
}

#endif
