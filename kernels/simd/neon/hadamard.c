/* NEON Hadamard transform of rows (qcts/op_hadamard.h) and the neon
 * backend's hadamard slot. The network of avx2/hadamard.c and qref: each
 * output is formed by k = log2 n float32 butterflies (a + b, a - b with a
 * the lower index), so integer rows with n max|x| <= 2^24 are exact and
 * other rows meet qref_hadamard_bound. Stages h = 1, 2 run inside a
 * register (unzip / halves + add/sub + zip), h >= 4 across registers, two
 * stages per pass; then one float32 scaling and one rounding to out_dtype
 * (the NEON conversions). Rows split over the thread pool; a row's bits
 * depend on n only (the driver and slot: hadamard_rows.inc). */
#include <stdlib.h>

#include "kernels/backend_say.h"
#include "kernels/opcall.h"
#include "kernels/simd/neon/common.h"
#include "qcts/op_hadamard.h"
#include "qref/hadamard.h"

/* Stages h = 1, 2 on 4 consecutive values. */
QCTS_NEON_INLINE float32x4_t stages_12(float32x4_t x)
{
    const float32x4_t e = vuzp1q_f32(x, x), o = vuzp2q_f32(x, x);   /* x0 x2 . . | x1 x3 . . */
    x = vzip1q_f32(vaddq_f32(e, o), vsubq_f32(e, o));               /* x0+x1, x0-x1, x2+x3, x2-x3 */
    const float32x2_t a = vget_low_f32(x), b = vget_high_f32(x);
    return vcombine_f32(vadd_f32(a, b), vsub_f32(a, b));
}

/* Stages (h, 2h) in one pass over i, i+h, i+2h, i+3h. */
static void radix4(float *t, int64_t n, int64_t h)
{
    for (int64_t b = 0; b < n; b += 4 * h)
        for (int64_t i = b; i < b + h; i += 4) {
            const float32x4_t a0 = vld1q_f32(t + i), a1 = vld1q_f32(t + i + h);
            const float32x4_t a2 = vld1q_f32(t + i + 2 * h), a3 = vld1q_f32(t + i + 3 * h);
            const float32x4_t b0 = vaddq_f32(a0, a1), b1 = vsubq_f32(a0, a1);
            const float32x4_t b2 = vaddq_f32(a2, a3), b3 = vsubq_f32(a2, a3);
            vst1q_f32(t + i, vaddq_f32(b0, b2));
            vst1q_f32(t + i + h, vaddq_f32(b1, b3));
            vst1q_f32(t + i + 2 * h, vsubq_f32(b0, b2));
            vst1q_f32(t + i + 3 * h, vsubq_f32(b1, b3));
        }
}

/* t = H src (src may be t), unscaled. n >= 32. */
static void transform(const float *src, float *t, int64_t n)
{
    for (int64_t i = 0; i < n; i += 4)
        vst1q_f32(t + i, stages_12(vld1q_f32(src + i)));
    int64_t h = 4;
    for (; 4 * h <= n; h *= 4)
        radix4(t, n, h);
    if (h < n)   /* one stage left */
        for (int64_t b = 0; b < n; b += 2 * h)
            for (int64_t i = b; i < b + h; i += 4) {
                const float32x4_t a = vld1q_f32(t + i), c = vld1q_f32(t + i + h);
                vst1q_f32(t + i, vaddq_f32(a, c));
                vst1q_f32(t + i + h, vsubq_f32(a, c));
            }
}

QCTS_NEON_INLINE void scale_row(float *t, int64_t n, float s)
{
    for (int64_t i = 0; i < n; i += 4)
        vst1q_f32(t + i, vmulq_n_f32(vld1q_f32(t + i), s));
}

void qcts_neon_hadamard_rows(const void *x, qcts_dtype in_dt, void *y, qcts_dtype out_dt, int64_t n,
                             int normalized, int inverse, int64_t r0, int64_t r1);
qcts_status qcts_neon_hadamard_rows_slot(const qcts_hadamard_desc *d, const qcts_buffers *b, qcts_call **call,
                                         char *msg, size_t n);
#define HAD_ALIGN 16
#define HAD_CONVERT qcts_convert__neon
#define HAD_ROWS qcts_neon_hadamard_rows
#define HAD_SLOT qcts_neon_hadamard_rows_slot
#define HAD_ISA QCTS_ISA_NEON
#define HAD_WHO "neon"
#define HAD_VARIANT "qcts_hadamard_rows__neon"
#include "kernels/simd/hadamard_rows.inc"
