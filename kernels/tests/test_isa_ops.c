/* Suite isa_ops: the neon backend's norm, softmax and Hadamard kernels and
 * the avx512 backend's norm and softmax (rowops.inc), through their slots,
 * against the reference:
 *   - norm / softmax: every element within the reference's bound
 *     (qref_norm_run / qref_softmax_run), NaN where the reference has NaN,
 *     the residual output bit-exact; F32/F16/BF16; threads 1 and 3 give
 *     the same bits;
 *   - Hadamard: bit-identical to a scalar float32 butterfly network (the
 *     op's network: stages h = 1, 2, ..., a + b and a - b), unnormalised
 *     forward, F32 (integer rows: exact); normalised inverse F16 output
 *     within qref_hadamard_bound;
 *   - the comparison itself fails on an element moved past its bound;
 *   - the NEON and AVX-512 attention kernels' exp within 2 ulp.
 * On a build or CPU without NEON the neon slots must answer UNAVAILABLE
 * (that is what is asserted there); make test-aarch64 runs the rest under
 * qemu. The avx512 tests run where AVX-512 does. */
#include "qtest.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "kernels/opcall.h"
#include "kernels/simd/avx2/attention.h"
#include "kernels/simd/simd.h"
#include "qcts/op_hadamard.h"
#include "qcts/op_norm.h"
#include "qref/hadamard.h"
#include "qref/moe.h"
#include "qref/fmt.h"
#include "qref/norm.h"

static int isa_runs(qcts_isa isa) { return qcts_isa_built(isa, NULL, 0) && qcts_isa_cpu_ok(isa, NULL, 0); }
static int neon_runs(void) { return isa_runs(QCTS_ISA_NEON); }
static qcts_isa cur_isa = QCTS_ISA_NEON;   /* whose norm / softmax slots the tests call */

static uint64_t sm64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double unif(uint64_t *s) { return (double)(sm64(s) >> 11) * 0x1p-53 * 2.0 - 1.0; }
static qref_fmt fmt_of(int dt) { return dt == QCTS_DT_F16 ? QREF_FMT_F16 : dt == QCTS_DT_BF16 ? QREF_FMT_BF16 : QREF_FMT_F32; }
static size_t esz(int dt) { return dt == QCTS_DT_F32 ? 4 : 2; }

static void *fill(int dt, int64_t n, double scale, uint64_t *s)
{
    void *p = malloc((size_t)n * esz(dt) + 1);
    for (int64_t i = 0; i < n; i++)
        qref_rowop_store(fmt_of(dt), p, i, qref_rowop_round(fmt_of(dt), scale * unif(s)));
    return p;
}

/* Elements of got outside want's bound (NaN must meet NaN). */
static long outside(int dt, const void *got, const void *want, const float *bound, int64_t n)
{
    long bad = 0;
    for (int64_t i = 0; i < n; i++) {
        double g = qref_rowop_load(fmt_of(dt), got, i), w = qref_rowop_load(fmt_of(dt), want, i);
        double b = bound ? bound[i] : 0.0;
        bad += !((isnan(w) && isnan(g)) || (!isnan(w) && (w == g || fabs(g - w) <= b)));
    }
    return bad;
}

/* Runs one call of slot; QCTS_OK or the status. */
typedef qcts_status (*slot_fn)(const void *d, const qcts_buffers *b, qcts_call **call, char *msg, size_t n);
static qcts_status call_slot(slot_fn slot, const void *d, const qcts_buffers *b)
{
    char msg[512];
    qcts_call *c = NULL;
    qcts_status st = slot(d, b, &c, msg, sizeof msg);
    if (st == QCTS_OK) {
        st = qcts_opcall_run(c, msg, sizeof msg);
        qcts_opcall_release(c);
    }
    QCHECK(st == QCTS_OK || !isa_runs(cur_isa), "slot: %s", msg);
    return st;
}

static qcts_status norm_slot(const void *d, const qcts_buffers *b, qcts_call **c, char *m, size_t n)
{
#if QCTS_SIMD_X86
    if (cur_isa == QCTS_ISA_AVX512)
        return qcts_avx512_norm(d, b, c, m, n);
#endif
    return qcts_neon_norm(d, b, c, m, n);
}
static qcts_status softmax_slot(const void *d, const qcts_buffers *b, qcts_call **c, char *m, size_t n)
{
#if QCTS_SIMD_X86
    if (cur_isa == QCTS_ISA_AVX512)
        return qcts_avx512_softmax(d, b, c, m, n);
#endif
    return qcts_neon_softmax(d, b, c, m, n);
}
static qcts_status hadamard_slot(const void *d, const qcts_buffers *b, qcts_call **c, char *m, size_t n)
{
    return qcts_neon_hadamard(d, b, c, m, n);
}

static void run_norm(int kind, int dt, int odt, int64_t rows, int64_t n, int w, int bias, int res, double scale,
                     uint64_t seed)
{
    uint64_t s = seed;
    void *x = fill(dt, rows * n, scale, &s), *wv = w ? fill(dt, n, 2.0, &s) : NULL;
    void *bv = bias ? fill(dt, n, 1.0, &s) : NULL, *rv = res ? fill(dt, rows * n, scale, &s) : NULL;
    size_t ny = (size_t)(rows * n);
    void *yw = calloc(ny, 4), *hw = calloc(ny, 4), *y1 = calloc(ny, 4), *y3 = calloc(ny, 4), *h1 = calloc(ny, 4),
         *h3 = calloc(ny, 4);
    float *bound = calloc(ny, 4);
    qref_norm_params p = { (qref_norm_kind)kind, n, 1e-5, fmt_of(dt), fmt_of(odt) };
    CU_ASSERT_EQUAL(qref_norm_run(&p, rows, x, wv, bv, rv, yw, res ? hw : NULL, bound), QREF_OK);
    qcts_norm_desc d = { kind, dt, odt, w, bias, res, rows, n, 1e-5, 1, 0 };
    qcts_buffers b;
    memset(&b, 0, sizeof b);
    b.in[0] = x, b.in_bytes[0] = ny * esz(dt);
    b.in[1] = wv, b.in_bytes[1] = w ? (size_t)n * esz(dt) : 0;
    b.in[2] = bv, b.in_bytes[2] = bias ? (size_t)n * esz(dt) : 0;
    b.in[3] = rv, b.in_bytes[3] = res ? ny * esz(dt) : 0;
    b.out[0] = y1, b.out_bytes[0] = ny * esz(odt);
    b.out[1] = res ? h1 : NULL, b.out_bytes[1] = res ? ny * esz(dt) : 0;
    if (call_slot(norm_slot, &d, &b) == QCTS_OK) {
        d.threads = 3;
        b.out[0] = y3, b.out[1] = res ? h3 : NULL;
        call_slot(norm_slot, &d, &b);
        QCHECK(outside(odt, y1, yw, bound, rows * n) == 0, "norm kind %d dt %d->%d n %lld: outside the bound", kind,
               dt, odt, (long long)n);
        QCHECK(memcmp(y1, y3, ny * esz(odt)) == 0, "norm n %lld: threads 1 and 3 differ", (long long)n);
        if (res)
            QCHECK(memcmp(h1, hw, ny * esz(dt)) == 0 && memcmp(h3, hw, ny * esz(dt)) == 0,
                   "norm n %lld: residual output not bit-exact", (long long)n);
    }
    free(x), free(wv), free(bv), free(rv), free(yw), free(hw), free(y1), free(y3), free(h1), free(h3), free(bound);
}

static void norm_cases(void)
{
    for (int kind = 0; kind < 2; kind++) {
        run_norm(kind, QCTS_DT_F32, QCTS_DT_F32, 3, 4096, 1, 0, 0, 1.0, 1);
        run_norm(kind, QCTS_DT_BF16, QCTS_DT_BF16, 3, 2048, 1, 1, 1, 2.0, 2);
        run_norm(kind, QCTS_DT_F16, QCTS_DT_F32, 5, 37, 1, 1, 1, 1e-3, 3);
        run_norm(kind, QCTS_DT_F32, QCTS_DT_F16, 2, 1, 0, 1, 0, 5.0, 4);
        run_norm(kind, QCTS_DT_F32, QCTS_DT_F32, 2, 64, 1, 0, 0, 1e-30, 6);
    }
}

static void test_norm_neon(void)
{
    cur_isa = QCTS_ISA_NEON;
    if (!neon_runs()) {   /* the slot must say why it cannot run */
        float x[32] = { 0 }, y[32];
        qcts_norm_desc d = { 0, QCTS_DT_F32, QCTS_DT_F32, 0, 0, 0, 1, 32, 1e-5, 1, 0 };
        qcts_buffers b = { .in = { x }, .in_bytes = { sizeof x }, .out = { y }, .out_bytes = { sizeof y } };
        char msg[256];
        qcts_call *c = NULL;
        CU_ASSERT_EQUAL(qcts_neon_norm(&d, &b, &c, msg, sizeof msg), QCTS_UNAVAILABLE);
        CU_ASSERT_PTR_NULL(c);
        return;
    }
    norm_cases();
}

static void run_softmax(int dt, int odt, int64_t rows, int64_t n, double scale, double T, int special, uint64_t seed)
{
    uint64_t s = seed;
    void *x = fill(dt, rows * n, scale, &s);
    if (special) {   /* a -inf, and a row of -inf only (NaN) */
        qref_rowop_store(fmt_of(dt), x, n / 2, -INFINITY);
        if (rows > 1)
            for (int64_t i = 0; i < n; i++)
                qref_rowop_store(fmt_of(dt), x, n + i, -INFINITY);
    }
    size_t ny = (size_t)(rows * n);
    void *yw = calloc(ny, 4), *y1 = calloc(ny, 4), *y3 = calloc(ny, 4);
    float *bound = calloc(ny, 4);
    qref_softmax_params p = { n, T, fmt_of(dt), fmt_of(odt) };
    CU_ASSERT_EQUAL(qref_softmax_run(&p, rows, x, yw, bound), QREF_OK);
    qcts_softmax_desc d = { dt, odt, rows, n, T, 1, 0 };
    qcts_buffers b;
    memset(&b, 0, sizeof b);
    b.in[0] = x, b.in_bytes[0] = ny * esz(dt);
    b.out[0] = y1, b.out_bytes[0] = ny * esz(odt);
    if (call_slot(softmax_slot, &d, &b) == QCTS_OK) {
        d.threads = 3;
        b.out[0] = y3;
        call_slot(softmax_slot, &d, &b);
        long bad = outside(odt, y1, yw, bound, rows * n);
        QCHECK(bad == 0, "softmax dt %d->%d n %lld: %ld outside the bound", dt, odt, (long long)n, bad);
        QCHECK(memcmp(y1, y3, ny * esz(odt)) == 0, "softmax n %lld: threads 1 and 3 differ", (long long)n);
        /* both ways: one element moved past its bound is caught */
        int64_t i = n / 3;
        double v = qref_rowop_load(fmt_of(odt), y1, i);
        if (!isnan(v)) {
            qref_rowop_store(fmt_of(odt), y1, i, qref_rowop_round(fmt_of(odt), v + 4.0 * bound[i] + 0.5));
            QCHECK(outside(odt, y1, yw, bound, rows * n) == 1, "softmax: a moved element was not caught");
        }
    }
    free(x), free(yw), free(y1), free(y3), free(bound);
}

static void softmax_cases(void)
{
    run_softmax(QCTS_DT_F32, QCTS_DT_F32, 3, 1000, 5.0, 1.0, 1, 1);
    run_softmax(QCTS_DT_F32, QCTS_DT_F32, 2, 1, 5.0, 1.0, 0, 2);
    run_softmax(QCTS_DT_BF16, QCTS_DT_BF16, 2, 32000, 10.0, 0.7, 1, 3);
    run_softmax(QCTS_DT_F16, QCTS_DT_F32, 2, 37, 3.0, 2.0, 1, 4);
    run_softmax(QCTS_DT_F32, QCTS_DT_F16, 2, 513, 1000.0, 1.0, 0, 5);
    run_softmax(QCTS_DT_F32, QCTS_DT_F32, 1, 100, 80.0, 0.05, 0, 6);
}

static void test_softmax_neon(void)
{
    cur_isa = QCTS_ISA_NEON;
    if (neon_runs())   /* else: the UNAVAILABLE path is test_norm_neon's */
        softmax_cases();
}

static void test_norm_softmax_avx512(void)
{
#if QCTS_SIMD_X86
    cur_isa = QCTS_ISA_AVX512;
    if (isa_runs(QCTS_ISA_AVX512)) {
        norm_cases();
        softmax_cases();
    }
    cur_isa = QCTS_ISA_NEON;
#endif
}

/* The op's network in float32, unnormalised, stage by stage. */
static void network_f32(float *t, int64_t n)
{
    for (int64_t h = 1; h < n; h *= 2)
        for (int64_t i = 0; i < n; i++)
            if (!(i & h)) {
                float a = t[i], c = t[i + h];
                t[i] = a + c;
                t[i + h] = a - c;
            }
}

static void test_hadamard_neon(void)
{
    if (!neon_runs())
        return;   /* UNAVAILABLE path: test_norm_neon */
    enum { R = 3 };
    static float x[R * 4096], y1[R * 4096], y3[R * 4096], t[4096];
    static uint16_t h16[R * 4096];
    uint64_t s = 7;
    for (int64_t n = 32; n <= 4096; n *= 2) {
        int integer = n == 256;   /* integer rows: exact */
        for (int64_t i = 0; i < R * n; i++)
            x[i] = integer ? (float)(int)(unif(&s) * 1000) : (float)unif(&s);
        qcts_hadamard_desc d = { R, n, 0, 0, QCTS_DT_F32, QCTS_DT_F32, 1, 0 };
        qcts_buffers b;
        memset(&b, 0, sizeof b);
        b.in[0] = x, b.in_bytes[0] = (size_t)(R * n) * 4;
        b.out[0] = y1, b.out_bytes[0] = (size_t)(R * n) * 4;
        if (call_slot(hadamard_slot, &d, &b) != QCTS_OK)
            return;
        d.threads = 3;
        b.out[0] = y3;
        call_slot(hadamard_slot, &d, &b);
        long bad = 0;
        for (int r = 0; r < R; r++) {
            memcpy(t, x + r * n, (size_t)n * 4);
            network_f32(t, n);
            bad += memcmp(t, y1 + r * n, (size_t)n * 4) != 0;
        }
        QCHECK(bad == 0, "hadamard n %lld: %ld rows differ from the float32 network", (long long)n, bad);
        QCHECK(memcmp(y1, y3, (size_t)(R * n) * 4) == 0, "hadamard n %lld: threads 1 and 3 differ", (long long)n);
        /* normalised inverse, F16 out: within the op's bound */
        d = (qcts_hadamard_desc){ R, n, 1, 1, QCTS_DT_F32, QCTS_DT_F16, 1, 0 };
        b.out[0] = h16, b.out_bytes[0] = (size_t)(R * n) * 2;
        call_slot(hadamard_slot, &d, &b);
        static double ref[4096];
        for (int r = 0; r < R; r++) {
            double abs_sum = 0;
            for (int64_t i = 0; i < n; i++)
                ref[i] = x[r * n + i], abs_sum += fabs(ref[i]);
            qref_hadamard_f64(ref, (size_t)n, 1, 1);
            for (int64_t i = 0; i < n; i++) {
                double g = qref_f16_to_f32(h16[r * n + i]);
                double bnd = qref_hadamard_bound((size_t)n, 1, 1, abs_sum, ref[i], QREF_HAD_OUT_F16);
                if (!(fabs(g - ref[i]) <= bnd) && bad++ < 5)
                    QCHECK(0, "hadamard n %lld f16: row %d element %lld: %.9g vs %.9g, bound %.3g", (long long)n, r,
                           (long long)i, g, ref[i], bnd);
            }
        }
    }
}

/* An attention kernel's exp: within 2 ulp on [-87, 88] (the bound's
 * assumption), exact at 0, +0 below -87 (the attention values themselves:
 * qcts check on the golden set). */
static void check_attn_exp(float (*fn)(float), const char *isa)
{
    double worst = 0;
    float wx = 0;
    const int N = (int)qtest_scale(200000);
    for (int i = 0; i <= N; i++) {
        float x = -87.0f + 175.0f * (float)i / (float)N;
        double t = exp((double)x), y = fn(x);
        int e;
        frexp(t, &e);
        double err = fabs(y - t) / ldexp(1.0, e - 24);
        if (err > worst)
            worst = err, wx = x;
    }
    QCHECK(worst <= 2.0, "%s exp error %.3f ulp at x = %.9g (the bound assumes 2)", isa, worst, (double)wx);
    QCHECK(fn(0.0f) == 1.0f && fn(-100.0f) == 0.0f && fn(-INFINITY) == 0.0f, "%s exp: 0 -> 1, -100 and -inf -> 0",
           isa);
}

static void test_attention_exp(void)
{
#if QCTS_SIMD_ARM64
    if (neon_runs())
        check_attn_exp(qcts_attn_exp__neon, "neon");
#endif
#if QCTS_SIMD_X86
    if (isa_runs(QCTS_ISA_AVX512))
        check_attn_exp(qcts_attn_exp__avx512, "avx512");
    if (isa_runs(QCTS_ISA_AVX2))   /* the helper itself, on a kernel with its own test */
        check_attn_exp(qcts_attn_exp__avx2, "avx2");
#endif
}

/* The NEON MoE exp and SwiGLU: relative error below QREF_MOE_EPS_F (the
 * router's and SwiGLU's model) on [-87, 88]. */
void qcts_moe_vmath__neon(int fn, const float *x, const float *u, float *y, int64_t n);
static void test_moe_vmath_neon(void)
{
#if QCTS_SIMD_ARM64
    if (!neon_runs())
        return;
    enum { N = 4096, PAD = 8 };   /* PAD floats after y must stay untouched (a loop bound one vector long) */
    static float x[N + PAD], u[N + PAD], y[N + PAD];
    double worst[2] = { 0, 0 };
    for (int i = 0; i < N; i++)
        x[i] = -87.0f + 175.0f * (float)i / (float)(N - 1), u[i] = 0.5f + (float)(i % 7);
    for (int fn = 0; fn < 2; fn++) {
        for (int i = N; i < N + PAD; i++)
            y[i] = -7.0f;
        qcts_moe_vmath__neon(fn, x, u, y, N);
        for (int i = N; i < N + PAD; i++)
            QCHECK(y[i] == -7.0f, "moe vmath fn %d: wrote y[%d], past n = %d", fn, i, (int)N);
        for (int i = 0; i < N; i++) {
            double t = fn == 0 ? exp((double)x[i]) : (double)x[i] / (1.0 + exp(-(double)x[i])) * u[i];
            double err = t == 0 ? fabs(y[i]) : fabs((double)y[i] - t) / fabs(t);
            if (fabs(t) > 1e-30 && err > worst[fn])
                worst[fn] = err;
        }
    }
    QCHECK(worst[0] < QREF_MOE_EPS_F, "moe exp: relative error %.3g", worst[0]);
    QCHECK(worst[1] < 4 * QREF_MOE_EPS_F, "moe SwiGLU: relative error %.3g", worst[1]);
#endif
}

QTEST_SUITE(isa_ops,
    QTEST(test_norm_softmax_avx512),
    QTEST(test_moe_vmath_neon),
    QTEST(test_attention_exp),
    QTEST(test_norm_neon),
    QTEST(test_softmax_neon),
    QTEST(test_hadamard_neon))
