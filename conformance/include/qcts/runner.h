/* qcts/runner.h — `qcts check`: every selected backend against every
 * selected case of the golden set (ARCHITECTURE.md "Checking"). The rules
 * that decide a case are in qcts/verdict.h; the writers that turn a report
 * into text, JSON, JUnit XML or TAP are in qcts/report.h.
 *
 * WHAT ONE CASE GOES THROUGH (per backend)
 *   1. The backend is opened once per run (qcts/backends.h); not built or
 *      available() == 0 gives UNAVAILABLE for all its cases, with the
 *      reason. An op function that is NULL gives SKIP.
 *   2. Inputs are copied into 64-byte aligned buffers; every output gets a
 *      guarded buffer holding poison 0 (qcts/verdict.h).
 *   3. prepare, run, sync, fetch, variant, release. QCTS_UNSUPPORTED at any
 *      step is SKIP, QCTS_UNAVAILABLE is UNAVAILABLE, QCTS_ERROR is ERROR,
 *      each with the backend's message.
 *   4. Guards, inputs and the padding of strided outputs are checked.
 *   5. If any output element still equals poison 0, the whole call is made
 *      again from a fresh prepare with poison 1; elements holding the
 *      poison both times are "not written", any other difference between
 *      the two calls is nondeterminism. Both are FAIL.
 *   6. The main output (out[0]) is compared under the case's rule, the
 *      others (convert's status) exactly; metrics of the main output are
 *      kept. Then the mistrust rule turns PASS into MISTRUSTED.
 *   With --identify, convert cases are also run re-targeted to every
 *   convention (qref_conv), the expected outputs computed by the ref
 *   backend with that convention on the same inputs; a convention is
 *   "identified" when every output matches exactly (NaN codes match NaN
 *   codes). Quantize, dequant and gemm have no convention to re-target.
 *
 * ORDER AND THREADS
 *   Results come sorted by suite name, case order within the file, then
 *   backend in the order given, whatever `jobs` is. Calls of a backend
 *   with QCTS_BACKEND_SERIAL never overlap.
 */
#ifndef QCTS_RUNNER_H
#define QCTS_RUNNER_H

#include <stddef.h>
#include <stdio.h>

#include "qcts/backend.h"
#include "qcts/verdict.h"

#ifdef __cplusplus
extern "C" {
#endif

#define QCTS_RUNNER_ERRLEN 1024

typedef struct qcts_check_opts {
    const char *const *backends;  /* specs: "ref", "plugin:PATH.so", "exec:CMD" */
    size_t n_backends;
    const char *vectors;          /* a folder (verified against its
                                     MANIFEST.json, else every *.safetensors
                                     below it) or one .safetensors file;
                                     NULL: vectors/golden (qcts/vecset.h) */
    const char *filter;           /* fnmatch(3) glob (no flags: '*' crosses
                                     '/') on "<suite>/<case id>"; NULL: all */
    int jobs;                     /* threads; <= 0 means 1 */
    int identify;                 /* --identify */
    double exec_timeout;          /* > 0: the "timeout" option of exec backends,
                                     and of plugins (isolated) */
    int in_process;               /* plugins run inside qcts, unprotected
                                     (qcts_backend_open_opts) */
    FILE *progress;               /* a progress line ("\r...") here; NULL: none */
    const char *golden_dir;       /* the default and official set; NULL:
                                     QCTS_VEC_GOLDEN_DIR (cli/paths.h finds
                                     the installed one) */
    FILE *progress_plain;         /* plain lines (counts, elapsed time) here
                                     every progress_every seconds; NULL: none */
    double progress_every;        /* 0: a line after every case */
    int fail_fast;                /* stop starting cases after the first
                                     FAIL or ERROR (report.not_run counts
                                     the cases left out) */
    int shard_index, shard_count; /* --shard I/N: of the selected cases (files
                                     sorted by suite, cases in file order; a
                                     file that does not load counts as one),
                                     the k-th (k from 0) runs in shard
                                     k % N + 1. shard_count <= 1: every case */
} qcts_check_opts;

typedef struct qcts_result {
    const char *backend;          /* the spec (points into qcts_check_opts) */
    const char *file;             /* the case file (owned by the report) */
    char variant[128];            /* backend's variant() for the call, or "" */
    char op[16];                  /* "convert", ...; "?" when the file did not load */
    char scheme[64];              /* scheme preset, or the element format for convert */
    char suite[128];
    char case_id[32];             /* "c007"; "-" for a file that did not load */
    char seed[40];
    char check[24];               /* exact, bound, ulp:N */
    qcts_verdict verdict;
    char reason[768];             /* "" for PASS */
    int has_cmp;                  /* cmp holds the main output's comparison */
    qcts_cmp cmp;
    double kl;                    /* gemm: mean row KL of softmax, else NaN */
    double duration_s;            /* first call, prepare to release; NaN if none */
    int identify_tried;           /* --identify ran on this case */
    char identified[160];         /* conventions matched, space-separated; "" none */
} qcts_result;

typedef struct qcts_check_report {
    qcts_result *results;
    size_t n_results;
    size_t counts[QCTS_V_COUNT];
    size_t n_files;               /* case files found */
    size_t n_cases;               /* cases selected (per backend) */
    size_t n_cases_all_shards;    /* cases the filter selects before sharding */
    size_t n_backends;
    const char *const *backends;
    char vectors[512];            /* the vectors folder or file used */
    char vector_set_sha256[65];   /* of the files read (qcts/vecset.h) */
    int vector_set_official;      /* 1: the default set, verified against its
                                     manifest; 0: any other set */
    double seconds;               /* wall time of the whole check */
    int jobs;
    char **files;                 /* owned */
    size_t not_run;               /* --fail-fast: selected case runs left
                                     out (not in results) */
} qcts_check_report;

/* Runs the check. Returns 0 when it ran (the verdicts say how it went), -1
 * when it could not start (no vectors found, a vector set that does not
 * match its manifest, two files of one suite, a backend spec that is not
 * plugin:, exec: or an in-tree name, out of memory), with err set. */
int qcts_check_run(const qcts_check_opts *o, qcts_check_report *r, char *err, size_t errlen);
void qcts_check_report_free(qcts_check_report *r);

/* 1 when the report has a FAIL or an ERROR (exit status 1). */
int qcts_check_failed(const qcts_check_report *r);

/* Copies case `id` of the golden file `file` into a one-case file `out`
 * (written atomically): every "<id>/..." tensor (inputs, expected outputs,
 * bound) unchanged, the metadata with qcts.cases reduced to that case, so
 * `qcts check --vectors OUT` and `qcts case run` both accept it. The result
 * is loaded back (qcts_case_file_load_mem) before it is written. 0, or -1
 * with err set. */
int qcts_case_extract(const char *file, const char *id, const char *out, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
