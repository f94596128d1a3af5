/* NEON i8mm build of gemv-q8.c's ggml-block kernels (gguf_q4_0,
 * gguf_mxfp4, gguf_q8_0 with int8_token / q8_0 activations): SMMLA 2 x 2
 * tiles of activation x weight rows for M >= 2 (see GG_MM there), built
 * with +dotprod+i8mm (simd.mk) and chosen only where HWCAP2_I8MM says so and
 * QCTS_ACTQ_NOI8MM is unset (actq.c). */
#define QCTS_AQ_I8MM 1
#include "kernels/simd/neon/gemv-q8.c"
