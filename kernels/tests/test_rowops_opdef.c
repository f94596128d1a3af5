/* Suite rowops_opdef: the rope, norm and softmax op definitions
 * (kernels/ops/op_rope.c, op_norm.c, op_softmax.c):
 *  - params -> desc -> io: every mode's slots, names, dtypes and shapes;
 *  - desc -> params -> desc gives the same bytes (exec, `qcts case run`);
 *  - wrong values are errors naming the key or field (mode, rot_dim,
 *    partial rotary past the head, MLA offsets, eps, temperature, dtype);
 *  - hostile params (wrong types, huge sizes, NaN-like values, every
 *    prefix of a valid object) never crash and never validate. */
#include "qtest.h"

#include <cjson/cJSON.h>
#include <string.h>

#include "qcts/case_call.h"
#include "qcts/opdef.h"

/* from_json then io; 0 ok, else the message in err. */
static int parse(qcts_op op, const char *json, qcts_any_desc *d, qcts_op_io *io, char *err, size_t n)
{
    const qcts_opdef *od = qcts_opdef_get(op);
    memset(d, 0, sizeof *d);
    err[0] = '\0';
    cJSON *p = cJSON_Parse(json);
    if (!p) {
        snprintf(err, n, "bad JSON");
        return -1;
    }
    int r = od->from_json(p, d, err, n) != QCTS_OK || od->io(d, io, err, n) != QCTS_OK ? -1 : 0;
    cJSON_Delete(p);
    return r;
}

static void roundtrip(qcts_op op, const qcts_any_desc *d)
{
    const qcts_opdef *od = qcts_opdef_get(op);
    cJSON *p = cJSON_CreateObject();
    CU_ASSERT_EQUAL(od->to_json(d, p), 0);
    qcts_any_desc back;
    memset(&back, 0, sizeof back);
    char err[256];
    CU_ASSERT_EQUAL(od->from_json(p, &back, err, sizeof err), QCTS_OK);
    CU_ASSERT(memcmp(&back, d, od->desc_size) == 0);
    cJSON_Delete(p);
}

static void test_rope_io(void)
{
    qcts_any_desc d;
    qcts_op_io io;
    char err[512];
    CU_ASSERT_EQUAL(parse(QCTS_OP_ROPE,
                          "{\"layout\":\"gptj\",\"in_dtype\":\"bf16\",\"tokens\":5,\"q_heads\":4,\"k_heads\":2,"
                          "\"q_dim\":80,\"k_dim\":80,\"rot_dim\":32,\"theta\":500000,\"threads\":2}",
                          &d, &io, err, sizeof err),
                    0);
    CU_ASSERT_EQUAL(io.n_in, 3);
    CU_ASSERT_EQUAL(io.n_out, 2);
    CU_ASSERT_STRING_EQUAL(io.in[0].name, "pos");
    CU_ASSERT_EQUAL(io.in[0].dtype, QCTS_DT_I32);
    CU_ASSERT_EQUAL(io.in[1].dtype, QCTS_DT_BF16);
    CU_ASSERT_EQUAL(io.in[1].nelems, 5 * 4 * 80);
    CU_ASSERT_EQUAL(io.out[1].nelems, 5 * 2 * 80);
    CU_ASSERT_EQUAL(io.out[0].dtype, QCTS_DT_F32);
    roundtrip(QCTS_OP_ROPE, &d);
    CU_ASSERT_EQUAL(parse(QCTS_OP_ROPE, "{\"mode\":\"cache\",\"tokens\":7,\"rot_dim\":64,\"out_dtype\":\"f16\"}", &d,
                          &io, err, sizeof err),
                    0);
    CU_ASSERT(io.n_in == 1 && io.n_out == 2 && !strcmp(io.out[0].name, "cos") && !strcmp(io.out[1].name, "sin"));
    CU_ASSERT_EQUAL(io.out[1].nelems, 7 * 32);
    roundtrip(QCTS_OP_ROPE, &d);
    CU_ASSERT_EQUAL(parse(QCTS_OP_ROPE,
                          "{\"mode\":\"mla_split_fused\",\"scaling\":\"yarn\",\"factor\":40,\"orig_ctx\":4096,"
                          "\"tokens\":2,\"q_heads\":3,\"k_heads\":3,\"q_dim\":96,\"rot_dim\":64}",
                          &d, &io, err, sizeof err),
                    0);
    CU_ASSERT(io.n_in == 5 && !strcmp(io.in[4].name, "k_pe") && io.in[4].nelems == 2 * 64);
    CU_ASSERT(io.in[1].nelems == 2 * 3 * 32 && io.out[1].nelems == 2 * 3 * 96);
    roundtrip(QCTS_OP_ROPE, &d);
    CU_ASSERT_EQUAL(parse(QCTS_OP_ROPE,
                          "{\"mode\":\"mla_latent\",\"tokens\":2,\"q_heads\":2,\"k_heads\":1,\"q_dim\":96,"
                          "\"k_dim\":160,\"rot_dim\":64,\"q_rot_off\":32,\"k_rot_off\":96}",
                          &d, &io, err, sizeof err),
                    0);
    /* rejections, each naming what is wrong */
    static const struct { const char *json, *needle; } bad[] = {
        { "{\"mode\":\"rotate\",\"tokens\":1,\"rot_dim\":2,\"q_heads\":1,\"q_dim\":2}", "mode" },
        { "{\"tokens\":1,\"rot_dim\":3,\"q_heads\":1,\"q_dim\":4}", "rot_dim" },
        { "{\"tokens\":1,\"rot_dim\":8,\"q_heads\":1,\"q_dim\":8,\"q_rot_off\":2}", "q_rot_off" },
        { "{\"tokens\":1,\"rot_dim\":8,\"q_heads\":1,\"q_dim\":8,\"in_dtype\":\"u8\"}", "in_dtype" },
        { "{\"mode\":\"mla_latent\",\"tokens\":1,\"rot_dim\":8,\"q_heads\":1,\"q_dim\":16,\"k_heads\":1,"
          "\"k_dim\":16,\"q_rot_off\":0,\"k_rot_off\":8}", "q_rot_off" },
        { "{\"scaling\":\"yarn\",\"tokens\":1,\"rot_dim\":8,\"q_heads\":1,\"q_dim\":8}", "yarn" },
        { "{\"tokens\":1,\"rot_dim\":8,\"q_heads\":1,\"q_dim\":8,\"theta\":0.5}", "theta" },
        { "{\"rot_dim\":8,\"q_heads\":1,\"q_dim\":8}", "tokens" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int r = parse(QCTS_OP_ROPE, bad[i].json, &d, &io, err, sizeof err);
        QCHECK(r != 0 && strstr(err, bad[i].needle), "rope case %zu: %s -> %d '%s'", i, bad[i].json, r, err);
    }
}

static void test_norm_softmax_io(void)
{
    qcts_any_desc d;
    qcts_op_io io;
    char err[512];
    CU_ASSERT_EQUAL(parse(QCTS_OP_NORM,
                          "{\"kind\":\"layer\",\"dtype\":\"f16\",\"rows\":3,\"n\":100,\"eps\":1e-5,\"bias\":true,"
                          "\"residual\":true}",
                          &d, &io, err, sizeof err),
                    0);
    CU_ASSERT(io.n_in == 4 && io.n_out == 2 && io.in[1].used && io.in[2].used && io.in[3].used);
    CU_ASSERT(!strcmp(io.out[1].name, "residual") && io.out[1].dtype == QCTS_DT_F16 && io.out[0].dtype == QCTS_DT_F32);
    roundtrip(QCTS_OP_NORM, &d);
    CU_ASSERT_EQUAL(parse(QCTS_OP_NORM, "{\"kind\":\"rms\",\"rows\":1,\"n\":8,\"eps\":1e-6,\"weight\":false}", &d, &io,
                          err, sizeof err),
                    0);
    CU_ASSERT(io.n_out == 1 && !io.in[1].used && !io.in[2].used && !io.in[3].used);
    roundtrip(QCTS_OP_NORM, &d);
    CU_ASSERT(parse(QCTS_OP_NORM, "{\"kind\":\"rms\",\"rows\":1,\"n\":8,\"eps\":0}", &d, &io, err, sizeof err) != 0 &&
              strstr(err, "eps"));
    CU_ASSERT(parse(QCTS_OP_NORM, "{\"kind\":\"group\",\"rows\":1,\"n\":8,\"eps\":1e-6}", &d, &io, err, sizeof err) !=
                  0 &&
              strstr(err, "kind"));
    CU_ASSERT(parse(QCTS_OP_NORM, "{\"rows\":1,\"n\":8,\"eps\":1e-6}", &d, &io, err, sizeof err) != 0 &&
              strstr(err, "kind"));
    CU_ASSERT_EQUAL(parse(QCTS_OP_SOFTMAX, "{\"rows\":2,\"n\":5,\"temperature\":0.5,\"out_dtype\":\"bf16\"}", &d, &io,
                          err, sizeof err),
                    0);
    CU_ASSERT(io.n_in == 1 && io.out[0].dtype == QCTS_DT_BF16 && io.out[0].nelems == 10);
    roundtrip(QCTS_OP_SOFTMAX, &d);
    CU_ASSERT(parse(QCTS_OP_SOFTMAX, "{\"rows\":2,\"n\":5,\"temperature\":0}", &d, &io, err, sizeof err) != 0 &&
              strstr(err, "temperature"));
    CU_ASSERT(parse(QCTS_OP_SOFTMAX, "{\"rows\":2,\"n\":0}", &d, &io, err, sizeof err) != 0 && strstr(err, "n"));
}

static void test_hostile_params(void)
{
    static const char *valid[] = {
        "{\"mode\":\"mla_split_fused\",\"scaling\":\"yarn\",\"factor\":40,\"orig_ctx\":4096,\"tokens\":2,"
        "\"q_heads\":3,\"k_heads\":3,\"q_dim\":96,\"rot_dim\":64}",
        "{\"kind\":\"layer\",\"dtype\":\"f16\",\"rows\":3,\"n\":100,\"eps\":1e-5,\"bias\":true,\"residual\":true}",
        "{\"rows\":2,\"n\":5,\"temperature\":0.5}",
    };
    static const qcts_op ops[] = { QCTS_OP_ROPE, QCTS_OP_NORM, QCTS_OP_SOFTMAX };
    qcts_any_desc d;
    qcts_op_io io;
    char err[512], buf[512];
    for (int k = 0; k < 3; k++) {
        size_t len = strlen(valid[k]);
        for (size_t cut = 0; cut < len; cut++) {   /* every prefix: bad JSON or a missing key */
            memcpy(buf, valid[k], cut);
            buf[cut] = '\0';
            cJSON *p = cJSON_Parse(buf);
            if (p) {
                memset(&d, 0, sizeof d);
                const qcts_opdef *od = qcts_opdef_get(ops[k]);
                if (od->from_json(p, &d, err, sizeof err) == QCTS_OK)
                    (void)od->io(&d, &io, err, sizeof err);
                cJSON_Delete(p);
            }
        }
    }
    static const char *hostile[] = {
        "{\"tokens\":1e300,\"rot_dim\":2,\"q_heads\":1,\"q_dim\":2}",
        "{\"tokens\":\"5\",\"rot_dim\":2,\"q_heads\":1,\"q_dim\":2}",
        "{\"tokens\":1099511627776,\"rot_dim\":4096,\"q_heads\":1048576,\"q_dim\":16777216}",
        "{\"tokens\":-1,\"rot_dim\":2,\"q_heads\":1,\"q_dim\":2}",
        "{\"tokens\":1,\"rot_dim\":2,\"q_heads\":1,\"q_dim\":2,\"mode\":null}",
        "[]",
    };
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++)
        QCHECK(parse(QCTS_OP_ROPE, hostile[i], &d, &io, err, sizeof err) != 0, "hostile rope params accepted: %s",
               hostile[i]);
    CU_ASSERT(parse(QCTS_OP_NORM, "{\"kind\":\"rms\",\"rows\":1099511627776,\"n\":1073741824,\"eps\":1e-6}", &d, &io,
                    err, sizeof err) != 0);
    CU_ASSERT(parse(QCTS_OP_SOFTMAX, "{\"rows\":1099511627776,\"n\":1073741824}", &d, &io, err, sizeof err) != 0);
}

QTEST_SUITE(rowops_opdef,
    QTEST(test_rope_io),
    QTEST(test_norm_softmax_io),
    QTEST(test_hostile_params))
