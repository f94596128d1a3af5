/* kernels_impl.h — what the registry (kernels/registry.c) needs from each
 * kind of backend. Private to kernels/. */
#ifndef QCTS_KERNELS_IMPL_H
#define QCTS_KERNELS_IMPL_H

#include <stddef.h>

#include "qcts/backend.h"

/* Checks what qcts requires of any backend struct (in-tree or plugin):
 * abi_version, struct_size, name, run, release, reserved slots NULL. who
 * starts the message ("plugin /x/y.so"). */
qcts_status qcts_backend_validate(const qcts_backend *be, const char *who, char *err, size_t n);

/* In-tree backends (kernels/backends.inc). */
const qcts_backend *qcts_backend_ref_entry(void);
const qcts_backend *qcts_backend_simd_entry(void);   /* kernels/simd/backend_simd.c */
const qcts_backend *qcts_backend_avx2_entry(void);
const qcts_backend *qcts_backend_cuda_entry(void);   /* kernels/cuda/backend_cuda.c (built when nvcc is found) */
#include "kernels/metal/backend_metal.h"   /* metal, metal-fast, metal-cpu */
const qcts_backend *qcts_backend_avx512_entry(void);
const qcts_backend *qcts_backend_neon_entry(void);

/* plugin:PATH — dlopen, dlsym, validate. *dl is the dlopen handle. */
qcts_status qcts_plugin_open(const char *path, void **dl, const qcts_backend **be, char *err, size_t n);
void qcts_plugin_close(void *dl);

/* plugin:PATH isolated (the default; kernels/plugin/plugin_host.c): the
 * plugin runs in worker processes; *be is a proxy. timeout: seconds each
 * step of a call may take (<= 0: the default, 60). */
typedef struct qcts_plugin_host qcts_plugin_host;
qcts_status qcts_plugin_host_open(const char *path, double timeout, qcts_plugin_host **h, const qcts_backend **be,
                                  char *err, size_t n);
qcts_status qcts_plugin_host_set_timeout(qcts_plugin_host *h, double seconds, char *err, size_t n);
void qcts_plugin_host_close(qcts_plugin_host *h);

/* exec:COMMAND — one instance per open handle. */
typedef struct qcts_exec qcts_exec;
qcts_status qcts_exec_open(const char *command, qcts_exec **ex, const qcts_backend **be, char *err, size_t n);
/* exec-persistent:COMMAND — one process answering a line per case. */
qcts_status qcts_exec_open_persistent(const char *command, qcts_exec **ex, const qcts_backend **be, char *err,
                                      size_t n);
/* timeout in seconds, > 0 */
qcts_status qcts_exec_set_timeout(qcts_exec *ex, double seconds, char *err, size_t n);
void qcts_exec_close(qcts_exec *ex);

#endif
