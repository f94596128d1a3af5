/* qcts: the command-line program. Finds the subcommand and hands it the
 * rest of the arguments; the work is done in the modules (ref/, ...). */
#include <stdio.h>
#include <string.h>

#include "cli/args.h"
#include "cli/cmds.h"
#include "cli/paths.h"
#include "cli/version.h"

static int cmd_help(int argc, char **argv);

static const char help_help[] =
    "usage: qcts help [COMMAND]\n"
    "\n"
    "Without COMMAND, lists the commands; with it, shows the command's options.\n"
    "'qcts COMMAND --help' does the same.\n";

/* The commands, in the order 'qcts help' shows them. */
static const struct command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
    const char *help;
} commands[] = {
    { "list", "list what qcts knows: formats, conventions, schemes", qcts_cmd_list, qcts_help_list },
    { "format", "print every code of an element format with its value", qcts_cmd_format, qcts_help_format },
    { "convert", "encode float32 values to codes, or decode codes (arguments or files)", qcts_cmd_convert, qcts_help_convert },
    { "quant", "quantize a float32 weight file with a scheme preset", qcts_cmd_quant, qcts_help_quant },
    { "dequant", "dequantize a quantized tensor file to f32, f16 or bf16", qcts_cmd_dequant, qcts_help_dequant },
    { "quality", "quantization error (MSE, NMSE, SNR, cosine, KL) of schemes on reference weights", qcts_cmd_quality, qcts_help_quality },
    { "vectors", "generate the golden vectors, or verify them against MANIFEST.json", qcts_cmd_vectors, qcts_help_vectors },
    { "case", "run one case file through a backend (the program side of exec:COMMAND)", qcts_cmd_case, qcts_help_case },
    { "check", "run backends against the golden vectors: verdicts, metrics, reports", qcts_cmd_check, qcts_help_check },
    { "db", "the results database: runs recorded, integrity check, merge, export, tags", qcts_cmd_db, qcts_help_db },
    { "bench", "time kernels on model layer shapes against the host roofline", qcts_cmd_bench, qcts_help_bench },
    { "compare", "regressions between two bench runs (Mann-Whitney U and a threshold)", qcts_cmd_compare, qcts_help_compare },
    { "report", "write STATUS.md and status.html from the database", qcts_cmd_report, qcts_help_report },
    { "help", "show the help of a command", cmd_help, help_help },
};
enum { NCOMMANDS = sizeof commands / sizeof commands[0] };

static const struct command *find(const char *name)
{
    for (int i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static void general_help(FILE *f)
{
    fprintf(f, "usage: qcts <command> [options]\n"
               "       qcts --data-dir DIR <command> [options]\n"
               "       qcts help [command]\n"
               "       qcts --version\n"
               "\n"
               "qcts checks quantized LLM kernels against a bit-exact reference.\n"
               "\n"
               "commands:\n");
    for (int i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-8s  %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n"
               "'qcts help <command>' or 'qcts <command> --help' shows a command's options.\n"
               "exit status: 0 success, 1 failure, 2 usage error.\n"
               "\n"
               "files: golden vectors in --data-dir DIR, $QCTS_DATA_DIR, or (installed)\n"
               "PREFIX/share/qcts, else vectors/ in the working directory: DIR/golden and\n"
               "DIR/suites. The database: --db FILE, $QCTS_DB, or (installed)\n"
               "$XDG_DATA_HOME/qcts/qcts.db (~/.local/share/qcts/qcts.db), else db/qcts.db.\n");
}

static int cmd_help(int argc, char **argv)
{
    qcts_args a;
    int rc = qcts_args_parse("help", NULL, 0, argc, argv, &a);
    if (rc)
        return rc;
    if (a.help)
        return QCTS_EXIT_HELP;
    if (a.npos == 0) {
        general_help(stdout);
        return QCTS_EXIT_OK;
    }
    if (a.npos > 1)
        return qcts_usage("help", "one command at a time, got '%s' and '%s'", a.pos[0], a.pos[1]);
    const struct command *c = find(a.pos[0]);
    if (!c)
        return qcts_usage("help", "unknown command '%s'", a.pos[0]);
    fputs(c->help, stdout);
    return QCTS_EXIT_OK;
}

int main(int argc, char **argv)
{
    int rc;
    qcts_paths_init(argv[0]);
    /* qcts --data-dir DIR COMMAND ...: the data folder (cli/paths.h). */
    if (argc >= 2 && strncmp(argv[1], "--data-dir", 10) == 0 && (argv[1][10] == '=' || argv[1][10] == '\0')) {
        const char *d = argv[1][10] == '=' ? argv[1] + 11 : argc >= 3 ? argv[2] : NULL;
        if (!d || !*d)
            return qcts_usage(NULL, "--data-dir needs a folder (holding golden/ and suites/)");
        qcts_paths_set_data_dir(d);
        int used = argv[1][10] == '=' ? 1 : 2;
        argv[used] = argv[0];
        argv += used;
        argc -= used;
    }
    if (argc < 2) {
        rc = qcts_usage(NULL, "no command given");
    } else if (strcmp(argv[1], "--version") == 0) {
        printf("qcts %s (vectors format_version %d)\n", QCTS_VERSION, QCTS_VECTORS_FORMAT_VERSION);
        rc = QCTS_EXIT_OK;
    } else if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        general_help(stdout);
        rc = QCTS_EXIT_OK;
    } else if (argv[1][0] == '-') {
        rc = qcts_usage(NULL, "unknown option '%s'", argv[1]);
    } else {
        const struct command *c = find(argv[1]);
        if (!c) {
            rc = qcts_usage(NULL, "unknown command '%s'", argv[1]);
        } else {
            rc = c->run(argc - 2, argv + 2);
            if (rc == QCTS_EXIT_HELP) {
                fputs(c->help, stdout);
                rc = QCTS_EXIT_OK;
            }
        }
    }
    /* Output that could not be written (a full disk) is a failure. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "qcts: error writing to standard output\n");
        rc = QCTS_EXIT_FAIL;
    }
    return rc;
}
