/* Host side of qcu.h: a qcu_tensor and its tables from a preset (qcu_build.c). */
#ifndef QCTS_KERNELS_CUDA_QCU_BUILD_H
#define QCTS_KERNELS_CUDA_QCU_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/cuda/qcu.h"
#include "kernels/cuda/quant_rows.h"
#include "qref/scheme.h"

/* Geometry, offsets and tables of a rows x cols tensor of s (host_bytes:
 * the serialized tensor, for its size and tensor scale; may be NULL). 0 ok,
 * -1 with a sentence. Pointers are set by qcu_tensor_bind. */
int qcu_tensor_setup(qcu_tensor *t, qcu_tables *tab, const qref_scheme *s, int64_t rows, int64_t cols,
                     const uint8_t *host_bytes, size_t len, char *why, size_t n);
/* Points t at the serialized bytes at base and the tables at tab (host or device). */
void qcu_tensor_bind(qcu_tensor *t, const uint8_t *base, const qcu_tables *tab);

/* How the quantized-activation GEMM (actq_rows.h) multiplies a_quant mode
 * (qcts_act_quant) with the tensor t of preset s: QCU_AQP_*. */
int qcu_aq_plan(int mode, const qref_scheme *s, const qcu_tensor *t);
/* QUANTIZE of rows x cols in preset s on the cuda backend (quant_rows.h):
 * fills z's geometry (pointers are the caller's). 0, or -1 with why when
 * s has no cuda quantizer or the shape does not fit. */
int qcu_qz_setup(qcu_qz *z, const qref_scheme *s, int64_t rows, int64_t cols, char *why, size_t n);

#endif
