/* qref/marlin.h — the Marlin tile layout (IST-DASLab/marlin, Layer.pack at
 * 2f6d7c1), FORMATS.md §7, re-implemented from its definition.
 *
 * Orientation. qcts stores a weight matrix row-major as (n, k): n = rows =
 * output channels, k = cols = reduction. Marlin's B operand is the (k, n)
 * matrix, i.e. the transpose W^T; everything below is said in Marlin's
 * (k, n) terms and the functions take and give qcts's (n, k) arrays.
 *
 * Shapes: k % 128 == 0 and n % 256 == 0 (Layer's checks), group 128.
 *
 * Codes. The packed stream is built in three steps:
 *   1. Tiles: (k, n) is cut into 16x16 tiles; tile (kt, nt) with in-tile
 *      row r (along k) and column c (along n) goes to the tiled matrix
 *      T of shape (k/16, 16n) at T[kt][256*nt + 16*r + c].
 *   2. Permutation: T read in row-major order is split into chunks of 1024
 *      (four consecutive tiles of one tile row) and each chunk is permuted:
 *      P[1024*q + p] = T_flat[1024*q + perm(p)], perm as qref_marlin_perm().
 *   3. Nibbles: P[f] is the nibble at bits 4*(f%8) of the little-endian u32
 *      word f/8 (B has shape (k/16, 2n) int32). In bytes: byte f/2, low
 *      nibble when f is even. Total n*k/2 bytes.
 *
 * perm(p), 0 <= p < 1024 (Marlin's _perm): write p = 8g + c. The
 * interleave [0,2,4,6,1,3,5,7] takes entry e = il[c] of group g of the
 * fragment order, and with s = 8g + e = 32i + 8j + 4b + m (i < 32, j < 4,
 * b < 2, m < 4) the fragment order is
 *   perm = 256 j + 16 row + (i / 4) + 8 b,
 *   row  = 2 (i % 4) + m            for m = 0, 1
 *        = 2 (i % 4 + 4) + (m - 2)  for m = 2, 3
 * i.e. lane i of an mma.m16n8k16 B fragment holds rows 2(i%4), 2(i%4)+1,
 * 2(i%4)+8, 2(i%4)+9 of column i/4, for the n-halves b = 0, 1 of a tile, and
 * j walks the four tiles of the chunk. perm(0..7) = 0,128,8,136,16,144,24,152.
 *
 * Nibble values. Marlin is an INT4 kernel: the nibble is q = v + 8 (uint4
 * with bias 8) for a signed value v in [-8, 7]. qcts's INT4 code is v in
 * two's complement, so nibble = code ^ 0x8. For the fp4 preset the nibble is
 * the E2M1 code itself (an extension: the same permutation, a different
 * element format; Marlin has no fp4 kernel). The pack/unpack functions move
 * nibbles and do not convert; the scheme family does the ^ 0x8.
 *
 * Scales. One 2-byte scale (f16, little-endian) per (group, column): the
 * (k/128, n) matrix = the transpose of qcts's [rows][groups], flattened
 * row-major and permuted in chunks: S[C*q + p] = S0[C*q + sperm(p)], where
 *   k/128 > 1:  C = 64, sperm(8i + j) = i + 8j        (_scale_perm, an 8x8
 *               transpose, its own inverse)
 *   k/128 = 1:  C = 32, sperm(8i + j) = 2i + {0,1,8,9,16,17,24,25}[j]
 *               (_scale_perm_single)
 * A single group uses the per-channel permutation because Marlin's Layer.pack
 * takes that branch when groupsize == k and marlin_cuda.cpp then runs the
 * kernel with groupsize -1 (s has one row).
 *
 * Schemes (family MARLIN: marlin_int4_g128 = int4_sym_g128, marlin_fp4_g128
 * = fp4_g128_f16 in this layout). Sections: codes n*k/2 bytes as above,
 * scales (k/128)*n f16 as above; no zeros, meta or tensor scale. The values
 * are the base preset's bit for bit: quantize = the base's quantize, then
 * repack; dequantize = the base's dequantize of the unpacked row; load runs
 * the base's checks (a non-finite scale is QREF_ERR_DATA naming the row and
 * group in qcts's (n, k) terms).
 */
#ifndef QREF_MARLIN_H
#define QREF_MARLIN_H

#include <stddef.h>
#include <stdint.h>

#include "qref/status.h"

#define QREF_MARLIN_TILE 16
#define QREF_MARLIN_CHUNK 1024
#define QREF_MARLIN_GROUP 128
#define QREF_MARLIN_N_MULTIPLE 256
#define QREF_MARLIN_K_MULTIPLE 128

/* QREF_OK when n (rows) and k (cols) fit the layout, else QREF_ERR_SIZE. */
qref_status qref_marlin_check_shape(int64_t n, int64_t k);

/* Marlin's _perm: the tiled-chunk index stored at chunk position p, and its
 * inverse (qref_marlin_perm_inv(qref_marlin_perm(p)) == p). 0 <= p < 1024;
 * -1 when out of range. */
int qref_marlin_perm(int p);
int qref_marlin_perm_inv(int t);

/* _scale_perm (single = 0, chunk 64) or _scale_perm_single (single = 1,
 * chunk 32), and the inverses; -1 when out of range. */
int qref_marlin_scale_perm(int single, int p);
int qref_marlin_scale_perm_inv(int single, int s);

/* The nibble position f (0 <= f < n*k) in the packed stream that holds
 * element (row, col) of the (n, k) matrix, and the reverse. No shape check:
 * call qref_marlin_check_shape first. */
int64_t qref_marlin_index(int64_t n, int64_t k, int64_t row, int64_t col);
void qref_marlin_source(int64_t n, int64_t k, int64_t f, int64_t *row, int64_t *col);

/* codes_nk: one nibble (0..15) per byte, row-major n x k. out: n*k/2 bytes.
 * QREF_ERR_CODE if a byte is above 15, QREF_ERR_SIZE for a bad shape,
 * QREF_ERR_ARG for NULL pointers; out is untouched on error. */
qref_status qref_marlin_pack(const uint8_t *codes_nk, int64_t n, int64_t k, uint8_t *out);
/* The inverse: packed (n*k/2 bytes) -> one nibble per byte, n x k. */
qref_status qref_marlin_unpack(const uint8_t *packed, int64_t n, int64_t k, uint8_t *codes_nk);

/* Scale position of (row, group) in the Marlin scale array (in 2-byte
 * units), groups = k/128. */
int64_t qref_marlin_scale_index(int64_t n, int64_t groups, int64_t row, int64_t group);

/* scales_ng: qcts order, [n][groups] 2-byte little-endian units (the scales
 * section of the base preset). out: Marlin order, n*groups units. Units are
 * moved whole, so any 2-byte scale format works. n % 256 == 0, groups >= 1. */
qref_status qref_marlin_pack_scales(const uint8_t *scales_ng, int64_t n, int64_t groups, uint8_t *out);
qref_status qref_marlin_unpack_scales(const uint8_t *marlin, int64_t n, int64_t groups, uint8_t *scales_ng);

#endif
