/* Suite codec_decode: qref_decode against the independent construction of
 * every code (slowcodec.c: FORMATS.md formulas in double), bit for bit, for
 * every format of at most 16 bits and every convention; plus the facts of
 * FORMATS.md §1/§4/§5 written out as literals, and the NF tables against
 * the normal-quantile rule. */
#include "qtest.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>

#include "qref/bits.h"
#include "qref/fmt.h"
#include "slowcodec.h"

static uint32_t dec_bits(qref_fmt f, qref_conv c, uint32_t code, qref_status *st)
{
    float out = qref_f32_from_bits(0xDEADBEEFu);
    *st = qref_decode(f, c, code, &out);
    return qref_f32_bits(out);
}

/* Every code of every format <= 16 bits, every convention. */
static void test_decode_every_code(void)
{
    unsigned long nfail = 0, ncases = 0;
    for (unsigned f = 0; f < QREF_FMT_COUNT; f++) {
        const qref_fmt_info *info = qref_fmt_get((qref_fmt)f);
        if (!QCHECK(info != NULL, "qref_fmt_get(%u) is NULL", f) || info->bits > 16)
            continue;
        for (unsigned c = 0; c < QREF_CONV_COUNT; c++) {
            for (uint32_t code = 0; code < (1u << info->bits); code++) {
                qref_status st;
                uint32_t got = dec_bits((qref_fmt)f, (qref_conv)c, code, &st);
                double v;
                uint32_t want;
                int cls = slow_decode((qref_fmt)f, (qref_conv)c, code, &v, &want);
                ncases++;
                SLOW_CHECK(nfail, cls >= 0 && st == QREF_OK && got == want,
                           "decode %s/%s code 0x%X: got 0x%08X (%s), want 0x%08X (%.17g)",
                           slow_fmt_name(f), slow_conv_name(c), code, got, slow_status_name(st),
                           want, v);
                if (cls == SLOW_NAN) {
                    /* spelled out separately: NaN, with the code's sign */
                    int sign_want = f == QREF_FMT_E8M0 ? 0 : (int)(code >> (info->bits - 1));
                    SLOW_CHECK(nfail, qref_f32_is_nan(got) && (int)(got >> 31) == sign_want,
                               "decode %s/%s NaN code 0x%X gave 0x%08X: not a NaN of sign %d",
                               slow_fmt_name(f), slow_conv_name(c), code, got, sign_want);
                }
            }
        }
    }
    SLOW_SUMMARY(nfail, ncases, "qref_decode vs independent construction");
}

/* Codes with bits above the width are rejected and leave *out alone; bad
 * arguments are QREF_ERR_ARG. */
static void test_decode_rejects_bad_input(void)
{
    unsigned long nfail = 0, ncases = 0;
    for (unsigned f = 0; f < QREF_FMT_COUNT; f++) {
        const qref_fmt_info *info = qref_fmt_get((qref_fmt)f);
        if (info->bits >= 32)
            continue;
        uint32_t bad[] = { 1u << info->bits, (1u << info->bits) | 1u, 0x80000000u, 0xFFFFFFFFu };
        for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            qref_status st;
            uint32_t got = dec_bits((qref_fmt)f, QREF_CONV_OCP, bad[i], &st);
            ncases++;
            SLOW_CHECK(nfail, st == QREF_ERR_CODE && got == 0xDEADBEEFu,
                       "decode %s code 0x%X: status %s out 0x%08X, want ERR_CODE and out untouched",
                       slow_fmt_name(f), bad[i], slow_status_name(st), got);
        }
    }
    SLOW_SUMMARY(nfail, ncases, "out-of-width codes");
    float out;
    CU_ASSERT_EQUAL(qref_decode(QREF_FMT_E4M3, QREF_CONV_OCP, 0, NULL), QREF_ERR_ARG);
    CU_ASSERT_EQUAL(qref_decode(QREF_FMT_COUNT, QREF_CONV_OCP, 0, &out), QREF_ERR_ARG);
    CU_ASSERT_EQUAL(qref_decode((qref_fmt)-1, QREF_CONV_OCP, 0, &out), QREF_ERR_ARG);
    CU_ASSERT_EQUAL(qref_decode(QREF_FMT_E4M3, QREF_CONV_COUNT, 0, &out), QREF_ERR_ARG);
    CU_ASSERT_EQUAL(qref_decode(QREF_FMT_E4M3, (qref_conv)-1, 0, &out), QREF_ERR_ARG);
}

/* F32 decodes to its own bits, NaN payloads included. */
static void test_decode_f32_identity(void)
{
    static const uint32_t special[] = {
        0x00000000u, 0x80000000u, 0x00000001u, 0x007FFFFFu, 0x00800000u, 0x3F800000u,
        0x7F7FFFFFu, 0x7F800000u, 0xFF800000u, 0x7F800001u, 0xFF800001u, 0x7FC00000u,
        0xFFC00000u, 0x7FFFFFFFu, 0xFFFFFFFFu, 0x7FA5A5A5u,
    };
    uint64_t seed = slow_test_seed(0xDEC0DE32ull), s = seed;
    unsigned long nfail = 0, ncases = 0;
    for (unsigned i = 0; i < (1u << 16) + sizeof special / sizeof special[0]; i++) {
        uint32_t code = i < sizeof special / sizeof special[0] ? special[i] : (uint32_t)slow_rand64(&s);
        for (unsigned c = 0; c < QREF_CONV_COUNT; c++) {
            qref_status st;
            uint32_t got = dec_bits(QREF_FMT_F32, (qref_conv)c, code, &st);
            ncases++;
            SLOW_CHECK(nfail, st == QREF_OK && got == code,
                       "decode f32/%s 0x%08X gave 0x%08X (%s) (seed 0x%llX)", slow_conv_name(c), code,
                       got, slow_status_name(st), (unsigned long long)seed);
        }
    }
    SLOW_SUMMARY(nfail, ncases, "f32 identity");
}

/* FORMATS.md §1 and §4 facts, each a literal. */
static void test_decode_format_facts(void)
{
    static const struct {
        qref_fmt f;
        qref_conv c;
        uint32_t code;
        uint32_t bits;
        const char *what;
    } rows[] = {
        /* §1 OCP MX table: max (code), min normal, min subnormal, Inf, NaN */
        { QREF_FMT_E2M1, QREF_CONV_OCP, 0x7, 0x40C00000u, "E2M1 max 6.0 (0x7)" },
        { QREF_FMT_E2M1, QREF_CONV_OCP, 0x2, 0x3F800000u, "E2M1 min normal 1.0" },
        { QREF_FMT_E2M1, QREF_CONV_OCP, 0x1, 0x3F000000u, "E2M1 min subnormal 0.5" },
        { QREF_FMT_E2M3, QREF_CONV_OCP, 0x1F, 0x40F00000u, "E2M3 max 7.5 (0x1F)" },
        { QREF_FMT_E2M3, QREF_CONV_OCP, 0x08, 0x3F800000u, "E2M3 min normal 1.0" },
        { QREF_FMT_E2M3, QREF_CONV_OCP, 0x01, 0x3E000000u, "E2M3 min subnormal 0.125" },
        { QREF_FMT_E3M2, QREF_CONV_OCP, 0x1F, 0x41E00000u, "E3M2 max 28 (0x1F)" },
        { QREF_FMT_E3M2, QREF_CONV_OCP, 0x04, 0x3E800000u, "E3M2 min normal 0.25" },
        { QREF_FMT_E3M2, QREF_CONV_OCP, 0x01, 0x3D800000u, "E3M2 min subnormal 0.0625" },
        { QREF_FMT_E3M2, QREF_CONV_OCP, 0x3F, 0xC1E00000u, "E3M2 -max (0x3F)" },
        { QREF_FMT_E4M3, QREF_CONV_OCP, 0x7E, 0x43E00000u, "E4M3 max 448 (0x7E)" },
        { QREF_FMT_E4M3, QREF_CONV_OCP, 0xFE, 0xC3E00000u, "E4M3 -448 (0xFE)" },
        { QREF_FMT_E4M3, QREF_CONV_OCP, 0x08, 0x3C800000u, "E4M3 min normal 2^-6 (0x08)" },
        { QREF_FMT_E4M3, QREF_CONV_OCP, 0x01, 0x3B000000u, "E4M3 min subnormal 2^-9 (0x01)" },
        { QREF_FMT_E4M3, QREF_CONV_OCP, 0x7F, 0x7FC00000u, "E4M3 NaN 0x7F" },
        { QREF_FMT_E4M3, QREF_CONV_OCP, 0xFF, 0xFFC00000u, "E4M3 NaN 0xFF (negative)" },
        { QREF_FMT_E4M3, QREF_CONV_OCP, 0x78, 0x43800000u, "E4M3 0x78 = 256 (S.1111.000 is finite)" },
        { QREF_FMT_E4M3, QREF_CONV_OCP, 0x80, 0x80000000u, "E4M3 -0" },
        { QREF_FMT_E5M2, QREF_CONV_OCP, 0x7B, 0x47600000u, "E5M2 max 57344 (0x7B)" },
        { QREF_FMT_E5M2, QREF_CONV_OCP, 0x04, 0x38800000u, "E5M2 min normal 2^-14 (0x04)" },
        { QREF_FMT_E5M2, QREF_CONV_OCP, 0x01, 0x37800000u, "E5M2 min subnormal 2^-16 (0x01)" },
        { QREF_FMT_E5M2, QREF_CONV_OCP, 0x7C, 0x7F800000u, "E5M2 +Inf 0x7C" },
        { QREF_FMT_E5M2, QREF_CONV_OCP, 0xFC, 0xFF800000u, "E5M2 -Inf 0xFC" },
        { QREF_FMT_E5M2, QREF_CONV_OCP, 0x7D, 0x7FC00000u, "E5M2 NaN 0x7D" },
        { QREF_FMT_E5M2, QREF_CONV_OCP, 0x7E, 0x7FC00000u, "E5M2 NaN 0x7E" },
        { QREF_FMT_E5M2, QREF_CONV_OCP, 0x7F, 0x7FC00000u, "E5M2 NaN 0x7F" },
        { QREF_FMT_E5M2, QREF_CONV_OCP, 0xFD, 0xFFC00000u, "E5M2 NaN 0xFD" },
        { QREF_FMT_E5M2, QREF_CONV_OCP, 0xFF, 0xFFC00000u, "E5M2 NaN 0xFF" },
        /* E8M0: b means 2^(b-127); 0x00 is the float32 subnormal 0x00400000 */
        { QREF_FMT_E8M0, QREF_CONV_OCP, 0xFE, 0x7F000000u, "E8M0 max 2^127 (0xFE)" },
        { QREF_FMT_E8M0, QREF_CONV_OCP, 0x7F, 0x3F800000u, "E8M0 0x7F = 1" },
        { QREF_FMT_E8M0, QREF_CONV_OCP, 0x01, 0x00800000u, "E8M0 0x01 = 2^-126" },
        { QREF_FMT_E8M0, QREF_CONV_OCP, 0x00, 0x00400000u, "E8M0 0x00 = 2^-127 (bits 0x00400000)" },
        { QREF_FMT_E8M0, QREF_CONV_OCP, 0xFF, 0x7FC00000u, "E8M0 0xFF = NaN" },
        { QREF_FMT_E8M0, QREF_CONV_ML_DTYPES, 0xFF, 0x7FC00000u, "E8M0 0xFF = NaN (ml_dtypes)" },
        { QREF_FMT_E8M0, QREF_CONV_TORCH, 0xFF, 0x7FC00000u, "E8M0 0xFF = NaN (torch)" },
        { QREF_FMT_E8M0, QREF_CONV_CUDA_SATFINITE, 0xFF, 0x7FC00000u, "E8M0 0xFF = NaN (cuda)" },
        { QREF_FMT_E8M0, QREF_CONV_GGML, 0xFF, 0x7F800000u, "E8M0 0xFF = +Inf in ggml_e8m0_to_fp32" },
        { QREF_FMT_E8M0, QREF_CONV_GGML, 0x00, 0x00400000u, "E8M0 0x00 = 2^-127 (ggml)" },
        /* §4 FP16: max 65504 0x7BFF, min normal 2^-14, min subnormal 2^-24 */
        { QREF_FMT_F16, QREF_CONV_OCP, 0x7BFF, 0x477FE000u, "F16 max 65504 (0x7BFF)" },
        { QREF_FMT_F16, QREF_CONV_OCP, 0x0400, 0x38800000u, "F16 min normal 2^-14" },
        { QREF_FMT_F16, QREF_CONV_OCP, 0x0001, 0x33800000u, "F16 min subnormal 2^-24" },
        { QREF_FMT_F16, QREF_CONV_OCP, 0x3C00, 0x3F800000u, "F16 1.0" },
        { QREF_FMT_F16, QREF_CONV_OCP, 0xC000, 0xC0000000u, "F16 -2.0" },
        { QREF_FMT_F16, QREF_CONV_OCP, 0x7C00, 0x7F800000u, "F16 +Inf" },
        { QREF_FMT_F16, QREF_CONV_OCP, 0xFC00, 0xFF800000u, "F16 -Inf" },
        { QREF_FMT_F16, QREF_CONV_OCP, 0x7E00, 0x7FC00000u, "F16 qNaN 0x7E00" },
        { QREF_FMT_F16, QREF_CONV_OCP, 0x7C01, 0x7F802000u, "F16 sNaN 0x7C01 keeps its payload" },
        { QREF_FMT_F16, QREF_CONV_OCP, 0xFFFF, 0xFFFFE000u, "F16 NaN 0xFFFF keeps sign and payload" },
        /* BF16: the top half of float32; subnormals kept */
        { QREF_FMT_BF16, QREF_CONV_OCP, 0x7F7F, 0x7F7F0000u, "BF16 max (0x7F7F)" },
        { QREF_FMT_BF16, QREF_CONV_OCP, 0x0040, 0x00400000u, "BF16 0x0040 = 2^-127" },
        { QREF_FMT_BF16, QREF_CONV_OCP, 0x0001, 0x00010000u, "BF16 min subnormal 2^-133" },
        { QREF_FMT_BF16, QREF_CONV_OCP, 0x7F80, 0x7F800000u, "BF16 +Inf" },
        { QREF_FMT_BF16, QREF_CONV_OCP, 0xFFC1, 0xFFC10000u, "BF16 NaN 0xFFC1 keeps sign and payload" },
        { QREF_FMT_BF16, QREF_CONV_OCP, 0x7F81, 0x7F810000u, "BF16 sNaN 0x7F81 keeps its payload" },
        /* integers: two's complement in their width */
        { QREF_FMT_INT8, QREF_CONV_OCP, 0x80, 0xC3000000u, "INT8 0x80 = -128" },
        { QREF_FMT_INT8, QREF_CONV_OCP, 0x7F, 0x42FE0000u, "INT8 0x7F = 127" },
        { QREF_FMT_INT8, QREF_CONV_OCP, 0xFF, 0xBF800000u, "INT8 0xFF = -1" },
        { QREF_FMT_UINT8, QREF_CONV_OCP, 0xFF, 0x437F0000u, "UINT8 0xFF = 255" },
        { QREF_FMT_INT4, QREF_CONV_OCP, 0xF, 0xBF800000u, "INT4 0xF = -1" },
        { QREF_FMT_INT4, QREF_CONV_OCP, 0x8, 0xC1000000u, "INT4 0x8 = -8" },
        { QREF_FMT_UINT4, QREF_CONV_OCP, 0xF, 0x41700000u, "UINT4 0xF = 15" },
        { QREF_FMT_INT3, QREF_CONV_OCP, 0x4, 0xC0800000u, "INT3 0x4 = -4" },
        { QREF_FMT_UINT3, QREF_CONV_OCP, 0x7, 0x40E00000u, "UINT3 0x7 = 7" },
        { QREF_FMT_INT2, QREF_CONV_OCP, 0x2, 0xC0000000u, "INT2 0x2 = -2" },
        { QREF_FMT_INT2, QREF_CONV_OCP, 0x3, 0xBF800000u, "INT2 0x3 = -1" },
        { QREF_FMT_UINT2, QREF_CONV_OCP, 0x3, 0x40400000u, "UINT2 0x3 = 3" },
    };
    for (unsigned i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        qref_status st;
        uint32_t got = dec_bits(rows[i].f, rows[i].c, rows[i].code, &st);
        SLOW_ASSERT(st == QREF_OK && got == rows[i].bits, "%s: decode %s/%s 0x%X = 0x%08X (%s), want 0x%08X",
                    rows[i].what, slow_fmt_name(rows[i].f), slow_conv_name(rows[i].c), rows[i].code, got,
                    slow_status_name(st), rows[i].bits);
    }
}

/* FORMATS.md §1: the E2M1 code table, literally; 0x8-0xF negate (0x8 = -0). */
static void test_decode_e2m1_table(void)
{
    static const float value[8] = { 0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f };
    for (uint32_t code = 0; code < 16; code++) {
        float want = code < 8 ? value[code] : -value[code - 8];
        qref_status st;
        uint32_t got = dec_bits(QREF_FMT_E2M1, QREF_CONV_OCP, code, &st);
        SLOW_ASSERT(st == QREF_OK && got == qref_f32_bits(want), "E2M1 code 0x%X = 0x%08X, want %g (0x%08X)",
                    code, got, (double)want, qref_f32_bits(want));
    }
}

/* FORMATS.md §5: the NF tables as printed there (float32 literals), against
 * qref_decode and the exported arrays. */
static void test_decode_nf_tables(void)
{
    static const float nf4[16] = {
        -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
        -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
        0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
        0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f,
    };
    static const float nf3[8] = {
        -1.0f, -0.5350227355957031f, -0.2469314038753510f, 0.0f,
        0.1833375245332718f, 0.3819939494132996f, 0.6229856610298157f, 1.0f,
    };
    static const float nf2[4] = { -1.0f, 0.0f, 0.4358180761f, 1.0f };
    static const struct {
        qref_fmt f;
        const float *lit;
        const float *exported;
        unsigned n;
    } t[] = {
        { QREF_FMT_NF4, nf4, qref_nf4_table, 16 },
        { QREF_FMT_NF3, nf3, qref_nf3_table, 8 },
        { QREF_FMT_NF2, nf2, qref_nf2_table, 4 },
    };
    for (unsigned k = 0; k < 3; k++) {
        for (uint32_t code = 0; code < t[k].n; code++) {
            qref_status st;
            uint32_t want = qref_f32_bits(t[k].lit[code]);
            uint32_t got = dec_bits(t[k].f, QREF_CONV_OCP, code, &st);
            SLOW_ASSERT(st == QREF_OK && got == want, "%s code %u = 0x%08X, FORMATS.md says 0x%08X (%.9g)",
                        slow_fmt_name(t[k].f), code, got, want, (double)t[k].lit[code]);
            SLOW_ASSERT(qref_f32_bits(t[k].exported[code]) == want, "qref_%s_table[%u] = 0x%08X, want 0x%08X",
                        slow_fmt_name(t[k].f), code, qref_f32_bits(t[k].exported[code]), want);
        }
    }
}

/* FORMATS.md §5 / Part A 6: the NF tables are the normal-quantile rule with
 * offset_k = 1 - (1/(2(2^k-1)) + 1/(2*2^k))/2 (GSL quantiles). This is a
 * derivation check, not a bit-exact one: FORMATS.md says the rule reproduces
 * NF4 "to about 2e-7"; measured: NF4 1.9e-7, NF3 1.1e-7, NF2 8.9e-8. */
static void test_decode_nf_quantile_rule(void)
{
    static const struct {
        qref_fmt f;
        int k;
    } t[] = { { QREF_FMT_NF4, 4 }, { QREF_FMT_NF3, 3 }, { QREF_FMT_NF2, 2 } };
    for (unsigned i = 0; i < 3; i++) {
        int n = 1 << t[i].k, half = n / 2;
        double off = 1.0 - 0.5 * (1.0 / (2.0 * (n - 1)) + 1.0 / (2.0 * n));
        double v[16];
        int m = 0;
        /* positives: ppf(linspace(off, .5, half+1)[:-1]); negatives: -ppf(linspace(off, .5, half)[:-1]) */
        for (int j = 0; j < half; j++)
            v[m++] = gsl_cdf_ugaussian_Pinv(off + (0.5 - off) * j / half);
        for (int j = 0; j < half - 1; j++)
            v[m++] = -gsl_cdf_ugaussian_Pinv(off + (0.5 - off) * j / (half - 1));
        v[m++] = 0.0;
        double top = v[0];
        /* sort ascending (insertion sort, m <= 16) and normalise */
        for (int a = 1; a < m; a++)
            for (int b = a; b > 0 && v[b - 1] > v[b]; b--) {
                double tmp = v[b];
                v[b] = v[b - 1];
                v[b - 1] = tmp;
            }
        CU_ASSERT_EQUAL(m, n);
        for (int code = 0; code < m; code++) {
            float got;
            qref_decode(t[i].f, QREF_CONV_OCP, (uint32_t)code, &got);
            double want = v[code] / top;
            SLOW_ASSERT(fabs((double)got - want) <= 2.5e-7, "%s code %d: table %.9g, quantile rule %.9g (k=%d)",
                        slow_fmt_name(t[i].f), code, (double)got, want, t[i].k);
        }
    }
}

/* The ocp fast paths of qref/fmt.h decode like qref_decode. */
static void test_decode_fast_paths(void)
{
    unsigned long nfail = 0, ncases = 0;
    for (uint32_t code = 0; code < 0x10000u; code++) {
        uint32_t want;
        slow_decode(QREF_FMT_F16, QREF_CONV_OCP, code, NULL, &want);
        uint32_t got = qref_f32_bits(qref_f16_to_f32((uint16_t)code));
        ncases++;
        SLOW_CHECK(nfail, got == want, "qref_f16_to_f32(0x%04X) = 0x%08X, want 0x%08X", code, got, want);
        slow_decode(QREF_FMT_BF16, QREF_CONV_OCP, code, NULL, &want);
        got = qref_f32_bits(qref_bf16_to_f32((uint16_t)code));
        ncases++;
        SLOW_CHECK(nfail, got == want, "qref_bf16_to_f32(0x%04X) = 0x%08X, want 0x%08X", code, got, want);
    }
    for (uint32_t code = 0; code < 0x100u; code++) {
        uint32_t want;
        slow_decode(QREF_FMT_E4M3, QREF_CONV_OCP, code, NULL, &want);
        uint32_t got = qref_f32_bits(qref_e4m3_to_f32((uint8_t)code));
        SLOW_CHECK(nfail, got == want, "qref_e4m3_to_f32(0x%02X) = 0x%08X, want 0x%08X", code, got, want);
        slow_decode(QREF_FMT_E5M2, QREF_CONV_OCP, code, NULL, &want);
        got = qref_f32_bits(qref_e5m2_to_f32((uint8_t)code));
        SLOW_CHECK(nfail, got == want, "qref_e5m2_to_f32(0x%02X) = 0x%08X, want 0x%08X", code, got, want);
        slow_decode(QREF_FMT_E8M0, QREF_CONV_OCP, code, NULL, &want);
        got = qref_f32_bits(qref_e8m0_to_f32((uint8_t)code));
        SLOW_CHECK(nfail, got == want, "qref_e8m0_to_f32(0x%02X) = 0x%08X, want 0x%08X", code, got, want);
        if (code < 16) {
            slow_decode(QREF_FMT_E2M1, QREF_CONV_OCP, code, NULL, &want);
            got = qref_f32_bits(qref_e2m1_to_f32((uint8_t)code));
            SLOW_CHECK(nfail, got == want, "qref_e2m1_to_f32(0x%X) = 0x%08X, want 0x%08X", code, got, want);
            ncases++;
        }
        ncases += 3;
    }
    SLOW_SUMMARY(nfail, ncases, "fast-path decoders");
}

QTEST_SUITE(codec_decode,
    QTEST(test_decode_every_code),
    QTEST(test_decode_rejects_bad_input),
    QTEST(test_decode_f32_identity),
    QTEST(test_decode_format_facts),
    QTEST(test_decode_e2m1_table),
    QTEST(test_decode_nf_tables),
    QTEST(test_decode_nf_quantile_rule),
    QTEST(test_decode_fast_paths))
