/* The Hadamard op's reference and its check bound (qref/hadamard.h). */
#include "qref/hadamard.h"

#include <string.h>

/* 2^-e for 0 <= e <= 1022, from the bits (no libm). */
static double pow2_neg(int e)
{
    uint64_t u = (uint64_t)(1023 - e) << 52;
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

double qref_hadamard_scale(size_t n, int normalized, int inverse)
{
    int k = qref_wht_log2(n);
    if (k < 0)
        return 0;
    if (!normalized)
        return inverse ? pow2_neg(k) : 1.0;
    /* 1/sqrt(2) rounded to double, as qref_wht_f64 */
    static const double inv_sqrt2 = 0x1.6a09e667f3bcdp-1;
    double p = pow2_neg(k / 2);
    return (k & 1) ? p * inv_sqrt2 : p;   /* a power of two times c: exact */
}

qref_status qref_hadamard_f64(double *x, size_t n, int normalized, int inverse)
{
    if (!x)
        return QREF_ERR_ARG;
    if (qref_wht_log2(n) < 0)
        return QREF_ERR_SIZE;
    if (normalized)
        return qref_wht_f64(x, n);   /* the same bits as the rotation codec uses */
    for (size_t h = 1; h < n; h <<= 1)
        for (size_t i = 0; i < n; i++) {
            if (i & h)
                continue;
            double a = x[i], b = x[i + h];
            x[i] = a + b;
            x[i + h] = a - b;
        }
    if (inverse) {
        double s = qref_hadamard_scale(n, 0, 1);
        for (size_t i = 0; i < n; i++)
            x[i] *= s;
    }
    return QREF_OK;
}

double qref_hadamard_bound(size_t n, int normalized, int inverse, double abs_sum, double y_ref, qref_had_out out)
{
    int k = qref_wht_log2(n);
    if (k < 0)
        return 0;
    double ay = y_ref < 0 ? -y_ref : y_ref;
    if (!(abs_sum <= 1e300) || !(ay <= 1e300))   /* non-finite: compared exactly */
        return 1.0 / 0.0;
    double uo, eta;
    switch (out) {
    case QREF_HAD_OUT_F16: uo = 0x1p-11; eta = 0x1p-24; break;
    case QREF_HAD_OUT_BF16: uo = 0x1p-8; eta = 0x1p-133; break;
    default: uo = 0x1p-24; eta = 0x1p-149; break;
    }
    /* k additions per path, the scaling (a rounded constant and one
     * product: 2 more) and 1 for the double reference's own error. */
    const double u = 0x1p-24;
    double m = (double)(k + 3);
    double gamma = m * u / (1.0 - m * u);
    double s = normalized ? qref_hadamard_scale(n, 1, inverse) * (1.0 + 0x1p-52) : qref_hadamard_scale(n, 0, inverse);
    /* eta twice: the output's rounding, and float32 underflow in the
     * scaling product (2^-149 <= eta for every output dtype). */
    return (1.0 + uo) * gamma * s * abs_sum + 2.0 * uo * ay + 2.0 * eta;
}
