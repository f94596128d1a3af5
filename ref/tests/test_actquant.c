/* Tests of the activation quantizers and the quantized-activation GEMM
 * (qref/actquant.h, ref/src/actquant_gemm.c).
 *
 *  - Known answers for every mode: ties (rne for INT8, roundf for Q8_0/Q8_1,
 *    ggml's nearest_int for Q8_K, e4m3 ties to even), amax == 0, the
 *    first-on-ties max of Q8_K, overflow of 127/amax, NaN/Inf poisoning.
 *  - The GEMM against a double oracle on small integer problems (exact in
 *    double), Q8_1's ggml formula, mode/scheme pairing, poisoned rows.
 *  - The bound both ways: an f32 kernel that uses the right codes in ggml's
 *    order stays inside it; the same kernel with a plausible wrong quantizer
 *    (roundf instead of rne for INT8; rne instead of roundf for Q8_0; one
 *    code off for FP8 and Q8_K) leaves it at small K. */
#include <stdio.h>
#include <string.h>

#include "qref/actquant.h"
#include "qref/bits.h"
#include "qref/fmt.h"
#include "qref/gemm.h"
#include "qref/scheme.h"
#include "qtest.h"

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static float unif(uint64_t *s) { return (float)(splitmix64(s) >> 40) * 0x1p-24f * 2.0f - 1.0f; }

#define NAN_F qref_f32_from_bits(0x7FC00000u)
#define INF_F qref_f32_from_bits(0x7F800000u)

/* ---- quantizers ------------------------------------------------------------------ */

static void test_int8_known(void)
{
    /* amax 127: inv = 1, s = 1; ties go to even */
    float x[8] = { 127.0f, 2.5f, 3.5f, -2.5f, -0.5f, 0.0f, 1.5f, -127.0f };
    int8_t q[8], want[8] = { 127, 2, 4, -2, 0, 0, 2, -127 };
    float s;
    CU_ASSERT_EQUAL(qref_aq_int8_row(x, 8, q, &s), 0);
    CU_ASSERT_EQUAL(memcmp(q, want, 8), 0);
    CU_ASSERT_EQUAL(qref_f32_bits(s), qref_f32_bits(1.0f));
    /* amax 1: inv = 127, s = 1/127 rounded */
    float y[3] = { 1.0f, -0.5f, 0.25f };
    CU_ASSERT_EQUAL(qref_aq_int8_row(y, 3, q, &s), 0);
    CU_ASSERT(q[0] == 127 && q[1] == -64 && q[2] == 32);   /* -63.5 -> -64 (even), 31.75 -> 32 */
    CU_ASSERT_EQUAL(qref_f32_bits(s), qref_f32_bits(1.0f / 127.0f));
    /* amax == 0 */
    float z[4] = { 0.0f, -0.0f, 0.0f, 0.0f };
    CU_ASSERT_EQUAL(qref_aq_int8_row(z, 4, q, &s), 0);
    CU_ASSERT(q[0] == 0 && q[1] == 0 && qref_f32_bits(s) == 0);
    /* 127/amax overflows: Inf products saturate, 0·Inf (NaN) gives 0 */
    float t[3] = { 0x1p-130f, -0x1p-130f, 0.0f };
    CU_ASSERT_EQUAL(qref_aq_int8_row(t, 3, q, &s), 0);
    CU_ASSERT(q[0] == 127 && q[1] == -128 && q[2] == 0);
    /* poisoned */
    float p[3] = { 1.0f, NAN_F, 2.0f }, r[3] = { 1.0f, -INF_F, 2.0f };
    CU_ASSERT_EQUAL(qref_aq_int8_row(p, 3, q, &s), 1);
    CU_ASSERT(q[0] == 0 && q[2] == 0 && s != s);
    CU_ASSERT_EQUAL(qref_aq_int8_row(r, 3, q, &s), 1);
}

static void test_fp8_known(void)
{
    float x[6] = { 448.0f, 17.0f, 19.0f, -0.0f, -448.0f, 0.0009f };
    uint8_t q[6];
    float s = qref_aq_fp8_scale(x, 6);
    CU_ASSERT_EQUAL(qref_f32_bits(s), qref_f32_bits(1.0f));
    qref_aq_fp8_encode(x, 6, s, q);
    CU_ASSERT_EQUAL(q[0], 0x7E);   /* 448 */
    CU_ASSERT_EQUAL(q[1], 0x58);   /* 17: tie of 16 (0x58) and 18 (0x59) -> even */
    CU_ASSERT_EQUAL(q[2], 0x5A);   /* 19: tie of 18 and 20 -> 20 (0x5A, even) */
    CU_ASSERT_EQUAL(q[3], 0x80);   /* -0 */
    CU_ASSERT_EQUAL(q[4], 0xFE);
    CU_ASSERT_EQUAL(q[5], 0x00);   /* below half the smallest subnormal 2^-9 */
    float z[2] = { 0.0f, 0.0f };
    CU_ASSERT_EQUAL(qref_f32_bits(qref_aq_fp8_scale(z, 2)), 0);
    /* s underflows to 0 (amax 2^-149): every code 0 */
    float t[2] = { 0x1p-149f, 0.0f };
    s = qref_aq_fp8_scale(t, 2);
    CU_ASSERT_EQUAL(qref_f32_bits(s), 0);
    qref_aq_fp8_encode(t, 2, s, q);
    CU_ASSERT(q[0] == 0 && q[1] == 0);
    float p[2] = { INF_F, 1.0f };
    s = qref_aq_fp8_scale(p, 2);
    CU_ASSERT(s != s);
    qref_aq_fp8_encode(p, 2, s, q);
    CU_ASSERT(q[0] == 0 && q[1] == 0);
    /* a matrix in TENSOR mode: one scale over both rows, both rows poisoned */
    float a[4] = { 1.0f, 2.0f, 3.0f, NAN_F }, sc[1];
    uint8_t c[4], poison[2];
    CU_ASSERT_EQUAL(qref_aq_quantize(QREF_AQ_FP8_E4M3_TENSOR, a, 2, 2, 2, c, sc, NULL, poison), QREF_OK);
    CU_ASSERT(poison[0] == 1 && poison[1] == 1 && sc[0] != sc[0]);
    a[3] = 448.0f * 2;
    CU_ASSERT_EQUAL(qref_aq_quantize(QREF_AQ_FP8_E4M3_TENSOR, a, 2, 2, 2, c, sc, NULL, poison), QREF_OK);
    CU_ASSERT(poison[0] == 0 && sc[0] == 2.0f && c[3] == 0x7E && c[0] == 0x30);   /* 0.5 = 0x30 */
}

static void test_q8_0_known(void)
{
    float x[32] = { 127.0f, 2.5f, -2.5f, 0.5f, -0.5f, 1.49f, 3.5f };
    int8_t q[32];
    uint16_t d, s;
    CU_ASSERT_EQUAL(qref_aq_q8_0_block(x, q, &d), 0);
    CU_ASSERT_EQUAL(d, 0x3C00);   /* f16 1.0 */
    CU_ASSERT(q[0] == 127 && q[1] == 3 && q[2] == -3 && q[3] == 1 && q[4] == -1 && q[5] == 1 && q[6] == 4);
    CU_ASSERT_EQUAL(qref_aq_q8_1_block(x, q, &d, &s), 0);
    CU_ASSERT_EQUAL(qref_f16_to_f32(s), 127.0f + 3 - 3 + 1 - 1 + 1 + 4);
    memset(x, 0, sizeof x);
    CU_ASSERT_EQUAL(qref_aq_q8_0_block(x, q, &d), 0);
    CU_ASSERT(d == 0 && q[0] == 0);
    x[7] = INF_F;
    CU_ASSERT_EQUAL(qref_aq_q8_1_block(x, q, &d, &s), 1);
    CU_ASSERT(d == 0x7E00 && s == 0x7E00);
    /* d rounds to f16 but the codes use the f32 d: amax 1 -> d = 1/127 */
    float y[32] = { 1.0f, 0.5f };
    CU_ASSERT_EQUAL(qref_aq_q8_0_block(y, q, &d), 0);
    CU_ASSERT_EQUAL(d, qref_f32_to_f16(1.0f / 127.0f));
    CU_ASSERT(q[0] == 127 && q[1] == 64);   /* 63.5 (up to rounding of id) -> roundf */
}

static void test_q8_K_known(void)
{
    float x[256] = { 0 };
    int8_t q[256];
    int16_t bs[16];
    float d;
    x[0] = -127.0f, x[1] = 2.5f, x[2] = 3.5f, x[3] = 127.0f, x[17] = -1.0f;
    CU_ASSERT_EQUAL(qref_aq_q8_K_block(x, q, &d, bs), 0);
    /* max is the first of the largest |x|: -127, so iscale = 1, d = 1 */
    CU_ASSERT_EQUAL(qref_f32_bits(d), qref_f32_bits(1.0f));
    CU_ASSERT(q[0] == -127 && q[1] == 2 && q[2] == 4 && q[3] == 127 && q[17] == -1);
    CU_ASSERT(bs[0] == -127 + 2 + 4 + 127 && bs[1] == -1 && bs[2] == 0);
    x[0] = 127.0f;   /* now max = +127: iscale = -1, codes negated, d = -1 */
    CU_ASSERT_EQUAL(qref_aq_q8_K_block(x, q, &d, bs), 0);
    CU_ASSERT(d == -1.0f && q[0] == -127 && q[1] == -2 && q[2] == -4);
    memset(x, 0, sizeof x);
    CU_ASSERT_EQUAL(qref_aq_q8_K_block(x, q, &d, bs), 0);
    CU_ASSERT(d == 0.0f && q[0] == 0 && bs[0] == 0);
    x[255] = NAN_F;
    CU_ASSERT_EQUAL(qref_aq_q8_K_block(x, q, &d, bs), 1);
    CU_ASSERT(d != d);
}

static void test_names_pairs(void)
{
    qref_aq m;
    CU_ASSERT_EQUAL(qref_aq_from_name("Q8_K", &m), QREF_OK);
    CU_ASSERT_EQUAL(m, QREF_AQ_GGUF_Q8_K);
    CU_ASSERT_STRING_EQUAL(qref_aq_name(QREF_AQ_INT8_TOKEN), "int8_token");
    CU_ASSERT_EQUAL(qref_aq_from_name("q8_2", &m), QREF_ERR_ARG);
    CU_ASSERT_EQUAL(qref_aq_pairs_with(QREF_AQ_GGUF_Q8_0, qref_scheme_find("gguf_q4_0")), QREF_OK);
    CU_ASSERT_EQUAL(qref_aq_pairs_with(QREF_AQ_GGUF_Q8_0, qref_scheme_find("gguf_q4_k")), QREF_ERR_UNSUPPORTED);
    CU_ASSERT_EQUAL(qref_aq_pairs_with(QREF_AQ_GGUF_Q8_1, qref_scheme_find("gguf_q4_0")), QREF_ERR_UNSUPPORTED);
    CU_ASSERT_EQUAL(qref_aq_pairs_with(QREF_AQ_GGUF_Q8_K, qref_scheme_find("gguf_q6_k")), QREF_OK);
    CU_ASSERT_EQUAL(qref_aq_pairs_with(QREF_AQ_GGUF_Q8_K, qref_scheme_find("fp4_g32_f16")), QREF_ERR_UNSUPPORTED);
    CU_ASSERT_EQUAL(qref_aq_pairs_with(QREF_AQ_INT8_TOKEN, qref_scheme_find("gguf_q4_k")), QREF_OK);
    CU_ASSERT_EQUAL(qref_aq_pairs_with(QREF_AQ_NONE, qref_scheme_find("gguf_q4_k")), QREF_ERR_ARG);
    float a[64] = { 0 }, sc[4];
    uint8_t c[64];
    CU_ASSERT_EQUAL(qref_aq_quantize(QREF_AQ_GGUF_Q8_K, a, 1, 64, 64, c, sc, NULL, NULL), QREF_ERR_SIZE);
    CU_ASSERT_EQUAL(qref_aq_quantize(QREF_AQ_GGUF_Q8_1, a, 1, 64, 64, c, sc, NULL, NULL), QREF_ERR_ARG);
}

/* ---- the GEMM ------------------------------------------------------------------- */

typedef struct prob {
    int64_t M, N, K;
    float *a, *bias, *y, *bound;
    qref_qtensor w;
} prob;

static int make_prob(prob *p, const char *scheme, int64_t M, int64_t N, int64_t K, uint64_t seed, int bias)
{
    memset(p, 0, sizeof *p);
    p->M = M, p->N = N, p->K = K;
    p->a = malloc(sizeof(float) * (size_t)(M * K));
    p->y = malloc(sizeof(float) * (size_t)(M * N));
    p->bound = malloc(sizeof(float) * (size_t)(M * N));
    p->bias = bias ? malloc(sizeof(float) * (size_t)N) : NULL;
    float *wf = malloc(sizeof(float) * (size_t)(N * K));
    uint64_t s = seed;
    for (int64_t i = 0; i < M * K; i++)
        p->a[i] = unif(&s) * 3.0f;
    for (int64_t i = 0; i < N * K; i++)
        wf[i] = unif(&s);
    for (int64_t i = 0; bias && i < N; i++)
        p->bias[i] = unif(&s);
    qref_error err;
    qref_status st = qref_quantize(qref_scheme_find(scheme), N, K, wf, &p->w, &err);
    free(wf);
    return st == QREF_OK;
}

static void free_prob(prob *p)
{
    free(p->a), free(p->y), free(p->bound), free(p->bias);
    qref_qtensor_free(&p->w);
}

static qref_status run_ref(prob *p, qref_aq mode)
{
    qref_gemm_desc d = { .batch = 1, .M = p->M, .N = p->N, .K = p->K, .a_dtype = QREF_FMT_F32,
                         .out_dtype = QREF_FMT_F32, .has_bias = p->bias != NULL, .a_quant = (int)mode };
    qref_error err;
    return qref_gemm(&d, p->a, &p->w, p->bias, p->y, p->bound, QREF_ACC_F32, &err);
}

/* The exact value in double where it is exact: small K, integer-ish
 * weights with f16 scales, codes * scales: at most ~24 + 11 + 8 bits a term
 * and K <= 64 terms spread over few binades; checked against the reference
 * only to the f32 rounding. */
static double oracle(qref_aq mode, const prob *p, int64_t m, int64_t n, const uint8_t *codes, const float *sc,
                     const float *sums)
{
    double hi[512], lo[512], s = p->bias ? p->bias[n] : 0.0;
    qref_error err;
    qref_dequantize_row_exact(&p->w, n, hi, lo, &err);
    int64_t blk = qref_aq_block(mode, p->K);
    for (int64_t k = 0; k < p->K; k++) {
        int64_t si = mode == QREF_AQ_FP8_E4M3_TENSOR ? 0 : blk == p->K ? m : m * (p->K / blk) + k / blk;
        s += (double)sc[si] * qref_aq_code_value(mode, codes[m * p->K + k]) * (hi[k] + lo[k]);
    }
    if (mode == QREF_AQ_GGUF_Q8_1)
        for (int64_t j = 0; j < p->K / 32; j++) {
            const uint8_t *b = p->w.codes + ((size_t)n * (size_t)(p->K / 32) + (size_t)j) * 20;
            double mw = qref_f16_to_f32((uint16_t)(b[2] | b[3] << 8)), sum = 0;
            for (int k = 0; k < 32; k++)
                sum += (int8_t)codes[m * p->K + j * 32 + k];
            s += mw * ((double)sums[m * (p->K / 32) + j] - (double)sc[m * (p->K / 32) + j] * sum);
        }
    return s;
}

static void test_gemm_oracle(void)
{
    static const struct {
        qref_aq mode;
        const char *scheme;
    } cases[] = {
        { QREF_AQ_INT8_TOKEN, "int8_per_channel" }, { QREF_AQ_INT8_TOKEN, "gguf_q4_k" },
        { QREF_AQ_FP8_E4M3_TOKEN, "fp4_g32_f16" },  { QREF_AQ_FP8_E4M3_TENSOR, "gguf_q8_0" },
        { QREF_AQ_GGUF_Q8_0, "gguf_q4_0" },         { QREF_AQ_GGUF_Q8_0, "gguf_mxfp4" },
        { QREF_AQ_GGUF_Q8_0, "gguf_nvfp4" },        { QREF_AQ_GGUF_Q8_1, "gguf_q4_1" },
        { QREF_AQ_GGUF_Q8_K, "gguf_q4_k" },         { QREF_AQ_GGUF_Q8_K, "gguf_q6_k" },
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int64_t K = cases[c].mode == QREF_AQ_GGUF_Q8_K || !strncmp(cases[c].scheme, "gguf_q", 6) ? 256 : 64;
        if (!strcmp(cases[c].scheme, "gguf_q4_0") || !strcmp(cases[c].scheme, "gguf_q4_1") ||
            !strcmp(cases[c].scheme, "gguf_q8_0"))
            K = 64;
        prob p;
        CU_ASSERT_FATAL(make_prob(&p, cases[c].scheme, 3, 5, K, 77 + c, (int)(c & 1)));
        CU_ASSERT_EQUAL_FATAL(run_ref(&p, cases[c].mode), QREF_OK);
        uint8_t *codes = malloc((size_t)(3 * K));
        float sc[64], sums[64];
        qref_aq_quantize(cases[c].mode, p.a, 3, K, K, codes, sc, sums, NULL);
        int bad = 0;
        for (int64_t m = 0; m < 3; m++)
            for (int64_t n = 0; n < 5; n++) {
                double o = oracle(cases[c].mode, &p, m, n, codes, sc, sums);
                float y = p.y[m * 5 + n];
                /* the double oracle rounds each term and sum (2^-53 relative): compare loosely */
                double diff = (double)y - o, tol = 1e-6 * (o < 0 ? -o : o) + 1e-6;
                bad += !QCHECK(diff <= tol && -diff <= tol && p.bound[m * 5 + n] > 0.0f,
                               "%s x %s: y[%lld][%lld] = %.9g, oracle %.9g (bound %g)", qref_aq_name(cases[c].mode),
                               cases[c].scheme, (long long)m, (long long)n, y, o, p.bound[m * 5 + n]);
            }
        CU_ASSERT_EQUAL(bad, 0);
        free(codes);
        free_prob(&p);
    }
}

static void test_gemm_unsupported_and_poison(void)
{
    prob p;
    CU_ASSERT_FATAL(make_prob(&p, "gguf_q4_k", 2, 3, 256, 5, 1));
    CU_ASSERT_EQUAL(run_ref(&p, QREF_AQ_GGUF_Q8_0), QREF_ERR_UNSUPPORTED);
    CU_ASSERT_EQUAL(run_ref(&p, QREF_AQ_GGUF_Q8_1), QREF_ERR_UNSUPPORTED);
    CU_ASSERT_EQUAL(run_ref(&p, (qref_aq)9), QREF_ERR_ARG);
    p.a[256 + 17] = INF_F;   /* row 1 poisoned: NaN across it, bound 0; row 0 finite */
    CU_ASSERT_EQUAL(run_ref(&p, QREF_AQ_GGUF_Q8_K), QREF_OK);
    for (int n = 0; n < 3; n++) {
        CU_ASSERT(p.y[3 + n] != p.y[3 + n] && p.bound[3 + n] == 0.0f);
        CU_ASSERT(p.y[n] == p.y[n] && p.bound[n] > 0.0f);
    }
    CU_ASSERT_EQUAL(run_ref(&p, QREF_AQ_FP8_E4M3_TENSOR), QREF_OK);   /* tensor: both rows */
    for (int n = 0; n < 6; n++)
        CU_ASSERT(p.y[n] != p.y[n]);
    free_prob(&p);
}

/* An f32 kernel in ggml's order: per block, integer dot, times the two
 * scales, summed in f32. quant(): the activation quantizer to use. */
typedef void (*quant_fn)(const float *x, int64_t K, uint8_t *codes, float *scales);

static void q_int8_ok(const float *x, int64_t K, uint8_t *c, float *s) { qref_aq_int8_row(x, K, (int8_t *)c, s); }

static void q_int8_roundf(const float *x, int64_t K, uint8_t *c, float *s)
{
    float amax = 0;
    for (int64_t k = 0; k < K; k++)
        amax = (x[k] < 0 ? -x[k] : x[k]) > amax ? (x[k] < 0 ? -x[k] : x[k]) : amax;
    float inv = 127.0f / amax;
    for (int64_t k = 0; k < K; k++) {
        float v = x[k] * inv;
        c[k] = (uint8_t)(int8_t)(v < 0 ? -(int)(-v + 0.5f) : (int)(v + 0.5f));   /* roundf: ties away */
    }
    *s = amax / 127.0f;
}

static void q_q8_0_ok(const float *x, int64_t K, uint8_t *c, float *s)
{
    for (int64_t j = 0; j < K / 32; j++) {
        uint16_t d;
        qref_aq_q8_0_block(x + 32 * j, (int8_t *)c + 32 * j, &d);
        s[j] = qref_f16_to_f32(d);
    }
}

static void q_q8_0_rne(const float *x, int64_t K, uint8_t *c, float *s)
{
    q_q8_0_ok(x, K, c, s);
    for (int64_t j = 0; j < K / 32; j++) {
        float amax = 0;
        for (int k = 0; k < 32; k++)
            amax = (x[32 * j + k] < 0 ? -x[32 * j + k] : x[32 * j + k]) > amax ? (x[32 * j + k] < 0 ? -x[32 * j + k] : x[32 * j + k]) : amax;
        float dd = amax / 127.0f, id = dd ? 1.0f / dd : 0.0f;
        for (int k = 0; k < 32; k++) {
            float v = x[32 * j + k] * id, a = v < 0 ? -v : v, r = (a + 8388608.0f) - 8388608.0f;   /* ties to even (AVX) */
            c[32 * j + k] = (uint8_t)(int8_t)(int)(v < 0 ? -r : r);
        }
    }
}

/* y[n] = Σ_blocks (s_a·d_w_exact...) — here simply Σ_k f32(s·q)·f32(w), in f32, forward. */
static float kernel_dot(const uint8_t *c, const float *s, int64_t blk, const double *w, int64_t K)
{
    float acc = 0.0f;
    for (int64_t k = 0; k < K; k++)
        acc += (s[k / blk] * (float)(int8_t)c[k]) * (float)w[k];
    return acc;
}

static int kernel_within(prob *p, quant_fn q, int64_t blk)
{
    uint8_t c[256];
    float s[8];
    double hi[256], lo[256];
    qref_error err;
    int out = 0;
    for (int64_t m = 0; m < p->M; m++) {
        q(p->a + m * p->K, p->K, c, s);
        for (int64_t n = 0; n < p->N; n++) {
            qref_dequantize_row_exact(&p->w, n, hi, lo, &err);
            float y = kernel_dot(c, s, blk, hi, p->K), r = p->y[m * p->N + n], d = y - r;
            out += (d < 0 ? -d : d) > p->bound[m * p->N + n];
        }
    }
    return out;   /* elements outside the bound */
}

/* Activations with ties: x = (j + 1/2)·2^-e·amax/127-ish values make
 * a·inv land on .5 exactly. */
static void make_ties(prob *p, float amax)
{
    for (int64_t m = 0; m < p->M; m++)
        for (int64_t k = 0; k < p->K; k++)
            p->a[m * p->K + k] = k % 32 == 0 ? amax : ((float)(k % 13) + 0.5f) * (amax / 127.0f) * (m + 1 == 2 ? -1 : 1);
}

static void test_bound_both_ways(void)
{
    prob p;
    CU_ASSERT_FATAL(make_prob(&p, "gguf_q8_0", 3, 8, 32, 11, 0));
    make_ties(&p, 127.0f);   /* amax 127: inv = 1 and id = 1, so every x·inv is an exact tie */
    CU_ASSERT_EQUAL_FATAL(run_ref(&p, QREF_AQ_INT8_TOKEN), QREF_OK);
    CU_ASSERT_EQUAL(kernel_within(&p, q_int8_ok, 32), 0);
    CU_ASSERT(kernel_within(&p, q_int8_roundf, 32) > 0);
    CU_ASSERT_EQUAL_FATAL(run_ref(&p, QREF_AQ_GGUF_Q8_0), QREF_OK);
    CU_ASSERT_EQUAL(kernel_within(&p, q_q8_0_ok, 32), 0);
    CU_ASSERT(kernel_within(&p, q_q8_0_rne, 32) > 0);
    /* random data: the right kernel stays inside the bound at K = 256 too */
    free_prob(&p);
    CU_ASSERT_FATAL(make_prob(&p, "gguf_q8_0", 4, 16, 256, 12, 0));
    CU_ASSERT_EQUAL_FATAL(run_ref(&p, QREF_AQ_GGUF_Q8_0), QREF_OK);
    CU_ASSERT_EQUAL(kernel_within(&p, q_q8_0_ok, 32), 0);
    CU_ASSERT_EQUAL_FATAL(run_ref(&p, QREF_AQ_INT8_TOKEN), QREF_OK);
    CU_ASSERT_EQUAL(kernel_within(&p, q_int8_ok, 256), 0);
    free_prob(&p);
}

static void test_exact_fill(void)
{
    prob p;
    CU_ASSERT_FATAL(make_prob(&p, "gguf_q8_0", 2, 4, 32, 3, 0));
    qref_gemm_desc d = { .batch = 1, .M = 2, .N = 4, .K = 32, .a_dtype = QREF_FMT_F32, .out_dtype = QREF_FMT_F32,
                         .a_quant = QREF_AQ_INT8_TOKEN };
    qref_error err;
    int ex = -1;
    CU_ASSERT_EQUAL(qref_gemm_is_exact_fill(&d, p.a, &p.w, NULL, QREF_ACC_F32, &ex, &err), QREF_OK);
    CU_ASSERT_EQUAL(ex, 0);   /* random amax: s = amax/127 is no power of two */
    free_prob(&p);
}

QTEST_SUITE(actquant,
    QTEST(test_int8_known),
    QTEST(test_fp8_known),
    QTEST(test_q8_0_known),
    QTEST(test_q8_K_known),
    QTEST(test_names_pairs),
    QTEST(test_gemm_oracle),
    QTEST(test_gemm_unsupported_and_poison),
    QTEST(test_bound_both_ways),
    QTEST(test_exact_fill))
