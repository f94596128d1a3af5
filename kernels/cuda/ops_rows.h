/* kernels/cuda/ops_rows.h — the arithmetic of the cuda backend's ABI 2 row
 * ops (norm, softmax), one row per call, for host and device alike
 * (QCU_HD): ops.cu runs them one GPU thread per row; the CPU test plugin
 * (tools/ops_host_plugin.c) runs the very same functions on the host, so
 * `make test` checks their numerics against the golden set on machines
 * without a GPU. Plain C (no templates, no references): the plugin is C.
 *
 * Numerics: float32 throughout (the bounds of qref/norm.h are derived for
 * float32 kernels: any summation order, sqrt and exp within a few ulps),
 * one rounding to the output dtype at the end. No FMA is written, none may
 * be contracted (nvcc --fmad=false; the host plugin -ffp-contract=off). */
#ifndef QCTS_KERNELS_CUDA_OPS_ROWS_H
#define QCTS_KERNELS_CUDA_OPS_ROWS_H

#include "kernels/cuda/qcu.h"
#include "qcts/backend.h"

/* Element i of an F32/F16/BF16 buffer (qcts_dtype 0/1/2) as float32, exactly. */
QCU_HD float qcu_ld(int dt, const void *p, int64_t i)
{
    if (dt == 0)
        return ((const float *)p)[i];
    uint16_t h = ((const uint16_t *)p)[i];
    if (dt == 2)
        return qcu_u2f((uint32_t)h << 16);
    uint8_t b[2] = { (uint8_t)(h & 255u), (uint8_t)(h >> 8) };
    return (float)qcu_f16(b);
}

/* v rounded once (RNE) to dt, stored at element i. */
QCU_HD void qcu_st(int dt, void *p, int64_t i, float v)
{
    if (dt == 0)
        ((float *)p)[i] = v;
    else if (dt == 1)
        ((uint16_t *)p)[i] = qcu_f32_to_f16(v);
    else
        ((uint16_t *)p)[i] = qcu_f32_to_bf16(v);
}

/* v rounded once to dt, as float32 (f32: v itself). */
QCU_HD float qcu_round_dt(int dt, float v)
{
    uint16_t h;
    if (dt == 0)
        return v;
    if (dt == 2)
        return qcu_u2f((uint32_t)qcu_f32_to_bf16(v) << 16);
    h = qcu_f32_to_f16(v);
    {
        uint8_t b[2] = { (uint8_t)(h & 255u), (uint8_t)(h >> 8) };
        return (float)qcu_f16(b);
    }
}

/* h_i of a norm row: x, or RN_dtype(x + r) (f32 sum, then one rounding:
 * the exact sum rounded once, as qref/norm.h says). */
QCU_HD float qcu_norm_h(const qcts_norm_desc *d, const void *x, const void *r, int64_t i)
{
    float v = qcu_ld(d->dtype, x, i);
    return r ? qcu_round_dt(d->dtype, v + qcu_ld(d->dtype, r, i)) : v;
}

/* One row of NORM (qcts/op_norm.h): three passes over the row (h written
 * to out h when there is a residual, then mean, variance, output). */
QCU_HD void qcu_norm_row(const qcts_norm_desc *d, int64_t row, const void *x, const void *w, const void *b,
                         const void *r, void *y, void *h)
{
    const int64_t n = d->n, o = row * n;
    const float nf = (float)n;
    float mu = 0.0f, v = 0.0f, rs;
    int64_t i;
    const void *xr = x, *rr = r;
    /* offset views of the row: element o + i */
    if (d->kind == QCTS_NORM_LAYER) {
        for (i = 0; i < n; i++)
            mu += qcu_norm_h(d, xr, rr, o + i);
        mu = mu / nf;
    }
    for (i = 0; i < n; i++) {
        float t = qcu_norm_h(d, xr, rr, o + i) - mu;
        v += t * t;
    }
    rs = 1.0f / sqrtf(v / nf + (float)d->eps);
    for (i = 0; i < n; i++) {
        float hv = qcu_norm_h(d, xr, rr, o + i), t = (hv - mu) * rs;
        if (d->has_weight)
            t = t * qcu_ld(d->dtype, w, i);
        if (d->has_bias)
            t = t + qcu_ld(d->dtype, b, i);
        qcu_st(d->out_dtype, y, o + i, t);
        if (r && h)
            qcu_st(d->dtype, h, o + i, hv);   /* exact: hv is already in dtype */
    }
}

/* One row of SOFTMAX: m = max (a NaN, +inf or an all -inf row gives NaN
 * everywhere), e_i = exp((x_i - m) / T), y_i = e_i / sum e. */
QCU_HD void qcu_softmax_row(const qcts_softmax_desc *d, int64_t row, const void *x, void *y)
{
    const int64_t n = d->n, o = row * n;
    const float T = (float)d->temperature;
    float m = qcu_ld(d->in_dtype, x, o), s = 0.0f;
    int bad = 0;
    int64_t i;
    for (i = 0; i < n; i++) {
        float v = qcu_ld(d->in_dtype, x, o + i);
        if (v != v)
            bad = 1;
        else if (v > m)
            m = v;
    }
    if (bad || m == INFINITY || m == -INFINITY) {
        for (i = 0; i < n; i++)
            qcu_st(d->out_dtype, y, o + i, NAN);
        return;
    }
    for (i = 0; i < n; i++) {
        float v = qcu_ld(d->in_dtype, x, o + i);
        s += v == -INFINITY ? 0.0f : expf((v - m) / T);
    }
    for (i = 0; i < n; i++) {
        float v = qcu_ld(d->in_dtype, x, o + i);
        float e = v == -INFINITY ? 0.0f : expf((v - m) / T);
        qcu_st(d->out_dtype, y, o + i, e / s);
    }
}

#endif
