/* qcts db: look at the results database (db/include/qcts/db.h). */
#include <stdio.h>
#include <string.h>

#include "cli/args.h"
#include "cli/cmds.h"
#include "cli/paths.h"
#include "qcts/db.h"

static const char CMD[] = "db";

const char qcts_help_db[] =
    "usage: qcts db info [--db FILE]\n"
    "       qcts db check [--db FILE]\n"
    "       qcts db merge [--db FILE] OTHER.db...\n"
    "       qcts db export --json [--out FILE] [--db FILE]\n"
    "       qcts db export --csv --table results|measurements [--out FILE] [--db FILE]\n"
    "       qcts db export --csv --out DIR [--db FILE]\n"
    "       qcts db tag [--kind bench|check] [--db FILE] RUN NAME\n"
    "       qcts db push --to postgresql://... [--db FILE]\n"
    "\n"
    "info   the database's path, schema version and counts, then one line per\n"
    "       run, oldest first: uuid, kind, start time (UTC), git commit (12 hex\n"
    "       digits, '+' when tracked files were modified), host (id and CPU) and\n"
    "       the number of results of each verdict\n"
    "check  runs SQLite's PRAGMA integrity_check and prints its answer ('ok')\n"
    "push   copies the runs of the SQLite FILE that a PostgreSQL store lacks (by\n"
    "       uuid), with their results, measurements and samples, and every tag,\n"
    "       noise floor and quality row, in one transaction: a killed push\n"
    "       stores nothing, a second push adds nothing\n"
    QCTS_HELP_DB_MORE
    "\n"
    "Opening a database brings its schema up to date (db/schema.sql); a\n"
    "database from a newer qcts is refused and left alone.\n"
    "\n"
    "options:\n"
    "  --db FILE   the database (default db/qcts.db); it must exist. Every qcts\n"
    "              command that takes --db also takes a PostgreSQL URL\n"
    "              (postgresql://user@host/db, or ...?host=/socket/dir): the\n"
    "              shared store of a team (README: \"PostgreSQL store\")\n"
    "\n"
    "exit status: 0 success; 1 the database cannot be opened or read, or check\n"
    "found a problem; 2 usage error.\n";

enum { OPT_DB, OPT_N };
static const qcts_opt opts[OPT_N] = {
    [OPT_DB] = { "db", 0, 1 },
};

int qcts_cmd_db(int argc, char **argv)
{
    if (argc > 0 && qcts_db_more_is(argv[0]))   /* merge, export, tag: cmd_db_more.c */
        return qcts_cmd_db_more(argc, argv);
    if (argc > 0 && strcmp(argv[0], "push") == 0)   /* cmd_db_push.c */
        return qcts_cmd_db_push(argc, argv);
    qcts_args a;
    int rc = qcts_args_parse(CMD, opts, OPT_N, argc, argv, &a);
    if (rc)
        return rc;
    if (a.help)
        return QCTS_EXIT_HELP;
    if (a.npos == 0)
        return qcts_usage(CMD, "no subcommand given (info, check)");
    const char *sub = a.pos[0];
    if (strcmp(sub, "info") != 0 && strcmp(sub, "check") != 0)
        return qcts_usage(CMD, "unknown subcommand '%s' (info, check)", sub);
    if (a.npos > 1)
        return qcts_usage(CMD, "unexpected argument '%s'", a.pos[1]);
    const char *path = a.value[OPT_DB] ? a.value[OPT_DB] : qcts_db_default();
    char err[QCTS_DB_ERRLEN];
    qcts_db *db;
    if (qcts_db_open(path, QCTS_DB_OPEN_EXISTING, &db, err, sizeof err) != 0)
        return qcts_fail(CMD, "%s", err);
    rc = QCTS_EXIT_OK;
    if (strcmp(sub, "info") == 0) {
        if (qcts_db_print_info(db, stdout, err, sizeof err) != 0)
            rc = qcts_fail(CMD, "%s", err);
    } else {
        char answer[4096];
        if (qcts_db_integrity_check(db, answer, sizeof answer, err, sizeof err) != 0) {
            rc = qcts_fail(CMD, "%s", err);
        } else {
            printf("%s\n", answer);
            if (strcmp(answer, "ok") != 0)
                rc = QCTS_EXIT_FAIL;
        }
    }
    qcts_db_close(db);
    return rc;
}
