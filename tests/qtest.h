/* qtest.h — the small layer every qcts unit-test file uses on top of CUnit.
 *
 * A test file <module>/tests/test_<name>.c ends with
 *
 *     QTEST_SUITE(<name>,
 *         QTEST(test_function_a),
 *         QTEST(test_function_b))
 *
 * and the build adds the suite to the one runner (build/.../tests/qcts-tests)
 * from the file name alone. Helpers below print the values that differed, so
 * a failure says what was expected, what came out and (for random tests) the
 * seed that reproduces it.
 */
#ifndef QTEST_H
#define QTEST_H

#include <CUnit/CUnit.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct qtest_case {
    const char *name;
    CU_TestFunc fn;
} qtest_case;

void qtest_add_suite(const char *suite, const qtest_case *cases, size_t n);

#define QTEST(fn) { #fn, fn }
#define QTEST_SUITE(suite, ...)                                              \
    void qtest_register_##suite(void);                                      \
    void qtest_register_##suite(void)                                       \
    {                                                                        \
        static const qtest_case cases[] = { __VA_ARGS__ };                   \
        qtest_add_suite(#suite, cases, sizeof cases / sizeof cases[0]);      \
    }

/* Records a failure with a printf-style message (shown in the CUnit report
 * and on stderr) and returns 0; returns 1 when cond holds. Use for checks in
 * loops, where one summary assertion per loop keeps reports readable. */
int qtest_check(int cond, const char *file, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#define QCHECK(cond, ...) qtest_check(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

/* Failure budget for loops: stop printing after this many failures per test. */
#define QTEST_MAX_REPORTS 20

/* The iteration count of a random-sampling loop: n, or n / 16 (at least 1)
 * when the environment has QCTS_TEST_QUICK set to anything but "" or "0"
 * (make test-aarch64 sets it: under qemu every test runs about 20 times
 * slower). Exhaustive loops, known-answer tables and edge cases keep their
 * full size. */
static inline unsigned long qtest_scale(unsigned long n)
{
    const char *q = getenv("QCTS_TEST_QUICK");
    if (q && q[0] && strcmp(q, "0") != 0)
        return n / 16 ? n / 16 : 1;
    return n;
}

#endif
