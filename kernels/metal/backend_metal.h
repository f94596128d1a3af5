/* backend_metal.h — entry points of kernels/metal (the `metal`,
 * `metal-fast` and `metal-cpu` backends and the manifest backends
 * `metal-kernels:FILE.json` / `metal-cpu-kernels:FILE.json`). */
#ifndef QCTS_BACKEND_METAL_H
#define QCTS_BACKEND_METAL_H

#include <stddef.h>

#include "qcts/backend.h"

const qcts_backend *qcts_backend_metal_cpu_entry(void);
const qcts_backend *qcts_backend_metal_entry(void);        /* macOS builds only */
const qcts_backend *qcts_backend_metal_fast_entry(void);   /* macOS builds only */

/* macOS: the device's copy bandwidth in bytes/s (a timed blit; 0 on
 * failure), the ceiling of a memory-bound kernel. */
double qm_metal_copy_bandwidth(void);

struct qm_plan;
struct mcpu_kernel;
/* Runs a plan on the metal-cpu executor. */
qcts_status qm_cpu_run_plan(const struct qm_plan *pl, const struct mcpu_kernel *k, char *msg, size_t n);

/* metal-kernels:PATH (on_cpu 0) and metal-cpu-kernels:PATH (on_cpu 1):
 * *be stays valid until qm_manifest_backend_close(*priv). */
qcts_status qm_manifest_backend_open(const char *path, int on_cpu, const qcts_backend **be, void **priv, char *err,
                                     size_t n);
void qm_manifest_backend_close(void *priv);

#endif
