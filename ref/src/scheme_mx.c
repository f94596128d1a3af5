/* Scheme family "mx": OCP Microscaling (MX v1.0) blocks — mxfp4, mxfp6_e2m3,
 * mxfp6_e3m2, mxfp8_e4m3, mxfp8_e5m2. The rules, exactly (ref/README.md
 * "Schemes" copies them):
 *
 * Blocks of 32 consecutive elements of a row (cols must be a multiple of 32,
 *   else QREF_ERR_SIZE), one E8M0 scale byte per block, stored row-major
 *   [rows][cols/32]; codes in the scheme's layout (qref/pack.h): mxfp4
 *   KMAJOR_U32 (element 2i in the low nibble of byte i), mxfp6 PACK24 (4 codes
 *   per 3 bytes), mxfp8 one byte per code.
 *
 * Scale (OCP MX v1.0 §6.3, qcts Part A rule 4): amax = max |w| over the
 *   block (exact). floor(log2(amax)) is read from the float32 bits of amax:
 *   exponent field - 127 for a normal amax; for a subnormal amax the position
 *   of its top mantissa bit p gives p - 149 (no libm). Then
 *       shared_exp = floor(log2(amax)) - emax_elem,
 *   emax_elem = the exponent of the element's largest binade:
 *       E2M1 2, E2M3 2, E3M2 4, E4M3 8, E5M2 15,
 *   clamped to [-127, 127]; the scale code is shared_exp + 127 and amax = 0
 *   gives code 0x00 (2^-127, the smallest scale). For float32 input the upper
 *   clamp is never reached (amax < 2^128 gives shared_exp <= 127 - emax_elem
 *   <= 125); the lower one is reached by every amax below 2^(emax_elem - 126)
 *   (all subnormal amax included).
 *
 * Elements: code = qref_encode(elem, ocp, default mode, w * 2^-shared_exp):
 *   RNE, saturating to +-max (elements with |w| / X above the element maximum
 *   are clamped, as the spec says; the floor rule allows |w| / X up to
 *   2^(emax_elem+1)). The multiplication is one float32 multiply by the
 *   power of two 2^-shared_exp (a normal float32: shared_exp is in
 *   [-127, 125]) and is exact unless the product is below 2^-126 (float32
 *   subnormal). It never overflows: |w| <= amax < 2^(shared_exp + emax_elem + 1).
 *   When it underflows, |w * 2^-shared_exp| < 2^-126 is far below half of
 *   the element's smallest subnormal (2^-16 at the smallest, E5M2), so the
 *   element is a (signed) zero however the product was rounded: every code
 *   is the RNE of the exact w / X.
 *
 * Dequant: w = value(code) * 2^(scale - 127), exact in one double (a power
 *   of two times a value of at most 4 significant bits); lo is 0. A 0xFF
 *   (NaN) scale decodes to NaN for its whole block, as the spec says; load()
 *   rejects it (validate: QREF_ERR_DATA naming the row and block), and also
 *   rejects FP8 element codes that are NaN or Inf. */
#include <stdlib.h>

#include "minifloat.h"
#include "qref/bits.h"
#include "qref/pack.h"
#include "scheme_impl.h"

#define MX_BLOCK 32

static int emax_of(qref_fmt f)
{
    switch (f) {
    case QREF_FMT_E2M1: return 2;
    case QREF_FMT_E2M3: return 2;
    case QREF_FMT_E3M2: return 4;
    case QREF_FMT_E4M3: return 8;
    case QREF_FMT_E5M2: return 15;
    default: return -1;
    }
}

static qref_status check(const qref_scheme *s, int64_t cols, unsigned *bits, size_t *row_bytes, qref_error *err)
{
    const qref_fmt_info *info = qref_fmt_get(s->elem);
    if (!info || emax_of(s->elem) < 0 || s->group != MX_BLOCK || s->scale != QREF_SCALE_E8M0 ||
        s->zero != QREF_ZERO_NONE || !qref_pack_supported(s->layout, info->bits))
        return qref__fail(err, QREF_ERR_UNSUPPORTED, -1, -1, "%s: not an MX scheme the reference implements",
                          s->name);
    if (cols % MX_BLOCK != 0)
        return qref__fail(err, QREF_ERR_SIZE, -1, -1, "%s: cols = %lld is not a multiple of the block size %d",
                          s->name, (long long)cols, MX_BLOCK);
    *bits = info->bits;
    *row_bytes = qref_packed_row_bytes(s->layout, info->bits, cols);
    return QREF_OK;
}

static qref_status sizes(const qref_scheme *s, int64_t rows, int64_t cols, qref_qsizes *out, qref_error *err)
{
    unsigned bits;
    size_t rb;
    qref_status st = check(s, cols, &bits, &rb, err);
    if (st != QREF_OK)
        return st;
    out->codes = (size_t)rows * rb;
    out->scales = (size_t)(rows * (cols / MX_BLOCK));
    return QREF_OK;
}

/* The E8M0 scale code of a block with amax bits a (sign cleared, finite). */
static int shared_exp_of(uint32_t a, int emax)
{
    if (a == 0)
        return -127;
    int fl = (a >> 23) ? (int)(a >> 23) - 127 : qref__msb(a) - 149;
    int se = fl - emax;
    return se < -127 ? -127 : se > 127 ? 127 : se;
}

static qref_status quantize(const qref_scheme *s, const float *w, qref_qtensor *t, qref_error *err)
{
    unsigned bits;
    size_t rb;
    qref_status st = check(s, t->cols, &bits, &rb, err);
    if (st != QREF_OK)
        return st;
    uint8_t *codes = malloc((size_t)t->cols);
    if (!codes)
        return qref__fail(err, QREF_ERR_SIZE, -1, -1, "%s: out of memory", s->name);
    int emax = emax_of(s->elem);
    int64_t nb = t->cols / MX_BLOCK;
    for (int64_t r = 0; r < t->rows; r++) {
        const float *wr = w + r * t->cols;
        for (int64_t b = 0; b < nb; b++) {
            const float *x = wr + b * MX_BLOCK;
            uint32_t amax = 0;
            for (int i = 0; i < MX_BLOCK; i++) {
                uint32_t a = qref_f32_bits(x[i]) & 0x7FFFFFFFu;   /* finite: bits order like values */
                if (a > amax)
                    amax = a;
            }
            int se = shared_exp_of(amax, emax);
            t->scales[r * nb + b] = (uint8_t)(se + 127);
            float inv = qref_f32_from_bits(qref__f32_bits_of_scaled(1, -se));   /* 2^-se, exact */
            for (int i = 0; i < MX_BLOCK; i++) {
                uint32_t c = 0;
                qref_encode(s->elem, QREF_CONV_OCP, QREF_MODE_DEFAULT, x[i] * inv, &c);
                codes[b * MX_BLOCK + i] = (uint8_t)c;
            }
        }
        qref_pack_codes(s->layout, bits, codes, t->cols, t->codes + (size_t)r * rb);
    }
    free(codes);
    return QREF_OK;
}

static qref_status dequant_row(const qref_qtensor *t, int64_t row, double *hi, double *lo, qref_error *err)
{
    const qref_scheme *s = t->scheme;
    unsigned bits;
    size_t rb;
    qref_status st = check(s, t->cols, &bits, &rb, err);
    if (st != QREF_OK)
        return st;
    const uint8_t *prow = t->codes + (size_t)row * rb;
    int64_t nb = t->cols / MX_BLOCK;
    for (int64_t k = 0; k < t->cols; k++) {
        double x = qref_scale_decode(QREF_SCALE_E8M0, t->scales[row * nb + k / MX_BLOCK]);  /* 0xFF: NaN */
        float v = 0.0f;
        qref_decode(s->elem, QREF_CONV_OCP, qref_packed_code(s->layout, bits, prow, k), &v);
        hi[k] = (double)v * x;
        lo[k] = 0.0;
    }
    return QREF_OK;
}

static qref_status validate(const qref_qtensor *t, qref_error *err)
{
    const qref_scheme *s = t->scheme;
    unsigned bits;
    size_t rb;
    qref_status st = check(s, t->cols, &bits, &rb, err);
    if (st != QREF_OK)
        return st;
    int64_t nb = t->cols / MX_BLOCK;
    for (int64_t r = 0; r < t->rows; r++) {
        for (int64_t b = 0; b < nb; b++)
            if (t->scales[r * nb + b] == 0xFFu)
                return qref__fail(err, QREF_ERR_DATA, r, b,
                                  "%s: the E8M0 scale of row %lld, block %lld is 0xFF (NaN)", s->name,
                                  (long long)r, (long long)b);
        const uint8_t *prow = t->codes + (size_t)r * rb;
        for (int64_t k = 0; k < t->cols; k++) {
            uint8_t c = qref_packed_code(s->layout, bits, prow, k);
            float v = 0.0f;
            qref_decode(s->elem, QREF_CONV_OCP, c, &v);
            uint32_t u = qref_f32_bits(v);
            if ((u & 0x7F800000u) == 0x7F800000u)
                return qref__fail(err, QREF_ERR_DATA, r, k / MX_BLOCK,
                                  "%s: element code 0x%02x at row %lld, col %lld (block %lld) is NaN or Inf",
                                  s->name, c, (long long)r, (long long)k, (long long)(k / MX_BLOCK));
        }
    }
    return QREF_OK;
}

const qref__family_ops qref__ops_mx = { sizes, quantize, dequant_row, validate };
