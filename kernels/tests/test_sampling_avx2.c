/* Suite sampling_avx2: the AVX2 sampler called directly against the
 * reference's admissible sets (qref_sampling_row): random rows with vocab
 * sizes 1..300 and 5000..40000 (not multiples of 8), ties, -inf logits,
 * penalties, top-k/top-p/min-p, f32/f16/bf16 logits, u at 0 and just below
 * 1; greedy rows must equal the reference; the probabilities it returns
 * sum to 1 within float32 rounding. Skipped with a note without AVX2. */
#include "qtest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/simd/simd.h"
#include "qref/fmt.h"
#include "qref/sampling.h"
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
static double rng_unit(uint64_t *s) { return (double)(rng_next(s) >> 11) * 0x1p-53; }
#endif

static void test_sampling_avx2_admissible(void)
{
    if (!(qcts_isa_cpu_ok(QCTS_ISA_AVX2, NULL, 0) && qcts_isa_built(QCTS_ISA_AVX2, NULL, 0))) {
        fprintf(stderr, "(sampling_avx2: no AVX2 here, skipped)\n");
        return;
    }
#if QCTS_SIMD_X86
    enum { VMAX = 40000 };
    float *l = malloc(VMAX * sizeof *l), *lr = malloc(VMAX * sizeof *lr), *pr = malloc(VMAX * sizeof *pr);
    uint16_t *l16 = malloc(VMAX * sizeof *l16);
    uint8_t *a = malloc(VMAX);
    int32_t h[16];
    uint64_t s = 0xA5A5;
    unsigned long n = qtest_scale(3000), bad = 0, multi = 0;
    double *q = malloc(VMAX * sizeof *q), *qb = malloc(VMAX * sizeof *qb), worst_p = 0;
    for (unsigned long it = 0; it < n && bad < QTEST_MAX_REPORTS; it++) {
        int32_t V = (it % 10 == 0) ? 5000 + (int32_t)(rng_next(&s) % 35000) : 1 + (int32_t)(rng_next(&s) % 300);
        if (it % 10 == 0 && qtest_scale(16) == 1)
            V = 1 + V % 300;   /* quick mode: small rows only */
        qref_sampling_params p = { .vocab = V, .temperature = 1, .rep_penalty = 1, .top_p = 1 };
        qcts_dtype dt = (qcts_dtype)(rng_next(&s) % 3);
        double scale = 0.5 + 10 * rng_unit(&s);
        for (int32_t t = 0; t < V; t++) {
            uint64_t r = rng_next(&s);
            float f = (r % 13 == 0 && t > 0) ? l[(r >> 8) % (uint64_t)t] : (float)((rng_unit(&s) - 0.5) * 2 * scale);
            if (r % 101 == 3)
                f = -INFINITY;
            if (dt == QCTS_DT_F16)
                l16[t] = qref_f32_to_f16(f), f = qref_f16_to_f32(l16[t]);
            else if (dt == QCTS_DT_BF16)
                l16[t] = qref_f32_to_bf16(f), f = qref_bf16_to_f32(l16[t]);
            l[t] = f;
        }
        uint64_t fl = rng_next(&s);
        p.temperature = (fl % 11 == 0) ? 0 : (fl % 11 == 1) ? 1e30f : (float)(0.05 + 3 * rng_unit(&s));
        if (fl & 16) {
            p.hist_len = 16;
            for (int i = 0; i < 16; i++)
                h[i] = (int32_t)(rng_next(&s) % (uint64_t)(V + 2)) - 2;
            p.rep_penalty = (float)(1 + rng_unit(&s));
            p.freq_penalty = (float)rng_unit(&s);
            p.presence_penalty = (float)rng_unit(&s);
        }
        if (fl & 32)
            p.top_k = (int32_t)(rng_next(&s) % (uint64_t)(V + 3));
        if (fl & 64)
            p.top_p = (float)rng_unit(&s);
        if (fl & 128)
            p.min_p = (float)(rng_unit(&s) * rng_unit(&s));
        float u = (fl & 256) ? 0.0f : (fl & 512) ? nextafterf(1.0f, 0.0f) : (float)rng_unit(&s);
        if (u >= 1.0f)
            u = 0;
        int32_t ref;
        int certain = 0;
        if (qref_sampling_row_ex(&p, l, p.hist_len ? h : NULL, u, &ref, q, a, qb, &certain) != QREF_OK) {
            QCHECK(0, "iteration %lu: reference failed", it);
            bad++;
            continue;
        }
        qcts_avx2_samp_scratch sc;
        CU_ASSERT_FATAL(qcts_avx2_samp_scratch_init(&sc, V) == 0);
        const void *in = dt == QCTS_DT_F32 ? (const void *)l : (const void *)l16;
        memcpy(lr, l, (size_t)V * sizeof *l);
        int32_t t = qcts_avx2_sample_row(&p, in, dt, p.hist_len ? h : NULL, u, pr, &sc);
        /* the scratch counts are clean again: a second call gives the same */
        int32_t t2 = qcts_avx2_sample_row(&p, in, dt, p.hist_len ? h : NULL, u, NULL, &sc);
        qcts_avx2_samp_scratch_free(&sc);
        int c = 0;
        for (int32_t i = 0; i < V; i++)
            c += a[i];
        multi += c > 1;
        if (!QCHECK(t >= 0 && t < V && a[t] && t2 == t,
                    "iteration %lu V %d dt %d T %g k %d p %g minp %g u %.9g: avx2 %d (again %d), ref %d, %d admissible",
                    it, V, (int)dt, p.temperature, p.top_k, p.top_p, p.min_p, u, t, t2, ref, c))
            bad++;
        if (p.temperature == 0)
            QCHECK(t == ref, "iteration %lu: greedy %d vs %d", it, t, ref);
        double sum = 0;
        for (int32_t i = 0; i < V; i++)
            sum += pr[i];
        /* the probabilities against their bound (rows with a certain kept set) */
        for (int32_t i = 0; certain && i < V; i++) {
            double err = fabs((double)pr[i] - (double)(float)q[i]);
            if (!QCHECK(err <= qb[i], "iteration %lu: probs[%d] = %.9g, ref %.9g, bound %.3g", it, i, pr[i], q[i], qb[i]))
                break;
            if (qb[i] > 0 && err / qb[i] > worst_p)
                worst_p = err / qb[i];
        }
        QCHECK(fabs(sum - 1) < 1e-4 + V * 1e-7, "iteration %lu: probabilities sum to %.9g", it, sum);
    }
    CU_ASSERT_EQUAL(bad, 0);
    printf("\n  avx2 sampling: %lu rows, %lu with more than one admissible token; probs error / bound <= %.3g\n", n,
           multi, worst_p);
    free(q);
    free(qb);
    free(l);
    free(lr);
    free(pr);
    free(l16);
    free(a);
#endif
}

QTEST_SUITE(sampling_avx2,
    QTEST(test_sampling_avx2_admissible))
