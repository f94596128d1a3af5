/* qcts/db.h — the results database (SQLite): hosts, runs and per-case
 * results (ARCHITECTURE.md "Database"; the schema and its versioning rule
 * are db/schema.sql).
 *
 * OPENING
 *   qcts_db_open() opens (or creates) the file, switches it to WAL, sets a
 *   5 s busy timeout (another qcts writing at the same moment makes us wait,
 *   not fail) and applies every missing migration of db/schema.sql, each in
 *   its own transaction. A database newer than this qcts (user_version above
 *   QCTS_DB_SCHEMA_VERSION) is refused and left untouched. A database that
 *   cannot be written fails to open (QCTS_DB_OPEN_WRITE) with the reason
 *   (the folder is missing or not writable, the file is not writable); a
 *   new file that fails is removed again, with its -wal and -shm.
 *
 * ONE TRANSACTION PER RUN
 *   qcts_db_run_begin() starts a write transaction (BEGIN IMMEDIATE) and
 *   inserts the host (or finds its row) and the run; qcts_db_result_add()
 *   inserts results inside it; qcts_db_run_commit() sets ended_at and
 *   commits. Until the commit nothing is visible to other connections, and
 *   a process killed before it leaves no row at all (SQLite rolls the
 *   journal back on the next open). The harness computes every result
 *   first and calls begin/add/commit at the end, so the write lock is held
 *   for milliseconds, not for the whole check.
 *
 * ERRORS
 *   Functions returning int give 0 on success and -1 on failure with one
 *   line in err (no newline; err may be NULL, errlen 0).
 *
 * THREADS
 *   A qcts_db and its transaction belong to one thread at a time.
 */
#ifndef QCTS_DB_H
#define QCTS_DB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define QCTS_DB_DEFAULT_PATH "db/qcts.db"
#define QCTS_DB_ERRLEN 512
#define QCTS_DB_BUSY_TIMEOUT_MS 5000

/* The newest schema version this qcts knows (the number of migrations in
 * db/schema.sql). */
int qcts_db_schema_version(void);

typedef struct qcts_db qcts_db;

/* Flags of qcts_db_open. */
#define QCTS_DB_OPEN_EXISTING 1u   /* fail if the file does not exist */
#define QCTS_DB_OPEN_WRITE 2u      /* the caller will write: a committed write
                                      is tried at once, so a read-only file,
                                      folder or medium fails here, before any
                                      work (implied without _EXISTING) */

int qcts_db_open(const char *path, unsigned flags, qcts_db **out, char *err, size_t errlen);
/* path may also be a PostgreSQL URL (postgresql://... or postgres://...):
 * the shared store. qcts then works on a temporary SQLite copy of it
 * (pulled at open, every query the same SQL) and pushes each write (a run,
 * a tag, noise floors, quality rows) back in one PostgreSQL transaction at
 * its commit (db/src/pg_store.c). qcts_db_path() is the URL with any
 * password hidden. */
/* 1 when db is a PostgreSQL store. */
int qcts_db_is_remote(const qcts_db *db);

/* `qcts db push --to URL`: copies every run of db (a SQLite file) that the
 * PostgreSQL store at url does not have (by uuid), with everything under
 * it, and every tag, noise floor and quality row, in ONE transaction: a
 * killed push leaves nothing, a second push adds nothing. */
typedef struct qcts_db_push_stats {
    int64_t runs_added, runs_present, rows_added;
} qcts_db_push_stats;
int qcts_db_push(qcts_db *db, const char *url, qcts_db_push_stats *s, char *err, size_t errlen);

/* Closes; NULL is allowed. An open run transaction is rolled back. */
void qcts_db_close(qcts_db *db);
const char *qcts_db_path(const qcts_db *db);
/* PRAGMA user_version of the open database; -1 on error. */
int qcts_db_user_version(qcts_db *db);

/* Runs PRAGMA integrity_check; its answer ("ok", or the problems found, one
 * per line) goes to out (truncated to outlen - 1). Returns 0 when it ran
 * (check out for "ok"), -1 when it could not. */
int qcts_db_integrity_check(qcts_db *db, char *out, size_t outlen, char *err, size_t errlen);

/* ---- what a run records -------------------------------------------------------- */

/* The machine. Strings are "" when unknown (stored as NULL). */
typedef struct qcts_host_info {
    char cpu_model[160];
    char isa_flags[512];
    int cores;                  /* 0 when unknown */
    int64_t memory_bytes;       /* 0 when unknown */
    char os[256];
    char compiler[160];
    char gpu[256];              /* "" when there is no (NVIDIA) GPU or no nvidia-smi */
} qcts_host_info;

/* Fills h from /proc/cpuinfo (or sysctl on macOS), sysconf, uname,
 * __VERSION__ and `nvidia-smi` when it is on PATH. Never fails; what it
 * cannot learn stays "" / 0. */
void qcts_host_probe(qcts_host_info *h);
/* 32 hex digits identifying every field of h (two FNV-1a 64-bit hashes). */
void qcts_host_fingerprint(const qcts_host_info *h, char out[33]);

typedef struct qcts_run_info {
    char uuid[37];              /* lower-case 8-4-4-4-12 */
    const char *kind;           /* "check" or "bench" */
    char started_at[32];        /* qcts_utc_now() */
    char git_commit[41];        /* "" outside a git work tree */
    int git_dirty;              /* 1 tracked files modified, 0 clean, -1 unknown */
    char vector_set_sha256[65]; /* "" when unknown */
    int vector_set_official;    /* 1 official, 0 not (stored only with a hash) */
    const char *command_line;   /* the whole invocation, shell-quoted */
    qcts_host_info host;
    /* --shard I/N of check: runs of one group (the same run_group) are one
     * logical run, complete when shards 1..N are all present. "" / 0: not
     * sharded. */
    char run_group[65];
    int shard_index, shard_count;
} qcts_run_info;

/* Random UUID version 4 from /dev/urandom (falls back to time and pid mixed
 * through a hash when it cannot be read). */
void qcts_uuid_v4(char out[37]);
/* The current UTC time, "2025-11-22T02:40:07.123Z". */
void qcts_utc_now(char out[32]);
/* `git rev-parse HEAD` and `git status --porcelain --untracked-files=no` in
 * the current directory; commit "" and dirty -1 when git or the work tree
 * is missing. */
void qcts_git_state(char commit[41], int *dirty);
/* Fills every field of r: a new uuid, the time now, git state, the host;
 * vector_set_sha256 "" (the caller knows the vector set). */
void qcts_run_info_init(qcts_run_info *r, const char *kind, const char *command_line);

/* One result row. Strings may be NULL (stored as NULL) except backend, op,
 * suite, case_id, verdict. Doubles that are NaN are stored as NULL; integer
 * fields < 0 are stored as NULL. */
typedef struct qcts_db_result {
    const char *backend, *variant, *op, *scheme, *suite, *case_id, *seed, *check_rule;
    const char *verdict;        /* PASS FAIL SKIP UNAVAILABLE MISTRUSTED ERROR */
    const char *reason;
    int64_t n, mismatches, violations, max_ulp;
    double max_abs, max_rel, mse, nmse, cosine, kl, snr_db;
    int64_t worst_index;
    double worst_expected, worst_got, worst_bound;
    const char *identified;
    double duration_s;
} qcts_db_result;

/* A result with every number "unknown" (integers -1, doubles NaN) and every
 * string NULL. */
void qcts_db_result_init(qcts_db_result *r);

typedef struct qcts_db_txn qcts_db_txn;

int qcts_db_run_begin(qcts_db *db, const qcts_run_info *run, qcts_db_txn **out,
                      char *err, size_t errlen);
int qcts_db_result_add(qcts_db_txn *t, const qcts_db_result *r, char *err, size_t errlen);
/* Sets ended_at (NULL: now) and commits; frees t whatever happens (on
 * failure the transaction is rolled back). */
int qcts_db_run_commit(qcts_db_txn *t, const char *ended_at, char *err, size_t errlen);
/* Rolls back and frees t; NULL is allowed. */
void qcts_db_run_rollback(qcts_db_txn *t);

/* ---- reading ----------------------------------------------------------------- */

/* Runs recorded, 0 for an empty database; -1 on error. */
int64_t qcts_db_count_runs(qcts_db *db, char *err, size_t errlen);
int64_t qcts_db_count_results(qcts_db *db, char *err, size_t errlen);

/* `qcts db info`: a header line (path, schema version, runs, results, hosts)
 * then one line per run, oldest first: uuid, kind, start, commit (12 hex
 * digits, "+" when dirty, "-" when unknown), host (id and CPU model) and
 * the number of results of each verdict. */
int qcts_db_print_info(qcts_db *db, FILE *out, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
