/* slowcodec.h — a second, deliberately simple implementation of the element
 * codecs, used only by the tests (TestFloat's "slowfloat" idea).
 *
 * Nothing here calls ref/src. Every code of a format is decoded from the
 * formula of /work/shared FORMATS.md (doubles, ldexp); encoding sorts the
 * finite values and rounds x to a neighbour a <= x <= b by comparing it with
 * the exact midpoint (a+b)/2 in double, then applies the convention's tie,
 * overflow, NaN and Inf rules, each written out from the FORMATS.md tables.
 *
 * Numeric contract of the tables:
 *   - every finite value of every format <= 16 bits is exact in double, and
 *     so is the midpoint of two neighbours (at most 25 significant bits);
 *   - the table holds one zero (the +0 code); the sign of a zero result is
 *     taken from x afterwards (RNE of a negative tiny value is -0);
 *   - in NOSAT mode the formats that overflow to Inf or NaN (F16, BF16, E4M3,
 *     E5M2, E8M0) get one virtual entry at each end: the value code max+1
 *     would have with an unbounded exponent (E4M3 480, E5M2 2^16, F16 2^16,
 *     BF16 2^128, E8M0 2^128), with code max_code+1 (| sign), which is
 *     exactly the overflow code of every convention. A tie with it resolves
 *     by code parity like any other tie, so 464 -> 448 (E4M3), 61440 -> Inf
 *     (E5M2), 65520 -> Inf (F16), 1.5*2^127 -> 0xFE (E8M0 ocp);
 *   - in SAT mode there is no virtual entry: x beyond the ends clamps.
 *
 * The tables are built on first use; call slow_init() before starting
 * threads (exhaustive_main.c does). */
#ifndef QCTS_SLOWCODEC_H
#define QCTS_SLOWCODEC_H

#include <stddef.h>
#include <stdint.h>

#include "qref/fmt.h"

/* Class of a decoded code. */
enum { SLOW_FINITE = 0, SLOW_INF = 1, SLOW_NAN = 2 };

/* Independent decode of one code: returns its class (SLOW_*), or -1 when the
 * code has bits above the format's width. *value gets the exact value
 * (+-INFINITY for Inf, NAN for NaN); *f32 gets the float32 bits qref_decode
 * must produce by the contract of qref/fmt.h (NaN: quiet 0x7FC00000 with the
 * code's sign, F16/BF16 keep their payload; ggml E8M0 0xFF is +Inf). Either
 * pointer may be NULL. */
int slow_decode(qref_fmt f, qref_conv c, uint32_t code, double *value, uint32_t *f32);

/* The mode rules of qref/fmt.h, written from its text. */
qref_status slow_mode_resolve(qref_fmt f, qref_conv c, qref_mode req, qref_mode *eff);

/* Encodes float32 bits u. slow_encode resolves the requested mode (and
 * returns QREF_ERR_MODE / QREF_ERR_ARG as qref_encode must, leaving *code
 * unchanged); slow_encode_eff takes an already effective mode (SAT/NOSAT).
 * hint may be NULL; otherwise it caches the table position between calls on
 * nearby inputs (the exhaustive program walks inputs in order). */
qref_status slow_encode(qref_fmt f, qref_conv c, qref_mode req, uint32_t u, uint32_t *code);
qref_status slow_encode_eff(qref_fmt f, qref_conv c, qref_mode eff, uint32_t u, uint32_t *code,
                            size_t *hint);

/* The sorted table used for (f, effective mode): n ascending values, their
 * codes, and virt[i] = 1 for the virtual overflow entries. NULL for F32. */
typedef struct slow_table {
    size_t n;
    const double *v;
    const uint32_t *code;
    const unsigned char *virt;
} slow_table;
const slow_table *slow_table_get(qref_fmt f, qref_mode eff);

/* Builds every table now (not thread-safe: call once before threads). */
void slow_init(void);

/* Deterministic RNG for the tests (splitmix64). */
static inline uint64_t slow_rand64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Structured inputs for format f, as float32 bit patterns (with repeats):
 * every decoded code, every midpoint of neighbouring table entries (SAT and
 * NOSAT tables, so the virtual overflow entries too), each with its two
 * float32 neighbours and both signs, plus fixed specials (signed zeros,
 * infinities, NaNs with payloads, float32 subnormal boundaries and the
 * overflow thresholds of every format). For F32 only the specials. The
 * caller frees the array. */
uint32_t *slow_structured_inputs(qref_fmt f, size_t *n);

/* Random float32 inputs for a format: half uniform bit patterns, half with
 * an exponent from 3 binades below the format's smallest magnitude to 3
 * above its largest (random sign and mantissa). */
typedef struct slow_rng {
    uint64_t state;
    int elo, ehi;
} slow_rng;
void slow_rng_init(slow_rng *r, uint64_t seed, qref_fmt f);
uint32_t slow_rng_input(slow_rng *r);

/* Names for messages (never NULL). */
const char *slow_fmt_name(qref_fmt f);
const char *slow_conv_name(qref_conv c);
const char *slow_mode_name(qref_mode m);
const char *slow_status_name(qref_status s);

/* The seed for the random parts of the suites: QCTS_TEST_SEED (decimal or
 * 0x-hex) if set, else the fixed default, so runs are reproducible. */
uint64_t slow_test_seed(uint64_t dflt);

/* ---- helpers for the CUnit suites (only where tests/qtest.h is included) */
#ifdef QTEST_H
#include <stdarg.h>
#include <stdio.h>

/* A check inside a loop: counts every failure in nfail, records (and
 * prints) only the first QTEST_MAX_REPORTS of them. */
#define SLOW_CHECK(nfail, cond, ...)                                         \
    ((cond) ? 1 : (++(nfail) <= QTEST_MAX_REPORTS ? QCHECK(0, __VA_ARGS__) : 0))

/* One assertion that CUnit counts whether it passes or fails (QCHECK only
 * records failures): used for each known-answer row and for the summary of
 * each loop. */
static inline void slow_assert(int ok, const char *file, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static inline void slow_assert(int ok, const char *file, unsigned line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (ok)
        CU_assertImplementation(CU_TRUE, line, msg, file, "", CU_FALSE);
    else
        qtest_check(0, file, line, "%s", msg);
}
#define SLOW_ASSERT(ok, ...) slow_assert(!!(ok), __FILE__, __LINE__, __VA_ARGS__)
#define SLOW_SUMMARY(nfail, ncases, what)                                    \
    SLOW_ASSERT((nfail) == 0, "%s: %lu of %lu cases failed", (what),          \
                (unsigned long)(nfail), (unsigned long)(ncases))
#endif

#endif
