/* AVX2 fused dequant-GEMV (M = 1) for ggml blocks: Q4_0, Q4_1, Q8_0, MXFP4,
 * Q4_K and Q6_K. Weights are decoded as in dequant-gguf.c (8 bytes zero-extended to
 * lanes: 8 low-nibble and 8 high-nibble elements) into one of two
 * accumulators per row. Q4_0 and Q8_0 multiply the block's integer codes
 * and apply d once per block (like ggml's own dot products; qref_gemm's
 * bound covers it, see gemv-int4.c); Q4_1, MXFP4, Q4_K and Q6_K use the
 * float32 weights of the dequant kernels (one FMA each). */
#include "kernels/simd/avx2/gemv.h"

#define ROWS_BEGIN(R, BYTES_PER_BLOCK)                                                             \
    const int64_t nb = w->cols / w->glen;                                                          \
    const uint8_t *p[R];                                                                            \
    __m256 acc0[R], acc1[R];                                                                        \
    QCTS_UNROLL for (int r = 0; r < R; r++) {                                                                   \
        p[r] = w->codes + (size_t)(n + r) * w->row_bytes;                                           \
        acc0[r] = _mm256_setzero_ps();                                                              \
        acc1[r] = _mm256_setzero_ps();                                                              \
    }                                                                                               \
    (void)nb;

#define ROWS_END(R)                                                                                \
    QCTS_UNROLL for (int r = 0; r < R; r++)                                                                     \
        y[r] = qcts_avx2_hsum(_mm256_add_ps(acc0[r], acc1[r]));

/* ---- Q4_0: 18-byte blocks, (q - 8) * d ----------------------------------------------
 * Scale after summing the block (see gemv-int4.c): q - 8 from the float
 * pattern 0x4B000000 | q = 2^23 + q minus 2^23 + 8 (exact); the low nibbles
 * of bytes 0..7 are elements 0..7, the high ones 16..23. Per 16 weights:
 * vpmovzxbd, 2 x (vpand or vpsrld, vpor, vsubps, FMA), and per block and row
 * one FMA by d. */
#define Q4_0_ROWS(fname, R)                                                                        \
    static void fname(const qcts_qview *w, const float *x, int64_t n, float *y)                     \
    {                                                                                               \
        const __m256i m15 = _mm256_set1_epi32(0xF), magic = _mm256_set1_epi32(0x4B000000);         \
        const __m256 off = _mm256_set1_ps(8388616.0f);                                             \
        ROWS_BEGIN(R, 18)                                                                           \
        for (int64_t b = 0; b < nb; b++) {                                                          \
            const float *xb = x + 32 * b;                                                           \
            const __m256 x0 = _mm256_loadu_ps(xb), x1 = _mm256_loadu_ps(xb + 8);                    \
            const __m256 x2 = _mm256_loadu_ps(xb + 16), x3 = _mm256_loadu_ps(xb + 24);              \
            QCTS_UNROLL for (int r = 0; r < R; r++) {                                               \
                const uint8_t *blk = p[r] + 18 * b;                                                 \
                if ((b & 3) == 0)                                                                   \
                    qcts_avx2_prefetch2(blk, 4 * w->row_bytes);                                      \
                const __m256i c0 = qcts_avx2_bytes8(blk + 2), c1 = qcts_avx2_bytes8(blk + 10);     \
                const __m256 q0 = _mm256_sub_ps(_mm256_castsi256_ps(_mm256_or_si256(_mm256_and_si256(c0, m15), magic)), off); \
                const __m256 q2 = _mm256_sub_ps(_mm256_castsi256_ps(_mm256_or_si256(_mm256_srli_epi32(c0, 4), magic)), off); \
                const __m256 q1 = _mm256_sub_ps(_mm256_castsi256_ps(_mm256_or_si256(_mm256_and_si256(c1, m15), magic)), off); \
                const __m256 q3 = _mm256_sub_ps(_mm256_castsi256_ps(_mm256_or_si256(_mm256_srli_epi32(c1, 4), magic)), off); \
                const __m256 ga = _mm256_fmadd_ps(q1, x1, _mm256_mul_ps(q0, x0));                   \
                const __m256 gb = _mm256_fmadd_ps(q3, x3, _mm256_mul_ps(q2, x2));                   \
                const __m256 d = _mm256_set1_ps(qcts_avx2_f16(blk));                               \
                acc0[r] = _mm256_fmadd_ps(d, ga, acc0[r]);                                          \
                acc1[r] = _mm256_fmadd_ps(d, gb, acc1[r]);                                          \
            }                                                                                       \
        }                                                                                           \
        ROWS_END(R)                                                                                 \
    }
Q4_0_ROWS(rows4_q4_0, 4)
Q4_0_ROWS(rows1_q4_0, 1)
QCTS_GEMV_DRIVER(qcts_gemv_gguf_q4_0__avx2, rows4_q4_0, rows1_q4_0)

/* ---- Q8_0: 34-byte blocks, q * d: scale after summing the block -------------------- */
#define Q8_0_ROWS(fname, R)                                                                        \
    static void fname(const qcts_qview *w, const float *x, int64_t n, float *y)                     \
    {                                                                                               \
        ROWS_BEGIN(R, 34)                                                                           \
        for (int64_t b = 0; b < nb; b++) {                                                          \
            const float *xb = x + 32 * b;                                                           \
            QCTS_UNROLL for (int r = 0; r < R; r++) {                                               \
                const uint8_t *blk = p[r] + 34 * b;                                                 \
                if ((b & 1) == 0)                                                                   \
                    qcts_avx2_prefetch2(blk, 4 * w->row_bytes);                                      \
                __m256 ga = _mm256_mul_ps(_mm256_cvtepi32_ps(qcts_avx2_sbytes8(blk + 2)), _mm256_loadu_ps(xb)); \
                __m256 gb = _mm256_mul_ps(_mm256_cvtepi32_ps(qcts_avx2_sbytes8(blk + 10)), _mm256_loadu_ps(xb + 8)); \
                ga = _mm256_fmadd_ps(_mm256_cvtepi32_ps(qcts_avx2_sbytes8(blk + 18)), _mm256_loadu_ps(xb + 16), ga); \
                gb = _mm256_fmadd_ps(_mm256_cvtepi32_ps(qcts_avx2_sbytes8(blk + 26)), _mm256_loadu_ps(xb + 24), gb); \
                const __m256 d = _mm256_set1_ps(qcts_avx2_f16(blk));                               \
                acc0[r] = _mm256_fmadd_ps(d, ga, acc0[r]);                                          \
                acc1[r] = _mm256_fmadd_ps(d, gb, acc1[r]);                                          \
            }                                                                                       \
        }                                                                                           \
        ROWS_END(R)                                                                                 \
    }
Q8_0_ROWS(rows4_q8_0, 4)
Q8_0_ROWS(rows1_q8_0, 1)
QCTS_GEMV_DRIVER(qcts_gemv_gguf_q8_0__avx2, rows4_q8_0, rows1_q8_0)

/* ---- MXFP4: 17-byte blocks, kvalues[q] * 2^(e-128) -------------------------------------
 * Code 8 decodes to -0 here (+0 in ggml): as a product term it changes
 * nothing (accumulators start at +0 and +0 + -0 = +0). */
#define MXFP4_ROWS(fname, R)                                                                       \
    static void fname(const qcts_qview *w, const float *x, int64_t n, float *y)                     \
    {                                                                                               \
        const __m256 kmag = _mm256_setr_ps(0, 1, 2, 3, 4, 6, 8, 12);                               \
        ROWS_BEGIN(R, 17)                                                                           \
        for (int64_t b = 0; b < nb; b++) {                                                          \
            const float *xb = x + 32 * b;                                                           \
            const __m256 x0 = _mm256_loadu_ps(xb), x1 = _mm256_loadu_ps(xb + 8);                    \
            const __m256 x2 = _mm256_loadu_ps(xb + 16), x3 = _mm256_loadu_ps(xb + 24);              \
            QCTS_UNROLL for (int r = 0; r < R; r++) {                                                           \
                const uint8_t *blk = p[r] + 17 * b;                                                 \
                if ((b & 3) == 0)                                                                   \
                    qcts_avx2_prefetch2(blk, 4 * w->row_bytes);                                      \
                const __m256 lut = qcts_avx2_sm_lut(_mm256_mul_ps(kmag, _mm256_set1_ps(qcts_avx2_e8m0_half(blk[0])))); \
                const __m256i c0 = qcts_avx2_bytes8(blk + 1), c1 = qcts_avx2_bytes8(blk + 9);      \
                acc0[r] = _mm256_fmadd_ps(qcts_avx2_sm_dec(c0, lut), x0, acc0[r]);                  \
                acc1[r] = _mm256_fmadd_ps(qcts_avx2_sm_dec(_mm256_srli_epi32(c0, 4), lut), x2, acc1[r]); \
                acc0[r] = _mm256_fmadd_ps(qcts_avx2_sm_dec(c1, lut), x1, acc0[r]);                  \
                acc1[r] = _mm256_fmadd_ps(qcts_avx2_sm_dec(_mm256_srli_epi32(c1, 4), lut), x3, acc1[r]); \
            }                                                                                       \
        }                                                                                           \
        ROWS_END(R)                                                                                 \
    }
MXFP4_ROWS(rows4_mxfp4, 4)
MXFP4_ROWS(rows1_mxfp4, 1)
QCTS_GEMV_DRIVER(qcts_gemv_gguf_mxfp4__avx2, rows4_mxfp4, rows1_mxfp4)

/* ---- Q4_K: 144-byte super-blocks of 8 sub-blocks of 32 ------------------------------ */
QCTS_AVX2_INLINE void scale_min_k4(int j, const uint8_t *q, int *d, int *m)
{
    if (j < 4) {
        *d = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
        *m = (q[j + 4] >> 4) | ((q[j - 0] >> 6) << 4);
    }
}

#define Q4_K_ROWS(fname, R)                                                                        \
    static void fname(const qcts_qview *w, const float *x, int64_t n, float *y)                     \
    {                                                                                               \
        const __m256 c_lo = _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7);                                \
        const __m256 c_hi = _mm256_setr_ps(8, 9, 10, 11, 12, 13, 14, 15);                          \
        ROWS_BEGIN(R, 144)                                                                          \
        for (int64_t b = 0; b < nb; b++) {                                                          \
            const float *xb = x + 256 * b;                                                          \
            QCTS_UNROLL for (int r = 0; r < R; r++) {                                                           \
                const uint8_t *blk = p[r] + 144 * b;                                                \
                qcts_avx2_prefetch(blk);                                                            \
                qcts_avx2_prefetch(blk + 64);                                                       \
                const float d = qcts_avx2_f16(blk), dmin = qcts_avx2_f16(blk + 2);                  \
                const uint8_t *sc = blk + 4, *q = blk + 16;                                         \
                for (int c = 0; c < 4; c++) {                                                       \
                    __m256 lut[2][2];                                                               \
                    QCTS_UNROLL for (int s = 0; s < 2; s++) {                                                \
                        int scv, mv;                                                                \
                        scale_min_k4(2 * c + s, sc, &scv, &mv);                                     \
                        const __m256 d1 = _mm256_set1_ps(d * (float)scv), m1 = _mm256_set1_ps(dmin * (float)mv); \
                        lut[s][0] = _mm256_sub_ps(_mm256_mul_ps(d1, c_lo), m1);                     \
                        lut[s][1] = _mm256_sub_ps(_mm256_mul_ps(d1, c_hi), m1);                     \
                    }                                                                               \
                    QCTS_UNROLL for (int t = 0; t < 4; t++) {                                                \
                        __m256i cv = qcts_avx2_bytes8(q + 32 * c + 8 * t);                          \
                        acc0[r] = _mm256_fmadd_ps(qcts_avx2_lut16_dec(cv, lut[0][0], lut[0][1]),    \
                                                  _mm256_loadu_ps(xb + 64 * c + 8 * t), acc0[r]);   \
                        acc1[r] = _mm256_fmadd_ps(qcts_avx2_lut16_dec(_mm256_srli_epi32(cv, 4), lut[1][0], lut[1][1]), \
                                                  _mm256_loadu_ps(xb + 64 * c + 32 + 8 * t), acc1[r]); \
                    }                                                                               \
                }                                                                                   \
            }                                                                                       \
        }                                                                                           \
        ROWS_END(R)                                                                                 \
    }
Q4_K_ROWS(rows4_q4_k, 4)
Q4_K_ROWS(rows1_q4_k, 1)
QCTS_GEMV_DRIVER(qcts_gemv_gguf_q4_k__avx2, rows4_q4_k, rows1_q4_k)

/* ---- Q4_1: 20-byte blocks, q * d + m: float32 weights from a 16-entry table ------------ */
#define Q4_1_ROWS(fname, R)                                                                        \
    static void fname(const qcts_qview *w, const float *x, int64_t n, float *y)                     \
    {                                                                                               \
        const __m256 c_lo = _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7);                                \
        const __m256 c_hi = _mm256_setr_ps(8, 9, 10, 11, 12, 13, 14, 15);                          \
        ROWS_BEGIN(R, 20)                                                                           \
        for (int64_t b = 0; b < nb; b++) {                                                          \
            const float *xb = x + 32 * b;                                                           \
            const __m256 x0 = _mm256_loadu_ps(xb), x1 = _mm256_loadu_ps(xb + 8);                    \
            const __m256 x2 = _mm256_loadu_ps(xb + 16), x3 = _mm256_loadu_ps(xb + 24);              \
            QCTS_UNROLL for (int r = 0; r < R; r++) {                                               \
                const uint8_t *blk = p[r] + 20 * b;                                                 \
                if ((b & 3) == 0)                                                                   \
                    qcts_avx2_prefetch(blk);                                                        \
                const __m256 d = _mm256_set1_ps(qcts_avx2_f16(blk)), m = _mm256_set1_ps(qcts_avx2_f16(blk + 2)); \
                const __m256 lo = _mm256_add_ps(_mm256_mul_ps(c_lo, d), m);                        \
                const __m256 hi = _mm256_add_ps(_mm256_mul_ps(c_hi, d), m);                        \
                const __m256i c0 = qcts_avx2_bytes8(blk + 4), c1 = qcts_avx2_bytes8(blk + 12);     \
                acc0[r] = _mm256_fmadd_ps(qcts_avx2_lut16_dec(c0, lo, hi), x0, acc0[r]);            \
                acc1[r] = _mm256_fmadd_ps(qcts_avx2_lut16_dec(_mm256_srli_epi32(c0, 4), lo, hi), x2, acc1[r]); \
                acc0[r] = _mm256_fmadd_ps(qcts_avx2_lut16_dec(c1, lo, hi), x1, acc0[r]);            \
                acc1[r] = _mm256_fmadd_ps(qcts_avx2_lut16_dec(_mm256_srli_epi32(c1, 4), lo, hi), x3, acc1[r]); \
            }                                                                                       \
        }                                                                                           \
        ROWS_END(R)                                                                                 \
    }
Q4_1_ROWS(rows4_q4_1, 4)
Q4_1_ROWS(rows1_q4_1, 1)
QCTS_GEMV_DRIVER(qcts_gemv_gguf_q4_1__avx2, rows4_q4_1, rows1_q4_1)

/* ---- Q6_K: 210-byte super-blocks, (d * sc) * (q - 32) --------------------------------------
 * The 6-bit codes as in dequant-gguf.c; per 8 weights of each quarter of a
 * 128-element half: the float32 weight (one multiply by the exact d * sc)
 * and an FMA, quarters 0/2 on acc0 and 1/3 on acc1. */
QCTS_AVX2_INLINE __m256 q6w(__m256i q, float ds)
{
    return _mm256_mul_ps(_mm256_set1_ps(ds), _mm256_cvtepi32_ps(_mm256_sub_epi32(q, _mm256_set1_epi32(32))));
}

#define Q6_K_ROWS(fname, R)                                                                        \
    static void fname(const qcts_qview *w, const float *x, int64_t n, float *y)                     \
    {                                                                                               \
        const __m256i m4 = _mm256_set1_epi32(0xF), m3 = _mm256_set1_epi32(3);                       \
        ROWS_BEGIN(R, 210)                                                                          \
        for (int64_t b = 0; b < nb; b++) {                                                          \
            QCTS_UNROLL for (int r = 0; r < R; r++) {                                               \
                const uint8_t *blk = p[r] + 210 * b;                                                \
                qcts_avx2_prefetch(blk);                                                            \
                qcts_avx2_prefetch(blk + 64);                                                       \
                qcts_avx2_prefetch(blk + 128);                                                      \
                const float d = qcts_avx2_f16(blk + 208);                                           \
                for (int h = 0; h < 2; h++) {                                                       \
                    const uint8_t *l8 = blk + 64 * h, *h8 = blk + 128 + 32 * h;                     \
                    const int8_t *s8 = (const int8_t *)(const void *)(blk + 192 + 8 * h);           \
                    const float *xh = x + 256 * b + 128 * h;                                        \
                    for (int t = 0; t < 4; t++) {                                                   \
                        const int is = t / 2;                                                       \
                        const __m256i a = qcts_avx2_bytes8(l8 + 8 * t), c = qcts_avx2_bytes8(l8 + 32 + 8 * t); \
                        const __m256i q = qcts_avx2_bytes8(h8 + 8 * t);                             \
                        const __m256i q1 = _mm256_or_si256(_mm256_and_si256(a, m4), _mm256_slli_epi32(_mm256_and_si256(q, m3), 4)); \
                        const __m256i q2 = _mm256_or_si256(_mm256_and_si256(c, m4),                 \
                                                           _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(q, 2), m3), 4)); \
                        const __m256i q3 = _mm256_or_si256(_mm256_srli_epi32(a, 4),                 \
                                                           _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(q, 4), m3), 4)); \
                        const __m256i q4 = _mm256_or_si256(_mm256_srli_epi32(c, 4), _mm256_slli_epi32(_mm256_srli_epi32(q, 6), 4)); \
                        acc0[r] = _mm256_fmadd_ps(q6w(q1, d * (float)s8[is]), _mm256_loadu_ps(xh + 8 * t), acc0[r]); \
                        acc1[r] = _mm256_fmadd_ps(q6w(q2, d * (float)s8[is + 2]), _mm256_loadu_ps(xh + 32 + 8 * t), acc1[r]); \
                        acc0[r] = _mm256_fmadd_ps(q6w(q3, d * (float)s8[is + 4]), _mm256_loadu_ps(xh + 64 + 8 * t), acc0[r]); \
                        acc1[r] = _mm256_fmadd_ps(q6w(q4, d * (float)s8[is + 6]), _mm256_loadu_ps(xh + 96 + 8 * t), acc1[r]); \
                    }                                                                               \
                }                                                                                   \
            }                                                                                       \
        }                                                                                           \
        ROWS_END(R)                                                                                 \
    }
Q6_K_ROWS(rows4_q6_k, 4)
Q6_K_ROWS(rows1_q6_k, 1)
QCTS_GEMV_DRIVER(qcts_gemv_gguf_q6_k__avx2, rows4_q6_k, rows1_q6_k)
