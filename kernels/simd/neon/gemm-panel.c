/* NEON GEMM (any M) on quantized weights: dequantize-then-multiply, as
 * avx2/gemm-panel.c. Tiles of NR = 16 weight rows x KC = 256 columns are
 * dequantized by the scheme's NEON kernel (else the generic tier) and
 * transposed into a KC x 16 panel; an MR x 16 micro-kernel (MR = 4: 16
 * accumulators of 4 floats) runs over every block of MR rows of A. Each
 * output is one FMA chain, k ascending from +0 (through Y across KC
 * blocks), then + bias; M tails and partial tiles (zero rows, side tile)
 * keep the same chain, so the bits depend on neither the thread count nor
 * the split. */
#include "kernels/simd/neon/common.h"

#define KC 256
#define NR 16
#define MR 4

QCTS_NEON_INLINE void ukernel(const int mr, int64_t kc, const float *a, const float *panel, float *c, int64_t ldc,
                              int first)
{
    float32x4_t acc[MR][4];
    QCTS_UNROLL for (int i = 0; i < mr; i++)
        for (int j = 0; j < 4; j++)
            acc[i][j] = first ? vdupq_n_f32(0.0f) : vld1q_f32(c + i * ldc + 4 * j);
    for (int64_t k = 0; k < kc; k++) {
        const float32x4_t b0 = vld1q_f32(panel + k * NR), b1 = vld1q_f32(panel + k * NR + 4);
        const float32x4_t b2 = vld1q_f32(panel + k * NR + 8), b3 = vld1q_f32(panel + k * NR + 12);
        QCTS_UNROLL for (int i = 0; i < mr; i++) {
            const float ai = a[k * MR + i];
            acc[i][0] = vfmaq_n_f32(acc[i][0], b0, ai);
            acc[i][1] = vfmaq_n_f32(acc[i][1], b1, ai);
            acc[i][2] = vfmaq_n_f32(acc[i][2], b2, ai);
            acc[i][3] = vfmaq_n_f32(acc[i][3], b3, ai);
        }
    }
    QCTS_UNROLL for (int i = 0; i < mr; i++)
        for (int j = 0; j < 4; j++)
            vst1q_f32(c + i * ldc + 4 * j, acc[i][j]);
}

static void ukernel_any(int mr, int64_t kc, const float *a, const float *panel, float *c, int64_t ldc, int first)
{
    switch (mr) {
    case 4: ukernel(4, kc, a, panel, c, ldc, first); break;
    case 3: ukernel(3, kc, a, panel, c, ldc, first); break;
    case 2: ukernel(2, kc, a, panel, c, ldc, first); break;
    default: ukernel(1, kc, a, panel, c, ldc, first); break;
    }
}

static void pack_a(const float *a, int64_t lda, int mr, int64_t kc, float *ap)
{
    for (int i = 0; i < mr; i++)
        for (int64_t k = 0; k < kc; k++)
            ap[k * MR + i] = a[i * lda + k];
}

static void gemm_panel(const qcts_gemm_args *g, int64_t n0, int64_t n1, void *scratch, qcts_dequant_kernel dq)
{
    const qcts_qview *w = g->w;
    const int64_t K = w->cols, M = g->M;
    float *panel = (float *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
    float *tmp = panel + KC * NR;
    float *side = tmp + NR * KC;
    float *ap = side + M * NR;
    for (int64_t k0 = 0; k0 < K; k0 += KC) {
        const int64_t kc = K - k0 < KC ? K - k0 : KC;
        for (int64_t m = 0; m < M; m += MR)
            pack_a(g->a + m * g->lda + k0, g->lda, M - m < MR ? (int)(M - m) : MR, kc, ap + m * kc);
        for (int64_t nt = n0; nt < n1; nt += NR) {
            const int64_t nrows = n1 - nt < NR ? n1 - nt : NR;
            float *c = nrows == NR ? g->y + nt : side;
            const int64_t ldc = nrows == NR ? g->ldy : NR;
            for (int64_t r = 0; r < NR; r++) {
                if (r < nrows)
                    dq(w, nt + r, k0, k0 + kc, tmp + r * KC);
                else
                    memset(tmp + r * KC, 0, sizeof(float) * (size_t)kc);
            }
            for (int64_t k = 0; k < kc; k++)
                for (int r = 0; r < NR; r++)
                    panel[k * NR + r] = tmp[r * KC + k];
            for (int64_t m = 0; m < M; m += MR) {
                const int mr = M - m < MR ? (int)(M - m) : MR;
                ukernel_any(mr, kc, ap + m * kc, panel, c + m * ldc, ldc, k0 == 0);
            }
            if (nrows < NR)
                for (int64_t m = 0; m < M; m++)
                    memcpy(g->y + m * g->ldy + nt, side + m * NR, sizeof(float) * (size_t)nrows);
        }
    }
    if (g->bias)
        for (int64_t m = 0; m < M; m++) {
            float *yr = g->y + m * g->ldy;
            for (int64_t n = n0; n < n1; n++)
                yr[n] = yr[n] + g->bias[n];
        }
}

/* gemm.inc lines of isa neon with mr = 4 (the generic tier dequantizes
 * schemes without a NEON kernel). */
#define QCTS_PANEL_1(symbol, scheme)
#define QCTS_PANEL_4(symbol, scheme)                                                               \
    void symbol(const qcts_gemm_args *g, int64_t n0, int64_t n1, void *scratch)                    \
    {                                                                                               \
        const qcts_dequant_variant *v = qcts_dequant_variant_best(QCTS_ISA_NEON, #scheme);        \
        gemm_panel(g, n0, n1, scratch, v ? v->fn : qcts_dequant_span__scalar);                     \
    }
#define X(isa, symbol, scheme, mr, nr) QCTS_PANEL_##mr(symbol, scheme)
#include "kernels/simd/gemm.inc"
#undef X
