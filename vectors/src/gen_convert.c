/* convert suites: one element format under one convention (CASES.md
 * "convert"). Cases, in this order:
 *   c000            decode: every code (coverage "full"; formats of at most
 *                   16 bits) or a deterministic sample of codes ("sample")
 *   then per mode (the suite's "modes", e.g. default, sat, nosat):
 *     codes         encode the decoded value of every (sampled) code
 *     ties          every midpoint between neighbouring finite values and
 *                   its two float32 neighbours (or, when the midpoint is not
 *                   a float32, the float32 values on either side of it);
 *                   not for f32, where every input is representable
 *     edges         +-0, +-Inf, NaNs with signs and payloads, float32
 *                   subnormal and normal limits, the format's smallest
 *                   subnormal and normal values, half its smallest value,
 *                   its largest value and the overflow thresholds (halfway
 *                   to the next value beyond either end), each with its
 *                   float32 neighbours
 *     random        n_random inputs: half raw 32-bit patterns, half values
 *                   with a random exponent around the format's range
 * Every value is built from integers and bit patterns: no libm. */
#include <stdlib.h>
#include <string.h>

#include "gen_impl.h"
#include "qref/bits.h"

typedef struct ulist {
    uint32_t *v;
    size_t n, cap;
    int oom;
} ulist;

static void ul_add(ulist *l, uint32_t u)
{
    if (l->oom)
        return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 1024;
        uint32_t *p = realloc(l->v, cap * sizeof *p);
        if (!p) {
            l->oom = 1;
            return;
        }
        l->v = p;
        l->cap = cap;
    }
    l->v[l->n++] = u;
}

/* float32 neighbours by bits; NaN stays NaN, +-Inf stay (next_up(-Inf) is
 * -FLT_MAX, next_up(+Inf) is +Inf). */
static uint32_t next_up(uint32_t u)
{
    if (qref_f32_is_nan(u) || u == 0x7F800000u)
        return u;
    if (u == 0x80000000u || u == 0)
        return 1;
    return (u & 0x80000000u) ? u - 1 : u + 1;
}

static uint32_t next_down(uint32_t u) { return next_up(u ^ 0x80000000u) ^ 0x80000000u; }

/* x, and its float32 neighbours. */
static void add3(ulist *l, uint32_t u)
{
    ul_add(l, next_down(u));
    ul_add(l, u);
    ul_add(l, next_up(u));
}

/* The float32 inputs that decide the rounding of the real value m (exact
 * in double): m and its neighbours when m is a float32, else the float32
 * values just below and just above m. Both signs are added by the caller's
 * value list (m carries its sign). */
static void add_point(ulist *l, double m)
{
    if (!(m >= -3.4028234663852886e38 && m <= 3.4028234663852886e38))
        return;
    float fm = (float)m;   /* one IEEE conversion, round to nearest even */
    uint32_t u = qref_f32_bits(fm);
    if ((double)fm == m) {
        add3(l, u);
    } else if ((double)fm > m) {
        ul_add(l, next_down(u));
        ul_add(l, u);
    } else {
        ul_add(l, u);
        ul_add(l, next_up(u));
    }
}

typedef struct cv {
    double v;
    uint32_t code;
} cv;

static int cmp_cv(const void *a, const void *b)
{
    const cv *x = a, *y = b;
    if (x->v != y->v)
        return x->v < y->v ? -1 : 1;
    return x->code < y->code ? -1 : x->code > y->code;
}

static int is_sampled(const qref_fmt_info *fi, const vsuite *s, uint32_t c)
{
    if (s->coverage == VCOV_FULL)
        return 1;
    /* Every binade's first and last three codes (so every exponent, the
     * subnormals, Inf and the first NaNs), and every stride-th code. */
    uint32_t mmax = ((uint32_t)1 << fi->mbits) - 1, man = c & mmax;
    return man <= 2 || man + 2 >= mmax || c % s->stride == 0;
}

/* The codes of the decode case and the "codes" encode case. */
static void code_list(const qref_fmt_info *fi, const vsuite *s, ulist *l)
{
    if (fi->bits == 32) {
        static const uint32_t mans[] = { 0, 1, 2, 0x400000u, 0x7FFFFEu, 0x7FFFFFu };
        for (uint32_t sign = 0; sign < 2; sign++)
            for (uint32_t e = 0; e < 256; e++)
                for (size_t k = 0; k < sizeof mans / sizeof mans[0]; k++)
                    ul_add(l, sign << 31 | e << 23 | mans[k]);
        return;
    }
    uint32_t n = qref_fmt_code_count(fi);
    for (uint32_t c = 0; c < n; c++)
        if (is_sampled(fi, s, c))
            ul_add(l, c);
}

static float decode(const vsuite *s, uint32_t c)
{
    float y = 0.0f;
    qref_decode(s->fmt, s->conv, c, &y);
    return y;
}

/* Unique finite values of every code, ascending (ties by code). */
static cv *sorted_values(const qref_fmt_info *fi, const vsuite *s, size_t *n_out)
{
    uint32_t n = qref_fmt_code_count(fi);
    cv *t = malloc((size_t)n * sizeof *t);
    size_t k = 0;
    if (!t)
        return NULL;
    for (uint32_t c = 0; c < n; c++) {
        uint32_t u = qref_f32_bits(decode(s, c));
        if ((u & 0x7F800000u) != 0x7F800000u)
            t[k++] = (cv){ (double)qref_f32_from_bits(u), c };
    }
    qsort(t, k, sizeof *t, cmp_cv);
    size_t m = 0;
    for (size_t i = 0; i < k; i++)
        if (m == 0 || t[i].v != t[m - 1].v)
            t[m++] = t[i];
    *n_out = m;
    return t;
}

static void ties_list(const qref_fmt_info *fi, const vsuite *s, const cv *t, size_t n, ulist *l)
{
    for (size_t i = 0; i + 1 < n; i++)
        if (is_sampled(fi, s, t[i].code) || fi->bits > 16)
            add_point(l, (t[i].v + t[i + 1].v) / 2);   /* exact: neighbours, double */
}

static void edges_list(const qref_fmt_info *fi, const cv *t, size_t n, ulist *l)
{
    static const uint32_t special[] = {
        0x00000000u, 0x80000000u, 0x7F800000u, 0xFF800000u,              /* +-0, +-Inf */
        0x7FC00000u, 0xFFC00000u, 0x7FC00001u, 0xFFC00001u,              /* quiet NaNs */
        0x7F800001u, 0xFF800001u, 0x7FA00000u, 0xFFBFFFFFu,              /* signalling NaNs */
        0x7FFFFFFFu, 0xFFFFFFFFu, 0x7FD55555u, 0xFFAAAAAAu, 0x7F802000u, /* payloads */
        0x00000001u, 0x80000001u, 0x00000002u, 0x007FFFFFu, 0x807FFFFFu, /* float32 subnormals */
        0x00400000u, 0x00800000u, 0x80800000u, 0x7F7FFFFFu, 0xFF7FFFFFu, /* limits */
        0x3F800000u, 0xBF800000u,                                        /* +-1 */
    };
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++)
        ul_add(l, special[i]);
    double mins[2] = { fi->min_subnormal, fi->min_normal };
    for (int k = 0; k < 2; k++) {
        if (mins[k] > 0) {
            add_point(l, mins[k]);
            add_point(l, -mins[k]);
        }
    }
    if (n >= 2) {
        /* Half the smallest positive value (a tie with zero, or the E8M0
         * floor), a quarter of it, and the overflow thresholds at both ends:
         * halfway to the value one step beyond the last one. */
        double smallest = 0;
        for (size_t i = 0; i < n; i++)
            if (t[i].v > 0) {
                smallest = t[i].v;
                break;
            }
        if (smallest > 0) {
            for (int sg = -1; sg <= 1; sg += 2) {
                add_point(l, sg * smallest / 2);
                add_point(l, sg * smallest / 4);
            }
        }
        double lo = t[0].v, hi = t[n - 1].v, lo_step = t[1].v - t[0].v, hi_step = t[n - 1].v - t[n - 2].v;
        add_point(l, hi);
        add_point(l, hi + hi_step / 2);
        add_point(l, hi + hi_step);
        add_point(l, 2 * hi);
        add_point(l, lo);
        add_point(l, lo - lo_step / 2);
        add_point(l, lo - lo_step);
        add_point(l, 2 * lo);
        if (lo >= 0) {   /* unsigned formats: the mirror images too */
            add_point(l, -hi);
            add_point(l, -(hi + hi_step / 2));
        }
    }
}

static int f32_exp(uint32_t u)   /* floor(log2 |x|) of a finite nonzero float */
{
    u &= 0x7FFFFFFFu;
    if (u >= 0x00800000u)
        return (int)(u >> 23) - 127;
    int e = -127;
    while (u < 0x00400000u) {
        u <<= 1;
        e--;
    }
    return e;
}

static void random_list(const qref_fmt_info *fi, unsigned count, qcts_rng *r, ulist *l)
{
    int elo = fi->min_subnormal > 0 ? f32_exp(qref_f32_bits(fi->min_subnormal)) - 3 : -149;
    int ehi = fi->max > 0 ? f32_exp(qref_f32_bits(fi->max)) + 2 : 127;
    int blo = elo + 127 < 0 ? 0 : elo + 127, bhi = ehi + 127 > 254 ? 254 : ehi + 127;
    for (unsigned i = 0; i < count; i++) {
        uint64_t x = qcts_rng_next(r);
        if (i % 2 == 0) {
            ul_add(l, (uint32_t)(x >> 32));
        } else {
            uint32_t e = (uint32_t)blo + (uint32_t)qcts_rng_below(r, (uint64_t)(bhi - blo + 1));
            ul_add(l, (uint32_t)(x >> 63) << 31 | e << 23 | (uint32_t)(x & 0x7FFFFFu));
        }
    }
}

static void put_codes(vfile *f, unsigned id, const char *name, const qref_fmt_info *fi, const uint32_t *codes,
                      size_t n)
{
    int64_t shape[1] = { (int64_t)n };
    if (fi->bits == 32) {
        vf_tensor_u32(f, id, name, QCTS_ST_U32, codes, shape, 1);
    } else if (fi->bits > 8) {
        uint16_t *h = malloc(n * sizeof *h + 1);
        if (!h) {
            vf_fail(f, QCTS_VEC_ERR_NOMEM, "out of memory");
            return;
        }
        for (size_t i = 0; i < n; i++)
            h[i] = (uint16_t)codes[i];
        vf_tensor_u16(f, id, name, QCTS_ST_U16, h, shape, 1);
        free(h);
    } else {
        uint8_t *b = malloc(n + 1);
        if (!b) {
            vf_fail(f, QCTS_VEC_ERR_NOMEM, "out of memory");
            return;
        }
        for (size_t i = 0; i < n; i++)
            b[i] = (uint8_t)codes[i];
        vf_tensor(f, id, name, QCTS_ST_U8, shape, 1, b, n);
        free(b);
    }
}

static void params(vbuf *b, const vsuite *s, qref_mode m, int decode, size_t n)
{
    vb_printf(b, "{\"fmt\":\"%s\",\"convention\":\"%s\",\"mode\":\"%s\",\"direction\":\"%s\",\"n\":%zu}",
              qref_fmt_get(s->fmt)->name, qref_conv_name(s->conv), qref_mode_name(m), decode ? "decode" : "encode",
              n);
}

/* Flags that describe the values of a case (in a fixed order). */
static void value_flags(const qref_fmt_info *fi, const uint32_t *x, size_t n, vflags *fl)
{
    int nan = 0, inf = 0, sub = 0, zero = 0, over = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t u = x[i], a = u & 0x7FFFFFFFu;
        float v = qref_f32_from_bits(a);
        nan |= qref_f32_is_nan(u);
        inf |= a == 0x7F800000u;
        zero |= a == 0;
        sub |= a != 0 && a < 0x00800000u;
        if (fi->kind == QREF_KIND_FLOAT && fi->min_normal > 0)
            sub |= a != 0 && v < fi->min_normal;
        over |= a < 0x7F800000u && v > fi->max;
    }
    if (zero)
        vflags_add(fl, "zero");
    if (sub)
        vflags_add(fl, "subnormal");
    if (over)
        vflags_add(fl, "overflow");
    if (inf)
        vflags_add(fl, "inf");
    if (nan)
        vflags_add(fl, "nan");
}

static void decode_case(vfile *f, const qref_fmt_info *fi, const ulist *codes)
{
    qcts_rng r;
    uint64_t seed;
    unsigned id = vf_begin(f, &r, &seed);
    size_t n = codes->n;
    uint32_t *y = malloc(n * sizeof *y + 1);
    if (!y) {
        vf_fail(f, QCTS_VEC_ERR_NOMEM, "out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        float v;
        qref_status st = qref_decode(f->s->fmt, f->s->conv, codes->v[i], &v);
        if (st != QREF_OK) {
            vf_fail(f, QCTS_VEC_ERR_GEN, "%s: c%03u: decode of code 0x%x: %s", f->s->info.name, id, codes->v[i],
                    qref_status_name(st));
            free(y);
            return;
        }
        y[i] = qref_f32_bits(v);
    }
    vflags fl = { { 0 }, 0 };
    vflags_add(&fl, "codes");
    value_flags(fi, y, n, &fl);
    vbuf p = { 0 };
    params(&p, f->s, QREF_MODE_DEFAULT, 1, n);
    vf_case(f, id, seed, "exact", &fl, "codes", p.p);
    vb_free(&p);
    int64_t shape[1] = { (int64_t)n };
    put_codes(f, id, "in.x", fi, codes->v, n);
    vf_tensor_u32(f, id, "out.y", QCTS_ST_F32, y, shape, 1);
    free(y);
}

enum { K_CODES, K_TIES, K_EDGES, K_RANDOM };

/* |x| beyond which rounding alone cannot reach the largest finite value
 * (halfway to the next value beyond it): an input above it that encodes
 * to +-max was saturated. */
static double overflow_threshold(const qref_fmt_info *fi, const cv *vals, size_t n)
{
    if (n < 2)
        return 3.4028234663852886e38;
    double hi = vals[n - 1].v, lo = vals[0].v;
    /* E8M0 steps by powers of two: the value beyond 2^127 is 2^128. */
    double a = fi->kind == QREF_KIND_SCALE ? 1.5 * hi : hi + (hi - vals[n - 2].v) / 2;
    double b = -(lo - (vals[1].v - lo) / 2);
    return a > b ? a : b;
}

static void encode_case(vfile *f, const qref_fmt_info *fi, qref_mode mode, int kind, const ulist *codes,
                        const cv *vals, size_t nvals)
{
    qcts_rng r;
    uint64_t seed;
    unsigned id = vf_begin(f, &r, &seed);
    ulist x = { 0 };
    static const char *const dists[] = { "codes", "ties", "edges", "random_bits" };
    switch (kind) {
    case K_CODES:
        for (size_t i = 0; i < codes->n; i++)
            ul_add(&x, qref_f32_bits(decode(f->s, codes->v[i])));
        break;
    case K_TIES: ties_list(fi, f->s, vals, nvals, &x); break;
    case K_EDGES: edges_list(fi, vals, nvals, &x); break;
    default: random_list(fi, f->s->n_random, &r, &x); break;
    }
    size_t n = x.n;
    uint32_t *code = malloc(n * sizeof *code + 1);
    uint8_t *status = malloc(n + 1);
    if (x.oom || !code || !status) {
        vf_fail(f, QCTS_VEC_ERR_NOMEM, "out of memory");
        goto done;
    }
    int sat = 0, nan_status = 0;
    double thr = overflow_threshold(fi, vals, nvals);
    for (size_t i = 0; i < n; i++) {
        uint32_t c = 0;
        float in = qref_f32_from_bits(x.v[i]);
        qref_status st = qref_encode(f->s->fmt, f->s->conv, mode, in, &c);
        if (st != QREF_OK && st != QREF_ERR_NAN) {
            vf_fail(f, QCTS_VEC_ERR_GEN, "%s: c%03u: encode of 0x%08x: %s", f->s->info.name, id, x.v[i],
                    qref_status_name(st));
            goto done;
        }
        code[i] = c;
        status[i] = (uint8_t)st;
        nan_status |= st == QREF_ERR_NAN;
        uint32_t a = x.v[i] & 0x7FFFFFFFu;
        if (a <= 0x7F800000u && (double)qref_f32_from_bits(a) > thr) {
            uint32_t back = qref_f32_bits(decode(f->s, c)) & 0x7FFFFFFFu;
            sat |= back == qref_f32_bits(fi->max);
        }
    }
    vflags fl = { { 0 }, 0 };
    static const char *const kind_flag[] = { "codes", "tie", "edges", "random" };
    vflags_add(&fl, kind_flag[kind]);
    value_flags(fi, x.v, n, &fl);
    if (sat)
        vflags_add(&fl, "saturate");
    if (nan_status)
        vflags_add(&fl, "status_nan");
    vbuf p = { 0 };
    params(&p, f->s, mode, 0, n);
    vf_case(f, id, seed, "exact", &fl, dists[kind], p.p);
    vb_free(&p);
    int64_t shape[1] = { (int64_t)n };
    vf_tensor_u32(f, id, "in.x", QCTS_ST_F32, x.v, shape, 1);
    put_codes(f, id, "out.y", fi, code, n);
    vf_tensor(f, id, "out.status", QCTS_ST_U8, shape, 1, status, n);
done:
    free(x.v);
    free(code);
    free(status);
}

void vgen_convert(vfile *f)
{
    const vsuite *s = f->s;
    const qref_fmt_info *fi = qref_fmt_get(s->fmt);
    ulist codes = { 0 };
    code_list(fi, s, &codes);
    size_t nvals = 0;
    cv *vals = NULL;
    if (fi->bits <= 16) {
        vals = sorted_values(fi, s, &nvals);
        if (!vals) {
            vf_fail(f, QCTS_VEC_ERR_NOMEM, "out of memory");
            free(codes.v);
            return;
        }
    } else {
        /* f32: every value is its own code; the edges use +-FLT_MAX. */
        static cv ends[2] = { { -3.4028234663852886e38, 0xFF7FFFFFu }, { 3.4028234663852886e38, 0x7F7FFFFFu } };
        vals = malloc(sizeof ends);
        if (vals)
            memcpy(vals, ends, sizeof ends);
        nvals = 2;
    }
    if (codes.oom || !vals) {
        vf_fail(f, QCTS_VEC_ERR_NOMEM, "out of memory");
    } else {
        decode_case(f, fi, &codes);
        for (int m = 0; m < s->n_modes && vf_ok(f); m++)
            for (int kind = K_CODES; kind <= K_RANDOM && vf_ok(f); kind++)
                if (kind != K_TIES || fi->bits <= 16)
                    encode_case(f, fi, s->modes[m], kind, &codes, vals, nvals);
    }
    free(vals);
    free(codes.v);
}
