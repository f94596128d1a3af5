/* int8 activation codes rounded half away from zero (roundf) instead of
 * to nearest even: must FAIL the tie cases of qact/int8_token__*. */
#define QACT_NAME "qact_int8_roundf"
#define QACT_INT8_ROUNDF 1
#include "qact_plugin.h"
