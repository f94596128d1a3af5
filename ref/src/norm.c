/* Reference RMSNorm and LayerNorm with a fused residual add, and their
 * per-element bounds (qref/norm.h; derivation in vectors/README.md,
 * "norm"). Sums are in double, which is exact enough: the stored y is
 * RN(value) and the bound carries 2^-40 relative slack for the double
 * evaluation itself. */
#include "qref/mathx.h"
#include "qref/norm.h"

/* Working precision of a float32 kernel (u, eta) and its allowances. */
#define U32 0x1p-24
#define ETA32 0x1p-150
#define K_RSQRT 4.0      /* 1/sqrt: sqrt + divide, or rsqrt + Newton: <= 4u */

static double gam(double k) { return k * U32 < 0.5 ? k * U32 / (1.0 - k * U32) : 1.0; }

/* Relative error of 1/sqrt(m') when m' lies in [m_lo, m_hi] and the exact
 * m > 0; K_RSQRT u more for the evaluation. */
static double rsqrt_rel(double m, double m_lo, double m_hi)
{
    double r = 1.0 / qref_sqrt(m);
    double r_hi = m_lo > 0 ? 1.0 / qref_sqrt(m_lo) * (1.0 + K_RSQRT * U32) : 1.0 / 0.0;
    double r_lo = 1.0 / qref_sqrt(m_hi) * (1.0 - K_RSQRT * U32);
    double a = r_hi / r - 1.0, b = 1.0 - r_lo / r;
    return (a > b ? a : b) * (1.0 + 0x1p-40);
}

/* m' = fl(fl(V'/n) + fl(eps)) for V' in [v_lo, v_hi]: its range. */
static void mean_eps_range(double v_lo, double v_hi, double n, double eps, double *m_lo, double *m_hi)
{
    *m_hi = (v_hi / n * (1.0 + U32) * (1.0 + U32) + eps * (1.0 + U32)) * (1.0 + U32);
    *m_lo = (v_lo / n * (1.0 - U32) * (1.0 - U32) + eps * (1.0 - U32)) * (1.0 - U32);
}

qref_status qref_norm_row(const qref_norm_params *p, const double *x, const double *r, const double *w,
                          const double *b, double *y, double *h, float *bound)
{
    if (!p || !x || !y || p->n < 1 || !(p->eps > 0 && p->eps < 1e300) || (unsigned)p->kind >= QREF_NORM_KIND_COUNT ||
        !qref_rowop_dtype_ok(p->dtype) || !qref_rowop_dtype_ok(p->out_dtype))
        return QREF_ERR_ARG;
    const int64_t n = p->n;
    const double nd = (double)n;
    /* h: x, or x + r rounded once to the activation dtype; kept in y for now. */
    for (int64_t i = 0; i < n; i++) {
        y[i] = r ? qref_rowop_round(p->dtype, x[i] + r[i]) : x[i];
        if (h)
            h[i] = y[i];
    }
    double mu = 0.0;
    if (p->kind == QREF_NORM_LAYER) {
        for (int64_t i = 0; i < n; i++)
            mu += y[i];
        mu /= nd;
    }
    double v = 0.0;
    for (int64_t i = 0; i < n; i++)
        v += (y[i] - mu) * (y[i] - mu);
    const double m = v / nd + p->eps;
    const double rs = 1.0 / qref_sqrt(m);

    /* ---- bound: the ranges a float32 kernel's intermediates can take ---- */
    const double uh = r && p->dtype != QREF_FMT_F32 ? 2.0 * qref_rowop_unit(p->dtype) : 0.0;
    const double etah = r && p->dtype != QREF_FMT_F32 ? qref_rowop_eta(p->dtype) : 0.0;
    const double ud = qref_rowop_unit(p->dtype), etad = qref_rowop_eta(p->dtype);
    const double g = gam(nd);
    double rho = 0.0, emu = 0.0;
    if (bound) {
        double v_lo = 0.0, v_hi = 0.0;
        if (p->kind == QREF_NORM_RMS) {
            for (int64_t i = 0; i < n; i++) {
                double a = y[i] < 0 ? -y[i] : y[i];
                double hi = a * (1.0 + uh) + etah, lo = a * (1.0 - uh) - etah;
                v_hi += hi * hi;
                v_lo += lo > 0 ? lo * lo : 0.0;
            }
            v_hi = v_hi * (1.0 + g) + nd * ETA32;
            v_lo = v_lo * (1.0 - g) - nd * ETA32;
        } else {
            /* mean of z (z_i within uh|h_i| + etah of h_i), any order, one
             * division; deviations d'_i = z_i - mu', Σ d_i = 0 exactly. */
            double sabs = 0.0;
            for (int64_t i = 0; i < n; i++)
                sabs += (y[i] < 0 ? -y[i] : y[i]) * (1.0 + uh) + etah;
            double mua = mu < 0 ? -mu : mu;
            emu = ((sabs * uh + nd * etah) / nd + gam(nd + 1.0) * sabs / nd + U32 * mua) * (1.0 + 0x1p-30);
            double cross = 0.0, sq = 0.0;
            for (int64_t i = 0; i < n; i++) {
                double ha = y[i] < 0 ? -y[i] : y[i], d = y[i] - mu;
                double ai = uh * ha + etah, ei = ai + emu;
                cross += 2.0 * (d < 0 ? -d : d) * ai;
                sq += ei * ei;
            }
            v_hi = (v + cross + sq) * (1.0 + U32) * (1.0 + U32) * (1.0 + g) + nd * ETA32;
            v_lo = (v - cross) * (1.0 - U32) * (1.0 - U32) * (1.0 - g) - nd * ETA32;
        }
        if (v_lo < 0)
            v_lo = 0;
        double m_lo, m_hi;
        mean_eps_range(v_lo, v_hi, nd, p->eps, &m_lo, &m_hi);
        rho = rsqrt_rel(m, m_lo, m_hi);
    }
    const double uo = qref_rowop_unit(p->out_dtype), etao = qref_rowop_eta(p->out_dtype);
    for (int64_t i = 0; i < n; i++) {
        double hv = y[i];
        double d = hv - mu, wi = w ? w[i] : 1.0, bi = b ? b[i] : 0.0;
        double yex = d * rs * wi + bi;
        y[i] = qref_rowop_round(p->out_dtype, yex);
        if (!bound)
            continue;
        if (!(y[i] - y[i] == 0)) {   /* NaN or Inf: compared exactly */
            bound[i] = 0.0f;
            continue;
        }
        double da = d < 0 ? -d : d, wa = wi < 0 ? -wi : wi, ba = bi < 0 ? -bi : bi, ya = yex < 0 ? -yex : yex;
        /* |fl(z_i - mu') - d_i| (LayerNorm) or |z_i - h_i| (RMS) */
        double ha = hv < 0 ? -hv : hv;
        double dd = p->kind == QREF_NORM_LAYER ? (uh * ha + etah + emu) * (1.0 + U32) + U32 * da : uh * ha + etah;
        /* (d' r' w) with two float32 roundings and an optional one to the
         * activation dtype (HF rounds the normalized value before w). */
        double grow = (1.0 + rho) * (1.0 + U32) * (1.0 + U32) * (1.0 + ud);
        double eprod = rs * wa * ((da + dd) * grow - da) + (2.0 * ETA32 + etad) * (1.0 + wa);
        double e = eprod + U32 * (ya + eprod) + ETA32;   /* + b */
        if (!b)
            e = eprod;
        double bd = (1.0 + uo) * e + 2.0 * uo * ya + 2.0 * etao;
        bd += (ya + rs * wa * da + ba) * 0x1p-40;       /* the double evaluation of y */
        bound[i] = qref_rowop_bound_up(bd);
    }
    return QREF_OK;
}
