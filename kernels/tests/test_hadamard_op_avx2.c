/* Suite hadamard_op_avx2: the AVX2 Hadamard kernel called directly, every
 * n = 32..4096, F32/F16/BF16 in and out, normalised or not, forward and
 * inverse: integer rows bit-exact (unnormalised), every row within
 * qref_hadamard_bound of the reference (the worst ratio is printed: the
 * bound's tightness), and float32 rows bit-identical to a scalar float32
 * butterfly network (same network, same operations). On hosts without
 * AVX2 the checks are skipped with a note (the suite then asserts nothing
 * about the kernel). */
#include "qtest.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "kernels/simd/simd.h"
#include "qref/fmt.h"
#include "qref/hadamard.h"
#if QCTS_SIMD_X86
#include "kernels/simd/avx2/hadsamp.h"
#endif

#if QCTS_SIMD_X86
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}
#endif

static int have_avx2(void)
{
    return qcts_isa_cpu_ok(QCTS_ISA_AVX2, NULL, 0) && qcts_isa_built(QCTS_ISA_AVX2, NULL, 0);
}

#if QCTS_SIMD_X86
static float from_bits(const void *p, size_t i, qcts_dtype dt)
{
    if (dt == QCTS_DT_F32)
        return ((const float *)p)[i];
    uint16_t h = ((const uint16_t *)p)[i];
    return dt == QCTS_DT_F16 ? qref_f16_to_f32(h) : qref_bf16_to_f32(h);
}

static void to_bits(void *p, size_t i, qcts_dtype dt, float v)
{
    if (dt == QCTS_DT_F32)
        ((float *)p)[i] = v;
    else
        ((uint16_t *)p)[i] = dt == QCTS_DT_F16 ? qref_f32_to_f16(v) : qref_f32_to_bf16(v);
}

static qref_had_out had_out(qcts_dtype dt)
{
    return dt == QCTS_DT_F16 ? QREF_HAD_OUT_F16 : dt == QCTS_DT_BF16 ? QREF_HAD_OUT_BF16 : QREF_HAD_OUT_F32;
}

/* the expected value as the generator stores it: RN_out(double reference) via float32 */
static float expect(double y, qcts_dtype dt)
{
    uint16_t b;
    float f = (float)y;
    if (dt == QCTS_DT_F32)
        return f;
    b = dt == QCTS_DT_F16 ? qref_f32_to_f16(f) : qref_f32_to_bf16(f);
    return dt == QCTS_DT_F16 ? qref_f16_to_f32(b) : qref_bf16_to_f32(b);
}
#endif

static void test_hadamard_avx2_bound_and_exact(void)
{
    if (!have_avx2()) {
        fprintf(stderr, "(hadamard_op_avx2: no AVX2 here, skipped)\n");
        return;
    }
#if QCTS_SIMD_X86
    enum { ROWS = 3 };
    static uint8_t xin[ROWS * 4096 * 4], yout[ROWS * 4096 * 4];
    static double yd[4096];
    static const qcts_dtype dts[3] = { QCTS_DT_F32, QCTS_DT_F16, QCTS_DT_BF16 };
    double worst[3] = { 0, 0, 0 };
    uint64_t s = 99;
    for (int64_t n = 32; n <= 4096; n *= 2)
        for (int di = 0; di < 3; di++)
            for (int dout = 0; dout < 3; dout++)
                for (int flags = 0; flags < 4; flags++)
                    for (int ints = 0; ints < 2; ints++) {
                        int norm = flags & 1, inv = flags >> 1;
                        qcts_dtype it = dts[di], ot = dts[dout];
                        for (int64_t i = 0; i < ROWS * n; i++) {
                            uint64_t v = rng_next(&s);
                            float f = ints ? (float)((int64_t)(v % 31) - 15)
                                           : ldexpf((float)((int32_t)(v >> 40) - (1 << 23)) / (float)(1 << 23),
                                                    (int)((v >> 8) % 9) - 4);
                            to_bits(xin, (size_t)i, it, f);
                        }
                        qcts_avx2_hadamard_rows(xin, it, yout, ot, n, norm, inv, 0, ROWS);
                        for (int r = 0; r < ROWS; r++) {
                            double as = 0;
                            for (int64_t j = 0; j < n; j++) {
                                yd[j] = from_bits(xin, (size_t)(r * n + j), it);
                                as += fabs(yd[j]);
                            }
                            if (it == QCTS_DT_F32 && ot == QCTS_DT_F32) {
                                /* the same network in scalar float32: the same bits */
                                float sf[4096];
                                float sc = (float)qref_hadamard_scale((size_t)n, norm, inv);
                                for (int64_t j = 0; j < n; j++)
                                    sf[j] = (float)yd[j];
                                for (int64_t h = 1; h < n; h *= 2)
                                    for (int64_t j = 0; j < n; j++)
                                        if (!(j & h)) {
                                            float a = sf[j], b = sf[j + h];
                                            sf[j] = a + b;
                                            sf[j + h] = a - b;
                                        }
                                for (int64_t j = 0; j < n; j++) {
                                    float got = ((const float *)yout)[r * n + j], want = sc != 1.0f ? sf[j] * sc : sf[j];
                                    if (!QCHECK(memcmp(&got, &want, 4) == 0, "n %lld norm %d inv %d: %a vs scalar %a",
                                                (long long)n, norm, inv, got, want))
                                        return;
                                }
                            }
                            qref_hadamard_f64(yd, (size_t)n, norm, inv);
                            for (int64_t j = 0; j < n; j++) {
                                double got = from_bits(yout, (size_t)(r * n + j), ot), want = expect(yd[j], ot);
                                double b = qref_hadamard_bound((size_t)n, norm, inv, as, yd[j], had_out(ot));
                                double err = fabs(got - want);
                                /* integers, unnormalised, f32 out: every sum fits 24 bits */
                                if (ints && !norm && ot == QCTS_DT_F32)
                                    QCHECK(err == 0, "n %lld in %d: integer row not exact at %lld: %g vs %g",
                                           (long long)n, di, (long long)j, got, want);
                                if (!QCHECK(err <= b, "n %lld in %d out %d norm %d inv %d: |%g - %g| > %g",
                                            (long long)n, di, dout, norm, inv, got, want, b))
                                    return;
                                if (err / b > worst[dout])
                                    worst[dout] = err / b;
                            }
                        }
                    }
    printf("\n  avx2 hadamard tightness (worst error / bound): f32 out %.3g, f16 out %.3g, bf16 out %.3g\n",
           worst[0], worst[1], worst[2]);
    CU_ASSERT(worst[0] <= 1 && worst[1] <= 1 && worst[2] <= 1);
#endif
}

QTEST_SUITE(hadamard_op_avx2,
    QTEST(test_hadamard_avx2_bound_and_exact))
