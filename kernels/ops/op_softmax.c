/* op_softmax.c — the softmax op's definition (qcts/opdef.h). PLACEHOLDER until the
 * op's owner replaces it: cases of this op are ERROR "not implemented". */
#include "op_json.h"

QCTS_OPDEF_PLACEHOLDER(softmax, QCTS_OP_SOFTMAX);
