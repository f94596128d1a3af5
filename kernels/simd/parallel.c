/* qcts_parallel_for on a persistent thread pool shared by every CPU backend
 * of this process (avx2, avx512, neon, simd; dequant, GEMV and GEMM).
 *
 * WHY: creating threads on every kernel call cost tens of microseconds per
 * call and a static slice per thread left cores idle on small shapes
 * (issue 23: 1024x4096 GEMV sped up 1.4x from 1 to 16 threads).
 *
 * DESIGN
 *   - Workers are created once, on the first call that needs them, and
 *     grow to the largest `threads` asked (at most QCTS_POOL_MAX - 1; the
 *     caller is participant 0).
 *   - Work is [0, n) cut into chunks of whole `align` units, about
 *     4 chunks per participant (so 16 threads stay busy on 64 row blocks),
 *     claimed through one atomic counter: a fast thread takes more chunks.
 *   - Waiting: a worker spins (pause) for a while after a job, then sleeps
 *     on a condition variable; the caller spins, then yields, until every
 *     worker has acknowledged the job (after which nothing touches the
 *     job's context any more).
 *   - One job at a time per process (a mutex); a fork()ed child starts with
 *     no workers (pthread_atfork), since threads do not survive fork.
 *
 * RESULTS never depend on the thread count or on which thread took which
 * chunk: every kernel computes each output element from its own row range
 * in an order fixed by (variant, shape), and each element lies in exactly
 * one chunk. fn's `t` is the participant index (< threads), for per-thread
 * scratch; one participant may run several chunks, one after another. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "kernels/simd/simd.h"

#define QCTS_POOL_MAX 256
#define CHUNKS_PER_THREAD 4
#define SPIN_ITERS (1 << 14)

typedef struct pool_job {
    qcts_parallel_fn fn;
    void *ctx;
    int threads;                /* participants, caller included */
    int64_t n, align, chunk;    /* chunk: elements per claim (a multiple of align) */
    atomic_int_fast64_t next;   /* next unclaimed element */
} pool_job;

static struct {
    pthread_mutex_t run_lock;   /* one job at a time */
    pthread_mutex_t lock;       /* sleep/wake */
    pthread_cond_t wake;
    int workers;                /* started workers (participants 1..workers) */
    atomic_uint gen;            /* incremented once per posted job */
    atomic_int pending;         /* workers that have not yet acknowledged the job */
    pool_job *job;              /* the posted job (valid until pending reaches 0) */
} P = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, NULL };

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
/* The generation current when worker i was created (a worker that starts
 * running after the next job was posted must still see that job). */
static unsigned start_gen[QCTS_POOL_MAX];

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static void run_chunks(pool_job *j, int t)
{
    for (;;) {
        int64_t lo = atomic_fetch_add_explicit(&j->next, j->chunk, memory_order_relaxed);
        if (lo >= j->n)
            return;
        int64_t hi = lo + j->chunk < j->n ? lo + j->chunk : j->n;
        j->fn(j->ctx, t, lo, hi);
    }
}

static void *worker_main(void *arg)
{
    const int idx = (int)(intptr_t)arg;   /* participant index, >= 1 */
    unsigned seen = start_gen[idx];
    for (;;) {
        unsigned g;
        int spins = 0;
        while ((g = atomic_load_explicit(&P.gen, memory_order_acquire)) == seen && spins < SPIN_ITERS) {
            cpu_relax();
            spins++;
        }
        if (g == seen) {
            pthread_mutex_lock(&P.lock);
            while ((g = atomic_load_explicit(&P.gen, memory_order_acquire)) == seen)
                pthread_cond_wait(&P.wake, &P.lock);
            pthread_mutex_unlock(&P.lock);
        }
        seen = g;
        pool_job *j = P.job;
        if (idx < j->threads)
            run_chunks(j, idx);
        atomic_fetch_sub_explicit(&P.pending, 1, memory_order_acq_rel);
    }
    return NULL;
}

/* In a fork()ed child the workers do not exist: forget them (their memory
 * is not reclaimed; the locks are re-initialized). */
static void atfork_child(void)
{
    pthread_mutex_init(&P.run_lock, NULL);
    pthread_mutex_init(&P.lock, NULL);
    pthread_cond_init(&P.wake, NULL);
    P.workers = 0;
    atomic_store(&P.pending, 0);
    P.job = NULL;
}

static void atfork_register(void) { pthread_atfork(NULL, NULL, atfork_child); }

/* Starts workers up to `want` (run_lock held, no job posted). Returns the
 * number started in all. */
static int grow(int want)
{
    pthread_once(&atfork_once, atfork_register);
    if (want > QCTS_POOL_MAX - 1)
        want = QCTS_POOL_MAX - 1;
    while (P.workers < want) {
        pthread_t tid;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        start_gen[P.workers + 1] = atomic_load_explicit(&P.gen, memory_order_relaxed);
        int rc = pthread_create(&tid, &at, worker_main, (void *)(intptr_t)(P.workers + 1));
        pthread_attr_destroy(&at);
        if (rc != 0)
            break;
        P.workers++;
    }
    return P.workers;
}

int qcts_pool_workers(void)
{
    pthread_mutex_lock(&P.run_lock);
    int w = P.workers;
    pthread_mutex_unlock(&P.run_lock);
    return w;
}

int64_t qcts_parallel_chunk(int threads, int64_t n, int64_t align)
{
    if (align < 1)
        align = 1;
    int64_t units = (n + align - 1) / align;
    if (threads <= 1 || units <= 1)
        return units * align > 0 ? units * align : align;
    int64_t target = (int64_t)threads * CHUNKS_PER_THREAD;
    int64_t per = (units + target - 1) / target;
    return (per < 1 ? 1 : per) * align;
}

int qcts_parallel_for(int threads, int64_t n, int64_t align, qcts_parallel_fn fn, void *ctx)
{
    if (align < 1)
        align = 1;
    if (n <= 0)
        return 0;
    int64_t units = (n + align - 1) / align;
    if (threads < 1)
        threads = 1;
    if (threads > QCTS_POOL_MAX)
        threads = QCTS_POOL_MAX;
    if (threads > units)
        threads = (int)units;
    if (threads == 1) {
        fn(ctx, 0, 0, n);
        return 0;
    }
    pthread_mutex_lock(&P.run_lock);
    int rc = 0;
    int have = grow(threads - 1);
    if (have < threads - 1) {
        rc = -1;   /* fewer workers than asked: the rest run on fewer threads */
        threads = have + 1;
    }
    pool_job j = { .fn = fn, .ctx = ctx, .threads = threads, .n = n, .align = align,
                   .chunk = qcts_parallel_chunk(threads, n, align) };
    atomic_init(&j.next, 0);
    if (have > 0) {
        P.job = &j;
        atomic_store_explicit(&P.pending, have, memory_order_relaxed);
        pthread_mutex_lock(&P.lock);
        atomic_fetch_add_explicit(&P.gen, 1, memory_order_release);
        pthread_cond_broadcast(&P.wake);
        pthread_mutex_unlock(&P.lock);
    }
    run_chunks(&j, 0);
    /* Every worker acknowledges (participants after their last chunk), so
     * none reads j or ctx once this returns. */
    for (int spins = 0; atomic_load_explicit(&P.pending, memory_order_acquire) > 0; spins++) {
        if (spins < SPIN_ITERS)
            cpu_relax();
        else
            sched_yield();
    }
    P.job = NULL;
    pthread_mutex_unlock(&P.run_lock);
    return rc;
}
