/* Fuzz target: the safetensors reader (vectors/src/st_read.c).
 * Any input must be rejected with a status and a message, or accepted; an
 * accepted file must be self-consistent, and writing its tensors and
 * metadata back with the writer must give a file the reader accepts with
 * the same content. */
#include "fuzz/fuzz_common.h"
#include "qcts/safetensors.h"

static void roundtrip(const qcts_st_file *f)
{
    qcts_st_writer *w = qcts_st_writer_new();
    FUZZ_CHECK(w);
    for (size_t i = 0; i < f->n_tensors; i++) {
        const qcts_st_tensor *t = &f->tensors[i];
        FUZZ_CHECK(qcts_st_writer_add_tensor(w, t->name, t->dtype, t->shape, t->ndim, t->data, t->nbytes) == QCTS_ST_OK);
    }
    for (size_t i = 0; i < f->n_meta; i++)
        FUZZ_CHECK(qcts_st_writer_set_meta(w, f->meta[i].key, f->meta[i].value) == QCTS_ST_OK);
    uint8_t *buf;
    size_t len;
    char err[QCTS_ST_ERRLEN];
    FUZZ_CHECK(qcts_st_writer_serialize(w, &buf, &len, err, sizeof err) == QCTS_ST_OK);
    qcts_st_writer_free(w);
    qcts_st_file *g;
    qcts_st_status st = qcts_st_read_mem(buf, len, "roundtrip", &g, err, sizeof err);
    if (st != QCTS_ST_OK)
        fprintf(stderr, "re-read: %s\n", err);
    FUZZ_CHECK(st == QCTS_ST_OK);
    FUZZ_CHECK(g->n_tensors == f->n_tensors && g->n_meta == f->n_meta);
    for (size_t i = 0; i < f->n_tensors; i++) {
        const qcts_st_tensor *a = &f->tensors[i], *b = qcts_st_find(g, a->name);
        FUZZ_CHECK(b && b->dtype == a->dtype && b->ndim == a->ndim && b->nbytes == a->nbytes);
        FUZZ_CHECK(a->nbytes == 0 || memcmp(a->data, b->data, a->nbytes) == 0);
    }
    for (size_t i = 0; i < f->n_meta; i++) {
        const char *v = qcts_st_meta_get(g, f->meta[i].key);
        FUZZ_CHECK(v && strcmp(v, f->meta[i].value) == 0);
    }
    qcts_st_free(g);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    qcts_st_file *f = NULL;
    char err[QCTS_ST_ERRLEN];
    qcts_st_status st = qcts_st_read_mem(data, size, "fuzz.safetensors", &f, err, sizeof err);
    if (st != QCTS_ST_OK) {
        FUZZ_CHECK(f == NULL && err[0] != '\0');
        FUZZ_CHECK(strcmp(qcts_st_status_name(st), "") != 0);
        return 0;
    }
    FUZZ_CHECK(f && err[0] == '\0');
    uint64_t end = 0;
    for (size_t i = 0; i < f->n_tensors; i++) {
        const qcts_st_tensor *t = &f->tensors[i];
        FUZZ_CHECK(t->offset == end && t->offset + t->nbytes <= f->data_size);
        FUZZ_CHECK(qcts_st_find(f, t->name) == t);
        FUZZ_CHECK(t->ndim >= 0 && t->ndim <= QCTS_ST_MAX_DIMS);
        end = t->offset + t->nbytes;
    }
    FUZZ_CHECK(end == f->data_size);
    for (size_t i = 0; i < f->n_meta; i++)
        FUZZ_CHECK(qcts_st_meta_get(f, f->meta[i].key) == f->meta[i].value);
    roundtrip(f);
    qcts_st_free(f);
    return 0;
}
