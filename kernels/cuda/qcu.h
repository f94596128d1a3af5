/* kernels/cuda/qcu.h — a serialized quantized matrix (qref/scheme.h) as the
 * CUDA kernels see it, and the exact value of one weight, for host and
 * device alike (__host__ __device__: the CPU unit test `cuda_decode` runs
 * the very same functions against ref/ on machines without a GPU).
 *
 * Every rule below is a transcription of ref/ (file named per family); the
 * value is computed in double, where each of them is exact (at most 32
 * significant bits: a code of <= 8 bits times a scale of <= 24 bits, times
 * NVFP4's float32 tensor scale; GGUF Q4_1/Q4_K sums are multiples of 2^-24
 * below 2^28), so one rounding to the output type is the correctly rounded
 * exact value. f16/bf16 outputs go through float32 rounded to odd
 * (qcu_f32_odd): RNE of that is the single rounding of the exact value
 * (f32 has >= 2 more bits than f16/bf16 at every exponent).
 *
 * Element codes (and 8-bit scale codes) are decoded through 256-entry
 * tables filled at prepare from qref_decode / qref_scale_decode: the
 * generic path checks layouts, groups and arithmetic; the fast GEMV kernels
 * (gemv_fast.cu) decode their codes themselves. */
#ifndef QCTS_KERNELS_CUDA_QCU_H
#define QCTS_KERNELS_CUDA_QCU_H

#include <stdint.h>
#include <math.h>
#include <string.h>

#ifdef __CUDACC__
#define QCU_HD __host__ __device__ __forceinline__
#include <cuda_fp16.h>
#else
#define QCU_HD static inline
#endif

/* kind: how a weight is found (not qref_family: MX and NVFP4 are the group
 * rule with an 8-bit scale table and, for NVFP4, a tensor scale). */
enum { QCU_GROUP = 0, QCU_GGUF = 1, QCU_MARLIN = 2, QCU_SPARSE = 3 };
/* How the quantized-activation GEMM (actq_rows.h) forms a product
 * (qcu_aq_plan in qcu_build.c chooses): float32 per activation block;
 * int32 units of int8 token x integer group presets; of int8 token / Q8_0 x
 * gguf_q4_0 / gguf_q8_0; Q8_1 x gguf_q4_1 (ggml's formula). */
enum { QCU_AQP_FLOAT = 0, QCU_AQP_INT_GROUP = 1, QCU_AQP_INT_GGUF = 2, QCU_AQP_Q4_1 = 3 };
/* scale formats, as qref_scale_fmt */
enum { QCU_S_NONE = 0, QCU_S_F32, QCU_S_F16, QCU_S_BF16, QCU_S_E8M0, QCU_S_E4M3, QCU_S_UE4M3 };
/* layouts, as qref_layout */
enum { QCU_L_BYTES = 0, QCU_L_KMAJOR_U32, QCU_L_PACK24, QCU_L_GGUF, QCU_L_MARLIN, QCU_L_SPARSE };

/* Device tables of one call (one allocation). */
typedef struct qcu_tables {
    float lut[256];            /* element code -> value (qref_decode, ocp) */
    float slut[256];           /* 8-bit scale code -> value (qref_scale_decode) */
    uint16_t mperm_inv[1024];  /* Marlin: tiled index -> stream position in a chunk */
    uint8_t msperm_inv[64];    /* Marlin: scale index -> position in a scale chunk */
    uint64_t iq2_grid[256];    /* ggml tables (qref/blocks.h) */
    uint32_t iq3_grid[256];
    uint8_t ksigns[128];
} qcu_tables;

typedef struct qcu_tensor {
    int kind;
    int layout;                /* layout of the stored values (SPARSE/MARLIN: the base's / MARLIN) */
    int bits;                  /* element code width */
    int asym;                  /* uint8 zero point per group: (q - z) * s */
    int scale_fmt;
    int gguf_type;
    int has_tscale;
    int int4_marlin;           /* Marlin nibble = code ^ 8 (int4 base) */
    int64_t rows, cols;
    int64_t vcols;             /* stored values per row (sparse: cols * n / m) */
    int64_t glen;              /* stored values per scale group, 0: one scale for the tensor */
    int64_t gpr;               /* groups per row */
    int64_t row_bytes;         /* bytes of codes per row */
    int sp_n, sp_m, sp_bits;
    int64_t meta_row_bytes;
    int gguf_qk, gguf_bytes;   /* GGUF: elements and bytes per block */
    float tscale;
    int64_t off_scales, off_zeros, off_meta, total;   /* section offsets in the serialized bytes */
    const uint8_t *codes, *scales, *zeros, *meta;
    const qcu_tables *tab;
} qcu_tensor;

/* ---- bits ------------------------------------------------------------------------ */

QCU_HD uint32_t qcu_f2u(float f)
{
#ifdef __CUDA_ARCH__
    return __float_as_uint(f);
#else
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
#endif
}
QCU_HD float qcu_u2f(uint32_t u)
{
#ifdef __CUDA_ARCH__
    return __uint_as_float(u);
#else
    float f;
    memcpy(&f, &u, 4);
    return f;
#endif
}
QCU_HD double qcu_f16(const uint8_t *p)
{
    uint32_t h = (uint32_t)p[0] | ((uint32_t)p[1] << 8);
    /* exact binary16 decode (no device intrinsic needed) */
    uint32_t s = (h >> 15) & 1, e = (h >> 10) & 31, m = h & 1023;
    double v;
    if (e == 0)
        v = (double)m * (1.0 / 16777216.0);                       /* m * 2^-24 */
    else if (e == 31)
        v = m ? (double)NAN : (double)INFINITY;
    else {
        v = (double)(1024 + m);
        int x = (int)e - 25;                                        /* (1024+m) * 2^(e-25) */
        double p2 = 1.0;
        if (x > 0) for (int i = 0; i < x; i++) p2 *= 2.0;
        else for (int i = 0; i < -x; i++) p2 *= 0.5;
        v *= p2;
    }
    return s ? -v : v;
}
QCU_HD double qcu_pow2(int e)   /* 2^e, |e| <= 1000, exact */
{
    double p = 1.0, b = e >= 0 ? 2.0 : 0.5;
    int n = e >= 0 ? e : -e;
    while (n) {
        if (n & 1) p *= b;
        b *= b;
        n >>= 1;
    }
    return p;
}

/* float32 rounding to odd of x (nearest even, one step toward zero where that
 * rounded away, last bit set where inexact). */
QCU_HD float qcu_f32_odd(double x)
{
    float f = (float)x;
    if (x != x || (double)f == x)
        return f;
    uint32_t u = qcu_f2u(f);
    double af = (double)f < 0 ? -(double)f : (double)f, ax = x < 0 ? -x : x;
    if (af > ax)
        u -= 1;   /* magnitude one step down (also turns Inf into FLT_MAX) */
    return qcu_u2f(u | 1u);
}
QCU_HD uint16_t qcu_f32_to_bf16(float f)
{
    uint32_t u = qcu_f2u(f);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u)
        return (uint16_t)((u >> 16) | 0x40);   /* quiet NaN, sign kept */
    u += 0x7FFFu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}
QCU_HD uint16_t qcu_f32_to_f16(float f)
{
    /* IEEE RNE with subnormals, overflow to Inf (portable; cuda_fp16's
     * __float2half_rn does the same on the device) */
    uint32_t u = qcu_f2u(f);
    uint32_t sign = (u >> 16) & 0x8000u;
    uint32_t a = u & 0x7FFFFFFFu;
    if (a > 0x7F800000u)
        return (uint16_t)(sign | 0x7E00u);
    if (a >= 0x477FF000u)   /* >= 65520: rounds to Inf */
        return (uint16_t)(sign | 0x7C00u);
    if (a < 0x38800000u) {  /* below 2^-14: subnormal or zero */
        if (a < 0x33000000u)   /* < 2^-25: rounds to 0 (2^-25 itself ties to 0) */
            return (uint16_t)sign;
        uint32_t e = a >> 23, m = (a & 0x7FFFFFu) | 0x800000u;
        uint32_t shift = 126 - e;   /* value = m * 2^(e-150); result unit 2^-24 */
        uint32_t q = m >> shift;   /* m * 2^(e-150) in units of 2^-24 */
        uint32_t rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (q & 1)))
            q++;
        return (uint16_t)(sign | q);
    }
    uint32_t r = a + 0xFFFu + ((a >> 13) & 1u);
    r -= 0x38000000u;   /* rebias 127 -> 15 */
    return (uint16_t)(sign | (r >> 13));
}

/* ---- codes and scales -------------------------------------------------------------- */

QCU_HD unsigned qcu_packed_code(int layout, int bits, const uint8_t *row, int64_t i)   /* ref/src/pack.c */
{
    unsigned mask = (1u << bits) - 1;
    if (layout == QCU_L_BYTES)
        return row[i] & mask;
    uint64_t bit = (uint64_t)i * (uint64_t)bits;
    int64_t byte = (int64_t)(bit / 8);
    unsigned sh = (unsigned)(bit % 8);
    unsigned v = (unsigned)row[byte] >> sh;
    if (sh + (unsigned)bits > 8)
        v |= (unsigned)row[byte + 1] << (8 - sh);
    return v & mask;
}

QCU_HD double qcu_scale(const qcu_tensor *t, int64_t gi)
{
    const uint8_t *p;
    switch (t->scale_fmt) {
    case QCU_S_F32: {
        p = t->scales + 4 * gi;
        return (double)qcu_u2f((uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
                               ((uint32_t)p[3] << 24));
    }
    case QCU_S_F16: return qcu_f16(t->scales + 2 * gi);
    case QCU_S_BF16:
        p = t->scales + 2 * gi;
        return (double)qcu_u2f(((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 24));
    case QCU_S_E8M0:
    case QCU_S_E4M3:
    case QCU_S_UE4M3: return (double)t->tab->slut[t->scales[gi]];
    default: return 1.0;
    }
}

/* Marlin (qref/marlin.h): stream position of element (row, col), scale unit
 * of (row, group). */
QCU_HD int64_t qcu_marlin_index(const qcu_tensor *t, int64_t row, int64_t col)
{
    int64_t kt = col / 16, r = col % 16, nt = row / 16, c = row % 16;
    int64_t tt = kt * 16 * t->rows + 256 * nt + 16 * r + c;
    return (tt / 1024) * 1024 + t->tab->mperm_inv[tt % 1024];
}
QCU_HD int64_t qcu_marlin_scale_index(const qcu_tensor *t, int64_t row, int64_t group)
{
    int64_t groups = t->cols / 128;
    int64_t C = groups > 1 ? 64 : 32;
    int64_t s0 = group * t->rows + row;
    return (s0 / C) * C + t->tab->msperm_inv[s0 % C];
}

/* The value of stored value kk of row r of a group-rule tensor (GROUP,
 * MX, NVFP4, and the bases of SPARSE and MARLIN). ref/src/scheme_group.c,
 * scheme_mx.c, scheme_nvfp4.c. */
QCU_HD double qcu_group_value(const qcu_tensor *t, unsigned code, int64_t gi)
{
    double s = qcu_scale(t, gi);
    if (t->asym)
        return (double)((int)code - (int)t->zeros[gi]) * s;
    double v = (double)t->tab->lut[code] * s;
    return t->has_tscale ? v * (double)t->tscale : v;
}

QCU_HD int qcu_k4(int j, const uint8_t *q, int *m)   /* ggml get_scale_min_k4 */
{
    if (j < 4) {
        *m = q[j + 4] & 63;
        return q[j] & 63;
    }
    *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    return (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
}

/* GGUF (ref/src/gguf_q32.c, gguf_fp4.c, gguf_k.c, gguf_iq.c): element j of
 * the block at blk. */
QCU_HD double qcu_gguf_value(const qcu_tensor *t, const uint8_t *blk, int j)
{
    switch (t->gguf_type) {
    case 2: {   /* Q4_0 */
        const uint8_t *qs = blk + 2;
        int q = j < 16 ? (qs[j] & 15) : (qs[j - 16] >> 4);
        return (double)(q - 8) * qcu_f16(blk);
    }
    case 3: {   /* Q4_1 */
        const uint8_t *qs = blk + 4;
        int q = j < 16 ? (qs[j] & 15) : (qs[j - 16] >> 4);
        return (double)q * qcu_f16(blk) + qcu_f16(blk + 2);
    }
    case 8:     /* Q8_0 */
        return (double)(int8_t)blk[2 + j] * qcu_f16(blk);
    case 12: {  /* Q4_K */
        const uint8_t *sc = blk + 4, *qs = blk + 16;
        int c = j / 64, l = j % 64, m;
        int s = qcu_k4(2 * c + (l >= 32), sc, &m);
        int q = l < 32 ? (qs[32 * c + l] & 15) : (qs[32 * c + l - 32] >> 4);
        return qcu_f16(blk) * (double)s * (double)q - qcu_f16(blk + 2) * (double)m;
    }
    case 14: {  /* Q6_K: ql[128], qh[64], scales[16], d */
        const uint8_t *ql = blk, *qh = blk + 128;
        const int8_t *sc = (const int8_t *)(blk + 192);
        int h = j / 128, r = j % 128, quarter = r / 32, l = r % 32;
        const uint8_t *l8 = ql + 64 * h, *h8 = qh + 32 * h;
        int lo4 = quarter == 0 ? (l8[l] & 0xF) : quarter == 1 ? (l8[l + 32] & 0xF) : quarter == 2 ? (l8[l] >> 4)
                                                                                                  : (l8[l + 32] >> 4);
        int q = (lo4 | (((h8[l] >> (2 * quarter)) & 3) << 4)) - 32;
        int is = l / 16;
        return qcu_f16(blk + 208) * (double)sc[8 * h + is + 2 * quarter] * (double)q;
    }
    case 39: {  /* MXFP4 (ggml): kvalues (E2M1 doubled, code 8 is +0) * 2^(e - 128) */
        const uint8_t *qs = blk + 1;
        int q = j < 16 ? (qs[j] & 15) : (qs[j - 16] >> 4);
        return (double)t->tab->lut[q] * qcu_pow2((int)blk[0] - 128);
    }
    case 40: {  /* NVFP4 (ggml): four UE4M3 (halved) scales, one per 16 */
        int s = j / 16, i = j % 16;
        const uint8_t *qs = blk + 4 + 8 * s;
        int q = i < 8 ? (qs[i] & 15) : (qs[i - 8] >> 4);
        int u = blk[s];
        double d;
        if (u == 0 || u == 0x7F)   /* ue4m3_half: 0x00 and 0x7F give 0; bit 7 is ignored otherwise (0xFF is 240) */
            d = 0.0;
        else {
            int e = (u >> 3) & 0xF, mm = u & 7;
            d = e == 0 ? (double)mm * qcu_pow2(-10) : (double)(8 + mm) * qcu_pow2(e - 11);
        }
        return (double)t->tab->lut[q] * d;
    }
    case 16: {  /* IQ2_XXS */
        const uint8_t *qs = blk + 2;
        int ib = j / 32, l = (j % 32) / 8, jj = j % 8;
        const uint8_t *a0 = qs + 8 * ib;
        const uint8_t *a1p = qs + 8 * ib + 4;
        uint32_t a1 = (uint32_t)a1p[0] | ((uint32_t)a1p[1] << 8) | ((uint32_t)a1p[2] << 16) | ((uint32_t)a1p[3] << 24);
        double db = qcu_f16(blk) * (0.5 + (double)(a1 >> 28)) * 0.25;
        uint64_t grid = t->tab->iq2_grid[a0[l]];
        unsigned signs = t->tab->ksigns[(a1 >> (7 * l)) & 127];
        double g = (double)((grid >> (8 * jj)) & 0xFF);
        return db * g * ((signs >> jj) & 1 ? -1.0 : 1.0);
    }
    case 18: {  /* IQ3_XXS */
        const uint8_t *qs = blk + 2, *ss = qs + 64;
        int ib = j / 32, l = (j % 32) / 8, jj = j % 8;
        const uint8_t *ap = ss + 4 * ib;
        uint32_t a = (uint32_t)ap[0] | ((uint32_t)ap[1] << 8) | ((uint32_t)ap[2] << 16) | ((uint32_t)ap[3] << 24);
        double db = qcu_f16(blk) * (0.5 + (double)(a >> 28)) * 0.5;
        unsigned signs = t->tab->ksigns[(a >> (7 * l)) & 127];
        uint32_t g = t->tab->iq3_grid[qs[8 * ib + 2 * l + (jj >= 4)]];
        double v = (double)((g >> (8 * (jj & 3))) & 0xFF);
        return db * v * ((signs >> jj) & 1 ? -1.0 : 1.0);
    }
    default: return (double)NAN;
    }
}

/* The exact value of weight (r, k) of the dense (rows x cols) matrix. */
QCU_HD double qcu_value(const qcu_tensor *t, int64_t r, int64_t k)
{
    switch (t->kind) {
    case QCU_GGUF: {
        const uint8_t *blk = t->codes + r * t->row_bytes + (k / t->gguf_qk) * t->gguf_bytes;
        return qcu_gguf_value(t, blk, (int)(k % t->gguf_qk));
    }
    case QCU_MARLIN: {
        int64_t f = qcu_marlin_index(t, r, k);
        unsigned nib = (t->codes[f / 2] >> (4 * (f & 1))) & 15;
        unsigned code = t->int4_marlin ? nib ^ 8u : nib;
        double s = qcu_f16(t->scales + 2 * qcu_marlin_scale_index(t, r, k / 128));
        return (double)t->tab->lut[code] * s;
    }
    case QCU_SPARSE: {
        int64_t g = k / t->sp_m;
        int j = (int)(k % t->sp_m);
        const uint8_t *mrow = t->meta + r * t->meta_row_bytes;
        for (int i = 0; i < t->sp_n; i++) {
            uint64_t o = (uint64_t)(g * t->sp_n + i) * (uint64_t)t->sp_bits;
            unsigned v = 0;
            for (int b = 0; b < t->sp_bits; b++)
                v |= (unsigned)((mrow[(o + b) / 8] >> ((o + b) % 8)) & 1) << b;
            if ((int)v == j) {
                int64_t kk = g * t->sp_n + i;
                unsigned code = qcu_packed_code(t->layout, t->bits, t->codes + r * t->row_bytes, kk);
                return qcu_group_value(t, code, r * t->gpr + kk / t->glen);
            }
        }
        return 0.0;
    }
    default: {
        unsigned code = qcu_packed_code(t->layout, t->bits, t->codes + r * t->row_bytes, k);
        int64_t gi = t->glen ? r * t->gpr + k / t->glen : 0;
        return qcu_group_value(t, code, gi);
    }
    }
}

/* ---- the fast GEMV kernels' code decoding (gemv_fast.cu), here so that the
 * CPU test cuda_decode checks every code and scale against ref/ ---------- */

/* E2M1 code bits placed in a float32: the value times 2^-126 (subnormal for
 * 0.5, exact for all). */
QCU_HD float qcu_e2m1_raw(unsigned nib) { return qcu_u2f(((nib & 7u) << 22) | ((nib & 8u) << 28)); }
/* E4M3 code bits placed in a float32: the value times 2^-120 (exact). */
QCU_HD float qcu_e4m3_raw(unsigned b) { return qcu_u2f(((b & 0x7Fu) << 20) | ((b & 0x80u) << 24)); }
/* INT4 two's complement nibble, and an unsigned nibble minus 8 (Q4_0), by
 * the 2^23 magic number. */
QCU_HD float qcu_int4_q(unsigned nib) { return qcu_u2f(0x4B000000u | ((nib & 15u) ^ 8u)) - 8388616.0f; }
QCU_HD float qcu_u4m8_q(unsigned nib) { return qcu_u2f(0x4B000000u | (nib & 15u)) - 8388616.0f; }

/* fp4 with an f16 scale s: w = value x s, exact in float32. "small" scales
 * (|s| < 2) take one multiply, raw x (s x 2^126); others two. */
QCU_HD int qcu_fp4_small(float s) { return fabsf(s) < 2.0f; }
QCU_HD float qcu_fp4_S(float s, int small) { return small ? s * 0x1p126f : s * 0x1p63f; }
QCU_HD float qcu_fp4_w_small(unsigned nib, float S) { return qcu_e2m1_raw(nib) * S; }
QCU_HD float qcu_fp4_w_large(unsigned nib, float S) { return (qcu_e2m1_raw(nib) * 0x1p63f) * S; }
/* MXFP4, E8M0 scale e: w = value x 2^(e-127), exact (or Inf, as the f32
 * rounding of the exact value). */
QCU_HD int qcu_mx_small(unsigned e) { return e <= 128u; }
QCU_HD float qcu_mx_S(unsigned e, int small) { return small ? qcu_u2f((e + 126u) << 23) : qcu_u2f(e << 23); }
QCU_HD float qcu_mx_w_small(unsigned nib, float S) { return qcu_e2m1_raw(nib) * S; }
QCU_HD float qcu_mx_w_large(unsigned nib, float S) { return (qcu_e2m1_raw(nib) * 0x1p126f) * S; }
/* FP8 E4M3 with a float32 scale: w = RN(value x s), one rounding. */
QCU_HD int qcu_fp8_small(float s) { return fabsf(s) < 128.0f; }
QCU_HD float qcu_fp8_S(float s, int small) { return small ? s * 0x1p120f : s; }
QCU_HD float qcu_fp8_w_small(unsigned b, float S) { return qcu_e4m3_raw(b) * S; }
QCU_HD float qcu_fp8_w_large(unsigned b, float S) { return (qcu_e4m3_raw(b) * 0x1p120f) * S; }

#endif
