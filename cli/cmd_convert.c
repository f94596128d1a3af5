/* qcts convert: encode float32 values into codes of an element format, or
 * decode codes, from the command line or between raw files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/batch.h"
#include "cli/cmds.h"
#include "cli/io.h"
#include "cli/lookup.h"
#include "cli/text.h"
#include "qref/fmt.h"

static const char CMD[] = "convert";

const char qcts_help_convert[] =
    "usage: qcts convert --to FMT [--convention C] [--mode M] [-v] VALUE...\n"
    "       qcts convert --decode --from FMT [--convention C] [-v] CODE...\n"
    "       qcts convert --to FMT [--convention C] [--mode M] --in FILE --out FILE\n"
    "       qcts convert --decode --from FMT [--convention C] --in FILE --out FILE\n"
    "\n"
    "Encodes float32 values into codes of an element format, or decodes codes.\n"
    "\n"
    "Encoding prints one line per VALUE: its code in hex, with as many digits as\n"
    "the format's width needs (e2m1 0x7, e4m3 0x7e, f16 0x7e00, f32 0x7f800000).\n"
    "A VALUE is decimal (448, -0.1), scientific (1e-3), hex-float (0x1p-9), inf,\n"
    "-inf, nan or -nan (a NaN with the sign bit set); it is first rounded to\n"
    "float32 (round to nearest even), then encoded. A NaN that the format or\n"
    "convention cannot represent (e2m1, int4, nf4, ... under ocp) prints the\n"
    "convention's fallback code, warns on stderr, and makes the exit status 1.\n"
    "\n"
    "Decoding prints the float32 value of each CODE (0x.. hex or decimal) as\n"
    "%.9g, or nan, -nan, inf, -inf, -0. A code wider than the format is a usage\n"
    "error. Values and codes are all checked before anything is printed.\n"
    "\n"
    "options:\n"
    "  --to FMT          encode into FMT (see 'qcts list formats')\n"
    "  --decode          decode codes instead of encoding values\n"
    "  --from FMT        with --decode: the format of the codes\n"
    "  --convention C    follow convention C (default ocp; see 'qcts list conventions')\n"
    "  --mode M          encoding only: default, sat (finite overflow -> +-max) or\n"
    "                    nosat (overflow -> Inf or NaN); most formats and\n"
    "                    conventions fix one of them and refuse the other\n"
    "  -v, --verbose     encode: 'VALUE -> CODE (decoded value)';\n"
    "                    decode: 'CODE [BITS] -> VALUE (hex-float, f32 0xBITS)'\n"
    "  --in FILE         batch: read the input from FILE instead of arguments\n"
    "  --out FILE        batch: write the output to FILE\n"
    "\n"
    "Batch files are raw little-endian arrays with no header. Floats are float32\n"
    "(4 bytes). Codes take 1 byte for formats of 8 bits or fewer (one code per\n"
    "byte, not packed), 2 bytes for f16/bf16, 4 for f32. Encoding reads floats\n"
    "and writes codes; decoding reads codes and writes floats. The output is\n"
    "written to a temporary file and renamed over FILE at the end, so a failed\n"
    "run leaves no output file (or the old one untouched). In batch mode an\n"
    "input size that is not a multiple of the element size, a NaN with no\n"
    "encoding, or a code too wide for the format is an error (the last two name\n"
    "the element's index) and nothing is written.\n"
    "\n"
    "exit status: 0 success; 1 a NaN had no encoding, a file could not be read or\n"
    "written, or batch input was invalid; 2 usage error.\n"
    "\n"
    "examples:\n"
    "  qcts convert --to e4m3 448 464 465        prints 0x7e 0x7e 0x7e\n"
    "  qcts convert --to e4m3 --mode nosat 465   prints 0x7f (NaN)\n"
    "  qcts convert --to e2m1 -v 2.5             prints 2.5 -> 0x4 (2)\n"
    "  qcts convert --decode --from bf16 0x3f80  prints 1\n"
    "  qcts convert --to e4m3 --in x.f32 --out x.e4m3\n";

enum { OPT_TO, OPT_FROM, OPT_DECODE, OPT_CONV, OPT_MODE, OPT_VERBOSE, OPT_IN, OPT_OUT, OPT_N };
static const qcts_opt opts[OPT_N] = {
    [OPT_TO] = { "to", 0, 1 },
    [OPT_FROM] = { "from", 0, 1 },
    [OPT_DECODE] = { "decode", 0, 0 },
    [OPT_CONV] = { "convention", 0, 1 },
    [OPT_MODE] = { "mode", 0, 1 },
    [OPT_VERBOSE] = { "verbose", 'v', 0 },
    [OPT_IN] = { "in", 0, 1 },
    [OPT_OUT] = { "out", 0, 1 },
};

typedef qcts_convert_job job;

/* ---- values and codes on the command line ------------------------------- */

static int encode_args(const job *j, int n, char **vals)
{
    float x;
    for (int i = 0; i < n; i++)   /* all or nothing: check every VALUE first */
        if (qcts_parse_f32(vals[i], &x) != 0)
            return qcts_usage(CMD, "'%s' is not a number", vals[i]);
    int rc = QCTS_EXIT_OK;
    for (int i = 0; i < n; i++) {
        uint32_t code = 0;
        qcts_parse_f32(vals[i], &x);
        qref_status st = qref_encode(j->fmt, j->conv, j->mode, x, &code);
        if (st != QREF_OK && st != QREF_ERR_NAN)
            return qcts_fail(CMD, "encoding %s into %s: %s", vals[i], j->info->name, qref_status_message(st));
        char hex[QCTS_TEXT_MAX];
        qcts_text_code(hex, sizeof hex, code, j->info->bits);
        if (j->verbose) {
            char val[QCTS_TEXT_MAX];
            float back;
            if (qref_decode(j->fmt, j->conv, code, &back) != QREF_OK)
                return qcts_fail(CMD, "cannot decode %s code %s", j->info->name, hex);
            qcts_text_value(val, sizeof val, back);
            printf("%s -> %s (%s)\n", vals[i], hex, val);
        } else {
            printf("%s\n", hex);
        }
        if (st == QREF_ERR_NAN) {
            fflush(stdout);   /* keep the warning next to its line on a terminal */
            qcts_warn(CMD, "%s: NaN has no encoding in %s under convention %s; printed the fallback code %s",
                      vals[i], j->info->name, qref_conv_name(j->conv), hex);
            rc = QCTS_EXIT_FAIL;
        }
    }
    return rc;
}

static int decode_args(const job *j, int n, char **codes)
{
    const qref_fmt_info *info = j->info;
    uint32_t code;
    for (int i = 0; i < n; i++) {
        if (qcts_parse_u32(codes[i], &code) != 0)
            return qcts_usage(CMD, "'%s' is not a code (0x.. hex or decimal)", codes[i]);
        if (info->bits < 32 && code >> info->bits) {
            char lo[QCTS_TEXT_MAX], hi[QCTS_TEXT_MAX];
            qcts_text_code(lo, sizeof lo, 0, info->bits);
            qcts_text_code(hi, sizeof hi, qref_fmt_code_count(info) - 1, info->bits);
            return qcts_usage(CMD, "code %s does not fit %s (%u bits: %s to %s)",
                              codes[i], info->name, info->bits, lo, hi);
        }
    }
    for (int i = 0; i < n; i++) {
        float v;
        char val[QCTS_TEXT_MAX];
        qcts_parse_u32(codes[i], &code);
        qref_status st = qref_decode(j->fmt, j->conv, code, &v);
        if (st != QREF_OK)
            return qcts_fail(CMD, "decoding %s as %s: %s", codes[i], info->name, qref_status_message(st));
        qcts_text_value(val, sizeof val, v);
        if (j->verbose) {
            char hex[QCTS_TEXT_MAX], bits[QCTS_TEXT_MAX], hf[QCTS_TEXT_MAX];
            qcts_text_code(hex, sizeof hex, code, info->bits);
            qcts_text_bits(bits, sizeof bits, code, info->bits);
            qcts_text_hexfloat(hf, sizeof hf, v);
            printf("%s [%s] -> %s (%s, f32 0x%08lx)\n", hex, bits, val, hf,
                   (unsigned long)qcts_f32_bits(v));
        } else {
            printf("%s\n", val);
        }
    }
    return QCTS_EXIT_OK;
}

/* ---- batch: raw files (the conversion itself is in cli/batch.c) ---------- */

static int batch(const job *j, int decode, const char *in_path, const char *out_path)
{
    unsigned char *in = NULL, *out = NULL;
    size_t n = 0, out_n = 0;
    if (qcts_read_file(in_path, &in, &n) != 0)
        return qcts_fail(CMD, "cannot read %s: %s", in_path, strerror(errno));
    int rc = decode ? qcts_batch_decode(j, in_path, in, n, &out, &out_n)
                    : qcts_batch_encode(j, in_path, in, n, &out, &out_n);
    free(in);
    if (rc != QCTS_EXIT_OK)
        return rc;
    if (qcts_write_file_atomic(out_path, out, out_n) != 0)
        rc = qcts_fail(CMD, "cannot write %s: %s", out_path, strerror(errno));
    free(out);
    return rc;
}

/* ---- the command ---------------------------------------------------------- */

int qcts_cmd_convert(int argc, char **argv)
{
    qcts_args a;
    int rc = qcts_args_parse(CMD, opts, OPT_N, argc, argv, &a);
    if (rc)
        return rc;
    if (a.help)
        return QCTS_EXIT_HELP;
    const char *const *v = a.value;
    int decode = v[OPT_DECODE] != NULL;
    job j = { .verbose = v[OPT_VERBOSE] != NULL };

    if (decode) {
        if (v[OPT_TO])
            return qcts_usage(CMD, "--to is for encoding; with --decode name the codes' format with --from");
        if (v[OPT_MODE])
            return qcts_usage(CMD, "--mode applies to encoding only, not to --decode");
        if (!v[OPT_FROM])
            return qcts_usage(CMD, "--decode needs --from FMT, the format of the codes");
        rc = qcts_lookup_fmt(CMD, "--from", v[OPT_FROM], &j.fmt);
    } else {
        if (v[OPT_FROM])
            return qcts_usage(CMD, "--from is for decoding (with --decode); to encode, use --to");
        rc = qcts_lookup_fmt(CMD, "--to", v[OPT_TO], &j.fmt);
    }
    if (rc || (rc = qcts_lookup_conv(CMD, v[OPT_CONV], &j.conv)) || (rc = qcts_lookup_mode(CMD, v[OPT_MODE], &j.mode)))
        return rc;
    j.info = qref_fmt_get(j.fmt);
    qref_mode eff;
    if (!decode && qref_mode_resolve(j.fmt, j.conv, j.mode, &eff) == QREF_ERR_MODE)
        return qcts_mode_error(CMD, j.fmt, j.conv, j.mode);

    const char *what = decode ? "CODE" : "VALUE";
    if (v[OPT_IN] || v[OPT_OUT]) {
        if (!v[OPT_IN])
            return qcts_usage(CMD, "--out needs --in FILE");
        if (!v[OPT_OUT])
            return qcts_usage(CMD, "--in needs --out FILE");
        if (a.npos > 0)
            return qcts_usage(CMD, "give either %s arguments or --in, not both (got '%s')", what, a.pos[0]);
        if (j.verbose)
            return qcts_usage(CMD, "-v applies to %s arguments, not to --in/--out", what);
        return batch(&j, decode, v[OPT_IN], v[OPT_OUT]);
    }
    if (a.npos == 0)
        return qcts_usage(CMD, "no %s given", what);
    return decode ? decode_args(&j, a.npos, a.pos) : encode_args(&j, a.npos, a.pos);
}
