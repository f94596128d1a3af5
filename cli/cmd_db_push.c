/* qcts db push --to URL [--db FILE]: a SQLite results database into a
 * PostgreSQL store (qcts_db_push in db/include/qcts/db.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/args.h"
#include "cli/cmds.h"
#include "cli/paths.h"
#include "qcts/db.h"

static const char CMD[] = "db push";

enum { OPT_DB, OPT_TO, OPT_N };
static const qcts_opt opts[OPT_N] = {
    [OPT_DB] = { "db", 0, 1 },
    [OPT_TO] = { "to", 0, 1 },
};

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int qcts_cmd_db_push(int argc, char **argv)
{
    qcts_args a;
    int rc = qcts_args_parse(CMD, opts, OPT_N, argc - 1, argv + 1, &a);
    if (rc)
        return rc;
    if (a.help)
        return QCTS_EXIT_HELP;
    if (a.npos > 0)
        return qcts_usage(CMD, "unexpected argument '%s'", a.pos[0]);
    if (!a.value[OPT_TO])
        return qcts_usage(CMD, "--to URL is required (postgresql://...)");
    const char *path = a.value[OPT_DB] ? a.value[OPT_DB] : qcts_db_default();
    char err[QCTS_DB_ERRLEN];
    qcts_db *db;
    if (qcts_db_open(path, QCTS_DB_OPEN_EXISTING, &db, err, sizeof err) != 0)
        return qcts_fail(CMD, "%s", err);
    if (qcts_db_is_remote(db)) {
        qcts_db_close(db);
        return qcts_usage(CMD, "--db must be a SQLite file (the source of the push)");
    }
    double t0 = now_s();
    qcts_db_push_stats s;
    if (qcts_db_push(db, a.value[OPT_TO], &s, err, sizeof err) != 0)
        rc = qcts_fail(CMD, "%s", err);
    else
        printf("pushed %s: %lld runs added, %lld already in the store, %lld rows, in %.2f s\n", qcts_db_path(db),
               (long long)s.runs_added, (long long)s.runs_present, (long long)s.rows_added, now_s() - t0);
    qcts_db_close(db);
    return rc;
}
