/* avx2/hadsamp.h — the AVX2 Hadamard and sampling kernels (hadamard.c,
 * sampling.c), called by the avx2 backend's slots, the tests and the bench.
 * Built only for x86-64; callers check qcts_isa_cpu_ok(QCTS_ISA_AVX2). */
#ifndef QCTS_SIMD_AVX2_HADSAMP_H
#define QCTS_SIMD_AVX2_HADSAMP_H

#include <stddef.h>
#include <stdint.h>

#include "qcts/backend.h"
#include "qref/sampling.h"

/* Rows [r0, r1) of y = s H_n x (qref/hadamard.h: s = 1, 1/n or 1/sqrt n),
 * x and y row-major rows x n of in_dt / out_dt (F32, F16, BF16). float32
 * butterflies (h = 1, 2, 4 inside a register, then across registers),
 * one float32 scaling, one rounding to out_dt. n = 32..4096, a power of 2. */
void qcts_avx2_hadamard_rows(const void *x, qcts_dtype in_dt, void *y, qcts_dtype out_dt, int64_t n,
                             int normalized, int inverse, int64_t r0, int64_t r1);

/* Per-thread scratch of the sampler (vocab V). */
typedef struct qcts_avx2_samp_scratch {
    int32_t V;
    float *l;          /* V + 8 penalised logits */
    float *e;          /* V + 8 exp values, 0 for dropped tokens */
    int32_t *counts;   /* V, kept all-zero between rows */
    void *keys;        /* V (logit, index) pairs: top-k candidates, top-p sort */
    void *keys2;       /* V pairs: top-p sort after top-k */
    float *l2;         /* V + 8: the top-k candidates' logits */
} qcts_avx2_samp_scratch;

int qcts_avx2_samp_scratch_init(qcts_avx2_samp_scratch *s, int32_t V);
void qcts_avx2_samp_scratch_free(qcts_avx2_samp_scratch *s);

/* One row of qref/sampling.h in float32: logits (V of dt), hist
 * (hist_len entries, may be NULL when 0), u. probs (V, may be NULL): q_t.
 * Returns the token, or -1 for a history entry >= V. */
int32_t qcts_avx2_sample_row(const qref_sampling_params *p, const void *logits, qcts_dtype dt, const int32_t *hist,
                             float u, float *probs, qcts_avx2_samp_scratch *s);

#endif
