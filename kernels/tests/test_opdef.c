/* Suite opdef: the table of ABI 2 op definitions (qcts/opdef.h) is
 * consistent with qcts/backend.h, and the generic calls cover every op. */
#include "qtest.h"

#include <string.h>

#include "qcts/backends.h"
#include "qcts/case_call.h"
#include "qcts/opdef.h"

static void test_table_consistent(void)
{
    for (int op = 0; op < QCTS_OP_COUNT; op++) {
        const qcts_opdef *d = qcts_opdef_get((qcts_op)op);
        CU_ASSERT_PTR_NOT_NULL(qcts_op_name((qcts_op)op));
        CU_ASSERT(qcts_op_desc_size((qcts_op)op) > 0);
        if (op <= QCTS_OP_GEMM) {
            CU_ASSERT_PTR_NULL(d);
            continue;
        }
        if (!d) {
            CU_FAIL("an op after gemm has no definition");
            continue;
        }
        CU_ASSERT_EQUAL((int)d->op, op);
        CU_ASSERT_STRING_EQUAL(d->name, qcts_op_name((qcts_op)op));
        CU_ASSERT(d->desc_size > 0 && d->desc_size <= QCTS_OPDESC_MAX);
        CU_ASSERT(d->io && d->from_json && d->to_json && d->describe && d->call && d->has);
        qcts_op back;
        CU_ASSERT(qcts_op_from_name(d->name, &back) == 0 && back == (qcts_op)op);
    }
    CU_ASSERT_PTR_NULL(qcts_opdef_get(QCTS_OP_COUNT));
    CU_ASSERT_EQUAL(qcts_op_desc_size(QCTS_OP_COUNT), 0);
}

/* A backend with no slot for an op: qcts_op_call says UNSUPPORTED, names
 * the op, and never calls through NULL. */
static void test_missing_slot_is_unsupported(void)
{
    qcts_backend be;
    memset(&be, 0, sizeof be);
    be.name = "empty";
    qcts_any_desc d;
    memset(&d, 0, sizeof d);
    qcts_buffers b;
    memset(&b, 0, sizeof b);
    for (int op = 0; op < QCTS_OP_COUNT; op++) {
        char msg[200] = "";
        qcts_call *c = NULL;
        CU_ASSERT_EQUAL(qcts_op_has(&be, (qcts_op)op), 0);
        CU_ASSERT_EQUAL(qcts_op_call(&be, (qcts_op)op, &d, &b, &c, msg, sizeof msg), QCTS_UNSUPPORTED);
        CU_ASSERT_PTR_NOT_NULL(strstr(msg, qcts_op_name((qcts_op)op)));
        CU_ASSERT_PTR_NULL(c);
    }
}

static void test_spec_set_limits(void)
{
    qcts_tensor_spec t;
    int64_t ok[4] = { 2, 3, 4, 5 }, neg[4] = { 2, -1, 1, 1 }, huge[4] = { INT64_MAX / 2, 3, 1, 1 };
    CU_ASSERT_EQUAL(qcts_tensor_spec_set(&t, "x", QCTS_DT_I32, 0, 4, ok), 0);
    CU_ASSERT_EQUAL(t.nelems, 120);
    CU_ASSERT_EQUAL(t.nbytes, 480);
    CU_ASSERT_EQUAL(qcts_tensor_spec_set(&t, "x", QCTS_DT_F32, 0, 2, neg), -1);
    CU_ASSERT_EQUAL(qcts_tensor_spec_set(&t, "x", QCTS_DT_F32, 0, 2, huge), -1);
    CU_ASSERT_EQUAL(qcts_tensor_spec_set(&t, "x", QCTS_DT_F32, 0, 5, ok), -1);
    CU_ASSERT_EQUAL(qcts_dtype_size(QCTS_DT_I32), 4);
    qcts_dtype dt;
    CU_ASSERT(qcts_dtype_from_name("i32", &dt) == 0 && dt == QCTS_DT_I32);
}

QTEST_SUITE(opdef,
            QTEST(test_table_consistent),
            QTEST(test_missing_slot_is_unsupported),
            QTEST(test_spec_set_limits))
