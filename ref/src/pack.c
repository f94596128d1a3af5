/* Packing layouts of element codes (qref/pack.h). KMAJOR_U32 and PACK24 are
 * both the little-endian bit stream (code i at bit bits*i of the row, bit b
 * of the row = bit b%8 of byte b/8); they differ only in the word the row is
 * padded to (32 or 24 bits). Written byte by byte, so host endianness never
 * matters. */
#include "qref/pack.h"

#include <string.h>

/* Bits per padding unit, or 0 when unsupported. */
static unsigned unit_bits(qref_layout layout, unsigned bits)
{
    switch (layout) {
    case QREF_LAYOUT_BYTES: return bits >= 1 && bits <= 8 ? 8 : 0;
    case QREF_LAYOUT_KMAJOR_U32: return bits == 1 || bits == 2 || bits == 4 || bits == 8 ? 32 : 0;
    case QREF_LAYOUT_PACK24: return bits == 3 || bits == 6 ? 24 : 0;
    default: return 0;
    }
}

int qref_pack_supported(qref_layout layout, unsigned bits) { return unit_bits(layout, bits) != 0; }

size_t qref_packed_row_bytes(qref_layout layout, unsigned bits, int64_t n)
{
    unsigned u = unit_bits(layout, bits);
    if (!u || n < 0)
        return 0;
    if (layout == QREF_LAYOUT_BYTES)
        return (size_t)n;
    uint64_t total = (uint64_t)n * bits;
    return (size_t)((total + u - 1) / u * (u / 8));
}

uint8_t qref_packed_code(qref_layout layout, unsigned bits, const uint8_t *row, int64_t i)
{
    unsigned mask = (1u << bits) - 1;
    if (layout == QREF_LAYOUT_BYTES)
        return (uint8_t)(row[i] & mask);
    uint64_t bit = (uint64_t)i * bits;
    size_t byte = (size_t)(bit / 8);
    unsigned sh = (unsigned)(bit % 8);
    unsigned v = row[byte] >> sh;
    if (sh + bits > 8)                 /* straddles into the next byte (3/6-bit) */
        v |= (unsigned)row[byte + 1] << (8 - sh);
    return (uint8_t)(v & mask);
}

qref_status qref_pack_codes(qref_layout layout, unsigned bits, const uint8_t *codes, int64_t n, uint8_t *out)
{
    if (!codes || !out || n < 0)
        return QREF_ERR_ARG;
    if (!unit_bits(layout, bits))
        return QREF_ERR_UNSUPPORTED;
    for (int64_t i = 0; i < n; i++)
        if (codes[i] >> bits)
            return QREF_ERR_CODE;
    size_t nb = qref_packed_row_bytes(layout, bits, n);
    if (layout == QREF_LAYOUT_BYTES) {
        memcpy(out, codes, nb);
        return QREF_OK;
    }
    memset(out, 0, nb);
    for (int64_t i = 0; i < n; i++) {
        uint64_t bit = (uint64_t)i * bits;
        size_t byte = (size_t)(bit / 8);
        unsigned sh = (unsigned)(bit % 8);
        unsigned v = (unsigned)codes[i] << sh;
        out[byte] |= (uint8_t)v;
        if (sh + bits > 8)
            out[byte + 1] |= (uint8_t)(v >> 8);
    }
    return QREF_OK;
}

qref_status qref_unpack_codes(qref_layout layout, unsigned bits, const uint8_t *in, int64_t n, uint8_t *codes)
{
    if (!codes || !in || n < 0)
        return QREF_ERR_ARG;
    if (!unit_bits(layout, bits))
        return QREF_ERR_UNSUPPORTED;
    for (int64_t i = 0; i < n; i++)
        codes[i] = qref_packed_code(layout, bits, in, i);
    return QREF_OK;
}
