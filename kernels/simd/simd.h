/* kernels/simd/simd.h — internal interface of the CPU SIMD kernels (the
 * `avx2` and `simd` backends). Private to kernels/ (and its tests/bench).
 *
 * THREE TIERS (ggml's _ref / _generic / arch split)
 *   ref/       the specification: exact values, used by the tests and by the
 *              generic tier where no faster scalar rule is known;
 *   generic/   portable scalar code (this header's qcts_*__scalar functions):
 *              every scheme of the catalog, and the tails of the ISA kernels;
 *   avx2/      one file per kernel family, built with -mavx2 -mfma -mf16c;
 *              they call the generic tier for tails, never a copy of it.
 *
 * REGISTRIES (one list per op, included everywhere: dispatch, tests, bench)
 *   kernels/simd/dequant.inc   X(isa, symbol, scheme, block)
 *   kernels/simd/gemm.inc      X(isa, symbol, scheme, mr, nr)
 *
 * NUMERIC CONTRACT
 *   Dequant kernels write, for each weight, the float32 rounding (nearest
 *   even) of its exact value: bit-identical to qref_dequantize. Every such
 *   float32 value is computed by exactly one IEEE operation whose operands
 *   are exact (a decoded code, a decoded scale, or an exact product of
 *   them), so it is the correctly rounded exact value.
 *   GEMM/GEMV kernels form, for each output, sum_k a[k] * w[k] + bias with w
 *   the float32 dequantized weight (or, for integer codes, sum over groups
 *   of s_g * sum_k a[k] * q[k]: the scale applied after summing a group),
 *   in float32, in a fixed order that depends only on (variant, M, N, K):
 *   never on the thread count or on how N is split. They satisfy
 *   qref_gemm's bound (K' = K + has_bias + 2 allows the weight rounding and
 *   the product rounding; a group-scaled term sees g + 2 + K/g <= K'
 *   roundings) and are exact on exact fill (every partial sum representable,
 *   so a group sum, a partial sum over s_g, is too; accumulators start at
 *   +0).
 */
#ifndef QCTS_SIMD_H
#define QCTS_SIMD_H

#include <stddef.h>
#include <stdint.h>

#include "qcts/backend.h"
#include "qref/scheme.h"

#if defined(__x86_64__) || defined(_M_X64)
#define QCTS_SIMD_X86 1
#else
#define QCTS_SIMD_X86 0
#endif
#if defined(__aarch64__)
#define QCTS_SIMD_ARM64 1
#else
#define QCTS_SIMD_ARM64 0
#endif

/* ---- instruction sets --------------------------------------------------------- */

typedef enum qcts_isa {
    QCTS_ISA_SCALAR = 0,   /* the generic tier: always available */
    QCTS_ISA_AVX2,         /* AVX2 + FMA + F16C (x86-64) */
    QCTS_ISA_AVX512,       /* AVX-512 F/BW/DQ/VL (x86-64) */
    QCTS_ISA_NEON,         /* AdvSIMD (arm64) */
    QCTS_ISA_COUNT
} qcts_isa;

/* What the CPU (and the OS: XSAVE state enabled) supports, detected once. */
typedef struct qcts_cpu_info {
    int avx, avx2, fma, f16c, bmi2;
    int avx512f, avx512bw, avx512dq, avx512vl;
    int neon;
    char vendor[13];
    char brand[49];
} qcts_cpu_info;

const qcts_cpu_info *qcts_cpu(void);
const char *qcts_isa_name(qcts_isa isa);               /* "scalar", "avx2", ... */
int qcts_isa_from_name(const char *name, qcts_isa *isa); /* 0 ok, -1 unknown */

/* 1 if the CPU runs isa; else 0 and why (one sentence naming what lacks). */
int qcts_isa_cpu_ok(qcts_isa isa, char *why, size_t n);
/* 1 if this build has kernels for isa; else 0 and why. */
int qcts_isa_built(qcts_isa isa, char *why, size_t n);

/* The ISA the `simd` backend uses: QCTS_FORCE_ISA if set (it must name an
 * ISA that is built and runs here, else this returns -1 with why), else the
 * best ISA that is built and runs here. Resolved once; note says how
 * ("avx2 (best for this CPU)", "scalar (QCTS_FORCE_ISA)"). */
int qcts_simd_isa(qcts_isa *isa, char *why, size_t n);
const char *qcts_simd_isa_note(void);
/* The same decision for a given QCTS_FORCE_ISA value (NULL: unset), not
 * cached: for tests. */
int qcts_simd_isa_resolve(const char *force, qcts_isa *isa, char *why, size_t n);

/* ---- a quantized matrix, in place ----------------------------------------------- */

/* A serialized qtensor (qref/scheme.h) viewed without copying. */
typedef struct qcts_qview {
    const qref_scheme *s;       /* the preset */
    const qref_scheme *base;    /* SPARSE: the base preset of the stored values; else s */
    int64_t rows, cols;         /* N output channels, K (dense columns) */
    int64_t vcols;              /* stored columns per row (sparse: cols*n/m), else cols */
    const uint8_t *codes, *scales, *zeros, *meta;
    float tscale;               /* per-tensor scale, 1.0f when none */
    size_t row_bytes;           /* bytes of codes per row (GGUF: blocks of the row) */
    int64_t glen;               /* stored elements per scale group (GGUF: block) */
    int64_t gpr;                /* scale groups per row; 0: one scale for the tensor */
    size_t meta_row_bytes;      /* SPARSE: metadata bytes per row */
    unsigned bits;              /* element code width */
    qref_qsizes sizes;          /* the sections' sizes */
    int odd;                    /* dequant kernels round to odd (see below); 0 after init */
} qcts_qview;

/* Builds the view of `bytes` (len must be the scheme's exact size) after
 * validating the data as qref_qtensor_load does. 0 ok; -1 with a sentence. */
int qcts_qview_init(qcts_qview *v, const char *scheme, int64_t rows, int64_t cols, const uint8_t *bytes,
                    size_t len, char *why, size_t n);
/* Without validation (the bench: buffers it made itself). */
int qcts_qview_init_unchecked(qcts_qview *v, const qref_scheme *s, int64_t rows, int64_t cols,
                              const uint8_t *bytes, size_t len, char *why, size_t n);

/* A non-owning qref_qtensor on the same bytes (for calling ref/). */
void qcts_qview_as_qtensor(const qcts_qview *v, qref_qtensor *t);

/* Scale index of stored column k of row r. */
static inline int64_t qcts_qview_group(const qcts_qview *v, int64_t r, int64_t k)
{
    return v->gpr ? r * v->gpr + k / v->glen : 0;
}

/* 1 if every weight's exact value is a float32 value (or overflows f32 and
 * every narrower type alike), so f16/bf16 dequant may round the f32 result
 * once more (no double rounding); 0 otherwise (f32 scales, NF tables,
 * tensor scales, Q4_K's d*sc*q - dmin*m, ...). */
int qcts_scheme_f32_exact(const qref_scheme *s);

/* ---- kernel signatures ---------------------------------------------------------- */

/* Dequantize row `row`, dense columns [k0, k1), to float32 (out[0] is
 * column k0). k0 is a multiple of the variant's block; k1 is a multiple of
 * it or the row's end.
 *
 * ROUND TO ODD (w->odd = 1): every kernel (and the generic tier) computes
 * its last IEEE operation exactly (in double: a product of two float32
 * values, or a sum the scheme keeps within 53 bits) and rounds it to
 * float32 by rounding to odd (truncate, then set the last bit if inexact)
 * instead of to nearest even. Rounding that float32 value once more to
 * nearest even f16 or bf16 (<= 11 significant bits, float32 has 24: at
 * least 2 more, at every exponent) gives the single rounding of the exact
 * value (Boldo & Melquiond, "When double rounding is odd"): the f16/bf16
 * path of schemes whose float32 values are not exact. Values that are
 * exact in float32 are the same in both modes. */
typedef void (*qcts_dequant_kernel)(const qcts_qview *w, int64_t row, int64_t k0, int64_t k1, float *out);

/* One GEMM problem (one batch), activations already float32. */
typedef struct qcts_gemm_args {
    const qcts_qview *w;        /* N x K */
    const float *a;             /* M rows of K, stride lda */
    int64_t M, lda;
    float *y;                   /* M rows of N, stride ldy (float32) */
    int64_t ldy;
    const float *bias;          /* N values or NULL */
    const struct qcts_actq *aq; /* a_quant != NONE: A quantized (kernels/simd/actq.h); else NULL */
} qcts_gemm_args;

/* Computes output columns (weight rows) [n0, n1) for every m. scratch is
 * qcts_gemm_scratch_bytes() bytes, private to the calling thread. */
typedef void (*qcts_gemm_kernel)(const qcts_gemm_args *g, int64_t n0, int64_t n1, void *scratch);

size_t qcts_gemm_scratch_bytes(int64_t M, int64_t K);

/* ---- registries ------------------------------------------------------------------- */

typedef struct qcts_dequant_variant {
    qcts_isa isa;
    const char *symbol;
    const char *scheme;
    int block;
    qcts_dequant_kernel fn;
} qcts_dequant_variant;

typedef struct qcts_gemm_variant {
    qcts_isa isa;
    const char *symbol;
    const char *scheme;
    int mr;                     /* 1: GEMV (M = 1 only); else the M tile of a GEMM */
    int nr;                     /* weight rows per step */
    qcts_gemm_kernel fn;
} qcts_gemm_variant;

extern const qcts_dequant_variant qcts_dequant_variants[];
extern const size_t qcts_dequant_variant_count;
extern const qcts_gemm_variant qcts_gemm_variants[];
extern const size_t qcts_gemm_variant_count;

/* The variant of isa for scheme (NULL if none). For GEMM, gemv = 1 asks for
 * a GEMV variant (M = 1), 0 for a GEMM one. */
const qcts_dequant_variant *qcts_dequant_variant_find(qcts_isa isa, const char *scheme);
const qcts_gemm_variant *qcts_gemm_variant_find(qcts_isa isa, const char *scheme, int gemv);

/* The ISA whose kernels stand in for isa's missing ones: AVX512 -> AVX2
 * (every AVX-512 CPU runs AVX2), otherwise SCALAR (the generic tier). */
qcts_isa qcts_isa_fallback(qcts_isa isa);
/* The kernel a call of isa uses: isa's own, else its fallback's (never the
 * scalar tier: NULL then). GEMM with m1 (M = 1): a GEMV variant of isa or
 * its fallback first, then a GEMM variant of isa or its fallback. */
const qcts_dequant_variant *qcts_dequant_variant_best(qcts_isa isa, const char *scheme);
const qcts_gemm_variant *qcts_gemm_variant_best(qcts_isa isa, const char *scheme, int m1);

/* ---- the generic (scalar) tier ------------------------------------------------------- */

/* Any scheme: fast float rules where they are exact (group, MX, NVFP4,
 * sparse, GGUF Q4_0/Q4_1/Q8_0/Q4_K/Q6_K/MXFP4/NVFP4), ref/ otherwise. */
void qcts_dequant_span__scalar(const qcts_qview *w, int64_t row, int64_t k0, int64_t k1, float *out);
/* f16/bf16 output rounded once from the exact value (ref/), any scheme. */
int qcts_dequant_row_exact__scalar(const qcts_qview *w, int64_t row, qcts_dtype dt, void *out);
/* y[m][n] for n in [n0, n1): plain float32 multiply-add chain along k. */
void qcts_gemm__scalar(const qcts_gemm_args *g, int64_t n0, int64_t n1, void *scratch);

/* Conversions of n values (scalar tier and per-ISA versions). */
typedef struct qcts_convert_ops {
    void (*f16_to_f32)(const uint16_t *x, float *y, int64_t n);
    void (*bf16_to_f32)(const uint16_t *x, float *y, int64_t n);
    void (*f32_to_f16)(const float *x, uint16_t *y, int64_t n);    /* RNE */
    void (*f32_to_bf16)(const float *x, uint16_t *y, int64_t n);   /* RNE */
} qcts_convert_ops;

extern const qcts_convert_ops qcts_convert__scalar;
#if QCTS_SIMD_X86
extern const qcts_convert_ops qcts_convert__avx2;
extern const qcts_convert_ops qcts_convert__avx512;
#endif
#if QCTS_SIMD_ARM64
extern const qcts_convert_ops qcts_convert__neon;
#endif
const qcts_convert_ops *qcts_convert_ops_for(qcts_isa isa);

/* ---- threads ------------------------------------------------------------------------- */

/* Runs fn(ctx, t, lo, hi) over [0, n) on `threads` participants of the
 * process-wide persistent pool (parallel.c; the caller is participant 0):
 * [0, n) is cut into chunks of whole multiples of `align` (the last one
 * ends at n), claimed dynamically, so one participant t (< threads) may get
 * several chunks and another none. Each element is in exactly one chunk.
 * Returns 0, or -1 if fewer workers could be started (then fewer
 * participants did all the work). */
typedef void (*qcts_parallel_fn)(void *ctx, int t, int64_t lo, int64_t hi);
int qcts_parallel_for(int threads, int64_t n, int64_t align, qcts_parallel_fn fn, void *ctx);
/* The chunk length qcts_parallel_for uses (for tests and the bench). */
int64_t qcts_parallel_chunk(int threads, int64_t n, int64_t align);
/* Workers started so far in this process (the pool never shrinks). */
int qcts_pool_workers(void);

/* ---- the backends ------------------------------------------------------------------- */

const qcts_backend *qcts_backend_avx2_entry(void);
const qcts_backend *qcts_backend_avx512_entry(void);
const qcts_backend *qcts_backend_neon_entry(void);
const qcts_backend *qcts_backend_simd_entry(void);

/* One whole call (prepare, run, release) of the `simd` backend with its ISA
 * set to isa (tests, tools): *variant gets the kernel symbol used. */
qcts_status qcts_simd_call(qcts_isa isa, qcts_op op, const void *desc, const qcts_buffers *b, const char **variant,
                           char *msg, size_t n);

/* The kernel declarations, from the registries. */
#define X(isa, symbol, scheme, block) \
    void symbol(const qcts_qview *w, int64_t row, int64_t k0, int64_t k1, float *out);
#include "kernels/simd/dequant.inc"
#undef X
#define X(isa, symbol, scheme, mr, nr) \
    void symbol(const qcts_gemm_args *g, int64_t n0, int64_t n1, void *scratch);
#include "kernels/simd/gemm.inc"
#undef X

#endif
