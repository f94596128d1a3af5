/* The `cuda` backend (qcts/backend.h): dequant and gemm for every preset on
 * an NVIDIA GPU.
 *
 * Lifecycle: prepare validates the descriptor, the buffer sizes and the
 * weights (as qref_qtensor_load does, on the host), then copies every input
 * and the current contents of every output (the harness's poison, so
 * elements a kernel does not write stay as they were) to the device once;
 * run only launches (and records an event); sync waits for that event;
 * fetch copies the outputs back. Nothing is timed here: `qcts bench` times
 * runs with CUDA events (bench/src/bench_cuda.c).
 *
 * available() is 0, with the CUDA runtime's reason, on a machine without a
 * driver or a GPU: the runtime is linked statically, so qcts itself runs
 * everywhere. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/backend_say.h"
#include "kernels/cuda/backend_cuda.h"
#include "kernels/cuda/cuda_api.h"
#include "kernels/cuda/ops_rows.h"
#include "kernels/cuda/qcu_build.h"
#include "qcts/case_call.h"
#include "qref/actquant.h"
#include "qref/scheme.h"

struct qcts_call {
    qcts_op op;
    char scheme[96];
    qcts_convert_desc cd;
    qcts_dequant_desc dd;
    qcts_quantize_desc qd;
    qcu_qz qz;                     /* quantize (quant.cu); its status word in dscratch */
    qcts_gemm_desc gd;
    union {   /* ABI 2 ops */
        qcts_norm_desc norm;
        qcts_softmax_desc softmax;
        qcts_rope_desc rope;
        qcts_hadamard_desc hadamard;
        qcts_moe_dispatch_desc moe_dispatch;
        qcts_moe_route_desc moe_route;
        qcts_sampling_desc sampling;
        qcts_attention_desc attention;
        qcts_moe_experts_desc moe_experts;
    } od;
    qcu_tensor ex[4];              /* moe_experts: gate_up, down, shared gate_up, shared down */
    int64_t ex_stride[2];
    void *dscratch;                /* moe_route, sampling: per-token / per-row scratch */
    float *dfreq, attn;            /* rope: device frequencies, attention factor */
    qcts_op_io io;
    qcts_buffers b;
    void *din[QCTS_MAX_INPUTS];
    void *dout[QCTS_MAX_OUTPUTS];
    qcu_tables *dtab;
    qcu_tensor t;
    qcu_gemm g;
    qcu_aq aq;                     /* gemm with a_quant != NONE (actq.cu); scratch in dscratch */
    void *ev;
    const char *variant;
};

static void call_free(qcts_call *c)
{
    if (!c)
        return;
    for (int i = 0; i < QCTS_MAX_INPUTS; i++)
        qcu_free(c->din[i]);
    for (int i = 0; i < QCTS_MAX_OUTPUTS; i++)
        qcu_free(c->dout[i]);
    qcu_free(c->dtab);
    qcu_free(c->dfreq);
    qcu_free(c->dscratch);
    qcu_event_free(c->ev);
    free(c);
}

static int cuda_available(char *why, size_t n) { return qcu_device_ok(why, n); }

/* Descriptor copy, buffer sizes, device copies of inputs and outputs. */
static qcts_status prepare_common(qcts_call *c, const void *desc, const char *scheme, const qcts_buffers *b,
                                  char *msg, size_t n)
{
    char why[320];
    if (!qcu_device_ok(why, sizeof why))
        return qcts_say(QCTS_UNAVAILABLE, msg, n, "cuda: %s", why);
    int schemed = c->op == QCTS_OP_DEQUANT || c->op == QCTS_OP_GEMM || c->op == QCTS_OP_QUANTIZE;
    if (schemed && (!scheme || strlen(scheme) >= sizeof c->scheme))
        return qcts_say(QCTS_ERROR, msg, n, "cuda: missing or too long scheme name");
    if (schemed)
        strcpy(c->scheme, scheme);
    if (c->op == QCTS_OP_CONVERT) {
        c->cd = *(const qcts_convert_desc *)desc;
        desc = &c->cd;
    } else if (c->op == QCTS_OP_QUANTIZE) {
        c->qd = *(const qcts_quantize_desc *)desc;
        c->qd.scheme = c->scheme;
        desc = &c->qd;
    } else if (c->op == QCTS_OP_DEQUANT) {
        c->dd = *(const qcts_dequant_desc *)desc;
        c->dd.scheme = c->scheme;
        desc = &c->dd;
    } else if (c->op == QCTS_OP_GEMM) {
        c->gd = *(const qcts_gemm_desc *)desc;
        c->gd.scheme = c->scheme;
        desc = &c->gd;
    } else {
        size_t sz = c->op == QCTS_OP_NORM ? sizeof c->od.norm
                    : c->op == QCTS_OP_ROPE ? sizeof c->od.rope
                    : c->op == QCTS_OP_HADAMARD ? sizeof c->od.hadamard
                    : c->op == QCTS_OP_MOE_DISPATCH ? sizeof c->od.moe_dispatch
                    : c->op == QCTS_OP_MOE_ROUTE ? sizeof c->od.moe_route
                    : c->op == QCTS_OP_SAMPLING ? sizeof c->od.sampling
                    : c->op == QCTS_OP_ATTENTION ? sizeof c->od.attention
                    : c->op == QCTS_OP_MOE_EXPERTS ? sizeof c->od.moe_experts
                                            : sizeof c->od.softmax;
        memcpy(&c->od, desc, sz);
        desc = &c->od;
    }
    char e[QCTS_CASE_ERRLEN];
    if (qcts_op_io_get(c->op, desc, &c->io, e, sizeof e) != QCTS_OK)
        return qcts_say(QCTS_ERROR, msg, n, "cuda: %s", e);
    for (int i = 0; i < c->io.n_in; i++) {
        const qcts_tensor_spec *s = &c->io.in[i];
        if (s->used && (!b->in[i] || b->in_bytes[i] < s->nbytes))
            return qcts_say(QCTS_ERROR, msg, n, "cuda: input %d (%s) is %s: %zu bytes given, %zu needed", i, s->name,
                            b->in[i] ? "too small" : "NULL", b->in_bytes[i], s->nbytes);
    }
    for (int i = 0; i < c->io.n_out; i++) {
        const qcts_tensor_spec *s = &c->io.out[i];
        if (s->used && !(s->optional && !b->out[i]) && (!b->out[i] || b->out_bytes[i] < s->nbytes))
            return qcts_say(QCTS_ERROR, msg, n, "cuda: output %d (%s) is %s: %zu bytes given, %zu needed", i,
                            s->name, b->out[i] ? "too small" : "NULL", b->out_bytes[i], s->nbytes);
    }
    c->b = *b;
    return QCTS_OK;
}

static qcts_status to_device(qcts_call *c, char *msg, size_t n)
{
    char why[320];
    for (int i = 0; i < c->io.n_in; i++) {
        const qcts_tensor_spec *s = &c->io.in[i];
        if (!s->used || !c->b.in[i])
            continue;
        if (!(c->din[i] = qcu_malloc(s->nbytes, why, sizeof why)) ||
            qcu_h2d(c->din[i], c->b.in[i], s->nbytes, why, sizeof why) != 0)
            return qcts_say(QCTS_ERROR, msg, n, "cuda: input %s: %s", s->name, why);
    }
    for (int i = 0; i < c->io.n_out; i++) {
        const qcts_tensor_spec *s = &c->io.out[i];
        if (!s->used || !c->b.out[i])
            continue;
        if (!(c->dout[i] = qcu_malloc(s->nbytes, why, sizeof why)) ||
            qcu_h2d(c->dout[i], c->b.out[i], s->nbytes, why, sizeof why) != 0)
            return qcts_say(QCTS_ERROR, msg, n, "cuda: output %s: %s", s->name, why);
    }
    if (!(c->ev = qcu_event_new(why, sizeof why)))
        return qcts_say(QCTS_ERROR, msg, n, "cuda: %s", why);
    return QCTS_OK;
}

/* Validates batch tensors of rows x cols at w (host) as qref_qtensor_load
 * does, and builds the tensor and its device tables. */
static qcts_status weights(qcts_call *c, const uint8_t *w, size_t each, int64_t batch, int64_t rows, int64_t cols,
                           int win, char *msg, size_t n)
{
    const qref_scheme *s = qref_scheme_find(c->scheme);
    if (!s)
        return qcts_say(QCTS_ERROR, msg, n, "cuda: unknown scheme \"%s\"", c->scheme);
    for (int64_t i = 0; i < batch; i++) {
        qref_qtensor q;
        qref_error e;
        memset(&e, 0, sizeof e);
        qref_status st = qref_qtensor_load(s, rows, cols, w + (size_t)i * each, each, &q, &e);
        if (st != QREF_OK)
            return qcts_say(QCTS_ERROR, msg, n, "cuda: weights (batch %lld): %s", (long long)i,
                            e.msg[0] ? e.msg : qref_status_message(st));
        qref_qtensor_free(&q);
    }
    static const qcu_tables zero;
    qcu_tables *tab = malloc(sizeof *tab);
    char why[320];
    if (!tab)
        return qcts_say(QCTS_ERROR, msg, n, "cuda: out of memory");
    *tab = zero;
    if (qcu_tensor_setup(&c->t, tab, s, rows, cols, w, each, why, sizeof why) != 0) {
        free(tab);
        return qcts_say(QCTS_UNSUPPORTED, msg, n, "cuda: %s", why);
    }
    int rc = (c->dtab = qcu_malloc(sizeof *tab, why, sizeof why)) ? qcu_h2d(c->dtab, tab, sizeof *tab, why, sizeof why)
                                                                    : -1;
    free(tab);
    if (rc != 0)
        return qcts_say(QCTS_ERROR, msg, n, "cuda: tables: %s", why);
    qcu_tensor_bind(&c->t, c->din[win], c->dtab);
    return QCTS_OK;
}

static qcts_status cuda_dequant(const qcts_dequant_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                                size_t n)
{
    *call = NULL;
    if (!d || !b)
        return qcts_say(QCTS_ERROR, msg, n, "cuda: NULL desc or buffers");
    qcts_call *c = calloc(1, sizeof *c);
    if (!c)
        return qcts_say(QCTS_ERROR, msg, n, "cuda: out of memory");
    c->op = QCTS_OP_DEQUANT;
    qcts_status st = prepare_common(c, d, d->scheme, b, msg, n);
    if (st == QCTS_OK && c->dd.out_dtype != QCTS_DT_F32 && c->dd.out_dtype != QCTS_DT_F16 &&
        c->dd.out_dtype != QCTS_DT_BF16)
        st = qcts_say(QCTS_UNSUPPORTED, msg, n, "cuda: dequant to %s", qcts_dtype_name(c->dd.out_dtype));
    if (st == QCTS_OK)
        st = to_device(c, msg, n);
    if (st == QCTS_OK)
        st = weights(c, b->in[0], c->io.in[0].nbytes, 1, c->dd.rows, c->dd.cols, 0, msg, n);
    if (st != QCTS_OK) {
        call_free(c);
        return st;
    }
    c->variant = "qcu_dequant_kernel (generic: every preset)";
    *call = c;
    return QCTS_OK;
}

static qcts_status cuda_convert(const qcts_convert_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                                size_t n)
{
    *call = NULL;
    if (!d || !b)
        return qcts_say(QCTS_ERROR, msg, n, "cuda: NULL desc or buffers");
    char why[320];
    if (!qcu_convert_supported((int)d->fmt, (int)d->convention, (int)d->mode, why, sizeof why))
        return qcts_say(QCTS_UNSUPPORTED, msg, n, "%s", why);
    qcts_call *c = calloc(1, sizeof *c);
    if (!c)
        return qcts_say(QCTS_ERROR, msg, n, "cuda: out of memory");
    c->op = QCTS_OP_CONVERT;
    qcts_status st = prepare_common(c, d, NULL, b, msg, n);
    if (st == QCTS_OK)
        st = to_device(c, msg, n);
    if (st != QCTS_OK) {
        call_free(c);
        return st;
    }
    c->variant = "qcu_convert_kernel (CUDA conversion intrinsics)";
    *call = c;
    return QCTS_OK;
}

/* QUANTIZE: the integer group presets and gguf_q8_0 / gguf_q4_0
 * (quant_rows.h); others UNSUPPORTED. A non-finite weight or a scale that
 * overflows (ref refuses both) is reported by fetch as an error. */
static qcts_status cuda_quantize(const qcts_quantize_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                                 size_t n)
{
    *call = NULL;
    if (!d || !b)
        return qcts_say(QCTS_ERROR, msg, n, "cuda: NULL desc or buffers");
    char why[320];
    qcu_qz z;
    const qref_scheme *s = d->scheme ? qref_scheme_find(d->scheme) : NULL;
    if (!s)
        return qcts_say(QCTS_ERROR, msg, n, "cuda: unknown scheme \"%s\"", d->scheme ? d->scheme : "(null)");
    if (qcu_qz_setup(&z, s, d->rows, d->cols, why, sizeof why) != 0)
        return qcts_say(QCTS_UNSUPPORTED, msg, n, "cuda: %s", why);
    qcts_call *c = calloc(1, sizeof *c);
    if (!c)
        return qcts_say(QCTS_ERROR, msg, n, "cuda: out of memory");
    c->op = QCTS_OP_QUANTIZE;
    qcts_status st = prepare_common(c, d, d->scheme, b, msg, n);
    if (st == QCTS_OK)
        st = to_device(c, msg, n);
    if (st == QCTS_OK && !(c->dscratch = qcu_malloc(sizeof(unsigned), why, sizeof why)))
        st = qcts_say(QCTS_ERROR, msg, n, "cuda: quantize status: %s", why);
    if (st != QCTS_OK) {
        call_free(c);
        return st;
    }
    z.w = c->din[0];
    z.out = c->dout[0];
    z.status = c->dscratch;
    c->qz = z;
    c->variant = "qcu_quantize_kernel (one thread per group / block, ref's float32 rules)";
    *call = c;
    return QCTS_OK;
}

static int dt_code(qcts_dtype d) { return d == QCTS_DT_F32 ? 0 : d == QCTS_DT_F16 ? 1 : d == QCTS_DT_BF16 ? 2 : -1; }

/* The quantized-activation GEMM's call: c->g as set up, plus the scratch
 * (codes, scales, Q8_1 sums, row maxima, tensor maxima) on the device. */
static qcts_status aq_setup(qcts_call *c, const qref_scheme *s, qcts_call **call, char *msg, size_t n)
{
    static const char *const variants[] = {
        "qcu_aq (activations quantized on the GPU; float32 sum per activation block; one thread per output)",
        "qcu_aq (activations quantized on the GPU; int32 dot per weight group; one thread per output)",
        "qcu_aq (activations quantized on the GPU; int32 dot per block of 32, ggml's scales; one thread per output)",
        "qcu_aq (activations quantized on the GPU; ggml's q4_1 x q8_1 dot; one thread per output)" };
    const qcu_gemm *g = &c->g;
    qcu_aq *q = &c->aq;
    const int64_t blk = qref_aq_block((qref_aq)c->gd.a_quant, g->K), rows = g->batch * g->M;
    memset(q, 0, sizeof *q);
    q->mode = (int)c->gd.a_quant;
    q->path = qcu_aq_plan(q->mode, s, &g->w);
    q->batch = g->batch, q->M = g->M, q->N = g->N, q->K = g->K, q->lda = g->lda, q->ldy = g->ldy;
    q->blk = blk, q->nblk = g->K / blk;
    q->a_dtype = g->a_dtype, q->out_dtype = g->out_dtype;
    q->a = g->a, q->w = g->w, q->w_stride = g->w_stride, q->bias = g->bias, q->y = g->y;
    const size_t codes = (size_t)(rows * g->K + 15) / 16 * 16, ns = (size_t)(rows * q->nblk);
    const size_t bytes = codes + sizeof(float) * (2 * ns + (size_t)rows + (size_t)g->batch);
    char why[320];
    if (!(c->dscratch = qcu_malloc(bytes, why, sizeof why))) {
        call_free(c);
        return qcts_say(QCTS_ERROR, msg, n, "cuda: activation scratch (%zu bytes): %s", bytes, why);
    }
    q->codes = (int8_t *)c->dscratch;
    q->scales = (float *)((uint8_t *)c->dscratch + codes);
    q->sums = q->scales + ns;
    q->rmax = q->sums + ns;
    q->tmax = q->rmax + rows;
    c->variant = variants[q->path];
    const char *tc = getenv("QCTS_CUDA_GEMM");
    if (tc && !strcmp(tc, "tc") && qcu_aq_tc_eligible(q)) {   /* opt-in until checked on a GPU */
        q->tc = 1;
        c->variant = "qcu_aq_tc (activations quantized on the GPU; mma.sync m16n8k32 s8 x s8 -> s32 per weight group, "
                     "64x64 tiles; QCTS_CUDA_GEMM=tc)";
    }
    *call = c;
    return QCTS_OK;
}

static qcts_status cuda_gemm(const qcts_gemm_desc *d, const qcts_buffers *b, qcts_call **call, char *msg, size_t n)
{
    *call = NULL;
    if (!d || !b)
        return qcts_say(QCTS_ERROR, msg, n, "cuda: NULL desc or buffers");
    qcts_call *c = calloc(1, sizeof *c);
    if (!c)
        return qcts_say(QCTS_ERROR, msg, n, "cuda: out of memory");
    c->op = QCTS_OP_GEMM;
    qcts_status st = prepare_common(c, d, d->scheme, b, msg, n);
    const qcts_gemm_desc *g = &c->gd;
    if (st == QCTS_OK && (dt_code(g->a_dtype) < 0 || dt_code(g->out_dtype) < 0))
        st = qcts_say(QCTS_UNSUPPORTED, msg, n, "cuda: gemm with A %s, Y %s", qcts_dtype_name(g->a_dtype),
                      qcts_dtype_name(g->out_dtype));
    const qref_scheme *ws = st == QCTS_OK ? qref_scheme_find(c->scheme) : NULL;
    if (st == QCTS_OK && g->a_quant != QCTS_AQ_NONE) {   /* never run a_quant as if it were NONE */
        if (g->a_quant >= QREF_AQ_COUNT)
            st = qcts_say(QCTS_ERROR, msg, n, "cuda: a_quant %u is not an activation quantization (0-6)",
                          (unsigned)g->a_quant);
        else if (g->a_group != 0)
            st = qcts_say(QCTS_UNSUPPORTED, msg, n, "cuda: grouped activation scales (a_group %d)", (int)g->a_group);
        else if (!ws || qref_aq_pairs_with((qref_aq)g->a_quant, ws) != QREF_OK)
            st = qcts_say(QCTS_UNSUPPORTED, msg, n, "cuda: activation quantization %s does not pair with %s "
                          "(ggml's vec_dot_type)", qref_aq_name((qref_aq)g->a_quant), c->scheme);
        else if (g->K < 1 || g->K % qref_aq_block((qref_aq)g->a_quant, g->K))
            st = qcts_say(QCTS_ERROR, msg, n, "cuda: K %lld is not a multiple of the %s block", (long long)g->K,
                          qref_aq_name((qref_aq)g->a_quant));
    }
    if (st == QCTS_OK && (g->M > 65535 || g->batch > 65535))
        st = qcts_say(QCTS_UNSUPPORTED, msg, n, "cuda: M and batch above 65535");
    if (st == QCTS_OK)
        st = to_device(c, msg, n);
    size_t each = 0;
    if (st == QCTS_OK) {
        each = c->io.in[1].nbytes / (size_t)(g->batch ? g->batch : 1);
        st = weights(c, b->in[1], each, g->batch, g->N, g->K, 1, msg, n);
    }
    if (st != QCTS_OK) {
        call_free(c);
        return st;
    }
    qcu_gemm *q = &c->g;
    q->batch = g->batch;
    q->M = g->M;
    q->N = g->N;
    q->K = g->K;
    q->lda = g->lda;
    q->ldy = g->ldy;
    q->a_dtype = dt_code(g->a_dtype);
    q->out_dtype = dt_code(g->out_dtype);
    q->a = c->din[0];
    q->w = c->t;
    q->w_stride = (int64_t)each;
    q->bias = g->has_bias ? (const float *)c->din[2] : NULL;
    q->y = c->dout[0];
    if (g->a_quant != QCTS_AQ_NONE)
        return aq_setup(c, ws, call, msg, n);
    c->variant = qcu_gemm_plan(q, c->scheme);
    *call = c;
    return QCTS_OK;
}

/* An ABI 2 op: descriptor, buffers, device copies; its kernel's name. */
static qcts_status prepare_op(qcts_op op, const void *d, const qcts_buffers *b, const char *variant, qcts_call **call,
                              char *msg, size_t n)
{
    *call = NULL;
    if (!d || !b)
        return qcts_say(QCTS_ERROR, msg, n, "cuda: NULL desc or buffers");
    qcts_call *c = calloc(1, sizeof *c);
    if (!c)
        return qcts_say(QCTS_ERROR, msg, n, "cuda: out of memory");
    c->op = op;
    qcts_status st = prepare_common(c, d, NULL, b, msg, n);
    if (st == QCTS_OK)
        st = to_device(c, msg, n);
    if (st != QCTS_OK) {
        call_free(c);
        return st;
    }
    c->variant = variant;
    *call = c;
    return QCTS_OK;
}

static qcts_status cuda_norm(const qcts_norm_desc *d, const qcts_buffers *b, qcts_call **call, char *msg, size_t n)
{
    return prepare_op(QCTS_OP_NORM, d, b, "qcu_norm_kernel (one thread per row, fp32)", call, msg, n);
}

static qcts_status cuda_softmax(const qcts_softmax_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                                size_t n)
{
    return prepare_op(QCTS_OP_SOFTMAX, d, b, "qcu_softmax_kernel (one thread per row, fp32)", call, msg, n);
}

static qcts_status cuda_rope(const qcts_rope_desc *d, const qcts_buffers *b, qcts_call **call, char *msg, size_t n)
{
    qcts_status st = prepare_op(QCTS_OP_ROPE, d, b,
                                "qcu_rope_kernel (one thread per token and head, fp32 angle, cosf/sinf)", call, msg, n);
    if (st != QCTS_OK)
        return st;
    qcts_call *c = *call;
    int half = c->od.rope.rot_dim / 2;
    float *f = malloc(sizeof(float) * (size_t)half);
    char why[320];
    int rc = -1;
    if (f) {
        qcu_rope_freqs(&c->od.rope, f, &c->attn);
        rc = (c->dfreq = qcu_malloc(sizeof(float) * (size_t)half, why, sizeof why))
                 ? qcu_h2d(c->dfreq, f, sizeof(float) * (size_t)half, why, sizeof why)
                 : -1;
    } else {
        snprintf(why, sizeof why, "out of memory");
    }
    free(f);
    if (rc != 0) {
        call_free(c);
        *call = NULL;
        return qcts_say(QCTS_ERROR, msg, n, "cuda: rope frequencies: %s", why);
    }
    return QCTS_OK;
}

static qcts_status cuda_hadamard(const qcts_hadamard_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                                 size_t n)
{
    return prepare_op(QCTS_OP_HADAMARD, d, b, "qcu_hadamard_kernel (one block per row, fp32 butterflies in shared memory)",
                      call, msg, n);
}

static qcts_status cuda_moe_dispatch(const qcts_moe_dispatch_desc *d, const qcts_buffers *b, qcts_call **call,
                                     char *msg, size_t n)
{
    *call = NULL;
    /* every id in [0, E) before anything indexes with it (as ref refuses) */
    if (d && b && b->in[0] && d->n_tokens >= 1 && d->top_k >= 1 && b->in_bytes[0] / 4 >= (size_t)(d->n_tokens * d->top_k)) {
        const int32_t *ids = b->in[0];
        for (int64_t i = 0; i < d->n_tokens * d->top_k; i++)
            if (ids[i] < 0 || ids[i] >= d->n_experts)
                return qcts_say(QCTS_ERROR, msg, n, "cuda: moe_dispatch: ids[%lld][%lld] = %d is not an expert in [0, %d)",
                                (long long)(i / d->top_k), (long long)(i % d->top_k), ids[i], d->n_experts);
    }
    return prepare_op(QCTS_OP_MOE_DISPATCH, d, b,
                      "qcu_moe_dispatch (counting sort in one thread, rows copied one element per thread)", call, msg,
                      n);
}

static qcts_status cuda_moe_route(const qcts_moe_route_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                                  size_t n)
{
    qcts_status st = prepare_op(QCTS_OP_MOE_ROUTE, d, b,
                                "qcu_moe_route (one thread per token, fp32 scores, selection scans; aux in one thread)",
                                call, msg, n);
    if (st != QCTS_OK)
        return st;
    qcts_call *c = *call;
    const qcts_moe_route_desc *r = &c->od.moe_route;
    /* prepare_op checked the descriptor and the buffer sizes */
    int64_t bad = qcu_moe_route_bad_input(r, b->in[0], r->has_bias ? b->in[1] : NULL);
    char why[320];
    if (bad >= 0) {
        st = qcts_say(QCTS_ERROR, msg, n, "cuda: moe_route: %s %lld is not finite%s",
                      bad < r->n_tokens * r->n_experts ? "logit" : "bias of expert",
                      (long long)(bad < r->n_tokens * r->n_experts ? bad : bad - r->n_tokens * r->n_experts),
                      bad < r->n_tokens * r->n_experts ? " or |x| > 64" : "");
    } else if (!(c->dscratch = qcu_malloc(sizeof(float) * (size_t)(r->n_tokens * qcu_moe_route_scratch(r)), why,
                                          sizeof why))) {
        st = qcts_say(QCTS_ERROR, msg, n, "cuda: moe_route scratch: %s", why);
    }
    if (st != QCTS_OK) {
        call_free(c);
        *call = NULL;
    }
    return st;
}

static qcts_status cuda_sampling(const qcts_sampling_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                                 size_t n)
{
    qcts_status st = prepare_op(QCTS_OP_SAMPLING, d, b,
                                "qcu_sampling (one thread per row, fp32, heapsort for top-k/top-p)", call, msg, n);
    if (st != QCTS_OK)
        return st;
    qcts_call *c = *call;
    const qcts_sampling_desc *s = &c->od.sampling;
    char why[320];
    float *host = malloc(sizeof(float) * 2 * (size_t)s->vocab);
    if (!host)
        st = qcts_say(QCTS_ERROR, msg, n, "cuda: out of memory");
    else if (qcu_sampling_bad_input(s, b->in[0], s->hist_len > 0 ? b->in[1] : NULL, b->in[2], host,
                                    (int32_t *)(host + s->vocab), why, sizeof why))
        st = qcts_say(QCTS_ERROR, msg, n, "cuda: sampling: %s", why);
    else if (!(c->dscratch = qcu_malloc(4 * (size_t)(s->rows * qcu_sampling_scratch_words(s)), why, sizeof why)))
        st = qcts_say(QCTS_ERROR, msg, n, "cuda: sampling scratch: %s", why);
    free(host);
    if (st != QCTS_OK) {
        call_free(c);
        *call = NULL;
    }
    return st;
}

static qcts_status expert_tensors(qcts_call *c, const qref_scheme *s, qcu_tables *tab, int win, size_t each, int64_t n_t,
                                  int64_t rows, int64_t cols, qcu_tensor *t, char *msg, size_t n);

static qcts_status cuda_attention(const qcts_attention_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                                  size_t n)
{
    *call = NULL;
    qcts_status st = prepare_op(QCTS_OP_ATTENTION, d, b,
                                "qcu_attention (one thread per query row, fp32, two passes over the keys; quantized caches through qcu_value)", call, msg,
                                n);
    if (st != QCTS_OK)
        return st;
    qcts_call *c = *call;
    const qcts_attention_desc *a = &c->od.attention;
    char why[320];
    size_t rows = (size_t)a->batch * (size_t)a->q_heads * (size_t)a->seq_q;
    if (a->page_size > 0 && qcu_attention_bad_table(a, b->in[3], why, sizeof why))
        st = qcts_say(QCTS_ERROR, msg, n, "cuda: attention: %s", why);
    else if (!(c->dscratch = qcu_malloc(sizeof(float) * rows * 2 * (size_t)a->dv, why, sizeof why)))
        st = qcts_say(QCTS_ERROR, msg, n, "cuda: attention scratch: %s", why);
    if (st == QCTS_OK && a->kv_scheme[0]) {   /* caches in a scheme preset: K and V tensors on one table set */
        const qref_scheme *s = qref_scheme_find(a->kv_scheme);
        qcu_tables *tab = calloc(1, sizeof *tab);
        int64_t R = a->page_size > 0 ? (int64_t)a->pages * a->page_size : (int64_t)a->batch * a->seq_kv;
        int64_t nt = a->kv_per_head ? a->kv_heads : 1, tr = a->kv_per_head ? R : a->kv_heads * R;
        c->ex_stride[0] = (int64_t)(c->io.in[1].nbytes / (size_t)nt);
        c->ex_stride[1] = (int64_t)(c->io.in[2].nbytes / (size_t)nt);
        if (!s)
            st = qcts_say(QCTS_ERROR, msg, n, "cuda: unknown scheme \"%.48s\"", a->kv_scheme);
        else if (!tab || !(c->dtab = qcu_malloc(sizeof *tab, why, sizeof why)))
            st = qcts_say(QCTS_ERROR, msg, n, "cuda: attention tables: %s", tab ? why : "out of memory");
        if (st == QCTS_OK)
            st = expert_tensors(c, s, tab, 1, (size_t)c->ex_stride[0], nt, tr, a->d, &c->ex[0], msg, n);
        if (st == QCTS_OK)
            st = expert_tensors(c, s, tab, 2, (size_t)c->ex_stride[1], nt, tr, a->dv, &c->ex[1], msg, n);
        if (st == QCTS_OK && qcu_h2d(c->dtab, tab, sizeof *tab, why, sizeof why) != 0)
            st = qcts_say(QCTS_ERROR, msg, n, "cuda: attention tables: %s", why);
        free(tab);
    }
    if (st != QCTS_OK) {
        call_free(c);
        *call = NULL;
    }
    return st;
}

/* moe_experts, attention: n tensors of rows x cols at input slot win (each bytes),
 * checked as ref loads them, set up on the call's tables, bound to the
 * device copy. */
static qcts_status expert_tensors(qcts_call *c, const qref_scheme *s, qcu_tables *tab, int win, size_t each, int64_t n_t,
                                  int64_t rows, int64_t cols, qcu_tensor *t, char *msg, size_t n)
{
    const uint8_t *w = c->b.in[win];
    char why[320];
    for (int64_t i = 0; i < n_t; i++) {
        qref_qtensor q;
        qref_error e;
        memset(&e, 0, sizeof e);
        qref_status st = qref_qtensor_load(s, rows, cols, w + (size_t)i * each, each, &q, &e);
        if (st != QREF_OK)
            return qcts_say(QCTS_ERROR, msg, n, "cuda: %s tensor %lld: %s", c->io.in[win].name,
                            (long long)i, e.msg[0] ? e.msg : qref_status_message(st));
        qref_qtensor_free(&q);
    }
    if (qcu_tensor_setup(t, tab, s, rows, cols, w, each, why, sizeof why) != 0)
        return qcts_say(QCTS_UNSUPPORTED, msg, n, "cuda: %s", why);
    qcu_tensor_bind(t, c->din[win], c->dtab);
    return QCTS_OK;
}

static qcts_status cuda_moe_experts(const qcts_moe_experts_desc *d, const qcts_buffers *b, qcts_call **call,
                                    char *msg, size_t n)
{
    qcts_status st = prepare_op(QCTS_OP_MOE_EXPERTS, d, b,
                                "qcu_moe_experts (one thread per token, weights through qcu_value, fp32 FMA)", call,
                                msg, n);
    if (st != QCTS_OK)
        return st;
    qcts_call *c = *call;
    const qcts_moe_experts_desc *e = &c->od.moe_experts;
    const qref_scheme *s = qref_scheme_find(e->scheme);
    const int32_t *ids = b->in[1];
    int64_t I = e->inter, Is = e->has_shared ? e->shared_inter : 0;
    qcu_tables *tab = NULL;
    char why[320];
    if (!s)
        st = qcts_say(QCTS_ERROR, msg, n, "cuda: unknown scheme \"%.48s\"", e->scheme);
    for (int64_t i = 0; st == QCTS_OK && i < e->n_tokens * e->top_k; i++)
        if (ids[i] < 0 || ids[i] >= e->n_experts)
            st = qcts_say(QCTS_ERROR, msg, n, "cuda: moe_experts: ids[%lld][%lld] = %d is not an expert in [0, %d)",
                          (long long)(i / e->top_k), (long long)(i % e->top_k), ids[i], e->n_experts);
    if (st == QCTS_OK && (!(tab = calloc(1, sizeof *tab)) || !(c->dtab = qcu_malloc(sizeof *tab, why, sizeof why))))
        st = qcts_say(QCTS_ERROR, msg, n, "cuda: moe_experts tables: %s", tab ? why : "out of memory");
    c->ex_stride[0] = (int64_t)(c->io.in[3].nbytes / (size_t)e->n_experts);
    c->ex_stride[1] = (int64_t)(c->io.in[4].nbytes / (size_t)e->n_experts);
    if (st == QCTS_OK)
        st = expert_tensors(c, s, tab, 3, (size_t)c->ex_stride[0], e->n_experts, 2 * I, e->hidden, &c->ex[0], msg, n);
    if (st == QCTS_OK)
        st = expert_tensors(c, s, tab, 4, (size_t)c->ex_stride[1], e->n_experts, e->hidden, I, &c->ex[1], msg, n);
    if (st == QCTS_OK && e->has_shared)
        st = expert_tensors(c, s, tab, 5, c->io.in[5].nbytes, 1, 2 * Is, e->hidden, &c->ex[2], msg, n);
    if (st == QCTS_OK && e->has_shared)
        st = expert_tensors(c, s, tab, 6, c->io.in[6].nbytes, 1, e->hidden, Is, &c->ex[3], msg, n);
    if (st == QCTS_OK && qcu_h2d(c->dtab, tab, sizeof *tab, why, sizeof why) != 0)
        st = qcts_say(QCTS_ERROR, msg, n, "cuda: moe_experts tables: %s", why);
    if (st == QCTS_OK &&
        !(c->dscratch = qcu_malloc(sizeof(float) * (size_t)(e->n_tokens * (I > Is ? I : Is)), why, sizeof why)))
        st = qcts_say(QCTS_ERROR, msg, n, "cuda: moe_experts scratch: %s", why);
    free(tab);
    if (st != QCTS_OK) {
        call_free(c);
        *call = NULL;
    }
    return st;
}

/* Enqueues c's kernel (no event). */
static int launch(qcts_call *c, char *why, size_t wn)
{
    switch (c->op) {
    case QCTS_OP_CONVERT:
        return qcu_launch_convert((int)c->cd.fmt, (int)c->cd.convention, (int)c->cd.mode, (int)c->cd.decode, c->cd.n,
                                  c->din[0], c->dout[0], c->dout[1], why, wn);
    case QCTS_OP_QUANTIZE:
        return qcu_launch_quantize(&c->qz, why, wn);
    case QCTS_OP_DEQUANT:
        return qcu_launch_dequant(&c->t, dt_code(c->dd.out_dtype), c->dout[0], why, wn);
    case QCTS_OP_GEMM:
        return c->gd.a_quant != QCTS_AQ_NONE ? qcu_launch_aq_gemm(&c->aq, why, wn) : qcu_launch_gemm(&c->g, why, wn);
    case QCTS_OP_NORM:
        return qcu_launch_norm(&c->od.norm, c->din[0], c->din[1], c->din[2], c->din[3], c->dout[0], c->dout[1], why,
                               wn);
    case QCTS_OP_SOFTMAX:
        return qcu_launch_softmax(&c->od.softmax, c->din[0], c->dout[0], why, wn);
    case QCTS_OP_MOE_EXPERTS:
        return qcu_launch_moe_experts(&c->od.moe_experts, c->ex, c->ex_stride, c->din[0], c->din[1], c->din[2],
                                      c->dscratch, c->dout[0], why, wn);
    case QCTS_OP_ATTENTION:
        return qcu_launch_attention(&c->od.attention, (const void *const *)c->din, c->dout,
                                    c->od.attention.kv_scheme[0] ? c->ex : NULL, c->ex_stride, c->dscratch, why, wn);
    case QCTS_OP_SAMPLING:
        return qcu_launch_sampling(&c->od.sampling, c->din[0], c->din[1], c->din[2], c->dscratch, c->dout[0],
                                   c->dout[1], why, wn);
    case QCTS_OP_MOE_ROUTE:
        return qcu_launch_moe_route(&c->od.moe_route, c->din[0], c->din[1], c->dscratch, c->dout[0], c->dout[1],
                                    c->dout[2], why, wn);
    case QCTS_OP_MOE_DISPATCH:
        return qcu_launch_moe_dispatch(&c->od.moe_dispatch, c->din[0], c->din[1], c->dout[0], c->dout[1], c->dout[2],
                                       c->dout[3], why, wn);
    case QCTS_OP_HADAMARD:
        return qcu_launch_hadamard(&c->od.hadamard, c->din[0], c->dout[0], why, wn);
    case QCTS_OP_ROPE:
        return qcu_launch_rope(&c->od.rope, c->dfreq, c->attn, (const void *const *)c->din, c->dout, why, wn);
    default:
        snprintf(why, wn, "cuda: op %d has no kernel", (int)c->op);
        return -1;
    }
}

static qcts_status cuda_run(qcts_call *c, char *msg, size_t n)
{
    char why[320];
    int rc = launch(c, why, sizeof why);
    if (rc == 0)
        rc = qcu_event_record(c->ev, why, sizeof why);
    return rc == 0 ? QCTS_OK : qcts_say(QCTS_ERROR, msg, n, "%s", why);
}

static qcts_status cuda_sync(qcts_call *c, char *msg, size_t n)
{
    char why[320];
    return qcu_event_sync(c->ev, why, sizeof why) == 0 ? QCTS_OK : qcts_say(QCTS_ERROR, msg, n, "%s", why);
}

static qcts_status cuda_fetch(qcts_call *c, char *msg, size_t n)
{
    char why[320];
    for (int i = 0; i < c->io.n_out; i++)
        if (c->dout[i] && qcu_d2h(c->b.out[i], c->dout[i], c->io.out[i].nbytes, why, sizeof why) != 0)
            return qcts_say(QCTS_ERROR, msg, n, "cuda: output %s: %s", c->io.out[i].name, why);
    if (c->op == QCTS_OP_QUANTIZE) {   /* what ref refuses is an error, never a result */
        unsigned status = 0;
        if (qcu_d2h(&status, c->dscratch, sizeof status, why, sizeof why) != 0)
            return qcts_say(QCTS_ERROR, msg, n, "cuda: quantize status: %s", why);
        if (status)
            return qcts_say(QCTS_ERROR, msg, n, "cuda: quantize %s: %s (ref refuses it)", c->scheme,
                            status & QCU_QZ_NONFINITE ? "a weight is not finite" : "a group's scale overflows");
    }
    return QCTS_OK;
}

static void cuda_release(qcts_call *c) { call_free(c); }

static const char *cuda_variant(const qcts_call *c) { return c ? c->variant : NULL; }

static const qcts_backend cuda_backend = {
    .abi_version = QCTS_BACKEND_ABI_VERSION,
    .struct_size = sizeof(qcts_backend),
    .name = "cuda",
    .description = "NVIDIA GPU kernels (CUDA): every preset through a generic decode kernel; fast weight-only GEMV "
                   "(FP4/INT4/MXFP4/Q4_0/FP8 decoded in registers, fp32 FMA; Hopper has no FP4 tensor cores)",
    .flags = 0,
    .available = cuda_available,
    .variant = cuda_variant,
    .convert = cuda_convert,
    .quantize = cuda_quantize,
    .dequant = cuda_dequant,
    .gemm = cuda_gemm,
    .norm = cuda_norm,
    .softmax = cuda_softmax,
    .rope = cuda_rope,
    .hadamard = cuda_hadamard,
    .moe_dispatch = cuda_moe_dispatch,
    .moe_route = cuda_moe_route,
    .sampling = cuda_sampling,
    .attention = cuda_attention,
    .moe_experts = cuda_moe_experts,
    .run = cuda_run,
    .sync = cuda_sync,
    .fetch = cuda_fetch,
    .release = cuda_release,
};

const qcts_backend *qcts_backend_cuda_entry(void) { return &cuda_backend; }

/* For the bench (bench_cuda.c): n runs of calls[(*idx)++ % ncalls], back to
 * back between two events; sec = elapsed / n. */
int qcts_cuda_time_runs(qcts_call **calls, int ncalls, long *idx, int nruns, double *sec, char *why, size_t wn)
{
    void *a = qcu_event_new(why, wn), *b = qcu_event_new(why, wn);
    int rc = -1;
    float ms = 0;
    if (!a || !b || qcu_event_record(a, why, wn) != 0)
        goto out;
    for (int i = 0; i < nruns; i++) {
        qcts_call *c = calls[(*idx)++ % ncalls];
        int r = c->op == QCTS_OP_CONVERT ? (snprintf(why, wn, "cuda: convert calls are not timed"), -1)
                                         : launch(c, why, wn);
        if (r != 0)
            goto out;
    }
    if (qcu_event_record(b, why, wn) != 0 || qcu_event_sync(b, why, wn) != 0 || qcu_event_ms(a, b, &ms, why, wn) != 0)
        goto out;
    *sec = (double)ms * 1e-3 / nruns;
    rc = 0;
out:
    qcu_event_free(a);
    qcu_event_free(b);
    return rc;
}
