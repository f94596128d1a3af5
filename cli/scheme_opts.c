/* Scheme, shape and qref-error handling of the quantization commands. */
#include "cli/scheme_opts.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"

int qcts_lookup_scheme(const char *cmd, const char *name, const qref_scheme **out)
{
    if (!name)
        return qcts_usage(cmd, "--scheme NAME is required (run 'qcts list schemes')");
    *out = qref_scheme_find(name);
    if (!*out)
        return qcts_usage(cmd, "unknown scheme '%s' (run 'qcts list schemes')", name);
    return 0;
}

int qcts_parse_u64(const char *s, uint64_t *out)
{
    if (!s || !isdigit((unsigned char)s[0]))
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? 16 : 10);
    if (*end != '\0' || errno == ERANGE || end == s)
        return -1;
    *out = (uint64_t)v;
    return 0;
}

int qcts_parse_dim(const char *cmd, const char *option, const char *s, int64_t *out)
{
    if (!s)
        return qcts_usage(cmd, "--%s N is required", option);
    uint64_t v;
    if (qcts_parse_u64(s, &v) != 0 || v == 0 || v > 0x7FFFFFFFu)
        return qcts_usage(cmd, "--%s must be a whole number from 1 to 2147483647, got '%s'", option, s);
    *out = (int64_t)v;
    return 0;
}

int qcts_check_shape(const char *cmd, const qref_scheme *s, int64_t rows, int64_t cols, qref_qsizes *sizes)
{
    qref_error e = { -1, -1, "" };
    qref_status st = qref_qsizes_get(s, rows, cols, sizes, &e);
    if (st == QREF_OK)
        return 0;
    if (st == QREF_ERR_SIZE)
        return qcts_usage(cmd, "%s", e.msg[0] ? e.msg : "the shape does not fit the scheme");
    return qcts_qref_fail(cmd, NULL, s, st, &e);
}

int qcts_qref_fail(const char *cmd, const char *file, const qref_scheme *s, qref_status st, const qref_error *e)
{
    const char *msg = e->msg[0] ? e->msg : qref_status_message(st);
    if (st == QREF_ERR_UNSUPPORTED) {
        /* The family's message often starts with the scheme's name already. */
        size_t len = s ? strlen(s->name) : 0;
        if (s && strncmp(msg, s->name, len) == 0 && msg[len] == ':' && msg[len + 1] == ' ')
            msg += len + 2;
        return qcts_fail(cmd, "%s: unsupported: %s", s ? s->name : "?", msg);
    }
    if (e->row >= 0 && e->block >= 0)
        return qcts_fail(cmd, "%s%srow %lld, block %lld: %s", file ? file : "", file ? ": " : "",
                         (long long)e->row, (long long)e->block, msg);
    if (e->row >= 0)
        return qcts_fail(cmd, "%s%srow %lld: %s", file ? file : "", file ? ": " : "", (long long)e->row, msg);
    return qcts_fail(cmd, "%s%s%s", file ? file : "", file ? ": " : "", msg);
}
