/* Reference RoPE frequencies (base, linear, YaRN, Llama-3), cos/sin, the
 * rotation of one head's rotated dims and the bound (qref/rope.h). */
#include "qref/mathx.h"
#include "qref/norm.h"
#include "qref/rope.h"

#define U32 0x1p-24
#define PI_D 3.141592653589793115997963468544185161590576171875   /* the double nearest pi */
#define K_SINCOS 4.0   /* cos/sin absolute error allowed: 4u */

static int finite_pos(double x) { return x > 0 && x < 1e300; }

qref_status qref_rope_check(const qref_rope_params *p)
{
    if (!p || (unsigned)p->layout >= QREF_ROPE_LAYOUT_COUNT || (unsigned)p->scaling >= QREF_ROPE_SCALING_COUNT)
        return QREF_ERR_ARG;
    if (p->rot_dim < 2 || p->rot_dim > QREF_ROPE_MAX_ROT || (p->rot_dim & 1))
        return QREF_ERR_SIZE;
    if (!(p->theta > 1 && p->theta < 1e300) || !(p->attn_factor >= 0 && p->attn_factor < 1e300))
        return QREF_ERR_ARG;
    if (p->scaling != QREF_ROPE_SCALE_NONE && !(p->factor >= 1 && p->factor < 1e300))
        return QREF_ERR_ARG;
    if (p->scaling == QREF_ROPE_SCALE_YARN &&
        (!finite_pos(p->orig_ctx) || !finite_pos(p->beta_slow) || !(p->beta_fast > p->beta_slow) ||
         !(p->beta_fast < 1e300) || !(p->mscale >= 0 && p->mscale < 1e300) ||
         !(p->mscale_all_dim >= 0 && p->mscale_all_dim < 1e300)))
        return QREF_ERR_ARG;
    if (p->scaling == QREF_ROPE_SCALE_LLAMA3 &&
        (!finite_pos(p->orig_ctx) || !finite_pos(p->low_freq_factor) ||
         !(p->high_freq_factor > p->low_freq_factor) || !(p->high_freq_factor < 1e300)))
        return QREF_ERR_ARG;
    return QREF_OK;
}

static double yarn_cd(const qref_rope_params *p, double b)
{
    return (double)p->rot_dim * qref_log(p->orig_ctx / (b * 2.0 * PI_D)) / (2.0 * qref_log(p->theta));
}

void qref_rope_yarn_dims(const qref_rope_params *p, double *cd_fast, double *cd_slow)
{
    *cd_fast = yarn_cd(p, p->beta_fast);
    *cd_slow = yarn_cd(p, p->beta_slow);
}

static double yarn_g(double s, double m) { return s <= 1.0 ? 1.0 : 0.1 * m * qref_log(s) + 1.0; }

qref_status qref_rope_freqs(const qref_rope_params *p, double *f, double *attn)
{
    qref_status st = qref_rope_check(p);
    if (st != QREF_OK)
        return st;
    if (!f || !attn)
        return QREF_ERR_ARG;
    const int32_t half = p->rot_dim / 2;
    double A = 1.0, low = 0, high = 0;
    if (p->scaling == QREF_ROPE_SCALE_YARN) {
        low = qref_floor(yarn_cd(p, p->beta_fast));
        high = -qref_floor(-yarn_cd(p, p->beta_slow));   /* ceil */
        if (low < 0)
            low = 0;
        if (high > p->rot_dim - 1)
            high = p->rot_dim - 1;
        if (high == low)
            high += 0.001;
        A = p->mscale_all_dim > 0 ? yarn_g(p->factor, p->mscale) / yarn_g(p->factor, p->mscale_all_dim)
                                  : yarn_g(p->factor, 1.0);
    }
    for (int32_t i = 0; i < half; i++) {
        double fi = qref_pow(p->theta, -(double)(2 * i) / (double)p->rot_dim);
        switch (p->scaling) {
        case QREF_ROPE_SCALE_LINEAR: fi = fi / p->factor; break;
        case QREF_ROPE_SCALE_YARN: {
            double ramp = ((double)i - low) / (high - low);
            ramp = ramp < 0 ? 0 : ramp > 1 ? 1 : ramp;
            fi = fi / p->factor * ramp + fi * (1.0 - ramp);
            break;
        }
        case QREF_ROPE_SCALE_LLAMA3: {
            double wl = 2.0 * PI_D / fi;
            double wl_lo = p->orig_ctx / p->low_freq_factor, wl_hi = p->orig_ctx / p->high_freq_factor;
            if (wl < wl_hi) {
            } else if (wl > wl_lo) {
                fi = fi / p->factor;
            } else {
                double s = (p->orig_ctx / wl - p->low_freq_factor) / (p->high_freq_factor - p->low_freq_factor);
                fi = (1.0 - s) * fi / p->factor + s * fi;
            }
            break;
        }
        default: break;
        }
        f[i] = fi;
    }
    if (p->attn_factor > 0)
        A = p->attn_factor;
    *attn = A;
    return QREF_OK;
}

void qref_rope_cos_sin(int64_t pos, const double *f, int32_t half, double attn, double *c, double *s)
{
    for (int32_t i = 0; i < half; i++) {
        double sv, cv;
        qref_sincos((double)pos * f[i], &sv, &cv);
        c[i] = attn * cv;
        s[i] = attn * sv;
    }
}

double qref_rope_angle_ulps(const qref_rope_params *p)
{
    double k = (double)(p->rot_dim / 2) + 8.0;
    if (p->scaling == QREF_ROPE_SCALE_YARN)
        k += 4.0;
    if (p->scaling == QREF_ROPE_SCALE_LLAMA3)
        k = 4.0 * k + 8.0;
    return k;
}

static double fabs_d(double x) { return x < 0 ? -x : x; }

/* Absolute error allowed for A cos θ (trig = |cos θ|) or A sin θ as a
 * kernel holds it: angle error, sin/cos error, A's and the product's
 * roundings, and the cache dtype (uc, etac). */
static double trig_err(double kth, double theta, double trig, double attn, double uc, double etac)
{
    double d = fabs_d(theta) * (kth * U32 + 0x1p-50) + K_SINCOS * U32;
    if (d > 2.0)
        d = 2.0;
    double A = fabs_d(attn);
    return A * d + (A * trig + A * d) * ((1.0 + 4.0 * U32) * (1.0 + U32) * (1.0 + uc) - 1.0) + etac;
}

float qref_rope_cache_bound(const qref_rope_params *p, double theta, double v, double attn, qref_fmt out_dtype)
{
    double va = fabs_d(v), A = fabs_d(attn);
    if (!(v - v == 0))
        return 0.0f;
    double e = trig_err(qref_rope_angle_ulps(p), theta, attn != 0 ? va / A : 0.0, attn, 0.0, 0.0);
    double uo = qref_rowop_unit(out_dtype), etao = qref_rowop_eta(out_dtype);
    return qref_rowop_bound_up(((1.0 + uo) * e + 2.0 * uo * va + 2.0 * etao) * (1.0 + 0x1p-40));
}

void qref_rope_rotate(const qref_rope_params *p, const double *c, const double *s, const double *theta,
                      double attn, const double *x, qref_fmt in_dtype, qref_fmt out_dtype, double *y,
                      float *bound)
{
    const int32_t half = p->rot_dim / 2;
    const double kth = qref_rope_angle_ulps(p);
    const double uc = in_dtype == QREF_FMT_F32 ? 0.0 : qref_rowop_unit(in_dtype);
    const double etac = in_dtype == QREF_FMT_F32 ? 0.0 : qref_rowop_eta(in_dtype);
    const double uo = qref_rowop_unit(out_dtype), etao = qref_rowop_eta(out_dtype);
    const double g2 = 2.0 * U32 / (1.0 - 2.0 * U32);
    const double A = fabs_d(attn);
    for (int32_t i = 0; i < half; i++) {
        int32_t ia = p->layout == QREF_ROPE_GPTJ ? 2 * i : i;
        int32_t ib = p->layout == QREF_ROPE_GPTJ ? 2 * i + 1 : i + half;
        double a = x[ia], b = x[ib];
        double ya = a * c[i] - b * s[i], yb = a * s[i] + b * c[i];
        y[ia] = qref_rowop_round(out_dtype, ya);
        y[ib] = qref_rowop_round(out_dtype, yb);
        if (!bound)
            continue;
        double ct = A != 0 ? fabs_d(c[i]) / A : 0.0, st = A != 0 ? fabs_d(s[i]) / A : 0.0;
        double ec = trig_err(kth, theta[i], ct, attn, uc, etac), es = trig_err(kth, theta[i], st, attn, uc, etac);
        double aa = fabs_d(a), ba = fabs_d(b);
        double e1 = aa * ec + ba * es + g2 * (aa * (fabs_d(c[i]) + ec) + ba * (fabs_d(s[i]) + es));
        double e2 = aa * es + ba * ec + g2 * (aa * (fabs_d(s[i]) + es) + ba * (fabs_d(c[i]) + ec));
        double s1 = aa * fabs_d(c[i]) + ba * fabs_d(s[i]), s2 = aa * fabs_d(s[i]) + ba * fabs_d(c[i]);
        double v1 = (1.0 + uo) * e1 + 2.0 * uo * fabs_d(ya) + 2.0 * etao + s1 * 0x1p-40;
        double v2 = (1.0 + uo) * e2 + 2.0 * uo * fabs_d(yb) + 2.0 * etao + s2 * 0x1p-40;
        bound[ia] = y[ia] - y[ia] == 0 ? qref_rowop_bound_up(v1) : 0.0f;
        bound[ib] = y[ib] - y[ib] == 0 ? qref_rowop_bound_up(v2) : 0.0f;
    }
}
