/* Generic (scalar) conversions between float32 and f16/bf16 bit patterns:
 * the qref/ codecs (exact widening, RNE narrowing). */
#include "kernels/simd/simd.h"
#include "qref/fmt.h"

static void f16_to_f32(const uint16_t *x, float *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        y[i] = qref_f16_to_f32(x[i]);
}

static void bf16_to_f32(const uint16_t *x, float *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        y[i] = qref_bf16_to_f32(x[i]);
}

static void f32_to_f16(const float *x, uint16_t *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        y[i] = qref_f32_to_f16(x[i]);
}

static void f32_to_bf16(const float *x, uint16_t *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        y[i] = qref_f32_to_bf16(x[i]);
}

const qcts_convert_ops qcts_convert__scalar = { f16_to_f32, bf16_to_f32, f32_to_f16, f32_to_bf16 };

const qcts_convert_ops *qcts_convert_ops_for(qcts_isa isa)
{
#if QCTS_SIMD_X86
    if (isa == QCTS_ISA_AVX512)
        return &qcts_convert__avx512;
    if (isa == QCTS_ISA_AVX2)
        return &qcts_convert__avx2;
#endif
#if QCTS_SIMD_ARM64
    if (isa == QCTS_ISA_NEON)
        return &qcts_convert__neon;
#endif
    (void)isa;
    return &qcts_convert__scalar;
}
