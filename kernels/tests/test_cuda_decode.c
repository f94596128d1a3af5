/* The CUDA backend's weight rules (kernels/cuda/qcu.h), run on the CPU
 * against ref/: every preset of the catalog, every weight, to f32, f16 and
 * bf16, bit for bit. The same functions run on the GPU (__host__
 * __device__), so this catches a wrong transcription of a ref/ rule on
 * machines without a GPU. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/cuda/qcu_build.h"
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
    for (int64_t r = 0; r < R && fails < QTEST_MAX_REPORTS; r++)
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

QTEST_SUITE(cuda_decode,
    QTEST(test_every_preset),
    QTEST(test_rounding_helpers))
