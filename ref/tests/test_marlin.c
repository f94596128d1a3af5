/* Suite marlin: the Marlin tile layout (qref/marlin.h) and the marlin_*
 * presets.
 *  - permutation entries derived by hand from Marlin's _get_perms (the
 *    derivation is written next to each literal);
 *  - pack against a literal step-by-step construction (tile reshape,
 *    chunk permutation built the way _get_perms builds it, 8 nibbles per
 *    little-endian u32), independent of the closed-form maps in marlin.c;
 *  - pack/unpack round trips on random codes, several (n, k);
 *  - marlin_int4_g128 / marlin_fp4_g128 dequantize bit-exactly like their
 *    base presets on the same weights.
 * Random data: splitmix64 from a fixed seed; every failure prints the seed. */
#include "qtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qref/bits.h"
#include "qref/marlin.h"
#include "qref/pack.h"
#include "qref/scheme.h"

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

/* Uniform in [-1, 1) with 24 random bits, times a per-call spread. */
static float rng_weight(uint64_t *s)
{
    return (float)((int32_t)(rng_next(s) >> 40) - (1 << 23)) / (float)(1 << 23);
}

/* ---- the permutations, by hand --------------------------------------- */

/* _get_perms: for i in 0..31, col = i/4, for block in (0, 1), rows
 * 2(i%4), 2(i%4)+1, 2(i%4+4), 2(i%4+4)+1: 16*row + col + 8*block; each
 * 8-list repeated for j = 0..3 with +256j; then every 8-group reordered by
 * [0,2,4,6,1,3,5,7]. */
static void test_marlin_perm_known_answer(void)
{
    static const struct { int p0; int v[8]; const char *why; } rows[] = {
        /* i=0, j=0: rows 0,1,8,9 col 0: block0 0,16,128,144; block1 8,24,136,152 */
        { 0, { 0, 128, 8, 136, 16, 144, 24, 152 }, "i=0 j=0" },
        /* i=0, j=1: the same + 256 */
        { 8, { 256, 384, 264, 392, 272, 400, 280, 408 }, "i=0 j=1" },
        /* i=1, j=0: rows 2,3,10,11 col 0: 32,48,160,176 | 40,56,168,184 */
        { 32, { 32, 160, 40, 168, 48, 176, 56, 184 }, "i=1 j=0" },
        /* i=4, j=0: rows 0,1,8,9 col 1: 1,17,129,145 | 9,25,137,153 */
        { 128, { 1, 129, 9, 137, 17, 145, 25, 153 }, "i=4 j=0" },
        /* i=31, j=3: rows 6,7,14,15 col 7, +768: 871,887,999,1015 | 879,895,1007,1023 */
        { 1016, { 871, 999, 879, 1007, 887, 1015, 895, 1023 }, "i=31 j=3" },
    };
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++)
        for (int c = 0; c < 8; c++)
            QCHECK(qref_marlin_perm(rows[r].p0 + c) == rows[r].v[c], "perm[%d] = %d, want %d (%s)",
                   rows[r].p0 + c, qref_marlin_perm(rows[r].p0 + c), rows[r].v[c], rows[r].why);

    /* _scale_perm: for i in 0..7: i + 8j, j = 0..7 */
    static const int sp[16] = { 0, 8, 16, 24, 32, 40, 48, 56, 1, 9, 17, 25, 33, 41, 49, 57 };
    /* _scale_perm_single: for i in 0..3: 2i + [0,1,8,9,16,17,24,25] */
    static const int sps[32] = { 0, 1, 8, 9, 16, 17, 24, 25, 2, 3, 10, 11, 18, 19, 26, 27,
                                 4, 5, 12, 13, 20, 21, 28, 29, 6, 7, 14, 15, 22, 23, 30, 31 };
    for (int p = 0; p < 16; p++)
        QCHECK(qref_marlin_scale_perm(0, p) == sp[p], "scale_perm[%d] = %d, want %d", p,
               qref_marlin_scale_perm(0, p), sp[p]);
    CU_ASSERT_EQUAL(qref_marlin_scale_perm(0, 63), 63);
    CU_ASSERT_EQUAL(qref_marlin_scale_perm(0, 9), 9);
    for (int p = 0; p < 32; p++)
        QCHECK(qref_marlin_scale_perm(1, p) == sps[p], "scale_perm_single[%d] = %d, want %d", p,
               qref_marlin_scale_perm(1, p), sps[p]);

    CU_ASSERT_EQUAL(qref_marlin_perm(-1), -1);
    CU_ASSERT_EQUAL(qref_marlin_perm(1024), -1);
    CU_ASSERT_EQUAL(qref_marlin_scale_perm(0, 64), -1);
    CU_ASSERT_EQUAL(qref_marlin_scale_perm(1, 32), -1);
}

/* Each map is a permutation and the _inv functions invert it. */
static void test_marlin_perm_bijective(void)
{
    int seen[1024] = { 0 };
    for (int p = 0; p < 1024; p++) {
        int t = qref_marlin_perm(p);
        if (QCHECK(t >= 0 && t < 1024, "perm[%d] = %d out of range", p, t))
            seen[t]++;
        QCHECK(qref_marlin_perm_inv(t) == p, "perm_inv(perm(%d)) = %d", p, qref_marlin_perm_inv(t));
    }
    int ok = 1;
    for (int t = 0; t < 1024; t++)
        ok &= seen[t] == 1;
    CU_ASSERT(ok);
    for (int single = 0; single < 2; single++) {
        int len = single ? 32 : 64, hit[64] = { 0 };
        for (int p = 0; p < len; p++) {
            int s = qref_marlin_scale_perm(single, p);
            if (QCHECK(s >= 0 && s < len, "scale_perm(%d, %d) = %d", single, p, s))
                hit[s]++;
            QCHECK(qref_marlin_scale_perm_inv(single, s) == p, "scale_perm_inv(%d) wrong at %d", single, p);
        }
        for (int s = 0; s < len; s++)
            QCHECK(hit[s] == 1, "scale_perm(%d) hits %d %d times", single, s, hit[s]);
    }
}

/* A few elements of a 256 x 128 (n x k) matrix, their packed place worked
 * out by hand: Marlin (k, n) element (c, r) -> tile (c/16, r/16), in-tile
 * index t = 16*(c%16) + r%16 (+ 256 per tile along n, + 16n per tile row
 * along k), chunk position p with perm[p] = t, nibble f = chunk*1024 + p,
 * byte f/2, high nibble when f is odd. */
static void test_marlin_pack_known_positions(void)
{
    enum { N = 256, K = 128 };
    static const struct { int row, col, byte, high; uint8_t v; const char *why; } cells[] = {
        { 0, 0, 0, 0, 1, "t=0, perm[0]=0: f=0" },
        { 0, 8, 0, 1, 2, "k=8: t=128, perm[1]=128: f=1" },
        { 8, 0, 1, 0, 3, "n=8: t=8, perm[2]=8: f=2" },
        { 16, 0, 4, 0, 4, "second tile: t=256, perm[8]=256: f=8" },
        { 64, 0, 512, 0, 5, "fifth tile = chunk 1: t=1024: f=1024" },
        { 0, 16, 2048, 0, 6, "second tile row: t=16n=4096 (chunk 4): f=4096" },
        { 1, 0, 64, 0, 7, "n=1: t=1, perm[128]=1: f=128" },
        { 2, 1, 130, 0, 9, "k=1 n=2: t=18, perm[260]=18 (i=8,m=1,col=2): f=260" },
        { 255, 127, 16383, 1, 15, "last: t=7*4096+15*256+255=32767, perm[1023]=1023: f=32767" },
    };
    uint8_t *codes = calloc(N * K, 1), *packed = malloc(N * K / 2);
    for (size_t i = 0; i < sizeof cells / sizeof cells[0]; i++)
        codes[cells[i].row * K + cells[i].col] = cells[i].v;
    CU_ASSERT_EQUAL_FATAL(qref_marlin_pack(codes, N, K, packed), QREF_OK);
    int nonzero = 0;
    for (int b = 0; b < N * K / 2; b++)
        nonzero += (packed[b] & 0xF) != 0;
    for (int b = 0; b < N * K / 2; b++)
        nonzero += (packed[b] >> 4) != 0;
    CU_ASSERT_EQUAL(nonzero, (int)(sizeof cells / sizeof cells[0]));
    for (size_t i = 0; i < sizeof cells / sizeof cells[0]; i++) {
        uint8_t got = (uint8_t)((packed[cells[i].byte] >> (cells[i].high ? 4 : 0)) & 0xF);
        QCHECK(got == cells[i].v, "(n=%d, k=%d): byte %d %s nibble = %u, want %u (%s)", cells[i].row, cells[i].col,
               cells[i].byte, cells[i].high ? "high" : "low", got, cells[i].v, cells[i].why);
        int64_t f = qref_marlin_index(N, K, cells[i].row, cells[i].col);
        QCHECK(f == 2 * cells[i].byte + cells[i].high, "index(n=%d, k=%d) = %lld", cells[i].row, cells[i].col,
               (long long)f);
    }
    free(codes);
    free(packed);
}

/* Literal construction following Layer.pack step by step, on (n, k) codes. */
static void literal_pack(const uint8_t *codes_nk, int64_t n, int64_t k, uint8_t *out)
{
    /* _perm, built as _get_perms builds it */
    int pre[1024], perm[1024], len = 0;
    for (int i = 0; i < 32; i++) {
        int perm1[8], m = 0, col = i / 4;
        for (int block = 0; block < 2; block++) {
            int rowlist[4] = { 2 * (i % 4), 2 * (i % 4) + 1, 2 * (i % 4 + 4), 2 * (i % 4 + 4) + 1 };
            for (int r = 0; r < 4; r++)
                perm1[m++] = 16 * rowlist[r] + col + 8 * block;
        }
        for (int j = 0; j < 4; j++)
            for (int e = 0; e < 8; e++)
                pre[len++] = perm1[e] + 256 * j;
    }
    static const int il[8] = { 0, 2, 4, 6, 1, 3, 5, 7 };
    for (int g = 0; g < 128; g++)
        for (int c = 0; c < 8; c++)
            perm[8 * g + c] = pre[8 * g + il[c]];
    /* w = W^T (k, n); reshape (k/16, 16, n/16, 16), permute (0, 2, 1, 3), reshape (k/16, 16n) */
    uint8_t *tiled = malloc((size_t)(n * k)), *res = malloc((size_t)(n * k));
    for (int64_t a = 0; a < k / 16; a++)
        for (int64_t b = 0; b < 16; b++)
            for (int64_t c = 0; c < n / 16; c++)
                for (int64_t d = 0; d < 16; d++) {
                    int64_t kk = 16 * a + b, nn = 16 * c + d;
                    tiled[((a * (n / 16) + c) * 16 + b) * 16 + d] = codes_nk[nn * k + kk];
                }
    /* res.reshape(-1, 1024)[:, perm] */
    for (int64_t q = 0; q < n * k / 1024; q++)
        for (int p = 0; p < 1024; p++)
            res[q * 1024 + p] = tiled[q * 1024 + perm[p]];
    /* q[:, w] |= res[:, 8w + i] << 4i, little-endian int32 */
    for (int64_t w = 0; w < n * k / 8; w++) {
        uint32_t word = 0;
        for (int i = 0; i < 8; i++)
            word |= (uint32_t)res[8 * w + i] << (4 * i);
        for (int b = 0; b < 4; b++)
            out[4 * w + b] = (uint8_t)(word >> (8 * b));
    }
    free(tiled);
    free(res);
}

static const int64_t shapes[][2] = { { 256, 128 }, { 256, 256 }, { 512, 384 }, { 768, 1024 }, { 1024, 128 } };

static void test_marlin_pack_matches_literal_and_round_trips(void)
{
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        int64_t n = shapes[si][0], k = shapes[si][1];
        uint64_t seed = 0x6A12000 + si, s = seed;
        uint8_t *codes = malloc((size_t)(n * k)), *back = malloc((size_t)(n * k));
        uint8_t *packed = malloc((size_t)(n * k / 2)), *lit = malloc((size_t)(n * k / 2));
        for (int64_t i = 0; i < n * k; i++)
            codes[i] = (uint8_t)(rng_next(&s) >> 60);
        CU_ASSERT_EQUAL_FATAL(qref_marlin_pack(codes, n, k, packed), QREF_OK);
        literal_pack(codes, n, k, lit);
        QCHECK(memcmp(packed, lit, (size_t)(n * k / 2)) == 0, "pack(%lld x %lld, seed 0x%llx) differs from the literal construction",
               (long long)n, (long long)k, (unsigned long long)seed);
        memset(back, 0xAA, (size_t)(n * k));
        CU_ASSERT_EQUAL_FATAL(qref_marlin_unpack(packed, n, k, back), QREF_OK);
        QCHECK(memcmp(codes, back, (size_t)(n * k)) == 0, "unpack(pack()) != codes for %lld x %lld, seed 0x%llx",
               (long long)n, (long long)k, (unsigned long long)seed);
        int64_t bad = 0;
        for (int64_t r = 0; r < n; r++)
            for (int64_t c = 0; c < k; c++) {
                int64_t f = qref_marlin_index(n, k, r, c), r2, c2;
                qref_marlin_source(n, k, f, &r2, &c2);
                bad += r2 != r || c2 != c || f < 0 || f >= n * k;
            }
        QCHECK(bad == 0, "index/source disagree at %lld places for %lld x %lld", (long long)bad, (long long)n,
               (long long)k);
        free(codes);
        free(back);
        free(packed);
        free(lit);
    }
}

static void test_marlin_pack_errors(void)
{
    uint8_t codes[256 * 128] = { 0 }, out[256 * 64];
    CU_ASSERT_EQUAL(qref_marlin_pack(codes, 128, 128, out), QREF_ERR_SIZE);   /* n % 256 */
    CU_ASSERT_EQUAL(qref_marlin_pack(codes, 256, 64, out), QREF_ERR_SIZE);    /* k % 128 */
    CU_ASSERT_EQUAL(qref_marlin_pack(codes, 0, 128, out), QREF_ERR_SIZE);
    CU_ASSERT_EQUAL(qref_marlin_pack(NULL, 256, 128, out), QREF_ERR_ARG);
    CU_ASSERT_EQUAL(qref_marlin_unpack(out, 256, 128, NULL), QREF_ERR_ARG);
    memset(out, 0x5A, sizeof out);
    codes[1000] = 16;
    CU_ASSERT_EQUAL(qref_marlin_pack(codes, 256, 128, out), QREF_ERR_CODE);
    CU_ASSERT_EQUAL(out[0], 0x5A);   /* untouched */
    CU_ASSERT_EQUAL(qref_marlin_check_shape(256, 128), QREF_OK);
    CU_ASSERT_EQUAL(qref_marlin_check_shape(512, 4096), QREF_OK);
    CU_ASSERT_EQUAL(qref_marlin_check_shape(320, 128), QREF_ERR_SIZE);
}

/* Scales: (row, group) -> Marlin position, by hand; round trip. */
static void test_marlin_scales(void)
{
    /* groups = 2, n = 256: s0 = g*256 + r, 64-chunks transposed 8x8 */
    CU_ASSERT_EQUAL(qref_marlin_scale_index(256, 2, 0, 0), 0);
    CU_ASSERT_EQUAL(qref_marlin_scale_index(256, 2, 1, 0), 8);     /* s0 = 1 = 8*0+1 -> 8*1+0 */
    CU_ASSERT_EQUAL(qref_marlin_scale_index(256, 2, 8, 0), 1);
    CU_ASSERT_EQUAL(qref_marlin_scale_index(256, 2, 0, 1), 256);
    CU_ASSERT_EQUAL(qref_marlin_scale_index(256, 2, 65, 1), 328);  /* s0 = 321 = 320 + 1 -> 320 + 8 */
    CU_ASSERT_EQUAL(qref_marlin_scale_index(256, 2, 255, 1), 511);
    /* groups = 1 (k = 128): _scale_perm_single in 32-chunks */
    CU_ASSERT_EQUAL(qref_marlin_scale_index(256, 1, 2, 0), 8);     /* perm_single[8] = 2 */
    CU_ASSERT_EQUAL(qref_marlin_scale_index(256, 1, 8, 0), 2);     /* perm_single[2] = 8 */
    CU_ASSERT_EQUAL(qref_marlin_scale_index(256, 1, 33, 0), 33);   /* chunk 1, perm_single[1] = 1 */
    CU_ASSERT_EQUAL(qref_marlin_scale_index(256, 1, 31, 0), 31);

    for (int64_t groups = 1; groups <= 5; groups += 2) {
        int64_t n = 512;
        uint64_t seed = 0x5CA1E + (uint64_t)groups, s = seed;
        uint8_t *a = malloc((size_t)(n * groups * 2)), *m = malloc((size_t)(n * groups * 2)),
                *b = malloc((size_t)(n * groups * 2));
        for (int64_t i = 0; i < n * groups * 2; i++)
            a[i] = (uint8_t)rng_next(&s);
        CU_ASSERT_EQUAL(qref_marlin_pack_scales(a, n, groups, m), QREF_OK);
        CU_ASSERT_EQUAL(qref_marlin_unpack_scales(m, n, groups, b), QREF_OK);
        QCHECK(memcmp(a, b, (size_t)(n * groups * 2)) == 0, "scale round trip, groups %lld, seed 0x%llx",
               (long long)groups, (unsigned long long)seed);
        /* the literal rule: transpose to (groups, n), chunk-permute */
        int single = groups == 1, chunk = single ? 32 : 64, bad = 0;
        for (int64_t r = 0; r < n; r++)
            for (int64_t g = 0; g < groups; g++) {
                int64_t s0 = g * n + r, q = s0 / chunk;
                int p = 0;
                while (p < chunk && qref_marlin_scale_perm(single, p) != (int)(s0 % chunk))
                    p++;
                int64_t pos = q * chunk + p;
                bad += memcmp(m + 2 * pos, a + 2 * (r * groups + g), 2) != 0;
            }
        QCHECK(bad == 0, "scales in %d wrong places, groups %lld", bad, (long long)groups);
        free(a);
        free(m);
        free(b);
    }
    uint8_t x[4];
    CU_ASSERT_EQUAL(qref_marlin_pack_scales(x, 128, 1, x), QREF_ERR_SIZE);
    CU_ASSERT_EQUAL(qref_marlin_pack_scales(NULL, 256, 1, x), QREF_ERR_ARG);
}

/* Exact dequantization of every row of t into hi/lo (rows x cols). */
static qref_status dequant_all(const qref_qtensor *t, double *hi, double *lo, qref_error *e)
{
    for (int64_t r = 0; r < t->rows; r++) {
        memset(lo + r * t->cols, 0, sizeof(double) * (size_t)t->cols);
        qref_status st = qref_dequantize_row_exact(t, r, hi + r * t->cols, lo + r * t->cols, e);
        if (st != QREF_OK)
            return st;
    }
    return QREF_OK;
}

static void check_preset(const char *name, int64_t n, int64_t k, uint64_t seed)
{
    const qref_scheme *s = qref_scheme_find(name);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    const qref_scheme *base = qref_scheme_find(s->base);
    CU_ASSERT_PTR_NOT_NULL_FATAL(base);
    CU_ASSERT_EQUAL(s->elem, base->elem);
    CU_ASSERT_EQUAL(s->group, base->group);
    CU_ASSERT_EQUAL(s->scale, base->scale);
    uint64_t st_ = seed;
    float *w = malloc(sizeof(float) * (size_t)(n * k));
    for (int64_t i = 0; i < n * k; i++) {
        /* groups of very different magnitude, some all-zero groups, exact ties */
        int64_t g = (i % k) / 128 + i / k;
        float mag = (float)(1u << (g % 7)) / 16.0f;
        w[i] = g % 11 == 5 ? 0.0f : rng_weight(&st_) * mag;
        if (i % 97 == 3)
            w[i] = mag * 0.5f;
    }
    qref_qtensor qm, qb;
    qref_error e = { 0, 0, "" };
    qref_status st = qref_quantize(s, n, k, w, &qm, &e);
    if (!QCHECK(st == QREF_OK, "%s quantize %lld x %lld: %s (%s), seed 0x%llx", name, (long long)n, (long long)k,
                qref_status_name(st), e.msg, (unsigned long long)seed)) {
        free(w);
        return;
    }
    st = qref_quantize(base, n, k, w, &qb, &e);
    if (!QCHECK(st == QREF_OK, "%s quantize: %s (%s)", base->name, qref_status_name(st), e.msg)) {
        qref_qtensor_free(&qm);
        free(w);
        return;
    }
    CU_ASSERT_EQUAL(qm.sizes.codes, (size_t)(n * k / 2));
    CU_ASSERT_EQUAL(qm.sizes.scales, (size_t)(k / 128 * n * 2));
    CU_ASSERT_EQUAL(qm.sizes.total, qm.sizes.codes + qm.sizes.scales);

    /* structure: Marlin nibble = base code (^ 8 for INT4 = value + 8), scales the same bits */
    uint8_t *nib = malloc((size_t)(n * k)), *bc = malloc((size_t)(n * k));
    uint8_t *sc = malloc(qm.sizes.scales);
    CU_ASSERT_EQUAL(qref_marlin_unpack(qm.codes, n, k, nib), QREF_OK);
    size_t rb = qref_packed_row_bytes(base->layout, 4, k);
    for (int64_t r = 0; r < n; r++)
        qref_unpack_codes(base->layout, 4, qb.codes + (size_t)r * rb, k, bc + r * k);
    int64_t bad = 0;
    for (int64_t i = 0; i < n * k; i++) {
        if (base->elem == QREF_FMT_INT4) {
            int v = bc[i] >= 8 ? bc[i] - 16 : bc[i];   /* two's complement value */
            bad += nib[i] != v + 8;
        } else {
            bad += nib[i] != bc[i];
        }
    }
    QCHECK(bad == 0, "%s: %lld nibbles are not the base codes in Marlin form", name, (long long)bad);
    CU_ASSERT_EQUAL(qref_marlin_unpack_scales(qm.scales, n, k / 128, sc), QREF_OK);
    QCHECK(memcmp(sc, qb.scales, qm.sizes.scales) == 0, "%s: scales differ from the base's", name);

    /* values: bit-exact, hi and lo, and the rounded f32 */
    double *mh = malloc(sizeof(double) * (size_t)(n * k)), *ml = malloc(sizeof(double) * (size_t)(n * k));
    double *bh = malloc(sizeof(double) * (size_t)(n * k)), *bl = malloc(sizeof(double) * (size_t)(n * k));
    float *mf = malloc(sizeof(float) * (size_t)(n * k)), *bf = malloc(sizeof(float) * (size_t)(n * k));
    CU_ASSERT_EQUAL(dequant_all(&qm, mh, ml, &e), QREF_OK);
    CU_ASSERT_EQUAL(dequant_all(&qb, bh, bl, &e), QREF_OK);
    CU_ASSERT_EQUAL(qref_dequantize(&qm, mf, &e), QREF_OK);
    CU_ASSERT_EQUAL(qref_dequantize(&qb, bf, &e), QREF_OK);
    bad = 0;
    for (int64_t i = 0; i < n * k; i++) {
        int diff = qref_f64_bits(mh[i]) != qref_f64_bits(bh[i]) || qref_f64_bits(ml[i]) != qref_f64_bits(bl[i]) ||
                   qref_f32_bits(mf[i]) != qref_f32_bits(bf[i]);
        if (diff && ++bad <= 5)
            QCHECK(0, "%s row %lld col %lld: %.17g vs base %.17g (seed 0x%llx)", name, (long long)(i / k),
                   (long long)(i % k), mh[i], bh[i], (unsigned long long)seed);
    }
    QCHECK(bad == 0, "%s %lld x %lld: %lld values differ from %s (seed 0x%llx)", name, (long long)n, (long long)k,
           (long long)bad, base->name, (unsigned long long)seed);

    /* save / load round trip (load runs the base's validation) */
    uint8_t *buf = malloc(qm.sizes.total);
    CU_ASSERT_EQUAL(qref_qtensor_save(&qm, buf, qm.sizes.total), QREF_OK);
    qref_qtensor ql;
    st = qref_qtensor_load(s, n, k, buf, qm.sizes.total, &ql, &e);
    if (QCHECK(st == QREF_OK, "%s load: %s (%s)", name, qref_status_name(st), e.msg)) {
        CU_ASSERT(memcmp(ql.storage, qm.storage, qm.sizes.total) == 0);
        qref_qtensor_free(&ql);
    }
    /* a NaN f16 scale (0x7E00) for (row 3, last group), placed the Marlin way,
     * is QREF_ERR_DATA naming that row and group */
    int64_t g_last = k / 128 - 1;
    size_t at = qm.sizes.codes + 2 * (size_t)qref_marlin_scale_index(n, k / 128, 3, g_last);
    buf[at] = 0x00;
    buf[at + 1] = 0x7E;
    e.row = e.block = -7;
    st = qref_qtensor_load(s, n, k, buf, qm.sizes.total, &ql, &e);
    QCHECK(st == QREF_ERR_DATA && e.row == 3 && e.block == g_last,
           "%s load with a NaN scale at row 3 group %lld: %s at row %lld block %lld (%s)", name, (long long)g_last,
           qref_status_name(st), (long long)e.row, (long long)e.block, e.msg);
    free(buf);
    free(nib);
    free(bc);
    free(sc);
    free(mh);
    free(ml);
    free(bh);
    free(bl);
    free(mf);
    free(bf);
    qref_qtensor_free(&qm);
    qref_qtensor_free(&qb);
    free(w);
}

static void test_marlin_int4_preset_equals_base(void)
{
    check_preset("marlin_int4_g128", 256, 128, 0x1A7E1);   /* one group: _scale_perm_single */
    check_preset("marlin_int4_g128", 256, 512, 0x1A7E2);
    check_preset("marlin_int4_g128", 512, 384, 0x1A7E3);
}

static void test_marlin_fp4_preset_equals_base(void)
{
    check_preset("marlin_fp4_g128", 256, 128, 0xF4E1);
    check_preset("marlin_fp4_g128", 256, 512, 0xF4E2);
    check_preset("marlin_fp4_g128", 768, 256, 0xF4E3);
}

static void test_marlin_preset_shapes(void)
{
    const char *names[] = { "marlin_int4_g128", "marlin_fp4_g128" };
    for (int i = 0; i < 2; i++) {
        const qref_scheme *s = qref_scheme_find(names[i]);
        CU_ASSERT_PTR_NOT_NULL_FATAL(s);
        qref_qsizes z;
        qref_error e;
        CU_ASSERT_EQUAL(qref_qsizes_get(s, 128, 128, &z, &e), QREF_ERR_SIZE);
        CU_ASSERT_EQUAL(qref_qsizes_get(s, 256, 64, &z, &e), QREF_ERR_SIZE);
        CU_ASSERT_EQUAL(qref_qsizes_get(s, 256, 192, &z, &e), QREF_ERR_SIZE);
        qref_status st = qref_qsizes_get(s, 512, 256, &z, &e);
        if (QCHECK(st == QREF_OK, "%s sizes 512 x 256: %s (%s)", names[i], qref_status_name(st), e.msg)) {
            CU_ASSERT_EQUAL(z.codes, 512u * 256u / 2u);
            CU_ASSERT_EQUAL(z.scales, 2u * 512u * 2u);
            CU_ASSERT_EQUAL(z.zeros + z.meta + z.tscale, 0u);
        }
    }
}

QTEST_SUITE(marlin,
    QTEST(test_marlin_perm_known_answer),
    QTEST(test_marlin_perm_bijective),
    QTEST(test_marlin_pack_known_positions),
    QTEST(test_marlin_pack_matches_literal_and_round_trips),
    QTEST(test_marlin_pack_errors),
    QTEST(test_marlin_scales),
    QTEST(test_marlin_preset_shapes),
    QTEST(test_marlin_int4_preset_equals_base),
    QTEST(test_marlin_fp4_preset_equals_base))
