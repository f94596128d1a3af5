/* The `ref` backend: ref/ (libqref) behind the backend ABI. It is the
 * oracle that made the golden vectors, so every case must pass on it; it
 * also lets `qcts case run --backend ref` answer the exec protocol.
 *
 * prepare checks the desc and the buffer sizes and copies the desc; run
 * computes straight into the output buffers (no sync, no fetch). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/backend_say.h"
#include "kernels/kernels_impl.h"
#include "kernels/opcall.h"
#include "qcts/case_call.h"
#include "qcts/opdef.h"
#include "qref/fmt.h"
#include "qref/scheme.h"
#ifdef QCTS_HAVE_QREF_GEMM
#include "qref/actquant.h"
#include "qref/gemm.h"
#endif

struct qcts_call {
    qcts_op op;
    qcts_any_desc d;
    char scheme[128];
    qcts_buffers b;
    qcts_op_io io;
};

static int ref_available(char *why, size_t n)
{
    if (why && n)
        why[0] = '\0';
    return 1;
}

static const char *ref_variant(const qcts_call *c)
{
    switch (c->op) {
    case QCTS_OP_CONVERT: return c->d.convert.decode ? "qref_decode" : "qref_encode";
    case QCTS_OP_QUANTIZE: return "qref_quantize";
    case QCTS_OP_DEQUANT: return "qref_dequantize_as";
    case QCTS_OP_GEMM: return "qref_gemm";
    default: return qcts_opdef_get(c->op) ? qcts_opcall_variant(c) : "qref";
    }
}

/* Common prepare: sizes from the desc, buffers checked, desc copied. */
static qcts_status prepare(qcts_op op, const void *desc, const char *scheme, const qcts_buffers *b,
                           qcts_call **out, char *msg, size_t n)
{
    *out = NULL;
    if (!desc || !b)
        return qcts_say(QCTS_ERROR, msg, n, "ref: NULL desc or buffers");
    qcts_call *c = calloc(1, sizeof *c);
    if (!c)
        return qcts_say(QCTS_ERROR, msg, n, "ref: out of memory");
    c->op = op;
    switch (op) {
    case QCTS_OP_CONVERT: c->d.convert = *(const qcts_convert_desc *)desc; break;
    case QCTS_OP_QUANTIZE: c->d.quantize = *(const qcts_quantize_desc *)desc; break;
    case QCTS_OP_DEQUANT: c->d.dequant = *(const qcts_dequant_desc *)desc; break;
    case QCTS_OP_GEMM: c->d.gemm = *(const qcts_gemm_desc *)desc; break;
    default: break;
    }
    if (scheme) {
        if (strlen(scheme) >= sizeof c->scheme) {
            free(c);
            return qcts_say(QCTS_UNSUPPORTED, msg, n, "ref: scheme name too long");
        }
        strcpy(c->scheme, scheme);
        switch (op) {
        case QCTS_OP_QUANTIZE: c->d.quantize.scheme = c->scheme; break;
        case QCTS_OP_DEQUANT: c->d.dequant.scheme = c->scheme; break;
        case QCTS_OP_GEMM: c->d.gemm.scheme = c->scheme; break;
        default: break;
        }
    }
    char e[QCTS_CASE_ERRLEN];
    qcts_status st = QCTS_OK;
    if (qcts_op_io_get(op, &c->d, &c->io, e, sizeof e) != QCTS_OK)
        /* An unknown scheme or a shape the scheme does not take: the
         * caller's desc is wrong. */
        st = qcts_say(QCTS_ERROR, msg, n, "ref: %s", e);
    for (int i = 0; st == QCTS_OK && i < c->io.n_in; i++) {
        const qcts_tensor_spec *s = &c->io.in[i];
        if (s->used && (!b->in[i] || b->in_bytes[i] < s->nbytes))
            st = qcts_say(QCTS_ERROR, msg, n, "ref: input %d (%s) is %s: %zu bytes given, %zu needed", i, s->name,
                     b->in[i] ? "too small" : "NULL", b->in_bytes[i], s->nbytes);
    }
    for (int i = 0; st == QCTS_OK && i < c->io.n_out; i++) {
        const qcts_tensor_spec *s = &c->io.out[i];
        if (!s->used || (s->optional && !b->out[i]))
            continue;
        if (!b->out[i] || b->out_bytes[i] < s->nbytes)
            st = qcts_say(QCTS_ERROR, msg, n, "ref: output %d (%s) is %s: %zu bytes given, %zu needed", i, s->name,
                     b->out[i] ? "too small" : "NULL", b->out_bytes[i], s->nbytes);
    }
    if (st != QCTS_OK) {
        free(c);
        return st;
    }
    c->b = *b;
    *out = c;
    return QCTS_OK;
}

/* ---- convert ------------------------------------------------------------------ */

static qcts_status ref_convert(const qcts_convert_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                               size_t n)
{
    qcts_status st = prepare(QCTS_OP_CONVERT, d, NULL, b, call, msg, n);
    if (st != QCTS_OK || d->decode)
        return st;
    qref_mode eff;
    if (qref_mode_resolve((qref_fmt)d->fmt, (qref_conv)d->convention, (qref_mode)d->mode, &eff) != QREF_OK) {
        free(*call);
        *call = NULL;
        return qcts_say(QCTS_UNSUPPORTED, msg, n, "ref: mode %s is not available for %s under convention %s",
                   qref_mode_name((qref_mode)d->mode), qref_fmt_get((qref_fmt)d->fmt)->name,
                   qref_conv_name((qref_conv)d->convention));
    }
    return QCTS_OK;
}

static void store_code(uint8_t *p, size_t width, uint32_t code)
{
    for (size_t k = 0; k < width; k++)
        p[k] = (uint8_t)(code >> (8 * k));
}

static uint32_t load_code(const uint8_t *p, size_t width)
{
    uint32_t c = 0;
    for (size_t k = 0; k < width; k++)
        c |= (uint32_t)p[k] << (8 * k);
    return c;
}

static qcts_status run_convert(qcts_call *c, char *msg, size_t n)
{
    const qcts_convert_desc *d = &c->d.convert;
    qref_fmt f = (qref_fmt)d->fmt;
    qref_conv cv = (qref_conv)d->convention;
    size_t width = qcts_dtype_size(d->decode ? c->io.in[0].dtype : c->io.out[0].dtype);
    for (int64_t i = 0; i < d->n; i++) {
        if (d->decode) {
            uint32_t code = load_code((const uint8_t *)c->b.in[0] + (size_t)i * width, width);
            float v;
            qref_status s = qref_decode(f, cv, code, &v);
            if (s != QREF_OK)
                return qcts_say(QCTS_ERROR, msg, n, "ref: decode of element %lld, code 0x%X: %s", (long long)i,
                           (unsigned)code, qref_status_message(s));
            memcpy((uint8_t *)c->b.out[0] + (size_t)i * 4, &v, 4);
        } else {
            float x;
            uint32_t code = 0;
            memcpy(&x, (const uint8_t *)c->b.in[0] + (size_t)i * 4, 4);
            qref_status s = qref_encode(f, cv, (qref_mode)d->mode, x, &code);
            if (s != QREF_OK && s != QREF_ERR_NAN)
                return qcts_say(QCTS_ERROR, msg, n, "ref: encode of element %lld: %s", (long long)i,
                           qref_status_message(s));
            store_code((uint8_t *)c->b.out[0] + (size_t)i * width, width, code);
            if (c->b.out[1])
                ((uint8_t *)c->b.out[1])[i] = (uint8_t)s;
        }
    }
    return QCTS_OK;
}

/* ---- quantize, dequant -------------------------------------------------------- */

static qcts_status qref_to_qcts(qref_status s)
{
    return s == QREF_ERR_UNSUPPORTED ? QCTS_UNSUPPORTED : QCTS_ERROR;
}

static qcts_status ref_quantize(const qcts_quantize_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                                size_t n)
{
    return prepare(QCTS_OP_QUANTIZE, d, d ? d->scheme : NULL, b, call, msg, n);
}

static qcts_status run_quantize(qcts_call *c, char *msg, size_t n)
{
    const qcts_quantize_desc *d = &c->d.quantize;
    const qref_scheme *s = qref_scheme_find(d->scheme);
    qref_qtensor t;
    qref_error e;
    memset(&e, 0, sizeof e);
    qref_status st = qref_quantize(s, d->rows, d->cols, c->b.in[0], &t, &e);
    if (st != QREF_OK)
        return qcts_say(qref_to_qcts(st), msg, n, "ref: quantize %s: %s", d->scheme,
                   e.msg[0] ? e.msg : qref_status_message(st));
    st = qref_qtensor_save(&t, c->b.out[0], c->io.out[0].nbytes);
    qref_qtensor_free(&t);
    if (st != QREF_OK)
        return qcts_say(QCTS_ERROR, msg, n, "ref: saving the %s tensor: %s", d->scheme, qref_status_message(st));
    return QCTS_OK;
}

static qref_fmt dtype_fmt(qcts_dtype d)
{
    return d == QCTS_DT_F16 ? QREF_FMT_F16 : d == QCTS_DT_BF16 ? QREF_FMT_BF16 : QREF_FMT_F32;
}

static qcts_status ref_dequant(const qcts_dequant_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                               size_t n)
{
    return prepare(QCTS_OP_DEQUANT, d, d ? d->scheme : NULL, b, call, msg, n);
}

static qcts_status run_dequant(qcts_call *c, char *msg, size_t n)
{
    const qcts_dequant_desc *d = &c->d.dequant;
    const qref_scheme *s = qref_scheme_find(d->scheme);
    qref_qtensor t;
    qref_error e;
    memset(&e, 0, sizeof e);
    qref_status st = qref_qtensor_load(s, d->rows, d->cols, c->b.in[0], c->io.in[0].nbytes, &t, &e);
    if (st == QREF_OK) {
        st = qref_dequantize_as(&t, dtype_fmt(d->out_dtype), c->b.out[0], &e);
        qref_qtensor_free(&t);
    }
    if (st != QREF_OK)
        return qcts_say(qref_to_qcts(st), msg, n, "ref: dequant %s: %s", d->scheme,
                   e.msg[0] ? e.msg : qref_status_message(st));
    return QCTS_OK;
}

/* ---- gemm ------------------------------------------------------------------------------ */

#ifdef QCTS_HAVE_QREF_GEMM
static qcts_status ref_gemm(const qcts_gemm_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                            size_t n)
{
    if (d && d->a_quant != QCTS_AQ_NONE) {   /* refuse at prepare what run would refuse */
        const qref_scheme *s = d->scheme ? qref_scheme_find(d->scheme) : NULL;
        if (call)
            *call = NULL;
        if (d->a_quant >= QREF_AQ_COUNT)
            return qcts_say(QCTS_ERROR, msg, n, "ref: gemm a_quant %u is not an activation quantization (0-6)",
                            (unsigned)d->a_quant);
        if (d->a_group != 0)
            return qcts_say(QCTS_UNSUPPORTED, msg, n, "ref: gemm a_group %d (grouped activation scales are reserved)",
                            (int)d->a_group);
        if (s && qref_aq_pairs_with((qref_aq)d->a_quant, s) != QREF_OK)
            return qcts_say(QCTS_UNSUPPORTED, msg, n, "ref: activation quantization %s does not pair with %s "
                            "(ggml's vec_dot_type)", qref_aq_name((qref_aq)d->a_quant), d->scheme);
    }
    return prepare(QCTS_OP_GEMM, d, d ? d->scheme : NULL, b, call, msg, n);
}

static qcts_status run_gemm(qcts_call *c, char *msg, size_t n)
{
    const qcts_gemm_desc *d = &c->d.gemm;
    const qref_scheme *s = qref_scheme_find(d->scheme);
    size_t total = c->io.in[1].nbytes / (size_t)d->batch;
    qref_qtensor *w = calloc((size_t)d->batch, sizeof *w);
    qref_error e;
    memset(&e, 0, sizeof e);
    if (!w)
        return qcts_say(QCTS_ERROR, msg, n, "ref: out of memory");
    qref_status st = QREF_OK;
    int64_t loaded = 0;
    for (; loaded < d->batch && st == QREF_OK; loaded++)
        st = qref_qtensor_load(s, d->N, d->K, (const uint8_t *)c->b.in[1] + (size_t)loaded * total, total,
                               &w[loaded], &e);
    if (st != QREF_OK) {
        loaded--;   /* the failed one allocated nothing */
    } else {
        qref_gemm_desc g = { .batch = d->batch, .M = d->M, .N = d->N, .K = d->K, .lda = d->lda,
                             .ldy = d->ldy, .a_dtype = dtype_fmt(d->a_dtype),
                             .out_dtype = dtype_fmt(d->out_dtype), .has_bias = d->has_bias != 0,
                             .a_quant = (int)d->a_quant };
        st = qref_gemm(&g, c->b.in[0], w, d->has_bias ? c->b.in[2] : NULL, c->b.out[0], NULL, QREF_ACC_F32, &e);
    }
    for (int64_t i = 0; i < loaded; i++)
        qref_qtensor_free(&w[i]);
    free(w);
    if (st != QREF_OK)
        return qcts_say(qref_to_qcts(st), msg, n, "ref: gemm %s: %s", d->scheme,
                   e.msg[0] ? e.msg : qref_status_message(st));
    return QCTS_OK;
}
#endif

/* ---- lifecycle ------------------------------------------------------------------------ */

static qcts_status ref_run(qcts_call *c, char *msg, size_t n)
{
    switch (c->op) {
    case QCTS_OP_CONVERT: return run_convert(c, msg, n);
    case QCTS_OP_QUANTIZE: return run_quantize(c, msg, n);
    case QCTS_OP_DEQUANT: return run_dequant(c, msg, n);
#ifdef QCTS_HAVE_QREF_GEMM
    case QCTS_OP_GEMM: return run_gemm(c, msg, n);
#endif
    default:
        if (qcts_opdef_get(c->op))   /* ops after GEMM: kernels/opcall.h */
            return qcts_opcall_run(c, msg, n);
        return qcts_say(QCTS_ERROR, msg, n, "ref: op %d has no run", (int)c->op);
    }
}

static void ref_release(qcts_call *c)
{
    if (c && qcts_opdef_get(c->op))   /* kernels/opcall.h */
        qcts_opcall_release(c);
    else
        free(c);
}

static const qcts_backend ref_backend = {
    .abi_version = QCTS_BACKEND_ABI_VERSION,
    .struct_size = sizeof(qcts_backend),
    .name = "ref",
    .description = "the bit-exact scalar reference (libqref): convert, quantize, dequant"
#ifdef QCTS_HAVE_QREF_GEMM
                   ", gemm"
#endif
    ,
    .flags = 0,
    .available = ref_available,
    .variant = ref_variant,
    .convert = ref_convert,
    .quantize = ref_quantize,
    .dequant = ref_dequant,
#ifdef QCTS_HAVE_QREF_GEMM
    .gemm = ref_gemm,
#endif
    .attention = qcts_ref_attention,
    .rope = qcts_ref_rope,
    .norm = qcts_ref_norm,
    .softmax = qcts_ref_softmax,
    .hadamard = qcts_ref_hadamard,
    .sampling = qcts_ref_sampling,
    .moe_route = qcts_ref_moe_route,
    .moe_dispatch = qcts_ref_moe_dispatch,
    .moe_experts = qcts_ref_moe_experts,
    .run = ref_run,
    .release = ref_release,
};

const qcts_backend *qcts_backend_ref_entry(void)
{
    return &ref_backend;
}
