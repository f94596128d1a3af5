/* qcts/safetensors.h — read and write safetensors files, the container of
 * every qcts golden-vector set (vectors/README.md, ARCHITECTURE.md "Golden
 * vectors").
 *
 * ---------------------------------------------------------------------------
 * The format (huggingface/safetensors, FORMATS.md §8)
 * ---------------------------------------------------------------------------
 *   bytes [0, 8)        N, an unsigned 64-bit little-endian integer
 *   bytes [8, 8+N)      the header: UTF-8 JSON object, starting with '{',
 *                       possibly followed by spaces (padding)
 *   bytes [8+N, end)    the data buffer: every tensor's bytes, back to back
 *
 * The header maps each tensor name to
 *     {"dtype":"F32","shape":[2,3],"data_offsets":[begin,end]}
 * where [begin, end) is a byte range of the data buffer, and may hold one
 * "__metadata__" entry: an object of string values (free-form text; qcts
 * keeps per-case JSON there as strings). Data are little-endian, row-major
 * (C order), packed without gaps or padding between tensors. Sub-byte dtypes
 * (F4, F6_*) are packed densely: a tensor of n elements takes n*bits/8 bytes
 * and n*bits must be a multiple of 8. safetensors does not say how elements
 * are packed inside a byte (FORMATS.md §8: torchao puts element 0 in the low
 * nibble, bitsandbytes in the high one); qcts's generators say so in
 * __metadata__, and this library only moves bytes.
 *
 * ---------------------------------------------------------------------------
 * Reading
 * ---------------------------------------------------------------------------
 * qcts_st_read_file() / qcts_st_read_mem() parse and validate a whole file
 * into a qcts_st_file that owns a private copy of the bytes (the whole file
 * is read into memory: golden files are small): the caller's buffer may be
 * freed as soon as read_mem returns. Everything reachable from a
 * qcts_st_file (names, shapes, data, metadata) lives until qcts_st_free().
 * Any number of threads may read files at once, and a loaded file is
 * read-only and may be shared between threads; a writer must be used by one
 * thread at a time.
 *
 * Validation follows the Rust crate (safetensors 0.6-0.8, tensor.rs
 * read_metadata/validate) check for check, in its order:
 *   - at least 8 bytes;                                 QCTS_ST_ERR_TOO_SMALL
 *   - N <= 100,000,000;                                 QCTS_ST_ERR_HEADER_TOO_LARGE
 *   - 8 + N <= file size;                               QCTS_ST_ERR_HEADER_LENGTH
 *   - the header is valid UTF-8;                        QCTS_ST_ERR_UTF8
 *   - it starts with '{' (the crate's planned check);   QCTS_ST_ERR_HEADER_START
 *   - strict JSON (RFC 8259, serde_json's rules: no control characters,
 *     no "01"/"1."/"+1", nothing but whitespace after the object, nesting at
 *     most 127 deep);                                   QCTS_ST_ERR_JSON
 *   - every entry but __metadata__ is an object with "dtype" (a known dtype
 *     name, else QCTS_ST_ERR_DTYPE), "shape" (array of integers >= 0) and
 *     "data_offsets" (array of exactly two integers >= 0); integers are
 *     plain JSON integers ("2.0", "2e0", "-0" are rejected like serde does)
 *     that fit in 64 bits; other fields are ignored;     QCTS_ST_ERR_JSON
 *   - __metadata__ is an object whose values are strings (null means
 *     "no metadata", as in the crate);                  QCTS_ST_ERR_METADATA
 *   - no name twice, no metadata key twice;             QCTS_ST_ERR_DUPLICATE
 *   - then, with tensors sorted by (begin, end):
 *       begin == end of the previous tensor (0 for the first) and
 *       begin <= end;                                   QCTS_ST_ERR_OFFSETS
 *       element count and element count * bits do not overflow 64 bits
 *       (multiplied left to right, as the crate does);  QCTS_ST_ERR_OVERFLOW
 *       element count * bits is a multiple of 8;        QCTS_ST_ERR_MISALIGNED
 *       end - begin == element count * bits / 8;        QCTS_ST_ERR_SIZE
 *   - the last end == file size - 8 - N.                QCTS_ST_ERR_INCOMPLETE
 * Differences from the crate, all stricter:
 *   - the crate silently keeps the last of two equal names or metadata keys;
 *     qcts rejects both (QCTS_ST_ERR_DUPLICATE): a golden file must not be
 *     ambiguous;
 *   - the crate does not yet require the leading '{' (the check is written
 *     but commented out); qcts does;
 *   - names, keys and values containing U+0000 (JSON "\u0000") are rejected
 *     (QCTS_ST_ERR_UNSUPPORTED): they cannot be C strings;
 *   - shapes of more than QCTS_ST_MAX_DIMS dimensions, and dimensions above
 *     INT64_MAX (only possible next to a zero dimension), are rejected
 *     (QCTS_ST_ERR_UNSUPPORTED).
 * No input makes the reader crash, read out of bounds or overflow: every
 * size is checked before it is used (the unit tests feed it every
 * truncation and every single-bit flip of a file, under ASan and UBSan).
 *
 * ---------------------------------------------------------------------------
 * Writing
 * ---------------------------------------------------------------------------
 * A qcts_st_writer collects tensors and metadata (copying them) and writes
 * the file in one go, byte for byte as the Rust crate's serialize() does:
 *   - tensors sorted by dtype in descending qcts_st_dtype order (this enum
 *     is the crate's Dtype enum, whose order is roughly increasing
 *     alignment: U64 I64 F64 C64 F32 ... U8 F6_E3M2 F6_E2M3 F4 BOOL), then
 *     by name (byte-wise, strcmp), so wider types come first and stay
 *     aligned;
 *   - data offsets contiguous from 0, in that order;
 *   - compact JSON (no spaces), "__metadata__" first (omitted when no key is
 *     set), then each tensor as {"dtype":..,"shape":[..],"data_offsets":[..]};
 *     strings escaped as serde_json does (\" \\ \b \f \n \r \t, other
 *     control characters as \u00xx, everything else, '/' and non-ASCII
 *     included, written as is);
 *   - the header padded with spaces to a multiple of 8 bytes.
 * One deliberate difference: the crate writes metadata keys in hash-map
 * order, which changes from run to run; qcts sorts them by key (strcmp), so
 * output depends only on the writer's content, never on insertion order,
 * time or address. With at most one metadata key the output is identical
 * to the crate's (a unit test compares against a file written by Python's
 * safetensors 0.8.0).
 *
 * qcts_st_writer_write_file() is atomic: it writes a temporary file next to
 * the target (same directory), fsyncs it and renames it over the target. On
 * any error the temporary file is removed and an existing target is left
 * untouched.
 *
 * ---------------------------------------------------------------------------
 * Errors
 * ---------------------------------------------------------------------------
 * Functions that can fail return a qcts_st_status (QCTS_ST_OK == 0) and,
 * where they take (err, errlen), write one line without a trailing newline
 * naming the file, the tensor and what was expected, e.g.
 *   x.safetensors: tensor 'c007/in.a': data_offsets [0, 12) hold 12 bytes
 *   but dtype F32 shape [2,2] needs 16
 * err may be NULL or errlen 0 (no message); the message is truncated to
 * errlen - 1 bytes and always NUL-terminated. On success err is set to "".
 * qcts_st_status_name() gives a stable identifier for each status.
 */
#ifndef QCTS_SAFETENSORS_H
#define QCTS_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The largest header the reader accepts (and the writer produces), bytes. */
#define QCTS_ST_MAX_HEADER 100000000u
/* The most dimensions a shape may have here (the format has no limit). */
#define QCTS_ST_MAX_DIMS 8
/* Enough for any message of this library with names of typical length. */
#define QCTS_ST_ERRLEN 512

typedef enum qcts_st_status {
    QCTS_ST_OK = 0,
    QCTS_ST_ERR_ARG,               /* NULL pointer, bad enum value, ndim out of
                                      range, negative dimension, data NULL
                                      with nbytes > 0 */
    QCTS_ST_ERR_NOMEM,             /* an allocation failed */
    QCTS_ST_ERR_IO,                /* open/read/write/fsync/rename failed (the
                                      message has strerror(errno)) */
    QCTS_ST_ERR_TOO_SMALL,         /* fewer than 8 bytes (crate: HeaderTooSmall) */
    QCTS_ST_ERR_HEADER_TOO_LARGE,  /* N > QCTS_ST_MAX_HEADER (HeaderTooLarge) */
    QCTS_ST_ERR_HEADER_LENGTH,     /* 8 + N > file size (InvalidHeaderLength) */
    QCTS_ST_ERR_UTF8,              /* header or a name not valid UTF-8 (InvalidHeader) */
    QCTS_ST_ERR_HEADER_START,      /* header does not start with '{' (InvalidHeaderStart) */
    QCTS_ST_ERR_JSON,              /* not JSON, or a field missing or of the wrong
                                      type (InvalidHeaderDeserialization) */
    QCTS_ST_ERR_DTYPE,             /* unknown dtype name */
    QCTS_ST_ERR_METADATA,          /* __metadata__ not an object of strings */
    QCTS_ST_ERR_DUPLICATE,         /* a tensor name or metadata key twice */
    QCTS_ST_ERR_OFFSETS,           /* data_offsets not contiguous from 0, or
                                      begin > end (InvalidOffset) */
    QCTS_ST_ERR_OVERFLOW,          /* element count or bit count overflows 64 bits
                                      (ValidationOverflow) */
    QCTS_ST_ERR_MISALIGNED,        /* element count * bits not a multiple of 8
                                      (MisalignedSlice) */
    QCTS_ST_ERR_SIZE,              /* byte size does not match dtype and shape
                                      (TensorInvalidInfo; writer: nbytes) */
    QCTS_ST_ERR_INCOMPLETE,        /* tensors do not cover the whole data buffer
                                      (MetadataIncompleteBuffer) */
    QCTS_ST_ERR_NAME,              /* writer: name is "__metadata__" (reserved) */
    QCTS_ST_ERR_UNSUPPORTED,       /* valid safetensors that qcts cannot represent:
                                      > QCTS_ST_MAX_DIMS dims, a dimension
                                      > INT64_MAX, U+0000 in a string */
    QCTS_ST_STATUS_COUNT
} qcts_st_status;

/* Stable lower-case identifier ("ok", "bad_offsets", ...); never NULL. */
const char *qcts_st_status_name(qcts_st_status s);

/* ---- dtypes ------------------------------------------------------------ */

/* Element types, in the Rust crate's Dtype order (the writer sorts by it).
 * The safetensors name of each is its suffix: QCTS_ST_F8_E4M3 is "F8_E4M3".
 * Floats are IEEE/OCP little-endian codes; this library never interprets
 * them. */
typedef enum qcts_st_dtype {
    QCTS_ST_DTYPE_INVALID = -1,
    QCTS_ST_BOOL = 0,    /* 8 bits, 0 or 1 */
    QCTS_ST_F4,          /* 4 bits, OCP E2M1, two per byte (order: see top) */
    QCTS_ST_F6_E2M3,     /* 6 bits, OCP FP6, four per three bytes */
    QCTS_ST_F6_E3M2,     /* 6 bits, OCP FP6 */
    QCTS_ST_U8,
    QCTS_ST_I8,
    QCTS_ST_F8_E5M2,     /* OCP FP8 E5M2 */
    QCTS_ST_F8_E4M3,     /* OCP FP8 E4M3 ("fn": no Inf) */
    QCTS_ST_F8_E8M0,     /* OCP MX scale E8M0 */
    QCTS_ST_F8_E4M3FNUZ, /* AMD FP8 variants (crate >= 0.8) */
    QCTS_ST_F8_E5M2FNUZ,
    QCTS_ST_I16,
    QCTS_ST_U16,
    QCTS_ST_F16,
    QCTS_ST_BF16,
    QCTS_ST_I32,
    QCTS_ST_U32,
    QCTS_ST_F32,
    QCTS_ST_C64,         /* complex64: two F32 (crate >= 0.7) */
    QCTS_ST_F64,
    QCTS_ST_I64,
    QCTS_ST_U64,
    QCTS_ST_DTYPE_COUNT
} qcts_st_dtype;

/* The dtype named name (exact, case-sensitive: "F32", not "f32" or
 * "float32"); QCTS_ST_DTYPE_INVALID for NULL or an unknown name. */
qcts_st_dtype qcts_st_dtype_from_name(const char *name);
/* The safetensors name of d ("F8_E4M3"); NULL when d is not a dtype. */
const char *qcts_st_dtype_name(qcts_st_dtype d);
/* Bits per element: 4 for F4, 6 for F6_*, 8 * byte size otherwise (BOOL 8,
 * C64 64); 0 when d is not a dtype. */
unsigned qcts_st_dtype_bits(qcts_st_dtype d);

/* ---- a loaded file --------------------------------------------------------- */

typedef struct qcts_st_tensor {
    const char *name;        /* UTF-8, NUL-terminated */
    qcts_st_dtype dtype;
    int ndim;                /* 0 .. QCTS_ST_MAX_DIMS; 0 is a scalar (1 element) */
    int64_t shape[QCTS_ST_MAX_DIMS]; /* shape[ndim..] are 0 */
    uint64_t nelems;         /* product of shape (1 when ndim == 0) */
    uint64_t offset;         /* data_offsets[0], bytes from the data buffer start */
    size_t nbytes;           /* data_offsets[1] - data_offsets[0] = nelems*bits/8 */
    const void *data;        /* nbytes bytes (a valid pointer even when 0).
                                Aligned only as well as the file made it: use
                                memcpy, not a cast, unless you checked. */
} qcts_st_tensor;

typedef struct qcts_st_meta {
    const char *key;         /* UTF-8, NUL-terminated */
    const char *value;
} qcts_st_meta;

typedef struct qcts_st_file {
    size_t n_tensors;
    const qcts_st_tensor *tensors; /* in data-offset order (file order) */
    size_t n_meta;
    const qcts_st_meta *meta;      /* sorted by key (strcmp) */
    uint64_t header_len;           /* N */
    const uint8_t *data;           /* the data buffer (after the header) */
    size_t data_size;              /* its size in bytes */
    void *priv_;                   /* private */
} qcts_st_file;

/* Reads and validates the file at path. On success stores a new file in
 * *out (free it with qcts_st_free) and returns QCTS_ST_OK; on failure
 * stores NULL in *out. Messages start with path. */
qcts_st_status qcts_st_read_file(const char *path, qcts_st_file **out,
                                 char *err, size_t errlen);

/* The same for len bytes at buf (copied; buf may be NULL when len is 0).
 * name_for_errors starts each message; NULL means "<memory>". */
qcts_st_status qcts_st_read_mem(const void *buf, size_t len, const char *name_for_errors,
                                qcts_st_file **out, char *err, size_t errlen);

/* The tensor named name, or NULL (also for NULL arguments). O(log n). */
const qcts_st_tensor *qcts_st_find(const qcts_st_file *f, const char *name);

/* The metadata value of key, or NULL. O(log n). */
const char *qcts_st_meta_get(const qcts_st_file *f, const char *key);

/* Frees f and everything it owns; NULL is allowed. */
void qcts_st_free(qcts_st_file *f);

/* ---- writing ------------------------------------------------------------- */

typedef struct qcts_st_writer qcts_st_writer; /* opaque */

/* A new, empty writer; NULL when out of memory. */
qcts_st_writer *qcts_st_writer_new(void);

/* Adds a tensor. name (UTF-8, not "__metadata__", not already added) and the
 * nbytes bytes at data are COPIED: the caller's buffers may be reused as
 * soon as this returns. shape holds ndim (0 .. QCTS_ST_MAX_DIMS) dimensions
 * >= 0 (shape may be NULL when ndim is 0); nbytes must be exactly
 * product(shape) * bits / 8, and product * bits a multiple of 8 (F4 needs
 * an even element count, F6 a multiple of 4).
 * On failure nothing is added, the status is returned and also remembered:
 * a later write_file / serialize fails with it (so an unchecked failure can
 * never produce a file with a tensor missing). qcts_st_writer_error() gives
 * the message. */
qcts_st_status qcts_st_writer_add_tensor(qcts_st_writer *w, const char *name,
                                         qcts_st_dtype dtype, const int64_t *shape,
                                         int ndim, const void *data, size_t nbytes);

/* Sets metadata key to value (both UTF-8, copied). Setting a key again
 * replaces its value. Failures are remembered as for add_tensor. */
qcts_st_status qcts_st_writer_set_meta(qcts_st_writer *w, const char *key,
                                       const char *value);

/* The message of the first failed add_tensor / set_meta, or "" if none. */
const char *qcts_st_writer_error(const qcts_st_writer *w);

/* Writes the file atomically (see "Writing" above). Messages start with
 * path. The writer is unchanged and may be written again. */
qcts_st_status qcts_st_writer_write_file(const qcts_st_writer *w, const char *path,
                                         char *err, size_t errlen);

/* The same bytes as write_file, in a new malloc'd buffer (*out, *len; the
 * caller free()s it). On failure *out is NULL and *len 0. */
qcts_st_status qcts_st_writer_serialize(const qcts_st_writer *w, uint8_t **out,
                                        size_t *len, char *err, size_t errlen);

/* Frees w and its copies; NULL is allowed. */
void qcts_st_writer_free(qcts_st_writer *w);

#ifdef __cplusplus
}
#endif

#endif
