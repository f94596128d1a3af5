/* Hooks of the bench for GPU backends (bench_cuda.c); no-ops without one. */
#ifndef QCTS_BENCH_DEVICE_H
#define QCTS_BENCH_DEVICE_H

#include <stdio.h>

#include "qcts/bench.h"

/* 1: timed on the device (per_call set), 0: not a device backend (time it
 * on the host clock), -1: failed (why). */
int qcts_bench_device_timed(const qcts_backend *be, qcts_call **calls, int ncalls, long *idx, int inner,
                            double *per_call, char *why, size_t n);
/* The largest device cache the weights must outgrow when --cold (0: none). */
size_t qcts_bench_device_cache(const qcts_bench_opts *o);
/* After the kernels: the device's ceilings and baselines as extra rows, and
 * the device measurements' fractions of them. */
void qcts_bench_device_finish(const qcts_bench_opts *o, qcts_bench_report *r);
/* The GPU table (nothing when no device row). */
void qcts_bench_device_print(FILE *f, const qcts_bench_report *r);

#endif
