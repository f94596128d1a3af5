/* cuda_ops_host.so — a test plugin (never a user backend): the cuda
 * backend's ABI 2 row functions (kernels/cuda/ops_rows.h, the same code the
 * GPU threads run) called on the host, one "thread" at a time, so that
 * `make test` (tests/cli/test-cuda-ops-host.sh) checks their arithmetic
 * against the golden set where there is no GPU. What it cannot check: the
 * launch geometry and the device transfers (make test-cuda does, on a GPU).
 * It offers exactly the ops the cuda backend offers beyond GEMM; the rest
 * are NULL (SKIP). The weights of moe_experts go through qcu.h's qcu_value
 * with tables from qcu_build.c, so this plugin is linked with those and
 * with ref/ (compiled into it: qcu_build.c uses qref's decoders). Built with -ffp-contract=off (no FMA the GPU would not
 * do: nvcc --fmad=false).
 * CUDA_OPS_HOST_WRONG=1 makes each op a plausible wrong kernel (RoPE in
 * the other layout, softmax without its temperature, the norm of the other
 * kind, the Hadamard scale of the other normalization, dispatch with one
 * slot fewer per token, the router's renormalization flipped, sampling with another
 * top-k, attention with the causal mask flipped, experts without the
 * shared expert), for the test that
 * such a kernel FAILS. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/cuda/actq_rows.h"
#include "kernels/cuda/ops_rows.h"
#include "kernels/cuda/qcu_build.h"
#include "qref/actquant.h"
#include "qref/scheme.h"

struct qcts_call {
    qcts_op op;
    qcts_norm_desc nd;
    qcts_softmax_desc sd;
    qcts_rope_desc rd;
    qcts_hadamard_desc hd;
    qcts_moe_dispatch_desc md;
    qcts_moe_route_desc rt;
    qcts_sampling_desc sm;
    qcts_attention_desc at;
    qcts_moe_experts_desc ex;
    qcu_aq aq;                  /* gemm with a_quant != NONE (actq_rows.h) */
    qcu_qz qz;                  /* quantize (quant_rows.h) */
    unsigned qz_status;
    qcu_tensor t[4];            /* experts: gate_up, down (expert 0), shared gate_up, shared down;
                                   attention: K, V in a scheme preset */
    int64_t stride[2];
    qcu_tables *tab;
    float *scratch;
    float *freqs, attn;
    qcts_buffers b;
};

static qcts_status say(qcts_status st, char *msg, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (msg && n)
        vsnprintf(msg, n, fmt, ap);
    va_end(ap);
    return st;
}

static int dt_ok(int32_t dt) { return dt == QCTS_DT_F32 || dt == QCTS_DT_F16 || dt == QCTS_DT_BF16; }

static qcts_status new_call(qcts_op op, const qcts_buffers *b, qcts_call **call, char *msg, size_t n)
{
    qcts_call *c = calloc(1, sizeof *c);
    if (!c)
        return say(QCTS_ERROR, msg, n, "cuda_ops_host: out of memory");
    c->op = op;
    c->b = *b;
    *call = c;
    return QCTS_OK;
}

static qcts_status host_norm(const qcts_norm_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                             size_t n)
{
    *call = NULL;
    if (!d || !b || !dt_ok(d->dtype) || !dt_ok(d->out_dtype) || d->rows < 1 || d->n < 1 || !b->in[0] || !b->out[0] ||
        (d->has_weight && !b->in[1]) || (d->has_bias && !b->in[2]) || (d->has_residual && (!b->in[3] || !b->out[1])))
        return say(QCTS_ERROR, msg, n, "cuda_ops_host: norm: bad descriptor or missing buffer");
    qcts_status st = new_call(QCTS_OP_NORM, b, call, msg, n);
    if (st == QCTS_OK)
        (*call)->nd = *d;
    return st;
}

static qcts_status host_softmax(const qcts_softmax_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                                size_t n)
{
    *call = NULL;
    if (!d || !b || !dt_ok(d->in_dtype) || !dt_ok(d->out_dtype) || d->rows < 1 || d->n < 1 || !b->in[0] ||
        !b->out[0])
        return say(QCTS_ERROR, msg, n, "cuda_ops_host: softmax: bad descriptor or missing buffer");
    qcts_status st = new_call(QCTS_OP_SOFTMAX, b, call, msg, n);
    if (st == QCTS_OK)
        (*call)->sd = *d;
    return st;
}

static qcts_status host_rope(const qcts_rope_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                             size_t n)
{
    *call = NULL;
    if (!d || !b || !dt_ok(d->in_dtype) || !dt_ok(d->out_dtype) || d->rot_dim < 2 || d->rot_dim > 4096 ||
        (d->rot_dim & 1) || d->tokens < 1 || !b->in[0] || !b->out[0])
        return say(QCTS_ERROR, msg, n, "cuda_ops_host: rope: bad descriptor or missing buffer");
    qcts_status st = new_call(QCTS_OP_ROPE, b, call, msg, n);
    if (st != QCTS_OK)
        return st;
    (*call)->rd = *d;
    if (!((*call)->freqs = malloc(sizeof(float) * (size_t)(d->rot_dim / 2)))) {
        free(*call);
        *call = NULL;
        return say(QCTS_ERROR, msg, n, "cuda_ops_host: out of memory");
    }
    qcu_rope_freqs(d, (*call)->freqs, &(*call)->attn);
    return QCTS_OK;
}

static qcts_status host_hadamard(const qcts_hadamard_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                                 size_t n)
{
    *call = NULL;
    if (!d || !b || !dt_ok(d->in_dtype) || !dt_ok(d->out_dtype) || d->rows < 1 || d->n < 32 || d->n > 4096 ||
        (d->n & (d->n - 1)) || !b->in[0] || !b->out[0])
        return say(QCTS_ERROR, msg, n, "cuda_ops_host: hadamard: bad descriptor or missing buffer");
    qcts_status st = new_call(QCTS_OP_HADAMARD, b, call, msg, n);
    if (st == QCTS_OK)
        (*call)->hd = *d;
    return st;
}

/* The GPU's block per row, one stage at a time (the stages' order and the
 * pairs are what the device does; a stage's pairs are independent). */
static void hadamard_rows(const qcts_hadamard_desc *d, const void *x, void *y)
{
    float buf[4096];
    double s = qcu_had_scale(d->n, d->normalized, d->inverse);
    for (int64_t r = 0; r < d->rows; r++) {
        for (int64_t i = 0; i < d->n; i++)
            buf[i] = qcu_ld(d->in_dtype, x, r * d->n + i);
        for (int64_t h = 1; h < d->n; h *= 2)
            for (int64_t p = 0; p < d->n / 2; p++)
                qcu_had_butterfly(buf, p, h);
        for (int64_t i = 0; i < d->n; i++)
            qcu_had_store(d->out_dtype, y, r * d->n + i, buf[i], s);
    }
}

static qcts_status host_moe_dispatch(const qcts_moe_dispatch_desc *d, const qcts_buffers *b, qcts_call **call,
                                     char *msg, size_t n)
{
    *call = NULL;
    if (!d || !b || !dt_ok(d->dtype) || d->n_tokens < 1 || d->top_k < 1 || d->n_experts < 1 || d->hidden < 1 ||
        !b->in[0] || !b->in[1] || !b->out[0] || !b->out[1] || !b->out[2] || !b->out[3])
        return say(QCTS_ERROR, msg, n, "cuda_ops_host: moe_dispatch: bad descriptor or missing buffer");
    const int32_t *ids = b->in[0];
    for (int64_t i = 0; i < d->n_tokens * d->top_k; i++)
        if (ids[i] < 0 || ids[i] >= d->n_experts)
            return say(QCTS_ERROR, msg, n, "cuda_ops_host: moe_dispatch: ids[%lld] = %d is not an expert in [0, %d)",
                       (long long)i, ids[i], d->n_experts);
    qcts_status st = new_call(QCTS_OP_MOE_DISPATCH, b, call, msg, n);
    if (st == QCTS_OK)
        (*call)->md = *d;
    return st;
}

static qcts_status host_moe_route(const qcts_moe_route_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                                  size_t n)
{
    *call = NULL;
    if (!d || !b || d->n_tokens < 1 || d->n_experts < 1 || d->n_group < 1 || d->n_experts % d->n_group ||
        d->top_k < 1 || !b->in[0] || (d->has_bias && !b->in[1]) || !b->out[0] || !b->out[1] || !b->out[2])
        return say(QCTS_ERROR, msg, n, "cuda_ops_host: moe_route: bad descriptor or missing buffer");
    int64_t bad = qcu_moe_route_bad_input(d, b->in[0], b->in[1]);
    if (bad >= 0)
        return say(QCTS_ERROR, msg, n, "cuda_ops_host: moe_route: input %lld is not finite or |logit| > 64",
                   (long long)bad);
    qcts_status st = new_call(QCTS_OP_MOE_ROUTE, b, call, msg, n);
    if (st != QCTS_OK)
        return st;
    (*call)->rt = *d;
    if (!((*call)->scratch = malloc(sizeof(float) * (size_t)(d->n_tokens * qcu_moe_route_scratch(d))))) {
        free(*call);
        *call = NULL;
        return say(QCTS_ERROR, msg, n, "cuda_ops_host: out of memory");
    }
    return QCTS_OK;
}

static qcts_status host_sampling(const qcts_sampling_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                                 size_t n)
{
    *call = NULL;
    if (!d || !b || !dt_ok(d->logits_dtype) || d->rows < 1 || d->vocab < 1 || d->hist_len < 0 || !b->in[0] ||
        (d->hist_len > 0 && !b->in[1]) || !b->in[2] || !b->out[0])
        return say(QCTS_ERROR, msg, n, "cuda_ops_host: sampling: bad descriptor or missing buffer");
    qcts_status st = new_call(QCTS_OP_SAMPLING, b, call, msg, n);
    if (st != QCTS_OK)
        return st;
    qcts_call *c = *call;
    c->sm = *d;
    char why[200];
    if (!(c->scratch = malloc(sizeof(float) * (size_t)(d->rows * qcu_sampling_scratch_words(d))))) {
        st = say(QCTS_ERROR, msg, n, "cuda_ops_host: out of memory");
    } else if (qcu_sampling_bad_input(d, b->in[0], b->in[1], b->in[2], c->scratch, (int32_t *)(c->scratch + d->vocab),
                                      why, sizeof why)) {
        st = say(QCTS_ERROR, msg, n, "cuda_ops_host: sampling: %s", why);
    }
    if (st != QCTS_OK) {
        free(c->scratch);
        free(c);
        *call = NULL;
    }
    return st;
}

/* Checks e tensors of rows x cols at w (each bytes) as ref loads them and
 * sets t up on the host tables. */
static qcts_status expert_tensor(qcts_call *c, const qref_scheme *s, const uint8_t *w, size_t each, int64_t e,
                                 int64_t rows, int64_t cols, qcu_tensor *t, char *msg, size_t n)
{
    char why[200];
    for (int64_t i = 0; i < e; i++) {
        qref_qtensor q;
        qref_error err;
        memset(&err, 0, sizeof err);
        qref_status st = qref_qtensor_load(s, rows, cols, w + (size_t)i * each, each, &q, &err);
        if (st != QREF_OK)
            return say(QCTS_ERROR, msg, n, "cuda_ops_host: tensor %lld: %s", (long long)i,
                       err.msg[0] ? err.msg : "does not load");
        qref_qtensor_free(&q);
    }
    if (qcu_tensor_setup(t, c->tab, s, rows, cols, w, each, why, sizeof why) != 0)
        return say(QCTS_UNSUPPORTED, msg, n, "cuda: %s", why);
    qcu_tensor_bind(t, w, c->tab);
    return QCTS_OK;
}

static qcts_status host_moe_experts(const qcts_moe_experts_desc *d, const qcts_buffers *b, qcts_call **call,
                                    char *msg, size_t n)
{
    *call = NULL;
    if (!d || !b || d->n_tokens < 1 || d->hidden < 1 || d->inter < 1 || d->n_experts < 1 || d->top_k < 1 ||
        (d->has_shared && d->shared_inter < 1) || !b->in[0] || !b->in[1] || !b->in[2] || !b->in[3] || !b->in[4] ||
        (d->has_shared && (!b->in[5] || !b->in[6])) || !b->out[0] || !memchr(d->scheme, 0, sizeof d->scheme))
        return say(QCTS_ERROR, msg, n, "cuda_ops_host: moe_experts: bad descriptor or missing buffer");
    const qref_scheme *s = qref_scheme_find(d->scheme);
    if (!s)
        return say(QCTS_ERROR, msg, n, "cuda_ops_host: unknown scheme \"%s\"", d->scheme);
    const int32_t *ids = b->in[1];
    for (int64_t i = 0; i < d->n_tokens * d->top_k; i++)
        if (ids[i] < 0 || ids[i] >= d->n_experts)
            return say(QCTS_ERROR, msg, n, "cuda_ops_host: moe_experts: ids[%lld] = %d is not an expert in [0, %d)",
                       (long long)i, ids[i], d->n_experts);
    qcts_status st = new_call(QCTS_OP_MOE_EXPERTS, b, call, msg, n);
    if (st != QCTS_OK)
        return st;
    qcts_call *c = *call;
    c->ex = *d;
    int64_t I = d->inter, Is = d->has_shared ? d->shared_inter : 0;
    c->stride[0] = (int64_t)(b->in_bytes[3] / (size_t)d->n_experts);
    c->stride[1] = (int64_t)(b->in_bytes[4] / (size_t)d->n_experts);
    if (!(c->tab = calloc(1, sizeof *c->tab)) ||
        !(c->scratch = malloc(sizeof(float) * (size_t)(d->n_tokens * (I > Is ? I : Is)))))
        st = say(QCTS_ERROR, msg, n, "cuda_ops_host: out of memory");
    if (st == QCTS_OK)
        st = expert_tensor(c, s, b->in[3], (size_t)c->stride[0], d->n_experts, 2 * I, d->hidden, &c->t[0], msg, n);
    if (st == QCTS_OK)
        st = expert_tensor(c, s, b->in[4], (size_t)c->stride[1], d->n_experts, d->hidden, I, &c->t[1], msg, n);
    if (st == QCTS_OK && d->has_shared)
        st = expert_tensor(c, s, b->in[5], b->in_bytes[5], 1, 2 * Is, d->hidden, &c->t[2], msg, n);
    if (st == QCTS_OK && d->has_shared)
        st = expert_tensor(c, s, b->in[6], b->in_bytes[6], 1, d->hidden, Is, &c->t[3], msg, n);
    if (st != QCTS_OK) {
        free(c->tab);
        free(c->scratch);
        free(c);
        *call = NULL;
    }
    return st;
}

static qcts_status host_attention(const qcts_attention_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                                  size_t n)
{
    *call = NULL;
    if (!d || !b)
        return say(QCTS_ERROR, msg, n, "cuda_ops_host: attention: NULL descriptor or buffers");
    if ((!d->kv_scheme[0] && !dt_ok(d->kv_dtype)) || !dt_ok(d->out_dtype) || d->batch < 1 || d->q_heads < 1 ||
        d->kv_heads < 1 || d->q_heads % d->kv_heads || d->seq_q < 1 || d->seq_kv < 1 || d->d < 1 || d->dv < 1 ||
        !b->in[0] || !b->in[1] || !b->in[2] || (d->page_size > 0 && !b->in[3]) || (d->tree && !b->in[4]) ||
        !b->out[0] || (d->want_lse && !b->out[1]) || (d->want_probs && !b->out[2]) ||
        !memchr(d->kv_scheme, 0, sizeof d->kv_scheme))
        return say(QCTS_ERROR, msg, n, "cuda_ops_host: attention: bad descriptor or missing buffer");
    char why[200];
    if (qcu_attention_bad_table(d, b->in[3], why, sizeof why))
        return say(QCTS_ERROR, msg, n, "cuda_ops_host: attention: %s", why);
    const qref_scheme *s = NULL;
    if (d->kv_scheme[0] && !(s = qref_scheme_find(d->kv_scheme)))
        return say(QCTS_ERROR, msg, n, "cuda_ops_host: unknown scheme \"%s\"", d->kv_scheme);
    qcts_status st = new_call(QCTS_OP_ATTENTION, b, call, msg, n);
    if (st != QCTS_OK)
        return st;
    qcts_call *c = *call;
    c->at = *d;
    size_t rows = (size_t)d->batch * (size_t)d->q_heads * (size_t)d->seq_q;
    if (!(c->scratch = malloc(sizeof(float) * rows * 2 * (size_t)d->dv)) || !(c->tab = calloc(1, sizeof *c->tab)))
        st = say(QCTS_ERROR, msg, n, "cuda_ops_host: out of memory");
    if (st == QCTS_OK && s) {
        int64_t R = qcu_attn_rows(d), nt = d->kv_per_head ? d->kv_heads : 1, tr = d->kv_per_head ? R : d->kv_heads * R;
        c->stride[0] = (int64_t)(b->in_bytes[1] / (size_t)nt);
        c->stride[1] = (int64_t)(b->in_bytes[2] / (size_t)nt);
        st = expert_tensor(c, s, b->in[1], (size_t)c->stride[0], nt, tr, d->d, &c->t[0], msg, n);
        if (st == QCTS_OK)
            st = expert_tensor(c, s, b->in[2], (size_t)c->stride[1], nt, tr, d->dv, &c->t[1], msg, n);
    }
    if (st != QCTS_OK) {
        free(c->scratch);
        free(c->tab);
        free(c);
        *call = NULL;
    }
    return st;
}

/* GEMM with activation quantization only (a_quant NONE: UNSUPPORTED, the
 * backend's other kernels are not host code). */
static qcts_status host_gemm(const qcts_gemm_desc *d, const qcts_buffers *b, qcts_call **call, char *msg, size_t n)
{
    *call = NULL;
    if (!d || !b || !d->scheme)
        return say(QCTS_ERROR, msg, n, "cuda_ops_host: gemm: NULL descriptor, buffers or scheme");
    if (d->a_quant == QCTS_AQ_NONE || d->a_quant >= QREF_AQ_COUNT)
        return say(QCTS_UNSUPPORTED, msg, n, "cuda_ops_host: gemm only with activation quantization (a_quant %u)",
                   (unsigned)d->a_quant);
    if (d->a_group != 0)
        return say(QCTS_UNSUPPORTED, msg, n, "cuda_ops_host: grouped activation scales (a_group %d)", (int)d->a_group);
    const qref_scheme *s = qref_scheme_find(d->scheme);
    if (!s)
        return say(QCTS_ERROR, msg, n, "cuda_ops_host: unknown scheme \"%s\"", d->scheme);
    if (qref_aq_pairs_with((qref_aq)d->a_quant, s) != QREF_OK)
        return say(QCTS_UNSUPPORTED, msg, n, "cuda_ops_host: a_quant %u does not pair with %s", (unsigned)d->a_quant,
                   s->name);
    int64_t blk = qref_aq_block((qref_aq)d->a_quant, d->K);
    if (!dt_ok(d->a_dtype) || !dt_ok(d->out_dtype) || d->batch < 1 || d->M < 1 || d->N < 1 || d->K < 1 ||
        d->K % blk || !b->in[0] || !b->in[1] || (d->has_bias && !b->in[2]) || !b->out[0])
        return say(QCTS_ERROR, msg, n, "cuda_ops_host: gemm: bad descriptor or missing buffer");
    qcts_status st = new_call(QCTS_OP_GEMM, b, call, msg, n);
    if (st != QCTS_OK)
        return st;
    qcts_call *c = *call;
    qcu_aq *q = &c->aq;
    const size_t rows = (size_t)(d->batch * d->M), nblk = (size_t)(d->K / blk);
    q->mode = (int)d->a_quant;
    q->batch = d->batch, q->M = d->M, q->N = d->N, q->K = d->K, q->lda = d->lda, q->ldy = d->ldy;
    q->blk = blk, q->nblk = (int64_t)nblk;
    q->a_dtype = d->a_dtype == QCTS_DT_F32 ? 0 : d->a_dtype == QCTS_DT_F16 ? 1 : 2;
    q->out_dtype = d->out_dtype == QCTS_DT_F32 ? 0 : d->out_dtype == QCTS_DT_F16 ? 1 : 2;
    q->a = b->in[0];
    q->bias = d->has_bias ? b->in[2] : NULL;
    q->y = b->out[0];
    q->w_stride = (int64_t)(b->in_bytes[1] / (size_t)d->batch);
    if (!(c->tab = calloc(1, sizeof *c->tab)) || !(q->codes = malloc(rows * (size_t)d->K)) ||
        !(q->scales = malloc(sizeof(float) * rows * nblk)) || !(q->sums = malloc(sizeof(float) * rows * nblk)) ||
        !(q->rmax = malloc(sizeof(float) * rows)) || !(q->tmax = malloc(sizeof(float) * (size_t)d->batch)))
        st = say(QCTS_ERROR, msg, n, "cuda_ops_host: out of memory");
    if (st == QCTS_OK)
        st = expert_tensor(c, s, b->in[1], (size_t)q->w_stride, d->batch, d->N, d->K, &q->w, msg, n);
    if (st == QCTS_OK)
        q->path = qcu_aq_plan(q->mode, s, &q->w);
    if (st != QCTS_OK) {
        free(q->codes), free(q->scales), free(q->sums), free(q->rmax), free(q->tmax);
        free(c->tab);
        free(c);
        *call = NULL;
    }
    return st;
}

static qcts_status host_quantize(const qcts_quantize_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                                 size_t n)
{
    *call = NULL;
    if (!d || !b || !d->scheme || d->rows < 1 || d->cols < 1 || !b->in[0] || !b->out[0])
        return say(QCTS_ERROR, msg, n, "cuda_ops_host: quantize: bad descriptor or missing buffer");
    const qref_scheme *s = qref_scheme_find(d->scheme);
    if (!s)
        return say(QCTS_ERROR, msg, n, "cuda_ops_host: unknown scheme \"%s\"", d->scheme);
    qcu_qz z;
    char why[200];
    if (qcu_qz_setup(&z, s, d->rows, d->cols, why, sizeof why) != 0)
        return say(QCTS_UNSUPPORTED, msg, n, "cuda_ops_host: %s", why);
    if (b->in_bytes[0] < sizeof(float) * (size_t)(d->rows * d->cols))
        return say(QCTS_ERROR, msg, n, "cuda_ops_host: quantize: input too small");
    qcts_status st = new_call(QCTS_OP_QUANTIZE, b, call, msg, n);
    if (st == QCTS_OK) {
        (*call)->qz = z;
        (*call)->qz.w = b->in[0];
        (*call)->qz.out = b->out[0];
        (*call)->qz.status = &(*call)->qz_status;
    }
    return st;
}

/* The GPU's passes of the quantized-activation GEMM (actq.cu), one
 * "thread" at a time. */
static void aq_run(qcu_aq *q)
{
    const int64_t rows = q->batch * q->M;
    const char *w = getenv("CUDA_OPS_HOST_WRONG");
    q->wrong = w && !strcmp(w, "1");
    for (int64_t r = 0; r < rows; r++)
        qcu_aq_row_max(q, r);
    if (q->mode == QCTS_AQ_FP8_E4M3_TENSOR)
        for (int64_t bb = 0; bb < q->batch; bb++)
            qcu_aq_tensor_max(q, bb);
    for (int64_t i = 0; i < rows * q->nblk; i++)
        qcu_aq_quant_block(q, i);
    for (int64_t o = 0; o < rows * q->N; o++)
        qcu_aq_output(q, o);
}

static qcts_status run(qcts_call *c, char *msg, size_t n)
{
    const qcts_buffers *b = &c->b;
    if (getenv("CUDA_OPS_HOST_WRONG") && !strcmp(getenv("CUDA_OPS_HOST_WRONG"), "1")) {
        c->nd.kind = c->nd.kind == QCTS_NORM_RMS ? QCTS_NORM_LAYER : QCTS_NORM_RMS;
        c->sd.temperature = 1.0;
        c->rd.layout = c->rd.layout == QCTS_ROPE_NEOX ? QCTS_ROPE_GPTJ : QCTS_ROPE_NEOX;
        c->hd.normalized = !c->hd.normalized;
        c->rt.renorm = !c->rt.renorm;
        c->at.causal = !c->at.causal;
        c->ex.has_shared = 0;
        c->sm.top_k = c->sm.top_k > 1 ? c->sm.top_k - 1 : c->sm.top_k == 0 ? c->sm.vocab / 2 + 1 : 2;
        c->md.top_k = c->md.top_k > 1 ? c->md.top_k - 1 : c->md.top_k;   /* last slot of a token forgotten */
    }
    if (c->op == QCTS_OP_GEMM) {
        aq_run(&c->aq);
    } else if (c->op == QCTS_OP_QUANTIZE) {   /* one GPU thread per group */
        const char *w = getenv("CUDA_OPS_HOST_WRONG");
        c->qz.wrong = w && !strcmp(w, "1");
        c->qz_status = 0;
        for (int64_t g = 0; g < qcu_qz_groups(&c->qz); g++)
            qcu_qz_group(&c->qz, g);
        if (c->qz_status)
            return say(QCTS_ERROR, msg, n, "cuda_ops_host: quantize: %s (ref refuses it)",
                       c->qz_status & QCU_QZ_NONFINITE ? "a weight is not finite" : "a scale overflows");
    } else if (c->op == QCTS_OP_NORM) {
        const qcts_norm_desc *d = &c->nd;
        for (int64_t r = 0; r < d->rows; r++)
            qcu_norm_row(d, r, b->in[0], d->has_weight ? b->in[1] : NULL, d->has_bias ? b->in[2] : NULL,
                         d->has_residual ? b->in[3] : NULL, b->out[0], d->has_residual ? b->out[1] : NULL);
    } else if (c->op == QCTS_OP_MOE_EXPERTS) {
        for (int64_t t = 0; t < c->ex.n_tokens; t++)
            qcu_moe_experts_token(&c->ex, t, b->in[0], b->in[1], b->in[2], &c->t[0], c->stride[0], &c->t[1],
                                  c->stride[1], &c->t[2], &c->t[3], c->scratch, b->out[0]);
    } else if (c->op == QCTS_OP_ATTENTION) {
        const qcts_attention_desc *d = &c->at;
        qcu_attn_kv kv = { b->in[1], b->in[2], d->kv_scheme[0] ? &c->t[0] : NULL, d->kv_scheme[0] ? &c->t[1] : NULL,
                           c->stride[0], c->stride[1] };
        for (int64_t r = 0; r < (int64_t)d->batch * d->q_heads * d->seq_q; r++)
            qcu_attention_row(d, r, b->in[0], &kv, b->in[3], b->in[4], b->out[0], b->out[1], b->out[2], c->scratch);
    } else if (c->op == QCTS_OP_SAMPLING) {
        for (int64_t r = 0; r < c->sm.rows; r++)
            qcu_sampling_row(&c->sm, r, b->in[0], b->in[1], b->in[2], c->scratch, b->out[0],
                             c->sm.want_probs ? b->out[1] : NULL);
    } else if (c->op == QCTS_OP_MOE_ROUTE) {
        for (int64_t t = 0; t < c->rt.n_tokens; t++)
            qcu_moe_route_token(&c->rt, t, b->in[0], c->rt.has_bias ? b->in[1] : NULL, c->scratch, b->out[0],
                                b->out[1]);
        qcu_moe_route_aux(&c->rt, c->scratch, b->out[0], b->out[2]);
    } else if (c->op == QCTS_OP_MOE_DISPATCH) {
        const qcts_moe_dispatch_desc *d = &c->md;
        qcu_moe_dispatch_index(d, b->in[0], b->out[0], b->out[1], b->out[2]);
        for (int64_t q = 0; q < d->n_tokens * d->top_k * d->hidden; q++)
            qcu_moe_dispatch_copy(d, q, b->out[2], b->in[1], b->out[3]);
    } else if (c->op == QCTS_OP_HADAMARD) {
        hadamard_rows(&c->hd, b->in[0], b->out[0]);
    } else if (c->op == QCTS_OP_ROPE) {
        int64_t items = qcu_rope_items(&c->rd);
        for (int64_t it = 0; it < items; it++)
            qcu_rope_item(&c->rd, c->freqs, c->attn, it, b->in, b->out);
    } else {
        const qcts_softmax_desc *d = &c->sd;
        for (int64_t r = 0; r < d->rows; r++)
            qcu_softmax_row(d, r, b->in[0], b->out[0]);
    }
    return QCTS_OK;
}

static void release(qcts_call *c)
{
    if (c) {
        free(c->aq.codes), free(c->aq.scales), free(c->aq.sums), free(c->aq.rmax), free(c->aq.tmax);
        free(c->freqs);
        free(c->scratch);
        free(c->tab);
    }
    free(c);
}

static int available(char *why, size_t n)
{
    (void)why, (void)n;
    return 1;
}

static const qcts_backend backend = {
    .abi_version = QCTS_BACKEND_ABI_VERSION,
    .struct_size = sizeof(qcts_backend),
    .name = "cuda_ops_host",
    .description = "the cuda backend's ABI 2 row functions run on the host (a test of their arithmetic)",
    .available = available,
    .quantize = host_quantize,
    .gemm = host_gemm,
    .norm = host_norm,
    .softmax = host_softmax,
    .rope = host_rope,
    .hadamard = host_hadamard,
    .moe_dispatch = host_moe_dispatch,
    .moe_route = host_moe_route,
    .sampling = host_sampling,
    .attention = host_attention,
    .moe_experts = host_moe_experts,
    .run = run,
    .release = release,
};

const qcts_backend *qcts_backend_entry(void);
const qcts_backend *qcts_backend_entry(void) { return &backend; }
