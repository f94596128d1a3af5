/* The seeded integer RNG of the golden-vector generator (qcts/vectors.h):
 * splitmix64, xoshiro256**, FNV-1a and the per-case seed. Only integer
 * arithmetic and exact integer -> float conversions: the same bits on every
 * host. */
#include "qcts/vectors.h"

uint64_t qcts_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void qcts_rng_seed(qcts_rng *r, uint64_t seed)
{
    uint64_t sm = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = qcts_splitmix64(&sm);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t qcts_rng_next(qcts_rng *r)
{
    uint64_t *s = r->s;
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t qcts_rng_below(qcts_rng *r, uint64_t n)
{
    if (n <= 1)
        return 0;
    /* The smallest all-ones mask covering n - 1, then reject draws >= n:
     * unbiased, and defined by integer operations only. */
    uint64_t mask = n - 1;
    mask |= mask >> 1;
    mask |= mask >> 2;
    mask |= mask >> 4;
    mask |= mask >> 8;
    mask |= mask >> 16;
    mask |= mask >> 32;
    for (;;) {
        uint64_t v = qcts_rng_next(r) & mask;
        if (v < n)
            return v;
    }
}

float qcts_rng_uniform(qcts_rng *r)
{
    int32_t v = (int32_t)(qcts_rng_next(r) >> 40) - (1 << 23);   /* [-2^23, 2^23) */
    return (float)v * 0x1p-23f;
}

float qcts_rng_gauss(qcts_rng *r)
{
    uint64_t u = qcts_rng_next(r);
    uint64_t v = qcts_rng_next(r);
    /* Four 22-bit uniforms from the top bits of two draws. */
    int32_t s = (int32_t)(u >> 42) + (int32_t)((u >> 20) & 0x3FFFFF) + (int32_t)(v >> 42) +
                (int32_t)((v >> 20) & 0x3FFFFF);
    return (float)(s - (1 << 23)) * 0x1p-21f;   /* |s - 2^23| <= 2^23: exact */
}

uint64_t qcts_fnv1a64(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

uint64_t qcts_case_seed(const char *suite, unsigned index)
{
    size_t n = 0;
    while (suite[n])
        n++;
    uint64_t state = qcts_fnv1a64(suite, n) ^ ((uint64_t)index * 0x9E3779B97F4A7C15ull);
    return qcts_splitmix64(&state);
}
