/* Known answers of the MX scheme family: the E8M0 scale rule at its edges
 * (powers of two, just below, subnormal and zero amax, the largest float),
 * element rounding and saturation, packed bytes of each preset, load
 * validation of 0xFF scales. Expected bytes were worked out by hand and
 * cross-checked with an independent numpy/ml_dtypes script. */
#include <stdio.h>
#include <string.h>

#include "qref/bits.h"
#include "qref/scheme.h"
#include "qtest.h"

static const qref_scheme *S(const char *name)
{
    const qref_scheme *s = qref_scheme_find(name);
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

/* Scale code and element codes (unpacked for mxfp4, raw for mxfp8) of one
 * block whose elements are all x except element 0, which is amax. */
static void one_block(const char *name, float amax, float x, uint8_t *scale, uint8_t *c0, uint8_t *c1)
{
    float w[32];
    for (int i = 0; i < 32; i++)
        w[i] = x;
    w[0] = amax;
    qref_qtensor t;
    CU_ASSERT_EQUAL_FATAL(qref_quantize(S(name), 1, 32, w, &t, NULL), QREF_OK);
    *scale = t.scales[0];
    if (t.scheme->elem == QREF_FMT_E2M1) {
        *c0 = t.codes[0] & 0xF;
        *c1 = t.codes[0] >> 4;
    } else {
        *c0 = t.codes[0];
        *c1 = t.codes[1];
    }
    qref_qtensor_free(&t);
}

#define BLOCK(name, amax, x, want_scale, want_c0, want_c1)                                                 \
    do {                                                                                                  \
        uint8_t sc_, a_, b_;                                                                              \
        one_block(name, amax, x, &sc_, &a_, &b_);                                                         \
        QCHECK(sc_ == (want_scale) && a_ == (want_c0) && b_ == (want_c1),                                 \
               "%s amax %a x %a: scale 0x%02X codes 0x%02X 0x%02X, expected 0x%02X 0x%02X 0x%02X", name, \
               (double)(amax), (double)(x), sc_, a_, b_, want_scale, want_c0, want_c1);                  \
    } while (0)

static void test_scale_rule_edges(void)
{
    /* amax a power of two: floor(log2 4) = 2, shared_exp = 2 - 2 = 0 -> 0x7F;
     * 4/1 = 4 -> code 6; x = 1.25 -> 1 (tie to even) -> code 2 */
    BLOCK("mxfp4", 4.0f, 1.25f, 0x7F, 0x6, 0x2);
    /* just below: 0x407FFFFF = 3.9999998, floor(log2) = 1 -> shared_exp -1
     * -> 0x7E; 3.9999998 * 2 = 7.9999995 saturates to 6 (code 7);
     * 1.25 * 2 = 2.5 -> 2 (code 4) */
    BLOCK("mxfp4", fb(0x407FFFFFu), 1.25f, 0x7E, 0x7, 0x4);
    /* negative amax element: |w| is used, the code keeps the sign */
    BLOCK("mxfp4", -4.0f, 0.0f, 0x7F, 0xE, 0x0);
    /* mxfp8_e4m3: emax 8: amax 256 -> 0x7F, code of 256 = 0x78; 448 < 512 so
     * amax 511 -> 511 saturates to 448 (0x7E) */
    BLOCK("mxfp8_e4m3", 256.0f, 1.0f, 0x7F, 0x78, 0x38);
    BLOCK("mxfp8_e4m3", 511.0f, -0.0f, 0x7F, 0x7E, 0x80);
    /* mxfp8_e5m2: emax 15: amax 1 -> shared_exp -15 -> 0x70; 1 * 2^15 -> 0x78 */
    BLOCK("mxfp8_e5m2", 1.0f, 0.5f, 0x70, 0x78, 0x74);
    /* the lower clamp: mxfp4 amax 2^-125 -> -127 exactly (0x00, no clamp);
     * 2^-124 -> 0x01; 2^-126 (smallest normal) -> -128 clamped to -127 */
    BLOCK("mxfp4", fb(0x01000000u), 0.0f, 0x00, 0x6, 0x0);
    BLOCK("mxfp4", fb(0x01800000u), 0.0f, 0x01, 0x6, 0x0);
    BLOCK("mxfp4", fb(0x00800000u), 0.0f, 0x00, 0x4, 0x0);   /* 2^-126 * 2^127 = 2 */
    /* subnormal amax (top mantissa bit p: floor(log2) = p - 149): always
     * clamped, here 0x007FFFFF -> -127 - 2 -> -127; the element is
     * 0x007FFFFF * 2^127 = 1.99999976 -> 2 (code 4) */
    BLOCK("mxfp4", fb(0x007FFFFFu), 0.0f, 0x00, 0x4, 0x0);
    /* the smallest subnormal: 2^-149 * 2^127 = 2^-22 -> 0 */
    BLOCK("mxfp4", fb(0x00000001u), 0.0f, 0x00, 0x0, 0x0);
    /* mxfp8_e4m3 with amax 2^-118: shared_exp -126 -> 0x01, 2^-118 * 2^126 = 256 */
    BLOCK("mxfp8_e4m3", fb(0x04800000u), 0.0f, 0x01, 0x78, 0x00);
    /* amax = 0: scale 0x00 (2^-127), codes 0; -0 keeps its sign bit */
    BLOCK("mxfp4", 0.0f, -0.0f, 0x00, 0x0, 0x8);
    /* the largest float: floor(log2) = 127 -> 125 for E2M1 (0xFC): the
     * clamp at +127 cannot be reached from float32 input */
    BLOCK("mxfp4", fb(0x7F7FFFFFu), 1.0f, 0xFC, 0x7, 0x0);
    BLOCK("mxfp8_e5m2", fb(0x7F7FFFFFu), -fb(0x7F7FFFFFu), 0xEF, 0x7B, 0xFB);
    /* underflow of w * 2^-shared_exp: w = 2^-149 with shared_exp 125 gives a
     * float32 product of 0: the element is 0 (-0 for a negative w) */
    BLOCK("mxfp4", fb(0x7F7FFFFFu), -fb(0x00000001u), 0xFC, 0x7, 0x8);
}

static void test_mxfp4_known(void)
{
    /* amax 6.5 -> floor(log2) 2 -> shared_exp 0 (0x7F); elements RNE,
     * saturating: 4 -> 6, -3.9 -> -4 (0xE), 1.25 -> 1 (2), 0.3 -> 0.5 (1),
     * -0.7 -> -0.5 (9), 2.6 -> 3 (5), 5.1 -> 6 (7), -0.1 -> -0 (8),
     * 0.25 -> 0, 0.75 -> 1 (2), -6.5 -> -6 (0xF), 1.1 -> 1 (2), 0.5 -> 1 */
    static const double in[16] = { 4.0, -3.9, 1.25, 0.3, -0.7, 2.6, 5.1, -0.1, 0.25, 0.75, -6.5, 1.1, 0, 0, 0, 0 };
    static const uint8_t want[16] = { 0xE6, 0x12, 0x59, 0x87, 0x20, 0x2F, 0x00, 0x00,
                                      0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11 };
    float w[64];
    for (int i = 0; i < 32; i++)
        w[i] = i < 16 ? (float)in[i] : 0.5f;
    for (int i = 32; i < 64; i++)
        w[i] = w[i - 32] * 0x1p-20f;         /* block 1: same codes, scale 0x7F - 20 */
    qref_qtensor t;
    CU_ASSERT_EQUAL_FATAL(qref_quantize(S("mxfp4"), 1, 64, w, &t, NULL), QREF_OK);
    CU_ASSERT_EQUAL(t.sizes.codes, 32);
    CU_ASSERT_EQUAL(t.sizes.scales, 2);
    CU_ASSERT_EQUAL(t.sizes.total, 34);
    bytes_eq("mxfp4 block 0", t.codes, want, 16);
    bytes_eq("mxfp4 block 1", t.codes + 16, want, 16);
    CU_ASSERT_EQUAL(t.scales[0], 0x7F);
    CU_ASSERT_EQUAL(t.scales[1], 0x7F - 20);
    double hi[64], lo[64];
    CU_ASSERT_EQUAL(qref_dequantize_row_exact(&t, 0, hi, lo, NULL), QREF_OK);
    CU_ASSERT_EQUAL(hi[10], -6.0);
    CU_ASSERT_EQUAL(hi[42], -6.0 * 0x1p-20);
    CU_ASSERT_EQUAL(lo[42], 0.0);
    qref_qtensor_free(&t);
}

static void test_mxfp6_known(void)
{
    /* E2M3: w = 0.1 i - 1.3 (i = 0..31), amax 1.8 -> floor(log2) 0 ->
     * shared_exp -2 (0x7D); codes of 4w, 4 per 3 bytes (PACK24) */
    float w[32];
    for (int i = 0; i < 32; i++)
        w[i] = (float)(0.1 * i - 1.3);
    static const uint8_t want_e2m3[24] = {
        0xBA, 0x9E, 0xE3, 0x76, 0x3D, 0xCB, 0x70, 0xAB, 0x9A, 0x23, 0x30, 0x18,
        0x4A, 0x03, 0x49, 0x53, 0x65, 0x61, 0x99, 0xA6, 0x6D, 0x5C, 0xE7, 0x79,
    };
    qref_qtensor t;
    CU_ASSERT_EQUAL_FATAL(qref_quantize(S("mxfp6_e2m3"), 1, 32, w, &t, NULL), QREF_OK);
    CU_ASSERT_EQUAL(t.sizes.codes, 24);
    CU_ASSERT_EQUAL(t.scales[0], 0x7D);
    bytes_eq("mxfp6_e2m3", t.codes, want_e2m3, 24);
    qref_qtensor_free(&t);
    /* E3M2: w = 0.37 i^2 - 50, amax 305.57 -> floor(log2) 8 -> shared_exp 4 (0x83) */
    for (int i = 0; i < 32; i++)
        w[i] = (float)(0.37 * i * i - 50.0);
    static const uint8_t want_e3m2[24] = {
        0xB2, 0x2C, 0xCB, 0x72, 0x1C, 0xC3, 0x6F, 0xAB, 0x96, 0x83, 0xE2, 0x40,
        0xD2, 0x44, 0x55, 0xD6, 0x85, 0x65, 0x99, 0xA6, 0x6D, 0x1C, 0xC7, 0x75,
    };
    CU_ASSERT_EQUAL_FATAL(qref_quantize(S("mxfp6_e3m2"), 1, 32, w, &t, NULL), QREF_OK);
    CU_ASSERT_EQUAL(t.scales[0], 0x83);
    bytes_eq("mxfp6_e3m2", t.codes, want_e3m2, 24);
    qref_qtensor_free(&t);
}

static void test_mxfp8_known(void)
{
    float w[32];
    for (int i = 0; i < 32; i++)
        w[i] = (float)(0.37 * i * i - 50.0);
    static const uint8_t want_e4m3[32] = {
        0xE4, 0xE4, 0xE4, 0xE4, 0xE3, 0xE2, 0xE1, 0xE0, 0xDD, 0xDA, 0xD5, 0xCA, 0x45, 0x55, 0x5B, 0x60,
        0x63, 0x66, 0x69, 0x6A, 0x6C, 0x6E, 0x70, 0x71, 0x72, 0x73, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A,
    };
    static const uint8_t want_e5m2[32] = {
        0xEE, 0xEE, 0xEE, 0xEE, 0xEE, 0xED, 0xED, 0xEC, 0xEB, 0xE9, 0xE6, 0xE1, 0x5F, 0x66, 0x6A, 0x6C,
        0x6E, 0x6F, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x75, 0x76, 0x76, 0x77, 0x78, 0x78, 0x78, 0x79,
    };
    qref_qtensor t;
    CU_ASSERT_EQUAL_FATAL(qref_quantize(S("mxfp8_e4m3"), 1, 32, w, &t, NULL), QREF_OK);
    CU_ASSERT_EQUAL(t.scales[0], 0x7F);
    bytes_eq("mxfp8_e4m3", t.codes, want_e4m3, 32);
    qref_qtensor_free(&t);
    CU_ASSERT_EQUAL_FATAL(qref_quantize(S("mxfp8_e5m2"), 1, 32, w, &t, NULL), QREF_OK);
    CU_ASSERT_EQUAL(t.scales[0], 0x78);
    bytes_eq("mxfp8_e5m2", t.codes, want_e5m2, 32);
    qref_qtensor_free(&t);
}

static void test_dequant_extremes(void)
{
    /* A loaded block with scale 0xFE and element 6: 6 * 2^127 is exact in
     * double and overflows float32 and f16 to +Inf when rounded once. */
    uint8_t buf[17] = { 0x07 };
    buf[16] = 0xFE;
    qref_qtensor t;
    qref_error err;
    CU_ASSERT_EQUAL_FATAL(qref_qtensor_load(S("mxfp4"), 1, 32, buf, sizeof buf, &t, &err), QREF_OK);
    double hi[32], lo[32];
    CU_ASSERT_EQUAL(qref_dequantize_row_exact(&t, 0, hi, lo, NULL), QREF_OK);
    CU_ASSERT_EQUAL(hi[0], 6.0 * 0x1p127);
    float f[32];
    uint16_t h[32];
    CU_ASSERT_EQUAL(qref_dequantize(&t, f, NULL), QREF_OK);
    CU_ASSERT_EQUAL(qref_f32_bits(f[0]), 0x7F800000u);
    CU_ASSERT_EQUAL(qref_dequantize_as(&t, QREF_FMT_F16, h, NULL), QREF_OK);
    CU_ASSERT_EQUAL(h[0], 0x7C00);
    qref_qtensor_free(&t);
    /* scale 0x00 (2^-127) and the smallest E5M2 subnormal 2^-16: 2^-143, a
     * float32 subnormal, exact; f16 gets 0 */
    uint8_t b8[33] = { 0x01, 0x81 };
    b8[32] = 0x00;
    CU_ASSERT_EQUAL_FATAL(qref_qtensor_load(S("mxfp8_e5m2"), 1, 32, b8, sizeof b8, &t, &err), QREF_OK);
    CU_ASSERT_EQUAL(qref_dequantize(&t, f, NULL), QREF_OK);
    CU_ASSERT_EQUAL(qref_f32_bits(f[0]), 0x00000040u);     /* 2^-143 = 64 * 2^-149 */
    CU_ASSERT_EQUAL(qref_f32_bits(f[1]), 0x80000040u);
    CU_ASSERT_EQUAL(qref_dequantize_as(&t, QREF_FMT_F16, h, NULL), QREF_OK);
    CU_ASSERT_EQUAL(h[0], 0x0000);
    CU_ASSERT_EQUAL(h[1], 0x8000);
    qref_qtensor_free(&t);
}

static void test_load_nan_scale(void)
{
    /* mxfp6_e3m2, 3 x 96: codes 3 * 72 bytes, scales [3][3]; row 2, block 1 = 0xFF */
    const qref_scheme *s = S("mxfp6_e3m2");
    qref_qsizes z;
    CU_ASSERT_EQUAL_FATAL(qref_qsizes_get(s, 3, 96, &z, NULL), QREF_OK);
    CU_ASSERT_EQUAL(z.codes, 216);
    CU_ASSERT_EQUAL(z.scales, 9);
    uint8_t buf[225];
    memset(buf, 0, sizeof buf);
    qref_qtensor t;
    qref_error err;
    CU_ASSERT_EQUAL(qref_qtensor_load(s, 3, 96, buf, sizeof buf, &t, &err), QREF_OK);
    qref_qtensor_free(&t);
    buf[216 + 2 * 3 + 1] = 0xFF;
    CU_ASSERT_EQUAL(qref_qtensor_load(s, 3, 96, buf, sizeof buf, &t, &err), QREF_ERR_DATA);
    CU_ASSERT_EQUAL(err.row, 2);
    CU_ASSERT_EQUAL(err.block, 1);
    QCHECK(strstr(err.msg, "row 2, block 1") && strstr(err.msg, "0xFF"), "message: %s", err.msg);
    CU_ASSERT_PTR_NULL(t.storage);
    /* mxfp8_e4m3: a NaN element code is rejected too */
    uint8_t b8[33] = { 0 };
    b8[5] = 0xFF;
    CU_ASSERT_EQUAL(qref_qtensor_load(S("mxfp8_e4m3"), 1, 32, b8, sizeof b8, &t, &err), QREF_ERR_DATA);
    CU_ASSERT_EQUAL(err.row, 0);
    CU_ASSERT_EQUAL(err.block, 0);
    /* wrong sizes */
    CU_ASSERT_EQUAL(qref_qtensor_load(S("mxfp8_e4m3"), 1, 32, b8, 32, &t, &err), QREF_ERR_SIZE);
    CU_ASSERT_EQUAL(qref_qsizes_get(S("mxfp4"), 1, 48, &z, &err), QREF_ERR_SIZE);
    QCHECK(strstr(err.msg, "mxfp4") && strstr(err.msg, "48") && strstr(err.msg, "32"), "message: %s", err.msg);
}

QTEST_SUITE(scheme_mx,
    QTEST(test_scale_rule_edges),
    QTEST(test_mxfp4_known),
    QTEST(test_mxfp6_known),
    QTEST(test_mxfp8_known),
    QTEST(test_dequant_extremes),
    QTEST(test_load_nan_scale))
