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

QCTS_AVX2_INLINE void prefetch_line(const char *p) { _mm_prefetch(p, _MM_HINT_T1); }

QCTS_AVX2_INLINE uint16_t f32_to_f16_1(float v) { return (uint16_t)_cvtss_sh(v, _MM_FROUND_TO_NEAREST_INT); }

/* p[j] = exp(s[j] - mn): 8 at a time (exp8 gives 0 below -87, so -inf -> 0) */
static void exp_row(const float *s, float *p, int64_t nb, float mn)
{
    __m256 mnv = _mm256_set1_ps(mn);
    int64_t j = 0;
    for (; j + 8 <= nb; j += 8)
        _mm256_storeu_ps(p + j, exp8(_mm256_sub_ps(_mm256_loadu_ps(s + j), mnv)));
    for (; j < nb; j++)
        p[j] = s[j] == -INFINITY ? 0.0f : exp1(s[j] - mn);
}

#define QCTS_ATTN_ENTRY qcts_attention__avx2
#include "kernels/simd/attention_flash.inc"
