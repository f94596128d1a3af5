/* Sums k downwards when asked for more than one thread: every result stays
 * within the error bound, but the bits depend on the thread count (FAIL). */
#define TINY_GEMM_NAME "broken_gemm_threads"
#define TINY_GEMM_REVERSE(d) ((d)->threads > 1)
#include "tiny_gemm.h"
