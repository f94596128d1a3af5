/* qref/pack.h — how element codes are packed into bytes, one row at a time.
 *
 * A row of n codes (each right-aligned in a uint8_t, `bits` wide) is stored
 * in qref_packed_row_bytes(layout, bits, n) bytes; a matrix is its rows one
 * after another, so row r starts at r * qref_packed_row_bytes(...). The
 * layouts (qref_layout in qref/scheme.h) that this header implements:
 *
 *   QREF_LAYOUT_BYTES       one code per byte, bits 1..8; the bits above the
 *                           code's width are 0. Row bytes: n.
 *   QREF_LAYOUT_KMAJOR_U32  bits 1, 2, 4 or 8: 32/bits codes per little-endian
 *                           uint32 along the row, element i of a word at bits
 *                           [bits*i, bits*i+bits). Equivalently a little-endian
 *                           bit stream: code i starts at bit bits*i of the row,
 *                           so for 4-bit codes element 2i is the low nibble and
 *                           2i+1 the high nibble of byte i. Rows are padded to
 *                           whole words: row bytes = 4 * ceil(n*bits/32).
 *   QREF_LAYOUT_PACK24      bits 3 or 6: 8 (3-bit) or 4 (6-bit) codes per
 *                           24-bit little-endian word, code j of a word at bits
 *                           [bits*j, bits*j+bits); again the little-endian bit
 *                           stream, codes may straddle bytes. Rows are padded
 *                           to whole 3-byte words: row bytes = 3 * ceil(n*bits/24).
 *
 * Padding bits are written as 0 by qref_pack_codes and ignored by
 * qref_unpack_codes. The other layouts (GGUF, MARLIN, SPARSE) have their own
 * headers; here they are QREF_ERR_UNSUPPORTED. Byte order never depends on
 * the host.
 */
#ifndef QREF_PACK_H
#define QREF_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "qref/scheme.h"
#include "qref/status.h"

/* 1 if this header packs `bits`-wide codes in `layout`, else 0. */
int qref_pack_supported(qref_layout layout, unsigned bits);

/* Bytes of one packed row of n codes (padding included); 0 when the layout
 * and width are not supported here or n < 0. */
size_t qref_packed_row_bytes(qref_layout layout, unsigned bits, int64_t n);

/* Packs n codes into out (qref_packed_row_bytes bytes, all written).
 * QREF_ERR_ARG: NULL pointer or n < 0; QREF_ERR_UNSUPPORTED: layout/bits;
 * QREF_ERR_CODE: a code has bits set above `bits` (nothing is written). */
qref_status qref_pack_codes(qref_layout layout, unsigned bits, const uint8_t *codes, int64_t n,
                            uint8_t *out);

/* Unpacks n codes from in (qref_packed_row_bytes bytes) into codes[0..n). */
qref_status qref_unpack_codes(qref_layout layout, unsigned bits, const uint8_t *in, int64_t n,
                              uint8_t *codes);

/* Code i of a packed row, no checks (the layout and width must be supported
 * and i inside the row): for kernels' scalar tails and the reference. */
uint8_t qref_packed_code(qref_layout layout, unsigned bits, const uint8_t *row, int64_t i);

#endif
