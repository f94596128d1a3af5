/* Suite attention_avx2: the AVX2 attention kernel's parts that the golden
 * cases do not show directly.
 *  - its exp: relative error <= 2 ulp of the float32 result on a dense sweep
 *    of [-87, 88] (the bound of qref/attention.h assumes exp_ulps 2), exp(0)
 *    = 1 exactly (unchanged running max: no rescale error), exp(x < -87) = +0;
 *  - a block-table entry outside the pool is an ERROR at prepare, never a
 *    read out of bounds; a KV scheme without an AVX2 dequant kernel is
 *    UNSUPPORTED (SKIP), not a wrong answer. */
#include "qtest.h"

#include <math.h>
#include <string.h>

#include "kernels/opcall.h"
#include "kernels/simd/simd.h"
#if QCTS_SIMD_X86
#include "kernels/simd/avx2/attention.h"
#endif

static int have_avx2(void)
{
    return qcts_isa_cpu_ok(QCTS_ISA_AVX2, NULL, 0) && qcts_isa_built(QCTS_ISA_AVX2, NULL, 0);
}

static void test_attention_avx2_exp(void)
{
#if QCTS_SIMD_X86
    if (!have_avx2())
        return;
    double worst = 0;
    float wx = 0;
    for (int i = 0; i <= 2000000; i++) {
        float x = -87.0f + 175.0f * (float)i / 2000000.0f;
        float y = qcts_attn_exp__avx2(x);
        double t = exp((double)x);
        int e;
        frexp(t, &e);
        double ulp = ldexp(1.0, e - 24);
        double err = fabs((double)y - t) / ulp;
        if (err > worst) {
            worst = err;
            wx = x;
        }
    }
    QCHECK(worst <= 2.0, "exp error %.3f ulp at x = %.9g (the bound assumes 2)", worst, (double)wx);
    CU_ASSERT(qcts_attn_exp__avx2(0.0f) == 1.0f);
    CU_ASSERT(qcts_attn_exp__avx2(-100.0f) == 0.0f);
    CU_ASSERT(qcts_attn_exp__avx2(-INFINITY) == 0.0f);
#endif
}

static void test_attention_avx2_rejects(void)
{
    if (!have_avx2())
        return;
    qcts_attention_desc d;
    memset(&d, 0, sizeof d);
    d.batch = 1;
    d.q_heads = d.kv_heads = 1;
    d.seq_q = 1;
    d.seq_kv = 20;
    d.d = d.dv = 8;
    d.causal = 1;
    d.scale = 0.5f;
    d.splits = 1;
    d.page_size = 16;
    d.pages = 2;
    d.kv_dtype = QCTS_DT_F32;
    d.out_dtype = QCTS_DT_F32;
    d.threads = 1;
    float q[8] = { 0 }, k[2 * 16 * 8] = { 0 }, v[2 * 16 * 8] = { 0 }, y[8];
    int32_t bt[2] = { 1, 2 };   /* 2 is outside the pool of 2 pages */
    qcts_buffers b;
    memset(&b, 0, sizeof b);
    b.in[0] = q;
    b.in_bytes[0] = sizeof q;
    b.in[1] = k;
    b.in_bytes[1] = sizeof k;
    b.in[2] = v;
    b.in_bytes[2] = sizeof v;
    b.in[3] = bt;
    b.in_bytes[3] = sizeof bt;
    b.out[0] = y;
    b.out_bytes[0] = sizeof y;
    qcts_call *call = NULL;
    char msg[256];
    CU_ASSERT_EQUAL(qcts_avx2_attention(&d, &b, &call, msg, sizeof msg), QCTS_ERROR);
    CU_ASSERT(call == NULL);
    CU_ASSERT(strstr(msg, "block_table") != NULL);
    bt[1] = 0;
    CU_ASSERT_EQUAL(qcts_avx2_attention(&d, &b, &call, msg, sizeof msg), QCTS_OK);
    /* (released through the backend's release; here only prepare is checked) */
    const qcts_backend *be = qcts_backend_avx2_entry();
    if (call) {
        CU_ASSERT_EQUAL(be->run(call, msg, sizeof msg), QCTS_OK);
        be->release(call);
    }
}

QTEST_SUITE(attention_avx2,
    QTEST(test_attention_avx2_exp),
    QTEST(test_attention_avx2_rejects))
