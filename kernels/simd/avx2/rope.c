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
 * Frequencies and the attention factor come from the plan, computed once in
 * double with libm (this is an implementation under test, not the
 * reference: it does not use qref). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <stdlib.h>

#include "kernels/backend_say.h"
#include "kernels/opcall.h"
#include "kernels/simd/avx2/rowops.h"
#include "kernels/simd/simd.h"

#define PI_D 3.141592653589793

int64_t qcts_rope_scratch(const qcts_rope_desc *d) { return 6 * (int64_t)d->rot_dim + 32; }

static double yarn_g(double s, double m) { return s <= 1.0 ? 1.0 : 0.1 * m * log(s) + 1.0; }

int qcts_rope_plan_init(qcts_rope_plan *p, const qcts_rope_desc *d)
{
    memset(p, 0, sizeof *p);
    p->d = *d;
    int half = d->rot_dim / 2;
    if (half < 1)
        return -1;
    p->freq = calloc((size_t)half + 4, sizeof *p->freq);   /* padded to whole vectors with 0 */
    if (!p->freq)
        return -1;
    double R = (double)d->rot_dim, A = 1.0, low = 0, high = 0;
    if (d->scaling == QCTS_ROPE_SCALE_YARN) {
        double cf = R * log(d->orig_ctx / (d->beta_fast * 2 * PI_D)) / (2 * log(d->theta));
        double cs = R * log(d->orig_ctx / (d->beta_slow * 2 * PI_D)) / (2 * log(d->theta));
        low = fmax(floor(cf), 0.0);
        high = fmin(ceil(cs), R - 1);
        if (high == low)
            high += 0.001;
        A = d->mscale_all_dim > 0 ? yarn_g(d->factor, d->mscale) / yarn_g(d->factor, d->mscale_all_dim)
                                  : yarn_g(d->factor, 1.0);
    }
    for (int i = 0; i < half; i++) {
        double f = 1.0 / pow(d->theta, (double)(2 * i) / R);
        if (d->scaling == QCTS_ROPE_SCALE_LINEAR) {
            f /= d->factor;
        } else if (d->scaling == QCTS_ROPE_SCALE_YARN) {
            double ramp = fmin(fmax(((double)i - low) / (high - low), 0.0), 1.0);
            f = f / d->factor * ramp + f * (1.0 - ramp);
        } else if (d->scaling == QCTS_ROPE_SCALE_LLAMA3) {
            double wl = 2 * PI_D / f;
            if (wl > d->orig_ctx / d->low_freq_factor) {
                f /= d->factor;
            } else if (wl >= d->orig_ctx / d->high_freq_factor) {
                double s = (d->orig_ctx / wl - d->low_freq_factor) / (d->high_freq_factor - d->low_freq_factor);
                f = (1 - s) * f / d->factor + s * f;
            }
        }
        p->freq[i] = f;
    }
    p->attn = d->attn_factor > 0 ? d->attn_factor : A;
    return 0;
}

void qcts_rope_plan_free(qcts_rope_plan *p)
{
    free(p->freq);
    p->freq = NULL;
}

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

/* CC/SS rows of R floats for the layout (see the top). */
static void expand(int layout, int R, const float *cs, const float *sn, float *CC, float *SS)
{
    int half = R / 2;
    for (int i = 0; i < half; i++) {
        if (layout == QCTS_ROPE_GPTJ) {
            CC[2 * i] = CC[2 * i + 1] = cs[i];
            SS[2 * i] = -sn[i];
            SS[2 * i + 1] = sn[i];
        } else {
            CC[i] = CC[i + half] = cs[i];
            SS[i] = -sn[i];
            SS[i + half] = sn[i];
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

/* One head of D dims with the rotated dims at off. */
static void head(const qcts_rope_desc *d, const float *CC, const float *SS, const void *src, void *dst, int64_t base,
                 int D, int off)
{
    int R = d->rot_dim;
    if (off > 0)
        convert(d->in_dtype, src, base, d->out_dtype, dst, base, off);
    rotate(d->layout, R, CC, SS, d->in_dtype, src, base + off, d->out_dtype, dst, base + off);
    if (off + R < D)
        convert(d->in_dtype, src, base + off + R, d->out_dtype, dst, base + off + R, D - off - R);
}

void qcts_rope_rows__avx2(const qcts_rope_plan *p, const qcts_buffers *b, int64_t t0, int64_t t1, float *scratch)
{
    const qcts_rope_desc *d = &p->d;
    const int R = d->rot_dim, half = R / 2;
    float *cs = scratch, *sn = cs + half + 8, *CC = sn + half + 8, *SS = CC + R + 8, *tmp = SS + R + 8;
    const int32_t *pos = b->in[0];
    for (int64_t t = t0; t < t1; t++) {
        token_trig(p, pos[t], cs, sn, half);
        if (d->mode == QCTS_ROPE_CACHE) {
            convert(QCTS_DT_F32, cs, 0, d->out_dtype, b->out[0], t * half, half);
            convert(QCTS_DT_F32, sn, 0, d->out_dtype, b->out[1], t * half, half);
            continue;
        }
        expand(d->layout, R, cs, sn, CC, SS);
        if (d->mode == QCTS_ROPE_MLA_SPLIT_FUSED) {
            const int H = d->q_heads, D = d->q_dim, nope = D - R;
            for (int h = 0; h < H; h++) {
                int64_t o = (t * H + h) * (int64_t)D, in_n = (t * H + h) * (int64_t)nope;
                convert(d->in_dtype, b->in[1], in_n, d->out_dtype, b->out[0], o, nope);
                rotate(d->layout, R, CC, SS, d->in_dtype, b->in[2], (t * H + h) * (int64_t)R, d->out_dtype,
                       b->out[0], o + nope);
                convert(d->in_dtype, b->in[3], in_n, d->out_dtype, b->out[1], o, nope);
            }
            /* k_pe once per token, then into every head (same bits) */
            rotate(d->layout, R, CC, SS, d->in_dtype, b->in[4], t * R, QCTS_DT_F32, tmp, 0);
            for (int h = 0; h < H; h++)
                convert(QCTS_DT_F32, tmp, 0, d->out_dtype, b->out[1], (t * H + h) * (int64_t)D + nope, R);
            continue;
        }
        for (int h = 0; h < d->q_heads; h++)
            head(d, CC, SS, b->in[1], b->out[0], (t * d->q_heads + h) * (int64_t)d->q_dim, d->q_dim, d->q_rot_off);
        for (int h = 0; h < d->k_heads; h++)
            head(d, CC, SS, b->in[2], b->out[1], (t * d->k_heads + h) * (int64_t)d->k_dim, d->k_dim, d->k_rot_off);
    }
}

/* ---- the avx2 backend's rope slot (kernels/opcall.h) ------------------------- */

typedef struct rope_call {
    qcts_opcall h;
    qcts_rope_desc d;
    qcts_buffers b;
    int threads;
    int64_t per;       /* scratch floats per thread */
    float *scratch;
    qcts_rope_plan plan;
} rope_call;

static void rope_part(void *ctx, int t, int64_t lo, int64_t hi)
{
    const rope_call *c = ctx;
    qcts_rope_rows__avx2(&c->plan, &c->b, lo, hi, c->scratch + (size_t)t * (size_t)c->per);
}

static qcts_status rope_run(qcts_opcall *oc, char *msg, size_t n)
{
    rope_call *c = (rope_call *)oc;
    if (qcts_parallel_for(c->threads, c->d.tokens, 1, rope_part, c) != 0)
        return qcts_say(QCTS_ERROR, msg, n, "avx2: rope: could not start threads");
    return QCTS_OK;
}

static void rope_release(qcts_opcall *oc)
{
    rope_call *c = (rope_call *)oc;
    if (!c)
        return;
    qcts_rope_plan_free(&c->plan);
    free(c->scratch);
    free(c);
}

qcts_status qcts_avx2_rope(const qcts_rope_desc *d, const qcts_buffers *b, qcts_call **call, char *msg, size_t n)
{
    char why[256];
    *call = NULL;
    if (!qcts_isa_cpu_ok(QCTS_ISA_AVX2, why, sizeof why))
        return qcts_say(QCTS_UNAVAILABLE, msg, n, "%s", why);
    qcts_op_io io;
    qcts_status st = qcts_opcall_check(QCTS_OP_ROPE, d, b, "avx2", &io, msg, n);
    if (st != QCTS_OK)
        return st;
    rope_call *c = calloc(1, sizeof *c);
    if (!c)
        return qcts_say(QCTS_ERROR, msg, n, "avx2: out of memory");
    c->h = (qcts_opcall){ QCTS_OP_ROPE, rope_run, rope_release, "qcts_rope_rows__avx2" };
    c->d = *d;
    c->b = *b;
    c->threads = d->threads > 0 ? (d->threads < 256 ? d->threads : 256) : 1;
    c->per = (qcts_rope_scratch(d) + 15) & ~(int64_t)15;
    c->scratch = malloc((size_t)c->per * (size_t)c->threads * sizeof(float));
    if (!c->scratch || qcts_rope_plan_init(&c->plan, d) != 0) {
        rope_release(&c->h);
        return qcts_say(QCTS_ERROR, msg, n, "avx2: out of memory");
    }
    *call = (qcts_call *)(void *)c;
    return QCTS_OK;
}
