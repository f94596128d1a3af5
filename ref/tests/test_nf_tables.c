/* Suite nf_tables: the NF codebooks (qref_nf4/nf3/nf2_table) recomputed
 * from normal quantiles (GSL gsl_cdf_ugaussian_Pinv), FORMATS.md §5.
 *
 * The rule (bitsandbytes create_normal_map, generalised to k bits):
 *   offset_k = 1 - 1/2 (1/(2(2^k - 1)) + 1/(2 * 2^k))
 *   positives  = Pinv(linspace(offset_k, 1/2, 2^(k-1) + 1)[:-1])   2^(k-1) values
 *   negatives  = -Pinv(linspace(offset_k, 1/2, 2^(k-1))[:-1])      2^(k-1) - 1 values
 *   plus 0; sort ascending; divide by the maximum.
 *  - In float64 throughout (numpy linspace: start + i*step), every table is
 *    within 2e-7 of the rule; the maximum differences are printed.
 *  - bitsandbytes itself builds the linspace in float32 (torch.linspace:
 *    step = (end - start)/(steps - 1) in float32, start + step*i for
 *    i < steps/2, end - step*(steps - 1 - i) after), takes Pinv in double
 *    (scipy), stores float32 and divides by the max in float32. With its
 *    literal offset 0.9677083 that reproduces the NF4 table bit for bit, and
 *    with offset = (float) offset_3 the NF3 (SINQ) table bit for bit. */
#include "qtest.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>

#include "qref/bits.h"
#include "qref/fmt.h"

static double nf_offset(int k)
{
    double n = (double)(1 << k);
    return 1.0 - 0.5 * (1.0 / (2.0 * (n - 1.0)) + 1.0 / (2.0 * n));
}

static void sort_d(double *v, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
}

static void sort_f(float *v, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
            float t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
}

/* The rule in float64; out has 2^k entries, ascending, max 1. */
static void nf_rule_f64(int k, double *out)
{
    int half = 1 << (k - 1), m = 0;
    double off = nf_offset(k);
    double step = (0.5 - off) / half;   /* linspace(off, .5, half + 1) */
    for (int i = 0; i < half; i++)
        out[m++] = gsl_cdf_ugaussian_Pinv(off + i * step);
    step = (0.5 - off) / (half - 1);    /* linspace(off, .5, half) */
    for (int i = 0; i < half - 1; i++)
        out[m++] = -gsl_cdf_ugaussian_Pinv(off + i * step);
    out[m++] = 0.0;
    sort_d(out, m);
    double mx = out[m - 1];
    for (int i = 0; i < m; i++)
        out[i] /= mx;
}

/* torch.linspace(start, end, steps) in float32, then drop the last. */
static int linspace_f32(float start, float end, int steps, float *out)
{
    float step = (end - start) / (float)(steps - 1);
    int halfway = steps / 2;
    for (int i = 0; i < steps - 1; i++)
        out[i] = i < halfway ? start + step * (float)i : end - step * (float)(steps - 1 - i);
    return steps - 1;
}

/* bitsandbytes' construction as it runs (float32 linspace and division). */
static void nf_rule_bnb(int k, float offset, float *out)
{
    int half = 1 << (k - 1), m = 0;
    float lin[16];
    int c = linspace_f32(offset, 0.5f, half + 1, lin);
    for (int i = 0; i < c; i++)
        out[m++] = (float)gsl_cdf_ugaussian_Pinv((double)lin[i]);
    c = linspace_f32(offset, 0.5f, half, lin);
    for (int i = 0; i < c; i++)
        out[m++] = (float)-gsl_cdf_ugaussian_Pinv((double)lin[i]);
    out[m++] = 0.0f;
    sort_f(out, m);
    float mx = out[m - 1];
    for (int i = 0; i < m; i++)
        out[i] = out[i] / mx;
}

static const float *table_of(int k)
{
    return k == 4 ? qref_nf4_table : k == 3 ? qref_nf3_table : qref_nf2_table;
}

static void test_nf_offsets(void)
{
    /* FORMATS.md §5: 0.9677083, 0.9330357, 0.8541667 (7 decimals) */
    CU_ASSERT(fabs(nf_offset(4) - 0.9677083) < 5e-8);
    CU_ASSERT(fabs(nf_offset(3) - 0.9330357) < 5e-8);
    CU_ASSERT(fabs(nf_offset(2) - 0.8541667) < 5e-8);
}

static void test_nf_tables_shape(void)
{
    for (int k = 2; k <= 4; k++) {
        const float *t = table_of(k);
        int n = 1 << k;
        CU_ASSERT_EQUAL(qref_f32_bits(t[0]), qref_f32_bits(-1.0f));
        CU_ASSERT_EQUAL(qref_f32_bits(t[n - 1]), qref_f32_bits(1.0f));
        CU_ASSERT_EQUAL(qref_f32_bits(t[n / 2 - 1]), 0u);   /* +0 at code 2^(k-1) - 1 */
        for (int i = 1; i < n; i++)
            QCHECK(t[i] > t[i - 1], "NF%d table not ascending at %d", k, i);
    }
}

static void test_nf_tables_from_quantiles(void)
{
    double maxdiff[5] = { 0 };
    for (int k = 2; k <= 4; k++) {
        double v[16];
        nf_rule_f64(k, v);
        const float *t = table_of(k);
        for (int i = 0; i < (1 << k); i++) {
            double d = fabs((double)t[i] - v[i]);
            if (d > maxdiff[k])
                maxdiff[k] = d;
            QCHECK(d <= 2e-7, "NF%d code %d: table %.10f, rule %.10f, |diff| %.3g > 2e-7", k, i, (double)t[i], v[i], d);
        }
    }
    printf("\n    (max |table - rule|: NF4 %.3g, NF3 %.3g, NF2 %.3g) ", maxdiff[4], maxdiff[3], maxdiff[2]);
}

static void test_nf_tables_bnb_float32_construction(void)
{
    float v[16];
    nf_rule_bnb(4, 0.9677083f, v);   /* create_normal_map(offset=0.9677083) */
    for (int i = 0; i < 16; i++)
        QCHECK(qref_f32_bits(v[i]) == qref_f32_bits(qref_nf4_table[i]),
               "NF4 code %d: bnb construction %.9g (0x%08X), table %.9g (0x%08X)", i, (double)v[i],
               qref_f32_bits(v[i]), (double)qref_nf4_table[i], qref_f32_bits(qref_nf4_table[i]));
    nf_rule_bnb(3, (float)nf_offset(3), v);
    for (int i = 0; i < 8; i++)
        QCHECK(qref_f32_bits(v[i]) == qref_f32_bits(qref_nf3_table[i]),
               "NF3 code %d: float32 construction %.9g (0x%08X), table %.9g (0x%08X)", i, (double)v[i],
               qref_f32_bits(v[i]), (double)qref_nf3_table[i], qref_f32_bits(qref_nf3_table[i]));
}

QTEST_SUITE(nf_tables,
    QTEST(test_nf_offsets),
    QTEST(test_nf_tables_shape),
    QTEST(test_nf_tables_from_quantiles),
    QTEST(test_nf_tables_bnb_float32_construction))
