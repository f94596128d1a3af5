/* qact_ggml — the quantized-activation reference (qref/actquant.h) against
 * ggml's own code, built from the sources of a pinned llama.cpp release at
 * test time (tests/ggml/build.sh; nothing of ggml is in this repository).
 *
 * This file includes no ggml header: ggml's functions are declared here with
 * their C ABI (blocks as bytes), so the two libraries share no types.
 *   1. Quantizers: ggml's quantize_row_q8_0_ref / q8_1_ref / q8_K_ref and
 *      qcts's qref_aq_q8_0_block / q8_1 / q8_K on the same rows (gaussian,
 *      ties on .5, amax == 0 blocks, tiny and huge scales): every byte of
 *      every block must be equal.
 *   2. Dot products: ggml's generic (scalar) vec_dot for q4_0, q8_0, mxfp4,
 *      nvfp4 x q8_0, q4_1 x q8_1, q4_K, q6_K x q8_K on weights quantized by
 *      qref (byte-compatible GGUF blocks) and activations quantized by ggml,
 *      against qref_gemm with that a_quant: |ggml - ref| <= ref's bound, and
 *      bit-equal where qref calls the problem an exact fill.
 * Prints one line per check group and "ggml cross-check: N checks, F
 * failures"; exit 1 on any failure. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qref/actquant.h"
#include "qref/bits.h"
#include "qref/fmt.h"
#include "qref/gemm.h"
#include "qref/scheme.h"

/* ---- ggml's C ABI ----------------------------------------------------------------- */
void quantize_row_q8_0_ref(const float *x, void *y, int64_t k);
void quantize_row_q8_1_ref(const float *x, void *y, int64_t k);
void quantize_row_q8_K_ref(const float *x, void *y, int64_t k);
typedef void (*vec_dot_fn)(int n, float *s, size_t bs, const void *vx, size_t bx, const void *vy, size_t by, int nrc);
void ggml_vec_dot_q4_0_q8_0_generic(int, float *, size_t, const void *, size_t, const void *, size_t, int);
void ggml_vec_dot_q8_0_q8_0_generic(int, float *, size_t, const void *, size_t, const void *, size_t, int);
void ggml_vec_dot_mxfp4_q8_0_generic(int, float *, size_t, const void *, size_t, const void *, size_t, int);
void ggml_vec_dot_nvfp4_q8_0_generic(int, float *, size_t, const void *, size_t, const void *, size_t, int);
void ggml_vec_dot_q4_1_q8_1_generic(int, float *, size_t, const void *, size_t, const void *, size_t, int);
void ggml_vec_dot_q4_K_q8_K_generic(int, float *, size_t, const void *, size_t, const void *, size_t, int);
void ggml_vec_dot_q6_K_q8_K_generic(int, float *, size_t, const void *, size_t, const void *, size_t, int);

/* What ggml.c would provide; the two files built need only these. The f16
 * table holds the exact value of every f16 (what ggml's conversion gives). */
float ggml_table_f32_f16[1 << 16];
void ggml_abort(const char *file, int line, const char *fmt, ...);
void ggml_abort(const char *file, int line, const char *fmt, ...)
{
    (void)fmt;
    fprintf(stderr, "ggml_abort at %s:%d\n", file, line);
    abort();
}
size_t ggml_row_size(int type, int64_t ne);
size_t ggml_row_size(int type, int64_t ne) { (void)type, (void)ne; return 0; }
size_t ggml_type_size(int type);
size_t ggml_type_size(int type) { (void)type; return 0; }
const char *ggml_type_name(int type);
const char *ggml_type_name(int type) { (void)type; return "?"; }

/* ---- helpers ------------------------------------------------------------------------- */

static long checks, failures;

static void fail(const char *what, long i, const char *detail)
{
    failures++;
    if (failures <= 20)
        fprintf(stderr, "FAIL: %s (case %ld): %s\n", what, i, detail);
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint64_t next(void)
{
    uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static float unif(void) { return (float)(next() >> 40) * 0x1p-24f * 2.0f - 1.0f; }

/* A row of n activations in one of several shapes: gaussian-ish, ties (one
 * element 127·2^e, the others (j + 1/2)·2^e), all zeros, tiny, huge. */
static void make_row(float *x, int n, int kind)
{
    float sc = kind == 3 ? 0x1p-100f : kind == 4 ? 0x1p100f : 1.0f;
    for (int i = 0; i < n; i++) {
        if (kind == 1)
            x[i] = i % 32 == 0 ? 127.0f : (float)((int)(next() % 119) - 59) + 0.5f;
        else if (kind == 2)
            x[i] = 0.0f;
        else
            x[i] = (unif() + unif() + unif()) * sc;
        if (kind == 1 && (next() & 1))
            x[i] = -x[i];
    }
    if (kind == 5)   /* some zero blocks among non-zero ones */
        memset(x, 0, sizeof *x * (size_t)(n / 2));
}

/* ---- 1. quantizers ----------------------------------------------------------------------- */

/* The wrong quantizer the comparison must catch: q8_0 codes rounded to
 * nearest even (ggml's AVX quantize_row_q8_0), not roundf like _ref. 1 when
 * its codes differ from ggml's block g (34 bytes). */
static int rne_differs(const float *x, const uint8_t *g)
{
    float amax = 0.0f;
    for (int j = 0; j < 32; j++)
        amax = (x[j] < 0 ? -x[j] : x[j]) > amax ? (x[j] < 0 ? -x[j] : x[j]) : amax;
    float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
    for (int j = 0; j < 32; j++) {
        float v = x[j] * id, a = v < 0 ? -v : v, r = a < 8388608.0f ? (a + 8388608.0f) - 8388608.0f : a;
        if ((int8_t)g[2 + j] != (int)(v < 0 ? -r : r))
            return 1;
    }
    return 0;
}

static void check_quantizers(void)
{
    enum { K = 1024 };
    float x[K];
    uint8_t g[K / 32 * 36 + 64], r[K / 32 * 36 + 64];
    char d[200];
    long before = failures, wrong_caught = 0;
    for (int it = 0; it < 600; it++) {
        make_row(x, K, it % 6);
        /* q8_0: 34-byte blocks (f16 d, 32 int8) */
        quantize_row_q8_0_ref(x, g, K);
        for (int b = 0; b < K / 32; b++) {
            uint16_t dd;
            qref_aq_q8_0_block(x + 32 * b, (int8_t *)r + 34 * b + 2, &dd);
            r[34 * b] = (uint8_t)dd, r[34 * b + 1] = (uint8_t)(dd >> 8);
        }
        checks++;
        if (memcmp(g, r, K / 32 * 34)) {
            snprintf(d, sizeof d, "q8_0 blocks differ (row kind %d)", it % 6);
            fail("quantize_row_q8_0_ref", it, d);
        }
        for (int b = 0; b < K / 32; b++)
            wrong_caught += rne_differs(x + 32 * b, g + 34 * b);
        /* q8_1: 36-byte blocks (f16 d, f16 s, 32 int8) */
        quantize_row_q8_1_ref(x, g, K);
        for (int b = 0; b < K / 32; b++) {
            uint16_t dd, ss;
            qref_aq_q8_1_block(x + 32 * b, (int8_t *)r + 36 * b + 4, &dd, &ss);
            r[36 * b] = (uint8_t)dd, r[36 * b + 1] = (uint8_t)(dd >> 8);
            r[36 * b + 2] = (uint8_t)ss, r[36 * b + 3] = (uint8_t)(ss >> 8);
        }
        checks++;
        if (memcmp(g, r, K / 32 * 36)) {
            snprintf(d, sizeof d, "q8_1 blocks differ (row kind %d)", it % 6);
            fail("quantize_row_q8_1_ref", it, d);
        }
        /* q8_K: 292-byte blocks (f32 d, 256 int8, 16 int16 bsums). ggml leaves
         * bsums of an all-zero block unwritten: compare them elsewhere only. */
        uint8_t gk[4 * 292], rk[4 * 292];
        memset(gk, 0, sizeof gk);
        quantize_row_q8_K_ref(x, gk, K);
        for (int b = 0; b < K / 256; b++) {
            float dk;
            int16_t bs[16];
            qref_aq_q8_K_block(x + 256 * b, (int8_t *)rk + 292 * b + 4, &dk, bs);
            memcpy(rk + 292 * b, &dk, 4);
            memcpy(rk + 292 * b + 260, bs, 32);
        }
        checks++;
        if (memcmp(gk, rk, sizeof gk)) {
            snprintf(d, sizeof d, "q8_K blocks differ (row kind %d)", it % 6);
            fail("quantize_row_q8_K_ref", it, d);
        }
    }
    checks++;
    if (!wrong_caught)   /* the test must be able to fail: ties-to-even codes differ from ggml's */
        fail("self-test", 0, "a ties-to-even q8_0 quantizer gave ggml's codes on every block: the rows have no ties");
    printf("quantizers q8_0 / q8_1 / q8_K: %d rows of %d, %s; a ties-to-even q8_0 would differ on %ld blocks\n", 600,
           K, failures == before ? "bit-identical" : "DIFFER", wrong_caught);
}

/* ---- 2. dot products --------------------------------------------------------------------- */

typedef struct dot_case {
    const char *scheme;
    qref_aq mode;
    vec_dot_fn dot;
    void (*quant)(const float *, void *, int64_t);
    size_t act_block_bytes;
    int act_block;
} dot_case;

static void check_dots(void)
{
    static const dot_case cases[] = {
        { "gguf_q4_0", QREF_AQ_GGUF_Q8_0, ggml_vec_dot_q4_0_q8_0_generic, quantize_row_q8_0_ref, 34, 32 },
        { "gguf_q8_0", QREF_AQ_GGUF_Q8_0, ggml_vec_dot_q8_0_q8_0_generic, quantize_row_q8_0_ref, 34, 32 },
        { "gguf_mxfp4", QREF_AQ_GGUF_Q8_0, ggml_vec_dot_mxfp4_q8_0_generic, quantize_row_q8_0_ref, 34, 32 },
        { "gguf_nvfp4", QREF_AQ_GGUF_Q8_0, ggml_vec_dot_nvfp4_q8_0_generic, quantize_row_q8_0_ref, 34, 32 },
        { "gguf_q4_1", QREF_AQ_GGUF_Q8_1, ggml_vec_dot_q4_1_q8_1_generic, quantize_row_q8_1_ref, 36, 32 },
        { "gguf_q4_k", QREF_AQ_GGUF_Q8_K, ggml_vec_dot_q4_K_q8_K_generic, quantize_row_q8_K_ref, 292, 256 },
        { "gguf_q6_k", QREF_AQ_GGUF_Q8_K, ggml_vec_dot_q6_K_q8_K_generic, quantize_row_q8_K_ref, 292, 256 },
    };
    static const int Ks[] = { 256, 512, 4096 };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const dot_case *dc = &cases[c];
        long before = failures, exact = 0, n = 0;
        double worst = 0.0;
        for (size_t ki = 0; ki < sizeof Ks / sizeof Ks[0]; ki++) {
            const int K = Ks[ki];
            float *x = malloc(sizeof *x * (size_t)K), *w = malloc(sizeof *w * (size_t)K);
            uint8_t *ab = malloc((size_t)K / (size_t)dc->act_block * dc->act_block_bytes);
            for (int it = 0; it < 40; it++) {
                make_row(x, K, it % 3 == 2 ? 1 : it % 6 == 5 ? 5 : 0);
                for (int k = 0; k < K; k++)
                    w[k] = unif() + unif();
                qref_qtensor t;
                qref_error e;
                if (qref_quantize(qref_scheme_find(dc->scheme), 1, K, w, &t, &e) != QREF_OK) {
                    fail(dc->scheme, it, e.msg);
                    continue;
                }
                dc->quant(x, ab, K);
                float got;
                dc->dot(K, &got, 0, t.codes, 0, ab, 0, 1);
                qref_gemm_desc gd = { .batch = 1, .M = 1, .N = 1, .K = K, .a_dtype = QREF_FMT_F32,
                                      .out_dtype = QREF_FMT_F32, .a_quant = (int)dc->mode };
                float y, bound;
                int ex = 0;
                char d[256];
                checks++, n++;
                if (qref_gemm(&gd, x, &t, NULL, &y, &bound, QREF_ACC_F32, &e) != QREF_OK ||
                    qref_gemm_is_exact_fill(&gd, x, &t, NULL, QREF_ACC_F32, &ex, &e) != QREF_OK) {
                    fail(dc->scheme, it, e.msg);
                } else {
                    double diff = (double)got - (double)y;
                    diff = diff < 0 ? -diff : diff;
                    if (bound > 0 && diff / bound > worst)
                        worst = diff / bound;
                    exact += ex;
                    if (ex ? qref_f32_bits(got) != qref_f32_bits(y) : !(diff <= bound)) {
                        snprintf(d, sizeof d, "K %d: ggml %.9g, qcts ref %.9g, |diff| %.3g, bound %.3g%s", K, got, y,
                                 diff, bound, ex ? " (exact fill: must be equal)" : "");
                        fail(dc->scheme, it, d);
                    }
                }
                qref_qtensor_free(&t);
            }
            free(x), free(w), free(ab);
        }
        printf("vec_dot %-10s x %-4s: %ld dots (K 256, 512, 4096), %ld exact fills, worst |diff|/bound %.3f: %s\n",
               dc->scheme, qref_aq_name(dc->mode), n, exact, worst, failures == before ? "ok" : "FAIL");
    }
}

int main(void)
{
    for (uint32_t h = 0; h < (1u << 16); h++)
        ggml_table_f32_f16[h] = qref_f16_to_f32((uint16_t)h);
    check_quantizers();
    check_dots();
    printf("ggml cross-check: %ld checks, %ld failures\n", checks, failures);
    return failures ? 1 : 0;
}
