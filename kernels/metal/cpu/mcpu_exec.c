/* The metal-cpu executor (mcpu_exec.h): threadgroups one after another,
 * the threads of a threadgroup as fibers (mcpu_fiber.h).
 *
 * Scheduling. The scheduler resumes every ready thread in index order;
 * each runs until it finishes or waits (threadgroup_barrier, a SIMD-group
 * function). When no thread is ready:
 *   - a SIMD-group whose threads all wait in a SIMD-group function, or
 *     have finished, is released: the scheduler computes each waiting
 *     lane's result from the values the lanes left (sums in lane order)
 *     and makes them ready. Finished lanes count as inactive, as on the
 *     GPU ("active threads");
 *   - otherwise, when every unfinished thread waits at the barrier and
 *     none has finished, all are released;
 *   - otherwise the threadgroup is stuck (a barrier some threads skipped,
 *     lanes of one SIMD-group in different functions): an error naming
 *     the threads, never a hang. */
#include "kernels/metal/cpu/mcpu_exec.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/metal/cpu/mcpu_fiber.h"

#define STACK_BYTES (128u * 1024u)   /* kernels use little; ASan frames are larger */

enum { ST_READY, ST_WAIT_TG, ST_WAIT_SIMD, ST_DONE };
enum { OP_SUM_F = 1, OP_SUM_U, OP_SHUFFLE_F, OP_SHUFFLE_DOWN_F, OP_BROADCAST_F };

typedef struct thr {
    mcpu_fiber fb;
    mcpu_thread t;
    int state;
    int op;                /* SIMD-group function waited in */
    float vf;              /* this lane's value */
    uint32_t vu, arg;
    float rf;              /* its result */
    uint32_t ru;
} thr;

typedef struct run {
    mcpu_fiber sched;
    thr *th;
    uint32_t n;            /* threads per threadgroup */
    const mcpu_kernel *k;
    const mcpu_args *a;
    uint32_t cur;
} run;

static _Thread_local run *g_run;

/* Fiber stacks, kept per OS thread between dispatches (a fresh 32 MiB for
 * every call cost more in page faults than the kernels); freed when the
 * thread ends (a pthread key's destructor) or at exit for the main thread. */
typedef struct stack_pool {
    char *mem;
    size_t bytes;
} stack_pool;
static pthread_key_t pool_key;
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;
static _Thread_local stack_pool *g_pool;

static void pool_free(void *p)
{
    stack_pool *sp = p;
    if (sp) {
        free(sp->mem);
        free(sp);
    }
}

static void pool_key_init(void) { pthread_key_create(&pool_key, pool_free); }

static char *pool_get(size_t bytes)
{
    pthread_once(&pool_once, pool_key_init);
    if (!g_pool) {
        if (!(g_pool = calloc(1, sizeof *g_pool)))
            return NULL;
        pthread_setspecific(pool_key, g_pool);
    }
    if (g_pool->bytes < bytes) {
        free(g_pool->mem);
        g_pool->bytes = 0;
        if (!(g_pool->mem = malloc(bytes)))
            return NULL;
        g_pool->bytes = bytes;
    }
    return g_pool->mem;
}

static void fiber_entry(void)
{
    run *r = g_run;
    thr *me = &r->th[r->cur];
    mcpu_fiber_started(&me->fb, &r->sched);
    r->k->thunk(r->a, &me->t);
    me->state = ST_DONE;
    mcpu_fiber_switch(&me->fb, &r->sched, 1);
    abort();   /* never resumed */
}

static void wait_here(int state)
{
    run *r = g_run;
    thr *me = &r->th[r->cur];
    me->state = state;
    mcpu_fiber_switch(&me->fb, &r->sched, 0);
}

void mcpu_threadgroup_barrier(void)
{
    if (g_run)
        wait_here(ST_WAIT_TG);
}

static thr *simd_wait(int op, float vf, uint32_t vu, uint32_t arg)
{
    run *r = g_run;
    thr *me = &r->th[r->cur];
    me->op = op;
    me->vf = vf;
    me->vu = vu;
    me->arg = arg;
    wait_here(ST_WAIT_SIMD);
    return &r->th[r->cur];
}

float mcpu_simd_sum_f(float x) { return simd_wait(OP_SUM_F, x, 0, 0)->rf; }
uint32_t mcpu_simd_sum_u(uint32_t x) { return simd_wait(OP_SUM_U, 0, x, 0)->ru; }
float mcpu_simd_shuffle_f(float x, uint32_t lane) { return simd_wait(OP_SHUFFLE_F, x, 0, lane)->rf; }
float mcpu_simd_shuffle_down_f(float x, uint32_t d) { return simd_wait(OP_SHUFFLE_DOWN_F, x, 0, d)->rf; }
float mcpu_simd_broadcast_f(float x, uint32_t lane) { return simd_wait(OP_BROADCAST_F, x, 0, lane)->rf; }

/* Releases SIMD-group sg if its lanes all wait (or finished): 1 released,
 * 0 not ready, -1 mixed functions (msg). */
static int simd_release(run *r, uint32_t sg, char *msg, size_t n)
{
    uint32_t lo = sg * MCPU_SIMD_WIDTH, hi = lo + MCPU_SIMD_WIDTH < r->n ? lo + MCPU_SIMD_WIDTH : r->n;
    int op = 0, waiting = 0;
    for (uint32_t i = lo; i < hi; i++) {
        thr *t = &r->th[i];
        if (t->state == ST_DONE)
            continue;
        if (t->state != ST_WAIT_SIMD)
            return 0;
        if (op && t->op != op) {
            snprintf(msg, n, "threads %u and %u of SIMD-group %u wait in different SIMD-group functions "
                     "(undefined on a GPU)", lo, i, sg);
            return -1;
        }
        op = t->op;
        waiting++;
    }
    if (!waiting)
        return 0;
    float sf = 0.0f;
    uint32_t su = 0;
    for (uint32_t i = lo; i < hi; i++)
        if (r->th[i].state == ST_WAIT_SIMD) {
            sf += r->th[i].vf;
            su += r->th[i].vu;
        }
    for (uint32_t i = lo; i < hi; i++) {
        thr *t = &r->th[i];
        if (t->state != ST_WAIT_SIMD)
            continue;
        uint32_t src = i;
        switch (op) {
        case OP_SUM_F: t->rf = sf; break;
        case OP_SUM_U: t->ru = su; break;
        case OP_SHUFFLE_F:
        case OP_BROADCAST_F: src = lo + t->arg; break;
        case OP_SHUFFLE_DOWN_F: src = i + t->arg; break;
        }
        if (op == OP_SHUFFLE_F || op == OP_BROADCAST_F || op == OP_SHUFFLE_DOWN_F)
            /* a lane outside the group or inactive: Metal leaves the value undefined; keep our own */
            t->rf = (src < hi && src >= lo && r->th[src].state == ST_WAIT_SIMD) ? r->th[src].vf : t->vf;
    }
    for (uint32_t i = lo; i < hi; i++)
        if (r->th[i].state == ST_WAIT_SIMD)
            r->th[i].state = ST_READY;
    return 1;
}

/* One threadgroup. 0 ok, -1 (msg). */
static int run_group(run *r, char *msg, size_t n)
{
    for (;;) {
        for (uint32_t i = 0; i < r->n; i++) {
            if (r->th[i].state != ST_READY)
                continue;
            r->cur = i;
            mcpu_fiber_switch(&r->sched, &r->th[i].fb, 0);
        }
        uint32_t done = 0, at_tg = 0, at_simd = 0;
        for (uint32_t i = 0; i < r->n; i++) {
            int s = r->th[i].state;
            done += s == ST_DONE;
            at_tg += s == ST_WAIT_TG;
            at_simd += s == ST_WAIT_SIMD;
        }
        if (done == r->n)
            return 0;
        int released = 0;
        if (at_simd) {
            uint32_t groups = (r->n + MCPU_SIMD_WIDTH - 1) / MCPU_SIMD_WIDTH;
            for (uint32_t g = 0; g < groups; g++) {
                int rc = simd_release(r, g, msg, n);
                if (rc < 0)
                    return -1;
                released |= rc;
            }
        }
        if (released)
            continue;
        if (at_tg == r->n) {
            for (uint32_t i = 0; i < r->n; i++)
                r->th[i].state = ST_READY;
            continue;
        }
        snprintf(msg, n, "threadgroup stuck: %u of %u threads wait at threadgroup_barrier, %u in a SIMD-group "
                 "function, %u finished (a barrier not reached by every thread is undefined on a GPU)",
                 at_tg, r->n, at_simd, done);
        return -1;
    }
}

int mcpu_dispatch(const mcpu_kernel *k, mcpu_args *a, const uint32_t groups[3], const uint32_t tg[3], char *msg,
                  size_t msg_len)
{
    uint64_t nt = (uint64_t)tg[0] * tg[1] * tg[2];
    if (!k || !k->thunk || nt == 0 || nt > MCPU_MAX_TG_THREADS) {
        snprintf(msg, msg_len, "metal-cpu: bad dispatch of %s: %llu threads per threadgroup (1 to %u)",
                 k && k->name ? k->name : "(null)", (unsigned long long)nt, MCPU_MAX_TG_THREADS);
        return -1;
    }
    if ((uint64_t)groups[0] * groups[1] * groups[2] == 0)
        return 0;
    run r;
    memset(&r, 0, sizeof r);
    r.n = (uint32_t)nt;
    r.k = k;
    r.a = a;
    r.th = calloc(nt, sizeof *r.th);
    char *stacks = pool_get(nt * STACK_BYTES);
    void *tgm[MCPU_MAX_TG_MEM] = { 0 };
    int ok = r.th && stacks;
    for (int i = 0; ok && i < MCPU_MAX_TG_MEM; i++)
        if (a->tg_mem_bytes[i] && !(tgm[i] = malloc(a->tg_mem_bytes[i])))
            ok = 0;
    if (!ok) {
        snprintf(msg, msg_len, "metal-cpu: out of memory for %llu fiber stacks", (unsigned long long)nt);
        free(r.th);
        for (int i = 0; i < MCPU_MAX_TG_MEM; i++)
            free(tgm[i]);
        return -1;
    }
    run *saved = g_run;
    g_run = &r;
    int rc = 0;
    for (uint32_t gz = 0; gz < groups[2] && rc == 0; gz++)
        for (uint32_t gy = 0; gy < groups[1] && rc == 0; gy++)
            for (uint32_t gx = 0; gx < groups[0] && rc == 0; gx++) {
                for (int i = 0; i < MCPU_MAX_TG_MEM; i++) {
                    a->tg_mem[i] = tgm[i];
                    if (tgm[i])   /* threadgroup memory starts undefined: poison it */
                        memset(tgm[i], 0xA5, a->tg_mem_bytes[i]);
                }
                uint32_t idx = 0;
                for (uint32_t z = 0; z < tg[2]; z++)
                    for (uint32_t y = 0; y < tg[1]; y++)
                        for (uint32_t x = 0; x < tg[0]; x++, idx++) {
                            thr *t = &r.th[idx];
                            memset(t, 0, sizeof *t);
                            mcpu_thread *m = &t->t;
                            uint32_t g3[3] = { gx, gy, gz }, l3[3] = { x, y, z };
                            for (int d = 0; d < 3; d++) {
                                m->tgpig[d] = g3[d];
                                m->tpitg[d] = l3[d];
                                m->ntg[d] = tg[d];
                                m->tgpg[d] = groups[d];
                                m->tpig[d] = g3[d] * tg[d] + l3[d];
                            }
                            m->tiitg = idx;
                            m->tiisg = idx % MCPU_SIMD_WIDTH;
                            m->sgitg = idx / MCPU_SIMD_WIDTH;
                            m->tpsg = MCPU_SIMD_WIDTH;
                            m->sgptg = (r.n + MCPU_SIMD_WIDTH - 1) / MCPU_SIMD_WIDTH;
                            mcpu_fiber_make(&t->fb, stacks + (size_t)idx * STACK_BYTES, STACK_BYTES, fiber_entry);
                            t->state = ST_READY;
                        }
                char e[256];
                if (run_group(&r, e, sizeof e) != 0) {
                    snprintf(msg, msg_len, "metal-cpu: %s, threadgroup (%u, %u, %u): %s", k->name, gx, gy, gz, e);
                    rc = -1;
                }
                for (uint32_t i = 0; i < r.n; i++)
                    mcpu_fiber_free(&r.th[i].fb);
            }
    mcpu_fiber_free(&r.sched);
    g_run = saved;
    for (int i = 0; i < MCPU_MAX_TG_MEM; i++) {
        free(tgm[i]);
        a->tg_mem[i] = NULL;
    }
    free(r.th);
    return rc;
}
