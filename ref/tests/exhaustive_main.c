/* exhaustive — every one of the 2^32 float32 bit patterns through the main
 * encoders (qref_encode), compared with slowcodec, code and status.
 *
 *   exhaustive [--threads N] [--conv NAME] [--formats LIST] [--show K] [--stride S]
 *
 * Default: the ocp convention; e4m3 and e5m2 in the default mode (sat) and
 * in nosat, e2m1, bf16 and f16 in the default mode. --formats takes a comma
 * list of format names (e.g. e4m3,f16); --conv another convention (the
 * passes whose mode it does not allow are skipped). Prints progress per
 * pass, the mismatch count, the first K mismatches (default 10) and the
 * elapsed seconds; exits 1 on any mismatch, 2 on bad arguments. --stride S
 * runs only every S-th chunk of 2^24 inputs (a quick smoke run, e.g. under
 * the sanitizers; the default 1 is the exhaustive run).
 *
 * The range is cut into 256 chunks of 2^24 patterns handed to the threads
 * in increasing order; within a chunk the values move monotonically, so
 * slowcodec's table lookup keeps its position (hint) from one input to the
 * next instead of searching. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "qref/bits.h"
#include "qref/fmt.h"
#include "slowcodec.h"

#define CHUNK_BITS 24
#define NCHUNKS (1u << (32 - CHUNK_BITS))
#define MAX_SHOW 64

typedef struct mismatch {
    uint32_t u, rc, sc;
    qref_status rs, ss;
} mismatch;

typedef struct pass {
    qref_fmt f;
    qref_conv c;
    qref_mode req, eff;
    unsigned stride, nchunks;        /* run chunks 0, stride, 2*stride, ... */
    atomic_uint next_chunk, done_chunks;
    atomic_ullong mismatches;
    double t0;
} pass;

typedef struct worker {
    pass *p;
    unsigned nrec;
    mismatch rec[MAX_SHOW];
} worker;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void *run_worker(void *arg)
{
    worker *w = arg;
    pass *p = w->p;
    unsigned k;
    while ((k = atomic_fetch_add(&p->next_chunk, 1)) < p->nchunks) {
        uint32_t lo = (k * p->stride) << CHUNK_BITS;
        size_t hint = 0;
        unsigned long long bad = 0;
        for (uint64_t i = 0; i < (1u << CHUNK_BITS); i++) {
            uint32_t u = lo + (uint32_t)i, rc = 0, sc = 0;
            qref_status rs = qref_encode(p->f, p->c, p->req, qref_f32_from_bits(u), &rc);
            qref_status ss = slow_encode_eff(p->f, p->c, p->eff, u, &sc, &hint);
            if (__builtin_expect(rc != sc || rs != ss, 0)) {
                bad++;
                if (w->nrec < MAX_SHOW)
                    w->rec[w->nrec++] = (mismatch){ u, rc, sc, rs, ss };
            }
        }
        if (bad)
            atomic_fetch_add(&p->mismatches, bad);
        unsigned done = atomic_fetch_add(&p->done_chunks, 1) + 1;
        if (done % ((p->nchunks + 7) / 8) == 0 || done == p->nchunks) {
            printf("  %s/%s/%s: %3u%% (%.1f s)\n", slow_fmt_name(p->f), slow_conv_name(p->c),
                   slow_mode_name(p->eff), done * 100 / p->nchunks, now() - p->t0);
            fflush(stdout);
        }
    }
    return NULL;
}

static int cmp_mismatch(const void *a, const void *b)
{
    uint32_t x = ((const mismatch *)a)->u, y = ((const mismatch *)b)->u;
    return (x > y) - (x < y);
}

/* Runs one pass; returns its mismatch count. */
static unsigned long long run_pass(qref_fmt f, qref_conv c, qref_mode req, unsigned nthreads, unsigned show,
                                   unsigned stride)
{
    pass p = { .f = f, .c = c, .req = req, .stride = stride, .nchunks = (NCHUNKS + stride - 1) / stride };
    qref_mode eff_ref;
    qref_status a = slow_mode_resolve(f, c, req, &p.eff), b = qref_mode_resolve(f, c, req, &eff_ref);
    if (a != b || (a == QREF_OK && p.eff != eff_ref)) {
        printf("%s/%s/%s: mode resolution differs: qref %s/%s, slowcodec %s/%s\n", slow_fmt_name(f),
               slow_conv_name(c), slow_mode_name(req), slow_status_name(b), slow_mode_name(eff_ref),
               slow_status_name(a), slow_mode_name(p.eff));
        return 1;
    }
    if (a != QREF_OK)
        return 0;                    /* mode not available under this convention */
    atomic_init(&p.next_chunk, 0);
    atomic_init(&p.done_chunks, 0);
    atomic_init(&p.mismatches, 0);
    printf("%s/%s/%s (requested %s): %u of %u chunks of 2^24 inputs%s, %u threads\n", slow_fmt_name(f),
           slow_conv_name(c), slow_mode_name(p.eff), slow_mode_name(req), p.nchunks, NCHUNKS,
           stride == 1 ? " (all 2^32)" : "", nthreads);
    fflush(stdout);
    p.t0 = now();
    worker *w = calloc(nthreads, sizeof *w);
    pthread_t *tid = calloc(nthreads, sizeof *tid);
    if (!w || !tid) {
        fprintf(stderr, "exhaustive: out of memory\n");
        exit(2);
    }
    for (unsigned t = 0; t < nthreads; t++) {
        w[t].p = &p;
        if (pthread_create(&tid[t], NULL, run_worker, &w[t]) != 0) {
            fprintf(stderr, "exhaustive: pthread_create failed\n");
            exit(2);
        }
    }
    for (unsigned t = 0; t < nthreads; t++)
        pthread_join(tid[t], NULL);
    double dt = now() - p.t0;
    unsigned long long bad = atomic_load(&p.mismatches);

    /* each thread kept its first mismatches in increasing order, so the
     * first `show` overall are among them */
    mismatch all[MAX_SHOW * 64];
    unsigned n = 0;
    for (unsigned t = 0; t < nthreads; t++)
        for (unsigned i = 0; i < w[t].nrec && n < sizeof all / sizeof all[0]; i++)
            all[n++] = w[t].rec[i];
    qsort(all, n, sizeof all[0], cmp_mismatch);
    for (unsigned i = 0; i < n && i < show; i++)
        printf("    MISMATCH x=0x%08X (%.9g): qref 0x%X %s, slowcodec 0x%X %s\n", all[i].u,
               (double)qref_f32_from_bits(all[i].u), all[i].rc, slow_status_name(all[i].rs), all[i].sc,
               slow_status_name(all[i].ss));
    printf("%s/%s/%s: %llu mismatches in %.1f s\n", slow_fmt_name(f), slow_conv_name(c), slow_mode_name(p.eff), bad,
           dt);
    fflush(stdout);
    free(w);
    free(tid);
    return bad;
}

static int usage(void)
{
    fprintf(stderr, "usage: exhaustive [--threads N] [--conv NAME] [--formats e4m3,e5m2,e2m1,bf16,f16] [--show K]"
                    " [--stride S]\n");
    return 2;
}

int main(int argc, char **argv)
{
    long nt = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned nthreads = nt > 0 ? (unsigned)nt : 1, show = 10, stride = 1;
    qref_conv conv = QREF_CONV_OCP;
    const char *formats = "e4m3,e5m2,e2m1,bf16,f16";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            nthreads = (unsigned)strtoul(argv[++i], NULL, 10);
            if (nthreads == 0 || nthreads > 1024)
                return usage();
        } else if (strcmp(argv[i], "--conv") == 0 && i + 1 < argc) {
            if (qref_conv_from_name(argv[++i], &conv) != QREF_OK)
                return usage();
        } else if (strcmp(argv[i], "--formats") == 0 && i + 1 < argc) {
            formats = argv[++i];
        } else if (strcmp(argv[i], "--stride") == 0 && i + 1 < argc) {
            stride = (unsigned)strtoul(argv[++i], NULL, 10);
            if (stride == 0 || stride > NCHUNKS)
                return usage();
        } else if (strcmp(argv[i], "--show") == 0 && i + 1 < argc) {
            show = (unsigned)strtoul(argv[++i], NULL, 10);
            if (show > MAX_SHOW)
                show = MAX_SHOW;
        } else {
            return usage();
        }
    }
    slow_init();                     /* build the tables before any thread */

    double t0 = now();
    unsigned long long total = 0;
    unsigned passes = 0;
    char *list = strdup(formats);
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        qref_fmt f;
        if (qref_fmt_from_name(tok, &f) != QREF_OK) {
            fprintf(stderr, "exhaustive: unknown format '%s'\n", tok);
            free(list);
            return 2;
        }
        total += run_pass(f, conv, QREF_MODE_DEFAULT, nthreads, show, stride);
        passes++;
        /* nosat too where the convention lets it be asked for */
        qref_mode eff;
        if (qref_mode_resolve(f, conv, QREF_MODE_NOSAT, &eff) == QREF_OK &&
            qref_mode_resolve(f, conv, QREF_MODE_DEFAULT, &eff) == QREF_OK && eff != QREF_MODE_NOSAT) {
            total += run_pass(f, conv, QREF_MODE_NOSAT, nthreads, show, stride);
            passes++;
        }
    }
    free(list);
    printf("exhaustive: %u passes, %llu mismatches, %.1f s total (%u threads)\n", passes, total, now() - t0, nthreads);
    return total ? 1 : 0;
}
