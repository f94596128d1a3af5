/* qcts db merge | export | tag (db/include/qcts/db_bench.h does the work;
 * cmd_db.c dispatches here). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

enum { OPT_DB, OPT_CSV, OPT_JSON, OPT_OUT, OPT_TABLE, OPT_KIND, OPT_N };
static const qcts_opt opts[OPT_N] = {
    [OPT_DB] = { "db", 0, 1 },
    [OPT_CSV] = { "csv", 0, 0 },
    [OPT_JSON] = { "json", 0, 0 },
    [OPT_OUT] = { "out", 0, 1 },
    [OPT_TABLE] = { "table", 0, 1 },
    [OPT_KIND] = { "kind", 0, 1 },
};

static const char *const tables[] = { "results", "measurements" };

/* Exports table (NULL: the JSON of both) to path atomically (path.tmp,
 * then rename), or to stdout when path is NULL. */
static int export_to(qcts_db *db, const char *path, const char *table, int json, char *err, size_t errlen)
{
    FILE *f = stdout;
    char tmp[4200];
    if (path) {
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        if (!(f = fopen(tmp, "w"))) {
            int k = snprintf(err, errlen, "%.400s: %s", tmp, strerror(errno));
            (void)k;
            return -1;
        }
    }
    err[0] = '\0';
    int e = table ? qcts_db_export_table(db, f, table, err, errlen) : qcts_db_export(db, f, json, err, errlen);
    if (f != stdout) {
        e |= fclose(f) != 0;
        if (e == 0 && rename(tmp, path) != 0)
            e = -1;
        if (e)
            remove(tmp);
    }
    if (e && !err[0])
        snprintf(err, errlen, "%s: %s", path ? path : "stdout", strerror(errno));
    return e;
}

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
    if ((a.value[OPT_CSV] || a.value[OPT_JSON] || a.value[OPT_OUT] || a.value[OPT_TABLE]) && !export)
        return qcts_usage(CMD, "--csv, --json, --table and --out are options of 'db export'");
    if (a.value[OPT_KIND] && (merge || export))
        return qcts_usage(CMD, "--kind is an option of 'db tag'");
    if (merge && a.npos < 2)
        return qcts_usage(CMD, "merge needs at least one database to import");
    if (export) {
        if (a.npos > 1)
            return qcts_usage(CMD, "unexpected argument '%s'", a.pos[1]);
        if (!a.value[OPT_CSV] == !a.value[OPT_JSON])
            return qcts_usage(CMD, "export needs exactly one of --csv and --json");
        if (a.value[OPT_TABLE] && strcmp(a.value[OPT_TABLE], tables[0]) != 0
            && strcmp(a.value[OPT_TABLE], tables[1]) != 0)
            return qcts_usage(CMD, "--table takes results or measurements, got '%s'", a.value[OPT_TABLE]);
        if (a.value[OPT_TABLE] && a.value[OPT_JSON])
            return qcts_usage(CMD, "--table is for --csv (the JSON export holds both tables)");
        /* CSV is one table per file: stdout takes one, --out DIR both. */
        if (a.value[OPT_CSV] && !a.value[OPT_TABLE] && !a.value[OPT_OUT])
            return qcts_usage(CMD, "CSV is one table per file: give --table results|measurements, or --out DIR "
                                   "for DIR/results.csv and DIR/measurements.csv");
    }
    const char *kind = "bench";
    if (a.value[OPT_KIND]) {
        kind = a.value[OPT_KIND];
        if (strcmp(kind, "bench") != 0 && strcmp(kind, "check") != 0)
            return qcts_usage(CMD, "--kind takes bench or check, got '%s'", kind);
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
        int e = 0;
        if (a.value[OPT_CSV] && !a.value[OPT_TABLE]) {
            const char *dir = a.value[OPT_OUT];
            if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
                snprintf(err, sizeof err, "%s: %s", dir, strerror(errno));
                e = -1;
            }
            for (int t = 0; t < 2 && !e; t++) {
                char file[4096];
                snprintf(file, sizeof file, "%s/%s.csv", dir, tables[t]);
                e = export_to(db, file, tables[t], 0, err, sizeof err);
            }
        } else {
            e = export_to(db, a.value[OPT_OUT], a.value[OPT_TABLE], a.value[OPT_JSON] != NULL, err, sizeof err);
        }
        if (e)
            rc = qcts_fail(CMD, "export: %s", err);
    } else {
        /* 'latest' and 'latest~N' count runs of one kind (bench unless
         * --kind says check), as compare's --baseline does; a uuid or a tag
         * names its run whatever its kind. */
        char uuid[37], latest[37];
        const char *spec = a.pos[1];
        if (strncmp(spec, "latest", 6) == 0 && (spec[6] == '\0' || spec[6] == '~')) {
            if (qcts_db_run_resolve(db, spec, kind, NULL, latest, err, sizeof err) != 0) {
                qcts_db_close(db);
                return qcts_fail(CMD, "%s", err);
            }
            spec = latest;
        }
        if (qcts_db_tag(db, spec, a.pos[2], uuid, err, sizeof err) != 0)
            rc = qcts_fail(CMD, "%s", err);
        else
            printf("tagged run %s as %s\n", uuid, a.pos[2]);
    }
    qcts_db_close(db);
    return rc;
}
