/* Reading a vector set for `qcts check`, verified against its manifest
 * (qcts/vecset.h). */
#include "qcts/vecset.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gen_impl.h"
#include "qcts/numparse.h"

#define MANIFEST_MAX ((size_t)64 << 20)
#define SCAN_MAX_DEPTH 16

static const char *kind_of(mode_t m)
{
    return S_ISDIR(m) ? "a directory" : S_ISFIFO(m) ? "a FIFO" : S_ISCHR(m) ? "a character device"
         : S_ISBLK(m) ? "a block device" : S_ISSOCK(m) ? "a socket" : "not a regular file";
}

/* Reads the whole regular file behind fd (see qcts_vec_read_confined). */
static int read_fd(int fd, const char *name, size_t max, size_t want, uint8_t **data, size_t *len, char *err,
                   size_t errlen)
{
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        vmsg(err, errlen, "%s: %s", name, strerror(errno));
        return -1;
    }
    if (!S_ISREG(sb.st_mode)) {
        vmsg(err, errlen, "%s: %s, not a regular file (refused without reading)", name, kind_of(sb.st_mode));
        return -1;
    }
    size_t size = (size_t)sb.st_size;
    if (sb.st_size < 0 || (uint64_t)sb.st_size > (uint64_t)max) {
        vmsg(err, errlen, "%s: %lld bytes, above the limit of %zu", name, (long long)sb.st_size, max);
        return -1;
    }
    if (want != (size_t)-1 && size != want) {
        vmsg(err, errlen, "%s: %zu bytes, %s says %zu", name, size, QCTS_VEC_MANIFEST, want);
        return -1;
    }
    uint8_t *p = malloc(size ? size : 1);
    if (!p) {
        vmsg(err, errlen, "%s: out of memory (%zu bytes)", name, size);
        return -1;
    }
    size_t got = 0;
    for (;;) {
        /* One byte more than expected tells a file that grew meanwhile. */
        uint8_t extra;
        uint8_t *dst = got < size ? p + got : &extra;
        size_t want_now = got < size ? size - got : 1;
        ssize_t r = read(fd, dst, want_now);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            vmsg(err, errlen, "%s: %s", name, strerror(errno));
            free(p);
            return -1;
        }
        if (r == 0)
            break;
        if (got >= size) {
            vmsg(err, errlen, "%s: grew while it was read", name);
            free(p);
            return -1;
        }
        got += (size_t)r;
    }
    if (got != size) {
        vmsg(err, errlen, "%s: shrank while it was read (%zu of %zu bytes)", name, got, size);
        free(p);
        return -1;
    }
    *data = p;
    *len = size;
    return 0;
}

static int open_read(const char *open_path, const char *name, int flags, size_t max, size_t want, uint8_t **data,
                     size_t *len, char *err, size_t errlen)
{
    /* O_NONBLOCK: opening a FIFO must not wait for a writer. */
    int fd = open(open_path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | flags);
    if (fd < 0) {
        vmsg(err, errlen, "%s: %s", name, strerror(errno));
        return -1;
    }
    int rc = read_fd(fd, name, max, want, data, len, err, errlen);
    close(fd);
    return rc;
}

int qcts_vec_read_regular(const char *path, size_t max, size_t want_size, uint8_t **data, size_t *len, char *err,
                          size_t errlen)
{
    *data = NULL;
    *len = 0;
    return open_read(path, path, 0, max, want_size, data, len, err, errlen);
}

int qcts_vec_rel_ok(const char *rel, char *err, size_t errlen)
{
    if (!rel || !rel[0]) {
        vmsg(err, errlen, "an empty path");
        return -1;
    }
    if (rel[0] == '/') {
        vmsg(err, errlen, "'%s' is an absolute path (paths are relative to the folder)", rel);
        return -1;
    }
    for (const char *c = rel; *c;) {
        size_t n = strcspn(c, "/");
        if (n == 0) {
            vmsg(err, errlen, "'%s' has an empty path component", rel);
            return -1;
        }
        if (c[0] == '.') {
            vmsg(err, errlen, "'%s' has a component starting with '.' ('..', '.' and hidden names are refused)",
                 rel);
            return -1;
        }
        c += n;
        if (*c == '/')
            c++;
        else
            break;
    }
    if (rel[strlen(rel) - 1] == '/') {
        vmsg(err, errlen, "'%s' ends with '/'", rel);
        return -1;
    }
    return 0;
}

int qcts_vec_read_confined(const char *dir, const char *rel, size_t max, size_t want_size, uint8_t **data,
                           size_t *len, char *err, size_t errlen)
{
    *data = NULL;
    *len = 0;
    char why[600];
    if (qcts_vec_rel_ok(rel, why, sizeof why) != 0) {
        vmsg(err, errlen, "%s: %s", dir, why);
        return -1;
    }
    size_t pl = strlen(dir) + strlen(rel) + 2;
    char *path = malloc(pl);
    char *rdir = realpath(dir, NULL), *rfile = NULL;
    int rc = -1;
    if (!path) {
        vmsg(err, errlen, "out of memory");
        goto out;
    }
    snprintf(path, pl, "%s/%s", dir, rel);
    if (!rdir) {
        vmsg(err, errlen, "%s: %s", dir, strerror(errno));
        goto out;
    }
    if (!(rfile = realpath(path, NULL))) {
        vmsg(err, errlen, "%s: %s", path, strerror(errno));
        goto out;
    }
    size_t dl = strlen(rdir);
    int inside = strcmp(rdir, "/") == 0 ? rfile[0] == '/' && rfile[1] != '\0'
                                        : strncmp(rfile, rdir, dl) == 0 && rfile[dl] == '/';
    if (!inside) {
        vmsg(err, errlen, "%s: resolves to %s, outside %s (a symlink leaving the folder)", path, rfile, dir);
        goto out;
    }
    /* The resolved path has no symlink left; O_NOFOLLOW refuses one that
     * was put there since. */
    rc = open_read(rfile, path, O_NOFOLLOW, max, want_size, data, len, err, errlen);
out:
    free(path);
    free(rdir);
    free(rfile);
    return rc;
}

/* ---- scanning --------------------------------------------------------------------- */

typedef struct rels {
    char **v;
    size_t n, cap;
} rels;

static int rels_add(rels *r, const char *s)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 64;
        char **v = realloc(r->v, cap * sizeof *v);
        if (!v)
            return -1;
        r->v = v;
        r->cap = cap;
    }
    if (!(r->v[r->n] = strdup(s)))
        return -1;
    r->n++;
    return 0;
}

static void rels_free(rels *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->v[i]);
    free(r->v);
    memset(r, 0, sizeof *r);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Every *.safetensors below top/sub (sub "" at the top), as paths relative
 * to top. Hidden entries are skipped; a symlink is never followed into a
 * folder (lstat), so links to '.' cannot make the walk grow. */
static qcts_vec_status scan(const char *top, const char *sub, int depth, rels *out, char *err, size_t errlen)
{
    char dpath[PATH_MAX];
    if ((size_t)snprintf(dpath, sizeof dpath, "%s%s%s", top, sub[0] ? "/" : "", sub) >= sizeof dpath) {
        vmsg(err, errlen, "%s/%s: path too long", top, sub);
        return QCTS_VEC_ERR_IO;
    }
    DIR *d = opendir(dpath);
    if (!d) {
        vmsg(err, errlen, "%s: %s", dpath, strerror(errno));
        return QCTS_VEC_ERR_IO;
    }
    qcts_vec_status st = QCTS_VEC_OK;
    struct dirent *e;
    while (st == QCTS_VEC_OK && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char rel[PATH_MAX], path[PATH_MAX];
        if ((size_t)snprintf(rel, sizeof rel, "%s%s%s", sub, sub[0] ? "/" : "", e->d_name) >= sizeof rel
            || (size_t)snprintf(path, sizeof path, "%s/%s", top, rel) >= sizeof path) {
            vmsg(err, errlen, "%s/%s: path too long", dpath, e->d_name);
            st = QCTS_VEC_ERR_IO;
            break;
        }
        struct stat sb;
        if (lstat(path, &sb) != 0) {
            vmsg(err, errlen, "%s: %s", path, strerror(errno));
            st = QCTS_VEC_ERR_IO;
            break;
        }
        if (S_ISDIR(sb.st_mode)) {
            if (depth + 1 >= SCAN_MAX_DEPTH) {
                vmsg(err, errlen, "%s: folders nested deeper than %d levels", path, SCAN_MAX_DEPTH);
                st = QCTS_VEC_ERR_IO;
            } else {
                st = scan(top, rel, depth + 1, out, err, errlen);
            }
        } else if (ends_with(e->d_name, ".safetensors")) {
            /* Anything else with the name (a FIFO, a symlink) is listed and
             * then refused with a reason when it is read. */
            if (out->n >= QCTS_VEC_SET_MAX_FILES) {
                vmsg(err, errlen, "%s: more than %d .safetensors files", top, QCTS_VEC_SET_MAX_FILES);
                st = QCTS_VEC_ERR_IO;
            } else if (rels_add(out, rel) != 0) {
                vmsg(err, errlen, "out of memory");
                st = QCTS_VEC_ERR_NOMEM;
            }
        }
    }
    closedir(d);
    return st;
}

/* ---- the set ---------------------------------------------------------------------- */

static int cmp_file(const void *a, const void *b)
{
    return strcmp(((const qcts_vec_file *)a)->rel, ((const qcts_vec_file *)b)->rel);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

void qcts_vec_set_free(qcts_vec_set *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        free(s->files[i].path);
        free(s->files[i].rel);
        free(s->files[i].data);
    }
    free(s->files);
    memset(s, 0, sizeof *s);
}

static qcts_vec_status add_file(qcts_vec_set *s, const char *path, const char *rel, uint8_t *data, size_t len,
                                char *err, size_t errlen)
{
    qcts_vec_file *f = &s->files[s->n];
    memset(f, 0, sizeof *f);
    f->path = strdup(path);
    f->rel = strdup(rel);
    if (!f->path || !f->rel) {
        free(f->path);
        free(f->rel);
        free(data);
        vmsg(err, errlen, "out of memory");
        return QCTS_VEC_ERR_NOMEM;
    }
    f->data = data;
    f->len = len;
    uint8_t dg[32];
    qcts_sha256(data, len, dg);
    qcts_sha256_hex(dg, f->sha256);
    s->n++;
    return QCTS_VEC_OK;
}

/* The manifest rule over s->files (sorted by rel). */
static qcts_vec_status set_hash(qcts_vec_set *s, char *err, size_t errlen)
{
    qsort(s->files, s->n, sizeof *s->files, cmp_file);
    qcts_sha256_ctx c;
    qcts_sha256_init(&c);
    for (size_t i = 0; i < s->n; i++) {
        if (i && strcmp(s->files[i - 1].rel, s->files[i].rel) == 0) {
            vmsg(err, errlen, "%s: listed twice in %s", s->files[i].path, QCTS_VEC_MANIFEST);
            return QCTS_VEC_ERR_MISMATCH;
        }
        qcts_sha256_update(&c, s->files[i].sha256, 64);
        qcts_sha256_update(&c, "  ", 2);
        qcts_sha256_update(&c, s->files[i].rel, strlen(s->files[i].rel));
        qcts_sha256_update(&c, "\n", 1);
    }
    uint8_t dg[32];
    qcts_sha256_final(&c, dg);
    qcts_sha256_hex(dg, s->sha256);
    return QCTS_VEC_OK;
}

static int is_hex64(const char *s)
{
    if (strlen(s) != 64)
        return 0;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return 0;
    return 1;
}

/* ---- generated suites ------------------------------------------------------------
 * The manifest's "generated" object lists suites too large to commit (long
 * attention contexts): suite name, cases, size, SHA-256 of the file and of
 * every expected output. They are regenerated here from the suite
 * definitions (QCTS_SUITES_DIR, default vectors/suites) with the generator
 * version the manifest names, and used only when every hash matches: the
 * same guarantee as a committed file. A regenerated file is kept in a
 * cache folder under its SHA-256 and reused after the
 * same verification (a cached file that does not hash right is ignored);
 * see cache_dir for where. */

/* The cache folder: $QCTS_VEC_CACHE ("" turns caching off), else
 * $XDG_CACHE_HOME/qcts-vectors, else $HOME/.cache/qcts-vectors. Safe to
 * share: nothing in it is used before its SHA-256 matches the manifest. */
static const char *cache_dir(char *buf, size_t n)
{
    const char *e = getenv("QCTS_VEC_CACHE");
    if (e)
        return e[0] ? e : NULL;
    if ((e = getenv("XDG_CACHE_HOME")) && e[0] && snprintf(buf, n, "%s/qcts-vectors", e) < (int)n)
        return buf;
    if ((e = getenv("HOME")) && e[0] && snprintf(buf, n, "%s/.cache/qcts-vectors", e) < (int)n)
        return buf;
    return NULL;
}

static int cache_load(const char *sha, size_t want, uint8_t **data, size_t *len)
{
    char cbuf[PATH_MAX];
    const char *cd = cache_dir(cbuf, sizeof cbuf);
    char path[PATH_MAX], why[QCTS_VEC_ERRLEN];
    if (!cd || snprintf(path, sizeof path, "%s/%s.safetensors", cd, sha) >= (int)sizeof path)
        return -1;
    if (qcts_vec_read_regular(path, QCTS_VEC_FILE_MAX, want, data, len, why, sizeof why) != 0)
        return -1;
    uint8_t dg[32];
    char hex[65];
    qcts_sha256(*data, *len, dg);
    qcts_sha256_hex(dg, hex);
    if (strcmp(hex, sha) != 0) {
        free(*data);
        return -1;
    }
    return 0;
}

static void cache_store(const char *sha, const uint8_t *data, size_t len)
{
    char cbuf[PATH_MAX], path[PATH_MAX], tmp[PATH_MAX + 16];
    const char *cd = cache_dir(cbuf, sizeof cbuf);
    if (!cd || snprintf(path, sizeof path, "%s/%s.safetensors", cd, sha) >= (int)sizeof path)
        return;
    /* mkdir -p */
    snprintf(tmp, sizeof tmp, "%s", cd);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(tmp, 0777);
            *p = '/';
        }
    mkdir(cd, 0777);
    snprintf(tmp, sizeof tmp, "%s.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return;
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, data + done, len - done);
        if (w <= 0)
            break;
        done += (size_t)w;
    }
    if (close(fd) == 0 && done == len && rename(tmp, path) == 0)
        return;
    unlink(tmp);
}

/* Names the first expected output whose hash differs (for the message). */
static void first_bad_output(const uint8_t *data, size_t len, const cJSON *outs, char *buf, size_t n)
{
    qcts_st_file *f = NULL;
    char sterr[QCTS_ST_ERRLEN];
    snprintf(buf, n, "the file as a whole");
    if (qcts_st_read_mem(data, len, "generated", &f, sterr, sizeof sterr) != QCTS_ST_OK)
        return;
    for (const cJSON *o = cJSON_IsObject(outs) ? outs->child : NULL; o; o = o->next) {
        const qcts_st_tensor *t = qcts_st_find(f, o->string);
        uint8_t dg[32];
        char hex[65] = "missing";
        if (t) {
            qcts_sha256(t->data, t->nbytes, dg);
            qcts_sha256_hex(dg, hex);
        }
        if (!cJSON_IsString(o) || strcmp(hex, o->valuestring) != 0) {
            snprintf(buf, n, "expected output %s (sha256 %s, the manifest says %s)", o->string, hex,
                     cJSON_IsString(o) ? o->valuestring : "?");
            break;
        }
    }
    qcts_st_free(f);
}

static qcts_vec_status read_generated(const char *dir, const cJSON *man, qcts_vec_set *s, char *err, size_t errlen)
{
    const cJSON *gen = cJSON_GetObjectItemCaseSensitive(man, "generated");
    if (!gen)
        return QCTS_VEC_OK;
    const cJSON *who = cJSON_GetObjectItemCaseSensitive(man, "generator");
    if (!cJSON_IsObject(gen) || !cJSON_IsString(who) || strncmp(who->valuestring, "qcts ", 5) != 0) {
        vmsg(err, errlen, "%s/%s: \"generated\" must be an object and \"generator\" a string 'qcts VERSION'", dir,
             QCTS_VEC_MANIFEST);
        return QCTS_VEC_ERR_MISMATCH;
    }
    const char *version = who->valuestring + 5, *sdir = getenv("QCTS_SUITES_DIR");
    if (!sdir || !sdir[0])
        sdir = QCTS_VEC_SUITES_DIR;
    size_t ng = (size_t)cJSON_GetArraySize(gen);
    qcts_vec_file *nf = realloc(s->files, (s->n + ng + 1) * sizeof *s->files);
    if (!nf) {
        vmsg(err, errlen, "out of memory");
        return QCTS_VEC_ERR_NOMEM;
    }
    s->files = nf;
    qcts_suite_set *set = NULL;
    qcts_vec_status st = QCTS_VEC_OK;
    for (const cJSON *ent = gen->child; ent && st == QCTS_VEC_OK; ent = ent->next) {
        const char *rel = ent->string;
        const cJSON *sn = cJSON_GetObjectItemCaseSensitive(ent, "suite");
        const cJSON *size = cJSON_GetObjectItemCaseSensitive(ent, "size");
        const cJSON *sha = cJSON_GetObjectItemCaseSensitive(ent, "sha256");
        const cJSON *outs = cJSON_GetObjectItemCaseSensitive(ent, "outputs");
        char why[600];
        size_t want;
        if (!rel || qcts_vec_rel_ok(rel, why, sizeof why) != 0 || !cJSON_IsString(sn) || !cJSON_IsNumber(size) ||
            qcts_num_to_size(size->valuedouble, QCTS_VEC_FILE_MAX, &want) != 0 || !cJSON_IsString(sha) ||
            !is_hex64(sha->valuestring) || !cJSON_IsObject(outs)) {
            vmsg(err, errlen, "%s/%s: generated: '%s' needs suite, size, a 64-digit sha256 and outputs", dir,
                 QCTS_VEC_MANIFEST, rel ? rel : "?");
            st = QCTS_VEC_ERR_MISMATCH;
            break;
        }
        uint8_t *data = NULL;
        size_t len = 0;
        if (cache_load(sha->valuestring, want, &data, &len) != 0) {
            if (!set && (st = qcts_suites_load(sdir, &set, err, errlen)) != QCTS_VEC_OK)
                break;
            long si = qcts_suites_find(set, sn->valuestring);
            if (si < 0 || !qcts_suites_at(set, (size_t)si)->generated) {
                vmsg(err, errlen, "%s/%s: generated suite %s: no generated suite of that name in %s", dir,
                     QCTS_VEC_MANIFEST, sn->valuestring, sdir);
                st = QCTS_VEC_ERR_MISMATCH;
                break;
            }
            if ((st = qcts_suite_generate(set, (size_t)si, version, &data, &len, err, errlen)) != QCTS_VEC_OK)
                break;
        }
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s (generated)", dir, rel);
        if ((st = add_file(s, path, rel, data, len, err, errlen)) != QCTS_VEC_OK)
            break;
        const qcts_vec_file *f = &s->files[s->n - 1];
        if (f->len != want || strcmp(f->sha256, sha->valuestring) != 0) {
            char bad[400];
            first_bad_output(f->data, f->len, outs, bad, sizeof bad);
            vmsg(err, errlen, "%s: regenerated %zu bytes with SHA-256 %s, %s/%s says %zu bytes, %s: %s differs "
                              "(the generator or the suite definition changed: run make vectors)",
                 path, f->len, f->sha256, dir, QCTS_VEC_MANIFEST, want, sha->valuestring, bad);
            st = QCTS_VEC_ERR_MISMATCH;
            break;
        }
        cache_store(f->sha256, f->data, f->len);
    }
    qcts_suites_free(set);
    return st;
}

static qcts_vec_status read_with_manifest(const char *dir, const uint8_t *mtext, size_t mlen, qcts_vec_set *s,
                                          char *err, size_t errlen)
{
    char mpath[PATH_MAX];
    snprintf(mpath, sizeof mpath, "%s/%s", dir, QCTS_VEC_MANIFEST);
    cJSON *man = cJSON_ParseWithLength((const char *)mtext, mlen);
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(man, "files");
    const cJSON *sethash = cJSON_GetObjectItemCaseSensitive(man, "vector_set_sha256");
    qcts_vec_status st = QCTS_VEC_OK;
    rels found = { 0 };
    if (!cJSON_IsObject(files) || !cJSON_IsString(sethash) || !is_hex64(sethash->valuestring)) {
        vmsg(err, errlen, "%s: not a qcts manifest (needs a \"files\" object and a 64-digit \"vector_set_sha256\")",
             mpath);
        st = QCTS_VEC_ERR_MISMATCH;
        goto out;
    }
    size_t n = (size_t)cJSON_GetArraySize(files);
    if (n > QCTS_VEC_SET_MAX_FILES) {
        vmsg(err, errlen, "%s: more than %d files", mpath, QCTS_VEC_SET_MAX_FILES);
        st = QCTS_VEC_ERR_MISMATCH;
        goto out;
    }
    s->files = calloc(n + 1, sizeof *s->files);
    if (!s->files) {
        vmsg(err, errlen, "out of memory");
        st = QCTS_VEC_ERR_NOMEM;
        goto out;
    }
    for (const cJSON *ent = files->child; ent && st == QCTS_VEC_OK; ent = ent->next) {
        const char *rel = ent->string;
        char why[600];
        if (!rel || qcts_vec_rel_ok(rel, why, sizeof why) != 0) {
            vmsg(err, errlen, "%s: files: %s", mpath, rel ? why : "an entry without a name");
            st = QCTS_VEC_ERR_MISMATCH;
            break;
        }
        if (!ends_with(rel, ".safetensors")) {
            vmsg(err, errlen, "%s: files: '%s' is not a .safetensors file", mpath, rel);
            st = QCTS_VEC_ERR_MISMATCH;
            break;
        }
        const cJSON *size = cJSON_GetObjectItemCaseSensitive(ent, "size");
        const cJSON *sha = cJSON_GetObjectItemCaseSensitive(ent, "sha256");
        size_t want;
        if (!cJSON_IsNumber(size) || qcts_num_to_size(size->valuedouble, QCTS_VEC_FILE_MAX, &want) != 0) {
            vmsg(err, errlen, "%s: files: '%s': size must be an integer from 0 to %zu", mpath, rel,
                 QCTS_VEC_FILE_MAX);
            st = QCTS_VEC_ERR_MISMATCH;
            break;
        }
        if (!cJSON_IsString(sha) || !is_hex64(sha->valuestring)) {
            vmsg(err, errlen, "%s: files: '%s': sha256 must be 64 lower-case hex digits", mpath, rel);
            st = QCTS_VEC_ERR_MISMATCH;
            break;
        }
        uint8_t *data;
        size_t len;
        if (qcts_vec_read_confined(dir, rel, QCTS_VEC_FILE_MAX, want, &data, &len, why, sizeof why) != 0) {
            vmsg(err, errlen, "%s (listed in %s)", why, mpath);
            st = QCTS_VEC_ERR_MISMATCH;
            break;
        }
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, rel);
        if ((st = add_file(s, path, rel, data, len, err, errlen)) != QCTS_VEC_OK)
            break;
        if (strcmp(s->files[s->n - 1].sha256, sha->valuestring) != 0) {
            vmsg(err, errlen, "%s: SHA-256 %s, %s says %s", path, s->files[s->n - 1].sha256, mpath,
                 sha->valuestring);
            st = QCTS_VEC_ERR_MISMATCH;
        }
    }
    if (st == QCTS_VEC_OK)
        st = read_generated(dir, man, s, err, errlen);
    if (st == QCTS_VEC_OK)
        st = set_hash(s, err, errlen);
    if (st == QCTS_VEC_OK && strcmp(s->sha256, sethash->valuestring) != 0) {
        vmsg(err, errlen, "%s: vector_set_sha256 %s is not the hash of the files it lists (%s)", mpath,
             sethash->valuestring, s->sha256);
        st = QCTS_VEC_ERR_MISMATCH;
    }
    /* Nothing unlisted: a stray or duplicated suite file would run too. */
    if (st == QCTS_VEC_OK)
        st = scan(dir, "", 0, &found, err, errlen);
    for (size_t i = 0; st == QCTS_VEC_OK && i < found.n; i++) {
        qcts_vec_file key = { .rel = found.v[i] };
        if (!bsearch(&key, s->files, s->n, sizeof *s->files, cmp_file)) {
            vmsg(err, errlen, "%s/%s: not listed in %s (a stray or duplicated suite file: delete it or run "
                              "make vectors)", dir, found.v[i], mpath);
            st = QCTS_VEC_ERR_MISMATCH;
        }
    }
out:
    rels_free(&found);
    cJSON_Delete(man);
    return st;
}

static qcts_vec_status read_scanned(const char *dir, qcts_vec_set *s, char *err, size_t errlen)
{
    rels found = { 0 };
    qcts_vec_status st = scan(dir, "", 0, &found, err, errlen);
    if (st == QCTS_VEC_OK && !(s->files = calloc(found.n + 1, sizeof *s->files))) {
        vmsg(err, errlen, "out of memory");
        st = QCTS_VEC_ERR_NOMEM;
    }
    qsort(found.v, found.n, sizeof *found.v, cmp_str);
    for (size_t i = 0; st == QCTS_VEC_OK && i < found.n; i++) {
        uint8_t *data;
        size_t len;
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, found.v[i]);
        if (qcts_vec_read_confined(dir, found.v[i], QCTS_VEC_FILE_MAX, (size_t)-1, &data, &len, err, errlen) != 0)
            st = QCTS_VEC_ERR_IO;
        else
            st = add_file(s, path, found.v[i], data, len, err, errlen);
    }
    if (st == QCTS_VEC_OK)
        st = set_hash(s, err, errlen);
    rels_free(&found);
    return st;
}

static int same_file(const char *a, const char *b)
{
    struct stat x, y;
    return a && b && stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

qcts_vec_status qcts_vec_set_read(const char *path, const char *official_dir, qcts_vec_set *s, char *err,
                                  size_t errlen)
{
    memset(s, 0, sizeof *s);
    struct stat sb;
    if (!path || stat(path, &sb) != 0) {
        vmsg(err, errlen, "%s: %s", path ? path : "(null)", path ? strerror(errno) : "no path");
        return QCTS_VEC_ERR_IO;
    }
    qcts_vec_status st;
    if (!S_ISDIR(sb.st_mode)) {
        uint8_t *data;
        size_t len;
        const char *base = strrchr(path, '/');
        base = base ? base + 1 : path;
        s->files = calloc(1, sizeof *s->files);
        if (!s->files) {
            vmsg(err, errlen, "out of memory");
            return QCTS_VEC_ERR_NOMEM;
        }
        if (qcts_vec_read_regular(path, QCTS_VEC_FILE_MAX, (size_t)-1, &data, &len, err, errlen) != 0)
            st = QCTS_VEC_ERR_IO;
        else if ((st = add_file(s, path, base, data, len, err, errlen)) == QCTS_VEC_OK)
            st = set_hash(s, err, errlen);
    } else {
        int official = same_file(path, official_dir);
        uint8_t *mtext = NULL;
        size_t mlen = 0;
        char mpath[PATH_MAX], why[1200];
        snprintf(mpath, sizeof mpath, "%s/%s", path, QCTS_VEC_MANIFEST);
        struct stat mb;
        int has = lstat(mpath, &mb) == 0;
        if (!has && official) {
            vmsg(err, errlen, "%s: %s (the official set must come with its manifest: run make vectors)", mpath,
                 strerror(errno));
            return QCTS_VEC_ERR_MISMATCH;
        }
        if (has && qcts_vec_read_confined(path, QCTS_VEC_MANIFEST, MANIFEST_MAX, (size_t)-1, &mtext, &mlen, why,
                                          sizeof why) != 0) {
            vmsg(err, errlen, "%s", why);
            return QCTS_VEC_ERR_IO;
        }
        st = has ? read_with_manifest(path, mtext, mlen, s, err, errlen) : read_scanned(path, s, err, errlen);
        free(mtext);
        s->has_manifest = has;
        s->official = has && official;
    }
    if (st != QCTS_VEC_OK)
        qcts_vec_set_free(s);
    return st;
}
