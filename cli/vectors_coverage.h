/* qcts vectors coverage (cli/vectors_coverage.c). */
#ifndef QCTS_CLI_VECTORS_COVERAGE_H
#define QCTS_CLI_VECTORS_COVERAGE_H

/* Prints the coverage table of the set in dir from its MANIFEST.json:
 * flags x groups ("cases/suites"), or with group, flags x the group's
 * suites (cases). Returns a QCTS_EXIT_* status. */
int qcts_vectors_coverage(const char *dir, const char *group);

#endif
