/* qcts list [TOPIC]: what the program knows about. One table of topics;
 * a new topic (schemes, suites, backends) is one function and one row. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/cmds.h"
#include "cli/text.h"
#include "qcts/backends.h"
#include "qref/fmt.h"
#include "qref/scheme.h"

static const char CMD[] = "list";

const char qcts_help_list[] =
    "usage: qcts list [TOPIC]\n"
    "\n"
    "Lists what qcts knows about. Without TOPIC, prints the topics, one line\n"
    "each. 'formats' is a table of every element format: name, code width,\n"
    "kind, exponent bias, largest finite value, smallest normal and subnormal\n"
    "values, and the codes of Inf and NaN. 'conventions' names the encoder\n"
    "conventions that --convention selects. 'schemes' is a table of every\n"
    "quantization scheme preset: family, element format, group (elements per\n"
    "scale, 'row' or 'tensor'), scale format, zero point, layout, storage bits\n"
    "per weight of a 4096 x 4096 matrix, and description. 'backends' lists the\n"
    "backends --backend accepts, whether each runs here (or why not) and what\n"
    "it is. 'suites' lists the golden-vector suites: name, op, scheme or\n"
    "format, cases and the definition file.\n"
    "\n"
    "examples:\n"
    "  qcts list\n"
    "  qcts list formats\n"
    "  qcts list conventions\n"
    "  qcts list schemes\n"
    "  qcts list suites\n"
    "  qcts list backends\n";

static const char *const kind_names[] = {
    [QREF_KIND_FLOAT] = "float",
    [QREF_KIND_SCALE] = "scale",
    [QREF_KIND_INT] = "int",
    [QREF_KIND_CODEBOOK] = "codebook",
};

static void list_formats(void)
{
    enum { COLS = 9 };
    qcts_cell cells[(QREF_FMT_COUNT + 1) * COLS];
    static const char *const head[COLS] = {
        "name", "bits", "kind", "bias", "max", "min normal", "min subnormal", "Inf", "NaN",
    };
    for (int c = 0; c < COLS; c++)
        snprintf(cells[c], sizeof cells[c], "%s", head[c]);
    for (int f = 0; f < QREF_FMT_COUNT; f++) {
        const qref_fmt_info *i = qref_fmt_get((qref_fmt)f);
        qcts_cell *row = &cells[(f + 1) * COLS];
        int has_bias = i->kind == QREF_KIND_FLOAT || i->kind == QREF_KIND_SCALE;
        snprintf(row[0], sizeof row[0], "%s", i->name);
        snprintf(row[1], sizeof row[1], "%u", i->bits);
        snprintf(row[2], sizeof row[2], "%s", kind_names[i->kind]);
        if (has_bias)
            snprintf(row[3], sizeof row[3], "%d", i->bias);
        else
            snprintf(row[3], sizeof row[3], "-");
        qcts_text_value(row[4], sizeof row[4], i->max);
        if (i->min_normal != 0.0f)
            qcts_text_value(row[5], sizeof row[5], i->min_normal);
        else
            snprintf(row[5], sizeof row[5], "-");
        qcts_text_value(row[6], sizeof row[6], i->min_subnormal);
        snprintf(row[7], sizeof row[7], "%s", i->inf_codes);
        snprintf(row[8], sizeof row[8], "%s", i->nan_codes);
    }
    qcts_table_print(stdout, cells, QREF_FMT_COUNT + 1, COLS);
}

/* One line per convention, in qref_conv order: its name, the upstream
 * releases it models (checked to behave the same), other names it accepts,
 * and what it is. */
static void list_conventions(void)
{
    enum { COLS = 4 };
    qcts_cell cells[(QREF_CONV_COUNT + 1) * COLS];
    static const char *const head[COLS] = { "name", "upstream", "aliases", "description" };
    for (int c = 0; c < COLS; c++)
        snprintf(cells[c], sizeof cells[c], "%s", head[c]);
    for (int c = 0; c < QREF_CONV_COUNT; c++) {
        const qref_conv_info *ci = qref_conv_get((qref_conv)c);
        qcts_cell *row = &cells[(c + 1) * COLS];
        snprintf(row[0], sizeof row[0], "%s", ci->name);
        snprintf(row[1], sizeof row[1], "%s", ci->upstream);
        snprintf(row[2], sizeof row[2], "%s", *ci->aliases ? ci->aliases : "-");
        snprintf(row[3], sizeof row[3], "%s", ci->description);
    }
    qcts_table_print(stdout, cells, QREF_CONV_COUNT + 1, COLS);
}

/* Shape at which 'list schemes' gives bits per weight. */
enum { SCHEME_BPW_DIM = 4096 };

static void list_schemes(void)
{
    enum { COLS = 9 };
    size_t n = qref_scheme_count();
    qcts_cell *cells = calloc((n + 1) * COLS, sizeof *cells);
    if (!cells) {
        fprintf(stderr, "qcts %s: out of memory\n", CMD);
        return;
    }
    static const char *const head[COLS] = {
        "name", "family", "elem", "group", "scale", "zero", "layout", "bits/w", "description",
    };
    for (int c = 0; c < COLS; c++)
        snprintf(cells[c], sizeof cells[c], "%s", head[c]);
    for (size_t i = 0; i < n; i++) {
        const qref_scheme *s = qref_scheme_at(i);
        qcts_cell *row = &cells[(i + 1) * COLS];
        snprintf(row[0], sizeof row[0], "%s", s->name);
        snprintf(row[1], sizeof row[1], "%s", qref_family_name(s->family));
        snprintf(row[2], sizeof row[2], "%s", qref_fmt_get(s->elem)->name);
        if (s->group == QREF_GROUP_ROW)
            snprintf(row[3], sizeof row[3], "row");
        else if (s->group == QREF_GROUP_TENSOR)
            snprintf(row[3], sizeof row[3], "tensor");
        else
            snprintf(row[3], sizeof row[3], "%d", (int)s->group);
        snprintf(row[4], sizeof row[4], "%s%s",
                 s->scale == QREF_SCALE_NONE ? "in-block" : qref_scale_fmt_name(s->scale),
                 s->tensor_scale ? "+f32 tensor" : "");
        snprintf(row[5], sizeof row[5], "%s",
                 s->zero == QREF_ZERO_INT ? "u8" : s->zero == QREF_ZERO_FLOAT ? "f16 min" : "-");
        if (s->sparse_n > 0)
            snprintf(row[6], sizeof row[6], "%s %d:%d", qref_layout_name(s->layout), s->sparse_n, s->sparse_m);
        else
            snprintf(row[6], sizeof row[6], "%s", qref_layout_name(s->layout));
        double bpw = qref_scheme_bits_per_weight(s, SCHEME_BPW_DIM, SCHEME_BPW_DIM);
        if (bpw > 0)
            snprintf(row[7], sizeof row[7], "%.4f", bpw);
        else
            snprintf(row[7], sizeof row[7], "-");
        snprintf(row[8], sizeof row[8], "%s", s->description);
    }
    printf("# bits/w: storage bits per weight of a %d x %d matrix, scales and metadata included;\n"
           "# '-' where this build does not implement the scheme's family\n",
           SCHEME_BPW_DIM, SCHEME_BPW_DIM);
    qcts_table_print(stdout, cells, n + 1, COLS);
    free(cells);
}

/* In-tree backends (kernels/backends.inc); plugin:PATH.so and exec:COMMAND
 * are open-ended and described in the last lines. */
static void list_backends(void)
{
    const char *const *names = qcts_backend_names();
    size_t n = 0;
    while (names[n])
        n++;
    qcts_cell *cells = calloc((n + 3) * 3, sizeof *cells);
    if (!cells) {
        fprintf(stderr, "qcts %s: out of memory\n", CMD);
        return;
    }
    snprintf(cells[0], sizeof cells[0], "name");
    snprintf(cells[1], sizeof cells[0], "available");
    snprintf(cells[2], sizeof cells[0], "description");
    for (size_t i = 0; i < n; i++) {
        qcts_backend_info info;
        qcts_cell *row = &cells[(i + 1) * 3];
        qcts_backend_info_get(names[i], &info);
        snprintf(row[0], sizeof row[0], "%s", info.name);
        if (info.available)
            snprintf(row[1], sizeof row[1], "yes");
        else
            snprintf(row[1], sizeof row[1], "no: %.120s", info.why);
        snprintf(row[2], sizeof row[2], "%s", info.description ? info.description : "");
    }
    qcts_cell *row = &cells[(n + 1) * 3];
    snprintf(row[0], sizeof row[0], "plugin:PATH.so");
    snprintf(row[1], sizeof row[1], "yes");
    snprintf(row[2], sizeof row[2], "a shared object exporting qcts_backend_entry (kernels/include/qcts/backend.h)");
    row += 3;
    snprintf(row[0], sizeof row[0], "exec:COMMAND");
    snprintf(row[1], sizeof row[1], "yes");
    snprintf(row[2], sizeof row[2], "any program: runs 'COMMAND OP IN.safetensors OUT.safetensors' per call");
    qcts_table_print(stdout, cells, n + 3, 3);
    free(cells);
}

static const struct topic {
    const char *name;
    const char *summary;
    void (*print)(void);
} topics[] = {
    { "formats", "element formats and their ranges, Inf and NaN codes", list_formats },
    { "conventions", "encoder conventions (rounding, NaN, overflow) to select with --convention", list_conventions },
    { "schemes", "quantization scheme presets for quant, dequant and quality", list_schemes },
    { "suites", "golden-vector suites (vectors/suites/) and the cases of each", qcts_list_suites },
    { "backends", "backends to check: name, available here (or why not), description", list_backends },
};

int qcts_cmd_list(int argc, char **argv)
{
    qcts_args a;
    int rc = qcts_args_parse(CMD, NULL, 0, argc, argv, &a);
    if (rc)
        return rc;
    if (a.help)
        return QCTS_EXIT_HELP;
    size_t n = sizeof topics / sizeof topics[0];
    if (a.npos == 0) {
        qcts_cell cells[sizeof topics / sizeof topics[0] * 2];
        for (size_t i = 0; i < n; i++) {
            snprintf(cells[2 * i], sizeof cells[0], "%s", topics[i].name);
            snprintf(cells[2 * i + 1], sizeof cells[0], "%s", topics[i].summary);
        }
        qcts_table_print(stdout, cells, n, 2);
        return QCTS_EXIT_OK;
    }
    if (a.npos > 1)
        return qcts_usage(CMD, "one topic at a time, got '%s' and '%s'", a.pos[0], a.pos[1]);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(a.pos[0], topics[i].name) == 0) {
            topics[i].print();
            return QCTS_EXIT_OK;
        }
    }
    return qcts_usage(CMD, "unknown topic '%s' (run 'qcts list' for the topics)", a.pos[0]);
}
