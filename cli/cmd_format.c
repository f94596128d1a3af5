/* qcts format NAME: the full code table of an element format. */
#include <stdio.h>

#include "cli/args.h"
#include "cli/cmds.h"
#include "cli/lookup.h"
#include "cli/text.h"
#include "qref/fmt.h"

static const char CMD[] = "format";

const char qcts_help_format[] =
    "usage: qcts format NAME [--convention C]\n"
    "\n"
    "Prints every code of the element format NAME (see 'qcts list formats')\n"
    "with its value, one code per line:\n"
    "\n"
    "  CODE  BITS  VALUE  HEX-FLOAT\n"
    "\n"
    "CODE is hex with as many digits as the width needs, BITS the code as a\n"
    "binary string of the format's width, VALUE the decoded float32 as %.9g\n"
    "(nan, -nan, inf, -inf, -0 for the special values), HEX-FLOAT the same\n"
    "value as %a. The first two lines, starting with '#', describe the table.\n"
    "f32 has 2^32 codes and is refused: decode single codes with\n"
    "'qcts convert --decode --from f32 CODE...'.\n"
    "\n"
    "options:\n"
    "  --convention C   decode as convention C does (default ocp; see\n"
    "                   'qcts list conventions'); e.g. ggml decodes e8m0 0xff\n"
    "                   to inf instead of nan\n"
    "\n"
    "examples:\n"
    "  qcts format e2m1\n"
    "  qcts format e8m0 --convention ggml\n";

enum { OPT_CONV };
static const qcts_opt opts[] = {
    [OPT_CONV] = { "convention", 0, 1 },
};

int qcts_cmd_format(int argc, char **argv)
{
    qcts_args a;
    int rc = qcts_args_parse(CMD, opts, (int)(sizeof opts / sizeof opts[0]), argc, argv, &a);
    if (rc)
        return rc;
    if (a.help)
        return QCTS_EXIT_HELP;
    if (a.npos == 0)
        return qcts_usage(CMD, "no format NAME given");
    if (a.npos > 1)
        return qcts_usage(CMD, "one format at a time, got '%s' and '%s'", a.pos[0], a.pos[1]);
    qref_fmt f;
    qref_conv c;
    if ((rc = qcts_lookup_fmt(CMD, "NAME", a.pos[0], &f)) || (rc = qcts_lookup_conv(CMD, a.value[OPT_CONV], &c)))
        return rc;
    const qref_fmt_info *info = qref_fmt_get(f);
    uint32_t count = qref_fmt_code_count(info);
    if (count == 0)
        return qcts_usage(CMD, "%s has 2^%u codes, too many to list; decode single codes with "
                          "'qcts convert --decode --from %s CODE...'", info->name, info->bits, info->name);

    printf("# %s: %s, %u bits, %lu codes, convention %s\n", info->name, info->description,
           info->bits, (unsigned long)count, qref_conv_name(c));
    printf("# code  bits  value  hex-float\n");
    for (uint32_t code = 0; code < count; code++) {
        char hex[QCTS_TEXT_MAX], bits[QCTS_TEXT_MAX], val[QCTS_TEXT_MAX], hf[QCTS_TEXT_MAX];
        float v;
        qref_status st = qref_decode(f, c, code, &v);
        if (st != QREF_OK)
            return qcts_fail(CMD, "decoding code %lu of %s: %s", (unsigned long)code, info->name,
                             qref_status_message(st));
        qcts_text_code(hex, sizeof hex, code, info->bits);
        qcts_text_bits(bits, sizeof bits, code, info->bits);
        qcts_text_value(val, sizeof val, v);
        qcts_text_hexfloat(hf, sizeof hf, v);
        printf("%s  %s  %-15s  %s\n", hex, bits, val, hf);
    }
    return QCTS_EXIT_OK;
}
