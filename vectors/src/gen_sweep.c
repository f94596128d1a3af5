/* "sweep" suites (CASES.md "Sweep suites"): cases derived from the scheme so
 * that every residue class a kernel may branch on is reached, instead of
 * hand-picked shapes. What kernels branch on (kernels/simd/README.md):
 *   - N: GEMV steps of 4 rows, SIMD rows of 8, panel tiles of 16, thread
 *     splits at multiples of 16: N = 1..9, 12, 15, 16, 17, 23, 31, 33 (every
 *     class mod 8, most mod 16, more than two tiles), each with and without
 *     a bias;
 *   - K: vectors of 8/16/32 and the 256-column panel blocks (KC), in units
 *     of the scheme's smallest legal K (its group): per-row schemes take K
 *     of every class mod 8, 16 and 32 and across 256; grouped ones 1..9
 *     groups (every class of K/group mod 8 for small groups);
 *   - M: the 6-row register tile: M = 2..8 and 13 (every class mod 6, full
 *     tiles plus tails);
 *   - every activation x output dtype pair (f32, f16, bf16);
 *   - exact fill (check exact) on most cases, random data (check bound) on
 *     every fourth; NaN (all payload bits set: rounding it to bf16 by adding
 *     0x7fff overflows) and +Inf in some activations, two cases per suite
 *     (not for 2:4 sparse schemes, see below);
 *   - dequant: the same K classes, every output dtype, and (traps) a search
 *     for f16/bf16 outputs where rounding the float32 value again differs
 *     from rounding the exact value once (gen_quant.c), and (float32
 *     scales) a constructed round-to-odd borrow across the exponent.
 * Shapes the scheme does not accept (Marlin tiles, 2:4 groups) are left out;
 * the case list depends only on the scheme. */
#include <stdlib.h>
#include <string.h>

#include "gen_impl.h"

static int legal(const qref_scheme *s, int64_t n, int64_t k)
{
    qref_qsizes z;
    qref_error e = { -1, -1, "" };
    return qref_qsizes_get(s, n, k, &z, &e) == QREF_OK;
}

static int has_quantizer(const qref_scheme *s)
{
    return !(s->family == QREF_FAMILY_GGUF && (s->gguf_type == 16 || s->gguf_type == 18));
}

/* NF codebook values need more than 24 significant bits in a sum: no exact
 * fill (CASES.md). */
static int has_exact_fill(const qref_scheme *s)
{
    const qref_fmt_info *fi = qref_fmt_get(s->elem);
    return !(fi && fi->name && strncmp(fi->name, "nf", 2) == 0);
}

typedef struct lists {
    int64_t n[24], k[24];
    int nn, nk;
} lists;

static void shapes(const qref_scheme *s, int gemm, lists *l)
{
    int64_t nstep = 1, kstep = 1;
    while (nstep < 4096 && !legal(s, nstep, 4096))
        nstep++;
    while (kstep < 4096 && !legal(s, nstep, kstep))
        kstep++;
    static const int64_t n1[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 15, 16, 17, 23, 31, 33 };
    static const int64_t nm[] = { 1, 2, 3, 5 };
    l->nn = 0;
    if (nstep == 1) {
        for (size_t i = 0; i < sizeof n1 / sizeof *n1; i++)
            l->n[l->nn++] = n1[i];
    } else {
        /* tiled layouts (Marlin: 64-row tiles): one and two tiles, or up to
         * five row groups for small steps */
        size_t cnt = nstep >= 16 ? 2 : sizeof nm / sizeof *nm;
        for (size_t i = 0; i < cnt; i++)
            l->n[l->nn++] = nstep * nm[i];
    }
    static const int64_t k1[] = { 1, 3, 5, 7, 9, 12, 15, 17, 24, 31, 33, 40, 63, 65, 129, 257 };
    static const int64_t ksmall[] = { 1, 2, 3, 4, 5, 6, 7, 9, 17 };   /* group <= 32 */
    static const int64_t kmid[] = { 1, 2, 3, 4, 5, 7, 9 };            /* group 64 */
    static const int64_t kbig[] = { 1, 2, 3, 5, 7 };                  /* group >= 128 */
    static const int64_t kgemm[] = { 1, 2, 3, 5 };
    const int64_t *kv;
    size_t nk;
    if (kstep == 1) {
        kv = k1;
        nk = sizeof k1 / sizeof *k1;
    } else if (gemm && kstep >= 64) {
        kv = kgemm;
        nk = sizeof kgemm / sizeof *kgemm;
    } else if (kstep <= 32) {
        kv = ksmall;
        nk = sizeof ksmall / sizeof *ksmall;
    } else if (kstep <= 64) {
        kv = kmid;
        nk = sizeof kmid / sizeof *kmid;
    } else {
        kv = kbig;
        nk = sizeof kbig / sizeof *kbig;
    }
    if (nstep >= 16 && nk > 2)
        nk = 2;   /* big tiles (Marlin: 256 rows): keep the set small */
    l->nk = 0;
    for (size_t i = 0; i < nk; i++) {
        int64_t k = kstep == 1 ? kv[i] : kstep * kv[i];
        for (int j = 0; j < l->nn; j++)
            if (legal(s, l->n[j], k)) {
                l->k[l->nk++] = k;
                break;
            }
    }
}

static const qref_fmt dts[3] = { QREF_FMT_F32, QREF_FMT_F16, QREF_FMT_BF16 };

static vcase_def *grow(vsuite *su, size_t *cap)
{
    if (su->n_defs == *cap) {
        size_t nc = *cap ? 2 * *cap : 64;
        vcase_def *v = realloc(su->cases, nc * sizeof *v);
        if (!v)
            return NULL;
        su->cases = v;
        *cap = nc;
    }
    vcase_def *d = &su->cases[su->n_defs++];
    memset(d, 0, sizeof *d);
    d->batch = 1;
    d->M = 1;
    d->bound_c = 1;
    d->a_dtype = d->out_dtype = QREF_FMT_F32;
    return d;
}

static vdist random_dist(const qref_scheme *s) { return has_quantizer(s) ? VD_GAUSS : VD_RANDOM_BITS; }

static int sweep_gemm(vsuite *su, int gemv)
{
    const qref_scheme *s = su->scheme;
    lists l;
    shapes(s, !gemv, &l);
    if (l.nk == 0)
        return 0;
    static const int64_t ms[] = { 2, 3, 4, 5, 6, 7, 8, 13 };
    size_t cap = 0;
    int ncase = gemv ? 2 * l.nn : 24;
    if (ncase < 18)
        ncase = 18;   /* every dtype pair twice */
    for (int i = 0; i < ncase; i++) {
        int64_t n = l.n[i % l.nn], k = 0;
        for (int t = 0; t < l.nk && !k; t++) {   /* a K this N accepts, varied with i */
            int64_t kk = l.k[(i + i / 4 + t) % l.nk];   /* not tied to i % 4 (the dist) */
            if (legal(s, n, kk))
                k = kk;
        }
        if (!k)
            continue;
        vcase_def *d = grow(su, &cap);
        if (!d)
            return -1;
        d->M = gemv ? 1 : ms[i % 8];
        d->N = n;
        d->K = k;
        d->bias = gemv ? (i / l.nn) % 2 : (i / 8 + i) % 2;
        d->a_dtype = dts[i % 3];
        d->out_dtype = dts[(i / 3) % 3];
        /* exact fill up to K = 768 (beyond, Q6_K's sums can need more than
         * 24 bits); random data on every fourth case and beyond */
        d->dist = has_exact_fill(s) && i % 4 != 3 && k <= 768 ? VD_INTEGERS : random_dist(s);
    }
    /* NaN and Inf activations: two cases, bf16 and f16 outputs. Not for
     * 2:4 sparse schemes: a sparse kernel never reads the activations at
     * pruned positions (0 x NaN in the dense reference), so the op does not
     * define what a NaN or Inf there gives. */
    for (int j = 0; j < 2 && s->family != QREF_FAMILY_SPARSE; j++) {
        int64_t n = 0, k = 0;
        for (int t = l.nn - 1; t >= 0 && !n; t--)
            for (int u = l.nk > 2 ? 2 : 0; u < l.nk && !n; u++)   /* K > 1: two non-finite values per row */
                if (l.n[t] <= 33 && legal(s, l.n[t], l.k[u])) {
                    n = l.n[t];
                    k = l.k[u];
                }
        if (!n)
            break;
        vcase_def *d = grow(su, &cap);
        if (!d)
            return -1;
        d->batch = gemv ? 2 : 1;
        d->M = gemv ? 1 : 3;
        d->N = n;
        d->K = k;
        d->bias = j;
        d->a_dtype = j ? QREF_FMT_F16 : QREF_FMT_BF16;
        d->out_dtype = j ? QREF_FMT_F16 : QREF_FMT_BF16;
        d->dist = random_dist(s);
        d->specials = 1;
    }
    /* the all-zero-weights canary every gemm suite has (MISTRUSTED) */
    vcase_def *d = grow(su, &cap);
    if (!d)
        return -1;
    d->M = gemv ? 1 : 2;
    d->N = l.n[0];
    d->K = l.k[0];
    for (int t = 0; t < l.nn && !legal(s, d->N, d->K); t++)
        d->N = l.n[t];
    d->dist = VD_ZEROS;
    return 0;
}

static int sweep_dequant(vsuite *su)
{
    const qref_scheme *s = su->scheme;
    lists l;
    shapes(s, 0, &l);
    size_t cap = 0;
    int64_t rows = l.n[0] > 1 ? l.n[0] : 3;   /* the smallest legal row count > 1 */
    for (int i = 0; i < l.nk; i++)
        for (int o = 0; o < 3; o++) {
            if (!legal(s, rows, l.k[i]))
                continue;
            vcase_def *d = grow(su, &cap);
            if (!d)
                return -1;
            d->rows = rows;
            d->cols = l.k[i];
            d->out_dtype = dts[(i + o) % 3];
            d->dist = o == 1 || !has_quantizer(s) ? VD_RANDOM_BITS : VD_GAUSS;
            if (o == 2)
                break;   /* two dtypes per K: the third comes with the next K */
        }
    /* Double-rounding traps: f16 and bf16, random valid tensors of about
     * 8192 values, searched until one holds a trap (gen_quant.c). */
    int64_t r0 = rows, c0 = 0;
    for (int i = l.nk - 1; i >= 0 && !c0; i--)
        if (legal(s, r0, l.k[i]) && l.k[i] <= 512)
            c0 = l.k[i];
    if (!c0)
        c0 = l.k[0];
    int64_t rr = r0;
    while (rr * c0 < 8192 && legal(s, rr * 2, c0))
        rr *= 2;
    for (int j = 0; j < 2 && legal(s, rr, c0); j++) {
        vcase_def *d = grow(su, &cap);
        if (!d)
            return -1;
        d->rows = rr;
        d->cols = c0;
        d->out_dtype = j ? QREF_FMT_BF16 : QREF_FMT_F16;
        d->dist = VD_RANDOM_BITS;
        d->traps = 1;
    }
    /* Round-to-odd borrows (gen_quant.c construct_borrow): f16 and bf16,
     * where one float32 scale multiplies the values; small (the first
     * legal K >= 32: a vector body and, where K allows, a tail). Only
     * where a value u admits one: with E odd fixed, each u gives one
     * candidate scale: INT8 and NF4 values have one; the few short
     * values of FP8 (<= 4 significant bits), NVFP4 (e2m1 x e4m3, <= 6) and
     * the small NF2/NF3 tables have none or too few to count on. */
    if (s->scale == QREF_SCALE_F32 && (s->elem == QREF_FMT_INT8 || s->elem == QREF_FMT_NF4)) {
        int64_t cb = 0;
        for (int i = 0; i < l.nk && !cb; i++)
            if (l.k[i] >= 32 && legal(s, rows, l.k[i]))
                cb = l.k[i];
        for (int j = 0; j < 2 && cb; j++) {
            vcase_def *d = grow(su, &cap);
            if (!d)
                return -1;
            d->rows = rows;
            d->cols = cb;
            d->out_dtype = j ? QREF_FMT_BF16 : QREF_FMT_F16;
            d->dist = VD_RANDOM_BITS;
            d->traps = 2;
        }
    }
    /* A long row for blocks of 16 and 32: 35 blocks, past the 33 where a
     * loop bound that scales the block index by the wrong block size
     * (b * 33 < k1) first ends early; one row, bf16 (about 3 KB). */
    if (l.nk && (l.k[0] == 16 || l.k[0] == 32) && legal(s, l.n[0], 35 * l.k[0])) {
        vcase_def *d = grow(su, &cap);
        if (!d)
            return -1;
        d->rows = l.n[0];
        d->cols = 35 * l.k[0];
        d->out_dtype = QREF_FMT_BF16;
        d->dist = VD_RANDOM_BITS;
    }
    return 0;
}

int vsweep_cases(vsuite *su, int gemv)
{
    free(su->cases);
    su->cases = NULL;
    su->n_defs = 0;
    return su->op == VOP_DEQUANT ? sweep_dequant(su) : sweep_gemm(su, gemv);
}
