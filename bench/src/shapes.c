/* Shape sets: bench/shapes/NAME.json (qcts/bench.h). */
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qcts/bench.h"
#include "qcts/case_call.h"

static void seterr(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t n, const char *fmt, ...)
{
    if (!err || !n)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *s = malloc(cap);
    size_t k;
    while (s && (k = fread(s + n, 1, cap - n - 1, f)) > 0) {
        n += k;
        if (n + 1 == cap) {
            char *t = realloc(s, cap *= 2);
            if (!t) {
                free(s);
                s = NULL;
            }
            s = t;
        }
    }
    fclose(f);
    if (s)
        s[n] = '\0';
    *len = n;
    return s;
}

static int64_t get_int(const cJSON *o, const char *k, int64_t dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!cJSON_IsNumber(v))
        return dflt;
    /* Converting a double outside int64 is undefined: give -1, which every
     * caller's range check refuses (found by fuzz/shapes.c). */
    if (!(v->valuedouble >= -9.2e18 && v->valuedouble <= 9.2e18))
        return -1;
    return (int64_t)v->valuedouble;
}

int qcts_shape_set_load(const char *name_or_file, const char *dir, qcts_shape_set **out, char *err, size_t errlen)
{
    *out = NULL;
    char path[512];
    size_t l = strlen(name_or_file);
    if (strchr(name_or_file, '/') || (l > 5 && strcmp(name_or_file + l - 5, ".json") == 0))
        snprintf(path, sizeof path, "%s", name_or_file);
    else
        snprintf(path, sizeof path, "%s/%s.json", dir ? dir : "bench/shapes", name_or_file);
    size_t len;
    char *text = slurp(path, &len);
    if (!text) {
        seterr(err, errlen, "%s: cannot read the shape set (known sets are bench/shapes/*.json)", path);
        return -1;
    }
    cJSON *j = cJSON_Parse(text);
    free(text);
    if (!j || !cJSON_IsObject(j)) {
        cJSON_Delete(j);
        seterr(err, errlen, "%s: not a JSON object", path);
        return -1;
    }
    qcts_shape_set *s = calloc(1, sizeof *s);
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(j, "name");
    const cJSON *src = cJSON_GetObjectItemCaseSensitive(j, "source");
    const cJSON *shapes = cJSON_GetObjectItemCaseSensitive(j, "shapes");
    const cJSON *schemes = cJSON_GetObjectItemCaseSensitive(j, "schemes");
    int n = cJSON_GetArraySize(shapes), ns = cJSON_GetArraySize(schemes);
    if (!s || !cJSON_IsString(name) || !cJSON_IsArray(shapes) || n < 1 || !cJSON_IsArray(schemes) || ns < 1) {
        seterr(err, errlen, "%s: needs \"name\", a non-empty \"shapes\" array and a non-empty \"schemes\" array",
               path);
        goto fail;
    }
    snprintf(s->name, sizeof s->name, "%s", name->valuestring);
    snprintf(s->path, sizeof s->path, "%s", path);
    s->source = strdup(cJSON_IsString(src) ? src->valuestring : "");
    s->shapes = calloc((size_t)n, sizeof *s->shapes);
    s->schemes = calloc((size_t)ns, sizeof *s->schemes);
    if (!s->source || !s->shapes || !s->schemes) {
        seterr(err, errlen, "out of memory");
        goto fail;
    }
    for (int i = 0; i < ns; i++) {
        const cJSON *v = cJSON_GetArrayItem(schemes, i);
        if (!cJSON_IsString(v)) {
            seterr(err, errlen, "%s: schemes[%d] is not a string", path, i);
            goto fail;
        }
        s->schemes[s->n_schemes++] = strdup(v->valuestring);
    }
    for (int i = 0; i < n; i++) {
        const cJSON *o = cJSON_GetArrayItem(shapes, i);
        qcts_bench_shape *sh = &s->shapes[s->n_shapes];
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(o, "name");
        const cJSON *op = cJSON_GetObjectItemCaseSensitive(o, "op");
        const cJSON *ph = cJSON_GetObjectItemCaseSensitive(o, "phase");
        const cJSON *pt = cJSON_GetObjectItemCaseSensitive(o, "per_token");
        if (!cJSON_IsString(nm) || !cJSON_IsString(op) || qcts_op_from_name(op->valuestring, &sh->op) != 0
            || (sh->op != QCTS_OP_GEMM && sh->op != QCTS_OP_DEQUANT)) {
            seterr(err, errlen, "%s: shapes[%d] needs a \"name\" and an \"op\" (gemm or dequant)", path, i);
            goto fail;
        }
        snprintf(sh->name, sizeof sh->name, "%s", nm->valuestring);
        snprintf(sh->phase, sizeof sh->phase, "%s", cJSON_IsString(ph) ? ph->valuestring : "");
        sh->M = get_int(o, "M", 1);
        sh->N = get_int(o, "N", 0);
        sh->K = get_int(o, "K", 0);
        sh->per_token = cJSON_IsNumber(pt) ? pt->valuedouble : 0;
        if (sh->M < 1 || sh->N < 1 || sh->K < 1 || sh->M > 65536 || sh->N > (1 << 20) || sh->K > (1 << 20)) {
            seterr(err, errlen, "%s: shape %s needs M, N, K from 1 (M <= 65536, N, K <= 2^20)", path, sh->name);
            goto fail;
        }
        s->n_shapes++;
    }
    cJSON_Delete(j);
    *out = s;
    return 0;
fail:
    cJSON_Delete(j);
    qcts_shape_set_free(s);
    return -1;
}

void qcts_shape_set_free(qcts_shape_set *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_schemes; i++)
        free(s->schemes[i]);
    free(s->schemes);
    free(s->shapes);
    free(s->source);
    free(s);
}
