/* qref_plugin.c — a backend plugin built by tests/cli/test-install.sh
 * against an installed qcts alone: its headers (<qcts/backend.h> for the
 * ABI, <qref/fmt.h> for the format, convention and mode numbers: nothing
 * copied by hand) and libqref.so through pkg-config. Its convert delegates
 * to the reference codec, so every convert case must PASS.
 *   cc -shared -fPIC $(pkg-config --cflags qcts) qref_plugin.c \
 *      $(pkg-config --libs qref) -Wl,-rpath,$(pkg-config --variable=libdir qref) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qcts/backend.h>
#include <qref/fmt.h>

struct qcts_call {
    qcts_convert_desc d;
    qcts_buffers b;
};

static int available(char *why, size_t n)
{
    (void)why;
    (void)n;
    return 1;
}

static qcts_status convert(const qcts_convert_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                           size_t n)
{
    const qref_fmt_info *fi = qref_fmt_get((qref_fmt)d->fmt);
    if (!fi || d->convention >= QREF_CONV_COUNT || d->mode > QREF_MODE_NOSAT) {
        snprintf(msg, n, "format %u, convention %u or mode %u out of range", (unsigned)d->fmt,
                 (unsigned)d->convention, (unsigned)d->mode);
        return QCTS_ERROR;
    }
    qcts_call *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(msg, n, "out of memory");
        return QCTS_ERROR;
    }
    c->d = *d;
    c->b = *b;
    *call = c;
    return QCTS_OK;
}

static qcts_status run(qcts_call *c, char *msg, size_t n)
{
    qref_fmt f = (qref_fmt)c->d.fmt;
#ifdef WRONG_FORMAT_NUMBER
    /* What a hand-copied enum gets wrong: the test makes sure qcts sees it. */
    if (f == QREF_FMT_E4M3)
        f = QREF_FMT_E5M2;
#endif
    qref_conv cv = (qref_conv)c->d.convention;
    unsigned bits = qref_fmt_get(f)->bits;
    size_t w = bits <= 8 ? 1 : bits <= 16 ? 2 : 4;
    for (int64_t i = 0; i < c->d.n; i++) {
        uint32_t code = 0;
        if (c->d.decode) {
            memcpy(&code, (const unsigned char *)c->b.in[0] + w * (size_t)i, w);   /* little-endian host */
            float v;
            if (qref_decode(f, cv, code, &v) != QREF_OK) {
                snprintf(msg, n, "code 0x%x of element %lld does not decode", (unsigned)code, (long long)i);
                return QCTS_ERROR;
            }
            memcpy((unsigned char *)c->b.out[0] + 4 * (size_t)i, &v, 4);
        } else {
            float x;
            memcpy(&x, (const unsigned char *)c->b.in[0] + 4 * (size_t)i, 4);
            qref_status st = qref_encode(f, cv, (qref_mode)c->d.mode, x, &code);
            memcpy((unsigned char *)c->b.out[0] + w * (size_t)i, &code, w);
            if (c->b.out[1])
                ((unsigned char *)c->b.out[1])[i] = (unsigned char)st;
        }
    }
    return QCTS_OK;
}

static void release(qcts_call *c)
{
    free(c);
}

static const qcts_backend backend = {
    .abi_version = QCTS_BACKEND_ABI_VERSION,
    .struct_size = sizeof(qcts_backend),
    .name = "qref_plugin",
    .description = "convert through the installed libqref (install test)",
    .available = available,
    .convert = convert,
    .run = run,
    .release = release,
};

const qcts_backend *qcts_backend_entry(void);
const qcts_backend *qcts_backend_entry(void)
{
    return &backend;
}
