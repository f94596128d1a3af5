/* Quantized-activation GEMM: which mode pairs with which scheme, the
 * integer-dot kernel variants, and the activation layout each wants
 * (actq.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/simd/actq.h"
#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif

#define M_INT8 (1u << QCTS_AQ_INT8_TOKEN)
#define M_Q8_0 (1u << QCTS_AQ_GGUF_Q8_0)
#define M_Q8_K (1u << QCTS_AQ_GGUF_Q8_K)

#define AQ_KERNEL(sym) void sym(const qcts_gemm_args *g, int64_t n0, int64_t n1, void *scratch);
#if QCTS_SIMD_X86
AQ_KERNEL(qcts_aq_gguf_q4_0__avx512vnni)
AQ_KERNEL(qcts_aq_gguf_q8_0__avx512vnni)
AQ_KERNEL(qcts_aq_gguf_mxfp4__avx512vnni)
AQ_KERNEL(qcts_aq_int4_sym_g128__avx512vnni)
AQ_KERNEL(qcts_aq_fp4_g128_f16__avx512vnni)
AQ_KERNEL(qcts_aq_mxfp4__avx512vnni)
AQ_KERNEL(qcts_aq_gguf_q4_k__avx512vnni)
AQ_KERNEL(qcts_aq_gguf_q6_k__avx512vnni)
AQ_KERNEL(qcts_aq_int4_sym_g128__avx512bw)
AQ_KERNEL(qcts_aq_fp4_g128_f16__avx512bw)
AQ_KERNEL(qcts_aq_mxfp4__avx512bw)
AQ_KERNEL(qcts_aq_gguf_q4_k__avx512bw)
AQ_KERNEL(qcts_aq_gguf_q6_k__avx512bw)
AQ_KERNEL(qcts_aq_gguf_q4_0__avx2)
AQ_KERNEL(qcts_aq_gguf_q8_0__avx2)
AQ_KERNEL(qcts_aq_gguf_mxfp4__avx2)
AQ_KERNEL(qcts_aq_int4_sym_g128__avx2)
AQ_KERNEL(qcts_aq_fp4_g128_f16__avx2)
AQ_KERNEL(qcts_aq_mxfp4__avx2)
AQ_KERNEL(qcts_aq_gguf_q4_k__avx2)
AQ_KERNEL(qcts_aq_gguf_q6_k__avx2)
#endif
#if QCTS_SIMD_ARM64
AQ_KERNEL(qcts_aq_gguf_q4_0__neoni8mm)
AQ_KERNEL(qcts_aq_gguf_q8_0__neoni8mm)
AQ_KERNEL(qcts_aq_gguf_mxfp4__neoni8mm)
AQ_KERNEL(qcts_aq_gguf_q4_0__neondot)
AQ_KERNEL(qcts_aq_gguf_q8_0__neondot)
AQ_KERNEL(qcts_aq_gguf_mxfp4__neondot)
AQ_KERNEL(qcts_aq_int4_sym_g128__neondot)
AQ_KERNEL(qcts_aq_fp4_g128_f16__neondot)
AQ_KERNEL(qcts_aq_mxfp4__neondot)
AQ_KERNEL(qcts_aq_gguf_q4_k__neondot)
AQ_KERNEL(qcts_aq_gguf_q6_k__neondot)
#endif

#define V(isa, sym, scheme, modes, need, order, zoff, da) \
    { QCTS_ISA_##isa, #sym, #scheme, modes, need, order, zoff, da, sym },
static const qcts_actq_variant variants[] = {
#if QCTS_SIMD_X86
    /* avx512/gemv-q8.c: vpdpbusd on u8 weight codes (code - zoff = value) */
    V(AVX512, qcts_aq_gguf_q4_0__avx512vnni, gguf_q4_0, M_INT8 | M_Q8_0, 1, QCTS_AQO_GGUF4, 8, 0)
    V(AVX512, qcts_aq_gguf_q8_0__avx512vnni, gguf_q8_0, M_INT8 | M_Q8_0, 1, QCTS_AQO_NATURAL, 128, 0)
    V(AVX512, qcts_aq_gguf_mxfp4__avx512vnni, gguf_mxfp4, M_INT8 | M_Q8_0, 1, QCTS_AQO_GGUF4, 12, 0)
    V(AVX512, qcts_aq_int4_sym_g128__avx512vnni, int4_sym_g128, M_INT8, 1, QCTS_AQO_EVENODD128, 8, 0)
    V(AVX512, qcts_aq_fp4_g128_f16__avx512vnni, fp4_g128_f16, M_INT8, 1, QCTS_AQO_EVENODD128, 12, 0)
    V(AVX512, qcts_aq_mxfp4__avx512vnni, mxfp4, M_INT8, 1, QCTS_AQO_EVENODD128, 12, 0)
    /* avx512/gemv-q8k.c: q8_K (codes read in column order from aq->q, bsums from aq->bsums) */
    V(AVX512, qcts_aq_gguf_q4_k__avx512vnni, gguf_q4_k, M_Q8_K, 1, QCTS_AQO_NATURAL, 0, 0)
    V(AVX512, qcts_aq_gguf_q6_k__avx512vnni, gguf_q6_k, M_Q8_K, 1, QCTS_AQO_NATURAL, 0, 0)
    /* avx512/gemv-q8-bw.c, gemv-q8k-bw.c: the same without VNNI (vpmaddubsw + vpmaddwd);
     * after the VNNI rows, so only a CPU without VNNI (or QCTS_ACTQ_NOVNNI=1) gets them */
    V(AVX512, qcts_aq_int4_sym_g128__avx512bw, int4_sym_g128, M_INT8, 0, QCTS_AQO_EVENODD128, 8, 0)
    V(AVX512, qcts_aq_fp4_g128_f16__avx512bw, fp4_g128_f16, M_INT8, 0, QCTS_AQO_EVENODD128, 12, 0)
    V(AVX512, qcts_aq_mxfp4__avx512bw, mxfp4, M_INT8, 0, QCTS_AQO_EVENODD128, 12, 0)
    V(AVX512, qcts_aq_gguf_q4_k__avx512bw, gguf_q4_k, M_Q8_K, 0, QCTS_AQO_NATURAL, 0, 0)
    V(AVX512, qcts_aq_gguf_q6_k__avx512bw, gguf_q6_k, M_Q8_K, 0, QCTS_AQO_NATURAL, 0, 0)
    /* avx2/gemv-q8.c: vpmaddubsw + vpmaddwd (q8_0 weights: the sign trick, signed) */
    V(AVX2, qcts_aq_gguf_q4_0__avx2, gguf_q4_0, M_INT8 | M_Q8_0, 0, QCTS_AQO_NATURAL, 8, 1)
    V(AVX2, qcts_aq_gguf_q8_0__avx2, gguf_q8_0, M_INT8 | M_Q8_0, 0, QCTS_AQO_NATURAL, 0, 1)
    V(AVX2, qcts_aq_gguf_mxfp4__avx2, gguf_mxfp4, M_INT8 | M_Q8_0, 0, QCTS_AQO_NATURAL, 12, 1)
    V(AVX2, qcts_aq_int4_sym_g128__avx2, int4_sym_g128, M_INT8, 0, QCTS_AQO_EVENODD64, 8, 0)
    V(AVX2, qcts_aq_fp4_g128_f16__avx2, fp4_g128_f16, M_INT8, 0, QCTS_AQO_EVENODD64, 12, 0)
    V(AVX2, qcts_aq_mxfp4__avx2, mxfp4, M_INT8, 0, QCTS_AQO_EVENODD64, 12, 0)
    /* avx2/gemv-q8k.c */
    V(AVX2, qcts_aq_gguf_q4_k__avx2, gguf_q4_k, M_Q8_K, 0, QCTS_AQO_NATURAL, 0, 0)
    V(AVX2, qcts_aq_gguf_q6_k__avx2, gguf_q6_k, M_Q8_K, 0, QCTS_AQO_NATURAL, 0, 0)
#endif
#if QCTS_SIMD_ARM64
    /* neon/gemv-q8-i8mm.c: SMMLA 2 x 2 tiles for M >= 2 (first: chosen where the CPU has i8mm) */
    V(NEON, qcts_aq_gguf_q4_0__neoni8mm, gguf_q4_0, M_INT8 | M_Q8_0, 2, QCTS_AQO_NATURAL, 0, 0)
    V(NEON, qcts_aq_gguf_q8_0__neoni8mm, gguf_q8_0, M_INT8 | M_Q8_0, 2, QCTS_AQO_NATURAL, 0, 0)
    V(NEON, qcts_aq_gguf_mxfp4__neoni8mm, gguf_mxfp4, M_INT8 | M_Q8_0, 2, QCTS_AQO_NATURAL, 0, 0)
    /* neon/gemv-q8.c: sdot on signed weight values (no offset) */
    V(NEON, qcts_aq_gguf_q4_0__neondot, gguf_q4_0, M_INT8 | M_Q8_0, 1, QCTS_AQO_NATURAL, 0, 0)
    V(NEON, qcts_aq_gguf_q8_0__neondot, gguf_q8_0, M_INT8 | M_Q8_0, 1, QCTS_AQO_NATURAL, 0, 0)
    V(NEON, qcts_aq_gguf_mxfp4__neondot, gguf_mxfp4, M_INT8 | M_Q8_0, 1, QCTS_AQO_NATURAL, 0, 0)
    V(NEON, qcts_aq_int4_sym_g128__neondot, int4_sym_g128, M_INT8, 1, QCTS_AQO_EVENODD32, 0, 0)
    V(NEON, qcts_aq_fp4_g128_f16__neondot, fp4_g128_f16, M_INT8, 1, QCTS_AQO_EVENODD32, 0, 0)
    V(NEON, qcts_aq_mxfp4__neondot, mxfp4, M_INT8, 1, QCTS_AQO_EVENODD32, 0, 0)
    /* neon/gemv-q8k.c */
    V(NEON, qcts_aq_gguf_q4_k__neondot, gguf_q4_k, M_Q8_K, 1, QCTS_AQO_NATURAL, 0, 0)
    V(NEON, qcts_aq_gguf_q6_k__neondot, gguf_q6_k, M_Q8_K, 1, QCTS_AQO_NATURAL, 0, 0)
#endif
    { QCTS_ISA_SCALAR, NULL, NULL, 0, 0, 0, 0, 0, NULL }
};

const char *qcts_actq_mode_name(uint32_t mode)
{
    static const char *const n[] = { "none", "int8_token", "fp8_e4m3_tensor", "fp8_e4m3_token",
                                      "gguf_q8_0", "gguf_q8_1", "gguf_q8_k" };
    return mode < sizeof n / sizeof n[0] ? n[mode] : "unknown";
}

int qcts_actq_pair_ok(uint32_t mode, const qref_scheme *s, char *why, size_t n)
{
    if (!s) {
        if (why && n)
            snprintf(why, n, "unknown scheme");
        return 0;
    }
    static const char *const q8_0[] = { "gguf_q4_0", "gguf_q8_0", "gguf_mxfp4", "gguf_nvfp4", NULL };
    static const char *const q8_1[] = { "gguf_q4_1", NULL };
    static const char *const q8_k[] = { "gguf_q4_k", "gguf_q6_k", "gguf_iq2_xxs", "gguf_iq3_xxs", NULL };
    const char *const *list = NULL;
    switch (mode) {
    case QCTS_AQ_INT8_TOKEN:
    case QCTS_AQ_FP8_E4M3_TENSOR:
    case QCTS_AQ_FP8_E4M3_TOKEN: return 1;
    case QCTS_AQ_GGUF_Q8_0: list = q8_0; break;
    case QCTS_AQ_GGUF_Q8_1: list = q8_1; break;
    case QCTS_AQ_GGUF_Q8_K: list = q8_k; break;
    default:
        if (why && n)
            snprintf(why, n, "a_quant %u is not a qcts_act_quant value (1..6)", (unsigned)mode);
        return 0;
    }
    for (int i = 0; list[i]; i++)
        if (strcmp(list[i], s->name) == 0)
            return 1;
    if (why && n)
        snprintf(why, n, "a_quant %s does not pair with scheme %s (ggml's vec_dot_type pairs only)",
                 qcts_actq_mode_name(mode), s->name);
    return 0;
}

/* The CPU features a variant needs beyond its ISA (need 1: AVX512-VNNI +
 * VBMI, dotprod; need 2: dotprod + i8mm).
 * QCTS_ACTQ_NOVNNI=1 treats the CPU as one without VNNI (tests, bench: the
 * AVX-512 BW kernels on a VNNI machine). */
static int feature_ok(qcts_isa isa, int need)
{
#if QCTS_SIMD_X86
    if (isa == QCTS_ISA_AVX512) {
        if (getenv("QCTS_ACTQ_NOVNNI"))
            return 0;
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512vbmi");
    }
#endif
#if defined(__aarch64__) && defined(__linux__)
    if (isa == QCTS_ISA_NEON) {
        const int dp = (getauxval(AT_HWCAP) & (1ul << 20)) != 0;   /* HWCAP_ASIMDDP */
        if (need == 2)   /* HWCAP2_I8MM; QCTS_ACTQ_NOI8MM=1: as a CPU without it */
            return dp && (getauxval(AT_HWCAP2) & (1ul << 13)) != 0 && !getenv("QCTS_ACTQ_NOI8MM");
        return dp;
    }
#endif
    (void)isa;
    (void)need;
    return 0;
}

const qcts_actq_variant *qcts_actq_variant_best(qcts_isa isa, uint32_t mode, const char *scheme, int64_t K)
{
    if (K % (strncmp(scheme, "gguf_", 5) == 0 ? 32 : 128) != 0)   /* the kernels' step; else generic */
        return NULL;
    if (getenv("QCTS_ACTQ_GENERIC"))   /* bench / tests: the generic product on purpose */
        return NULL;
    for (; isa != QCTS_ISA_SCALAR; isa = qcts_isa_fallback(isa))
        for (const qcts_actq_variant *v = variants; v->symbol; v++)
            if (v->isa == isa && (v->modes & (1u << mode)) && strcmp(v->scheme, scheme) == 0 &&
                (!v->need || feature_ok(isa, v->need)))
                return v;
    return NULL;
}

/* Columns whose codes share dot lanes with the next ones (the two nibbles
 * of a code byte): half a chunk; 0 for the natural order. */
static int64_t half_chunk(qcts_actq_order o)
{
    return o == QCTS_AQO_EVENODD32 ? 16 : o == QCTS_AQO_EVENODD64 ? 32 : o == QCTS_AQO_NATURAL ? 0 : 64;
}

void qcts_actq_layout(qcts_actq *aq, const qcts_actq_variant *v)
{
    if (!v || !aq->pa)
        return;
    const int64_t M = aq->M, K = aq->K, kp = aq->kpad;
    const int64_t c = half_chunk(v->order);
    for (int64_t m = 0; m < M; m++) {
        int8_t *pa = aq->pa + m * kp;
        const int8_t *q = aq->q + m * K;
        memset(pa + K, 0, (size_t)(kp - K));
        if (v->order == QCTS_AQO_NATURAL) {
            memcpy(pa, q, (size_t)K);
        } else if (v->order == QCTS_AQO_GGUF4) {   /* K % 32 == 0 (GGUF) */
            memset(pa + K - K % 128, 0, (size_t)(K % 128));
            for (int64_t k0 = 0; k0 < K; k0 += 32) {
                int8_t *d = pa + (k0 - k0 % 128) + (k0 % 128) / 32 * 16;
                memcpy(d, q + k0, 16);
                memcpy(d + 64, q + k0 + 16, 16);
            }
        } else {   /* even/odd per chunk of 2c columns (K % 128 == 0) */
            for (int64_t k0 = 0; k0 < K; k0 += 2 * c)
                for (int64_t j = 0; j < c; j++) {
                    pa[k0 + j] = q[k0 + 2 * j];
                    pa[k0 + c + j] = q[k0 + 2 * j + 1];
                }
        }
        int32_t *corr = aq->corr + m * (kp / 4);
        for (int64_t l = 0; l < kp / 4; l++)
            corr[l] = -v->zoff * (pa[4 * l] + pa[4 * l + 1] + pa[4 * l + 2] + pa[4 * l + 3]);
        /* the two halves of a chunk share dot lanes (one code byte holds a
         * column of each): lane l of the first half carries both
         * corrections, the second half none */
        if (c > 0)
            for (int64_t l0 = 0; l0 < kp / 4; l0 += c / 2)
                for (int64_t l = l0; l < l0 + c / 4; l++) {
                    corr[l] += corr[l + c / 4];
                    corr[l + c / 4] = 0;
                }
        if (v->da) {
            float *da = aq->da + m * aq->dastride;
            for (int64_t b = 0; b < aq->dastride / 8; b++)
                for (int i = 0; i < 8; i++)
                    da[8 * b + i] = aq->mode == QCTS_AQ_GGUF_Q8_0 && b < aq->nblk ? aq->bd[m * aq->nblk + b] : 1.0f;
        }
    }
}
