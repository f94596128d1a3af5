/* quantize and dequant suites (CASES.md "quantize", "dequant"): one scheme
 * preset, the shapes and distributions of the definition. Quantize inputs
 * are float32 matrices; dequant inputs are the quantizer's output for such
 * a matrix, or (dist random_bits) a random valid serialized tensor, which
 * reaches codes and scales a quantizer never writes. */
#include <stdlib.h>
#include <string.h>

#include "gen_impl.h"

int64_t vscheme_kunit(const qref_scheme *s, int64_t cols)
{
    if (s->group <= 0)
        return cols;
    if (s->sparse_n > 0)
        return (int64_t)s->group * s->sparse_m / s->sparse_n;
    return s->group;
}

static void shape_flags(const qref_scheme *s, int64_t rows, int64_t cols, vflags *fl)
{
    int64_t unit = vscheme_kunit(s, cols);
    if (rows == 1)
        vflags_add(fl, "rows_1");
    else if (rows % 2)
        vflags_add(fl, "odd_rows");
    if (cols == unit)
        vflags_add(fl, "one_group");
    else if (cols >= 4 * unit)
        vflags_add(fl, "many_groups");
}

static void dist_flags(vdist d, vflags *fl)
{
    if (d == VD_GRID)
        vflags_add(fl, "tie");
    else if (d == VD_OUTLIERS)
        vflags_add(fl, "outliers");
    else if (d == VD_WIDE)
        vflags_add(fl, "wide_range");
    else if (d == VD_RANDOM_BITS)
        vflags_add(fl, "random_bits");
}

static void add_extra(const vcase_def *c, vflags *fl)
{
    for (int i = 0; i < c->extra.n; i++)
        vflags_add(fl, c->extra.v[i]);
}

/* Quantizes a matrix of distribution d into buf (z->total bytes). */
static int quantize_into(vfile *f, unsigned id, uint64_t seed, const float *w, int64_t rows, int64_t cols,
                         uint8_t *buf, size_t total)
{
    const qref_scheme *s = f->s->scheme;
    qref_qtensor t;
    qref_error e = { -1, -1, "" };
    qref_status st = qref_quantize(s, rows, cols, w, &t, &e);
    if (st == QREF_OK) {
        st = qref_qtensor_save(&t, buf, total);
        qref_qtensor_free(&t);
    }
    if (st != QREF_OK) {
        vf_fail(f, QCTS_VEC_ERR_GEN, "%s: c%03u (seed 0x%016llx): quantize: %s: %s", f->s->info.name, id,
                (unsigned long long)seed, qref_status_name(st), e.msg);
        return -1;
    }
    return 0;
}

void vgen_quantize(vfile *f)
{
    const vsuite *su = f->s;
    const qref_scheme *s = su->scheme;
    for (size_t i = 0; i < su->n_defs && vf_ok(f); i++) {
        const vcase_def *c = &su->cases[i];
        qcts_rng r;
        uint64_t seed;
        unsigned id = vf_begin(f, &r, &seed);
        qref_qsizes z;
        qref_error e = { -1, -1, "" };
        if (qref_qsizes_get(s, c->rows, c->cols, &z, &e) != QREF_OK) {
            vf_fail(f, QCTS_VEC_ERR_GEN, "%s: c%03u: %s", su->info.name, id, e.msg);
            return;
        }
        size_t n = (size_t)c->rows * (size_t)c->cols;
        float *w = malloc(n * sizeof *w);
        uint8_t *q = malloc(z.total + 1);
        if (!w || !q) {
            vf_fail(f, QCTS_VEC_ERR_NOMEM, "out of memory");
        } else {
            vin_fill(&r, c->dist, c->rows, c->cols, 8, w);
            if (quantize_into(f, id, seed, w, c->rows, c->cols, q, z.total) == 0) {
                vflags fl = { { 0 }, 0 };
                shape_flags(s, c->rows, c->cols, &fl);
                dist_flags(c->dist, &fl);
                add_extra(c, &fl);
                vbuf p = { 0 };
                vb_printf(&p, "{\"scheme\":\"%s\",\"rows\":%lld,\"cols\":%lld,\"sizes\":", s->name,
                          (long long)c->rows, (long long)c->cols);
                vjson_sizes(&p, &z);
                vb_puts(&p, "}");
                vf_case(f, id, seed, "exact", &fl, vdist_name(c->dist), p.p);
                vb_free(&p);
                int64_t ws[2] = { c->rows, c->cols }, qs[1] = { (int64_t)z.total };
                vf_tensor_f32(f, id, "in.w", w, ws, 2);
                vf_tensor(f, id, "out.q", QCTS_ST_U8, qs, 1, q, z.total);
            }
        }
        free(w);
        free(q);
    }
}

enum { TRAP_TRIES = 256 };

/* How many elements of the tensor q double-round: their f16/bf16 value
 * (qref, one rounding of the exact value) differs from their float32 value
 * rounded to nearest even again. w, y: rows x cols scratch. -1 on error. */
static int count_traps(const qref_scheme *s, const vcase_def *c, const uint8_t *q, size_t total, float *w,
                       uint32_t *y)
{
    qref_qtensor t;
    qref_error e = { -1, -1, "" };
    if (qref_qtensor_load(s, c->rows, c->cols, q, total, &t, &e) != QREF_OK)
        return -1;
    qref_status st = qref_dequantize_as(&t, QREF_FMT_F32, w, &e);
    if (st == QREF_OK)
        st = qref_dequantize_as(&t, c->out_dtype, y, &e);
    qref_qtensor_free(&t);
    if (st != QREF_OK)
        return -1;
    const uint16_t *h = (const uint16_t *)y;
    size_t n = (size_t)c->rows * (size_t)c->cols;
    int count = 0;
    for (size_t i = 0; i < n; i++) {
        if (w[i] != w[i])
            continue;   /* NaN: no rounding to compare */
        uint16_t again = c->out_dtype == QREF_FMT_F16 ? qref_f32_to_f16(w[i]) : qref_f32_to_bf16(w[i]);
        count += again != h[i];
    }
    return count;
}

/* Float32 bits to double and back without libm. */
static float f32_of_bits(uint32_t u)
{
    float x;
    memcpy(&x, &u, 4);
    return x;
}

static uint32_t bits_of_f32(float x)
{
    uint32_t u;
    memcpy(&u, &x, 4);
    return u;
}

/* 2^e as a double, |e| < 1000 (exact; no libm). */
static double pow2d(int e)
{
    double v = 1.0;
    for (; e > 0; e--)
        v *= 2.0;
    for (; e < 0; e++)
        v *= 0.5;
    return v;
}

/* A constructed trap where one float32 scale multiplies the element values
 * (QREF_SCALE_F32 group scales: the first group's; NVFP4's tensor scale):
 * with that scale set to 1 the first group's values u are exact and short;
 * for a u that is not a power of two, a random f16/bf16 midpoint m gives the
 * scale s = f32(m / u), kept when u·s (exact in double) is not m but rounds
 * to m in float32: then that element's float32 value is a tie of the output
 * dtype that the exact value is not. Returns the trap count (count_traps) of
 * the tensor with the first s that works, 0 when the scheme has no such
 * scale or nothing was found, -1 on error. */
static int construct_trap(qcts_rng *r, const qref_scheme *s, const vcase_def *c, uint8_t *q, const qref_qsizes *z,
                          float *w, uint32_t *y)
{
    size_t at;
    if (z->tscale == 4)
        at = z->codes + z->scales + z->zeros + z->meta;
    else if (s->scale == QREF_SCALE_F32 && z->scales >= 4)
        at = z->codes;
    else
        return 0;
    uint8_t saved[4];
    memcpy(saved, q + at, 4);
    uint32_t one = bits_of_f32(1.0f);
    for (int k = 0; k < 4; k++)
        q[at + k] = (uint8_t)(one >> (8 * k));
    qref_qtensor t;
    qref_error e = { -1, -1, "" };
    if (qref_qtensor_load(s, c->rows, c->cols, q, z->total, &t, &e) != QREF_OK)
        return -1;
    qref_status st = qref_dequantize_as(&t, QREF_FMT_F32, w, &e);
    qref_qtensor_free(&t);
    if (st != QREF_OK)
        return -1;
    int mant = c->out_dtype == QREF_FMT_F16 ? 10 : 7;
    int64_t span = c->cols < 16 ? c->cols : 16;
    for (int64_t i = 0; i < span; i++) {
        uint32_t ub = bits_of_f32(w[i]);
        if (w[i] != w[i] || (ub & 0x7fffffffu) == 0 || (ub & 0x7fffffu) == 0 || ((ub >> 23) & 0xff) == 0)
            continue;   /* NaN, zero, a power of two or subnormal: no trap */
        double u = (double)w[i] < 0 ? -(double)w[i] : (double)w[i];
        for (int tr = 0; tr < 64; tr++) {
            /* a midpoint of the output dtype near u times a scale in [2^-6, 2) */
            int E = (int)((ub >> 23) & 0xff) - 127 + (int)qcts_rng_below(r, 7) - 6;
            if (E < -14 || E > 14)
                continue;
            double ulp = pow2d(E - mant);
            double m = pow2d(E) + ((double)qcts_rng_below(r, 1u << mant) + 0.5) * ulp;
            float sc = (float)(m / u);
            double p = u * (double)sc;   /* exact: <= 24 + 24 significant bits */
            if (p == m || (double)(float)p != m)
                continue;
            uint32_t sb = bits_of_f32(sc);
            for (int k = 0; k < 4; k++)
                q[at + k] = (uint8_t)(sb >> (8 * k));
            int n = count_traps(s, c, q, z->total, w, y);
            if (n != 0)
                return n;
            break;   /* no trap after all (the scheme adds something): next element */
        }
    }
    memcpy(q + at, saved, 4);
    (void)f32_of_bits;
    return 0;
}

/* A constructed borrow (traps == 2) where one float32 scale multiplies
 * short element values, as in construct_trap: the scale s is the largest
 * float32 with u·s (exact in double) below 2^E, E odd, and kept when u·s
 * rounds up to 2^E in float32. Rounding that product to odd (the f16/bf16
 * path of the SIMD kernels, kernels/simd/simd.h) steps down from 2^E to the
 * float below it: the step borrows from the exponent, and with E odd (an
 * even biased exponent) from the float's top byte, which a kernel that
 * rounds to odd on the low bits only gets wrong. Returns how many elements
 * have the float32 value +-2^E, 0 when the scheme has no such scale or no
 * element works, -1 on error. */
static int construct_borrow(const qref_scheme *s, const vcase_def *c, uint8_t *q, const qref_qsizes *z, float *w)
{
    size_t at;
    if (z->tscale == 4)
        at = z->codes + z->scales + z->zeros + z->meta;
    else if (s->scale == QREF_SCALE_F32 && z->scales >= 4)
        at = z->codes;
    else
        return 0;
    uint8_t saved[4];
    memcpy(saved, q + at, 4);
    uint32_t one = bits_of_f32(1.0f);
    for (int k = 0; k < 4; k++)
        q[at + k] = (uint8_t)(one >> (8 * k));
    qref_qtensor t;
    qref_error e = { -1, -1, "" };
    if (qref_qtensor_load(s, c->rows, c->cols, q, z->total, &t, &e) != QREF_OK)
        return -1;
    qref_status st = qref_dequantize_as(&t, QREF_FMT_F32, w, &e);
    qref_qtensor_free(&t);
    if (st != QREF_OK)
        return -1;
    int64_t span = c->cols < 64 ? c->cols : 64;
    for (int64_t i = 0; i < span; i++) {
        uint32_t ub = bits_of_f32(w[i]);
        if (w[i] != w[i] || (ub & 0x7fffffffu) == 0 || (ub & 0x7fffffu) == 0 || ((ub >> 23) & 0xff) == 0)
            continue;   /* NaN, zero, a power of two or subnormal: u·s is exact or no borrow */
        double u = (double)w[i] < 0 ? -(double)w[i] : (double)w[i];
        int E = (int)((ub >> 23) & 0xff) - 127 - 3;   /* a scale near 2^-3 */
        E -= (E % 2 == 0);                              /* odd */
        if (E < -13 || E > 13)
            continue;   /* 2^E must be a normal f16 too */
        double two_e = pow2d(E);
        float sc = (float)(two_e / u);
        while (u * (double)sc >= two_e)
            sc = f32_of_bits(bits_of_f32(sc) - 1);
        double p = u * (double)sc;   /* exact: <= 24 + 24 significant bits */
        if ((double)(float)p != two_e)
            continue;   /* u·s is a float32, or rounds down */
        uint32_t sb = bits_of_f32(sc);
        for (int k = 0; k < 4; k++)
            q[at + k] = (uint8_t)(sb >> (8 * k));
        if (qref_qtensor_load(s, c->rows, c->cols, q, z->total, &t, &e) != QREF_OK)
            return -1;
        st = qref_dequantize_as(&t, QREF_FMT_F32, w, &e);
        qref_qtensor_free(&t);
        if (st != QREF_OK)
            return -1;
        int n = 0;
        for (size_t j = 0; j < (size_t)c->rows * (size_t)c->cols; j++)
            n += w[j] == (float)two_e || w[j] == -(float)two_e;
        if (n)
            return n;
        break;   /* the scheme adds something: no borrow after all */
    }
    memcpy(q + at, saved, 4);
    return 0;
}

void vgen_dequant(vfile *f)
{
    const vsuite *su = f->s;
    const qref_scheme *s = su->scheme;
    for (size_t i = 0; i < su->n_defs && vf_ok(f); i++) {
        const vcase_def *c = &su->cases[i];
        qcts_rng r;
        uint64_t seed;
        unsigned id = vf_begin(f, &r, &seed);
        qref_qsizes z;
        qref_error e = { -1, -1, "" };
        if (qref_qsizes_get(s, c->rows, c->cols, &z, &e) != QREF_OK) {
            vf_fail(f, QCTS_VEC_ERR_GEN, "%s: c%03u: %s", su->info.name, id, e.msg);
            return;
        }
        size_t n = (size_t)c->rows * (size_t)c->cols;
        float *w = malloc(n * sizeof *w);
        uint8_t *q = malloc(z.total + 1);
        uint32_t *y32 = malloc(n * sizeof *y32);
        if (!w || !q || !y32) {
            vf_fail(f, QCTS_VEC_ERR_NOMEM, "out of memory");
            goto next;
        }
        int traps = 0;
        if (c->dist == VD_RANDOM_BITS) {
            char msg[512];
            /* traps: random valid tensors until one has an element whose
             * f16/bf16 value differs from its float32 value rounded again
             * (a kernel that rounds twice fails it), at most TRAP_TRIES */
            for (int attempt = 0; attempt < (c->traps ? TRAP_TRIES : 1) && !traps; attempt++) {
                if (vin_random_qtensor(&r, s, c->rows, c->cols, c->traps ? 2 : 0, q, z.total, msg, sizeof msg)) {
                    vf_fail(f, QCTS_VEC_ERR_GEN, "%s: c%03u: %s", su->info.name, id, msg);
                    goto next;
                }
                if (c->traps == 2)
                    traps = construct_borrow(s, c, q, &z, w);
                else if (c->traps && (traps = construct_trap(&r, s, c, q, &z, w, y32)) == 0)
                    traps = count_traps(s, c, q, z.total, w, y32);
                if (c->traps && traps < 0) {
                    vf_fail(f, QCTS_VEC_ERR_GEN, "%s: c%03u: dequantize failed in the trap search",
                            su->info.name, id);
                    goto next;
                }
            }
        } else {
            vin_fill(&r, c->dist, c->rows, c->cols, 8, w);
            if (quantize_into(f, id, seed, w, c->rows, c->cols, q, z.total))
                goto next;
        }
        qref_qtensor t;
        qref_status st = qref_qtensor_load(s, c->rows, c->cols, q, z.total, &t, &e);
        if (st == QREF_OK) {
            if (c->out_dtype == QREF_FMT_F32) {
                st = qref_dequantize_as(&t, QREF_FMT_F32, w, &e);
                memcpy(y32, w, n * sizeof *y32);
            } else {
                st = qref_dequantize_as(&t, c->out_dtype, y32, &e);   /* n uint16_t codes */
            }
            qref_qtensor_free(&t);
        }
        if (st != QREF_OK) {
            vf_fail(f, QCTS_VEC_ERR_GEN, "%s: c%03u (seed 0x%016llx): dequantize: %s: %s", su->info.name, id,
                    (unsigned long long)seed, qref_status_name(st), e.msg);
            goto next;
        }
        vflags fl = { { 0 }, 0 };
        shape_flags(s, c->rows, c->cols, &fl);
        dist_flags(c->dist, &fl);
        if (c->out_dtype != QREF_FMT_F32)
            vflags_add(&fl, c->out_dtype == QREF_FMT_F16 ? "out_f16" : "out_bf16");
        if (c->cols % 8)
            vflags_add(&fl, "k8_odd");
        if (traps > 0)
            vflags_add(&fl, c->traps == 2 ? "odd_borrow" : "double_round");
        add_extra(c, &fl);
        vbuf p = { 0 };
        vb_printf(&p, "{\"scheme\":\"%s\",\"rows\":%lld,\"cols\":%lld,\"out_dtype\":\"%s\",\"sizes\":", s->name,
                  (long long)c->rows, (long long)c->cols, vdtype_name(c->out_dtype));
        vjson_sizes(&p, &z);
        vb_puts(&p, "}");
        vf_case(f, id, seed, "exact", &fl, vdist_name(c->dist), p.p);
        vb_free(&p);
        int64_t ys[2] = { c->rows, c->cols }, qs[1] = { (int64_t)z.total };
        vf_tensor(f, id, "in.q", QCTS_ST_U8, qs, 1, q, z.total);
        if (c->out_dtype == QREF_FMT_F32)
            vf_tensor_u32(f, id, "out.y", QCTS_ST_F32, y32, ys, 2);
        else
            vf_tensor_u16(f, id, "out.y", vdtype_st(c->out_dtype), (const uint16_t *)y32, ys, 2);
    next:
        free(w);
        free(q);
        free(y32);
    }
}
