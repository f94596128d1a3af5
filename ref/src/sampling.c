/* The sampling op's reference: steps 1..9 of qref/sampling.h. The
 * admissible set (the interval-aware verdict) is in sampling_admit.c. */
#include "qref/sampling.h"

#include <stdlib.h>
#include <string.h>

#include "qref/mathx.h"
#include "sampling_impl.h"

static int finite_f(float x) { return x - x == 0.0f; }

qref_status qref_sampling_params_check(const qref_sampling_params *p)
{
    if (!p || p->vocab < 1 || p->hist_len < 0 || p->top_k < 0)
        return QREF_ERR_ARG;
    if (!finite_f(p->temperature) || p->temperature < 0)
        return QREF_ERR_ARG;
    if (!finite_f(p->rep_penalty) || !(p->rep_penalty > 0))
        return QREF_ERR_ARG;
    if (!finite_f(p->presence_penalty) || !finite_f(p->freq_penalty))
        return QREF_ERR_ARG;
    if (!(p->top_p >= 0 && p->top_p <= 1) || !(p->min_p >= 0 && p->min_p <= 1))
        return QREF_ERR_ARG;
    return QREF_OK;
}

qref_status qref_sampling_penalize(const qref_sampling_params *p, const float *logits, const int32_t *hist,
                                   float *lp, int32_t *counts)
{
    if (!p || !logits || !lp || (p->hist_len > 0 && !hist))
        return QREF_ERR_ARG;
    int32_t V = p->vocab;
    int32_t *own = NULL;
    if (!counts && p->hist_len > 0) {
        own = calloc((size_t)V, sizeof *own);
        if (!own)
            return QREF_ERR_ARG;
        counts = own;
    } else if (counts) {
        memset(counts, 0, (size_t)V * sizeof *counts);
    }
    for (int32_t h = 0; h < p->hist_len; h++) {
        if (hist[h] >= V) {
            free(own);
            return QREF_ERR_DATA;
        }
        if (hist[h] >= 0)
            counts[hist[h]]++;
    }
    for (int32_t t = 0; t < V; t++) {
        float l = logits[t];
        if (p->hist_len > 0 && counts[t] > 0) {
            l = l > 0 ? l / p->rep_penalty : l * p->rep_penalty;
            float pen = (float)counts[t] * p->freq_penalty;
            pen = pen + p->presence_penalty;
            l = l - pen;
        }
        lp[t] = l;
    }
    free(own);
    return QREF_OK;
}

static qref_status row_impl(const qref_sampling_params *p, const float *logits, const int32_t *hist, float u,
                            int32_t *token, double *probs, uint8_t *admit, double *probs_bound, int *certain);

/* Order (l desc, index asc): the order of top-k and top-p. */
static int by_logit_desc(const void *a, const void *b)
{
    const sampling_key *x = a, *y = b;
    if (x->l != y->l)
        return x->l > y->l ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

qref_status qref_sampling_row(const qref_sampling_params *p, const float *logits, const int32_t *hist, float u,
                              int32_t *token, double *probs, uint8_t *admit)
{
    return qref_sampling_row_ex(p, logits, hist, u, token, probs, admit, NULL, NULL);
}

qref_status qref_sampling_row_ex(const qref_sampling_params *p, const float *logits, const int32_t *hist, float u,
                                 int32_t *token, double *probs, uint8_t *admit, double *probs_bound, int *certain)
{
    uint8_t *own_admit = NULL;
    if (probs_bound && !admit) {
        own_admit = malloc(p && p->vocab > 0 ? (size_t)p->vocab : 1);
        if (!own_admit)
            return QREF_ERR_ARG;
        admit = own_admit;
    }
    qref_status st = row_impl(p, logits, hist, u, token, probs, admit, probs_bound, certain);
    free(own_admit);
    return st;
}

static qref_status row_impl(const qref_sampling_params *p, const float *logits, const int32_t *hist, float u,
                            int32_t *token, double *probs, uint8_t *admit, double *probs_bound, int *certain)
{
    if (!token || qref_sampling_params_check(p) != QREF_OK || !logits)
        return QREF_ERR_ARG;
    if (!(u >= 0.0f && u < 1.0f))
        return QREF_ERR_ARG;
    int32_t V = p->vocab;
    for (int32_t t = 0; t < V; t++)
        if (logits[t] != logits[t] || logits[t] > 3.4028234663852886e38f)
            return QREF_ERR_DATA;
    sampling_work w;
    memset(&w, 0, sizeof w);
    qref_status st = sampling_work_alloc(&w, V);
    if (st != QREF_OK)
        return st;
    st = qref_sampling_penalize(p, logits, hist, w.lp, w.counts);
    for (int32_t t = 0; st == QREF_OK && t < V; t++)
        if (!(w.lp[t] <= 3.4028234663852886e38f))   /* overflowed to +inf (or NaN) */
            st = QREF_ERR_DATA;
    if (st != QREF_OK) {
        sampling_work_free(&w);
        return st;
    }
    /* argmax: lowest index among equal maxima */
    int32_t amax = 0;
    for (int32_t t = 1; t < V; t++)
        if (w.lp[t] > w.lp[amax])
            amax = t;
    float lmax = w.lp[amax];
    if (p->temperature == 0 || lmax == -1.0f / 0.0f) {
        *token = amax;
        if (probs) {
            memset(probs, 0, (size_t)V * sizeof *probs);
            probs[amax] = 1;
        }
        if (admit) {
            memset(admit, 0, (size_t)V);
            admit[amax] = 1;
        }
        if (probs_bound)
            memset(probs_bound, 0, (size_t)V * sizeof *probs_bound);
        if (certain)
            *certain = 1;
        sampling_work_free(&w);
        return QREF_OK;
    }
    w.lmax = lmax;
    w.T = p->temperature;
    for (int32_t t = 0; t < V; t++)
        w.key[t] = (sampling_key){ w.lp[t], t };
    qsort(w.key, (size_t)V, sizeof *w.key, by_logit_desc);
    w.nk = (p->top_k > 0 && p->top_k < V) ? p->top_k : V;
    for (int32_t j = 0; j < V; j++)
        w.e[j] = 0;
    double Z = 0;
    for (int32_t j = 0; j < w.nk; j++) {
        int32_t t = w.key[j].i;
        w.e[t] = qref_exp(((double)w.lp[t] - (double)lmax) / (double)w.T);
        Z += w.e[t];
    }
    /* top-p: the shortest prefix (sorted order) reaching top_p * Z */
    w.cut = w.nk - 1;
    if (p->top_p < 1) {
        double S = 0, thr = (double)p->top_p * Z;
        for (int32_t j = 0; j < w.nk; j++) {
            S += w.e[w.key[j].i];
            if (S >= thr) {
                w.cut = j;
                break;
            }
        }
    }
    for (int32_t j = 0; j <= w.cut; j++) {
        int32_t t = w.key[j].i;
        w.kept[t] = p->min_p > 0 ? (w.e[t] >= (double)p->min_p) : 1;
    }
    /* renormalise and draw, index order */
    double Zk = 0;
    for (int32_t t = 0; t < V; t++)
        if (w.kept[t])
            Zk += w.e[t];
    double C = 0;
    int32_t tok = -1, last = amax;
    for (int32_t t = 0; t < V; t++) {
        double q = w.kept[t] ? w.e[t] / Zk : 0;
        if (probs)
            probs[t] = q;
        if (q > 0) {
            last = t;
            C += q;
            if (tok < 0 && (double)u < C)
                tok = t;
        }
    }
    *token = tok >= 0 ? tok : last;
    if (admit)
        sampling_admissible(p, &w, u, admit, probs_bound, certain);
    sampling_work_free(&w);
    return QREF_OK;
}
