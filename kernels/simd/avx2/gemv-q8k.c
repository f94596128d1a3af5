/* AVX2 q8_K x gguf_q4_k / gguf_q6_k (actq.h): ggml's vec_dot_q4_K_q8_K and
 * vec_dot_q6_K_q8_K. Activations are q8_K codes in column order (aq->q)
 * with their block scale d_a (aq->bd) and sums of 16 codes (aq->bsums).
 *
 * Q4_K, per super-block of 256 and weight row: the 4-bit codes u (0..15)
 * times the activation codes by vpmaddubsw (pairs <= 2 x 15 x 127, no
 * saturation), vpmaddwd by the sub-block's 6-bit scale (i32), summed over
 * the 8 sub-blocks: isum = sum_j sc_j dot_j, exact; the mins term sum_j m_j
 * (bsum_2j + bsum_2j+1) by one vpmaddwd of the 16 bsums and the mins.
 * Float: acc += cvt(isum) x (d_a d_w); acc -= cvt(mins) x (d_a dmin_w).
 * Q6_K: the 6-bit u = value + 32 (0..63), vpmaddubsw (pairs <= 16002),
 * vpmaddwd by the signed scale of each 16, and the offset -32 sum_g sc_g
 * bsum_g by one vpmaddwd of bsums and scales; acc += cvt(isum) x (d_a d_w).
 * y = hsum(acc): K/256 x 3 + 3 roundings per term, inside the reference's
 * bound; every integer is exact.
 *
 * Tiles: weights are decoded once per super-block and weight row and used
 * for 1 or 4 activation rows (qcts_actq_drive_tiled); each output has the
 * same operation sequence either way. */
#include <immintrin.h>
#include <string.h>

#include "kernels/simd/actq.h"

#define INL static inline __attribute__((always_inline))
#define UNROLL _Pragma("GCC unroll 8")
#define PF_AHEAD 1024

INL float f16v(const uint8_t *p)
{
    uint16_t h;
    memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

INL float hsum8(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

INL __m256i ld256(const void *p) { return _mm256_loadu_si256((const __m256i *)p); }

/* [a x 8 i16, b x 8 i16] */
INL __m256i pair16(int a, int b) { return _mm256_set_m128i(_mm_set1_epi16((short)b), _mm_set1_epi16((short)a)); }

#define Q4K_BYTES 144
#define Q6K_BYTES 210

#define Q4K_ROWS(fname, R, T)                                                                          \
    static void fname(const qcts_gemm_args *g, int64_t m0, int64_t n, float *v)                         \
    {                                                                                                   \
        const qcts_actq *aq = g->aq;                                                                    \
        const qcts_qview *w = g->w;                                                                     \
        const int64_t nb = w->cols / 256, K = w->cols;                                                  \
        const __m256i m4 = _mm256_set1_epi8(0x0F);                                                      \
        const uint8_t *p[R];                                                                            \
        __m256 acc[T][R];                                                                               \
        UNROLL for (int r = 0; r < R; r++) {                                                            \
            p[r] = w->codes + (size_t)(n + r) * w->row_bytes;                                           \
            UNROLL for (int t = 0; t < T; t++) acc[t][r] = _mm256_setzero_ps();                         \
        }                                                                                               \
        for (int64_t b = 0; b < nb; b++) {                                                              \
            UNROLL for (int r = 0; r < R; r++) {                                                        \
                const uint8_t *blk = p[r] + Q4K_BYTES * b;                                              \
                _mm_prefetch((const char *)blk + PF_AHEAD, _MM_HINT_T0);                                \
                _mm_prefetch((const char *)blk + 4 * w->row_bytes, _MM_HINT_T0);                        \
                _mm_prefetch((const char *)blk + 4 * w->row_bytes + 64, _MM_HINT_T0);                   \
                _mm_prefetch((const char *)blk + 4 * w->row_bytes + 128, _MM_HINT_T0);                  \
                uint8_t sm[16];                                                                         \
                qcts_q4k_scales(blk + 4, sm);                                                           \
                const float dw = f16v(blk), dmin = f16v(blk + 2);                                       \
                __m256i isum[T];                                                                        \
                UNROLL for (int t = 0; t < T; t++) isum[t] = _mm256_setzero_si256();                    \
                UNROLL for (int c = 0; c < 4; c++) {                                                    \
                    const __m256i raw = ld256(blk + 16 + 32 * c);                                       \
                    const __m256i lo = _mm256_and_si256(raw, m4);                                       \
                    const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), m4);                 \
                    const __m256i slo = _mm256_set1_epi16(sm[2 * c]), shi = _mm256_set1_epi16(sm[2 * c + 1]); \
                    UNROLL for (int t = 0; t < T; t++) {                                                \
                        const int8_t *a = aq->q + (m0 + t) * K + 256 * b + 64 * c;                      \
                        const __m256i plo = _mm256_madd_epi16(_mm256_maddubs_epi16(lo, ld256(a)), slo); \
                        const __m256i phi = _mm256_madd_epi16(_mm256_maddubs_epi16(hi, ld256(a + 32)), shi); \
                        isum[t] = _mm256_add_epi32(isum[t], _mm256_add_epi32(plo, phi));                \
                    }                                                                                   \
                }                                                                                       \
                /* mins: lane pair 2j, 2j+1 of the 16 bsums times m_j */                                \
                const __m256i mins = _mm256_cvtepu8_epi16(_mm_shuffle_epi8(                            \
                    _mm_loadl_epi64((const __m128i *)(const void *)(sm + 8)),                           \
                    _mm_setr_epi8(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7)));                    \
                UNROLL for (int t = 0; t < T; t++) {                                                    \
                    const float da = aq->bd[(m0 + t) * aq->nblk + b];                                   \
                    const __m256i bs = ld256(aq->bsums + ((m0 + t) * K + 256 * b) / 16);                \
                    const __m256i msum = _mm256_madd_epi16(bs, mins);                                   \
                    acc[t][r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[t]), _mm256_set1_ps(da * dw), acc[t][r]); \
                    acc[t][r] = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(msum), _mm256_set1_ps(da * dmin), acc[t][r]); \
                }                                                                                       \
            }                                                                                           \
        }                                                                                               \
        UNROLL for (int t = 0; t < T; t++)                                                              \
            UNROLL for (int r = 0; r < R; r++) v[t * 4 + r] = hsum8(acc[t][r]);                         \
    }

/* Q6_K half h (128 columns): ql 64 bytes, qh 32; u of column 32i + l (i < 4): */
#define Q6K_ROWS(fname, R, T)                                                                          \
    static void fname(const qcts_gemm_args *g, int64_t m0, int64_t n, float *v)                         \
    {                                                                                                   \
        const qcts_actq *aq = g->aq;                                                                    \
        const qcts_qview *w = g->w;                                                                     \
        const int64_t nb = w->cols / 256, K = w->cols;                                                  \
        const __m256i m4 = _mm256_set1_epi8(0x0F), m3 = _mm256_set1_epi8(0x30);                         \
        const uint8_t *p[R];                                                                            \
        __m256 acc[T][R];                                                                               \
        UNROLL for (int r = 0; r < R; r++) {                                                            \
            p[r] = w->codes + (size_t)(n + r) * w->row_bytes;                                           \
            UNROLL for (int t = 0; t < T; t++) acc[t][r] = _mm256_setzero_ps();                         \
        }                                                                                               \
        for (int64_t b = 0; b < nb; b++) {                                                              \
            UNROLL for (int r = 0; r < R; r++) {                                                        \
                const uint8_t *blk = p[r] + Q6K_BYTES * b;                                              \
                _mm_prefetch((const char *)blk + PF_AHEAD, _MM_HINT_T0);                                \
                _mm_prefetch((const char *)blk + 4 * w->row_bytes, _MM_HINT_T0);                        \
                _mm_prefetch((const char *)blk + 4 * w->row_bytes + 64, _MM_HINT_T0);                   \
                _mm_prefetch((const char *)blk + 4 * w->row_bytes + 128, _MM_HINT_T0);                  \
                _mm_prefetch((const char *)blk + 4 * w->row_bytes + 192, _MM_HINT_T0);                  \
                const int8_t *s8 = (const int8_t *)(const void *)(blk + 192);                           \
                const float dw = f16v(blk + 208);                                                       \
                __m256i isum[T];                                                                        \
                UNROLL for (int t = 0; t < T; t++) isum[t] = _mm256_setzero_si256();                    \
                UNROLL for (int h = 0; h < 2; h++) {                                                    \
                    const __m256i l0 = ld256(blk + 64 * h), l1 = ld256(blk + 64 * h + 32);              \
                    const __m256i qh = ld256(blk + 128 + 32 * h);                                       \
                    __m256i u[4];                                                                       \
                    u[0] = _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_and_si256(_mm256_slli_epi16(qh, 4), m3)); \
                    u[1] = _mm256_or_si256(_mm256_and_si256(l1, m4), _mm256_and_si256(_mm256_slli_epi16(qh, 2), m3)); \
                    u[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4), _mm256_and_si256(qh, m3)); \
                    u[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),              \
                                           _mm256_and_si256(_mm256_srli_epi16(qh, 2), m3));             \
                    UNROLL for (int i = 0; i < 4; i++) {                                                \
                        const __m256i sc = pair16(s8[8 * h + 2 * i], s8[8 * h + 2 * i + 1]);            \
                        UNROLL for (int t = 0; t < T; t++) {                                            \
                            const int8_t *a = aq->q + (m0 + t) * K + 256 * b + 128 * h + 32 * i;        \
                            isum[t] = _mm256_add_epi32(isum[t],                                         \
                                                       _mm256_madd_epi16(_mm256_maddubs_epi16(u[i], ld256(a)), sc)); \
                        }                                                                               \
                    }                                                                                   \
                }                                                                                       \
                /* - 32 sum_g sc_g bsum_g */                                                            \
                const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)s8)); \
                UNROLL for (int t = 0; t < T; t++) {                                                    \
                    const float da = aq->bd[(m0 + t) * aq->nblk + b];                                   \
                    const __m256i bs = ld256(aq->bsums + ((m0 + t) * K + 256 * b) / 16);                \
                    const __m256i off = _mm256_slli_epi32(_mm256_madd_epi16(bs, sc16), 5);              \
                    acc[t][r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(isum[t], off)),     \
                                                _mm256_set1_ps(da * dw), acc[t][r]);                    \
                }                                                                                       \
            }                                                                                           \
        }                                                                                               \
        UNROLL for (int t = 0; t < T; t++)                                                              \
            UNROLL for (int r = 0; r < R; r++) v[t * 4 + r] = hsum8(acc[t][r]);                         \
    }

#define QK_KERNEL(scheme, ROWS)                                                                        \
    ROWS(r4t4_##scheme, 4, 4)                                                                          \
    ROWS(r4t1_##scheme, 4, 1)                                                                          \
    ROWS(r1t4_##scheme, 1, 4)                                                                          \
    ROWS(r1t1_##scheme, 1, 1)                                                                          \
    void qcts_aq_##scheme##__avx2(const qcts_gemm_args *g, int64_t n0, int64_t n1, void *scratch)     \
    {                                                                                                  \
        (void)scratch;                                                                                 \
        qcts_actq_drive_tiled(g, n0, n1, r4t4_##scheme, r4t1_##scheme, r1t4_##scheme, r1t1_##scheme);  \
    }

QK_KERNEL(gguf_q4_k, Q4K_ROWS)
QK_KERNEL(gguf_q6_k, Q6K_ROWS)
