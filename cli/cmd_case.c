/* qcts case run: one case file through one backend — the implementation
 * side of the exec protocol (qcts/backends.h), so `exec:qcts case run
 * --backend ref` is a complete exec backend. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/cmds.h"
#include "qcts/backends.h"
#include "qcts/case_call.h"

static const char CMD[] = "case";

/* `qcts case run` exit status for "this backend does not do that". */
enum { EXIT_UNSUPPORTED = 3 };

const char qcts_help_case[] =
    "usage: qcts case run --backend B [OP] IN.safetensors OUT.safetensors\n"
    "       qcts case extract FILE CASE_ID OUT.safetensors\n"
    "\n"
    "extract copies case CASE_ID (e.g. c007) of a golden file into a file of its\n"
    "own (inputs, expected outputs, bound; the metadata reduced to that case), to\n"
    "reproduce one failure: 'qcts check --vectors OUT' checks just that case,\n"
    "'qcts case run' below runs it.\n"
    "\n"
    "run runs the single case of IN (a case file as vectors/CASES.md describes;\n"
    "only its in.* tensors are read) with backend B through the backend ABI\n"
    "(prepare, run, sync, fetch, release) and writes the outputs as out.*\n"
    "tensors to OUT, atomically (a failed run leaves OUT as it was). This is\n"
    "the program side of the exec protocol: the harness's exec:COMMAND backend\n"
    "runs 'COMMAND OP IN OUT', so\n"
    "    qcts check --backend 'exec:qcts case run --backend ref' ...\n"
    "runs every case through a separate qcts process.\n"
    "\n"
    "options:\n"
    "  --backend B      ref, plugin:PATH.so, exec:COMMAND, ... (qcts list backends)\n"
    "  OP               convert, quantize, dequant, gemm or an op after gemm\n"
    "                   (attention, rope, norm, ...); when given it must be\n"
    "                   the op of IN\n"
    "\n"
    "exit status: 0 OUT written; 1 error (unreadable or invalid IN, the backend\n"
    "failed, OUT not written); 2 usage error; 3 the backend does not support\n"
    "this case or cannot run here (the reason is printed on stderr).\n"
    "\n"
    "example:\n"
    "  qcts case run --backend ref dequant in.safetensors out.safetensors\n";

enum { OPT_BACKEND, OPT_N };
static const qcts_opt opts[OPT_N] = {
    [OPT_BACKEND] = { "backend", 0, 1 },
};

static int case_run(const char *spec, const char *opname, const char *in, const char *out)
{
    char err[QCTS_CASE_ERRLEN + 2600];
    qcts_op want = QCTS_OP_COUNT;
    if (opname && qcts_op_from_name(opname, &want) != 0)
        return qcts_usage(CMD, "unknown op '%s' (convert, quantize, dequant, gemm, attention, rope, norm, softmax, hadamard, moe_route, moe_dispatch, moe_experts, sampling)", opname);

    qcts_case_file *f = NULL;
    if (qcts_case_file_load(in, QCTS_CASE_INPUTS_ONLY, &f, err, sizeof err) != QCTS_OK)
        return qcts_fail(CMD, "%s", err);
    int rc = QCTS_EXIT_FAIL;
    qcts_backend_handle *h = NULL;
    void *outs[QCTS_MAX_OUTPUTS] = { NULL };
    if (f->n_cases != 1) {
        qcts_fail(CMD, "%s: holds %zu cases; case run takes a file with exactly one", in, f->n_cases);
        goto done;
    }
    if (opname && want != f->op) {
        qcts_fail(CMD, "%s: is a %s case, but the op given is %s", in, qcts_op_name(f->op), opname);
        goto done;
    }
    const qcts_case *c = &f->cases[0];
    qcts_status st = qcts_backend_open(spec, &h, err, sizeof err);
    if (st == QCTS_UNAVAILABLE) {
        fprintf(stderr, "qcts %s: unavailable: %s\n", CMD, err);
        rc = EXIT_UNSUPPORTED;
        goto done;
    }
    if (st != QCTS_OK) {
        qcts_fail(CMD, "%s", err);
        goto done;
    }
    const qcts_backend *be = qcts_backend_get(h);
    if (be->available && !be->available(err, sizeof err)) {
        fprintf(stderr, "qcts %s: unavailable: backend %s cannot run here: %s\n", CMD, be->name, err);
        rc = EXIT_UNSUPPORTED;
        goto done;
    }
    qcts_buffers b = c->buf;
    for (int i = 0; i < c->io.n_out; i++) {
        if (!c->io.out[i].used)
            continue;
        outs[i] = calloc(1, c->io.out[i].nbytes ? c->io.out[i].nbytes : 1);
        if (!outs[i]) {
            qcts_fail(CMD, "out of memory");
            goto done;
        }
        b.out[i] = outs[i];
        b.out_bytes[i] = c->io.out[i].nbytes;
    }
    st = qcts_backend_call(be, f->op, &c->desc, &b, err, sizeof err);
    if (st == QCTS_UNSUPPORTED || st == QCTS_UNAVAILABLE) {
        fprintf(stderr, "qcts %s: %s: %s\n", CMD, qcts_status_name(st), err);
        rc = EXIT_UNSUPPORTED;
        goto done;
    }
    if (st != QCTS_OK) {
        qcts_fail(CMD, "case %s with backend %s: %s", c->id, be->name, err);
        goto done;
    }
    if (qcts_case_write(out, f->op, &c->desc, &b, c->json, QCTS_CASE_WRITE_OUTPUTS, err, sizeof err) != QCTS_OK) {
        qcts_fail(CMD, "%s", err);
        goto done;
    }
    rc = QCTS_EXIT_OK;
done:
    for (int i = 0; i < QCTS_MAX_OUTPUTS; i++)
        free(outs[i]);
    qcts_backend_close(h);
    qcts_case_file_free(f);
    return rc;
}

int qcts_cmd_case(int argc, char **argv)
{
    qcts_args a;
    int rc = qcts_args_parse(CMD, opts, OPT_N, argc, argv, &a);
    if (rc)
        return rc;
    if (a.help)
        return QCTS_EXIT_HELP;
    if (a.npos == 0)
        return qcts_usage(CMD, "no subcommand given (run, extract)");
    if (strcmp(a.pos[0], "extract") == 0)      /* cli/cmd_check.c */
        return a.value[OPT_BACKEND] ? qcts_usage(CMD, "extract takes no --backend")
                                    : qcts_cmd_case_extract(a.npos - 1, a.pos + 1);
    if (strcmp(a.pos[0], "run") != 0)
        return qcts_usage(CMD, "unknown subcommand '%s' (run, extract)", a.pos[0]);
    if (!a.value[OPT_BACKEND])
        return qcts_usage(CMD, "run needs --backend");
    if (a.npos != 3 && a.npos != 4)
        return qcts_usage(CMD, "run takes [OP] IN.safetensors OUT.safetensors");
    const char *op = a.npos == 4 ? a.pos[1] : NULL;
    return case_run(a.value[OPT_BACKEND], op, a.pos[a.npos - 2], a.pos[a.npos - 1]);
}
