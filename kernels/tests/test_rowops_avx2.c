/* Suite rowops_avx2: the AVX2 rope, norm and softmax kernels called
 * directly (kernels/simd/avx2/rowops.h) against the reference and its bound
 * (qref/rope.h, qref/norm.h): every rope mode and layout, scalings, partial
 * and MLA offsets, positions up to 2^24; norms with and without weight,
 * bias and residual (residual output bit-exact), zero rows, tiny and huge
 * rows; softmax with -inf, all -inf (NaN), large logits, long rows. Every
 * dtype pair. Rows computed in two pieces (as two threads would) give the
 * same bits as one piece. Prints the worst error / bound per op.
 * Skipped (CU_PASS with the reason) where AVX2 is missing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/simd/avx2/rowops.h"
#include "kernels/simd/simd.h"
#include "qref/norm.h"
#include "qref/rope.h"
#include "qtest.h"

#if defined(__x86_64__) || defined(_M_X64)
#define HAVE_AVX2_BUILD 1
#else
#define HAVE_AVX2_BUILD 0
#endif

#if HAVE_AVX2_BUILD
static uint64_t sm64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double unif(uint64_t *s) { return (double)(sm64(s) >> 11) * 0x1p-53 * 2.0 - 1.0; }

static int avx2_ok(void)
{
    char why[256];
    if (qcts_isa_cpu_ok(QCTS_ISA_AVX2, why, sizeof why) &&
        qcts_isa_built(QCTS_ISA_AVX2, why, sizeof why))
        return 1;
    CU_PASS("AVX2 row-op tests skipped: no AVX2 here");
    return 0;
}

static qref_fmt fmt_of(int dt) { return dt == QCTS_DT_F16 ? QREF_FMT_F16 : dt == QCTS_DT_BF16 ? QREF_FMT_BF16 : QREF_FMT_F32; }
static size_t esz(int dt) { return dt == QCTS_DT_F32 ? 4 : 2; }

static void *fill(int dt, int64_t n, double scale, uint64_t *s)
{
    void *p = malloc((size_t)n * esz(dt) + 1);
    for (int64_t i = 0; i < n; i++)
        qref_rowop_store(fmt_of(dt), p, i, qref_rowop_round(fmt_of(dt), scale * unif(s)));
    return p;
}

/* Elements of got outside the bound of want (NaN must match NaN; bound 0:
 * equal values). Updates *worst. */
static long compare(int dt, const void *got, const void *want, const float *bound, int64_t n, double *worst,
                    const char *what)
{
    long bad = 0;
    for (int64_t i = 0; i < n; i++) {
        double g = qref_rowop_load(fmt_of(dt), got, i), w = qref_rowop_load(fmt_of(dt), want, i);
        double b = bound ? bound[i] : 0.0, e = fabs(g - w);
        int ok = (isnan(w) && isnan(g)) || (!isnan(w) && (w == g || e <= b));
        if (!ok && bad++ < 5)
            QCHECK(0, "%s: element %lld: got %.9g, want %.9g, bound %.3g", what, (long long)i, g, w, b);
        else if (ok && b > 0 && isfinite(e) && e / b > *worst)
            *worst = e / b;
    }
    return bad;
}

/* ---- rope ---- */

typedef struct rope_case {
    int mode, layout, scaling, idt, odt, T, Hq, Hk, Dq, Dk, R, qoff, koff;
    double theta;
    int32_t pos_max;
} rope_case;

static double rope_worst;

static void run_rope_case(const rope_case *rc, uint64_t seed)
{
    qcts_rope_desc d = { 0 };
    d.mode = rc->mode, d.layout = rc->layout, d.scaling = rc->scaling, d.in_dtype = rc->idt, d.out_dtype = rc->odt;
    d.q_heads = rc->Hq, d.k_heads = rc->Hk, d.q_dim = rc->Dq, d.k_dim = rc->Dk, d.rot_dim = rc->R;
    d.q_rot_off = rc->qoff, d.k_rot_off = rc->koff, d.tokens = rc->T, d.theta = rc->theta, d.threads = 1;
    if (rc->scaling == QCTS_ROPE_SCALE_LINEAR)
        d.factor = 2.5;
    if (rc->scaling == QCTS_ROPE_SCALE_YARN)
        d.factor = 40, d.orig_ctx = 4096, d.beta_fast = 32, d.beta_slow = 1, d.mscale = 0.707, d.mscale_all_dim = 0;
    if (rc->scaling == QCTS_ROPE_SCALE_LLAMA3)
        d.factor = 8, d.orig_ctx = 8192, d.low_freq_factor = 1, d.high_freq_factor = 4;
    qref_rope_op op = { { (qref_rope_layout)d.layout, (qref_rope_scaling)d.scaling, d.rot_dim, d.theta, d.factor,
                          d.orig_ctx, d.beta_fast, d.beta_slow, d.mscale, d.mscale_all_dim, d.attn_factor,
                          d.low_freq_factor, d.high_freq_factor },
                        (qref_rope_mode)d.mode, fmt_of(d.in_dtype), fmt_of(d.out_dtype), d.tokens, d.q_heads,
                        d.k_heads, d.q_dim, d.k_dim, d.q_rot_off, d.k_rot_off };
    int64_t ni[5], no[2];
    if (!QCHECK(qref_rope_sizes(&op, ni, no) == QREF_OK, "rope case mode %d: sizes rejected", rc->mode))
        return;
    uint64_t s = seed;
    qcts_buffers b;
    memset(&b, 0, sizeof b);
    int32_t *pos = malloc((size_t)rc->T * 4);
    for (int t = 0; t < rc->T; t++)
        pos[t] = t < 3 ? t : (int32_t)(sm64(&s) % (uint64_t)rc->pos_max);
    b.in[0] = pos;
    for (int i = 1; i < 5; i++)
        b.in[i] = ni[i] ? fill(rc->idt, ni[i], 3.0, &s) : NULL;
    void *want[2] = { NULL, NULL }, *got[2] = { NULL, NULL }, *got2[2] = { NULL, NULL };
    float *bound[2] = { NULL, NULL };
    for (int i = 0; i < 2; i++)
        if (no[i]) {
            want[i] = calloc((size_t)no[i], esz(rc->odt));
            got[i] = calloc((size_t)no[i], esz(rc->odt));
            got2[i] = calloc((size_t)no[i], esz(rc->odt));
            bound[i] = calloc((size_t)no[i], 4);
        }
    CU_ASSERT_EQUAL(qref_rope_run(&op, (const void *const *)b.in, want, bound), QREF_OK);
#if HAVE_AVX2_BUILD
    qcts_rope_plan plan;
    CU_ASSERT_EQUAL(qcts_rope_plan_init(&plan, &d), 0);
    float *scr = malloc((size_t)qcts_rope_scratch(&d) * 4);
    b.out[0] = got[0], b.out[1] = got[1];
    qcts_rope_rows__avx2(&plan, &b, 0, d.tokens, scr);
    b.out[0] = got2[0], b.out[1] = got2[1];
    qcts_rope_rows__avx2(&plan, &b, 0, d.tokens / 2, scr);
    qcts_rope_rows__avx2(&plan, &b, d.tokens / 2, d.tokens, scr);
    for (int i = 0; i < 2; i++)
        if (no[i]) {
            char what[96];
            snprintf(what, sizeof what, "rope mode %d layout %d scaling %d out %d", rc->mode, rc->layout,
                     rc->scaling, i);
            compare(rc->odt, got[i], want[i], bound[i], no[i], &rope_worst, what);
            QCHECK(memcmp(got[i], got2[i], (size_t)no[i] * esz(rc->odt)) == 0, "%s: split rows differ", what);
        }
    free(scr);
    qcts_rope_plan_free(&plan);
#endif
    for (int i = 1; i < 5; i++)
        free((void *)b.in[i]);
    for (int i = 0; i < 2; i++)
        free(want[i]), free(got[i]), free(got2[i]), free(bound[i]);
    free(pos);
}

static void test_rope_avx2(void)
{
    if (!avx2_ok())
        return;
    enum { F32 = QCTS_DT_F32, F16 = QCTS_DT_F16, BF = QCTS_DT_BF16 };
    static const rope_case C[] = {
        { 0, 0, 0, F32, F32, 9, 4, 2, 64, 64, 64, 0, 0, 10000, 1 << 24 },
        { 0, 1, 0, BF, BF, 7, 3, 1, 128, 128, 128, 0, 0, 500000, 131072 },
        { 0, 0, 1, F16, F32, 5, 2, 2, 80, 80, 32, 0, 0, 10000, 8192 },      /* partial rotary */
        { 0, 1, 2, F32, BF, 6, 2, 1, 64, 64, 64, 0, 0, 10000, 200000 },
        { 0, 0, 3, BF, F32, 6, 4, 2, 128, 128, 128, 0, 0, 500000, 1 << 20 },
        { 0, 0, 0, F32, F16, 3, 1, 0, 6, 0, 6, 0, 0, 10000, 100 },           /* tiny, no k */
        { 0, 1, 0, F32, F32, 4, 3, 2, 34, 34, 18, 0, 0, 1e6, 65536 },         /* odd half */
        { 1, 0, 0, F32, F32, 11, 0, 0, 0, 0, 128, 0, 0, 10000, 1 << 24 },    /* cache */
        { 1, 0, 2, F32, F16, 5, 0, 0, 0, 0, 64, 0, 0, 10000, 100000 },
        { 2, 1, 2, BF, BF, 5, 16, 1, 192, 576, 64, 128, 512, 10000, 163840 }, /* MLA latent */
        { 3, 1, 2, BF, BF, 4, 8, 8, 192, 0, 64, 0, 0, 10000, 163840 },       /* MLA split -> fused */
        { 3, 0, 0, F32, F32, 3, 3, 3, 20, 0, 6, 0, 0, 10000, 1000 },
    };
    for (size_t i = 0; i < sizeof C / sizeof C[0]; i++)
        run_rope_case(&C[i], 1000 + i);
    printf("\n  rope avx2: worst error / bound %.3g\n", rope_worst);
}

/* ---- norm ---- */

static double norm_worst;

static void run_norm(int kind, int dt, int odt, int64_t rows, int64_t n, int hw, int hb, int hr, double scale,
                     uint64_t seed)
{
    qcts_norm_desc d = { kind, dt, odt, hw, hb, hr, rows, n, 1e-6, 1, 0 };
    uint64_t s = seed;
    qcts_buffers b;
    memset(&b, 0, sizeof b);
    b.in[0] = fill(dt, rows * n, scale, &s);
    b.in[1] = hw ? fill(dt, n, 2.0, &s) : NULL;
    b.in[2] = hb ? fill(dt, n, 0.5, &s) : NULL;
    b.in[3] = hr ? fill(dt, rows * n, scale, &s) : NULL;
    if (rows > 1)   /* a zero row */
        for (int64_t i = 0; i < n; i++) {
            qref_rowop_store(fmt_of(dt), (void *)b.in[0], n + i, 0.0);
            if (hr)
                qref_rowop_store(fmt_of(dt), (void *)b.in[3], n + i, 0.0);
        }
    size_t ny = (size_t)(rows * n);
    void *y = calloc(ny, 4), *h = calloc(ny, 4), *yw = calloc(ny, 4), *hw2 = calloc(ny, 4);
    float *bound = calloc(ny, 4);
    qref_norm_params p = { (qref_norm_kind)kind, n, 1e-6, fmt_of(dt), fmt_of(odt) };
    CU_ASSERT_EQUAL(qref_norm_run(&p, rows, b.in[0], b.in[1], b.in[2], b.in[3], yw, hr ? hw2 : NULL, bound), QREF_OK);
#if HAVE_AVX2_BUILD
    float *scr = malloc((size_t)qcts_norm_scratch(&d) * 4);
    b.out[0] = y;
    b.out[1] = h;
    qcts_norm_rows__avx2(&d, &b, 0, rows, scr);
    char what[96];
    snprintf(what, sizeof what, "norm kind %d dt %d out %d n %lld", kind, dt, odt, (long long)n);
    compare(odt, y, yw, bound, rows * n, &norm_worst, what);
    if (hr)
        compare(dt, h, hw2, NULL, rows * n, &norm_worst, "norm residual output");
    free(scr);
#endif
    for (int i = 0; i < 4; i++)
        free((void *)b.in[i]);
    free(y), free(h), free(yw), free(hw2), free(bound);
}

static void test_norm_avx2(void)
{
    if (!avx2_ok())
        return;
    for (int kind = 0; kind < 2; kind++) {
        run_norm(kind, QCTS_DT_F32, QCTS_DT_F32, 3, 4096, 1, 0, 0, 1.0, 1);
        run_norm(kind, QCTS_DT_BF16, QCTS_DT_BF16, 3, 2048, 1, 1, 1, 2.0, 2);
        run_norm(kind, QCTS_DT_F16, QCTS_DT_F32, 2, 37, 1, 1, 1, 1e-3, 3);
        run_norm(kind, QCTS_DT_F32, QCTS_DT_F16, 2, 1, 0, 1, 0, 5.0, 4);
        run_norm(kind, QCTS_DT_F32, QCTS_DT_BF16, 4, 100, 1, 1, 1, 1e15, 5);   /* Σx² must fit float32 */
        run_norm(kind, QCTS_DT_F32, QCTS_DT_F32, 2, 64, 1, 0, 0, 1e-30, 6);
        run_norm(kind, QCTS_DT_BF16, QCTS_DT_F32, 2, 8193, 1, 1, 0, 1.0, 7);
    }
    printf("\n  norm avx2: worst error / bound %.3g\n", norm_worst);
}

/* ---- softmax ---- */

static double softmax_worst;

static void run_softmax(int dt, int odt, int64_t rows, int64_t n, double scale, double T, int special, uint64_t seed)
{
    qcts_softmax_desc d = { dt, odt, rows, n, T, 1, 0 };
    uint64_t s = seed;
    qcts_buffers b;
    memset(&b, 0, sizeof b);
    void *x = fill(dt, rows * n, scale, &s);
    if (special) {
        qref_rowop_store(fmt_of(dt), x, n / 2, -INFINITY);
        if (rows > 1)
            for (int64_t i = 0; i < n; i++)
                qref_rowop_store(fmt_of(dt), x, n + i, -INFINITY);
    }
    b.in[0] = x;
    size_t ny = (size_t)(rows * n);
    void *y = calloc(ny, 4), *yw = calloc(ny, 4);
    float *bound = calloc(ny, 4);
    qref_softmax_params p = { n, T, fmt_of(dt), fmt_of(odt) };
    CU_ASSERT_EQUAL(qref_softmax_run(&p, rows, x, yw, bound), QREF_OK);
#if HAVE_AVX2_BUILD
    float *scr = malloc((size_t)qcts_softmax_scratch(&d) * 4);
    b.out[0] = y;
    qcts_softmax_rows__avx2(&d, &b, 0, rows, scr);
    char what[96];
    snprintf(what, sizeof what, "softmax dt %d out %d n %lld T %g", dt, odt, (long long)n, T);
    compare(odt, y, yw, bound, rows * n, &softmax_worst, what);
    free(scr);
#endif
    free(x), free(y), free(yw), free(bound);
}

static void test_softmax_avx2(void)
{
    if (!avx2_ok())
        return;
    run_softmax(QCTS_DT_F32, QCTS_DT_F32, 3, 1000, 5.0, 1.0, 1, 1);
    run_softmax(QCTS_DT_F32, QCTS_DT_F32, 2, 1, 5.0, 1.0, 0, 2);
    run_softmax(QCTS_DT_BF16, QCTS_DT_BF16, 2, 32000, 10.0, 0.7, 1, 3);
    run_softmax(QCTS_DT_F16, QCTS_DT_F32, 2, 37, 3.0, 2.0, 1, 4);
    run_softmax(QCTS_DT_F32, QCTS_DT_F16, 2, 513, 1000.0, 1.0, 0, 5);
    run_softmax(QCTS_DT_F32, QCTS_DT_F32, 1, 100, 80.0, 0.05, 0, 6);
    printf("\n  softmax avx2: worst error / bound %.3g\n", softmax_worst);
}

#else
/* Not an x86-64 build: the AVX2 kernels do not exist here. */
static void test_rope_avx2(void) { CU_PASS("AVX2 row-op tests: not an x86-64 build"); }
static void test_norm_avx2(void) { CU_PASS("AVX2 row-op tests: not an x86-64 build"); }
static void test_softmax_avx2(void) { CU_PASS("AVX2 row-op tests: not an x86-64 build"); }
#endif

QTEST_SUITE(rowops_avx2,
    QTEST(test_rope_avx2),
    QTEST(test_norm_avx2),
    QTEST(test_softmax_avx2))
