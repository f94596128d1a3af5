/* GGUF IQ2_XXS (ggml type 16) and IQ3_XXS (ggml type 18): dequantization
 * only (ggml dequantize_row_iq2_xxs / iq3_xxs, computed exactly).
 *
 * Quantization is not implemented: ggml's quantize_iq2_xxs / iq3_xxs are a
 * search over the grid weighted by an importance matrix, and llama-quantize
 * refuses these types without one (GGML_ASSERT(quant_weights) in
 * quantize_row_iq2_xxs_impl); a qcts quantizer without the matrix would
 * produce bytes no ggml tool produces. Dequantization is fully specified by
 * the block and ggml's tables (gguf_iq_tables.c). */
#include "gguf_impl.h"

#define NO_IQ2 "IQ2_XXS quantization needs an importance matrix; qcts implements dequantize only"
#define NO_IQ3 "IQ3_XXS quantization needs an importance matrix; qcts implements dequantize only"

/* Per 32-element sub-block ib: two little-endian u32 a0 = qs[4ib..4ib+1],
 * a1 = qs[4ib+2..4ib+3]. The bytes of a0 index iq2xxs_grid for the four
 * groups of 8; a1 >> 28 is the 4-bit scale, db = d * (0.5 + s) / 4; group l
 * takes signs ksigns_iq2xs[(a1 >> 7l) & 127], bit j negating element j. */
static void iq2_xxs_dequant(const uint8_t *blk, double *hi, double *lo)
{
    const double d = qref__f16_at(blk + offsetof(qref_block_iq2_xxs, d));
    const uint8_t *qs = blk + offsetof(qref_block_iq2_xxs, qs);
    for (int ib = 0; ib < QREF_QK_K / 32; ib++) {
        const uint8_t *a0 = qs + 8 * ib;
        const uint32_t a1 = qref__le32(qs + 8 * ib + 4);
        const double db = d * (0.5 + (double)(a1 >> 28)) * 0.25;
        for (int l = 0; l < 4; l++) {
            const uint64_t grid = qref_iq2xxs_grid[a0[l]];
            const unsigned signs = qref_ksigns_iq2xs[(a1 >> (7 * l)) & 127];
            for (int j = 0; j < 8; j++) {
                const double g = (double)((grid >> (8 * j)) & 0xFF);
                hi[32 * ib + 8 * l + j] = db * g * ((signs >> j) & 1 ? -1.0 : 1.0);
                lo[32 * ib + 8 * l + j] = 0.0;
            }
        }
    }
}

/* qs[0..63]: grid indices, eight per 32-element sub-block ib (two per group
 * of 8). qs[64 + 4ib..]: little-endian u32 a; a >> 28 is the scale, db =
 * d * (0.5 + s) / 2; group l takes ksigns_iq2xs[(a >> 7l) & 127] and grid
 * entries qs[8ib + 2l] (elements 0..3) and qs[8ib + 2l + 1] (4..7). */
static void iq3_xxs_dequant(const uint8_t *blk, double *hi, double *lo)
{
    const double d = qref__f16_at(blk + offsetof(qref_block_iq3_xxs, d));
    const uint8_t *qs = blk + offsetof(qref_block_iq3_xxs, qs);
    const uint8_t *scales_and_signs = qs + QREF_QK_K / 4;
    for (int ib = 0; ib < QREF_QK_K / 32; ib++) {
        const uint32_t a = qref__le32(scales_and_signs + 4 * ib);
        const double db = d * (0.5 + (double)(a >> 28)) * 0.5;
        for (int l = 0; l < 4; l++) {
            const unsigned signs = qref_ksigns_iq2xs[(a >> (7 * l)) & 127];
            const uint32_t g1 = qref_iq3xxs_grid[qs[8 * ib + 2 * l]];
            const uint32_t g2 = qref_iq3xxs_grid[qs[8 * ib + 2 * l + 1]];
            for (int j = 0; j < 8; j++) {
                const uint32_t g = j < 4 ? g1 : g2;
                const double v = (double)((g >> (8 * (j & 3))) & 0xFF);
                hi[32 * ib + 8 * l + j] = db * v * ((signs >> j) & 1 ? -1.0 : 1.0);
                lo[32 * ib + 8 * l + j] = 0.0;
            }
        }
    }
}

static int iq2_xxs_check(const uint8_t *blk, char *why, size_t len)
{
    return qref__gguf_check_f16(blk + offsetof(qref_block_iq2_xxs, d), "scale d", why, len);
}

static int iq3_xxs_check(const uint8_t *blk, char *why, size_t len)
{
    return qref__gguf_check_f16(blk + offsetof(qref_block_iq3_xxs, d), "scale d", why, len);
}

const qref__gguf_type qref__gguf_iq2_xxs = { QREF_GGML_TYPE_IQ2_XXS, "IQ2_XXS", QREF_QK_K, sizeof(qref_block_iq2_xxs),
                                             NULL, iq2_xxs_dequant, iq2_xxs_check, NO_IQ2 };
const qref__gguf_type qref__gguf_iq3_xxs = { QREF_GGML_TYPE_IQ3_XXS, "IQ3_XXS", QREF_QK_K, sizeof(qref_block_iq3_xxs),
                                             NULL, iq3_xxs_dequant, iq3_xxs_check, NO_IQ3 };
