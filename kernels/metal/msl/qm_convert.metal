/* qm_convert.metal — the element codecs of qref/fmt.h under every
 * convention (ref/src/codec_*.c says where each rule comes from), decode
 * and encode, one thread per element, grid ceil(n / QM_LINEAR_TG)
 * threadgroups. Codes are 1, 2 or 4 bytes wide (p.code_bytes). Encoding is
 * integer arithmetic on the float's bits, as qref's: exact whatever the
 * compiler's float mode. */
#include "qm_common.h"

kernel void qm_convert_decode(constant qm_convert_params &p [[buffer(QM_BUF_PARAMS)]],
                              device const uchar *codes [[buffer(QM_BUF_W)]],
                              device float *out [[buffer(QM_BUF_OUT)]],
                              uint3 gid [[thread_position_in_grid]])
{
    uint i = gid.x;
    if (i >= p.n)
        return;
    uint c = p.code_bytes == 1u ? uint(codes[i])
           : p.code_bytes == 2u ? qm_rd16(codes, 2u * i) : qm_rd32(codes, 4u * i);
    out[i] = qm_decode(p.fmt, p.convention, c);
}

/* ---- encode (ocp) -------------------------------------------------------------------- */

static inline int qm_msb(uint v) { return 31 - int(clz(v)); }

/* sig >> sh rounded to nearest, ties to even (sh may exceed 31). */
static inline uint qm_shift_rne(uint sig, int sh)
{
    if (sh <= 0)
        return sig << uint(-sh);
    if (sh > 25)
        return 0u;
    uint n = sig >> uint(sh), rem = sig & ((1u << uint(sh)) - 1u), half_ = 1u << uint(sh - 1);
    if (rem > half_ || (rem == half_ && (n & 1u) != 0u))
        n++;
    return n;
}

/* |x| (float32 bits a, finite, non-zero) rounded to nearest even into a
 * minifloat magnitude with mbits mantissa bits and minimum normal exponent
 * emin, unclamped (qref's qref__round_mag_rne). */
static inline uint qm_round_mag_rne(uint a, int mbits, int emin)
{
    if (a == 0u)
        return 0u;
    uint e32 = a >> 23, m32 = a & 0x7FFFFFu, sig;
    int E, ue;
    if (e32 != 0u) {
        sig = m32 | 0x800000u;
        E = int(e32) - 150;
        ue = int(e32) - 127;
    } else {
        sig = m32;
        E = -149;
        ue = qm_msb(m32) - 149;
    }
    int q = (ue > emin ? ue : emin) - mbits;
    uint n = qm_shift_rne(sig, q - E);
    return (uint(q - emin + mbits) << uint(mbits)) + n;
}

/* |x| to an integer, ties to even (or away from zero); >= 2^31 (and Inf) -> 2^31. */
static inline uint qm_round_abs_to_int(uint a, bool ties_away)
{
    if (a == 0u)
        return 0u;
    if (a >= 0x4F000000u)
        return 0x80000000u;
    uint e32 = a >> 23, m32 = a & 0x7FFFFFu;
    if (e32 == 0u)
        return 0u;
    uint sig = m32 | 0x800000u;
    int E = int(e32) - 150;
    if (E >= 0)
        return sig << uint(E);
    if (!ties_away)
        return qm_shift_rne(sig, -E);
    int sh = -E;
    if (sh > 25)
        return 0u;
    uint n = sig >> uint(sh), rem = sig & ((1u << uint(sh)) - 1u), half_ = 1u << uint(sh - 1);
    return rem >= half_ ? n + 1u : n;
}

/* v as a signed fixed-point integer with 54 fraction bits, exact for
 * 2^-30 <= |v| < 2^8; smaller magnitudes become +-1 (still below every
 * codebook midpoint), larger ones (and Inf) +-2^61 (above every one), zero
 * 0. For the NF encoder's exact midpoint comparisons (qref compares in
 * double; Metal has no double, so 64-bit integers: `long`, Metal 2.2+). */
static inline long qm_fixed54(float v)
{
    uint u = qm_u(v), a = u & 0x7FFFFFFFu;
    long r;
    if (a == 0u)
        r = 0;
    else if (a < 0x30800000u)   /* 2^-30 */
        r = 1;
    else if (a >= 0x43800000u)  /* 2^8 */
        r = long(1) << 61;
    else
        r = long((a & 0x7FFFFFu) | 0x800000u) << ((a >> 23) - 96u);
    return (u >> 31) != 0u ? -r : r;
}

static inline bool qm_is_ml_dtypes(uint c)
{
    return c == QM_CONV_ML_DTYPES || c == QM_CONV_ML_DTYPES_0_7 || c == QM_CONV_ML_DTYPES_0_5_0;
}
static inline bool qm_is_torch(uint c) { return c == QM_CONV_TORCH || c == QM_CONV_TORCH_2_15; }
static inline bool qm_is_cuda(uint c) { return c == QM_CONV_CUDA_SATFINITE || c == QM_CONV_CUDA_NOSAT; }

static inline uint qm_enc_small(uint conv, uint u, uint bits, int mbits, int emin, uint max_mag, thread uint &st)
{
    uint a = u & 0x7FFFFFFFu;
    if (a > 0x7F800000u) {       /* no NaN in the format */
        if (qm_is_ml_dtypes(conv))
            return (u >> 31) != 0u ? 0u : (1u << (bits - 1u));   /* quiet_NaN() = -0, then the sign */
        if (qm_is_cuda(conv))
            return max_mag;      /* positive MAXNORM */
        st = 2u;                 /* ocp (and the rest): QREF_ERR_NAN, +max as the code */
        return max_mag;
    }
    uint mag = a == 0x7F800000u ? max_mag : qm_round_mag_rne(a, mbits, emin);
    return ((u >> 31) << (bits - 1u)) | (mag > max_mag ? max_mag : mag);
}

/* ggml's only FP4 encoder (best_index_mxfp4): the first minimum of
 * |kvalues[i] * 0.5 - x|, float arithmetic by definition (exact for
 * |x| < 2^22); NaN and Inf give code 0. */
static inline uint qm_ggml_e2m1(float x)
{
    uint best = 0u;
    float best_err = fabs(qm_kvalues_mxfp4[0] * 0.5f - x);
    for (uint i = 1u; i < 16u; i++) {
        float err = fabs(qm_kvalues_mxfp4[i] * 0.5f - x);
        if (err < best_err) {
            best_err = err;
            best = i;
        }
    }
    return best;
}

/* torch's E8M0 rounding (round half up on the exponent, guard/round/sticky) */
static inline uint qm_e8m0_torch_round(uint a)
{
    uint e = (a >> 23) & 0xFFu;
    uint g = (a >> 22) & 1u, r = (a >> 21) & 1u, stk = (a & 0x1FFFFFu) != 0u ? 1u : 0u, lsb = e > 0u ? 1u : 0u;
    return e + ((g != 0u && (r != 0u || stk != 0u || lsb != 0u)) ? 1u : 0u);
}

static inline uint qm_enc_e8m0(uint conv, uint mode, uint u)
{
    uint a = u & 0x7FFFFFFFu, neg = u >> 31;
    uint over = mode == QM_MODE_SAT ? 0xFEu : 0xFFu;
    if (a > 0x7F800000u)
        return 0xFFu;
    bool special = a == 0x7F800000u || a == 0u || neg != 0u;
    switch (conv) {
    case QM_CONV_TORCH:
    case QM_CONV_TORCH_2_15:
        return a == 0x7F800000u ? 0xFFu : qm_e8m0_torch_round(a);
    case QM_CONV_ML_DTYPES:
        return special ? 0xFFu : qm_e8m0_torch_round(a);
    case QM_CONV_ML_DTYPES_0_5_0: {
        if (special)
            return 0xFFu;
        uint e = a >> 23, g = (a >> 22) & 1u, r = (a >> 21) & 1u, stk = (a & 0x1FFFFFu) != 0u ? 1u : 0u;
        return e + ((g != 0u && (r != 0u || stk != 0u || (e & 1u) != 0u)) ? 1u : 0u);
    }
    case QM_CONV_ML_DTYPES_0_7:
        if (special)
            return 0xFFu;
        return a < 0x800000u ? (a >= 0x600000u ? 1u : 0u) : qm_e8m0_torch_round(a);
    case QM_CONV_CUDA_SATFINITE:
    case QM_CONV_CUDA_NOSAT: {
        if (a == 0x7F800000u)
            return over;
        uint e32 = a >> 23, m32 = a & 0x7FFFFFu;
        uint b = e32 == 0u ? (m32 > 0x400000u ? 1u : 0u) : e32 + (m32 != 0u ? 1u : 0u);   /* ceiling */
        return b > 0xFEu ? over : b;
    }
    default: {
        if (special)
            return 0xFFu;
        uint e32 = a >> 23, m32 = a & 0x7FFFFFu, b;
        if (e32 == 0u)
            b = m32 > 0x600000u ? 1u : 0u;   /* 2^-127 (code 0) .. 2^-126 (code 1), tie to even */
        else
            b = (m32 > 0x400000u || (m32 == 0x400000u && (e32 & 1u) != 0u)) ? e32 + 1u : e32;
        return b > 0xFEu ? over : b;
    }
    }
}

/* x's code in format fmt under convention conv; mode: the effective
 * overflow mode; st: 0, or 2 (QREF_ERR_NAN: NaN not representable). */
static inline uint qm_encode(uint fmt, uint conv, uint mode, float x, thread uint &st)
{
    uint u = qm_u(x), a = u & 0x7FFFFFFFu, neg = u >> 31;
    st = 0u;
    switch (fmt) {
    case QM_FMT_F32: return u;
    case QM_FMT_F16: {
        if (a > 0x7F800000u) {
            if (qm_is_ml_dtypes(conv)) {     /* numpy npy_floatbits_to_halfbits */
                uint h = 0x7C00u + ((a & 0x7FFFFFu) >> 13);
                return (neg << 15) | (h == 0x7C00u ? 0x7C01u : h);
            }
            if (qm_is_cuda(conv))
                return 0x7FFFu;
            if (qm_is_torch(conv))
                return (neg << 15) | 0x7E00u | ((a & 0x7FFFFFu) >> 13);
            return (neg << 15) | 0x7E00u;
        }
        uint mag = a == 0x7F800000u ? 0x7C00u : qm_round_mag_rne(a, 10, -14);
        return (neg << 15) | (mag > 0x7BFFu ? 0x7C00u : mag);
    }
    case QM_FMT_BF16: {
        if (a > 0x7F800000u) {
            if (qm_is_torch(conv))
                return 0xFFFFu;
            if (qm_is_ml_dtypes(conv))
                return (neg << 15) | 0x7FC0u;
            if (qm_is_cuda(conv))
                return 0x7FFFu;
            return (u >> 16) | 0x40u;
        }
        uint mag = a == 0x7F800000u ? 0x7F80u : qm_round_mag_rne(a, 7, -126);
        return (neg << 15) | (mag > 0x7F7Fu ? 0x7F80u : mag);
    }
    case QM_FMT_E4M3: {
        if (a > 0x7F800000u)
            return qm_is_cuda(conv) ? 0x7Fu : ((neg << 7) | 0x7Fu);   /* CUDA drops the sign */
        uint over = mode == QM_MODE_SAT ? 0x7Eu : 0x7Fu;
        uint mag = a == 0x7F800000u ? over : qm_round_mag_rne(a, 3, -6);
        return (neg << 7) | (mag > 0x7Eu ? over : mag);
    }
    case QM_FMT_E5M2: {
        if (a > 0x7F800000u)
            return qm_is_cuda(conv) ? 0x7Fu : qm_is_torch(conv) ? ((neg << 7) | 0x7Fu) : ((neg << 7) | 0x7Eu);
        uint over = mode == QM_MODE_SAT ? 0x7Bu : 0x7Cu;
        uint mag = a == 0x7F800000u ? over : qm_round_mag_rne(a, 2, -14);
        return (neg << 7) | (mag > 0x7Bu ? over : mag);
    }
    case QM_FMT_E2M1: return conv == QM_CONV_GGML ? qm_ggml_e2m1(x) : qm_enc_small(conv, u, 4, 1, 0, 0x7u, st);
    case QM_FMT_E2M3: return qm_enc_small(conv, u, 6, 3, 0, 0x1Fu, st);
    case QM_FMT_E3M2: return qm_enc_small(conv, u, 6, 2, -2, 0x1Fu, st);
    case QM_FMT_E8M0: return qm_enc_e8m0(conv, mode, u);
    case QM_FMT_INT8: case QM_FMT_UINT8: case QM_FMT_INT4: case QM_FMT_UINT4:
    case QM_FMT_INT3: case QM_FMT_UINT3: case QM_FMT_INT2: case QM_FMT_UINT2: {
        uint bits = fmt <= QM_FMT_UINT8 ? 8u : fmt <= QM_FMT_UINT4 ? 4u : fmt <= QM_FMT_UINT3 ? 3u : 2u;
        bool sgn = fmt == QM_FMT_INT8 || fmt == QM_FMT_INT4 || fmt == QM_FMT_INT3 || fmt == QM_FMT_INT2;
        if (a > 0x7F800000u) {
            st = 2u;
            return 0u;
        }
        int lo = sgn ? -(1 << (bits - 1u)) : 0, hi = sgn ? (1 << (bits - 1u)) - 1 : (1 << bits) - 1;
        uint n = qm_round_abs_to_int(a, conv == QM_CONV_GGML);   /* ggml: roundf, ties away */
        int v = n > 0x7FFFu ? (neg != 0u ? -0x8000 : 0x8000) : (neg != 0u ? -int(n) : int(n));
        v = v < lo ? lo : v > hi ? hi : v;
        return uint(v) & ((1u << bits) - 1u);
    }
    case QM_FMT_NF4: case QM_FMT_NF3: case QM_FMT_NF2: {
        uint cnt = fmt == QM_FMT_NF4 ? 16u : fmt == QM_FMT_NF3 ? 8u : 4u;
        if (a > 0x7F800000u) {
            st = 2u;
            return fmt == QM_FMT_NF4 ? 7u : fmt == QM_FMT_NF3 ? 3u : 1u;   /* the code of 0.0 */
        }
        /* nearest value, ties to the even code; +-Inf saturate */
        long x2 = 2 * qm_fixed54(x);
        uint i = 0u;
        while (i + 1u < cnt) {
            float t0 = qm_decode(fmt, 0u, i), t1 = qm_decode(fmt, 0u, i + 1u);
            long mid2 = qm_fixed54(t0) + qm_fixed54(t1);
            if (x2 < mid2)
                break;
            if (x2 == mid2) {
                if (((i + 1u) & 1u) == 0u)
                    i++;
                break;
            }
            i++;
        }
        return i;
    }
    default:
        st = 2u;
        return 0u;
    }
}

kernel void qm_convert_encode(constant qm_convert_params &p [[buffer(QM_BUF_PARAMS)]],
                              device const float *x [[buffer(QM_BUF_W)]],
                              device uchar *codes [[buffer(QM_BUF_OUT)]],
                              device uchar *status [[buffer(QM_BUF_STATUS)]],
                              uint3 gid [[thread_position_in_grid]])
{
    uint i = gid.x;
    if (i >= p.n)
        return;
    uint st;
    uint c = qm_encode(p.fmt, p.convention, p.mode, x[i], st);
    if (p.code_bytes == 1u) {
        codes[i] = uchar(c);
    } else if (p.code_bytes == 2u) {
        device ushort *c16 = (device ushort *)codes;
        c16[i] = ushort(c);
    } else {
        device uint *c32 = (device uint *)codes;
        c32[i] = c;
    }
    if (p.has_status != 0u)
        status[i] = uchar(st);
}
