/* Suite mathx: qref/mathx.h, libm-free transcendentals.
 *  - accuracy: max error in ulps against long double libm (80-bit on x86-64,
 *    128-bit on aarch64; the test, not ref/, may use libm) over 2^16
 *    deterministic arguments per function and range, asserted below the
 *    bound mathx.h states;
 *  - special values (inf, NaN, zero, overflow, underflow, subnormals);
 *  - platform identity: a hash of the output bits over fixed arguments is
 *    a constant, so x86-64 and aarch64 (make test-aarch64) must agree bit
 *    for bit. */
#include "qtest.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "qref/mathx.h"

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

/* Uniform in [lo, hi) from 53 random bits. */
static double uni(uint64_t *s, double lo, double hi)
{
    return lo + (hi - lo) * ((double)(rng_next(s) >> 11) * 0x1p-53);
}

static uint64_t bits(double x)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

/* Error of y in units of the last place of the double nearest ref. */
static double ulp_err(double y, long double ref)
{
    double r = (double)ref;
    if (r == 0)
        return y == 0 ? 0 : 1e9;
    int e;
    frexp(r, &e);
    double ulp = ldexp(1.0, e - 53);
    if (ulp < 0x1p-1074)
        ulp = 0x1p-1074;
    return (double)fabsl((long double)y - ref) / ulp;
}

#define N_SAMPLES (1 << 16)

typedef double (*fn1)(double);
typedef long double (*ref1)(long double);

static double max_err(fn1 f, ref1 r, double lo, double hi, uint64_t seed)
{
    double worst = 0;
    for (int i = 0; i < N_SAMPLES; i++) {
        double x = uni(&seed, lo, hi);
        double e = ulp_err(f(x), r((long double)x));
        if (e > worst)
            worst = e;
    }
    return worst;
}

static void report(const char *what, double e, double bound)
{
    if (!(e < bound))
        printf("\n  mathx: %s max error %.3f ulp, bound %.1f\n", what, e, bound);
    CU_ASSERT(e < bound);
}

static void test_exp_accuracy(void)
{
    report("exp [-1,1]", max_err(qref_exp, expl, -1, 1, 1), 1.0);
    report("exp [-700,700]", max_err(qref_exp, expl, -700, 700, 2), 1.0);
    /* subnormal results round twice (y, then onto the subnormal grid): within
     * 1 ulp of that grid plus y's error */
    report("exp [-745,-708] (subnormal results)", max_err(qref_exp, expl, -745, -708, 3), 1.01);
}

static void test_log_accuracy(void)
{
    report("log [0.5,2]", max_err(qref_log, logl, 0.5, 2, 4), 1.0);
    report("log [1e-300,1e300]", max_err(qref_log, logl, 1e-300, 1e300, 5), 1.0);
    report("log [0.999,1.001]", max_err(qref_log, logl, 0.999, 1.001, 6), 1.0);
    /* subnormal arguments */
    uint64_t s = 7;
    double worst = 0;
    for (int i = 0; i < 4096; i++) {
        double x = uni(&s, 0x1p-1074, 0x1p-1022);
        double e = ulp_err(qref_log(x), logl((long double)x));
        worst = e > worst ? e : worst;
    }
    report("log subnormal", worst, 1.0);
}

static void test_sincos_accuracy(void)
{
    report("sin [-pi,pi]", max_err(qref_sin, sinl, -3.2, 3.2, 8), 1.0);
    report("cos [-pi,pi]", max_err(qref_cos, cosl, -3.2, 3.2, 9), 1.0);
    report("sin [-1e5,1e5]", max_err(qref_sin, sinl, -1e5, 1e5, 10), 1.0);
    report("cos [-1e5,1e5]", max_err(qref_cos, cosl, -1e5, 1e5, 11), 1.0);
    report("sin [1e8,4e9]", max_err(qref_sin, sinl, 1e8, 4e9, 12), 1.0);
    report("cos [1e8,4e9]", max_err(qref_cos, cosl, 1e8, 4e9, 13), 1.0);
    /* the double nearest a multiple of pi/2 is where reduction cancels */
    double hard[] = { 0x1.921fb54442d18p+0, 0x1.921fb54442d18p+1, 0x1.2d97c7f3321d2p+2, 0x1.921fb54442d18p+2,
                      0x1.6a6a5d4a19d14p+29, 6381956970095103.0 * 0x1p-52 * 0x1p20 };
    for (size_t i = 0; i < sizeof hard / sizeof hard[0]; i++) {
        report("sin near k pi/2", ulp_err(qref_sin(hard[i]), sinl((long double)hard[i])), 1.0);
        report("cos near k pi/2", ulp_err(qref_cos(hard[i]), cosl((long double)hard[i])), 1.0);
    }
}

static double pow_of(double x) { return qref_pow(x, -0.734375); }
static long double powl_of(long double x) { return powl(x, -0.734375L); }
static double rope_freq(double t) { return qref_pow(1e6, -t); }
static long double rope_freql(long double t) { return powl(1e6L, -t); }

static void test_pow_accuracy(void)
{
    report("pow(x,-0.734375) x in [1e-3,1e3]", max_err(pow_of, powl_of, 1e-3, 1e3, 14), 2.0);
    report("pow(1e6,-t) t in [0,1] (RoPE)", max_err(rope_freq, rope_freql, 0, 1, 15), 2.0);
    CU_ASSERT_EQUAL(qref_pow(2.0, 10.0), 1024.0);
    CU_ASSERT_EQUAL(qref_pow(10000.0, 0.0), 1.0);
    CU_ASSERT_EQUAL(qref_pow(0.0, 2.0), 0.0);
    CU_ASSERT(isinf(qref_pow(0.0, -2.0)));
    CU_ASSERT(isnan(qref_pow(-2.0, 0.5)));
}

static void test_special_values(void)
{
    CU_ASSERT_EQUAL(bits(qref_exp(0.0)), bits(1.0));
    CU_ASSERT_EQUAL(qref_exp(-INFINITY), 0.0);
    CU_ASSERT(isinf(qref_exp(INFINITY)) && qref_exp(INFINITY) > 0);
    CU_ASSERT(isinf(qref_exp(710.0)));
    CU_ASSERT(isnan(qref_exp(NAN)));
    CU_ASSERT_EQUAL(qref_exp(-746.0), 0.0);
    CU_ASSERT_EQUAL(qref_exp(-745.0), 0x1p-1074); /* 4.94e-324 is the nearest */
    CU_ASSERT_EQUAL(bits(qref_log(1.0)), bits(0.0));
    CU_ASSERT(isinf(qref_log(0.0)) && qref_log(0.0) < 0);
    CU_ASSERT(isnan(qref_log(-1.0)));
    CU_ASSERT(isinf(qref_log(INFINITY)));
    CU_ASSERT_EQUAL(qref_log(0x1p-1074), -1074 * 0.6931471805599453094172321);
    CU_ASSERT_EQUAL(bits(qref_sin(0.0)), bits(0.0));
    CU_ASSERT_EQUAL(bits(qref_sin(-0.0)), bits(-0.0));
    CU_ASSERT_EQUAL(qref_cos(0.0), 1.0);
    CU_ASSERT(isnan(qref_sin(INFINITY)) && isnan(qref_cos(-INFINITY)) && isnan(qref_sin(NAN)));
    CU_ASSERT(isnan(qref_sin(0x1p33)));   /* beyond the documented reduction range */
    CU_ASSERT_EQUAL(qref_sigmoid(0.0), 0.5);
    CU_ASSERT_EQUAL(qref_sigmoid(-1000.0), 0.0);
    CU_ASSERT_EQUAL(qref_sigmoid(1000.0), 1.0);
    CU_ASSERT_EQUAL(qref_silu(0.0), 0.0);
    CU_ASSERT_EQUAL(qref_sqrt(2.0), 0x1.6a09e667f3bcdp+0);
    CU_ASSERT(isnan(qref_sqrt(-1.0)));
    CU_ASSERT_EQUAL(qref_rint(2.5), 2.0);
    CU_ASSERT_EQUAL(qref_rint(-3.5), -4.0);
    CU_ASSERT_EQUAL(bits(qref_rint(-0.25)), bits(-0.0));
    CU_ASSERT_EQUAL(qref_floor(-0.5), -1.0);
    CU_ASSERT_EQUAL(qref_floor(3.0), 3.0);
}

/* FNV-1a over the output bits of every function at fixed arguments. The
 * constant is the x86-64 result; aarch64 must print the same. */
static void test_platform_identity(void)
{
    uint64_t h = 0xcbf29ce484222325u, s = 99;
    for (int i = 0; i < 20000; i++) {
        double x = uni(&s, -50, 50);
        double sn, cs;
        qref_sincos(x * 1000.0, &sn, &cs);
        double v[] = { qref_exp(x), qref_log(qref_fabs(x) + 1e-9), sn, cs, qref_pow(qref_fabs(x) + 0.5, x / 7),
                       qref_sigmoid(x), qref_silu(x) };
        for (size_t j = 0; j < sizeof v / sizeof v[0]; j++) {
            uint64_t b = bits(v[j]);
            for (int k = 0; k < 8; k++) {
                h ^= (b >> (8 * k)) & 0xFF;
                h *= 0x100000001b3u;
            }
        }
    }
    if (h != 0x7e333f9f34946ca5ull)
        printf("\n  mathx platform hash %016llx\n", (unsigned long long)h);
    CU_ASSERT_EQUAL(h, 0x7e333f9f34946ca5ull);
}

QTEST_SUITE(mathx,
            QTEST(test_exp_accuracy),
            QTEST(test_log_accuracy),
            QTEST(test_sincos_accuracy),
            QTEST(test_pow_accuracy),
            QTEST(test_special_values),
            QTEST(test_platform_identity))
