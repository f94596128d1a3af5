/* Dequant is right but flips a bit of its input (the serialized weights)
 * after reading it: the harness must FAIL it naming the input buffer. */
#define TINY_NAME "broken_modify_input"
#define TINY_AFTER_DEQUANT(y, n) (((uint8_t *)(uintptr_t)c->b.in[0])[(n) - 1] ^= 1u)
#include <stdint.h>
#include "tiny_plugin.h"
