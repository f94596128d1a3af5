/* AVX-512 GEMM (any M) on quantized weights: dequantize-then-multiply, as
 * avx2/gemm-panel.c with wider tiles.
 *
 * For each tile of NR = 32 weight rows and each block of KC = 256 columns (every dequant block divides 256),
 * the scheme's best dequant kernel (its AVX-512 one, else its AVX2 one:
 * qcts_dequant_variant_best) writes the float32 weights of the 32 rows,
 * transposed into a KC x 32 panel (32 KiB); an MR x 32 micro-kernel
 * (MR = 8: 16 zmm accumulators, 2 panel loads and 8 broadcasts of A per k)
 * runs over every block of MR rows of A.
 *
 * Order: every output is one FMA chain, k ascending from +0 (KC blocks
 * continue the chain through Y), then + bias; the same chain for the M
 * tail and for partial tiles (zero rows in the panel, results in a side
 * tile), so the bits depend on neither the thread count nor the split. */
#include "kernels/simd/avx512/common.h"

#define KC 256
#define NR 32
#define MR 8

/* 8 x 8 block: dst[k * NR + r] = src[r * KC + k]. */
QCTS_AVX512_INLINE void transpose8(const float *t, float *p)
{
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
    _mm256_storeu_ps(p + 0 * NR, _mm256_permute2f128_ps(u0, u4, 0x20));
    _mm256_storeu_ps(p + 1 * NR, _mm256_permute2f128_ps(u1, u5, 0x20));
    _mm256_storeu_ps(p + 2 * NR, _mm256_permute2f128_ps(u2, u6, 0x20));
    _mm256_storeu_ps(p + 3 * NR, _mm256_permute2f128_ps(u3, u7, 0x20));
    _mm256_storeu_ps(p + 4 * NR, _mm256_permute2f128_ps(u0, u4, 0x31));
    _mm256_storeu_ps(p + 5 * NR, _mm256_permute2f128_ps(u1, u5, 0x31));
    _mm256_storeu_ps(p + 6 * NR, _mm256_permute2f128_ps(u2, u6, 0x31));
    _mm256_storeu_ps(p + 7 * NR, _mm256_permute2f128_ps(u3, u7, 0x31));
}

static void transpose_panel(const float *tmp, int64_t kc, float *panel)
{
    int64_t k = 0;
    for (; k + 8 <= kc; k += 8)
        for (int h = 0; h < NR / 8; h++)
            transpose8(tmp + 8 * h * KC + k, panel + k * NR + 8 * h);
    for (; k < kc; k++)
        for (int r = 0; r < NR; r++)
            panel[k * NR + r] = tmp[r * KC + k];
}

QCTS_AVX512_INLINE void ukernel(const int mr, int64_t kc, const float *a, const float *panel, float *c, int64_t ldc,
                                int first)
{
    __m512 acc[MR][2];
    QCTS_UNROLL for (int i = 0; i < mr; i++) {
        if (first) {
            acc[i][0] = _mm512_setzero_ps();
            acc[i][1] = _mm512_setzero_ps();
        } else {
            acc[i][0] = _mm512_loadu_ps(c + i * ldc);
            acc[i][1] = _mm512_loadu_ps(c + i * ldc + 16);
        }
    }
    for (int64_t k = 0; k < kc; k++) {
        const __m512 b0 = _mm512_load_ps(panel + k * NR), b1 = _mm512_load_ps(panel + k * NR + 16);
        QCTS_UNROLL for (int i = 0; i < mr; i++) {
            const __m512 ai = _mm512_set1_ps(a[k * MR + i]);
            acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
            acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
        }
    }
    QCTS_UNROLL for (int i = 0; i < mr; i++) {
        _mm512_storeu_ps(c + i * ldc, acc[i][0]);
        _mm512_storeu_ps(c + i * ldc + 16, acc[i][1]);
    }
}

static void ukernel_any(int mr, int64_t kc, const float *a, const float *panel, float *c, int64_t ldc, int first)
{
    switch (mr) {
    case 8: ukernel(8, kc, a, panel, c, ldc, first); break;
    case 7: ukernel(7, kc, a, panel, c, ldc, first); break;
    case 6: ukernel(6, kc, a, panel, c, ldc, first); break;
    case 5: ukernel(5, kc, a, panel, c, ldc, first); break;
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

/* Scratch (qcts_gemm_scratch_bytes covers it): panel KC x NR (64-byte
 * aligned), tmp NR x KC, side tile M x NR, packed A (M rounded up to MR) x KC. */
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
            transpose_panel(tmp, kc, panel);
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

/* The registered GEMM kernels (gemm.inc lines of isa avx512 with mr > 1):
 * each binds its scheme's best dequant kernel. */
#define QCTS_PANEL_1(symbol, scheme)
#define QCTS_PANEL_8(symbol, scheme)                                                               \
    void symbol(const qcts_gemm_args *g, int64_t n0, int64_t n1, void *scratch)                    \
    {                                                                                               \
        const qcts_dequant_variant *v = qcts_dequant_variant_best(QCTS_ISA_AVX512, #scheme);      \
        gemm_panel(g, n0, n1, scratch, v ? v->fn : qcts_dequant_span__scalar);                     \
    }
#define QCTS_PANEL_6(symbol, scheme)
#define X(isa, symbol, scheme, mr, nr) QCTS_PANEL_##mr(symbol, scheme)
#include "kernels/simd/gemm.inc"
#undef X
