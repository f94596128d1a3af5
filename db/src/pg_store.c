/* pg_store.c — PostgreSQL as the shared results store (issue 19), through
 * libpq.
 *
 * DESIGN
 *   qcts keeps ONE query layer, SQLite's: every command works on a local
 *   SQLite database. With --db postgresql://..., that database is a
 *   working copy: qcts_pg_pull copies the store into a fresh temporary
 *   SQLite file (ids kept, so every foreign key holds), the command runs
 *   its usual SQL on it, and every write (a run, tags, noise floors,
 *   quality rows) goes back with qcts_pg_push in ONE PostgreSQL
 *   transaction. So the queries are the same on both stores by
 *   construction; what differs is explicit and lives here:
 *     - the schema: the migrations of db/schema.sql, translated
 *       (pg_translate: INTEGER -> BIGINT, REAL -> DOUBLE PRECISION, an
 *       "id INTEGER PRIMARY KEY" -> an identity column, no WITHOUT ROWID),
 *       and the version in qcts_schema (PRAGMA user_version in SQLite);
 *     - ids: the store assigns them; a push maps host, run and measurement
 *       ids (runs are known by uuid, hosts by fingerprint), so pushes from
 *       many machines never collide;
 *     - idempotence: a run whose uuid the store has is skipped with
 *       everything under it; quality rows by (batch_uuid, scheme); tags
 *       and noise floors keep the newest.
 *   A killed push leaves nothing (the transaction never commits); two
 *   pushes at once serialize on the store's unique keys.
 * Built only with libpq (QCTS_HAVE_LIBPQ); otherwise every entry point
 * says how to get it. */
#include "db/src/pg_store.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int qcts_pg_is_url(const char *s)
{
    return s && (strncmp(s, "postgresql://", 13) == 0 || strncmp(s, "postgres://", 11) == 0);
}

void qcts_pg_display_url(const char *url, char *out, size_t n)
{
    /* postgresql://user:secret@host/db -> postgresql://user:***@host/db */
    const char *at = strchr(url, '@'), *scheme = strstr(url, "://");
    const char *colon = scheme ? strchr(scheme + 3, ':') : NULL;
    if (at && colon && colon < at)
        snprintf(out, n, "%.*s:***%s", (int)(colon - url), url, at);
    else
        snprintf(out, n, "%s", url);
}

static void seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

#ifndef QCTS_HAVE_LIBPQ

struct qcts_pg { int unused; };

int qcts_pg_connect(const char *url, qcts_pg **out, char *err, size_t errlen)
{
    (void)url;
    *out = NULL;
    seterr(err, errlen, "this qcts was built without libpq, so it cannot use a PostgreSQL store (install libpq-dev "
                        "and rebuild; make does it with mk/ensure-deps.sh)");
    return -1;
}
void qcts_pg_close(qcts_pg *pg) { (void)pg; }
int qcts_pg_pull(qcts_pg *pg, sqlite3 *h, char *err, size_t errlen)
{
    (void)pg;
    (void)h;
    seterr(err, errlen, "built without libpq");
    return -1;
}
int qcts_pg_push(qcts_pg *pg, sqlite3 *h, int64_t since_run_id, qcts_pg_push_stats *s, char *err, size_t errlen)
{
    (void)since_run_id;
    (void)pg;
    (void)h;
    (void)s;
    seterr(err, errlen, "built without libpq");
    return -1;
}
int qcts_pg_translate(const char *sqlite_sql, char *out, size_t n)
{
    (void)sqlite_sql;
    (void)out;
    (void)n;
    return -1;
}

#else

#include <libpq-fe.h>

#include "db/src/db_impl.h"

struct qcts_pg {
    PGconn *c;
};

/* ---- schema ------------------------------------------------------------------------- */

/* Appends text to out (n bytes); -1 when it does not fit. */
static int put(char *out, size_t n, size_t *len, const char *text, size_t tl)
{
    if (*len + tl + 1 > n)
        return -1;
    memcpy(out + *len, text, tl);
    *len += tl;
    out[*len] = '\0';
    return 0;
}

static int word_at(const char *s, const char *p, const char *w)
{
    size_t l = strlen(w);
    if (strncmp(p, w, l) != 0)
        return 0;
    int left = p == s || !(p[-1] == '_' || (p[-1] >= 'a' && p[-1] <= 'z') || (p[-1] >= 'A' && p[-1] <= 'Z'));
    char r = p[l];
    return left && !(r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9'));
}

int qcts_pg_translate(const char *sql, char *out, size_t n)
{
    size_t len = 0;
    out[0] = '\0';
    const char *line = sql;
    while (*line) {
        const char *eol = strchr(line, '\n');
        size_t ll = eol ? (size_t)(eol - line + 1) : strlen(line);
        const char *t = line;
        while (*t == ' ' || *t == '\t')
            t++;
        /* a column "id INTEGER PRIMARY KEY" is SQLite's rowid: an identity here */
        int is_id = strncmp(t, "id ", 3) == 0 && strstr(t, "INTEGER PRIMARY KEY") &&
                    strstr(t, "INTEGER PRIMARY KEY") < line + ll;
        for (const char *p = line; p < line + ll;) {
            if (*p == '-' && p[1] == '-') { /* a comment: as it is */
                if (put(out, n, &len, p, (size_t)(line + ll - p)))
                    return -1;
                break;
            }
            const char *to = NULL, *from = NULL;
            if (is_id && word_at(line, p, "INTEGER")) {
                from = "INTEGER PRIMARY KEY";
                to = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY";
                if (strncmp(p, from, strlen(from)) != 0)
                    from = NULL;
            }
            if (!from && word_at(line, p, "INTEGER"))
                from = "INTEGER", to = "BIGINT";
            else if (!from && word_at(line, p, "REAL"))
                from = "REAL", to = "DOUBLE PRECISION";
            else if (!from && word_at(line, p, "WITHOUT") && strncmp(p, "WITHOUT ROWID", 13) == 0)
                from = "WITHOUT ROWID", to = "";
            else if (!from && word_at(line, p, "inner")) /* a reserved word in PostgreSQL */
                from = "inner", to = "\"inner\"";
            if (from) {
                if (put(out, n, &len, to, strlen(to)))
                    return -1;
                p += strlen(from);
            } else {
                if (put(out, n, &len, p, 1))
                    return -1;
                p++;
            }
        }
        line += ll;
    }
    return 0;
}

static int pexec(qcts_pg *pg, const char *sql, char *err, size_t errlen)
{
    PGresult *r = PQexec(pg->c, sql);
    ExecStatusType s = PQresultStatus(r);
    int ok = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
    if (!ok)
        seterr(err, errlen, "%s", PQresultErrorMessage(r));
    PQclear(r);
    if (!ok && err && errlen) /* one line */
        err[strcspn(err, "\n")] = '\0';
    return ok ? 0 : -1;
}

/* Applies the missing migrations under an advisory lock, each with the
 * version bump in one transaction; refuses a store newer than this qcts. */
static int migrate(qcts_pg *pg, char *err, size_t errlen)
{
    int n;
    const char *const *m = qcts_db_builtin_migrations(&n);
    char e[512];
    if (pexec(pg, "BEGIN; SELECT pg_advisory_xact_lock(7402961347); "
                  "CREATE TABLE IF NOT EXISTS qcts_schema (version INTEGER NOT NULL); "
                  "INSERT INTO qcts_schema (version) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM qcts_schema)",
              e, sizeof e)) {
        seterr(err, errlen, "cannot create the schema table: %s", e);
        pexec(pg, "ROLLBACK", NULL, 0);
        return -1;
    }
    PGresult *r = PQexec(pg->c, "SELECT version FROM qcts_schema");
    int v = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 ? atoi(PQgetvalue(r, 0, 0)) : -1;
    PQclear(r);
    if (v < 0 || v > n) {
        seterr(err, errlen, v < 0 ? "cannot read the schema version" :
               "the store has schema version %d, newer than this qcts (%d): update qcts", v, n);
        pexec(pg, "ROLLBACK", NULL, 0);
        return -1;
    }
    size_t cap = 65536;
    char *sql = malloc(cap);
    if (!sql) {
        pexec(pg, "ROLLBACK", NULL, 0);
        seterr(err, errlen, "out of memory");
        return -1;
    }
    for (; v < n; v++) {
        char bump[64];
        snprintf(bump, sizeof bump, "UPDATE qcts_schema SET version = %d", v + 1);
        if (qcts_pg_translate(m[v], sql, cap) || pexec(pg, sql, e, sizeof e) || pexec(pg, bump, e, sizeof e)) {
            seterr(err, errlen, "migration %d: %s", v + 1, e);
            free(sql);
            pexec(pg, "ROLLBACK", NULL, 0);
            return -1;
        }
    }
    free(sql);
    return pexec(pg, "COMMIT", err, errlen);
}

int qcts_pg_connect(const char *url, qcts_pg **out, char *err, size_t errlen)
{
    *out = NULL;
    qcts_pg *pg = calloc(1, sizeof *pg);
    if (!pg) {
        seterr(err, errlen, "out of memory");
        return -1;
    }
    pg->c = PQconnectdb(url);
    if (PQstatus(pg->c) != CONNECTION_OK) {
        seterr(err, errlen, "cannot connect: %s", PQerrorMessage(pg->c));
        if (err && errlen)
            err[strcspn(err, "\n")] = '\0';
        qcts_pg_close(pg);
        return -1;
    }
    /* exact doubles both ways; quiet notices */
    PGresult *r = PQexec(pg->c, "SET extra_float_digits = 3; SET client_min_messages = warning");
    PQclear(r);
    if (migrate(pg, err, errlen)) {
        qcts_pg_close(pg);
        return -1;
    }
    *out = pg;
    return 0;
}

void qcts_pg_close(qcts_pg *pg)
{
    if (!pg)
        return;
    PQfinish(pg->c);
    free(pg);
}

/* ---- tables --------------------------------------------------------------------------- */

/* Every table, parents first. id: the table's own identity column (mapped
 * on push); fk: columns holding another table's id and the table. */
typedef struct tdef {
    const char *name;
    int has_id;
    const char *fk[2][2];        /* {column, table} */
} tdef;

static const tdef TABLES[] = {
    { "host", 1, { { NULL, NULL } } },
    { "run", 1, { { "host_id", "host" } } },
    { "result", 1, { { "run_id", "run" } } },
    { "roofline", 0, { { "run_id", "run" } } },
    { "measurement", 1, { { "run_id", "run" } } },
    { "sample", 0, { { "measurement_id", "measurement" } } },
    { "run_env", 0, { { "run_id", "run" } } },
    { "noise_floor", 0, { { "host_id", "host" } } },
    { "tag", 0, { { NULL, NULL } } },
    { "quality", 1, { { "host_id", "host" } } },
};
enum { NTABLES = sizeof TABLES / sizeof TABLES[0] };

typedef struct cols {
    char name[64][48];
    char type[64][24];          /* SQLite declared type */
    int n;
} cols;

static int sqlite_cols(sqlite3 *h, const char *table, cols *c)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT name, type FROM pragma_table_info('%s') ORDER BY cid", table);
    sqlite3_stmt *st;
    c->n = 0;
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    while (sqlite3_step(st) == SQLITE_ROW && c->n < 64) {
        snprintf(c->name[c->n], sizeof c->name[0], "%s", (const char *)sqlite3_column_text(st, 0));
        snprintf(c->type[c->n], sizeof c->type[0], "%s", (const char *)sqlite3_column_text(st, 1));
        c->n++;
    }
    sqlite3_finalize(st);
    return c->n ? 0 : -1;
}

/* ---- id maps (sqlite id -> store id), sorted arrays ---------------------------------- */

typedef struct idmap {
    int64_t *k, *v;
    size_t n, cap;
} idmap;

static int map_put(idmap *m, int64_t k, int64_t v)
{
    if (m->n == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 64;
        int64_t *nk = realloc(m->k, cap * sizeof *nk);
        if (!nk)
            return -1;
        m->k = nk;
        int64_t *nv = realloc(m->v, cap * sizeof *nv);
        if (!nv)
            return -1;
        m->v = nv;
        m->cap = cap;
    }
    m->k[m->n] = k;
    m->v[m->n++] = v;
    return 0;
}

static int map_get(const idmap *m, int64_t k, int64_t *v)
{
    for (size_t i = m->n; i-- > 0;)   /* small maps; the newest first */
        if (m->k[i] == k) {
            *v = m->v[i];
            return 0;
        }
    return -1;
}

static void map_free(idmap *m)
{
    free(m->k);
    free(m->v);
    memset(m, 0, sizeof *m);
}

/* ---- push ---------------------------------------------------------------------------------- */

/* One SQLite value as PostgreSQL text (NULL for SQL NULL). buf holds it. */
static const char *value_text(sqlite3_stmt *st, int i, char *buf, size_t n)
{
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_NULL: return NULL;
    case SQLITE_INTEGER: snprintf(buf, n, "%lld", (long long)sqlite3_column_int64(st, i)); return buf;
    case SQLITE_FLOAT: {
        double d = sqlite3_column_double(st, i);
        if (isnan(d))
            return "NaN";
        if (isinf(d))
            return d > 0 ? "Infinity" : "-Infinity";
        snprintf(buf, n, "%.17g", d);
        return buf;
    }
    default: return (const char *)sqlite3_column_text(st, i);
    }
}

typedef struct pusher {
    qcts_pg *pg;
    sqlite3 *h;
    idmap map[NTABLES];          /* per table with an id */
    char err[512];
} pusher;

static int table_index(const char *name)
{
    for (int i = 0; i < NTABLES; i++)
        if (strcmp(TABLES[i].name, name) == 0)
            return i;
    return -1;
}

/* Copies the rows of TABLES[ti] that `where` selects in SQLite (bound to
 * key when where has a ?1) into the store, mapping the ids. conflict: the
 * ON CONFLICT clause (or ""). *added counts rows the store took. */
static int copy_rows(pusher *p, int ti, const char *where, int64_t key, const char *conflict, int64_t *added)
{
    const tdef *t = &TABLES[ti];
    cols c;
    if (sqlite_cols(p->h, t->name, &c)) {
        snprintf(p->err, sizeof p->err, "%s: cannot read its columns", t->name);
        return -1;
    }
    char sel[4096], ins[8192];
    size_t sl = (size_t)snprintf(sel, sizeof sel, "SELECT ");
    size_t il = (size_t)snprintf(ins, sizeof ins, "INSERT INTO %s (", t->name);
    int np = 0;
    for (int i = 0; i < c.n; i++) {
        sl += (size_t)snprintf(sel + sl, sizeof sel - sl, "%s\"%s\"", i ? ", " : "", c.name[i]);
        if (t->has_id && strcmp(c.name[i], "id") == 0)
            continue;
        il += (size_t)snprintf(ins + il, sizeof ins - il, "%s\"%s\"", np++ ? ", " : "", c.name[i]);
    }
    snprintf(sel + sl, sizeof sel - sl, " FROM %s WHERE %s ORDER BY rowid", t->name, where);
    il += (size_t)snprintf(ins + il, sizeof ins - il, ") VALUES (");
    for (int i = 0; i < np; i++)
        il += (size_t)snprintf(ins + il, sizeof ins - il, "%s$%d", i ? ", " : "", i + 1);
    snprintf(ins + il, sizeof ins - il, ") %s%s", conflict, t->has_id ? " RETURNING id" : "");
    if (strcmp(t->name, "sample") == 0) /* WITHOUT ROWID in SQLite */
        snprintf(strstr(sel, " ORDER BY"), sizeof sel - (size_t)(strstr(sel, " ORDER BY") - sel),
                 " ORDER BY measurement_id, idx");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(p->h, sel, -1, &st, NULL) != SQLITE_OK) {
        snprintf(p->err, sizeof p->err, "%s: %s", t->name, sqlite3_errmsg(p->h));
        return -1;
    }
    if (strstr(where, "?1"))
        sqlite3_bind_int64(st, 1, key);
    char bufs[64][40];
    const char *vals[64];
    int rc = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        int64_t own_id = -1;
        int k = 0, skip = 0;
        for (int i = 0; i < c.n; i++) {
            if (t->has_id && strcmp(c.name[i], "id") == 0) {
                own_id = sqlite3_column_int64(st, i);
                continue;
            }
            const char *v = value_text(st, i, bufs[k], sizeof bufs[k]);
            for (int f = 0; f < 2 && t->fk[f][0]; f++)
                if (strcmp(c.name[i], t->fk[f][0]) == 0 && v) {
                    int64_t mapped;
                    if (map_get(&p->map[table_index(t->fk[f][1])], sqlite3_column_int64(st, i), &mapped)) {
                        skip = 1; /* its parent was not pushed (already in the store) */
                        break;
                    }
                    snprintf(bufs[k], sizeof bufs[k], "%lld", (long long)mapped);
                    v = bufs[k];
                }
            vals[k++] = v;
        }
        if (skip)
            continue;
        PGresult *r = PQexecParams(p->pg->c, ins, k, NULL, vals, NULL, NULL, 0);
        ExecStatusType s = PQresultStatus(r);
        if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
            snprintf(p->err, sizeof p->err, "%s: %s", t->name, PQresultErrorMessage(r));
            p->err[strcspn(p->err, "\n")] = '\0';
            PQclear(r);
            rc = -1;
            break;
        }
        int took = t->has_id ? PQntuples(r) == 1 : atoi(PQcmdTuples(r)) > 0;
        if (took && added)
            (*added)++;
        if (t->has_id && took && map_put(&p->map[ti], own_id, strtoll(PQgetvalue(r, 0, 0), NULL, 10))) {
            snprintf(p->err, sizeof p->err, "out of memory");
            PQclear(r);
            rc = -1;
            break;
        }
        PQclear(r);
    }
    sqlite3_finalize(st);
    return rc;
}

/* Hosts: the store's id of each SQLite host (inserted when new). */
static int map_hosts(pusher *p)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(p->h, "SELECT id, fingerprint FROM host", -1, &st, NULL) != SQLITE_OK)
        return -1;
    int rc = 0;
    int hi = table_index("host");
    if (copy_rows(p, hi, "1", 0, "ON CONFLICT (fingerprint) DO NOTHING", NULL)) {
        sqlite3_finalize(st);
        return -1;
    }
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        int64_t have;
        if (map_get(&p->map[hi], sqlite3_column_int64(st, 0), &have) == 0)
            continue; /* inserted just now */
        const char *fp = (const char *)sqlite3_column_text(st, 1);
        PGresult *r = PQexecParams(p->pg->c, "SELECT id FROM host WHERE fingerprint = $1", 1, NULL, &fp, NULL, NULL, 0);
        if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
            rc = map_put(&p->map[hi], sqlite3_column_int64(st, 0), strtoll(PQgetvalue(r, 0, 0), NULL, 10));
        else {
            snprintf(p->err, sizeof p->err, "host %s: %s", fp, PQresultErrorMessage(r));
            rc = -1;
        }
        PQclear(r);
    }
    sqlite3_finalize(st);
    return rc;
}

int qcts_pg_push(qcts_pg *pg, sqlite3 *h, int64_t since_run_id, qcts_pg_push_stats *s, char *err, size_t errlen)
{
    qcts_pg_push_stats dummy;
    if (!s)
        s = &dummy;
    memset(s, 0, sizeof *s);
    pusher p;
    memset(&p, 0, sizeof p);
    p.pg = pg;
    p.h = h;
    char e[512];
    if (pexec(pg, "BEGIN", e, sizeof e)) {
        seterr(err, errlen, "begin: %s", e);
        return -1;
    }
    int rc = map_hosts(&p);
    /* runs: new ones only (by uuid), each with everything under it */
    sqlite3_stmt *st = NULL;
    if (rc == 0 && sqlite3_prepare_v2(h, "SELECT id FROM run WHERE id > ?1 ORDER BY id", -1, &st, NULL) != SQLITE_OK)
        rc = -1;
    if (st)
        sqlite3_bind_int64(st, 1, since_run_id);
    int ri = table_index("run");
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0), before = (int64_t)p.map[ri].n;
        rc = copy_rows(&p, ri, "id = ?1", id, "ON CONFLICT (uuid) DO NOTHING", NULL);
        if (rc || (int64_t)p.map[ri].n == before) {
            s->runs_present++;
            continue;
        }
        s->runs_added++;
        int64_t mi = table_index("measurement");
        rc = copy_rows(&p, table_index("result"), "run_id = ?1", id, "", &s->rows_added)
          || copy_rows(&p, table_index("roofline"), "run_id = ?1", id, "", &s->rows_added)
          || copy_rows(&p, table_index("run_env"), "run_id = ?1", id, "", &s->rows_added)
          || copy_rows(&p, (int)mi, "run_id = ?1", id, "", &s->rows_added)
          || copy_rows(&p, table_index("sample"), "measurement_id IN (SELECT id FROM measurement WHERE run_id = ?1)",
                       id, "", &s->rows_added);
    }
    if (st)
        sqlite3_finalize(st);
    /* the rest: idempotent upserts */
    if (rc == 0)
        rc = copy_rows(&p, table_index("tag"), "1", 0,
                       "ON CONFLICT (name) DO UPDATE SET run_uuid = EXCLUDED.run_uuid, tagged_at = EXCLUDED.tagged_at "
                       "WHERE tag.tagged_at < EXCLUDED.tagged_at", &s->rows_added)
          || copy_rows(&p, table_index("noise_floor"), "1", 0,
                       "ON CONFLICT (host_id, statistic, backend, op, scheme, shape_set, shape, threads, cold) DO UPDATE "
                       "SET floor = EXCLUDED.floor, pairs = EXCLUDED.pairs, measured_at = EXCLUDED.measured_at WHERE "
                       "noise_floor.measured_at < EXCLUDED.measured_at", &s->rows_added)
          || copy_rows(&p, table_index("quality"), "1", 0, "ON CONFLICT (batch_uuid, scheme) DO NOTHING",
                       &s->rows_added);
    if (rc == 0 && pexec(pg, "COMMIT", e, sizeof e)) {
        snprintf(p.err, sizeof p.err, "commit: %.400s", e);
        rc = -1;
    }
    if (rc) {
        pexec(pg, "ROLLBACK", NULL, 0);
        seterr(err, errlen, "push: %s", p.err[0] ? p.err : "failed");
        memset(s, 0, sizeof *s);
    }
    for (int i = 0; i < NTABLES; i++)
        map_free(&p.map[i]);
    return rc;
}

/* ---- pull ----------------------------------------------------------------------------------- */

int qcts_pg_pull(qcts_pg *pg, sqlite3 *h, char *err, size_t errlen)
{
    char e[512];
    /* one snapshot of the whole store */
    if (pexec(pg, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", e, sizeof e)) {
        seterr(err, errlen, "pull: %s", e);
        return -1;
    }
    if (sqlite3_exec(h, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        pexec(pg, "ROLLBACK", NULL, 0);
        seterr(err, errlen, "pull: %s", sqlite3_errmsg(h));
        return -1;
    }
    int rc = 0;
    for (int ti = 0; ti < NTABLES && rc == 0; ti++) {
        cols c;
        if (sqlite_cols(h, TABLES[ti].name, &c)) {
            seterr(err, errlen, "pull: %s: no such table in the working copy", TABLES[ti].name);
            rc = -1;
            break;
        }
        char sel[4096], ins[4096];
        size_t sl = (size_t)snprintf(sel, sizeof sel, "SELECT ");
        size_t il = (size_t)snprintf(ins, sizeof ins, "INSERT INTO %s VALUES (", TABLES[ti].name);
        for (int i = 0; i < c.n; i++) {
            sl += (size_t)snprintf(sel + sl, sizeof sel - sl, "%s\"%s\"", i ? ", " : "", c.name[i]);
            il += (size_t)snprintf(ins + il, sizeof ins - il, "%s?", i ? ", " : "");
        }
        snprintf(sel + sl, sizeof sel - sl, " FROM %s", TABLES[ti].name);
        snprintf(ins + il, sizeof ins - il, ")");
        PGresult *r = PQexec(pg->c, sel);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            seterr(err, errlen, "pull: %s: %s", TABLES[ti].name, PQresultErrorMessage(r));
            if (err && errlen)
                err[strcspn(err, "\n")] = '\0';
            PQclear(r);
            rc = -1;
            break;
        }
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(h, ins, -1, &st, NULL) != SQLITE_OK) {
            seterr(err, errlen, "pull: %s: %s", TABLES[ti].name, sqlite3_errmsg(h));
            PQclear(r);
            rc = -1;
            break;
        }
        int rows = PQntuples(r);
        for (int row = 0; row < rows && rc == 0; row++) {
            for (int i = 0; i < c.n; i++) {
                if (PQgetisnull(r, row, i)) {
                    sqlite3_bind_null(st, i + 1);
                    continue;
                }
                const char *v = PQgetvalue(r, row, i);
                if (strstr(c.type[i], "INT"))
                    sqlite3_bind_int64(st, i + 1, strtoll(v, NULL, 10));
                else if (strstr(c.type[i], "REAL"))
                    sqlite3_bind_double(st, i + 1, strtod(v, NULL));
                else
                    sqlite3_bind_text(st, i + 1, v, -1, SQLITE_TRANSIENT);
            }
            if (sqlite3_step(st) != SQLITE_DONE) {
                seterr(err, errlen, "pull: %s row %d: %s", TABLES[ti].name, row, sqlite3_errmsg(h));
                rc = -1;
            }
            sqlite3_reset(st);
        }
        sqlite3_finalize(st);
        PQclear(r);
    }
    pexec(pg, "ROLLBACK", NULL, 0);
    if (rc == 0 && sqlite3_exec(h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        seterr(err, errlen, "pull: commit: %s", sqlite3_errmsg(h));
        rc = -1;
    }
    if (rc)
        sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

#endif
