/* gen_moe_route.c — golden cases of the moe_route op. PLACEHOLDER until the op's owner
 * writes the generator: a suite of this op fails to generate, saying so. */
#include "gen_impl.h"

void vgen_moe_route(vfile *f)
{
    vf_fail(f, QCTS_VEC_ERR_SUITE, "%s: op moe_route has no generator in this build of qcts", f->s->info.name);
}
