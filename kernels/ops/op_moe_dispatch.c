/* op_moe_dispatch.c — the moe_dispatch op's definition (qcts/opdef.h). PLACEHOLDER until the
 * op's owner replaces it: cases of this op are ERROR "not implemented". */
#include "op_json.h"

QCTS_OPDEF_PLACEHOLDER(moe_dispatch, QCTS_OP_MOE_DISPATCH);
