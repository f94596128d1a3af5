/* Suite simd_ops: the coverage of the CPU SIMD backends (avx2, avx512,
 * neon, simd) and the pieces behind it:
 *   - every slot of the ABI is filled (convert, quantize, dequant, gemm and
 *     every op after GEMM), and the check finds a backend with one missing;
 *   - qcts_opcall_new (kernels/opcall.h) validates, allocates and copies,
 *     and refuses a buffer that is too small;
 *   - the generic tier of the ops after GEMM gives the reference's bits and
 *     says "generic:" in its variant; simd picks the slot of its ISA;
 *   - convert: the vector f16 / bf16 path equals qref_encode / qref_decode
 *     under every convention, NaNs included, on every ISA that runs here
 *     (and the plain vector conversion, without the NaN fix-up, does NOT
 *     under some conventions: the comparison can fail); other formats run
 *     the generic tier (qref_encode) and say so. */
#include "qtest.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "kernels/kernels_impl.h"
#include "kernels/opcall.h"
#include "kernels/simd/quantize_int.h"
#include "kernels/simd/simd.h"
#include "qcts/op_hadamard.h"
#include "qcts/op_norm.h"
#include "qref/bits.h"
#include "qref/fmt.h"
#include "qref/scheme.h"

/* The first NULL slot of be (its name), or NULL when every slot is set. */
static const char *missing_slot(const qcts_backend *be)
{
#define S(NAME)                                                                                              \
    if (!be->NAME)                                                                                           \
        return #NAME;
    S(convert) S(quantize) S(dequant) S(gemm) S(attention) S(rope) S(norm) S(softmax) S(hadamard)
    S(moe_route) S(moe_dispatch) S(moe_experts) S(sampling)
#undef S
    return NULL;
}

static void test_every_slot_filled(void)
{
    const qcts_backend *bes[] = { qcts_backend_simd_entry(), qcts_backend_avx2_entry(), qcts_backend_avx512_entry(),
                                  qcts_backend_neon_entry() };
    for (size_t i = 0; i < sizeof bes / sizeof bes[0]; i++) {
        char why[256];
        if (!bes[i]->available(why, sizeof why))   /* e.g. avx2 on arm64: it has no kernels to offer */
            continue;
        const char *m = missing_slot(bes[i]);
        QCHECK(m == NULL, "backend %s has no %s", bes[i]->name, m ? m : "");
    }
    qcts_backend copy = *qcts_backend_simd_entry();   /* the check itself can fail */
    copy.moe_dispatch = NULL;
    const char *m = missing_slot(&copy);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_STRING_EQUAL(m, "moe_dispatch");
}

/* ---- a small norm call ------------------------------------------------------------- */

enum { ROWS = 3, COLS = 40 };
static float x_in[ROWS * COLS], w_in[COLS];

static void norm_setup(qcts_norm_desc *d, qcts_buffers *b, float *y)
{
    for (int i = 0; i < ROWS * COLS; i++)
        x_in[i] = (float)((i * 37 % 23) - 11) * 0.37f;
    for (int i = 0; i < COLS; i++)
        w_in[i] = 0.5f + (float)(i % 7) * 0.125f;
    *d = (qcts_norm_desc){ .kind = QCTS_NORM_RMS, .dtype = QCTS_DT_F32, .out_dtype = QCTS_DT_F32, .has_weight = 1,
                           .rows = ROWS, .n = COLS, .eps = 1e-6, .threads = 1 };
    memset(b, 0, sizeof *b);
    b->in[0] = x_in;
    b->in_bytes[0] = sizeof x_in;
    b->in[1] = w_in;
    b->in_bytes[1] = sizeof w_in;
    b->out[0] = y;
    b->out_bytes[0] = sizeof(float) * ROWS * COLS;
}

typedef struct probe_call {
    qcts_opcall h;
    qcts_norm_desc d;
    qcts_buffers b;
    int extra;
} probe_call;

static qcts_status probe_run(qcts_opcall *c, char *msg, size_t n)
{
    (void)c, (void)msg, (void)n;
    return QCTS_OK;
}

static void test_opcall_new(void)
{
    qcts_norm_desc d;
    qcts_buffers b;
    float y[ROWS * COLS];
    norm_setup(&d, &b, y);
    char msg[512] = "";
    qcts_status st = QCTS_ERROR;
    qcts_op_io io;
    probe_call *c = QCTS_OPCALL_NEW(probe_call, QCTS_OP_NORM, "probe", probe_run, qcts_opcall_free, "probe_v", &d,
                                    &b, &io, &st, msg, sizeof msg);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(st, QCTS_OK);
    CU_ASSERT_EQUAL(c->h.op, QCTS_OP_NORM);
    CU_ASSERT_PTR_EQUAL(c->h.run, probe_run);
    CU_ASSERT_STRING_EQUAL(c->h.variant, "probe_v");
    CU_ASSERT(memcmp(&c->d, &d, sizeof d) == 0);
    CU_ASSERT(memcmp(&c->b, &b, sizeof b) == 0);
    CU_ASSERT_EQUAL(c->extra, 0);   /* the rest is zeroed */
    CU_ASSERT_EQUAL(io.in[0].nbytes, sizeof x_in);
    c->h.release(&c->h);

    b.in_bytes[0] = sizeof x_in - 4;   /* one element short: refused, named */
    c = QCTS_OPCALL_NEW(probe_call, QCTS_OP_NORM, "probe", probe_run, qcts_opcall_free, "probe_v", &d, &b, NULL, &st,
                        msg, sizeof msg);
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT_EQUAL(st, QCTS_ERROR);
    QCHECK(strstr(msg, "probe: input 0") && strstr(msg, "too small"), "message: %s", msg);
}

/* Runs slot on a fresh norm call; returns the status, the variant in *v. */
static qcts_status run_norm(qcts_norm_fn slot, float *y, char *variant, size_t vn)
{
    qcts_norm_desc d;
    qcts_buffers b;
    norm_setup(&d, &b, y);
    char msg[512];
    qcts_call *c = NULL;
    qcts_status st = slot(&d, &b, &c, msg, sizeof msg);
    if (st != QCTS_OK)
        return st;
    snprintf(variant, vn, "%s", qcts_opcall_variant(c));
    st = qcts_opcall_run(c, msg, sizeof msg);
    qcts_opcall_release(c);
    return st;
}

static void test_generic_tier_and_simd_choice(void)
{
    float want[ROWS * COLS], got[ROWS * COLS];
    char v[128];
    CU_ASSERT_EQUAL_FATAL(run_norm(qcts_ref_norm, want, v, sizeof v), QCTS_OK);
    memset(got, 0xFF, sizeof got);
    CU_ASSERT_EQUAL_FATAL(run_norm(qcts_generic_norm, got, v, sizeof v), QCTS_OK);
    CU_ASSERT(memcmp(got, want, sizeof want) == 0);
    QCHECK(strncmp(v, "generic: ", 9) == 0, "generic variant: %s", v);

    qcts_isa isa;
    char why[256];
    if (qcts_simd_isa(&isa, why, sizeof why) != 0) {
        CU_ASSERT_EQUAL(run_norm(qcts_simd_norm, got, v, sizeof v), QCTS_UNAVAILABLE);
        return;
    }
    CU_ASSERT_EQUAL_FATAL(run_norm(qcts_simd_norm, got, v, sizeof v), QCTS_OK);
    const char *expect = isa == QCTS_ISA_AVX2     ? "__avx2"
                         : isa == QCTS_ISA_AVX512 ? "__avx512"
                         : isa == QCTS_ISA_NEON   ? "__neon"
                                                  : "generic: ";
    QCHECK(strstr(v, expect) != NULL, "simd on %s ran %s, expected a variant with '%s'", qcts_isa_name(isa), v,
           expect);
    if (isa == QCTS_ISA_SCALAR)
        CU_ASSERT(memcmp(got, want, sizeof want) == 0);

    /* neon: UNAVAILABLE where it cannot run, its NEON kernel where it can
     * (suite neon_ops checks its values) */
    qcts_status st = run_norm(qcts_neon_norm, got, v, sizeof v);
    if (qcts_isa_built(QCTS_ISA_NEON, NULL, 0) && qcts_isa_cpu_ok(QCTS_ISA_NEON, NULL, 0)) {
        CU_ASSERT_EQUAL(st, QCTS_OK);
        QCHECK(strcmp(v, "qcts_norm_rows__neon") == 0, "neon norm ran %s", v);
    } else {
        CU_ASSERT_EQUAL(st, QCTS_UNAVAILABLE);
    }
}

/* ---- convert ------------------------------------------------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

enum { NCV = 4096 };

/* Inputs: signed zeros, infinities, NaNs with payloads (quiet, signalling,
 * payload bits below f16/bf16's), subnormals, ties, then random bits. */
static void encode_inputs(float *x)
{
    static const uint32_t special[] = { 0x00000000u, 0x80000000u, 0x7F800000u, 0xFF800000u, 0x7FC00000u,
                                        0xFFC00000u, 0x7F800001u, 0xFF800001u, 0x7FA00000u, 0x7FFFFFFFu,
                                        0xFFFFFFFFu, 0x7F802000u, 0x7F810000u, 0x00000001u, 0x387FE000u,
                                        0x33000000u, 0x33000001u, 0x477FF000u, 0x477FEFFFu, 0x7F7FFFFFu,
                                        0x3F808000u, 0x3F818000u };
    size_t ns = sizeof special / sizeof special[0];
    uint64_t s = 42;
    for (int i = 0; i < NCV; i++) {
        uint32_t u = i < (int)ns ? special[i] : (uint32_t)rng_next(&s);
        if (i >= (int)ns && i % 5 == 0)
            u |= 0x7F800000u;   /* plenty of NaNs and infinities */
        x[i] = qref_f32_from_bits(u);
    }
}

/* Runs one convert call of the SIMD slot for isa; 0 on success. */
static int simd_convert(qcts_isa isa, const qcts_convert_desc *d, const void *in, size_t in_bytes, void *out,
                        size_t out_bytes, uint8_t *status, char *variant, size_t vn)
{
    qcts_buffers b;
    memset(&b, 0, sizeof b);
    b.in[0] = in;
    b.in_bytes[0] = in_bytes;
    b.out[0] = out;
    b.out_bytes[0] = out_bytes;
    b.out[1] = status;
    b.out_bytes[1] = status ? (size_t)d->n : 0;
    char msg[512];
    qcts_call *c = NULL;
    if (qcts_simd_convert_slot(isa, "test", d, &b, &c, msg, sizeof msg) != QCTS_OK) {
        QCHECK(0, "convert prepare: %s", msg);
        return -1;
    }
    snprintf(variant, vn, "%s", qcts_opcall_variant(c));
    qcts_status st = qcts_opcall_run(c, msg, sizeof msg);
    qcts_opcall_release(c);
    QCHECK(st == QCTS_OK, "convert run: %s", msg);
    return st == QCTS_OK ? 0 : -1;
}

static int isa_runs(qcts_isa isa)
{
    return isa == QCTS_ISA_SCALAR || (qcts_isa_built(isa, NULL, 0) && qcts_isa_cpu_ok(isa, NULL, 0));
}

static void test_convert_f16_bf16_every_convention(void)
{
    static float x[NCV];
    static uint16_t y[NCV], h[65536];
    static float back[65536];
    static uint8_t status[NCV];
    encode_inputs(x);
    for (uint32_t i = 0; i < 65536; i++)
        h[i] = (uint16_t)i;
    int bad = 0, isas = 0;
    for (int isa = 0; isa < QCTS_ISA_COUNT; isa++) {
        if (!isa_runs((qcts_isa)isa))
            continue;
        isas++;
        for (int f = QREF_FMT_F16; f <= QREF_FMT_BF16; f++) {
            for (int cv = 0; cv < QREF_CONV_COUNT; cv++) {
                char v[128];
                qcts_convert_desc d = { .fmt = (uint32_t)f, .convention = (uint32_t)cv, .mode = QREF_MODE_DEFAULT,
                                        .decode = 0, .n = NCV };
                memset(status, 0xAA, sizeof status);
                if (simd_convert((qcts_isa)isa, &d, x, sizeof x, y, sizeof y, status, v, sizeof v))
                    return;
                QCHECK(strncmp(v, "qcts_convert__", 14) == 0, "variant %s: not the vector path", v);
                for (int i = 0; i < NCV && bad < QTEST_MAX_REPORTS; i++) {
                    uint32_t want;
                    qref_encode((qref_fmt)f, (qref_conv)cv, QREF_MODE_DEFAULT, x[i], &want);
                    if (!QCHECK(y[i] == want && status[i] == 0, "%s %s %s: encode 0x%08X -> 0x%04X, want 0x%04X",
                                qcts_isa_name((qcts_isa)isa), qref_fmt_get((qref_fmt)f)->name,
                                qref_conv_name((qref_conv)cv), (unsigned)qref_f32_bits(x[i]), y[i], (unsigned)want))
                        bad++;
                }
                d.decode = 1;
                d.n = 65536;
                if (simd_convert((qcts_isa)isa, &d, h, sizeof h, back, sizeof back, NULL, v, sizeof v))
                    return;
                for (uint32_t i = 0; i < 65536 && bad < QTEST_MAX_REPORTS; i++) {
                    float want;
                    qref_decode((qref_fmt)f, (qref_conv)cv, i, &want);
                    if (!QCHECK(qref_f32_bits(back[i]) == qref_f32_bits(want), "%s %s %s: decode 0x%04X -> 0x%08X, "
                                "want 0x%08X", qcts_isa_name((qcts_isa)isa), qref_fmt_get((qref_fmt)f)->name,
                                qref_conv_name((qref_conv)cv), (unsigned)i, (unsigned)qref_f32_bits(back[i]),
                                (unsigned)qref_f32_bits(want)))
                        bad++;
                }
            }
        }
    }
    CU_ASSERT(isas >= 1);
}

/* The NaN fix-up matters: the plain conversion (the OCP convention) differs
 * from qref_encode under some convention, for encode and for f16 decode,
 * so the comparison above would catch a path that skipped it. */
static void test_convert_without_nan_fixup_differs(void)
{
    static float x[NCV];
    static uint16_t y[NCV];
    encode_inputs(x);
    const qcts_convert_ops *ops = qcts_convert_ops_for(QCTS_ISA_SCALAR);
    int enc_diff = 0, dec_diff = 0;
    for (int f = QREF_FMT_F16; f <= QREF_FMT_BF16; f++) {
        if (f == QREF_FMT_F16)
            ops->f32_to_f16(x, y, NCV);
        else
            ops->f32_to_bf16(x, y, NCV);
        for (int cv = 0; cv < QREF_CONV_COUNT; cv++)
            for (int i = 0; i < NCV; i++) {
                uint32_t want;
                qref_encode((qref_fmt)f, (qref_conv)cv, QREF_MODE_DEFAULT, x[i], &want);
                enc_diff += y[i] != want;
            }
    }
    for (int cv = 0; cv < QREF_CONV_COUNT; cv++)
        for (uint32_t i = 0x7C01u; i < 0x7C10u; i++) {
            uint16_t code = (uint16_t)i;
            float plain, want;
            ops->f16_to_f32(&code, &plain, 1);
            qref_decode(QREF_FMT_F16, (qref_conv)cv, i, &want);
            dec_diff += qref_f32_bits(plain) != qref_f32_bits(want);
        }
    QCHECK(enc_diff > 0, "no encode differs: the NaN fix-up is untested");
    QCHECK(dec_diff > 0, "no f16 decode differs: the NaN fix-up is untested");
}

/* Every other format runs the generic tier and says so. */
static void test_convert_other_formats_generic(void)
{
    static float x[NCV];
    static uint32_t y[NCV];   /* wide enough for every code width */
    encode_inputs(x);
    qcts_convert_desc d = { .fmt = QREF_FMT_E4M3, .convention = QREF_CONV_OCP, .mode = QREF_MODE_DEFAULT,
                            .decode = 0, .n = NCV };
    char v[128];
    static uint8_t status[NCV];
    if (simd_convert(QCTS_ISA_SCALAR, &d, x, sizeof x, y, sizeof y, status, v, sizeof v))
        return;
    CU_ASSERT_STRING_EQUAL(v, "generic: qref_encode");
    int bad = 0;
    for (int i = 0; i < NCV && bad < QTEST_MAX_REPORTS; i++) {
        uint32_t want;
        qref_status s = qref_encode(QREF_FMT_E4M3, QREF_CONV_OCP, QREF_MODE_DEFAULT, x[i], &want);
        if (!QCHECK(((const uint8_t *)y)[i] == want && status[i] == (uint8_t)s, "e4m3 encode of 0x%08X",
                    (unsigned)qref_f32_bits(x[i])))
            bad++;
    }
}

/* The avx512 Hadamard: bit-identical to a scalar float32 butterfly network
 * (the op's network: stages h = 1, 2, ..., a + b and a - b), unnormalised
 * forward, every n; threads 1 and 3 the same. */
static void test_hadamard_avx512_network(void)
{
#if QCTS_SIMD_X86
    if (!isa_runs(QCTS_ISA_AVX512))
        return;
    enum { R = 3 };
    static float x[R * 4096], y1[R * 4096], y3[R * 4096], t[4096];
    uint64_t s = 11;
    for (int64_t n = 32; n <= 4096; n *= 2) {
        for (int64_t i = 0; i < R * n; i++)
            x[i] = (float)(int64_t)(rng_next(&s) % 2001) * 0.001f - 1.0f;
        qcts_hadamard_desc d = { R, n, 0, 0, QCTS_DT_F32, QCTS_DT_F32, 1, 0 };
        qcts_buffers b;
        memset(&b, 0, sizeof b);
        b.in[0] = x, b.in_bytes[0] = (size_t)(R * n) * 4;
        b.out[0] = y1, b.out_bytes[0] = (size_t)(R * n) * 4;
        char msg[256];
        for (int pass = 0; pass < 2; pass++) {
            qcts_call *c = NULL;
            CU_ASSERT_EQUAL_FATAL(qcts_avx512_hadamard(&d, &b, &c, msg, sizeof msg), QCTS_OK);
            CU_ASSERT_EQUAL(qcts_opcall_run(c, msg, sizeof msg), QCTS_OK);
            qcts_opcall_release(c);
            d.threads = 3;
            b.out[0] = y3;
        }
        long bad = 0;
        for (int r = 0; r < R; r++) {
            memcpy(t, x + r * n, (size_t)n * 4);
            for (int64_t h = 1; h < n; h *= 2)
                for (int64_t i = 0; i < n; i++)
                    if (!(i & h)) {
                        float a = t[i], c2 = t[i + h];
                        t[i] = a + c2;
                        t[i + h] = a - c2;
                    }
            bad += memcmp(t, y1 + r * n, (size_t)n * 4) != 0;
        }
        QCHECK(bad == 0, "avx512 hadamard n %lld: %ld rows differ from the float32 network", (long long)n, bad);
        QCHECK(memcmp(y1, y3, (size_t)(R * n) * 4) == 0, "avx512 hadamard n %lld: threads 1 and 3 differ",
               (long long)n);
    }
#endif
}

/* ---- quantize ------------------------------------------------------------------------- */

/* The vector integer quantizer against qref_quantize, byte for byte, for
 * the group presets and GGUF Q8_0 / Q4_0: random groups, groups of exact
 * ties (scale 1: x = k + 1/2 rounds to even in the group presets, away from
 * zero in Q8_0, and Q4_0 adds 8.5 and truncates), all-zero groups with -0,
 * tiny groups whose f16 scale is subnormal, a negative maximum, every ISA
 * that runs here; a NaN weight and a GGUF scale beyond f16 are handed back
 * to the generic tier (return 0), which reports them. */
static void test_quantize_int_vs_ref(void)
{
    const char *schemes[] = { "int4_sym_g128", "int8_per_channel", "gguf_q8_0", "gguf_q4_0" };
    enum { R = 5, C = 256 + 128 };
    static float w[R * C];
    static uint8_t got[1 << 16], want[1 << 16];
    int tried = 0;
    for (int isa = 1; isa < QCTS_ISA_COUNT; isa++) {
        for (size_t si = 0; si < 4; si++) {
            const qref_scheme *s = qref_scheme_find(schemes[si]);
            const qcts_qint_ops *ops = isa_runs((qcts_isa)isa) ? qcts_qint_ops_for((qcts_isa)isa, s) : NULL;
            if (!ops)
                continue;
            tried++;
            const float qmax = si == 0 ? 7.0f : si == 3 ? 8.0f : 127.0f;
            uint64_t st = 99 + si;
            for (int i = 0; i < R * C; i++) {
                int row = i / C;
                double u = (double)(rng_next(&st) >> 11) * 0x1p-53 * 2 - 1;
                if (row == 0)
                    w[i] = (float)(u * 3.0);
                else if (row == 1)   /* scale exactly 1 (amax = qmax): x = k + 1/2 are ties */
                    w[i] = i % C == 0 ? qmax : (float)((int)(u * (qmax - 1)) + 0.5);
                else if (row == 2)   /* zeros, -0 first: the Q4_0 scale must stay +0 */
                    w[i] = i % 2 ? 0.0f : -0.0f;
                else if (row == 3)
                    w[i] = (float)(u * 1e-7);   /* f16 scale subnormal */
                else   /* the largest magnitude negative in some blocks (Q4_0 keeps its sign) */
                    w[i] = (float)(u * 1e4);
            }
            if (si == 3)   /* Q4_0's scale is max / -8: a block with max = -8 has scale 1, ties at k + 0.5 */
                w[C] = -8.0f;
            qref_qtensor t;
            qref_error e;
            CU_ASSERT_EQUAL_FATAL(qref_quantize(s, R, C, w, &t, &e), QREF_OK);
            size_t nb = t.sizes.total;
            CU_ASSERT_FATAL(nb <= sizeof want);
            CU_ASSERT_EQUAL(qref_qtensor_save(&t, want, nb), QREF_OK);
            qref_qtensor_free(&t);
            memset(got, 0xAB, nb);
            CU_ASSERT_EQUAL(qcts_quantize_int(ops, s, R, C, w, got, nb), 1);
            size_t at = 0;
            while (at < nb && got[at] == want[at])
                at++;
            QCHECK(at == nb, "%s on %s: byte %zu of %zu differs (0x%02X, ref 0x%02X)", schemes[si],
                   qcts_isa_name((qcts_isa)isa), at, nb, at < nb ? got[at] : 0, at < nb ? want[at] : 0);
            w[7] = NAN;
            CU_ASSERT_EQUAL(qcts_quantize_int(ops, s, R, C, w, got, nb), 0);
            if (si >= 2) {   /* a block scale beyond f16: ref's error, so handed back */
                w[7] = 1e7f;
                CU_ASSERT_EQUAL(qcts_quantize_int(ops, s, R, C, w, got, nb), 0);
                CU_ASSERT_NOT_EQUAL(qref_quantize(s, R, C, w, &t, &e), QREF_OK);
            }
        }
    }
    if (!tried)
        CU_PASS("no ISA with a vector quantizer here");
}

/* Schemes the vector quantizer must leave to the generic tier. */
static void test_quantize_int_scope(void)
{
    const char *other[] = { "int4_asym_g128", "fp4_g128_f16", "mxfp4", "gguf_q4_1", "nvfp4", "fp8_e4m3_per_tensor" };
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
        QCHECK(qcts_qint_ops_for(QCTS_ISA_AVX2, qref_scheme_find(other[i])) == NULL &&
                   qcts_qint_ops_for(QCTS_ISA_NEON, qref_scheme_find(other[i])) == NULL,
               "%s must run the generic tier", other[i]);
    CU_ASSERT_PTR_NULL(qcts_qint_ops_for(QCTS_ISA_SCALAR, qref_scheme_find("int8_per_channel")));
}

QTEST_SUITE(simd_ops,
    QTEST(test_quantize_int_vs_ref),
    QTEST(test_quantize_int_scope),
    QTEST(test_hadamard_avx512_network),
    QTEST(test_every_slot_filled),
    QTEST(test_opcall_new),
    QTEST(test_generic_tier_and_simd_choice),
    QTEST(test_convert_f16_bf16_every_convention),
    QTEST(test_convert_without_nan_fixup_differs),
    QTEST(test_convert_other_formats_generic))
