/* The CUDA backend's weight rules (kernels/cuda/qcu.h), run on the CPU
 * against ref/: every preset of the catalog, every weight, to f32, f16 and
 * bf16, bit for bit. The same functions run on the GPU (__host__
 * __device__), so this catches a wrong transcription of a ref/ rule on
 * machines without a GPU. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/cuda/actq_rows.h"
#include "kernels/cuda/qcu_build.h"
#include "qref/fmt.h"
#include "qref/scheme.h"
#include "qtest.h"

static uint64_t rng = 0x1234567ull;
static uint32_t next(void)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng >> 33);
}
static float gauss(void)
{
    float s = 0;
    for (int i = 0; i < 6; i++)
        s += (float)(next() % 20001) / 10000.0f - 1.0f;
    return s;
}

/* Compares every weight of one tensor; returns failures. */
static int compare(const qref_scheme *s, int64_t R, int64_t C, const uint8_t *buf, size_t len)
{
    qref_qtensor q;
    qref_error e;
    if (qref_qtensor_load(s, R, C, buf, len, &q, &e) != QREF_OK)
        return -1;   /* not a valid tensor: the caller tries again */
    size_t nw = (size_t)(R * C);
    float *f32 = malloc(nw * 4);
    uint16_t *f16 = malloc(nw * 2), *bf16 = malloc(nw * 2);
    int fails = 0;
    if (!f32 || !f16 || !bf16 || qref_dequantize_as(&q, QREF_FMT_F32, f32, &e) != QREF_OK ||
        qref_dequantize_as(&q, QREF_FMT_F16, f16, &e) != QREF_OK ||
        qref_dequantize_as(&q, QREF_FMT_BF16, bf16, &e) != QREF_OK) {
        QCHECK(0, "%s: ref dequant failed", s->name);
        fails++;
        goto out;
    }
    qcu_tensor t;
    static qcu_tables tab;
    char why[256];
    if (qcu_tensor_setup(&t, &tab, s, R, C, buf, len, why, sizeof why) != 0) {
        QCHECK(0, "%s: setup: %s", s->name, why);
        fails++;
        goto out;
    }
    qcu_tensor_bind(&t, buf, &tab);
    const int64_t rstep = qtest_scale(16) == 16 ? 1 : 7;   /* QCTS_TEST_QUICK (qemu): every 7th row */
    for (int64_t r = 0; r < R && fails < QTEST_MAX_REPORTS; r += rstep)
        for (int64_t k = 0; k < C && fails < QTEST_MAX_REPORTS; k++) {
            size_t i = (size_t)(r * C + k);
            double v = qcu_value(&t, r, k);
            float g = (float)v;
            uint16_t h = qcu_f32_to_f16(qcu_f32_odd(v)), b = qcu_f32_to_bf16(qcu_f32_odd(v));
            if (memcmp(&g, &f32[i], 4) != 0 || h != f16[i] || b != bf16[i]) {
                QCHECK(0, "%s %lldx%lld (%lld, %lld): f32 %a (ref %a), f16 0x%04x (ref 0x%04x), bf16 0x%04x (ref 0x%04x)",
                       s->name, (long long)R, (long long)C, (long long)r, (long long)k, (double)g, (double)f32[i], h,
                       f16[i], b, bf16[i]);
                fails++;
            }
        }
out:
    qref_qtensor_free(&q);
    free(f32);
    free(f16);
    free(bf16);
    return fails;
}

static void test_every_preset(void)
{
    const int64_t R = 256, C = 512;
    for (size_t i = 0; i < qref_scheme_count(); i++) {
        const qref_scheme *s = qref_scheme_at(i);
        float *w = malloc(sizeof(float) * (size_t)(R * C));
        qref_qtensor q;
        qref_error e;
        for (int64_t j = 0; j < R * C; j++)
            w[j] = gauss() * (j % 7 == 0 ? 40.0f : 1.0f) * (j / C % 5 == 0 ? 1e-3f : 1.0f);
        int qs = qref_quantize(s, R, C, w, &q, &e);
        free(w);
        size_t len;
        uint8_t *buf;
        if (qs == QREF_ERR_UNSUPPORTED && s->family == QREF_FAMILY_GGUF) {
            /* dequantize-only types (IQ2_XXS, IQ3_XXS): random blocks, each
             * starting with a finite f16 d */
            QCHECK(qref_qtensor_alloc(s, R, C, &q, &e) == QREF_OK, "%s: alloc", s->name);
            len = q.sizes.total;
            buf = malloc(len);
            for (size_t j = 0; j < len; j++)
                buf[j] = (uint8_t)next();
            size_t bb = q.sizes.codes / (size_t)(R * C / s->group);
            for (size_t j = 0; j < len; j += bb)
                buf[j + 1] = (uint8_t)(0x10 + next() % 0x50);   /* exponent bits well inside f16's range */
        } else {
            QCHECK(qs == QREF_OK, "%s: quantize: %s", s->name, e.msg);
            if (qs != QREF_OK)
                continue;
            len = q.sizes.total;
            buf = malloc(len);
            qref_qtensor_save(&q, buf, len);
        }
        /* the quantized tensor, then tensors with random codes (the data
         * is kept only where ref accepts it) */
        QCHECK(compare(s, R, C, buf, len) == 0, "%s: quantized tensor differs", s->name);
        size_t codes = q.sizes.codes;
        qref_qtensor_free(&q);
        int tried = 0;
        for (int round = 0; round < 8; round++) {
            uint8_t *b2 = malloc(len);
            memcpy(b2, buf, len);
            for (int j = 0; j < 24; j++)   /* a few: random bytes also hit NaN codes and scales, which ref refuses */
                b2[(size_t)next() % codes] = (uint8_t)next();
            int f = compare(s, R, C, b2, len);
            if (f >= 0) {
                tried++;
                QCHECK(f == 0, "%s: random codes differ", s->name);
            }
            free(b2);
        }
        QCHECK(tried > 0 || s->family == QREF_FAMILY_MARLIN, "%s: no random-code tensor was valid", s->name);
        free(buf);
    }
}

static float dec(qref_fmt f, uint32_t c)
{
    float v = 0.0f;
    qref_decode(f, QREF_CONV_OCP, c, &v);
    return v;
}

static int same_bits(float a, float b) { return memcmp(&a, &b, 4) == 0; }

/* The fast GEMV kernels' decoding (qcu.h, used by gemv_fast.cu): every code
 * against ref/, and each weight against the float32 rounding of the exact
 * product, over every finite f16 scale (fp4), every E8M0 scale (mxfp4) and
 * float32 scales from subnormal to FLT_MAX (fp8), through both branches of
 * each rule. */
static void test_fast_decode(void)
{
    int fails = 0;
    for (unsigned c = 0; c < 16; c++) {
        QCHECK(same_bits(qcu_e2m1_raw(c) * 0x1p126f, dec(QREF_FMT_E2M1, c)), "e2m1 raw, code %u", c);
        QCHECK(qcu_int4_q(c) == dec(QREF_FMT_INT4, c), "int4 code %u: %g", c, (double)qcu_int4_q(c));
        QCHECK(qcu_u4m8_q(c) == (float)((int)c - 8), "u4 - 8, code %u", c);
    }
    for (unsigned b = 0; b < 256; b++)
        if ((b & 0x7F) != 0x7F)
            QCHECK(same_bits(qcu_e4m3_raw(b) * 0x1p120f, dec(QREF_FMT_E4M3, b)), "e4m3 raw, code 0x%02x", b);
    int branch[2] = { 0, 0 };
    for (uint32_t h = 0; h < 0x10000 && fails < QTEST_MAX_REPORTS; h++) {
        uint8_t hb[2] = { (uint8_t)h, (uint8_t)(h >> 8) };
        double sd = qcu_f16(hb);
        if ((h & 0x7C00) == 0x7C00)
            continue;   /* Inf, NaN: refused by ref's load */
        float s = (float)sd;
        int small = qcu_fp4_small(s);
        float S = qcu_fp4_S(s, small);
        branch[small]++;
        for (unsigned c = 0; c < 16; c++) {
            float w = small ? qcu_fp4_w_small(c, S) : qcu_fp4_w_large(c, S);
            float want = (float)((double)dec(QREF_FMT_E2M1, c) * sd);
            if (!same_bits(w, want)) {
                QCHECK(0, "fp4 code %u x f16 scale 0x%04x: %a, want %a", c, h, (double)w, (double)want);
                fails++;
            }
        }
    }
    QCHECK(branch[0] > 0 && branch[1] > 0, "fp4: both branches taken (%d, %d)", branch[0], branch[1]);
    branch[0] = branch[1] = 0;
    for (unsigned e = 0; e < 255 && fails < QTEST_MAX_REPORTS; e++) {
        int small = qcu_mx_small(e);
        float S = qcu_mx_S(e, small);
        branch[small]++;
        for (unsigned c = 0; c < 16; c++) {
            float w = small ? qcu_mx_w_small(c, S) : qcu_mx_w_large(c, S);
            float want = (float)((double)dec(QREF_FMT_E2M1, c) * qcu_pow2((int)e - 127));
            if (!same_bits(w, want)) {
                QCHECK(0, "mxfp4 code %u x 2^(%u-127): %a, want %a", c, e, (double)w, (double)want);
                fails++;
            }
        }
    }
    QCHECK(branch[0] > 0 && branch[1] > 0, "mxfp4: both branches taken (%d, %d)", branch[0], branch[1]);
    branch[0] = branch[1] = 0;
    static const float edge[] = { 0x1p-149f, 0x1p-126f, 1e-30f, 0.0123f, 1.0f, 127.99999f, 128.0f, 3.0e5f,
                                  3.4028235e38f, -0x1p-140f, -127.5f, -1e20f };
    for (int i = 0; i < (int)qtest_scale(20000) && fails < QTEST_MAX_REPORTS; i++) {
        float s;
        if (i < (int)(sizeof edge / sizeof edge[0])) {
            s = edge[i];
        } else {
            uint32_t u = next() ^ (next() << 16);
            if ((u & 0x7F800000u) == 0x7F800000u)
                continue;
            memcpy(&s, &u, 4);
        }
        int small = qcu_fp8_small(s);
        float S = qcu_fp8_S(s, small);
        branch[small]++;
        for (unsigned b = 0; b < 256; b++) {
            if ((b & 0x7F) == 0x7F)
                continue;
            float w = small ? qcu_fp8_w_small(b, S) : qcu_fp8_w_large(b, S);
            float want = (float)((double)dec(QREF_FMT_E4M3, b) * (double)s);
            if (!same_bits(w, want)) {
                QCHECK(0, "fp8 code 0x%02x x scale %a: %a, want %a", b, (double)s, (double)w, (double)want);
                fails++;
            }
        }
    }
    QCHECK(branch[0] > 0 && branch[1] > 0, "fp8: both branches taken (%d, %d)", branch[0], branch[1]);
}

/* The rounding helpers on values where double rounding would go wrong. */
static void test_rounding_helpers(void)
{
    /* 1 + 2^-11 + 2^-40: RNE to f16 is 1 + 2^-10; RNE to f32 first gives
     * 1 + 2^-11 (a tie), which would round to 1. */
    double x = 1.0 + 0x1p-11 + 0x1p-40;
    CU_ASSERT_EQUAL(qcu_f32_to_f16(qcu_f32_odd(x)), 0x3C01);
    CU_ASSERT_EQUAL(qcu_f32_to_f16((float)x), 0x3C00);   /* the double rounding the helper avoids */
    double y = 1.0 + 0x1p-8 + 0x1p-40;
    CU_ASSERT_EQUAL(qcu_f32_to_bf16(qcu_f32_odd(y)), 0x3F81);
    CU_ASSERT_EQUAL(qcu_f32_to_f16(65520.0f), 0x7C00);
    CU_ASSERT_EQUAL(qcu_f32_to_f16(65519.0f), 0x7BFF);
    CU_ASSERT_EQUAL(qcu_f32_to_f16(0x1p-25f), 0x0000);
    CU_ASSERT_EQUAL(qcu_f32_to_f16(0x1.000002p-25f), 0x0001);
    CU_ASSERT_EQUAL(qcu_f32_to_f16(-0x1p-24f), 0x8001);
    CU_ASSERT_EQUAL(qcu_f32_to_f16(0x1.ff8p-15f), 0x03FF);
}

/* The FP8 activation quantizer's e4m3 encoder (actq_rows.h, inputs
 * clamped to [-448, 448]) against ref's qref_f32_to_e4m3_sat: a sweep of
 * float bit patterns, every midpoint between two codes (the ties), and the
 * decode of every finite code. */
static void test_aq_e4m3(void)
{
    int fails = 0;
    for (uint32_t u = 0; u <= 0x43E00000u && fails < QTEST_MAX_REPORTS; u += 211u)
        for (uint32_t sgn = 0; sgn < 2; sgn++) {
            float v;
            uint32_t b = u | (sgn << 31);
            memcpy(&v, &b, 4);
            uint8_t got = qcu_aq_e4m3(v, 0), want = qref_f32_to_e4m3_sat(v);
            if (got != want && ((got | want) & 0x7Fu) != 0) {   /* +-0 both mean 0 */
                fprintf(stderr, "e4m3(%a): 0x%02x, ref 0x%02x\n", (double)v, got, want);
                fails++;
            }
        }
    for (unsigned c = 0; c < 0x7E && fails < QTEST_MAX_REPORTS; c++) {
        float mid = (qref_e4m3_to_f32((uint8_t)c) + qref_e4m3_to_f32((uint8_t)(c + 1))) / 2.0f;
        for (int sgn = 0; sgn < 2; sgn++) {
            float v = sgn ? -mid : mid;
            if (qcu_aq_e4m3(v, 0) != qref_f32_to_e4m3_sat(v)) {
                fprintf(stderr, "e4m3 tie %a: 0x%02x, ref 0x%02x\n", (double)v, qcu_aq_e4m3(v, 0),
                        qref_f32_to_e4m3_sat(v));
                fails++;
            }
        }
    }
    for (unsigned c = 0; c < 256; c++)
        if ((c & 0x7Fu) != 0x7Fu && qcu_aq_e4m3_value((uint8_t)c) != qref_e4m3_to_f32((uint8_t)c))
            fails++;
    CU_ASSERT_EQUAL(fails, 0);
}

QTEST_SUITE(cuda_decode,
    QTEST(test_every_preset),
    QTEST(test_fast_decode),
    QTEST(test_rounding_helpers),
    QTEST(test_aq_e4m3))
