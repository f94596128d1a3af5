/* qact_plugin.h — a small quantized-activation GEMM plugin (a_quant) for the
 * harness's own tests, written from the rules of qref/actquant.h without
 * libqref (an independent implementation): int8_token with int8_per_channel
 * weights (codes N x K, then N float32 scales) and q8_0 with gguf_q8_0
 * weights (34-byte blocks), f32 A and Y, bias, poisoned rows -> NaN. It
 * computes like real int8 kernels do: an exact int32 dot per row (int8) or
 * per block (q8_0), times the product of the two scales, summed in f32.
 * Each *.c that includes it may define a bug first:
 *   QACT_NAME                 backend name
 *   QACT_INT8_ROUNDF          int8 codes with roundf (ties away) instead of rne
 *   QACT_Q8_0_RNE             q8_0 codes rounded to nearest even (ggml's AVX
 *                             quantize_row_q8_0) instead of roundf (its _ref)
 * Uses only qcts/backend.h and libm. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qcts/backend.h"

struct qcts_call {
    qcts_gemm_desc d;    /* d.scheme is not ours after prepare: int8 says which */
    qcts_buffers b;
    int int8;
};

static qcts_status qa_say(qcts_status st, char *msg, size_t n, const char *text)
{
    if (msg && n) {
        strncpy(msg, text, n - 1);
        msg[n - 1] = '\0';
    }
    return st;
}

static int qa_available(char *why, size_t n)
{
    (void)why;
    (void)n;
    return 1;
}

static int is_int8(const qcts_gemm_desc *d)
{
    return d->a_quant == QCTS_AQ_INT8_TOKEN && d->scheme && !strcmp(d->scheme, "int8_per_channel");
}

static int is_q8_0(const qcts_gemm_desc *d)
{
    return d->a_quant == QCTS_AQ_GGUF_Q8_0 && d->scheme && !strcmp(d->scheme, "gguf_q8_0");
}

static qcts_status qa_gemm(const qcts_gemm_desc *d, const qcts_buffers *b, qcts_call **call, char *msg, size_t n)
{
    if ((!is_int8(d) && !is_q8_0(d)) || d->a_group || d->a_dtype != QCTS_DT_F32 || d->out_dtype != QCTS_DT_F32)
        return qa_say(QCTS_UNSUPPORTED, msg, n, QACT_NAME " does int8_token x int8_per_channel and q8_0 x gguf_q8_0, "
                      "f32 in and out, only");
    qcts_call *c = calloc(1, sizeof *c);
    if (!c)
        return qa_say(QCTS_ERROR, msg, n, "out of memory");
    c->d = *d;
    c->d.scheme = NULL;
    c->b = *b;
    c->int8 = is_int8(d);
    *call = c;
    return QCTS_OK;
}

static float rne(float v)   /* ties to even, |v| < 2^23 */
{
    float a = fabsf(v), r = a < 8388608.0f ? (a + 8388608.0f) - 8388608.0f : a;
    return v < 0 ? -r : r;
}

/* Codes and scale of n activations; 1 if one is NaN or Inf. */
static int quant_int8(const float *x, int64_t n, int8_t *q, float *s)
{
    float amax = 0.0f;
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(x[i]))
            return 1;
        amax = fabsf(x[i]) > amax ? fabsf(x[i]) : amax;
    }
    float inv = amax != 0.0f ? 127.0f / amax : 0.0f;
    for (int64_t i = 0; i < n; i++) {
#ifdef QACT_INT8_ROUNDF
        float r = roundf(x[i] * inv);
#else
        float r = rne(x[i] * inv);
#endif
        q[i] = (int8_t)(r > 127.0f ? 127 : r < -128.0f ? -128 : (int)r);
    }
    *s = amax / 127.0f;
    return 0;
}

/* q8_0 block: codes and the f16-rounded d as a float (the f32 d rounded to
 * f16 by converting through _Float16-free bit arithmetic: d is >= 0). */
static float f16_round(float x)
{
    /* round x >= 0 to the nearest f16 value (ties to even), through double:
     * find the f16 quantum q at x and round x/q (exact scaling by 2^k). */
    if (x == 0.0f)
        return 0.0f;
    if (x >= 65520.0f)
        return INFINITY;
    int e;
    frexpf(x, &e);                       /* x = m·2^e, m in [0.5, 1) */
    int qe = (e - 1 < -14 ? -14 : e - 1) - 10;
    float q = ldexpf(1.0f, qe);
    return rne(x / q) * q;
}

static int quant_q8_0(const float *x, int8_t *q, float *d16)
{
    float amax = 0.0f;
    for (int j = 0; j < 32; j++) {
        if (!isfinite(x[j]))
            return 1;
        amax = fabsf(x[j]) > amax ? fabsf(x[j]) : amax;
    }
    float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
    for (int j = 0; j < 32; j++) {
#ifdef QACT_Q8_0_RNE
        q[j] = (int8_t)rne(x[j] * id);
#else
        q[j] = (int8_t)roundf(x[j] * id);
#endif
    }
    *d16 = f16_round(d);
    return 0;
}

static float f16_value(const uint8_t *p)
{
    unsigned h = p[0] | (unsigned)p[1] << 8, e = (h >> 10) & 31, m = h & 1023;
    float v = e ? ldexpf((float)(m | 1024), (int)e - 25) : ldexpf((float)m, -24);
    if (e == 31)
        v = m ? NAN : INFINITY;
    return h >> 15 ? -v : v;
}

static qcts_status qa_run(qcts_call *c, char *msg, size_t n)
{
    (void)msg;
    (void)n;
    const qcts_gemm_desc *d = &c->d;
    const int64_t M = d->M, N = d->N, K = d->K, lda = d->lda ? d->lda : K, ldy = d->ldy ? d->ldy : N;
    const size_t wbytes = c->int8 ? (size_t)(N * K + 4 * N) : (size_t)(N * (K / 32) * 34);
    int8_t *qa = malloc((size_t)K);
    float *sa = malloc(sizeof *sa * (size_t)(K / 32 + 1));
    if (!qa || !sa) {
        free(qa), free(sa);
        return qa_say(QCTS_ERROR, msg, n, "out of memory");
    }
    for (int64_t bt = 0; bt < d->batch; bt++) {
        const float *a = (const float *)c->b.in[0] + bt * M * lda;
        const uint8_t *w = (const uint8_t *)c->b.in[1] + (size_t)bt * wbytes;
        const float *bias = c->b.in[2] ? (const float *)c->b.in[2] + bt * N : NULL;
        float *y = (float *)c->b.out[0] + bt * M * ldy;
        for (int64_t m = 0; m < M; m++) {
            int bad = 0;
            if (c->int8)
                bad = quant_int8(a + m * lda, K, qa, sa);
            else
                for (int64_t j = 0; j < K / 32; j++)
                    bad |= quant_q8_0(a + m * lda + 32 * j, qa + 32 * j, &sa[j]);
            for (int64_t j = 0; j < N; j++) {
                float acc = 0.0f;
                if (c->int8) {
                    const int8_t *qw = (const int8_t *)w + j * K;
                    float sw;
                    memcpy(&sw, w + N * K + 4 * j, 4);
                    int32_t isum = 0;
                    for (int64_t k = 0; k < K; k++)
                        isum += qa[k] * qw[k];
                    acc = (float)isum * (sa[0] * sw);
                } else {
                    for (int64_t blk = 0; blk < K / 32; blk++) {
                        const uint8_t *wb = w + (size_t)(j * (K / 32) + blk) * 34;
                        int32_t isum = 0;
                        for (int k = 0; k < 32; k++)
                            isum += qa[32 * blk + k] * (int8_t)wb[2 + k];
                        acc += (float)isum * (f16_value(wb) * sa[blk]);
                    }
                }
                y[m * ldy + j] = bad ? NAN : bias ? acc + bias[j] : acc;
            }
        }
    }
    free(qa), free(sa);
    return QCTS_OK;
}

static void qa_release(qcts_call *c) { free(c); }

static const qcts_backend qa_backend = {
    .abi_version = QCTS_BACKEND_ABI_VERSION,
    .struct_size = sizeof(qcts_backend),
    .name = QACT_NAME,
    .description = "quantized-activation GEMM test plugin (conformance/tests/plugins/qact_plugin.h)",
    .available = qa_available,
    .gemm = qa_gemm,
    .run = qa_run,
    .release = qa_release,
};

const qcts_backend *qcts_backend_entry(void);
const qcts_backend *qcts_backend_entry(void) { return &qa_backend; }
