/* gen_moe.h — helpers shared by the MoE generators (gen_moe_route.c,
 * gen_moe_dispatch.c, gen_moe_experts.c). Case-definition fields are read
 * with gen_defjson.h. */
#ifndef QCTS_GEN_MOE_H
#define QCTS_GEN_MOE_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "gen_defjson.h"
#include "gen_impl.h"

#endif
