/* mathx.c — exp, log, sin, cos, pow from IEEE basic operations (see
 * qref/mathx.h for why and for the accuracy each one has). Compiled with
 * -ffp-contract=off like all of ref/: the evaluation order written here is
 * the order executed, on every platform. Polynomials are Taylor series
 * (exact rational coefficients rounded once), long enough that truncation
 * stays below 2^-60 relative on the reduced interval. */
#include "qref/mathx.h"

#include <stdint.h>
#include <string.h>

static uint64_t bits_of(double x)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

static double from_bits(uint64_t b)
{
    double x;
    memcpy(&x, &b, sizeof x);
    return x;
}

#define QX_INF from_bits(0x7FF0000000000000ull)
#define QX_NAN from_bits(0x7FF8000000000000ull)

/* 2^k for -1022 <= k <= 1023, built from its bits. */
static double pow2i(int k)
{
    return from_bits((uint64_t)(k + 1023) << 52);
}

double qref_fabs(double x)
{
    return from_bits(bits_of(x) & 0x7FFFFFFFFFFFFFFFull);
}

double qref_rint(double x)
{
    if (!(qref_fabs(x) < 0x1p52))
        return x; /* already an integer, or inf / NaN */
    double s = x < 0 ? -0x1p52 : 0x1p52;
    double r = (x + s) - s; /* the add rounds to an integer, ties to even */
    if (r == 0)
        return from_bits(bits_of(x) & 0x8000000000000000ull); /* keep the sign of zero */
    return r;
}

double qref_floor(double x)
{
    double r = qref_rint(x);
    return r > x ? r - 1.0 : r;
}

double qref_sqrt(double x)
{
    /* An IEEE basic operation, correctly rounded; inline so no libm call
     * (and no errno path) is ever emitted. */
    double r;
#if defined(__x86_64__)
    __asm__("sqrtsd %1, %0" : "=x"(r) : "x"(x));
#elif defined(__aarch64__)
    __asm__("fsqrt %d0, %d1" : "=w"(r) : "w"(x));
#else
    r = __builtin_sqrt(x);
#endif
    return r;
}

/* ln 2 split: LN2_HI has 32 significant bits, so k * LN2_HI is exact for
 * |k| < 2^21 (fdlibm's split). */
static const double LN2_HI = 0x1.62e42feep-1;
static const double LN2_LO = 0x1.a39ef35793c76p-33;
static const double INV_LN2 = 0x1.71547652b82fep+0;

double qref_exp(double x)
{
    if (x != x)
        return x;
    if (x > 0x1.62e42fefa39efp+9) /* 709.78...: exp overflows */
        return QX_INF;
    if (x < -0x1.74910d52d3051p+9) /* -745.13...: below half the least subnormal */
        return 0.0;
    double kd = qref_rint(x * INV_LN2);
    int k = (int)kd;
    double hi = x - kd * LN2_HI; /* kd * LN2_HI is exact */
    double lo = kd * LN2_LO;
    double r = hi - lo;           /* |r| <= 0.3466 */
    /* exp(r) = 1 + r + r^2 * P(r), P(r) = sum_{n>=2} r^(n-2) / n!  (to r^15) */
    double p = 1.0 / 1307674368000.0;      /* 1/15! */
    p = 1.0 / 87178291200.0 + r * p;       /* 1/14! */
    p = 1.0 / 6227020800.0 + r * p;        /* 1/13! */
    p = 1.0 / 479001600.0 + r * p;
    p = 1.0 / 39916800.0 + r * p;
    p = 1.0 / 3628800.0 + r * p;
    p = 1.0 / 362880.0 + r * p;
    p = 1.0 / 40320.0 + r * p;
    p = 1.0 / 5040.0 + r * p;
    p = 1.0 / 720.0 + r * p;
    p = 1.0 / 120.0 + r * p;
    p = 1.0 / 24.0 + r * p;
    p = 1.0 / 6.0 + r * p;
    p = 0.5 + r * p;
    /* 1 + (hi - (lo - r^2 P)): hi and lo enter separately, so the rounding
     * of r = hi - lo costs nothing at the end. */
    double y = 1.0 + (hi - (lo - (r * r) * p));
    if (k > 1023)
        return (y * 2.0) * pow2i(1023);
    if (k >= -1021)
        return y * pow2i(k);
    /* Subnormal result: the first product is exact (normal), the second
     * rounds once. */
    return (y * pow2i(k + 600)) * pow2i(-600);
}

/* log(m) for m in [sqrt(1/2), sqrt(2)) as f - hfsq + s * (hfsq + R), with
 * f = m - 1, s = f / (2 + f), R = sum_{n>=1} 2 s^(2n) / (2n + 1) (fdlibm's
 * arrangement, Taylor coefficients to s^22). Returns the two parts that
 * qref_log adds to e * ln 2. */
static double log_core(double f)
{
    double s = f / (2.0 + f);
    double z = s * s;
    double R = 2.0 / 23.0;
    R = 2.0 / 21.0 + z * R;
    R = 2.0 / 19.0 + z * R;
    R = 2.0 / 17.0 + z * R;
    R = 2.0 / 15.0 + z * R;
    R = 2.0 / 13.0 + z * R;
    R = 2.0 / 11.0 + z * R;
    R = 2.0 / 9.0 + z * R;
    R = 2.0 / 7.0 + z * R;
    R = 2.0 / 5.0 + z * R;
    R = 2.0 / 3.0 + z * R;
    R = z * R;
    double hfsq = 0.5 * f * f;
    return s * (hfsq + R) - hfsq; /* log(1 + f) - f */
}

/* x = m * 2^e with m in [sqrt(1/2), sqrt(2)); x finite and > 0. */
static double split_log_arg(double x, int *e)
{
    int ex = 0;
    uint64_t b = bits_of(x);
    if ((b >> 52) == 0) { /* subnormal */
        x *= 0x1p54;
        b = bits_of(x);
        ex = -54;
    }
    ex += (int)(b >> 52) - 1023;
    double m = from_bits((b & 0x000FFFFFFFFFFFFFull) | 0x3FF0000000000000ull);
    if (m > 0x1.6a09e667f3bcdp+0) { /* sqrt(2) */
        m *= 0.5;
        ex += 1;
    }
    *e = ex;
    return m;
}

double qref_log(double x)
{
    if (x != x)
        return x;
    if (x < 0)
        return QX_NAN;
    if (x == 0)
        return -QX_INF;
    if (x == QX_INF)
        return x;
    int e;
    double m = split_log_arg(x, &e);
    double f = m - 1.0; /* exact */
    double c = log_core(f);
    double dk = (double)e;
    return dk * LN2_HI + ((c + dk * LN2_LO) + f);
}

/* Double-double helpers: exact sum and product error terms. */
static void two_sum(double a, double b, double *s, double *err)
{
    double t = a + b;
    double bb = t - a;
    *err = (a - (t - bb)) + (b - bb);
    *s = t;
}

/* a * b = p + err exactly, by Dekker's split (no FMA). */
static void two_prod(double a, double b, double *p, double *err)
{
    const double split = 134217729.0; /* 2^27 + 1 */
    double t = a * split, ahi = t - (t - a), alo = a - ahi;
    t = b * split;
    double bhi = t - (t - b), blo = b - bhi;
    *p = a * b;
    *err = ((ahi * bhi - *p) + ahi * blo + alo * bhi) + alo * blo;
}

double qref_pow(double x, double y)
{
    if (x != x || y != y)
        return (y == 0) ? 1.0 : QX_NAN;
    if (y == 0)
        return 1.0;
    if (x < 0)
        return QX_NAN;
    if (x == 0)
        return y > 0 ? 0.0 : QX_INF;
    if (x == QX_INF)
        return y > 0 ? QX_INF : 0.0;
    if (x == 1.0)
        return 1.0;
    /* ln x = e ln2 + f + c in double-double, then y * ln x likewise, then
     * exp(hi) * (1 + lo). */
    int e;
    double m = split_log_arg(x, &e);
    double f = m - 1.0;
    double c = log_core(f);
    double dk = (double)e;
    double lh, ll, t, te;
    two_sum(dk * LN2_HI, f, &lh, &ll);         /* both exact inputs */
    two_sum(lh, c + dk * LN2_LO, &t, &te);
    ll += te;
    lh = t;
    double ph, pl;
    two_prod(y, lh, &ph, &pl);
    pl += y * ll;
    double s, se;
    two_sum(ph, pl, &s, &se);
    if (s > 710.0)
        return QX_INF;
    if (s < -746.0)
        return 0.0;
    double r = qref_exp(s);
    return r + r * se; /* exp(s + se) ~ exp(s) (1 + se) */
}

/* pi/2 in seven pieces of at most 21 significant bits: k * piece is exact
 * for |k| < 2^32. Their sum matches pi/2 to about 2^-150. */
static const double PIO2[7] = {
    0x1.921fb00000000p+0,  0x1.5110b00000000p-22, 0x1.1846a00000000p-44, -0x1.d9ccf00000000p-66,
    0x1.1701c00000000p-88, -0x1.f197700000000p-110, 0x1.2049c00000000p-132,
};
static const double TWO_OVER_PI = 0x1.45f306dc9c883p-1;

/* x = k pi/2 + (r + rt), |r + rt| <= ~pi/4; returns k mod 4, or -1 when
 * |x| is too large for the reduction. */
static int reduce(double x, double *r, double *rt)
{
    if (qref_fabs(x) <= 0x1.921fb54442d18p-1) { /* pi/4 */
        *r = x;
        *rt = 0;
        return 0;
    }
    if (!(qref_fabs(x) <= 0x1p32))
        return -1;
    double kd = qref_rint(x * TWO_OVER_PI);
    double hi = x - kd * PIO2[0]; /* exact: x and kd * PIO2[0] are within a factor 2 */
    double lo = 0;
    for (int i = 1; i < 7; i++) {
        double s, err;
        two_sum(hi, -(kd * PIO2[i]), &s, &err);
        hi = s;
        lo += err;
    }
    double s, err;
    two_sum(hi, lo, &s, &err);
    *r = s;
    *rt = err;
    return (int)((int64_t)kd & 3);
}

/* sin(r + t) for |r| <= ~pi/4, t tiny: r + (r z S(z) + t (1 - z/2)). */
static double sin_core(double r, double t)
{
    double z = r * r;
    double S = -1.0 / 121645100408832000.0; /* -1/19! */
    S = 1.0 / 355687428096000.0 + z * S;    /* 1/17! */
    S = -1.0 / 1307674368000.0 + z * S;     /* -1/15! */
    S = 1.0 / 6227020800.0 + z * S;
    S = -1.0 / 39916800.0 + z * S;
    S = 1.0 / 362880.0 + z * S;
    S = -1.0 / 5040.0 + z * S;
    S = 1.0 / 120.0 + z * S;
    S = -1.0 / 6.0 + z * S;
    return r + ((r * z) * S + t * (1.0 - 0.5 * z));
}

/* cos(r + t): w = 1 - z/2 with its rounding error recovered exactly, then
 * the rest (fdlibm's trick). */
static double cos_core(double r, double t)
{
    double z = r * r;
    double C = 1.0 / 6402373705728000.0;  /* 1/18! */
    C = -1.0 / 20922789888000.0 + z * C;  /* -1/16! */
    C = 1.0 / 87178291200.0 + z * C;      /* 1/14! */
    C = -1.0 / 479001600.0 + z * C;
    C = 1.0 / 3628800.0 + z * C;
    C = -1.0 / 40320.0 + z * C;
    C = 1.0 / 720.0 + z * C;
    C = -1.0 / 24.0 + z * C; /* cos = 1 - z/2 - z^2 C' ... sign folded below */
    double hz = 0.5 * z;
    double w = 1.0 - hz;
    return w + (((1.0 - w) - hz) + ((z * z) * (-C) - r * t));
}

void qref_sincos(double x, double *s, double *c)
{
    double r, t;
    int q = reduce(x, &r, &t);
    if (q < 0 || x != x) {
        *s = *c = QX_NAN;
        return;
    }
    if (x == 0) { /* keeps the sign of zero: sin(-0) = -0 */
        *s = x;
        *c = 1.0;
        return;
    }
    double sr = sin_core(r, t), cr = cos_core(r, t);
    switch (q) {
    case 0: *s = sr; *c = cr; break;
    case 1: *s = cr; *c = -sr; break;
    case 2: *s = -sr; *c = -cr; break;
    default: *s = -cr; *c = sr; break;
    }
}

double qref_sin(double x)
{
    double s, c;
    qref_sincos(x, &s, &c);
    return s;
}

double qref_cos(double x)
{
    double s, c;
    qref_sincos(x, &s, &c);
    return c;
}

double qref_sigmoid(double x)
{
    if (x != x)
        return x;
    if (x >= 0)
        return 1.0 / (1.0 + qref_exp(-x));
    double e = qref_exp(x);
    return e / (1.0 + e);
}

double qref_silu(double x)
{
    return x * qref_sigmoid(x);
}
