/* qcts/backend.h — the backend ABI: how qcts calls an implementation under
 * test. In-tree backends (ref, avx2, avx512, neon, metal, cuda) and external
 * plugins (`plugin:PATH.so`) use the same struct. This header is the public
 * plugin ABI; it depends on nothing but <stddef.h> and <stdint.h>.
 *
 * VERSION RULE
 *   QCTS_BACKEND_ABI_VERSION changes whenever a struct below changes layout or
 *   meaning. A backend fills abi_version with the version it was compiled
 *   against and struct_size with sizeof(qcts_backend); qcts refuses a backend
 *   whose abi_version differs from its own (clear error naming both numbers).
 *   Fields are only ever appended; reserved op slots must be NULL.
 *   Version 2 (2026-12): named slots for the ops after GEMM (attention,
 *   rope, norm, softmax, hadamard, moe_route, moe_dispatch, moe_experts,
 *   sampling) in place of reserved_ops[0..8]; QCTS_DT_I32; QCTS_MAX_INPUTS
 *   12; qcts_gemm_desc gains an activation quantization (a_quant).
 *
 * DESCRIPTORS OF THE OPS AFTER GEMM
 *   Each lives in its own header, qcts/op_<name>.h (included below), and is
 *   plain old data: integers, floats and fixed char arrays, never pointers,
 *   so that a process boundary (plugin worker, exec) copies it as bytes.
 *   Every one has an int32_t threads field with GEMM's meaning.
 *
 * PLUGINS
 *   A plugin is a shared object exporting
 *       const qcts_backend *qcts_backend_entry(void);
 *   (symbol name QCTS_BACKEND_ENTRY_SYMBOL). The returned struct and its
 *   strings must live until the plugin is unloaded.
 *
 * CALL LIFECYCLE (designed so device backends can keep inputs resident)
 *   1. prepare: the per-op function (convert, quantize, dequant, gemm, ...)
 *      receives a descriptor and the host buffers and returns a qcts_call
 *      handle. A device backend copies inputs to the device and compiles or
 *      selects its kernel here. The buffers stay valid and unchanged until
 *      release; the descriptor may be freed after prepare returns (copy what
 *      you need).
 *   2. run: launches the computation; may return before it finishes. run may
 *      be called many times on one handle (the benchmark times run+sync
 *      without transfers); every run must produce the same outputs.
 *   3. sync: waits until every launched run has finished (NULL: run is
 *      synchronous).
 *   4. fetch: makes the results visible in the host output buffers given at
 *      prepare (NULL: run writes them directly).
 *   5. release: frees the handle and everything the backend allocated for it.
 *   A per-op function that is NULL means the backend lacks the op; returning
 *   QCTS_UNSUPPORTED (with a reason) means it lacks this scheme/shape/dtype.
 *   Both are reported as SKIP, never as a wrong answer. A backend must never
 *   return QCTS_OK for something it does not compute exactly as documented.
 *
 * THREAD SAFETY
 *   available() and the per-op functions may be called from several threads
 *   at once for different calls; a qcts_call handle is used by one thread at
 *   a time. A backend that cannot do this sets QCTS_BACKEND_SERIAL in flags.
 *
 * MESSAGES
 *   Every function that takes (char *msg, size_t msg_len) writes a
 *   NUL-terminated sentence there on any status other than QCTS_OK.
 *
 * UNITS AND LAYOUTS
 *   Shapes are element counts (int64_t). Matrices are row-major. Weights are
 *   always a serialized quantized matrix as defined by qref/scheme.h
 *   (sections codes, scales, zeros, meta, tscale, little-endian; exact bytes
 *   as `qcts quant` writes them) for the named scheme preset, with rows = N
 *   output channels and cols = K. Floating-point buffers are little-endian
 *   IEEE: F32 as float, F16/BF16 as uint16_t bit patterns.
 */
#ifndef QCTS_BACKEND_H
#define QCTS_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define QCTS_BACKEND_ABI_VERSION 2u
#define QCTS_BACKEND_ENTRY_SYMBOL "qcts_backend_entry"

typedef enum qcts_status {
    QCTS_OK = 0,
    QCTS_UNSUPPORTED = 1,  /* this op/scheme/shape is not implemented: SKIP */
    QCTS_UNAVAILABLE = 2,  /* the backend cannot run on this host: UNAVAILABLE */
    QCTS_ERROR = 3         /* something failed (allocation, device error): ERROR */
} qcts_status;

typedef enum qcts_dtype {
    QCTS_DT_F32 = 0,
    QCTS_DT_F16 = 1,
    QCTS_DT_BF16 = 2,
    QCTS_DT_U8 = 3,
    QCTS_DT_U16 = 4,
    QCTS_DT_U32 = 5,
    QCTS_DT_I32 = 6        /* indices: positions, block tables, token and expert ids */
} qcts_dtype;

typedef enum qcts_op {
    QCTS_OP_CONVERT = 0,
    QCTS_OP_QUANTIZE = 1,
    QCTS_OP_DEQUANT = 2,
    QCTS_OP_GEMM = 3,       /* GEMV is GEMM with M = 1 */
    QCTS_OP_ATTENTION = 4,     /* qcts/op_attention.h */
    QCTS_OP_ROPE = 5,          /* qcts/op_rope.h */
    QCTS_OP_MOE_ROUTE = 6,     /* qcts/op_moe.h */
    QCTS_OP_SAMPLING = 7,      /* qcts/op_sampling.h */
    QCTS_OP_SOFTMAX = 8,       /* qcts/op_norm.h */
    QCTS_OP_HADAMARD = 9,      /* qcts/op_hadamard.h */
    QCTS_OP_NORM = 10,         /* qcts/op_norm.h */
    QCTS_OP_MOE_DISPATCH = 11, /* qcts/op_moe.h */
    QCTS_OP_MOE_EXPERTS = 12,  /* qcts/op_moe.h */
    QCTS_OP_COUNT = 13
} qcts_op;

/* Host buffers of one call. Which index holds what is fixed per op (below). */
#define QCTS_MAX_INPUTS 12
#define QCTS_MAX_OUTPUTS 4
typedef struct qcts_buffers {
    const void *in[QCTS_MAX_INPUTS];
    size_t in_bytes[QCTS_MAX_INPUTS];
    void *out[QCTS_MAX_OUTPUTS];
    size_t out_bytes[QCTS_MAX_OUTPUTS];
} qcts_buffers;

/* CONVERT: element codec of qref/fmt.h.
 *   encode: in[0] = n float32; out[0] = n codes, 1 byte each for <= 8-bit
 *           formats, 2 bytes for 16-bit, 4 for f32; out[1] (optional, may
 *           be NULL) = n status bytes (qref_status: 0 ok, 2 NaN not
 *           representable).
 *   decode: in[0] = n codes (same widths); out[0] = n float32. */
typedef struct qcts_convert_desc {
    uint32_t fmt;          /* qref_fmt value */
    uint32_t convention;   /* qref_conv value */
    uint32_t mode;         /* qref_mode value */
    uint32_t decode;       /* 0 encode, 1 decode */
    int64_t n;
} qcts_convert_desc;

/* QUANTIZE: in[0] = rows*cols float32 (finite); out[0] = serialized qtensor. */
typedef struct qcts_quantize_desc {
    const char *scheme;    /* preset name, e.g. "fp4_g128_f16" */
    int64_t rows, cols;
} qcts_quantize_desc;

/* DEQUANT: in[0] = serialized qtensor; out[0] = rows*cols values of out_dtype
 * (F32, F16 or BF16), each the exact weight rounded once to nearest even. */
typedef struct qcts_dequant_desc {
    const char *scheme;
    int64_t rows, cols;
    qcts_dtype out_dtype;
} qcts_dequant_desc;

/* GEMM: Y[b] = A[b] * W[b]^T (+ bias[b]) for b < batch.
 *   in[0] = A: batch x M x K of a_dtype (F32, F16, BF16), row stride lda
 *   in[1] = W: batch serialized qtensors (N x K) of the scheme, back to back
 *   in[2] = bias: batch x N float32, or NULL
 *   out[0] = Y: batch x M x N of out_dtype (F32, F16, BF16), row stride ldy
 * Accumulation at least float32; the result is checked against the exact
 * product with an error bound (see vectors/README.md), or bit-exactly for
 * "exact fill" cases where every correct order gives the same bits. */
typedef struct qcts_gemm_desc {
    const char *scheme;
    int64_t batch, M, N, K;
    int64_t lda, ldy;      /* elements; 0 means dense (K and N) */
    qcts_dtype a_dtype, out_dtype;
    int32_t has_bias;
    int32_t threads;       /* CPU threads to use; results must not depend on it */
    uint32_t a_quant;      /* qcts_act_quant: how A is quantized before the
                              product (QCTS_AQ_NONE: A is used as given) */
    int32_t a_group;       /* reserved for grouped activation scales: 0 */
} qcts_gemm_desc;

/* Activation quantization of GEMM (ABI 2). NONE is today's semantics; the
 * others quantize A deterministically as vectors/README.md defines. */
typedef enum qcts_act_quant {
    QCTS_AQ_NONE = 0,
    QCTS_AQ_INT8_TOKEN = 1,     /* int8, one f32 scale per row of A */
    QCTS_AQ_FP8_E4M3_TENSOR = 2,
    QCTS_AQ_FP8_E4M3_TOKEN = 3,
    QCTS_AQ_GGUF_Q8_0 = 4,      /* as ggml's vec_dot: blocks of 32, f16 scale */
    QCTS_AQ_GGUF_Q8_1 = 5,
    QCTS_AQ_GGUF_Q8_K = 6
} qcts_act_quant;

/* Longest scheme name a POD descriptor holds, NUL included. */
#define QCTS_SCHEME_NAME_MAX 48

/* Descriptors of the ops after GEMM: complete definitions in qcts/op_*.h. */
typedef struct qcts_attention_desc qcts_attention_desc;
typedef struct qcts_rope_desc qcts_rope_desc;
typedef struct qcts_norm_desc qcts_norm_desc;
typedef struct qcts_softmax_desc qcts_softmax_desc;
typedef struct qcts_hadamard_desc qcts_hadamard_desc;
typedef struct qcts_moe_route_desc qcts_moe_route_desc;
typedef struct qcts_moe_dispatch_desc qcts_moe_dispatch_desc;
typedef struct qcts_moe_experts_desc qcts_moe_experts_desc;
typedef struct qcts_sampling_desc qcts_sampling_desc;

typedef struct qcts_call qcts_call;   /* opaque, owned by the backend */

#define QCTS_BACKEND_SERIAL 1u        /* calls must not overlap */

typedef qcts_status (*qcts_convert_fn)(const qcts_convert_desc *d, const qcts_buffers *b, qcts_call **call,
                                       char *msg, size_t msg_len);
typedef qcts_status (*qcts_quantize_fn)(const qcts_quantize_desc *d, const qcts_buffers *b, qcts_call **call,
                                        char *msg, size_t msg_len);
typedef qcts_status (*qcts_dequant_fn)(const qcts_dequant_desc *d, const qcts_buffers *b, qcts_call **call,
                                       char *msg, size_t msg_len);
typedef qcts_status (*qcts_gemm_fn)(const qcts_gemm_desc *d, const qcts_buffers *b, qcts_call **call,
                                    char *msg, size_t msg_len);
#define QCTS_OP_FN_(name)                                                                         \
    typedef qcts_status (*qcts_##name##_fn)(const qcts_##name##_desc *d, const qcts_buffers *b, \
                                            qcts_call **call, char *msg, size_t msg_len)
QCTS_OP_FN_(attention);
QCTS_OP_FN_(rope);
QCTS_OP_FN_(norm);
QCTS_OP_FN_(softmax);
QCTS_OP_FN_(hadamard);
QCTS_OP_FN_(moe_route);
QCTS_OP_FN_(moe_dispatch);
QCTS_OP_FN_(moe_experts);
QCTS_OP_FN_(sampling);
#undef QCTS_OP_FN_

typedef struct qcts_backend {
    uint32_t abi_version;          /* QCTS_BACKEND_ABI_VERSION */
    uint32_t struct_size;          /* sizeof(qcts_backend) */
    const char *name;              /* "ref", "avx2", ... */
    const char *description;
    uint32_t flags;                /* QCTS_BACKEND_* */

    /* 1 if it can run here; otherwise 0 and the reason in why. */
    int (*available)(char *why, size_t why_len);

    /* Optional: the kernel variant a call uses, e.g.
     * "qcts_gemv_fp4_g128__avx2" (stored with every result). */
    const char *(*variant)(const qcts_call *call);

    /* One prepare function per op; NULL = the op is not implemented. */
    qcts_convert_fn convert;
    qcts_quantize_fn quantize;
    qcts_dequant_fn dequant;
    qcts_gemm_fn gemm;
    qcts_attention_fn attention;   /* ABI 2 */
    qcts_rope_fn rope;
    qcts_norm_fn norm;
    qcts_softmax_fn softmax;
    qcts_hadamard_fn hadamard;
    qcts_moe_route_fn moe_route;
    qcts_moe_dispatch_fn moe_dispatch;
    qcts_moe_experts_fn moe_experts;
    qcts_sampling_fn sampling;
    void (*reserved_ops[3])(void);    /* later ops: NULL */

    qcts_status (*run)(qcts_call *call, char *msg, size_t msg_len);
    qcts_status (*sync)(qcts_call *call, char *msg, size_t msg_len);   /* may be NULL */
    qcts_status (*fetch)(qcts_call *call, char *msg, size_t msg_len);  /* may be NULL */
    void (*release)(qcts_call *call);
} qcts_backend;

typedef const qcts_backend *(*qcts_backend_entry_fn)(void);

static inline const char *qcts_status_name(qcts_status s)
{
    switch (s) {
    case QCTS_OK: return "ok";
    case QCTS_UNSUPPORTED: return "unsupported";
    case QCTS_UNAVAILABLE: return "unavailable";
    case QCTS_ERROR: return "error";
    }
    return "invalid-status";
}

#ifdef __cplusplus
}
#endif

#include "qcts/op_attention.h"
#include "qcts/op_rope.h"
#include "qcts/op_norm.h"
#include "qcts/op_hadamard.h"
#include "qcts/op_moe.h"
#include "qcts/op_sampling.h"
#endif
