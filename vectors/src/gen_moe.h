/* gen_moe.h — helpers shared by the MoE generators (gen_moe_route.c,
 * gen_moe_dispatch.c, gen_moe_experts.c): reading a case definition's
 * fields with range checks. Each returns 1 when the field is valid (or
 * absent with a default), 0 otherwise. */
#ifndef QCTS_GEN_MOE_H
#define QCTS_GEN_MOE_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "gen_impl.h"

int gmoe_int(const cJSON *o, const char *k, int64_t dflt, int64_t lo, int64_t hi, int64_t *out);
int gmoe_num(const cJSON *o, const char *k, double dflt, double lo, double hi, double *out);
int gmoe_bool(const cJSON *o, const char *k, int dflt, int *out);
/* A string among choices (NULL-terminated); absent: dflt (an index, -1 = required). */
int gmoe_enum(const cJSON *o, const char *k, int dflt, const char *const *choices, int *out);
/* Only these keys (NULL-terminated) may appear. */
int gmoe_only(const cJSON *o, const char *const *keys);
/* The float32 at or above b (b >= 0). */
float gmoe_f32_up(double b);

#endif
