/* Correct dequant, but variant() segfaults. Isolated, the variant is asked
 * for with fetch, so the crash makes that step an ERROR (a variant() that
 * crashed after the outputs were in would otherwise go unnoticed). */
#include <stddef.h>
#include <sys/mman.h>

#include "qcts/backend.h"

static const char *hostile_variant(const qcts_call *c)
{
    (void)c;
    volatile char *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED)
        p[0] = 1;
    return "never";
}
#define TINY_NAME "hostile_variant_segv"
#define TINY_VARIANT hostile_variant
#include "tiny_plugin.h"
