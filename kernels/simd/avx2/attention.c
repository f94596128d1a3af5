/* AVX2 attention: every variant of qcts/op_attention.h (prefill causal or
 * not, decode, GQA/MQA, sliding window, paged with split-K and a reduce,
 * tree masks, differential attention, lse and the probabilities).
 *
 * ALGORITHM (flash attention, float32)
 *   A task is one sequence b, one KV head g and up to QT query positions:
 *   its rows are every query head of g's group at those positions, so each
 *   K/V row is dequantized once per task and used by group·QT rows. Keys
 *   go in blocks of BK: the block's K rows are dequantized into a tile
 *   (plain f32 caches are read in place, f16/bf16 converted with F16C /
 *   shifts, scheme presets by the AVX2 dequant kernels of dequant.inc),
 *   then per row: logits s = scale·(q·k) (8-wide FMA over d), masked keys
 *   get -inf, the running max m, sum l and output o are rescaled by
 *   exp(m_old − m_new) (online softmax) and o += Σ exp(s − m)·v.
 *   With splits > 1 each of ceil(seq_kv/splits)-key partitions keeps its own
 *   (m, l, o) and a reduce combines them (paged attention v2). Differential
 *   attention runs two maps (q/K halves) over the same V tile. The
 *   probabilities (want_probs) are a second pass over K once the row's M
 *   and L are known: the QK-softmax stage of a split kernel.
 *   Results depend only on the shape and the variant, never on threads:
 *   every row is computed by one thread in a fixed order.
 *   A fully masked row has m = -inf at the end: y = +0, lse = -inf.
 *
 * exp: Cody-Waite reduction and a degree-6 polynomial (Cephes expf), FMA;
 * relative error below 2 ulp (tested), exp(0) = 1 exactly, arguments below
 * -87 give +0 (the bound allows 2^-125 per weight). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/simd/avx2/attention.h"
#include "kernels/simd/avx2/common.h"

enum { BK = 64, QT = 16 };

QCTS_AVX2_INLINE __m256 exp8(__m256 x)
{
    const __m256 hi = _mm256_set1_ps(88.3762626647949f), lo = _mm256_set1_ps(-87.0f);
    __m256 keep = _mm256_cmp_ps(x, lo, _CMP_GE_OQ);
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
    __m256 r2 = _mm256_mul_ps(r, r);
    p = _mm256_fmadd_ps(p, r2, r);
    p = _mm256_add_ps(p, _mm256_set1_ps(1.0f));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_and_ps(_mm256_mul_ps(p, _mm256_castsi256_ps(e)), keep);
}

float qcts_attn_exp__avx2(float x)
{
    float out[8];
    _mm256_storeu_ps(out, exp8(_mm256_set1_ps(x)));
    return out[0];
}

static float exp1(float x) { return qcts_attn_exp__avx2(x); }

QCTS_AVX2_INLINE float hsum8(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static float dot(const float *a, const float *b, int64_t n)
{
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    int64_t c = 0;
    for (; c + 16 <= n; c += 16) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + c), _mm256_loadu_ps(b + c), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + c + 8), _mm256_loadu_ps(b + c + 8), a1);
    }
    for (; c + 8 <= n; c += 8)
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + c), _mm256_loadu_ps(b + c), a0);
    float s = hsum8(_mm256_add_ps(a0, a1));
    for (; c < n; c++)
        s += a[c] * b[c];
    return s;
}

/* o = o·alpha + Σ_j p[j]·v[j] over n keys (row pointers v[j]). Columns in
 * chunks of 64 with 8 independent accumulators (keys inner), so the FMAs
 * are not one dependent chain. Keys with p = 0 (masked) are skipped. */
static void pv(float *o, int64_t dv, float alpha, const float *p, const float *const *v, int64_t n)
{
    __m256 al = _mm256_set1_ps(alpha);
    int64_t c = 0;
    for (; c + 64 <= dv; c += 64) {
        __m256 a[8];
        QCTS_UNROLL
        for (int k = 0; k < 8; k++)
            a[k] = _mm256_mul_ps(_mm256_loadu_ps(o + c + 8 * k), al);
        for (int64_t j = 0; j < n; j++) {
            if (p[j] == 0.0f)
                continue;
            __m256 pj = _mm256_set1_ps(p[j]);
            const float *vj = v[j] + c;
            QCTS_UNROLL
            for (int k = 0; k < 8; k++)
                a[k] = _mm256_fmadd_ps(pj, _mm256_loadu_ps(vj + 8 * k), a[k]);
        }
        QCTS_UNROLL
        for (int k = 0; k < 8; k++)
            _mm256_storeu_ps(o + c + 8 * k, a[k]);
    }
    for (; c + 8 <= dv; c += 8) {
        __m256 acc = _mm256_mul_ps(_mm256_loadu_ps(o + c), al);
        for (int64_t j = 0; j < n; j++)
            if (p[j] != 0.0f)
                acc = _mm256_fmadd_ps(_mm256_set1_ps(p[j]), _mm256_loadu_ps(v[j] + c), acc);
        _mm256_storeu_ps(o + c, acc);
    }
    for (; c < dv; c++) {
        float acc = o[c] * alpha;
        for (int64_t j = 0; j < n; j++)
            if (p[j] != 0.0f)
                acc += p[j] * v[j][c];
        o[c] = acc;
    }
}

/* s[k] = q·k_k for 4 keys at once (8 independent accumulators). */
static void dot4(const float *q, const float *const *k, int64_t n, float *s)
{
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    int64_t c = 0;
    for (; c + 16 <= n; c += 16) {
        __m256 x = _mm256_loadu_ps(q + c), y = _mm256_loadu_ps(q + c + 8);
        a0 = _mm256_fmadd_ps(x, _mm256_loadu_ps(k[0] + c), a0);
        a1 = _mm256_fmadd_ps(x, _mm256_loadu_ps(k[1] + c), a1);
        a2 = _mm256_fmadd_ps(x, _mm256_loadu_ps(k[2] + c), a2);
        a3 = _mm256_fmadd_ps(x, _mm256_loadu_ps(k[3] + c), a3);
        b0 = _mm256_fmadd_ps(y, _mm256_loadu_ps(k[0] + c + 8), b0);
        b1 = _mm256_fmadd_ps(y, _mm256_loadu_ps(k[1] + c + 8), b1);
        b2 = _mm256_fmadd_ps(y, _mm256_loadu_ps(k[2] + c + 8), b2);
        b3 = _mm256_fmadd_ps(y, _mm256_loadu_ps(k[3] + c + 8), b3);
    }
    for (; c + 8 <= n; c += 8) {
        __m256 x = _mm256_loadu_ps(q + c);
        a0 = _mm256_fmadd_ps(x, _mm256_loadu_ps(k[0] + c), a0);
        a1 = _mm256_fmadd_ps(x, _mm256_loadu_ps(k[1] + c), a1);
        a2 = _mm256_fmadd_ps(x, _mm256_loadu_ps(k[2] + c), a2);
        a3 = _mm256_fmadd_ps(x, _mm256_loadu_ps(k[3] + c), a3);
    }
    a0 = _mm256_add_ps(a0, b0);
    a1 = _mm256_add_ps(a1, b1);
    a2 = _mm256_add_ps(a2, b2);
    a3 = _mm256_add_ps(a3, b3);
    __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
    __m128 r = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    _mm_storeu_ps(s, r);
    for (; c < n; c++)
        for (int j = 0; j < 4; j++)
            s[j] += q[c] * k[j][c];
}

/* ---- one call ---------------------------------------------------------------------- */

static void row_f16(const uint16_t *src, float *dst, int64_t n)
{
    int64_t c = 0;
    for (; c + 8 <= n; c += 8)
        _mm256_storeu_ps(dst + c, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(src + c))));
    for (; c < n; c++)
        dst[c] = _cvtsh_ss(src[c]);
}

static void row_bf16(const uint16_t *src, float *dst, int64_t n)
{
    int64_t c = 0;
    for (; c + 8 <= n; c += 8) {
        __m256i x = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(const void *)(src + c)));
        _mm256_storeu_ps(dst + c, _mm256_castsi256_ps(_mm256_slli_epi32(x, 16)));
    }
    for (; c < n; c++) {
        uint32_t u = (uint32_t)src[c] << 16;
        memcpy(&dst[c], &u, 4);
    }
}

/* Pointer to float32 cache row `row` of KV head g (cols values), using tile
 * as storage when the row must be converted. */
static const float *cache_row(const qcts_attn_plan *pl, int kv, int64_t g, int64_t row, float *tile)
{
    int64_t cols = kv ? pl->dv : pl->d;
    const qcts_attn_cache *c = &pl->cache[kv];
    if (c->view) {
        const qcts_qview *v = c->per_head ? &c->view[g] : &c->view[0];
        int64_t r = c->per_head ? row : g * pl->R + row;
        c->kernel(v, r, 0, cols, tile);
        return tile;
    }
    size_t off = (size_t)(g * pl->R + row) * (size_t)cols;
    if (c->dtype == QCTS_DT_F32)
        return (const float *)c->data + off;
    if (c->dtype == QCTS_DT_F16)
        row_f16((const uint16_t *)c->data + off, tile, cols);
    else
        row_bf16((const uint16_t *)c->data + off, tile, cols);
    return tile;
}

static int64_t key_row(const qcts_attn_plan *pl, int64_t b, int64_t j)
{
    if (pl->page_size > 0)
        return (int64_t)pl->block_table[b * pl->pps + j / pl->page_size] * pl->page_size + j % pl->page_size;
    return b * pl->seq_kv + j;
}

static int visible(const qcts_attn_plan *pl, int64_t b, int64_t i, int64_t j)
{
    int64_t pos = pl->seq_kv - pl->seq_q + i;
    if (pl->causal && j > pos)
        return 0;
    if (pl->window > 0 && pos - j >= pl->window)
        return 0;
    if (pl->tree) {
        int64_t t = j - (pl->seq_kv - pl->seq_q);
        if (t >= 0) {
            int64_t words = (pl->seq_q + 31) / 32;
            if (!((pl->tree_mask[(b * pl->seq_q + i) * words + t / 32] >> (t % 32)) & 1u))
                return 0;
        }
    }
    return 1;
}

/* Software prefetch of the next block's plain K/V rows (the hardware
 * prefetcher does not follow a paged or strided walk across rows). */
static void prefetch_block(const qcts_attn_plan *pl, int64_t b, int64_t g, int64_t j0, int64_t j1)
{
    if (j0 >= j1)
        return;
    int64_t n = j0 + BK < j1 ? BK : j1 - j0;
    for (int kv = 0; kv < 2; kv++) {
        const qcts_attn_cache *c = &pl->cache[kv];
        if (c->view)
            continue;
        int64_t cols = kv ? pl->dv : pl->d, es = c->dtype == QCTS_DT_F32 ? 4 : 2;
        for (int64_t j = 0; j < n; j++) {
            const char *row = (const char *)c->data + (size_t)((g * pl->R + key_row(pl, b, j0 + j)) * cols * es);
            for (int64_t off = 0; off < cols * es; off += 64)
                _mm_prefetch(row + off, _MM_HINT_T1);
        }
    }
}

typedef struct task_mem {
    float *ktile, *vtile;          /* BK rows */
    const float **kp, **vp;        /* row pointers into the tiles or the cache */
    float *s, *p;                  /* BK logits / weights */
    float *m, *l, *o;              /* per row, map, split */
} task_mem;

static void store_out(const qcts_attn_plan *pl, int64_t r, int64_t c, float v)
{
    if (pl->out_dtype == QCTS_DT_F32)
        ((float *)pl->y)[r * pl->dv + c] = v;
    else if (pl->out_dtype == QCTS_DT_F16)
        ((uint16_t *)pl->y)[r * pl->dv + c] = _cvtss_sh(v, _MM_FROUND_TO_NEAREST_INT);
    else {
        uint32_t u;
        memcpy(&u, &v, 4);
        if ((u & 0x7fffffffu) > 0x7f800000u)
            u = (u >> 16 | 0x40) << 16;
        else
            u = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
        ((uint16_t *)pl->y)[r * pl->dv + c] = (uint16_t)(u >> 16);
    }
}

static void run_task(const qcts_attn_plan *pl, int64_t task, task_mem *tm)
{
    int64_t nqt = (pl->seq_q + QT - 1) / QT;
    int64_t b = task / (pl->kv_heads * nqt), g = (task / nqt) % pl->kv_heads, qt = task % nqt;
    int64_t i0 = qt * QT, i1 = i0 + QT < pl->seq_q ? i0 + QT : pl->seq_q, ni = i1 - i0;
    int64_t G = pl->q_heads / pl->kv_heads, rows = G * ni, maps = pl->diff ? 2 : 1, P = pl->splits;
    int64_t dq = pl->diff ? pl->d / 2 : pl->d, dv = pl->dv, chunk = (pl->seq_kv + P - 1) / P;
    /* state index: ((row * maps + map) * P + part) */
    int64_t ns = rows * maps * P;
    for (int64_t x = 0; x < ns; x++) {
        tm->m[x] = -INFINITY;
        tm->l[x] = 0.0f;
    }
    memset(tm->o, 0, (size_t)(ns * dv) * sizeof(float));
    /* causal/window: the keys any row of the task can see */
    int64_t jlo = 0, jhi = pl->seq_kv;
    if (pl->causal && !pl->tree)
        jhi = pl->seq_kv - pl->seq_q + i1 < pl->seq_kv ? pl->seq_kv - pl->seq_q + i1 : pl->seq_kv;
    if (pl->window > 0) {
        int64_t lo = pl->seq_kv - pl->seq_q + i0 - pl->window + 1;
        jlo = lo > 0 ? lo : 0;
    }
    if (jhi < 0)
        jhi = 0;
    for (int64_t p = 0; p < P; p++) {
        int64_t p0 = p * chunk, p1 = p0 + chunk < pl->seq_kv ? p0 + chunk : pl->seq_kv;
        int64_t a0 = p0 > jlo ? p0 : jlo, a1 = p1 < jhi ? p1 : jhi;
        for (int64_t jb = a0; jb < a1; jb += BK) {
            int64_t nb = jb + BK < a1 ? BK : a1 - jb;
            prefetch_block(pl, b, g, jb + BK, a1);
            for (int64_t j = 0; j < nb; j++) {
                int64_t cr = key_row(pl, b, jb + j);
                tm->kp[j] = cache_row(pl, 0, g, cr, tm->ktile + j * pl->d);
                tm->vp[j] = cache_row(pl, 1, g, cr, tm->vtile + j * dv);
            }
            for (int64_t hh = 0; hh < G; hh++)
                for (int64_t ii = 0; ii < ni; ii++) {
                    int64_t h = g * G + hh, i = i0 + ii, row = hh * ni + ii;
                    const float *q = pl->q + ((b * pl->q_heads + h) * pl->seq_q + i) * pl->d;
                    /* visible keys of this row in the block: a range, unless a tree mask */
                    int64_t pos = pl->seq_kv - pl->seq_q + i, vlo = jb, vhi = jb + nb;
                    if (pl->causal && pos + 1 < vhi)
                        vhi = pos + 1;
                    if (pl->window > 0 && pos - pl->window + 1 > vlo)
                        vlo = pos - pl->window + 1;
                    for (int64_t mp = 0; mp < maps; mp++) {
                        float mb = -INFINITY;
                        const float *qm = q + mp * dq;
                        int64_t j = 0;
                        for (; j < nb; j++)
                            tm->s[j] = -INFINITY;
                        for (j = vlo - jb; j + 4 <= vhi - jb; j += 4) {
                            const float *kk[4] = { tm->kp[j] + mp * dq, tm->kp[j + 1] + mp * dq,
                                                   tm->kp[j + 2] + mp * dq, tm->kp[j + 3] + mp * dq };
                            dot4(qm, kk, dq, tm->s + j);
                        }
                        for (; j < vhi - jb; j++)
                            tm->s[j] = dot(qm, tm->kp[j] + mp * dq, dq);
                        for (j = vlo - jb; j < vhi - jb; j++) {
                            if (pl->tree && !visible(pl, b, i, jb + j)) {
                                tm->s[j] = -INFINITY;
                                continue;
                            }
                            tm->s[j] *= pl->scale;
                            if (tm->s[j] > mb)
                                mb = tm->s[j];
                        }
                        if (mb == -INFINITY)
                            continue;
                        int64_t st = (row * maps + mp) * P + p;
                        float mo = tm->m[st], mn = mb > mo ? mb : mo;
                        float alpha = mo == -INFINITY ? 0.0f : exp1(mo - mn);
                        __m256 mnv = _mm256_set1_ps(mn);
                        float lsum = 0.0f;
                        for (j = 0; j + 8 <= nb; j += 8) {
                            __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(tm->s + j), mnv));
                            _mm256_storeu_ps(tm->p + j, e);
                        }
                        for (; j < nb; j++)
                            tm->p[j] = tm->s[j] == -INFINITY ? 0.0f : exp1(tm->s[j] - mn);
                        for (j = 0; j < nb; j++)
                            lsum += tm->p[j];
                        tm->l[st] = tm->l[st] * alpha + lsum;
                        tm->m[st] = mn;
                        pv(tm->o + st * dv, dv, alpha, tm->p, tm->vp, nb);
                    }
                }
        }
    }
    /* reduce the partitions, normalise, write */
    for (int64_t hh = 0; hh < G; hh++)
        for (int64_t ii = 0; ii < ni; ii++) {
            int64_t h = g * G + hh, i = i0 + ii, row = hh * ni + ii;
            int64_t r = (b * pl->q_heads + h) * pl->seq_q + i;
            float Ms[2], Ls[2];
            float *acc = tm->p;   /* dv floats per map: reuse the weights buffer (>= 2 dv) */
            for (int64_t mp = 0; mp < maps; mp++) {
                float M = -INFINITY, L = 0.0f;
                float *y = acc + mp * dv;
                for (int64_t c = 0; c < dv; c++)
                    y[c] = 0.0f;
                for (int64_t p = 0; p < P; p++) {
                    float mpv = tm->m[(row * maps + mp) * P + p];
                    if (mpv > M)
                        M = mpv;
                }
                if (M != -INFINITY)
                    for (int64_t p = 0; p < P; p++) {
                        int64_t st = (row * maps + mp) * P + p;
                        if (tm->m[st] == -INFINITY)
                            continue;
                        float f = exp1(tm->m[st] - M);
                        L += f * tm->l[st];
                        for (int64_t c = 0; c < dv; c++)
                            y[c] += f * tm->o[st * dv + c];
                    }
                if (M != -INFINITY)
                    for (int64_t c = 0; c < dv; c++)
                        y[c] /= L;
                Ms[mp] = M;
                Ls[mp] = L;
            }
            for (int64_t c = 0; c < dv; c++)
                store_out(pl, r, c, maps == 2 ? acc[c] - pl->lambda * acc[dv + c] : acc[c]);
            if (pl->lse)
                pl->lse[r] = Ms[0] == -INFINITY ? -INFINITY : Ms[0] + logf(Ls[0]);
            if (pl->probs) {
                /* the QK-softmax stage on its own: p_j = exp(s_j − M) / L */
                const float *q = pl->q + r * pl->d;
                float inv = Ms[0] == -INFINITY ? 0.0f : 1.0f / Ls[0];
                for (int64_t j = 0; j < pl->seq_kv; j++) {
                    float pj = 0.0f;
                    if (Ms[0] != -INFINITY && visible(pl, b, i, j)) {
                        const float *k = cache_row(pl, 0, g, key_row(pl, b, j), tm->ktile);
                        pj = exp1(dot(q, k, pl->d) * pl->scale - Ms[0]) * inv;
                    }
                    pl->probs[r * pl->seq_kv + j] = pj;
                }
            }
        }
}

typedef struct par_ctx {
    const qcts_attn_plan *pl;
    int failed;
} par_ctx;

static void par_fn(void *ctx, int t, int64_t lo, int64_t hi)
{
    par_ctx *pc = ctx;
    const qcts_attn_plan *pl = pc->pl;
    (void)t;
    int64_t G = pl->q_heads / pl->kv_heads, rows = G * QT, maps = pl->diff ? 2 : 1;
    int64_t ns = rows * maps * pl->splits;
    task_mem tm;
    size_t pw = (size_t)(BK > 2 * pl->dv ? BK : 2 * pl->dv);
    tm.ktile = malloc((size_t)(BK * pl->d) * sizeof(float));
    tm.vtile = malloc((size_t)(BK * pl->dv) * sizeof(float));
    tm.kp = malloc(BK * sizeof(float *));
    tm.vp = malloc(BK * sizeof(float *));
    tm.s = malloc(BK * sizeof(float));
    tm.p = malloc(pw * sizeof(float));
    tm.m = malloc((size_t)ns * sizeof(float));
    tm.l = malloc((size_t)ns * sizeof(float));
    tm.o = malloc((size_t)(ns * pl->dv) * sizeof(float));
    if (tm.ktile && tm.vtile && tm.kp && tm.vp && tm.s && tm.p && tm.m && tm.l && tm.o) {
        for (int64_t x = lo; x < hi; x++)
            run_task(pl, x, &tm);
    } else {
        __atomic_store_n(&pc->failed, 1, __ATOMIC_RELAXED);
    }
    free(tm.ktile);
    free(tm.vtile);
    free(tm.kp);
    free(tm.vp);
    free(tm.s);
    free(tm.p);
    free(tm.m);
    free(tm.l);
    free(tm.o);
}

int qcts_attention__avx2(const qcts_attn_plan *pl)
{
    int64_t nqt = (pl->seq_q + QT - 1) / QT, tasks = pl->batch * pl->kv_heads * nqt;
    par_ctx pc = { pl, 0 };
    if (qcts_parallel_for(pl->threads, tasks, 1, par_fn, &pc) != 0)
        return -1;
    return pc.failed ? -1 : 0;
}
