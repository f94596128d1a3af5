/* Guard zones around private scratch buffers (scratch_guard.h). Layout:
 * [size_t n, ~n, pattern to 64 bytes][n bytes][64 bytes of pattern]; n is
 * stored twice so that an underrun that reaches it cannot send the check
 * of the upper zone astray. */
#include "kernels/simd/scratch_guard.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Not 0 and not a float32/f16 value a kernel would write by accident:
 * 0xA5 bytes read as float32 are -2.87e-16, never 0 or a round number. */
static uint8_t guard_byte(size_t i) { return (uint8_t)(0xA5 ^ (i * 29)); }

static void fill(uint8_t *z, size_t len)
{
    for (size_t i = 0; i < len; i++)
        z[i] = guard_byte(i);
}

static int same(const uint8_t *z, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (z[i] != guard_byte(i))
            return 0;
    return 1;
}

#define HEAD_FILL (QCTS_SCRATCH_GUARD - 2 * sizeof(size_t))

void *qcts_scratch_alloc(size_t n)
{
    if (n > SIZE_MAX - 2 * QCTS_SCRATCH_GUARD)
        return NULL;
    uint8_t *base = malloc(n + 2 * QCTS_SCRATCH_GUARD);
    if (!base)
        return NULL;
    size_t inv = ~n;
    memcpy(base, &n, sizeof n);
    memcpy(base + sizeof n, &inv, sizeof inv);
    fill(base + 2 * sizeof n, HEAD_FILL);
    fill(base + QCTS_SCRATCH_GUARD + n, QCTS_SCRATCH_GUARD);
    return base + QCTS_SCRATCH_GUARD;
}

int qcts_scratch_intact(const void *p)
{
    if (!p)
        return 1;
    const uint8_t *base = (const uint8_t *)p - QCTS_SCRATCH_GUARD;
    size_t n, inv;
    memcpy(&n, base, sizeof n);
    memcpy(&inv, base + sizeof n, sizeof inv);
    return inv == ~n && same(base + 2 * sizeof n, HEAD_FILL) && same(base + QCTS_SCRATCH_GUARD + n, QCTS_SCRATCH_GUARD);
}

void qcts_scratch_free(void *p)
{
    if (p)
        free((uint8_t *)p - QCTS_SCRATCH_GUARD);
}
