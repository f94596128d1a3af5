/* kernels/cuda/cuda_api.h — the C interface between the backend (C,
 * backend_cuda.c) and the CUDA code (nvcc, *.cu): device memory, the one
 * stream, events, and kernel launches. Every function returns 0 on
 * success, else -1 with a sentence in why (the CUDA error named). */
#ifndef QCTS_KERNELS_CUDA_API_H
#define QCTS_KERNELS_CUDA_API_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/cuda/actq_rows.h"
#include "kernels/cuda/qcu.h"
#include "kernels/cuda/quant_rows.h"
#include "qcts/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 1 if a CUDA device can be used (driver, device, runtime); else 0 and why.
 * Decided once (the first call), then cached. */
int qcu_device_ok(char *why, size_t n);
/* "NVIDIA H100 80GB HBM3 (sm_90, 132 SMs, 50 MiB L2)" or "". */
const char *qcu_device_name(void);
/* The device's L2 size in bytes (0 without a device). */
size_t qcu_device_l2(void);

void *qcu_malloc(size_t bytes, char *why, size_t n);
void qcu_free(void *p);
int qcu_h2d(void *dst, const void *src, size_t bytes, char *why, size_t n);
int qcu_d2h(void *dst, const void *src, size_t bytes, char *why, size_t n);

/* Events on the stream every launch goes to. */
void *qcu_event_new(char *why, size_t n);
void qcu_event_free(void *ev);
int qcu_event_record(void *ev, char *why, size_t n);
int qcu_event_sync(void *ev, char *why, size_t n);
/* Milliseconds between two recorded, completed events. */
int qcu_event_ms(void *a, void *b, float *ms, char *why, size_t n);

/* Dequant t (device pointers) to rows x cols of out_dtype (0 f32, 1 f16, 2 bf16). */
int qcu_launch_dequant(const qcu_tensor *t, int out_dtype, void *out, char *why, size_t n);

typedef struct qcu_gemm {
    int64_t batch, M, N, K, lda, ldy;
    int a_dtype, out_dtype;        /* 0 f32, 1 f16, 2 bf16 */
    const void *a;                 /* device */
    qcu_tensor w;                  /* batch 0's tensor; batch b at codes/scales/... + b * w_stride */
    int64_t w_stride;              /* bytes between two batches' serialized tensors */
    const float *bias;             /* device or NULL */
    void *y;
    int fast;                      /* qcu_gemm_plan's choice */
    int cfg;                       /* its configuration (v3 GEMV) */
} qcu_gemm;

/* Chooses the kernel for g (sets g->fast) and returns its name. */
const char *qcu_gemm_plan(qcu_gemm *g, const char *scheme);
int qcu_launch_gemm(const qcu_gemm *g, char *why, size_t n);
/* Development: one GEMV kernel by kind (1 fp4_f16, 2 int4_f16, 3 mxfp4,
 * 4 q4_0, 5 fp8 row), version (1..3) and v3 configuration; the v3
 * configurations (R rows, U units in flight, S warps per row group). */
int qcu_launch_gemv_variant(const qcu_gemm *g, int kind, int version, int cfg, char *why, size_t n);
int qcu_gemv_nconfigs(int *r, int *u, int *s, int max);

/* The quantized-activation GEMM (actq.cu, actq_rows.h): q's pointers on
 * the device, its scratch allocated; four launches. */
int qcu_launch_aq_gemm(const qcu_aq *q, char *why, size_t n);
/* The tensor-core product (actq_tc.cu, opt-in QCTS_CUDA_GEMM=tc): 1 if q
 * (int8 token x symmetric INT4 KMAJOR_U32 / INT8 BYTES groups, K and the
 * group multiples of 32) can take it; q->tc = 1 then makes
 * qcu_launch_aq_gemm use it. */
int qcu_aq_tc_eligible(const qcu_aq *q);
int qcu_launch_aq_tc(const qcu_aq *q, char *why, size_t n);

/* QUANTIZE (quant.cu, quant_rows.h): z's pointers on the device (status:
 * one unsigned, zeroed here before the kernel). */
int qcu_launch_quantize(const qcu_qz *z, char *why, size_t n);

/* Encode/decode of the CUDA conventions through cuda_fp8/fp6/fp4/bf16/fp16
 * intrinsics (convert.cu); fmt/conv/mode as qref. supported: 1, or 0 with
 * why. launch: 0, or -1 with why. */
int qcu_convert_supported(int fmt, int conv, int mode, char *why, size_t n);
int qcu_launch_convert(int fmt, int conv, int mode, int decode, int64_t n, const void *in, void *out,
                       void *status, char *why, size_t wn);

/* ABI 2 ops (ops.cu): device pointers; NULL for absent inputs/outputs. */
int qcu_launch_norm(const qcts_norm_desc *d, const void *x, const void *w, const void *b, const void *r, void *y,
                    void *h, char *why, size_t n);
int qcu_launch_softmax(const qcts_softmax_desc *d, const void *x, void *y, char *why, size_t n);
int qcu_launch_hadamard(const qcts_hadamard_desc *d, const void *x, void *y, char *why, size_t n);
int qcu_launch_moe_dispatch(const qcts_moe_dispatch_desc *d, const void *ids, const void *x, void *counts,
                            void *offsets, void *slots, void *packed, char *why, size_t n);
/* scratch: device, n_tokens x qcu_moe_route_scratch(d) floats. */
int qcu_launch_moe_route(const qcts_moe_route_desc *d, const void *logits, const void *bias, void *scratch, void *ids,
                         void *weights, void *aux, char *why, size_t n);
/* scratch: device, rows x qcu_sampling_scratch_words(d) words. */
int qcu_launch_sampling(const qcts_sampling_desc *d, const void *logits, const void *hist, const void *u,
                        void *scratch, void *token, void *probs, char *why, size_t n);
/* in[5], out[3] as qcts/op_attention.h; kv: NULL (plain caches) or the K
 * and V tensors (a scheme preset; per head: stride bytes apart); scratch:
 * rows x 2 dv floats. */
int qcu_launch_attention(const qcts_attention_desc *d, const void *const *in, void *const *out, const qcu_tensor *kv,
                         const int64_t *stride, void *scratch, char *why, size_t n);
/* t4: gate_up, down (expert 0; expert e at + e x stride[0] / stride[1]),
 * shared gate_up, shared down, bound to device memory; scratch: n_tokens x
 * max(inter, shared_inter) floats. */
int qcu_launch_moe_experts(const qcts_moe_experts_desc *d, const qcu_tensor *t4, const int64_t *stride, const void *x,
                           const void *ids, const void *wts, void *scratch, void *y, char *why, size_t n);
/* freqs: device, rot_dim / 2 floats (qcu_rope_freqs); in[5], out[2]. */
int qcu_launch_rope(const qcts_rope_desc *d, const float *freqs, float attn, const void *const *in, void *const *out,
                    char *why, size_t n);

/* bench/ ceilings (device.cu): device-to-device copy bandwidth (bytes read
 * + written per second) and cuBLAS bf16 GEMM (dlopen'd libcublas). */
int qcu_copy_gbs(size_t bytes, int reps, double *gbs, double *spread, char *why, size_t n);
int qcu_cublas_bf16(int64_t M, int64_t N, int64_t K, int copies, int reps, double *median_s, double *samples,
                    int max_samples, int *n_samples, char *why, size_t n);

#ifdef __cplusplus
}
#endif
#endif
