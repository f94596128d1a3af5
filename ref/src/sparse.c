/* N:M pruning, compression and metadata (qref/sparse.h). */
#include "qref/sparse.h"

#include <stdio.h>
#include <string.h>

#include "qref/bits.h"

static qref_status fail(qref_error *err, qref_status st, int64_t row, int64_t block, const char *what)
{
    if (err) {
        err->row = row;
        err->block = block;
        snprintf(err->msg, sizeof err->msg, "%s", what);
    }
    return st;
}

qref_status qref_sparse_check(int64_t rows, int64_t cols, int n, int m)
{
    if (m < 2 || m > QREF_SPARSE_MAX_M || n < 1 || n > m)
        return QREF_ERR_ARG;
    if (rows <= 0 || cols <= 0 || cols % m)
        return QREF_ERR_SIZE;
    return QREF_OK;
}

unsigned qref_sparse_index_bits(int m)
{
    unsigned b = 0;
    while (b < 31 && (1 << b) < m)
        b++;
    return b;
}

size_t qref_sparse_meta_words_per_row(int64_t cols, int n, int m)
{
    if (m < 2 || n < 1)
        return 0;
    uint64_t bits = (uint64_t)(cols / m) * (uint64_t)n * qref_sparse_index_bits(m);
    return (size_t)((bits + 31) / 32);
}

size_t qref_sparse_meta_bytes(int64_t rows, int64_t cols, int n, int m)
{
    return (size_t)rows * qref_sparse_meta_words_per_row(cols, n, m) * 4;
}

/* Bit offset of index j of group g of row r. */
static uint64_t field_at(int64_t cols, int n, int m, int64_t r, int64_t g, int j)
{
    return (uint64_t)r * qref_sparse_meta_words_per_row(cols, n, m) * 32 +
           ((uint64_t)g * (uint64_t)n + (uint64_t)j) * qref_sparse_index_bits(m);
}

static unsigned get_bits(const uint8_t *p, uint64_t o, unsigned b)
{
    unsigned v = 0;
    for (unsigned t = 0; t < b; t++, o++)
        v |= (unsigned)((p[o / 8] >> (o % 8)) & 1u) << t;
    return v;
}

static void set_bits(uint8_t *p, uint64_t o, unsigned b, unsigned v)
{
    for (unsigned t = 0; t < b; t++, o++) {
        uint8_t mask = (uint8_t)(1u << (o % 8));
        p[o / 8] = (uint8_t)(((v >> t) & 1u) ? (p[o / 8] | mask) : (p[o / 8] & ~mask));
    }
}

void qref_sparse_meta_get(const uint8_t *meta, int64_t cols, int n, int m, int64_t row, int64_t group, uint8_t *idx)
{
    unsigned b = qref_sparse_index_bits(m);
    for (int j = 0; j < n; j++)
        idx[j] = (uint8_t)get_bits(meta, field_at(cols, n, m, row, group, j), b);
}

void qref_sparse_meta_set(uint8_t *meta, int64_t cols, int n, int m, int64_t row, int64_t group, const uint8_t *idx)
{
    unsigned b = qref_sparse_index_bits(m);
    for (int j = 0; j < n; j++)
        set_bits(meta, field_at(cols, n, m, row, group, j), b, idx[j]);
}

/* The kept positions of one group, ascending: element i is kept when fewer
 * than n elements rank before it (larger |x|, or equal |x| and lower index).
 * Returns 0 if a NaN is present. Magnitudes compare as integers (the bits of
 * |x|), which orders every non-NaN float, Inf included, and ties +0 with -0. */
static int select_group(const float *x, int n, int m, uint8_t *idx)
{
    uint32_t mag[QREF_SPARSE_MAX_M];
    for (int i = 0; i < m; i++) {
        uint32_t u = qref_f32_bits(x[i]);
        if (qref_f32_is_nan(u))
            return 0;
        mag[i] = u & 0x7FFFFFFFu;
    }
    int kept = 0;
    for (int i = 0; i < m; i++) {
        int rank = 0;
        for (int j = 0; j < m && rank < n; j++)
            rank += mag[j] > mag[i] || (mag[j] == mag[i] && j < i);
        if (rank < n)
            idx[kept++] = (uint8_t)i;
    }
    return 1;
}

qref_status qref_sparse_prune(const float *w, int64_t rows, int64_t cols, int n, int m, float *out)
{
    if (!w || !out)
        return QREF_ERR_ARG;
    qref_status st = qref_sparse_check(rows, cols, n, m);
    if (st != QREF_OK)
        return st;
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t g = 0; g < cols / m; g++) {
            const float *x = w + r * cols + g * m;
            float *y = out + r * cols + g * m;
            uint8_t idx[QREF_SPARSE_MAX_M];
            float keep[QREF_SPARSE_MAX_M];
            if (!select_group(x, n, m, idx))
                return QREF_ERR_DATA;
            for (int j = 0; j < n; j++)
                keep[j] = x[idx[j]];
            for (int i = 0; i < m; i++)
                y[i] = 0.0f;
            for (int j = 0; j < n; j++)
                y[idx[j]] = keep[j];
        }
    }
    return QREF_OK;
}

qref_status qref_sparse_compress(const float *dense, int64_t rows, int64_t cols, int n, int m, float *values,
                                 uint8_t *meta, qref_error *err)
{
    if (!dense || !values || !meta)
        return fail(err, QREF_ERR_ARG, -1, -1, "sparse compress: NULL argument");
    qref_status st = qref_sparse_check(rows, cols, n, m);
    if (st != QREF_OK)
        return fail(err, st, -1, -1, "sparse compress: unsupported N:M or cols not a multiple of M");
    memset(meta, 0, qref_sparse_meta_bytes(rows, cols, n, m));
    int64_t gpr = cols / m;
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t g = 0; g < gpr; g++) {
            const float *x = dense + r * cols + g * m;
            uint8_t idx[QREF_SPARSE_MAX_M];
            char msg[160];
            if (!select_group(x, n, m, idx)) {
                snprintf(msg, sizeof msg, "sparse compress: row %lld, group %lld holds a NaN", (long long)r,
                         (long long)g);
                return fail(err, QREF_ERR_DATA, r, g, msg);
            }
            int nz = 0;
            for (int i = 0; i < m; i++)
                nz += x[i] != 0.0f;
            if (nz > n) {
                snprintf(msg, sizeof msg, "sparse compress: row %lld, group %lld has %d non-zeros, more than %d of %d",
                         (long long)r, (long long)g, nz, n, m);
                return fail(err, QREF_ERR_DATA, r, g, msg);
            }
            for (int j = 0; j < n; j++)
                values[(r * gpr + g) * n + j] = x[idx[j]];
            qref_sparse_meta_set(meta, cols, n, m, r, g, idx);
        }
    }
    return QREF_OK;
}

qref_status qref_sparse_meta_check(const uint8_t *meta, int64_t rows, int64_t cols, int n, int m, qref_error *err)
{
    if (!meta)
        return fail(err, QREF_ERR_ARG, -1, -1, "sparse metadata: NULL argument");
    qref_status st = qref_sparse_check(rows, cols, n, m);
    if (st != QREF_OK)
        return fail(err, st, -1, -1, "sparse metadata: unsupported N:M or cols not a multiple of M");
    int64_t gpr = cols / m;
    unsigned b = qref_sparse_index_bits(m);
    uint64_t used = (uint64_t)gpr * (uint64_t)n * b, total = qref_sparse_meta_words_per_row(cols, n, m) * 32;
    char msg[200];
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t g = 0; g < gpr; g++) {
            uint8_t idx[QREF_SPARSE_MAX_M];
            qref_sparse_meta_get(meta, cols, n, m, r, g, idx);
            for (int j = 0; j < n; j++) {
                if (idx[j] >= m || (j > 0 && idx[j] <= idx[j - 1])) {
                    snprintf(msg, sizeof msg,
                             "sparse metadata: row %lld, group %lld: index %d is %u, %s", (long long)r,
                             (long long)g, j, idx[j],
                             idx[j] >= m ? "not below M" : "not above the index before it (must be ascending)");
                    return fail(err, QREF_ERR_DATA, r, g, msg);
                }
            }
        }
        uint64_t base = (uint64_t)r * total;
        for (uint64_t o = used; o < total; o++) {
            if (get_bits(meta, base + o, 1)) {
                snprintf(msg, sizeof msg, "sparse metadata: row %lld: padding bit %llu of the row is set",
                         (long long)r, (unsigned long long)o);
                return fail(err, QREF_ERR_DATA, r, -1, msg);
            }
        }
    }
    return QREF_OK;
}

qref_status qref_sparse_decompress(const float *values, const uint8_t *meta, int64_t rows, int64_t cols, int n,
                                   int m, float *dense, qref_error *err)
{
    if (!values || !dense)
        return fail(err, QREF_ERR_ARG, -1, -1, "sparse decompress: NULL argument");
    qref_status st = qref_sparse_meta_check(meta, rows, cols, n, m, err);
    if (st != QREF_OK)
        return st;
    int64_t gpr = cols / m;
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t g = 0; g < gpr; g++) {
            uint8_t idx[QREF_SPARSE_MAX_M];
            float *y = dense + r * cols + g * m;
            qref_sparse_meta_get(meta, cols, n, m, r, g, idx);
            for (int i = 0; i < m; i++)
                y[i] = 0.0f;
            for (int j = 0; j < n; j++)
                y[idx[j]] = values[(r * gpr + g) * n + j];
        }
    }
    return QREF_OK;
}
