/* qcts vectors gen|verify, and the 'suites' topic of qcts list: the golden
 * vectors (vectors/README.md, vectors/CASES.md). The work is in
 * libqcts_vectors (qcts/vectors.h); this file parses arguments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/cmds.h"
#include "cli/paths.h"
#include "cli/text.h"
#include "cli/vectors_coverage.h"
#include "cli/version.h"
#include "qcts/vectors.h"   /* redefines QCTS_VECTORS_FORMAT_VERSION: must agree with version.h */

static const char CMD[] = "vectors";

const char qcts_help_vectors[] =
    "usage: qcts vectors gen [--suite NAME|all] [--out DIR] [--suites DIR] [--jobs N]\n"
    "       qcts vectors verify [--dir DIR] [--regenerate] [--suites DIR] [--jobs N]\n"
    "       qcts vectors coverage [--dir DIR] [--group GROUP]\n"
    "\n"
    "gen writes one safetensors file per suite, DIR/<group>/<name>.safetensors\n"
    "(suite NAME is '<group>/<name>', e.g. gemv/fp4_g128_f16; 'qcts list suites'\n"
    "lists them), then rewrites DIR/MANIFEST.json over every suite file in DIR:\n"
    "size and SHA-256 of each file, SHA-256 of each bit-exact expected output,\n"
    "and the hash of the whole set. Files are written atomically. The bytes\n"
    "depend only on the suite definitions, the reference library and the qcts\n"
    "version: never on time, host or --jobs.\n"
    "\n"
    "verify checks DIR against DIR/MANIFEST.json (sizes, file hashes, output\n"
    "hashes, every suite listed, no stray files, the manifest as gen would\n"
    "write it). With --regenerate it also regenerates every suite in memory\n"
    "and compares byte for byte; each difference names the file and the first\n"
    "tensor that differs.\n"
    "\n"
    "options:\n"
    "  --suite NAME    gen: one suite, or 'all' (default)\n"
    "  --out DIR       gen: where to write (default vectors/golden)\n"
    "  --dir DIR       verify: the set to check (default vectors/golden)\n"
    "  --regenerate    verify: also regenerate and compare byte for byte\n"
    "  --suites DIR    the suite definitions (default vectors/suites, or\n"
    "                  $QCTS_SUITES_DIR when set); paths are relative to the\n"
    "                  current directory, normally the repository root\n"
    "  --jobs N        threads (default: the number of CPUs)\n"
    "  --group GROUP   coverage: flags x the suites of GROUP (default: flags x\n"
    "                  groups, cells 'cases/suites')\n"
    "\n"
    "coverage prints the flags x suites table that gen stores in MANIFEST.json\n"
    "(\"flags\" of each file): how many cases carry each flag (CASES.md).\n"
    "\n"
    "exit status: 0 success; 1 a mismatch, an invalid suite definition or a\n"
    "file that could not be read or written; 2 usage error.\n"
    "\n"
    "examples:\n"
    "  qcts vectors gen --suite all\n"
    "  qcts vectors gen --suite convert/e4m3_ocp --out /tmp/v\n"
    "  qcts vectors verify --regenerate\n"
    "  qcts vectors coverage --group sweep_gemm\n";

enum { OPT_SUITE, OPT_OUT, OPT_DIR, OPT_REGEN, OPT_SUITES, OPT_JOBS, OPT_GROUP, OPT_N };
static const qcts_opt opts[OPT_N] = {
    [OPT_SUITE] = { "suite", 0, 1 },  [OPT_OUT] = { "out", 0, 1 },       [OPT_DIR] = { "dir", 0, 1 },
    [OPT_REGEN] = { "regenerate", 0, 0 }, [OPT_SUITES] = { "suites", 0, 1 }, [OPT_JOBS] = { "jobs", 0, 1 },
    [OPT_GROUP] = { "group", 0, 1 },
};

static const char *suites_dir(const char *opt)
{
    return opt ? opt : qcts_suites_dir();   /* cli/paths.h */
}

static int load(const char *dir, qcts_suite_set **set)
{
    char err[QCTS_VEC_ERRLEN];
    if (qcts_suites_load(dir, set, err, sizeof err) != QCTS_VEC_OK)
        return qcts_fail(CMD, "%s", err);
    return QCTS_EXIT_OK;
}

int qcts_cmd_vectors(int argc, char **argv)
{
    qcts_args a;
    int rc = qcts_args_parse(CMD, opts, OPT_N, argc, argv, &a);
    if (rc)
        return rc;
    if (a.help)
        return QCTS_EXIT_HELP;
    if (a.npos == 1 && strcmp(a.pos[0], "coverage") == 0) {   /* cli/vectors_coverage.c */
        if (a.value[OPT_OUT] || a.value[OPT_SUITE] || a.value[OPT_REGEN] || a.value[OPT_JOBS] || a.value[OPT_SUITES])
            return qcts_usage(CMD, "coverage takes --dir and --group only");
        return qcts_vectors_coverage(a.value[OPT_DIR] ? a.value[OPT_DIR] : qcts_golden_dir(), a.value[OPT_GROUP]);
    }
    if (a.value[OPT_GROUP])
        return qcts_usage(CMD, "--group is an option of 'coverage'");
    if (a.npos != 1 || (strcmp(a.pos[0], "gen") != 0 && strcmp(a.pos[0], "verify") != 0))
        return qcts_usage(CMD, "expected 'gen' or 'verify'%s%s", a.npos ? ", got " : "", a.npos ? a.pos[0] : "");
    int gen = strcmp(a.pos[0], "gen") == 0;
    if (gen && (a.value[OPT_DIR] || a.value[OPT_REGEN]))
        return qcts_usage(CMD, "--dir and --regenerate are options of 'verify'");
    if (!gen && (a.value[OPT_OUT] || a.value[OPT_SUITE]))
        return qcts_usage(CMD, "--out and --suite are options of 'gen'");
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    qcts_vec_opts o = { QCTS_VERSION, ncpu > 0 ? (int)(ncpu > 256 ? 256 : ncpu) : 1, stdout };
    if (a.value[OPT_JOBS]) {
        uint32_t j;
        if (qcts_parse_u32(a.value[OPT_JOBS], &j) != 0 || j < 1 || j > 1024)
            return qcts_usage(CMD, "--jobs must be a number from 1 to 1024, got '%s'", a.value[OPT_JOBS]);
        o.jobs = (int)j;
    }
    qcts_suite_set *set;
    if ((rc = load(suites_dir(a.value[OPT_SUITES]), &set)))
        return rc;
    char err[QCTS_VEC_ERRLEN];
    qcts_vec_status st;
    if (gen) {
        st = qcts_vectors_gen(set, a.value[OPT_SUITE], a.value[OPT_OUT] ? a.value[OPT_OUT] : QCTS_VEC_GOLDEN_DIR, &o,
                              err, sizeof err);
        if (st == QCTS_VEC_ERR_ARG)
            rc = qcts_usage(CMD, "%s", err);
        else if (st != QCTS_VEC_OK)
            rc = qcts_fail(CMD, "%s", err);
    } else {
        const char *dir = a.value[OPT_DIR] ? a.value[OPT_DIR] : qcts_golden_dir();
        st = qcts_vectors_verify(set, dir, a.value[OPT_REGEN] != NULL, &o, err, sizeof err);
        if (st != QCTS_VEC_OK)
            rc = qcts_fail(CMD, "%s", err);
        else
            printf("%s: OK\n", dir);
    }
    qcts_suites_free(set);
    return rc;
}

void qcts_list_suites(void)
{
    qcts_suite_set *set;
    if (load(suites_dir(NULL), &set) != QCTS_EXIT_OK) {
        /* A topic has no exit status of its own: leave with the failure. */
        fflush(stdout);
        exit(QCTS_EXIT_FAIL);
    }
    enum { COLS = 5 };
    size_t n = qcts_suites_count(set), ns = qcts_suites_skip_count(set);
    qcts_cell *cells = calloc((n + 1) * COLS, sizeof *cells);
    if (!cells) {
        qcts_suites_free(set);
        fprintf(stderr, "qcts list: out of memory\n");
        exit(QCTS_EXIT_FAIL);
    }
    static const char *const head[COLS] = { "suite", "op", "target", "cases", "defined in" };
    for (int c = 0; c < COLS; c++)
        snprintf(cells[c], sizeof cells[c], "%s", head[c]);
    for (size_t i = 0; i < n; i++) {
        const qcts_suite_info *s = qcts_suites_at(set, i);
        qcts_cell *row = &cells[(i + 1) * COLS];
        snprintf(row[0], sizeof row[0], "%s", s->name);
        snprintf(row[1], sizeof row[1], "%s", s->op);
        snprintf(row[2], sizeof row[2], "%s%s%s", s->target, s->detail[0] ? " " : "", s->detail);
        snprintf(row[3], sizeof row[3], "%zu", s->n_cases);
        snprintf(row[4], sizeof row[4], "%s", s->source);
    }
    printf("# golden files: vectors/golden/<suite>.safetensors ('qcts vectors gen --suite NAME')\n");
    qcts_table_print(stdout, cells, n + 1, COLS);
    for (size_t i = 0; i < ns; i++) {
        const qcts_suite_skip *k = qcts_suites_skip_at(set, i);
        printf("# no %s suite for %s: %s\n", k->group, k->target, k->reason);
    }
    free(cells);
    qcts_suites_free(set);
}
