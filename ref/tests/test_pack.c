/* Packing layouts (qref/pack.h): known bytes for each layout, row sizes with
 * padding, round trips for every supported layout and width, errors. */
#include <stdio.h>
#include <string.h>

#include "qref/pack.h"
#include "qtest.h"

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void test_kmajor_known(void)
{
    /* 4-bit: element 2i low nibble, 2i+1 high nibble; 8 codes = one u32. */
    const uint8_t c4[8] = { 0x1, 0x2, 0x3, 0x4, 0xA, 0xB, 0xF, 0x0 };
    const uint8_t want4[4] = { 0x21, 0x43, 0xBA, 0x0F };
    uint8_t out[16];
    memset(out, 0xEE, sizeof out);
    CU_ASSERT_EQUAL(qref_pack_codes(QREF_LAYOUT_KMAJOR_U32, 4, c4, 8, out), QREF_OK);
    CU_ASSERT_EQUAL(memcmp(out, want4, 4), 0);
    CU_ASSERT_EQUAL(out[4], 0xEE);                       /* nothing past the row */
    /* The same as one little-endian u32: element i at bits [4i, 4i+4). */
    uint32_t word = (uint32_t)out[0] | (uint32_t)out[1] << 8 | (uint32_t)out[2] << 16 | (uint32_t)out[3] << 24;
    CU_ASSERT_EQUAL(word, 0x0FBA4321u);

    /* 9 codes: padded to two words, padding zero. */
    const uint8_t c9[9] = { 0xF, 0xF, 0xF, 0xF, 0xF, 0xF, 0xF, 0xF, 0x5 };
    const uint8_t want9[8] = { 0xFF, 0xFF, 0xFF, 0xFF, 0x05, 0, 0, 0 };
    memset(out, 0xEE, sizeof out);
    CU_ASSERT_EQUAL(qref_pack_codes(QREF_LAYOUT_KMAJOR_U32, 4, c9, 9, out), QREF_OK);
    CU_ASSERT_EQUAL(memcmp(out, want9, 8), 0);
    CU_ASSERT_EQUAL(out[8], 0xEE);

    /* 2-bit: 16 per u32, element i at bits [2i, 2i+2). */
    const uint8_t c2[16] = { 1, 2, 3, 0, 3, 3, 3, 3, 0, 0, 0, 1, 2, 0, 0, 0 };
    const uint8_t want2[4] = { 0x39, 0xFF, 0x40, 0x02 };
    CU_ASSERT_EQUAL(qref_pack_codes(QREF_LAYOUT_KMAJOR_U32, 2, c2, 16, out), QREF_OK);
    CU_ASSERT_EQUAL(memcmp(out, want2, 4), 0);
}

static void test_pack24_known(void)
{
    /* 3-bit: codes 0..7 in one 24-bit word: sum j << 3j = 0xFAC688. */
    const uint8_t c3[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };
    const uint8_t want3[3] = { 0x88, 0xC6, 0xFA };
    uint8_t out[16];
    memset(out, 0xEE, sizeof out);
    CU_ASSERT_EQUAL(qref_pack_codes(QREF_LAYOUT_PACK24, 3, c3, 8, out), QREF_OK);
    CU_ASSERT_EQUAL(memcmp(out, want3, 3), 0);
    CU_ASSERT_EQUAL(out[3], 0xEE);
    /* 6-bit: codes 0x01, 0x02, 0x3F, 0x20: 0x01 | 0x02<<6 | 0x3F<<12 | 0x20<<18 = 0x83F081. */
    const uint8_t c6[4] = { 0x01, 0x02, 0x3F, 0x20 };
    const uint8_t want6[3] = { 0x81, 0xF0, 0x83 };
    CU_ASSERT_EQUAL(qref_pack_codes(QREF_LAYOUT_PACK24, 6, c6, 4, out), QREF_OK);
    CU_ASSERT_EQUAL(memcmp(out, want6, 3), 0);
    /* 5 six-bit codes: two words, the second holding code 4 and zero padding. */
    const uint8_t c6b[5] = { 0, 0, 0, 0, 0x3F };
    const uint8_t want6b[6] = { 0, 0, 0, 0x3F, 0, 0 };
    memset(out, 0xEE, sizeof out);
    CU_ASSERT_EQUAL(qref_pack_codes(QREF_LAYOUT_PACK24, 6, c6b, 5, out), QREF_OK);
    CU_ASSERT_EQUAL(memcmp(out, want6b, 6), 0);
    CU_ASSERT_EQUAL(out[6], 0xEE);
}

static void test_row_bytes(void)
{
    CU_ASSERT_EQUAL(qref_packed_row_bytes(QREF_LAYOUT_KMAJOR_U32, 4, 8), 4);
    CU_ASSERT_EQUAL(qref_packed_row_bytes(QREF_LAYOUT_KMAJOR_U32, 4, 9), 8);
    CU_ASSERT_EQUAL(qref_packed_row_bytes(QREF_LAYOUT_KMAJOR_U32, 4, 128), 64);
    CU_ASSERT_EQUAL(qref_packed_row_bytes(QREF_LAYOUT_KMAJOR_U32, 2, 16), 4);
    CU_ASSERT_EQUAL(qref_packed_row_bytes(QREF_LAYOUT_KMAJOR_U32, 2, 17), 8);
    CU_ASSERT_EQUAL(qref_packed_row_bytes(QREF_LAYOUT_KMAJOR_U32, 8, 5), 8);
    CU_ASSERT_EQUAL(qref_packed_row_bytes(QREF_LAYOUT_KMAJOR_U32, 1, 33), 8);
    CU_ASSERT_EQUAL(qref_packed_row_bytes(QREF_LAYOUT_PACK24, 3, 8), 3);
    CU_ASSERT_EQUAL(qref_packed_row_bytes(QREF_LAYOUT_PACK24, 3, 9), 6);
    CU_ASSERT_EQUAL(qref_packed_row_bytes(QREF_LAYOUT_PACK24, 3, 128), 48);
    CU_ASSERT_EQUAL(qref_packed_row_bytes(QREF_LAYOUT_PACK24, 6, 4), 3);
    CU_ASSERT_EQUAL(qref_packed_row_bytes(QREF_LAYOUT_PACK24, 6, 5), 6);
    CU_ASSERT_EQUAL(qref_packed_row_bytes(QREF_LAYOUT_PACK24, 6, 32), 24);
    CU_ASSERT_EQUAL(qref_packed_row_bytes(QREF_LAYOUT_BYTES, 8, 7), 7);
    CU_ASSERT_EQUAL(qref_packed_row_bytes(QREF_LAYOUT_BYTES, 8, 0), 0);
    CU_ASSERT_EQUAL(qref_packed_row_bytes(QREF_LAYOUT_KMAJOR_U32, 4, 0), 0);
    /* unsupported combinations */
    CU_ASSERT_EQUAL(qref_packed_row_bytes(QREF_LAYOUT_KMAJOR_U32, 3, 8), 0);
    CU_ASSERT_EQUAL(qref_packed_row_bytes(QREF_LAYOUT_PACK24, 4, 8), 0);
    CU_ASSERT_EQUAL(qref_packed_row_bytes(QREF_LAYOUT_GGUF, 4, 8), 0);
    CU_ASSERT_EQUAL(qref_packed_row_bytes(QREF_LAYOUT_KMAJOR_U32, 4, -1), 0);
    CU_ASSERT_FALSE(qref_pack_supported(QREF_LAYOUT_MARLIN, 4));
    CU_ASSERT_FALSE(qref_pack_supported(QREF_LAYOUT_BYTES, 9));
    CU_ASSERT_TRUE(qref_pack_supported(QREF_LAYOUT_PACK24, 6));
}

static void test_round_trip(void)
{
    static const struct { qref_layout l; unsigned bits; } cases[] = {
        { QREF_LAYOUT_BYTES, 8 }, { QREF_LAYOUT_BYTES, 4 }, { QREF_LAYOUT_BYTES, 1 },
        { QREF_LAYOUT_KMAJOR_U32, 1 }, { QREF_LAYOUT_KMAJOR_U32, 2 }, { QREF_LAYOUT_KMAJOR_U32, 4 },
        { QREF_LAYOUT_KMAJOR_U32, 8 }, { QREF_LAYOUT_PACK24, 3 }, { QREF_LAYOUT_PACK24, 6 },
    };
    uint64_t seed = 0x5eed0001u, st = seed;
    uint8_t codes[200], back[200], packed[260];
    int bad = 0;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        qref_layout l = cases[c].l;
        unsigned bits = cases[c].bits;
        for (int64_t n = 0; n <= 130; n++) {
            for (int64_t i = 0; i < n; i++)
                codes[i] = (uint8_t)(splitmix64(&st) & ((1u << bits) - 1));
            size_t nb = qref_packed_row_bytes(l, bits, n);
            memset(packed, 0xA5, sizeof packed);
            if (!QCHECK(qref_pack_codes(l, bits, codes, n, packed) == QREF_OK, "pack %s/%u n=%lld",
                        qref_layout_name(l), bits, (long long)n)) {
                bad++;
                continue;
            }
            /* every bit past the last code inside the row is 0, nothing after the row written */
            for (uint64_t b = (uint64_t)n * bits; l != QREF_LAYOUT_BYTES && b < nb * 8; b++)
                if (!QCHECK(((packed[b / 8] >> (b % 8)) & 1) == 0, "%s/%u n=%lld: padding bit %llu set (seed %llu)",
                            qref_layout_name(l), bits, (long long)n, (unsigned long long)b,
                            (unsigned long long)seed))
                    bad++;
            bad += !QCHECK(packed[nb] == 0xA5, "%s/%u n=%lld: wrote past %zu bytes", qref_layout_name(l), bits,
                           (long long)n, nb);
            memset(back, 0xCC, sizeof back);
            CU_ASSERT_EQUAL(qref_unpack_codes(l, bits, packed, n, back), QREF_OK);
            bad += !QCHECK(memcmp(codes, back, (size_t)n) == 0, "%s/%u n=%lld: round trip differs (seed %llu)",
                           qref_layout_name(l), bits, (long long)n, (unsigned long long)seed);
            for (int64_t i = 0; i < n; i++)
                bad += !QCHECK(qref_packed_code(l, bits, packed, i) == codes[i],
                               "%s/%u n=%lld: qref_packed_code(%lld) (seed %llu)", qref_layout_name(l), bits,
                               (long long)n, (long long)i, (unsigned long long)seed);
            if (bad > QTEST_MAX_REPORTS)
                return;
        }
    }
    CU_ASSERT_EQUAL(bad, 0);
}

/* KMAJOR_U32 element i of word w sits at bits [bits*i, ...) of the
 * little-endian u32: checked against an independent word-based packer. */
static void test_kmajor_word_model(void)
{
    uint64_t seed = 0x5eed0002u, st = seed;
    const unsigned widths[] = { 1, 2, 4, 8 };
    uint8_t codes[96], packed[96], model[96];
    for (size_t wi = 0; wi < 4; wi++) {
        unsigned bits = widths[wi], per = 32 / bits;
        int64_t n = 3 * (int64_t)per - 1;
        memset(model, 0, sizeof model);
        for (int64_t i = 0; i < n; i++) {
            codes[i] = (uint8_t)(splitmix64(&st) & ((1u << bits) - 1));
            uint32_t word_i = (uint32_t)(i / per), pos = (uint32_t)(i % per) * bits;
            uint32_t v = (uint32_t)codes[i] << pos;
            for (int b = 0; b < 4; b++)
                model[word_i * 4 + (uint32_t)b] |= (uint8_t)(v >> (8 * b));
        }
        CU_ASSERT_EQUAL(qref_packed_row_bytes(QREF_LAYOUT_KMAJOR_U32, bits, n), 12);
        CU_ASSERT_EQUAL(qref_pack_codes(QREF_LAYOUT_KMAJOR_U32, bits, codes, n, packed), QREF_OK);
        QCHECK(memcmp(packed, model, 12) == 0, "kmajor %u-bit differs from the u32 model (seed %llu)", bits,
               (unsigned long long)seed);
    }
}

static void test_errors(void)
{
    uint8_t codes[8] = { 1, 2, 3, 4, 5, 6, 7, 0x10 }, out[8];
    memset(out, 0x77, sizeof out);
    CU_ASSERT_EQUAL(qref_pack_codes(QREF_LAYOUT_KMAJOR_U32, 4, codes, 8, out), QREF_ERR_CODE);
    CU_ASSERT_EQUAL(out[0], 0x77);                                /* nothing written */
    CU_ASSERT_EQUAL(qref_pack_codes(QREF_LAYOUT_PACK24, 3, codes, 8, out), QREF_ERR_CODE);
    CU_ASSERT_EQUAL(qref_pack_codes(QREF_LAYOUT_BYTES, 4, codes, 8, out), QREF_ERR_CODE);
    CU_ASSERT_EQUAL(qref_pack_codes(QREF_LAYOUT_KMAJOR_U32, 4, codes, 7, out), QREF_OK);
    CU_ASSERT_EQUAL(qref_pack_codes(QREF_LAYOUT_KMAJOR_U32, 3, codes, 7, out), QREF_ERR_UNSUPPORTED);
    CU_ASSERT_EQUAL(qref_pack_codes(QREF_LAYOUT_PACK24, 4, codes, 7, out), QREF_ERR_UNSUPPORTED);
    CU_ASSERT_EQUAL(qref_pack_codes(QREF_LAYOUT_GGUF, 4, codes, 7, out), QREF_ERR_UNSUPPORTED);
    CU_ASSERT_EQUAL(qref_unpack_codes(QREF_LAYOUT_SPARSE, 4, out, 7, codes), QREF_ERR_UNSUPPORTED);
    CU_ASSERT_EQUAL(qref_pack_codes(QREF_LAYOUT_KMAJOR_U32, 4, NULL, 7, out), QREF_ERR_ARG);
    CU_ASSERT_EQUAL(qref_pack_codes(QREF_LAYOUT_KMAJOR_U32, 4, codes, -1, out), QREF_ERR_ARG);
    CU_ASSERT_EQUAL(qref_unpack_codes(QREF_LAYOUT_KMAJOR_U32, 4, NULL, 7, codes), QREF_ERR_ARG);
}

QTEST_SUITE(pack,
    QTEST(test_kmajor_known),
    QTEST(test_pack24_known),
    QTEST(test_row_bytes),
    QTEST(test_round_trip),
    QTEST(test_kmajor_word_model),
    QTEST(test_errors))
