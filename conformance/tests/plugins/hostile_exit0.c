/* Calls exit(0) in run on small dequant calls (rows < 4; in the golden set
 * int8_per_channel c000 and c002), correct otherwise. In-process this ended
 * qcts with status 0 and nothing recorded; isolated, those cases are ERROR
 * naming the exit status and the run goes on. */
#include <stdlib.h>
#define TINY_NAME "hostile_exit0"
#define TINY_BEFORE_RUN() do { if (c->rows < 4) exit(0); } while (0)
#include "tiny_plugin.h"
