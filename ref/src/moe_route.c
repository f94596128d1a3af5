/* The reference MoE router (qref/moe.h has the contract, the error model
 * and the margin): scores in double with qref_exp / qref_sigmoid, exact
 * comparisons with the lowest-index tie rule, weights and aux loss rounded
 * once to float32, bounds from the stated error model. */
#include <stdlib.h>
#include <string.h>

#include "qref/bits.h"
#include "qref/mathx.h"
#include "qref/moe.h"
#include "scheme_impl.h"

#define U32 0x1p-24

static double gam(double n) { return n * U32 / (1.0 - n * U32); }

static float round_up_f32(double x)
{
    float f = (float)x;
    if ((double)f < x)
        f = qref_f32_from_bits(qref_f32_bits(f) + 1);
    return f;
}

qref_status qref_moe_route_check(const qref_moe_route_desc *d, qref_error *err)
{
    if (!d)
        return qref__fail(err, QREF_ERR_ARG, -1, -1, "moe_route: no descriptor");
    if (d->n_tokens < 1 || d->n_tokens > ((int64_t)1 << 24))
        return qref__fail(err, QREF_ERR_SIZE, -1, -1, "moe_route: n_tokens %lld must be in [1, 2^24]",
                          (long long)d->n_tokens);
    if (d->n_experts < 1 || d->n_experts > QREF_MOE_MAX_EXPERTS)
        return qref__fail(err, QREF_ERR_SIZE, -1, -1, "moe_route: n_experts %d must be in [1, %d]", d->n_experts,
                          QREF_MOE_MAX_EXPERTS);
    if (d->scoring != QREF_MOE_SOFTMAX && d->scoring != QREF_MOE_SIGMOID)
        return qref__fail(err, QREF_ERR_ARG, -1, -1, "moe_route: scoring %d must be 0 (softmax) or 1 (sigmoid)",
                          d->scoring);
    if (d->n_group < 1 || d->n_group > d->n_experts || d->n_experts % d->n_group)
        return qref__fail(err, QREF_ERR_SIZE, -1, -1, "moe_route: n_group %d must divide n_experts %d",
                          d->n_group, d->n_experts);
    if (d->topk_group < 1 || d->topk_group > d->n_group)
        return qref__fail(err, QREF_ERR_SIZE, -1, -1, "moe_route: topk_group %d must be in [1, n_group %d]",
                          d->topk_group, d->n_group);
    int64_t selectable = (int64_t)d->topk_group * (d->n_experts / d->n_group);
    if (d->top_k < 1 || d->top_k > QREF_MOE_MAX_TOPK || d->top_k > selectable)
        return qref__fail(err, QREF_ERR_SIZE, -1, -1,
                          "moe_route: top_k %d must be in [1, min(%d, topk_group x group size = %lld)]", d->top_k,
                          QREF_MOE_MAX_TOPK, (long long)selectable);
    if ((d->renorm != 0 && d->renorm != 1) || (d->has_bias != 0 && d->has_bias != 1))
        return qref__fail(err, QREF_ERR_ARG, -1, -1, "moe_route: renorm and has_bias must be 0 or 1");
    uint32_t rb = qref_f32_bits(d->routed_scale), ab = qref_f32_bits(d->aux_alpha);
    if ((rb & 0x7F800000u) == 0x7F800000u || !(d->routed_scale > 0.0f))
        return qref__fail(err, QREF_ERR_ARG, -1, -1, "moe_route: routed_scale must be finite and > 0");
    if ((ab & 0x7F800000u) == 0x7F800000u || !(d->aux_alpha >= 0.0f))
        return qref__fail(err, QREF_ERR_ARG, -1, -1, "moe_route: aux_alpha must be finite and >= 0");
    return QREF_OK;
}

/* One token's scores: s, c, and the group / expert selection. */
typedef struct tok {
    int E, K, ng, gs;
    double *s, *c, *g;     /* E, E, ng */
    int *gorder;           /* groups by (score desc, index asc): ng */
    unsigned char *allow;  /* E */
    int *order;            /* first K+1 selectable experts by (c desc, index asc) */
    int n_order;
} tok;

static int tok_alloc(tok *k, const qref_moe_route_desc *d)
{
    k->E = d->n_experts, k->K = d->top_k, k->ng = d->n_group, k->gs = d->n_experts / d->n_group;
    k->s = malloc(sizeof(double) * (size_t)k->E);
    k->c = malloc(sizeof(double) * (size_t)k->E);
    k->g = malloc(sizeof(double) * (size_t)k->ng);
    k->gorder = malloc(sizeof(int) * (size_t)k->ng);
    k->allow = malloc((size_t)k->E);
    k->order = malloc(sizeof(int) * (size_t)(k->K + 1));
    return k->s && k->c && k->g && k->gorder && k->allow && k->order ? 0 : -1;
}

static void tok_free(tok *k)
{
    free(k->s), free(k->c), free(k->g), free(k->gorder), free(k->allow), free(k->order);
}

/* Scores and selection of the token whose logits are x (bias b or NULL). */
static void tok_eval(tok *k, const qref_moe_route_desc *d, const float *x, const float *b)
{
    int E = k->E;
    if (d->scoring == QREF_MOE_SOFTMAX) {
        double m = x[0], S = 0.0;
        for (int e = 1; e < E; e++)
            m = x[e] > m ? x[e] : m;
        for (int e = 0; e < E; e++)
            S += k->s[e] = qref_exp((double)x[e] - m);   /* x - m exact in double */
        for (int e = 0; e < E; e++)
            k->s[e] /= S;
    } else {
        for (int e = 0; e < E; e++)
            k->s[e] = qref_sigmoid((double)x[e]);
    }
    for (int e = 0; e < E; e++)
        k->c[e] = k->s[e] + (b ? (double)b[e] : 0.0);
    /* groups: the sum of the two largest c (one when the group has one) */
    memset(k->allow, 1, (size_t)E);
    if (k->ng > 1) {
        for (int g = 0; g < k->ng; g++) {
            const double *c = &k->c[g * k->gs];
            int i1 = 0;
            for (int i = 1; i < k->gs; i++)
                if (c[i] > c[i1])
                    i1 = i;
            double sum = c[i1];
            if (k->gs > 1) {
                int i2 = i1 == 0 ? 1 : 0;
                for (int i = 0; i < k->gs; i++)
                    if (i != i1 && c[i] > c[i2])
                        i2 = i;
                sum += c[i2];
            }
            k->g[g] = sum;
        }
        unsigned char *taken = calloc((size_t)k->ng, 1);
        for (int p = 0; p < k->ng; p++) {   /* selection sort: lowest index wins ties */
            int best = -1;
            for (int g = 0; g < k->ng; g++)
                if (!(taken ? taken[g] : 0) && (best < 0 || k->g[g] > k->g[best]))
                    best = g;
            k->gorder[p] = best;
            if (taken)
                taken[best] = 1;
        }
        free(taken);
        memset(k->allow, 0, (size_t)E);
        for (int p = 0; p < d->topk_group; p++)
            memset(&k->allow[k->gorder[p] * k->gs], 1, (size_t)k->gs);
    }
    /* the first K+1 selectable experts, c desc, lowest index first */
    unsigned char *taken = calloc((size_t)E, 1);
    k->n_order = 0;
    for (int p = 0; p <= k->K && taken; p++) {
        int best = -1;
        for (int e = 0; e < E; e++)
            if (k->allow[e] && !taken[e] && (best < 0 || k->c[e] > k->c[best]))
                best = e;
        if (best < 0)
            break;
        taken[best] = 1;
        k->order[k->n_order++] = best;
    }
    free(taken);
}

double qref_moe_route_eps_s(const qref_moe_route_desc *d, const float *logits, int64_t t)
{
    const double u = U32, ef = QREF_MOE_EPS_F;
    if (d->scoring == QREF_MOE_SIGMOID)
        return (1 + ef) * (1 + ef) * (1 + u) * (1 + u) * (1 + u) * (1 + u) - 1;
    const float *x = logits + t * d->n_experts;
    double R = 0.0;
    for (int e = 0; e < d->n_experts; e++)
        R = qref_fabs(x[e]) > R ? qref_fabs(x[e]) : R;
    R *= 2.0;
    double ee = (1 + ef) * (1 + u * R * (1 + u * R)) - 1;
    double sum = ee + gam(d->n_experts - 1) * (1 + ee);
    return (1 + ee) * (1 + u) * (1 + u) / (1 - sum) - 1;
}

static qref_status check_inputs(const qref_moe_route_desc *d, const float *logits, const float *bias, qref_error *err)
{
    for (int64_t i = 0; i < d->n_tokens * d->n_experts; i++) {
        uint32_t xb = qref_f32_bits(logits[i]);
        if ((xb & 0x7F800000u) == 0x7F800000u || qref_fabs(logits[i]) > QREF_MOE_MAX_LOGIT)
            return qref__fail(err, QREF_ERR_DATA, i / d->n_experts, -1,
                              "moe_route: logit of token %lld expert %lld is not finite or |x| > %g",
                              (long long)(i / d->n_experts), (long long)(i % d->n_experts), QREF_MOE_MAX_LOGIT);
    }
    if (d->has_bias)
        for (int e = 0; e < d->n_experts; e++)
            if ((qref_f32_bits(bias[e]) & 0x7F800000u) == 0x7F800000u)
                return qref__fail(err, QREF_ERR_DATA, -1, -1, "moe_route: bias of expert %d is not finite", e);
    return QREF_OK;
}

static int same_input(const qref_moe_route_desc *d, const float *x, const float *b, int e1, int e2)
{
    if (qref_f32_bits(x[e1]) != qref_f32_bits(x[e2]))
        return 0;
    return !d->has_bias || qref_f32_bits(b[e1]) == qref_f32_bits(b[e2]);
}

/* The two (logit, bias) pairs that make group g's score, bitwise, in order. */
static void group_top2(const tok *k, const float *x, const float *b, int g, uint64_t out[2])
{
    const double *c = &k->c[g * k->gs];
    int i1 = 0, i2 = -1;
    for (int i = 1; i < k->gs; i++)
        if (c[i] > c[i1])
            i1 = i;
    for (int i = 0; i < k->gs; i++)
        if (i != i1 && (i2 < 0 || c[i] > c[i2]))
            i2 = i;
    int e1 = g * k->gs + i1, e2 = i2 < 0 ? -1 : g * k->gs + i2;
    out[0] = ((uint64_t)qref_f32_bits(x[e1]) << 32) | (b ? qref_f32_bits(b[e1]) : 0);
    out[1] = e2 < 0 ? 0 : ((uint64_t)qref_f32_bits(x[e2]) << 32) | (b ? qref_f32_bits(b[e2]) : 0);
}

int qref_moe_route_token_ok(const qref_moe_route_desc *d, const float *logits, const float *bias, int64_t t)
{
    if (qref_moe_route_check(d, NULL) != QREF_OK || t < 0 || t >= d->n_tokens)
        return 0;
    const float *x = logits + t * d->n_experts, *b = d->has_bias ? bias : NULL;
    double es = qref_moe_route_eps_s(d, logits, t);
    if ((es + U32) * (1 + es) > QREF_MOE_TAU / 4)
        return 0;
    tok k;
    int ok = 1;
    if (tok_alloc(&k, d) != 0) {
        tok_free(&k);
        return 0;
    }
    tok_eval(&k, d, x, b);
    double mx = 0.0;
    for (int e = 0; e < k.E; e++) {
        double v = qref_fabs(k.s[e]) + (b ? qref_fabs(b[e]) : 0.0);
        mx = v > mx ? v : mx;
    }
    double M = QREF_MOE_TAU * mx;
    for (int p = 0; ok && p < k.K && p + 1 < k.n_order; p++) {
        int e1 = k.order[p], e2 = k.order[p + 1];
        if (!same_input(d, x, bias, e1, e2) && !(k.c[e1] - k.c[e2] > M))
            ok = 0;
    }
    for (int p = 0; ok && k.ng > 1 && p < d->topk_group && p + 1 < k.ng; p++) {
        int g1 = k.gorder[p], g2 = k.gorder[p + 1];
        uint64_t a[2], c[2];
        group_top2(&k, x, b, g1, a);
        group_top2(&k, x, b, g2, c);
        if (!(a[0] == c[0] && a[1] == c[1]) && !(k.g[g1] - k.g[g2] > 2 * M))
            ok = 0;
    }
    tok_free(&k);
    return ok;
}

qref_status qref_moe_route(const qref_moe_route_desc *d, const float *logits, const float *bias, int32_t *ids,
                           float *weights, float *aux, float *wbound, float *auxbound, qref_error *err)
{
    qref_status st = qref_moe_route_check(d, err);
    if (st != QREF_OK)
        return st;
    if (!logits || (d->has_bias && !bias) || !ids || !weights || !aux)
        return qref__fail(err, QREF_ERR_ARG, -1, -1, "moe_route: a NULL logits, bias, ids, weights or aux");
    if ((st = check_inputs(d, logits, bias, err)) != QREF_OK)
        return st;
    const int E = d->n_experts, K = d->top_k;
    const double u = U32, rho = d->routed_scale;
    tok k;
    double *P = calloc((size_t)E, sizeof *P);
    int64_t *cnt = calloc((size_t)E, sizeof *cnt);
    if (tok_alloc(&k, d) != 0 || !P || !cnt) {
        tok_free(&k);
        free(P), free(cnt);
        return qref__fail(err, QREF_ERR_SIZE, -1, -1, "moe_route: out of memory");
    }
    double eps_max = 0.0;
    for (int64_t t = 0; t < d->n_tokens; t++) {
        const float *x = logits + t * E;
        tok_eval(&k, d, x, d->has_bias ? bias : NULL);
        double es = qref_moe_route_eps_s(d, logits, t);
        eps_max = es > eps_max ? es : eps_max;
        double w[QREF_MOE_MAX_TOPK], sw = 0.0;
        for (int j = 0; j < K; j++) {
            int e = k.order[j];
            ids[t * K + j] = e;
            cnt[e]++;
            sw += w[j] = k.s[e];
        }
        double ew = d->renorm
                        ? (1 + es) * (1 + u) * (1 + u) / (1 - ((1 + es) * (1 + gam(K - 1)) - 1)) - 1
                        : (1 + es) * (1 + u) - 1;
        for (int j = 0; j < K; j++) {
            double v = (d->renorm ? w[j] / sw : w[j]) * rho;
            weights[t * K + j] = (float)v;
            if (wbound) {
                double B = qref_fabs(v) * (ew + u) + (K + 4) * 0x1p-126 * (rho > 1 ? rho : 1.0);
                wbound[t * K + j] = round_up_f32(B * (1 + 0x1p-30));
            }
        }
        /* P_e: softmax scores, or sigmoid scores normalised per token */
        double ssum = 0.0;
        if (d->scoring == QREF_MOE_SIGMOID)
            for (int e = 0; e < E; e++)
                ssum += k.s[e];
        for (int e = 0; e < E; e++)
            P[e] += d->scoring == QREF_MOE_SIGMOID ? k.s[e] / ssum : k.s[e];
    }
    double T = (double)d->n_tokens, acc = 0.0;
    for (int e = 0; e < E; e++)
        acc += ((double)E * (double)cnt[e] / ((double)K * T)) * (P[e] / T);
    double a = (double)d->aux_alpha * acc;
    *aux = (float)a;
    if (auxbound) {
        double ep = d->scoring == QREF_MOE_SIGMOID ? (1 + eps_max) * (1 + eps_max) * (1 + gam(E)) * (1 + u) - 1
                                                   : eps_max;
        double B = a * ((1 + ep) * (1 + gam(T + E + 8)) - 1 + u) + 0x1p-126;
        *auxbound = round_up_f32(B * (1 + 0x1p-30));
    }
    tok_free(&k);
    free(P), free(cnt);
    return QREF_OK;
}
