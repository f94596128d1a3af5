/* qm_common.h — MSL helpers shared by the qcts Metal kernels: exact element
 * decoders, f16/bf16 rounding done with integer operations, the last
 * operation of a weight rounded to nearest even or to odd, and
 * qm_weight(): the value of weight (row, col) of any scheme preset.
 *
 * Integer bit manipulation instead of half()/float() conversions where the
 * result must be bit-exact: Metal's conversions are specified to round to
 * nearest even, but fast math and denormal flushing (MSL spec, "Floating-
 * point" precision tables) could change them; integers cannot.
 * The block structs come from ref/include/qref/blocks.h (QREF_DECL_METAL):
 * their sizes give the GGUF block strides below. */
#ifndef QM_COMMON_H
#define QM_COMMON_H

#include <metal_stdlib>
#define QREF_DECL_METAL
#include "qref/blocks.h"
#include "qm_abi.h"

using namespace metal;

/* ---- little-endian reads from a byte buffer ---------------------------------- */

static inline uint qm_rd8(device const uchar *p, uint off) { return p[off]; }
static inline uint qm_rd16(device const uchar *p, uint off) { return uint(p[off]) | (uint(p[off + 1]) << 8); }
static inline uint qm_rd32(device const uchar *p, uint off)
{
    return uint(p[off]) | (uint(p[off + 1]) << 8) | (uint(p[off + 2]) << 16) | (uint(p[off + 3]) << 24);
}

/* ---- float bits ------------------------------------------------------------------- */

static inline float qm_f(uint u) { return as_type<float>(u); }
static inline uint qm_u(float f) { return as_type<uint>(f); }

/* 2^e as float32 bits for -149 <= e <= 127. */
static inline float qm_pow2(int e)
{
    return e >= -126 ? qm_f(uint(e + 127) << 23) : qm_f(1u << uint(e + 149));
}

/* A minifloat magnitude (no sign bit) with mbits mantissa bits and minimum
 * normal exponent emin: m * 2^(emin - mbits) or (1.m) * 2^(ef - 1 + emin). */
static inline float qm_decode_mag(uint mag, uint mbits, int emin)
{
    uint ef = mag >> mbits, m = mag & ((1u << mbits) - 1u);
    if (ef == 0u)
        return float(m) * qm_pow2(emin - int(mbits));            /* exact: m < 2^mbits */
    return float(m | (1u << mbits)) * qm_pow2(int(ef) - 1 + emin - int(mbits));
}

static inline float qm_f16_bits_to_f32(uint h)
{
    uint s = (h >> 15) << 31, mag = h & 0x7FFFu;
    if (mag >= 0x7C00u)
        return qm_f(s | 0x7F800000u | ((mag & 0x3FFu) << 13));
    return qm_f(s | qm_u(qm_decode_mag(mag, 10, -14)));
}

static inline float qm_bf16_bits_to_f32(uint b) { return qm_f(b << 16); }

/* float32 -> f16 bits, round to nearest even, overflow to Inf, NaN quieted. */
static inline uint qm_f32_to_f16_bits(float x)
{
    uint u = qm_u(x), s = (u >> 16) & 0x8000u, a = u & 0x7FFFFFFFu;
    if (a > 0x7F800000u)
        return s | 0x7E00u | ((a >> 13) & 0x3FFu);
    if (a >= 0x477FF000u)                 /* >= 65520: rounds to Inf */
        return s | 0x7C00u;
    if (a >= 0x38800000u) {               /* normal f16 */
        uint r = a - 0x38000000u;         /* rebias exponent by 112 */
        uint q = r >> 13, rem = r & 0x1FFFu;
        if (rem > 0x1000u || (rem == 0x1000u && (q & 1u)))
            q++;
        return s | q;
    }
    if (a < 0x33000000u)                  /* < 2^-25: rounds to 0 */
        return s;
    uint e = a >> 23, m = (a & 0x7FFFFFu) | 0x800000u;
    uint sh = 126u - e;                   /* 14..24: value = m * 2^(e-150), unit 2^-24 */
    uint q = m >> sh, rem = m & ((1u << sh) - 1u), half_ = 1u << (sh - 1u);
    if (rem > half_ || (rem == half_ && (q & 1u)))
        q++;
    return s | q;
}

/* float32 -> bf16 bits, round to nearest even; NaN keeps its top bits, quiet. */
static inline uint qm_f32_to_bf16_bits(float x)
{
    uint u = qm_u(x);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u)
        return (u >> 16) | 0x40u;
    return (u + 0x7FFFu + ((u >> 16) & 1u)) >> 16;
}

/* ---- rounding of the last operation ------------------------------------------------ */

/* f = RN(x) and e = x - f (exact): x rounded to odd instead (truncate, set
 * the last bit when inexact). Rounding that value once more to f16 or bf16
 * is the single rounding of x (kernels/simd/simd.h, ROUND TO ODD). */
static inline float qm_odd(float f, float e)
{
    if (e == 0.0f || isinf(f) || isnan(f))
        return f;
    uint u = qm_u(f);
    if (f != 0.0f && ((e < 0.0f) == (f > 0.0f)))
        u--;
    return qm_f(u | 1u);
}

/* a*b, rounded once: to nearest even, or to odd (the error from fma, exact
 * unless the product underflows). The Metal Shading Language specification
 * (section "Numerical compliance", single-precision accuracy table) lists
 * fma as correctly rounded; fast math may still rewrite the expression
 * around it, which is what `metal-fast` results show. */
static inline float qm_mul_r(float a, float b, uint odd)
{
    float p = a * b;
    if (odd == 0u)
        return p;
    return qm_odd(p, fma(a, b, -p));
}

/* a+b, rounded once (the error from TwoSum). */
static inline float qm_add_r(float a, float b, uint odd)
{
    float s = a + b;
    if (odd == 0u)
        return s;
    float bb = s - a;
    float e = (a - (s - bb)) + (b - bb);
    return qm_odd(s, e);
}

/* ---- element decoders (qref/fmt.h; exact) --------------------------------------------- */

constant float qm_nf4[16] = {
    -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
    -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
    0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
    0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f,
};
constant float qm_nf3[8] = {
    -1.0f, -0.5350227355957031f, -0.2469314038753510f, 0.0f,
    0.1833375245332718f, 0.3819939494132996f, 0.6229856610298157f, 1.0f,
};
constant float qm_nf2[4] = { -1.0f, 0.0f, 0.4358180761f, 1.0f };
/* ggml kvalues_mxfp4: E2M1 doubled */
constant float qm_kvalues_mxfp4[16] = { 0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12 };

/* A sign bit over a minifloat magnitude of `bits` total bits. */
static inline float qm_small(uint code, uint bits, uint mbits, int emin)
{
    float v = qm_decode_mag(code & ((1u << (bits - 1u)) - 1u), mbits, emin);
    return (code >> (bits - 1u)) != 0u ? -v : v;
}

/* Code -> float32 under convention conv (only F16 and E8M0 depend on it). */
static inline float qm_decode(uint fmt, uint conv, uint code)
{
    switch (fmt) {
    case QM_FMT_F32: return qm_f(code);
    case QM_FMT_F16: {
        uint mag = code & 0x7FFFu;
        if (mag > 0x7C00u && (conv == QM_CONV_TORCH || conv == QM_CONV_TORCH_2_15))
            return qm_f(((code >> 15) << 31) | 0x7FC00000u | ((mag & 0x3FFu) << 13));
        return qm_f16_bits_to_f32(code);
    }
    case QM_FMT_BF16: return qm_bf16_bits_to_f32(code);
    case QM_FMT_E4M3:
        if ((code & 0x7Fu) == 0x7Fu)
            return qm_f(((code >> 7) << 31) | 0x7FC00000u);
        return qm_small(code, 8, 3, -6);
    case QM_FMT_E5M2: {
        uint mag = code & 0x7Fu, s = (code >> 7) << 31;
        if (mag == 0x7Cu)
            return qm_f(s | 0x7F800000u);
        if (mag > 0x7Cu)
            return qm_f(s | 0x7FC00000u);
        return qm_small(code, 8, 2, -14);
    }
    case QM_FMT_E2M1: return qm_small(code, 4, 1, 0);
    case QM_FMT_E2M3: return qm_small(code, 6, 3, 0);
    case QM_FMT_E3M2: return qm_small(code, 6, 2, -2);
    case QM_FMT_E8M0:
        if (code == 0xFFu)
            return qm_f(conv == QM_CONV_GGML ? 0x7F800000u : 0x7FC00000u);
        return code == 0u ? qm_f(0x00400000u) : qm_f(code << 23);
    case QM_FMT_INT8: return float(int(code << 24) >> 24);
    case QM_FMT_UINT8: return float(code);
    case QM_FMT_INT4: return float(int(code << 28) >> 28);
    case QM_FMT_UINT4: return float(code);
    case QM_FMT_INT3: return float(int(code << 29) >> 29);
    case QM_FMT_UINT3: return float(code);
    case QM_FMT_INT2: return float(int(code << 30) >> 30);
    case QM_FMT_UINT2: return float(code);
    case QM_FMT_NF4: return qm_nf4[code & 15u];
    case QM_FMT_NF3: return qm_nf3[code & 7u];
    case QM_FMT_NF2: return qm_nf2[code & 3u];
    default: return qm_f(0x7FC00000u);
    }
}

/* A scale of format f at index gi of the scales section (exact). */
static inline float qm_scale(uint f, device const uchar *sc, uint gi)
{
    switch (f) {
    case QM_SC_F32: return qm_f(qm_rd32(sc, 4u * gi));
    case QM_SC_F16: return qm_f16_bits_to_f32(qm_rd16(sc, 2u * gi));
    case QM_SC_BF16: return qm_bf16_bits_to_f32(qm_rd16(sc, 2u * gi));
    case QM_SC_E8M0: return qm_decode(QM_FMT_E8M0, 0u, sc[gi]);
    case QM_SC_E4M3: return qm_decode(QM_FMT_E4M3, 0u, sc[gi]);
    case QM_SC_UE4M3: return qm_decode(QM_FMT_E4M3, 0u, sc[gi] & 0x7Fu);
    default: return 1.0f;
    }
}

/* Code i of a packed row: BYTES, or the little-endian bit stream of
 * KMAJOR_U32 and PACK24 (qref/pack.h). */
static inline uint qm_packed_code(uint layout, uint bits, device const uchar *row, uint i)
{
    if (layout == QM_LAY_BYTES)
        return row[i];
    uint bit = bits * i, byte = bit >> 3, sh = bit & 7u;
    uint v = uint(row[byte]);
    if (sh + bits > 8u)
        v |= uint(row[byte + 1u]) << 8;
    return (v >> sh) & ((1u << bits) - 1u);
}

/* ---- weights ------------------------------------------------------------------------ */

/* Stored value j of row r of a GROUP-family matrix (also the values of
 * SPARSE and MARLIN, whose base is a group preset): one rounding. */
static inline float qm_group_value(constant qm_wdesc &d, device const uchar *w, uint r, uint j, uint code)
{
    uint gi = d.gpr != 0u ? r * d.gpr + j / d.glen : 0u;
    float sd = qm_scale(d.scale_fmt, w + d.off_scales, gi);
    if (d.zero == QM_ZERO_INT)
        return qm_mul_r(float(int(code) - int(w[d.off_zeros + gi])), sd, d.odd);
    return qm_mul_r(qm_decode(d.elem, 0u, code), sd, d.odd);
}

static inline void qm_scale_min_k4(uint j, device const uchar *q, thread uint &sc, thread uint &m)
{
    if (j < 4u) {
        sc = q[j] & 63u;
        m = q[j + 4u] & 63u;
    } else {
        sc = (q[j + 4u] & 0xFu) | ((q[j - 4u] >> 6) << 4);
        m = (q[j + 4u] >> 4) | ((q[j] >> 6) << 4);
    }
}

/* ggml's MXFP4 scale: 2^(e-128), the E2M1 values being doubled. */
static inline float qm_e8m0_half(uint e)
{
    return e < 2u ? qm_f(0x00200000u << e) : qm_f((e - 1u) << 23);
}

/* ggml's NVFP4 scale: UE4M3 / 2. */
static inline float qm_ue4m3_half(uint u)
{
    if (u == 0u || u == 0x7Fu)
        return 0.0f;
    uint ex = (u >> 3) & 0xFu, man = u & 7u;
    return ex == 0u ? float(man) * qm_pow2(-10) : float(8u + man) * qm_pow2(int(ex) - 11);
}

static inline uint qm_nib(device const uchar *qs, uint j)   /* element j of 32: byte j%16, low/high */
{
    return j < 16u ? (qs[j] & 0xFu) : (qs[j - 16u] >> 4);
}

/* Weight j of one GGUF block (ref/src/gguf_*.c, ref/SCHEMES-gguf.md). */
static inline float qm_gguf_value(constant qm_wdesc &d, device const uchar *blk, device const uint *aux, uint j)
{
    switch (d.gguf_type) {
    case QREF_GGML_TYPE_Q4_0:
        return float(int(qm_nib(blk + 2, j)) - 8) * qm_f16_bits_to_f32(qm_rd16(blk, 0));
    case QREF_GGML_TYPE_Q4_1: {
        float dd = qm_f16_bits_to_f32(qm_rd16(blk, 0)), m = qm_f16_bits_to_f32(qm_rd16(blk, 2));
        return qm_add_r(float(qm_nib(blk + 4, j)) * dd, m, d.odd);   /* q*d exact */
    }
    case QREF_GGML_TYPE_Q8_0:
        return float(int(uint(blk[2u + j]) << 24) >> 24) * qm_f16_bits_to_f32(qm_rd16(blk, 0));
    case QREF_GGML_TYPE_Q4_K: {
        float dd = qm_f16_bits_to_f32(qm_rd16(blk, 0)), dmin = qm_f16_bits_to_f32(qm_rd16(blk, 2));
        uint c = j / 64u, l = j % 64u, sc, m;
        qm_scale_min_k4(2u * c + (l >= 32u ? 1u : 0u), blk + 4, sc, m);
        uint qb = blk[16u + 32u * c + (l % 32u)];
        uint q = l < 32u ? (qb & 0xFu) : (qb >> 4);
        return qm_add_r((dd * float(sc)) * float(q), -(dmin * float(m)), d.odd);   /* both exact */
    }
    case QREF_GGML_TYPE_Q6_K: {
        uint h = j / 128u, jj = j % 128u, quad = jj / 32u, l = jj % 32u;
        device const uchar *ql = blk + 64u * h, *qh = blk + 128u + 32u * h, *s8 = blk + 192u + 8u * h;
        uint lo = (quad & 1u) != 0u ? ql[l + 32u] : ql[l];
        lo = quad >= 2u ? (lo >> 4) : (lo & 0xFu);
        uint hi = (qh[l] >> (2u * quad)) & 3u;
        int q = int(lo | (hi << 4)) - 32;
        int sc = int(uint(s8[l / 16u + 2u * quad]) << 24) >> 24;
        float dd = qm_f16_bits_to_f32(qm_rd16(blk, 208));
        return qm_mul_r(dd * float(sc), float(q), d.odd);   /* d*sc exact */
    }
    case QREF_GGML_TYPE_MXFP4:
        return qm_kvalues_mxfp4[qm_nib(blk + 1, j)] * qm_e8m0_half(blk[0]);
    case QREF_GGML_TYPE_NVFP4: {
        uint s = j / 16u, jj = j % 16u;
        device const uchar *qs = blk + 4u + 8u * s;
        uint q = jj < 8u ? (qs[jj] & 0xFu) : (qs[jj - 8u] >> 4);
        return qm_kvalues_mxfp4[q] * qm_ue4m3_half(blk[s]);
    }
    case QREF_GGML_TYPE_IQ2_XXS: {
        /* d * (2s+1)/8 * grid magnitude: <= 22 significant bits, exact */
        uint ib = j / 32u, l = (j % 32u) / 8u, jj = j % 8u;
        device const uchar *q8 = blk + 2u + 8u * ib;
        uint a1 = qm_rd32(q8, 4);
        uint gidx = q8[l];
        uint gw = aux[QM_AUX_IQ2XXS_GRID + 2u * gidx + (jj >> 2)];
        float g = float((gw >> (8u * (jj & 3u))) & 0xFFu);
        uint si = (a1 >> (7u * l)) & 127u;
        uint signs = (aux[QM_AUX_KSIGNS + si / 4u] >> (8u * (si % 4u))) & 0xFFu;
        float db = qm_f16_bits_to_f32(qm_rd16(blk, 0)) * (float(2u * (a1 >> 28) + 1u) * 0.125f);
        float v = db * g;
        return ((signs >> jj) & 1u) != 0u ? -v : v;
    }
    case QREF_GGML_TYPE_IQ3_XXS: {
        uint ib = j / 32u, l = (j % 32u) / 8u, jj = j % 8u;
        device const uchar *qs = blk + 2u;
        uint a = qm_rd32(qs, 64u + 4u * ib);
        uint gidx = qs[8u * ib + 2u * l + (jj >> 2)];
        uint gw = aux[QM_AUX_IQ3XXS_GRID + gidx];
        float g = float((gw >> (8u * (jj & 3u))) & 0xFFu);
        uint si = (a >> (7u * l)) & 127u;
        uint signs = (aux[QM_AUX_KSIGNS + si / 4u] >> (8u * (si % 4u))) & 0xFFu;
        float db = qm_f16_bits_to_f32(qm_rd16(blk, 0)) * (float(2u * (a >> 28) + 1u) * 0.25f);
        float v = db * g;
        return ((signs >> jj) & 1u) != 0u ? -v : v;
    }
    default: return qm_f(0x7FC00000u);
    }
}

/* Weight (r, k) of the matrix d in w (w points at the matrix's first byte):
 * the float32 rounding of its exact value (to nearest even, or to odd when
 * d.odd), as qref_dequantize gives it. */
static inline float qm_weight(constant qm_wdesc &d, device const uchar *w, device const uint *aux, uint r, uint k)
{
    device const uchar *codes = w + d.off_codes;
    switch (d.family) {
    case QM_FAM_GROUP:
        return qm_group_value(d, w, r, k, qm_packed_code(d.layout, d.bits, codes + r * d.row_bytes, k));
    case QM_FAM_MX: {
        float x = qm_decode(QM_FMT_E8M0, 0u, w[d.off_scales + r * d.gpr + k / 32u]);
        return qm_decode(d.elem, 0u, qm_packed_code(d.layout, d.bits, codes + r * d.row_bytes, k)) * x;
    }
    case QM_FAM_NVFP4: {
        float b = qm_decode(QM_FMT_E4M3, 0u, w[d.off_scales + r * d.gpr + k / 16u]);
        float e = qm_decode(QM_FMT_E2M1, 0u, qm_packed_code(d.layout, 4u, codes + r * d.row_bytes, k));
        float ts = d.has_tscale != 0u ? qm_f(qm_rd32(w, d.off_tscale)) : 1.0f;
        return qm_mul_r(e * b, ts, d.odd);   /* e*b exact */
    }
    case QM_FAM_SPARSE: {
        uint g = k / d.sparse_m, pos = k % d.sparse_m, b = d.sparse_bits;
        device const uchar *meta = w + d.off_meta + r * d.meta_row_bytes;
        for (uint t = 0u; t < d.sparse_n; t++) {
            uint bit = (g * d.sparse_n + t) * b;
            uint v = qm_rd8(meta, bit >> 3) | ((((bit & 7u) + b) > 8u ? qm_rd8(meta, (bit >> 3) + 1u) : 0u) << 8);
            if (((v >> (bit & 7u)) & ((1u << b) - 1u)) == pos) {
                uint j = g * d.sparse_n + t;
                return qm_group_value(d, w, r, j, qm_packed_code(d.layout, d.bits, codes + r * d.row_bytes, j));
            }
        }
        return 0.0f;
    }
    case QM_FAM_MARLIN: {
        /* qref/marlin.h: nibble f of (n = r, k); scale of (group, n) */
        uint kt = k / 16u, rr = k % 16u, nt = r / 16u, c = r % 16u;
        uint t = kt * 16u * d.rows + 256u * nt + 16u * rr + c;
        uint f = (t & ~1023u) + aux[QM_AUX_MARLIN_PERM_INV + (t & 1023u)];
        uint nib = (codes[f >> 1] >> (4u * (f & 1u))) & 0xFu;
        uint s0 = (k / 128u) * d.rows + r;
        uint chunk = d.marlin_groups > 1u ? 64u : 32u;
        uint p = aux[(d.marlin_groups > 1u ? QM_AUX_MARLIN_SPERM_INV : QM_AUX_MARLIN_SPERM1_INV) + s0 % chunk];
        float s = qm_f16_bits_to_f32(qm_rd16(w + d.off_scales, 2u * (s0 - s0 % chunk + p)));
        uint code = d.elem == QM_FMT_INT4 ? (nib ^ 8u) : nib;   /* Marlin's int4 nibble is q + 8 */
        return qm_mul_r(qm_decode(d.elem, 0u, code), s, d.odd);
    }
    case QM_FAM_GGUF: {
        uint b = k / d.glen;
        return qm_gguf_value(d, codes + r * d.row_bytes + b * d.block_bytes, aux, k % d.glen);
    }
    default: return qm_f(0x7FC00000u);
    }
}

/* Activation i of a (F32, F16 or BF16) as float32: exact. */
static inline float qm_load_act(device const uchar *a, uint dtype, uint i)
{
    if (dtype == QM_DT_F32)
        return qm_f(qm_rd32(a, 4u * i));
    uint h = qm_rd16(a, 2u * i);
    return dtype == QM_DT_F16 ? qm_f16_bits_to_f32(h) : qm_bf16_bits_to_f32(h);
}

/* Stores v at index i of an output of dtype (f16/bf16: rounded once). */
static inline void qm_store(device uchar *y, uint dtype, uint i, float v)
{
    if (dtype == QM_DT_F32) {
        device float *yf = (device float *)y;
        yf[i] = v;
    } else {
        device ushort *yh = (device ushort *)y;
        yh[i] = ushort(dtype == QM_DT_F16 ? qm_f32_to_f16_bits(v) : qm_f32_to_bf16_bits(v));
    }
}

#endif
