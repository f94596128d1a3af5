/* abi_numbers.c — compiled by tests/cli/test-install.sh against the
 * installed headers: the numbers a plugin (or an exec backend in another
 * language) relies on, as docs/BACKEND-ABI.md lists them. Descriptors carry
 * these numbers across the ABI, so a header change that renumbers one
 * (an enum value inserted in the middle) fails here instead of silently
 * changing what old plugins mean. A deliberate change updates this file,
 * docs/BACKEND-ABI.md and QCTS_BACKEND_ABI_VERSION together. */
#include <qcts/backend.h>
#include <qref/fmt.h>

#define SAME(a, b) _Static_assert((a) == (b), #a " is not " #b)

SAME(QCTS_BACKEND_ABI_VERSION, 2);
SAME(QCTS_OK, 0); SAME(QCTS_UNSUPPORTED, 1); SAME(QCTS_UNAVAILABLE, 2); SAME(QCTS_ERROR, 3);
SAME(QCTS_DT_F32, 0); SAME(QCTS_DT_F16, 1); SAME(QCTS_DT_BF16, 2); SAME(QCTS_DT_U8, 3);
SAME(QCTS_DT_U16, 4); SAME(QCTS_DT_U32, 5); SAME(QCTS_DT_I32, 6);
SAME(QCTS_OP_CONVERT, 0); SAME(QCTS_OP_QUANTIZE, 1); SAME(QCTS_OP_DEQUANT, 2); SAME(QCTS_OP_GEMM, 3);
SAME(QCTS_OP_ATTENTION, 4); SAME(QCTS_OP_ROPE, 5); SAME(QCTS_OP_MOE_ROUTE, 6); SAME(QCTS_OP_SAMPLING, 7);
SAME(QCTS_OP_SOFTMAX, 8); SAME(QCTS_OP_HADAMARD, 9); SAME(QCTS_OP_NORM, 10); SAME(QCTS_OP_MOE_DISPATCH, 11);
SAME(QCTS_OP_MOE_EXPERTS, 12);
SAME(QREF_FMT_F32, 0); SAME(QREF_FMT_F16, 1); SAME(QREF_FMT_BF16, 2); SAME(QREF_FMT_E4M3, 3);
SAME(QREF_FMT_E5M2, 4); SAME(QREF_FMT_E2M1, 5); SAME(QREF_FMT_E2M3, 6); SAME(QREF_FMT_E3M2, 7);
SAME(QREF_FMT_E8M0, 8); SAME(QREF_FMT_INT8, 9); SAME(QREF_FMT_UINT8, 10); SAME(QREF_FMT_INT4, 11);
SAME(QREF_FMT_UINT4, 12); SAME(QREF_FMT_INT3, 13); SAME(QREF_FMT_UINT3, 14); SAME(QREF_FMT_INT2, 15);
SAME(QREF_FMT_UINT2, 16); SAME(QREF_FMT_NF4, 17); SAME(QREF_FMT_NF3, 18); SAME(QREF_FMT_NF2, 19);
SAME(QREF_CONV_OCP, 0); SAME(QREF_CONV_ML_DTYPES_0_6, 1); SAME(QREF_CONV_TORCH, 2);
SAME(QREF_CONV_CUDA_SATFINITE, 3); SAME(QREF_CONV_CUDA_NOSAT, 4); SAME(QREF_CONV_GGML, 5);
SAME(QREF_CONV_ML_DTYPES_0_7, 6); SAME(QREF_CONV_ML_DTYPES_0_5_0, 7); SAME(QREF_CONV_TORCH_2_15, 8);
SAME(QREF_MODE_DEFAULT, 0); SAME(QREF_MODE_SAT, 1); SAME(QREF_MODE_NOSAT, 2);
SAME(QCTS_AQ_NONE, 0);

int qcts_abi_numbers_ok;
