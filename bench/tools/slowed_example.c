/* slowed_example.c — conformance/examples/plugin_example.c (int8_per_channel
 * dequant, FP8 convert) with every run made QCTS_SLOWED_PCT percent slower
 * (default 0): the run is timed on the clock and then busy-waits until
 * (1 + pct / 100) x its own time has passed. The slowdown is therefore
 * relative to each call, whatever the machine is doing, which is what the
 * regression experiments (bench/tools/aa-experiment.sh) need: a known +3% or
 * +10% on a real kernel. Built as $(BUILD)/bench-plugins/slowed_example.so. */
#include <stdlib.h>
#include <time.h>

#define qcts_backend_entry plugin_example_entry_
#include "../../conformance/examples/plugin_example.c"
#undef qcts_backend_entry

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double slow_factor = -1;

static qcts_status slowed_run(qcts_call *c, char *msg, size_t n)
{
    if (slow_factor < 0) {
        const char *e = getenv("QCTS_SLOWED_PCT");
        double pct = e ? atof(e) : 0;
        slow_factor = pct > 0 && pct < 1000 ? pct / 100 : 0;
    }
    double t0 = now_s();
    qcts_status st = run(c, msg, n);
    double dt = now_s() - t0, until = t0 + dt * (1 + slow_factor);
    while (slow_factor > 0 && now_s() < until)
        ;
    return st;
}

static qcts_backend slowed;

const qcts_backend *qcts_backend_entry(void);
const qcts_backend *qcts_backend_entry(void)
{
    slowed = backend;
    slowed.name = "slowed_example";
    slowed.description = "plugin_example with every run QCTS_SLOWED_PCT percent slower (busy-wait)";
    slowed.run = slowed_run;
    return &slowed;
}
