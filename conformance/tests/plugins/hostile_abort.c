/* abort() in run on small dequant calls (rows < 4), correct otherwise:
 * ERROR naming SIGABRT. */
#include <stdlib.h>
#define TINY_NAME "hostile_abort"
#define TINY_BEFORE_RUN() do { if (c->rows < 4) abort(); } while (0)
#include "tiny_plugin.h"
