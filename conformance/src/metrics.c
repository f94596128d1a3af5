/* Accuracy metrics (qcts/metrics.h). Values are widened to double exactly;
 * sums are plain double sums in index order, so results do not depend on
 * the machine beyond IEEE double arithmetic. */
#include "qcts/metrics.h"

#include <math.h>
#include <string.h>

/* One element of an array in a supported format: its code and its value. */
typedef struct elem {
    uint32_t code;
    double v;
} elem;

static elem load(qref_fmt fmt, const void *p, size_t i)
{
    elem e;
    if (fmt == QREF_FMT_F32) {
        float f = ((const float *)p)[i];
        memcpy(&e.code, &f, sizeof e.code);
        e.v = (double)f;
    } else {
        uint16_t h = ((const uint16_t *)p)[i];
        e.code = h;
        e.v = (double)(fmt == QREF_FMT_F16 ? qref_f16_to_f32(h) : qref_bf16_to_f32(h));
    }
    return e;
}

/* Sign-magnitude codes of `width` bits onto a line where adjacent
 * representable values are adjacent integers and +0 == -0 == 0. */
static int64_t ordinal(uint32_t code, unsigned width)
{
    uint32_t sign = (uint32_t)1 << (width - 1);
    int64_t mag = (int64_t)(code & (sign - 1));
    return (code & sign) ? -mag : mag;
}

/* A code is NaN when its magnitude lies above the infinity code. */
static int code_is_nan(uint32_t code, unsigned width, uint32_t inf_code)
{
    uint32_t sign = (uint32_t)1 << (width - 1);
    return (code & (sign - 1)) > inf_code;
}

static uint64_t ulp_distance(uint32_t a, uint32_t b, unsigned width, uint32_t inf_code)
{
    int an = code_is_nan(a, width, inf_code), bn = code_is_nan(b, width, inf_code);
    if (an || bn)
        return an && bn ? 0 : QCTS_ULP_NAN;
    int64_t d = ordinal(a, width) - ordinal(b, width);
    return (uint64_t)(d < 0 ? -d : d);
}

uint64_t qcts_ulp_distance_f32(float a, float b)
{
    uint32_t ua, ub;
    memcpy(&ua, &a, sizeof ua);
    memcpy(&ub, &b, sizeof ub);
    return ulp_distance(ua, ub, 32, 0x7F800000u);
}

uint64_t qcts_ulp_distance_f16(uint16_t a, uint16_t b) { return ulp_distance(a, b, 16, 0x7C00u); }

uint64_t qcts_ulp_distance_bf16(uint16_t a, uint16_t b) { return ulp_distance(a, b, 16, 0x7F80u); }

static void format_params(qref_fmt fmt, unsigned *width, uint32_t *inf_code)
{
    *width = fmt == QREF_FMT_F32 ? 32 : 16;
    *inf_code = fmt == QREF_FMT_F32 ? 0x7F800000u : fmt == QREF_FMT_F16 ? 0x7C00u : 0x7F80u;
}

/* The energy metrics from the three sums (see metrics.h). */
static void energy(double see, double sgg, double seg, double sdd, size_t n, double *mse, double *nmse,
                   double *cosine, double *snr_db)
{
    *mse = n ? sdd / (double)n : 0.0;
    *nmse = see > 0.0 ? sdd / see : sdd > 0.0 ? INFINITY : 0.0;
    if (see == 0.0 && sgg == 0.0)
        *cosine = 1.0;
    else if (see == 0.0 || sgg == 0.0)
        *cosine = NAN;
    else {
        double c = seg / (sqrt(see) * sqrt(sgg));
        *cosine = c > 1.0 ? 1.0 : c < -1.0 ? -1.0 : c;
    }
    if (sdd == 0.0)
        *snr_db = INFINITY;
    else if (see == 0.0)
        *snr_db = -INFINITY;
    else
        *snr_db = 10.0 * log10(see / sdd);
}

int qcts_metrics_compute_as(qref_fmt fmt, const void *expected, const void *got, size_t n, qcts_metrics *m)
{
    if (fmt != QREF_FMT_F32 && fmt != QREF_FMT_F16 && fmt != QREF_FMT_BF16)
        return -1;
    unsigned width;
    uint32_t inf_code;
    format_params(fmt, &width, &inf_code);
    memset(m, 0, sizeof *m);
    m->n = n;
    double see = 0.0, sgg = 0.0, seg = 0.0, sdd = 0.0;
    for (size_t i = 0; i < n; i++) {
        elem e = load(fmt, expected, i), g = load(fmt, got, i);
        int e_nan = isnan(e.v), g_nan = isnan(g.v);
        int finite = isfinite(e.v) && isfinite(g.v);
        int match = (e_nan && g_nan) || e.code == g.code;
        if (!match)
            m->mismatches++;
        double abs_err, rel_err;
        if (match || (!e_nan && !g_nan && e.v == g.v))
            abs_err = 0.0;      /* equal values: +0 vs -0 is a mismatch, not an error */
        else if (!finite)
            abs_err = INFINITY;
        else
            abs_err = fabs(g.v - e.v);
        if (abs_err == 0.0)
            rel_err = 0.0;
        else if (e.v == 0.0 || !finite)
            rel_err = INFINITY;
        else
            rel_err = abs_err / fabs(e.v);
        uint64_t ulp = ulp_distance(e.code, g.code, width, inf_code);
        if (abs_err > m->max_abs) {
            m->max_abs = abs_err;
            m->max_abs_index = i;
        }
        if (rel_err > m->max_rel)
            m->max_rel = rel_err;
        if (ulp > m->max_ulp) {
            m->max_ulp = ulp;
            m->max_ulp_index = i;
        }
        if (!finite) {
            m->nonfinite++;
            continue;
        }
        double d = g.v - e.v;
        see += e.v * e.v;
        sgg += g.v * g.v;
        seg += e.v * g.v;
        sdd += d * d;
    }
    energy(see, sgg, seg, sdd, n, &m->mse, &m->nmse, &m->cosine, &m->snr_db);
    if (m->nonfinite)
        m->mse = m->nmse = m->cosine = m->snr_db = NAN;
    return 0;
}

void qcts_metrics_compute(const float *expected, const float *got, size_t n, qcts_metrics *m)
{
    qcts_metrics_compute_as(QREF_FMT_F32, expected, got, n, m);
}

size_t qcts_count_mismatches(const float *expected, const float *got, size_t n)
{
    qcts_metrics m;
    qcts_metrics_compute(expected, got, n, &m);
    return m.mismatches;
}

double qcts_max_abs_error(const float *expected, const float *got, size_t n)
{
    qcts_metrics m;
    qcts_metrics_compute(expected, got, n, &m);
    return m.max_abs;
}

double qcts_max_rel_error(const float *expected, const float *got, size_t n)
{
    qcts_metrics m;
    qcts_metrics_compute(expected, got, n, &m);
    return m.max_rel;
}

uint64_t qcts_max_ulp_f32(const float *expected, const float *got, size_t n)
{
    qcts_metrics m;
    qcts_metrics_compute(expected, got, n, &m);
    return m.max_ulp;
}

double qcts_mse(const float *expected, const float *got, size_t n)
{
    qcts_metrics m;
    qcts_metrics_compute(expected, got, n, &m);
    return m.mse;
}

double qcts_nmse(const float *expected, const float *got, size_t n)
{
    qcts_metrics m;
    qcts_metrics_compute(expected, got, n, &m);
    return m.nmse;
}

double qcts_cosine(const float *expected, const float *got, size_t n)
{
    qcts_metrics m;
    qcts_metrics_compute(expected, got, n, &m);
    return m.cosine;
}

double qcts_snr_db(const float *expected, const float *got, size_t n)
{
    qcts_metrics m;
    qcts_metrics_compute(expected, got, n, &m);
    return m.snr_db;
}

void qcts_metrics_energy_f64(const double *expected, const double *got, size_t n, double *mse, double *nmse,
                             double *cosine, double *snr_db)
{
    double see = 0.0, sgg = 0.0, seg = 0.0, sdd = 0.0;
    int nonfinite = 0;
    for (size_t i = 0; i < n; i++) {
        double e = expected[i], g = got[i];
        if (!isfinite(e) || !isfinite(g)) {
            nonfinite = 1;
            continue;
        }
        double d = g - e;
        see += e * e;
        sgg += g * g;
        seg += e * g;
        sdd += d * d;
    }
    energy(see, sgg, seg, sdd, n, mse, nmse, cosine, snr_db);
    if (nonfinite)
        *mse = *nmse = *cosine = *snr_db = NAN;
}

/* ---- KL divergences ---------------------------------------------------- */

/* Arrays given as double or float: exactly one of the pointers is set. */
typedef struct vec {
    const double *d;
    const float *f;
} vec;

static inline double at(vec v, size_t i) { return v.d ? v.d[i] : (double)v.f[i]; }

static double kl_div(vec p, vec q, size_t n)
{
    if (n == 0)
        return NAN;
    double kl = 0.0;
    int inf = 0;
    for (size_t i = 0; i < n; i++) {
        double pi = at(p, i), qi = at(q, i);
        if (!isfinite(pi) || !isfinite(qi) || pi < 0.0 || qi < 0.0)
            return NAN;
        if (pi == 0.0)
            continue;
        if (qi == 0.0)
            inf = 1;
        else
            kl += pi * (log(pi) - log(qi));
    }
    return inf ? INFINITY : kl;
}

double qcts_kl_div(const double *p, const double *q, size_t n)
{
    return kl_div((vec){ p, NULL }, (vec){ q, NULL }, n);
}

double qcts_kl_div_f32(const float *p, const float *q, size_t n)
{
    return kl_div((vec){ NULL, p }, (vec){ NULL, q }, n);
}

/* log(sum exp(x_i)) with the largest x_i factored out; NaN when some x_i is
 * NaN or +Inf or all are -Inf. */
static double log_sum_exp(vec x, size_t n)
{
    double mx = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double v = at(x, i);
        if (isnan(v) || v == INFINITY)
            return NAN;
        if (v > mx)
            mx = v;
    }
    if (mx == -INFINITY)
        return NAN;
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += exp(at(x, i) - mx);   /* exp(-Inf) = 0; the largest term is 1 */
    return mx + log(s);
}

static double kl_softmax(vec a, vec b, size_t n)
{
    if (n == 0)
        return NAN;
    double la = log_sum_exp(a, n), lb = log_sum_exp(b, n);
    if (isnan(la) || isnan(lb))
        return NAN;
    double kl = 0.0;
    int inf = 0;
    for (size_t i = 0; i < n; i++) {
        double ai = at(a, i), bi = at(b, i);
        if (ai == -INFINITY)
            continue;              /* p_i = 0 */
        if (bi == -INFINITY) {
            inf = 1;               /* p_i > 0, q_i = 0 */
            continue;
        }
        double lp = ai - la, lq = bi - lb;
        kl += exp(lp) * (lp - lq);
    }
    return inf ? INFINITY : kl;
}

double qcts_kl_softmax(const double *a, const double *b, size_t n)
{
    return kl_softmax((vec){ a, NULL }, (vec){ b, NULL }, n);
}

double qcts_kl_softmax_f32(const float *a, const float *b, size_t n)
{
    return kl_softmax((vec){ NULL, a }, (vec){ NULL, b }, n);
}
