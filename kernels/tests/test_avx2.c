/* Tests of the CPU SIMD kernels (kernels/simd): every registered variant
 * by name, not only the dispatched one.
 *   - CPU detection and QCTS_FORCE_ISA resolution;
 *   - every dequant variant bit-exact against qref_dequantize, whole rows
 *     and spans, on random tensors of several shapes (N not a multiple of 8,
 *     K = one group, per-channel K tails);
 *   - every GEMV/GEMM variant within qref_gemm's bound on random data, and
 *     bit-exact on exact-fill data (qref_gemm_is_exact_fill);
 *   - the avx2 backend through the ABI: f16/bf16 in and out, bias, lda/ldy,
 *     batch, threads 1/2/3 giving identical bits, UNSUPPORTED with a reason;
 *   - the scalar (generic) tier, as QCTS_FORCE_ISA=scalar uses it, for every
 *     scheme of the catalog: dequant bit-exact (f32, f16, bf16), GEMM in
 *     bound.
 * AVX2 cases are skipped (CU_PASS with the reason) on a CPU without
 * AVX2/FMA/F16C. Failures print the scheme, shape and seed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/simd/simd.h"
#include "qref/fmt.h"
#include "qref/gemm.h"
#include "qref/pack.h"
#include "qref/scheme.h"
#include "qtest.h"

/* ---- helpers ----------------------------------------------------------------------- */

static uint64_t rng;
static uint64_t rnd(void)
{
    uint64_t x = rng += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static double unit(void) { return (double)(rnd() >> 11) * 0x1p-53; }

/* Roughly gaussian, magnitude varying with the row. */
static float rnd_weight(int64_t row)
{
    double s = 0;
    for (int i = 0; i < 4; i++)
        s += unit() - 0.5;
    return (float)(s * ldexp(1.0, (int)(row % 7) - 3));
}

static int avx2_ok(const char *test)
{
    char why[256];
    if (qcts_isa_cpu_ok(QCTS_ISA_AVX2, why, sizeof why) && qcts_isa_built(QCTS_ISA_AVX2, why, sizeof why))
        return 1;
    char msg[400];
    snprintf(msg, sizeof msg, "%s skipped: %s", test, why);
    CU_PASS(msg);
    return 0;
}

/* 1 if this CPU runs the kernels of isa and they are built (variant loops
 * test every such ISA: avx2, avx512, neon). */
static int isa_runs(qcts_isa isa)
{
    return isa != QCTS_ISA_SCALAR && qcts_isa_cpu_ok(isa, NULL, 0) && qcts_isa_built(isa, NULL, 0);
}

static int any_isa_ok(const char *test)
{
    if (isa_runs(QCTS_ISA_AVX2) || isa_runs(QCTS_ISA_AVX512) || isa_runs(QCTS_ISA_NEON))
        return 1;
    char msg[400];
    snprintf(msg, sizeof msg, "%s skipped: no SIMD ISA with kernels runs here", test);
    CU_PASS(msg);
    return 0;
}

static uint32_t f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

/* Smallest rows the scheme accepts: Marlin tiles need N % 256 == 0. */
static int64_t min_rows(const qref_scheme *s) { return s->family == QREF_FAMILY_MARLIN ? 256 : 1; }

/* Smallest cols the scheme accepts (rows = 16, or min_rows), or 0. */
static int64_t min_cols(const qref_scheme *s)
{
    qref_qsizes z;
    const int64_t rows = min_rows(s) > 16 ? min_rows(s) : 16;
    for (int64_t c = 1; c <= 1024; c++)
        if (qref_qsizes_get(s, rows, c, &z, NULL) == QREF_OK)
            return c;
    return 0;
}

/* Dense columns one scale covers (exact-fill weights force a maximum there). */
static int64_t scale_span(const qref_scheme *s, int64_t cols)
{
    if (s->family == QREF_FAMILY_SPARSE) {
        const qref_scheme *b = qref_scheme_find(s->base);
        return (int64_t)b->group * s->sparse_m / s->sparse_n;
    }
    return s->group > 0 ? s->group : cols;
}

/* A quantized tensor: float weights, the qtensor, its serialized bytes and
 * a view on them. */
typedef struct qt {
    qref_qtensor t;
    uint8_t *bytes;
    qcts_qview v;
    int ok;
} qt;

static void qt_free(qt *q)
{
    if (q->ok)
        qref_qtensor_free(&q->t);
    free(q->bytes);
    memset(q, 0, sizeof *q);
}

/* A dequantize-only GGUF preset (IQ2_XXS, IQ3_XXS: no quantizer without
 * an importance matrix): random blocks, each with a random finite f16 d
 * (its first two bytes) of either sign, loaded as a file would be. */
static qref_status random_gguf(const qref_scheme *s, int64_t rows, int64_t cols, qref_qtensor *t, qref_error *e)
{
    qref_qsizes z;
    qref_status st = qref_qsizes_get(s, rows, cols, &z, e);
    if (st != QREF_OK)
        return st;
    uint8_t *buf = malloc(z.total);
    CU_ASSERT_FATAL(buf != NULL);
    for (size_t i = 0; i < z.total; i++)
        buf[i] = (uint8_t)rnd();
    const int64_t blocks = rows * (cols / 256);
    const size_t bbytes = z.codes / (size_t)blocks;
    for (int64_t b = 0; b < blocks; b++) {
        uint16_t d = (uint16_t)(rnd() % 0x7C00) | (uint16_t)(rnd() & 0x8000);   /* finite, subnormals and 0 too */
        buf[(size_t)b * bbytes] = (uint8_t)d;
        buf[(size_t)b * bbytes + 1] = (uint8_t)(d >> 8);
    }
    st = qref_qtensor_load(s, rows, cols, buf, z.total, t, e);
    free(buf);
    return st;
}

/* 0 ok; 1 the scheme cannot quantize (dequantize-only preset that is not
 * GGUF); -1 error. */
static int qt_make(qt *q, const qref_scheme *s, int64_t rows, int64_t cols, const float *w)
{
    memset(q, 0, sizeof *q);
    qref_error e;
    memset(&e, 0, sizeof e);
    qref_status st = qref_quantize(s, rows, cols, w, &q->t, &e);
    if (st == QREF_ERR_UNSUPPORTED && s->family == QREF_FAMILY_GGUF && cols % 256 == 0)
        st = random_gguf(s, rows, cols, &q->t, &e);
    if (st == QREF_ERR_UNSUPPORTED)
        return 1;
    if (!QCHECK(st == QREF_OK, "%s %lldx%lld: quantize: %s", s->name, (long long)rows, (long long)cols, e.msg))
        return -1;
    q->ok = 1;
    q->bytes = malloc(q->t.sizes.total);
    CU_ASSERT_FATAL(q->bytes != NULL);
    CU_ASSERT_FATAL(qref_qtensor_save(&q->t, q->bytes, q->t.sizes.total) == QREF_OK);
    char why[320];
    int rc = qcts_qview_init(&q->v, s->name, rows, cols, q->bytes, q->t.sizes.total, why, sizeof why);
    if (!QCHECK(rc == 0, "%s: view: %s", s->name, why))
        return -1;
    return 0;
}

static float *random_weights(int64_t rows, int64_t cols)
{
    float *w = malloc(sizeof(float) * (size_t)(rows * cols));
    for (int64_t i = 0; i < rows * cols; i++)
        w[i] = rnd_weight(i / cols);
    return w;
}

/* ---- CPU and ISA selection ---------------------------------------------------------- */

static void test_cpu_and_force(void)
{
    const qcts_cpu_info *c = qcts_cpu();
    CU_ASSERT_PTR_EQUAL(c, qcts_cpu());   /* resolved once */
    if (c->avx2)
        CU_ASSERT(c->avx);
    if (c->avx512f)
        CU_ASSERT(c->avx);
    qcts_isa isa;
    char why[256];
    CU_ASSERT_EQUAL(qcts_simd_isa_resolve("scalar", &isa, why, sizeof why), 0);
    CU_ASSERT_EQUAL(isa, QCTS_ISA_SCALAR);
    CU_ASSERT_EQUAL(qcts_simd_isa_resolve("SCALAR", &isa, why, sizeof why), 0);
    CU_ASSERT_EQUAL(qcts_simd_isa_resolve("sse9", &isa, why, sizeof why), -1);
    QCHECK(strstr(why, "QCTS_FORCE_ISA=sse9") != NULL, "why = '%s'", why);
    int neon = qcts_isa_cpu_ok(QCTS_ISA_NEON, NULL, 0) && qcts_isa_built(QCTS_ISA_NEON, NULL, 0);
    CU_ASSERT_EQUAL(qcts_simd_isa_resolve("neon", &isa, why, sizeof why), neon ? 0 : -1);
    int a2 = qcts_isa_cpu_ok(QCTS_ISA_AVX2, NULL, 0) && qcts_isa_built(QCTS_ISA_AVX2, NULL, 0);
    CU_ASSERT_EQUAL(qcts_simd_isa_resolve("avx2", &isa, why, sizeof why), a2 ? 0 : -1);
    /* avx512: resolves where it runs, else names the reason. */
    int a5 = isa_runs(QCTS_ISA_AVX512);
    CU_ASSERT_EQUAL(qcts_simd_isa_resolve("avx512", &isa, why, sizeof why), a5 ? 0 : -1);
    if (!a5)
        QCHECK(strstr(why, "avx512") != NULL, "why = '%s'", why);
    /* Best first: an AVX-512 CPU runs AVX-512 code. */
    CU_ASSERT_EQUAL(qcts_simd_isa_resolve(NULL, &isa, why, sizeof why), 0);
    CU_ASSERT_EQUAL(isa, a5 ? QCTS_ISA_AVX512 : a2 ? QCTS_ISA_AVX2 : neon ? QCTS_ISA_NEON : QCTS_ISA_SCALAR);
    QCHECK(strstr(why, "best for this CPU") != NULL, "note = '%s'", why);
    /* The avx2 backend says why when it cannot run. */
    const qcts_backend *be = qcts_backend_avx2_entry();
    CU_ASSERT_STRING_EQUAL(be->name, "avx2");
    CU_ASSERT_EQUAL(be->available(why, sizeof why), a2);
    if (!a2)
        QCHECK(why[0] != '\0', "avx2 unavailable without a reason");
    CU_ASSERT_STRING_EQUAL(qcts_backend_simd_entry()->name, "simd");
}

/* Every line of the registries: a known scheme, a name that says op,
 * scheme and ISA, one variant per (isa, scheme[, gemv]). */
static void test_registry(void)
{
    for (size_t i = 0; i < qcts_dequant_variant_count; i++) {
        const qcts_dequant_variant *v = &qcts_dequant_variants[i];
        char want[160];
        snprintf(want, sizeof want, "qcts_dequant_%s__%s", v->scheme, qcts_isa_name(v->isa));
        QCHECK(strcmp(v->symbol, want) == 0, "%s: expected the name %s", v->symbol, want);
        QCHECK(qref_scheme_find(v->scheme) != NULL, "%s: unknown scheme %s", v->symbol, v->scheme);
        QCHECK(qcts_dequant_variant_find(v->isa, v->scheme) == v, "%s: listed twice", v->symbol);
        QCHECK(v->block > 0 && 256 % v->block == 0, "%s: block %d does not divide 256", v->symbol, v->block);
    }
    for (size_t i = 0; i < qcts_gemm_variant_count; i++) {
        const qcts_gemm_variant *v = &qcts_gemm_variants[i];
        char want[160];
        snprintf(want, sizeof want, "qcts_%s_%s__%s", v->mr == 1 ? "gemv" : "gemm", v->scheme, qcts_isa_name(v->isa));
        QCHECK(strcmp(v->symbol, want) == 0, "%s: expected the name %s", v->symbol, want);
        QCHECK(qref_scheme_find(v->scheme) != NULL, "%s: unknown scheme %s", v->symbol, v->scheme);
        QCHECK(qcts_gemm_variant_find(v->isa, v->scheme, v->mr == 1) == v, "%s: listed twice", v->symbol);
        if (v->mr > 1 && v->isa != QCTS_ISA_NEON)   /* neon's panel may use the generic tier */
            QCHECK(qcts_dequant_variant_best(v->isa, v->scheme) != NULL, "%s: no dequant kernel", v->symbol);
    }
    CU_ASSERT(QCTS_SIMD_X86 ? qcts_dequant_variant_count >= 13 : 1);
}

/* ---- dequant variants ------------------------------------------------------------------ */

static void check_dequant_variant(const qcts_dequant_variant *dv, int64_t rows, int64_t cols, uint64_t seed)
{
    const qref_scheme *s = qref_scheme_find(dv->scheme);
    rng = seed;
    float *w = random_weights(rows, cols);
    qt q;
    if (qt_make(&q, s, rows, cols, w) != 0) {
        free(w);
        qt_free(&q);
        return;
    }
    float *ref = malloc(sizeof(float) * (size_t)(rows * cols));
    float *got = malloc(sizeof(float) * (size_t)(cols + 8));
    qref_error e;
    CU_ASSERT_FATAL(qref_dequantize(&q.t, ref, &e) == QREF_OK);
    int bad = 0;
    for (int64_t r = 0; r < rows && !bad; r++) {
        got[cols] = 12345.0f;   /* must not be written */
        dv->fn(&q.v, r, 0, cols, got);
        bad |= !QCHECK(got[cols] == 12345.0f, "%s %lldx%lld: wrote past the row", dv->symbol, (long long)rows,
                       (long long)cols);
        for (int64_t k = 0; k < cols && !bad; k++)
            bad |= !QCHECK(f32_bits(got[k]) == f32_bits(ref[r * cols + k]),
                           "%s %lldx%lld seed 0x%llx: row %lld col %lld: 0x%08x, ref 0x%08x", dv->symbol,
                           (long long)rows, (long long)cols, (unsigned long long)seed, (long long)r, (long long)k,
                           f32_bits(got[k]), f32_bits(ref[r * cols + k]));
        /* Spans starting at every block, of 1..3 blocks. */
        for (int64_t k0 = 0; k0 < cols && !bad; k0 += dv->block) {
            int64_t k1 = k0 + dv->block * (1 + (int64_t)(rnd() % 3));
            if (k1 > cols)
                k1 = cols;
            dv->fn(&q.v, r, k0, k1, got);
            for (int64_t k = k0; k < k1 && !bad; k++)
                bad |= !QCHECK(f32_bits(got[k - k0]) == f32_bits(ref[r * cols + k]),
                               "%s %lldx%lld seed 0x%llx: span [%lld, %lld) row %lld col %lld differs", dv->symbol,
                               (long long)rows, (long long)cols, (unsigned long long)seed, (long long)k0,
                               (long long)k1, (long long)r, (long long)k);
        }
    }
    /* Round-to-odd mode (simd.h): the float32 values rounded once more to
     * nearest even f16 / bf16 are qref's single roundings, spans included. */
    uint16_t *ref16 = malloc(sizeof(uint16_t) * (size_t)(rows * cols));
    for (int dt = 0; dt < 2 && !bad; dt++) {
        CU_ASSERT_FATAL(qref_dequantize_as(&q.t, dt ? QREF_FMT_BF16 : QREF_FMT_F16, ref16, &e) == QREF_OK);
        q.v.odd = 1;
        for (int64_t r = 0; r < rows && !bad; r++)
            for (int64_t k0 = 0; k0 < cols && !bad; k0 += dv->block) {
                int64_t k1 = k0 == 0 ? cols : k0 + dv->block * (1 + (int64_t)(rnd() % 3));
                if (k1 > cols)
                    k1 = cols;
                dv->fn(&q.v, r, k0, k1, got);
                for (int64_t k = k0; k < k1 && !bad; k++) {
                    uint16_t h = dt ? qref_f32_to_bf16(got[k - k0]) : qref_f32_to_f16(got[k - k0]);
                    bad |= !QCHECK(h == ref16[r * cols + k],
                                   "%s %lldx%lld seed 0x%llx: odd mode to %s, span [%lld, %lld) row %lld col %lld: "
                                   "0x%04x (from 0x%08x), ref 0x%04x", dv->symbol, (long long)rows, (long long)cols,
                                   (unsigned long long)seed, dt ? "bf16" : "f16", (long long)k0, (long long)k1,
                                   (long long)r, (long long)k, h, f32_bits(got[k - k0]), ref16[r * cols + k]);
                }
            }
        q.v.odd = 0;
    }
    free(ref16);
    free(ref);
    free(got);
    free(w);
    qt_free(&q);
}

static void test_dequant_variants(void)
{
    if (!any_isa_ok("SIMD dequant variants"))
        return;
    int n = 0;
    for (size_t i = 0; i < qcts_dequant_variant_count; i++) {
        const qcts_dequant_variant *dv = &qcts_dequant_variants[i];
        if (!isa_runs(dv->isa))
            continue;
        const qref_scheme *s = qref_scheme_find(dv->scheme);
        int64_t c = min_cols(s);
        CU_ASSERT_FATAL(c > 0);
        int64_t cols_list[6] = { c, 3 * c, c * ((1024 + c - 1) / c), 0, 0, 0 };
        if (c == 1) {   /* per-channel: K tails */
            int64_t extra[] = { 1, 7, 8, 37, 515, 1024 };
            memcpy(cols_list, extra, sizeof extra);
        }
        int64_t rows_list[] = { 1, 3, 9 };
        if (min_rows(s) > 1)   /* Marlin: one tile row of 256 */
            rows_list[0] = rows_list[1] = rows_list[2] = min_rows(s);
        for (int a = 0; a < 6 && cols_list[a]; a++)
            for (int b = 0; b < 3; b++, n++)
                if (b == 0 || rows_list[b] != rows_list[0])
                    check_dequant_variant(dv, rows_list[b], cols_list[a], 0xD0000 + (uint64_t)n);
    }
    CU_ASSERT(n > 0);
}

/* Every element code of the minifloat schemes (FP8 E4M3/E5M2, FP6
 * E2M3/E3M2: subnormals, signed zeros, the largest finite; NaN/Inf codes,
 * which load rejects, replaced by 0) under scales that include the
 * smallest and largest E8M0, through the AVX2 kernel and its odd mode,
 * against qref. */
static void test_dequant_every_code(void)
{
    if (!avx2_ok("AVX2 dequant of every code"))
        return;
    static const char *schemes[] = { "fp8_e4m3_per_tensor", "fp8_e5m2_per_tensor", "fp8_e4m3_per_channel",
                                     "mxfp8_e4m3", "mxfp8_e5m2", "mxfp6_e2m3", "mxfp6_e3m2" };
    static const uint8_t e8m0[] = { 0, 1, 120, 127, 133, 200, 253, 254 };
    const int64_t rows = 4, cols = 256;
    for (size_t si = 0; si < sizeof schemes / sizeof schemes[0]; si++) {
        const qref_scheme *s = qref_scheme_find(schemes[si]);
        const qcts_dequant_variant *dv = qcts_dequant_variant_find(QCTS_ISA_AVX2, schemes[si]);
        CU_ASSERT_FATAL(s != NULL && dv != NULL);
        const unsigned bits = qref_fmt_get(s->elem)->bits;
        qref_qsizes z;
        CU_ASSERT_FATAL(qref_qsizes_get(s, rows, cols, &z, NULL) == QREF_OK);
        uint8_t *buf = calloc(1, z.total), codes[256];
        rng = 0xC0DE + si;
        for (int64_t r = 0; r < rows; r++) {
            for (int64_t k = 0; k < cols; k++) {
                uint8_t c = (uint8_t)((k + 37 * r) % (1 << bits));
                float v = 0.0f;
                qref_decode(s->elem, QREF_CONV_OCP, c, &v);
                codes[k] = isfinite(v) ? c : 0;
            }
            CU_ASSERT_FATAL(qref_pack_codes(s->layout, bits, codes, cols, buf + (size_t)r * (z.codes / (size_t)rows)) ==
                            QREF_OK);
        }
        uint8_t *sc = buf + z.codes;
        if (s->scale == QREF_SCALE_E8M0) {
            for (size_t i = 0; i < z.scales; i++)
                sc[i] = e8m0[(i + rnd()) % 8];
        } else {
            for (size_t i = 0; i + 4 <= z.scales; i += 4) {
                float f = (float)(unit() * 3.0) * (i == 0 ? 1.0f : 1e-30f);
                memcpy(sc + i, &f, 4);
            }
        }
        qref_qtensor t;
        qref_error e;
        memset(&e, 0, sizeof e);
        if (!QCHECK(qref_qtensor_load(s, rows, cols, buf, z.total, &t, &e) == QREF_OK, "%s: load: %s", s->name, e.msg)) {
            free(buf);
            continue;
        }
        qcts_qview v;
        char why[256];
        CU_ASSERT_FATAL(qcts_qview_init(&v, s->name, rows, cols, buf, z.total, why, sizeof why) == 0);
        float *ref = malloc(sizeof(float) * (size_t)(rows * cols)), got[256];
        uint16_t *ref16 = malloc(sizeof(uint16_t) * (size_t)(rows * cols));
        CU_ASSERT_FATAL(qref_dequantize(&t, ref, &e) == QREF_OK);
        int bad = 0;
        for (int64_t r = 0; r < rows && !bad; r++) {
            dv->fn(&v, r, 0, cols, got);
            for (int64_t k = 0; k < cols && !bad; k++)
                bad |= !QCHECK(f32_bits(got[k]) == f32_bits(ref[r * cols + k]),
                               "%s row %lld col %lld: 0x%08x, ref 0x%08x", dv->symbol, (long long)r, (long long)k,
                               f32_bits(got[k]), f32_bits(ref[r * cols + k]));
        }
        for (int dt = 0; dt < 2 && !bad; dt++) {
            CU_ASSERT_FATAL(qref_dequantize_as(&t, dt ? QREF_FMT_BF16 : QREF_FMT_F16, ref16, &e) == QREF_OK);
            v.odd = !qcts_scheme_f32_exact(s);
            for (int64_t r = 0; r < rows && !bad; r++) {
                dv->fn(&v, r, 0, cols, got);
                for (int64_t k = 0; k < cols && !bad; k++) {
                    uint16_t h = dt ? qref_f32_to_bf16(got[k]) : qref_f32_to_f16(got[k]);
                    bad |= !QCHECK(h == ref16[r * cols + k], "%s to %s row %lld col %lld: 0x%04x, ref 0x%04x",
                                   dv->symbol, dt ? "bf16" : "f16", (long long)r, (long long)k, h,
                                   ref16[r * cols + k]);
                }
            }
        }
        free(ref);
        free(ref16);
        qref_qtensor_free(&t);
        free(buf);
    }
}

/* Schemes whose float32 values are rounded: on many scales (many rows),
 * the nearest-even float32 value sometimes lands on an f16/bf16 tie that
 * the exact value is not on (a double rounding); the round-to-odd mode
 * must give qref's single rounding everywhere. The count of double
 * roundings that nearest even would have made shows the data reaches them. */
static void test_dequant_odd_many_scales(void)
{
    if (!any_isa_ok("SIMD round-to-odd dequant"))
        return;
    int schemes = 0;
    long double_roundings = 0;
    for (size_t i = 0; i < qcts_dequant_variant_count; i++) {
        const qcts_dequant_variant *dv = &qcts_dequant_variants[i];
        const qref_scheme *s = qref_scheme_find(dv->scheme);
        if (!isa_runs(dv->isa) || qcts_scheme_f32_exact(s))
            continue;
        int64_t c = min_cols(s), cols = c < 64 ? 64 : c, rows = cols > 64 ? 512 : 2048;
        if (min_rows(s) > rows)
            rows = min_rows(s);
        rng = 0x0DD0000 + i;
        float *w = random_weights(rows, cols);
        for (int64_t j = 0; j < rows * cols; j++)   /* scales of every binade and mantissa */
            w[j] *= (float)(1.0 + unit()) * (float)ldexp(1.0, (int)(j / cols % 11) - 5);
        qt q;
        if (qt_make(&q, s, rows, cols, w) != 0) {
            free(w);
            qt_free(&q);
            continue;
        }
        schemes++;
        uint16_t *ref = malloc(sizeof(uint16_t) * (size_t)(rows * cols));
        float *got = malloc(sizeof(float) * (size_t)cols), *rne = malloc(sizeof(float) * (size_t)cols);
        qref_error e;
        int bad = 0;
        for (int dt = 0; dt < 2 && !bad; dt++) {
            CU_ASSERT_FATAL(qref_dequantize_as(&q.t, dt ? QREF_FMT_BF16 : QREF_FMT_F16, ref, &e) == QREF_OK);
            for (int64_t r = 0; r < rows && !bad; r++) {
                for (int tier = 0; tier < 2; tier++) {   /* the AVX2 kernel, then the generic tier */
                    qcts_dequant_kernel fn = tier ? qcts_dequant_span__scalar : dv->fn;
                    q.v.odd = 1;
                    fn(&q.v, r, 0, cols, got);
                    q.v.odd = 0;
                    fn(&q.v, r, 0, cols, rne);
                    for (int64_t k = 0; k < cols && !bad; k++) {
                        uint16_t h = dt ? qref_f32_to_bf16(got[k]) : qref_f32_to_f16(got[k]);
                        uint16_t h2 = dt ? qref_f32_to_bf16(rne[k]) : qref_f32_to_f16(rne[k]);
                        double_roundings += h2 != ref[r * cols + k];
                        bad |= !QCHECK(h == ref[r * cols + k],
                                       "%s %lldx%lld: odd mode to %s, row %lld col %lld: 0x%04x, ref 0x%04x",
                                       tier ? "qcts_dequant_span__scalar" : dv->symbol, (long long)rows,
                                       (long long)cols, dt ? "bf16" : "f16", (long long)r, (long long)k, h,
                                       ref[r * cols + k]);
                    }
                }
            }
        }
        free(ref);
        free(got);
        free(rne);
        free(w);
        qt_free(&q);
    }
    CU_ASSERT(schemes >= (isa_runs(QCTS_ISA_AVX2) ? 10 : 3));   /* neon: nvfp4, nf4_g64, int8_per_channel */
    QCHECK(double_roundings > 0, "no double rounding reached: the data does not test the round-to-odd mode");
}

/* ---- GEMM variants ------------------------------------------------------------------------- */

/* Compares y (M x N float32) with the reference: |y - ref| <= bound, or
 * bits when exact; NaN/Inf exactly. Returns the number of failures. */
static int compare_gemm(const char *what, const float *y, const float *ref, const float *bound, int64_t M, int64_t N,
                        int exact)
{
    int bad = 0;
    for (int64_t i = 0; i < M * N && bad < 3; i++) {
        int ok;
        if (exact || !isfinite(ref[i]))
            ok = f32_bits(y[i]) == f32_bits(ref[i]) || (isnan(y[i]) && isnan(ref[i]));
        else
            ok = fabsf(y[i] - ref[i]) <= bound[i];
        if (!QCHECK(ok, "%s: y[%lld][%lld] = %a, ref %a, %s %a", what, (long long)(i / N), (long long)(i % N),
                    (double)y[i], (double)ref[i], exact ? "exact fill" : "bound", exact ? 0.0 : (double)bound[i]))
            bad++;
    }
    return bad;
}

/* Exact-fill weights: values the scheme represents with scale 1 (or 0.5
 * for ggml's doubled E2M1), the largest one at the start of every scale
 * span so the scale comes out exactly 1. */
static void nice_weights(const qref_scheme *s, int64_t rows, int64_t cols, float *w)
{
    static const float e2m1[] = { 0, 0.5f, 1, 1.5f, 2, 3, 4, 6 };
    const qref_scheme *b = s->family == QREF_FAMILY_SPARSE ? qref_scheme_find(s->base) : s;
    int64_t span = scale_span(s, cols);
    for (int64_t r = 0; r < rows; r++)
        for (int64_t k = 0; k < cols; k++) {
            float v, top;
            int sign = (int)(rnd() & 1);
            switch (b->elem) {
            case QREF_FMT_E2M1: v = e2m1[rnd() % 8]; top = 6; break;
            case QREF_FMT_INT4: v = (float)(rnd() % 8); top = s->family == QREF_FAMILY_GGUF ? -8 : 7; break;
            case QREF_FMT_UINT4: v = (float)(rnd() % 8); top = 7; break;
            case QREF_FMT_INT8: v = (float)(rnd() % 128); top = 127; break;
            case QREF_FMT_E4M3: v = (float)(rnd() % 17); top = 448; break;
            default: v = (float)(rnd() % 4); top = 3; break;
            }
            if (b->elem == QREF_FMT_UINT4 && s->family == QREF_FAMILY_GROUP) {
                /* asym: min -8 and max 7 in every group: scale 1, zero 8 */
                v = (float)((int)(rnd() % 16) - 8);
                sign = 0;
                if (k % span == 1)
                    v = -8;
            }
            w[r * cols + k] = k % span == 0 ? top : sign ? -v : v;
        }
}

typedef struct gemm_case {
    const qref_scheme *s;
    int64_t M, N, K;
    int exact_fill;
    uint64_t seed;
} gemm_case;

/* Runs variant gv directly over all N (scratch from qcts_gemm_scratch_bytes)
 * and checks it against qref_gemm. Returns -1 if the case could not be
 * made, else 1 if it was an exact fill, 0 otherwise. */
static int check_gemm_variant(const qcts_gemm_variant *gv, const gemm_case *gc)
{
    const int64_t M = gc->M, N = gc->N, K = gc->K;
    rng = gc->seed;
    float *w = malloc(sizeof(float) * (size_t)(N * K));
    float *a = malloc(sizeof(float) * (size_t)(M * K));
    float *bias = malloc(sizeof(float) * (size_t)N);
    if (gc->exact_fill) {
        nice_weights(gc->s, N, K, w);
        for (int64_t i = 0; i < M * K; i++)
            a[i] = (float)((int)(rnd() % 7) - 3);
        for (int64_t i = 0; i < N; i++)
            bias[i] = (float)((int)(rnd() % 9) - 4);
    } else {
        for (int64_t i = 0; i < N * K; i++)
            w[i] = rnd_weight(i / K);
        for (int64_t i = 0; i < M * K; i++)
            a[i] = rnd_weight(i) * 4.0f;
        for (int64_t i = 0; i < N; i++)
            bias[i] = rnd_weight(i);
    }
    int has_bias = (int)(gc->seed & 1);
    qt q;
    int rc = -1;
    if (qt_make(&q, gc->s, N, K, w) == 0) {
        qref_gemm_desc d = { .batch = 1, .M = M, .N = N, .K = K, .a_dtype = QREF_FMT_F32, .out_dtype = QREF_FMT_F32,
                             .has_bias = has_bias };
        float *ref = malloc(sizeof(float) * (size_t)(M * N)), *bound = malloc(sizeof(float) * (size_t)(M * N));
        float *y = malloc(sizeof(float) * (size_t)(M * N));
        void *scratch = malloc(qcts_gemm_scratch_bytes(M, K));
        qref_error e;
        memset(&e, 0, sizeof e);
        int exact = 0;
        CU_ASSERT_FATAL(qref_gemm(&d, a, &q.t, has_bias ? bias : NULL, ref, bound, QREF_ACC_F32, &e) == QREF_OK);
        CU_ASSERT_FATAL(qref_gemm_is_exact_fill(&d, a, &q.t, has_bias ? bias : NULL, QREF_ACC_F32, &exact, &e) ==
                        QREF_OK);
        for (int64_t i = 0; i < M * N; i++)
            y[i] = -777.0f;
        qcts_gemm_args g = { .w = &q.v, .a = a, .M = M, .lda = K, .y = y, .ldy = N,
                             .bias = has_bias ? bias : NULL };
        gv->fn(&g, 0, N, scratch);
        char what[256];
        snprintf(what, sizeof what, "%s M=%lld N=%lld K=%lld bias=%d seed 0x%llx", gv->symbol, (long long)M,
                 (long long)N, (long long)K, has_bias, (unsigned long long)gc->seed);
        compare_gemm(what, y, ref, bound, M, N, exact);
        rc = exact;
        free(ref);
        free(bound);
        free(y);
        free(scratch);
    }
    qt_free(&q);
    free(w);
    free(a);
    free(bias);
    return rc;
}

static void test_gemm_variants(void)
{
    if (!any_isa_ok("SIMD GEMV/GEMM variants"))
        return;
    int n = 0;
    for (size_t i = 0; i < qcts_gemm_variant_count; i++) {
        const qcts_gemm_variant *gv = &qcts_gemm_variants[i];
        if (!isa_runs(gv->isa))
            continue;
        const qref_scheme *s = qref_scheme_find(gv->scheme);
        int64_t c = min_cols(s);
        int64_t Ks[3] = { c, 2 * c, c * ((600 + c - 1) / c) };
        if (c == 1) {
            Ks[0] = 5;
            Ks[1] = 24;
            Ks[2] = 301;
        }
        static const int64_t Ms[] = { 1, 2, 6, 7, 13 }, Ns[] = { 1, 5, 16, 19, 40 };
        int nM = gv->mr == 1 ? 1 : 5;   /* GEMV variants: M = 1 only */
        int nN = min_rows(s) > 1 ? 1 : 5; /* Marlin: N = 256 */
        for (int mi = 0; mi < nM; mi++)
            for (int ni = 0; ni < nN; ni++)
                for (int ki = 0; ki < 3; ki++, n++) {
                    gemm_case gc = { s, Ms[mi], nN == 1 ? min_rows(s) : Ns[ni], Ks[ki], 0, 0x6E0000 + (uint64_t)n };
                    check_gemm_variant(gv, &gc);
                }
    }
    CU_ASSERT(n > 0);
}

/* Exact fill: every correct kernel returns the reference bits. The core
 * schemes must actually produce exact-fill data here. */
static void test_gemm_exact_fill(void)
{
    if (!any_isa_ok("SIMD exact fill"))
        return;
    static const char *must[] = { "fp4_g32_f16", "fp4_g128_f16", "int4_sym_g128", "int4_asym_g128",
                                  "int8_per_channel", "fp8_e4m3_per_channel", "mxfp4", "gguf_q4_0", "gguf_q8_0",
                                  "gguf_mxfp4", "sparse24_fp4_g128" };
    int n = 0;
    for (size_t i = 0; i < qcts_gemm_variant_count; i++) {
        const qcts_gemm_variant *gv = &qcts_gemm_variants[i];
        if (!isa_runs(gv->isa))
            continue;
        const qref_scheme *s = qref_scheme_find(gv->scheme);
        int64_t c = min_cols(s);
        int64_t K = c == 1 ? 301 : c * ((512 + c - 1) / c);
        int needs = 0;
        for (size_t m = 0; m < sizeof must / sizeof must[0]; m++)
            needs |= strcmp(must[m], gv->scheme) == 0;
        for (int rep = 0; rep < 2; rep++, n++) {
            gemm_case gc = { s, gv->mr == 1 ? 1 : 9, min_rows(s) > 1 ? min_rows(s) : 21, K, 1, 0xE0000 + (uint64_t)n };
            int exact = check_gemm_variant(gv, &gc);
            if (needs)
                QCHECK(exact == 1, "%s: the exact-fill data of this test is not an exact fill (qref says %d)",
                       gv->symbol, exact);
        }
    }
    CU_ASSERT(n > 0);
}

/* ---- through the ABI ------------------------------------------------------------------------ */

typedef struct abi_gemm {
    qcts_gemm_desc d;
    qcts_buffers b;
    void *a, *wbytes, *bias, *y;
    size_t y_bytes;
    qref_qtensor *t;
} abi_gemm;

static size_t dt_size(qcts_dtype d) { return d == QCTS_DT_F32 ? 4 : 2; }

static void to_dtype(qcts_dtype d, const float *x, void *out, size_t i)
{
    if (d == QCTS_DT_F32)
        ((float *)out)[i] = x[0];
    else if (d == QCTS_DT_F16)
        ((uint16_t *)out)[i] = qref_f32_to_f16(x[0]);
    else
        ((uint16_t *)out)[i] = qref_f32_to_bf16(x[0]);
}

static float from_dtype(qcts_dtype d, const void *p, size_t i)
{
    if (d == QCTS_DT_F32)
        return ((const float *)p)[i];
    if (d == QCTS_DT_F16)
        return qref_f16_to_f32(((const uint16_t *)p)[i]);
    return qref_bf16_to_f32(((const uint16_t *)p)[i]);
}

static qref_fmt dt_fmt(qcts_dtype d)
{
    return d == QCTS_DT_F16 ? QREF_FMT_F16 : d == QCTS_DT_BF16 ? QREF_FMT_BF16 : QREF_FMT_F32;
}

/* Builds a GEMM call: batch tensors of scheme, A of a_dtype with stride
 * lda, Y of out_dtype with stride ldy; returns 0 or -1 (cannot quantize). */
static int abi_make(abi_gemm *g, const char *scheme, int64_t batch, int64_t M, int64_t N, int64_t K, int64_t lda,
                    int64_t ldy, qcts_dtype adt, qcts_dtype odt, int bias, uint64_t seed)
{
    memset(g, 0, sizeof *g);
    rng = seed;
    const qref_scheme *s = qref_scheme_find(scheme);
    g->d = (qcts_gemm_desc){ .scheme = scheme, .batch = batch, .M = M, .N = N, .K = K, .lda = lda, .ldy = ldy,
                             .a_dtype = adt, .out_dtype = odt, .has_bias = bias, .threads = 1 };
    int64_t la = lda ? lda : K, ly = ldy ? ldy : N;
    g->a = calloc((size_t)(batch * M * la), dt_size(adt));
    g->t = calloc((size_t)batch, sizeof *g->t);
    float *w = malloc(sizeof(float) * (size_t)(N * K));
    qref_qsizes z;
    CU_ASSERT_FATAL(qref_qsizes_get(s, N, K, &z, NULL) == QREF_OK);
    g->wbytes = malloc(z.total * (size_t)batch);
    for (int64_t bt = 0; bt < batch; bt++) {
        for (int64_t i = 0; i < N * K; i++)
            w[i] = rnd_weight(i / K);
        qref_error e;
        if (qref_quantize(s, N, K, w, &g->t[bt], &e) != QREF_OK) {
            free(w);
            return -1;
        }
        qref_qtensor_save(&g->t[bt], (uint8_t *)g->wbytes + (size_t)bt * z.total, z.total);
        for (int64_t m = 0; m < M; m++)
            for (int64_t k = 0; k < la; k++) {
                float v = k < K ? rnd_weight(m + k) * 3.0f : 1e30f;   /* padding must not be read */
                to_dtype(adt, &v, g->a, (size_t)((bt * M + m) * la + k));
            }
    }
    free(w);
    g->bias = malloc(sizeof(float) * (size_t)(batch * N));
    for (int64_t i = 0; i < batch * N; i++)
        ((float *)g->bias)[i] = rnd_weight(i);
    g->y_bytes = (size_t)(batch * M * ly) * dt_size(odt);
    g->y = malloc(g->y_bytes);
    g->b.in[0] = g->a;
    g->b.in_bytes[0] = (size_t)(batch * M * la) * dt_size(adt);
    g->b.in[1] = g->wbytes;
    g->b.in_bytes[1] = z.total * (size_t)batch;
    g->b.in[2] = bias ? g->bias : NULL;
    g->b.in_bytes[2] = bias ? sizeof(float) * (size_t)(batch * N) : 0;
    g->b.out[0] = g->y;
    g->b.out_bytes[0] = g->y_bytes;
    return 0;
}

static void abi_free(abi_gemm *g)
{
    for (int64_t i = 0; g->t && i < g->d.batch; i++)
        if (g->t[i].storage)
            qref_qtensor_free(&g->t[i]);
    free(g->t);
    free(g->a);
    free(g->wbytes);
    free(g->bias);
    free(g->y);
}

static qcts_status abi_run(const qcts_backend *be, abi_gemm *g, const char **variant, char *msg, size_t n)
{
    qcts_call *c = NULL;
    memset(g->y, 0xA5, g->y_bytes);   /* elements between N and ldy must stay */
    qcts_status st = be->gemm(&g->d, &g->b, &c, msg, n);
    if (st != QCTS_OK)
        return st;
    if (variant)
        *variant = be->variant(c);
    st = be->run(c, msg, n);
    be->release(c);
    return st;
}

/* Checks g->y against qref_gemm with the bound. */
static void abi_check(abi_gemm *g, const char *what)
{
    const qcts_gemm_desc *d = &g->d;
    int64_t ly = d->ldy ? d->ldy : d->N;
    qref_gemm_desc rd = { .batch = d->batch, .M = d->M, .N = d->N, .K = d->K, .lda = d->lda, .ldy = d->ldy,
                          .a_dtype = dt_fmt(d->a_dtype), .out_dtype = dt_fmt(d->out_dtype),
                          .has_bias = d->has_bias };
    void *ref = malloc(g->y_bytes);
    float *bound = malloc(sizeof(float) * (size_t)(d->batch * d->M * d->N));
    qref_error e;
    memset(&e, 0, sizeof e);
    CU_ASSERT_FATAL(qref_gemm(&rd, g->a, g->t, d->has_bias ? g->bias : NULL, ref, bound, QREF_ACC_F32, &e) ==
                    QREF_OK);
    int bad = 0;
    for (int64_t bt = 0; bt < d->batch; bt++)
        for (int64_t m = 0; m < d->M; m++)
            for (int64_t nn = 0; nn < ly && bad < 3; nn++) {
                size_t i = (size_t)((bt * d->M + m) * ly + nn);
                if (nn >= d->N) {
                    uint8_t pad[4];
                    memcpy(pad, (uint8_t *)g->y + i * dt_size(d->out_dtype), dt_size(d->out_dtype));
                    bad += !QCHECK(pad[0] == 0xA5 && pad[1] == 0xA5, "%s: wrote y[%lld][%lld] past N", what,
                                   (long long)m, (long long)nn);
                    continue;
                }
                float y = from_dtype(d->out_dtype, g->y, i), r = from_dtype(d->out_dtype, ref, i);
                float bd = bound[(bt * d->M + m) * d->N + nn];
                bad += !QCHECK(fabsf(y - r) <= bd || (isnan(y) && isnan(r)) || y == r,
                               "%s: batch %lld y[%lld][%lld] = %a, ref %a, bound %a", what, (long long)bt,
                               (long long)m, (long long)nn, (double)y, (double)r, (double)bd);
            }
    free(ref);
    free(bound);
}

static void test_abi_gemm(void)
{
    if (!avx2_ok("avx2 backend GEMM"))
        return;
    const qcts_backend *be = qcts_backend_avx2_entry();
    static const struct {
        const char *scheme;
        int64_t batch, M, N, K, lda, ldy;
        qcts_dtype adt, odt;
        int bias;
    } cases[] = {
        { "fp4_g128_f16", 1, 1, 37, 256, 0, 0, QCTS_DT_F32, QCTS_DT_F32, 1 },
        { "fp4_g128_f16", 2, 1, 20, 384, 400, 24, QCTS_DT_F16, QCTS_DT_F16, 1 },
        { "fp4_g128_f16", 2, 5, 33, 512, 520, 40, QCTS_DT_BF16, QCTS_DT_BF16, 0 },
        { "int4_sym_g128", 1, 1, 64, 1024, 0, 0, QCTS_DT_F16, QCTS_DT_F32, 0 },
        { "int4_sym_g128", 1, 8, 50, 640, 0, 0, QCTS_DT_F32, QCTS_DT_F16, 1 },
        { "gguf_q4_k", 1, 3, 17, 512, 0, 0, QCTS_DT_F32, QCTS_DT_F32, 1 },
        { "nvfp4", 3, 1, 9, 48, 0, 0, QCTS_DT_BF16, QCTS_DT_F32, 1 },
        { "int8_per_channel", 1, 4, 23, 77, 80, 0, QCTS_DT_F16, QCTS_DT_BF16, 1 },
        { "sparse24_fp4_g128", 1, 1, 18, 512, 0, 0, QCTS_DT_F32, QCTS_DT_F32, 0 },
        { "sparse24_int4_g128", 1, 1, 18, 512, 0, 0, QCTS_DT_F32, QCTS_DT_F32, 1 },
        { "gguf_q4_1", 1, 1, 21, 320, 0, 0, QCTS_DT_F16, QCTS_DT_F32, 1 },
        { "gguf_q4_1", 2, 4, 19, 256, 264, 24, QCTS_DT_F32, QCTS_DT_BF16, 0 },
        { "gguf_q6_k", 1, 1, 13, 512, 0, 0, QCTS_DT_BF16, QCTS_DT_F32, 1 },
        { "gguf_q6_k", 1, 7, 9, 768, 0, 0, QCTS_DT_F32, QCTS_DT_F16, 1 },
        { "mxfp8_e4m3", 1, 1, 35, 96, 0, 0, QCTS_DT_F32, QCTS_DT_F32, 1 },
        { "mxfp8_e4m3", 2, 3, 17, 160, 0, 20, QCTS_DT_F16, QCTS_DT_F32, 0 },
        { "mxfp6_e3m2", 1, 2, 11, 128, 0, 0, QCTS_DT_F32, QCTS_DT_F32, 1 },
        { "int3_asym_g128", 1, 1, 10, 384, 0, 0, QCTS_DT_F32, QCTS_DT_F32, 1 },
        { "nf2_g64", 1, 5, 6, 192, 0, 0, QCTS_DT_F32, QCTS_DT_F32, 0 },
        { "fp8_e5m2_per_tensor", 1, 3, 7, 45, 0, 0, QCTS_DT_F32, QCTS_DT_F32, 1 },
        { "marlin_int4_g128", 1, 1, 256, 256, 0, 0, QCTS_DT_F32, QCTS_DT_F32, 1 },
        { "marlin_fp4_g128", 1, 6, 256, 384, 0, 0, QCTS_DT_F16, QCTS_DT_F32, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        abi_gemm g;
        char msg[512], what[256];
        const char *variant = NULL;
        if (abi_make(&g, cases[i].scheme, cases[i].batch, cases[i].M, cases[i].N, cases[i].K, cases[i].lda,
                     cases[i].ldy, cases[i].adt, cases[i].odt, cases[i].bias, 0xAB100 + i) != 0) {
            QCHECK(0, "%s: cannot build the case", cases[i].scheme);
            abi_free(&g);
            continue;
        }
        qcts_status st = abi_run(be, &g, &variant, msg, sizeof msg);
        snprintf(what, sizeof what, "avx2 %s case %zu (%s)", cases[i].scheme, i, variant ? variant : "?");
        if (QCHECK(st == QCTS_OK, "%s: %s", what, msg)) {
            QCHECK(variant && strstr(variant, cases[i].scheme) && strstr(variant, "__avx2"), "%s: variant %s", what,
                   variant ? variant : "NULL");
            if (cases[i].M == 1 && qcts_gemm_variant_find(QCTS_ISA_AVX2, cases[i].scheme, 1))
                QCHECK(strncmp(variant, "qcts_gemv_", 10) == 0, "%s: M = 1 should use the GEMV", what);
            abi_check(&g, what);
        }
        abi_free(&g);
    }
}

/* Threads 1, 2 and 7 (pool participants, chunks claimed dynamically) give
 * the same bits, for every backend of an ISA that runs here: GEMV and GEMM
 * with N tails, and dequant (QCTS_THREADS) to f32 and bf16. */
static const qcts_backend *isa_backend(qcts_isa isa)
{
    switch (isa) {
    case QCTS_ISA_AVX2: return qcts_backend_avx2_entry();
    case QCTS_ISA_AVX512: return qcts_backend_avx512_entry();
    case QCTS_ISA_NEON: return qcts_backend_neon_entry();
    default: return qcts_backend_simd_entry();
    }
}

static void test_threads_identical(void)
{
    if (!any_isa_ok("thread invariance"))
        return;
    static const char *schemes[] = { "fp4_g128_f16", "int4_asym_g128", "gguf_q4_0", "int8_per_channel",
                                     "sparse24_fp4_g128", "gguf_q4_1", "gguf_q6_k", "mxfp8_e4m3", "mxfp4",
                                     "int4_sym_g128", "gguf_mxfp4", "nf4_g64" };
    static const int64_t Ms[] = { 1, 7 };
    static const int threads[] = { 1, 2, 7 };
    int runs = 0;
    for (int isa = QCTS_ISA_SCALAR; isa < QCTS_ISA_COUNT; isa++) {
        if (isa != QCTS_ISA_SCALAR && !isa_runs((qcts_isa)isa))
            continue;
        const qcts_backend *be = isa_backend((qcts_isa)isa);
        for (size_t si = 0; si < sizeof schemes / sizeof schemes[0]; si++)
            for (int mi = 0; mi < 2; mi++) {
                abi_gemm g;
                char msg[512];
                int64_t K = strcmp(schemes[si], "int8_per_channel") == 0 ? 299 : 512;
                if (abi_make(&g, schemes[si], 1, Ms[mi], 101, K, 0, 0, QCTS_DT_F32, QCTS_DT_F32, 1, 0x7700 + si) != 0) {
                    abi_free(&g);
                    continue;
                }
                void *first = malloc(g.y_bytes);
                for (int t = 0; t < 3; t++) {
                    g.d.threads = threads[t];
                    qcts_status st = abi_run(be, &g, NULL, msg, sizeof msg);
                    if (!QCHECK(st == QCTS_OK, "%s %s threads %d: %s", be->name, schemes[si], threads[t], msg))
                        break;
                    runs++;
                    if (t == 0)
                        memcpy(first, g.y, g.y_bytes);
                    else
                        QCHECK(memcmp(first, g.y, g.y_bytes) == 0, "%s %s M=%lld: threads %d differ from threads 1",
                               be->name, schemes[si], (long long)Ms[mi], threads[t]);
                }
                free(first);
                abi_free(&g);
            }
        /* dequant over the pool: rows split among QCTS_THREADS participants */
        for (size_t si = 0; si < sizeof schemes / sizeof schemes[0]; si++) {
            const qref_scheme *s = qref_scheme_find(schemes[si]);
            const int64_t rows = 37, cols = strcmp(schemes[si], "int8_per_channel") == 0 ? 299 : 512;
            rng = 0x7D00 + si;
            float *w = random_weights(rows, cols);
            qt q;
            if (qt_make(&q, s, rows, cols, w) != 0) {
                free(w);
                qt_free(&q);
                continue;
            }
            for (int dt = 0; dt < 2; dt++) {
                qcts_dequant_desc dd = { .scheme = s->name, .rows = rows, .cols = cols,
                                         .out_dtype = dt ? QCTS_DT_BF16 : QCTS_DT_F32 };
                size_t ob = (size_t)(rows * cols) * (dt ? 2 : 4);
                void *got = malloc(ob), *first = malloc(ob);
                qcts_buffers b = { .in = { q.bytes }, .in_bytes = { q.v.sizes.total }, .out = { got }, .out_bytes = { ob } };
                for (int t = 0; t < 3; t++) {
                    char env[16], msg[512];
                    snprintf(env, sizeof env, "%d", threads[t]);
                    setenv("QCTS_THREADS", env, 1);
                    qcts_call *call = NULL;
                    memset(got, 0xA5, ob);
                    qcts_status st = be->dequant(&dd, &b, &call, msg, sizeof msg);
                    if (st == QCTS_OK)
                        st = be->run(call, msg, sizeof msg);
                    if (call)
                        be->release(call);
                    if (!QCHECK(st == QCTS_OK, "%s dequant %s threads %d: %s", be->name, s->name, threads[t], msg))
                        break;
                    runs++;
                    if (t == 0)
                        memcpy(first, got, ob);
                    else
                        QCHECK(memcmp(first, got, ob) == 0, "%s dequant %s dtype %d: threads %d differ from 1",
                               be->name, s->name, dt, threads[t]);
                }
                unsetenv("QCTS_THREADS");
                free(got);
                free(first);
            }
            free(w);
            qt_free(&q);
        }
    }
    CU_ASSERT(runs > 100);
    /* The pool really ran 7 participants (6 workers), started once. */
    QCHECK(qcts_pool_workers() >= 6, "pool workers: %d", qcts_pool_workers());
}

/* Every ISA's f16/bf16 conversions give qref's bits for every value class
 * (NaN payloads and signs, Inf, subnormals, ties), at every position of a
 * vector and its scalar tail: thread chunks move elements between them. */
static void test_convert_every_isa(void)
{
    static const uint32_t special[] = { 0x7FC00000u, 0x7FFFFFFFu, 0xFFC00000u, 0x7F800001u, 0xFF812345u, 0x7FA00000u,
                                        0x7F800000u, 0xFF800000u, 0x00000001u, 0x80000000u, 0x33800000u, 0x387FE000u,
                                        0x477FF000u, 0x477FF001u, 0x3F808000u, 0x3F818000u, 0x7F7FFFFFu, 0x00800000u };
    enum { n = 67 };
    float x[n];
    uint16_t got[n], h[n];
    for (int i = 0; i < n; i++) {
        uint32_t b = special[(size_t)i % (sizeof special / sizeof special[0])] ^ (uint32_t)(i / 18) << 31;
        memcpy(&x[i], &b, 4);
        h[i] = (uint16_t)(0x3C00 + 37 * i) ^ (uint16_t)(i % 3 == 0 ? 0x7C00 : 0);   /* f16 incl. Inf/NaN */
    }
    for (int isa = QCTS_ISA_SCALAR; isa < QCTS_ISA_COUNT; isa++) {
        if (isa != QCTS_ISA_SCALAR && !isa_runs((qcts_isa)isa))
            continue;
        const qcts_convert_ops *cv = qcts_convert_ops_for((qcts_isa)isa);
        for (int off = 0; off < 9; off++) {   /* every alignment of the vector/tail split */
            cv->f32_to_f16(x + off, got, n - off);
            for (int i = off; i < n; i++)
                QCHECK(got[i - off] == qref_f32_to_f16(x[i]), "%s f32_to_f16 offset %d element %d: 0x%04x, qref 0x%04x",
                       qcts_isa_name((qcts_isa)isa), off, i, got[i - off], qref_f32_to_f16(x[i]));
            cv->f32_to_bf16(x + off, got, n - off);
            for (int i = off; i < n; i++)
                QCHECK(got[i - off] == qref_f32_to_bf16(x[i]), "%s f32_to_bf16 offset %d element %d: 0x%04x, qref 0x%04x",
                       qcts_isa_name((qcts_isa)isa), off, i, got[i - off], qref_f32_to_bf16(x[i]));
            float y[n];
            cv->f16_to_f32(h + off, y, n - off);
            for (int i = off; i < n; i++) {
                float r = qref_f16_to_f32(h[i]);
                QCHECK(memcmp(&y[i - off], &r, 4) == 0, "%s f16_to_f32 element %d", qcts_isa_name((qcts_isa)isa), i);
            }
        }
    }
}

/* Chunks: whole multiples of align, several per participant, so 16
 * threads have work on a 1024-row GEMV (4-row units) and 64 GEMM tiles. */
static void test_pool_chunks(void)
{
    CU_ASSERT_EQUAL(qcts_parallel_chunk(16, 1024, 4) % 4, 0);
    CU_ASSERT(1024 / qcts_parallel_chunk(16, 1024, 4) >= 32);
    CU_ASSERT(1024 / qcts_parallel_chunk(16, 1024, 16) >= 16);
    CU_ASSERT_EQUAL(qcts_parallel_chunk(1, 1000, 16), 1008);
}

/* f16/bf16 dequant through the ABI, and the reasons given. */
static void test_abi_dequant_and_refusals(void)
{
    if (!avx2_ok("avx2 backend dequant"))
        return;
    const qcts_backend *be = qcts_backend_avx2_entry();
    static const qcts_dtype dts[] = { QCTS_DT_F32, QCTS_DT_F16, QCTS_DT_BF16 };
    for (size_t i = 0; i < qcts_dequant_variant_count; i++) {
        const qcts_dequant_variant *dv = &qcts_dequant_variants[i];
        if (dv->isa != QCTS_ISA_AVX2)
            continue;
        const qref_scheme *s = qref_scheme_find(dv->scheme);
        int64_t c = min_cols(s), rows = min_rows(s) > 1 ? min_rows(s) : 5, cols = c == 1 ? 45 : 2 * c;
        rng = 0x5E00 + i;
        float *w = random_weights(rows, cols);
        qt q;
        if (qt_make(&q, s, rows, cols, w) != 0) {
            free(w);
            qt_free(&q);
            continue;
        }
        for (int d = 0; d < 3; d++) {
            qcts_dequant_desc dd = { .scheme = dv->scheme, .rows = rows, .cols = cols, .out_dtype = dts[d] };
            size_t ob = (size_t)(rows * cols) * dt_size(dts[d]);
            void *got = malloc(ob), *ref = malloc(ob);
            qcts_buffers b;
            memset(&b, 0, sizeof b);
            b.in[0] = q.bytes;
            b.in_bytes[0] = q.t.sizes.total;
            b.out[0] = got;
            b.out_bytes[0] = ob;
            qcts_call *call = NULL;
            char msg[512];
            qcts_status st = be->dequant(&dd, &b, &call, msg, sizeof msg);
            if (QCHECK(st == QCTS_OK, "%s: %s", dv->scheme, msg)) {
                const char *var = be->variant(call);
                QCHECK(strcmp(var, dv->symbol) == 0, "%s dtype %d: variant %s", dv->scheme, d, var);
                CU_ASSERT(be->run(call, msg, sizeof msg) == QCTS_OK);
                be->release(call);
                qref_error e;
                CU_ASSERT(qref_dequantize_as(&q.t, dt_fmt(dts[d]), ref, &e) == QREF_OK);
                QCHECK(memcmp(got, ref, ob) == 0, "%s: dequant to dtype %d differs from qref_dequantize_as",
                       dv->scheme, d);
            }
            free(got);
            free(ref);
        }
        free(w);
        qt_free(&q);
    }
    /* Every preset of the catalog has an AVX2 dequant kernel and a GEMM
     * (so the avx2 backend refuses none); the generic tier still serves
     * them when the ISA is forced to scalar. */
    for (size_t i = 0; i < qref_scheme_count(); i++) {
        const char *name = qref_scheme_at(i)->name;
        QCHECK(qcts_dequant_variant_find(QCTS_ISA_AVX2, name) != NULL, "%s: no AVX2 dequant kernel", name);
        QCHECK(qcts_gemm_variant_find(QCTS_ISA_AVX2, name, 0) != NULL, "%s: no AVX2 GEMM kernel", name);
    }
    {
        const qref_scheme *s = qref_scheme_find("int3_asym_g128");
        rng = 0x3333;
        float *w = random_weights(4, 128);
        qt q;
        CU_ASSERT_FATAL(qt_make(&q, s, 4, 128, w) == 0);
        float out[512];
        qcts_dequant_desc dd = { .scheme = "int3_asym_g128", .rows = 4, .cols = 128, .out_dtype = QCTS_DT_F32 };
        qcts_buffers b;
        memset(&b, 0, sizeof b);
        b.in[0] = q.bytes;
        b.in_bytes[0] = q.t.sizes.total;
        b.out[0] = out;
        b.out_bytes[0] = sizeof out;
        qcts_call *call = NULL;
        char msg[512];
        CU_ASSERT_EQUAL(be->dequant(&dd, &b, &call, msg, sizeof msg), QCTS_OK);
        if (call)
            be->release(call);
        /* An unknown scheme is refused with its name. */
        dd.scheme = "int3_asym_g999";
        call = NULL;
        CU_ASSERT_NOT_EQUAL(be->dequant(&dd, &b, &call, msg, sizeof msg), QCTS_OK);
        QCHECK(strstr(msg, "int3_asym_g999") != NULL, "msg = '%s'", msg);
        CU_ASSERT_PTR_NULL(call);
        dd.scheme = "int3_asym_g128";
        const char *var = NULL;
        CU_ASSERT_EQUAL(qcts_simd_call(QCTS_ISA_AVX2, QCTS_OP_DEQUANT, &dd, &b, &var, msg, sizeof msg), QCTS_OK);
        CU_ASSERT_STRING_EQUAL(var, "qcts_dequant_int3_asym_g128__avx2");
        CU_ASSERT_EQUAL(qcts_simd_call(QCTS_ISA_SCALAR, QCTS_OP_DEQUANT, &dd, &b, &var, msg, sizeof msg), QCTS_OK);
        CU_ASSERT_STRING_EQUAL(var, "qcts_dequant_span__scalar");
        /* Corrupt data is refused at prepare, naming the row and block. */
        uint8_t *bad = malloc(q.t.sizes.total);
        memcpy(bad, q.bytes, q.t.sizes.total);
        bad[q.t.sizes.codes + q.t.sizes.scales] = 200;   /* zero point above 7 */
        b.in[0] = bad;
        CU_ASSERT_EQUAL(qcts_simd_call(QCTS_ISA_AVX2, QCTS_OP_DEQUANT, &dd, &b, &var, msg, sizeof msg), QCTS_ERROR);
        QCHECK(strstr(msg, "zero point") != NULL, "msg = '%s'", msg);
        free(bad);
        free(w);
        qt_free(&q);
    }
}

/* ---- the generic tier (QCTS_FORCE_ISA=scalar) ---------------------------------------------- */

static void test_scalar_every_scheme(void)
{
    int tested = 0;
    for (size_t i = 0; i < qref_scheme_count(); i++) {
        const qref_scheme *s = qref_scheme_at(i);
        int64_t c = min_cols(s);
        if (c == 0)
            continue;
        int64_t rows = 16, cols = c == 1 ? 45 : c * ((300 + c - 1) / c);
        qref_qsizes z;
        if (qref_qsizes_get(s, rows, cols, &z, NULL) != QREF_OK)
            continue;
        rng = 0x5CA1 + i;
        float *w = random_weights(rows, cols);
        qt q;
        int rc = qt_make(&q, s, rows, cols, w);
        free(w);
        if (rc != 0) {
            qt_free(&q);
            continue;
        }
        tested++;
        static const qcts_dtype dts[] = { QCTS_DT_F32, QCTS_DT_F16, QCTS_DT_BF16 };
        for (int d = 0; d < 3; d++) {
            qcts_dequant_desc dd = { .scheme = s->name, .rows = rows, .cols = cols, .out_dtype = dts[d] };
            size_t ob = (size_t)(rows * cols) * dt_size(dts[d]);
            void *got = malloc(ob), *ref = malloc(ob);
            qcts_buffers b;
            memset(&b, 0, sizeof b);
            b.in[0] = q.bytes;
            b.in_bytes[0] = q.t.sizes.total;
            b.out[0] = got;
            b.out_bytes[0] = ob;
            char msg[512];
            const char *var = NULL;
            qcts_status st = qcts_simd_call(QCTS_ISA_SCALAR, QCTS_OP_DEQUANT, &dd, &b, &var, msg, sizeof msg);
            if (QCHECK(st == QCTS_OK, "scalar dequant %s: %s", s->name, msg)) {
                QCHECK(strstr(var, "__scalar") != NULL, "%s: variant %s", s->name, var);
                qref_error e;
                CU_ASSERT(qref_dequantize_as(&q.t, dt_fmt(dts[d]), ref, &e) == QREF_OK);
                QCHECK(memcmp(got, ref, ob) == 0, "scalar dequant %s to dtype %d differs from qref", s->name, d);
            }
            free(got);
            free(ref);
        }
        qt_free(&q);
        /* GEMM through the generic tier, in bound. */
        abi_gemm g;
        if (abi_make(&g, s->name, 1, 3, rows, cols, 0, 0, QCTS_DT_F16, QCTS_DT_F32, 1, 0x5CA2 + i) == 0) {
            char msg[512], what[128];
            const char *var = NULL;
            qcts_status st = qcts_simd_call(QCTS_ISA_SCALAR, QCTS_OP_GEMM, &g.d, &g.b, &var, msg, sizeof msg);
            snprintf(what, sizeof what, "scalar gemm %s", s->name);
            if (QCHECK(st == QCTS_OK, "%s: %s", what, msg)) {
                CU_ASSERT_STRING_EQUAL(var, "qcts_gemm__scalar");
                abi_check(&g, what);
            }
        }
        abi_free(&g);
    }
    CU_ASSERT(tested >= 20);
}

QTEST_SUITE(avx2,
    QTEST(test_cpu_and_force),
    QTEST(test_registry),
    QTEST(test_dequant_variants),
    QTEST(test_dequant_odd_many_scales),
    QTEST(test_dequant_every_code),
    QTEST(test_gemm_variants),
    QTEST(test_gemm_exact_fill),
    QTEST(test_abi_gemm),
    QTEST(test_threads_identical),
    QTEST(test_pool_chunks),
    QTEST(test_convert_every_isa),
    QTEST(test_abi_dequant_and_refusals),
    QTEST(test_scalar_every_scheme))
