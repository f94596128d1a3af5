/* qcts bench: kernel timings (bench/include/qcts/bench.h does the work,
 * qcts/db_bench.h records it). */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/text.h"
#include "cli/cmds.h"
#include "cli/paths.h"
#include "cli/progress.h"
#include "cli/io.h"
#include "qcts/backends.h"
#include "qcts/bench.h"
#include "qcts/bench_attention.h"
#include "qcts/compare.h"
#include "qcts/db.h"
#include "qcts/db_bench.h"

static const char CMD[] = "bench";

const char qcts_help_bench[] =
    "usage: qcts bench [--backend LIST] [--filter GLOB] [--shapes NAME|FILE]\n"
    "                  [--scheme S[,S...]] [--repeat R] [--seed N] [--min-time S]\n"
    "                  [--min-samples N] [--warmup S] [--threads N[,N...]] [--cold]\n"
    "                  [--db FILE | --no-db] [--json FILE] [--gbench FILE] [--quick-roofline]\n"
    "                  [--calibrate-noise RUNS]\n"
    "\n"
    "Times kernels through the backend ABI (prepare once, then run+sync\n"
    "repeatedly) on the shapes of a shape set (bench/shapes/NAME.json: model\n"
    "layer shapes for decode, M = 1, and prefill). First the host roofline is\n"
    "probed: streaming read and copy bandwidth and the FMA peak of every ISA,\n"
    "on one core and on all cores. Then per backend x op x scheme x shape x\n"
    "threads:\n"
    "  1. a pre-check against ref on that shape (dequant bit-exact, gemm within\n"
    "     the qref_gemm error bound): a wrong kernel is refused, not timed;\n"
    "  2. --repeat R repetitions, each with its own warm-up and its own timing\n"
    "     block (samples until --min-time and --min-samples are reached); the\n"
    "     repetitions of every kernel run interleaved in a random order drawn\n"
    "     from --seed, so a slow spell of the machine is shared out;\n"
    "  3. the median of the repetition medians, their MAD and IQR (robust\n"
    "     spread), min and p90 of the seconds per call; GB/s (weights:\n"
    "     codes + scales + zeros, activations and outputs), GFLOP/s (2 M N K),\n"
    "     cycles per weight from the cycle counter (rdtsc: TSC cycles; arm64:\n"
    "     cntvct_el0 ticks) and the fraction of the ceiling of the level the\n"
    "     data comes from (FMA peak for GEMM; read bandwidth of L2, LLC or DRAM\n"
    "     by working set for dequant and GEMV; --cold is DRAM). Above 100% is\n"
    "     flagged '!' and explained.\n"
    "The probe takes the best of several passes, reports their spread and\n"
    "checks itself (all cores >= one core, AVX-512 >= AVX2, read vs copy).\n"
    "The machine's state is recorded with the run: load average, steal time,\n"
    "other processes' CPU share, frequency governor and turbo (or\n"
    "'unavailable'); a busy machine gets a WARNING.\n"
    "A model shape set (every decode GEMV with its calls per token) also gives\n"
    "decode tokens/s per backend and scheme: a weights-only upper bound, 1 /\n"
    "the sum over decode shapes of median x calls per token.\n"
    "The run, the roofline, every measurement and its raw samples go into the\n"
    "database in one transaction at the end; Ctrl-C stops at once and records\n"
    "nothing (no database rows, no JSON).\n"
    "\n"
    "options:\n"
    "  --backend LIST    comma-separated backends (default ref,simd): in-tree\n"
    "                    names, plugin:PATH.so, exec:COMMAND; plugins run inside\n"
    "                    qcts here (no isolation: its round trips would be timed),\n"
    "                    so a plugin that crashes or hangs ends the bench; check\n"
    "                    it with qcts check first\n"
    "  --filter GLOB     only '<op>/<scheme>/<shape>' matching (fnmatch), e.g.\n"
    "                    'gemm/*/ffn_*'\n"
    "  --shapes NAME     a set of bench/shapes (smoke, qwen3-4b, llama-3.1-8b,\n"
    "                    glm-4.7-flash-experts) or a JSON file (default smoke)\n"
    "  --scheme LIST     schemes to run instead of the set's\n"
    "  --repeat R        repetitions per kernel (default 15; compare needs >= 3;\n"
    "                    one disturbed repetition of 7 already defeats p < 0.01)\n"
    "  --seed N          seed of the interleaved order (default: from the clock;\n"
    "                    printed and recorded)\n"
    "  --min-time S      seconds of samples per repetition (default 0.04)\n"
    "  --min-samples N   at least N samples per repetition (default 5); a\n"
    "                    repetition stops at 2000 samples (or N if larger)\n"
    "  --warmup S        seconds of warm-up per repetition (default 0.02; at\n"
    "                    least 2 calls)\n"
    "  --threads LIST    thread counts for gemm, e.g. 1,2 (default 1)\n"
    "  --cold            rotate through weight copies larger than twice the LLC\n"
    "  --db FILE         the results database (default db/qcts.db)\n"
    "  --no-db           record nothing\n"
    "  --json FILE       the whole run (with raw samples) as JSON\n"
    "  --progress S      when stderr is not a terminal (CI logs), a line with the\n"
    "                    repetitions done and the elapsed time every S seconds\n"
    "                    (default $QCTS_PROGRESS, else 30; 0: before every\n"
    "                    repetition; off: none)\n"
    "  --gbench FILE     the run as Google Benchmark JSON (for its compare.py):\n"
    "                    per kernel one entry per repetition (its median) and\n"
    "                    the aggregates mean, median, stddev\n"
    "  --quick-roofline  a shorter roofline probe (smaller buffers, 3 passes)\n"
    "  --calibrate-noise RUNS\n"
    "                    run the bench RUNS times (>= 2, each recorded), compare\n"
    "                    every pair (A/A: same build, same host) and store per\n"
    "                    kernel the largest |ratio - 1| as this host's noise\n"
    "                    floor; compare then flags only beyond max(threshold,\n"
    "                    floor). Needs the database.\n"
    "\n"
    "exit status: 0 every kernel timed or skipped; 1 a kernel was refused\n"
    "(wrong result) or errored, or the run could not be recorded; 2 usage\n"
    "error; 130 interrupted.\n";

enum { OPT_BACKEND, OPT_FILTER, OPT_SHAPES, OPT_SCHEME, OPT_MIN_TIME, OPT_MIN_SAMPLES, OPT_THREADS, OPT_COLD,
       OPT_DB, OPT_NO_DB, OPT_JSON, OPT_GBENCH, OPT_PROGRESS, OPT_QUICK, OPT_REPEAT, OPT_SEED, OPT_WARMUP, OPT_CALIB, OPT_N };
static const qcts_opt opts[OPT_N] = {
    [OPT_BACKEND] = { "backend", 0, 1 },
    [OPT_FILTER] = { "filter", 0, 1 },
    [OPT_SHAPES] = { "shapes", 0, 1 },
    [OPT_SCHEME] = { "scheme", 0, 1 },
    [OPT_MIN_TIME] = { "min-time", 0, 1 },
    [OPT_MIN_SAMPLES] = { "min-samples", 0, 1 },
    [OPT_THREADS] = { "threads", 0, 1 },
    [OPT_COLD] = { "cold", 0, 0 },
    [OPT_DB] = { "db", 0, 1 },
    [OPT_NO_DB] = { "no-db", 0, 0 },
    [OPT_JSON] = { "json", 0, 1 },
    [OPT_GBENCH] = { "gbench", 0, 1 },
    [OPT_PROGRESS] = { "progress", 0, 1 },
    [OPT_QUICK] = { "quick-roofline", 0, 0 },
    [OPT_REPEAT] = { "repeat", 0, 1 },
    [OPT_SEED] = { "seed", 0, 1 },
    [OPT_WARMUP] = { "warmup", 0, 1 },
    [OPT_CALIB] = { "calibrate-noise", 0, 1 },
};

static volatile sig_atomic_t stop_flag;
static void on_sigint(int sig)
{
    (void)sig;
    stop_flag = 1;
}

/* Splits a comma list (exec: takes the rest). Returns the count; the
 * strings point into the copy *buf. */
static size_t split(const char *list, char **buf, char ***out)
{
    *buf = strdup(list);
    size_t cap = 1;
    for (const char *p = list; *p; p++)
        cap += *p == ',';
    *out = calloc(cap, sizeof **out);
    if (!*buf || !*out)
        return 0;
    size_t n = 0;
    char *p = *buf;
    while (*p) {
        (*out)[n++] = p;
        if (strncmp(p, "exec:", 5) == 0 || strncmp(p, "exec-persistent:", 16) == 0)
            break;
        char *c = strchr(p, ',');
        if (!c)
            break;
        *c = '\0';
        p = c + 1;
    }
    return n;
}

static int store(qcts_db *db, const qcts_run_info *run, const qcts_bench_report *r, char *err, size_t errlen)
{
    qcts_db_txn *t;
    if (qcts_db_run_begin(db, run, &t, err, errlen))
        return -1;
    const qcts_roofline *rf = &r->roof;
    int rc = 0;
    for (int all = 0; all < 2 && rc == 0; all++) {
        int th = all ? rf->cores : 1;
        rc |= qcts_db_roofline_add_spread(t, "read", "", th, rf->read_gbs[all], "GB/s", rf->read_spread[all], err, errlen);
        rc |= qcts_db_roofline_add_spread(t, "copy", "", th, rf->copy_gbs[all], "GB/s", rf->copy_spread[all], err, errlen);
        rc |= qcts_db_roofline_add_spread(t, "read_llc", "", th, rf->read_llc_gbs[all], "GB/s", rf->llc_spread[all], err,
                                          errlen);
        rc |= qcts_db_roofline_add_spread(t, "read_l2", "", th, rf->read_l2_gbs[all], "GB/s", rf->l2_spread[all], err,
                                          errlen);
        rc |= qcts_db_roofline_add(t, "store", "", th, rf->store_gbs[all], "GB/s", err, errlen);
        rc |= qcts_db_roofline_add(t, "store_llc", "", th, rf->store_llc_gbs[all], "GB/s", err, errlen);
        rc |= qcts_db_roofline_add(t, "store_l2", "", th, rf->store_l2_gbs[all], "GB/s", err, errlen);
        for (int i = 0; i < rf->n_fma && rc == 0; i++)
            rc |= qcts_db_roofline_add_spread(t, "fma", rf->fma[i].isa, th, rf->fma[i].gflops[all], "GFLOP/s",
                                              rf->fma[i].spread[all], err, errlen);
    }
    if (rc == 0) {
        qcts_db_run_env e = { .repeats = r->repeat, .order_seed = r->seed, .load1_start = r->env.load1_start,
                              .load1_end = r->env.load1_end, .steal_fraction = r->env.steal_fraction,
                              .other_cpu_share = r->env.other_cpu_share, .governor = r->env.governor,
                              .turbo = r->env.turbo, .busy = r->env.busy, .warning = r->env.warning,
                              .roof_checks = rf->checks };
        rc |= qcts_db_run_env_add(t, &e, err, errlen);
    }
    if (rc == 0)
        rc |= qcts_db_roofline_add(t, "llc", "", 1, (double)rf->llc_bytes, "bytes", err, errlen);
    if (rc == 0 && rf->counter_hz > 0)
        rc |= qcts_db_roofline_add(t, "counter", rf->counter, 1, rf->counter_hz, "Hz", err, errlen);
    for (size_t i = 0; i < r->n && rc == 0; i++) {
        const qcts_measurement *m = &r->m[i];
        qcts_db_measurement d = {
            .backend = m->backend, .variant = m->variant, .op = m->op, .scheme = m->scheme,
            .shape_set = m->shape_set, .shape = m->shape, .phase = m->phase, .M = m->M, .N = m->N, .K = m->K,
            .threads = m->threads, .cold = m->cold, .status = m->status, .reason = m->reason, .inner = m->inner,
            .min_s = m->s.min, .median_s = m->s.median, .mad_s = m->s.mad, .p90_s = m->s.p90, .mean_s = m->s.mean,
            .cv = m->s.cv, .bytes = m->bytes, .flops = m->flops, .gbs = m->gbs, .gflops = m->gflops,
            .cycles_per_weight = m->cycles_per_weight, .roof_fraction = m->roof_fraction,
            .per_token = m->per_token, .set_decode_shapes = r->set_decode_shapes, .cycle_counter = rf->counter, .roof_kind = m->roof_kind,
            .n_samples = m->n_samples, .samples = m->samples, .sample_rep = m->sample_rep, .repeats = m->repeats,
            .iqr_s = m->iqr, .ceiling_level = m->ceiling_level, .over_ceiling = m->over_ceiling,
        };
        rc = qcts_db_measurement_add(t, &d, err, errlen);
    }
    if (rc) {
        qcts_db_run_rollback(t);
        return -1;
    }
    return qcts_db_run_commit(t, NULL, err, errlen);
}

/* Noise floor per kernel and statistic: the largest |ratio - 1| over every
 * pair of the calibration runs (A/A: same build, same host), stored for
 * this host. */
static int calibrate(qcts_db *db, char (*uuids)[37], uint32_t runs, char *err, size_t errlen)
{
    qcts_db_noise *nf = NULL;
    size_t n = 0;
    int pairs = 0, rc = 0;
    for (int use_min = 0; use_min < 2 && rc == 0; use_min++) {
        pairs = 0;
        for (uint32_t i = 0; i < runs && rc == 0; i++)
            for (uint32_t j = i + 1; j < runs && rc == 0; j++) {
                qcts_comparison c;
                qcts_cmp_opts co = { .threshold = 0, .alpha = 1, .use_floor = 0, .use_min = use_min };
                if (qcts_compare_runs(db, uuids[i], uuids[j], &co, &c, err, errlen) != 0) {
                    rc = -1;
                    break;
                }
                if (!nf) {
                    n = c.n_t;
                    nf = calloc(2 * (n ? n : 1), sizeof *nf);
                    if (!nf) {
                        qcts_comparison_free(&c);
                        snprintf(err, errlen, "out of memory");
                        return -1;
                    }
                    for (size_t k = 0; k < 2 * n; k++) {
                        const qcts_cmp_timing *t = &c.t[k % n];
                        nf[k] = (qcts_db_noise){ .statistic = k < n ? "median" : "min", .backend = strdup(t->backend),
                                                 .op = strdup(t->op), .scheme = strdup(t->scheme),
                                                 .shape_set = strdup(t->shape_set), .shape = strdup(t->shape),
                                                 .threads = t->threads, .cold = t->cold };
                    }
                }
                for (size_t k = 0; k < n && k < c.n_t; k++) {
                    double r = c.t[k].ratio, d = r >= 1 ? r - 1 : 1 / r - 1;
                    qcts_db_noise *x = &nf[(size_t)use_min * n + k];
                    if (isfinite(d) && d > x->floor)
                        x->floor = d;
                    x->pairs++;
                }
                pairs++;
                qcts_comparison_free(&c);
            }
    }
    if (rc == 0 && n) {
        int64_t host = qcts_db_run_host_id(db, uuids[runs - 1]);
        rc = qcts_db_noise_store(db, host, nf, 2 * n, err, errlen);
        if (rc == 0) {
            printf("\nnoise floor of this host (largest |ratio - 1| over %d A/A comparisons), stored:\n", pairs);
            printf("  %-40s %8s %8s\n", "kernel", "median", "min");
            for (size_t k = 0; k < n; k++) {
                char key[400];
                const char *b = strrchr(nf[k].backend, '/');
                snprintf(key, sizeof key, "%s %s %s %s t%d%s", b ? b + 1 : nf[k].backend, nf[k].op, nf[k].scheme,
                         nf[k].shape, nf[k].threads, nf[k].cold ? " cold" : "");
                printf("  %-40s %7.2f%% %7.2f%%\n", key, 100 * nf[k].floor, 100 * nf[n + k].floor);
            }
        }
    }
    for (size_t k = 0; k < 2 * n; k++) {
        free((void *)nf[k].backend);
        free((void *)nf[k].op);
        free((void *)nf[k].scheme);
        free((void *)nf[k].shape_set);
        free((void *)nf[k].shape);
    }
    free(nf);
    return rc;
}

int qcts_cmd_bench(int argc, char **argv)
{
    if (argc > 0 && strcmp(argv[0], "attention") == 0)   /* bench/src/bench_attention.c */
        return qcts_bench_attention_cli(argc - 1, argv + 1);
    char *cmdline = qcts_command_line("bench", argc, argv);
    qcts_args a;
    int rc = qcts_args_parse(CMD, opts, OPT_N, argc, argv, &a);
    if (rc || a.help) {
        free(cmdline);
        return rc ? rc : QCTS_EXIT_HELP;
    }
    char *bbuf = NULL, *sbuf = NULL, *tbuf = NULL;
    char **bv = NULL, **sv = NULL, **tv = NULL;
    int threads[64];
    size_t nb = 0, ns = 0, nt = 0;
    qcts_shape_set *set = NULL;
    qcts_db *db = NULL;
    qcts_bench_report rep;
    memset(&rep, 0, sizeof rep);
    int ran = 0;
    char err[QCTS_BENCH_ERRLEN];
    if (a.npos > 0) {
        rc = qcts_usage(CMD, "unexpected argument '%s'", a.pos[0]);
        goto done;
    }
    if (a.value[OPT_DB] && a.value[OPT_NO_DB]) {
        rc = qcts_usage(CMD, "--db and --no-db exclude each other");
        goto done;
    }
    double min_time = 0.04;
    if (a.value[OPT_MIN_TIME]) {
        char *end;
        errno = 0;
        min_time = strtod(a.value[OPT_MIN_TIME], &end);
        if (*end || errno || !(min_time >= 0) || min_time > 3600) {
            rc = qcts_usage(CMD, "--min-time needs seconds from 0 to 3600, got '%s'", a.value[OPT_MIN_TIME]);
            goto done;
        }
    }
    uint32_t min_samples = 5;
    if (a.value[OPT_MIN_SAMPLES]
        && (qcts_parse_u32(a.value[OPT_MIN_SAMPLES], &min_samples) != 0 || min_samples < 1 || min_samples > 100000)) {
        rc = qcts_usage(CMD, "--min-samples needs a number from 1 to 100000, got '%s'", a.value[OPT_MIN_SAMPLES]);
        goto done;
    }
    double every;
    const char *bad_every;
    if (qcts_progress_every(a.value[OPT_PROGRESS], &every, &bad_every) != 0) {
        rc = qcts_usage(CMD, "%s needs seconds from 0 to 86400 or 'off', got '%s'",
                        a.value[OPT_PROGRESS] ? "--progress" : "QCTS_PROGRESS", bad_every);
        goto done;
    }
    uint32_t repeat = 15, calib = 0;
    if (a.value[OPT_REPEAT] && (qcts_parse_u32(a.value[OPT_REPEAT], &repeat) != 0 || repeat < 1 || repeat > 1000)) {
        rc = qcts_usage(CMD, "--repeat needs a number from 1 to 1000, got '%s'", a.value[OPT_REPEAT]);
        goto done;
    }
    if (a.value[OPT_CALIB] && (qcts_parse_u32(a.value[OPT_CALIB], &calib) != 0 || calib < 2 || calib > 100)) {
        rc = qcts_usage(CMD, "--calibrate-noise needs a number of runs from 2 to 100, got '%s'", a.value[OPT_CALIB]);
        goto done;
    }
    if (calib && a.value[OPT_NO_DB]) {
        rc = qcts_usage(CMD, "--calibrate-noise stores the noise floor in the database: it excludes --no-db");
        goto done;
    }
    uint64_t seed = ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid();
    if (a.value[OPT_SEED]) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(a.value[OPT_SEED], &end, 0);
        if (!a.value[OPT_SEED][0] || *end || errno || a.value[OPT_SEED][0] == '-') {
            rc = qcts_usage(CMD, "--seed needs a non-negative integer, got '%s'", a.value[OPT_SEED]);
            goto done;
        }
        seed = (uint64_t)v;
    }
    seed &= 0x7FFFFFFFFFFFFFFFull;   /* stored as an SQLite integer */
    double warmup = 0.02;
    if (a.value[OPT_WARMUP]) {
        char *end;
        errno = 0;
        warmup = strtod(a.value[OPT_WARMUP], &end);
        if (*end || errno || !(warmup >= 0) || warmup > 60) {
            rc = qcts_usage(CMD, "--warmup needs seconds from 0 to 60, got '%s'", a.value[OPT_WARMUP]);
            goto done;
        }
    }
    nb = split(a.value[OPT_BACKEND] ? a.value[OPT_BACKEND] : "ref,simd", &bbuf, &bv);
    for (size_t i = 0; i < nb; i++)
        if (!bv[i][0]) {
            rc = qcts_usage(CMD, "empty backend name in '%s'", a.value[OPT_BACKEND]);
            goto done;
        }
    if (nb == 0) {
        rc = qcts_usage(CMD, "--backend needs at least one backend");
        goto done;
    }
    if (a.value[OPT_SCHEME])
        ns = split(a.value[OPT_SCHEME], &sbuf, &sv);
    if (a.value[OPT_THREADS]) {
        nt = split(a.value[OPT_THREADS], &tbuf, &tv);
        for (size_t i = 0; i < nt; i++) {
            uint32_t t;
            if (i >= 64 || qcts_parse_u32(tv[i], &t) != 0 || t < 1 || t > 1024) {
                rc = qcts_usage(CMD, "--threads needs thread counts from 1 to 1024, got '%s'", a.value[OPT_THREADS]);
                goto done;
            }
            threads[i] = (int)t;
        }
    }
    if (qcts_shape_set_load(a.value[OPT_SHAPES] ? a.value[OPT_SHAPES] : "smoke", NULL, &set, err, sizeof err)) {
        rc = qcts_fail(CMD, "%s", err);
        goto done;
    }
    if (!a.value[OPT_NO_DB]) {
        const char *path = a.value[OPT_DB] ? a.value[OPT_DB] : qcts_db_default();
        if (qcts_db_open(path, QCTS_DB_OPEN_WRITE, &db, err, sizeof err) != 0) {
            /* Found before the run, not after it: a run that cannot be
             * recorded must not look like one that was. */
            rc = qcts_fail(CMD, "cannot record the run: %s (use --db FILE or --no-db)", err);
            goto done;
        }
    }
    for (size_t b = 0; b < nb; b++)
        if (strncmp(bv[b], "plugin:", 7) == 0)
            fprintf(stderr, "qcts %s: %s runs in-process (timed without isolation; a crash or hang of it ends "
                    "the bench)\n", CMD, bv[b]);
    if (calib && !db) {
        rc = qcts_fail(CMD, "--calibrate-noise needs the database (--db FILE)");
        goto done;
    }
    uint32_t runs = calib ? calib : 1;
    char (*uuids)[37] = calloc(runs, sizeof *uuids);
    if (!uuids) {
        rc = qcts_fail(CMD, "out of memory");
        goto done;
    }
    rc = QCTS_EXIT_OK;
    for (uint32_t ri = 0; ri < runs && rc != 130; ri++) {
        if (ran) {
            qcts_bench_report_free(&rep);
            ran = 0;
        }
        qcts_run_info run;
        qcts_run_info_init(&run, "bench", cmdline);
        qcts_bench_opts o = {
            .backends = (const char *const *)bv, .n_backends = nb, .set = set,
            .schemes = ns ? (const char *const *)sv : NULL, .n_schemes = ns,
            .filter = a.value[OPT_FILTER], .threads = nt ? threads : NULL, .n_threads = nt,
            .min_time = min_time, .warmup_time = warmup, .repeat = (int)repeat, .seed = seed + ri,
            .min_samples = (int)min_samples,
            .max_samples = (int)(min_samples > 2000 ? min_samples : 2000), .cold = a.value[OPT_COLD] != NULL,
            .quick_roofline = a.value[OPT_QUICK] != NULL, .progress = isatty(STDERR_FILENO) ? stderr : NULL,
            .progress_plain = isatty(STDERR_FILENO) || every < 0 ? NULL : stderr, .progress_every = every,
            .stop = &stop_flag,
        };
        if (calib)
            fprintf(stderr, "qcts %s: calibration run %u of %u\n", CMD, ri + 1, runs);
        struct sigaction sa, old;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_sigint;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, &old);
        int brc = qcts_bench_run(&o, &rep, err, sizeof err);
        sigaction(SIGINT, &old, NULL);
        if (brc != 0) {
            rc = qcts_fail(CMD, "%s", err);
            break;
        }
        ran = 1;
        if (rep.interrupted) {
            fprintf(stderr, "qcts %s: interrupted: nothing recorded\n", CMD);
            rc = 130;
            break;
        }
        if (rep.env.busy)
            qcts_warn(CMD, "the machine was busy during the run: %s", rep.env.warning);
        if (strcmp(rep.roof.checks, "ok") != 0)
            qcts_warn(CMD, "the roofline probe failed its self-checks: %s", rep.roof.checks);
        int db_failed = 0;
        if (db) {
            if (store(db, &run, &rep, err, sizeof err) != 0)
                db_failed = 1;
            else
                fprintf(stderr, "qcts %s: recorded as run %s in %s\n", CMD, run.uuid, qcts_db_path(db));
            snprintf(uuids[ri], sizeof uuids[ri], "%s", run.uuid);
        }
        qcts_bench_print(stdout, &rep);
        for (size_t i = 0; i < rep.n; i++)
            if (strcmp(rep.m[i].status, "refused") == 0 || strcmp(rep.m[i].status, "error") == 0)
                rc = QCTS_EXIT_FAIL;
        if (db_failed) {
            rc = qcts_fail(CMD, "the run was not recorded: %s", err);
            break;
        }
        if (a.value[OPT_JSON]) {
            char *text = qcts_bench_json(&rep, db && !db_failed ? run.uuid : NULL, cmdline);
            if (!text || qcts_write_file_atomic(a.value[OPT_JSON], text, strlen(text)) != 0)
                rc = qcts_fail(CMD, "%s: %s", a.value[OPT_JSON], text ? strerror(errno) : "out of memory");
            free(text);
        }
        if (a.value[OPT_GBENCH]) {
            char host[256] = "", date[40] = "";
            if (gethostname(host, sizeof host - 1) != 0)
                host[0] = '\0';
            time_t now = time(NULL);
            struct tm tm;
            if (localtime_r(&now, &tm))
                strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S%z", &tm);
            char *text = qcts_bench_gbench_json(&rep, db && !db_failed ? run.uuid : NULL, host, date);
            if (!text || qcts_write_file_atomic(a.value[OPT_GBENCH], text, strlen(text)) != 0)
                rc = qcts_fail(CMD, "%s: %s", a.value[OPT_GBENCH], text ? strerror(errno) : "out of memory");
            free(text);
        }
    }
    if (calib && rc == QCTS_EXIT_OK && calibrate(db, uuids, runs, err, sizeof err) != 0)
        rc = qcts_fail(CMD, "%s", err);
    free(uuids);
done:
    if (ran)
        qcts_bench_report_free(&rep);
    qcts_shape_set_free(set);
    qcts_db_close(db);
    free(bbuf);
    free(sbuf);
    free(tbuf);
    free(bv);
    free(sv);
    free(tv);
    free(cmdline);
    return rc;
}
