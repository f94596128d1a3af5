/* The results database: open + migrate, one transaction per run, db info. */
#include "qcts/db.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/src/db_impl.h"
#include "db/src/pg_store.h"
#include "schema.inc"

enum { N_MIGRATIONS = (int)(sizeof qcts_db_migrations / sizeof qcts_db_migrations[0]) };

struct qcts_db {
    sqlite3 *h;
    char *path;
    qcts_db_txn *txn;
    /* --db postgresql://...: h is a temporary working copy of the store
     * (db/src/pg_store.c); writes go back with qcts_db_sync_ */
    qcts_pg *pg;
    char *copy_dir;            /* the working copy's folder, removed on close */
    sqlite3_int64 pushed_to;   /* runs with a larger id are not in the store yet */
};

struct qcts_db_txn {
    qcts_db *db;
    sqlite3_int64 run_id;
    sqlite3_stmt *ins;
};

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

int qcts_db_schema_version(void) { return N_MIGRATIONS; }

const char *const *qcts_db_builtin_migrations(int *n)
{
    *n = N_MIGRATIONS;
    return qcts_db_migrations;
}

static int exec(sqlite3 *h, const char *sql, const char *what, char *err, size_t errlen)
{
    char *msg = NULL;
    if (sqlite3_exec(h, sql, NULL, NULL, &msg) == SQLITE_OK)
        return 0;
    seterr(err, errlen, "%s: %s", what, msg ? msg : sqlite3_errmsg(h));
    sqlite3_free(msg);
    return -1;
}

static int read_user_version(sqlite3 *h)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(h, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return -1;
    int v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    return v;
}

int qcts_db_apply_migrations(sqlite3 *h, const char *const *m, int n, char *err, size_t errlen)
{
    for (;;) {
        /* BEGIN IMMEDIATE takes the write lock before reading the version,
         * so two processes opening a new file at once cannot both apply
         * migration 1. */
        if (exec(h, "BEGIN IMMEDIATE", "cannot lock the database", err, errlen))
            return -1;
        int v = read_user_version(h);
        if (v < 0 || v > n) {
            exec(h, "ROLLBACK", "rollback", NULL, 0);
            if (v < 0)
                seterr(err, errlen, "cannot read PRAGMA user_version: %s", sqlite3_errmsg(h));
            else
                seterr(err, errlen, "schema version %d is newer than this qcts knows (%d): "
                       "use a newer qcts or another --db", v, n);
            return -1;
        }
        if (v == n)
            return exec(h, "COMMIT", "commit", err, errlen);
        char what[64], pragma[64];
        snprintf(what, sizeof what, "migration %d", v + 1);
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
        if (exec(h, m[v], what, err, errlen) || exec(h, pragma, what, err, errlen)
            || exec(h, "COMMIT", what, err, errlen)) {
            exec(h, "ROLLBACK", "rollback", NULL, 0);
            return -1;
        }
    }
}

/* The folder of path ("." when it has none) into dir. */
static void parent_dir(const char *path, char *dir, size_t n)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, n, ".");
    else if (slash == path)
        snprintf(dir, n, "/");
    else
        snprintf(dir, n, "%.*s", (int)(slash - path), path);
}

/* Why path cannot be written, in words, or "" when the file system does
 * not say (then SQLite's message is all there is). */
static void why_unwritable(const char *path, int existed, char *why, size_t n)
{
    char dir[4096];
    parent_dir(path, dir, sizeof dir);
    struct stat sb;
    why[0] = '\0';
    if (stat(dir, &sb) != 0)
        seterr(why, n, "folder %s: %s", dir, strerror(errno));
    else if (!S_ISDIR(sb.st_mode))
        seterr(why, n, "%s is not a folder", dir);
    else if (access(dir, W_OK | X_OK) != 0)
        seterr(why, n, "folder %s is not writable: %s", dir, strerror(errno));
    else if (existed && access(path, W_OK) != 0)
        seterr(why, n, "the file is not writable: %s", strerror(errno));
}

/* A real write, committed: the only sure test that the run can be recorded
 * at the end (read-only file, folder or medium; a -wal that cannot be
 * made). Rewrites user_version with its own value, so nothing changes. */
static int probe_write(sqlite3 *h, char *e, size_t en)
{
    if (sqlite3_db_readonly(h, "main") == 1) {
        snprintf(e, en, "opened read-only");
        return -1;
    }
    char sql[96];
    snprintf(sql, sizeof sql, "BEGIN IMMEDIATE; PRAGMA user_version = %d; COMMIT", read_user_version(h));
    if (exec(h, sql, "cannot write", e, en)) {
        exec(h, "ROLLBACK", "rollback", NULL, 0);
        return -1;
    }
    return 0;
}

static sqlite3_int64 max_run_id(sqlite3 *h)
{
    sqlite3_stmt *st;
    sqlite3_int64 v = 0;
    if (sqlite3_prepare_v2(h, "SELECT coalesce(max(id), 0) FROM run", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    return v;
}

/* --db postgresql://...: connect (migrating the store), pull it into a
 * fresh SQLite working copy in a temporary folder. */
static int open_pg(const char *url, qcts_db **out, char *err, size_t errlen)
{
    char shown[512], e[QCTS_DB_ERRLEN];
    qcts_pg_display_url(url, shown, sizeof shown);
    qcts_pg *pg = NULL;
    if (qcts_pg_connect(url, &pg, e, sizeof e)) {
        seterr(err, errlen, "%s: %s", shown, e);
        return -1;
    }
    const char *tmp = getenv("TMPDIR");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/qcts-pg.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        seterr(err, errlen, "%s: cannot make the working copy's folder in %s: %s", shown, tmp && tmp[0] ? tmp : "/tmp",
               strerror(errno));
        qcts_pg_close(pg);
        return -1;
    }
    char file[4200];
    snprintf(file, sizeof file, "%s/store.db", dir);
    qcts_db *db = NULL;
    if (qcts_db_open(file, QCTS_DB_OPEN_WRITE, &db, e, sizeof e) || qcts_pg_pull(pg, db->h, e, sizeof e)) {
        seterr(err, errlen, "%s: %s", shown, e);
        qcts_db_close(db);
        unlink(file);
        rmdir(dir);
        qcts_pg_close(pg);
        return -1;
    }
    free(db->path);
    db->path = strdup(shown);
    db->copy_dir = strdup(dir);
    db->pg = pg;
    db->pushed_to = max_run_id(db->h);
    if (!db->path || !db->copy_dir) {
        qcts_db_close(db);
        seterr(err, errlen, "%s: out of memory", shown);
        return -1;
    }
    *out = db;
    return 0;
}

int qcts_db_sync_(qcts_db *db, char *err, size_t errlen)
{
    if (!db || !db->pg)
        return 0;
    qcts_pg_push_stats s;
    char e[QCTS_DB_ERRLEN];
    if (qcts_pg_push(db->pg, db->h, db->pushed_to, &s, e, sizeof e)) {
        seterr(err, errlen, "%s: %s (nothing of it was stored)", db->path, e);
        return -1;
    }
    db->pushed_to = max_run_id(db->h);
    return 0;
}

int qcts_db_is_remote(const qcts_db *db) { return db && db->pg; }

int qcts_db_push(qcts_db *db, const char *url, qcts_db_push_stats *s, char *err, size_t errlen)
{
    char shown[512], e[QCTS_DB_ERRLEN];
    memset(s, 0, sizeof *s);
    if (!qcts_pg_is_url(url)) {
        seterr(err, errlen, "'%s' is not a PostgreSQL URL (postgresql://...)", url);
        return -1;
    }
    qcts_pg_display_url(url, shown, sizeof shown);
    qcts_pg *pg = NULL;
    if (qcts_pg_connect(url, &pg, e, sizeof e)) {
        seterr(err, errlen, "%s: %s", shown, e);
        return -1;
    }
    qcts_pg_push_stats ps;
    int rc = qcts_pg_push(pg, db->h, 0, &ps, e, sizeof e);
    if (rc)
        seterr(err, errlen, "%s: %s (nothing was stored)", shown, e);
    else {
        s->runs_added = ps.runs_added;
        s->runs_present = ps.runs_present;
        s->rows_added = ps.rows_added;
    }
    qcts_pg_close(pg);
    return rc;
}

int qcts_db_open(const char *path, unsigned flags, qcts_db **out, char *err, size_t errlen)
{
    *out = NULL;
    if (qcts_pg_is_url(path))
        return open_pg(path, out, err, errlen);
    struct stat sb;
    int existed = stat(path, &sb) == 0;
    if ((flags & QCTS_DB_OPEN_EXISTING) && !existed) {
        seterr(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    int write = (flags & QCTS_DB_OPEN_WRITE) || !(flags & QCTS_DB_OPEN_EXISTING);
    if (existed && !S_ISREG(sb.st_mode)) {
        seterr(err, errlen, "%s: not a regular file", path);
        return -1;
    }
    /* Side files SQLite may create next to a new database, removed again
     * when the new database fails: a failed create leaves nothing. */
    char side[2][4200];
    int side_existed[2];
    snprintf(side[0], sizeof side[0], "%s-wal", path);
    snprintf(side[1], sizeof side[1], "%s-shm", path);
    for (int i = 0; i < 2; i++)
        side_existed[i] = lstat(side[i], &sb) == 0;
    qcts_db *db = calloc(1, sizeof *db);
    if (!db || !(db->path = strdup(path))) {
        free(db);
        seterr(err, errlen, "%s: out of memory", path);
        return -1;
    }
    int oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX
        | ((flags & QCTS_DB_OPEN_EXISTING) ? 0 : SQLITE_OPEN_CREATE);
    char e[QCTS_DB_ERRLEN] = "", why[QCTS_DB_ERRLEN];
    if (sqlite3_open_v2(path, &db->h, oflags, NULL) != SQLITE_OK) {
        snprintf(e, sizeof e, "%s", db->h ? sqlite3_errmsg(db->h) : "cannot open");
        goto fail;
    }
    sqlite3_busy_timeout(db->h, QCTS_DB_BUSY_TIMEOUT_MS);
    /* journal_mode returns the mode in force; anything but wal (a read-only
     * medium, an in-memory database) is acceptable but worth no error. */
    if (exec(db->h, "PRAGMA journal_mode = WAL", "journal_mode", e, sizeof e)
        || exec(db->h, "PRAGMA foreign_keys = ON", "foreign_keys", e, sizeof e)
        || qcts_db_apply_migrations(db->h, qcts_db_migrations, N_MIGRATIONS, e, sizeof e)
        || (write && probe_write(db->h, e, sizeof e)))
        goto fail;
    *out = db;
    return 0;
fail:
    why_unwritable(path, existed, why, sizeof why);
    if (why[0])
        seterr(err, errlen, "%s: %s (%s)", path, why, e);
    else
        seterr(err, errlen, "%s: %s", path, e);
    qcts_db_close(db);
    if (!existed) {
        unlink(path);
        for (int i = 0; i < 2; i++)
            if (!side_existed[i])
                unlink(side[i]);
    }
    return -1;
}

void qcts_db_close(qcts_db *db)
{
    if (!db)
        return;
    if (db->txn)
        qcts_db_run_rollback(db->txn);
    sqlite3_close(db->h);
    if (db->copy_dir) { /* the working copy of a PostgreSQL store */
        char f[4200];
        static const char *const names[] = { "store.db", "store.db-wal", "store.db-shm", "store.db-journal" };
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            snprintf(f, sizeof f, "%s/%s", db->copy_dir, names[i]);
            unlink(f);
        }
        rmdir(db->copy_dir);
        free(db->copy_dir);
    }
    qcts_pg_close(db->pg);
    free(db->path);
    free(db);
}

const char *qcts_db_path(const qcts_db *db) { return db->path; }

int qcts_db_user_version(qcts_db *db) { return read_user_version(db->h); }

int qcts_db_integrity_check(qcts_db *db, char *out, size_t outlen, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->h, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK) {
        seterr(err, errlen, "%s: integrity_check: %s", db->path, sqlite3_errmsg(db->h));
        return -1;
    }
    size_t len = 0;
    if (outlen)
        out[0] = '\0';
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *line = (const char *)sqlite3_column_text(st, 0);
        if (outlen > len + 1)
            len += (size_t)snprintf(out + len, outlen - len, "%s%s", len ? "\n" : "", line ? line : "");
        if (len >= outlen)
            len = outlen - 1;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        seterr(err, errlen, "%s: integrity_check: %s", db->path, sqlite3_errmsg(db->h));
        return -1;
    }
    return 0;
}

/* ---- writing a run ------------------------------------------------------------- */

static int bind_text(sqlite3_stmt *st, int i, const char *s)
{
    return s && *s ? sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
}

static int bind_i64(sqlite3_stmt *st, int i, int64_t v)
{
    return v < 0 ? sqlite3_bind_null(st, i) : sqlite3_bind_int64(st, i, v);
}

static int bind_f64(sqlite3_stmt *st, int i, double v)
{
    return isnan(v) ? sqlite3_bind_null(st, i) : sqlite3_bind_double(st, i, v);
}

static int step_done(sqlite3 *h, sqlite3_stmt *st, const char *what, char *err, size_t errlen)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW)
        return 0;
    seterr(err, errlen, "%s: %s", what, sqlite3_errmsg(h));
    return -1;
}

static sqlite3_int64 host_id(sqlite3 *h, const qcts_host_info *hi, char *err, size_t errlen)
{
    char fp[33];
    qcts_host_fingerprint(hi, fp);
    sqlite3_stmt *st = NULL;
    sqlite3_int64 id = -1;
    if (sqlite3_prepare_v2(h, "INSERT OR IGNORE INTO host (fingerprint, cpu_model, isa_flags, cores, "
                           "memory_bytes, os, compiler, gpu) VALUES (?,?,?,?,?,?,?,?)", -1, &st, NULL)
        != SQLITE_OK) {
        seterr(err, errlen, "host: %s", sqlite3_errmsg(h));
        return -1;
    }
    bind_text(st, 1, fp);
    bind_text(st, 2, hi->cpu_model);
    bind_text(st, 3, hi->isa_flags);
    bind_i64(st, 4, hi->cores > 0 ? hi->cores : -1);
    bind_i64(st, 5, hi->memory_bytes > 0 ? hi->memory_bytes : -1);
    bind_text(st, 6, hi->os);
    bind_text(st, 7, hi->compiler);
    bind_text(st, 8, hi->gpu);
    int rc = step_done(h, st, "host", err, errlen);
    sqlite3_finalize(st);
    if (rc)
        return -1;
    if (sqlite3_prepare_v2(h, "SELECT id FROM host WHERE fingerprint = ?", -1, &st, NULL) != SQLITE_OK) {
        seterr(err, errlen, "host: %s", sqlite3_errmsg(h));
        return -1;
    }
    bind_text(st, 1, fp);
    if (sqlite3_step(st) == SQLITE_ROW)
        id = sqlite3_column_int64(st, 0);
    else
        seterr(err, errlen, "host: row not found after insert");
    sqlite3_finalize(st);
    return id;
}

int qcts_db_run_begin(qcts_db *db, const qcts_run_info *run, qcts_db_txn **out,
                      char *err, size_t errlen)
{
    *out = NULL;
    if (db->txn) {
        seterr(err, errlen, "%s: a run is already open", db->path);
        return -1;
    }
    char e[QCTS_DB_ERRLEN] = "";
    if (exec(db->h, "BEGIN IMMEDIATE", "cannot lock the database", e, sizeof e)) {
        seterr(err, errlen, "%s: %s", db->path, e);
        return -1;
    }
    qcts_db_txn *t = calloc(1, sizeof *t);
    sqlite3_stmt *st = NULL;
    sqlite3_int64 hid = t ? host_id(db->h, &run->host, e, sizeof e) : -1;
    if (!t)
        snprintf(e, sizeof e, "out of memory");
    if (hid < 0)
        goto fail;
    if (sqlite3_prepare_v2(db->h, "INSERT INTO run (uuid, kind, started_at, git_commit, git_dirty, "
                           "vector_set_sha256, command_line, host_id, vector_set_official, run_group, shard_index, "
                           "shard_count) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                           -1, &st, NULL) != SQLITE_OK) {
        snprintf(e, sizeof e, "run: %s", sqlite3_errmsg(db->h));
        goto fail;
    }
    bind_text(st, 1, run->uuid);
    bind_text(st, 2, run->kind);
    bind_text(st, 3, run->started_at);
    bind_text(st, 4, run->git_commit);
    bind_i64(st, 5, run->git_dirty);
    bind_text(st, 6, run->vector_set_sha256);
    sqlite3_bind_text(st, 7, run->command_line ? run->command_line : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 8, hid);
    bind_i64(st, 9, run->vector_set_sha256[0] ? (run->vector_set_official != 0) : -1);
    bind_text(st, 10, run->run_group);
    bind_i64(st, 11, run->shard_count > 1 ? run->shard_index : -1);
    bind_i64(st, 12, run->shard_count > 1 ? run->shard_count : -1);
    if (step_done(db->h, st, "run", e, sizeof e))
        goto fail;
    sqlite3_finalize(st);
    st = NULL;
    t->run_id = sqlite3_last_insert_rowid(db->h);
    if (sqlite3_prepare_v2(db->h,
            "INSERT INTO result (run_id, backend, variant, op, scheme, suite, case_id, seed, check_rule, "
            "verdict, reason, n, mismatches, violations, max_abs, max_rel, max_ulp, mse, nmse, cosine, kl, snr_db, "
            "worst_index, worst_expected, worst_got, worst_bound, identified, duration_s) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            -1, &t->ins, NULL) != SQLITE_OK) {
        snprintf(e, sizeof e, "result: %s", sqlite3_errmsg(db->h));
        goto fail;
    }
    t->db = db;
    db->txn = t;
    *out = t;
    return 0;
fail:
    sqlite3_finalize(st);
    if (t)
        sqlite3_finalize(t->ins);
    free(t);
    exec(db->h, "ROLLBACK", "rollback", NULL, 0);
    seterr(err, errlen, "%s: %s", db->path, e);
    return -1;
}

void qcts_db_result_init(qcts_db_result *r)
{
    memset(r, 0, sizeof *r);
    r->n = r->mismatches = r->violations = r->max_ulp = r->worst_index = -1;
    r->max_abs = r->max_rel = r->mse = r->nmse = r->cosine = r->kl = r->snr_db = NAN;
    r->worst_expected = r->worst_got = r->worst_bound = r->duration_s = NAN;
}

int qcts_db_result_add(qcts_db_txn *t, const qcts_db_result *r, char *err, size_t errlen)
{
    sqlite3_stmt *st = t->ins;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    int i = 1;
    sqlite3_bind_int64(st, i++, t->run_id);
    bind_text(st, i++, r->backend);
    bind_text(st, i++, r->variant);
    bind_text(st, i++, r->op);
    bind_text(st, i++, r->scheme);
    bind_text(st, i++, r->suite);
    bind_text(st, i++, r->case_id);
    bind_text(st, i++, r->seed);
    bind_text(st, i++, r->check_rule);
    bind_text(st, i++, r->verdict);
    bind_text(st, i++, r->reason);
    bind_i64(st, i++, r->n);
    bind_i64(st, i++, r->mismatches);
    bind_i64(st, i++, r->violations);
    bind_f64(st, i++, r->max_abs);
    bind_f64(st, i++, r->max_rel);
    bind_i64(st, i++, r->max_ulp);
    bind_f64(st, i++, r->mse);
    bind_f64(st, i++, r->nmse);
    bind_f64(st, i++, r->cosine);
    bind_f64(st, i++, r->kl);
    bind_f64(st, i++, r->snr_db);
    bind_i64(st, i++, r->worst_index);
    bind_f64(st, i++, r->worst_expected);
    bind_f64(st, i++, r->worst_got);
    bind_f64(st, i++, r->worst_bound);
    bind_text(st, i++, r->identified);
    bind_f64(st, i++, r->duration_s);
    char e[QCTS_DB_ERRLEN];
    if (step_done(t->db->h, st, "result", e, sizeof e)) {
        seterr(err, errlen, "%s: %s/%s on %s: %s", t->db->path, r->suite ? r->suite : "?",
               r->case_id ? r->case_id : "?", r->backend ? r->backend : "?", e);
        return -1;
    }
    return 0;
}

static void txn_free(qcts_db_txn *t)
{
    sqlite3_finalize(t->ins);
    t->db->txn = NULL;
    free(t);
}

int qcts_db_run_commit(qcts_db_txn *t, const char *ended_at, char *err, size_t errlen)
{
    qcts_db *db = t->db;
    char now[32];
    if (!ended_at) {
        qcts_utc_now(now);
        ended_at = now;
    }
    sqlite3_stmt *st;
    char e[QCTS_DB_ERRLEN] = "";
    int rc = -1;
    if (sqlite3_prepare_v2(db->h, "UPDATE run SET ended_at = ? WHERE id = ?", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, ended_at, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, t->run_id);
        rc = step_done(db->h, st, "run end", e, sizeof e);
        sqlite3_finalize(st);
    } else {
        snprintf(e, sizeof e, "run end: %s", sqlite3_errmsg(db->h));
    }
    sqlite3_finalize(t->ins);
    t->ins = NULL;
    if (rc == 0)
        rc = exec(db->h, "COMMIT", "commit", e, sizeof e);
    if (rc) {
        exec(db->h, "ROLLBACK", "rollback", NULL, 0);
        seterr(err, errlen, "%s: %s", db->path, e);
    }
    txn_free(t);
    if (rc == 0 && db->pg) /* a PostgreSQL store: the run goes there now */
        rc = qcts_db_sync_(db, err, errlen);
    return rc;
}

void qcts_db_run_rollback(qcts_db_txn *t)
{
    if (!t)
        return;
    sqlite3_finalize(t->ins);
    t->ins = NULL;
    exec(t->db->h, "ROLLBACK", "rollback", NULL, 0);
    txn_free(t);
}

/* ---- reading -------------------------------------------------------------------- */

static int64_t count(qcts_db *db, const char *sql, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK) {
        seterr(err, errlen, "%s: %s", db->path, sqlite3_errmsg(db->h));
        return -1;
    }
    int64_t n = -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    else
        seterr(err, errlen, "%s: %s", db->path, sqlite3_errmsg(db->h));
    sqlite3_finalize(st);
    return n;
}

int64_t qcts_db_count_runs(qcts_db *db, char *err, size_t errlen)
{
    return count(db, "SELECT count(*) FROM run", err, errlen);
}

int64_t qcts_db_count_results(qcts_db *db, char *err, size_t errlen)
{
    return count(db, "SELECT count(*) FROM result", err, errlen);
}

static const char *const VERDICTS[] = { "PASS", "FAIL", "SKIP", "MISTRUSTED", "UNAVAILABLE", "ERROR" };
enum { NV = sizeof VERDICTS / sizeof VERDICTS[0], NCOL = 5 + NV };

typedef char cell[96];

int qcts_db_print_info(qcts_db *db, FILE *out, char *err, size_t errlen)
{
    int64_t runs = qcts_db_count_runs(db, err, errlen);
    int64_t results = runs < 0 ? -1 : qcts_db_count_results(db, err, errlen);
    int64_t hosts = results < 0 ? -1 : count(db, "SELECT count(*) FROM host", err, errlen);
    if (hosts < 0)
        return -1;
    fprintf(out, "database: %s (schema version %d)\n", db->path, qcts_db_user_version(db));
    fprintf(out, "runs: %lld  results: %lld  hosts: %lld\n", (long long)runs, (long long)results,
            (long long)hosts);
    if (runs == 0)
        return 0;
    static const char sql[] =
        "SELECT r.uuid, r.kind, r.started_at, r.git_commit, r.git_dirty, h.id, h.cpu_model, "
        "sum(x.verdict = 'PASS'), sum(x.verdict = 'FAIL'), sum(x.verdict = 'SKIP'), "
        "sum(x.verdict = 'MISTRUSTED'), sum(x.verdict = 'UNAVAILABLE'), sum(x.verdict = 'ERROR') "
        "FROM run r JOIN host h ON h.id = r.host_id LEFT JOIN result x ON x.run_id = r.id "
        "GROUP BY r.id ORDER BY r.started_at, r.id";
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK) {
        seterr(err, errlen, "%s: %s", db->path, sqlite3_errmsg(db->h));
        return -1;
    }
    size_t nrows = 1, cap = 16;
    cell *cells = malloc(cap * NCOL * sizeof *cells);
    if (!cells) {
        sqlite3_finalize(st);
        seterr(err, errlen, "out of memory");
        return -1;
    }
    static const char *const head[NCOL] = { "uuid", "kind", "started", "commit", "host",
                                            "pass", "fail", "skip", "mistrusted", "unavailable", "errors" };
    for (int c = 0; c < NCOL; c++)
        snprintf(cells[c], sizeof cells[c], "%s", head[c]);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (nrows == cap) {
            cell *more = realloc(cells, cap * 2 * NCOL * sizeof *cells);
            if (!more)
                break;
            cells = more;
            cap *= 2;
        }
        cell *row = cells + nrows * NCOL;
        const char *commit = (const char *)sqlite3_column_text(st, 3);
        const char *cpu = (const char *)sqlite3_column_text(st, 6);
        snprintf(row[0], sizeof row[0], "%s", (const char *)sqlite3_column_text(st, 0));
        snprintf(row[1], sizeof row[1], "%s", (const char *)sqlite3_column_text(st, 1));
        snprintf(row[2], sizeof row[2], "%s", (const char *)sqlite3_column_text(st, 2));
        if (commit)
            snprintf(row[3], sizeof row[3], "%.12s%s", commit,
                     sqlite3_column_type(st, 4) != SQLITE_NULL && sqlite3_column_int(st, 4) ? "+" : "");
        else
            snprintf(row[3], sizeof row[3], "-");
        snprintf(row[4], sizeof row[4], "#%lld %.60s", (long long)sqlite3_column_int64(st, 5),
                 cpu ? cpu : "?");
        for (int v = 0; v < NV; v++)
            snprintf(row[5 + v], sizeof row[5 + v], "%lld", (long long)sqlite3_column_int64(st, 7 + v));
        nrows++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        free(cells);
        seterr(err, errlen, "%s: %s", db->path, sqlite3_errmsg(db->h));
        return -1;
    }
    size_t w[NCOL] = { 0 };
    for (size_t r = 0; r < nrows; r++)
        for (int c = 0; c < NCOL; c++) {
            size_t l = strlen(cells[r * NCOL + c]);
            if (l > w[c])
                w[c] = l;
        }
    for (size_t r = 0; r < nrows; r++) {
        for (int c = 0; c < NCOL; c++) {
            const char *s = cells[r * NCOL + c];
            if (c == NCOL - 1)
                fprintf(out, "%s\n", s);
            else
                fprintf(out, "%-*s  ", (int)w[c], s);
        }
    }
    free(cells);
    return 0;
}

/* ---- accessors for the rest of db/ (db_impl.h) ------------------------------------ */

sqlite3 *qcts_db_handle_(qcts_db *db) { return db->h; }
sqlite3 *qcts_db_txn_handle_(qcts_db_txn *t) { return t->db->h; }
sqlite3_int64 qcts_db_txn_run_id_(const qcts_db_txn *t) { return t->run_id; }
sqlite3_int64 qcts_db_host_id_(sqlite3 *h, const struct qcts_host_info *hi, char *err, size_t errlen)
{
    return host_id(h, hi, err, errlen);
}
