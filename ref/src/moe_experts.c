/* The reference MoE expert layer (qref/moe.h): per expert, the tokens that
 * chose it go through gate/up (qref_gemm), SwiGLU, down (qref_gemm); the
 * weighted combine and the shared expert are summed in double and rounded
 * once. The bound composes qref_gemm's bounds as qref/moe.h derives. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qref/bits.h"
#include "qref/gemm.h"
#include "qref/mathx.h"
#include "qref/moe.h"
#include "scheme_impl.h"

#define U32 0x1p-24
#define LIP 1.1            /* >= max |silu'(x)| = 1.0998... */

static double gam(double n) { return n * U32 / (1.0 - n * U32); }

static float round_up_f32(double x)
{
    float f = (float)x;
    if ((double)f < x)
        f = qref_f32_from_bits(qref_f32_bits(f) + 1);
    return f;
}

/* One FFN (gate/up, SwiGLU, down) on M rows of A (M x H): D (M x H) float32
 * reference and Bd (M x H) its bound (doubles). */
static qref_status ffn(const float *A, int64_t M, int64_t H, int64_t I, const qref_qtensor *gu,
                       const qref_qtensor *dn, float *D, double *Bd, qref_error *err)
{
    const double u = U32, ef = QREF_MOE_EPS_F;
    const double ea = (1 + ef) * (1 + ef) * (1 + u) * (1 + u) * (1 + u) * (1 + u) * (1 + u) * (1 + u) - 1;
    size_t mh = (size_t)(M * 2 * I), mi = (size_t)(M * I), md = (size_t)(M * H);
    float *G = malloc(mh * sizeof *G), *BG = malloc(mh * sizeof *BG), *At = malloc(mi * sizeof *At);
    float *BD = malloc(md * sizeof *BD);
    double *da = malloc(mi * sizeof *da), *hi = malloc((size_t)I * sizeof *hi), *lo = malloc((size_t)I * sizeof *lo);
    qref_status st = QREF_OK;
    if (!G || !BG || !At || !BD || !da || !hi || !lo) {
        st = qref__fail(err, QREF_ERR_SIZE, -1, -1, "moe_experts: out of memory");
        goto done;
    }
    qref_gemm_desc g1 = { .batch = 1, .M = M, .N = 2 * I, .K = H, .a_dtype = QREF_FMT_F32, .out_dtype = QREF_FMT_F32 };
    if ((st = qref_gemm(&g1, A, gu, NULL, G, BG, QREF_ACC_F32, err)) != QREF_OK)
        goto done;
    for (int64_t m = 0; m < M; m++)
        for (int64_t i = 0; i < I; i++) {
            double g = G[m * 2 * I + i], up = G[m * 2 * I + I + i];
            double bg = BG[m * 2 * I + i], bu = BG[m * 2 * I + I + i];
            double sg = qref_silu(g), a = sg * up, asg = qref_fabs(sg) + LIP * bg;
            At[m * I + i] = (float)a;
            da[m * I + i] = (asg * bu + LIP * bg * qref_fabs(up) + ea * asg * (qref_fabs(up) + bu) +
                             u * qref_fabs(a) + 0x1p-120 * (1 + qref_fabs(up))) * (1 + 0x1p-40);
        }
    qref_gemm_desc g2 = { .batch = 1, .M = M, .N = H, .K = I, .a_dtype = QREF_FMT_F32, .out_dtype = QREF_FMT_F32 };
    if ((st = qref_gemm(&g2, At, dn, NULL, D, BD, QREF_ACC_F32, err)) != QREF_OK)
        goto done;
    for (int64_t h = 0; h < H; h++) {
        memset(lo, 0, (size_t)I * sizeof *lo);
        if ((st = qref_dequantize_row_exact(dn, h, hi, lo, err)) != QREF_OK)
            goto done;
        for (int64_t i = 0; i < I; i++)
            hi[i] = qref_fabs(hi[i]) + qref_fabs(lo[i]);
        for (int64_t m = 0; m < M; m++) {
            double s = 0.0;
            for (int64_t i = 0; i < I; i++)
                s += hi[i] * da[m * I + i];
            Bd[m * H + h] = (double)BD[m * H + h] + (1 + gam((double)I + 2)) * s * (1 + 0x1p-40 * (double)I);
        }
    }
done:
    free(G), free(BG), free(At), free(BD), free(da), free(hi), free(lo);
    return st;
}

static qref_status check(const qref_moe_experts_desc *d, const float *x, const int32_t *ids, const float *wt,
                         const qref_qtensor *gu, const qref_qtensor *dn, const qref_qtensor *sgu,
                         const qref_qtensor *sdn, const float *y, qref_error *err)
{
    if (!d || !x || !ids || !wt || !gu || !dn || !y || (d->has_shared && (!sgu || !sdn)))
        return qref__fail(err, QREF_ERR_ARG, -1, -1, "moe_experts: a NULL argument");
    const int64_t lim = (int64_t)1 << 24;
    if (d->n_tokens < 1 || d->hidden < 1 || d->inter < 1 || d->n_experts < 1 || d->top_k < 1 ||
        d->n_tokens > lim || d->hidden > lim || d->inter > lim || d->n_experts > QREF_MOE_MAX_EXPERTS ||
        d->top_k > QREF_MOE_MAX_TOPK || (d->has_shared != 0 && d->has_shared != 1) ||
        (d->has_shared && (d->shared_inter < 1 || d->shared_inter > lim)))
        return qref__fail(err, QREF_ERR_SIZE, -1, -1,
                          "moe_experts: n_tokens %lld, hidden %lld, inter %lld, n_experts %d, top_k %d, "
                          "shared_inter %lld out of range",
                          (long long)d->n_tokens, (long long)d->hidden, (long long)d->inter, d->n_experts,
                          d->top_k, (long long)d->shared_inter);
    for (int e = 0; e < d->n_experts; e++)
        if (gu[e].rows != 2 * d->inter || gu[e].cols != d->hidden || dn[e].rows != d->hidden ||
            dn[e].cols != d->inter)
            return qref__fail(err, QREF_ERR_SIZE, -1, -1, "moe_experts: expert %d's tensors are not 2I x H and H x I",
                              e);
    if (d->has_shared && (sgu->rows != 2 * d->shared_inter || sgu->cols != d->hidden || sdn->rows != d->hidden ||
                          sdn->cols != d->shared_inter))
        return qref__fail(err, QREF_ERR_SIZE, -1, -1, "moe_experts: shared tensors are not 2Is x H and H x Is");
    for (int64_t i = 0; i < d->n_tokens * d->top_k; i++) {
        if (ids[i] < 0 || ids[i] >= d->n_experts)
            return qref__fail(err, QREF_ERR_DATA, i / d->top_k, -1, "moe_experts: ids[%lld][%lld] = %d not in [0, %d)",
                              (long long)(i / d->top_k), (long long)(i % d->top_k), ids[i], d->n_experts);
        if ((qref_f32_bits(wt[i]) & 0x7F800000u) == 0x7F800000u)
            return qref__fail(err, QREF_ERR_DATA, i / d->top_k, -1, "moe_experts: weight [%lld][%lld] not finite",
                              (long long)(i / d->top_k), (long long)(i % d->top_k));
    }
    for (int64_t i = 0; i < d->n_tokens * d->hidden; i++)
        if ((qref_f32_bits(x[i]) & 0x7F800000u) == 0x7F800000u)
            return qref__fail(err, QREF_ERR_DATA, i / d->hidden, -1, "moe_experts: x[%lld][%lld] is not finite",
                              (long long)(i / d->hidden), (long long)(i % d->hidden));
    return QREF_OK;
}

qref_status qref_moe_experts(const qref_moe_experts_desc *d, const float *x, const int32_t *ids, const float *wt,
                             const qref_qtensor *gate_up, const qref_qtensor *down, const qref_qtensor *shared_gate_up,
                             const qref_qtensor *shared_down, float *y, float *bound, qref_error *err)
{
    qref_status st = check(d, x, ids, wt, gate_up, down, shared_gate_up, shared_down, y, err);
    if (st != QREF_OK)
        return st;
    const int64_t T = d->n_tokens, H = d->hidden, K = d->top_k, TK = T * K;
    const double u = U32;
    /* per (t, j): the expert's output and its bound; the shared expert's per t */
    float *D = malloc(sizeof *D * (size_t)(TK * H)), *SH = NULL, *A = malloc(sizeof *A * (size_t)(TK * H));
    float *De = malloc(sizeof *De * (size_t)(TK * H));   /* an expert gets up to T·K rows */
    double *BD = malloc(sizeof *BD * (size_t)(TK * H)), *BSH = NULL, *Be = malloc(sizeof *Be * (size_t)(TK * H));
    int64_t *rows = malloc(sizeof *rows * (size_t)TK);
    if (d->has_shared) {
        SH = malloc(sizeof *SH * (size_t)(T * H));
        BSH = malloc(sizeof *BSH * (size_t)(T * H));
    }
    if (!D || !A || !De || !BD || !Be || !rows || (d->has_shared && (!SH || !BSH))) {
        st = qref__fail(err, QREF_ERR_SIZE, -1, -1, "moe_experts: out of memory");
        goto done;
    }
    for (int e = 0; e < d->n_experts && st == QREF_OK; e++) {
        int64_t M = 0;
        for (int64_t i = 0; i < TK; i++)
            if (ids[i] == e) {
                memcpy(&A[M * H], &x[(i / K) * H], sizeof *A * (size_t)H);
                rows[M++] = i;
            }
        if (!M)
            continue;   /* an expert no token chose: nothing to compute */
        if ((st = ffn(A, M, H, d->inter, &gate_up[e], &down[e], De, Be, err)) != QREF_OK) {
            if (err) {
                char m0[sizeof err->msg];
                memcpy(m0, err->msg, sizeof m0);
                snprintf(err->msg, sizeof err->msg, "moe_experts expert %d: %.200s", e, m0);
            }
            break;
        }
        for (int64_t m = 0; m < M; m++) {
            memcpy(&D[rows[m] * H], &De[m * H], sizeof *D * (size_t)H);
            memcpy(&BD[rows[m] * H], &Be[m * H], sizeof *BD * (size_t)H);
        }
    }
    if (st == QREF_OK && d->has_shared)
        st = ffn(x, T, H, d->shared_inter, shared_gate_up, shared_down, SH, BSH, err);
    if (st != QREF_OK)
        goto done;
    for (int64_t t = 0; t < T; t++)
        for (int64_t h = 0; h < H; h++) {
            double s = 0.0, B = 0.0, S = 0.0;
            for (int64_t j = 0; j < K; j++) {
                double w = wt[t * K + j], dv = D[(t * K + j) * H + h], bd = BD[(t * K + j) * H + h];
                s += w * dv;
                B += qref_fabs(w) * bd;
                S += qref_fabs(w) * (qref_fabs(dv) + bd);
            }
            if (d->has_shared) {
                double sv = SH[t * H + h], bs = BSH[t * H + h];
                s += sv;
                B += bs;
                S += qref_fabs(sv) + bs;
            }
            y[t * H + h] = (float)s;
            if (bound) {
                double by = B + gam((double)K + 3) * S + u * qref_fabs(s) + 0x1p-126 * (double)(K + 2) +
                            (double)(K + 2) * 0x1p-52 * S;   /* the double sum's own error */
                bound[t * H + h] = round_up_f32(by * (1 + 0x1p-30));
            }
        }
done:
    free(D), free(SH), free(A), free(De), free(BD), free(BSH), free(Be), free(rows);
    return st;
}
