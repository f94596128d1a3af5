/* NEON fused dequant-GEMV (M = 1): the weights decoded in registers
 * (common.h) and multiplied into 2 accumulators per row, 4 rows at a time;
 * y = vaddvq(acc0 + acc1), + bias. The last N % 4 rows run the same per-row
 * sequence one at a time, so a row's bits depend on neither the row count
 * nor the thread split. Q8_0 sums a block's integer products, then x d, as
 * the AVX2 kernel and ggml do. */
#include "kernels/simd/neon/common.h"
#include "qref/fmt.h"

typedef void (*rows_fn)(const qcts_qview *w, const float *x, int64_t n, float *y);

QCTS_NEON_INLINE void drive(const qcts_gemm_args *g, int64_t n0, int64_t n1, rows_fn rows4, rows_fn rows1)
{
    float v[4];
    int64_t n = n0;
    for (; n + 4 <= n1; n += 4) {
        rows4(g->w, g->a, n, v);
        for (int r = 0; r < 4; r++)
            g->y[n + r] = g->bias ? v[r] + g->bias[n + r] : v[r];
    }
    for (; n < n1; n++) {
        rows1(g->w, g->a, n, v);
        g->y[n] = g->bias ? v[0] + g->bias[n] : v[0];
    }
}

/* 16 weights from a table (codes c) times x[0..16) into acc0/acc1. */
#define FMA16(acc0, acc1, c, lut, x)                                                               \
    do {                                                                                            \
        acc0 = vfmaq_f32(acc0, qcts_neon_lut4(c, 0, lut), vld1q_f32(x));                           \
        acc1 = vfmaq_f32(acc1, qcts_neon_lut4(c, 1, lut), vld1q_f32((x) + 4));                     \
        acc0 = vfmaq_f32(acc0, qcts_neon_lut4(c, 2, lut), vld1q_f32((x) + 8));                     \
        acc1 = vfmaq_f32(acc1, qcts_neon_lut4(c, 3, lut), vld1q_f32((x) + 12));                    \
    } while (0)

#define LUT_ROWS(fname, R, TABLE)                                                                  \
    static void fname(const qcts_qview *w, const float *x, int64_t n, float *y)                     \
    {                                                                                               \
        const int64_t K = w->cols, gl = w->glen, gstep = w->gpr != 0;                               \
        const uint8_t *p[R];                                                                        \
        float32x4_t acc0[R], acc1[R];                                                               \
        int64_t gbase[R];                                                                           \
        QCTS_UNROLL for (int r = 0; r < R; r++) {                                                   \
            p[r] = w->codes + (size_t)(n + r) * w->row_bytes;                                       \
            gbase[r] = (n + r) * w->gpr;                                                            \
            acc0[r] = vdupq_n_f32(0.0f);                                                            \
            acc1[r] = vdupq_n_f32(0.0f);                                                            \
        }                                                                                           \
        for (int64_t k = 0, g = 0; k < K; k += gl, g += gstep) {                                    \
            QCTS_UNROLL for (int r = 0; r < R; r++) {                                               \
                const int64_t gi = gbase[r] + g;                                                    \
                const qcts_neon_lut lut = (TABLE);                                                  \
                for (int64_t kk = k; kk < k + gl; kk += 16) {                                       \
                    const uint8x16_t c = qcts_neon_kmajor16(p[r] + kk / 2);                         \
                    FMA16(acc0[r], acc1[r], c, lut, x + kk);                                        \
                }                                                                                   \
            }                                                                                       \
        }                                                                                           \
        QCTS_UNROLL for (int r = 0; r < R; r++)                                                     \
            y[r] = vaddvq_f32(vaddq_f32(acc0[r], acc1[r]));                                         \
    }

#define LUT_GEMV(scheme, TABLE)                                                                    \
    LUT_ROWS(rows4_##scheme, 4, TABLE)                                                             \
    LUT_ROWS(rows1_##scheme, 1, TABLE)                                                             \
    void qcts_gemv_##scheme##__neon(const qcts_gemm_args *g, int64_t n0, int64_t n1, void *scratch) \
    {                                                                                               \
        (void)scratch;                                                                              \
        drive(g, n0, n1, rows4_##scheme, rows1_##scheme);                                           \
    }

#define S_F16 qcts_neon_f16(w->scales + 2 * gi)
#define S_BF16 qcts_neon_bf16(w->scales + 2 * gi)
#define S_F32 qcts_neon_f32(w->scales + 4 * gi)
#define S_E8M0 qcts_neon_e8m0(w->scales[gi])

QCTS_NEON_INLINE qcts_neon_lut asym_lut(float z, float s)
{
    float v[16];
    for (int i = 0; i < 16; i++)
        v[i] = qcts_neon_uint4_vals[i] - z;
    return qcts_neon_lut_make(v, s);
}
QCTS_NEON_INLINE qcts_neon_lut nvfp4_lut(float b, float S)
{
    float v[16];
    for (int i = 0; i < 16; i++)
        v[i] = qcts_neon_e2m1_vals[i] * b;
    return qcts_neon_lut_make(v, S);
}

LUT_GEMV(fp4_g32_f16, qcts_neon_lut_make(qcts_neon_e2m1_vals, S_F16))
LUT_GEMV(fp4_g128_f16, qcts_neon_lut_make(qcts_neon_e2m1_vals, S_F16))
LUT_GEMV(fp4_g128_bf16, qcts_neon_lut_make(qcts_neon_e2m1_vals, S_BF16))
LUT_GEMV(mxfp4, qcts_neon_lut_make(qcts_neon_e2m1_vals, S_E8M0))
LUT_GEMV(nvfp4, nvfp4_lut(qcts_neon_e4m3(w->scales[gi]), w->tscale))
LUT_GEMV(int4_sym_g128, qcts_neon_lut_make(qcts_neon_int4_vals, S_F16))
LUT_GEMV(int4_asym_g128, asym_lut((float)w->zeros[gi], S_F16))
LUT_GEMV(nf4_g64, qcts_neon_lut_make(qref_nf4_table, S_F32))

/* ---- ggml 4-bit blocks of 32 ---------------------------------------------------------- */
#define BLK4_ROWS(fname, R, BYTES, OFF, VALS, SCALE)                                               \
    static void fname(const qcts_qview *w, const float *x, int64_t n, float *y)                     \
    {                                                                                               \
        const int64_t nb = w->cols / 32;                                                            \
        const uint8_t *p[R];                                                                        \
        float32x4_t acc0[R], acc1[R];                                                               \
        QCTS_UNROLL for (int r = 0; r < R; r++) {                                                   \
            p[r] = w->codes + (size_t)(n + r) * w->row_bytes;                                       \
            acc0[r] = vdupq_n_f32(0.0f);                                                            \
            acc1[r] = vdupq_n_f32(0.0f);                                                            \
        }                                                                                           \
        for (int64_t b = 0; b < nb; b++) {                                                          \
            QCTS_UNROLL for (int r = 0; r < R; r++) {                                               \
                const uint8_t *blk = p[r] + (BYTES) * b;                                            \
                const qcts_neon_lut lut = qcts_neon_lut_make(VALS, SCALE);                          \
                const uint8x16_t v = vld1q_u8(blk + (OFF));                                         \
                FMA16(acc0[r], acc1[r], vandq_u8(v, vdupq_n_u8(0xF)), lut, x + 32 * b);             \
                FMA16(acc0[r], acc1[r], vshrq_n_u8(v, 4), lut, x + 32 * b + 16);                    \
            }                                                                                       \
        }                                                                                           \
        QCTS_UNROLL for (int r = 0; r < R; r++)                                                     \
            y[r] = vaddvq_f32(vaddq_f32(acc0[r], acc1[r]));                                         \
    }

#define BLK4_GEMV(scheme, BYTES, OFF, VALS, SCALE)                                                 \
    BLK4_ROWS(rows4_##scheme, 4, BYTES, OFF, VALS, SCALE)                                          \
    BLK4_ROWS(rows1_##scheme, 1, BYTES, OFF, VALS, SCALE)                                          \
    void qcts_gemv_##scheme##__neon(const qcts_gemm_args *g, int64_t n0, int64_t n1, void *scratch) \
    {                                                                                               \
        (void)scratch;                                                                              \
        drive(g, n0, n1, rows4_##scheme, rows1_##scheme);                                           \
    }

BLK4_GEMV(gguf_q4_0, 18, 2, qcts_neon_q4_0_vals, qcts_neon_f16(blk))
BLK4_GEMV(gguf_mxfp4, 17, 1, qcts_neon_kvalues_mxfp4, qcts_neon_e8m0_half(blk[0]))

/* ---- Q8_0 and int8_per_channel ------------------------------------------------------------ */
#define Q8_0_ROWS(fname, R)                                                                        \
    static void fname(const qcts_qview *w, const float *x, int64_t n, float *y)                     \
    {                                                                                               \
        const int64_t nb = w->cols / 32;                                                            \
        const uint8_t *p[R];                                                                        \
        float32x4_t acc[2][R];                                                                      \
        QCTS_UNROLL for (int r = 0; r < R; r++) {                                                   \
            p[r] = w->codes + (size_t)(n + r) * w->row_bytes;                                       \
            acc[0][r] = vdupq_n_f32(0.0f);                                                          \
            acc[1][r] = vdupq_n_f32(0.0f);                                                          \
        }                                                                                           \
        for (int64_t b = 0; b < nb; b++) {                                                          \
            QCTS_UNROLL for (int r = 0; r < R; r++) {                                               \
                const uint8_t *blk = p[r] + 34 * b;                                                 \
                float32x4_t q[8];                                                                   \
                qcts_neon_s8x16_f32(blk + 2, q);                                                    \
                qcts_neon_s8x16_f32(blk + 18, q + 4);                                               \
                float32x4_t s = vmulq_f32(q[0], vld1q_f32(x + 32 * b));                             \
                for (int j = 1; j < 8; j++)                                                         \
                    s = vfmaq_f32(s, q[j], vld1q_f32(x + 32 * b + 4 * j));                          \
                acc[b & 1][r] = vfmaq_n_f32(acc[b & 1][r], s, qcts_neon_f16(blk));                  \
            }                                                                                       \
        }                                                                                           \
        QCTS_UNROLL for (int r = 0; r < R; r++)                                                     \
            y[r] = vaddvq_f32(vaddq_f32(acc[0][r], acc[1][r]));                                     \
    }
Q8_0_ROWS(rows4_q8_0, 4)
Q8_0_ROWS(rows1_q8_0, 1)
void qcts_gemv_gguf_q8_0__neon(const qcts_gemm_args *g, int64_t n0, int64_t n1, void *scratch)
{
    (void)scratch;
    drive(g, n0, n1, rows4_q8_0, rows1_q8_0);
}

/* int8 x the row's f32 scale (the dequantized weight); the K tail (< 16)
 * through the generic tier's weights, zero-padded. */
#define INT8_ROWS(fname, R)                                                                        \
    static void fname(const qcts_qview *w, const float *x, int64_t n, float *y)                     \
    {                                                                                               \
        const int64_t K = w->cols;                                                                  \
        const uint8_t *p[R];                                                                        \
        float32x4_t acc0[R], acc1[R];                                                               \
        float s[R];                                                                                 \
        QCTS_UNROLL for (int r = 0; r < R; r++) {                                                   \
            p[r] = w->codes + (size_t)(n + r) * w->row_bytes;                                       \
            s[r] = qcts_neon_f32(w->scales + 4 * qcts_qview_group(w, n + r, 0));                   \
            acc0[r] = vdupq_n_f32(0.0f);                                                            \
            acc1[r] = vdupq_n_f32(0.0f);                                                            \
        }                                                                                           \
        int64_t k = 0;                                                                              \
        for (; k + 16 <= K; k += 16)                                                                \
            QCTS_UNROLL for (int r = 0; r < R; r++) {                                               \
                float32x4_t q[4];                                                                   \
                qcts_neon_s8x16_f32(p[r] + k, q);                                                   \
                acc0[r] = vfmaq_f32(acc0[r], vmulq_n_f32(q[0], s[r]), vld1q_f32(x + k));            \
                acc1[r] = vfmaq_f32(acc1[r], vmulq_n_f32(q[1], s[r]), vld1q_f32(x + k + 4));        \
                acc0[r] = vfmaq_f32(acc0[r], vmulq_n_f32(q[2], s[r]), vld1q_f32(x + k + 8));        \
                acc1[r] = vfmaq_f32(acc1[r], vmulq_n_f32(q[3], s[r]), vld1q_f32(x + k + 12));       \
            }                                                                                       \
        if (k < K) {                                                                                \
            float xt[16] = { 0 };                                                                   \
            memcpy(xt, x + k, sizeof(float) * (size_t)(K - k));                                     \
            QCTS_UNROLL for (int r = 0; r < R; r++) {                                               \
                float wt[16] = { 0 };                                                               \
                qcts_dequant_span__scalar(w, n + r, k, K, wt);                                     \
                for (int j = 0; j < 4; j++)                                                         \
                    acc0[r] = vfmaq_f32(acc0[r], vld1q_f32(wt + 4 * j), vld1q_f32(xt + 4 * j));     \
            }                                                                                       \
        }                                                                                           \
        QCTS_UNROLL for (int r = 0; r < R; r++)                                                     \
            y[r] = vaddvq_f32(vaddq_f32(acc0[r], acc1[r]));                                         \
    }
INT8_ROWS(rows4_int8, 4)
INT8_ROWS(rows1_int8, 1)
void qcts_gemv_int8_per_channel__neon(const qcts_gemm_args *g, int64_t n0, int64_t n1, void *scratch)
{
    (void)scratch;
    drive(g, n0, n1, rows4_int8, rows1_int8);
}
