/* Fuzz target: the batch readers of the CLI (cli/batch.c): convert
 * --in/--out (encode and decode), quant, and dequant (which loads the
 * serialized qtensor). The first bytes pick the command and its options,
 * the rest is the input file. For quant and dequant the input is cut or
 * zero-padded to the size the shape needs (the CLI refuses any other size
 * before parsing, so only that size reaches the reader). */
#include "fuzz/fuzz_common.h"
#include "cli/batch.h"

enum { HEAD = 6, MAX_COLS = 4096, MAX_ROWS = 8 };

static void convert(const uint8_t *h, const uint8_t *in, size_t n)
{
    qcts_convert_job j = { 0 };
    j.fmt = (qref_fmt)(h[1] % QREF_FMT_COUNT);
    j.info = qref_fmt_get(j.fmt);
    j.conv = (qref_conv)(h[2] % QREF_CONV_COUNT);
    j.mode = (qref_mode)(h[3] % 3);
    FUZZ_CHECK(j.info);
    qref_mode eff;
    int decode = h[0] & 2;
    if (!decode && qref_mode_resolve(j.fmt, j.conv, j.mode, &eff) == QREF_ERR_MODE)
        return;   /* the CLI stops at this usage error */
    unsigned char *out = NULL;
    size_t out_n = 0;
    int rc = decode ? qcts_batch_decode(&j, "fuzz.in", in, n, &out, &out_n)
                    : qcts_batch_encode(&j, "fuzz.in", in, n, &out, &out_n);
    if (rc == 0) {
        size_t cs = j.info->bits <= 8 ? 1 : j.info->bits <= 16 ? 2 : 4;
        FUZZ_CHECK(decode ? out_n == n / cs * 4 : out_n == n / 4 * cs);
        free(out);
    } else {
        FUZZ_CHECK(out == NULL);
    }
}

static void quant(const uint8_t *h, const uint8_t *in, size_t n)
{
    size_t ns = qref_scheme_count();
    FUZZ_CHECK(ns > 0);
    const qref_scheme *s = qref_scheme_at(h[1] % ns);
    int64_t rows = 1 + h[2] % MAX_ROWS, cols = 1 + ((size_t)h[3] | (size_t)h[4] << 8) % MAX_COLS;
    qref_qsizes z;
    qref_error e = { -1, -1, "" };
    if (qref_qsizes_get(s, rows, cols, &z, &e) != QREF_OK)
        return;   /* a usage error in the CLI */
    int dequant = h[0] & 2;
    size_t need = dequant ? z.total : (size_t)(rows * cols) * 4;
    unsigned char *buf = calloc(need ? need : 1, 1);
    FUZZ_CHECK(buf);
    memcpy(buf, in, n < need ? n : need);
    unsigned char *out = NULL;
    size_t out_n = 0;
    int rc;
    if (dequant) {
        static const qref_fmt dtypes[3] = { QREF_FMT_F32, QREF_FMT_F16, QREF_FMT_BF16 };
        qref_fmt dt = dtypes[h[5] % 3];
        rc = qcts_batch_dequant(s, rows, cols, &z, dt, "fuzz.q", buf, need, &out, &out_n);
        if (rc == 0)
            FUZZ_CHECK(out_n == (size_t)(rows * cols) * (dt == QREF_FMT_F32 ? 4 : 2));
    } else {
        rc = qcts_batch_quant(s, rows, cols, "fuzz.f32", buf, need, &out, &out_n);
        if (rc == 0) {
            /* What quant writes, dequant must read. */
            unsigned char *back = NULL;
            size_t back_n = 0;
            FUZZ_CHECK(out_n == z.total);
            int rc2 = qcts_batch_dequant(s, rows, cols, &z, QREF_FMT_F32, "fuzz.q", out, out_n, &back, &back_n);
            FUZZ_CHECK(rc2 == 0 && back_n == need);
            free(back);
        }
    }
    if (rc == 0)
        free(out);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < HEAD)
        return 0;
    if (data[0] & 1)
        quant(data, data + HEAD, size - HEAD);
    else
        convert(data, data + HEAD, size - HEAD);
    return 0;
}
