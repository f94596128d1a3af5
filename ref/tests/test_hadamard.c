/* Suite hadamard: the normalised Walsh–Hadamard transform (qref/hadamard.h).
 *  - known answers for n = 1, 2, 4, 8 worked out by hand (bit patterns);
 *  - natural (Sylvester) order: against sum_j (-1)^popcount(i&j) x_j in
 *    exact integer arithmetic, every n up to 4096;
 *  - applied twice: exactly the identity for even k on integer inputs
 *    (float64 and float32), unit vectors (odd k: 1 + 2^-52 in float64 —
 *    2 c^2 rounds up — and exactly 1 in float32), and in general
 *    ||z - x||_2 <= (2k + 4) 2^-53 ||x||_2 (float64),
 *    ||z - x||_2 <= 2.01 * 2^-24 ||x||_2 (float32);
 *  - Parseval: | ||y|| - ||x|| | <= (k + 2) 2^-53 ||x|| (float64),
 *    <= 1.01 * 2^-24 ||x|| (float32);
 *  - float32 result == float32 rounding of the float64 result;
 *  - qref_wht_rows block by block; errors for n = 0, 3, 8192, ...
 * Random data: splitmix64 from a fixed seed; failures print the seed. */
#include "qtest.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "qref/bits.h"
#include "qref/hadamard.h"

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

/* A float32 value with 24 random bits and an exponent spread of 2^-8..2^8. */
static float rng_float(uint64_t *s)
{
    uint64_t r = rng_next(s);
    float m = (float)((int32_t)(r >> 40) - (1 << 23)) / (float)(1 << 23);
    return ldexpf(m, (int)((r >> 8) % 17) - 8);
}

static int rng_int(uint64_t *s, int lim) { return (int)(rng_next(s) % (uint64_t)(2 * lim + 1)) - lim; }

static double pow2(int e) { return ldexp(1.0, e); }

/* ||v||_2 with extra precision for the Parseval and round-trip checks. */
static long double norm_ld(const double *v, size_t n)
{
    long double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (long double)v[i] * v[i];
    return sqrtl(s);
}

static void test_wht_known_answers(void)
{
    const uint64_t c = 0x3FE6A09E667F3BCDu;   /* RN(1/sqrt 2) */
    double one[1] = { -2.5 };
    CU_ASSERT_EQUAL(qref_wht_f64(one, 1), QREF_OK);
    CU_ASSERT_EQUAL(one[0], -2.5);

    /* n = 2: (a + b, a - b) / sqrt 2; k = 1 is odd: s * 2^0 * c */
    double a[2] = { 1, 0 };
    CU_ASSERT_EQUAL(qref_wht_f64(a, 2), QREF_OK);
    CU_ASSERT(qref_f64_bits(a[0]) == c && qref_f64_bits(a[1]) == c);
    double b[2] = { 3, 1 };   /* (4c, 2c): powers of two times c, exact */
    CU_ASSERT_EQUAL(qref_wht_f64(b, 2), QREF_OK);
    CU_ASSERT_EQUAL(qref_f64_bits(b[0]), 0x4006A09E667F3BCDu);
    CU_ASSERT_EQUAL(qref_f64_bits(b[1]), 0x3FF6A09E667F3BCDu);
    double d[2] = { 2, 2 };   /* (4c, 0) */
    CU_ASSERT_EQUAL(qref_wht_f64(d, 2), QREF_OK);
    CU_ASSERT(qref_f64_bits(d[0]) == 0x4006A09E667F3BCDu && qref_f64_bits(d[1]) == 0);
    float af[2] = { 1, 0 };   /* float32: RN32(c) = 0x3F3504F3 = RN32(1/sqrt 2) */
    CU_ASSERT_EQUAL(qref_wht_f32(af, 2), QREF_OK);
    CU_ASSERT(qref_f32_bits(af[0]) == 0x3F3504F3u && qref_f32_bits(af[1]) == 0x3F3504F3u);

    /* n = 4: rows of H4 = (+ + + +), (+ - + -), (+ + - -), (+ - - +), / 2
     * (1,2,3,4): 10, -2, -4, 0 -> 5, -1, -2, 0 */
    double x4[4] = { 1, 2, 3, 4 };
    static const double y4[4] = { 5, -1, -2, 0 };
    CU_ASSERT_EQUAL(qref_wht_f64(x4, 4), QREF_OK);
    for (int i = 0; i < 4; i++)
        QCHECK(x4[i] == y4[i], "n=4 (1,2,3,4): y[%d] = %.17g, want %g", i, x4[i], y4[i]);
    double e4[4] = { 0, 1, 0, 0 };   /* column 1 of H4 / 2 */
    static const double c4[4] = { 0.5, -0.5, 0.5, -0.5 };
    CU_ASSERT_EQUAL(qref_wht_f64(e4, 4), QREF_OK);
    for (int i = 0; i < 4; i++)
        QCHECK(e4[i] == c4[i], "n=4 e1: y[%d] = %g, want %g", i, e4[i], c4[i]);
    float f4[4] = { 1, 1, 1, 1 };   /* (2, 0, 0, 0) */
    CU_ASSERT_EQUAL(qref_wht_f32(f4, 4), QREF_OK);
    CU_ASSERT(f4[0] == 2.0f && qref_f32_bits(f4[1]) == 0 && qref_f32_bits(f4[2]) == 0 && qref_f32_bits(f4[3]) == 0);

    /* n = 8 (k = 3): e0 -> every entry 2^-1 * c = 0x3FD6A09E667F3BCD */
    double e8[8] = { 1, 0, 0, 0, 0, 0, 0, 0 };
    CU_ASSERT_EQUAL(qref_wht_f64(e8, 8), QREF_OK);
    for (int i = 0; i < 8; i++)
        QCHECK(qref_f64_bits(e8[i]) == 0x3FD6A09E667F3BCDu, "n=8 e0: y[%d] = %a", i, e8[i]);
}

/* Natural order: y_i = sum_j (-1)^popcount(i & j) x_j / sqrt(n), the sum in
 * exact integers; the scaling as documented (2^-k/2, or 2^-(k-1)/2 then c). */
static void test_wht_sylvester_order(void)
{
    static double x[QREF_WHT_MAX_N], y[QREF_WHT_MAX_N];
    static int64_t xi[QREF_WHT_MAX_N];
    for (int k = 0; k <= 12; k++) {
        size_t n = (size_t)1 << k;
        uint64_t seed = 0x5E7A0 + (uint64_t)k, s = seed;
        for (size_t i = 0; i < n; i++) {
            xi[i] = rng_int(&s, 1000);
            x[i] = (double)xi[i];
        }
        memcpy(y, x, n * sizeof(double));
        CU_ASSERT_EQUAL_FATAL(qref_wht_f64(y, n), QREF_OK);
        size_t bad = 0;
        for (size_t i = 0; i < n; i++) {
            int64_t sum = 0;
            for (size_t j = 0; j < n; j++)
                sum += (__builtin_popcountll((unsigned long long)(i & j)) & 1) ? -xi[j] : xi[j];
            double want = (double)sum * pow2(-(k / 2));
            if (k & 1)
                want *= 0x1.6a09e667f3bcdp-1;
            if (qref_f64_bits(y[i]) != qref_f64_bits(want) && ++bad <= 3)
                QCHECK(0, "n=%zu y[%zu] = %.17g, want %.17g (seed 0x%llx)", n, i, y[i], want,
                       (unsigned long long)seed);
        }
        QCHECK(bad == 0, "n=%zu: %zu outputs differ from the Sylvester matrix", n, bad);
    }
}

static void test_wht_twice_exact_cases(void)
{
    static double x[QREF_WHT_MAX_N], z[QREF_WHT_MAX_N];
    static float xf[QREF_WHT_MAX_N], zf[QREF_WHT_MAX_N];
    /* even k, integers: f64 needs n^2 max|x| <= 2^53, f32 needs the
     * intermediate float32 values exact, n max|x| <= 2^24; max|x| =
     * min(2^24 / n, 2^20) satisfies both */
    for (int k = 0; k <= 12; k += 2) {
        size_t n = (size_t)1 << k;
        int lim = (int)((1u << 24) / n);
        lim = lim > (1 << 20) ? 1 << 20 : lim;
        uint64_t seed = 0x7E1CE + (uint64_t)k, s = seed;
        for (size_t i = 0; i < n; i++) {
            x[i] = z[i] = rng_int(&s, lim);
            xf[i] = zf[i] = (float)x[i];
        }
        qref_wht_f64(z, n);
        qref_wht_f64(z, n);
        qref_wht_f32(zf, n);
        qref_wht_f32(zf, n);
        size_t bad = 0;
        for (size_t i = 0; i < n; i++)
            bad += qref_f64_bits(z[i]) != qref_f64_bits(x[i]) || qref_f32_bits(zf[i]) != qref_f32_bits(xf[i]);
        QCHECK(bad == 0, "even k=%d, integers up to %d: twice != identity at %zu places (seed 0x%llx)", k, lim, bad,
               (unsigned long long)seed);
    }
    /* unit vectors, every k: even k exact; odd k 1 + 2^-52 in f64, 1 in f32 */
    for (int k = 0; k <= 12; k++) {
        size_t n = (size_t)1 << k;
        size_t js[3] = { 0, n / 2, n - 1 };
        for (int t = 0; t < 3; t++) {
            memset(z, 0, n * sizeof(double));
            memset(zf, 0, n * sizeof(float));
            z[js[t]] = 1.0;
            zf[js[t]] = 1.0f;
            qref_wht_f64(z, n);
            qref_wht_f64(z, n);
            qref_wht_f32(zf, n);
            qref_wht_f32(zf, n);
            double want = (k & 1) ? 1.0 + pow2(-52) : 1.0;
            size_t bad = 0;
            for (size_t i = 0; i < n; i++) {
                bad += qref_f64_bits(z[i]) != qref_f64_bits(i == js[t] ? want : 0.0);
                bad += qref_f32_bits(zf[i]) != qref_f32_bits(i == js[t] ? 1.0f : 0.0f);
            }
            QCHECK(bad == 0, "unit vector e_%zu, n=%zu: twice gives %.17g / %.9g at the one, %zu wrong", js[t], n,
                   z[js[t]], (double)zf[js[t]], bad);
        }
    }
}

static void test_wht_twice_and_parseval_bounds(void)
{
    static double x[QREF_WHT_MAX_N], y[QREF_WHT_MAX_N], z[QREF_WHT_MAX_N], d[QREF_WHT_MAX_N];
    static float xf[QREF_WHT_MAX_N], yf[QREF_WHT_MAX_N], zf[QREF_WHT_MAX_N];
    double worst64 = 0, worst32 = 0, worstp64 = 0, worstp32 = 0;
    for (int k = 0; k <= 12; k++) {
        size_t n = (size_t)1 << k;
        for (int trial = 0; trial < 20; trial++) {
            uint64_t seed = 0xB0D0000 + (uint64_t)(k * 100 + trial), s = seed;
            for (size_t i = 0; i < n; i++) {
                xf[i] = rng_float(&s);
                x[i] = xf[i];
            }
            memcpy(y, x, n * sizeof(double));
            memcpy(yf, xf, n * sizeof(float));
            qref_wht_f64(y, n);
            qref_wht_f32(yf, n);
            /* float32 result = float32 rounding of the float64 result */
            size_t bad = 0;
            for (size_t i = 0; i < n; i++)
                bad += qref_f32_bits(yf[i]) != qref_f32_bits((float)y[i]);
            QCHECK(bad == 0, "n=%zu: f32 != (float) f64 at %zu places (seed 0x%llx)", n, bad,
                   (unsigned long long)seed);
            long double nx = norm_ld(x, n);
            /* Parseval */
            double p64 = (double)(fabsl(norm_ld(y, n) - nx) / nx) / pow2(-53);
            for (size_t i = 0; i < n; i++)
                d[i] = yf[i];
            double p32 = (double)(fabsl(norm_ld(d, n) - nx) / nx) / pow2(-24);
            QCHECK(p64 <= k + 2, "Parseval f64 n=%zu: %.3f u > %d u (seed 0x%llx)", n, p64, k + 2,
                   (unsigned long long)seed);
            QCHECK(p32 <= 1.01, "Parseval f32 n=%zu: %.3f u (seed 0x%llx)", n, p32, (unsigned long long)seed);
            /* twice */
            memcpy(z, y, n * sizeof(double));
            memcpy(zf, yf, n * sizeof(float));
            qref_wht_f64(z, n);
            qref_wht_f32(zf, n);
            for (size_t i = 0; i < n; i++)
                d[i] = z[i] - x[i];
            double e64 = (double)(norm_ld(d, n) / nx) / pow2(-53);
            for (size_t i = 0; i < n; i++)
                d[i] = (double)zf[i] - x[i];
            double e32 = (double)(norm_ld(d, n) / nx) / pow2(-24);
            QCHECK(e64 <= 2 * k + 4, "twice f64 n=%zu: ||z-x|| = %.3f u ||x||, bound %d (seed 0x%llx)", n, e64,
                   2 * k + 4, (unsigned long long)seed);
            QCHECK(e32 <= 2.01, "twice f32 n=%zu: ||z-x|| = %.3f u ||x|| (seed 0x%llx)", n, e32,
                   (unsigned long long)seed);
            worst64 = fmax(worst64, e64);
            worst32 = fmax(worst32, e32);
            worstp64 = fmax(worstp64, p64);
            worstp32 = fmax(worstp32, p32);
        }
    }
    CU_ASSERT(worst64 > 0);   /* the random data does exercise rounding */
    printf("\n    (twice: f64 %.2f, f32 %.2f; Parseval: f64 %.2f, f32 %.2f, in units of 2^-53 / 2^-24) ", worst64,
           worst32, worstp64, worstp32);
}

static void test_wht_rows(void)
{
    enum { R = 3, C = 96 };
    static float w[R * C], v[R * C];
    uint64_t seed = 0x80A5, s = seed;
    for (int i = 0; i < R * C; i++)
        w[i] = rng_float(&s);
    const int64_t blocks[] = { 1, 2, 16, 32 };
    for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++) {
        memcpy(v, w, sizeof w);
        CU_ASSERT_EQUAL(qref_wht_rows(v, R, C, blocks[b]), QREF_OK);
        size_t bad = 0;
        for (int r = 0; r < R; r++)
            for (int c0 = 0; c0 < C; c0 += (int)blocks[b]) {
                float t[64];
                memcpy(t, w + r * C + c0, sizeof(float) * (size_t)blocks[b]);
                qref_wht_f32(t, (size_t)blocks[b]);
                bad += memcmp(t, v + r * C + c0, sizeof(float) * (size_t)blocks[b]) != 0;
            }
        QCHECK(bad == 0, "wht_rows block %lld: %zu blocks differ (seed 0x%llx)", (long long)blocks[b], bad,
               (unsigned long long)seed);
    }
    memcpy(v, w, sizeof w);
    CU_ASSERT_EQUAL(qref_wht_rows(v, R, C, 1), QREF_OK);
    CU_ASSERT(memcmp(v, w, sizeof w) == 0);   /* block 1 is the identity */
    CU_ASSERT_EQUAL(qref_wht_rows(v, R, C, 3), QREF_ERR_SIZE);
    CU_ASSERT_EQUAL(qref_wht_rows(v, R, C, 64), QREF_ERR_SIZE);    /* 96 % 64 */
    CU_ASSERT_EQUAL(qref_wht_rows(v, R, C, 0), QREF_ERR_SIZE);
    CU_ASSERT_EQUAL(qref_wht_rows(v, 1, 8192, 8192), QREF_ERR_SIZE);
    CU_ASSERT_EQUAL(qref_wht_rows(NULL, R, C, 16), QREF_ERR_ARG);
}

static void test_wht_errors(void)
{
    static double x[8192];
    static float f[8192];
    const size_t bad[] = { 0, 3, 5, 6, 12, 4095, 4097, 6144, 8192, 1u << 20 };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        QCHECK(qref_wht_f64(x, bad[i]) == QREF_ERR_SIZE, "wht_f64 n=%zu accepted", bad[i]);
        QCHECK(qref_wht_f32(f, bad[i]) == QREF_ERR_SIZE, "wht_f32 n=%zu accepted", bad[i]);
        CU_ASSERT_EQUAL(qref_wht_log2(bad[i]), -1);
    }
    CU_ASSERT_EQUAL(qref_wht_f64(x, 4096), QREF_OK);
    CU_ASSERT_EQUAL(qref_wht_f32(f, 4096), QREF_OK);
    CU_ASSERT_EQUAL(qref_wht_log2(4096), 12);
    CU_ASSERT_EQUAL(qref_wht_log2(1), 0);
    CU_ASSERT_EQUAL(qref_wht_f64(NULL, 4), QREF_ERR_ARG);
    CU_ASSERT_EQUAL(qref_wht_f32(NULL, 4), QREF_ERR_ARG);
}

QTEST_SUITE(hadamard,
    QTEST(test_wht_known_answers),
    QTEST(test_wht_sylvester_order),
    QTEST(test_wht_twice_exact_cases),
    QTEST(test_wht_twice_and_parseval_bounds),
    QTEST(test_wht_rows),
    QTEST(test_wht_errors))
