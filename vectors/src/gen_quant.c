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
        if (c->dist == VD_RANDOM_BITS) {
            char msg[512];
            if (vin_random_qtensor(&r, s, c->rows, c->cols, 0, q, z.total, msg, sizeof msg)) {
                vf_fail(f, QCTS_VEC_ERR_GEN, "%s: c%03u: %s", su->info.name, id, msg);
                goto next;
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
