/* Fuzz target: `qcts db merge` input (qcts_db_merge, db/src/). Each input
 * is written to a file and merged into a fresh, empty results database
 * (a copy of one created at start-up). Merge must succeed or fail with a
 * message; the fresh database must stay intact either way. */
#include "fuzz/fuzz_common.h"
#include "qcts/db.h"
#include "qcts/db_bench.h"

static char fresh[512], other[512];
static uint8_t *empty_db;
static size_t empty_len;

static void remove_db(const char *path)
{
    char p[600];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-journal", path);
    unlink(p);
}

static void setup(void)
{
    fuzz_path(fresh, sizeof fresh, "fresh.db");
    fuzz_path(other, sizeof other, "other.db");
    qcts_db *db;
    char err[QCTS_DB_ERRLEN];
    if (qcts_db_open(fresh, 0, &db, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz: %s\n", err);
        abort();
    }
    qcts_db_close(db);
    FILE *f = fopen(fresh, "rb");
    FUZZ_CHECK(f);
    empty_db = malloc(1 << 20);
    FUZZ_CHECK(empty_db);
    empty_len = fread(empty_db, 1, 1 << 20, f);
    fclose(f);
    FUZZ_CHECK(empty_len > 0 && empty_len < (1 << 20));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!empty_db)
        setup();
    remove_db(fresh);
    remove_db(other);
    fuzz_write(fresh, empty_db, empty_len);
    fuzz_write(other, data, size);
    qcts_db *db;
    char err[QCTS_DB_ERRLEN] = "";
    FUZZ_CHECK(qcts_db_open(fresh, QCTS_DB_OPEN_EXISTING, &db, err, sizeof err) == 0);
    qcts_db_merge_stats st;
    memset(&st, 0, sizeof st);
    if (qcts_db_merge(db, other, &st, err, sizeof err) != 0)
        FUZZ_CHECK(err[0] != '\0');
    char check[256];
    FUZZ_CHECK(qcts_db_integrity_check(db, check, sizeof check, err, sizeof err) == 0);
    FUZZ_CHECK(strcmp(check, "ok") == 0);
    qcts_db_close(db);
    return 0;
}
