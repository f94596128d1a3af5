/* Private to the case runner (runner.c, runner_strict.c): the per-backend
 * context, a case's buffers and the one-call helpers runner.c defines. */
#ifndef QCTS_RUNNER_IMPL_H
#define QCTS_RUNNER_IMPL_H

#include <pthread.h>

#include "qcts/backends.h"
#include "qcts/case_call.h"
#include "qcts/runner.h"

typedef struct be_ctx {
    const char *spec;
    qcts_backend_handle *h;
    const qcts_backend *be;        /* NULL when not usable */
    qcts_verdict none_verdict;     /* when be is NULL: UNAVAILABLE or ERROR */
    char why[512];
    int serial;
    pthread_mutex_t lock;
} be_ctx;

/* The buffers of a case for one backend: aligned input copies and guarded
 * outputs. */
typedef struct case_bufs {
    void *in[QCTS_MAX_INPUTS];
    qcts_guarded out[QCTS_MAX_OUTPUTS];
    int n_out;
} case_bufs;

void bufs_free(case_bufs *cb);
int bufs_alloc(case_bufs *cb, const qcts_case *c);
/* One whole call: arm the outputs with `variant`, prepare .. release. */
qcts_status one_call(be_ctx *b, const qcts_case *c, const void *desc, case_bufs *cb, int variant,
                     char *variant_name, size_t vn, double *secs, char *msg, size_t n);
/* Guards, inputs (byte for byte against the case's), padding: 0 fine, else 1 and msg. */
int check_integrity(const qcts_case *c, const case_bufs *cb, int variant, char *msg, size_t n);
/* Two calls (poison 0 and 1): unwritten elements, then any difference. */
int compare_calls(const qcts_case *c, const case_bufs *a, const case_bufs *b, char *msg, size_t n);

/* runner_strict.c: after a first call `one` (poison 0) that passed its
 * integrity check, the calls that must give the same bits: the same call
 * again, and for gemm threads 2 and 3 and padded strides (lda > K, ldy > N).
 * 0 when all agree; 1 with the failure in msg (verdict FAIL); -1 with the
 * reason in msg when a call could not be made (status in *st). */
int strict_calls(be_ctx *b, const qcts_case *c, const case_bufs *one, qcts_status *st, char *msg, size_t n);

#endif
