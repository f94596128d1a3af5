/* Input generators: float matrices of each distribution, and random valid
 * quantized tensors of any scheme (for dequant suites, for IQ2_XXS/IQ3_XXS,
 * which have no quantizer, and for exact-fill GEMMs). Only integers, bit
 * patterns and exact float operations (products with powers of two,
 * integer conversions below 2^24): no libm. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "gen_impl.h"
#include "qref/bits.h"
#include "qref/blocks.h"
#include "qref/pack.h"
#include "qref/sparse.h"

static float pow2f(int e)   /* 2^e for -126 <= e <= 127 */
{
    return qref_f32_from_bits((uint32_t)(e + 127) << 23);
}

static int range(qcts_rng *r, int lo, int hi)   /* uniform integer in [lo, hi] */
{
    return lo + (int)qcts_rng_below(r, (uint64_t)(hi - lo + 1));
}

void vin_fill(qcts_rng *r, vdist d, int64_t rows, int64_t cols, int amax, float *out)
{
    for (int64_t i = 0; i < rows; i++) {
        float row_scale = d == VD_WIDE ? pow2f(range(r, -24, 12)) : 1.0f;
        for (int64_t k = 0; k < cols; k++) {
            float v;
            switch (d) {
            case VD_UNIFORM: v = qcts_rng_uniform(r); break;
            case VD_GRID: v = (float)range(r, -32, 32) * 0.25f; break;
            case VD_OUTLIERS:
                v = qcts_rng_gauss(r);
                if (qcts_rng_below(r, 64) == 0)
                    v *= 256.0f;
                break;
            case VD_ZEROS: v = 0.0f; break;
            case VD_INTEGERS: v = (float)range(r, -amax, amax); break;
            case VD_WIDE:
            case VD_GAUSS:
            default: v = qcts_rng_gauss(r) * row_scale; break;
            }
            out[i * cols + k] = v;
        }
    }
}

/* A random finite value (1 + k/8) * 2^e, e in [elo, ehi]; pow2: k = 0. */
static float rand_scale(qcts_rng *r, int pow2, int elo, int ehi)
{
    float m = pow2 ? 1.0f : 1.0f + (float)range(r, 0, 7) * 0.125f;
    return m * pow2f(range(r, elo, ehi));
}

/* 1 + a random 23-bit fraction, times 2^elo .. 2^ehi (exact: no libm). */
static float rand_scale_full(qcts_rng *r, int elo, int ehi)
{
    float m = 1.0f + (float)qcts_rng_below(r, 1u << 23) * 0x1p-23f;
    return m * pow2f(range(r, elo, ehi));
}

/* A random f16 code: random sign; pow2: 2^-3 .. 2^0, else 11 random
 * significant bits times 2^-10 .. 2^-1, or (1 in 16) a subnormal. */
static uint16_t rand_f16(qcts_rng *r, int pow2)
{
    uint16_t sign = (uint16_t)(qcts_rng_below(r, 2) << 15);
    if (pow2)
        return (uint16_t)(sign | (uint16_t)range(r, 12, 15) << 10);
    if (qcts_rng_below(r, 16) == 0)   /* 1 in 16: an f16 subnormal (exponent field 0, nonzero) */
        return (uint16_t)(sign | (uint16_t)(1 + qcts_rng_below(r, 1023)));
    return (uint16_t)(sign | (uint16_t)range(r, 5, 14) << 10 | (uint16_t)qcts_rng_below(r, 1024));
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

/* One random element code of format f that the scheme loaders accept (no
 * NaN/Inf FP8 codes, no INT8 -128). narrow: FP8 magnitudes keep within
 * 2^-2 .. 2^2 of 1 (exact-fill friendly), zero allowed. */
static uint8_t rand_code(qcts_rng *r, qref_fmt f, int narrow)
{
    const qref_fmt_info *fi = qref_fmt_get(f);
    for (;;) {
        uint8_t c = (uint8_t)qcts_rng_below(r, (uint64_t)1 << fi->bits);
        if (f == QREF_FMT_E4M3 || f == QREF_FMT_E5M2) {
            unsigned mb = (unsigned)fi->mbits, ex = (c & 0x7Fu) >> mb;
            if (ex == (f == QREF_FMT_E4M3 ? 15u : 31u) && (f == QREF_FMT_E5M2 || (c & 7u) == 7u))
                continue;   /* NaN or Inf */
            if (narrow && (c & 0x7Fu) != 0 && (ex + 2 < (unsigned)fi->bias || ex > (unsigned)fi->bias + 2))
                continue;
        }
        if (f == QREF_FMT_INT8 && c == 0x80)
            continue;
        return c;
    }
}

static int gguf_fill(qcts_rng *r, const qref_scheme *s, int pow2, uint8_t *buf, size_t bytes, char *err,
                     size_t errlen)
{
    size_t bsz;
    switch (s->gguf_type) {
    case 2: bsz = sizeof(qref_block_q4_0); break;
    case 3: bsz = sizeof(qref_block_q4_1); break;
    case 8: bsz = sizeof(qref_block_q8_0); break;
    case 12: bsz = sizeof(qref_block_q4_k); break;
    case 14: bsz = sizeof(qref_block_q6_k); break;
    case 16: bsz = sizeof(qref_block_iq2_xxs); break;
    case 18: bsz = sizeof(qref_block_iq3_xxs); break;
    case 39: bsz = sizeof(qref_block_mxfp4); break;
    case 40: bsz = sizeof(qref_block_nvfp4); break;
    default: vmsg(err, errlen, "%s: no random block generator for ggml type %d", s->name, s->gguf_type); return -1;
    }
    if (bytes % bsz != 0) {
        vmsg(err, errlen, "%s: %zu bytes is not a whole number of %zu-byte blocks", s->name, bytes, bsz);
        return -1;
    }
    for (size_t b = 0; b < bytes / bsz; b++) {
        uint8_t *p = buf + b * bsz;
        for (size_t i = 0; i < bsz; i++)
            p[i] = (uint8_t)(qcts_rng_next(r) >> 56);
        switch (s->gguf_type) {
        case 2: put16(p + offsetof(qref_block_q4_0, d), rand_f16(r, pow2)); break;
        case 3:
            put16(p + offsetof(qref_block_q4_1, d), rand_f16(r, pow2));
            put16(p + offsetof(qref_block_q4_1, m), rand_f16(r, pow2));
            break;
        case 8: put16(p + offsetof(qref_block_q8_0, d), rand_f16(r, pow2)); break;
        case 12:
            put16(p + offsetof(qref_block_q4_k, d), rand_f16(r, pow2));
            put16(p + offsetof(qref_block_q4_k, dmin), rand_f16(r, pow2));
            break;
        case 14: put16(p + offsetof(qref_block_q6_k, d), rand_f16(r, pow2)); break;
        case 16: put16(p + offsetof(qref_block_iq2_xxs, d), rand_f16(r, pow2)); break;
        case 18: put16(p + offsetof(qref_block_iq3_xxs, d), rand_f16(r, pow2)); break;
        case 39:   /* 1 in 8: E8M0 0..2, the subnormal and smallest scales (ggml halves them) */
            p[offsetof(qref_block_mxfp4, e)] = (uint8_t)(!pow2 && qcts_rng_below(r, 8) == 0
                                                              ? range(r, 0, 2)
                                                              : range(r, pow2 ? 125 : 118, pow2 ? 129 : 132));
            break;
        case 40:
            for (size_t j = 0; j < sizeof((qref_block_nvfp4 *)0)->d; j++) {
                /* 1 in 8: a code ggml treats specially: bit 7 set (ignored; 0xFF is 240), or 0x00 and
                 * 0x7F (scale 0, where negative codes give -0 and code 8 gives +0). */
                uint8_t code = pow2 ? (uint8_t)(range(r, 5, 8) << 3)
                               : qcts_rng_below(r, 8) == 0
                                   ? (uint8_t)(const uint8_t[]){ 0xFF, 0x81, 0xA5, 0x00, 0x7F }[qcts_rng_below(r, 5)]
                                   : (uint8_t)range(r, 0x01, 0x7E);
                p[offsetof(qref_block_nvfp4, d) + j] = code;
            }
            break;
        }
    }
    return 0;
}

/* Codes of a packed (GROUP, MX, NVFP4, SPARSE values) section: rows x n
 * codes, each row packed with the layout. */
static int packed_fill(qcts_rng *r, const qref_scheme *s, qref_layout layout, int64_t rows, int64_t n, int pow2,
                       uint8_t *buf, size_t bytes, char *err, size_t errlen)
{
    unsigned bits = qref_fmt_get(s->elem)->bits;
    size_t rb = qref_packed_row_bytes(layout, bits, n);
    if (rb == 0 || rb * (size_t)rows != bytes) {
        vmsg(err, errlen, "%s: codes section of %zu bytes is not %lld packed rows", s->name, bytes, (long long)rows);
        return -1;
    }
    uint8_t *codes = malloc((size_t)n + 1);
    if (!codes) {
        vmsg(err, errlen, "out of memory");
        return -1;
    }
    for (int64_t i = 0; i < rows; i++) {
        for (int64_t k = 0; k < n; k++)
            codes[k] = rand_code(r, s->elem, pow2);
        qref_pack_codes(layout, bits, codes, n, buf + (size_t)i * rb);
    }
    free(codes);
    return 0;
}

int vin_random_qtensor(qcts_rng *r, const qref_scheme *s, int64_t rows, int64_t cols, int pow2, uint8_t *buf,
                       size_t total, char *err, size_t errlen)
{
    qref_qsizes z;
    qref_error e = { -1, -1, "" };
    if (qref_qsizes_get(s, rows, cols, &z, &e) != QREF_OK || z.total != total) {
        vmsg(err, errlen, "%s: %lld x %lld: %s", s->name, (long long)rows, (long long)cols,
             e.msg[0] ? e.msg : "size mismatch");
        return -1;
    }
    /* pow2 2 (double-rounding traps): float32 scales with all 24
     * significant bits random, so code x scale needs more than 24 bits */
    int full = pow2 == 2;
    if (full)
        pow2 = 0;
    memset(buf, 0, total);
    uint8_t *codes = buf, *scales = codes + z.codes, *zeros = scales + z.scales, *meta = zeros + z.zeros,
            *tscale = meta + z.meta;
    int rc = 0;
    if (s->family == QREF_FAMILY_GGUF) {
        rc = gguf_fill(r, s, pow2, codes, z.codes, err, errlen);
    } else if (s->family == QREF_FAMILY_MARLIN) {
        for (size_t i = 0; i < z.codes; i++)   /* every nibble is a valid code */
            codes[i] = (uint8_t)(qcts_rng_next(r) >> 56);
    } else if (s->family == QREF_FAMILY_SPARSE) {
        const qref_scheme *base = qref_scheme_find(s->base);
        int64_t vcols = cols / s->sparse_m * s->sparse_n;
        rc = base ? packed_fill(r, s, base->layout, rows, vcols, pow2, codes, z.codes, err, errlen) : -1;
    } else {
        rc = packed_fill(r, s, s->layout, rows, cols, pow2, codes, z.codes, err, errlen);
    }
    if (rc)
        return rc;

    unsigned sb = qref_scale_fmt_bytes(s->scale);
    for (size_t i = 0; sb && i < z.scales / sb; i++) {
        uint32_t code;
        if (s->scale == QREF_SCALE_E8M0)
            code = (uint32_t)(!pow2 && qcts_rng_below(r, 8) == 0 ? range(r, 0, 2)   /* subnormal 2^-127.. */
                                                                  : 127 + (pow2 ? range(r, -2, 1) : range(r, -10, 4)));
        else if (full && s->scale == QREF_SCALE_F32)
            code = qref_f32_bits(rand_scale_full(r, -8, 1));
        else if (!pow2 && !full && qcts_rng_below(r, 16) == 0)   /* 1 in 16: a subnormal scale of the format */
            code = qref_scale_encode(s->scale, s->scale == QREF_SCALE_E4M3 || s->scale == QREF_SCALE_UE4M3
                                                   ? rand_scale(r, 0, -9, -7)
                                                   : s->scale == QREF_SCALE_F32 ? rand_scale(r, 0, -126, -120) * pow2f(-10)
                                                                                : rand_scale(r, 0, -23, -15));
        else if (s->scale == QREF_SCALE_E4M3 || s->scale == QREF_SCALE_UE4M3)
            code = qref_scale_encode(s->scale, rand_scale(r, pow2, pow2 ? -2 : -5, 1));
        else
            code = qref_scale_encode(s->scale, rand_scale(r, pow2, pow2 ? -2 : -8, 1));
        qref_scale_store(s->scale, scales, i, code);
    }
    if (s->zero == QREF_ZERO_INT) {
        unsigned qmax = (1u << qref_fmt_get(s->elem)->bits) - 1;
        for (size_t i = 0; i < z.zeros; i++)
            zeros[i] = (uint8_t)qcts_rng_below(r, qmax + 1);
    } else if (s->zero == QREF_ZERO_FLOAT) {
        for (size_t i = 0; i + 1 < z.zeros; i += 2)
            put16(zeros + i, rand_f16(r, pow2));
    }
    if (z.meta) {
        int n = s->sparse_n, m = s->sparse_m;
        uint8_t idx[256], perm[256];
        for (int64_t i = 0; i < rows; i++) {
            for (int64_t g = 0; g < cols / m; g++) {
                for (int j = 0; j < m; j++)
                    perm[j] = (uint8_t)j;
                for (int j = 0; j < n; j++) {   /* partial Fisher-Yates, then sort */
                    int k = j + (int)qcts_rng_below(r, (uint64_t)(m - j));
                    uint8_t t = perm[j];
                    perm[j] = perm[k];
                    perm[k] = t;
                }
                for (int j = 0; j < n; j++) {
                    int k = j;
                    while (k > 0 && idx[k - 1] > perm[j]) {
                        idx[k] = idx[k - 1];
                        k--;
                    }
                    idx[k] = perm[j];
                }
                qref_sparse_meta_set(meta, cols, n, m, i, g, idx);
            }
        }
    }
    if (z.tscale == 4) {
        uint32_t u = qref_f32_bits(full ? rand_scale_full(r, -8, 1) : rand_scale(r, pow2, pow2 ? -2 : -8, 1));
        for (int k = 0; k < 4; k++)
            tscale[k] = (uint8_t)(u >> (8 * k));
    }
    qref_qtensor t;
    qref_status st = qref_qtensor_load(s, rows, cols, buf, total, &t, &e);
    if (st != QREF_OK) {
        vmsg(err, errlen, "%s: a random tensor was rejected: %s: %s", s->name, qref_status_name(st), e.msg);
        return -1;
    }
    qref_qtensor_free(&t);
    return 0;
}
