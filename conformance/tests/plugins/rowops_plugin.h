/* rowops_plugin.h — a plain float32 implementation of the norm, softmax and
 * rope ops (F32 in and out only; rope: apply mode without scaling), the
 * skeleton of plugins that test the row ops' check rules end to end
 * (tests/cli/test-rowops.sh). Correct as written — sequential float32 sums,
 * libm sqrtf/expf/powf/sinf/cosf with a float32 angle — so it must PASS
 * every case it supports; each rowops_*.c defines one plausible bug:
 *   ROWOPS_NAME           backend name
 *   ROWOPS_EPS_OUTSIDE    norm: 1/(sqrt(ms) + eps) instead of 1/sqrt(ms + eps)
 *   ROWOPS_NO_MAX         softmax: exp(x/T) without subtracting the max
 *   ROWOPS_SWAP_LAYOUT    rope: GPT-J pairs for NeoX and back
 * Uses only qcts/backend.h (and libm). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qcts/backend.h"

struct qcts_call {
    qcts_op op;
    qcts_norm_desc n;
    qcts_softmax_desc s;
    qcts_rope_desc r;
    qcts_buffers b;
};

static qcts_status say(qcts_status st, char *msg, size_t n, const char *text)
{
    if (msg && n) {
        strncpy(msg, text, n - 1);
        msg[n - 1] = '\0';
    }
    return st;
}

static int avail(char *why, size_t n)
{
    (void)why;
    (void)n;
    return 1;
}

static qcts_status make(qcts_op op, const qcts_buffers *b, qcts_call **call, qcts_call **out, char *msg, size_t n)
{
    qcts_call *c = calloc(1, sizeof *c);
    if (!c)
        return say(QCTS_ERROR, msg, n, "out of memory");
    c->op = op;
    c->b = *b;
    *call = c;
    *out = c;
    return QCTS_OK;
}

static qcts_status p_norm(const qcts_norm_desc *d, const qcts_buffers *b, qcts_call **call, char *msg, size_t n)
{
    if (d->dtype != QCTS_DT_F32 || d->out_dtype != QCTS_DT_F32)
        return say(QCTS_UNSUPPORTED, msg, n, ROWOPS_NAME " does f32 only");
    qcts_call *c = NULL;
    qcts_status st = make(QCTS_OP_NORM, b, call, &c, msg, n);
    if (st == QCTS_OK)
        c->n = *d;
    return st;
}

static qcts_status p_softmax(const qcts_softmax_desc *d, const qcts_buffers *b, qcts_call **call, char *msg, size_t n)
{
    if (d->in_dtype != QCTS_DT_F32 || d->out_dtype != QCTS_DT_F32)
        return say(QCTS_UNSUPPORTED, msg, n, ROWOPS_NAME " does f32 only");
    qcts_call *c = NULL;
    qcts_status st = make(QCTS_OP_SOFTMAX, b, call, &c, msg, n);
    if (st == QCTS_OK)
        c->s = *d;
    return st;
}

static qcts_status p_rope(const qcts_rope_desc *d, const qcts_buffers *b, qcts_call **call, char *msg, size_t n)
{
    if (d->in_dtype != QCTS_DT_F32 || d->out_dtype != QCTS_DT_F32 || d->mode != QCTS_ROPE_APPLY ||
        d->scaling != QCTS_ROPE_SCALE_NONE || d->attn_factor > 0)
        return say(QCTS_UNSUPPORTED, msg, n, ROWOPS_NAME " does f32 apply without scaling only");
    qcts_call *c = NULL;
    qcts_status st = make(QCTS_OP_ROPE, b, call, &c, msg, n);
    if (st == QCTS_OK)
        c->r = *d;
    return st;
}

static void run_norm(const qcts_call *c)
{
    const qcts_norm_desc *d = &c->n;
    const float *x = c->b.in[0], *w = c->b.in[1], *bi = c->b.in[2], *r = c->b.in[3];
    float *y = c->b.out[0], *h = c->b.out[1];
    for (int64_t row = 0; row < d->rows; row++) {
        const int64_t o = row * d->n;
        float mu = 0, v = 0;
        for (int64_t i = 0; i < d->n; i++) {
            float hv = x[o + i] + (d->has_residual ? r[o + i] : 0.0f);
            if (d->has_residual)
                h[o + i] = hv;
            mu += hv;
        }
        mu = d->kind == QCTS_NORM_LAYER ? mu / (float)d->n : 0.0f;
        for (int64_t i = 0; i < d->n; i++) {
            float t = (d->has_residual ? h[o + i] : x[o + i]) - mu;
            v += t * t;
        }
        v /= (float)d->n;
#ifdef ROWOPS_EPS_OUTSIDE
        float rs = 1.0f / (sqrtf(v) + (float)d->eps);
#else
        float rs = 1.0f / sqrtf(v + (float)d->eps);
#endif
        for (int64_t i = 0; i < d->n; i++) {
            float t = ((d->has_residual ? h[o + i] : x[o + i]) - mu) * rs;
            if (d->has_weight)
                t *= w[i];
            if (d->has_bias)
                t += bi[i];
            y[o + i] = t;
        }
    }
}

static void run_softmax(const qcts_call *c)
{
    const qcts_softmax_desc *d = &c->s;
    const float *x = c->b.in[0];
    float *y = c->b.out[0];
    const float T = (float)d->temperature;
    for (int64_t row = 0; row < d->rows; row++) {
        const int64_t o = row * d->n;
        float m = -INFINITY, s = 0;
        for (int64_t i = 0; i < d->n; i++)
            m = x[o + i] > m || x[o + i] != x[o + i] ? x[o + i] : m;
#ifdef ROWOPS_NO_MAX
        m = 0.0f;
#endif
        for (int64_t i = 0; i < d->n; i++) {
            y[o + i] = expf((x[o + i] - m) / T);
            s += y[o + i];
        }
        for (int64_t i = 0; i < d->n; i++)
            y[o + i] /= s;
    }
}

static void rope_head(const qcts_rope_desc *d, const float *x, float *y, int D, int off, int32_t pos)
{
    const int R = d->rot_dim, half = R / 2;
    int gptj = d->layout == QCTS_ROPE_GPTJ;
#ifdef ROWOPS_SWAP_LAYOUT
    gptj = !gptj;
#endif
    memcpy(y, x, (size_t)D * sizeof *y);
    for (int i = 0; i < half; i++) {
        float f = powf((float)d->theta, -(float)(2 * i) / (float)R), th = (float)pos * f;
        float cs = cosf(th), sn = sinf(th);
        int ia = off + (gptj ? 2 * i : i), ib = off + (gptj ? 2 * i + 1 : i + half);
        y[ia] = x[ia] * cs - x[ib] * sn;
        y[ib] = x[ia] * sn + x[ib] * cs;
    }
}

static void run_rope(const qcts_call *c)
{
    const qcts_rope_desc *d = &c->r;
    const int32_t *pos = c->b.in[0];
    for (int64_t t = 0; t < d->tokens; t++) {
        for (int h = 0; h < d->q_heads; h++) {
            int64_t o = (t * d->q_heads + h) * d->q_dim;
            rope_head(d, (const float *)c->b.in[1] + o, (float *)c->b.out[0] + o, d->q_dim, d->q_rot_off, pos[t]);
        }
        for (int h = 0; h < d->k_heads; h++) {
            int64_t o = (t * d->k_heads + h) * d->k_dim;
            rope_head(d, (const float *)c->b.in[2] + o, (float *)c->b.out[1] + o, d->k_dim, d->k_rot_off, pos[t]);
        }
    }
}

static qcts_status p_run(qcts_call *c, char *msg, size_t n)
{
    (void)msg;
    (void)n;
    if (c->op == QCTS_OP_NORM)
        run_norm(c);
    else if (c->op == QCTS_OP_SOFTMAX)
        run_softmax(c);
    else
        run_rope(c);
    return QCTS_OK;
}

static void p_release(qcts_call *c) { free(c); }

static const qcts_backend backend = {
    .abi_version = QCTS_BACKEND_ABI_VERSION,
    .struct_size = sizeof(qcts_backend),
    .name = ROWOPS_NAME,
    .description = "float32 norm, softmax and rope for the row ops' check tests",
    .available = avail,
    .rope = p_rope,
    .norm = p_norm,
    .softmax = p_softmax,
    .run = p_run,
    .release = p_release,
};

const qcts_backend *qcts_backend_entry(void) { return &backend; }
