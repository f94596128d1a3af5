/* Suite codec_encode: qref_encode against slowcodec for every format x
 * convention x allowed mode, on structured inputs (every decoded code, every
 * midpoint of neighbouring codes and its two float32 neighbours, subnormal
 * and overflow thresholds, signed zeros, infinities, NaNs with payloads) and
 * on seeded random float32 bit patterns; plus the mode rules and the
 * argument checks. A failure prints format, convention, mode, the input bits
 * and, for random inputs, the seed (rerun with QCTS_TEST_SEED=<seed>). */
#include "qtest.h"

#include <stdlib.h>

#include "qref/bits.h"
#include "qref/fmt.h"
#include "slowcodec.h"

#define DEFAULT_SEED 0x5EED0C0DEC0DEull

/* ---- the comparison ------------------------------------------------------ */

/* One input through qref_encode and slowcodec; returns 1 when they agree. */
static int same(qref_fmt f, qref_conv c, qref_mode m, uint32_t u, uint32_t *rc, qref_status *rs,
                uint32_t *sc, qref_status *ss)
{
    *rc = *sc = 0xA5A5A5A5u;
    *rs = qref_encode(f, c, m, qref_f32_from_bits(u), rc);
    *ss = slow_encode(f, c, m, u, sc);
    return *rs == *ss && *rc == *sc;
}

#define MISMATCH_FMT "encode %s/%s/%s x=0x%08X (%.9g): qref 0x%X %s, slowcodec 0x%X %s"
#define MISMATCH_ARGS(f, c, m, u, rc, rs, sc, ss)                                                  \
    slow_fmt_name(f), slow_conv_name(c), slow_mode_name(m), (u), (double)qref_f32_from_bits(u), (rc), \
        slow_status_name(rs), (sc), slow_status_name(ss)

static void test_encode_structured(void)
{
    unsigned long nfail = 0, ncases = 0;
    for (unsigned f = 0; f < QREF_FMT_COUNT; f++) {
        size_t n_in;
        uint32_t *in = slow_structured_inputs((qref_fmt)f, &n_in);
        for (unsigned c = 0; c < QREF_CONV_COUNT; c++) {
            for (unsigned m = 0; m < 3; m++) {
                qref_mode eff;
                if (slow_mode_resolve((qref_fmt)f, (qref_conv)c, (qref_mode)m, &eff) != QREF_OK)
                    continue;
                for (size_t i = 0; i < n_in; i++) {
                    uint32_t rc, sc;
                    qref_status rs, ss;
                    ncases++;
                    SLOW_CHECK(nfail, same((qref_fmt)f, (qref_conv)c, (qref_mode)m, in[i], &rc, &rs, &sc, &ss),
                               MISMATCH_FMT, MISMATCH_ARGS(f, c, m, in[i], rc, rs, sc, ss));
                }
            }
        }
        free(in);
    }
    SLOW_SUMMARY(nfail, ncases, "structured inputs, qref_encode vs slowcodec");
}

/* The formats exhaustive_main.c runs through all 2^32 inputs (ocp). */
static int exhaustive_covers(qref_fmt f)
{
    return f == QREF_FMT_E4M3 || f == QREF_FMT_E5M2 || f == QREF_FMT_E2M1 || f == QREF_FMT_BF16 || f == QREF_FMT_F16;
}

/* Random inputs: 2^22 per format under ocp/default (2^21 for the formats
 * the exhaustive program covers), 2^16 per other (convention, mode) pair.
 * Each combination has its own stream derived from the seed, so a failure
 * names the seed and the combination. */
static void test_encode_random(void)
{
    uint64_t seed = slow_test_seed(DEFAULT_SEED);
    unsigned long nfail = 0, ncases = 0;
    for (unsigned f = 0; f < QREF_FMT_COUNT; f++) {
        for (unsigned c = 0; c < QREF_CONV_COUNT; c++) {
            for (unsigned m = 0; m < 3; m++) {
                qref_mode eff;
                if (slow_mode_resolve((qref_fmt)f, (qref_conv)c, (qref_mode)m, &eff) != QREF_OK)
                    continue;
                unsigned long n = 1ul << 16;
                if (c == QREF_CONV_OCP && m == QREF_MODE_DEFAULT)
                    n = exhaustive_covers((qref_fmt)f) ? 1ul << 21 : 1ul << 22;
                n = qtest_scale(n);
                slow_rng r;
                slow_rng_init(&r, seed ^ ((uint64_t)f << 40 | (uint64_t)c << 32 | (uint64_t)m << 24), (qref_fmt)f);
                for (unsigned long i = 0; i < n; i++) {
                    uint32_t u = slow_rng_input(&r), rc, sc;
                    qref_status rs, ss;
                    ncases++;
                    SLOW_CHECK(nfail, same((qref_fmt)f, (qref_conv)c, (qref_mode)m, u, &rc, &rs, &sc, &ss),
                               MISMATCH_FMT " (seed 0x%llX)", MISMATCH_ARGS(f, c, m, u, rc, rs, sc, ss),
                               (unsigned long long)seed);
                }
            }
        }
    }
    SLOW_SUMMARY(nfail, ncases, "random inputs, qref_encode vs slowcodec");
}

/* qref_mode_resolve against the rules of fmt.h (slowcodec), for every
 * format, convention and request; disallowed requests are QREF_ERR_MODE in
 * qref_encode too, and leave the code alone. */
static void test_mode_resolve(void)
{
    unsigned long nfail = 0, ncases = 0;
    for (unsigned f = 0; f < QREF_FMT_COUNT; f++) {
        for (unsigned c = 0; c < QREF_CONV_COUNT; c++) {
            for (unsigned m = 0; m < 4; m++) {
                qref_mode eff_r = (qref_mode)7, eff_s = (qref_mode)7;
                qref_status rs = qref_mode_resolve((qref_fmt)f, (qref_conv)c, (qref_mode)m, &eff_r);
                qref_status ss = slow_mode_resolve((qref_fmt)f, (qref_conv)c, (qref_mode)m, &eff_s);
                ncases++;
                SLOW_CHECK(nfail, rs == ss && (rs != QREF_OK || eff_r == eff_s),
                           "mode_resolve %s/%s/%u: qref %s -> %s, want %s -> %s", slow_fmt_name(f),
                           slow_conv_name(c), m, slow_status_name(rs), slow_mode_name(eff_r),
                           slow_status_name(ss), slow_mode_name(eff_s));
                uint32_t code = 0xC0DEu;
                qref_status es = qref_encode((qref_fmt)f, (qref_conv)c, (qref_mode)m, 1.0f, &code);
                if (ss != QREF_OK) {
                    ncases++;
                    SLOW_CHECK(nfail, es == ss && code == 0xC0DEu,
                               "encode %s/%s/mode %u: status %s code 0x%X, want %s and code untouched",
                               slow_fmt_name(f), slow_conv_name(c), m, slow_status_name(es), code,
                               slow_status_name(ss));
                }
            }
        }
    }
    SLOW_SUMMARY(nfail, ncases, "mode resolution");

    /* The contract of fmt.h, a few cases spelled out. */
    static const struct {
        qref_fmt f;
        qref_conv c;
        qref_mode req;
        qref_status st;
        qref_mode eff;
    } rows[] = {
        { QREF_FMT_E4M3, QREF_CONV_OCP, QREF_MODE_DEFAULT, QREF_OK, QREF_MODE_SAT },
        { QREF_FMT_E4M3, QREF_CONV_OCP, QREF_MODE_NOSAT, QREF_OK, QREF_MODE_NOSAT },
        { QREF_FMT_E5M2, QREF_CONV_GGML, QREF_MODE_NOSAT, QREF_OK, QREF_MODE_NOSAT },
        { QREF_FMT_E8M0, QREF_CONV_OCP, QREF_MODE_DEFAULT, QREF_OK, QREF_MODE_SAT },
        { QREF_FMT_E4M3, QREF_CONV_ML_DTYPES, QREF_MODE_DEFAULT, QREF_OK, QREF_MODE_NOSAT },
        { QREF_FMT_E4M3, QREF_CONV_ML_DTYPES, QREF_MODE_SAT, QREF_ERR_MODE, QREF_MODE_DEFAULT },
        { QREF_FMT_E5M2, QREF_CONV_TORCH, QREF_MODE_SAT, QREF_ERR_MODE, QREF_MODE_DEFAULT },
        { QREF_FMT_E4M3, QREF_CONV_CUDA_SATFINITE, QREF_MODE_DEFAULT, QREF_OK, QREF_MODE_SAT },
        { QREF_FMT_E4M3, QREF_CONV_CUDA_SATFINITE, QREF_MODE_NOSAT, QREF_ERR_MODE, QREF_MODE_DEFAULT },
        { QREF_FMT_E8M0, QREF_CONV_CUDA_NOSAT, QREF_MODE_SAT, QREF_ERR_MODE, QREF_MODE_DEFAULT },
        { QREF_FMT_F16, QREF_CONV_OCP, QREF_MODE_SAT, QREF_ERR_MODE, QREF_MODE_DEFAULT },
        { QREF_FMT_BF16, QREF_CONV_OCP, QREF_MODE_DEFAULT, QREF_OK, QREF_MODE_NOSAT },
        { QREF_FMT_E2M1, QREF_CONV_OCP, QREF_MODE_NOSAT, QREF_ERR_MODE, QREF_MODE_DEFAULT },
        { QREF_FMT_E2M1, QREF_CONV_OCP, QREF_MODE_SAT, QREF_OK, QREF_MODE_SAT },
        { QREF_FMT_INT8, QREF_CONV_GGML, QREF_MODE_NOSAT, QREF_ERR_MODE, QREF_MODE_DEFAULT },
        { QREF_FMT_NF4, QREF_CONV_OCP, QREF_MODE_DEFAULT, QREF_OK, QREF_MODE_SAT },
        { QREF_FMT_E4M3, QREF_CONV_OCP, (qref_mode)3, QREF_ERR_ARG, QREF_MODE_DEFAULT },
        { QREF_FMT_COUNT, QREF_CONV_OCP, QREF_MODE_DEFAULT, QREF_ERR_ARG, QREF_MODE_DEFAULT },
        { QREF_FMT_E4M3, QREF_CONV_COUNT, QREF_MODE_DEFAULT, QREF_ERR_ARG, QREF_MODE_DEFAULT },
    };
    for (unsigned i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        qref_mode eff = QREF_MODE_DEFAULT;
        qref_status st = qref_mode_resolve(rows[i].f, rows[i].c, rows[i].req, &eff);
        SLOW_ASSERT(st == rows[i].st && (st != QREF_OK || eff == rows[i].eff),
                    "mode_resolve(%s, %s, %s) = %s/%s, want %s/%s", slow_fmt_name(rows[i].f),
                    slow_conv_name(rows[i].c), slow_mode_name(rows[i].req), slow_status_name(st),
                    slow_mode_name(eff), slow_status_name(rows[i].st), slow_mode_name(rows[i].eff));
    }
    CU_ASSERT_EQUAL(qref_mode_resolve(QREF_FMT_E4M3, QREF_CONV_OCP, QREF_MODE_DEFAULT, NULL), QREF_ERR_ARG);
}

/* Bad arguments: QREF_ERR_ARG and the code untouched. */
static void test_encode_bad_args(void)
{
    uint32_t code = 0x1234u;
    CU_ASSERT_EQUAL(qref_encode(QREF_FMT_E4M3, QREF_CONV_OCP, QREF_MODE_DEFAULT, 1.0f, NULL), QREF_ERR_ARG);
    CU_ASSERT_EQUAL(qref_encode(QREF_FMT_COUNT, QREF_CONV_OCP, QREF_MODE_DEFAULT, 1.0f, &code), QREF_ERR_ARG);
    CU_ASSERT_EQUAL(qref_encode((qref_fmt)-1, QREF_CONV_OCP, QREF_MODE_DEFAULT, 1.0f, &code), QREF_ERR_ARG);
    CU_ASSERT_EQUAL(qref_encode(QREF_FMT_E4M3, QREF_CONV_COUNT, QREF_MODE_DEFAULT, 1.0f, &code), QREF_ERR_ARG);
    CU_ASSERT_EQUAL(qref_encode(QREF_FMT_E4M3, (qref_conv)-1, QREF_MODE_DEFAULT, 1.0f, &code), QREF_ERR_ARG);
    CU_ASSERT_EQUAL(qref_encode(QREF_FMT_E4M3, QREF_CONV_OCP, (qref_mode)3, 1.0f, &code), QREF_ERR_ARG);
    CU_ASSERT_EQUAL(qref_encode(QREF_FMT_F16, QREF_CONV_OCP, (qref_mode)-1, 1.0f, &code), QREF_ERR_ARG);
    CU_ASSERT_EQUAL(code, 0x1234u);
}

/* Return status of NaN inputs, as documented in qref/fmt.h and FORMATS.md
 * Part A 3: QREF_ERR_NAN (with the documented fallback code) where the
 * format has no NaN and the convention does not define a value. */
static void test_encode_nan_status(void)
{
    static const struct {
        qref_fmt f;
        qref_conv c;
        uint32_t x;
        qref_status st;
        uint32_t code;
    } rows[] = {
        { QREF_FMT_E2M1, QREF_CONV_OCP, 0x7FC00000u, QREF_ERR_NAN, 0x7 },    /* +max fallback */
        { QREF_FMT_E2M1, QREF_CONV_OCP, 0xFFC00000u, QREF_ERR_NAN, 0x7 },
        { QREF_FMT_E2M1, QREF_CONV_TORCH, 0x7FC00000u, QREF_ERR_NAN, 0x7 },  /* torch: no core cast, ocp */
        { QREF_FMT_E2M1, QREF_CONV_ML_DTYPES, 0x7FC00000u, QREF_OK, 0x8 },
        { QREF_FMT_E2M1, QREF_CONV_CUDA_SATFINITE, 0xFFC00000u, QREF_OK, 0x7 },
        { QREF_FMT_E2M1, QREF_CONV_CUDA_NOSAT, 0x7F800001u, QREF_OK, 0x7 },
        { QREF_FMT_E2M1, QREF_CONV_GGML, 0x7FC00000u, QREF_OK, 0x0 },
        { QREF_FMT_E2M3, QREF_CONV_OCP, 0x7FC00000u, QREF_ERR_NAN, 0x1F },
        { QREF_FMT_E3M2, QREF_CONV_GGML, 0xFFC00000u, QREF_ERR_NAN, 0x1F },  /* no ggml FP6: ocp */
        { QREF_FMT_E3M2, QREF_CONV_ML_DTYPES, 0xFFC00000u, QREF_OK, 0x00 },
        { QREF_FMT_INT8, QREF_CONV_OCP, 0x7FC00000u, QREF_ERR_NAN, 0x00 },
        { QREF_FMT_INT4, QREF_CONV_GGML, 0xFFC00000u, QREF_ERR_NAN, 0x0 },
        { QREF_FMT_UINT8, QREF_CONV_CUDA_SATFINITE, 0x7F800001u, QREF_ERR_NAN, 0x00 },
        { QREF_FMT_NF4, QREF_CONV_OCP, 0x7FC00000u, QREF_ERR_NAN, 0x7 },     /* the code of 0.0 */
        { QREF_FMT_NF3, QREF_CONV_OCP, 0x7FC00000u, QREF_ERR_NAN, 0x3 },
        { QREF_FMT_NF2, QREF_CONV_ML_DTYPES, 0xFFC00000u, QREF_ERR_NAN, 0x1 },
        { QREF_FMT_E4M3, QREF_CONV_OCP, 0x7FC00000u, QREF_OK, 0x7F },        /* formats with NaN */
        { QREF_FMT_E5M2, QREF_CONV_OCP, 0x7FC00000u, QREF_OK, 0x7E },
        { QREF_FMT_E8M0, QREF_CONV_OCP, 0x7FC00000u, QREF_OK, 0xFF },
        { QREF_FMT_F16, QREF_CONV_OCP, 0x7FC00000u, QREF_OK, 0x7E00 },
        { QREF_FMT_BF16, QREF_CONV_OCP, 0x7FC00000u, QREF_OK, 0x7FC0 },
        { QREF_FMT_F32, QREF_CONV_OCP, 0x7F800001u, QREF_OK, 0x7F800001u },
    };
    for (unsigned i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        uint32_t code = 0xBADu;
        qref_status st = qref_encode(rows[i].f, rows[i].c, QREF_MODE_DEFAULT, qref_f32_from_bits(rows[i].x), &code);
        SLOW_ASSERT(st == rows[i].st && code == rows[i].code, "encode %s/%s NaN 0x%08X: %s 0x%X, want %s 0x%X",
                    slow_fmt_name(rows[i].f), slow_conv_name(rows[i].c), rows[i].x, slow_status_name(st), code,
                    slow_status_name(rows[i].st), rows[i].code);
    }
}

/* The ocp fast paths agree with qref_encode(ocp, default) and slowcodec. */
static void test_encode_fast_paths(void)
{
    static const struct {
        qref_fmt f;
        int id;
    } fp[] = { { QREF_FMT_F16, 0 }, { QREF_FMT_BF16, 1 }, { QREF_FMT_E4M3, 2 }, { QREF_FMT_E5M2, 3 }, { QREF_FMT_E2M1, 4 } };
    uint64_t seed = slow_test_seed(DEFAULT_SEED);
    unsigned long nfail = 0, ncases = 0;
    for (unsigned k = 0; k < sizeof fp / sizeof fp[0]; k++) {
        size_t n_in;
        uint32_t *in = slow_structured_inputs(fp[k].f, &n_in);
        slow_rng r;
        slow_rng_init(&r, seed ^ 0xFA57ull ^ k, fp[k].f);
        for (size_t i = 0; i < n_in + qtest_scale(1u << 17); i++) {
            uint32_t u = i < n_in ? in[i] : slow_rng_input(&r);
            float x = qref_f32_from_bits(u);
            uint32_t want, got;
            slow_encode(fp[k].f, QREF_CONV_OCP, QREF_MODE_DEFAULT, u, &want);
            switch (fp[k].id) {
            case 0: got = qref_f32_to_f16(x); break;
            case 1: got = qref_f32_to_bf16(x); break;
            case 2: got = qref_f32_to_e4m3_sat(x); break;
            case 3: got = qref_f32_to_e5m2_sat(x); break;
            default: got = qref_f32_to_e2m1(x); break;
            }
            ncases++;
            SLOW_CHECK(nfail, got == want, "fast path %s x=0x%08X: 0x%X, want 0x%X (seed 0x%llX)",
                       slow_fmt_name(fp[k].f), u, got, want, (unsigned long long)seed);
        }
        free(in);
    }
    SLOW_SUMMARY(nfail, ncases, "fast-path encoders");
}

QTEST_SUITE(codec_encode,
    QTEST(test_mode_resolve),
    QTEST(test_encode_bad_args),
    QTEST(test_encode_nan_status),
    QTEST(test_encode_structured),
    QTEST(test_encode_random),
    QTEST(test_encode_fast_paths))
