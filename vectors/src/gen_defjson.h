/* gen_defjson.h — reading the fields of a case definition (a cJSON object
 * of a suite file in vectors/suites) with type and range checks, shared by the
 * generators of the ops after GEMM. Each reader returns 1 when the field
 * is valid, or absent and its default is valid (a default outside the
 * range makes the field required), and 0 otherwise; *out is set only on 1. */
#ifndef QCTS_GEN_DEFJSON_H
#define QCTS_GEN_DEFJSON_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "qref/fmt.h"

/* An integer in [lo, hi]. */
int vdef_int(const cJSON *o, const char *k, int64_t dflt, int64_t lo, int64_t hi, int64_t *out);
/* A number in [lo, hi] (NaN never is). */
int vdef_num(const cJSON *o, const char *k, double dflt, double lo, double hi, double *out);
/* true or false. */
int vdef_bool(const cJSON *o, const char *k, int dflt, int *out);
/* A string among choices (NULL-terminated), as its index; dflt is an index,
 * -1 = required. */
int vdef_enum(const cJSON *o, const char *k, int dflt, const char *const *choices, int *out);
/* "f32" (the default), "f16" or "bf16". */
int vdef_fmt(const cJSON *o, const char *k, qref_fmt *out);
/* Only these keys (NULL-terminated) may appear. */
int vdef_only(const cJSON *o, const char *const *keys);
/* The float32 at or above b (b >= 0): a bound stored as float32 stays a bound. */
float vdef_f32_up(double b);

#endif
