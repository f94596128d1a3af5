/* RoPE, AVX2 (qcts/op_rope.h): every mode, F32/F16/BF16 in and out.
 *
 * Per token, the cos/sin of the R/2 angles pos · f_i are computed in double,
 * four at a time (Cody–Waite reduction by pi/2 in three 21-bit pieces, so
 * k · piece is exact for |k| < 2^32; Taylor polynomials on [-pi/4, pi/4]),
 * which keeps the angle exact to double precision even at positions of
 * 2^24 and beyond, where a float32 angle is off by whole radians' worth of
 * ulps. They are rounded to float32 once and expanded into two rows of R
 * floats (CC, SS) laid out like the head, so the rotation of every head is
 *   NeoX:  y[j] = x[j] CC[j] + x[j ± R/2] SS[j]    (SS = −s | +s)
 *   GPT-J: y[j] = x[j] CC[j] + x[j ^ 1] SS[j]      (SS = −s, +s, ...)
 * one multiply and one FMA per element, then one rounding to out_dtype.
 * Frequencies and the attention factor come from the plan (rope_plan.c);
 * the driver and the slot are rope_rows.inc, shared with neon/rope.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <stdlib.h>

#include "kernels/backend_say.h"
#include "kernels/opcall.h"
#include "kernels/simd/avx2/rowops.h"
#include "kernels/simd/simd.h"

/* sin and cos of 4 doubles (|x| < 2^31). */
static inline void sincos4(__m256d x, __m256d *s, __m256d *c)
{
    const __m256d P0 = _mm256_set1_pd(0x1.921fb00000000p+0), P1 = _mm256_set1_pd(0x1.5110b00000000p-22),
                  P2 = _mm256_set1_pd(0x1.1846a00000000p-44), P3 = _mm256_set1_pd(-0x1.d9ccf00000000p-66);
    __m256d k = _mm256_round_pd(_mm256_mul_pd(x, _mm256_set1_pd(0x1.45f306dc9c883p-1)),
                                _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256d r = _mm256_sub_pd(x, _mm256_mul_pd(k, P0));
    r = _mm256_sub_pd(r, _mm256_mul_pd(k, P1));
    r = _mm256_sub_pd(r, _mm256_mul_pd(k, P2));
    r = _mm256_sub_pd(r, _mm256_mul_pd(k, P3));
    __m256d z = _mm256_mul_pd(r, r);
    /* sin r = r + r z S(z), cos r = 1 − z/2 + z² C(z): Taylor to r^17 / r^16 */
    __m256d S = _mm256_set1_pd(1.0 / 355687428096000.0);
    S = _mm256_fmadd_pd(S, z, _mm256_set1_pd(-1.0 / 1307674368000.0));
    S = _mm256_fmadd_pd(S, z, _mm256_set1_pd(1.0 / 6227020800.0));
    S = _mm256_fmadd_pd(S, z, _mm256_set1_pd(-1.0 / 39916800.0));
    S = _mm256_fmadd_pd(S, z, _mm256_set1_pd(1.0 / 362880.0));
    S = _mm256_fmadd_pd(S, z, _mm256_set1_pd(-1.0 / 5040.0));
    S = _mm256_fmadd_pd(S, z, _mm256_set1_pd(1.0 / 120.0));
    S = _mm256_fmadd_pd(S, z, _mm256_set1_pd(-1.0 / 6.0));
    __m256d sr = _mm256_fmadd_pd(_mm256_mul_pd(r, z), S, r);
    __m256d C = _mm256_set1_pd(1.0 / 20922789888000.0);
    C = _mm256_fmadd_pd(C, z, _mm256_set1_pd(-1.0 / 87178291200.0));
    C = _mm256_fmadd_pd(C, z, _mm256_set1_pd(1.0 / 479001600.0));
    C = _mm256_fmadd_pd(C, z, _mm256_set1_pd(-1.0 / 3628800.0));
    C = _mm256_fmadd_pd(C, z, _mm256_set1_pd(1.0 / 40320.0));
    C = _mm256_fmadd_pd(C, z, _mm256_set1_pd(-1.0 / 720.0));
    C = _mm256_fmadd_pd(C, z, _mm256_set1_pd(1.0 / 24.0));
    __m256d cr = _mm256_fmadd_pd(_mm256_mul_pd(z, z), C, _mm256_fnmadd_pd(z, _mm256_set1_pd(0.5), _mm256_set1_pd(1.0)));
    /* quadrant q = k mod 4: sin = (s, c, −s, −c)[q], cos = (c, −s, −c, s)[q] */
    __m128i q = _mm256_cvtpd_epi32(k);
    __m256i q64 = _mm256_cvtepi32_epi64(q);
    __m256d swap = _mm256_castsi256_pd(_mm256_slli_epi64(q64, 63));                       /* q odd */
    __m256d sneg = _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_srli_epi64(q64, 1), 63));  /* q = 2, 3 */
    __m256d cneg = _mm256_castsi256_pd(
        _mm256_slli_epi64(_mm256_xor_si256(q64, _mm256_srli_epi64(q64, 1)), 63));         /* q = 1, 2 */
    __m256d sv = _mm256_blendv_pd(sr, cr, swap), cv = _mm256_blendv_pd(cr, sr, swap);
    *s = _mm256_xor_pd(sv, sneg);
    *c = _mm256_xor_pd(cv, cneg);
}

/* A cos, A sin of the token's angles into cs[0..half), sn[0..half), float32. */
static void token_trig(const qcts_rope_plan *p, int32_t pos, float *cs, float *sn, int half)
{
    __m256d P = _mm256_set1_pd((double)pos), A = _mm256_set1_pd(p->attn);
    int i = 0;
    for (; i < half; i += 4) {
        __m256d s, c;
        sincos4(_mm256_mul_pd(P, _mm256_loadu_pd(p->freq + i)), &s, &c);
        __m128 cf = _mm256_cvtpd_ps(_mm256_mul_pd(c, A)), sf = _mm256_cvtpd_ps(_mm256_mul_pd(s, A));
        if (i + 4 <= half) {
            _mm_storeu_ps(cs + i, cf);
            _mm_storeu_ps(sn + i, sf);
        } else {
            float tc[4], ts[4];
            _mm_storeu_ps(tc, cf);
            _mm_storeu_ps(ts, sf);
            for (int j = 0; i + j < half; j++)
                cs[i + j] = tc[j], sn[i + j] = ts[j];
        }
    }
}

static void convert(int sdt, const void *src, int64_t so, int ddt, void *dst, int64_t dof, int64_t n)
{
    if (sdt == ddt) {
        size_t es = sdt == QCTS_DT_F32 ? 4 : 2;
        memcpy((char *)dst + (size_t)dof * es, (const char *)src + (size_t)so * es, (size_t)n * es);
        return;
    }
    int64_t j = 0;
    for (; j + 8 <= n; j += 8)
        rowop_store8(ddt, dst, dof + j, rowop_load8(sdt, src, so + j));
    for (; j < n; j++)
        rowop_store1(ddt, dst, dof + j, rowop_load1(sdt, src, so + j));
}

/* The R rotated dims at src[so..] into dst[dof..]. */
static void rotate(int layout, int R, const float *CC, const float *SS, int sdt, const void *src, int64_t so, int ddt,
                   void *dst, int64_t dof)
{
    int half = R / 2, j = 0;
    if (layout == QCTS_ROPE_GPTJ) {
        for (; j + 8 <= R; j += 8) {
            __m256 x = rowop_load8(sdt, src, so + j);
            __m256 xs = _mm256_permute_ps(x, 0xB1);
            __m256 y = _mm256_fmadd_ps(x, _mm256_loadu_ps(CC + j), _mm256_mul_ps(xs, _mm256_loadu_ps(SS + j)));
            rowop_store8(ddt, dst, dof + j, y);
        }
        for (; j < R; j++) {
            float x = rowop_load1(sdt, src, so + j), xs = rowop_load1(sdt, src, so + (j ^ 1));
            rowop_store1(ddt, dst, dof + j, __builtin_fmaf(x, CC[j], xs * SS[j]));
        }
        return;
    }
    for (; j + 8 <= half; j += 8) {
        __m256 a = rowop_load8(sdt, src, so + j), b = rowop_load8(sdt, src, so + half + j);
        __m256 ya = _mm256_fmadd_ps(a, _mm256_loadu_ps(CC + j), _mm256_mul_ps(b, _mm256_loadu_ps(SS + j)));
        __m256 yb =
            _mm256_fmadd_ps(b, _mm256_loadu_ps(CC + half + j), _mm256_mul_ps(a, _mm256_loadu_ps(SS + half + j)));
        rowop_store8(ddt, dst, dof + j, ya);
        rowop_store8(ddt, dst, dof + half + j, yb);
    }
    for (; j < half; j++) {
        float a = rowop_load1(sdt, src, so + j), b = rowop_load1(sdt, src, so + half + j);
        rowop_store1(ddt, dst, dof + j, __builtin_fmaf(a, CC[j], b * SS[j]));
        rowop_store1(ddt, dst, dof + half + j, __builtin_fmaf(b, CC[half + j], a * SS[half + j]));
    }
}

#define QCTS_ROPE_ROWS qcts_rope_rows__avx2
#define QCTS_ROPE_SLOT qcts_avx2_rope
#define QCTS_ROPE_ISA QCTS_ISA_AVX2
#define QCTS_ROPE_WHO "avx2"
#define QCTS_ROPE_VARIANT "qcts_rope_rows__avx2"
#include "kernels/simd/rope_rows.inc"
