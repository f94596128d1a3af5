/* gguf_impl.h — internal: the GGUF family's per-type table and the scalar
 * helpers that make its quantizers reproduce ggml's reference quantizers
 * (ggml-quants.c quantize_row_*_ref) bit for bit.
 *
 * Bit-exactness with ggml rests on doing the same float32 operations in the
 * same order: ref/ builds with -ffp-contract=off (no fused a*b+c, which is
 * what ggml's scalar code gives when the compiler has no FMA to contract to:
 * an x86-64 build of ggml-base without -mfma) and on a target whose float
 * expressions are evaluated in float (FLT_EVAL_METHOD == 0: SSE2, NEON;
 * never x87). Each file in gguf_*.c names the ggml function it follows. */
#ifndef QREF_GGUF_IMPL_H
#define QREF_GGUF_IMPL_H

#include <float.h>
#include <stddef.h>
#include <stdint.h>

#include "qref/bits.h"
#include "qref/blocks.h"
#include "qref/fmt.h"
#include "scheme_impl.h"

#if !defined(FLT_EVAL_METHOD) || FLT_EVAL_METHOD != 0
#error "the GGUF reference quantizers need float arithmetic evaluated in float (FLT_EVAL_METHOD 0)"
#endif

typedef struct qref__gguf_type {
    int ggml_type;
    const char *name;        /* ggml's name, "Q4_0" */
    int32_t block;           /* elements per block */
    size_t bytes;            /* bytes per block */
    /* ggml's quantize_row_<type>_ref on one block (all of them quantize each
     * block independently); NULL when qcts does not quantize the type. */
    void (*quantize)(const float *x, uint8_t *blk);
    /* The exact value of each element of one block: hi[i] + lo[i]. */
    void (*dequant)(const uint8_t *blk, double *hi, double *lo);
    /* 0 if the block passes ggml_validate_row_data's checks, else non-zero
     * with a phrase (no row/block) in why. */
    int (*check)(const uint8_t *blk, char *why, size_t len);
    const char *no_quantize; /* the reason, when quantize is NULL */
} qref__gguf_type;

extern const qref__gguf_type qref__gguf_q4_0, qref__gguf_q4_1, qref__gguf_q8_0;
extern const qref__gguf_type qref__gguf_q4_k, qref__gguf_q6_k;
extern const qref__gguf_type qref__gguf_mxfp4, qref__gguf_nvfp4;
extern const qref__gguf_type qref__gguf_iq2_xxs, qref__gguf_iq3_xxs;

/* The table entry for a ggml type id, NULL if qcts has none. */
const qref__gguf_type *qref__gguf_type_of(int ggml_type);

/* ---- little-endian fields ------------------------------------------------ */
static inline uint16_t qref__le16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

static inline uint32_t qref__le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline void qref__put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

/* ---- f16 fields ---------------------------------------------------------- */
/* The exact value of an f16 field (ggml's GGML_FP16_TO_FP32 is exact too). */
static inline double qref__f16_at(const uint8_t *p) { return (double)qref_f16_to_f32(qref__le16(p)); }

static inline float qref__f16_at_f(const uint8_t *p) { return qref_f16_to_f32(qref__le16(p)); }

/* ggml's GGML_FP32_TO_FP16 (ggml_compute_fp32_to_fp16) is IEEE RNE with
 * subnormals, as qref_f32_to_f16 is, for every finite input. */
static inline void qref__put_f16(uint8_t *p, float x) { qref__put_le16(p, qref_f32_to_f16(x)); }

/* Fails (non-zero, with a phrase in why) when the f16 field is Inf or NaN,
 * as ggml_validate_row_data's validate_fp16 does. */
int qref__gguf_check_f16(const uint8_t *p, const char *field, char *why, size_t len);

/* ---- ggml's scalar idioms, reproduced ------------------------------------ */
static inline float qref__absf(float x) { return qref_f32_from_bits(qref_f32_bits(x) & 0x7FFFFFFFu); }

/* ggml nearest_int: adds 1.5*2^23 and reads the low mantissa bits, i.e.
 * round to nearest even for |x| <= 2^22 - 1 (ggml asserts that range; the
 * same bit operations are done for any input). */
static inline int qref__nearest_int(float fval)
{
    float val = fval + 12582912.f;
    int32_t i = (int32_t)qref_f32_bits(val);
    return (i & 0x007fffff) - 0x00400000;
}

/* A C cast of a float to an integer type narrower than 32 bits, as ggml's
 * (int8_t)x / (uint8_t)x compile on x86-64: cvttss2si to a 32-bit integer
 * (truncation; NaN and out-of-range give INT32_MIN), then the low bits.
 * Returns the 32-bit result; callers take the low byte. For in-range values
 * this is plain truncation toward zero; out-of-range values are undefined
 * behaviour in C and only reached by ggml for blocks whose scale
 * over/underflows (see ref/SCHEMES-gguf.md). */
static inline int32_t qref__cvtt_i32(float x)
{
    if (!(x > -2147483648.0f && x < 2147483648.0f))
        return INT32_MIN;
    return (int32_t)x;
}

static inline int qref__cvtt_i8(float x)
{
    int v = (int)(qref__cvtt_i32(x) & 0xFF);
    return v >= 128 ? v - 256 : v;
}

static inline int qref__cvtt_u8(float x) { return (int)(qref__cvtt_i32(x) & 0xFF); }

/* An int stored into int8_t / uint8_t (modulo 2^8, as gcc and clang do). */
static inline int qref__wrap_i8(int v)
{
    v &= 0xFF;
    return v >= 128 ? v - 256 : v;
}

/* 2^k as a float for -126 <= k <= 127. */
static inline float qref__pow2f(int k) { return qref_f32_from_bits((uint32_t)(k + 127) << 23); }

#endif
