/* Tests of qcts/case_call.h: op tensor tables, loading and validating case
 * files (every error names the file, the case and the tensor), writing
 * single-case files and reading outputs back. Files are built in memory
 * with the safetensors writer, so each test states exactly what is in it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qcts/case_call.h"
#include "qref/scheme.h"
#include "qtest.h"

#define CONTAINS(hay, needle) QCHECK(strstr((hay), (needle)) != NULL, "message '%s' lacks '%s'", (hay), (needle))

/* ---- building files --------------------------------------------------------- */

typedef struct fb {
    qcts_st_writer *w;
} fb;

static fb fb_new(const char *op, const char *cases)
{
    fb f = { qcts_st_writer_new() };
    qcts_st_writer_set_meta(f.w, "qcts.format_version", "1");
    if (op)
        qcts_st_writer_set_meta(f.w, "qcts.op", op);
    if (cases)
        qcts_st_writer_set_meta(f.w, "qcts.cases", cases);
    qcts_st_writer_set_meta(f.w, "qcts.suite", "test/case_call");
    return f;
}

static void fb_add(fb *f, const char *name, qcts_st_dtype dt, int64_t n, const void *data, size_t bytes)
{
    int64_t shape[1] = { n };
    CU_ASSERT_EQUAL(qcts_st_writer_add_tensor(f->w, name, dt, shape, 1, data, bytes), QCTS_ST_OK);
}

/* Loads what f holds; returns the status, message in err. */
static qcts_status fb_load(fb *f, unsigned flags, qcts_case_file **out, char *err, size_t n)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    CU_ASSERT_EQUAL_FATAL(qcts_st_writer_serialize(f->w, &buf, &len, NULL, 0), QCTS_ST_OK);
    qcts_status st = qcts_case_file_load_mem(buf, len, "t.safetensors", flags, out, err, n);
    free(buf);
    qcts_st_writer_free(f->w);
    f->w = NULL;
    return st;
}

static const char DQ_CASE[] =
    "[{\"id\":\"c000\",\"seed\":\"0x1f\",\"check\":\"exact\",\"flags\":[\"random\",\"tie\"],\"dist\":\"gaussian\","
    "\"params\":{\"scheme\":\"int8_per_channel\",\"rows\":2,\"cols\":3,\"out_dtype\":\"f32\"}}]";

/* int8_per_channel 2 x 3: 6 codes + 2 f32 scales = 14 bytes. */
static const uint8_t DQ_Q[14] = { 1, 2, 3, 0xFF, 0xFE, 0x7F, 0, 0, 0x80, 0x3F, 0, 0, 0, 0x3F };
static const float DQ_Y[6] = { 1, 2, 3, -0.5f, -1, 63.5f };

/* ---- op tables ------------------------------------------------------------------ */

static void test_op_io_sizes(void)
{
    char err[512];
    qcts_op_io io;
    qcts_convert_desc cv = { .fmt = 5 /* e2m1 */, .n = 10 };
    CU_ASSERT_EQUAL(qcts_op_io_get(QCTS_OP_CONVERT, &cv, &io, err, sizeof err), QCTS_OK);
    CU_ASSERT_EQUAL(io.n_out, 2);
    CU_ASSERT_EQUAL(io.in[0].nbytes, 40);
    CU_ASSERT_EQUAL(io.out[0].dtype, QCTS_DT_U8);
    CU_ASSERT(io.out[1].optional);
    cv.fmt = 1; /* f16 */
    cv.decode = 1;
    CU_ASSERT_EQUAL(qcts_op_io_get(QCTS_OP_CONVERT, &cv, &io, err, sizeof err), QCTS_OK);
    CU_ASSERT_EQUAL(io.n_out, 1);
    CU_ASSERT_EQUAL(io.in[0].dtype, QCTS_DT_U16);
    CU_ASSERT_EQUAL(io.in[0].nbytes, 20);
    cv.fmt = 0; /* f32 codes are U32 */
    CU_ASSERT_EQUAL(qcts_op_io_get(QCTS_OP_CONVERT, &cv, &io, err, sizeof err), QCTS_OK);
    CU_ASSERT_EQUAL(io.in[0].dtype, QCTS_DT_U32);

    qref_qsizes z;
    CU_ASSERT_EQUAL(qref_qsizes_get(qref_scheme_find("fp4_g32_f16"), 8, 64, &z, NULL), QREF_OK);
    qcts_dequant_desc dq = { "fp4_g32_f16", 8, 64, QCTS_DT_BF16 };
    CU_ASSERT_EQUAL(qcts_op_io_get(QCTS_OP_DEQUANT, &dq, &io, err, sizeof err), QCTS_OK);
    CU_ASSERT_EQUAL(io.in[0].nbytes, z.total);
    CU_ASSERT_EQUAL(io.out[0].nbytes, 8 * 64 * 2);
    dq.cols = 63;
    CU_ASSERT_EQUAL(qcts_op_io_get(QCTS_OP_DEQUANT, &dq, &io, err, sizeof err), QCTS_ERROR);
    CONTAINS(err, "fp4_g32_f16");
    dq.scheme = "no_such_scheme";
    CU_ASSERT_EQUAL(qcts_op_io_get(QCTS_OP_DEQUANT, &dq, &io, err, sizeof err), QCTS_ERROR);
    CONTAINS(err, "unknown scheme 'no_such_scheme'");

    qcts_gemm_desc g = { .scheme = "fp4_g32_f16", .batch = 2, .M = 3, .N = 8, .K = 64, .lda = 70,
                         .a_dtype = QCTS_DT_F16, .out_dtype = QCTS_DT_F32, .has_bias = 0 };
    CU_ASSERT_EQUAL(qcts_op_io_get(QCTS_OP_GEMM, &g, &io, err, sizeof err), QCTS_OK);
    CU_ASSERT_EQUAL(io.in[0].nbytes, 2 * 3 * 70 * 2);
    CU_ASSERT_EQUAL(io.in[1].nbytes, 2 * z.total);
    CU_ASSERT_FALSE(io.in[2].used);
    CU_ASSERT_EQUAL(io.out[0].nbytes, 2 * 3 * 8 * 4);
    g.lda = 10;
    CU_ASSERT_EQUAL(qcts_op_io_get(QCTS_OP_GEMM, &g, &io, err, sizeof err), QCTS_ERROR);
    CONTAINS(err, "lda 10 < K 64");

    qcts_op op;
    CU_ASSERT(qcts_op_from_name("gemv", &op) == 0 && op == QCTS_OP_GEMM);
    CU_ASSERT(qcts_op_from_name("dequantize", &op) == -1);
    CU_ASSERT_STRING_EQUAL(qcts_op_name(QCTS_OP_DEQUANT), "dequant");
}

/* ---- loading -------------------------------------------------------------------- */

static void test_load_dequant(void)
{
    char err[512];
    fb f = fb_new("dequant", DQ_CASE);
    fb_add(&f, "c000/in.q", QCTS_ST_U8, 14, DQ_Q, sizeof DQ_Q);
    fb_add(&f, "c000/out.y", QCTS_ST_F32, 6, DQ_Y, sizeof DQ_Y);
    qcts_case_file *cf = NULL;
    CU_ASSERT_EQUAL_FATAL(fb_load(&f, 0, &cf, err, sizeof err), QCTS_OK);
    CU_ASSERT_EQUAL(cf->op, QCTS_OP_DEQUANT);
    CU_ASSERT_STRING_EQUAL(cf->suite, "test/case_call");
    CU_ASSERT_EQUAL_FATAL(cf->n_cases, 1);
    const qcts_case *c = qcts_case_find(cf, "c000");
    CU_ASSERT_PTR_EQUAL_FATAL(c, &cf->cases[0]);
    CU_ASSERT_STRING_EQUAL(c->desc.dequant.scheme, "int8_per_channel");
    CU_ASSERT_EQUAL(c->desc.dequant.rows, 2);
    CU_ASSERT_EQUAL(c->desc.dequant.out_dtype, QCTS_DT_F32);
    CU_ASSERT_EQUAL(c->seed_value, 0x1f);
    CU_ASSERT_STRING_EQUAL(c->seed, "0x1f");
    CU_ASSERT_STRING_EQUAL(c->dist, "gaussian");
    CU_ASSERT_EQUAL(c->check, QCTS_CHECK_EXACT);
    CU_ASSERT_EQUAL(c->n_flags, 2);
    CU_ASSERT(qcts_case_has_flag(c, "tie"));
    CU_ASSERT_FALSE(qcts_case_has_flag(c, "nan"));
    CU_ASSERT_FALSE(c->degenerate);
    CU_ASSERT_EQUAL(c->buf.in_bytes[0], 14);
    CU_ASSERT(c->buf.in[0] && memcmp(c->buf.in[0], DQ_Q, 14) == 0);
    CU_ASSERT_PTR_NULL(c->buf.out[0]);
    CU_ASSERT_EQUAL(c->buf.out_bytes[0], 24);
    CU_ASSERT_STRING_EQUAL(c->expect[0].name, "c000/out.y");
    CU_ASSERT(c->expect[0].nbytes == 24 && memcmp(c->expect[0].data, DQ_Y, 24) == 0);
    CU_ASSERT_PTR_NULL(c->bound.name);
    CU_ASSERT(strstr(c->json, "\"int8_per_channel\"") != NULL);
    qcts_case_file_free(cf);
}

/* One broken file per row: what to change, and what the message must say. */
static void test_load_errors(void)
{
    static const struct {
        const char *what, *cases, *qname;
        int qdtype_f32, qlen, with_out, extra;
        const char *expect1, *expect2;
    } rows[] = {
        { "missing in.q", NULL, NULL, 0, 14, 1, 0, "t.safetensors: case c000: tensor 'c000/in.q' is missing",
          "U8 [14]" },
        { "short in.q", NULL, "c000/in.q", 0, 12, 1, 0, "t.safetensors: case c000: tensor 'c000/in.q' holds 12 "
          "elements (12 bytes) but scheme int8_per_channel with rows 2, cols 3, out_dtype f32 needs 14", NULL },
        { "wrong dtype", NULL, "c000/in.q", 1, 14, 1, 0, "tensor 'c000/in.q' has dtype F32 but", "needs U8" },
        { "missing out.y", NULL, "c000/in.q", 0, 14, 0, 0, "tensor 'c000/out.y' is missing", "F32 [6]" },
        { "stray tensor", NULL, "c000/in.q", 0, 14, 1, 1, "tensor 'c000/in.zz' is not part of a dequant case", NULL },
        { "bad check", "[{\"id\":\"c000\",\"check\":\"close\",\"params\":{\"scheme\":\"int8_per_channel\","
          "\"rows\":2,\"cols\":3}}]", "c000/in.q", 0, 14, 1, 0, "case c000: unknown check 'close'", NULL },
        { "bound on dequant", "[{\"id\":\"c000\",\"check\":\"bound\",\"params\":{\"scheme\":\"int8_per_channel\","
          "\"rows\":2,\"cols\":3}}]", "c000/in.q", 0, 14, 1, 0, "check 'bound' is only defined for gemm", NULL },
        { "missing rows", "[{\"id\":\"c000\",\"params\":{\"scheme\":\"int8_per_channel\",\"cols\":3}}]",
          "c000/in.q", 0, 14, 1, 0, "case c000: params.rows is missing", NULL },
        { "fractional rows", "[{\"id\":\"c000\",\"params\":{\"scheme\":\"int8_per_channel\",\"rows\":2.5,"
          "\"cols\":3}}]", "c000/in.q", 0, 14, 1, 0, "params.rows must be an integer", NULL },
        { "unknown scheme", "[{\"id\":\"c000\",\"params\":{\"scheme\":\"int9\",\"rows\":2,\"cols\":3}}]",
          "c000/in.q", 0, 14, 1, 0, "case c000: unknown scheme 'int9'", NULL },
        { "duplicate id", "[{\"id\":\"c000\",\"params\":{\"scheme\":\"int8_per_channel\",\"rows\":2,\"cols\":3}},"
          "{\"id\":\"c000\",\"params\":{\"scheme\":\"int8_per_channel\",\"rows\":2,\"cols\":3}}]",
          "c000/in.q", 0, 14, 1, 0, "case id 'c000' appears twice", NULL },
        { "cases not array", "{}", "c000/in.q", 0, 14, 1, 0, "'qcts.cases' is not a JSON array", NULL },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char err[512] = "";
        fb f = fb_new("dequant", rows[i].cases ? rows[i].cases : DQ_CASE);
        if (rows[i].qname) {
            if (rows[i].qdtype_f32) {
                float q4[14] = { 0 };
                fb_add(&f, rows[i].qname, QCTS_ST_F32, 14, q4, sizeof q4);
            } else {
                fb_add(&f, rows[i].qname, QCTS_ST_U8, rows[i].qlen, DQ_Q, (size_t)rows[i].qlen);
            }
        }
        if (rows[i].with_out)
            fb_add(&f, "c000/out.y", QCTS_ST_F32, 6, DQ_Y, sizeof DQ_Y);
        if (rows[i].extra)
            fb_add(&f, "c000/in.zz", QCTS_ST_U8, 1, DQ_Q, 1);
        qcts_case_file *cf = (qcts_case_file *)1;
        QCHECK(fb_load(&f, 0, &cf, err, sizeof err) == QCTS_ERROR, "%s: loaded", rows[i].what);
        QCHECK(cf == NULL, "%s: *out not NULL", rows[i].what);
        QCHECK(strstr(err, rows[i].expect1) != NULL, "%s: message '%s' lacks '%s'", rows[i].what, err,
               rows[i].expect1);
        if (rows[i].expect2)
            QCHECK(strstr(err, rows[i].expect2) != NULL, "%s: message '%s' lacks '%s'", rows[i].what, err,
                   rows[i].expect2);
    }
}

static void test_load_metadata_errors(void)
{
    char err[512];
    qcts_case_file *cf;
    fb f = fb_new(NULL, DQ_CASE);
    CU_ASSERT_EQUAL(fb_load(&f, 0, &cf, err, sizeof err), QCTS_ERROR);
    CONTAINS(err, "t.safetensors: metadata 'qcts.op' is missing");
    f = fb_new("mystery", DQ_CASE);
    CU_ASSERT_EQUAL(fb_load(&f, 0, &cf, err, sizeof err), QCTS_ERROR);
    CONTAINS(err, "metadata 'qcts.op' is 'mystery'");
    f = fb_new("dequant", NULL);
    CU_ASSERT_EQUAL(fb_load(&f, 0, &cf, err, sizeof err), QCTS_ERROR);
    CONTAINS(err, "'qcts.cases' is missing");
    f = fb_new("dequant", DQ_CASE);
    qcts_st_writer_set_meta(f.w, "qcts.format_version", "2");
    CU_ASSERT_EQUAL(fb_load(&f, 0, &cf, err, sizeof err), QCTS_ERROR);
    CONTAINS(err, "qcts.format_version is '2'");
    CU_ASSERT_EQUAL(qcts_case_file_load("/nonexistent/x.safetensors", 0, &cf, err, sizeof err), QCTS_ERROR);
    CONTAINS(err, "/nonexistent/x.safetensors");
}

static void test_load_inputs_only(void)
{
    char err[512];
    qcts_case_file *cf;
    fb f = fb_new("dequant", DQ_CASE);
    fb_add(&f, "c000/in.q", QCTS_ST_U8, 14, DQ_Q, sizeof DQ_Q);
    CU_ASSERT_EQUAL_FATAL(fb_load(&f, QCTS_CASE_INPUTS_ONLY, &cf, err, sizeof err), QCTS_OK);
    CU_ASSERT_PTR_NULL(cf->cases[0].expect[0].name);
    CU_ASSERT_EQUAL(cf->cases[0].buf.out_bytes[0], 24);
    qcts_case_file_free(cf);
}

/* gemm with check bound, bias and ulp parsing on a convert case. */
static void test_load_gemm_bound_and_convert(void)
{
    char err[512];
    qcts_case_file *cf;
    qref_qsizes z;
    CU_ASSERT_EQUAL_FATAL(qref_qsizes_get(qref_scheme_find("int8_per_channel"), 2, 4, &z, NULL), QREF_OK);
    static const char cases[] =
        "[{\"id\":\"c000\",\"check\":\"bound\",\"flags\":[\"degenerate\"],\"params\":{\"scheme\":\"int8_per_channel\","
        "\"batch\":1,\"M\":3,\"N\":2,\"K\":4,\"a_dtype\":\"f32\",\"out_dtype\":\"bf16\",\"bias\":true,\"acc\":\"f32\","
        "\"bound_c\":2.5}}]";
    fb f = fb_new("gemm", cases);
    float a[12] = { 0 }, bias[2] = { 0 }, bound[6] = { 0 };
    uint8_t w[64] = { 0 };
    uint16_t y[6] = { 0 };
    fb_add(&f, "c000/in.a", QCTS_ST_F32, 12, a, sizeof a);
    fb_add(&f, "c000/in.w", QCTS_ST_U8, (int64_t)z.total, w, z.total);
    fb_add(&f, "c000/in.bias", QCTS_ST_F32, 2, bias, sizeof bias);
    fb_add(&f, "c000/out.y", QCTS_ST_BF16, 6, y, sizeof y);
    fb_add(&f, "c000/bound.y", QCTS_ST_F32, 6, bound, sizeof bound);
    CU_ASSERT_EQUAL_FATAL(fb_load(&f, 0, &cf, err, sizeof err), QCTS_OK);
    const qcts_case *c = &cf->cases[0];
    CU_ASSERT_EQUAL(c->check, QCTS_CHECK_BOUND);
    CU_ASSERT_EQUAL(c->bound_c, 2.5);
    CU_ASSERT(c->degenerate);
    CU_ASSERT(c->desc.gemm.has_bias);
    CU_ASSERT_EQUAL(c->desc.gemm.threads, 1);
    CU_ASSERT_EQUAL(c->bound.nelems, 6);
    CU_ASSERT_PTR_NOT_NULL(c->buf.in[2]);
    qcts_case_file_free(cf);

    /* bound check without bound.y */
    f = fb_new("gemm", cases);
    fb_add(&f, "c000/in.a", QCTS_ST_F32, 12, a, sizeof a);
    fb_add(&f, "c000/in.w", QCTS_ST_U8, (int64_t)z.total, w, z.total);
    fb_add(&f, "c000/in.bias", QCTS_ST_F32, 2, bias, sizeof bias);
    fb_add(&f, "c000/out.y", QCTS_ST_BF16, 6, y, sizeof y);
    CU_ASSERT_EQUAL(fb_load(&f, 0, &cf, err, sizeof err), QCTS_ERROR);
    CONTAINS(err, "tensor 'c000/bound.y' is missing");

    static const char cv[] = "[{\"id\":\"c004\",\"check\":\"ulp:3\",\"params\":{\"fmt\":\"E4M3\",\"convention\":"
                             "\"ml_dtypes\",\"direction\":\"encode\",\"n\":4}}]";
    f = fb_new("convert", cv);
    fb_add(&f, "c004/in.x", QCTS_ST_F32, 4, a, 16);
    fb_add(&f, "c004/out.y", QCTS_ST_U8, 4, w, 4);
    fb_add(&f, "c004/out.status", QCTS_ST_U8, 4, w, 4);
    CU_ASSERT_EQUAL_FATAL(fb_load(&f, 0, &cf, err, sizeof err), QCTS_OK);
    c = &cf->cases[0];
    CU_ASSERT_EQUAL(c->check, QCTS_CHECK_ULP);
    CU_ASSERT_EQUAL(c->ulp, 3);
    CU_ASSERT_EQUAL(c->desc.convert.fmt, 3);
    CU_ASSERT_EQUAL(c->desc.convert.convention, 1);
    CU_ASSERT_EQUAL(c->buf.out_bytes[1], 4);
    CU_ASSERT_STRING_EQUAL(c->expect[1].name, "c004/out.status");
    qcts_case_file_free(cf);
}

/* ---- writing and reading back ---------------------------------------------------- */

static char tmpdir[64];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/qcts-case-test.XXXXXX");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(tmpdir));
}

static void rm_tmpdir(const char *const *files)
{
    char p[128];
    for (; *files; files++) {
        snprintf(p, sizeof p, "%s/%s", tmpdir, *files);
        unlink(p);
    }
    CU_ASSERT_EQUAL(rmdir(tmpdir), 0);
}

static void test_write_and_read_back(void)
{
    char err[512], in[128], out[128];
    make_tmpdir();
    snprintf(in, sizeof in, "%s/in.safetensors", tmpdir);
    snprintf(out, sizeof out, "%s/out.safetensors", tmpdir);
    qcts_dequant_desc d = { "int8_per_channel", 2, 3, QCTS_DT_F32 };
    qcts_buffers b = { .in = { DQ_Q }, .in_bytes = { 14 }, .out = { (void *)DQ_Y }, .out_bytes = { 24 } };
    CU_ASSERT_EQUAL_FATAL(qcts_case_write(in, QCTS_OP_DEQUANT, &d, &b,
                                          "{\"id\":\"c042\",\"seed\":\"0x5\",\"flags\":[\"x\"],"
                                          "\"params\":{\"rows\":99,\"note\":1}}",
                                          QCTS_CASE_WRITE_INPUTS | QCTS_CASE_WRITE_OUTPUTS, err, sizeof err),
                          QCTS_OK);
    qcts_case_file *cf;
    CU_ASSERT_EQUAL_FATAL(qcts_case_file_load(in, 0, &cf, err, sizeof err), QCTS_OK);
    const qcts_case *c = &cf->cases[0];
    CU_ASSERT_STRING_EQUAL(c->id, "c042");
    CU_ASSERT_EQUAL(c->seed_value, 5);
    CU_ASSERT_EQUAL(c->desc.dequant.rows, 2);   /* params come from the desc */
    CU_ASSERT(strstr(c->json, "\"note\":1") != NULL);
    CU_ASSERT(memcmp(c->expect[0].data, DQ_Y, 24) == 0);
    CU_ASSERT_STRING_EQUAL(cf->suite, "exec");

    /* read the outputs back */
    float y[6] = { 0 };
    qcts_buffers r = { .out = { y }, .out_bytes = { sizeof y } };
    CU_ASSERT_EQUAL(qcts_case_read_outputs(in, QCTS_OP_DEQUANT, &d, "c042", &r, err, sizeof err), QCTS_OK);
    CU_ASSERT(memcmp(y, DQ_Y, 24) == 0);
    /* with the wrong id the output is missing */
    CU_ASSERT_EQUAL(qcts_case_read_outputs(in, QCTS_OP_DEQUANT, &d, NULL, &r, err, sizeof err), QCTS_ERROR);
    CONTAINS(err, "output tensor 'c000/out.y' (or 'out.y') is missing");
    /* a buffer too small */
    r.out_bytes[0] = 20;
    CU_ASSERT_EQUAL(qcts_case_read_outputs(in, QCTS_OP_DEQUANT, &d, "c042", &r, err, sizeof err), QCTS_ERROR);
    CONTAINS(err, "output buffer 0 holds 20 bytes");
    r.out_bytes[0] = sizeof y;
    qcts_case_file_free(cf);

    /* plain names, wrong dtype, wrong size, unknown outputs */
    static const struct {
        const char *name;
        qcts_st_dtype dt;
        int n;
        const char *expect;
    } rows[] = {
        { "out.y", QCTS_ST_F32, 6, NULL },
        { "out.y", QCTS_ST_F16, 6, "has dtype F16, expected F32" },
        { "c000/out.y", QCTS_ST_F32, 5, "holds 5 elements (20 bytes), expected 6 (24 bytes)" },
        { "out.yy", QCTS_ST_F32, 6, "tensor 'out.yy' is not an output of dequant" },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        qcts_st_writer *w = qcts_st_writer_new();
        float v[6] = { 9, 9, 9, 9, 9, 9 };
        int64_t shape[1] = { rows[i].n };
        qcts_st_writer_add_tensor(w, rows[i].name, rows[i].dt, shape, 1, v,
                                  (size_t)rows[i].n * (rows[i].dt == QCTS_ST_F32 ? 4 : 2));
        CU_ASSERT_EQUAL(qcts_st_writer_write_file(w, out, NULL, 0), QCTS_ST_OK);
        qcts_st_writer_free(w);
        qcts_status st = qcts_case_read_outputs(out, QCTS_OP_DEQUANT, &d, NULL, &r, err, sizeof err);
        if (!rows[i].expect) {
            QCHECK(st == QCTS_OK && y[5] == 9, "row %zu: %s", i, err);
        } else {
            QCHECK(st == QCTS_ERROR && strstr(err, rows[i].expect), "row %zu: '%s' lacks '%s'", i, err,
                   rows[i].expect);
        }
    }
    /* in_bytes too small for the writer */
    b.in_bytes[0] = 13;
    CU_ASSERT_EQUAL(qcts_case_write(in, QCTS_OP_DEQUANT, &d, &b, NULL, QCTS_CASE_WRITE_INPUTS, err, sizeof err),
                    QCTS_ERROR);
    CONTAINS(err, "buffer for 'c000/in.q' holds 13 bytes, needs 14");
    static const char *const files[] = { "in.safetensors", "out.safetensors", NULL };
    rm_tmpdir(files);
}

QTEST_SUITE(case_call,
    QTEST(test_op_io_sizes),
    QTEST(test_load_dequant),
    QTEST(test_load_errors),
    QTEST(test_load_metadata_errors),
    QTEST(test_load_inputs_only),
    QTEST(test_load_gemm_bound_and_convert),
    QTEST(test_write_and_read_back))
