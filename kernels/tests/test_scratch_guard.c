/* The guard zones of the SIMD backends' private buffers
 * (kernels/simd/scratch_guard.h): writes inside a buffer keep it intact,
 * one byte past either end is reported. */
#include <stdint.h>
#include <string.h>

#include "tests/qtest.h"
#include "kernels/simd/scratch_guard.h"

static const size_t sizes[] = { 0, 1, 3, 4, 15, 64, 100, 4096 + 4 };

static void test_inside_writes_pass(void)
{
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i];
        uint8_t *p = qcts_scratch_alloc(n);
        CU_ASSERT_FATAL(p != NULL);
        CU_ASSERT((uintptr_t)p % 16 == 0);   /* malloc's alignment: float/vector scratch */
        CU_ASSERT(qcts_scratch_intact(p));
        const int fills[] = { 0x00, 0xFF, 0xA5, 0x5A };
        for (size_t f = 0; f < 4; f++) {
            memset(p, fills[f], n);
            QCHECK(qcts_scratch_intact(p), "n %zu fill 0x%02X: reported though written inside", n, fills[f]);
        }
        qcts_scratch_free(p);
    }
}

static void test_overrun_reported(void)
{
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i];
        uint8_t *p = qcts_scratch_alloc(n);
        CU_ASSERT_FATAL(p != NULL);
        /* each byte of the upper zone, changed alone, is seen; restored, the zone is intact again */
        for (size_t k = 0; k < QCTS_SCRATCH_GUARD; k++) {
            uint8_t keep = p[n + k];
            p[n + k] = (uint8_t)~keep;
            QCHECK(!qcts_scratch_intact(p), "n %zu: byte %zu past the end changed, not reported", n, k);
            p[n + k] = keep;
            QCHECK(qcts_scratch_intact(p), "n %zu: restored byte %zu still reported", n, k);
        }
        /* one float past the end (the bf16_to_f32 tail of 4 instead of 3) */
        float one = 1.0f;
        memcpy(p + n, &one, sizeof one);
        CU_ASSERT(!qcts_scratch_intact(p));
        qcts_scratch_free(p);
        /* an underrun: the byte before the buffer, and the stored size */
        p = qcts_scratch_alloc(n);
        CU_ASSERT_FATAL(p != NULL);
        p[-1] ^= 1;
        CU_ASSERT(!qcts_scratch_intact(p));
        p[-1] ^= 1;
        CU_ASSERT(qcts_scratch_intact(p));
        p[-QCTS_SCRATCH_GUARD] ^= 0x40;   /* the size: never sends the check elsewhere */
        CU_ASSERT(!qcts_scratch_intact(p));
        p[-QCTS_SCRATCH_GUARD] ^= 0x40;
        qcts_scratch_free(p);
    }
}

static void test_null(void)
{
    CU_ASSERT(qcts_scratch_intact(NULL));
    qcts_scratch_free(NULL);
    CU_ASSERT(qcts_scratch_alloc(SIZE_MAX) == NULL);
}

QTEST_SUITE(scratch_guard,
    QTEST(test_inside_writes_pass),
    QTEST(test_overrun_reported),
    QTEST(test_null))
