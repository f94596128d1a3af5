/* Suite codec_props: properties of the codecs that hold whatever the exact
 * tables say: round trips, monotonicity, sign symmetry; and the name
 * lookups and the qref_fmt_info facts against the codecs themselves. */
#include "qtest.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qref/bits.h"
#include "qref/fmt.h"
#include "slowcodec.h"

#define DEFAULT_SEED 0x9A0B5EEDull

static const qref_fmt_info *info_of(unsigned f) { return qref_fmt_get((qref_fmt)f); }

/* Sign bit of the sign/magnitude formats, 0 for the others. */
static uint32_t sign_bit(qref_fmt f)
{
    const qref_fmt_info *i = qref_fmt_get(f);
    return i->kind == QREF_KIND_FLOAT && i->bits <= 16 ? 1u << (i->bits - 1) : 0;
}

static int is_nan_code(qref_fmt f, qref_conv c, uint32_t code)
{
    float v;
    return qref_decode(f, c, code, &v) == QREF_OK && isnan(v);
}

/* encode(decode(c)) == c for every non-NaN code of every format <= 16 bits,
 * every convention and every allowed mode, hence decode(encode(decode(c)))
 * == decode(c) bit for bit. Documented exceptions, checked for their exact
 * result instead:
 *   - ggml E2M1 never produces -0: code 0x8 comes back as 0x0;
 *   - Inf codes (E5M2 0x7C/0xFC) in an effective SAT mode come back as the
 *     largest finite code of that sign (0x7B/0xFB), since +-Inf saturates
 *     (E8M0 0xFF, +Inf under ggml, is not one: Inf encodes to 0xFF).
 * NaN codes decode to a NaN whose re-encoding must again be a NaN code (for
 * the formats that have one); E8M0 0xFF under ggml decodes to +Inf and comes
 * back as 0xFF. */
static void test_props_round_trip(void)
{
    unsigned long nfail = 0, ncases = 0, nexcept = 0;
    for (unsigned f = 0; f < QREF_FMT_COUNT; f++) {
        const qref_fmt_info *info = info_of(f);
        if (info->bits > 16)
            continue;
        for (unsigned c = 0; c < QREF_CONV_COUNT; c++) {
            for (unsigned m = 0; m < 3; m++) {
                qref_mode eff;
                if (qref_mode_resolve((qref_fmt)f, (qref_conv)c, (qref_mode)m, &eff) != QREF_OK)
                    continue;
                for (uint32_t code = 0; code < (1u << info->bits); code++) {
                    float v;
                    qref_decode((qref_fmt)f, (qref_conv)c, code, &v);
                    uint32_t back = 0xBAD;
                    qref_status st = qref_encode((qref_fmt)f, (qref_conv)c, (qref_mode)m, v, &back);
                    ncases++;
                    if (isnan(v)) {
                        SLOW_CHECK(nfail, st == QREF_OK && is_nan_code((qref_fmt)f, (qref_conv)c, back),
                                   "%s/%s/%s NaN code 0x%X -> 0x%08X -> 0x%X (%s): not a NaN code",
                                   slow_fmt_name(f), slow_conv_name(c), slow_mode_name(m), code, qref_f32_bits(v),
                                   back, slow_status_name(st));
                        continue;
                    }
                    uint32_t want = code;
                    if (f == QREF_FMT_E2M1 && c == QREF_CONV_GGML && code == 0x8) {
                        want = 0x0;
                        nexcept++;
                    } else if (f == QREF_FMT_E5M2 && isinf(v) && eff == QREF_MODE_SAT) {
                        want = (code & sign_bit((qref_fmt)f)) | info->max_code;
                        nexcept++;
                    }
                    float v2 = qref_f32_from_bits(0xDEADBEEFu);
                    qref_decode((qref_fmt)f, (qref_conv)c, back, &v2);
                    SLOW_CHECK(nfail, st == QREF_OK && back == want &&
                                          (want != code || qref_f32_bits(v2) == qref_f32_bits(v)),
                               "%s/%s/%s code 0x%X -> 0x%08X -> 0x%X (%s) -> 0x%08X, want code 0x%X",
                               slow_fmt_name(f), slow_conv_name(c), slow_mode_name(m), code, qref_f32_bits(v), back,
                               slow_status_name(st), qref_f32_bits(v2), want);
                }
            }
        }
    }
    SLOW_SUMMARY(nfail, ncases, "round trip encode(decode(c))");
    /* the exceptions were reached: 6 combinations with E5M2 Inf in SAT
     * mode (ocp/ggml default and sat, cuda_satfinite default and sat) x 2
     * signs, and ggml E2M1 -0 under default and sat */
    CU_ASSERT_EQUAL(nexcept, 6 * 2 + 2);
}

static int cmp_by_value(const void *a, const void *b)
{
    float x = qref_f32_from_bits(*(const uint32_t *)a), y = qref_f32_from_bits(*(const uint32_t *)b);
    return (x > y) - (x < y);
}

/* x <= y implies value(enc x) <= value(enc y), over the sorted structured
 * inputs plus random ones, for every format, convention and allowed mode.
 * NaN results are skipped (E4M3 nosat overflow, E8M0 Inf and NaN).
 * Documented exceptions where the domain is restricted:
 *   - E8M0 has no code for x <= 0: ocp/ml_dtypes/ggml give 0xFF (which
 *     ggml decodes as +Inf), torch and cuda_* encode |x|; so only x > 0;
 *   - ggml E2M1 is float arithmetic by definition, exact for |x| < 2^22
 *     only (beyond, the rounded errors tie and the first index, 0, wins). */
static void test_props_monotonic(void)
{
    uint64_t seed = slow_test_seed(DEFAULT_SEED);
    unsigned long nfail = 0, ncases = 0;
    for (unsigned f = 0; f < QREF_FMT_COUNT; f++) {
        size_t n;
        uint32_t *in = slow_structured_inputs((qref_fmt)f, &n);
        slow_rng r;
        slow_rng_init(&r, seed ^ f, (qref_fmt)f);
        size_t nr = qtest_scale(1u << 14);
        in = realloc(in, (n + nr) * sizeof *in);
        if (!in)
            abort();
        for (size_t i = 0; i < nr; i++)
            in[n++] = slow_rng_input(&r);
        /* drop NaN inputs, then sort by value */
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (!qref_f32_is_nan(in[i]))
                in[k++] = in[i];
        n = k;
        qsort(in, n, sizeof *in, cmp_by_value);
        for (unsigned c = 0; c < QREF_CONV_COUNT; c++) {
            for (unsigned m = 0; m < 3; m++) {
                qref_mode eff;
                if (qref_mode_resolve((qref_fmt)f, (qref_conv)c, (qref_mode)m, &eff) != QREF_OK)
                    continue;
                int e8m0 = f == QREF_FMT_E8M0;
                int ggml_fp4 = f == QREF_FMT_E2M1 && c == QREF_CONV_GGML;
                double prev = -INFINITY;
                uint32_t prev_x = 0, prev_code = 0;
                for (size_t i = 0; i < n; i++) {
                    float x = qref_f32_from_bits(in[i]);
                    if ((e8m0 && !(x > 0)) || (ggml_fp4 && !(fabsf(x) < 0x1p22f)))
                        continue;
                    uint32_t code;
                    qref_encode((qref_fmt)f, (qref_conv)c, (qref_mode)m, x, &code);
                    float v;
                    qref_decode((qref_fmt)f, (qref_conv)c, code, &v);
                    if (isnan(v))
                        continue;
                    ncases++;
                    SLOW_CHECK(nfail, (double)v >= prev,
                               "%s/%s/%s not monotonic: x=0x%08X -> 0x%X (%.9g) but smaller x=0x%08X -> 0x%X (%.9g) "
                               "(seed 0x%llX)",
                               slow_fmt_name(f), slow_conv_name(c), slow_mode_name(m), in[i], code, (double)v, prev_x,
                               prev_code, prev, (unsigned long long)seed);
                    prev = v;
                    prev_x = in[i];
                    prev_code = code;
                }
            }
        }
        free(in);
    }
    SLOW_SUMMARY(nfail, ncases, "monotonicity of encode");
}

/* Sign/magnitude formats: enc(-x) == enc(x) | sign for every non-NaN x >= 0.
 * Exception: ggml E2M1 gives +0 for both signs (never -0). */
static void test_props_sign_symmetry(void)
{
    unsigned long nfail = 0, ncases = 0;
    for (unsigned f = 0; f < QREF_FMT_COUNT; f++) {
        uint32_t sb = sign_bit((qref_fmt)f);
        if (!sb)
            continue;
        size_t n;
        uint32_t *in = slow_structured_inputs((qref_fmt)f, &n);
        for (unsigned c = 0; c < QREF_CONV_COUNT; c++) {
            for (unsigned m = 0; m < 3; m++) {
                qref_mode eff;
                if (qref_mode_resolve((qref_fmt)f, (qref_conv)c, (qref_mode)m, &eff) != QREF_OK)
                    continue;
                for (size_t i = 0; i < n; i++) {
                    if (qref_f32_is_nan(in[i]) || (in[i] >> 31))
                        continue;
                    uint32_t p, q;
                    qref_encode((qref_fmt)f, (qref_conv)c, (qref_mode)m, qref_f32_from_bits(in[i]), &p);
                    qref_encode((qref_fmt)f, (qref_conv)c, (qref_mode)m, qref_f32_from_bits(in[i] | 0x80000000u), &q);
                    uint32_t want = (f == QREF_FMT_E2M1 && c == QREF_CONV_GGML && p == 0) ? 0 : p | sb;
                    ncases++;
                    SLOW_CHECK(nfail, q == want, "%s/%s/%s x=0x%08X -> 0x%X but -x -> 0x%X, want 0x%X",
                               slow_fmt_name(f), slow_conv_name(c), slow_mode_name(m), in[i], p, q, want);
                }
            }
        }
        free(in);
    }
    SLOW_SUMMARY(nfail, ncases, "sign symmetry");
}

/* ---- names ----------------------------------------------------------------- */

static void upper(char *dst, const char *src, size_t cap)
{
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++)
        dst[i] = (char)toupper((unsigned char)src[i]);
    dst[i] = '\0';
}

/* Mixed case: every other letter upper-cased. */
static void mixed(char *dst, const char *src, size_t cap)
{
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++)
        dst[i] = (char)(i % 2 ? toupper((unsigned char)src[i]) : src[i]);
    dst[i] = '\0';
}

/* Every canonical name and alias of every format resolves to that format,
 * in any case; the literal names of ref/README.md resolve; unknown names,
 * NULL, and near misses are QREF_ERR_ARG. */
static void test_props_fmt_names(void)
{
    unsigned long nfail = 0, ncases = 0;
    for (unsigned f = 0; f < QREF_FMT_COUNT; f++) {
        const qref_fmt_info *info = info_of(f);
        char list[256];
        snprintf(list, sizeof list, "%s,%s", info->name, info->aliases ? info->aliases : "");
        for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
            char buf[64];
            const char *forms[3] = { tok, buf, NULL };
            char buf2[64];
            upper(buf, tok, sizeof buf);
            mixed(buf2, tok, sizeof buf2);
            forms[2] = buf2;
            for (int k = 0; k < 3; k++) {
                qref_fmt out = QREF_FMT_COUNT;
                qref_status st = qref_fmt_from_name(forms[k], &out);
                ncases++;
                SLOW_CHECK(nfail, st == QREF_OK && out == (qref_fmt)f, "qref_fmt_from_name(\"%s\") = %s %s, want %s",
                           forms[k], slow_status_name(st), slow_fmt_name(out), slow_fmt_name(f));
            }
        }
    }
    SLOW_SUMMARY(nfail, ncases, "format names and aliases");

    static const struct {
        const char *name;
        qref_fmt f;
    } known[] = {
        { "f32", QREF_FMT_F32 }, { "float32", QREF_FMT_F32 }, { "FP32", QREF_FMT_F32 },
        { "f16", QREF_FMT_F16 }, { "half", QREF_FMT_F16 }, { "Float16", QREF_FMT_F16 },
        { "bf16", QREF_FMT_BF16 }, { "BFloat16", QREF_FMT_BF16 },
        { "e4m3", QREF_FMT_E4M3 }, { "E4M3FN", QREF_FMT_E4M3 }, { "float8_e4m3fn", QREF_FMT_E4M3 },
        { "FP8_E4M3", QREF_FMT_E4M3 }, { "e5m2", QREF_FMT_E5M2 }, { "float8_e5m2", QREF_FMT_E5M2 },
        { "e2m1", QREF_FMT_E2M1 }, { "fp4", QREF_FMT_E2M1 }, { "float4_e2m1fn", QREF_FMT_E2M1 },
        { "e2m3", QREF_FMT_E2M3 }, { "float6_e2m3fn", QREF_FMT_E2M3 }, { "e3m2", QREF_FMT_E3M2 },
        { "fp6_e3m2", QREF_FMT_E3M2 }, { "e8m0", QREF_FMT_E8M0 }, { "ue8m0", QREF_FMT_E8M0 },
        { "float8_e8m0fnu", QREF_FMT_E8M0 }, { "int8", QREF_FMT_INT8 }, { "i8", QREF_FMT_INT8 },
        { "s8", QREF_FMT_INT8 }, { "uint8", QREF_FMT_UINT8 }, { "u8", QREF_FMT_UINT8 },
        { "int4", QREF_FMT_INT4 }, { "uint4", QREF_FMT_UINT4 }, { "int3", QREF_FMT_INT3 },
        { "uint3", QREF_FMT_UINT3 }, { "int2", QREF_FMT_INT2 }, { "uint2", QREF_FMT_UINT2 },
        { "nf4", QREF_FMT_NF4 }, { "NormalFloat4", QREF_FMT_NF4 }, { "nf3", QREF_FMT_NF3 },
        { "nf2", QREF_FMT_NF2 },
    };
    for (unsigned i = 0; i < sizeof known / sizeof known[0]; i++) {
        qref_fmt out = QREF_FMT_COUNT;
        qref_status st = qref_fmt_from_name(known[i].name, &out);
        SLOW_ASSERT(st == QREF_OK && out == known[i].f, "qref_fmt_from_name(\"%s\") = %s %s, want %s", known[i].name,
                    slow_status_name(st), slow_fmt_name(out), slow_fmt_name(known[i].f));
    }
    static const char *const unknown[] = {
        "", "e4m", "e4m3x", " e4m3", "e4m3 ", "fp8", "e4m3,e5m2", "f16,", ",", "nf5", "int16", "e4m3fnuz", "fp",
        "float", "ocp",
    };
    for (unsigned i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        qref_fmt out = QREF_FMT_NF2;
        qref_status st = qref_fmt_from_name(unknown[i], &out);
        SLOW_ASSERT(st == QREF_ERR_ARG && out == QREF_FMT_NF2, "qref_fmt_from_name(\"%s\") = %s, want ERR_ARG",
                    unknown[i], slow_status_name(st));
    }
    qref_fmt out;
    CU_ASSERT_EQUAL(qref_fmt_from_name(NULL, &out), QREF_ERR_ARG);
    CU_ASSERT_EQUAL(qref_fmt_from_name("e4m3", NULL), QREF_ERR_ARG);
    CU_ASSERT_PTR_NULL(qref_fmt_get(QREF_FMT_COUNT));
    CU_ASSERT_PTR_NULL(qref_fmt_get((qref_fmt)-1));
}

static void test_props_conv_mode_status_names(void)
{
    static const char *const conv[QREF_CONV_COUNT] = {
        "ocp", "ml_dtypes_0_6", "torch", "cuda_satfinite", "cuda_nosat", "ggml", "ml_dtypes_0_7", "ml_dtypes_0_5_0", "torch_2_15",
    };
    for (unsigned c = 0; c < QREF_CONV_COUNT; c++) {
        const char *n = qref_conv_name((qref_conv)c);
        SLOW_ASSERT(n && strcmp(n, conv[c]) == 0, "qref_conv_name(%u) = \"%s\", want \"%s\"", c, n ? n : "(null)",
                    conv[c]);
        char up[64];
        upper(up, conv[c], sizeof up);
        qref_conv out = QREF_CONV_COUNT, out2 = QREF_CONV_COUNT;
        qref_status st = qref_conv_from_name(conv[c], &out), st2 = qref_conv_from_name(up, &out2);
        SLOW_ASSERT(st == QREF_OK && out == (qref_conv)c && st2 == QREF_OK && out2 == (qref_conv)c,
                    "qref_conv_from_name(\"%s\" / \"%s\") = %s %d / %s %d, want %u", conv[c], up, slow_status_name(st),
                    (int)out, slow_status_name(st2), (int)out2, c);
    }
    /* The name a convention had before it was versioned stays an alias. */
    qref_conv al = QREF_CONV_COUNT;
    CU_ASSERT(qref_conv_from_name("ml_dtypes", &al) == QREF_OK && al == QREF_CONV_ML_DTYPES_0_6);
    CU_ASSERT(qref_conv_from_name("ML_DTYPES", &al) == QREF_OK && al == QREF_CONV_ML_DTYPES_0_6);
    for (unsigned c = 0; c < QREF_CONV_COUNT; c++) {
        const qref_conv_info *ci = qref_conv_get((qref_conv)c);
        CU_ASSERT(ci && ci->conv == (qref_conv)c && ci->upstream && *ci->upstream && ci->description && ci->aliases);
    }
    CU_ASSERT_PTR_NULL(qref_conv_get(QREF_CONV_COUNT));
    static const char *const bad_conv[] = { "", "cuda", "ml-dtypes", "mldtypes", "ocp ", "pytorch", "e4m3",
                                            "ml_dtypes_0_5", "ml_dtypes,torch", "ml_dtypes_0_6 " };
    for (unsigned i = 0; i < sizeof bad_conv / sizeof bad_conv[0]; i++) {
        qref_conv out;
        qref_status st = qref_conv_from_name(bad_conv[i], &out);
        SLOW_ASSERT(st == QREF_ERR_ARG, "qref_conv_from_name(\"%s\") = %s, want ERR_ARG", bad_conv[i],
                    slow_status_name(st));
    }
    qref_conv oc;
    CU_ASSERT_EQUAL(qref_conv_from_name(NULL, &oc), QREF_ERR_ARG);
    CU_ASSERT_EQUAL(qref_conv_from_name("ocp", NULL), QREF_ERR_ARG);
    CU_ASSERT_PTR_NULL(qref_conv_name(QREF_CONV_COUNT));
    CU_ASSERT_PTR_NULL(qref_conv_name((qref_conv)-1));

    static const char *const mode[3] = { "default", "sat", "nosat" };
    for (unsigned m = 0; m < 3; m++) {
        const char *n = qref_mode_name((qref_mode)m);
        qref_mode out = (qref_mode)9, out2 = (qref_mode)9;
        char up[16];
        upper(up, mode[m], sizeof up);
        qref_status st = qref_mode_from_name(mode[m], &out), st2 = qref_mode_from_name(up, &out2);
        SLOW_ASSERT(n && strcmp(n, mode[m]) == 0 && st == QREF_OK && out == (qref_mode)m && st2 == QREF_OK &&
                        out2 == (qref_mode)m,
                    "mode %u: name \"%s\", from_name(\"%s\") %s %d, from_name(\"%s\") %s %d", m, n ? n : "(null)",
                    mode[m], slow_status_name(st), (int)out, up, slow_status_name(st2), (int)out2);
    }
    qref_mode om;
    CU_ASSERT_EQUAL(qref_mode_from_name("saturate", &om), QREF_ERR_ARG);
    CU_ASSERT_EQUAL(qref_mode_from_name("", &om), QREF_ERR_ARG);
    CU_ASSERT_EQUAL(qref_mode_from_name(NULL, &om), QREF_ERR_ARG);
    CU_ASSERT_PTR_NULL(qref_mode_name((qref_mode)3));

    /* status names: present, distinct, stable identifiers; messages present */
    for (unsigned s = 0; s < QREF_STATUS_COUNT; s++) {
        const char *n = qref_status_name((qref_status)s), *msg = qref_status_message((qref_status)s);
        int distinct = 1;
        for (unsigned t = 0; t < s; t++)
            distinct &= n && strcmp(n, qref_status_name((qref_status)t)) != 0;
        SLOW_ASSERT(n && *n && msg && *msg && distinct, "status %u: name \"%s\" message \"%s\" (distinct %d)", s,
                    n ? n : "(null)", msg ? msg : "(null)", distinct);
    }
    CU_ASSERT_STRING_EQUAL(qref_status_name(QREF_OK), "ok");
    CU_ASSERT_PTR_NOT_NULL(qref_status_name(QREF_STATUS_COUNT));
}

/* ---- qref_fmt_info ---------------------------------------------------------- */

/* Parses "0x7C, 0xFC" / "0x7D-0x7F, 0xFD-0xFF" / "none" into a membership
 * test; returns -1 on a syntax error. */
static int in_code_list(const char *list, uint32_t code)
{
    if (strcmp(list, "none") == 0)
        return 0;
    const char *p = list;
    while (*p) {
        char *end;
        unsigned long lo = strtoul(p, &end, 16), hi = lo;
        if (end == p)
            return -1;
        p = end;
        if (*p == '-') {
            const char *q = p + 1;
            hi = strtoul(q, &end, 16);
            if (end == q)
                return -1;
            p = end;
        }
        if (code >= lo && code <= hi)
            return 1;
        while (*p == ',' || *p == ' ')
            p++;
    }
    return 0;
}

/* The static facts of every format against ref/README.md's table and
 * against the codec: max == decode(max_code) and is the largest finite
 * value, min the smallest, min_subnormal the smallest positive value,
 * min_normal 2^(1-bias) for floats, inf_codes / nan_codes exactly the codes
 * that decode to Inf / NaN. */
static void test_props_fmt_info(void)
{
    static const struct {
        const char *name;
        unsigned bits;
        qref_fmt_kind kind;
        int is_signed, ebits, mbits, bias;
    } want[QREF_FMT_COUNT] = {
        [QREF_FMT_F32] = { "f32", 32, QREF_KIND_FLOAT, 1, 8, 23, 127 },
        [QREF_FMT_F16] = { "f16", 16, QREF_KIND_FLOAT, 1, 5, 10, 15 },
        [QREF_FMT_BF16] = { "bf16", 16, QREF_KIND_FLOAT, 1, 8, 7, 127 },
        [QREF_FMT_E4M3] = { "e4m3", 8, QREF_KIND_FLOAT, 1, 4, 3, 7 },
        [QREF_FMT_E5M2] = { "e5m2", 8, QREF_KIND_FLOAT, 1, 5, 2, 15 },
        [QREF_FMT_E2M1] = { "e2m1", 4, QREF_KIND_FLOAT, 1, 2, 1, 1 },
        [QREF_FMT_E2M3] = { "e2m3", 6, QREF_KIND_FLOAT, 1, 2, 3, 1 },
        [QREF_FMT_E3M2] = { "e3m2", 6, QREF_KIND_FLOAT, 1, 3, 2, 3 },
        [QREF_FMT_E8M0] = { "e8m0", 8, QREF_KIND_SCALE, 0, 8, 0, 127 },
        [QREF_FMT_INT8] = { "int8", 8, QREF_KIND_INT, 1, 0, 0, 0 },
        [QREF_FMT_UINT8] = { "uint8", 8, QREF_KIND_INT, 0, 0, 0, 0 },
        [QREF_FMT_INT4] = { "int4", 4, QREF_KIND_INT, 1, 0, 0, 0 },
        [QREF_FMT_UINT4] = { "uint4", 4, QREF_KIND_INT, 0, 0, 0, 0 },
        [QREF_FMT_INT3] = { "int3", 3, QREF_KIND_INT, 1, 0, 0, 0 },
        [QREF_FMT_UINT3] = { "uint3", 3, QREF_KIND_INT, 0, 0, 0, 0 },
        [QREF_FMT_INT2] = { "int2", 2, QREF_KIND_INT, 1, 0, 0, 0 },
        [QREF_FMT_UINT2] = { "uint2", 2, QREF_KIND_INT, 0, 0, 0, 0 },
        [QREF_FMT_NF4] = { "nf4", 4, QREF_KIND_CODEBOOK, 1, 0, 0, 0 },
        [QREF_FMT_NF3] = { "nf3", 3, QREF_KIND_CODEBOOK, 1, 0, 0, 0 },
        [QREF_FMT_NF2] = { "nf2", 2, QREF_KIND_CODEBOOK, 1, 0, 0, 0 },
    };
    for (unsigned f = 0; f < QREF_FMT_COUNT; f++) {
        const qref_fmt_info *i = info_of(f);
        SLOW_ASSERT(i && i->fmt == (qref_fmt)f && i->name && strcmp(i->name, want[f].name) == 0 &&
                        i->bits == want[f].bits && i->kind == want[f].kind && i->is_signed == want[f].is_signed &&
                        i->ebits == want[f].ebits && i->mbits == want[f].mbits && i->bias == want[f].bias &&
                        i->description && *i->description && i->aliases && i->inf_codes && i->nan_codes,
                    "info %s: name %s bits %u kind %d signed %d e%d m%d bias %d", want[f].name, i ? i->name : "-",
                    i ? i->bits : 0, i ? (int)i->kind : -1, i ? i->is_signed : -1, i ? i->ebits : -1,
                    i ? i->mbits : -1, i ? i->bias : -1);
        SLOW_ASSERT(qref_fmt_code_count(i) == (i->bits >= 32 ? 0 : 1u << i->bits), "%s: code count %u",
                    want[f].name, qref_fmt_code_count(i));
        float maxv;
        qref_status st = qref_decode((qref_fmt)f, QREF_CONV_OCP, i->max_code, &maxv);
        SLOW_ASSERT(st == QREF_OK && qref_f32_bits(maxv) == qref_f32_bits(i->max),
                    "%s: max %.9g but decode(max_code 0x%X) = %.9g", want[f].name, (double)i->max, i->max_code,
                    (double)maxv);
        if (f == QREF_FMT_F32) {
            CU_ASSERT(i->max == 0x1.fffffep127f && i->min == -0x1.fffffep127f && i->min_normal == 0x1p-126f &&
                      i->min_subnormal == 0x1p-149f);
            continue;
        }
        /* scan every code */
        double vmax = -INFINITY, vmin = INFINITY, vpos = INFINITY;
        unsigned long bad_list = 0;
        for (uint32_t code = 0; code < (1u << i->bits); code++) {
            float v;
            qref_decode((qref_fmt)f, QREF_CONV_OCP, code, &v);
            int is_inf = in_code_list(i->inf_codes, code), is_nan = in_code_list(i->nan_codes, code);
            if (is_inf < 0 || is_nan < 0 || is_inf != !!isinf(v) || is_nan != !!isnan(v))
                bad_list++;
            if (!isfinite(v))
                continue;
            if (v > vmax)
                vmax = v;
            if (v < vmin)
                vmin = v;
            if (v > 0 && v < vpos)
                vpos = v;
        }
        SLOW_ASSERT(bad_list == 0, "%s: inf_codes \"%s\" / nan_codes \"%s\" disagree with decode on %lu codes",
                    want[f].name, i->inf_codes, i->nan_codes, bad_list);
        SLOW_ASSERT((double)i->max == vmax && (double)i->min == vmin && (double)i->min_subnormal == vpos,
                    "%s: max %.9g min %.9g min_subnormal %.9g; decoded max %.9g min %.9g smallest positive %.9g",
                    want[f].name, (double)i->max, (double)i->min, (double)i->min_subnormal, vmax, vmin, vpos);
        double mn = i->kind == QREF_KIND_FLOAT || i->kind == QREF_KIND_SCALE
                        ? ldexp(1.0, (i->kind == QREF_KIND_SCALE ? 0 : 1) - i->bias) : 0.0;
        SLOW_ASSERT((double)i->min_normal == mn, "%s: min_normal %.9g, want %.9g", want[f].name,
                    (double)i->min_normal, mn);
    }
}

QTEST_SUITE(codec_props,
    QTEST(test_props_round_trip),
    QTEST(test_props_monotonic),
    QTEST(test_props_sign_symmetry),
    QTEST(test_props_fmt_names),
    QTEST(test_props_conv_mode_status_names),
    QTEST(test_props_fmt_info))
