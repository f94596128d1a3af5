/* SHA-256 of the golden-vector manifest (qcts/vectors.h) against the FIPS
 * 180-2 appendix B examples, plus padding boundaries and incremental updates
 * in every split. */
#include <string.h>

#include "qcts/vectors.h"
#include "qtest.h"

static void hex_of(const void *data, size_t n, char hex[65])
{
    uint8_t d[32];
    qcts_sha256(data, n, d);
    qcts_sha256_hex(d, hex);
}

static void test_fips_examples(void)
{
    char hex[65];
    hex_of("abc", 3, hex);   /* FIPS 180-2 B.1 */
    CU_ASSERT_STRING_EQUAL(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";   /* B.2 */
    hex_of(two, strlen(two), hex);
    CU_ASSERT_STRING_EQUAL(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    hex_of("", 0, hex);
    CU_ASSERT_STRING_EQUAL(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_million_a(void)
{
    /* B.3: one million 'a', fed in chunks of 1000. */
    char chunk[1000];
    memset(chunk, 'a', sizeof chunk);
    qcts_sha256_ctx c;
    qcts_sha256_init(&c);
    for (int i = 0; i < 1000; i++)
        qcts_sha256_update(&c, chunk, sizeof chunk);
    uint8_t d[32];
    char hex[65];
    qcts_sha256_final(&c, d);
    qcts_sha256_hex(d, hex);
    CU_ASSERT_STRING_EQUAL(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_padding_boundaries(void)
{
    /* Lengths around the 56- and 64-byte padding boundaries, checked against
     * Python's hashlib.sha256(bytes(range(n))): */
    static const struct { size_t n; const char *hex; } kat[] = {
        { 55, "463eb28e72f82e0a96c0a4cc53690c571281131f672aa229e0d45ae59b598b59" },
        { 56, "da2ae4d6b36748f2a318f23e7ab1dfdf45acdc9d049bd80e59de82a60895f562" },
        { 63, "29af2686fd53374a36b0846694cc342177e428d1647515f078784d69cdb9e488" },
        { 64, "fdeab9acf3710362bd2658cdc9a29e8f9c757fcf9811603a8c447cd1d9151108" },
        { 65, "4bfd2c8b6f1eec7a2afeb48b934ee4b2694182027e6d0fc075074f2fabb31781" },
    };
    uint8_t buf[65];
    for (int i = 0; i < 65; i++)
        buf[i] = (uint8_t)i;
    for (size_t k = 0; k < sizeof kat / sizeof kat[0]; k++) {
        char hex[65];
        hex_of(buf, kat[k].n, hex);
        QCHECK(strcmp(hex, kat[k].hex) == 0, "sha256 of bytes 0..%zu: %s, expected %s", kat[k].n - 1, hex,
               kat[k].hex);
    }
}

static void test_incremental_splits(void)
{
    /* Every split of a 200-byte message into two updates gives the one-shot
     * digest. */
    uint8_t msg[200], one[32];
    for (int i = 0; i < 200; i++)
        msg[i] = (uint8_t)(i * 37 + 11);
    qcts_sha256(msg, sizeof msg, one);
    int bad = 0;
    for (size_t cut = 0; cut <= sizeof msg; cut++) {
        qcts_sha256_ctx c;
        uint8_t d[32];
        qcts_sha256_init(&c);
        qcts_sha256_update(&c, msg, cut);
        qcts_sha256_update(&c, msg + cut, sizeof msg - cut);
        qcts_sha256_final(&c, d);
        bad += !QCHECK(memcmp(d, one, 32) == 0, "split at %zu differs", cut);
    }
    CU_ASSERT_EQUAL(bad, 0);
}

QTEST_SUITE(sha256,
    QTEST(test_fips_examples),
    QTEST(test_million_a),
    QTEST(test_padding_boundaries),
    QTEST(test_incremental_splits))
