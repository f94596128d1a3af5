/* qcts/roofline.h — this host's measured ceilings, probed once per bench
 * run (ARCHITECTURE.md "Benchmarks"), and the cycle counter.
 *
 * What is measured (the BEST of several passes, each pass timed with
 * CLOCK_MONOTONIC; the spread (best - worst) / best is kept with it, a
 * large spread means the machine was busy while probing):
 *   read   streaming read bandwidth: a buffer of 4x the last-level cache
 *          summed with the widest loads available (AVX2 on x86-64 when the
 *          CPU has it, plain 64-bit loads otherwise); bytes read per second
 *   copy   the better of memcpy and a load/store loop on such a buffer;
 *          bytes copied per second (each byte is read once and written once)
 *   fma    single-precision FMA peak per ISA: 12 independent FMA chains
 *          (scalar fmaf, AVX2 ymm, AVX-512 zmm, NEON q registers), 2 flops per
 *          lane per FMA
 *   read_l2, read_llc  the same read loop over a buffer of half the L2 (per
 *          thread) or half the LLC (shared by the threads), read many times
 *          over: the ceilings of data that sits in those caches
 * each on one core and on every online core at once (one thread per core,
 * each with its own buffer; rate = all work / the WALL time of the whole
 * parallel region, from the barrier that starts every thread to the join
 * of the last one: threads that take turns on one CPU do not look
 * parallel). GB/s and GFLOP/s are 10^9 per second.
 *
 * SELF-CHECKS (checks: "ok", or what failed, "; "-separated; reports show
 * them next to every % of roofline)
 *   all cores >= 0.9 x one core, for each number
 *   AVX-512 FMA >= 0.95 x AVX2 FMA where the CPU has both
 *   copy <= 1.1 x read and read <= 8 x copy (read plausible against copy)
 *   cache read (L2, LLC) >= 0.9 x DRAM read
 *
 * WHICH CEILING (qcts_roofline_ceiling)
 *   GEMM with M > 1: the best FMA peak (level "FMA").
 *   GEMV: read bandwidth of the level the data comes from: cold (weights
 *   rotated beyond the LLC) or a working set above the LLC: "DRAM"; at most
 *   the L2: "L2"; at most 3/4 of the LLC: "LLC".
 *   Dequant (qcts_roofline_dequant_time): it writes 4 bytes per weight, so
 *   its bound is a time: weight bytes / read bandwidth of their level +
 *   output bytes / store bandwidth (memset) of the output's level (the
 *   two times add when either level is DRAM, which both share; inside the
 *   caches the larger one bounds). "Fits the LLC" means <= 3/4 of it.
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
    double spread[2];
} qcts_roof_fma;

typedef struct qcts_roofline {
    size_t llc_bytes;          /* last-level cache (sysfs; 32 MiB when unknown) */
    size_t l2_bytes;           /* level-2 cache per core (sysfs; 1 MiB when unknown) */
    int cores;                 /* threads used for the "all cores" numbers */
    double read_gbs[2];        /* [0] one core, [1] every core */
    double copy_gbs[2];
    double read_l2_gbs[2], read_llc_gbs[2];
    double read_spread[2], copy_spread[2], l2_spread[2], llc_spread[2];
    double store_gbs[2], store_l2_gbs[2], store_llc_gbs[2];   /* memset into DRAM, L2, LLC buffers */
    int n_fma;
    qcts_roof_fma fma[QCTS_ROOF_MAX_ISA];
    char counter[48];          /* "rdtsc (TSC cycles)", "cntvct_el0 (timer ticks)", "" */
    double counter_hz;
    double seconds;            /* how long the probe took */
    char checks[512];          /* "ok" or the self-checks that failed */
} qcts_roofline;

/* Probes everything above; quick = 1 uses smaller buffers and fewer
 * passes (a few tenths of a second). Never fails: what cannot be measured
 * stays 0. */
void qcts_roofline_probe(qcts_roofline *r, int quick);
/* The best FMA peak over the ISAs, one core (all = 0) or all cores. */
double qcts_roofline_fma_best(const qcts_roofline *r, int all, const char **isa);
/* Runs the self-checks on r's numbers into r->checks; returns how many
 * failed (separate from the probe so the rule can be tested). */
int qcts_roofline_check(qcts_roofline *r);
/* The ceiling for a measurement: gemm_mk = GEMM with M > 1; ws_bytes = its
 * working set (weights + activations + outputs); all = several threads.
 * Sets *value (GB/s or GFLOP/s; 0 when not probed), kind ("read DRAM 1
 * core", "fma avx2 all cores", ...) and level ("L2", "LLC", "DRAM", "FMA"). */
void qcts_roofline_ceiling(const qcts_roofline *r, int gemm_mk, double ws_bytes, int cold, int all, double *value,
                           char *kind, size_t kind_len, char *level, size_t level_len);
/* The shortest time a dequant of in_bytes (weights) to out_bytes (f32) can
 * take (seconds; 0 when not probed); kind "read LLC + store DRAM 1 core",
 * level "LLC/DRAM". */
double qcts_roofline_dequant_time(const qcts_roofline *r, double in_bytes, double out_bytes, int cold, int all,
                                  char *kind_out, size_t kind_len, char *level, size_t level_len);
/* LLC size as qcts_roofline_probe sees it. */
size_t qcts_llc_bytes(void);
/* The cycle counter now (0 when there is none). */
uint64_t qcts_cycles(void);
/* Monotonic seconds. */
double qcts_now(void);

#endif
