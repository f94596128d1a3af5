/* plugin_example.c — a complete qcts backend plugin, using nothing from qcts
 * but the ABI header (kernels/include/qcts/backend.h).
 *
 *   make                      (builds build/<config>/examples/plugin_example.so)
 *   qcts check --backend plugin:build/native/examples/plugin_example.so ...
 *
 * It implements
 *   convert  E4M3 and E5M2 (OCP FP8), encode and decode, convention ocp,
 *            modes default/sat (overflow -> +-max) and nosat (E4M3 -> NaN,
 *            E5M2 -> Inf), with its own bit-level rounding code;
 *   dequant  int8_per_channel to f32: w = code * scale[row], rounded once.
 * and answers QCTS_UNSUPPORTED, with the reason, for everything else, so
 * qcts reports SKIP there. Format and convention ids are the qref_fmt and
 * qref_conv enum values (ref/include/qref/fmt.h), copied below.
 *
 * Build: cc -std=c11 -O2 -fPIC -shared -Ikernels/include plugin_example.c -o x.so */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qcts/backend.h"

enum { FMT_E4M3 = 3, FMT_E5M2 = 4 };      /* qref_fmt */
enum { CONV_OCP = 0 };                    /* qref_conv */
enum { MODE_DEFAULT = 0, MODE_SAT = 1, MODE_NOSAT = 2 };

struct qcts_call {
    qcts_op op;
    qcts_convert_desc cv;
    int64_t rows, cols;
    qcts_buffers b;
};

static qcts_status say(qcts_status st, char *msg, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (msg && n)
        vsnprintf(msg, n, fmt, ap);
    va_end(ap);
    return st;
}

/* ---- FP8: m mantissa bits, smallest normal exponent emin ------------------ */

typedef struct fp8 {
    int m, emin;
    unsigned max_mag;       /* magnitude code of the largest finite value */
    unsigned nan_mag;       /* magnitude code written for NaN */
    unsigned nosat_mag;     /* overflow without saturation: NaN (E4M3) or Inf (E5M2) */
} fp8;

static const fp8 E4M3 = { 3, -6, 0x7E, 0x7F, 0x7F };
static const fp8 E5M2 = { 2, -14, 0x7B, 0x7E, 0x7C };

static unsigned fp8_encode(const fp8 *f, int sat, float x)
{
    uint32_t u;
    memcpy(&u, &x, 4);
    unsigned s = (u >> 31) << 7;
    uint32_t a = u & 0x7FFFFFFFu;
    unsigned over = sat ? f->max_mag : f->nosat_mag;
    if (a > 0x7F800000u)
        return s | f->nan_mag;
    if (a == 0x7F800000u)
        return s | over;
    int e = (int)(a >> 23) - 127;
    if ((a >> 23) == 0)
        return s;                                   /* float32 subnormals round to 0 */
    uint32_t sig = (a & 0x7FFFFFu) | 0x800000u;     /* value = sig * 2^(e-23) */
    int shift = 23 - f->m + (e < f->emin ? f->emin - e : 0);
    if (shift > 25)
        return s;                                   /* below half the smallest subnormal */
    uint32_t q = sig >> shift, rem = sig & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (q & 1)))
        q++;                                        /* round to nearest, ties to even */
    /* q counts quanta; a carry into the next binade falls out of the sum. */
    uint32_t mag = e < f->emin ? q : ((uint32_t)(e - f->emin + 1) << f->m) + q - (1u << f->m);
    return s | (mag > f->max_mag ? over : mag);
}

static float fp8_decode(const fp8 *f, unsigned code)
{
    unsigned mag = code & 0x7F;
    float sign = (code & 0x80) ? -1.0f : 1.0f;
    if (f == &E4M3 && mag == 0x7F)
        return copysignf(NAN, sign);
    if (f == &E5M2 && mag >= 0x7C)
        return copysignf(mag == 0x7C ? INFINITY : NAN, sign);
    unsigned ef = mag >> f->m, mf = mag & ((1u << f->m) - 1);
    if (ef == 0)
        return sign * ldexpf((float)mf, f->emin - f->m);
    return sign * ldexpf((float)((1u << f->m) + mf), (int)ef + f->emin - 1 - f->m);
}

/* ---- the ABI ----------------------------------------------------------------- */

static int available(char *why, size_t n)
{
    (void)why;
    (void)n;
    return 1;
}

static qcts_status convert(const qcts_convert_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                           size_t n)
{
    if (d->fmt != FMT_E4M3 && d->fmt != FMT_E5M2)
        return say(QCTS_UNSUPPORTED, msg, n, "plugin_example converts only e4m3 and e5m2 (format %u asked)",
                   (unsigned)d->fmt);
    if (d->convention != CONV_OCP)
        return say(QCTS_UNSUPPORTED, msg, n, "plugin_example implements only the ocp convention");
    if (d->mode > MODE_NOSAT)
        return say(QCTS_ERROR, msg, n, "mode %u out of range", (unsigned)d->mode);
    size_t in = (size_t)d->n * (d->decode ? 1 : 4), out = (size_t)d->n * (d->decode ? 4 : 1);
    if (!b->in[0] || b->in_bytes[0] < in || !b->out[0] || b->out_bytes[0] < out ||
        (!d->decode && b->out[1] && b->out_bytes[1] < (size_t)d->n))
        return say(QCTS_ERROR, msg, n, "buffers too small for n = %lld", (long long)d->n);
    qcts_call *c = calloc(1, sizeof *c);
    if (!c)
        return say(QCTS_ERROR, msg, n, "out of memory");
    c->op = QCTS_OP_CONVERT;
    c->cv = *d;
    c->b = *b;
    *call = c;
    return QCTS_OK;
}

static qcts_status dequant(const qcts_dequant_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                           size_t n)
{
    if (!d->scheme || strcmp(d->scheme, "int8_per_channel") != 0)
        return say(QCTS_UNSUPPORTED, msg, n, "plugin_example dequantizes only int8_per_channel, not %s",
                   d->scheme ? d->scheme : "(null)");
    if (d->out_dtype != QCTS_DT_F32)
        return say(QCTS_UNSUPPORTED, msg, n, "plugin_example dequantizes only to f32");
    /* Serialized tensor: rows*cols int8 codes, then rows float32 scales. */
    size_t need = (size_t)(d->rows * d->cols) + 4 * (size_t)d->rows;
    if (d->rows < 1 || d->cols < 1 || !b->in[0] || b->in_bytes[0] < need || !b->out[0] ||
        b->out_bytes[0] < 4 * (size_t)(d->rows * d->cols))
        return say(QCTS_ERROR, msg, n, "bad shape or buffers too small");
    qcts_call *c = calloc(1, sizeof *c);
    if (!c)
        return say(QCTS_ERROR, msg, n, "out of memory");
    c->op = QCTS_OP_DEQUANT;
    c->rows = d->rows;
    c->cols = d->cols;
    c->b = *b;
    *call = c;
    return QCTS_OK;
}

static qcts_status run(qcts_call *c, char *msg, size_t n)
{
    (void)msg;
    (void)n;
    if (c->op == QCTS_OP_CONVERT) {
        const fp8 *f = c->cv.fmt == FMT_E4M3 ? &E4M3 : &E5M2;
        int sat = c->cv.mode != MODE_NOSAT;
        for (int64_t i = 0; i < c->cv.n; i++) {
            if (c->cv.decode) {
                float v = fp8_decode(f, ((const uint8_t *)c->b.in[0])[i]);
                memcpy((uint8_t *)c->b.out[0] + 4 * i, &v, 4);
            } else {
                float x;
                memcpy(&x, (const uint8_t *)c->b.in[0] + 4 * i, 4);
                ((uint8_t *)c->b.out[0])[i] = (uint8_t)fp8_encode(f, sat, x);
                if (c->b.out[1])
                    ((uint8_t *)c->b.out[1])[i] = 0;   /* FP8 has NaN: always representable */
            }
        }
        return QCTS_OK;
    }
    const int8_t *codes = c->b.in[0];
    const uint8_t *scales = (const uint8_t *)c->b.in[0] + c->rows * c->cols;
    float *y = c->b.out[0];
    for (int64_t r = 0; r < c->rows; r++) {
        float s;
        memcpy(&s, scales + 4 * r, 4);
        for (int64_t k = 0; k < c->cols; k++)   /* exact in double, one rounding */
            y[r * c->cols + k] = (float)((double)codes[r * c->cols + k] * (double)s);
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
    .name = "plugin_example",
    .description = "example plugin: FP8 E4M3/E5M2 convert (ocp), int8_per_channel dequant to f32",
    .available = available,
    .convert = convert,
    .dequant = dequant,
    .run = run,
    .release = release,
};

const qcts_backend *qcts_backend_entry(void);
const qcts_backend *qcts_backend_entry(void)
{
    return &backend;
}
