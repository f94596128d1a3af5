/* pg_store.h — PostgreSQL as the shared results store (pg_store.c has the
 * design: SQLite working copy, push and pull). Private to db/. */
#ifndef QCTS_DB_PG_STORE_H
#define QCTS_DB_PG_STORE_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

/* "postgresql://..." or "postgres://..." */
int qcts_pg_is_url(const char *s);
/* The URL with any password replaced by *** (for messages and reports). */
void qcts_pg_display_url(const char *url, char *out, size_t n);

typedef struct qcts_pg qcts_pg;

/* Connects and brings the store's schema up to this qcts's migrations
 * (under an advisory lock); refuses a newer store. 0, or -1 with err. */
int qcts_pg_connect(const char *url, qcts_pg **out, char *err, size_t errlen);
void qcts_pg_close(qcts_pg *pg);

/* Copies the whole store (one snapshot) into h, an empty database with
 * the same schema, keeping every id. */
int qcts_pg_pull(qcts_pg *pg, sqlite3 *h, char *err, size_t errlen);

typedef struct qcts_pg_push_stats {
    int64_t runs_added, runs_present;   /* runs new to the store / already there (by uuid) */
    int64_t rows_added;                 /* rows under them, tags, noise floors, quality */
} qcts_pg_push_stats;

/* Pushes the runs of h with id > since_run_id (and everything under them),
 * then every tag, noise floor and quality row, in ONE transaction: all or
 * nothing. Runs the store has (by uuid) are skipped. */
int qcts_pg_push(qcts_pg *pg, sqlite3 *h, int64_t since_run_id, qcts_pg_push_stats *s, char *err, size_t errlen);

/* The PostgreSQL form of one migration of db/schema.sql (types, identity
 * ids, no WITHOUT ROWID). 0, or -1 when out is too small. */
int qcts_pg_translate(const char *sqlite_sql, char *out, size_t n);

#endif
