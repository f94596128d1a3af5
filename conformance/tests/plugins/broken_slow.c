/* Correct, but every run sleeps BROKEN_SLOW_SECONDS (default 30) first:
 * for the harness's timeout (ERROR, not a hang). For exec backends use
 * slow_exec.sh instead. */
#include <stdlib.h>
#include <time.h>
#define TINY_NAME "broken_slow"
#define TINY_BEFORE_RUN() slow_down()
static void slow_down(void)
{
    const char *e = getenv("BROKEN_SLOW_SECONDS");
    struct timespec ts = { e ? atoi(e) : 30, 0 };
    while (nanosleep(&ts, &ts) != 0)
        ;
}
#include "tiny_plugin.h"
