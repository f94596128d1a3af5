/* AVX2 MoE dispatch (semantics: qref/moe.h): the counting sort is serial
 * integer work (T·K steps, cheap); the row copies — the bytes that matter —
 * are split over threads by destination slot and moved 32 bytes at a time
 * with unaligned AVX loads/stores. Exact by construction. */
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/simd/avx2/moe.h"
#include "kernels/simd/simd.h"

typedef struct djob {
    const int32_t *src_token;   /* token of each slot */
    const unsigned char *x;
    unsigned char *packed;
    size_t row;
} djob;

static void copy_row(unsigned char *dst, const unsigned char *src, size_t n)
{
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(src + i));
        __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(src + i + 32));
        _mm256_storeu_si256((__m256i *)(void *)(dst + i), a);
        _mm256_storeu_si256((__m256i *)(void *)(dst + i + 32), b);
    }
    for (; i + 32 <= n; i += 32)
        _mm256_storeu_si256((__m256i *)(void *)(dst + i), _mm256_loadu_si256((const __m256i *)(const void *)(src + i)));
    if (i < n)
        memcpy(dst + i, src + i, n - i);
}

static void dispatch_worker(void *ctx, int th, int64_t lo, int64_t hi)
{
    (void)th;
    const djob *j = ctx;
    for (int64_t s = lo; s < hi; s++)
        copy_row(j->packed + (size_t)s * j->row, j->x + (size_t)j->src_token[s] * j->row, j->row);
}

int qcts_moe_dispatch__avx2(const qref_moe_dispatch_desc *d, const int32_t *ids, const void *x, int32_t *counts,
                            int32_t *offsets, int32_t *slots, void *packed, int threads)
{
    const int64_t n = d->n_tokens * d->top_k;
    const int E = d->n_experts;
    for (int64_t i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= E)
            return -1;
    memset(counts, 0, sizeof *counts * (size_t)E);
    for (int64_t i = 0; i < n; i++)
        counts[ids[i]]++;
    int32_t run = 0;
    for (int e = 0; e < E; e++) {
        offsets[e] = run;
        run += counts[e];
    }
    offsets[E] = run;
    /* slots: offsets[e] + rank in increasing t·K + j; offsets[] as cursors, restored after */
    for (int64_t i = 0; i < n; i++)
        slots[i] = offsets[ids[i]]++;
    for (int e = E; e > 0; e--)
        offsets[e] = offsets[e - 1];
    offsets[0] = 0;
    /* the source token of each slot, kept in the tail of... a small buffer */
    int32_t *src = malloc(sizeof *src * (size_t)(n ? n : 1));
    if (!src)
        return -2;
    for (int64_t i = 0; i < n; i++)
        src[slots[i]] = (int32_t)(i / d->top_k);
    djob j = { src, x, packed, (size_t)d->hidden * (size_t)d->elem_bytes };
    qcts_parallel_for(threads, n, 1, dispatch_worker, &j);
    free(src);
    return 0;
}
