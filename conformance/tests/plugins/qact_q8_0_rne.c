/* q8_0 activation codes rounded to nearest even (ggml AVX) instead of
 * roundf (ggml _ref): must FAIL the tie cases of qact/q8_0__*. */
#define QACT_NAME "qact_q8_0_rne"
#define QACT_Q8_0_RNE 1
#include "qact_plugin.h"
