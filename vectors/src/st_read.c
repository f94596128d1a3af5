/* safetensors reader: qcts_st_read_file, qcts_st_read_mem, lookups.
 *
 * Parsing is cJSON plus a lexical pre-pass. cJSON alone is more lenient than
 * serde_json (the Rust crate's parser) and keeps numbers only as doubles, so
 * the pre-pass (scan_json) first checks what cJSON does not: control
 * characters, number syntax, nesting depth, "\u0000"; and it records where
 * every number token is. cJSON keeps values in document order, so the k-th
 * number node of a depth-first walk is the k-th number token: integers
 * (shapes, offsets) are then read exactly, as 64-bit integers, from their
 * text. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "st_impl.h"

static pthread_mutex_t cjson_lock = PTHREAD_MUTEX_INITIALIZER;

/* serde_json refuses nesting of 128 levels or more; so do we. */
#define MAX_DEPTH 127

typedef struct rd {
    const char *fname;
    char *err;
    size_t errlen;
} rd;

typedef struct tok {
    size_t off, len;
} tok;

typedef struct toks {
    tok *v;
    size_t n, cap;
} toks;

/* A tensor while parsing: the public struct plus its raw offsets. */
typedef struct ptensor {
    qcts_st_tensor t;
    uint64_t begin, end;
} ptensor;

typedef struct priv {
    uint8_t *bytes;             /* the whole file */
    qcts_st_tensor *tensors;    /* offset order */
    qcts_st_meta *meta;         /* key order */
    const qcts_st_tensor **by_name;
} priv;

/* ---- lexical pre-pass --------------------------------------------------- */

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* cJSON's number characters: its tokens end where ours do. */
static int is_num_char(char c)
{
    return is_digit(c) || c == '+' || c == '-' || c == '.' || c == 'e' || c == 'E';
}

/* RFC 8259 number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int number_ok(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && s[i] == '-')
        i++;
    if (i >= n)
        return 0;
    if (s[i] == '0')
        i++;
    else if (s[i] >= '1' && s[i] <= '9')
        while (i < n && is_digit(s[i]))
            i++;
    else
        return 0;
    if (i < n && s[i] == '.') {
        size_t d = ++i;
        while (i < n && is_digit(s[i]))
            i++;
        if (i == d)
            return 0;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t d = i;
        while (i < n && is_digit(s[i]))
            i++;
        if (i == d)
            return 0;
    }
    return i == n;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static qcts_st_status toks_push(toks *t, size_t off, size_t len)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 64;
        tok *v = realloc(t->v, cap * sizeof *v);
        if (!v)
            return QCTS_ST_ERR_NOMEM;
        t->v = v;
        t->cap = cap;
    }
    t->v[t->n].off = off;
    t->v[t->n].len = len;
    t->n++;
    return QCTS_ST_OK;
}

/* Checks what cJSON lets through and records number tokens. Structural
 * errors (a missing ':' ...) are left to cJSON. */
static qcts_st_status scan_json(const rd *r, const char *h, size_t n, toks *out)
{
    size_t i = 0;
    int depth = 0;
    while (i < n) {
        unsigned char c = (unsigned char)h[i];
        if (c == '"') {
            size_t start = i++;
            for (;;) {
                if (i >= n) {
                    st_msg(r->err, r->errlen, "%s: invalid JSON in header: unterminated string starting at byte %zu",
                           r->fname, start);
                    return QCTS_ST_ERR_JSON;
                }
                c = (unsigned char)h[i];
                if (c == '"') {
                    i++;
                    break;
                }
                if (c < 0x20) {
                    st_msg(r->err, r->errlen,
                           "%s: invalid JSON in header: control character 0x%02x inside a string at byte %zu",
                           r->fname, c, i);
                    return QCTS_ST_ERR_JSON;
                }
                if (c == '\\') {
                    if (i + 1 < n && h[i + 1] == 'u') {
                        int v = 0;
                        for (size_t k = 2; k < 6; k++) {
                            int d = i + k < n ? hexval(h[i + k]) : -1;
                            if (d < 0) {
                                st_msg(r->err, r->errlen, "%s: invalid JSON in header: bad \\u escape at byte %zu",
                                       r->fname, i);
                                return QCTS_ST_ERR_JSON;
                            }
                            v = v * 16 + d;
                        }
                        if (v == 0) {
                            st_msg(r->err, r->errlen,
                                   "%s: header has \\u0000 in a string at byte %zu: names and metadata "
                                   "with U+0000 are not supported",
                                   r->fname, i);
                            return QCTS_ST_ERR_UNSUPPORTED;
                        }
                        i += 6;
                    } else {
                        i += 2; /* other escapes are checked by cJSON */
                    }
                    continue;
                }
                i++;
            }
        } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            i++;
        } else if (c == '{' || c == '[') {
            if (++depth > MAX_DEPTH) {
                st_msg(r->err, r->errlen, "%s: invalid JSON in header: nesting deeper than %d levels at byte %zu",
                       r->fname, MAX_DEPTH, i);
                return QCTS_ST_ERR_JSON;
            }
            i++;
        } else if (c == '}' || c == ']') {
            if (depth > 0)
                depth--;
            i++;
        } else if (c == '-' || is_digit((char)c)) {
            size_t start = i;
            while (i < n && is_num_char(h[i]))
                i++;
            if (!number_ok(h + start, i - start)) {
                st_msg(r->err, r->errlen, "%s: invalid JSON in header: malformed number '%.*s' at byte %zu",
                       r->fname, (int)(i - start > 40 ? 40 : i - start), h + start, start);
                return QCTS_ST_ERR_JSON;
            }
            if (toks_push(out, start, i - start) != QCTS_ST_OK) {
                st_msg(r->err, r->errlen, "%s: out of memory", r->fname);
                return QCTS_ST_ERR_NOMEM;
            }
        } else if (c < 0x20) {
            st_msg(r->err, r->errlen, "%s: invalid JSON in header: control character 0x%02x at byte %zu",
                   r->fname, c, i);
            return QCTS_ST_ERR_JSON;
        } else {
            i++; /* , : letters of true/false/null; anything else cJSON rejects */
        }
    }
    return QCTS_ST_OK;
}

/* Gives every number node its token index (in valueint, which we never
 * otherwise use). Returns 0 when the counts disagree. Recursion depth is at
 * most MAX_DEPTH (checked by scan_json). */
static int number_walk(cJSON *node, size_t *k, size_t ntok)
{
    for (; node; node = node->next) {
        if (cJSON_IsNumber(node)) {
            if (*k >= ntok)
                return 0;
            node->valueint = (int)(*k)++;
        }
        if (node->child && !number_walk(node->child, k, ntok))
            return 0;
    }
    return 1;
}

/* ---- values -------------------------------------------------------------- */

enum { U64_OK, U64_NOT_INT, U64_TOO_BIG };

static int tok_u64(const char *h, const tok *t, uint64_t *v)
{
    uint64_t x = 0;
    for (size_t i = 0; i < t->len; i++) {
        char c = h[t->off + i];
        if (!is_digit(c))
            return U64_NOT_INT; /* '-', '.', 'e': serde gives a float or i64 */
    }
    for (size_t i = 0; i < t->len; i++) {
        unsigned d = (unsigned)(h[t->off + i] - '0');
        if (x > (UINT64_MAX - d) / 10)
            return U64_TOO_BIG;
        x = x * 10 + d;
    }
    *v = x;
    return U64_OK;
}

/* Reads an integer field; what names it in messages ("shape[1]"). */
static qcts_st_status get_u64(const rd *r, const char *h, const toks *tk, const cJSON *item,
                              const char *qname, const char *what, uint64_t *v)
{
    if (!cJSON_IsNumber(item)) {
        st_msg(r->err, r->errlen, "%s: tensor '%s': %s is not a number, expected an integer >= 0",
               r->fname, qname, what);
        return QCTS_ST_ERR_JSON;
    }
    const tok *t = &tk->v[item->valueint];
    int rc = tok_u64(h, t, v);
    if (rc == U64_OK)
        return QCTS_ST_OK;
    st_msg(r->err, r->errlen, "%s: tensor '%s': %s is %.*s, expected %s", r->fname, qname, what,
           (int)(t->len > 40 ? 40 : t->len), h + t->off,
           rc == U64_NOT_INT ? "an integer >= 0 (plain digits)" : "an integer below 2^64");
    return QCTS_ST_ERR_JSON;
}

static qcts_st_status parse_tensor(const rd *r, const char *h, const toks *tk, const cJSON *item,
                                   ptensor *pt)
{
    char qname[ST_QUOTE_CAP];
    st_quote(qname, sizeof qname, item->string);
    if (!cJSON_IsObject(item)) {
        st_msg(r->err, r->errlen, "%s: tensor '%s': expected an object {\"dtype\", \"shape\", \"data_offsets\"}",
               r->fname, qname);
        return QCTS_ST_ERR_JSON;
    }
    const cJSON *f[3] = { NULL, NULL, NULL };
    static const char *const fields[3] = { "dtype", "shape", "data_offsets" };
    for (const cJSON *c = item->child; c; c = c->next)
        for (int k = 0; k < 3; k++)
            if (strcmp(c->string, fields[k]) == 0) {
                if (f[k]) {
                    st_msg(r->err, r->errlen, "%s: tensor '%s': field '%s' appears twice", r->fname, qname,
                           fields[k]);
                    return QCTS_ST_ERR_JSON;
                }
                f[k] = c;
            }
    for (int k = 0; k < 3; k++)
        if (!f[k]) {
            st_msg(r->err, r->errlen, "%s: tensor '%s': missing field '%s'", r->fname, qname, fields[k]);
            return QCTS_ST_ERR_JSON;
        }

    if (!cJSON_IsString(f[0])) {
        st_msg(r->err, r->errlen, "%s: tensor '%s': dtype is not a string", r->fname, qname);
        return QCTS_ST_ERR_JSON;
    }
    pt->t.dtype = qcts_st_dtype_from_name(f[0]->valuestring);
    if (pt->t.dtype == QCTS_ST_DTYPE_INVALID) {
        char qd[ST_QUOTE_CAP];
        st_msg(r->err, r->errlen,
               "%s: tensor '%s': unknown dtype '%s' (expected one of BOOL U8 I8 U16 I16 U32 I32 U64 I64 "
               "F16 BF16 F32 F64 C64 F8_E4M3 F8_E5M2 F8_E8M0 F8_E4M3FNUZ F8_E5M2FNUZ F4 F6_E2M3 F6_E3M2)",
               r->fname, qname, st_quote(qd, sizeof qd, f[0]->valuestring));
        return QCTS_ST_ERR_DTYPE;
    }

    if (!cJSON_IsArray(f[1])) {
        st_msg(r->err, r->errlen, "%s: tensor '%s': shape is not an array", r->fname, qname);
        return QCTS_ST_ERR_JSON;
    }
    int nd = 0;
    for (const cJSON *c = f[1]->child; c; c = c->next, nd++) {
        char what[32];
        snprintf(what, sizeof what, "shape[%d]", nd);
        uint64_t v;
        qcts_st_status s = get_u64(r, h, tk, c, qname, what, &v);
        if (s != QCTS_ST_OK)
            return s;
        if (nd >= QCTS_ST_MAX_DIMS) {
            st_msg(r->err, r->errlen, "%s: tensor '%s': shape has more than %d dimensions (not supported)",
                   r->fname, qname, QCTS_ST_MAX_DIMS);
            return QCTS_ST_ERR_UNSUPPORTED;
        }
        if (v > (uint64_t)INT64_MAX) {
            st_msg(r->err, r->errlen, "%s: tensor '%s': %s is %llu, above INT64_MAX (not supported)", r->fname,
                   qname, what, (unsigned long long)v);
            return QCTS_ST_ERR_UNSUPPORTED;
        }
        pt->t.shape[nd] = (int64_t)v;
    }
    pt->t.ndim = nd;

    if (!cJSON_IsArray(f[2]) || cJSON_GetArraySize(f[2]) != 2) {
        st_msg(r->err, r->errlen, "%s: tensor '%s': data_offsets must be an array [begin, end]", r->fname, qname);
        return QCTS_ST_ERR_JSON;
    }
    qcts_st_status s = get_u64(r, h, tk, f[2]->child, qname, "data_offsets[0]", &pt->begin);
    if (s == QCTS_ST_OK)
        s = get_u64(r, h, tk, f[2]->child->next, qname, "data_offsets[1]", &pt->end);
    if (s != QCTS_ST_OK)
        return s;

    pt->t.name = strdup(item->string);
    if (!pt->t.name) {
        st_msg(r->err, r->errlen, "%s: out of memory", r->fname);
        return QCTS_ST_ERR_NOMEM;
    }
    return QCTS_ST_OK;
}

static qcts_st_status parse_meta(const rd *r, const cJSON *item, qcts_st_meta **meta, size_t *n_meta)
{
    if (cJSON_IsNull(item))
        return QCTS_ST_OK; /* the crate reads null as "no metadata" */
    if (!cJSON_IsObject(item)) {
        st_msg(r->err, r->errlen, "%s: __metadata__ must be an object of string values", r->fname);
        return QCTS_ST_ERR_METADATA;
    }
    size_t n = 0;
    for (const cJSON *c = item->child; c; c = c->next) {
        if (!cJSON_IsString(c)) {
            char qk[ST_QUOTE_CAP];
            st_msg(r->err, r->errlen, "%s: __metadata__ key '%s': value is not a string", r->fname,
                   st_quote(qk, sizeof qk, c->string));
            return QCTS_ST_ERR_METADATA;
        }
        n++;
    }
    qcts_st_meta *m = calloc(n ? n : 1, sizeof *m);
    if (!m) {
        st_msg(r->err, r->errlen, "%s: out of memory", r->fname);
        return QCTS_ST_ERR_NOMEM;
    }
    *meta = m;
    for (const cJSON *c = item->child; c; c = c->next) {
        m->key = strdup(c->string);
        m->value = m->key ? strdup(c->valuestring) : NULL;
        if (!m->key || !m->value) {
            free((char *)m->key);
            m->key = NULL;
            st_msg(r->err, r->errlen, "%s: out of memory", r->fname);
            return QCTS_ST_ERR_NOMEM;
        }
        m++;
        (*n_meta)++;
    }
    return QCTS_ST_OK;
}

/* ---- sorting -------------------------------------------------------------- */

static int cmp_offsets(const void *a, const void *b)
{
    const ptensor *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return strcmp(x->t.name, y->t.name); /* equal ranges: zero-size tensors */
}

static int cmp_tensor_ptr_name(const void *a, const void *b)
{
    const qcts_st_tensor *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

static int cmp_meta_key(const void *a, const void *b)
{
    const qcts_st_meta *x = a, *y = b;
    return strcmp(x->key, y->key);
}

/* ---- the whole file --------------------------------------------------------- */

static void free_priv(priv *p, size_t n_tensors, size_t n_meta)
{
    if (!p)
        return;
    for (size_t i = 0; i < n_tensors; i++)
        free((char *)p->tensors[i].name);
    for (size_t i = 0; i < n_meta; i++) {
        free((char *)p->meta[i].key);
        free((char *)p->meta[i].value);
    }
    free(p->tensors);
    free(p->meta);
    free(p->by_name);
    free(p->bytes);
    free(p);
}

void qcts_st_free(qcts_st_file *f)
{
    if (!f)
        return;
    free_priv(f->priv_, f->n_tensors, f->n_meta);
    free(f);
}

static uint64_t le64(const uint8_t *b)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | b[i];
    return v;
}

/* Checks the tensors (in offset order) like the crate's Metadata::validate. */
static qcts_st_status validate(const rd *r, const ptensor *pt, size_t n, size_t data_size)
{
    uint64_t start = 0;
    for (size_t i = 0; i < n; i++) {
        const ptensor *p = &pt[i];
        /* the name and shape as messages show them, formatted on error only */
        char qname[ST_QUOTE_CAP], shp[ST_SHAPE_CAP];
#define DESCRIBE() (st_quote(qname, sizeof qname, p->t.name), st_shape_str(shp, sizeof shp, p->t.shape, p->t.ndim))
        const char *dn = qcts_st_dtype_name(p->t.dtype);
        if (p->end < p->begin) {
            DESCRIBE();
            st_msg(r->err, r->errlen, "%s: tensor '%s': data_offsets [%llu, %llu) end before they begin", r->fname,
                   qname, (unsigned long long)p->begin, (unsigned long long)p->end);
            return QCTS_ST_ERR_OFFSETS;
        }
        if (p->begin != start) {
            DESCRIBE();
            st_msg(r->err, r->errlen,
                   "%s: tensor '%s': data_offsets [%llu, %llu) should begin at %llu, where the previous tensor "
                   "ends (tensors must tile the data buffer from 0: %s)",
                   r->fname, qname, (unsigned long long)p->begin, (unsigned long long)p->end,
                   (unsigned long long)start, p->begin > start ? "hole" : "overlap");
            return QCTS_ST_ERR_OFFSETS;
        }
        start = p->end;
        uint64_t ne, nbits;
        if (!st_elem_count(p->t.shape, p->t.ndim, &ne)) {
            DESCRIBE();
            st_msg(r->err, r->errlen, "%s: tensor '%s': element count of shape %s overflows 64 bits", r->fname,
                   qname, shp);
            return QCTS_ST_ERR_OVERFLOW;
        }
        unsigned bits = qcts_st_dtype_bits(p->t.dtype);
        if (!st_mul_u64(ne, bits, &nbits)) {
            DESCRIBE();
            st_msg(r->err, r->errlen, "%s: tensor '%s': dtype %s shape %s: %llu elements * %u bits overflows 64 bits",
                   r->fname, qname, dn, shp, (unsigned long long)ne, bits);
            return QCTS_ST_ERR_OVERFLOW;
        }
        if (nbits % 8 != 0) {
            DESCRIBE();
            st_msg(r->err, r->errlen,
                   "%s: tensor '%s': dtype %s shape %s is %llu bits, not a whole number of bytes (misaligned slice)",
                   r->fname, qname, dn, shp, (unsigned long long)nbits);
            return QCTS_ST_ERR_MISALIGNED;
        }
        if (p->end - p->begin != nbits / 8) {
            DESCRIBE();
            st_msg(r->err, r->errlen, "%s: tensor '%s': data_offsets [%llu, %llu) hold %llu bytes but dtype %s shape %s needs %llu",
                   r->fname, qname, (unsigned long long)p->begin, (unsigned long long)p->end,
                   (unsigned long long)(p->end - p->begin), dn, shp, (unsigned long long)(nbits / 8));
            return QCTS_ST_ERR_SIZE;
        }
    }
#undef DESCRIBE
    if (start != data_size) {
        st_msg(r->err, r->errlen,
               "%s: the tensors cover %llu bytes of data but the file holds %zu bytes after the header",
               r->fname, (unsigned long long)start, data_size);
        return QCTS_ST_ERR_INCOMPLETE;
    }
    return QCTS_ST_OK;
}

/* Parses len bytes at bytes (taking ownership of them). */
static qcts_st_status parse_owned(uint8_t *bytes, size_t len, const rd *r, qcts_st_file **out)
{
    qcts_st_status s = QCTS_ST_OK;
    priv *p = NULL;
    ptensor *pt = NULL;
    size_t n_pt = 0, n_meta = 0;
    char *hcopy = NULL;
    cJSON *root = NULL;
    toks tk = { NULL, 0, 0 };

    if (len < 8) {
        st_msg(r->err, r->errlen, "%s: file is %zu bytes, shorter than the 8-byte header length", r->fname, len);
        s = QCTS_ST_ERR_TOO_SMALL;
        goto done;
    }
    uint64_t n = le64(bytes);
    if (n > QCTS_ST_MAX_HEADER) {
        st_msg(r->err, r->errlen, "%s: header length %llu is above the limit of %u bytes", r->fname,
               (unsigned long long)n, QCTS_ST_MAX_HEADER);
        s = QCTS_ST_ERR_HEADER_TOO_LARGE;
        goto done;
    }
    if (n > len - 8) {
        st_msg(r->err, r->errlen, "%s: header length %llu needs %llu bytes but the file has %zu", r->fname,
               (unsigned long long)n, (unsigned long long)n + 8, len);
        s = QCTS_ST_ERR_HEADER_LENGTH;
        goto done;
    }
    const char *h = (const char *)bytes + 8;
    size_t bad = st_utf8_check(bytes + 8, (size_t)n);
    if (bad != n) {
        st_msg(r->err, r->errlen, "%s: header is not valid UTF-8 (byte %zu of the header)", r->fname, bad);
        s = QCTS_ST_ERR_UTF8;
        goto done;
    }
    if (n == 0 || h[0] != '{') {
        if (n == 0)
            st_msg(r->err, r->errlen, "%s: header is empty, expected a JSON object starting with '{'", r->fname);
        else
            st_msg(r->err, r->errlen, "%s: header starts with byte 0x%02x, expected '{'", r->fname,
                   (unsigned char)h[0]);
        s = QCTS_ST_ERR_HEADER_START;
        goto done;
    }
    s = scan_json(r, h, (size_t)n, &tk);
    if (s != QCTS_ST_OK)
        goto done;

    /* cJSON gets its own NUL-terminated copy: it must never see the data. */
    hcopy = malloc((size_t)n + 1);
    if (!hcopy)
        goto nomem;
    memcpy(hcopy, h, (size_t)n);
    hcopy[n] = '\0';
    const char *end = NULL;
    /* cJSON records parse errors in a global (global_error), a data race
     * when two threads parse at once: serialize the parse itself. */
    pthread_mutex_lock(&cjson_lock);
    root = cJSON_ParseWithLengthOpts(hcopy, (size_t)n + 1, &end, 0);
    pthread_mutex_unlock(&cjson_lock);
    if (!root) {
        size_t at = end && end >= hcopy && end <= hcopy + n ? (size_t)(end - hcopy) : 0;
        st_msg(r->err, r->errlen, "%s: invalid JSON in header near byte %zu", r->fname, at);
        s = QCTS_ST_ERR_JSON;
        goto done;
    }
    for (const char *q = end; q < hcopy + n; q++)
        if (*q != ' ' && *q != '\t' && *q != '\n' && *q != '\r') {
            st_msg(r->err, r->errlen, "%s: invalid JSON in header: trailing characters at byte %zu", r->fname,
                   (size_t)(q - hcopy));
            s = QCTS_ST_ERR_JSON;
            goto done;
        }
    size_t k = 0;
    if (!number_walk(root, &k, tk.n) || k != tk.n) {
        st_msg(r->err, r->errlen, "%s: invalid JSON in header (number tokens do not match)", r->fname);
        s = QCTS_ST_ERR_JSON;
        goto done;
    }
    if (!cJSON_IsObject(root)) { /* cannot happen after the '{' check */
        st_msg(r->err, r->errlen, "%s: header is not a JSON object", r->fname);
        s = QCTS_ST_ERR_JSON;
        goto done;
    }

    p = calloc(1, sizeof *p);
    if (!p)
        goto nomem;
    size_t n_entries = 0;
    for (const cJSON *c = root->child; c; c = c->next)
        n_entries++;
    pt = calloc(n_entries ? n_entries : 1, sizeof *pt);
    if (!pt)
        goto nomem;
    int seen_meta = 0;
    for (const cJSON *c = root->child; c; c = c->next) {
        if (strcmp(c->string, "__metadata__") == 0) {
            if (seen_meta++) {
                st_msg(r->err, r->errlen, "%s: '__metadata__' appears twice in the header", r->fname);
                s = QCTS_ST_ERR_DUPLICATE;
                goto done;
            }
            s = parse_meta(r, c, &p->meta, &n_meta);
        } else {
            s = parse_tensor(r, hcopy, &tk, c, &pt[n_pt]);
            if (s == QCTS_ST_OK)
                n_pt++;
        }
        if (s != QCTS_ST_OK)
            goto done;
    }
    cJSON_Delete(root);
    root = NULL;

    if (n_meta > 1) {
        qsort(p->meta, n_meta, sizeof *p->meta, cmp_meta_key);
        for (size_t i = 1; i < n_meta; i++)
            if (strcmp(p->meta[i - 1].key, p->meta[i].key) == 0) {
                char qk[ST_QUOTE_CAP];
                st_msg(r->err, r->errlen, "%s: __metadata__ key '%s' appears twice", r->fname,
                       st_quote(qk, sizeof qk, p->meta[i].key));
                s = QCTS_ST_ERR_DUPLICATE;
                goto done;
            }
    }
    if (n_pt > 1)
        qsort(pt, n_pt, sizeof *pt, cmp_offsets);
    p->by_name = malloc((n_pt ? n_pt : 1) * sizeof *p->by_name);
    if (!p->by_name)
        goto nomem;
    for (size_t i = 0; i < n_pt; i++)
        p->by_name[i] = &pt[i].t;
    if (n_pt > 1)
        qsort(p->by_name, n_pt, sizeof *p->by_name, cmp_tensor_ptr_name);
    for (size_t i = 1; i < n_pt; i++)
        if (strcmp(p->by_name[i - 1]->name, p->by_name[i]->name) == 0) {
            char qn[ST_QUOTE_CAP];
            st_msg(r->err, r->errlen, "%s: tensor '%s' appears twice in the header", r->fname,
                   st_quote(qn, sizeof qn, p->by_name[i]->name));
            s = QCTS_ST_ERR_DUPLICATE;
            goto done;
        }
    size_t data_size = len - 8 - (size_t)n;
    s = validate(r, pt, n_pt, data_size);
    if (s != QCTS_ST_OK)
        goto done;

    /* Valid: build the public arrays (nothing below can fail). */
    qcts_st_file *f = calloc(1, sizeof *f);
    p->tensors = calloc(n_pt ? n_pt : 1, sizeof *p->tensors);
    if (!f || !p->tensors) {
        free(f);
        goto nomem;
    }
    const uint8_t *data = bytes + 8 + n;
    for (size_t i = 0; i < n_pt; i++) {
        qcts_st_tensor *t = &p->tensors[i];
        *t = pt[i].t;
        st_elem_count(t->shape, t->ndim, &t->nelems);
        t->offset = pt[i].begin;
        t->nbytes = (size_t)(pt[i].end - pt[i].begin);
        t->data = data + pt[i].begin;
        p->by_name[i] = t;
    }
    if (n_pt > 1)
        qsort(p->by_name, n_pt, sizeof *p->by_name, cmp_tensor_ptr_name);
    p->bytes = bytes;
    bytes = NULL;
    f->n_tensors = n_pt;
    f->tensors = p->tensors;
    f->n_meta = n_meta;
    f->meta = p->meta;
    f->header_len = n;
    f->data = data;
    f->data_size = data_size;
    f->priv_ = p;
    p = NULL;
    n_pt = 0; /* the names now belong to f */
    *out = f;
    st_msg(r->err, r->errlen, "%s", "");
    goto done;

nomem:
    st_msg(r->err, r->errlen, "%s: out of memory", r->fname);
    s = QCTS_ST_ERR_NOMEM;
done:
    for (size_t i = 0; i < n_pt; i++)
        free((char *)pt[i].t.name);
    free(pt);
    if (p) {
        free(p->tensors); /* names (if any) are freed through pt above */
        p->tensors = NULL;
        free_priv(p, 0, n_meta);
    }
    cJSON_Delete(root);
    free(hcopy);
    free(tk.v);
    free(bytes);
    return s;
}

qcts_st_status qcts_st_read_mem(const void *buf, size_t len, const char *name_for_errors,
                                qcts_st_file **out, char *err, size_t errlen)
{
    rd r = { name_for_errors ? name_for_errors : "<memory>", err, errlen };
    if (out)
        *out = NULL;
    if (!out || (!buf && len)) {
        st_msg(err, errlen, "%s: qcts_st_read_mem: NULL %s", r.fname, out ? "buffer" : "output pointer");
        return QCTS_ST_ERR_ARG;
    }
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy) {
        st_msg(err, errlen, "%s: out of memory (%zu bytes)", r.fname, len);
        return QCTS_ST_ERR_NOMEM;
    }
    if (len)
        memcpy(copy, buf, len);
    return parse_owned(copy, len, &r, out);
}

qcts_st_status qcts_st_read_file(const char *path, qcts_st_file **out, char *err, size_t errlen)
{
    rd r = { path ? path : "<null>", err, errlen };
    if (out)
        *out = NULL;
    if (!path || !out) {
        st_msg(err, errlen, "%s: qcts_st_read_file: NULL %s", r.fname, path ? "output pointer" : "path");
        return QCTS_ST_ERR_ARG;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        st_msg(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return QCTS_ST_ERR_IO;
    }
    struct stat st;
    size_t cap = 1 << 16;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        if ((uint64_t)st.st_size >= (uint64_t)SIZE_MAX) {
            close(fd);
            st_msg(err, errlen, "%s: file too large for memory", path);
            return QCTS_ST_ERR_NOMEM;
        }
        cap = (size_t)st.st_size + 1; /* +1: EOF is seen without a realloc */
    }
    uint8_t *buf = malloc(cap);
    size_t len = 0;
    if (!buf)
        goto nomem;
    for (;;) {
        if (len == cap) {
            if (cap > SIZE_MAX / 2)
                goto nomem;
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb)
                goto nomem;
            buf = nb;
            cap *= 2;
        }
        ssize_t got = read(fd, buf + len, cap - len);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            st_msg(err, errlen, "%s: read failed: %s", path, strerror(errno));
            free(buf);
            close(fd);
            return QCTS_ST_ERR_IO;
        }
        if (got == 0)
            break;
        len += (size_t)got;
    }
    close(fd);
    return parse_owned(buf, len, &r, out);

nomem:
    free(buf);
    close(fd);
    st_msg(err, errlen, "%s: out of memory", path);
    return QCTS_ST_ERR_NOMEM;
}

const qcts_st_tensor *qcts_st_find(const qcts_st_file *f, const char *name)
{
    if (!f || !name)
        return NULL;
    const priv *p = f->priv_;
    size_t lo = 0, hi = f->n_tensors;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(p->by_name[mid]->name, name);
        if (c == 0)
            return p->by_name[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const char *qcts_st_meta_get(const qcts_st_file *f, const char *key)
{
    if (!f || !key)
        return NULL;
    size_t lo = 0, hi = f->n_meta;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(f->meta[mid].key, key);
        if (c == 0)
            return f->meta[mid].value;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}
