/* progress.h — how often check and bench print a plain progress line when
 * stderr is not a terminal (CI logs): --progress SECONDS, else the
 * environment variable QCTS_PROGRESS (seconds, or "off"), else every 30 s.
 * tests/cli/lib.sh sets QCTS_PROGRESS=off, so no test's stderr depends on
 * how long a run took. */
#ifndef QCTS_CLI_PROGRESS_H
#define QCTS_CLI_PROGRESS_H

/* *every: seconds between lines (0: every case or repetition), or -1 for
 * none. 0, or -1 when opt (or, without opt, QCTS_PROGRESS) is not 0 to
 * 86400 or "off"; *bad then names the offending text. */
int qcts_progress_every(const char *opt, double *every, const char **bad);

#endif
