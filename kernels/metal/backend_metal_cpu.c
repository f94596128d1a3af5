/* The `metal-cpu` backend: qcts's Metal kernels (the .metal files of kernels/metal/msl)
 * compiled for the CPU with clang++ through the MSL shim and run by the
 * fiber executor (cpu/mcpu_exec.h), every threadgroup's threads as fibers.
 * Same plans as the `metal` backend (qm_plan.h), same buffers, same grid:
 * what it checks is the kernels' source, on IEEE float32 arithmetic
 * (kernels/metal/README.md says what it cannot show). Always reported as
 * metal-cpu, never as metal. */
#include <stdlib.h>
#include <string.h>

#include "kernels/backend_say.h"
#include "kernels/metal/backend_metal.h"
#include "kernels/metal/cpu/mcpu_exec.h"
#include "kernels/metal/qm_plan.h"

#define WHO "metal-cpu"

struct qcts_call {
    qm_plan pl;
    const mcpu_kernel *k;
    char variant[300];
};

static int mc_available(char *why, size_t n)
{
    if (why && n)
        why[0] = '\0';
    return 1;
}

static qcts_status finish(qcts_call *c, qcts_status st, qcts_call **call, char *msg, size_t n)
{
    if (st == QCTS_OK) {
        c->k = mcpu_kernel_find(c->pl.kernel);
        if (!c->k)
            st = qcts_say(QCTS_ERROR, msg, n, WHO ": kernel %s is not compiled into this qcts", c->pl.kernel);
    }
    if (st != QCTS_OK) {
        free(c);
        return st;
    }
    snprintf(c->variant, sizeof c->variant, "%s [metal-cpu, %s]", c->pl.kernel, c->pl.source);
    *call = c;
    return QCTS_OK;
}

static qcts_status mc_convert(const qcts_convert_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                              size_t n)
{
    *call = NULL;
    qcts_call *c = calloc(1, sizeof *c);
    if (!c)
        return qcts_say(QCTS_ERROR, msg, n, WHO ": out of memory");
    return finish(c, qm_plan_convert(d, b, WHO, &c->pl, msg, n), call, msg, n);
}

static qcts_status mc_dequant(const qcts_dequant_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                              size_t n)
{
    *call = NULL;
    qcts_call *c = calloc(1, sizeof *c);
    if (!c)
        return qcts_say(QCTS_ERROR, msg, n, WHO ": out of memory");
    return finish(c, qm_plan_dequant(d, b, WHO, &c->pl, msg, n), call, msg, n);
}

static qcts_status mc_gemm(const qcts_gemm_desc *d, const qcts_buffers *b, qcts_call **call, char *msg, size_t n)
{
    *call = NULL;
    qcts_call *c = calloc(1, sizeof *c);
    if (!c)
        return qcts_say(QCTS_ERROR, msg, n, WHO ": out of memory");
    return finish(c, qm_plan_gemm(d, b, MCPU_SIMD_WIDTH, WHO, &c->pl, msg, n), call, msg, n);
}

qcts_status qm_cpu_run_plan(const qm_plan *pl, const mcpu_kernel *k, char *msg, size_t n)
{
    mcpu_args a;
    memset(&a, 0, sizeof a);
    for (int i = 0; i < pl->nbufs; i++) {
        const qm_plan_buf *b = &pl->bufs[i];
        a.buffers[b->index] = b->is_output ? b->out : (void *)(uintptr_t)b->in;
        a.buffer_bytes[b->index] = b->bytes;
    }
    a.tg_mem_bytes[0] = pl->tg_mem[0];
    a.tg_mem_bytes[1] = pl->tg_mem[1];
    char e[512];
    if (mcpu_dispatch(k, &a, pl->groups, pl->tg, e, sizeof e) != 0)
        return qcts_say(QCTS_ERROR, msg, n, "%s", e);
    return QCTS_OK;
}

static qcts_status mc_run(qcts_call *c, char *msg, size_t n)
{
    return qm_cpu_run_plan(&c->pl, c->k, msg, n);
}

static void mc_release(qcts_call *c) { free(c); }

static const char *mc_variant(const qcts_call *c) { return c ? c->variant : NULL; }

static const qcts_backend metal_cpu_backend = {
    .abi_version = QCTS_BACKEND_ABI_VERSION,
    .struct_size = sizeof(qcts_backend),
    .name = "metal-cpu",
    .description = "the Metal kernels (kernels/metal/msl) compiled with clang++ through an MSL shim, run on the CPU "
                   "with one fiber per GPU thread: checks the kernels' source, not a GPU "
                   "(convert, dequant, GEMV, GEMM)",
    .flags = 0,
    .available = mc_available,
    .variant = mc_variant,
    .convert = mc_convert,
    .dequant = mc_dequant,
    .gemm = mc_gemm,
    .run = mc_run,
    .release = mc_release,
};

const qcts_backend *qcts_backend_metal_cpu_entry(void) { return &metal_cpu_backend; }
