/* AVX2 quantized-activation GEMV/GEMM (actq.h): the integer dot product is
 * vpmaddubsw (u8 x s8 -> i16 pairs) + vpmaddwd with ones (-> i32 lanes of
 * 4 bytes), added onto the per-lane correction -zoff x (sum of the 4
 * activation codes) laid out by actq.c, as avx512/gemv-q8.c does with
 * vpdpbusd. No i16 saturation: 4-bit codes are u8 <= 24, |a| <= 128, so a
 * pair sums to <= 2 x 24 x 128. Q8_0 weights are signed: ggml's sign trick
 * (vpsignb moves the weight's sign onto the activation, vpabsb; 128 x 128 x
 * 2 < 2^15 fits too), no correction (zoff 0).
 *
 * One ymm of 4-bit codes is one ggml block (32) or 64 KMAJOR columns
 * (QCTS_AQO_EVENODD64). Order: per row, per block / group, cvt(exact
 * int32) x scale into one float accumulator; y = hsum x row scale + bias. */
#include <immintrin.h>
#include <string.h>

#include "kernels/simd/actq.h"

#define INL static inline __attribute__((always_inline))
#define UNROLL _Pragma("GCC unroll 8")
#define PF_AHEAD 1024

INL __m256i dot_u8s8(__m256i acc, __m256i u, __m256i s)
{
    return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)));
}

/* 16 nibble bytes -> [lo x 16, hi x 16] */
INL __m256i nib32(const uint8_t *p)
{
    const __m128i q = _mm_loadu_si128((const __m128i *)(const void *)p);
    const __m256i y = _mm256_inserti128_si256(_mm256_castsi128_si256(q), _mm_srli_epi16(q, 4), 1);
    return _mm256_and_si256(y, _mm256_set1_epi8(0x0F));
}

INL __m256i e2m1_u8_table(void)
{
    return _mm256_broadcastsi128_si256(_mm_setr_epi8(12, 13, 14, 15, 16, 18, 20, 24, 12, 11, 10, 9, 8, 6, 4, 0));
}

INL float f16v(const uint8_t *p)
{
    uint16_t h;
    memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

INL float e8m0_half(uint8_t e)
{
    uint32_t u = e < 2 ? 0x00200000u << e : (uint32_t)(e - 1) << 23;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

INL float hsum8(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* ---- ggml blocks of 32, one per step ------------------------------------------------------
 * T activation rows m0.. share each decoded block (qcts_actq_drive_tiled);
 * an output's operations are the same for every T. WDEC decodes the
 * weight block b0 into W (u8 codes; Q8_0: |w| and w for the sign). */
#define GG_ROWS(fname, R, T, BYTES, WDEC, DOT, SCALE, Q80)                                            \
    static void fname(const qcts_gemm_args *g, int64_t m0, int64_t n, float *v)                         \
    {                                                                                                   \
        const qcts_actq *aq = g->aq;                                                                    \
        const qcts_qview *w = g->w;                                                                     \
        const int64_t nb = w->cols / 32;                                                                \
        const uint8_t *p[R];                                                                            \
        __m256 acc[T][R];                                                                               \
        UNROLL for (int r = 0; r < R; r++) {                                                            \
            p[r] = w->codes + (size_t)(n + r) * w->row_bytes;                                           \
            UNROLL for (int t = 0; t < T; t++) acc[t][r] = _mm256_setzero_ps();                         \
        }                                                                                               \
        for (int64_t b = 0; b < nb; b++) {                                                              \
            __m256i A[T], C[T];                                                                         \
            UNROLL for (int t = 0; t < T; t++) {                                                        \
                A[t] = _mm256_loadu_si256((const __m256i *)(const void *)(aq->pa + (m0 + t) * aq->kpad + 32 * b)); \
                C[t] = _mm256_loadu_si256(                                                              \
                    (const __m256i *)(const void *)(aq->corr + (m0 + t) * (aq->kpad / 4) + 8 * b));     \
            }                                                                                           \
            UNROLL for (int r = 0; r < R; r++) {                                                        \
                const uint8_t *b0 = p[r] + (BYTES) * b;                                                 \
                if ((b & 1) == 0) {                                                                     \
                    _mm_prefetch((const char *)b0 + PF_AHEAD, _MM_HINT_T0);                             \
                    _mm_prefetch((const char *)b0 + 4 * w->row_bytes, _MM_HINT_T0);                     \
                }                                                                                       \
                WDEC;                                                                                   \
                const __m256 s = _mm256_set1_ps(SCALE);                                                 \
                UNROLL for (int t = 0; t < T; t++) {                                                    \
                    const __m256i isum = DOT(C[t], A[t]);                                               \
                    const __m256 st = Q80 ? _mm256_mul_ps(s, _mm256_loadu_ps(aq->da + (m0 + t) * aq->dastride + 8 * b)) : s; \
                    acc[t][r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), st, acc[t][r]);               \
                }                                                                                       \
            }                                                                                           \
        }                                                                                               \
        UNROLL for (int t = 0; t < T; t++)                                                              \
            UNROLL for (int r = 0; r < R; r++) v[t * 4 + r] = hsum8(acc[t][r]);                         \
    }

#define Q4_0_WDEC const __m256i W = nib32(b0 + 2)
#define MX_WDEC const __m256i W = _mm256_shuffle_epi8(e2m1_u8_table(), nib32(b0 + 1))
#define U8_DOT(Cv, Av) dot_u8s8(Cv, W, Av)
/* signed x signed: |w| and the weight's sign on a (C is 0: zoff 0) */
#define Q8_WDEC                                                                                        \
    const __m256i W = _mm256_loadu_si256((const __m256i *)(const void *)(b0 + 2));                     \
    const __m256i Wabs = _mm256_abs_epi8(W)
#define Q8_DOT(Cv, Av) dot_u8s8(Cv, Wabs, _mm256_sign_epi8(Av, W))

#define GG_KERNEL(scheme, BYTES, WDEC, DOT, SCALE)                                                    \
    GG_ROWS(r4t4i_##scheme, 4, 4, BYTES, WDEC, DOT, SCALE, 0)                                         \
    GG_ROWS(r4t1i_##scheme, 4, 1, BYTES, WDEC, DOT, SCALE, 0)                                         \
    GG_ROWS(r1t4i_##scheme, 1, 4, BYTES, WDEC, DOT, SCALE, 0)                                         \
    GG_ROWS(r1t1i_##scheme, 1, 1, BYTES, WDEC, DOT, SCALE, 0)                                         \
    GG_ROWS(r4t4q_##scheme, 4, 4, BYTES, WDEC, DOT, SCALE, 1)                                         \
    GG_ROWS(r4t1q_##scheme, 4, 1, BYTES, WDEC, DOT, SCALE, 1)                                         \
    GG_ROWS(r1t4q_##scheme, 1, 4, BYTES, WDEC, DOT, SCALE, 1)                                         \
    GG_ROWS(r1t1q_##scheme, 1, 1, BYTES, WDEC, DOT, SCALE, 1)                                         \
    void qcts_aq_##scheme##__avx2(const qcts_gemm_args *g, int64_t n0, int64_t n1, void *scratch)     \
    {                                                                                                  \
        (void)scratch;                                                                                 \
        if (g->aq->mode == QCTS_AQ_GGUF_Q8_0)                                                          \
            qcts_actq_drive_tiled(g, n0, n1, r4t4q_##scheme, r4t1q_##scheme, r1t4q_##scheme, r1t1q_##scheme); \
        else                                                                                           \
            qcts_actq_drive_tiled(g, n0, n1, r4t4i_##scheme, r4t1i_##scheme, r1t4i_##scheme, r1t1i_##scheme); \
    }

GG_KERNEL(gguf_q4_0, 18, Q4_0_WDEC, U8_DOT, f16v(b0))
GG_KERNEL(gguf_mxfp4, 17, MX_WDEC, U8_DOT, e8m0_half(b0[0]))
GG_KERNEL(gguf_q8_0, 34, Q8_WDEC, Q8_DOT, f16v(b0))

/* ---- KMAJOR_U32 4-bit rows, 64 columns per step (QCTS_AQO_EVENODD64) ------------------------
 * G: columns per scale group (128; MXFP4: 32, two groups per ymm, one per
 * 128-bit lane). */
#define KM_ROWS(fname, R, T, LOHI, SCALE)                                                              \
    static void fname(const qcts_gemm_args *g, int64_t m0, int64_t n, float *v)                         \
    {                                                                                                   \
        const qcts_actq *aq = g->aq;                                                                    \
        const qcts_qview *w = g->w;                                                                     \
        const int64_t K = w->cols;                                                                      \
        const uint8_t *p[R];                                                                            \
        __m256 acc[T][R];                                                                               \
        __m256i isum[T][R];                                                                             \
        UNROLL for (int r = 0; r < R; r++) {                                                            \
            p[r] = w->codes + (size_t)(n + r) * w->row_bytes;                                           \
            UNROLL for (int t = 0; t < T; t++) {                                                        \
                acc[t][r] = _mm256_setzero_ps();                                                        \
                isum[t][r] = _mm256_setzero_si256();                                                    \
            }                                                                                           \
        }                                                                                               \
        for (int64_t k = 0; k < K; k += 64) {                                                           \
            __m256i A0[T], A1[T], C[T];                                                                 \
            UNROLL for (int t = 0; t < T; t++) {                                                        \
                const int8_t *pa = aq->pa + (m0 + t) * aq->kpad;                                        \
                A0[t] = _mm256_loadu_si256((const __m256i *)(const void *)(pa + k));                    \
                A1[t] = _mm256_loadu_si256((const __m256i *)(const void *)(pa + k + 32));               \
                C[t] = _mm256_loadu_si256((const __m256i *)(const void *)(aq->corr + (m0 + t) * (aq->kpad / 4) + k / 4)); \
            }                                                                                           \
            UNROLL for (int r = 0; r < R; r++) {                                                        \
                const uint8_t *c = p[r] + k / 2;                                                        \
                if ((k & 127) == 0) {                                                                   \
                    _mm_prefetch((const char *)c + PF_AHEAD, _MM_HINT_T0);                              \
                    _mm_prefetch((const char *)c + 4 * w->row_bytes, _MM_HINT_T0);                      \
                }                                                                                       \
                const __m256i raw = _mm256_loadu_si256((const __m256i *)(const void *)c);               \
                __m256i lo, hi;                                                                         \
                LOHI;                                                                                   \
                UNROLL for (int t = 0; t < T; t++) {                                                    \
                    const __m256i d = dot_u8s8(dot_u8s8(C[t], lo, A0[t]), hi, A1[t]);                   \
                    SCALE;                                                                              \
                }                                                                                       \
            }                                                                                           \
        }                                                                                               \
        (void)isum;                                                                                     \
        UNROLL for (int t = 0; t < T; t++)                                                              \
            UNROLL for (int r = 0; r < R; r++) v[t * 4 + r] = hsum8(acc[t][r]);                         \
    }

#define INT4_LOHI                                                                                      \
    const __m256i x = _mm256_xor_si256(raw, _mm256_set1_epi8((char)0x88));                            \
    lo = _mm256_and_si256(x, _mm256_set1_epi8(0x0F));                                                  \
    hi = _mm256_and_si256(_mm256_srli_epi16(x, 4), _mm256_set1_epi8(0x0F))
#define FP4_LOHI                                                                                       \
    lo = _mm256_shuffle_epi8(e2m1_u8_table(), _mm256_and_si256(raw, _mm256_set1_epi8(0x0F)));         \
    hi = _mm256_shuffle_epi8(e2m1_u8_table(), _mm256_and_si256(_mm256_srli_epi16(raw, 4), _mm256_set1_epi8(0x0F)))

/* g128: the two halves of a group summed as integers, then one FMA per group */
#define G128_SCALE(HALF)                                                                               \
    if ((k & 127) == 0) {                                                                              \
        isum[t][r] = d;                                                                                \
    } else {                                                                                           \
        const int64_t gi = (n + r) * w->gpr + k / 128;                                                 \
        acc[t][r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_add_epi32(isum[t][r], d)),               \
                                    _mm256_set1_ps(f16v(w->scales + 2 * gi) * (HALF)), acc[t][r]);    \
    }
/* MXFP4: lanes 0-3 group k/32, lanes 4-7 group k/32 + 1 */
#define MX_SCALE                                                                                       \
    {                                                                                                  \
        const int64_t gi = (n + r) * w->gpr + k / 32;                                                  \
        const __m256 s = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_set1_ps(e8m0_half(w->scales[gi]))), \
                                              _mm_set1_ps(e8m0_half(w->scales[gi + 1])), 1);          \
        acc[t][r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(d), s, acc[t][r]);                              \
    }

#define KM_KERNEL(scheme, LOHI, SCALE)                                                                 \
    KM_ROWS(r4t4_##scheme, 4, 4, LOHI, SCALE)                                                          \
    KM_ROWS(r4t1_##scheme, 4, 1, LOHI, SCALE)                                                          \
    KM_ROWS(r1t4_##scheme, 1, 4, LOHI, SCALE)                                                          \
    KM_ROWS(r1t1_##scheme, 1, 1, LOHI, SCALE)                                                          \
    void qcts_aq_##scheme##__avx2(const qcts_gemm_args *g, int64_t n0, int64_t n1, void *scratch)     \
    {                                                                                                  \
        (void)scratch;                                                                                 \
        qcts_actq_drive_tiled(g, n0, n1, r4t4_##scheme, r4t1_##scheme, r1t4_##scheme, r1t1_##scheme);  \
    }

KM_KERNEL(int4_sym_g128, INT4_LOHI, G128_SCALE(1.0f))
KM_KERNEL(fp4_g128_f16, FP4_LOHI, G128_SCALE(0.5f))
KM_KERNEL(mxfp4, FP4_LOHI, MX_SCALE)
