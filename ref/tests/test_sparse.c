/* Suite sparse: N:M pruning, compression, metadata (qref/sparse.h) and the
 * sparse24_* presets.
 *  - hand-made rows with ties, their pruned values and metadata words
 *    written out literally (2:4, 1:4, 2:8 with a field straddling two
 *    words, 4:8);
 *  - the pruning rule checked independently on random data (kept |w| >=
 *    dropped |w|, equal magnitudes kept by lower index), compress /
 *    decompress round trips for several N:M;
 *  - metadata validation (order, range, padding) naming row and group;
 *  - sparse24_* dequantize == prune, compress, base preset on the values,
 *    scatter; bit for bit.
 * Random data: splitmix64 from a fixed seed; failures print the seed. */
#include "qtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qref/bits.h"
#include "qref/scheme.h"
#include "qref/sparse.h"

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

/* Random weights with deliberate ties and zeros: small integers / 8 half of
 * the time (many equal magnitudes), signed zeros sometimes. */
static float rng_weight(uint64_t *s)
{
    uint64_t r = rng_next(s);
    switch (r & 7) {
    case 0: return 0.0f;
    case 1: return (r & 8) ? -0.0f : 0.0f;
    case 2: case 3: case 4: return (float)((int)((r >> 8) % 9) - 4) / 8.0f;
    default: return (float)((int32_t)(r >> 40) - (1 << 23)) / (float)(1 << 20);
    }
}

static uint32_t word_at(const uint8_t *meta, size_t w)
{
    return (uint32_t)meta[4 * w] | (uint32_t)meta[4 * w + 1] << 8 | (uint32_t)meta[4 * w + 2] << 16 |
           (uint32_t)meta[4 * w + 3] << 24;
}

static int same_bits(const float *a, const float *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (qref_f32_bits(a[i]) != qref_f32_bits(b[i]))
            return 0;
    return 1;
}

/* 2:4, one row of 32 = 8 groups = one metadata word. */
static void test_sparse_24_hand_made(void)
{
    static const float w[32] = {
        1, -3, 2, 0.5f,      /* g0: keep |-3|, 2          -> idx 1,2 -> 0x9 */
        2, 2, -2, 1,         /* g1: |2| three times: 0, 1 -> idx 0,1 -> 0x4 */
        0, 0, 0, 0,          /* g2: all zero: 0, 1        -> idx 0,1 -> 0x4 */
        0, -0.0f, 5, 0,      /* g3: 5, then zero idx 0    -> idx 0,2 -> 0x8 */
        -0.0f, 3, 0, 0,      /* g4: 3, then -0 at idx 0   -> idx 0,1 -> 0x4 */
        1, 2, 3, 4,          /* g5:                       -> idx 2,3 -> 0xE */
        -4, 0, 0, 4,         /* g6: |4| twice             -> idx 0,3 -> 0xC */
        0, 1, 0, 0,          /* g7: 1, then zero idx 0    -> idx 0,1 -> 0x4 */
    };
    static const float pruned_want[32] = {
        0, -3, 2, 0,   2, 2, 0, 0,   0, 0, 0, 0,   0, 0, 5, 0,
        -0.0f, 3, 0, 0,   0, 0, 3, 4,   -4, 0, 0, 4,   0, 1, 0, 0,
    };
    static const float values_want[16] = { -3, 2, 2, 2, 0, 0, 0, 5, -0.0f, 3, 3, 4, -4, 4, 0, 1 };
    float pruned[32], values[16], dense[32];
    uint8_t meta[4];
    qref_error e;
    CU_ASSERT_EQUAL_FATAL(qref_sparse_prune(w, 1, 32, 2, 4, pruned), QREF_OK);
    CU_ASSERT(same_bits(pruned, pruned_want, 32));
    for (int i = 0; i < 32; i++)
        QCHECK(qref_f32_bits(pruned[i]) == qref_f32_bits(pruned_want[i]), "pruned[%d] = %g (0x%08X), want %g", i,
               pruned[i], qref_f32_bits(pruned[i]), pruned_want[i]);
    CU_ASSERT_EQUAL(qref_sparse_meta_words_per_row(32, 2, 4), 1u);
    CU_ASSERT_EQUAL_FATAL(qref_sparse_compress(pruned, 1, 32, 2, 4, values, meta, &e), QREF_OK);
    CU_ASSERT(same_bits(values, values_want, 16));
    /* g7..g0 = 4, C, E, 4, 8, 4, 4, 9 */
    CU_ASSERT_EQUAL(word_at(meta, 0), 0x4CE48449u);
    CU_ASSERT(meta[0] == 0x49 && meta[1] == 0x84 && meta[2] == 0xE4 && meta[3] == 0x4C);
    /* compress directly from w is refused: g0 has 4 non-zeros */
    e.row = e.block = -7;
    CU_ASSERT_EQUAL(qref_sparse_compress(w, 1, 32, 2, 4, values, meta, &e), QREF_ERR_DATA);
    CU_ASSERT(e.row == 0 && e.block == 0);
    CU_ASSERT_EQUAL_FATAL(qref_sparse_compress(pruned, 1, 32, 2, 4, values, meta, &e), QREF_OK);
    CU_ASSERT_EQUAL_FATAL(qref_sparse_decompress(values, meta, 1, 32, 2, 4, dense, &e), QREF_OK);
    CU_ASSERT(same_bits(dense, pruned_want, 32));
    uint8_t idx[2];
    qref_sparse_meta_get(meta, 32, 2, 4, 0, 6, idx);
    CU_ASSERT(idx[0] == 0 && idx[1] == 3);
    /* prune in place */
    float inplace[32];
    memcpy(inplace, w, sizeof w);
    CU_ASSERT_EQUAL(qref_sparse_prune(inplace, 1, 32, 2, 4, inplace), QREF_OK);
    CU_ASSERT(same_bits(inplace, pruned_want, 32));
}

/* Two rows of 40 (10 groups, 40 bits): each row starts a new word, padding
 * bits zero. */
static void test_sparse_24_rows_and_padding(void)
{
    float w[80];
    for (int i = 0; i < 80; i++)
        w[i] = (float)((i * 7) % 5) - 2.0f;   /* 0..4 - 2: ties everywhere */
    float p[80], v[40], d[80];
    uint8_t meta[16];
    qref_error e;
    CU_ASSERT_EQUAL(qref_sparse_meta_words_per_row(40, 2, 4), 2u);
    CU_ASSERT_EQUAL(qref_sparse_meta_bytes(2, 40, 2, 4), 16u);
    CU_ASSERT_EQUAL_FATAL(qref_sparse_prune(w, 2, 40, 2, 4, p), QREF_OK);
    CU_ASSERT_EQUAL_FATAL(qref_sparse_compress(p, 2, 40, 2, 4, v, meta, &e), QREF_OK);
    /* row 0, groups 0..1: w = -2,0,2,-1 | 1,-2,0,2 -> idx (0,2) -> 0x8, idx (1,3)... |-2| and |2| at 1, 3 -> 0xD */
    CU_ASSERT_EQUAL(word_at(meta, 0) & 0xFF, 0xD8u);
    CU_ASSERT_EQUAL(word_at(meta, 1) >> 8, 0u);   /* row 0: 40 bits used, 24 padding bits */
    CU_ASSERT_EQUAL(word_at(meta, 3) >> 8, 0u);
    /* row 1 starts at word 2: w[40..43] = -2,0,2,-1 -> idx (0,2) -> 0x8; w[44..47] = 1,-2,0,2 -> 0xD */
    CU_ASSERT_EQUAL(word_at(meta, 2) & 0xFF, 0xD8u);
    CU_ASSERT_EQUAL(qref_sparse_decompress(v, meta, 2, 40, 2, 4, d, &e), QREF_OK);
    CU_ASSERT(same_bits(d, p, 80));
    meta[7] |= 0x80;   /* a padding bit of row 0 */
    e.row = e.block = -7;
    CU_ASSERT_EQUAL(qref_sparse_meta_check(meta, 2, 40, 2, 4, &e), QREF_ERR_DATA);
    CU_ASSERT_EQUAL(e.row, 0);
}

/* Other N:M, metadata written out. */
static void test_sparse_nm_hand_made(void)
{
    qref_error e;
    /* 1:4, b = 2, one index per group */
    {
        static const float w[8] = { 3, -3, 1, 0, 0, 0, -0.5f, 0.25f };
        static const float want[8] = { 3, 0, 0, 0, 0, 0, -0.5f, 0 };
        float p[8], v[2];
        uint8_t meta[4];
        CU_ASSERT_EQUAL(qref_sparse_prune(w, 1, 8, 1, 4, p), QREF_OK);
        CU_ASSERT(same_bits(p, want, 8));
        CU_ASSERT_EQUAL(qref_sparse_compress(p, 1, 8, 1, 4, v, meta, &e), QREF_OK);
        CU_ASSERT_EQUAL(word_at(meta, 0), 0x8u);   /* idx 0 | idx 2 << 2 */
        CU_ASSERT(v[0] == 3 && v[1] == -0.5f);
    }
    /* 2:8, b = 3, 6 bits per group; 6 groups = 36 bits: group 5 straddles words */
    {
        static const float w[48] = {
            0, 5, -5, 5, 1, 0, 0, 0,     /* |5| at 1,2,3: keep 1, 2  -> 1 | 2<<3 = 17 */
            7, 0, 0, 0, 0, 0, 0, -7,     /* 0, 7                     -> 0 | 7<<3 = 56 */
            0, 0, 0, 9, 9, 0, 0, 0,      /* 3, 4                     -> 35 */
            1, 0, 0, 0, 0, 8, 8, 0,      /* 5, 6                     -> 53 */
            0, 0, -6, 0, 0, 0, 6, 0,     /* 2, 6                     -> 50 */
            0, 0, 0, 0, 0, 0, 1, 1,      /* 6, 7                     -> 62 */
        };
        float p[48], v[12], d[48];
        uint8_t meta[8];
        CU_ASSERT_EQUAL(qref_sparse_index_bits(8), 3u);
        CU_ASSERT_EQUAL(qref_sparse_meta_words_per_row(48, 2, 8), 2u);
        CU_ASSERT_EQUAL(qref_sparse_prune(w, 1, 48, 2, 8, p), QREF_OK);
        CU_ASSERT_EQUAL(p[3], 0.0f);
        CU_ASSERT_EQUAL(p[24], 0.0f);
        CU_ASSERT_EQUAL(qref_sparse_compress(p, 1, 48, 2, 8, v, meta, &e), QREF_OK);
        /* 17 | 56<<6 | 35<<12 | 53<<18 | 50<<24 | (62 & 3)<<30, then 62 >> 2 */
        CU_ASSERT_EQUAL(word_at(meta, 0), 0xB2D63E11u);
        CU_ASSERT_EQUAL(word_at(meta, 1), 0xFu);
        uint8_t idx[2];
        qref_sparse_meta_get(meta, 48, 2, 8, 0, 5, idx);
        CU_ASSERT(idx[0] == 6 && idx[1] == 7);
        CU_ASSERT_EQUAL(qref_sparse_decompress(v, meta, 1, 48, 2, 8, d, &e), QREF_OK);
        CU_ASSERT(same_bits(d, p, 48));
    }
    /* 4:8, b = 3, 12 bits per group */
    {
        static const float w[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 1, 1, 1, 1, 1, 1, 1, 1 };
        static const float want[16] = { 0, 0, 0, 0, 5, 6, 7, 8, 1, 1, 1, 1, 0, 0, 0, 0 };
        float p[16], v[8];
        uint8_t meta[4];
        CU_ASSERT_EQUAL(qref_sparse_prune(w, 1, 16, 4, 8, p), QREF_OK);
        CU_ASSERT(same_bits(p, want, 16));
        CU_ASSERT_EQUAL(qref_sparse_compress(p, 1, 16, 4, 8, v, meta, &e), QREF_OK);
        /* 4|5<<3|6<<6|7<<9 = 0xFAC; 0|1<<3|2<<6|3<<9 = 0x688 at bit 12 */
        CU_ASSERT_EQUAL(word_at(meta, 0), 0x688FACu);
    }
}

/* The pruning rule, checked pairwise on one group given the kept set idx
 * (ascending, from the metadata): every kept element beats every dropped
 * one (larger |x|, or equal |x| and lower index); kept positions of y carry
 * x bit for bit, dropped ones are +0. */
static int rule_holds(const float *x, const float *y, const uint8_t *idx, int n, int m)
{
    int is_kept[QREF_SPARSE_MAX_M] = { 0 };
    for (int j = 0; j < n; j++) {
        if (idx[j] >= m || (j > 0 && idx[j] <= idx[j - 1]))
            return 0;
        is_kept[idx[j]] = 1;
    }
    for (int a = 0; a < m; a++) {
        if (is_kept[a] ? qref_f32_bits(y[a]) != qref_f32_bits(x[a]) : qref_f32_bits(y[a]) != 0)
            return 0;
        if (!is_kept[a])
            continue;
        for (int d = 0; d < m; d++) {
            if (is_kept[d])
                continue;
            float ka = x[a] < 0 ? -x[a] : x[a], kd = x[d] < 0 ? -x[d] : x[d];
            if (!(ka > kd || (ka == kd && a < d)))
                return 0;
        }
    }
    return 1;
}

static const int patterns[][2] = { { 2, 4 }, { 1, 4 }, { 2, 8 }, { 4, 8 }, { 3, 8 }, { 1, 2 }, { 5, 16 }, { 2, 3 }, { 4, 4 } };

static void test_sparse_random_round_trip(void)
{
    for (size_t pi = 0; pi < sizeof patterns / sizeof patterns[0]; pi++) {
        int n = patterns[pi][0], m = patterns[pi][1];
        int64_t rows = 7, cols = (int64_t)m * 37;
        uint64_t seed = 0x5A55E000u + pi, s = seed;
        size_t cnt = (size_t)(rows * cols), vcnt = (size_t)(rows * cols / m * n);
        float *w = malloc(cnt * sizeof(float)), *p = malloc(cnt * sizeof(float)), *d = malloc(cnt * sizeof(float));
        float *v = malloc(vcnt * sizeof(float));
        uint8_t *meta = malloc(qref_sparse_meta_bytes(rows, cols, n, m));
        for (size_t i = 0; i < cnt; i++)
            w[i] = rng_weight(&s);
        qref_error e;
        CU_ASSERT_EQUAL_FATAL(qref_sparse_prune(w, rows, cols, n, m, p), QREF_OK);
        int64_t bad = 0;
        qref_status st = qref_sparse_compress(p, rows, cols, n, m, v, meta, &e);
        QCHECK(st == QREF_OK, "%d:%d compress: %s (%s), seed 0x%llx", n, m, qref_status_name(st), e.msg,
               (unsigned long long)seed);
        CU_ASSERT_EQUAL(qref_sparse_meta_check(meta, rows, cols, n, m, &e), QREF_OK);
        st = qref_sparse_decompress(v, meta, rows, cols, n, m, d, &e);
        QCHECK(st == QREF_OK && same_bits(d, p, cnt), "%d:%d decompress(compress(prune)) != prune (seed 0x%llx)", n,
               m, (unsigned long long)seed);
        /* the kept set named by the metadata obeys the rule on w, and the
         * values are the kept weights in index order */
        for (int64_t r = 0; r < rows; r++)
            for (int64_t g = 0; g < cols / m; g++) {
                uint8_t idx[QREF_SPARSE_MAX_M];
                qref_sparse_meta_get(meta, cols, n, m, r, g, idx);
                if (!rule_holds(w + r * cols + g * m, p + r * cols + g * m, idx, n, m) && ++bad <= 3)
                    QCHECK(0, "%d:%d row %lld group %lld breaks the pruning rule (seed 0x%llx)", n, m, (long long)r,
                           (long long)g, (unsigned long long)seed);
                for (int j = 0; j < n; j++)
                    bad += qref_f32_bits(v[(r * (cols / m) + g) * n + j]) !=
                           qref_f32_bits(w[r * cols + g * m + idx[j]]);
            }
        QCHECK(bad == 0, "%d:%d stored values differ from the kept weights (seed 0x%llx)", n, m,
               (unsigned long long)seed);
        free(w);
        free(p);
        free(d);
        free(v);
        free(meta);
    }
}

static void test_sparse_meta_validation(void)
{
    qref_error e;
    float w[64], v[32];
    uint8_t meta[8];
    for (int i = 0; i < 64; i++)
        w[i] = (float)(i % 4 == 1 || i % 4 == 3);   /* idx (1, 3) everywhere -> 0xD */
    CU_ASSERT_EQUAL_FATAL(qref_sparse_compress(w, 2, 32, 2, 4, v, meta, &e), QREF_OK);
    CU_ASSERT_EQUAL(word_at(meta, 0), 0xDDDDDDDDu);
    CU_ASSERT_EQUAL(qref_sparse_meta_check(meta, 2, 32, 2, 4, &e), QREF_OK);
    /* row 1, group 5: idx (2, 1) = 0x6 -> descending */
    uint8_t bad[8];
    memcpy(bad, meta, 8);
    bad[4 + 2] = (uint8_t)((bad[6] & 0x0F) | 0x60);
    e.row = e.block = -7;
    CU_ASSERT_EQUAL(qref_sparse_meta_check(bad, 2, 32, 2, 4, &e), QREF_ERR_DATA);
    QCHECK(e.row == 1 && e.block == 5, "error names row %lld group %lld, want 1, 5 (%s)", (long long)e.row,
           (long long)e.block, e.msg);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "row 1"));
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "group 5"));
    float d[64];
    CU_ASSERT_EQUAL(qref_sparse_decompress(v, bad, 2, 32, 2, 4, d, &e), QREF_ERR_DATA);
    /* equal indices (1, 1) = 0x5 at row 0, group 0 */
    memcpy(bad, meta, 8);
    bad[0] = (uint8_t)((bad[0] & 0xF0) | 0x5);
    CU_ASSERT_EQUAL(qref_sparse_meta_check(bad, 2, 32, 2, 4, &e), QREF_ERR_DATA);
    CU_ASSERT(e.row == 0 && e.block == 0);
    /* 2:3 (b = 2): index 3 is out of range */
    float w3[6] = { 1, 2, 0, 0, 0, 3 }, v3[4];
    uint8_t m3[4];
    CU_ASSERT_EQUAL_FATAL(qref_sparse_compress(w3, 1, 6, 2, 3, v3, m3, &e), QREF_OK);
    CU_ASSERT_EQUAL(word_at(m3, 0), (0u | 1u << 2) | (0u | 2u << 2) << 4);   /* (0,1), (0,2) */
    uint8_t idx[2] = { 1, 3 };
    qref_sparse_meta_set(m3, 6, 2, 3, 0, 1, idx);
    CU_ASSERT_EQUAL(qref_sparse_meta_check(m3, 1, 6, 2, 3, &e), QREF_ERR_DATA);
    CU_ASSERT(e.row == 0 && e.block == 1);
    /* bad arguments */
    CU_ASSERT_EQUAL(qref_sparse_prune(w, 1, 30, 2, 4, w), QREF_ERR_SIZE);
    CU_ASSERT_EQUAL(qref_sparse_prune(w, 1, 32, 0, 4, w), QREF_ERR_ARG);
    CU_ASSERT_EQUAL(qref_sparse_prune(w, 1, 32, 5, 4, w), QREF_ERR_ARG);
    CU_ASSERT_EQUAL(qref_sparse_prune(w, 1, 32, 1, 1, w), QREF_ERR_ARG);
    float nanrow[4] = { 1, 0, 0, 0 };
    nanrow[2] = qref_f32_from_bits(0x7FC00000u);
    CU_ASSERT_EQUAL(qref_sparse_prune(nanrow, 1, 4, 2, 4, nanrow), QREF_ERR_DATA);
}

/* ---- presets ----------------------------------------------------------- */

static void check_preset(const char *name, int64_t rows, int64_t cols, uint64_t seed)
{
    const qref_scheme *s = qref_scheme_find(name);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    const qref_scheme *base = qref_scheme_find(s->base);
    CU_ASSERT_PTR_NOT_NULL_FATAL(base);
    int n = s->sparse_n, m = s->sparse_m;
    CU_ASSERT(n == 2 && m == 4);
    int64_t vcols = cols / m * n;
    size_t cnt = (size_t)(rows * cols), vcnt = (size_t)(rows * vcols);
    uint64_t st_ = seed;
    float *w = malloc(cnt * sizeof(float)), *p = malloc(cnt * sizeof(float)), *v = malloc(vcnt * sizeof(float));
    uint8_t *meta = malloc(qref_sparse_meta_bytes(rows, cols, n, m));
    for (size_t i = 0; i < cnt; i++) {
        float x = rng_weight(&st_);
        w[i] = (i / 256) % 5 == 2 ? x * 1024.0f : x;   /* scale groups of different sizes */
    }
    qref_error e = { 0, 0, "" };
    qref_qtensor qs, qb;
    qref_status st = qref_quantize(s, rows, cols, w, &qs, &e);
    if (!QCHECK(st == QREF_OK, "%s quantize %lld x %lld: %s (%s), seed 0x%llx", name, (long long)rows,
                (long long)cols, qref_status_name(st), e.msg, (unsigned long long)seed))
        goto out;
    /* expected: prune, compress, base on the values */
    CU_ASSERT_EQUAL_FATAL(qref_sparse_prune(w, rows, cols, n, m, p), QREF_OK);
    CU_ASSERT_EQUAL_FATAL(qref_sparse_compress(p, rows, cols, n, m, v, meta, &e), QREF_OK);
    st = qref_quantize(base, rows, vcols, v, &qb, &e);
    if (!QCHECK(st == QREF_OK, "%s quantize: %s (%s)", base->name, qref_status_name(st), e.msg)) {
        qref_qtensor_free(&qs);
        goto out;
    }
    CU_ASSERT_EQUAL(qs.sizes.codes, qb.sizes.codes);
    CU_ASSERT_EQUAL(qs.sizes.scales, qb.sizes.scales);
    CU_ASSERT_EQUAL(qs.sizes.meta, qref_sparse_meta_bytes(rows, cols, n, m));
    CU_ASSERT_EQUAL(qs.sizes.meta, (size_t)(rows * cols / 8));   /* 4 bits per 4 dense columns */
    CU_ASSERT(memcmp(qs.codes, qb.codes, qb.sizes.codes) == 0);
    CU_ASSERT(memcmp(qs.scales, qb.scales, qb.sizes.scales) == 0);
    CU_ASSERT(memcmp(qs.meta, meta, qs.sizes.meta) == 0);

    double *h = malloc(sizeof(double) * (size_t)cols), *l = malloc(sizeof(double) * (size_t)cols);
    double *bh = malloc(sizeof(double) * (size_t)vcols), *bl = malloc(sizeof(double) * (size_t)vcols);
    float *f = malloc(cnt * sizeof(float));
    int64_t bad = 0;
    for (int64_t r = 0; r < rows; r++) {
        memset(bl, 0, sizeof(double) * (size_t)vcols);
        memset(l, 0xFF, sizeof(double) * (size_t)cols);   /* the family must write every lo */
        CU_ASSERT_EQUAL(qref_dequantize_row_exact(&qs, r, h, l, &e), QREF_OK);
        CU_ASSERT_EQUAL(qref_dequantize_row_exact(&qb, r, bh, bl, &e), QREF_OK);
        for (int64_t g = 0; g < cols / m; g++) {
            int j = 0;
            for (int i = 0; i < m; i++) {
                int64_t c = g * m + i;
                /* kept where the pruned matrix kept (the prune rule), else exactly +0 */
                uint8_t idx[4];
                qref_sparse_meta_get(meta, cols, n, m, r, g, idx);
                int kept = j < n && idx[j] == i;
                double wh = kept ? bh[g * n + j] : 0.0, wl = kept ? bl[g * n + j] : 0.0;
                j += kept;
                if (qref_f64_bits(h[c]) != qref_f64_bits(wh) || qref_f64_bits(l[c]) != qref_f64_bits(wl)) {
                    if (++bad <= 5)
                        QCHECK(0, "%s row %lld col %lld: %.17g + %.17g, want %.17g + %.17g (seed 0x%llx)", name,
                               (long long)r, (long long)c, h[c], l[c], wh, wl, (unsigned long long)seed);
                }
            }
        }
    }
    QCHECK(bad == 0, "%s: %lld values differ from prune + %s (seed 0x%llx)", name, (long long)bad, base->name,
           (unsigned long long)seed);
    CU_ASSERT_EQUAL(qref_dequantize(&qs, f, &e), QREF_OK);

    /* save / load; then a corrupted metadata group is QREF_ERR_DATA naming it */
    uint8_t *buf = malloc(qs.sizes.total);
    CU_ASSERT_EQUAL(qref_qtensor_save(&qs, buf, qs.sizes.total), QREF_OK);
    qref_qtensor ql;
    st = qref_qtensor_load(s, rows, cols, buf, qs.sizes.total, &ql, &e);
    if (QCHECK(st == QREF_OK, "%s load: %s (%s)", name, qref_status_name(st), e.msg))
        qref_qtensor_free(&ql);
    /* a NaN f16 scale (0x7E00) of stored row 1, last block (block b covers
     * dense columns 256b .. 256b + 255) */
    {
        uint8_t *b2 = malloc(qs.sizes.total);
        memcpy(b2, buf, qs.sizes.total);
        int64_t per_row = vcols / base->group;
        size_t sat = qs.sizes.codes + 2 * (size_t)(1 * per_row + per_row - 1);
        b2[sat] = 0x00;
        b2[sat + 1] = 0x7E;
        e.row = e.block = -7;
        st = qref_qtensor_load(s, rows, cols, b2, qs.sizes.total, &ql, &e);
        QCHECK(st == QREF_ERR_DATA && e.row == 1 && e.block == per_row - 1,
               "%s load with a NaN scale at row 1 block %lld: %s at row %lld block %lld (%s)", name,
               (long long)(per_row - 1), qref_status_name(st), (long long)e.row, (long long)e.block, e.msg);
        free(b2);
    }
    size_t wpr = qref_sparse_meta_words_per_row(cols, n, m);
    size_t at = qs.sizes.codes + qs.sizes.scales + qs.sizes.zeros + 4 * wpr * (size_t)(rows - 1) + 1;
    buf[at] = (uint8_t)((buf[at] & 0xF0) | 0x3);   /* row rows-1, group 2: idx (3, 0) */
    e.row = e.block = -7;
    CU_ASSERT_EQUAL(qref_qtensor_load(s, rows, cols, buf, qs.sizes.total, &ql, &e), QREF_ERR_DATA);
    QCHECK(e.row == rows - 1 && e.block == 2, "%s: corrupt metadata reported at row %lld group %lld: %s", name,
           (long long)e.row, (long long)e.block, e.msg);
    free(buf);
    free(h);
    free(l);
    free(bh);
    free(bl);
    free(f);
    qref_qtensor_free(&qs);
    qref_qtensor_free(&qb);
out:
    free(w);
    free(p);
    free(v);
    free(meta);
}

static void test_sparse24_fp4_preset(void)
{
    check_preset("sparse24_fp4_g128", 3, 256, 0x24F4);
    check_preset("sparse24_fp4_g128", 5, 1024, 0x24F5);
}

static void test_sparse24_int4_preset(void)
{
    check_preset("sparse24_int4_g128", 3, 256, 0x2414);
    check_preset("sparse24_int4_g128", 4, 768, 0x2415);
}

static void test_sparse24_preset_shapes(void)
{
    const char *names[] = { "sparse24_fp4_g128", "sparse24_int4_g128" };
    for (int i = 0; i < 2; i++) {
        const qref_scheme *s = qref_scheme_find(names[i]);
        CU_ASSERT_PTR_NOT_NULL_FATAL(s);
        qref_qsizes z;
        qref_error e;
        CU_ASSERT_EQUAL(qref_qsizes_get(s, 4, 128, &z, &e), QREF_ERR_SIZE);   /* 64 stored values < one group */
        CU_ASSERT_EQUAL(qref_qsizes_get(s, 4, 384, &z, &e), QREF_ERR_SIZE);
        qref_status st = qref_qsizes_get(s, 4, 512, &z, &e);
        if (QCHECK(st == QREF_OK, "%s sizes: %s (%s)", names[i], qref_status_name(st), e.msg)) {
            CU_ASSERT_EQUAL(z.codes, 4u * 256u / 2u);   /* 256 stored 4-bit codes per row */
            CU_ASSERT_EQUAL(z.scales, 4u * 2u * 2u);    /* 2 groups of 128 stored values, f16 */
            CU_ASSERT_EQUAL(z.meta, 4u * 512u / 8u);
            CU_ASSERT_EQUAL(z.zeros + z.tscale, 0u);
        }
    }
}

QTEST_SUITE(sparse,
    QTEST(test_sparse_24_hand_made),
    QTEST(test_sparse_24_rows_and_padding),
    QTEST(test_sparse_nm_hand_made),
    QTEST(test_sparse_random_round_trip),
    QTEST(test_sparse_meta_validation),
    QTEST(test_sparse24_preset_shapes),
    QTEST(test_sparse24_fp4_preset),
    QTEST(test_sparse24_int4_preset))
