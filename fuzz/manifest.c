/* Fuzz target: manifest verification (qcts_vectors_verify in
 * vectors/src/manifest.c). At start-up a one-suite vector set
 * (fuzz/manifest-suites) is generated into a private folder; each input
 * becomes that folder's MANIFEST.json and the folder is verified. Verify
 * may only succeed for the exact manifest gen wrote (it compares byte for
 * byte), and must never crash, hang or read outside the folder. */
#include "fuzz/fuzz_common.h"
#include "qcts/vectors.h"

static qcts_suite_set *set;
static char golden[512], manifest[600];
static uint8_t *good;     /* the manifest gen wrote */
static size_t good_len;

static void setup(void)
{
    char err[QCTS_VEC_ERRLEN];
    if (qcts_suites_load(QCTS_FUZZ_SRC_DIR "/fuzz/manifest-suites", &set, err, sizeof err) != QCTS_VEC_OK) {
        fprintf(stderr, "fuzz: %s\n", err);
        abort();
    }
    fuzz_path(golden, sizeof golden, "golden");
    qcts_vec_opts o = { .version = "0.1.0", .jobs = 1, .log = NULL };
    if (qcts_vectors_gen(set, NULL, golden, &o, err, sizeof err) != QCTS_VEC_OK) {
        fprintf(stderr, "fuzz: %s\n", err);
        abort();
    }
    snprintf(manifest, sizeof manifest, "%s/%s", golden, QCTS_VEC_MANIFEST);
    FILE *f = fopen(manifest, "rb");
    FUZZ_CHECK(f);
    good = malloc(1 << 16);
    FUZZ_CHECK(good);
    good_len = fread(good, 1, 1 << 16, f);
    fclose(f);
    FUZZ_CHECK(good_len > 0 && good_len < (1 << 16));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!set)
        setup();
    fuzz_write(manifest, data, size);
    char err[QCTS_VEC_ERRLEN] = "";
    qcts_vec_opts o = { .version = "0.1.0", .jobs = 1, .log = NULL };
    qcts_vec_status st = qcts_vectors_verify(set, golden, 0, &o, err, sizeof err);
    if (st == QCTS_VEC_OK)
        FUZZ_CHECK(size == good_len && memcmp(data, good, size) == 0);
    else
        FUZZ_CHECK(err[0] != '\0');
    return 0;
}
