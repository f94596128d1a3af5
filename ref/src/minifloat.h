/* minifloat.h — internal: exact integer rounding of float32 values into
 * small binary floating-point formats and exact decoding back. No FPU
 * arithmetic, so the result never depends on rounding mode, FTZ or DAZ. */
#ifndef QREF_MINIFLOAT_H
#define QREF_MINIFLOAT_H

#include <stdint.h>

/* Rounds |x| (float32 bits with the sign cleared, finite) to nearest, ties to
 * even, in a format with `mbits` mantissa bits whose smallest normal exponent
 * is `emin` (= 1 - bias), with subnormals and an unbounded exponent range.
 * Returns the magnitude code (exponent field << mbits | mantissa); a result
 * above the format's largest code means overflow, which the caller handles. */
uint32_t qref__round_mag_rne(uint32_t abs_bits, int mbits, int emin);

/* float32 bits of n * 2^k, exact (n < 2^24; the value must be a float32). */
uint32_t qref__f32_bits_of_scaled(uint32_t n, int k);

/* Decodes a magnitude code of the same kind of format (no specials). */
uint32_t qref__decode_mag(uint32_t mag, int mbits, int emin);

/* Rounds |x| (float32 bits, sign cleared, finite) to an integer, ties to even
 * or ties away from zero; values >= 2^31 return 2^31. */
uint32_t qref__round_abs_to_int(uint32_t abs_bits, int ties_away);

/* Position of the highest set bit of a non-zero value. */
static inline int qref__msb(uint32_t v)
{
    int p = 0;
    while (v >>= 1)
        p++;
    return p;
}

#endif
