/* AVX2 MoE expert layer (semantics and bound: qref/moe.h).
 *
 * run(), five stages, each one qcts_parallel_for:
 *   1. a stable counting sort of the (token, j) pairs by expert (serial,
 *      integers) and the packing of each pair's token row into A (TK x H),
 *      expert by expert (rows of expert e at offsets[e]);
 *   2. gate/up: for every expert with rows, and the shared expert on x,
 *      the scheme's AVX2 GEMV (one row) or panel GEMM (kernels/simd/gemm.inc)
 *      on its rows; all problems' 16-column tiles form one list split over
 *      threads, so a decode step costs one thread launch, not one per expert;
 *   3. SwiGLU 8 lanes at a time (avx2/moe_vmath.h), every row;
 *   4. down, as stage 2;
 *   5. combine: y[t] = Σ_j wt[t][j]·D[slot(t, j)] (FMA, j in order) + shared,
 *      8 columns at a time, tokens split over threads.
 * Every output element is computed in an order fixed by the shapes and the
 * ids (the GEMM kernels' own contract), never by the thread split. */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/simd/avx2/moe.h"
#include "kernels/simd/avx2/moe_vmath.h"
#include "kernels/simd/simd.h"

#include "kernels/backend_say.h"
#include "kernels/opcall.h"
#include "kernels/ops/op_moe.h"
#include "qref/bits.h"

typedef struct xjob xjob;
static const qcts_gemm_variant *moe_variant(const char *scheme, int gemv)
{
    return qcts_gemm_variant_find(QCTS_ISA_AVX2, scheme, gemv);
}

static void swiglu_rows(float *act, const float *h, int64_t I)
{
    int64_t i = 0;
    for (; i + 8 <= I; i += 8)
        _mm256_storeu_ps(act + i, qcts_moe_swiglu8(_mm256_loadu_ps(h + i), _mm256_loadu_ps(h + I + i)));
    if (i < I) {   /* the same vector code on a masked tail */
        __m256i mk = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(I - i)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        __m256 v = qcts_moe_swiglu8(_mm256_maskload_ps(h + i, mk), _mm256_maskload_ps(h + I + i, mk));
        _mm256_maskstore_ps(act + i, mk, v);
    }
}

#define MOE_FN(name) name##__avx2
#define MOE_WHO "avx2"
#define MOE_ISA QCTS_ISA_AVX2
#define MOE_SLOT qcts_avx2_moe_experts
#define MOE_GENERIC_GEMM 0
static void combine_worker(void *ctx, int th, int64_t lo, int64_t hi);
#include "kernels/simd/moe_experts.inc"

static void combine_worker(void *ctx, int th, int64_t lo, int64_t hi)
{
    (void)th;
    const xjob *j = ctx;
    const qcts_moe_experts_plan *p = j->p;
    const int64_t H = p->d.hidden, K = p->d.top_k;
    for (int64_t t = lo; t < hi; t++) {
        float *y = j->y + t * H;
        for (int64_t h = 0; h < H; h += 8) {
            __m256i mk = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(H - h < 8 ? H - h : 8)),
                                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
            __m256 acc = _mm256_setzero_ps();
            for (int64_t k = 0; k < K; k++) {
                const float *dr = p->D + (int64_t)p->slot[t * K + k] * H + h;
                acc = _mm256_fmadd_ps(_mm256_set1_ps(j->wt[t * K + k]), _mm256_maskload_ps(dr, mk), acc);
            }
            if (p->d.has_shared)
                acc = _mm256_add_ps(acc, _mm256_maskload_ps(p->SH + t * H + h, mk));
            _mm256_maskstore_ps(y + h, mk, acc);
        }
    }
}

