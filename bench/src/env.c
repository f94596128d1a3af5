/* The machine's state during a bench run (qcts/bench_env.h). */
#include "qcts/bench_env.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static double load1(void)
{
    double v = NAN;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &v) != 1)
            v = NAN;
        fclose(f);
    }
    return v;
}

/* jiffies of the "cpu" line: total, busy (not idle, not iowait), steal */
static int cpu_jiffies(uint64_t *total, uint64_t *busy, uint64_t *steal)
{
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return -1;
    unsigned long long v[10] = { 0 };
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
                   &v[5], &v[6], &v[7], &v[8], &v[9]);
    fclose(f);
    if (n < 4)
        return -1;
    /* guest time (v[8], v[9]) is already inside user and nice */
    uint64_t t = 0;
    for (int i = 0; i < 8 && i < n; i++)
        t += v[i];
    *total = t;
    *steal = n > 7 ? v[7] : 0;
    *busy = t - v[3] - (n > 4 ? v[4] : 0) - *steal;
    return 0;
}

static double self_cpu_seconds(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return NAN;
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_sec
           + 1e-6 * (double)ru.ru_stime.tv_usec;
}

static void read_line(const char *path, char *out, size_t n)
{
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    if (fgets(out, (int)n, f))
        out[strcspn(out, "\r\n")] = '\0';
    fclose(f);
}

void qcts_env_begin(qcts_env *e)
{
    memset(e, 0, sizeof *e);
    e->load1_start = load1();
    e->ok0 = cpu_jiffies(&e->j_total0, &e->j_busy0, &e->j_steal0) == 0;
    e->self0 = self_cpu_seconds();
}

int qcts_env_judge(double load1_start, int cpus, double other_share, double steal, char *warning, size_t n)
{
    char w[256] = "";
    size_t l = 0;
    if (other_share > 0.10)
        l += (size_t)snprintf(w + l, sizeof w - l, "other processes used %.0f%% of the CPUs; ", 100 * other_share);
    if (steal > 0.05 && l < sizeof w)
        l += (size_t)snprintf(w + l, sizeof w - l, "the hypervisor stole %.0f%% of the CPU time; ", 100 * steal);
    if (cpus > 0 && load1_start > 0.5 * cpus && l < sizeof w)
        l += (size_t)snprintf(w + l, sizeof w - l, "load average %.2f at the start on %d CPUs; ", load1_start, cpus);
    if (l >= 2 && l < sizeof w)
        w[l - 2] = '\0';
    if (warning && n)
        snprintf(warning, n, "%s", w);
    return w[0] != '\0';
}

void qcts_env_end(qcts_env *e)
{
    e->load1_end = load1();
    e->steal_fraction = e->other_cpu_share = NAN;
    uint64_t t, b, s;
    double self1 = self_cpu_seconds();
    long hz = sysconf(_SC_CLK_TCK);
    if (e->ok0 && cpu_jiffies(&t, &b, &s) == 0 && t > e->j_total0 && hz > 0) {
        double dt = (double)(t - e->j_total0);
        e->steal_fraction = (double)(s - e->j_steal0) / dt;
        double self = (self1 - e->self0) * (double)hz;
        double other = ((double)(b - e->j_busy0) - self) / dt;
        e->other_cpu_share = other < 0 ? 0 : other;
    }
    read_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", e->governor, sizeof e->governor);
    if (!e->governor[0])
        snprintf(e->governor, sizeof e->governor, "unavailable");
    char v[32];
    read_line("/sys/devices/system/cpu/intel_pstate/no_turbo", v, sizeof v);
    if (v[0]) {
        snprintf(e->turbo, sizeof e->turbo, "%s", v[0] == '0' ? "on" : "off");
    } else {
        read_line("/sys/devices/system/cpu/cpufreq/boost", v, sizeof v);
        snprintf(e->turbo, sizeof e->turbo, "%s", !v[0] ? "unavailable" : v[0] == '1' ? "on" : "off");
    }
    long nc = sysconf(_SC_NPROCESSORS_ONLN);
    if (isnan(e->other_cpu_share) && isnan(e->load1_start)) {
        snprintf(e->warning, sizeof e->warning, "machine load could not be read (no /proc)");
        e->busy = 0;
        return;
    }
    e->busy = qcts_env_judge(e->load1_start, nc > 0 ? (int)nc : 1, e->other_cpu_share, e->steal_fraction,
                             e->warning, sizeof e->warning);
}
