/* Name lookups with the CLI's error messages. */
#include "cli/lookup.h"

#include <string.h>

#include "cli/args.h"

int qcts_lookup_fmt(const char *cmd, const char *option, const char *name, qref_fmt *out)
{
    if (!name)
        return qcts_usage(cmd, "%s FMT is required", option);
    if (qref_fmt_from_name(name, out) != QREF_OK)
        return qcts_usage(cmd, "unknown format '%s' (run 'qcts list formats')", name);
    return 0;
}

int qcts_lookup_conv(const char *cmd, const char *name, qref_conv *out)
{
    if (!name) {
        *out = QREF_CONV_OCP;
        return 0;
    }
    if (qref_conv_from_name(name, out) != QREF_OK)
        return qcts_usage(cmd, "unknown convention '%s' (run 'qcts list conventions')", name);
    return 0;
}

int qcts_lookup_mode(const char *cmd, const char *name, qref_mode *out)
{
    if (!name) {
        *out = QREF_MODE_DEFAULT;
        return 0;
    }
    if (qref_mode_from_name(name, out) != QREF_OK)
        return qcts_usage(cmd, "unknown mode '%s' (default, sat or nosat)", name);
    return 0;
}

int qcts_mode_error(const char *cmd, qref_fmt f, qref_conv c, qref_mode m)
{
    const qref_fmt_info *info = qref_fmt_get(f);
    qref_mode fixed, ignored;
    if (qref_mode_resolve(f, c, QREF_MODE_DEFAULT, &fixed) != QREF_OK)
        fixed = QREF_MODE_SAT;
    const char *why = fixed == QREF_MODE_SAT ? "always saturating"
        : strcmp(info->inf_codes, "none") == 0 ? "never saturating: overflow gives NaN"
        : "never saturating: overflow gives Inf";
    /* Fixed by the format itself, or only by the convention? */
    if (c == QREF_CONV_OCP || qref_mode_resolve(f, QREF_CONV_OCP, m, &ignored) != QREF_OK)
        return qcts_usage(cmd, "mode '%s' is not available for %s (%s)",
                          qref_mode_name(m), info->name, why);
    return qcts_usage(cmd, "mode '%s' is not available for %s under convention %s (%s)",
                      qref_mode_name(m), info->name, qref_conv_name(c), why);
}
