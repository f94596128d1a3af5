/* gen_rope.c — golden cases of the rope op. PLACEHOLDER until the op's owner
 * writes the generator: a suite of this op fails to generate, saying so. */
#include "gen_impl.h"

void vgen_rope(vfile *f)
{
    vf_fail(f, QCTS_VEC_ERR_SUITE, "%s: op rope has no generator in this build of qcts", f->s->info.name);
}
