/* The normalised Walsh–Hadamard transform (qref/hadamard.h). */
#include "qref/hadamard.h"

#include <string.h>

int qref_wht_log2(size_t n)
{
    if (n == 0 || n > QREF_WHT_MAX_N || (n & (n - 1)))
        return -1;
    int k = 0;
    while (((size_t)1 << k) < n)
        k++;
    return k;
}

/* 2^-e for 0 <= e <= 1022, from the bits (no libm). */
static double pow2_neg(int e)
{
    uint64_t u = (uint64_t)(1023 - e) << 52;
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static void butterfly_scale(double *x, size_t n, int k)
{
    for (size_t h = 1; h < n; h <<= 1) {
        for (size_t i = 0; i < n; i++) {
            if (i & h)
                continue;
            double a = x[i], b = x[i + h];
            x[i] = a + b;
            x[i + h] = a - b;
        }
    }
    /* 1/sqrt(2) rounded to double: 0x3FE6A09E667F3BCD */
    static const double inv_sqrt2 = 0x1.6a09e667f3bcdp-1;
    double p = pow2_neg(k / 2);
    for (size_t i = 0; i < n; i++) {
        double v = x[i] * p;
        x[i] = (k & 1) ? v * inv_sqrt2 : v;
    }
}

qref_status qref_wht_f64(double *x, size_t n)
{
    if (!x)
        return QREF_ERR_ARG;
    int k = qref_wht_log2(n);
    if (k < 0)
        return QREF_ERR_SIZE;
    butterfly_scale(x, n, k);
    return QREF_OK;
}

qref_status qref_wht_f32(float *x, size_t n)
{
    if (!x)
        return QREF_ERR_ARG;
    int k = qref_wht_log2(n);
    if (k < 0)
        return QREF_ERR_SIZE;
    double t[QREF_WHT_MAX_N];
    for (size_t i = 0; i < n; i++)
        t[i] = x[i];
    butterfly_scale(t, n, k);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)t[i];   /* one rounding, RNE (the default mode; SSE2/NEON, no x87) */
    return QREF_OK;
}

qref_status qref_wht_rows(float *w, int64_t rows, int64_t cols, int64_t block)
{
    if (!w)
        return QREF_ERR_ARG;
    if (block <= 0 || qref_wht_log2((size_t)block) < 0 || rows < 0 || cols <= 0 || cols % block)
        return QREF_ERR_SIZE;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < cols; c += block)
            qref_wht_f32(w + r * cols + c, (size_t)block);
    return QREF_OK;
}
