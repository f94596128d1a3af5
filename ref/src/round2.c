/* Rounding an exact value hi + lo (two doubles, |lo| <= ulp(hi)/2) once to
 * float32, f16 or bf16, to nearest even, with integer arithmetic on the bits
 * of hi. lo only matters when hi sits exactly on a midpoint of the target
 * format; then its sign says which side the exact value is on. */
#include "qref/bits.h"
#include "qref/scheme.h"

static int msb64(uint64_t v)
{
    int p = 0;
    while (v >>= 1)
        p++;
    return p;
}

/* Magnitude code of |hi| in a format with mbits mantissa bits and smallest
 * normal exponent emin (unbounded above). dir: +1 if the exact magnitude is
 * slightly above |hi|, -1 if below, 0 if hi is exact. */
static uint64_t round_mag64(uint64_t a, int mbits, int emin, int dir)
{
    if (a == 0)
        return 0;
    uint64_t e64 = a >> 52, m64 = a & 0xFFFFFFFFFFFFFull, sig;
    int E, ue;
    if (e64) {
        sig = m64 | (1ull << 52);
        E = (int)e64 - 1075;
        ue = (int)e64 - 1023;
    } else {
        sig = m64;
        E = -1074;
        ue = msb64(m64) - 1074;
    }
    int q = (ue > emin ? ue : emin) - mbits;
    int sh = q - E;                  /* >= 29 for the targets here */
    uint64_t n;
    if (sh > 54) {
        n = 0;                       /* below half a quantum, even with lo */
    } else {
        n = sig >> sh;
        uint64_t rem = sig & ((1ull << sh) - 1), half = 1ull << (sh - 1);
        if (rem > half || (rem == half && (dir > 0 || (dir == 0 && (n & 1)))))
            n++;
    }
    return ((uint64_t)(q - emin + mbits) << mbits) + n;
}

static int direction(double hi, double lo)
{
    if (lo == 0.0)
        return 0;
    return (lo > 0.0) == (hi > 0.0) ? 1 : -1;
}

float qref_round2_to_f32(double hi, double lo)
{
    uint64_t u = qref_f64_bits(hi), a = u & 0x7FFFFFFFFFFFFFFFull;
    uint32_t s = (uint32_t)(u >> 63) << 31;
    if (a >= 0x7FF0000000000000ull)  /* Inf, or NaN (quiet, sign kept) */
        return qref_f32_from_bits(s | (a == 0x7FF0000000000000ull ? 0x7F800000u : 0x7FC00000u));
    uint64_t mag = round_mag64(a, 23, -126, direction(hi, lo));
    return qref_f32_from_bits(s | (mag > 0x7F7FFFFFu ? 0x7F800000u : (uint32_t)mag));
}

uint16_t qref_round2_to_f16(double hi, double lo)
{
    uint64_t u = qref_f64_bits(hi), a = u & 0x7FFFFFFFFFFFFFFFull;
    uint16_t s = (uint16_t)((u >> 63) << 15);
    if (a >= 0x7FF0000000000000ull)
        return s | (a == 0x7FF0000000000000ull ? 0x7C00u : 0x7E00u);
    uint64_t mag = round_mag64(a, 10, -14, direction(hi, lo));
    return (uint16_t)(s | (mag > 0x7BFFu ? 0x7C00u : (uint16_t)mag));
}

uint16_t qref_round2_to_bf16(double hi, double lo)
{
    uint64_t u = qref_f64_bits(hi), a = u & 0x7FFFFFFFFFFFFFFFull;
    uint16_t s = (uint16_t)((u >> 63) << 15);
    if (a >= 0x7FF0000000000000ull)
        return s | (a == 0x7FF0000000000000ull ? 0x7F80u : 0x7FC0u);
    uint64_t mag = round_mag64(a, 7, -126, direction(hi, lo));
    return (uint16_t)(s | (mag > 0x7F7Fu ? 0x7F80u : (uint16_t)mag));
}
