/* The reference attention (qref/attention.h has the contract and the
 * bound). One pass per (KV head, query head, query row): the visible keys
 * are listed, their logits formed in double from the exact K values, the
 * weights w_j = exp(s_j − M) by qref_exp, and y = Σ w·V / Σ w in double —
 * then rounded once. The bound of each element is evaluated from the same
 * quantities (A_j, c_j, w_j, |v − y|) in the same pass. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attention_impl.h"
#include "qref/bits.h"
#include "qref/mathx.h"

#define U32 (1.0 / 16777216.0)   /* 2^-24: float32 unit roundoff */

static double fabs_d(double x) { return x < 0 ? -x : x; }
static double gam(double k) { return k * U32 / (1.0 - k * U32); }

/* x >= 0 (or +inf) rounded up to float32, after a 2^-40 relative margin
 * for the double evaluation of the bound itself. */
static float round_up_f32(double x)
{
    if (!(x < 3.4e38))
        return qref_f32_from_bits(0x7F800000u);
    x = x * (1.0 + 0x1p-40);
    float f = (float)x;
    if ((double)f < x)
        f = qref_f32_from_bits(qref_f32_bits(f) + 1u);
    return f;
}

static double out_unit(qref_fmt f) { return f == QREF_FMT_F16 ? 0x1p-11 : f == QREF_FMT_BF16 ? 0x1p-8 : 0x1p-24; }

static void store_y(qref_fmt f, void *y, int64_t i, double v)
{
    if (f == QREF_FMT_F32)
        ((float *)y)[i] = (float)v;
    else if (f == QREF_FMT_F16)
        ((uint16_t *)y)[i] = qref_round2_to_f16(v, 0.0);
    else
        ((uint16_t *)y)[i] = qref_round2_to_bf16(v, 0.0);
}

typedef struct scratch {
    int64_t *row;          /* cache row of visible key number k */
    int64_t *key;          /* its key index j */
    double *s, *A, *w, *eta, *rho, *sorted;
    double *qd;            /* the query row as doubles */
} scratch;

/* Per map (softmax), over the n visible keys of one query row. */
typedef struct map_out {
    double M, L;           /* max logit, Σ w */
    double *y;             /* [dv], y before rounding */
    double *e;             /* [dv] e' of the bound (NULL: no bound) */
    double *t2;            /* [dv] scratch of the bound */
    double lse, lse_e;
} map_out;

static int cmp_desc(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? 1 : a > b ? -1 : 0;
}

/* Keys of sorted (descending) strictly greater than t. */
static int64_t count_greater(const double *sorted, int64_t n, double t)
{
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (sorted[mid] > t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void map_eval(const qref_attention *a, scratch *sc, int64_t n, int64_t c0, int64_t dq, const double *khi,
                     const double *klo, const double *vhi, const double *vlo, double E, map_out *mo)
{
    int64_t d = a->d, dv = a->dv;
    double scale = a->scale, M = -1.0 / 0.0;
    const double *q = sc->qd + c0;
    for (int64_t k = 0; k < n; k++) {
        const double *kh = khi + sc->row[k] * d + c0, *kl = klo + sc->row[k] * d + c0;
        double dot = 0, dl = 0, ab = 0;
        for (int64_t c = 0; c < dq; c++) {
            dot += q[c] * kh[c];
            dl += q[c] * kl[c];
            ab += fabs_d(q[c]) * (fabs_d(kh[c]) + fabs_d(kl[c]));
        }
        sc->s[k] = scale * (dot + dl);
        sc->A[k] = fabs_d(scale) * ab;
        if (sc->s[k] > M)
            M = sc->s[k];
    }
    double L = 0;
    for (int64_t k = 0; k < n; k++) {
        sc->w[k] = qref_exp(sc->s[k] - M);
        L += sc->w[k];
    }
    /* keys outer, columns inner (contiguous V rows); each column's sum is
     * still formed in key order */
    for (int64_t c = 0; c < dv; c++)
        mo->y[c] = 0;
    for (int64_t k = 0; k < n; k++) {
        const double *vh = vhi + sc->row[k] * dv, *vl = vlo + sc->row[k] * dv;
        double w = sc->w[k];
        for (int64_t c = 0; c < dv; c++)
            mo->y[c] += w * (vh[c] + vl[c]);
    }
    for (int64_t c = 0; c < dv; c++)
        mo->y[c] /= L;
    mo->M = M;
    mo->L = L;
    mo->lse = M + qref_log(L);
    if (!mo->e)
        return;

    /* ---- the bound ---- */
    double eta_max = 0, gd = gam((double)(dq + 6));
    for (int64_t k = 0; k < n; k++) {
        sc->eta[k] = gd * sc->A[k] + 4.0 * U32 * (fabs_d(sc->s[k]) + fabs_d(M));
        if (sc->eta[k] > eta_max)
            eta_max = sc->eta[k];
        sc->sorted[k] = sc->s[k];
    }
    qsort(sc->sorted, (size_t)n, sizeof(double), cmp_desc);
    double Lm = 0, Lp = 0, rho_max = 0;
    for (int64_t k = 0; k < n; k++) {
        int64_t cj = count_greater(sc->sorted, n, sc->s[k] - 2.0 * eta_max);
        double x = sc->eta[k] + (double)(cj + 2) * E;
        sc->rho[k] = (qref_exp(x) - 1.0) * (1.0 + 0x1p-20) + 0x1p-50;
        /* reuse A[] for g_j: roundings a term of Σw or Σw·v sees */
        sc->A[k] = gam((double)(n + cj + 6));
        Lm += sc->w[k] * (1.0 - sc->rho[k]) - sc->A[k] * sc->w[k] * (1.0 + sc->rho[k]);
        Lp += sc->w[k] * (1.0 + sc->rho[k]) * (1.0 + sc->A[k]);
        if (sc->rho[k] > rho_max)
            rho_max = sc->rho[k];
    }
    /* T1 and T2 per column, keys outer (contiguous V rows). T2 splits as
     * Σ g w (1+ρ)(|v| + |y|) + (T1/Lm)·Σ g w (1+ρ). mo->e holds T1 first. */
    double G = 0;
    for (int64_t c = 0; c < dv; c++)
        mo->e[c] = 0;
    for (int64_t k = 0; k < n; k++) {
        const double *vh = vhi + sc->row[k] * dv, *vl = vlo + sc->row[k] * dv;
        double wr = sc->w[k] * sc->rho[k];
        for (int64_t c = 0; c < dv; c++) {
            double v = vh[c] + vl[c];
            mo->e[c] += wr * fabs_d(v - mo->y[c]) + 0x1p-125 * (fabs_d(v) + fabs_d(mo->y[c]) + 1.0);
        }
        G += sc->A[k] * sc->w[k] * (1.0 + sc->rho[k]);
    }
    for (int64_t c = 0; c < dv; c++)
        mo->t2[c] = 0;
    for (int64_t k = 0; k < n; k++) {
        const double *vh = vhi + sc->row[k] * dv, *vl = vlo + sc->row[k] * dv;
        double gw = sc->A[k] * sc->w[k] * (1.0 + sc->rho[k]);
        for (int64_t c = 0; c < dv; c++)
            mo->t2[c] += gw * (fabs_d(vh[c] + vl[c]) + fabs_d(mo->y[c]));
    }
    for (int64_t c = 0; c < dv; c++) {
        if (!(Lm > 0)) {
            mo->e[c] = 1.0 / 0.0;
            continue;
        }
        double ay = fabs_d(mo->y[c]), t1 = mo->e[c];
        double e = (t1 + mo->t2[c] + G * (t1 / Lm)) / Lm;
        mo->e[c] = e + U32 * (ay + e);
    }
    /* lse: log of Σŵ within [Lm, Lp] relative to L, the log's own error
     * (E relative) and the roundings of M + log l. */
    double D = 0;
    if (Lm > 0) {
        double d1 = qref_log(Lp / L), d2 = -qref_log(Lm / L);
        D = (d1 > d2 ? d1 : d2) * (1.0 + 0x1p-20) + 0x1p-50;
    } else {
        D = 1.0 / 0.0;
    }
    double lg = fabs_d(qref_log(L));
    mo->lse_e = D + (E + 2 * U32) * (lg + D) + 2 * U32 * (fabs_d(M) + fabs_d(mo->lse) + D);
    (void)rho_max;
}

typedef struct head_bufs {
    double *khi, *klo, *vhi, *vlo;
} head_bufs;

static void free_all(scratch *sc, head_bufs *hb, double *y1, double *y2, double *e1, double *e2)
{
    free(sc->row);
    free(sc->key);
    free(sc->s);
    free(sc->A);
    free(sc->w);
    free(sc->eta);
    free(sc->rho);
    free(sc->sorted);
    free(sc->qd);
    free(hb->khi);
    free(hb->klo);
    free(hb->vhi);
    free(hb->vlo);
    free(y1);
    free(y2);
    free(e1);
    free(e2);
}

static qref_status oom(qref_error *err)
{
    if (err) {
        err->row = err->block = -1;
        snprintf(err->msg, sizeof err->msg, "attention: out of memory");
    }
    return QREF_ERR_SIZE;
}

/* Lists the visible keys of row i of batch b. */
static int64_t list_visible(const qref_attention *a, const qref_attn_io *io, int64_t b, int64_t i, scratch *sc)
{
    int64_t n = 0;
    for (int64_t j = 0; j < a->seq_kv; j++)
        if (qref_attention_visible(a, io->tree_mask, b, i, j)) {
            sc->key[n] = j;
            sc->row[n] = qref_attn_cache_row(a, io->block_table, b, j);
            n++;
        }
    return n;
}

qref_status qref_attention_run(const qref_attention *a, const qref_attn_io *io, qref_error *err)
{
    qref_status st = qref_attention_check(a, io, err);
    if (st != QREF_OK)
        return st;
    int64_t R = qref_attention_cache_rows(a), n_kv = a->seq_kv, d = a->d, dv = a->dv;
    int64_t group = a->q_heads / a->kv_heads;
    double E = (double)(io->exp_ulps ? io->exp_ulps : 2) * 0x1p-23;
    double uo = out_unit(io->out_dtype);
    int want_bound = io->bound_y || io->bound_lse || io->bound_probs;
    scratch sc = { 0 };
    head_bufs hb = { 0 };
    size_t nk = (size_t)n_kv;
    sc.row = malloc(nk * sizeof(int64_t));
    sc.key = malloc(nk * sizeof(int64_t));
    sc.s = malloc(nk * sizeof(double));
    sc.A = malloc(nk * sizeof(double));
    sc.w = malloc(nk * sizeof(double));
    sc.eta = malloc(nk * sizeof(double));
    sc.rho = malloc(nk * sizeof(double));
    sc.sorted = malloc(nk * sizeof(double));
    sc.qd = malloc((size_t)d * sizeof(double));
    hb.khi = malloc((size_t)(R * d) * sizeof(double));
    hb.klo = malloc((size_t)(R * d) * sizeof(double));
    hb.vhi = malloc((size_t)(R * dv) * sizeof(double));
    hb.vlo = malloc((size_t)(R * dv) * sizeof(double));
    double *y1 = malloc((size_t)dv * sizeof(double)), *y2 = malloc((size_t)dv * sizeof(double));
    double *e1 = malloc((size_t)dv * sizeof(double)), *e2 = malloc((size_t)dv * sizeof(double));
    double *t2s = malloc((size_t)dv * sizeof(double));
    if (!t2s || !sc.row || !sc.key || !sc.s || !sc.A || !sc.w || !sc.eta || !sc.rho || !sc.sorted || !sc.qd || !hb.khi ||
        !hb.klo || !hb.vhi || !hb.vlo || !y1 || !y2 || !e1 || !e2) {
        free_all(&sc, &hb, y1, y2, e1, e2);
        free(t2s);
        return oom(err);
    }
    for (int64_t g = 0; g < a->kv_heads && st == QREF_OK; g++) {
        st = qref_attn_head_load(a, &io->k, d, g, hb.khi, hb.klo, err);
        if (st == QREF_OK)
            st = qref_attn_head_load(a, &io->v, dv, g, hb.vhi, hb.vlo, err);
        for (int64_t b = 0; b < a->batch && st == QREF_OK; b++)
            for (int64_t h = g * group; h < (g + 1) * group; h++)
                for (int64_t i = 0; i < a->seq_q; i++) {
                    int64_t r = (b * a->q_heads + h) * a->seq_q + i;
                    const float *qr = io->q + r * d;
                    for (int64_t c = 0; c < d; c++)
                        sc.qd[c] = qr[c];
                    int64_t n = list_visible(a, io, b, i, &sc);
                    if (io->probs)
                        for (int64_t j = 0; j < n_kv; j++)
                            io->probs[r * n_kv + j] = 0.0f;
                    if (io->probs_exact)
                        for (int64_t j = 0; j < n_kv; j++)
                            io->probs_exact[r * n_kv + j] = 0.0;
                    if (io->bound_probs)
                        for (int64_t j = 0; j < n_kv; j++)
                            io->bound_probs[r * n_kv + j] = 0.0f;
                    if (n == 0) {   /* fully masked: y = +0, lse = -inf, bound 0 */
                        for (int64_t c = 0; c < dv; c++) {
                            store_y(io->out_dtype, io->y, r * dv + c, 0.0);
                            if (io->y_exact)
                                io->y_exact[r * dv + c] = 0.0;
                            if (io->bound_y)
                                io->bound_y[r * dv + c] = 0.0f;
                        }
                        if (io->lse)
                            io->lse[r] = qref_f32_from_bits(0xFF800000u);
                        if (io->bound_lse)
                            io->bound_lse[r] = 0.0f;
                        continue;
                    }
                    map_out m1 = { .y = y1, .e = want_bound ? e1 : NULL, .t2 = t2s };
                    int64_t dq = a->diff ? d / 2 : d;
                    map_eval(a, &sc, n, 0, dq, hb.khi, hb.klo, hb.vhi, hb.vlo, E, &m1);
                    if (!a->diff) {
                        for (int64_t c = 0; c < dv; c++) {
                            store_y(io->out_dtype, io->y, r * dv + c, y1[c]);
                            if (io->y_exact)
                                io->y_exact[r * dv + c] = y1[c];
                            if (io->bound_y)
                                io->bound_y[r * dv + c] =
                                    round_up_f32(e1[c] + 2.0 * uo * (fabs_d(y1[c]) + e1[c]));
                        }
                        if (io->lse)
                            io->lse[r] = (float)m1.lse;
                        if (io->bound_lse)
                            io->bound_lse[r] = round_up_f32(m1.lse_e);
                        if (io->probs || io->probs_exact || io->bound_probs)
                            for (int64_t k = 0; k < n; k++) {
                                int64_t j = sc.key[k];
                                double p = sc.w[k] / m1.L;
                                if (io->probs)
                                    io->probs[r * n_kv + j] = (float)p;
                                if (io->probs_exact)
                                    io->probs_exact[r * n_kv + j] = p;
                            }
                        if (io->bound_probs) {
                            /* p̂ = ŵ/L̂ with ŵ in w[1 ± ρ], L̂ in [Lm, Lp] (map_eval's
                             * sums, recomputed here from rho[] and A[] = g_j) */
                            double Lm = 0, Lp = 0;
                            for (int64_t k = 0; k < n; k++) {
                                Lm += sc.w[k] * (1.0 - sc.rho[k]) - sc.A[k] * sc.w[k] * (1.0 + sc.rho[k]);
                                Lp += sc.w[k] * (1.0 + sc.rho[k]) * (1.0 + sc.A[k]);
                            }
                            for (int64_t k = 0; k < n; k++) {
                                double p = sc.w[k] / m1.L;
                                double hi = Lm > 0 ? sc.w[k] * (1.0 + sc.rho[k]) * (1.0 + U32) / Lm : 1.0 / 0.0;
                                double lo = sc.w[k] * (1.0 - sc.rho[k]) * (1.0 - U32) / Lp;
                                double e = hi - p > p - lo ? hi - p : p - lo;
                                io->bound_probs[r * n_kv + sc.key[k]] =
                                    round_up_f32(e + 2.0 * U32 * (p + e) + 0x1p-125);
                            }
                        }
                        continue;
                    }
                    map_out m2 = { .y = y2, .e = want_bound ? e2 : NULL, .t2 = t2s };
                    map_eval(a, &sc, n, dq, dq, hb.khi, hb.klo, hb.vhi, hb.vlo, E, &m2);
                    double lam = a->lambda, al = fabs_d(lam);
                    for (int64_t c = 0; c < dv; c++) {
                        double y = y1[c] - lam * y2[c];
                        store_y(io->out_dtype, io->y, r * dv + c, y);
                        if (io->y_exact)
                            io->y_exact[r * dv + c] = y;
                        if (io->bound_y) {
                            double e = e1[c] + al * (e2[c] + U32 * fabs_d(y2[c]));
                            e += U32 * (fabs_d(y) + e);
                            io->bound_y[r * dv + c] = round_up_f32(e + 2.0 * uo * (fabs_d(y) + e));
                        }
                    }
                }
    }
    free_all(&sc, &hb, y1, y2, e1, e2);
    free(t2s);
    return st;
}

qref_status qref_attention_partials(const qref_attention *a, const qref_attn_io *io, double *m, double *l,
                                    double *o, qref_error *err)
{
    qref_status st = qref_attention_check(a, io, err);
    if (st != QREF_OK)
        return st;
    if (a->diff) {
        if (err) {
            err->row = err->block = -1;
            snprintf(err->msg, sizeof err->msg, "attention: no partials for differential attention");
        }
        return QREF_ERR_UNSUPPORTED;
    }
    int64_t R = qref_attention_cache_rows(a), d = a->d, dv = a->dv, P = a->splits;
    int64_t group = a->q_heads / a->kv_heads, chunk = (a->seq_kv + P - 1) / P;
    head_bufs hb = { 0 };
    scratch sc = { 0 };
    hb.khi = malloc((size_t)(R * d) * sizeof(double));
    hb.klo = malloc((size_t)(R * d) * sizeof(double));
    hb.vhi = malloc((size_t)(R * dv) * sizeof(double));
    hb.vlo = malloc((size_t)(R * dv) * sizeof(double));
    if (!hb.khi || !hb.klo || !hb.vhi || !hb.vlo) {
        free_all(&sc, &hb, NULL, NULL, NULL, NULL);
        return oom(err);
    }
    for (int64_t g = 0; g < a->kv_heads && st == QREF_OK; g++) {
        st = qref_attn_head_load(a, &io->k, d, g, hb.khi, hb.klo, err);
        if (st == QREF_OK)
            st = qref_attn_head_load(a, &io->v, dv, g, hb.vhi, hb.vlo, err);
        for (int64_t b = 0; b < a->batch && st == QREF_OK; b++)
            for (int64_t h = g * group; h < (g + 1) * group; h++)
                for (int64_t i = 0; i < a->seq_q; i++) {
                    int64_t r = (b * a->q_heads + h) * a->seq_q + i;
                    const float *q = io->q + r * d;
                    for (int64_t p = 0; p < P; p++) {
                        double M = -1.0 / 0.0, L = 0;
                        double *op = o + (r * P + p) * dv;
                        for (int64_t c = 0; c < dv; c++)
                            op[c] = 0;
                        int64_t j1 = (p + 1) * chunk < a->seq_kv ? (p + 1) * chunk : a->seq_kv;
                        for (int pass = 0; pass < 2; pass++)
                            for (int64_t j = p * chunk; j < j1; j++) {
                                if (!qref_attention_visible(a, io->tree_mask, b, i, j))
                                    continue;
                                int64_t cr = qref_attn_cache_row(a, io->block_table, b, j);
                                double dot = 0, dl = 0;
                                for (int64_t c = 0; c < d; c++) {
                                    dot += q[c] * hb.khi[cr * d + c];
                                    dl += q[c] * hb.klo[cr * d + c];
                                }
                                double s = (double)a->scale * (dot + dl);
                                if (pass == 0) {
                                    if (s > M)
                                        M = s;
                                    continue;
                                }
                                double w = qref_exp(s - M);
                                L += w;
                                for (int64_t c = 0; c < dv; c++)
                                    op[c] += w * (hb.vhi[cr * dv + c] + hb.vlo[cr * dv + c]);
                            }
                        m[r * P + p] = M;
                        l[r * P + p] = L;
                    }
                }
    }
    free_all(&sc, &hb, NULL, NULL, NULL, NULL);
    return st;
}

void qref_attention_reduce(int64_t rows, int64_t splits, int64_t dv, const double *m, const double *l,
                           const double *o, double *y, double *lse)
{
    for (int64_t r = 0; r < rows; r++) {
        double M = -1.0 / 0.0, L = 0;
        for (int64_t p = 0; p < splits; p++)
            if (m[r * splits + p] > M)
                M = m[r * splits + p];
        for (int64_t c = 0; c < dv; c++)
            y[r * dv + c] = 0;
        if (M == -1.0 / 0.0) {
            if (lse)
                lse[r] = M;
            continue;
        }
        for (int64_t p = 0; p < splits; p++) {
            double mp = m[r * splits + p];
            if (mp == -1.0 / 0.0)
                continue;
            double f = qref_exp(mp - M);
            L += f * l[r * splits + p];
            for (int64_t c = 0; c < dv; c++)
                y[r * dv + c] += f * o[(r * splits + p) * dv + c];
        }
        for (int64_t c = 0; c < dv; c++)
            y[r * dv + c] /= L;
        if (lse)
            lse[r] = M + qref_log(L);
    }
}
