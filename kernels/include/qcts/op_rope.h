/* qcts/op_rope.h — ABI 2 descriptor of the rope op (rotary position
 * embedding): see qcts/backend.h (DESCRIPTORS OF THE OPS AFTER GEMM) and,
 * for the exact arithmetic, ref/include/qref/rope.h. Plain old data only.
 *
 * Frequencies f_i (i < rot_dim/2) from theta and `scaling` (linear, YaRN,
 * Llama-3; qref/rope.h gives the formulas), attention factor A (YaRN's, or
 * attn_factor when > 0), angle pos · f_i with pos from the I32 positions.
 * A pair (a, b) of rotated dims becomes (a c − b s, a s + b c), c = A cos,
 * s = A sin; pairs are (x[i], x[i + R/2]) in NeoX layout and (x[2i],
 * x[2i+1]) in GPT-J layout, counted from the head's rot_off. Dims outside
 * [rot_off, rot_off + R) pass through (rounded once to out_dtype).
 *
 * Buffers by mode (T = tokens; act = in_dtype, out = out_dtype, each F32,
 * F16 or BF16; rows dense):
 *   APPLY (fused q/k):
 *     in[0]  pos  I32 [T]
 *     in[1]  q    act [T, q_heads, q_dim]
 *     in[2]  k    act [T, k_heads, k_dim]          (absent when k_heads = 0)
 *     out[0] q'   out [T, q_heads, q_dim]
 *     out[1] k'   out [T, k_heads, k_dim]          (absent when k_heads = 0)
 *   CACHE (the cos/sin cache generator):
 *     in[0]  pos  I32 [T]
 *     out[0] cos  out [T, rot_dim/2]   A cos(pos f_i)
 *     out[1] sin  out [T, rot_dim/2]   A sin(pos f_i)
 *   MLA_LATENT (DeepSeek MLA, decoupled RoPE on the latent path): APPLY
 *     with the rotated dims LAST: q [T, q_heads, q_dim] = q_nope ‖ q_pe per
 *     head with q_rot_off = q_dim − rot_dim, and the kv_a projection row
 *     [T, 1, k_dim] = compressed kv (k_dim − rot_dim) ‖ k_pe, shared by all
 *     heads (k_heads = 1, k_rot_off = k_dim − rot_dim).
 *   MLA_SPLIT_FUSED (split projections in, fused attention inputs out):
 *     with nope = q_dim − rot_dim, H = q_heads (k_heads must equal H):
 *     in[0]  pos     I32 [T]
 *     in[1]  q_nope  act [T, H, nope]
 *     in[2]  q_pe    act [T, H, rot_dim]
 *     in[3]  k_nope  act [T, H, nope]      (from the kv_b projection)
 *     in[4]  k_pe    act [T, 1, rot_dim]   (one per token, shared)
 *     out[0] q       out [T, H, q_dim] = q_nope ‖ rope(q_pe)
 *     out[1] k       out [T, H, q_dim] = k_nope ‖ rope(k_pe), every head
 *     (q_dim, rot_dim, layout apply; rot offsets and k_dim are unused: 0).
 */
#ifndef QCTS_OP_ROPE_H
#define QCTS_OP_ROPE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum qcts_rope_mode {
    QCTS_ROPE_APPLY = 0,
    QCTS_ROPE_CACHE = 1,
    QCTS_ROPE_MLA_LATENT = 2,
    QCTS_ROPE_MLA_SPLIT_FUSED = 3
} qcts_rope_mode;

typedef enum qcts_rope_layout { QCTS_ROPE_NEOX = 0, QCTS_ROPE_GPTJ = 1 } qcts_rope_layout;

typedef enum qcts_rope_scaling {
    QCTS_ROPE_SCALE_NONE = 0,
    QCTS_ROPE_SCALE_LINEAR = 1,
    QCTS_ROPE_SCALE_YARN = 2,
    QCTS_ROPE_SCALE_LLAMA3 = 3
} qcts_rope_scaling;

struct qcts_rope_desc {
    int32_t mode;               /* qcts_rope_mode */
    int32_t layout;             /* qcts_rope_layout */
    int32_t scaling;            /* qcts_rope_scaling */
    int32_t in_dtype;           /* qcts_dtype: F32, F16, BF16 */
    int32_t out_dtype;
    int32_t q_heads, k_heads;   /* >= 1; >= 0 */
    int32_t q_dim, k_dim;       /* head sizes (elements) */
    int32_t rot_dim;            /* R: even, 2 .. 4096, R <= q_dim - q_rot_off */
    int32_t q_rot_off, k_rot_off;
    int64_t tokens;             /* T >= 1 */
    double theta;               /* base > 1 */
    double factor;              /* linear / yarn / llama3 scale factor >= 1 */
    double orig_ctx;            /* yarn / llama3: original context length */
    double beta_fast, beta_slow;            /* yarn */
    double mscale, mscale_all_dim;          /* yarn (DeepSeek) */
    double attn_factor;                     /* > 0 overrides A */
    double low_freq_factor, high_freq_factor;   /* llama3 */
    int32_t threads;            /* CPU threads; results must not depend on it */
    int32_t reserved;           /* 0 */
};

#ifdef __cplusplus
}
#endif
#endif
