/* kernels/simd/quantize_int.h — the vector quantizer of the symmetric
 * integer group presets (GROUP family, INT4 / INT8 codes, no zero point,
 * no tensor scale: int4_sym_g128, int8_per_channel), bit-exact with
 * qref_quantize (ref/src/scheme_group.c): per group the scale is
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
} qcts_qint_ops;

#if QCTS_SIMD_X86
extern const qcts_qint_ops qcts_qint__avx2;   /* avx2/quantize-int.c (avx512 uses it too) */
#endif
#if QCTS_SIMD_ARM64
extern const qcts_qint_ops qcts_qint__neon;   /* neon/quantize-int.c */
#endif

/* The ISA's ops for scheme s, or NULL when s is not such a preset or the
 * ISA has none (then quantize runs the generic tier). */
const qcts_qint_ops *qcts_qint_ops_for(qcts_isa isa, const qref_scheme *s);

/* Quantizes rows x cols finite-checked weights into out (out_bytes, the
 * serialized size). 1 done; 0 when the generic tier must run instead (a
 * non-finite weight or a scale that overflows: ref reports those). */
int qcts_quantize_int(const qcts_qint_ops *ops, const qref_scheme *s, int64_t rows, int64_t cols, const float *w,
                      uint8_t *out, size_t out_bytes);

#endif
