/* AVX2 GEMM (any M) on quantized weights: dequantize-then-multiply.
 *
 * For each tile of NR = 16 weight rows and each block of KC = 256 columns,
 * the scheme's AVX2 dequant kernel (dequant.inc) writes the float32 weights
 * of the 16 rows, which are transposed into a KC x 16 panel (L1-resident);
 * then an MR x 16 FMA micro-kernel (MR = 6: 12 accumulators, 2 panel loads
 * and 6 broadcasts of A per k) runs over every block of MR rows of A. The
 * panel is dequantized once per (tile, block) and reused for all M rows,
 * so the decode cost is 1/M of the FMA work.
 *
 * Order: every output is one FMA chain, k ascending from +0 (the panel
 * holds rows n..n+15 at k; KC blocks continue the chain through Y), then
 * + bias. The same chain for every MR (tails: M % 6 rows) and for partial
 * tiles (N % 16 rows: zero rows in the panel, the results kept in a side
 * tile), so results depend on neither the thread count nor the split. */
#include "kernels/simd/avx2/common.h"

#define KC 256
#define NR 16
#define MR 6

/* panel[k][0..16) = tmp[r][k] for k < kc (tmp rows of stride KC). */
static void transpose_panel(const float *tmp, int64_t kc, float *panel)
{
    int64_t k = 0;
    for (; k + 8 <= kc; k += 8) {
        for (int h = 0; h < 2; h++) {
            const float *t = tmp + 8 * h * KC + k;
            __m256 r0 = _mm256_loadu_ps(t + 0 * KC), r1 = _mm256_loadu_ps(t + 1 * KC);
            __m256 r2 = _mm256_loadu_ps(t + 2 * KC), r3 = _mm256_loadu_ps(t + 3 * KC);
            __m256 r4 = _mm256_loadu_ps(t + 4 * KC), r5 = _mm256_loadu_ps(t + 5 * KC);
            __m256 r6 = _mm256_loadu_ps(t + 6 * KC), r7 = _mm256_loadu_ps(t + 7 * KC);
            __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
            __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
            __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
            __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
            __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
            __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
            __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
            __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
            float *p = panel + k * NR + 8 * h;
            _mm256_storeu_ps(p + 0 * NR, _mm256_permute2f128_ps(u0, u4, 0x20));
            _mm256_storeu_ps(p + 1 * NR, _mm256_permute2f128_ps(u1, u5, 0x20));
            _mm256_storeu_ps(p + 2 * NR, _mm256_permute2f128_ps(u2, u6, 0x20));
            _mm256_storeu_ps(p + 3 * NR, _mm256_permute2f128_ps(u3, u7, 0x20));
            _mm256_storeu_ps(p + 4 * NR, _mm256_permute2f128_ps(u0, u4, 0x31));
            _mm256_storeu_ps(p + 5 * NR, _mm256_permute2f128_ps(u1, u5, 0x31));
            _mm256_storeu_ps(p + 6 * NR, _mm256_permute2f128_ps(u2, u6, 0x31));
            _mm256_storeu_ps(p + 7 * NR, _mm256_permute2f128_ps(u3, u7, 0x31));
        }
    }
    for (; k < kc; k++)
        for (int r = 0; r < NR; r++)
            panel[k * NR + r] = tmp[r * KC + k];
}

/* C[i][0..16) (+)= sum_k a[i][k] * panel[k][0..16) for i < mr; a is the
 * packed A block: a[k * MR + i]. */
QCTS_AVX2_INLINE void ukernel(const int mr, int64_t kc, const float *a, const float *panel, float *c, int64_t ldc,
                              int first)
{
    __m256 acc[MR][2];
    QCTS_UNROLL for (int i = 0; i < mr; i++) {
        if (first) {
            acc[i][0] = _mm256_setzero_ps();
            acc[i][1] = _mm256_setzero_ps();
        } else {
            acc[i][0] = _mm256_loadu_ps(c + i * ldc);
            acc[i][1] = _mm256_loadu_ps(c + i * ldc + 8);
        }
    }
    for (int64_t k = 0; k < kc; k++) {
        const __m256 b0 = _mm256_load_ps(panel + k * NR), b1 = _mm256_load_ps(panel + k * NR + 8);
        QCTS_UNROLL for (int i = 0; i < mr; i++) {
            const __m256 ai = _mm256_broadcast_ss(a + k * MR + i);
            acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
            acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
        }
    }
    QCTS_UNROLL for (int i = 0; i < mr; i++) {
        _mm256_storeu_ps(c + i * ldc, acc[i][0]);
        _mm256_storeu_ps(c + i * ldc + 8, acc[i][1]);
    }
}

static void ukernel_any(int mr, int64_t kc, const float *a, const float *panel, float *c, int64_t ldc, int first)
{
    switch (mr) {
    case 6: ukernel(6, kc, a, panel, c, ldc, first); break;
    case 5: ukernel(5, kc, a, panel, c, ldc, first); break;
    case 4: ukernel(4, kc, a, panel, c, ldc, first); break;
    case 3: ukernel(3, kc, a, panel, c, ldc, first); break;
    case 2: ukernel(2, kc, a, panel, c, ldc, first); break;
    default: ukernel(1, kc, a, panel, c, ldc, first); break;
    }
}

/* A[m0 .. m0+mr)[k0 .. k0+kc) -> ap[k * MR + i] (rows past mr are not read). */
static void pack_a(const float *a, int64_t lda, int mr, int64_t kc, float *ap)
{
    for (int i = 0; i < mr; i++)
        for (int64_t k = 0; k < kc; k++)
            ap[k * MR + i] = a[i * lda + k];
}

/* Scratch (qcts_gemm_scratch_bytes): panel KC x 16 (64-byte aligned), tmp
 * 16 x KC, the side tile M x 16, the packed A block (M rounded up to MR) x KC.
 * Loops: KC blocks of K outermost (the packed A block, M x KC floats, stays
 * in L2), then 16-row tiles of W (dequantized once per block into the L1
 * panel), then MR-row blocks of A. */
static void gemm_panel(const qcts_gemm_args *g, int64_t n0, int64_t n1, void *scratch, qcts_dequant_kernel dq)
{
    const qcts_qview *w = g->w;
    const int64_t K = w->cols, M = g->M;
    float *panel = (float *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);   /* KC * NR */
    float *tmp = panel + KC * NR;                                            /* NR * KC */
    float *side = tmp + NR * KC;                                             /* M * NR */
    float *ap = side + M * NR;                                               /* ceil(M/MR)*MR * KC */
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
            transpose_panel(tmp, kc, panel);
            for (int64_t m = 0; m < M; m += MR) {
                const int mr = M - m < MR ? (int)(M - m) : MR;
                ukernel_any(mr, kc, ap + m * kc, panel, c + m * ldc, ldc, k0 == 0);
            }
        }
    }
    for (int64_t nt = n0; nt < n1; nt += NR) {
        const int64_t nrows = n1 - nt < NR ? n1 - nt : NR;
        for (int64_t m = 0; m < M; m++) {
            float *yr = g->y + m * g->ldy + nt;
            if (nrows < NR)
                memcpy(yr, side + m * NR, sizeof(float) * (size_t)nrows);
            if (g->bias)
                for (int64_t j = 0; j < nrows; j++)
                    yr[j] = yr[j] + g->bias[nt + j];
        }
    }
}

/* The registered GEMM kernels: gemm.inc lines with mr > 1, each bound to
 * the dequant kernel of its scheme. */
#define QCTS_PANEL_1(symbol, scheme)
#define QCTS_PANEL_8(symbol, scheme) /* avx512/gemm-panel.c */
#define QCTS_PANEL_6(symbol, scheme)                                                               \
    void symbol(const qcts_gemm_args *g, int64_t n0, int64_t n1, void *scratch)                    \
    {                                                                                               \
        gemm_panel(g, n0, n1, scratch, qcts_dequant_##scheme##__avx2);                             \
    }
#define X(isa, symbol, scheme, mr, nr) QCTS_PANEL_##mr(symbol, scheme)
#include "kernels/simd/gemm.inc"
#undef X
