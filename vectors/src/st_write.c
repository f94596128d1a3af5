/* safetensors writer: collects tensors and metadata, writes the crate's
 * byte layout (see qcts/safetensors.h, "Writing"). The header is built by
 * hand, not with cJSON: cJSON prints numbers through double and escapes
 * differently from serde_json, and the bytes must match the crate's. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "st_impl.h"

typedef struct wtensor {
    char *name;
    qcts_st_dtype dtype;
    int ndim;
    int64_t shape[QCTS_ST_MAX_DIMS];
    uint8_t *data;
    size_t nbytes;
} wtensor;

typedef struct wmeta {
    char *key, *value;
} wmeta;

/* Open-addressing set of strings -> position, for duplicate checks in O(1). */
typedef struct slot {
    const char *key; /* NULL: empty */
    size_t pos;
} slot;

typedef struct strmap {
    slot *s;
    size_t cap, used; /* cap is 0 or a power of two */
} strmap;

struct qcts_st_writer {
    wtensor *t;
    size_t n_t, cap_t;
    wmeta *m;
    size_t n_m, cap_m;
    strmap names, keys;
    qcts_st_status first_err;
    char errmsg[QCTS_ST_ERRLEN];
};

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3u;
    return h;
}

static slot *strmap_slot(const strmap *m, const char *key)
{
    size_t i = (size_t)fnv1a(key) & (m->cap - 1);
    while (m->s[i].key && strcmp(m->s[i].key, key) != 0)
        i = (i + 1) & (m->cap - 1);
    return &m->s[i];
}

static const size_t *strmap_get(const strmap *m, const char *key)
{
    if (m->cap == 0)
        return NULL;
    const slot *sl = strmap_slot(m, key);
    return sl->key ? &sl->pos : NULL;
}

/* Inserts a key known to be absent; the map keeps the pointer. */
static int strmap_put(strmap *m, const char *key, size_t pos)
{
    if (2 * (m->used + 1) > m->cap) {
        size_t ncap = m->cap ? 2 * m->cap : 16;
        strmap bigger = { calloc(ncap, sizeof(slot)), ncap, 0 };
        if (!bigger.s)
            return 0;
        for (size_t i = 0; i < m->cap; i++)
            if (m->s[i].key)
                *strmap_slot(&bigger, m->s[i].key) = m->s[i];
        bigger.used = m->used;
        free(m->s);
        *m = bigger;
    }
    slot *sl = strmap_slot(m, key);
    sl->key = key;
    sl->pos = pos;
    m->used++;
    return 1;
}

qcts_st_writer *qcts_st_writer_new(void)
{
    return calloc(1, sizeof(qcts_st_writer));
}

void qcts_st_writer_free(qcts_st_writer *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->n_t; i++) {
        free(w->t[i].name);
        free(w->t[i].data);
    }
    for (size_t i = 0; i < w->n_m; i++) {
        free(w->m[i].key);
        free(w->m[i].value);
    }
    free(w->t);
    free(w->m);
    free(w->names.s);
    free(w->keys.s);
    free(w);
}

const char *qcts_st_writer_error(const qcts_st_writer *w)
{
    return w ? w->errmsg : "";
}

/* Records a failure (the first one sticks) and returns it. */
static qcts_st_status fail(qcts_st_writer *w, qcts_st_status s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static qcts_st_status fail(qcts_st_writer *w, qcts_st_status s, const char *fmt, ...)
{
    if (w->first_err == QCTS_ST_OK) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(w->errmsg, sizeof w->errmsg, fmt, ap);
        va_end(ap);
        w->first_err = s;
    }
    return s;
}

static int utf8_ok(const char *s)
{
    size_t n = strlen(s);
    return st_utf8_check((const uint8_t *)s, n) == n;
}

qcts_st_status qcts_st_writer_add_tensor(qcts_st_writer *w, const char *name, qcts_st_dtype dtype,
                                         const int64_t *shape, int ndim, const void *data, size_t nbytes)
{
    if (!w)
        return QCTS_ST_ERR_ARG;
    if (!name)
        return fail(w, QCTS_ST_ERR_ARG, "add_tensor: name is NULL");
    char qn[ST_QUOTE_CAP], shp[ST_SHAPE_CAP];
    st_quote(qn, sizeof qn, name);
    if (!utf8_ok(name))
        return fail(w, QCTS_ST_ERR_UTF8, "tensor '%s': name is not valid UTF-8", qn);
    if (strcmp(name, "__metadata__") == 0)
        return fail(w, QCTS_ST_ERR_NAME, "tensor '__metadata__': the name is reserved for metadata");
    unsigned bits = qcts_st_dtype_bits(dtype);
    if (bits == 0)
        return fail(w, QCTS_ST_ERR_ARG, "tensor '%s': %d is not a qcts_st_dtype", qn, (int)dtype);
    if (ndim < 0 || ndim > QCTS_ST_MAX_DIMS)
        return fail(w, QCTS_ST_ERR_ARG, "tensor '%s': ndim %d is not in 0..%d", qn, ndim, QCTS_ST_MAX_DIMS);
    if (ndim > 0 && !shape)
        return fail(w, QCTS_ST_ERR_ARG, "tensor '%s': shape is NULL but ndim is %d", qn, ndim);
    for (int i = 0; i < ndim; i++)
        if (shape[i] < 0)
            return fail(w, QCTS_ST_ERR_ARG, "tensor '%s': shape[%d] is %lld, expected >= 0", qn, i,
                        (long long)shape[i]);
    st_shape_str(shp, sizeof shp, shape, ndim);
    const char *dn = qcts_st_dtype_name(dtype);
    uint64_t ne, nbits;
    if (!st_elem_count(shape, ndim, &ne) || !st_mul_u64(ne, bits, &nbits))
        return fail(w, QCTS_ST_ERR_OVERFLOW, "tensor '%s': dtype %s shape %s: size overflows 64 bits", qn, dn, shp);
    if (nbits % 8 != 0)
        return fail(w, QCTS_ST_ERR_MISALIGNED,
                    "tensor '%s': dtype %s shape %s is %llu bits, not a whole number of bytes", qn, dn, shp,
                    (unsigned long long)nbits);
    if ((uint64_t)nbytes != nbits / 8)
        return fail(w, QCTS_ST_ERR_SIZE, "tensor '%s': nbytes is %zu but dtype %s shape %s needs %llu", qn, nbytes,
                    dn, shp, (unsigned long long)(nbits / 8));
    if (!data && nbytes)
        return fail(w, QCTS_ST_ERR_ARG, "tensor '%s': data is NULL", qn);
    if (strmap_get(&w->names, name))
        return fail(w, QCTS_ST_ERR_DUPLICATE, "tensor '%s' was already added", qn);

    if (w->n_t == w->cap_t) {
        size_t cap = w->cap_t ? 2 * w->cap_t : 16;
        wtensor *t = realloc(w->t, cap * sizeof *t);
        if (!t)
            return fail(w, QCTS_ST_ERR_NOMEM, "tensor '%s': out of memory", qn);
        w->t = t;
        w->cap_t = cap;
    }
    wtensor nt = { strdup(name), dtype, ndim, { 0 }, malloc(nbytes ? nbytes : 1), nbytes };
    if (!nt.name || !nt.data || !strmap_put(&w->names, nt.name, w->n_t)) {
        free(nt.name);
        free(nt.data);
        return fail(w, QCTS_ST_ERR_NOMEM, "tensor '%s': out of memory (%zu bytes)", qn, nbytes);
    }
    if (ndim)
        memcpy(nt.shape, shape, (size_t)ndim * sizeof *shape);
    if (nbytes)
        memcpy(nt.data, data, nbytes);
    w->t[w->n_t++] = nt;
    return QCTS_ST_OK;
}

qcts_st_status qcts_st_writer_set_meta(qcts_st_writer *w, const char *key, const char *value)
{
    if (!w)
        return QCTS_ST_ERR_ARG;
    if (!key || !value)
        return fail(w, QCTS_ST_ERR_ARG, "set_meta: %s is NULL", key ? "value" : "key");
    char qk[ST_QUOTE_CAP];
    st_quote(qk, sizeof qk, key);
    if (!utf8_ok(key) || !utf8_ok(value))
        return fail(w, QCTS_ST_ERR_UTF8, "metadata key '%s': %s is not valid UTF-8", qk,
                    utf8_ok(key) ? "the value" : "the key");
    char *v = strdup(value);
    if (!v)
        return fail(w, QCTS_ST_ERR_NOMEM, "metadata key '%s': out of memory", qk);
    const size_t *at = strmap_get(&w->keys, key);
    if (at) {
        free(w->m[*at].value);
        w->m[*at].value = v;
        return QCTS_ST_OK;
    }
    if (w->n_m == w->cap_m) {
        size_t cap = w->cap_m ? 2 * w->cap_m : 16;
        wmeta *m = realloc(w->m, cap * sizeof *m);
        if (!m) {
            free(v);
            return fail(w, QCTS_ST_ERR_NOMEM, "metadata key '%s': out of memory", qk);
        }
        w->m = m;
        w->cap_m = cap;
    }
    char *k = strdup(key);
    if (!k || !strmap_put(&w->keys, k, w->n_m)) {
        free(k);
        free(v);
        return fail(w, QCTS_ST_ERR_NOMEM, "metadata key '%s': out of memory", qk);
    }
    w->m[w->n_m].key = k;
    w->m[w->n_m].value = v;
    w->n_m++;
    return QCTS_ST_OK;
}

/* ---- serialization -------------------------------------------------------- */

typedef struct sbuf {
    char *p;
    size_t n, cap;
    int oom;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (n > b->cap - b->n) {
        size_t cap = b->cap ? b->cap : 256;
        while (n > cap - b->n) {
            if (cap > SIZE_MAX / 2) {
                b->oom = 1;
                return;
            }
            cap *= 2;
        }
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
}

static void sb_str(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

static void sb_u64(sbuf *b, uint64_t v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v);
    sb_put(b, tmp, (size_t)n);
}

/* A JSON string escaped exactly as serde_json does. */
static void sb_json_str(sbuf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    sb_put(b, "\"", 1);
    const char *run = s;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        const char *esc = NULL;
        char u[6];
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default:
            if (c < 0x20) {
                memcpy(u, "\\u00", 4);
                u[4] = hex[c >> 4];
                u[5] = hex[c & 15];
            }
        }
        if (!esc && c >= 0x20)
            continue;
        sb_put(b, run, (size_t)(s - run));
        if (esc)
            sb_str(b, esc);
        else
            sb_put(b, u, 6);
        run = s + 1;
    }
    sb_put(b, run, (size_t)(s - run));
    sb_put(b, "\"", 1);
}

static int cmp_order(const void *a, const void *b)
{
    const wtensor *x = *(const wtensor *const *)a, *y = *(const wtensor *const *)b;
    if (x->dtype != y->dtype)
        return x->dtype > y->dtype ? -1 : 1; /* descending dtype */
    return strcmp(x->name, y->name);
}

static int cmp_meta(const void *a, const void *b)
{
    const wmeta *x = *(const wmeta *const *)a, *y = *(const wmeta *const *)b;
    return strcmp(x->key, y->key);
}

/* The header (padded) and the tensors in file order. */
typedef struct layout {
    sbuf hdr;
    const wtensor **order;
    uint64_t data_size;
} layout;

static void layout_free(layout *l)
{
    free(l->hdr.p);
    free(l->order);
}

static qcts_st_status build_layout(const qcts_st_writer *w, const char *what, layout *l, char *err,
                                   size_t errlen)
{
    memset(l, 0, sizeof *l);
    if (w->first_err != QCTS_ST_OK) {
        st_msg(err, errlen, "%s: not written: an earlier call failed: %s", what, w->errmsg);
        return w->first_err;
    }
    const wmeta **mo = malloc((w->n_m ? w->n_m : 1) * sizeof *mo);
    l->order = malloc((w->n_t ? w->n_t : 1) * sizeof *l->order);
    if (!mo || !l->order) {
        free(mo);
        st_msg(err, errlen, "%s: out of memory", what);
        return QCTS_ST_ERR_NOMEM;
    }
    for (size_t i = 0; i < w->n_m; i++)
        mo[i] = &w->m[i];
    for (size_t i = 0; i < w->n_t; i++)
        l->order[i] = &w->t[i];
    if (w->n_m > 1)
        qsort(mo, w->n_m, sizeof *mo, cmp_meta);
    if (w->n_t > 1)
        qsort(l->order, w->n_t, sizeof *l->order, cmp_order);

    sbuf *b = &l->hdr;
    sb_put(b, "{", 1);
    int first = 1;
    if (w->n_m) {
        sb_str(b, "\"__metadata__\":{");
        for (size_t i = 0; i < w->n_m; i++) {
            if (i)
                sb_put(b, ",", 1);
            sb_json_str(b, mo[i]->key);
            sb_put(b, ":", 1);
            sb_json_str(b, mo[i]->value);
        }
        sb_put(b, "}", 1);
        first = 0;
    }
    free(mo);
    uint64_t off = 0;
    for (size_t i = 0; i < w->n_t; i++) {
        const wtensor *t = l->order[i];
        if (!first)
            sb_put(b, ",", 1);
        first = 0;
        sb_json_str(b, t->name);
        sb_str(b, ":{\"dtype\":\"");
        sb_str(b, qcts_st_dtype_name(t->dtype));
        sb_str(b, "\",\"shape\":[");
        for (int d = 0; d < t->ndim; d++) {
            if (d)
                sb_put(b, ",", 1);
            sb_u64(b, (uint64_t)t->shape[d]);
        }
        sb_str(b, "],\"data_offsets\":[");
        sb_u64(b, off);
        sb_put(b, ",", 1);
        if (__builtin_add_overflow(off, (uint64_t)t->nbytes, &off)) {
            st_msg(err, errlen, "%s: total data size overflows 64 bits", what);
            return QCTS_ST_ERR_OVERFLOW;
        }
        sb_u64(b, off);
        sb_str(b, "]}");
    }
    sb_put(b, "}", 1);
    while (!b->oom && b->n % 8 != 0)
        sb_put(b, " ", 1);
    if (b->oom) {
        st_msg(err, errlen, "%s: out of memory", what);
        return QCTS_ST_ERR_NOMEM;
    }
    if (b->n > QCTS_ST_MAX_HEADER) {
        st_msg(err, errlen, "%s: header would be %zu bytes, above the limit of %u that readers accept", what,
               b->n, QCTS_ST_MAX_HEADER);
        return QCTS_ST_ERR_HEADER_TOO_LARGE;
    }
    l->data_size = off;
    return QCTS_ST_OK;
}

static void put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

qcts_st_status qcts_st_writer_serialize(const qcts_st_writer *w, uint8_t **out, size_t *len, char *err,
                                        size_t errlen)
{
    if (out)
        *out = NULL;
    if (len)
        *len = 0;
    if (!w || !out || !len) {
        st_msg(err, errlen, "<memory>: qcts_st_writer_serialize: NULL argument");
        return QCTS_ST_ERR_ARG;
    }
    layout l;
    qcts_st_status s = build_layout(w, "<memory>", &l, err, errlen);
    if (s != QCTS_ST_OK) {
        layout_free(&l);
        return s;
    }
    uint64_t total = 8 + (uint64_t)l.hdr.n + l.data_size;
    uint8_t *buf = total < l.data_size || total > SIZE_MAX ? NULL : malloc((size_t)total);
    if (!buf) {
        layout_free(&l);
        st_msg(err, errlen, "<memory>: out of memory (%llu bytes)", (unsigned long long)total);
        return QCTS_ST_ERR_NOMEM;
    }
    put_le64(buf, l.hdr.n);
    memcpy(buf + 8, l.hdr.p, l.hdr.n);
    size_t o = 8 + l.hdr.n;
    for (size_t i = 0; i < w->n_t; i++) {
        if (l.order[i]->nbytes)
            memcpy(buf + o, l.order[i]->data, l.order[i]->nbytes);
        o += l.order[i]->nbytes;
    }
    layout_free(&l);
    *out = buf;
    *len = (size_t)total;
    st_msg(err, errlen, "%s", "");
    return QCTS_ST_OK;
}

static int write_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n) {
        ssize_t k = write(fd, b, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return 0;
        }
        b += k;
        n -= (size_t)k;
    }
    return 1;
}

qcts_st_status qcts_st_writer_write_file(const qcts_st_writer *w, const char *path, char *err, size_t errlen)
{
    static atomic_uint counter;
    if (!w || !path) {
        st_msg(err, errlen, "%s: qcts_st_writer_write_file: NULL %s", path ? path : "<null>",
               w ? "path" : "writer");
        return QCTS_ST_ERR_ARG;
    }
    layout l;
    qcts_st_status s = build_layout(w, path, &l, err, errlen);
    if (s != QCTS_ST_OK) {
        layout_free(&l);
        return s;
    }
    /* The temporary name extends the target's, so it is in the same
     * directory and rename() replaces the target atomically. */
    size_t tlen = strlen(path) + 48;
    char *tmp = malloc(tlen);
    if (!tmp) {
        layout_free(&l);
        st_msg(err, errlen, "%s: out of memory", path);
        return QCTS_ST_ERR_NOMEM;
    }
    int fd = -1;
    for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
        snprintf(tmp, tlen, "%s.tmp-%ld-%u", path, (long)getpid(), atomic_fetch_add(&counter, 1u));
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        st_msg(err, errlen, "%s: cannot create temporary file %s: %s", path, tmp, strerror(errno));
        free(tmp);
        layout_free(&l);
        return QCTS_ST_ERR_IO;
    }
    uint8_t n8[8];
    put_le64(n8, l.hdr.n);
    int ok = write_all(fd, n8, 8) && write_all(fd, l.hdr.p, l.hdr.n);
    for (size_t i = 0; ok && i < w->n_t; i++)
        ok = write_all(fd, l.order[i]->data, l.order[i]->nbytes);
    const char *step = "write";
    if (ok && fsync(fd) != 0) {
        ok = 0;
        step = "fsync";
    }
    int e = errno;
    if (close(fd) != 0 && ok) {
        ok = 0;
        step = "close";
        e = errno;
    }
    if (ok && rename(tmp, path) != 0) {
        ok = 0;
        step = "rename";
        e = errno;
    }
    if (!ok) {
        unlink(tmp);
        st_msg(err, errlen, "%s: %s failed: %s (nothing written)", path, step, strerror(e));
        s = QCTS_ST_ERR_IO;
    } else {
        st_msg(err, errlen, "%s", "");
    }
    free(tmp);
    layout_free(&l);
    return s;
}
