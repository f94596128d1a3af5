/* A plugin built for a future ABI version: the loader must refuse it,
 * naming both versions. */
#include "qcts/backend.h"

static const qcts_backend backend = {
    .abi_version = QCTS_BACKEND_ABI_VERSION + 41,
    .struct_size = sizeof(qcts_backend),
    .name = "bad_abi",
};

const qcts_backend *qcts_backend_entry(void);
const qcts_backend *qcts_backend_entry(void)
{
    return &backend;
}
