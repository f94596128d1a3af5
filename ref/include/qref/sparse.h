/* qref/sparse.h — N:M structured sparsity: pruning, compression to values +
 * metadata, decompression (FORMATS.md §9).
 *
 * A matrix is rows x cols float32, row-major; K runs along a row. A group is
 * M consecutive K-elements [g*M, g*M + M) of one row (cols % M == 0).
 * 1 <= N <= M, 2 <= M <= 256.
 *
 * Pruning keeps the N elements of largest |w| of every group and writes +0.0
 * at the others. Ties (equal |w|, including +0 vs -0) go to the lower index.
 * Kept values are copied bit for bit (a kept -0.0 stays -0.0). NaN is
 * QREF_ERR_DATA (it has no order); +-Inf is the largest magnitude.
 *
 * Compression stores, per row, the N kept values of every group in
 * ascending index order (values: rows x cols*N/M, row-major) and their N
 * indices (metadata). Which elements are kept is decided by the pruning
 * rule itself, applied to the input: so a group with fewer than N non-zeros
 * keeps all its non-zeros plus the lowest-index zeros (the "kept zeros"),
 * and compress(prune(w)) keeps exactly the positions prune chose. A group
 * with more than N non-zeros (-0.0 counts as zero) is QREF_ERR_DATA.
 * Decompression writes +0.0 at every position not named by the metadata.
 *
 * Metadata layout (per row, then rows one after another):
 *   b = ceil(log2 M) bits per index (2 for M = 4, 3 for M = 8);
 *   index j (0 <= j < N) of group g is the field at bit offset (g*N + j)*b
 *   of the row's bit stream, LSB first; the bit stream is stored in
 *   little-endian u32 words (bit o is bit o % 32 of word o / 32, i.e. bit
 *   o % 8 of byte o / 8), a field may straddle two words, and every row
 *   starts on a new word: words_per_row = ceil(cols/M * N * b / 32).
 *   Unused high bits of a row's last word are zero.
 * For 2:4 this is exactly FORMATS.md §9 / PTX mma.sp: 4 bits per group,
 * idx0 | idx1 << 2 with idx0 < idx1, 8 groups per u32 (32 dense K-elements),
 * group g at bits 4*(g % 8) of word g / 8.
 * Valid metadata: in every group the N indices are strictly ascending and
 * < M, and padding bits are zero; qref_sparse_meta_check names the first
 * row and group that is not.
 *
 * Schemes (family SPARSE: sparse24_fp4_g128, sparse24_int4_g128). Quantize
 * = prune N:M, compress, then the base preset (fp4_g128_f16,
 * int4_sym_g128) on the values matrix rows x cols*N/M. A scale group is
 * therefore `group` STORED values = group*M/N dense columns (256 for 2:4,
 * g128), and cols must be a multiple of it (QREF_ERR_SIZE otherwise).
 * Sections: codes, scales, zeros = the base's for the values matrix; meta =
 * the metadata above (rows*cols/8 bytes for 2:4); no tensor scale.
 * Dequantize returns the DENSE row: the base's exact value at kept
 * positions, exactly +0 at pruned ones. Load checks the metadata
 * (QREF_ERR_DATA naming row and group), then runs the base's checks on the
 * stored values.
 */
#ifndef QREF_SPARSE_H
#define QREF_SPARSE_H

#include <stddef.h>
#include <stdint.h>

#include "qref/scheme.h"
#include "qref/status.h"

#define QREF_SPARSE_MAX_M 256

/* QREF_OK when (n, m) is a supported pattern and cols % m == 0, else
 * QREF_ERR_SIZE (QREF_ERR_ARG for n, m out of range). */
qref_status qref_sparse_check(int64_t rows, int64_t cols, int n, int m);

/* Bits per index: ceil(log2 m) (m = 2 -> 1, 4 -> 2, 5..8 -> 3). */
unsigned qref_sparse_index_bits(int m);
/* u32 words of metadata per row, and bytes for the whole matrix. */
size_t qref_sparse_meta_words_per_row(int64_t cols, int n, int m);
size_t qref_sparse_meta_bytes(int64_t rows, int64_t cols, int n, int m);

/* Dense pruned copy of w (out may equal w). */
qref_status qref_sparse_prune(const float *w, int64_t rows, int64_t cols, int n, int m, float *out);

/* dense -> values (rows * cols/m*n floats) + meta (qref_sparse_meta_bytes).
 * QREF_ERR_DATA (with err naming row and group) for a group with more than
 * n non-zeros or a NaN. */
qref_status qref_sparse_compress(const float *dense, int64_t rows, int64_t cols, int n, int m, float *values,
                                 uint8_t *meta, qref_error *err);

/* values + meta -> dense. The metadata is checked first (QREF_ERR_DATA). */
qref_status qref_sparse_decompress(const float *values, const uint8_t *meta, int64_t rows, int64_t cols, int n,
                                   int m, float *dense, qref_error *err);

/* Checks every group's indices (see above). */
qref_status qref_sparse_meta_check(const uint8_t *meta, int64_t rows, int64_t cols, int n, int m,
                                   qref_error *err);

/* The n indices of group `group` of row `row`, as stored (unchecked). */
void qref_sparse_meta_get(const uint8_t *meta, int64_t cols, int n, int m, int64_t row, int64_t group,
                          uint8_t *idx);
/* Stores n indices for group `group` of row `row` (other bits unchanged). */
void qref_sparse_meta_set(uint8_t *meta, int64_t cols, int n, int m, int64_t row, int64_t group,
                          const uint8_t *idx);

#endif
