/* Activation quantizers of the quantized-activation GEMM (qref/actquant.h
 * has the rules). The GGUF ones follow ggml's quantize_row_q8_0_ref /
 * q8_1_ref / q8_K_ref operation for operation, so their codes and scales
 * are ggml's bit for bit (tests/cli/test-qact-ggml.sh compares them with a
 * ggml build); the token/tensor ones follow vLLM's dynamic per-token int8
 * and per-tensor/per-token fp8 quantizers with the rounding fixed. */
#include <string.h>

#include "qref/actquant.h"
#include "qref/bits.h"
#include "qref/fmt.h"

static const char *const aq_names[QREF_AQ_COUNT] = { "none", "int8_token", "fp8_e4m3_tensor", "fp8_e4m3_token",
                                                     "q8_0", "q8_1", "q8_k" };

const char *qref_aq_name(qref_aq m) { return (unsigned)m < QREF_AQ_COUNT ? aq_names[m] : NULL; }

qref_status qref_aq_from_name(const char *name, qref_aq *out)
{
    if (!name || !out)
        return QREF_ERR_ARG;
    for (unsigned i = 0; i < QREF_AQ_COUNT; i++) {
        const char *p = name, *q = aq_names[i];
        while (*p && *q && (*p == *q || (*p >= 'A' && *p <= 'Z' && *p - 'A' + 'a' == *q)))
            p++, q++;
        if (!*p && !*q) {
            *out = (qref_aq)i;
            return QREF_OK;
        }
    }
    return QREF_ERR_ARG;
}

int64_t qref_aq_block(qref_aq m, int64_t K)
{
    switch (m) {
    case QREF_AQ_INT8_TOKEN:
    case QREF_AQ_FP8_E4M3_TENSOR:
    case QREF_AQ_FP8_E4M3_TOKEN: return K;
    case QREF_AQ_GGUF_Q8_0:
    case QREF_AQ_GGUF_Q8_1: return 32;
    case QREF_AQ_GGUF_Q8_K: return 256;
    default: return 0;
    }
}

qref_status qref_aq_pairs_with(qref_aq m, const qref_scheme *s)
{
    static const char *const q8_0[] = { "gguf_q4_0", "gguf_q8_0", "gguf_mxfp4", "gguf_nvfp4", NULL };
    static const char *const q8_1[] = { "gguf_q4_1", NULL };
    static const char *const q8_k[] = { "gguf_q4_k", "gguf_q6_k", "gguf_iq2_xxs", "gguf_iq3_xxs", NULL };
    if (!s || m == QREF_AQ_NONE || (unsigned)m >= QREF_AQ_COUNT)
        return QREF_ERR_ARG;
    const char *const *list = m == QREF_AQ_GGUF_Q8_0 ? q8_0 : m == QREF_AQ_GGUF_Q8_1 ? q8_1
                                                          : m == QREF_AQ_GGUF_Q8_K ? q8_k : NULL;
    if (!list)
        return QREF_OK;   /* int8 / fp8: any scheme */
    for (; *list; list++)
        if (!strcmp(*list, s->name))
            return QREF_OK;
    return QREF_ERR_UNSUPPORTED;
}

/* ---- helpers ------------------------------------------------------------------ */

static float absf(float x) { return qref_f32_from_bits(qref_f32_bits(x) & 0x7FFFFFFFu); }

static int nonfinite(float x) { return (qref_f32_bits(x) & 0x7F800000u) == 0x7F800000u; }

static int any_nonfinite(const float *x, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (nonfinite(x[i]))
            return 1;
    return 0;
}

static float amax_of(const float *x, int64_t n)
{
    float m = 0.0f;
    for (int64_t i = 0; i < n; i++)
        m = absf(x[i]) > m ? absf(x[i]) : m;
    return m;
}

#define F32_NAN qref_f32_from_bits(0x7FC00000u)
#define F16_NAN ((uint16_t)0x7E00u)

/* Round to nearest integer, ties to even, for |v| < 2^31 (larger values
 * only saturate afterwards); no libm: adding and subtracting 2^23 rounds a
 * float below 2^23 to an integer in the current (RNE) mode. */
static float rne_f(float v)
{
    float a = absf(v);
    if (!(a < 8388608.0f))
        return v;   /* already an integer (or NaN/Inf) */
    float r = (a + 8388608.0f) - 8388608.0f;
    return qref_f32_bits(v) >> 31 ? -r : r;
}

/* roundf: half away from zero. t = rne(|v|) is within 1/2 of |v|, so
 * fl = floor(|v|) is t or t - 1 and |v| - fl is exact; a fraction of
 * exactly 1/2 goes up. Values >= 2^23 are integers already. */
static float rna_f(float v)
{
    float a = absf(v);
    if (!(a < 8388608.0f))
        return v;
    float t = (a + 8388608.0f) - 8388608.0f;
    float fl = t > a ? t - 1.0f : t;
    float r = a - fl >= 0.5f ? fl + 1.0f : fl;
    return qref_f32_bits(v) >> 31 ? -r : r;
}

/* sat8: NaN -> 0, else clamp to [-128, 127] (see the header). */
static int sat8(float r)
{
    if (r != r)
        return 0;
    return r >= 127.0f ? 127 : r <= -128.0f ? -128 : (int)r;
}

/* ggml's nearest_int: the float's mantissa after adding 1.5·2^23. */
static int nearest_int(float f)
{
    float val = f + 12582912.0f;
    int32_t i = (int32_t)qref_f32_bits(val);
    return (i & 0x007FFFFF) - 0x00400000;
}

/* ---- the primitives ----------------------------------------------------------- */

int qref_aq_int8_row(const float *x, int64_t n, int8_t *q, float *s)
{
    if (any_nonfinite(x, n)) {
        memset(q, 0, (size_t)n);
        *s = F32_NAN;
        return 1;
    }
    float amax = amax_of(x, n);
    if (amax == 0.0f) {
        memset(q, 0, (size_t)n);
        *s = 0.0f;
        return 0;
    }
    float inv = 127.0f / amax;
    for (int64_t i = 0; i < n; i++)
        q[i] = (int8_t)sat8(rne_f(x[i] * inv));
    *s = amax / 127.0f;
    return 0;
}

float qref_aq_fp8_scale(const float *x, int64_t n)
{
    if (any_nonfinite(x, n))
        return F32_NAN;
    return amax_of(x, n) / 448.0f;
}

void qref_aq_fp8_encode(const float *x, int64_t n, float s, uint8_t *q)
{
    if (s != s || s == 0.0f) {   /* poisoned, or amax == 0 (every x is 0) */
        memset(q, 0, (size_t)n);
        return;
    }
    for (int64_t i = 0; i < n; i++) {
        float v = x[i] / s;
        v = v != v ? 0.0f : v > 448.0f ? 448.0f : v < -448.0f ? -448.0f : v;
        q[i] = qref_f32_to_e4m3_sat(v);
    }
}

int qref_aq_q8_0_block(const float x[32], int8_t q[32], uint16_t *d)
{
    if (any_nonfinite(x, 32)) {
        memset(q, 0, 32);
        *d = F16_NAN;
        return 1;
    }
    float amax = amax_of(x, 32);
    const float df = amax / 127.0f;
    const float id = df != 0.0f ? 1.0f / df : 0.0f;
    *d = qref_f32_to_f16(df);
    for (int j = 0; j < 32; j++)
        q[j] = (int8_t)sat8(rna_f(x[j] * id));
    return 0;
}

int qref_aq_q8_1_block(const float x[32], int8_t q[32], uint16_t *d, uint16_t *s)
{
    if (any_nonfinite(x, 32)) {
        memset(q, 0, 32);
        *d = *s = F16_NAN;
        return 1;
    }
    float amax = amax_of(x, 32);
    const float df = amax / 127.0f;
    const float id = df != 0.0f ? 1.0f / df : 0.0f;
    int sum = 0;
    *d = qref_f32_to_f16(df);
    for (int j = 0; j < 32; j++) {
        q[j] = (int8_t)sat8(rna_f(x[j] * id));
        sum += q[j];
    }
    *s = qref_f32_to_f16((float)sum * df);
    return 0;
}

int qref_aq_q8_K_block(const float x[256], int8_t q[256], float *d, int16_t bsums[16])
{
    memset(bsums, 0, 16 * sizeof *bsums);
    if (any_nonfinite(x, 256)) {
        memset(q, 0, 256);
        *d = F32_NAN;
        return 1;
    }
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < 256; j++) {
        float ax = absf(x[j]);
        if (ax > amax)
            amax = ax, max = x[j];
    }
    if (amax == 0.0f) {
        memset(q, 0, 256);
        *d = 0.0f;
        return 0;
    }
    const float iscale = -127.0f / max;
    for (int j = 0; j < 256; j++) {
        int v = nearest_int(iscale * x[j]);
        q[j] = (int8_t)(uint8_t)(unsigned)(v < 127 ? v : 127);   /* ggml's int -> int8_t: the low byte */
    }
    for (int j = 0; j < 16; j++) {
        int sum = 0;
        for (int i = 0; i < 16; i++)
            sum += q[j * 16 + i];
        bsums[j] = (int16_t)sum;
    }
    *d = 1.0f / iscale;
    return 0;
}

/* ---- a whole matrix ------------------------------------------------------------ */

int64_t qref_aq_scale_count(qref_aq m, int64_t M, int64_t K)
{
    switch (m) {
    case QREF_AQ_INT8_TOKEN:
    case QREF_AQ_FP8_E4M3_TOKEN: return M;
    case QREF_AQ_FP8_E4M3_TENSOR: return 1;
    case QREF_AQ_GGUF_Q8_0:
    case QREF_AQ_GGUF_Q8_1: return M * (K / 32);
    case QREF_AQ_GGUF_Q8_K: return M * (K / 256);
    default: return 0;
    }
}

/* amax/448 over every row of A (FP8 tensor), poisoned if any is non-finite. */
static float fp8_tensor_scale(const float *a, int64_t M, int64_t K, int64_t lda)
{
    float amax = 0.0f;
    for (int64_t m = 0; m < M; m++) {
        const float *x = a + m * lda;
        if (any_nonfinite(x, K))
            return F32_NAN;
        float r = amax_of(x, K);
        amax = r > amax ? r : amax;
    }
    return amax / 448.0f;
}

qref_status qref_aq_quantize(qref_aq mode, const float *a, int64_t M, int64_t K, int64_t lda, uint8_t *codes,
                             float *scales, float *sums, uint8_t *poison)
{
    if (!a || !codes || !scales || mode == QREF_AQ_NONE || (unsigned)mode >= QREF_AQ_COUNT ||
        (mode == QREF_AQ_GGUF_Q8_1 && !sums))
        return QREF_ERR_ARG;
    int64_t blk = qref_aq_block(mode, K);
    if (M < 1 || K < 1 || lda < K || K % blk)
        return QREF_ERR_SIZE;
    float tscale = mode == QREF_AQ_FP8_E4M3_TENSOR ? fp8_tensor_scale(a, M, K, lda) : 0.0f;
    for (int64_t m = 0; m < M; m++) {
        const float *x = a + m * lda;
        uint8_t *c = codes + m * K;
        int bad = 0;
        switch (mode) {
        case QREF_AQ_INT8_TOKEN: bad = qref_aq_int8_row(x, K, (int8_t *)c, &scales[m]); break;
        case QREF_AQ_FP8_E4M3_TOKEN:
            scales[m] = qref_aq_fp8_scale(x, K);
            qref_aq_fp8_encode(x, K, scales[m], c);
            bad = scales[m] != scales[m];
            break;
        case QREF_AQ_FP8_E4M3_TENSOR:
            if (m == 0)
                scales[0] = tscale;
            qref_aq_fp8_encode(x, K, tscale, c);
            bad = tscale != tscale;
            break;
        default:
            for (int64_t j = 0; j < K / blk; j++) {
                int64_t si = m * (K / blk) + j;
                uint16_t d, s;
                if (mode == QREF_AQ_GGUF_Q8_0) {
                    bad |= qref_aq_q8_0_block(x + j * 32, (int8_t *)c + j * 32, &d);
                    scales[si] = qref_f16_to_f32(d);
                } else if (mode == QREF_AQ_GGUF_Q8_1) {
                    bad |= qref_aq_q8_1_block(x + j * 32, (int8_t *)c + j * 32, &d, &s);
                    scales[si] = qref_f16_to_f32(d);
                    sums[si] = qref_f16_to_f32(s);
                } else {
                    int16_t bs[16];
                    bad |= qref_aq_q8_K_block(x + j * 256, (int8_t *)c + j * 256, &scales[si], bs);
                }
            }
        }
        if (poison)
            poison[m] = (uint8_t)(bad != 0);
    }
    return QREF_OK;
}

double qref_aq_code_value(qref_aq m, uint8_t c)
{
    if (m == QREF_AQ_FP8_E4M3_TENSOR || m == QREF_AQ_FP8_E4M3_TOKEN)
        return (double)qref_e4m3_to_f32(c);
    return (double)(int8_t)c;
}
