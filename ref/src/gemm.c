/* The reference GEMM: Y = A·Wᵀ (+ bias), every element the exact sum rounded
 * once (qref/gemm.h has the contract).
 *
 * ---- The exact accumulator ----------------------------------------------------
 * A fixed-point superaccumulator (Kulisch; Neal's "small superaccumulator"
 * layout): ACC_LIMBS signed 64-bit limbs, limb i standing for bits
 * [ACC_BASE + 32i, ACC_BASE + 32i + 32) of the sum, i.e. the value is
 * Σ_i L[i]·2^(ACC_BASE + 32i). No floating point is involved:
 *
 *  1. Each term is an exact integer times a power of two: an activation is
 *     ±ma·2^ea (ma < 2^24, ea in [-149, 104]); a weight hi + lo is split into
 *     pieces ±mp·2^ep with mp < 2^40, ep in [-1074, 1003] (gemm_impl.h); the
 *     bias is ±mb·2^eb like an activation. A product is u = ma·mp < 2^64,
 *     one exact uint64 multiplication, at bit offset s = ea + ep - ACC_BASE
 *     >= -149 - 1074 + 1248 = 25 >= 0. (The code keeps ea and ep relative to
 *     the minimum of their row, ra = ea - min_a >= 0, rw = ep - min_w >= 0,
 *     and adds base = min_a + min_w - ACC_BASE: the same s.)
 *  2. u·2^s is u·2^b shifted by 32i (s = 32i + b, 0 <= b < 32). u·2^b < 2^96
 *     is cut into three 32-bit digits x0, x1, x2 added to (or, for a negative
 *     term, subtracted from) L[i], L[i+1], L[i+2]. Each is < 2^32, so a limb
 *     changes by less than 2^32 per term and cannot overflow int64 within
 *     2^31 terms; accumulate_limbs() renormalises (step 4) every ACC_CHUNK
 *     terms anyway. The largest offset is 104 + 1003 + 1248 = 2355, limb 73,
 *     so i + 2 <= 75 < ACC_LIMBS = 80: every digit lands inside the array.
 *  3. Integer addition is exact and associative, so after all terms the
 *     limbs hold the exact sum, whatever the order.
 *  4. xacc_norm() propagates carries (limb = low 32 bits + 2^32·carry, both
 *     exact in int64) so that L[0..78] are in [0, 2^32) and L[79] holds the
 *     sign; a negative sum is negated limb-wise and normalised again. The
 *     magnitude is below 2^(2355 + 64 + 31) (at most 2^31 terms below
 *     2^(2355 + 64) in limb units), far inside the 80·32 = 2560 bits, so the
 *     top limb is then 0 and every limb in [0, 2^32).
 *  5. xacc_finish() reads the magnitude as a binary integer X·2^ACC_BASE and
 *     rounds it ONCE to double, to nearest even, with integer operations on
 *     its bits (round bit + sticky bit), subnormals and overflow included:
 *     hi = RN_double(X). lo is given only the sign of the remainder X - hi
 *     (a tiny double, or 0 when X == hi).
 *
 * Fast path (accumulate_window), the common case: when for rows m and n
 * span = (max_a - min_a) + (max_w - min_w) <= 63 and
 * span + bits_a + bits_w + bit_length(np) <= 126 (bits_*: the widest
 * mantissa of the row, np: the number of terms), every term is
 * u·2^(ra + rw) with ra + rw <= 63 — a shift a 64-bit word pair can take —
 * and |term| < 2^(span + bits_a + bits_w), so the np terms and every partial
 * sum are below 2^126 in magnitude: a 128-bit two's complement integer
 * (two uint64 words, wrapping arithmetic, explicit carry) holds them
 * exactly, in registers. Its final value is added into the limbs at offset
 * base in four 32-bit digits and finished as in step 5. Anything else
 * (activations or weights spread over more binades) takes the limb path.
 *
 * Why hi and the sign of X - hi are enough to round X once to f32/f16/bf16
 * (qref_round2_*): every value of the target format and every midpoint
 * between two neighbours (a 25-bit significand at most, exponent within
 * double's range) is a double. RN_double is monotone and fixes doubles, so
 * for such a point μ: X < μ implies hi <= μ, X > μ implies hi >= μ. Hence
 * hi lies in the same closed interval between consecutive target points as
 * X; it rounds like X unless hi is exactly a midpoint, and then (X != hi,
 * since a tie of X itself has lo = 0) the sign of X - hi says on which side
 * X lies: exactly what qref_round2_* look at. The same holds at the
 * overflow threshold (a midpoint too) and when X is below double's range
 * (hi = ±0: the target rounds it to ±0 as well). An exact zero sum is +0.
 *
 * Speed: the products need no TwoProduct and the adds no TwoSum; about 15
 * integer operations per term (window) or 25 (limbs); two accumulators
 * take alternate terms to break dependency chains. Each W row is
 * dequantized and cut into pieces once per call, each A row decoded once
 * per batch.
 *
 * ---- The bound (see qref/gemm.h and vectors/CASES.md) -------------------------
 * Model of a correct kernel in accumulation type T (f32 or f16) with unit
 * roundoff u and half-smallest-subnormal η: every rounding to T of a real x
 * gives x(1 + δ) + e, |δ| <= u, |e| <= η (Higham, Accuracy and Stability,
 * 2.8, gradual underflow); a sum of two T values rounds with e = 0 (a
 * subnormal sum is exact). A product term is formed as
 * fl(fl(a)·fl(w)) — the activation converted to T (exact for f32), the
 * weight rounded to T (its exact value needs not fit), the product rounded —
 * then every term, and the bias (rounded to T), is summed in ANY order
 * (any binary tree: n_t = K + has_bias leaves, depth <= n_t - 1). Kernels
 * that scale after summing (Σ_g s_g·Σ a·q, or t·Σ a·(e·s) for NVFP4's tensor
 * scale) have the same rounding counts or fewer.
 *   Relative part: a product term sees at most 3 + (n_t - 1) = K' =
 *   K + has_bias + 2 roundings, a bias term at most 1 + (n_t - 1) < K', so
 *   by Higham's Lemma 3.1 each term is t·(1 + θ), |θ| <= γ(K', u), giving
 *   γ(K', u)·S with S = Σ|a·w| + |bias|.
 *   Underflow part: fl(fl(a)·fl(w)) = a·w(1+δ1)(1+δ2)(1+δ3)
 *   + [e1·w(1+δ2) + e2·a(1+δ1) + e1·e2](1+δ3) + e3, whose e-part is at most
 *   η(1+u)^2(|a| + |w| + 2); the later additions multiply it by at most
 *   (1+u)^(n_t-1), so in all (1 + γ(K', u))·η·(Σ|a| + Σ|w| + 2·n_t)
 *   (the bias's e also fits in the 2·n_t).
 *   So the kernel's value ŷ_T in T satisfies |ŷ_T - y| <= E (y exact).
 * Rounding to the output type (unit roundoff u_o, η_o): ŷ = fl_o(ŷ_T) with
 * |ŷ - ŷ_T| <= u_o|ŷ_T| + η_o <= u_o(|y| + E) + η_o, and the stored
 * reference y_ref = fl_o(y) has |y_ref - y| <= u_o|y| + η_o. Adding up:
 *     |ŷ - y_ref| <= (1 + u_o)·E + 2·u_o·|y| + 2·η_o.
 * (For f32 output after f32 accumulation the first rounding is the identity;
 * the bound keeps it, one u_o|y| of slack.) γ needs K'·u < 1: f16
 * accumulation with K' >= 2048 gets an infinite bound. No overflow is
 * assumed in T or in the output type.
 * Evaluation: S, Σ|a|, Σ|w| and the formula are sums and products of
 * nonnegative doubles, each computed value at least true·(1 - 2^-53)^j with
 * j <= K + 20 roundings on any path, |y| <= |hi|·(1 + 2^-52); multiplying by
 * 1 + (2K + 128)·2^-53 (which also covers its own rounding) gives an upper
 * bound, which is then rounded up to float32. Double underflow in these sums
 * (< K·2^-1074 absolute) is covered by the relative slack because every
 * bound is at least 2η_o >= 2^-149. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemm_impl.h"
#include "qref/bits.h"
#include "scheme_impl.h"

#define ACC_LIMBS QREF__ACC_LIMBS
#define ACC_BASE QREF__ACC_BASE
#define ACC_CHUNK ((size_t)1024)   /* renormalise often: cheap, and tests reach it */
#define M32 0xFFFFFFFFull

/* ---- names ------------------------------------------------------------------ */

static const char *const acc_names[QREF_ACC_COUNT] = { "f32", "f16" };

const char *qref_acc_name(qref_acc acc) { return (unsigned)acc < QREF_ACC_COUNT ? acc_names[acc] : NULL; }

qref_status qref_acc_from_name(const char *name, qref_acc *out)
{
    if (!name || !out)
        return QREF_ERR_ARG;
    for (unsigned i = 0; i < QREF_ACC_COUNT; i++) {
        const char *p = name, *q = acc_names[i];
        while (*p && *q && (*p == *q || (*p >= 'A' && *p <= 'Z' && *p - 'A' + 'a' == *q)))
            p++, q++;
        if (!*p && !*q) {
            *out = (qref_acc)i;
            return QREF_OK;
        }
    }
    return QREF_ERR_ARG;
}

/* ---- argument checks ----------------------------------------------------------- */

static int is_io_fmt(qref_fmt f) { return f == QREF_FMT_F32 || f == QREF_FMT_F16 || f == QREF_FMT_BF16; }

qref_status qref__gemm_check(const qref_gemm_desc *d, const void *a, const qref_qtensor *w, const float *bias,
                             qref_acc acc, int64_t *lda, int64_t *ldy, qref_error *err)
{
    if (!d || !a || !w)
        return qref__fail(err, QREF_ERR_ARG, -1, -1, "gemm: no descriptor, activations or weights given");
    if ((unsigned)acc >= QREF_ACC_COUNT)
        return qref__fail(err, QREF_ERR_ARG, -1, -1, "gemm: accumulation type %d is not f32 or f16", (int)acc);
    if (d->has_bias && !bias)
        return qref__fail(err, QREF_ERR_ARG, -1, -1, "gemm: has_bias is set but no bias given");
    if ((unsigned)d->a_dtype >= QREF_FMT_COUNT || (unsigned)d->out_dtype >= QREF_FMT_COUNT)
        return qref__fail(err, QREF_ERR_ARG, -1, -1, "gemm: a_dtype or out_dtype is not a format");
    if (!is_io_fmt(d->a_dtype) || !is_io_fmt(d->out_dtype))
        return qref__fail(err, QREF_ERR_UNSUPPORTED, -1, -1,
                          "gemm: a_dtype and out_dtype must be f32, f16 or bf16 (got %s, %s)",
                          qref_fmt_get(d->a_dtype)->name, qref_fmt_get(d->out_dtype)->name);
    const int64_t lim = (int64_t)1 << 40;
    if (d->batch < 1 || d->M < 1 || d->N < 1 || d->K < 1 || d->batch > lim || d->M > lim || d->N > lim ||
        d->K > INT32_MAX)
        return qref__fail(err, QREF_ERR_SIZE, -1, -1, "gemm: batch %lld, M %lld, N %lld, K %lld must be >= 1 (K < 2^31)",
                          (long long)d->batch, (long long)d->M, (long long)d->N, (long long)d->K);
    *lda = d->lda ? d->lda : d->K;
    *ldy = d->ldy ? d->ldy : d->N;
    if (*lda < d->K || *ldy < d->N || *lda > lim || *ldy > lim)
        return qref__fail(err, QREF_ERR_SIZE, -1, -1, "gemm: lda %lld < K %lld or ldy %lld < N %lld (or too large)",
                          (long long)d->lda, (long long)d->K, (long long)d->ldy, (long long)d->N);
    if (d->M > lim / d->batch || d->batch * d->M > lim / *lda || d->batch * d->M > lim / *ldy ||
        d->batch * d->M > lim / d->N)
        return qref__fail(err, QREF_ERR_SIZE, -1, -1, "gemm: the buffers would exceed 2^40 elements");
    for (int64_t b = 0; b < d->batch; b++) {
        if (!w[b].scheme || !w[b].storage)
            return qref__fail(err, QREF_ERR_ARG, -1, -1, "gemm: weight tensor of batch %lld is not allocated",
                              (long long)b);
        if (w[b].rows != d->N || w[b].cols != d->K)
            return qref__fail(err, QREF_ERR_SIZE, -1, -1, "gemm: weight tensor of batch %lld is %lld x %lld, not N x K = %lld x %lld",
                              (long long)b, (long long)w[b].rows, (long long)w[b].cols, (long long)d->N,
                              (long long)d->K);
    }
    return QREF_OK;
}

/* ---- the exact accumulator ------------------------------------------------------ */

#define xacc_add qref__xacc_add
#define xacc_norm qref__xacc_norm
#define xacc_finish qref__xacc_finish
#define store_y qref__gemm_store_y
#define store_special qref__gemm_store_special
#define y_is_finite qref__gemm_y_is_finite

void qref__xacc_norm(int64_t *L)
{
    for (int i = 0; i < ACC_LIMBS - 1; i++) {
        int64_t low = L[i] & (int64_t)M32;            /* int64_t is two's complement */
        L[i + 1] += (L[i] - low) / ((int64_t)1 << 32); /* exact: a multiple of 2^32 */
        L[i] = low;
    }
}

static int xacc_bit(const int64_t *L, int j) { return j < 0 ? 0 : (int)((uint64_t)L[j >> 5] >> (j & 31)) & 1; }

/* Any bit below position j set? */
static int xacc_sticky(const int64_t *L, int j)
{
    if (j <= 0)
        return 0;
    for (int i = 0; i < (j >> 5); i++)
        if (L[i])
            return 1;
    return (j & 31) && ((uint64_t)L[j >> 5] & ((1ull << (j & 31)) - 1)) != 0;
}

/* The exact sum as hi = RN_double(sum) and lo carrying the sign of
 * sum - hi (see the top of the file). Destroys L. */
void qref__xacc_finish(int64_t *L, double *hi, double *lo)
{
    xacc_norm(L);
    uint64_t sign = 0;
    if (L[ACC_LIMBS - 1] < 0) {
        sign = 1ull << 63;
        for (int i = 0; i < ACC_LIMBS; i++)
            L[i] = -L[i];
        xacc_norm(L);
    }
    int t = ACC_LIMBS - 1;
    while (t >= 0 && L[t] == 0)
        t--;
    if (t < 0) {
        *hi = 0.0, *lo = 0.0;                         /* exact zero: +0 */
        return;
    }
    int P = 32 * t;                                   /* msb position, relative to ACC_BASE */
    for (uint64_t v = (uint64_t)L[t] >> 1; v; v >>= 1)
        P++;
    int pabs = P + ACC_BASE;
    int q = (pabs > -1022 ? pabs : -1022) - 52;       /* the double quantum at the sum */
    int qr = q - ACC_BASE;
    uint64_t n = 0, bits;
    int dir = 0;
    if (pabs > 1023) {
        bits = 0x7FF0000000000000ull;                 /* >= 2^1024: Inf */
    } else {
        for (int j = P; j >= qr; j--)
            n = (n << 1) | (uint64_t)xacc_bit(L, j);
        int rb = xacc_bit(L, qr - 1), st = xacc_sticky(L, qr - 1);
        if (rb && (st || (n & 1))) {
            n++;
            dir = -1;                                 /* rounded up: sum below hi */
        } else if (rb || st) {
            dir = 1;
        }
        bits = ((uint64_t)(q + 1074) << 52) + n;      /* normal and subnormal alike */
        if (bits >= 0x7FF0000000000000ull)
            bits = 0x7FF0000000000000ull, dir = 0;
    }
    double h, tiny;
    uint64_t hb = bits | sign, tb = 1 | ((dir > 0) ? sign : (sign ^ (1ull << 63)));
    memcpy(&h, &hb, sizeof h);
    memcpy(&tiny, &tb, sizeof tiny);
    *hi = h;
    *lo = dir ? tiny : 0.0;
}

/* Exponent range of a row in integer form: every nonzero entry is
 * mant·2^(rel + min) with 0 <= rel <= max - min and mant < 2^bits. */
typedef struct exprange {
    int min, max, bits;
} exprange;

static int bit_length(uint64_t v)
{
    int n = 0;
    while (v)
        v >>= 1, n++;
    return n;
}

/* The general path: terms into the limb array at offset
 * rel_a + rel_w + base (base = min_a + min_w - ACC_BASE). Two limb arrays
 * take alternate terms, which halves the chains of dependent
 * read-modify-writes on the same limbs; L1 is added into L0 at the end
 * (limbwise: exact). */
static void accumulate_limbs(int64_t *L0, int64_t *L1, const qref__aent *ar, const qref__wpiece *wp, size_t np,
                             int base)
{
    for (size_t p0 = 0; p0 < np; p0 += ACC_CHUNK) {
        size_t end = np - p0 > ACC_CHUNK ? p0 + ACC_CHUNK : np, p = p0;
        for (; p + 2 <= end; p += 2) {
            const qref__aent *x = &ar[wp[p].k], *z = &ar[wp[p + 1].k];
            xacc_add(L0, (uint64_t)x->mant * wp[p].mant, x->exp + wp[p].exp + base, x->neg ^ wp[p].neg);
            xacc_add(L1, (uint64_t)z->mant * wp[p + 1].mant, z->exp + wp[p + 1].exp + base, z->neg ^ wp[p + 1].neg);
        }
        if (p < end) {
            const qref__aent *x = &ar[wp[p].k];
            xacc_add(L0, (uint64_t)x->mant * wp[p].mant, x->exp + wp[p].exp + base, x->neg ^ wp[p].neg);
        }
        if (end < np) {
            xacc_norm(L0);
            xacc_norm(L1);
        }
    }
    for (int i = 0; i < ACC_LIMBS; i++)
        L0[i] += L1[i];
}

/* 128-bit two's complement accumulator in two words. */
typedef struct win {
    uint64_t lo, hi;
} win;

/* w += (-1)^neg · u · 2^sh, 0 <= sh <= 63. For neg, the negation of the
 * 128-bit (h, l) is (~h + [l == 0], -l). */
static inline void win_add(win *w, uint64_t u, int sh, unsigned neg)
{
    uint64_t l = u << sh, h = (u >> 1) >> (63 - sh), nm = 0 - (uint64_t)neg;
    uint64_t l2 = (l ^ nm) - nm, h2 = (h ^ nm) + (nm & (uint64_t)(l == 0));
    w->lo += l2;
    w->hi += h2 + (uint64_t)(w->lo < l2);
}

/* The fast path, when the window fits (window_fits): every term is
 * u·2^(rel_a + rel_w) with rel_a + rel_w <= 63, |u| < 2^(bits_a + bits_w),
 * and the sum of all np terms is below 2^126 in magnitude, so two 128-bit
 * words (two of them, alternate terms) hold every partial sum exactly,
 * in registers. The result is added into L at offset base. */
static void accumulate_window(int64_t *L, const qref__aent *ar, const qref__wpiece *wp, size_t np, int base)
{
    win w0 = { 0, 0 }, w1 = { 0, 0 };
    size_t p = 0;
    for (; p + 2 <= np; p += 2) {
        const qref__aent *x = &ar[wp[p].k], *z = &ar[wp[p + 1].k];
        win_add(&w0, (uint64_t)x->mant * wp[p].mant, x->exp + wp[p].exp, x->neg ^ wp[p].neg);
        win_add(&w1, (uint64_t)z->mant * wp[p + 1].mant, z->exp + wp[p + 1].exp, z->neg ^ wp[p + 1].neg);
    }
    if (p < np) {
        const qref__aent *x = &ar[wp[p].k];
        win_add(&w0, (uint64_t)x->mant * wp[p].mant, x->exp + wp[p].exp, x->neg ^ wp[p].neg);
    }
    w0.lo += w1.lo;
    w0.hi += w1.hi + (uint64_t)(w0.lo < w1.lo);
    unsigned neg = (unsigned)(w0.hi >> 63);
    if (neg) {                                         /* magnitude of a negative value */
        w0.hi = ~w0.hi + (uint64_t)(w0.lo == 0);
        w0.lo = 0 - w0.lo;
    }
    xacc_add(L, w0.lo & M32, base, neg);
    xacc_add(L, w0.lo >> 32, base + 32, neg);
    xacc_add(L, w0.hi & M32, base + 64, neg);
    xacc_add(L, w0.hi >> 32, base + 96, neg);
}

/* Whether accumulate_window is exact for these rows: offsets up to 63 and
 * np terms each below 2^(span + bits_a + bits_w) sum to less than 2^126. */
static int window_fits(exprange ra, exprange rw, size_t np)
{
    int span = (ra.max - ra.min) + (rw.max - rw.min);
    return span <= 63 && span + ra.bits + rw.bits + bit_length((uint64_t)np) <= 126;
}

/* ---- output and bound ------------------------------------------------------------ */

void qref__gemm_store_y(qref_fmt f, void *y, size_t i, double hi, double lo)
{
    if (f == QREF_FMT_F32)
        ((float *)y)[i] = qref_round2_to_f32(hi, lo);
    else if (f == QREF_FMT_F16)
        ((uint16_t *)y)[i] = qref_round2_to_f16(hi, lo);
    else
        ((uint16_t *)y)[i] = qref_round2_to_bf16(hi, lo);
}

int qref__gemm_y_is_finite(qref_fmt f, const void *y, size_t i)
{
    if (f == QREF_FMT_F32)
        return (qref_f32_bits(((const float *)y)[i]) & 0x7F800000u) != 0x7F800000u;
    uint16_t h = ((const uint16_t *)y)[i];
    return f == QREF_FMT_F16 ? (h & 0x7C00u) != 0x7C00u : (h & 0x7F80u) != 0x7F80u;
}

static float round_up_f32(double x)
{
    float f = (float)x;
    if ((double)f < x)
        f = qref_f32_from_bits(qref_f32_bits(f) + 1);  /* f >= 0 here; FLT_MAX + 1 ulp is Inf */
    return f;
}

static double fabs_d(double x) { return x < 0 ? -x : x; }

float qref__gemm_bound_ex(double S, double sum_a, double sum_w, double yabs, int64_t K, int has_bias, int extra,
                          double c_eta, qref_acc acc, qref_fmt out)
{
    double u = acc == QREF_ACC_F16 ? 0x1p-11 : 0x1p-24, eta = acc == QREF_ACC_F16 ? 0x1p-25 : 0x1p-150;
    double uo = out == QREF_FMT_F32 ? 0x1p-24 : out == QREF_FMT_F16 ? 0x1p-11 : 0x1p-8;
    double etao = out == QREF_FMT_F32 ? 0x1p-150 : out == QREF_FMT_F16 ? 0x1p-25 : 0x1p-134;
    double nt = (double)(K + has_bias), kp = nt + 2.0 + (double)extra;
    if (kp * u >= 1.0)
        return qref_f32_from_bits(0x7F800000u);
    double g = kp * u / (1.0 - kp * u);
    double E = g * S + (1.0 + g) * eta * (sum_a + sum_w + c_eta * nt);
    double B = (1.0 + uo) * E + 2.0 * uo * yabs + 2.0 * etao;
    return round_up_f32(B * (1.0 + (2.0 * (double)K + 128.0) * 0x1p-53));
}

static float gemm_bound(double S, double sum_a, double sum_w, double yabs, int64_t K, int has_bias, qref_acc acc,
                        qref_fmt out)
{
    return qref__gemm_bound_ex(S, sum_a, sum_w, yabs, K, has_bias, 0, 2.0, acc, out);
}

/* IEEE result of the sum when row m of A, row n of W or the bias holds Inf
 * or NaN: 1 NaN, 2 +Inf, 3 -Inf, 0 finite (not reached: a non-finite
 * operand always makes a non-finite term). */
static int special_sum(const qref__aent *ar, const double *hi, int64_t K, const float *bias,
                       const qref_gemm_desc *d, const void *a, int64_t lda, int64_t b, int64_t m)
{
    int pinf = 0, ninf = 0;
    for (int64_t k = 0; k < K; k++) {
        uint64_t wb = qref_f64_bits(hi[k]);
        int wnan = (wb & 0x7FFFFFFFFFFFFFFFull) > 0x7FF0000000000000ull;
        int winf = (wb & 0x7FFFFFFFFFFFFFFFull) == 0x7FF0000000000000ull;
        if (!ar[k].nonfinite && !wnan && !winf)
            continue;
        uint32_t ab = qref_f32_bits(qref__a_at(d, a, lda, b, m, k));
        if (qref_f32_is_nan(ab) || wnan)
            return 1;
        int azero = (ab & 0x7FFFFFFFu) == 0, wzero = (wb & 0x7FFFFFFFFFFFFFFFull) == 0;
        if ((qref_f32_is_inf(ab) && wzero) || (winf && azero))
            return 1;
        if ((ab >> 31) ^ (unsigned)(wb >> 63))
            ninf = 1;
        else
            pinf = 1;
    }
    if (bias) {
        uint32_t bb = qref_f32_bits(*bias);
        if (qref_f32_is_nan(bb))
            return 1;
        if (qref_f32_is_inf(bb))
            *((bb >> 31) ? &ninf : &pinf) = 1;
    }
    return pinf && ninf ? 1 : pinf ? 2 : ninf ? 3 : 0;
}

void qref__gemm_store_special(qref_fmt f, void *y, size_t i, int cls)
{
    static const uint32_t f32v[4] = { 0, 0x7FC00000u, 0x7F800000u, 0xFF800000u };
    static const uint16_t f16v[4] = { 0, 0x7E00u, 0x7C00u, 0xFC00u };
    static const uint16_t bf16v[4] = { 0, 0x7FC0u, 0x7F80u, 0xFF80u };
    if (f == QREF_FMT_F32)
        ((float *)y)[i] = qref_f32_from_bits(f32v[cls]);
    else
        ((uint16_t *)y)[i] = f == QREF_FMT_F16 ? f16v[cls] : bf16v[cls];
}

/* ---- the GEMM ---------------------------------------------------------------------- */

/* Cuts the exact row (hi, lo) into pieces with exponents relative to
 * r->min; returns the piece count, sets *nonfinite when a weight is Inf or
 * NaN. wabs[k] = |hi| + |lo|. */
static size_t make_pieces(const double *hi, const double *lo, int64_t K, qref__wpiece *wp, double *wabs,
                          double *sum_w, int *nonfinite, exprange *r)
{
    size_t np = 0;
    double s = 0.0;
    exprange e = { 1 << 20, -(1 << 20), 0 };
    uint64_t ormant = 0;                               /* bit length of the OR = the widest */
    *nonfinite = 0;
    for (int64_t k = 0; k < K; k++) {
        const double part[2] = { hi[k], lo[k] };
        for (int h = 0; h < 2; h++) {
            uint64_t mant;
            int exp, neg;
            if (qref__double_parts(part[h], &mant, &exp, &neg)) {
                *nonfinite = 1;
                continue;
            }
            if (mant == 0)
                continue;
            if (mant >> 40) {    /* two pieces of at most 32 and 21 bits */
                wp[np++] = (qref__wpiece){ mant & M32, (int32_t)k, (int16_t)exp, (uint16_t)neg };
                e.min = exp < e.min ? exp : e.min;
                ormant |= M32;
                mant >>= 32, exp += 32;
            }
            wp[np++] = (qref__wpiece){ mant, (int32_t)k, (int16_t)exp, (uint16_t)neg };
            e.min = exp < e.min ? exp : e.min;
            e.max = exp > e.max ? exp : e.max;
            ormant |= mant;
        }
        wabs[k] = fabs_d(hi[k]) + fabs_d(lo[k]);
        s += wabs[k];
    }
    if (!np)
        e.min = e.max = 0;
    e.bits = bit_length(ormant);
    for (size_t p = 0; p < np; p++)
        wp[p].exp = (int16_t)(wp[p].exp - e.min);
    *sum_w = s;
    *r = e;
    return np;
}

static double dot_abs(const double *x, const double *y, int64_t K)
{
    double s[4] = { 0, 0, 0, 0 };
    int64_t k = 0;
    for (; k + 4 <= K; k += 4)
        for (int j = 0; j < 4; j++)
            s[j] += x[k + j] * y[k + j];
    for (; k < K; k++)
        s[0] += x[k] * y[k];
    return (s[0] + s[1]) + (s[2] + s[3]);
}

qref_status qref_gemm(const qref_gemm_desc *d, const void *a, const qref_qtensor *w, const float *bias, void *y,
                      float *bound, qref_acc acc, qref_error *err)
{
    if (d && d->a_quant)
        return qref__gemm_aq(d, a, w, bias, y, bound, acc, err);
    int64_t lda, ldy;
    qref_status st = qref__gemm_check(d, a, w, bias, acc, &lda, &ldy, err);
    if (st != QREF_OK)
        return st;
    if (!y)
        return qref__fail(err, QREF_ERR_ARG, -1, -1, "gemm: no output given");
    const int64_t M = d->M, N = d->N, K = d->K;
    size_t mk = (size_t)(M * K);
    qref__aent *ae = malloc(sizeof *ae * mk);
    double *aabs = malloc(sizeof *aabs * mk), *suma = malloc(sizeof *suma * (size_t)M);
    exprange *arange = malloc(sizeof *arange * (size_t)M);
    unsigned char *anf = malloc((size_t)M);
    double *hi = malloc(sizeof *hi * (size_t)K), *lo = malloc(sizeof *lo * (size_t)K);
    double *wabs = malloc(sizeof *wabs * (size_t)K);
    qref__wpiece *wp = malloc(sizeof *wp * 4 * (size_t)K);
    int64_t *L = malloc(sizeof *L * 2 * ACC_LIMBS);
    if (!ae || !aabs || !suma || !arange || !anf || !hi || !lo || !wabs || !wp || !L) {
        st = qref__fail(err, QREF_ERR_SIZE, -1, -1, "gemm: out of memory");
        goto done;
    }
    for (int64_t b = 0; b < d->batch && st == QREF_OK; b++) {
        for (int64_t m = 0; m < M; m++) {
            double s = 0.0;
            anf[m] = 0;
            exprange r = { 1 << 20, -(1 << 20), 0 };
            uint32_t ormant = 0;
            for (int64_t k = 0; k < K; k++) {
                float f = qref__a_at(d, a, lda, b, m, k);
                size_t i = (size_t)(m * K + k);
                ae[i] = qref__aent_of(f);
                anf[m] |= ae[i].nonfinite;
                aabs[i] = ae[i].nonfinite ? 0.0 : fabs_d((double)f);
                s += aabs[i];
                if (ae[i].mant) {
                    r.min = ae[i].exp < r.min ? ae[i].exp : r.min;
                    r.max = ae[i].exp > r.max ? ae[i].exp : r.max;
                    ormant |= ae[i].mant;
                }
            }
            if (r.max < r.min)
                r.min = r.max = 0;
            r.bits = bit_length(ormant);
            for (int64_t k = 0; k < K; k++) {          /* exponents relative to the row's min */
                qref__aent *x = &ae[m * K + k];
                x->exp = (int16_t)(x->mant ? x->exp - r.min : 0);
            }
            arange[m] = r;
            suma[m] = s;
        }
        for (int64_t n = 0; n < N; n++) {
            memset(lo, 0, sizeof *lo * (size_t)K);
            if ((st = qref_dequantize_row_exact(&w[b], n, hi, lo, err)) != QREF_OK) {
                if (err) {
                    char m0[sizeof err->msg];
                    memcpy(m0, err->msg, sizeof m0);
                    snprintf(err->msg, sizeof err->msg, "gemm batch %lld: %.200s", (long long)b, m0);
                }
                break;
            }
            int wnf;
            double sumw;
            exprange wr;
            size_t np = make_pieces(hi, lo, K, wp, wabs, &sumw, &wnf, &wr);
            const float *bn = d->has_bias ? &bias[b * N + n] : NULL;
            qref__aent be = bn ? qref__aent_of(*bn) : (qref__aent){ 0, 0, 0, 0 };
            for (int64_t m = 0; m < M; m++) {
                size_t yi = (size_t)((b * M + m) * ldy + n);
                int cls = (wnf || anf[m] || be.nonfinite) ? special_sum(&ae[m * K], hi, K, bn, d, a, lda, b, m) : 0;
                if (cls) {
                    store_special(d->out_dtype, y, yi, cls);
                    if (bound)
                        bound[(b * M + m) * N + n] = 0.0f;
                    continue;
                }
                double yh, yl;
                int base = arange[m].min + wr.min - ACC_BASE;
                memset(L, 0, sizeof *L * 2 * ACC_LIMBS);
                if (window_fits(arange[m], wr, np))
                    accumulate_window(L, &ae[m * K], wp, np, base);
                else
                    accumulate_limbs(L, L + ACC_LIMBS, &ae[m * K], wp, np, base);
                if (be.mant)
                    xacc_add(L, be.mant, be.exp - ACC_BASE, be.neg);
                xacc_finish(L, &yh, &yl);
                store_y(d->out_dtype, y, yi, yh, yl);
                if (bound) {
                    float bv = 0.0f;
                    if (y_is_finite(d->out_dtype, y, yi)) {
                        double S = dot_abs(&aabs[m * K], wabs, K) + (bn ? fabs_d((double)*bn) : 0.0);
                        bv = gemm_bound(S, suma[m], sumw, fabs_d(yh), K, d->has_bias, acc, d->out_dtype);
                    }
                    bound[(b * M + m) * N + n] = bv;
                }
            }
        }
    }
done:
    free(ae);
    free(aabs);
    free(suma);
    free(arange);
    free(anf);
    free(hi);
    free(lo);
    free(wabs);
    free(wp);
    free(L);
    return st;
}
