/* Private helpers shared by the safetensors reader and writer. */
#ifndef QCTS_ST_IMPL_H
#define QCTS_ST_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "qcts/safetensors.h"

/* Writes a printf-style message into err (when err && errlen), truncating. */
void st_msg(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Returns n when the n bytes at s are valid UTF-8 (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), else the offset of the
 * first byte of the first invalid sequence. */
size_t st_utf8_check(const uint8_t *s, size_t n);

/* A name made safe for a message: control characters, DEL and invalid UTF-8
 * as \xNN, truncated with "..." past cap - 1 bytes. Returns dst. */
char *st_quote(char *dst, size_t cap, const char *name);
#define ST_QUOTE_CAP 200

/* "[2,3]" (or "[]") into dst. Returns dst. */
char *st_shape_str(char *dst, size_t cap, const int64_t *shape, int ndim);
#define ST_SHAPE_CAP (QCTS_ST_MAX_DIMS * 21 + 3)

/* a * b into *r; 0 when it overflows 64 bits. */
static inline int st_mul_u64(uint64_t a, uint64_t b, uint64_t *r)
{
    return !__builtin_mul_overflow(a, b, r);
}

/* Element count of shape (1 for ndim == 0), multiplying left to right like
 * the Rust crate: 0 when an intermediate product overflows. */
int st_elem_count(const int64_t *shape, int ndim, uint64_t *count);

#endif
