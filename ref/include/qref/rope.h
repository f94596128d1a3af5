/* qref/rope.h — reference rotary position embedding (RoPE): frequencies
 * with the usual context-extension scalings, the rotation of one head in
 * NeoX or GPT-J layout, the cos/sin cache, and the per-element error bound
 * of the `bound` check (derivation: vectors/README.md, "rope").
 *
 * ---- Frequencies (R = rot_dim, even; i = 0 .. R/2 − 1) -------------------
 *   base:    f_i = theta^(−2i/R)                    (qref_pow, double)
 *   linear:  f_i = base f_i / factor
 *   yarn:    (HF transformers _compute_yarn_parameters, truncate = true)
 *            cd(b) = R · ln(orig_ctx / (b · 2π)) / (2 ln theta)
 *            low = max(floor(cd(beta_fast)), 0), high = min(ceil(cd(beta_slow)), R − 1)
 *            (high == low: high += 0.001)
 *            ramp_i = clamp((i − low) / (high − low), 0, 1)
 *            f_i = base f_i / factor · ramp_i + base f_i · (1 − ramp_i)
 *            attention factor A = attn_factor when > 0, else
 *              mscale_all_dim > 0: g(factor, mscale) / g(factor, mscale_all_dim)
 *              otherwise:          g(factor, 1)
 *            with g(s, m) = 1 for s <= 1, else 0.1 · m · ln(s) + 1
 *            (DeepSeek-V2/V3 give mscale = mscale_all_dim, hence A = 1.)
 *   llama3:  (HF _compute_llama3_parameters) wl_i = 2π / f_i,
 *            wl_lo = orig_ctx / low_freq_factor, wl_hi = orig_ctx / high_freq_factor
 *            wl_i < wl_hi: f_i;   wl_i > wl_lo: f_i / factor;
 *            otherwise s = (orig_ctx / wl_i − low_freq_factor) / (high_freq_factor − low_freq_factor),
 *                      f_i = (1 − s) f_i / factor + s f_i
 *   A = 1 except for yarn (or attn_factor > 0, which then applies to every
 *   scaling). π is the double nearest π.
 *
 * ---- Rotation of one head ----------------------------------------------------
 * The rotated dims are R consecutive dims of the head starting at rot_off
 * (0: the first R, as partial rotary in NeoX/GPT-NeoX/Phi; D − R: the last,
 * as DeepSeek MLA's decoupled dims); the other dims pass through unchanged
 * (rounded once if the output dtype is narrower). Within them, pair i is
 *   NeoX (half split):    (x[i], x[i + R/2])
 *   GPT-J (interleaved):  (x[2i], x[2i + 1])
 * and with θ = pos · f_i, c = A cos θ, s = A sin θ:
 *   a' = a c − b s,   b' = a s + b c.
 * Everything is evaluated in double (θ = pos · f_i rounded once in double,
 * qref_sincos) and rounded once to the output dtype.
 *
 * ---- The bound (per element; vectors/README.md, "rope") ---------------------
 * For a float32 kernel whose angle has relative error at most k_θ u
 * (k_θ: qref_rope_angle_ulps — frequencies from powf or from repeated
 * multiplication as llama.cpp does, plus the scaling's arithmetic), whose
 * cos/sin have absolute error at most 4u, whose cache may be held in the
 * activation dtype (u_c; vLLM), and whose rotation is two products and a
 * sum (or an FMA): with Δ = min(2, |θ| k_θ u + 4u),
 *   E_c = A Δ + (A|cos θ| + A Δ)((1 + 4u)(1 + u)(1 + u_c) − 1) + η_c   (E_s alike)
 *   E   = |a| E_c + |b| E_s + γ_2 (|a|(A|cos θ| + E_c) + |b|(A|sin θ| + E_s))
 *   bound = (1 + u_o) E + 2 u_o |y| + 2 η_o            (u = 2^-24)
 * Pass-through dims: 0 (exact). Cache outputs: E_c / E_s with u_c = 0.
 */
#ifndef QREF_ROPE_H
#define QREF_ROPE_H

#include <stdint.h>

#include "qref/fmt.h"
#include "qref/status.h"

#define QREF_ROPE_MAX_ROT 4096

typedef enum qref_rope_layout {
    QREF_ROPE_NEOX = 0,     /* half split: (x[i], x[i + R/2]) */
    QREF_ROPE_GPTJ = 1,     /* interleaved: (x[2i], x[2i + 1]) */
    QREF_ROPE_LAYOUT_COUNT
} qref_rope_layout;

typedef enum qref_rope_scaling {
    QREF_ROPE_SCALE_NONE = 0,
    QREF_ROPE_SCALE_LINEAR = 1,
    QREF_ROPE_SCALE_YARN = 2,
    QREF_ROPE_SCALE_LLAMA3 = 3,
    QREF_ROPE_SCALING_COUNT
} qref_rope_scaling;

typedef struct qref_rope_params {
    qref_rope_layout layout;
    qref_rope_scaling scaling;
    int32_t rot_dim;            /* R: even, 2 .. QREF_ROPE_MAX_ROT */
    double theta;               /* base, > 1 */
    double factor;              /* linear / yarn / llama3: >= 1 */
    double orig_ctx;            /* yarn / llama3: original_max_position_embeddings, > 0 */
    double beta_fast, beta_slow;        /* yarn (32, 1 in HF), beta_fast > beta_slow > 0 */
    double mscale, mscale_all_dim;      /* yarn (DeepSeek), >= 0 */
    double attn_factor;                 /* > 0 overrides A; 0: computed */
    double low_freq_factor, high_freq_factor;  /* llama3 (1, 4), high > low > 0 */
} qref_rope_params;

/* Checks the parameters (QREF_ERR_ARG names nothing: the op layer does). */
qref_status qref_rope_check(const qref_rope_params *p);

/* f[R/2] and the attention factor A. */
qref_status qref_rope_freqs(const qref_rope_params *p, double *f, double *attn);

/* YaRN's correction dims before floor/ceil (cd(beta_fast), cd(beta_slow)):
 * the generator keeps them away from integers so that every implementation
 * truncates alike. */
void qref_rope_yarn_dims(const qref_rope_params *p, double *cd_fast, double *cd_slow);

/* A cos(pos f_i), A sin(pos f_i) for i < R/2 (in double). */
void qref_rope_cos_sin(int64_t pos, const double *f, int32_t half, double attn, double *c, double *s);

/* Rotates the R dims x[0..R) (doubles holding the inputs exactly) into y,
 * rounded once to out_dtype; bound[R] (may be NULL) receives the bound.
 * cos/sin/theta from qref_rope_cos_sin (theta[i] = pos f_i, for the bound;
 * may be NULL when bound is). in_dtype: the activation dtype (for u_c). */
void qref_rope_rotate(const qref_rope_params *p, const double *c, const double *s, const double *theta,
                      double attn, const double *x, qref_fmt in_dtype, qref_fmt out_dtype, double *y,
                      float *bound);

/* The bound of one cache value v = A cos θ (or A sin θ) rounded to
 * out_dtype. */
float qref_rope_cache_bound(const qref_rope_params *p, double theta, double v, double attn, qref_fmt out_dtype);

/* k_θ of the bound: the relative angle error allowed, in units of u = 2^-24. */
double qref_rope_angle_ulps(const qref_rope_params *p);

#endif

/* ---- The whole op (slots as qcts/op_rope.h documents them) ---- */

typedef enum qref_rope_mode {
    QREF_ROPE_APPLY = 0,
    QREF_ROPE_CACHE = 1,
    QREF_ROPE_MLA_LATENT = 2,
    QREF_ROPE_MLA_SPLIT_FUSED = 3,
    QREF_ROPE_MODE_COUNT
} qref_rope_mode;

typedef struct qref_rope_op {
    qref_rope_params p;
    qref_rope_mode mode;
    qref_fmt in_dtype, out_dtype;       /* F32, F16, BF16 */
    int64_t tokens;
    int32_t q_heads, k_heads, q_dim, k_dim, q_rot_off, k_rot_off;
} qref_rope_op;

#define QREF_ROPE_IN 5
#define QREF_ROPE_OUT 2

/* Checks the op (every field) and gives the element count of each slot
 * (0: unused). QREF_ERR_ARG / QREF_ERR_SIZE; sizes that overflow int64 or
 * exceed 2^40 elements are QREF_ERR_SIZE. */
qref_status qref_rope_sizes(const qref_rope_op *op, int64_t in_elems[QREF_ROPE_IN], int64_t out_elems[QREF_ROPE_OUT]);

/* Runs the op: in[0] = int32_t positions, in[1..] of in_dtype; out[] of
 * out_dtype; bound[i] (NULL, or out_elems[i] floats) the bound of out[i]. */
qref_status qref_rope_run(const qref_rope_op *op, const void *const in[QREF_ROPE_IN], void *const out[QREF_ROPE_OUT],
                          float *const bound[QREF_ROPE_OUT]);
