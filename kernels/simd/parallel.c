/* qcts_parallel_for: a fixed split of [0, n) over `threads` pthreads (the
 * caller is thread 0). Which thread computes what never changes a result:
 * kernels compute every output element in an order fixed by the variant
 * and the shape alone. */
#include <pthread.h>
#include <stdlib.h>

#include "kernels/simd/simd.h"

typedef struct job {
    qcts_parallel_fn fn;
    void *ctx;
    int t;
    int64_t lo, hi;
} job;

static void *worker(void *p)
{
    job *j = p;
    j->fn(j->ctx, j->t, j->lo, j->hi);
    return NULL;
}

int qcts_parallel_for(int threads, int64_t n, int64_t align, qcts_parallel_fn fn, void *ctx)
{
    if (align < 1)
        align = 1;
    int64_t units = (n + align - 1) / align;
    if (threads < 1)
        threads = 1;
    if (threads > units)
        threads = units > 0 ? (int)units : 1;
    if (threads == 1) {
        fn(ctx, 0, 0, n);
        return 0;
    }
    job *jobs = calloc((size_t)threads, sizeof *jobs);
    pthread_t *tid = calloc((size_t)threads, sizeof *tid);
    if (!jobs || !tid) {
        free(jobs);
        free(tid);
        fn(ctx, 0, 0, n);
        return -1;
    }
    int rc = 0;
    for (int t = 0; t < threads; t++) {
        int64_t u0 = units * t / threads, u1 = units * (t + 1) / threads;
        jobs[t] = (job){ fn, ctx, t, u0 * align < n ? u0 * align : n, u1 * align < n ? u1 * align : n };
    }
    int started = 1;
    for (int t = 1; t < threads; t++, started++) {
        if (pthread_create(&tid[t], NULL, worker, &jobs[t]) != 0) {
            rc = -1;
            break;
        }
    }
    worker(&jobs[0]);
    /* Ranges whose thread did not start run here, in order. */
    for (int t = started; t < threads; t++)
        worker(&jobs[t]);
    for (int t = 1; t < started; t++)
        pthread_join(tid[t], NULL);
    free(jobs);
    free(tid);
    return rc;
}
