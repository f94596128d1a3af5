/* The admissible set of a sampling row (qref/sampling.h; the error model
 * and its derivation: vectors/README.md, "sampling").
 *
 * Steps 1, 2 and 4 are exact in any correct implementation (float32
 * penalties with fixed operations; orderings of exact float32 values), so
 * only steps 3 and 5..9 carry rounding: every e_t gets an absolute error
 * bound de_t, every sum S of m of them dS = sum de + gamma_m (S + sum de),
 * and every ratio R = S / Z the bound
 *   tau(R) = 2 * [ (dS + R dZ) / (Z - dZ) + 4 u R ]     (u = 2^-24)
 * (the factor 2 covers the near-tie reorderings bounded below and the
 * normalisation by a rounded Z). Thresholds within tau of a decision
 * make both outcomes possible: the kept set K of an implementation lies
 * between kmin and kmax, and a token t is admissible when it is in kmax,
 * has e_t > 0, and lo(C_{t-1}) - tau <= u < hi(C_t) + tau, the bounds of
 * the index-order cumulative sums taken over every K between the two. */
#include <stdlib.h>
#include <string.h>

#include "qref/mathx.h"
#include "sampling_impl.h"

#define U32 0x1p-24
#define EXP_REL (16 * U32)      /* an exp within 8 ulp of float32 */
#define TINY 0x1p-126           /* float32 underflow / flush to zero, per term */

qref_status sampling_work_alloc(sampling_work *w, int32_t V)
{
    size_t n = (size_t)V;
    w->lp = malloc(n * sizeof *w->lp);
    w->counts = calloc(n, sizeof *w->counts);
    w->key = malloc(n * sizeof *w->key);
    w->e = calloc(n, sizeof *w->e);
    w->kept = calloc(n, 1);
    w->scratch = calloc(4 * n, sizeof *w->scratch);
    if (!w->lp || !w->counts || !w->key || !w->e || !w->kept || !w->scratch) {
        sampling_work_free(w);
        return QREF_ERR_ARG;
    }
    return QREF_OK;
}

void sampling_work_free(sampling_work *w)
{
    free(w->lp);
    free(w->counts);
    free(w->key);
    free(w->e);
    free(w->kept);
    free(w->scratch);
    memset(w, 0, sizeof *w);
}

static double gamma_m(double m) { return m * U32 / (1.0 - m * U32); }

/* Absolute error bound of an implementation's e_t = exp((l_t - lmax) / T)
 * in float32: the argument may be formed as (l - lmax) / T, l/T - lmax/T
 * or (l - lmax) * (1/T), each operation rounded: |dx| <= 4u (|l| + |lmax|
 * + |x| T) / T; then exp: relative (e^dx - 1) + EXP_REL, plus TINY. */
static double exp_err(const sampling_work *w, int32_t t)
{
    double e = w->e[t];
    if (e == 0)
        return w->lp[t] == -1.0f / 0.0f ? 0 : TINY;   /* exp(-inf) = 0 in every implementation */
    double T = w->T, l = w->lp[t], lm = w->lmax;
    double x = (l - lm) / T;
    double dx = 4 * U32 * (qref_fabs(l) / T + qref_fabs(lm) / T + qref_fabs(x));
    double rel = dx <= 0x1p-10 ? dx * 1.01 : qref_exp(dx) - 1;
    return e * (rel + EXP_REL) + TINY;
}

/* tau of a ratio R = S / Z with the sums' bounds */
static double tau(double S, double dS, double Z, double dZ)
{
    double R = S / Z, den = Z - dZ;
    if (!(den > 0))
        return 1;
    return 2 * ((dS + R * dZ) / den + 4 * U32 * R);
}

void sampling_admissible(const qref_sampling_params *p, sampling_work *w, float u, uint8_t *admit, double *pbound,
                         int *certain)
{
    int32_t V = p->vocab, nk = w->nk;
    double *de = w->scratch;               /* V */
    uint8_t *kmin = (uint8_t *)(w->scratch + V), *kmax = kmin + V;
    memset(admit, 0, (size_t)V);
    memset(kmin, 0, 2 * (size_t)V);
    double Z = 0, sde = 0;
    for (int32_t j = 0; j < nk; j++) {
        int32_t t = w->key[j].i;
        de[t] = exp_err(w, t);
        Z += w->e[t];
        sde += de[t];
    }
    double dZ = sde + gamma_m(nk) * (Z + sde);

    /* top-p: the cut lies in [jlo, jhi] of the sorted order */
    int32_t jlo = nk - 1, jhi = nk - 1;
    if (p->top_p < 1) {
        double S = 0, sd = 0, tp = p->top_p;
        int lo_found = 0;
        for (int32_t j = 0; j < nk; j++) {
            int32_t t = w->key[j].i;
            S += w->e[t];
            sd += de[t];
            double dS = sd + gamma_m(j + 1) * (S + sd), P = S / Z, tj = tau(S, dS, Z, dZ);
            if (!lo_found && P + tj >= tp) {
                jlo = j;
                lo_found = 1;
            }
            if (P - tj >= tp) {
                jhi = j;
                break;
            }
        }
    }
    /* Near ties in e between tokens of different logits may be ordered
     * either way by an implementation: kmax takes every token after jhi
     * that could rank before key[jhi]; kmin loses every token before jlo
     * that a token after jlo could outrank. */
    for (int32_t j = 0; j <= jhi; j++)
        kmax[w->key[j].i] = 1;
    {
        int32_t b = w->key[jhi].i;
        double floor_b = w->e[b] - 2 * de[b];
        for (int32_t j = jhi + 1; j < nk; j++) {
            int32_t t = w->key[j].i;
            if (w->lp[t] == w->lp[b])
                continue;
            if (w->e[t] + 2 * de[t] < floor_b)
                break;   /* sorted: the rest are smaller still */
            kmax[t] = 1;
        }
    }
    {
        int32_t b = w->key[jlo].i;
        double out_lt = -1, out_eq = -1;   /* max e + 2de after jlo: logit < / == that of key[jlo] */
        for (int32_t j = jlo + 1; j < nk; j++) {
            int32_t t = w->key[j].i;
            double v = w->e[t] + 2 * de[t];
            if (w->lp[t] == w->lp[b]) {
                if (v > out_eq)
                    out_eq = v;
            } else {
                if (v > out_lt)
                    out_lt = v;
                break;   /* the first smaller logit has the largest e of the rest */
            }
        }
        for (int32_t j = 0; j <= jlo; j++) {
            int32_t t = w->key[j].i;
            double lim = w->lp[t] == w->lp[b] ? out_lt : (out_lt > out_eq ? out_lt : out_eq);
            kmin[t] = !(w->e[t] - 2 * de[t] <= lim);
        }
        kmin[w->key[0].i] = 1;   /* the first token is always kept by top-p */
    }
    /* min-p: e_t >= min_p * e_max, e_max = 1 with error de of the max */
    if (p->min_p > 0) {
        double mp = p->min_p, dm = 2 * de[w->key[0].i];
        for (int32_t t = 0; t < V; t++) {
            if (!kmax[t] && !kmin[t])
                continue;
            if (w->lp[t] == w->lmax)
                continue;   /* equal to the max: kept exactly */
            double hi = w->e[t] + 2 * de[t], lo = w->e[t] - 2 * de[t];
            if (!(hi >= mp * (1 - dm) * (1 - 2 * U32)))
                kmax[t] = 0;
            if (!(lo >= mp * (1 + dm) * (1 + 2 * U32)))
                kmin[t] = 0;
        }
    }
    for (int32_t t = 0; t < V; t++) {
        if (w->e[t] == 0)
            kmin[t] = kmax[t] = 0;
        if (kmin[t])
            kmax[t] = 1;
    }
    /* Index-order cumulative bounds over every K in [kmin, kmax]. */
    double zmin = 0, zmax = 0, sdmax = 0;
    int32_t mmax = 0;
    for (int32_t t = 0; t < V; t++) {
        if (kmin[t])
            zmin += w->e[t];
        if (kmax[t]) {
            zmax += w->e[t];
            sdmax += de[t];
            mmax++;
        }
    }
    double dZk = sdmax + gamma_m(mmax) * (zmax + sdmax);
    if (pbound) {
        /* q_t = e_t / Z over a certain kept set: the ratio bound of one term */
        int same = 1;
        for (int32_t t = 0; t < V; t++)
            same &= kmin[t] == kmax[t];
        if (certain)
            *certain = same;
        for (int32_t t = 0; t < V; t++)
            pbound[t] = kmax[t] ? tau(w->e[t], de[t], zmin, dZk) + 0x1p-149 : 0;
    }
    double s_min_before = 0, s_max_upto = 0, sd_upto = 0;
    int32_t m_upto = 0;
    for (int32_t t = 0; t < V; t++) {
        if (!kmax[t])
            continue;
        double e = w->e[t];
        /* lower bound of C_{t-1}: kmin's mass before t over kmax's mass
         * from t on; upper bound of C_t: kmax's mass up to t over kmin's
         * mass after t. */
        double rest_max = zmax - s_max_upto;               /* kmax mass from t on */
        double lo = s_min_before / (s_min_before + rest_max);
        double lo_tau = tau(s_min_before + rest_max > 0 ? lo * zmin : 0, sd_upto + gamma_m(m_upto) * (s_max_upto + sd_upto), zmin, dZk);
        s_max_upto += e;
        sd_upto += de[t];
        m_upto++;
        double rest_min_after = zmin - (s_min_before + (kmin[t] ? e : 0));
        if (rest_min_after < 0)
            rest_min_after = 0;
        double hi = s_max_upto / (s_max_upto + rest_min_after);
        double dS = sd_upto + gamma_m(m_upto) * (s_max_upto + sd_upto);
        double hi_tau = tau(hi * zmin, dS, zmin, dZk);
        if (e > 0 && lo - lo_tau <= (double)u && (double)u < hi + hi_tau)
            admit[t] = 1;
        if (kmin[t])
            s_min_before += e;
    }
}
