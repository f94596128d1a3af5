/* Dequant leaves the last output element unwritten (the harness's poison
 * must show through: FAIL). */
#define TINY_NAME "broken_skip_last"
#define TINY_DEQUANT_COUNT(n) ((n) - 1)
#include "tiny_plugin.h"
