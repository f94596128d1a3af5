/* The benchmark harness (qcts/bench.h): inputs per shape and scheme, the
 * pre-check against ref, warm-up, samples, summaries. */
#include "qcts/bench.h"
#include "bench_device.h"

#include <fnmatch.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "qcts/backends.h"
#include "qcts/case_call.h"
#include "qref/actquant.h"
#include "qref/gemm.h"
#include "qref/scheme.h"

static void seterr(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t n, const char *fmt, ...)
{
    if (!err || !n)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
}

static void say(qcts_measurement *m, const char *status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(qcts_measurement *m, const char *status, const char *fmt, ...)
{
    snprintf(m->status, sizeof m->status, "%s", status);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->reason, sizeof m->reason, fmt, ap);
    va_end(ap);
}

/* ---- inputs ------------------------------------------------------------------------------ */

static uint64_t mix(uint64_t *s)
{
    uint64_t x = (*s += 0x9E3779B97F4A7C15ull);
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static double unif(uint64_t *s) { return ((double)(mix(s) >> 11) + 0.5) * 0x1p-53; }

static void *amalloc(size_t n)
{
    void *p = NULL;
    return posix_memalign(&p, 64, n ? n : 1) == 0 ? p : NULL;
}

/* The inputs shared by every backend for one (shape, scheme). */
typedef struct inputs {
    uint8_t *w;                /* serialized qtensor */
    size_t w_bytes, weight_bytes;
    float *a;                  /* M x K */
    int64_t check_rows[4];     /* rows of Y the pre-check compares */
    int n_check;
    float *ref_y;              /* n_check x N (gemm) or N x K (dequant) */
    float *bound;              /* n_check x N (gemm) */
} inputs;

static void inputs_free(inputs *in)
{
    free(in->w);
    free(in->a);
    free(in->ref_y);
    free(in->bound);
    memset(in, 0, sizeof *in);
}

/* 0, -1 when the shape does not fit the scheme, -2 on any other failure. */
static int inputs_make(const qcts_bench_shape *sh, const char *scheme, inputs *in, char *why, size_t n)
{
    memset(in, 0, sizeof *in);
    const qref_scheme *s = qref_scheme_find(scheme);
    if (!s) {
        snprintf(why, n, "unknown scheme %s", scheme);
        return -1;
    }
    qref_qsizes z;
    qref_error e;
    if (qref_qsizes_get(s, sh->N, sh->K, &z, &e) != QREF_OK) {
        snprintf(why, n, "shape %lldx%lld does not fit %s: %s", (long long)sh->N, (long long)sh->K, scheme, e.msg);
        return -1;
    }
    if (sh->a_quant && qref_aq_pairs_with((qref_aq)sh->a_quant, s) != QREF_OK) {   /* a skip, as the backends answer */
        snprintf(why, n, "activation quantization %s does not pair with %s (ggml's vec_dot_type)",
                 qref_aq_name((qref_aq)sh->a_quant), scheme);
        return -1;
    }
    uint64_t seed = 0x51ED5EEDull ^ (uint64_t)sh->N * 31 ^ (uint64_t)sh->K * 131 ^ (uint64_t)sh->M;
    size_t nw = (size_t)(sh->N * sh->K);
    float *w = malloc(nw * sizeof *w);
    if (!w) {
        snprintf(why, n, "out of memory");
        return -2;
    }
    for (size_t i = 0; i + 1 < nw; i += 2) {   /* Box-Muller */
        double r = sqrt(-2 * log(unif(&seed))), t = 6.283185307179586 * unif(&seed);
        w[i] = (float)(r * cos(t));
        w[i + 1] = (float)(r * sin(t));
    }
    if (nw % 2)
        w[nw - 1] = 0.5f;
    qref_qtensor q;
    qref_status st = qref_quantize(s, sh->N, sh->K, w, &q, &e);
    free(w);
    if (st != QREF_OK) {
        snprintf(why, n, "cannot quantize %s: %s", scheme, e.msg);
        return -2;
    }
    in->w_bytes = q.sizes.total;
    in->weight_bytes = q.sizes.total;
    in->w = amalloc(in->w_bytes);
    if (!in->w || qref_qtensor_save(&q, in->w, in->w_bytes) != QREF_OK) {
        qref_qtensor_free(&q);
        snprintf(why, n, "cannot serialize %s", scheme);
        return -2;
    }
    if (sh->op == QCTS_OP_DEQUANT) {
        in->ref_y = amalloc(nw * sizeof(float));
        if (!in->ref_y || qref_dequantize_as(&q, QREF_FMT_F32, in->ref_y, &e) != QREF_OK) {
            qref_qtensor_free(&q);
            snprintf(why, n, "ref dequant failed: %s", e.msg);
            return -2;
        }
        qref_qtensor_free(&q);
        return 0;
    }
    size_t na = (size_t)(sh->M * sh->K);
    in->a = amalloc(na * sizeof(float));
    if (!in->a) {
        qref_qtensor_free(&q);
        snprintf(why, n, "out of memory");
        return -2;
    }
    for (size_t i = 0; i < na; i++)
        in->a[i] = (float)(2 * unif(&seed) - 1);
    if (sh->M <= 2) {
        for (int64_t m = 0; m < sh->M; m++)
            in->check_rows[in->n_check++] = m;
    } else {
        in->check_rows[0] = 0;
        in->check_rows[1] = sh->M - 1;
        in->n_check = 2;
    }
    float *asub = malloc((size_t)in->n_check * (size_t)sh->K * sizeof *asub);
    in->ref_y = malloc((size_t)in->n_check * (size_t)sh->N * sizeof(float));
    in->bound = malloc((size_t)in->n_check * (size_t)sh->N * sizeof(float));
    if (!asub || !in->ref_y || !in->bound) {
        free(asub);
        qref_qtensor_free(&q);
        snprintf(why, n, "out of memory");
        return -2;
    }
    for (int i = 0; i < in->n_check; i++)
        memcpy(asub + (size_t)i * (size_t)sh->K, in->a + (size_t)in->check_rows[i] * (size_t)sh->K,
               (size_t)sh->K * sizeof(float));
    qref_gemm_desc g = { .batch = 1, .M = in->n_check, .N = sh->N, .K = sh->K, .a_dtype = QREF_FMT_F32,
                         .out_dtype = QREF_FMT_F32, .a_quant = (int)sh->a_quant };
    st = qref_gemm(&g, asub, &q, NULL, in->ref_y, in->bound, QREF_ACC_F32, &e);
    free(asub);
    qref_qtensor_free(&q);
    if (st != QREF_OK) {
        snprintf(why, n, "ref gemm failed: %s", e.msg);
        return -2;
    }
    return 0;
}

/* ---- one measurement ---------------------------------------------------------------------- */

static int check_output(const qcts_bench_shape *sh, const inputs *in, const float *y, char *why, size_t n)
{
    if (sh->op == QCTS_OP_DEQUANT) {
        size_t nw = (size_t)(sh->N * sh->K);
        for (size_t i = 0; i < nw; i++)
            if (memcmp(&y[i], &in->ref_y[i], 4) != 0) {
                snprintf(why, n, "dequant differs from ref at element %zu (row %lld): got %.9g, ref %.9g", i,
                         (long long)(i / (size_t)sh->K), (double)y[i], (double)in->ref_y[i]);
                return -1;
            }
        return 0;
    }
    for (int c = 0; c < in->n_check; c++)
        for (int64_t j = 0; j < sh->N; j++) {
            float got = y[in->check_rows[c] * sh->N + j];
            float ref = in->ref_y[(int64_t)c * sh->N + j], b = in->bound[(int64_t)c * sh->N + j];
            int ok = isnan(ref) ? isnan(got) : (isinf(ref) ? got == ref : fabs((double)got - ref) <= b);
            if (!ok) {
                snprintf(why, n, "gemm y[%lld][%lld] = %.9g, ref %.9g, allowed error %.3g (qref_gemm bound)",
                         (long long)in->check_rows[c], (long long)j, (double)got, (double)ref, (double)b);
                return -1;
            }
        }
    return 0;
}

typedef struct ctx {
    const qcts_bench_opts *o;
    const qcts_roofline *roof;
    size_t done, total;
    double t0;
    double last_plain;             /* the last plain progress line */
} ctx;

static int stopped(const ctx *c) { return c->o->stop && *c->o->stop; }

static qcts_status prepare(const qcts_backend *be, const qcts_bench_shape *sh, const char *scheme, int threads,
                           const qcts_buffers *b, qcts_call **call, char *msg, size_t n)
{
    *call = NULL;
    if (sh->op == QCTS_OP_DEQUANT) {
        qcts_dequant_desc d = { .scheme = scheme, .rows = sh->N, .cols = sh->K, .out_dtype = QCTS_DT_F32 };
        return be->dequant(&d, b, call, msg, n);
    }
    qcts_gemm_desc d = { .scheme = scheme, .batch = 1, .M = sh->M, .N = sh->N, .K = sh->K,
                         .a_dtype = QCTS_DT_F32, .out_dtype = QCTS_DT_F32, .threads = threads,
                         .a_quant = sh->a_quant };
    return be->gemm(&d, b, call, msg, n);
}

static qcts_status run_sync(const qcts_backend *be, qcts_call *call, char *msg, size_t n)
{
    qcts_status st = be->run(call, msg, n);
    if (st == QCTS_OK && be->sync)
        st = be->sync(call, msg, n);
    return st;
}

static void set_status(qcts_measurement *m, qcts_status st, const char *what, const char *msg)
{
    const char *s = st == QCTS_UNSUPPORTED ? "skip" : st == QCTS_UNAVAILABLE ? "unavailable" : "error";
    say(m, s, "%s: %s", what, msg[0] ? msg : qcts_status_name(st));
}

static uint64_t splitmix_(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Weight copies of one (shape, scheme), shared by its measurements. */
typedef struct wset {
    inputs in;
    int have;
    int made;                  /* inputs_make: 0, -1 skip, -2 error */
    char why[512];
    int copies;
    uint8_t **w;               /* [copies]; w[0] = in.w */
} wset;

/* One measurement being timed: prepared calls kept across repetitions. */
typedef struct unit {
    qcts_measurement *m;
    const qcts_backend *be;
    const qcts_bench_shape *sh;
    wset *ws;
    qcts_call **calls;         /* [ws->copies] */
    float *y;
    size_t cap;
    double *cyc;               /* counter ticks per call, per sample */
    long idx;                  /* next call in the rotation */
    int live;                  /* prepared and pre-checked: to be timed */
    const char *scheme;
    uint8_t *rw, *ry;          /* this repetition's weight and output buffers (hot runs) */
    uint64_t rng;
} unit;

static int wset_copies(wset *w, const qcts_bench_shape *sh, int cold, size_t llc)
{
    w->copies = 1;
    if (cold) {
        size_t per = w->in.w_bytes + (w->in.a ? (size_t)(sh->M * sh->K) * 4 : 0);
        w->copies = (int)(2 * llc / (per ? per : 1)) + 2;
        if (w->copies > 100000)
            w->copies = 100000;
        while (w->copies > 1 && (double)w->copies * (double)w->in.w_bytes > 4e9)
            w->copies--;
    }
    w->w = calloc((size_t)w->copies, sizeof *w->w);
    if (!w->w)
        return -1;
    w->w[0] = w->in.w;
    for (int c = 1; c < w->copies; c++) {
        if (!(w->w[c] = amalloc(w->in.w_bytes)))
            return -1;
        memcpy(w->w[c], w->in.w, w->in.w_bytes);
    }
    return 0;
}

static void wset_free(wset *w)
{
    if (w->w)
        for (int c = 1; c < w->copies; c++)
            free(w->w[c]);
    free(w->w);
    inputs_free(&w->in);
}

static void unit_release(unit *u)
{
    if (u->calls)
        for (int c = 0; c < u->ws->copies; c++)
            if (u->calls[c])
                u->be->release(u->calls[c]);
    free(u->calls);
    free(u->y);
    free(u->cyc);
    free(u->rw);
    free(u->ry);
    u->calls = NULL;
    u->y = NULL;
    u->cyc = NULL;
    u->rw = u->ry = NULL;
    u->live = 0;
}

/* A fresh layout for a hot repetition: the weights copied and the output
 * placed in newly allocated buffers at random 64-byte offsets within a
 * page, and the call prepared again on them. Memory layout (page
 * placement, 4K aliasing between input and output) then varies from one
 * repetition to the next instead of being frozen for a whole run, where it
 * would show up as a shift between two runs of the same build. */
static int unit_relayout(unit *u, char *msg, size_t n)
{
    const qcts_bench_shape *sh = u->sh;
    const inputs *in = &u->ws->in;
    size_t ny = (size_t)(sh->op == QCTS_OP_DEQUANT ? sh->N * sh->K : sh->M * sh->N) * 4;
    size_t ow = 64 * (size_t)(splitmix_(&u->rng) % 64), oy = 64 * (size_t)(splitmix_(&u->rng) % 64);
    uint8_t *rw = amalloc(in->w_bytes + 4096), *ry = amalloc(ny + 4096);
    if (!rw || !ry) {
        free(rw);
        free(ry);
        snprintf(msg, n, "out of memory");
        return -1;
    }
    memcpy(rw + ow, in->w, in->w_bytes);
    memset(ry + oy, 0, ny);
    qcts_buffers b;
    memset(&b, 0, sizeof b);
    if (sh->op == QCTS_OP_DEQUANT) {
        b.in[0] = rw + ow;
        b.in_bytes[0] = in->w_bytes;
    } else {
        b.in[0] = in->a;
        b.in_bytes[0] = (size_t)(sh->M * sh->K) * 4;
        b.in[1] = rw + ow;
        b.in_bytes[1] = in->w_bytes;
    }
    b.out[0] = ry + oy;
    b.out_bytes[0] = ny;
    qcts_call *call = NULL;
    qcts_status st = prepare(u->be, sh, u->scheme, u->m->threads, &b, &call, msg, n);
    if (st != QCTS_OK) {
        free(rw);
        free(ry);
        return -1;
    }
    u->be->release(u->calls[0]);
    u->calls[0] = call;
    free(u->rw);
    free(u->ry);
    u->rw = rw;
    u->ry = ry;
    return 0;
}

/* Prepares every copy and runs the pre-check; live = 1 when it may be timed. */
static void unit_prepare(ctx *cx, unit *u, const char *scheme)
{
    const qcts_bench_shape *sh = u->sh;
    const qcts_backend *be = u->be;
    qcts_measurement *m = u->m;
    const inputs *in = &u->ws->in;
    char msg[512] = "";
    (void)cx;
    /* ref dequantizes every weight exactly on each call (about 50 ns per
     * weight; 50 to 130 ns measured) and then multiplies (a few ns per
     * multiply-add). */
    double est = 100e-9 * (double)sh->N * (double)sh->K + 5e-9 * (double)sh->M * (double)sh->N * (double)sh->K;
    if (strcmp(be->name, "ref") == 0 && est > 1.0) {
        say(m, "skip", "ref is not timed on this shape: about %.1f s per call", est);
        return;
    }
    if ((sh->op == QCTS_OP_DEQUANT && !be->dequant) || (sh->op == QCTS_OP_GEMM && !be->gemm)) {
        say(m, "skip", "backend %s has no %s", be->name, qcts_op_name(sh->op));
        return;
    }
    int copies = u->ws->copies;
    size_t ny = (size_t)(sh->op == QCTS_OP_DEQUANT ? sh->N * sh->K : sh->M * sh->N);
    u->calls = calloc((size_t)copies, sizeof *u->calls);
    u->y = amalloc(ny * sizeof(float));
    if (!u->calls || !u->y) {
        say(m, "error", "out of memory");
        goto fail;
    }
    for (int c = 0; c < copies; c++) {
        qcts_buffers b;
        memset(&b, 0, sizeof b);
        if (sh->op == QCTS_OP_DEQUANT) {
            b.in[0] = u->ws->w[c];
            b.in_bytes[0] = in->w_bytes;
        } else {
            b.in[0] = in->a;
            b.in_bytes[0] = (size_t)(sh->M * sh->K) * 4;
            b.in[1] = u->ws->w[c];
            b.in_bytes[1] = in->w_bytes;
        }
        b.out[0] = u->y;
        b.out_bytes[0] = ny * 4;
        qcts_status st = prepare(be, sh, scheme, m->threads, &b, &u->calls[c], msg, sizeof msg);
        if (st != QCTS_OK) {
            set_status(m, st, "prepare", msg);
            goto fail;
        }
    }
    memset(u->y, 0xFF, ny * 4);
    qcts_status st = run_sync(be, u->calls[0], msg, sizeof msg);
    if (st == QCTS_OK && be->fetch)
        st = be->fetch(u->calls[0], msg, sizeof msg);
    if (st != QCTS_OK) {
        set_status(m, st, "run", msg);
        goto fail;
    }
    if (be->variant) {
        const char *v = be->variant(u->calls[0]);
        snprintf(m->variant, sizeof m->variant, "%s", v ? v : "");
    }
    if (check_output(sh, in, u->y, msg, sizeof msg) != 0) {
        say(m, "refused", "wrong result, not timed: %s", msg);
        goto fail;
    }
    u->live = 1;
    return;
fail:
    unit_release(u);
}

static int push_sample(unit *u, double sec, double cyc, int rep)
{
    qcts_measurement *m = u->m;
    if (m->n_samples == u->cap) {
        size_t cap = u->cap ? 2 * u->cap : 64;
        double *s2 = realloc(m->samples, cap * sizeof *s2);
        if (s2)
            m->samples = s2;
        double *c2 = realloc(u->cyc, cap * sizeof *c2);
        if (c2)
            u->cyc = c2;
        int *r2 = realloc(m->sample_rep, cap * sizeof *r2);
        if (r2)
            m->sample_rep = r2;
        if (!s2 || !c2 || !r2)
            return -1;
        u->cap = cap;
    }
    m->samples[m->n_samples] = sec;
    u->cyc[m->n_samples] = cyc;
    m->sample_rep[m->n_samples] = rep;
    m->n_samples++;
    return 0;
}

/* One repetition of u: its own warm-up, then its own timing block. */
static void unit_rep(ctx *cx, unit *u, int rep)
{
    const qcts_bench_opts *o = cx->o;
    const qcts_backend *be = u->be;
    qcts_measurement *m = u->m;
    int copies = u->ws->copies;
    char msg[512] = "";
    qcts_status st;
    if (copies == 1 && unit_relayout(u, msg, sizeof msg) != 0) {
        say(m, "error", "prepare (new layout for repetition %d): %s", rep + 1, msg);
        unit_release(u);
        return;
    }
    double t0 = qcts_now();
    int warm = 0;
    double wt = o->warmup_time > 0 ? o->warmup_time : 0;
    while (warm < 2 || qcts_now() - t0 < wt) {
        if ((st = run_sync(be, u->calls[u->idx++ % copies], msg, sizeof msg)) != QCTS_OK) {
            set_status(m, st, "run", msg);
            unit_release(u);
            return;
        }
        warm++;
        if (stopped(cx) || qcts_now() - t0 > 2.0)
            break;
    }
    if (m->inner == 0) {
        double per_call = (qcts_now() - t0) / warm;
        m->inner = 1;
        if (!o->cold && per_call < 50e-6)
            m->inner = (int)(50e-6 / (per_call > 1e-9 ? per_call : 1e-9)) + 1;
    }
    int inner = m->inner, n = 0;
    double start = qcts_now();
    while (n < o->max_samples && (n < o->min_samples || qcts_now() - start < o->min_time)) {
        if (stopped(cx))
            return;
        uint64_t c0 = qcts_cycles();
        double s0 = qcts_now(), per_call = 0;
        /* a GPU backend: CUDA events around the runs (bench_cuda.c) */
        int dev = qcts_bench_device_timed(be, u->calls, copies, &u->idx, inner, &per_call, msg, sizeof msg);
        st = dev < 0 ? QCTS_ERROR : QCTS_OK;
        for (int i = 0; dev == 0 && i < inner; i++)
            if ((st = run_sync(be, u->calls[u->idx++ % copies], msg, sizeof msg)) != QCTS_OK)
                break;
        double dt = qcts_now() - s0;
        uint64_t c1 = qcts_cycles();
        if (st != QCTS_OK) {
            set_status(m, st, "run", msg);
            unit_release(u);
            return;
        }
        if (push_sample(u, dev ? per_call : dt / inner, (double)(c1 - c0) / inner, rep) != 0) {
            say(m, "error", "out of memory");
            unit_release(u);
            return;
        }
        n++;
    }
    m->repeats++;
}

/* Statistics of a unit whose repetitions are done. */
static void unit_finish(ctx *cx, unit *u)
{
    qcts_measurement *m = u->m;
    const qcts_bench_shape *sh = u->sh;
    int R = m->repeats;
    m->rep_median = calloc((size_t)(R ? R : 1), sizeof *m->rep_median);
    double *tmp = malloc((m->n_samples ? m->n_samples : 1) * sizeof *tmp);
    if (!m->rep_median || !tmp) {
        free(tmp);
        say(m, "error", "out of memory");
        return;
    }
    for (int r = 0; r < R; r++) {
        size_t k = 0;
        for (size_t i = 0; i < m->n_samples; i++)
            if (m->sample_rep[i] == r)
                tmp[k++] = m->samples[i];
        m->rep_median[r] = qcts_median(tmp, k);
    }
    free(tmp);
    qcts_summarize(m->samples, m->n_samples, &m->s);
    /* the headline numbers come from the repetition medians */
    m->s.median = qcts_median(m->rep_median, (size_t)R);
    m->s.mad = qcts_mad(m->rep_median, (size_t)R);
    m->iqr = qcts_quantile(m->rep_median, (size_t)R, 0.75) - qcts_quantile(m->rep_median, (size_t)R, 0.25);
    double nkw = (double)sh->N * (double)sh->K;
    if (cx->roof->counter_hz > 0)
        m->cycles_per_weight = qcts_median(u->cyc, m->n_samples) / nkw;
    m->gbs = m->bytes / m->s.median * 1e-9;
    if (sh->op == QCTS_OP_GEMM)
        m->gflops = m->flops / m->s.median * 1e-9;
    int gemm_mk = sh->op == QCTS_OP_GEMM && sh->M > 1;
    if (sh->op == QCTS_OP_DEQUANT) {
        double tmin = qcts_roofline_dequant_time(cx->roof, (double)u->ws->in.weight_bytes, nkw * 4, m->cold,
                                                 m->threads > 1, m->roof_kind, sizeof m->roof_kind, m->ceiling_level,
                                                 sizeof m->ceiling_level);
        m->roof_fraction = tmin > 0 ? tmin / m->s.median : NAN;
        for (int all = 0; all < 2; all++) {
            char k2[48], l2[16];
            double t2 = qcts_roofline_dequant_time(cx->roof, (double)u->ws->in.weight_bytes, nkw * 4, m->cold, all, k2,
                                                   sizeof k2, l2, sizeof l2);
            *(all ? &m->roof_allcore : &m->roof_1core) = t2 > 0 ? t2 / m->s.median : NAN;
        }
    } else {
        double ceil;
        qcts_roofline_ceiling(cx->roof, gemm_mk, m->bytes, m->cold, m->threads > 1, &ceil, m->roof_kind,
                              sizeof m->roof_kind, m->ceiling_level, sizeof m->ceiling_level);
        m->roof_fraction = ceil > 0 ? (gemm_mk ? m->gflops : m->gbs) / ceil : NAN;
        for (int all = 0; all < 2; all++) {
            char k2[48], l2[16];
            double c2;
            qcts_roofline_ceiling(cx->roof, gemm_mk, m->bytes, m->cold, all, &c2, k2, sizeof k2, l2, sizeof l2);
            *(all ? &m->roof_allcore : &m->roof_1core) = c2 > 0 ? (gemm_mk ? m->gflops : m->gbs) / c2 : NAN;
        }
    }
    m->over_ceiling = m->roof_fraction > 1.0;
    say(m, "ok", "%s", "");
}

static void progress(ctx *cx, const qcts_measurement *m, int rep)
{
    /* For CI logs (not a terminal): a plain line now and then. */
    if (cx->o->progress_plain && rep >= 0 && cx->total > 0) {
        double t = qcts_now();
        if (cx->o->progress_every <= 0 || t - cx->last_plain >= cx->o->progress_every) {
            cx->last_plain = t;
            fprintf(cx->o->progress_plain, "qcts bench: %zu/%zu repetitions done, %.0f s elapsed\n", cx->done,
                    cx->total, t - cx->t0);
            fflush(cx->o->progress_plain);
        }
    }
    if (!cx->o->progress)
        return;
    fprintf(cx->o->progress, "\r\033[K[%zu/%zu %.0fs] %s %s %s %s t%d rep %d", cx->done + 1, cx->total,
            qcts_now() - cx->t0, m->backend, m->op, m->scheme, m->shape, m->threads, rep + 1);
    fflush(cx->o->progress);
}


int qcts_bench_run(const qcts_bench_opts *o, qcts_bench_report *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    qcts_env_begin(&r->env);
    double t0 = qcts_now();
    const qcts_shape_set *set = o->set;
    int R = o->repeat > 0 ? o->repeat : 1;
    r->repeat = R;
    r->seed = o->seed;
    snprintf(r->shape_set, sizeof r->shape_set, "%s", set->name);
    for (size_t s = 0; s < set->n_shapes; s++)
        r->set_decode_shapes += set->shapes[s].per_token > 0 && strcmp(set->shapes[s].phase, "decode") == 0;
    const char *const *schemes = o->schemes ? o->schemes : (const char *const *)set->schemes;
    size_t n_schemes = o->schemes ? o->n_schemes : set->n_schemes;
    static const int one = 1;
    const int *threads = o->n_threads ? o->threads : &one;
    size_t n_threads = o->n_threads ? o->n_threads : 1;

    qcts_backend_handle **h = calloc(o->n_backends ? o->n_backends : 1, sizeof *h);
    char (*why)[256] = calloc(o->n_backends ? o->n_backends : 1, sizeof *why);
    if (!h || !why) {
        free(h);
        free(why);
        seterr(err, errlen, "out of memory");
        return -1;
    }
    for (size_t b = 0; b < o->n_backends; b++) {
        /* Plugins in-process: isolation would add a round trip to another
         * process to every timed run (qcts check isolates them). */
        qcts_backend_open_opts inproc = { 1, 0 };
        qcts_status st = qcts_backend_open_with(o->backends[b], &inproc, &h[b], why[b], sizeof why[b]);
        if (st == QCTS_ERROR) {
            seterr(err, errlen, "%s", why[b]);
            for (size_t i = 0; i < b; i++)
                qcts_backend_close(h[i]);
            free(h);
            free(why);
            return -1;
        }
        if (st == QCTS_OK && !qcts_backend_get(h[b])->available(why[b], sizeof why[b])) {
            qcts_backend_close(h[b]);
            h[b] = NULL;
        }
    }
    if (o->roofline) {
        r->roof = *o->roofline;
    } else {
        if (o->progress) {
            fprintf(o->progress, "\r\033[Kprobing the roofline...");
            fflush(o->progress);
        }
        qcts_roofline_probe(&r->roof, o->quick_roofline);
    }
    ctx cx = { .o = o, .roof = &r->roof, .t0 = t0, .last_plain = t0 };
    size_t n_ws = 0;
    for (size_t s = 0; s < set->n_shapes; s++)
        for (size_t k = 0; k < n_schemes; k++) {
            char key[256];
            snprintf(key, sizeof key, "%s/%s/%s", qcts_op_name(set->shapes[s].op), schemes[k], set->shapes[s].name);
            if ((o->filter && fnmatch(o->filter, key, 0) != 0) || set->shapes[s].op == QCTS_OP_MOE_EXPERTS)
                continue;   /* moe_experts: qcts_bench_moe below */
            n_ws++;
            cx.total += o->n_backends * (set->shapes[s].op == QCTS_OP_GEMM ? n_threads : 1);
        }
    r->m = calloc(cx.total ? cx.total : 1, sizeof *r->m);
    unit *units = calloc(cx.total ? cx.total : 1, sizeof *units);
    wset *ws = calloc(n_ws ? n_ws : 1, sizeof *ws);
    int ok = r->m && units && ws;
    if (!ok)
        seterr(err, errlen, "out of memory");
    size_t iw = 0;
    /* 1. inputs, preparation and pre-check of every measurement */
    for (size_t s = 0; s < set->n_shapes && ok && !stopped(&cx); s++) {
        const qcts_bench_shape *sh = &set->shapes[s];
        for (size_t k = 0; k < n_schemes && !stopped(&cx); k++) {
            char key[256];
            snprintf(key, sizeof key, "%s/%s/%s", qcts_op_name(sh->op), schemes[k], sh->name);
            if ((o->filter && fnmatch(o->filter, key, 0) != 0) || sh->op == QCTS_OP_MOE_EXPERTS)
                continue;
            wset *w = &ws[iw++];
            /* -1: the shape does not fit the scheme (skip); -2: out of memory
             * or the reference failed (an error: never a skip). */
            w->made = inputs_make(sh, schemes[k], &w->in, w->why, sizeof w->why);
            w->have = w->made == 0;
            size_t dcache = qcts_bench_device_cache(o);   /* a GPU's L2 */
            if (w->have && wset_copies(w, sh, o->cold, dcache > r->roof.llc_bytes ? dcache : r->roof.llc_bytes) != 0) {
                w->have = 0;
                w->made = -2;
                snprintf(w->why, sizeof w->why, "out of memory for the weight copies");
            }
            for (size_t b = 0; b < o->n_backends && !stopped(&cx); b++)
                for (size_t t = 0; t < (sh->op == QCTS_OP_GEMM ? n_threads : 1) && !stopped(&cx); t++) {
                    unit *u = &units[r->n];
                    qcts_measurement *m = &r->m[r->n++];
                    u->m = m;
                    u->sh = sh;
                    u->ws = w;
                    snprintf(m->backend, sizeof m->backend, "%s", o->backends[b]);
                    snprintf(m->op, sizeof m->op, "%s", qcts_op_name(sh->op));
                    snprintf(m->scheme, sizeof m->scheme, "%s", schemes[k]);
                    snprintf(m->shape_set, sizeof m->shape_set, "%s", set->name);
                    snprintf(m->shape, sizeof m->shape, "%s", sh->name);
                    snprintf(m->phase, sizeof m->phase, "%s", sh->phase);
                    m->M = sh->op == QCTS_OP_GEMM ? sh->M : 1;
                    m->N = sh->N;
                    m->K = sh->K;
                    m->threads = sh->op == QCTS_OP_GEMM ? threads[t] : 1;
                    m->cold = o->cold;
                    m->per_token = sh->per_token;
                    m->gbs = m->gflops = m->cycles_per_weight = m->roof_fraction = m->iqr = NAN;
                    qcts_summarize(NULL, 0, &m->s);
                    if (w->have) {
                        m->bytes = (double)w->in.weight_bytes;
                        if (sh->op == QCTS_OP_DEQUANT) {
                            m->bytes += (double)sh->N * (double)sh->K * 4;
                            m->flops = 0;
                        } else {
                            m->bytes += (double)sh->M * (double)sh->K * 4 + (double)sh->M * (double)sh->N * 4;
                            m->flops = 2.0 * (double)sh->M * (double)sh->N * (double)sh->K;
                        }
                    }
                    progress(&cx, m, -1);
                    if (!w->have) {
                        say(m, w->made == -2 ? "error" : "skip", "%s", w->why);
                    } else if (!h[b]) {
                        say(m, "unavailable", "%s", why[b]);
                    } else {
                        u->be = qcts_backend_get(h[b]);
                        u->scheme = schemes[k];
                        u->rng = o->seed ^ (0xA5A5A5A5ull * (uint64_t)(r->n + 1));
                        unit_prepare(&cx, u, schemes[k]);
                    }
                }
            /* the reference outputs are only needed by the pre-checks */
            free(w->in.ref_y);
            free(w->in.bound);
            w->in.ref_y = w->in.bound = NULL;
        }
    }
    /* 2. every repetition of every live measurement, in a seeded random order */
    size_t n_live = 0;
    for (size_t i = 0; i < r->n; i++)
        n_live += units[i].live;
    size_t n_sched = n_live * (size_t)R;
    size_t *sched = malloc((n_sched ? n_sched : 1) * sizeof *sched);
    if (!sched) {
        ok = 0;
        seterr(err, errlen, "out of memory");
    } else {
        size_t k = 0;
        for (size_t i = 0; i < r->n; i++)
            for (int rep = 0; rep < R && units[i].live; rep++)
                sched[k++] = i;
        uint64_t st = o->seed;
        for (size_t i = n_sched; i > 1; i--) {
            size_t j = (size_t)(splitmix_(&st) % i);
            size_t x = sched[i - 1];
            sched[i - 1] = sched[j];
            sched[j] = x;
        }
        cx.total = n_sched;
        cx.done = 0;
        for (size_t i = 0; i < n_sched && !stopped(&cx); i++) {
            unit *u = &units[sched[i]];
            if (u->live) {
                progress(&cx, u->m, u->m->repeats);
                unit_rep(&cx, u, u->m->repeats);
            }
            cx.done++;
        }
    }
    free(sched);
    for (size_t i = 0; i < r->n; i++)
        if (units[i].live && !stopped(&cx))
            unit_finish(&cx, &units[i]);
    if (units)
        for (size_t i = 0; i < r->n; i++)
            if (units[i].calls)
                unit_release(&units[i]);
    qcts_bench_device_finish(o, r);   /* GPU ceilings and baselines (bench_cuda.c) */
    if (ws)
        for (size_t i = 0; i < iw; i++)
            wset_free(&ws[i]);
    free(units);
    free(ws);
    if (ok && !stopped(&cx)) {   /* the MoE-layer shapes (bench_moe.c) */
        const qcts_backend **bes = calloc(o->n_backends ? o->n_backends : 1, sizeof *bes);
        for (size_t b = 0; bes && b < o->n_backends; b++)
            bes[b] = h[b] ? qcts_backend_get(h[b]) : NULL;
        ok = bes && qcts_bench_moe(o, schemes, n_schemes, threads, n_threads, bes, why, r, err, errlen) == 0;
        free(bes);
    }
    if (o->progress) {
        fprintf(o->progress, "\r\033[K");
        fflush(o->progress);
    }
    for (size_t b = 0; b < o->n_backends; b++)
        qcts_backend_close(h[b]);
    free(h);
    free(why);
    r->interrupted = stopped(&cx);
    r->seconds = qcts_now() - t0;
    qcts_env_end(&r->env);
    return ok ? 0 : -1;
}

void qcts_bench_report_free(qcts_bench_report *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->m[i].samples);
        free(r->m[i].sample_rep);
        free(r->m[i].rep_median);
    }
    free(r->m);
    memset(r, 0, sizeof *r);
}
