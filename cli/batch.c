/* batch.c — the conversions behind convert --in/--out, quant and dequant
 * (cli/batch.h), moved out of the commands unchanged so fuzz/ can call them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/batch.h"
#include "cli/scheme_opts.h"
#include "cli/text.h"

/* ---- convert --------------------------------------------------------------- */

static const char CONVERT[] = "convert";

/* Bytes per code in batch files. */
static size_t code_size(const qref_fmt_info *i)
{
    return i->bits <= 8 ? 1 : i->bits <= 16 ? 2 : 4;
}

static uint32_t get_le(const unsigned char *p, size_t n)
{
    uint32_t v = 0;
    for (size_t k = n; k-- > 0;)
        v = v << 8 | p[k];
    return v;
}

static void put_le(unsigned char *p, uint32_t v, size_t n)
{
    for (size_t k = 0; k < n; k++, v >>= 8)
        p[k] = (unsigned char)(v & 0xFF);
}

static float f32_from_bits(uint32_t u)
{
    float v;
    memcpy(&v, &u, sizeof v);
    return v;
}

/* Converts in[0..n) into a new buffer *out (*out_n bytes), or returns an
 * exit status after printing why. */
int qcts_batch_encode(const qcts_convert_job *j, const char *path, const unsigned char *in, size_t n,
                      unsigned char **out, size_t *out_n)
{
    if (n % 4 != 0)
        return qcts_fail(CONVERT, "%s: size %zu bytes is not a multiple of 4 (float32)", path, n);
    size_t count = n / 4, cs = code_size(j->info);
    unsigned char *buf = malloc(count * cs + 1);
    if (!buf)
        return qcts_fail(CONVERT, "%s: out of memory for %zu codes", path, count);
    for (size_t i = 0; i < count; i++) {
        uint32_t code = 0;
        float x = f32_from_bits(get_le(in + 4 * i, 4));
        qref_status st = qref_encode(j->fmt, j->conv, j->mode, x, &code);
        if (st != QREF_OK) {
            free(buf);
            if (st == QREF_ERR_NAN)
                return qcts_fail(CONVERT, "%s: element %zu is NaN, which %s cannot represent under "
                                 "convention %s; nothing written", path, i, j->info->name,
                                 qref_conv_name(j->conv));
            return qcts_fail(CONVERT, "%s: element %zu: %s; nothing written", path, i, qref_status_message(st));
        }
        put_le(buf + i * cs, code, cs);
    }
    *out = buf;
    *out_n = count * cs;
    return QCTS_EXIT_OK;
}

int qcts_batch_decode(const qcts_convert_job *j, const char *path, const unsigned char *in, size_t n,
                      unsigned char **out, size_t *out_n)
{
    const qref_fmt_info *info = j->info;
    size_t cs = code_size(info);
    if (n % cs != 0)
        return qcts_fail(CONVERT, "%s: size %zu bytes is not a multiple of %zu (%s codes)", path, n, cs, info->name);
    size_t count = n / cs;
    unsigned char *buf = malloc(count * 4 + 1);
    if (!buf)
        return qcts_fail(CONVERT, "%s: out of memory for %zu values", path, count);
    for (size_t i = 0; i < count; i++) {
        uint32_t code = get_le(in + i * cs, cs);
        float v;
        qref_status st = qref_decode(j->fmt, j->conv, code, &v);
        if (st != QREF_OK) {
            char hex[QCTS_TEXT_MAX];
            free(buf);
            qcts_text_code(hex, sizeof hex, code, info->bits);
            if (st == QREF_ERR_CODE)
                return qcts_fail(CONVERT, "%s: code %s at index %zu does not fit %s (%u bits); nothing written",
                                 path, hex, i, info->name, info->bits);
            return qcts_fail(CONVERT, "%s: code %s at index %zu: %s; nothing written",
                             path, hex, i, qref_status_message(st));
        }
        put_le(buf + 4 * i, qcts_f32_bits(v), 4);
    }
    *out = buf;
    *out_n = count * 4;
    return QCTS_EXIT_OK;
}

/* ---- quant and dequant --------------------------------------------------- */

int qcts_batch_quant(const qref_scheme *s, int64_t rows, int64_t cols, const char *path,
                     const unsigned char *in, size_t n, unsigned char **out, size_t *out_n)
{
    static const char CMD[] = "quant";
    int rc;
    size_t count = (size_t)rows * (size_t)cols;
    if (n != 4 * count)
        return qcts_fail(CMD, "%s: %zu bytes, but %lld x %lld float32 weights take %zu bytes", path, n,
                         (long long)rows, (long long)cols, 4 * count);
    float *w = malloc(count * sizeof *w);
    if (!w)
        return qcts_fail(CMD, "out of memory for %zu weights", count);
    for (size_t i = 0; i < count; i++) {
        const unsigned char *p = in + 4 * i;
        uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        memcpy(&w[i], &u, sizeof u);
    }

    qref_error e = { -1, -1, "" };
    qref_qtensor q;
    qref_status st = qref_quantize(s, rows, cols, w, &q, &e);
    free(w);
    if (st != QREF_OK)
        return qcts_qref_fail(CMD, path, s, st, &e);
    uint8_t *buf = malloc(q.sizes.total ? q.sizes.total : 1);
    if (!buf || (st = qref_qtensor_save(&q, buf, q.sizes.total)) != QREF_OK) {
        rc = buf ? qcts_fail(CMD, "cannot serialize the tensor: %s", qref_status_message(st))
                 : qcts_fail(CMD, "out of memory");
        free(buf);
        qref_qtensor_free(&q);
        return rc;
    }
    size_t total = q.sizes.total;
    qref_qtensor_free(&q);
    *out = buf;
    *out_n = total;
    return QCTS_EXIT_OK;
}

int qcts_batch_dequant(const qref_scheme *s, int64_t rows, int64_t cols, const qref_qsizes *z,
                       qref_fmt dtype, const char *path, const unsigned char *in, size_t n,
                       unsigned char **out, size_t *out_n)
{
    static const char CMD[] = "dequant";
    int rc;
    if (n != z->total)
        return qcts_fail(CMD, "%s: %zu bytes, but %s holds a %lld x %lld matrix in %zu bytes", path, n, s->name,
                         (long long)rows, (long long)cols, z->total);
    qref_error e = { -1, -1, "" };
    qref_qtensor q;
    qref_status st = qref_qtensor_load(s, rows, cols, in, n, &q, &e);
    if (st != QREF_OK)
        return qcts_qref_fail(CMD, path, s, st, &e);

    size_t count = (size_t)rows * (size_t)cols, width = dtype == QREF_FMT_F32 ? 4 : 2;
    void *vals = malloc(count * width);
    unsigned char *bytes = malloc(count * width);
    if (!vals || !bytes) {
        free(vals);
        free(bytes);
        qref_qtensor_free(&q);
        return qcts_fail(CMD, "out of memory for %zu weights", count);
    }
    st = qref_dequantize_as(&q, dtype, vals, &e);
    qref_qtensor_free(&q);
    if (st != QREF_OK) {
        rc = qcts_qref_fail(CMD, path, s, st, &e);
    } else {
        /* Little-endian on any host. */
        for (size_t i = 0; i < count; i++) {
            uint32_t u;
            if (width == 4)
                memcpy(&u, (const float *)vals + i, sizeof u);
            else
                u = ((const uint16_t *)vals)[i];
            for (size_t b = 0; b < width; b++)
                bytes[width * i + b] = (unsigned char)(u >> (8 * b));
        }
        rc = QCTS_EXIT_OK;
        *out = bytes;
        *out_n = count * width;
        bytes = NULL;
    }
    free(vals);
    free(bytes);
    return rc;
}
