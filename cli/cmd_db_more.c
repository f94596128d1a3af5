/* qcts db merge | export | tag (db/include/qcts/db_bench.h does the work;
 * cmd_db.c dispatches here). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/cmds.h"
#include "cli/paths.h"
#include "qcts/db.h"
#include "qcts/db_bench.h"

static const char CMD[] = "db";

int qcts_db_more_is(const char *sub)
{
    return strcmp(sub, "merge") == 0 || strcmp(sub, "export") == 0 || strcmp(sub, "tag") == 0;
}

enum { OPT_DB, OPT_CSV, OPT_JSON, OPT_OUT, OPT_N };
static const qcts_opt opts[OPT_N] = {
    [OPT_DB] = { "db", 0, 1 },
    [OPT_CSV] = { "csv", 0, 0 },
    [OPT_JSON] = { "json", 0, 0 },
    [OPT_OUT] = { "out", 0, 1 },
};

int qcts_cmd_db_more(int argc, char **argv)
{
    qcts_args a;
    int rc = qcts_args_parse(CMD, opts, OPT_N, argc, argv, &a);
    if (rc)
        return rc;
    if (a.help)
        return QCTS_EXIT_HELP;
    const char *sub = a.pos[0];
    int merge = strcmp(sub, "merge") == 0, export = strcmp(sub, "export") == 0;
    if ((a.value[OPT_CSV] || a.value[OPT_JSON] || a.value[OPT_OUT]) && !export)
        return qcts_usage(CMD, "--csv, --json and --out are options of 'db export'");
    if (merge && a.npos < 2)
        return qcts_usage(CMD, "merge needs at least one database to import");
    if (export) {
        if (a.npos > 1)
            return qcts_usage(CMD, "unexpected argument '%s'", a.pos[1]);
        if (!a.value[OPT_CSV] == !a.value[OPT_JSON])
            return qcts_usage(CMD, "export needs exactly one of --csv and --json");
    }
    if (!merge && !export && a.npos != 3)
        return qcts_usage(CMD, "tag needs RUN and NAME");
    const char *path = a.value[OPT_DB] ? a.value[OPT_DB] : qcts_db_default();
    char err[QCTS_DB_ERRLEN];
    qcts_db *db;
    /* merge may create the database; tag writes to an existing one. */
    unsigned flags = export ? QCTS_DB_OPEN_EXISTING : merge ? QCTS_DB_OPEN_WRITE
                                                            : QCTS_DB_OPEN_EXISTING | QCTS_DB_OPEN_WRITE;
    if (qcts_db_open(path, flags, &db, err, sizeof err) != 0)
        return qcts_fail(CMD, "%s", err);
    rc = QCTS_EXIT_OK;
    if (merge) {
        for (int i = 1; i < a.npos && rc == QCTS_EXIT_OK; i++) {
            qcts_db_merge_stats st;
            if (qcts_db_merge(db, a.pos[i], &st, err, sizeof err) != 0) {
                rc = qcts_fail(CMD, "%s", err);
                break;
            }
            printf("%s: %lld runs added (%lld already present), %lld hosts added, %lld results, "
                   "%lld measurements, %lld samples, %lld tags, %lld quality rows\n",
                   a.pos[i], (long long)st.runs_added, (long long)st.runs_present, (long long)st.hosts_added,
                   (long long)st.results, (long long)st.measurements, (long long)st.samples, (long long)st.tags,
                   (long long)st.quality);
        }
    } else if (export) {
        FILE *f = stdout;
        char tmp[4200];
        if (a.value[OPT_OUT]) {
            snprintf(tmp, sizeof tmp, "%s.tmp", a.value[OPT_OUT]);
            if (!(f = fopen(tmp, "w"))) {
                qcts_db_close(db);
                return qcts_fail(CMD, "%s: %s", tmp, strerror(errno));
            }
        }
        int e = qcts_db_export(db, f, a.value[OPT_JSON] != NULL, err, sizeof err);
        if (f != stdout) {
            e |= fclose(f) != 0;
            if (e == 0 && rename(tmp, a.value[OPT_OUT]) != 0)
                e = -1;
            if (e)
                remove(tmp);
        }
        if (e)
            rc = qcts_fail(CMD, "export: %s", err[0] ? err : strerror(errno));
    } else {
        char uuid[37];
        if (qcts_db_tag(db, a.pos[1], a.pos[2], uuid, err, sizeof err) != 0)
            rc = qcts_fail(CMD, "%s", err);
        else
            printf("tagged run %s as %s\n", uuid, a.pos[2]);
    }
    qcts_db_close(db);
    return rc;
}
