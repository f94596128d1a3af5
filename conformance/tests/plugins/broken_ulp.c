/* Dequant gets the middle element one ulp off (an exact check must FAIL;
 * the report shows max ULP 1). */
#include <string.h>
#define TINY_NAME "broken_ulp"
#define TINY_AFTER_DEQUANT(y, n) bump_ulp(&(y)[(n) / 2])
static void bump_ulp(float *v)
{
    unsigned int u;
    memcpy(&u, v, 4);
    u += 1;          /* next float away from zero (from +-0: the smallest subnormal) */
    memcpy(v, &u, 4);
}
#include "tiny_plugin.h"
