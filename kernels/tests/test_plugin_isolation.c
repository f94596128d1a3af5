/* Tests of isolated plugins (kernels/plugin/plugin_host.c): the same
 * answers as in-process for the example plugin, and every way a plugin
 * can end its process (segfault, abort, exit, a loop past the timeout, exit
 * while loading) turned into QCTS_ERROR naming the signal, status or
 * timeout, with the next call on the same handle served by a new process.
 * Also what the harness relies on: the caller's poison survives where the
 * plugin writes nothing, a write past an output is caught, NULL optional
 * outputs stay NULL, several calls may be live at once, and closing leaves
 * no child behind. The plugins are built by kernels/kernels.mk into
 * $(BUILD)/examples and $(BUILD)/plugins. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "qcts/backends.h"
#include "qtest.h"

#ifndef QCTS_TEST_BUILD_DIR
#define QCTS_TEST_BUILD_DIR "build/native"
#endif

#define CONTAINS(hay, needle) QCHECK(strstr((hay), (needle)) != NULL, "message '%s' lacks '%s'", (hay), (needle))

static const char *spec_of(const char *dir, const char *name, char *buf, size_t n)
{
    snprintf(buf, n, "plugin:%s/%s/%s.so", QCTS_TEST_BUILD_DIR, dir, name);
    return buf;
}

static qcts_backend_handle *open_plugin(const char *dir, const char *name, int in_process)
{
    char spec[1024], err[1024];
    qcts_backend_open_opts o = { in_process, 0 };
    qcts_backend_handle *h = NULL;
    qcts_status st = qcts_backend_open_with(spec_of(dir, name, spec, sizeof spec), &o, &h, err, sizeof err);
    QCHECK(st == QCTS_OK, "open %s: %s", spec, err);
    return h;
}

/* int8_per_channel dequant of rows x cols to f32: codes i - 7, scale 0.5 *
 * (row + 1). y gets rows * cols floats plus `extra` more; *in is freed by
 * the caller. */
typedef struct dq {
    qcts_dequant_desc d;
    uint8_t *in;
    float *y;
    qcts_buffers b;
} dq;

static void dq_make(dq *q, int64_t rows, int64_t cols, uint32_t fill)
{
    memset(q, 0, sizeof *q);
    q->d.scheme = "int8_per_channel";
    q->d.rows = rows;
    q->d.cols = cols;
    q->d.out_dtype = QCTS_DT_F32;
    size_t nin = (size_t)(rows * cols) + 4 * (size_t)rows;
    q->in = malloc(nin);
    q->y = malloc((size_t)(rows * cols) * 4);
    for (int64_t i = 0; i < rows * cols; i++)
        q->in[i] = (uint8_t)(int8_t)(i % 15 - 7);
    for (int64_t r = 0; r < rows; r++) {
        float s = 0.5f * (float)(r + 1);
        memcpy(q->in + rows * cols + 4 * r, &s, 4);
    }
    for (int64_t i = 0; i < rows * cols; i++)
        memcpy(&q->y[i], &fill, 4);
    q->b.in[0] = q->in;
    q->b.in_bytes[0] = nin;
    q->b.out[0] = q->y;
    q->b.out_bytes[0] = (size_t)(rows * cols) * 4;
}

static void dq_free(dq *q)
{
    free(q->in);
    free(q->y);
}

/* 1 when y holds the exact dequantized values (elements [0, upto)). */
static int dq_right(const dq *q, int64_t upto)
{
    for (int64_t i = 0; i < upto; i++) {
        float want = (float)((double)(int8_t)q->in[i] * (0.5 * (double)(i / q->d.cols + 1)));
        if (memcmp(&want, &q->y[i], 4) != 0)
            return QCHECK(0, "element %lld: want %g, got %g", (long long)i, (double)want, (double)q->y[i]);
    }
    return 1;
}

static qcts_status dq_call(qcts_backend_handle *h, dq *q, char *msg, size_t n)
{
    return qcts_backend_call(qcts_backend_get(h), QCTS_OP_DEQUANT, &q->d, &q->b, msg, n);
}

/* ---- the same answers as in-process ------------------------------------------------- */

static void test_example_same_as_in_process(void)
{
    qcts_backend_handle *iso = open_plugin("examples", "plugin_example", 0);
    qcts_backend_handle *inp = open_plugin("examples", "plugin_example", 1);
    if (!iso || !inp) {
        qcts_backend_close(iso);
        qcts_backend_close(inp);
        return;
    }
    const qcts_backend *a = qcts_backend_get(iso), *b = qcts_backend_get(inp);
    CU_ASSERT_STRING_EQUAL(a->name, b->name);
    CU_ASSERT_STRING_EQUAL(a->description, b->description);
    CU_ASSERT_EQUAL(a->flags, b->flags);
    CU_ASSERT_EQUAL(!a->convert, !b->convert);
    CU_ASSERT_EQUAL(!a->quantize, !b->quantize);
    CU_ASSERT_EQUAL(!a->dequant, !b->dequant);
    CU_ASSERT_EQUAL(!a->gemm, !b->gemm);
    CU_ASSERT_EQUAL(!a->sync, !b->sync);
    CU_ASSERT_EQUAL(!a->variant, !b->variant);
    char why[256] = "";
    CU_ASSERT_EQUAL(a->available(why, sizeof why), 1);

    /* Encode every float32 pattern of a sweep to E4M3 and E5M2 (status out
     * given, then NULL), both ways. */
    enum { N = 4096 };
    static float x[N];
    static uint8_t code[2][N], status[2][N];
    for (uint32_t i = 0; i < N; i++) {
        uint32_t u = i * 0x000FFFF1u * 257u + i;
        memcpy(&x[i], &u, 4);
    }
    for (uint32_t fmt = 3; fmt <= 4; fmt++)
        for (int with_status = 0; with_status < 2; with_status++) {
            qcts_convert_desc d = { fmt, 0, 0, 0, N };
            for (int k = 0; k < 2; k++) {
                memset(code[k], 0xA5, N);
                memset(status[k], 0xA5, N);
                qcts_buffers bf;
                memset(&bf, 0, sizeof bf);
                bf.in[0] = x;
                bf.in_bytes[0] = sizeof x;
                bf.out[0] = code[k];
                bf.out_bytes[0] = N;
                bf.out[1] = with_status ? status[k] : NULL;
                bf.out_bytes[1] = with_status ? N : 0;
                char msg[512] = "";
                qcts_status st = qcts_backend_call(k ? b : a, QCTS_OP_CONVERT, &d, &bf, msg, sizeof msg);
                QCHECK(st == QCTS_OK, "fmt %u, %s: %s", fmt, k ? "in-process" : "isolated", msg);
            }
            QCHECK(memcmp(code[0], code[1], N) == 0, "fmt %u: codes differ between isolated and in-process", fmt);
            QCHECK(memcmp(status[0], status[1], N) == 0, "fmt %u: status differs (with_status %d)", fmt,
                   with_status);
        }
    /* An unsupported case keeps its reason. */
    qcts_convert_desc d5 = { 5, 0, 0, 0, 1 };
    qcts_buffers bf;
    memset(&bf, 0, sizeof bf);
    bf.in[0] = x;
    bf.in_bytes[0] = 4;
    bf.out[0] = code[0];
    bf.out_bytes[0] = 1;
    char msg[512];
    CU_ASSERT_EQUAL(qcts_backend_call(a, QCTS_OP_CONVERT, &d5, &bf, msg, sizeof msg), QCTS_UNSUPPORTED);
    CU_ASSERT_STRING_EQUAL(msg, "plugin_example converts only e4m3 and e5m2 (format 5 asked)");

    dq q;
    dq_make(&q, 3, 40, 0);
    CU_ASSERT_EQUAL(dq_call(iso, &q, msg, sizeof msg), QCTS_OK);
    dq_right(&q, 3 * 40);
    dq_free(&q);
    qcts_backend_close(iso);
    qcts_backend_close(inp);
}

/* Loader refusals read the same either way. */
static void test_refusals_same_as_in_process(void)
{
    static const char *const bad[] = { "bad_abi", "bad_size", "no_symbol", "null_entry" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char spec[1024], e0[1024], e1[1024];
        spec_of("test-plugins", bad[i], spec, sizeof spec);
        qcts_backend_handle *h = NULL;
        qcts_backend_open_opts iso = { 0, 0 }, inp = { 1, 0 };
        CU_ASSERT_EQUAL(qcts_backend_open_with(spec, &iso, &h, e0, sizeof e0), QCTS_ERROR);
        CU_ASSERT_EQUAL(qcts_backend_open_with(spec, &inp, &h, e1, sizeof e1), QCTS_ERROR);
        QCHECK(strcmp(e0, e1) == 0, "%s: isolated '%s', in-process '%s'", bad[i], e0, e1);
    }
}

/* ---- a process that ends ------------------------------------------------------------------ */

/* The plugin misbehaves in run on rows < 4: ERROR naming `what`, then a
 * good call on the same handle (a new process), then misbehaviour again. */
static void crash_then_recover(const char *name, const char *what, double timeout)
{
    qcts_backend_handle *h = open_plugin("plugins", name, 0);
    if (!h)
        return;
    char err[256], v[32];
    snprintf(v, sizeof v, "%g", timeout);
    for (int round = 0; round < 2; round++) {
        dq bad, good;
        dq_make(&bad, 1, 1, 0xFFC1BAD5u);
        dq_make(&good, 4, 33, 0xFFC1BAD5u);
        char msg[1024] = "";
        if (timeout > 0)
            CU_ASSERT_EQUAL(qcts_backend_set_option(h, "timeout", v, err, sizeof err), QCTS_OK);
        CU_ASSERT_EQUAL(dq_call(h, &bad, msg, sizeof msg), QCTS_ERROR);
        CONTAINS(msg, what);
        msg[0] = '\0';
        /* the good call starts a new process (fork, dlopen) under the
         * timeout: a short one failed it at random under load or qemu */
        if (timeout > 0)
            CU_ASSERT_EQUAL(qcts_backend_set_option(h, "timeout", "120", err, sizeof err), QCTS_OK);
        QCHECK(dq_call(h, &good, msg, sizeof msg) == QCTS_OK, "%s, round %d: the call after the crash: %s", name,
               round, msg);
        dq_right(&good, 4 * 33);
        dq_free(&bad);
        dq_free(&good);
    }
    qcts_backend_close(h);
}

static void test_segv(void)
{
    crash_then_recover("hostile_segv", "the plugin's process was killed by signal 11 (SIGSEGV) in run()", 0);
}

static void test_abort(void)
{
    crash_then_recover("hostile_abort", "the plugin's process was killed by signal 6 (SIGABRT) in run()", 0);
}

static void test_exit0(void)
{
    crash_then_recover("hostile_exit0",
                       "the plugin's process exited with status 0 in run() (a plugin must return, never exit)", 0);
}

static void test_loop_times_out(void)
{
    crash_then_recover("hostile_loop", "the plugin did not answer within 0.5 s (timeout) in run(); its process was "
                       "killed", 0.5);
}

static void test_exit_while_loading(void)
{
    char spec[1024], err[1024], want[1200];
    spec_of("plugins", "hostile_exit_at_load", spec, sizeof spec);
    qcts_backend_handle *h = (qcts_backend_handle *)1;
    CU_ASSERT_EQUAL(qcts_backend_open(spec, &h, err, sizeof err), QCTS_ERROR);
    CU_ASSERT_PTR_NULL(h);
    snprintf(want, sizeof want, "plugin %s: the plugin's process exited with status 0 while loading it (a plugin "
             "must return, never exit)", spec + 7);
    CU_ASSERT_STRING_EQUAL(err, want);
}

/* variant() is asked for with fetch: its crash fails fetch. */
static void test_variant_crash(void)
{
    qcts_backend_handle *h = open_plugin("plugins", "hostile_variant_segv", 0);
    if (!h)
        return;
    const qcts_backend *be = qcts_backend_get(h);
    CU_ASSERT_PTR_NOT_NULL(be->variant);
    dq q;
    dq_make(&q, 2, 8, 0);
    qcts_call *c = NULL;
    char msg[1024] = "";
    CU_ASSERT_EQUAL(be->dequant(&q.d, &q.b, &c, msg, sizeof msg), QCTS_OK);
    if (c) {
        CU_ASSERT_EQUAL(be->run(c, msg, sizeof msg), QCTS_OK);
        CU_ASSERT_EQUAL(be->fetch(c, msg, sizeof msg), QCTS_ERROR);
        CONTAINS(msg, "the plugin's process was killed by signal 11 (SIGSEGV) in fetch() or variant()");
        be->release(c);
    }
    dq_free(&q);
    qcts_backend_close(h);
}

/* ---- what the harness relies on ------------------------------------------------------------ */

/* Poison stays where nothing is written; a write past the end is caught. */
static void test_poison_and_guards(void)
{
    qcts_backend_handle *h = open_plugin("plugins", "broken_skip_last", 0);
    if (h) {
        dq q;
        dq_make(&q, 2, 5, 0x7FC0DEADu);
        char msg[512] = "";
        CU_ASSERT_EQUAL(dq_call(h, &q, msg, sizeof msg), QCTS_OK);
        dq_right(&q, 2 * 5 - 1);
        uint32_t last;
        memcpy(&last, &q.y[2 * 5 - 1], 4);
        CU_ASSERT_EQUAL(last, 0x7FC0DEADu);
        dq_free(&q);
        qcts_backend_close(h);
    }
    h = open_plugin("plugins", "broken_overrun", 0);
    if (h) {
        dq q;
        dq_make(&q, 1, 3, 0);
        char msg[512] = "";
        CU_ASSERT_EQUAL(dq_call(h, &q, msg, sizeof msg), QCTS_ERROR);
        CONTAINS(msg, "wrote past the end of output y at byte 12 (the output has 12 bytes");
        dq_free(&q);
        qcts_backend_close(h);
    }
}

/* Calls live at once on one handle (as bench's cold copies are), each on
 * its own buffers, run after fetch, then released in reverse order. */
static void test_live_calls(void)
{
    qcts_backend_handle *h = open_plugin("examples", "plugin_example", 0);
    if (!h)
        return;
    const qcts_backend *be = qcts_backend_get(h);
    enum { K = 5 };
    dq q[K];
    qcts_call *c[K];
    char msg[512];
    for (int k = 0; k < K; k++) {
        dq_make(&q[k], k + 1, 17, 0);
        c[k] = NULL;
        QCHECK(be->dequant(&q[k].d, &q[k].b, &c[k], msg, sizeof msg) == QCTS_OK && c[k], "prepare %d: %s", k, msg);
    }
    for (int k = 0; k < K; k++)
        for (int rep = 0; rep < 2 && c[k]; rep++) {
            QCHECK(be->run(c[k], msg, sizeof msg) == QCTS_OK, "run %d: %s", k, msg);
            QCHECK(be->fetch(c[k], msg, sizeof msg) == QCTS_OK, "fetch %d: %s", k, msg);
            dq_right(&q[k], (k + 1) * 17);
        }
    for (int k = K - 1; k >= 0; k--) {
        if (c[k])
            be->release(c[k]);
        dq_free(&q[k]);
    }
    qcts_backend_close(h);
}

/* Closing reaps everything: no child of this process is left. */
static void test_close_leaves_no_child(void)
{
    qcts_backend_handle *h = open_plugin("plugins", "hostile_segv", 0);
    if (!h)
        return;
    dq q;
    dq_make(&q, 1, 1, 0);
    char msg[512];
    CU_ASSERT_EQUAL(dq_call(h, &q, msg, sizeof msg), QCTS_ERROR);
    dq_free(&q);
    qcts_backend_close(h);
    errno = 0;
    CU_ASSERT_EQUAL(waitpid(-1, NULL, WNOHANG), -1);
    CU_ASSERT_EQUAL(errno, ECHILD);
}

QTEST_SUITE(plugin_isolation,
    QTEST(test_example_same_as_in_process),
    QTEST(test_refusals_same_as_in_process),
    QTEST(test_segv),
    QTEST(test_abort),
    QTEST(test_exit0),
    QTEST(test_loop_times_out),
    QTEST(test_exit_while_loading),
    QTEST(test_variant_crash),
    QTEST(test_poison_and_guards),
    QTEST(test_live_calls),
    QTEST(test_close_leaves_no_child))
