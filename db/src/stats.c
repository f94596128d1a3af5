/* Summary statistics, bootstrap ratio intervals and the Mann-Whitney U test
 * (qcts/stats.h). */
#include "qcts/stats.h"

#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_d(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return a < b ? -1 : a > b;
}

static double *sorted_copy(const double *x, size_t n)
{
    double *v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return NULL;
    memcpy(v, x, n * sizeof *v);
    qsort(v, n, sizeof *v, cmp_d);
    return v;
}

static double q_sorted(const double *v, size_t n, double p)
{
    if (n == 0)
        return NAN;
    double h = (double)(n - 1) * p;
    size_t i = (size_t)floor(h);
    if (i + 1 >= n)
        return v[n - 1];
    return v[i] + (h - (double)i) * (v[i + 1] - v[i]);
}

double qcts_quantile(const double *x, size_t n, double p)
{
    double *v = sorted_copy(x, n);
    double r = v ? q_sorted(v, n, p) : NAN;
    free(v);
    return r;
}

double qcts_median(const double *x, size_t n) { return qcts_quantile(x, n, 0.5); }

double qcts_mad(const double *x, size_t n)
{
    if (n == 0)
        return NAN;
    double m = qcts_median(x, n);
    double *d = malloc(n * sizeof *d);
    if (!d)
        return NAN;
    for (size_t i = 0; i < n; i++)
        d[i] = fabs(x[i] - m);
    double r = qcts_median(d, n);
    free(d);
    return r;
}

void qcts_summarize(const double *x, size_t n, qcts_summary *s)
{
    s->n = n;
    s->min = s->max = s->median = s->mad = s->p90 = s->mean = s->sd = s->cv = NAN;
    double *v = n ? sorted_copy(x, n) : NULL;
    if (!v)
        return;
    s->min = v[0];
    s->max = v[n - 1];
    s->median = q_sorted(v, n, 0.5);
    s->p90 = q_sorted(v, n, 0.9);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += v[i];
    s->mean = sum / (double)n;
    double ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += (v[i] - s->mean) * (v[i] - s->mean);
    s->sd = n > 1 ? sqrt(ss / (double)(n - 1)) : 0.0;
    s->cv = s->mean != 0 ? s->sd / s->mean : NAN;
    for (size_t i = 0; i < n; i++)
        v[i] = fabs(v[i] - s->median);
    qsort(v, n, sizeof *v, cmp_d);
    s->mad = q_sorted(v, n, 0.5);
    free(v);
}

int qcts_bootstrap_ratio_ci(const double *a, size_t na, const double *b, size_t nb, int reps, double level,
                            uint64_t seed, double *lo, double *hi)
{
    *lo = *hi = NAN;
    if (na == 0 || nb == 0 || reps < 2)
        return -1;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    double *ra = malloc(na * sizeof *ra), *rb = malloc(nb * sizeof *rb), *ratio = malloc((size_t)reps * sizeof *ratio);
    int rc = -1;
    if (!r || !ra || !rb || !ratio)
        goto out;
    gsl_rng_set(r, (unsigned long)seed);
    int k = 0;
    for (int i = 0; i < reps; i++) {
        for (size_t j = 0; j < na; j++)
            ra[j] = a[gsl_rng_uniform_int(r, na)];
        for (size_t j = 0; j < nb; j++)
            rb[j] = b[gsl_rng_uniform_int(r, nb)];
        double ma = qcts_median(ra, na), mb = qcts_median(rb, nb);
        if (ma > 0 && isfinite(mb))
            ratio[k++] = mb / ma;
    }
    if (k >= 2) {
        qsort(ratio, (size_t)k, sizeof *ratio, cmp_d);
        *lo = q_sorted(ratio, (size_t)k, (1 - level) / 2);
        *hi = q_sorted(ratio, (size_t)k, (1 + level) / 2);
        rc = 0;
    }
out:
    gsl_rng_free(r);
    free(ra);
    free(rb);
    free(ratio);
    return rc;
}

/* P(U <= u) under the null for sizes m, n without ties: f(m, n, u), the
 * number of orderings with U = u, from f(m, n, u) = f(m-1, n, u-n) +
 * f(m, n-1, u), divided by C(m+n, m). Counts stay below 2^53 for m+n <= 50. */
static double exact_cdf(size_t m, size_t n, double u)
{
    size_t umax = m * n, W = umax + 1;
    double *f = calloc((m + 1) * (n + 1) * W, sizeof *f);
    if (!f)
        return NAN;
#define F(i, j, k) f[((i) * (n + 1) + (j)) * W + (k)]
    for (size_t i = 0; i <= m; i++)
        for (size_t j = 0; j <= n; j++) {
            if (i == 0 || j == 0) {
                F(i, j, 0) = 1;
                continue;
            }
            for (size_t k = 0; k <= i * j; k++) {
                double v = F(i, j - 1, k);
                if (k >= j)
                    v += F(i - 1, j, k - j);
                F(i, j, k) = v;
            }
        }
    double tot = 0, le = 0;
    for (size_t k = 0; k <= umax; k++) {
        tot += F(m, n, k);
        if ((double)k <= u + 1e-9)
            le += F(m, n, k);
    }
#undef F
    free(f);
    return le / tot;
}

/* Exact two-sided p with ties: the rank sum of a random na-subset of the
 * pooled (doubled, so integer) mid-ranks r2[0..n-1], counted by dynamic
 * programming over (subset size, sum); p = P(|S - E S| >= |s_obs - E S|).
 * Counts stay below 2^53 for n <= 50. */
static double exact_ties_p(const int *r2, size_t n, size_t na, long obs2)
{
    long total = 0;
    for (size_t i = 0; i < n; i++)
        total += r2[i];
    size_t W = (size_t)total + 1;
    double *f = calloc((na + 1) * W, sizeof *f);
    if (!f)
        return NAN;
    f[0] = 1;
    for (size_t i = 0; i < n; i++)
        for (size_t k = (i + 1 < na ? i + 1 : na); k >= 1; k--)
            for (size_t s = W; s-- > (size_t)r2[i];)
                f[k * W + s] += f[(k - 1) * W + s - (size_t)r2[i]];
    double mean2 = (double)total * (double)na / (double)n, dev = fabs((double)obs2 - mean2) - 1e-9;
    double all = 0, tail = 0;
    for (size_t s = 0; s < W; s++) {
        double c = f[na * W + s];
        all += c;
        if (fabs((double)s - mean2) >= dev)
            tail += c;
    }
    free(f);
    return all > 0 ? fmin(1.0, tail / all) : NAN;
}

typedef struct tagged {
    double v;
    int from_a;
} tagged;

static int cmp_tag(const void *pa, const void *pb)
{
    return cmp_d(&((const tagged *)pa)->v, &((const tagged *)pb)->v);
}

int qcts_mann_whitney(const double *a, size_t na, const double *b, size_t nb, qcts_mwu *out)
{
    memset(out, 0, sizeof *out);
    out->p = NAN;
    if (na == 0 || nb == 0)
        return -1;
    size_t n = na + nb;
    tagged *t = malloc(n * sizeof *t);
    if (!t)
        return -1;
    for (size_t i = 0; i < na; i++)
        t[i] = (tagged){ a[i], 1 };
    for (size_t i = 0; i < nb; i++)
        t[na + i] = (tagged){ b[i], 0 };
    qsort(t, n, sizeof *t, cmp_tag);
    double ra = 0, tie = 0;
    int ties = 0;
    int *r2 = malloc(n * sizeof *r2);
    if (!r2) {
        free(t);
        return -1;
    }
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && t[j + 1].v == t[i].v)
            j++;
        double rank = 0.5 * (double)(i + j) + 1.0, cnt = (double)(j - i + 1);
        if (cnt > 1) {
            ties = 1;
            tie += cnt * cnt * cnt - cnt;
        }
        for (size_t k = i; k <= j; k++) {
            r2[k] = (int)(i + j + 2);   /* 2 x the mid-rank */
            if (t[k].from_a)
                ra += rank;
        }
        i = j + 1;
    }
    long obs2 = 0;
    for (size_t k = 0; k < n; k++)
        if (t[k].from_a)
            obs2 += r2[k];
    free(t);
    double dna = (double)na, dnb = (double)nb, dn = (double)n;
    out->u_a = ra - dna * (dna + 1) / 2;
    out->u_b = dna * dnb - out->u_a;
    out->u = fmin(out->u_a, out->u_b);
    double var = dna * dnb / 12.0 * ((dn + 1) - tie / (dn * (dn - 1)));
    double dev = fabs(out->u_a - dna * dnb / 2);
    out->z = var > 0 ? fmax(dev - 0.5, 0) / sqrt(var) : 0;
    if (!ties && n <= 50) {
        out->exact = 1;
        out->p = fmin(1.0, 2 * exact_cdf(na, nb, out->u));
    } else if (n <= 50) {
        out->exact = 1;
        out->p = exact_ties_p(r2, n, na, obs2);
    } else {
        out->p = var > 0 ? fmin(1.0, erfc(out->z / sqrt(2.0))) : 1.0;
    }
    free(r2);
    return 0;
}
