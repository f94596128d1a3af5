/* gemm / gemv suites (CASES.md "gemm"): Y[b] = A[b]·W[b]ᵀ (+ bias[b]) on
 * one scheme preset. Three kinds of case, chosen by the case's dist:
 *   integers     exact fill: A holds integers in [-4, 4]; W random valid
 *                codes with power-of-two scales (FP8 codes near 1); bias,
 *                when present, integers in [-16, 16]. The generator asserts
 *                qref_gemm_is_exact_fill() for f32 accumulation, so every
 *                correct summation order gives y bit for bit: check exact,
 *                flag exact_fill.
 *   zeros        the canary: W quantized from an all-zero matrix (all-zero
 *                blocks for schemes without a quantizer), A gaussian, no
 *                bias: y is all +0. Check exact, flag degenerate: a harness
 *                must report it MISTRUSTED, never PASS.
 *   anything     random: A of that distribution (rounded to a_dtype), W the
 *   else         scheme's quantization of a matrix of that distribution
 *                (random valid blocks when the scheme has no quantizer, or
 *                for dist random_bits), bias gaussian. Check bound with the
 *                per-element bound of qref_gemm (f32 accumulation) stored
 *                as bound.y.
 * a_quant (qref/actquant.h) != none: the kernel quantizes A itself; the
 * expected y and bound are qref_gemm's with that mode. dist integers then
 * means "ties" (quant_ties below): every quantization scale is exactly 1
 * and most activations sit exactly on a rounding tie of their mode, so a
 * kernel that rounds one code differently gets other bits; still an exact
 * fill (asserted), check exact. */
#include <stdlib.h>
#include <string.h>

#include "gen_impl.h"
#include "qref/actquant.h"


enum { EXACT_AMAX = 4, EXACT_BIAS_AMAX = 16 };

static int has_quantizer(const qref_scheme *s)
{
    return !(s->family == QREF_FAMILY_GGUF && (s->gguf_type == 16 || s->gguf_type == 18));
}

/* Activations for a_quant with dist integers (rows of K, row-major): the
 * first element of every group is the group's amax with a random sign
 * (127; fp8: 448), so every scale is exactly 1 (int8 127/127, q8_0/q8_1
 * d = 127/127, q8_k iscale = -127/max = ∓1, fp8 448/448); the others are
 * ties of the mode's rounding: j + 1/2 with |j| < 60 (int8, q8: rne vs
 * roundf and nearest_int differ there; |Σq| <= 127 + 31·60 < 2048 keeps
 * q8_1's f16 sum exact), or the midpoint of two neighbouring e4m3 values
 * (fp8, values in [1, 16)); one in 8 (int8, q8) is an integer (no tie). */
static void quant_ties(qcts_rng *r, qref_aq mode, int64_t rows, int64_t K, float *a)
{
    int64_t grp = qref_aq_block(mode, K);
    int fp8 = mode == QREF_AQ_FP8_E4M3_TENSOR || mode == QREF_AQ_FP8_E4M3_TOKEN;
    for (int64_t i = 0; i < rows * K; i++) {
        float v;
        if (i % K % grp == 0) {
            v = fp8 ? 448.0f : 127.0f;
        } else if (fp8) {
            /* c, c + 1 in [1, 16): e4m3 steps of 1/8 .. 1, so the exact fill holds at K = 256 */
            uint8_t c = (uint8_t)(0x38 + qcts_rng_below(r, 0x1F));
            v = (qref_e4m3_to_f32(c) + qref_e4m3_to_f32((uint8_t)(c + 1))) * 0.5f;
        } else {
            v = (float)((int)qcts_rng_below(r, 119) - 59);
            if (qcts_rng_below(r, 8))
                v += 0.5f;
        }
        a[i] = qcts_rng_below(r, 2) ? -v : v;
    }
}

static void gemm_flags(const vsuite *su, const vcase_def *c, vflags *fl)
{
    const qref_scheme *s = su->scheme;
    int64_t unit = vscheme_kunit(s, c->K);
    if (c->a_quant) {
        static const char *const aqf[QREF_AQ_COUNT] = { "", "aq_int8_token", "aq_fp8_e4m3_tensor",
                                                       "aq_fp8_e4m3_token", "aq_q8_0", "aq_q8_1", "aq_q8_k" };
        vflags_add(fl, "a_quant");
        vflags_add(fl, aqf[c->a_quant]);
        if (c->dist == VD_INTEGERS)
            vflags_add(fl, "tie");
    }
    if (c->dist == VD_INTEGERS)
        vflags_add(fl, "exact_fill");
    else if (c->dist == VD_ZEROS)
        vflags_add(fl, "degenerate");
    else
        vflags_add(fl, "random");
    if (c->M == 1)
        vflags_add(fl, "gemv");
    if (c->N % 8)
        vflags_add(fl, "n_tail");
    /* residue classes kernels branch on (gen_sweep.c), for the coverage table */
    static const char *const r8[8] = { "n8_0", "n8_1", "n8_2", "n8_3", "n8_4", "n8_5", "n8_6", "n8_7" };
    static const char *const m6[6] = { "m6_0", "m6_1", "m6_2", "m6_3", "m6_4", "m6_5" };
    static const char *const k4[4] = { "k32_0", "k32_8", "k32_16", "k32_24" };
    vflags_add(fl, r8[c->N % 8]);
    if (c->M > 1)
        vflags_add(fl, m6[c->M % 6]);
    if (c->K % 32 % 8)
        vflags_add(fl, "k8_odd");
    else
        vflags_add(fl, k4[c->K % 32 / 8]);
    if (unit < c->K && c->K % unit == 0)
        vflags_add(fl, (c->K / unit) % 2 ? "groups_odd" : "groups_even");
    if (c->K > 256 && c->K % 256)
        vflags_add(fl, "k_past_256");
    if (c->specials) {
        vflags_add(fl, "nan");
        vflags_add(fl, "inf");
    }
    if (c->K % 256)
        vflags_add(fl, "k_tail");
    if (c->K == unit)
        vflags_add(fl, "one_group");
    else if (c->K >= 4 * unit)
        vflags_add(fl, "many_groups");
    if (c->batch > 1)
        vflags_add(fl, "batch");
    if (c->bias)
        vflags_add(fl, "bias");
    if (c->a_dtype != QREF_FMT_F32)
        vflags_add(fl, c->a_dtype == QREF_FMT_F16 ? "a_f16" : "a_bf16");
    if (c->out_dtype != QREF_FMT_F32)
        vflags_add(fl, c->out_dtype == QREF_FMT_F16 ? "out_f16" : "out_bf16");
    if (c->dist == VD_RANDOM_BITS || (!has_quantizer(s) && c->dist != VD_ZEROS && c->dist != VD_INTEGERS))
        vflags_add(fl, "random_bits");
    for (int i = 0; i < c->extra.n; i++)
        vflags_add(fl, c->extra.v[i]);
}

/* The weights of one batch into q (z->total bytes). */
static int make_weights(vfile *f, unsigned id, const vcase_def *c, qcts_rng *r, uint8_t *q, size_t total,
                        float *wtmp)
{
    const qref_scheme *s = f->s->scheme;
    char msg[512] = "";
    qref_error e = { -1, -1, "" };
    int random_bits = c->dist == VD_RANDOM_BITS || c->dist == VD_INTEGERS || !has_quantizer(s);
    if (c->dist == VD_ZEROS && !has_quantizer(s)) {
        memset(q, 0, total);   /* all-zero GGUF blocks: d = +0 */
        return 0;
    }
    if (random_bits && c->dist != VD_ZEROS) {
        if (vin_random_qtensor(r, s, c->N, c->K, c->dist == VD_INTEGERS, q, total, msg, sizeof msg) == 0)
            return 0;
        vf_fail(f, QCTS_VEC_ERR_GEN, "%s: c%03u: %s", f->s->info.name, id, msg);
        return -1;
    }
    vin_fill(r, c->dist, c->N, c->K, EXACT_AMAX, wtmp);
    qref_qtensor t;
    qref_status st = qref_quantize(s, c->N, c->K, wtmp, &t, &e);
    if (st == QREF_OK) {
        st = qref_qtensor_save(&t, q, total);
        qref_qtensor_free(&t);
    }
    if (st == QREF_OK)
        return 0;
    vf_fail(f, QCTS_VEC_ERR_GEN, "%s: c%03u: quantize: %s: %s", f->s->info.name, id, qref_status_name(st), e.msg);
    return -1;
}

static void one_case(vfile *f, const vcase_def *c)
{
    const vsuite *su = f->s;
    const qref_scheme *s = su->scheme;
    qcts_rng r;
    uint64_t seed;
    unsigned id = vf_begin(f, &r, &seed);
    qref_qsizes z;
    qref_error e = { -1, -1, "" };
    if (qref_qsizes_get(s, c->N, c->K, &z, &e) != QREF_OK) {
        vf_fail(f, QCTS_VEC_ERR_GEN, "%s: c%03u: %s", su->info.name, id, e.msg);
        return;
    }
    size_t B = (size_t)c->batch, na = B * (size_t)c->M * (size_t)c->K, ny = B * (size_t)c->M * (size_t)c->N;
    size_t nw = (size_t)c->N * (size_t)c->K;
    float *af = malloc(na * sizeof *af), *wtmp = malloc(nw * sizeof *wtmp), *bias = malloc(B * (size_t)c->N * 4);
    uint16_t *ah = malloc(na * sizeof *ah);
    uint8_t *q = malloc(B * z.total + 1);
    uint32_t *y = malloc(ny * sizeof *y);
    float *bound = malloc(ny * sizeof *bound);
    qref_qtensor *wt = calloc(B, sizeof *wt);
    size_t loaded = 0;
    if (!af || !wtmp || !bias || !ah || !q || !y || !bound || !wt) {
        vf_fail(f, QCTS_VEC_ERR_NOMEM, "out of memory");
        goto done;
    }
    /* Draw order: per batch the weights, then all activations, then bias. */
    for (size_t b = 0; b < B; b++)
        if (make_weights(f, id, c, &r, q + b * z.total, z.total, wtmp))
            goto done;
    vdist adist = c->dist == VD_INTEGERS ? VD_INTEGERS : c->dist == VD_RANDOM_BITS || c->dist == VD_ZEROS ? VD_GAUSS
                                                                                                        : c->dist;
    if (c->a_quant && c->dist == VD_INTEGERS)
        quant_ties(&r, (qref_aq)c->a_quant, (int64_t)(B * (size_t)c->M), c->K, af);
    else
        vin_fill(&r, adist, (int64_t)(B * (size_t)c->M), c->K, EXACT_AMAX, af);
    for (size_t i = 0; i < na; i++) {
        if (c->a_dtype == QREF_FMT_F16) {
            ah[i] = qref_f32_to_f16(af[i]);
            af[i] = qref_f16_to_f32(ah[i]);
        } else if (c->a_dtype == QREF_FMT_BF16) {
            ah[i] = qref_f32_to_bf16(af[i]);
            af[i] = qref_bf16_to_f32(ah[i]);
        }
    }
    if (c->specials) {
        /* NaN with every payload bit set in the first row (rounding it to
         * bf16 by adding 0x7fff carries into the sign: -0), +Inf in the
         * last row when there are two rows. Where w is 0 the product with
         * Inf is NaN; the expected output says what the exact sum is. */
        /* Each such row has two non-finite values when K > 1 (NaN and +Inf
         * in the first, +Inf twice in the last), so that one cancelling the
         * other (a flag toggled instead of set) shows. */
        size_t rows = B * (size_t)c->M, K = (size_t)c->K, nan_at = K / 2, inf_at = (rows - 1) * K;
        uint32_t nan32 = 0x7fffffffu, inf32 = 0x7f800000u;
        uint16_t inf16 = c->a_dtype == QREF_FMT_F16 ? 0x7c00 : 0x7f80;
        if (K > 1) {
            memcpy(&af[K - 1], &inf32, 4);
            ah[K - 1] = inf16;
        }
        memcpy(&af[nan_at], &nan32, 4);
        ah[nan_at] = 0x7fff;
        if (rows > 1) {
            memcpy(&af[inf_at], &inf32, 4);
            ah[inf_at] = inf16;
            if (K > 1) {
                memcpy(&af[inf_at + K - 1], &inf32, 4);
                ah[inf_at + K - 1] = inf16;
            }
        }
        if (c->a_dtype == QREF_FMT_F16)
            af[nan_at] = qref_f16_to_f32(0x7fff);
    }
    if (c->bias)
        vin_fill(&r, c->dist == VD_INTEGERS ? VD_INTEGERS : VD_GAUSS, (int64_t)B, c->N, EXACT_BIAS_AMAX, bias);
    for (; loaded < B; loaded++) {
        qref_status st = qref_qtensor_load(s, c->N, c->K, q + loaded * z.total, z.total, &wt[loaded], &e);
        if (st != QREF_OK) {
            vf_fail(f, QCTS_VEC_ERR_GEN, "%s: c%03u: load: %s", su->info.name, id, e.msg);
            goto done;
        }
    }
    qref_gemm_desc d = { (int64_t)B, c->M, c->N, c->K, 0, 0, c->a_dtype, c->out_dtype, c->bias, c->a_quant };
    const void *a = c->a_dtype == QREF_FMT_F32 ? (const void *)af : (const void *)ah;
    int want_bound = c->dist != VD_INTEGERS && c->dist != VD_ZEROS;
    qref_status st = qref_gemm(&d, a, wt, c->bias ? bias : NULL, y, want_bound ? bound : NULL, QREF_ACC_F32, &e);
    if (st != QREF_OK) {
        vf_fail(f, QCTS_VEC_ERR_GEN, "%s: c%03u (seed 0x%016llx): qref_gemm: %s: %s", su->info.name, id,
                (unsigned long long)seed, qref_status_name(st), e.msg);
        goto done;
    }
    if (c->dist == VD_INTEGERS) {
        int exact = 0;
        st = qref_gemm_is_exact_fill(&d, a, wt, c->bias ? bias : NULL, QREF_ACC_F32, &exact, &e);
        if (st != QREF_OK || !exact) {
            vf_fail(f, QCTS_VEC_ERR_GEN,
                    "%s: c%03u (seed 0x%016llx): dist integers must be an exact fill for f32 accumulation, "
                    "but qref_gemm_is_exact_fill says %s%s (use a smaller K)",
                    su->info.name, id, (unsigned long long)seed, st != QREF_OK ? qref_status_name(st) : "no",
                    st != QREF_OK ? e.msg : "");
            goto done;
        }
    }
    if (c->dist == VD_ZEROS) {
        for (size_t i = 0; i < ny; i++)
            if (c->out_dtype == QREF_FMT_F32 ? y[i] != 0 : ((const uint16_t *)y)[i] != 0) {
                vf_fail(f, QCTS_VEC_ERR_GEN, "%s: c%03u: the zero-weight canary has a non-zero output",
                        su->info.name, id);
                goto done;
            }
    }
    vflags fl = { { 0 }, 0 };
    gemm_flags(su, c, &fl);
    vbuf p = { 0 };
    vb_printf(&p,
              "{\"scheme\":\"%s\",\"batch\":%lld,\"M\":%lld,\"N\":%lld,\"K\":%lld,\"a_dtype\":\"%s\","
              "\"out_dtype\":\"%s\",\"bias\":%s,\"acc\":\"f32\",\"bound_c\":%d,",
              s->name, (long long)c->batch, (long long)c->M, (long long)c->N, (long long)c->K,
              vdtype_name(c->a_dtype), vdtype_name(c->out_dtype), c->bias ? "true" : "false", c->bound_c);
    if (c->a_quant)
        vb_printf(&p, "\"a_quant\":\"%s\",", qref_aq_name((qref_aq)c->a_quant));
    vb_puts(&p, "\"sizes\":");
    vjson_sizes(&p, &z);
    vb_puts(&p, "}");
    vf_case(f, id, seed, want_bound ? "bound" : "exact", &fl, vdist_name(c->dist), p.p);
    vb_free(&p);
    int64_t as[3] = { (int64_t)B, c->M, c->K }, ws[2] = { (int64_t)B, (int64_t)z.total },
            bs[2] = { (int64_t)B, c->N }, ys[3] = { (int64_t)B, c->M, c->N };
    if (c->a_dtype == QREF_FMT_F32)
        vf_tensor_f32(f, id, "in.a", af, as, 3);
    else
        vf_tensor_u16(f, id, "in.a", vdtype_st(c->a_dtype), ah, as, 3);
    vf_tensor(f, id, "in.w", QCTS_ST_U8, ws, 2, q, B * z.total);
    if (c->bias)
        vf_tensor_f32(f, id, "in.bias", bias, bs, 2);
    if (c->out_dtype == QREF_FMT_F32)
        vf_tensor_u32(f, id, "out.y", QCTS_ST_F32, y, ys, 3);
    else
        vf_tensor_u16(f, id, "out.y", vdtype_st(c->out_dtype), (const uint16_t *)y, ys, 3);
    if (want_bound)
        vf_tensor_f32(f, id, "bound.y", bound, ys, 3);
done:
    for (size_t b = 0; b < loaded; b++)
        qref_qtensor_free(&wt[b]);
    free(af);
    free(wtmp);
    free(bias);
    free(ah);
    free(q);
    free(y);
    free(bound);
    free(wt);
}

void vgen_gemm(vfile *f)
{
    for (size_t i = 0; i < f->s->n_defs && vf_ok(f); i++)
        one_case(f, &f->s->cases[i]);
}
