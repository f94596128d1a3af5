/* NEON RMSNorm / LayerNorm (with a fused residual add) and softmax with
 * temperature (qcts/op_norm.h): the algorithms of avx2/norm.c and
 * avx2/softmax.c on 4-lane float32 vectors.
 *
 * Rows are widened to float32 in per-thread scratch by the NEON
 * conversions (exact) and results narrowed by them (one RNE rounding, NaN
 * as qref), so the arithmetic is all float32:
 *   norm     h = x (+ r, rounded once to the activation dtype and stored as
 *            the residual output); sums in four 4-lane accumulators (16
 *            partial sums, added in a fixed tree), LayerNorm in two passes
 *            (mean, then sum (h - mu)^2); 1 / sqrt(mean + eps) once per row;
 *            y = ((h - mu) * rs) * w + b.
 *   softmax  the maximum (a row with a NaN or an infinite maximum is NaN,
 *            as IEEE gives in every order); e = exp((x - m) / T) with the
 *            Cephes-style float32 exp of avx2/softmax.c (Cody-Waite by ln 2,
 *            degree-6 polynomial, 2^n in two factors; below 2^-126 it may
 *            flush, which the bound allows), summed in four accumulators;
 *            y = e * (1 / sum).
 * Every row's order depends only on n, never on the thread split. */
#include <string.h>

#include "kernels/simd/neon/common.h"
#include "kernels/simd/neon/rowops.h"

static void load_row(int dt, const void *p, int64_t off, int64_t n, float *dst)
{
    if (dt == QCTS_DT_F32)
        memcpy(dst, (const float *)p + off, sizeof(float) * (size_t)n);
    else if (dt == QCTS_DT_F16)
        qcts_convert__neon.f16_to_f32((const uint16_t *)p + off, dst, n);
    else
        qcts_convert__neon.bf16_to_f32((const uint16_t *)p + off, dst, n);
}

static void store_row(int dt, void *p, int64_t off, int64_t n, const float *src)
{
    if (dt == QCTS_DT_F32)
        memcpy((float *)p + off, src, sizeof(float) * (size_t)n);
    else if (dt == QCTS_DT_F16)
        qcts_convert__neon.f32_to_f16(src, (uint16_t *)p + off, n);
    else
        qcts_convert__neon.f32_to_bf16(src, (uint16_t *)p + off, n);
}

/* Lanes added as (l0 + l1) + (l2 + l3). */
QCTS_NEON_INLINE float hsum4(float32x4_t v)
{
    float32x2_t p = vadd_f32(vget_low_f32(v), vget_high_f32(v));   /* l0+l2, l1+l3 */
    return vget_lane_f32(p, 0) + vget_lane_f32(p, 1);
}

/* sum f(h_j): f = h (sq 0) or (h - mu)^2 (sq 1). */
static float row_sum(const float *h, int64_t n, float mu, int sq)
{
    float32x4_t acc[4] = { vdupq_n_f32(0.0f), vdupq_n_f32(0.0f), vdupq_n_f32(0.0f), vdupq_n_f32(0.0f) };
    const float32x4_t m = vdupq_n_f32(mu);
    int64_t j = 0;
    for (; j + 16 <= n; j += 16)
        for (int k = 0; k < 4; k++) {
            float32x4_t v = vld1q_f32(h + j + 4 * k);
            if (sq) {
                v = vsubq_f32(v, m);
                acc[k] = vfmaq_f32(acc[k], v, v);
            } else {
                acc[k] = vaddq_f32(acc[k], v);
            }
        }
    for (; j + 4 <= n; j += 4) {
        float32x4_t v = vld1q_f32(h + j);
        if (sq) {
            v = vsubq_f32(v, m);
            acc[0] = vfmaq_f32(acc[0], v, v);
        } else {
            acc[0] = vaddq_f32(acc[0], v);
        }
    }
    float s = hsum4(vaddq_f32(vaddq_f32(acc[0], acc[1]), vaddq_f32(acc[2], acc[3])));
    for (; j < n; j++) {
        float v = sq ? h[j] - mu : h[j];
        s = sq ? __builtin_fmaf(v, v, s) : s + v;
    }
    return s;
}

void qcts_norm_rows__neon(const qcts_norm_desc *d, const qcts_buffers *b, int64_t r0, int64_t r1, float *scratch)
{
    const int64_t n = d->n, stride = n + 16;
    const int dt = d->dtype, ot = d->out_dtype;
    float *h = scratch, *t = scratch + stride, *w = d->has_weight ? scratch + 2 * stride : NULL,
          *bias = d->has_bias ? scratch + 3 * stride : NULL;
    if (w)
        load_row(dt, b->in[1], 0, n, w);
    if (bias)
        load_row(dt, b->in[2], 0, n, bias);
    for (int64_t r = r0; r < r1; r++) {
        const int64_t o = r * n;
        load_row(dt, b->in[0], o, n, h);
        if (d->has_residual) {   /* h = x + r, rounded once to dt; those bits are the residual output */
            load_row(dt, b->in[3], o, n, t);
            int64_t j = 0;
            for (; j + 4 <= n; j += 4)
                vst1q_f32(h + j, vaddq_f32(vld1q_f32(h + j), vld1q_f32(t + j)));
            for (; j < n; j++)
                h[j] += t[j];
            store_row(dt, b->out[1], o, n, h);
            if (dt != QCTS_DT_F32)
                load_row(dt, b->out[1], o, n, h);
        }
        const float mu = d->kind == QCTS_NORM_LAYER ? row_sum(h, n, 0.0f, 0) / (float)n : 0.0f;
        const float var = row_sum(h, n, mu, 1) / (float)n;
        const float rs = 1.0f / __builtin_sqrtf(var + (float)d->eps);
        const float32x4_t M = vdupq_n_f32(mu), RS = vdupq_n_f32(rs);
        int64_t j = 0;
        for (; j + 4 <= n; j += 4) {
            float32x4_t y = vmulq_f32(vsubq_f32(vld1q_f32(h + j), M), RS);
            if (w)
                y = vmulq_f32(y, vld1q_f32(w + j));
            if (bias)
                y = vaddq_f32(y, vld1q_f32(bias + j));
            vst1q_f32(t + j, y);
        }
        for (; j < n; j++) {
            float y = (h[j] - mu) * rs;
            if (w)
                y *= w[j];
            if (bias)
                y += bias[j];
            t[j] = y;
        }
        store_row(ot, b->out[0], o, n, t);
    }
}

QCTS_NEON_INLINE float32x4_t exp4(float32x4_t t)
{
    t = vmaxq_f32(t, vdupq_n_f32(-88.0f));   /* t <= 0 here; -inf -> -88 -> 0 */
    const float32x4_t n = vrndnq_f32(vmulq_f32(t, vdupq_n_f32(1.44269504088896341f)));
    float32x4_t r = vfmsq_f32(t, n, vdupq_n_f32(0.693359375f));
    r = vfmsq_f32(r, n, vdupq_n_f32(-2.12194440e-4f));
    float32x4_t p = vdupq_n_f32(1.9875691500E-4f);
    p = vfmaq_f32(vdupq_n_f32(1.3981999507E-3f), p, r);
    p = vfmaq_f32(vdupq_n_f32(8.3334519073E-3f), p, r);
    p = vfmaq_f32(vdupq_n_f32(4.1665795894E-2f), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.6666665459E-1f), p, r);
    p = vfmaq_f32(vdupq_n_f32(5.0000001201E-1f), p, r);
    const float32x4_t y = vaddq_f32(vfmaq_f32(r, vmulq_f32(p, r), r), vdupq_n_f32(1.0f));
    /* 2^n as two factors so that n = -127 .. -126 still scales gradually */
    const int32x4_t ni = vcvtnq_s32_f32(n);
    const int32x4_t h1 = vshrq_n_s32(ni, 1), h2 = vsubq_s32(ni, h1);
    const float32x4_t s1 = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(h1, vdupq_n_s32(127)), 23));
    const float32x4_t s2 = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(h2, vdupq_n_s32(127)), 23));
    return vmulq_f32(vmulq_f32(y, s1), s2);
}

void qcts_softmax_rows__neon(const qcts_softmax_desc *d, const qcts_buffers *b, int64_t r0, int64_t r1,
                             float *scratch)
{
    const int64_t n = d->n;
    const int it = d->in_dtype, ot = d->out_dtype;
    const float invT = (float)(1.0 / d->temperature);
    float *x = scratch, *e = scratch + n + 16;
    for (int64_t r = r0; r < r1; r++) {
        const int64_t o = r * n;
        load_row(it, b->in[0], o, n, x);
        float32x4_t mx = vdupq_n_f32(-__builtin_inff());
        uint32x4_t bad = vdupq_n_u32(0);
        int64_t j = 0;
        for (; j + 4 <= n; j += 4) {
            const float32x4_t v = vld1q_f32(x + j);
            bad = vorrq_u32(bad, vmvnq_u32(vceqq_f32(v, v)));
            mx = vmaxq_f32(mx, v);
        }
        int nan = vmaxvq_u32(bad) != 0;
        float m = nan ? 0.0f : vmaxvq_f32(mx);
        for (; j < n; j++) {
            nan |= x[j] != x[j];
            m = x[j] > m ? x[j] : m;
        }
        if (nan || m == __builtin_inff() || m == -__builtin_inff()) {
            for (j = 0; j < n; j++)
                e[j] = __builtin_nanf("");
            store_row(ot, b->out[0], o, n, e);
            continue;
        }
        const float32x4_t M = vdupq_n_f32(m), IT = vdupq_n_f32(invT);
        float32x4_t acc[4] = { vdupq_n_f32(0.0f), vdupq_n_f32(0.0f), vdupq_n_f32(0.0f), vdupq_n_f32(0.0f) };
        for (j = 0; j + 16 <= n; j += 16)
            for (int k = 0; k < 4; k++) {
                const float32x4_t v = exp4(vmulq_f32(vsubq_f32(vld1q_f32(x + j + 4 * k), M), IT));
                vst1q_f32(e + j + 4 * k, v);
                acc[k] = vaddq_f32(acc[k], v);
            }
        for (; j + 4 <= n; j += 4) {
            const float32x4_t v = exp4(vmulq_f32(vsubq_f32(vld1q_f32(x + j), M), IT));
            vst1q_f32(e + j, v);
            acc[0] = vaddq_f32(acc[0], v);
        }
        float s = hsum4(vaddq_f32(vaddq_f32(acc[0], acc[1]), vaddq_f32(acc[2], acc[3])));
        for (; j < n; j++) {
            e[j] = vgetq_lane_f32(exp4(vdupq_n_f32((x[j] - m) * invT)), 0);
            s += e[j];
        }
        const float32x4_t RC = vdupq_n_f32(1.0f / s);
        for (j = 0; j + 4 <= n; j += 4)
            vst1q_f32(e + j, vmulq_f32(vld1q_f32(e + j), RC));
        for (; j < n; j++)
            e[j] *= vgetq_lane_f32(RC, 0);
        store_row(ot, b->out[0], o, n, e);
    }
}
