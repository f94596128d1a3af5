/* mcpu_exec.h — the metal-cpu executor: runs a kernel written in MSL
 * (compiled for the CPU through the shim in shim/metal_stdlib) the way a
 * Metal GPU dispatches it. Every threadgroup is run on the calling thread;
 * every thread of a threadgroup is a fiber (ucontext) with its own stack,
 * so threadgroup_barrier() and the simd_* functions switch to the other
 * threads and resume only when every thread of the threadgroup (or of the
 * SIMD-group) has arrived: the semantics of the GPU, deterministically
 * (threads resume in index order). A barrier that not every thread
 * reaches, or threads of one SIMD-group waiting in different SIMD-group
 * functions, are errors (undefined behaviour on a GPU), never a hang.
 *
 * C interface: the executor is C (mcpu_exec.c, built with $(CC) and the
 * build's sanitizers); the shim and the kernels are C++ (clang++). */
#ifndef MCPU_EXEC_H
#define MCPU_EXEC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MCPU_MAX_BUFFERS 31          /* Metal's buffer argument table */
#define MCPU_MAX_TG_MEM 4
#define MCPU_SIMD_WIDTH 32           /* Apple GPUs' SIMD-group width */
#define MCPU_MAX_TG_THREADS 1024

/* Where a thread is (Metal's attribute values). */
typedef struct mcpu_thread {
    uint32_t tpig[3];    /* thread_position_in_grid */
    uint32_t tgpig[3];   /* threadgroup_position_in_grid */
    uint32_t tpitg[3];   /* thread_position_in_threadgroup */
    uint32_t ntg[3];     /* threads_per_threadgroup */
    uint32_t tgpg[3];    /* threadgroups_per_grid */
    uint32_t tiitg;      /* thread_index_in_threadgroup */
    uint32_t tiisg;      /* thread_index_in_simdgroup */
    uint32_t sgitg;      /* simdgroup_index_in_threadgroup */
    uint32_t tpsg;       /* threads_per_simdgroup */
    uint32_t sgptg;      /* simdgroups_per_threadgroup */
} mcpu_thread;

/* What a kernel is called with: Metal's argument tables. */
typedef struct mcpu_args {
    void *buffers[MCPU_MAX_BUFFERS];
    size_t buffer_bytes[MCPU_MAX_BUFFERS];
    void *tg_mem[MCPU_MAX_TG_MEM];           /* set by the executor per threadgroup */
    size_t tg_mem_bytes[MCPU_MAX_TG_MEM];    /* set by the caller */
} mcpu_args;

/* A kernel's thunk: calls the MSL function with the arguments and the
 * thread's attribute values. */
typedef void (*mcpu_thunk)(const mcpu_args *a, const mcpu_thread *t);

typedef struct mcpu_kernel {
    const char *name;        /* the MSL function's name */
    const char *source;      /* its .metal file (kernels/metal/msl/...) */
    mcpu_thunk thunk;
} mcpu_kernel;

/* The kernels compiled into this qcts (kernels/metal/cpu/kernels_cpu.cpp). */
const mcpu_kernel *mcpu_kernel_find(const char *name);
size_t mcpu_kernel_count(void);
const mcpu_kernel *mcpu_kernel_at(size_t i);

/* Dispatches groups[0] x groups[1] x groups[2] threadgroups of
 * tg[0] x tg[1] x tg[2] threads (dispatchThreadgroups:threadsPerThreadgroup:).
 * 0 ok; -1 with a sentence in msg (bad sizes, out of memory, a barrier
 * not reached by every thread). */
int mcpu_dispatch(const mcpu_kernel *k, mcpu_args *a, const uint32_t groups[3], const uint32_t tg[3], char *msg,
                  size_t msg_len);

/* Called by the shim from inside a kernel. */
void mcpu_threadgroup_barrier(void);
float mcpu_simd_sum_f(float x);
uint32_t mcpu_simd_sum_u(uint32_t x);
float mcpu_simd_shuffle_f(float x, uint32_t lane);
float mcpu_simd_shuffle_down_f(float x, uint32_t delta);
float mcpu_simd_broadcast_f(float x, uint32_t lane);

#ifdef __cplusplus
}
#endif
#endif
