/* qcts bench: kernel timings (bench/include/qcts/bench.h does the work,
 * qcts/db_bench.h records it). */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/text.h"
#include "cli/cmds.h"
#include "cli/io.h"
#include "qcts/backends.h"
#include "qcts/bench.h"
#include "qcts/db.h"
#include "qcts/db_bench.h"

static const char CMD[] = "bench";

const char qcts_help_bench[] =
    "usage: qcts bench [--backend LIST] [--filter GLOB] [--shapes NAME|FILE]\n"
    "                  [--scheme S[,S...]] [--min-time S] [--min-samples N]\n"
    "                  [--threads N[,N...]] [--cold] [--db FILE | --no-db]\n"
    "                  [--json FILE] [--quick-roofline]\n"
    "\n"
    "Times kernels through the backend ABI (prepare once, then run+sync\n"
    "repeatedly) on the shapes of a shape set (bench/shapes/NAME.json: model\n"
    "layer shapes for decode, M = 1, and prefill). First the host roofline is\n"
    "probed: streaming read and copy bandwidth and the FMA peak of every ISA,\n"
    "on one core and on all cores. Then per backend x op x scheme x shape x\n"
    "threads:\n"
    "  1. a pre-check against ref on that shape (dequant bit-exact, gemm within\n"
    "     the qref_gemm error bound): a wrong kernel is refused, not timed;\n"
    "  2. warm-up, then samples until --min-time and --min-samples are reached;\n"
    "  3. min, median, MAD, p90 and CV of the seconds per call; GB/s (weights:\n"
    "     codes + scales + zeros, activations and outputs), GFLOP/s (2 M N K),\n"
    "     cycles per weight from the cycle counter (rdtsc: TSC cycles; arm64:\n"
    "     cntvct_el0 ticks) and the fraction of the matching ceiling (read\n"
    "     bandwidth for dequant and GEMV, FMA peak for GEMM).\n"
    "A model shape set also gives projected decode tokens/s per backend and\n"
    "scheme (a projection from kernel timings: the sum over decode shapes of\n"
    "median x calls per token).\n"
    "The run, the roofline, every measurement and its raw samples go into the\n"
    "database in one transaction at the end; Ctrl-C stops at once and records\n"
    "nothing (no database rows, no JSON).\n"
    "\n"
    "options:\n"
    "  --backend LIST    comma-separated backends (default ref,simd): in-tree\n"
    "                    names, plugin:PATH.so, exec:COMMAND\n"
    "  --filter GLOB     only '<op>/<scheme>/<shape>' matching (fnmatch), e.g.\n"
    "                    'gemm/*/ffn_*'\n"
    "  --shapes NAME     a set of bench/shapes (smoke, qwen3-4b, llama-3.1-8b,\n"
    "                    glm-4.7-flash-experts) or a JSON file (default smoke)\n"
    "  --scheme LIST     schemes to run instead of the set's\n"
    "  --min-time S      seconds of samples per measurement (default 0.2)\n"
    "  --min-samples N   at least N samples (default 10); a measurement stops at\n"
    "                    2000 samples (or N if larger) even before --min-time\n"
    "  --threads LIST    thread counts for gemm, e.g. 1,2 (default 1)\n"
    "  --cold            rotate through weight copies larger than twice the LLC\n"
    "  --db FILE         the results database (default db/qcts.db)\n"
    "  --no-db           record nothing\n"
    "  --json FILE       the whole run (with raw samples) as JSON\n"
    "  --quick-roofline  a shorter roofline probe (smaller buffers, 3 passes)\n"
    "\n"
    "exit status: 0 every kernel timed or skipped; 1 a kernel was refused\n"
    "(wrong result) or errored, or the run could not be recorded; 2 usage\n"
    "error; 130 interrupted.\n";

enum { OPT_BACKEND, OPT_FILTER, OPT_SHAPES, OPT_SCHEME, OPT_MIN_TIME, OPT_MIN_SAMPLES, OPT_THREADS, OPT_COLD,
       OPT_DB, OPT_NO_DB, OPT_JSON, OPT_QUICK, OPT_N };
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
    [OPT_QUICK] = { "quick-roofline", 0, 0 },
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
        rc |= qcts_db_roofline_add(t, "read", "", th, rf->read_gbs[all], "GB/s", err, errlen);
        rc |= qcts_db_roofline_add(t, "copy", "", th, rf->copy_gbs[all], "GB/s", err, errlen);
        for (int i = 0; i < rf->n_fma && rc == 0; i++)
            rc |= qcts_db_roofline_add(t, "fma", rf->fma[i].isa, th, rf->fma[i].gflops[all], "GFLOP/s", err, errlen);
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
            .n_samples = m->n_samples, .samples = m->samples,
        };
        rc = qcts_db_measurement_add(t, &d, err, errlen);
    }
    if (rc) {
        qcts_db_run_rollback(t);
        return -1;
    }
    return qcts_db_run_commit(t, NULL, err, errlen);
}

int qcts_cmd_bench(int argc, char **argv)
{
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
    double min_time = 0.2;
    if (a.value[OPT_MIN_TIME]) {
        char *end;
        errno = 0;
        min_time = strtod(a.value[OPT_MIN_TIME], &end);
        if (*end || errno || !(min_time >= 0) || min_time > 3600) {
            rc = qcts_usage(CMD, "--min-time needs seconds from 0 to 3600, got '%s'", a.value[OPT_MIN_TIME]);
            goto done;
        }
    }
    uint32_t min_samples = 10;
    if (a.value[OPT_MIN_SAMPLES]
        && (qcts_parse_u32(a.value[OPT_MIN_SAMPLES], &min_samples) != 0 || min_samples < 1 || min_samples > 100000)) {
        rc = qcts_usage(CMD, "--min-samples needs a number from 1 to 100000, got '%s'", a.value[OPT_MIN_SAMPLES]);
        goto done;
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
        const char *path = a.value[OPT_DB] ? a.value[OPT_DB] : QCTS_DB_DEFAULT_PATH;
        if (qcts_db_open(path, 0, &db, err, sizeof err) != 0) {
            if (a.value[OPT_DB]) {
                rc = qcts_fail(CMD, "%s", err);
                goto done;
            }
            qcts_warn(CMD, "not recording the run: %s (use --db FILE or --no-db)", err);
        }
    }
    qcts_run_info run;
    qcts_run_info_init(&run, "bench", cmdline);
    qcts_bench_opts o = {
        .backends = (const char *const *)bv, .n_backends = nb, .set = set,
        .schemes = ns ? (const char *const *)sv : NULL, .n_schemes = ns,
        .filter = a.value[OPT_FILTER], .threads = nt ? threads : NULL, .n_threads = nt,
        .min_time = min_time, .min_samples = (int)min_samples,
        .max_samples = (int)(min_samples > 2000 ? min_samples : 2000), .cold = a.value[OPT_COLD] != NULL,
        .quick_roofline = a.value[OPT_QUICK] != NULL, .progress = isatty(STDERR_FILENO) ? stderr : NULL,
        .stop = &stop_flag,
    };
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old);
    int brc = qcts_bench_run(&o, &rep, err, sizeof err);
    sigaction(SIGINT, &old, NULL);
    if (brc != 0) {
        rc = qcts_fail(CMD, "%s", err);
        goto done;
    }
    ran = 1;
    if (rep.interrupted) {
        fprintf(stderr, "qcts %s: interrupted: nothing recorded\n", CMD);
        rc = 130;
        goto done;
    }
    int db_failed = 0;
    if (db) {
        if (store(db, &run, &rep, err, sizeof err) != 0)
            db_failed = 1;
        else
            fprintf(stderr, "qcts %s: recorded as run %s in %s\n", CMD, run.uuid, qcts_db_path(db));
    }
    qcts_bench_print(stdout, &rep);
    rc = QCTS_EXIT_OK;
    for (size_t i = 0; i < rep.n; i++)
        if (strcmp(rep.m[i].status, "refused") == 0 || strcmp(rep.m[i].status, "error") == 0)
            rc = QCTS_EXIT_FAIL;
    if (db_failed)
        rc = qcts_fail(CMD, "the run was not recorded: %s", err);
    if (a.value[OPT_JSON]) {
        char *text = qcts_bench_json(&rep, db && !db_failed ? run.uuid : NULL, cmdline);
        if (!text || qcts_write_file_atomic(a.value[OPT_JSON], text, strlen(text)) != 0)
            rc = qcts_fail(CMD, "%s: %s", a.value[OPT_JSON], text ? strerror(errno) : "out of memory");
        free(text);
    }
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
