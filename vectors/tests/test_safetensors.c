/* Tests of the safetensors container (vectors/include/qcts/safetensors.h):
 * round trips of every dtype, byte-exact writer output (against hard-coded
 * bytes, the Rust crate's own test vectors and files written by Python's
 * safetensors), atomic writes, and hostile input: every truncation, every
 * single-bit flip, seeded random mutations and a table of crafted headers.
 * The hostile tests are meant to run under ASan/UBSan as well
 * (make SANITIZE=address,undefined).
 *
 * The fixtures vectors/tests/fixtures/python_written.safetensors and
 * python_written_packed.safetensors were made with safetensors 0.8.0 and
 * numpy 2.4.6 (python3 3.11; `pip install safetensors numpy`), by running
 * this in vectors/tests/fixtures (python3 - <<'EOF' ... EOF):
 *
 *   import numpy as np, safetensors
 *   from safetensors.numpy import save_file
 *   from safetensors import TensorSpec, serialize_file
 *   save_file({
 *       "c000/in.a": np.array([[1.5, -2.25, 0.0], [-0.0, np.inf, 1e-45]], dtype=np.float32),
 *       "c000/in.w": np.array([-128, -1, 0, 1, 127], dtype=np.int8),
 *       "c000/in.scales": np.array([1.0, -0.5, 65504.0], dtype=np.float16),
 *       "c000/in.idx": np.array([-1, 2**40 + 7], dtype=np.int64),
 *       "c000/out.mask": np.array([[True, False], [False, True]]),
 *       "c000/out.empty": np.zeros((0, 4), dtype=np.uint8),
 *   }, "python_written.safetensors",
 *      metadata={"qcts.fixture": '{"case":"c000","seed":7,"flags":["tie","nan"],"note":"\u00b5s\\n"}'})
 *   q = np.array([[0x10, 0x32, 0x54], [0x76, 0x98, 0xba]], dtype=np.uint8)  # F4 codes, 2 per byte
 *   e = np.array([127, 128, 0, 255], dtype=np.uint8)                          # E8M0: 1, 2, 2^-127, NaN
 *   m = np.array([0x38, 0xb8, 0x7e], dtype=np.uint8)                          # E4M3: 1, -1, 448
 *   serialize_file({
 *       "c001/in.codes": TensorSpec(dtype="float4_e2m1fn_x2", shape=list(q.shape), data_ptr=q.ctypes.data, data_len=q.nbytes),
 *       "c001/in.scales": TensorSpec(dtype="float8_e8m0fnu", shape=list(e.shape), data_ptr=e.ctypes.data, data_len=e.nbytes),
 *       "c001/in.a": TensorSpec(dtype="float8_e4m3fn", shape=list(m.shape), data_ptr=m.ctypes.data, data_len=m.nbytes),
 *   }, "python_written_packed.safetensors", metadata={"qcts.fixture": "packed"})
 *
 * Running it again gives identical bytes (one metadata key each, so the
 * crate's hash-map key order cannot vary). sha256:
 *   40da6fd3fcf3ef1e69734f68fdeb8606a60f19f0aeff0d2e5d24c83deeb8fb3a  python_written.safetensors
 *   a2731efb98ccdb64dc90940b963dafda6823ba3c95b5402cf55fe818be54a8e5  python_written_packed.safetensors
 */
#include "qcts/safetensors.h"
#include "qtest.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ERRLEN QCTS_ST_ERRLEN

/* ---- helpers ---------------------------------------------------------------- */

static uint8_t *read_whole(const char *path, size_t *len)
{
    *len = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (n == cap)
            buf = realloc(buf, cap *= 2);
        size_t got = fread(buf + n, 1, cap - n, fp);
        if (got == 0)
            break;
        n += got;
    }
    fclose(fp);
    *len = n;
    return buf;
}

/* 8-byte length + header (exactly as given) + dlen bytes of data. */
static uint8_t *mkfile(const char *header, const void *data, size_t dlen, size_t *len)
{
    size_t hn = strlen(header);
    *len = 8 + hn + dlen;
    uint8_t *b = malloc(*len ? *len : 1);
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)((uint64_t)hn >> (8 * i));
    memcpy(b + 8, header, hn);
    if (dlen) {
        if (data)
            memcpy(b + 8 + hn, data, dlen);
        else
            memset(b + 8 + hn, 0, dlen);
    }
    return b;
}

static const void *find_bytes(const void *hay, size_t n, const void *needle, size_t m)
{
    for (size_t i = 0; m <= n && i <= n - m; i++)
        if (memcmp((const char *)hay + i, needle, m) == 0)
            return (const char *)hay + i;
    return NULL;
}

static void set_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static qcts_st_status parse_buf(const uint8_t *b, size_t len, char *err)
{
    qcts_st_file *f = NULL;
    qcts_st_status s = qcts_st_read_mem(b, len, "x.safetensors", &f, err, ERRLEN);
    qcts_st_free(f);
    return s;
}

static qcts_st_status parse_json(const char *header, size_t dlen, char *err)
{
    size_t len;
    uint8_t *b = mkfile(header, NULL, dlen, &len);
    qcts_st_status s = parse_buf(b, len, err);
    free(b);
    return s;
}

static char tmpdir[256];

static void make_tmpdir(void)
{
    const char *t = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/qcts-st-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(tmpdir))
        snprintf(tmpdir, sizeof tmpdir, "/tmp");
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    if (!d)
        return -1;
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static void remove_tmpdir(void)
{
    DIR *d = opendir(tmpdir);
    if (!d)
        return;
    char p[512];
    for (struct dirent *e; (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
        if (rmdir(p) != 0)
            unlink(p);
    }
    closedir(d);
    rmdir(tmpdir);
}

static const char *fixture_path(const char *name, char *buf, size_t cap)
{
    snprintf(buf, cap, "vectors/tests/fixtures/%s", name);
#ifdef QCTS_VECTORS_FIXTURES
    if (access(buf, R_OK) != 0)
        snprintf(buf, cap, "%s/%s", QCTS_VECTORS_FIXTURES, name);
#endif
    return buf;
}

/* Everything a successfully parsed file promises (qcts/safetensors.h). */
static int check_invariants(const qcts_st_file *f, size_t len, const char *ctx)
{
    int ok = 1;
    ok &= QCHECK(8 + f->header_len + f->data_size == len, "%s: sizes %llu + %zu != %zu", ctx,
                 (unsigned long long)f->header_len, f->data_size, len);
    uint64_t at = 0;
    for (size_t i = 0; i < f->n_tensors && ok; i++) {
        const qcts_st_tensor *t = &f->tensors[i];
        unsigned bits = qcts_st_dtype_bits(t->dtype);
        uint64_t ne = 1;
        for (int d = 0; d < t->ndim; d++)
            ne *= (uint64_t)t->shape[d];
        ok &= QCHECK(bits && t->ndim >= 0 && t->ndim <= QCTS_ST_MAX_DIMS, "%s: tensor %zu dtype/ndim", ctx, i);
        ok &= QCHECK(t->nelems == ne && t->nbytes == ne * bits / 8 && ne * bits % 8 == 0,
                     "%s: tensor %zu size", ctx, i);
        ok &= QCHECK(t->offset == at && (const uint8_t *)t->data == f->data + t->offset &&
                     t->offset + t->nbytes <= f->data_size,
                     "%s: tensor %zu offsets", ctx, i);
        ok &= QCHECK(qcts_st_find(f, t->name) == t, "%s: find(%s)", ctx, t->name);
        at += t->nbytes;
    }
    ok &= QCHECK(at == f->data_size, "%s: coverage", ctx);
    for (size_t i = 0; i < f->n_meta && ok; i++) {
        ok &= QCHECK(i == 0 || strcmp(f->meta[i - 1].key, f->meta[i].key) < 0, "%s: meta order", ctx);
        ok &= QCHECK(qcts_st_meta_get(f, f->meta[i].key) == f->meta[i].value, "%s: meta_get", ctx);
    }
    return ok;
}

static uint64_t rng_state;
static uint64_t rng(void)
{
    uint64_t x = rng_state; /* xorshift64* */
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545F4914F6CDD1Du;
}

/* ---- dtypes and status ------------------------------------------------------- */

static void test_dtype_table(void)
{
    static const struct { const char *name; unsigned bits; qcts_st_dtype d; } want[] = {
        { "BOOL", 8, QCTS_ST_BOOL },       { "F4", 4, QCTS_ST_F4 },
        { "F6_E2M3", 6, QCTS_ST_F6_E2M3 }, { "F6_E3M2", 6, QCTS_ST_F6_E3M2 },
        { "U8", 8, QCTS_ST_U8 },           { "I8", 8, QCTS_ST_I8 },
        { "F8_E5M2", 8, QCTS_ST_F8_E5M2 }, { "F8_E4M3", 8, QCTS_ST_F8_E4M3 },
        { "F8_E8M0", 8, QCTS_ST_F8_E8M0 }, { "F8_E4M3FNUZ", 8, QCTS_ST_F8_E4M3FNUZ },
        { "F8_E5M2FNUZ", 8, QCTS_ST_F8_E5M2FNUZ },
        { "I16", 16, QCTS_ST_I16 },        { "U16", 16, QCTS_ST_U16 },
        { "F16", 16, QCTS_ST_F16 },        { "BF16", 16, QCTS_ST_BF16 },
        { "I32", 32, QCTS_ST_I32 },        { "U32", 32, QCTS_ST_U32 },
        { "F32", 32, QCTS_ST_F32 },        { "C64", 64, QCTS_ST_C64 },
        { "F64", 64, QCTS_ST_F64 },        { "I64", 64, QCTS_ST_I64 },
        { "U64", 64, QCTS_ST_U64 },
    };
    int n = (int)(sizeof want / sizeof want[0]);
    CU_ASSERT_EQUAL(n, QCTS_ST_DTYPE_COUNT);
    for (int i = 0; i < n; i++) {
        /* the enum order is the crate's Dtype order (the writer sorts by it) */
        QCHECK(want[i].d == (qcts_st_dtype)i, "%s is %d, expected %d", want[i].name, (int)want[i].d, i);
        QCHECK(qcts_st_dtype_from_name(want[i].name) == want[i].d, "from_name(%s)", want[i].name);
        QCHECK(strcmp(qcts_st_dtype_name(want[i].d), want[i].name) == 0, "name(%d)", i);
        QCHECK(qcts_st_dtype_bits(want[i].d) == want[i].bits, "bits(%s) = %u", want[i].name,
               qcts_st_dtype_bits(want[i].d));
    }
    static const char *const bad[] = { "", "f32", "F8", "float32", "F32 ", " F32", "U128", "F4_E2M1", "__metadata__" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        QCHECK(qcts_st_dtype_from_name(bad[i]) == QCTS_ST_DTYPE_INVALID, "from_name('%s') accepted", bad[i]);
    CU_ASSERT_EQUAL(qcts_st_dtype_from_name(NULL), QCTS_ST_DTYPE_INVALID);
    CU_ASSERT_PTR_NULL(qcts_st_dtype_name(QCTS_ST_DTYPE_INVALID));
    CU_ASSERT_PTR_NULL(qcts_st_dtype_name(QCTS_ST_DTYPE_COUNT));
    CU_ASSERT_EQUAL(qcts_st_dtype_bits(QCTS_ST_DTYPE_INVALID), 0);
    CU_ASSERT_EQUAL(qcts_st_dtype_bits(QCTS_ST_DTYPE_COUNT), 0);

    for (int s = 0; s < QCTS_ST_STATUS_COUNT; s++) {
        const char *name = qcts_st_status_name((qcts_st_status)s);
        QCHECK(name && *name && strcmp(name, "unknown_status") != 0, "status %d has no name", s);
        for (int t = 0; t < s; t++)
            QCHECK(strcmp(name, qcts_st_status_name((qcts_st_status)t)) != 0, "status %d and %d share a name", s, t);
    }
    CU_ASSERT_STRING_EQUAL(qcts_st_status_name(QCTS_ST_OK), "ok");
    CU_ASSERT_STRING_EQUAL(qcts_st_status_name(QCTS_ST_STATUS_COUNT), "unknown_status");
}

/* ---- round trips --------------------------------------------------------------- */

static const struct { int ndim; int64_t shape[QCTS_ST_MAX_DIMS]; } shapes[] = {
    { 0, { 0 } },                        /* scalar: 1 element */
    { 1, { 0 } },                        /* zero-size */
    { 2, { 0, 5 } },                     /* zero-size, 2-D */
    { 1, { 3 } },
    { 2, { 1, 2 } },                     /* F4: 1 byte */
    { 2, { 3, 2 } },                     /* F4: 3 bytes (odd byte count, odd dim) */
    { 2, { 5, 6 } },                     /* F4: 15 bytes */
    { 1, { 4 } },                        /* F6: 3 bytes */
    { 2, { 3, 4 } },                     /* F6: 9 bytes */
    { 3, { 3, 1, 8 } },
    { 8, { 1, 1, 1, 1, 1, 1, 3, 2 } },   /* the most dims */
};
#define N_SHAPES (sizeof shapes / sizeof shapes[0])

static uint8_t pattern(size_t tensor, size_t byte) { return (uint8_t)(tensor * 37u + byte * 11u + 5u); }

/* Adds every (dtype, shape) whose size is a whole number of bytes. */
static size_t add_all(qcts_st_writer *w)
{
    size_t n = 0;
    uint8_t buf[512];
    for (int d = 0; d < QCTS_ST_DTYPE_COUNT; d++)
        for (size_t s = 0; s < N_SHAPES; s++) {
            uint64_t ne = 1;
            for (int k = 0; k < shapes[s].ndim; k++)
                ne *= (uint64_t)shapes[s].shape[k];
            uint64_t nbits = ne * qcts_st_dtype_bits((qcts_st_dtype)d);
            if (nbits % 8)
                continue;
            size_t nb = (size_t)(nbits / 8);
            char name[64];
            snprintf(name, sizeof name, "c%03zu/in.%s", s, qcts_st_dtype_name((qcts_st_dtype)d));
            size_t id = (size_t)d * N_SHAPES + s;
            for (size_t i = 0; i < nb; i++)
                buf[i] = pattern(id, i);
            qcts_st_status st = qcts_st_writer_add_tensor(w, name, (qcts_st_dtype)d, shapes[s].shape,
                                                          shapes[s].ndim, buf, nb);
            QCHECK(st == QCTS_ST_OK, "add %s: %s %s", name, qcts_st_status_name(st), qcts_st_writer_error(w));
            n++;
        }
    return n;
}

static void check_all(const qcts_st_file *f, size_t n_expected)
{
    CU_ASSERT_EQUAL(f->n_tensors, n_expected);
    size_t seen = 0;
    for (int d = 0; d < QCTS_ST_DTYPE_COUNT; d++)
        for (size_t s = 0; s < N_SHAPES; s++) {
            char name[64];
            snprintf(name, sizeof name, "c%03zu/in.%s", s, qcts_st_dtype_name((qcts_st_dtype)d));
            const qcts_st_tensor *t = qcts_st_find(f, name);
            uint64_t ne = 1;
            for (int k = 0; k < shapes[s].ndim; k++)
                ne *= (uint64_t)shapes[s].shape[k];
            uint64_t nbits = ne * qcts_st_dtype_bits((qcts_st_dtype)d);
            if (nbits % 8) {
                QCHECK(!t, "%s should not be there", name);
                continue;
            }
            if (!QCHECK(t != NULL, "%s missing", name))
                continue;
            seen++;
            QCHECK(t->dtype == (qcts_st_dtype)d && t->ndim == shapes[s].ndim && t->nelems == ne &&
                   t->nbytes == nbits / 8,
                   "%s: dtype/ndim/nelems/nbytes", name);
            for (int k = 0; k < QCTS_ST_MAX_DIMS; k++)
                QCHECK(t->shape[k] == (k < t->ndim ? shapes[s].shape[k] : 0), "%s: shape[%d]", name, k);
            size_t id = (size_t)d * N_SHAPES + s, bad = 0;
            for (size_t i = 0; i < t->nbytes; i++)
                bad += ((const uint8_t *)t->data)[i] != pattern(id, i);
            QCHECK(bad == 0, "%s: %zu data bytes differ", name, bad);
            /* descending dtype order keeps every tensor of >= 1 byte per
             * element aligned to its element size within the file */
            unsigned bytes = qcts_st_dtype_bits(t->dtype) / 8;
            if (bytes)
                QCHECK((8 + f->header_len + t->offset) % bytes == 0, "%s: file offset %llu not aligned to %u",
                       name, (unsigned long long)(8 + f->header_len + t->offset), bytes);
        }
    CU_ASSERT_EQUAL(seen, n_expected);
    /* file order: dtype descending, then name */
    for (size_t i = 1; i < f->n_tensors; i++) {
        const qcts_st_tensor *a = &f->tensors[i - 1], *b = &f->tensors[i];
        QCHECK(a->dtype > b->dtype || (a->dtype == b->dtype && strcmp(a->name, b->name) < 0),
               "file order: %s before %s", a->name, b->name);
    }
}

static void test_roundtrip_every_dtype(void)
{
    make_tmpdir();
    char path[512], err[ERRLEN];
    snprintf(path, sizeof path, "%s/all.safetensors", tmpdir);
    qcts_st_writer *w = qcts_st_writer_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    size_t n = add_all(w);
    CU_ASSERT(n > 150);
    qcts_st_status s = qcts_st_writer_write_file(w, path, err, sizeof err);
    QCHECK(s == QCTS_ST_OK && err[0] == '\0', "write_file: %s %s", qcts_st_status_name(s), err);
    CU_ASSERT_EQUAL(count_entries(tmpdir), 1);

    qcts_st_file *f = NULL;
    s = qcts_st_read_file(path, &f, err, sizeof err);
    QCHECK(s == QCTS_ST_OK && err[0] == '\0', "read_file: %s %s", qcts_st_status_name(s), err);
    if (f) {
        size_t len;
        uint8_t *raw = read_whole(path, &len);
        check_invariants(f, len, "all");
        check_all(f, n);
        CU_ASSERT_EQUAL(f->header_len % 8, 0);
        CU_ASSERT_EQUAL(f->n_meta, 0);
        /* write_file and serialize give the same bytes */
        uint8_t *mem;
        size_t mlen;
        CU_ASSERT_EQUAL(qcts_st_writer_serialize(w, &mem, &mlen, err, sizeof err), QCTS_ST_OK);
        CU_ASSERT(mlen == len && mem && raw && memcmp(mem, raw, len) == 0);
        /* no metadata: no __metadata__ entry */
        CU_ASSERT(raw && len > 24 && memcmp(raw + 8, "{\"c", 3) == 0);
        /* the copy read from memory is the same */
        qcts_st_file *g = NULL;
        CU_ASSERT_EQUAL(qcts_st_read_mem(mem, mlen, "mem", &g, err, sizeof err), QCTS_ST_OK);
        free(mem); /* the file owns a copy */
        if (g) {
            check_all(g, n);
            qcts_st_free(g);
        }
        free(raw);
    }
    qcts_st_free(f);
    qcts_st_writer_free(w);
    remove_tmpdir();
}

static void test_roundtrip_metadata(void)
{
    static const char *const kv[][2] = {
        { "qcts.format_version", "1" },
        { "op", "gemv" },
        { "case/c007", "{\"shape\":[4,128],\"seed\":7,\"check\":\"exact\",\"flags\":[\"tie\",\"k_tail\"]}" },
        { "quote\"back\\slash", "ctl \x01\x08\x09\x0a\x0c\x0d\x1f del \x7f" },
        { "utf8.\xc2\xb5", "\xe2\x82\xac \xf0\x9f\x98\x80 /slash" },
        { "empty", "" },
        { "", "empty key" },
        { "A", "upper case sorts first" },
    };
    size_t n = sizeof kv / sizeof kv[0];
    qcts_st_writer *w = qcts_st_writer_new();
    CU_ASSERT_EQUAL(qcts_st_writer_set_meta(w, "op", "will be replaced"), QCTS_ST_OK);
    for (size_t i = n; i-- > 0;)
        CU_ASSERT_EQUAL(qcts_st_writer_set_meta(w, kv[i][0], kv[i][1]), QCTS_ST_OK);
    int64_t shape[1] = { 2 };
    uint16_t v[2] = { 0x3c00, 0xc000 };
    CU_ASSERT_EQUAL(qcts_st_writer_add_tensor(w, "c007/out.y", QCTS_ST_F16, shape, 1, v, sizeof v), QCTS_ST_OK);
    uint8_t *buf;
    size_t len;
    char err[ERRLEN];
    CU_ASSERT_EQUAL_FATAL(qcts_st_writer_serialize(w, &buf, &len, err, sizeof err), QCTS_ST_OK);
    qcts_st_file *f = NULL;
    qcts_st_status s = qcts_st_read_mem(buf, len, "meta", &f, err, sizeof err);
    QCHECK(s == QCTS_ST_OK, "%s", err);
    if (f) {
        check_invariants(f, len, "meta");
        CU_ASSERT_EQUAL(f->n_meta, n);
        for (size_t i = 0; i < n; i++) {
            const char *got = qcts_st_meta_get(f, kv[i][0]);
            QCHECK(got && strcmp(got, kv[i][1]) == 0, "meta '%s' = '%s'", kv[i][0], got ? got : "(null)");
        }
        CU_ASSERT_PTR_NULL(qcts_st_meta_get(f, "missing"));
        CU_ASSERT_PTR_NULL(qcts_st_meta_get(f, NULL));
        CU_ASSERT_PTR_NULL(qcts_st_meta_get(NULL, "op"));
        CU_ASSERT_STRING_EQUAL(f->meta[0].key, "");
        CU_ASSERT_STRING_EQUAL(f->meta[1].key, "A");
        /* metadata comes first, keys sorted, serde_json escapes */
        const char *h = (const char *)buf + 8;
        static const char start[] = "{\"__metadata__\":{\"\":\"empty key\",\"A\":";
        CU_ASSERT(memcmp(h, start, sizeof start - 1) == 0);
        static const char esc[] = "\"quote\\\"back\\\\slash\":\"ctl \\u0001\\b\\t\\n\\f\\r\\u001f del \x7f\"";
        CU_ASSERT_PTR_NOT_NULL(find_bytes(h, (size_t)f->header_len, esc, sizeof esc - 1));
        static const char raw_utf8[] = "\"utf8.\xc2\xb5\":\"\xe2\x82\xac \xf0\x9f\x98\x80 /slash\"";
        CU_ASSERT_PTR_NOT_NULL(find_bytes(h, (size_t)f->header_len, raw_utf8, sizeof raw_utf8 - 1));
    }
    qcts_st_free(f);
    free(buf);
    qcts_st_writer_free(w);
}

/* ---- byte-exact writer output ------------------------------------------------ */

static int serialize_equals(const qcts_st_writer *w, const void *want, size_t want_len, const char *what)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    char err[ERRLEN];
    qcts_st_status s = qcts_st_writer_serialize(w, &buf, &len, err, sizeof err);
    int ok = QCHECK(s == QCTS_ST_OK, "%s: %s", what, err);
    if (ok) {
        size_t i = 0;
        while (i < len && i < want_len && buf[i] == ((const uint8_t *)want)[i])
            i++;
        ok = QCHECK(len == want_len && i == len, "%s: %zu bytes, expected %zu; first difference at byte %zu", what,
                    len, want_len, i);
    }
    free(buf);
    return ok;
}

static void test_writer_exact_bytes(void)
{
    /* A small golden-style file; bytes checked against Python's safetensors
     * 0.8.0 serialize() of the same content. */
    static const char want[] =
        "\xf0\0\0\0\0\0\0\0"
        "{\"__metadata__\":{\"qcts.format_version\":\"1\"},"
        "\"c000/in.a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        "\"c000/out.y\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[8,10]},"
        "\"c000/in.codes\":{\"dtype\":\"F4\",\"shape\":[3,2],\"data_offsets\":[10,13]}}    "
        "\x00\x00\x80\x3f\x00\x00\x00\xc0" /* 1.0f, -2.0f */
        "\x00\x3c"                         /* 1.0 in F16 */
        "\x21\x43\x65";                    /* six F4 codes */
    qcts_st_writer *w = qcts_st_writer_new();
    int64_t s2[1] = { 2 }, s1[1] = { 1 }, s32[2] = { 3, 2 };
    static const uint8_t codes[3] = { 0x21, 0x43, 0x65 }, y[2] = { 0x00, 0x3c },
                         a[8] = { 0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0 };
    CU_ASSERT_EQUAL(qcts_st_writer_add_tensor(w, "c000/in.codes", QCTS_ST_F4, s32, 2, codes, 3), QCTS_ST_OK);
    CU_ASSERT_EQUAL(qcts_st_writer_add_tensor(w, "c000/out.y", QCTS_ST_F16, s1, 1, y, 2), QCTS_ST_OK);
    CU_ASSERT_EQUAL(qcts_st_writer_add_tensor(w, "c000/in.a", QCTS_ST_F32, s2, 1, a, 8), QCTS_ST_OK);
    CU_ASSERT_EQUAL(qcts_st_writer_set_meta(w, "qcts.format_version", "1"), QCTS_ST_OK);
    serialize_equals(w, want, sizeof want - 1, "small golden file");
    qcts_st_writer_free(w);

    /* The Rust crate's own serializer test vectors (tensor.rs tests
     * test_serialization, test_serialization_forced_alignement, test_empty). */
    static const float f6[6] = { 0, 1, 2, 3, 4, 5 };
    static const char attn[] = "\x40\0\0\0\0\0\0\0"
                               "{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}";
    static const char attn0[] = "\x48\0\0\0\0\0\0\0"
                                "{\"attn0\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],\"data_offsets\":[0,24]}}       ";
    uint8_t want2[sizeof attn0 - 1 + 24];
    int64_t shp3[3] = { 1, 2, 3 }, shp4[4] = { 1, 1, 2, 3 };
    w = qcts_st_writer_new();
    qcts_st_writer_add_tensor(w, "attn.0", QCTS_ST_F32, shp3, 3, f6, sizeof f6);
    memcpy(want2, attn, sizeof attn - 1);
    memcpy(want2 + sizeof attn - 1, f6, sizeof f6);
    serialize_equals(w, want2, sizeof attn - 1 + 24, "crate test_serialization");
    qcts_st_writer_free(w);
    w = qcts_st_writer_new();
    qcts_st_writer_add_tensor(w, "attn0", QCTS_ST_F32, shp4, 4, f6, sizeof f6);
    memcpy(want2, attn0, sizeof attn0 - 1);
    memcpy(want2 + sizeof attn0 - 1, f6, sizeof f6);
    serialize_equals(w, want2, sizeof want2, "crate test_serialization_forced_alignement");
    qcts_st_writer_free(w);
    w = qcts_st_writer_new();
    serialize_equals(w, "\x08\0\0\0\0\0\0\0{}      ", 16, "crate test_empty");
    qcts_st_writer_set_meta(w, "framework", "pt");
    serialize_equals(w, "\x28\0\0\0\0\0\0\0{\"__metadata__\":{\"framework\":\"pt\"}}     ", 48,
                     "crate test_empty with metadata");
    qcts_st_writer_free(w);
}

static void test_writer_deterministic(void)
{
    /* The same content added in different orders gives the same bytes. */
    static const char *const names[] = { "b", "a", "c007/in.a", "c007/in.w", "c007/in.scales", "c007/out.y", "z" };
    static const qcts_st_dtype dts[] = { QCTS_ST_U8, QCTS_ST_U8, QCTS_ST_BF16, QCTS_ST_F4, QCTS_ST_F8_E8M0,
                                         QCTS_ST_F32, QCTS_ST_U64 };
    size_t n = sizeof names / sizeof names[0];
    uint8_t *first = NULL;
    size_t first_len = 0;
    rng_state = 0x5eed0001;
    for (int round = 0; round < 20; round++) {
        size_t perm[16];
        for (size_t i = 0; i < n; i++)
            perm[i] = i;
        for (size_t i = n - 1; i > 0 && round > 0; i--) {
            size_t j = (size_t)(rng() % (i + 1)), t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        qcts_st_writer *w = qcts_st_writer_new();
        for (size_t k = 0; k < n; k++) {
            size_t i = perm[k];
            int64_t shape[2] = { 2, 4 };
            uint8_t data[64];
            size_t nb = 8 * qcts_st_dtype_bits(dts[i]) / 8;
            memset(data, (int)i + 1, nb);
            CU_ASSERT_EQUAL(qcts_st_writer_add_tensor(w, names[i], dts[i], shape, 2, data, nb), QCTS_ST_OK);
            char key[8];
            snprintf(key, sizeof key, "k%zu", i);
            qcts_st_writer_set_meta(w, key, names[i]);
        }
        uint8_t *buf;
        size_t len;
        char err[ERRLEN];
        CU_ASSERT_EQUAL_FATAL(qcts_st_writer_serialize(w, &buf, &len, err, sizeof err), QCTS_ST_OK);
        if (!first) {
            first = buf;
            first_len = len;
            /* order: U64 z, F32 c007/out.y, BF16 c007/in.a, F8_E8M0, U8 a, U8 b, F4 */
            const char *h = (const char *)buf + 8;
            const char *order[] = { "\"z\":", "\"c007/out.y\":", "\"c007/in.a\":", "\"c007/in.scales\":",
                                    "\"a\":", "\"b\":", "\"c007/in.w\":" };
            const char *prev = h;
            for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
                const char *at = strstr(h, order[i]);
                QCHECK(at && at > prev, "%s out of order", order[i]);
                if (at)
                    prev = at;
            }
        } else {
            QCHECK(len == first_len && memcmp(buf, first, len) == 0, "round %d: bytes differ", round);
            free(buf);
        }
        qcts_st_writer_free(w);
    }
    free(first);
}

/* ---- files written by Python's safetensors ----------------------------------------- */

static int bytes_are(const qcts_st_tensor *t, const void *want, size_t n)
{
    return t && t->nbytes == n && memcmp(t->data, want, n) == 0;
}

static const char fixture_meta[] =
    "{\"case\":\"c000\",\"seed\":7,\"flags\":[\"tie\",\"nan\"],\"note\":\"\xc2\xb5s\\n\"}";

static void test_python_fixture(void)
{
    char path[512], err[ERRLEN];
    qcts_st_file *f = NULL;
    fixture_path("python_written.safetensors", path, sizeof path);
    qcts_st_status s = qcts_st_read_file(path, &f, err, sizeof err);
    if (!QCHECK(s == QCTS_ST_OK, "%s (run from the repository root)", err))
        return;
    size_t len;
    uint8_t *raw = read_whole(path, &len);
    CU_ASSERT_EQUAL(len, 575);
    CU_ASSERT_EQUAL(f->header_len, 512);
    check_invariants(f, len, "python fixture");

    CU_ASSERT_EQUAL(f->n_meta, 1);
    const char *m = qcts_st_meta_get(f, "qcts.fixture");
    QCHECK(m && strcmp(m, fixture_meta) == 0, "metadata is '%s'", m ? m : "(null)");

    /* file order: I64, F32, F16, I8, U8, BOOL (dtype descending, then name) */
    static const char *const order[] = { "c000/in.idx", "c000/in.a", "c000/in.scales",
                                         "c000/in.w", "c000/out.empty", "c000/out.mask" };
    CU_ASSERT_EQUAL_FATAL(f->n_tensors, 6);
    for (int i = 0; i < 6; i++)
        QCHECK(strcmp(f->tensors[i].name, order[i]) == 0, "tensor %d is %s", i, f->tensors[i].name);

    const qcts_st_tensor *t = qcts_st_find(f, "c000/in.a");
    CU_ASSERT(t && t->dtype == QCTS_ST_F32 && t->ndim == 2 && t->shape[0] == 2 && t->shape[1] == 3 &&
              t->nelems == 6 && t->offset == 16);
    static const uint32_t a_bits[6] = { 0x3fc00000, 0xc0100000, 0x00000000, 0x80000000, 0x7f800000, 0x00000001 };
    if (t && t->nbytes == 24)
        for (int i = 0; i < 6; i++) {
            uint32_t u;
            memcpy(&u, (const uint8_t *)t->data + 4 * i, 4);
            QCHECK(u == a_bits[i], "in.a[%d] = 0x%08x, expected 0x%08x", i, u, a_bits[i]);
        }
    t = qcts_st_find(f, "c000/in.w");
    static const int8_t w_vals[5] = { -128, -1, 0, 1, 127 };
    CU_ASSERT(t && t->dtype == QCTS_ST_I8 && t->ndim == 1 && t->shape[0] == 5 && bytes_are(t, w_vals, 5));
    t = qcts_st_find(f, "c000/in.scales");
    static const uint16_t sc[3] = { 0x3c00, 0xb800, 0x7bff };
    CU_ASSERT(t && t->dtype == QCTS_ST_F16 && t->ndim == 1 && t->shape[0] == 3 && bytes_are(t, sc, 6));
    t = qcts_st_find(f, "c000/in.idx");
    static const int64_t idx[2] = { -1, ((int64_t)1 << 40) + 7 };
    CU_ASSERT(t && t->dtype == QCTS_ST_I64 && t->ndim == 1 && t->shape[0] == 2 && t->offset == 0 &&
              bytes_are(t, idx, 16));
    t = qcts_st_find(f, "c000/out.mask");
    static const uint8_t mask[4] = { 1, 0, 0, 1 };
    CU_ASSERT(t && t->dtype == QCTS_ST_BOOL && t->ndim == 2 && t->shape[0] == 2 && t->shape[1] == 2 &&
              bytes_are(t, mask, 4));
    t = qcts_st_find(f, "c000/out.empty");
    CU_ASSERT(t && t->dtype == QCTS_ST_U8 && t->ndim == 2 && t->shape[0] == 0 && t->shape[1] == 4 &&
              t->nelems == 0 && t->nbytes == 0 && t->offset == 51);
    CU_ASSERT_PTR_NULL(qcts_st_find(f, "c000/in"));

    /* Our writer reproduces the file byte for byte. */
    qcts_st_writer *w = qcts_st_writer_new();
    for (size_t i = 0; i < f->n_tensors; i++) {
        const qcts_st_tensor *u = &f->tensors[f->n_tensors - 1 - i];
        CU_ASSERT_EQUAL(qcts_st_writer_add_tensor(w, u->name, u->dtype, u->shape, u->ndim, u->data, u->nbytes),
                        QCTS_ST_OK);
    }
    qcts_st_writer_set_meta(w, "qcts.fixture", fixture_meta);
    if (raw)
        serialize_equals(w, raw, len, "rewrite of python_written.safetensors");
    qcts_st_writer_free(w);
    free(raw);
    qcts_st_free(f);
}

static void test_python_fixture_packed(void)
{
    char path[512], err[ERRLEN];
    qcts_st_file *f = NULL;
    fixture_path("python_written_packed.safetensors", path, sizeof path);
    qcts_st_status s = qcts_st_read_file(path, &f, err, sizeof err);
    if (!QCHECK(s == QCTS_ST_OK, "%s (run from the repository root)", err))
        return;
    size_t len;
    uint8_t *raw = read_whole(path, &len);
    check_invariants(f, len, "packed fixture");
    CU_ASSERT_STRING_EQUAL(qcts_st_meta_get(f, "qcts.fixture"), "packed");
    CU_ASSERT_EQUAL_FATAL(f->n_tensors, 3);
    /* torch's float4_e2m1fn_x2 storage shape [2,3] is the header shape [2,6] */
    const qcts_st_tensor *t = qcts_st_find(f, "c001/in.codes");
    static const uint8_t codes[6] = { 0x10, 0x32, 0x54, 0x76, 0x98, 0xba };
    CU_ASSERT(t && t->dtype == QCTS_ST_F4 && t->ndim == 2 && t->shape[0] == 2 && t->shape[1] == 6 &&
              t->nelems == 12 && bytes_are(t, codes, 6));
    t = qcts_st_find(f, "c001/in.scales");
    static const uint8_t e8[4] = { 127, 128, 0, 255 };
    CU_ASSERT(t && t->dtype == QCTS_ST_F8_E8M0 && t->ndim == 1 && t->shape[0] == 4 && bytes_are(t, e8, 4));
    t = qcts_st_find(f, "c001/in.a");
    static const uint8_t e4[3] = { 0x38, 0xb8, 0x7e };
    CU_ASSERT(t && t->dtype == QCTS_ST_F8_E4M3 && t->ndim == 1 && t->shape[0] == 3 && bytes_are(t, e4, 3));
    /* the F8 tensors come before F4, and F8_E8M0 before F8_E4M3 */
    CU_ASSERT_STRING_EQUAL(f->tensors[0].name, "c001/in.scales");
    CU_ASSERT_STRING_EQUAL(f->tensors[2].name, "c001/in.codes");

    qcts_st_writer *w = qcts_st_writer_new();
    for (size_t i = 0; i < f->n_tensors; i++) {
        const qcts_st_tensor *u = &f->tensors[i];
        qcts_st_writer_add_tensor(w, u->name, u->dtype, u->shape, u->ndim, u->data, u->nbytes);
    }
    qcts_st_writer_set_meta(w, "qcts.fixture", "packed");
    if (raw)
        serialize_equals(w, raw, len, "rewrite of python_written_packed.safetensors");
    qcts_st_writer_free(w);
    free(raw);
    qcts_st_free(f);
}

/* ---- reader on a hand-made file -------------------------------------------------- */

static void test_reader_crafted(void)
{
    /* Written the way a naive json.dumps writer would: spaces after ':' and
     * ',', entries in no particular order, __metadata__ in the middle, keys
     * of a tensor entry reordered, metadata keys unsorted, and the header
     * padded with 5 spaces to N = 242 (not a multiple of 8, so data start
     * unaligned). */
    static const char file[] =
        "\xf2\x00\x00\x00\x00\x00\x00\x00"
        "{\"b\": {\"dtype\": \"U8\", \"shape\": [2], \"data_offsets\": [4, 6]}, "
        "\"__metadata__\": {\"z\": \"last\", \"a\": \"first\"}, "
        "\"a\": {\"data_offsets\": [0, 4], \"shape\": [2], \"dtype\": \"I16\"}, "
        "\"c/q.codes\": {\"dtype\": \"F4\", \"shape\": [1, 2], \"data_offsets\": [6, 7]}}"
        "     "
        "\xfe\xff\x2c\x01" /* a: I16 -2, 300 */
        "\x07\x09"         /* b */
        "\x5a";            /* c/q.codes: two F4 codes */
    size_t len = sizeof file - 1;
    CU_ASSERT_EQUAL_FATAL(len, 8 + 242 + 7);
    CU_ASSERT_EQUAL(file[8 + 241], ' ');
    CU_ASSERT_EQUAL(file[8 + 236], '}');
    qcts_st_file *f = NULL;
    char err[ERRLEN];
    qcts_st_status s = qcts_st_read_mem(file, len, "crafted", &f, err, sizeof err);
    if (!QCHECK(s == QCTS_ST_OK, "%s", err))
        return;
    check_invariants(f, len, "crafted");
    CU_ASSERT_EQUAL(f->header_len, 242);
    CU_ASSERT_EQUAL(f->data_size, 7);
    CU_ASSERT_EQUAL_FATAL(f->n_tensors, 3);
    CU_ASSERT_STRING_EQUAL(f->tensors[0].name, "a"); /* data-offset order */
    CU_ASSERT_STRING_EQUAL(f->tensors[1].name, "b");
    CU_ASSERT_STRING_EQUAL(f->tensors[2].name, "c/q.codes");
    const qcts_st_tensor *t = qcts_st_find(f, "a");
    int16_t a[2];
    CU_ASSERT(t && t->dtype == QCTS_ST_I16 && t->nelems == 2 && t->nbytes == 4);
    if (t && t->nbytes == 4) {
        memcpy(a, t->data, 4); /* unaligned: memcpy */
        CU_ASSERT(a[0] == -2 && a[1] == 300);
    }
    t = qcts_st_find(f, "b");
    CU_ASSERT(t && t->dtype == QCTS_ST_U8 && bytes_are(t, "\x07\x09", 2));
    t = qcts_st_find(f, "c/q.codes");
    CU_ASSERT(t && t->dtype == QCTS_ST_F4 && t->ndim == 2 && t->shape[0] == 1 && t->shape[1] == 2 &&
              bytes_are(t, "\x5a", 1));
    CU_ASSERT_EQUAL_FATAL(f->n_meta, 2);
    CU_ASSERT_STRING_EQUAL(f->meta[0].key, "a");
    CU_ASSERT_STRING_EQUAL(f->meta[1].value, "last");
    CU_ASSERT_STRING_EQUAL(qcts_st_meta_get(f, "a"), "first");
    CU_ASSERT_PTR_NULL(qcts_st_find(f, "c"));
    CU_ASSERT_PTR_NULL(qcts_st_find(NULL, "a"));
    CU_ASSERT_PTR_NULL(qcts_st_find(f, NULL));
    qcts_st_free(f);
    qcts_st_free(NULL);
}

/* ---- writer errors and atomic files ------------------------------------------------ */

static void test_writer_errors(void)
{
    static const int64_t s22[2] = { 2, 2 }, s3[1] = { 3 }, s2[1] = { 2 }, neg[2] = { 2, -1 };
    static const int64_t big[2] = { (int64_t)1 << 62, (int64_t)1 << 62 }, bits_ovf[1] = { (int64_t)1 << 58 };
    static const int64_t nine[9] = { 1, 1, 1, 1, 1, 1, 1, 1, 1 };
    uint8_t data[64] = { 0 };
    static const struct {
        const char *name;
        qcts_st_dtype dt;
        const int64_t *shape;
        int ndim;
        int null_data;
        size_t nbytes;
        qcts_st_status want;
        const char *msg;
    } bad[] = {
        { "c007/in.a", QCTS_ST_F32, s22, 2, 0, 12, QCTS_ST_ERR_SIZE,
          "tensor 'c007/in.a': nbytes is 12 but dtype F32 shape [2,2] needs 16" },
        { "x", QCTS_ST_F4, s3, 1, 0, 1, QCTS_ST_ERR_MISALIGNED, "12 bits, not a whole number of bytes" },
        { "x", QCTS_ST_F6_E2M3, s2, 1, 0, 1, QCTS_ST_ERR_MISALIGNED, "dtype F6_E2M3 shape [2] is 12 bits" },
        { "x", QCTS_ST_U8, neg, 2, 0, 0, QCTS_ST_ERR_ARG, "shape[1] is -1" },
        { "x", QCTS_ST_U8, big, 2, 0, 0, QCTS_ST_ERR_OVERFLOW, "overflows" },
        { "x", QCTS_ST_U64, bits_ovf, 1, 0, 0, QCTS_ST_ERR_OVERFLOW, "overflows" },
        { "x", QCTS_ST_U8, nine, 9, 0, 1, QCTS_ST_ERR_ARG, "ndim 9" },
        { "x", QCTS_ST_U8, s2, -1, 0, 1, QCTS_ST_ERR_ARG, "ndim -1" },
        { "x", QCTS_ST_U8, NULL, 1, 0, 1, QCTS_ST_ERR_ARG, "shape is NULL but ndim is 1" },
        { "x", QCTS_ST_DTYPE_INVALID, s2, 1, 0, 2, QCTS_ST_ERR_ARG, "not a qcts_st_dtype" },
        { "x", QCTS_ST_DTYPE_COUNT, s2, 1, 0, 2, QCTS_ST_ERR_ARG, "not a qcts_st_dtype" },
        { "x", QCTS_ST_U8, s2, 1, 1, 2, QCTS_ST_ERR_ARG, "data is NULL" },
        { "__metadata__", QCTS_ST_U8, s2, 1, 0, 2, QCTS_ST_ERR_NAME, "reserved" },
        { "bad\xff", QCTS_ST_U8, s2, 1, 0, 2, QCTS_ST_ERR_UTF8, "'bad\\xff': name is not valid UTF-8" },
        { "dup", QCTS_ST_U8, s2, 1, 0, 2, QCTS_ST_ERR_DUPLICATE, "'dup' was already added" },
        { NULL, QCTS_ST_U8, s2, 1, 0, 2, QCTS_ST_ERR_ARG, "name is NULL" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        qcts_st_writer *w = qcts_st_writer_new();
        CU_ASSERT_EQUAL(qcts_st_writer_add_tensor(w, "dup", QCTS_ST_U8, s2, 1, data, 2), QCTS_ST_OK);
        CU_ASSERT_STRING_EQUAL(qcts_st_writer_error(w), "");
        qcts_st_status s = qcts_st_writer_add_tensor(w, bad[i].name, bad[i].dt, bad[i].shape, bad[i].ndim,
                                                     bad[i].null_data ? NULL : data, bad[i].nbytes);
        QCHECK(s == bad[i].want, "case %zu: %s, expected %s (%s)", i, qcts_st_status_name(s),
               qcts_st_status_name(bad[i].want), qcts_st_writer_error(w));
        QCHECK(strstr(qcts_st_writer_error(w), bad[i].msg) != NULL, "case %zu: message '%s' lacks '%s'", i,
               qcts_st_writer_error(w), bad[i].msg);
        /* sticky: later successful calls do not clear it, nothing is written */
        CU_ASSERT_EQUAL(qcts_st_writer_add_tensor(w, "ok2", QCTS_ST_U8, s2, 1, data, 2), QCTS_ST_OK);
        uint8_t *buf = (uint8_t *)1;
        size_t len = 1;
        char err[ERRLEN];
        QCHECK(qcts_st_writer_serialize(w, &buf, &len, err, sizeof err) == bad[i].want && !buf && len == 0,
               "case %zu: serialize after a failure", i);
        QCHECK(strstr(err, "not written: an earlier call failed") && strstr(err, bad[i].msg), "case %zu: '%s'", i,
               err);
        qcts_st_writer_free(w);
    }
    /* zero-size and scalar tensors are fine, data may then be NULL */
    qcts_st_writer *w = qcts_st_writer_new();
    int64_t z[2] = { 0, 7 };
    CU_ASSERT_EQUAL(qcts_st_writer_add_tensor(w, "empty", QCTS_ST_F4, z, 2, NULL, 0), QCTS_ST_OK);
    CU_ASSERT_EQUAL(qcts_st_writer_add_tensor(w, "scalar", QCTS_ST_F64, NULL, 0, data, 8), QCTS_ST_OK);
    CU_ASSERT_EQUAL(qcts_st_writer_set_meta(w, NULL, "v"), QCTS_ST_ERR_ARG);
    qcts_st_writer_free(w);
    w = qcts_st_writer_new();
    CU_ASSERT_EQUAL(qcts_st_writer_set_meta(w, "k", "\xc3\x28"), QCTS_ST_ERR_UTF8);
    CU_ASSERT(strstr(qcts_st_writer_error(w), "the value is not valid UTF-8") != NULL);
    qcts_st_writer_free(w);
    CU_ASSERT_EQUAL(qcts_st_writer_add_tensor(NULL, "x", QCTS_ST_U8, s2, 1, data, 2), QCTS_ST_ERR_ARG);
    CU_ASSERT_EQUAL(qcts_st_writer_set_meta(NULL, "k", "v"), QCTS_ST_ERR_ARG);
    CU_ASSERT_STRING_EQUAL(qcts_st_writer_error(NULL), "");
    qcts_st_writer_free(NULL);
}

static void test_write_file_atomic(void)
{
    make_tmpdir();
    char path[512], err[ERRLEN];
    snprintf(path, sizeof path, "%s/out.safetensors", tmpdir);
    int64_t s2[1] = { 2 };
    qcts_st_writer *w1 = qcts_st_writer_new(), *w2 = qcts_st_writer_new(), *bad = qcts_st_writer_new();
    qcts_st_writer_add_tensor(w1, "a", QCTS_ST_U8, s2, 1, "\x01\x02", 2);
    qcts_st_writer_add_tensor(w2, "b", QCTS_ST_U16, s2, 1, "\x01\x02\x03\x04", 4);
    qcts_st_writer_add_tensor(bad, "c", QCTS_ST_U16, s2, 1, "\x01\x02", 2); /* wrong size */

    CU_ASSERT_EQUAL(qcts_st_writer_write_file(w1, path, err, sizeof err), QCTS_ST_OK);
    size_t len1, len2;
    uint8_t *b1 = read_whole(path, &len1);
    /* replacing an existing file */
    CU_ASSERT_EQUAL(qcts_st_writer_write_file(w2, path, err, sizeof err), QCTS_ST_OK);
    uint8_t *b2 = read_whole(path, &len2);
    CU_ASSERT(b1 && b2 && len2 == len1 + 2 && memcmp(b1, b2, len1) != 0);
    CU_ASSERT_EQUAL(count_entries(tmpdir), 1);
    /* a failed writer leaves the existing file as it was and no temporary */
    qcts_st_status s = qcts_st_writer_write_file(bad, path, err, sizeof err);
    CU_ASSERT_EQUAL(s, QCTS_ST_ERR_SIZE);
    CU_ASSERT(strncmp(err, path, strlen(path)) == 0);
    size_t len3;
    uint8_t *b3 = read_whole(path, &len3);
    CU_ASSERT(b3 && len3 == len2 && memcmp(b2, b3, len2) == 0);
    CU_ASSERT_EQUAL(count_entries(tmpdir), 1);
    /* a missing directory: I/O error, nothing created */
    char missing[600];
    snprintf(missing, sizeof missing, "%s/no/such/dir/x.safetensors", tmpdir);
    s = qcts_st_writer_write_file(w1, missing, err, sizeof err);
    QCHECK(s == QCTS_ST_ERR_IO && strstr(err, "cannot create temporary file"), "%s: %s", qcts_st_status_name(s),
           err);
    CU_ASSERT_EQUAL(count_entries(tmpdir), 1);
    /* the target is a directory: rename fails, the temporary is removed */
    char dir[600];
    snprintf(dir, sizeof dir, "%s/adir", tmpdir);
    CU_ASSERT_EQUAL(mkdir(dir, 0777), 0);
    s = qcts_st_writer_write_file(w1, dir, err, sizeof err);
    QCHECK(s == QCTS_ST_ERR_IO && strstr(err, "rename failed"), "%s: %s", qcts_st_status_name(s), err);
    CU_ASSERT_EQUAL(count_entries(tmpdir), 2);
    CU_ASSERT_EQUAL(count_entries(dir), 0);
    /* reading what is not there */
    qcts_st_file *f = (qcts_st_file *)1;
    s = qcts_st_read_file(missing, &f, err, sizeof err);
    QCHECK(s == QCTS_ST_ERR_IO && f == NULL && strstr(err, "cannot open"), "%s: %s", qcts_st_status_name(s), err);
    CU_ASSERT_EQUAL(qcts_st_read_file(NULL, &f, err, sizeof err), QCTS_ST_ERR_ARG);
    CU_ASSERT_EQUAL(qcts_st_read_file(path, NULL, err, sizeof err), QCTS_ST_ERR_ARG);
    CU_ASSERT_EQUAL(qcts_st_read_mem(NULL, 3, NULL, &f, err, sizeof err), QCTS_ST_ERR_ARG);
    CU_ASSERT(strncmp(err, "<memory>:", 9) == 0);
    /* a tiny err buffer is truncated, never overrun; NULL err is allowed */
    char small[8];
    CU_ASSERT_EQUAL(qcts_st_read_mem("\0", 1, NULL, &f, small, sizeof small), QCTS_ST_ERR_TOO_SMALL);
    CU_ASSERT_EQUAL(strlen(small), 7);
    CU_ASSERT_EQUAL(qcts_st_read_mem("\0", 1, NULL, &f, NULL, 0), QCTS_ST_ERR_TOO_SMALL);
    CU_ASSERT_EQUAL(qcts_st_writer_write_file(w1, path, NULL, 0), QCTS_ST_OK);
    free(b1);
    free(b2);
    free(b3);
    qcts_st_writer_free(w1);
    qcts_st_writer_free(w2);
    qcts_st_writer_free(bad);
    remove_tmpdir();
}

/* ---- hostile input --------------------------------------------------------------------- */

/* A small valid file with metadata, several dtypes and a zero-size tensor. */
static uint8_t *small_file(size_t *len)
{
    qcts_st_writer *w = qcts_st_writer_new();
    int64_t s2[1] = { 2 }, s0[1] = { 0 }, s23[2] = { 2, 3 };
    qcts_st_writer_add_tensor(w, "c0/in.a", QCTS_ST_F32, s2, 1, "\x00\x00\x80\x3f\x00\x00\x00\xc0", 8);
    qcts_st_writer_add_tensor(w, "c0/in.w", QCTS_ST_F4, s23, 2, "\x12\x34\x56", 3);
    qcts_st_writer_add_tensor(w, "c0/out.e", QCTS_ST_U8, s0, 1, NULL, 0);
    qcts_st_writer_add_tensor(w, "c0/in.s", QCTS_ST_F8_E8M0, s2, 1, "\x7f\x80", 2);
    qcts_st_writer_set_meta(w, "op", "gemv");
    uint8_t *buf = NULL;
    qcts_st_writer_serialize(w, &buf, len, NULL, 0);
    qcts_st_writer_free(w);
    return buf;
}

static void test_hostile_truncations(void)
{
    size_t len;
    uint8_t *full = small_file(&len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(full);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = n << 8 | full[i];
    char err[ERRLEN];
    CU_ASSERT_EQUAL(parse_buf(full, len, err), QCTS_ST_OK);
    for (size_t l = 0; l < len; l++) {
        /* an exact-size heap copy, so ASan sees any read past the end */
        uint8_t *b = malloc(l ? l : 1);
        memcpy(b, full, l);
        qcts_st_status want = l < 8 ? QCTS_ST_ERR_TOO_SMALL
                              : l < 8 + n ? QCTS_ST_ERR_HEADER_LENGTH
                                          : QCTS_ST_ERR_INCOMPLETE;
        qcts_st_status s = parse_buf(b, l, err);
        QCHECK(s == want, "truncated to %zu of %zu bytes: %s, expected %s (%s)", l, len, qcts_st_status_name(s),
               qcts_st_status_name(want), err);
        QCHECK(strncmp(err, "x.safetensors: ", 15) == 0, "truncated to %zu: message '%s'", l, err);
        free(b);
    }
    /* one byte too many */
    uint8_t *b = malloc(len + 1);
    memcpy(b, full, len);
    b[len] = 0;
    CU_ASSERT_EQUAL(parse_buf(b, len + 1, err), QCTS_ST_ERR_INCOMPLETE);
    CU_ASSERT(strstr(err, "the tensors cover 13 bytes of data but the file holds 14 bytes after the header") != NULL);
    free(b);
    free(full);
}

static void test_hostile_bit_flips(void)
{
    size_t len;
    uint8_t *full = small_file(&len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(full);
    size_t n_ok = 0, n_err = 0;
    uint8_t *b = malloc(len);
    for (size_t pos = 0; pos < len; pos++)
        for (int bit = 0; bit < 8; bit++) {
            memcpy(b, full, len);
            b[pos] ^= (uint8_t)(1u << bit);
            qcts_st_file *f = NULL;
            char err[ERRLEN];
            memset(err, 'x', sizeof err);
            qcts_st_status s = qcts_st_read_mem(b, len, "x.safetensors", &f, err, sizeof err);
            if (s == QCTS_ST_OK) {
                n_ok++;
                char ctx[64];
                snprintf(ctx, sizeof ctx, "flip byte %zu bit %d", pos, bit);
                check_invariants(f, len, ctx);
                QCHECK(err[0] == '\0', "%s: message on success", ctx);
            } else {
                n_err++;
                QCHECK(s > QCTS_ST_OK && s < QCTS_ST_STATUS_COUNT && f == NULL && memchr(err, 0, sizeof err) &&
                           strncmp(err, "x.safetensors: ", 15) == 0,
                       "flip byte %zu bit %d: status %d, message '%.60s'", pos, bit, (int)s, err);
            }
            qcts_st_free(f);
        }
    free(b);
    free(full);
    /* flips in the data keep the file valid; most header flips do not */
    CU_ASSERT(n_ok >= 13 * 8 && n_err > len * 8 / 2);
}

static void test_hostile_random_mutations(void)
{
    size_t len;
    uint8_t *full = small_file(&len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(full);
    static const char interesting[] = "{}[]\":,\\0123456789-+.eE \x01\x7fu";
    const uint64_t seed = 0x51a7e5eedu;
    rng_state = seed;
    uint8_t *b = malloc(len + 16);
    int hist[QCTS_ST_STATUS_COUNT] = { 0 };
    for (int iter = 0; iter < 20000; iter++) {
        size_t l = len;
        memcpy(b, full, len);
        int nmut = 1 + (int)(rng() % 4);
        for (int k = 0; k < nmut; k++) {
            size_t pos = 8 + (size_t)(rng() % (l - 8));
            switch (rng() % 4) {
            case 0: /* mostly printable: most inputs should get past the UTF-8 check */
                b[pos] = rng() % 8 == 0 ? (uint8_t)rng() : (uint8_t)(0x20 + rng() % 95);
                break;
            case 1: b[pos] = (uint8_t)interesting[rng() % (sizeof interesting - 1)]; break;
            case 2: /* delete */
                if (l > 9) {
                    memmove(b + pos, b + pos + 1, l - pos - 1);
                    l--;
                }
                break;
            default: /* insert */
                if (l < len + 16) {
                    memmove(b + pos + 1, b + pos, l - pos);
                    b[pos] = (uint8_t)interesting[rng() % (sizeof interesting - 1)];
                    l++;
                }
            }
        }
        if (rng() % 8) /* keep N consistent with the header's new length (13 data bytes) */
            set_le64(b, (uint64_t)(l - 8 - 13));
        uint8_t *exact = malloc(l);
        memcpy(exact, b, l);
        qcts_st_file *f = NULL;
        char err[ERRLEN];
        qcts_st_status s = qcts_st_read_mem(exact, l, "x.safetensors", &f, err, sizeof err);
        if ((unsigned)s < QCTS_ST_STATUS_COUNT)
            hist[s]++;
        if (s == QCTS_ST_OK) {
            char ctx[80];
            snprintf(ctx, sizeof ctx, "seed 0x%llx iteration %d", (unsigned long long)seed, iter);
            check_invariants(f, l, ctx);
        } else {
            QCHECK(s < QCTS_ST_STATUS_COUNT && f == NULL, "seed 0x%llx iteration %d: status %d",
                   (unsigned long long)seed, iter, (int)s);
        }
        qcts_st_free(f);
        free(exact);
    }
    /* the mutations reach every stage of the reader (about 900 files stay
     * valid, 17500 are bad JSON, 700 fail the later checks) */
    int later = hist[QCTS_ST_ERR_DTYPE] + hist[QCTS_ST_ERR_OFFSETS] + hist[QCTS_ST_ERR_SIZE] +
                hist[QCTS_ST_ERR_MISALIGNED] + hist[QCTS_ST_ERR_INCOMPLETE];
    QCHECK(hist[QCTS_ST_OK] > 200 && hist[QCTS_ST_ERR_JSON] > 5000 && later > 200,
           "seed 0x%llx: ok %d, bad_json %d, later checks %d", (unsigned long long)seed, hist[QCTS_ST_OK],
           hist[QCTS_ST_ERR_JSON], later);
    free(b);
    free(full);
}

static void test_hostile_header_length(void)
{
    char err[ERRLEN];
    uint8_t b[64];
    memset(b, ' ', sizeof b);
    b[8] = '{';
    b[9] = '}';
    for (size_t l = 0; l < 8; l++)
        CU_ASSERT_EQUAL(parse_buf(b, l, err), QCTS_ST_ERR_TOO_SMALL);
    CU_ASSERT(strstr(err, "x.safetensors: file is 7 bytes, shorter than the 8-byte header length") != NULL);
    static const uint64_t too_large[] = { 100000001u, (uint64_t)1 << 32, (uint64_t)1 << 63, UINT64_MAX,
                                          UINT64_MAX - 7 };
    for (size_t i = 0; i < sizeof too_large / sizeof too_large[0]; i++) {
        set_le64(b, too_large[i]);
        qcts_st_status s = parse_buf(b, sizeof b, err);
        QCHECK(s == QCTS_ST_ERR_HEADER_TOO_LARGE, "N = %llu: %s (%s)", (unsigned long long)too_large[i],
               qcts_st_status_name(s), err);
    }
    CU_ASSERT(strstr(err, "above the limit of 100000000 bytes") != NULL);
    /* N within the limit but past the end of the file */
    static const uint64_t past[] = { 100000000u, 57, sizeof b - 7 };
    for (size_t i = 0; i < sizeof past / sizeof past[0]; i++) {
        set_le64(b, past[i]);
        CU_ASSERT_EQUAL(parse_buf(b, sizeof b, err), QCTS_ST_ERR_HEADER_LENGTH);
    }
    CU_ASSERT(strstr(err, "header length 57 needs 65 bytes but the file has 64") != NULL);
    /* exactly to the end: a header of "{}" and spaces, no data */
    set_le64(b, sizeof b - 8);
    CU_ASSERT_EQUAL(parse_buf(b, sizeof b, err), QCTS_ST_OK);
    set_le64(b, 0);
    CU_ASSERT_EQUAL(parse_buf(b, 8, err), QCTS_ST_ERR_HEADER_START);
    CU_ASSERT(strstr(err, "header is empty") != NULL);
}

typedef struct hcase {
    const char *json;
    size_t dlen;
    qcts_st_status want;
    const char *msg; /* expected part of the message (after "x.safetensors: ") */
} hcase;

#define T(name, dt, shape, b, e) "\"" name "\":{\"dtype\":\"" dt "\",\"shape\":" shape ",\"data_offsets\":[" #b "," #e "]}"

static void run_cases(const hcase *c, size_t n, const char *group)
{
    for (size_t i = 0; i < n; i++) {
        char err[ERRLEN];
        qcts_st_status s = parse_json(c[i].json, c[i].dlen, err);
        QCHECK(s == c[i].want, "%s %zu: %s, expected %s: %s\n    header: %.200s", group, i, qcts_st_status_name(s),
               qcts_st_status_name(c[i].want), err, c[i].json);
        if (c[i].msg)
            QCHECK(strstr(err, c[i].msg) != NULL, "%s %zu: message '%s' lacks '%s'", group, i, err, c[i].msg);
        if (s != QCTS_ST_OK)
            QCHECK(strncmp(err, "x.safetensors: ", 15) == 0, "%s %zu: message '%s'", group, i, err);
    }
}

static void test_hostile_json(void)
{
    static const hcase c[] = {
        { "{}", 0, QCTS_ST_OK, NULL },
        { "{}  \t\n\r ", 0, QCTS_ST_OK, NULL },
        { " {}", 0, QCTS_ST_ERR_HEADER_START, "header starts with byte 0x20, expected '{'" },
        { "[]", 0, QCTS_ST_ERR_HEADER_START, NULL },
        { "\xef\xbb\xbf{}", 0, QCTS_ST_ERR_HEADER_START, NULL }, /* BOM */
        { "{", 0, QCTS_ST_ERR_JSON, NULL },
        { "{}x", 0, QCTS_ST_ERR_JSON, "trailing characters at byte 2" },
        { "{}{}", 0, QCTS_ST_ERR_JSON, NULL },
        { "{} \x01", 0, QCTS_ST_ERR_JSON, "control character 0x01" },
        { "{\"a\":1,}", 0, QCTS_ST_ERR_JSON, NULL },
        { "{'a':1}", 0, QCTS_ST_ERR_JSON, NULL },
        { "{\"a\" 1}", 0, QCTS_ST_ERR_JSON, NULL },
        { "{\"a\":tru}", 0, QCTS_ST_ERR_JSON, NULL },
        { "{\"a\":{\"dtype\":\"U8\",\"shape\":[01],\"data_offsets\":[0,1]}}", 1, QCTS_ST_ERR_JSON,
          "malformed number '01'" },
        { "{\"a\":{\"dtype\":\"U8\",\"shape\":[1.],\"data_offsets\":[0,1]}}", 1, QCTS_ST_ERR_JSON, "malformed number" },
        { "{\"a\":{\"dtype\":\"U8\",\"shape\":[+1],\"data_offsets\":[0,1]}}", 1, QCTS_ST_ERR_JSON, NULL },
        { "{\"a\":{\"dtype\":\"U8\",\"shape\":[1e],\"data_offsets\":[0,1]}}", 1, QCTS_ST_ERR_JSON, NULL },
        { "{\"a\":{\"dtype\":\"U8\",\"shape\":[--1],\"data_offsets\":[0,1]}}", 1, QCTS_ST_ERR_JSON, NULL },
        { "{\"a\x01\":{}}", 0, QCTS_ST_ERR_JSON, "control character 0x01 inside a string" },
        { "{\"a\tb\":{}}", 0, QCTS_ST_ERR_JSON, "control character 0x09 inside a string" },
        { "{\"a\\x\":{}}", 0, QCTS_ST_ERR_JSON, NULL },
        { "{\"a\\u12\":{}}", 0, QCTS_ST_ERR_JSON, "bad \\u escape" },
        { "{\"\\ud800\":{}}", 0, QCTS_ST_ERR_JSON, NULL }, /* lone surrogate */
        { "{\"a", 0, QCTS_ST_ERR_JSON, "unterminated string" },
        { "{\"a\\", 0, QCTS_ST_ERR_JSON, NULL },
        { "{\"\xff\":{}}", 0, QCTS_ST_ERR_UTF8, "header is not valid UTF-8 (byte 2 of the header)" },
        { "{\"\xc0\xaf\":{}}", 0, QCTS_ST_ERR_UTF8, NULL },         /* overlong '/' */
        { "{\"\xed\xa0\x80\":{}}", 0, QCTS_ST_ERR_UTF8, NULL },     /* encoded surrogate */
        { "{\"\xf4\x90\x80\x80\":{}}", 0, QCTS_ST_ERR_UTF8, NULL }, /* above U+10FFFF */
        { "{\"\xe2\x82\":{}}", 0, QCTS_ST_ERR_UTF8, NULL },         /* truncated sequence */
        { "{\"a\":1}", 0, QCTS_ST_ERR_JSON, "tensor 'a': expected an object" },
        { "{\"a\":[]}", 0, QCTS_ST_ERR_JSON, "expected an object" },
        { "{\"a\":null}", 0, QCTS_ST_ERR_JSON, NULL },
        { "{\"a\":{\"shape\":[1],\"data_offsets\":[0,1]}}", 1, QCTS_ST_ERR_JSON, "tensor 'a': missing field 'dtype'" },
        { "{\"a\":{\"dtype\":\"U8\",\"data_offsets\":[0,1]}}", 1, QCTS_ST_ERR_JSON, "missing field 'shape'" },
        { "{\"a\":{\"dtype\":\"U8\",\"shape\":[1]}}", 1, QCTS_ST_ERR_JSON, "missing field 'data_offsets'" },
        { "{\"a\":{\"dtype\":\"U8\",\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1, QCTS_ST_ERR_JSON,
          "field 'dtype' appears twice" },
        { "{\"a\":{\"dtype\":8,\"shape\":[1],\"data_offsets\":[0,1]}}", 1, QCTS_ST_ERR_JSON, "dtype is not a string" },
        { "{\"a\":{\"dtype\":\"U8\",\"shape\":1,\"data_offsets\":[0,1]}}", 1, QCTS_ST_ERR_JSON, "shape is not an array" },
        { "{\"a\":{\"dtype\":\"U8\",\"shape\":{},\"data_offsets\":[0,1]}}", 1, QCTS_ST_ERR_JSON, NULL },
        { "{\"a\":{\"dtype\":\"U8\",\"shape\":[\"1\"],\"data_offsets\":[0,1]}}", 1, QCTS_ST_ERR_JSON,
          "shape[0] is not a number" },
        { "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0]}}", 1, QCTS_ST_ERR_JSON,
          "data_offsets must be an array [begin, end]" },
        { "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1,1]}}", 1, QCTS_ST_ERR_JSON, NULL },
        { "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":{\"0\":1}}}", 1, QCTS_ST_ERR_JSON, NULL },
        { "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,true]}}", 1, QCTS_ST_ERR_JSON,
          "data_offsets[1] is not a number" },
        { "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[-0,1]}}", 1, QCTS_ST_ERR_JSON,
          "data_offsets[0] is -0, expected an integer >= 0" },
        { "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1.0]}}", 1, QCTS_ST_ERR_JSON,
          "data_offsets[1] is 1.0" },
        { "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1e0]}}", 1, QCTS_ST_ERR_JSON, NULL },
        { "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[-1,1]}}", 1, QCTS_ST_ERR_JSON, NULL },
        { "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,18446744073709551616]}}", 1, QCTS_ST_ERR_JSON,
          "expected an integer below 2^64" },
        /* fields the crate does not know are ignored, as serde does */
        { "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],\"x\":[1.5e3,{\"y\":null}]}}", 1, QCTS_ST_OK,
          NULL },
    };
    run_cases(c, sizeof c / sizeof c[0], "json");

    /* nesting: serde_json accepts 127 levels and refuses 128 */
    for (int depth = 126; depth <= 129; depth++) {
        char h[1024];
        int extra = depth - 2; /* the header object and the tensor entry */
        size_t o = (size_t)snprintf(h, sizeof h, "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],\"x\":");
        for (int i = 0; i < extra; i++)
            h[o++] = '[';
        for (int i = 0; i < extra; i++)
            h[o++] = ']';
        snprintf(h + o, sizeof h - o, "}}");
        char err[ERRLEN];
        qcts_st_status s = parse_json(h, 1, err);
        QCHECK(s == (depth <= 127 ? QCTS_ST_OK : QCTS_ST_ERR_JSON), "depth %d: %s %s", depth,
               qcts_st_status_name(s), err);
    }
    /* very deep nesting is refused early, without recursion */
    size_t deep = 200000;
    char *h = malloc(deep + 3);
    h[0] = '{';
    memset(h + 1, '[', deep);
    h[deep + 1] = '\0';
    char err[ERRLEN];
    CU_ASSERT_EQUAL(parse_json(h, 0, err), QCTS_ST_ERR_JSON);
    free(h);
}

static void test_hostile_offsets_and_sizes(void)
{
    static const hcase c[] = {
        /* valid: listed out of offset order */
        { "{" T("b", "U8", "[2]", 4, 6) "," T("a", "F32", "[1]", 0, 4) "}", 6, QCTS_ST_OK, NULL },
        /* zero-size tensors sharing an offset, first, middle and last */
        { "{" T("z1", "U8", "[0]", 0, 0) "," T("a", "U8", "[1]", 0, 1) "," T("z2", "F32", "[0,3]", 1, 1) ","
          T("z3", "F4", "[0]", 1, 1) "}", 1, QCTS_ST_OK, NULL },
        /* hole */
        { "{" T("a", "U8", "[2]", 0, 2) "," T("b", "U8", "[2]", 3, 5) "}", 5, QCTS_ST_ERR_OFFSETS,
          "tensor 'b': data_offsets [3, 5) should begin at 2, where the previous tensor ends (tensors must tile the "
          "data buffer from 0: hole)" },
        /* overlap */
        { "{" T("a", "U8", "[2]", 0, 2) "," T("b", "U8", "[2]", 1, 3) "}", 3, QCTS_ST_ERR_OFFSETS, "overlap" },
        /* the same range twice */
        { "{" T("a", "U8", "[2]", 0, 2) "," T("b", "U8", "[2]", 0, 2) "}", 2, QCTS_ST_ERR_OFFSETS, NULL },
        /* not starting at 0 */
        { "{" T("a", "U8", "[2]", 1, 3) "}", 3, QCTS_ST_ERR_OFFSETS, "should begin at 0" },
        /* end before begin */
        { "{" T("a", "U8", "[2]", 0, 2) "," T("b", "U8", "[2]", 2, 1) "}", 2, QCTS_ST_ERR_OFFSETS,
          "tensor 'b': data_offsets [2, 1) end before they begin" },
        /* huge offsets */
        { "{" T("a", "U8", "[2]", 18446744073709551614, 18446744073709551615) "}", 2, QCTS_ST_ERR_OFFSETS, NULL },
        { "{" T("a", "U8", "[2]", 0, 18446744073709551615) "}", 2, QCTS_ST_ERR_SIZE, NULL },
        /* wrong sizes */
        { "{" T("c007/in.a", "F32", "[2,2]", 0, 12) "}", 12, QCTS_ST_ERR_SIZE,
          "x.safetensors: tensor 'c007/in.a': data_offsets [0, 12) hold 12 bytes but dtype F32 shape [2,2] needs 16" },
        { "{" T("a", "F4", "[4]", 0, 4) "}", 4, QCTS_ST_ERR_SIZE, "needs 2" },
        { "{" T("a", "F6_E3M2", "[8]", 0, 8) "}", 8, QCTS_ST_ERR_SIZE, "needs 6" },
        { "{" T("a", "F32", "[]", 0, 0) "}", 0, QCTS_ST_ERR_SIZE, "shape [] needs 4" },
        { "{" T("a", "F32", "[]", 0, 4) "}", 4, QCTS_ST_OK, NULL },
        /* misaligned sub-byte tensors */
        { "{" T("a", "F4", "[3]", 0, 2) "}", 2, QCTS_ST_ERR_MISALIGNED,
          "tensor 'a': dtype F4 shape [3] is 12 bits, not a whole number of bytes" },
        { "{" T("a", "F6_E2M3", "[2]", 0, 2) "}", 2, QCTS_ST_ERR_MISALIGNED, NULL },
        { "{" T("a", "F6_E2M3", "[4]", 0, 3) "}", 3, QCTS_ST_OK, NULL },
        /* coverage of the data buffer */
        { "{" T("a", "U8", "[2]", 0, 2) "}", 3, QCTS_ST_ERR_INCOMPLETE,
          "the tensors cover 2 bytes of data but the file holds 3 bytes after the header" },
        { "{}", 1, QCTS_ST_ERR_INCOMPLETE, NULL },
        { "{" T("a", "U8", "[2]", 0, 2) "}", 1, QCTS_ST_ERR_INCOMPLETE, NULL },
    };
    run_cases(c, sizeof c / sizeof c[0], "offsets");
}

static void test_hostile_shapes(void)
{
    static const hcase c[] = {
        { "{" T("a", "U8", "[-1]", 0, 0) "}", 0, QCTS_ST_ERR_JSON, "tensor 'a': shape[0] is -1, expected an integer >= 0" },
        { "{" T("a", "U8", "[2,-3]", 0, 0) "}", 0, QCTS_ST_ERR_JSON, "shape[1] is -3" },
        { "{" T("a", "U8", "[2.5]", 0, 0) "}", 0, QCTS_ST_ERR_JSON, NULL },
        { "{" T("a", "U8", "[1e400]", 0, 0) "}", 0, QCTS_ST_ERR_JSON, NULL },
        { "{" T("a", "U8", "[18446744073709551616,0]", 0, 0) "}", 0, QCTS_ST_ERR_JSON, "below 2^64" },
        { "{" T("a", "U8", "[99999999999999999999999999,0]", 0, 0) "}", 0, QCTS_ST_ERR_JSON, NULL },
        /* valid for the crate (zero elements) but not representable as int64 */
        { "{" T("a", "U8", "[9223372036854775808,0]", 0, 0) "}", 0, QCTS_ST_ERR_UNSUPPORTED, "above INT64_MAX" },
        { "{" T("a", "U8", "[9223372036854775807,0]", 0, 0) "}", 0, QCTS_ST_OK, NULL },
        /* element count overflow, even with a later zero (the crate multiplies left to right) */
        { "{" T("a", "U8", "[4294967296,4294967296,0]", 0, 0) "}", 0, QCTS_ST_ERR_OVERFLOW,
          "element count of shape [4294967296,4294967296,0] overflows 64 bits" },
        { "{" T("a", "U8", "[0,4294967296,4294967296]", 0, 0) "}", 0, QCTS_ST_OK, NULL },
        { "{" T("a", "U8", "[9223372036854775807,3]", 0, 0) "}", 0, QCTS_ST_ERR_OVERFLOW, NULL },
        /* bit count overflow: 2^58 elements fit, 2^58 * 64 bits do not */
        { "{" T("a", "U64", "[288230376151711744]", 0, 0) "}", 0, QCTS_ST_ERR_OVERFLOW, "* 64 bits overflows 64 bits" },
        { "{" T("a", "U8", "[288230376151711744]", 0, 0) "}", 0, QCTS_ST_ERR_SIZE, "needs 288230376151711744" },
        { "{" T("a", "U8", "[1,1,1,1,1,1,1,1,1]", 0, 1) "}", 1, QCTS_ST_ERR_UNSUPPORTED, "more than 8 dimensions" },
        { "{" T("a", "U8", "[1,1,1,1,1,1,1,1]", 0, 1) "}", 1, QCTS_ST_OK, NULL },
        { "{" T("a", "U8", "[0]", 0, 0) "}", 0, QCTS_ST_OK, NULL },
    };
    run_cases(c, sizeof c / sizeof c[0], "shapes");
}

static void test_hostile_names_and_metadata(void)
{
    static const hcase c[] = {
        /* duplicates: the crate keeps the last silently, qcts refuses */
        { "{" T("a", "U8", "[2]", 0, 2) "," T("a", "U8", "[2]", 0, 2) "}", 2, QCTS_ST_ERR_DUPLICATE,
          "tensor 'a' appears twice in the header" },
        { "{" T("a", "U8", "[2]", 0, 2) "," T("b", "U8", "[0]", 2, 2) "," T("a", "U8", "[1]", 2, 3) "}", 3,
          QCTS_ST_ERR_DUPLICATE, NULL },
        { "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0, QCTS_ST_ERR_DUPLICATE, "__metadata__ key 'k' appears twice" },
        { "{\"__metadata__\":{},\"__metadata__\":{}}", 0, QCTS_ST_ERR_DUPLICATE, "'__metadata__' appears twice" },
        /* escapes decode before comparing: "a" and "\u0061" are the same name */
        { "{" T("a", "U8", "[1]", 0, 1) "," T("\\u0061", "U8", "[1]", 1, 2) "}", 2, QCTS_ST_ERR_DUPLICATE, NULL },
        /* metadata must be an object of strings; null means none */
        { "{\"__metadata__\":{\"k\":1}}", 0, QCTS_ST_ERR_METADATA, "__metadata__ key 'k': value is not a string" },
        { "{\"__metadata__\":{\"k\":null}}", 0, QCTS_ST_ERR_METADATA, NULL },
        { "{\"__metadata__\":{\"k\":{\"x\":\"y\"}}}", 0, QCTS_ST_ERR_METADATA, NULL },
        { "{\"__metadata__\":{\"k\":[\"y\"]}}", 0, QCTS_ST_ERR_METADATA, NULL },
        { "{\"__metadata__\":{\"k\":true}}", 0, QCTS_ST_ERR_METADATA, NULL },
        { "{\"__metadata__\":\"text\"}", 0, QCTS_ST_ERR_METADATA, "__metadata__ must be an object of string values" },
        { "{\"__metadata__\":[\"k\",\"v\"]}", 0, QCTS_ST_ERR_METADATA, NULL },
        { "{\"__metadata__\":7}", 0, QCTS_ST_ERR_METADATA, NULL },
        { "{\"__metadata__\":null}", 0, QCTS_ST_OK, NULL },
        { "{\"__metadata__\":{}}", 0, QCTS_ST_OK, NULL },
        /* unknown dtypes */
        { "{" T("a", "F8", "[1]", 0, 1) "}", 1, QCTS_ST_ERR_DTYPE, "tensor 'a': unknown dtype 'F8' (expected one of" },
        { "{" T("a", "u8", "[1]", 0, 1) "}", 1, QCTS_ST_ERR_DTYPE, NULL },
        { "{" T("a", "float32", "[1]", 0, 4) "}", 4, QCTS_ST_ERR_DTYPE, NULL },
        { "{" T("a", "", "[1]", 0, 1) "}", 1, QCTS_ST_ERR_DTYPE, NULL },
        { "{" T("a", "F32\\u0020", "[1]", 0, 4) "}", 4, QCTS_ST_ERR_DTYPE, NULL },
        { "{" T("a\\n", "Q4_K", "[1]", 0, 1) "}", 1, QCTS_ST_ERR_DTYPE, "tensor 'a\\x0a': unknown dtype 'Q4_K'" },
        /* U+0000 cannot be in a C string */
        { "{" T("a\\u0000b", "U8", "[1]", 0, 1) "}", 1, QCTS_ST_ERR_UNSUPPORTED, "\\u0000" },
        { "{\"__metadata__\":{\"k\":\"v\\u0000\"}}", 0, QCTS_ST_ERR_UNSUPPORTED, NULL },
        /* escaped names decode */
        { "{" T("c007\\/in.a", "U8", "[1]", 0, 1) "}", 1, QCTS_ST_OK, NULL },
        /* the empty name is a name */
        { "{" T("", "U8", "[1]", 0, 1) "}", 1, QCTS_ST_OK, NULL },
    };
    run_cases(c, sizeof c / sizeof c[0], "names");

    /* escapes decode to the names find() is given */
    size_t len;
    uint8_t *b = mkfile("{" T("c007\\/in.\\u00e9", "U8", "[1]", 0, 1) ",\"__metadata__\":{\"k\\n\":\"\\u20ac\"}}",
                        "\x2a", 1, &len);
    qcts_st_file *f = NULL;
    char err[ERRLEN];
    CU_ASSERT_EQUAL(qcts_st_read_mem(b, len, NULL, &f, err, sizeof err), QCTS_ST_OK);
    if (f) {
        const qcts_st_tensor *t = qcts_st_find(f, "c007/in.\xc3\xa9");
        CU_ASSERT(t && bytes_are(t, "\x2a", 1));
        CU_ASSERT_STRING_EQUAL(qcts_st_meta_get(f, "k\n"), "\xe2\x82\xac");
    }
    qcts_st_free(f);
    free(b);
}

QTEST_SUITE(safetensors,
    QTEST(test_dtype_table),
    QTEST(test_roundtrip_every_dtype),
    QTEST(test_roundtrip_metadata),
    QTEST(test_writer_exact_bytes),
    QTEST(test_writer_deterministic),
    QTEST(test_python_fixture),
    QTEST(test_python_fixture_packed),
    QTEST(test_reader_crafted),
    QTEST(test_writer_errors),
    QTEST(test_write_file_atomic),
    QTEST(test_hostile_truncations),
    QTEST(test_hostile_bit_flips),
    QTEST(test_hostile_random_mutations),
    QTEST(test_hostile_header_length),
    QTEST(test_hostile_json),
    QTEST(test_hostile_offsets_and_sizes),
    QTEST(test_hostile_shapes),
    QTEST(test_hostile_names_and_metadata))
