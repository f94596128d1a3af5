/* Whole golden sets: generate every suite (in parallel; the bytes never
 * depend on it), write MANIFEST.json, and verify a folder against its
 * manifest and, on request, against a fresh regeneration. The manifest
 * format is described in vectors/README.md ("MANIFEST.json"). */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gen_impl.h"
#include "qcts/numparse.h"
#include "qcts/vecset.h"

/* ---- files ------------------------------------------------------------------------ */

/* Regular files only, opened without blocking and read with a bound
 * (qcts/vecset.h): a FIFO or device in the folder is refused, not read. */
static int read_all(const char *path, uint8_t **data, size_t *len)
{
    char why[QCTS_VEC_ERRLEN];
    errno = 0;
    if (qcts_vec_read_regular(path, QCTS_VEC_FILE_MAX, (size_t)-1, data, len, why, sizeof why) == 0)
        return 0;
    if (errno == 0)
        errno = EINVAL;
    return -1;
}

static int mkdir_p(const char *path)
{
    char tmp[1024];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(tmp, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

/* Temporary file next to path, fsync, rename: path is old or complete. */
static int write_atomic(const char *path, const void *data, size_t len)
{
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return -1;
    mode_t um = umask(0);
    umask(um);
    int ok = fchmod(fd, 0666 & ~um) == 0;
    const uint8_t *p = data;
    for (size_t done = 0; ok && done < len;) {
        ssize_t w = write(fd, p + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        ok = w > 0;
        if (ok)
            done += (size_t)w;
    }
    ok = ok && fsync(fd) == 0;
    int e = errno;
    ok = close(fd) == 0 && ok;
    if (ok && rename(tmp, path) == 0)
        return 0;
    e = errno ? errno : e;
    unlink(tmp);
    errno = e;
    return -1;
}

static void relpath(const qcts_suite_info *s, char *buf, size_t n)
{
    snprintf(buf, n, "%s.safetensors", s->name);   /* "<group>/<short>.safetensors" */
}

/* ---- generation ------------------------------------------------------------------- */

typedef struct job {
    const qcts_suite_set *set;
    const char *dir, *version;
    const size_t *todo;
    size_t n_todo;
    size_t next;
    pthread_mutex_t lock;
    /* per todo entry */
    qcts_vec_status *st;
    char (*msg)[QCTS_VEC_ERRLEN];
    size_t *bytes;
    uint8_t **keep;   /* not NULL: keep the buffers here instead of writing */
} job;

static void *worker(void *arg)
{
    job *j = arg;
    for (;;) {
        pthread_mutex_lock(&j->lock);
        size_t k = j->next++;
        pthread_mutex_unlock(&j->lock);
        if (k >= j->n_todo)
            return NULL;
        size_t i = j->todo[k];
        uint8_t *buf;
        size_t len;
        j->st[k] = qcts_suite_generate(j->set, i, j->version, &buf, &len, j->msg[k], sizeof j->msg[k]);
        j->bytes[k] = len;
        if (j->st[k] != QCTS_VEC_OK)
            continue;
        if (j->keep) {
            j->keep[k] = buf;
            continue;
        }
        char rel[512], path[1600];
        relpath(qcts_suites_at(j->set, i), rel, sizeof rel);
        snprintf(path, sizeof path, "%s/%s", j->dir, rel);
        char *slash = strrchr(path, '/');
        *slash = '\0';
        int rc = mkdir_p(path);
        *slash = '/';
        if (rc == 0)
            rc = write_atomic(path, buf, len);
        if (rc != 0) {
            j->st[k] = QCTS_VEC_ERR_IO;
            vmsg(j->msg[k], sizeof j->msg[k], "%s: %s", path, strerror(errno));
        }
        free(buf);
    }
}

/* Generates todo[] (suite indices) with o->jobs threads; writes to dir, or
 * into keep[] when keep is not NULL. Returns the first error in todo order. */
static qcts_vec_status run_jobs(const qcts_suite_set *set, const size_t *todo, size_t n, const char *dir,
                                const qcts_vec_opts *o, uint8_t **keep, size_t *sizes, char *err, size_t errlen)
{
    job j = { set, dir, o->version, todo, n, 0, PTHREAD_MUTEX_INITIALIZER, NULL, NULL, NULL, keep };
    j.st = calloc(n + 1, sizeof *j.st);
    j.msg = calloc(n + 1, sizeof *j.msg);
    j.bytes = sizes;
    if (!j.st || !j.msg) {
        free(j.st);
        free(j.msg);
        vmsg(err, errlen, "out of memory");
        return QCTS_VEC_ERR_NOMEM;
    }
    int nt = o->jobs > 0 ? o->jobs : 1;
    if ((size_t)nt > n)
        nt = n > 0 ? (int)n : 1;
    /* One job runs here, without a thread. */
    pthread_t *th = nt > 1 ? calloc((size_t)nt, sizeof *th) : NULL;
    int started = 0;
    for (int t = 0; th && t < nt; t++)
        if (pthread_create(&th[t], NULL, worker, &j) == 0)
            started++;
    if (started == 0)
        worker(&j);
    for (int t = 0; t < started; t++)
        pthread_join(th[t], NULL);
    free(th);
    qcts_vec_status st = QCTS_VEC_OK;
    for (size_t k = 0; k < n && st == QCTS_VEC_OK; k++)
        if (j.st[k] != QCTS_VEC_OK) {
            st = j.st[k];
            vmsg(err, errlen, "%s", j.msg[k]);
        }
    free(j.st);
    free(j.msg);
    return st;
}

/* ---- manifest --------------------------------------------------------------------- */

typedef struct entry {
    char rel[512];
    size_t suite;
} entry;

static int cmp_entry(const void *a, const void *b) { return strcmp(((const entry *)a)->rel, ((const entry *)b)->rel); }

/* The suites sorted by file path. */
static entry *sorted_entries(const qcts_suite_set *set)
{
    size_t n = qcts_suites_count(set);
    entry *e = calloc(n + 1, sizeof *e);
    for (size_t i = 0; e && i < n; i++) {
        relpath(qcts_suites_at(set, i), e[i].rel, sizeof e[i].rel);
        e[i].suite = i;
    }
    if (e)
        qsort(e, n, sizeof *e, cmp_entry);
    return e;
}

struct flag_count {
    const char *name;
    int count;
};

static int cmp_tensor_name(const void *a, const void *b)
{
    return strcmp((*(const qcts_st_tensor *const *)a)->name, (*(const qcts_st_tensor *const *)b)->name);
}

static int cmp_flag(const void *a, const void *b)
{
    return strcmp(((const struct flag_count *)a)->name, ((const struct flag_count *)b)->name);
}

/* The coverage table's row of one file: "flags": {flag: cases, ...}, sorted
 * by flag (`qcts vectors coverage` prints the table). */
static void manifest_flags(vbuf *b, const cJSON *cases)
{
    struct flag_count fc[128];
    size_t n = 0;
    for (const cJSON *c = cases->child; c; c = c->next) {
        const cJSON *fl = cJSON_GetObjectItemCaseSensitive(c, "flags");
        for (const cJSON *it = cJSON_IsArray(fl) ? fl->child : NULL; it; it = it->next) {
            if (!cJSON_IsString(it))
                continue;
            size_t k = 0;
            while (k < n && strcmp(fc[k].name, it->valuestring) != 0)
                k++;
            if (k == n && n < sizeof fc / sizeof *fc)
                fc[n++] = (struct flag_count){ it->valuestring, 0 };
            if (k < n)
                fc[k].count++;
        }
    }
    qsort(fc, n, sizeof *fc, cmp_flag);
    vb_puts(b, "      \"flags\": {");
    for (size_t k = 0; k < n; k++) {
        vb_puts(b, k ? ", " : "");
        vb_json_str(b, fc[k].name);
        vb_printf(b, ": %d", fc[k].count);
    }
    vb_puts(b, "},\n");
}

/* Appends the manifest block of one file (data, len) to b. */
static qcts_vec_status manifest_file(vbuf *b, const char *rel, const qcts_suite_info *si, const uint8_t *data,
                                     size_t len, char *err, size_t errlen)
{
    /* A generated suite lists the hash of EVERY expected output ("outputs"):
     * check regenerates it and must find these bytes before it uses them. */
    int all = si->generated;
    uint8_t dg[32];
    char hex[65];
    qcts_sha256(data, len, dg);
    qcts_sha256_hex(dg, hex);
    qcts_st_file *f = NULL;
    char sterr[QCTS_ST_ERRLEN];
    if (qcts_st_read_mem(data, len, rel, &f, sterr, sizeof sterr) != QCTS_ST_OK) {
        vmsg(err, errlen, "%s", sterr);
        return QCTS_VEC_ERR_MISMATCH;
    }
    const char *cases = qcts_st_meta_get(f, "qcts.cases");
    cJSON *cj = cases ? cJSON_Parse(cases) : NULL;
    if (!cJSON_IsArray(cj)) {
        cJSON_Delete(cj);
        qcts_st_free(f);
        vmsg(err, errlen, "%s: no qcts.cases array in the metadata", rel);
        return QCTS_VEC_ERR_MISMATCH;
    }
    vb_puts(b, "    ");
    vb_json_str(b, rel);
    vb_printf(b, ": {\n      \"suite\": ");
    vb_json_str(b, si->name);
    vb_printf(b, ",\n      \"size\": %zu,\n      \"sha256\": \"%s\",\n      \"cases\": %d,\n", len, hex,
              cJSON_GetArraySize(cj));
    manifest_flags(b, cj);
    vb_puts(b, all ? "      \"outputs\": {" : "      \"exact_outputs\": {");
    const qcts_st_tensor **ts = calloc(f->n_tensors + 1, sizeof *ts);
    size_t nt = 0;
    for (size_t i = 0; ts && i < f->n_tensors; i++) {
        const char *name = f->tensors[i].name, *slash = strchr(name, '/');
        if (!slash || strncmp(slash + 1, "out.", 4) != 0)
            continue;
        const char *check = NULL;
        for (const cJSON *c = cj->child; c && !check; c = c->next) {
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(c, "id");
            if (cJSON_IsString(id) && strlen(id->valuestring) == (size_t)(slash - name) &&
                strncmp(id->valuestring, name, (size_t)(slash - name)) == 0) {
                const cJSON *ch = cJSON_GetObjectItemCaseSensitive(c, "check");
                check = cJSON_IsString(ch) ? ch->valuestring : "";
            }
        }
        if (check && (all || strcmp(check, "exact") == 0))
            ts[nt++] = &f->tensors[i];
    }
    if (ts)
        qsort(ts, nt, sizeof *ts, cmp_tensor_name);
    for (size_t i = 0; ts && i < nt; i++) {
        qcts_sha256(ts[i]->data, ts[i]->nbytes, dg);
        qcts_sha256_hex(dg, hex);
        vb_puts(b, i ? ",\n        " : "\n        ");
        vb_json_str(b, ts[i]->name);
        vb_printf(b, ": \"%s\"", hex);
    }
    vb_puts(b, nt ? "\n      }\n    }" : "}\n    }");
    free(ts);
    cJSON_Delete(cj);
    qcts_st_free(f);
    return QCTS_VEC_OK;
}

/* The manifest of the files of set found under dir, or (mem != NULL) of the
 * buffers mem[i] (by suite index). */
static qcts_vec_status build(const qcts_suite_set *set, const char *dir, uint8_t *const *mem, const size_t *memlen,
                             const char *version, char **text, char *err, size_t errlen)
{
    *text = NULL;
    entry *e = sorted_entries(set);
    if (!e) {
        vmsg(err, errlen, "out of memory");
        return QCTS_VEC_ERR_NOMEM;
    }
    vbuf files = { 0 }, lines = { 0 }, gens = { 0 };
    qcts_vec_status st = QCTS_VEC_OK;
    size_t listed = 0, glisted = 0;
    for (size_t i = 0; i < qcts_suites_count(set) && st == QCTS_VEC_OK; i++) {
        uint8_t *data = NULL;
        size_t len = 0;
        const qcts_suite_info *si = qcts_suites_at(set, e[i].suite);
        if (si->generated) {
            /* never a file: generated here (or taken from mem) and hashed */
            if (mem && mem[e[i].suite]) {
                data = mem[e[i].suite];
                len = memlen[e[i].suite];
            } else if ((st = qcts_suite_generate(set, e[i].suite, version, &data, &len, err, errlen)) !=
                       QCTS_VEC_OK) {
                break;
            }
            if (glisted++)
                vb_puts(&gens, ",\n");
            st = manifest_file(&gens, e[i].rel, si, data, len, err, errlen);
            uint8_t gd[32];
            char ghex[65];
            qcts_sha256(data, len, gd);
            qcts_sha256_hex(gd, ghex);
            vb_printf(&lines, "%s  %s\n", ghex, e[i].rel);
            if (!(mem && mem[e[i].suite]))
                free(data);
            continue;
        }
        if (mem) {
            data = mem[e[i].suite];
            len = memlen[e[i].suite];
            if (!data)
                continue;
        } else {
            char path[1600];
            snprintf(path, sizeof path, "%s/%s", dir, e[i].rel);
            if (read_all(path, &data, &len) != 0)
                continue;   /* not generated: not listed */
        }
        if (listed++)
            vb_puts(&files, ",\n");
        st = manifest_file(&files, e[i].rel, qcts_suites_at(set, e[i].suite), data, len, err, errlen);
        uint8_t dg[32];
        char hex[65];
        qcts_sha256(data, len, dg);
        qcts_sha256_hex(dg, hex);
        vb_printf(&lines, "%s  %s\n", hex, e[i].rel);
        if (!mem)
            free(data);
    }
    free(e);
    if (st == QCTS_VEC_OK) {
        uint8_t dg[32];
        char hex[65];
        qcts_sha256(lines.p ? lines.p : "", lines.n, dg);
        qcts_sha256_hex(dg, hex);
        vbuf out = { 0 };
        vb_puts(&out, "{\n  \"comment\": \"generated by `qcts vectors gen --suite all`; do not edit\",\n");
        vb_printf(&out, "  \"format_version\": \"%d\",\n  \"generator\": ", QCTS_VECTORS_FORMAT_VERSION);
        char gen[128];
        snprintf(gen, sizeof gen, "qcts %s", version);
        vb_json_str(&out, gen);
        vb_puts(&out, ",\n  \"vector_set_rule\": \"SHA-256 of the lines '<file sha256>  <path>\\\\n', one per "
                      "file, sorted by path: the output of `sha256sum` run in this folder on the sorted paths\",\n");
        vb_printf(&out, "  \"vector_set_sha256\": \"%s\",\n  \"files\": {\n", hex);
        if (files.n)
            vb_add(&out, files.p, files.n);
        vb_puts(&out, listed ? "\n  }" : "  }");
        if (glisted) {
            vb_puts(&out, ",\n  \"generated\": {\n");
            vb_add(&out, gens.p, gens.n);
            vb_puts(&out, "\n  }");
        }
        vb_puts(&out, "\n}\n");
        if (out.oom || files.oom || lines.oom || gens.oom) {
            vb_free(&out);
            vmsg(err, errlen, "out of memory");
            st = QCTS_VEC_ERR_NOMEM;
        } else {
            *text = out.p;
        }
    }
    vb_free(&files);
    vb_free(&lines);
    vb_free(&gens);
    return st;
}

qcts_vec_status qcts_manifest_build(const qcts_suite_set *set, const char *dir, char **text, char *err,
                                    size_t errlen)
{
    if (!set || !dir || !text) {
        vmsg(err, errlen, "qcts_manifest_build: bad argument");
        return QCTS_VEC_ERR_ARG;
    }
    return build(set, dir, NULL, NULL, "?", text, err, errlen);
}

static qcts_vec_status write_manifest(const qcts_suite_set *set, const char *dir, const char *version, char *err,
                                      size_t errlen)
{
    char *text;
    qcts_vec_status st = build(set, dir, NULL, NULL, version, &text, err, errlen);
    if (st != QCTS_VEC_OK)
        return st;
    char path[1100];
    snprintf(path, sizeof path, "%s/%s", dir, QCTS_VEC_MANIFEST);
    if (write_atomic(path, text, strlen(text)) != 0) {
        vmsg(err, errlen, "%s: %s", path, strerror(errno));
        st = QCTS_VEC_ERR_IO;
    }
    free(text);
    return st;
}

qcts_vec_status qcts_vectors_gen(const qcts_suite_set *set, const char *only, const char *dir,
                                 const qcts_vec_opts *o, char *err, size_t errlen)
{
    if (!set || !dir || !o || !o->version) {
        vmsg(err, errlen, "qcts_vectors_gen: bad argument");
        return QCTS_VEC_ERR_ARG;
    }
    size_t n = qcts_suites_count(set), nt = 0;
    size_t *todo = calloc(n + 1, sizeof *todo), *sizes = calloc(n + 1, sizeof *sizes);
    if (!todo || !sizes) {
        free(todo);
        free(sizes);
        vmsg(err, errlen, "out of memory");
        return QCTS_VEC_ERR_NOMEM;
    }
    if (!only || strcmp(only, "all") == 0) {
        for (size_t i = 0; i < n; i++)
            if (!qcts_suites_at(set, i)->generated)   /* the manifest build hashes those */
                todo[nt++] = i;
    } else {
        long i = qcts_suites_find(set, only);
        if (i < 0) {
            free(todo);
            free(sizes);
            vmsg(err, errlen, "unknown suite '%s' (qcts list suites)", only);
            return QCTS_VEC_ERR_ARG;
        }
        if (!qcts_suites_at(set, (size_t)i)->generated)
            todo[nt++] = (size_t)i;
    }
    qcts_vec_status st = mkdir_p(dir) == 0 ? QCTS_VEC_OK : QCTS_VEC_ERR_IO;
    if (st != QCTS_VEC_OK)
        vmsg(err, errlen, "%s: %s", dir, strerror(errno));
    else
        st = run_jobs(set, todo, nt, dir, o, NULL, sizes, err, errlen);
    if (st == QCTS_VEC_OK && o->log) {
        size_t total = 0;
        for (size_t k = 0; k < nt; k++) {
            char rel[512];
            relpath(qcts_suites_at(set, todo[k]), rel, sizeof rel);
            fprintf(o->log, "wrote %s/%s (%zu bytes, %zu cases)\n", dir, rel, sizes[k],
                    qcts_suites_at(set, todo[k])->n_cases);
            total += sizes[k];
        }
        fprintf(o->log, "%zu files, %zu bytes\n", nt, total);
    }
    if (st == QCTS_VEC_OK)
        st = write_manifest(set, dir, o->version, err, errlen);
    if (st == QCTS_VEC_OK && o->log)
        fprintf(o->log, "wrote %s/%s\n", dir, QCTS_VEC_MANIFEST);
    free(todo);
    free(sizes);
    return st;
}

/* ---- verification --------------------------------------------------------------- */

typedef struct findings {
    FILE *log;
    size_t n;
} findings;

static void finding(findings *fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void finding(findings *fd, const char *fmt, ...)
{
    fd->n++;
    if (!fd->log)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("MISMATCH ", fd->log);
    vfprintf(fd->log, fmt, ap);
    fputc('\n', fd->log);
    va_end(ap);
}

/* Names the first difference between two versions of a file. */
static void describe_diff(findings *fd, const char *rel, const uint8_t *a, size_t alen, const uint8_t *b,
                          size_t blen)
{
    qcts_st_file *fa = NULL, *fb = NULL;
    char e1[QCTS_ST_ERRLEN], e2[QCTS_ST_ERRLEN];
    if (qcts_st_read_mem(a, alen, rel, &fa, e1, sizeof e1) != QCTS_ST_OK) {
        finding(fd, "%s: the file is not valid safetensors: %s", rel, e1);
        return;
    }
    if (qcts_st_read_mem(b, blen, rel, &fb, e2, sizeof e2) != QCTS_ST_OK) {
        finding(fd, "%s: the regenerated file is not valid safetensors: %s", rel, e2);
        qcts_st_free(fa);
        return;
    }
    int said = 0;
    for (size_t i = 0; i < fb->n_meta && !said; i++) {
        const char *va = qcts_st_meta_get(fa, fb->meta[i].key);
        if (!va || strcmp(va, fb->meta[i].value) != 0) {
            finding(fd, "%s: metadata '%s' differs from a regeneration", rel, fb->meta[i].key);
            said = 1;
        }
    }
    for (size_t i = 0; i < fb->n_tensors && !said; i++) {
        const qcts_st_tensor *tb = &fb->tensors[i], *ta = qcts_st_find(fa, tb->name);
        if (!ta) {
            finding(fd, "%s: tensor '%s' is missing (a regeneration has it)", rel, tb->name);
            said = 1;
        } else if (ta->dtype != tb->dtype || ta->nbytes != tb->nbytes || ta->ndim != tb->ndim ||
                   memcmp(ta->shape, tb->shape, sizeof ta->shape) != 0) {
            finding(fd, "%s: tensor '%s' has another dtype or shape than a regeneration", rel, tb->name);
            said = 1;
        } else if (memcmp(ta->data, tb->data, tb->nbytes) != 0) {
            size_t k = 0;
            while (((const uint8_t *)ta->data)[k] == ((const uint8_t *)tb->data)[k])
                k++;
            unsigned bits = qcts_st_dtype_bits(tb->dtype);
            finding(fd, "%s: tensor '%s' differs from a regeneration at byte %zu (element %zu)", rel, tb->name, k,
                    bits >= 8 ? k / (bits / 8) : k);
            said = 1;
        }
    }
    for (size_t i = 0; i < fa->n_tensors && !said; i++)
        if (!qcts_st_find(fb, fa->tensors[i].name)) {
            finding(fd, "%s: tensor '%s' is not in a regeneration", rel, fa->tensors[i].name);
            said = 1;
        }
    if (!said)
        finding(fd, "%s: header bytes differ from a regeneration (same tensors and metadata)", rel);
    qcts_st_free(fa);
    qcts_st_free(fb);
}

static int in_manifest(const cJSON *files, const char *rel)
{
    return cJSON_GetObjectItemCaseSensitive(files, rel) != NULL;
}

/* Every *.safetensors in the suite folders must be listed. */
static void stray_files(findings *fd, const qcts_suite_set *set, const char *dir, const cJSON *files)
{
    size_t n = qcts_suites_count(set);
    for (size_t i = 0; i < n; i++) {
        const char *g = qcts_suites_at(set, i)->group;
        int first = 1;
        for (size_t k = 0; k < i && first; k++)
            first = strcmp(qcts_suites_at(set, k)->group, g) != 0;
        if (!first)
            continue;
        char path[1100];
        snprintf(path, sizeof path, "%s/%s", dir, g);
        DIR *d = opendir(path);
        if (!d)
            continue;
        struct dirent *de;
        while ((de = readdir(d))) {
            size_t len = strlen(de->d_name);
            if (len < 12 || strcmp(de->d_name + len - 12, ".safetensors") != 0)
                continue;
            char rel[600];
            snprintf(rel, sizeof rel, "%s/%s", g, de->d_name);
            if (!in_manifest(files, rel))
                finding(fd, "%s: not listed in %s (a stale file? delete it or run make vectors)", rel,
                        QCTS_VEC_MANIFEST);
        }
        closedir(d);
    }
}

static void check_entry(findings *fd, const char *dir, const cJSON *ent, size_t *nfiles, size_t *ntensors)
{
    const char *rel = ent->string;
    const cJSON *size = cJSON_GetObjectItemCaseSensitive(ent, "size");
    const cJSON *sha = cJSON_GetObjectItemCaseSensitive(ent, "sha256");
    const cJSON *outs = cJSON_GetObjectItemCaseSensitive(ent, "exact_outputs");
    size_t want;
    if (!cJSON_IsNumber(size) || !cJSON_IsString(sha) || !cJSON_IsObject(outs)) {
        finding(fd, "%s: the manifest entry lacks size, sha256 or exact_outputs", rel);
        return;
    }
    if (qcts_num_to_size(size->valuedouble, QCTS_VEC_FILE_MAX, &want) != 0) {
        finding(fd, "%s: size must be an integer from 0 to %zu", rel, QCTS_VEC_FILE_MAX);
        return;
    }
    /* Confined to dir, a regular file, read with a bound: a manifest naming
     * ../../etc/passwd or /dev/zero is a finding, not a read. */
    uint8_t *data;
    size_t len;
    char why[QCTS_VEC_ERRLEN];
    if (qcts_vec_read_confined(dir, rel, QCTS_VEC_FILE_MAX, (size_t)-1, &data, &len, why, sizeof why) != 0) {
        finding(fd, "cannot read: %s", why);
        return;
    }
    (*nfiles)++;
    uint8_t dg[32];
    char hex[65];
    qcts_sha256(data, len, dg);
    qcts_sha256_hex(dg, hex);
    if (len != want)
        finding(fd, "%s: %zu bytes, the manifest says %zu", rel, len, want);
    else if (strcmp(hex, sha->valuestring) != 0)
        finding(fd, "%s: sha256 %s, the manifest says %s", rel, hex, sha->valuestring);
    qcts_st_file *f = NULL;
    char sterr[QCTS_ST_ERRLEN];
    if (qcts_st_read_mem(data, len, rel, &f, sterr, sizeof sterr) != QCTS_ST_OK) {
        finding(fd, "%s", sterr);
    } else {
        for (const cJSON *o = outs->child; o; o = o->next) {
            const qcts_st_tensor *t = qcts_st_find(f, o->string);
            (*ntensors)++;
            if (!t) {
                finding(fd, "%s: tensor '%s' is missing", rel, o->string);
                continue;
            }
            qcts_sha256(t->data, t->nbytes, dg);
            qcts_sha256_hex(dg, hex);
            if (!cJSON_IsString(o) || strcmp(hex, o->valuestring) != 0)
                finding(fd, "%s: tensor '%s': sha256 %s, the manifest says %s", rel, o->string, hex,
                        cJSON_IsString(o) ? o->valuestring : "?");
        }
    }
    qcts_st_free(f);
    free(data);
}

qcts_vec_status qcts_vectors_verify(const qcts_suite_set *set, const char *dir, int regenerate,
                                    const qcts_vec_opts *o, char *err, size_t errlen)
{
    if (!set || !dir || !o || !o->version) {
        vmsg(err, errlen, "qcts_vectors_verify: bad argument");
        return QCTS_VEC_ERR_ARG;
    }
    findings fd = { o->log, 0 };
    char mpath[1100];
    snprintf(mpath, sizeof mpath, "%s/%s", dir, QCTS_VEC_MANIFEST);
    uint8_t *mtext;
    size_t mlen;
    if (read_all(mpath, &mtext, &mlen) != 0) {
        vmsg(err, errlen, "%s: %s", mpath, strerror(errno));
        return QCTS_VEC_ERR_IO;
    }
    char *mstr = malloc(mlen + 1);
    if (!mstr) {
        free(mtext);
        vmsg(err, errlen, "out of memory");
        return QCTS_VEC_ERR_NOMEM;
    }
    memcpy(mstr, mtext, mlen);
    mstr[mlen] = '\0';
    free(mtext);
    cJSON *man = cJSON_Parse(mstr);
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(man, "files");
    if (!cJSON_IsObject(files)) {
        cJSON_Delete(man);
        free(mstr);
        vmsg(err, errlen, "%s: not a qcts manifest (no \"files\" object)", mpath);
        return QCTS_VEC_ERR_MISMATCH;
    }
    size_t nfiles = 0, ntensors = 0;
    for (const cJSON *ent = files->child; ent; ent = ent->next)
        check_entry(&fd, dir, ent, &nfiles, &ntensors);
    for (size_t i = 0; i < qcts_suites_count(set); i++) {
        char rel[512];
        relpath(qcts_suites_at(set, i), rel, sizeof rel);
        const cJSON *gen = cJSON_GetObjectItemCaseSensitive(man, "generated");
        if (qcts_suites_at(set, i)->generated ? !in_manifest(gen, rel) : !in_manifest(files, rel))
            finding(&fd, "%s: suite %s is defined but its %s is not in %s (run make vectors)", rel,
                    qcts_suites_at(set, i)->name, qcts_suites_at(set, i)->generated ? "entry" : "file",
                    QCTS_VEC_MANIFEST);
    }
    for (const cJSON *ent = files->child; ent; ent = ent->next) {
        const cJSON *sn = cJSON_GetObjectItemCaseSensitive(ent, "suite");
        if (!cJSON_IsString(sn) || qcts_suites_find(set, sn->valuestring) < 0)
            finding(&fd, "%s: listed in %s but no suite definition makes it", ent->string, QCTS_VEC_MANIFEST);
    }
    stray_files(&fd, set, dir, files);
    /* The manifest must be exactly what `gen` would write for these files. */
    char *rebuilt = NULL;
    qcts_vec_status st = build(set, dir, NULL, NULL, o->version, &rebuilt, err, errlen);
    if (st == QCTS_VEC_OK && strcmp(rebuilt, mstr) != 0)
        finding(&fd, "%s: differs from the manifest of these files that 'qcts vectors gen' writes (stale or "
                     "edited by hand, or another qcts version: run make vectors)",
                mpath);
    free(rebuilt);
    if (st == QCTS_VEC_OK && o->log)
        fprintf(o->log, "checked %zu files and %zu exact-output hashes against %s\n", nfiles, ntensors, mpath);

    if (st == QCTS_VEC_OK && regenerate) {
        size_t n = qcts_suites_count(set);
        size_t *todo = calloc(n + 1, sizeof *todo), *sizes = calloc(n + 1, sizeof *sizes);
        uint8_t **mem = calloc(n + 1, sizeof *mem);
        if (!todo || !sizes || !mem) {
            vmsg(err, errlen, "out of memory");
            st = QCTS_VEC_ERR_NOMEM;
        } else {
            for (size_t i = 0; i < n; i++)
                todo[i] = i;
            st = run_jobs(set, todo, n, NULL, o, mem, sizes, err, errlen);
        }
        for (size_t i = 0; st == QCTS_VEC_OK && i < n; i++) {
            char rel[512], path[1600];
            if (qcts_suites_at(set, i)->generated)
                continue;   /* no file: the manifest comparison below covers it */
            relpath(qcts_suites_at(set, i), rel, sizeof rel);
            snprintf(path, sizeof path, "%s/%s", dir, rel);
            uint8_t *data;
            size_t len;
            if (read_all(path, &data, &len) != 0) {
                finding(&fd, "%s: cannot read: %s", path, strerror(errno));
                continue;
            }
            if (len != sizes[i] || memcmp(data, mem[i], len) != 0)
                describe_diff(&fd, rel, data, len, mem[i], sizes[i]);
            free(data);
        }
        if (st == QCTS_VEC_OK) {
            char *fresh = NULL;
            st = build(set, dir, mem, sizes, o->version, &fresh, err, errlen);
            if (st == QCTS_VEC_OK && strcmp(fresh, mstr) != 0)
                finding(&fd, "%s: differs from the manifest of a regeneration", mpath);
            free(fresh);
            if (st == QCTS_VEC_OK && o->log)
                fprintf(o->log, "regenerated %zu files in memory and compared them byte for byte\n", n);
        }
        for (size_t i = 0; mem && i < n; i++)
            free(mem[i]);
        free(mem);
        free(todo);
        free(sizes);
    }
    cJSON_Delete(man);
    free(mstr);
    if (st != QCTS_VEC_OK)
        return st;
    if (fd.n) {
        vmsg(err, errlen, "%zu mismatch%s in %s", fd.n, fd.n == 1 ? "" : "es", dir);
        return QCTS_VEC_ERR_MISMATCH;
    }
    return QCTS_VEC_OK;
}
