/* kernels/simd/scratch_guard.h — guard zones around the CPU SIMD backends'
 * private scratch buffers (activations widened to float32, float32 results,
 * dequant rows, per-thread panels).
 *
 * Why: a kernel that writes a few bytes past one of these buffers changes
 * no output (nobody reads the buffer after the call), so no golden case can
 * see it; only a sanitizer build did. Each buffer gets QCTS_SCRATCH_GUARD
 * bytes of a fixed pattern before and after it; the backend checks both
 * zones when a call finishes and answers QCTS_ERROR naming the buffer when
 * one changed, which the harness reports as a non-PASS verdict. Cost: two
 * 64-byte compares per buffer per call, never per element. */
#ifndef QCTS_SIMD_SCRATCH_GUARD_H
#define QCTS_SIMD_SCRATCH_GUARD_H

#include <stddef.h>

#define QCTS_SCRATCH_GUARD 64   /* bytes each side; keeps malloc's alignment */

/* n usable bytes between two guard zones (malloc's alignment), or NULL. */
void *qcts_scratch_alloc(size_t n);
/* 1 when both guard zones of p are intact (and for p NULL), else 0. */
int qcts_scratch_intact(const void *p);
/* Frees a buffer of qcts_scratch_alloc (NULL: nothing). */
void qcts_scratch_free(void *p);

#endif
