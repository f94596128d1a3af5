/* Correct (tiny_plugin.h's int8_per_channel dequant), and every run lasts
 * a fixed time, measured on the clock: 200 us times QCTS_SLOW30_FACTOR
 * (default 1.3, the "30% slower" plugin; 1 makes the normal one). For the
 * regression tests of `qcts compare` (tests/cli/test-compare.sh): a clock
 * deadline rather than a count of instructions keeps the time the same
 * whatever else the machine is doing. */
#include <stdlib.h>
#include <time.h>
#define TINY_NAME "slow30"
#define TINY_AFTER_DEQUANT(y, n) slow30_wait()
static struct timespec slow30_t0;
#define TINY_BEFORE_RUN() clock_gettime(CLOCK_MONOTONIC, &slow30_t0)
static void slow30_wait(void)
{
    const char *e = getenv("QCTS_SLOW30_FACTOR");
    double f = e ? atof(e) : 1.3, want = 200e-6 * (f > 0 ? f : 1.3);
    struct timespec now;
    do
        clock_gettime(CLOCK_MONOTONIC, &now);
    while ((double)(now.tv_sec - slow30_t0.tv_sec) + 1e-9 * (double)(now.tv_nsec - slow30_t0.tv_nsec) < want);
}
#include "tiny_plugin.h"
