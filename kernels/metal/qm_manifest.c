/* Manifest loading (qm_manifest.h, kernels/metal/MANIFEST.md). */
#include "kernels/metal/qm_manifest.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qref/scheme.h"

#define MAX_FILE (4u << 20)   /* a manifest or a kernel source: 4 MiB at most */

static const char *const role_names[] = { "a", "weights", "weight_codes", "scales", "zeros",
                                          "tensor_scale", "bias", "output", "param" };
static const char *const dtype_names[] = { "f32", "f16", "bf16", "u8", "u32", "i32", "e8m0", "e4m3" };
static const char *const packing_names[] = { "qcts", "k_packed", "n_packed", "group_major" };

const char *qm_mf_role_name(qm_mf_role r) { return (unsigned)r < 9 ? role_names[r] : "?"; }
const char *qm_mf_dtype_name(qm_mf_dtype d) { return (unsigned)d < 8 ? dtype_names[d] : "?"; }

static int pick(const char *s, const char *const *names, int count)
{
    for (int i = 0; i < count; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

static char *read_file(const char *path, size_t *len, char *msg, size_t n)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(msg, n, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(MAX_FILE + 1);
    size_t got = buf ? fread(buf, 1, MAX_FILE + 1, f) : 0;
    int bad = ferror(f);
    fclose(f);
    if (!buf || bad || got > MAX_FILE) {
        snprintf(msg, n, "%s: %s", path, !buf ? "out of memory" : bad ? "read error" : "larger than 4 MiB");
        free(buf);
        return NULL;
    }
    buf[got] = '\0';
    if (len)
        *len = got;
    return buf;
}

/* Copies a string field; -1 (msg) if absent when required, not a string, too long. */
static int get_str(const cJSON *o, const char *key, int required, char *dst, size_t cap, const char *file,
                   const char *where, char *msg, size_t n)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) {
        if (required)
            snprintf(msg, n, "%s: %s: field \"%s\" is missing (a string)", file, where, key);
        return required ? -1 : 0;
    }
    if (!cJSON_IsString(v) || strlen(v->valuestring) >= cap) {
        snprintf(msg, n, "%s: %s: field \"%s\" must be a string of at most %zu bytes", file, where, key, cap - 1);
        return -1;
    }
    strcpy(dst, v->valuestring);
    return 0;
}

static int only_keys(const cJSON *o, const char *const *keys, const char *file, const char *where, char *msg,
                     size_t n)
{
    for (const cJSON *c = o->child; c; c = c->next) {
        int ok = 0;
        for (int i = 0; keys[i]; i++)
            ok |= strcmp(c->string, keys[i]) == 0;
        if (!ok) {
            snprintf(msg, n, "%s: %s: unknown field \"%s\"", file, where, c->string);
            return -1;
        }
    }
    return 0;
}

/* "x" -> dir-of-manifest/x unless absolute */
static int resolve(const char *manifest, const char *rel, char *out, size_t cap)
{
    if (rel[0] == '/')
        return snprintf(out, cap, "%s", rel) < (int)cap ? 0 : -1;
    const char *slash = strrchr(manifest, '/');
    int dl = slash ? (int)(slash - manifest) : 1;
    return snprintf(out, cap, "%.*s/%s", dl, slash ? manifest : ".", rel) < (int)cap ? 0 : -1;
}

static int formula3(const cJSON *root, const char *key, char dst[3][QM_MF_STR], const char *file, char *msg,
                    size_t n)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != 3) {
        snprintf(msg, n, "%s: field \"%s\" must be an array of 3 formulas (strings of M, N, K, G, B)", file, key);
        return -1;
    }
    for (int i = 0; i < 3; i++) {
        const cJSON *v = cJSON_GetArrayItem(a, i);
        if (!cJSON_IsString(v) || strlen(v->valuestring) >= QM_MF_STR) {
            snprintf(msg, n, "%s: \"%s\"[%d] must be a formula string", file, key, i);
            return -1;
        }
        strcpy(dst[i], v->valuestring);
    }
    return 0;
}

static int parse(const char *path, const cJSON *root, qm_manifest *m, char *msg, size_t n)
{
    static const char *const top[] = { "qcts_metal_manifest", "description", "source", "metallib", "function",
                                       "compile_options", "op", "schemes", "buffers", "threadgroup", "grid",
                                       "threadgroup_memory", NULL };
    if (!cJSON_IsObject(root)) {
        snprintf(msg, n, "%s: not a JSON object", path);
        return -1;
    }
    if (only_keys(root, top, path, "manifest", msg, n))
        return -1;
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "qcts_metal_manifest");
    if (!cJSON_IsNumber(ver) || ver->valuedouble != 1.0) {
        snprintf(msg, n, "%s: field \"qcts_metal_manifest\" must be 1 (the manifest format version)", path);
        return -1;
    }
    char src[1024] = "", lib[1024] = "", op[32];
    if (get_str(root, "description", 0, m->description, sizeof m->description, path, "manifest", msg, n) ||
        get_str(root, "source", 0, src, sizeof src, path, "manifest", msg, n) ||
        get_str(root, "metallib", 0, lib, sizeof lib, path, "manifest", msg, n) ||
        get_str(root, "function", 1, m->function, sizeof m->function, path, "manifest", msg, n) ||
        get_str(root, "op", 1, op, sizeof op, path, "manifest", msg, n))
        return -1;
    if (!!src[0] == !!lib[0]) {
        snprintf(msg, n, "%s: give exactly one of \"source\" (a .metal file) and \"metallib\"", path);
        return -1;
    }
    if ((src[0] && resolve(path, src, m->source, sizeof m->source)) ||
        (lib[0] && resolve(path, lib, m->metallib, sizeof m->metallib))) {
        snprintf(msg, n, "%s: source/metallib path too long", path);
        return -1;
    }
    if (m->source[0] && !(m->source_text = read_file(m->source, NULL, msg, n))) {
        char e[1200];
        snprintf(e, sizeof e, "%s", msg);
        snprintf(msg, n, "%s: \"source\": %s", path, e);
        return -1;
    }
    if (strcmp(op, "gemm") == 0)
        m->op = QCTS_OP_GEMM;
    else if (strcmp(op, "dequant") == 0)
        m->op = QCTS_OP_DEQUANT;
    else {
        snprintf(msg, n, "%s: field \"op\" is \"%s\"; expected \"gemm\" or \"dequant\"", path, op);
        return -1;
    }
    const cJSON *co = cJSON_GetObjectItemCaseSensitive(root, "compile_options");
    if (co) {
        static const char *const ck[] = { "fast_math", "language_version", "preprocessor_macros", NULL };
        if (!cJSON_IsObject(co) || only_keys(co, ck, path, "compile_options", msg, n)) {
            if (!cJSON_IsObject(co))
                snprintf(msg, n, "%s: field \"compile_options\" must be an object", path);
            return -1;
        }
        const cJSON *fm = cJSON_GetObjectItemCaseSensitive(co, "fast_math");
        if (fm && !cJSON_IsBool(fm)) {
            snprintf(msg, n, "%s: compile_options: \"fast_math\" must be true or false", path);
            return -1;
        }
        m->fast_math = fm && cJSON_IsTrue(fm);
        if (get_str(co, "language_version", 0, m->language_version, sizeof m->language_version, path,
                    "compile_options", msg, n))
            return -1;
        const cJSON *pm = cJSON_GetObjectItemCaseSensitive(co, "preprocessor_macros");
        if (pm) {
            if (!cJSON_IsObject(pm)) {
                snprintf(msg, n, "%s: compile_options: \"preprocessor_macros\" must be an object of strings", path);
                return -1;
            }
            for (const cJSON *c = pm->child; c; c = c->next) {
                if (m->nmacros == QM_MF_MAX_MACROS || !cJSON_IsString(c) || strlen(c->string) >= 64 ||
                    strlen(c->valuestring) >= 128) {
                    snprintf(msg, n, "%s: compile_options.preprocessor_macros: at most %d, each NAME (< 64 bytes) "
                             "to a string (< 128 bytes)", path, QM_MF_MAX_MACROS);
                    return -1;
                }
                strcpy(m->macro_name[m->nmacros], c->string);
                strcpy(m->macro_value[m->nmacros++], c->valuestring);
            }
        }
    }
    const cJSON *sch = cJSON_GetObjectItemCaseSensitive(root, "schemes");
    if (!cJSON_IsArray(sch) || cJSON_GetArraySize(sch) < 1 || cJSON_GetArraySize(sch) > QM_MF_MAX_SCHEMES) {
        snprintf(msg, n, "%s: field \"schemes\" must be an array of 1 to %d scheme presets", path, QM_MF_MAX_SCHEMES);
        return -1;
    }
    for (const cJSON *c = sch->child; c; c = c->next) {
        if (!cJSON_IsString(c) || !qref_scheme_find(c->valuestring)) {
            snprintf(msg, n, "%s: \"schemes\": %s%s%s is not a scheme preset (qcts list schemes)", path,
                     cJSON_IsString(c) ? "\"" : "", cJSON_IsString(c) ? c->valuestring : "an entry",
                     cJSON_IsString(c) ? "\"" : "");
            return -1;
        }
        strcpy(m->schemes[m->nschemes++], c->valuestring);
    }
    const cJSON *bufs = cJSON_GetObjectItemCaseSensitive(root, "buffers");
    if (!cJSON_IsArray(bufs) || cJSON_GetArraySize(bufs) < 1 || cJSON_GetArraySize(bufs) > QM_MF_MAX_BUFS) {
        snprintf(msg, n, "%s: field \"buffers\" must be an array of 1 to %d buffers", path, QM_MF_MAX_BUFS);
        return -1;
    }
    int seen_out = 0;
    for (const cJSON *c = bufs->child; c; c = c->next) {
        static const char *const bk[] = { "index", "role", "dtype", "packing", "layout", "value", "comment", NULL };
        char where[48], role[32], dt[16] = "", pk[32] = "";
        qm_mf_buf *b = &m->bufs[m->nbufs];
        snprintf(where, sizeof where, "buffers[%d]", m->nbufs);
        if (!cJSON_IsObject(c)) {
            snprintf(msg, n, "%s: %s must be an object", path, where);
            return -1;
        }
        if (only_keys(c, bk, path, where, msg, n))
            return -1;
        const cJSON *ix = cJSON_GetObjectItemCaseSensitive(c, "index");
        if (!cJSON_IsNumber(ix) || ix->valuedouble < 0 || ix->valuedouble > 30 ||
            ix->valuedouble != (double)(int)ix->valuedouble) {
            snprintf(msg, n, "%s: %s: \"index\" must be an integer 0 to 30 (Metal's buffer table)", path, where);
            return -1;
        }
        b->index = (uint32_t)ix->valueint;
        for (int j = 0; j < m->nbufs; j++)
            if (m->bufs[j].index == b->index) {
                snprintf(msg, n, "%s: %s: index %u is used twice", path, where, b->index);
                return -1;
            }
        if (get_str(c, "role", 1, role, sizeof role, path, where, msg, n) ||
            get_str(c, "dtype", 0, dt, sizeof dt, path, where, msg, n) ||
            get_str(c, "packing", 0, pk, sizeof pk, path, where, msg, n) ||
            (!pk[0] && get_str(c, "layout", 0, pk, sizeof pk, path, where, msg, n)) ||
            get_str(c, "value", 0, b->value, sizeof b->value, path, where, msg, n))
            return -1;
        int r = pick(role, role_names, 9);
        if (r < 0) {
            snprintf(msg, n, "%s: %s: role \"%s\" unknown; expected a, weights, weight_codes, scales, zeros, "
                     "tensor_scale, bias, output or param", path, where, role);
            return -1;
        }
        b->role = (qm_mf_role)r;
        int d = dt[0] ? pick(dt, dtype_names, 8) : -1;
        if (dt[0] && d < 0) {
            snprintf(msg, n, "%s: %s: dtype \"%s\" unknown; expected f32, f16, bf16, u8, u32, i32, e8m0 or e4m3", path,
                     where, dt);
            return -1;
        }
        static const int default_dtype[] = { QM_MDT_F32, QM_MDT_U8, QM_MDT_U8, QM_MDT_F32, QM_MDT_U8,
                                             QM_MDT_F32, QM_MDT_F32, QM_MDT_F32, QM_MDT_U32 };
        b->dtype = (qm_mf_dtype)(d >= 0 ? d : default_dtype[r]);
        int p = pk[0] ? pick(pk, packing_names, 4) : QM_PACK_QCTS;
        if (pk[0] && strcmp(pk, "row_major") == 0)
            p = QM_PACK_QCTS;
        if (p < 0) {
            snprintf(msg, n, "%s: %s: packing/layout \"%s\" unknown; expected qcts (or row_major), k_packed, "
                     "n_packed or group_major", path, where, pk);
            return -1;
        }
        b->packing = (qm_mf_packing)p;
        if (b->role == QM_ROLE_PARAM && !b->value[0]) {
            snprintf(msg, n, "%s: %s: a param needs \"value\", a formula of M, N, K, G, B", path, where);
            return -1;
        }
        if (b->role == QM_ROLE_PARAM && b->dtype != QM_MDT_U32 && b->dtype != QM_MDT_I32) {
            snprintf(msg, n, "%s: %s: a param's dtype is u32 or i32", path, where);
            return -1;
        }
        if ((b->packing == QM_PACK_K_PACKED || b->packing == QM_PACK_N_PACKED) && b->role != QM_ROLE_CODES) {
            snprintf(msg, n, "%s: %s: packing \"%s\" is for weight_codes only", path, where, pk);
            return -1;
        }
        if (b->packing == QM_PACK_GROUP_MAJOR && b->role != QM_ROLE_SCALES && b->role != QM_ROLE_ZEROS) {
            snprintf(msg, n, "%s: %s: layout group_major is for scales and zeros only", path, where);
            return -1;
        }
        seen_out += b->role == QM_ROLE_OUTPUT;
        m->nbufs++;
    }
    if (seen_out != 1) {
        snprintf(msg, n, "%s: \"buffers\" must have exactly one buffer with role \"output\" (%d given)", path, seen_out);
        return -1;
    }
    if (formula3(root, "threadgroup", m->tg, path, msg, n) || formula3(root, "grid", m->grid, path, msg, n))
        return -1;
    const cJSON *tm = cJSON_GetObjectItemCaseSensitive(root, "threadgroup_memory");
    if (tm) {
        if (!cJSON_IsArray(tm) || cJSON_GetArraySize(tm) > QM_MF_MAX_TG_MEM) {
            snprintf(msg, n, "%s: \"threadgroup_memory\" must be an array of at most %d byte-count formulas", path,
                     QM_MF_MAX_TG_MEM);
            return -1;
        }
        for (const cJSON *c = tm->child; c; c = c->next) {
            if (!cJSON_IsString(c) || strlen(c->valuestring) >= QM_MF_STR) {
                snprintf(msg, n, "%s: \"threadgroup_memory\" entries are formula strings", path);
                return -1;
            }
            strcpy(m->tg_mem[m->ntg_mem++], c->valuestring);
        }
    }
    return 0;
}

int qm_manifest_load(const char *path, qm_manifest **out, char *msg, size_t n)
{
    *out = NULL;
    qm_manifest *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(msg, n, "out of memory");
        return -1;
    }
    if (strlen(path) >= sizeof m->path) {
        snprintf(msg, n, "manifest path too long");
        free(m);
        return -1;
    }
    strcpy(m->path, path);
    char *text = read_file(path, NULL, msg, n);
    if (!text) {
        free(m);
        return -1;
    }
    cJSON *root = cJSON_Parse(text);
    free(text);
    if (!root) {
        snprintf(msg, n, "%s: not valid JSON", path);
        free(m);
        return -1;
    }
    int rc = parse(path, root, m, msg, n);
    cJSON_Delete(root);
    if (rc) {
        qm_manifest_free(m);
        return -1;
    }
    *out = m;
    return 0;
}

void qm_manifest_free(qm_manifest *m)
{
    if (!m)
        return;
    free(m->source_text);
    free(m);
}
