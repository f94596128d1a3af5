/* Right ABI version, wrong struct_size: refused, naming both sizes. */
#include "qcts/backend.h"

static const qcts_backend backend = {
    .abi_version = QCTS_BACKEND_ABI_VERSION,
    .struct_size = sizeof(qcts_backend) - 8,
    .name = "bad_size",
};

const qcts_backend *qcts_backend_entry(void);
const qcts_backend *qcts_backend_entry(void)
{
    return &backend;
}
