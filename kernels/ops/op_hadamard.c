/* op_hadamard.c — the hadamard op's definition (qcts/opdef.h). PLACEHOLDER until the
 * op's owner replaces it: cases of this op are ERROR "not implemented". */
#include "op_json.h"

QCTS_OPDEF_PLACEHOLDER(hadamard, QCTS_OP_HADAMARD);
