/* The ABI 2 ops of the cuda backend: one GPU thread per row running the
 * row functions of ops_rows.h (shared with the CPU test plugin, which
 * checks their arithmetic where there is no GPU). Simple and correct
 * first: a row's elements are visited by one thread, in order. */
#include <cuda_runtime.h>
#include <stdio.h>
#include <string.h>

#include "kernels/cuda/cuda_api.h"
#include "kernels/cuda/cuda_internal.h"
#include "kernels/cuda/ops_rows.h"

#define OPS_THREADS 128

static unsigned blocks_for(long long rows) { return (unsigned)((rows + OPS_THREADS - 1) / OPS_THREADS); }

__global__ void qcu_norm_kernel(qcts_norm_desc d, const void *x, const void *w, const void *b, const void *r, void *y,
                                void *h)
{
    long long row = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (row < d.rows)
        qcu_norm_row(&d, row, x, w, b, r, y, h);
}

__global__ void qcu_softmax_kernel(qcts_softmax_desc d, const void *x, void *y)
{
    long long row = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (row < d.rows)
        qcu_softmax_row(&d, row, x, y);
}

extern "C" int qcu_launch_norm(const qcts_norm_desc *d, const void *x, const void *w, const void *b, const void *r,
                               void *y, void *h, char *why, size_t n)
{
    qcu_norm_kernel<<<blocks_for(d->rows), OPS_THREADS, 0, qcu_stream()>>>(*d, x, w, b, r, y, h);
    return qcu_fail(cudaGetLastError(), "launch of qcu_norm_kernel", why, n);
}

extern "C" int qcu_launch_softmax(const qcts_softmax_desc *d, const void *x, void *y, char *why, size_t n)
{
    qcu_softmax_kernel<<<blocks_for(d->rows), OPS_THREADS, 0, qcu_stream()>>>(*d, x, y);
    return qcu_fail(cudaGetLastError(), "launch of qcu_softmax_kernel", why, n);
}

struct qcu_rope_ptrs {
    const void *in[5];
    void *out[2];
};

__global__ void qcu_rope_kernel(qcts_rope_desc d, const float *f, float A, qcu_rope_ptrs p, long long items)
{
    long long it = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (it < items)
        qcu_rope_item(&d, f, A, it, p.in, p.out);
}

extern "C" int qcu_launch_rope(const qcts_rope_desc *d, const float *freqs, float attn, const void *const *in,
                               void *const *out, char *why, size_t n)
{
    qcu_rope_ptrs p;
    for (int i = 0; i < 5; i++)
        p.in[i] = in[i];
    p.out[0] = out[0];
    p.out[1] = out[1];
    long long items = qcu_rope_items(d);
    qcu_rope_kernel<<<blocks_for(items), OPS_THREADS, 0, qcu_stream()>>>(*d, freqs, attn, p, items);
    return qcu_fail(cudaGetLastError(), "launch of qcu_rope_kernel", why, n);
}

/* One block per row (grid-stride over rows), the row in shared memory; the
 * stages in order with a barrier between them, as the host test runs them. */
__global__ void __launch_bounds__(256) qcu_hadamard_kernel(qcts_hadamard_desc d, double scale, const void *x, void *y)
{
    __shared__ float buf[4096];
    for (long long r = blockIdx.x; r < d.rows; r += gridDim.x) {
        for (long long i = threadIdx.x; i < d.n; i += blockDim.x)
            buf[i] = qcu_ld(d.in_dtype, x, r * d.n + i);
        for (long long h = 1; h < d.n; h *= 2) {
            __syncthreads();
            for (long long p = threadIdx.x; p < d.n / 2; p += blockDim.x)
                qcu_had_butterfly(buf, p, h);
        }
        __syncthreads();
        for (long long i = threadIdx.x; i < d.n; i += blockDim.x)
            qcu_had_store(d.out_dtype, y, r * d.n + i, buf[i], scale);
        __syncthreads();   /* before the next row overwrites buf */
    }
}

extern "C" int qcu_launch_hadamard(const qcts_hadamard_desc *d, const void *x, void *y, char *why, size_t n)
{
    if (d->n > 4096) {
        snprintf(why, n, "cuda: hadamard n = %lld above 4096", (long long)d->n);
        return -1;
    }
    long long blocks = d->rows < 65535 ? d->rows : 65535;
    qcu_hadamard_kernel<<<(unsigned)blocks, 256, 0, qcu_stream()>>>(*d, qcu_had_scale(d->n, d->normalized, d->inverse),
                                                                   x, y);
    return qcu_fail(cudaGetLastError(), "launch of qcu_hadamard_kernel", why, n);
}

__global__ void qcu_moe_dispatch_index_kernel(qcts_moe_dispatch_desc d, const int32_t *ids, int32_t *counts,
                                              int32_t *offsets, int32_t *slots)
{
    if (blockIdx.x == 0 && threadIdx.x == 0)
        qcu_moe_dispatch_index(&d, ids, counts, offsets, slots);
}

__global__ void qcu_moe_dispatch_copy_kernel(qcts_moe_dispatch_desc d, const int32_t *slots, const void *x,
                                             void *packed, long long total)
{
    for (long long q = (long long)blockIdx.x * blockDim.x + threadIdx.x; q < total;
         q += (long long)gridDim.x * blockDim.x)
        qcu_moe_dispatch_copy(&d, q, slots, x, packed);
}

extern "C" int qcu_launch_moe_dispatch(const qcts_moe_dispatch_desc *d, const void *ids, const void *x, void *counts,
                                       void *offsets, void *slots, void *packed, char *why, size_t n)
{
    qcu_moe_dispatch_index_kernel<<<1, 1, 0, qcu_stream()>>>(*d, (const int32_t *)ids, (int32_t *)counts,
                                                             (int32_t *)offsets, (int32_t *)slots);
    if (qcu_fail(cudaGetLastError(), "launch of qcu_moe_dispatch_index_kernel", why, n))
        return -1;
    long long total = d->n_tokens * d->top_k * d->hidden, blocks = (total + 255) / 256;
    qcu_moe_dispatch_copy_kernel<<<(unsigned)(blocks < 65535 ? blocks : 65535), 256, 0, qcu_stream()>>>(
        *d, (const int32_t *)slots, x, packed, total);
    return qcu_fail(cudaGetLastError(), "launch of qcu_moe_dispatch_copy_kernel", why, n);
}

__global__ void qcu_moe_route_kernel(qcts_moe_route_desc d, const float *logits, const float *bias, float *scratch,
                                     int32_t *ids, float *weights)
{
    long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (t < d.n_tokens)
        qcu_moe_route_token(&d, t, logits, bias, scratch, ids, weights);
}

__global__ void qcu_moe_route_aux_kernel(qcts_moe_route_desc d, const float *scratch, const int32_t *ids, float *aux)
{
    if (blockIdx.x == 0 && threadIdx.x == 0)
        qcu_moe_route_aux(&d, scratch, ids, aux);
}

extern "C" int qcu_launch_moe_route(const qcts_moe_route_desc *d, const void *logits, const void *bias, void *scratch,
                                    void *ids, void *weights, void *aux, char *why, size_t n)
{
    qcu_moe_route_kernel<<<blocks_for(d->n_tokens), OPS_THREADS, 0, qcu_stream()>>>(
        *d, (const float *)logits, (const float *)bias, (float *)scratch, (int32_t *)ids, (float *)weights);
    if (qcu_fail(cudaGetLastError(), "launch of qcu_moe_route_kernel", why, n))
        return -1;
    qcu_moe_route_aux_kernel<<<1, 1, 0, qcu_stream()>>>(*d, (const float *)scratch, (const int32_t *)ids, (float *)aux);
    return qcu_fail(cudaGetLastError(), "launch of qcu_moe_route_aux_kernel", why, n);
}

__global__ void qcu_sampling_kernel(qcts_sampling_desc d, const void *logits, const int32_t *hist, const float *u,
                                    float *scratch, int32_t *token, float *probs)
{
    long long r = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (r < d.rows)
        qcu_sampling_row(&d, r, logits, hist, u, scratch, token, probs);
}

extern "C" int qcu_launch_sampling(const qcts_sampling_desc *d, const void *logits, const void *hist, const void *u,
                                   void *scratch, void *token, void *probs, char *why, size_t n)
{
    qcu_sampling_kernel<<<blocks_for(d->rows), OPS_THREADS, 0, qcu_stream()>>>(
        *d, logits, (const int32_t *)hist, (const float *)u, (float *)scratch, (int32_t *)token,
        d->want_probs ? (float *)probs : NULL);
    return qcu_fail(cudaGetLastError(), "launch of qcu_sampling_kernel", why, n);
}

struct qcu_attn_ptrs {
    const float *q;
    const void *k, *v;
    const int32_t *bt;
    const uint32_t *tree;
    void *y;
    float *lse, *probs, *scratch;
    int quant;                     /* 1: kt, vt hold the caches (a scheme preset) */
    qcu_tensor kt, vt;
    long long kstride, vstride;
};

__global__ void qcu_attention_kernel(qcts_attention_desc d, qcu_attn_ptrs p, long long rows)
{
    long long r = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    qcu_attn_kv kv = { p.k, p.v, p.quant ? &p.kt : NULL, p.quant ? &p.vt : NULL, p.kstride, p.vstride };
    if (r < rows)
        qcu_attention_row(&d, r, p.q, &kv, p.bt, p.tree, p.y, p.lse, p.probs, p.scratch);
}

extern "C" int qcu_launch_attention(const qcts_attention_desc *d, const void *const *in, void *const *out,
                                    const qcu_tensor *kv, const int64_t *stride, void *scratch, char *why, size_t n)
{
    qcu_attn_ptrs p;
    memset(&p, 0, sizeof p);
    p.q = (const float *)in[0];
    p.k = in[1];
    p.v = in[2];
    p.bt = (const int32_t *)in[3];
    p.tree = (const uint32_t *)in[4];
    p.y = out[0];
    p.lse = (float *)out[1];
    p.probs = (float *)out[2];
    p.scratch = (float *)scratch;
    if (kv) {
        p.quant = 1;
        p.kt = kv[0];
        p.vt = kv[1];
        p.kstride = stride[0];
        p.vstride = stride[1];
    }
    long long rows = (long long)d->batch * d->q_heads * d->seq_q;
    qcu_attention_kernel<<<blocks_for(rows), OPS_THREADS, 0, qcu_stream()>>>(*d, p, rows);
    return qcu_fail(cudaGetLastError(), "launch of qcu_attention_kernel", why, n);
}

struct qcu_experts_args {
    qcu_tensor t[4];
    long long stride[2];
    const float *x, *wts;
    const int32_t *ids;
    float *scratch, *y;
};

__global__ void qcu_moe_experts_kernel(qcts_moe_experts_desc d, qcu_experts_args a)
{
    long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (t < d.n_tokens)
        qcu_moe_experts_token(&d, t, a.x, a.ids, a.wts, &a.t[0], a.stride[0], &a.t[1], a.stride[1], &a.t[2], &a.t[3],
                              a.scratch, a.y);
}

extern "C" int qcu_launch_moe_experts(const qcts_moe_experts_desc *d, const qcu_tensor *t4, const int64_t *stride,
                                      const void *x, const void *ids, const void *wts, void *scratch, void *y,
                                      char *why, size_t n)
{
    qcu_experts_args a;
    for (int i = 0; i < 4; i++)
        a.t[i] = t4[i];
    a.stride[0] = stride[0];
    a.stride[1] = stride[1];
    a.x = (const float *)x;
    a.wts = (const float *)wts;
    a.ids = (const int32_t *)ids;
    a.scratch = (float *)scratch;
    a.y = (float *)y;
    qcu_moe_experts_kernel<<<blocks_for(d->n_tokens), OPS_THREADS, 0, qcu_stream()>>>(*d, a);
    return qcu_fail(cudaGetLastError(), "launch of qcu_moe_experts_kernel", why, n);
}
