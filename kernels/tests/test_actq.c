/* Quantized-activation GEMM of the CPU backends (kernels/simd/actq.h):
 * the quantizers on known answers (ties that RNE / RNA / ggml's
 * nearest_int resolve differently, so a plausible wrong rounding fails),
 * the integer-dot kernels against the generic product, thread-count
 * independence, and the refusals. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/simd/actq.h"
#include "kernels/simd/simd.h"
#include "qref/actquant.h"
#include "qref/fmt.h"
#include "qref/scheme.h"
#include "qtest.h"

static uint64_t rng;
static uint64_t rnd(void)
{
    uint64_t x = rng += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}
static double unit(void) { return (double)(rnd() >> 11) * 0x1p-53; }

static uint32_t bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

/* ---- quantizers: known answers ------------------------------------------------------------ */

static void test_int8_token_known(void)
{
    /* amax 127: inv = 1, so a * inv = a; ties go to even (RNA would give 3, 4, -3, 1, 2) */
    const float a[] = { 127.0f, 2.5f, 3.5f, -2.5f, 0.5f, 1.5f, -127.0f, 0.49999997f };
    const int8_t want[] = { 127, 2, 4, -2, 0, 2, -127, 0 };
    int8_t q[8];
    float s;
    qcts_actq_int8_row(a, 8, q, &s);
    CU_ASSERT_EQUAL(memcmp(q, want, 8), 0);
    CU_ASSERT_EQUAL(bits(s), bits(127.0f / 127.0f));
    /* a general scale: s = amax / 127, codes rne(a * (127 / amax)) */
    const float b[] = { 0.3f, -0.7f, 0.05f, 0.0f };
    qcts_actq_int8_row(b, 4, q, &s);
    CU_ASSERT_EQUAL(bits(s), bits(0.7f / 127.0f));
    const float inv = 127.0f / 0.7f;
    CU_ASSERT_EQUAL(q[0], (int8_t)lrintf(0.3f * inv));
    CU_ASSERT_EQUAL(q[1], -127);
    CU_ASSERT_EQUAL(q[2], (int8_t)lrintf(0.05f * inv));
    /* zero row: codes 0, scale 0; a non-finite value: scale NaN */
    const float z[] = { 0.0f, -0.0f, 0.0f };
    qcts_actq_int8_row(z, 3, q, &s);
    CU_ASSERT(s == 0.0f && q[0] == 0 && q[1] == 0 && q[2] == 0);
    const float n[] = { 1.0f, INFINITY, 2.0f };
    qcts_actq_int8_row(n, 3, q, &s);
    CU_ASSERT(isnan(s));
}

static void test_q8_0_known(void)
{
    float a[32];
    for (int j = 0; j < 32; j++)
        a[j] = (float)j - 0.5f;   /* amax 30.5 */
    a[31] = 127.0f;               /* amax 127: d = 1, id = 1: codes roundf(a), half away from zero */
    int8_t q[32];
    uint16_t dh;
    float d;
    qcts_actq_q8_0_block(a, q, &dh, &d);
    CU_ASSERT_EQUAL(dh, 0x3C00);
    CU_ASSERT_EQUAL(bits(d), bits(1.0f));
    CU_ASSERT_EQUAL(q[0], -1);    /* -0.5 -> -1 (RNE: -0) */
    CU_ASSERT_EQUAL(q[1], 1);     /* 0.5 -> 1 (RNE: 0) */
    CU_ASSERT_EQUAL(q[3], 3);     /* 2.5 -> 3 (RNE: 2) */
    CU_ASSERT_EQUAL(q[31], 127);
    /* d rounded to f16 (RNE): amax 1 -> d = 1/127 -> f16 */
    for (int j = 0; j < 32; j++)
        a[j] = j == 5 ? -1.0f : 0.25f;
    qcts_actq_q8_0_block(a, q, &dh, &d);
    CU_ASSERT_EQUAL(dh, qref_f32_to_f16(1.0f / 127.0f));
    CU_ASSERT_EQUAL(q[5], -127);
    CU_ASSERT_EQUAL(q[0], 32);    /* 0.25 * 127 = 31.75 -> 32 */
    /* Q8_1: s = f16(d * sum) with the f32 d */
    uint16_t sh;
    float s;
    qcts_actq_q8_1_block(a, q, &dh, &d, &sh, &s);
    int sum = 0;
    for (int j = 0; j < 32; j++)
        sum += q[j];
    CU_ASSERT_EQUAL(sum, 31 * 32 - 127);
    CU_ASSERT_EQUAL(sh, qref_f32_to_f16((1.0f / 127.0f) * (float)sum));
    /* zero block: d 0, codes 0; NaN: d NaN */
    memset(a, 0, sizeof a);
    qcts_actq_q8_0_block(a, q, &dh, &d);
    CU_ASSERT(dh == 0 && d == 0.0f && q[7] == 0);
    a[3] = NAN;
    qcts_actq_q8_0_block(a, q, &dh, &d);
    CU_ASSERT(isnan(d));
}

static void test_q8_k_known(void)
{
    float a[256];
    for (int j = 0; j < 256; j++)
        a[j] = (float)(j % 16) - 7.5f;   /* halves: ggml nearest_int rounds ties to even */
    a[10] = -127.0f;                     /* max = -127 (sign kept): iscale = -127 / -127 = 1 */
    a[20] = 127.0f;                      /* the same |x| later: the first one wins */
    int8_t q[256];
    int16_t bs[16];
    float d;
    qcts_actq_q8_k_block(a, q, &d, bs);
    CU_ASSERT_EQUAL(bits(d), bits(1.0f));
    CU_ASSERT_EQUAL(q[0], -8);   /* -7.5 -> -8 (even) */
    CU_ASSERT_EQUAL(q[1], -6);   /* -6.5 -> -6 */
    CU_ASSERT_EQUAL(q[15], 8);   /* 7.5 -> 8 */
    CU_ASSERT_EQUAL(q[10], -127);
    CU_ASSERT_EQUAL(q[20], 127);
    int s0 = 0;
    for (int j = 0; j < 16; j++)
        s0 += q[j];
    CU_ASSERT_EQUAL(bs[0], s0);
    /* a positive max: iscale = -127 / max, codes negated, d = 1 / iscale */
    a[10] = 0.0f;
    a[20] = 0.0f;
    a[100] = 100.0f;
    qcts_actq_q8_k_block(a, q, &d, bs);
    const float isc = -127.0f / 100.0f;
    CU_ASSERT_EQUAL(bits(d), bits(1.0f / isc));
    CU_ASSERT_EQUAL(q[100], -127);
}

static void test_fp8_known(void)
{
    const float a[] = { 448.0f, -1.0f, 0.0f, 3.0f, -448.0f };
    int8_t q[5];
    float s;
    qcts_actq_fp8_row(a, 5, -1.0f, q, &s);
    CU_ASSERT_EQUAL(bits(s), bits(1.0f));
    CU_ASSERT_EQUAL((uint8_t)q[0], 0x7E);
    CU_ASSERT_EQUAL((uint8_t)q[1], 0xB8);
    CU_ASSERT_EQUAL((uint8_t)q[2], 0x00);
    CU_ASSERT_EQUAL((uint8_t)q[3], qref_f32_to_e4m3_sat(3.0f));
    CU_ASSERT_EQUAL((uint8_t)q[4], 0xFE);
    /* tensor mode: the tensor's amax, not the row's */
    qcts_actq_fp8_row(a + 1, 2, 896.0f, q, &s);
    CU_ASSERT_EQUAL(bits(s), bits(2.0f));
    CU_ASSERT_EQUAL((uint8_t)q[0], qref_f32_to_e4m3_sat(-0.5f));
}

/* The whole-call path on a tensor: FP8 tensor amax over every row. */
static void test_quantize_tensor(void)
{
    float a[2 * 4] = { 1, 2, 3, 4, -8, 0, 0, 0 };
    qcts_actq *aq = qcts_actq_new(QCTS_AQ_FP8_E4M3_TENSOR, 2, 4);
    CU_ASSERT_FATAL(aq != NULL);
    qcts_actq_quantize(aq, a, 4);
    CU_ASSERT_EQUAL(bits(aq->rs[0]), bits(8.0f / 448.0f));
    CU_ASSERT_EQUAL(bits(aq->rs[1]), bits(8.0f / 448.0f));
    qcts_actq_free(aq);
}

/* ---- bit-exact against the reference (qref/actquant.h) --------------------------------------- */

/* Rows of many kinds: ordinary, ties at scale 1, tiny (127 / amax
 * overflows; amax / 448 underflows), huge, zero, with a NaN or an Inf. */
static void fill_row(float *x, int64_t K, int kind)
{
    for (int64_t k = 0; k < K; k++) {
        double u = unit() - 0.5;
        switch (kind % 7) {
        case 0: x[k] = (float)(u * 8.0); break;
        case 1: x[k] = (float)((double)(int)(u * 60.0) + 0.5); break;   /* halves */
        case 2: x[k] = (float)(u * 0x1p-140); break;                     /* subnormal */
        case 3: x[k] = (float)(u * 0x1p126); break;
        case 4: x[k] = 0.0f; break;
        case 5: x[k] = (float)(u * 3.0); if (k == K / 3) x[k] = NAN; break;
        default: x[k] = (float)(u * 3.0); if (k == K - 5) x[k] = -INFINITY; break;
        }
    }
    if (kind % 7 == 1 && K > 1)
        x[1] = 127.0f;   /* amax 127: scale 1, the halves are exact ties */
}

static void test_bitexact_vs_ref(void)
{
    static const uint32_t modes[] = { QCTS_AQ_INT8_TOKEN, QCTS_AQ_FP8_E4M3_TENSOR, QCTS_AQ_FP8_E4M3_TOKEN,
                                      QCTS_AQ_GGUF_Q8_0, QCTS_AQ_GGUF_Q8_1, QCTS_AQ_GGUF_Q8_K };
    const int64_t K = 512, M = 14;
    float *a = malloc(sizeof(float) * (size_t)(M * K));
    uint8_t *codes = malloc((size_t)(M * K));
    float *sc = malloc(sizeof(float) * (size_t)(M * K)), *sums = malloc(sizeof(float) * (size_t)(M * K));
    int bad = 0;
    for (unsigned it = 0; it < qtest_scale(64); it++)
        for (size_t mi = 0; mi < sizeof modes / sizeof modes[0]; mi++) {
            const uint32_t mode = modes[mi];
            rng = 1000 + it * 7 + mi;
            for (int64_t m = 0; m < M; m++)
                for (int64_t b = 0; b < K / 32; b++)   /* kinds change per 32 (GGUF blocks see several) */
                    fill_row(a + m * K + 32 * b, 32, (int)((m + it) % 7 == 5 || (m + it) % 7 == 6 ? (m + it) : (m + it + (b % 3 == 2) * 3)));
            if (mode == QCTS_AQ_FP8_E4M3_TENSOR && it % 2 == 0)   /* a clean tensor too */
                for (int64_t i = 0; i < M * K; i++)
                    if (!isfinite(a[i]))
                        a[i] = 1.0f;
            qcts_actq *aq = qcts_actq_new(mode, M, K);
            CU_ASSERT_FATAL(aq != NULL);
            qcts_actq_quantize(aq, a, K);
            CU_ASSERT_FATAL(qref_aq_quantize((qref_aq)mode, a, M, K, K, codes, sc, sums, NULL) == QREF_OK);
            bad += !QCHECK(memcmp(codes, aq->q, (size_t)(M * K)) == 0, "%s it %u: codes differ from qref",
                           qcts_actq_mode_name(mode), it);
            const int64_t ns = qref_aq_scale_count((qref_aq)mode, M, K);
            for (int64_t i = 0; i < ns && bad < 10; i++) {
                float mine = mode == QCTS_AQ_INT8_TOKEN || mode == QCTS_AQ_FP8_E4M3_TOKEN ? aq->rs[i]
                           : mode == QCTS_AQ_FP8_E4M3_TENSOR ? aq->rs[0] : aq->bd[i];
                bad += !QCHECK(bits(mine) == bits(sc[i]) || (isnan(mine) && isnan(sc[i])),
                               "%s it %u: scale %lld = %a, qref %a", qcts_actq_mode_name(mode), it, (long long)i,
                               (double)mine, (double)sc[i]);
                if (mode == QCTS_AQ_GGUF_Q8_1)
                    bad += !QCHECK(bits(aq->bs[i]) == bits(sums[i]) || (isnan(aq->bs[i]) && isnan(sums[i])),
                                   "q8_1 it %u: s %lld = %a, qref %a", it, (long long)i, (double)aq->bs[i],
                                   (double)sums[i]);
            }
            if (mode == QCTS_AQ_FP8_E4M3_TENSOR)
                for (int64_t m = 1; m < M; m++)
                    bad += !QCHECK(bits(aq->rs[m]) == bits(aq->rs[0]), "fp8 tensor: row %lld scale differs", (long long)m);
            if (mode == QCTS_AQ_GGUF_Q8_K)
                for (int64_t b = 0; b < M * K / 256; b++) {
                    int16_t ref[16];
                    float d;
                    int8_t q[256];
                    qref_aq_q8_K_block(a + 256 * b, q, &d, ref);
                    bad += !QCHECK(memcmp(ref, aq->bsums + 16 * b, sizeof ref) == 0, "q8_K it %u: bsums of block %lld",
                                   it, (long long)b);
                }
            qcts_actq_free(aq);
        }
    free(a);
    free(codes);
    free(sc);
    free(sums);
}

/* ---- kernels against the generic product --------------------------------------------------- */

typedef struct prob {
    const char *scheme;
    uint32_t mode;
    int64_t M, N, K;
    qref_qtensor t;
    uint8_t *wb;
    size_t wlen;
    float *a, *bias, *y;
} prob;

static int prob_make(prob *p, const char *scheme, uint32_t mode, int64_t M, int64_t N, int64_t K, uint64_t seed)
{
    memset(p, 0, sizeof *p);
    p->scheme = scheme;
    p->mode = mode;
    p->M = M;
    p->N = N;
    p->K = K;
    rng = seed;
    float *w = malloc(sizeof(float) * (size_t)(N * K));
    for (int64_t i = 0; i < N * K; i++)
        w[i] = (float)((unit() - 0.5) * ldexp(1.0, (int)((i / K) % 5) - 2));
    qref_error e;
    if (qref_quantize(qref_scheme_find(scheme), N, K, w, &p->t, &e) != QREF_OK) {
        free(w);
        return QCHECK(0, "%s: quantize: %s", scheme, e.msg);
    }
    free(w);
    p->wlen = p->t.sizes.total;
    p->wb = malloc(p->wlen);
    qref_qtensor_save(&p->t, p->wb, p->wlen);
    p->a = malloc(sizeof(float) * (size_t)(M * K));
    for (int64_t i = 0; i < M * K; i++)
        p->a[i] = (float)((unit() - 0.5) * 4.0);
    p->bias = malloc(sizeof(float) * (size_t)N);
    for (int64_t i = 0; i < N; i++)
        p->bias[i] = (float)(unit() - 0.5);
    p->y = malloc(sizeof(float) * (size_t)(M * N));
    return 1;
}

static void prob_free(prob *p)
{
    qref_qtensor_free(&p->t);
    free(p->wb);
    free(p->a);
    free(p->bias);
    free(p->y);
}

static qcts_status prob_run(prob *p, qcts_isa isa, int threads, const char **variant, char *msg, size_t n)
{
    qcts_gemm_desc d = { .scheme = p->scheme, .batch = 1, .M = p->M, .N = p->N, .K = p->K,
                         .a_dtype = QCTS_DT_F32, .out_dtype = QCTS_DT_F32, .has_bias = 1, .threads = threads,
                         .a_quant = p->mode };
    qcts_buffers b;
    memset(&b, 0, sizeof b);
    b.in[0] = p->a;
    b.in_bytes[0] = sizeof(float) * (size_t)(p->M * p->K);
    b.in[1] = p->wb;
    b.in_bytes[1] = p->wlen;
    b.in[2] = p->bias;
    b.in_bytes[2] = sizeof(float) * (size_t)p->N;
    b.out[0] = p->y;
    b.out_bytes[0] = sizeof(float) * (size_t)(p->M * p->N);
    return qcts_simd_call(isa, QCTS_OP_GEMM, &d, &b, variant, msg, n);
}

static int isa_runs(qcts_isa isa) { return qcts_isa_cpu_ok(isa, NULL, 0) && qcts_isa_built(isa, NULL, 0); }

static const struct {
    const char *scheme;
    uint32_t mode;
} kcases[] = {
    { "gguf_q4_0", QCTS_AQ_INT8_TOKEN },  { "gguf_q4_0", QCTS_AQ_GGUF_Q8_0 },  { "gguf_q8_0", QCTS_AQ_INT8_TOKEN },
    { "gguf_q8_0", QCTS_AQ_GGUF_Q8_0 },   { "gguf_mxfp4", QCTS_AQ_INT8_TOKEN }, { "gguf_mxfp4", QCTS_AQ_GGUF_Q8_0 },
    { "int4_sym_g128", QCTS_AQ_INT8_TOKEN }, { "fp4_g128_f16", QCTS_AQ_INT8_TOKEN }, { "mxfp4", QCTS_AQ_INT8_TOKEN },
    { "gguf_q4_k", QCTS_AQ_GGUF_Q8_K },   { "gguf_q6_k", QCTS_AQ_GGUF_Q8_K },
};

/* The K granularity of a case: q8_K super-blocks 256, other GGUF 32, KMAJOR g128. */
static int64_t kstep(size_t c)
{
    return kcases[c].mode == QCTS_AQ_GGUF_Q8_K ? 256 : strncmp(kcases[c].scheme, "gguf_", 5) == 0 ? 32 : 128;
}

/* Configuration 1 of AVX-512: QCTS_ACTQ_NOVNNI=1, the AVX-512 BW kernels
 * (as on a CPU without VNNI); of NEON: QCTS_ACTQ_NOI8MM=1, the dotprod
 * kernels where i8mm would serve. Returns 0 for a configuration to skip. */
static int novnni_cfg(qcts_isa isa, int on)
{
    if (!on)
        return 1;
    if (isa != QCTS_ISA_AVX512 && isa != QCTS_ISA_NEON)
        return 0;
    setenv(isa == QCTS_ISA_AVX512 ? "QCTS_ACTQ_NOVNNI" : "QCTS_ACTQ_NOI8MM", "1", 1);
    return 1;
}

/* Every kernel the dispatcher offered on this CPU was run, and an x86 CPU
 * with AVX2 (CI, this project's hosts) offers some: a test that quietly
 * checked nothing must fail, not pass. */
static void kernels_all_ran(int ran, int offered)
{
    QCHECK(ran == offered, "%d of the %d kernels offered on this CPU were run", ran, offered);
    QCHECK(offered > 0 || !isa_runs(QCTS_ISA_AVX2), "AVX2 runs here but no integer-dot kernel was offered");
}

/* Every kernel this CPU runs, on odd shapes (N % 4 tails, odd block
 * counts, M > 1), against the generic product: within a few roundings per
 * group of sum |a_q w|. A wrong code, zero offset or scale is off by far
 * more. */
static void test_kernels_vs_generic(void)
{
    static const int64_t shapes[][3] = { { 1, 9, 128 }, { 3, 7, 384 }, { 1, 13, 1024 }, { 2, 5, 256 },
                                         { 1, 6, 224 }, { 2, 5, 96 }, { 1, 4, 32 },   /* 7, 3, 1 blocks: tails */
                                         { 6, 7, 768 }, { 9, 5, 512 } };              /* M tiles of 4 + tails */
    int ran = 0, offered = 0;
    for (int cfg = 0; cfg < 2 * QCTS_ISA_COUNT; cfg++) {
        const qcts_isa isa = (qcts_isa)(cfg / 2);
        if (isa < QCTS_ISA_AVX2 || !isa_runs(isa) || !novnni_cfg(isa, cfg % 2))
            continue;
        for (size_t c = 0; c < sizeof kcases / sizeof kcases[0]; c++)
            for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
                const int64_t M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
                if (K % kstep(c))
                    continue;
                const qcts_actq_variant *v = qcts_actq_variant_best(isa, kcases[c].mode, kcases[c].scheme, K);
                if (!v)
                    continue;
                offered++;
                prob p;
                if (!prob_make(&p, kcases[c].scheme, kcases[c].mode, M, N, K, 77 + c * 13 + s)) {
                    CU_FAIL("out of memory making a problem");
                    continue;
                }
                char msg[512];
                const char *var = NULL;
                qcts_status st = prob_run(&p, isa, 1, &var, msg, sizeof msg);
                QCHECK(st == QCTS_OK, "%s %s: %s", kcases[c].scheme, qcts_actq_mode_name(kcases[c].mode), msg);
                QCHECK(var && strcmp(var, v->symbol) == 0, "variant %s, expected %s", var ? var : "(null)", v->symbol);
                float *yk = malloc(sizeof(float) * (size_t)(M * N));
                memcpy(yk, p.y, sizeof(float) * (size_t)(M * N));
                setenv("QCTS_ACTQ_GENERIC", "1", 1);
                st = prob_run(&p, isa, 1, &var, msg, sizeof msg);
                unsetenv("QCTS_ACTQ_GENERIC");
                QCHECK(st == QCTS_OK && strcmp(var, "qcts_actq_gemm__scalar") == 0, "generic: %s", msg);
                /* sum |a| |w| (activation values are within 1% of a): the scale of the error */
                float *wd = malloc(sizeof(float) * (size_t)(N * K));
                qref_dequantize(&p.t, wd, NULL);
                int bad = 0;
                for (int64_t m = 0; m < M && bad < 3; m++)
                    for (int64_t n = 0; n < N && bad < 3; n++) {
                        double S = fabs(p.bias[n]);
                        for (int64_t k = 0; k < K; k++)
                            S += fabs(p.a[m * K + k] * wd[n * K + k]) * 1.02;
                        const double tol = (double)(K / 16 + 8) * 0x1p-23 * S;
                        double e = fabs((double)yk[m * N + n] - (double)p.y[m * N + n]);
                        bad += !QCHECK(e <= tol, "%s %s %s M%lld N%lld K%lld: y[%lld][%lld] = %a, generic %a (tol %g)",
                                       v->symbol, kcases[c].scheme, qcts_actq_mode_name(kcases[c].mode), (long long)M,
                                       (long long)N, (long long)K, (long long)m, (long long)n, (double)yk[m * N + n],
                                       (double)p.y[m * N + n], tol);
                    }
                ran++;
                free(wd);
                free(yk);
                prob_free(&p);
            }
        unsetenv("QCTS_ACTQ_NOVNNI");
        unsetenv("QCTS_ACTQ_NOI8MM");
    }
    kernels_all_ran(ran, offered);
}

/* The same bits for threads 1, 2, 7 (kernel and generic product). */
static void test_threads_identical(void)
{
    for (int gen = 0; gen < 2; gen++)
        for (size_t c = 0; c < sizeof kcases / sizeof kcases[0]; c++) {
            qcts_isa isa;
            if (qcts_simd_isa(&isa, NULL, 0) != 0)
                return;
            prob p;
            if (!prob_make(&p, kcases[c].scheme, kcases[c].mode, 2, 37, 256, 5 + c))
                continue;
            if (gen)
                setenv("QCTS_ACTQ_GENERIC", "1", 1);
            char msg[512];
            float *y1 = malloc(sizeof(float) * 2 * 37);
            CU_ASSERT(prob_run(&p, isa, 1, NULL, msg, sizeof msg) == QCTS_OK);
            memcpy(y1, p.y, sizeof(float) * 2 * 37);
            for (int t = 2; t <= 7; t += 5) {
                CU_ASSERT(prob_run(&p, isa, t, NULL, msg, sizeof msg) == QCTS_OK);
                QCHECK(memcmp(y1, p.y, sizeof(float) * 2 * 37) == 0, "%s %s: threads %d differ from 1",
                       kcases[c].scheme, qcts_actq_mode_name(kcases[c].mode), t);
            }
            unsetenv("QCTS_ACTQ_GENERIC");
            free(y1);
            prob_free(&p);
        }
}

/* Weights decoded once per tile of activation rows (actq.h,
 * qcts_actq_drive_tiled) must not change a bit: every row of an M = 7 call
 * (a tile of 4 + 3 single rows) equals the same row computed alone (M =
 * 1), on every ISA this CPU runs and every kernel. */
static void test_tiles_match_single_rows(void)
{
    int ran = 0, offered = 0;
    for (int cfg = 0; cfg < 2 * QCTS_ISA_COUNT; cfg++) {
        const qcts_isa isa = (qcts_isa)(cfg / 2);
        if (isa < QCTS_ISA_AVX2 || !isa_runs(isa) || !novnni_cfg(isa, cfg % 2))
            continue;
        for (size_t c = 0; c < sizeof kcases / sizeof kcases[0]; c++) {
            const int64_t M = 7, N = 9, K = 2 * kstep(c) > 256 ? 2 * kstep(c) : 256;
            if (!qcts_actq_variant_best(isa, kcases[c].mode, kcases[c].scheme, K))
                continue;
            offered++;
            prob p, one;
            if (!prob_make(&p, kcases[c].scheme, kcases[c].mode, M, N, K, 900 + c)) {
                CU_FAIL("out of memory making a problem");
                continue;
            }
            if (!prob_make(&one, kcases[c].scheme, kcases[c].mode, 1, N, K, 900 + c)) {
                CU_FAIL("out of memory making a problem");
                prob_free(&p);
                continue;
            }
            memcpy(one.bias, p.bias, sizeof(float) * (size_t)N);   /* drawn after A: differs */
            char msg[512];
            CU_ASSERT(prob_run(&p, isa, 1, NULL, msg, sizeof msg) == QCTS_OK);
            for (int64_t m = 0; m < M; m++) {
                memcpy(one.a, p.a + m * K, sizeof(float) * (size_t)K);
                CU_ASSERT(prob_run(&one, isa, 1, NULL, msg, sizeof msg) == QCTS_OK);
                QCHECK(memcmp(one.y, p.y + m * N, sizeof(float) * (size_t)N) == 0,
                       "%s %s %s %s: row %lld of M = %lld differs from the same row alone", qcts_isa_name(isa),
                       qcts_actq_variant_best(isa, kcases[c].mode, kcases[c].scheme, K)->symbol, kcases[c].scheme, qcts_actq_mode_name(kcases[c].mode), (long long)m, (long long)M);
            }
            ran++;
            prob_free(&one);
            prob_free(&p);
        }
        unsetenv("QCTS_ACTQ_NOVNNI");
        unsetenv("QCTS_ACTQ_NOI8MM");
    }
    kernels_all_ran(ran, offered);
}

/* Pairs outside ggml's vec_dot_type table, a_group != 0: UNSUPPORTED with a
 * reason, never a product. A NaN activation row gives NaN outputs. */
static void test_refusals_and_nan(void)
{
    qcts_isa isa;
    if (qcts_simd_isa(&isa, NULL, 0) != 0)
        return;
    prob p;
    CU_ASSERT_FATAL(prob_make(&p, "int4_sym_g128", QCTS_AQ_GGUF_Q8_0, 1, 4, 128, 3));
    char msg[512] = "";
    CU_ASSERT_EQUAL(prob_run(&p, isa, 1, NULL, msg, sizeof msg), QCTS_UNSUPPORTED);
    CU_ASSERT(strstr(msg, "does not pair") != NULL);
    p.mode = QCTS_AQ_GGUF_Q8_K;
    CU_ASSERT_EQUAL(prob_run(&p, isa, 1, NULL, msg, sizeof msg), QCTS_UNSUPPORTED);
    p.mode = QCTS_AQ_INT8_TOKEN;
    p.a[17] = NAN;
    CU_ASSERT_EQUAL(prob_run(&p, isa, 1, NULL, msg, sizeof msg), QCTS_OK);
    for (int n = 0; n < 4; n++)
        CU_ASSERT(isnan(p.y[n]));
    prob_free(&p);
    CU_ASSERT_FATAL(prob_make(&p, "gguf_q4_0", QCTS_AQ_GGUF_Q8_0, 1, 4, 128, 3));
    p.a[40] = INFINITY;   /* block 1 of 4: every output it reaches is NaN */
    CU_ASSERT_EQUAL(prob_run(&p, isa, 1, NULL, msg, sizeof msg), QCTS_OK);
    for (int n = 0; n < 4; n++)
        CU_ASSERT(isnan(p.y[n]));
    prob_free(&p);
}

QTEST_SUITE(actq,
    QTEST(test_int8_token_known),
    QTEST(test_q8_0_known),
    QTEST(test_q8_k_known),
    QTEST(test_fp8_known),
    QTEST(test_quantize_tensor),
    QTEST(test_bitexact_vs_ref),
    QTEST(test_kernels_vs_generic),
    QTEST(test_threads_identical),
    QTEST(test_tiles_match_single_rows),
    QTEST(test_refusals_and_nan))
