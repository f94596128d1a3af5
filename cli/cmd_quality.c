/* qcts quality: how much each scheme loses on a reference weight
 * distribution (conformance/include/qcts/quality.h does the work). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/cmds.h"
#include "cli/scheme_opts.h"
#include "cli/text.h"
#include "qcts/db_bench.h"
#include "qcts/quality.h"
#include "qref/scheme.h"

static const char CMD[] = "quality";

const char qcts_help_quality[] =
    "usage: qcts quality [--scheme S[,S...]] [S...] [--dist D] [--seed N]\n"
    "                    [--rows R --cols C] [--activations N] [--threads N] [--json]\n"
    "\n"
    "Measures the quantization error of schemes (every preset by default) on a\n"
    "weight matrix W drawn from a reference distribution: W is quantized and\n"
    "dequantized (float32) with the reference code and W' compared with W.\n"
    "\n"
    "columns:\n"
    "  bits/w   storage bits per weight at this shape, everything included\n"
    "  MSE      mean((W' - W)^2)\n"
    "  NMSE     MSE / mean(W^2)\n"
    "  SNR dB   -10 log10(NMSE)\n"
    "  cosine   cosine similarity of W' and W as vectors\n"
    "  max abs  largest |W' - W|\n"
    "  KL       mean over activation vectors x ~ N(0, 1) of\n"
    "           KL(softmax(W x) || softmax(W' x)) in nats: W as an output layer\n"
    "           with R classes, logits in double\n"
    "  notes    sparse schemes are compared with the dense W (the numbers include\n"
    "           the pruning error); 'unsupported: why' for a scheme whose family\n"
    "           this build does not implement\n"
    "\n"
    "options:\n"
    "  --scheme S,...    schemes to measure (comma-separated; names may also be\n"
    "                    given as arguments); default: every preset\n"
    "  --dist D          gaussian (default), laplace, student_t or outliers; all\n"
    "                    with standard deviation 0.02 (student_t: nu = 3;\n"
    "                    outliers: gaussian, 0.1% of weights x20)\n"
    "  --seed N          seed of the generator (GSL mt19937), default 1\n"
    "  --rows R          rows of W, default 256 (Marlin needs a multiple of 256)\n"
    "  --cols C          columns of W, default 4096 (2:4 sparse and GGUF k-quants\n"
    "                    need a multiple of 256)\n"
    "  --activations N   activation vectors for the KL, default 8\n"
    "  --threads N       measure schemes on N threads (default: every CPU); the\n"
    "                    numbers do not depend on it\n"
    "  --json            one JSON object on stdout instead of the table\n"
    "  --db FILE         also store the results in the database (one batch,\n"
    "                    shown by qcts report)\n"
    "\n"
    "The numbers are deterministic for a given seed, shape and build.\n"
    "\n"
    "exit status: 0 every scheme was measured or reported unsupported; 1 a\n"
    "scheme failed otherwise; 2 usage error.\n"
    "\n"
    "examples:\n"
    "  qcts quality\n"
    "  qcts quality --scheme nvfp4,mxfp4 --dist outliers --seed 7\n"
    "  qcts quality --json > quality.json\n";

enum { OPT_SCHEME, OPT_DIST, OPT_SEED, OPT_ROWS, OPT_COLS, OPT_ACT, OPT_THREADS, OPT_JSON, OPT_DB, OPT_N };
static const qcts_opt opts[OPT_N] = {
    [OPT_SCHEME] = { "scheme", 0, 1 },
    [OPT_DIST] = { "dist", 0, 1 },
    [OPT_SEED] = { "seed", 0, 1 },
    [OPT_ROWS] = { "rows", 0, 1 },
    [OPT_COLS] = { "cols", 0, 1 },
    [OPT_ACT] = { "activations", 0, 1 },
    [OPT_THREADS] = { "threads", 0, 1 },
    [OPT_JSON] = { "json", 0, 0 },
    [OPT_DB] = { "db", 0, 1 },
};

/* --db: the measured schemes as one batch of the quality table. */
static int store_db(const char *path, const qcts_quality_config *c, const qcts_quality *r, size_t n, int argc,
                    char **argv)
{
    qcts_db_quality *q = calloc(n ? n : 1, sizeof *q);
    char seed[32], cmd[2048];
    size_t len = (size_t)snprintf(cmd, sizeof cmd, "qcts quality");
    for (int i = 0; i < argc && len < sizeof cmd; i++)
        len += (size_t)snprintf(cmd + len, sizeof cmd - len, " %s", argv[i]);
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)c->seed);
    size_t m = 0;
    for (size_t i = 0; q && i < n; i++) {
        if (r[i].status != QCTS_QUALITY_OK)
            continue;
        q[m] = (qcts_db_quality){ .scheme = r[i].scheme->name, .dist = qcts_dist_name(c->dist), .seed = seed,
                                  .note = r[i].note, .rows = c->rows, .cols = c->cols,
                                  .bits_per_weight = r[i].bits_per_weight, .mse = r[i].mse, .nmse = r[i].nmse,
                                  .snr_db = r[i].snr_db, .cosine = r[i].cosine, .max_abs = r[i].max_abs,
                                  .kl = r[i].kl };
        m++;
    }
    char err[QCTS_DB_ERRLEN];
    qcts_db *db = NULL;
    int rc = !q ? qcts_fail(CMD, "out of memory") : 0;
    if (!rc && qcts_db_open(path, 0, &db, err, sizeof err) != 0)
        rc = qcts_fail(CMD, "%s", err);
    if (!rc && qcts_db_quality_store(db, q, m, cmd, err, sizeof err) != 0)
        rc = qcts_fail(CMD, "%s", err);
    if (!rc)
        fprintf(stderr, "qcts %s: stored %zu schemes in %s\n", CMD, m, path);
    qcts_db_close(db);
    free(q);
    return rc;
}

/* Adds the schemes named in a comma-separated list; 0 or a usage error. */
static int add_schemes(const char *list, const qref_scheme **out, size_t *n, size_t cap)
{
    const char *p = list;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char name[128];
        if (len == 0 || len >= sizeof name)
            return qcts_usage(CMD, "bad scheme list '%s'", list);
        memcpy(name, p, len);
        name[len] = '\0';
        const qref_scheme *s;
        int rc = qcts_lookup_scheme(CMD, name, &s);
        if (rc)
            return rc;
        if (*n >= cap)
            return qcts_usage(CMD, "too many schemes (at most %zu)", cap);
        out[(*n)++] = s;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

static void num(qcts_cell c, const char *fmt, double v)
{
    if (isnan(v))
        snprintf(c, sizeof(qcts_cell), "nan");
    else if (isinf(v))
        snprintf(c, sizeof(qcts_cell), "%s", v > 0 ? "inf" : "-inf");
    else
        snprintf(c, sizeof(qcts_cell), fmt, v);
}

static void print_table(const qcts_quality_config *c, const qcts_quality *r, size_t n)
{
    enum { COLS = 9 };
    static const char *const head[COLS] = {
        "scheme", "bits/w", "MSE", "NMSE", "SNR dB", "cosine", "max abs", "KL", "notes",
    };
    printf("# qcts quality: %s weights (%s), seed %llu, %lld x %lld, KL over %d activation vectors\n",
           qcts_dist_name(c->dist), qcts_dist_description(c->dist), (unsigned long long)c->seed,
           (long long)c->rows, (long long)c->cols, c->activations);
    qcts_cell *cells = calloc((n + 1) * COLS, sizeof *cells);
    if (!cells) {
        fprintf(stderr, "qcts %s: out of memory\n", CMD);
        return;
    }
    for (int k = 0; k < COLS; k++)
        snprintf(cells[k], sizeof cells[k], "%s", head[k]);
    for (size_t i = 0; i < n; i++) {
        qcts_cell *row = &cells[(i + 1) * COLS];
        const qcts_quality *q = &r[i];
        snprintf(row[0], sizeof row[0], "%s", q->scheme->name);
        if (isnan(q->bits_per_weight))
            snprintf(row[1], sizeof row[1], "-");
        else
            num(row[1], "%.4f", q->bits_per_weight);
        if (q->status == QCTS_QUALITY_OK) {
            num(row[2], "%.3e", q->mse);
            num(row[3], "%.3e", q->nmse);
            num(row[4], "%.2f", q->snr_db);
            num(row[5], "%.6f", q->cosine);
            num(row[6], "%.3e", q->max_abs);
            num(row[7], "%.3e", q->kl);
            snprintf(row[8], sizeof row[8], "%s", q->note[0] ? q->note : "-");
        } else {
            for (int k = 2; k < 8; k++)
                snprintf(row[k], sizeof row[k], "-");
            snprintf(row[8], sizeof row[8], "%s%s%s: %s", q->note, q->note[0] ? "; " : "",
                     q->status == QCTS_QUALITY_UNSUPPORTED ? "unsupported" : "error", q->message);
        }
    }
    qcts_table_print(stdout, cells, n + 1, COLS);
    free(cells);
}

/* cJSON writes a non-finite number as null. */
static int print_json(const qcts_quality_config *c, const qcts_quality *r, size_t n)
{
    cJSON *root = cJSON_CreateObject(), *arr = NULL;
    int ok = root != NULL;
    ok = ok && cJSON_AddStringToObject(root, "dist", qcts_dist_name(c->dist));
    ok = ok && cJSON_AddStringToObject(root, "dist_description", qcts_dist_description(c->dist));
    if (c->seed <= ((uint64_t)1 << 53)) {
        ok = ok && cJSON_AddNumberToObject(root, "seed", (double)c->seed);
    } else {
        char seed[32];
        snprintf(seed, sizeof seed, "%llu", (unsigned long long)c->seed);
        ok = ok && cJSON_AddStringToObject(root, "seed", seed);
    }
    ok = ok && cJSON_AddNumberToObject(root, "rows", (double)c->rows);
    ok = ok && cJSON_AddNumberToObject(root, "cols", (double)c->cols);
    ok = ok && cJSON_AddNumberToObject(root, "activations", c->activations);
    ok = ok && (arr = cJSON_AddArrayToObject(root, "results")) != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        const qcts_quality *q = &r[i];
        cJSON *o = cJSON_CreateObject();
        ok = o && cJSON_AddItemToArray(arr, o);
        ok = ok && cJSON_AddStringToObject(o, "scheme", q->scheme->name);
        ok = ok && cJSON_AddStringToObject(o, "family", qref_family_name(q->scheme->family));
        ok = ok && cJSON_AddStringToObject(o, "status", qcts_quality_status_name(q->status));
        ok = ok && cJSON_AddNumberToObject(o, "bits_per_weight", q->bits_per_weight);
        ok = ok && cJSON_AddNumberToObject(o, "mse", q->mse);
        ok = ok && cJSON_AddNumberToObject(o, "nmse", q->nmse);
        ok = ok && cJSON_AddNumberToObject(o, "snr_db", q->snr_db);
        ok = ok && cJSON_AddNumberToObject(o, "cosine", q->cosine);
        ok = ok && cJSON_AddNumberToObject(o, "max_abs", q->max_abs);
        ok = ok && cJSON_AddNumberToObject(o, "kl", q->kl);
        ok = ok && cJSON_AddStringToObject(o, "note", q->note);
        ok = ok && cJSON_AddStringToObject(o, "message", q->message);
    }
    char *text = ok ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    if (!text)
        return qcts_fail(CMD, "out of memory writing JSON");
    puts(text);
    cJSON_free(text);
    return 0;
}

int qcts_cmd_quality(int argc, char **argv)
{
    if (argc > 0 && strcmp(argv[0], "attention") == 0)   /* qcts quality attention [SEED] */
        return qcts_quality_attention(stdout, argc > 1 ? strtoull(argv[1], NULL, 10) : 1) ? 1 : 0;
    qcts_args a;
    int rc = qcts_args_parse(CMD, opts, OPT_N, argc, argv, &a);
    if (rc)
        return rc;
    if (a.help)
        return QCTS_EXIT_HELP;

    qcts_quality_config c;
    qcts_quality_config_default(&c);
    if (a.value[OPT_DIST] && qcts_dist_from_name(a.value[OPT_DIST], &c.dist) != 0)
        return qcts_usage(CMD, "unknown distribution '%s' (gaussian, laplace, student_t or outliers)",
                          a.value[OPT_DIST]);
    if (a.value[OPT_SEED] && qcts_parse_u64(a.value[OPT_SEED], &c.seed) != 0)
        return qcts_usage(CMD, "--seed must be a whole number from 0 to 2^64-1, got '%s'", a.value[OPT_SEED]);
    if (a.value[OPT_ROWS] && (rc = qcts_parse_dim(CMD, "rows", a.value[OPT_ROWS], &c.rows)))
        return rc;
    if (a.value[OPT_COLS] && (rc = qcts_parse_dim(CMD, "cols", a.value[OPT_COLS], &c.cols)))
        return rc;
    uint64_t v;
    if (a.value[OPT_ACT]) {
        if (qcts_parse_u64(a.value[OPT_ACT], &v) != 0 || v < 1 || v > 1024)
            return qcts_usage(CMD, "--activations must be 1..1024, got '%s'", a.value[OPT_ACT]);
        c.activations = (int)v;
    }
    int threads = 0;
    if (a.value[OPT_THREADS]) {
        if (qcts_parse_u64(a.value[OPT_THREADS], &v) != 0 || v < 1 || v > 256)
            return qcts_usage(CMD, "--threads must be 1..256, got '%s'", a.value[OPT_THREADS]);
        threads = (int)v;
    }

    size_t cap = qref_scheme_count() * 4 + (size_t)a.npos, n = 0;
    const qref_scheme **schemes = malloc(cap * sizeof *schemes);
    if (!schemes)
        return qcts_fail(CMD, "out of memory");
    if (a.value[OPT_SCHEME])
        rc = add_schemes(a.value[OPT_SCHEME], schemes, &n, cap);
    for (int i = 0; !rc && i < a.npos; i++)
        rc = add_schemes(a.pos[i], schemes, &n, cap);
    if (!rc && n == 0)
        for (size_t i = 0; i < qref_scheme_count(); i++)
            schemes[n++] = qref_scheme_at(i);
    if (rc) {
        free(schemes);
        return rc;
    }

    char err[256];
    qcts_quality_input in;
    if (qcts_quality_input_make(&c, &in, err, sizeof err) != 0) {
        free(schemes);
        return qcts_usage(CMD, "%s", err);
    }
    qcts_quality *r = calloc(n, sizeof *r);
    if (!r) {
        qcts_quality_input_free(&in);
        free(schemes);
        return qcts_fail(CMD, "out of memory");
    }
    qcts_quality_measure_all(schemes, n, &in, threads, r);
    qcts_quality_input_free(&in);

    rc = a.value[OPT_JSON] ? print_json(&c, r, n) : (print_table(&c, r, n), 0);
    if (a.value[OPT_DB] && store_db(a.value[OPT_DB], &c, r, n, argc, argv) != 0)
        rc = QCTS_EXIT_FAIL;
    for (size_t i = 0; i < n; i++)
        if (r[i].status == QCTS_QUALITY_ERROR) {
            qcts_fail(CMD, "%s: %s", r[i].scheme->name, r[i].message);
            rc = QCTS_EXIT_FAIL;
        }
    free(r);
    free(schemes);
    return rc;
}
