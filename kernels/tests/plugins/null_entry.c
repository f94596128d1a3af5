/* The entry function returns NULL: refused. */
#include <stddef.h>

#include "qcts/backend.h"

const qcts_backend *qcts_backend_entry(void);
const qcts_backend *qcts_backend_entry(void)
{
    return NULL;
}
