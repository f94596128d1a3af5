/* The convert and quantize slots of the CPU SIMD backends (avx2, avx512,
 * neon, simd), as kernels/opcall.h call objects.
 *
 * Both keep a call of the ref backend, prepared with the same descriptor
 * and buffers: its prepare validates them exactly as the reference does
 * (and answers UNSUPPORTED where it does), and its run is the generic tier,
 * i.e. the reference's scalar code (qref_encode / qref_decode,
 * qref_quantize), for everything without a vector path:
 *   - convert between float32 and f16 / bf16 (either direction) and the
 *     identity f32 <-> f32 codes run the ISA's vector conversions
 *     (qcts_convert_ops_for: exact widening, RNE narrowing, bit-identical to
 *     qref_f32_to_f16 / qref_f32_to_bf16, which are the OCP convention).
 *     Non-NaN values encode and decode the same under every convention
 *     (ref/src/codec_float.c: only NaNs differ), so only NaN elements are
 *     redone with qref_encode / qref_decode under the case's convention.
 *     The status of every f16 / bf16 / f32 encode is 0 (NaN is
 *     representable).
 *   - every other format (FP8, FP6, FP4, E8M0, integers, NF): the generic
 *     tier (documented by the variant name "generic: ...").
 *   - quantize: the symmetric integer group presets (int4_sym_g128,
 *     int8_per_channel) and GGUF Q8_0 / Q4_0 on avx2 / avx512 / neon run
 *     the vector quantizer of
 *     quantize_int.h (bit-exact with qref_quantize); every other scheme, the
 *     scalar ISA, and inputs it hands back (a non-finite weight, a scale
 *     overflow: ref's errors) run the generic tier. */
#include <stdlib.h>
#include <string.h>

#include "kernels/backend_say.h"
#include "kernels/kernels_impl.h"
#include "kernels/opcall.h"
#include "kernels/simd/quantize_int.h"
#include "kernels/simd/simd.h"
#include "qref/bits.h"
#include "qref/fmt.h"

typedef struct cv_call {
    qcts_opcall h;
    qcts_convert_desc d;
    qcts_buffers b;
    qcts_call *ref;                 /* the ref backend's call: validation and the generic tier */
    const qcts_convert_ops *cv;     /* the ISA's conversions (vector path), or NULL */
} cv_call;

static void cv_release(qcts_opcall *oc)
{
    cv_call *c = (cv_call *)oc;
    if (c->ref)
        qcts_backend_ref_entry()->release(c->ref);
    free(c);
}

static qcts_status generic_run(qcts_opcall *oc, char *msg, size_t n)
{
    return qcts_backend_ref_entry()->run(((cv_call *)oc)->ref, msg, n);
}

/* f16 / bf16 / f32 <-> float32 on the vector path; NaNs through qref. */
static qcts_status vector_run(qcts_opcall *oc, char *msg, size_t n)
{
    cv_call *c = (cv_call *)oc;
    const qcts_convert_desc *d = &c->d;
    const qref_fmt f = (qref_fmt)d->fmt;
    const qref_conv cv = (qref_conv)d->convention;
    const int64_t N = d->n;
    if (d->decode) {
        float *y = c->b.out[0];
        if (f == QREF_FMT_F32) {
            memcpy(y, c->b.in[0], (size_t)N * 4);
            return QCTS_OK;
        }
        const uint16_t *h = c->b.in[0];
        if (f == QREF_FMT_BF16) {
            c->cv->bf16_to_f32(h, y, N);   /* exact under every convention */
            return QCTS_OK;
        }
        c->cv->f16_to_f32(h, y, N);
        for (int64_t i = 0; i < N; i++)
            if ((h[i] & 0x7FFFu) > 0x7C00u && qref_decode(f, cv, h[i], &y[i]) != QREF_OK)
                return qcts_say(QCTS_ERROR, msg, n, "%s: decode of element %lld failed", c->h.variant, (long long)i);
        return QCTS_OK;
    }
    const float *x = c->b.in[0];
    if (c->b.out[1])
        memset(c->b.out[1], 0, (size_t)N);
    if (f == QREF_FMT_F32) {
        memcpy(c->b.out[0], x, (size_t)N * 4);
        return QCTS_OK;
    }
    uint16_t *y = c->b.out[0];
    if (f == QREF_FMT_F16)
        c->cv->f32_to_f16(x, y, N);
    else
        c->cv->f32_to_bf16(x, y, N);
    for (int64_t i = 0; i < N; i++) {
        if ((qref_f32_bits(x[i]) & 0x7FFFFFFFu) <= 0x7F800000u)
            continue;
        uint32_t code;
        qref_status s = qref_encode(f, cv, (qref_mode)d->mode, x[i], &code);
        if (s != QREF_OK)   /* cannot happen for f16/bf16 (prepare resolved the mode); never guess */
            return qcts_say(QCTS_ERROR, msg, n, "%s: encode of element %lld: %s", c->h.variant, (long long)i,
                            qref_status_message(s));
        y[i] = (uint16_t)code;
    }
    return QCTS_OK;
}

static const char *vector_name(qcts_isa isa)
{
    switch (isa) {
    case QCTS_ISA_AVX2: return "qcts_convert__avx2";
    case QCTS_ISA_AVX512: return "qcts_convert__avx512";
    case QCTS_ISA_NEON: return "qcts_convert__neon";
    default: return "qcts_convert__scalar";
    }
}

qcts_status qcts_simd_convert_slot(int isa, const char *who, const qcts_convert_desc *d, const qcts_buffers *b,
                                   qcts_call **call, char *msg, size_t n)
{
    *call = NULL;
    qcts_status st;
    cv_call *c = QCTS_OPCALL_NEW(cv_call, QCTS_OP_CONVERT, who, generic_run, cv_release, NULL, d, b, NULL, &st,
                                 msg, n);
    if (!c)
        return st;
    st = qcts_backend_ref_entry()->convert(d, b, &c->ref, msg, n);
    if (st != QCTS_OK) {
        cv_release(&c->h);
        return st;
    }
    const qref_fmt f = (qref_fmt)d->fmt;
    if (f == QREF_FMT_F16 || f == QREF_FMT_BF16 || f == QREF_FMT_F32) {
        c->cv = qcts_convert_ops_for((qcts_isa)isa);
        c->h.run = vector_run;
        c->h.variant = vector_name((qcts_isa)isa);
    } else {
        c->h.variant = d->decode ? "generic: qref_decode" : "generic: qref_encode";
    }
    *call = (qcts_call *)(void *)c;
    return QCTS_OK;
}

/* ---- quantize: the generic tier ----------------------------------------------------- */

typedef struct q_call {
    qcts_opcall h;
    qcts_quantize_desc d;
    qcts_buffers b;
    qcts_call *ref;
    const qcts_qint_ops *qint;     /* the vector quantizer, or NULL */
    const qref_scheme *s;
    size_t out_bytes;
} q_call;

static void q_release(qcts_opcall *oc)
{
    q_call *c = (q_call *)oc;
    if (c->ref)
        qcts_backend_ref_entry()->release(c->ref);
    free(c);
}

static qcts_status q_run(qcts_opcall *oc, char *msg, size_t n)
{
    q_call *c = (q_call *)oc;
    if (c->qint && qcts_quantize_int(c->qint, c->s, c->d.rows, c->d.cols, c->b.in[0], c->b.out[0], c->out_bytes))
        return QCTS_OK;
    return qcts_backend_ref_entry()->run(c->ref, msg, n);
}

qcts_status qcts_simd_quantize_slot(int isa, const char *who, const qcts_quantize_desc *d, const qcts_buffers *b,
                                    qcts_call **call, char *msg, size_t n)
{
    *call = NULL;
    qcts_status st;
    qcts_op_io io;
    q_call *c = QCTS_OPCALL_NEW(q_call, QCTS_OP_QUANTIZE, who, q_run, q_release, "generic: qref_quantize", d, b,
                                &io, &st, msg, n);
    if (!c)
        return st;
    st = qcts_backend_ref_entry()->quantize(d, b, &c->ref, msg, n);
    if (st != QCTS_OK) {
        q_release(&c->h);
        return st;
    }
    c->s = qref_scheme_find(d->scheme);
    c->qint = qcts_qint_ops_for((qcts_isa)isa, c->s);
    c->out_bytes = io.out[0].nbytes;
    if (c->qint)
        c->h.variant = isa == QCTS_ISA_NEON ? "qcts_quantize_int__neon" : "qcts_quantize_int__avx2";
    *call = (qcts_call *)(void *)c;
    return QCTS_OK;
}
