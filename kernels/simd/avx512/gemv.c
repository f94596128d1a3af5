/* AVX-512 fused dequant-GEMV (M = 1): the weights decoded in registers
 * (common.h: one table lookup per 16 4-bit weights) and multiplied straight
 * into 2 accumulators per row, 4 rows at a time (8 FMA chains, x loaded once
 * for the 4 rows); y = hsum(acc0 + acc1) in a fixed order, + bias. The
 * last N % 4 rows run the same per-row instruction sequence one at a time,
 * so a row's bits depend on neither the row count nor the thread split.
 *
 * KMAJOR_U32 schemes read the activations in pair order (common.h),
 * permuted once per call into the scratch; ggml blocks are in element order
 * already (byte j: elements j and j + 16). Per 32 4-bit weights the loop is
 * 2 broadcast loads, 2 vpsrlvd (or 1 vpmovzxbd + 1 vpsrld), 2 vpermps and
 * 2 FMAs; the AVX2 kernels need 10 vector ops and 4 FMAs for the same. */
#include "kernels/simd/avx512/common.h"
#include "qref/fmt.h"

typedef void (*rows_fn)(const qcts_qview *w, const float *x, int64_t n, float *y);

QCTS_AVX512_INLINE void drive(const qcts_gemm_args *g, const float *x, int64_t n0, int64_t n1, rows_fn rows4,
                              rows_fn rows1)
{
    float v[4];
    int64_t n = n0;
    for (; n + 4 <= n1; n += 4) {
        rows4(g->w, x, n, v);
        for (int r = 0; r < 4; r++)
            g->y[n + r] = g->bias ? v[r] + g->bias[n + r] : v[r];
    }
    for (; n < n1; n++) {
        rows1(g->w, x, n, v);
        g->y[n] = g->bias ? v[0] + g->bias[n] : v[0];
    }
}

/* ---- KMAJOR_U32 4-bit codes with a per-group table --------------------------------- */
#define LUT_ROWS(fname, R, TABLE)                                                                  \
    static void fname(const qcts_qview *w, const float *x, int64_t n, float *y)                     \
    {                                                                                               \
        const int64_t K = w->cols, gl = w->glen, gstep = w->gpr != 0;                               \
        const uint8_t *p[R];                                                                        \
        __m512 acc0[R], acc1[R], lut[R];                                                            \
        int64_t gbase[R];                                                                           \
        QCTS_UNROLL for (int r = 0; r < R; r++) {                                                   \
            p[r] = w->codes + (size_t)(n + r) * w->row_bytes;                                       \
            gbase[r] = (n + r) * w->gpr;                                                            \
            acc0[r] = _mm512_setzero_ps();                                                          \
            acc1[r] = _mm512_setzero_ps();                                                          \
        }                                                                                           \
        for (int64_t k = 0, g = 0; k < K; k += gl, g += gstep) {                                    \
            QCTS_UNROLL for (int r = 0; r < R; r++) {                                               \
                const int64_t gi = gbase[r] + g;                                                    \
                qcts_avx512_prefetch(p[r] + k / 2);                                                \
                qcts_avx512_prefetch_next(p[r] + k / 2, 4 * w->row_bytes);                          \
                lut[r] = (TABLE);                                                                   \
            }                                                                                       \
            int64_t kk = k;                                                                         \
            for (; kk + 32 <= k + gl; kk += 32) {                                                   \
                const __m512 x0 = _mm512_loadu_ps(x + kk), x1 = _mm512_loadu_ps(x + kk + 16);       \
                QCTS_UNROLL for (int r = 0; r < R; r++) {                                           \
                    acc0[r] = _mm512_fmadd_ps(qcts_avx512_lut(qcts_avx512_nib16x(p[r] + kk / 2), lut[r]), x0, acc0[r]); \
                    acc1[r] = _mm512_fmadd_ps(qcts_avx512_lut(qcts_avx512_nib16x(p[r] + kk / 2 + 8), lut[r]), x1, acc1[r]); \
                }                                                                                   \
            }                                                                                       \
            if (kk < k + gl) { /* a group of 16 (NVFP4) */                                          \
                const __m512 x0 = _mm512_loadu_ps(x + kk);                                          \
                QCTS_UNROLL for (int r = 0; r < R; r++)                                             \
                    acc0[r] = _mm512_fmadd_ps(qcts_avx512_lut(qcts_avx512_nib16x(p[r] + kk / 2), lut[r]), x0, acc0[r]); \
            }                                                                                       \
        }                                                                                           \
        QCTS_UNROLL for (int r = 0; r < R; r++)                                                     \
            y[r] = qcts_avx512_hsum(_mm512_add_ps(acc0[r], acc1[r]));                               \
    }

/* Groups are multiples of 16 columns (NVFP4: 16; the others 32, 64, 128). */
#define LUT_GEMV(scheme, TABLE)                                                                    \
    LUT_ROWS(rows4_##scheme, 4, TABLE)                                                             \
    LUT_ROWS(rows1_##scheme, 1, TABLE)                                                             \
    void qcts_gemv_##scheme##__avx512(const qcts_gemm_args *g, int64_t n0, int64_t n1, void *scratch) \
    {                                                                                               \
        float *xp = scratch;                                                                        \
        qcts_avx512_pair_x(g->a, g->w->cols, xp);                                                  \
        drive(g, xp, n0, n1, rows4_##scheme, rows1_##scheme);                                       \
    }

#define S_F16 _mm512_set1_ps(qcts_avx512_f16(w->scales + 2 * gi))
#define S_BF16 _mm512_set1_ps(qcts_avx512_bf16(w->scales + 2 * gi))
#define S_F32 _mm512_set1_ps(qcts_avx512_f32(w->scales + 4 * gi))
#define S_E8M0 _mm512_set1_ps(qcts_avx512_e8m0(w->scales[gi]))

LUT_GEMV(fp4_g32_f16, _mm512_mul_ps(qcts_avx512_e2m1_vals(), S_F16))
LUT_GEMV(fp4_g128_f16, _mm512_mul_ps(qcts_avx512_e2m1_vals(), S_F16))
LUT_GEMV(fp4_g128_bf16, _mm512_mul_ps(qcts_avx512_e2m1_vals(), S_BF16))
LUT_GEMV(mxfp4, _mm512_mul_ps(qcts_avx512_e2m1_vals(), S_E8M0))
LUT_GEMV(nvfp4, _mm512_mul_ps(_mm512_mul_ps(qcts_avx512_e2m1_vals(), _mm512_set1_ps(qcts_avx512_e4m3(w->scales[gi]))),
                              _mm512_set1_ps(w->tscale)))
LUT_GEMV(int4_sym_g128, _mm512_mul_ps(qcts_avx512_int4_vals(), S_F16))
LUT_GEMV(int4_asym_g128,
         _mm512_mul_ps(_mm512_sub_ps(qcts_avx512_uint4_vals(), _mm512_set1_ps((float)w->zeros[gi])), S_F16))
LUT_GEMV(nf4_g64, _mm512_mul_ps(_mm512_loadu_ps(qref_nf4_table), S_F32))

/* ---- ggml 4-bit blocks of 32 (Q4_0: 18 bytes, MXFP4: 17), table per block ------------ */
#define BLK4_ROWS(fname, R, BYTES, OFF, VALS, SCALE)                                               \
    static void fname(const qcts_qview *w, const float *x, int64_t n, float *y)                     \
    {                                                                                               \
        const int64_t nb = w->cols / 32;                                                            \
        const __m512 vals = VALS;                                                                   \
        const uint8_t *p[R];                                                                        \
        __m512 acc0[R], acc1[R];                                                                    \
        QCTS_UNROLL for (int r = 0; r < R; r++) {                                                   \
            p[r] = w->codes + (size_t)(n + r) * w->row_bytes;                                       \
            acc0[r] = _mm512_setzero_ps();                                                          \
            acc1[r] = _mm512_setzero_ps();                                                          \
        }                                                                                           \
        for (int64_t b = 0; b < nb; b++) {                                                          \
            const __m512 x0 = _mm512_loadu_ps(x + 32 * b), x1 = _mm512_loadu_ps(x + 32 * b + 16);  \
            QCTS_UNROLL for (int r = 0; r < R; r++) {                                               \
                const uint8_t *blk = p[r] + (BYTES) * b;                                            \
                if ((b & 3) == 0) {                                                                 \
                    qcts_avx512_prefetch(blk);                                                      \
                    qcts_avx512_prefetch_next(blk, 4 * w->row_bytes);                               \
                }                                                                                   \
                const __m512 lut = _mm512_mul_ps(vals, _mm512_set1_ps(SCALE));                      \
                const __m512i c = qcts_avx512_bytes16(blk + (OFF));                                 \
                acc0[r] = _mm512_fmadd_ps(qcts_avx512_lut(c, lut), x0, acc0[r]);                    \
                acc1[r] = _mm512_fmadd_ps(qcts_avx512_lut(_mm512_srli_epi32(c, 4), lut), x1, acc1[r]); \
            }                                                                                       \
        }                                                                                           \
        QCTS_UNROLL for (int r = 0; r < R; r++)                                                     \
            y[r] = qcts_avx512_hsum(_mm512_add_ps(acc0[r], acc1[r]));                               \
    }

#define BLK4_GEMV(scheme, BYTES, OFF, VALS, SCALE)                                                 \
    BLK4_ROWS(rows4_##scheme, 4, BYTES, OFF, VALS, SCALE)                                          \
    BLK4_ROWS(rows1_##scheme, 1, BYTES, OFF, VALS, SCALE)                                          \
    void qcts_gemv_##scheme##__avx512(const qcts_gemm_args *g, int64_t n0, int64_t n1, void *scratch) \
    {                                                                                               \
        (void)scratch;                                                                              \
        drive(g, g->a, n0, n1, rows4_##scheme, rows1_##scheme);                                     \
    }

BLK4_GEMV(gguf_q4_0, 18, 2, _mm512_setr_ps(-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7),
          qcts_avx512_f16(blk))
BLK4_GEMV(gguf_mxfp4, 17, 1, _mm512_setr_ps(0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12),
          qcts_avx512_e8m0_half(blk[0]))

/* ---- Q8_0: 34-byte blocks; the block's integer products summed, then x d
 * (as the AVX2 kernel and ggml's dot products); blocks alternate between
 * the two accumulators. */
#define Q8_0_ROWS(fname, R)                                                                        \
    static void fname(const qcts_qview *w, const float *x, int64_t n, float *y)                     \
    {                                                                                               \
        const int64_t nb = w->cols / 32;                                                            \
        const uint8_t *p[R];                                                                        \
        __m512 acc[2][R];                                                                           \
        QCTS_UNROLL for (int r = 0; r < R; r++) {                                                   \
            p[r] = w->codes + (size_t)(n + r) * w->row_bytes;                                       \
            acc[0][r] = _mm512_setzero_ps();                                                        \
            acc[1][r] = _mm512_setzero_ps();                                                        \
        }                                                                                           \
        for (int64_t b = 0; b < nb; b++) {                                                          \
            const __m512 x0 = _mm512_loadu_ps(x + 32 * b), x1 = _mm512_loadu_ps(x + 32 * b + 16);  \
            QCTS_UNROLL for (int r = 0; r < R; r++) {                                               \
                const uint8_t *blk = p[r] + 34 * b;                                                 \
                if ((b & 1) == 0) {                                                                 \
                    qcts_avx512_prefetch(blk);                                                      \
                    qcts_avx512_prefetch_next(blk, 4 * w->row_bytes);                               \
                }                                                                                   \
                __m512 s = _mm512_mul_ps(_mm512_cvtepi32_ps(qcts_avx512_sbytes16(blk + 2)), x0);    \
                s = _mm512_fmadd_ps(_mm512_cvtepi32_ps(qcts_avx512_sbytes16(blk + 18)), x1, s);     \
                acc[b & 1][r] = _mm512_fmadd_ps(_mm512_set1_ps(qcts_avx512_f16(blk)), s, acc[b & 1][r]); \
            }                                                                                       \
        }                                                                                           \
        QCTS_UNROLL for (int r = 0; r < R; r++)                                                     \
            y[r] = qcts_avx512_hsum(_mm512_add_ps(acc[0][r], acc[1][r]));                           \
    }
Q8_0_ROWS(rows4_q8_0, 4)
Q8_0_ROWS(rows1_q8_0, 1)
void qcts_gemv_gguf_q8_0__avx512(const qcts_gemm_args *g, int64_t n0, int64_t n1, void *scratch)
{
    (void)scratch;
    drive(g, g->a, n0, n1, rows4_q8_0, rows1_q8_0);
}

/* ---- int8_per_channel: q x s (the dequantized weight), K tail masked ---------------- */
#define INT8_ROWS(fname, R)                                                                        \
    static void fname(const qcts_qview *w, const float *x, int64_t n, float *y)                     \
    {                                                                                               \
        const int64_t K = w->cols;                                                                  \
        const uint8_t *p[R];                                                                        \
        __m512 acc0[R], acc1[R], s[R];                                                              \
        QCTS_UNROLL for (int r = 0; r < R; r++) {                                                   \
            p[r] = w->codes + (size_t)(n + r) * w->row_bytes;                                       \
            s[r] = _mm512_set1_ps(qcts_avx512_f32(w->scales + 4 * qcts_qview_group(w, n + r, 0))); \
            acc0[r] = _mm512_setzero_ps();                                                          \
            acc1[r] = _mm512_setzero_ps();                                                          \
        }                                                                                           \
        int64_t k = 0;                                                                              \
        for (; k + 32 <= K; k += 32) {                                                              \
            const __m512 x0 = _mm512_loadu_ps(x + k), x1 = _mm512_loadu_ps(x + k + 16);             \
            QCTS_UNROLL for (int r = 0; r < R; r++) {                                               \
                if ((k & 63) == 0)                                                                  \
                    qcts_avx512_prefetch(p[r] + k);                                                 \
                acc0[r] = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(qcts_avx512_sbytes16(p[r] + k)), s[r]), x0, acc0[r]); \
                acc1[r] = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(qcts_avx512_sbytes16(p[r] + k + 16)), s[r]), x1, acc1[r]); \
            }                                                                                       \
        }                                                                                           \
        for (; k < K; k += 16) {                                                                    \
            const __mmask16 m = K - k >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (K - k)) - 1); \
            const __m512 x0 = _mm512_maskz_loadu_ps(m, x + k);                                      \
            QCTS_UNROLL for (int r = 0; r < R; r++) {                                               \
                const __m512i q = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, p[r] + k));          \
                acc0[r] = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(q), s[r]), x0, acc0[r]); \
            }                                                                                       \
        }                                                                                           \
        QCTS_UNROLL for (int r = 0; r < R; r++)                                                     \
            y[r] = qcts_avx512_hsum(_mm512_add_ps(acc0[r], acc1[r]));                               \
    }
INT8_ROWS(rows4_int8, 4)
INT8_ROWS(rows1_int8, 1)
void qcts_gemv_int8_per_channel__avx512(const qcts_gemm_args *g, int64_t n0, int64_t n1, void *scratch)
{
    (void)scratch;
    drive(g, g->a, n0, n1, rows4_int8, rows1_int8);
}
