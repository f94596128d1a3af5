/* The norm and softmax ops over rows (qref/norm.h), on top of the row
 * functions: load each row exactly into doubles, compute, store. */
#include <stdlib.h>

#include "qref/norm.h"

qref_status qref_norm_run(const qref_norm_params *p, int64_t rows, const void *x, const void *w, const void *b,
                          const void *residual, void *y, void *h, float *bound)
{
    if (!p || !x || !y || rows < 1 || p->n < 1 || (residual && !h) || !qref_rowop_dtype_ok(p->dtype) ||
        !qref_rowop_dtype_ok(p->out_dtype))
        return QREF_ERR_ARG;
    const int64_t n = p->n;
    double *buf = malloc(sizeof(double) * (size_t)n * 6);
    if (!buf)
        return QREF_ERR_ARG;
    double *xr = buf, *rr = xr + n, *wr = rr + n, *br = wr + n, *yr = br + n, *hr = yr + n;
    for (int64_t i = 0; i < n; i++) {
        wr[i] = w ? qref_rowop_load(p->dtype, w, i) : 1.0;
        br[i] = b ? qref_rowop_load(p->dtype, b, i) : 0.0;
    }
    qref_status st = QREF_OK;
    for (int64_t r = 0; r < rows && st == QREF_OK; r++) {
        for (int64_t i = 0; i < n; i++) {
            xr[i] = qref_rowop_load(p->dtype, x, r * n + i);
            if (residual)
                rr[i] = qref_rowop_load(p->dtype, residual, r * n + i);
        }
        st = qref_norm_row(p, xr, residual ? rr : NULL, w ? wr : NULL, b ? br : NULL, yr, hr,
                           bound ? bound + r * n : NULL);
        for (int64_t i = 0; st == QREF_OK && i < n; i++) {
            qref_rowop_store(p->out_dtype, y, r * n + i, yr[i]);
            if (residual)
                qref_rowop_store(p->dtype, h, r * n + i, hr[i]);
        }
    }
    free(buf);
    return st;
}

qref_status qref_softmax_run(const qref_softmax_params *p, int64_t rows, const void *x, void *y, float *bound)
{
    if (!p || !x || !y || rows < 1 || p->n < 1)
        return QREF_ERR_ARG;
    const int64_t n = p->n;
    double *xr = malloc(sizeof(double) * (size_t)n * 2);
    if (!xr)
        return QREF_ERR_ARG;
    double *yr = xr + n;
    qref_status st = QREF_OK;
    for (int64_t r = 0; r < rows && st == QREF_OK; r++) {
        for (int64_t i = 0; i < n; i++)
            xr[i] = qref_rowop_load(p->in_dtype, x, r * n + i);
        st = qref_softmax_row(p, xr, yr, bound ? bound + r * n : NULL);
        for (int64_t i = 0; st == QREF_OK && i < n; i++)
            qref_rowop_store(p->out_dtype, y, r * n + i, yr[i]);
    }
    free(xr);
    return st;
}
