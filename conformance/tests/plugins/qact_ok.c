/* A correct quantized-activation GEMM (qact_plugin.h). */
#define QACT_NAME "qact_ok"
#include "qact_plugin.h"
