/* Known answers of the "group" scheme family: small matrices whose scales,
 * codes and packed bytes were worked out by hand (and cross-checked with an
 * independent numpy/ml_dtypes script), written here literally. */
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

/* Compares n bytes and prints the first difference. */
static int bytes_eq(const char *what, const uint8_t *got, const uint8_t *want, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (got[i] != want[i])
            return QCHECK(0, "%s: byte %zu is 0x%02X, expected 0x%02X", what, i, got[i], want[i]);
    return 1;
}

static void test_fp4_g32_f16_known(void)
{
    /* Group 0: amax 3 -> 3/6 = 0.5 -> f16 0x3800 exactly; w/0.5 exercises the
     * E2M1 ties (0.25->0, 0.75->1, 1.25->1, 2.5->2, 3.5->4, 5->4), -0 and
     * negative values rounding to -0 (code 0x8).
     * Group 1: amax 1 -> 1/6 = 0x3E2AAAAB -> f16 0x3155 = 1365/8192
     * = 0.1666259765625 (RNE), so w/s is never a tie. */
    static const double in[64] = {
        0.125, 0.375, 0.625, 1.25, 1.75, -3.0, -0.0, -0.01, 2.5, 0.2, 0.3, -0.9, 3.0, 1.0, -1.5, 0.7,
        -2.25, 2.75, -1.1, 0.45, 0.05, -0.125, 1.6, -2.0, 0, 0, 0, 0, 0, 0, 0, 0,
        0.5, 0.25, -0.75, 1.0 / 12, -1.0, 0.9, 0.4166, -0.33, 0.6, 0.2, 0.1, -0.05, 0.7, 0.8, -0.6, 0.3,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    };
    static const uint8_t want_codes[32] = {
        0x20, 0x42, 0xF6, 0x88, 0x16, 0xC1, 0x47, 0x3D, 0x7E, 0x2C, 0x80, 0xE5, 0x00, 0x00, 0x00, 0x00,
        0x35, 0x1E, 0x7F, 0xC5, 0x26, 0x91, 0x66, 0x4E, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    };
    static const uint8_t want_scales[4] = { 0x00, 0x38, 0x55, 0x31 };
    float w[64];
    for (int i = 0; i < 64; i++)
        w[i] = (float)in[i];
    qref_qtensor t;
    qref_error err;
    CU_ASSERT_EQUAL_FATAL(qref_quantize(S("fp4_g32_f16"), 1, 64, w, &t, &err), QREF_OK);
    CU_ASSERT_EQUAL(t.sizes.codes, 32);
    CU_ASSERT_EQUAL(t.sizes.scales, 4);
    CU_ASSERT_EQUAL(t.sizes.zeros, 0);
    CU_ASSERT_EQUAL(t.sizes.total, 36);
    bytes_eq("fp4_g32_f16 codes", t.codes, want_codes, 32);
    bytes_eq("fp4_g32_f16 scales", t.scales, want_scales, 4);
    /* Dequant: code value times the decoded scale, exact. */
    float out[64];
    CU_ASSERT_EQUAL(qref_dequantize(&t, out, &err), QREF_OK);
    CU_ASSERT_EQUAL(out[1], 0.5f);          /* code 2 (1.0) * 0.5 */
    CU_ASSERT_EQUAL(out[5], -3.0f);         /* code 0xF (-6) * 0.5 */
    CU_ASSERT_EQUAL(qref_f32_bits(out[6]), 0x80000000u);   /* -0 stays -0 */
    CU_ASSERT_EQUAL(out[32], 0.4998779296875f);            /* code 5 (3.0) * 1365/8192 */
    CU_ASSERT_EQUAL(out[36], -0.999755859375f);            /* code 0xF (-6) * 1365/8192 */
    CU_ASSERT_EQUAL(out[35], 0.08331298828125f);           /* code 1 (0.5) * 1365/8192 */
    double hi[64], lo[64];
    CU_ASSERT_EQUAL(qref_dequantize_row_exact(&t, 0, hi, lo, &err), QREF_OK);
    CU_ASSERT_EQUAL(hi[33], 1.5 * 1365.0 / 8192.0);
    CU_ASSERT_EQUAL(lo[33], 0.0);
    qref_qtensor_free(&t);
}

static void test_fp4_bf16_scale(void)
{
    /* amax 1 -> 1/6 = 0x3E2AAAAB -> bf16 RNE 0x3E2B (0.1669921875). */
    float w[128] = { 1.0f, -0.5f };
    qref_qtensor t;
    CU_ASSERT_EQUAL_FATAL(qref_quantize(S("fp4_g128_bf16"), 1, 128, w, &t, NULL), QREF_OK);
    CU_ASSERT_EQUAL(t.scales[0], 0x2B);
    CU_ASSERT_EQUAL(t.scales[1], 0x3E);
    /* 1/0.1669921875 = 5.988 -> 6 (code 7); -0.5/s = -2.994 -> -3 (code 0xD) */
    CU_ASSERT_EQUAL(t.codes[0], 0xD7);
    qref_qtensor_free(&t);
}

static void test_int4_asym_known(void)
{
    /* lo -1, hi 2: 3/15 = 0.2 -> f16 0x3266 = 0.199951171875 (below 0.2);
     * z = RNE(1/0.19995) = RNE(5.0012) = 5; codes RNE(w/s) + 5 clamped:
     * 2 -> 10+5 = 15, -1 -> 0, 0 -> 5, 0.3 -> RNE(1.5004) = 2 -> 7,
     * 0.1 -> RNE(0.50012) = 1 -> 6 (not a tie: s < 0.2), -0.5 -> -3 -> 2,
     * 1 -> 5 -> 10, -0.1 -> -1 -> 4, 0.7 -> 4 -> 9, 1.9 -> 10 -> 15. */
    float w[128] = { 2.0f, -1.0f, 0.0f, 0.3f, 0.1f, -0.5f, 1.0f, -0.1f, 0.7f, 1.9f };
    static const uint8_t want[8] = { 0x0F, 0x75, 0x26, 0x4A, 0xF9, 0x55, 0x55, 0x55 };
    qref_qtensor t;
    CU_ASSERT_EQUAL_FATAL(qref_quantize(S("int4_asym_g128"), 1, 128, w, &t, NULL), QREF_OK);
    CU_ASSERT_EQUAL(t.sizes.codes, 64);
    CU_ASSERT_EQUAL(t.sizes.scales, 2);
    CU_ASSERT_EQUAL(t.sizes.zeros, 1);
    bytes_eq("int4_asym codes", t.codes, want, 8);
    CU_ASSERT_EQUAL(t.codes[63], 0x55);             /* zeros -> z = 5 */
    CU_ASSERT_EQUAL(t.scales[0], 0x66);
    CU_ASSERT_EQUAL(t.scales[1], 0x32);
    CU_ASSERT_EQUAL(t.zeros[0], 5);
    float out[128];
    CU_ASSERT_EQUAL(qref_dequantize(&t, out, NULL), QREF_OK);
    CU_ASSERT_EQUAL(out[0], 10 * 0.199951171875f);  /* (15 - 5) * s */
    CU_ASSERT_EQUAL(out[1], -5 * 0.199951171875f);
    CU_ASSERT_EQUAL(out[2], 0.0f);
    CU_ASSERT_EQUAL(out[4], 0.199951171875f);
    qref_qtensor_free(&t);
}

static void test_int3_asym_pack24_known(void)
{
    /* lo -0.25, hi 1: 1.25/7 -> f16 0x31B7 = 0.178588867...; z = RNE(1.39990) = 1;
     * codes 7,0,4,4,0,1,5,3 | 2,0 then 1 (zeros) ... One 24-bit word holds
     * 8 codes: 7 | 0<<3 | 4<<6 | 4<<9 | 0<<12 | 1<<15 | 5<<18 | 3<<21 = 0x748907. */
    float w[128] = { 1.0f, -0.25f, 0.5f, 0.6f, -0.1f, 0.0f, 0.75f, 0.3f, 0.2f, -0.2f };
    /* second word: 2,0,1,1,1,1,1,1 = 2 | 1<<6 | 1<<9 | ... = 0x249242 */
    static const uint8_t want[9] = { 0x07, 0x89, 0x74, 0x42, 0x92, 0x24, 0x49, 0x92, 0x24 };
    qref_qtensor t;
    CU_ASSERT_EQUAL_FATAL(qref_quantize(S("int3_asym_g128"), 1, 128, w, &t, NULL), QREF_OK);
    CU_ASSERT_EQUAL(t.sizes.codes, 48);
    bytes_eq("int3_asym codes", t.codes, want, 9);
    CU_ASSERT_EQUAL(t.scales[0], 0xB7);
    CU_ASSERT_EQUAL(t.scales[1], 0x31);
    CU_ASSERT_EQUAL(t.zeros[0], 1);
    qref_qtensor_free(&t);
}

static void test_int2_asym_known(void)
{
    /* all >= 0: lo = 0, hi = 3, s = 1, z = 0; codes RNE with ties to even:
     * 0, 0.5->0, 1, 1.5->2, 3, 2.2->2, 0.7->1, 0.4->0 */
    float w[64] = { 0.0f, 0.5f, 1.0f, 1.5f, 3.0f, 2.2f, 0.7f, 0.4f };
    qref_qtensor t;
    CU_ASSERT_EQUAL_FATAL(qref_quantize(S("int2_asym_g64"), 1, 64, w, &t, NULL), QREF_OK);
    CU_ASSERT_EQUAL(t.sizes.codes, 16);
    CU_ASSERT_EQUAL(t.codes[0], 0x90);
    CU_ASSERT_EQUAL(t.codes[1], 0x1B);
    CU_ASSERT_EQUAL(t.codes[2], 0x00);
    CU_ASSERT_EQUAL(t.scales[0], 0x00);
    CU_ASSERT_EQUAL(t.scales[1], 0x3C);
    CU_ASSERT_EQUAL(t.zeros[0], 0);
    qref_qtensor_free(&t);
}

static void test_int4_sym_known(void)
{
    /* amax 7 -> s = 1 (f16 0x3C00); codes RNE, two's complement nibbles:
     * 7, -7 (0x9), 2.5 -> 2, -2.5 -> -2 (0xE), 3.5 -> 4, 0.49 -> 0, -0.51 -> -1 (0xF), 6.6 -> 7 */
    float w[128] = { 7.0f, -7.0f, 2.5f, -2.5f, 3.5f, 0.49f, -0.51f, 6.6f };
    qref_qtensor t;
    CU_ASSERT_EQUAL_FATAL(qref_quantize(S("int4_sym_g128"), 1, 128, w, &t, NULL), QREF_OK);
    static const uint8_t want[4] = { 0x97, 0xE2, 0x04, 0x7F };
    bytes_eq("int4_sym codes", t.codes, want, 4);
    CU_ASSERT_EQUAL(t.scales[0], 0x00);
    CU_ASSERT_EQUAL(t.scales[1], 0x3C);
    qref_qtensor_free(&t);
}

static void test_int8_per_channel_known(void)
{
    /* row 0: amax 100 -> s = 100/127 = 0x3F499326; 50/s = 63.5 (a float32
     * tie) -> 64; 0.39370078/s = 0.5 -> 0.
     * row 1: amax 2^-140 -> 2^-140/127 rounds to the subnormal 4 * 2^-149 =
     * 2^-147 (0x00000004), so w/s = +-128: 127 and -127 (0x81, never 0x80). */
    float w[8] = { 100.0f, -100.0f, 50.0f, 0.39370078f, fb(0x00000200u) /* 2^-140 */, fb(0x80000200u), 0.0f, -0.0f };
    qref_qtensor t;
    CU_ASSERT_EQUAL_FATAL(qref_quantize(S("int8_per_channel"), 2, 4, w, &t, NULL), QREF_OK);
    static const uint8_t want[8] = { 0x7F, 0x81, 0x40, 0x00, 0x7F, 0x81, 0x00, 0x00 };
    static const uint8_t want_s[8] = { 0x26, 0x93, 0x49, 0x3F, 0x04, 0x00, 0x00, 0x00 };
    CU_ASSERT_EQUAL(t.sizes.codes, 8);
    CU_ASSERT_EQUAL(t.sizes.scales, 8);
    bytes_eq("int8_per_channel codes", t.codes, want, 8);
    bytes_eq("int8_per_channel scales", t.scales, want_s, 8);
    double hi[4], lo[4];
    CU_ASSERT_EQUAL(qref_dequantize_row_exact(&t, 0, hi, lo, NULL), QREF_OK);
    CU_ASSERT_EQUAL(hi[2], 64.0 * (double)fb(0x3F499326u));  /* exact: 31 bits, not a float32 */
    qref_qtensor_free(&t);
}

static void test_single_rounding_int8(void)
{
    /* int8_per_channel, 2 x 2, codes 3 and -3 (0xFD), f32 scales
     * row 0: 11233963 * 2^-25 (0x3EAB6AAB): 3 s = 2057 * 2^-11 + 2^-25, just
     *        above an f16 midpoint: f16 0x3C05 when rounded once (through
     *        float32 the value would be the midpoint and give 0x3C04);
     * row 1: 11578027 * 2^-25 (0x3EB0AAAB): 3 s = 265 * 2^-8 + 2^-25, just
     *        above a bf16 midpoint: bf16 0x3F85 (through float32: 0x3F84). */
    static const uint8_t buf[12] = { 0x03, 0xFD, 0x03, 0xFD, 0xAB, 0x6A, 0xAB, 0x3E, 0xAB, 0xAA, 0xB0, 0x3E };
    qref_qtensor t;
    qref_error err;
    CU_ASSERT_EQUAL_FATAL(qref_qtensor_load(S("int8_per_channel"), 2, 2, buf, sizeof buf, &t, &err), QREF_OK);
    uint16_t h[4];
    float f[4];
    CU_ASSERT_EQUAL(qref_dequantize_as(&t, QREF_FMT_F16, h, NULL), QREF_OK);
    CU_ASSERT_EQUAL(h[0], 0x3C05);
    CU_ASSERT_EQUAL(h[1], 0xBC05);
    CU_ASSERT_EQUAL(qref_dequantize_as(&t, QREF_FMT_BF16, h, NULL), QREF_OK);
    CU_ASSERT_EQUAL(h[2], 0x3F85);
    CU_ASSERT_EQUAL(h[3], 0xBF85);
    CU_ASSERT_EQUAL(qref_dequantize(&t, f, NULL), QREF_OK);
    CU_ASSERT_EQUAL(qref_f32_bits(f[0]), 0x3F809000u);
    CU_ASSERT_EQUAL(qref_f32_bits(f[2]), 0x3F848000u);
    qref_qtensor_free(&t);
}

static void test_nf4_known(void)
{
    /* s = amax = 2 (f32 0x40000000); w/s looked up in the NF4 table, ties
     * (exact float32 midpoints) to the even code:
     *  -2 -> 0, 2 -> 15, t9+t10 (mid 9|10) -> 10, t6 (mid 6|7) -> 6,
     *  t8 (mid 7|8) -> 8, t2+t3 (mid 2|3) -> 2, 2*t12 -> 12, 0.3 -> 9,
     *  t11+t12 (mid 11|12) -> 12, 0 -> 7. Element 2i is the low nibble. */
    float w[64];
    for (int i = 0; i < 64; i++)
        w[i] = 0.0f;
    w[0] = -2.0f;
    w[1] = 2.0f;
    w[2] = fb(0x3ED067E0u);   /* 0.4070425033569336 = t9 + t10 */
    w[3] = fb(0xBDBA7871u);   /* t6 = -0.09105003625154495 */
    w[4] = fb(0x3DA2FAFFu);   /* t8 = 0.07958029955625534 */
    w[5] = fb(0xBF6B8480u);   /* t2 + t3 = -0.9199905395507812 */
    w[6] = fb(0x3F61A4B8u);   /* 2 * t12 */
    w[7] = 0.3f;
    w[8] = fb(0x3F4753F9u);   /* t11 + t12 */
    qref_qtensor t;
    CU_ASSERT_EQUAL_FATAL(qref_quantize(S("nf4_g64"), 1, 64, w, &t, NULL), QREF_OK);
    static const uint8_t want[6] = { 0xF0, 0x6A, 0x28, 0x9C, 0x7C, 0x77 };
    bytes_eq("nf4 codes", t.codes, want, 6);
    CU_ASSERT_EQUAL(t.codes[31], 0x77);
    CU_ASSERT_EQUAL(t.sizes.scales, 4);
    CU_ASSERT_EQUAL(t.scales[3], 0x40);
    CU_ASSERT_EQUAL(t.scales[0] | t.scales[1] | t.scales[2], 0);
    double hi[64], lo[64];
    CU_ASSERT_EQUAL(qref_dequantize_row_exact(&t, 0, hi, lo, NULL), QREF_OK);
    CU_ASSERT_EQUAL(hi[7], 2.0 * 0.16093020141124725);
    qref_qtensor_free(&t);
}

static void test_fp8_per_tensor_known(void)
{
    /* One scale for the whole 2x4 matrix: amax 1000 (row 0) -> 1000/448 =
     * 0x400EDB6E; row 1 uses it too. */
    float w[8] = { 896.0f, -3.0f, 0.1f, -1000.0f, 1.0f, 0.0087890625f, -0.0048828125f, 300.0f };
    qref_qtensor t;
    CU_ASSERT_EQUAL_FATAL(qref_quantize(S("fp8_e4m3_per_tensor"), 2, 4, w, &t, NULL), QREF_OK);
    static const uint8_t want[8] = { 0x7D, 0xBB, 0x13, 0xFE, 0x2E, 0x02, 0x81, 0x70 };
    static const uint8_t want_s[4] = { 0x6E, 0xDB, 0x0E, 0x40 };
    CU_ASSERT_EQUAL(t.sizes.scales, 4);
    bytes_eq("fp8_e4m3_per_tensor codes", t.codes, want, 8);
    bytes_eq("fp8_e4m3_per_tensor scale", t.scales, want_s, 4);
    qref_qtensor_free(&t);
    /* per channel: row 1 gets its own scale 300/448 */
    CU_ASSERT_EQUAL_FATAL(qref_quantize(S("fp8_e4m3_per_channel"), 2, 4, w, &t, NULL), QREF_OK);
    CU_ASSERT_EQUAL(t.sizes.scales, 8);
    CU_ASSERT_EQUAL(qref_f32_bits(fb((uint32_t)t.scales[4] | (uint32_t)t.scales[5] << 8 |
                                     (uint32_t)t.scales[6] << 16 | (uint32_t)t.scales[7] << 24)),
                    qref_f32_bits(300.0f / 448.0f));
    CU_ASSERT_EQUAL(t.codes[7], 0x7E);                       /* 300 / s = 448 */
    qref_qtensor_free(&t);
}

static void test_zero_and_underflow_groups(void)
{
    qref_qtensor t;
    float w[256];
    memset(w, 0, sizeof w);
    /* group 1 of fp4_g32_f16: amax 1e-9, amax/6 below half the smallest f16
     * subnormal -> scale 0 -> codes 0 (the -1e-9 does not become -0). */
    w[32] = 1e-9f;
    w[33] = -1e-9f;
    CU_ASSERT_EQUAL_FATAL(qref_quantize(S("fp4_g32_f16"), 1, 64, w, &t, NULL), QREF_OK);
    for (size_t i = 0; i < t.sizes.total - t.sizes.tscale; i++)
        QCHECK(t.storage[i] == 0, "fp4_g32_f16 zero/underflow groups: byte %zu is 0x%02X", i, t.storage[i]);
    float out[64];
    CU_ASSERT_EQUAL(qref_dequantize(&t, out, NULL), QREF_OK);
    CU_ASSERT_EQUAL(out[33], 0.0f);
    qref_qtensor_free(&t);
    /* asym: an all-zero group gets scale 0, zero point 0, codes 0 */
    memset(w, 0, sizeof w);
    w[128] = 1.0f;
    CU_ASSERT_EQUAL_FATAL(qref_quantize(S("int4_asym_g128"), 1, 256, w, &t, NULL), QREF_OK);
    CU_ASSERT_EQUAL(t.scales[0] | t.scales[1], 0);
    CU_ASSERT_EQUAL(t.zeros[0], 0);
    CU_ASSERT_EQUAL(t.zeros[1], 0);        /* lo = 0 */
    CU_ASSERT_EQUAL(t.codes[0], 0);
    CU_ASSERT_EQUAL(t.codes[64], 0x0F);   /* 1 / (1/15 in f16) -> 15 */
    qref_qtensor_free(&t);
}

static void test_scale_overflow(void)
{
    qref_qtensor t;
    qref_error err;
    float w[64] = { 0 };
    w[40] = 1e6f;   /* 1e6/6 > 65504: the f16 scale of row 0, block 1 overflows */
    CU_ASSERT_EQUAL(qref_quantize(S("fp4_g32_f16"), 1, 64, w, &t, &err), QREF_ERR_DATA);
    CU_ASSERT_EQUAL(err.row, 0);
    CU_ASSERT_EQUAL(err.block, 1);
    QCHECK(strstr(err.msg, "row 0, block 1") && strstr(err.msg, "fp4_g32_f16"), "message: %s", err.msg);
    CU_ASSERT_PTR_NULL(t.storage);
    /* asym: hi - lo overflows float32 */
    float v[128] = { 3e38f, -3e38f };
    CU_ASSERT_EQUAL(qref_quantize(S("int4_asym_g128"), 1, 128, v, &t, &err), QREF_ERR_DATA);
    CU_ASSERT_EQUAL(err.block, 0);
    /* f32 scales do not overflow: amax/127 of the largest float is finite */
    float x[4] = { 3.4028235e38f, -3.4028235e38f, 1.0f, 0.0f };
    CU_ASSERT_EQUAL(qref_quantize(S("int8_per_channel"), 1, 4, x, &t, &err), QREF_OK);
    CU_ASSERT_EQUAL(t.codes[0], 0x7F);
    CU_ASSERT_EQUAL(t.codes[1], 0x81);
    qref_qtensor_free(&t);
}

static void test_sizes_and_shape_errors(void)
{
    qref_qsizes z;
    qref_error err;
    CU_ASSERT_EQUAL(qref_qsizes_get(S("fp4_g32_f16"), 3, 64, &z, &err), QREF_OK);
    CU_ASSERT_EQUAL(z.codes, 96);
    CU_ASSERT_EQUAL(z.scales, 12);
    CU_ASSERT_EQUAL(z.total, 108);
    CU_ASSERT_EQUAL(qref_qsizes_get(S("int3_asym_g128"), 2, 256, &z, &err), QREF_OK);
    CU_ASSERT_EQUAL(z.codes, 192);
    CU_ASSERT_EQUAL(z.scales, 8);
    CU_ASSERT_EQUAL(z.zeros, 4);
    CU_ASSERT_EQUAL(qref_qsizes_get(S("nf3_g64"), 1, 64, &z, &err), QREF_OK);
    CU_ASSERT_EQUAL(z.codes, 24);
    CU_ASSERT_EQUAL(z.scales, 4);
    CU_ASSERT_EQUAL(qref_qsizes_get(S("int8_per_channel"), 3, 5, &z, &err), QREF_OK);
    CU_ASSERT_EQUAL(z.codes, 15);
    CU_ASSERT_EQUAL(z.scales, 12);
    CU_ASSERT_EQUAL(qref_qsizes_get(S("fp8_e5m2_per_tensor"), 3, 5, &z, &err), QREF_OK);
    CU_ASSERT_EQUAL(z.scales, 4);
    CU_ASSERT_EQUAL(qref_qsizes_get(S("fp4_g32_f16"), 2, 48, &z, &err), QREF_ERR_SIZE);
    QCHECK(strstr(err.msg, "fp4_g32_f16") && strstr(err.msg, "48") && strstr(err.msg, "32"), "message: %s",
           err.msg);
    float w[160] = { 0 };
    qref_qtensor t;
    CU_ASSERT_EQUAL(qref_quantize(S("int2_asym_g64"), 1, 160, w, &t, &err), QREF_ERR_SIZE);
    QCHECK(strstr(err.msg, "int2_asym_g64") && strstr(err.msg, "160") && strstr(err.msg, "64"), "message: %s",
           err.msg);
}

/* Loads a tensor that quantize made, after one byte was changed. */
static qref_status load_patched(const char *name, int64_t rows, int64_t cols, const float *w, size_t at,
                                uint8_t value, qref_error *err)
{
    qref_qtensor t, u;
    if (qref_quantize(S(name), rows, cols, w, &t, err) != QREF_OK)
        return QREF_ERR_ARG;
    uint8_t buf[4096];
    size_t n = t.sizes.total;
    qref_qtensor_save(&t, buf, n);
    qref_qtensor_free(&t);
    buf[at] = value;
    qref_status st = qref_qtensor_load(S(name), rows, cols, buf, n, &u, err);
    qref_qtensor_free(&u);
    return st;
}

static void test_load_validation(void)
{
    float w[256];
    for (int i = 0; i < 256; i++)
        w[i] = (float)((i % 17) - 8) * 0.25f;
    qref_error err;
    /* fp4_g32_f16, 2 x 64: codes 64 bytes, then scales [2][2] f16: row 1, block 1
     * is at 64 + 2*3; high byte 0x7C with low 0x00 -> +Inf */
    CU_ASSERT_EQUAL(load_patched("fp4_g32_f16", 2, 64, w, 64 + 6 + 1, 0x7C, &err), QREF_ERR_DATA);
    /* (the low byte of the quantized scale is not 0, so that is a NaN or Inf either way) */
    CU_ASSERT_EQUAL(err.row, 1);
    CU_ASSERT_EQUAL(err.block, 1);
    QCHECK(strstr(err.msg, "row 1, block 1") != NULL, "message: %s", err.msg);
    /* int4_asym_g128 1 x 256: zeros at 128 + 4; 16 > 15 */
    CU_ASSERT_EQUAL(load_patched("int4_asym_g128", 1, 256, w, 128 + 4 + 1, 16, &err), QREF_ERR_DATA);
    CU_ASSERT_EQUAL(err.block, 1);
    /* int8_per_channel: code 0x80 (-128) */
    CU_ASSERT_EQUAL(load_patched("int8_per_channel", 2, 8, w, 11, 0x80, &err), QREF_ERR_DATA);
    CU_ASSERT_EQUAL(err.row, 1);
    CU_ASSERT_EQUAL(err.block, 0);
    /* fp8: NaN element code */
    CU_ASSERT_EQUAL(load_patched("fp8_e4m3_per_channel", 2, 8, w, 3, 0x7F, &err), QREF_ERR_DATA);
    CU_ASSERT_EQUAL(err.row, 0);
    CU_ASSERT_EQUAL(load_patched("fp8_e5m2_per_tensor", 2, 8, w, 9, 0xFC, &err), QREF_ERR_DATA);
    CU_ASSERT_EQUAL(err.row, 1);
    /* a patched but valid byte loads */
    CU_ASSERT_EQUAL(load_patched("fp8_e4m3_per_channel", 2, 8, w, 3, 0x7E, &err), QREF_OK);
}

QTEST_SUITE(scheme_group,
    QTEST(test_fp4_g32_f16_known),
    QTEST(test_fp4_bf16_scale),
    QTEST(test_int4_asym_known),
    QTEST(test_int3_asym_pack24_known),
    QTEST(test_int2_asym_known),
    QTEST(test_int4_sym_known),
    QTEST(test_int8_per_channel_known),
    QTEST(test_single_rounding_int8),
    QTEST(test_nf4_known),
    QTEST(test_fp8_per_tensor_known),
    QTEST(test_zero_and_underflow_groups),
    QTEST(test_scale_overflow),
    QTEST(test_sizes_and_shape_errors),
    QTEST(test_load_validation))
