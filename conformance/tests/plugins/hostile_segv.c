/* A real segmentation fault (a write to a PROT_NONE page) in run on small
 * dequant calls (rows < 4), correct otherwise: ERROR naming SIGSEGV. */
#include <stddef.h>
#include <sys/mman.h>
#define TINY_NAME "hostile_segv"
#define TINY_BEFORE_RUN() do { if (c->rows < 4) hostile_segv(); } while (0)
static void hostile_segv(void)
{
    volatile char *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED)
        p[0] = 1;
}
#include "tiny_plugin.h"
