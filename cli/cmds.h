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
int qcts_cmd_vectors(int argc, char **argv);
int qcts_cmd_case(int argc, char **argv);
int qcts_cmd_check(int argc, char **argv);
int qcts_cmd_db(int argc, char **argv);
int qcts_cmd_bench(int argc, char **argv);
int qcts_cmd_compare(int argc, char **argv);
int qcts_cmd_report(int argc, char **argv);
/* qcts case extract FILE CASE_ID OUT (cli/cmd_check.c; cmd_case.c dispatches). */
int qcts_cmd_case_extract(int npos, char **pos);

extern const char qcts_help_list[];
extern const char qcts_help_format[];
extern const char qcts_help_convert[];
extern const char qcts_help_quant[];
extern const char qcts_help_dequant[];
extern const char qcts_help_quality[];
extern const char qcts_help_vectors[];
extern const char qcts_help_case[];
extern const char qcts_help_check[];
extern const char qcts_help_db[];
extern const char qcts_help_bench[];
extern const char qcts_help_compare[];
extern const char qcts_help_report[];

/* qcts db merge|export|tag (cli/cmd_db_more.c; cmd_db.c dispatches). */
int qcts_db_more_is(const char *sub);
int qcts_cmd_db_push(int argc, char **argv);   /* cli/cmd_db_push.c: db push */
int qcts_cmd_db_more(int argc, char **argv);
#define QCTS_HELP_DB_MORE \
    "merge  imports the runs of other databases (by run uuid: never twice;\n" \
    "       hosts matched by fingerprint); merging again adds nothing\n" \
    "export writes every result and measurement as JSON (one object with both\n" \
    "       tables; stdout, or --out FILE), or as CSV, one table per file:\n" \
    "       --table results|measurements (stdout or --out FILE), or --out DIR\n" \
    "       for DIR/results.csv and DIR/measurements.csv\n" \
    "tag    names a run (uuid, uuid prefix, tag, latest, latest~N) for\n" \
    "       qcts compare --baseline NAME; an existing tag moves. latest and\n" \
    "       latest~N count bench runs, as compare does (--kind check: check\n" \
    "       runs)\n"

/* The 'suites' topic of qcts list (cmd_vectors.c). */
void qcts_list_suites(void);

#endif
