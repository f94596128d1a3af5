/* Fuzz target: bench shape files (qcts_shape_set_load, bench/src/shapes.c).
 * Each input is a shape-set file given by path. It must load or be refused
 * with a message; a loaded set holds what it says. */
#include "fuzz/fuzz_common.h"
#include "qcts/bench.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char file[512];
    if (!file[0])
        fuzz_path(file, sizeof file, "fuzz.json");
    fuzz_write(file, data, size);
    qcts_shape_set *s = NULL;
    char err[1024] = "";
    if (qcts_shape_set_load(file, NULL, &s, err, sizeof err) != 0) {
        FUZZ_CHECK(s == NULL && err[0] != '\0');
        return 0;
    }
    FUZZ_CHECK(s != NULL);
    FUZZ_CHECK(s->n_shapes == 0 || s->shapes != NULL);
    for (size_t i = 0; i < s->n_schemes; i++)
        FUZZ_CHECK(s->schemes[i] != NULL);
    qcts_shape_set_free(s);
    return 0;
}
