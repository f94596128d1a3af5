/* qcts check: backends against the golden set (conformance/include/qcts/
 * runner.h does the work, qcts/report.h writes it, qcts/db.h records it). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/text.h"
#include "cli/cmds.h"
#include "cli/paths.h"
#include "cli/progress.h"
#include "cli/io.h"
#include "cli/version.h"
#include "qcts/backends.h"
#include "qcts/db.h"
#include "qcts/report.h"
#include "qcts/runner.h"

static const char CMD[] = "check";

const char qcts_help_check[] =
    "usage: qcts check [--backend LIST|all] [--filter GLOB] [--vectors DIR|FILE]\n"
    "                  [--json FILE] [--junit FILE] [--tap] [--db FILE | --no-db]\n"
    "                  [--identify] [-j N] [--timeout SECONDS] [--in-process]\n"
    "                  [--fail-fast] [--progress SECONDS]\n"
    "                  [--shard I/N [--run-group ID]]\n"
    "\n"
    "Runs backends against the golden vectors (every *.safetensors below DIR) and\n"
    "decides each backend x case:\n"
    "  PASS         every output obeys the case's check rule (exact, bound, ulp:N)\n"
    "  FAIL         a wrong value, an element not written, a write past the end of\n"
    "               an output or into an input, different outputs from two calls\n"
    "  SKIP         the backend lacks the op, or answered unsupported (reason)\n"
    "  UNAVAILABLE  the backend cannot run on this host (reason)\n"
    "  MISTRUSTED   correct, but the case proves little: flagged degenerate or its\n"
    "               expected output is >= 90% zeros\n"
    "  ERROR        the backend reported an error, its process crashed, exited or\n"
    "               timed out, or a case file does not load (an isolated plugin's\n"
    "               write past an output is an ERROR too)\n"
    "Outputs are poisoned before each call and guarded by 64 bytes on each side;\n"
    "an element still holding the poison is called again with a second poison\n"
    "to tell 'not written' from a value that happens to equal the poison.\n"
    "\n"
    "Prints a matrix (backend x op/scheme), every failure with its seed and the\n"
    "commands that reproduce it, and last the line\n"
    "  passed: N failed: N skipped: N mistrusted: N unavailable: N errors: N\n"
    "The run and every result go into the database (one transaction: an\n"
    "interrupted check records nothing).\n"
    "\n"
    "options:\n"
    "  --backend LIST   comma-separated backends (default ref): in-tree names (qcts\n"
    "                   list backends), 'all' for every in-tree name,\n"
    "                   plugin:PATH.so, exec:COMMAND (exec takes the rest of the\n"
    "                   list, commas included), exec-persistent:COMMAND (one\n"
    "                   process, a line per case: README, exec backends)\n"
    "  --filter GLOB    only cases whose '<suite>/<case id>' matches (fnmatch; '*'\n"
    "                   also matches '/'), e.g. 'convert/*' or 'gemv/nvfp4/c00?'\n"
    "  --vectors DIR    the golden set (default vectors/golden; installed:\n"
    "                   PREFIX/share/qcts/golden; qcts --data-dir D or\n"
    "                   QCTS_DATA_DIR=D: D/golden), or one case file; a folder\n"
    "                   with a MANIFEST.json is verified against it first (sizes,\n"
    "                   SHA-256, set hash, nothing unlisted), and any other set\n"
    "                   than that default is recorded as unofficial\n"
    "  --json FILE      every result and metric as JSON\n"
    "  --junit FILE     JUnit XML, one testcase per backend x case\n"
    "  --tap            TAP version 13 on stdout instead of the matrix\n"
    "  --db FILE        the results database (default $QCTS_DB, else db/qcts.db;\n"
    "                   installed: $XDG_DATA_HOME/qcts/qcts.db, ~/.local/share/...)\n"
    "  --no-db          record nothing\n"
    "  --identify       for convert cases, also run every convention and report\n"
    "                   which ones the backend matches exactly\n"
    "  -j, --jobs N     cases in N threads (default: every CPU); results and their\n"
    "                   order do not depend on it\n"
    "  --timeout S      seconds an exec: backend may take per call, and a plugin:\n"
    "                   per step of a call (default 60; not with --in-process)\n"
    "  --shard I/N      run shard I of N (1 <= I <= N): of the selected cases in a\n"
    "                   fixed order, every N-th from the I-th; shards 1..N together\n"
    "                   run every case exactly once (for CI matrices)\n"
    "  --run-group ID   the logical run the shards form in the database (default:\n"
    "                   derived from the commit, vector set, filter, backends and\n"
    "                   N, so shards of one CI job agree; give one per pipeline,\n"
    "                   e.g. $CI_PIPELINE_ID, when a commit is checked twice).\n"
    "                   The report counts a group only when all N are present\n"
    "  --in-process     load plugin: backends into qcts itself (for debugging with\n"
    "                   gdb, or speed): by default each plugin runs in worker\n"
    "                   processes, so a crash, abort, exit() or hang is an ERROR of\n"
    "                   that case naming the signal, status or timeout, and the run\n"
    "                   goes on; in-process, such a plugin ends or hangs qcts\n"
    "  --fail-fast      start no case after the first FAIL or ERROR; the cases\n"
    "                   left out are counted ('not run'), never passed\n"
    "  --progress S     when stderr is not a terminal (CI logs), a line with the\n"
    "                   case runs done, failures and elapsed time every S seconds\n"
    "                   (default $QCTS_PROGRESS, else 30; 0: after every case\n"
    "                   run; off: none); on a terminal a progress line is\n"
    "                   redrawn instead\n"
    "\n"
    "exit status: 0 nothing failed and nothing errored; 1 a FAIL or ERROR, no case\n"
    "selected, a vector set that does not match its manifest or holds a suite\n"
    "twice, a database that cannot be written (found before the run), or a report\n"
    "could not be written; 2 usage error.\n"
    "\n"
    "examples:\n"
    "  qcts check\n"
    "  qcts check --backend all --junit check.xml\n"
    "  qcts check --backend plugin:./mykernels.so --filter 'dequant/*' --identify\n"
    "  qcts check --backend 'exec:python3 my_impl.py' --filter 'convert/e4m3*'\n";

enum { OPT_BACKEND, OPT_FILTER, OPT_VECTORS, OPT_JSON, OPT_JUNIT, OPT_TAP, OPT_DB, OPT_NO_DB,
       OPT_IDENTIFY, OPT_JOBS, OPT_TIMEOUT, OPT_IN_PROCESS, OPT_FAIL_FAST, OPT_PROGRESS, OPT_SHARD,
       OPT_RUN_GROUP, OPT_N };
static const qcts_opt opts[OPT_N] = {
    [OPT_BACKEND] = { "backend", 0, 1 },
    [OPT_FILTER] = { "filter", 0, 1 },
    [OPT_VECTORS] = { "vectors", 0, 1 },
    [OPT_JSON] = { "json", 0, 1 },
    [OPT_JUNIT] = { "junit", 0, 1 },
    [OPT_TAP] = { "tap", 0, 0 },
    [OPT_DB] = { "db", 0, 1 },
    [OPT_NO_DB] = { "no-db", 0, 0 },
    [OPT_IDENTIFY] = { "identify", 0, 0 },
    [OPT_JOBS] = { "jobs", 'j', 1 },
    [OPT_TIMEOUT] = { "timeout", 0, 1 },
    [OPT_IN_PROCESS] = { "in-process", 0, 0 },
    [OPT_FAIL_FAST] = { "fail-fast", 0, 0 },
    [OPT_PROGRESS] = { "progress", 0, 1 },
    [OPT_SHARD] = { "shard", 0, 1 },
    [OPT_RUN_GROUP] = { "run-group", 0, 1 },
};

typedef struct specs {
    char **v;
    size_t n, cap;
} specs;

static int add_spec(specs *s, const char *p, size_t len)
{
    for (size_t i = 0; i < s->n; i++)
        if (strlen(s->v[i]) == len && strncmp(s->v[i], p, len) == 0)
            return 0;                       /* named twice: once is enough */
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 8;
        char **v = realloc(s->v, cap * sizeof *v);
        if (!v)
            return -1;
        s->v = v;
        s->cap = cap;
    }
    char *c = malloc(len + 1);
    if (!c)
        return -1;
    memcpy(c, p, len);
    c[len] = '\0';
    s->v[s->n++] = c;
    return 0;
}

static void free_specs(specs *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
}

/* Splits LIST; 'all' expands to the in-tree names. 0 or a usage error. */
static int parse_backends(const char *list, specs *out)
{
    const char *p = list;
    while (*p) {
        int is_exec = strncmp(p, "exec:", 5) == 0, is_pexec = strncmp(p, "exec-persistent:", 16) == 0;
        size_t len = is_exec || is_pexec ? strlen(p) : strcspn(p, ",");
        if (len == 0)
            return qcts_usage(CMD, "empty backend name in '%s'", list);
        if (len == 3 && strncmp(p, "all", 3) == 0) {
            for (const char *const *n = qcts_backend_names(); *n; n++)
                if (add_spec(out, *n, strlen(*n)))
                    return qcts_fail(CMD, "out of memory");
        } else if (strncmp(p, "plugin:", 7) == 0 || is_exec || is_pexec || strncmp(p, "metal-kernels:", 14) == 0 ||
                   strncmp(p, "metal-cpu-kernels:", 18) == 0) {
            if (len == (size_t)(is_pexec ? 16 : is_exec ? 5 : p[0] == 'p' ? 7 : p[6] == 'c' ? 18 : 14))
                return qcts_usage(CMD, "backend '%.*s' needs a path or command", (int)len, p);
            if (add_spec(out, p, len))
                return qcts_fail(CMD, "out of memory");
        } else {
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)(len < 63 ? len : 63), p);
            qcts_backend_info info;
            if (len >= 63 || qcts_backend_info_get(name, &info) != 0) {
                char known[512] = "";
                size_t kl = 0;
                for (const char *const *n = qcts_backend_names(); *n; n++)
                    kl += (size_t)snprintf(known + kl, kl < sizeof known ? sizeof known - kl : 0, "%s, ", *n);
                return qcts_usage(CMD, "unknown backend '%.*s' (known: %sall, plugin:PATH.so, exec:COMMAND, "
                                  "exec-persistent:COMMAND, metal-kernels:FILE.json, metal-cpu-kernels:FILE.json)",
                                  (int)len, p, known);
            }
            if (add_spec(out, p, len))
                return qcts_fail(CMD, "out of memory");
        }
        p += len;
        if (*p == ',')
            p++;
    }
    if (out->n == 0)
        return qcts_usage(CMD, "--backend needs at least one backend");
    return 0;
}

/* The default run group of a shard: what every shard of one CI job has in
 * common (commit, dirty state, vector set, filter, backends, N), hashed
 * (FNV-1a 64) into "auto-<16 hex>". */
static void default_group(qcts_run_info *run, const char *filter, const specs *be, uint32_t n)
{
    uint64_t h = 0xcbf29ce484222325u;
    char num[32];
    snprintf(num, sizeof num, "%d|%u", run->git_dirty, (unsigned)n);
    const char *parts[] = { run->git_commit, run->vector_set_sha256, filter ? filter : "*", num };
    for (size_t p = 0; p < sizeof parts / sizeof parts[0] + be->n; p++) {
        const char *s = p < sizeof parts / sizeof parts[0] ? parts[p] : be->v[p - sizeof parts / sizeof parts[0]];
        for (; *s; s++) {
            h ^= (unsigned char)*s;
            h *= 0x100000001b3u;
        }
        h ^= 0xFF; /* separator */
        h *= 0x100000001b3u;
    }
    snprintf(run->run_group, sizeof run->run_group, "auto-%016llx", (unsigned long long)h);
}

static int write_text(const char *what, const char *path, const char *text)
{
    if (!text)
        return qcts_fail(CMD, "out of memory writing the %s report", what);
    if (qcts_write_file_atomic(path, text, strlen(text)) != 0)
        return qcts_fail(CMD, "%s: %s", path, strerror(errno));
    return 0;
}

int qcts_cmd_check(int argc, char **argv)
{
    char *cmdline = qcts_command_line("check", argc, argv);
    qcts_args a;
    int rc = qcts_args_parse(CMD, opts, OPT_N, argc, argv, &a);
    if (rc || a.help) {
        free(cmdline);
        return rc ? rc : QCTS_EXIT_HELP;
    }
    specs be = { 0 };
    qcts_db *db = NULL;
    qcts_check_report rep;
    memset(&rep, 0, sizeof rep);
    int ran = 0;
    if (a.npos > 0) {
        rc = qcts_usage(CMD, "unexpected argument '%s'", a.pos[0]);
        goto done;
    }
    if (a.value[OPT_DB] && a.value[OPT_NO_DB]) {
        rc = qcts_usage(CMD, "--db and --no-db exclude each other");
        goto done;
    }
    int jobs = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (jobs < 1)
        jobs = 1;
    if (a.value[OPT_JOBS]) {
        uint32_t j;
        if (qcts_parse_u32(a.value[OPT_JOBS], &j) != 0 || j < 1 || j > 1024) {
            rc = qcts_usage(CMD, "-j needs a number of threads from 1 to 1024, got '%s'", a.value[OPT_JOBS]);
            goto done;
        }
        jobs = (int)j;
    }
    double timeout = 0;
    if (a.value[OPT_TIMEOUT]) {
        char *end;
        errno = 0;
        timeout = strtod(a.value[OPT_TIMEOUT], &end);
        if (*end || errno || !(timeout > 0) || timeout > 86400) {
            rc = qcts_usage(CMD, "--timeout needs seconds above 0, got '%s'", a.value[OPT_TIMEOUT]);
            goto done;
        }
    }
    double every;
    const char *bad_every;
    if (qcts_progress_every(a.value[OPT_PROGRESS], &every, &bad_every) != 0) {
        rc = qcts_usage(CMD, "%s needs seconds from 0 to 86400 or 'off', got '%s'",
                        a.value[OPT_PROGRESS] ? "--progress" : "QCTS_PROGRESS", bad_every);
        goto done;
    }
    if ((rc = parse_backends(a.value[OPT_BACKEND] ? a.value[OPT_BACKEND] : "ref", &be)) != 0)
        goto done;
    uint32_t sh_i = 0, sh_n = 0;
    if (a.value[OPT_SHARD]) {
        const char *v = a.value[OPT_SHARD], *slash = strchr(v, '/');
        char first[16];
        size_t fl = slash ? (size_t)(slash - v) : 0;
        if (!slash || fl == 0 || fl >= sizeof first) {
            rc = qcts_usage(CMD, "--shard needs I/N, e.g. 2/3, got '%s'", v);
            goto done;
        }
        memcpy(first, v, fl);
        first[fl] = '\0';
        if (qcts_parse_u32(first, &sh_i) != 0 || qcts_parse_u32(slash + 1, &sh_n) != 0 || sh_n < 1 ||
            sh_n > 1000000 || sh_i < 1 || sh_i > sh_n) {
            rc = qcts_usage(CMD, "--shard needs I/N with 1 <= I <= N <= 1000000, got '%s'", v);
            goto done;
        }
    }
    if (a.value[OPT_RUN_GROUP]) {
        const char *g = a.value[OPT_RUN_GROUP];
        size_t gl = strlen(g);
        int ok = gl >= 1 && gl <= 64;
        for (size_t i = 0; ok && i < gl; i++)
            ok = (g[i] >= 'a' && g[i] <= 'z') || (g[i] >= 'A' && g[i] <= 'Z') || (g[i] >= '0' && g[i] <= '9') ||
                 g[i] == '-' || g[i] == '_' || g[i] == '.' || g[i] == ':';
        if (!ok) {
            rc = qcts_usage(CMD, "--run-group needs 1 to 64 characters of letters, digits and - _ . :, got '%s'", g);
            goto done;
        }
        if (sh_n < 2) {
            rc = qcts_usage(CMD, "--run-group needs --shard I/N with N >= 2");
            goto done;
        }
    }

    /* The database first: a bad --db should fail before minutes of work. */
    char err[QCTS_RUNNER_ERRLEN];
    if (!a.value[OPT_NO_DB]) {
        const char *path = a.value[OPT_DB] ? a.value[OPT_DB] : qcts_db_default();
        if (qcts_db_open(path, QCTS_DB_OPEN_WRITE, &db, err, sizeof err) != 0) {
            /* Found before the run, not after it: a run that cannot be
             * recorded must not look like one that was. */
            rc = qcts_fail(CMD, "cannot record the run: %s (use --db FILE or --no-db)", err);
            goto done;
        }
    }

    qcts_run_info run;
    qcts_run_info_init(&run, "check", cmdline);
    qcts_check_opts o = {
        .backends = (const char *const *)be.v,
        .n_backends = be.n,
        .vectors = a.value[OPT_VECTORS],
        .filter = a.value[OPT_FILTER],
        .jobs = jobs,
        .identify = a.value[OPT_IDENTIFY] != NULL,
        .exec_timeout = timeout,
        .in_process = a.value[OPT_IN_PROCESS] != NULL,
        .progress = isatty(STDERR_FILENO) ? stderr : NULL,
        .golden_dir = qcts_golden_dir(),
        .progress_plain = isatty(STDERR_FILENO) || every < 0 ? NULL : stderr,
        .progress_every = every,
        .fail_fast = a.value[OPT_FAIL_FAST] != NULL,
        .shard_index = (int)sh_i,
        .shard_count = (int)sh_n,
    };
    if (qcts_check_run(&o, &rep, err, sizeof err) != 0) {
        rc = qcts_fail(CMD, "%s", err);
        goto done;
    }
    ran = 1;
    char ended[32];
    qcts_utc_now(ended);
    snprintf(run.vector_set_sha256, sizeof run.vector_set_sha256, "%s", rep.vector_set_sha256);
    run.vector_set_official = rep.vector_set_official;
    if (sh_n >= 2) {
        run.shard_index = (int)sh_i;
        run.shard_count = (int)sh_n;
        if (a.value[OPT_RUN_GROUP])
            snprintf(run.run_group, sizeof run.run_group, "%s", a.value[OPT_RUN_GROUP]);
        else
            default_group(&run, a.value[OPT_FILTER], &be, sh_n);
    }

    /* Recorded before anything is printed, so the summary line stays last
     * on stdout; the note about it goes to stderr. */
    int db_failed = 0;
    if (db) {
        if (qcts_report_db(db, &run, &rep, ended, err, sizeof err) != 0)
            db_failed = 1;
        else
            fprintf(stderr, "qcts %s: recorded as run %s in %s\n", CMD, run.uuid, qcts_db_path(db));
    }
    if (sh_n >= 2) {
        fprintf(stderr, "qcts %s: shard %u/%u: %zu of the %zu selected cases", CMD, (unsigned)sh_i, (unsigned)sh_n,
                rep.n_cases, rep.n_cases_all_shards);
        if (run.run_group[0])
            fprintf(stderr, " (run group %s)", run.run_group);
        fprintf(stderr, "\n");
    }
    if (a.value[OPT_TAP])
        qcts_report_tap(stdout, &rep);
    else
        qcts_report_text(stdout, &rep);
    fflush(stdout);
    if (rep.not_run)
        fprintf(stderr, "qcts %s: --fail-fast: stopped after the first failure; %zu of %zu case runs not run\n", CMD,
                rep.not_run, rep.not_run + rep.n_results);
    rc = qcts_check_failed(&rep) ? QCTS_EXIT_FAIL : QCTS_EXIT_OK;
    /* A filter that selects nothing is a mistake, not a pass (a shard may be
     * empty when N exceeds the cases: the others hold them). */
    if (rep.n_results == 0 && rep.n_cases_all_shards == 0)
        rc = qcts_fail(CMD, "no case matches --filter '%s' in %s", a.value[OPT_FILTER] ? a.value[OPT_FILTER] : "*",
                       rep.vectors);
    if (db_failed)
        rc = qcts_fail(CMD, "the run was not recorded: %s", err);

    if (a.value[OPT_JSON]) {
        char *text = qcts_report_json(&rep, &run, QCTS_VERSION, ended);
        if (write_text("JSON", a.value[OPT_JSON], text))
            rc = QCTS_EXIT_FAIL;
        free(text);
    }
    if (a.value[OPT_JUNIT]) {
        char *text = qcts_report_junit(&rep);
        if (write_text("JUnit", a.value[OPT_JUNIT], text))
            rc = QCTS_EXIT_FAIL;
        free(text);
    }
done:
    if (ran)
        qcts_check_report_free(&rep);
    qcts_db_close(db);
    free_specs(&be);
    free(cmdline);
    return rc;
}

int qcts_cmd_case_extract(int npos, char **pos)
{
    if (npos != 3)
        return qcts_usage("case", "extract takes FILE CASE_ID OUT.safetensors");
    char err[QCTS_RUNNER_ERRLEN];
    if (qcts_case_extract(pos[0], pos[1], pos[2], err, sizeof err) != 0)
        return qcts_fail("case", "%s", err);
    return QCTS_EXIT_OK;
}
