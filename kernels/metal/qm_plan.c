/* Plans of the Metal kernels (qm_plan.h). */
#include "kernels/metal/qm_plan.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "kernels/backend_say.h"
#include "kernels/simd/simd.h"
#include "qcts/case_call.h"
#include "qref/blocks.h"
#include "qref/fmt.h"
#include "qref/marlin.h"
#include "qref/scheme.h"
#include "qref/sparse.h"

/* qm_abi.h mirrors qref's and qcts's enums: they must agree. */
_Static_assert(QM_FAM_GROUP == QREF_FAMILY_GROUP && QM_FAM_MX == QREF_FAMILY_MX && QM_FAM_NVFP4 == QREF_FAMILY_NVFP4 &&
                   QM_FAM_GGUF == QREF_FAMILY_GGUF && QM_FAM_MARLIN == QREF_FAMILY_MARLIN &&
                   QM_FAM_SPARSE == QREF_FAMILY_SPARSE, "qm_abi.h families");
_Static_assert(QM_LAY_BYTES == QREF_LAYOUT_BYTES && QM_LAY_KMAJOR_U32 == QREF_LAYOUT_KMAJOR_U32 &&
                   QM_LAY_PACK24 == QREF_LAYOUT_PACK24 && QM_LAY_GGUF == QREF_LAYOUT_GGUF &&
                   QM_LAY_MARLIN == QREF_LAYOUT_MARLIN && QM_LAY_SPARSE == QREF_LAYOUT_SPARSE, "qm_abi.h layouts");
_Static_assert(QM_SC_F32 == QREF_SCALE_F32 && QM_SC_F16 == QREF_SCALE_F16 && QM_SC_BF16 == QREF_SCALE_BF16 &&
                   QM_SC_E8M0 == QREF_SCALE_E8M0 && QM_SC_E4M3 == QREF_SCALE_E4M3 && QM_SC_UE4M3 == QREF_SCALE_UE4M3,
               "qm_abi.h scale formats");
_Static_assert(QM_ZERO_INT == QREF_ZERO_INT && QM_ZERO_FLOAT == QREF_ZERO_FLOAT, "qm_abi.h zeros");
_Static_assert(QM_FMT_E4M3 == QREF_FMT_E4M3 && QM_FMT_E2M1 == QREF_FMT_E2M1 && QM_FMT_E8M0 == QREF_FMT_E8M0 &&
                   QM_FMT_INT4 == QREF_FMT_INT4 && QM_FMT_NF2 == QREF_FMT_NF2 && QREF_FMT_COUNT == 20,
               "qm_abi.h formats");
_Static_assert(QM_CONV_OCP == QREF_CONV_OCP && QM_CONV_ML_DTYPES == QREF_CONV_ML_DTYPES &&
                   QM_CONV_TORCH == QREF_CONV_TORCH && QM_CONV_CUDA_SATFINITE == QREF_CONV_CUDA_SATFINITE &&
                   QM_CONV_CUDA_NOSAT == QREF_CONV_CUDA_NOSAT && QM_CONV_GGML == QREF_CONV_GGML &&
                   QM_CONV_ML_DTYPES_0_7 == QREF_CONV_ML_DTYPES_0_7 &&
                   QM_CONV_ML_DTYPES_0_5_0 == QREF_CONV_ML_DTYPES_0_5_0 && QM_CONV_TORCH_2_15 == QREF_CONV_TORCH_2_15 &&
                   QREF_CONV_COUNT == 9, "qm_abi.h conventions");
_Static_assert(QM_DT_F32 == QCTS_DT_F32 && QM_DT_F16 == QCTS_DT_F16 && QM_DT_BF16 == QCTS_DT_BF16, "qm_abi.h dtypes");
_Static_assert(sizeof(qm_wdesc) == 28 * 4 && sizeof(qm_params) == 40 * 4, "qm_abi.h: no padding");

static uint32_t aux[QM_AUX_WORDS];
static pthread_once_t aux_once = PTHREAD_ONCE_INIT;

static void aux_init(void)
{
    for (int i = 0; i < 256; i++) {
        aux[QM_AUX_IQ2XXS_GRID + 2 * i] = (uint32_t)qref_iq2xxs_grid[i];
        aux[QM_AUX_IQ2XXS_GRID + 2 * i + 1] = (uint32_t)(qref_iq2xxs_grid[i] >> 32);
        aux[QM_AUX_IQ3XXS_GRID + i] = qref_iq3xxs_grid[i];
    }
    for (int i = 0; i < 128; i++)
        aux[QM_AUX_KSIGNS + i / 4] |= (uint32_t)qref_ksigns_iq2xs[i] << (8 * (i % 4));
    for (int i = 0; i < 1024; i++)
        aux[QM_AUX_MARLIN_PERM_INV + i] = (uint32_t)qref_marlin_perm_inv(i);
    for (int i = 0; i < 64; i++)
        aux[QM_AUX_MARLIN_SPERM_INV + i] = (uint32_t)qref_marlin_scale_perm_inv(0, i);
    for (int i = 0; i < 32; i++)
        aux[QM_AUX_MARLIN_SPERM1_INV + i] = (uint32_t)qref_marlin_scale_perm_inv(1, i);
}

const uint32_t *qm_aux_table(void)
{
    pthread_once(&aux_once, aux_init);
    return aux;
}

static void add_buf(qm_plan *pl, uint32_t index, const void *in, void *out, size_t bytes, int small)
{
    qm_plan_buf *b = &pl->bufs[pl->nbufs++];
    b->index = index;
    b->in = in;
    b->out = out;
    b->bytes = bytes;
    b->is_output = out != NULL;
    b->small = small;
}

/* desc sizes and buffer sizes, as every backend checks them */
static qcts_status check_io(qcts_op op, const void *desc, const qcts_buffers *b, const char *who, qcts_op_io *io,
                            char *msg, size_t n)
{
    char e[QCTS_CASE_ERRLEN];
    if (qcts_op_io_get(op, desc, io, e, sizeof e) != QCTS_OK)
        return qcts_say(QCTS_ERROR, msg, n, "%s: %s", who, e);
    for (int i = 0; i < io->n_in; i++) {
        const qcts_tensor_spec *s = &io->in[i];
        if (s->used && (!b->in[i] || b->in_bytes[i] < s->nbytes))
            return qcts_say(QCTS_ERROR, msg, n, "%s: input %d (%s) is %s: %zu bytes given, %zu needed", who, i,
                            s->name, b->in[i] ? "too small" : "NULL", b->in_bytes[i], s->nbytes);
        if (s->used && s->nbytes > UINT32_MAX)
            return qcts_say(QCTS_UNSUPPORTED, msg, n, "%s: input %s has %zu bytes; the Metal kernels index with "
                            "32-bit integers (< 4 GiB)", who, s->name, s->nbytes);
    }
    for (int i = 0; i < io->n_out; i++) {
        const qcts_tensor_spec *s = &io->out[i];
        if (s->used && !(s->optional && !b->out[i]) && (!b->out[i] || b->out_bytes[i] < s->nbytes))
            return qcts_say(QCTS_ERROR, msg, n, "%s: output %d (%s) is %s: %zu bytes given, %zu needed", who, i,
                            s->name, b->out[i] ? "too small" : "NULL", b->out_bytes[i], s->nbytes);
        if (s->used && s->nbytes > UINT32_MAX)
            return qcts_say(QCTS_UNSUPPORTED, msg, n, "%s: output %s has %zu bytes; the Metal kernels index with "
                            "32-bit integers (< 4 GiB)", who, s->name, s->nbytes);
    }
    return QCTS_OK;
}

qcts_status qm_plan_convert(const qcts_convert_desc *d, const qcts_buffers *b, const char *who, qm_plan *pl,
                            char *msg, size_t n)
{
    memset(pl, 0, sizeof *pl);
    if (!d || !b)
        return qcts_say(QCTS_ERROR, msg, n, "%s: NULL desc or buffers", who);
    const qref_fmt_info *fi = qref_fmt_get((qref_fmt)d->fmt);
    if (!fi || d->convention >= QREF_CONV_COUNT)
        return qcts_say(QCTS_ERROR, msg, n, "%s: format %u or convention %u out of range", who, d->fmt,
                        d->convention);
    qref_mode eff = QREF_MODE_DEFAULT;
    if (!d->decode) {
        if (qref_mode_resolve((qref_fmt)d->fmt, (qref_conv)d->convention, (qref_mode)d->mode, &eff) != QREF_OK)
            return qcts_say(QCTS_UNSUPPORTED, msg, n, "%s: mode %s is not available for %s under %s", who,
                            qref_mode_name((qref_mode)d->mode), fi->name,
                            qref_conv_name((qref_conv)d->convention));
    }
    qcts_op_io io;
    qcts_status st = check_io(QCTS_OP_CONVERT, d, b, who, &io, msg, n);
    if (st != QCTS_OK)
        return st;
    if (d->n > UINT32_MAX / 4)
        return qcts_say(QCTS_UNSUPPORTED, msg, n, "%s: n = %lld is too large for 32-bit indices", who, (long long)d->n);
    pl->op = QCTS_OP_CONVERT;
    pl->cp.fmt = d->fmt;
    pl->cp.convention = d->convention;
    pl->cp.n = (uint32_t)d->n;
    pl->cp.code_bytes = fi->bits <= 8 ? 1 : fi->bits <= 16 ? 2 : 4;
    pl->cp.mode = eff == QREF_MODE_SAT ? QM_MODE_SAT : QM_MODE_NOSAT;
    add_buf(pl, QM_BUF_PARAMS, &pl->cp, NULL, sizeof pl->cp, 1);
    if (d->decode) {
        /* a code with bits above the format's width is an error, as qref_decode's */
        const uint8_t *c = b->in[0];
        for (int64_t i = 0; fi->bits < 32 && i < d->n; i++) {
            uint32_t v = 0;
            for (uint32_t k = 0; k < pl->cp.code_bytes; k++)
                v |= (uint32_t)c[(size_t)i * pl->cp.code_bytes + k] << (8 * k);
            if (v >> fi->bits)
                return qcts_say(QCTS_ERROR, msg, n, "%s: decode of element %lld: code 0x%X has bits above the %u "
                                "of %s", who, (long long)i, (unsigned)v, fi->bits, fi->name);
        }
        strcpy(pl->kernel, "qm_convert_decode");
    } else {
        strcpy(pl->kernel, "qm_convert_encode");
        pl->cp.has_status = b->out[1] != NULL;
        if (b->out[1])
            add_buf(pl, QM_BUF_STATUS, NULL, b->out[1], io.out[1].nbytes ? io.out[1].nbytes : 4, 0);
        else
            add_buf(pl, QM_BUF_STATUS, &pl->dummy, NULL, sizeof pl->dummy, 1);
    }
    strcpy(pl->source, "qm_convert.metal");
    add_buf(pl, QM_BUF_W, b->in[0], NULL, io.in[0].nbytes ? io.in[0].nbytes : 4, 0);
    add_buf(pl, QM_BUF_OUT, NULL, b->out[0], io.out[0].nbytes ? io.out[0].nbytes : 4, 0);
    pl->groups[0] = (uint32_t)((d->n + QM_LINEAR_TG - 1) / QM_LINEAR_TG);
    pl->groups[1] = pl->groups[2] = 1;
    pl->tg[0] = QM_LINEAR_TG;
    pl->tg[1] = pl->tg[2] = 1;
    return QCTS_OK;
}

/* The kernels' view of one matrix; every batch is validated. */
static qcts_status make_wdesc(const char *scheme, const uint8_t *w, size_t total, int64_t batch, int64_t rows,
                              int64_t cols, const char *who, qm_wdesc *d, char *msg, size_t n)
{
    qcts_qview v;
    size_t each = total / (size_t)batch;
    for (int64_t i = 0; i < batch; i++) {
        char e[320];
        if (qcts_qview_init(&v, scheme, rows, cols, w + (size_t)i * each, each, e, sizeof e) != 0)
            return qcts_say(QCTS_ERROR, msg, n, "%s: weights (batch %lld): %s", who, (long long)i, e);
    }
    const qref_scheme *s = v.s, *base = v.base;
    if (base->zero == QREF_ZERO_FLOAT && s->family != QREF_FAMILY_GGUF)
        return qcts_say(QCTS_UNSUPPORTED, msg, n, "%s: scheme %s: float zero points are not implemented in the "
                        "Metal kernels", who, s->name);
    if (rows > UINT32_MAX || cols > UINT32_MAX || each > UINT32_MAX || v.vcols * rows > (int64_t)UINT32_MAX)
        return qcts_say(QCTS_UNSUPPORTED, msg, n, "%s: %lld x %lld is too large for 32-bit indices", who,
                        (long long)rows, (long long)cols);
    memset(d, 0, sizeof *d);
    d->family = (uint32_t)s->family;
    d->layout = (uint32_t)base->layout;
    d->elem = (uint32_t)base->elem;
    d->bits = v.bits;
    d->scale_fmt = (uint32_t)base->scale;
    d->zero = (uint32_t)base->zero;
    d->gguf_type = s->gguf_type < 0 ? 0 : (uint32_t)s->gguf_type;
    d->rows = (uint32_t)rows;
    d->cols = (uint32_t)cols;
    d->vcols = (uint32_t)v.vcols;
    d->glen = (uint32_t)v.glen;
    d->gpr = (uint32_t)v.gpr;
    d->row_bytes = (uint32_t)v.row_bytes;
    d->block_bytes = s->family == QREF_FAMILY_GGUF ? (uint32_t)(v.row_bytes / (size_t)(cols / v.glen)) : 0;
    d->meta_row_bytes = (uint32_t)v.meta_row_bytes;
    if (s->family == QREF_FAMILY_SPARSE) {
        d->sparse_n = (uint32_t)s->sparse_n;
        d->sparse_m = (uint32_t)s->sparse_m;
        d->sparse_bits = qref_sparse_index_bits(s->sparse_m);
    }
    d->marlin_groups = s->family == QREF_FAMILY_MARLIN ? (uint32_t)(cols / QREF_MARLIN_GROUP) : 0;
    d->off_codes = 0;
    d->off_scales = (uint32_t)v.sizes.codes;
    d->off_zeros = (uint32_t)(v.sizes.codes + v.sizes.scales);
    d->off_meta = (uint32_t)(v.sizes.codes + v.sizes.scales + v.sizes.zeros);
    d->batch_bytes = (uint32_t)each;
    d->off_tscale = (uint32_t)(v.sizes.codes + v.sizes.scales + v.sizes.zeros + v.sizes.meta);
    d->has_tscale = v.sizes.tscale == 4;
    return QCTS_OK;
}

qcts_status qm_plan_dequant(const qcts_dequant_desc *d, const qcts_buffers *b, const char *who, qm_plan *pl,
                            char *msg, size_t n)
{
    memset(pl, 0, sizeof *pl);
    if (!d || !b || !d->scheme)
        return qcts_say(QCTS_ERROR, msg, n, "%s: NULL desc, scheme or buffers", who);
    qcts_op_io io;
    qcts_status st = check_io(QCTS_OP_DEQUANT, d, b, who, &io, msg, n);
    if (st == QCTS_OK)
        st = make_wdesc(d->scheme, b->in[0], io.in[0].nbytes, 1, d->rows, d->cols, who, &pl->p.w, msg, n);
    if (st != QCTS_OK)
        return st;
    pl->op = QCTS_OP_DEQUANT;
    strcpy(pl->kernel, "qm_dequant");
    strcpy(pl->source, "qm_dequant.metal");
    pl->p.w.odd = d->out_dtype != QCTS_DT_F32 && !qcts_scheme_f32_exact(qref_scheme_find(d->scheme));
    pl->p.out_dtype = (uint32_t)d->out_dtype;
    pl->p.N = (uint32_t)d->rows;
    pl->p.K = (uint32_t)d->cols;
    add_buf(pl, QM_BUF_PARAMS, &pl->p, NULL, sizeof pl->p, 1);
    add_buf(pl, QM_BUF_W, b->in[0], NULL, io.in[0].nbytes, 0);
    add_buf(pl, QM_BUF_AUX, qm_aux_table(), NULL, sizeof(uint32_t) * QM_AUX_WORDS, 0);
    add_buf(pl, QM_BUF_OUT, NULL, b->out[0], io.out[0].nbytes ? io.out[0].nbytes : 4, 0);
    pl->groups[0] = (uint32_t)((d->cols + QM_LINEAR_TG - 1) / QM_LINEAR_TG);
    pl->groups[1] = (uint32_t)d->rows;
    pl->groups[2] = 1;
    pl->tg[0] = QM_LINEAR_TG;
    pl->tg[1] = pl->tg[2] = 1;
    return QCTS_OK;
}

qcts_status qm_plan_gemm(const qcts_gemm_desc *d, const qcts_buffers *b, uint32_t simd_width, const char *who,
                         qm_plan *pl, char *msg, size_t n)
{
    memset(pl, 0, sizeof *pl);
    if (!d || !b || !d->scheme)
        return qcts_say(QCTS_ERROR, msg, n, "%s: NULL desc, scheme or buffers", who);
    if (d->a_quant != QCTS_AQ_NONE)
        return qcts_say(QCTS_UNSUPPORTED, msg, n, "%s: activation quantization %u is not implemented in the Metal "
                        "kernels (they take A as given)", who, d->a_quant);
    qcts_op_io io;
    qcts_status st = check_io(QCTS_OP_GEMM, d, b, who, &io, msg, n);
    if (st == QCTS_OK)
        st = make_wdesc(d->scheme, b->in[1], io.in[1].nbytes, d->batch, d->N, d->K, who, &pl->p.w, msg, n);
    if (st != QCTS_OK)
        return st;
    if (d->M > UINT32_MAX / 2 || d->batch > 65535)
        return qcts_say(QCTS_UNSUPPORTED, msg, n, "%s: M = %lld, batch = %lld: too large for one dispatch", who,
                        (long long)d->M, (long long)d->batch);
    if (simd_width == 0 || simd_width > QM_GEMV_TG || QM_GEMV_TG % simd_width)
        return qcts_say(QCTS_UNSUPPORTED, msg, n, "%s: SIMD-group width %u does not divide %u", who, simd_width,
                        QM_GEMV_TG);
    qm_params *p = &pl->p;
    pl->op = QCTS_OP_GEMM;
    p->M = (uint32_t)d->M;
    p->N = (uint32_t)d->N;
    p->K = (uint32_t)d->K;
    p->batch = (uint32_t)d->batch;
    p->lda = (uint32_t)(d->lda ? d->lda : d->K);
    p->ldy = (uint32_t)(d->ldy ? d->ldy : d->N);
    p->a_dtype = (uint32_t)d->a_dtype;
    p->out_dtype = (uint32_t)d->out_dtype;
    p->has_bias = d->has_bias ? 1u : 0u;
    add_buf(pl, QM_BUF_PARAMS, p, NULL, sizeof *p, 1);
    add_buf(pl, QM_BUF_W, b->in[1], NULL, io.in[1].nbytes, 0);
    add_buf(pl, QM_BUF_AUX, qm_aux_table(), NULL, sizeof(uint32_t) * QM_AUX_WORDS, 0);
    add_buf(pl, QM_BUF_A, b->in[0], NULL, io.in[0].nbytes ? io.in[0].nbytes : 4, 0);
    if (d->has_bias)
        add_buf(pl, QM_BUF_BIAS, b->in[2], NULL, io.in[2].nbytes ? io.in[2].nbytes : 4, 0);
    else
        add_buf(pl, QM_BUF_BIAS, &pl->dummy, NULL, sizeof pl->dummy, 1);
    add_buf(pl, QM_BUF_OUT, NULL, b->out[0], io.out[0].nbytes ? io.out[0].nbytes : 4, 0);
    if (d->M == 1) {
        strcpy(pl->kernel, "qm_gemv");
        strcpy(pl->source, "qm_gemv.metal");
        p->n_per_tg = QM_GEMV_TG / simd_width;
        pl->groups[0] = (uint32_t)((d->N + p->n_per_tg - 1) / p->n_per_tg);
        pl->groups[1] = (uint32_t)d->batch;
        pl->groups[2] = 1;
        pl->tg[0] = QM_GEMV_TG;
        pl->tg[1] = pl->tg[2] = 1;
    } else {
        strcpy(pl->kernel, "qm_gemm");
        strcpy(pl->source, "qm_gemm.metal");
        pl->groups[0] = (uint32_t)((d->N + QM_GEMM_T - 1) / QM_GEMM_T);
        pl->groups[1] = (uint32_t)((d->M + QM_GEMM_T - 1) / QM_GEMM_T);
        pl->groups[2] = (uint32_t)d->batch;
        pl->tg[0] = pl->tg[1] = QM_GEMM_T;
        pl->tg[2] = 1;
        pl->tg_mem[0] = pl->tg_mem[1] = sizeof(float) * QM_GEMM_T * QM_GEMM_TK;
    }
    return QCTS_OK;
}
