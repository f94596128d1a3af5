/* qcts/roofline.h — this host's measured ceilings, probed once per bench
 * run (ARCHITECTURE.md "Benchmarks"), and the cycle counter.
 *
 * What is measured (median of repeated passes, each pass timed with
 * CLOCK_MONOTONIC):
 *   read   streaming read bandwidth: a buffer of 4x the last-level cache
 *          summed with the widest loads available (AVX2 on x86-64 when the
 *          CPU has it, plain 64-bit loads otherwise); bytes read per second
 *   copy   the better of memcpy and a load/store loop on such a buffer;
 *          bytes copied per second (each byte is read once and written once)
 *   fma    single-precision FMA peak per ISA: 12 independent FMA chains
 *          (scalar fmaf, AVX2 ymm, AVX-512 zmm, NEON q registers), 2 flops per
 *          lane per FMA
 * each on one core and on every online core at once (one thread per core,
 * each with its own buffer; bandwidth = all bytes / the slowest thread's
 * time). GB/s and GFLOP/s are 10^9 per second.
 *
 * CYCLE COUNTER
 *   x86-64: rdtsc, the time-stamp counter (constant rate on modern CPUs: TSC
 *   cycles, not core cycles when the clock boosts); arm64: cntvct_el0, the
 *   generic timer (a fixed frequency, cntfrq_el0, usually far below the core
 *   clock). counter_hz is measured (x86) or read (arm64); 0 when there is no
 *   counter.
 */
#ifndef QCTS_ROOFLINE_H
#define QCTS_ROOFLINE_H

#include <stddef.h>
#include <stdint.h>

#define QCTS_ROOF_MAX_ISA 4

typedef struct qcts_roof_fma {
    char isa[16];              /* "scalar", "avx2", "avx512", "neon" */
    double gflops[2];          /* [0] one core, [1] every core */
} qcts_roof_fma;

typedef struct qcts_roofline {
    size_t llc_bytes;          /* last-level cache (sysfs; 32 MiB when unknown) */
    int cores;                 /* threads used for the "all cores" numbers */
    double read_gbs[2];        /* [0] one core, [1] every core */
    double copy_gbs[2];
    int n_fma;
    qcts_roof_fma fma[QCTS_ROOF_MAX_ISA];
    char counter[48];          /* "rdtsc (TSC cycles)", "cntvct_el0 (timer ticks)", "" */
    double counter_hz;
    double seconds;            /* how long the probe took */
} qcts_roofline;

/* Probes everything above; quick = 1 uses smaller buffers and fewer
 * passes (a few tenths of a second). Never fails: what cannot be measured
 * stays 0. */
void qcts_roofline_probe(qcts_roofline *r, int quick);
/* The best FMA peak over the ISAs, one core (all = 0) or all cores. */
double qcts_roofline_fma_best(const qcts_roofline *r, int all, const char **isa);
/* LLC size as qcts_roofline_probe sees it. */
size_t qcts_llc_bytes(void);
/* The cycle counter now (0 when there is none). */
uint64_t qcts_cycles(void);
/* Monotonic seconds. */
double qcts_now(void);

#endif
