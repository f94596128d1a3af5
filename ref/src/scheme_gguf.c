/* Scheme family "gguf": ggml block types, byte-compatible with GGUF tensor
 * data and bit-compatible with ggml's reference quantizers. This file is the
 * family's dispatcher (sizes, per-block loops, error messages); the types
 * live in gguf_q32.c (Q4_0, Q4_1, Q8_0), gguf_k.c (Q4_K, Q6_K), gguf_fp4.c
 * (MXFP4, NVFP4) and gguf_iq.c (IQ2_XXS, IQ3_XXS). ref/SCHEMES-gguf.md says
 * what is and is not bit-exact with ggml.
 *
 * Layout: the codes section is the block array, row by row: row r, block b
 * (b < cols / block) at byte (r * (cols / block) + b) * sizeof(block), exactly
 * the data of a GGUF tensor with ne[0] = cols, ne[1] = rows. There are no
 * separate scales or zeros: the blocks carry them. */
#include <stdio.h>

#include "gguf_impl.h"

static const qref__gguf_type *const gguf_types[] = {
    &qref__gguf_q4_0, &qref__gguf_q4_1, &qref__gguf_q8_0, &qref__gguf_q4_k,    &qref__gguf_q6_k,
    &qref__gguf_mxfp4, &qref__gguf_nvfp4, &qref__gguf_iq2_xxs, &qref__gguf_iq3_xxs,
};

const qref__gguf_type *qref__gguf_type_of(int ggml_type)
{
    for (size_t i = 0; i < sizeof gguf_types / sizeof gguf_types[0]; i++)
        if (gguf_types[i]->ggml_type == ggml_type)
            return gguf_types[i];
    return NULL;
}

int qref__gguf_check_f16(const uint8_t *p, const char *field, char *why, size_t len)
{
    const uint16_t h = qref__le16(p);
    if ((h & 0x7C00) != 0x7C00)
        return 0;
    snprintf(why, len, "f16 %s is %s (0x%04x), which ggml_validate_row_data rejects", field,
             (h & 0x03FF) ? "NaN" : "infinite", (unsigned)h);
    return 1;
}

static const qref__gguf_type *type_for(const qref_scheme *s, qref_error *err)
{
    const qref__gguf_type *t = qref__gguf_type_of(s->gguf_type);
    if (!t || t->block != s->group)
        qref__fail(err, QREF_ERR_UNSUPPORTED, -1, -1, "%s: ggml type %d has no GGUF implementation in qcts", s->name,
                   s->gguf_type);
    return t && t->block == s->group ? t : NULL;
}

static qref_status sizes(const qref_scheme *s, int64_t rows, int64_t cols, qref_qsizes *out, qref_error *err)
{
    const qref__gguf_type *t = type_for(s, err);
    if (!t)
        return QREF_ERR_UNSUPPORTED;
    if (cols % t->block != 0)
        return qref__fail(err, QREF_ERR_SIZE, -1, -1,
                          "%s: cols = %lld is not a multiple of the %s block size %d (ggml blocks never span rows)",
                          s->name, (long long)cols, t->name, (int)t->block);
    /* rows * cols <= 2^40 (checked by the catalog), so this fits. */
    uint64_t bytes = (uint64_t)rows * (uint64_t)(cols / t->block) * (uint64_t)t->bytes;
    if (bytes > (uint64_t)SIZE_MAX)
        return qref__fail(err, QREF_ERR_SIZE, -1, -1, "%s: %llu bytes do not fit in memory", s->name,
                          (unsigned long long)bytes);
    out->codes = (size_t)bytes;
    out->scales = out->zeros = out->meta = 0;
    return QREF_OK;
}

static const uint8_t *block_at(const qref_qtensor *t, const qref__gguf_type *g, int64_t row, int64_t b)
{
    return t->codes + ((size_t)row * (size_t)(t->cols / g->block) + (size_t)b) * g->bytes;
}

static qref_status quantize(const qref_scheme *s, const float *w, qref_qtensor *t, qref_error *err)
{
    const qref__gguf_type *g = type_for(s, err);
    if (!g)
        return QREF_ERR_UNSUPPORTED;
    if (!g->quantize)
        return qref__fail(err, QREF_ERR_UNSUPPORTED, -1, -1, "%s: %s", s->name, g->no_quantize);
    const int64_t nb = t->cols / g->block;
    char why[160];
    for (int64_t r = 0; r < t->rows; r++) {
        for (int64_t b = 0; b < nb; b++) {
            uint8_t *blk = (uint8_t *)block_at(t, g, r, b);
            g->quantize(w + r * t->cols + b * g->block, blk);
            /* ggml would write the block anyway; qcts refuses to make a
             * tensor that ggml_validate_row_data (and qref_qtensor_load)
             * would reject. */
            if (g->check(blk, why, sizeof why))
                return qref__fail(err, QREF_ERR_DATA, r, b,
                                  "%s: row %lld, block %lld: the weights are outside what %s can hold: "
                                  "ggml's quantizer gives a block whose %s",
                                  s->name, (long long)r, (long long)b, g->name, why);
        }
    }
    return QREF_OK;
}

static qref_status check_row(const qref_qtensor *t, const qref__gguf_type *g, int64_t row, qref_error *err)
{
    char why[160];
    const int64_t nb = t->cols / g->block;
    for (int64_t b = 0; b < nb; b++)
        if (g->check(block_at(t, g, row, b), why, sizeof why))
            return qref__fail(err, QREF_ERR_DATA, row, b, "%s: row %lld, block %lld: %s", t->scheme->name,
                              (long long)row, (long long)b, why);
    return QREF_OK;
}

static qref_status dequant_row(const qref_qtensor *t, int64_t row, double *hi, double *lo, qref_error *err)
{
    const qref__gguf_type *g = type_for(t->scheme, err);
    if (!g)
        return QREF_ERR_UNSUPPORTED;
    qref_status st = check_row(t, g, row, err);
    if (st != QREF_OK)
        return st;
    const int64_t nb = t->cols / g->block;
    for (int64_t b = 0; b < nb; b++)
        g->dequant(block_at(t, g, row, b), hi + b * g->block, lo + b * g->block);
    return QREF_OK;
}

static qref_status validate(const qref_qtensor *t, qref_error *err)
{
    const qref__gguf_type *g = type_for(t->scheme, err);
    if (!g)
        return QREF_ERR_UNSUPPORTED;
    for (int64_t r = 0; r < t->rows; r++) {
        qref_status st = check_row(t, g, r, err);
        if (st != QREF_OK)
            return st;
    }
    return QREF_OK;
}

const qref__family_ops qref__ops_gguf = { sizes, quantize, dequant_row, validate };
