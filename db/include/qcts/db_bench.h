/* qcts/db_bench.h — the benchmark side of the results database: roofline,
 * measurements and their raw samples (migration 2 of db/schema.sql), run
 * tags, stored quantization quality, and the whole-database operations
 * `qcts db merge`, `qcts db export`, `qcts db tag`.
 *
 * Writing follows qcts/db.h: qcts_db_run_begin (kind "bench"), then the
 * *_add functions below inside that transaction, then qcts_db_run_commit.
 *
 * RUN SPECS (qcts_db_run_resolve)
 *   a full uuid, a unique uuid prefix (>= 4 hex digits), a tag name, or
 *   "latest" / "latest~N" (the newest run of the kind, or the N-th before
 *   it, by started_at then id), optionally restricted to one host (host id,
 *   fingerprint prefix or a CPU model substring).
 *
 * Errors: 0 or -1 with one line in err, as in qcts/db.h.
 */
#ifndef QCTS_DB_BENCH_H
#define QCTS_DB_BENCH_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "qcts/db.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The SQLite connection of db, for read-only queries (compare, reports). */
sqlite3 *qcts_db_sqlite(qcts_db *db);

/* One roofline number of the run: metric "read"/"copy" (GB/s), "fma"
 * (GFLOP/s, isa set), "llc" (bytes), "counter" (Hz, isa = the counter's
 * name); threads 1 or the cores used. */
int qcts_db_roofline_add(qcts_db_txn *t, const char *metric, const char *isa, int threads, double value,
                         const char *unit, char *err, size_t errlen);
/* The same with the probe's spread ((best - worst) / best; NaN: unknown). */
int qcts_db_roofline_add_spread(qcts_db_txn *t, const char *metric, const char *isa, int threads, double value,
                                const char *unit, double spread, char *err, size_t errlen);

/* The machine during a bench run (migration 3, table run_env). Doubles NaN
 * are stored as NULL. */
typedef struct qcts_db_run_env {
    int repeats;
    uint64_t order_seed;
    double load1_start, load1_end, steal_fraction, other_cpu_share;
    const char *governor, *turbo;
    int busy;
    const char *warning, *roof_checks;
} qcts_db_run_env;

int qcts_db_run_env_add(qcts_db_txn *t, const qcts_db_run_env *e, char *err, size_t errlen);

/* The noise floor of one kernel on a host (migration 3, table noise_floor);
 * replaces the one stored before. host_id: qcts_db_run_host_id. */
typedef struct qcts_db_noise {
    const char *statistic;     /* "median" or "min" */
    const char *backend, *op, *scheme, *shape_set, *shape;
    int threads, cold;
    double floor;
    int pairs;
} qcts_db_noise;

int qcts_db_noise_store(qcts_db *db, int64_t host_id, const qcts_db_noise *n, size_t count, char *err, size_t errlen);
/* The host id of a run; -1 when there is no such run. */
int64_t qcts_db_run_host_id(qcts_db *db, const char *uuid);

typedef struct qcts_db_measurement {
    const char *backend, *variant, *op, *scheme, *shape_set, *shape, *phase;
    int64_t M, N, K;
    int threads, cold;
    const char *status;        /* ok refused skip unavailable error */
    const char *reason;
    int inner;
    double min_s, median_s, mad_s, p90_s, mean_s, cv;
    double bytes, flops, gbs, gflops, cycles_per_weight, roof_fraction, per_token;
    int set_decode_shapes;     /* decode shapes with per_token > 0 in the set */
    const char *cycle_counter, *roof_kind;
    size_t n_samples;
    const double *samples;     /* seconds per call */
    const int *sample_rep;     /* the repetition of each sample; NULL: none */
    int repeats;               /* 0: unknown (stored as NULL) */
    double iqr_s;
    const char *ceiling_level;
    int over_ceiling;
} qcts_db_measurement;

int qcts_db_measurement_add(qcts_db_txn *t, const qcts_db_measurement *m, char *err, size_t errlen);

/* ---- quality (qcts quality --db) ------------------------------------------------ */

typedef struct qcts_db_quality {
    const char *scheme, *dist, *seed, *note;
    int64_t rows, cols;
    double bits_per_weight, mse, nmse, snr_db, cosine, max_abs, kl;
} qcts_db_quality;

/* Stores n rows as one batch (one transaction, a new batch uuid, the host). */
int qcts_db_quality_store(qcts_db *db, const qcts_db_quality *q, size_t n, const char *command_line, char *err,
                          size_t errlen);

/* ---- runs ------------------------------------------------------------------------- */

/* kind: "bench", "check" or NULL (any); host: NULL or a host spec. */
int qcts_db_run_resolve(qcts_db *db, const char *spec, const char *kind, const char *host, char uuid[37],
                        char *err, size_t errlen);
/* Tags run (any run spec) as name; an existing tag of that name moves. */
int qcts_db_tag(qcts_db *db, const char *run, const char *name, char uuid[37], char *err, size_t errlen);

/* ---- merge and export ---------------------------------------------------------------- */

typedef struct qcts_db_merge_stats {
    int64_t runs_added, runs_present, hosts_added, results, measurements, samples, roofline, tags, quality;
} qcts_db_merge_stats;

/* Imports every run of the database file `other` (uuid not yet present)
 * with its results, roofline, measurements and samples, hosts matched by
 * fingerprint, tags whose name is not taken and stored quality batches not
 * yet present; one transaction. Merging the same file twice adds nothing. */
int qcts_db_merge(qcts_db *db, const char *other, qcts_db_merge_stats *st, char *err, size_t errlen);

/* Results and measurements (one row each, with run uuid, host, ...) as one
 * JSON object {"results": [...], "measurements": [...]} (json must be 1:
 * CSV is one table per file, qcts_db_export_table). */
int qcts_db_export(qcts_db *db, FILE *out, int json, char *err, size_t errlen);
/* One table as CSV (a header line, then one line per row): "results" or
 * "measurements". One table per file, so any CSV reader takes the first
 * line as the header. 0, or -1 with err set. */
int qcts_db_export_table(qcts_db *db, FILE *out, const char *table, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
