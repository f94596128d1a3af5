/* qcts/op_norm.h — ABI 2 descriptors of the norm and softmax ops: see
 * qcts/backend.h (DESCRIPTORS OF THE OPS AFTER GEMM) and, for the exact
 * arithmetic, ref/include/qref/norm.h. Plain old data only.
 *
 * NORM (RMSNorm, LayerNorm; rows of n; act = dtype, out = out_dtype, each
 * F32, F16 or BF16):
 *   in[0]  x         act [rows, n]
 *   in[1]  weight    act [n]          (has_weight; else w = 1)
 *   in[2]  bias      act [n]          (has_bias; else b = 0)
 *   in[3]  residual  act [rows, n]    (has_residual)
 *   out[0] y         out [rows, n]
 *   out[1] h         act [rows, n]    (has_residual) the updated residual
 *                                     RN_act(x + residual), which is also
 *                                     what is normalized
 *   RMS:   y = h / sqrt(mean(h²) + eps) · w + b
 *   LAYER: y = (h − mean h) / sqrt(mean((h − mean h)²) + eps) · w + b
 *
 * SOFTMAX (rows of n, with temperature T > 0):
 *   in[0]  x  in_dtype  [rows, n]
 *   out[0] y  out_dtype [rows, n]
 *   y_i = exp((x_i − max x) / T) / Σ_j exp((x_j − max x) / T); -inf logits
 *   give 0; a row of all -inf, or with +inf or NaN, gives NaN.
 */
#ifndef QCTS_OP_NORM_H
#define QCTS_OP_NORM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum qcts_norm_kind { QCTS_NORM_RMS = 0, QCTS_NORM_LAYER = 1 } qcts_norm_kind;

struct qcts_norm_desc {
    int32_t kind;               /* qcts_norm_kind */
    int32_t dtype;              /* qcts_dtype of x, weight, bias, residual, h */
    int32_t out_dtype;          /* qcts_dtype of y */
    int32_t has_weight, has_bias, has_residual;   /* 0 or 1 */
    int64_t rows, n;            /* >= 1 */
    double eps;                 /* > 0 */
    int32_t threads;            /* CPU threads; results must not depend on it */
    int32_t reserved;           /* 0 */
};

struct qcts_softmax_desc {
    int32_t in_dtype, out_dtype;    /* qcts_dtype: F32, F16, BF16 */
    int64_t rows, n;            /* >= 1 */
    double temperature;         /* > 0 */
    int32_t threads;
    int32_t reserved;           /* 0 */
};

#ifdef __cplusplus
}
#endif
#endif
