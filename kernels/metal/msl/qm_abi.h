/* qm_abi.h — what the Metal kernels (kernels/metal/msl/ *.metal) and their
 * hosts agree on: buffer indices and the parameter structs. Included by the
 * MSL sources, by the Objective-C host (kernels/metal/host_metal.m), by the
 * plan every host follows (kernels/metal/qm_plan.c) and by metal-cpu.
 *
 * Only fixed-size 32-bit fields: the struct has the same layout in C and in
 * MSL (uint32_t and float are 4 bytes, 4-aligned in both), and the kernels
 * never need 64-bit integers (every buffer is < 4 GiB; qm_plan checks).
 * The enums mirror qref's (qref/scheme.h, qref/fmt.h); qm_plan.c asserts
 * that the values agree. */
#ifndef QM_ABI_H
#define QM_ABI_H

#if defined(__METAL_VERSION__) || defined(QM_MSL_CPU)
/* MSL (and its CPU shim): uint32_t is a Metal type. */
#else
#include <stdint.h>
#endif

/* qref_family */
#define QM_FAM_GROUP 0
#define QM_FAM_MX 1
#define QM_FAM_NVFP4 2
#define QM_FAM_GGUF 3
#define QM_FAM_MARLIN 4
#define QM_FAM_SPARSE 5
/* qref_layout */
#define QM_LAY_BYTES 0
#define QM_LAY_KMAJOR_U32 1
#define QM_LAY_PACK24 2
#define QM_LAY_GGUF 3
#define QM_LAY_MARLIN 4
#define QM_LAY_SPARSE 5
/* qref_scale_fmt */
#define QM_SC_NONE 0
#define QM_SC_F32 1
#define QM_SC_F16 2
#define QM_SC_BF16 3
#define QM_SC_E8M0 4
#define QM_SC_E4M3 5
#define QM_SC_UE4M3 6
/* qref_zero_kind */
#define QM_ZERO_NONE 0
#define QM_ZERO_INT 1
#define QM_ZERO_FLOAT 2
/* qref_fmt */
#define QM_FMT_F32 0
#define QM_FMT_F16 1
#define QM_FMT_BF16 2
#define QM_FMT_E4M3 3
#define QM_FMT_E5M2 4
#define QM_FMT_E2M1 5
#define QM_FMT_E2M3 6
#define QM_FMT_E3M2 7
#define QM_FMT_E8M0 8
#define QM_FMT_INT8 9
#define QM_FMT_UINT8 10
#define QM_FMT_INT4 11
#define QM_FMT_UINT4 12
#define QM_FMT_INT3 13
#define QM_FMT_UINT3 14
#define QM_FMT_INT2 15
#define QM_FMT_UINT2 16
#define QM_FMT_NF4 17
#define QM_FMT_NF3 18
#define QM_FMT_NF2 19
/* qref_conv */
#define QM_CONV_OCP 0
#define QM_CONV_ML_DTYPES 1
#define QM_CONV_TORCH 2
#define QM_CONV_CUDA_SATFINITE 3
#define QM_CONV_CUDA_NOSAT 4
#define QM_CONV_GGML 5
#define QM_CONV_ML_DTYPES_0_7 6
#define QM_CONV_ML_DTYPES_0_5_0 7
#define QM_CONV_TORCH_2_15 8
/* qcts_dtype */
#define QM_DT_F32 0
#define QM_DT_F16 1
#define QM_DT_BF16 2

/* The aux buffer (u32 words): tables the kernels index, written once by the
 * host from libqref (ggml's IQ grids, Marlin's permutations). */
#define QM_AUX_IQ2XXS_GRID 0      /* 256 x u64 as (lo, hi) u32 pairs */
#define QM_AUX_IQ3XXS_GRID 512    /* 256 x u32 */
#define QM_AUX_KSIGNS 768         /* 128 bytes of ksigns_iq2xs, 4 per word LE */
#define QM_AUX_MARLIN_PERM_INV 800 /* 1024 x u32: qref_marlin_perm_inv */
#define QM_AUX_MARLIN_SPERM_INV 1824 /* 64: scale perm (chunk 64) inverse */
#define QM_AUX_MARLIN_SPERM1_INV 1888 /* 32: single-group scale perm inverse */
#define QM_AUX_WORDS 1920

/* One quantized matrix (rows = N, cols = K) inside a byte buffer. */
typedef struct qm_wdesc {
    uint32_t family, layout, elem, bits;      /* elem, bits: of the stored codes (sparse/marlin: base's) */
    uint32_t scale_fmt, zero, gguf_type, odd; /* odd: round the last operation to odd (f16/bf16 out) */
    uint32_t rows, cols, vcols, glen;         /* vcols: stored columns per row; glen: elements per group */
    uint32_t gpr, row_bytes, block_bytes, meta_row_bytes; /* gpr: groups per row, 0 = one per tensor */
    uint32_t sparse_n, sparse_m, sparse_bits, marlin_groups;
    uint32_t off_codes, off_scales, off_zeros, off_meta;  /* byte offsets of the sections */
    uint32_t batch_bytes;                     /* bytes of one matrix (batched GEMM: back to back) */
    uint32_t off_tscale, has_tscale;          /* the float32 per-tensor scale: each matrix has its own */
    uint32_t pad0;
} qm_wdesc;

/* Kernel arguments of the dequant, GEMV and GEMM kernels. */
typedef struct qm_params {
    qm_wdesc w;
    uint32_t M, N, K, batch;
    uint32_t lda, ldy, a_dtype, out_dtype;
    uint32_t has_bias, n_per_tg, pad2, pad3;
} qm_params;

/* Kernel arguments of the convert kernels. mode: the effective overflow
 * mode (QM_MODE_SAT or QM_MODE_NOSAT, from qref_mode_resolve on the host). */
typedef struct qm_convert_params {
    uint32_t fmt, convention, n, code_bytes;
    uint32_t mode, has_status, pad0, pad1;
} qm_convert_params;
#define QM_MODE_SAT 1
#define QM_MODE_NOSAT 2
#define QM_BUF_STATUS 6   /* encode: one status byte per element (optional) */

/* Buffer indices of our kernels. */
#define QM_BUF_PARAMS 0
#define QM_BUF_W 1        /* serialized qtensor(s); convert: the codes */
#define QM_BUF_AUX 2
#define QM_BUF_A 3        /* activations */
#define QM_BUF_BIAS 4
#define QM_BUF_OUT 5

/* Tile of the GEMM kernel (threadgroup QM_GEMM_T x QM_GEMM_T threads). */
#define QM_GEMM_T 16
#define QM_GEMM_TK 32
/* Threads per threadgroup of the GEMV kernel and the 1-D kernels. */
#define QM_GEMV_TG 64
#define QM_LINEAR_TG 64

#endif
