/* AVX2 sampler (avx2/hadsamp.h): qref/sampling.h computed in float32.
 * Vocabulary-wide passes are vectorised (load/convert, max, exp and sum,
 * the draw's block sums); the history (penalties) is sparse and scalar;
 * top-k uses a quickselect for the k-th logit (ties by index as the
 * reference); top-p sorts only the tokens that can lie in the prefix (e >=
 * tau with nk * tau <= (1 - top_p) Z / 2, so the excluded mass cannot
 * reach the cut). The results are those of a float32 implementation: the
 * admissible sets of vectors/README.md ("sampling") accept them. */
#include <stdlib.h>

#include "kernels/simd/avx2/common.h"
#include "kernels/simd/avx2/hadsamp.h"

typedef struct key {
    float l;
    int32_t i;
} key;

int qcts_avx2_samp_scratch_init(qcts_avx2_samp_scratch *s, int32_t V)
{
    s->V = V;
    s->l = aligned_alloc(32, ((size_t)V + 8 + 7) / 8 * 32);
    s->e = aligned_alloc(32, ((size_t)V + 8 + 7) / 8 * 32);
    s->counts = calloc((size_t)V, sizeof *s->counts);
    s->keys = malloc((size_t)V * sizeof(key));
    s->keys2 = malloc((size_t)V * sizeof(key));
    s->l2 = aligned_alloc(32, ((size_t)V + 8 + 7) / 8 * 32);
    if (!s->l || !s->e || !s->counts || !s->keys || !s->keys2 || !s->l2) {
        qcts_avx2_samp_scratch_free(s);
        return -1;
    }
    return 0;
}

void qcts_avx2_samp_scratch_free(qcts_avx2_samp_scratch *s)
{
    free(s->l);
    free(s->e);
    free(s->counts);
    free(s->keys);
    free(s->keys2);
    free(s->l2);
    s->l = s->e = s->l2 = NULL;
    s->counts = NULL;
    s->keys = s->keys2 = NULL;
}

/* exp in float32, within 2 ulp for x in [-87.3, 88.7]; x < -87.3 (and
 * -inf) gives 0 exactly (flush below 2^-126), exp(0) = 1 exactly. */
QCTS_AVX2_INLINE __m256 exp8(__m256 x)
{
    const __m256 lo = _mm256_set1_ps(-87.33654f), hi = _mm256_set1_ps(88.72283f);
    __m256 under = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);
    x = _mm256_min_ps(_mm256_max_ps(x, lo), hi);
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500E-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507E-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073E-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894E-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459E-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201E-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    /* 2^n in two factors, so n = 128 (x near 88.7) does not overflow the exponent */
    __m256i ni = _mm256_cvtps_epi32(n);
    __m256i h1 = _mm256_srai_epi32(ni, 1), h2 = _mm256_sub_epi32(ni, h1);
    __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(h1, _mm256_set1_epi32(127)), 23));
    __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(h2, _mm256_set1_epi32(127)), 23));
    p = _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
    return _mm256_andnot_ps(under, p);
}

QCTS_AVX2_INLINE float hsum(__m256 v)
{
    __m128 a = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    a = _mm_add_ps(a, _mm_movehl_ps(a, a));
    a = _mm_add_ss(a, _mm_movehdup_ps(a));
    return _mm_cvtss_f32(a);
}

QCTS_AVX2_INLINE float hmax(__m256 v)
{
    __m128 a = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    a = _mm_max_ps(a, _mm_movehl_ps(a, a));
    a = _mm_max_ss(a, _mm_movehdup_ps(a));
    return _mm_cvtss_f32(a);
}

static int key_desc(const void *a, const void *b)
{
    const key *x = a, *y = b;
    if (x->l != y->l)
        return x->l > y->l ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* The k-th largest of v[0..n) (quickselect; v is permuted). */
static float kth_largest(float *v, int32_t n, int32_t k)
{
    int32_t lo = 0, hi = n - 1, want = k - 1;
    while (lo < hi) {
        float piv = v[lo + (hi - lo) / 2];
        int32_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] > piv)
                i++;
            while (v[j] < piv)
                j--;
            if (i <= j) {
                float t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                j--;
            }
        }
        if (want <= j)
            hi = j;
        else if (want >= i)
            lo = i;
        else
            return v[want];
    }
    return v[want];
}

/* 8 logits from t (t + 8 <= V: a plain load; else the lanes >= V are -inf). */
QCTS_AVX2_INLINE __m256 load8(const float *l, int32_t t, int32_t V)
{
    if (t + 8 <= V)
        return _mm256_loadu_ps(l + t);
    __m256i lane = _mm256_add_epi32(_mm256_set1_epi32(t), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    __m256i in = _mm256_cmpgt_epi32(_mm256_set1_epi32(V), lane);
    __m256 v = _mm256_maskload_ps(l + t, in);
    return _mm256_blendv_ps(_mm256_set1_ps(-1.0f / 0.0f), v, _mm256_castsi256_ps(in));
}

/* Compacts the candidates c[0..m) (index order) to the k first in (l desc,
 * index asc): those above the k-th largest value th, then the earliest
 * equal to it. Returns th; *m = k. tmp: m floats. */
static float topk_compact(key *c, int32_t *m, int32_t k, float *tmp)
{
    for (int32_t j = 0; j < *m; j++)
        tmp[j] = c[j].l;
    float th = kth_largest(tmp, *m, k);
    int32_t greater = 0;
    for (int32_t j = 0; j < *m; j++)
        greater += c[j].l > th;
    int32_t eq_left = k - greater, w = 0;
    for (int32_t j = 0; j < *m; j++)
        if (c[j].l > th || (c[j].l == th && eq_left-- > 0))
            c[w++] = c[j];
    *m = w;
    return th;
}

/* Draw over e[0..m) in index order: the first j with target < C_j (block
 * sums of 64 skip ahead), else the last j with e > 0; -1 if none. */
static int32_t draw(const float *e, int32_t m, float target)
{
    float C = 0;
    int32_t j = 0;
    for (; j + 64 <= m; j += 64) {
        __m256 a = _mm256_add_ps(_mm256_add_ps(_mm256_loadu_ps(e + j), _mm256_loadu_ps(e + j + 8)),
                                 _mm256_add_ps(_mm256_loadu_ps(e + j + 16), _mm256_loadu_ps(e + j + 24)));
        __m256 b = _mm256_add_ps(_mm256_add_ps(_mm256_loadu_ps(e + j + 32), _mm256_loadu_ps(e + j + 40)),
                                 _mm256_add_ps(_mm256_loadu_ps(e + j + 48), _mm256_loadu_ps(e + j + 56)));
        float bs = hsum(_mm256_add_ps(a, b));
        if (C + bs > target)
            break;
        C += bs;
    }
    for (; j < m; j++)
        if (e[j] > 0) {
            C += e[j];
            if (target < C)
                return j;
        }
    for (j = m - 1; j >= 0; j--)
        if (e[j] > 0)
            return j;
    return -1;
}

/* exp((l - lmax) * invT) of n values v (n + 8 <= room of out), and their sum. */
static float exp_sum(const float *v, int32_t n, float lmax, float invT, float *out)
{
    const __m256 vmax = _mm256_set1_ps(lmax), vit = _mm256_set1_ps(invT);
    __m256 acc = _mm256_setzero_ps();
    for (int32_t t = 0; t < n; t += 8) {
        __m256 e = exp8(_mm256_mul_ps(_mm256_sub_ps(load8(v, t, n), vmax), vit));
        _mm256_storeu_ps(out + t, e);
        acc = _mm256_add_ps(acc, e);
    }
    return hsum(acc);
}

/* top-p over e[0..m) of the tokens with logits lv[j]: keeps (zeroes the
 * rest of e) the shortest prefix in (logit desc, position asc) whose sum
 * reaches top_p * Z. Only positions with e >= tau can hold the cut: with
 * m * tau <= (1 - top_p) Z / 2 the excluded mass cannot reach it. ks: m keys. */
static void top_p(float *e, const float *lv, const key *kv, int32_t m, float Z, float tp, key *ks)
{
    float tau = 0.5f * (1.0f - tp) * Z / (float)m;
    int32_t nc = 0;
    for (int32_t j = 0; j < m; j++)
        if (e[j] > 0 && e[j] >= tau)
            ks[nc++] = (key){ lv ? lv[j] : kv[j].l, j };
    qsort(ks, (size_t)nc, sizeof *ks, key_desc);
    float S = 0, thr = tp * Z;
    int32_t cut = nc - 1;
    for (int32_t j = 0; j < nc; j++) {
        S += e[ks[j].i];
        if (S >= thr) {
            cut = j;
            break;
        }
    }
    /* keep ks[0..cut]: save their e, clear all, restore */
    for (int32_t j = 0; j <= cut; j++)
        ks[j].l = e[ks[j].i];
    memset(e, 0, (size_t)m * sizeof *e);
    for (int32_t j = 0; j <= cut; j++)
        e[ks[j].i] = ks[j].l;
}

static void min_p(float *e, int32_t m, float th)
{
    const __m256 vt = _mm256_set1_ps(th);
    int32_t t = 0;
    for (; t + 8 <= m; t += 8) {
        __m256 v = _mm256_loadu_ps(e + t);
        _mm256_storeu_ps(e + t, _mm256_and_ps(v, _mm256_cmp_ps(v, vt, _CMP_GE_OQ)));
    }
    for (; t < m; t++)
        if (!(e[t] >= th))
            e[t] = 0;
}

static float sum(const float *e, int32_t m)
{
    __m256 acc = _mm256_setzero_ps();
    int32_t t = 0;
    for (; t + 8 <= m; t += 8)
        acc = _mm256_add_ps(acc, _mm256_loadu_ps(e + t));
    float s = hsum(acc);
    for (; t < m; t++)
        s += e[t];
    return s;
}

int32_t qcts_avx2_sample_row(const qref_sampling_params *p, const void *logits, qcts_dtype dt, const int32_t *hist,
                             float u, float *probs, qcts_avx2_samp_scratch *s)
{
    const int32_t V = p->vocab;
    float *e = s->e;
    const float *l = logits;
    const qcts_convert_ops *cv = &qcts_convert__avx2;
    if (dt != QCTS_DT_F32 || p->hist_len > 0) {
        float *w = s->l;
        if (dt == QCTS_DT_F32)
            memcpy(w, logits, (size_t)V * 4);
        else if (dt == QCTS_DT_F16)
            cv->f16_to_f32(logits, w, V);
        else
            cv->bf16_to_f32(logits, w, V);
        /* 1. penalties: counts touched only at history entries, cleared after */
        for (int32_t h = 0; h < p->hist_len; h++)
            if (hist[h] >= V) {
                for (int32_t g = 0; g < h; g++)
                    if (hist[g] >= 0)
                        s->counts[hist[g]] = 0;
                return -1;
            } else if (hist[h] >= 0) {
                s->counts[hist[h]]++;
            }
        for (int32_t h = 0; h < p->hist_len; h++) {
            int32_t t = hist[h];
            if (t < 0 || s->counts[t] == 0)
                continue;
            float x = w[t];
            x = x > 0 ? x / p->rep_penalty : x * p->rep_penalty;
            float pen = (float)s->counts[t] * p->freq_penalty;
            pen = pen + p->presence_penalty;
            w[t] = x - pen;
            s->counts[t] = 0;
        }
        l = w;
    }

    /* 2. max and argmax in one pass: per lane the first maximum (strictly
     * greater replaces), then the lowest index among lanes at the max */
    __m256 vm = _mm256_set1_ps(-1.0f / 0.0f);
    __m256i vi = _mm256_setzero_si256(), idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i eight = _mm256_set1_epi32(8);
    for (int32_t t = 0; t < V; t += 8) {
        __m256 v = load8(l, t, V);
        __m256 gt = _mm256_cmp_ps(v, vm, _CMP_GT_OQ);
        vm = _mm256_blendv_ps(vm, v, gt);
        vi = _mm256_blendv_epi8(vi, idx, _mm256_castps_si256(gt));
        idx = _mm256_add_epi32(idx, eight);
    }
    float lmax = hmax(vm);
    int32_t am = 0;
    {
        _Alignas(32) float mv[8];
        _Alignas(32) int32_t mi[8];
        _mm256_store_ps(mv, vm);
        _mm256_store_si256((__m256i *)(void *)mi, vi);
        am = V;
        for (int i = 0; i < 8; i++)
            if (mv[i] == lmax && mi[i] < am)
                am = mi[i];
        if (am >= V)
            am = 0;   /* every logit -inf */
    }
    if (p->temperature == 0 || lmax == -1.0f / 0.0f) {
        if (probs) {
            memset(probs, 0, (size_t)V * sizeof *probs);
            probs[am] = 1;
        }
        return am;
    }
    const float invT = 1.0f / p->temperature;
    const float target_u = u;

    /* 4. top-k: a candidate buffer in index order, compacted to the k best
     * so far whenever it fills; then steps 5..9 over the k tokens only */
    if (p->top_k > 0 && p->top_k < V) {
        const int32_t k = p->top_k;
        key *c = s->keys, *ks = (key *)s->keys2;
        int32_t cap = 4 * k + 256 < V ? 4 * k + 256 : V, m = 0;
        float tau = -1.0f / 0.0f;
        for (int32_t t = 0; t < V; t += 8) {
            if (cap < V && m + 8 > cap)
                tau = topk_compact(c, &m, k, e);
            __m256 v = load8(l, t, V);
            int bits = _mm256_movemask_ps(_mm256_cmp_ps(v, _mm256_set1_ps(tau), _CMP_GT_OQ));
            while (bits) {
                int b = __builtin_ctz((unsigned)bits);
                bits &= bits - 1;
                c[m++] = (key){ l[t + b], t + b };
            }
        }
        if (m > k)
            topk_compact(c, &m, k, e);
        /* -inf tokens never entered the buffer: their e is 0 */
        float *lv = (float *)s->l2;
        for (int32_t j = 0; j < m; j++)
            lv[j] = c[j].l;
        float Z = exp_sum(lv, m, lmax, invT, e);
        if (p->top_p < 1)
            top_p(e, lv, NULL, m, Z, p->top_p, ks);
        if (p->min_p > 0)
            min_p(e, m, p->min_p * 1.0f);   /* e of the max is exp(0) = 1 */
        float Zk = (p->top_p < 1 || p->min_p > 0) ? sum(e, m) : Z;
        int32_t j = draw(e, m, target_u * Zk);
        if (probs) {
            memset(probs, 0, (size_t)V * sizeof *probs);
            float iz = 1.0f / Zk;
            for (int32_t q = 0; q < m; q++)
                probs[c[q].i] = e[q] * iz;
        }
        return j >= 0 ? c[j].i : am;
    }

    /* 3 + 5. the whole vocabulary: e = exp((l - lmax) / T), Z */
    float Z = exp_sum(l, V, lmax, invT, e);
    if (p->top_p < 1)
        top_p(e, l, NULL, V, Z, p->top_p, (key *)s->keys);
    if (p->min_p > 0)
        min_p(e, V, p->min_p * e[am]);
    float Zk = (p->top_p < 1 || p->min_p > 0) ? sum(e, V) : Z;
    int32_t tok = draw(e, V, target_u * Zk);
    if (probs) {
        const __m256 iz = _mm256_set1_ps(1.0f / Zk);
        int32_t t = 0;
        for (; t + 8 <= V; t += 8)
            _mm256_storeu_ps(probs + t, _mm256_mul_ps(_mm256_loadu_ps(e + t), iz));
        for (; t < V; t++)
            probs[t] = e[t] * (1.0f / Zk);
    }
    return tok >= 0 ? tok : am;
}

/* ---- the avx2 backend's sampling slot (kernels/opcall.h) ------------------------- */

#include "kernels/backend_say.h"
#include "kernels/opcall.h"

#define SAMP_MAX_THREADS 64

typedef struct samp_call {
    qcts_opcall h;
    qcts_sampling_desc d;
    qcts_buffers b;
    qref_sampling_params p;
    int threads;
    qcts_avx2_samp_scratch sc[SAMP_MAX_THREADS];
    int64_t bad_row[SAMP_MAX_THREADS];   /* first row with a history entry >= vocab, per thread; -1 none */
} samp_call;

static void samp_rows(void *ctx, int t, int64_t lo, int64_t hi)
{
    samp_call *c = ctx;
    const qcts_sampling_desc *d = &c->d;
    size_t V = (size_t)d->vocab, esz = d->logits_dtype == QCTS_DT_F32 ? 4 : 2;
    for (int64_t r = lo; r < hi; r++) {
        const void *l = (const uint8_t *)c->b.in[0] + (size_t)r * V * esz;
        const int32_t *h = d->hist_len > 0 ? (const int32_t *)c->b.in[1] + (size_t)r * (size_t)d->hist_len : NULL;
        float *pr = d->want_probs && c->b.out[1] ? (float *)c->b.out[1] + (size_t)r * V : NULL;
        int32_t tok = qcts_avx2_sample_row(&c->p, l, (qcts_dtype)d->logits_dtype, h, ((const float *)c->b.in[2])[r],
                                           pr, &c->sc[t]);
        if (tok < 0 && c->bad_row[t] < 0)
            c->bad_row[t] = r;
        ((int32_t *)c->b.out[0])[r] = tok;
    }
}

static qcts_status samp_run(qcts_opcall *oc, char *msg, size_t n)
{
    samp_call *c = (samp_call *)oc;
    for (int t = 0; t < c->threads; t++)
        c->bad_row[t] = -1;
    qcts_parallel_for(c->threads, c->d.rows, 1, samp_rows, c);
    for (int t = 0; t < c->threads; t++)
        if (c->bad_row[t] >= 0)
            return qcts_say(QCTS_ERROR, msg, n, "avx2: sampling row %lld: a history entry is >= vocab %d",
                            (long long)c->bad_row[t], (int)c->d.vocab);
    return QCTS_OK;
}

static void samp_release(qcts_opcall *oc)
{
    samp_call *c = (samp_call *)oc;
    for (int t = 0; t < c->threads; t++)
        qcts_avx2_samp_scratch_free(&c->sc[t]);
    free(c);
}

qcts_status qcts_avx2_sampling(const qcts_sampling_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                               size_t n)
{
    char why[256];
    *call = NULL;
    if (!qcts_isa_cpu_ok(QCTS_ISA_AVX2, why, sizeof why))
        return qcts_say(QCTS_UNAVAILABLE, msg, n, "%s", why);
    qcts_op_io io;
    qcts_status st = qcts_opcall_check(QCTS_OP_SAMPLING, d, b, "avx2", &io, msg, n);
    if (st != QCTS_OK)
        return st;
    samp_call *c = calloc(1, sizeof *c);
    if (!c)
        return qcts_say(QCTS_ERROR, msg, n, "avx2: out of memory");
    c->h = (qcts_opcall){ QCTS_OP_SAMPLING, samp_run, samp_release, "qcts_sample_row__avx2" };
    c->d = *d;
    c->b = *b;
    c->p = (qref_sampling_params){ d->vocab, d->hist_len, d->temperature, d->rep_penalty, d->presence_penalty,
                                   d->freq_penalty, d->top_k, d->top_p, d->min_p };
    int64_t th = d->threads > 0 ? d->threads : 1;
    if (th > SAMP_MAX_THREADS)
        th = SAMP_MAX_THREADS;
    if (th > d->rows)
        th = d->rows;
    c->threads = (int)th;
    for (int t = 0; t < c->threads; t++)
        if (qcts_avx2_samp_scratch_init(&c->sc[t], d->vocab) != 0) {
            c->threads = t + 1;
            samp_release(&c->h);
            return qcts_say(QCTS_ERROR, msg, n, "avx2: out of memory (sampling scratch, vocab %d)", (int)d->vocab);
        }
    *call = (qcts_call *)(void *)c;
    return QCTS_OK;
}
