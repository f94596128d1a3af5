/* tiny_sampler.h — a small scalar float32 sampler plugin (qcts/op_sampling.h,
 * the steps of qref/sampling.h) for the harness's sampling verdicts: an
 * implementation independent of ref/ and of the AVX2 kernel (float32 all
 * through, libm expf, Z summed in sorted order, the draw normalised), so
 * the admissible sets must accept it. Each *.c that includes it may define
 * a bug first:
 *   TINY_SAMPLER_NAME         backend name
 *   TINY_SAMPLER_WRONG_TOPP   1: top-p keeps the prefix strictly below
 *                             top_p (drops the token that crosses it)
 * Uses only qcts/backend.h (and libc/libm). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qcts/backend.h"

#ifndef TINY_SAMPLER_WRONG_TOPP
#define TINY_SAMPLER_WRONG_TOPP 0
#endif

struct qcts_call {
    qcts_sampling_desc d;
    qcts_buffers b;
};

typedef struct ts_key {
    float l;
    int32_t i;
} ts_key;

static qcts_status ts_say(qcts_status st, char *msg, size_t n, const char *text)
{
    if (msg && n) {
        strncpy(msg, text, n - 1);
        msg[n - 1] = '\0';
    }
    return st;
}

static int ts_available(char *why, size_t n)
{
    (void)why;
    (void)n;
    return 1;
}

static float ts_half(uint16_t h, int bf16)
{
    uint32_t u;
    float f;
    if (bf16) {
        u = (uint32_t)h << 16;
    } else {
        uint32_t s = (uint32_t)(h >> 15) << 31, e = (h >> 10) & 31, m = h & 1023;
        if (e == 31)
            u = s | 0x7f800000u | (m << 13);
        else if (e)
            u = s | ((e + 112) << 23) | (m << 13);
        else {   /* subnormal: m * 2^-24, exact in float */
            f = (float)m * 0x1p-24f;
            return s ? -f : f;
        }
    }
    memcpy(&f, &u, 4);
    return f;
}

static int ts_cmp(const void *a, const void *b)
{
    const ts_key *x = a, *y = b;
    if (x->l != y->l)
        return x->l > y->l ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static qcts_status ts_sampling(const qcts_sampling_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                               size_t n)
{
    if (d->rows < 1 || d->vocab < 1 || d->hist_len < 0 || !b->in[0] || !b->in[2] || !b->out[0] ||
        (d->hist_len > 0 && !b->in[1]))
        return ts_say(QCTS_ERROR, msg, n, "bad sampling call");
    qcts_call *c = calloc(1, sizeof *c);
    if (!c)
        return ts_say(QCTS_ERROR, msg, n, "out of memory");
    c->d = *d;
    c->b = *b;
    *call = c;
    return QCTS_OK;
}

static int32_t ts_row(const qcts_sampling_desc *d, const float *logit, const int32_t *hist, float u, float *probs,
                      float *l, float *e, int32_t *cnt, ts_key *k)
{
    const int32_t V = d->vocab;
    memcpy(l, logit, (size_t)V * 4);
    memset(cnt, 0, (size_t)V * 4);
    for (int32_t h = 0; h < d->hist_len; h++)
        if (hist[h] >= 0 && hist[h] < V)
            cnt[hist[h]]++;
    for (int32_t t = 0; t < V; t++)
        if (cnt[t] > 0) {
            float x = l[t] > 0 ? l[t] / d->rep_penalty : l[t] * d->rep_penalty;
            float pen = (float)cnt[t] * d->freq_penalty;
            pen = pen + d->presence_penalty;
            l[t] = x - pen;
        }
    int32_t am = 0;
    for (int32_t t = 1; t < V; t++)
        if (l[t] > l[am])
            am = t;
    if (probs)
        memset(probs, 0, (size_t)V * 4);
    if (d->temperature == 0 || l[am] == -INFINITY) {
        if (probs)
            probs[am] = 1;
        return am;
    }
    for (int32_t t = 0; t < V; t++)
        k[t] = (ts_key){ l[t], t };
    qsort(k, (size_t)V, sizeof *k, ts_cmp);
    int32_t nk = (d->top_k > 0 && d->top_k < V) ? d->top_k : V;
    memset(e, 0, (size_t)V * 4);
    float Z = 0;
    for (int32_t j = 0; j < nk; j++) {   /* sorted order: largest first */
        e[k[j].i] = expf((l[k[j].i] - l[am]) / d->temperature);
        Z += e[k[j].i];
    }
    int32_t cut = nk - 1;
    if (d->top_p < 1) {
        float S = 0;
        for (int32_t j = 0; j < nk; j++) {
            float before = S;
            S += e[k[j].i];
            if (S / Z >= d->top_p) {
                cut = (TINY_SAMPLER_WRONG_TOPP && j > 0 && before / Z < d->top_p) ? j - 1 : j;
                break;
            }
        }
    }
    for (int32_t j = cut + 1; j < nk; j++)
        e[k[j].i] = 0;
    if (d->min_p > 0)
        for (int32_t t = 0; t < V; t++)
            if (e[t] < d->min_p * e[am])
                e[t] = 0;
    float Zk = 0;
    for (int32_t t = 0; t < V; t++)
        Zk += e[t];
    float C = 0;
    int32_t tok = -1, last = am;
    for (int32_t t = 0; t < V; t++) {
        float q = e[t] / Zk;
        if (probs)
            probs[t] = q;
        if (q > 0) {
            last = t;
            C += q;
            if (tok < 0 && u < C)
                tok = t;
        }
    }
    return tok >= 0 ? tok : last;
}

static qcts_status ts_run(qcts_call *c, char *msg, size_t n)
{
    const qcts_sampling_desc *d = &c->d;
    size_t V = (size_t)d->vocab;
    float *l = malloc(V * 4), *e = malloc(V * 4), *lg = malloc(V * 4);
    int32_t *cnt = malloc(V * 4);
    ts_key *k = malloc(V * sizeof *k);
    if (!l || !e || !lg || !cnt || !k) {
        free(l), free(e), free(lg), free(cnt), free(k);
        return ts_say(QCTS_ERROR, msg, n, "out of memory");
    }
    for (int64_t r = 0; r < d->rows; r++) {
        for (size_t t = 0; t < V; t++) {
            size_t i = (size_t)r * V + t;
            lg[t] = d->logits_dtype == QCTS_DT_F32 ? ((const float *)c->b.in[0])[i]
                                                   : ts_half(((const uint16_t *)c->b.in[0])[i],
                                                             d->logits_dtype == QCTS_DT_BF16);
        }
        const int32_t *h = d->hist_len > 0 ? (const int32_t *)c->b.in[1] + (size_t)r * (size_t)d->hist_len : NULL;
        float *pr = d->want_probs && c->b.out[1] ? (float *)c->b.out[1] + (size_t)r * V : NULL;
        ((int32_t *)c->b.out[0])[r] = ts_row(d, lg, h, ((const float *)c->b.in[2])[r], pr, l, e, cnt, k);
    }
    free(l), free(e), free(lg), free(cnt), free(k);
    return QCTS_OK;
}

static void ts_release(qcts_call *c) { free(c); }

static const qcts_backend ts_backend = {
    .abi_version = QCTS_BACKEND_ABI_VERSION,
    .struct_size = sizeof(qcts_backend),
    .name = TINY_SAMPLER_NAME,
    .description = "small float32 sampler plugin for the harness tests (conformance/tests/plugins)",
    .available = ts_available,
    .sampling = ts_sampling,
    .run = ts_run,
    .release = ts_release,
};

const qcts_backend *qcts_backend_entry(void);
const qcts_backend *qcts_backend_entry(void) { return &ts_backend; }
