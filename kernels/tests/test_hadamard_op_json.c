/* Suite hadamard_op_json: the hadamard op's definition (kernels/ops/op_hadamard.c):
 * params -> desc -> params round trip, the tensors io() derives, and every
 * wrong or hostile params object refused with a message naming the field
 * (never a crash, never a silent default: misspelt keys are refused). */
#include "qtest.h"

#include <cjson/cJSON.h>
#include <string.h>

#include "qcts/opdef.h"

static qcts_status parse(const char *json, qcts_hadamard_desc *d, char *err, size_t n)
{
    const qcts_opdef *od = qcts_opdef_get(QCTS_OP_HADAMARD);
    cJSON *p = cJSON_Parse(json);
    memset(d, 0, sizeof *d);
    qcts_status st = od->from_json(p, d, err, n);
    cJSON_Delete(p);
    return st;
}

static void test_hadamard_json_valid_and_round_trip(void)
{
    const qcts_opdef *od = qcts_opdef_get(QCTS_OP_HADAMARD);
    CU_ASSERT_PTR_NOT_NULL_FATAL(od);
    char err[256];
    qcts_hadamard_desc d, e;
    CU_ASSERT_EQUAL_FATAL(parse("{\"rows\":3,\"n\":4096,\"normalized\":true,\"inverse\":true,\"in_dtype\":\"bf16\","
                                "\"out_dtype\":\"f16\",\"threads\":2}", &d, err, sizeof err), QCTS_OK);
    CU_ASSERT(d.rows == 3 && d.n == 4096 && d.normalized == 1 && d.inverse == 1 && d.in_dtype == QCTS_DT_BF16 &&
              d.out_dtype == QCTS_DT_F16 && d.threads == 2);
    qcts_op_io io;
    CU_ASSERT_EQUAL(od->io(&d, &io, err, sizeof err), QCTS_OK);
    CU_ASSERT(io.n_in == 1 && io.n_out == 1 && io.in[0].nelems == 3 * 4096 && io.in[0].nbytes == 3 * 4096 * 2 &&
              io.out[0].dtype == QCTS_DT_F16 && strcmp(io.in[0].name, "x") == 0 && strcmp(io.out[0].name, "y") == 0);
    cJSON *p = cJSON_CreateObject();
    CU_ASSERT_EQUAL(od->to_json(&d, p), 0);
    memset(&e, 0, sizeof e);
    CU_ASSERT_EQUAL(od->from_json(p, &e, err, sizeof err), QCTS_OK);
    CU_ASSERT(memcmp(&d, &e, sizeof d) == 0);
    cJSON_Delete(p);
    /* defaults: unnormalised forward f32, one thread */
    CU_ASSERT_EQUAL(parse("{\"rows\":1,\"n\":32}", &d, err, sizeof err), QCTS_OK);
    CU_ASSERT(!d.normalized && !d.inverse && d.in_dtype == QCTS_DT_F32 && d.out_dtype == QCTS_DT_F32 && d.threads == 1);
    char line[160];
    od->describe(&d, line, sizeof line);
    CU_ASSERT(strstr(line, "n 32") != NULL);
}

static void test_hadamard_json_refused(void)
{
    static const char *const bad[] = {
        "{\"rows\":1,\"n\":48}",                       /* not a power of two */
        "{\"rows\":1,\"n\":16}",                       /* below 32 */
        "{\"rows\":1,\"n\":8192}",                     /* above 4096 */
        "{\"rows\":0,\"n\":64}",
        "{\"n\":64}",                                   /* rows missing */
        "{\"rows\":1}",                                 /* n missing */
        "{\"rows\":1,\"n\":64,\"normalized\":\"yes\"}",
        "{\"rows\":1,\"n\":64,\"in_dtype\":\"u8\"}",
        "{\"rows\":1,\"n\":64,\"norm\":true}",          /* misspelt */
        "{\"rows\":1.5,\"n\":64}",
        "{\"rows\":1,\"n\":64,\"threads\":-1}",
        "[1,2]",
        "null",
    };
    char err[256];
    qcts_hadamard_desc d;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = 0;
        QCHECK(parse(bad[i], &d, err, sizeof err) == QCTS_ERROR && err[0], "accepted: %s", bad[i]);
    }
    /* io() on raw descriptors (the plugin boundary copies them as bytes) */
    const qcts_opdef *od = qcts_opdef_get(QCTS_OP_HADAMARD);
    qcts_op_io io;
    qcts_hadamard_desc r = { .rows = 2, .n = 100, .in_dtype = QCTS_DT_F32, .out_dtype = QCTS_DT_F32 };
    CU_ASSERT_EQUAL(od->io(&r, &io, err, sizeof err), QCTS_ERROR);
    r.n = 64;
    r.out_dtype = QCTS_DT_U8;
    CU_ASSERT_EQUAL(od->io(&r, &io, err, sizeof err), QCTS_ERROR);
    r.out_dtype = QCTS_DT_F32;
    r.reserved_ = 1;
    CU_ASSERT_EQUAL(od->io(&r, &io, err, sizeof err), QCTS_ERROR);
    r.reserved_ = 0;
    r.rows = (int64_t)1 << 62;
    CU_ASSERT_EQUAL(od->io(&r, &io, err, sizeof err), QCTS_ERROR);
}

QTEST_SUITE(hadamard_op_json,
    QTEST(test_hadamard_json_valid_and_round_trip),
    QTEST(test_hadamard_json_refused))
