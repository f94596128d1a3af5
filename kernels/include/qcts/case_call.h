/* qcts/case_call.h — the bridge between golden case files (vectors/CASES.md)
 * and backend ABI calls (qcts/backend.h).
 *
 * LOADING
 *   qcts_case_file_load() reads a safetensors file, parses the `qcts.cases`
 *   JSON of its metadata and turns every case into a ready-to-call record:
 *   the op descriptor (qcts_*_desc, strings owned by the file), a
 *   qcts_buffers whose in[] point at the case's in.* tensors and whose
 *   out_bytes[] hold the sizes the backend must fill (out[] are NULL: the
 *   caller provides output memory), the expected out.* tensors, bound.y, the
 *   check rule, flags, seed and id. Everything is validated against the
 *   params: a missing tensor, a wrong dtype or a wrong size is an error
 *   whose message names the file, the case and the tensor, e.g.
 *     g.safetensors: case c003: tensor 'c003/in.q': U8 [100] holds 100
 *     bytes but scheme fp4_g32_f16 with rows 4, cols 64 needs 160
 *   Tensor data are aligned for their dtype (copied when the file does not
 *   align them), so a backend may cast in[i] to float * or uint16_t *.
 *   All pointers of a qcts_case_file live until qcts_case_file_free(); a
 *   loaded file is read-only and may be shared between threads.
 *
 * TENSORS PER OP (names without the "<id>/<role>." prefix)
 *   slot    convert(enc)   convert(dec)   quantize   dequant   gemm
 *   in[0]   x  F32         x  U8/U16/U32  w  F32     q  U8     a    a_dtype
 *   in[1]                                                      w    U8
 *   in[2]                                                      bias F32 (has_bias)
 *   out[0]  y  U8/U16/U32  y  F32         q  U8      y  dtype  y    out_dtype
 *   out[1]  status U8 (optional in the ABI, required in golden files)
 *   Code widths: 1 byte for <= 8-bit formats, 2 for 16-bit, 4 for f32.
 *   GEMM with lda/ldy != 0 stores A as [B, M, lda] and Y as [B, M, ldy]; the
 *   elements of a Y row past N are padding that no backend writes (compare
 *   only columns < N).
 *
 * THE EXEC PROTOCOL (kernels/exec, `qcts case run`)
 *   qcts_case_write() writes a single-case file: the usual metadata
 *   (qcts.format_version, qcts.op, qcts.suite "exec", qcts.cases with one
 *   case object) and the case's in.* tensors, and, when asked, its out.*
 *   tensors. qcts_case_read_outputs() reads out.* tensors of a file back
 *   into caller buffers, checking dtype and size; a tensor may be named
 *   "<id>/out.y" or plain "out.y" (so a foreign implementation need not
 *   know the id).
 *
 * ERRORS
 *   Functions return QCTS_OK or QCTS_ERROR (never UNSUPPORTED: a case this
 *   qcts cannot represent is an error of the file). Messages are one line,
 *   no trailing newline, truncated to errlen - 1 bytes; err may be NULL.
 */
#ifndef QCTS_CASE_CALL_H
#define QCTS_CASE_CALL_H

#include <stddef.h>
#include <stdint.h>

#include "qcts/backend.h"
#include "qcts/safetensors.h"

#ifdef __cplusplus
extern "C" {
#endif

#define QCTS_CASE_FORMAT_VERSION 1
#define QCTS_CASE_ERRLEN 512

/* ---- names ---------------------------------------------------------------- */

/* "convert", "quantize", "dequant", "gemm" (and "attention", ... for the
 * reserved ops); NULL when op is out of range. */
const char *qcts_op_name(qcts_op op);
/* The op named name (exact, lower case; "gemv" is accepted as gemm).
 * Returns 0, or -1 for an unknown name. */
int qcts_op_from_name(const char *name, qcts_op *op);
/* "f32", "f16", "bf16", "u8", "u16", "u32"; NULL when out of range. */
const char *qcts_dtype_name(qcts_dtype d);
/* Accepts the lower-case names above; 0 or -1. */
int qcts_dtype_from_name(const char *name, qcts_dtype *d);
/* Bytes per element (4, 2, 2, 1, 2, 4); 0 when out of range. */
size_t qcts_dtype_size(qcts_dtype d);
/* The safetensors dtype of d (F32, F16, BF16, U8, U16, U32). */
qcts_st_dtype qcts_dtype_to_st(qcts_dtype d);
/* The inverse; -1 for a safetensors dtype with no qcts_dtype. */
int qcts_dtype_from_st(qcts_st_dtype s, qcts_dtype *d);

/* ---- the tensors of one call ------------------------------------------------ */

typedef struct qcts_tensor_spec {
    const char *name;          /* "x", "w", "q", "a", "bias", "y", "status" */
    int used;                  /* 0: slot not part of this call (bias when
                                  has_bias is 0, unused slots) */
    int optional;              /* 1: the ABI lets the caller pass NULL (out.status) */
    qcts_dtype dtype;
    int ndim;
    int64_t shape[4];
    size_t nelems, nbytes;
} qcts_tensor_spec;

typedef struct qcts_op_io {
    int n_in, n_out;           /* slots in use are [0, n_in) and [0, n_out) */
    qcts_tensor_spec in[QCTS_MAX_INPUTS];
    qcts_tensor_spec out[QCTS_MAX_OUTPUTS];
} qcts_op_io;

/* Sets t: used, the name (not copied), dtype, up to 4 dims, nelems and
 * nbytes. 0, or -1 when a dim is negative, ndim is out of 0..4 or the
 * size overflows. */
int qcts_tensor_spec_set(qcts_tensor_spec *t, const char *name, qcts_dtype dt, int optional, int ndim,
                         const int64_t *shape);

/* What op with desc (a qcts_<op>_desc) takes and produces. Validates the
 * desc (known format / convention / scheme, shapes >= 1 that fit the
 * scheme, dtypes allowed for the op, sizes that do not overflow). */
qcts_status qcts_op_io_get(qcts_op op, const void *desc, qcts_op_io *io,
                           char *err, size_t errlen);

/* Sets b->out_bytes[] from qcts_op_io_get (and b->in_bytes[]); leaves the
 * pointers alone. */
qcts_status qcts_op_buffer_sizes(qcts_op op, const void *desc, qcts_buffers *b,
                                 char *err, size_t errlen);

/* ---- cases -------------------------------------------------------------------- */

typedef enum qcts_check_kind {
    QCTS_CHECK_EXACT = 0,      /* bitwise; NaN matches any NaN */
    QCTS_CHECK_BOUND = 1,      /* |y - ref| <= bound_c * bound.y per element */
    QCTS_CHECK_ULP = 2,        /* at most ulp units in the last place */
    QCTS_CHECK_ADMISSIBLE = 3  /* integer outputs: each value in its admit set */
} qcts_check_kind;

/* An expected output (out.*) or the bound (bound.y) of a case. */
typedef struct qcts_case_tensor {
    const char *name;          /* the full tensor name, "c007/out.y"; NULL if absent */
    const void *data;          /* nbytes bytes, aligned for dtype */
    size_t nbytes;
    size_t nelems;
    qcts_dtype dtype;
} qcts_case_tensor;

/* Room for the POD descriptor of any op after GEMM (qcts/opdef.h). */
#define QCTS_OPDESC_MAX 1024

typedef union qcts_any_desc {
    qcts_convert_desc convert;
    qcts_quantize_desc quantize;
    qcts_dequant_desc dequant;
    qcts_gemm_desc gemm;
    unsigned char raw[QCTS_OPDESC_MAX];   /* ops after GEMM */
    int64_t align_i_;
    double align_d_;
} qcts_any_desc;

typedef struct qcts_case {
    const char *file;          /* the path given to load (for messages) */
    size_t index;              /* position in qcts.cases */
    const char *id;            /* "c007" */
    const char *seed;          /* as written ("0x1f2e..."), "" when absent */
    uint64_t seed_value;       /* parsed seed, 0 when absent */
    const char *dist;          /* "" when absent */
    const char *json;          /* the case object, compact JSON */
    qcts_op op;
    qcts_any_desc desc;        /* desc.<op>; scheme strings owned by the file */
    qcts_op_io io;             /* shapes, dtypes and sizes of every slot */
    qcts_buffers buf;          /* in[]/in_bytes[]: the in.* tensors (NULL where
                                  unused); out[] NULL, out_bytes[] the sizes */
    qcts_case_tensor expect[QCTS_MAX_OUTPUTS]; /* expect[i] for buf.out[i];
                                  name NULL when not loaded (INPUTS_ONLY) */
    qcts_case_tensor bound;    /* bound.y (F32, as many elements as out.y)
                                  for check bound; name NULL otherwise */
    qcts_case_tensor bounds[QCTS_MAX_OUTPUTS]; /* bound.<name> of output i
                                  (bounds[0] == bound); name NULL: exact */
    qcts_case_tensor admit[QCTS_MAX_OUTPUTS];  /* admit.<name> of output i
                                  (U8 [elements, admit_n[i]]) for check
                                  admissible; name NULL: exact */
    size_t admit_n[QCTS_MAX_OUTPUTS];
    qcts_check_kind check;
    const char *check_text;    /* "exact", "bound", "ulp:2", "admissible" */
    double bound_c;            /* params.bound_c (check bound), else 1.0 */
    uint32_t ulp;              /* N of ulp:N, else 0 */
    size_t n_flags;
    const char *const *flags;
    int degenerate;            /* has the flag "degenerate" */
} qcts_case;

typedef struct qcts_case_file {
    const char *path;
    qcts_op op;
    const char *suite;         /* qcts.suite, "" when absent */
    const char *generator;     /* qcts.generator, "" when absent */
    int format_version;        /* 1 */
    size_t n_cases;
    qcts_case *cases;
    const qcts_st_file *st;    /* the container, owned */
    void *priv_;
} qcts_case_file;

/* Flags of qcts_case_file_load. */
#define QCTS_CASE_INPUTS_ONLY 1u   /* out.* and bound.* are not required
                                      (exec input files); present ones are
                                      still validated */

/* Loads and validates every case of the file at path (see LOADING). On
 * failure *out is NULL. */
qcts_status qcts_case_file_load(const char *path, unsigned flags, qcts_case_file **out,
                                char *err, size_t errlen);
/* The same from len bytes in memory (copied); name starts messages. */
qcts_status qcts_case_file_load_mem(const void *buf, size_t len, const char *name,
                                    unsigned flags, qcts_case_file **out,
                                    char *err, size_t errlen);
/* The case with this id, or NULL. */
const qcts_case *qcts_case_find(const qcts_case_file *f, const char *id);
/* 1 when the case has this flag. */
int qcts_case_has_flag(const qcts_case *c, const char *flag);
void qcts_case_file_free(qcts_case_file *f);

/* ---- writing single-case files and reading outputs back --------------------- */

/* What qcts_case_write puts in the file. */
#define QCTS_CASE_WRITE_INPUTS 1u    /* <id>/in.* from b->in[] */
#define QCTS_CASE_WRITE_OUTPUTS 2u   /* <id>/out.* from b->out[] (NULL optional
                                        outputs are left out) */

/* Writes a one-case file (atomically) for op/desc with the buffers of b.
 * case_json: a case object to keep (id, seed, check, flags, dist, extra
 * params); its params are overwritten from desc. NULL makes
 * {"id":"c000","check":"exact","flags":[],"params":{...}}. */
qcts_status qcts_case_write(const char *path, qcts_op op, const void *desc,
                            const qcts_buffers *b, const char *case_json, unsigned what,
                            char *err, size_t errlen);

/* Reads the out.* tensors of the file at path into b->out[] (the caller's
 * buffers, b->out_bytes[] their sizes). Every used output whose b->out[i] is
 * not NULL must be in the file as "<id>/out.<name>" or "out.<name>" (id may
 * be NULL: then "c000" is tried) with the right dtype and exactly the
 * expected size; an unknown out.* tensor is an error too. */
qcts_status qcts_case_read_outputs(const char *path, qcts_op op, const void *desc,
                                   const char *id, const qcts_buffers *b,
                                   char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
