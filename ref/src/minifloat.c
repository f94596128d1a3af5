/* Exact integer rounding helpers shared by the float codecs (see minifloat.h). */
#include "minifloat.h"

/* Splits finite float32 magnitude bits into sig * 2^E with its unbiased
 * exponent ue (value in [2^ue, 2^(ue+1))). abs_bits must be non-zero. */
static void split(uint32_t a, uint32_t *sig, int *E, int *ue)
{
    uint32_t e32 = a >> 23, m32 = a & 0x7FFFFFu;
    if (e32) {
        *sig = m32 | 0x800000u;
        *E = (int)e32 - 150;
        *ue = (int)e32 - 127;
    } else {
        *sig = m32;
        *E = -149;
        *ue = qref__msb(m32) - 149;
    }
}

/* sig >> sh rounded to nearest; ties to even, or away from zero. */
static uint32_t shift_round(uint32_t sig, int sh, int ties_away)
{
    if (sh <= 0)
        return sig << -sh;     /* callers only reach this with -sh small */
    if (sh > 25)
        return 0;              /* below half of the quantum: sig < 2^24 <= half */
    uint64_t s = sig;
    uint64_t n = s >> sh, rem = s & ((1ull << sh) - 1), half = 1ull << (sh - 1);
    if (rem > half || (rem == half && (ties_away || (n & 1))))
        n++;
    return (uint32_t)n;
}

uint32_t qref__round_mag_rne(uint32_t a, int mbits, int emin)
{
    if (a == 0)
        return 0;
    uint32_t sig;
    int E, ue;
    split(a, &sig, &E, &ue);
    int q = (ue > emin ? ue : emin) - mbits;   /* exponent of the quantum */
    uint32_t n = shift_round(sig, q - E, 0);
    /* n carries the hidden bit in the normal range, so adding it to the
     * exponent field below also carries correctly into the next binade. */
    return ((uint32_t)(q - emin + mbits) << mbits) + n;
}

uint32_t qref__f32_bits_of_scaled(uint32_t n, int k)
{
    if (n == 0)
        return 0;
    int p = qref__msb(n);
    int ue = p + k;
    if (ue >= -126)
        return ((uint32_t)(ue + 127) << 23) | ((n << (23 - p)) & 0x7FFFFFu);
    return n << (k + 149);     /* float32 subnormal: n * 2^k = m * 2^-149 */
}

uint32_t qref__decode_mag(uint32_t mag, int mbits, int emin)
{
    uint32_t ef = mag >> mbits, m = mag & ((1u << mbits) - 1);
    if (ef == 0)
        return qref__f32_bits_of_scaled(m, emin - mbits);
    return qref__f32_bits_of_scaled(m | (1u << mbits), (int)ef - 1 + emin - mbits);
}

uint32_t qref__round_abs_to_int(uint32_t a, int ties_away)
{
    if (a == 0)
        return 0;
    if (a >= 0x4F000000u)      /* >= 2^31 (and Inf) */
        return 0x80000000u;
    uint32_t sig;
    int E, ue;
    split(a, &sig, &E, &ue);
    if (E >= 0)
        return sig << E;       /* an integer already; < 2^31 here */
    return shift_round(sig, -E, ties_away);
}
