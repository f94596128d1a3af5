/* op_moe_experts.c — the moe_experts op's definition (qcts/opdef.h). PLACEHOLDER until the
 * op's owner replaces it: cases of this op are ERROR "not implemented". */
#include "op_json.h"

QCTS_OPDEF_PLACEHOLDER(moe_experts, QCTS_OP_MOE_EXPERTS);
