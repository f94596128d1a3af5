/* Generic (scalar) GEMM: each weight row dequantized once to float32
 * (qcts_dequant_span__scalar), then one float32 multiply-add chain per
 * output along k (k ascending, from +0; products and sums rounded
 * separately, -ffp-contract=off), then + bias. */
#include "kernels/simd/simd.h"

size_t qcts_gemm_scratch_bytes(int64_t M, int64_t K)
{
    /* The largest need of any kernel: the scalar row (K floats); the panel
     * GEMM's two 16 x 256 panels, an M x 16 side tile and the packed A block
     * (M rounded up to 6) x 256 (avx2/gemm-panel.c). */
    size_t scalar = sizeof(float) * (size_t)K;
    size_t panel = sizeof(float) * (2u * 16u * 256u + 16u * (size_t)M + 256u * (size_t)((M + 5) / 6 * 6) + 64u);
    /* avx512/gemm-panel.c: KC = 256, NR = 32, MR = 8; neon/gemm-panel.c:
     * KC = 256, NR = 16, MR = 4 (inside the AVX2 panel's needs). */
    size_t panel512 = sizeof(float) * (2u * 32u * 256u + 32u * (size_t)M + 256u * (size_t)((M + 7) / 8 * 8) + 64u);
    if (panel512 > panel)
        panel = panel512;
    return (scalar > panel ? scalar : panel) + 64;
}

void qcts_gemm__scalar(const qcts_gemm_args *g, int64_t n0, int64_t n1, void *scratch)
{
    const qcts_qview *w = g->w;
    const int64_t K = w->cols;
    float *row = scratch;
    for (int64_t n = n0; n < n1; n++) {
        qcts_dequant_span__scalar(w, n, 0, K, row);
        for (int64_t m = 0; m < g->M; m++) {
            const float *a = g->a + m * g->lda;
            float acc = 0.0f;
            for (int64_t k = 0; k < K; k++)
                acc += a[k] * row[k];
            if (g->bias)
                acc += g->bias[n];
            g->y[m * g->ldy + n] = acc;
        }
    }
}
