/* qcts_qview: a serialized qtensor seen in place (sections, row strides,
 * scale groups), and which schemes have float32-exact dequantized values. */
#include <stdio.h>
#include <string.h>

#include "kernels/simd/simd.h"
#include "qref/fmt.h"
#include "qref/pack.h"
#include "qref/sparse.h"

int qcts_qview_init_unchecked(qcts_qview *v, const qref_scheme *s, int64_t rows, int64_t cols,
                              const uint8_t *bytes, size_t len, char *why, size_t n)
{
    memset(v, 0, sizeof *v);
    qref_error e;
    memset(&e, 0, sizeof e);
    if (!s) {
        if (why && n)
            snprintf(why, n, "unknown scheme");
        return -1;
    }
    if (qref_qsizes_get(s, rows, cols, &v->sizes, &e) != QREF_OK) {
        if (why && n)
            snprintf(why, n, "%s", e.msg[0] ? e.msg : "shape does not fit the scheme");
        return -1;
    }
    if (len != v->sizes.total) {
        if (why && n)
            snprintf(why, n, "%s %lld x %lld: %zu bytes given, the tensor has %zu", s->name, (long long)rows,
                     (long long)cols, len, v->sizes.total);
        return -1;
    }
    v->s = s;
    v->base = s;
    v->rows = rows;
    v->cols = cols;
    v->vcols = cols;
    size_t off = 0;
    v->codes = v->sizes.codes ? bytes + off : NULL;
    off += v->sizes.codes;
    v->scales = v->sizes.scales ? bytes + off : NULL;
    off += v->sizes.scales;
    v->zeros = v->sizes.zeros ? bytes + off : NULL;
    off += v->sizes.zeros;
    v->meta = v->sizes.meta ? bytes + off : NULL;
    off += v->sizes.meta;
    v->tscale = 1.0f;
    if (v->sizes.tscale == 4)
        memcpy(&v->tscale, bytes + off, 4);   /* little-endian host (x86-64, arm64) */
    v->row_bytes = rows ? v->sizes.codes / (size_t)rows : 0;
    if (s->family == QREF_FAMILY_SPARSE) {
        const qref_scheme *b = qref_scheme_find(s->base);
        if (!b) {
            if (why && n)
                snprintf(why, n, "%s: unknown base preset", s->name);
            return -1;
        }
        v->base = b;
        v->vcols = cols / s->sparse_m * s->sparse_n;
        v->meta_row_bytes = 4 * qref_sparse_meta_words_per_row(cols, s->sparse_n, s->sparse_m);
    }
    const qref_scheme *b = v->base;
    const qref_fmt_info *fi = qref_fmt_get(b->elem);
    v->bits = fi ? fi->bits : 0;
    if (b->group > 0) {
        v->glen = b->group;
        v->gpr = v->vcols / b->group;
    } else if (b->group == QREF_GROUP_ROW) {
        v->glen = v->vcols;
        v->gpr = 1;
    } else {
        v->glen = v->vcols;
        v->gpr = 0;
    }
    return 0;
}

int qcts_qview_init(qcts_qview *v, const char *scheme, int64_t rows, int64_t cols, const uint8_t *bytes,
                    size_t len, char *why, size_t n)
{
    const qref_scheme *s = qref_scheme_find(scheme);
    if (!s) {
        if (why && n)
            snprintf(why, n, "unknown scheme \"%s\"", scheme ? scheme : "(null)");
        return -1;
    }
    if (qcts_qview_init_unchecked(v, s, rows, cols, bytes, len, why, n) != 0)
        return -1;
    qref_qtensor t;
    qref_error e;
    memset(&e, 0, sizeof e);
    qref_status st = qref_qtensor_load(s, rows, cols, bytes, len, &t, &e);
    if (st != QREF_OK) {
        if (why && n)
            snprintf(why, n, "%s", e.msg[0] ? e.msg : qref_status_message(st));
        return -1;
    }
    qref_qtensor_free(&t);
    return 0;
}

void qcts_qview_as_qtensor(const qcts_qview *v, qref_qtensor *t)
{
    memset(t, 0, sizeof *t);
    t->scheme = v->s;
    t->rows = v->rows;
    t->cols = v->cols;
    t->sizes = v->sizes;
    t->codes = (uint8_t *)(uintptr_t)v->codes;
    t->scales = (uint8_t *)(uintptr_t)v->scales;
    t->zeros = (uint8_t *)(uintptr_t)v->zeros;
    t->meta = (uint8_t *)(uintptr_t)v->meta;
    t->tensor_scale = v->tscale;
    t->storage = (uint8_t *)(uintptr_t)v->codes;   /* the serialized bytes start with codes; not owned */
}

/* See simd.h. The products below have few enough significant bits to be
 * float32 values, and their exponent range is inside float32's (down to
 * 2^-149) or they overflow every output type alike. */
int qcts_scheme_f32_exact(const qref_scheme *s)
{
    if (!s)
        return 0;
    switch (s->family) {
    case QREF_FAMILY_GROUP: {
        /* f16/bf16 scale (<= 11 significant bits) times an integer of <= 9
         * bits or an FP4/FP6/FP8 value (<= 4 bits); f32 scales and NF
         * tables have up to 24 bits: their products are rounded. */
        const qref_fmt_info *fi = qref_fmt_get(s->elem);
        if (!fi || fi->kind == QREF_KIND_CODEBOOK)
            return 0;
        return s->scale == QREF_SCALE_F16 || s->scale == QREF_SCALE_BF16;
    }
    case QREF_FAMILY_MX: return 1;       /* power of two times <= 4 bits */
    case QREF_FAMILY_NVFP4: return 0;    /* float32 tensor scale */
    case QREF_FAMILY_GGUF:
        /* Q4_0, Q8_0: f16 d times an integer; MXFP4, NVFP4: a power of two
         * or UE4M3/2 times an integer of <= 4 bits; IQ2_XXS, IQ3_XXS: f16 d
         * times (2s + 1) / 8 or / 4 (5 bits) times a grid magnitude (<= 6
         * bits), 22 bits at most, never below 2^-27. Q4_1, Q4_K (a sum) and
         * Q6_K (25 bits) are rounded. */
        return s->gguf_type == 2 || s->gguf_type == 8 || s->gguf_type == 39 || s->gguf_type == 40 ||
               s->gguf_type == 16 || s->gguf_type == 18;
    case QREF_FAMILY_SPARSE:
    case QREF_FAMILY_MARLIN: return qcts_scheme_f32_exact(qref_scheme_find(s->base));
    default: return 0;
    }
}
