/* Fuzz target: the case loader (vectors/src/case_call.c) and the ref
 * backend. The input is a case file; every case it holds is run through
 * the ref backend with outputs of the sizes the loader gives. A file that
 * loads must describe calls the backend can make or refuse: never a crash,
 * an out-of-bounds access or undefined behaviour. Cases whose outputs or
 * work exceed a bound are left out (a resource limit of the harness, not a
 * finding: the loader already ties every input's size to the file). */
#include "fuzz/fuzz_common.h"
#include "qcts/backends.h"
#include "qcts/case_call.h"

enum { MAX_OUT_BYTES = 16 << 20 };
#define MAX_WORK 4e7   /* multiply-adds of a gemm case */

static qcts_backend_handle *handle;   /* open for the whole run */
static const qcts_backend *ref;

static int too_big(const qcts_case *c)
{
    size_t total = 0;
    for (int i = 0; i < QCTS_MAX_OUTPUTS; i++) {
        if (c->buf.out_bytes[i] > MAX_OUT_BYTES)
            return 1;
        total += c->buf.out_bytes[i];
    }
    if (total > MAX_OUT_BYTES)
        return 1;
    if (c->op == QCTS_OP_GEMM) {
        const qcts_gemm_desc *g = &c->desc.gemm;
        if ((double)g->batch * (double)g->M * (double)g->N * (double)g->K > MAX_WORK)
            return 1;
    }
    return 0;
}

static void run_case(const qcts_case *c)
{
    if (too_big(c))
        return;
    qcts_buffers b = c->buf;
    for (int i = 0; i < QCTS_MAX_OUTPUTS; i++)
        b.out[i] = b.out_bytes[i] ? malloc(b.out_bytes[i]) : NULL;
    char msg[512] = "";
    qcts_status st = qcts_backend_call(ref, c->op, &c->desc, &b, msg, sizeof msg);
    FUZZ_CHECK(st == QCTS_OK || msg[0] != '\0');
    for (int i = 0; i < QCTS_MAX_OUTPUTS; i++)
        free(b.out[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ref) {
        char err[512];
        if (qcts_backend_open("ref", &handle, err, sizeof err) != QCTS_OK) {
            fprintf(stderr, "fuzz: cannot open the ref backend: %s\n", err);
            abort();
        }
        ref = qcts_backend_get(handle);
    }
    static const unsigned flags[2] = { 0, QCTS_CASE_INPUTS_ONLY };
    for (int k = 0; k < 2; k++) {
        qcts_case_file *f = NULL;
        char err[QCTS_CASE_ERRLEN];
        qcts_status st = qcts_case_file_load_mem(data, size, "fuzz.safetensors", flags[k], &f, err, sizeof err);
        if (st != QCTS_OK) {
            FUZZ_CHECK(f == NULL && err[0] != '\0');
            continue;
        }
        for (size_t i = 0; i < f->n_cases; i++) {
            const qcts_case *c = &f->cases[i];
            FUZZ_CHECK(qcts_case_find(f, c->id) != NULL);
            run_case(c);
        }
        qcts_case_file_free(f);
        break;   /* loaded with everything: INPUTS_ONLY adds nothing */
    }
    return 0;
}
