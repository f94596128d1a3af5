/* qref/bits.h — float <-> bit-pattern helpers (memcpy, no aliasing tricks). */
#ifndef QREF_BITS_H
#define QREF_BITS_H

#include <stdint.h>
#include <string.h>

static inline uint32_t qref_f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static inline float qref_f32_from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline uint64_t qref_f64_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static inline int qref_f32_is_nan(uint32_t u) { return (u & 0x7FFFFFFFu) > 0x7F800000u; }
static inline int qref_f32_is_inf(uint32_t u) { return (u & 0x7FFFFFFFu) == 0x7F800000u; }

#endif
