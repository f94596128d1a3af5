/* Suite db: the results database (qcts/db.h): schema creation from
 * db/schema.sql, user_version, idempotent and atomic migrations, WAL, one
 * transaction per run, db info, and the run identity helpers. */
#include "qtest.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/src/db_impl.h"
#include "qcts/db.h"
#include "qcts/db_bench.h"

#ifndef QCTS_DB_SCHEMA_SQL
#define QCTS_DB_SCHEMA_SQL "db/schema.sql"
#endif

static char dir[256];

static void tmpdir_make(void)
{
    snprintf(dir, sizeof dir, "%s/qcts-db-test.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    QCHECK(mkdtemp(dir) != NULL, "mkdtemp");
}

static void tmpdir_remove(void)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    QCHECK(system(cmd) == 0, "rm");
}

static const char *path_in(const char *name)
{
    static char p[400];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

/* One integer from a query on a raw connection; -999 on error. */
static long long q1(const char *file, const char *sql)
{
    sqlite3 *h;
    long long v = -999;
    if (sqlite3_open_v2(file, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK) {
            if (sqlite3_step(st) == SQLITE_ROW)
                v = sqlite3_column_int64(st, 0);
            sqlite3_finalize(st);
        }
    }
    sqlite3_close(h);
    return v;
}

static void run_info(qcts_run_info *r, const char *cmd)
{
    memset(r, 0, sizeof *r);
    qcts_run_info_init(r, "check", cmd);
}

static void test_schema_matches_file(void)
{
    /* The compiled migrations are db/schema.sql: as many as it has markers,
     * and each one's text is in the file. */
    FILE *f = fopen(QCTS_DB_SCHEMA_SQL, "rb");
    QCHECK(f != NULL, "open %s", QCTS_DB_SCHEMA_SQL);
    if (!f)
        return;
    static char text[1 << 16];
    size_t len = fread(text, 1, sizeof text - 1, f);
    text[len] = '\0';
    fclose(f);
    int markers = 0;
    for (const char *p = text; (p = strstr(p, "\n-- migration ")) != NULL; p++)
        markers++;
    int n;
    const char *const *m = qcts_db_builtin_migrations(&n);
    QCHECK(n == markers && n == qcts_db_schema_version() && n >= 1, "%d migrations, %d markers", n, markers);
    for (int i = 0; i < n; i++)
        QCHECK(strstr(text, m[i]) != NULL, "migration %d is not verbatim in schema.sql", i + 1);
}

static void test_create_and_reopen(void)
{
    tmpdir_make();
    const char *file = path_in("a.db");
    char err[QCTS_DB_ERRLEN];
    qcts_db *db;
    QCHECK(qcts_db_open(file, QCTS_DB_OPEN_EXISTING, &db, err, sizeof err) == -1 && strstr(err, "a.db"),
           "EXISTING refuses a missing file: %s", err);
    QCHECK(access(file, F_OK) != 0, "and does not create it");
    QCHECK(qcts_db_open(file, 0, &db, err, sizeof err) == 0, "create: %s", err);
    QCHECK(qcts_db_user_version(db) == qcts_db_schema_version(), "user_version %d", qcts_db_user_version(db));
    QCHECK(strcmp(qcts_db_path(db), file) == 0, "path");
    qcts_db_close(db);
    QCHECK(q1(file, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('host', 'run', 'result')")
           == 3, "tables");
    QCHECK(q1(file, "PRAGMA user_version") == qcts_db_schema_version(), "user_version on disk");
    sqlite3 *h;
    sqlite3_open(file, &h);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &st, NULL);
    QCHECK(sqlite3_step(st) == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0, "WAL");
    sqlite3_finalize(st);
    sqlite3_close(h);
    /* Opening again changes nothing (migrations are idempotent). */
    long long tables = q1(file, "SELECT count(*) FROM sqlite_master");
    for (int k = 0; k < 3; k++) {
        QCHECK(qcts_db_open(file, QCTS_DB_OPEN_EXISTING, &db, err, sizeof err) == 0, "reopen: %s", err);
        QCHECK(qcts_db_user_version(db) == qcts_db_schema_version(), "version kept");
        char ok[64];
        QCHECK(qcts_db_integrity_check(db, ok, sizeof ok, err, sizeof err) == 0 && strcmp(ok, "ok") == 0, "%s", ok);
        qcts_db_close(db);
    }
    QCHECK(q1(file, "SELECT count(*) FROM sqlite_master") == tables, "nothing added");
    tmpdir_remove();
}

static void test_migration_list(void)
{
    tmpdir_make();
    const char *file = path_in("m.db");
    static const char *const m[] = {
        "CREATE TABLE t (a INTEGER);",
        "ALTER TABLE t ADD COLUMN b TEXT; INSERT INTO t VALUES (1, 'x');",
        "CREATE TABLE u (x); THIS IS NOT SQL;",
    };
    sqlite3 *h;
    QCHECK(sqlite3_open(file, &h) == SQLITE_OK, "open");
    char err[QCTS_DB_ERRLEN] = "";
    QCHECK(qcts_db_apply_migrations(h, m, 1, err, sizeof err) == 0, "to 1: %s", err);
    QCHECK(q1(file, "PRAGMA user_version") == 1, "at 1");
    QCHECK(qcts_db_apply_migrations(h, m, 2, err, sizeof err) == 0, "to 2: %s", err);
    QCHECK(qcts_db_apply_migrations(h, m, 2, err, sizeof err) == 0, "again: %s", err);
    QCHECK(q1(file, "PRAGMA user_version") == 2 && q1(file, "SELECT count(*) FROM t") == 1, "applied once");
    /* A failing migration is rolled back whole: no table u, version 2. */
    QCHECK(qcts_db_apply_migrations(h, m, 3, err, sizeof err) == -1 && strstr(err, "migration 3"), "fails: %s", err);
    QCHECK(q1(file, "PRAGMA user_version") == 2, "still 2");
    QCHECK(q1(file, "SELECT count(*) FROM sqlite_master WHERE name = 'u'") == 0, "u rolled back");
    /* A database newer than the list is refused. */
    QCHECK(qcts_db_apply_migrations(h, m, 1, err, sizeof err) == -1 && strstr(err, "newer"), "newer: %s", err);
    QCHECK(q1(file, "PRAGMA user_version") == 2, "untouched");
    sqlite3_close(h);
    /* qcts_db_open refuses a database from a newer qcts the same way. */
    sqlite3_open(path_in("new.db"), &h);
    sqlite3_exec(h, "PRAGMA user_version = 999", NULL, NULL, NULL);
    sqlite3_close(h);
    qcts_db *db;
    QCHECK(qcts_db_open(path_in("new.db"), 0, &db, err, sizeof err) == -1 && strstr(err, "999"), "999: %s", err);
    QCHECK(q1(path_in("new.db"), "SELECT count(*) FROM sqlite_master") == 0, "nothing created");
    tmpdir_remove();
}

static void test_run_transaction(void)
{
    tmpdir_make();
    const char *file = path_in("r.db");
    char err[QCTS_DB_ERRLEN];
    qcts_db *db;
    QCHECK(qcts_db_open(file, 0, &db, err, sizeof err) == 0, "%s", err);
    qcts_run_info run;
    run_info(&run, "qcts check --backend ref");
    snprintf(run.vector_set_sha256, sizeof run.vector_set_sha256, "%064d", 7);
    qcts_db_txn *t;
    QCHECK(qcts_db_run_begin(db, &run, &t, err, sizeof err) == 0, "begin: %s", err);
    /* Nothing is visible to another connection before the commit. */
    QCHECK(q1(file, "SELECT count(*) FROM run") == 0, "invisible before commit");
    qcts_db_result r;
    qcts_db_result_init(&r);
    r.backend = "ref";
    r.op = "dequant";
    r.scheme = "int8_per_channel";
    r.suite = "dequant/int8_per_channel";
    r.case_id = "c000";
    r.seed = "0x1";
    r.check_rule = "exact";
    r.verdict = "PASS";
    r.n = 16;
    r.mismatches = 0;
    r.max_abs = 0;
    r.mse = NAN;                       /* stored as NULL */
    r.duration_s = 0.25;
    QCHECK(qcts_db_result_add(t, &r, err, sizeof err) == 0, "add: %s", err);
    r.case_id = "c001";
    r.verdict = "FAIL";
    r.reason = "1 of 16 elements differ";
    r.max_abs = INFINITY;
    QCHECK(qcts_db_result_add(t, &r, err, sizeof err) == 0, "add 2: %s", err);
    /* The same case twice in one run is refused. */
    QCHECK(qcts_db_result_add(t, &r, err, sizeof err) == -1 && strstr(err, "c001"), "duplicate: %s", err);
    r.case_id = "c002";
    r.verdict = "MAYBE";
    QCHECK(qcts_db_result_add(t, &r, err, sizeof err) == -1, "unknown verdict refused");
    QCHECK(qcts_db_run_commit(t, NULL, err, sizeof err) == 0, "commit: %s", err);
    QCHECK(q1(file, "SELECT count(*) FROM run") == 1 && q1(file, "SELECT count(*) FROM result") == 2, "rows");
    QCHECK(q1(file, "SELECT count(*) FROM result WHERE mse IS NULL AND max_abs IS NOT NULL") == 2, "NaN -> NULL");
    QCHECK(q1(file, "SELECT count(*) FROM run WHERE ended_at IS NOT NULL AND vector_set_sha256 LIKE '000%'") == 1,
           "run columns");
    QCHECK(qcts_db_count_runs(db, err, sizeof err) == 1 && qcts_db_count_results(db, err, sizeof err) == 2, "counts");

    /* A second run on the same host shares the host row; a rolled-back run
     * leaves nothing. */
    qcts_run_info run2;
    run_info(&run2, "qcts check");
    QCHECK(qcts_db_run_begin(db, &run2, &t, err, sizeof err) == 0, "begin 2: %s", err);
    r.case_id = "c000";
    r.verdict = "PASS";
    QCHECK(qcts_db_result_add(t, &r, err, sizeof err) == 0, "add: %s", err);
    qcts_db_run_rollback(t);
    QCHECK(q1(file, "SELECT count(*) FROM run") == 1 && q1(file, "SELECT count(*) FROM result") == 2, "rolled back");
    QCHECK(qcts_db_run_begin(db, &run2, &t, err, sizeof err) == 0, "begin 3: %s", err);
    QCHECK(qcts_db_run_commit(t, "2025-01-01T00:00:00.000Z", err, sizeof err) == 0, "commit empty run: %s", err);
    QCHECK(q1(file, "SELECT count(*) FROM host") == 1, "one host");
    QCHECK(q1(file, "SELECT count(*) FROM run") == 2, "two runs");
    /* The same uuid twice is refused (merge key). */
    QCHECK(qcts_db_run_begin(db, &run2, &t, err, sizeof err) == -1, "duplicate uuid refused");
    QCHECK(q1(file, "SELECT count(*) FROM run") == 2, "still two runs");

    /* db info lists both runs with their verdict counts. */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    QCHECK(f && qcts_db_print_info(db, f, err, sizeof err) == 0, "info: %s", err);
    if (f)
        fclose(f);
    QCHECK(buf && strstr(buf, "runs: 2  results: 2  hosts: 1") && strstr(buf, run.uuid) && strstr(buf, run2.uuid),
           "info:\n%s", buf ? buf : "");
    QCHECK(buf && strstr(buf, "mistrusted") && strstr(buf, "unavailable"), "verdict columns");
    free(buf);
    qcts_db_close(db);
    tmpdir_remove();
}

static void test_close_rolls_back(void)
{
    tmpdir_make();
    const char *file = path_in("k.db");
    char err[QCTS_DB_ERRLEN];
    qcts_db *db;
    QCHECK(qcts_db_open(file, 0, &db, err, sizeof err) == 0, "%s", err);
    qcts_run_info run;
    run_info(&run, "x");
    qcts_db_txn *t;
    QCHECK(qcts_db_run_begin(db, &run, &t, err, sizeof err) == 0, "%s", err);
    qcts_db_close(db);                 /* like a process that never commits */
    QCHECK(q1(file, "SELECT count(*) FROM run") == 0 && q1(file, "SELECT count(*) FROM host") == 0, "nothing kept");
    tmpdir_remove();
}

static void test_identity_helpers(void)
{
    char u[37], v[37];
    qcts_uuid_v4(u);
    qcts_uuid_v4(v);
    QCHECK(strlen(u) == 36 && u[8] == '-' && u[13] == '-' && u[14] == '4' && u[18] == '-' && u[23] == '-', "%s", u);
    QCHECK(strchr("89ab", u[19]) != NULL, "variant %s", u);
    QCHECK(strcmp(u, v) != 0, "two uuids differ");
    char t[32];
    qcts_utc_now(t);
    QCHECK(strlen(t) == 24 && t[4] == '-' && t[10] == 'T' && t[19] == '.' && t[23] == 'Z', "%s", t);
    qcts_host_info h;
    qcts_host_probe(&h);
    QCHECK(h.cores >= 1 && h.os[0] && h.compiler[0], "host: cores %d os '%s' compiler '%s'", h.cores, h.os, h.compiler);
    char f1[33], f2[33];
    qcts_host_fingerprint(&h, f1);
    qcts_host_fingerprint(&h, f2);
    QCHECK(strlen(f1) == 32 && strcmp(f1, f2) == 0, "fingerprint stable");
    h.cores++;
    qcts_host_fingerprint(&h, f2);
    QCHECK(strcmp(f1, f2) != 0, "fingerprint covers cores");
}

/* A new database that cannot be set up leaves nothing behind; an existing
 * one that is refused is kept. */
static void test_failed_create_removed(void)
{
    tmpdir_make();
    char err[QCTS_DB_ERRLEN] = "", wal[420];
    qcts_db *db = NULL;
    const char *file = path_in("n.db");
    snprintf(wal, sizeof wal, "%s-wal", file);
    QCHECK(mkdir(wal, 0700) == 0, "mkdir");   /* WAL mode cannot start */
    QCHECK(qcts_db_open(file, QCTS_DB_OPEN_WRITE, &db, err, sizeof err) == -1 && !db && strstr(err, "n.db"),
           "blocked -wal: %s", err);
    QCHECK(access(file, F_OK) != 0, "a failed create left %s", file);
    QCHECK(rmdir(wal) == 0, "rmdir");
    QCHECK(qcts_db_open(file, QCTS_DB_OPEN_WRITE, &db, err, sizeof err) == 0, "both ways: %s", err);
    qcts_db_close(db);
    QCHECK(qcts_db_open(path_in("nodir/x.db"), 0, &db, err, sizeof err) == -1 && strstr(err, "folder")
           && strstr(err, "No such file"), "missing folder named: %s", err);
    tmpdir_remove();
}

/* Merge refuses the database itself (by inode) and a newer schema, the
 * rule of qcts_db_open. */
static void test_merge_refusals(void)
{
    tmpdir_make();
    char err[QCTS_DB_ERRLEN] = "";
    qcts_db *a = NULL, *b = NULL;
    qcts_db_merge_stats st;
    QCHECK(qcts_db_open(path_in("a.db"), 0, &a, err, sizeof err) == 0, "%s", err);
    QCHECK(qcts_db_open(path_in("b.db"), 0, &b, err, sizeof err) == 0, "%s", err);
    qcts_db_close(b);
    char link[420];
    snprintf(link, sizeof link, "%s", path_in("l.db"));
    QCHECK(symlink("a.db", link) == 0, "symlink");
    QCHECK(a && qcts_db_merge(a, link, &st, err, sizeof err) == -1 && strstr(err, "nothing to merge"), "self: %s",
           err);
    QCHECK(a && qcts_db_merge(a, path_in("b.db"), &st, err, sizeof err) == 0, "both ways: %s", err);
    sqlite3 *h;
    QCHECK(sqlite3_open(path_in("b.db"), &h) == SQLITE_OK, "raw open");
    sqlite3_exec(h, "PRAGMA user_version = 77", NULL, NULL, NULL);
    sqlite3_close(h);
    QCHECK(a && qcts_db_merge(a, path_in("b.db"), &st, err, sizeof err) == -1 && strstr(err, "77"), "newer: %s",
           err);
    qcts_db_close(a);
    tmpdir_remove();
}

QTEST_SUITE(db,
    QTEST(test_schema_matches_file),
    QTEST(test_create_and_reopen),
    QTEST(test_migration_list),
    QTEST(test_run_transaction),
    QTEST(test_close_rolls_back),
    QTEST(test_identity_helpers),
    QTEST(test_failed_create_removed),
    QTEST(test_merge_refusals))
