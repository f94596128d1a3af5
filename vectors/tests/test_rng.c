/* The generator's RNG (qcts/vectors.h): known outputs of splitmix64,
 * xoshiro256**, FNV-1a and the per-case seed (the expected values were
 * computed by an independent Python transcription of the reference
 * algorithms, and agree with the published first outputs: splitmix64(0)
 * starts 0xe220a8397b1dcdaf, xoshiro256** from {1,2,3,4} starts 11520, 0,
 * 1509978240), plus the ranges and grids of the value generators. */
#include "qcts/vectors.h"
#include "qref/bits.h"
#include "qtest.h"

static void test_splitmix64_known(void)
{
    static const uint64_t want[] = { 0xe220a8397b1dcdafull, 0x6e789e6aa1b965f4ull, 0x06c45d188009454full,
                                     0xf88bb8a8724c81ecull };
    uint64_t s = 0;
    for (int i = 0; i < 4; i++)
        CU_ASSERT_EQUAL(qcts_splitmix64(&s), want[i]);
    CU_ASSERT_EQUAL(s, 4 * 0x9E3779B97F4A7C15ull);
}

static void test_xoshiro_known(void)
{
    static const uint64_t want[] = { 11520ull, 0ull, 1509978240ull, 1215971899390074240ull,
                                     1216172134540287360ull, 607988272756665600ull };
    qcts_rng r = { { 1, 2, 3, 4 } };
    for (int i = 0; i < 6; i++)
        CU_ASSERT_EQUAL(qcts_rng_next(&r), want[i]);
    static const uint64_t want42[] = { 0x15780b2e0c2ec716ull, 0x6104d9866d113a7eull, 0xae17533239e499a1ull,
                                       0xecb8ad4703b360a1ull };
    qcts_rng_seed(&r, 42);
    for (int i = 0; i < 4; i++)
        CU_ASSERT_EQUAL(qcts_rng_next(&r), want42[i]);
}

static void test_fnv_and_case_seed(void)
{
    CU_ASSERT_EQUAL(qcts_fnv1a64("", 0), 0xcbf29ce484222325ull);
    CU_ASSERT_EQUAL(qcts_fnv1a64("a", 1), 0xaf63dc4c8601ec8cull);
    CU_ASSERT_EQUAL(qcts_fnv1a64("foobar", 6), 0x85944171f73967e8ull);
    CU_ASSERT_EQUAL(qcts_case_seed("convert/e4m3_ocp", 0), 0xae79d4db91bc421dull);
    CU_ASSERT_EQUAL(qcts_case_seed("convert/e4m3_ocp", 1), 0xd7c391128ba37c61ull);
    CU_ASSERT_EQUAL(qcts_case_seed("convert/e4m3_ocp", 2), 0x50c91a6f0465585full);
    CU_ASSERT_EQUAL(qcts_case_seed("gemv/fp4_g128_f16", 7), 0xf60c06a133f3a6dbull);
    /* The seed depends on the name and the index only. */
    CU_ASSERT_NOT_EQUAL(qcts_case_seed("gemv/fp4_g128_f16", 7), qcts_case_seed("gemm/fp4_g128_f16", 7));
    CU_ASSERT_NOT_EQUAL(qcts_case_seed("gemv/fp4_g128_f16", 7), qcts_case_seed("gemv/fp4_g128_f16", 8));
}

static void test_below_range_and_spread(void)
{
    qcts_rng r;
    qcts_rng_seed(&r, 7);
    static const uint64_t ns[] = { 1, 2, 3, 7, 10, 255, 1000, 1ull << 40, (1ull << 63) + 5 };
    int bad = 0;
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++)
        for (int i = 0; i < 1000; i++) {
            uint64_t v = qcts_rng_below(&r, ns[k]);
            bad += !QCHECK(v < ns[k], "qcts_rng_below(%llu) gave %llu", (unsigned long long)ns[k],
                           (unsigned long long)v);
        }
    /* Every value of a small range shows up, about equally often. */
    unsigned hist[10] = { 0 };
    for (int i = 0; i < 100000; i++)
        hist[qcts_rng_below(&r, 10)]++;
    for (int i = 0; i < 10; i++)
        bad += !QCHECK(hist[i] > 9500 && hist[i] < 10500, "value %d drawn %u times of 100000", i, hist[i]);
    CU_ASSERT_EQUAL(bad, 0);
}

static void test_value_grids(void)
{
    qcts_rng r;
    qcts_rng_seed(&r, 99);
    int bad = 0;
    double sum = 0, sum2 = 0;
    enum { N = 200000 };
    for (int i = 0; i < N; i++) {
        float u = qcts_rng_uniform(&r), g = qcts_rng_gauss(&r);
        /* on their grids and in range: exact multiples of 2^-23 and 2^-21 */
        bad += !QCHECK(u >= -1.0f && u < 1.0f && (float)(int32_t)(u * 0x1p23f) == u * 0x1p23f,
                       "uniform %a off its grid", (double)u);
        bad += !QCHECK(g >= -4.0f && g <= 4.0f && (float)(int32_t)(g * 0x1p21f) == g * 0x1p21f,
                       "gauss %a off its grid", (double)g);
        sum += g;
        sum2 += (double)g * g;
    }
    /* Irwin-Hall of four: mean 0, variance 4/3. */
    double mean = sum / N, var = sum2 / N - mean * mean;
    bad += !QCHECK(mean > -0.02 && mean < 0.02, "gauss mean %g", mean);
    bad += !QCHECK(var > 1.30 && var < 1.37, "gauss variance %g (4/3 expected)", var);
    CU_ASSERT_EQUAL(bad, 0);
}

QTEST_SUITE(rng,
    QTEST(test_splitmix64_known),
    QTEST(test_xoshiro_known),
    QTEST(test_fnv_and_case_seed),
    QTEST(test_below_range_and_spread),
    QTEST(test_value_grids))
