/* AVX-512 VNNI quantized-activation GEMV/GEMM (actq.h), built with
 * -mavx512vnni (simd.mk) and chosen only where the CPU has it (actq.c).
 *
 * (and AVX512-VBMI: vpermt2b / vpermb gather ggml block bytes).
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

/* The VNNI build (-mavx512vnni) and the AVX-512 BW build (gemv-q8-bw.c
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

#ifndef QCTS_AQ_BW /* the ggml-block kernels need VBMI (vpermt2b): VNNI build only */
/* ---- ggml blocks of 32, four per step (128 weights) ------------------------------------------
 * The 72 (Q4_0) / 68 (MXFP4) / 136 (Q8_0) bytes of 4 blocks are loaded
 * whole (masked past the end) and VBMI byte permutes gather the code bytes
 * (vpermt2b) and the 4 scales (vpermw / vpermb), instead of per-block
 * loads, inserts and broadcasts. 4-bit: the low nibbles of the 4 blocks
 * (their first 16 columns) fill one zmm, the high nibbles another; the
 * activations come in that order (QCTS_AQO_GGUF4), so dot lanes 4j..4j+3
 * are block j. Q8_0: two zmm of 2 blocks each, natural order. */
QCTS_AVX512_INLINE __mmask64 mask_bytes(int64_t n)
{
    return n >= 64 ? ~(__mmask64)0 : n <= 0 ? (__mmask64)0 : (((__mmask64)1 << n) - 1);
}

/* byte i of the 4-bit code zmm: block i / 16, code byte i % 16 */
static const uint8_t idx_q4_0[64] = {
#define R4(b, o) (uint8_t)(18 * (b) + 2 + (o))
#define ROW16(b) R4(b, 0), R4(b, 1), R4(b, 2), R4(b, 3), R4(b, 4), R4(b, 5), R4(b, 6), R4(b, 7), R4(b, 8), R4(b, 9), \
                 R4(b, 10), R4(b, 11), R4(b, 12), R4(b, 13), R4(b, 14), R4(b, 15)
    ROW16(0), ROW16(1), ROW16(2), ROW16(3)
#undef ROW16
#undef R4
};
static const uint8_t idx_mx[64] = {
#define R4(b, o) (uint8_t)(17 * (b) + 1 + (o))
#define ROW16(b) R4(b, 0), R4(b, 1), R4(b, 2), R4(b, 3), R4(b, 4), R4(b, 5), R4(b, 6), R4(b, 7), R4(b, 8), R4(b, 9), \
                 R4(b, 10), R4(b, 11), R4(b, 12), R4(b, 13), R4(b, 14), R4(b, 15)
    ROW16(0), ROW16(1), ROW16(2), ROW16(3)
#undef ROW16
#undef R4
};
/* Q8_0: blocks 0, 1 from L0:L1 (offsets 2.., 36..), blocks 2, 3 from L1:L2 (70 - 64.., 104 - 64..) */
static const uint8_t idx_q8a[64] = { 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67 };
static const uint8_t idx_q8b[64] = { 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71 };

/* 16 lanes of f16 scales: lane i <- the word at byte offset BYTES * (i / G) */
QCTS_AVX512_INLINE __m512 f16_lanes(__m512i L0, __m512i L1, __m512i widx)
{
    return _mm512_cvtph_ps(_mm512_castsi512_si256(_mm512_permutex2var_epi16(L0, widx, L1)));
}

/* e8m0 bytes (one per dword lane, zero-extended) -> 2^(e - 128) (the halved MXFP4 scale) */
QCTS_AVX512_INLINE __m512 e8m0_half_lanes(__m512i e)
{
    __m512i bits = _mm512_slli_epi32(_mm512_sub_epi32(e, _mm512_set1_epi32(1)), 23);
    const __mmask16 small = _mm512_cmplt_epi32_mask(e, _mm512_set1_epi32(2));
    bits = _mm512_mask_sllv_epi32(bits, small, _mm512_set1_epi32(0x00200000), e);
    return _mm512_castsi512_ps(bits);
}

/* KIND 0: Q4_0, 1: MXFP4, 2: Q8_0. T activation rows m0.. share each
 * decoded weight step (qcts_actq_drive_tiled); an output's operations are
 * the same for every T. */
#define GG_ROWS(fname, R, T, KIND, Q80)                                                                \
    static void fname(const qcts_gemm_args *g, int64_t m0, int64_t n, float *v)                         \
    {                                                                                                   \
        const qcts_actq *aq = g->aq;                                                                    \
        const qcts_qview *w = g->w;                                                                     \
        const int64_t nb = w->cols / 32;                                                                \
        const int BYTES = KIND == 0 ? 18 : KIND == 1 ? 17 : 34;                                         \
        const __m512i I0 = _mm512_loadu_si512(KIND == 0 ? idx_q4_0 : KIND == 1 ? idx_mx : idx_q8a);     \
        const __m512i I1 = _mm512_loadu_si512(idx_q8b);                                                 \
        /* scale words: Q4_0 lane i <- block i / 4 (word 9 (i / 4)); Q8_0 lane i <- block i / 8 (17 (i / 8)) */ \
        const __m512i WI = KIND == 2 ? _mm512_setr_epi32(0, 0, 0, 0, 0x00110011, 0x00110011, 0x00110011, 0x00110011, \
                                                         0x00220022, 0x00220022, 0x00220022, 0x00220022,  \
                                                         0x00330033, 0x00330033, 0x00330033, 0x00330033)  \
                                     : _mm512_setr_epi32(0, 0, 0x00090009, 0x00090009, 0x00120012, 0x00120012, \
                                                         0x001B001B, 0x001B001B, 0, 0, 0, 0, 0, 0, 0, 0);  \
        const __m512i EI = _mm512_setr_epi32(0, 0, 0, 0, 17, 17, 17, 17, 34, 34, 34, 34, 51, 51, 51, 51);   \
        const __m512i DI = _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);             \
        const __m512i DI8 = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);            \
        (void)I1; (void)EI; (void)DI; (void)DI8;                                                        \
        const uint8_t *p[R];                                                                            \
        __m512 acc[T][R];                                                                               \
        QCTS_UNROLL for (int r = 0; r < R; r++) {                                                       \
            p[r] = w->codes + (size_t)(n + r) * w->row_bytes;                                           \
            QCTS_UNROLL for (int t = 0; t < T; t++) acc[t][r] = _mm512_setzero_ps();                    \
        }                                                                                               \
        for (int64_t b = 0; b < nb; b += 4) {                                                           \
            const int64_t nbytes = (nb - b >= 4 ? 4 : nb - b) * BYTES;                                  \
            const __mmask64 k0 = mask_bytes(nbytes), k1 = mask_bytes(nbytes - 64), k2 = mask_bytes(nbytes - 128); \
            (void)k2;                                                                                   \
            __m512i A0[T], A1[T], C0[T], C1[T];                                                         \
            __m512 D0[T], D1[T];                                                                        \
            QCTS_UNROLL for (int t = 0; t < T; t++) {                                                   \
                const int8_t *pa = aq->pa + (m0 + t) * aq->kpad;                                        \
                const int32_t *corr = aq->corr + (m0 + t) * (aq->kpad / 4);                             \
                const float *bd = aq->bd + (m0 + t) * aq->nblk;                                         \
                A0[t] = _mm512_loadu_si512(pa + 32 * b), A1[t] = _mm512_loadu_si512(pa + 32 * b + 64);  \
                C0[t] = _mm512_loadu_si512(corr + 8 * b);                                               \
                C1[t] = _mm512_loadu_si512(corr + 8 * b + 16);                                          \
                D0[t] = _mm512_setzero_ps(), D1[t] = D0[t];                                             \
                if (Q80) {                                                                              \
                    const __m512 d4 = _mm512_castps128_ps512(_mm_maskz_loadu_ps((__mmask8)((1u << (nb - b >= 4 ? 4 : nb - b)) - 1), bd + b)); \
                    if (KIND == 2) {                                                                    \
                        D0[t] = _mm512_permutexvar_ps(DI8, d4);                                         \
                        D1[t] = _mm512_permutexvar_ps(_mm512_add_epi32(DI8, _mm512_set1_epi32(2)), d4); \
                    } else {                                                                            \
                        D0[t] = _mm512_permutexvar_ps(DI, d4);                                          \
                    }                                                                                   \
                }                                                                                       \
            }                                                                                           \
            QCTS_UNROLL for (int r = 0; r < R; r++) {                                                   \
                const uint8_t *b0 = p[r] + BYTES * b;                                                   \
                qcts_avx512_prefetch(b0);                                                               \
                qcts_avx512_prefetch(b0 + 64);                                                          \
                qcts_avx512_prefetch_next(b0, 4 * w->row_bytes);                                        \
                qcts_avx512_prefetch_next(b0 + 64, 4 * w->row_bytes);                                   \
                if (KIND == 2) {                                                                        \
                    qcts_avx512_prefetch(b0 + 128);                                                     \
                    qcts_avx512_prefetch_next(b0 + 128, 4 * w->row_bytes);                              \
                }                                                                                       \
                const __m512i L0 = _mm512_maskz_loadu_epi8(k0, b0), L1 = _mm512_maskz_loadu_epi8(k1, b0 + 64); \
                if (KIND == 2) {                                                                        \
                    const __m512i L2 = _mm512_maskz_loadu_epi8(k2, b0 + 128);                           \
                    const __m512i x80 = _mm512_set1_epi8((char)0x80);                                   \
                    const __m512i z0 = _mm512_xor_si512(_mm512_permutex2var_epi8(L0, I0, L1), x80);     \
                    const __m512i z1 = _mm512_xor_si512(_mm512_permutex2var_epi8(L1, I1, L2), x80);     \
                    const __m512i sw = _mm512_permutex2var_epi16(L0, WI, L1);                           \
                    const __m512 s0 = _mm512_cvtph_ps(_mm512_castsi512_si256(sw));                      \
                    const __m512 s1 = _mm512_cvtph_ps(_mm512_extracti64x4_epi64(sw, 1));                \
                    QCTS_UNROLL for (int t = 0; t < T; t++) {                                           \
                        const __m512 s0t = Q80 ? _mm512_mul_ps(s0, D0[t]) : s0;                         \
                        const __m512 s1t = Q80 ? _mm512_mul_ps(s1, D1[t]) : s1;                         \
                        acc[t][r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(DPBUSD(C0[t], z0, A0[t])), s0t, acc[t][r]); \
                        acc[t][r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(DPBUSD(C1[t], z1, A1[t])), s1t, acc[t][r]); \
                    }                                                                                   \
                } else {                                                                                \
                    const __m512i q = _mm512_permutex2var_epi8(L0, I0, L1);                             \
                    __m512i lo = _mm512_and_si512(q, _mm512_set1_epi8(0x0F));                           \
                    __m512i hi = _mm512_and_si512(_mm512_srli_epi16(q, 4), _mm512_set1_epi8(0x0F));     \
                    __m512 s;                                                                           \
                    if (KIND == 1) {                                                                    \
                        lo = _mm512_shuffle_epi8(e2m1_u8_table(), lo);                                  \
                        hi = _mm512_shuffle_epi8(e2m1_u8_table(), hi);                                  \
                        s = e8m0_half_lanes(_mm512_maskz_permutexvar_epi8(0x1111111111111111ull, EI, L0)); \
                    } else {                                                                            \
                        s = f16_lanes(L0, L1, WI);                                                      \
                    }                                                                                   \
                    QCTS_UNROLL for (int t = 0; t < T; t++) {                                           \
                        const __m512 st = Q80 ? _mm512_mul_ps(s, D0[t]) : s;                            \
                        const __m512i isum = DPBUSD(DPBUSD(C0[t], lo, A0[t]), hi, A1[t]); \
                        acc[t][r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), st, acc[t][r]);           \
                    }                                                                                   \
                }                                                                                       \
            }                                                                                           \
        }                                                                                               \
        QCTS_UNROLL for (int t = 0; t < T; t++)                                                         \
            QCTS_UNROLL for (int r = 0; r < R; r++) v[t * 4 + r] = qcts_avx512_hsum(acc[t][r]);         \
    }

#define GG_KERNEL(scheme, KIND)                                                                        \
    GG_ROWS(r4t4i_##scheme, 4, 4, KIND, 0)                                                             \
    GG_ROWS(r4t1i_##scheme, 4, 1, KIND, 0)                                                             \
    GG_ROWS(r1t4i_##scheme, 1, 4, KIND, 0)                                                             \
    GG_ROWS(r1t1i_##scheme, 1, 1, KIND, 0)                                                             \
    GG_ROWS(r4t4q_##scheme, 4, 4, KIND, 1)                                                             \
    GG_ROWS(r4t1q_##scheme, 4, 1, KIND, 1)                                                             \
    GG_ROWS(r1t4q_##scheme, 1, 4, KIND, 1)                                                             \
    GG_ROWS(r1t1q_##scheme, 1, 1, KIND, 1)                                                             \
    void AQ_SYM(scheme)(const qcts_gemm_args *g, int64_t n0, int64_t n1, void *scratch) \
    {                                                                                                  \
        (void)scratch;                                                                                 \
        if (g->aq->mode == QCTS_AQ_GGUF_Q8_0)                                                          \
            qcts_actq_drive_tiled(g, n0, n1, r4t4q_##scheme, r4t1q_##scheme, r1t4q_##scheme, r1t1q_##scheme); \
        else                                                                                           \
            qcts_actq_drive_tiled(g, n0, n1, r4t4i_##scheme, r4t1i_##scheme, r1t4i_##scheme, r1t1i_##scheme); \
    }

GG_KERNEL(gguf_q4_0, 0)
GG_KERNEL(gguf_mxfp4, 1)
GG_KERNEL(gguf_q8_0, 2)

#endif

/* ---- KMAJOR_U32 4-bit rows (int4_sym_g128, fp4_g128_f16, mxfp4), 128 columns per step ------------
 * Byte j of a row holds columns 2j (low nibble) and 2j + 1 (high): the
 * activations come even/odd per 128 columns (QCTS_AQO_EVENODD128). */
#define KM_ROWS(fname, R, T, LOHI, SCALE)                                                              \
    static void fname(const qcts_gemm_args *g, int64_t m0, int64_t n, float *v)                         \
    {                                                                                                   \
        const qcts_actq *aq = g->aq;                                                                    \
        const qcts_qview *w = g->w;                                                                     \
        const int64_t K = w->cols;                                                                      \
        const uint8_t *p[R];                                                                            \
        __m512 acc[T][R];                                                                               \
        QCTS_UNROLL for (int r = 0; r < R; r++) {                                                       \
            p[r] = w->codes + (size_t)(n + r) * w->row_bytes;                                           \
            QCTS_UNROLL for (int t = 0; t < T; t++) acc[t][r] = _mm512_setzero_ps();                    \
        }                                                                                               \
        for (int64_t k = 0; k < K; k += 128) {                                                          \
            __m512i A0[T], A1[T], C[T];                                                                 \
            QCTS_UNROLL for (int t = 0; t < T; t++) {                                                   \
                const int8_t *pa = aq->pa + (m0 + t) * aq->kpad;                                        \
                A0[t] = _mm512_loadu_si512(pa + k), A1[t] = _mm512_loadu_si512(pa + k + 64);            \
                C[t] = _mm512_loadu_si512(aq->corr + (m0 + t) * (aq->kpad / 4) + k / 4);                \
            }                                                                                           \
            QCTS_UNROLL for (int r = 0; r < R; r++) {                                                   \
                const uint8_t *c = p[r] + k / 2;                                                        \
                qcts_avx512_prefetch(c);                                                                \
                qcts_avx512_prefetch_next(c, 4 * w->row_bytes);                                         \
                const __m512i raw = _mm512_loadu_si512(c);                                              \
                __m512i lo, hi;                                                                         \
                LOHI;                                                                                   \
                const int64_t gi = (n + r) * w->gpr + k / w->glen;                                      \
                const __m512 sc = SCALE;                                                                \
                QCTS_UNROLL for (int t = 0; t < T; t++) {                                               \
                    const __m512i isum = DPBUSD(DPBUSD(C[t], lo, A0[t]), hi, A1[t]); \
                    acc[t][r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), sc, acc[t][r]);               \
                }                                                                                       \
            }                                                                                           \
        }                                                                                               \
        QCTS_UNROLL for (int t = 0; t < T; t++)                                                         \
            QCTS_UNROLL for (int r = 0; r < R; r++) v[t * 4 + r] = qcts_avx512_hsum(acc[t][r]);         \
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
    KM_ROWS(r4t4_##scheme, 4, 4, LOHI, SCALE)                                                          \
    KM_ROWS(r4t1_##scheme, 4, 1, LOHI, SCALE)                                                          \
    KM_ROWS(r1t4_##scheme, 1, 4, LOHI, SCALE)                                                          \
    KM_ROWS(r1t1_##scheme, 1, 1, LOHI, SCALE)                                                          \
    void AQ_SYM(scheme)(const qcts_gemm_args *g, int64_t n0, int64_t n1, void *scratch) \
    {                                                                                                  \
        (void)scratch;                                                                                 \
        qcts_actq_drive_tiled(g, n0, n1, r4t4_##scheme, r4t1_##scheme, r1t4_##scheme, r1t1_##scheme);  \
    }

KM_KERNEL(int4_sym_g128, INT4_LOHI, S_INT4)
KM_KERNEL(fp4_g128_f16, FP4_LOHI, S_FP4)
KM_KERNEL(mxfp4, FP4_LOHI, S_MX)
