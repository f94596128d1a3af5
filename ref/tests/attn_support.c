/* Random attention problems and a float32 flash kernel with switchable bugs
 * (attn_support.h). Tests may use libm: expf is the kernel's exp. */
#include "attn_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qref/bits.h"
#include "qref/scheme.h"

static uint64_t sm64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

/* Sum of 3 uniforms in [-1, 1): roughly gaussian, sd 1. */
static float rnd(uint64_t *s)
{
    double x = 0;
    for (int i = 0; i < 3; i++)
        x += (double)(sm64(s) >> 11) * 0x1p-52 - 1.0;
    return (float)x;
}

static int make_cache(tattn *t, const float *vals, int64_t cols, uint8_t **buf, qref_attn_cache *c, float **deq)
{
    const qref_attention *a = &t->a;
    int64_t R = qref_attention_cache_rows(a), H = a->kv_heads;
    size_t n = (size_t)(H * R * cols);
    *deq = malloc(n * sizeof(float));
    memset(c, 0, sizeof *c);
    if (!t->scheme) {
        *buf = malloc(n * 4);
        memcpy(*buf, vals, n * 4);
        memcpy(*deq, vals, n * 4);
        c->dtype = QREF_FMT_F32;
        c->data = *buf;
        c->bytes = n * 4;
        return 0;
    }
    const qref_scheme *s = qref_scheme_find(t->scheme);
    qref_error err;
    int parts = t->per_head ? (int)H : 1;
    int64_t rows = t->per_head ? R : H * R;
    size_t total = 0;
    uint8_t *out = NULL;
    for (int p = 0; p < parts; p++) {
        qref_qtensor q;
        if (qref_quantize(s, rows, cols, vals + (size_t)p * (size_t)(rows * cols), &q, &err) != QREF_OK) {
            printf("quantize %s: %s\n", t->scheme, err.msg);
            return -1;
        }
        out = realloc(out, total + q.sizes.total);
        qref_qtensor_save(&q, out + total, q.sizes.total);
        total += q.sizes.total;
        qref_dequantize(&q, *deq + (size_t)p * (size_t)(rows * cols), &err);
        qref_qtensor_free(&q);
    }
    c->scheme = s;
    c->per_head = t->per_head;
    c->data = out;
    c->bytes = total;
    *buf = out;
    return 0;
}

int tattn_make(tattn *t, uint64_t seed, float amp)
{
    qref_attention *a = &t->a;
    uint64_t s = seed;
    int64_t rows = qref_attention_rows(a), R = qref_attention_cache_rows(a), H = a->kv_heads;
    t->q = malloc((size_t)(rows * a->d) * sizeof(float));
    for (int64_t i = 0; i < rows * a->d; i++)
        t->q[i] = rnd(&s) * amp;
    float *kv = malloc((size_t)(H * R * a->d) * sizeof(float));
    float *vv = malloc((size_t)(H * R * a->dv) * sizeof(float));
    for (int64_t i = 0; i < H * R * a->d; i++)
        kv[i] = rnd(&s) * amp;
    for (int64_t i = 0; i < H * R * a->dv; i++)
        vv[i] = rnd(&s);
    memset(&t->io, 0, sizeof t->io);
    if (make_cache(t, kv, a->d, &t->kbuf, &t->io.k, &t->kf) || make_cache(t, vv, a->dv, &t->vbuf, &t->io.v, &t->vf))
        return -1;
    free(kv);
    free(vv);
    t->bt = NULL;
    if (a->page_size > 0) {
        int64_t pps = qref_attention_pages_per_seq(a), np = a->batch * pps;
        /* a shuffled permutation of the first np pages (pages >= np stay unused) */
        t->bt = malloc((size_t)np * sizeof(int32_t));
        int32_t *perm = malloc((size_t)a->pages * sizeof(int32_t));
        for (int64_t i = 0; i < a->pages; i++)
            perm[i] = (int32_t)i;
        for (int64_t i = a->pages - 1; i > 0; i--) {
            int64_t j = (int64_t)(sm64(&s) % (uint64_t)(i + 1));
            int32_t x = perm[i];
            perm[i] = perm[j];
            perm[j] = x;
        }
        memcpy(t->bt, perm, (size_t)np * sizeof(int32_t));
        free(perm);
    }
    t->tree = NULL;
    if (a->tree) {
        int64_t words = (a->seq_q + 31) / 32, n = a->batch * a->seq_q * words;
        t->tree = calloc((size_t)n, sizeof(uint32_t));
        /* a random tree: node i's parent is a random earlier node; it sees its ancestors and itself */
        for (int64_t b = 0; b < a->batch; b++) {
            int64_t *par = malloc((size_t)a->seq_q * sizeof(int64_t));
            for (int64_t i = 0; i < a->seq_q; i++) {
                par[i] = i ? (int64_t)(sm64(&s) % (uint64_t)i) : -1;
                for (int64_t x = i; x >= 0; x = par[x])
                    t->tree[(b * a->seq_q + i) * words + x / 32] |= 1u << (x % 32);
            }
            free(par);
        }
    }
    t->io.q = t->q;
    t->io.block_table = t->bt;
    t->io.tree_mask = t->tree;
    t->io.out_dtype = QREF_FMT_F32;
    t->y = malloc((size_t)(rows * a->dv) * sizeof(float));
    t->bound = malloc((size_t)(rows * a->dv) * sizeof(float));
    t->io.y = t->y;
    t->io.bound_y = t->bound;
    t->lse = t->blse = t->probs = t->bprobs = NULL;
    if (!a->diff) {
        t->lse = malloc((size_t)rows * sizeof(float));
        t->blse = malloc((size_t)rows * sizeof(float));
        t->probs = malloc((size_t)(rows * a->seq_kv) * sizeof(float));
        t->bprobs = malloc((size_t)(rows * a->seq_kv) * sizeof(float));
        t->io.lse = t->lse;
        t->io.bound_lse = t->blse;
        t->io.probs = t->probs;
        t->io.bound_probs = t->bprobs;
    }
    qref_error err;
    if (qref_attention_run(a, &t->io, &err) != QREF_OK) {
        printf("qref_attention_run: %s\n", err.msg);
        return -1;
    }
    return 0;
}

void tattn_free(tattn *t)
{
    free(t->q);
    free(t->kbuf);
    free(t->vbuf);
    free(t->bt);
    free(t->tree);
    free(t->y);
    free(t->bound);
    free(t->lse);
    free(t->blse);
    free(t->probs);
    free(t->bprobs);
    free(t->kf);
    free(t->vf);
}

static float bf16r(float x) { return qref_bf16_to_f32(qref_f32_to_bf16(x)); }

static int visible(const qref_attention *a, const uint32_t *tree, int64_t b, int64_t i, int64_t j, unsigned bugs)
{
    if (bugs & TBUG_MASK_OFF_BY_ONE) {
        int64_t pos = a->seq_kv - a->seq_q + i;
        if (a->causal && j == pos + 1 && j < a->seq_kv)
            return 1;
    }
    return qref_attention_visible(a, tree, b, i, j);
}

/* One softmax map over keys [j0, j1) of row (b, i), head g: partial m, l, o. */
static void flash_part(const tattn *t, int64_t b, int64_t i, int64_t g, const float *q, int64_t c0, int64_t dq,
                       int64_t j0, int64_t j1, int block, unsigned bugs, const int32_t *bt, float *m_out,
                       float *l_out, float *o)
{
    const qref_attention *a = &t->a;
    int64_t R = qref_attention_cache_rows(a), d = a->d, dv = a->dv;
    float m = -INFINITY, l = 0, s[256];
    qref_attention ab = *a;
    for (int64_t c = 0; c < dv; c++)
        o[c] = 0;
    for (int64_t jb = j0; jb < j1; jb += block) {
        int64_t je = jb + block < j1 ? jb + block : j1;
        float mb = -INFINITY;
        for (int64_t j = jb; j < je; j++) {
            s[j - jb] = -INFINITY;
            if (!visible(a, t->tree, b, i, j, bugs))
                continue;
            int64_t pps = qref_attention_pages_per_seq(a);
            int64_t cr = a->page_size > 0 ? (int64_t)bt[b * pps + j / a->page_size] * a->page_size + j % a->page_size
                                          : b * a->seq_kv + j;
            const float *k = t->kf + (g * R + cr) * d + c0;
            float acc = 0;
            for (int64_t c = 0; c < dq; c++)
                acc += q[c0 + c] * k[c];
            s[j - jb] = acc * a->scale;
            if (s[j - jb] > mb)
                mb = s[j - jb];
        }
        if (mb == -INFINITY)
            continue;
        float mn = (bugs & TBUG_NO_MAX) ? 0.0f : (mb > m ? mb : m);
        float alpha = m == -INFINITY ? 0.0f : expf(m - mn);
        l *= alpha;
        for (int64_t c = 0; c < dv; c++)
            o[c] *= alpha;
        for (int64_t j = jb; j < je; j++) {
            if (s[j - jb] == -INFINITY)
                continue;
            float p = expf(s[j - jb] - mn);
            l += p;
            int64_t pps = qref_attention_pages_per_seq(a);
            int64_t cr = a->page_size > 0 ? (int64_t)bt[b * pps + j / a->page_size] * a->page_size + j % a->page_size
                                          : b * a->seq_kv + j;
            const float *v = t->vf + (g * R + cr) * dv;
            for (int64_t c = 0; c < dv; c++)
                o[c] += p * v[c];
        }
        if (bugs & TBUG_BF16_ACC) {
            l = bf16r(l);
            for (int64_t c = 0; c < dv; c++)
                o[c] = bf16r(o[c]);
        }
        m = mn;
    }
    (void)ab;
    *m_out = m;
    *l_out = l;
}

static void flash_map(const tattn *t, int64_t b, int64_t i, int64_t g, const float *q, int64_t c0, int64_t dq,
                      int block, int splits, unsigned bugs, const int32_t *bt, float *y, float *lse)
{
    const qref_attention *a = &t->a;
    int64_t dv = a->dv, chunk = (a->seq_kv + splits - 1) / splits;
    float *o = malloc((size_t)(splits * dv) * sizeof(float)), m[64], l[64], M = -INFINITY, L = 0;
    for (int p = 0; p < splits; p++) {
        int64_t j0 = p * chunk, j1 = (p + 1) * chunk < a->seq_kv ? (p + 1) * chunk : a->seq_kv;
        flash_part(t, b, i, g, q, c0, dq, j0, j1 > j0 ? j1 : j0, block, bugs, bt, &m[p], &l[p], o + p * dv);
        if (m[p] > M)
            M = m[p];
    }
    for (int64_t c = 0; c < dv; c++)
        y[c] = 0;
    if (M == -INFINITY) {   /* fully masked: 0 */
        *lse = -INFINITY;
        free(o);
        return;
    }
    for (int p = 0; p < splits; p++) {
        if (m[p] == -INFINITY)
            continue;
        float f = expf(m[p] - M);
        L += f * l[p];
        for (int64_t c = 0; c < dv; c++)
            y[c] += f * o[p * dv + c];
    }
    for (int64_t c = 0; c < dv; c++)
        y[c] /= L;
    *lse = M + logf(L);
    free(o);
}

void tattn_flash32(const tattn *t, int block, int splits, unsigned bugs, float *y, float *lse)
{
    const qref_attention *a = &t->a;
    int64_t group = a->q_heads / a->kv_heads, dv = a->dv, d = a->d;
    int32_t *bt = NULL;
    if (a->page_size > 0) {
        int64_t n = a->batch * qref_attention_pages_per_seq(a);
        bt = malloc((size_t)n * sizeof(int32_t));
        memcpy(bt, t->bt, (size_t)n * sizeof(int32_t));
        if ((bugs & TBUG_STALE_PAGE) && n > 1)
            bt[1] = (bt[1] + 1) % (int32_t)a->pages;   /* a page that held something else */
    }
    float *y2 = malloc((size_t)dv * sizeof(float));
    for (int64_t b = 0; b < a->batch; b++)
        for (int64_t h = 0; h < a->q_heads; h++)
            for (int64_t i = 0; i < a->seq_q; i++) {
                int64_t r = (b * a->q_heads + h) * a->seq_q + i;
                int64_t g = (bugs & TBUG_GQA_MAP) ? h % a->kv_heads : h / group;
                const float *q = t->q + r * d;
                float l1, l2;
                if (!a->diff) {
                    flash_map(t, b, i, g, q, 0, d, block, splits, bugs, bt, y + r * dv, &l1);
                    if (lse)
                        lse[r] = l1;
                    continue;
                }
                flash_map(t, b, i, g, q, 0, d / 2, block, splits, bugs, bt, y + r * dv, &l1);
                flash_map(t, b, i, g, q, d / 2, d / 2, block, splits, bugs, bt, y2, &l2);
                for (int64_t c = 0; c < dv; c++)
                    y[r * dv + c] = y[r * dv + c] - a->lambda * y2[c];
            }
    free(y2);
    free(bt);
}

int64_t tattn_violations(const tattn *t, const float *y, double *worst)
{
    int64_t n = qref_attention_rows(&t->a) * t->a.dv, bad = 0;
    double w = 0;
    for (int64_t i = 0; i < n; i++) {
        double e = fabs((double)y[i] - (double)t->y[i]);
        if (!(e <= t->bound[i]))
            bad++;
        double r = t->bound[i] > 0 ? e / t->bound[i] : (e > 0 ? INFINITY : 0);
        if (!(r <= w))
            w = r;
    }
    if (worst)
        *worst = w;
    return bad;
}
