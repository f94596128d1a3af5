/* qcts report: STATUS.md and status.html from the database
 * (reports/include/qcts/reports.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/args.h"
#include "cli/cmds.h"
#include "cli/paths.h"
#include "qcts/db.h"
#include "qcts/reports.h"

static const char CMD[] = "report";

/* "7d", "36h", "90m", "600s" (or plain seconds) -> seconds > 0; 0 or -1. */
static int parse_duration(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || !(v > 0) || v > 1e9)
        return -1;
    double unit = 1;
    if (*end == 'd')
        unit = 86400, end++;
    else if (*end == 'h')
        unit = 3600, end++;
    else if (*end == 'm')
        unit = 60, end++;
    else if (*end == 's')
        end++;
    if (*end)
        return -1;
    *out = v * unit;
    return 0;
}

const char qcts_help_report[] =
    "usage: qcts report [--db FILE] [--md FILE] [--html FILE] [--run RUN]\n"
    "                   [--check RUN] [--baseline RUN] [--threshold 5%] [--alpha 0.01]\n"
    "                   [--hosts LIST] [--backends LIST] [--commits A..B] [--stale-after DUR]\n"
    "\n"
    "Writes the status report, generated only from the database: runs, hosts\n"
    "and vector-set hashes covered; the conformance matrix (backend x op/scheme:\n"
    "pass/fail/skip) with every failure; accuracy (MSE, cosine, KL, max ULP per\n"
    "backend and scheme); quantization quality (from qcts quality --db);\n"
    "throughput (GB/s, GFLOP/s, % of roofline, speed-up over ref, projected\n"
    "tokens/s); regressions since the baseline; host details. The HTML file is\n"
    "self-contained (inline SVG charts, no JavaScript, no network). Both files\n"
    "name the command that generated them.\n"
    "\n"
    "options:\n"
    "  --db FILE        the results database (default db/qcts.db); it must exist\n"
    "  --md FILE        Markdown output (default reports/STATUS.md)\n"
    "  --html FILE      HTML output (default reports/status.html); giving only one\n"
    "                   of --md and --html writes only that one\n"
    "  --run RUN        the bench run (default: the newest)\n"
    "  --check RUN      the check run (default: the newest)\n"
    "  --baseline RUN   the bench baseline (default: the bench run before --run);\n"
    "                   the check baseline is the check run before --check\n"
    "  --threshold T    regression threshold (default 5%)\n"
    "  --alpha A        significance level (default 0.01, as qcts compare)\n"
    "Fleet section (the hardware comparison over every host of the store):\n"
    "  --hosts LIST     host ids (3 or #3) or CPU/GPU name parts, comma-separated\n"
    "  --backends LIST  backend names, comma-separated\n"
    "  --commits A..B   only bench runs of the commits `git rev-list A..B` names\n"
    "                   (..B: B and every ancestor of it)\n"
    "  --stale-after D  a host whose newest bench run started more than D before\n"
    "                   the store's newest run is marked STALE (default 7d; D is\n"
    "                   a number with s, m, h or d)\n"
    "RUN: a uuid, a uuid prefix, a tag, latest or latest~N.\n"
    "\n"
    "exit status: 0 written; 1 the database or a file could not be read or\n"
    "written; 2 usage error.\n";

enum { OPT_DB, OPT_MD, OPT_HTML, OPT_RUN, OPT_CHECK, OPT_BASE, OPT_THRESH, OPT_ALPHA, OPT_HOSTS, OPT_BACKENDS,
       OPT_COMMITS, OPT_STALE, OPT_N };
static const qcts_opt opts[OPT_N] = {
    [OPT_DB] = { "db", 0, 1 },
    [OPT_MD] = { "md", 0, 1 },
    [OPT_HTML] = { "html", 0, 1 },
    [OPT_RUN] = { "run", 0, 1 },
    [OPT_CHECK] = { "check", 0, 1 },
    [OPT_BASE] = { "baseline", 0, 1 },
    [OPT_THRESH] = { "threshold", 0, 1 },
    [OPT_ALPHA] = { "alpha", 0, 1 },
    [OPT_HOSTS] = { "hosts", 0, 1 },
    [OPT_BACKENDS] = { "backends", 0, 1 },
    [OPT_COMMITS] = { "commits", 0, 1 },
    [OPT_STALE] = { "stale-after", 0, 1 },
};

int qcts_cmd_report(int argc, char **argv)
{
    /* the command line, for the files (options only: no quoting needed
     * beyond spaces, which paths rarely have) */
    size_t cap = 32;
    for (int i = 0; i < argc; i++)
        cap += strlen(argv[i]) + 3;
    char *cmdline = malloc(cap);
    if (!cmdline)
        return qcts_fail(CMD, "out of memory");
    size_t len = (size_t)snprintf(cmdline, cap, "qcts report");
    for (int i = 0; i < argc; i++)
        len += (size_t)snprintf(cmdline + len, cap - len, strchr(argv[i], ' ') ? " '%s'" : " %s", argv[i]);
    qcts_args a;
    int rc = qcts_args_parse(CMD, opts, OPT_N, argc, argv, &a);
    if (rc || a.help) {
        free(cmdline);
        return rc ? rc : QCTS_EXIT_HELP;
    }
    qcts_report_opts o = { .threshold = 0.05, .alpha = 0.01, .command_line = cmdline, .run = a.value[OPT_RUN],
                           .check = a.value[OPT_CHECK], .baseline = a.value[OPT_BASE], .hosts = a.value[OPT_HOSTS],
                           .backends = a.value[OPT_BACKENDS], .commits = a.value[OPT_COMMITS] };
    if (a.npos > 0) {
        rc = qcts_usage(CMD, "unexpected argument '%s'", a.pos[0]);
    } else if (a.value[OPT_THRESH] && (qcts_parse_fraction(a.value[OPT_THRESH], &o.threshold) || o.threshold <= 0)) {
        rc = qcts_usage(CMD, "--threshold needs a fraction like 5%% or 0.05, got '%s'", a.value[OPT_THRESH]);
    } else if (a.value[OPT_ALPHA] && (qcts_parse_fraction(a.value[OPT_ALPHA], &o.alpha) || o.alpha <= 0)) {
        rc = qcts_usage(CMD, "--alpha needs a probability in (0, 1), got '%s'", a.value[OPT_ALPHA]);
    } else if (a.value[OPT_STALE] && parse_duration(a.value[OPT_STALE], &o.stale_after_s)) {
        rc = qcts_usage(CMD, "--stale-after needs a duration like 7d, 36h, 90m or 600s, got '%s'", a.value[OPT_STALE]);
    } else if (a.value[OPT_COMMITS] && !strstr(a.value[OPT_COMMITS], "..")) {
        rc = qcts_usage(CMD, "--commits needs A..B, got '%s'", a.value[OPT_COMMITS]);
    }
    if (rc) {
        free(cmdline);
        return rc;
    }
    int both = !a.value[OPT_MD] && !a.value[OPT_HTML];
    o.md_path = a.value[OPT_MD] ? a.value[OPT_MD] : both ? "reports/STATUS.md" : NULL;
    o.html_path = a.value[OPT_HTML] ? a.value[OPT_HTML] : both ? "reports/status.html" : NULL;
    const char *path = a.value[OPT_DB] ? a.value[OPT_DB] : qcts_db_default();
    char err[QCTS_DB_ERRLEN];
    qcts_db *db;
    if (qcts_db_open(path, QCTS_DB_OPEN_EXISTING, &db, err, sizeof err) != 0) {
        free(cmdline);
        return qcts_fail(CMD, "%s", err);
    }
    /* The default folder is made when missing (an installed qcts runs
     * anywhere); a folder named with --md or --html must exist. */
    if (both && mkdir("reports", 0777) != 0 && errno != EEXIST) {
        rc = qcts_fail(CMD, "reports: %s", strerror(errno));
        qcts_db_close(db);
        free(cmdline);
        return rc;
    }
    if (qcts_report_write(db, &o, err, sizeof err) != 0) {
        rc = qcts_fail(CMD, "%s", err);
    } else {
        if (o.md_path)
            printf("wrote %s\n", o.md_path);
        if (o.html_path)
            printf("wrote %s\n", o.html_path);
    }
    qcts_db_close(db);
    free(cmdline);
    return rc;
}
