/* Case-definition field readers (gen_defjson.h). */
#include "gen_defjson.h"

#include <string.h>

int vdef_num(const cJSON *o, const char *k, double dflt, double lo, double hi, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    double d = dflt;
    if (v) {
        if (!cJSON_IsNumber(v))
            return 0;
        d = v->valuedouble;
    }
    if (!(d >= lo && d <= hi))
        return 0;
    *out = d;
    return 1;
}

int vdef_int(const cJSON *o, const char *k, int64_t dflt, int64_t lo, int64_t hi, int64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!v) {
        if (dflt < lo || dflt > hi)
            return 0;
        *out = dflt;
        return 1;
    }
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= (double)lo && v->valuedouble <= (double)hi) ||
        v->valuedouble != (double)(int64_t)v->valuedouble)
        return 0;
    *out = (int64_t)v->valuedouble;
    return 1;
}

int vdef_bool(const cJSON *o, const char *k, int dflt, int *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!v) {
        *out = dflt;
        return 1;
    }
    if (!cJSON_IsBool(v))
        return 0;
    *out = cJSON_IsTrue(v);
    return 1;
}

int vdef_enum(const cJSON *o, const char *k, int dflt, const char *const *choices, int *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!v) {
        if (dflt < 0)
            return 0;
        *out = dflt;
        return 1;
    }
    if (!cJSON_IsString(v))
        return 0;
    for (int i = 0; choices[i]; i++)
        if (strcmp(v->valuestring, choices[i]) == 0) {
            *out = i;
            return 1;
        }
    return 0;
}

int vdef_fmt(const cJSON *o, const char *k, qref_fmt *out)
{
    static const char *const names[] = { "f32", "f16", "bf16", NULL };
    static const qref_fmt fmts[] = { QREF_FMT_F32, QREF_FMT_F16, QREF_FMT_BF16 };
    int i;
    if (!vdef_enum(o, k, 0, names, &i))
        return 0;
    *out = fmts[i];
    return 1;
}

int vdef_only(const cJSON *o, const char *const *keys)
{
    for (const cJSON *it = o ? o->child : NULL; it; it = it->next) {
        int ok = 0;
        for (int i = 0; keys[i] && !ok; i++)
            ok = it->string && strcmp(it->string, keys[i]) == 0;
        if (!ok)
            return 0;
    }
    return 1;
}

float vdef_f32_up(double b)
{
    float f = (float)b;
    if ((double)f < b) {
        uint32_t u;
        memcpy(&u, &f, 4);
        u++;
        memcpy(&f, &u, 4);
    }
    return f;
}
