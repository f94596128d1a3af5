/* qref/hadamard.h — the normalised Walsh–Hadamard transform (WHT), used as a
 * rotation of weight blocks before quantization (QuaRot/SpinQuant style).
 *
 * Definition. For n = 2^k (1 <= n <= 4096), y = H_n x / sqrt(n) with the
 * Sylvester (natural-order) matrix H_1 = [1], H_2n = [[H_n, H_n], [H_n, -H_n]],
 * i.e. H[i][j] = (-1)^popcount(i & j). The normalised transform is
 * orthogonal and symmetric, so it is its own inverse.
 *
 * Computation (in place): k butterfly stages, stride h = 1, 2, ..., n/2; for
 * every i with (i & h) == 0: (x[i], x[i+h]) <- (x[i] + x[i+h], x[i] - x[i+h]),
 * unnormalised; then one scaling at the end:
 *   k even: multiply by 2^(-k/2)              (exact unless it underflows)
 *   k odd:  multiply by 2^(-(k-1)/2) (exact), then by c = RN(1/sqrt 2) =
 *           0x1.6a09e667f3bcdp-1 (double 0x3FE6A09E667F3BCD), one rounding.
 *           c is above 1/sqrt 2 by 4.8e-17 (relative 6.8e-17 < 2^-53.6), so
 *           the scaled value is within 0.5 ulp + 2^-53.6 relative of s/sqrt(n).
 *
 * qref_wht_f64 computes all of this in double. qref_wht_f32 takes and
 * returns float32 but computes in double (the float32 inputs are converted
 * exactly) and rounds each output once to float32 (RNE):
 *   qref_wht_f32(x) == (float) qref_wht_f64((double) x), element by element.
 *
 * Exactness (checked by ref/tests/test_hadamard.c).
 *  - Each butterfly sum is exact when it is representable in double, e.g.
 *    for integer inputs with n * max|x| <= 2^53. Then qref_wht_f64 equals
 *    sum_j H[i][j] x_j times the scaling above, bit for bit, and for even k
 *    it is the exact transform (qref_wht_f32: its correctly rounded value).
 *  - Applied twice, even k, integer inputs: the identity, exactly, in
 *    float64 when n^2 * max|x| <= 2^53 and in float32 when n * max|x| <=
 *    2^24 (the float32 intermediate is then exact).
 *  - Applied twice to a unit vector e_j, odd k: float64 gives 1 + 2^-52 at j
 *    (2 c^2 = 1 + 2^-52 after rounding), float32 gives exactly 1 (2 RN32(c) c
 *    = 1 - 1.7e-8 rounds to 1); zeros elsewhere, exactly.
 *  - In general (odd k, or sums that round), with u = 2^-53 (f64) or 2^-24
 *    (f32) and no underflow or overflow:
 *      twice:    ||z - x||_2 <= (2k + 4) u ||x||_2 (f64), <= 2.01 u ||x||_2 (f32)
 *      Parseval: | ||y||_2 - ||x||_2 | <= (k + 2) u ||x||_2 (f64),
 *                <= 1.01 u ||x||_2 (f32)
 *    (each butterfly stage adds at most u relative to the 2-norm, the odd-k
 *    scaling 1.7u; float32 adds one rounding of at most 2^-24 per element).
 *    These are norm-wise: an element much smaller than ||x|| can be off by
 *    many of its own ulps after two transforms (cancellation), so no
 *    element-wise ulp bound holds for odd k.
 *
 * Errors: n not a power of two, n = 0 or n > 4096 -> QREF_ERR_SIZE; NULL ->
 * QREF_ERR_ARG. Non-finite inputs propagate as IEEE arithmetic makes them
 * (Inf - Inf = NaN); no error is reported.
 */
#ifndef QREF_HADAMARD_H
#define QREF_HADAMARD_H

#include <stddef.h>
#include <stdint.h>

#include "qref/status.h"

#define QREF_WHT_MAX_N 4096

/* log2(n) when n is a supported size, else -1. */
int qref_wht_log2(size_t n);

qref_status qref_wht_f64(double *x, size_t n);
qref_status qref_wht_f32(float *x, size_t n);

/* Applies qref_wht_f32 to each run of `block` consecutive columns of every
 * row of the rows x cols row-major matrix w (the block-diagonal rotation
 * diag(H_block, H_block, ...) / sqrt(block) on the right: w <- w R, with R
 * symmetric). cols % block == 0, block a supported size, else QREF_ERR_SIZE. */
qref_status qref_wht_rows(float *w, int64_t rows, int64_t cols, int64_t block);

/* ---- Hadamard as an op (the qcts `hadamard` op; ABI 2) ----------------------
 *
 * y = s * H_n x, applied to each row of length n (n = 2^k; the op takes
 * 32..4096, this function any supported n), with
 *   s = 1          unnormalised forward,
 *   s = 1/n        unnormalised inverse (H_n H_n = n I, so inverse(forward(x)) = x),
 *   s = 1/sqrt(n)  normalised, forward and inverse alike (H_n/sqrt(n) is
 *                  symmetric and orthogonal: its own inverse).
 * Computed in double as qref_wht_f64 does (k butterfly stages, then the
 * scaling: 2^-k, 2^-(k/2), or 2^-((k-1)/2) * RN(1/sqrt 2)). Exact whenever
 * every butterfly sum is representable in double (integers with n * max|x|
 * <= 2^53) and s is a power of two (unnormalised, or normalised with even k).
 */
qref_status qref_hadamard_f64(double *x, size_t n, int normalized, int inverse);

/* The scale s above, as the double the reference multiplies by (exact for
 * powers of two; odd-k normalised: 2^-((k-1)/2) * RN(1/sqrt 2)). 0 for an
 * unsupported n. */
double qref_hadamard_scale(size_t n, int normalized, int inverse);

/* Output formats of the op's bound (the unit roundoff and the subnormal
 * spacing of the output dtype). */
typedef enum qref_had_out { QREF_HAD_OUT_F32 = 0, QREF_HAD_OUT_F16 = 1, QREF_HAD_OUT_BF16 = 2 } qref_had_out;

/* The check bound of one output element (vectors/README.md, "hadamard"):
 * any implementation that forms each output with a butterfly network of
 * k = log2 n float32 (or wider) additions per path, in any stage order,
 * then scales once (or scales the inputs once), and rounds once to the
 * output dtype, is within
 *   B_i = (1 + u_o) * gamma_{k+3} * s * sum_j |x_j| + 2 u_o |y_i| + eta_o
 * of RN_out(y_ref_i), gamma_m = m u / (1 - m u), u = 2^-24, u_o and eta_o
 * the output's unit roundoff and subnormal spacing, y_ref the double
 * reference. abs_sum = sum_j |x_j| of the row (exact enough in double).
 * Returns +inf for non-finite data (then the check compares exactly). */
double qref_hadamard_bound(size_t n, int normalized, int inverse, double abs_sum, double y_ref, qref_had_out out);

#endif
