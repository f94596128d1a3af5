/* Quantization quality of a scheme on a reference distribution
 * (qcts/quality.h). */
#include "qcts/quality.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "qcts/metrics.h"

static const struct {
    const char *name, *description;
} dists[QCTS_DIST_COUNT] = {
    [QCTS_DIST_GAUSSIAN] = { "gaussian", "N(0, 0.02^2)" },
    [QCTS_DIST_LAPLACE] = { "laplace", "Laplace, scale 0.02/sqrt(2) (std 0.02)" },
    [QCTS_DIST_STUDENT_T] = { "student_t", "Student's t, nu = 3, scaled by 0.02/sqrt(3) (std 0.02)" },
    [QCTS_DIST_OUTLIERS] = { "outliers", "N(0, 0.02^2), each weight x20 with probability 0.001" },
};

const char *qcts_dist_name(qcts_dist d) { return (unsigned)d < QCTS_DIST_COUNT ? dists[d].name : NULL; }

const char *qcts_dist_description(qcts_dist d)
{
    return (unsigned)d < QCTS_DIST_COUNT ? dists[d].description : NULL;
}

int qcts_dist_from_name(const char *name, qcts_dist *out)
{
    for (int d = 0; name && d < QCTS_DIST_COUNT; d++)
        if (strcasecmp(name, dists[d].name) == 0) {
            *out = (qcts_dist)d;
            return 0;
        }
    return -1;
}

const char *qcts_quality_status_name(qcts_quality_status s)
{
    static const char *const n[] = { "ok", "unsupported", "error" };
    return (unsigned)s < sizeof n / sizeof n[0] ? n[s] : "?";
}

void qcts_quality_config_default(qcts_quality_config *c)
{
    c->dist = QCTS_DIST_GAUSSIAN;
    c->seed = QCTS_QUALITY_SEED;
    c->rows = QCTS_QUALITY_ROWS;
    c->cols = QCTS_QUALITY_COLS;
    c->activations = QCTS_QUALITY_ACTIVATIONS;
}

static double draw(gsl_rng *r, qcts_dist d)
{
    const double sigma = QCTS_QUALITY_SIGMA;
    switch (d) {
    case QCTS_DIST_LAPLACE:
        return gsl_ran_laplace(r, sigma / sqrt(2.0));
    case QCTS_DIST_STUDENT_T:
        return gsl_ran_tdist(r, 3.0) * (sigma / sqrt(3.0));
    case QCTS_DIST_OUTLIERS: {
        double v = gsl_ran_gaussian(r, sigma);
        return gsl_rng_uniform(r) < 0.001 ? 20.0 * v : v;
    }
    case QCTS_DIST_GAUSSIAN:
    default:
        return gsl_ran_gaussian(r, sigma);
    }
}

/* sum_k w[k] * x[k] in double, in index order. */
static double dot(const float *w, const double *x, int64_t n)
{
    double s = 0.0;
    for (int64_t k = 0; k < n; k++)
        s += (double)w[k] * x[k];
    return s;
}

int qcts_quality_input_make(const qcts_quality_config *c, qcts_quality_input *in, char *err, size_t errlen)
{
    memset(in, 0, sizeof *in);
    if ((unsigned)c->dist >= QCTS_DIST_COUNT) {
        snprintf(err, errlen, "unknown distribution %d", (int)c->dist);
        return -1;
    }
    if (c->rows <= 0 || c->cols <= 0 || c->rows > ((int64_t)1 << 28) / c->cols) {
        snprintf(err, errlen, "shape %lld x %lld is empty or larger than 2^28 weights", (long long)c->rows,
                 (long long)c->cols);
        return -1;
    }
    if (c->activations < 1 || c->activations > 1024) {
        snprintf(err, errlen, "activation vectors must be 1..1024, got %d", c->activations);
        return -1;
    }
    size_t nw = (size_t)(c->rows * c->cols), na = (size_t)c->activations;
    in->config = *c;
    in->w = malloc(nw * sizeof *in->w);
    in->x = malloc(na * (size_t)c->cols * sizeof *in->x);
    in->logits = malloc(na * (size_t)c->rows * sizeof *in->logits);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!in->w || !in->x || !in->logits || !r) {
        if (r)
            gsl_rng_free(r);
        qcts_quality_input_free(in);
        snprintf(err, errlen, "out of memory for a %lld x %lld matrix", (long long)c->rows, (long long)c->cols);
        return -1;
    }
    gsl_rng_set(r, (unsigned long)c->seed);
    for (size_t i = 0; i < nw; i++)
        in->w[i] = (float)draw(r, c->dist);
    for (size_t i = 0; i < na * (size_t)c->cols; i++)
        in->x[i] = gsl_ran_ugaussian(r);
    gsl_rng_free(r);
    for (size_t a = 0; a < na; a++)
        for (int64_t row = 0; row < c->rows; row++)
            in->logits[a * (size_t)c->rows + (size_t)row] =
                dot(in->w + row * c->cols, in->x + a * (size_t)c->cols, c->cols);
    return 0;
}

void qcts_quality_input_free(qcts_quality_input *in)
{
    if (!in)
        return;
    free(in->w);
    free(in->x);
    free(in->logits);
    memset(in, 0, sizeof *in);
}

static qcts_quality_status fail(qcts_quality *out, qref_status st, const char *what, const qref_error *e)
{
    out->qref_status = st;
    out->status = st == QREF_ERR_UNSUPPORTED ? QCTS_QUALITY_UNSUPPORTED : QCTS_QUALITY_ERROR;
    const char *msg = e->msg;
    size_t len = strlen(out->scheme->name);
    /* The result names its scheme; drop the name where the message repeats it. */
    if (strncmp(msg, out->scheme->name, len) == 0 && msg[len] == ':' && msg[len + 1] == ' ')
        msg += len + 2;
    if (out->status == QCTS_QUALITY_UNSUPPORTED)
        snprintf(out->message, sizeof out->message, "%s", msg[0] ? msg : "not implemented");
    else
        snprintf(out->message, sizeof out->message, "%s: %s (%s)", what, msg[0] ? msg : "failed",
                 qref_status_name(st));
    return out->status;
}

qcts_quality_status qcts_quality_measure(const qref_scheme *s, const qcts_quality_input *in, qcts_quality *out)
{
    memset(out, 0, sizeof *out);
    out->scheme = s;
    out->bits_per_weight = out->mse = out->nmse = out->snr_db = out->cosine = out->max_abs = out->kl = NAN;
    if (!s || !in || !in->w) {
        out->status = QCTS_QUALITY_ERROR;
        out->qref_status = QREF_ERR_ARG;
        snprintf(out->message, sizeof out->message, "no scheme or no input data");
        return out->status;
    }
    const int64_t rows = in->config.rows, cols = in->config.cols;
    if (s->sparse_n > 0)
        snprintf(out->note, sizeof out->note, "vs dense W: includes %d:%d pruning error", s->sparse_n, s->sparse_m);
    double bpw = qref_scheme_bits_per_weight(s, rows, cols);
    if (bpw > 0.0)
        out->bits_per_weight = bpw;

    qref_error e = { -1, -1, "" };
    qref_qtensor q;
    qref_status st = qref_quantize(s, rows, cols, in->w, &q, &e);
    if (st != QREF_OK)
        return fail(out, st, "quantize", &e);
    size_t nw = (size_t)(rows * cols);
    float *wq = malloc(nw * sizeof *wq);
    double *lq = malloc((size_t)rows * sizeof *lq);
    if (!wq || !lq) {
        free(wq);
        free(lq);
        qref_qtensor_free(&q);
        snprintf(e.msg, sizeof e.msg, "out of memory");
        return fail(out, QREF_ERR_SIZE, "dequantize", &e);
    }
    st = qref_dequantize(&q, wq, &e);
    qref_qtensor_free(&q);
    if (st != QREF_OK) {
        free(wq);
        free(lq);
        return fail(out, st, "dequantize", &e);
    }

    qcts_metrics m;
    qcts_metrics_compute(in->w, wq, nw, &m);
    out->mse = m.mse;
    out->nmse = m.nmse;
    out->snr_db = m.snr_db;
    out->cosine = m.cosine;
    out->max_abs = m.max_abs;

    double kl = 0.0;
    for (int a = 0; a < in->config.activations; a++) {
        const double *x = in->x + (size_t)a * (size_t)cols;
        for (int64_t r = 0; r < rows; r++)
            lq[r] = dot(wq + r * cols, x, cols);
        kl += qcts_kl_softmax(in->logits + (size_t)a * (size_t)rows, lq, (size_t)rows);
    }
    out->kl = kl / in->config.activations;
    free(wq);
    free(lq);
    out->status = QCTS_QUALITY_OK;
    out->qref_status = QREF_OK;
    return out->status;
}

/* ---- many schemes on a few threads ---------------------------------------- */

typedef struct pool {
    const qref_scheme *const *schemes;
    size_t n, next;
    const qcts_quality_input *in;
    qcts_quality *out;
    pthread_mutex_t lock;
} pool;

static void *worker(void *arg)
{
    pool *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        size_t i = p->next < p->n ? p->next++ : p->n;
        pthread_mutex_unlock(&p->lock);
        if (i >= p->n)
            return NULL;
        qcts_quality_measure(p->schemes[i], p->in, &p->out[i]);
    }
}

void qcts_quality_measure_all(const qref_scheme *const *schemes, size_t n, const qcts_quality_input *in,
                              int threads, qcts_quality *out)
{
    if (threads <= 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        threads = cpus > 0 ? (int)(cpus < 256 ? cpus : 256) : 1;
    }
    if ((size_t)threads > n)
        threads = n ? (int)n : 1;
    pool p = { schemes, n, 0, in, out, PTHREAD_MUTEX_INITIALIZER };
    pthread_t *tid = threads > 1 ? malloc(sizeof *tid * (size_t)(threads - 1)) : NULL;
    int started = 0;
    for (int t = 0; tid && t < threads - 1; t++, started++)
        if (pthread_create(&tid[t], NULL, worker, &p) != 0)
            break;
    worker(&p);
    for (int t = 0; t < started; t++)
        pthread_join(tid[t], NULL);
    free(tid);
    pthread_mutex_destroy(&p.lock);
}
