/* qref/fmt.h — element formats and their bit-exact codecs.
 *
 * An element format turns one float32 into one code (encode) and back
 * (decode). Codes are returned right-aligned in a uint32_t: an E2M1 code is
 * 0..15, an FP8 code 0..255, an F16/BF16 code 0..65535, an F32 code is the
 * float's bit pattern. Signed integer formats use two's complement in their
 * width (INT4 code 0xF is -1); codebook formats (NF*) index their table.
 *
 * Encoding is pure integer bit manipulation: no libm, no dependence on the
 * FPU rounding mode, FTZ or DAZ. Decoding is exact (every code of every
 * format is a float32 value).
 *
 * Conventions (ref/README.md has the full tables and sources). A convention
 * that models a library names the release whose behaviour it models; when
 * the library changes behaviour, a new convention is added and the old one
 * stays, unchanged (qref_conv_get() gives each one's upstream releases):
 *   ocp             qcts's default: round to nearest, ties to even (RNE)
 *                   everywhere; FP8 saturates by default; NaN into a format
 *                   without NaN (FP4, FP6, INT, NF) is QREF_ERR_NAN.
 *   ml_dtypes_0_6   jax-ml/ml_dtypes 0.5.1 - 0.6.0 numpy casts (alias
 *                   "ml_dtypes", the name it had before 0.7.0 existed).
 *   ml_dtypes_0_5_0 jax-ml/ml_dtypes 0.5.0: E8M0 rounds normal inputs to
 *                   nearest, ties to even; everything else as ml_dtypes_0_6.
 *   ml_dtypes_0_7   jax-ml/ml_dtypes 0.7.0: E8M0 rounds float32 subnormals
 *                   by value (ties up); everything else as ml_dtypes_0_6.
 *   torch           PyTorch 2.11 CPU tensor casts.
 *   torch_2_15      PyTorch 2.15 CPU tensor casts: E4M3 saturates (finite
 *                   overflow and +-Inf -> +-448); everything else as torch.
 *   cuda_satfinite  CUDA 13 cuda_fp8/fp6/fp4/bf16/fp16 intrinsics, __NV_SATFINITE.
 *   cuda_nosat      the same with __NV_NOSAT.
 *   ggml            ggml-org/ggml (llama.cpp) scalar code.
 * Every convention name is accepted for every format; where a convention
 * does not differ from ocp for a format, it gives the ocp result. The enum
 * values are part of the backend ABI (qcts_convert_desc.convention): new
 * conventions are appended, never inserted.
 *
 * Modes: QREF_MODE_DEFAULT takes the convention's behaviour. QREF_MODE_SAT
 * (finite overflow -> +-max) and QREF_MODE_NOSAT (overflow -> Inf or NaN) may
 * be requested for E4M3, E5M2 and E8M0 under ocp and ggml; a convention that
 * fixes the behaviour (ml_dtypes, torch, cuda_*) or a format that has only
 * one (F16/BF16 always overflow to Inf; FP4, FP6, INT, NF always saturate)
 * answers an explicit request for the other mode with QREF_ERR_MODE.
 */
#ifndef QREF_FMT_H
#define QREF_FMT_H

#include <stddef.h>
#include <stdint.h>

#include "qref/status.h"

typedef enum qref_fmt {
    QREF_FMT_F32,
    QREF_FMT_F16,
    QREF_FMT_BF16,
    QREF_FMT_E4M3,   /* OCP FP8 E4M3 ("fn": no Inf, NaN = S.1111.111) */
    QREF_FMT_E5M2,   /* OCP FP8 E5M2 (IEEE-like: Inf and NaN) */
    QREF_FMT_E2M1,   /* OCP FP4 */
    QREF_FMT_E2M3,   /* OCP FP6 */
    QREF_FMT_E3M2,   /* OCP FP6 */
    QREF_FMT_E8M0,   /* OCP MX scale: unsigned power of two, 0xFF = NaN, no zero */
    QREF_FMT_INT8,
    QREF_FMT_UINT8,
    QREF_FMT_INT4,
    QREF_FMT_UINT4,
    QREF_FMT_INT3,
    QREF_FMT_UINT3,
    QREF_FMT_INT2,
    QREF_FMT_UINT2,
    QREF_FMT_NF4,    /* bitsandbytes NormalFloat4 table */
    QREF_FMT_NF3,    /* SINQ NF3 table (= the NF quantile rule with k = 3) */
    QREF_FMT_NF2,    /* NF quantile rule with k = 2 (defined by qcts) */
    QREF_FMT_COUNT
} qref_fmt;

typedef enum qref_conv {
    QREF_CONV_OCP,
    QREF_CONV_ML_DTYPES,          /* ml_dtypes 0.5.1 - 0.6.0: "ml_dtypes_0_6" */
    QREF_CONV_TORCH,
    QREF_CONV_CUDA_SATFINITE,
    QREF_CONV_CUDA_NOSAT,
    QREF_CONV_GGML,
    QREF_CONV_ML_DTYPES_0_7,      /* ml_dtypes 0.7.0 */
    QREF_CONV_ML_DTYPES_0_5_0,    /* ml_dtypes 0.5.0 */
    QREF_CONV_TORCH_2_15,         /* torch 2.15: E4M3 saturates */
    QREF_CONV_COUNT
} qref_conv;
#define QREF_CONV_ML_DTYPES_0_6 QREF_CONV_ML_DTYPES

typedef enum qref_mode {
    QREF_MODE_DEFAULT,
    QREF_MODE_SAT,
    QREF_MODE_NOSAT
} qref_mode;

typedef enum qref_fmt_kind {
    QREF_KIND_FLOAT,     /* sign/exponent/mantissa */
    QREF_KIND_SCALE,     /* E8M0: exponent only, unsigned */
    QREF_KIND_INT,       /* integers, signed or unsigned */
    QREF_KIND_CODEBOOK   /* a table of values indexed by the code */
} qref_fmt_kind;

/* Static facts about a format (ocp convention). Values are float32. */
typedef struct qref_fmt_info {
    qref_fmt fmt;
    const char *name;          /* canonical name: "e4m3" */
    const char *aliases;       /* comma-separated other accepted names */
    const char *description;
    qref_fmt_kind kind;
    unsigned bits;             /* code width */
    int is_signed;
    int ebits, mbits, bias;    /* floats only; bias 0 otherwise */
    uint32_t max_code;         /* code of the largest finite value */
    float max;                 /* largest finite value */
    float min;                 /* most negative finite value (0 or -max for floats) */
    float min_normal;          /* smallest positive normal (floats), 0 otherwise */
    float min_subnormal;       /* smallest positive value above zero */
    const char *inf_codes;     /* "0x7C, 0xFC" or "none" */
    const char *nan_codes;     /* "0x7F, 0xFF" or "none" */
} qref_fmt_info;

const qref_fmt_info *qref_fmt_get(qref_fmt f);             /* NULL if out of range */
qref_status qref_fmt_from_name(const char *name, qref_fmt *out); /* case-insensitive, aliases */
static inline uint32_t qref_fmt_code_count(const qref_fmt_info *i)
{
    return i->bits >= 32 ? 0 : (uint32_t)1 << i->bits;    /* 0 means 2^32 */
}

/* Static facts about a convention. */
typedef struct qref_conv_info {
    qref_conv conv;
    const char *name;          /* canonical name: "ml_dtypes_0_6" */
    const char *aliases;       /* comma-separated other accepted names, "" if none */
    const char *upstream;      /* what it models, with the releases checked
                                  to behave the same: "ml_dtypes 0.5.1 - 0.6.0" */
    const char *description;
} qref_conv_info;

const qref_conv_info *qref_conv_get(qref_conv c);           /* NULL if out of range */
const char *qref_conv_name(qref_conv c);                    /* NULL if out of range */
qref_status qref_conv_from_name(const char *name, qref_conv *out); /* case-insensitive, aliases */
/* 1 for the ml_dtypes conventions (they share every rule but E8M0's). */
int qref_conv_is_ml_dtypes(qref_conv c);
/* 1 for the torch conventions (they share every rule but E4M3 overflow's). */
int qref_conv_is_torch(qref_conv c);
const char *qref_mode_name(qref_mode m);                    /* "default", "sat", "nosat" */
qref_status qref_mode_from_name(const char *name, qref_mode *out);

/* The mode that applies to (f, c, requested): QREF_MODE_SAT or
 * QREF_MODE_NOSAT, or QREF_ERR_MODE when the request is not available. */
qref_status qref_mode_resolve(qref_fmt f, qref_conv c, qref_mode requested, qref_mode *effective);

/* Encode one float32. On QREF_OK or QREF_ERR_NAN *code holds the result
 * (for QREF_ERR_NAN, the ocp fallback: +max for FP4/FP6, the code of 0 for
 * INT and NF); on other errors *code is left unchanged. */
qref_status qref_encode(qref_fmt f, qref_conv c, qref_mode m, float x, uint32_t *code);

/* Decode one code. QREF_ERR_CODE if bits are set above the format's width.
 * NaN codes decode to the quiet NaN 0x7FC00000 with the code's sign (F16 and
 * BF16 keep their payload); ggml decodes E8M0 0xFF to +Inf. */
qref_status qref_decode(qref_fmt f, qref_conv c, uint32_t code, float *out);

/* Fast paths used by schemes and kernels (ocp convention, default mode). */
uint16_t qref_f32_to_f16(float x);
float qref_f16_to_f32(uint16_t h);
uint16_t qref_f32_to_bf16(float x);
float qref_bf16_to_f32(uint16_t h);
uint8_t qref_f32_to_e4m3_sat(float x);
float qref_e4m3_to_f32(uint8_t c);
uint8_t qref_f32_to_e5m2_sat(float x);
float qref_e5m2_to_f32(uint8_t c);
uint8_t qref_f32_to_e2m1(float x);          /* NaN -> 0x7 (ocp fallback) */
float qref_e2m1_to_f32(uint8_t c);
float qref_e8m0_to_f32(uint8_t c);          /* 0xFF -> NaN, 0x00 -> 2^-127 */

/* The NF codebooks (float32 values, ascending by code). */
extern const float qref_nf4_table[16];
extern const float qref_nf3_table[8];
extern const float qref_nf2_table[4];

#endif
