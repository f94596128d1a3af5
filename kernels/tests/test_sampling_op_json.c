/* Suite sampling_op_json: the sampling op's definition (kernels/ops/op_sampling.c):
 * params -> desc -> params round trip (float32 values exact), the tensors
 * io() derives (history only with hist_len > 0, probs only with
 * want_probs), and wrong or hostile params refused naming the field. */
#include "qtest.h"

#include <cjson/cJSON.h>
#include <string.h>

#include "qcts/opdef.h"

static qcts_status parse(const char *json, qcts_sampling_desc *d, char *err, size_t n)
{
    const qcts_opdef *od = qcts_opdef_get(QCTS_OP_SAMPLING);
    cJSON *p = cJSON_Parse(json);
    memset(d, 0, sizeof *d);
    qcts_status st = od->from_json(p, d, err, n);
    cJSON_Delete(p);
    return st;
}

static void test_sampling_json_valid_and_round_trip(void)
{
    const qcts_opdef *od = qcts_opdef_get(QCTS_OP_SAMPLING);
    CU_ASSERT_PTR_NOT_NULL_FATAL(od);
    char err[256];
    qcts_sampling_desc d, e;
    CU_ASSERT_EQUAL_FATAL(parse("{\"rows\":4,\"vocab\":1003,\"hist_len\":16,\"temperature\":0.699999988,"
                                "\"rep_penalty\":1.29999995,\"presence_penalty\":0.400000006,\"freq_penalty\":0.2,"
                                "\"top_k\":40,\"top_p\":0.899999976,\"min_p\":0.0500000007,\"logits_dtype\":\"f16\","
                                "\"want_probs\":true,\"threads\":2}", &d, err, sizeof err), QCTS_OK);
    CU_ASSERT(d.rows == 4 && d.vocab == 1003 && d.hist_len == 16 && d.temperature == 0.7f &&
              d.rep_penalty == 1.3f && d.presence_penalty == 0.4f && d.freq_penalty == 0.2f && d.top_k == 40 &&
              d.top_p == 0.9f && d.min_p == 0.05f && d.logits_dtype == QCTS_DT_F16 && d.want_probs == 1 &&
              d.threads == 2);
    qcts_op_io io;
    CU_ASSERT_EQUAL(od->io(&d, &io, err, sizeof err), QCTS_OK);
    CU_ASSERT(io.n_in == 3 && io.n_out == 2 && io.in[0].nbytes == 4 * 1003 * 2 && io.in[1].used &&
              io.in[1].dtype == QCTS_DT_I32 && io.in[1].nelems == 64 && io.in[2].nelems == 4 &&
              io.out[0].dtype == QCTS_DT_I32 && io.out[0].nelems == 4 && io.out[1].nelems == 4 * 1003);
    cJSON *p = cJSON_CreateObject();
    CU_ASSERT_EQUAL(od->to_json(&d, p), 0);
    memset(&e, 0, sizeof e);
    CU_ASSERT_EQUAL(od->from_json(p, &e, err, sizeof err), QCTS_OK);
    CU_ASSERT(memcmp(&d, &e, sizeof d) == 0);
    cJSON_Delete(p);
    /* defaults: T 1, no penalty, no filter; no history, no probs */
    CU_ASSERT_EQUAL(parse("{\"rows\":1,\"vocab\":7}", &d, err, sizeof err), QCTS_OK);
    CU_ASSERT(d.temperature == 1 && d.rep_penalty == 1 && d.top_p == 1 && d.min_p == 0 && d.top_k == 0);
    CU_ASSERT_EQUAL(od->io(&d, &io, err, sizeof err), QCTS_OK);
    CU_ASSERT(io.n_out == 1 && !io.in[1].used);
}

static void test_sampling_json_refused(void)
{
    static const char *const bad[] = {
        "{\"rows\":1,\"vocab\":0}",
        "{\"vocab\":10}",
        "{\"rows\":1,\"vocab\":10,\"top_p\":1.5}",
        "{\"rows\":1,\"vocab\":10,\"min_p\":-0.1}",
        "{\"rows\":1,\"vocab\":10,\"temperature\":-1}",
        "{\"rows\":1,\"vocab\":10,\"temperature\":1e39}",   /* not a float32 */
        "{\"rows\":1,\"vocab\":10,\"rep_penalty\":0}",
        "{\"rows\":1,\"vocab\":10,\"top_k\":-1}",
        "{\"rows\":1,\"vocab\":10,\"logits_dtype\":\"i32\"}",
        "{\"rows\":1,\"vocab\":10,\"topk\":5}",             /* misspelt */
        "{\"rows\":1,\"vocab\":10,\"want_probs\":1}",
        "{\"rows\":1,\"vocab\":10,\"top_p\":\"0.9\"}",
        "\"sampling\"",
    };
    char err[256];
    qcts_sampling_desc d;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = 0;
        QCHECK(parse(bad[i], &d, err, sizeof err) == QCTS_ERROR && err[0], "accepted: %s", bad[i]);
    }
    const qcts_opdef *od = qcts_opdef_get(QCTS_OP_SAMPLING);
    qcts_op_io io;
    qcts_sampling_desc r = { .rows = 1, .vocab = 10, .temperature = 1, .rep_penalty = 1, .top_p = 1 };
    CU_ASSERT_EQUAL(od->io(&r, &io, err, sizeof err), QCTS_OK);
    r.temperature = 1.0f / 0.0f;
    CU_ASSERT_EQUAL(od->io(&r, &io, err, sizeof err), QCTS_ERROR);
    r.temperature = 1;
    r.top_p = 0.0f / 0.0f;
    CU_ASSERT_EQUAL(od->io(&r, &io, err, sizeof err), QCTS_ERROR);
    r.top_p = 1;
    r.logits_dtype = 99;
    CU_ASSERT_EQUAL(od->io(&r, &io, err, sizeof err), QCTS_ERROR);
}

QTEST_SUITE(sampling_op_json,
    QTEST(test_sampling_json_valid_and_round_trip),
    QTEST(test_sampling_json_refused))
