/* qm_manifest.h — the interface manifest of an external Metal kernel
 * (kernels/metal/MANIFEST.md): where its source is, how to compile it,
 * which buffer index holds what in which layout, the grid as formulas of
 * M, N, K, G, B, and the op and schemes it claims. Parsed strictly: an
 * unknown key, a missing field or a wrong type is an error naming the file,
 * the field and what was expected. */
#ifndef QM_MANIFEST_H
#define QM_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "qcts/backend.h"

#define QM_MF_MAX_BUFS 16
#define QM_MF_MAX_SCHEMES 16
#define QM_MF_MAX_MACROS 16
#define QM_MF_MAX_TG_MEM 4
#define QM_MF_STR 256

typedef enum qm_mf_role {
    QM_ROLE_A,            /* activations [M, K] row-major */
    QM_ROLE_WEIGHTS,      /* the whole serialized qtensor (qref/scheme.h) */
    QM_ROLE_CODES,        /* weight codes, in a packing */
    QM_ROLE_SCALES,       /* one per group, in a layout and dtype */
    QM_ROLE_ZEROS,        /* integer zero points (u8), in a layout */
    QM_ROLE_TSCALE,       /* the float32 per-tensor scale */
    QM_ROLE_BIAS,         /* f32 [N] */
    QM_ROLE_OUTPUT,       /* Y [M, N] (gemm) or W [N, K] (dequant), row-major */
    QM_ROLE_PARAM         /* a 32-bit integer: a formula's value */
} qm_mf_role;

typedef enum qm_mf_dtype {
    QM_MDT_F32, QM_MDT_F16, QM_MDT_BF16, QM_MDT_U8, QM_MDT_U32, QM_MDT_I32, QM_MDT_E8M0, QM_MDT_E4M3
} qm_mf_dtype;

typedef enum qm_mf_packing {
    QM_PACK_QCTS,         /* codes: as serialized (the scheme's own layout); scales/zeros: [N, groups] */
    QM_PACK_K_PACKED,     /* codes: u32 [K*bits/32, N], codes along K in a word, code i at bits [bits*i, ...) */
    QM_PACK_N_PACKED,     /* codes: u32 [N, K*bits/32] (qcts's KMAJOR_U32 rows) */
    QM_PACK_GROUP_MAJOR   /* scales/zeros: [groups, N] */
} qm_mf_packing;

typedef struct qm_mf_buf {
    uint32_t index;
    qm_mf_role role;
    qm_mf_dtype dtype;
    qm_mf_packing packing;
    char value[QM_MF_STR];    /* param: the formula */
} qm_mf_buf;

typedef struct qm_manifest {
    char path[1024];
    char source[1024];        /* resolved against the manifest's folder; "" if metallib */
    char metallib[1024];
    char *source_text;        /* read at parse time (Metal compiles it from text) */
    char function[128];
    int fast_math;            /* compile_options.fast_math (default 0: precise) */
    char language_version[16];
    char macro_name[QM_MF_MAX_MACROS][64], macro_value[QM_MF_MAX_MACROS][128];
    int nmacros;
    qcts_op op;               /* QCTS_OP_GEMM or QCTS_OP_DEQUANT */
    char schemes[QM_MF_MAX_SCHEMES][64];
    int nschemes;
    qm_mf_buf bufs[QM_MF_MAX_BUFS];
    int nbufs;
    char grid[3][QM_MF_STR], tg[3][QM_MF_STR];
    char tg_mem[QM_MF_MAX_TG_MEM][QM_MF_STR];   /* [[threadgroup(i)]] bytes */
    int ntg_mem;
    char description[QM_MF_STR];
} qm_manifest;

/* 0 ok; -1 with a sentence. *m is owned by the caller (qm_manifest_free). */
int qm_manifest_load(const char *path, qm_manifest **m, char *msg, size_t n);
void qm_manifest_free(qm_manifest *m);
const char *qm_mf_role_name(qm_mf_role r);
const char *qm_mf_dtype_name(qm_mf_dtype d);

#endif
