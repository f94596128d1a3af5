/* The host roofline (qcts/roofline.h): streaming read and copy bandwidth and
 * FMA peak per ISA, on one core and on every core. Moved here from
 * bench/probe_main.c, which now calls it too. ISA code is compiled per
 * function (target attributes) and run only when the CPU has the ISA. */
#include "qcts/roofline.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kernels/simd/simd.h"

#if QCTS_SIMD_X86
#include <immintrin.h>
#include <x86intrin.h>
#define TARGET_AVX2 __attribute__((target("avx2,fma")))
#define TARGET_AVX512 __attribute__((target("avx512f")))
#define TARGET_FMA __attribute__((target("fma")))
#elif QCTS_SIMD_ARM64
#include <arm_neon.h>
#define TARGET_FMA
#else
#define TARGET_FMA
#endif

double qcts_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

uint64_t qcts_cycles(void)
{
#if QCTS_SIMD_X86
    return __rdtsc();
#elif QCTS_SIMD_ARM64
    uint64_t v;
    __asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(v));
    return v;
#else
    return 0;
#endif
}

size_t qcts_llc_bytes(void)
{
    size_t best = 0;
    for (int i = 0; i < 8; i++) {
        char path[128], buf[64];
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
        FILE *f = fopen(path, "r");
        if (!f)
            break;
        if (fgets(buf, sizeof buf, f)) {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(buf, &end, 10);
            /* Checked: a shift past the width is undefined (and no cache
             * is larger than 2^40 bytes). */
            if (errno || end == buf || v > (1ull << 40))
                v = 0;
            else if (*end == 'K')
                v <<= 10;
            else if (*end == 'M')
                v <<= 20;
            if (v > (1ull << 40))
                v = 0;
            if (v > best)
                best = (size_t)v;
        }
        fclose(f);
    }
    return best ? best : (size_t)32 << 20;
}

static size_t l2_bytes(void)
{
    for (int i = 0; i < 8; i++) {
        char path[128], buf[64];
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", i);
        FILE *f = fopen(path, "r");
        if (!f)
            break;
        int lv = fgets(buf, sizeof buf, f) ? atoi(buf) : 0;
        fclose(f);
        if (lv != 2)
            continue;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
        if (!(f = fopen(path, "r")))
            break;
        size_t v = 0;
        if (fgets(buf, sizeof buf, f)) {
            char *end;
            v = strtoul(buf, &end, 10);
            if (*end == 'K')
                v <<= 10;
            else if (*end == 'M')
                v <<= 20;
        }
        fclose(f);
        if (v)
            return v;
    }
    return (size_t)1 << 20;
}

/* 12 independent FMA chains of type T (named variables, so they stay in
 * registers); returns the flops done. The results are summed at the end, so
 * no FMA can be dropped (no fast-math: no reassociation). */
#define CHAINS(T, FMA, SET1, ADD, STORE, W)                                                                     \
    T c0 = SET1(0.0f), c1 = SET1(1.0f), c2 = SET1(2.0f), c3 = SET1(3.0f), c4 = SET1(4.0f), c5 = SET1(5.0f);   \
    T c6 = SET1(6.0f), c7 = SET1(7.0f), c8 = SET1(8.0f), c9 = SET1(9.0f), c10 = SET1(10.0f), c11 = SET1(11.0f); \
    const T a = SET1(0.999999f), b = SET1(1e-7f);                                                               \
    for (long it = 0; it < iters; it++) {                                                                       \
        c0 = FMA(c0, a, b); c1 = FMA(c1, a, b); c2 = FMA(c2, a, b); c3 = FMA(c3, a, b);                         \
        c4 = FMA(c4, a, b); c5 = FMA(c5, a, b); c6 = FMA(c6, a, b); c7 = FMA(c7, a, b);                         \
        c8 = FMA(c8, a, b); c9 = FMA(c9, a, b); c10 = FMA(c10, a, b); c11 = FMA(c11, a, b);                     \
    }                                                                                                           \
    T s = ADD(ADD(ADD(c0, c1), ADD(c2, c3)), ADD(ADD(c4, c5), ADD(c6, c7)));                                    \
    s = ADD(s, ADD(ADD(c8, c9), ADD(c10, c11)));                                                                \
    float v[W];                                                                                                 \
    STORE(v, s);                                                                                                \
    *sink += v[0];                                                                                              \
    return (double)iters * 12 * 2 * W

/* ---- kernels -------------------------------------------------------------------- */

static int have_avx2(void) { return QCTS_SIMD_X86 && qcts_isa_cpu_ok(QCTS_ISA_AVX2, NULL, 0); }
#if QCTS_SIMD_X86
static int have_avx512(void) { return qcts_isa_cpu_ok(QCTS_ISA_AVX512, NULL, 0); }
#endif

#if QCTS_SIMD_X86
TARGET_AVX2 static float read_sum_avx2(const float *p, size_t n)
{
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    for (size_t i = 0; i + 64 <= n; i += 64) {
        a0 = _mm256_add_ps(a0, _mm256_load_ps(p + i));
        a1 = _mm256_add_ps(a1, _mm256_load_ps(p + i + 8));
        a2 = _mm256_add_ps(a2, _mm256_load_ps(p + i + 16));
        a3 = _mm256_add_ps(a3, _mm256_load_ps(p + i + 24));
        a4 = _mm256_add_ps(a4, _mm256_load_ps(p + i + 32));
        a5 = _mm256_add_ps(a5, _mm256_load_ps(p + i + 40));
        a6 = _mm256_add_ps(a6, _mm256_load_ps(p + i + 48));
        a7 = _mm256_add_ps(a7, _mm256_load_ps(p + i + 56));
    }
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                             _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
    float v[8];
    _mm256_storeu_ps(v, s);
    return v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
}

/* dst = src with AVX2 loads and stores (normal stores: write-allocate). */
TARGET_AVX2 static void copy_avx2(float *dst, const float *src, size_t n)
{
    for (size_t i = 0; i + 32 <= n; i += 32) {
        __m256 a0 = _mm256_load_ps(src + i), a1 = _mm256_load_ps(src + i + 8);
        __m256 a2 = _mm256_load_ps(src + i + 16), a3 = _mm256_load_ps(src + i + 24);
        _mm256_store_ps(dst + i, a0);
        _mm256_store_ps(dst + i + 8, a1);
        _mm256_store_ps(dst + i + 16, a2);
        _mm256_store_ps(dst + i + 24, a3);
    }
}

TARGET_AVX2 static double fma_avx2(long iters, float *sink)
{
    CHAINS(__m256, _mm256_fmadd_ps, _mm256_set1_ps, _mm256_add_ps, _mm256_storeu_ps, 8);
}

TARGET_AVX512 static double fma_avx512(long iters, float *sink)
{
    CHAINS(__m512, _mm512_fmadd_ps, _mm512_set1_ps, _mm512_add_ps, _mm512_storeu_ps, 16);
}
#endif

#if QCTS_SIMD_ARM64
static double fma_neon(long iters, float *sink)
{
#define NFMA(c, x, y) vfmaq_f32(y, c, x)
    CHAINS(float32x4_t, NFMA, vdupq_n_f32, vaddq_f32, vst1q_f32, 4);
#undef NFMA
}
#endif

static float f_add(float x, float y) { return x + y; }
static float f_set(float x) { return x; }
static void f_store(float *v, float s) { v[0] = s; }
#if QCTS_SIMD_X86
TARGET_FMA static double fma_scalar(long iters, float *sink)
{
#define SFMA(c, x, y) __builtin_fmaf(c, x, y)
    CHAINS(float, SFMA, f_set, f_add, f_store, 1);
#undef SFMA
}
#else
static double fma_scalar(long iters, float *sink)
{
#define SFMA(c, x, y) __builtin_fmaf(c, x, y)
    CHAINS(float, SFMA, f_set, f_add, f_store, 1);
#undef SFMA
}
#endif

static float read_sum_plain(const float *p, size_t n)
{
    const uint64_t *q = (const uint64_t *)(const void *)p;
    uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (size_t i = 0; i + 8 <= n / 2; i += 8) {
        a0 += q[i] + q[i + 4];
        a1 += q[i + 1] + q[i + 5];
        a2 += q[i + 2] + q[i + 6];
        a3 += q[i + 3] + q[i + 7];
    }
    return (float)(a0 ^ a1 ^ a2 ^ a3);
}

/* ---- one measurement on one or many threads ------------------------------------------ */

typedef enum { K_READ, K_COPY_MEMCPY, K_COPY_AVX2, K_FMA, K_STORE } kind;
typedef double (*fma_fn)(long iters, float *sink);

typedef struct job {
    kind k;
    float *src, *dst;
    size_t n;                  /* floats per thread */
    fma_fn fma;
    long iters;
    int loops;                 /* passes over the buffer (cache-resident reads) */
    pthread_barrier_t *bar;
    double t;                  /* seconds of the timed pass */
    double work;               /* bytes or flops of the pass */
    float sink;
} job;

static void job_once(job *j)
{
    switch (j->k) {
    case K_READ:
        for (int l = 0; l < (j->loops > 0 ? j->loops : 1); l++) {
#if QCTS_SIMD_X86
            if (have_avx2()) {
                j->sink += read_sum_avx2(j->src, j->n);
                continue;
            }
#endif
            j->sink += read_sum_plain(j->src, j->n);
        }
        j->work = (double)j->n * 4 * (j->loops > 0 ? j->loops : 1);
        return;
    case K_COPY_MEMCPY:
        memcpy(j->dst, j->src, j->n * 4);
        break;
    case K_STORE:
        for (int l = 0; l < (j->loops > 0 ? j->loops : 1); l++)
            memset(j->dst, l & 0x3F, j->n * 4);
        j->work = (double)j->n * 4 * (j->loops > 0 ? j->loops : 1);
        return;
    case K_COPY_AVX2:
#if QCTS_SIMD_X86
        copy_avx2(j->dst, j->src, j->n);
#endif
        break;
    case K_FMA:
        j->work = j->fma(j->iters, &j->sink);
        return;
    }
    j->work = (double)j->n * 4;
}

static void *job_thread(void *p)
{
    job *j = p;
    pthread_barrier_wait(j->bar);
    job_once(j);
    return NULL;
}

/* Rate (work per second) of one pass on `threads` threads: all work / the
 * wall time from the barrier that releases every thread to the join of the
 * last one (the main thread does jobs[0]). */
static double pass(job *jobs, int threads)
{
    if (threads == 1) {
        double t0 = qcts_now();
        job_once(&jobs[0]);
        return jobs[0].work / (qcts_now() - t0);
    }
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, (unsigned)threads);
    pthread_t *tid = calloc((size_t)threads, sizeof *tid);
    int started = 0;
    for (int i = 1; i < threads && tid; i++) {
        jobs[i].bar = &bar;
        if (pthread_create(&tid[i], NULL, job_thread, &jobs[i]) != 0)
            break;
        started++;
    }
    double rate = 0;
    if (tid && started == threads - 1) {
        pthread_barrier_wait(&bar);
        double t0 = qcts_now();
        job_once(&jobs[0]);
        double work = jobs[0].work;
        for (int i = 1; i < threads; i++) {
            pthread_join(tid[i], NULL);
            work += jobs[i].work;
        }
        double wall = qcts_now() - t0;
        rate = wall > 0 ? work / wall : 0;
    } else {
        /* could not start every thread: the barrier would never open; the
         * started ones are blocked on it, so detach nothing and give up
         * the multi-thread number (never happens in practice). */
        for (int i = 1; i <= started; i++)
            pthread_cancel(tid[i]);
    }
    free(tid);
    pthread_barrier_destroy(&bar);
    return rate;
}

/* The best rate of `reps` passes (after one warm-up pass); *spread gets
 * (best - worst) / best. The threads split the nfloats between them;
 * loops > 1 reads each thread's part that many times (cache levels). */
static double measure(kind k, float *src, float *dst, size_t nfloats, fma_fn fma, long iters, int threads,
                      int reps, int loops, double *spread, float *sink)
{
    job *jobs = calloc((size_t)threads, sizeof *jobs);
    if (!jobs)
        return 0;
    size_t per = nfloats / (size_t)threads / 64 * 64;
    for (int i = 0; i < threads; i++) {
        jobs[i].k = k;
        jobs[i].src = src + (size_t)i * per;
        jobs[i].dst = dst ? dst + (size_t)i * per : NULL;
        jobs[i].n = per;
        jobs[i].fma = fma;
        jobs[i].iters = iters;
        jobs[i].loops = loops;
    }
    pass(jobs, threads);   /* warm-up (page faults, clocks) */
    double t[32];
    if (reps > 31)
        reps = 31;
    for (int r = 0; r < reps; r++)
        t[r] = pass(jobs, threads);
    for (int i = 0; i < threads; i++)
        *sink += jobs[i].sink;
    free(jobs);
    double best = 0, worst = 0;
    for (int r = 0; r < reps; r++) {
        if (t[r] > best)
            best = t[r];
        if (r == 0 || t[r] < worst)
            worst = t[r];
    }
    if (spread)
        *spread = best > 0 ? (best - worst) / best : 0;
    return best;
}

static double fma_rate(fma_fn fn, int threads, int reps, double *spread, float *sink)
{
    /* about 20 ms per pass */
    double t0 = qcts_now();
    double fl = fn(200000, sink);
    double dt = qcts_now() - t0;
    long iters = (long)(200000 * 0.02 / (dt > 1e-6 ? dt : 1e-6));
    if (iters < 100000)
        iters = 100000;
    (void)fl;
    return measure(K_FMA, NULL, NULL, 0, fn, iters, threads, reps, 1, spread, sink);
}

typedef struct isa_fn {
    const char *isa;
    fma_fn fn;
    int ok;
} isa_fn;

void qcts_roofline_probe(qcts_roofline *r, int quick)
{
    memset(r, 0, sizeof *r);
    double t_start = qcts_now();
    r->llc_bytes = qcts_llc_bytes();
    r->l2_bytes = l2_bytes();
    long nc = sysconf(_SC_NPROCESSORS_ONLN);
    r->cores = nc > 0 ? (int)nc : 1;
    int reps = quick ? 3 : 7;
    size_t bytes = (quick ? 2 : 4) * r->llc_bytes;
    if (bytes < ((size_t)64 << 20))
        bytes = (size_t)64 << 20;
    if (bytes > ((size_t)1 << 30))
        bytes = (size_t)1 << 30;
    float *src = NULL, *dst = NULL;
    volatile float vsink = 0;
    float sink = 0;
    if (posix_memalign((void **)&src, 64, bytes) == 0 && posix_memalign((void **)&dst, 64, bytes) == 0) {
        memset(src, 0, bytes);
        memset(dst, 1, bytes);
        size_t n = bytes / 4;
        for (int all = 0; all < 2; all++) {
            int th = all ? r->cores : 1;
            r->read_gbs[all] = measure(K_READ, src, NULL, n, NULL, 0, th, reps, 1, &r->read_spread[all], &sink) * 1e-9;
            double s2 = 0, c = measure(K_COPY_MEMCPY, src, dst, n, NULL, 0, th, reps, 1, &r->copy_spread[all], &sink) * 1e-9;
            if (have_avx2()) {
                double c2 = measure(K_COPY_AVX2, src, dst, n, NULL, 0, th, reps, 1, &s2, &sink) * 1e-9;
                if (c2 > c) {
                    c = c2;
                    r->copy_spread[all] = s2;
                }
            }
            r->copy_gbs[all] = c;
            /* cache-resident reads: half the L2 per thread, half the LLC
             * shared; about 256 MB read per pass */
            size_t nl2 = r->l2_bytes / 2 / 4 * (size_t)th, nllc = r->llc_bytes / 2 / 4;
            if (nl2 > n)
                nl2 = n;
            if (nllc > n)
                nllc = n;
            int l2loops = (int)((256u << 20) / (nl2 * 4 / (size_t)th + 1)) + 1;
            int llcloops = (int)((256u << 20) / (nllc * 4 + 1)) + 1;
            r->read_l2_gbs[all] = measure(K_READ, src, NULL, nl2, NULL, 0, th, reps, quick ? l2loops / 4 + 1 : l2loops,
                                          &r->l2_spread[all], &sink) * 1e-9;
            r->read_llc_gbs[all] = measure(K_READ, src, NULL, nllc, NULL, 0, th, reps,
                                           quick ? llcloops / 4 + 1 : llcloops, &r->llc_spread[all], &sink) * 1e-9;
            double sp;
            r->store_gbs[all] = measure(K_STORE, NULL, dst, n, NULL, 0, th, reps, 1, &sp, &sink) * 1e-9;
            r->store_l2_gbs[all] = measure(K_STORE, NULL, dst, nl2, NULL, 0, th, reps,
                                           quick ? l2loops / 4 + 1 : l2loops, &sp, &sink) * 1e-9;
            r->store_llc_gbs[all] = measure(K_STORE, NULL, dst, nllc, NULL, 0, th, reps,
                                            quick ? llcloops / 4 + 1 : llcloops, &sp, &sink) * 1e-9;
        }
    }
    free(src);
    free(dst);
    isa_fn isas[QCTS_ROOF_MAX_ISA] = { { "scalar", fma_scalar, 1 } };
    int ni = 1;
#if QCTS_SIMD_X86
    isas[ni++] = (isa_fn){ "avx2", fma_avx2, have_avx2() };
    isas[ni++] = (isa_fn){ "avx512", fma_avx512, have_avx512() };
#elif QCTS_SIMD_ARM64
    isas[ni++] = (isa_fn){ "neon", fma_neon, 1 };
#endif
    for (int i = 0; i < ni; i++) {
        if (!isas[i].ok)
            continue;
        qcts_roof_fma *f = &r->fma[r->n_fma++];
        snprintf(f->isa, sizeof f->isa, "%s", isas[i].isa);
        for (int all = 0; all < 2; all++)
            f->gflops[all] = fma_rate(isas[i].fn, all ? r->cores : 1, reps, &f->spread[all], &sink) * 1e-9;
    }
    vsink += sink;
    (void)vsink;
#if QCTS_SIMD_X86
    snprintf(r->counter, sizeof r->counter, "rdtsc (TSC cycles)");
    double t0 = qcts_now();
    uint64_t c0 = qcts_cycles();
    while (qcts_now() - t0 < (quick ? 0.02 : 0.05))
        ;
    r->counter_hz = (double)(qcts_cycles() - c0) / (qcts_now() - t0);
#elif QCTS_SIMD_ARM64
    snprintf(r->counter, sizeof r->counter, "cntvct_el0 (timer ticks)");
    uint64_t f;
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(f));
    r->counter_hz = (double)f;
#endif
    r->seconds = qcts_now() - t_start;
    qcts_roofline_check(r);
}

static void check_add(qcts_roofline *r, int *bad, const char *fmt, double a, double b)
{
    size_t l = strlen(r->checks);
    if (*bad == 0)
        l = 0;
    if (l < sizeof r->checks)
        snprintf(r->checks + l, sizeof r->checks - l, fmt, l ? "; " : "", a, b);
    (*bad)++;
}

int qcts_roofline_check(qcts_roofline *r)
{
    int bad = 0;
    snprintf(r->checks, sizeof r->checks, "ok");
    if (r->cores > 1) {
        const char *names[4] = { "read", "copy", "read L2", "read LLC" };
        const double *v[4] = { r->read_gbs, r->copy_gbs, r->read_l2_gbs, r->read_llc_gbs };
        for (int i = 0; i < 4; i++)
            if (v[i][0] > 0 && v[i][1] > 0 && v[i][1] < 0.9 * v[i][0]) {
                char fmt[128];
                snprintf(fmt, sizeof fmt, "%%s%s all cores %%.1f GB/s < one core %%.1f", names[i]);
                check_add(r, &bad, fmt, v[i][1], v[i][0]);
            }
        for (int i = 0; i < r->n_fma; i++)
            if (r->fma[i].gflops[0] > 0 && r->fma[i].gflops[1] < 0.9 * r->fma[i].gflops[0]) {
                char fmt[128];
                snprintf(fmt, sizeof fmt, "%%sfma %s all cores %%.1f GFLOP/s < one core %%.1f", r->fma[i].isa);
                check_add(r, &bad, fmt, r->fma[i].gflops[1], r->fma[i].gflops[0]);
            }
    }
    const qcts_roof_fma *a2 = NULL, *a5 = NULL;
    for (int i = 0; i < r->n_fma; i++) {
        if (strcmp(r->fma[i].isa, "avx2") == 0)
            a2 = &r->fma[i];
        if (strcmp(r->fma[i].isa, "avx512") == 0)
            a5 = &r->fma[i];
    }
    for (int all = 0; all < 2; all++) {
        const char *w = all ? "all cores" : "one core";
        char fmt[160];
        if (a2 && a5 && a5->gflops[all] < 0.95 * a2->gflops[all]) {
            snprintf(fmt, sizeof fmt, "%%sfma avx512 %%.1f < avx2 %%.1f GFLOP/s (%s)", w);
            check_add(r, &bad, fmt, a5->gflops[all], a2->gflops[all]);
        }
        if (r->read_gbs[all] > 0 && r->copy_gbs[all] > 0) {
            if (r->copy_gbs[all] > 1.1 * r->read_gbs[all]) {
                snprintf(fmt, sizeof fmt, "%%scopy %%.1f GB/s > read %%.1f GB/s (%s)", w);
                check_add(r, &bad, fmt, r->copy_gbs[all], r->read_gbs[all]);
            } else if (r->read_gbs[all] > 8 * r->copy_gbs[all]) {
                snprintf(fmt, sizeof fmt, "%%sread %%.1f GB/s > 8 x copy %%.1f GB/s (%s)", w);
                check_add(r, &bad, fmt, r->read_gbs[all], r->copy_gbs[all]);
            }
        }
        if (r->read_l2_gbs[all] > 0 && r->read_l2_gbs[all] < 0.9 * r->read_gbs[all]) {
            snprintf(fmt, sizeof fmt, "%%sread L2 %%.1f < DRAM %%.1f GB/s (%s)", w);
            check_add(r, &bad, fmt, r->read_l2_gbs[all], r->read_gbs[all]);
        }
        if (r->read_llc_gbs[all] > 0 && r->read_llc_gbs[all] < 0.9 * r->read_gbs[all]) {
            snprintf(fmt, sizeof fmt, "%%sread LLC %%.1f < DRAM %%.1f GB/s (%s)", w);
            check_add(r, &bad, fmt, r->read_llc_gbs[all], r->read_gbs[all]);
        }
    }
    return bad;
}

static const char *level_of(const qcts_roofline *r, double bytes, int cold, int all)
{
    if (!cold && bytes <= (double)r->l2_bytes * (all ? r->cores : 1))
        return "L2";
    if (!cold && bytes <= 0.75 * (double)r->llc_bytes)   /* the LLC also holds everything else */
        return "LLC";
    return "DRAM";
}

static double level_bw(const double *dram, const double *l2, const double *llc, const char *lv, int all)
{
    double v = strcmp(lv, "L2") == 0 ? l2[all] : strcmp(lv, "LLC") == 0 ? llc[all] : dram[all];
    return v > 0 ? v : dram[all];
}

double qcts_roofline_dequant_time(const qcts_roofline *r, double in_bytes, double out_bytes, int cold, int all,
                                  char *kind_out, size_t kind_len, char *level, size_t level_len)
{
    all = all ? 1 : 0;
    /* the weights come from their level (cold: DRAM); the one output
     * buffer is reused by every call, so it sits where its size fits */
    const char *lw = level_of(r, in_bytes, cold, all), *lo = level_of(r, out_bytes, 0, all);
    double rb = level_bw(r->read_gbs, r->read_l2_gbs, r->read_llc_gbs, lw, all);
    double sb = level_bw(r->store_gbs, r->store_l2_gbs, r->store_llc_gbs, lo, all);
    snprintf(kind_out, kind_len, "read %s + store %s %s", lw, lo, all ? "all cores" : "1 core");
    snprintf(level, level_len, "%s/%s", lw, lo);
    if (!(rb > 0) || !(sb > 0))
        return 0;
    /* DRAM reads and writes share the memory bus: their times add; inside
     * the caches loads and stores use separate ports: the slower one bounds */
    double tr = in_bytes / (rb * 1e9), ts = out_bytes / (sb * 1e9);
    return strcmp(lw, "DRAM") == 0 || strcmp(lo, "DRAM") == 0 ? tr + ts : (tr > ts ? tr : ts);
}

void qcts_roofline_ceiling(const qcts_roofline *r, int gemm_mk, double ws_bytes, int cold, int all, double *value,
                           char *kind_out, size_t kind_len, char *level, size_t level_len)
{
    all = all ? 1 : 0;
    const char *who = all ? "all cores" : "1 core";
    if (gemm_mk) {
        const char *isa;
        *value = qcts_roofline_fma_best(r, all, &isa);
        snprintf(kind_out, kind_len, "fma %s %s", isa, who);
        snprintf(level, level_len, "FMA");
        return;
    }
    const char *lv = level_of(r, ws_bytes, cold, all);
    *value = level_bw(r->read_gbs, r->read_l2_gbs, r->read_llc_gbs, lv, all);
    snprintf(kind_out, kind_len, "read %s %s", lv, who);
    snprintf(level, level_len, "%s", lv);
}

double qcts_roofline_fma_best(const qcts_roofline *r, int all, const char **isa)
{
    double best = 0;
    if (isa)
        *isa = "";
    for (int i = 0; i < r->n_fma; i++)
        if (r->fma[i].gflops[all ? 1 : 0] > best) {
            best = r->fma[i].gflops[all ? 1 : 0];
            if (isa)
                *isa = r->fma[i].isa;
        }
    return best;
}
