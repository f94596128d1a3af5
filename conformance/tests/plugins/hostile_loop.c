/* Spins forever (busy, not sleeping) in run on small dequant calls
 * (rows < 4), correct otherwise: ERROR after the timeout, the process
 * killed. */
#define TINY_NAME "hostile_loop"
#define TINY_BEFORE_RUN() do { if (c->rows < 4) hostile_spin(); } while (0)
static void hostile_spin(void)
{
    volatile int forever = 1;
    while (forever)
        ;
}
#include "tiny_plugin.h"
