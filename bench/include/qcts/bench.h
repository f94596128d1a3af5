/* qcts/bench.h — `qcts bench`: kernel timings through the backend ABI
 * (ARCHITECTURE.md "Benchmarks").
 *
 * SHAPE SETS (bench/shapes/NAME.json)
 *   {"name": "qwen3-4b", "source": "where the numbers come from",
 *    "notes": ["..."], "schemes": ["fp4_g128_f16", ...],
 *    "shapes": [{"name": "attn_q", "phase": "decode", "op": "gemm",
 *                "M": 1, "N": 4096, "K": 2560, "per_token": 36}, ...]}
 *   op is "gemm" (GEMV when M = 1) or "dequant" (N rows x K columns to f32).
 *   per_token: how many times a decode step runs this shape (layers x
 *   projections of this shape); 0 (or absent) keeps the shape out of the
 *   tokens/s projection.
 *
 * WHAT ONE MEASUREMENT IS (backend x op x scheme x shape x threads)
 *   1. Inputs: a random valid weight tensor (qref_quantize of N(0, 1)
 *      weights, seeded by the shape), activations uniform in [-1, 1] (f32),
 *      output f32.
 *   2. Pre-check against ref on this shape: dequant bit-exact; gemm within
 *      the qref_gemm bound (for M > 2, on rows 0 and M-1 only, to keep
 *      the reference affordable: it costs about 100 ns per weight). The ref
 *      backend itself is not timed where one call would take over 1 s. A wrong kernel is REFUSED, not timed.
 *   3. REPETITIONS ARE THE UNIT. Every measurement that passed its pre-check
 *      gets `repeat` repetitions; the repetitions of ALL measurements are
 *      run in one seeded random order (Fisher-Yates with splitmix64, seed
 *      `seed`), so slow phases of the machine spread over every kernel
 *      instead of hitting one. Each repetition has its own warm-up
 *      (max(warmup_time, 2 calls)) and its own timing block: samples of
 *      run+sync until min_time and min_samples are both reached (at most
 *      max_samples). A sample times `inner` calls back to back (inner chosen
 *      in the first warm-up so a sample lasts >= 50 us) and is stored per
 *      call, with its repetition. Each hot repetition runs on freshly
 *      allocated weight and output buffers at random 64-byte offsets within
 *      a page (the call prepared again on them): memory layout is sampled
 *      per repetition, not frozen per run. --cold: `copies` weight copies of the
 *      shape totalling more than twice the LLC, used in rotation (one call
 *      per sample).
 *   4. Reported: the median of the repetition medians (median_s), their MAD
 *      and IQR (robust dispersion: MAD/median is the headline spread); min,
 *      p90 over every sample; GB/s = bytes / median with bytes = weight
 *      bytes (codes + scales + zeros + meta + tensor scale) + activations +
 *      outputs; GFLOP/s = 2 M N K / median (gemm); cycles per weight =
 *      counter ticks / (N K) (qcts/roofline.h names the counter); the
 *      fraction of the ceiling of the level the data comes from
 *      (qcts_roofline_ceiling: FMA for GEMM M > 1, else read bandwidth of
 *      L2, LLC or DRAM by working set; cold is DRAM), one core for threads
 *      = 1, all cores otherwise. A fraction above 1 sets over_ceiling: the
 *      figure is flagged wherever it is shown (the ceiling was probed
 *      while the machine was busy, or the data sits nearer than assumed).
 *
 * INTERRUPTS
 *   opts.stop is polled between samples; when it becomes nonzero the run
 *   ends at once and the report has interrupted = 1 (the caller writes
 *   nothing).
 */
#ifndef QCTS_BENCH_H
#define QCTS_BENCH_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>

#include "qcts/backend.h"
#include "qcts/bench_env.h"
#include "qcts/roofline.h"
#include "qcts/stats.h"

#define QCTS_BENCH_ERRLEN 1024

typedef struct qcts_bench_shape {
    char name[64];
    char phase[16];            /* "decode", "prefill", "" */
    qcts_op op;                /* QCTS_OP_GEMM or QCTS_OP_DEQUANT */
    int64_t M, N, K;
    double per_token;
    int64_t E, top_k, shared_inter;   /* op moe_experts (the whole MoE layer, bench_moe.c):
                                         M tokens, K hidden, N expert intermediate */
    uint32_t a_quant;          /* gemm: qcts_act_quant ("a_quant": "int8_token", "q8_0", ...; 0 = none) */
} qcts_bench_shape;

typedef struct qcts_shape_set {
    char name[64];
    char path[512];
    char *source;              /* owned */
    size_t n_shapes;
    qcts_bench_shape *shapes;
    size_t n_schemes;
    char **schemes;
} qcts_shape_set;

/* name_or_file: a file path (contains '/' or ends in .json) or a set name
 * looked up as DIR/NAME.json (dir NULL: bench/shapes). */
int qcts_shape_set_load(const char *name_or_file, const char *dir, qcts_shape_set **out, char *err,
                        size_t errlen);
void qcts_shape_set_free(qcts_shape_set *s);

typedef struct qcts_bench_opts {
    const char *const *backends;
    size_t n_backends;
    const qcts_shape_set *set;
    const char *const *schemes;   /* NULL: the set's schemes */
    size_t n_schemes;
    const char *filter;           /* fnmatch on "<op>/<scheme>/<shape>"; NULL: all */
    const int *threads;           /* thread counts to run (gemm); dequant runs once */
    size_t n_threads;
    double min_time;              /* seconds of samples per repetition */
    double warmup_time;           /* seconds of warm-up per repetition */
    int repeat;                   /* repetitions per measurement (>= 1) */
    uint64_t seed;                /* of the interleaved order */
    int min_samples, max_samples;
    int cold;
    int quick_roofline;
    const qcts_roofline *roofline; /* NULL: probe it */
    FILE *progress;               /* "\r..." progress line; NULL none */
    FILE *progress_plain;         /* plain lines (repetitions done, elapsed
                                     time) every progress_every seconds */
    double progress_every;        /* 0: before every repetition */
    volatile sig_atomic_t *stop;
} qcts_bench_opts;

typedef struct qcts_measurement {
    char backend[256];
    char variant[128];
    char op[16];
    char scheme[64];
    char shape_set[64];
    char shape[64];
    char phase[16];
    int64_t M, N, K;
    int threads;
    int cold;
    char status[16];           /* "ok", "refused", "skip", "unavailable", "error" */
    char reason[512];
    size_t n_samples;
    double *samples;           /* seconds per call, owned */
    int *sample_rep;           /* the repetition of each sample, owned */
    int repeats;               /* repetitions done */
    double *rep_median;        /* [repeats] median of each repetition, owned */
    double iqr;                /* IQR of the repetition medians */
    int inner;
    qcts_summary s;            /* median, mad: of the repetition medians */
    double bytes, flops;
    double gbs, gflops, cycles_per_weight, roof_fraction;
    char roof_kind[48];        /* "read DRAM 1 core", "fma avx2 1 core", "read LLC + store DRAM 1 core" */
    char ceiling_level[16];    /* L2 LLC DRAM FMA; dequant: weights/output, e.g. LLC/DRAM */
    int over_ceiling;          /* roof_fraction > 1: flagged */
    double roof_1core, roof_allcore; /* the same fraction of the 1-core and of the all-core ceiling */
    double per_token;
} qcts_measurement;

typedef struct qcts_bench_report {
    qcts_roofline roof;
    qcts_measurement *m;
    size_t n;
    int interrupted;
    double seconds;
    char shape_set[64];
    int set_decode_shapes;     /* decode shapes with per_token > 0 in the set */
    int repeat;
    uint64_t seed;
    qcts_env env;              /* the machine during the run */
} qcts_bench_report;

int qcts_bench_run(const qcts_bench_opts *o, qcts_bench_report *r, char *err, size_t errlen);
/* The MoE-layer shapes of the set (op moe_experts: router + routed and
 * shared experts, bench/src/bench_moe.c), appended to r->m; bes[b] NULL
 * when backend b is unavailable (why[b]). Called by qcts_bench_run. */
int qcts_bench_moe(const qcts_bench_opts *o, const char *const *schemes, size_t n_schemes, const int *threads,
                   size_t n_threads, const qcts_backend *const *bes, char (*why)[256], qcts_bench_report *r,
                   char *err, size_t errlen);
void qcts_bench_report_free(qcts_bench_report *r);

/* The table of measurements, then the tokens/s projection ("projection from
 * kernel timings"), to f. */
void qcts_bench_print(FILE *f, const qcts_bench_report *r);

/* With several thread counts: per (backend, op, scheme, shape) the speed-up
 * over its 1-thread median, the parallel efficiency (speed-up / threads)
 * and the % of the 1-core and of the all-core ceilings, to f (nothing when
 * no measurement has a 1-thread partner). */
void qcts_bench_print_scaling(FILE *f, const qcts_bench_report *r);

/* Decode tokens/s projected for (backend, scheme, threads) from the set's
 * decode shapes: 1 / sum(median x per_token), a WEIGHTS-ONLY UPPER BOUND
 * (attention, norms, sampling are left out); 0 when a decode shape of the
 * set with per_token > 0 has no "ok" measurement (failed, or filtered out)
 * or the set has no decode shape with per_token (toy sets: no projection). */
double qcts_bench_projection(const qcts_bench_report *r, const char *backend, const char *scheme, int threads);

/* The whole report as JSON text (malloc'd; NULL out of memory). */
char *qcts_bench_json(const qcts_bench_report *r, const char *run_uuid, const char *command_line);
/* The run in Google Benchmark's JSON format (schema version 1), for its
 * tools/compare.py: one family per kernel named
 * "backend/op/scheme/shape/MxNxK/threads:T[/cold]", one iteration entry per
 * repetition (its median, ns), aggregates mean/median/stddev; kernels not
 * timed are listed in context.qcts_not_timed. malloc'd text, or NULL. */
char *qcts_bench_gbench_json(const qcts_bench_report *r, const char *run_uuid, const char *host_name,
                             const char *date);

#endif
