/* AVX-512 VNNI q8_K x gguf_q4_k / gguf_q6_k (actq.h; ggml's
 * vec_dot_q4_K_q8_K / vec_dot_q6_K_q8_K), built with -mavx512vnni
 * (simd.mk), chosen only where the CPU has it (actq.c). Activations: q8_K
 * codes in column order (aq->q), d_a (aq->bd), sums of 16 (aq->bsums).
 *
 * 64 columns per zmm: Q4_K's 32 code bytes of a 64-column chunk give
 * [low nibbles, high nibbles] = columns in order (sub-blocks 2c, 2c+1);
 * Q6_K's 6-bit u = value + 32 from ql (64 bytes: columns 0..63 low
 * nibbles, 64..127 high) and qh (2 bits each). vpdpbusd (u8 x s8, from 0)
 * gives per dot lane an exact sum of 4 products, |.| <= 4 x 63 x 127 <
 * 2^15: it fits the low 16 bits of its lane, so vpdpwssd with the scale in
 * the low 16 bits of a lane (high 16 bits 0) adds lane x scale exactly.
 * Q4_K mins: vpdpwssd of the 16 bsums and the mins (m_j for bsum 2j, 2j+1);
 * Q6_K's -32 sum_g sc_g bsum_g: vpdpwssd of the bsums and -32 sc_g.
 * Float, per super-block: acc += cvt(isum) x (d_a d_w) (Q4_K: acc -=
 * cvt(mins) x (d_a dmin_w)); y = hsum(acc). Weights decoded once per
 * super-block and weight row for 1 or 4 activation rows (tiles). */
#include "kernels/simd/avx512/common.h"
#include "kernels/simd/actq.h"

/* The VNNI build (-mavx512vnni) and the AVX-512 BW build (gemv-q8k-bw.c
 * includes this file with QCTS_AQ_BW: CPUs without VNNI, or
 * QCTS_ACTQ_NOVNNI=1): vpdpbusd becomes vpmaddubsw + vpmaddwd(1) + vpaddd,
 * vpdpwssd vpmaddwd + vpaddd; the integers are the same, so are the bits. */
#ifdef QCTS_AQ_BW
#define DPBUSD(c, u, a) _mm512_add_epi32((c), _mm512_madd_epi16(_mm512_maddubs_epi16((u), (a)), _mm512_set1_epi16(1)))
#define DPWSSD(c, x, s) _mm512_add_epi32((c), _mm512_madd_epi16((x), (s)))
#define AQ_SYM(s) qcts_aq_##s##__avx512bw
#else
#define DPBUSD _mm512_dpbusd_epi32
#define DPWSSD _mm512_dpwssd_epi32
#define AQ_SYM(s) qcts_aq_##s##__avx512vnni
#endif

#define Q4K_BYTES 144
#define Q6K_BYTES 210

QCTS_AVX512_INLINE __m512i join(__m256i lo, __m256i hi)
{
    return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

QCTS_AVX512_INLINE __m256i ld256(const void *p) { return _mm256_loadu_si256((const __m256i *)p); }

/* 16 bsums of a super-block of row m as i32 lanes (|.| <= 2032: the low 16 bits) */
QCTS_AVX512_INLINE __m512i bsums16(const qcts_actq *aq, int64_t m, int64_t b)
{
    return _mm512_cvtepi16_epi32(ld256(aq->bsums + (m * aq->K + 256 * b) / 16));
}

#define LO16 _mm512_set1_epi32(0xFFFF)

#define Q4K_ROWS(fname, R, T)                                                                          \
    static void fname(const qcts_gemm_args *g, int64_t m0, int64_t n, float *v)                         \
    {                                                                                                   \
        const qcts_actq *aq = g->aq;                                                                    \
        const qcts_qview *w = g->w;                                                                     \
        const int64_t nb = w->cols / 256, K = w->cols;                                                  \
        const __m256i m4 = _mm256_set1_epi8(0x0F);                                                      \
        const uint8_t *p[R];                                                                            \
        __m512 acc[T][R];                                                                               \
        QCTS_UNROLL for (int r = 0; r < R; r++) {                                                       \
            p[r] = w->codes + (size_t)(n + r) * w->row_bytes;                                           \
            QCTS_UNROLL for (int t = 0; t < T; t++) acc[t][r] = _mm512_setzero_ps();                    \
        }                                                                                               \
        for (int64_t b = 0; b < nb; b++) {                                                              \
            __m512i bs[T];                                                                              \
            QCTS_UNROLL for (int t = 0; t < T; t++) bs[t] = bsums16(aq, m0 + t, b);                     \
            QCTS_UNROLL for (int r = 0; r < R; r++) {                                                   \
                const uint8_t *blk = p[r] + Q4K_BYTES * b;                                              \
                qcts_avx512_prefetch(blk);                                                              \
                qcts_avx512_prefetch(blk + 64);                                                         \
                qcts_avx512_prefetch(blk + 128);                                                        \
                qcts_avx512_prefetch_next(blk, 4 * w->row_bytes);                                       \
                qcts_avx512_prefetch_next(blk + 64, 4 * w->row_bytes);                                  \
                qcts_avx512_prefetch_next(blk + 128, 4 * w->row_bytes);                                 \
                uint8_t sm[16];                                                                         \
                qcts_q4k_scales(blk + 4, sm);                                                           \
                const __m512i scm = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(const void *)sm)); \
                const float dw = qcts_avx512_f16(blk), dmin = qcts_avx512_f16(blk + 2);                 \
                __m512i isum[T];                                                                        \
                QCTS_UNROLL for (int t = 0; t < T; t++) isum[t] = _mm512_setzero_si512();               \
                QCTS_UNROLL for (int c = 0; c < 4; c++) {                                               \
                    const __m256i raw = ld256(blk + 16 + 32 * c);                                       \
                    const __m512i u = join(_mm256_and_si256(raw, m4), _mm256_and_si256(_mm256_srli_epi16(raw, 4), m4)); \
                    /* lanes 0-7: sc_2c, 8-15: sc_2c+1 */                                               \
                    const __m512i sc = _mm512_permutexvar_epi32(                                        \
                        _mm512_setr_epi32(2 * c, 2 * c, 2 * c, 2 * c, 2 * c, 2 * c, 2 * c, 2 * c, 2 * c + 1, 2 * c + 1, \
                                          2 * c + 1, 2 * c + 1, 2 * c + 1, 2 * c + 1, 2 * c + 1, 2 * c + 1), scm); \
                    QCTS_UNROLL for (int t = 0; t < T; t++) {                                           \
                        const __m512i a = _mm512_loadu_si512(aq->q + (m0 + t) * K + 256 * b + 64 * c);  \
                        isum[t] = DPWSSD(isum[t], DPBUSD(_mm512_setzero_si512(), u, a), sc); \
                    }                                                                                   \
                }                                                                                       \
                const __m512i mins = _mm512_permutexvar_epi32(                                          \
                    _mm512_setr_epi32(8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15), scm); \
                QCTS_UNROLL for (int t = 0; t < T; t++) {                                               \
                    const float da = aq->bd[(m0 + t) * aq->nblk + b];                                   \
                    const __m512i ms = DPWSSD(_mm512_setzero_si512(), bs[t], mins);        \
                    acc[t][r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[t]), _mm512_set1_ps(da * dw), acc[t][r]); \
                    acc[t][r] = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(ms), _mm512_set1_ps(da * dmin), acc[t][r]); \
                }                                                                                       \
            }                                                                                           \
        }                                                                                               \
        QCTS_UNROLL for (int t = 0; t < T; t++)                                                         \
            QCTS_UNROLL for (int r = 0; r < R; r++) v[t * 4 + r] = qcts_avx512_hsum(acc[t][r]);         \
    }

#define Q6K_ROWS(fname, R, T)                                                                          \
    static void fname(const qcts_gemm_args *g, int64_t m0, int64_t n, float *v)                         \
    {                                                                                                   \
        const qcts_actq *aq = g->aq;                                                                    \
        const qcts_qview *w = g->w;                                                                     \
        const int64_t nb = w->cols / 256, K = w->cols;                                                  \
        const __m512i m4 = _mm512_set1_epi8(0x0F), m3 = _mm512_set1_epi8(0x30);                         \
        const uint8_t *p[R];                                                                            \
        __m512 acc[T][R];                                                                               \
        QCTS_UNROLL for (int r = 0; r < R; r++) {                                                       \
            p[r] = w->codes + (size_t)(n + r) * w->row_bytes;                                           \
            QCTS_UNROLL for (int t = 0; t < T; t++) acc[t][r] = _mm512_setzero_ps();                    \
        }                                                                                               \
        for (int64_t b = 0; b < nb; b++) {                                                              \
            __m512i bs[T];                                                                              \
            QCTS_UNROLL for (int t = 0; t < T; t++) bs[t] = bsums16(aq, m0 + t, b);                     \
            QCTS_UNROLL for (int r = 0; r < R; r++) {                                                   \
                const uint8_t *blk = p[r] + Q6K_BYTES * b;                                              \
                qcts_avx512_prefetch(blk);                                                              \
                qcts_avx512_prefetch(blk + 64);                                                         \
                qcts_avx512_prefetch(blk + 128);                                                        \
                qcts_avx512_prefetch(blk + 192);                                                        \
                qcts_avx512_prefetch_next(blk, 4 * w->row_bytes);                                       \
                qcts_avx512_prefetch_next(blk + 64, 4 * w->row_bytes);                                  \
                qcts_avx512_prefetch_next(blk + 128, 4 * w->row_bytes);                                 \
                qcts_avx512_prefetch_next(blk + 192, 4 * w->row_bytes);                                 \
                const float dw = qcts_avx512_f16(blk + 208);                                            \
                const __m512i s32 = _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(const void *)(blk + 192))); \
                __m512i isum[T];                                                                        \
                /* start at -32 sum_g sc_g bsum_g */                                                    \
                const __m512i sneg = _mm512_and_si512(_mm512_sub_epi32(_mm512_setzero_si512(), _mm512_slli_epi32(s32, 5)), LO16); \
                QCTS_UNROLL for (int t = 0; t < T; t++) isum[t] = DPWSSD(_mm512_setzero_si512(), bs[t], sneg); \
                QCTS_UNROLL for (int h = 0; h < 2; h++) {                                               \
                    const __m512i ql = _mm512_loadu_si512(blk + 64 * h);                                \
                    const __m256i qh = ld256(blk + 128 + 32 * h);                                       \
                    const __m512i qh2 = join(qh, _mm256_srli_epi16(qh, 2));                             \
                    /* columns 0..63 of the half: low nibbles, qh bits 0-1 (0..31) / 2-3 (32..63) */    \
                    const __m512i u0 = _mm512_or_si512(_mm512_and_si512(ql, m4),                        \
                                                       _mm512_and_si512(_mm512_slli_epi16(qh2, 4), m3)); \
                    /* 64..127: high nibbles, qh bits 4-5 / 6-7 */                                      \
                    const __m512i u1 = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), m4),  \
                                                       _mm512_and_si512(qh2, m3));                      \
                    /* scale of 16 columns 16 j: sc[8h + j]; 4 dot lanes each */                        \
                    const __m512i i0 = _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3); \
                    const __m512i sc0 = _mm512_and_si512(                                               \
                        _mm512_permutexvar_epi32(_mm512_add_epi32(i0, _mm512_set1_epi32(8 * h)), s32), LO16); \
                    const __m512i sc1 = _mm512_and_si512(                                               \
                        _mm512_permutexvar_epi32(_mm512_add_epi32(i0, _mm512_set1_epi32(8 * h + 4)), s32), LO16); \
                    QCTS_UNROLL for (int t = 0; t < T; t++) {                                           \
                        const int8_t *a = aq->q + (m0 + t) * K + 256 * b + 128 * h;                     \
                        const __m512i d0 = DPBUSD(_mm512_setzero_si512(), u0, _mm512_loadu_si512(a)); \
                        const __m512i d1 = DPBUSD(_mm512_setzero_si512(), u1, _mm512_loadu_si512(a + 64)); \
                        isum[t] = DPWSSD(DPWSSD(isum[t], d0, sc0), d1, sc1);  \
                    }                                                                                   \
                }                                                                                       \
                QCTS_UNROLL for (int t = 0; t < T; t++) {                                               \
                    const float da = aq->bd[(m0 + t) * aq->nblk + b];                                   \
                    acc[t][r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[t]), _mm512_set1_ps(da * dw), acc[t][r]); \
                }                                                                                       \
            }                                                                                           \
        }                                                                                               \
        QCTS_UNROLL for (int t = 0; t < T; t++)                                                         \
            QCTS_UNROLL for (int r = 0; r < R; r++) v[t * 4 + r] = qcts_avx512_hsum(acc[t][r]);         \
    }

#define QK_KERNEL(scheme, ROWS)                                                                        \
    ROWS(r4t4_##scheme, 4, 4)                                                                          \
    ROWS(r4t1_##scheme, 4, 1)                                                                          \
    ROWS(r1t4_##scheme, 1, 4)                                                                          \
    ROWS(r1t1_##scheme, 1, 1)                                                                          \
    void AQ_SYM(scheme)(const qcts_gemm_args *g, int64_t n0, int64_t n1, void *scratch) \
    {                                                                                                  \
        (void)scratch;                                                                                 \
        qcts_actq_drive_tiled(g, n0, n1, r4t4_##scheme, r4t1_##scheme, r1t4_##scheme, r1t1_##scheme);  \
    }

QK_KERNEL(gguf_q4_k, Q4K_ROWS)
QK_KERNEL(gguf_q6_k, Q6K_ROWS)
