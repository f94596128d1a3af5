/* slowcodec.c — the test oracle described in slowcodec.h.
 *
 * Written from /work/shared FORMATS.md, the contract text of
 * ref/include/qref/fmt.h and the convention tables of ref/README.md (where
 * FORMATS.md is silent) only; it shares no code with ref/src. Speed is not
 * a goal except for the table lookup (binary search, or a cached position),
 * which the exhaustive program needs. */
#include "slowcodec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t bits_of_float(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static float float_of_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* ---- names ------------------------------------------------------------- */

const char *slow_fmt_name(qref_fmt f)
{
    static const char *const n[QREF_FMT_COUNT] = {
        "f32", "f16", "bf16", "e4m3", "e5m2", "e2m1", "e2m3", "e3m2", "e8m0", "int8",
        "uint8", "int4", "uint4", "int3", "uint3", "int2", "uint2", "nf4", "nf3", "nf2",
    };
    return (unsigned)f < QREF_FMT_COUNT ? n[f] : "?fmt";
}

const char *slow_conv_name(qref_conv c)
{
    static const char *const n[QREF_CONV_COUNT] = {
        "ocp", "ml_dtypes_0_6", "torch", "cuda_satfinite", "cuda_nosat", "ggml", "ml_dtypes_0_7", "ml_dtypes_0_5_0", "torch_2_15",
    };
    return (unsigned)c < QREF_CONV_COUNT ? n[c] : "?conv";
}

const char *slow_mode_name(qref_mode m)
{
    static const char *const n[] = { "default", "sat", "nosat" };
    return (unsigned)m < 3 ? n[m] : "?mode";
}

const char *slow_status_name(qref_status s)
{
    static const char *const n[] = { "OK", "ERR_ARG", "ERR_NAN", "ERR_MODE", "ERR_CODE",
                                     "ERR_UNSUPPORTED", "ERR_SIZE", "ERR_DATA" };
    return (unsigned)s < sizeof n / sizeof n[0] ? n[s] : "?status";
}

uint64_t slow_test_seed(uint64_t dflt)
{
    const char *s = getenv("QCTS_TEST_SEED");
    if (!s || !*s)
        return dflt;
    return strtoull(s, NULL, 0);
}

/* ---- independent decode (FORMATS.md §1, §4, §5) -------------------------- */

/* The NF tables exactly as printed in FORMATS.md §5 (float32 literals). */
static const float nf4_lit[16] = {
    -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
    -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
    0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
    0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f,
};
static const float nf3_lit[8] = {
    -1.0f, -0.5350227355957031f, -0.2469314038753510f, 0.0f,
    0.1833375245332718f, 0.3819939494132996f, 0.6229856610298157f, 1.0f,
};
static const float nf2_lit[4] = { -1.0f, 0.0f, 0.4358180761f, 1.0f };

static unsigned width(qref_fmt f)
{
    switch (f) {
    case QREF_FMT_F32: return 32;
    case QREF_FMT_F16: case QREF_FMT_BF16: return 16;
    case QREF_FMT_E4M3: case QREF_FMT_E5M2: case QREF_FMT_E8M0:
    case QREF_FMT_INT8: case QREF_FMT_UINT8: return 8;
    case QREF_FMT_E2M3: case QREF_FMT_E3M2: return 6;
    case QREF_FMT_E2M1: case QREF_FMT_INT4: case QREF_FMT_UINT4: case QREF_FMT_NF4: return 4;
    case QREF_FMT_INT3: case QREF_FMT_UINT3: case QREF_FMT_NF3: return 3;
    case QREF_FMT_INT2: case QREF_FMT_UINT2: case QREF_FMT_NF2: return 2;
    default: return 0;
    }
}

static int is_signed_int(qref_fmt f)
{
    return f == QREF_FMT_INT8 || f == QREF_FMT_INT4 || f == QREF_FMT_INT3 || f == QREF_FMT_INT2;
}

static int is_int(qref_fmt f)
{
    return is_signed_int(f) || f == QREF_FMT_UINT8 || f == QREF_FMT_UINT4 || f == QREF_FMT_UINT3 ||
           f == QREF_FMT_UINT2;
}

/* Sign/magnitude formats: a sign bit on top, and a -0 code. */
static int is_sign_mag(qref_fmt f)
{
    switch (f) {
    case QREF_FMT_F16: case QREF_FMT_BF16: case QREF_FMT_E4M3: case QREF_FMT_E5M2:
    case QREF_FMT_E2M1: case QREF_FMT_E2M3: case QREF_FMT_E3M2:
        return 1;
    default:
        return 0;
    }
}

/* Formats whose NOSAT mode overflows to a special code (Inf or NaN). */
static int has_overflow_code(qref_fmt f)
{
    return f == QREF_FMT_F16 || f == QREF_FMT_BF16 || f == QREF_FMT_E4M3 || f == QREF_FMT_E5M2 ||
           f == QREF_FMT_E8M0;
}

/* Magnitude of a sign/magnitude code (sign bit removed) as the formula of
 * FORMATS.md gives it, with no special codes: `mag` may be one past the
 * largest finite code, which gives the virtual overflow entry. */
static double minifloat_mag(qref_fmt f, uint32_t mag)
{
    uint32_t e, m;
    switch (f) {
    case QREF_FMT_F16:        /* 1/5/10, bias 15 */
        e = mag >> 10, m = mag & 0x3FF;
        return e == 0 ? ldexp(m, -24) : ldexp(1024 + m, (int)e - 25);
    case QREF_FMT_BF16:       /* 1/8/7, bias 127 */
        e = mag >> 7, m = mag & 0x7F;
        return e == 0 ? ldexp(m, -126 - 7) : ldexp(1.0 + m / 128.0, (int)e - 127);
    case QREF_FMT_E4M3:       /* bias 7 */
        e = mag >> 3, m = mag & 7;
        return e == 0 ? ldexp(m / 8.0, -6) : ldexp(1.0 + m / 8.0, (int)e - 7);
    case QREF_FMT_E5M2:       /* bias 15 */
        e = mag >> 2, m = mag & 3;
        return e == 0 ? ldexp(m / 4.0, -14) : ldexp(1.0 + m / 4.0, (int)e - 15);
    case QREF_FMT_E2M1:       /* e = bits[2:1], m = bit0 */
        e = mag >> 1, m = mag & 1;
        return e == 0 ? 0.5 * m : ldexp(1.0, (int)e - 1) * (1.0 + m / 2.0);
    case QREF_FMT_E2M3:
        e = mag >> 3, m = mag & 7;
        return e > 0 ? ldexp(1.0, (int)e - 1) * (1.0 + m / 8.0) : m / 8.0;
    case QREF_FMT_E3M2:
        e = mag >> 2, m = mag & 3;
        return e > 0 ? ldexp(1.0, (int)e - 3) * (1.0 + m / 4.0) : m / 16.0;
    default:
        abort();
    }
}

static int finish(double v, int cls, uint32_t f32bits, double *value, uint32_t *f32)
{
    if (value)
        *value = v;
    if (f32)
        *f32 = f32bits;
    return cls;
}

static int finite_result(double v, double *value, uint32_t *f32)
{
    /* every value here is a float32, so the conversion is exact */
    return finish(v, SLOW_FINITE, bits_of_float((float)v), value, f32);
}

int slow_decode(qref_fmt f, qref_conv c, uint32_t code, double *value, uint32_t *f32)
{
    unsigned w = width(f);
    if (w == 0 || (w < 32 && (code >> w) != 0))
        return -1;
    if (f == QREF_FMT_F32) {
        float x = float_of_bits(code);
        int cls = isnan(x) ? SLOW_NAN : isinf(x) ? SLOW_INF : SLOW_FINITE;
        return finish((double)x, cls, code, value, f32);
    }
    if (is_sign_mag(f)) {
        uint32_t s = code >> (w - 1), mag = code & ((1u << (w - 1)) - 1);
        uint32_t sbit = s << 31;
        double sg = s ? -1.0 : 1.0;
        switch (f) {
        case QREF_FMT_F16:
            if ((mag >> 10) == 31) {
                uint32_t payload = (mag & 0x3FF) << 13;
                if (payload == 0)
                    return finish(sg * INFINITY, SLOW_INF, sbit | 0x7F800000u, value, f32);
                if (c == QREF_CONV_TORCH || c == QREF_CONV_TORCH_2_15)   /* torch CPU: quieted */
                    payload |= 0x400000u;
                return finish(NAN, SLOW_NAN, sbit | 0x7F800000u | payload, value, f32);
            }
            break;
        case QREF_FMT_BF16:
            if ((mag >> 7) == 0xFF) {
                uint32_t payload = (mag & 0x7F) << 16;
                if (payload == 0)
                    return finish(sg * INFINITY, SLOW_INF, sbit | 0x7F800000u, value, f32);
                return finish(NAN, SLOW_NAN, sbit | 0x7F800000u | payload, value, f32);
            }
            break;
        case QREF_FMT_E4M3:      /* S.1111.111 is NaN, no Inf */
            if (mag == 0x7F)
                return finish(NAN, SLOW_NAN, sbit | 0x7FC00000u, value, f32);
            break;
        case QREF_FMT_E5M2:      /* S.11111.00 Inf, S.11111.xx NaN */
            if (mag == 0x7C)
                return finish(sg * INFINITY, SLOW_INF, sbit | 0x7F800000u, value, f32);
            if (mag > 0x7C)
                return finish(NAN, SLOW_NAN, sbit | 0x7FC00000u, value, f32);
            break;
        default:                 /* FP4, FP6: every code is finite */
            break;
        }
        return finite_result(sg * minifloat_mag(f, mag), value, f32);
    }
    if (f == QREF_FMT_E8M0) {
        if (code == 0xFF) {
            if (c == QREF_CONV_GGML)   /* ggml_e8m0_to_fp32: NaN branch commented out */
                return finish(INFINITY, SLOW_INF, 0x7F800000u, value, f32);
            return finish(NAN, SLOW_NAN, 0x7FC00000u, value, f32);
        }
        return finite_result(ldexp(1.0, (int)code - 127), value, f32);
    }
    if (is_int(f)) {
        long v = (long)code;
        if (is_signed_int(f) && (code >> (w - 1)))
            v -= 1L << w;            /* two's complement */
        return finite_result((double)v, value, f32);
    }
    switch (f) {
    case QREF_FMT_NF4: return finite_result(nf4_lit[code], value, f32);
    case QREF_FMT_NF3: return finite_result(nf3_lit[code], value, f32);
    case QREF_FMT_NF2: return finite_result(nf2_lit[code], value, f32);
    default: return -1;
    }
}

/* ---- modes (qref/fmt.h, "Modes") --------------------------------------- */

qref_status slow_mode_resolve(qref_fmt f, qref_conv c, qref_mode req, qref_mode *eff)
{
    if ((unsigned)f >= QREF_FMT_COUNT || (unsigned)c >= QREF_CONV_COUNT || (unsigned)req > 2 || !eff)
        return QREF_ERR_ARG;
    qref_mode fixed;
    if (f == QREF_FMT_E4M3 || f == QREF_FMT_E5M2 || f == QREF_FMT_E8M0) {
        if (c == QREF_CONV_OCP || c == QREF_CONV_GGML) {
            /* both available; the default saturates (FORMATS.md Part A 3) */
            *eff = req == QREF_MODE_DEFAULT ? QREF_MODE_SAT : req;
            return QREF_OK;
        }
        fixed = c == QREF_CONV_CUDA_SATFINITE || (c == QREF_CONV_TORCH_2_15 && f == QREF_FMT_E4M3)
                    ? QREF_MODE_SAT : QREF_MODE_NOSAT;
    } else if (f == QREF_FMT_F32 || f == QREF_FMT_F16 || f == QREF_FMT_BF16) {
        fixed = QREF_MODE_NOSAT;   /* always overflow to Inf */
    } else {
        fixed = QREF_MODE_SAT;     /* FP4, FP6, INT, NF always saturate */
    }
    if (req != QREF_MODE_DEFAULT && req != fixed)
        return QREF_ERR_MODE;
    *eff = fixed;
    return QREF_OK;
}

/* ---- tables ------------------------------------------------------------- */

typedef struct entry {
    double v;
    uint32_t code;
    unsigned char virt;
} entry;

static slow_table tables[QREF_FMT_COUNT][2];
static double e2m1_by_code[16];      /* E2M1 values in code order, with its table */

static int cmp_entry(const void *a, const void *b)
{
    double x = ((const entry *)a)->v, y = ((const entry *)b)->v;
    return (x > y) - (x < y);
}

static void die(const char *what, qref_fmt f)
{
    fprintf(stderr, "slowcodec: %s (%s)\n", what, slow_fmt_name(f));
    abort();
}

static void build(qref_fmt f, int virt)
{
    unsigned w = width(f);
    uint32_t ncodes = 1u << w;
    entry *e = malloc((ncodes + 2) * sizeof *e);
    if (!e)
        die("out of memory", f);
    size_t n = 0;
    for (uint32_t code = 0; code < ncodes; code++) {
        double v;
        if (slow_decode(f, QREF_CONV_OCP, code, &v, NULL) != SLOW_FINITE)
            continue;
        if (v == 0 && signbit(v))
            continue;                /* one zero: the +0 code */
        e[n++] = (entry){ v, code, 0 };
    }
    if (virt) {
        if (f == QREF_FMT_E8M0) {
            e[n++] = (entry){ ldexp(1.0, 128), 0xFF, 1 };
        } else {
            uint32_t sign = 1u << (w - 1), top = 0;
            for (uint32_t i = 0; i < n; i++)
                if (e[i].code < sign && e[i].code > top)
                    top = e[i].code;
            double big = minifloat_mag(f, top + 1);
            e[n++] = (entry){ big, top + 1, 1 };
            e[n++] = (entry){ -big, sign | (top + 1), 1 };
        }
    }
    qsort(e, n, sizeof *e, cmp_entry);
    double *v = malloc(n * sizeof *v);
    uint32_t *code = malloc(n * sizeof *code);
    unsigned char *vt = malloc(n);
    if (!v || !code || !vt)
        die("out of memory", f);
    for (size_t i = 0; i < n; i++) {
        v[i] = e[i].v;
        code[i] = e[i].code;
        vt[i] = e[i].virt;
        /* the invariants the rounding below relies on */
        if (i > 0 && !(v[i] > v[i - 1]))
            die("table not strictly increasing", f);
        if (i > 0 && ((code[i] ^ code[i - 1]) & 1) == 0)
            die("neighbours with codes of the same parity: ties to even undefined", f);
        if (i > 0 && ((v[i] + v[i - 1]) / 2 - v[i - 1] != v[i] - (v[i] + v[i - 1]) / 2))
            die("midpoint not exact in double", f);
    }
    free(e);
    tables[f][virt] = (slow_table){ n, v, code, vt };
}

const slow_table *slow_table_get(qref_fmt f, qref_mode eff)
{
    if ((unsigned)f >= QREF_FMT_COUNT || f == QREF_FMT_F32)
        return NULL;
    int virt = eff == QREF_MODE_NOSAT && has_overflow_code(f);
    if (!tables[f][virt].n) {
        build(f, virt);
        if (f == QREF_FMT_E2M1)
            for (uint32_t code = 0; code < 16; code++)
                slow_decode(f, QREF_CONV_GGML, code, &e2m1_by_code[code], NULL);
    }
    return &tables[f][virt];
}

void slow_init(void)
{
    for (unsigned f = 0; f < QREF_FMT_COUNT; f++) {
        slow_table_get((qref_fmt)f, QREF_MODE_SAT);
        slow_table_get((qref_fmt)f, QREF_MODE_NOSAT);
    }
}

/* ---- rounding to a neighbour -------------------------------------------- */

typedef enum rule {
    TIE_EVEN,    /* nearest, ties to the even code */
    TIE_UP,      /* nearest, ties to the larger value */
    TIE_AWAY,    /* nearest, ties away from zero */
    TIE_ZERO,    /* nearest, ties toward zero */
    CEILING      /* the smallest entry >= x */
} rule;

/* i with v[i] <= x < v[i+1]; requires v[0] < x < v[n-1]. */
static size_t locate(const slow_table *t, double x, size_t *hint)
{
    if (hint && *hint + 1 < t->n) {
        size_t h = *hint;
        if (t->v[h] <= x && x < t->v[h + 1])
            return h;
        if (h + 2 < t->n && t->v[h + 1] <= x && x < t->v[h + 2])
            return *hint = h + 1;
        if (h > 0 && t->v[h - 1] <= x && x < t->v[h])
            return *hint = h - 1;
    }
    size_t lo = 0, hi = t->n - 1;    /* v[lo] <= x < v[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->v[mid] <= x)
            lo = mid;
        else
            hi = mid;
    }
    if (hint)
        *hint = lo;
    return lo;
}

static size_t round_to_table(const slow_table *t, double x, rule r, size_t *hint)
{
    if (!(x > t->v[0]))
        return 0;                    /* x <= the lowest entry: clamp */
    if (x >= t->v[t->n - 1])
        return t->n - 1;             /* x >= the highest entry: clamp */
    size_t i = locate(t, x, hint);
    double a = t->v[i], b = t->v[i + 1];
    if (x == a)
        return i;
    if (r == CEILING)
        return i + 1;
    double mid = (a + b) / 2;        /* exact (checked when the table was built) */
    if (x < mid)
        return i;
    if (x > mid)
        return i + 1;
    switch (r) {
    case TIE_EVEN: return (t->code[i] & 1) ? i + 1 : i;
    case TIE_UP: return i + 1;
    case TIE_AWAY: return fabs(a) > fabs(b) ? i : i + 1;
    case TIE_ZERO: return fabs(a) < fabs(b) ? i : i + 1;
    default: abort();
    }
}

/* Rounds finite or infinite x with rule r; a zero result takes the sign of
 * x in sign/magnitude formats. */
static uint32_t round_code(qref_fmt f, qref_mode eff, double x, rule r, size_t *hint)
{
    const slow_table *t = slow_table_get(f, eff);
    size_t i = round_to_table(t, x, r, hint);
    uint32_t code = t->code[i];
    if (t->v[i] == 0 && signbit(x) && is_sign_mag(f))
        code |= 1u << (width(f) - 1);
    return code;
}

/* ---- ggml E2M1: best_index_mxfp4 (FORMATS.md §6, MXFP4) ------------------
 * "The code is the argmin of |kv·d − x| taking the first minimum", over the
 * codes in index order, in float32 arithmetic. While |x| < 2^22 every error
 * that can be the minimum is exact, so this is nearest with ties toward zero
 * (the smaller index) and +0 before -0: the table rule TIE_ZERO. Beyond, the
 * float32 rounding of the errors decides, so the definition is evaluated
 * literally: (float)(v - x) computed in double then rounded once is the
 * float32 difference (double has >= 2*24+2 bits). NaN: no error is smaller
 * than the first, so code 0; +-Inf: all errors are Inf, code 0. */
static uint32_t ggml_e2m1(uint32_t u, size_t *hint)
{
    float xf = float_of_bits(u);
    if (isnan(xf))
        return 0;
    double x = xf;
    const slow_table *t = slow_table_get(QREF_FMT_E2M1, QREF_MODE_SAT);   /* also fills e2m1_by_code */
    if (fabs(x) < 0x1p22)
        return t->code[round_to_table(t, x, TIE_ZERO, hint)];            /* never -0 */
    uint32_t best = 0;
    float best_err = INFINITY;
    for (uint32_t code = 0; code < 16; code++) {
        double v = e2m1_by_code[code];
        float err = fabsf((float)(v - x));
        if (code == 0 || err < best_err) {
            best_err = err;
            best = code;
        }
    }
    return best;
}

/* ---- encode per format: the rules of FORMATS.md §3, §4 and Part A -------- */

static int is_cuda(qref_conv c) { return c == QREF_CONV_CUDA_SATFINITE || c == QREF_CONV_CUDA_NOSAT; }
static int is_ml(qref_conv c)
{
    return c == QREF_CONV_ML_DTYPES || c == QREF_CONV_ML_DTYPES_0_7 || c == QREF_CONV_ML_DTYPES_0_5_0;
}

qref_status slow_encode_eff(qref_fmt f, qref_conv c, qref_mode eff, uint32_t u, uint32_t *code,
                            size_t *hint)
{
    uint32_t neg = u >> 31, a = u & 0x7FFFFFFFu;
    int nan = a > 0x7F800000u, inf = a == 0x7F800000u;
    double x = (double)float_of_bits(u);

    switch (f) {
    case QREF_FMT_F32:
        *code = u;                   /* identity, NaN payloads included */
        return QREF_OK;

    case QREF_FMT_F16:               /* FORMATS.md §4 FP16; overflow -> Inf */
        if (nan) {
            if (is_ml(c)) {   /* numpy: 0x7C00 + (sig >> 13), forced non-zero */
                uint32_t h = 0x7C00u + ((u & 0x7FFFFFu) >> 13);
                *code = (neg << 15) | (h == 0x7C00u ? 0x7C01u : h);
            } else if (is_cuda(c)) {
                *code = 0x7FFFu;              /* __float2half_rn */
            } else if (c == QREF_CONV_TORCH || c == QREF_CONV_TORCH_2_15) { /* quiet, top payload kept */
                *code = (neg << 15) | 0x7E00u | ((u & 0x7FFFFFu) >> 13);
            } else {
                *code = (neg << 15) | 0x7E00u; /* ocp, ggml */
            }
            return QREF_OK;
        }
        *code = inf ? (neg << 15) | 0x7C00u : round_code(f, QREF_MODE_NOSAT, x, TIE_EVEN, hint);
        return QREF_OK;

    case QREF_FMT_BF16:              /* FORMATS.md §4 BF16 NaN table */
        if (nan) {
            switch (c) {
            case QREF_CONV_TORCH: case QREF_CONV_TORCH_2_15: *code = 0xFFFFu; break;
            case QREF_CONV_ML_DTYPES: case QREF_CONV_ML_DTYPES_0_7: case QREF_CONV_ML_DTYPES_0_5_0: *code = (neg << 15) | 0x7FC0u; break;
            case QREF_CONV_CUDA_SATFINITE: case QREF_CONV_CUDA_NOSAT: *code = 0x7FFFu; break;
            default: *code = (u >> 16) | 0x40u; break;   /* ocp, ggml */
            }
            return QREF_OK;
        }
        *code = inf ? (neg << 15) | 0x7F80u : round_code(f, QREF_MODE_NOSAT, x, TIE_EVEN, hint);
        return QREF_OK;

    case QREF_FMT_E4M3:              /* FORMATS.md §3 E4M3FN table */
        if (nan)
            *code = is_cuda(c) ? 0x7Fu : (neg << 7) | 0x7Fu;   /* CUDA drops the sign */
        else if (inf)
            *code = (neg << 7) | (eff == QREF_MODE_SAT ? 0x7Eu : 0x7Fu);
        else
            *code = round_code(f, eff, x, TIE_EVEN, hint);
        return QREF_OK;

    case QREF_FMT_E5M2:              /* FORMATS.md §3 E5M2 table */
        if (nan) {
            if (is_cuda(c))
                *code = 0x7Fu;
            else if (c == QREF_CONV_TORCH || c == QREF_CONV_TORCH_2_15)
                *code = (neg << 7) | 0x7Fu;
            else
                *code = (neg << 7) | 0x7Eu;   /* ocp, ml_dtypes, ggml */
        } else if (inf) {
            *code = (neg << 7) | (eff == QREF_MODE_SAT ? 0x7Bu : 0x7Cu);
        } else {
            *code = round_code(f, eff, x, TIE_EVEN, hint);
        }
        return QREF_OK;

    case QREF_FMT_E2M1:
    case QREF_FMT_E2M3:
    case QREF_FMT_E3M2: {            /* FORMATS.md §3 E2M1 and Part A 3 (FP4, FP6) */
        unsigned w = width(f);
        uint32_t sign = 1u << (w - 1), max = sign - 1;
        if (f == QREF_FMT_E2M1 && c == QREF_CONV_GGML) {
            *code = ggml_e2m1(u, hint);
            return QREF_OK;
        }
        if (nan) {
            if (is_ml(c)) {   /* quiet_NaN() = -0, then the sign is applied */
                *code = neg ? 0 : sign;
                return QREF_OK;
            }
            *code = max;                      /* +MAXNORM */
            return is_cuda(c) ? QREF_OK : QREF_ERR_NAN;
        }
        *code = inf ? (neg ? sign : 0) | max : round_code(f, QREF_MODE_SAT, x, TIE_EVEN, hint);
        return QREF_OK;
    }

    case QREF_FMT_E8M0:              /* FORMATS.md §3 E8M0 table, Part A 3, ref/README.md */
        if (nan) {
            *code = 0xFF;
            return QREF_OK;
        }
        switch (c) {
        case QREF_CONV_TORCH:        /* encodes |x|; 0 -> 0x00; Inf -> 0xFF */
        case QREF_CONV_TORCH_2_15:
        case QREF_CONV_ML_DTYPES:    /* 0, negative, Inf -> 0xFF */
        case QREF_CONV_ML_DTYPES_0_7:
        case QREF_CONV_ML_DTYPES_0_5_0:
            if (inf || (is_ml(c) && (neg || a == 0))) {
                *code = 0xFF;
            } else if (a == 0) {
                *code = 0x00;
            } else if (c == QREF_CONV_ML_DTYPES_0_7 && fabs(x) < 0x1p-126) {
                /* 0.7.0 rounds subnormals by value, ties up: the midpoint
                 * of 2^-127 and 2^-126 is 1.5 * 2^-127 */
                *code = fabs(x) >= 0x1.8p-127 ? 0x01 : 0x00;
            } else if (fabs(x) < 0x1p-126) {
                /* guard/round/sticky with lsb = (exponent field > 0): for a
                 * float32 subnormal lsb = 0, so exactly 2^-127 stays at 0x00
                 * and anything above goes to 0x01 (ref/README.md: measured
                 * with ml_dtypes 0.6.0, 0x00400001 -> 0x01) */
                *code = fabs(x) <= 0x1p-127 ? 0x00 : 0x01;
            } else {
                /* normal: the tie bit is the implicit 1, so ties round up
                 * (ml_dtypes 0.5.0: ties to the even code); rounding up from
                 * 0xFE gives 0xFF (the NOSAT virtual entry) */
                *code = round_code(f, eff, fabs(x), c == QREF_CONV_ML_DTYPES_0_5_0 ? TIE_EVEN : TIE_UP, hint);
            }
            return QREF_OK;
        case QREF_CONV_CUDA_SATFINITE:
        case QREF_CONV_CUDA_NOSAT:   /* cudaRoundPosInf: ceiling of |x| */
            if (inf)
                *code = eff == QREF_MODE_SAT ? 0xFE : 0xFF;
            else
                *code = a == 0 ? 0x00 : round_code(f, eff, fabs(x), CEILING, hint);
            return QREF_OK;
        default:                     /* ocp, ggml (= ocp): true ties to even */
            if (inf || neg || a == 0)
                *code = 0xFF;
            else
                *code = round_code(f, eff, x, TIE_EVEN, hint);   /* < 2^-127 clamps to 0x00 */
            return QREF_OK;
        }

    case QREF_FMT_NF4:
    case QREF_FMT_NF3:
    case QREF_FMT_NF2:               /* nearest, ties to the even code; +-Inf saturate */
        if (nan) {
            const slow_table *t = slow_table_get(f, QREF_MODE_SAT);
            size_t i = 0;
            while (t->v[i] != 0)
                i++;
            *code = t->code[i];      /* the code of 0.0 */
            return QREF_ERR_NAN;
        }
        *code = round_code(f, QREF_MODE_SAT, x, TIE_EVEN, hint);
        return QREF_OK;

    default:
        if (!is_int(f))
            return QREF_ERR_ARG;
        if (nan) {                   /* no NaN code: the code of 0 */
            *code = 0;
            return QREF_ERR_NAN;
        }
        /* ties to even (nearbyint), ggml: ties away (roundf); +-Inf saturate */
        *code = round_code(f, QREF_MODE_SAT, x, c == QREF_CONV_GGML ? TIE_AWAY : TIE_EVEN, hint);
        return QREF_OK;
    }
}

qref_status slow_encode(qref_fmt f, qref_conv c, qref_mode req, uint32_t u, uint32_t *code)
{
    qref_mode eff;
    if (!code)
        return QREF_ERR_ARG;
    qref_status st = slow_mode_resolve(f, c, req, &eff);
    if (st != QREF_OK)
        return st;
    return slow_encode_eff(f, c, eff, u, code, NULL);
}

/* ---- test inputs --------------------------------------------------------- */

typedef struct vec {
    uint32_t *u;
    size_t n, cap;
} vec;

static void push(vec *v, uint32_t u)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? 2 * v->cap : 4096;
        v->u = realloc(v->u, v->cap * sizeof *v->u);
        if (!v->u)
            abort();
    }
    v->u[v->n++] = u;
}

/* x, -x and their float32 neighbours on both sides. */
static void push_around(vec *v, float x)
{
    float s[3] = { x, nextafterf(x, INFINITY), nextafterf(x, -INFINITY) };
    for (int i = 0; i < 3; i++) {
        push(v, bits_of_float(s[i]));
        push(v, bits_of_float(s[i]) ^ 0x80000000u);
    }
}

static void push_specials(vec *v)
{
    static const uint32_t exact[] = {
        /* zeros, infinities */
        0x00000000u, 0x80000000u, 0x7F800000u, 0xFF800000u,
        /* NaNs: quiet and signalling, payloads, both signs */
        0x7FC00000u, 0xFFC00000u, 0x7F800001u, 0xFF800001u, 0x7FBFFFFFu, 0xFFBFFFFFu,
        0x7FFFFFFFu, 0xFFFFFFFFu, 0x7FC00001u, 0xFFC00001u, 0x7FA00000u, 0x7F802000u,
        0xFF802000u, 0x7F801FFFu, 0x7FFFE000u, 0x7F810000u, 0xFFE10000u, 0x7FD5AA55u,
    };
    for (unsigned i = 0; i < sizeof exact / sizeof exact[0]; i++)
        push(v, exact[i]);
    static const float around[] = {
        /* float32 subnormal boundaries */
        0x1p-149f, 0x1p-127f, 0x1.8p-127f, 0x1p-126f, 0x1.fffffcp-127f,
        /* E4M3 overflow: 448 max, 464 tie, 480 virtual next */
        448.0f, 464.0f, 480.0f, 0x1p-9f, 0x1p-10f, 0x1.8p-10f, 0x1p-6f,
        /* E5M2: 57344 max, 61440 tie, 2^16 */
        57344.0f, 61440.0f, 65536.0f, 0x1p-16f, 0x1p-17f,
        /* F16: 65504 max, 65520 tie, 2^-24, 2^-25 */
        65504.0f, 65520.0f, 0x1p-24f, 0x1p-25f, 0x1.8p-25f, 0x1p-14f,
        /* BF16: max, the midpoint to 2^128, the largest float32 */
        0x1.fep127f, 0x1.ffp127f, 0x1.fffffep127f, 0x1p-133f, 0x1p-134f,
        /* E8M0: 2^127 max, 1.5*2^127 tie with 2^128, ties around 1 */
        0x1p127f, 0x1.8p127f, 0.75f, 1.5f, 3.0f, 1.0f,
        /* FP4/FP6/INT/NF ranges, ggml E2M1's float-error regime */
        6.0f, 5.0f, 7.5f, 28.0f, 30.0f, 0.25f, 127.5f, 128.0f, 255.5f, 256.0f, 2147483648.0f,
        0x1p22f, 0x1p23f, 0x1p24f, 0x1p25f, 0x1p26f, 0x1p30f, 1e30f, 1e-30f,
    };
    for (unsigned i = 0; i < sizeof around / sizeof around[0]; i++)
        push_around(v, around[i]);
}

uint32_t *slow_structured_inputs(qref_fmt f, size_t *n)
{
    vec v = { 0 };
    unsigned w = width(f);
    if (w > 0 && w <= 16) {
        for (uint32_t code = 0; code < (1u << w); code++) {
            uint32_t b;
            slow_decode(f, QREF_CONV_OCP, code, NULL, &b);
            push_around(&v, float_of_bits(b));
        }
        for (int virt = 0; virt < 2; virt++) {
            const slow_table *t = slow_table_get(f, virt ? QREF_MODE_NOSAT : QREF_MODE_SAT);
            for (size_t i = 0; i + 1 < t->n; i++)
                push_around(&v, (float)((t->v[i] + t->v[i + 1]) / 2));   /* exact or nearest */
            if (t->v[t->n - 1] <= 0x1p127)
                push_around(&v, (float)t->v[t->n - 1]);                 /* virtual 480, 2^16 */
        }
    }
    push_specials(&v);
    *n = v.n;
    return v.u;
}

void slow_rng_init(slow_rng *r, uint64_t seed, qref_fmt f)
{
    r->state = seed;
    r->elo = 1;
    r->ehi = 0;                      /* F32: uniform bit patterns only */
    const slow_table *t = slow_table_get(f, QREF_MODE_NOSAT);
    if (!t)
        return;
    double lo = INFINITY, hi = 0;
    for (size_t i = 0; i < t->n; i++) {
        double a = fabs(t->v[i]);
        if (a > 0 && a < lo)
            lo = a;
        if (a > hi)
            hi = a;
    }
    r->elo = ilogb(lo) - 3 < -149 ? -149 : ilogb(lo) - 3;
    r->ehi = ilogb(hi) + 3 > 127 ? 127 : ilogb(hi) + 3;
}

uint32_t slow_rng_input(slow_rng *r)
{
    uint64_t x = slow_rand64(&r->state);
    if ((x & 1) || r->elo > r->ehi)
        return (uint32_t)(x >> 32);
    uint32_t sign = (uint32_t)(x >> 1) & 1, m = (uint32_t)(x >> 2) & 0x7FFFFFu;
    int e = r->elo + (int)((x >> 25) % (uint64_t)(r->ehi - r->elo + 1));
    uint32_t mag = e >= -126 ? ((uint32_t)(e + 127) << 23) | m : (0x800000u | m) >> (-126 - e);
    return (sign << 31) | mag;
}
