/* codec_impl.h — internal: one encoder and decoder per format family.
 * Encoders take the float32 bits and an already resolved mode (SAT or NOSAT);
 * decoders return float32 bits. qref_encode/qref_decode (codec.c) validate
 * arguments and dispatch here. */
#ifndef QREF_CODEC_IMPL_H
#define QREF_CODEC_IMPL_H

#include <stdint.h>

#include "qref/fmt.h"

typedef qref_status (*qref__enc_fn)(qref_conv c, qref_mode m, uint32_t u, uint32_t *code);
typedef qref_status (*qref__dec_fn)(qref_conv c, uint32_t code, uint32_t *bits);

#define QREF__CODEC(name)                                                        \
    qref_status qref__enc_##name(qref_conv c, qref_mode m, uint32_t u, uint32_t *code); \
    qref_status qref__dec_##name(qref_conv c, uint32_t code, uint32_t *bits);

QREF__CODEC(f16)
QREF__CODEC(bf16)
QREF__CODEC(e4m3)
QREF__CODEC(e5m2)
QREF__CODEC(e2m1)
QREF__CODEC(e2m3)
QREF__CODEC(e3m2)
QREF__CODEC(e8m0)

/* Integer formats: range [lo, hi], code = value & (2^bits - 1). */
qref_status qref__enc_int(qref_conv c, int lo, int hi, unsigned bits, uint32_t u, uint32_t *code);
qref_status qref__dec_int(int is_signed, unsigned bits, uint32_t code, uint32_t *out);

/* Codebook formats: n ascending float32 values. */
qref_status qref__enc_codebook(const float *table, unsigned n, uint32_t u, uint32_t *code);

#endif
