/* Properties of every preset in the catalog whose family is implemented
 * (families that answer QREF_ERR_UNSUPPORTED are skipped with a message).
 *
 * For the group, mx and nvfp4 families the test carries its own model of
 * the stored values (ref/SCHEMES-group-mx.md): value(code) * scale (+ zero
 * point), with the scale read from the stored bytes. Checked:
 *  - rtn: every weight w is dequantized to the exact model value of its code
 *    and lies within half a code step of it: with V the sorted values of all
 *    valid codes of its group and V[j] <= w <= V[j+1] the neighbours,
 *    |w - w^| <= (V[j+1] - V[j]) / 2 + 2^-22 |w| (the slack covers the one
 *    float32 rounding of w / scale); a w outside [V0, Vmax] must get the
 *    extreme value (saturation). The scales follow their rule (checked
 *    independently: frexp for MX, relative error of the scale rounding).
 *  - outputs: f32 output == (float)hi (one hardware rounding of the exact
 *    double, lo being 0), f16/bf16 outputs are the correctly rounded values
 *    of hi, checked against their neighbouring codes.
 *  - requantization (quantize(dequantize(q))):
 *    * "canonical" random codes — any valid codes and scales such that the
 *      dequantized weights are float32-exact and every group holds the code
 *      that its scale rule is computed from (the +-max element, both 0 and
 *      qmax for asymmetric groups, an element in the top binade for MX, a
 *      +-6 for NVFP4 blocks above the 2^-6 clamp and a 448 block) — give
 *      identical bytes, for every preset of these families.
 *    * codes from quantizing random data: identical bytes for the schemes
 *      whose rule guarantees it (symmetric f16/bf16 scales, NF, MX); where
 *      the f32 dequantized weights must be rounded (f32 scales of int8/fp8,
 *      the NVFP4 tensor scale) the codes and block scales are identical and
 *      the float32 scale moves by at most one ulp; asymmetric groups are
 *      identical when their codes reach both 0 and qmax (otherwise the range
 *      shrinks and so does the scale: see ref/SCHEMES-group-mx.md).
 * For every implemented preset (any family): save/load round trip, loads of
 * a wrong-size buffer, cols not a multiple of the group, NaN/Inf weights,
 * and (MX) a 0xFF scale. Random data come from splitmix64 turned into
 * floats with exact operations; failures print the seed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qref/bits.h"
#include "qref/pack.h"
#include "qref/scheme.h"
#include "qtest.h"

/* ---- random data --------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint32_t rnd(uint64_t *s, uint32_t n) { return (uint32_t)(splitmix64(s) % n); }

/* a signed 22-bit integer times 2^-22: uniform in [-1, 1), exact */
static float uni(uint64_t *s) { return (float)((int32_t)(splitmix64(s) >> 42) - (1 << 21)) * 0x1p-21f; }

static float pow2f(int k) { return ldexpf(1.0f, k); }

enum { DIST_UNIFORM, DIST_BELL, DIST_WIDE, DIST_SPARSE, DIST_TINY, DIST_COUNT };
static const char *const dist_name[DIST_COUNT] = { "uniform", "bell", "wide", "sparse+outliers", "tiny" };

/* Weights of one matrix. Magnitudes stay below 2^10 so that no f16 scale
 * overflows; DIST_TINY (|w| < 2^-14) drives f16/bf16 scales into their
 * subnormal range and to zero. Some groups are zeroed whole. */
static void gen(uint64_t seed, int dist, int64_t rows, int64_t cols, int64_t glen, float *w)
{
    uint64_t s = seed;
    int64_t n = rows * cols;
    for (int64_t i = 0; i < n; i++) {
        float x;
        switch (dist) {
        case DIST_UNIFORM: x = uni(&s) * 4.0f; break;
        case DIST_BELL: x = (uni(&s) + uni(&s) + uni(&s) + uni(&s)) * 0.5f; break;   /* exact: 24-bit sum */
        case DIST_WIDE: x = uni(&s) * pow2f((int)rnd(&s, 19) - 12); break;
        case DIST_SPARSE: {
            uint32_t r = rnd(&s, 32);
            x = r < 8 ? 0.0f : r == 8 ? -0.0f : r == 9 ? uni(&s) * 600.0f : uni(&s) * 0.125f;
            break;
        }
        default: x = uni(&s) * pow2f(-(int)rnd(&s, 24) - 14); break;
        }
        w[i] = x;
    }
    if (glen < n && rnd(&s, 2))
        for (int64_t i = glen; i < 2 * glen && i < n; i++)
            w[i] = 0.0f;                          /* a whole zero group (the second) */
}

/* ---- the presets and shapes ---------------------------------------------- */

static int mine(const qref_scheme *s)
{
    return s->family == QREF_FAMILY_GROUP || s->family == QREF_FAMILY_MX || s->family == QREF_FAMILY_NVFP4;
}

/* A shape the scheme accepts, or QREF_ERR_UNSUPPORTED for an unavailable
 * family (skipped with a message), or another error. */
static qref_status pick_shape(const qref_scheme *s, int64_t *rows, int64_t *cols)
{
    static const int64_t cand[][2] = { { 0, 0 }, { 16, 256 }, { 256, 256 }, { 256, 1024 } };
    qref_status st = QREF_ERR_SIZE;
    for (size_t i = 0; i < sizeof cand / sizeof cand[0]; i++) {
        int64_t r = cand[i][0], c = cand[i][1];
        if (i == 0) {
            r = 4;
            c = s->group > 0 ? (s->group < 64 ? 4 * s->group : 2 * s->group) : 40;
        }
        qref_qsizes z;
        st = qref_qsizes_get(s, r, c, &z, NULL);
        if (st == QREF_OK) {
            *rows = r;
            *cols = c;
            return QREF_OK;
        }
        if (st == QREF_ERR_UNSUPPORTED)
            return st;
    }
    return st;
}

/* The only presets without a quantizer (they need an importance matrix);
 * any other preset answering QREF_ERR_UNSUPPORTED is a failure. */
static int dequant_only(const qref_scheme *s)
{
    return strcmp(s->name, "gguf_iq2_xxs") == 0 || strcmp(s->name, "gguf_iq3_xxs") == 0;
}

static int skip(const qref_scheme *s, qref_status st, const char *what)
{
    QCHECK(st != QREF_ERR_UNSUPPORTED, "%s: %s: family %s answers QREF_ERR_UNSUPPORTED", what, s->name,
           qref_family_name(s->family));
    QCHECK(st == QREF_OK, "%s: %s: no usable shape (status %d)", what, s->name, (int)st);
    return st != QREF_OK;
}

/* Quantizes; 1 if the preset's quantizer answers QREF_ERR_UNSUPPORTED (a
 * dequantize-only preset of another family: skipped with a message). */
static int quantize_unsupported(const qref_scheme *s, int64_t rows, int64_t cols, const float *w, qref_qtensor *t,
                                qref_error *err, const char *what)
{
    qref_status st = qref_quantize(s, rows, cols, w, t, err);
    if (st == QREF_ERR_UNSUPPORTED && dequant_only(s)) {
        char msg[320];
        snprintf(msg, sizeof msg, "%s: %s skipped, its quantizer is not available: %s", what, s->name, err->msg);
        CU_PASS(msg);
        return 1;
    }
    QCHECK(st == QREF_OK, "%s: %s: quantize failed (status %d): %s", what, s->name, (int)st, err->msg);
    return st != QREF_OK;
}

/* ---- the model of group / mx / nvfp4 ------------------------------------- */

typedef struct model {
    const qref_scheme *s;
    const qref_fmt_info *info;
    int64_t rows, cols, glen, groups;
    size_t rb;
    int asym;
    unsigned valid[256];    /* valid element codes */
    unsigned nvalid;
} model;

static double elem_value(const model *m, unsigned c)
{
    float v = 0.0f;
    qref_decode(m->s->elem, QREF_CONV_OCP, c, &v);
    return v;
}

static void model_init(model *m, const qref_scheme *s, int64_t rows, int64_t cols)
{
    memset(m, 0, sizeof *m);
    m->s = s;
    m->info = qref_fmt_get(s->elem);
    m->rows = rows;
    m->cols = cols;
    m->glen = s->group > 0 ? s->group : s->group == QREF_GROUP_ROW ? cols : rows * cols;
    m->groups = rows * cols / m->glen;
    m->rb = qref_packed_row_bytes(s->layout, m->info->bits, cols);
    m->asym = s->zero == QREF_ZERO_INT;
    for (unsigned c = 0; c < (1u << m->info->bits); c++) {
        double v = elem_value(m, c);
        if (!isfinite(v) || (s->family == QREF_FAMILY_GROUP && s->elem == QREF_FMT_INT8 && c == 0x80))
            continue;
        m->valid[m->nvalid++] = c;
    }
}

/* Value unit of group gi (the multiplier of value(code)); for asymmetric
 * groups the scale, with *z the zero point. */
static double model_unit(const model *m, const qref_qtensor *t, int64_t gi, int *z)
{
    const qref_scheme *s = m->s;
    *z = m->asym ? t->zeros[gi] : 0;
    switch (s->family) {
    case QREF_FAMILY_MX: return ldexp(1.0, (int)t->scales[gi] - 127);
    case QREF_FAMILY_NVFP4: {
        float b = 0.0f;
        qref_decode(QREF_FMT_E4M3, QREF_CONV_OCP, t->scales[gi], &b);
        return (double)b * (double)t->tensor_scale;
    }
    default: return qref_scale_decode(s->scale, qref_scale_load(s->scale, t->scales, (size_t)gi));
    }
}

static double model_value(const model *m, unsigned code, double unit, int z)
{
    return m->asym ? (double)((int)code - z) * unit : elem_value(m, code) * unit;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Sorted values of all valid codes of a group; returns the count. */
static unsigned group_values(const model *m, double unit, int z, double *v)
{
    unsigned n = 0;
    for (unsigned i = 0; i < m->nvalid; i++)
        v[n++] = model_value(m, m->valid[i], unit, z);
    qsort(v, n, sizeof *v, cmp_double);
    return n;
}

static void unpack_row(const model *m, const qref_qtensor *t, int64_t r, uint8_t *codes)
{
    qref_unpack_codes(m->s->layout, m->info->bits, t->codes + (size_t)r * m->rb, m->cols, codes);
}

/* ---- output rounding checks ---------------------------------------------- */

/* Exact value of a magnitude code of a binary16-like format. */
static double dec_mag(unsigned c, int ebits, int mbits)
{
    int bias = (1 << (ebits - 1)) - 1;
    unsigned e = c >> mbits, m = c & ((1u << mbits) - 1);
    return e ? ldexp(1.0 + ldexp((double)m, -mbits), (int)e - bias) : ldexp((double)m, 1 - bias - mbits);
}

/* Is h (a binary16-like code with ebits/mbits) the round-to-nearest-even of
 * the exact double v? Compares with the neighbouring codes. */
static int rounded_ok(double v, uint16_t h, int ebits, int mbits)
{
    unsigned sign = h >> 15, mag = h & 0x7FFFu, infc = ((1u << ebits) - 1) << mbits;
    if ((unsigned)(signbit(v) != 0) != sign)
        return 0;
    double av = fabs(v);
    double maxv = dec_mag(infc - 1, ebits, mbits);
    double ulpmax = maxv - dec_mag(infc - 2, ebits, mbits);
    if (av >= maxv + ulpmax / 2)
        return mag == infc;
    if (mag >= infc)
        return 0;
    double d = dec_mag(mag, ebits, mbits);
    double up = mag + 1 < infc ? dec_mag(mag + 1, ebits, mbits) : maxv + ulpmax;
    double dn = mag ? dec_mag(mag - 1, ebits, mbits) : -dec_mag(1, ebits, mbits);
    double e0 = fabs(av - d), e1 = fabs(av - up), e2 = fabs(av - dn);
    if (e0 > e1 || e0 > e2)
        return 0;
    if (e0 == e1 || e0 == e2)
        return (mag & 1u) == 0;
    return 1;
}

/* ---- rtn property ---------------------------------------------------------- */

/* Checks one quantized tensor against the model; returns the failures. */
static int check_rtn(const model *m, const float *w, const qref_qtensor *t, uint64_t seed, const char *dist)
{
    const qref_scheme *s = m->s;
    int bad = 0;
    uint8_t *codes = malloc((size_t)m->cols);
    double *hi = malloc(sizeof(double) * (size_t)m->cols), *lo = malloc(sizeof(double) * (size_t)m->cols);
    double vals[256];
    unsigned nv = 0;
    int64_t cur = -1;
    double unit = 0.0;
    int z = 0;
    for (int64_t r = 0; r < m->rows && bad < QTEST_MAX_REPORTS; r++) {
        unpack_row(m, t, r, codes);
        qref_dequantize_row_exact(t, r, hi, lo, NULL);
        for (int64_t k = 0; k < m->cols && bad < QTEST_MAX_REPORTS; k++) {
            int64_t gi = (r * m->cols + k) / m->glen;
            if (gi != cur) {
                cur = gi;
                unit = model_unit(m, t, gi, &z);
                nv = group_values(m, unit, z, vals);
            }
            double x = w[r * m->cols + k], got = model_value(m, codes[k], unit, z);
            int ok = hi[k] == got && lo[k] == 0.0;
            bad += !QCHECK(ok, "%s seed %llu (%s): row %lld col %lld: dequant %.17g + %.3g, model %.17g", s->name,
                           (unsigned long long)seed, dist, (long long)r, (long long)k, hi[k], lo[k], got);
            int valid = 0;
            for (unsigned i = 0; i < m->nvalid; i++)
                valid |= m->valid[i] == codes[k];
            bad += !QCHECK(valid, "%s seed %llu (%s): row %lld col %lld: code 0x%02X is not a valid code", s->name,
                           (unsigned long long)seed, dist, (long long)r, (long long)k, codes[k]);
            double tol = ldexp(fabs(x), -22);
            if (x < vals[0] || x > vals[nv - 1]) {
                double ext = x < vals[0] ? vals[0] : vals[nv - 1];
                bad += !QCHECK(got == ext, "%s seed %llu (%s): row %lld col %lld: w = %.9g outside [%.9g, %.9g] "
                               "must saturate, got %.9g", s->name, (unsigned long long)seed, dist, (long long)r,
                               (long long)k, x, vals[0], vals[nv - 1], got);
            } else {
                unsigned j = 0;
                while (j + 2 < nv && vals[j + 1] < x)
                    j++;
                double half = (vals[j + 1] - vals[j]) / 2;
                bad += !QCHECK(fabs(x - got) <= half + tol,
                               "%s seed %llu (%s): row %lld col %lld: w = %.9g -> %.9g, error %.3g > half step %.3g",
                               s->name, (unsigned long long)seed, dist, (long long)r, (long long)k, x, got,
                               fabs(x - got), half);
            }
        }
    }
    free(codes);
    free(hi);
    free(lo);
    return bad;
}

static int min_sub_exp(qref_scale_fmt f)
{
    return f == QREF_SCALE_F16 ? -24 : f == QREF_SCALE_BF16 ? -133 : -149;
}

static int mant_bits(qref_scale_fmt f) { return f == QREF_SCALE_F16 ? 10 : f == QREF_SCALE_BF16 ? 7 : 23; }

static int min_norm_exp(qref_scale_fmt f) { return f == QREF_SCALE_F16 ? -14 : -126; }

/* The scale of each group against its rule, computed independently. */
static int check_scales(const model *m, const float *w, const qref_qtensor *t, uint64_t seed, const char *dist)
{
    const qref_scheme *s = m->s;
    int bad = 0;
    double amax_t = 0.0;
    for (int64_t i = 0; i < m->rows * m->cols; i++)
        amax_t = fmax(amax_t, fabs(w[i]));
    if (s->family == QREF_FAMILY_NVFP4) {
        float S = (float)amax_t / 2688.0f;
        float want = S == 0.0f ? 1.0f : S;
        bad += !QCHECK(qref_f32_bits(t->tensor_scale) == qref_f32_bits(want),
                       "%s seed %llu (%s): tensor scale %a, expected %a", s->name, (unsigned long long)seed, dist,
                       (double)t->tensor_scale, (double)want);
    }
    for (int64_t gi = 0; gi < m->groups && bad < QTEST_MAX_REPORTS; gi++) {
        const float *x = w + gi * m->glen;
        double amax = 0.0, lo = 0.0, hi = 0.0;
        for (int64_t i = 0; i < m->glen; i++) {
            amax = fmax(amax, fabs(x[i]));
            lo = fmin(lo, x[i]);
            hi = fmax(hi, x[i]);
        }
        int z;
        double unit = model_unit(m, t, gi, &z);
        if (s->family == QREF_FAMILY_MX) {
            int e;
            frexp(amax, &e);
            int emax = (int)ilogb(m->info->max);
            int se = amax == 0.0 ? -127 : e - 1 - emax;
            se = se < -127 ? -127 : se > 127 ? 127 : se;
            bad += !QCHECK(t->scales[gi] == se + 127, "%s seed %llu (%s): block %lld amax %a: scale 0x%02X, "
                           "expected 0x%02X", s->name, (unsigned long long)seed, dist, (long long)gi, amax,
                           t->scales[gi], se + 127);
        } else if (s->family == QREF_FAMILY_NVFP4) {
            if (amax_t / 2688.0 < 0x1p-126)
                continue;                               /* subnormal S: only the tensor rule above */
            double r = amax / 6.0 / (double)t->tensor_scale;
            r = r < 0x1p-6 ? 0x1p-6 : r > 448.0 ? 448.0 : r;
            double b = unit / (double)t->tensor_scale;
            bad += !QCHECK(fabs(b - r) <= r * (0x1p-4 + 0x1p-20), "%s seed %llu (%s): block %lld: scale %g for "
                           "%g", s->name, (unsigned long long)seed, dist, (long long)gi, b, r);
        } else {
            double target = m->asym ? (hi - lo) / m->info->max : amax / m->info->max;
            if (target < ldexp(1.0, min_norm_exp(s->scale))) {
                /* subnormal or zero scale: within half the smallest subnormal */
                double q = ldexp(1.0, min_sub_exp(s->scale));
                bad += !QCHECK(fabs(unit - target) <= q / 2 + target * 0x1p-23, "%s seed %llu (%s): group %lld: "
                               "scale %a for %a", s->name, (unsigned long long)seed, dist, (long long)gi, unit,
                               target);
            } else {
                double rel = ldexp(1.0, -mant_bits(s->scale) - 1) + 0x1p-23;
                bad += !QCHECK(fabs(unit - target) <= target * rel, "%s seed %llu (%s): group %lld: scale %a for "
                               "%a", s->name, (unsigned long long)seed, dist, (long long)gi, unit, target);
            }
            if (m->asym && unit != 0.0) {
                double zz = -lo / unit, qmax = m->info->max;
                int ok = zz > qmax ? z == (int)qmax : fabs(z - zz) <= 0.5 + 0x1p-20;
                bad += !QCHECK(ok, "%s seed %llu (%s): group %lld: zero point %d for %.9g", s->name,
                               (unsigned long long)seed, dist, (long long)gi, z, zz);
            }
        }
    }
    return bad;
}

static int check_outputs(const model *m, const qref_qtensor *t, uint64_t seed, const char *dist)
{
    int64_t n = m->rows * m->cols;
    float *f = malloc(sizeof(float) * (size_t)n);
    uint16_t *h = malloc(sizeof(uint16_t) * (size_t)n), *b = malloc(sizeof(uint16_t) * (size_t)n);
    double *hi = malloc(sizeof(double) * (size_t)m->cols), *lo = malloc(sizeof(double) * (size_t)m->cols);
    int bad = 0;
    CU_ASSERT_EQUAL(qref_dequantize(t, f, NULL), QREF_OK);
    CU_ASSERT_EQUAL(qref_dequantize_as(t, QREF_FMT_F16, h, NULL), QREF_OK);
    CU_ASSERT_EQUAL(qref_dequantize_as(t, QREF_FMT_BF16, b, NULL), QREF_OK);
    for (int64_t r = 0; r < m->rows && bad < QTEST_MAX_REPORTS; r++) {
        CU_ASSERT_EQUAL(qref_dequantize_row_exact(t, r, hi, lo, NULL), QREF_OK);
        for (int64_t k = 0; k < m->cols && bad < QTEST_MAX_REPORTS; k++) {
            size_t i = (size_t)(r * m->cols + k);
            if (lo[k] != 0.0)
                continue;          /* other families: checked only where one double is exact */
            float want = (float)hi[k];
            bad += !QCHECK(qref_f32_bits(f[i]) == qref_f32_bits(want), "%s seed %llu (%s): f32 output at %zu is "
                           "%a, the rounding of %a is %a", m->s->name, (unsigned long long)seed, dist, i,
                           (double)f[i], hi[k], (double)want);
            bad += !QCHECK(rounded_ok(hi[k], h[i], 5, 10), "%s seed %llu (%s): f16 output at %zu is 0x%04X for %a",
                           m->s->name, (unsigned long long)seed, dist, i, h[i], hi[k]);
            bad += !QCHECK(rounded_ok(hi[k], b[i], 8, 7), "%s seed %llu (%s): bf16 output at %zu is 0x%04X for %a",
                           m->s->name, (unsigned long long)seed, dist, i, b[i], hi[k]);
        }
    }
    free(f);
    free(h);
    free(b);
    free(hi);
    free(lo);
    return bad;
}

#define SEEDS 6

static void test_rtn_scales_outputs(void)
{
    for (size_t p = 0; p < qref_scheme_count(); p++) {
        const qref_scheme *s = qref_scheme_at(p);
        int64_t rows, cols;
        if (skip(s, pick_shape(s, &rows, &cols), "rtn/outputs"))
            continue;
        model m;
        model_init(&m, s, rows, cols);
        float *w = malloc(sizeof(float) * (size_t)(rows * cols));
        int bad = 0;
        for (int d = 0; d < DIST_COUNT && bad < QTEST_MAX_REPORTS; d++) {
            for (uint64_t k = 0; k < qtest_scale(SEEDS) && bad < QTEST_MAX_REPORTS; k++) {
                uint64_t seed = 0x9000 + p * 100 + (uint64_t)d * 10 + k;
                gen(seed, d, rows, cols, m.glen, w);
                qref_qtensor t;
                qref_error err;
                qref_status st = qref_quantize(s, rows, cols, w, &t, &err);
                if (st == QREF_ERR_UNSUPPORTED && dequant_only(s)) {
                    char msg[320];
                    snprintf(msg, sizeof msg, "rtn/outputs: %s skipped, its quantizer is not available: %s", s->name,
                             err.msg);
                    CU_PASS(msg);
                    bad = QTEST_MAX_REPORTS;     /* leave this preset */
                    break;
                }
                if (!QCHECK(st == QREF_OK, "%s seed %llu (%s): quantize failed: %s", s->name,
                            (unsigned long long)seed, dist_name[d], err.msg)) {
                    bad++;
                    continue;
                }
                if (mine(s)) {
                    bad += check_rtn(&m, w, &t, seed, dist_name[d]);
                    bad += check_scales(&m, w, &t, seed, dist_name[d]);
                }
                bad += check_outputs(&m, &t, seed, dist_name[d]);
                qref_qtensor_free(&t);
            }
        }
        free(w);
    }
}

/* Values with more than 24 significant bits (f32-scaled int8, NVFP4), in
 * bulk: many of them round to float32 exactly onto an f16 or bf16 midpoint,
 * where rounding through float32 would go wrong half of the time. The
 * outputs must still be the correctly rounded exact values; the test also
 * counts the cases where the shortcut would have differed, so that it is
 * known to have exercised them. */
static void test_outputs_near_midpoints(void)
{
    /* int8: one 2048 x 128 tensor (2048 row scales); nvfp4: 2048 tensors of
     * 1 x 128, each with its own tensor scale. */
    static const struct { const char *name; int64_t tensors, rows, cols; } cases[] = {
        { "int8_per_channel", 1, 2048, 128 },
        { "nvfp4", 2048, 1, 128 },
    };
    for (size_t p = 0; p < sizeof cases / sizeof cases[0]; p++) {
        const qref_scheme *s = qref_scheme_find(cases[p].name);
        CU_ASSERT_PTR_NOT_NULL_FATAL(s);
        int64_t rows = cases[p].rows, cols = cases[p].cols, n = rows * cols;
        model m;
        model_init(&m, s, rows, cols);
        uint64_t seed = 0xE000 + p, st = seed;
        uint8_t *codes = malloc((size_t)cols);
        uint16_t *h = malloc(sizeof(uint16_t) * (size_t)n), *b = malloc(sizeof(uint16_t) * (size_t)n);
        double *hi = malloc(sizeof(double) * (size_t)cols), *lo = malloc(sizeof(double) * (size_t)cols);
        int bad = 0, diff16 = 0, diffb16 = 0;
        for (int64_t it = 0; it < cases[p].tensors && bad < QTEST_MAX_REPORTS; it++) {
            qref_qtensor t;
            CU_ASSERT_EQUAL_FATAL(qref_qtensor_alloc(s, rows, cols, &t, NULL), QREF_OK);
            for (int64_t r = 0; r < rows; r++) {
                for (int64_t k = 0; k < cols; k++)
                    codes[k] = (uint8_t)m.valid[rnd(&st, m.nvalid)];
                qref_pack_codes(s->layout, m.info->bits, codes, cols, t.codes + (size_t)r * m.rb);
            }
            /* full 24-bit float32 scales in [0.5, 2) */
            if (s->family == QREF_FAMILY_NVFP4) {
                for (int64_t gi = 0; gi < m.groups; gi++)
                    t.scales[gi] = (uint8_t)(0x30 + rnd(&st, 0x10));            /* 0.5 .. 1.875 */
                t.tensor_scale = qref_f32_from_bits(0x3F000000u + (uint32_t)(splitmix64(&st) >> 40));
            } else {
                for (int64_t gi = 0; gi < m.groups; gi++)
                    qref_scale_store(QREF_SCALE_F32, t.scales, (size_t)gi,
                                     0x3F000000u + (uint32_t)(splitmix64(&st) >> 40));
            }
            /* Random hits are rare (about 2^-14 for f16, 2^-17 for bf16), so
             * the first 16 rows (int8) or tensors (nvfp4) get element 0 and
             * its scale searched for: 8 where rounding through float32 would
             * give the wrong f16, 8 the wrong bf16. */
            for (int64_t r = 0; r < rows && it * rows + r < 16; r++) {
                int want_bf16 = it * rows + r >= 8;
                uint32_t sbits, c, bc = 0;
                double v;
                do {
                    sbits = 0x3F000000u + (uint32_t)(splitmix64(&st) >> 40);
                    c = m.valid[rnd(&st, m.nvalid)];
                    if (s->family == QREF_FAMILY_NVFP4) {
                        bc = 0x30 + rnd(&st, 0x10);
                        float bv = 0.0f;
                        qref_decode(QREF_FMT_E4M3, QREF_CONV_OCP, bc, &bv);
                        v = elem_value(&m, c) * bv * (double)qref_f32_from_bits(sbits);
                    } else {
                        v = elem_value(&m, c) * (double)qref_f32_from_bits(sbits);
                    }
                } while (want_bf16 ? qref_f32_to_bf16((float)v) == qref_round2_to_bf16(v, 0.0)
                                   : qref_f32_to_f16((float)v) == qref_round2_to_f16(v, 0.0));
                qref_unpack_codes(s->layout, m.info->bits, t.codes + (size_t)r * m.rb, cols, codes);
                codes[0] = (uint8_t)c;
                qref_pack_codes(s->layout, m.info->bits, codes, cols, t.codes + (size_t)r * m.rb);
                if (s->family == QREF_FAMILY_NVFP4) {
                    t.scales[r * (cols / 16)] = (uint8_t)bc;
                    t.tensor_scale = qref_f32_from_bits(sbits);
                } else {
                    qref_scale_store(QREF_SCALE_F32, t.scales, (size_t)r, sbits);
                }
            }
            CU_ASSERT_EQUAL(qref_dequantize_as(&t, QREF_FMT_F16, h, NULL), QREF_OK);
            CU_ASSERT_EQUAL(qref_dequantize_as(&t, QREF_FMT_BF16, b, NULL), QREF_OK);
            for (int64_t r = 0; r < rows && bad < QTEST_MAX_REPORTS; r++) {
                qref_dequantize_row_exact(&t, r, hi, lo, NULL);
                for (int64_t k = 0; k < cols; k++) {
                    size_t i = (size_t)(r * cols + k);
                    bad += !QCHECK(rounded_ok(hi[k], h[i], 5, 10), "%s seed %llu: f16 0x%04X for %a", s->name,
                                   (unsigned long long)seed, h[i], hi[k]);
                    bad += !QCHECK(rounded_ok(hi[k], b[i], 8, 7), "%s seed %llu: bf16 0x%04X for %a", s->name,
                                   (unsigned long long)seed, b[i], hi[k]);
                    diff16 += qref_f32_to_f16((float)hi[k]) != h[i];
                    diffb16 += qref_f32_to_bf16((float)hi[k]) != b[i];
                }
            }
            qref_qtensor_free(&t);
        }
        if (getenv("QCTS_VERBOSE"))
            fprintf(stderr, "%s: %d f16, %d bf16 double-rounding cases\n", s->name, diff16, diffb16);
        QCHECK(diff16 >= 8 && diffb16 >= 8, "%s seed %llu: only %d f16 and %d bf16 double-rounding cases", s->name,
               (unsigned long long)seed, diff16, diffb16);
        free(codes);
        free(h);
        free(b);
        free(hi);
        free(lo);
    }
}

/* ---- requantization ------------------------------------------------------ */

enum { RQ_EXACT, RQ_SCALE_ULP, RQ_ASYM, RQ_NVFP4 };

static int requant_class(const qref_scheme *s)
{
    if (s->family == QREF_FAMILY_MX)
        return RQ_EXACT;
    if (s->family == QREF_FAMILY_NVFP4)
        return RQ_NVFP4;
    if (s->zero == QREF_ZERO_INT)
        return RQ_ASYM;
    const qref_fmt_info *i = qref_fmt_get(s->elem);
    return s->scale == QREF_SCALE_F32 && i->kind != QREF_KIND_CODEBOOK ? RQ_SCALE_ULP : RQ_EXACT;
}

static qref_status requantize(const qref_qtensor *t, qref_qtensor *u)
{
    float *f = malloc(sizeof(float) * (size_t)(t->rows * t->cols));
    qref_status st = qref_dequantize(t, f, NULL);
    if (st == QREF_OK)
        st = qref_quantize(t->scheme, t->rows, t->cols, f, u, NULL);
    free(f);
    return st;
}

static int bytes_diff(const uint8_t *a, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return (int)i;
    return -1;
}

static int ulp_apart(uint32_t a, uint32_t b) { return a > b ? a - b <= 1 : b - a <= 1; }

static void test_requant_random(void)
{
    for (size_t p = 0; p < qref_scheme_count(); p++) {
        const qref_scheme *s = qref_scheme_at(p);
        int64_t rows, cols;
        if (skip(s, pick_shape(s, &rows, &cols), "requant"))
            continue;
        if (!mine(s)) {
            char msg[160];
            snprintf(msg, sizeof msg, "requant: %s: no requantization property is claimed for family %s", s->name,
                     qref_family_name(s->family));
            CU_PASS(msg);
            continue;
        }
        model m;
        model_init(&m, s, rows, cols);
        int cls = requant_class(s);
        float *w = malloc(sizeof(float) * (size_t)(rows * cols));
        uint8_t *ca = malloc((size_t)cols), *cb = malloc((size_t)cols);
        int bad = 0, spanning = 0;
        /* Symmetric f16/bf16 scales need normal-range scales (DIST_TINY
         * makes them subnormal, and the group max code can then differ from
         * +-M); every other class holds for all the distributions. */
        int sym16 = s->family == QREF_FAMILY_GROUP && !m.asym && s->scale != QREF_SCALE_F32;
        int dmax = sym16 ? DIST_TINY : DIST_COUNT;
        for (int d = 0; d < dmax && bad < QTEST_MAX_REPORTS; d++) {
            for (uint64_t k = 0; k < qtest_scale(SEEDS) && bad < QTEST_MAX_REPORTS; k++) {
                uint64_t seed = 0xA000 + p * 100 + (uint64_t)d * 10 + k;
                gen(seed, d, rows, cols, m.glen, w);
                qref_qtensor t, u;
                CU_ASSERT_EQUAL_FATAL(qref_quantize(s, rows, cols, w, &t, NULL), QREF_OK);
                CU_ASSERT_EQUAL_FATAL(requantize(&t, &u), QREF_OK);
                size_t body = t.sizes.total - t.sizes.tscale;
                int at;
                switch (cls) {
                case RQ_EXACT:
                    at = bytes_diff(t.storage, u.storage, body);
                    bad += !QCHECK(at < 0, "%s seed %llu (%s): requantized byte %d differs: 0x%02X -> 0x%02X",
                                   s->name, (unsigned long long)seed, dist_name[d], at, at < 0 ? 0 : t.storage[at],
                                   at < 0 ? 0 : u.storage[at]);
                    break;
                case RQ_NVFP4:
                    at = bytes_diff(t.storage, u.storage, body);
                    bad += !QCHECK(at < 0, "%s seed %llu (%s): requantized code/scale byte %d differs", s->name,
                                   (unsigned long long)seed, dist_name[d], at);
                    bad += !QCHECK(ulp_apart(qref_f32_bits(t.tensor_scale), qref_f32_bits(u.tensor_scale)),
                                   "%s seed %llu (%s): tensor scale %a -> %a", s->name, (unsigned long long)seed,
                                   dist_name[d], (double)t.tensor_scale, (double)u.tensor_scale);
                    break;
                case RQ_SCALE_ULP:
                    at = bytes_diff(t.codes, u.codes, t.sizes.codes);
                    bad += !QCHECK(at < 0, "%s seed %llu (%s): requantized code byte %d differs", s->name,
                                   (unsigned long long)seed, dist_name[d], at);
                    for (int64_t gi = 0; gi < m.groups; gi++) {
                        uint32_t a = qref_scale_load(QREF_SCALE_F32, t.scales, (size_t)gi);
                        uint32_t b = qref_scale_load(QREF_SCALE_F32, u.scales, (size_t)gi);
                        bad += !QCHECK(ulp_apart(a, b), "%s seed %llu (%s): group %lld scale 0x%08X -> 0x%08X",
                                       s->name, (unsigned long long)seed, dist_name[d], (long long)gi, a, b);
                    }
                    break;
                default: {   /* RQ_ASYM: groups that reach 0 and qmax (or have scale 0) */
                    unsigned qmax = (1u << m.info->bits) - 1, sb = qref_scale_fmt_bytes(s->scale);
                    for (int64_t r = 0; r < rows; r++) {
                        unpack_row(&m, &t, r, ca);
                        unpack_row(&m, &u, r, cb);
                        for (int64_t g = 0; g < cols / m.glen; g++) {
                            int64_t gi = r * (cols / m.glen) + g;
                            int has0 = 0, hasq = 0;
                            for (int64_t i = g * m.glen; i < (g + 1) * m.glen; i++) {
                                has0 |= ca[i] == 0;
                                hasq |= ca[i] == qmax;
                            }
                            int zero_scale = qref_scale_load(s->scale, t.scales, (size_t)gi) == 0;
                            if (!(has0 && hasq) && !zero_scale)
                                continue;
                            spanning += !zero_scale;
                            int same = memcmp(ca + g * m.glen, cb + g * m.glen, (size_t)m.glen) == 0 &&
                                       memcmp(t.scales + gi * sb, u.scales + gi * sb, sb) == 0 &&
                                       t.zeros[gi] == u.zeros[gi];
                            bad += !QCHECK(same, "%s seed %llu (%s): group %lld reaches 0 and %u but requantizes "
                                           "differently", s->name, (unsigned long long)seed, dist_name[d],
                                           (long long)gi, qmax);
                        }
                    }
                }
                }
                qref_qtensor_free(&t);
                qref_qtensor_free(&u);
            }
        }
        if (cls == RQ_ASYM)
            QCHECK(spanning > 0, "%s: no group reached both 0 and qmax; the test checked nothing", s->name);
        free(w);
        free(ca);
        free(cb);
    }
}

/* A random "short" positive scale (4 significant bits), 2^lo .. 2^(hi+1). */
static float short_scale(uint64_t *st, int lo, int hi)
{
    return (1.0f + (float)rnd(st, 16) / 16.0f) * pow2f(lo + (int)rnd(st, (uint32_t)(hi - lo + 1)));
}

/* Fills t (allocated, zero-filled) with canonical random codes. */
static void make_canonical(const model *m, qref_qtensor *t, uint64_t seed)
{
    const qref_scheme *s = m->s;
    uint64_t st = seed;
    int64_t n = m->rows * m->cols;
    /* Candidate codes: the valid ones, for symmetric group schemes only
     * those within +-M (INT4 -8 would make amax = 8 s, not 7 s). */
    unsigned cand[256], ncand = 0;
    for (unsigned i = 0; i < m->nvalid; i++)
        if (s->family != QREF_FAMILY_GROUP || m->asym || fabs(elem_value(m, m->valid[i])) <= m->info->max)
            cand[ncand++] = m->valid[i];
    uint8_t *codes = malloc((size_t)n);
    for (int64_t i = 0; i < n; i++)
        codes[i] = (uint8_t)cand[rnd(&st, ncand)];
    /* codes of the largest magnitude, and of the top binade (MX) */
    unsigned top[256], ntop = 0, maxc[2] = { 0, 0 }, nmax = 0;
    double vmax = 0.0;
    for (unsigned i = 0; i < ncand; i++)
        vmax = fmax(vmax, fabs(elem_value(m, cand[i])));
    for (unsigned i = 0; i < ncand; i++) {
        double v = fabs(elem_value(m, cand[i]));
        if (v == vmax && nmax < 2)
            maxc[nmax++] = cand[i];
        if (s->family == QREF_FAMILY_MX && v >= ldexp(1.0, (int)ilogb(m->info->max)))
            top[ntop++] = cand[i];
    }
    if (s->family == QREF_FAMILY_NVFP4) {
        t->tensor_scale = short_scale(&st, -20, 0);
        if (seed % 7 == 0) {                       /* the all-zero tensor */
            t->tensor_scale = 1.0f;
            memset(codes, 0, (size_t)n);
        }
    }
    for (int64_t gi = 0; gi < m->groups; gi++) {
        uint8_t *c = codes + gi * m->glen;
        int64_t pos = rnd(&st, (uint32_t)m->glen), pos2 = (pos + 1 + rnd(&st, (uint32_t)m->glen - 1)) % m->glen;
        switch (s->family) {
        case QREF_FAMILY_MX: {
            int emax = (int)ilogb(m->info->max);
            unsigned e = rnd(&st, 4) == 0 ? 0 : rnd(&st, (uint32_t)(255 - emax));
            t->scales[gi] = (uint8_t)e;
            if (e != 0)
                c[pos] = (uint8_t)top[rnd(&st, ntop)];
            break;
        }
        case QREF_FAMILY_NVFP4: {
            if (t->tensor_scale == 1.0f && seed % 7 == 0)
                break;                             /* all-zero tensor: scales 0 */
            unsigned b = gi == 0 ? 0x7E : rnd(&st, 3) == 0 ? 0x08 : 0x08 + rnd(&st, 0x7E - 0x08 + 1);
            t->scales[gi] = (uint8_t)b;
            if (b != 0x08 || rnd(&st, 2))
                c[pos] = (uint8_t)maxc[rnd(&st, nmax)];
            break;
        }
        default: {
            if (rnd(&st, 8) == 0) {                /* a zero group: scale 0, zero 0, codes 0 */
                memset(c, 0, (size_t)m->glen);
                break;
            }
            qref_scale_store(s->scale, t->scales, (size_t)gi, qref_scale_encode(s->scale, short_scale(&st, -10, 4)));
            if (m->asym) {
                unsigned qmax = (1u << m->info->bits) - 1;
                t->zeros[gi] = (uint8_t)rnd(&st, qmax + 1);
                c[pos] = 0;
                c[pos2] = (uint8_t)qmax;
            } else {
                c[pos] = (uint8_t)maxc[rnd(&st, nmax)];
            }
        }
        }
    }
    for (int64_t r = 0; r < m->rows; r++)
        qref_pack_codes(s->layout, m->info->bits, codes + r * m->cols, m->cols, t->codes + (size_t)r * m->rb);
    free(codes);
}

static void test_requant_canonical(void)
{
    for (size_t p = 0; p < qref_scheme_count(); p++) {
        const qref_scheme *s = qref_scheme_at(p);
        int64_t rows, cols;
        if (skip(s, pick_shape(s, &rows, &cols), "canonical requant"))
            continue;
        if (!mine(s)) {
            char msg[160];
            snprintf(msg, sizeof msg, "canonical requant: %s: no model for family %s", s->name,
                     qref_family_name(s->family));
            CU_PASS(msg);
            continue;
        }
        model m;
        model_init(&m, s, rows, cols);
        int bad = 0;
        for (uint64_t k = 0; k < qtest_scale(3 * SEEDS) && bad < QTEST_MAX_REPORTS; k++) {
            uint64_t seed = 0xB000 + p * 100 + k;
            qref_qtensor t, u;
            CU_ASSERT_EQUAL_FATAL(qref_qtensor_alloc(s, rows, cols, &t, NULL), QREF_OK);
            make_canonical(&m, &t, seed);
            CU_ASSERT_EQUAL_FATAL(requantize(&t, &u), QREF_OK);
            int at = bytes_diff(t.storage, u.storage, t.sizes.total - t.sizes.tscale);
            bad += !QCHECK(at < 0, "%s seed %llu: canonical codes requantize differently at byte %d (0x%02X -> "
                           "0x%02X)", s->name, (unsigned long long)seed, at, at < 0 ? 0 : t.storage[at],
                           at < 0 ? 0 : u.storage[at]);
            bad += !QCHECK(qref_f32_bits(t.tensor_scale) == qref_f32_bits(u.tensor_scale),
                           "%s seed %llu: tensor scale %a -> %a", s->name, (unsigned long long)seed,
                           (double)t.tensor_scale, (double)u.tensor_scale);
            qref_qtensor_free(&t);
            qref_qtensor_free(&u);
        }
    }
}

/* ---- save/load and errors ------------------------------------------------ */

static void test_save_load(void)
{
    for (size_t p = 0; p < qref_scheme_count(); p++) {
        const qref_scheme *s = qref_scheme_at(p);
        int64_t rows, cols;
        if (skip(s, pick_shape(s, &rows, &cols), "save/load"))
            continue;
        uint64_t seed = 0xC000 + p;
        float *w = malloc(sizeof(float) * (size_t)(rows * cols));
        gen(seed, DIST_BELL, rows, cols, cols, w);
        qref_qtensor t, u;
        qref_error err;
        if (quantize_unsupported(s, rows, cols, w, &t, &err, "save/load")) {
            free(w);
            continue;
        }
        size_t n = t.sizes.total;
        uint8_t *buf = malloc(n + 1);
        CU_ASSERT_EQUAL(qref_qtensor_save(&t, buf, n), QREF_OK);
        CU_ASSERT_EQUAL(qref_qtensor_save(&t, buf, n + 1), QREF_ERR_ARG);
        QCHECK(qref_qtensor_load(s, rows, cols, buf, n, &u, &err) == QREF_OK, "%s seed %llu: load: %s", s->name,
               (unsigned long long)seed, err.msg);
        if (u.storage) {
            QCHECK(memcmp(t.storage, u.storage, n - t.sizes.tscale) == 0 &&
                       qref_f32_bits(t.tensor_scale) == qref_f32_bits(u.tensor_scale),
                   "%s seed %llu: save/load changed the tensor", s->name, (unsigned long long)seed);
            qref_qtensor_free(&u);
        }
        QCHECK(qref_qtensor_load(s, rows, cols, buf, n - 1, &u, &err) == QREF_ERR_SIZE, "%s: short load", s->name);
        CU_ASSERT_PTR_NULL(u.storage);
        QCHECK(qref_qtensor_load(s, rows, cols, buf, n + 1, &u, &err) == QREF_ERR_SIZE, "%s: long load", s->name);
        char num[32];
        snprintf(num, sizeof num, "%zu", n);
        QCHECK(strstr(err.msg, num) != NULL, "%s: the size message should name %zu bytes: %s", s->name, n, err.msg);
        free(buf);
        free(w);
        qref_qtensor_free(&t);
    }
}

static void test_errors(void)
{
    for (size_t p = 0; p < qref_scheme_count(); p++) {
        const qref_scheme *s = qref_scheme_at(p);
        int64_t rows, cols;
        if (skip(s, pick_shape(s, &rows, &cols), "errors"))
            continue;
        qref_error err;
        qref_qtensor t;
        float *w = calloc((size_t)(rows * (2 * cols + 512)), sizeof(float));
        /* cols not a multiple of the group */
        if (s->group > 1) {
            int64_t bad_cols = cols + s->group / 2;
            qref_status st = qref_quantize(s, rows, bad_cols, w, &t, &err);
            char c1[32], c2[32];
            snprintf(c1, sizeof c1, "%lld", (long long)bad_cols);
            snprintf(c2, sizeof c2, "%d", (int)s->group);
            QCHECK(st == QREF_ERR_SIZE && strstr(err.msg, s->name) && strstr(err.msg, c1) && strstr(err.msg, c2),
                   "%s: cols %lld: status %d, message \"%s\" (wants QREF_ERR_SIZE naming %s, %s and %s)", s->name,
                   (long long)bad_cols, (int)st, err.msg, s->name, c1, c2);
            CU_ASSERT_PTR_NULL(t.storage);
        }
        /* NaN and Inf weights: QREF_ERR_DATA with the row and block */
        static const uint32_t specials[3] = { 0x7FC00000u, 0x7F800000u, 0xFF800000u };
        for (int i = 0; i < 3; i++) {
            int64_t r = rows - 1, k = cols - 1 - i;
            int64_t bl = s->group > 0 ? s->group : cols;
            gen(0xD000 + p, DIST_BELL, rows, cols, cols, w);
            w[r * cols + k] = qref_f32_from_bits(specials[i]);
            qref_status st = qref_quantize(s, rows, cols, w, &t, &err);
            char rb[48];
            snprintf(rb, sizeof rb, "row %lld", (long long)r);
            QCHECK(st == QREF_ERR_DATA && err.row == r && err.block == k / bl && strstr(err.msg, rb),
                   "%s: weight 0x%08X at row %lld col %lld: status %d row %lld block %lld \"%s\"", s->name,
                   specials[i], (long long)r, (long long)k, (int)st, (long long)err.row, (long long)err.block,
                   err.msg);
            CU_ASSERT_PTR_NULL(t.storage);
        }
        /* MX: a 0xFF block scale in a loaded tensor */
        if (s->family == QREF_FAMILY_MX) {
            gen(0xD100 + p, DIST_BELL, rows, cols, cols, w);
            CU_ASSERT_EQUAL_FATAL(qref_quantize(s, rows, cols, w, &t, NULL), QREF_OK);
            uint8_t *buf = malloc(t.sizes.total);
            qref_qtensor_save(&t, buf, t.sizes.total);
            int64_t r = rows / 2, b = cols / 32 - 1;
            buf[t.sizes.codes + (size_t)(r * (cols / 32) + b)] = 0xFF;
            qref_qtensor u;
            qref_status st = qref_qtensor_load(s, rows, cols, buf, t.sizes.total, &u, &err);
            char want[64];
            snprintf(want, sizeof want, "row %lld, block %lld", (long long)r, (long long)b);
            QCHECK(st == QREF_ERR_DATA && err.row == r && err.block == b && strstr(err.msg, want),
                   "%s: 0xFF scale at row %lld block %lld: status %d, \"%s\"", s->name, (long long)r, (long long)b,
                   (int)st, err.msg);
            CU_ASSERT_PTR_NULL(u.storage);
            free(buf);
            qref_qtensor_free(&t);
        }
        free(w);
    }
}

QTEST_SUITE(scheme_props,
    QTEST(test_rtn_scales_outputs),
    QTEST(test_outputs_near_midpoints),
    QTEST(test_requant_random),
    QTEST(test_requant_canonical),
    QTEST(test_save_load),
    QTEST(test_errors))
