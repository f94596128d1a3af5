/* Rounding, loading and storing helpers shared by the row ops (qref/norm.h,
 * qref/rope.h): one rounding from double to F32/F16/BF16, the unit
 * roundoffs the bounds use, and bounds rounded up to float32. */
#include <string.h>

#include "qref/bits.h"
#include "qref/norm.h"
#include "qref/scheme.h"

int qref_rowop_dtype_ok(qref_fmt dt) { return dt == QREF_FMT_F32 || dt == QREF_FMT_F16 || dt == QREF_FMT_BF16; }

/* NaN results are stored as the positive quiet NaN: x86 makes 0/0 and
 * inf - inf negative, aarch64 positive, and golden bytes must not depend on
 * the host (NaN matches any NaN in the check anyway). */
static double canon(double x)
{
    if (x == x)
        return x;
    uint64_t u = 0x7FF8000000000000ull;
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

double qref_rowop_round(qref_fmt dt, double x)
{
    x = canon(x);
    switch (dt) {
    case QREF_FMT_F16: return (double)qref_f16_to_f32(qref_round2_to_f16(x, 0.0));
    case QREF_FMT_BF16: return (double)qref_bf16_to_f32(qref_round2_to_bf16(x, 0.0));
    default: return (double)qref_round2_to_f32(x, 0.0);
    }
}

double qref_rowop_unit(qref_fmt dt)
{
    switch (dt) {
    case QREF_FMT_F32: return 0x1p-24;
    case QREF_FMT_F16: return 0x1p-11;
    case QREF_FMT_BF16: return 0x1p-8;
    default: return 0.0;
    }
}

double qref_rowop_eta(qref_fmt dt)
{
    switch (dt) {
    case QREF_FMT_F32: return 0x1p-150;
    case QREF_FMT_F16: return 0x1p-25;
    case QREF_FMT_BF16: return 0x1p-134;
    default: return 0.0;
    }
}

float qref_rowop_bound_up(double x)
{
    if (!(x == x))
        return qref_f32_from_bits(0x7F800000u);
    float f = (float)x;
    if ((double)f < x)
        f = qref_f32_from_bits(qref_f32_bits(f) + 1);   /* f >= 0; FLT_MAX + 1 ulp is Inf */
    return f;
}

double qref_rowop_load(qref_fmt dt, const void *buf, int64_t i)
{
    switch (dt) {
    case QREF_FMT_F16: return (double)qref_f16_to_f32(((const uint16_t *)buf)[i]);
    case QREF_FMT_BF16: return (double)qref_bf16_to_f32(((const uint16_t *)buf)[i]);
    default: return (double)((const float *)buf)[i];
    }
}

void qref_rowop_store(qref_fmt dt, void *buf, int64_t i, double x)
{
    x = canon(x);
    switch (dt) {
    case QREF_FMT_F16: ((uint16_t *)buf)[i] = qref_round2_to_f16(x, 0.0); break;
    case QREF_FMT_BF16: ((uint16_t *)buf)[i] = qref_round2_to_bf16(x, 0.0); break;
    default: ((float *)buf)[i] = qref_round2_to_f32(x, 0.0); break;
    }
}
