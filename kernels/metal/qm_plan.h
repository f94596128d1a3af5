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

#define QM_PLAN_MAX_BUFS 16

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
    char kernel[128];             /* MSL function name */
    char source[128];             /* its .metal file */
    qm_params p;                  /* dequant, gemm */
    qm_convert_params cp;         /* convert */
    qm_plan_buf bufs[QM_PLAN_MAX_BUFS];
    int nbufs;
    uint32_t groups[3], tg[3];    /* dispatchThreadgroups:threadsPerThreadgroup: */
    size_t tg_mem[2];             /* [[threadgroup(i)]] lengths */
    float dummy;                  /* bound where a kernel argument is unused (bias) */
} qm_plan;

/* A device that runs plans: metal-cpu's executor or Metal (host_metal.m).
 * prepare copies inputs (Metal: into MTLBuffers) and resolves the kernel;
 * run launches; sync waits; fetch writes every output buffer's `out`. */
typedef struct qm_device_ops {
    qcts_status (*prepare)(void *ctx, const qm_plan *pl, void **dcall, char *msg, size_t n);
    qcts_status (*run)(void *dcall, char *msg, size_t n);
    qcts_status (*sync)(void *dcall, char *msg, size_t n);
    qcts_status (*fetch)(void *dcall, char *msg, size_t n);
    void (*release)(void *dcall);
} qm_device_ops;

/* The metal-cpu device (ctx unused). */
extern const qm_device_ops qm_cpu_device;

/* Metal (macOS builds only, host_metal.m). A context is one device, queue
 * and library: qcts's own kernels (source NULL: the embedded MSL) or a
 * manifest's source or metallib, compiled precise or with fast math. */
typedef struct qm_metal_ctx qm_metal_ctx;
struct qm_manifest;
int qm_metal_available(char *why, size_t n);
qm_metal_ctx *qm_metal_ctx_open(const struct qm_manifest *m, int fast_math, char *msg, size_t n);
void qm_metal_ctx_close(qm_metal_ctx *c);
uint32_t qm_metal_simd_width(qm_metal_ctx *c, const char *function);
extern const qm_device_ops qm_metal_device;

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
