/* Suite rope: reference RoPE (qref/rope.h) and its bound.
 *  - known answers: position 0 is the identity (times A), pos 1 with one
 *    pair rotates by exactly f_0 = 1 rad; NeoX and GPT-J pair different
 *    dims; YaRN's ramp bounds and attention factor and Llama-3's three
 *    bands against values worked out by hand;
 *  - the bound both ways, positions 0 .. 2^20, R = 2 .. 256, every
 *    scaling: float32 kernels (powf frequencies; llama.cpp's repeated
 *    multiplication; a double cache rounded to float32; vLLM's cache held
 *    in the activation dtype) PASS; the wrong layout, theta off, the
 *    partial-rotary exponent taken over the head dim instead of R, the
 *    rotation's sign flipped, YaRN without its attention factor and
 *    Llama-3 without its scaling FAIL. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "qref/fmt.h"
#include "qref/norm.h"
#include "qref/rope.h"
#include "qtest.h"

static uint64_t sm64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double unif(uint64_t *s) { return (double)(sm64(s) >> 11) * 0x1p-53 * 2.0 - 1.0; }

/* a within 2^-23 relative of b: libm's cos/sin (the expected values here)
 * and qref's may differ in the last bit of a double, which can move a
 * float32 rounding by one ulp on another platform. */
static int near32(double a, double b) { return fabs(a - b) <= 0x1p-23 * fabs(b); }

static qref_rope_params base_params(qref_rope_layout l, int R, double theta)
{
    qref_rope_params p = { 0 };
    p.layout = l;
    p.rot_dim = R;
    p.theta = theta;
    return p;
}

static void test_rope_known(void)
{
    qref_rope_params p = base_params(QREF_ROPE_NEOX, 4, 10000.0);
    double f[2], A, c[2], s[2], th[2] = { 0, 0 };
    CU_ASSERT_EQUAL(qref_rope_freqs(&p, f, &A), QREF_OK);
    CU_ASSERT_EQUAL(f[0], 1.0);
    CU_ASSERT(fabs(f[1] - 0.01) <= 0x1p-58);   /* 10000^-0.5 within 2 ulp */
    CU_ASSERT_EQUAL(A, 1.0);
    double x[4] = { 1, 2, 3, 4 }, y[4];
    qref_rope_cos_sin(0, f, 2, A, c, s);
    qref_rope_rotate(&p, c, s, th, A, x, QREF_FMT_F32, QREF_FMT_F32, y, NULL);
    CU_ASSERT(y[0] == 1 && y[1] == 2 && y[2] == 3 && y[3] == 4);
    /* pos 1: NeoX pairs (0,2), (1,3); angle 1 and 0.01 */
    qref_rope_cos_sin(1, f, 2, A, c, s);
    qref_rope_rotate(&p, c, s, th, A, x, QREF_FMT_F32, QREF_FMT_F32, y, NULL);
    CU_ASSERT(near32(y[0], 1 * cos(1.0) - 3 * sin(1.0)));
    CU_ASSERT(near32(y[2], 1 * sin(1.0) + 3 * cos(1.0)));
    CU_ASSERT(near32(y[1], 2 * cos(0.01) - 4 * sin(0.01)));
    p.layout = QREF_ROPE_GPTJ;   /* pairs (0,1), (2,3) */
    qref_rope_rotate(&p, c, s, th, A, x, QREF_FMT_F32, QREF_FMT_F32, y, NULL);
    CU_ASSERT(near32(y[0], 1 * cos(1.0) - 2 * sin(1.0)));
    CU_ASSERT(near32(y[3], 3 * sin(0.01) + 4 * cos(0.01)));
    /* YaRN, HF defaults beta 32/1, R = 128, theta 10000, orig 4096, factor 4:
     * cd(32) = 128 ln(4096/(64 pi)) / (2 ln 10000) = 20.94 -> low 20,
     * cd(1) = 128 ln(4096/(2 pi)) / (2 ln 10000) = 45.03 -> high 46;
     * A = 0.1 ln 4 + 1. */
    qref_rope_params y4 = base_params(QREF_ROPE_NEOX, 128, 10000.0);
    y4.scaling = QREF_ROPE_SCALE_YARN;
    y4.factor = 4;
    y4.orig_ctx = 4096;
    y4.beta_fast = 32;
    y4.beta_slow = 1;
    double fy[64], fb[64], cf, cs;
    qref_rope_yarn_dims(&y4, &cf, &cs);
    CU_ASSERT(fabs(cf - 128 * log(4096 / (64 * M_PI)) / (2 * log(10000.0))) < 1e-12);
    CU_ASSERT(fabs(cs - 128 * log(4096 / (2 * M_PI)) / (2 * log(10000.0))) < 1e-12);
    CU_ASSERT_EQUAL(qref_rope_freqs(&y4, fy, &A), QREF_OK);
    CU_ASSERT(fabs(A - (0.1 * log(4.0) + 1)) < 1e-15);
    qref_rope_params b = base_params(QREF_ROPE_NEOX, 128, 10000.0);
    CU_ASSERT_EQUAL(qref_rope_freqs(&b, fb, &A), QREF_OK);
    CU_ASSERT_EQUAL(fy[20], fb[20]);                         /* ramp 0: extrapolation */
    CU_ASSERT_EQUAL(fy[46], fb[46] / 4);                     /* ramp 1: interpolation */
    CU_ASSERT(fabs(fy[33] - (fb[33] / 4 * (13.0 / 26) + fb[33] * (13.0 / 26))) < 1e-18);
    /* DeepSeek: mscale = mscale_all_dim -> A = 1 */
    y4.mscale = 0.707;
    y4.mscale_all_dim = 0.707;
    CU_ASSERT_EQUAL(qref_rope_freqs(&y4, fy, &A), QREF_OK);
    CU_ASSERT_EQUAL(A, 1.0);
    /* Llama-3.1: factor 8, low 1, high 4, orig 8192, theta 500000 */
    qref_rope_params l3 = base_params(QREF_ROPE_NEOX, 128, 500000.0);
    l3.scaling = QREF_ROPE_SCALE_LLAMA3;
    l3.factor = 8;
    l3.low_freq_factor = 1;
    l3.high_freq_factor = 4;
    l3.orig_ctx = 8192;
    double fl[64], fb2[64];
    CU_ASSERT_EQUAL(qref_rope_freqs(&l3, fl, &A), QREF_OK);
    qref_rope_params b2 = base_params(QREF_ROPE_NEOX, 128, 500000.0);
    CU_ASSERT_EQUAL(qref_rope_freqs(&b2, fb2, &A), QREF_OK);
    int hi = 0, lo = 0, mid = 0;
    for (int i = 0; i < 64; i++) {
        double wl = 2 * M_PI / fb2[i];
        if (wl < 2048) {
            hi += fl[i] == fb2[i];
        } else if (wl > 8192) {
            lo += fl[i] == fb2[i] / 8;
        } else {
            double sm = (8192 / wl - 1) / 3;
            mid += fabs(fl[i] - ((1 - sm) * fb2[i] / 8 + sm * fb2[i])) <= 1e-15 * fb2[i];
        }
    }
    CU_ASSERT_EQUAL(hi + lo + mid, 64);
    CU_ASSERT(hi > 0 && lo > 0 && mid > 0);
    /* errors */
    p.rot_dim = 3;
    CU_ASSERT_EQUAL(qref_rope_freqs(&p, f, &A), QREF_ERR_SIZE);
    p.rot_dim = 4;
    p.theta = 1.0;
    CU_ASSERT_EQUAL(qref_rope_freqs(&p, f, &A), QREF_ERR_ARG);
}

/* ---- emulated float32 kernels ---- */
enum { R_POWF, R_LLAMACPP, R_DCACHE, R_VLLM, R_SWAP, R_THETA, R_HEADDIM, R_SIGN, R_NOATTN, R_NOSCALE };

/* float32 frequencies as a float kernel computes them (powf, then the
 * scaling in float). */
static void freqs_f32(const qref_rope_params *p, int how, float *f, float *A)
{
    int half = p->rot_dim / 2;
    double A_ref, fd[2048];
    qref_rope_freqs(p, fd, &A_ref);
    *A = how == R_NOATTN ? 1.0f : (float)A_ref;
    float theta = how == R_THETA ? (float)(p->theta * 0.5) : (float)p->theta;
    float dim = how == R_HEADDIM ? (float)(p->rot_dim * 2) : (float)p->rot_dim;
    float low = 0, high = 0;
    if (p->scaling == QREF_ROPE_SCALE_YARN) {
        float cf = dim * logf((float)p->orig_ctx / ((float)p->beta_fast * 2.0f * (float)M_PI)) / (2.0f * logf(theta));
        float cs = dim * logf((float)p->orig_ctx / ((float)p->beta_slow * 2.0f * (float)M_PI)) / (2.0f * logf(theta));
        low = fmaxf(floorf(cf), 0.0f);
        high = fminf(ceilf(cs), dim - 1);
        if (low == high)
            high += 0.001f;
    }
    for (int i = 0; i < half; i++) {
        float fi = powf(theta, -(float)(2 * i) / dim);
        if (how == R_NOSCALE) {
        } else if (p->scaling == QREF_ROPE_SCALE_LINEAR) {
            fi /= (float)p->factor;
        } else if (p->scaling == QREF_ROPE_SCALE_YARN) {
            float ramp = fminf(fmaxf(((float)i - low) / (high - low), 0.0f), 1.0f);
            fi = fi / (float)p->factor * ramp + fi * (1.0f - ramp);
        } else if (p->scaling == QREF_ROPE_SCALE_LLAMA3) {
            float wl = 2.0f * (float)M_PI / fi;
            float wlo = (float)(p->orig_ctx / p->low_freq_factor), whi = (float)(p->orig_ctx / p->high_freq_factor);
            if (wl < whi) {
            } else if (wl > wlo) {
                fi = fi / (float)p->factor;
            } else {
                float s = ((float)p->orig_ctx / wl - (float)p->low_freq_factor) /
                          (float)(p->high_freq_factor - p->low_freq_factor);
                fi = (1.0f - s) * fi / (float)p->factor + s * fi;
            }
        }
        f[i] = fi;
    }
}

static void kernel(const qref_rope_params *p, int how, int32_t pos, const double *x, qref_fmt in, qref_fmt out,
                   float *y)
{
    int half = p->rot_dim / 2;
    float f[2048], A, c[2048], s[2048];
    freqs_f32(p, how, f, &A);
    if (how == R_LLAMACPP && p->scaling == QREF_ROPE_SCALE_NONE) {
        float ts = powf((float)p->theta, -2.0f / (float)p->rot_dim), th = (float)pos;
        for (int i = 0; i < half; i++) {
            c[i] = cosf(th) * A;
            s[i] = sinf(th) * A;
            th *= ts;
        }
    } else {
        for (int i = 0; i < half; i++) {
            if (how == R_DCACHE || how == R_VLLM) {
                double fd[2048], Ad;
                qref_rope_freqs(p, fd, &Ad);
                c[i] = (float)(cos((double)pos * fd[i]) * Ad);
                s[i] = (float)(sin((double)pos * fd[i]) * Ad);
                if (how == R_VLLM) {
                    c[i] = (float)qref_rowop_round(in, c[i]);
                    s[i] = (float)qref_rowop_round(in, s[i]);
                }
            } else {
                float th = (float)pos * f[i];
                c[i] = cosf(th) * A;
                s[i] = sinf(th) * A;
            }
        }
    }
    int gptj = (p->layout == QREF_ROPE_GPTJ) != (how == R_SWAP);
    for (int i = 0; i < half; i++) {
        int ia = gptj ? 2 * i : i, ib = gptj ? 2 * i + 1 : i + half;
        float a = (float)x[ia], b = (float)x[ib], sg = how == R_SIGN ? -1.0f : 1.0f;
        y[ia] = (float)qref_rowop_round(out, a * c[i] - sg * b * s[i]);
        y[ib] = (float)qref_rowop_round(out, sg * a * s[i] + b * c[i]);
    }
}

static long violations(const qref_rope_params *p, int how, qref_fmt in, qref_fmt out, const int32_t *pos, int npos,
                       uint64_t seed, double *worst)
{
    int R = p->rot_dim, half = R / 2;
    double f[2048], A, c[2048], s[2048], th[2048], x[4096], y[4096];
    float bd[4096], yk[4096];
    if (qref_rope_freqs(p, f, &A) != QREF_OK)
        return -1;
    uint64_t sd = seed;
    long bad = 0;
    for (int k = 0; k < npos; k++) {
        for (int i = 0; i < R; i++)
            x[i] = qref_rowop_round(in, 4.0 * unif(&sd));
        qref_rope_cos_sin(pos[k], f, half, A, c, s);
        for (int i = 0; i < half; i++)
            th[i] = (double)pos[k] * f[i];
        qref_rope_rotate(p, c, s, th, A, x, in, out, y, bd);
        kernel(p, how, pos[k], x, in, out, yk);
        for (int i = 0; i < R; i++) {
            double e = fabs((double)yk[i] - y[i]);
            if (!(e <= bd[i]))
                bad++;
            else if (worst && bd[i] > 0 && e / bd[i] > *worst)
                *worst = e / bd[i];
        }
    }
    return bad;
}

static const int32_t POS[] = { 0, 1, 2, 3, 7, 100, 1000, 4095, 4096, 8191, 32767, 65536, 131071, 500000, 1048576 };
#define NPOS ((int)(sizeof POS / sizeof POS[0]))

static qref_rope_params scaled(int which)
{
    qref_rope_params p = base_params(QREF_ROPE_NEOX, 128, 10000.0);
    switch (which) {
    case 1: p.scaling = QREF_ROPE_SCALE_LINEAR, p.factor = 4; break;
    case 2:
        p.scaling = QREF_ROPE_SCALE_YARN, p.factor = 40, p.orig_ctx = 4096, p.beta_fast = 32, p.beta_slow = 1;
        p.mscale = 1, p.mscale_all_dim = 0, p.rot_dim = 64, p.layout = QREF_ROPE_GPTJ;
        break;
    case 3:
        p.scaling = QREF_ROPE_SCALE_LLAMA3, p.theta = 500000, p.factor = 8, p.low_freq_factor = 1;
        p.high_freq_factor = 4, p.orig_ctx = 8192;
        break;
    default: break;
    }
    return p;
}

static void test_rope_bound_correct_pass(void)
{
    double worst = 0;
    static const int R_LIST[] = { 2, 6, 32, 128, 256 };
    static const qref_fmt DT[][2] = { { QREF_FMT_F32, QREF_FMT_F32 }, { QREF_FMT_BF16, QREF_FMT_BF16 },
                                      { QREF_FMT_F16, QREF_FMT_F16 }, { QREF_FMT_F16, QREF_FMT_F32 } };
    for (int sc = 0; sc < 4; sc++)
        for (int r = 0; r < 5; r++)
            for (int d = 0; d < 4; d++)
                for (int how = R_POWF; how <= R_VLLM; how++) {
                    qref_rope_params p = scaled(sc);
                    if (sc != 2)
                        p.rot_dim = R_LIST[r];
                    p.layout = (r & 1) ? QREF_ROPE_GPTJ : QREF_ROPE_NEOX;
                    long v = violations(&p, how, DT[d][0], DT[d][1], POS, NPOS, 99 + (uint64_t)r, &worst);
                    QCHECK(v == 0, "scaling %d R %d dtypes %d kernel %d: %ld elements outside the bound", sc,
                           p.rot_dim, d, how, v);
                }
    printf("\n  rope: worst error / bound of the correct float32 kernels: %.3g\n", worst);
}

static void test_rope_bound_wrong_fail(void)
{
    static const int32_t small[] = { 1, 5, 17, 100, 1000 };
    for (int sc = 0; sc < 4; sc++) {
        qref_rope_params p = scaled(sc);
        for (int d = 0; d < 2; d++) {
            qref_fmt dt = d ? QREF_FMT_BF16 : QREF_FMT_F32;
            QCHECK(violations(&p, R_SWAP, dt, dt, small, 5, 3, NULL) > 0, "scaling %d: swapped layout passed", sc);
            QCHECK(violations(&p, R_THETA, dt, dt, small, 5, 3, NULL) > 0, "scaling %d: theta / 2 passed", sc);
            QCHECK(violations(&p, R_HEADDIM, dt, dt, small, 5, 3, NULL) > 0, "scaling %d: exponent over 2R passed",
                   sc);
            QCHECK(violations(&p, R_SIGN, dt, dt, small, 5, 3, NULL) > 0, "scaling %d: flipped sign passed", sc);
            QCHECK(violations(&p, R_POWF, dt, dt, small, 5, 3, NULL) == 0, "scaling %d: powf kernel failed", sc);
        }
    }
    static const int32_t big[] = { 5000, 20000, 60000, 100000 };
    qref_rope_params y = scaled(2), l = scaled(3);
    QCHECK(violations(&y, R_NOATTN, QREF_FMT_BF16, QREF_FMT_BF16, small, 5, 4, NULL) > 0, "yarn without A passed");
    QCHECK(violations(&y, R_NOSCALE, QREF_FMT_F32, QREF_FMT_F32, big, 4, 4, NULL) > 0, "yarn unscaled passed");
    QCHECK(violations(&l, R_NOSCALE, QREF_FMT_F32, QREF_FMT_F32, big, 4, 4, NULL) > 0, "llama3 unscaled passed");
}

QTEST_SUITE(rope,
    QTEST(test_rope_known),
    QTEST(test_rope_bound_correct_pass),
    QTEST(test_rope_bound_wrong_fail))
