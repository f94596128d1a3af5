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

#include <stdio.h>

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


/* ---- RoPE (qcts/op_rope.h) --------------------------------------------------
 * Frequencies and the attention factor A in double on the host (prepare),
 * then float32 (qref/rope.h's formulas; one rounding each: within the
 * k_theta u of the bound). On the device, per element pair: theta =
 * fl(pos f_i), c = fl(A cosf(theta)), s = fl(A sinf(theta)) (cosf/sinf
 * within 2 ulps), a' = a c - b s, b' = a s + b c (two products and a sum),
 * one rounding to the output dtype. Work items: CACHE one per token; APPLY
 * and MLA_LATENT one per (token, q head or k head); MLA_SPLIT_FUSED one
 * per (token, head, q or k). */
#define QCU_PI_D 3.141592653589793115997963468544185161590576171875

#ifndef __CUDA_ARCH__
static inline double qcu_yarn_cd(const qcts_rope_desc *d, double b)
{
    return (double)d->rot_dim * log(d->orig_ctx / (b * 2.0 * QCU_PI_D)) / (2.0 * log(d->theta));
}
static inline double qcu_yarn_g(double s, double m) { return s <= 1.0 ? 1.0 : 0.1 * m * log(s) + 1.0; }

/* f[rot_dim / 2] and *A, float32. */
static inline void qcu_rope_freqs(const qcts_rope_desc *d, float *f, float *A)
{
    const int half = d->rot_dim / 2;
    double a = 1.0, low = 0, high = 0;
    if (d->scaling == QCTS_ROPE_SCALE_YARN) {
        low = floor(qcu_yarn_cd(d, d->beta_fast));
        high = ceil(qcu_yarn_cd(d, d->beta_slow));
        if (low < 0)
            low = 0;
        if (high > d->rot_dim - 1)
            high = d->rot_dim - 1;
        if (high == low)
            high += 0.001;
        a = d->mscale_all_dim > 0 ? qcu_yarn_g(d->factor, d->mscale) / qcu_yarn_g(d->factor, d->mscale_all_dim)
                                  : qcu_yarn_g(d->factor, 1.0);
    }
    for (int i = 0; i < half; i++) {
        double fi = pow(d->theta, -(double)(2 * i) / (double)d->rot_dim);
        if (d->scaling == QCTS_ROPE_SCALE_LINEAR) {
            fi = fi / d->factor;
        } else if (d->scaling == QCTS_ROPE_SCALE_YARN) {
            double ramp = ((double)i - low) / (high - low);
            ramp = ramp < 0 ? 0 : ramp > 1 ? 1 : ramp;
            fi = fi / d->factor * ramp + fi * (1.0 - ramp);
        } else if (d->scaling == QCTS_ROPE_SCALE_LLAMA3) {
            double wl = 2.0 * QCU_PI_D / fi;
            double wl_lo = d->orig_ctx / d->low_freq_factor, wl_hi = d->orig_ctx / d->high_freq_factor;
            if (wl < wl_hi) {
            } else if (wl > wl_lo) {
                fi = fi / d->factor;
            } else {
                double sm = (d->orig_ctx / wl - d->low_freq_factor) / (d->high_freq_factor - d->low_freq_factor);
                fi = (1.0 - sm) * fi / d->factor + sm * fi;
            }
        }
        f[i] = (float)fi;
    }
    if (d->attn_factor > 0)
        a = d->attn_factor;
    *A = (float)a;
}
#endif

/* Work items of a rope call. */
QCU_HD int64_t qcu_rope_items(const qcts_rope_desc *d)
{
    if (d->mode == QCTS_ROPE_CACHE)
        return d->tokens;
    if (d->mode == QCTS_ROPE_MLA_SPLIT_FUSED)
        return d->tokens * d->q_heads * 2;
    return d->tokens * (int64_t)(d->q_heads + d->k_heads);
}

QCU_HD void qcu_rope_cs(float f, float A, int32_t pos, float *c, float *s)
{
    float th = (float)pos * f;
    *c = A * cosf(th);
    *s = A * sinf(th);
}

/* D dims of src (element sbase) to dst (dbase): pass-through outside
 * [off, off + R), the rotation inside. */
QCU_HD void qcu_rope_head(const qcts_rope_desc *d, const float *f, float A, int32_t pos, const void *src,
                          int64_t sbase, void *dst, int64_t dbase, int D, int off)
{
    const int R = d->rot_dim, half = R / 2;
    int j;
    for (j = 0; j < D; j++)
        if (j < off || j >= off + R)
            qcu_st(d->out_dtype, dst, dbase + j, qcu_ld(d->in_dtype, src, sbase + j));
    for (j = 0; j < half; j++) {
        int ia = d->layout == QCTS_ROPE_GPTJ ? 2 * j : j, ib = d->layout == QCTS_ROPE_GPTJ ? 2 * j + 1 : j + half;
        float c, s, a = qcu_ld(d->in_dtype, src, sbase + off + ia), b = qcu_ld(d->in_dtype, src, sbase + off + ib);
        qcu_rope_cs(f[j], A, pos, &c, &s);
        qcu_st(d->out_dtype, dst, dbase + off + ia, a * c - b * s);
        qcu_st(d->out_dtype, dst, dbase + off + ib, a * s + b * c);
    }
}

/* Work item it: in[0..4], out[0..1] as qcts/op_rope.h. */
QCU_HD void qcu_rope_item(const qcts_rope_desc *d, const float *f, float A, int64_t it, const void *const *in,
                          void *const *out)
{
    const int32_t *pos = (const int32_t *)in[0];
    const int R = d->rot_dim, half = R / 2;
    if (d->mode == QCTS_ROPE_CACHE) {
        int64_t t = it;
        for (int i = 0; i < half; i++) {
            float c, s;
            qcu_rope_cs(f[i], A, pos[t], &c, &s);
            qcu_st(d->out_dtype, out[0], t * half + i, c);
            qcu_st(d->out_dtype, out[1], t * half + i, s);
        }
        return;
    }
    if (d->mode == QCTS_ROPE_MLA_SPLIT_FUSED) {
        const int H = d->q_heads, D = d->q_dim, nope = D - R;
        int64_t t = it / (2 * H), h = (it / 2) % H, o = (t * H + h) * (int64_t)D, bn = (t * H + h) * (int64_t)nope;
        int isk = (int)(it & 1);
        for (int j = 0; j < nope; j++)
            qcu_st(d->out_dtype, out[isk], o + j, qcu_ld(d->in_dtype, in[isk ? 3 : 1], bn + j));
        if (isk)
            qcu_rope_head(d, f, A, pos[t], in[4], t * (int64_t)R, out[1], o + nope, R, 0);
        else
            qcu_rope_head(d, f, A, pos[t], in[2], (t * H + h) * (int64_t)R, out[0], o + nope, R, 0);
        return;
    }
    {
        const int QH = d->q_heads, KH = d->k_heads;
        int64_t t = it / (QH + KH), h = it % (QH + KH);
        if (h < QH) {
            int64_t o = (t * QH + h) * (int64_t)d->q_dim;
            qcu_rope_head(d, f, A, pos[t], in[1], o, out[0], o, d->q_dim, d->q_rot_off);
        } else {
            int64_t o = (t * KH + (h - QH)) * (int64_t)d->k_dim;
            qcu_rope_head(d, f, A, pos[t], in[2], o, out[1], o, d->k_dim, d->k_rot_off);
        }
    }
}


/* ---- Hadamard (qcts/op_hadamard.h) ------------------------------------------
 * A row of n = 2^k in float32: k butterfly stages, stride h = 1, 2, ...,
 * n/2 (pair p of a stage: i = (p / h) 2h + p % h, j = i + h; (a, b) <-
 * (a + b, a - b)), then one scaling in double by qref's scale s (a power of
 * two, or for odd-k normalized 2^-(k-1)/2 RN(1/sqrt 2)) and one rounding to
 * the output dtype (float32 rounded to odd first for f16/bf16: a single
 * rounding). Integer rows whose sums fit float32 come out exactly as ref's;
 * others within qref_hadamard_bound (k additions per path, one scaling). */
QCU_HD double qcu_had_scale(int64_t n, int normalized, int inverse)
{
    int k = 0;
    double p = 1.0;
    while (((int64_t)1 << k) < n)
        k++;
    if (!normalized) {
        if (!inverse)
            return 1.0;
        for (int i = 0; i < k; i++)
            p *= 0.5;
        return p;
    }
    for (int i = 0; i < k / 2; i++)
        p *= 0.5;
    return (k & 1) ? p * 0x1.6a09e667f3bcdp-1 : p;
}

QCU_HD void qcu_had_pair(int64_t p, int64_t h, int64_t *i, int64_t *j)
{
    *i = (p / h) * 2 * h + p % h;
    *j = *i + h;
}

QCU_HD void qcu_had_butterfly(float *buf, int64_t p, int64_t h)
{
    int64_t i, j;
    qcu_had_pair(p, h, &i, &j);
    {
        float a = buf[i], b = buf[j];
        buf[i] = a + b;
        buf[j] = a - b;
    }
}

/* Element i of y from the transformed acc, scale s (qcu_had_scale). */
QCU_HD void qcu_had_store(int dt, void *y, int64_t i, float acc, double s)
{
    double v = (double)acc * s;
    if (dt == 0)
        ((float *)y)[i] = (float)v;
    else
        qcu_st(dt, y, i, qcu_f32_odd(v));
}


/* ---- MoE dispatch (qcts/op_moe.h): exact -----------------------------------
 * The stable counting sort in one thread (counts, offsets, slots: T·K
 * integers), then the rows copied as bits, one element per thread. ids are
 * checked on the host at prepare (every id in [0, E)). */
QCU_HD void qcu_moe_dispatch_index(const qcts_moe_dispatch_desc *d, const int32_t *ids, int32_t *counts,
                                   int32_t *offsets, int32_t *slots)
{
    const int64_t n = d->n_tokens * d->top_k;
    int32_t run = 0;
    int64_t i;
    int e;
    for (e = 0; e < d->n_experts; e++)
        counts[e] = 0;
    for (i = 0; i < n; i++)
        counts[ids[i]]++;
    for (e = 0; e < d->n_experts; e++) {
        offsets[e] = run;
        run += counts[e];
        counts[e] = 0;   /* a cursor now; back to the count at the end */
    }
    offsets[d->n_experts] = run;
    for (i = 0; i < n; i++)
        slots[i] = offsets[ids[i]] + counts[ids[i]]++;
}

/* Element q of the packed rows (q < T·K·H): packed[slots[i]][h] = x[i / K][h]. */
QCU_HD void qcu_moe_dispatch_copy(const qcts_moe_dispatch_desc *d, int64_t q, const int32_t *slots, const void *x,
                                  void *packed)
{
    const int64_t H = d->hidden, i = q / H, h = q % H, src = (i / d->top_k) * H + h, dst = (int64_t)slots[i] * H + h;
    if (d->dtype == 0)
        ((uint32_t *)packed)[dst] = ((const uint32_t *)x)[src];
    else
        ((uint16_t *)packed)[dst] = ((const uint16_t *)x)[src];
}


/* ---- MoE router (qcts/op_moe.h; the error model of qref/moe.h) ------------
 * One thread per token, float32: scores s (softmax: expf(x - m) / sum;
 * sigmoid: 1 / (1 + expf(-x))), choices c = s + bias, group scores (sum of
 * a group's two largest c), selection by repeated scans (strictly greater
 * wins: the lowest index takes ties), weights s / sum * routed_scale. The
 * scratch of token t holds s[E], c[E] (then p, the aux loss's per-token
 * shares) and the group scores g[n_group]. The aux loss: one thread sums
 * the shares and counts over all tokens (qcu_moe_route_aux). */
QCU_HD int64_t qcu_moe_route_scratch(const qcts_moe_route_desc *d)
{
    return 2 * (int64_t)d->n_experts + d->n_group;
}

QCU_HD void qcu_moe_route_token(const qcts_moe_route_desc *d, int64_t t, const float *logits, const float *bias,
                                float *scratch, int32_t *ids, float *weights)
{
    const int E = d->n_experts, K = d->top_k, ng = d->n_group, gs = E / ng;
    const float *x = logits + t * E;
    float *sc = scratch + t * qcu_moe_route_scratch(d), *c = sc + E, *g = c + E, sum = 0.0f;
    int e, j;
    if (d->scoring == QCTS_MOE_SOFTMAX) {
        float m = x[0];
        for (e = 1; e < E; e++)
            m = x[e] > m ? x[e] : m;
        for (e = 0; e < E; e++)
            sum += sc[e] = expf(x[e] - m);
        for (e = 0; e < E; e++)
            sc[e] = sc[e] / sum;
    } else {
        for (e = 0; e < E; e++)
            sc[e] = 1.0f / (1.0f + expf(-x[e]));
    }
    for (e = 0; e < E; e++)
        c[e] = d->has_bias ? sc[e] + bias[e] : sc[e];
    if (ng > 1) {
        int gi, p;
        for (gi = 0; gi < ng; gi++) {
            const float *cg = c + gi * gs;
            int i1 = 0, i2, i;
            for (i = 1; i < gs; i++)
                if (cg[i] > cg[i1])
                    i1 = i;
            g[gi] = cg[i1];
            if (gs > 1) {
                i2 = i1 == 0 ? 1 : 0;
                for (i = 0; i < gs; i++)
                    if (i != i1 && cg[i] > cg[i2])
                        i2 = i;
                g[gi] = g[gi] + cg[i2];
            }
        }
        for (p = 0; p < d->topk_group; p++) {   /* chosen groups become +inf */
            int best = -1;
            for (gi = 0; gi < ng; gi++)
                if (g[gi] != INFINITY && (best < 0 || g[gi] > g[best]))
                    best = gi;
            g[best] = INFINITY;
        }
        for (e = 0; e < E; e++)
            if (g[e / gs] != INFINITY)
                c[e] = -INFINITY;   /* not selectable */
    }
    sum = 0.0f;
    for (j = 0; j < K; j++) {   /* chosen experts become +inf */
        int best = -1;
        for (e = 0; e < E; e++)
            if (c[e] != INFINITY && (best < 0 || c[e] > c[best]))
                best = e;
        c[best] = INFINITY;
        ids[t * K + j] = best;
        sum += sc[best];
    }
    for (j = 0; j < K; j++) {
        float w = sc[ids[t * K + j]];
        if (d->renorm)
            w = w / sum;
        weights[t * K + j] = w * d->routed_scale;
    }
    /* the aux loss's shares p (c is no longer needed) */
    sum = 0.0f;
    if (d->scoring == QCTS_MOE_SIGMOID)
        for (e = 0; e < E; e++)
            sum += sc[e];
    for (e = 0; e < E; e++)
        c[e] = d->scoring == QCTS_MOE_SIGMOID ? sc[e] / sum : sc[e];
}

/* The router's input rule (as ref refuses): finite logits with |x| <= 64,
 * finite bias. -1, or the index of the first bad logit (bias: T·E + e). */
static inline int64_t qcu_moe_route_bad_input(const qcts_moe_route_desc *d, const float *logits, const float *bias)
{
    int64_t i;
    for (i = 0; i < d->n_tokens * d->n_experts; i++)
        if (!(logits[i] >= -64.0f && logits[i] <= 64.0f))
            return i;
    if (d->has_bias)
        for (i = 0; i < d->n_experts; i++)
            if (!(bias[i] - bias[i] == 0.0f))
                return d->n_tokens * d->n_experts + i;
    return -1;
}

/* aux = alpha sum_e (E cnt_e / (K T)) (P_e / T), P_e = sum_t p[t][e]. */
QCU_HD void qcu_moe_route_aux(const qcts_moe_route_desc *d, const float *scratch, const int32_t *ids, float *aux)
{
    const int E = d->n_experts, K = d->top_k;
    const int64_t T = d->n_tokens, stride = qcu_moe_route_scratch(d);
    const float f = (float)E / ((float)K * (float)T);
    float acc = 0.0f;
    int e;
    for (e = 0; e < E; e++) {
        float P = 0.0f, cnt = 0.0f;
        int64_t t, i;
        for (t = 0; t < T; t++)
            P += scratch[t * stride + E + e];
        for (i = 0; i < T * K; i++)
            cnt += ids[i] == e ? 1.0f : 0.0f;
        acc += f * cnt * (P / (float)T);
    }
    aux[0] = d->aux_alpha * acc;
}


/* ---- Sampling (qcts/op_sampling.h; qref/sampling.h steps 1..9) ------------
 * One thread per row, float32 from step 3 on (the admissible set covers a
 * float32 implementation: any summation order, exp within 8 ulps). The
 * scratch of a row: lp[V] (penalised logits), e[V] floats, idx[V] (the
 * order l' desc, index asc, by heapsort: needed for top-k and top-p) and
 * cnt[V] (history counts, then the kept flags) int32. */
QCU_HD int64_t qcu_sampling_scratch_words(const qcts_sampling_desc *d) { return 4 * (int64_t)d->vocab; }

/* Step 1 (exact float32 operations, as ref): lp and cnt of one row. */
QCU_HD void qcu_sampling_penalize(const qcts_sampling_desc *d, int64_t row, const void *logits, const int32_t *hist,
                                  float *lp, int32_t *cnt)
{
    const int32_t V = d->vocab;
    int32_t t, h;
    for (t = 0; t < V; t++)
        cnt[t] = 0;
    for (h = 0; h < d->hist_len; h++) {
        int32_t id = hist[row * d->hist_len + h];
        if (id >= 0 && id < V)
            cnt[id]++;
    }
    for (t = 0; t < V; t++) {
        float l = qcu_ld(d->logits_dtype, logits, row * V + t);
        if (d->hist_len > 0 && cnt[t] > 0) {
            float pen;
            l = l > 0 ? l / d->rep_penalty : l * d->rep_penalty;
            pen = (float)cnt[t] * d->freq_penalty;
            pen = pen + d->presence_penalty;
            l = l - pen;
        }
        lp[t] = l;
    }
}

/* a before b in the order (lp desc, index asc) */
QCU_HD int qcu_smp_before(const float *lp, int32_t a, int32_t b)
{
    return lp[a] > lp[b] || (lp[a] == lp[b] && a < b);
}

QCU_HD void qcu_smp_sift(const float *lp, int32_t *idx, int32_t root, int32_t end)
{
    while (2 * root + 1 < end) {
        int32_t ch = 2 * root + 1, sw = root;
        if (qcu_smp_before(lp, idx[sw], idx[ch]))
            sw = ch;
        if (ch + 1 < end && qcu_smp_before(lp, idx[sw], idx[ch + 1]))
            sw = ch + 1;
        if (sw == root)
            return;
        {
            int32_t tmp = idx[root];
            idx[root] = idx[sw];
            idx[sw] = tmp;
        }
        root = sw;
    }
}

/* idx[0..V) sorted so that idx[0] comes first in (lp desc, index asc). */
QCU_HD void qcu_smp_sort(const float *lp, int32_t *idx, int32_t V)
{
    int32_t i, end;
    for (i = 0; i < V; i++)
        idx[i] = i;
    for (i = V / 2 - 1; i >= 0; i--)
        qcu_smp_sift(lp, idx, i, V);
    for (end = V - 1; end > 0; end--) {   /* the root is the last in the order: move it to the end */
        int32_t tmp = idx[0];
        idx[0] = idx[end];
        idx[end] = tmp;
        qcu_smp_sift(lp, idx, 0, end);
    }
}

QCU_HD void qcu_sampling_row(const qcts_sampling_desc *d, int64_t row, const void *logits, const int32_t *hist,
                             const float *u, float *scratch, int32_t *token, float *probs)
{
    const int32_t V = d->vocab;
    float *lp = scratch + row * qcu_sampling_scratch_words(d), *e = lp + V;
    int32_t *idx = (int32_t *)(e + V), *kept = idx + V;
    int32_t t, j, amax = 0, nk, cut, tok = -1, last;
    float lmax, Z = 0.0f, Zk = 0.0f, C = 0.0f;
    qcu_sampling_penalize(d, row, logits, hist, lp, kept);
    for (t = 1; t < V; t++)
        if (lp[t] > lp[amax])
            amax = t;
    lmax = lp[amax];
    if (d->temperature == 0 || lmax == -INFINITY) {
        token[row] = amax;
        if (probs)
            for (t = 0; t < V; t++)
                probs[row * V + t] = t == amax ? 1.0f : 0.0f;
        return;
    }
    nk = d->top_k > 0 && d->top_k < V ? d->top_k : V;
    if (nk < V || d->top_p < 1)
        qcu_smp_sort(lp, idx, V);
    else
        for (t = 0; t < V; t++)
            idx[t] = t;   /* every token kept by top-k, in index order */
    for (t = 0; t < V; t++) {
        e[t] = 0.0f;
        kept[t] = 0;
    }
    for (j = 0; j < nk; j++) {
        t = idx[j];
        e[t] = lp[t] == -INFINITY ? 0.0f : expf((lp[t] - lmax) / d->temperature);
        Z += e[t];
    }
    cut = nk - 1;
    if (d->top_p < 1) {
        float S = 0.0f, thr = d->top_p * Z;
        for (j = 0; j < nk; j++) {
            S += e[idx[j]];
            if (S >= thr) {
                cut = j;
                break;
            }
        }
    }
    for (j = 0; j <= cut; j++) {
        t = idx[j];
        kept[t] = d->min_p > 0 ? e[t] >= d->min_p : 1;
    }
    for (t = 0; t < V; t++)
        if (kept[t])
            Zk += e[t];
    last = amax;
    for (t = 0; t < V; t++) {
        float q = kept[t] ? e[t] / Zk : 0.0f;
        if (probs)
            probs[row * V + t] = q;
        if (q > 0) {
            last = t;
            C += q;
            if (tok < 0 && u[row] < C)
                tok = t;
        }
    }
    token[row] = tok >= 0 ? tok : last;
}

#ifndef __CUDA_ARCH__
/* The inputs ref refuses (host, at prepare): u outside [0, 1), a NaN or
 * +inf logit, a history entry >= V, a penalised logit that overflows.
 * 0 when fine, else 1 with the reason in why. */
static inline int qcu_sampling_bad_input(const qcts_sampling_desc *d, const void *logits, const int32_t *hist,
                                         const float *u, float *lp, int32_t *cnt, char *why, size_t n)
{
    for (int64_t r = 0; r < d->rows; r++) {
        if (!(u[r] >= 0.0f && u[r] < 1.0f))
            return snprintf(why, n, "u of row %lld is not in [0, 1)", (long long)r), 1;
        for (int32_t h = 0; h < d->hist_len; h++)
            if (hist[r * d->hist_len + h] >= d->vocab)
                return snprintf(why, n, "history entry %d of row %lld is >= vocab %d", h, (long long)r, d->vocab), 1;
        for (int32_t t = 0; t < d->vocab; t++) {
            float l = qcu_ld(d->logits_dtype, logits, r * d->vocab + t);
            if (l != l || l == INFINITY)
                return snprintf(why, n, "logit %d of row %lld is NaN or +inf", t, (long long)r), 1;
        }
        qcu_sampling_penalize(d, r, logits, hist, lp, cnt);
        for (int32_t t = 0; t < d->vocab; t++)
            if (!(lp[t] <= 3.4028234663852886e38f))
                return snprintf(why, n, "penalised logit %d of row %lld overflows", t, (long long)r), 1;
    }
    return 0;
}
#endif


/* Tensor b of a run of tensors `stride` bytes apart (b = 0: w itself), with
 * its own float32 tensor scale where the preset has one. */
QCU_HD qcu_tensor qcu_tensor_at(const qcu_tensor *w, int64_t b, int64_t stride)
{
    qcu_tensor t = *w;
    if (b) {
        int64_t off = b * stride;
        t.codes = w->codes + off;
        t.scales = w->scales ? w->scales + off : 0;
        t.zeros = w->zeros ? w->zeros + off : 0;
        t.meta = w->meta ? w->meta + off : 0;
    }
    if (t.has_tscale) {   /* each tensor's own float32 tensor scale: its last 4 bytes */
        const uint8_t *p = w->codes + b * stride + t.total - 4;
        t.tscale = qcu_u2f((uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24));
    }
    return t;
}

QCU_HD float qcu_w32(const qcu_tensor *t, int64_t r, int64_t k) { return (float)qcu_value(t, r, k); }

/* ---- Attention (qcts/op_attention.h) ----------------------------------------
 * One thread per query row (b, h, i), float32, two passes over the keys:
 * the max M of the visible logits s_j = scale · Σ_c q[c]·K[j][c] (c
 * ascending, the scale after), then w_j = expf(s_j − M), L = Σ w_j and the
 * unnormalised Σ w_j·V[j][c] in the row's scratch (dv floats; two maps of
 * it for differential attention), y = that / L; lse = M + logf(L); probs a
 * third pass. Fully masked rows: y = +0, lse = −inf, probs = 0 (the
 * reference's rule). KV caches in a scheme preset: each K/V value is the
 * exact dequantized value (qcu_value) rounded once to float32; kt/vt NULL
 * for plain caches. */
QCU_HD int qcu_attn_visible(const qcts_attention_desc *d, int64_t b, int64_t i, int64_t j, const uint32_t *tree)
{
    const int64_t pos = (int64_t)d->seq_kv - d->seq_q + i;
    if (d->causal && j > pos)
        return 0;
    if (d->window > 0 && pos - j >= d->window)
        return 0;
    if (d->tree && j >= (int64_t)d->seq_kv - d->seq_q) {
        const int64_t W = (d->seq_q + 31) / 32, jj = j - ((int64_t)d->seq_kv - d->seq_q);
        if (!((tree[(b * d->seq_q + i) * W + jj / 32] >> (jj % 32)) & 1u))
            return 0;
    }
    return 1;
}

/* Row of the logical cache [kv_heads][R][*] holding key j of sequence b. */
QCU_HD int64_t qcu_attn_kv_row(const qcts_attention_desc *d, int64_t b, int64_t j, const int32_t *bt)
{
    if (d->page_size > 0) {
        const int64_t pps = (d->seq_kv + d->page_size - 1) / d->page_size;
        return (int64_t)bt[b * pps + j / d->page_size] * d->page_size + j % d->page_size;
    }
    return b * d->seq_kv + j;
}

QCU_HD int64_t qcu_attn_rows(const qcts_attention_desc *d)
{
    return d->page_size > 0 ? (int64_t)d->pages * d->page_size : (int64_t)d->batch * d->seq_kv;
}

/* The caches of an attention call: plain pointers, or tensors (NULL: plain)
 * with the byte stride between per-head tensors. */
typedef struct qcu_attn_kv {
    const void *k, *v;
    const qcu_tensor *kt, *vt;
    int64_t kstride, vstride;
} qcu_attn_kv;

/* Element c of row `row` (g · R + the head's row) of a cache of `cols`. */
QCU_HD float qcu_attn_val(const qcts_attention_desc *d, const void *plain, const qcu_tensor *t, int64_t stride,
                          int64_t row, int64_t c, int64_t cols)
{
    if (!t)
        return qcu_ld(d->kv_dtype, plain, row * cols + c);
    if (d->kv_per_head) {
        const int64_t R = qcu_attn_rows(d);
        qcu_tensor th = qcu_tensor_at(t, row / R, stride);
        return qcu_w32(&th, row % R, c);
    }
    return qcu_w32(t, row, c);
}

QCU_HD float qcu_attn_logit(const qcts_attention_desc *d, const float *qr, const qcu_attn_kv *kv, int64_t krow, int c0,
                            int c1)
{
    float acc = 0.0f;
    int c;
    for (c = c0; c < c1; c++)
        acc += qr[c] * qcu_attn_val(d, kv->k, kv->kt, kv->kstride, krow, c, d->d);
    return d->scale * acc;
}

/* One softmax map over q / K columns [c0, c1): acc[dv] = Σ w_j V[j][*],
 * *M and *L (L = 0: no visible key). */
QCU_HD void qcu_attn_map(const qcts_attention_desc *d, int64_t b, int64_t h, int64_t i, int c0, int c1,
                         const float *q, const qcu_attn_kv *kv, const int32_t *bt, const uint32_t *tree,
                         float *acc, float *M, float *L)
{
    const int64_t g = h / (d->q_heads / d->kv_heads), R = qcu_attn_rows(d);
    const float *qr = q + ((b * d->q_heads + h) * d->seq_q + i) * d->d;
    float m = -INFINITY, l = 0.0f;
    int64_t j;
    int c, any = 0;
    for (c = 0; c < d->dv; c++)
        acc[c] = 0.0f;
    for (j = 0; j < d->seq_kv; j++)
        if (qcu_attn_visible(d, b, i, j, tree)) {
            float sj = qcu_attn_logit(d, qr, kv, g * R + qcu_attn_kv_row(d, b, j, bt), c0, c1);
            if (!any || sj > m)
                m = sj;
            any = 1;
        }
    if (any)
        for (j = 0; j < d->seq_kv; j++)
            if (qcu_attn_visible(d, b, i, j, tree)) {
                int64_t row = g * R + qcu_attn_kv_row(d, b, j, bt);
                float w = expf(qcu_attn_logit(d, qr, kv, row, c0, c1) - m);
                l += w;
                for (c = 0; c < d->dv; c++)
                    acc[c] += w * qcu_attn_val(d, kv->v, kv->vt, kv->vstride, row, c, d->dv);
            }
    *M = m;
    *L = l;
}

/* Query row r = (b·q_heads + h)·seq_q + i; scratch: 2·dv floats of this row. */
QCU_HD void qcu_attention_row(const qcts_attention_desc *d, int64_t r, const float *q, const qcu_attn_kv *kv,
                              const int32_t *bt, const uint32_t *tree, void *y, float *lse, float *probs,
                              float *scratch)
{
    const int64_t i = r % d->seq_q, h = (r / d->seq_q) % d->q_heads, b = r / ((int64_t)d->seq_q * d->q_heads);
    float *a1 = scratch + r * 2 * d->dv, *a2 = a1 + d->dv, M1, L1, M2 = 0, L2 = 0;
    int c;
    int64_t j;
    if (d->diff) {
        qcu_attn_map(d, b, h, i, 0, d->d / 2, q, kv, bt, tree, a1, &M1, &L1);
        qcu_attn_map(d, b, h, i, d->d / 2, d->d, q, kv, bt, tree, a2, &M2, &L2);
    } else {
        qcu_attn_map(d, b, h, i, 0, d->d, q, kv, bt, tree, a1, &M1, &L1);
    }
    for (c = 0; c < d->dv; c++) {
        float v = L1 > 0 ? a1[c] / L1 : 0.0f;
        if (d->diff)
            v = v - d->lambda * (L2 > 0 ? a2[c] / L2 : 0.0f);
        qcu_st(d->out_dtype, y, r * d->dv + c, v);
    }
    if (d->want_lse && !d->diff)
        lse[r] = L1 > 0 ? M1 + logf(L1) : -INFINITY;
    if (d->want_probs && !d->diff) {
        const int64_t g = h / (d->q_heads / d->kv_heads), R = qcu_attn_rows(d);
        const float *qr = q + r * d->d;
        for (j = 0; j < d->seq_kv; j++) {
            float p = 0.0f;
            if (L1 > 0 && qcu_attn_visible(d, b, i, j, tree))
                p = expf(qcu_attn_logit(d, qr, kv, g * R + qcu_attn_kv_row(d, b, j, bt), 0, d->d) - M1) / L1;
            probs[r * d->seq_kv + j] = p;
        }
    }
}

#ifndef __CUDA_ARCH__
/* Block-table entries outside [0, pages): an error (ref's rule), found on
 * the host at prepare. 0, or 1 with the reason. */
static inline int qcu_attention_bad_table(const qcts_attention_desc *d, const int32_t *bt, char *why, size_t n)
{
    if (d->page_size <= 0)
        return 0;
    const int64_t pps = (d->seq_kv + d->page_size - 1) / d->page_size;
    for (int64_t i = 0; i < (int64_t)d->batch * pps; i++)
        if (bt[i] < 0 || bt[i] >= d->pages)
            return snprintf(why, n, "block_table[%lld][%lld] = %d is not a page in [0, %d)", (long long)(i / pps),
                            (long long)(i % pps), bt[i], d->pages),
                   1;
    return 0;
}
#endif


/* ---- MoE experts (qcts/op_moe.h; the bound of qref/moe.h) -----------------
 * One thread per token, float32 as the bound's model: gate/up/down are
 * dot products of the exact weights rounded once to float32 (qcu_value)
 * with float32 FMA in ascending k; a = (g · (1 / (1 + expf(−g)))) · up;
 * y = Σ_j wt_j · d_j, then + the shared expert, accumulated in y itself
 * (float32 output). Weights of every preset through qcu_value (the tables
 * of qcu_build.c, host or device). Scratch: max(I, Is) floats per token. */
/* One FFN (gate/up rows 0..I-1 / I..2I-1 of gu, down dn) on x, adding
 * wt · d into y[0..H). */
QCU_HD void qcu_moe_ffn(const qcu_tensor *gu, const qcu_tensor *dn, int64_t H, int64_t I, const float *x, float wt,
                        float *a, float *y)
{
    int64_t i, k, h;
    for (i = 0; i < I; i++) {
        float g = 0.0f, u = 0.0f, sg;
        for (k = 0; k < H; k++) {
            g = fmaf(x[k], qcu_w32(gu, i, k), g);
            u = fmaf(x[k], qcu_w32(gu, I + i, k), u);
        }
        sg = 1.0f / (1.0f + expf(-g));
        a[i] = (g * sg) * u;
    }
    for (h = 0; h < H; h++) {
        float d = 0.0f;
        for (i = 0; i < I; i++)
            d = fmaf(a[i], qcu_w32(dn, h, i), d);
        y[h] = y[h] + wt * d;
    }
}

/* Token t: gu/dn are expert 0's tensors (expert e at + e · stride). */
QCU_HD void qcu_moe_experts_token(const qcts_moe_experts_desc *d, int64_t t, const float *x, const int32_t *ids,
                                  const float *wts, const qcu_tensor *gu, int64_t gu_stride, const qcu_tensor *dn,
                                  int64_t dn_stride, const qcu_tensor *sgu, const qcu_tensor *sdn, float *scratch,
                                  float *y)
{
    const int64_t H = d->hidden, I = d->inter, Is = d->has_shared ? d->shared_inter : 0;
    float *a = scratch + t * (I > Is ? I : Is), *yt = y + t * H;
    const float *xt = x + t * H;
    int64_t h;
    int j;
    for (h = 0; h < H; h++)
        yt[h] = 0.0f;
    for (j = 0; j < d->top_k; j++) {
        int32_t e = ids[t * d->top_k + j];
        qcu_tensor g = qcu_tensor_at(gu, e, gu_stride), w = qcu_tensor_at(dn, e, dn_stride);
        qcu_moe_ffn(&g, &w, H, I, xt, wts[t * d->top_k + j], a, yt);
    }
    if (d->has_shared)
        qcu_moe_ffn(sgu, sdn, H, Is, xt, 1.0f, a, yt);
}

#endif
