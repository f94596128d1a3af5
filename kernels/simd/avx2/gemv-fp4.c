/* AVX2 fused dequant-GEMV (M = 1) for E2M1 codes packed KMAJOR_U32:
 * fp4_g32_f16, fp4_g128_f16, fp4_g128_bf16, mxfp4, nvfp4.
 *
 * Per 8 weights: one broadcast load of the packed u32, vpsrlvd, vpslld,
 * vpermps, vxorps (the float32 dequantized weights, common.h) and one FMA
 * with the activations, which are loaded once per 16 columns for 4 rows.
 * Each row has two accumulators (even and odd 8-column chunks), so 4 rows
 * keep 8 FMA chains in flight; y = hsum(acc0 + acc1) in a fixed order. */
#include "kernels/simd/avx2/gemv.h"

QCTS_AVX2_INLINE float e4m3(uint8_t c)
{
    uint32_t u = (uint32_t)(c & 0x7F) << 20;
    float f;
    memcpy(&f, &u, 4);
    f *= 0x1p120f;
    return (c & 0x80) ? -f : f;
}

#define QCTS_FP4_ROWS(fname, R, LUT_EXPR)                                                          \
    static void fname(const qcts_qview *w, const float *x, int64_t n, float *y)                     \
    {                                                                                               \
        const __m256i sh = qcts_avx2_nib_shifts();                                                 \
        const __m256 mag = qcts_avx2_e2m1_mag();                                                   \
        const int64_t K = w->cols, gl = w->glen;                                                   \
        const uint8_t *p[R];                                                                        \
        __m256 acc0[R], acc1[R], lut[R];                                                            \
        QCTS_UNROLL for (int r = 0; r < R; r++) {                                                               \
            p[r] = w->codes + (size_t)(n + r) * w->row_bytes;                                       \
            acc0[r] = _mm256_setzero_ps();                                                          \
            acc1[r] = _mm256_setzero_ps();                                                          \
        }                                                                                           \
        const int64_t gstep = w->gpr != 0;                                                         \
        int64_t gbase[R];                                                                           \
        QCTS_UNROLL for (int r = 0; r < R; r++)                                                     \
            gbase[r] = (n + r) * w->gpr;                                                            \
        for (int64_t k = 0, g = 0; k < K; k += gl, g += gstep) {                                    \
            QCTS_UNROLL for (int r = 0; r < R; r++) {                                                           \
                const int64_t gi = gbase[r] + g;                                                    \
                qcts_avx2_prefetch2(p[r] + k / 2, 4 * w->row_bytes);                                 \
                lut[r] = (LUT_EXPR);                                                                \
            }                                                                                       \
            for (int64_t kk = k; kk < k + gl; kk += 16) {                                           \
                const __m256 x0 = _mm256_loadu_ps(x + kk), x1 = _mm256_loadu_ps(x + kk + 8);        \
                QCTS_UNROLL for (int r = 0; r < R; r++) {                                                       \
                    acc0[r] = _mm256_fmadd_ps(qcts_avx2_sm_dec(qcts_avx2_nib8(p[r] + kk / 2, sh), lut[r]), x0, acc0[r]); \
                    acc1[r] = _mm256_fmadd_ps(qcts_avx2_sm_dec(qcts_avx2_nib8(p[r] + kk / 2 + 4, sh), lut[r]), x1, acc1[r]); \
                }                                                                                   \
            }                                                                                       \
        }                                                                                           \
        QCTS_UNROLL for (int r = 0; r < R; r++)                                                                 \
            y[r] = qcts_avx2_hsum(_mm256_add_ps(acc0[r], acc1[r]));                                 \
    }

#define QCTS_FP4_GEMV(scheme, LUT_EXPR)                                                            \
    QCTS_FP4_ROWS(rows4_##scheme, 4, LUT_EXPR)                                                     \
    QCTS_FP4_ROWS(rows1_##scheme, 1, LUT_EXPR)                                                     \
    QCTS_GEMV_DRIVER(qcts_gemv_##scheme##__avx2, rows4_##scheme, rows1_##scheme)

#define F16_SCALE _mm256_set1_ps(qcts_avx2_f16(w->scales + 2 * gi))
#define BF16_SCALE _mm256_set1_ps(qcts_avx2_bf16(w->scales + 2 * gi))

QCTS_FP4_GEMV(fp4_g32_f16, qcts_avx2_sm_lut(_mm256_mul_ps(mag, F16_SCALE)))
QCTS_FP4_GEMV(fp4_g128_f16, qcts_avx2_sm_lut(_mm256_mul_ps(mag, F16_SCALE)))
QCTS_FP4_GEMV(fp4_g128_bf16, qcts_avx2_sm_lut(_mm256_mul_ps(mag, BF16_SCALE)))
QCTS_FP4_GEMV(mxfp4, qcts_avx2_sm_lut(_mm256_mul_ps(mag, _mm256_set1_ps(qcts_avx2_e8m0(w->scales[gi])))))
QCTS_FP4_GEMV(nvfp4, qcts_avx2_sm_lut(_mm256_mul_ps(_mm256_mul_ps(mag, _mm256_set1_ps(e4m3(w->scales[gi]))),
                                                    _mm256_set1_ps(w->tscale))))
