/* AVX2 dequantization of ggml's IQ2_XXS and IQ3_XXS super-blocks (256
 * elements). Per 32-element sub-block: a 4-bit scale s (db = d * (0.5 + s)
 * / 4 or / 2: exact, 11 + 5 bits) and, per group of 8, grid entries looked
 * up by index (one 8-byte or two 4-byte table reads: the gather is scalar,
 * as in ggml's AVX2 code) and 7 sign bits expanded by ksigns_iq2xs. The 8
 * grid bytes widen to lanes; db * g (<= 6 more bits) is exact in float32,
 * the sign an XOR: every value is its exact value, as qref gives it. */
#include "kernels/simd/avx2/common.h"
#include "qref/blocks.h"

#define IQ2_XXS_BYTES 66
#define IQ3_XXS_BYTES 98

QCTS_AVX2_INLINE uint32_t le32(const uint8_t *p)
{
    uint32_t u;
    memcpy(&u, p, 4);
    return u;
}

/* db * grid bytes, lanes negated where bit j of signs is set. */
QCTS_AVX2_INLINE __m256 iq_group(uint64_t grid, unsigned signs, __m256 db)
{
    const __m256i bit = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    const __m256 g = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_cvtsi64_si128((long long)grid)));
    const __m256i neg = _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32((int)signs), bit), bit);
    return _mm256_xor_ps(_mm256_mul_ps(g, db), _mm256_castsi256_ps(_mm256_slli_epi32(neg, 31)));
}

void qcts_dequant_gguf_iq2_xxs__avx2(const qcts_qview *w, int64_t row, int64_t k0, int64_t k1, float *out)
{
    const uint8_t *prow = w->codes + (size_t)row * w->row_bytes;
    for (int64_t b = k0 / QREF_QK_K; b * QREF_QK_K < k1; b++) {
        const uint8_t *blk = prow + (size_t)b * IQ2_XXS_BYTES, *qs = blk + 2;
        float *o = out + (b * QREF_QK_K - k0);
        const float d = qcts_avx2_f16(blk);
        for (int ib = 0; ib < 8; ib++) {
            const uint8_t *a0 = qs + 8 * ib;
            const uint32_t a1 = le32(qs + 8 * ib + 4);
            const __m256 db = _mm256_set1_ps(d * (0.5f + (float)(a1 >> 28)) * 0.25f);
            for (int l = 0; l < 4; l++)
                _mm256_storeu_ps(o + 32 * ib + 8 * l,
                                 iq_group(qref_iq2xxs_grid[a0[l]], qref_ksigns_iq2xs[(a1 >> (7 * l)) & 127], db));
        }
    }
}

void qcts_dequant_gguf_iq3_xxs__avx2(const qcts_qview *w, int64_t row, int64_t k0, int64_t k1, float *out)
{
    const uint8_t *prow = w->codes + (size_t)row * w->row_bytes;
    for (int64_t b = k0 / QREF_QK_K; b * QREF_QK_K < k1; b++) {
        const uint8_t *blk = prow + (size_t)b * IQ3_XXS_BYTES, *qs = blk + 2, *sas = qs + QREF_QK_K / 4;
        float *o = out + (b * QREF_QK_K - k0);
        const float d = qcts_avx2_f16(blk);
        for (int ib = 0; ib < 8; ib++) {
            const uint32_t a = le32(sas + 4 * ib);
            const __m256 db = _mm256_set1_ps(d * (0.5f + (float)(a >> 28)) * 0.5f);
            for (int l = 0; l < 4; l++) {
                const uint64_t g = qref_iq3xxs_grid[qs[8 * ib + 2 * l]] |
                                   (uint64_t)qref_iq3xxs_grid[qs[8 * ib + 2 * l + 1]] << 32;
                _mm256_storeu_ps(o + 32 * ib + 8 * l, iq_group(g, qref_ksigns_iq2xs[(a >> (7 * l)) & 127], db));
            }
        }
    }
}
