/* The ref backend's sampling slot (qcts/op_sampling.h): qref_sampling_row
 * per row; probs rounded once to float32. A history entry >= vocab, a NaN
 * or +inf logit, or u outside [0, 1) is an ERROR naming the row. */
#include <stdlib.h>
#include <string.h>

#include "kernels/backend_say.h"
#include "kernels/opcall.h"
#include "qref/fmt.h"
#include "qref/sampling.h"


typedef struct ref_samp_call {
    qcts_opcall h;
    qcts_sampling_desc d;
    qcts_buffers b;
} ref_samp_call;

static qcts_status samp_run(qcts_opcall *oc, char *msg, size_t n)
{
    ref_samp_call *c = (ref_samp_call *)oc;
    const qcts_sampling_desc *d = &c->d;
    qref_sampling_params p = { d->vocab, d->hist_len, d->temperature, d->rep_penalty, d->presence_penalty,
                               d->freq_penalty, d->top_k, d->top_p, d->min_p };
    size_t V = (size_t)d->vocab;
    float *l = malloc(V * sizeof *l);
    double *q = d->want_probs && c->b.out[1] ? malloc(V * sizeof *q) : NULL;
    if (!l || (d->want_probs && c->b.out[1] && !q)) {
        free(l);
        free(q);
        return qcts_say(QCTS_ERROR, msg, n, "ref: sampling: out of memory");
    }
    qcts_status st = QCTS_OK;
    for (int64_t r = 0; r < d->rows && st == QCTS_OK; r++) {
        const uint8_t *lr = (const uint8_t *)c->b.in[0] + (size_t)r * V * (d->logits_dtype == QCTS_DT_F32 ? 4 : 2);
        for (size_t t = 0; t < V; t++) {
            if (d->logits_dtype == QCTS_DT_F32)
                memcpy(&l[t], lr + 4 * t, 4);
            else {
                uint16_t h;
                memcpy(&h, lr + 2 * t, 2);
                l[t] = d->logits_dtype == QCTS_DT_F16 ? qref_f16_to_f32(h) : qref_bf16_to_f32(h);
            }
        }
        const int32_t *hist = d->hist_len > 0 ? (const int32_t *)c->b.in[1] + (size_t)r * (size_t)d->hist_len : NULL;
        float u = ((const float *)c->b.in[2])[r];
        int32_t tok;
        qref_status s = qref_sampling_row(&p, l, hist, u, &tok, q, NULL);
        if (s != QREF_OK) {
            st = qcts_say(QCTS_ERROR, msg, n, "ref: sampling row %lld: %s (history entry >= vocab, NaN/+inf logit, "
                          "or u outside [0, 1))", (long long)r, qref_status_message(s));
            break;
        }
        ((int32_t *)c->b.out[0])[r] = tok;
        if (q)
            for (size_t t = 0; t < V; t++)
                ((float *)c->b.out[1])[(size_t)r * V + t] = (float)q[t];
    }
    free(l);
    free(q);
    return st;
}

static void samp_release(qcts_opcall *c) { free(c); }

qcts_status qcts_ref_sampling(const qcts_sampling_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                              size_t n)
{
    *call = NULL;
    qcts_op_io io;
    qcts_status st = qcts_opcall_check(QCTS_OP_SAMPLING, d, b, "ref", &io, msg, n);
    if (st != QCTS_OK)
        return st;
    ref_samp_call *c = calloc(1, sizeof *c);
    if (!c)
        return qcts_say(QCTS_ERROR, msg, n, "ref: out of memory");
    c->h = (qcts_opcall){ QCTS_OP_SAMPLING, samp_run, samp_release, "qref_sampling_row" };
    c->d = *d;
    c->b = *b;
    *call = (qcts_call *)(void *)c;
    return QCTS_OK;
}
