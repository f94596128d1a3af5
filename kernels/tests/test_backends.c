/* Tests of the backend registry (qcts/backends.h) and the backends behind
 * it: names and messages of the registry, the plugin loader's refusals
 * (tiny bad plugins built by kernels/kernels.mk into
 * $(BUILD)/test-plugins), the ref backend through the ABI against direct
 * qref calls for every scheme preset, and the exec backend: round trips
 * through `qcts case run --backend ref` (a second qcts process; skipped
 * when the qcts binary is not built) and every way a command can fail. */
#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kernels/exec/exec_spawn.h"
#include "qcts/backends.h"
#include "qcts/case_call.h"
#include "qref/fmt.h"
#include "qref/scheme.h"
#include "qtest.h"

#ifndef QCTS_TEST_BUILD_DIR
#define QCTS_TEST_BUILD_DIR "build/native"
#endif

#define CONTAINS(hay, needle) QCHECK(strstr((hay), (needle)) != NULL, "message '%s' lacks '%s'", (hay), (needle))

static uint64_t rng_state;
static uint64_t rnd(void)
{
    uint64_t x = rng_state += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}
/* Roughly gaussian, scaled per row so groups see different magnitudes. */
static float rnd_weight(int64_t row)
{
    double s = 0;
    for (int i = 0; i < 4; i++)
        s += (double)(rnd() >> 11) * 0x1p-53 - 0.5;
    return (float)(s * ldexp(1.0, (int)(row % 7) - 3));
}

static const char *plugin_path(const char *dir, const char *name, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s/%s.so", QCTS_TEST_BUILD_DIR, dir, name);
    return buf;
}

/* ---- registry ------------------------------------------------------------------ */

static void test_registry_names(void)
{
    char err[512];
    qcts_backend_handle *h = NULL;
    CU_ASSERT_EQUAL_FATAL(qcts_backend_open("ref", &h, err, sizeof err), QCTS_OK);
    const qcts_backend *be = qcts_backend_get(h);
    CU_ASSERT_STRING_EQUAL(be->name, "ref");
    CU_ASSERT_STRING_EQUAL(qcts_backend_spec(h), "ref");
    CU_ASSERT_EQUAL(be->abi_version, QCTS_BACKEND_ABI_VERSION);
    CU_ASSERT_EQUAL(qcts_backend_set_option(h, "timeout", "3", err, sizeof err), QCTS_ERROR);
    CU_ASSERT_STRING_EQUAL(err, "backend 'ref' has no option 'timeout'");
    qcts_backend_close(h);

    h = (qcts_backend_handle *)1;
    CU_ASSERT_EQUAL(qcts_backend_open("nope", &h, err, sizeof err), QCTS_ERROR);
    CU_ASSERT_PTR_NULL(h);
    CU_ASSERT_STRING_EQUAL(err, "unknown backend 'nope' (accepted: ref, simd, avx2, avx512, neon, metal, metal-fast, "
                                "metal-cpu, cuda, plugin:PATH.so, exec:COMMAND, metal-kernels:FILE.json, "
                                "metal-cpu-kernels:FILE.json)");
    CU_ASSERT_EQUAL(qcts_backend_open("", &h, err, sizeof err), QCTS_ERROR);
    CU_ASSERT_STRING_EQUAL(err, "no backend given");
    CU_ASSERT_EQUAL(qcts_backend_open("exec:", &h, err, sizeof err), QCTS_ERROR);
    CU_ASSERT_STRING_EQUAL(err, "backend 'exec:': no command given (exec:COMMAND)");
    CU_ASSERT_EQUAL(qcts_backend_open("plugin:", &h, err, sizeof err), QCTS_ERROR);
    CU_ASSERT_STRING_EQUAL(err, "backend 'plugin:': no path given (plugin:PATH.so)");

    /* Every listed name has info; names not built say so and refuse to open. */
    const char *const *names = qcts_backend_names();
    int n = 0, built = 0;
    for (; names[n]; n++) {
        qcts_backend_info info;
        CU_ASSERT_EQUAL(qcts_backend_info_get(names[n], &info), 0);
        QCHECK(info.description && info.description[0], "%s: no description", names[n]);
        qcts_status st = qcts_backend_open(names[n], &h, err, sizeof err);
        if (info.built) {
            built++;
            QCHECK(st == QCTS_OK, "%s: built but open says %s", names[n], err);
            qcts_backend_close(h);
        } else {
            QCHECK(st == QCTS_UNAVAILABLE && h == NULL, "%s: not built but open gives %d", names[n], (int)st);
            QCHECK(!info.available && strstr(info.why, "not built"), "%s: why = '%s'", names[n], info.why);
            char want[300];
            snprintf(want, sizeof want, "backend '%s' is %s", names[n], info.why);
            QCHECK(strcmp(err, want) == 0, "%s: '%s' != '%s'", names[n], err, want);
        }
    }
    CU_ASSERT(n >= 7);
    CU_ASSERT(built >= 1);
    CU_ASSERT_EQUAL(qcts_backend_info_get("plugin:x", &(qcts_backend_info){ 0 }), -1);
}

/* ---- plugin loader ---------------------------------------------------------------- */

static void test_plugin_refusals(void)
{
    char err[1024], want[1024], p[512];
    qcts_backend_handle *h = NULL;
    char spec[600];

    CU_ASSERT_EQUAL(qcts_backend_open("plugin:/nonexistent/x.so", &h, err, sizeof err), QCTS_ERROR);
    CU_ASSERT_STRING_EQUAL(err, "plugin /nonexistent/x.so: no such file");

    plugin_path("test-plugins", "no_symbol", p, sizeof p);
    snprintf(spec, sizeof spec, "plugin:%s", p);
    CU_ASSERT_EQUAL(qcts_backend_open(spec, &h, err, sizeof err), QCTS_ERROR);
    snprintf(want, sizeof want, "plugin %s: no symbol 'qcts_backend_entry' (a plugin exports const qcts_backend "
             "*qcts_backend_entry(void)): ", p);
    QCHECK(strncmp(err, want, strlen(want)) == 0, "'%s' does not start with '%s'", err, want);
    CONTAINS(err + strlen(want) - 2, "undefined symbol: qcts_backend_entry");  /* dlerror() */

    plugin_path("test-plugins", "bad_abi", p, sizeof p);
    snprintf(spec, sizeof spec, "plugin:%s", p);
    CU_ASSERT_EQUAL(qcts_backend_open(spec, &h, err, sizeof err), QCTS_ERROR);
    snprintf(want, sizeof want, "plugin %s: backend ABI version %u, but this qcts uses ABI version %u (rebuild it "
             "against this qcts/backend.h)", p, QCTS_BACKEND_ABI_VERSION + 41, QCTS_BACKEND_ABI_VERSION);
    CU_ASSERT_STRING_EQUAL(err, want);

    plugin_path("test-plugins", "bad_size", p, sizeof p);
    snprintf(spec, sizeof spec, "plugin:%s", p);
    CU_ASSERT_EQUAL(qcts_backend_open(spec, &h, err, sizeof err), QCTS_ERROR);
    snprintf(want, sizeof want, "plugin %s: struct_size %zu, but qcts_backend of ABI version %u has %zu bytes "
             "(rebuild it against this qcts/backend.h)", p, sizeof(qcts_backend) - 8, QCTS_BACKEND_ABI_VERSION,
             sizeof(qcts_backend));
    CU_ASSERT_STRING_EQUAL(err, want);

    plugin_path("test-plugins", "null_entry", p, sizeof p);
    snprintf(spec, sizeof spec, "plugin:%s", p);
    CU_ASSERT_EQUAL(qcts_backend_open(spec, &h, err, sizeof err), QCTS_ERROR);
    snprintf(want, sizeof want, "plugin %s: the entry function returned NULL", p);
    CU_ASSERT_STRING_EQUAL(err, want);

    /* not a shared object at all */
    snprintf(spec, sizeof spec, "plugin:%s/Makefile", QCTS_TEST_SRC_DIR);
    CU_ASSERT_EQUAL(qcts_backend_open(spec, &h, err, sizeof err), QCTS_ERROR);
    snprintf(want, sizeof want, "plugin %s/Makefile: cannot load: ", QCTS_TEST_SRC_DIR);
    QCHECK(strncmp(err, want, strlen(want)) == 0, "'%s' does not start with '%s'", err, want);
    CU_ASSERT_PTR_NULL(h);
}

/* The example plugin against ref: every E4M3/E5M2 code decoded, a sweep of
 * float32 values (edges, ties, NaN, Inf) encoded in every mode, and an
 * int8_per_channel dequant; ops it lacks are SKIP with a reason. */
static void test_plugin_example_matches_ref(void)
{
    char err[1024], p[512], spec[600];
    qcts_backend_handle *hp = NULL, *hr = NULL;
    snprintf(spec, sizeof spec, "plugin:%s", plugin_path("examples", "plugin_example", p, sizeof p));
    CU_ASSERT_EQUAL_FATAL(qcts_backend_open(spec, &hp, err, sizeof err), QCTS_OK);
    CU_ASSERT_EQUAL_FATAL(qcts_backend_open("ref", &hr, err, sizeof err), QCTS_OK);
    const qcts_backend *pl = qcts_backend_get(hp), *ref = qcts_backend_get(hr);
    CU_ASSERT_STRING_EQUAL(pl->name, "plugin_example");

    enum { N = 4096 };
    static float x[N], yp[N], yr[N];
    static uint8_t codes[N], cp[N], cr[N], sp[N], sr[N];
    rng_state = 7;
    for (int i = 0; i < N; i++) {
        uint32_t u;
        if (i < 256) {
            codes[i] = (uint8_t)i;
        }
        if (i < 1024) {   /* around every FP8 value: exact, ties, neighbours */
            float v = ldexpf(1.0f + (float)(i % 16) / 16.0f, (i / 16) % 40 - 20);
            v = (i & 512) ? -v : v;
            memcpy(&u, &v, 4);
            u += (uint32_t)(i % 3) - 1;
        } else {
            u = (uint32_t)rnd();
        }
        memcpy(&x[i], &u, 4);
    }
    float specials[] = { 0.0f, -0.0f, INFINITY, -INFINITY, NAN, -NAN, 448, 464, 465, 480, 57344, 61440, 61441,
                         0x1p-9f, 0x1p-10f, 0x1.8p-10f, 0x1p-16f, 0x1p-17f, 0x1.0p-17f * 1.5f, 1e-40f };
    memcpy(x + 1024, specials, sizeof specials);
    for (uint32_t fmt = 3; fmt <= 4; fmt++)
        for (uint32_t mode = 0; mode <= 2; mode++) {
            qcts_convert_desc d = { .fmt = fmt, .convention = 0, .mode = mode, .decode = 0, .n = N };
            qcts_buffers bp = { .in = { x }, .in_bytes = { sizeof x }, .out = { cp, sp }, .out_bytes = { N, N } };
            qcts_buffers br = bp;
            br.out[0] = cr;
            br.out[1] = sr;
            CU_ASSERT_EQUAL(qcts_backend_call(pl, QCTS_OP_CONVERT, &d, &bp, err, sizeof err), QCTS_OK);
            CU_ASSERT_EQUAL(qcts_backend_call(ref, QCTS_OP_CONVERT, &d, &br, err, sizeof err), QCTS_OK);
            int bad = 0;
            for (int i = 0; i < N && bad < QTEST_MAX_REPORTS; i++)
                bad += !QCHECK(cp[i] == cr[i] && sp[i] == sr[i], "fmt %u mode %u x=%a: plugin 0x%02X/%u ref 0x%02X/%u",
                               fmt, mode, (double)x[i], cp[i], sp[i], cr[i], sr[i]);
            d.decode = 1;
            d.n = 256;
            qcts_buffers dp = { .in = { codes }, .in_bytes = { 256 }, .out = { yp }, .out_bytes = { sizeof yp } };
            qcts_buffers dr = dp;
            dr.out[0] = yr;
            CU_ASSERT_EQUAL(qcts_backend_call(pl, QCTS_OP_CONVERT, &d, &dp, err, sizeof err), QCTS_OK);
            CU_ASSERT_EQUAL(qcts_backend_call(ref, QCTS_OP_CONVERT, &d, &dr, err, sizeof err), QCTS_OK);
            CU_ASSERT(memcmp(yp, yr, 256 * 4) == 0);
        }
    qcts_convert_desc other = { .fmt = 5, .n = 4 };
    qcts_buffers ob = { .in = { x }, .in_bytes = { 16 }, .out = { cp }, .out_bytes = { 4 } };
    CU_ASSERT_EQUAL(qcts_backend_call(pl, QCTS_OP_CONVERT, &other, &ob, err, sizeof err), QCTS_UNSUPPORTED);
    CU_ASSERT_STRING_EQUAL(err, "plugin_example converts only e4m3 and e5m2 (format 5 asked)");
    qcts_quantize_desc qd = { "int8_per_channel", 1, 4 };
    CU_ASSERT_EQUAL(qcts_backend_call(pl, QCTS_OP_QUANTIZE, &qd, &ob, err, sizeof err), QCTS_UNSUPPORTED);
    CU_ASSERT_STRING_EQUAL(err, "backend plugin_example has no quantize");

    /* dequant int8_per_channel: quantize with ref, dequantize with both */
    enum { R = 16, C = 64 };
    static float w[R * C];
    static uint8_t q[R * C + 4 * R];
    for (int i = 0; i < R * C; i++)
        w[i] = rnd_weight(i / C);
    qcts_quantize_desc qdesc = { "int8_per_channel", R, C };
    qcts_buffers qb = { .in = { w }, .in_bytes = { sizeof w }, .out = { q }, .out_bytes = { sizeof q } };
    CU_ASSERT_EQUAL_FATAL(qcts_backend_call(ref, QCTS_OP_QUANTIZE, &qdesc, &qb, err, sizeof err), QCTS_OK);
    qcts_dequant_desc dd = { "int8_per_channel", R, C, QCTS_DT_F32 };
    static float dp[R * C], dr[R * C];
    qcts_buffers b1 = { .in = { q }, .in_bytes = { sizeof q }, .out = { dp }, .out_bytes = { sizeof dp } };
    qcts_buffers b2 = b1;
    b2.out[0] = dr;
    CU_ASSERT_EQUAL(qcts_backend_call(pl, QCTS_OP_DEQUANT, &dd, &b1, err, sizeof err), QCTS_OK);
    CU_ASSERT_EQUAL(qcts_backend_call(ref, QCTS_OP_DEQUANT, &dd, &b2, err, sizeof err), QCTS_OK);
    CU_ASSERT(memcmp(dp, dr, sizeof dp) == 0);
    qcts_backend_close(hp);
    qcts_backend_close(hr);
}

/* ---- ref through the ABI == qref directly ----------------------------------------- */

static void test_ref_convert_equals_qref(void)
{
    char err[512];
    qcts_backend_handle *h;
    CU_ASSERT_EQUAL_FATAL(qcts_backend_open("ref", &h, err, sizeof err), QCTS_OK);
    const qcts_backend *be = qcts_backend_get(h);
    enum { N = 2000 };
    static float x[N], y[N];
    static uint8_t out[4 * N], st[N], in[4 * N];
    rng_state = 11;
    for (int i = 0; i < N; i++) {
        uint32_t u = i < 16 ? (uint32_t[]){ 0, 0x80000000u, 0x7F800000u, 0xFF800000u, 0x7FC00000u, 0xFFC00001u,
                                            0x3F800000u, 0x00000001u, 0x43E00000u, 0x47700000u, 0x40C00000u,
                                            0x3F400000u, 0x3EC00000u, 0x7F7FFFFFu, 0x33800000u, 0x00800000u }[i]
                            : (uint32_t)rnd();
        if (i >= 16 && i % 2)
            u = (u & 0x81FFFFFFu) | 0x3C000000u;   /* moderate magnitudes */
        memcpy(&x[i], &u, 4);
    }
    int bad = 0;
    for (int f = 0; f < QREF_FMT_COUNT; f++)
        for (int c = 0; c < QREF_CONV_COUNT; c++)
            for (int m = 0; m <= 2; m++) {
                qcts_convert_desc d = { (uint32_t)f, (uint32_t)c, (uint32_t)m, 0, N };
                qcts_buffers b = { .in = { x }, .in_bytes = { sizeof x }, .out = { out, st },
                                   .out_bytes = { sizeof out, N } };
                qref_mode eff;
                int ok = qref_mode_resolve((qref_fmt)f, (qref_conv)c, (qref_mode)m, &eff) == QREF_OK;
                qcts_status s = qcts_backend_call(be, QCTS_OP_CONVERT, &d, &b, err, sizeof err);
                if (!ok) {
                    bad += !QCHECK(s == QCTS_UNSUPPORTED, "fmt %d conv %d mode %d: %d", f, c, m, (int)s);
                    continue;
                }
                if (!QCHECK(s == QCTS_OK, "fmt %d conv %d mode %d: %s", f, c, m, err))
                    continue;
                unsigned bits = qref_fmt_get((qref_fmt)f)->bits;
                size_t wd = bits <= 8 ? 1 : bits <= 16 ? 2 : 4;
                for (int i = 0; i < N && bad < QTEST_MAX_REPORTS; i++) {
                    uint32_t code = 0, got = 0;
                    qref_status qs = qref_encode((qref_fmt)f, (qref_conv)c, (qref_mode)m, x[i], &code);
                    for (size_t k = 0; k < wd; k++)
                        got |= (uint32_t)out[i * wd + k] << (8 * k);
                    bad += !QCHECK(got == code && st[i] == (uint8_t)qs, "fmt %d conv %d mode %d x %a: 0x%X/%u vs "
                                   "0x%X/%d", f, c, m, (double)x[i], got, st[i], code, (int)qs);
                }
                /* decode: every code of small formats, random codes of the others */
                d.decode = 1;
                for (int i = 0; i < N; i++) {
                    uint32_t code = (uint32_t)rnd();
                    if (bits < 32)
                        code = (i < (1 << (bits < 12 ? bits : 12)) ? (uint32_t)i : code) & ((1u << bits) - 1);
                    for (size_t k = 0; k < wd; k++)
                        in[i * wd + k] = (uint8_t)(code >> (8 * k));
                }
                qcts_buffers db = { .in = { in }, .in_bytes = { sizeof in }, .out = { y }, .out_bytes = { sizeof y } };
                s = qcts_backend_call(be, QCTS_OP_CONVERT, &d, &db, err, sizeof err);
                if (!QCHECK(s == QCTS_OK, "decode fmt %d conv %d: %s", f, c, err))
                    continue;
                for (int i = 0; i < N && bad < QTEST_MAX_REPORTS; i++) {
                    uint32_t code = 0;
                    float v;
                    for (size_t k = 0; k < wd; k++)
                        code |= (uint32_t)in[i * wd + k] << (8 * k);
                    qref_decode((qref_fmt)f, (qref_conv)c, code, &v);
                    bad += !QCHECK(memcmp(&v, &y[i], 4) == 0, "decode fmt %d conv %d code 0x%X", f, c, code);
                }
            }
    /* status is optional */
    qcts_convert_desc d = { 3, 0, 0, 0, 4 };
    qcts_buffers b = { .in = { x }, .in_bytes = { 16 }, .out = { out }, .out_bytes = { 4 } };
    CU_ASSERT_EQUAL(qcts_backend_call(be, QCTS_OP_CONVERT, &d, &b, err, sizeof err), QCTS_OK);
    /* buffers too small */
    b.out_bytes[0] = 3;
    CU_ASSERT_EQUAL(qcts_backend_call(be, QCTS_OP_CONVERT, &d, &b, err, sizeof err), QCTS_ERROR);
    CU_ASSERT_STRING_EQUAL(err, "ref: output 0 (y) is too small: 3 bytes given, 4 needed");
    qcts_backend_close(h);
}

/* A shape every preset takes (tried in order). */
static int scheme_shape(const qref_scheme *s, int64_t *rows, int64_t *cols)
{
    static const int64_t shapes[][2] = { { 4, 64 }, { 16, 256 }, { 64, 256 }, { 256, 256 } };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        qref_qsizes z;
        if (qref_qsizes_get(s, shapes[i][0], shapes[i][1], &z, NULL) == QREF_OK) {
            *rows = shapes[i][0];
            *cols = shapes[i][1];
            return 1;
        }
    }
    return 0;
}

static void test_ref_quant_dequant_equals_qref(void)
{
    char err[512];
    qcts_backend_handle *h;
    CU_ASSERT_EQUAL_FATAL(qcts_backend_open("ref", &h, err, sizeof err), QCTS_OK);
    const qcts_backend *be = qcts_backend_get(h);
    int tested = 0;
    for (size_t si = 0; si < qref_scheme_count(); si++) {
        const qref_scheme *s = qref_scheme_at(si);
        int64_t rows = 0, cols = 0;
        if (!QCHECK(scheme_shape(s, &rows, &cols), "%s: no test shape fits", s->name))
            continue;
        size_t n = (size_t)(rows * cols);
        float *w = malloc(n * 4);
        rng_state = si + 100;
        for (size_t i = 0; i < n; i++)
            w[i] = rnd_weight((int64_t)(i / (size_t)cols));
        qref_qtensor t;
        qref_error e;
        qref_status qs = qref_quantize(s, rows, cols, w, &t, &e);
        qcts_quantize_desc qd = { s->name, rows, cols };
        qcts_op_io io;
        CU_ASSERT_EQUAL_FATAL(qcts_op_io_get(QCTS_OP_QUANTIZE, &qd, &io, err, sizeof err), QCTS_OK);
        size_t qb = io.out[0].nbytes;
        uint8_t *q = malloc(qb), *q2 = malloc(qb);
        qcts_buffers b = { .in = { w }, .in_bytes = { n * 4 }, .out = { q }, .out_bytes = { qb } };
        qcts_status st = qcts_backend_call(be, QCTS_OP_QUANTIZE, &qd, &b, err, sizeof err);
        if (qs == QREF_ERR_UNSUPPORTED) {
            QCHECK(st == QCTS_UNSUPPORTED, "%s: qref unsupported, backend %s", s->name, qcts_status_name(st));
            goto next;
        }
        if (!QCHECK(qs == QREF_OK && st == QCTS_OK, "%s: quantize %s / %s", s->name, qref_status_name(qs), err)) {
            if (qs == QREF_OK)
                qref_qtensor_free(&t);
            goto next;
        }
        CU_ASSERT_EQUAL(qref_qtensor_save(&t, q2, qb), QREF_OK);
        QCHECK(memcmp(q, q2, qb) == 0, "%s: quantized bytes differ", s->name);
        for (int dt = 0; dt < 3; dt++) {
            static const qref_fmt fm[] = { QREF_FMT_F32, QREF_FMT_F16, QREF_FMT_BF16 };
            size_t ob = n * (dt == 0 ? 4 : 2);
            void *y1 = malloc(ob), *y2 = malloc(ob);
            qcts_dequant_desc dd = { s->name, rows, cols, (qcts_dtype)dt };
            qcts_buffers db = { .in = { q }, .in_bytes = { qb }, .out = { y1 }, .out_bytes = { ob } };
            st = qcts_backend_call(be, QCTS_OP_DEQUANT, &dd, &db, err, sizeof err);
            QCHECK(st == QCTS_OK, "%s dequant %d: %s", s->name, dt, err);
            CU_ASSERT_EQUAL(qref_dequantize_as(&t, fm[dt], y2, &e), QREF_OK);
            QCHECK(st != QCTS_OK || memcmp(y1, y2, ob) == 0, "%s: dequant %d differs", s->name, dt);
            free(y1);
            free(y2);
        }
        qref_qtensor_free(&t);
        tested++;
    next:
        free(q);
        free(q2);
        free(w);
    }
    CU_ASSERT(tested >= 10);
    /* a wrong desc is an error naming the problem */
    qcts_dequant_desc bad = { "fp4_g32_f16", 4, 63, QCTS_DT_F32 };
    float y[4 * 63];
    uint8_t q[256];
    qcts_buffers b = { .in = { q }, .in_bytes = { sizeof q }, .out = { y }, .out_bytes = { sizeof y } };
    CU_ASSERT_EQUAL(qcts_backend_call(be, QCTS_OP_DEQUANT, &bad, &b, err, sizeof err), QCTS_ERROR);
    CONTAINS(err, "ref: scheme fp4_g32_f16 with rows 4, cols 63");
    qcts_backend_close(h);
}

/* ---- exec ------------------------------------------------------------------------------ */

static const char *qcts_binary(void)
{
    static char path[1024];
    const char *env = getenv("QCTS");
    if (env && env[0] && access(env, X_OK) == 0) {
        if (env[0] == '/')
            return env;
        char cwd[512];
        if (getcwd(cwd, sizeof cwd)) {
            snprintf(path, sizeof path, "%s/%s", cwd, env);
            return path;
        }
    }
    snprintf(path, sizeof path, "%s/qcts", QCTS_TEST_BUILD_DIR);
    return access(path, X_OK) == 0 ? path : NULL;
}

/* A private TMPDIR, to see that exec leaves nothing behind. */
static char tmp[64];
static char *saved_tmpdir;

static void tmp_begin(void)
{
    const char *t = getenv("TMPDIR");
    saved_tmpdir = t ? strdup(t) : NULL;
    snprintf(tmp, sizeof tmp, "/tmp/qcts-exec-test.XXXXXX");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(tmp));
    setenv("TMPDIR", tmp, 1);
}

static void tmp_end(void)
{
    DIR *d = opendir(tmp);
    int left = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            left += !QCHECK(0, "exec left %s/%s behind", tmp, e->d_name);
    if (d)
        closedir(d);
    if (!left)
        rmdir(tmp);
    if (saved_tmpdir)
        setenv("TMPDIR", saved_tmpdir, 1);
    else
        unsetenv("TMPDIR");
    free(saved_tmpdir);
}

static qcts_backend_handle *open_exec(const char *cmd, char *err, size_t n)
{
    char spec[2048];
    qcts_backend_handle *h = NULL;
    snprintf(spec, sizeof spec, "exec:%s", cmd);
    QCHECK(qcts_backend_open(spec, &h, err, n) == QCTS_OK, "open %s: %s", spec, err);
    return h;
}

static void test_exec_round_trip(void)
{
    const char *qcts = qcts_binary();
    /* make builds qcts next to this runner, so a missing binary is a failure */
    if (!QCHECK(qcts != NULL, "no qcts binary in %s and QCTS not set: exec round trip not run", QCTS_TEST_BUILD_DIR))
        return;
    char err[4096], cmd[2200];
    tmp_begin();
    snprintf(cmd, sizeof cmd, "'%s' case run --backend ref", qcts);
    qcts_backend_handle *hx = open_exec(cmd, err, sizeof err), *hr;
    CU_ASSERT_EQUAL_FATAL(qcts_backend_open("ref", &hr, err, sizeof err), QCTS_OK);
    if (!hx)
        goto out;
    const qcts_backend *ex = qcts_backend_get(hx), *ref = qcts_backend_get(hr);
    CU_ASSERT_STRING_EQUAL(ex->name, "exec");
    char why[256];
    CU_ASSERT(ex->available(why, sizeof why));

    /* convert encode with status (e2m1: NaN is not representable) */
    float x[8] = { 0.25f, 0.75f, 5.0f, -7.0f, NAN, -0.0f, INFINITY, 1e-30f };
    uint8_t c1[8], s1[8], c2[8], s2[8];
    qcts_convert_desc cd = { .fmt = 5, .n = 8 };
    qcts_buffers b1 = { .in = { x }, .in_bytes = { sizeof x }, .out = { c1, s1 }, .out_bytes = { 8, 8 } };
    qcts_buffers b2 = { .in = { x }, .in_bytes = { sizeof x }, .out = { c2, s2 }, .out_bytes = { 8, 8 } };
    CU_ASSERT_EQUAL(qcts_backend_call(ex, QCTS_OP_CONVERT, &cd, &b1, err, sizeof err), QCTS_OK);
    CU_ASSERT_EQUAL(qcts_backend_call(ref, QCTS_OP_CONVERT, &cd, &b2, err, sizeof err), QCTS_OK);
    CU_ASSERT(memcmp(c1, c2, 8) == 0 && memcmp(s1, s2, 8) == 0);
    CU_ASSERT_EQUAL(s1[4], 2);
    /* status is optional, as in the C ABI: a caller may pass NULL */
    uint8_t c3[8];
    qcts_buffers b3 = { .in = { x }, .in_bytes = { sizeof x }, .out = { c3, NULL }, .out_bytes = { 8, 0 } };
    CU_ASSERT_EQUAL(qcts_backend_call(ex, QCTS_OP_CONVERT, &cd, &b3, err, sizeof err), QCTS_OK);
    CU_ASSERT(memcmp(c3, c2, 8) == 0);

    /* quantize + dequant (f16) of fp4_g32_f16 */
    enum { R = 8, C = 64 };
    float w[R * C];
    rng_state = 3;
    for (int i = 0; i < R * C; i++)
        w[i] = rnd_weight(i / C);
    uint8_t q1[R * C], q2[R * C];
    qcts_quantize_desc qd = { "fp4_g32_f16", R, C };
    qcts_op_io io;
    CU_ASSERT_EQUAL_FATAL(qcts_op_io_get(QCTS_OP_QUANTIZE, &qd, &io, err, sizeof err), QCTS_OK);
    size_t qb = io.out[0].nbytes;
    qcts_buffers qb1 = { .in = { w }, .in_bytes = { sizeof w }, .out = { q1 }, .out_bytes = { qb } };
    qcts_buffers qb2 = qb1;
    qb2.out[0] = q2;
    CU_ASSERT_EQUAL(qcts_backend_call(ex, QCTS_OP_QUANTIZE, &qd, &qb1, err, sizeof err), QCTS_OK);
    CU_ASSERT_EQUAL(qcts_backend_call(ref, QCTS_OP_QUANTIZE, &qd, &qb2, err, sizeof err), QCTS_OK);
    CU_ASSERT(memcmp(q1, q2, qb) == 0);
    uint16_t y1[R * C], y2[R * C];
    qcts_dequant_desc dd = { "fp4_g32_f16", R, C, QCTS_DT_F16 };
    qcts_buffers db1 = { .in = { q1 }, .in_bytes = { qb }, .out = { y1 }, .out_bytes = { sizeof y1 } };
    qcts_buffers db2 = db1;
    db2.out[0] = y2;
    /* prepare once, run twice: each run gives the same outputs */
    qcts_call *call = NULL;
    CU_ASSERT_EQUAL_FATAL(ex->dequant(&dd, &db1, &call, err, sizeof err), QCTS_OK);
    CU_ASSERT_EQUAL(ex->run(call, err, sizeof err), QCTS_OK);
    memset(y1, 0xAB, sizeof y1);
    CU_ASSERT_EQUAL(ex->run(call, err, sizeof err), QCTS_OK);
    ex->release(call);
    CU_ASSERT_EQUAL(qcts_backend_call(ref, QCTS_OP_DEQUANT, &dd, &db2, err, sizeof err), QCTS_OK);
    CU_ASSERT(memcmp(y1, y2, sizeof y1) == 0);

    /* gemm, when ref has it */
    if (ref->gemm) {
        enum { M = 3, N = 8, K = 64 };
        float a[M * K], bias[N], g1[M * N], g2[M * N];
        for (int i = 0; i < M * K; i++)
            a[i] = rnd_weight(i);
        for (int i = 0; i < N; i++)
            bias[i] = (float)i - 3.5f;
        qcts_gemm_desc gd = { .scheme = "fp4_g32_f16", .batch = 1, .M = M, .N = N, .K = K, .a_dtype = QCTS_DT_F32,
                              .out_dtype = QCTS_DT_F32, .has_bias = 1, .threads = 1 };
        qcts_buffers gb1 = { .in = { a, q1, bias }, .in_bytes = { sizeof a, qb, sizeof bias }, .out = { g1 },
                             .out_bytes = { sizeof g1 } };
        qcts_buffers gb2 = gb1;
        gb2.out[0] = g2;
        CU_ASSERT_EQUAL(qcts_backend_call(ex, QCTS_OP_GEMM, &gd, &gb1, err, sizeof err), QCTS_OK);
        CU_ASSERT_EQUAL(qcts_backend_call(ref, QCTS_OP_GEMM, &gd, &gb2, err, sizeof err), QCTS_OK);
        CU_ASSERT(memcmp(g1, g2, sizeof g1) == 0);
    }

    /* an unsupported case comes back as UNSUPPORTED with the reason */
    qcts_convert_desc mode_bad = { .fmt = 3, .convention = 2 /* torch */, .mode = 1 /* sat */, .n = 8 };
    CU_ASSERT_EQUAL(qcts_backend_call(ex, QCTS_OP_CONVERT, &mode_bad, &b1, err, sizeof err), QCTS_UNSUPPORTED);
    CONTAINS(err, "unsupported (exit status 3)");
    CONTAINS(err, "mode sat is not available for e4m3 under convention torch");

    /* exec of a plugin: the example through a second process */
    char p[512];
    snprintf(cmd, sizeof cmd, "'%s' case run --backend plugin:%s", qcts,
             plugin_path("examples", "plugin_example", p, sizeof p));
    qcts_backend_handle *hp = open_exec(cmd, err, sizeof err);
    if (hp) {
        qcts_convert_desc e4 = { .fmt = 3, .n = 8 };
        CU_ASSERT_EQUAL(qcts_backend_call(qcts_backend_get(hp), QCTS_OP_CONVERT, &e4, &b1, err, sizeof err), QCTS_OK);
        CU_ASSERT_EQUAL(qcts_backend_call(ref, QCTS_OP_CONVERT, &e4, &b2, err, sizeof err), QCTS_OK);
        CU_ASSERT(memcmp(c1, c2, 8) == 0 && memcmp(s1, s2, 8) == 0);
        qcts_backend_close(hp);
    }
    qcts_backend_close(hx);
out:
    qcts_backend_close(hr);
    tmp_end();
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Every way a command can fail, and that nothing is left behind. */
static void test_exec_errors(void)
{
    char err[4096];
    float x[4] = { 1, 2, 3, 4 };
    uint8_t c[4], s[4];
    qcts_convert_desc cd = { .fmt = 3, .n = 4 };
    qcts_buffers b = { .in = { x }, .in_bytes = { sizeof x }, .out = { c, s }, .out_bytes = { 4, 4 } };
    static const struct {
        const char *cmd;
        qcts_status st;
        const char *expect1, *expect2;
    } rows[] = {
        { "false", QCTS_ERROR, "exec 'false': exit status 1; no output", NULL },
        { "sh -c 'echo oops >&2; exit 7' sh", QCTS_ERROR, "exec 'sh -c 'echo oops >&2; exit 7' sh': exit status 7; "
          "output: oops", NULL },
        { "sh -c 'echo dying >&2; kill -SEGV $$' sh", QCTS_ERROR, "killed by signal 11 (Segmentation fault)",
          "output: dying" },
        /* not a simple command: the wrapper shell survives and reports 128 + signal */
        { "cd . && sh -c 'kill -TERM $$' sh", QCTS_ERROR, "exit status 143 (how a shell reports a command killed "
          "by signal 15 (Terminated))", NULL },
        { "sh -c 'echo not today >&2; exit 3' sh", QCTS_UNSUPPORTED, "unsupported (exit status 3); output: not today",
          NULL },
        { "true", QCTS_ERROR, "exit status 0 but bad output", "out.safetensors: cannot open" },
        { "sh -c 'echo garbage > \"$3\"' sh", QCTS_ERROR, "exit status 0 but bad output", NULL },
        { "sh -c 'cp \"$2\" \"$3\"' sh", QCTS_ERROR, "output tensor 'c000/out.y' (or 'out.y') is missing", NULL },
        { "no-such-command-qcts", QCTS_ERROR, "exit status 127", "not found" },
        { "sh -c 'i=0; while [ $i -lt 400 ]; do echo line $i; i=$((i+1)); done; exit 1' sh", QCTS_ERROR,
          "exit status 1; output: ... ", "line 399" },
    };
    tmp_begin();
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        qcts_backend_handle *h = open_exec(rows[i].cmd, err, sizeof err);
        if (!h)
            continue;
        qcts_status st = qcts_backend_call(qcts_backend_get(h), QCTS_OP_CONVERT, &cd, &b, err, sizeof err);
        QCHECK(st == rows[i].st, "%s: status %s, expected %s (%s)", rows[i].cmd, qcts_status_name(st),
               qcts_status_name(rows[i].st), err);
        QCHECK(strstr(err, rows[i].expect1) != NULL, "%s: '%s' lacks '%s'", rows[i].cmd, err, rows[i].expect1);
        if (rows[i].expect2)
            QCHECK(strstr(err, rows[i].expect2) != NULL, "%s: '%s' lacks '%s'", rows[i].cmd, err, rows[i].expect2);
        QCHECK(strlen(err) < 2048 + 600, "%s: message of %zu bytes", rows[i].cmd, strlen(err));
        qcts_backend_close(h);
    }

    /* timeouts: the option, and QCTS_EXEC_TIMEOUT; children are killed too */
    /* The commands would take 300 s: a bound far below that shows the
     * timeout acted, and far above any delay of a loaded host or an
     * emulator (a bound near the sleep failed at random under load). */
    /* Whether the command printed 'waiting' before the timeout killed it
     * depends on how soon it ran (under qemu at load 23 on 2 cores it had
     * not, once in 50 runs, with 0.3 s): the command leaves a mark after
     * printing, outside TMPDIR, and the output must be in the message
     * whenever the mark is there (2 s: nearly always). */
    char marked[128], slow[512];
    snprintf(marked, sizeof marked, "%s.printed", tmp);
    snprintf(slow, sizeof slow, "sh -c 'echo waiting; : > %s; sleep 300 & sleep 300' sh", marked);
    qcts_backend_handle *h = open_exec(slow, err, sizeof err);
    if (h) {
        CU_ASSERT_EQUAL(qcts_backend_set_option(h, "timeout", "2", err, sizeof err), QCTS_OK);
        CU_ASSERT_EQUAL(qcts_backend_set_option(h, "timeout", "-1", err, sizeof err), QCTS_ERROR);
        CONTAINS(err, "timeout must be a number of seconds > 0, got '-1'");
        double t0 = now();
        qcts_status st = qcts_backend_call(qcts_backend_get(h), QCTS_OP_CONVERT, &cd, &b, err, sizeof err);
        double dt = now() - t0;
        CU_ASSERT_EQUAL(st, QCTS_ERROR);
        CONTAINS(err, "timed out after 2 s (the command and its descendants were killed); ");
        if (access(marked, F_OK) == 0)
            CONTAINS(err, "timed out after 2 s (the command and its descendants were killed); output: waiting");
        else
            fprintf(stderr, "\n  note: the command was killed before it printed (a slow start): %s\n", err);
        unlink(marked);
        QCHECK(dt < 200.0, "the timeout took %.1f s", dt);
        qcts_backend_close(h);
    }
    setenv("QCTS_EXEC_TIMEOUT", "0.2", 1);
    h = open_exec("sh -c 'sleep 300' sh", err, sizeof err);
    if (h) {
        double t0 = now();
        CU_ASSERT_EQUAL(qcts_backend_call(qcts_backend_get(h), QCTS_OP_CONVERT, &cd, &b, err, sizeof err), QCTS_ERROR);
        CONTAINS(err, "timed out after 0.2 s");
        QCHECK(now() - t0 < 200.0, "the timeout took %.1f s", now() - t0);
        qcts_backend_close(h);
    }
    setenv("QCTS_EXEC_TIMEOUT", "soon", 1);
    CU_ASSERT_EQUAL(qcts_backend_open("exec:true", &h, err, sizeof err), QCTS_ERROR);
    CU_ASSERT_STRING_EQUAL(err, "QCTS_EXEC_TIMEOUT must be a number of seconds > 0, got 'soon'");
    unsetenv("QCTS_EXEC_TIMEOUT");

    /* many exec backends at once: each knows its own command */
    qcts_backend_handle *hs[4];
    for (int i = 0; i < 4; i++) {
        char cmd[64];
        snprintf(cmd, sizeof cmd, "sh -c 'exit %d' sh", 10 + i);
        hs[i] = open_exec(cmd, err, sizeof err);
    }
    for (int i = 0; i < 4; i++) {
        if (!hs[i])
            continue;
        char want[32];
        snprintf(want, sizeof want, "exit status %d", 10 + i);
        qcts_backend_call(qcts_backend_get(hs[i]), QCTS_OP_CONVERT, &cd, &b, err, sizeof err);
        CONTAINS(err, want);
    }
    for (int i = 0; i < 4; i++)
        qcts_backend_close(hs[i]);
    tmp_end();
}

/* Outputs that are not a bounded regular file are errors, found without
 * reading them; every descendant dies with the call, setsid ones too. */
static void test_exec_hostile_outputs(void)
{
    char err[4096], cmd[1024], pidfile[128];
    float x[4] = { 1, 2, 3, 4 };
    uint8_t c[4], s[4];
    qcts_convert_desc cd = { .fmt = 3, .n = 4 };
    qcts_buffers b = { .in = { x }, .in_bytes = { sizeof x }, .out = { c, s }, .out_bytes = { 4, 4 } };
    static const struct {
        const char *cmd, *expect;
    } rows[] = {
        /* a FIFO nobody writes: opening it would block forever */
        { "sh -c 'mkfifo \"$3\"' sh", "is not a regular file (a FIFO); outputs must be regular files" },
        { "sh -c 'ln -s /dev/zero \"$3\"' sh", "is not a regular file (a symbolic link)" },
        { "sh -c 'mkdir \"$3\"' sh", "is not a regular file (a directory)" },
        /* 3 GiB, sparse: refused by its size, never read */
        { "sh -c 'truncate -s 3G \"$3\"' sh", "is 3221225472 bytes, more than the 1048584 expected" },
    };
    tmp_begin();
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        qcts_backend_handle *h = open_exec(rows[i].cmd, err, sizeof err);
        if (!h)
            continue;
        qcts_status st = qcts_backend_call(qcts_backend_get(h), QCTS_OP_CONVERT, &cd, &b, err, sizeof err);
        QCHECK(st == QCTS_ERROR, "%s: status %s (%s)", rows[i].cmd, qcts_status_name(st), err);
        QCHECK(strstr(err, rows[i].expect) != NULL, "%s: '%s' lacks '%s'", rows[i].cmd, err, rows[i].expect);
        CONTAINS(err, "exit status 0 but bad output");
        qcts_backend_close(h);
    }
    /* a descendant in its own session outlives the command: killed at the end of the call */
    snprintf(pidfile, sizeof pidfile, "%s.pid", tmp);
    snprintf(cmd, sizeof cmd, "sh -c 'setsid sh -c \"echo \\$\\$ > %s.tmp; mv %s.tmp %s; exec sleep 60\" "
             "</dev/null >/dev/null 2>&1 & while [ ! -s %s ]; do sleep 0.05; done; exit 1' sh", pidfile, pidfile,
             pidfile, pidfile);
    const char *note = exec_supervisor_note();
    qcts_backend_handle *h = note[0] ? NULL : open_exec(cmd, err, sizeof err);
    if (note[0])
        fprintf(stderr, "\n  note: setsid descendants not checked: %s\n", note);
    if (h) {
        CU_ASSERT_EQUAL(qcts_backend_call(qcts_backend_get(h), QCTS_OP_CONVERT, &cd, &b, err, sizeof err),
                        QCTS_ERROR);
        CONTAINS(err, "exit status 1");
        FILE *f = fopen(pidfile, "r");
        int pid = 0;
        if (QCHECK(f != NULL, "%s was not written: %s", pidfile, err)) {
            QCHECK(fscanf(f, "%d", &pid) == 1 && pid > 1, "no pid in %s", pidfile);
            fclose(f);
        }
        if (pid > 1) {
            int alive = kill(pid, 0) == 0;
            QCHECK(!alive, "the setsid descendant %d is still alive after the call", pid);
            if (alive)
                kill(pid, SIGKILL);
        }
        unlink(pidfile);
        qcts_backend_close(h);
    }
    tmp_end();
}

/* exec-persistent: one process answers a line per case; every reply of the
 * protocol, a crash (a new process for the next case), a reply that is not
 * the protocol, a timeout, and the end (descendants killed). The fake
 * backend is a shell loop that counts cases in a file (it survives restarts). */
static void test_exec_persistent(void)
{
    char err[4096], outp[160], script[160], cnt[160], starts[160], pidf[160], cmd[512];
    tmp_begin();
    snprintf(outp, sizeof outp, "%s.answer", tmp);
    snprintf(script, sizeof script, "%s.fake.sh", tmp);
    snprintf(cnt, sizeof cnt, "%s.count", tmp);
    snprintf(starts, sizeof starts, "%s.starts", tmp);
    snprintf(pidf, sizeof pidf, "%s.pid", tmp);
    float x[4] = { 1, 2, 3, 4 };
    uint8_t c[4] = { 0x11, 0x22, 0x33, 0x44 }, s[4] = { 0 };
    qcts_convert_desc cd = { .fmt = 3, .n = 4 };
    qcts_buffers b = { .in = { x }, .in_bytes = { sizeof x }, .out = { c, s }, .out_bytes = { 4, 4 } };
    CU_ASSERT_EQUAL_FATAL(qcts_case_write(outp, QCTS_OP_CONVERT, &cd, &b, NULL, QCTS_CASE_WRITE_OUTPUTS, err,
                                          sizeof err), QCTS_OK);
    FILE *f = fopen(script, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fprintf(f,
            "echo started >> '%s'\n"
            "tab=$(printf '\\t')\n"
            "while IFS=$tab read -r op in out; do\n"
            "  n=$(cat '%s' 2>/dev/null || echo 0); n=$((n + 1)); echo $n > '%s'\n"
            "  case $n in\n"
            "  2) echo 'unsupported not this one' ;;\n"
            "  3) echo 'a note' >&2; echo 'error broken' ;;\n"
            "  4) echo dying >&2; exit 9 ;;\n"
            "  6) echo garbage ;;\n"
            "  7) sleep 30 ;;\n"
            "  8) setsid sleep 60 </dev/null >/dev/null 2>&1 & echo $! > '%s'; cp '%s' \"$out\"; echo done ;;\n"
            "  9) cp '%s' \"$out\"; echo done; exit 0 ;;\n"
            "  *) [ \"$op\" = convert ] && cp '%s' \"$out\" && echo done ;;\n"
            "  esac\n"
            "done\n", starts, cnt, cnt, pidf, outp, outp, outp);
    fclose(f);
    snprintf(cmd, sizeof cmd, "exec-persistent:sh %s", script);
    qcts_backend_handle *h = NULL;
    CU_ASSERT_EQUAL_FATAL(qcts_backend_open(cmd, &h, err, sizeof err), QCTS_OK);
    const qcts_backend *be = qcts_backend_get(h);
    CU_ASSERT_STRING_EQUAL(be->name, "exec-persistent");
    static const struct {
        qcts_status st;
        const char *expect;
    } steps[] = {
        { QCTS_OK, NULL },
        { QCTS_UNSUPPORTED, "': unsupported: not this one" },
        { QCTS_ERROR, "': error: broken; stderr: a note" },
        { QCTS_ERROR, "exit status 9; output: dying, before it replied (the next case starts a new one)" },
        { QCTS_OK, NULL },
        { QCTS_ERROR, "protocol: expected 'done', 'unsupported ...' or 'error ...', got 'garbage'" },
        { QCTS_ERROR, "timed out after 1 s (the process and its descendants were killed; the next case starts "
                      "a new one)" },
        { QCTS_OK, NULL },
        { QCTS_OK, NULL },      /* and then it exits: the next case finds it gone (no SIGPIPE) */
        { QCTS_ERROR, "exit status 0; no output, before it replied (the next case starts a new one)" },
        { QCTS_OK, NULL },
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        /* 1 s only for the case that sleeps: under load (or qemu) a reply,
         * or the start of a new process, can take longer than 1 s, and a
         * case that must pass then timed out at random */
        CU_ASSERT_EQUAL(qcts_backend_set_option(h, "timeout", i == 6 ? "1" : "120", err, sizeof err), QCTS_OK);
        uint8_t y[4] = { 0 }, ys[4] = { 9, 9, 9, 9 };
        qcts_buffers bb = { .in = { x }, .in_bytes = { sizeof x }, .out = { y, ys }, .out_bytes = { 4, 4 } };
        qcts_status st = qcts_backend_call(be, QCTS_OP_CONVERT, &cd, &bb, err, sizeof err);
        QCHECK(st == steps[i].st, "case %zu: status %s, expected %s (%s)", i + 1, qcts_status_name(st),
               qcts_status_name(steps[i].st), err);
        if (steps[i].expect)
            QCHECK(strstr(err, steps[i].expect) != NULL, "case %zu: '%s' lacks '%s'", i + 1, err, steps[i].expect);
        else
            QCHECK(y[0] == 0x11 && y[3] == 0x44 && ys[0] == 0, "case %zu: wrong outputs", i + 1);
    }
    qcts_backend_close(h);
    /* started 5 times: at first, after the crash, the garbage, the timeout, the exit */
    int n = 0;
    char line[64];
    if ((f = fopen(starts, "r"))) {
        while (fgets(line, sizeof line, f))
            n++;
        fclose(f);
    }
    CU_ASSERT_EQUAL(n, 5);
    /* the setsid descendant of case 8 is gone once the backend is closed */
    int pid = 0;
    if ((f = fopen(pidf, "r"))) {
        if (fscanf(f, "%d", &pid) != 1)
            pid = 0;
        fclose(f);
    }
    CU_ASSERT(pid > 1);
    const char *note = exec_supervisor_note();
    if (note[0]) {
        fprintf(stderr, "\n  note: setsid descendants not checked: %s\n", note);
        if (pid > 1)
            kill(pid, SIGKILL);
    } else if (pid > 1) {
        QCHECK(kill(pid, 0) != 0, "the setsid descendant %d outlived the persistent backend", pid);
    }
    unlink(outp);
    unlink(script);
    unlink(cnt);
    unlink(starts);
    unlink(pidf);
    tmp_end();
}

/* Calls from several threads at once on one exec backend: every call gets
 * its own directory and process. The command copies a prepared output file
 * (so no qcts binary is needed). */
typedef struct thread_arg {
    const qcts_backend *be;
    int ok;
} thread_arg;

static void *exec_thread(void *p)
{
    thread_arg *a = p;
    float x[4] = { 1, 2, 3, 4 };
    for (int k = 0; k < 5; k++) {
        uint8_t c[4] = { 0 }, s[4] = { 9, 9, 9, 9 };
        char err[1024];
        qcts_convert_desc cd = { .fmt = 3, .n = 4 };
        qcts_buffers b = { .in = { x }, .in_bytes = { sizeof x }, .out = { c, s }, .out_bytes = { 4, 4 } };
        if (qcts_backend_call(a->be, QCTS_OP_CONVERT, &cd, &b, err, sizeof err) == QCTS_OK && c[0] == 0x11 &&
            c[3] == 0x44 && s[0] == 0)
            a->ok++;
        else
            fprintf(stderr, "exec_thread: %s\n", err);
    }
    return NULL;
}

static void test_exec_threads(void)
{
    char err[1024], outp[128], cmd[256];
    tmp_begin();
    /* the canned answer, written outside TMPDIR's checked contents */
    snprintf(outp, sizeof outp, "%s.answer", tmp);
    float x[4] = { 1, 2, 3, 4 };
    uint8_t c[4] = { 0x11, 0x22, 0x33, 0x44 }, s[4] = { 0 };
    qcts_convert_desc cd = { .fmt = 3, .n = 4 };
    qcts_buffers b = { .in = { x }, .in_bytes = { sizeof x }, .out = { c, s }, .out_bytes = { 4, 4 } };
    CU_ASSERT_EQUAL_FATAL(qcts_case_write(outp, QCTS_OP_CONVERT, &cd, &b, NULL, QCTS_CASE_WRITE_OUTPUTS, err,
                                          sizeof err), QCTS_OK);
    snprintf(cmd, sizeof cmd, "sh -c 'cp \"$0\" \"$3\"' %s", outp);
    qcts_backend_handle *h = open_exec(cmd, err, sizeof err);
    if (h) {
        enum { T = 8 };
        pthread_t th[T];
        thread_arg args[T];
        for (int i = 0; i < T; i++) {
            args[i] = (thread_arg){ qcts_backend_get(h), 0 };
            CU_ASSERT_EQUAL(pthread_create(&th[i], NULL, exec_thread, &args[i]), 0);
        }
        int ok = 0;
        for (int i = 0; i < T; i++) {
            pthread_join(th[i], NULL);
            ok += args[i].ok;
        }
        CU_ASSERT_EQUAL(ok, T * 5);
        qcts_backend_close(h);
    }
    /* the same through one persistent process (it takes one case at a time) */
    snprintf(cmd, sizeof cmd, "sh -c 'while IFS=\"$(printf \"\\t\")\" read -r op in out; do cp \"$0\" \"$out\" "
             "&& echo done; done' %s", outp);
    char spec[300];
    snprintf(spec, sizeof spec, "exec-persistent:%s", cmd);
    if (QCHECK(qcts_backend_open(spec, &h, err, sizeof err) == QCTS_OK, "%s: %s", spec, err)) {
        enum { T = 8 };
        pthread_t th[T];
        thread_arg args[T];
        for (int i = 0; i < T; i++) {
            args[i] = (thread_arg){ qcts_backend_get(h), 0 };
            CU_ASSERT_EQUAL(pthread_create(&th[i], NULL, exec_thread, &args[i]), 0);
        }
        int ok = 0;
        for (int i = 0; i < T; i++) {
            pthread_join(th[i], NULL);
            ok += args[i].ok;
        }
        CU_ASSERT_EQUAL(ok, T * 5);
        qcts_backend_close(h);
    }
    unlink(outp);
    tmp_end();
}

QTEST_SUITE(backends,
    QTEST(test_registry_names),
    QTEST(test_plugin_refusals),
    QTEST(test_plugin_example_matches_ref),
    QTEST(test_ref_convert_equals_qref),
    QTEST(test_ref_quant_dequant_equals_qref),
    QTEST(test_exec_round_trip),
    QTEST(test_exec_errors),
    QTEST(test_exec_hostile_outputs),
    QTEST(test_exec_persistent),
    QTEST(test_exec_threads))
