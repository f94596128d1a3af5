/* FP8 encode as PyTorch 2.11 CPU casts do (ref/README.md, torch rows),
 * whatever convention is asked: `qcts check --identify` must name "torch".
 * E4M3: overflow, +-Inf and NaN -> 0x7F|sign. E5M2: overflow and +-Inf ->
 * +-Inf (0x7C|sign), NaN -> 0x7F|sign. In range: RNE. */
#include <string.h>
#define TINY_NAME "torch_convention"
#define TINY_CONVERT(fmt, x) torch_fp8((fmt) == 3, (x))
static unsigned torch_fp8(int e4m3, float x)
{
    unsigned u, m = e4m3 ? 3 : 2, max = e4m3 ? 0x7E : 0x7B, over = e4m3 ? 0x7F : 0x7C;
    int emin = e4m3 ? -6 : -14;
    memcpy(&u, &x, 4);
    unsigned s = (u >> 31) << 7, a = u & 0x7FFFFFFFu;
    if (a > 0x7F800000u)
        return s | 0x7F;
    if (a == 0x7F800000u)
        return s | over;
    if ((a >> 23) == 0)
        return s;
    int e = (int)(a >> 23) - 127, shift = 23 - (int)m + (e < emin ? emin - e : 0);
    if (shift > 25)
        return s;
    unsigned sig = (a & 0x7FFFFFu) | 0x800000u, q = sig >> shift;
    unsigned rem = sig & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (q & 1)))
        q++;
    unsigned mag = e < emin ? q : ((unsigned)(e - emin + 1) << m) + q - (1u << m);
    return s | (mag > max ? over : mag);
}
#include "tiny_plugin.h"
