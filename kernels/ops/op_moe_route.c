/* op_moe_route.c — the moe_route op's definition (qcts/opdef.h). PLACEHOLDER until the
 * op's owner replaces it: cases of this op are ERROR "not implemented". */
#include "op_json.h"

QCTS_OPDEF_PLACEHOLDER(moe_route, QCTS_OP_MOE_ROUTE);
