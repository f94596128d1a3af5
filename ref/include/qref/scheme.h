/* qref/scheme.h — quantization schemes: how a float32 weight matrix becomes
 * packed codes plus scales, and back.
 *
 * A matrix has `rows` output channels (N) and `cols` reduction elements (K);
 * row r, column k is w[r * cols + k]. A scheme is an element format, a group
 * size along K, a scale format, an optional zero point, an optional float32
 * per-tensor scale and a packing layout. Named presets (qref_scheme_find) are
 * the only schemes; ref/README.md lists them with their exact rules.
 *
 * A quantized matrix (qref_qtensor) has up to five sections, always
 * serialized in this order, each little-endian, with sizes fully determined
 * by (scheme, rows, cols) (qref_qsizes_get):
 *   codes   packed element codes in the scheme's layout (GGUF: the block
 *           array, which carries its own scales)
 *   scales  one per group, row-major [rows][groups per row], in the scale
 *           format (f32: 4 bytes, f16/bf16: 2, e8m0/e4m3/ue4m3: 1)
 *   zeros   one per group, same order: uint8 integer zero points, or f16
 *           float zero points (the "min" of Q4_1-like schemes)
 *   meta    N:M sparsity metadata (see qref/sparse.h)
 *   tscale  the float32 per-tensor scale (4 bytes) when the scheme has one
 *
 * Dequantization is exact: every family produces the exact real value of
 * each weight (as an unevaluated sum hi + lo of two doubles where one double
 * is not enough), and qref_dequantize_as rounds it once, to nearest even, to
 * f32, f16 or bf16.
 */
#ifndef QREF_SCHEME_H
#define QREF_SCHEME_H

#include <stddef.h>
#include <stdint.h>

#include "qref/fmt.h"
#include "qref/status.h"

typedef enum qref_scale_fmt {
    QREF_SCALE_NONE,
    QREF_SCALE_F32,
    QREF_SCALE_F16,
    QREF_SCALE_BF16,
    QREF_SCALE_E8M0,
    QREF_SCALE_E4M3,   /* signed E4M3 code, always positive in practice */
    QREF_SCALE_UE4M3   /* E4M3 bits read with the sign ignored (NVFP4 in cuBLAS) */
} qref_scale_fmt;

typedef enum qref_zero_kind {
    QREF_ZERO_NONE,
    QREF_ZERO_INT,     /* uint8 per group: w = (q - z) * s */
    QREF_ZERO_FLOAT    /* f16 per group:   w = q * s + m   */
} qref_zero_kind;

typedef enum qref_layout {
    QREF_LAYOUT_BYTES,       /* one code per byte (8-bit formats), row-major */
    QREF_LAYOUT_KMAJOR_U32,  /* 32/bits codes per little-endian u32 along K, element
                                i of a word at bits [bits*i, bits*i+bits): for 4-bit
                                codes element 2i is the low nibble of byte i */
    QREF_LAYOUT_PACK24,      /* 3-bit or 6-bit codes packed densely in 24-bit
                                little-endian words (8 or 4 codes per 3 bytes):
                                code j of a word at bits [bits*j, bits*j+bits) */
    QREF_LAYOUT_GGUF,        /* ggml block structs (qref/blocks.h) */
    QREF_LAYOUT_MARLIN,      /* Marlin 16x16 tile permutation (qref/marlin.h) */
    QREF_LAYOUT_SPARSE       /* N:M compressed values + metadata (qref/sparse.h) */
} qref_layout;

typedef enum qref_family {
    QREF_FAMILY_GROUP,   /* group-scaled RTN: fp4/int/nf/fp8 presets */
    QREF_FAMILY_MX,      /* OCP MX: block 32, E8M0 scale */
    QREF_FAMILY_NVFP4,   /* block 16 E4M3 scale + float32 tensor scale */
    QREF_FAMILY_GGUF,    /* ggml blocks, byte-compatible with GGUF files */
    QREF_FAMILY_MARLIN,  /* a group preset repacked in the Marlin layout */
    QREF_FAMILY_SPARSE,  /* a group preset on N:M pruned weights */
    QREF_FAMILY_COUNT
} qref_family;

#define QREF_GROUP_ROW (-1)      /* one scale per row (per channel) */
#define QREF_GROUP_TENSOR (-2)   /* one scale for the whole tensor */

typedef struct qref_scheme {
    const char *name;
    const char *description;
    qref_family family;
    qref_fmt elem;           /* element format of the codes */
    int32_t group;           /* elements per scale along K, or QREF_GROUP_* */
    qref_scale_fmt scale;
    qref_zero_kind zero;
    int tensor_scale;        /* 1: a float32 per-tensor scale follows */
    qref_layout layout;
    int gguf_type;           /* ggml type id (GGUF family), else -1 */
    int sparse_n, sparse_m;  /* N:M sparsity (keep N of every M), 0 if dense */
    const char *base;        /* MARLIN/SPARSE: the dense preset used per value */
} qref_scheme;

typedef struct qref_qsizes {
    size_t codes, scales, zeros, meta, tscale, total;   /* bytes */
} qref_qsizes;

typedef struct qref_qtensor {
    const qref_scheme *scheme;
    int64_t rows, cols;
    qref_qsizes sizes;
    uint8_t *codes, *scales, *zeros, *meta;   /* point into storage; NULL if size 0 */
    float tensor_scale;                       /* 1.0f when the scheme has none */
    uint8_t *storage;                         /* one allocation, owned */
} qref_qtensor;

/* Where an error happened: row and block (group) index, -1 if not known,
 * and a sentence naming them. */
typedef struct qref_error {
    int64_t row, block;
    char msg[256];
} qref_error;

/* ---- catalog ------------------------------------------------------------ */
size_t qref_scheme_count(void);
const qref_scheme *qref_scheme_at(size_t i);              /* NULL past the end */
const qref_scheme *qref_scheme_find(const char *name);    /* NULL if unknown */
const char *qref_scale_fmt_name(qref_scale_fmt s);
const char *qref_layout_name(qref_layout l);
const char *qref_family_name(qref_family f);
unsigned qref_scale_fmt_bytes(qref_scale_fmt s);

/* Section sizes for a rows x cols matrix; QREF_ERR_SIZE (with a message) when
 * the shape does not fit the scheme (cols not a multiple of the group, ...). */
qref_status qref_qsizes_get(const qref_scheme *s, int64_t rows, int64_t cols,
                            qref_qsizes *out, qref_error *err);

/* Storage bits per weight, everything included, for a rows x cols matrix. */
double qref_scheme_bits_per_weight(const qref_scheme *s, int64_t rows, int64_t cols);

/* ---- tensors ------------------------------------------------------------ */
qref_status qref_qtensor_alloc(const qref_scheme *s, int64_t rows, int64_t cols,
                               qref_qtensor *out, qref_error *err);  /* zero-filled */
void qref_qtensor_free(qref_qtensor *t);

/* The serialized form is exactly sizes.total bytes: codes, scales, zeros,
 * meta, tscale. load() validates the size and the data (e.g. an E8M0 0xFF
 * block scale is QREF_ERR_DATA naming the row and block). */
qref_status qref_qtensor_save(const qref_qtensor *t, uint8_t *buf, size_t len);
qref_status qref_qtensor_load(const qref_scheme *s, int64_t rows, int64_t cols,
                              const uint8_t *buf, size_t len, qref_qtensor *out,
                              qref_error *err);

/* Quantize w (rows*cols float32) into *out (allocated here; free with
 * qref_qtensor_free). Non-finite weights are QREF_ERR_DATA naming the row
 * and block; nothing is allocated on error. */
qref_status qref_quantize(const qref_scheme *s, int64_t rows, int64_t cols, const float *w,
                          qref_qtensor *out, qref_error *err);

/* Dequantize to float32 (rows*cols), rounded once from the exact value. */
qref_status qref_dequantize(const qref_qtensor *t, float *out, qref_error *err);

/* Dequantize to QREF_FMT_F32 (float), F16 or BF16 (uint16_t codes), rounded
 * once from the exact value. */
qref_status qref_dequantize_as(const qref_qtensor *t, qref_fmt out_fmt, void *out, qref_error *err);

/* Exact values of one row as hi + lo (lo is 0 where hi is exact). */
qref_status qref_dequantize_row_exact(const qref_qtensor *t, int64_t row, double *hi,
                                      double *lo, qref_error *err);

/* Rounds the exact value hi + lo (|lo| <= ulp(hi)/2, as TwoSum gives) once,
 * to nearest even. */
float qref_round2_to_f32(double hi, double lo);
uint16_t qref_round2_to_f16(double hi, double lo);
uint16_t qref_round2_to_bf16(double hi, double lo);

/* Scale codecs: encode RNE (ocp, saturating), decode exact. */
uint32_t qref_scale_encode(qref_scale_fmt s, float x);
double qref_scale_decode(qref_scale_fmt s, uint32_t code);
void qref_scale_store(qref_scale_fmt s, uint8_t *dst, size_t index, uint32_t code);
uint32_t qref_scale_load(qref_scale_fmt s, const uint8_t *src, size_t index);

#endif
