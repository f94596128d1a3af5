/* tiny_plugin.h — the skeleton of the deliberately broken plugins that test
 * the harness itself (each *.c here defines its bug, then includes this).
 * Correct by default: dequant of int8_per_channel to f32 (w = code * scale
 * of the row, one rounding) and, when TINY_CONVERT is defined, FP8
 * E4M3/E5M2 convert through TINY_CONVERT(fmt, x) -> code (decode is not
 * offered). Hooks, each with a harmless default:
 *   TINY_NAME                 backend name
 *   TINY_DEQUANT_COUNT(n)     how many of the n outputs dequant writes
 *   TINY_AFTER_DEQUANT(y, n)  runs after y[0..n) was written
 *   TINY_BEFORE_RUN()         runs at the start of every run
 *   TINY_VARIANT              a variant() function (default: none)
 * Uses only qcts/backend.h. */
#include <stdlib.h>
#include <string.h>

#include "qcts/backend.h"

#ifndef TINY_DEQUANT_COUNT
#define TINY_DEQUANT_COUNT(n) (n)
#endif
#ifndef TINY_AFTER_DEQUANT
#define TINY_AFTER_DEQUANT(y, n) ((void)0)
#endif
#ifndef TINY_BEFORE_RUN
#define TINY_BEFORE_RUN() ((void)0)
#endif

struct qcts_call {
    qcts_op op;
    int64_t rows, cols, n;
    uint32_t fmt;
    qcts_buffers b;
};

static qcts_status tiny_say(qcts_status st, char *msg, size_t n, const char *text)
{
    if (msg && n) {
        strncpy(msg, text, n - 1);
        msg[n - 1] = '\0';
    }
    return st;
}

static int tiny_available(char *why, size_t n)
{
    (void)why;
    (void)n;
    return 1;
}

static qcts_status tiny_dequant(const qcts_dequant_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                                size_t n)
{
    if (!d->scheme || strcmp(d->scheme, "int8_per_channel") != 0 || d->out_dtype != QCTS_DT_F32)
        return tiny_say(QCTS_UNSUPPORTED, msg, n, TINY_NAME " does int8_per_channel to f32 only");
    qcts_call *c = calloc(1, sizeof *c);
    if (!c)
        return tiny_say(QCTS_ERROR, msg, n, "out of memory");
    c->op = QCTS_OP_DEQUANT;
    c->rows = d->rows;
    c->cols = d->cols;
    c->b = *b;
    *call = c;
    return QCTS_OK;
}

#ifdef TINY_CONVERT
static qcts_status tiny_convert(const qcts_convert_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                                size_t n)
{
    if ((d->fmt != 3 && d->fmt != 4) || d->decode)   /* qref_fmt: 3 e4m3, 4 e5m2 */
        return tiny_say(QCTS_UNSUPPORTED, msg, n, TINY_NAME " encodes e4m3 and e5m2 only");
    qcts_call *c = calloc(1, sizeof *c);
    if (!c)
        return tiny_say(QCTS_ERROR, msg, n, "out of memory");
    c->op = QCTS_OP_CONVERT;
    c->n = d->n;
    c->fmt = d->fmt;
    c->b = *b;
    *call = c;
    return QCTS_OK;
}
#endif

static qcts_status tiny_run(qcts_call *c, char *msg, size_t n)
{
    (void)msg;
    (void)n;
    TINY_BEFORE_RUN();
#ifdef TINY_CONVERT
    if (c->op == QCTS_OP_CONVERT) {
        for (int64_t i = 0; i < c->n; i++) {
            float x;
            memcpy(&x, (const char *)c->b.in[0] + 4 * i, 4);
            ((uint8_t *)c->b.out[0])[i] = (uint8_t)TINY_CONVERT(c->fmt, x);
            if (c->b.out[1])
                ((uint8_t *)c->b.out[1])[i] = 0;
        }
        return QCTS_OK;
    }
#endif
    const int8_t *q = c->b.in[0];
    const char *scales = (const char *)c->b.in[0] + c->rows * c->cols;
    float *y = c->b.out[0];
    int64_t total = c->rows * c->cols, count = TINY_DEQUANT_COUNT(total);
    for (int64_t i = 0; i < count; i++) {
        float s;
        memcpy(&s, scales + 4 * (i / c->cols), 4);
        y[i] = (float)((double)q[i] * (double)s);
    }
    TINY_AFTER_DEQUANT(y, total);
    return QCTS_OK;
}

static void tiny_release(qcts_call *c)
{
    free(c);
}

static const qcts_backend tiny_backend = {
    .abi_version = QCTS_BACKEND_ABI_VERSION,
    .struct_size = sizeof(qcts_backend),
    .name = TINY_NAME,
    .description = "deliberately broken plugin for the harness tests (conformance/tests/plugins)",
    .available = tiny_available,
    .dequant = tiny_dequant,
#ifdef TINY_CONVERT
    .convert = tiny_convert,
#endif
#ifdef TINY_VARIANT
    .variant = TINY_VARIANT,
#endif
    .run = tiny_run,
    .release = tiny_release,
};

const qcts_backend *qcts_backend_entry(void);
const qcts_backend *qcts_backend_entry(void)
{
    return &tiny_backend;
}
