/* Scheme family "nvfp4": E2M1 elements in blocks of 16 with an FP8 E4M3
 * block scale and a float32 per-tensor scale, following torchao
 * nvfp4_tensor.py (two-level scaling) as summarised in FORMATS.md §2. The
 * rules, exactly (ref/README.md "Schemes" copies them):
 *
 * Layout. Blocks of 16 consecutive elements of a row (cols must be a
 *   multiple of 16, else QREF_ERR_SIZE); one E4M3 byte per block, row-major
 *   [rows][cols/16]; codes KMAJOR_U32 (element 2i in the low nibble of byte
 *   i); the float32 tensor scale S is t->tensor_scale (the last 4 bytes of
 *   the serialized tensor, little-endian).
 *
 * All arithmetic is IEEE float32, each operation rounded to nearest even:
 *   S = amax_tensor / 2688            (2688 = 448 * 6, exact)
 *   If amax_tensor = 0, or S rounds to 0 (amax_tensor below about
 *   2^-138.6), then S = 1.0 and every scale and code is 0: the tensor
 *   dequantizes to zeros (torchao would divide by zero there).
 *   Otherwise, for each block:
 *   r = (amax_block / 6) / S, clamped to [2^-6, 448] (FORMATS.md literally:
 *       torchao clamps to [finfo(e4m3).tiny, 448], so a block of zeros in a
 *       non-zero tensor gets scale 2^-6, code 0x08),
 *   b = E4M3(r) rounded to nearest even (in range after the clamp),
 *   T = S * value(b),
 *   code = E2M1(w / T): RNE, saturating to +-6 (torchao clamps w / T to
 *       [-6, 6] first: the same codes). If T rounds to 0 (only possible when
 *       S is a float32 subnormal) the block's codes are 0.
 *   Element -0 codes (0x8) are kept where w / T is a negative value that
 *   rounds to 0.
 *
 * Dequant: w = value(code) * value(b) * S. value(code) * value(b) has at
 *   most 2 + 4 significant bits and S at most 24, so the product is exact in
 *   one double (lo = 0); note it uses the exact product S * value(b), not the
 *   float32 T that chose the codes.
 *
 * Load validation: a block scale that is NaN (0x7F, 0xFF) or has its sign
 *   bit set is QREF_ERR_DATA naming the row and block (cuBLAS reads the byte
 *   as UE4M3, ignoring the sign, so a signed byte would mean two different
 *   things); the catalog rejects a non-finite tensor scale. */
#include <stdlib.h>

#include "qref/bits.h"
#include "qref/pack.h"
#include "scheme_impl.h"

#define NV_BLOCK 16

static qref_status check(const qref_scheme *s, int64_t cols, size_t *row_bytes, qref_error *err)
{
    if (s->elem != QREF_FMT_E2M1 || s->group != NV_BLOCK || s->scale != QREF_SCALE_E4M3 || !s->tensor_scale ||
        s->zero != QREF_ZERO_NONE || !qref_pack_supported(s->layout, 4))
        return qref__fail(err, QREF_ERR_UNSUPPORTED, -1, -1, "%s: not an NVFP4 scheme the reference implements",
                          s->name);
    if (cols % NV_BLOCK != 0)
        return qref__fail(err, QREF_ERR_SIZE, -1, -1, "%s: cols = %lld is not a multiple of the block size %d",
                          s->name, (long long)cols, NV_BLOCK);
    *row_bytes = qref_packed_row_bytes(s->layout, 4, cols);
    return QREF_OK;
}

static qref_status sizes(const qref_scheme *s, int64_t rows, int64_t cols, qref_qsizes *out, qref_error *err)
{
    size_t rb;
    qref_status st = check(s, cols, &rb, err);
    if (st != QREF_OK)
        return st;
    out->codes = (size_t)rows * rb;
    out->scales = (size_t)(rows * (cols / NV_BLOCK));
    return QREF_OK;
}

static float absf(float x) { return qref_f32_from_bits(qref_f32_bits(x) & 0x7FFFFFFFu); }

static qref_status quantize(const qref_scheme *s, const float *w, qref_qtensor *t, qref_error *err)
{
    size_t rb;
    qref_status st = check(s, t->cols, &rb, err);
    if (st != QREF_OK)
        return st;
    int64_t n = t->rows * t->cols, nb = t->cols / NV_BLOCK;
    float amax_t = 0.0f;
    for (int64_t i = 0; i < n; i++)
        if (absf(w[i]) > amax_t)
            amax_t = absf(w[i]);
    float S = amax_t / 2688.0f;
    t->tensor_scale = 1.0f;
    if (S == 0.0f)
        return QREF_OK;                       /* storage is zero-filled: scales and codes 0 */
    t->tensor_scale = S;
    uint8_t *codes = malloc((size_t)t->cols);
    if (!codes)
        return qref__fail(err, QREF_ERR_SIZE, -1, -1, "%s: out of memory", s->name);
    for (int64_t r = 0; r < t->rows; r++) {
        for (int64_t b = 0; b < nb; b++) {
            const float *x = w + r * t->cols + b * NV_BLOCK;
            float amax = 0.0f;
            for (int i = 0; i < NV_BLOCK; i++)
                if (absf(x[i]) > amax)
                    amax = absf(x[i]);
            float q = (amax / 6.0f) / S;      /* finite: S >= amax_t / 2688 / 2 > 0 */
            if (!(q >= 0x1p-6f))
                q = 0x1p-6f;
            if (q > 448.0f)
                q = 448.0f;
            uint32_t bc = qref_scale_encode(QREF_SCALE_E4M3, q);
            t->scales[r * nb + b] = (uint8_t)bc;
            float T = S * (float)qref_scale_decode(QREF_SCALE_E4M3, bc);
            for (int i = 0; i < NV_BLOCK; i++) {
                uint32_t c = 0;
                if (T != 0.0f)
                    qref_encode(QREF_FMT_E2M1, QREF_CONV_OCP, QREF_MODE_DEFAULT, x[i] / T, &c);
                codes[b * NV_BLOCK + i] = (uint8_t)c;
            }
        }
        qref_pack_codes(s->layout, 4, codes, t->cols, t->codes + (size_t)r * rb);
    }
    free(codes);
    return QREF_OK;
}

static qref_status dequant_row(const qref_qtensor *t, int64_t row, double *hi, double *lo, qref_error *err)
{
    const qref_scheme *s = t->scheme;
    size_t rb;
    qref_status st = check(s, t->cols, &rb, err);
    if (st != QREF_OK)
        return st;
    const uint8_t *prow = t->codes + (size_t)row * rb;
    int64_t nb = t->cols / NV_BLOCK;
    double S = t->tensor_scale;
    for (int64_t k = 0; k < t->cols; k++) {
        double b = qref_scale_decode(QREF_SCALE_E4M3, t->scales[row * nb + k / NV_BLOCK]);
        double e = qref_e2m1_to_f32(qref_packed_code(s->layout, 4, prow, k));
        hi[k] = e * b * S;                    /* e * b: <= 6 bits, then * S: <= 30 bits */
        lo[k] = 0.0;
    }
    return QREF_OK;
}

static qref_status validate(const qref_qtensor *t, qref_error *err)
{
    const qref_scheme *s = t->scheme;
    size_t rb;
    qref_status st = check(s, t->cols, &rb, err);
    if (st != QREF_OK)
        return st;
    int64_t nb = t->cols / NV_BLOCK;
    for (int64_t r = 0; r < t->rows; r++)
        for (int64_t b = 0; b < nb; b++) {
            uint8_t c = t->scales[r * nb + b];
            if ((c & 0x80u) || c == 0x7Fu)
                return qref__fail(err, QREF_ERR_DATA, r, b,
                                  "%s: the E4M3 block scale of row %lld, block %lld is 0x%02x (%s)", s->name,
                                  (long long)r, (long long)b, c,
                                  (c & 0x7Fu) == 0x7Fu ? "NaN" : "sign bit set; block scales are unsigned");
        }
    return QREF_OK;
}

const qref__family_ops qref__ops_nvfp4 = { sizes, quantize, dequant_row, validate };
