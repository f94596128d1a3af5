/* Known answers of the NVFP4 scheme family (torchao two-level rule):
 * tensor scale, block scales with the [2^-6, 448] clamp and RNE, element
 * codes and packed bytes, the all-zero and underflowing tensor, the single
 * rounding of the exact dequantized value, load validation. Expected bytes
 * were worked out by hand and cross-checked with an independent
 * numpy/ml_dtypes script. */
#include <stdio.h>
#include <string.h>

#include "qref/bits.h"
#include "qref/scheme.h"
#include "qtest.h"

static const qref_scheme *NV(void)
{
    const qref_scheme *s = qref_scheme_find("nvfp4");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    return s;
}

static float fb(uint32_t bits) { return qref_f32_from_bits(bits); }

static int bytes_eq(const char *what, const uint8_t *got, const uint8_t *want, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (got[i] != want[i])
            return QCHECK(0, "%s: byte %zu is 0x%02X, expected 0x%02X", what, i, got[i], want[i]);
    return 1;
}

static void test_known_tensor_scale_one(void)
{
    /* amax_tensor 2688 -> S = 2688/2688 = 1. Block 0: (2688/6)/1 = 448 ->
     * 0x7E, codes of w/448. Block 1: (3/6)/1 = 0.5 -> 0x30, codes of w/0.5:
     * 3 -> 6, -1 -> -2, 0.75 -> 1.5, 2.2 -> 4.4 -> 4, -2.9 -> -6, 0.1 -> 0,
     * 1.4 -> 3, -0.6 -> -1, 0.26 -> 0.5, -0.24 -> -0.5, 1.74 -> 3, 2.6 -> 6 */
    static const double in[32] = {
        2688.0, -1000.0, 300.0, 1.0, -0.5, 123.0, -2000.0, 50.0, 0.0, 700.0, -1500.0, 10.0, 2.0, -3.0, 400.0, 1100.0,
        3.0, -1.0, 0.75, 2.2, -2.9, 0.1, 1.4, -0.6, 0, 0, 0, 0, 0.26, -0.24, 1.74, 2.6,
    };
    static const uint8_t want[16] = { 0xC7, 0x01, 0x18, 0x0E, 0x30, 0x0D, 0x80, 0x42,
                                      0xC7, 0x63, 0x0F, 0xA5, 0x00, 0x00, 0x91, 0x75 };
    float w[32];
    for (int i = 0; i < 32; i++)
        w[i] = (float)in[i];
    qref_qtensor t;
    CU_ASSERT_EQUAL_FATAL(qref_quantize(NV(), 1, 32, w, &t, NULL), QREF_OK);
    CU_ASSERT_EQUAL(t.sizes.codes, 16);
    CU_ASSERT_EQUAL(t.sizes.scales, 2);
    CU_ASSERT_EQUAL(t.sizes.tscale, 4);
    CU_ASSERT_EQUAL(t.sizes.total, 22);
    bytes_eq("nvfp4 codes", t.codes, want, 16);
    CU_ASSERT_EQUAL(t.scales[0], 0x7E);
    CU_ASSERT_EQUAL(t.scales[1], 0x30);
    CU_ASSERT_EQUAL(qref_f32_bits(t.tensor_scale), 0x3F800000u);
    uint8_t buf[22];
    CU_ASSERT_EQUAL(qref_qtensor_save(&t, buf, sizeof buf), QREF_OK);
    CU_ASSERT_EQUAL(buf[18], 0x00);
    CU_ASSERT_EQUAL(buf[21], 0x3F);
    float out[32];
    CU_ASSERT_EQUAL(qref_dequantize(&t, out, NULL), QREF_OK);
    CU_ASSERT_EQUAL(out[0], 2688.0f);
    CU_ASSERT_EQUAL(out[1], -896.0f);        /* -2 * 448 */
    CU_ASSERT_EQUAL(out[22], 1.5f);          /* 3 * 0.5 */
    qref_qtensor_free(&t);
}

static void test_known_general_tensor_scale(void)
{
    /* amax 1 -> S = 1/2688 = 0x39C30C31; (1/6)/S rounds to 448 -> 0x7E;
     * T = S * 448 = 0x3E2AAAAB; codes of w/T */
    float w[16] = { 1.0f, -0.3f, 0.5f, 0.7f, 0.01f, -0.9f, 0.2f, 0.33f,
                    0.45f, -0.15f, 0.6f, 0.8f, 0.05f, -0.05f, 0.99f, -1.0f };
    static const uint8_t want[8] = { 0xC7, 0x65, 0xF0, 0x42, 0xA5, 0x66, 0x91, 0xF7 };
    qref_qtensor t;
    CU_ASSERT_EQUAL_FATAL(qref_quantize(NV(), 1, 16, w, &t, NULL), QREF_OK);
    CU_ASSERT_EQUAL(qref_f32_bits(t.tensor_scale), 0x39C30C31u);
    CU_ASSERT_EQUAL(t.scales[0], 0x7E);
    bytes_eq("nvfp4 codes", t.codes, want, 8);
    double hi[16], lo[16];
    CU_ASSERT_EQUAL(qref_dequantize_row_exact(&t, 0, hi, lo, NULL), QREF_OK);
    /* exact: 6 * 448 * S, not 6 * float32(448 * S) */
    CU_ASSERT_EQUAL(hi[0], 2688.0 * (double)fb(0x39C30C31u));
    CU_ASSERT_EQUAL(lo[0], 0.0);
    qref_qtensor_free(&t);
}

static void test_block_scale_clamp_and_rounding(void)
{
    /* S = 1 (amax 2688 in block 0).
     * Block 1: amax 6.375 -> 1.0625, halfway between E4M3 1.0 and 1.125 ->
     *          1.0 (0x38, even); 6.375 saturates to 6, -3 -> -3 (0xD).
     * Block 2: amax 0.01 -> 0.00167 clamped up to 2^-6 (0x08); 0.01/2^-6 =
     *          0.64 -> 0.5, -0.004/2^-6 = -0.256 -> -0.5.
     * Block 3: zeros in a non-zero tensor: the clamp gives 0x08 (FORMATS.md
     *          literally), codes 0. */
    float w[64] = { 0 };
    w[0] = 2688.0f;
    w[16] = 6.375f;
    w[17] = -3.0f;
    w[32] = 0.01f;
    w[33] = -0.004f;
    qref_qtensor t;
    CU_ASSERT_EQUAL_FATAL(qref_quantize(NV(), 1, 64, w, &t, NULL), QREF_OK);
    static const uint8_t want_s[4] = { 0x7E, 0x38, 0x08, 0x08 };
    bytes_eq("nvfp4 block scales", t.scales, want_s, 4);
    CU_ASSERT_EQUAL(t.codes[0], 0x07);
    CU_ASSERT_EQUAL(t.codes[8], 0xD7);
    CU_ASSERT_EQUAL(t.codes[16], 0x91);
    for (int i = 24; i < 32; i++)
        CU_ASSERT_EQUAL(t.codes[i], 0);
    qref_qtensor_free(&t);
}

static void test_zero_and_underflowing_tensor(void)
{
    float w[32] = { 0 };
    w[5] = -0.0f;
    qref_qtensor t;
    CU_ASSERT_EQUAL_FATAL(qref_quantize(NV(), 1, 32, w, &t, NULL), QREF_OK);
    CU_ASSERT_EQUAL(qref_f32_bits(t.tensor_scale), 0x3F800000u);
    for (size_t i = 0; i < t.sizes.codes + t.sizes.scales; i++)
        QCHECK(t.storage[i] == 0, "all-zero nvfp4: byte %zu is 0x%02X", i, t.storage[i]);
    qref_qtensor_free(&t);
    /* amax 2^-140: 2^-140/2688 rounds to 0 in float32 -> the same rule */
    w[7] = fb(0x00000200u);
    w[9] = -fb(0x00000200u);
    CU_ASSERT_EQUAL_FATAL(qref_quantize(NV(), 1, 32, w, &t, NULL), QREF_OK);
    CU_ASSERT_EQUAL(qref_f32_bits(t.tensor_scale), 0x3F800000u);
    for (size_t i = 0; i < t.sizes.codes + t.sizes.scales; i++)
        QCHECK(t.storage[i] == 0, "underflowing nvfp4: byte %zu is 0x%02X", i, t.storage[i]);
    float out[32];
    CU_ASSERT_EQUAL(qref_dequantize(&t, out, NULL), QREF_OK);
    CU_ASSERT_EQUAL(out[7], 0.0f);
    qref_qtensor_free(&t);
    /* amax 2^-130: S = 2^-130/2688 is a float32 subnormal (about 2^-141.4);
     * quantize still works and stays within the element range. */
    w[7] = fb(0x00080000u);
    w[9] = 0.0f;
    CU_ASSERT_EQUAL_FATAL(qref_quantize(NV(), 1, 32, w, &t, NULL), QREF_OK);
    CU_ASSERT(t.tensor_scale > 0.0f && t.tensor_scale < 0x1p-126f);
    qref_qtensor_free(&t);
}

static void test_single_rounding_of_exact_value(void)
{
    /* S = 11233963 * 2^-25 (0x3EAB6AAB), block scale 1.0 (0x38), element 3.0
     * (code 5): the exact value is 3 S = 2057 * 2^-11 + 2^-25, just above an
     * f16 midpoint. Rounded once it is f16 0x3C05; rounding to float32 first
     * (1.00439453125, the midpoint itself) and then to f16 would give the
     * even neighbour 0x3C04. */
    uint8_t buf[13] = { 0x05 };
    buf[8] = 0x38;
    buf[9] = 0xAB;
    buf[10] = 0x6A;
    buf[11] = 0xAB;
    buf[12] = 0x3E;
    qref_qtensor t;
    qref_error err;
    CU_ASSERT_EQUAL_FATAL(qref_qtensor_load(NV(), 1, 16, buf, sizeof buf, &t, &err), QREF_OK);
    CU_ASSERT_EQUAL(qref_f32_bits(t.tensor_scale), 0x3EAB6AABu);
    double hi[16], lo[16];
    CU_ASSERT_EQUAL(qref_dequantize_row_exact(&t, 0, hi, lo, NULL), QREF_OK);
    CU_ASSERT_EQUAL(hi[0], 2057.0 / 2048.0 + 0x1p-25);
    uint16_t h[16];
    float f[16];
    CU_ASSERT_EQUAL(qref_dequantize_as(&t, QREF_FMT_F16, h, NULL), QREF_OK);
    CU_ASSERT_EQUAL(h[0], 0x3C05);
    CU_ASSERT_EQUAL(qref_dequantize_as(&t, QREF_FMT_BF16, h, NULL), QREF_OK);
    CU_ASSERT_EQUAL(h[0], 0x3F81);
    CU_ASSERT_EQUAL(qref_dequantize(&t, f, NULL), QREF_OK);
    CU_ASSERT_EQUAL(qref_f32_bits(f[0]), 0x3F809000u);
    qref_qtensor_free(&t);
    /* The same for bf16: S = 11578027 * 2^-25 (0x3EB0AAAB), 3 S = 265 * 2^-8 +
     * 2^-25, just above a bf16 midpoint: 0x3F85 once rounded; through
     * float32 (265 * 2^-8 exactly) the tie would go to the even 0x3F84. */
    buf[9] = 0xAB;
    buf[10] = 0xAA;
    buf[11] = 0xB0;
    buf[12] = 0x3E;
    buf[0] = 0xD5;                   /* elements 0 and 1: 3.0 and -3.0 */
    CU_ASSERT_EQUAL_FATAL(qref_qtensor_load(NV(), 1, 16, buf, sizeof buf, &t, &err), QREF_OK);
    CU_ASSERT_EQUAL(qref_dequantize_as(&t, QREF_FMT_BF16, h, NULL), QREF_OK);
    CU_ASSERT_EQUAL(h[0], 0x3F85);
    CU_ASSERT_EQUAL(h[1], 0xBF85);
    CU_ASSERT_EQUAL(qref_dequantize_as(&t, QREF_FMT_F16, h, NULL), QREF_OK);
    CU_ASSERT_EQUAL(h[0], 0x3C24);
    CU_ASSERT_EQUAL(qref_dequantize(&t, f, NULL), QREF_OK);
    CU_ASSERT_EQUAL(qref_f32_bits(f[1]), 0xBF848000u);
    qref_qtensor_free(&t);
}

static void test_load_validation(void)
{
    uint8_t buf[2 * 16 + 4 + 4];     /* 2 x 32: codes 32, scales [2][2], tscale */
    memset(buf, 0, sizeof buf);
    buf[32] = buf[33] = buf[34] = buf[35] = 0x38;
    buf[39] = 0x3F;                  /* S = 1.0 */
    qref_qtensor t;
    qref_error err;
    CU_ASSERT_EQUAL(qref_qtensor_load(NV(), 2, 32, buf, sizeof buf, &t, &err), QREF_OK);
    qref_qtensor_free(&t);
    buf[35] = 0x7F;                  /* row 1, block 1: NaN */
    CU_ASSERT_EQUAL(qref_qtensor_load(NV(), 2, 32, buf, sizeof buf, &t, &err), QREF_ERR_DATA);
    CU_ASSERT_EQUAL(err.row, 1);
    CU_ASSERT_EQUAL(err.block, 1);
    QCHECK(strstr(err.msg, "row 1, block 1") != NULL, "message: %s", err.msg);
    buf[35] = 0x38;
    buf[34] = 0xB8;                  /* row 1, block 0: sign bit */
    CU_ASSERT_EQUAL(qref_qtensor_load(NV(), 2, 32, buf, sizeof buf, &t, &err), QREF_ERR_DATA);
    CU_ASSERT_EQUAL(err.row, 1);
    CU_ASSERT_EQUAL(err.block, 0);
    buf[34] = 0x38;
    buf[39] = 0x7F;
    buf[38] = 0xC0;                  /* tensor scale NaN: the catalog rejects it */
    CU_ASSERT_EQUAL(qref_qtensor_load(NV(), 2, 32, buf, sizeof buf, &t, &err), QREF_ERR_DATA);
    CU_ASSERT_EQUAL(qref_qtensor_load(NV(), 2, 32, buf, sizeof buf - 1, &t, &err), QREF_ERR_SIZE);
    qref_qsizes z;
    CU_ASSERT_EQUAL(qref_qsizes_get(NV(), 2, 24, &z, &err), QREF_ERR_SIZE);
    QCHECK(strstr(err.msg, "nvfp4") && strstr(err.msg, "24") && strstr(err.msg, "16"), "message: %s", err.msg);
}

QTEST_SUITE(scheme_nvfp4,
    QTEST(test_known_tensor_scale_one),
    QTEST(test_known_general_tensor_scale),
    QTEST(test_block_scale_clamp_and_rounding),
    QTEST(test_zero_and_underflowing_tensor),
    QTEST(test_single_rounding_of_exact_value),
    QTEST(test_load_validation))
