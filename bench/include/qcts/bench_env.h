/* qcts/bench_env.h — the state of the machine during a bench run (issue 11:
 * a number measured on a busy machine must say so).
 *
 * qcts_env_begin() reads, at the start of the run:
 *   /proc/loadavg   the 1-minute load average
 *   /proc/stat      the "cpu" line (jiffies of all CPUs: user nice system
 *                   idle iowait irq softirq steal)
 *   getrusage       this process's CPU time (every thread)
 * qcts_env_end() reads them again and derives
 *   steal_fraction   steal jiffies / all jiffies over the run
 *   other_cpu_share  (busy jiffies - this process's CPU time) / all jiffies:
 *                    the share of the machine that other processes used
 *                    (0.5 on 2 CPUs = one CPU's worth)
 *   governor, turbo  cpufreq scaling_governor of cpu0, and intel_pstate
 *                    no_turbo or cpufreq/boost; "unavailable" where the
 *                    files are missing (VMs usually hide them)
 *   busy, warning    busy = other_cpu_share > 0.10, or steal_fraction >
 *                    0.05, or the start load above 0.5 x CPUs; warning
 *                    says which, in one line.
 * Fields not readable (no /proc) are NaN; busy is then 0 and warning says
 * nothing could be read.
 */
#ifndef QCTS_BENCH_ENV_H
#define QCTS_BENCH_ENV_H

#include <stddef.h>
#include <stdint.h>

typedef struct qcts_env {
    double load1_start, load1_end, steal_fraction, other_cpu_share;
    char governor[64], turbo[32];
    int busy;
    char warning[256];
    /* private: the start readings */
    uint64_t j_total0, j_busy0, j_steal0;
    double self0;
    int ok0;
} qcts_env;

void qcts_env_begin(qcts_env *e);
void qcts_env_end(qcts_env *e);

/* The rule behind busy (tested on its own): 1 busy, and why in warning. */
int qcts_env_judge(double load1_start, int cpus, double other_share, double steal, char *warning, size_t n);

#endif
