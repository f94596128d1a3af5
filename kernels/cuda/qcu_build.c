/* A qcu_tensor (qcu.h) from a scheme preset and a shape: section offsets,
 * geometry and the decode tables, from ref/ (host code; no CUDA needed, so
 * the CPU unit test `cuda_decode` uses it too). */
#include <stdio.h>
#include <string.h>

#include "kernels/cuda/qcu_build.h"
#include "qref/blocks.h"
#include "qref/fmt.h"
#include "qref/marlin.h"
#include "qref/pack.h"
#include "qref/sparse.h"

static int say(char *why, size_t n, const char *msg, const char *scheme)
{
    if (why && n)
        snprintf(why, n, msg, scheme);
    return -1;
}

int qcu_tensor_setup(qcu_tensor *t, qcu_tables *tab, const qref_scheme *s, int64_t rows, int64_t cols,
                     const uint8_t *host_bytes, size_t len, char *why, size_t n)
{
    memset(t, 0, sizeof *t);
    memset(tab, 0, sizeof *tab);
    qref_qsizes z;
    qref_error e;
    memset(&e, 0, sizeof e);
    if (!s)
        return say(why, n, "%s: unknown scheme", "cuda");
    if (qref_qsizes_get(s, rows, cols, &z, &e) != QREF_OK) {
        if (why && n)
            snprintf(why, n, "%s", e.msg[0] ? e.msg : "shape does not fit the scheme");
        return -1;
    }
    if (host_bytes && len != z.total) {
        if (why && n)
            snprintf(why, n, "%s %lld x %lld: %zu bytes given, the tensor has %zu", s->name, (long long)rows,
                     (long long)cols, len, z.total);
        return -1;
    }
    t->rows = rows;
    t->cols = cols;
    t->vcols = cols;
    t->off_scales = (int64_t)z.codes;
    t->off_zeros = t->off_scales + (int64_t)z.scales;
    t->off_meta = t->off_zeros + (int64_t)z.zeros;
    t->total = (int64_t)z.total;
    t->tscale = 1.0f;
    if (z.tscale == 4 && host_bytes)
        memcpy(&t->tscale, host_bytes + z.total - 4, 4);   /* little-endian host */
    t->row_bytes = rows ? (int64_t)(z.codes / (size_t)rows) : 0;

    const qref_scheme *b = s;
    switch (s->family) {
    case QREF_FAMILY_GGUF:
        t->kind = QCU_GGUF;
        t->gguf_type = s->gguf_type;
        t->gguf_qk = s->group;
        t->gguf_bytes = (int)(t->row_bytes / (cols / s->group));
        t->layout = QCU_L_GGUF;
        break;
    case QREF_FAMILY_MARLIN:
    case QREF_FAMILY_SPARSE:
        b = qref_scheme_find(s->base);
        if (!b)
            return say(why, n, "%s: unknown base preset", s->name);
        t->kind = s->family == QREF_FAMILY_MARLIN ? QCU_MARLIN : QCU_SPARSE;
        break;
    case QREF_FAMILY_GROUP:
    case QREF_FAMILY_MX:
    case QREF_FAMILY_NVFP4:
        t->kind = QCU_GROUP;
        break;
    default: return say(why, n, "%s: no CUDA rule for this family", s->name);
    }
    const qref_fmt_info *fi = qref_fmt_get(b->elem);
    if (!fi)
        return say(why, n, "%s: unknown element format", s->name);
    t->bits = (int)fi->bits;
    for (uint32_t c = 0; c < 256 && c < (1u << (fi->bits > 8 ? 8 : fi->bits)); c++) {
        float v = 0.0f;
        if (fi->bits <= 8)
            qref_decode(b->elem, QREF_CONV_OCP, c, &v);
        tab->lut[c] = v;
    }
    if (t->kind == QCU_GGUF) {
        /* MXFP4/NVFP4 blocks: ggml's kvalues (E2M1 doubled; code 8 is +0) */
        for (uint32_t c = 0; c < 16; c++)
            tab->lut[c] = (float)qref_kvalues_mxfp4[c];
        memcpy(tab->iq2_grid, qref_iq2xxs_grid, sizeof tab->iq2_grid);
        memcpy(tab->iq3_grid, qref_iq3xxs_grid, sizeof tab->iq3_grid);
        memcpy(tab->ksigns, qref_ksigns_iq2xs, sizeof tab->ksigns);
        return 0;
    }
    t->layout = (int)b->layout;
    t->asym = b->zero == QREF_ZERO_INT;
    if (b->zero == QREF_ZERO_FLOAT)
        return say(why, n, "%s: float zero points have no CUDA rule", s->name);
    t->scale_fmt = (int)b->scale;
    t->has_tscale = b->tensor_scale;
    if (b->scale == QREF_SCALE_E8M0 || b->scale == QREF_SCALE_E4M3 || b->scale == QREF_SCALE_UE4M3)
        for (uint32_t c = 0; c < 256; c++)
            tab->slut[c] = (float)qref_scale_decode(b->scale, c);
    if (t->kind == QCU_SPARSE) {
        t->sp_n = s->sparse_n;
        t->sp_m = s->sparse_m;
        t->sp_bits = (int)qref_sparse_index_bits(s->sparse_m);
        t->vcols = cols / s->sparse_m * s->sparse_n;
        t->meta_row_bytes = 4 * (int64_t)qref_sparse_meta_words_per_row(cols, s->sparse_n, s->sparse_m);
    }
    if (b->group > 0) {
        t->glen = b->group;
        t->gpr = t->vcols / b->group;
    } else if (b->group == QREF_GROUP_ROW) {
        t->glen = t->vcols;
        t->gpr = 1;
    } else {
        t->glen = 0;
        t->gpr = 0;
    }
    if (t->kind == QCU_MARLIN) {
        t->layout = QCU_L_MARLIN;
        t->int4_marlin = b->elem == QREF_FMT_INT4;
        for (int i = 0; i < 1024; i++)
            tab->mperm_inv[i] = (uint16_t)qref_marlin_perm_inv(i);
        int single = cols / 128 == 1;
        for (int i = 0; i < (single ? 32 : 64); i++)
            tab->msperm_inv[i] = (uint8_t)qref_marlin_scale_perm_inv(single, i);
    }
    return 0;
}

void qcu_tensor_bind(qcu_tensor *t, const uint8_t *base, const qcu_tables *tab)
{
    t->codes = base;
    t->scales = base + t->off_scales;
    t->zeros = base + t->off_zeros;
    t->meta = base + t->off_meta;
    t->tab = tab;
}

int qcu_aq_plan(int mode, const qref_scheme *s, const qcu_tensor *t)
{
    const int int_elem = s->elem == QREF_FMT_INT8 || s->elem == QREF_FMT_INT4 || s->elem == QREF_FMT_INT3 ||
                         s->elem == QREF_FMT_INT2;
    const int int_gguf = t->kind == QCU_GGUF && (t->gguf_type == 2 || t->gguf_type == 8);
    if (mode == 5 && t->kind == QCU_GGUF && t->gguf_type == 3)
        return QCU_AQP_Q4_1;
    if ((mode == 1 || mode == 4) && int_gguf)
        return QCU_AQP_INT_GGUF;
    if (mode == 1 && t->kind == QCU_GROUP && !t->has_tscale && (t->asym || int_elem))
        return QCU_AQP_INT_GROUP;
    return QCU_AQP_FLOAT;
}

int qcu_qz_setup(qcu_qz *z, const qref_scheme *s, int64_t rows, int64_t cols, char *why, size_t n)
{
    memset(z, 0, sizeof *z);
    qcu_tensor t;
    qcu_tables tab;
    if (!s || qcu_tensor_setup(&t, &tab, s, rows, cols, NULL, 0, why, n) != 0)
        return -1;
    z->rows = rows, z->cols = cols;
    if (s->family == QREF_FAMILY_GGUF && (!strcmp(s->name, "gguf_q8_0") || !strcmp(s->name, "gguf_q4_0"))) {
        z->kind = !strcmp(s->name, "gguf_q8_0") ? QCU_QZ_Q8_0 : QCU_QZ_Q4_0;
        if (cols % 32 == 0)
            return 0;
    }
    const qref_fmt_info *info = qref_fmt_get(s->elem);
    const int sym = s->zero == QREF_ZERO_NONE && (s->elem == QREF_FMT_INT4 || s->elem == QREF_FMT_INT8);
    const int asym = s->zero == QREF_ZERO_INT && (s->elem == QREF_FMT_UINT2 || s->elem == QREF_FMT_UINT3 ||
                                                  s->elem == QREF_FMT_UINT4);
    if (s->family == QREF_FAMILY_GROUP && !s->tensor_scale && info && (sym || asym) &&
        (s->scale == QREF_SCALE_F16 || s->scale == QREF_SCALE_BF16 || s->scale == QREF_SCALE_F32) && t.glen > 0 &&
        t.gpr > 0 && cols % t.glen == 0 && (t.glen * t.bits) % 8 == 0) {
        z->kind = QCU_QZ_GROUP;
        z->bits = t.bits, z->asym = asym, z->scale_fmt = t.scale_fmt;
        z->M = info->max;
        z->lo = asym ? 0 : s->elem == QREF_FMT_INT8 ? -127 : -8;
        z->hi = asym ? (int)info->max : s->elem == QREF_FMT_INT8 ? 127 : 7;
        z->glen = t.glen, z->gpr = t.gpr, z->row_bytes = t.row_bytes;
        z->off_scales = t.off_scales, z->off_zeros = t.off_zeros;
        return 0;
    }
    if (why && n)
        snprintf(why, n, "quantize %s: only the integer group presets (int4_sym, int8 per channel, int*_asym) and "
                 "gguf_q8_0 / gguf_q4_0 have a cuda quantizer", s->name);
    return -1;
}
