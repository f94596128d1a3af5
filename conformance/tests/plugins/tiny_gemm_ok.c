/* A correct small GEMM (tiny_gemm.h): passes every strict call. */
#define TINY_GEMM_NAME "tiny_gemm_ok"
#include "tiny_gemm.h"
