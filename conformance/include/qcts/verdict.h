/* qcts/verdict.h — how the harness decides a case: check rules, output
 * poisoning and guard bytes, the mistrust rule, verdict names
 * (ARCHITECTURE.md "Checking"; the case contract is vectors/CASES.md).
 *
 * VERDICTS
 *   PASS         every output obeys the case's check rule, nothing was
 *                written outside the outputs, every element was written
 *   FAIL         an output breaks the rule, an element was not written, a
 *                byte outside an output (guard) or of an input changed, or
 *                two calls of the same case gave different outputs
 *   SKIP         the backend lacks the op (NULL function) or answered
 *                QCTS_UNSUPPORTED; the reason is the backend's
 *   UNAVAILABLE  the backend cannot run on this host (available() == 0,
 *                QCTS_UNAVAILABLE, or not built into this qcts)
 *   MISTRUSTED   the outputs obey the rule, but the case cannot tell a right
 *                kernel from a wrong one: flagged `degenerate`, or its main
 *                expected output is at least 90% zeros. Never PASS. A
 *                mistrusted case that fails is still FAIL.
 *   ERROR        the backend answered QCTS_ERROR (its message), or the case
 *                could not be loaded or checked
 *
 * POISON (unwritten elements)
 *   Before a call every output element holds a poison value; an element
 *   that still holds it afterwards may not have been written. A legitimate
 *   output can equal any fixed pattern (a U8 code surely can, and for F32
 *   a NaN expected value would even match a NaN poison under the exact
 *   rule), so one poison alone can neither prove nor rule out a missing
 *   write. The harness therefore uses two poisons that differ in every
 *   byte: the call is made with poison 0; if any element equals poison 0,
 *   the case is prepared and called a second time, from scratch, with
 *   poison 1. The ABI requires every call to produce the same outputs, so
 *   a written element has the same value both times and cannot equal both
 *   poisons: an element is "not written" exactly when it holds poison 0
 *   after the first call and poison 1 after the second. No false alarm is
 *   possible, whatever the codec produces; the cost is a second call only
 *   when some element equals poison 0. (If the two calls differ anywhere
 *   else, the backend is nondeterministic: FAIL.) The float poisons are
 *   also quiet NaNs whose low payload bits no qcts codec produces (F16 and
 *   BF16 widen with zero low bits; decoders return 0x7FC00000), so an
 *   unwritten float element never looks like a plausible number.
 *
 * GUARDS (writes outside the buffer)
 *   Every output buffer is surrounded by QCTS_GUARD_BYTES guard bytes of a
 *   known pattern before its first and after its last byte (the buffer
 *   itself starts 64-byte aligned). A changed guard byte is FAIL
 *   "wrote past the end at byte i" (i counted from the buffer's start, so
 *   the first byte past the end is out_bytes) or "wrote before the start at
 *   byte -i". Inputs are copies that are compared with the case file after
 *   the call ("modified its input").
 *
 * CHECK RULES (per element of the main output; padding of strided outputs
 * is not compared, it must keep the poison)
 *   exact   float outputs (F32/F16/BF16): bit patterns equal, except that a
 *           NaN matches any NaN (payload and sign ignored); +0 and -0
 *           differ, +Inf and -Inf differ. Code outputs (U8/U16/U32): codes
 *           equal; when the codes belong to a float element format (convert
 *           encode), a NaN code matches any NaN code of that format.
 *   bound   float outputs only: a NaN expected value needs a NaN; an
 *           infinite one needs the same infinity; a finite one needs a
 *           finite y with |y - ref| <= bound_c * bound[i], in double.
 *   ulp:N   float outputs only: qcts_ulp_distance_*(ref, y) <= N in the
 *           output format (NaN vs NaN is 0, NaN vs a number fails).
 *   Every other output (convert's status bytes) is checked exactly.
 */
#ifndef QCTS_VERDICT_H
#define QCTS_VERDICT_H

#include <stddef.h>
#include <stdint.h>

#include "qcts/backend.h"
#include "qcts/case_call.h"
#include "qcts/metrics.h"
#include "qref/fmt.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum qcts_verdict {
    QCTS_V_PASS = 0,
    QCTS_V_FAIL,
    QCTS_V_SKIP,
    QCTS_V_UNAVAILABLE,
    QCTS_V_MISTRUSTED,
    QCTS_V_ERROR,
    QCTS_V_COUNT
} qcts_verdict;

/* "PASS", "FAIL", ...; NULL when out of range. */
const char *qcts_verdict_name(qcts_verdict v);
/* Exact upper-case names; 0 or -1. */
int qcts_verdict_from_name(const char *name, qcts_verdict *v);

/* ---- poison and guards ----------------------------------------------------- */

#define QCTS_GUARD_BYTES 64

/* The poison element of dtype d, variant 0 or 1, as little-endian bytes
 * (the first qcts_dtype_size(d) bytes of out are set):
 *   F32, U32  0x7FC0DEAD / 0xFFC1BAD5     F16  0x7E5A / 0xFFA5
 *   BF16      0x7FDA / 0xFFE5             U16  0xDEAD / 0x2152
 *   U8        0xA5 / 0x5A
 * The two variants differ in every byte. */
void qcts_poison_element(qcts_dtype d, int variant, uint8_t out[4]);
/* Fills nbytes (a multiple of the element size) with the poison. */
void qcts_poison_fill(void *buf, size_t nbytes, qcts_dtype d, int variant);
/* 1 when element i of buf holds the poison of (d, variant). */
int qcts_poison_at(const void *buf, size_t i, qcts_dtype d, int variant);
/* The guard pattern: byte k of a guard of variant v. */
uint8_t qcts_guard_byte(size_t k, int variant);

/* An output buffer with guard bytes on both sides. */
typedef struct qcts_guarded {
    void *base;                /* the allocation */
    uint8_t *data;             /* nbytes bytes, 64-byte aligned */
    size_t nbytes;
    qcts_dtype dtype;
} qcts_guarded;

/* Allocates nbytes (0 allowed) plus guards; 0, or -1 when out of memory. */
int qcts_guarded_alloc(qcts_guarded *g, size_t nbytes, qcts_dtype d);
void qcts_guarded_free(qcts_guarded *g);
/* Poisons the data and writes both guards, for variant 0 or 1. */
void qcts_guarded_arm(qcts_guarded *g, int variant);
/* 0 when both guards are intact. Otherwise 1, with *byte the offset of the
 * changed guard byte closest to the buffer, counted from the buffer's
 * first byte: negative before the start, >= nbytes past the end (the
 * last byte before the buffer is checked first, then the first byte past
 * its end: an off-by-one write is reported where it happened). */
int qcts_guarded_check(const qcts_guarded *g, int variant, int64_t *byte);

/* ---- comparing an output with the expected one ------------------------------ */

/* Which elements of a buffer are data: rows of `cols` elements every `ld`
 * elements (ld >= cols); ld == cols is dense. The elements between cols and
 * ld of each row are padding. */
typedef struct qcts_layout {
    size_t rows, cols, ld;
} qcts_layout;

/* A dense layout of n elements. */
qcts_layout qcts_layout_dense(size_t n);
/* 1 when element i is padding. */
int qcts_layout_is_padding(const qcts_layout *l, size_t i);

typedef struct qcts_rule {
    qcts_check_kind kind;
    double bound_c;            /* bound: the factor c */
    uint32_t ulp;              /* ulp: N */
} qcts_rule;

typedef struct qcts_cmp {
    size_t n;                  /* data elements compared (padding excluded) */
    size_t mismatches;         /* bitwise, NaN == NaN (codes: NaN codes of the
                                  format match) */
    size_t violations;         /* elements breaking the rule */
    int has_worst;             /* worst element known (see below) */
    size_t worst;              /* element index in the buffer (padding counted) */
    double worst_expected, worst_got; /* values (codes for code outputs) */
    double worst_allowed;      /* |error| allowed there: 0 exact, c*bound for
                                  bound, NaN for ulp */
    double worst_error;        /* |got - expected| (codes: NaN) */
    uint64_t worst_ulp;        /* float outputs: the ULP distance there */
    char worst_expected_text[64], worst_got_text[64];
    int has_metrics;           /* float outputs: m and kl are set */
    qcts_metrics m;            /* over the data elements (padding excluded) */
} qcts_cmp;

/* Compares the data elements of got with expected under rule. code_fmt is
 * the element format of code outputs (convert encode), QREF_FMT_COUNT when
 * the codes are plain bytes. bound: the bound tensor (F32, as many elements
 * as the buffer) for the bound rule, else NULL.
 * The worst element: the violation with the largest |error| / allowed
 * (ULPs for ulp:N, the largest ULP distance for exact float outputs, the
 * first differing code for code outputs; a NaN or infinity where it does
 * not belong counts as infinitely bad, the first such wins); when nothing
 * is violated, the element closest to its limit (bound and ulp rules only).
 * Returns 0 when compared (out->violations says the outcome), -1 when the
 * rule does not apply to the dtype (err says why). */
int qcts_compare(qcts_dtype d, qref_fmt code_fmt, const void *expected, const void *got,
                 const qcts_layout *layout, const qcts_rule *rule, const float *bound,
                 qcts_cmp *out, char *err, size_t errlen);

/* One sentence for a failed comparison: "3 of 1024 elements differ;
 * worst element 17: expected 1 (0x3c00), got 1.00097656 (0x3c01), 1 ulp". */
void qcts_cmp_describe(const qcts_cmp *c, const qcts_rule *rule, char *buf, size_t n);

/* Element i as text: "1.5 (0x3fc00000)" for floats ("nan (0x7fc00000)"),
 * "0x7e" for codes. */
void qcts_element_text(qcts_dtype d, const void *buf, size_t i, char *out, size_t n);

/* Mean over rows of KL(softmax(expected row) || softmax(got row)) of a
 * float output (nats); NaN when a value is not finite or d is not a float. */
double qcts_rows_kl(qcts_dtype d, const void *expected, const void *got, const qcts_layout *l);

/* ---- mistrust ------------------------------------------------------------------ */

/* The share of zeros at which a case's expected output is mistrusted. */
#define QCTS_MISTRUST_ZERO_SHARE 0.9

/* 1 when a case cannot be trusted: degenerate (the case's flag) or its main
 * expected output holds >= 90% zeros (floats: +0 or -0; codes: the byte or
 * code 0). why says which, e.g. "expected output is 96% zeros (983 of
 * 1024 elements)" or "case is flagged degenerate". 0 otherwise. */
int qcts_mistrust(int degenerate, qcts_dtype d, const void *expected, const qcts_layout *l,
                  char *why, size_t n);

#ifdef __cplusplus
}
#endif
#endif
