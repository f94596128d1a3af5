/* qref/blocks.h — ggml (GGUF) block layouts, declared once for C, Metal and
 * CUDA, in the manner of ggml's ggml-common.h.
 *
 * Select the language before including, exactly one of:
 *     #define QREF_DECL_C       C11 or C++ host code (the default when none is set)
 *     #define QREF_DECL_METAL   Metal Shading Language
 *     #define QREF_DECL_CUDA    CUDA (.cu, host and device)
 * What changes between them is only the 16-bit container of an IEEE binary16
 * value (qref_half_t: uint16_t in C, half in Metal and CUDA) and the spelling
 * of the static assert. Every struct is byte-compatible with the ggml block
 * of the same name and with the tensor data of a GGUF file:
 *
 *   type (ggml id)   elements  bytes  struct
 *   Q4_0    (2)           32     18   qref_block_q4_0
 *   Q4_1    (3)           32     20   qref_block_q4_1
 *   Q8_0    (8)           32     34   qref_block_q8_0
 *   Q4_K   (12)          256    144   qref_block_q4_k
 *   Q6_K   (14)          256    210   qref_block_q6_k
 *   IQ2_XXS(16)          256     66   qref_block_iq2_xxs
 *   IQ3_XXS(18)          256     98   qref_block_iq3_xxs
 *   MXFP4  (39)           32     17   qref_block_mxfp4
 *   NVFP4  (40)           64     36   qref_block_nvfp4
 *
 * All multi-byte fields are little-endian in files. Members are byte arrays
 * or 16-bit values placed at even offsets, so no struct has padding (each
 * size is asserted below). Host C code in ref/ uses these structs for sizes
 * and offsets (offsetof) and reads the bytes explicitly as little-endian, so
 * it is also correct on a big-endian host; a kernel on a little-endian device
 * may read the structs directly.
 *
 * Element order inside a block (the dequantization rules are in
 * ref/SCHEMES-gguf.md and ref/src/gguf_*.c):
 *   Q4_0, Q4_1, MXFP4: byte j holds element j (low nibble) and j+16 (high).
 *   NVFP4: four 16-element sub-blocks s, each with scale d[s]; byte 8s+j
 *          holds element 16s+j (low nibble) and 16s+j+8 (high).
 *   Q4_K: per 64-element chunk c, byte 32c+l holds element 64c+l (low) and
 *         64c+32+l (high); 6-bit scale/min pairs packed in scales[12].
 *   Q6_K: see ggml dequantize_row_q6_K (ql/qh/scales, two 128-element halves).
 */
#ifndef QREF_BLOCKS_H
#define QREF_BLOCKS_H

#if !defined(QREF_DECL_C) && !defined(QREF_DECL_METAL) && !defined(QREF_DECL_CUDA)
#define QREF_DECL_C
#endif

#if (defined(QREF_DECL_C) + defined(QREF_DECL_METAL) + defined(QREF_DECL_CUDA)) != 1
#error "qref/blocks.h: define exactly one of QREF_DECL_C, QREF_DECL_METAL, QREF_DECL_CUDA"
#endif

#if defined(QREF_DECL_METAL)
#include <metal_stdlib>
typedef half qref_half_t;
#define QREF_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#elif defined(QREF_DECL_CUDA)
#include <cuda_fp16.h>
#include <stdint.h>
typedef half qref_half_t;
#define QREF_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else /* QREF_DECL_C */
#include <stdint.h>
typedef uint16_t qref_half_t;
#if defined(__cplusplus)
#define QREF_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define QREF_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif
#endif

/* Elements per block. */
#define QREF_QK4_0 32
#define QREF_QK4_1 32
#define QREF_QK8_0 32
#define QREF_QK_K 256            /* K-quant and IQ super-blocks */
#define QREF_K_SCALE_SIZE 12     /* Q4_K packed 6-bit scales and mins */
#define QREF_QK_MXFP4 32
#define QREF_QK_NVFP4 64
#define QREF_QK_NVFP4_SUB 16     /* NVFP4 elements per UE4M3 scale */

/* ggml type ids (enum ggml_type) of the blocks declared here. */
#define QREF_GGML_TYPE_Q4_0 2
#define QREF_GGML_TYPE_Q4_1 3
#define QREF_GGML_TYPE_Q8_0 8
#define QREF_GGML_TYPE_Q4_K 12
#define QREF_GGML_TYPE_Q6_K 14
#define QREF_GGML_TYPE_IQ2_XXS 16
#define QREF_GGML_TYPE_IQ3_XXS 18
#define QREF_GGML_TYPE_MXFP4 39
#define QREF_GGML_TYPE_NVFP4 40

/* Q4_0: y = (q - 8) * d. */
typedef struct {
    qref_half_t d;
    uint8_t qs[QREF_QK4_0 / 2];
} qref_block_q4_0;
QREF_STATIC_ASSERT(sizeof(qref_block_q4_0) == 2 + QREF_QK4_0 / 2, "wrong q4_0 block size/padding");

/* Q4_1: y = q * d + m. */
typedef struct {
    qref_half_t d;
    qref_half_t m;
    uint8_t qs[QREF_QK4_1 / 2];
} qref_block_q4_1;
QREF_STATIC_ASSERT(sizeof(qref_block_q4_1) == 4 + QREF_QK4_1 / 2, "wrong q4_1 block size/padding");

/* Q8_0: y = q * d. */
typedef struct {
    qref_half_t d;
    int8_t qs[QREF_QK8_0];
} qref_block_q8_0;
QREF_STATIC_ASSERT(sizeof(qref_block_q8_0) == 2 + QREF_QK8_0, "wrong q8_0 block size/padding");

/* Q4_K: 8 sub-blocks of 32; y = d * sc * q - dmin * m (6-bit sc, m). */
typedef struct {
    qref_half_t d;
    qref_half_t dmin;
    uint8_t scales[QREF_K_SCALE_SIZE];
    uint8_t qs[QREF_QK_K / 2];
} qref_block_q4_k;
QREF_STATIC_ASSERT(sizeof(qref_block_q4_k) == 4 + QREF_K_SCALE_SIZE + QREF_QK_K / 2, "wrong q4_k block size/padding");

/* Q6_K: 16 sub-blocks of 16; y = d * scales[i] * (q - 32), q 6-bit. */
typedef struct {
    uint8_t ql[QREF_QK_K / 2];      /* low 4 bits */
    uint8_t qh[QREF_QK_K / 4];      /* high 2 bits */
    int8_t scales[QREF_QK_K / 16];  /* 8-bit signed sub-block scales */
    qref_half_t d;
} qref_block_q6_k;
QREF_STATIC_ASSERT(sizeof(qref_block_q6_k) == QREF_QK_K / 2 + QREF_QK_K / 4 + QREF_QK_K / 16 + 2,
                   "wrong q6_k block size/padding");

/* IQ2_XXS: per 32 elements two u32 (4 grid indices; 4x7 sign bits + 4-bit scale). */
typedef struct {
    qref_half_t d;
    uint16_t qs[QREF_QK_K / 8];
} qref_block_iq2_xxs;
QREF_STATIC_ASSERT(sizeof(qref_block_iq2_xxs) == 2 + QREF_QK_K / 8 * 2, "wrong iq2_xxs block size/padding");

/* IQ3_XXS: qs[0..63] grid indices, qs[64..95] eight u32 of signs + scale. */
typedef struct {
    qref_half_t d;
    uint8_t qs[3 * QREF_QK_K / 8];
} qref_block_iq3_xxs;
QREF_STATIC_ASSERT(sizeof(qref_block_iq3_xxs) == 2 + 3 * QREF_QK_K / 8, "wrong iq3_xxs block size/padding");

/* MXFP4: y = kvalues_mxfp4[q] * 2^(e - 128) (E2M1 doubled, scale halved). */
typedef struct {
    uint8_t e;
    uint8_t qs[QREF_QK_MXFP4 / 2];
} qref_block_mxfp4;
QREF_STATIC_ASSERT(sizeof(qref_block_mxfp4) == 1 + QREF_QK_MXFP4 / 2, "wrong mxfp4 block size/padding");

/* NVFP4 (ggml): four UE4M3 scales, one per 16 elements; no tensor scale. */
typedef struct {
    uint8_t d[QREF_QK_NVFP4 / QREF_QK_NVFP4_SUB];
    uint8_t qs[QREF_QK_NVFP4 / 2];
} qref_block_nvfp4;
QREF_STATIC_ASSERT(sizeof(qref_block_nvfp4) == QREF_QK_NVFP4 / QREF_QK_NVFP4_SUB + QREF_QK_NVFP4 / 2,
                   "wrong nvfp4 block size/padding");

#if defined(QREF_DECL_C)
#ifdef __cplusplus
extern "C" {
#endif
/* ggml's lookup tables, defined in libqref (ref/src/gguf_iq_tables.c,
 * generated from shared/data by ref/tools/gen_iq_tables.py). A grid entry's
 * bytes, least significant first, are the magnitudes of consecutive
 * elements: (grid >> 8j) & 0xFF is element j. */
extern const uint64_t qref_iq2xxs_grid[256];   /* 8 magnitudes each, in {8, 25, 43} */
extern const uint32_t qref_iq3xxs_grid[256];   /* 4 magnitudes each, in {4, 12, ..., 52, 62} */
extern const uint8_t qref_ksigns_iq2xs[128];   /* 7 sign bits + even-parity bit 7 */
/* MXFP4/NVFP4 element values: E2M1 doubled (code 8 is -0, read as 0). */
extern const int8_t qref_kvalues_mxfp4[16];
#ifdef __cplusplus
}
#endif
#endif

#endif
