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

#define QCTS_BACKEND_ABI_VERSION 1u
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
    QCTS_DT_U32 = 5
} qcts_dtype;

typedef enum qcts_op {
    QCTS_OP_CONVERT = 0,
    QCTS_OP_QUANTIZE = 1,
    QCTS_OP_DEQUANT = 2,
    QCTS_OP_GEMM = 3,       /* GEMV is GEMM with M = 1 */
    QCTS_OP_ATTENTION = 4,  /* reserved: later ABI versions */
    QCTS_OP_ROPE = 5,
    QCTS_OP_MOE = 6,
    QCTS_OP_SAMPLING = 7,
    QCTS_OP_SOFTMAX = 8,
    QCTS_OP_HADAMARD = 9,
    QCTS_OP_COUNT = 10
} qcts_op;

/* Host buffers of one call. Which index holds what is fixed per op (below). */
#define QCTS_MAX_INPUTS 8
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
} qcts_gemm_desc;

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
    void (*reserved_ops[12])(void);   /* attention, rope, moe, ...: NULL */

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
#endif
