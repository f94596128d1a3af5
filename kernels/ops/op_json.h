/* op_json.h — helpers for kernels/ops/op_<name>.c: reading a case's params
 * with every field checked, and writing them back. Messages are one line
 * naming params.<key> and what was expected. Each reader returns 0, or -1
 * with the message in err. */
#ifndef QCTS_OP_JSON_H
#define QCTS_OP_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "qcts/opdef.h"

/* An integer in [min, max]; absent: dflt if !required. */
int op_json_int(const cJSON *p, const char *key, int required, int64_t dflt, int64_t min, int64_t max,
                int64_t *out, char *err, size_t errlen);
/* A finite number in [min, max]. */
int op_json_double(const cJSON *p, const char *key, int required, double dflt, double min, double max,
                   double *out, char *err, size_t errlen);
/* A string that fits buf (NUL included); dflt NULL: required. */
int op_json_str(const cJSON *p, const char *key, const char *dflt, char *buf, size_t bufsize, char *err,
                size_t errlen);
/* One of the names in choices (NULL-terminated); *out = its index. */
int op_json_enum(const cJSON *p, const char *key, const char *dflt, const char *const *choices, int32_t *out,
                 char *err, size_t errlen);
/* "f32", "f16", "bf16" (float_only) or any qcts dtype name. */
int op_json_dtype(const cJSON *p, const char *key, const char *dflt, int float_only, qcts_dtype *out, char *err,
                  size_t errlen);
int op_json_bool(const cJSON *p, const char *key, int dflt, int32_t *out, char *err, size_t errlen);
/* A scheme preset name (qref_scheme_find) into buf[QCTS_SCHEME_NAME_MAX]. */
int op_json_scheme(const cJSON *p, const char *key, const char *dflt, char *buf, char *err, size_t errlen);

/* Writers: replace key; 0, or -1 out of memory. */
int op_set_int(cJSON *p, const char *key, int64_t v);
int op_set_double(cJSON *p, const char *key, double v);
int op_set_str(cJSON *p, const char *key, const char *v);
int op_set_bool(cJSON *p, const char *key, int v);

/* A tensor spec with up to 4 dims; -1 when the size overflows or a dim is
 * negative. */
int op_spec(qcts_tensor_spec *t, const char *name, qcts_dtype dt, int optional, int ndim, int64_t d0, int64_t d1,
            int64_t d2, int64_t d3);

/* Writes a message (printf-style) and returns QCTS_ERROR. */
qcts_status op_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
