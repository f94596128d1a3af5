/* Properties of the GGUF family (suite gguf_props): quantize/dequantize
 * round trips within each type's error bound, idempotence where the
 * quantizer has it, exactness of the dequantized values, save/load, and the
 * errors (invalid scales named by row and block, out-of-range weights,
 * IQ quantization). Random inputs are seeded; failures print the seed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qref/bits.h"
#include "qref/blocks.h"
#include "qref/scheme.h"
#include "qtest.h"

#define SEED 0x9E3779B97F4A7C15ull

static uint64_t rng_state;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static double unif(void) { return (double)(rnd() >> 11) * (1.0 / 9007199254740992.0); }

static double gauss(void)
{
    const double u = unif() + 1e-300, v = unif();
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

/* Rows of different scales and shapes (gaussian, outliers, exact halves, sparse). */
static void fill(float *w, int64_t rows, int64_t cols)
{
    for (int64_t r = 0; r < rows; r++) {
        const double scale = ldexp(1.0, (int)(rnd() % 16) - 8);
        for (int64_t k = 0; k < cols; k++) {
            double v;
            switch (r % 4) {
            case 0: v = gauss() * scale; break;
            case 1: v = gauss() * scale * (rnd() % 50 == 0 ? 30.0 : 1.0); break;
            case 2: v = (double)((int)(rnd() % 33) - 16) * 0.5; break;
            default: v = rnd() % 4 == 0 ? gauss() * scale : 0.0; break;
            }
            w[r * cols + k] = (float)v;
        }
    }
}

static const char *const QUANTIZABLE[] = { "gguf_q4_0", "gguf_q4_1", "gguf_q8_0", "gguf_q4_k",
                                           "gguf_q6_k", "gguf_mxfp4", "gguf_nvfp4" };
static const char *const ALL[] = { "gguf_q4_0", "gguf_q4_1",  "gguf_q8_0",    "gguf_q4_k",   "gguf_q6_k",
                                   "gguf_mxfp4", "gguf_nvfp4", "gguf_iq2_xxs", "gguf_iq3_xxs" };
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Largest |x| of w[from, from+n). */
static double amax_of(const float *w, int64_t n)
{
    double a = 0;
    for (int64_t i = 0; i < n; i++)
        a = fabs(w[i]) > a ? fabs(w[i]) : a;
    return a;
}

/* NVFP4, per 16-element sub-block with decoded scale sc (E2M1 units; the
 * quantizer never writes 0x7F or bit 7, so the OCP E4M3 decoder reads it):
 * half the top step (sc), or what the clamp at 6*sc loses when the UE4M3
 * rounding (half up; coarse for subnormal scales) made sc too small. */
static double nvfp4_bound(const float *x, uint8_t code)
{
    const double a = amax_of(x, 16), sc = qref_e4m3_to_f32(code);
    return (sc > a - 6 * sc ? sc : a - 6 * sc) * (1 + 1e-6);
}

/* Per-element error bound of each simple type, from the block's weights. */
static double bound(const char *name, const float *x, int64_t n)
{
    const double a = amax_of(x, n);
    if (!strcmp(name, "gguf_q4_0"))   /* half a step, or a whole one at the clamped +8 end; f16 d */
        return a / 8 * (1 + 1.0 / 64);
    if (!strcmp(name, "gguf_q8_0"))   /* half a step; f16 d moves the top code by 127 * 2^-11 steps */
        return a / 127 * (0.5 + 0.07);
    if (!strcmp(name, "gguf_q4_1")) {
        double mn = x[0], mx = x[0];
        for (int64_t i = 1; i < n; i++) {
            mn = x[i] < mn ? x[i] : mn;
            mx = x[i] > mx ? x[i] : mx;
        }
        return (mx - mn) / 15 * (1 + 1.0 / 64) + fabs(mn) / 1024;
    }
    if (!strcmp(name, "gguf_mxfp4"))  /* scale 2^(floor(log2 a) - 2): 8 clamps to 6 */
        return a > 0 ? ldexp(1.0, (int)floor(log2(a)) - 1) : 0;
    return -1;   /* K-quants: checked by RMSE; NVFP4: nvfp4_bound */
}

static void test_roundtrip_error(void)
{
    enum { R = 8, C = 1024 };
    static float w[R * C], y[R * C];
    rng_state = SEED;
    fill(w, R, C);
    for (size_t t = 0; t < COUNT(QUANTIZABLE); t++) {
        const qref_scheme *s = qref_scheme_find(QUANTIZABLE[t]);
        qref_qtensor q;
        qref_error e;
        qref_status st = qref_quantize(s, R, C, w, &q, &e);
        if (!QCHECK(st == QREF_OK, "%s: %s", s->name, e.msg))
            continue;
        st = qref_dequantize(&q, y, &e);
        if (!QCHECK(st == QREF_OK, "%s: %s", s->name, e.msg)) {
            qref_qtensor_free(&q);
            continue;
        }
        int bad = 0;
        double se = 0, sx = 0;
        for (int64_t blk = 0; blk < R * C / s->group; blk++) {
            const float *x = w + blk * s->group;
            double b = bound(s->name, x, s->group);
            for (int64_t i = 0; i < s->group; i++) {
                if (s->gguf_type == QREF_GGML_TYPE_NVFP4 && i % 16 == 0)
                    b = nvfp4_bound(x + i, q.codes[blk * 36 + i / 16]);
                const double err = fabs((double)y[blk * s->group + i] - x[i]);
                se += err * err;
                sx += (double)x[i] * x[i];
                if (b >= 0 && err > b && bad++ < 5)
                    QCHECK(0, "%s block %lld elem %lld: x = %.9g, y = %.9g, error %.3g > bound %.3g (seed 0x%llx)",
                           s->name, (long long)blk, (long long)i, x[i], y[blk * s->group + i], err, b,
                           (unsigned long long)SEED);
            }
        }
        const double rel = sqrt(se / sx);
        /* relative RMSE on this mix (outlier rows dominate); measured with
         * this seed: Q4_0 0.113, Q4_1 0.136, Q8_0 0.0105, Q4_K 0.087,
         * Q6_K 0.030, MXFP4 0.156, NVFP4 0.090. Limits: about 1.3x. */
        static const struct { const char *name; double lim; } lims[] = {
            { "gguf_q4_0", 0.15 }, { "gguf_q4_1", 0.18 },  { "gguf_q8_0", 0.014 },  { "gguf_q4_k", 0.12 },
            { "gguf_q6_k", 0.04 }, { "gguf_mxfp4", 0.2 }, { "gguf_nvfp4", 0.12 },
        };
        double lim = 0;
        for (size_t k = 0; k < COUNT(lims); k++)
            if (!strcmp(lims[k].name, s->name))
                lim = lims[k].lim;
        QCHECK(rel < lim, "%s: relative RMSE %.4f >= %.3f (seed 0x%llx)", s->name, rel, lim, (unsigned long long)SEED);
        CU_ASSERT_EQUAL(bad, 0);
        qref_qtensor_free(&q);
    }
}

/* quantize(dequantize(quantize(w))) == quantize(w) for the types whose
 * largest element always comes back exactly (Q4_0: code 0 is -8*d; Q8_0:
 * +-127*d; MXFP4: the scale is a power of two and amax maps to 4 or 6). */
static void test_idempotent(void)
{
    static const char *const names[] = { "gguf_q4_0", "gguf_q8_0", "gguf_mxfp4" };
    enum { R = 8, C = 512 };
    static float w[R * C], y[R * C];
    rng_state = SEED + 1;
    fill(w, R, C);
    for (size_t t = 0; t < COUNT(names); t++) {
        const qref_scheme *s = qref_scheme_find(names[t]);
        qref_qtensor a, b;
        qref_error e;
        CU_ASSERT_EQUAL_FATAL(qref_quantize(s, R, C, w, &a, &e), QREF_OK);
        CU_ASSERT_EQUAL_FATAL(qref_dequantize(&a, y, &e), QREF_OK);
        CU_ASSERT_EQUAL_FATAL(qref_quantize(s, R, C, y, &b, &e), QREF_OK);
        QCHECK(memcmp(a.codes, b.codes, a.sizes.codes) == 0, "%s: requantizing changes the bytes (seed 0x%llx)",
               s->name, (unsigned long long)(SEED + 1));
        qref_qtensor_free(&a);
        qref_qtensor_free(&b);
    }
}

/* Random blocks with finite f16 fields (and MXFP4 e != 0xFF). */
static void random_blocks(const qref_scheme *s, qref_qtensor *t)
{
    for (size_t i = 0; i < t->sizes.codes; i++)
        t->codes[i] = (uint8_t)rnd();
    size_t bytes = 0, f16[2] = { 0, 0 }, nf = 0;
    switch (s->gguf_type) {
    case QREF_GGML_TYPE_Q4_0: bytes = 18, nf = 1; break;
    case QREF_GGML_TYPE_Q4_1: bytes = 20, nf = 2, f16[1] = 2; break;
    case QREF_GGML_TYPE_Q8_0: bytes = 34, nf = 1; break;
    case QREF_GGML_TYPE_Q4_K: bytes = 144, nf = 2, f16[1] = 2; break;
    case QREF_GGML_TYPE_Q6_K: bytes = 210, nf = 1, f16[0] = 208; break;
    case QREF_GGML_TYPE_IQ2_XXS: bytes = 66, nf = 1; break;
    case QREF_GGML_TYPE_IQ3_XXS: bytes = 98, nf = 1; break;
    case QREF_GGML_TYPE_MXFP4: bytes = 17; break;
    default: bytes = 36; break;
    }
    for (size_t b = 0; b < t->sizes.codes / bytes; b++) {
        uint8_t *p = t->codes + b * bytes;
        for (size_t f = 0; f < nf; f++)
            if ((p[f16[f] + 1] & 0x7C) == 0x7C)
                p[f16[f] + 1] &= 0xBF;
        if (s->gguf_type == QREF_GGML_TYPE_MXFP4 && p[0] == 0xFF)
            p[0] = 0xFE;
    }
}

/* Every GGUF value is exact in one double (f16 scales: the largest spread is
 * Q4_K's d*sc*q - dmin*m, a multiple of 2^-24 below 2^23), so lo is always 0
 * and the float32 output is hi rounded once. */
static void test_exact_values(void)
{
    enum { R = 4, C = 512 };
    static double hi[C], lo[C];
    static float y[R * C];
    rng_state = SEED + 2;
    for (size_t t = 0; t < COUNT(ALL); t++) {
        const qref_scheme *s = qref_scheme_find(ALL[t]);
        for (int rep = 0; rep < 20; rep++) {
            qref_qtensor q;
            qref_error e;
            CU_ASSERT_EQUAL_FATAL(qref_qtensor_alloc(s, R, C, &q, &e), QREF_OK);
            random_blocks(s, &q);
            CU_ASSERT_EQUAL_FATAL(qref_dequantize(&q, y, &e), QREF_OK);
            int bad = 0;
            for (int64_t r = 0; r < R; r++) {
                for (int64_t k = 0; k < C; k++)
                    lo[k] = 12345.0;   /* must be overwritten */
                CU_ASSERT_EQUAL_FATAL(qref_dequantize_row_exact(&q, r, hi, lo, &e), QREF_OK);
                for (int64_t k = 0; k < C; k++) {
                    const float f = y[r * C + k];
                    if (lo[k] != 0.0 || qref_f32_bits(f) != qref_f32_bits(qref_round2_to_f32(hi[k], 0.0)))
                        bad += QCHECK(0, "%s row %lld col %lld: hi %.17g lo %.3g y %.9g", s->name, (long long)r,
                                      (long long)k, hi[k], lo[k], f) == 0;
                    if (bad > 3)
                        break;
                }
            }
            CU_ASSERT_EQUAL(bad, 0);
            qref_qtensor_free(&q);
        }
    }
}

static void test_save_load(void)
{
    enum { R = 3, C = 512 };
    static float w[R * C], y1[R * C], y2[R * C];
    static uint8_t buf[R * C * 2];
    rng_state = SEED + 3;
    fill(w, R, C);
    for (size_t t = 0; t < COUNT(QUANTIZABLE); t++) {
        const qref_scheme *s = qref_scheme_find(QUANTIZABLE[t]);
        qref_qtensor a, b;
        qref_error e;
        CU_ASSERT_EQUAL_FATAL(qref_quantize(s, R, C, w, &a, &e), QREF_OK);
        CU_ASSERT_EQUAL_FATAL(qref_qtensor_save(&a, buf, a.sizes.total), QREF_OK);
        CU_ASSERT_EQUAL_FATAL(qref_qtensor_load(s, R, C, buf, a.sizes.total, &b, &e), QREF_OK);
        CU_ASSERT(memcmp(a.codes, b.codes, a.sizes.codes) == 0);
        CU_ASSERT_EQUAL_FATAL(qref_dequantize(&a, y1, &e), QREF_OK);
        CU_ASSERT_EQUAL_FATAL(qref_dequantize(&b, y2, &e), QREF_OK);
        CU_ASSERT(memcmp(y1, y2, sizeof y1) == 0);
        qref_qtensor_free(&b);
        CU_ASSERT_EQUAL(qref_qtensor_load(s, R, C, buf, a.sizes.total - 1, &b, &e), QREF_ERR_SIZE);
        qref_qtensor_free(&a);
    }
}

/* A bad f16 field / E8M0 scale in row 1, block 1 of a 2 x 2-block tensor. */
static void expect_rejected(const char *name, size_t off, uint16_t v16, int e8m0, const char *word)
{
    const qref_scheme *s = qref_scheme_find(name);
    qref_qsizes z;
    qref_error e;
    CU_ASSERT_EQUAL_FATAL(qref_qsizes_get(s, 2, 2 * s->group, &z, &e), QREF_OK);
    const size_t bytes = z.codes / 4;
    uint8_t *buf = calloc(1, z.total);
    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    uint8_t *p = buf + 3 * bytes + off;   /* row 1, block 1 */
    if (e8m0)
        p[0] = 0xFF;
    else {
        p[0] = (uint8_t)v16;
        p[1] = (uint8_t)(v16 >> 8);
    }
    qref_qtensor t;
    memset(&e, 0, sizeof e);
    qref_status st = qref_qtensor_load(s, 2, 2 * s->group, buf, z.total, &t, &e);
    QCHECK(st == QREF_ERR_DATA && e.row == 1 && e.block == 1 && strstr(e.msg, "row 1, block 1") &&
               strstr(e.msg, word),
           "%s, field at +%zu = 0x%04x: status %d, row %lld, block %lld: %s", name, off, (unsigned)v16, st,
           (long long)e.row, (long long)e.block, e.msg);
    /* the same bytes written into an allocated tensor: dequantizing refuses too */
    CU_ASSERT_EQUAL_FATAL(qref_qtensor_alloc(s, 2, 2 * s->group, &t, &e), QREF_OK);
    memcpy(t.codes, buf, z.codes);
    double hi[512], lo[512];
    CU_ASSERT_EQUAL(qref_dequantize_row_exact(&t, 0, hi, lo, &e), QREF_OK);
    st = qref_dequantize_row_exact(&t, 1, hi, lo, &e);
    QCHECK(st == QREF_ERR_DATA && e.row == 1 && e.block == 1, "%s: dequantizing row 1: status %d", name, st);
    qref_qtensor_free(&t);
    free(buf);
}

static void test_validate(void)
{
    static const struct { const char *name; size_t off; } f16[] = {
        { "gguf_q4_0", 0 }, { "gguf_q4_1", 0 }, { "gguf_q4_1", 2 }, { "gguf_q8_0", 0 },    { "gguf_q4_k", 0 },
        { "gguf_q4_k", 2 }, { "gguf_q6_k", 208 }, { "gguf_iq2_xxs", 0 }, { "gguf_iq3_xxs", 0 },
    };
    for (size_t i = 0; i < COUNT(f16); i++) {
        expect_rejected(f16[i].name, f16[i].off, 0x7C00, 0, "infinite");
        expect_rejected(f16[i].name, f16[i].off, 0xFC00, 0, "infinite");
        expect_rejected(f16[i].name, f16[i].off, 0x7E00, 0, "NaN");
        expect_rejected(f16[i].name, f16[i].off, 0xFC01, 0, "NaN");
    }
    expect_rejected("gguf_mxfp4", 0, 0, 1, "0xFF");
    /* NVFP4: ggml accepts every scale byte, and so does qcts */
    const qref_scheme *s = qref_scheme_find("gguf_nvfp4");
    uint8_t buf[4 * 36];
    for (int u = 0; u < 256; u++) {
        memset(buf, u, sizeof buf);
        qref_qtensor t;
        qref_error e;
        QCHECK(qref_qtensor_load(s, 1, 256, buf, sizeof buf, &t, &e) == QREF_OK, "NVFP4 bytes 0x%02x rejected", u);
        qref_qtensor_free(&t);
    }
}

/* ggml would write a block whose f16 scale is Inf (or an MXFP4 e of 0xFF);
 * qcts refuses, naming the row and block. */
static void test_quantize_out_of_range(void)
{
    static const struct { const char *name; float big; const char *word; } cases[] = {
        { "gguf_q4_0", 1e6f, "infinite" },        /* d = 1e6/8 > 65504 */
        { "gguf_q4_1", 2e6f, "infinite" },        /* d = range/15 */
        { "gguf_q8_0", 1e7f, "infinite" },        /* d = 1e7/127 */
        { "gguf_q4_k", 1e9f, "infinite" },        /* d ~ (range/15)/63 */
        { "gguf_q6_k", 1e9f, "infinite" },        /* d ~ (amax/32)/128 */
        { "gguf_mxfp4", 0x1p-126f, "0xFF" },      /* floor(log2) - 2 + 127 = -1 -> (uint8) 0xFF */
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        const qref_scheme *s = qref_scheme_find(cases[i].name);
        const int64_t C = 2 * (s->group > 64 ? s->group : 64);
        float *w = calloc((size_t)(2 * C), sizeof(float));
        CU_ASSERT_PTR_NOT_NULL_FATAL(w);
        for (int64_t k = 0; k < 2 * C; k++)
            w[k] = (float)(k % 7) * 0.25f;
        const int64_t blk = C / s->group - 1;           /* last block of row 1 */
        w[C + blk * s->group + 3] = cases[i].big;
        if (!strcmp(cases[i].name, "gguf_mxfp4"))
            for (int64_t k = 0; k < s->group; k++)      /* the block holds only tiny values */
                w[C + blk * s->group + k] = k == 3 ? cases[i].big : 0.0f;
        qref_qtensor t;
        qref_error e;
        qref_status st = qref_quantize(s, 2, C, w, &t, &e);
        QCHECK(st == QREF_ERR_DATA && e.row == 1 && e.block == blk && strstr(e.msg, cases[i].word),
               "%s: status %d row %lld block %lld (want %lld): %s", cases[i].name, st, (long long)e.row,
               (long long)e.block, (long long)blk, e.msg);
        if (st == QREF_OK)
            qref_qtensor_free(&t);
        free(w);
    }
}

static void test_iq_quantize_unsupported(void)
{
    static const char *const names[] = { "gguf_iq2_xxs", "gguf_iq3_xxs" };
    static const char *const want[] = {
        "gguf_iq2_xxs: IQ2_XXS quantization needs an importance matrix; qcts implements dequantize only",
        "gguf_iq3_xxs: IQ3_XXS quantization needs an importance matrix; qcts implements dequantize only",
    };
    static float w[256];
    for (int i = 0; i < 2; i++) {
        qref_qtensor t;
        qref_error e;
        CU_ASSERT_EQUAL(qref_quantize(qref_scheme_find(names[i]), 1, 256, w, &t, &e), QREF_ERR_UNSUPPORTED);
        QCHECK(strcmp(e.msg, want[i]) == 0, "message: %s", e.msg);
    }
}

static void test_nonfinite_weight(void)
{
    static float w[2 * 512];
    w[512 + 300] = NAN;
    for (size_t t = 0; t < COUNT(QUANTIZABLE); t++) {
        const qref_scheme *s = qref_scheme_find(QUANTIZABLE[t]);
        qref_qtensor q;
        qref_error e;
        qref_status st = qref_quantize(s, 2, 512, w, &q, &e);
        QCHECK(st == QREF_ERR_DATA && e.row == 1 && e.block == 300 / s->group, "%s: status %d row %lld block %lld",
               s->name, st, (long long)e.row, (long long)e.block);
    }
}

QTEST_SUITE(gguf_props,
    QTEST(test_roundtrip_error),
    QTEST(test_idempotent),
    QTEST(test_exact_values),
    QTEST(test_save_load),
    QTEST(test_validate),
    QTEST(test_quantize_out_of_range),
    QTEST(test_iq_quantize_unsupported),
    QTEST(test_nonfinite_weight))
