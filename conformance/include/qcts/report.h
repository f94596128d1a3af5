/* qcts/report.h — the writers of a check report (qcts/runner.h): the text
 * matrix for the terminal, JSON, JUnit XML and TAP.
 *
 * Every writer lists results in report order (suite, case, backend) and
 * depends on nothing else, so two runs with the same outcome give the same
 * bytes except for times and the run's identity.
 */
#ifndef QCTS_REPORT_H
#define QCTS_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "qcts/db.h"
#include "qcts/runner.h"

#ifdef __cplusplus
extern "C" {
#endif

/* "passed: N failed: N skipped: N mistrusted: N unavailable: N errors: N"
 * (no newline). */
void qcts_report_summary(const qcts_check_report *r, char *buf, size_t n);

/* The commands that reproduce one result, e.g.
 *   rerun:      qcts check --backend ref --filter 'gemv/fp4_g128_f16/c007'
 *   standalone: qcts case extract FILE c007 c007.safetensors &&
 *               qcts case run --backend ref c007.safetensors c007.out.safetensors
 * Arguments are shell-quoted where needed. The rerun line uses --vectors
 * when the report did not use the default vectors/golden. */
void qcts_report_rerun(const qcts_check_report *r, const qcts_result *res, char *buf, size_t n);
void qcts_report_standalone(const qcts_result *res, char *buf, size_t n);

/* Text for the terminal:
 *   a header line (backends, cases, files, vector set, threads);
 *   the matrix: one row per backend x op/scheme with the count of every
 *   verdict (a backend whose every case has the same non-PASS verdict and
 *   reason gets one row saying so);
 *   every FAIL and ERROR with suite, case id, seed, reason, and the two
 *   reproduce commands;
 *   SKIP, MISTRUSTED and UNAVAILABLE grouped by backend x op/scheme with a
 *   count and the first reason;
 *   with --identify, the conventions each backend matched per suite;
 *   the time, then the summary line last. */
void qcts_report_text(FILE *f, const qcts_check_report *r);

/* JSON (one object; a new malloc'd string, NULL when out of memory):
 *   {"qcts_version", "run": {uuid, kind, started_at, ended_at, git_commit,
 *    git_dirty, vector_set_sha256, command_line, host: {...}} (when run is
 *    given), "vectors", "jobs", "seconds", "summary": {passed, failed,
 *    skipped, mistrusted, unavailable, errors, total},
 *    "results": [{backend, variant, op, scheme, suite, case, seed, check,
 *    verdict, reason, file, duration_s, metrics: {n, mismatches, violations,
 *    max_abs, max_rel, max_ulp, mse, nmse, cosine, kl, snr_db} or null,
 *    worst: {index, expected, got, allowed, expected_text, got_text} or
 *    null, identified: [conventions] (--identify only), rerun, standalone}]}
 * Numbers that are NaN are null, infinities the strings "inf" / "-inf";
 * max_ulp of a NaN against a number is the string "nan". */
char *qcts_report_json(const qcts_check_report *r, const qcts_run_info *run, const char *version,
                       const char *ended_at);

/* JUnit XML: <testsuites> with one <testsuite> per backend and one
 * <testcase classname="SUITE" name="CASE"> per backend x case. FAIL is a
 * <failure>, ERROR an <error>, SKIP, UNAVAILABLE and MISTRUSTED are
 * <skipped> whose message starts with the verdict. Counts and times on
 * every testsuite and on testsuites. A new malloc'd string. */
char *qcts_report_junit(const qcts_check_report *r);

/* TAP version 13 on f: the plan, then "ok N - BACKEND SUITE/CASE",
 * "not ok N - ..." with a YAML block (verdict, message, seed, rerun) for
 * FAIL and ERROR, "# SKIP VERDICT: reason" for SKIP, UNAVAILABLE and
 * MISTRUSTED; the summary line last as a comment. */
void qcts_report_tap(FILE *f, const qcts_check_report *r);

/* Records the report in the database as one run (qcts/db.h: one
 * transaction; nothing is written when it fails). run->vector_set_sha256
 * should already hold the report's. ended_at NULL: now. */
int qcts_report_db(qcts_db *db, const qcts_run_info *run, const qcts_check_report *r,
                   const char *ended_at, char *err, size_t errlen);

/* XML text of s for element content (attr 0) or a double-quoted attribute
 * (attr 1): & < > " ' escaped, tab/newline/CR kept in content and written
 * as character references in attributes; other control characters (not
 * allowed in XML 1.0) become "\xNN"; invalid UTF-8, U+FFFE and U+FFFF
 * become U+FFFD. A new malloc'd string (NULL when out of memory). */
char *qcts_xml_escape(const char *s, int attr);

/* s quoted for a POSIX shell when it needs it ('...' with '\'' for
 * quotes); into buf (truncated). */
void qcts_shell_quote(const char *s, char *buf, size_t n);

#ifdef __cplusplus
}
#endif
#endif
