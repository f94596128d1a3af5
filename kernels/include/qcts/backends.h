/* qcts/backends.h — finding and opening backends by name.
 *
 * A backend spec is one of
 *   ref, simd, avx2, avx512, neon, metal, cuda   in-tree backends (the list
 *                      in kernels/backends.inc; only those built into this
 *                      qcts can be opened, the others answer UNAVAILABLE
 *                      with the reason)
 *   plugin:PATH.so     a shared object exporting QCTS_BACKEND_ENTRY_SYMBOL
 *                      (qcts/backend.h); abi_version and struct_size are
 *                      checked. Isolated in worker processes unless opened
 *                      in_process (qcts_backend_open_with)
 *   exec:COMMAND       any program: per call qcts writes the case's inputs
 *                      to in.safetensors (qcts/case_call.h), runs
 *                          /bin/sh -c 'COMMAND "$@"' sh OP IN OUT
 *                      and reads out.* from OUT. Exit 0: OUT holds the
 *                      outputs; exit 3: unsupported (stderr is the reason);
 *                      anything else, a signal, a timeout (default 60 s,
 *                      env QCTS_EXEC_TIMEOUT or option "timeout", seconds)
 *                      or a missing/malformed OUT is QCTS_ERROR with the
 *                      exit status or signal and the tail of stderr. OUT
 *                      must be a regular file of bounded size; the timeout
 *                      covers reading it; every descendant is killed.
 *   exec-persistent:COMMAND
 *                      COMMAND starts once and gets a line per case,
 *                      "OP<TAB>IN<TAB>OUT", answering "done",
 *                      "unsupported REASON" or "error MESSAGE"
 *                      (kernels/README.md); timeouts per case, a new
 *                      process after a crash, killed at close.
 *
 * The returned qcts_backend is called directly through the ABI; it stays
 * valid until qcts_backend_close(). Opening is thread-safe; each handle is
 * independent (two exec handles with different commands work at once).
 */
#ifndef QCTS_BACKENDS_H
#define QCTS_BACKENDS_H

#include <stddef.h>

#include "qcts/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct qcts_backend_handle qcts_backend_handle;   /* opaque */

/* Opens spec. QCTS_OK: *h is set. QCTS_UNAVAILABLE: an in-tree name that is
 * not built into this qcts. QCTS_ERROR: unknown name, or a plugin/exec spec
 * that cannot be loaded. On failure *h is NULL and err holds one line
 * (unknown names list what is accepted). */
qcts_status qcts_backend_open(const char *spec, qcts_backend_handle **h, char *err, size_t n);

/* How to open (qcts_backend_open uses the defaults: all zero).
 *   in_process  plugin: dlopen it into this process, as fast as a direct
 *               call but unprotected: a crash, abort, exit() or hang of
 *               the plugin is one of qcts (and no timeout applies).
 *               Default (0): ISOLATED, the plugin runs in worker processes
 *               (kernels/plugin/plugin_host.c); a crash, abort, exit() or
 *               hang makes the step of the call that was running return
 *               QCTS_ERROR naming the signal, exit status or timeout, and
 *               the next call gets a new process.
 *   timeout     isolated plugin: seconds each step (prepare, run, sync,
 *               fetch, variant, release) may take; <= 0: 60. (exec: has
 *               its own "timeout" option.) */
typedef struct qcts_backend_open_opts {
    int in_process;
    double timeout;
} qcts_backend_open_opts;
qcts_status qcts_backend_open_with(const char *spec, const qcts_backend_open_opts *o, qcts_backend_handle **h,
                                   char *err, size_t n);

/* The backend of h (never NULL for an open handle). */
const qcts_backend *qcts_backend_get(const qcts_backend_handle *h);

/* The spec h was opened with ("ref", "plugin:/x/y.so", "exec:python3 f.py"). */
const char *qcts_backend_spec(const qcts_backend_handle *h);

/* Options of a handle: exec and isolated plugins know "timeout" (seconds,
 * > 0, may be fractional); other backends know none. QCTS_ERROR on an unknown key or a
 * bad value. */
qcts_status qcts_backend_set_option(qcts_backend_handle *h, const char *key, const char *value,
                                    char *err, size_t n);

/* Closes h (unloads a plugin); NULL is allowed. */
void qcts_backend_close(qcts_backend_handle *h);

/* The in-tree backend names, NULL-terminated, in listing order; includes
 * those not built here. */
const char *const *qcts_backend_names(void);

/* What `qcts list backends` shows for one in-tree name. */
typedef struct qcts_backend_info {
    const char *name;
    const char *description;
    int built;                 /* compiled into this qcts */
    int available;             /* built, and available() says it runs here */
    char why[256];             /* the reason when not available, else "" */
} qcts_backend_info;

/* Fills *info for an in-tree name; -1 if the name is not in the list. */
int qcts_backend_info_get(const char *name, qcts_backend_info *info);

/* One whole call through the ABI lifecycle: prepare (the op's function of
 * be), run, sync, fetch, release. desc is the qcts_<op>_desc of op. A NULL
 * op function is QCTS_UNSUPPORTED ("backend X has no OP"). The status of
 * the first step that fails is returned, with its message in msg. */
qcts_status qcts_backend_call(const qcts_backend *be, qcts_op op, const void *desc,
                              const qcts_buffers *b, char *msg, size_t n);

#ifdef __cplusplus
}
#endif
#endif
