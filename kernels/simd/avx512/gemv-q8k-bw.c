/* AVX-512 BW build of gemv-q8k.c (q8_K x gguf_q4_k / gguf_q6_k) for CPUs
 * without VNNI (or QCTS_ACTQ_NOVNNI=1): the directory's flags only
 * (F/BW/DQ/VL), so no VNNI instruction can slip in. */
#define QCTS_AQ_BW 1
#include "kernels/simd/avx512/gemv-q8k.c"
