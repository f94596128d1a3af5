/* lookup.h — format, convention and mode names from the command line.
 * Each returns 0, or prints a usage error naming cmd and returns
 * QCTS_EXIT_USAGE. A NULL name gives the default (convention ocp, mode
 * default); a NULL format name is an error that names the missing option. */
#ifndef QCTS_CLI_LOOKUP_H
#define QCTS_CLI_LOOKUP_H

#include "qref/fmt.h"

int qcts_lookup_fmt(const char *cmd, const char *option, const char *name, qref_fmt *out);
int qcts_lookup_conv(const char *cmd, const char *name, qref_conv *out);
int qcts_lookup_mode(const char *cmd, const char *name, qref_mode *out);

/* QREF_ERR_MODE as a sentence, e.g. "mode 'nosat' is not available for
 * e2m1 (always saturating)"; returns QCTS_EXIT_USAGE. */
int qcts_mode_error(const char *cmd, qref_fmt f, qref_conv c, qref_mode m);

#endif
