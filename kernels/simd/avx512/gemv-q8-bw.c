/* AVX-512 BW build of gemv-q8.c's KMAJOR kernels (int4_sym_g128,
 * fp4_g128_f16, mxfp4) for CPUs without VNNI (or QCTS_ACTQ_NOVNNI=1): the
 * directory's flags only (F/BW/DQ/VL), so no VNNI or VBMI instruction can
 * slip in. The ggml-block kernels need VBMI: their AVX2 kernels serve. */
#define QCTS_AQ_BW 1
#include "kernels/simd/avx512/gemv-q8.c"
