/* AVX2 dequantization of ggml blocks: Q4_0, Q4_1, Q8_0, MXFP4, NVFP4, Q4_K,
 * Q6_K (the IQ types: dequant-iq.c). Byte j of a
 * 4-bit block holds element j (low nibble) and j + 16 (Q4_0, MXFP4) or
 * j + 32 (Q4_K, per 64-element chunk): 8 bytes zero-extended to lanes give
 * 8 consecutive low-nibble elements and, shifted by 4, 8 consecutive
 * high-nibble ones. Values are as ggml computes them, in float32, each one
 * rounding of exact operands (see generic/dequant.c). */
#include "kernels/simd/avx2/common.h"

#define QK4_0_BYTES 18
#define QK8_0_BYTES 34
#define MXFP4_BYTES 17
#define QK_K_BYTES 144
#define QK4_1_BYTES 20
#define NVFP4_BYTES 36
#define Q6_K_BYTES 210

#define BLOCK_LOOP(BL, BYTES, ...)                                                                 \
    const uint8_t *prow = w->codes + (size_t)row * w->row_bytes;                                   \
    for (int64_t b = k0 / (BL); b * (BL) < k1; b++) {                                              \
        const uint8_t *blk = prow + (size_t)b * (BYTES);                                           \
        float *o = out + (b * (BL) - k0);                                                          \
        __VA_ARGS__                                                                                 \
    }

void qcts_dequant_gguf_q4_0__avx2(const qcts_qview *w, int64_t row, int64_t k0, int64_t k1, float *out)
{
    const __m256 v_lo = _mm256_setr_ps(-8, -7, -6, -5, -4, -3, -2, -1);
    const __m256 v_hi = _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7);
    BLOCK_LOOP(32, QK4_0_BYTES, {
        const __m256 d = _mm256_set1_ps(qcts_avx2_f16(blk));
        const __m256 lo = _mm256_mul_ps(v_lo, d), hi = _mm256_mul_ps(v_hi, d);
        for (int h = 0; h < 2; h++) {
            __m256i c = qcts_avx2_bytes8(blk + 2 + 8 * h);
            _mm256_storeu_ps(o + 8 * h, qcts_avx2_lut16_dec(c, lo, hi));
            _mm256_storeu_ps(o + 16 + 8 * h, qcts_avx2_lut16_dec(_mm256_srli_epi32(c, 4), lo, hi));
        }
    })
}

void qcts_dequant_gguf_q8_0__avx2(const qcts_qview *w, int64_t row, int64_t k0, int64_t k1, float *out)
{
    BLOCK_LOOP(32, QK8_0_BYTES, {
        const __m256 d = _mm256_set1_ps(qcts_avx2_f16(blk));
        for (int h = 0; h < 4; h++)
            _mm256_storeu_ps(o + 8 * h, _mm256_mul_ps(_mm256_cvtepi32_ps(qcts_avx2_sbytes8(blk + 2 + 8 * h)), d));
    })
}

/* ggml's E2M1 values are doubled (0..12) and the scale halved; code 8 is
 * +0 there (kvalues[8] = 0), so the sign-magnitude result gets + 0.0f,
 * which turns -0 into +0 and changes nothing else. */
void qcts_dequant_gguf_mxfp4__avx2(const qcts_qview *w, int64_t row, int64_t k0, int64_t k1, float *out)
{
    const __m256 kmag = _mm256_setr_ps(0, 1, 2, 3, 4, 6, 8, 12);
    const __m256 zero = _mm256_setzero_ps();
    BLOCK_LOOP(32, MXFP4_BYTES, {
        const __m256 lut = qcts_avx2_sm_lut(_mm256_mul_ps(kmag, _mm256_set1_ps(qcts_avx2_e8m0_half(blk[0]))));
        for (int h = 0; h < 2; h++) {
            __m256i c = qcts_avx2_bytes8(blk + 1 + 8 * h);
            _mm256_storeu_ps(o + 8 * h, _mm256_add_ps(qcts_avx2_sm_dec(c, lut), zero));
            _mm256_storeu_ps(o + 16 + 8 * h, _mm256_add_ps(qcts_avx2_sm_dec(_mm256_srli_epi32(c, 4), lut), zero));
        }
    })
}

/* ggml get_scale_min_k4. */
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

/* Q4_K: per 32-element sub-block, d1*q - m1 with d1 = d*sc, m1 = dmin*m
 * (both exact); d1*q is exact and the subtraction rounds once (to odd when
 * w->odd: both are multiples of 2^-24 below 2^26, so exact in double). */
void qcts_dequant_gguf_q4_k__avx2(const qcts_qview *w, int64_t row, int64_t k0, int64_t k1, float *out)
{
    const __m256 c_lo = _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256 c_hi = _mm256_setr_ps(8, 9, 10, 11, 12, 13, 14, 15);
    BLOCK_LOOP(256, QK_K_BYTES, {
        const float d = qcts_avx2_f16(blk), dmin = qcts_avx2_f16(blk + 2);
        const uint8_t *sc = blk + 4, *q = blk + 16;
        for (int c = 0; c < 4; c++) {
            __m256 lut[2][2];
            for (int s = 0; s < 2; s++) {
                int scv, mv;
                scale_min_k4(2 * c + s, sc, &scv, &mv);
                const __m256 d1 = _mm256_set1_ps(d * (float)scv), m1 = _mm256_set1_ps(dmin * (float)mv);
                lut[s][0] = qcts_avx2_sub_r(_mm256_mul_ps(d1, c_lo), m1, w->odd);
                lut[s][1] = qcts_avx2_sub_r(_mm256_mul_ps(d1, c_hi), m1, w->odd);
            }
            for (int t = 0; t < 4; t++) {
                __m256i cv = qcts_avx2_bytes8(q + 32 * c + 8 * t);
                _mm256_storeu_ps(o + 64 * c + 8 * t, qcts_avx2_lut16_dec(cv, lut[0][0], lut[0][1]));
                _mm256_storeu_ps(o + 64 * c + 32 + 8 * t,
                                 qcts_avx2_lut16_dec(_mm256_srli_epi32(cv, 4), lut[1][0], lut[1][1]));
            }
        }
    })
}

/* Q4_1: q * d + m, q * d exact: one rounding per table entry (to odd when
 * w->odd: the sum of two f16-derived values is exact in double, < 2^21 in
 * multiples of 2^-24). */
void qcts_dequant_gguf_q4_1__avx2(const qcts_qview *w, int64_t row, int64_t k0, int64_t k1, float *out)
{
    const __m256 c_lo = _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256 c_hi = _mm256_setr_ps(8, 9, 10, 11, 12, 13, 14, 15);
    BLOCK_LOOP(32, QK4_1_BYTES, {
        const __m256 d = _mm256_set1_ps(qcts_avx2_f16(blk)), m = _mm256_set1_ps(qcts_avx2_f16(blk + 2));
        const __m256 lo = qcts_avx2_add_r(_mm256_mul_ps(c_lo, d), m, w->odd);
        const __m256 hi = qcts_avx2_add_r(_mm256_mul_ps(c_hi, d), m, w->odd);
        for (int h = 0; h < 2; h++) {
            __m256i c = qcts_avx2_bytes8(blk + 4 + 8 * h);
            _mm256_storeu_ps(o + 8 * h, qcts_avx2_lut16_dec(c, lo, hi));
            _mm256_storeu_ps(o + 16 + 8 * h, qcts_avx2_lut16_dec(_mm256_srli_epi32(c, 4), lo, hi));
        }
    })
}

/* NVFP4's code 8 is kvalues[8] = +0, so its sign-magnitude -0 becomes +0.
 * Unlike MXFP4 (whose E8M0 scale is never 0) the UE4M3 scale can be 0, and
 * then ggml's kvalues[c] * 0 keeps the sign of codes 9..15 (-0): + 0.0f
 * would turn those into +0 too, so only code 8's sign bit is cleared. */
QCTS_AVX2_INLINE __m256 nvfp4_dec(__m256i lanes, __m256 lut)
{
    const __m256i code = _mm256_and_si256(lanes, _mm256_set1_epi32(0xF));
    const __m256i is8 = _mm256_cmpeq_epi32(code, _mm256_set1_epi32(8));
    const __m256 sign8 = _mm256_castsi256_ps(_mm256_and_si256(is8, _mm256_set1_epi32(INT32_MIN)));
    return _mm256_andnot_ps(sign8, qcts_avx2_sm_dec(lanes, lut));
}

/* NVFP4 (ggml): per 16-element sub-block s, kvalues (doubled E2M1) times
 * ue4m3(d[s]) / 2, exact; byte 8s + j holds elements 16s + j (low nibble)
 * and 16s + 8 + j (high). */
void qcts_dequant_gguf_nvfp4__avx2(const qcts_qview *w, int64_t row, int64_t k0, int64_t k1, float *out)
{
    const __m256 kmag = _mm256_setr_ps(0, 1, 2, 3, 4, 6, 8, 12);
    BLOCK_LOOP(64, NVFP4_BYTES, {
        for (int s = 0; s < 4; s++) {
            const __m256 lut = qcts_avx2_sm_lut(_mm256_mul_ps(kmag, _mm256_set1_ps(qcts_avx2_ue4m3_half(blk[s]))));
            __m256i c = qcts_avx2_bytes8(blk + 4 + 8 * s);
            _mm256_storeu_ps(o + 16 * s, nvfp4_dec(c, lut));
            _mm256_storeu_ps(o + 16 * s + 8, nvfp4_dec(_mm256_srli_epi32(c, 4), lut));
        }
    })
}

/* Q6_K: per 128-element half h and l < 32, the 6-bit q = ql nibble | 2 qh
 * bits << 4, minus 32; y = (d * sc) * q with d * sc exact (11 + 8 bits):
 * one rounding, as ggml's float (d * sc[is]) * q (to odd when w->odd). */
void qcts_dequant_gguf_q6_k__avx2(const qcts_qview *w, int64_t row, int64_t k0, int64_t k1, float *out)
{
    const __m256i m4 = _mm256_set1_epi32(0xF), m3 = _mm256_set1_epi32(3), b32 = _mm256_set1_epi32(32);
    BLOCK_LOOP(256, Q6_K_BYTES, {
        const float d = qcts_avx2_f16(blk + 208);
        for (int h = 0; h < 2; h++) {
            const uint8_t *l8 = blk + 64 * h, *h8 = blk + 128 + 32 * h;
            const int8_t *s8 = (const int8_t *)(const void *)(blk + 192 + 8 * h);
            float *oh = o + 128 * h;
            for (int t = 0; t < 4; t++) {
                const int is = t / 2;
                const __m256i a = qcts_avx2_bytes8(l8 + 8 * t), c = qcts_avx2_bytes8(l8 + 32 + 8 * t);
                const __m256i q = qcts_avx2_bytes8(h8 + 8 * t);
                const __m256i q1 = _mm256_or_si256(_mm256_and_si256(a, m4), _mm256_slli_epi32(_mm256_and_si256(q, m3), 4));
                const __m256i q2 = _mm256_or_si256(_mm256_and_si256(c, m4),
                                                   _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(q, 2), m3), 4));
                const __m256i q3 = _mm256_or_si256(_mm256_srli_epi32(a, 4),
                                                   _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(q, 4), m3), 4));
                const __m256i q4 = _mm256_or_si256(_mm256_srli_epi32(c, 4), _mm256_slli_epi32(_mm256_srli_epi32(q, 6), 4));
                _mm256_storeu_ps(oh + 8 * t, qcts_avx2_mul_r(_mm256_set1_ps(d * (float)s8[is]),
                                                           _mm256_cvtepi32_ps(_mm256_sub_epi32(q1, b32)), w->odd));
                _mm256_storeu_ps(oh + 32 + 8 * t, qcts_avx2_mul_r(_mm256_set1_ps(d * (float)s8[is + 2]),
                                                                _mm256_cvtepi32_ps(_mm256_sub_epi32(q2, b32)), w->odd));
                _mm256_storeu_ps(oh + 64 + 8 * t, qcts_avx2_mul_r(_mm256_set1_ps(d * (float)s8[is + 4]),
                                                                _mm256_cvtepi32_ps(_mm256_sub_epi32(q3, b32)), w->odd));
                _mm256_storeu_ps(oh + 96 + 8 * t, qcts_avx2_mul_r(_mm256_set1_ps(d * (float)s8[is + 6]),
                                                                _mm256_cvtepi32_ps(_mm256_sub_epi32(q4, b32)), w->odd));
            }
        }
    })
}
