/* qm_plan.h — one backend call as the Metal kernels see it: which kernel,
 * its argument table (buffers by index, the parameter struct), the grid.
 * Built once per prepared call by qm_plan_*() from the ABI descriptor;
 * followed by both hosts: metal-cpu (backend_metal_cpu.c, the executor)
 * and Metal (host_metal.m). Validation of the weights (qcts_qview_init,
 * the checks of qref_qtensor_load) happens here, so both hosts refuse the
 * same inputs with the same words. Private to kernels/metal. */
#ifndef QM_PLAN_H
#define QM_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/metal/msl/qm_abi.h"
#include "qcts/backend.h"

#define QM_PLAN_MAX_BUFS 8

typedef struct qm_plan_buf {
    uint32_t index;       /* [[buffer(index)]] */
    const void *in;       /* input bytes (NULL for an output) */
    void *out;            /* output: where the result goes on the host */
    size_t bytes;
    int is_output;
    int small;            /* <= 4 KB constant data: setBytes on Metal */
} qm_plan_buf;

typedef struct qm_plan {
    qcts_op op;
    char kernel[64];              /* MSL function name */
    char source[64];              /* its .metal file */
    qm_params p;                  /* dequant, gemm */
    qm_convert_params cp;         /* convert */
    qm_plan_buf bufs[QM_PLAN_MAX_BUFS];
    int nbufs;
    uint32_t groups[3], tg[3];    /* dispatchThreadgroups:threadsPerThreadgroup: */
    size_t tg_mem[2];             /* [[threadgroup(i)]] lengths */
    float dummy;                  /* bound where a kernel argument is unused (bias) */
} qm_plan;

/* The aux table (qm_abi.h QM_AUX_*), built once from libqref. */
const uint32_t *qm_aux_table(void);

/* simd_width: the SIMD-group width the GEMV kernel will run with (metal-cpu
 * 32; Metal: the pipeline's threadExecutionWidth). who names the backend in
 * messages. QCTS_OK, QCTS_UNSUPPORTED (reason) or QCTS_ERROR (reason). */
qcts_status qm_plan_convert(const qcts_convert_desc *d, const qcts_buffers *b, const char *who, qm_plan *pl,
                            char *msg, size_t n);
qcts_status qm_plan_dequant(const qcts_dequant_desc *d, const qcts_buffers *b, const char *who, qm_plan *pl,
                            char *msg, size_t n);
qcts_status qm_plan_gemm(const qcts_gemm_desc *d, const qcts_buffers *b, uint32_t simd_width, const char *who,
                         qm_plan *pl, char *msg, size_t n);

#endif
