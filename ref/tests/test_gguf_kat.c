/* Known answers for the GGUF family (suite gguf_kat).
 *
 * Dequantization: hand-built blocks; the expected value of element i is
 * computed here from the FORMATS.md §6 formula for that one element (which
 * byte, which nibble, which scale), not with the implementation's loops, and
 * a few are also written out as literals worked by hand.
 * Quantization: hand-picked blocks with the expected bytes (ties, clamps,
 * the libm caveat), and hashes of ggml's own output on seeded weights. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "qref/bits.h"
#include "qref/blocks.h"
#include "qref/scheme.h"
#include "qtest.h"

static const int8_t KV[16] = { 0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12 };

/* Loads one row of bytes as a 1 x cols tensor of scheme name and
 * dequantizes it to float32; returns the status. */
static qref_status deq(const char *name, const uint8_t *bytes, size_t len, int64_t cols, float *y, qref_error *e)
{
    qref_qtensor t;
    qref_status st = qref_qtensor_load(qref_scheme_find(name), 1, cols, bytes, len, &t, e);
    if (st != QREF_OK)
        return st;
    st = qref_dequantize(&t, y, e);
    qref_qtensor_free(&t);
    return st;
}

static int same_f32(float a, float b) { return qref_f32_bits(a) == qref_f32_bits(b); }

/* Compares y against expected (doubles that are exact float32 values). */
static void expect_values(const char *what, const float *y, const double *want, int n)
{
    int bad = 0;
    for (int i = 0; i < n; i++)
        if (!QCHECK(same_f32(y[i], (float)want[i]), "%s element %d: got %.9g, expected %.9g", what, i, y[i], want[i]))
            if (++bad >= 5)
                break;
    CU_ASSERT_EQUAL(bad, 0);
}

static void test_block_structs(void)
{
    CU_ASSERT_EQUAL(sizeof(qref_block_q4_0), 18);
    CU_ASSERT_EQUAL(sizeof(qref_block_q4_1), 20);
    CU_ASSERT_EQUAL(sizeof(qref_block_q8_0), 34);
    CU_ASSERT_EQUAL(sizeof(qref_block_q4_k), 144);
    CU_ASSERT_EQUAL(sizeof(qref_block_q6_k), 210);
    CU_ASSERT_EQUAL(sizeof(qref_block_mxfp4), 17);
    CU_ASSERT_EQUAL(sizeof(qref_block_nvfp4), 36);
    CU_ASSERT_EQUAL(sizeof(qref_block_iq2_xxs), 66);
    CU_ASSERT_EQUAL(sizeof(qref_block_iq3_xxs), 98);
    /* field offsets of ggml-common.h */
    CU_ASSERT_EQUAL(offsetof(qref_block_q4_1, m), 2);
    CU_ASSERT_EQUAL(offsetof(qref_block_q4_1, qs), 4);
    CU_ASSERT_EQUAL(offsetof(qref_block_q4_k, dmin), 2);
    CU_ASSERT_EQUAL(offsetof(qref_block_q4_k, scales), 4);
    CU_ASSERT_EQUAL(offsetof(qref_block_q4_k, qs), 16);
    CU_ASSERT_EQUAL(offsetof(qref_block_q6_k, qh), 128);
    CU_ASSERT_EQUAL(offsetof(qref_block_q6_k, scales), 192);
    CU_ASSERT_EQUAL(offsetof(qref_block_q6_k, d), 208);
    CU_ASSERT_EQUAL(offsetof(qref_block_mxfp4, qs), 1);
    CU_ASSERT_EQUAL(offsetof(qref_block_nvfp4, qs), 4);
    CU_ASSERT_EQUAL(offsetof(qref_block_iq2_xxs, qs), 2);
    CU_ASSERT_EQUAL(offsetof(qref_block_iq3_xxs, qs), 2);
    CU_ASSERT_EQUAL(QREF_QK_K, 256);
    CU_ASSERT_EQUAL(QREF_QK4_0, 32);
    CU_ASSERT_EQUAL(QREF_QK_NVFP4, 64);
}

static void test_sizes(void)
{
    static const struct { const char *name; int block, bytes, type; double bpw; } want[] = {
        { "gguf_q4_0", 32, 18, 2, 4.5 },      { "gguf_q4_1", 32, 20, 3, 5.0 },
        { "gguf_q8_0", 32, 34, 8, 8.5 },      { "gguf_q4_k", 256, 144, 12, 4.5 },
        { "gguf_q6_k", 256, 210, 14, 6.5625 }, { "gguf_mxfp4", 32, 17, 39, 4.25 },
        { "gguf_nvfp4", 64, 36, 40, 4.5 },    { "gguf_iq2_xxs", 256, 66, 16, 2.0625 },
        { "gguf_iq3_xxs", 256, 98, 18, 3.0625 },
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const qref_scheme *s = qref_scheme_find(want[i].name);
        if (!QCHECK(s != NULL, "%s missing", want[i].name))
            continue;
        QCHECK(s->gguf_type == want[i].type, "%s: ggml type %d", want[i].name, s->gguf_type);
        qref_qsizes z;
        qref_error e;
        qref_status st = qref_qsizes_get(s, 3, 4 * want[i].block, &z, &e);
        QCHECK(st == QREF_OK, "%s: %s", want[i].name, e.msg);
        QCHECK(z.codes == (size_t)(3 * 4 * want[i].bytes) && z.scales == 0 && z.zeros == 0 && z.meta == 0 &&
                   z.tscale == 0 && z.total == z.codes,
               "%s: codes %zu scales %zu zeros %zu total %zu", want[i].name, z.codes, z.scales, z.zeros, z.total);
        QCHECK(qref_scheme_bits_per_weight(s, 3, 4 * want[i].block) == want[i].bpw, "%s: bpw %g", want[i].name,
               qref_scheme_bits_per_weight(s, 3, 4 * want[i].block));
        st = qref_qsizes_get(s, 3, 4 * want[i].block + 16, &z, &e);
        QCHECK(st == QREF_ERR_SIZE && strstr(e.msg, "not a multiple") != NULL, "%s: cols not a multiple: %d %s",
               want[i].name, st, e.msg);
    }
}

/* ---- dequantization known answers ---------------------------------------- */

static void test_q4_0_dequant(void)
{
    uint8_t b[18] = { 0x00, 0xB8 };   /* d = -0.5 */
    for (int j = 0; j < 16; j++)
        b[2 + j] = (uint8_t)(j * 37 + 5);
    double want[32];
    for (int i = 0; i < 32; i++) {
        const int byte = b[2 + i % 16];
        const int nib = i < 16 ? byte & 15 : byte >> 4;   /* element j low, j+16 high */
        want[i] = (nib - 8) * -0.5;
    }
    float y[32];
    qref_error e;
    CU_ASSERT_EQUAL_FATAL(deq("gguf_q4_0", b, sizeof b, 32, y, &e), QREF_OK);
    expect_values("Q4_0", y, want, 32);
    /* by hand: qs[0] = 0x05 -> y0 = (5-8)*-0.5 = 1.5, y16 = (0-8)*-0.5 = 4;
     * qs[1] = 0x2A -> y1 = (10-8)*-0.5 = -1, y17 = (2-8)*-0.5 = 3 */
    CU_ASSERT(y[0] == 1.5f && y[16] == 4.0f && y[1] == -1.0f && y[17] == 3.0f);
    /* q = 8 with a negative scale is -0, as ggml's (q-8)*d gives */
    b[2] = 0x88;
    CU_ASSERT_EQUAL_FATAL(deq("gguf_q4_0", b, sizeof b, 32, y, &e), QREF_OK);
    CU_ASSERT_EQUAL(qref_f32_bits(y[0]), 0x80000000u);
    CU_ASSERT_EQUAL(qref_f32_bits(y[16]), 0x80000000u);
}

static void test_q4_1_dequant(void)
{
    uint8_t b[20] = { 0x00, 0x34, 0x00, 0xBE };   /* d = 0.25, m = -1.5 */
    for (int j = 0; j < 16; j++)
        b[4 + j] = (uint8_t)(j * 53 + 11);
    double want[32];
    for (int i = 0; i < 32; i++) {
        const int byte = b[4 + i % 16];
        want[i] = (i < 16 ? byte & 15 : byte >> 4) * 0.25 - 1.5;
    }
    float y[32];
    qref_error e;
    CU_ASSERT_EQUAL_FATAL(deq("gguf_q4_1", b, sizeof b, 32, y, &e), QREF_OK);
    expect_values("Q4_1", y, want, 32);
    /* qs[0] = 0x0B: y0 = 11*0.25 - 1.5 = 1.25, y16 = -1.5 */
    CU_ASSERT(y[0] == 1.25f && y[16] == -1.5f);
    /* the sum rounds once to float32: d = 2^-24 (0x0001), m = 2048 (0x6800):
     * 15 * 2^-24 + 2048 is 2048 + 8.9e-7, float32 ulp at 2048 is 2^-12 */
    uint8_t c[20] = { 0x01, 0x00, 0x00, 0x68, 0x0F };
    CU_ASSERT_EQUAL_FATAL(deq("gguf_q4_1", c, sizeof c, 32, y, &e), QREF_OK);
    CU_ASSERT(y[0] == 2048.0f && y[1] == 2048.0f);
}

static void test_q8_0_dequant(void)
{
    uint8_t b[34] = { 0x00, 0x30 };   /* d = 0.125 */
    for (int j = 0; j < 32; j++)
        b[2 + j] = (uint8_t)(j * 41 + 100);   /* covers 0x80 (-128) and 0x7F */
    b[2] = 0x80;
    b[3] = 0x7F;
    double want[32];
    for (int i = 0; i < 32; i++)
        want[i] = (b[2 + i] < 128 ? b[2 + i] : b[2 + i] - 256) * 0.125;
    float y[32];
    qref_error e;
    CU_ASSERT_EQUAL_FATAL(deq("gguf_q8_0", b, sizeof b, 32, y, &e), QREF_OK);
    expect_values("Q8_0", y, want, 32);
    CU_ASSERT(y[0] == -16.0f && y[1] == 15.875f);
}

/* FORMATS.md §6 get_scale_min_k4, written per sub-block. */
static void k4_scale_min(const uint8_t *s, int j, int *sc, int *m)
{
    if (j < 4) {
        *sc = s[j] & 63;
        *m = s[j + 4] & 63;
    } else {
        *sc = (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4);
        *m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
    }
}

static void test_q4_k_dequant(void)
{
    static const uint8_t sc[12] = { 0xC1, 0x42, 0x83, 0x04, 0x45, 0x86, 0xC7, 0x08, 0x9A, 0xBC, 0xDE, 0xF1 };
    uint8_t b[144] = { 0x00, 0x38, 0x00, 0x34 };   /* d = 0.5, dmin = 0.25 */
    memcpy(b + 4, sc, 12);
    for (int j = 0; j < 128; j++)
        b[16 + j] = (uint8_t)(j * 37);
    double want[256];
    for (int i = 0; i < 256; i++) {
        const int chunk = i / 64, within = i % 64, high = within >= 32, l = within % 32;
        const int byte = b[16 + 32 * chunk + l];
        const int q = high ? byte >> 4 : byte & 15;
        int s, m;
        k4_scale_min(sc, 2 * chunk + high, &s, &m);
        want[i] = 0.5 * s * q - 0.25 * m;
    }
    float y[256];
    qref_error e;
    CU_ASSERT_EQUAL_FATAL(deq("gguf_q4_k", b, sizeof b, 256, y, &e), QREF_OK);
    expect_values("Q4_K", y, want, 256);
    /* by hand: y0: sub-block 0, sc = 0xC1&63 = 1, m = 0x45&63 = 5, q = 0 -> -1.25;
     * y128: sub-block 4, sc = 10 | 3<<4 = 58, m = 9 | 1<<4 = 25, q = 0x40&15 = 0 -> -6.25;
     * y129: q = 0x65&15 = 5 -> 0.5*58*5 - 6.25 = 138.75;
     * y160: sub-block 5, sc = 12 | 1<<4 = 28, m = 11 | 2<<4 = 43, q = 0x40>>4 = 4 -> 45.25 */
    CU_ASSERT(y[0] == -1.25f && y[128] == -6.25f && y[129] == 138.75f && y[160] == 45.25f);
}

static void test_q6_k_dequant(void)
{
    uint8_t b[210];
    for (int j = 0; j < 128; j++)
        b[j] = (uint8_t)(j * 29 + 7);                      /* ql */
    for (int j = 0; j < 64; j++)
        b[128 + j] = (uint8_t)(j * 73 + 1);                /* qh */
    for (int j = 0; j < 16; j++)
        b[192 + j] = (uint8_t)(j * 23 - 100);              /* scales, int8 */
    b[192] = 0x80;                                         /* -128 */
    b[208] = 0x00;
    b[209] = 0x2C;                                         /* d = 2^-4 */
    double want[256];
    for (int i = 0; i < 256; i++) {
        const int h = i / 128, r = i % 128, quarter = r / 32, l = r % 32;
        const int qlb = b[64 * h + l + 32 * (quarter & 1)];
        const int nib = quarter >= 2 ? qlb >> 4 : qlb & 15;
        const int hb = (b[128 + 32 * h + l] >> (2 * quarter)) & 3;
        const int q = (nib | hb << 4) - 32;
        const int sraw = b[192 + 8 * h + l / 16 + 2 * quarter];
        want[i] = 0.0625 * (sraw < 128 ? sraw : sraw - 256) * q;
    }
    float y[256];
    qref_error e;
    CU_ASSERT_EQUAL_FATAL(deq("gguf_q6_k", b, sizeof b, 256, y, &e), QREF_OK);
    expect_values("Q6_K", y, want, 256);
    /* by hand: y0: ql[0] = 7, qh[0] = 1 -> q = 7 | 1<<4 = 23 - 32 = -9, scale -128:
     * 2^-4 * -128 * -9 = 72 */
    CU_ASSERT(y[0] == 72.0f);
}

static void test_mxfp4_dequant(void)
{
    static const int es[] = { 130, 0, 1, 2, 127, 254 };
    for (size_t k = 0; k < sizeof es / sizeof es[0]; k++) {
        uint8_t b[17] = { (uint8_t)es[k] };
        for (int j = 0; j < 16; j++)
            b[1 + j] = (uint8_t)(j * 16 + (15 - j));   /* every code in both nibbles */
        double want[32];
        for (int i = 0; i < 32; i++) {
            const int byte = b[1 + i % 16];
            want[i] = ldexp(KV[i < 16 ? byte & 15 : byte >> 4], es[k] - 128);   /* E2M1 * 2^(e-127) */
        }
        float y[32];
        qref_error e;
        CU_ASSERT_EQUAL_FATAL(deq("gguf_mxfp4", b, sizeof b, 32, y, &e), QREF_OK);
        char what[32];
        snprintf(what, sizeof what, "MXFP4 e=%d", es[k]);
        expect_values(what, y, want, 32);
    }
    /* by hand, e = 130 (scale 8): byte 0 = 0x0F -> y0 = kv[15]*4 = -48 (E2M1 -6 * 8), y16 = 0 */
    uint8_t b[17] = { 130, 0x0F };
    float y[32];
    qref_error e;
    CU_ASSERT_EQUAL_FATAL(deq("gguf_mxfp4", b, sizeof b, 32, y, &e), QREF_OK);
    CU_ASSERT(y[0] == -48.0f && qref_f32_bits(y[16]) == 0);
    /* e = 0: scale 2^-127 is subnormal in float32; kv 1 -> 2^-128 (bits 0x00200000) */
    uint8_t c[17] = { 0, 0x01 };
    CU_ASSERT_EQUAL_FATAL(deq("gguf_mxfp4", c, sizeof c, 32, y, &e), QREF_OK);
    CU_ASSERT_EQUAL(qref_f32_bits(y[0]), 0x00200000u);
}

/* ggml ue4m3 decode (already halved), oracle: the OCP E4M3 decoder on the
 * low 7 bits, except 0x7F (ggml: 0) and 0xFF (ggml: exponent 15 is a normal
 * binade, 0xFF -> 480/2 = 240; OCP E4M3 0x7F is NaN). */
static double ue4m3_half_oracle(int u)
{
    if (u == 0x7F)
        return 0.0;
    if (u == 0xFF)
        return 240.0;
    return (double)qref_e4m3_to_f32((uint8_t)(u & 0x7F)) * 0.5;
}

static void test_nvfp4_dequant(void)
{
    uint8_t b[36] = { 0x38, 0x7F, 0xFF, 0x01 };   /* 0.5, 0, 240, 2^-10 */
    for (int j = 0; j < 32; j++)
        b[4 + j] = (uint8_t)(j * 19 + 3);
    double want[64];
    for (int i = 0; i < 64; i++) {
        const int s = i / 16, k = i % 16;
        const int byte = b[4 + 8 * s + k % 8];
        const int nib = k < 8 ? byte & 15 : byte >> 4;   /* element j low, j+8 high, per sub-block */
        want[i] = KV[nib] * ue4m3_half_oracle(b[s]);
    }
    float y[64];
    qref_error e;
    CU_ASSERT_EQUAL_FATAL(deq("gguf_nvfp4", b, sizeof b, 64, y, &e), QREF_OK);
    expect_values("NVFP4", y, want, 64);
    /* by hand: byte 4 = 0x03: y0 = kv[3]*0.5 = 1.5, y8 = 0; byte 12 = 8*19+3 = 0x9B:
     * sub-block 1 has scale 0x7F = 0 -> y16 = 0 and y24 = 0 */
    CU_ASSERT(y[0] == 1.5f && y[8] == 0.0f && y[16] == 0.0f && y[24] == 0.0f);
    /* every scale byte: element value 2 (kv 4 = E2M1 2.0) times the scale */
    for (int u = 0; u < 256; u++) {
        uint8_t c[36] = { (uint8_t)u };
        memset(c + 4, 0x44, 8);
        CU_ASSERT_EQUAL_FATAL(deq("gguf_nvfp4", c, sizeof c, 64, y, &e), QREF_OK);
        QCHECK(same_f32(y[0], (float)(4 * ue4m3_half_oracle(u))), "ue4m3 0x%02x: %.9g", u, y[0]);
    }
}

static void test_iq_tables(void)
{
    CU_ASSERT_EQUAL(qref_iq2xxs_grid[0], 0x0808080808080808ull);
    CU_ASSERT_EQUAL(qref_iq2xxs_grid[1], 0x080808080808082bull);
    CU_ASSERT_EQUAL(qref_iq2xxs_grid[64], 0x08082b0819081908ull);
    CU_ASSERT_EQUAL(qref_iq2xxs_grid[128], 0x082b2b0808082b08ull);
    CU_ASSERT_EQUAL(qref_iq2xxs_grid[255], 0x2b2b2b1908081908ull);
    CU_ASSERT_EQUAL(qref_iq3xxs_grid[0], 0x04040404u);
    CU_ASSERT_EQUAL(qref_iq3xxs_grid[1], 0x04040414u);
    CU_ASSERT_EQUAL(qref_iq3xxs_grid[64], 0x0c041c04u);
    CU_ASSERT_EQUAL(qref_iq3xxs_grid[128], 0x141c3e04u);
    CU_ASSERT_EQUAL(qref_iq3xxs_grid[255], 0x3e341c04u);
    int bad = 0;
    for (int i = 0; i < 128; i++) {
        int par = 0;
        for (int k = 0; k < 7; k++)
            par ^= (i >> k) & 1;
        bad += !QCHECK(qref_ksigns_iq2xs[i] == (i | par << 7), "ksigns[%d] = %d", i, qref_ksigns_iq2xs[i]);
    }
    for (int i = 0; i < 256; i++)
        for (int j = 0; j < 8; j++) {
            const int v = (int)((qref_iq2xxs_grid[i] >> (8 * j)) & 0xFF);
            bad += !QCHECK(v == 8 || v == 25 || v == 43, "iq2xxs_grid[%d] byte %d = %d", i, j, v);
            if (j < 4) {
                const int w = (int)((qref_iq3xxs_grid[i] >> (8 * j)) & 0xFF);
                bad += !QCHECK(w == 62 || (w >= 4 && w <= 52 && w % 8 == 4), "iq3xxs_grid[%d] byte %d = %d", i, j, w);
            }
        }
    CU_ASSERT_EQUAL(bad, 0);
}

static void test_iq2_xxs_dequant(void)
{
    uint8_t b[66] = { 0x00, 0x3C };   /* d = 1 */
    static const uint8_t idx[4] = { 0, 1, 255, 128 };
    static const unsigned sgn[4] = { 5, 127, 0, 64 };
    for (int ib = 0; ib < 8; ib++) {
        const uint32_t a1 = (uint32_t)((ib * 5 + 3) & 15) << 28 | sgn[(ib + 0) & 3] | sgn[(ib + 1) & 3] << 7 |
                            sgn[(ib + 2) & 3] << 14 | sgn[(ib + 3) & 3] << 21;
        for (int l = 0; l < 4; l++)
            b[2 + 8 * ib + l] = (uint8_t)(idx[l] + ib);
        for (int k = 0; k < 4; k++)
            b[2 + 8 * ib + 4 + k] = (uint8_t)(a1 >> (8 * k));
    }
    double want[256];
    for (int i = 0; i < 256; i++) {
        const int ib = i / 32, l = (i % 32) / 8, j = i % 8;
        const uint32_t a1 = (uint32_t)b[2 + 8 * ib + 4] | (uint32_t)b[2 + 8 * ib + 5] << 8 |
                            (uint32_t)b[2 + 8 * ib + 6] << 16 | (uint32_t)b[2 + 8 * ib + 7] << 24;
        const double db = 1.0 * (0.5 + (a1 >> 28)) * 0.25;
        const int mag = (int)((qref_iq2xxs_grid[b[2 + 8 * ib + l]] >> (8 * j)) & 0xFF);
        const int signs = qref_ksigns_iq2xs[(a1 >> (7 * l)) & 127];
        want[i] = db * mag * ((signs >> j) & 1 ? -1 : 1);
    }
    float y[256];
    qref_error e;
    CU_ASSERT_EQUAL_FATAL(deq("gguf_iq2_xxs", b, sizeof b, 256, y, &e), QREF_OK);
    expect_values("IQ2_XXS", y, want, 256);
    /* by hand, sub-block 0: scale 3 -> db = 3.5/4 = 0.875; group 0 uses grid[0]
     * (all 8) and ksigns[5] = 5 (bits 0, 2; parity even) -> y0 = -7, y1 = 7, y2 = -7 */
    CU_ASSERT(y[0] == -7.0f && y[1] == 7.0f && y[2] == -7.0f && y[3] == 7.0f);
}

static void test_iq3_xxs_dequant(void)
{
    uint8_t b[98] = { 0x00, 0x38 };   /* d = 0.5 */
    for (int j = 0; j < 64; j++)
        b[2 + j] = (uint8_t)(j * 61 + 17);
    for (int ib = 0; ib < 8; ib++) {
        const uint32_t a = (uint32_t)(ib * 7 & 15) << 28 | (uint32_t)(ib * 0x1234567u & 0x0FFFFFFFu);
        for (int k = 0; k < 4; k++)
            b[66 + 4 * ib + k] = (uint8_t)(a >> (8 * k));
    }
    double want[256];
    for (int i = 0; i < 256; i++) {
        const int ib = i / 32, l = (i % 32) / 8, j = i % 8;
        const uint32_t a = (uint32_t)b[66 + 4 * ib] | (uint32_t)b[67 + 4 * ib] << 8 | (uint32_t)b[68 + 4 * ib] << 16 |
                           (uint32_t)b[69 + 4 * ib] << 24;
        const double db = 0.5 * (0.5 + (a >> 28)) * 0.5;
        const int gi = b[2 + 8 * ib + 2 * l + (j >= 4)];
        const int mag = (int)((qref_iq3xxs_grid[gi] >> (8 * (j % 4))) & 0xFF);
        const int signs = qref_ksigns_iq2xs[(a >> (7 * l)) & 127];
        want[i] = db * mag * ((signs >> j) & 1 ? -1 : 1);
    }
    float y[256];
    qref_error e;
    CU_ASSERT_EQUAL_FATAL(deq("gguf_iq3_xxs", b, sizeof b, 256, y, &e), QREF_OK);
    expect_values("IQ3_XXS", y, want, 256);
    /* by hand, sub-block 0: a = 0 -> db = 0.5*0.5*0.5 = 0.125, no signs; qs[0] = 17:
     * iq3xxs_grid[17] byte 0 times 0.125 */
    CU_ASSERT(y[0] == (float)(0.125 * (qref_iq3xxs_grid[17] & 0xFF)));
}

/* ---- quantization known answers -------------------------------------------- */

static qref_status quant(const char *name, const float *w, int64_t cols, uint8_t *out, size_t len, qref_error *e)
{
    qref_qtensor t;
    qref_status st = qref_quantize(qref_scheme_find(name), 1, cols, w, &t, e);
    if (st != QREF_OK)
        return st;
    CU_ASSERT_EQUAL(t.sizes.total, len);
    memcpy(out, t.codes, len);
    qref_qtensor_free(&t);
    return st;
}

static int nib32(const uint8_t *qs, int i) { return i < 16 ? qs[i] & 15 : qs[i - 16] >> 4; }

static void test_q4_0_quantize(void)
{
    /* max magnitude -8 -> d = 1, id = 1: q = min(15, trunc(x + 8.5)): half up;
     * the float add rounds first: 0.4999999 + 8.5 = 8.9999999 rounds to 9.0 */
    float w[32] = { -8, 0.5f, -0.5f, 1.5f, -1.5f, 7.9f, 7.4f, 0.4999999f, -7.5f, 2.5f };
    static const int want[10] = { 0, 9, 8, 10, 7, 15, 15, 9, 1, 11 };
    uint8_t b[18];
    qref_error e;
    CU_ASSERT_EQUAL_FATAL(quant("gguf_q4_0", w, 32, b, 18, &e), QREF_OK);
    CU_ASSERT(b[0] == 0x00 && b[1] == 0x3C);   /* d = 1.0 */
    for (int i = 0; i < 10; i++)
        QCHECK(nib32(b + 2, i) == want[i], "Q4_0 x=%g: q=%d, expected %d", w[i], nib32(b + 2, i), want[i]);
    for (int i = 10; i < 32; i++)
        QCHECK(nib32(b + 2, i) == 8, "Q4_0 zero at %d", i);
    /* the largest magnitude is positive: d = 6/-8 = -0.75 (f16 0xBA00), 6 -> 0 */
    float v[32] = { 1, 6, -3 };
    CU_ASSERT_EQUAL_FATAL(quant("gguf_q4_0", v, 32, b, 18, &e), QREF_OK);
    CU_ASSERT(b[0] == 0x00 && b[1] == 0xBA);
    CU_ASSERT(nib32(b + 2, 1) == 0 && nib32(b + 2, 2) == 12);   /* -3/-0.75 = 4 -> 12 */
    /* 1/-0.75 = -1.3333334 -> +8.5 = 7.1666665 -> 7 */
    CU_ASSERT(nib32(b + 2, 0) == 7);
    /* ties on |max|: the first one wins (here -2 -> d = 0.25) */
    float t2[32] = { 0, -2, 2 };
    CU_ASSERT_EQUAL_FATAL(quant("gguf_q4_0", t2, 32, b, 18, &e), QREF_OK);
    CU_ASSERT(b[0] == 0x00 && b[1] == 0x34 && nib32(b + 2, 1) == 0 && nib32(b + 2, 2) == 15);
    /* all zeros: d = 0/-8 = -0 (f16 0x8000, as ggml writes), every q = 8 */
    float z[32] = { 0 };
    CU_ASSERT_EQUAL_FATAL(quant("gguf_q4_0", z, 32, b, 18, &e), QREF_OK);
    CU_ASSERT(b[0] == 0 && b[1] == 0x80 && b[2] == 0x88 && b[17] == 0x88);
}

static void test_q4_1_quantize(void)
{
    /* min -1, max 14: d = 1, m = -1; q = min(15, trunc((x + 1) + 0.5)); x - min
     * is rounded to float first: 3.4999998f + 1 = 4.49999976 is a tie in float
     * and rounds to 4.5 (even), so it gives 5, not 4 */
    float w[32] = { -1, 14, 0.5f, -0.5f, 3.4999998f, 13.6f, 3.4f };
    static const int want[7] = { 0, 15, 2, 1, 5, 15, 4 };
    for (int i = 7; i < 32; i++)
        w[i] = 2.0f;
    uint8_t b[20];
    qref_error e;
    CU_ASSERT_EQUAL_FATAL(quant("gguf_q4_1", w, 32, b, 20, &e), QREF_OK);
    CU_ASSERT(b[0] == 0x00 && b[1] == 0x3C && b[2] == 0x00 && b[3] == 0xBC);   /* d = 1, m = -1 */
    for (int i = 0; i < 7; i++)
        QCHECK(nib32(b + 4, i) == want[i], "Q4_1 x=%g: q=%d, expected %d", w[i], nib32(b + 4, i), want[i]);
}

static void test_q8_0_quantize(void)
{
    /* amax 127 -> d = 1, id = 1: roundf, ties away from zero */
    float w[32] = { 127, 2.5f, -2.5f, 0.5f, -0.5f, 1.4999999f, -126.5f, 3.5f, -0.4f };
    static const int want[9] = { 127, 3, -3, 1, -1, 1, -127, 4, 0 };
    uint8_t b[34];
    qref_error e;
    CU_ASSERT_EQUAL_FATAL(quant("gguf_q8_0", w, 32, b, 34, &e), QREF_OK);
    CU_ASSERT(b[0] == 0x00 && b[1] == 0x3C);
    for (int i = 0; i < 9; i++)
        QCHECK((int8_t)b[2 + i] == want[i], "Q8_0 x=%g: q=%d, expected %d", w[i], (int8_t)b[2 + i], want[i]);
}

static void test_mxfp4_quantize(void)
{
    /* amax 6: floor(log2 6) = 2 -> e = 127, scale 1 (element value = E2M1 value).
     * Ties go to the first (smaller) index: toward zero; never -0. */
    float w[32] = { 6, 0.75f, -0.75f, 1.75f, 3.5f, -5.0f, 0.25f, -0.25f, 2.5f, 1.25f, -0.1f, 7.0f };
    static const int want[12] = { 7, 1, 9, 3, 5, 14, 0, 0, 4, 2, 0, 7 };
    uint8_t b[17];
    qref_error e;
    CU_ASSERT_EQUAL_FATAL(quant("gguf_mxfp4", w, 32, b, 17, &e), QREF_OK);
    CU_ASSERT_EQUAL(b[0], 127);
    for (int i = 0; i < 12; i++)
        QCHECK(nib32(b + 1, i) == want[i], "MXFP4 x=%g: code %d, expected %d", w[i], nib32(b + 1, i), want[i]);
    /* The libm caveat: log2f(7.9999995f) rounds to 3.0, so ggml's scale is
     * 2^(3-2) (e = 128) where the exponent bits give 2^(2-2); 7.9999995 then
     * codes as E2M1 4.0 * 2 = 8 (kv 8, code 6). */
    float c[32] = { 7.9999995f, 1.0f };
    CU_ASSERT_EQUAL_FATAL(quant("gguf_mxfp4", c, 32, b, 17, &e), QREF_OK);
    CU_ASSERT_EQUAL(b[0], 128);
    CU_ASSERT(nib32(b + 1, 0) == 6 && nib32(b + 1, 1) == 1);
    /* amax = 0: e = 0 and code 0 everywhere */
    float z[32] = { 0 };
    z[3] = -0.0f;
    CU_ASSERT_EQUAL_FATAL(quant("gguf_mxfp4", z, 32, b, 17, &e), QREF_OK);
    for (int i = 0; i < 17; i++)
        QCHECK(b[i] == 0, "MXFP4 zero block byte %d = %d", i, b[i]);
}

static void test_nvfp4_quantize(void)
{
    float w[64] = { 0 };
    /* sub-block 0: amax 6 -> 6/6 = 1.0 -> ue4m3 0x38 (decoded half: 0.5) */
    w[0] = 6;
    w[1] = 0.75f;   /* tie 0.5 / 1 -> 0.5 (code 1) */
    w[8] = -3.5f;   /* tie 3 / 4 -> 3 (code 13), stored in byte 0's high nibble */
    /* sub-block 1: amax 6.375 -> 1.0625 = 1.0001b: bit 19 set -> rounds up to
     * 1.125 (0x39); RNE would have given 1.0 */
    w[16] = 6.375f;
    /* sub-block 2: amax 6000 -> 1000 > 448 -> saturates to 0x7E (448) */
    w[32] = -6000;
    /* sub-block 3: amax 6*2^-8 -> 2^-8 is ue4m3 subnormal 2 (2 * 2^-9) */
    w[48] = 0.0234375f;
    uint8_t b[36];
    qref_error e;
    CU_ASSERT_EQUAL_FATAL(quant("gguf_nvfp4", w, 64, b, 36, &e), QREF_OK);
    CU_ASSERT(b[0] == 0x38 && b[1] == 0x39 && b[2] == 0x7E && b[3] == 0x02);
    CU_ASSERT_EQUAL(b[4], 0x07 | 13 << 4);   /* elements 0 and 8 */
    CU_ASSERT_EQUAL(b[5], 0x01);              /* elements 1 and 9 */
    /* 6.375 / 1.125 = 5.67 -> 6 (code 7) */
    CU_ASSERT_EQUAL(b[4 + 8], 0x07);
    /* -6000 / 448 = -13.4 -> saturates to -6 (code 15) */
    CU_ASSERT_EQUAL(b[4 + 16], 0x0F);
    CU_ASSERT_EQUAL(b[4 + 24], 0x07);
}

/* ---- ggml's own output ----------------------------------------------------- */

/* Deterministic weights from integer arithmetic and exact float scaling:
 * uniform in (-1, 1) times 2^k / 64 (k = 0..15), and one in 16 a multiple of
 * 0.5 in [-4, 4] (exact ties). */
static void kat_weights(uint32_t seed, float *w, size_t n)
{
    uint32_t s = seed;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        const int32_t a = (int32_t)(s >> 8) - (1 << 23);
        s = s * 1664525u + 1013904223u;
        const int k = (int)(s >> 28);
        if (((s >> 8) & 15) == 0)
            w[i] = (float)((int)((s >> 12) % 17) - 8) * 0.5f;
        else
            w[i] = (float)a * (1.0f / 8388608.0f) * (float)(1 << k) * 0.015625f;
    }
}

/* FNV-1a 64 over the codes of the three 8 x 512 tensors made from seeds 1, 2,
 * 3. The expected hashes are of ggml's quantize_row_*_ref output on the same
 * weights: ggml-quants.c from llama.cpp as vendored in llama-cpp-python 0.3.36,
 * built with gcc -O2 -DNDEBUG for x86-64 (no FMA), linked with a test
 * program outside this repository (see ref/SCHEMES-gguf.md, "How it was
 * verified"). */
static void test_matches_ggml_output(void)
{
    static const struct { const char *name; uint64_t fnv; } want[] = {
        { "gguf_q4_0", 0x6ef7b7b054bc8906ull },  { "gguf_q4_1", 0x9fd6692fab81e3b8ull },
        { "gguf_q8_0", 0x4f071d142ffd44efull },  { "gguf_q4_k", 0xa1915e6a66bc7d88ull },
        { "gguf_q6_k", 0x45e3983d3d6d0b63ull },  { "gguf_mxfp4", 0xe1eec46ef5fd6a3cull },
        { "gguf_nvfp4", 0xfbfbbee9fabf160aull },
    };
    enum { R = 8, C = 512 };
    static float w[R * C];
    for (size_t t = 0; t < sizeof want / sizeof want[0]; t++) {
        uint64_t h = 0xcbf29ce484222325ull;
        int ok = 1;
        for (uint32_t seed = 1; seed <= 3 && ok; seed++) {
            kat_weights(seed, w, R * C);
            qref_qtensor q;
            qref_error e;
            qref_status st = qref_quantize(qref_scheme_find(want[t].name), R, C, w, &q, &e);
            ok = QCHECK(st == QREF_OK, "%s seed %u: %s", want[t].name, (unsigned)seed, e.msg);
            for (size_t i = 0; ok && i < q.sizes.codes; i++) {
                h ^= q.codes[i];
                h *= 0x100000001b3ull;
            }
            if (ok)
                qref_qtensor_free(&q);
        }
        if (ok)
            QCHECK(h == want[t].fnv, "%s: FNV-1a 0x%016llx, ggml's output hashes to 0x%016llx", want[t].name,
                   (unsigned long long)h, (unsigned long long)want[t].fnv);
    }
}

QTEST_SUITE(gguf_kat,
    QTEST(test_block_structs),
    QTEST(test_sizes),
    QTEST(test_q4_0_dequant),
    QTEST(test_q4_1_dequant),
    QTEST(test_q8_0_dequant),
    QTEST(test_q4_k_dequant),
    QTEST(test_q6_k_dequant),
    QTEST(test_mxfp4_dequant),
    QTEST(test_nvfp4_dequant),
    QTEST(test_iq_tables),
    QTEST(test_iq2_xxs_dequant),
    QTEST(test_iq3_xxs_dequant),
    QTEST(test_q4_0_quantize),
    QTEST(test_q4_1_quantize),
    QTEST(test_q8_0_quantize),
    QTEST(test_mxfp4_quantize),
    QTEST(test_nvfp4_quantize),
    QTEST(test_matches_ggml_output))
