/* Dequant writes one element past the end of the output (the harness's
 * guard bytes must catch it: FAIL). */
#define TINY_NAME "broken_overrun"
#define TINY_AFTER_DEQUANT(y, n) ((y)[(n)] = (y)[(n) - 1])
#include "tiny_plugin.h"
