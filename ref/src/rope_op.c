/* The whole rope op over tokens and heads (qref/rope.h, slots as in
 * qcts/op_rope.h), on top of qref_rope_freqs / cos_sin / rotate. */
#include <stdlib.h>

#include "qref/norm.h"
#include "qref/rope.h"

#define MAX_ELEMS ((int64_t)1 << 40)

static int mul_ok(int64_t a, int64_t b, int64_t c, int64_t *out)
{
    if (a < 0 || b < 0 || c < 0)
        return 0;
    if (a == 0 || b == 0 || c == 0) {
        *out = 0;
        return 1;
    }
    if (a > MAX_ELEMS / b || a * b > MAX_ELEMS / c)
        return 0;
    *out = a * b * c;
    return 1;
}

qref_status qref_rope_sizes(const qref_rope_op *op, int64_t in[QREF_ROPE_IN], int64_t out[QREF_ROPE_OUT])
{
    if (!op || !in || !out)
        return QREF_ERR_ARG;
    qref_status st = qref_rope_check(&op->p);
    if (st != QREF_OK)
        return st;
    if ((unsigned)op->mode >= QREF_ROPE_MODE_COUNT || !qref_rowop_dtype_ok(op->in_dtype) ||
        !qref_rowop_dtype_ok(op->out_dtype))
        return QREF_ERR_ARG;
    for (int i = 0; i < QREF_ROPE_IN; i++)
        in[i] = 0;
    out[0] = out[1] = 0;
    const int64_t T = op->tokens, R = op->p.rot_dim;
    if (T < 1 || T > MAX_ELEMS)
        return QREF_ERR_SIZE;
    in[0] = T;
    switch (op->mode) {
    case QREF_ROPE_CACHE:
        out[0] = out[1] = T * (R / 2);
        return T > MAX_ELEMS / R ? QREF_ERR_SIZE : QREF_OK;
    case QREF_ROPE_MLA_SPLIT_FUSED: {
        int64_t H = op->q_heads, D = op->q_dim;
        if (H < 1 || op->k_heads != H || D <= R || op->q_rot_off != 0 || op->k_rot_off != 0 || op->k_dim != 0)
            return QREF_ERR_SIZE;
        if (!mul_ok(T, H, D - R, &in[1]) || !mul_ok(T, H, R, &in[2]) || !mul_ok(T, H, D - R, &in[3]) ||
            !mul_ok(T, 1, R, &in[4]) || !mul_ok(T, H, D, &out[0]))
            return QREF_ERR_SIZE;
        out[1] = out[0];
        return QREF_OK;
    }
    case QREF_ROPE_MLA_LATENT:
        if (op->k_heads != 1 || op->q_rot_off != op->q_dim - R || op->k_rot_off != op->k_dim - R)
            return QREF_ERR_SIZE;
        /* fall through */
    default:
        if (op->q_heads < 1 || op->k_heads < 0 || op->q_rot_off < 0 || op->q_dim < 1 ||
            (int64_t)op->q_rot_off + R > op->q_dim)
            return QREF_ERR_SIZE;
        if (op->k_heads > 0 && (op->k_rot_off < 0 || op->k_dim < 1 || (int64_t)op->k_rot_off + R > op->k_dim))
            return QREF_ERR_SIZE;
        if (op->k_heads == 0 && (op->k_dim != 0 || op->k_rot_off != 0))
            return QREF_ERR_SIZE;
        if (!mul_ok(T, op->q_heads, op->q_dim, &in[1]) || !mul_ok(T, op->k_heads, op->k_dim, &in[2]))
            return QREF_ERR_SIZE;
        out[0] = in[1];
        out[1] = in[2];
        return QREF_OK;
    }
}

/* One head: D dims at src + base with the rotated ones at off. */
static void head(const qref_rope_op *op, const double *c, const double *s, const double *th, double A,
                 const void *src, int64_t sbase, void *dst, int64_t dbase, float *bd, int D, int off, double *x,
                 double *y, float *hb)
{
    const int R = op->p.rot_dim;
    for (int j = 0; j < D; j++) {
        if (j >= off && j < off + R)
            continue;
        qref_rowop_store(op->out_dtype, dst, dbase + j,
                         qref_rowop_round(op->out_dtype, qref_rowop_load(op->in_dtype, src, sbase + j)));
        if (bd)
            bd[dbase + j] = 0.0f;
    }
    for (int j = 0; j < R; j++)
        x[j] = qref_rowop_load(op->in_dtype, src, sbase + off + j);
    qref_rope_rotate(&op->p, c, s, th, A, x, op->in_dtype, op->out_dtype, y, bd ? hb : NULL);
    for (int j = 0; j < R; j++) {
        qref_rowop_store(op->out_dtype, dst, dbase + off + j, y[j]);
        if (bd)
            bd[dbase + off + j] = hb[j];
    }
}

qref_status qref_rope_run(const qref_rope_op *op, const void *const in[QREF_ROPE_IN], void *const out[QREF_ROPE_OUT],
                          float *const bound[QREF_ROPE_OUT])
{
    int64_t ni[QREF_ROPE_IN], no[QREF_ROPE_OUT];
    qref_status st = qref_rope_sizes(op, ni, no);
    if (st != QREF_OK)
        return st;
    for (int i = 0; i < QREF_ROPE_IN; i++)
        if (ni[i] > 0 && !in[i])
            return QREF_ERR_ARG;
    for (int i = 0; i < QREF_ROPE_OUT; i++)
        if (no[i] > 0 && !out[i])
            return QREF_ERR_ARG;
    const int R = op->p.rot_dim, half = R / 2;
    double *f = malloc(sizeof(double) * (size_t)(6 * R + 8));
    float *hb = malloc(sizeof(float) * (size_t)R);
    if (!f || !hb) {
        free(f);
        free(hb);
        return QREF_ERR_ARG;
    }
    double *c = f + half + 1, *s = c + half + 1, *th = s + half + 1, *x = th + half + 1, *y = x + R + 1, A;
    qref_rope_freqs(&op->p, f, &A);
    const int32_t *pos = in[0];
    float *b0 = bound ? bound[0] : NULL, *b1 = bound ? bound[1] : NULL;
    for (int64_t t = 0; t < op->tokens; t++) {
        qref_rope_cos_sin(pos[t], f, half, A, c, s);
        for (int i = 0; i < half; i++)
            th[i] = (double)pos[t] * f[i];
        if (op->mode == QREF_ROPE_CACHE) {
            for (int i = 0; i < half; i++) {
                qref_rowop_store(op->out_dtype, out[0], t * half + i, c[i]);
                qref_rowop_store(op->out_dtype, out[1], t * half + i, s[i]);
                if (b0)
                    b0[t * half + i] = qref_rope_cache_bound(&op->p, th[i], c[i], A, op->out_dtype);
                if (b1)
                    b1[t * half + i] = qref_rope_cache_bound(&op->p, th[i], s[i], A, op->out_dtype);
            }
            continue;
        }
        if (op->mode == QREF_ROPE_MLA_SPLIT_FUSED) {
            const int H = op->q_heads, D = op->q_dim, nope = D - R;
            for (int h = 0; h < H; h++) {
                int64_t o = (t * H + h) * (int64_t)D, bn = (t * H + h) * (int64_t)nope;
                for (int j = 0; j < nope; j++) {
                    qref_rowop_store(op->out_dtype, out[0], o + j,
                                     qref_rowop_round(op->out_dtype, qref_rowop_load(op->in_dtype, in[1], bn + j)));
                    qref_rowop_store(op->out_dtype, out[1], o + j,
                                     qref_rowop_round(op->out_dtype, qref_rowop_load(op->in_dtype, in[3], bn + j)));
                    if (b0)
                        b0[o + j] = 0.0f;
                    if (b1)
                        b1[o + j] = 0.0f;
                }
                /* the rotated part: a head of R dims written at o + nope */
                head(op, c, s, th, A, in[2], (t * H + h) * (int64_t)R - 0, out[0], o + nope, b0, R, 0, x, y, hb);
                head(op, c, s, th, A, in[4], t * (int64_t)R, out[1], o + nope, b1, R, 0, x, y, hb);
            }
            continue;
        }
        for (int h = 0; h < op->q_heads; h++) {
            int64_t o = (t * op->q_heads + h) * (int64_t)op->q_dim;
            head(op, c, s, th, A, in[1], o, out[0], o, b0, op->q_dim, op->q_rot_off, x, y, hb);
        }
        for (int h = 0; h < op->k_heads; h++) {
            int64_t o = (t * op->k_heads + h) * (int64_t)op->k_dim;
            head(op, c, s, th, A, in[2], o, out[1], o, b1, op->k_dim, op->k_rot_off, x, y, hb);
        }
    }
    free(f);
    free(hb);
    return QREF_OK;
}
