/* kernels/simd/actq.h — quantized-activation GEMM of the CPU backends
 * (qcts_gemm_desc.a_quant != NONE; semantics: /work/notes/QACT-SPEC.md,
 * vectors/README.md): the kernel quantizes A itself, deterministically,
 * then forms y = A_q · Wᵀ (+ bias) from the codes and scales only.
 *
 *   generic/actquant.c  the quantizers (bit-exact, scalar, every mode) and
 *                       the generic product (every mode x scheme pair the
 *                       reference accepts, in double: one final rounding);
 *   actq.c              the variant table, the pairing rule, and the
 *                       per-call activation buffers (codes re-laid out for
 *                       the chosen kernel, per-lane zero-point corrections);
 *   avx512/gemv-q8.c,   integer-dot kernels (VNNI vpdpbusd; AVX2
 *   avx2/gemv-q8.c,     vpmaddubsw + vpmaddwd; NEON sdot): every output is
 *   neon/gemv-q8.c      Σ_groups scale_g · (exact int32 dot of the group)
 *                       in an order fixed by (variant, K), never by the
 *                       thread count.
 *
 * Quantization runs once per call and batch, in the calling thread, before
 * the N split (parallel.c); the codes are therefore the same for every
 * thread count. */
#ifndef QCTS_SIMD_ACTQ_H
#define QCTS_SIMD_ACTQ_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernels/simd/simd.h"

/* The quantized activations of one batch (M rows of K). */
typedef struct qcts_actq {
    uint32_t mode;          /* qcts_act_quant */
    int64_t M, K;
    int64_t blk;            /* GGUF modes: block length (32, 256); token/tensor modes: K */
    int64_t nblk;           /* blocks per row */
    int8_t *q;              /* M*K codes: int8 (INT8, Q8_*) or E4M3 bytes (FP8) */
    float *rs;              /* M row scales: INT8/FP8 token s_m, FP8 tensor s (every row), GGUF 1 */
    float *bd;              /* M*nblk block scales as values: Q8_0/Q8_1 f16val(d_h), Q8_K d */
    uint16_t *dh;           /* M*nblk Q8_0/Q8_1 d_h bits */
    uint16_t *sh;           /* M*nblk Q8_1 s_h bits */
    float *bs;              /* M*nblk Q8_1 f16val(s_h) */
    int16_t *bsums;         /* M*K/16 Q8_K sums of 16 codes */
    /* the kernel's layout (actq.c fills it for the chosen variant) */
    int8_t *pa;             /* M*kpad codes in the kernel's order */
    int32_t *corr;          /* M*kpad/4: -zero_offset * sum of the 4 codes of each dot lane */
    float *da;              /* M*nblk2: block scales expanded for the kernel (GGUF Q8_0: 8 lanes per block) */
    int64_t kpad;           /* row stride of pa (elements, >= K, multiple of 128) */
    int64_t dastride;       /* row stride of da (floats) */
    int notile;             /* QCTS_ACTQ_NOTILE set: one activation row per tile (bench: the untiled path) */
} qcts_actq;

/* ---- quantizers (generic/actquant.c), bit-exact with the reference ---- */
/* One row (token modes) or the tensor (FP8_E4M3_TENSOR: amax over all M
 * rows, done by qcts_actq_quantize) of K values. Non-finite inputs: the
 * row / block scale is NaN and its codes 0 (every output it reaches is
 * NaN). */
void qcts_actq_int8_row(const float *a, int64_t K, int8_t *q, float *s);
void qcts_actq_fp8_row(const float *a, int64_t K, float amax_or_neg, int8_t *q, float *s); /* amax < 0: own */
void qcts_actq_q8_0_block(const float *a, int8_t *q, uint16_t *dh, float *d);
void qcts_actq_q8_1_block(const float *a, int8_t *q, uint16_t *dh, float *d, uint16_t *sh, float *s);
void qcts_actq_q8_k_block(const float *a, int8_t *q, float *d, int16_t *bsums);

/* Allocates the buffers of mode for M x K (kernel layout included when
 * kpad > 0): NULL on out of memory. */
qcts_actq *qcts_actq_new(uint32_t mode, int64_t M, int64_t K);
void qcts_actq_free(qcts_actq *aq);
/* Quantizes M rows of a (stride lda) into aq (codes and scales). */
void qcts_actq_quantize(qcts_actq *aq, const float *a, int64_t lda);

/* The generic product (any pair qcts_actq_pair_ok accepts): y[m][n] for n
 * in [n0, n1), each the exact sum formed in double, rounded once to f32. */
void qcts_actq_gemm__scalar(const qcts_gemm_args *g, int64_t n0, int64_t n1, void *scratch);

/* ---- selection (actq.c) ---- */
/* 1 if mode pairs with scheme (GGUF modes: ggml's vec_dot_type; INT8/FP8:
 * every scheme); else 0 and why. */
int qcts_actq_pair_ok(uint32_t mode, const qref_scheme *s, char *why, size_t n);
const char *qcts_actq_mode_name(uint32_t mode);

/* How a kernel wants the activations (actq.c lays them out). */
typedef enum qcts_actq_order {
    QCTS_AQO_NATURAL = 0,   /* codes in column order */
    QCTS_AQO_EVENODD64,     /* per 64 columns: the 32 even ones, then the 32 odd ones */
    QCTS_AQO_EVENODD128,    /* per 128 columns: 64 even, 64 odd */
    QCTS_AQO_EVENODD32,     /* per 32 columns: 16 even, 16 odd */
    QCTS_AQO_GGUF4,         /* per 128 columns (4 ggml blocks): the first 16 of each block, then the last 16 */
} qcts_actq_order;

typedef struct qcts_actq_variant {
    qcts_isa isa;
    const char *symbol;
    const char *scheme;
    uint32_t modes;         /* bit (1 << mode) for each mode served */
    int need;               /* 0: none; 1: the CPU feature of the variant (VNNI, dotprod); 2: dotprod + i8mm */
    qcts_actq_order order;
    int zoff;               /* weight code offset: u8 code - zoff = value (0: signed kernel) */
    int da;                 /* 1: the kernel reads aq->da (per-block scales, 8 lanes each) */
    qcts_gemm_kernel fn;
} qcts_actq_variant;

/* The kernel of isa (or its fallback ISA) for mode x scheme, NULL if none
 * (then the generic product serves it). */
const qcts_actq_variant *qcts_actq_variant_best(qcts_isa isa, uint32_t mode, const char *scheme, int64_t K);
/* Builds aq->pa / corr / da for variant v (NULL: nothing). */
void qcts_actq_layout(qcts_actq *aq, const qcts_actq_variant *v);

/* The driver of the q8 kernels (<isa>/gemv-q8*.c): weight rows n0..n1, 4
 * at a time (r4*), then one at a time (r1*); activation rows in tiles of 4
 * (t4: each decoded weight block serves 4 activation rows) then one at a
 * time (t1). Each integer-product sum is scaled by the row's activation
 * scale, then the bias is added. Forced inline so that each ISA's row
 * functions are called directly. t4 functions handle 4 activation rows m0..m0+3 at once, t1 one
 * row; each writes v[t * 4 + r] for activation row t and weight row r. A
 * kernel gives every output the same operation sequence in t4 and t1, so
 * the bits of a row never depend on M or on the tiling. */
typedef void (*qcts_actq_tile_fn)(const qcts_gemm_args *g, int64_t m0, int64_t n, float *v);

static inline __attribute__((always_inline)) void qcts_actq_put(const qcts_gemm_args *g, int64_t m, int64_t n,
                                                                float v)
{
    float t = v * g->aq->rs[m];
    g->y[m * g->ldy + n] = g->bias ? t + g->bias[n] : t;
}

static inline __attribute__((always_inline)) void qcts_actq_drive_tiled2(const qcts_gemm_args *g, int64_t n0,
                                                                         int64_t n1, qcts_actq_tile_fn r4t4,
                                                                         qcts_actq_tile_fn r4t2,
                                                                         qcts_actq_tile_fn r4t1,
                                                                         qcts_actq_tile_fn r1t4,
                                                                         qcts_actq_tile_fn r1t1)
{
    float v[16];
    const int64_t mt = g->aq->notile ? 0 : g->M;   /* rows served by tiles of 4 */
    int64_t n = n0;
    for (; n + 4 <= n1; n += 4) {
        int64_t m = 0;
        for (; m + 4 <= mt; m += 4) {
            r4t4(g, m, n, v);
            for (int t = 0; t < 4; t++)
                for (int r = 0; r < 4; r++)
                    qcts_actq_put(g, m + t, n + r, v[t * 4 + r]);
        }
        for (; r4t2 && m + 2 <= mt; m += 2) {   /* neon i8mm: a 2-row tile */
            r4t2(g, m, n, v);
            for (int t = 0; t < 2; t++)
                for (int r = 0; r < 4; r++)
                    qcts_actq_put(g, m + t, n + r, v[t * 4 + r]);
        }
        for (; m < g->M; m++) {
            r4t1(g, m, n, v);
            for (int r = 0; r < 4; r++)
                qcts_actq_put(g, m, n + r, v[r]);
        }
    }
    for (; n < n1; n++) {
        int64_t m = 0;
        for (; m + 4 <= mt; m += 4) {
            r1t4(g, m, n, v);
            for (int t = 0; t < 4; t++)
                qcts_actq_put(g, m + t, n, v[t * 4]);
        }
        for (; m < g->M; m++) {
            r1t1(g, m, n, v);
            qcts_actq_put(g, m, n, v[0]);
        }
    }
}

static inline __attribute__((always_inline)) void qcts_actq_drive_tiled(const qcts_gemm_args *g, int64_t n0,
                                                                        int64_t n1, qcts_actq_tile_fn r4t4,
                                                                        qcts_actq_tile_fn r4t1,
                                                                        qcts_actq_tile_fn r1t4,
                                                                        qcts_actq_tile_fn r1t1)
{
    qcts_actq_drive_tiled2(g, n0, n1, r4t4, NULL, r4t1, r1t4, r1t1);
}

/* Q4_K's 12 scale bytes -> 8 six-bit scales then 8 six-bit mins (ggml's
 * get_scale_min_k4, as its vec_dot unpacks them with kmask1..3). */
static inline __attribute__((always_inline)) void qcts_q4k_scales(const uint8_t *s12, uint8_t out[16])
{
    uint32_t u[4];
    memcpy(u, s12, 12);
    const uint32_t k1 = 0x3f3f3f3fu, k2 = 0x0f0f0f0fu, k3 = 0x03030303u;
    u[3] = ((u[2] >> 4) & k2) | (((u[1] >> 6) & k3) << 4);
    const uint32_t aux = u[1] & k1;
    u[1] = (u[2] & k2) | (((u[0] >> 6) & k3) << 4);
    u[2] = aux;
    u[0] &= k1;
    memcpy(out, u, 16);
}

#endif
