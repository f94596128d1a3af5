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
    { return prepare(slots[i], QCTS_OP_GEMM, d, b, c, m, n); }

#endif
