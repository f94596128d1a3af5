/* Scheme family "group": round-to-nearest with one scale per group of
 * consecutive weights along K (fp4_*, int4_*, int3_*, int2_*, nf*, int8_*,
 * fp8_*). The rules, exactly (ref/README.md "Schemes" copies them):
 *
 * Groups. `group` consecutive elements of a row (cols must be a multiple of
 *   it, else QREF_ERR_SIZE naming the scheme, cols and group);
 *   QREF_GROUP_ROW: the whole row; QREF_GROUP_TENSOR: the whole matrix (one
 *   scale). Scales (and zero points) are stored row-major [rows][groups per
 *   row] in the scale format, little-endian; codes in the scheme's packing
 *   layout (qref/pack.h), row by row.
 *
 * All arithmetic below is IEEE float32 (each operation correctly rounded,
 *   nearest-even; -ffp-contract=off), amax/min/max are exact.
 *
 * Symmetric schemes (no zero point): amax = max |w| over the group and
 *   s = scale_encode(amax / M), M = the element's largest value:
 *     E2M1 6, FP8 E4M3 448, E5M2 57344, INT4 7, INT8 127, NF* 1 (so s = amax,
 *   the bitsandbytes absmax). scale_encode is qref_scale_encode: RNE to f16,
 *   bf16 or f32. With sd = the DECODED scale (the value stored), each
 *   element is code = qref_encode(elem, ocp, default mode, w / sd): RNE,
 *   saturating to the element range (FP4 +-6, FP8 +-max, INT4 [-8, 7], NF:
 *   nearest table value, ties to the even code). INT8 is clamped to
 *   [-127, 127]: -128 is never produced (symmetric range; it can only arise
 *   when sd is a subnormal far below amax/127).
 *   Dequant: w = value(code) * sd.
 * Asymmetric schemes (uint codes with a uint8 zero point, int*_asym):
 *   lo = min(min w, 0), hi = max(max w, 0), qmax = 2^bits - 1,
 *   s = scale_encode((hi - lo) / qmax), sd = decoded s,
 *   z = clamp(RNE(-lo / sd), 0, qmax), code = clamp(RNE(w / sd) + z, 0, qmax)
 *   (RNE to an integer of the float32 quotient, the sum in integers).
 *   Dequant: w = (code - z) * sd.
 * Zero scales. A group whose decoded scale is 0 (all zeros, or amax/M below
 *   half the scale format's smallest subnormal) gets codes 0 (and z = 0):
 *   it dequantizes to exact zeros. Nothing is ever divided by 0 and no NaN
 *   code is produced (w is finite; w / sd with sd > 0 finite is finite or
 *   +-Inf, which saturates).
 * Scale overflow. If the encoded scale is not finite (f16 scales: amax/M
 *   above 65519.99..., or hi - lo overflowing float32), quantize fails with
 *   QREF_ERR_DATA naming the row and block (the row is -1 for a per-tensor
 *   group): such a group has no representation in the scheme.
 *
 * Exact dequantization: value(code) * sd is a product of two float32 values
 *   whose significands have at most 24 bits each (INT and FP8/FP4 codes at
 *   most 8, f16/bf16 scales at most 11), so it has at most 48 significant
 *   bits and fits one double exactly; (code - z) is an integer of at most 8
 *   bits. lo is always 0.
 *
 * Load validation (validate): scales must be finite; zero points <= qmax;
 *   element codes must be finite values (FP8 NaN/Inf codes are rejected) and
 *   INT8 -128 (0x80) is rejected. Each is QREF_ERR_DATA naming the row and
 *   block. dequant_row itself decodes whatever bits it is given. */
#include <stdio.h>
#include <stdlib.h>

#include "minifloat.h"
#include "qref/bits.h"
#include "qref/pack.h"
#include "scheme_impl.h"

typedef struct geom {
    const qref_fmt_info *info;
    unsigned bits;
    int asym;
    int64_t glen;        /* elements per group in row-major (flat) order */
    int64_t groups;      /* groups in the whole matrix */
    int64_t per_row;     /* groups per row (1 for a per-tensor group) */
    size_t row_bytes;    /* packed bytes per row */
} geom;

static int scale_ok(qref_scale_fmt f)
{
    return f == QREF_SCALE_F32 || f == QREF_SCALE_F16 || f == QREF_SCALE_BF16;
}

static qref_status get_geom(const qref_scheme *s, int64_t rows, int64_t cols, geom *g, qref_error *err)
{
    const qref_fmt_info *info = qref_fmt_get(s->elem);
    int asym = s->zero == QREF_ZERO_INT;
    int elem_ok = info && (asym ? info->kind == QREF_KIND_INT && !info->is_signed
                                : s->zero == QREF_ZERO_NONE && info->bits <= 8 &&
                                      (info->kind == QREF_KIND_FLOAT || info->kind == QREF_KIND_CODEBOOK ||
                                       (info->kind == QREF_KIND_INT && info->is_signed)));
    if (!elem_ok || !scale_ok(s->scale) || !qref_pack_supported(s->layout, info->bits))
        return qref__fail(err, QREF_ERR_UNSUPPORTED, -1, -1,
                          "%s: the group family has no rule for element %s, scale %s, zero kind %d, layout %s",
                          s->name, info ? info->name : "?", qref_scale_fmt_name(s->scale), (int)s->zero,
                          qref_layout_name(s->layout));
    g->info = info;
    g->bits = info->bits;
    g->asym = asym;
    if (s->group > 0) {
        if (cols % s->group != 0)
            return qref__fail(err, QREF_ERR_SIZE, -1, -1,
                              "%s: cols = %lld is not a multiple of the group size %d", s->name,
                              (long long)cols, (int)s->group);
        g->glen = s->group;
        g->per_row = cols / s->group;
    } else if (s->group == QREF_GROUP_ROW) {
        g->glen = cols;
        g->per_row = 1;
    } else if (s->group == QREF_GROUP_TENSOR) {
        g->glen = rows * cols;
        g->per_row = 1;
    } else {
        return qref__fail(err, QREF_ERR_UNSUPPORTED, -1, -1, "%s: group size %d is not defined", s->name,
                          (int)s->group);
    }
    g->groups = rows * cols / g->glen;
    g->row_bytes = qref_packed_row_bytes(s->layout, g->bits, cols);
    return QREF_OK;
}

static qref_status sizes(const qref_scheme *s, int64_t rows, int64_t cols, qref_qsizes *out, qref_error *err)
{
    geom g;
    qref_status st = get_geom(s, rows, cols, &g, err);
    if (st != QREF_OK)
        return st;
    out->codes = (size_t)rows * g.row_bytes;
    out->scales = (size_t)g.groups * qref_scale_fmt_bytes(s->scale);
    out->zeros = g.asym ? (size_t)g.groups : 0;
    return QREF_OK;
}

static float absf(float x) { return qref_f32_from_bits(qref_f32_bits(x) & 0x7FFFFFFFu); }

static int finite64(double d) { return d - d == 0.0; }

/* Row and block of group gi, for messages (-1 row for a per-tensor group). */
static void where(const qref_qtensor *t, const geom *g, int64_t gi, int64_t *row, int64_t *block)
{
    if (t->scheme->group == QREF_GROUP_TENSOR) {
        *row = -1;
        *block = 0;
    } else {
        *row = gi / g->per_row;
        *block = gi % g->per_row;
    }
}

/* "row 3, block 1" or "the per-tensor group", for messages. */
static const char *loc_text(char *buf, size_t n, int64_t row, int64_t block)
{
    if (row < 0)
        snprintf(buf, n, "the per-tensor group");
    else
        snprintf(buf, n, "row %lld, block %lld", (long long)row, (long long)block);
    return buf;
}

/* Scale (and zero point) of one group of n weights. */
static qref_status group_params(const qref_scheme *s, const geom *g, const float *x, int64_t n,
                                uint32_t *scode, uint8_t *zero, float *sd_out)
{
    float t;
    float lo = 0.0f, hi = 0.0f, amax = 0.0f;
    if (g->asym) {
        for (int64_t i = 0; i < n; i++) {
            if (x[i] < lo)
                lo = x[i];
            if (x[i] > hi)
                hi = x[i];
        }
        t = (hi - lo) / g->info->max;
    } else {
        for (int64_t i = 0; i < n; i++)
            if (absf(x[i]) > amax)
                amax = absf(x[i]);
        t = amax / g->info->max;
    }
    *scode = qref_scale_encode(s->scale, t);
    double sd = qref_scale_decode(s->scale, *scode);
    if (!finite64(sd))
        return QREF_ERR_DATA;
    *sd_out = (float)sd;             /* f16/bf16/f32 values: exact */
    *zero = 0;
    if (g->asym && sd != 0.0) {
        uint32_t z = 0;
        qref_encode(s->elem, QREF_CONV_OCP, QREF_MODE_DEFAULT, -lo / *sd_out, &z);  /* RNE, [0, qmax] */
        *zero = (uint8_t)z;
    }
    return QREF_OK;
}

static uint8_t quant_elem(const qref_scheme *s, const geom *g, float x, float sd, uint8_t z)
{
    if (sd == 0.0f)
        return 0;
    float q = x / sd;
    if (g->asym) {
        uint32_t qb = qref_f32_bits(q);
        int64_t n = (int64_t)qref__round_abs_to_int(qb & 0x7FFFFFFFu, 0);   /* RNE, <= 2^31 */
        int64_t v = ((qb >> 31) ? -n : n) + z;
        int64_t qmax = ((int64_t)1 << g->bits) - 1;
        return (uint8_t)(v < 0 ? 0 : v > qmax ? qmax : v);
    }
    uint32_t c = 0;
    qref_encode(s->elem, QREF_CONV_OCP, QREF_MODE_DEFAULT, q, &c);   /* finite or +-Inf in: no error */
    if (s->elem == QREF_FMT_INT8 && c == 0x80u)
        c = 0x81u;                                                   /* -128 -> -127 */
    return (uint8_t)c;
}

static qref_status quantize(const qref_scheme *s, const float *w, qref_qtensor *t, qref_error *err)
{
    geom g;
    qref_status st = get_geom(s, t->rows, t->cols, &g, err);
    if (st != QREF_OK)
        return st;
    float *sdv = malloc(sizeof(float) * (size_t)g.groups);
    uint8_t *codes = malloc((size_t)t->cols);
    if (!sdv || !codes) {
        free(sdv);
        free(codes);
        return qref__fail(err, QREF_ERR_SIZE, -1, -1, "%s: out of memory", s->name);
    }
    /* Groups are contiguous in the row-major weights: group gi is
     * w[gi * glen, (gi + 1) * glen). */
    for (int64_t gi = 0; gi < g.groups && st == QREF_OK; gi++) {
        uint32_t scode;
        uint8_t z;
        if (group_params(s, &g, w + gi * g.glen, g.glen, &scode, &z, &sdv[gi]) != QREF_OK) {
            int64_t row, block;
            char lb[64];
            where(t, &g, gi, &row, &block);
            st = qref__fail(err, QREF_ERR_DATA, row, block,
                            "%s: the scale of %s overflows %s (its weights are too large for this scheme)",
                            s->name, loc_text(lb, sizeof lb, row, block), qref_scale_fmt_name(s->scale));
            break;
        }
        qref_scale_store(s->scale, t->scales, (size_t)gi, scode);
        if (g.asym)
            t->zeros[gi] = z;
    }
    for (int64_t r = 0; r < t->rows && st == QREF_OK; r++) {
        for (int64_t k = 0; k < t->cols; k++) {
            int64_t gi = (r * t->cols + k) / g.glen;
            uint8_t z = g.asym ? t->zeros[gi] : 0;
            codes[k] = quant_elem(s, &g, w[r * t->cols + k], sdv[gi], z);
        }
        qref_pack_codes(s->layout, g.bits, codes, t->cols, t->codes + (size_t)r * g.row_bytes);
    }
    free(sdv);
    free(codes);
    return st;
}

static qref_status dequant_row(const qref_qtensor *t, int64_t row, double *hi, double *lo, qref_error *err)
{
    const qref_scheme *s = t->scheme;
    geom g;
    qref_status st = get_geom(s, t->rows, t->cols, &g, err);
    if (st != QREF_OK)
        return st;
    const uint8_t *prow = t->codes + (size_t)row * g.row_bytes;
    int64_t cur = -1;
    double sd = 0.0;
    int z = 0;
    for (int64_t k = 0; k < t->cols; k++) {
        int64_t gi = (row * t->cols + k) / g.glen;
        if (gi != cur) {
            cur = gi;
            sd = qref_scale_decode(s->scale, qref_scale_load(s->scale, t->scales, (size_t)gi));
            z = g.asym ? t->zeros[gi] : 0;
        }
        uint8_t c = qref_packed_code(s->layout, g.bits, prow, k);
        if (g.asym) {
            hi[k] = (double)((int)c - z) * sd;
        } else {
            float v = 0.0f;
            qref_decode(s->elem, QREF_CONV_OCP, c, &v);
            hi[k] = (double)v * sd;
        }
        lo[k] = 0.0;
    }
    return QREF_OK;
}

static qref_status validate(const qref_qtensor *t, qref_error *err)
{
    const qref_scheme *s = t->scheme;
    geom g;
    qref_status st = get_geom(s, t->rows, t->cols, &g, err);
    if (st != QREF_OK)
        return st;
    int64_t row, block;
    char lb[64];
    for (int64_t gi = 0; gi < g.groups; gi++) {
        uint32_t sc = qref_scale_load(s->scale, t->scales, (size_t)gi);
        where(t, &g, gi, &row, &block);
        if (!finite64(qref_scale_decode(s->scale, sc)))
            return qref__fail(err, QREF_ERR_DATA, row, block, "%s: the %s scale of %s is not finite (code 0x%x)",
                              s->name, qref_scale_fmt_name(s->scale), loc_text(lb, sizeof lb, row, block), sc);
        if (g.asym && t->zeros[gi] > (1u << g.bits) - 1)
            return qref__fail(err, QREF_ERR_DATA, row, block, "%s: the zero point of %s is %u, above %u",
                              s->name, loc_text(lb, sizeof lb, row, block), t->zeros[gi], (1u << g.bits) - 1);
    }
    if (g.asym)
        return QREF_OK;
    for (int64_t r = 0; r < t->rows; r++) {
        const uint8_t *prow = t->codes + (size_t)r * g.row_bytes;
        for (int64_t k = 0; k < t->cols; k++) {
            uint8_t c = qref_packed_code(s->layout, g.bits, prow, k);
            float v = 0.0f;
            qref_decode(s->elem, QREF_CONV_OCP, c, &v);
            int int8_min = s->elem == QREF_FMT_INT8 && c == 0x80u;
            if (int8_min || !finite64((double)v)) {
                where(t, &g, (r * t->cols + k) / g.glen, &row, &block);
                return qref__fail(err, QREF_ERR_DATA, r, block,
                                  "%s: element code 0x%02x at row %lld, col %lld (block %lld) is %s", s->name, c,
                                  (long long)r, (long long)k, (long long)block,
                                  int8_min ? "-128, outside the scheme's range [-127, 127]" : "NaN or Inf");
            }
        }
    }
    return QREF_OK;
}

const qref__family_ops qref__ops_group = { sizes, quantize, dequant_row, validate };
