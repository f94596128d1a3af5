/* The bench table, the tokens/s projection and the JSON report. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qcts/bench.h"
#include "bench_device.h"

static void num(char *b, size_t n, const char *fmt, double v)
{
    if (isnan(v))
        snprintf(b, n, "-");
    else
        snprintf(b, n, fmt, v);
}

void qcts_bench_print_scaling(FILE *f, const qcts_bench_report *r)
{
    int header = 0;
    for (size_t i = 0; i < r->n; i++) {
        const qcts_measurement *m = &r->m[i];
        if (strcmp(m->status, "ok") != 0)
            continue;
        const qcts_measurement *one = NULL;
        for (size_t j = 0; j < r->n && !one; j++) {
            const qcts_measurement *o = &r->m[j];
            if (o->threads == 1 && strcmp(o->status, "ok") == 0 && strcmp(o->backend, m->backend) == 0
                && strcmp(o->op, m->op) == 0 && strcmp(o->scheme, m->scheme) == 0 && strcmp(o->shape, m->shape) == 0
                && o->M == m->M && o->N == m->N && o->K == m->K)
                one = o;
        }
        if (!one || m->threads == 1)
            continue;
        if (!header) {
            fprintf(f, "\nthread scaling (median of 1 thread / median of t threads; efficiency = speed-up / t; %% of "
                       "the 1-core and of the all-core ceiling, %d cores)\n", r->roof.cores);
            fprintf(f, "%-10s %-7s %-15s %-22s %3s %10s %10s %8s %6s %7s %7s\n", "backend", "op", "scheme",
                    "shape (MxNxK)", "thr", "t1 us", "t us", "speed-up", "eff%", "%roof1", "%roofN");
            header = 1;
        }
        char shape[96];
        snprintf(shape, sizeof shape, "%s %lldx%lldx%lld", m->shape, (long long)m->M, (long long)m->N,
                 (long long)m->K);
        const char *b = strncmp(m->backend, "plugin:", 7) == 0 && strrchr(m->backend, '/') ? strrchr(m->backend, '/') + 1
                                                                                             : m->backend;
        double sp = one->s.median / m->s.median;
        fprintf(f, "%-10.10s %-7s %-15s %-22s %3d %10.2f %10.2f %8.2f %6.1f %7.1f %7.1f\n", b, m->op, m->scheme,
                shape, m->threads, one->s.median * 1e6, m->s.median * 1e6, sp, 100 * sp / m->threads,
                100 * m->roof_1core, 100 * m->roof_allcore);
    }
}

double qcts_bench_projection(const qcts_bench_report *r, const char *backend, const char *scheme, int threads)
{
    double sec = 0;
    int any = 0, n = 0;
    for (size_t i = 0; i < r->n; i++) {
        const qcts_measurement *m = &r->m[i];
        if (strcmp(m->backend, backend) != 0 || strcmp(m->scheme, scheme) != 0 || m->per_token <= 0
            || strcmp(m->phase, "decode") != 0 || (strcmp(m->op, "dequant") != 0 && m->threads != threads))
            continue;
        if (strcmp(m->status, "ok") != 0)
            return 0;
        sec += m->s.median * m->per_token;
        any = 1;
        n++;
    }
    return any && sec > 0 && n == r->set_decode_shapes ? 1.0 / sec : 0;
}

void qcts_bench_print(FILE *f, const qcts_bench_report *r)
{
    const qcts_roofline *rf = &r->roof;
    const qcts_env *e = &r->env;
    fprintf(f, "machine: load %.2f -> %.2f, other processes %.0f%% of the CPUs, steal %.1f%%, governor %s, turbo %s\n",
            e->load1_start, e->load1_end, 100 * e->other_cpu_share, 100 * e->steal_fraction, e->governor, e->turbo);
    if (e->busy)
        fprintf(f, "WARNING: the machine was busy (%s): timings are slower and noisier than on a calm machine\n",
                e->warning);
    fprintf(f, "roofline (best of the probe's passes; spread in brackets; 1 core / %d cores):\n", rf->cores);
    fprintf(f, "          read DRAM %.1f [%.0f%%] / %.1f GB/s, LLC %.1f / %.1f, L2 %.1f / %.1f; copy %.1f / %.1f GB/s;"
               " LLC %zu MiB, L2 %zu KiB\n", rf->read_gbs[0], 100 * rf->read_spread[0], rf->read_gbs[1],
            rf->read_llc_gbs[0], rf->read_llc_gbs[1], rf->read_l2_gbs[0], rf->read_l2_gbs[1], rf->copy_gbs[0],
            rf->copy_gbs[1], rf->llc_bytes >> 20, rf->l2_bytes >> 10);
    fprintf(f, "          store (memset) DRAM %.1f / %.1f, LLC %.1f / %.1f, L2 %.1f / %.1f GB/s\n", rf->store_gbs[0],
            rf->store_gbs[1], rf->store_llc_gbs[0], rf->store_llc_gbs[1], rf->store_l2_gbs[0], rf->store_l2_gbs[1]);
    fprintf(f, "          FMA peak GFLOP/s:");
    for (int i = 0; i < rf->n_fma; i++)
        fprintf(f, " %s %.1f [%.0f%%] / %.1f%s", rf->fma[i].isa, rf->fma[i].gflops[0], 100 * rf->fma[i].spread[0],
                rf->fma[i].gflops[1], i + 1 < rf->n_fma ? ";" : "");
    fprintf(f, "\n          cycle counter: %s at %.3f GHz\n", rf->counter[0] ? rf->counter : "none",
            rf->counter_hz * 1e-9);
    fprintf(f, "          self-checks: %s\n", rf->checks[0] ? rf->checks : "not run");
    fprintf(f, "repetitions: %d per kernel, interleaved in random order (seed %llu); median and MAD/IQR are over the "
               "repetition medians\n\n", r->repeat, (unsigned long long)r->seed);
    fprintf(f, "%-10s %-7s %-15s %-22s %3s %-8s %10s %6s %6s %8s %8s %7s %6s  %s\n", "backend", "op", "scheme",
            "shape (MxNxK)", "thr", "status", "median us", "MAD%", "IQR%", "GB/s", "GFLOP/s", "cyc/w", "%roof",
            "variant / reason");
    for (size_t i = 0; i < r->n; i++) {
        const qcts_measurement *m = &r->m[i];
        char shape[96], med[24], mad[16], cv[16], gbs[16], gf[16], cyc[16], roof[16];
        snprintf(shape, sizeof shape, "%s %lldx%lldx%lld", m->shape, (long long)m->M, (long long)m->N,
                 (long long)m->K);
        num(med, sizeof med, "%.2f", m->s.median * 1e6);
        num(mad, sizeof mad, "%.1f", m->s.mad / m->s.median * 100);
        num(cv, sizeof cv, "%.1f", m->iqr / m->s.median * 100);
        num(gbs, sizeof gbs, "%.2f", m->gbs);
        num(gf, sizeof gf, "%.2f", m->gflops);
        num(cyc, sizeof cyc, "%.3f", m->cycles_per_weight);
        num(roof, sizeof roof, m->over_ceiling ? "%.0f!" : "%.1f", m->roof_fraction * 100);
        const char *b = strncmp(m->backend, "plugin:", 7) == 0 && strrchr(m->backend, '/') ? strrchr(m->backend, '/') + 1
                                                                                             : m->backend;
        char note[640];
        if (strcmp(m->status, "ok") == 0)
            snprintf(note, sizeof note, "%s vs %s%s", m->variant[0] ? m->variant : "-", m->roof_kind,
                     m->over_ceiling ? " (ABOVE ITS CEILING: see the roofline self-checks)" : "");
        else
            snprintf(note, sizeof note, "%s", m->reason);
        fprintf(f, "%-10.10s %-7s %-15s %-22s %3d %-8s %10s %6s %6s %8s %8s %7s %6s  %s\n", b, m->op, m->scheme,
                shape, m->threads, m->status, med, mad, cv, gbs, gf, cyc, roof, note);
    }
    qcts_bench_print_scaling(f, r);
    /* projection */
    int header = 0;
    for (size_t i = 0; i < r->n; i++) {
        const qcts_measurement *m = &r->m[i];
        if (strcmp(m->status, "ok") != 0 || m->per_token <= 0 || strcmp(m->phase, "decode") != 0)
            continue;
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(r->m[j].backend, m->backend) == 0 && strcmp(r->m[j].scheme, m->scheme) == 0
                   && r->m[j].threads == m->threads && strcmp(r->m[j].status, "ok") == 0 && r->m[j].per_token > 0
                   && strcmp(r->m[j].phase, "decode") == 0;
        if (seen)
            continue;
        double tps = qcts_bench_projection(r, m->backend, m->scheme, m->threads);
        if (!header) {
            fprintf(f, "\ndecode tokens/s, weights-only upper bound (1 / the sum over every decode GEMV of the "
                       "%s set of median x calls per token; attention, norms and the rest are not counted)\n",
                    r->shape_set);
            header = 1;
        }
        if (tps > 0)
            fprintf(f, "  %-24s %-16s t%-3d %10.2f tokens/s\n", m->backend, m->scheme, m->threads, tps);
        else
            fprintf(f, "  %-24s %-16s t%-3d %10s (not every decode shape of the set was timed)\n", m->backend, m->scheme,
                    m->threads, "-");
    }
    size_t counts[5] = { 0 };
    static const char *const st[5] = { "ok", "refused", "skip", "unavailable", "error" };
    for (size_t i = 0; i < r->n; i++)
        for (int k = 0; k < 5; k++)
            if (strcmp(r->m[i].status, st[k]) == 0)
                counts[k]++;
    fprintf(f, "\ntimed: %zu refused: %zu skipped: %zu unavailable: %zu errors: %zu (%.1f s)\n", counts[0], counts[1],
            counts[2], counts[3], counts[4], r->seconds);
    qcts_bench_device_print(f, r);   /* the GPU table, when a GPU backend ran (bench_cuda.c) */
}

static void add_num(cJSON *o, const char *k, double v)
{
    if (isnan(v) || isinf(v))
        cJSON_AddNullToObject(o, k);
    else
        cJSON_AddNumberToObject(o, k, v);
}

char *qcts_bench_json(const qcts_bench_report *r, const char *run_uuid, const char *command_line)
{
    cJSON *j = cJSON_CreateObject();
    if (!j)
        return NULL;
    cJSON_AddStringToObject(j, "generated_by", command_line ? command_line : "qcts bench");
    if (run_uuid)
        cJSON_AddStringToObject(j, "run", run_uuid);
    cJSON_AddStringToObject(j, "shape_set", r->shape_set);
    cJSON *rf = cJSON_AddObjectToObject(j, "roofline");
    cJSON_AddNumberToObject(rf, "llc_bytes", (double)r->roof.llc_bytes);
    cJSON_AddNumberToObject(rf, "cores", r->roof.cores);
    add_num(rf, "read_gbs_1core", r->roof.read_gbs[0]);
    add_num(rf, "read_gbs_all", r->roof.read_gbs[1]);
    add_num(rf, "copy_gbs_1core", r->roof.copy_gbs[0]);
    add_num(rf, "copy_gbs_all", r->roof.copy_gbs[1]);
    cJSON *fa = cJSON_AddArrayToObject(rf, "fma");
    for (int i = 0; i < r->roof.n_fma; i++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "isa", r->roof.fma[i].isa);
        add_num(x, "gflops_1core", r->roof.fma[i].gflops[0]);
        add_num(x, "gflops_all", r->roof.fma[i].gflops[1]);
        cJSON_AddItemToArray(fa, x);
    }
    cJSON_AddStringToObject(rf, "cycle_counter", r->roof.counter);
    cJSON_AddStringToObject(rf, "self_checks", r->roof.checks);
    add_num(rf, "read_l2_gbs_1core", r->roof.read_l2_gbs[0]);
    add_num(rf, "read_llc_gbs_1core", r->roof.read_llc_gbs[0]);
    cJSON *env = cJSON_AddObjectToObject(j, "machine");
    add_num(env, "load1_start", r->env.load1_start);
    add_num(env, "load1_end", r->env.load1_end);
    add_num(env, "steal_fraction", r->env.steal_fraction);
    add_num(env, "other_cpu_share", r->env.other_cpu_share);
    cJSON_AddStringToObject(env, "governor", r->env.governor);
    cJSON_AddStringToObject(env, "turbo", r->env.turbo);
    cJSON_AddBoolToObject(env, "busy", r->env.busy);
    cJSON_AddStringToObject(env, "warning", r->env.warning);
    cJSON_AddNumberToObject(j, "repeat", r->repeat);
    cJSON_AddNumberToObject(j, "order_seed", (double)r->seed);
    add_num(rf, "cycle_counter_hz", r->roof.counter_hz);
    cJSON *ms = cJSON_AddArrayToObject(j, "measurements");
    for (size_t i = 0; i < r->n; i++) {
        const qcts_measurement *m = &r->m[i];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "backend", m->backend);
        cJSON_AddStringToObject(x, "variant", m->variant);
        cJSON_AddStringToObject(x, "op", m->op);
        cJSON_AddStringToObject(x, "scheme", m->scheme);
        cJSON_AddStringToObject(x, "shape", m->shape);
        cJSON_AddStringToObject(x, "phase", m->phase);
        cJSON_AddNumberToObject(x, "M", (double)m->M);
        cJSON_AddNumberToObject(x, "N", (double)m->N);
        cJSON_AddNumberToObject(x, "K", (double)m->K);
        cJSON_AddNumberToObject(x, "threads", m->threads);
        if (strcmp(m->status, "ok") == 0) {
            add_num(x, "roof_1core", m->roof_1core);
            add_num(x, "roof_allcore", m->roof_allcore);
        }
        cJSON_AddBoolToObject(x, "cold", m->cold);
        cJSON_AddStringToObject(x, "status", m->status);
        cJSON_AddStringToObject(x, "reason", m->reason);
        add_num(x, "min_s", m->s.min);
        add_num(x, "median_s", m->s.median);
        add_num(x, "mad_s", m->s.mad);
        add_num(x, "p90_s", m->s.p90);
        add_num(x, "cv", m->s.cv);
        add_num(x, "gbs", m->gbs);
        add_num(x, "gflops", m->gflops);
        add_num(x, "cycles_per_weight", m->cycles_per_weight);
        add_num(x, "roof_fraction", m->roof_fraction);
        cJSON_AddStringToObject(x, "roof_kind", m->roof_kind);
        cJSON_AddStringToObject(x, "ceiling_level", m->ceiling_level);
        cJSON_AddBoolToObject(x, "over_ceiling", m->over_ceiling);
        cJSON_AddNumberToObject(x, "repeats", m->repeats);
        add_num(x, "iqr_s", m->iqr);
        cJSON *rm = cJSON_AddArrayToObject(x, "rep_median_s");
        for (int k = 0; k < m->repeats && m->rep_median; k++)
            cJSON_AddItemToArray(rm, cJSON_CreateNumber(m->rep_median[k]));
        add_num(x, "bytes", m->bytes);
        add_num(x, "per_token", m->per_token);
        cJSON_AddNumberToObject(x, "inner", m->inner);
        cJSON *sa = cJSON_AddArrayToObject(x, "samples_s");
        for (size_t k = 0; k < m->n_samples; k++)
            cJSON_AddItemToArray(sa, cJSON_CreateNumber(m->samples[k]));
        cJSON_AddItemToArray(ms, x);
    }
    char *s = cJSON_Print(j);
    cJSON_Delete(j);
    return s;
}

/* ---- Google Benchmark JSON (docs/formats: "bench --gbench") -------------------
 * The format of `benchmark --benchmark_format=json`, schema version 1, so
 * Google Benchmark's tools/compare.py and the dashboards that read it take
 * qcts results. One benchmark family per timed kernel; one "iteration" entry
 * per repetition (real_time = that repetition's median time per call, in ns),
 * then the aggregates mean, median and stddev over the repetitions. qcts
 * times wall clock only: cpu_time repeats real_time. Kernels that were not
 * timed (skip, refused, ...) are listed with their reason in the context's
 * "qcts_not_timed" (compare.py needs a time in every benchmark entry). */
static void gb_name(char *b, size_t n, const qcts_measurement *m)
{
    snprintf(b, n, "%s/%s/%s/%s/%lldx%lldx%lld/threads:%d%s", m->backend, m->op, m->scheme, m->shape,
             (long long)m->M, (long long)m->N, (long long)m->K, m->threads, m->cold ? "/cold" : "");
}

static cJSON *gb_entry(const char *name, const char *run_name, int family, int reps, int threads)
{
    cJSON *x = cJSON_CreateObject();
    cJSON_AddStringToObject(x, "name", name);
    cJSON_AddNumberToObject(x, "family_index", family);
    cJSON_AddNumberToObject(x, "per_family_instance_index", 0);
    cJSON_AddStringToObject(x, "run_name", run_name);
    cJSON_AddStringToObject(x, "run_type", "iteration");
    cJSON_AddNumberToObject(x, "repetitions", reps);
    cJSON_AddNumberToObject(x, "threads", threads);
    return x;
}

static void gb_times(cJSON *x, const qcts_measurement *m, double sec)
{
    cJSON_AddNumberToObject(x, "real_time", sec * 1e9);
    cJSON_AddNumberToObject(x, "cpu_time", sec * 1e9);
    cJSON_AddStringToObject(x, "time_unit", "ns");
    if (m->bytes > 0 && sec > 0)
        cJSON_AddNumberToObject(x, "bytes_per_second", m->bytes / sec);
    if (m->flops > 0 && sec > 0)
        cJSON_AddNumberToObject(x, "FLOPS", m->flops / sec);
}

char *qcts_bench_gbench_json(const qcts_bench_report *r, const char *run_uuid, const char *host_name,
                             const char *date)
{
    cJSON *j = cJSON_CreateObject();
    if (!j)
        return NULL;
    cJSON *c = cJSON_AddObjectToObject(j, "context");
    cJSON_AddStringToObject(c, "date", date ? date : "");
    cJSON_AddStringToObject(c, "host_name", host_name ? host_name : "");
    cJSON_AddStringToObject(c, "executable", "qcts bench");
    cJSON_AddNumberToObject(c, "num_cpus", r->roof.cores);
    cJSON_AddNumberToObject(c, "mhz_per_cpu", r->roof.counter_hz > 0 ? (double)(long)(r->roof.counter_hz / 1e6) : 0);
    cJSON_AddBoolToObject(c, "cpu_scaling_enabled", strcmp(r->env.governor, "performance") != 0);
    cJSON_AddArrayToObject(c, "caches");
    cJSON *la = cJSON_AddArrayToObject(c, "load_avg");
    cJSON_AddItemToArray(la, cJSON_CreateNumber(isnan(r->env.load1_start) ? 0 : r->env.load1_start));
    cJSON_AddStringToObject(c, "library_version", "qcts");
    cJSON_AddStringToObject(c, "library_build_type", "release");
    cJSON_AddNumberToObject(c, "json_schema_version", 1);
    if (run_uuid)
        cJSON_AddStringToObject(c, "qcts_run", run_uuid);
    cJSON_AddStringToObject(c, "qcts_shape_set", r->shape_set);
    cJSON_AddNumberToObject(c, "qcts_order_seed", (double)r->seed);
    cJSON *not_timed = cJSON_AddArrayToObject(c, "qcts_not_timed");
    cJSON *bs = cJSON_AddArrayToObject(j, "benchmarks");
    for (size_t i = 0; i < r->n; i++) {
        const qcts_measurement *m = &r->m[i];
        char name[700], agg[720];
        gb_name(name, sizeof name, m);
        int ok = strcmp(m->status, "ok") == 0 && m->repeats > 0 && m->rep_median;
        if (!ok) {
            /* Listed in the context, not as a benchmark: compare.py reads
             * the times of every entry. */
            char msg[1400];
            snprintf(msg, sizeof msg, "%s: %s: %s", name, m->status, m->reason);
            cJSON_AddItemToArray(not_timed, cJSON_CreateString(msg));
            continue;
        }
        double sum = 0, sq = 0;
        for (int k = 0; k < m->repeats; k++) {
            cJSON *x = gb_entry(name, name, (int)i, m->repeats, m->threads);
            cJSON_AddNumberToObject(x, "repetition_index", k);
            size_t it = 0;
            for (size_t s = 0; s < m->n_samples && m->sample_rep; s++)
                it += m->sample_rep[s] == k;
            cJSON_AddNumberToObject(x, "iterations", (double)(it * (size_t)(m->inner > 0 ? m->inner : 1)));
            gb_times(x, m, m->rep_median[k]);
            cJSON_AddItemToArray(bs, x);
            sum += m->rep_median[k];
        }
        double mean = sum / m->repeats;
        for (int k = 0; k < m->repeats; k++)
            sq += (m->rep_median[k] - mean) * (m->rep_median[k] - mean);
        double sd = m->repeats > 1 ? sqrt(sq / (m->repeats - 1)) : 0;
        static const char *const aggs[3] = { "mean", "median", "stddev" };
        double vals[3] = { mean, m->s.median, sd };
        for (int a = 0; a < 3; a++) {
            snprintf(agg, sizeof agg, "%s_%s", name, aggs[a]);
            cJSON *x = gb_entry(agg, name, (int)i, m->repeats, m->threads);
            cJSON_ReplaceItemInObject(x, "run_type", cJSON_CreateString("aggregate"));
            cJSON_AddStringToObject(x, "aggregate_name", aggs[a]);
            cJSON_AddStringToObject(x, "aggregate_unit", "time");
            cJSON_AddNumberToObject(x, "iterations", m->repeats);
            gb_times(x, m, vals[a]);
            if (a == 2) {   /* a rate of a spread means nothing */
                cJSON_DeleteItemFromObject(x, "bytes_per_second");
                cJSON_DeleteItemFromObject(x, "FLOPS");
            }
            cJSON_AddItemToArray(bs, x);
        }
    }
    char *s = cJSON_Print(j);
    cJSON_Delete(j);
    return s;
}
