/* The tiny option parser, number parsing and error messages of the CLI. */
#include "cli/args.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* "-1", "-.5", "-inf", "-nan", "-Infinity": a negative number, not an option. */
static int looks_negative_number(const char *s)
{
    if (s[0] != '-')
        return 0;
    if (isdigit((unsigned char)s[1]) || s[1] == '.')
        return 1;
    return strncasecmp(s + 1, "inf", 3) == 0 || strncasecmp(s + 1, "nan", 3) == 0;
}

static int find_long(const qcts_opt *opts, int nopts, const char *name, size_t len)
{
    for (int i = 0; i < nopts; i++)
        if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0)
            return i;
    return -1;
}

static int find_short(const qcts_opt *opts, int nopts, char c)
{
    for (int i = 0; i < nopts; i++)
        if (opts[i].short_name == c)
            return i;
    return -1;
}

int qcts_args_parse(const char *cmd, const qcts_opt *opts, int nopts,
                    int argc, char **argv, qcts_args *a)
{
    memset(a, 0, sizeof *a);
    a->pos = argv;
    if (nopts > QCTS_MAX_OPTS)
        return qcts_usage(cmd, "internal error: too many options");
    int only_pos = 0;
    for (int i = 0; i < argc; i++) {
        char *s = argv[i];
        if (only_pos || s[0] != '-' || s[1] == '\0' || looks_negative_number(s)) {
            argv[a->npos++] = s;          /* never ahead of i: safe in place */
            continue;
        }
        if (strcmp(s, "--") == 0) {
            only_pos = 1;
            continue;
        }
        if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
            a->help = 1;
            continue;
        }
        int k;
        const char *inline_value = NULL;
        if (s[1] == '-') {
            const char *name = s + 2, *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            k = find_long(opts, nopts, name, len);
            if (k < 0)
                return qcts_usage(cmd, "unknown option '--%.*s'", (int)len, name);
            if (eq)
                inline_value = eq + 1;
        } else {
            /* "-j4" is "-j 4" for a short option that takes a value. */
            k = find_short(opts, nopts, s[1]);
            if (k >= 0 && s[2] != '\0' && opts[k].has_value)
                inline_value = s + 2;
            else if (s[2] != '\0')
                k = -1;
            if (k < 0)
                return qcts_usage(cmd, "unknown option '%s'", s);
        }
        const char *opt = opts[k].name;
        if (!opts[k].has_value) {
            if (inline_value)
                return qcts_usage(cmd, "option --%s takes no value", opt);
            a->value[k] = "";
            continue;
        }
        if (a->value[k])
            return qcts_usage(cmd, "option --%s given twice", opt);
        if (!inline_value) {
            if (i + 1 >= argc)
                return qcts_usage(cmd, "option --%s needs a value", opt);
            inline_value = argv[++i];
        }
        if (inline_value[0] == '\0')
            return qcts_usage(cmd, "option --%s needs a value, got an empty string", opt);
        a->value[k] = inline_value;
    }
    return 0;
}

int qcts_parse_f32(const char *s, float *out)
{
    if (!s || s[0] == '\0' || isspace((unsigned char)s[0]))
        return -1;
    char *end;
    errno = 0;
    float v = strtof(s, &end);
    if (*end != '\0')
        return -1;
    /* strtof's sign of a NaN is not specified by C11; make "-nan" negative. */
    if (isnan(v))
        v = copysignf(v, s[0] == '-' ? -1.0f : 1.0f);
    *out = v;
    return 0;
}

int qcts_parse_u32(const char *s, uint32_t *out)
{
    if (!s)
        return -1;
    int base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (s[0] == '\0')
        return -1;
    uint64_t v = 0;
    for (; *s; s++) {
        int d;
        if (isdigit((unsigned char)*s))
            d = *s - '0';
        else if (base == 16 && isxdigit((unsigned char)*s))
            d = tolower((unsigned char)*s) - 'a' + 10;
        else
            return -1;
        v = v * (unsigned)base + (unsigned)d;
        if (v > UINT32_MAX)
            return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

static void vsay(const char *cmd, const char *tag, const char *fmt, va_list ap)
{
    if (cmd)
        fprintf(stderr, "qcts %s: %s", cmd, tag);
    else
        fprintf(stderr, "qcts: %s", tag);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

int qcts_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsay(cmd, "", fmt, ap);
    va_end(ap);
    if (cmd && strcmp(cmd, "help") != 0)
        fprintf(stderr, "try 'qcts help %s'\n", cmd);
    else
        fprintf(stderr, "try 'qcts help'\n");
    return QCTS_EXIT_USAGE;
}

int qcts_fail(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsay(cmd, "", fmt, ap);
    va_end(ap);
    return QCTS_EXIT_FAIL;
}

void qcts_warn(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsay(cmd, "warning: ", fmt, ap);
    va_end(ap);
}

int qcts_parse_fraction(const char *s, double *out)
{
    char *end;
    if (!s)
        return -1;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno)
        return -1;
    if (*end == '%') {
        v /= 100;
        end++;
    }
    if (*end || !(v >= 0) || v >= 1)
        return -1;
    *out = v;
    return 0;
}
