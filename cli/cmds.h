/* cmds.h — the subcommands main.c dispatches to.
 *
 * A handler gets the arguments after its name (argv[0] is the first of
 * them) and returns an exit status from cli/args.h, or QCTS_EXIT_HELP when
 * it was asked for --help. Its long help text sits next to it, with its
 * options.
 */
#ifndef QCTS_CLI_CMDS_H
#define QCTS_CLI_CMDS_H

int qcts_cmd_list(int argc, char **argv);
int qcts_cmd_format(int argc, char **argv);
int qcts_cmd_convert(int argc, char **argv);
int qcts_cmd_quant(int argc, char **argv);
int qcts_cmd_dequant(int argc, char **argv);
int qcts_cmd_quality(int argc, char **argv);

extern const char qcts_help_list[];
extern const char qcts_help_format[];
extern const char qcts_help_convert[];
extern const char qcts_help_quant[];
extern const char qcts_help_dequant[];
extern const char qcts_help_quality[];

#endif
