/* Dequant is right on every odd-numbered call and one ulp off in its first
 * element on every even-numbered one (state kept across calls): each single
 * call looks plausible, only a second identical call shows it (FAIL). */
#define TINY_NAME "broken_nondeterministic"
static unsigned tiny_calls;
#define TINY_AFTER_DEQUANT(y, n)                          \
    do {                                                  \
        if (tiny_calls++ % 2u == 1u) {                    \
            uint32_t u_;                                  \
            memcpy(&u_, &(y)[0], 4);                      \
            u_ ^= 1u;                                     \
            memcpy(&(y)[0], &u_, 4);                      \
        }                                                 \
    } while (0)
#include <stdint.h>
#include "tiny_plugin.h"
