/* Suite quality: qcts/quality.h. The reference data and the measurements
 * are deterministic for a seed (and independent of the thread count);
 * bits/weight have known answers; on gaussian weights the schemes order as
 * their bit budgets say. Assertions about a scheme's numbers are made only
 * when its family is implemented (qref answers something other than
 * QREF_ERR_UNSUPPORTED); the others must say they are unsupported. */
#include "qtest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qcts/quality.h"
#include "qref/scheme.h"

static int make_input(qcts_dist d, uint64_t seed, int64_t rows, int64_t cols, qcts_quality_input *in)
{
    qcts_quality_config c;
    qcts_quality_config_default(&c);
    c.dist = d;
    c.seed = seed;
    c.rows = rows;
    c.cols = cols;
    c.activations = 4;
    char err[128];
    int rc = qcts_quality_input_make(&c, in, err, sizeof err);
    QCHECK(rc == 0, "qcts_quality_input_make: %s", err);
    return rc == 0;
}

static int implemented(const char *name)
{
    const qref_scheme *s = qref_scheme_find(name);
    if (!QCHECK(s != NULL, "preset %s not found", name))
        return 0;
    float w[256] = { 0.5f };
    qref_qtensor q;
    qref_error e;
    qref_status st = qref_quantize(s, 1, 256, w, &q, &e);
    if (st == QREF_OK)
        qref_qtensor_free(&q);
    return st != QREF_ERR_UNSUPPORTED;
}

static int same_result(const qcts_quality *a, const qcts_quality *b)
{
    return a->scheme == b->scheme && a->status == b->status && a->qref_status == b->qref_status
        && strcmp(a->message, b->message) == 0 && strcmp(a->note, b->note) == 0
        && memcmp(&a->bits_per_weight, &b->bits_per_weight, sizeof(double)) == 0
        && memcmp(&a->mse, &b->mse, sizeof(double)) == 0 && memcmp(&a->nmse, &b->nmse, sizeof(double)) == 0
        && memcmp(&a->snr_db, &b->snr_db, sizeof(double)) == 0
        && memcmp(&a->cosine, &b->cosine, sizeof(double)) == 0
        && memcmp(&a->max_abs, &b->max_abs, sizeof(double)) == 0 && memcmp(&a->kl, &b->kl, sizeof(double)) == 0;
}

static void test_dist_names(void)
{
    for (int d = 0; d < QCTS_DIST_COUNT; d++) {
        qcts_dist back;
        const char *n = qcts_dist_name((qcts_dist)d);
        QCHECK(n && qcts_dist_from_name(n, &back) == 0 && back == (qcts_dist)d, "dist %d round trip", d);
        QCHECK(qcts_dist_description((qcts_dist)d) != NULL, "dist %d description", d);
    }
    qcts_dist d;
    QCHECK(qcts_dist_from_name("cauchy", &d) == -1, "unknown distribution refused");
    QCHECK(qcts_dist_name(QCTS_DIST_COUNT) == NULL, "out of range name");
}

static void test_input_deterministic(void)
{
    for (int d = 0; d < QCTS_DIST_COUNT; d++) {
        qcts_quality_input a, b, c;
        if (!make_input((qcts_dist)d, 7, 16, 512, &a))
            return;
        if (!make_input((qcts_dist)d, 7, 16, 512, &b) || !make_input((qcts_dist)d, 8, 16, 512, &c)) {
            qcts_quality_input_free(&a);
            return;
        }
        QCHECK(memcmp(a.w, b.w, 16 * 512 * sizeof(float)) == 0, "%s: same seed, same W", qcts_dist_name(d));
        QCHECK(memcmp(a.x, b.x, 4 * 512 * sizeof(double)) == 0, "%s: same seed, same x", qcts_dist_name(d));
        QCHECK(memcmp(a.logits, b.logits, 4 * 16 * sizeof(double)) == 0, "%s: same logits", qcts_dist_name(d));
        QCHECK(memcmp(a.w, c.w, 16 * 512 * sizeof(float)) != 0, "%s: another seed, another W", qcts_dist_name(d));
        qcts_quality_input_free(&a);
        qcts_quality_input_free(&b);
        qcts_quality_input_free(&c);
    }
    /* bad configurations are refused with a message */
    qcts_quality_config cfg;
    qcts_quality_config_default(&cfg);
    cfg.rows = 0;
    qcts_quality_input in;
    char err[128] = "";
    QCHECK(qcts_quality_input_make(&cfg, &in, err, sizeof err) == -1 && err[0], "rows 0 refused");
    qcts_quality_config_default(&cfg);
    cfg.activations = 0;
    QCHECK(qcts_quality_input_make(&cfg, &in, err, sizeof err) == -1, "0 activations refused");
}

/* The moments the header promises: std 0.02 for every distribution (within
 * sampling error of 2^18 draws, looser for the heavy t_3 tail), outliers at
 * a rate near 0.1%. */
static void test_distributions(void)
{
    const double sigma = QCTS_QUALITY_SIGMA;
    for (int d = 0; d < QCTS_DIST_COUNT; d++) {
        qcts_quality_input in;
        if (!make_input((qcts_dist)d, 3, 64, 4096, &in))
            return;
        size_t n = 64 * 4096, big = 0;
        double s = 0, s2 = 0;
        for (size_t i = 0; i < n; i++) {
            s += in.w[i];
            s2 += (double)in.w[i] * in.w[i];
            big += fabs(in.w[i]) > 6 * sigma;
        }
        double mean = s / n, sd = sqrt(s2 / n - mean * mean);
        double want_sd = d == QCTS_DIST_OUTLIERS ? sigma * sqrt(1.0 + 0.001 * 399.0) : sigma;
        double tol = d == QCTS_DIST_STUDENT_T ? 0.15 : d == QCTS_DIST_OUTLIERS ? 0.08 : 0.01;
        QCHECK(fabs(mean) < 0.01 * sigma * 10, "%s mean %g", qcts_dist_name(d), mean);
        QCHECK(fabs(sd / want_sd - 1.0) < tol, "%s std %g, want %g", qcts_dist_name(d), sd, want_sd);
        if (d == QCTS_DIST_GAUSSIAN)
            QCHECK(big < 10, "gaussian: %zu values beyond 6 sigma", big);
        if (d == QCTS_DIST_OUTLIERS)
            QCHECK(big > n / 2000 && big < n / 500, "outliers: %zu of %zu beyond 6 sigma", big, n);
        qcts_quality_input_free(&in);
    }
}

static void test_measure_deterministic(void)
{
    qcts_quality_input a, b;
    if (!make_input(QCTS_DIST_GAUSSIAN, 11, 256, 1024, &a))
        return;
    if (!make_input(QCTS_DIST_GAUSSIAN, 11, 256, 1024, &b)) {
        qcts_quality_input_free(&a);
        return;
    }
    size_t n = qref_scheme_count();
    const qref_scheme **s = malloc(n * sizeof *s);
    qcts_quality *r1 = calloc(n, sizeof *r1), *r2 = calloc(n, sizeof *r2), *r3 = calloc(n, sizeof *r3);
    for (size_t i = 0; i < n; i++)
        s[i] = qref_scheme_at(i);
    /* twice on one thread, once on three threads with fresh data */
    qcts_quality_measure_all(s, n, &a, 1, r1);
    qcts_quality_measure_all(s, n, &a, 1, r2);
    qcts_quality_measure_all(s, n, &b, 3, r3);
    for (size_t i = 0; i < n; i++) {
        QCHECK(same_result(&r1[i], &r2[i]), "%s: two runs differ", s[i]->name);
        QCHECK(same_result(&r1[i], &r3[i]), "%s: 1 thread and 3 threads differ", s[i]->name);
        qcts_quality one;
        qcts_quality_measure(s[i], &a, &one);
        QCHECK(same_result(&r1[i], &one), "%s: measure and measure_all differ", s[i]->name);
    }
    free(s);
    free(r1);
    free(r2);
    free(r3);
    qcts_quality_input_free(&a);
    qcts_quality_input_free(&b);
}

/* Every preset on a shape that fits all of them: implemented ones give sane
 * numbers, the others say they are unsupported, none fails otherwise. */
static void test_every_preset(void)
{
    qcts_quality_input in;
    if (!make_input(QCTS_DIST_GAUSSIAN, 5, 256, 1024, &in))
        return;
    size_t ok = 0, unsupported = 0;
    for (size_t i = 0; i < qref_scheme_count(); i++) {
        const qref_scheme *s = qref_scheme_at(i);
        qcts_quality q;
        qcts_quality_status st = qcts_quality_measure(s, &in, &q);
        QCHECK(q.scheme == s && st == q.status, "%s: result names its scheme", s->name);
        QCHECK((s->sparse_n > 0) == (strstr(q.note, "pruning") != NULL), "%s: note '%s'", s->name, q.note);
        if (st == QCTS_QUALITY_UNSUPPORTED) {
            unsupported++;
            QCHECK(q.message[0] != '\0' && q.qref_status == QREF_ERR_UNSUPPORTED, "%s: no message", s->name);
            QCHECK(isnan(q.nmse) && isnan(q.kl), "%s: unsupported but has numbers", s->name);
            continue;
        }
        if (!QCHECK(st == QCTS_QUALITY_OK, "%s: %s", s->name, q.message))
            continue;
        ok++;
        QCHECK(q.message[0] == '\0', "%s: message on success", s->name);
        QCHECK(q.bits_per_weight > 1.0 && q.bits_per_weight <= 16.0, "%s: bits/w %g", s->name, q.bits_per_weight);
        QCHECK(q.nmse > 0.0 && q.nmse < 1.0, "%s: nmse %g", s->name, q.nmse);
        QCHECK(q.mse > 0.0 && q.max_abs > 0.0, "%s: mse %g max abs %g", s->name, q.mse, q.max_abs);
        QCHECK(q.cosine > 0.5 && q.cosine <= 1.0, "%s: cosine %g", s->name, q.cosine);
        QCHECK(fabs(q.snr_db + 10.0 * log10(q.nmse)) < 1e-9, "%s: snr %g vs nmse %g", s->name, q.snr_db, q.nmse);
        QCHECK(q.kl >= 0.0 && q.kl < 1.0, "%s: kl %g", s->name, q.kl);
    }
    printf("\n    quality: %zu presets measured, %zu unsupported ", ok, unsupported);
    qcts_quality_input_free(&in);
}

static void test_nmse_ordering(void)
{
    static const char *const order[] = { "fp8_e4m3_per_channel", "fp4_g128_f16", "nf2_g64" };
    enum { N = 3 };
    qcts_quality_input in;
    if (!make_input(QCTS_DIST_GAUSSIAN, QCTS_QUALITY_SEED, 64, 2048, &in))
        return;
    qcts_quality q[N];
    int have[N];
    for (int i = 0; i < N; i++) {
        have[i] = implemented(order[i]);
        if (have[i])
            QCHECK(qcts_quality_measure(qref_scheme_find(order[i]), &in, &q[i]) == QCTS_QUALITY_OK, "%s: %s",
                   order[i], q[i].message);
    }
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++)
            if (have[i] && have[j] && q[i].status == QCTS_QUALITY_OK && q[j].status == QCTS_QUALITY_OK) {
                QCHECK(q[i].nmse < q[j].nmse, "nmse %s %g should be below %s %g", order[i], q[i].nmse, order[j],
                       q[j].nmse);
                QCHECK(q[i].kl < q[j].kl, "kl %s %g should be below %s %g", order[i], q[i].kl, order[j], q[j].kl);
            }
    qcts_quality_input_free(&in);
}

/* Storage bits per weight, worked out from the layouts in ref/README.md. */
static void test_bits_per_weight(void)
{
    const int64_t R = 256, C = 4096;
    static const struct {
        const char *name;
        double want;
    } known[] = {
        { "fp4_g32_f16", 4.0 + 16.0 / 32 },
        { "fp4_g128_f16", 4.0 + 16.0 / 128 },
        { "fp4_g128_bf16", 4.0 + 16.0 / 128 },
        { "int4_sym_g128", 4.0 + 16.0 / 128 },
        { "int4_asym_g128", 4.0 + (16.0 + 8.0) / 128 },
        { "int3_asym_g128", 3.0 + (16.0 + 8.0) / 128 },
        { "int2_asym_g64", 2.0 + (16.0 + 8.0) / 64 },
        { "nf4_g64", 4.0 + 32.0 / 64 },
        { "nf3_g64", 3.0 + 32.0 / 64 },
        { "nf2_g64", 2.0 + 32.0 / 64 },
        { "int8_per_channel", 8.0 + 32.0 / 4096 },
        { "fp8_e4m3_per_tensor", 8.0 + 32.0 / (256.0 * 4096.0) },
        { "fp8_e4m3_per_channel", 8.0 + 32.0 / 4096 },
        { "mxfp4", 4.25 },
        { "mxfp6_e2m3", 6.25 },
        { "mxfp6_e3m2", 6.25 },
        { "mxfp8_e4m3", 8.25 },
        { "nvfp4", 4.5 + 32.0 / (256.0 * 4096.0) },
        { "gguf_q4_0", 18.0 * 8 / 32 },
        { "gguf_q4_1", 20.0 * 8 / 32 },
        { "gguf_q8_0", 34.0 * 8 / 32 },
        { "gguf_q4_k", 144.0 * 8 / 256 },
        { "gguf_q6_k", 210.0 * 8 / 256 },
        { "gguf_mxfp4", 17.0 * 8 / 32 },
        { "gguf_nvfp4", 36.0 * 8 / 64 },
        { "gguf_iq2_xxs", 66.0 * 8 / 256 },
        { "gguf_iq3_xxs", 98.0 * 8 / 256 },
    };
    size_t checked = 0;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        const qref_scheme *s = qref_scheme_find(known[i].name);
        if (!QCHECK(s != NULL, "preset %s not found", known[i].name))
            continue;
        qref_qsizes z;
        qref_error e;
        qref_status st = qref_qsizes_get(s, R, C, &z, &e);
        if (st == QREF_ERR_UNSUPPORTED)
            continue;
        checked++;
        double got = qref_scheme_bits_per_weight(s, R, C);
        QCHECK(got == known[i].want, "%s: %.9g bits/weight, want %.9g", known[i].name, got, known[i].want);
    }
    /* the measured result carries the same number */
    const qref_scheme *nv = qref_scheme_find("nvfp4");
    qref_qsizes z;
    if (nv && qref_qsizes_get(nv, 256, 1024, &z, NULL) == QREF_OK) {
        qcts_quality_input in;
        if (make_input(QCTS_DIST_GAUSSIAN, 1, 256, 1024, &in)) {
            qcts_quality q;
            qcts_quality_measure(nv, &in, &q);
            QCHECK(q.bits_per_weight == 4.5 + 32.0 / (256.0 * 1024.0), "nvfp4 measured bits %.9g",
                   q.bits_per_weight);
            qcts_quality_input_free(&in);
        }
    }
    printf("\n    bits/weight: %zu presets checked ", checked);
}

QTEST_SUITE(quality,
    QTEST(test_dist_names),
    QTEST(test_input_deterministic),
    QTEST(test_distributions),
    QTEST(test_measure_deterministic),
    QTEST(test_every_preset),
    QTEST(test_nmse_ordering),
    QTEST(test_bits_per_weight))
