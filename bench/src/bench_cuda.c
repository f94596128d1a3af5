/* `qcts bench` on a GPU backend (cuda): what differs from a CPU backend.
 *
 *   timing   a sample is `inner` runs (at least 8) enqueued back to back
 *            between two CUDA events (qcts_cuda_time_runs), never the
 *            host clock around run+sync (launch and wake-up latency would
 *            be timed) and never the transfers (prepare/fetch).
 *   cold     weight copies rotate over more than twice the larger of the
 *            host LLC and the GPU's L2.
 *   ceilings measured in the same run, after the kernels: the device's
 *            copy bandwidth (cudaMemcpy device to device, 512 MiB, best
 *            of 10, bytes read + written) and cuBLAS bf16 (cublasGemmEx,
 *            A, W, Y bf16, fp32 compute, weights rotated over > 3x L2) on
 *            every GEMM shape measured. They are stored as measurements:
 *            backend "cuda-copy" (op "copy") and "cublas" (scheme "bf16").
 *            A cuda GEMV (M = 1) is a fraction of the copy bandwidth in
 *            WEIGHT bytes per second (level "HBM"); a GEMM (M > 1) of
 *            cuBLAS bf16's FLOP/s on its shape (level "cuBLAS"); a dequant
 *            of the copy bandwidth in bytes read + written.
 * Without the CUDA backend built (QCTS_HAVE_CUDA unset) every hook does
 * nothing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_device.h"
#include "qcts/stats.h"

#ifdef QCTS_HAVE_CUDA
#include "kernels/cuda/backend_cuda.h"
#include "kernels/cuda/cuda_api.h"
#endif

#ifdef QCTS_HAVE_CUDA
static int is_cuda(const char *backend) { return backend && strcmp(backend, "cuda") == 0; }
#endif

int qcts_bench_device_timed(const qcts_backend *be, qcts_call **calls, int ncalls, long *idx, int inner,
                            double *per_call, char *why, size_t n)
{
#ifdef QCTS_HAVE_CUDA
    if (!be || !is_cuda(be->name))
        return 0;
    if (qcts_cuda_time_runs(calls, ncalls, idx, inner < 8 ? 8 : inner, per_call, why, n) != 0)
        return -1;
    return 1;
#else
    (void)be, (void)calls, (void)ncalls, (void)idx, (void)inner, (void)per_call, (void)why, (void)n;
    return 0;
#endif
}

size_t qcts_bench_device_cache(const qcts_bench_opts *o)
{
#ifdef QCTS_HAVE_CUDA
    for (size_t b = 0; b < o->n_backends; b++)
        if (is_cuda(o->backends[b]))
            return qcu_device_l2();
#else
    (void)o;
#endif
    return 0;
}

#ifdef QCTS_HAVE_CUDA
static qcts_measurement *append(qcts_bench_report *r)
{
    qcts_measurement *m = realloc(r->m, (r->n + 1) * sizeof *m);
    if (!m)
        return NULL;
    r->m = m;
    m = &r->m[r->n++];
    memset(m, 0, sizeof *m);
    m->gbs = m->gflops = m->cycles_per_weight = m->roof_fraction = m->iqr = NAN;
    qcts_summarize(NULL, 0, &m->s);
    return m;
}

/* Statistics of a baseline row from its samples. */
static void finish_row(qcts_measurement *m, const double *t, int ns)
{
    m->samples = malloc((size_t)(ns ? ns : 1) * sizeof *m->samples);
    m->sample_rep = calloc((size_t)(ns ? ns : 1), sizeof *m->sample_rep);
    m->rep_median = malloc((size_t)(ns ? ns : 1) * sizeof *m->rep_median);
    if (!m->samples || !m->sample_rep || !m->rep_median) {
        snprintf(m->status, sizeof m->status, "error");
        snprintf(m->reason, sizeof m->reason, "out of memory");
        return;
    }
    memcpy(m->samples, t, (size_t)ns * sizeof *t);
    memcpy(m->rep_median, t, (size_t)ns * sizeof *t);
    for (int i = 0; i < ns; i++)
        m->sample_rep[i] = i;   /* each sample is a repetition of its own */
    m->n_samples = (size_t)ns;
    m->repeats = ns;
    qcts_summarize(m->samples, m->n_samples, &m->s);
    m->s.median = qcts_median(m->rep_median, (size_t)ns);
    m->s.mad = qcts_mad(m->rep_median, (size_t)ns);
    m->iqr = qcts_quantile(m->rep_median, (size_t)ns, 0.75) - qcts_quantile(m->rep_median, (size_t)ns, 0.25);
    snprintf(m->status, sizeof m->status, "ok");
}

static double weight_bytes(const qcts_measurement *m)
{
    return m->bytes - 4.0 * ((double)m->M * (double)m->K + (double)m->M * (double)m->N);
}
#endif

void qcts_bench_device_finish(const qcts_bench_opts *o, qcts_bench_report *r)
{
#ifdef QCTS_HAVE_CUDA
    size_t n0 = r->n;
    int any = 0;
    for (size_t i = 0; i < n0; i++)
        any |= is_cuda(r->m[i].backend) && strcmp(r->m[i].status, "ok") == 0;
    if (!any || (o->stop && *o->stop))
        return;
    if (o->progress) {
        fprintf(o->progress, "\r\033[Kmeasuring the GPU's ceilings (copy bandwidth, cuBLAS bf16)...");
        fflush(o->progress);
    }
    /* 1. copy bandwidth */
    char why[512] = "";
    double copy = 0, spread = 0;
    const size_t cbytes = (size_t)512 << 20;
    qcts_measurement *c = append(r);
    if (!c)
        return;
    snprintf(c->backend, sizeof c->backend, "cuda-copy");
    snprintf(c->variant, sizeof c->variant, "cudaMemcpyAsync device to device, best of 10 (%s)", qcu_device_name());
    snprintf(c->op, sizeof c->op, "copy");
    snprintf(c->scheme, sizeof c->scheme, "-");
    snprintf(c->shape_set, sizeof c->shape_set, "%s", r->shape_set);
    snprintf(c->shape, sizeof c->shape, "d2d_512MiB");
    c->M = 1;
    c->N = (int64_t)cbytes;
    c->K = 1;
    c->threads = 1;
    c->cold = o->cold;
    if (qcu_copy_gbs(cbytes, 10, &copy, &spread, why, sizeof why) != 0) {
        snprintf(c->status, sizeof c->status, "error");
        snprintf(c->reason, sizeof c->reason, "%s", why);
        copy = 0;
    } else {
        double t = 2.0 * (double)cbytes / (copy * 1e9);
        finish_row(c, &t, 1);
        c->bytes = 2.0 * (double)cbytes;
        c->gbs = copy;
        c->roof_fraction = 1.0;
        snprintf(c->roof_kind, sizeof c->roof_kind, "copy d2d (spread %.0f%%)", 100 * spread);
        snprintf(c->ceiling_level, sizeof c->ceiling_level, "HBM");
    }
    /* 2. cuBLAS bf16 on every GEMM shape a cuda measurement ran */
    for (size_t i = 0; i < n0; i++) {
        qcts_measurement *m = &r->m[i];
        if (!is_cuda(m->backend) || strcmp(m->op, "gemm") != 0 || strcmp(m->status, "ok") != 0)
            continue;
        int seen = 0;
        for (size_t j = n0; j < r->n && !seen; j++)
            seen = strcmp(r->m[j].backend, "cublas") == 0 && strcmp(r->m[j].shape, m->shape) == 0;
        if (seen)
            continue;
        double t[64], med = 0;
        int ns = 0;
        qcts_measurement *b = append(r);
        if (!b)
            return;
        m = &r->m[i];   /* r->m moved */
        snprintf(b->backend, sizeof b->backend, "cublas");
        snprintf(b->variant, sizeof b->variant, "cublasGemmEx bf16 A/W/Y, fp32 compute, CUBLAS_GEMM_DEFAULT");
        snprintf(b->op, sizeof b->op, "gemm");
        snprintf(b->scheme, sizeof b->scheme, "bf16");
        snprintf(b->shape_set, sizeof b->shape_set, "%s", m->shape_set);
        snprintf(b->shape, sizeof b->shape, "%s", m->shape);
        snprintf(b->phase, sizeof b->phase, "%s", m->phase);
        b->M = m->M;
        b->N = m->N;
        b->K = m->K;
        b->threads = 1;
        b->cold = 1;
        b->per_token = m->per_token;
        b->inner = 10;
        if (qcu_cublas_bf16(m->M, m->N, m->K, 0, 31, &med, t, 64, &ns, why, sizeof why) != 0) {
            snprintf(b->status, sizeof b->status, "error");
            snprintf(b->reason, sizeof b->reason, "%s", why);
            continue;
        }
        finish_row(b, t, ns);
        b->bytes = 2.0 * ((double)b->N * (double)b->K + (double)b->M * (double)b->K + (double)b->M * (double)b->N);
        b->flops = 2.0 * (double)b->M * (double)b->N * (double)b->K;
        b->gbs = b->bytes / b->s.median * 1e-9;
        b->gflops = b->flops / b->s.median * 1e-9;
        if (b->M == 1 && copy > 0) {
            b->roof_fraction = (2.0 * (double)b->N * (double)b->K / b->s.median * 1e-9) / copy;
            snprintf(b->roof_kind, sizeof b->roof_kind, "copy d2d, weight bytes");
            snprintf(b->ceiling_level, sizeof b->ceiling_level, "HBM");
        } else {
            b->roof_fraction = 1.0;
            snprintf(b->roof_kind, sizeof b->roof_kind, "cuBLAS bf16 (itself)");
            snprintf(b->ceiling_level, sizeof b->ceiling_level, "cuBLAS");
        }
        b->over_ceiling = b->roof_fraction > 1.0;
    }
    /* 3. the cuda measurements against those ceilings */
    for (size_t i = 0; i < n0; i++) {
        qcts_measurement *m = &r->m[i];
        if (!is_cuda(m->backend) || strcmp(m->status, "ok") != 0)
            continue;
        m->cycles_per_weight = NAN;   /* the host's counter says nothing about the GPU */
        if (strcmp(m->op, "gemm") == 0 && m->M > 1) {
            m->roof_fraction = NAN;
            for (size_t j = n0; j < r->n; j++)
                if (strcmp(r->m[j].backend, "cublas") == 0 && strcmp(r->m[j].shape, m->shape) == 0 &&
                    strcmp(r->m[j].status, "ok") == 0)
                    m->roof_fraction = m->gflops / r->m[j].gflops;
            snprintf(m->roof_kind, sizeof m->roof_kind, "cuBLAS bf16 FLOP/s, same shape");
            snprintf(m->ceiling_level, sizeof m->ceiling_level, "cuBLAS");
        } else if (strcmp(m->op, "gemm") == 0) {
            m->roof_fraction = copy > 0 ? (weight_bytes(m) / m->s.median * 1e-9) / copy : NAN;
            snprintf(m->roof_kind, sizeof m->roof_kind, "copy d2d, weight bytes");
            snprintf(m->ceiling_level, sizeof m->ceiling_level, m->cold ? "HBM" : "L2?");
        } else {
            m->roof_fraction = copy > 0 ? m->gbs / copy : NAN;
            snprintf(m->roof_kind, sizeof m->roof_kind, "copy d2d, bytes read + written");
            snprintf(m->ceiling_level, sizeof m->ceiling_level, m->cold ? "HBM" : "L2?");
        }
        m->over_ceiling = m->roof_fraction > 1.0;
    }
#else
    (void)o;
    (void)r;
#endif
}

void qcts_bench_device_print(FILE *f, const qcts_bench_report *r)
{
    const qcts_measurement *copy = NULL;
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->m[i].backend, "cuda-copy") == 0 && strcmp(r->m[i].status, "ok") == 0)
            copy = &r->m[i];
    if (!copy)
        return;
    fprintf(f, "\nGPU (%s): copy bandwidth %.0f GB/s (device to device, read + write, best of 10). Kernel times are CUDA "
               "events around runs (medians).\n",
            copy->variant, copy->gbs);
    fprintf(f, "%-22s %-26s %10s %9s %8s %9s %9s  %s\n", "kernel", "shape (MxNxK)", "median us", "GB/s(w)", "TFLOP/s",
            "%ceiling", "x cuBLAS", "ceiling");
    for (size_t i = 0; i < r->n; i++) {
        const qcts_measurement *m = &r->m[i];
        if ((strcmp(m->backend, "cuda") != 0 && strcmp(m->backend, "cublas") != 0) || strcmp(m->status, "ok") != 0 ||
            strcmp(m->op, "gemm") != 0)
            continue;
        double wb = strcmp(m->backend, "cublas") == 0 ? 2.0 * (double)m->N * (double)m->K
                                                      : m->bytes - 4.0 * ((double)m->M * (double)m->K +
                                                                          (double)m->M * (double)m->N);
        double x = NAN;
        for (size_t j = 0; j < r->n; j++)
            if (strcmp(r->m[j].backend, "cublas") == 0 && strcmp(r->m[j].shape, m->shape) == 0 &&
                strcmp(r->m[j].status, "ok") == 0)
                x = r->m[j].s.median / m->s.median;
        char shape[160];
        snprintf(shape, sizeof shape, "%s %lldx%lldx%lld", m->shape, (long long)m->M, (long long)m->N, (long long)m->K);
        fprintf(f, "%-22s %-26s %10.2f %9.1f %8.2f %8.1f%s %9.2f  %s\n",
                strcmp(m->backend, "cublas") == 0 ? "cublas bf16" : m->scheme, shape, m->s.median * 1e6,
                wb / m->s.median * 1e-9, m->flops / m->s.median * 1e-12, 100 * m->roof_fraction,
                m->over_ceiling ? "!" : " ", x, m->roof_kind);
    }
}
