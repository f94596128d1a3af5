/* scheme_opts.h — scheme names, matrix shapes and qref errors on the command
 * line, shared by quant, dequant and quality. Like lookup.h, each returns 0
 * or prints the error (naming cmd) and returns the exit status to use. */
#ifndef QCTS_CLI_SCHEME_OPTS_H
#define QCTS_CLI_SCHEME_OPTS_H

#include <stdint.h>

#include "qref/scheme.h"

/* --scheme NAME: a missing or unknown name is a usage error. */
int qcts_lookup_scheme(const char *cmd, const char *name, const qref_scheme **out);

/* --rows / --cols: a whole number 1..2^31-1 (decimal or 0x hex); missing or
 * anything else is a usage error naming the option. */
int qcts_parse_dim(const char *cmd, const char *option, const char *s, int64_t *out);

/* A whole number 0..2^64-1 (decimal or 0x hex), or -1. */
int qcts_parse_u64(const char *s, uint64_t *out);

/* Checks that scheme s can hold a rows x cols matrix (and gives its section
 * sizes): a shape the scheme does not fit (cols not a multiple of the
 * group, ...) is a usage error, a family this build does not implement is
 * "S: unsupported: why" with exit status 1. */
int qcts_check_shape(const char *cmd, const qref_scheme *s, int64_t rows, int64_t cols, qref_qsizes *sizes);

/* Prints the failure of a qref call on the data of `file` (NULL if none):
 * "FILE: row R, block B: MESSAGE" (row and block when qref knows them), or
 * "SCHEME: unsupported: MESSAGE". Returns QCTS_EXIT_FAIL. */
int qcts_qref_fail(const char *cmd, const char *file, const qref_scheme *s, qref_status st, const qref_error *e);

#endif
