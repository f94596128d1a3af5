/* Suite metrics: qcts/metrics.h against values worked out by hand,
 * including NaN, infinities, signed zeros and all-zero vectors. */
#include "qtest.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "qcts/metrics.h"

static float f32_from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* Equal within a relative 1e-14 (the sums here are short), or both NaN, or
 * the same infinity. */
static int near(double got, double want)
{
    if (isnan(want))
        return isnan(got);
    if (isinf(want))
        return got == want;
    return fabs(got - want) <= 1e-14 * fabs(want) + 1e-300;
}

#define CHECK_NEAR(got, want) QCHECK(near((got), (want)), "%s = %.17g, want %.17g", #got, (double)(got), (double)(want))
#define CHECK_U64(got, want) \
    QCHECK((got) == (want), "%s = %llu, want %llu", #got, (unsigned long long)(got), (unsigned long long)(want))

/* expected {1,2,3,4}, got {1,2.5,2,4}: d = {0, .5, -1, 0}, sum d^2 = 1.25,
 * sum e^2 = 30, sum g^2 = 27.25, sum e*g = 28. */
static void test_hand_computed(void)
{
    const float e[] = { 1, 2, 3, 4 }, g[] = { 1, 2.5f, 2, 4 };
    qcts_metrics m;
    qcts_metrics_compute(e, g, 4, &m);
    CHECK_U64(m.n, 4u);
    CHECK_U64(m.mismatches, 2u);
    CHECK_U64(m.nonfinite, 0u);
    CHECK_NEAR(m.max_abs, 1.0);
    CHECK_U64(m.max_abs_index, 2u);
    CHECK_NEAR(m.max_rel, 1.0 / 3.0);
    /* 3.0f = 0x40400000, 2.0f = 0x40000000; 2.5f = 0x40200000 */
    CHECK_U64(m.max_ulp, 0x400000u);
    CHECK_U64(m.max_ulp_index, 2u);
    CHECK_NEAR(m.mse, 0.3125);
    CHECK_NEAR(m.nmse, 1.25 / 30.0);
    CHECK_NEAR(m.cosine, 28.0 / sqrt(30.0 * 27.25));
    CHECK_NEAR(m.snr_db, 10.0 * log10(24.0));
    QCHECK(fabs(m.snr_db - 13.802112417116060) < 1e-12, "snr %.17g", m.snr_db);

    /* the single-metric functions agree with the struct */
    CHECK_U64(qcts_count_mismatches(e, g, 4), 2u);
    CHECK_NEAR(qcts_max_abs_error(e, g, 4), 1.0);
    CHECK_NEAR(qcts_max_rel_error(e, g, 4), 1.0 / 3.0);
    CHECK_U64(qcts_max_ulp_f32(e, g, 4), 0x400000u);
    CHECK_NEAR(qcts_mse(e, g, 4), 0.3125);
    CHECK_NEAR(qcts_nmse(e, g, 4), 1.25 / 30.0);
    CHECK_NEAR(qcts_cosine(e, g, 4), 28.0 / sqrt(817.5));
    CHECK_NEAR(qcts_snr_db(e, g, 4), 10.0 * log10(24.0));

    /* identical arrays */
    qcts_metrics_compute(e, e, 4, &m);
    CHECK_U64(m.mismatches, 0u);
    CHECK_NEAR(m.max_abs, 0.0);
    CHECK_NEAR(m.mse, 0.0);
    CHECK_NEAR(m.nmse, 0.0);
    CHECK_NEAR(m.cosine, 1.0);
    CHECK_NEAR(m.snr_db, INFINITY);

    /* opposite vectors: cosine -1 exactly (clamped) */
    const float neg[] = { -1, -2, -3, -4 };
    CHECK_NEAR(qcts_cosine(e, neg, 4), -1.0);

    /* the double-array energy metrics */
    const double ed[] = { 1, 2, 3, 4 }, gd[] = { 1, 2.5, 2, 4 };
    double mse, nmse, cosv, snr;
    qcts_metrics_energy_f64(ed, gd, 4, &mse, &nmse, &cosv, &snr);
    CHECK_NEAR(mse, 0.3125);
    CHECK_NEAR(nmse, 1.25 / 30.0);
    CHECK_NEAR(cosv, 28.0 / sqrt(817.5));
    CHECK_NEAR(snr, 10.0 * log10(24.0));
}

static void test_zero_vectors(void)
{
    const float z[] = { 0, 0 }, nz[] = { -0.0f, 0 }, one[] = { 1, 0 };
    qcts_metrics m;
    /* both zero: perfect agreement */
    qcts_metrics_compute(z, z, 2, &m);
    CHECK_NEAR(m.cosine, 1.0);
    CHECK_NEAR(m.nmse, 0.0);
    CHECK_NEAR(m.mse, 0.0);
    CHECK_NEAR(m.snr_db, INFINITY);
    /* +0 vs -0: a bit mismatch, but no error of any kind */
    qcts_metrics_compute(z, nz, 2, &m);
    CHECK_U64(m.mismatches, 1u);
    CHECK_NEAR(m.max_abs, 0.0);
    CHECK_NEAR(m.max_rel, 0.0);
    CHECK_U64(m.max_ulp, 0u);
    CHECK_NEAR(m.cosine, 1.0);
    /* expected zero, got not: cosine undefined (NaN), nmse +Inf, snr -Inf,
     * relative error +Inf */
    qcts_metrics_compute(z, one, 2, &m);
    CHECK_NEAR(m.cosine, NAN);
    CHECK_NEAR(m.nmse, INFINITY);
    CHECK_NEAR(m.snr_db, -INFINITY);
    CHECK_NEAR(m.mse, 0.5);
    CHECK_NEAR(m.max_abs, 1.0);
    CHECK_NEAR(m.max_rel, INFINITY);
    /* got zero, expected not: cosine NaN, nmse 1, snr 0 dB */
    qcts_metrics_compute(one, z, 2, &m);
    CHECK_NEAR(m.cosine, NAN);
    CHECK_NEAR(m.nmse, 1.0);
    CHECK_NEAR(m.snr_db, 0.0);
    CHECK_NEAR(m.max_rel, 1.0);
    /* n == 0: two empty (all-zero) vectors */
    qcts_metrics_compute(z, z, 0, &m);
    CHECK_U64(m.n, 0u);
    CHECK_U64(m.mismatches, 0u);
    CHECK_NEAR(m.cosine, 1.0);
    CHECK_NEAR(m.mse, 0.0);
    CHECK_NEAR(m.nmse, 0.0);
}

static void test_nan_inf(void)
{
    const float qnan = f32_from_bits(0x7FC00000u), other_nan = f32_from_bits(0xFFC00001u);
    qcts_metrics m;
    /* NaN matches NaN whatever the payload and sign; energy metrics NaN */
    const float e1[] = { 1, qnan, 3 }, g1[] = { 1, other_nan, 3 };
    qcts_metrics_compute(e1, g1, 3, &m);
    CHECK_U64(m.mismatches, 0u);
    CHECK_U64(m.nonfinite, 1u);
    CHECK_NEAR(m.max_abs, 0.0);
    CHECK_NEAR(m.max_rel, 0.0);
    CHECK_U64(m.max_ulp, 0u);
    CHECK_NEAR(m.mse, NAN);
    CHECK_NEAR(m.nmse, NAN);
    CHECK_NEAR(m.cosine, NAN);
    CHECK_NEAR(m.snr_db, NAN);
    /* a NaN where a number was expected */
    const float e2[] = { 1, 2 }, g2[] = { 1, qnan };
    qcts_metrics_compute(e2, g2, 2, &m);
    CHECK_U64(m.mismatches, 1u);
    CHECK_NEAR(m.max_abs, INFINITY);
    CHECK_U64(m.max_abs_index, 1u);
    CHECK_NEAR(m.max_rel, INFINITY);
    CHECK_U64(m.max_ulp, QCTS_ULP_NAN);
    CHECK_NEAR(m.mse, NAN);
    /* a number where NaN was expected */
    qcts_metrics_compute(g2, e2, 2, &m);
    CHECK_U64(m.mismatches, 1u);
    CHECK_NEAR(m.max_abs, INFINITY);
    CHECK_U64(m.max_ulp, QCTS_ULP_NAN);
    /* equal infinities match; Inf vs FLT_MAX is one ULP but an infinite error */
    const float e3[] = { INFINITY, -INFINITY }, g3[] = { INFINITY, -INFINITY };
    qcts_metrics_compute(e3, g3, 2, &m);
    CHECK_U64(m.mismatches, 0u);
    CHECK_NEAR(m.max_abs, 0.0);
    CHECK_NEAR(m.max_rel, 0.0);
    CHECK_U64(m.max_ulp, 0u);
    CHECK_U64(m.nonfinite, 2u);
    CHECK_NEAR(m.cosine, NAN);
    const float g4[] = { FLT_MAX, -INFINITY };
    qcts_metrics_compute(e3, g4, 2, &m);
    CHECK_U64(m.mismatches, 1u);
    CHECK_NEAR(m.max_abs, INFINITY);
    CHECK_NEAR(m.max_rel, INFINITY);
    CHECK_U64(m.max_ulp, 1u);
    /* +Inf vs -Inf */
    const float g5[] = { -INFINITY, -INFINITY };
    qcts_metrics_compute(e3, g5, 2, &m);
    CHECK_U64(m.max_ulp, 2u * 0x7F800000u);
    CHECK_NEAR(m.max_abs, INFINITY);
}

static void test_ulp_f32(void)
{
    const float min_sub = f32_from_bits(1), qnan = f32_from_bits(0x7FC00000u);
    CHECK_U64(qcts_ulp_distance_f32(1.0f, 1.0f), 0u);
    CHECK_U64(qcts_ulp_distance_f32(1.0f, nextafterf(1.0f, 2.0f)), 1u);
    CHECK_U64(qcts_ulp_distance_f32(nextafterf(1.0f, 0.0f), 1.0f), 1u);
    /* across zero: +0 and -0 are the same point */
    CHECK_U64(qcts_ulp_distance_f32(0.0f, -0.0f), 0u);
    CHECK_U64(qcts_ulp_distance_f32(min_sub, -min_sub), 2u);
    CHECK_U64(qcts_ulp_distance_f32(-min_sub, 0.0f), 1u);
    CHECK_U64(qcts_ulp_distance_f32(-1.0f, 1.0f), 2u * 0x3F800000u);
    CHECK_U64(qcts_ulp_distance_f32(FLT_MIN, f32_from_bits(0x007FFFFFu)), 1u);
    /* at infinity */
    CHECK_U64(qcts_ulp_distance_f32(FLT_MAX, INFINITY), 1u);
    CHECK_U64(qcts_ulp_distance_f32(-INFINITY, -FLT_MAX), 1u);
    CHECK_U64(qcts_ulp_distance_f32(INFINITY, INFINITY), 0u);
    CHECK_U64(qcts_ulp_distance_f32(-INFINITY, INFINITY), 2u * 0x7F800000u);
    /* NaN */
    CHECK_U64(qcts_ulp_distance_f32(qnan, f32_from_bits(0xFF800001u)), 0u);
    CHECK_U64(qcts_ulp_distance_f32(qnan, 1.0f), QCTS_ULP_NAN);
    CHECK_U64(qcts_ulp_distance_f32(INFINITY, qnan), QCTS_ULP_NAN);
}

static void test_ulp_f16_bf16(void)
{
    /* f16: 0x7BFF = 65504, 0x7C00 = Inf, 0x7C01.. NaN */
    CHECK_U64(qcts_ulp_distance_f16(0x3C00, 0x3C01), 1u);
    CHECK_U64(qcts_ulp_distance_f16(0x7BFF, 0x7C00), 1u);
    CHECK_U64(qcts_ulp_distance_f16(0x0001, 0x8001), 2u);
    CHECK_U64(qcts_ulp_distance_f16(0x0000, 0x8000), 0u);
    CHECK_U64(qcts_ulp_distance_f16(0x3C00, 0xBC00), 2u * 0x3C00u);
    CHECK_U64(qcts_ulp_distance_f16(0xFC00, 0x7C00), 2u * 0x7C00u);
    CHECK_U64(qcts_ulp_distance_f16(0x7E00, 0xFC01), 0u);
    CHECK_U64(qcts_ulp_distance_f16(0x7C00, 0x7C01), QCTS_ULP_NAN);
    /* bf16: 0x7F7F = largest finite, 0x7F80 = Inf, 0x7F81.. NaN */
    CHECK_U64(qcts_ulp_distance_bf16(0x7F7F, 0x7F80), 1u);
    CHECK_U64(qcts_ulp_distance_bf16(0x0001, 0x8001), 2u);
    CHECK_U64(qcts_ulp_distance_bf16(0x3F80, 0xBF80), 2u * 0x3F80u);
    CHECK_U64(qcts_ulp_distance_bf16(0x7FC0, 0xFF81), 0u);
    CHECK_U64(qcts_ulp_distance_bf16(0x7F80, 0x7FC0), QCTS_ULP_NAN);
    /* 0x7C01 is a NaN in f16 but a finite number in bf16 */
    CHECK_U64(qcts_ulp_distance_bf16(0x7C00, 0x7C01), 1u);
}

static void test_compute_as(void)
{
    qcts_metrics m;
    const uint16_t eh[] = { 0x3C00, 0x4000 }, gh[] = { 0x3C01, 0x4000 };
    QCHECK(qcts_metrics_compute_as(QREF_FMT_F16, eh, gh, 2, &m) == 0, "f16 accepted");
    CHECK_U64(m.mismatches, 1u);
    CHECK_U64(m.max_ulp, 1u);
    CHECK_U64(m.max_ulp_index, 0u);
    CHECK_NEAR(m.max_abs, ldexp(1.0, -10));
    CHECK_NEAR(m.mse, ldexp(1.0, -21));
    const uint16_t eb[] = { 0x3F80 }, gb[] = { 0x3F81 };
    QCHECK(qcts_metrics_compute_as(QREF_FMT_BF16, eb, gb, 1, &m) == 0, "bf16 accepted");
    CHECK_U64(m.max_ulp, 1u);
    CHECK_NEAR(m.max_abs, ldexp(1.0, -7));
    CHECK_NEAR(m.max_rel, ldexp(1.0, -7));
    /* f16 NaNs of different payloads match; an f16 NaN vs Inf does not */
    const uint16_t en[] = { 0x7E00, 0x7C00 }, gn[] = { 0xFE01, 0x7E00 };
    QCHECK(qcts_metrics_compute_as(QREF_FMT_F16, en, gn, 2, &m) == 0, "f16 accepted");
    CHECK_U64(m.mismatches, 1u);
    CHECK_U64(m.max_ulp, QCTS_ULP_NAN);
    CHECK_U64(m.max_ulp_index, 1u);
    /* other formats are refused and m is left alone */
    m.n = 12345;
    QCHECK(qcts_metrics_compute_as(QREF_FMT_E4M3, eh, gh, 2, &m) == -1, "e4m3 refused");
    CHECK_U64(m.n, 12345u);
}

static void test_kl(void)
{
    const double p[] = { 0.5, 0.5 }, q[] = { 0.25, 0.75 };
    /* 0.5 ln(0.5/0.25) + 0.5 ln(0.5/0.75) = 0.5 ln(4/3) */
    CHECK_NEAR(qcts_kl_div(p, q, 2), 0.5 * log(4.0 / 3.0));
    QCHECK(fabs(qcts_kl_div(p, q, 2) - 0.14384103622589045) < 1e-16, "KL literal");
    CHECK_NEAR(qcts_kl_div(p, p, 2), 0.0);
    const float pf[] = { 0.5f, 0.5f }, qf[] = { 0.25f, 0.75f };
    CHECK_NEAR(qcts_kl_div_f32(pf, qf, 2), 0.5 * log(4.0 / 3.0));
    CHECK_NEAR(qcts_kl_div_f32(qf, qf, 2), 0.0);
    /* zero terms of p contribute nothing; q_i = 0 under p_i > 0 is +Inf */
    const double p01[] = { 0.0, 1.0 }, q10[] = { 1.0, 0.0 };
    CHECK_NEAR(qcts_kl_div(p01, p, 2), log(2.0));
    CHECK_NEAR(qcts_kl_div(p, q10, 2), INFINITY);
    /* invalid inputs */
    const double neg[] = { -0.5, 1.5 }, withnan[] = { NAN, 1.0 };
    CHECK_NEAR(qcts_kl_div(neg, p, 2), NAN);
    CHECK_NEAR(qcts_kl_div(p, withnan, 2), NAN);
    CHECK_NEAR(qcts_kl_div(p, q, 0), NAN);

    /* an identical larger distribution */
    double big[100];
    for (int i = 0; i < 100; i++)
        big[i] = (i + 1) / 5050.0;
    CHECK_NEAR(qcts_kl_div(big, big, 100), 0.0);
}

static void test_kl_softmax(void)
{
    /* softmax{0,0} = {1/2,1/2}; softmax{0, ln 3} = {1/4, 3/4} */
    const double a[] = { 0.0, 0.0 }, b[] = { 0.0, log(3.0) };
    const double want = 0.5 * log(4.0 / 3.0);
    QCHECK(fabs(qcts_kl_softmax(a, b, 2) - want) < 1e-15, "KL softmax %.17g", qcts_kl_softmax(a, b, 2));
    CHECK_NEAR(qcts_kl_softmax(a, a, 2), 0.0);
    CHECK_NEAR(qcts_kl_softmax(b, b, 2), 0.0);
    /* shift invariance and no overflow with huge logits */
    const double a2[] = { 1000.0, 1000.0 }, b2[] = { -5000.0, -5000.0 + log(3.0) };
    QCHECK(fabs(qcts_kl_softmax(a2, b2, 2) - want) < 1e-12, "KL softmax large %.17g",
           qcts_kl_softmax(a2, b2, 2));
    const double a3[] = { 1e300, -1e300 };
    CHECK_NEAR(qcts_kl_softmax(a3, a3, 2), 0.0);
    /* -Inf logits are masked entries */
    const double am[] = { 0.0, -INFINITY }, bm[] = { 0.0, -INFINITY };
    CHECK_NEAR(qcts_kl_softmax(am, a, 2), log(2.0));
    CHECK_NEAR(qcts_kl_softmax(a, bm, 2), INFINITY);
    CHECK_NEAR(qcts_kl_softmax(am, bm, 2), 0.0);
    /* undefined: NaN, +Inf, all masked, empty */
    const double an[] = { NAN, 0.0 }, ai[] = { INFINITY, 0.0 }, aall[] = { -INFINITY, -INFINITY };
    CHECK_NEAR(qcts_kl_softmax(an, a, 2), NAN);
    CHECK_NEAR(qcts_kl_softmax(a, ai, 2), NAN);
    CHECK_NEAR(qcts_kl_softmax(aall, a, 2), NAN);
    CHECK_NEAR(qcts_kl_softmax(a, a, 0), NAN);
    /* float logits */
    const float af[] = { 0.0f, 0.0f }, bf[] = { 1.0f, 1.0f + (float)log(3.0) };
    double k = qcts_kl_softmax_f32(af, bf, 2);
    double want_f = 0.5 * log(0.5 / (1.0 / (1.0 + exp((double)bf[1] - 1.0))))
                  + 0.5 * log(0.5 / (1.0 / (1.0 + exp(1.0 - (double)bf[1]))));
    QCHECK(fabs(k - want_f) < 1e-15, "KL softmax f32 %.17g want %.17g", k, want_f);
    CHECK_NEAR(qcts_kl_softmax_f32(bf, bf, 2), 0.0);
}

QTEST_SUITE(metrics,
    QTEST(test_hand_computed),
    QTEST(test_zero_vectors),
    QTEST(test_nan_inf),
    QTEST(test_ulp_f32),
    QTEST(test_ulp_f16_bf16),
    QTEST(test_compute_as),
    QTEST(test_kl),
    QTEST(test_kl_softmax))
