/* bench_moe.c — the whole MoE layer as one measurement (qcts_bench_moe,
 * qcts/bench.h): shapes of op moe_experts (M tokens, K hidden, N expert
 * intermediate, E experts, top_k, shared_inter) time one moe_route call
 * (sigmoid scoring with the selection bias, renormalised, scale 2.5: the
 * GLM-4.5 / DeepSeek-V3 router) plus one moe_experts call on its ids and
 * weights, per sample.
 *
 * Inputs (per shape and scheme, shared by every backend): one expert's
 * gate/up (2N x K) and down (K x N) quantized from N(0, 1) weights and
 * copied E times (distinct memory, so the traffic is real), the shared
 * expert likewise; NR = 8 rotations of router logits (each token redrawn
 * until its selection is decided, qref_moe_route_token_ok), so that
 * successive samples route to different experts as decode steps do.
 * Pre-check (a wrong kernel is refused, never timed): the router's ids
 * equal qref_moe_route's and its weights are within the bound (rotation
 * 0); the layer's output on tokens 0 and M-1 within qref_moe_experts'
 * bound. The ref backend is not timed where one call would take over a
 * second (about 5 ns per multiply-add).
 * Timing: `repeat` repetitions, each a warm-up rotation and samples (one
 * route + one experts call each, rotating) until min_time and min_samples.
 * bytes = the weights of the experts a call touches (mean over rotations)
 * + the shared expert + x + y + logits; flops = 2·M·(K_top·3·N·K + 3·Is·K).
 * Ceiling (qcts_roofline_ceiling): FMA for M > 1, else read bandwidth of
 * the level of the working set (the experts the rotations touch). */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qcts/bench.h"
#include "qcts/stats.h"
#include "qref/moe.h"
#include "qref/scheme.h"

enum { NR = 8 };

static uint64_t mix(uint64_t *s)
{
    uint64_t x = (*s += 0x9E3779B97F4A7C15ull);
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* roughly gaussian, sd ~1.15 */
static float gauss(uint64_t *s)
{
    float t = 0.0f;
    for (int i = 0; i < 4; i++)
        t += (float)((int32_t)(mix(s) >> 44) - (1 << 19)) * 0x1p-19f;
    return t;
}

typedef struct moe_in {
    qcts_moe_route_desc rd;
    qcts_moe_experts_desc xd;
    float *logits[NR], *bias, *x;
    uint8_t *gu, *dn, *sgu, *sdn;
    size_t gu_each, dn_each, sgu_bytes, sdn_bytes;
    double touched_bytes, ws_bytes;   /* mean weights per call; union over the rotations */
} moe_in;

static void in_free(moe_in *in)
{
    for (int r = 0; r < NR; r++)
        free(in->logits[r]);
    free(in->bias), free(in->x), free(in->gu), free(in->dn), free(in->sgu), free(in->sdn);
    memset(in, 0, sizeof *in);
}

static int quant_copies(const qref_scheme *s, int64_t rows, int64_t cols, int64_t copies, uint64_t *seed,
                        uint8_t **out, size_t *each, char *why, size_t n)
{
    float *w = malloc(sizeof *w * (size_t)(rows * cols));
    if (!w) {
        snprintf(why, n, "out of memory");
        return -2;
    }
    for (int64_t i = 0; i < rows * cols; i++)
        w[i] = gauss(seed);
    qref_qtensor q;
    qref_error e;
    qref_status st = qref_quantize(s, rows, cols, w, &q, &e);
    free(w);
    if (st != QREF_OK) {
        snprintf(why, n, "cannot quantize %s %lldx%lld: %s", s->name, (long long)rows, (long long)cols, e.msg);
        return -1;
    }
    *each = q.sizes.total;
    *out = malloc(*each * (size_t)copies);
    if (!*out) {
        qref_qtensor_free(&q);
        snprintf(why, n, "out of memory for %lld expert copies", (long long)copies);
        return -2;
    }
    for (int64_t c = 0; c < copies; c++)
        qref_qtensor_save(&q, *out + (size_t)c * *each, *each);
    qref_qtensor_free(&q);
    return 0;
}

/* 0, -1 the shape does not fit the scheme (skip), -2 error. */
static int in_make(const qcts_bench_shape *sh, const char *scheme, moe_in *in, char *why, size_t n)
{
    memset(in, 0, sizeof *in);
    const qref_scheme *s = qref_scheme_find(scheme);
    if (!s) {
        snprintf(why, n, "unknown scheme %s", scheme);
        return -1;
    }
    const int64_t T = sh->M, H = sh->K, I = sh->N, E = sh->E, K = sh->top_k, Is = sh->shared_inter;
    in->rd = (qcts_moe_route_desc){ .n_tokens = T, .n_experts = (int32_t)E, .top_k = (int32_t)K,
                                    .scoring = QCTS_MOE_SIGMOID, .n_group = 1, .topk_group = 1, .renorm = 1,
                                    .has_bias = 1, .routed_scale = 2.5f, .aux_alpha = 0.001f };
    in->xd = (qcts_moe_experts_desc){ .n_tokens = T, .hidden = H, .inter = I, .n_experts = (int32_t)E,
                                      .top_k = (int32_t)K, .has_shared = Is > 0, .shared_inter = Is };
    snprintf(in->xd.scheme, sizeof in->xd.scheme, "%s", scheme);
    qref_moe_route_desc q = { .n_tokens = T, .n_experts = (int32_t)E, .top_k = (int32_t)K, .scoring = 1, .n_group = 1,
                              .topk_group = 1, .renorm = 1, .has_bias = 1, .routed_scale = 2.5f, .aux_alpha = 0.001f };
    qref_error e;
    if (qref_moe_route_check(&q, &e) != QREF_OK) {
        snprintf(why, n, "%s", e.msg);
        return -1;
    }
    uint64_t seed = 0x30E5EEDull ^ (uint64_t)(T * 31 + H * 131 + I * 1031 + E * 7);
    int rc;
    if ((rc = quant_copies(s, 2 * I, H, E, &seed, &in->gu, &in->gu_each, why, n)) ||
        (rc = quant_copies(s, H, I, E, &seed, &in->dn, &in->dn_each, why, n)) ||
        (Is && ((rc = quant_copies(s, 2 * Is, H, 1, &seed, &in->sgu, &in->sgu_bytes, why, n)) ||
                (rc = quant_copies(s, H, Is, 1, &seed, &in->sdn, &in->sdn_bytes, why, n))))) {
        in_free(in);
        return rc;
    }
    in->bias = malloc(sizeof(float) * (size_t)E);
    in->x = malloc(sizeof(float) * (size_t)(T * H));
    if (!in->bias || !in->x) {
        in_free(in);
        snprintf(why, n, "out of memory");
        return -2;
    }
    for (int64_t k = 0; k < E; k++)
        in->bias[k] = gauss(&seed) * 0.1f;
    for (int64_t i = 0; i < T * H; i++)
        in->x[i] = gauss(&seed);
    unsigned char *used = calloc((size_t)E, 1);
    int32_t *ids = malloc(sizeof *ids * (size_t)(T * K));
    float *w = malloc(sizeof *w * (size_t)(T * K)), aux;
    double touched = 0;
    for (int r = 0; r < NR; r++) {
        in->logits[r] = malloc(sizeof(float) * (size_t)(T * E));
        if (!in->logits[r] || !used || !ids || !w) {
            free(used), free(ids), free(w);
            in_free(in);
            snprintf(why, n, "out of memory");
            return -2;
        }
        for (int64_t t = 0; t < T; t++) {
            int tries = 0;
            do
                for (int64_t k = 0; k < E; k++)
                    in->logits[r][t * E + k] = gauss(&seed) * 2.0f;
            while (!qref_moe_route_token_ok(&q, in->logits[r], in->bias, t) && ++tries < 1000);
        }
        qref_moe_route(&q, in->logits[r], in->bias, ids, w, &aux, NULL, NULL, NULL);
        unsigned char *mine = calloc((size_t)E, 1);
        for (int64_t i = 0; mine && i < T * K; i++)
            mine[ids[i]] = used[ids[i]] = 1;
        for (int64_t k = 0; mine && k < E; k++)
            touched += mine[k] ? (double)(in->gu_each + in->dn_each) : 0;
        free(mine);
    }
    double un = 0;
    for (int64_t k = 0; k < E; k++)
        un += used[k] ? (double)(in->gu_each + in->dn_each) : 0;
    in->touched_bytes = touched / NR + (double)(in->sgu_bytes + in->sdn_bytes);
    in->ws_bytes = un + (double)(in->sgu_bytes + in->sdn_bytes);
    free(used), free(ids), free(w);
    return 0;
}

/* The calls of one (backend, threads): NR routes and NR expert layers. */
typedef struct moe_calls {
    const qcts_backend *be;
    qcts_call *route[NR], *experts[NR];
    int32_t *ids[NR];
    float *w[NR], aux[NR], *y;
} moe_calls;

static void calls_free(moe_calls *c)
{
    for (int r = 0; r < NR; r++) {
        if (c->route[r])
            c->be->release(c->route[r]);
        if (c->experts[r])
            c->be->release(c->experts[r]);
        free(c->ids[r]), free(c->w[r]);
    }
    free(c->y);
    memset(c, 0, sizeof *c);
}

static qcts_status run1(const qcts_backend *be, qcts_call *call, char *msg, size_t n)
{
    qcts_status st = be->run(call, msg, n);
    if (st == QCTS_OK && be->sync)
        st = be->sync(call, msg, n);
    if (st == QCTS_OK && be->fetch)
        st = be->fetch(call, msg, n);
    return st;
}

/* Prepares every call, runs each route once (its ids feed the experts). */
static qcts_status calls_make(moe_calls *c, const qcts_backend *be, moe_in *in, int threads, char *msg, size_t n)
{
    memset(c, 0, sizeof *c);
    c->be = be;
    const int64_t T = in->rd.n_tokens, TK = T * in->rd.top_k, H = in->xd.hidden;
    qcts_moe_route_desc rd = in->rd;
    qcts_moe_experts_desc xd = in->xd;
    rd.threads = xd.threads = threads;
    if (!be->moe_route || !be->moe_experts) {
        snprintf(msg, n, "the backend lacks moe_route or moe_experts");
        return QCTS_UNSUPPORTED;
    }
    c->y = malloc(sizeof(float) * (size_t)(T * H));
    if (!c->y)
        return QCTS_ERROR;
    for (int r = 0; r < NR; r++) {
        c->ids[r] = malloc(sizeof(int32_t) * (size_t)TK);
        c->w[r] = malloc(sizeof(float) * (size_t)TK);
        if (!c->ids[r] || !c->w[r])
            return QCTS_ERROR;
        qcts_buffers b = { 0 };
        b.in[0] = in->logits[r], b.in_bytes[0] = sizeof(float) * (size_t)(T * rd.n_experts);
        b.in[1] = in->bias, b.in_bytes[1] = sizeof(float) * (size_t)rd.n_experts;
        b.out[0] = c->ids[r], b.out_bytes[0] = sizeof(int32_t) * (size_t)TK;
        b.out[1] = c->w[r], b.out_bytes[1] = sizeof(float) * (size_t)TK;
        b.out[2] = &c->aux[r], b.out_bytes[2] = sizeof(float);
        qcts_status st = be->moe_route(&rd, &b, &c->route[r], msg, n);
        if (st == QCTS_OK)
            st = run1(be, c->route[r], msg, n);
        if (st != QCTS_OK)
            return st;
        qcts_buffers xb = { 0 };
        xb.in[0] = in->x, xb.in_bytes[0] = sizeof(float) * (size_t)(T * H);
        xb.in[1] = c->ids[r], xb.in_bytes[1] = sizeof(int32_t) * (size_t)TK;
        xb.in[2] = c->w[r], xb.in_bytes[2] = sizeof(float) * (size_t)TK;
        xb.in[3] = in->gu, xb.in_bytes[3] = in->gu_each * (size_t)xd.n_experts;
        xb.in[4] = in->dn, xb.in_bytes[4] = in->dn_each * (size_t)xd.n_experts;
        xb.in[5] = in->sgu, xb.in_bytes[5] = in->sgu_bytes;
        xb.in[6] = in->sdn, xb.in_bytes[6] = in->sdn_bytes;
        xb.out[0] = c->y, xb.out_bytes[0] = sizeof(float) * (size_t)(T * H);
        if ((st = be->moe_experts(&xd, &xb, &c->experts[r], msg, n)) != QCTS_OK)
            return st;
    }
    return QCTS_OK;
}

/* Route ids/weights of rotation 0 against the reference, then the layer's
 * rows 0 and T-1: 0 ok, else -1 with the reason. */
static int precheck(moe_calls *c, moe_in *in, char *why, size_t n)
{
    const int64_t T = in->rd.n_tokens, K = in->rd.top_k, E = in->rd.n_experts, H = in->xd.hidden;
    qref_moe_route_desc q = { .n_tokens = T, .n_experts = (int32_t)E, .top_k = (int32_t)K, .scoring = 1, .n_group = 1,
                              .topk_group = 1, .renorm = 1, .has_bias = 1, .routed_scale = 2.5f, .aux_alpha = 0.001f };
    int32_t *ids = malloc(sizeof *ids * (size_t)(T * K));
    float *w = malloc(sizeof *w * (size_t)(T * K)), *wb = malloc(sizeof *wb * (size_t)(T * K)), aux, ab;
    int rc = -1;
    char msg[512] = "";
    if (!ids || !w || !wb || qref_moe_route(&q, in->logits[0], in->bias, ids, w, &aux, wb, &ab, NULL) != QREF_OK) {
        snprintf(why, n, "the reference router failed");
        goto out;
    }
    for (int64_t i = 0; i < T * K; i++)
        if (ids[i] != c->ids[0][i] || !(w[i] - c->w[0][i] <= wb[i] && c->w[0][i] - w[i] <= wb[i])) {
            snprintf(why, n, "refused: moe_route token %lld slot %lld: id %d weight %.9g, reference %d %.9g",
                     (long long)(i / K), (long long)(i % K), c->ids[0][i], c->w[0][i], ids[i], w[i]);
            goto out;
        }
    if (run1(c->be, c->experts[0], msg, sizeof msg) != QCTS_OK) {
        snprintf(why, n, "moe_experts: %s", msg);
        goto out;
    }
    /* the reference on tokens 0 and T-1 only (each token's row depends on it alone) */
    int64_t rows[2] = { 0, T - 1 }, nr = T > 1 ? 2 : 1;
    qref_moe_experts_desc xd = { .n_tokens = nr, .hidden = H, .inter = in->xd.inter, .n_experts = (int32_t)E,
                                 .top_k = (int32_t)K, .has_shared = in->xd.has_shared,
                                 .shared_inter = in->xd.shared_inter };
    const qref_scheme *s = qref_scheme_find(in->xd.scheme);
    qref_qtensor *t = calloc((size_t)(2 * E + 2), sizeof *t);
    float *x2 = malloc(sizeof(float) * (size_t)(2 * H)), *y2 = malloc(sizeof(float) * (size_t)(2 * H));
    float *b2 = malloc(sizeof(float) * (size_t)(2 * H)), wt2[2 * QREF_MOE_MAX_TOPK];
    int32_t id2[2 * QREF_MOE_MAX_TOPK];
    int ok = t && x2 && y2 && b2 && s;
    for (int64_t k = 0; ok && k < E; k++)
        ok = qref_qtensor_load(s, 2 * xd.inter, H, in->gu + (size_t)k * in->gu_each, in->gu_each, &t[k], NULL) ==
                 QREF_OK &&
             qref_qtensor_load(s, H, xd.inter, in->dn + (size_t)k * in->dn_each, in->dn_each, &t[E + k], NULL) ==
                 QREF_OK;
    if (ok && xd.has_shared)
        ok = qref_qtensor_load(s, 2 * xd.shared_inter, H, in->sgu, in->sgu_bytes, &t[2 * E], NULL) == QREF_OK &&
             qref_qtensor_load(s, H, xd.shared_inter, in->sdn, in->sdn_bytes, &t[2 * E + 1], NULL) == QREF_OK;
    for (int64_t r = 0; ok && r < nr; r++) {
        memcpy(x2 + r * H, in->x + rows[r] * H, sizeof(float) * (size_t)H);
        memcpy(id2 + r * K, ids + rows[r] * K, sizeof(int32_t) * (size_t)K);
        memcpy(wt2 + r * K, w + rows[r] * K, sizeof(float) * (size_t)K);
    }
    qref_error e;
    if (!ok || qref_moe_experts(&xd, x2, id2, wt2, t, t + E, xd.has_shared ? t + 2 * E : NULL,
                                xd.has_shared ? t + 2 * E + 1 : NULL, y2, b2, &e) != QREF_OK) {
        snprintf(why, n, "the reference expert layer failed");
    } else {
        rc = 0;
        for (int64_t r = 0; r < nr && !rc; r++)
            for (int64_t h = 0; h < H && !rc; h++) {
                float got = c->y[rows[r] * H + h], want = y2[r * H + h];
                if (!(got - want <= b2[r * H + h] && want - got <= b2[r * H + h])) {
                    snprintf(why, n, "refused: moe_experts y[%lld][%lld] = %.9g, reference %.9g, bound %.3g",
                             (long long)rows[r], (long long)h, got, want, b2[r * H + h]);
                    rc = -1;
                }
            }
    }
    if (t)
        for (int64_t k = 0; k < 2 * E + 2; k++)
            qref_qtensor_free(&t[k]);
    free(t), free(x2), free(y2), free(b2);
out:
    free(ids), free(w), free(wb);
    return rc;
}

static qcts_measurement *push(qcts_bench_report *r)
{
    qcts_measurement *m2 = realloc(r->m, sizeof *r->m * (r->n + 1));
    if (!m2)
        return NULL;
    r->m = m2;
    memset(&r->m[r->n], 0, sizeof *r->m);
    return &r->m[r->n++];
}

static void sayf(qcts_measurement *m, const char *status, const char *fmt, const char *s)
{
    snprintf(m->status, sizeof m->status, "%s", status);
    snprintf(m->reason, sizeof m->reason, fmt, s);
}

static int add_sample(qcts_measurement *m, size_t *cap, double sec, int rep)
{
    if (m->n_samples == *cap) {
        size_t nc = *cap ? 2 * *cap : 64;
        double *s2 = realloc(m->samples, nc * sizeof *s2);
        if (s2)
            m->samples = s2;
        int *r2 = realloc(m->sample_rep, nc * sizeof *r2);
        if (r2)
            m->sample_rep = r2;
        if (!s2 || !r2)
            return -1;
        *cap = nc;
    }
    m->samples[m->n_samples] = sec;
    m->sample_rep[m->n_samples++] = rep;
    return 0;
}

static void measure(const qcts_bench_opts *o, moe_calls *c, const moe_in *in, const qcts_roofline *roof,
                    qcts_measurement *m)
{
    int R = o->repeat > 0 ? o->repeat : 1, idx = 0;
    size_t cap = 0;
    char msg[512] = "";
    qcts_status st = QCTS_OK;
    for (int rep = 0; rep < R && st == QCTS_OK; rep++) {
        for (int w = 0; w < NR && st == QCTS_OK; w++)   /* warm-up: one rotation */
            if ((st = run1(c->be, c->route[w], msg, sizeof msg)) == QCTS_OK)
                st = run1(c->be, c->experts[w], msg, sizeof msg);
        double start = qcts_now();
        int k = 0;
        while (st == QCTS_OK && k < o->max_samples && (k < o->min_samples || qcts_now() - start < o->min_time)) {
            if (o->stop && *o->stop)
                return;
            int r = idx++ % NR;
            double s0 = qcts_now();
            if ((st = run1(c->be, c->route[r], msg, sizeof msg)) == QCTS_OK)
                st = run1(c->be, c->experts[r], msg, sizeof msg);
            if (st == QCTS_OK && add_sample(m, &cap, qcts_now() - s0, rep) != 0) {
                sayf(m, "error", "%s", "out of memory");
                return;
            }
            k++;
        }
        if (st == QCTS_OK)
            m->repeats++;
    }
    if (st != QCTS_OK) {
        sayf(m, st == QCTS_UNSUPPORTED ? "skip" : "error", "run: %s", msg);
        return;
    }
    m->inner = 1;
    m->rep_median = calloc((size_t)R, sizeof *m->rep_median);
    double *tmp = malloc(sizeof *tmp * (m->n_samples ? m->n_samples : 1));
    if (!m->rep_median || !tmp) {
        free(tmp);
        sayf(m, "error", "%s", "out of memory");
        return;
    }
    for (int rep = 0; rep < R; rep++) {
        size_t k = 0;
        for (size_t i = 0; i < m->n_samples; i++)
            if (m->sample_rep[i] == rep)
                tmp[k++] = m->samples[i];
        m->rep_median[rep] = qcts_median(tmp, k);
    }
    free(tmp);
    qcts_summarize(m->samples, m->n_samples, &m->s);
    m->s.median = qcts_median(m->rep_median, (size_t)R);
    m->s.mad = qcts_mad(m->rep_median, (size_t)R);
    m->iqr = qcts_quantile(m->rep_median, (size_t)R, 0.75) - qcts_quantile(m->rep_median, (size_t)R, 0.25);
    m->gbs = m->bytes / m->s.median * 1e-9;
    m->gflops = m->flops / m->s.median * 1e-9;
    int mk = in->rd.n_tokens > 1;
    double ceil;
    qcts_roofline_ceiling(roof, mk, in->ws_bytes, m->cold, m->threads > 1, &ceil, m->roof_kind, sizeof m->roof_kind,
                          m->ceiling_level, sizeof m->ceiling_level);
    m->roof_fraction = ceil > 0 ? (mk ? m->gflops : m->gbs) / ceil : m->roof_fraction;
    m->over_ceiling = m->roof_fraction > 1.0;
    sayf(m, "ok", "%s", "");
}

int qcts_bench_moe(const qcts_bench_opts *o, const char *const *schemes, size_t n_schemes, const int *threads,
                   size_t n_threads, const qcts_backend *const *bes, char (*why)[256], qcts_bench_report *r,
                   char *err, size_t errlen)
{
    const qcts_shape_set *set = o->set;
    for (size_t s = 0; s < set->n_shapes; s++) {
        const qcts_bench_shape *sh = &set->shapes[s];
        if (sh->op != QCTS_OP_MOE_EXPERTS)
            continue;
        for (size_t k = 0; k < n_schemes; k++) {
            char key[256];
            snprintf(key, sizeof key, "moe_experts/%s/%s", schemes[k], sh->name);
            if (o->filter && fnmatch(o->filter, key, 0) != 0)
                continue;
            if (o->progress) {
                fprintf(o->progress, "\r\033[Kmoe layer %s: inputs...", key);
                fflush(o->progress);
            }
            moe_in in;
            char w[512];
            int made = in_make(sh, schemes[k], &in, w, sizeof w);
            const double T = (double)sh->M, H = (double)sh->K, I = (double)sh->N;
            for (size_t b = 0; b < o->n_backends; b++)
                for (size_t t = 0; t < n_threads; t++) {
                    if (o->stop && *o->stop) {
                        in_free(&in);
                        return 0;
                    }
                    qcts_measurement *m = push(r);
                    if (!m) {
                        in_free(&in);
                        snprintf(err, errlen, "out of memory");
                        return -1;
                    }
                    snprintf(m->backend, sizeof m->backend, "%s", o->backends[b]);
                    snprintf(m->op, sizeof m->op, "moe_experts");
                    snprintf(m->scheme, sizeof m->scheme, "%s", schemes[k]);
                    snprintf(m->shape_set, sizeof m->shape_set, "%s", set->name);
                    snprintf(m->shape, sizeof m->shape, "%s", sh->name);
                    snprintf(m->phase, sizeof m->phase, "%s", sh->phase);
                    m->M = sh->M, m->N = sh->N, m->K = sh->K;
                    m->threads = threads[t];
                    m->cold = 0;
                    m->per_token = sh->per_token;
                    m->gbs = m->gflops = m->cycles_per_weight = m->roof_fraction = m->iqr = 0.0 / 0.0;
                    qcts_summarize(NULL, 0, &m->s);
                    if (made) {
                        sayf(m, made == -1 ? "skip" : "error", "%s", w);
                        continue;
                    }
                    m->bytes = in.touched_bytes + 4 * (2 * T * H + T * (double)sh->E);
                    m->flops = 2 * T * ((double)sh->top_k * 3 * I * H + 3 * (double)sh->shared_inter * H);
                    if (!bes[b]) {
                        sayf(m, "unavailable", "%s", why[b]);
                        continue;
                    }
                    double macs = T * ((double)sh->top_k * 3 * I * H + 3 * (double)sh->shared_inter * H);
                    if (strcmp(bes[b]->name, "ref") == 0 && macs * 5e-9 > 1.0) {
                        snprintf(m->status, sizeof m->status, "skip");
                        snprintf(m->reason, sizeof m->reason, "ref: one call would take about %.0f s", macs * 5e-9);
                        continue;
                    }
                    if (o->progress) {
                        fprintf(o->progress, "\r\033[Kmoe layer %s on %s, %d threads", key, o->backends[b], threads[t]);
                        fflush(o->progress);
                    }
                    snprintf(m->variant, sizeof m->variant, "moe_route + moe_experts");
                    moe_calls c;
                    char msg[512] = "";
                    qcts_status st = calls_make(&c, bes[b], &in, threads[t], msg, sizeof msg);
                    if (st == QCTS_OK && bes[b]->variant && c.experts[0]) {
                        const char *v = bes[b]->variant(c.experts[0]);
                        if (v)
                            snprintf(m->variant, sizeof m->variant, "%s", v);
                    }
                    if (st != QCTS_OK)
                        sayf(m, st == QCTS_UNSUPPORTED ? "skip" : st == QCTS_UNAVAILABLE ? "unavailable" : "error",
                             "prepare: %s", msg);
                    else if (precheck(&c, &in, m->reason, sizeof m->reason) != 0)
                        snprintf(m->status, sizeof m->status, "refused");
                    else
                        measure(o, &c, &in, &r->roof, m);
                    if (c.be)
                        calls_free(&c);
                }
            in_free(&in);
        }
    }
    return 0;
}
