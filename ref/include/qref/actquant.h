/* qref/actquant.h — quantized activations for GEMM (qcts_gemm_desc.a_quant).
 *
 * A kernel with a_quant != NONE receives A as f32/f16/bf16 (widened to f32
 * exactly), quantizes it ITSELF by the rules below, and computes
 * Y = A_q · Wᵀ (+ bias) from the codes and scales only. The rules are
 * bit-exact: every backend must produce the same codes and scales. They
 * are /work/notes/QACT-SPEC.md made precise; ref/README.md ("Quantized
 * activations") has the rationale and the non-finite rule.
 *
 * Notation: rne = round to nearest, ties to even; rna = round half away
 * from zero (C roundf). Every operation is one IEEE f32 operation, RNE, no
 * FMA contraction.
 *
 *   INT8_TOKEN       per row: amax = max|a|; amax == 0: q = 0, s = 0. Else
 *                    inv = 127.0f / amax, q = sat8(rne(a * inv)),
 *                    s = amax / 127.0f. Value s·q.
 *   FP8_E4M3_TOKEN   per row (TENSOR: over all of A of one batch):
 *   FP8_E4M3_TENSOR  amax == 0: codes 0, s = 0. Else s = amax / 448.0f,
 *                    q = e4m3_sat_rne(clampf(a / s, -448, 448)). Value
 *                    s·e4m3(q).
 *   GGUF_Q8_0        blocks of 32 (ggml quantize_row_q8_0_ref): d = amax /
 *                    127.0f, id = d != 0 ? 1.0f / d : 0, q = (int8)rna(a*id),
 *                    stored f16(d). Value f16val(d)·q.
 *   GGUF_Q8_1        as Q8_0, plus s = f16(d · (float)Σ q) (d the f32 one).
 *                    ggml's q8_1 dot uses d_w·d_a·Σ q_w q_a + m_w·s.
 *   GGUF_Q8_K        blocks of 256 (quantize_row_q8_K_ref): max = the element
 *                    of largest |x| (first on ties); amax == 0: d = 0, q = 0;
 *                    else iscale = -127.0f / max, q = (int8)min(127,
 *                    nearest_int(iscale · x)) (ggml's 12582912 trick: ties
 *                    to even), d = 1.0f / iscale, bsums = Σ q per 16.
 *
 * sat8(v): NaN (0·Inf, when 127/amax overflows for amax < ~2^-121) -> 0,
 * else clamp to [-128, 127]. clampf: NaN (0/0 when s underflows to 0) ->
 * 0. These only matter for rows whose amax is below ~2^-121; the vector
 * generator never makes them, the unit tests pin them down.
 *
 * Non-finite activations ("poisoned" groups): a row (INT8/FP8 token), the
 * whole A of a batch (FP8 tensor) or a block (GGUF) that holds a NaN or an
 * Inf quantizes to codes 0 and scale NaN (f16 0x7E00 / f32 0x7FC00000;
 * Q8_1's s NaN too, Q8_K's bsums 0). Every output it reaches is NaN: the
 * whole output row m (the whole batch for FP8 tensor), whatever W and the
 * bias hold. (An Inf activation times a quantized weight is meaningless
 * after quantization: its scale is Inf and every code 0·Inf.)
 *
 * Pairing with weight schemes: INT8/FP8 modes apply to every scheme
 * (weights dequantized exactly); GGUF modes follow ggml's vec_dot_type:
 *   Q8_0: gguf_q4_0, gguf_q8_0, gguf_mxfp4, gguf_nvfp4
 *   Q8_1: gguf_q4_1
 *   Q8_K: gguf_q4_k, gguf_q6_k, gguf_iq2_xxs, gguf_iq3_xxs
 * Other pairs: QREF_ERR_UNSUPPORTED. */
#ifndef QREF_ACTQUANT_H
#define QREF_ACTQUANT_H

#include <stdint.h>

#include "qref/scheme.h"
#include "qref/status.h"

/* Same numbers as qcts_act_quant (kernels/include/qcts/backend.h). */
typedef enum qref_aq {
    QREF_AQ_NONE = 0,
    QREF_AQ_INT8_TOKEN = 1,
    QREF_AQ_FP8_E4M3_TENSOR = 2,
    QREF_AQ_FP8_E4M3_TOKEN = 3,
    QREF_AQ_GGUF_Q8_0 = 4,
    QREF_AQ_GGUF_Q8_1 = 5,
    QREF_AQ_GGUF_Q8_K = 6,
    QREF_AQ_COUNT
} qref_aq;

/* "none", "int8_token", "fp8_e4m3_tensor", "fp8_e4m3_token", "q8_0",
 * "q8_1", "q8_k"; NULL if out of range. from_name is case-insensitive. */
const char *qref_aq_name(qref_aq m);
qref_status qref_aq_from_name(const char *name, qref_aq *out);

/* Elements of one row that share a scale: K for the token modes and FP8
 * tensor (whose one scale also spans the rows), 32 (Q8_0, Q8_1), 256
 * (Q8_K); 0 for NONE or out of range. */
int64_t qref_aq_block(qref_aq m, int64_t K);

/* QREF_OK when mode m may be used with weight scheme s (see the top);
 * QREF_ERR_UNSUPPORTED otherwise, QREF_ERR_ARG for a bad mode/NULL. */
qref_status qref_aq_pairs_with(qref_aq m, const qref_scheme *s);

/* ---- the primitives (one group each); return 1 when the group is
 * poisoned (holds a NaN or Inf: codes 0, scales NaN), else 0 ---- */
int qref_aq_int8_row(const float *x, int64_t n, int8_t *q, float *s);
/* FP8 scale of n values (the row, or all of A): s = amax/448, 0 if amax is
 * 0, NaN if poisoned; then encode with that scale (codes 0 if s is NaN). */
float qref_aq_fp8_scale(const float *x, int64_t n);
void qref_aq_fp8_encode(const float *x, int64_t n, float s, uint8_t *q);
int qref_aq_q8_0_block(const float x[32], int8_t q[32], uint16_t *d);
int qref_aq_q8_1_block(const float x[32], int8_t q[32], uint16_t *d, uint16_t *s);
int qref_aq_q8_K_block(const float x[256], int8_t q[256], float *d, int16_t bsums[16]);

/* ---- a whole matrix ----------------------------------------------------------
 * Quantizes the M x K float32 matrix a (row stride lda >= K) by mode m:
 *   codes   M·K bytes, row-major dense: the int8 code (two's complement) or
 *           the e4m3 code
 *   scales  qref_aq_scale_count(m, M, K) floats: per row (token), 1
 *           (tensor), per block row-major (GGUF: the f16 scale as its exact
 *           float value; Q8_K: d)
 *   sums    Q8_1 only (else may be NULL): per block, s as its float value
 *   poison  NULL or M bytes: 1 where row m reaches a poisoned group
 * Returns QREF_ERR_SIZE if K is not a multiple of the block (GGUF), or M,
 * K < 1; QREF_ERR_ARG for NULLs or a bad mode (NONE included). */
int64_t qref_aq_scale_count(qref_aq m, int64_t M, int64_t K);
qref_status qref_aq_quantize(qref_aq m, const float *a, int64_t M, int64_t K, int64_t lda, uint8_t *codes,
                             float *scales, float *sums, uint8_t *poison);

/* The exact value of code c (a byte of `codes`) in mode m: int8 or e4m3.
 * Multiply by the scale (exact in double) for the activation's value. */
double qref_aq_code_value(qref_aq m, uint8_t c);

#endif
