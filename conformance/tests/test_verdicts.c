/* Suite verdicts: the check rules (exact with NaN payloads, signed zeros
 * and infinities; bound; ulp:N), poison and guard detection on synthetic
 * buffers, and the mistrust rule (qcts/verdict.h). */
#include "qtest.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qcts/verdict.h"

static float fb(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static const qcts_rule EXACT = { QCTS_CHECK_EXACT, 1.0, 0 };

/* Compares dense arrays of n elements; returns the violations (or -1). */
static long cmp_n(qcts_dtype d, qref_fmt code_fmt, const void *e, const void *g, size_t n, const qcts_rule *rule,
                  const float *bound, qcts_cmp *out)
{
    qcts_layout l = qcts_layout_dense(n);
    char err[256];
    qcts_cmp tmp;
    if (!out)
        out = &tmp;
    memset(out, 0, sizeof *out);
    if (qcts_compare(d, code_fmt, e, g, &l, rule, bound, out, err, sizeof err) != 0)
        return -1;
    return (long)out->violations;
}

static long f32_pair(uint32_t e, uint32_t g, const qcts_rule *rule, float bound)
{
    float x = fb(e), y = fb(g);
    return cmp_n(QCTS_DT_F32, QREF_FMT_COUNT, &x, &y, 1, rule, &bound, NULL);
}

static void test_exact_f32_specials(void)
{
    /* NaN matches NaN whatever the payload and sign. */
    QCHECK(f32_pair(0x7FC00000u, 0x7FC0DEADu, &EXACT, 0) == 0, "qNaN payloads");
    QCHECK(f32_pair(0x7FC00000u, 0xFFC00001u, &EXACT, 0) == 0, "NaN signs");
    QCHECK(f32_pair(0x7F800001u, 0x7FC00000u, &EXACT, 0) == 0, "sNaN vs qNaN");
    /* Signed zeros and infinities must match. */
    QCHECK(f32_pair(0x00000000u, 0x80000000u, &EXACT, 0) == 1, "+0 vs -0");
    QCHECK(f32_pair(0x80000000u, 0x80000000u, &EXACT, 0) == 0, "-0 vs -0");
    QCHECK(f32_pair(0x7F800000u, 0xFF800000u, &EXACT, 0) == 1, "+inf vs -inf");
    QCHECK(f32_pair(0x7F800000u, 0x7F800000u, &EXACT, 0) == 0, "+inf vs +inf");
    QCHECK(f32_pair(0x7F800000u, 0x7F7FFFFFu, &EXACT, 0) == 1, "inf vs max");
    QCHECK(f32_pair(0x7FC00000u, 0x3F800000u, &EXACT, 0) == 1, "NaN vs 1");
    QCHECK(f32_pair(0x3F800000u, 0x7FC00000u, &EXACT, 0) == 1, "1 vs NaN");
    QCHECK(f32_pair(0x3F800000u, 0x3F800001u, &EXACT, 0) == 1, "one ulp");

    /* The worst element of an exact failure is the largest ULP distance,
     * and the message names it. */
    float e[4] = { 1, 2, 3, 4 }, g[4] = { 1, fb(0x40000001u), fb(0x40400005u), 4 };
    qcts_cmp c;
    memset(&c, 0, sizeof c);
    QCHECK(cmp_n(QCTS_DT_F32, QREF_FMT_COUNT, e, g, 4, &EXACT, NULL, &c) == 2, "two differ");
    QCHECK(c.has_worst && c.worst == 2 && c.worst_ulp == 5, "worst %zu ulp %llu", c.worst,
           (unsigned long long)c.worst_ulp);
    QCHECK(c.mismatches == 2 && c.n == 4 && c.has_metrics && c.m.max_ulp == 5, "metrics");
    char msg[512];
    qcts_cmp_describe(&c, &EXACT, msg, sizeof msg);
    QCHECK(strstr(msg, "2 of 4 elements differ") && strstr(msg, "worst element 2") && strstr(msg, "5 ulp"), "%s", msg);
    /* A passing exact comparison has no worst element. */
    QCHECK(cmp_n(QCTS_DT_F32, QREF_FMT_COUNT, e, e, 4, &EXACT, NULL, &c) == 0 && !c.has_worst, "pass");
}

static void test_exact_f16_bf16(void)
{
    uint16_t e[5] = { 0x7E00, 0x0000, 0x7C00, 0x3C00, 0x7F80 };
    uint16_t g[5] = { 0x7C01, 0x8000, 0x7C00, 0x3C00, 0x7F80 };
    qcts_cmp c;
    memset(&c, 0, sizeof c);
    /* f16: NaN payloads match; +0/-0 differ; 0x7F80 is a NaN in f16 too. */
    QCHECK(cmp_n(QCTS_DT_F16, QREF_FMT_COUNT, e, g, 5, &EXACT, NULL, &c) == 1 && c.worst == 1, "f16 %zu", c.violations);
    /* bf16: 0x7E00 is a finite value (2^125 * 1.5...), 0x7C01 another. */
    QCHECK(cmp_n(QCTS_DT_BF16, QREF_FMT_COUNT, e, g, 5, &EXACT, NULL, &c) == 2, "bf16 %zu", c.violations);
    uint16_t n1[2] = { 0x7FC1, 0xFF81 }, n2[2] = { 0x7F81, 0x7FC0 };
    QCHECK(cmp_n(QCTS_DT_BF16, QREF_FMT_COUNT, n1, n2, 2, &EXACT, NULL, &c) == 0, "bf16 NaNs");
}

static void test_exact_codes(void)
{
    /* E4M3 codes: 0x7F and 0xFF are both NaN and match when the format is
     * known; as plain bytes they differ. +0 (0x00) and -0 (0x80) differ. */
    uint8_t e[3] = { 0x7F, 0x00, 0x38 }, g[3] = { 0xFF, 0x80, 0x38 };
    QCHECK(cmp_n(QCTS_DT_U8, QREF_FMT_E4M3, e, g, 3, &EXACT, NULL, NULL) == 1, "e4m3 codes");
    QCHECK(cmp_n(QCTS_DT_U8, QREF_FMT_COUNT, e, g, 3, &EXACT, NULL, NULL) == 2, "plain bytes");
    /* A NaN code matches only a NaN code: NaN vs 448 (0x7E) and back. */
    uint8_t n1[2] = { 0x7F, 0x7E }, n2[2] = { 0x7E, 0xFF };
    QCHECK(cmp_n(QCTS_DT_U8, QREF_FMT_E4M3, n1, n2, 2, &EXACT, NULL, NULL) == 2, "e4m3 NaN vs a number");
    /* E5M2 has several NaN codes; Inf (0x7C) is not one of them. */
    uint8_t a[2] = { 0x7D, 0x7C }, b[2] = { 0xFE, 0xFC };
    QCHECK(cmp_n(QCTS_DT_U8, QREF_FMT_E5M2, a, b, 2, &EXACT, NULL, NULL) == 1, "e5m2");
    /* U16 codes of f16, U32 codes of f32. */
    uint16_t h1[1] = { 0x7E00 }, h2[1] = { 0xFE01 };
    QCHECK(cmp_n(QCTS_DT_U16, QREF_FMT_F16, h1, h2, 1, &EXACT, NULL, NULL) == 0, "u16 f16 NaN");
    uint32_t w1[1] = { 0x7FC00000u }, w2[1] = { 0x7FC0DEADu };
    QCHECK(cmp_n(QCTS_DT_U32, QREF_FMT_F32, w1, w2, 1, &EXACT, NULL, NULL) == 0, "u32 f32 NaN");
    QCHECK(cmp_n(QCTS_DT_U32, QREF_FMT_COUNT, w1, w2, 1, &EXACT, NULL, NULL) == 1, "u32 plain");
    qcts_cmp c;
    memset(&c, 0, sizeof c);
    uint8_t x[4] = { 1, 2, 3, 4 }, y[4] = { 1, 9, 3, 7 };
    QCHECK(cmp_n(QCTS_DT_U8, QREF_FMT_COUNT, x, y, 4, &EXACT, NULL, &c) == 2 && c.worst == 1 && !c.has_metrics,
           "first differing code is the worst");
    QCHECK(strcmp(c.worst_expected_text, "0x02") == 0 && strcmp(c.worst_got_text, "0x09") == 0, "%s %s",
           c.worst_expected_text, c.worst_got_text);
    /* Rules other than exact do not apply to codes. */
    qcts_rule ulp = { QCTS_CHECK_ULP, 1.0, 1 }, bound = { QCTS_CHECK_BOUND, 1.0, 0 };
    float bd[4] = { 1, 1, 1, 1 };
    QCHECK(cmp_n(QCTS_DT_U8, QREF_FMT_COUNT, x, y, 4, &ulp, NULL, NULL) == -1, "ulp on codes");
    QCHECK(cmp_n(QCTS_DT_U8, QREF_FMT_COUNT, x, y, 4, &bound, bd, NULL) == -1, "bound on codes");
    QCHECK(cmp_n(QCTS_DT_F32, QREF_FMT_COUNT, bd, bd, 4, &bound, NULL, NULL) == -1, "bound without tensor");
}

static void test_bound_rule(void)
{
    qcts_rule r = { QCTS_CHECK_BOUND, 1.0, 0 };
    /* Exactly at the bound passes; just above fails. 1 + 2^-10 is exact. */
    QCHECK(f32_pair(0x3F800000u, 0x3F802000u, &r, 0x1p-10f) == 0, "at the bound");
    QCHECK(f32_pair(0x3F800000u, 0x3F802001u, &r, 0x1p-10f) == 1, "above the bound");
    QCHECK(f32_pair(0x3F800000u, 0x3F7FC000u, &r, 0x1p-10f) == 0, "below, inside");
    r.bound_c = 2.0;
    QCHECK(f32_pair(0x3F800000u, 0x3F804000u, &r, 0x1p-10f) == 0, "c = 2 doubles it");
    r.bound_c = 1.0;
    /* NaN needs NaN, Inf the same Inf, whatever the bound. */
    QCHECK(f32_pair(0x7FC00000u, 0x7FC00001u, &r, 0) == 0, "NaN vs NaN");
    QCHECK(f32_pair(0x7FC00000u, 0x3F800000u, &r, INFINITY) == 1, "NaN vs 1");
    QCHECK(f32_pair(0x3F800000u, 0x7FC00000u, &r, INFINITY) == 1, "1 vs NaN (bound inf)");
    QCHECK(f32_pair(0x7F800000u, 0x7F800000u, &r, 0) == 0, "inf vs inf");
    QCHECK(f32_pair(0x7F800000u, 0x7F7FFFFFu, &r, 1e38f) == 1, "inf vs max");
    QCHECK(f32_pair(0x7F7FFFFFu, 0x7F800000u, &r, 1e38f) == 1, "max vs inf");
    /* Zero bound: bit-exact values only (but -0 == +0 in value). */
    QCHECK(f32_pair(0x00000000u, 0x80000000u, &r, 0) == 0, "+0 vs -0 in value");
    QCHECK(f32_pair(0x3F800000u, 0x3F800001u, &r, 0) == 1, "zero bound");

    /* The worst element is the largest error / bound, passing or not. */
    float e[3] = { 1, 1, 1 }, g[3] = { 1.25f, 1.5f, 1.125f }, b[3] = { 0.5f, 1.0f, 0.125f };
    qcts_cmp c;
    memset(&c, 0, sizeof c);
    QCHECK(cmp_n(QCTS_DT_F32, QREF_FMT_COUNT, e, g, 3, &r, b, &c) == 0 && c.has_worst && c.worst == 2, "worst %zu",
           c.worst);
    b[1] = 0.25f;
    QCHECK(cmp_n(QCTS_DT_F32, QREF_FMT_COUNT, e, g, 3, &r, b, &c) == 1 && c.worst == 1, "violation worst");
    QCHECK(c.worst_allowed == 0.25 && c.worst_error == 0.5, "allowed %g error %g", c.worst_allowed, c.worst_error);
    char msg[512];
    qcts_cmp_describe(&c, &r, msg, sizeof msg);
    QCHECK(strstr(msg, "exceed the error bound") && strstr(msg, "|error| 0.5 > bound 0.25"), "%s", msg);
    /* A number where NaN is expected is the worst element (score +Inf),
     * ahead of an earlier element inside its bound. */
    float ne[2] = { 1, NAN }, ng[2] = { 1.25f, 2 }, nb[2] = { 0.5f, 1 };
    QCHECK(cmp_n(QCTS_DT_F32, QREF_FMT_COUNT, ne, ng, 2, &r, nb, &c) == 1 && c.has_worst && c.worst == 1,
           "NaN expected: worst %zu", c.worst);
    /* So is a number where Inf is expected, and a matching Inf scores 0
     * (inside its bound), not below the elements that were compared. */
    float ie[3] = { 1, INFINITY, 1 }, ig[3] = { 1.25f, 2, 1 }, ib[3] = { 0.5f, 1, 1 };
    QCHECK(cmp_n(QCTS_DT_F32, QREF_FMT_COUNT, ie, ig, 3, &r, ib, &c) == 1 && c.has_worst && c.worst == 1,
           "Inf expected: worst %zu", c.worst);
    float je[1] = { INFINITY }, jg[1] = { INFINITY }, jb[1] = { 1 };
    QCHECK(cmp_n(QCTS_DT_F32, QREF_FMT_COUNT, je, jg, 1, &r, jb, &c) == 0 && c.has_worst && c.worst == 0,
           "Inf vs Inf: has_worst %d", c.has_worst);

    /* f16 output with an f32 bound. */
    uint16_t he[1] = { 0x3C00 }, hg[1] = { 0x3C01 };
    float hb[1] = { 0x1p-10f };
    QCHECK(cmp_n(QCTS_DT_F16, QREF_FMT_COUNT, he, hg, 1, &r, hb, NULL) == 0, "f16 one ulp within 2^-10");
    hb[0] = 0x1p-11f;
    QCHECK(cmp_n(QCTS_DT_F16, QREF_FMT_COUNT, he, hg, 1, &r, hb, NULL) == 1, "f16 one ulp beyond 2^-11");
}

static void test_ulp_rule(void)
{
    qcts_rule r = { QCTS_CHECK_ULP, 1.0, 2 };
    QCHECK(f32_pair(0x3F800000u, 0x3F800002u, &r, 0) == 0, "2 ulp ok for ulp:2");
    QCHECK(f32_pair(0x3F800000u, 0x3F800003u, &r, 0) == 1, "3 ulp fail for ulp:2");
    QCHECK(f32_pair(0x00000001u, 0x80000001u, &r, 0) == 0, "across zero: 2 ulp");
    QCHECK(f32_pair(0x7FC00000u, 0x7FC00001u, &r, 0) == 0, "NaN vs NaN");
    QCHECK(f32_pair(0x7FC00000u, 0x3F800000u, &r, 0) == 1, "NaN vs number");
    QCHECK(f32_pair(0x7F7FFFFFu, 0x7F800000u, &r, 0) == 0, "max to inf is 1 ulp");
    r.ulp = 0;
    QCHECK(f32_pair(0x3F800000u, 0x3F800001u, &r, 0) == 1, "ulp:0 is exact");
    QCHECK(f32_pair(0x00000000u, 0x80000000u, &r, 0) == 0, "ulp:0: zeros are 0 ulp apart");
    /* bf16: ulps of the output format. */
    r.ulp = 1;
    uint16_t e[2] = { 0x3F80, 0x3F80 }, g[2] = { 0x3F81, 0x3F82 };
    qcts_cmp c;
    memset(&c, 0, sizeof c);
    QCHECK(cmp_n(QCTS_DT_BF16, QREF_FMT_COUNT, e, g, 2, &r, NULL, &c) == 1 && c.worst == 1 && c.worst_ulp == 2,
           "bf16 ulp");
    char msg[512];
    qcts_cmp_describe(&c, &r, msg, sizeof msg);
    QCHECK(strstr(msg, "2 ulp > 1 ulp") != NULL, "%s", msg);
    /* Without a violation the worst element is the one closest to the
     * limit: for ulp:1, the element 1 ulp off, not the first. */
    float fe[2] = { 1.0f, 1.0f }, fg[2] = { 1.0f, fb(0x3F800001u) };
    QCHECK(cmp_n(QCTS_DT_F32, QREF_FMT_COUNT, fe, fg, 2, &r, NULL, &c) == 0 && c.has_worst && c.worst == 1
           && c.worst_ulp == 1, "ulp:1 worst %zu ulp %llu", c.worst, (unsigned long long)c.worst_ulp);
    /* ulp:0 with every element equal still names a worst element (score 0). */
    r.ulp = 0;
    QCHECK(cmp_n(QCTS_DT_F32, QREF_FMT_COUNT, fe, fe, 2, &r, NULL, &c) == 0 && c.has_worst && c.worst == 0
           && c.worst_ulp == 0, "ulp:0 equal: has_worst %d", c.has_worst);
}

static void test_layout_padding(void)
{
    /* 2 rows of 2, ld 3: elements 2 and 5 are padding and never compared. */
    float e[6] = { 1, 2, 99, 3, 4, 99 }, g[6] = { 1, 2, -7, 3, 4, NAN };
    qcts_layout l = { 2, 2, 3 };
    qcts_cmp c;
    memset(&c, 0, sizeof c);
    char err[128];
    QCHECK(qcts_compare(QCTS_DT_F32, QREF_FMT_COUNT, e, g, &l, &EXACT, NULL, &c, err, sizeof err) == 0
           && c.violations == 0 && c.n == 4 && c.has_metrics && c.m.n == 4, "padding ignored");
    QCHECK(qcts_layout_is_padding(&l, 2) && qcts_layout_is_padding(&l, 5) && !qcts_layout_is_padding(&l, 3), "pad");
    g[4] = 5;
    QCHECK(qcts_compare(QCTS_DT_F32, QREF_FMT_COUNT, e, g, &l, &EXACT, NULL, &c, err, sizeof err) == 0
           && c.violations == 1 && c.worst == 4, "index counts the padding");
    /* The metrics see the data elements only (gathered row by row): the
     * NaN and -7 in the padding count nowhere, the error 1 of element 4 is
     * the 4th data element (index 3). */
    QCHECK(c.has_metrics && c.m.n == 4 && c.m.mismatches == 1 && c.m.nonfinite == 0 && c.m.max_abs == 1.0
           && c.m.max_abs_index == 3, "metrics: n %zu mism %zu nonfinite %zu max_abs %g at %zu", c.m.n,
           c.m.mismatches, c.m.nonfinite, c.m.max_abs, c.m.max_abs_index);
    /* 3 rows of 2, ld 4 (more rows than the ld, so a wrong row offset shows) */
    float e3[12] = { 1, 2, 9, 9, 3, 4, 9, 9, 5, 6, 9, 9 }, g3[12] = { 1, 2, NAN, -1, 3, 4, 0, 0, 5, 8, NAN, NAN };
    qcts_layout l3 = { 3, 2, 4 };
    QCHECK(qcts_compare(QCTS_DT_F32, QREF_FMT_COUNT, e3, g3, &l3, &EXACT, NULL, &c, err, sizeof err) == 0
           && c.violations == 1 && c.worst == 9 && c.m.n == 6 && c.m.mismatches == 1 && c.m.nonfinite == 0
           && c.m.max_abs == 2.0 && c.m.max_abs_index == 5, "3x2 ld 4: worst %zu max_abs %g at %zu nonfinite %zu",
           c.worst, c.m.max_abs, c.m.max_abs_index, c.m.nonfinite);
}

/* The metrics of f16 and bf16 outputs read the codes in their own format:
 * 0x3C00 -> 0x3C02 is 2 ulp of f16 (2^-9 apart), 0x3F80 -> 0x3F82 2 ulp of
 * bf16 (2^-6 apart); read in the other format the values differ. */
static void test_metrics_format(void)
{
    char err[128];
    qcts_cmp c;
    const qcts_rule ulp4 = { QCTS_CHECK_ULP, 1.0, 4 };
    uint16_t he[2] = { 0x3C00, 0x4000 }, hg[2] = { 0x3C02, 0x4000 };
    qcts_layout l = qcts_layout_dense(2);
    QCHECK(qcts_compare(QCTS_DT_F16, QREF_FMT_COUNT, he, hg, &l, &ulp4, NULL, &c, err, sizeof err) == 0
           && c.violations == 0 && c.has_metrics && c.m.max_ulp == 2 && c.m.max_abs == 0x1p-9, "f16: ulp %llu abs %a",
           (unsigned long long)c.m.max_ulp, c.m.max_abs);
    uint16_t be[2] = { 0x3F80, 0x4000 }, bg[2] = { 0x3F82, 0x4000 };
    QCHECK(qcts_compare(QCTS_DT_BF16, QREF_FMT_COUNT, be, bg, &l, &ulp4, NULL, &c, err, sizeof err) == 0
           && c.violations == 0 && c.has_metrics && c.m.max_ulp == 2 && c.m.max_abs == 0x1p-6, "bf16: ulp %llu abs %a",
           (unsigned long long)c.m.max_ulp, c.m.max_abs);
    /* 0x7C01 is a NaN in f16 but 2^121-ish in bf16: the metrics count it as non-finite */
    uint16_t ne[1] = { 0x7C01 }, ng[1] = { 0x7C01 };
    qcts_layout l1 = qcts_layout_dense(1);
    QCHECK(qcts_compare(QCTS_DT_F16, QREF_FMT_COUNT, ne, ng, &l1, &EXACT, NULL, &c, err, sizeof err) == 0
           && c.has_metrics && c.m.nonfinite == 1, "f16 NaN: nonfinite %zu", c.m.nonfinite);
}

static void test_poison_patterns(void)
{
    static const qcts_dtype all[] = { QCTS_DT_F32, QCTS_DT_F16, QCTS_DT_BF16, QCTS_DT_U8, QCTS_DT_U16, QCTS_DT_U32 };
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) {
        uint8_t p0[4], p1[4];
        qcts_poison_element(all[k], 0, p0);
        qcts_poison_element(all[k], 1, p1);
        size_t s = qcts_dtype_size(all[k]);
        for (size_t b = 0; b < s; b++)
            QCHECK(p0[b] != p1[b], "dtype %d byte %zu same in both poisons", (int)all[k], b);
    }
    /* The float poisons are NaNs no codec produces: low payload bits set. */
    uint8_t p[4];
    qcts_poison_element(QCTS_DT_F32, 0, p);
    uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    QCHECK(isnan(fb(u)) && (u & 0x1FFFu) != 0 && u != 0x7FC00000u, "f32 poison %08x", u);
    qcts_poison_element(QCTS_DT_F16, 0, p);
    QCHECK(((p[1] & 0x7C) == 0x7C) && ((p[0] | (p[1] & 3)) != 0), "f16 poison is NaN");
    for (int v = 0; v < 2; v++) {
        for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) {
            uint8_t buf[64];
            qcts_poison_fill(buf, sizeof buf, all[k], v);
            size_t n = sizeof buf / qcts_dtype_size(all[k]);
            for (size_t i = 0; i < n; i++)
                QCHECK(qcts_poison_at(buf, i, all[k], v) && !qcts_poison_at(buf, i, all[k], !v), "fill %zu", i);
        }
    }
}

/* The harness's "not written" rule on synthetic outputs: an element is
 * unwritten when it holds poison 0 after call 1 and poison 1 after call 2.
 * A written element that happens to equal poison 0 is never flagged. */
static void test_unwritten_rule(void)
{
    uint8_t c1[8], c2[8];
    qcts_poison_fill(c1, 8, QCTS_DT_U8, 0);
    qcts_poison_fill(c2, 8, QCTS_DT_U8, 1);
    uint8_t p0[4];
    qcts_poison_element(QCTS_DT_U8, 0, p0);
    for (int i = 0; i < 7; i++)          /* element 7 never written */
        c1[i] = c2[i] = (uint8_t)(i == 3 ? p0[0] : 10 + i);  /* 3 legitimately equals poison 0 */
    int flagged[8];
    for (int i = 0; i < 8; i++)
        flagged[i] = qcts_poison_at(c1, (size_t)i, QCTS_DT_U8, 0) && qcts_poison_at(c2, (size_t)i, QCTS_DT_U8, 1);
    QCHECK(flagged[7] && !flagged[3] && !flagged[0], "flagged 3=%d 7=%d", flagged[3], flagged[7]);
    /* F32: a NaN expected value would match a NaN poison under the exact
     * rule, so only the two-poison test can catch the unwritten element. */
    float e[1] = { NAN }, g1[1], g2[1];
    qcts_poison_fill(g1, 4, QCTS_DT_F32, 0);
    qcts_poison_fill(g2, 4, QCTS_DT_F32, 1);
    QCHECK(cmp_n(QCTS_DT_F32, QREF_FMT_COUNT, e, g1, 1, &EXACT, NULL, NULL) == 0, "NaN poison passes exact");
    QCHECK(qcts_poison_at(g1, 0, QCTS_DT_F32, 0) && qcts_poison_at(g2, 0, QCTS_DT_F32, 1), "but is caught");
}

static void test_guards(void)
{
    for (int v = 0; v < 2; v++) {
        qcts_guarded g;
        QCHECK(qcts_guarded_alloc(&g, 40, QCTS_DT_F32) == 0, "alloc");
        QCHECK(((uintptr_t)g.data & 63) == 0, "aligned");
        qcts_guarded_arm(&g, v);
        int64_t byte = 0;
        QCHECK(qcts_guarded_check(&g, v, &byte) == 0, "intact");
        QCHECK(qcts_poison_at(g.data, 9, QCTS_DT_F32, v), "poisoned");
        memset(g.data, 0, 40);             /* writing the whole buffer is fine */
        QCHECK(qcts_guarded_check(&g, v, &byte) == 0, "inside writes");
        g.data[40] ^= 1;                   /* one byte past the end */
        QCHECK(qcts_guarded_check(&g, v, &byte) == 1 && byte == 40, "past end at %lld", (long long)byte);
        qcts_guarded_arm(&g, v);
        g.data[40 + 63] ^= 0x80;           /* the last guard byte */
        QCHECK(qcts_guarded_check(&g, v, &byte) == 1 && byte == 103, "far past end at %lld", (long long)byte);
        qcts_guarded_arm(&g, v);
        g.data[-1] ^= 0xFF;                /* one byte before the start */
        QCHECK(qcts_guarded_check(&g, v, &byte) == 1 && byte == -1, "before start at %lld", (long long)byte);
        qcts_guarded_arm(&g, v);
        g.data[-64] = (uint8_t)~g.data[-64];
        QCHECK(qcts_guarded_check(&g, v, &byte) == 1 && byte == -64, "first guard byte %lld", (long long)byte);
        /* A guard armed for one variant is not intact for the other. */
        qcts_guarded_arm(&g, v);
        QCHECK(qcts_guarded_check(&g, !v, &byte) == 1, "variants differ");
        qcts_guarded_free(&g);
    }
    /* The guard pattern differs between variants at every byte and is not
     * constant along the guard. */
    int varies = 0;
    for (size_t k = 0; k < QCTS_GUARD_BYTES; k++) {
        QCHECK(qcts_guard_byte(k, 0) != qcts_guard_byte(k, 1), "guard byte %zu", k);
        varies |= k && qcts_guard_byte(k, 0) != qcts_guard_byte(0, 0);
    }
    QCHECK(varies, "guard pattern constant");
    qcts_guarded z;
    QCHECK(qcts_guarded_alloc(&z, 0, QCTS_DT_U8) == 0, "empty buffer");
    qcts_guarded_arm(&z, 0);
    int64_t byte;
    z.data[0] ^= 1;
    QCHECK(qcts_guarded_check(&z, 0, &byte) == 1 && byte == 0, "empty: any write is past the end");
    qcts_guarded_free(&z);
}

static void test_mistrust(void)
{
    char why[256];
    float e[10] = { 0 };
    qcts_layout l = qcts_layout_dense(10);
    QCHECK(qcts_mistrust(1, QCTS_DT_F32, e, &l, why, sizeof why) && strstr(why, "degenerate"), "%s", why);
    e[0] = 1;                              /* 9 of 10 zeros: 90% */
    QCHECK(qcts_mistrust(0, QCTS_DT_F32, e, &l, why, sizeof why) && strstr(why, "90% zeros (9 of 10"), "%s", why);
    e[1] = 2;                              /* 80% */
    QCHECK(!qcts_mistrust(0, QCTS_DT_F32, e, &l, why, sizeof why), "80%% is trusted");
    e[1] = -0.0f;                          /* -0 counts as zero */
    QCHECK(qcts_mistrust(0, QCTS_DT_F32, e, &l, why, sizeof why), "-0 is a zero");
    /* Padding does not count: 2 rows of 1 element, ld 5. */
    float p[10] = { 1, 0, 0, 0, 0, 2, 0, 0, 0, 0 };
    qcts_layout pl = { 2, 1, 5 };
    QCHECK(!qcts_mistrust(0, QCTS_DT_F32, p, &pl, why, sizeof why), "padding ignored");
    uint16_t h[4] = { 0x8000, 0x0000, 0x0000, 0x0000 };
    qcts_layout l4 = qcts_layout_dense(4);
    QCHECK(qcts_mistrust(0, QCTS_DT_BF16, h, &l4, why, sizeof why) && strstr(why, "100%"), "%s", why);
    uint8_t codes[4] = { 0, 0, 0, 0x80 };
    QCHECK(!qcts_mistrust(0, QCTS_DT_U8, codes, &l4, why, sizeof why), "codes: 0x80 is not 0 (75%%)");
    qcts_layout l0 = qcts_layout_dense(0);
    QCHECK(!qcts_mistrust(0, QCTS_DT_F32, e, &l0, why, sizeof why), "empty output");
    /* The smallest subnormals are not zeros (80%: trusted). */
    e[1] = fb(0x00000001u);
    QCHECK(!qcts_mistrust(0, QCTS_DT_F32, e, &l, why, sizeof why), "f32 2^-149 is not a zero: %s", why);
    uint16_t hs[10] = { 0x3C00, 0x0001 };   /* 80% */
    QCHECK(!qcts_mistrust(0, QCTS_DT_F16, hs, &l, why, sizeof why), "f16 2^-24 is not a zero: %s", why);
}

static void test_names_and_kl(void)
{
    for (int v = 0; v < QCTS_V_COUNT; v++) {
        qcts_verdict back;
        QCHECK(qcts_verdict_from_name(qcts_verdict_name((qcts_verdict)v), &back) == 0 && back == (qcts_verdict)v,
               "verdict %d", v);
    }
    QCHECK(qcts_verdict_name(QCTS_V_COUNT) == NULL, "out of range");
    QCHECK(strcmp(qcts_verdict_name(QCTS_V_MISTRUSTED), "MISTRUSTED") == 0, "name");
    qcts_verdict v;
    QCHECK(qcts_verdict_from_name("pass", &v) == -1, "case-sensitive");
    float a[6] = { 1, 2, 3, 4, 5, 6 }, b[6] = { 1, 2, 3, 4, 5, 7 };
    qcts_layout l = { 2, 3, 3 };
    QCHECK(qcts_rows_kl(QCTS_DT_F32, a, a, &l) == 0, "KL of equal rows");
    double kl = qcts_rows_kl(QCTS_DT_F32, a, b, &l);
    QCHECK(kl > 0 && kl < 1, "kl %g", kl);
    b[0] = INFINITY;
    QCHECK(isnan(qcts_rows_kl(QCTS_DT_F32, a, b, &l)), "non-finite gives NaN");
    uint8_t c[6] = { 0 };
    QCHECK(isnan(qcts_rows_kl(QCTS_DT_U8, c, c, &l)), "codes give NaN");
    /* Only l->rows rows count: one row of 3 (ld 3) of buffers whose second
     * row differs has KL 0. */
    b[0] = 1;
    qcts_layout l1 = { 1, 3, 3 };
    QCHECK(qcts_rows_kl(QCTS_DT_F32, a, b, &l1) == 0.0, "rows past l->rows are not read");
}

/* A rule that cannot apply is an error with a message naming it (never a
 * verdict): ulp on integer codes, bound without a bound tensor, an unknown
 * rule kind (a corrupted or newer case file). */
/* Element texts: the value and every hex digit of the code (2 per byte). */
static void test_element_text(void)
{
    char t[64];
    const uint16_t h = 0x0001;
    const uint32_t f = 0x00000001u;
    const uint8_t b = 0x05;
    qcts_element_text(QCTS_DT_F16, &h, 0, t, sizeof t);
    QCHECK(strstr(t, "(0x0001)") != NULL, "f16: %s", t);
    qcts_element_text(QCTS_DT_F32, &f, 0, t, sizeof t);
    QCHECK(strstr(t, "(0x00000001)") != NULL, "f32: %s", t);
    qcts_element_text(QCTS_DT_U8, &b, 0, t, sizeof t);
    QCHECK(strcmp(t, "0x05") == 0, "u8: %s", t);
}

static void test_rule_errors(void)
{
    uint8_t ce[1] = { 1 }, cg[1] = { 1 };
    float e[1] = { 1 }, g[1] = { 1 };
    qcts_layout l = qcts_layout_dense(1);
    char err[256];
    qcts_cmp c;
    const qcts_rule ulp = { QCTS_CHECK_ULP, 1.0, 2 }, bound = { QCTS_CHECK_BOUND, 1.0, 0 },
                    unknown = { (qcts_check_kind)42, 1.0, 0 };
    err[0] = 'x';
    QCHECK(qcts_compare(QCTS_DT_U8, QREF_FMT_COUNT, ce, cg, &l, &ulp, NULL, &c, err, sizeof err) == -1 &&
               strstr(err, "check rule ulp needs a float output, the output is u8"),
           "ulp on u8: %s", err);
    QCHECK(qcts_compare(QCTS_DT_F32, QREF_FMT_COUNT, e, g, &l, &bound, NULL, &c, err, sizeof err) == -1 &&
               strstr(err, "check rule bound without a bound tensor"),
           "bound without a tensor: %s", err);
    QCHECK(qcts_compare(QCTS_DT_F32, QREF_FMT_COUNT, e, g, &l, &unknown, e, &c, err, sizeof err) == -1 &&
               strstr(err, "unknown check rule 42"),
           "unknown rule: %s", err);
}

QTEST_SUITE(verdicts,
    QTEST(test_exact_f32_specials),
    QTEST(test_exact_f16_bf16),
    QTEST(test_exact_codes),
    QTEST(test_bound_rule),
    QTEST(test_ulp_rule),
    QTEST(test_layout_padding),
    QTEST(test_metrics_format),
    QTEST(test_poison_patterns),
    QTEST(test_unwritten_rule),
    QTEST(test_guards),
    QTEST(test_mistrust),
    QTEST(test_names_and_kl),
    QTEST(test_rule_errors),
    QTEST(test_element_text))
