/* Reference softmax with temperature over one row, and its per-element
 * bound (qref/norm.h; derivation in vectors/README.md, "softmax"). */
#include "qref/mathx.h"
#include "qref/norm.h"

#define U32 0x1p-24
#define K_EXP 8.0            /* exp: 4 float32 ulps = 8u */
#define EXP_FTZ 0x1p-126     /* exps below the normal range may be flushed */

static double gam(double k) { return k * U32 < 0.5 ? k * U32 / (1.0 - k * U32) : 1.0; }

qref_status qref_softmax_row(const qref_softmax_params *p, const double *x, double *y, float *bound)
{
    if (!p || !x || !y || p->n < 1 || !(p->temperature > 0 && p->temperature < 1e300) ||
        !qref_rowop_dtype_ok(p->in_dtype) || !qref_rowop_dtype_ok(p->out_dtype))
        return QREF_ERR_ARG;
    const int64_t n = p->n;
    const double T = p->temperature;
    double m = x[0];
    int nan = 0;
    for (int64_t i = 0; i < n; i++) {
        if (x[i] != x[i])
            nan = 1;
        else if (x[i] > m || m != m)
            m = x[i];
    }
    /* all -inf, a +inf or a NaN: NaN everywhere (IEEE in every order) */
    if (nan || m == 1.0 / 0.0 || m == -1.0 / 0.0) {
        for (int64_t i = 0; i < n; i++) {
            y[i] = 0.0 / 0.0;
            if (bound)
                bound[i] = 0.0f;
        }
        return QREF_OK;
    }
    /* y holds e_i = exp((x_i - m) / T) first; s their sum. */
    double s = 0.0;
    for (int64_t i = 0; i < n; i++) {
        y[i] = x[i] == -1.0 / 0.0 ? 0.0 : qref_exp((x[i] - m) / T);
        s += y[i];
    }
    double R = 0.0;   /* Σ e_j r_j / Σ e_j: the relative error of the float32 sum's terms */
    const double ma = m < 0 ? -m : m;
    if (bound) {
        for (int64_t i = 0; i < n; i++) {
            if (x[i] == -1.0 / 0.0)
                continue;
            double xa = x[i] < 0 ? -x[i] : x[i], t = (m - x[i]) / T;
            double alpha = 1.01 * (U32 * (xa + ma) / T + 4.0 * U32 * t);
            double ri = qref_exp(alpha) * (1.0 + K_EXP * U32) - 1.0;
            R += y[i] * ri;
        }
        R /= s;
    }
    const double g = gam((double)n);
    const double uo = qref_rowop_unit(p->out_dtype), etao = qref_rowop_eta(p->out_dtype);
    for (int64_t i = 0; i < n; i++) {
        double ye = y[i] / s;
        y[i] = qref_rowop_round(p->out_dtype, ye);
        if (!bound)
            continue;
        double ri = 0.0;
        if (x[i] != -1.0 / 0.0) {
            double xa = x[i] < 0 ? -x[i] : x[i], t = (m - x[i]) / T;
            double alpha = 1.01 * (U32 * (xa + ma) / T + 4.0 * U32 * t);
            ri = qref_exp(alpha) * (1.0 + K_EXP * U32) - 1.0;
        }
        double ftz = (double)n * EXP_FTZ;
        double s_hi = (1.0 + R) * (1.0 + g) + ftz, s_lo = (1.0 - R) * (1.0 - g) - ftz;   /* Σ'/Σ */
        double up = (ye * (1.0 + ri) + EXP_FTZ / s) / s_lo * (1.0 + U32) * (1.0 + U32);
        double lo = (ye * (1.0 - ri) - EXP_FTZ / s) / s_hi * (1.0 - U32) * (1.0 - U32);
        double e = up - ye > ye - lo ? up - ye : ye - lo;
        if (!(s_lo > 0))
            e = 1.0 / 0.0;   /* no finite bound (n u near 1) */
        double bd = (1.0 + uo) * e + 2.0 * uo * ye + 2.0 * etao + ye * 0x1p-40;
        bound[i] = qref_rowop_bound_up(bd);
    }
    return QREF_OK;
}
