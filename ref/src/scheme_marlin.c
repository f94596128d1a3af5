/* Scheme family "marlin": a 4-bit group-128 preset (the scheme's `base`,
 * e.g. int4_sym_g128, fp4_g128_f16) repacked in the Marlin tile layout
 * (qref/marlin.h). The values are the base preset's, bit for bit:
 *   quantize    = qref_quantize(base) on the same (n, k) weights, then the
 *                 codes are repacked (INT4: nibble = code ^ 0x8 = value + 8;
 *                 E2M1: nibble = code) and the f16 scales permuted;
 *   dequant_row = the row's nibbles and scales gathered back into a one-row
 *                 base tensor, dequantized by the base.
 * Sections: codes n*k/2 bytes, scales (k/128)*n f16, nothing else.
 * Shapes: n = rows % 256 == 0, k = cols % 128 == 0. */
#include <stdlib.h>
#include <string.h>

#include "qref/marlin.h"
#include "qref/pack.h"
#include "scheme_impl.h"

/* The base preset, checked to be what the layout can carry. */
static qref_status base_of(const qref_scheme *s, const qref_scheme **base, qref_error *err)
{
    const qref_scheme *b = qref_scheme_find(s->base);
    if (!b)
        return qref__fail(err, QREF_ERR_UNSUPPORTED, -1, -1, "%s: base preset \"%s\" is unknown", s->name,
                          s->base ? s->base : "(none)");
    const qref_fmt_info *fi = qref_fmt_get(b->elem);
    if (b->family != QREF_FAMILY_GROUP || !fi || fi->bits != 4 || !qref_pack_supported(b->layout, 4) ||
        b->group != QREF_MARLIN_GROUP || b->scale != QREF_SCALE_F16 || b->zero != QREF_ZERO_NONE ||
        b->tensor_scale)
        return qref__fail(err, QREF_ERR_UNSUPPORTED, -1, -1,
                          "%s: base preset %s is not a 4-bit, group-128, f16-scale group preset", s->name, b->name);
    *base = b;
    return QREF_OK;
}

/* Marlin nibble <-> base code: Marlin stores uint4 = int4 value + 8. */
static uint8_t nibble_xor(const qref_scheme *base) { return base->elem == QREF_FMT_INT4 ? 0x8 : 0x0; }

static qref_status sizes(const qref_scheme *s, int64_t rows, int64_t cols, qref_qsizes *out, qref_error *err)
{
    const qref_scheme *base;
    qref_status st = base_of(s, &base, err);
    if (st != QREF_OK)
        return st;
    if (qref_marlin_check_shape(rows, cols) != QREF_OK)
        return qref__fail(err, QREF_ERR_SIZE, -1, -1,
                          "%s: the Marlin layout needs rows %% 256 == 0 and cols %% 128 == 0, got %lld x %lld",
                          s->name, (long long)rows, (long long)cols);
    out->codes = (size_t)(rows * cols / 2);
    out->scales = (size_t)(cols / QREF_MARLIN_GROUP * rows * 2);
    return QREF_OK;
}

/* Bytes of one row of base codes (qref/pack.h). */
static size_t row_bytes(const qref_scheme *base, int64_t k) { return qref_packed_row_bytes(base->layout, 4, k); }

static qref_status quantize(const qref_scheme *s, const float *w, qref_qtensor *t, qref_error *err)
{
    const qref_scheme *base;
    qref_status st = base_of(s, &base, err);
    if (st != QREF_OK)
        return st;
    int64_t n = t->rows, k = t->cols;
    qref_qtensor bt;
    if ((st = qref_quantize(base, n, k, w, &bt, err)) != QREF_OK)
        return st;
    uint8_t *nib = malloc((size_t)(n * k));
    if (!nib) {
        qref_qtensor_free(&bt);
        return qref__fail(err, QREF_ERR_SIZE, -1, -1, "%s: out of memory", s->name);
    }
    uint8_t x = nibble_xor(base);
    size_t rb = row_bytes(base, k);
    for (int64_t r = 0; r < n && st == QREF_OK; r++)
        st = qref_unpack_codes(base->layout, 4, bt.codes + (size_t)r * rb, k, nib + r * k);
    for (int64_t j = 0; j < n * k; j++)
        nib[j] ^= x;
    if (st == QREF_OK)
        st = qref_marlin_pack(nib, n, k, t->codes);
    if (st == QREF_OK)
        st = qref_marlin_pack_scales(bt.scales, n, k / QREF_MARLIN_GROUP, t->scales);
    free(nib);
    qref_qtensor_free(&bt);
    return st == QREF_OK ? st : qref__fail(err, st, -1, -1, "%s: repacking failed (%s)", s->name, qref_status_name(st));
}

/* Row `row` of t in the base preset's layout, as a one-row base tensor. */
static qref_status base_row(const qref_qtensor *t, const qref_scheme *base, int64_t row, qref_qtensor *bt,
                            qref_error *err)
{
    int64_t n = t->rows, k = t->cols, groups = k / QREF_MARLIN_GROUP;
    qref_status st = qref_qtensor_alloc(base, 1, k, bt, err);
    if (st != QREF_OK)
        return st;
    uint8_t *nib = malloc((size_t)k);
    if (!nib) {
        qref_qtensor_free(bt);
        return qref__fail(err, QREF_ERR_SIZE, row, -1, "%s: out of memory", t->scheme->name);
    }
    uint8_t x = nibble_xor(base);
    for (int64_t j = 0; j < k; j++) {
        int64_t f = qref_marlin_index(n, k, row, j);
        nib[j] = (uint8_t)(((t->codes[f / 2] >> (4 * (f & 1))) & 0xF) ^ x);
    }
    st = qref_pack_codes(base->layout, 4, nib, k, bt->codes);
    free(nib);
    for (int64_t g = 0; g < groups; g++)
        memcpy(bt->scales + 2 * g, t->scales + 2 * qref_marlin_scale_index(n, groups, row, g), 2);
    if (st != QREF_OK) {
        qref_qtensor_free(bt);
        return qref__fail(err, st, row, -1, "%s: repacking row %lld failed", t->scheme->name, (long long)row);
    }
    return QREF_OK;
}

static qref_status dequant_row(const qref_qtensor *t, int64_t row, double *hi, double *lo, qref_error *err)
{
    const qref_scheme *base;
    qref_qtensor bt;
    qref_status st = base_of(t->scheme, &base, err);
    if (st != QREF_OK || (st = base_row(t, base, row, &bt, err)) != QREF_OK)
        return st;
    st = qref_dequantize_row_exact(&bt, 0, hi, lo, err);
    if (st != QREF_OK && err)
        err->row = row;   /* the base saw row 0 of its one-row copy */
    qref_qtensor_free(&bt);
    return st;
}

/* Loaded data: whatever the base checks (e.g. scales), on the same values
 * in the base layout; row and block in the error are the tensor's. */
static qref_status validate(const qref_qtensor *t, qref_error *err)
{
    const qref_scheme *base;
    qref_status st = base_of(t->scheme, &base, err);
    if (st != QREF_OK)
        return st;
    int64_t n = t->rows, k = t->cols;
    qref_qsizes bz;
    if ((st = qref_qsizes_get(base, n, k, &bz, err)) != QREF_OK)
        return st;
    uint8_t *buf = calloc(1, bz.total ? bz.total : 1);
    uint8_t *nib = malloc((size_t)(n * k));
    if (!buf || !nib) {
        free(buf);
        free(nib);
        return qref__fail(err, QREF_ERR_SIZE, -1, -1, "%s: out of memory", t->scheme->name);
    }
    uint8_t x = nibble_xor(base);
    size_t rb = row_bytes(base, k);
    qref_marlin_unpack(t->codes, n, k, nib);
    for (int64_t j = 0; j < n * k; j++)
        nib[j] ^= x;
    for (int64_t r = 0; r < n && st == QREF_OK; r++)
        st = qref_pack_codes(base->layout, 4, nib + r * k, k, buf + (size_t)r * rb);
    qref_marlin_unpack_scales(t->scales, n, k / QREF_MARLIN_GROUP, buf + bz.codes);
    qref_qtensor bt;
    qref_error e = { -1, -1, "" };
    if (st != QREF_OK)
        st = qref__fail(err, st, -1, -1, "%s: repacking failed (%s)", t->scheme->name, qref_status_name(st));
    else if ((st = qref_qtensor_load(base, n, k, buf, bz.total, &bt, &e)) == QREF_OK)
        qref_qtensor_free(&bt);
    else
        st = qref__fail(err, st, e.row, e.block, "%s (checked as %s): %s", t->scheme->name, base->name, e.msg);
    free(buf);
    free(nib);
    return st;
}

const qref__family_ops qref__ops_marlin = { sizes, quantize, dequant_row, validate };
