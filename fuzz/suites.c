/* Fuzz target: suite definitions (qcts_suites_load, vectors/src/suites.c).
 * Each input is the only .json file of a suites folder. A definition must
 * load or be refused with a message; a loaded set must answer every query. */
#include "fuzz/fuzz_common.h"
#include "qcts/vectors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char file[512];
    static const char *dir;
    if (!dir) {
        dir = fuzz_tmpdir();
        fuzz_path(file, sizeof file, "fuzz.json");
    }
    fuzz_write(file, data, size);
    qcts_suite_set *set = NULL;
    char err[QCTS_VEC_ERRLEN] = "";
    qcts_vec_status st = qcts_suites_load(dir, &set, err, sizeof err);
    if (st != QCTS_VEC_OK) {
        FUZZ_CHECK(set == NULL && err[0] != '\0');
        return 0;
    }
    for (size_t i = 0; i < qcts_suites_count(set); i++) {
        const qcts_suite_info *s = qcts_suites_at(set, i);
        FUZZ_CHECK(s && s->name && s->group && s->op && s->target && s->detail && s->source);
        FUZZ_CHECK(qcts_suites_find(set, s->name) == (long)i);
    }
    FUZZ_CHECK(qcts_suites_at(set, qcts_suites_count(set)) == NULL);
    for (size_t i = 0; i < qcts_suites_skip_count(set); i++)
        FUZZ_CHECK(qcts_suites_skip_at(set, i) != NULL);
    qcts_suites_free(set);
    return 0;
}
