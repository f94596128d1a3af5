/* The scheme catalog (from schemes.inc) and the family-independent parts of
 * quantize / dequantize: shape checks, allocation, (de)serialization, the
 * non-finite input check and the final rounding. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qref/bits.h"
#include "scheme_impl.h"

static const qref_scheme presets[] = {
#define X(name, fam, elem, group, scale, zero, ts, layout, gguf, sn, sm, base, desc)              \
    { #name, desc, QREF_FAMILY_##fam, QREF_FMT_##elem, group, QREF_SCALE_##scale, QREF_ZERO_##zero, \
      ts, QREF_LAYOUT_##layout, gguf, sn, sm, base },
#include "schemes.inc"
#undef X
};

static const qref__family_ops *const family_ops[QREF_FAMILY_COUNT] = {
    [QREF_FAMILY_GROUP] = &qref__ops_group,
    [QREF_FAMILY_MX] = &qref__ops_mx,
    [QREF_FAMILY_NVFP4] = &qref__ops_nvfp4,
    [QREF_FAMILY_GGUF] = &qref__ops_gguf,
    [QREF_FAMILY_MARLIN] = &qref__ops_marlin,
    [QREF_FAMILY_SPARSE] = &qref__ops_sparse,
};

size_t qref_scheme_count(void) { return sizeof presets / sizeof presets[0]; }

const qref_scheme *qref_scheme_at(size_t i) { return i < qref_scheme_count() ? &presets[i] : NULL; }

const qref_scheme *qref_scheme_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < qref_scheme_count(); i++)
        if (strcmp(presets[i].name, name) == 0)
            return &presets[i];
    return NULL;
}

const char *qref_scale_fmt_name(qref_scale_fmt s)
{
    static const char *const n[] = { "none", "f32", "f16", "bf16", "e8m0", "e4m3", "ue4m3" };
    return (unsigned)s < sizeof n / sizeof n[0] ? n[s] : "?";
}

unsigned qref_scale_fmt_bytes(qref_scale_fmt s)
{
    static const unsigned b[] = { 0, 4, 2, 2, 1, 1, 1 };
    return (unsigned)s < sizeof b / sizeof b[0] ? b[s] : 0;
}

const char *qref_layout_name(qref_layout l)
{
    static const char *const n[] = { "bytes", "kmajor_u32", "pack24", "gguf", "marlin", "sparse" };
    return (unsigned)l < sizeof n / sizeof n[0] ? n[l] : "?";
}

const char *qref_family_name(qref_family f)
{
    static const char *const n[] = { "group", "mx", "nvfp4", "gguf", "marlin", "sparse" };
    return (unsigned)f < sizeof n / sizeof n[0] ? n[f] : "?";
}

qref_status qref__fail(qref_error *err, qref_status st, int64_t row, int64_t block, const char *fmt, ...)
{
    if (err) {
        err->row = row;
        err->block = block;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return st;
}

static const qref__family_ops *ops_of(const qref_scheme *s)
{
    return s && (unsigned)s->family < QREF_FAMILY_COUNT ? family_ops[s->family] : NULL;
}

qref_status qref_qsizes_get(const qref_scheme *s, int64_t rows, int64_t cols, qref_qsizes *out, qref_error *err)
{
    const qref__family_ops *ops = ops_of(s);
    if (!ops || !out)
        return qref__fail(err, QREF_ERR_ARG, -1, -1, "no scheme or output given");
    if (rows <= 0 || cols <= 0 || rows > ((int64_t)1 << 40) / cols)
        return qref__fail(err, QREF_ERR_SIZE, -1, -1, "%s: shape %lld x %lld is empty or too large",
                          s->name, (long long)rows, (long long)cols);
    memset(out, 0, sizeof *out);
    qref_status st = ops->sizes(s, rows, cols, out, err);
    if (st != QREF_OK)
        return st;
    out->tscale = s->tensor_scale ? 4 : 0;
    out->total = out->codes + out->scales + out->zeros + out->meta + out->tscale;
    return QREF_OK;
}

double qref_scheme_bits_per_weight(const qref_scheme *s, int64_t rows, int64_t cols)
{
    qref_qsizes z;
    if (qref_qsizes_get(s, rows, cols, &z, NULL) != QREF_OK)
        return 0.0;
    return 8.0 * (double)z.total / ((double)rows * (double)cols);
}

static void point_sections(qref_qtensor *t)
{
    uint8_t *p = t->storage;
    t->codes = t->sizes.codes ? p : NULL;
    p += t->sizes.codes;
    t->scales = t->sizes.scales ? p : NULL;
    p += t->sizes.scales;
    t->zeros = t->sizes.zeros ? p : NULL;
    p += t->sizes.zeros;
    t->meta = t->sizes.meta ? p : NULL;
}

qref_status qref_qtensor_alloc(const qref_scheme *s, int64_t rows, int64_t cols, qref_qtensor *out, qref_error *err)
{
    if (!out)
        return qref__fail(err, QREF_ERR_ARG, -1, -1, "no output tensor given");
    memset(out, 0, sizeof *out);
    qref_qsizes z;
    qref_status st = qref_qsizes_get(s, rows, cols, &z, err);
    if (st != QREF_OK)
        return st;
    out->storage = calloc(1, z.total ? z.total : 1);
    if (!out->storage)
        return qref__fail(err, QREF_ERR_SIZE, -1, -1, "%s: out of memory for %zu bytes", s->name, z.total);
    out->scheme = s;
    out->rows = rows;
    out->cols = cols;
    out->sizes = z;
    out->tensor_scale = 1.0f;
    point_sections(out);
    return QREF_OK;
}

void qref_qtensor_free(qref_qtensor *t)
{
    if (!t)
        return;
    free(t->storage);
    memset(t, 0, sizeof *t);
}

qref_status qref_qtensor_save(const qref_qtensor *t, uint8_t *buf, size_t len)
{
    if (!t || !t->storage || !buf || len != t->sizes.total)
        return QREF_ERR_ARG;
    size_t body = t->sizes.total - t->sizes.tscale;
    memcpy(buf, t->storage, body);
    if (t->sizes.tscale) {
        uint32_t u = qref_f32_bits(t->tensor_scale);
        for (int i = 0; i < 4; i++)
            buf[body + i] = (uint8_t)(u >> (8 * i));
    }
    return QREF_OK;
}

qref_status qref_qtensor_load(const qref_scheme *s, int64_t rows, int64_t cols, const uint8_t *buf, size_t len,
                              qref_qtensor *out, qref_error *err)
{
    if (!buf)
        return qref__fail(err, QREF_ERR_ARG, -1, -1, "no input buffer given");
    qref_status st = qref_qtensor_alloc(s, rows, cols, out, err);
    if (st != QREF_OK)
        return st;
    if (len != out->sizes.total) {
        size_t want = out->sizes.total;
        qref_qtensor_free(out);
        return qref__fail(err, QREF_ERR_SIZE, -1, -1, "%s: %lld x %lld needs %zu bytes, got %zu", s->name,
                          (long long)rows, (long long)cols, want, len);
    }
    size_t body = len - out->sizes.tscale;
    memcpy(out->storage, buf, body);
    if (out->sizes.tscale) {
        uint32_t u = 0;
        for (int i = 0; i < 4; i++)
            u |= (uint32_t)buf[body + i] << (8 * i);
        out->tensor_scale = qref_f32_from_bits(u);
        if (!(out->tensor_scale == out->tensor_scale) || qref_f32_is_inf(u)) {
            qref_qtensor_free(out);
            return qref__fail(err, QREF_ERR_DATA, -1, -1, "%s: tensor scale is not finite (bits 0x%08x)", s->name, u);
        }
    }
    const qref__family_ops *ops = ops_of(s);
    if (ops->validate && (st = ops->validate(out, err)) != QREF_OK) {
        qref_qtensor_free(out);
        return st;
    }
    return QREF_OK;
}

/* Elements per block for error messages: the group, or the row. */
static int64_t block_len(const qref_scheme *s, int64_t cols)
{
    return s->group > 0 ? s->group : s->group == QREF_GROUP_ROW ? cols : cols;
}

qref_status qref_quantize(const qref_scheme *s, int64_t rows, int64_t cols, const float *w, qref_qtensor *out,
                          qref_error *err)
{
    const qref__family_ops *ops = ops_of(s);
    if (!ops || !w || !out)
        return qref__fail(err, QREF_ERR_ARG, -1, -1, "no scheme, input or output given");
    qref_status st = qref_qtensor_alloc(s, rows, cols, out, err);
    if (st != QREF_OK)
        return st;
    int64_t bl = block_len(s, cols);
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t k = 0; k < cols; k++) {
            uint32_t u = qref_f32_bits(w[r * cols + k]);
            if ((u & 0x7F800000u) == 0x7F800000u) {
                qref_qtensor_free(out);
                return qref__fail(err, QREF_ERR_DATA, r, k / bl,
                                  "%s: weight at row %lld, col %lld (block %lld) is %s; the scheme has no code for it",
                                  s->name, (long long)r, (long long)k, (long long)(k / bl),
                                  qref_f32_is_nan(u) ? "NaN" : "infinite");
            }
        }
    }
    if ((st = ops->quantize(s, w, out, err)) != QREF_OK)
        qref_qtensor_free(out);
    return st;
}

qref_status qref_dequantize_row_exact(const qref_qtensor *t, int64_t row, double *hi, double *lo, qref_error *err)
{
    const qref__family_ops *ops = t ? ops_of(t->scheme) : NULL;
    if (!ops || !t->storage || !hi || !lo || row < 0 || row >= t->rows)
        return qref__fail(err, QREF_ERR_ARG, row, -1, "bad tensor, row or output");
    return ops->dequant_row(t, row, hi, lo, err);
}

qref_status qref_dequantize_as(const qref_qtensor *t, qref_fmt out_fmt, void *out, qref_error *err)
{
    if (!t || !out)
        return qref__fail(err, QREF_ERR_ARG, -1, -1, "no tensor or output given");
    if (out_fmt != QREF_FMT_F32 && out_fmt != QREF_FMT_F16 && out_fmt != QREF_FMT_BF16)
        return qref__fail(err, QREF_ERR_UNSUPPORTED, -1, -1, "dequantize outputs f32, f16 or bf16 only");
    double *hi = malloc(sizeof(double) * (size_t)t->cols), *lo = malloc(sizeof(double) * (size_t)t->cols);
    qref_status st = hi && lo ? QREF_OK : qref__fail(err, QREF_ERR_SIZE, -1, -1, "out of memory");
    for (int64_t r = 0; r < t->rows && st == QREF_OK; r++) {
        memset(lo, 0, sizeof(double) * (size_t)t->cols);
        st = qref_dequantize_row_exact(t, r, hi, lo, err);
        for (int64_t k = 0; k < t->cols && st == QREF_OK; k++) {
            size_t i = (size_t)(r * t->cols + k);
            if (out_fmt == QREF_FMT_F32)
                ((float *)out)[i] = qref_round2_to_f32(hi[k], lo[k]);
            else if (out_fmt == QREF_FMT_F16)
                ((uint16_t *)out)[i] = qref_round2_to_f16(hi[k], lo[k]);
            else
                ((uint16_t *)out)[i] = qref_round2_to_bf16(hi[k], lo[k]);
        }
    }
    free(hi);
    free(lo);
    return st;
}

qref_status qref_dequantize(const qref_qtensor *t, float *out, qref_error *err)
{
    return qref_dequantize_as(t, QREF_FMT_F32, out, err);
}
