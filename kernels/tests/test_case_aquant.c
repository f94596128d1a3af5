/* Case files carry the quantized-activation mode of GEMM (params.a_quant,
 * params.a_group; kernels/case_call.c): what exec writes for its program
 * and `qcts case run` reads back. Also: outputs read back from an exec
 * program leave the row padding of Y (ldy > N) alone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qcts/case_call.h"
#include "qtest.h"

static char dir[64];

/* A gguf_q8_0 GEMM (N 2, K 32, M 1) written with qcts_case_write and loaded
 * back; returns the load status, the case in *cf (free it). */
static qcts_status round_trip(const qcts_gemm_desc *g, qcts_case_file **cf, char *err, size_t n)
{
    static float a[32], y[2 * 4];
    static uint8_t w[2 * 34];
    char path[128];
    snprintf(path, sizeof path, "%s/in.safetensors", dir);
    qcts_buffers b = { .in = { a, w }, .in_bytes = { sizeof a, sizeof w }, .out = { y }, .out_bytes = { sizeof y } };
    *cf = NULL;
    qcts_status st = qcts_case_write(path, QCTS_OP_GEMM, g, &b, NULL, QCTS_CASE_WRITE_INPUTS, err, n);
    if (st != QCTS_OK)
        return st;
    st = qcts_case_file_load(path, QCTS_CASE_INPUTS_ONLY, cf, err, n);
    unlink(path);
    return st;
}

static void test_a_quant_round_trip(void)
{
    snprintf(dir, sizeof dir, "/tmp/qcts-aquant.XXXXXX");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    char err[512];
    qcts_case_file *cf;
    qcts_gemm_desc g = { .scheme = "gguf_q8_0", .batch = 1, .M = 1, .N = 2, .K = 32, .a_dtype = QCTS_DT_F32,
                         .out_dtype = QCTS_DT_F32, .threads = 1 };
    for (uint32_t m = 0; m <= QCTS_AQ_GGUF_Q8_K; m++) {
        g.a_quant = m;
        QCHECK(round_trip(&g, &cf, err, sizeof err) == QCTS_OK, "a_quant %u: %s", m, err);
        if (!cf)
            continue;
        QCHECK(cf->cases[0].desc.gemm.a_quant == m, "a_quant %u came back as %u", m, cf->cases[0].desc.gemm.a_quant);
        /* none is not written, so files without a_quant stay as they were */
        QCHECK((strstr(cf->cases[0].json, "\"a_quant\"") != NULL) == (m != 0), "a_quant %u: %s", m, cf->cases[0].json);
        qcts_case_file_free(cf);
    }
    g.a_quant = QCTS_AQ_GGUF_Q8_1;
    CU_ASSERT_EQUAL(round_trip(&g, &cf, err, sizeof err), QCTS_OK);
    CU_ASSERT(cf && strstr(cf->cases[0].json, "\"a_quant\":\"q8_1\""));
    qcts_case_file_free(cf);
    /* a reserved a_group, an unknown mode: written as given, refused on reading */
    g.a_group = 4;
    CU_ASSERT_EQUAL(round_trip(&g, &cf, err, sizeof err), QCTS_ERROR);
    QCHECK(strstr(err, "params.a_group must be 0") != NULL, "%s", err);
    g.a_group = 0, g.a_quant = 9;
    CU_ASSERT_EQUAL(round_trip(&g, &cf, err, sizeof err), QCTS_ERROR);
    QCHECK(strstr(err, "params.a_quant must be one of") != NULL, "%s", err);
    CU_ASSERT_EQUAL(rmdir(dir), 0);
}

/* An exec program writes all of Y, padding included (it never saw the
 * caller's buffer): reading it back must not write the padding. */
static void test_read_padded_y(void)
{
    snprintf(dir, sizeof dir, "/tmp/qcts-aquant.XXXXXX");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    char err[512], path[128];
    snprintf(path, sizeof path, "%s/out.safetensors", dir);
    qcts_gemm_desc g = { .scheme = "gguf_q8_0", .batch = 1, .M = 2, .N = 2, .K = 32, .ldy = 3,
                         .a_dtype = QCTS_DT_F32, .out_dtype = QCTS_DT_F32, .threads = 1 };
    float prog[6] = { 1, 2, 0, 3, 4, 0 }, mine[6] = { -1, -1, -7, -1, -1, -7 };
    qcts_buffers w = { .out = { prog }, .out_bytes = { sizeof prog } };
    CU_ASSERT_EQUAL_FATAL(qcts_case_write(path, QCTS_OP_GEMM, &g, &w, NULL, QCTS_CASE_WRITE_OUTPUTS, err, sizeof err),
                          QCTS_OK);
    qcts_buffers r = { .out = { mine }, .out_bytes = { sizeof mine } };
    CU_ASSERT_EQUAL(qcts_case_read_outputs(path, QCTS_OP_GEMM, &g, NULL, &r, err, sizeof err), QCTS_OK);
    CU_ASSERT(mine[0] == 1 && mine[1] == 2 && mine[3] == 3 && mine[4] == 4);
    CU_ASSERT(mine[2] == -7 && mine[5] == -7);   /* the padding keeps the caller's values */
    unlink(path);
    CU_ASSERT_EQUAL(rmdir(dir), 0);
}

QTEST_SUITE(case_aquant,
    QTEST(test_a_quant_round_trip),
    QTEST(test_read_padded_y))
