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
    if (!s->l || !s->e || !s->counts || !s->keys) {
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
    s->l = s->e = NULL;
    s->counts = NULL;
    s->keys = NULL;
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

int32_t qcts_avx2_sample_row(const qref_sampling_params *p, const void *logits, qcts_dtype dt, const int32_t *hist,
                             float u, float *probs, qcts_avx2_samp_scratch *s)
{
    const int32_t V = p->vocab;
    float *l = s->l, *e = s->e;
    const qcts_convert_ops *cv = &qcts_convert__avx2;
    if (dt == QCTS_DT_F32)
        memcpy(l, logits, (size_t)V * 4);
    else if (dt == QCTS_DT_F16)
        cv->f16_to_f32(logits, l, V);
    else
        cv->bf16_to_f32(logits, l, V);
    const int32_t V8 = (V + 7) & ~7;
    for (int32_t t = V; t < V8; t++)
        l[t] = -1.0f / 0.0f;   /* padding: never the max, e = 0 */

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
        float x = l[t];
        x = x > 0 ? x / p->rep_penalty : x * p->rep_penalty;
        float pen = (float)s->counts[t] * p->freq_penalty;
        pen = pen + p->presence_penalty;
        l[t] = x - pen;
        s->counts[t] = 0;
    }

    /* 2. max and argmax (the lowest index of the max) */
    __m256 vm = _mm256_set1_ps(-1.0f / 0.0f);
    for (int32_t t = 0; t < V8; t += 8)
        vm = _mm256_max_ps(vm, _mm256_load_ps(l + t));
    float lmax = hmax(vm);
    int32_t am = 0;
    {
        __m256 m = _mm256_set1_ps(lmax);
        for (int32_t t = 0; t < V8; t += 8) {
            int bits = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_load_ps(l + t), m, _CMP_EQ_OQ));
            if (bits) {
                am = t + __builtin_ctz((unsigned)bits);
                break;
            }
        }
    }
    if (p->temperature == 0 || lmax == -1.0f / 0.0f) {
        if (probs) {
            memset(probs, 0, (size_t)V * sizeof *probs);
            probs[am] = 1;
        }
        return am;
    }

    /* 4. top-k: drop (logit -> -inf) everything after the k-th in (l desc, index asc) */
    if (p->top_k > 0 && p->top_k < V) {
        memcpy(e, l, (size_t)V * 4);
        float th = kth_largest(e, V, p->top_k);
        int32_t greater = 0;
        for (int32_t t = 0; t < V; t++)
            greater += l[t] > th;
        int32_t eq_left = p->top_k - greater;
        for (int32_t t = 0; t < V; t++) {
            if (l[t] > th)
                continue;
            if (l[t] == th && eq_left > 0) {
                eq_left--;
                continue;
            }
            l[t] = -1.0f / 0.0f;
        }
    }
    int32_t nk = (p->top_k > 0 && p->top_k < V) ? p->top_k : V;

    /* 3 + 5. e = exp((l - lmax) * (1/T)), Z */
    const __m256 vmax = _mm256_set1_ps(lmax), vit = _mm256_set1_ps(1.0f / p->temperature);
    __m256 acc = _mm256_setzero_ps();
    for (int32_t t = 0; t < V8; t += 8) {
        __m256 x = _mm256_mul_ps(_mm256_sub_ps(_mm256_load_ps(l + t), vmax), vit);
        __m256 v = exp8(x);
        _mm256_store_ps(e + t, v);
        acc = _mm256_add_ps(acc, v);
    }
    float Z = hsum(acc);

    /* 6. top-p over the candidates that can hold the cut */
    if (p->top_p < 1) {
        float tau = 0.5f * (1.0f - p->top_p) * Z / (float)nk;
        key *k = s->keys;
        int32_t nc = 0;
        for (int32_t t = 0; t < V; t++)
            if (e[t] > 0 && e[t] >= tau)
                k[nc++] = (key){ l[t], t };
        qsort(k, (size_t)nc, sizeof *k, key_desc);
        float S = 0, thr = p->top_p * Z;
        int32_t cut = nc - 1;
        for (int32_t j = 0; j < nc; j++) {
            S += e[k[j].i];
            if (S >= thr) {
                cut = j;
                break;
            }
        }
        /* keep key[0..cut]: mark them with the sign bit of l, drop the rest */
        for (int32_t j = 0; j <= cut; j++)
            l[k[j].i] = 1.0f / 0.0f;
        for (int32_t t = 0; t < V; t++)
            if (l[t] != 1.0f / 0.0f)
                e[t] = 0;
    }

    /* 7. min-p: e >= min_p * e_max */
    if (p->min_p > 0) {
        float th = p->min_p * e[am];
        const __m256 vt = _mm256_set1_ps(th);
        for (int32_t t = 0; t < V8; t += 8) {
            __m256 v = _mm256_load_ps(e + t);
            _mm256_store_ps(e + t, _mm256_and_ps(v, _mm256_cmp_ps(v, vt, _CMP_GE_OQ)));
        }
    }

    /* 8 + 9. Zk, then the first t with u * Zk < C_t (block sums of 8) */
    acc = _mm256_setzero_ps();
    for (int32_t t = 0; t < V8; t += 8)
        acc = _mm256_add_ps(acc, _mm256_load_ps(e + t));
    float Zk = hsum(acc), target = u * Zk, C = 0;
    int32_t tok = -1;
    for (int32_t t = 0; t < V8 && tok < 0; t += 8) {
        float b = hsum(_mm256_load_ps(e + t));
        if (!(C + b > target)) {
            C += b;
            continue;
        }
        for (int32_t i = t; i < t + 8; i++) {
            if (e[i] > 0) {
                C += e[i];
                if (target < C) {
                    tok = i;
                    break;
                }
            }
        }
    }
    if (tok < 0)
        for (int32_t t = V - 1; t >= 0; t--)
            if (e[t] > 0) {
                tok = t;
                break;
            }
    if (tok < 0)
        tok = am;
    if (probs) {
        const __m256 iz = _mm256_set1_ps(1.0f / Zk);
        int32_t t = 0;
        for (; t + 8 <= V; t += 8)
            _mm256_storeu_ps(probs + t, _mm256_mul_ps(_mm256_load_ps(e + t), iz));
        for (; t < V; t++)
            probs[t] = e[t] * (1.0f / Zk);
    }
    return tok;
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
