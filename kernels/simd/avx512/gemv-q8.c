/* AVX-512 VNNI quantized-activation GEMV/GEMM (actq.h), built with
 * -mavx512vnni (simd.mk) and chosen only where the CPU has it (actq.c).
 *
 * Weights stay in their 4/8-bit codes: each code byte becomes an unsigned
 * byte u = value + zoff (Q4_0 and INT4: nibble ^ 8 → +8; E2M1 doubled to
 * integers by one vpshufb → +12; Q8_0: ^ 0x80 → +128), and vpdpbusd adds 4
 * u8 x s8 products per lane onto a per-lane start value corr = -zoff x (sum
 * of the 4 activation codes), laid out once per call (actq.c): the lane is
 * then the exact integer dot product of values. Per 64 weights of a ggml
 * block pair and row: 2 loads, 1 shift, 1 vpermt2q, 1 and (MXFP4: + 1
 * vpshufb), 1 vpdpbusd, 1 cvtdq2ps, 1 FMA and the scale vector (2 f16
 * broadcasts, 1 convert); per 128 INT4/FP4 weights of a g128 row: 1 load,
 * 3-5 ALU ops, 2 vpdpbusd, 1 convert, 1 FMA and a scale broadcast. The
 * activation codes and corrections are loaded once for 4 weight rows.
 *
 * Order: each row's float accumulator gets, per block pair (or group),
 * cvt(exact int32) x scale in lane order; y = hsum (fixed order) x row
 * scale + bias. It depends only on (variant, K): not on N's split. */
#include "kernels/simd/avx512/common.h"
#include "kernels/simd/actq.h"

/* ---- pieces ---------------------------------------------------------------------------- */

/* Two 16-byte nibble blocks to 64 bytes in element order: [lo(q0), hi(q0), lo(q1), hi(q1)]. */
QCTS_AVX512_INLINE __m512i nib_pair(__m128i q0, __m128i q1)
{
    const __m256i y = _mm256_inserti128_si256(_mm256_castsi128_si256(q0), q1, 1);
    const __m256i yh = _mm256_srli_epi16(y, 4);
    const __m512i idx = _mm512_setr_epi64(0, 1, 8, 9, 2, 3, 10, 11);
    const __m512i z = _mm512_permutex2var_epi64(_mm512_castsi256_si512(y), idx, _mm512_castsi256_si512(yh));
    return _mm512_and_si512(z, _mm512_set1_epi8(0x0F));
}

/* E2M1 code -> 2 x value + 12 (0..24), per 128-bit lane (vpshufb). */
QCTS_AVX512_INLINE __m512i e2m1_u8_table(void)
{
    return _mm512_broadcast_i32x4(_mm_setr_epi8(12, 13, 14, 15, 16, 18, 20, 24, 12, 11, 10, 9, 8, 6, 4, 0));
}

QCTS_AVX512_INLINE uint16_t ld16(const uint8_t *p)
{
    uint16_t h;
    memcpy(&h, p, 2);
    return h;
}

/* [f16(h0) x 8, f16(h1) x 8] */
QCTS_AVX512_INLINE __m512 f16_pair(uint16_t h0, uint16_t h1)
{
    return _mm512_cvtph_ps(_mm256_set_m128i(_mm_set1_epi16((short)h1), _mm_set1_epi16((short)h0)));
}

QCTS_AVX512_INLINE __m512 f32_pair(float s0, float s1)
{
    return _mm512_insertf32x8(_mm512_set1_ps(s0), _mm256_set1_ps(s1), 1);
}

/* ---- the driver: 4 weight rows at a time, every activation row ---------------------------- */

typedef void (*rows_fn)(const qcts_gemm_args *g, int64_t m, int64_t n, float *y);

QCTS_AVX512_INLINE void drive(const qcts_gemm_args *g, int64_t n0, int64_t n1, rows_fn rows4, rows_fn rows1)
{
    const qcts_actq *aq = g->aq;
    float v[4];
    int64_t n = n0;
    for (; n + 4 <= n1; n += 4)
        for (int64_t m = 0; m < g->M; m++) {
            rows4(g, m, n, v);
            for (int r = 0; r < 4; r++) {
                float t = v[r] * aq->rs[m];
                g->y[m * g->ldy + n + r] = g->bias ? t + g->bias[n + r] : t;
            }
        }
    for (; n < n1; n++)
        for (int64_t m = 0; m < g->M; m++) {
            rows1(g, m, n, v);
            float t = v[0] * aq->rs[m];
            g->y[m * g->ldy + n] = g->bias ? t + g->bias[n] : t;
        }
}

/* ---- ggml blocks of 32 (Q4_0, MXFP4: 16 nibble bytes; Q8_0: 32 bytes), two per step ---------- */
/* CODES2(b0, b1): 64 u8 codes of blocks b0, b1 (b1 NULL: zeros); SCALE2(b0, b1): the scales. */
#define GG_ROWS(fname, R, BYTES, CODES2, SCALE2, Q80)                                                 \
    static void fname(const qcts_gemm_args *g, int64_t m, int64_t n, float *y)                          \
    {                                                                                                   \
        const qcts_actq *aq = g->aq;                                                                    \
        const qcts_qview *w = g->w;                                                                     \
        const int64_t nb = w->cols / 32;                                                                \
        const int8_t *pa = aq->pa + m * aq->kpad;                                                       \
        const int32_t *corr = aq->corr + m * (aq->kpad / 4);                                            \
        const float *da = aq->da + m * aq->dastride;                                                    \
        const uint8_t *p[R];                                                                            \
        __m512 acc[R];                                                                                  \
        QCTS_UNROLL for (int r = 0; r < R; r++) {                                                       \
            p[r] = w->codes + (size_t)(n + r) * w->row_bytes;                                           \
            acc[r] = _mm512_setzero_ps();                                                               \
        }                                                                                               \
        for (int64_t b = 0; b < nb; b += 2) {                                                           \
            const __m512i A = _mm512_loadu_si512(pa + 32 * b);                                          \
            const __m512i C = _mm512_loadu_si512(corr + 8 * b);                                         \
            __m512 D = _mm512_setzero_ps();                                                             \
            if (Q80)                                                                                    \
                D = _mm512_loadu_ps(da + 8 * b);                                                        \
            (void)D;                                                                                    \
            QCTS_UNROLL for (int r = 0; r < R; r++) {                                                   \
                const uint8_t *b0 = p[r] + (BYTES) * b, *b1 = b + 1 < nb ? b0 + (BYTES) : NULL;         \
                if ((b & 3) == 0) {                                                                     \
                    qcts_avx512_prefetch(b0);                                                           \
                    qcts_avx512_prefetch_next(b0, 4 * w->row_bytes);                                    \
                }                                                                                       \
                const __m512i isum = _mm512_dpbusd_epi32(C, CODES2, A);                                 \
                __m512 s = SCALE2;                                                                      \
                if (Q80)                                                                                \
                    s = _mm512_mul_ps(s, D);                                                            \
                acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), s, acc[r]);                          \
            }                                                                                           \
        }                                                                                               \
        QCTS_UNROLL for (int r = 0; r < R; r++)                                                         \
            y[r] = qcts_avx512_hsum(acc[r]);                                                            \
    }

#define LD128(p) _mm_loadu_si128((const __m128i *)(const void *)(p))
#define LD128_OR0(p) ((p) ? LD128(p) : _mm_setzero_si128())

#define Q4_0_CODES nib_pair(LD128(b0 + 2), LD128_OR0(b1 ? b1 + 2 : NULL))
#define Q4_0_SCALE f16_pair(ld16(b0), b1 ? ld16(b1) : 0)
#define MX_CODES _mm512_shuffle_epi8(e2m1_u8_table(), nib_pair(LD128(b0 + 1), LD128_OR0(b1 ? b1 + 1 : NULL)))
#define MX_SCALE f32_pair(qcts_avx512_e8m0_half(b0[0]), b1 ? qcts_avx512_e8m0_half(b1[0]) : 0.0f)
#define Q8_CODES                                                                                       \
    _mm512_xor_si512(_mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)(const void *)(b0 + 2))), \
                                        b1 ? _mm256_loadu_si256((const __m256i *)(const void *)(b1 + 2)) : _mm256_setzero_si256(), 1), \
                     _mm512_set1_epi8((char)0x80))

#define GG_KERNEL(scheme, BYTES, CODES2, SCALE2)                                                      \
    GG_ROWS(r4i_##scheme, 4, BYTES, CODES2, SCALE2, 0)                                                \
    GG_ROWS(r1i_##scheme, 1, BYTES, CODES2, SCALE2, 0)                                                \
    GG_ROWS(r4q_##scheme, 4, BYTES, CODES2, SCALE2, 1)                                                \
    GG_ROWS(r1q_##scheme, 1, BYTES, CODES2, SCALE2, 1)                                                \
    void qcts_aq_##scheme##__avx512vnni(const qcts_gemm_args *g, int64_t n0, int64_t n1, void *scratch) \
    {                                                                                                  \
        (void)scratch;                                                                                 \
        if (g->aq->mode == QCTS_AQ_GGUF_Q8_0)                                                          \
            drive(g, n0, n1, r4q_##scheme, r1q_##scheme);                                              \
        else                                                                                           \
            drive(g, n0, n1, r4i_##scheme, r1i_##scheme);                                              \
    }

/* Q4_0: the nibble is value + 8 already */
GG_KERNEL(gguf_q4_0, 18, Q4_0_CODES, Q4_0_SCALE)
GG_KERNEL(gguf_mxfp4, 17, MX_CODES, MX_SCALE)
GG_KERNEL(gguf_q8_0, 34, Q8_CODES, Q4_0_SCALE)

/* ---- KMAJOR_U32 4-bit rows (int4_sym_g128, fp4_g128_f16, mxfp4), 128 columns per step ------------
 * Byte j of a row holds columns 2j (low nibble) and 2j + 1 (high): the
 * activations come even/odd per 128 columns (QCTS_AQO_EVENODD128). */
#define KM_ROWS(fname, R, LOHI, SCALE)                                                                 \
    static void fname(const qcts_gemm_args *g, int64_t m, int64_t n, float *y)                          \
    {                                                                                                   \
        const qcts_actq *aq = g->aq;                                                                    \
        const qcts_qview *w = g->w;                                                                     \
        const int64_t K = w->cols;                                                                      \
        const int8_t *pa = aq->pa + m * aq->kpad;                                                       \
        const int32_t *corr = aq->corr + m * (aq->kpad / 4);                                            \
        const uint8_t *p[R];                                                                            \
        __m512 acc[R];                                                                                  \
        QCTS_UNROLL for (int r = 0; r < R; r++) {                                                       \
            p[r] = w->codes + (size_t)(n + r) * w->row_bytes;                                           \
            acc[r] = _mm512_setzero_ps();                                                               \
        }                                                                                               \
        for (int64_t k = 0; k < K; k += 128) {                                                          \
            const __m512i A0 = _mm512_loadu_si512(pa + k), A1 = _mm512_loadu_si512(pa + k + 64);        \
            const __m512i C = _mm512_loadu_si512(corr + k / 4);                                         \
            QCTS_UNROLL for (int r = 0; r < R; r++) {                                                   \
                const uint8_t *c = p[r] + k / 2;                                                        \
                qcts_avx512_prefetch(c);                                                                \
                qcts_avx512_prefetch_next(c, 4 * w->row_bytes);                                         \
                const __m512i raw = _mm512_loadu_si512(c);                                              \
                __m512i lo, hi;                                                                         \
                LOHI;                                                                                   \
                const __m512i isum = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(C, lo, A0), hi, A1);       \
                const int64_t gi = (n + r) * w->gpr + k / w->glen;                                      \
                acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), SCALE, acc[r]);                      \
            }                                                                                           \
        }                                                                                               \
        QCTS_UNROLL for (int r = 0; r < R; r++)                                                         \
            y[r] = qcts_avx512_hsum(acc[r]);                                                            \
    }

#define INT4_LOHI                                                                                      \
    const __m512i x = _mm512_xor_si512(raw, _mm512_set1_epi8((char)0x88));                            \
    lo = _mm512_and_si512(x, _mm512_set1_epi8(0x0F));                                                  \
    hi = _mm512_and_si512(_mm512_srli_epi16(x, 4), _mm512_set1_epi8(0x0F))
#define FP4_LOHI                                                                                       \
    lo = _mm512_shuffle_epi8(e2m1_u8_table(), _mm512_and_si512(raw, _mm512_set1_epi8(0x0F)));         \
    hi = _mm512_shuffle_epi8(e2m1_u8_table(), _mm512_and_si512(_mm512_srli_epi16(raw, 4), _mm512_set1_epi8(0x0F)))

/* f16 group scale; FP4 codes are doubled, so the scale is halved (exact) */
#define S_INT4 _mm512_set1_ps(qcts_avx512_f16(w->scales + 2 * gi))
#define S_FP4 _mm512_set1_ps(qcts_avx512_f16(w->scales + 2 * gi) * 0.5f)
/* MXFP4: 4 groups of 32 per step, group i in the dot lanes 4i..4i+3;
 * e8m0 halved: 2^(e-128) (e < 2: subnormal) */
QCTS_AVX512_INLINE __m512 e8m0_half4(const uint8_t *e4)
{
    uint32_t u;
    memcpy(&u, e4, 4);
    const __m128i sp = _mm_shuffle_epi8(_mm_cvtsi32_si128((int)u),
                                        _mm_setr_epi8(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3));
    const __m512i e = _mm512_cvtepu8_epi32(sp);
    __m512i bits = _mm512_slli_epi32(_mm512_sub_epi32(e, _mm512_set1_epi32(1)), 23);
    const __mmask16 small = _mm512_cmplt_epi32_mask(e, _mm512_set1_epi32(2));
    bits = _mm512_mask_sllv_epi32(bits, small, _mm512_set1_epi32(0x00200000), e);
    return _mm512_castsi512_ps(bits);
}
#define S_MX e8m0_half4(w->scales + gi)

#define KM_KERNEL(scheme, LOHI, SCALE)                                                                 \
    KM_ROWS(r4_##scheme, 4, LOHI, SCALE)                                                               \
    KM_ROWS(r1_##scheme, 1, LOHI, SCALE)                                                               \
    void qcts_aq_##scheme##__avx512vnni(const qcts_gemm_args *g, int64_t n0, int64_t n1, void *scratch) \
    {                                                                                                  \
        (void)scratch;                                                                                 \
        drive(g, n0, n1, r4_##scheme, r1_##scheme);                                                    \
    }

KM_KERNEL(int4_sym_g128, INT4_LOHI, S_INT4)
KM_KERNEL(fp4_g128_f16, FP4_LOHI, S_FP4)
KM_KERNEL(mxfp4, FP4_LOHI, S_MX)
