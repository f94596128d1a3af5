/* The benchmark tables, tags, stored quality, merge and export
 * (qcts/db_bench.h; the tables are migration 2 of db/schema.sql). */
#include "qcts/db_bench.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "db/src/db_impl.h"

static void seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

sqlite3 *qcts_db_sqlite(qcts_db *db) { return qcts_db_handle_(db); }

static int bind_text(sqlite3_stmt *st, int i, const char *s)
{
    return s && *s ? sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
}

static int bind_f64(sqlite3_stmt *st, int i, double v)
{
    return isnan(v) || isinf(v) ? sqlite3_bind_null(st, i) : sqlite3_bind_double(st, i, v);
}

static int exec(sqlite3 *h, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    if (sqlite3_exec(h, sql, NULL, NULL, &msg) == SQLITE_OK)
        return 0;
    seterr(err, errlen, "%s", msg ? msg : sqlite3_errmsg(h));
    sqlite3_free(msg);
    return -1;
}

int qcts_db_roofline_add(qcts_db_txn *t, const char *metric, const char *isa, int threads, double value,
                         const char *unit, char *err, size_t errlen)
{
    return qcts_db_roofline_add_spread(t, metric, isa, threads, value, unit, NAN, err, errlen);
}

int qcts_db_roofline_add_spread(qcts_db_txn *t, const char *metric, const char *isa, int threads, double value,
                                const char *unit, double spread, char *err, size_t errlen)
{
    sqlite3 *h = qcts_db_txn_handle_(t);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(h, "INSERT OR REPLACE INTO roofline (run_id, metric, isa, threads, value, unit, spread) "
                              "VALUES (?,?,?,?,?,?,?)", -1, &st, NULL) != SQLITE_OK) {
        seterr(err, errlen, "roofline: %s", sqlite3_errmsg(h));
        return -1;
    }
    sqlite3_bind_int64(st, 1, qcts_db_txn_run_id_(t));
    sqlite3_bind_text(st, 2, metric, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, isa ? isa : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 4, threads);
    bind_f64(st, 5, value);
    bind_text(st, 6, unit);
    bind_f64(st, 7, spread);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    if (rc)
        seterr(err, errlen, "roofline: %s", sqlite3_errmsg(h));
    sqlite3_finalize(st);
    return rc;
}

int qcts_db_run_env_add(qcts_db_txn *t, const qcts_db_run_env *e, char *err, size_t errlen)
{
    sqlite3 *h = qcts_db_txn_handle_(t);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(h, "INSERT OR REPLACE INTO run_env (run_id, repeats, order_seed, load1_start, load1_end, "
                              "steal_fraction, other_cpu_share, governor, turbo, busy, warning, roof_checks) "
                              "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", -1, &st, NULL) != SQLITE_OK) {
        seterr(err, errlen, "run_env: %s", sqlite3_errmsg(h));
        return -1;
    }
    int i = 1;
    sqlite3_bind_int64(st, i++, qcts_db_txn_run_id_(t));
    sqlite3_bind_int(st, i++, e->repeats);
    sqlite3_bind_int64(st, i++, (sqlite3_int64)(e->order_seed & 0x7FFFFFFFFFFFFFFFull));
    bind_f64(st, i++, e->load1_start);
    bind_f64(st, i++, e->load1_end);
    bind_f64(st, i++, e->steal_fraction);
    bind_f64(st, i++, e->other_cpu_share);
    bind_text(st, i++, e->governor);
    bind_text(st, i++, e->turbo);
    sqlite3_bind_int(st, i++, e->busy ? 1 : 0);
    bind_text(st, i++, e->warning);
    bind_text(st, i++, e->roof_checks);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    if (rc)
        seterr(err, errlen, "run_env: %s", sqlite3_errmsg(h));
    sqlite3_finalize(st);
    return rc;
}

int64_t qcts_db_run_host_id(qcts_db *db, const char *uuid)
{
    sqlite3 *h = qcts_db_handle_(db);
    sqlite3_stmt *st;
    int64_t id = -1;
    if (sqlite3_prepare_v2(h, "SELECT host_id FROM run WHERE uuid = ?", -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, uuid, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW)
        id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return id;
}

int qcts_db_noise_store(qcts_db *db, int64_t host_id, const qcts_db_noise *n, size_t count, char *err, size_t errlen)
{
    sqlite3 *h = qcts_db_handle_(db);
    char e[QCTS_DB_ERRLEN], now[32];
    qcts_utc_now(now);
    if (exec(h, "BEGIN IMMEDIATE", e, sizeof e)) {
        seterr(err, errlen, "%s: %s", qcts_db_path(db), e);
        return -1;
    }
    sqlite3_stmt *st = NULL;
    int rc = 0;
    if (sqlite3_prepare_v2(h, "INSERT OR REPLACE INTO noise_floor (host_id, backend, op, scheme, shape_set, shape, "
                              "threads, cold, floor, pairs, measured_at, statistic) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", -1, &st, NULL)
        != SQLITE_OK) {
        snprintf(e, sizeof e, "noise_floor: %s", sqlite3_errmsg(h));
        rc = -1;
    }
    for (size_t i = 0; i < count && rc == 0; i++) {
        sqlite3_reset(st);
        int k = 1;
        sqlite3_bind_int64(st, k++, host_id);
        bind_text(st, k++, n[i].backend);
        bind_text(st, k++, n[i].op);
        bind_text(st, k++, n[i].scheme);
        bind_text(st, k++, n[i].shape_set);
        bind_text(st, k++, n[i].shape);
        sqlite3_bind_int(st, k++, n[i].threads);
        sqlite3_bind_int(st, k++, n[i].cold ? 1 : 0);
        sqlite3_bind_double(st, k++, n[i].floor);
        sqlite3_bind_int(st, k++, n[i].pairs);
        bind_text(st, k++, now);
        bind_text(st, k++, n[i].statistic ? n[i].statistic : "median");
        if (sqlite3_step(st) != SQLITE_DONE) {
            snprintf(e, sizeof e, "noise_floor: %s", sqlite3_errmsg(h));
            rc = -1;
        }
    }
    sqlite3_finalize(st);
    if (rc == 0)
        rc = exec(h, "COMMIT", e, sizeof e);
    if (rc) {
        exec(h, "ROLLBACK", NULL, 0);
        seterr(err, errlen, "%s: %s", qcts_db_path(db), e);
    }
    if (rc == 0) /* a PostgreSQL store: to it now */
        rc = qcts_db_sync_(db, err, errlen);
    return rc;
}

int qcts_db_measurement_add(qcts_db_txn *t, const qcts_db_measurement *m, char *err, size_t errlen)
{
    sqlite3 *h = qcts_db_txn_handle_(t);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(h,
            "INSERT INTO measurement (run_id, backend, variant, op, scheme, shape_set, shape, phase, m, n, k, "
            "threads, cold, status, reason, n_samples, inner, min_s, median_s, mad_s, p90_s, mean_s, cv, bytes, "
            "flops, gbs, gflops, cycles_per_weight, cycle_counter, roof_fraction, roof_kind, per_token, "
            "set_decode_shapes, repeats, iqr_s, ceiling_level, over_ceiling) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &st, NULL) != SQLITE_OK) {
        seterr(err, errlen, "measurement: %s", sqlite3_errmsg(h));
        return -1;
    }
    int i = 1;
    sqlite3_bind_int64(st, i++, qcts_db_txn_run_id_(t));
    bind_text(st, i++, m->backend);
    bind_text(st, i++, m->variant);
    bind_text(st, i++, m->op);
    bind_text(st, i++, m->scheme);
    bind_text(st, i++, m->shape_set);
    bind_text(st, i++, m->shape);
    bind_text(st, i++, m->phase);
    sqlite3_bind_int64(st, i++, m->M);
    sqlite3_bind_int64(st, i++, m->N);
    sqlite3_bind_int64(st, i++, m->K);
    sqlite3_bind_int(st, i++, m->threads);
    sqlite3_bind_int(st, i++, m->cold ? 1 : 0);
    bind_text(st, i++, m->status);
    bind_text(st, i++, m->reason);
    sqlite3_bind_int64(st, i++, (sqlite3_int64)m->n_samples);
    sqlite3_bind_int(st, i++, m->inner);
    bind_f64(st, i++, m->min_s);
    bind_f64(st, i++, m->median_s);
    bind_f64(st, i++, m->mad_s);
    bind_f64(st, i++, m->p90_s);
    bind_f64(st, i++, m->mean_s);
    bind_f64(st, i++, m->cv);
    bind_f64(st, i++, m->bytes);
    bind_f64(st, i++, m->flops);
    bind_f64(st, i++, m->gbs);
    bind_f64(st, i++, m->gflops);
    bind_f64(st, i++, m->cycles_per_weight);
    bind_text(st, i++, m->cycle_counter);
    bind_f64(st, i++, m->roof_fraction);
    bind_text(st, i++, m->roof_kind);
    bind_f64(st, i++, m->per_token);
    sqlite3_bind_int(st, i++, m->set_decode_shapes);
    if (m->repeats > 0)
        sqlite3_bind_int(st, i++, m->repeats);
    else
        sqlite3_bind_null(st, i++);
    bind_f64(st, i++, m->iqr_s);
    bind_text(st, i++, m->ceiling_level);
    sqlite3_bind_int(st, i++, m->over_ceiling ? 1 : 0);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    if (rc)
        seterr(err, errlen, "measurement %s/%s/%s on %s: %s", m->op, m->scheme, m->shape, m->backend,
               sqlite3_errmsg(h));
    sqlite3_finalize(st);
    if (rc || m->n_samples == 0)
        return rc;
    sqlite3_int64 mid = sqlite3_last_insert_rowid(h);
    if (sqlite3_prepare_v2(h, "INSERT INTO sample (measurement_id, idx, seconds, rep) VALUES (?,?,?,?)", -1, &st, NULL)
        != SQLITE_OK) {
        seterr(err, errlen, "sample: %s", sqlite3_errmsg(h));
        return -1;
    }
    for (size_t k = 0; k < m->n_samples && rc == 0; k++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, mid);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)k);
        sqlite3_bind_double(st, 3, m->samples[k]);
        if (m->sample_rep)
            sqlite3_bind_int(st, 4, m->sample_rep[k]);
        else
            sqlite3_bind_null(st, 4);
        if (sqlite3_step(st) != SQLITE_DONE) {
            seterr(err, errlen, "sample: %s", sqlite3_errmsg(h));
            rc = -1;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

/* ---- quality ------------------------------------------------------------------------ */

int qcts_db_quality_store(qcts_db *db, const qcts_db_quality *q, size_t n, const char *command_line, char *err,
                          size_t errlen)
{
    qcts_run_info run;
    qcts_run_info_init(&run, "bench", command_line);
    sqlite3 *h = qcts_db_handle_(db);
    char e[QCTS_DB_ERRLEN];
    if (exec(h, "BEGIN IMMEDIATE", e, sizeof e)) {
        seterr(err, errlen, "%s: %s", qcts_db_path(db), e);
        return -1;
    }
    sqlite3_int64 hid = qcts_db_host_id_(h, &run.host, e, sizeof e);
    sqlite3_stmt *st = NULL;
    int rc = hid < 0 ? -1 : 0;
    if (rc == 0 && sqlite3_prepare_v2(h,
            "INSERT INTO quality (batch_uuid, recorded_at, host_id, command_line, scheme, dist, seed, rows, cols, "
            "bits_per_weight, mse, nmse, snr_db, cosine, max_abs, kl, note) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            -1, &st, NULL) != SQLITE_OK) {
        snprintf(e, sizeof e, "quality: %s", sqlite3_errmsg(h));
        rc = -1;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        sqlite3_reset(st);
        int k = 1;
        bind_text(st, k++, run.uuid);
        bind_text(st, k++, run.started_at);
        sqlite3_bind_int64(st, k++, hid);
        bind_text(st, k++, command_line);
        bind_text(st, k++, q[i].scheme);
        bind_text(st, k++, q[i].dist);
        bind_text(st, k++, q[i].seed);
        sqlite3_bind_int64(st, k++, q[i].rows);
        sqlite3_bind_int64(st, k++, q[i].cols);
        bind_f64(st, k++, q[i].bits_per_weight);
        bind_f64(st, k++, q[i].mse);
        bind_f64(st, k++, q[i].nmse);
        bind_f64(st, k++, q[i].snr_db);
        bind_f64(st, k++, q[i].cosine);
        bind_f64(st, k++, q[i].max_abs);
        bind_f64(st, k++, q[i].kl);
        bind_text(st, k++, q[i].note);
        if (sqlite3_step(st) != SQLITE_DONE) {
            snprintf(e, sizeof e, "quality %s: %s", q[i].scheme ? q[i].scheme : "?", sqlite3_errmsg(h));
            rc = -1;
        }
    }
    sqlite3_finalize(st);
    if (rc == 0)
        rc = exec(h, "COMMIT", e, sizeof e);
    if (rc) {
        exec(h, "ROLLBACK", NULL, 0);
        seterr(err, errlen, "%s: %s", qcts_db_path(db), e);
    }
    if (rc == 0) /* a PostgreSQL store: to it now */
        rc = qcts_db_sync_(db, err, errlen);
    return rc;
}

/* ---- runs and tags ----------------------------------------------------------------------- */

int qcts_db_run_resolve(qcts_db *db, const char *spec, const char *kind, const char *host, char uuid[37],
                        char *err, size_t errlen)
{
    sqlite3 *h = qcts_db_handle_(db);
    uuid[0] = '\0';
    char sql[1024];
    const char *hostw = "";
    int host_is_id = 0;
    if (host && *host) {
        host_is_id = 1;
        for (const char *p = host; *p; p++)
            host_is_id &= isdigit((unsigned char)*p) != 0;
        hostw = host_is_id ? " AND h.id = ?3" : " AND (h.fingerprint LIKE ?3 || '%' OR h.cpu_model LIKE '%' || ?3 || '%')";
    }
    long offset = -1;
    if (strcmp(spec, "latest") == 0) {
        offset = 0;
    } else if (strncmp(spec, "latest~", 7) == 0) {
        char *end;
        errno = 0;
        offset = strtol(spec + 7, &end, 10);
        if (errno || end == spec + 7 || *end || offset < 0 || spec[7] < '0' || spec[7] > '9') {
            seterr(err, errlen, "bad run spec '%s' (latest~N with N >= 0)", spec);
            return -1;
        }
    }
    sqlite3_stmt *st;
    if (offset >= 0)
        snprintf(sql, sizeof sql,
                 "SELECT r.uuid FROM run r JOIN host h ON h.id = r.host_id WHERE (?1 IS NULL OR r.kind = ?1)%s "
                 "ORDER BY r.started_at DESC, r.id DESC LIMIT 1 OFFSET ?2", hostw);
    else
        snprintf(sql, sizeof sql,
                 "SELECT r.uuid FROM run r JOIN host h ON h.id = r.host_id WHERE (?1 IS NULL OR r.kind = ?1)%s "
                 "AND (r.uuid IN (SELECT run_uuid FROM tag WHERE name = ?4) "
                 "OR (length(?4) >= 4 AND r.uuid LIKE ?4 || '%%')) ORDER BY r.started_at DESC LIMIT 2", hostw);
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK) {
        seterr(err, errlen, "%s: %s", qcts_db_path(db), sqlite3_errmsg(h));
        return -1;
    }
    bind_text(st, 1, kind);
    if (offset >= 0)
        sqlite3_bind_int64(st, 2, offset);
    if (host && *host)
        sqlite3_bind_text(st, 3, host, -1, SQLITE_TRANSIENT);
    if (offset < 0)
        sqlite3_bind_text(st, 4, spec, -1, SQLITE_TRANSIENT);
    int n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (n == 0)
            snprintf(uuid, 37, "%s", (const char *)sqlite3_column_text(st, 0));
        n++;
    }
    sqlite3_finalize(st);
    if (n == 1 || (n > 1 && offset >= 0))
        return 0;
    /* a tag wins over a uuid prefix that happens to match too */
    if (n > 1) {
        sqlite3_stmt *t;
        if (sqlite3_prepare_v2(h, "SELECT run_uuid FROM tag WHERE name = ?", -1, &t, NULL) == SQLITE_OK) {
            sqlite3_bind_text(t, 1, spec, -1, SQLITE_TRANSIENT);
            int found = sqlite3_step(t) == SQLITE_ROW;
            if (found)
                snprintf(uuid, 37, "%s", (const char *)sqlite3_column_text(t, 0));
            sqlite3_finalize(t);
            if (found)
                return 0;
        }
        uuid[0] = '\0';
        seterr(err, errlen, "run '%s' is ambiguous in %s (give more of the uuid)", spec, qcts_db_path(db));
        return -1;
    }
    seterr(err, errlen, "no %s%srun '%s'%s%s in %s", kind ? kind : "", kind ? " " : "", spec,
           host && *host ? " on host " : "", host && *host ? host : "", qcts_db_path(db));
    return -1;
}

int qcts_db_tag(qcts_db *db, const char *run, const char *name, char uuid[37], char *err, size_t errlen)
{
    if (!*name || strncmp(name, "latest", 6) == 0) {
        seterr(err, errlen, "a tag name must not be empty or start with 'latest'");
        return -1;
    }
    if (qcts_db_run_resolve(db, run, NULL, NULL, uuid, err, errlen))
        return -1;
    sqlite3 *h = qcts_db_handle_(db);
    sqlite3_stmt *st;
    char now[32];
    qcts_utc_now(now);
    if (sqlite3_prepare_v2(h, "INSERT OR REPLACE INTO tag (name, run_uuid, tagged_at) VALUES (?,?,?)", -1, &st,
                           NULL) != SQLITE_OK) {
        seterr(err, errlen, "%s: %s", qcts_db_path(db), sqlite3_errmsg(h));
        return -1;
    }
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, uuid, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, now, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    if (rc)
        seterr(err, errlen, "%s: %s", qcts_db_path(db), sqlite3_errmsg(h));
    sqlite3_finalize(st);
    if (rc == 0)
        rc = qcts_db_sync_(db, err, errlen);
    return rc;
}

/* ---- merge --------------------------------------------------------------------------------- */

/* The columns table has in both main and o, minus those in skip (comma
 * separated list, each name surrounded by commas), as "a, b, c". */
static int common_cols(sqlite3 *h, const char *table, const char *skip, char *out, size_t n, const char *prefix)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT m.name FROM pragma_table_info('%s', 'main') m "
                              "JOIN pragma_table_info('%s', 'o') x ON x.name = m.name ORDER BY m.cid", table, table);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    size_t len = 0;
    out[0] = '\0';
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *c = (const char *)sqlite3_column_text(st, 0);
        char key[96];
        snprintf(key, sizeof key, ",%s,", c);
        if (strstr(skip, key))
            continue;
        len += (size_t)snprintf(out + len, len < n ? n - len : 0, "%s%s%s", len ? ", " : "", prefix, c);
    }
    sqlite3_finalize(st);
    return len < n && len > 0 ? 0 : -1;
}

static int has_table(sqlite3 *h, const char *schema, const char *table)
{
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT 1 FROM %s.sqlite_master WHERE type = 'table' AND name = '%s'", schema, table);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
        return 0;
    int r = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return r;
}

/* Copies rows of `table` from o whose run (column runcol) is new, with
 * run ids mapped through temp.rmap. Returns rows copied or -1. */
static int64_t copy_by_run(sqlite3 *h, const char *table, const char *runcol, char *e, size_t en)
{
    if (!has_table(h, "o", table))
        return 0;
    char cols[2048], ocols[2200], sql[5000];
    char skip[128];
    snprintf(skip, sizeof skip, ",id,%s,", runcol);
    if (common_cols(h, table, skip, cols, sizeof cols, "") || common_cols(h, table, skip, ocols, sizeof ocols, "x.")) {
        snprintf(e, en, "merge: cannot read the columns of %s", table);
        return -1;
    }
    snprintf(sql, sizeof sql, "INSERT INTO main.%s (%s, %s) SELECT rmap.nid, %s FROM o.%s x "
                              "JOIN temp.rmap ON rmap.oid = x.%s", table, runcol, cols, ocols, table, runcol);
    if (exec(h, sql, e, en))
        return -1;
    return sqlite3_changes(h);
}

/* PRAGMA o.user_version of the attached database, -1 on error. */
static int attached_version(sqlite3 *h)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(h, "PRAGMA o.user_version", -1, &st, NULL) != SQLITE_OK)
        return -1;
    int v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    return v;
}

int qcts_db_merge(qcts_db *db, const char *other, qcts_db_merge_stats *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    sqlite3 *h = qcts_db_handle_(db);
    char e[QCTS_DB_ERRLEN] = "";
    sqlite3_stmt *st;
    /* The same file under another name (or a link to it): merging a
     * database into itself adds nothing and would only meet its own lock. */
    struct stat so, sm;
    if (stat(other, &so) != 0) {
        seterr(err, errlen, "%s: %s", other, strerror(errno));
        return -1;
    }
    if (!S_ISREG(so.st_mode)) {
        seterr(err, errlen, "%s: not a regular file", other);
        return -1;
    }
    if (stat(qcts_db_path(db), &sm) == 0 && so.st_dev == sm.st_dev && so.st_ino == sm.st_ino) {
        seterr(err, errlen, "%s: is the database being merged into (%s): nothing to merge", other,
               qcts_db_path(db));
        return -1;
    }
    if (sqlite3_prepare_v2(h, "ATTACH DATABASE ? AS o", -1, &st, NULL) != SQLITE_OK) {
        seterr(err, errlen, "%s: %s", other, sqlite3_errmsg(h));
        return -1;
    }
    sqlite3_bind_text(st, 1, other, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    if (rc) {
        seterr(err, errlen, "%s: %s", other, sqlite3_errmsg(h));
        return -1;
    }
    if (!has_table(h, "o", "run") || !has_table(h, "o", "host")) {
        exec(h, "DETACH DATABASE o", NULL, 0);
        seterr(err, errlen, "%s: not a qcts database (no run or host table)", other);
        return -1;
    }
    /* The rule of qcts_db_open: a schema newer than this qcts knows is
     * refused, never read as if it were ours. */
    int ov = attached_version(h);
    if (ov < 1 || ov > qcts_db_schema_version()) {
        exec(h, "DETACH DATABASE o", NULL, 0);
        if (ov < 1)
            seterr(err, errlen, "%s: cannot read its schema version (PRAGMA user_version %d)", other, ov);
        else
            seterr(err, errlen, "%s: schema version %d is newer than this qcts knows (%d): use a newer qcts",
                   other, ov, qcts_db_schema_version());
        return -1;
    }
    if (exec(h, "BEGIN IMMEDIATE", e, sizeof e))
        goto fail_nolock;
    char cols[2048], ocols[2200], sql[5000];
    if (common_cols(h, "host", ",id,", cols, sizeof cols, "") || common_cols(h, "host", ",id,", ocols, sizeof ocols, "x.")) {
        snprintf(e, sizeof e, "cannot read the columns of host");
        goto fail;
    }
    snprintf(sql, sizeof sql, "INSERT OR IGNORE INTO main.host (%s) SELECT %s FROM o.host x", cols, ocols);
    if (exec(h, sql, e, sizeof e))
        goto fail;
    s->hosts_added = sqlite3_changes(h);
    if (exec(h, "DROP TABLE IF EXISTS temp.rmap;"
                "CREATE TEMP TABLE rmap (oid INTEGER PRIMARY KEY, nid INTEGER, uuid TEXT);"
                "INSERT INTO temp.rmap (oid, uuid) SELECT id, uuid FROM o.run "
                "WHERE uuid NOT IN (SELECT uuid FROM main.run)", e, sizeof e))
        goto fail;
    s->runs_added = sqlite3_changes(h);
    if (common_cols(h, "run", ",id,host_id,", cols, sizeof cols, "")
        || common_cols(h, "run", ",id,host_id,", ocols, sizeof ocols, "x.")) {
        snprintf(e, sizeof e, "cannot read the columns of run");
        goto fail;
    }
    snprintf(sql, sizeof sql,
             "INSERT INTO main.run (host_id, %s) SELECT (SELECT mh.id FROM main.host mh JOIN o.host oh "
             "ON oh.fingerprint = mh.fingerprint WHERE oh.id = x.host_id), %s FROM o.run x "
             "JOIN temp.rmap ON rmap.oid = x.id ORDER BY x.id", cols, ocols);
    if (exec(h, sql, e, sizeof e)
        || exec(h, "UPDATE temp.rmap SET nid = (SELECT id FROM main.run r WHERE r.uuid = rmap.uuid)", e, sizeof e))
        goto fail;
    int64_t n;
    if ((n = copy_by_run(h, "result", "run_id", e, sizeof e)) < 0)
        goto fail;
    s->results = n;
    if (has_table(h, "main", "roofline")) {
        if ((n = copy_by_run(h, "roofline", "run_id", e, sizeof e)) < 0)
            goto fail;
        s->roofline = n;
        if (has_table(h, "o", "measurement")) {
            if (exec(h, "DROP TABLE IF EXISTS temp.mmap; CREATE TEMP TABLE mmap (oid INTEGER PRIMARY KEY, nid INTEGER)",
                     e, sizeof e))
                goto fail;
            /* then their ids are mapped by the unique key, for the samples */
            if ((n = copy_by_run(h, "measurement", "run_id", e, sizeof e)) < 0)
                goto fail;
            s->measurements = n;
            if (exec(h, "INSERT INTO temp.mmap (oid, nid) SELECT x.id, m.id FROM o.measurement x "
                        "JOIN temp.rmap ON rmap.oid = x.run_id JOIN main.measurement m ON m.run_id = rmap.nid "
                        "AND m.backend = x.backend AND m.op = x.op AND m.scheme = x.scheme "
                        "AND m.shape_set = x.shape_set AND m.shape = x.shape AND m.threads = x.threads "
                        "AND m.cold = x.cold;", e, sizeof e))
                goto fail;
            /* every column both files have (rep: migration 3) */
            char scols[256], socols[300];
            if (common_cols(h, "sample", ",measurement_id,", scols, sizeof scols, "")
                || common_cols(h, "sample", ",measurement_id,", socols, sizeof socols, "x.")) {
                snprintf(e, sizeof e, "cannot read the columns of sample");
                goto fail;
            }
            snprintf(sql, sizeof sql, "INSERT INTO main.sample (measurement_id, %s) SELECT mmap.nid, %s "
                                      "FROM o.sample x JOIN temp.mmap ON mmap.oid = x.measurement_id", scols, socols);
            if (exec(h, sql, e, sizeof e))
                goto fail;
            s->samples = sqlite3_changes(h);
        }
        if (has_table(h, "o", "run_env") && copy_by_run(h, "run_env", "run_id", e, sizeof e) < 0)
            goto fail;
        if (has_table(h, "o", "tag")) {
            if (exec(h, "INSERT OR IGNORE INTO main.tag (name, run_uuid, tagged_at) SELECT name, run_uuid, tagged_at "
                        "FROM o.tag WHERE run_uuid IN (SELECT uuid FROM main.run)", e, sizeof e))
                goto fail;
            s->tags = sqlite3_changes(h);
        }
        if (has_table(h, "o", "quality")) {
            if (common_cols(h, "quality", ",id,host_id,", cols, sizeof cols, "")
                || common_cols(h, "quality", ",id,host_id,", ocols, sizeof ocols, "x.")) {
                snprintf(e, sizeof e, "cannot read the columns of quality");
                goto fail;
            }
            snprintf(sql, sizeof sql,
                     "INSERT OR IGNORE INTO main.quality (host_id, %s) SELECT (SELECT mh.id FROM main.host mh "
                     "JOIN o.host oh ON oh.fingerprint = mh.fingerprint WHERE oh.id = x.host_id), %s FROM o.quality x",
                     cols, ocols);
            if (exec(h, sql, e, sizeof e))
                goto fail;
            s->quality = sqlite3_changes(h);
        }
    }
    {
        sqlite3_stmt *c;
        if (sqlite3_prepare_v2(h, "SELECT count(*) FROM o.run", -1, &c, NULL) == SQLITE_OK) {
            if (sqlite3_step(c) == SQLITE_ROW)
                s->runs_present = sqlite3_column_int64(c, 0) - s->runs_added;
            sqlite3_finalize(c);
        }
    }
    if (exec(h, "DROP TABLE IF EXISTS temp.rmap; DROP TABLE IF EXISTS temp.mmap; COMMIT", e, sizeof e))
        goto fail;
    exec(h, "DETACH DATABASE o", NULL, 0);
    return qcts_db_sync_(db, err, errlen); /* a PostgreSQL store: to it now */
fail:
    exec(h, "ROLLBACK", NULL, 0);
fail_nolock:
    exec(h, "DETACH DATABASE o", NULL, 0);
    seterr(err, errlen, "merging %s into %s: %s", other, qcts_db_path(db), e);
    return -1;
}

/* ---- export -------------------------------------------------------------------------------- */

static void csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static int dump(sqlite3 *h, FILE *f, const char *sql, int json, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK) {
        seterr(err, errlen, "export: %s", sqlite3_errmsg(h));
        return -1;
    }
    int nc = sqlite3_column_count(st), rc, first = 1;
    if (!json) {
        for (int c = 0; c < nc; c++) {
            if (c)
                fputc(',', f);
            csv_field(f, sqlite3_column_name(st, c));
        }
        fputc('\n', f);
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (json)
            fputs(first ? "\n    {" : ",\n    {", f);
        first = 0;
        for (int c = 0; c < nc; c++) {
            int t = sqlite3_column_type(st, c);
            const char *txt = (const char *)sqlite3_column_text(st, c);
            if (json) {
                fprintf(f, "%s", c ? ", " : "");
                json_str(f, sqlite3_column_name(st, c));
                fputs(": ", f);
                if (t == SQLITE_NULL)
                    fputs("null", f);
                else if (t == SQLITE_INTEGER)
                    fprintf(f, "%lld", (long long)sqlite3_column_int64(st, c));
                else if (t == SQLITE_FLOAT)
                    fprintf(f, "%.17g", sqlite3_column_double(st, c));
                else
                    json_str(f, txt ? txt : "");
            } else {
                if (c)
                    fputc(',', f);
                if (t == SQLITE_FLOAT)
                    fprintf(f, "%.17g", sqlite3_column_double(st, c));
                else if (t != SQLITE_NULL)
                    csv_field(f, txt ? txt : "");
            }
        }
        if (json)
            fputc('}', f);
        else
            fputc('\n', f);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        seterr(err, errlen, "export: %s", sqlite3_errmsg(h));
        return -1;
    }
    if (json && !first)
        fputs("\n  ", f);
    return 0;
}

static const char export_results[] =
    "SELECT r.uuid AS run, r.kind, r.started_at, r.git_commit, h.fingerprint AS host, h.cpu_model, x.* "
    "FROM result x JOIN run r ON r.id = x.run_id JOIN host h ON h.id = r.host_id ORDER BY r.started_at, x.id";
static const char export_meas[] =
    "SELECT r.uuid AS run, r.started_at, r.git_commit, h.fingerprint AS host, h.cpu_model, x.* "
    "FROM measurement x JOIN run r ON r.id = x.run_id JOIN host h ON h.id = r.host_id ORDER BY r.started_at, x.id";

int qcts_db_export(qcts_db *db, FILE *out, int json, char *err, size_t errlen)
{
    if (!json) {
        seterr(err, errlen, "CSV holds one table: export 'results' or 'measurements' (qcts_db_export_table)");
        return -1;
    }
    sqlite3 *h = qcts_db_handle_(db);
    fputs("{\n  \"results\": [", out);
    if (dump(h, out, export_results, json, err, errlen))
        return -1;
    fputs("],\n  \"measurements\": [", out);
    if (dump(h, out, export_meas, json, err, errlen))
        return -1;
    fputs("]\n}\n", out);
    return 0;
}

int qcts_db_export_table(qcts_db *db, FILE *out, const char *table, char *err, size_t errlen)
{
    const char *sql = strcmp(table, "results") == 0 ? export_results
                    : strcmp(table, "measurements") == 0 ? export_meas : NULL;
    if (!sql) {
        seterr(err, errlen, "unknown table '%s' (results or measurements)", table);
        return -1;
    }
    return dump(qcts_db_handle_(db), out, sql, 0, err, errlen);
}
