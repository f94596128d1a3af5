/* case_call: golden case files <-> backend ABI calls (qcts/case_call.h).
 *
 * A case's params become a qcts_*_desc; qcts_op_io_get() derives from the
 * desc every tensor the call reads and writes (name, dtype, shape, bytes),
 * and both directions (loading a golden file, writing / reading an exec
 * file) check tensors against that one table, so the sizes the generator,
 * the harness and every backend agree on are defined once. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qcts/case_call.h"
#include "qref/actquant.h"
#include "qcts/opdef.h"
#include "qcts/numparse.h"
#include "qref/fmt.h"
#include "qref/scheme.h"

/* cJSON_Parse writes a global error position (cJSON_GetErrorPtr), so
 * parses from several threads would race; every parse here takes this lock. */
static pthread_mutex_t parse_lock = PTHREAD_MUTEX_INITIALIZER;

static cJSON *parse_json(const char *text)
{
    pthread_mutex_lock(&parse_lock);
    cJSON *j = cJSON_Parse(text);
    pthread_mutex_unlock(&parse_lock);
    return j;
}

/* ---- messages ---------------------------------------------------------------- */

__attribute__((format(printf, 3, 4)))
static qcts_status fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return QCTS_ERROR;
}

static void ok_msg(char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
}

/* ---- names ---------------------------------------------------------------------- */

static const char *const op_names[QCTS_OP_COUNT] = {
    [QCTS_OP_CONVERT] = "convert", [QCTS_OP_QUANTIZE] = "quantize",
    [QCTS_OP_DEQUANT] = "dequant", [QCTS_OP_GEMM] = "gemm",
    [QCTS_OP_ATTENTION] = "attention", [QCTS_OP_ROPE] = "rope",
    [QCTS_OP_MOE_ROUTE] = "moe_route", [QCTS_OP_SAMPLING] = "sampling",
    [QCTS_OP_SOFTMAX] = "softmax", [QCTS_OP_HADAMARD] = "hadamard",
    [QCTS_OP_NORM] = "norm", [QCTS_OP_MOE_DISPATCH] = "moe_dispatch",
    [QCTS_OP_MOE_EXPERTS] = "moe_experts",
};

const char *qcts_op_name(qcts_op op)
{
    return (unsigned)op < QCTS_OP_COUNT ? op_names[op] : NULL;
}

int qcts_op_from_name(const char *name, qcts_op *op)
{
    if (!name || !op)
        return -1;
    if (strcmp(name, "gemv") == 0) {
        *op = QCTS_OP_GEMM;
        return 0;
    }
    for (int i = 0; i < QCTS_OP_COUNT; i++)
        if (strcmp(name, op_names[i]) == 0) {
            *op = (qcts_op)i;
            return 0;
        }
    return -1;
}

static const char *const dtype_names[] = {
    [QCTS_DT_F32] = "f32", [QCTS_DT_F16] = "f16", [QCTS_DT_BF16] = "bf16",
    [QCTS_DT_U8] = "u8", [QCTS_DT_U16] = "u16", [QCTS_DT_U32] = "u32",
    [QCTS_DT_I32] = "i32",
};
enum { NDTYPES = sizeof dtype_names / sizeof dtype_names[0] };

const char *qcts_dtype_name(qcts_dtype d)
{
    return (unsigned)d < NDTYPES ? dtype_names[d] : NULL;
}

int qcts_dtype_from_name(const char *name, qcts_dtype *d)
{
    if (!name || !d)
        return -1;
    for (int i = 0; i < NDTYPES; i++)
        if (strcmp(name, dtype_names[i]) == 0) {
            *d = (qcts_dtype)i;
            return 0;
        }
    return -1;
}

size_t qcts_dtype_size(qcts_dtype d)
{
    static const size_t sz[] = { 4, 2, 2, 1, 2, 4, 4 };
    return (unsigned)d < NDTYPES ? sz[d] : 0;
}

qcts_st_dtype qcts_dtype_to_st(qcts_dtype d)
{
    static const qcts_st_dtype st[] = { QCTS_ST_F32, QCTS_ST_F16, QCTS_ST_BF16,
                                        QCTS_ST_U8, QCTS_ST_U16, QCTS_ST_U32, QCTS_ST_I32 };
    return (unsigned)d < NDTYPES ? st[d] : QCTS_ST_DTYPE_INVALID;
}

int qcts_dtype_from_st(qcts_st_dtype s, qcts_dtype *d)
{
    for (int i = 0; i < NDTYPES; i++)
        if (qcts_dtype_to_st((qcts_dtype)i) == s) {
            if (d)
                *d = (qcts_dtype)i;
            return 0;
        }
    return -1;
}

static const char *st_name(qcts_dtype d)
{
    const char *n = qcts_st_dtype_name(qcts_dtype_to_st(d));
    return n ? n : "?";
}

/* ---- the tensors of one call ------------------------------------------------ */

/* a * b into *out; 0, or -1 on overflow (negative inputs count as overflow). */
static int mul_size(int64_t a, int64_t b, int64_t *out)
{
    if (a < 0 || b < 0)
        return -1;
    if (a != 0 && b > INT64_MAX / a)
        return -1;
    *out = a * b;
    return 0;
}

int qcts_tensor_spec_set(qcts_tensor_spec *t, const char *name, qcts_dtype dt, int optional, int ndim,
                         const int64_t *shp)
{
    int64_t n = 1;
    memset(t, 0, sizeof *t);
    if (ndim < 0 || ndim > 4 || qcts_dtype_size(dt) == 0)
        return -1;
    t->name = name;
    t->used = 1;
    t->optional = optional;
    t->dtype = dt;
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++) {
        t->shape[i] = shp[i];
        if (mul_size(n, shp[i], &n) != 0)
            return -1;
    }
    int64_t bytes;
    if (mul_size(n, (int64_t)qcts_dtype_size(dt), &bytes) != 0 || (uint64_t)bytes > SIZE_MAX)
        return -1;
    t->nelems = (size_t)n;
    t->nbytes = (size_t)bytes;
    return 0;
}

static int set_spec(qcts_tensor_spec *t, const char *name, qcts_dtype dt, int optional,
                    int ndim, int64_t d0, int64_t d1, int64_t d2)
{
    int64_t shp[4] = { d0, d1, d2, 0 };
    return qcts_tensor_spec_set(t, name, dt, optional, ndim, shp);
}

static int float_dtype(qcts_dtype d)
{
    return d == QCTS_DT_F32 || d == QCTS_DT_F16 || d == QCTS_DT_BF16;
}

static qcts_dtype code_dtype(qref_fmt f)
{
    unsigned bits = qref_fmt_get(f)->bits;
    return bits <= 8 ? QCTS_DT_U8 : bits <= 16 ? QCTS_DT_U16 : QCTS_DT_U32;
}

static qcts_status scheme_sizes(const char *scheme, int64_t rows, int64_t cols, qref_qsizes *z,
                                char *err, size_t errlen)
{
    if (!scheme)
        return fail(err, errlen, "no scheme given");
    const qref_scheme *s = qref_scheme_find(scheme);
    if (!s)
        return fail(err, errlen, "unknown scheme '%s' (qcts list schemes)", scheme);
    if (rows < 1 || cols < 1)
        return fail(err, errlen, "scheme %s: rows %lld and cols %lld must be >= 1", scheme,
                    (long long)rows, (long long)cols);
    qref_error e;
    memset(&e, 0, sizeof e);
    if (qref_qsizes_get(s, rows, cols, z, &e) != QREF_OK)
        return fail(err, errlen, "scheme %s with rows %lld, cols %lld: %s", scheme,
                    (long long)rows, (long long)cols, e.msg[0] ? e.msg : "shape does not fit");
    return QCTS_OK;
}

qcts_status qcts_op_io_get(qcts_op op, const void *desc, qcts_op_io *io, char *err, size_t errlen)
{
    if (!desc || !io)
        return fail(err, errlen, "qcts_op_io_get: NULL argument");
    memset(io, 0, sizeof *io);
    switch (op) {
    case QCTS_OP_CONVERT: {
        const qcts_convert_desc *d = desc;
        if (d->fmt >= QREF_FMT_COUNT)
            return fail(err, errlen, "convert: format %u out of range", (unsigned)d->fmt);
        if (d->convention >= QREF_CONV_COUNT)
            return fail(err, errlen, "convert: convention %u out of range", (unsigned)d->convention);
        if (d->mode > QREF_MODE_NOSAT)
            return fail(err, errlen, "convert: mode %u out of range", (unsigned)d->mode);
        if (d->decode > 1)
            return fail(err, errlen, "convert: decode must be 0 or 1, got %u", (unsigned)d->decode);
        if (d->n < 1)
            return fail(err, errlen, "convert: n must be >= 1, got %lld", (long long)d->n);
        qcts_dtype cd = code_dtype((qref_fmt)d->fmt);
        io->n_in = 1;
        io->n_out = d->decode ? 1 : 2;
        if (set_spec(&io->in[0], "x", d->decode ? cd : QCTS_DT_F32, 0, 1, d->n, 0, 0) ||
            set_spec(&io->out[0], "y", d->decode ? QCTS_DT_F32 : cd, 0, 1, d->n, 0, 0) ||
            (!d->decode && set_spec(&io->out[1], "status", QCTS_DT_U8, 1, 1, d->n, 0, 0)))
            return fail(err, errlen, "convert: n %lld is too large", (long long)d->n);
        break;
    }
    case QCTS_OP_QUANTIZE: {
        const qcts_quantize_desc *d = desc;
        qref_qsizes z;
        if (scheme_sizes(d->scheme, d->rows, d->cols, &z, err, errlen) != QCTS_OK)
            return QCTS_ERROR;
        io->n_in = io->n_out = 1;
        if (set_spec(&io->in[0], "w", QCTS_DT_F32, 0, 2, d->rows, d->cols, 0) ||
            set_spec(&io->out[0], "q", QCTS_DT_U8, 0, 1, (int64_t)z.total, 0, 0))
            return fail(err, errlen, "quantize: %lld x %lld is too large", (long long)d->rows,
                        (long long)d->cols);
        break;
    }
    case QCTS_OP_DEQUANT: {
        const qcts_dequant_desc *d = desc;
        qref_qsizes z;
        if (!float_dtype(d->out_dtype))
            return fail(err, errlen, "dequant: out_dtype must be f32, f16 or bf16, got %s",
                        qcts_dtype_name(d->out_dtype) ? qcts_dtype_name(d->out_dtype) : "?");
        if (scheme_sizes(d->scheme, d->rows, d->cols, &z, err, errlen) != QCTS_OK)
            return QCTS_ERROR;
        io->n_in = io->n_out = 1;
        if (set_spec(&io->in[0], "q", QCTS_DT_U8, 0, 1, (int64_t)z.total, 0, 0) ||
            set_spec(&io->out[0], "y", d->out_dtype, 0, 2, d->rows, d->cols, 0))
            return fail(err, errlen, "dequant: %lld x %lld is too large", (long long)d->rows,
                        (long long)d->cols);
        break;
    }
    case QCTS_OP_GEMM: {
        const qcts_gemm_desc *d = desc;
        qref_qsizes z;
        if (d->batch < 1 || d->M < 1)
            return fail(err, errlen, "gemm: batch %lld and M %lld must be >= 1", (long long)d->batch,
                        (long long)d->M);
        if (!float_dtype(d->a_dtype) || !float_dtype(d->out_dtype))
            return fail(err, errlen, "gemm: a_dtype and out_dtype must be f32, f16 or bf16");
        if (d->lda != 0 && d->lda < d->K)
            return fail(err, errlen, "gemm: lda %lld < K %lld", (long long)d->lda, (long long)d->K);
        if (d->ldy != 0 && d->ldy < d->N)
            return fail(err, errlen, "gemm: ldy %lld < N %lld", (long long)d->ldy, (long long)d->N);
        if (scheme_sizes(d->scheme, d->N, d->K, &z, err, errlen) != QCTS_OK)
            return QCTS_ERROR;
        int64_t lda = d->lda ? d->lda : d->K, ldy = d->ldy ? d->ldy : d->N;
        io->n_in = 3;
        io->n_out = 1;
        if (set_spec(&io->in[0], "a", d->a_dtype, 0, 3, d->batch, d->M, lda) ||
            set_spec(&io->in[1], "w", QCTS_DT_U8, 0, 2, d->batch, (int64_t)z.total, 0) ||
            set_spec(&io->in[2], "bias", QCTS_DT_F32, 0, 2, d->batch, d->N, 0) ||
            set_spec(&io->out[0], "y", d->out_dtype, 0, 3, d->batch, d->M, ldy))
            return fail(err, errlen, "gemm: shapes too large");
        if (!d->has_bias) {
            io->in[2].used = 0;
            io->in[2].nbytes = 0;
            io->in[2].nelems = 0;
        }
        break;
    }
    default: {
        const qcts_opdef *od = qcts_opdef_get(op);
        if (!od)
            return fail(err, errlen, "op %s is not supported by this version of qcts",
                        qcts_op_name(op) ? qcts_op_name(op) : "(out of range)");
        if (od->io(desc, io, err, errlen) != QCTS_OK)
            return QCTS_ERROR;
        if (io->n_in < 0 || io->n_in > QCTS_MAX_INPUTS || io->n_out < 1 || io->n_out > QCTS_MAX_OUTPUTS)
            return fail(err, errlen, "op %s: its definition uses %d inputs and %d outputs (at most %d and %d)",
                        od->name, io->n_in, io->n_out, QCTS_MAX_INPUTS, QCTS_MAX_OUTPUTS);
        break;
    }
    }
    ok_msg(err, errlen);
    return QCTS_OK;
}

qcts_status qcts_op_buffer_sizes(qcts_op op, const void *desc, qcts_buffers *b, char *err, size_t errlen)
{
    qcts_op_io io;
    if (!b)
        return fail(err, errlen, "qcts_op_buffer_sizes: NULL buffers");
    if (qcts_op_io_get(op, desc, &io, err, errlen) != QCTS_OK)
        return QCTS_ERROR;
    for (int i = 0; i < QCTS_MAX_INPUTS; i++)
        b->in_bytes[i] = io.in[i].used ? io.in[i].nbytes : 0;
    for (int i = 0; i < QCTS_MAX_OUTPUTS; i++)
        b->out_bytes[i] = io.out[i].used ? io.out[i].nbytes : 0;
    return QCTS_OK;
}

/* ---- params <-> desc ------------------------------------------------------------ */

/* JSON numbers are doubles; integers up to 2^53 are exact. */
static int json_int(const cJSON *o, const char *key, int required, int64_t dflt, int64_t *out,
                    const char *ctx, char *err, size_t errlen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) {
        if (required) {
            fail(err, errlen, "%s: params.%s is missing", ctx, key);
            return -1;
        }
        *out = dflt;
        return 0;
    }
    if (!cJSON_IsNumber(v) || qcts_num_to_i64(v->valuedouble, -9007199254740992, 9007199254740992, out) != 0) {
        fail(err, errlen, "%s: params.%s must be an integer", ctx, key);
        return -1;
    }
    return 0;
}

static const char *json_str(const cJSON *o, const char *key, const char *dflt, const char *ctx,
                            char *err, size_t errlen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) {
        if (!dflt)
            fail(err, errlen, "%s: params.%s is missing", ctx, key);
        return dflt;
    }
    if (!cJSON_IsString(v) || !v->valuestring) {
        fail(err, errlen, "%s: params.%s must be a string", ctx, key);
        return NULL;
    }
    return v->valuestring;
}

static int json_dtype(const cJSON *o, const char *key, const char *dflt, qcts_dtype *d,
                      const char *ctx, char *err, size_t errlen)
{
    const char *s = json_str(o, key, dflt, ctx, err, errlen);
    if (!s)
        return -1;
    if (qcts_dtype_from_name(s, d) != 0 || !float_dtype(*d)) {
        fail(err, errlen, "%s: params.%s '%s' is not f32, f16 or bf16", ctx, key, s);
        return -1;
    }
    return 0;
}

/* Fills desc from params (strings point into the cJSON tree). */
static qcts_status params_to_desc(qcts_op op, const cJSON *p, qcts_any_desc *desc, double *bound_c,
                                  const char *ctx, char *err, size_t errlen)
{
    memset(desc, 0, sizeof *desc);
    *bound_c = 1.0;
    if (!cJSON_IsObject(p))
        return fail(err, errlen, "%s: 'params' is missing or not an object", ctx);
    switch (op) {
    case QCTS_OP_CONVERT: {
        qcts_convert_desc *d = &desc->convert;
        const char *fmt = json_str(p, "fmt", NULL, ctx, err, errlen);
        if (!fmt)
            return QCTS_ERROR;
        qref_fmt f;
        if (qref_fmt_from_name(fmt, &f) != QREF_OK)
            return fail(err, errlen, "%s: unknown format '%s' (qcts list formats)", ctx, fmt);
        const char *conv = json_str(p, "convention", "ocp", ctx, err, errlen);
        if (!conv)
            return QCTS_ERROR;
        qref_conv c;
        if (qref_conv_from_name(conv, &c) != QREF_OK)
            return fail(err, errlen, "%s: unknown convention '%s' (qcts list conventions)", ctx, conv);
        const char *mode = json_str(p, "mode", "default", ctx, err, errlen);
        if (!mode)
            return QCTS_ERROR;
        qref_mode m;
        if (qref_mode_from_name(mode, &m) != QREF_OK)
            return fail(err, errlen, "%s: unknown mode '%s' (default, sat, nosat)", ctx, mode);
        const char *dir = json_str(p, "direction", NULL, ctx, err, errlen);
        if (!dir)
            return QCTS_ERROR;
        if (strcmp(dir, "encode") != 0 && strcmp(dir, "decode") != 0)
            return fail(err, errlen, "%s: params.direction must be 'encode' or 'decode', got '%s'", ctx, dir);
        d->fmt = (uint32_t)f;
        d->convention = (uint32_t)c;
        d->mode = (uint32_t)m;
        d->decode = strcmp(dir, "decode") == 0;
        if (json_int(p, "n", 1, 0, &d->n, ctx, err, errlen))
            return QCTS_ERROR;
        break;
    }
    case QCTS_OP_QUANTIZE:
    case QCTS_OP_DEQUANT: {
        int64_t rows, cols;
        const char *scheme = json_str(p, "scheme", NULL, ctx, err, errlen);
        if (!scheme || json_int(p, "rows", 1, 0, &rows, ctx, err, errlen) ||
            json_int(p, "cols", 1, 0, &cols, ctx, err, errlen))
            return QCTS_ERROR;
        if (op == QCTS_OP_QUANTIZE) {
            desc->quantize.scheme = scheme;
            desc->quantize.rows = rows;
            desc->quantize.cols = cols;
        } else {
            desc->dequant.scheme = scheme;
            desc->dequant.rows = rows;
            desc->dequant.cols = cols;
            if (json_dtype(p, "out_dtype", "f32", &desc->dequant.out_dtype, ctx, err, errlen))
                return QCTS_ERROR;
        }
        break;
    }
    case QCTS_OP_GEMM: {
        qcts_gemm_desc *d = &desc->gemm;
        int64_t threads;
        d->scheme = json_str(p, "scheme", NULL, ctx, err, errlen);
        if (!d->scheme || json_int(p, "batch", 0, 1, &d->batch, ctx, err, errlen) ||
            json_int(p, "M", 1, 0, &d->M, ctx, err, errlen) ||
            json_int(p, "N", 1, 0, &d->N, ctx, err, errlen) ||
            json_int(p, "K", 1, 0, &d->K, ctx, err, errlen) ||
            json_int(p, "lda", 0, 0, &d->lda, ctx, err, errlen) ||
            json_int(p, "ldy", 0, 0, &d->ldy, ctx, err, errlen) ||
            json_int(p, "threads", 0, 1, &threads, ctx, err, errlen) ||
            json_dtype(p, "a_dtype", "f32", &d->a_dtype, ctx, err, errlen) ||
            json_dtype(p, "out_dtype", "f32", &d->out_dtype, ctx, err, errlen))
            return QCTS_ERROR;
        if (threads < 1 || threads > 4096)
            return fail(err, errlen, "%s: params.threads must be 1..4096", ctx);
        d->threads = (int32_t)threads;
        const cJSON *bias = cJSON_GetObjectItemCaseSensitive(p, "bias");
        if (bias && !cJSON_IsBool(bias))
            return fail(err, errlen, "%s: params.bias must be true or false", ctx);
        d->has_bias = cJSON_IsTrue(bias);
        /* activation quantization (qref/actquant.h): a name, "none" when absent */
        const cJSON *aq = cJSON_GetObjectItemCaseSensitive(p, "a_quant");
        qref_aq aqm = QREF_AQ_NONE;
        if (aq && (!cJSON_IsString(aq) || qref_aq_from_name(aq->valuestring, &aqm) != QREF_OK))
            return fail(err, errlen, "%s: params.a_quant must be one of none, int8_token, fp8_e4m3_tensor, "
                        "fp8_e4m3_token, q8_0, q8_1, q8_k", ctx);
        d->a_quant = (uint32_t)aqm;
        int64_t ag;
        if (json_int(p, "a_group", 0, 0, &ag, ctx, err, errlen))
            return QCTS_ERROR;
        if (ag != 0)
            return fail(err, errlen, "%s: params.a_group must be 0 (reserved)", ctx);
        const cJSON *acc = cJSON_GetObjectItemCaseSensitive(p, "acc");
        if (acc && (!cJSON_IsString(acc) || strcmp(acc->valuestring, "f32") != 0))
            return fail(err, errlen, "%s: params.acc must be \"f32\"", ctx);
        const cJSON *bc = cJSON_GetObjectItemCaseSensitive(p, "bound_c");
        if (bc) {
            if (!cJSON_IsNumber(bc) || !(bc->valuedouble >= 0.0) || bc->valuedouble > 1e300)
                return fail(err, errlen, "%s: params.bound_c must be a number >= 0", ctx);
            *bound_c = bc->valuedouble;
        }
        break;
    }
    default: {
        const qcts_opdef *od = qcts_opdef_get(op);
        if (!od || od->desc_size > sizeof desc->raw)
            return fail(err, errlen, "%s: op %s is not supported by this version of qcts", ctx,
                        qcts_op_name(op) ? qcts_op_name(op) : "?");
        char m[QCTS_CASE_ERRLEN] = "";
        if (od->from_json(p, desc->raw, m, sizeof m) != QCTS_OK)
            return fail(err, errlen, "%s: %s", ctx, m[0] ? m : "bad params");
        const cJSON *bc = cJSON_GetObjectItemCaseSensitive(p, "bound_c");
        if (bc) {
            if (!cJSON_IsNumber(bc) || !(bc->valuedouble >= 0.0) || bc->valuedouble > 1e300)
                return fail(err, errlen, "%s: params.bound_c must be a number >= 0", ctx);
            *bound_c = bc->valuedouble;
        }
        break;
    }
    }
    return QCTS_OK;
}

/* Sets the desc-derived keys of params (replacing what is there). */
static int desc_to_params(qcts_op op, const void *desc, cJSON *p)
{
#define SETS(k, v) (cJSON_DeleteItemFromObjectCaseSensitive(p, k), cJSON_AddStringToObject(p, k, v) != NULL)
#define SETN(k, v) (cJSON_DeleteItemFromObjectCaseSensitive(p, k), cJSON_AddNumberToObject(p, k, (double)(v)) != NULL)
#define SETB(k, v) (cJSON_DeleteItemFromObjectCaseSensitive(p, k), cJSON_AddBoolToObject(p, k, v) != NULL)
    switch (op) {
    case QCTS_OP_CONVERT: {
        const qcts_convert_desc *d = desc;
        return SETS("fmt", qref_fmt_get((qref_fmt)d->fmt)->name) &&
               SETS("convention", qref_conv_name((qref_conv)d->convention)) &&
               SETS("mode", qref_mode_name((qref_mode)d->mode)) &&
               SETS("direction", d->decode ? "decode" : "encode") && SETN("n", d->n) ? 0 : -1;
    }
    case QCTS_OP_QUANTIZE: {
        const qcts_quantize_desc *d = desc;
        return SETS("scheme", d->scheme) && SETN("rows", d->rows) && SETN("cols", d->cols) ? 0 : -1;
    }
    case QCTS_OP_DEQUANT: {
        const qcts_dequant_desc *d = desc;
        return SETS("scheme", d->scheme) && SETN("rows", d->rows) && SETN("cols", d->cols) &&
               SETS("out_dtype", qcts_dtype_name(d->out_dtype)) ? 0 : -1;
    }
    case QCTS_OP_GEMM: {
        const qcts_gemm_desc *d = desc;
        int ok = SETS("scheme", d->scheme) && SETN("batch", d->batch) && SETN("M", d->M) &&
                 SETN("N", d->N) && SETN("K", d->K) && SETS("a_dtype", qcts_dtype_name(d->a_dtype)) &&
                 SETS("out_dtype", qcts_dtype_name(d->out_dtype)) && SETB("bias", d->has_bias != 0) &&
                 SETN("threads", d->threads > 0 ? d->threads : 1);
        cJSON_DeleteItemFromObjectCaseSensitive(p, "lda");
        cJSON_DeleteItemFromObjectCaseSensitive(p, "ldy");
        if (ok && d->lda)
            ok = SETN("lda", d->lda);
        if (ok && d->ldy)
            ok = SETN("ldy", d->ldy);
        if (ok && !cJSON_GetObjectItemCaseSensitive(p, "acc"))
            ok = SETS("acc", "f32");
        /* a_quant only when set, so files without it stay byte-identical; an
         * unknown number is written as such and refused by the reader */
        cJSON_DeleteItemFromObjectCaseSensitive(p, "a_quant");
        cJSON_DeleteItemFromObjectCaseSensitive(p, "a_group");
        if (ok && d->a_quant)
            ok = qref_aq_name((qref_aq)d->a_quant) ? SETS("a_quant", qref_aq_name((qref_aq)d->a_quant))
                                                   : SETN("a_quant", d->a_quant);
        if (ok && d->a_group)
            ok = SETN("a_group", d->a_group);
        return ok ? 0 : -1;
    }
    default: {
        const qcts_opdef *od = qcts_opdef_get(op);
        return od ? od->to_json(desc, p) : -1;
    }
    }
#undef SETS
#undef SETN
#undef SETB
}

/* ---- loading ---------------------------------------------------------------------- */

typedef struct priv {
    cJSON *cases_json;
    void **blocks;          /* malloc'd memory owned by the file */
    size_t nblocks, capblocks;
    qcts_st_file *st;
    char *path;
} priv;

static void *own(priv *p, void *mem)
{
    if (!mem)
        return NULL;
    if (p->nblocks == p->capblocks) {
        size_t cap = p->capblocks ? 2 * p->capblocks : 16;
        void **nb = realloc(p->blocks, cap * sizeof *nb);
        if (!nb) {
            free(mem);
            return NULL;
        }
        p->blocks = nb;
        p->capblocks = cap;
    }
    p->blocks[p->nblocks++] = mem;
    return mem;
}

void qcts_case_file_free(qcts_case_file *f)
{
    if (!f)
        return;
    priv *p = f->priv_;
    if (p) {
        for (size_t i = 0; i < p->nblocks; i++)
            free(p->blocks[i]);
        free(p->blocks);
        cJSON_Delete(p->cases_json);
        qcts_st_free(p->st);
        free(p->path);
        free(p);
    }
    free(f->cases);
    free(f);
}

/* The data of t, aligned for dtype d (copied into owned memory if not). */
static const void *aligned_data(priv *p, const qcts_st_tensor *t, qcts_dtype d)
{
    size_t a = qcts_dtype_size(d);
    if (((uintptr_t)t->data % a) == 0)
        return t->data;
    void *m = own(p, malloc(t->nbytes ? t->nbytes : 1));
    if (m)
        memcpy(m, t->data, t->nbytes);
    return m;
}

/* Checks tensor t (named name) against spec; fills ct. */
static qcts_status check_tensor(priv *p, const char *file, const char *id, const char *name,
                                const qcts_st_tensor *t, qcts_dtype dt, size_t nelems,
                                const char *why, qcts_case_tensor *ct, char *err, size_t errlen)
{
    qcts_dtype have;
    if (qcts_dtype_from_st(t->dtype, &have) != 0 || have != dt)
        return fail(err, errlen, "%s: case %s: tensor '%s' has dtype %s but %s needs %s", file, id, name,
                    qcts_st_dtype_name(t->dtype) ? qcts_st_dtype_name(t->dtype) : "?", why, st_name(dt));
    if (t->nelems != (uint64_t)nelems)
        return fail(err, errlen, "%s: case %s: tensor '%s' holds %llu elements (%zu bytes) but %s needs %zu "
                    "(%zu bytes)", file, id, name, (unsigned long long)t->nelems, t->nbytes, why, nelems,
                    nelems * qcts_dtype_size(dt));
    ct->name = t->name;
    ct->dtype = dt;
    ct->nelems = nelems;
    ct->nbytes = t->nbytes;
    ct->data = aligned_data(p, t, dt);
    if (!ct->data)
        return fail(err, errlen, "%s: out of memory", file);
    return QCTS_OK;
}

/* A short description of the params for messages: "scheme fp4_g32_f16 rows 4 cols 64". */
static void describe(const qcts_case *c, char *buf, size_t n)
{
    switch (c->op) {
    case QCTS_OP_CONVERT:
        snprintf(buf, n, "convert %s %s n %lld", qref_fmt_get((qref_fmt)c->desc.convert.fmt)->name,
                 c->desc.convert.decode ? "decode" : "encode", (long long)c->desc.convert.n);
        break;
    case QCTS_OP_QUANTIZE:
        snprintf(buf, n, "scheme %s with rows %lld, cols %lld", c->desc.quantize.scheme,
                 (long long)c->desc.quantize.rows, (long long)c->desc.quantize.cols);
        break;
    case QCTS_OP_DEQUANT:
        snprintf(buf, n, "scheme %s with rows %lld, cols %lld, out_dtype %s", c->desc.dequant.scheme,
                 (long long)c->desc.dequant.rows, (long long)c->desc.dequant.cols,
                 qcts_dtype_name(c->desc.dequant.out_dtype));
        break;
    case QCTS_OP_GEMM: {
        const qcts_gemm_desc *d = &c->desc.gemm;
        snprintf(buf, n, "gemm %s batch %lld M %lld N %lld K %lld a_dtype %s out_dtype %s", d->scheme,
                 (long long)d->batch, (long long)d->M, (long long)d->N, (long long)d->K,
                 qcts_dtype_name(d->a_dtype), qcts_dtype_name(d->out_dtype));
        break;
    }
    default: {
        const qcts_opdef *od = qcts_opdef_get(c->op);
        if (od)
            od->describe(c->desc.raw, buf, n);
        else
            snprintf(buf, n, "op %d", (int)c->op);
    }
    }
}

static qcts_status parse_check(qcts_case *c, const char *file, char *err, size_t errlen)
{
    const char *s = c->check_text;
    if (strcmp(s, "exact") == 0) {
        c->check = QCTS_CHECK_EXACT;
    } else if (strcmp(s, "bound") == 0) {
        c->check = QCTS_CHECK_BOUND;
    } else if (strcmp(s, "admissible") == 0) {
        c->check = QCTS_CHECK_ADMISSIBLE;
    } else if (strncmp(s, "ulp:", 4) == 0 && s[4] >= '0' && s[4] <= '9') {
        char *end;
        errno = 0;
        unsigned long v = strtoul(s + 4, &end, 10);
        if (*end || errno || v > UINT32_MAX)
            return fail(err, errlen, "%s: case %s: bad check '%s'", file, c->id, s);
        c->check = QCTS_CHECK_ULP;
        c->ulp = (uint32_t)v;
    } else {
        return fail(err, errlen, "%s: case %s: unknown check '%s' (exact, bound, ulp:N, admissible)", file, c->id, s);
    }
    return QCTS_OK;
}

static qcts_status parse_seed(qcts_case *c, const cJSON *o, const char *file, char *err, size_t errlen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "seed");
    c->seed = "";
    c->seed_value = 0;
    if (!v)
        return QCTS_OK;
    if (cJSON_IsString(v)) {
        char *end;
        c->seed = v->valuestring;
        errno = 0;
        unsigned long long x = strtoull(v->valuestring, &end, 0);
        if (!v->valuestring[0] || *end || errno || v->valuestring[0] == '-')
            return fail(err, errlen, "%s: case %s: seed '%s' is not a 64-bit number", file, c->id,
                        v->valuestring);
        c->seed_value = (uint64_t)x;
        return QCTS_OK;
    }
    int64_t seed;
    if (cJSON_IsNumber(v) && qcts_num_to_i64(v->valuedouble, 0, 9007199254740991, &seed) == 0) {
        c->seed_value = (uint64_t)seed;
        return QCTS_OK;
    }
    return fail(err, errlen, "%s: case %s: seed must be a hex string", file, c->id);
}

/* Is name "<id>/<rest>" for this id? Returns rest or NULL. */
static const char *after_id(const char *name, const char *id)
{
    size_t n = strlen(id);
    return strncmp(name, id, n) == 0 && name[n] == '/' ? name + n + 1 : NULL;
}

static qcts_status load_case(priv *p, qcts_case_file *f, size_t idx, const cJSON *o, unsigned flags,
                             char *err, size_t errlen)
{
    qcts_case *c = &f->cases[idx];
    const char *file = f->path;
    char ctx[160];
    memset(c, 0, sizeof *c);
    c->file = file;
    c->index = idx;
    c->op = f->op;
    if (!cJSON_IsObject(o))
        return fail(err, errlen, "%s: qcts.cases[%zu] is not an object", file, idx);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
    if (!cJSON_IsString(id) || !id->valuestring[0] || strchr(id->valuestring, '/'))
        return fail(err, errlen, "%s: qcts.cases[%zu]: 'id' must be a non-empty string without '/'", file, idx);
    c->id = id->valuestring;
    for (size_t j = 0; j < idx; j++)
        if (strcmp(f->cases[j].id, c->id) == 0)
            return fail(err, errlen, "%s: case id '%s' appears twice", file, c->id);
    snprintf(ctx, sizeof ctx, "%s: case %s", file, c->id);

    c->json = own(p, cJSON_PrintUnformatted(o));
    if (!c->json)
        return fail(err, errlen, "%s: out of memory", file);
    if (parse_seed(c, o, file, err, errlen) != QCTS_OK)
        return QCTS_ERROR;
    const cJSON *dist = cJSON_GetObjectItemCaseSensitive(o, "dist");
    if (dist && !cJSON_IsString(dist))
        return fail(err, errlen, "%s: 'dist' must be a string", ctx);
    c->dist = dist ? dist->valuestring : "";

    const cJSON *chk = cJSON_GetObjectItemCaseSensitive(o, "check");
    if (chk && !cJSON_IsString(chk))
        return fail(err, errlen, "%s: 'check' must be a string", ctx);
    c->check_text = chk ? chk->valuestring : "exact";
    if (parse_check(c, file, err, errlen) != QCTS_OK)
        return QCTS_ERROR;

    const cJSON *fl = cJSON_GetObjectItemCaseSensitive(o, "flags");
    if (fl && !cJSON_IsArray(fl))
        return fail(err, errlen, "%s: 'flags' must be an array of strings", ctx);
    int nf = fl ? cJSON_GetArraySize(fl) : 0;
    const char **flv = own(p, calloc((size_t)nf + 1, sizeof *flv));
    if (!flv)
        return fail(err, errlen, "%s: out of memory", file);
    for (int i = 0; i < nf; i++) {
        const cJSON *s = cJSON_GetArrayItem(fl, i);
        if (!cJSON_IsString(s))
            return fail(err, errlen, "%s: 'flags' must be an array of strings", ctx);
        flv[i] = s->valuestring;
        if (strcmp(s->valuestring, "degenerate") == 0)
            c->degenerate = 1;
    }
    c->flags = flv;
    c->n_flags = (size_t)nf;

    if (params_to_desc(f->op, cJSON_GetObjectItemCaseSensitive(o, "params"), &c->desc, &c->bound_c, ctx,
                       err, errlen) != QCTS_OK)
        return QCTS_ERROR;
    char ioerr[QCTS_CASE_ERRLEN];
    if (qcts_op_io_get(f->op, &c->desc, &c->io, ioerr, sizeof ioerr) != QCTS_OK)
        return fail(err, errlen, "%s: %s", ctx, ioerr);
    const int newop = qcts_opdef_get(f->op) != NULL;
    if (c->check == QCTS_CHECK_BOUND && f->op != QCTS_OP_GEMM && !newop)
        return fail(err, errlen, "%s: check 'bound' is only defined for gemm and the ops after it", ctx);
    if (c->check == QCTS_CHECK_ADMISSIBLE && !newop)
        return fail(err, errlen, "%s: check 'admissible' is only defined for the ops after gemm", ctx);

    char what[200];
    describe(c, what, sizeof what);
    int need_out = !(flags & QCTS_CASE_INPUTS_ONLY);
    char tname[512];
    for (int i = 0; i < c->io.n_in; i++) {
        const qcts_tensor_spec *s = &c->io.in[i];
        snprintf(tname, sizeof tname, "%s/in.%s", c->id, s->name);
        const qcts_st_tensor *t = qcts_st_find(p->st, tname);
        if (!s->used) {
            if (t)
                return fail(err, errlen, "%s: tensor '%s' is present but %s does not use it", ctx, tname, what);
            continue;
        }
        if (!t)
            return fail(err, errlen, "%s: tensor '%s' is missing (%s needs %s [%zu])", ctx, tname, what,
                        st_name(s->dtype), s->nelems);
        qcts_case_tensor ct;
        if (check_tensor(p, file, c->id, tname, t, s->dtype, s->nelems, what, &ct, err, errlen) != QCTS_OK)
            return QCTS_ERROR;
        c->buf.in[i] = ct.data;
        c->buf.in_bytes[i] = ct.nbytes;
    }
    for (int i = 0; i < c->io.n_out; i++) {
        const qcts_tensor_spec *s = &c->io.out[i];
        if (!s->used)
            continue;   /* an output the case does not ask for (attention's lse) */
        c->buf.out_bytes[i] = s->nbytes;
        snprintf(tname, sizeof tname, "%s/out.%s", c->id, s->name);
        const qcts_st_tensor *t = qcts_st_find(p->st, tname);
        if (!t) {
            if (need_out)
                return fail(err, errlen, "%s: tensor '%s' is missing (%s needs %s [%zu])", ctx, tname, what,
                            st_name(s->dtype), s->nelems);
            continue;
        }
        if (check_tensor(p, file, c->id, tname, t, s->dtype, s->nelems, what, &c->expect[i], err, errlen))
            return QCTS_ERROR;
    }
    if (!newop) {
        snprintf(tname, sizeof tname, "%s/bound.y", c->id);
        const qcts_st_tensor *bt = qcts_st_find(p->st, tname);
        if (bt && c->check != QCTS_CHECK_BOUND)
            return fail(err, errlen, "%s: tensor '%s' is present but the check is '%s'", ctx, tname, c->check_text);
        if (c->check == QCTS_CHECK_BOUND) {
            if (!bt && need_out)
                return fail(err, errlen, "%s: tensor '%s' is missing (check 'bound' needs F32 [%zu])", ctx, tname,
                            c->io.out[0].nelems);
            if (bt && check_tensor(p, file, c->id, tname, bt, QCTS_DT_F32, c->io.out[0].nelems, "check 'bound'",
                                   &c->bound, err, errlen))
                return QCTS_ERROR;
            c->bounds[0] = c->bound;
        }
        return QCTS_OK;
    }
    /* Ops after GEMM: bound.<name> / admit.<name> per output; at least one
     * must be present for the check that names them. */
    int extra = 0;
    for (int i = 0; i < c->io.n_out; i++) {
        const qcts_tensor_spec *s = &c->io.out[i];
        snprintf(tname, sizeof tname, "%s/bound.%s", c->id, s->name);
        const qcts_st_tensor *bt = qcts_st_find(p->st, tname);
        if (bt) {
            if (c->check != QCTS_CHECK_BOUND)
                return fail(err, errlen, "%s: tensor '%s' is present but the check is '%s'", ctx, tname,
                            c->check_text);
            if (s->dtype != QCTS_DT_F32 && s->dtype != QCTS_DT_F16 && s->dtype != QCTS_DT_BF16)
                return fail(err, errlen, "%s: tensor '%s' bounds output %s, which is %s, not a float", ctx, tname,
                            s->name, st_name(s->dtype));
            if (check_tensor(p, file, c->id, tname, bt, QCTS_DT_F32, s->nelems, "check 'bound'", &c->bounds[i],
                             err, errlen))
                return QCTS_ERROR;
            extra++;
        }
        snprintf(tname, sizeof tname, "%s/admit.%s", c->id, s->name);
        const qcts_st_tensor *at = qcts_st_find(p->st, tname);
        if (at) {
            if (c->check != QCTS_CHECK_ADMISSIBLE)
                return fail(err, errlen, "%s: tensor '%s' is present but the check is '%s'", ctx, tname,
                            c->check_text);
            if (s->dtype != QCTS_DT_I32 && s->dtype != QCTS_DT_U32 && s->dtype != QCTS_DT_U16 &&
                s->dtype != QCTS_DT_U8)
                return fail(err, errlen, "%s: tensor '%s' admits values of output %s, which is %s, not an integer",
                            ctx, tname, s->name, st_name(s->dtype));
            if (s->nelems == 0 || at->nelems % s->nelems != 0 || at->nelems / s->nelems < 1 ||
                at->nelems / s->nelems > ((size_t)1 << 31))
                return fail(err, errlen, "%s: tensor '%s' holds %llu elements; admit needs [%zu, C] with C >= 1",
                            ctx, tname, (unsigned long long)at->nelems, s->nelems);
            size_t C = (size_t)(at->nelems / s->nelems);
            if (check_tensor(p, file, c->id, tname, at, QCTS_DT_U8, s->nelems * C, "check 'admissible'",
                             &c->admit[i], err, errlen))
                return QCTS_ERROR;
            c->admit_n[i] = C;
            extra++;
        }
    }
    if (need_out && !extra && (c->check == QCTS_CHECK_BOUND || c->check == QCTS_CHECK_ADMISSIBLE))
        return fail(err, errlen, "%s: check '%s' needs a %s.<output> tensor for at least one output", ctx,
                    c->check_text, c->check == QCTS_CHECK_BOUND ? "bound" : "admit");
    c->bound = c->bounds[0];
    return QCTS_OK;
}

/* Every tensor must belong to a case and be one the case uses. */
static qcts_status check_strays(const qcts_case_file *f, const priv *p, char *err, size_t errlen)
{
    for (size_t i = 0; i < p->st->n_tensors; i++) {
        const char *name = p->st->tensors[i].name;
        const qcts_case *c = NULL;
        const char *rest = NULL;
        for (size_t j = 0; j < f->n_cases && !rest; j++) {
            rest = after_id(name, f->cases[j].id);
            c = &f->cases[j];
        }
        if (!rest)
            return fail(err, errlen, "%s: tensor '%s' belongs to no case of qcts.cases", f->path, name);
        int known = 0;
        if (strncmp(rest, "in.", 3) == 0) {
            for (int k = 0; k < c->io.n_in; k++)
                known |= c->io.in[k].used && strcmp(rest + 3, c->io.in[k].name) == 0;
        } else if (strncmp(rest, "out.", 4) == 0) {
            for (int k = 0; k < c->io.n_out; k++)
                known |= strcmp(rest + 4, c->io.out[k].name) == 0;
        } else if (strcmp(rest, "bound.y") == 0 && !qcts_opdef_get(f->op)) {
            known = c->check == QCTS_CHECK_BOUND;
        } else if (strncmp(rest, "bound.", 6) == 0 || strncmp(rest, "admit.", 6) == 0) {
            for (int k = 0; k < c->io.n_out; k++)
                known |= c->io.out[k].used && strcmp(rest + 6, c->io.out[k].name) == 0 &&
                         (rest[0] == 'b' ? c->bounds[k].name != NULL : c->admit[k].name != NULL);
        }
        if (!known)
            return fail(err, errlen, "%s: case %s: tensor '%s' is not part of a %s case", f->path, c->id, name,
                        qcts_op_name(f->op));
    }
    return QCTS_OK;
}

static qcts_status load_st(qcts_st_file *st, const char *path, unsigned flags, qcts_case_file **out,
                           char *err, size_t errlen)
{
    qcts_case_file *f = calloc(1, sizeof *f);
    priv *p = calloc(1, sizeof *p);
    if (!f || !p) {
        free(f);
        free(p);
        qcts_st_free(st);
        return fail(err, errlen, "%s: out of memory", path);
    }
    f->priv_ = p;
    p->st = st;
    f->st = st;
    p->path = strdup(path);
    if (!p->path) {
        qcts_case_file_free(f);
        return fail(err, errlen, "%s: out of memory", path);
    }
    f->path = p->path;
    qcts_status rc = QCTS_ERROR;

    const char *ver = qcts_st_meta_get(st, "qcts.format_version");
    const char *opn = qcts_st_meta_get(st, "qcts.op");
    const char *cases = qcts_st_meta_get(st, "qcts.cases");
    const char *suite = qcts_st_meta_get(st, "qcts.suite");
    const char *gen = qcts_st_meta_get(st, "qcts.generator");
    f->suite = suite ? suite : "";
    f->generator = gen ? gen : "";
    if (!ver) {
        fail(err, errlen, "%s: metadata 'qcts.format_version' is missing (not a qcts case file?)", path);
        goto out;
    }
    if (strcmp(ver, "1") != 0) {
        fail(err, errlen, "%s: qcts.format_version is '%s'; this qcts reads version %d", path, ver,
             QCTS_CASE_FORMAT_VERSION);
        goto out;
    }
    f->format_version = 1;
    if (!opn || qcts_op_from_name(opn, &f->op) != 0) {
        fail(err, errlen, "%s: metadata 'qcts.op' is %s%s%s (convert, quantize, dequant, gemm, attention, rope, "
             "norm, softmax, hadamard, moe_route, moe_dispatch, moe_experts, sampling)", path,
             opn ? "'" : "missing", opn ? opn : "", opn ? "'" : "");
        goto out;
    }
    if (!cases) {
        fail(err, errlen, "%s: metadata 'qcts.cases' is missing", path);
        goto out;
    }
    p->cases_json = parse_json(cases);
    if (!cJSON_IsArray(p->cases_json)) {
        fail(err, errlen, "%s: metadata 'qcts.cases' is not a JSON array", path);
        goto out;
    }
    int n = cJSON_GetArraySize(p->cases_json);
    f->n_cases = (size_t)n;
    f->cases = calloc(n ? (size_t)n : 1, sizeof *f->cases);
    if (!f->cases) {
        fail(err, errlen, "%s: out of memory", path);
        goto out;
    }
    for (int i = 0; i < n; i++)
        if (load_case(p, f, (size_t)i, cJSON_GetArrayItem(p->cases_json, i), flags, err, errlen) != QCTS_OK)
            goto out;
    if (check_strays(f, p, err, errlen) != QCTS_OK)
        goto out;
    rc = QCTS_OK;
    ok_msg(err, errlen);
out:
    if (rc != QCTS_OK) {
        qcts_case_file_free(f);
        f = NULL;
    }
    *out = f;
    return rc;
}

qcts_status qcts_case_file_load(const char *path, unsigned flags, qcts_case_file **out, char *err,
                                size_t errlen)
{
    qcts_st_file *st = NULL;
    if (!out)
        return fail(err, errlen, "qcts_case_file_load: NULL argument");
    *out = NULL;
    if (!path)
        return fail(err, errlen, "qcts_case_file_load: NULL path");
    if (qcts_st_read_file(path, &st, err, errlen) != QCTS_ST_OK)
        return QCTS_ERROR;
    return load_st(st, path, flags, out, err, errlen);
}

qcts_status qcts_case_file_load_mem(const void *buf, size_t len, const char *name, unsigned flags,
                                    qcts_case_file **out, char *err, size_t errlen)
{
    qcts_st_file *st = NULL;
    if (!out)
        return fail(err, errlen, "qcts_case_file_load_mem: NULL argument");
    *out = NULL;
    if (!name)
        name = "<memory>";
    if (qcts_st_read_mem(buf, len, name, &st, err, errlen) != QCTS_ST_OK)
        return QCTS_ERROR;
    return load_st(st, name, flags, out, err, errlen);
}

const qcts_case *qcts_case_find(const qcts_case_file *f, const char *id)
{
    if (!f || !id)
        return NULL;
    for (size_t i = 0; i < f->n_cases; i++)
        if (strcmp(f->cases[i].id, id) == 0)
            return &f->cases[i];
    return NULL;
}

int qcts_case_has_flag(const qcts_case *c, const char *flag)
{
    if (!c || !flag)
        return 0;
    for (size_t i = 0; i < c->n_flags; i++)
        if (strcmp(c->flags[i], flag) == 0)
            return 1;
    return 0;
}

/* ---- writing ------------------------------------------------------------------------ */

static qcts_status add_spec(qcts_st_writer *w, const char *id, const char *role, const qcts_tensor_spec *s,
                            const void *data, size_t have, const char *path, char *err, size_t errlen)
{
    char name[512];
    snprintf(name, sizeof name, "%s/%s.%s", id, role, s->name);
    if (!data)
        return fail(err, errlen, "%s: buffer for '%s' is NULL", path, name);
    if (have < s->nbytes)
        return fail(err, errlen, "%s: buffer for '%s' holds %zu bytes, needs %zu", path, name, have, s->nbytes);
    qcts_st_status st = qcts_st_writer_add_tensor(w, name, qcts_dtype_to_st(s->dtype), s->shape, s->ndim,
                                                  data, s->nbytes);
    if (st != QCTS_ST_OK)
        return fail(err, errlen, "%s: %s", path, qcts_st_writer_error(w));
    return QCTS_OK;
}

qcts_status qcts_case_write(const char *path, qcts_op op, const void *desc, const qcts_buffers *b,
                            const char *case_json, unsigned what, char *err, size_t errlen)
{
    qcts_op_io io;
    char ioerr[QCTS_CASE_ERRLEN];
    if (!path || !desc || !b)
        return fail(err, errlen, "qcts_case_write: NULL argument");
    if (qcts_op_io_get(op, desc, &io, ioerr, sizeof ioerr) != QCTS_OK)
        return fail(err, errlen, "%s: %s", path, ioerr);

    cJSON *o = case_json ? parse_json(case_json) : cJSON_CreateObject();
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return fail(err, errlen, "%s: the case JSON is not an object", path);
    }
    qcts_status rc = QCTS_ERROR;
    qcts_st_writer *w = NULL;
    char *text = NULL, *arr = NULL;
    cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
    if (id && (!cJSON_IsString(id) || !id->valuestring[0] || strchr(id->valuestring, '/'))) {
        fail(err, errlen, "%s: the case JSON has a bad 'id'", path);
        goto out;
    }
    if (!id && !(id = cJSON_AddStringToObject(o, "id", "c000")))
        goto oom;
    if (!cJSON_GetObjectItemCaseSensitive(o, "check") && !cJSON_AddStringToObject(o, "check", "exact"))
        goto oom;
    if (!cJSON_GetObjectItemCaseSensitive(o, "flags") && !cJSON_AddArrayToObject(o, "flags"))
        goto oom;
    cJSON *params = cJSON_GetObjectItemCaseSensitive(o, "params");
    if (params && !cJSON_IsObject(params)) {
        fail(err, errlen, "%s: the case JSON's 'params' is not an object", path);
        goto out;
    }
    if (!params && !(params = cJSON_AddObjectToObject(o, "params")))
        goto oom;
    if (desc_to_params(op, desc, params) != 0)
        goto oom;
    text = cJSON_PrintUnformatted(o);
    if (!text)
        goto oom;
    size_t tl = strlen(text);
    arr = malloc(tl + 3);
    if (!arr)
        goto oom;
    arr[0] = '[';
    memcpy(arr + 1, text, tl);
    arr[tl + 1] = ']';
    arr[tl + 2] = '\0';

    w = qcts_st_writer_new();
    if (!w)
        goto oom;
    char ver[8];
    snprintf(ver, sizeof ver, "%d", QCTS_CASE_FORMAT_VERSION);
    qcts_st_writer_set_meta(w, "qcts.format_version", ver);
    qcts_st_writer_set_meta(w, "qcts.op", qcts_op_name(op));
    qcts_st_writer_set_meta(w, "qcts.suite", "exec");
    qcts_st_writer_set_meta(w, "qcts.generator", "qcts case_call (single-case exec file)");
    qcts_st_writer_set_meta(w, "qcts.cases", arr);
    if (what & QCTS_CASE_WRITE_INPUTS)
        for (int i = 0; i < io.n_in; i++)
            if (io.in[i].used &&
                add_spec(w, id->valuestring, "in", &io.in[i], b->in[i], b->in_bytes[i], path, err, errlen))
                goto out;
    if (what & QCTS_CASE_WRITE_OUTPUTS)
        for (int i = 0; i < io.n_out; i++) {
            if (!io.out[i].used || (io.out[i].optional && !b->out[i]))
                continue;
            if (add_spec(w, id->valuestring, "out", &io.out[i], b->out[i], b->out_bytes[i], path, err, errlen))
                goto out;
        }
    if (qcts_st_writer_write_file(w, path, err, errlen) != QCTS_ST_OK)
        goto out;
    rc = QCTS_OK;
    ok_msg(err, errlen);
    goto out;
oom:
    fail(err, errlen, "%s: out of memory", path);
out:
    qcts_st_writer_free(w);
    free(arr);
    free(text);
    cJSON_Delete(o);
    return rc;
}

qcts_status qcts_case_read_outputs(const char *path, qcts_op op, const void *desc, const char *id,
                                   const qcts_buffers *b, char *err, size_t errlen)
{
    qcts_op_io io;
    char ioerr[QCTS_CASE_ERRLEN];
    qcts_st_file *st = NULL;
    if (!path || !desc || !b)
        return fail(err, errlen, "qcts_case_read_outputs: NULL argument");
    if (!id)
        id = "c000";
    if (qcts_op_io_get(op, desc, &io, ioerr, sizeof ioerr) != QCTS_OK)
        return fail(err, errlen, "%s: %s", path, ioerr);
    if (qcts_st_read_file(path, &st, err, errlen) != QCTS_ST_OK)
        return QCTS_ERROR;
    qcts_status rc = QCTS_ERROR;
    /* Reject out.* tensors the op does not produce (a misspelt name would
     * otherwise go unnoticed). */
    for (size_t i = 0; i < st->n_tensors; i++) {
        const char *name = st->tensors[i].name;
        const char *rest = after_id(name, id);
        if (!rest)
            rest = name;
        if (strncmp(rest, "out.", 4) != 0)
            continue;
        int known = 0;
        for (int k = 0; k < io.n_out; k++)
            known |= io.out[k].used && strcmp(rest + 4, io.out[k].name) == 0;
        if (!known) {
            fail(err, errlen, "%s: tensor '%s' is not an output of %s", path, name, qcts_op_name(op));
            goto out;
        }
    }
    for (int k = 0; k < io.n_out; k++) {
        const qcts_tensor_spec *s = &io.out[k];
        if (!s->used || !b->out[k])
            continue;
        char full[512], plain[64];
        snprintf(full, sizeof full, "%s/out.%s", id, s->name);
        snprintf(plain, sizeof plain, "out.%s", s->name);
        const qcts_st_tensor *t = qcts_st_find(st, full);
        const qcts_st_tensor *t2 = qcts_st_find(st, plain);
        if (t && t2) {
            fail(err, errlen, "%s: both '%s' and '%s' are present", path, full, plain);
            goto out;
        }
        if (!t)
            t = t2;
        if (!t) {
            fail(err, errlen, "%s: output tensor '%s' (or '%s') is missing: %s [%zu] expected", path, full, plain,
                 st_name(s->dtype), s->nelems);
            goto out;
        }
        if (t->dtype != qcts_dtype_to_st(s->dtype)) {
            fail(err, errlen, "%s: tensor '%s' has dtype %s, expected %s", path, t->name,
                 qcts_st_dtype_name(t->dtype) ? qcts_st_dtype_name(t->dtype) : "?", st_name(s->dtype));
            goto out;
        }
        if (t->nbytes != s->nbytes) {
            fail(err, errlen, "%s: tensor '%s' holds %llu elements (%zu bytes), expected %zu (%zu bytes)", path,
                 t->name, (unsigned long long)t->nelems, t->nbytes, s->nelems, s->nbytes);
            goto out;
        }
        if (b->out_bytes[k] < s->nbytes) {
            fail(err, errlen, "%s: output buffer %d holds %zu bytes, '%s' needs %zu", path, k, b->out_bytes[k],
                 t->name, s->nbytes);
            goto out;
        }
        const qcts_gemm_desc *g = op == QCTS_OP_GEMM && k == 0 ? (const qcts_gemm_desc *)desc : NULL;
        if (g && g->ldy > g->N) {
            /* Y with padded rows: only the N elements of each row are the
             * program's; the padding of the caller's buffer stays as it was
             * (a program in another process never saw it, so copying its
             * padding would look like a write there) */
            size_t es = qcts_dtype_size(s->dtype), row = (size_t)g->N * es, ld = (size_t)g->ldy * es;
            for (size_t r = 0; r < (size_t)(g->batch * g->M); r++)
                memcpy((uint8_t *)b->out[k] + r * ld, (const uint8_t *)t->data + r * ld, row);
        } else {
            memcpy(b->out[k], t->data, s->nbytes);
        }
    }
    rc = QCTS_OK;
    ok_msg(err, errlen);
out:
    qcts_st_free(st);
    return rc;
}
