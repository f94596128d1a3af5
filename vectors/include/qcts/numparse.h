/* qcts/numparse.h — checked conversions from parsed text (JSON numbers,
 * which cJSON holds as doubles, and decimal strings) to integers and sizes.
 * A plain cast of a double out of range (1e400, 2^63, NaN) is undefined
 * behaviour, so every conversion goes through here: finite, integral, in
 * range, or an error the caller turns into a message naming file and field.
 * Used by vectors/ and every layer above it (bench/, conformance/, cli/). */
#ifndef QCTS_NUMPARSE_H
#define QCTS_NUMPARSE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* x as an integer in [lo, hi]: 0, or -1 when x is NaN, infinite, not
 * integral or out of range (*out untouched). Never casts out of range. */
int qcts_num_to_i64(double x, int64_t lo, int64_t hi, int64_t *out);

/* x as a size in [0, max]: the same rules (a negative size is an error). */
int qcts_num_to_size(double x, size_t max, size_t *out);

/* A whole decimal string (optional '-', digits only, no spaces, no '+',
 * no base prefix) in [lo, hi]: 0, or -1. */
int qcts_str_to_i64(const char *s, int64_t lo, int64_t hi, int64_t *out);

#ifdef __cplusplus
}
#endif
#endif
