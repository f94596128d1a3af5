/* qcts quant: a raw float32 weight matrix in, a quantized tensor
 * (qref_qtensor_save's serialized form) out. */
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

static const char CMD[] = "quant";

const char qcts_help_quant[] =
    "usage: qcts quant --scheme S --in W.f32 --rows R --cols C --out Q.bin\n"
    "\n"
    "Quantizes a weight matrix with the reference quantizer of scheme S.\n"
    "\n"
    "W.f32 holds R x C raw little-endian float32 weights, row-major (R output\n"
    "channels, C reduction elements per row), no header: exactly 4*R*C bytes.\n"
    "Q.bin gets the serialized quantized tensor: the sections codes, scales,\n"
    "zeros, meta and tensor scale, in that order, each little-endian, with sizes\n"
    "fixed by the scheme and the shape (ref/include/qref/scheme.h). Read it back\n"
    "with 'qcts dequant' and the same --scheme, --rows and --cols.\n"
    "\n"
    "options:\n"
    "  --scheme S   a scheme preset (see 'qcts list schemes')\n"
    "  --in FILE    the float32 weights\n"
    "  --rows R     rows (output channels)\n"
    "  --cols C     columns (reduction length); must fit the scheme's group\n"
    "  --out FILE   the quantized tensor, written to a temporary file and\n"
    "               renamed at the end: a failed run writes nothing\n"
    "\n"
    "A NaN or infinite weight is an error naming its row and block; a file of\n"
    "the wrong size is an error naming the sizes.\n"
    "\n"
    "exit status: 0 success; 1 the input could not be read or is invalid, the\n"
    "scheme is not implemented in this build, or the output could not be\n"
    "written; 2 usage error (including a shape the scheme cannot hold).\n"
    "\n"
    "example:\n"
    "  qcts quant --scheme fp4_g32_f16 --in w.f32 --rows 64 --cols 256 --out w.q\n";

enum { OPT_SCHEME, OPT_IN, OPT_ROWS, OPT_COLS, OPT_OUT, OPT_N };
static const qcts_opt opts[OPT_N] = {
    [OPT_SCHEME] = { "scheme", 0, 1 },
    [OPT_IN] = { "in", 0, 1 },
    [OPT_ROWS] = { "rows", 0, 1 },
    [OPT_COLS] = { "cols", 0, 1 },
    [OPT_OUT] = { "out", 0, 1 },
};

int qcts_cmd_quant(int argc, char **argv)
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
    const char *in = a.value[OPT_IN], *out = a.value[OPT_OUT];
    if ((rc = qcts_lookup_scheme(CMD, a.value[OPT_SCHEME], &s)) || (rc = qcts_parse_dim(CMD, "rows", a.value[OPT_ROWS], &rows))
        || (rc = qcts_parse_dim(CMD, "cols", a.value[OPT_COLS], &cols)))
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
    unsigned char *buf;
    size_t total;
    rc = qcts_batch_quant(s, rows, cols, in, data, size, &buf, &total);
    free(data);
    if (rc != QCTS_EXIT_OK)
        return rc;
    rc = QCTS_EXIT_OK;
    if (qcts_write_file_atomic(out, buf, total) != 0)
        rc = qcts_fail(CMD, "cannot write %s: %s", out, strerror(errno));
    free(buf);
    return rc;
}
