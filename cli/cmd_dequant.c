/* qcts dequant: a serialized quantized tensor in, the exact weights rounded
 * once to float32, f16 or bf16 out. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/batch.h"
#include "cli/cmds.h"
#include "cli/io.h"
#include "cli/scheme_opts.h"
#include "qref/scheme.h"

static const char CMD[] = "dequant";

const char qcts_help_dequant[] =
    "usage: qcts dequant --scheme S --in Q.bin --rows R --cols C --out W.f32\n"
    "                    [--out-dtype f32|f16|bf16]\n"
    "\n"
    "Dequantizes a tensor written by 'qcts quant' (the same --scheme, --rows and\n"
    "--cols). Every weight's exact value is rounded once, to nearest even, to\n"
    "the output type.\n"
    "\n"
    "options:\n"
    "  --scheme S       the scheme preset of the tensor (see 'qcts list schemes')\n"
    "  --in FILE        the quantized tensor: exactly the size the scheme gives\n"
    "                   an R x C matrix\n"
    "  --rows R         rows (output channels)\n"
    "  --cols C         columns (reduction length)\n"
    "  --out FILE       R x C weights, row-major, raw little-endian: float32 (4\n"
    "                   bytes) or f16/bf16 codes (2 bytes); written to a temporary\n"
    "                   file and renamed at the end: a failed run writes nothing\n"
    "  --out-dtype T    f32 (default), f16 or bf16\n"
    "\n"
    "Invalid data (a NaN E8M0 block scale, a non-finite tensor scale, ...) is an\n"
    "error naming the row and block; a file of the wrong size is an error naming\n"
    "the sizes.\n"
    "\n"
    "exit status: 0 success; 1 the input could not be read or is invalid, the\n"
    "scheme is not implemented in this build, or the output could not be\n"
    "written; 2 usage error (including a shape the scheme cannot hold).\n"
    "\n"
    "example:\n"
    "  qcts dequant --scheme fp4_g32_f16 --in w.q --rows 64 --cols 256 --out w2.f32\n";

enum { OPT_SCHEME, OPT_IN, OPT_ROWS, OPT_COLS, OPT_OUT, OPT_DTYPE, OPT_N };
static const qcts_opt opts[OPT_N] = {
    [OPT_SCHEME] = { "scheme", 0, 1 },
    [OPT_IN] = { "in", 0, 1 },
    [OPT_ROWS] = { "rows", 0, 1 },
    [OPT_COLS] = { "cols", 0, 1 },
    [OPT_OUT] = { "out", 0, 1 },
    [OPT_DTYPE] = { "out-dtype", 0, 1 },
};

static int parse_dtype(const char *name, qref_fmt *out)
{
    if (!name || strcmp(name, "f32") == 0)
        *out = QREF_FMT_F32;
    else if (strcmp(name, "f16") == 0)
        *out = QREF_FMT_F16;
    else if (strcmp(name, "bf16") == 0)
        *out = QREF_FMT_BF16;
    else
        return qcts_usage(CMD, "--out-dtype must be f32, f16 or bf16, got '%s'", name);
    return 0;
}

int qcts_cmd_dequant(int argc, char **argv)
{
    qcts_args a;
    int rc = qcts_args_parse(CMD, opts, OPT_N, argc, argv, &a);
    if (rc)
        return rc;
    if (a.help)
        return QCTS_EXIT_HELP;
    if (a.npos > 0)
        return qcts_usage(CMD, "unexpected argument '%s'", a.pos[0]);
    const qref_scheme *s;
    int64_t rows, cols;
    qref_fmt dtype = QREF_FMT_F32;
    const char *in = a.value[OPT_IN], *out = a.value[OPT_OUT];
    if ((rc = qcts_lookup_scheme(CMD, a.value[OPT_SCHEME], &s)) || (rc = qcts_parse_dim(CMD, "rows", a.value[OPT_ROWS], &rows))
        || (rc = qcts_parse_dim(CMD, "cols", a.value[OPT_COLS], &cols)) || (rc = parse_dtype(a.value[OPT_DTYPE], &dtype)))
        return rc;
    if (!in)
        return qcts_usage(CMD, "--in FILE is required");
    if (!out)
        return qcts_usage(CMD, "--out FILE is required");
    qref_qsizes z;
    if ((rc = qcts_check_shape(CMD, s, rows, cols, &z)))
        return rc;

    unsigned char *data;
    size_t size;
    if (qcts_read_file(in, &data, &size) != 0)
        return qcts_fail(CMD, "cannot read %s: %s", in, strerror(errno));
    unsigned char *bytes;
    size_t nbytes;
    rc = qcts_batch_dequant(s, rows, cols, &z, dtype, in, data, size, &bytes, &nbytes);
    free(data);
    if (rc != QCTS_EXIT_OK)
        return rc;
    if (qcts_write_file_atomic(out, bytes, nbytes) != 0)
        rc = qcts_fail(CMD, "cannot write %s: %s", out, strerror(errno));
    free(bytes);
    return rc;
}
