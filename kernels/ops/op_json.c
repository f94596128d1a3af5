/* op_json.c — checked params readers and writers for kernels/ops (op_json.h). */
#include "op_json.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "qcts/numparse.h"
#include "qref/scheme.h"

qcts_status op_fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return QCTS_ERROR;
}

static int bad(char *err, size_t errlen, const char *key, const char *what)
{
    op_fail(err, errlen, "params.%s %s", key, what);
    return -1;
}

int op_json_int(const cJSON *p, const char *key, int required, int64_t dflt, int64_t min, int64_t max,
                int64_t *out, char *err, size_t errlen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, key);
    if (!v) {
        if (required)
            return bad(err, errlen, key, "is missing");
        *out = dflt;
        return 0;
    }
    int64_t x;
    if (!cJSON_IsNumber(v) || qcts_num_to_i64(v->valuedouble, -9007199254740992, 9007199254740992, &x) != 0)
        return bad(err, errlen, key, "must be an integer");
    if (x < min || x > max) {
        op_fail(err, errlen, "params.%s is %lld; expected %lld..%lld", key, (long long)x, (long long)min,
                (long long)max);
        return -1;
    }
    *out = x;
    return 0;
}

int op_json_double(const cJSON *p, const char *key, int required, double dflt, double min, double max,
                   double *out, char *err, size_t errlen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, key);
    if (!v) {
        if (required)
            return bad(err, errlen, key, "is missing");
        *out = dflt;
        return 0;
    }
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
        return bad(err, errlen, key, "must be a finite number");
    if (!(v->valuedouble >= min && v->valuedouble <= max)) {
        op_fail(err, errlen, "params.%s is %.17g; expected %.17g..%.17g", key, v->valuedouble, min, max);
        return -1;
    }
    *out = v->valuedouble;
    return 0;
}

int op_json_str(const cJSON *p, const char *key, const char *dflt, char *buf, size_t bufsize, char *err,
                size_t errlen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, key);
    const char *s = dflt;
    if (v) {
        if (!cJSON_IsString(v) || !v->valuestring)
            return bad(err, errlen, key, "must be a string");
        s = v->valuestring;
    } else if (!dflt) {
        return bad(err, errlen, key, "is missing");
    }
    if (strlen(s) >= bufsize) {
        op_fail(err, errlen, "params.%s is longer than %zu bytes", key, bufsize - 1);
        return -1;
    }
    memcpy(buf, s, strlen(s) + 1);
    return 0;
}

int op_json_enum(const cJSON *p, const char *key, const char *dflt, const char *const *choices, int32_t *out,
                 char *err, size_t errlen)
{
    char s[64];
    if (op_json_str(p, key, dflt, s, sizeof s, err, errlen))
        return -1;
    char list[256] = "";
    for (int32_t i = 0; choices[i]; i++) {
        if (strcmp(s, choices[i]) == 0) {
            *out = i;
            return 0;
        }
        size_t l = strlen(list);
        snprintf(list + l, sizeof list - l, "%s%s", i ? ", " : "", choices[i]);
    }
    op_fail(err, errlen, "params.%s is '%s'; expected one of %s", key, s, list);
    return -1;
}

int op_json_dtype(const cJSON *p, const char *key, const char *dflt, int float_only, qcts_dtype *out, char *err,
                  size_t errlen)
{
    char s[16];
    if (op_json_str(p, key, dflt, s, sizeof s, err, errlen))
        return -1;
    qcts_dtype d;
    if (qcts_dtype_from_name(s, &d) != 0 ||
        (float_only && d != QCTS_DT_F32 && d != QCTS_DT_F16 && d != QCTS_DT_BF16)) {
        op_fail(err, errlen, "params.%s is '%s'; expected %s", key, s,
                float_only ? "f32, f16 or bf16" : "a dtype (f32, f16, bf16, u8, u16, u32, i32)");
        return -1;
    }
    *out = d;
    return 0;
}

int op_json_bool(const cJSON *p, const char *key, int dflt, int32_t *out, char *err, size_t errlen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, key);
    if (!v) {
        *out = dflt != 0;
        return 0;
    }
    if (!cJSON_IsBool(v))
        return bad(err, errlen, key, "must be true or false");
    *out = cJSON_IsTrue(v);
    return 0;
}

int op_json_scheme(const cJSON *p, const char *key, const char *dflt, char *buf, char *err, size_t errlen)
{
    if (op_json_str(p, key, dflt, buf, QCTS_SCHEME_NAME_MAX, err, errlen))
        return -1;
    if (!qref_scheme_find(buf)) {
        op_fail(err, errlen, "params.%s: unknown scheme '%s' (qcts list schemes)", key, buf);
        return -1;
    }
    return 0;
}

int op_set_int(cJSON *p, const char *key, int64_t v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(p, key);
    return cJSON_AddNumberToObject(p, key, (double)v) ? 0 : -1;
}

int op_set_double(cJSON *p, const char *key, double v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(p, key);
    return cJSON_AddNumberToObject(p, key, v) ? 0 : -1;
}

int op_set_str(cJSON *p, const char *key, const char *v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(p, key);
    return cJSON_AddStringToObject(p, key, v ? v : "") ? 0 : -1;
}

int op_set_bool(cJSON *p, const char *key, int v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(p, key);
    return cJSON_AddBoolToObject(p, key, v != 0) ? 0 : -1;
}

int op_spec(qcts_tensor_spec *t, const char *name, qcts_dtype dt, int optional, int ndim, int64_t d0, int64_t d1,
            int64_t d2, int64_t d3)
{
    int64_t shape[4] = { d0, d1, d2, d3 };
    return qcts_tensor_spec_set(t, name, dt, optional, ndim, shape);
}
