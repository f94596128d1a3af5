/* qcts case extract: one case of a golden file as a file of its own
 * (qcts/runner.h). */
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qcts/case_call.h"
#include "qcts/runner.h"

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t n, const char *fmt, ...)
{
    if (err && n) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int qcts_case_extract(const char *file, const char *id, const char *out, char *err, size_t errlen)
{
    qcts_st_file *st = NULL;
    char e[QCTS_ST_ERRLEN];
    if (qcts_st_read_file(file, &st, e, sizeof e) != QCTS_ST_OK)
        return fail(err, errlen, "%s", e);
    int rc = -1;
    cJSON *cases = NULL;
    char *one = NULL;
    uint8_t *bytes = NULL;
    qcts_st_writer *w = NULL;
    qcts_case_file *cf = NULL;
    const char *text = qcts_st_meta_get(st, "qcts.cases");
    cases = text ? cJSON_Parse(text) : NULL;
    if (!cJSON_IsArray(cases)) {
        fail(err, errlen, "%s: no qcts.cases array in the metadata: not a golden case file", file);
        goto done;
    }
    const cJSON *found = NULL, *c;
    cJSON_ArrayForEach(c, cases) {
        const cJSON *cid = cJSON_GetObjectItemCaseSensitive(c, "id");
        if (cJSON_IsString(cid) && strcmp(cid->valuestring, id) == 0)
            found = c;
    }
    if (!found) {
        int n = cJSON_GetArraySize(cases);
        const cJSON *first = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(cases, 0), "id");
        const cJSON *last = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(cases, n - 1), "id");
        fail(err, errlen, "%s: no case '%s' (the file has %d: %s .. %s)", file, id, n,
             cJSON_IsString(first) ? first->valuestring : "?", cJSON_IsString(last) ? last->valuestring : "?");
        goto done;
    }
    char *obj = cJSON_PrintUnformatted(found);
    if (obj) {
        size_t l = strlen(obj) + 3;
        one = malloc(l);
        if (one)
            snprintf(one, l, "[%s]", obj);
        free(obj);
    }
    w = qcts_st_writer_new();
    if (!one || !w) {
        fail(err, errlen, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < st->n_meta; i++)
        qcts_st_writer_set_meta(w, st->meta[i].key,
                                strcmp(st->meta[i].key, "qcts.cases") == 0 ? one : st->meta[i].value);
    size_t idl = strlen(id), copied = 0;
    for (size_t i = 0; i < st->n_tensors; i++) {
        const qcts_st_tensor *t = &st->tensors[i];
        if (strncmp(t->name, id, idl) != 0 || t->name[idl] != '/')
            continue;
        qcts_st_writer_add_tensor(w, t->name, t->dtype, t->shape, t->ndim, t->data, t->nbytes);
        copied++;
    }
    size_t len = 0;
    if (qcts_st_writer_serialize(w, &bytes, &len, e, sizeof e) != QCTS_ST_OK) {
        fail(err, errlen, "%s: %s", out, e[0] ? e : qcts_st_writer_error(w));
        goto done;
    }
    char ce[QCTS_CASE_ERRLEN];
    if (qcts_case_file_load_mem(bytes, len, out, 0, &cf, ce, sizeof ce) != QCTS_OK) {
        fail(err, errlen, "case %s of %s does not make a valid case file: %s", id, file, ce);
        goto done;
    }
    if (qcts_st_writer_write_file(w, out, e, sizeof e) != QCTS_ST_OK) {
        fail(err, errlen, "%s", e);
        goto done;
    }
    (void)copied;
    rc = 0;
done:
    qcts_case_file_free(cf);
    free(bytes);
    qcts_st_writer_free(w);
    free(one);
    cJSON_Delete(cases);
    qcts_st_free(st);
    return rc;
}
