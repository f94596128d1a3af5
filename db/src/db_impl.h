/* db_impl.h — internals of db/ shared with its unit tests. */
#ifndef QCTS_DB_IMPL_H
#define QCTS_DB_IMPL_H

#include <sqlite3.h>
#include <stddef.h>

/* Brings the database from its user_version to n by applying migrations
 * [user_version, n) of m, each in one transaction that also sets
 * user_version. Refuses (-1) a database whose user_version is above n. */
int qcts_db_apply_migrations(sqlite3 *h, const char *const *m, int n, char *err, size_t errlen);

/* The migrations compiled from db/schema.sql. */
const char *const *qcts_db_builtin_migrations(int *n);

/* Accessors for the other files of db/ (bench_store.c). */
typedef struct qcts_db qcts_db;
typedef struct qcts_db_txn qcts_db_txn;
struct qcts_host_info;
sqlite3 *qcts_db_handle_(qcts_db *db);
sqlite3 *qcts_db_txn_handle_(qcts_db_txn *t);
sqlite3_int64 qcts_db_txn_run_id_(const qcts_db_txn *t);
/* The host row of h (inserted when new); -1 with err set on failure. */
sqlite3_int64 qcts_db_host_id_(sqlite3 *h, const struct qcts_host_info *hi, char *err, size_t errlen);

/* A PostgreSQL store (--db postgresql://...): pushes what the working copy
 * holds that the store has not (db/src/pg_store.c). 0 for a plain SQLite
 * database; -1 with err when the push failed (nothing of it was stored). */
int qcts_db_sync_(qcts_db *db, char *err, size_t errlen);

#endif
