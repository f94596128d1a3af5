/* The single CUnit runner for all qcts unit tests.
 *   qcts-tests              run every suite
 *   qcts-tests NAME...      run only the named suites
 *   qcts-tests --list       list the suites
 * Exit status: 0 only when every assertion passed. */
#include "qtest.h"

#include <CUnit/Basic.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define QTEST_SUITE_ENTRY(name) void qtest_register_##name(void);
#include "test_suites.inc"
#undef QTEST_SUITE_ENTRY

static const struct { const char *name; void (*reg)(void); } all_suites[] = {
#define QTEST_SUITE_ENTRY(name) { #name, qtest_register_##name },
#include "test_suites.inc"
#undef QTEST_SUITE_ENTRY
};

static int reports_left;

void qtest_add_suite(const char *suite, const qtest_case *cases, size_t n)
{
    CU_pSuite s = CU_add_suite(suite, NULL, NULL);
    if (!s) {
        fprintf(stderr, "qcts-tests: cannot add suite %s: %s\n", suite, CU_get_error_msg());
        return;
    }
    for (size_t i = 0; i < n; i++)
        CU_add_test(s, cases[i].name, cases[i].fn);
}

int qtest_check(int cond, const char *file, unsigned line, const char *fmt, ...)
{
    if (cond)
        return 1;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (reports_left > 0) {
        reports_left--;
        fprintf(stderr, "\n  FAIL %s:%u: %s", file, line, msg);
        if (reports_left == 0)
            fprintf(stderr, "\n  (further failure messages suppressed)");
    }
    CU_assertImplementation(CU_FALSE, line, msg, file, "", CU_FALSE);
    return 0;
}

static void reset_reports(void) { reports_left = 200; }

int main(int argc, char **argv)
{
    size_t n_all = sizeof all_suites / sizeof all_suites[0];
    if (argc > 1 && strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < n_all; i++)
            puts(all_suites[i].name);
        return 0;
    }
    if (CU_initialize_registry() != CUE_SUCCESS) {
        fprintf(stderr, "qcts-tests: CUnit init failed: %s\n", CU_get_error_msg());
        return 2;
    }
    for (size_t i = 0; i < n_all; i++) {
        int wanted = argc <= 1;
        for (int a = 1; a < argc && !wanted; a++)
            wanted = strcmp(argv[a], all_suites[i].name) == 0;
        if (wanted)
            all_suites[i].reg();
    }
    for (int a = 1; a < argc; a++) {
        int known = 0;
        for (size_t i = 0; i < n_all; i++)
            known |= strcmp(argv[a], all_suites[i].name) == 0;
        if (!known) {
            fprintf(stderr, "qcts-tests: no suite named '%s' (try --list)\n", argv[a]);
            CU_cleanup_registry();
            return 2;
        }
    }
    reset_reports();
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures();
    unsigned tests_failed = CU_get_number_of_tests_failed();
    unsigned tests_run = CU_get_number_of_tests_run();
    printf("\n%u passed, %u failed\n", tests_run - tests_failed, tests_failed);
    CU_cleanup_registry();
    return failed == 0 ? 0 : 1;
}
