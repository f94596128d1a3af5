/* The kernel registries as tables (from dequant.inc and gemm.inc). */
#include <string.h>

#include "kernels/simd/simd.h"

#define QCTS_ISA_scalar QCTS_ISA_SCALAR
#define QCTS_ISA_avx2 QCTS_ISA_AVX2
#define QCTS_ISA_avx512 QCTS_ISA_AVX512
#define QCTS_ISA_neon QCTS_ISA_NEON

const qcts_dequant_variant qcts_dequant_variants[] = {
#define X(isa, symbol, scheme, block) { QCTS_ISA_##isa, #symbol, #scheme, block, symbol },
#include "kernels/simd/dequant.inc"
#undef X
    { QCTS_ISA_SCALAR, NULL, NULL, 0, NULL }
};
const size_t qcts_dequant_variant_count = sizeof qcts_dequant_variants / sizeof qcts_dequant_variants[0] - 1;

const qcts_gemm_variant qcts_gemm_variants[] = {
#define X(isa, symbol, scheme, mr, nr) { QCTS_ISA_##isa, #symbol, #scheme, mr, nr, symbol },
#include "kernels/simd/gemm.inc"
#undef X
    { QCTS_ISA_SCALAR, NULL, NULL, 0, 0, NULL }
};
const size_t qcts_gemm_variant_count = sizeof qcts_gemm_variants / sizeof qcts_gemm_variants[0] - 1;

const qcts_dequant_variant *qcts_dequant_variant_find(qcts_isa isa, const char *scheme)
{
    for (size_t i = 0; i < qcts_dequant_variant_count; i++)
        if (qcts_dequant_variants[i].isa == isa && strcmp(qcts_dequant_variants[i].scheme, scheme) == 0)
            return &qcts_dequant_variants[i];
    return NULL;
}

const qcts_gemm_variant *qcts_gemm_variant_find(qcts_isa isa, const char *scheme, int gemv)
{
    for (size_t i = 0; i < qcts_gemm_variant_count; i++) {
        const qcts_gemm_variant *v = &qcts_gemm_variants[i];
        if (v->isa == isa && (v->mr == 1) == (gemv != 0) && strcmp(v->scheme, scheme) == 0)
            return v;
    }
    return NULL;
}

qcts_isa qcts_isa_fallback(qcts_isa isa) { return isa == QCTS_ISA_AVX512 ? QCTS_ISA_AVX2 : QCTS_ISA_SCALAR; }

const qcts_dequant_variant *qcts_dequant_variant_best(qcts_isa isa, const char *scheme)
{
    for (; isa != QCTS_ISA_SCALAR; isa = qcts_isa_fallback(isa)) {
        const qcts_dequant_variant *v = qcts_dequant_variant_find(isa, scheme);
        if (v)
            return v;
    }
    return NULL;
}

const qcts_gemm_variant *qcts_gemm_variant_best(qcts_isa isa, const char *scheme, int m1)
{
    for (int gemv = m1 ? 1 : 0; gemv >= 0; gemv--)
        for (qcts_isa i = isa; i != QCTS_ISA_SCALAR; i = qcts_isa_fallback(i)) {
            const qcts_gemm_variant *v = qcts_gemm_variant_find(i, scheme, gemv);
            if (v)
                return v;
        }
    return NULL;
}
