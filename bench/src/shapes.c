/* Shape sets: bench/shapes/NAME.json (qcts/bench.h). */
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qcts/bench.h"
#include "qcts/case_call.h"
#include "qcts/numparse.h"
#include "qcts/vecset.h"
#include "qref/actquant.h"

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

/* A regular file of at most 16 MiB, NUL-terminated (qcts/vecset.h: a FIFO
 * or device given as a shape set is refused, not read forever). */
static char *slurp(const char *path, size_t *len, char *err, size_t errlen)
{
    uint8_t *data;
    size_t n;
    if (qcts_vec_read_regular(path, (size_t)16 << 20, (size_t)-1, &data, &n, err, errlen) != 0)
        return NULL;
    char *s = realloc(data, n + 1);
    if (!s) {
        free(data);
        seterr(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    s[n] = '\0';
    *len = n;
    return s;
}

/* shapes[i].k as an integer in [1, hi]; absent gives dflt (0: required).
 * Checked before any cast (qcts/numparse.h): 1e400, 2^63, 1.5, -1 and
 * strings are errors naming the file, the shape and the field. */
static int get_int(const cJSON *o, const char *k, int64_t dflt, int64_t hi, int64_t *out, const char *path, int i,
                   char *err, size_t errlen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!v && dflt > 0) {
        *out = dflt;
        return 0;
    }
    if (!cJSON_IsNumber(v) || qcts_num_to_i64(v->valuedouble, 1, hi, out) != 0) {
        seterr(err, errlen, "%s: shapes[%d].%s must be an integer from 1 to %lld", path, i, k, (long long)hi);
        return -1;
    }
    return 0;
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
    char why[600];
    char *text = slurp(path, &len, why, sizeof why);
    if (!text) {
        seterr(err, errlen, "%s: cannot read the shape set (known sets are bench/shapes/*.json): %s", path, why);
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
            || (sh->op != QCTS_OP_GEMM && sh->op != QCTS_OP_DEQUANT && sh->op != QCTS_OP_MOE_EXPERTS)) {
            seterr(err, errlen, "%s: shapes[%d] needs a \"name\" and an \"op\" (gemm, dequant or moe_experts)", path, i);
            goto fail;
        }
        snprintf(sh->name, sizeof sh->name, "%s", nm->valuestring);
        snprintf(sh->phase, sizeof sh->phase, "%s", cJSON_IsString(ph) ? ph->valuestring : "");
        if (get_int(o, "M", 1, 65536, &sh->M, path, i, err, errlen) || get_int(o, "N", 0, 1 << 20, &sh->N, path, i, err, errlen)
            || get_int(o, "K", 0, 1 << 20, &sh->K, path, i, err, errlen))
            goto fail;
        if (pt && (!cJSON_IsNumber(pt) || !(pt->valuedouble >= 0 && pt->valuedouble <= 1e9))) {
            seterr(err, errlen, "%s: shapes[%d].per_token must be a number from 0 to 1e9", path, i);
            goto fail;
        }
        sh->per_token = pt ? pt->valuedouble : 0;
        const cJSON *aqn = cJSON_GetObjectItemCaseSensitive(o, "a_quant");   /* quantized activations (qref/actquant.h) */
        qref_aq aqm = QREF_AQ_NONE;
        if (aqn && (!cJSON_IsString(aqn) || qref_aq_from_name(aqn->valuestring, &aqm) != QREF_OK || sh->op != QCTS_OP_GEMM)) {
            seterr(err, errlen, "%s: shapes[%d].a_quant must name an activation quantization (int8_token, fp8_e4m3_tensor, "
                   "fp8_e4m3_token, q8_0, q8_1, q8_k) of a gemm shape", path, i);
            goto fail;
        }
        sh->a_quant = (uint32_t)aqm;
        if (sh->op == QCTS_OP_MOE_EXPERTS &&   /* bench_moe.c: E experts, top_k, shared_inter (0: none) */
            (get_int(o, "E", 0, 4096, &sh->E, path, i, err, errlen) || get_int(o, "top_k", 0, 64, &sh->top_k, path, i, err, errlen) ||
             (cJSON_GetObjectItemCaseSensitive(o, "shared_inter") &&
              get_int(o, "shared_inter", 0, 1 << 20, &sh->shared_inter, path, i, err, errlen))))
            goto fail;
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
