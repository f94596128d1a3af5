/* The cuda backend's entry and its hook for the bench (backend_cuda.c). */
#ifndef QCTS_KERNELS_CUDA_BACKEND_CUDA_H
#define QCTS_KERNELS_CUDA_BACKEND_CUDA_H

#include <stddef.h>

#include "qcts/backend.h"

const qcts_backend *qcts_backend_cuda_entry(void);
/* nruns runs of calls[(*idx)++ % ncalls] (calls of the cuda backend)
 * enqueued back to back between two CUDA events; *sec = elapsed / nruns.
 * 0 ok, -1 with why. */
int qcts_cuda_time_runs(qcts_call **calls, int ncalls, long *idx, int nruns, double *sec, char *why, size_t wn);

#endif
