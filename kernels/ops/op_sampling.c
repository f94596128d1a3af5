/* op_sampling.c — the sampling op's definition (qcts/opdef.h). PLACEHOLDER until the
 * op's owner replaces it: cases of this op are ERROR "not implemented". */
#include "op_json.h"

QCTS_OPDEF_PLACEHOLDER(sampling, QCTS_OP_SAMPLING);
