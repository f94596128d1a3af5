/* args.h — the option parser and error reporting shared by the subcommands.
 *
 * Options are --name VALUE, --name=VALUE, or a one-letter flag -x. "--help"
 * and "-h" are always recognised. "--" ends the options. An argument that
 * starts with '-' but reads as a number ("-1", "-.5", "-inf", "-nan") is a
 * positional argument, so negative values need no "--".
 *
 * Exit statuses of every subcommand: 0 success, 1 runtime failure (a file,
 * a value with no encoding), 2 usage error.
 */
#ifndef QCTS_CLI_ARGS_H
#define QCTS_CLI_ARGS_H

#include <stdint.h>

enum {
    QCTS_EXIT_OK = 0,
    QCTS_EXIT_FAIL = 1,
    QCTS_EXIT_USAGE = 2,
    QCTS_EXIT_HELP = -1   /* a handler's answer to --help: main prints the long help */
};

#define QCTS_MAX_OPTS 32

typedef struct qcts_opt {
    const char *name;   /* long name without "--" */
    char short_name;    /* '\0' when there is none */
    int has_value;      /* 1: takes a VALUE; 0: a flag */
} qcts_opt;

typedef struct qcts_args {
    /* Per option, in the order of the table: the value, "" for a flag that
     * was given, NULL when absent. */
    const char *value[QCTS_MAX_OPTS];
    int help;           /* --help or -h was given */
    int npos;           /* positional arguments, in order */
    char **pos;
} qcts_args;

/* Parses argv[0..argc) (the arguments after the command name) against
 * opts[0..nopts). Positional arguments are moved to the front of argv,
 * which a->pos then points to. Returns 0, or prints a usage error naming
 * cmd and returns QCTS_EXIT_USAGE. A value option given twice is an error. */
int qcts_args_parse(const char *cmd, const qcts_opt *opts, int nopts,
                    int argc, char **argv, qcts_args *a);

/* Numbers. Both return 0 on success and -1 when s is not a whole number.
 * qcts_parse_f32: decimal, scientific, hex-float (0x1p-9), inf, infinity,
 * nan, with an optional sign; rounded once to float32 (RNE) by strtof, out
 * of range gives +-inf or a subnormal/zero. "-nan" is a NaN with the sign
 * bit set. qcts_parse_u32: 0x... hex or plain decimal, no sign. */
int qcts_parse_f32(const char *s, float *out);
int qcts_parse_u32(const char *s, uint32_t *out);
/* A fraction in [0, 1): "0.05" or "5%". */
int qcts_parse_fraction(const char *s, double *out);

/* Messages on stderr, prefixed "qcts CMD: " ("qcts: " when cmd is NULL).
 * qcts_usage adds "try 'qcts help CMD'" and returns QCTS_EXIT_USAGE;
 * qcts_fail returns QCTS_EXIT_FAIL; qcts_warn prefixes "warning: ". */
int qcts_usage(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int qcts_fail(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void qcts_warn(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
