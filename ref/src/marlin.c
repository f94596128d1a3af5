/* The Marlin tile layout (qref/marlin.h): the permutations as closed-form
 * index maps, and pack/unpack of nibbles and scales. No tables: every map is
 * computed from its definition, so there is no initialisation order. */
#include "qref/marlin.h"

#include <string.h>

qref_status qref_marlin_check_shape(int64_t n, int64_t k)
{
    if (n <= 0 || k <= 0 || n % QREF_MARLIN_N_MULTIPLE || k % QREF_MARLIN_K_MULTIPLE)
        return QREF_ERR_SIZE;
    return QREF_OK;
}

/* The interleave [0,2,4,6,1,3,5,7] applied to each 8-group of the fragment
 * order, and its inverse. */
static const int interleave[8] = { 0, 2, 4, 6, 1, 3, 5, 7 };

static int interleave_inv(int e) { return (e & 1) ? 4 + e / 2 : e / 2; }

int qref_marlin_perm(int p)
{
    if (p < 0 || p >= QREF_MARLIN_CHUNK)
        return -1;
    int s = 8 * (p / 8) + interleave[p % 8];   /* index in the fragment order */
    int i = s / 32, j = (s / 8) % 4, b = (s / 4) % 2, m = s % 4;
    int row = m < 2 ? 2 * (i % 4) + m : 2 * (i % 4 + 4) + (m - 2);
    return 256 * j + 16 * row + i / 4 + 8 * b;
}

int qref_marlin_perm_inv(int t)
{
    if (t < 0 || t >= QREF_MARLIN_CHUNK)
        return -1;
    int j = t / 256, row = (t % 256) / 16, cn = t % 16;
    int b = cn / 8, col = cn % 8;
    int i = 4 * col + (row % 8) / 2;
    int m = row % 2 + (row >= 8 ? 2 : 0);
    int s = 32 * i + 8 * j + 4 * b + m;
    return 8 * (s / 8) + interleave_inv(s % 8);
}

int qref_marlin_scale_perm(int single, int p)
{
    if (single) {
        /* _scale_perm_single: 8i + j -> 2i + {0,1,8,9,16,17,24,25}[j] */
        if (p < 0 || p >= 32)
            return -1;
        int i = p / 8, j = p % 8;
        return 2 * i + 8 * (j / 2) + (j % 2);
    }
    if (p < 0 || p >= 64)
        return -1;
    return p / 8 + 8 * (p % 8);   /* _scale_perm: 8i + j -> i + 8j */
}

int qref_marlin_scale_perm_inv(int single, int s)
{
    if (single) {
        if (s < 0 || s >= 32)
            return -1;
        int i = (s % 8) / 2, j = 2 * (s / 8) + s % 2;
        return 8 * i + j;
    }
    if (s < 0 || s >= 64)
        return -1;
    return s / 8 + 8 * (s % 8);   /* a transpose is its own inverse */
}

int64_t qref_marlin_index(int64_t n, int64_t k, int64_t row, int64_t col)
{
    (void)k;
    /* Marlin's (k, n) element (col, row) in tile (col/16, row/16) */
    int64_t t = (col / 16) * 16 * n + 256 * (row / 16) + 16 * (col % 16) + row % 16;
    return t - t % QREF_MARLIN_CHUNK + qref_marlin_perm_inv((int)(t % QREF_MARLIN_CHUNK));
}

void qref_marlin_source(int64_t n, int64_t k, int64_t f, int64_t *row, int64_t *col)
{
    (void)k;
    int64_t t = f - f % QREF_MARLIN_CHUNK + qref_marlin_perm((int)(f % QREF_MARLIN_CHUNK));
    int64_t kt = t / (16 * n), rem = t % (16 * n);
    int64_t nt = rem / 256, e = rem % 256;
    *row = 16 * nt + e % 16;
    *col = 16 * kt + e / 16;
}

qref_status qref_marlin_pack(const uint8_t *codes_nk, int64_t n, int64_t k, uint8_t *out)
{
    if (!codes_nk || !out)
        return QREF_ERR_ARG;
    if (qref_marlin_check_shape(n, k) != QREF_OK)
        return QREF_ERR_SIZE;
    for (int64_t i = 0; i < n * k; i++)
        if (codes_nk[i] > 15)
            return QREF_ERR_CODE;
    for (int64_t f = 0; f < n * k; f += 2) {
        int64_t r0, c0, r1, c1;
        qref_marlin_source(n, k, f, &r0, &c0);
        qref_marlin_source(n, k, f + 1, &r1, &c1);
        out[f / 2] = (uint8_t)(codes_nk[r0 * k + c0] | codes_nk[r1 * k + c1] << 4);
    }
    return QREF_OK;
}

qref_status qref_marlin_unpack(const uint8_t *packed, int64_t n, int64_t k, uint8_t *codes_nk)
{
    if (!packed || !codes_nk)
        return QREF_ERR_ARG;
    if (qref_marlin_check_shape(n, k) != QREF_OK)
        return QREF_ERR_SIZE;
    for (int64_t f = 0; f < n * k; f++) {
        int64_t r, c;
        qref_marlin_source(n, k, f, &r, &c);
        codes_nk[r * k + c] = (uint8_t)((packed[f / 2] >> (4 * (f & 1))) & 0xF);
    }
    return QREF_OK;
}

int64_t qref_marlin_scale_index(int64_t n, int64_t groups, int64_t row, int64_t group)
{
    int single = groups == 1;
    int64_t chunk = single ? 32 : 64;
    int64_t s = group * n + row;   /* (k/128, n) row-major */
    return s - s % chunk + qref_marlin_scale_perm_inv(single, (int)(s % chunk));
}

static qref_status scale_shape(const void *a, const void *b, int64_t n, int64_t groups)
{
    if (!a || !b)
        return QREF_ERR_ARG;
    if (n <= 0 || n % QREF_MARLIN_N_MULTIPLE || groups <= 0)
        return QREF_ERR_SIZE;
    return QREF_OK;
}

qref_status qref_marlin_pack_scales(const uint8_t *scales_ng, int64_t n, int64_t groups, uint8_t *out)
{
    qref_status st = scale_shape(scales_ng, out, n, groups);
    if (st != QREF_OK)
        return st;
    for (int64_t r = 0; r < n; r++)
        for (int64_t g = 0; g < groups; g++)
            memcpy(out + 2 * qref_marlin_scale_index(n, groups, r, g), scales_ng + 2 * (r * groups + g), 2);
    return QREF_OK;
}

qref_status qref_marlin_unpack_scales(const uint8_t *marlin, int64_t n, int64_t groups, uint8_t *scales_ng)
{
    qref_status st = scale_shape(marlin, scales_ng, n, groups);
    if (st != QREF_OK)
        return st;
    for (int64_t r = 0; r < n; r++)
        for (int64_t g = 0; g < groups; g++)
            memcpy(scales_ng + 2 * (r * groups + g), marlin + 2 * qref_marlin_scale_index(n, groups, r, g), 2);
    return QREF_OK;
}
