/* Scheme family "sparse": N:M pruning (qref/sparse.h), then the scheme's
 * `base` group preset on the compressed values.
 *   quantize    = prune N:M (keep the N largest |w| of every M, ties to the
 *                 lower index), compress to values [rows][cols*N/M] +
 *                 metadata, qref_quantize(base) on the values matrix;
 *   dequant_row = the base's exact values of the stored row, scattered to
 *                 the dense positions named by the metadata; pruned
 *                 positions are exactly +0.
 * A base scale group therefore covers `group` STORED values = group*M/N
 * dense columns (2:4, group 128: 256 columns), and cols must be a multiple
 * of group*M/N (256 for the sparse24_*_g128 presets).
 * Sections: codes, scales, zeros = the base's for a rows x cols*N/M matrix;
 * meta = the N:M metadata; no tensor scale. */
#include <stdlib.h>
#include <string.h>

#include "qref/sparse.h"
#include "scheme_impl.h"

static qref_status base_of(const qref_scheme *s, const qref_scheme **base, qref_error *err)
{
    const qref_scheme *b = qref_scheme_find(s->base);
    if (!b)
        return qref__fail(err, QREF_ERR_UNSUPPORTED, -1, -1, "%s: base preset \"%s\" is unknown", s->name,
                          s->base ? s->base : "(none)");
    if (b->family != QREF_FAMILY_GROUP || b->group <= 0 || b->tensor_scale ||
        qref_sparse_check(1, s->sparse_m, s->sparse_n, s->sparse_m) != QREF_OK)
        return qref__fail(err, QREF_ERR_UNSUPPORTED, -1, -1,
                          "%s: needs a group-scaled base preset without tensor scale and a valid N:M", s->name);
    *base = b;
    return QREF_OK;
}

/* Stored (compressed) columns. */
static int64_t vcols_of(const qref_scheme *s, int64_t cols) { return cols / s->sparse_m * s->sparse_n; }

static qref_status sizes(const qref_scheme *s, int64_t rows, int64_t cols, qref_qsizes *out, qref_error *err)
{
    const qref_scheme *base;
    qref_status st = base_of(s, &base, err);
    if (st != QREF_OK)
        return st;
    int64_t span = (int64_t)base->group * s->sparse_m / s->sparse_n;   /* dense columns per scale group */
    if (cols % s->sparse_m || vcols_of(s, cols) % base->group)
        return qref__fail(err, QREF_ERR_SIZE, -1, -1,
                          "%s: cols must be a multiple of %lld (%d:%d pruning, then groups of %d stored values), got %lld",
                          s->name, (long long)span, s->sparse_n, s->sparse_m, (int)base->group, (long long)cols);
    qref_qsizes bz;
    if ((st = qref_qsizes_get(base, rows, vcols_of(s, cols), &bz, err)) != QREF_OK)
        return st;
    out->codes = bz.codes;
    out->scales = bz.scales;
    out->zeros = bz.zeros;
    out->meta = qref_sparse_meta_bytes(rows, cols, s->sparse_n, s->sparse_m);
    return QREF_OK;
}

static qref_status quantize(const qref_scheme *s, const float *w, qref_qtensor *t, qref_error *err)
{
    const qref_scheme *base;
    qref_status st = base_of(s, &base, err);
    if (st != QREF_OK)
        return st;
    int64_t rows = t->rows, cols = t->cols, vcols = vcols_of(s, cols);
    float *pruned = malloc(sizeof(float) * (size_t)(rows * cols));
    float *values = malloc(sizeof(float) * (size_t)(rows * vcols));
    if (!pruned || !values) {
        st = qref__fail(err, QREF_ERR_SIZE, -1, -1, "%s: out of memory", s->name);
        goto done;
    }
    if ((st = qref_sparse_prune(w, rows, cols, s->sparse_n, s->sparse_m, pruned)) != QREF_OK) {
        st = qref__fail(err, st, -1, -1, "%s: pruning failed", s->name);
        goto done;
    }
    if ((st = qref_sparse_compress(pruned, rows, cols, s->sparse_n, s->sparse_m, values, t->meta, err)) != QREF_OK)
        goto done;
    qref_qtensor bt;
    if ((st = qref_quantize(base, rows, vcols, values, &bt, err)) != QREF_OK)
        goto done;
    if (bt.sizes.codes != t->sizes.codes || bt.sizes.scales != t->sizes.scales || bt.sizes.zeros != t->sizes.zeros) {
        st = qref__fail(err, QREF_ERR_SIZE, -1, -1, "%s: base section sizes disagree", s->name);
    } else {
        /* codes, scales, zeros are adjacent in both tensors */
        memcpy(t->storage, bt.storage, bt.sizes.codes + bt.sizes.scales + bt.sizes.zeros);
    }
    qref_qtensor_free(&bt);
done:
    free(pruned);
    free(values);
    return st;
}

/* The stored values of t seen as a base tensor (rows x cols*N/M) over t's
 * own storage: no copy, never freed. */
static void base_view(const qref_qtensor *t, const qref_scheme *base, qref_qtensor *v)
{
    memset(v, 0, sizeof *v);
    v->scheme = base;
    v->rows = t->rows;
    v->cols = vcols_of(t->scheme, t->cols);
    v->sizes = t->sizes;
    v->sizes.meta = 0;
    v->sizes.total = t->sizes.codes + t->sizes.scales + t->sizes.zeros;
    v->codes = t->codes;
    v->scales = t->scales;
    v->zeros = t->zeros;
    v->tensor_scale = 1.0f;
    v->storage = t->storage;
}

static qref_status dequant_row(const qref_qtensor *t, int64_t row, double *hi, double *lo, qref_error *err)
{
    const qref_scheme *s = t->scheme, *base;
    qref_status st = base_of(s, &base, err);
    if (st != QREF_OK)
        return st;
    int n = s->sparse_n, m = s->sparse_m;
    int64_t gpr = t->cols / m, vcols = vcols_of(s, t->cols);
    for (int64_t g = 0; g < gpr; g++) {
        uint8_t idx[QREF_SPARSE_MAX_M];
        qref_sparse_meta_get(t->meta, t->cols, n, m, row, g, idx);
        for (int j = 0; j < n; j++)
            if (idx[j] >= m || (j > 0 && idx[j] <= idx[j - 1]))
                return qref__fail(err, QREF_ERR_DATA, row, g,
                                  "%s: metadata of row %lld, group %lld is invalid (index %d is %u)", s->name,
                                  (long long)row, (long long)g, j, idx[j]);
    }
    double *vh = malloc(sizeof(double) * (size_t)vcols), *vl = calloc((size_t)vcols, sizeof(double));
    if (!vh || !vl) {
        free(vh);
        free(vl);
        return qref__fail(err, QREF_ERR_SIZE, row, -1, "%s: out of memory", s->name);
    }
    qref_qtensor v;
    base_view(t, base, &v);
    st = qref_dequantize_row_exact(&v, row, vh, vl, err);
    if (st == QREF_OK) {
        for (int64_t k = 0; k < t->cols; k++)
            hi[k] = lo[k] = 0.0;
        for (int64_t g = 0; g < gpr; g++) {
            uint8_t idx[QREF_SPARSE_MAX_M];
            qref_sparse_meta_get(t->meta, t->cols, n, m, row, g, idx);
            for (int j = 0; j < n; j++) {
                hi[g * m + idx[j]] = vh[g * n + j];
                lo[g * m + idx[j]] = vl[g * n + j];
            }
        }
    }
    free(vh);
    free(vl);
    return st;
}

/* Loaded data: the metadata (QREF_ERR_DATA naming row and group), then
 * whatever the base checks on the stored values. */
static qref_status validate(const qref_qtensor *t, qref_error *err)
{
    const qref_scheme *s = t->scheme, *base;
    qref_status st = base_of(s, &base, err);
    if (st != QREF_OK)
        return st;
    qref_error e;
    if ((st = qref_sparse_meta_check(t->meta, t->rows, t->cols, s->sparse_n, s->sparse_m, &e)) != QREF_OK)
        return qref__fail(err, st, e.row, e.block, "%s: %s", s->name, e.msg);
    qref_qtensor v, bt;
    base_view(t, base, &v);
    st = qref_qtensor_load(base, v.rows, v.cols, t->storage, v.sizes.total, &bt, &e);
    if (st == QREF_OK)
        qref_qtensor_free(&bt);
    else
        st = qref__fail(err, st, e.row, e.block,
                        "%s (stored values checked as %s; a block is %d stored values = %d dense columns): %s",
                        s->name, base->name, (int)base->group, (int)(base->group * s->sparse_m / s->sparse_n), e.msg);
    return st;
}

const qref__family_ops qref__ops_sparse = { sizes, quantize, dequant_row, validate };
