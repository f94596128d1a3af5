/* avx2/moe.h — the AVX2 MoE kernels (router, dispatch, expert layer).
 * Declarations only (includable from baseline code such as
 * backend_simd.c, the tests and the bench); the vector helpers live in
 * avx2/moe_vmath.h. Semantics: qref/moe.h. Every result is independent of
 * the thread count (work split by tokens / rows / fixed blocks; every sum
 * in an order fixed by the shape). */
#ifndef QCTS_SIMD_AVX2_MOE_H
#define QCTS_SIMD_AVX2_MOE_H

#include <stddef.h>
#include <stdint.h>

#include "qref/moe.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- router ---------------------------------------------------------------- */
/* Workspace bytes of qcts_moe_route__avx2 for d and `threads`. */
size_t qcts_moe_route_ws_bytes__avx2(const qref_moe_route_desc *d, int threads);
/* d must have passed qref_moe_route_check; logits finite, |x| <= 64. */
void qcts_moe_route__avx2(const qref_moe_route_desc *d, const float *logits, const float *bias, int32_t *ids,
                          float *weights, float *aux, int threads, void *ws);

/* Tests: fn 0 exp, 1 sigmoid, 2 SwiGLU (x = gate, u = up) on n (multiple of
 * 8) floats, the vector code of avx2/moe_vmath.h. */
void qcts_moe_vmath__avx2(int fn, const float *x, const float *u, float *y, int64_t n);

/* ---- dispatch ---------------------------------------------------------------- */
/* 0, -1 when an id is outside [0, E) (then the outputs are not
 * meaningful; nothing is written outside them), -2 out of memory. */
int qcts_moe_dispatch__avx2(const qref_moe_dispatch_desc *d, const int32_t *ids, const void *x, int32_t *counts,
                            int32_t *offsets, int32_t *slots, void *packed, int threads);

/* ---- expert layer ------------------------------------------------------------ */
typedef struct qcts_moe_experts_plan qcts_moe_experts_plan;
/* Validates the weights (as qref_qtensor_load), picks the AVX2 GEMV/GEMM
 * kernels of the scheme and allocates everything: run only computes.
 * gu: E serialized (2I x H) tensors back to back, dn: E (H x I); sgu, sdn
 * the shared expert's (2Is x H, H x Is) when d->has_shared. Returns NULL
 * with a sentence in why; *unsupported = 1 when the scheme has no AVX2
 * kernel (SKIP, not an error). */
qcts_moe_experts_plan *qcts_moe_experts_plan__avx2(const qref_moe_experts_desc *d, const char *scheme,
                                                   const uint8_t *gu, size_t gu_bytes, const uint8_t *dn,
                                                   size_t dn_bytes, const uint8_t *sgu, size_t sgu_bytes,
                                                   const uint8_t *sdn, size_t sdn_bytes, int threads,
                                                   int *unsupported, char *why, size_t n);
/* 0, or -1 when an id is outside [0, E) (message in why). */
int qcts_moe_experts_run__avx2(qcts_moe_experts_plan *p, const float *x, const int32_t *ids, const float *wt,
                               float *y, char *why, size_t n);
const char *qcts_moe_experts_variant__avx2(const qcts_moe_experts_plan *p);
void qcts_moe_experts_free__avx2(qcts_moe_experts_plan *p);

#ifdef __cplusplus
}
#endif
#endif
