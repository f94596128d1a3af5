/* kernels/simd/quantize_int.h — the vector quantizer of the symmetric
 * integer group presets (GROUP family, INT4 / INT8 codes, no zero point,
 * no tensor scale: int4_sym_g128, int8_per_channel) and of GGUF Q8_0 and
 * Q4_0, bit-exact with qref_quantize. GGUF: ref/src/gguf_q32.c's ggml
 * quantizers, the per-block scale in scalar code, the codes in vectors.
 * Group presets (ref/src/scheme_group.c): per group the scale is
 * absmax / qmax rounded to the scale format by qref_scale_encode (scalar,
 * once per group); per element q = x / s (one IEEE division), rounded to
 * the nearest integer, ties to even, then clamped to [-qmax, qmax] (INT8's
 * -128 becomes -127 in ref: the same), two's complement in the code width;
 * codes packed by qref_pack_codes and the tensor serialized by
 * qref_qtensor_save. Every step is exact or one correctly rounded
 * operation, so the order of the vector lanes cannot change a bit. */
#ifndef QCTS_SIMD_QUANTIZE_INT_H
#define QCTS_SIMD_QUANTIZE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/simd/simd.h"
#include "qref/scheme.h"

typedef struct qcts_qint_ops {
    /* max |x_i| over n finite values */
    float (*absmax)(const float *x, int64_t n);
    /* out[i] = (uint8_t)((int)clamp(rint(x[i] / sd), -qmax, qmax) & mask), sd > 0 */
    void (*codes)(const float *x, int64_t n, float sd, float qmax, uint8_t mask, uint8_t *out);
    /* GGUF blocks of 32 (ref/src/gguf_q32.c, ggml's reference quantizers):
     * the 16 or 32 code bytes of one block, given its id (the f16 scale is
     * stored by the driver). q8_0: (int8)roundf(x id) (ties away, as
     * roundf); q4_0: min((int8)(x id + 8.5), 15), nibbles j | j + 16 << 4;
     * both with the x86 cvttss2si conversion (INT32_MIN out of range). */
    void (*q8_0)(const float *x, float id, uint8_t *qs);
    void (*q4_0)(const float *x, float id, uint8_t *qs);
} qcts_qint_ops;

#if QCTS_SIMD_X86
extern const qcts_qint_ops qcts_qint__avx2;   /* avx2/quantize-int.c (avx512 uses it too) */
#endif
#if QCTS_SIMD_ARM64
extern const qcts_qint_ops qcts_qint__neon;   /* neon/quantize-int.c */
#endif

/* The ISA's ops for scheme s (a symmetric integer group preset, gguf_q8_0
 * or gguf_q4_0), or NULL when s is none of them or the ISA has no ops
 * (then quantize runs the generic tier). */
const qcts_qint_ops *qcts_qint_ops_for(qcts_isa isa, const qref_scheme *s);

/* Quantizes rows x cols finite-checked weights into out (out_bytes, the
 * serialized size). 1 done; 0 when the generic tier must run instead (a
 * non-finite weight or a scale that overflows: ref reports those). */
int qcts_quantize_int(const qcts_qint_ops *ops, const qref_scheme *s, int64_t rows, int64_t cols, const float *w,
                      uint8_t *out, size_t out_bytes);

#endif
