/* tiny_gemm.h — a small correct GEMM plugin for the harness's strict calls
 * (conformance/src/runner_strict.c): int8_per_channel weights, f32
 * activations and outputs, any lda/ldy, bias; w = code * scale (one
 * rounding), products and sums in float32 along k. Each *.c that includes it
 * may define a bug first:
 *   TINY_GEMM_NAME            backend name
 *   TINY_GEMM_REVERSE(d)      nonzero: sum k downwards (d: the descriptor)
 *   TINY_GEMM_LDA(d)          the row stride it uses for A (default d->lda or K)
 * Uses only qcts/backend.h. */
#include <stdlib.h>
#include <string.h>

#include "qcts/backend.h"

#ifndef TINY_GEMM_REVERSE
#define TINY_GEMM_REVERSE(d) 0
#endif
#ifndef TINY_GEMM_LDA
#define TINY_GEMM_LDA(d) ((d)->lda ? (d)->lda : (d)->K)
#endif

struct qcts_call {
    qcts_gemm_desc d;
    qcts_buffers b;
};

static qcts_status tg_say(qcts_status st, char *msg, size_t n, const char *text)
{
    if (msg && n) {
        strncpy(msg, text, n - 1);
        msg[n - 1] = '\0';
    }
    return st;
}

static int tg_available(char *why, size_t n)
{
    (void)why;
    (void)n;
    return 1;
}

static qcts_status tg_gemm(const qcts_gemm_desc *d, const qcts_buffers *b, qcts_call **call, char *msg, size_t n)
{
    if (!d->scheme || strcmp(d->scheme, "int8_per_channel") != 0 || d->a_dtype != QCTS_DT_F32 ||
        d->out_dtype != QCTS_DT_F32)
        return tg_say(QCTS_UNSUPPORTED, msg, n, TINY_GEMM_NAME " does int8_per_channel, f32 in and out, only");
    qcts_call *c = calloc(1, sizeof *c);
    if (!c)
        return tg_say(QCTS_ERROR, msg, n, "out of memory");
    c->d = *d;
    c->b = *b;
    *call = c;
    return QCTS_OK;
}

static qcts_status tg_run(qcts_call *c, char *msg, size_t n)
{
    (void)msg;
    (void)n;
    const qcts_gemm_desc *d = &c->d;
    const int64_t M = d->M, N = d->N, K = d->K, lda = TINY_GEMM_LDA(d), ldy = d->ldy ? d->ldy : N;
    const size_t wbytes = (size_t)(N * K + 4 * N);
    for (int64_t bt = 0; bt < d->batch; bt++) {
        const float *a = (const float *)c->b.in[0] + bt * M * lda;
        const int8_t *q = (const int8_t *)c->b.in[1] + (size_t)bt * wbytes;
        const char *sc = (const char *)q + N * K;
        const float *bias = c->b.in[2] ? (const float *)c->b.in[2] + bt * N : NULL;
        float *y = (float *)c->b.out[0] + bt * M * ldy;
        for (int64_t m = 0; m < M; m++)
            for (int64_t j = 0; j < N; j++) {
                float s, acc = 0.0f;
                memcpy(&s, sc + 4 * j, 4);
                for (int64_t i = 0; i < K; i++) {
                    int64_t k = TINY_GEMM_REVERSE(d) ? K - 1 - i : i;
                    float w = (float)((double)q[j * K + k] * (double)s);
                    acc += a[m * lda + k] * w;
                }
                y[m * ldy + j] = bias ? acc + bias[j] : acc;
            }
    }
    return QCTS_OK;
}

static void tg_release(qcts_call *c) { free(c); }

static const qcts_backend tg_backend = {
    .abi_version = QCTS_BACKEND_ABI_VERSION,
    .struct_size = sizeof(qcts_backend),
    .name = TINY_GEMM_NAME,
    .description = "small GEMM plugin for the harness tests (conformance/tests/plugins)",
    .available = tg_available,
    .gemm = tg_gemm,
    .run = tg_run,
    .release = tg_release,
};

const qcts_backend *qcts_backend_entry(void);
const qcts_backend *qcts_backend_entry(void) { return &tg_backend; }
