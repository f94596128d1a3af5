/* Ignores lda (reads A as dense rows of K): right for every dense case, wrong
 * as soon as the rows are padded (FAIL). */
#define TINY_GEMM_NAME "broken_gemm_lda"
#define TINY_GEMM_LDA(d) ((d)->K)
#include "tiny_gemm.h"
