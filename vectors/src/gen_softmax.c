/* gen_softmax.c — golden cases of the softmax op. PLACEHOLDER until the op's owner
 * writes the generator: a suite of this op fails to generate, saying so. */
#include "gen_impl.h"

void vgen_softmax(vfile *f)
{
    vf_fail(f, QCTS_VEC_ERR_SUITE, "%s: op softmax has no generator in this build of qcts", f->s->info.name);
}
