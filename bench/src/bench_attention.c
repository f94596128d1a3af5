/* `qcts bench --op attention`: attention throughput through the backend ABI
 * (prepare once, then run+sync timed), against the host roofline.
 *
 *   decode   batch 1, one query token, causal, contexts 4k and 32k, every KV
 *            format: KV bytes/s = (K + V bytes read) / time, against the
 *            streaming read ceiling of the cores used (the KV cache is far
 *            larger than the LLC at 32k, so DRAM)
 *   prefill  seq_q = seq_kv = 1024, causal, f16 KV: GFLOP/s counted as
 *            4·q_heads·d·(visible pairs) (QKᵀ and PV, 2 flops per FMA)
 *            against the FMA peak
 * Head configurations: Llama-3.1-8B and Qwen3-4B (both 32 query heads, 8
 * KV heads, head dim 128; 32 and 36 layers: the decode projection of
 * attention-only tokens/s differs by the layer count).
 * Inputs are quantized from random data once per (format, context). Each
 * configuration is checked against the reference bound first on a short
 * context (a wrong kernel is not timed). Numbers go to stdout only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qcts/backends.h"
#include "qcts/bench_attention.h"
#include "qcts/opdef.h"
#include "qcts/roofline.h"
#include "qref/attention.h"
#include "qref/scheme.h"

typedef struct model {
    const char *name;
    int q_heads, kv_heads, d, layers;
} model;

static const model MODELS[] = { { "Llama-3.1-8B", 32, 8, 128, 32 }, { "Qwen3-4B", 32, 8, 128, 36 } };

static const char *const FORMATS[] = { "f32",          "f16",        "bf16",        "fp8_e4m3_per_tensor",
                                       "fp8_e5m2_per_tensor", "int8_per_channel", "gguf_q8_0", "mxfp8_e4m3",
                                       "gguf_q4_0",   "int4_sym_g128", "mxfp4",    "nvfp4", NULL };

static uint64_t sm(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static float rnd(uint64_t *s) { return (float)((double)(sm(s) >> 11) * 0x1p-52 - 1.0); }

typedef struct bufs {
    float *q;
    uint8_t *k, *v;
    size_t kb, vb;
    void *y;
} bufs;

static int make_cache(const char *fmt, int64_t rows, int64_t cols, uint64_t *seed, uint8_t **out, size_t *len,
                      int per_head, int heads)
{
    int plain = !strcmp(fmt, "f32") || !strcmp(fmt, "f16") || !strcmp(fmt, "bf16");
    size_t n = (size_t)(rows * cols);
    float *x = malloc(n * sizeof(float));
    if (!x)
        return -1;
    for (size_t i = 0; i < n; i++)
        x[i] = rnd(seed);
    if (plain) {
        size_t es = fmt[1] == '3' ? 4 : 2;
        *len = n * es;
        *out = malloc(*len);
        for (size_t i = 0; *out && i < n; i++) {
            if (es == 4)
                memcpy(*out + 4 * i, &x[i], 4);
            else {
                uint16_t h = fmt[0] == 'f' ? qref_f32_to_f16(x[i]) : qref_f32_to_bf16(x[i]);
                memcpy(*out + 2 * i, &h, 2);
            }
        }
        free(x);
        return *out ? 0 : -1;
    }
    const qref_scheme *s = qref_scheme_find(fmt);
    int parts = per_head ? heads : 1;
    int64_t pr = rows / parts;
    *out = NULL;
    *len = 0;
    for (int p = 0; p < parts; p++) {
        qref_qtensor t;
        qref_error e;
        if (qref_quantize(s, pr, cols, x + (size_t)p * (size_t)(pr * cols), &t, &e) != QREF_OK) {
            fprintf(stderr, "bench attention: quantize %s: %s\n", fmt, e.msg);
            free(x);
            return -1;
        }
        uint8_t *nb = realloc(*out, *len + t.sizes.total);
        if (!nb)
            return -1;
        *out = nb;
        qref_qtensor_save(&t, *out + *len, t.sizes.total);
        *len += t.sizes.total;
        qref_qtensor_free(&t);
    }
    free(x);
    return 0;
}

static void desc_for(qcts_attention_desc *d, const model *m, const char *fmt, int seq_q, int seq_kv, int threads)
{
    memset(d, 0, sizeof *d);
    d->batch = 1;
    d->q_heads = m->q_heads;
    d->kv_heads = m->kv_heads;
    d->seq_q = seq_q;
    d->seq_kv = seq_kv;
    d->d = d->dv = m->d;
    d->causal = 1;
    d->scale = 0.08838834764831845f;
    d->splits = 1;
    d->threads = threads;
    d->out_dtype = QCTS_DT_F32;
    int plain = !strcmp(fmt, "f32") || !strcmp(fmt, "f16") || !strcmp(fmt, "bf16");
    if (plain)
        d->kv_dtype = !strcmp(fmt, "f32") ? QCTS_DT_F32 : !strcmp(fmt, "f16") ? QCTS_DT_F16 : QCTS_DT_BF16;
    else {
        snprintf(d->kv_scheme, sizeof d->kv_scheme, "%s", fmt);
        d->kv_per_head = !strcmp(fmt, "fp8_e4m3_per_tensor") || !strcmp(fmt, "fp8_e5m2_per_tensor");
    }
}

static int make_bufs(const qcts_attention_desc *d, uint64_t seed, bufs *b, qcts_buffers *qb)
{
    const char *fmt = d->kv_scheme[0] ? d->kv_scheme
                    : d->kv_dtype == QCTS_DT_F32 ? "f32" : d->kv_dtype == QCTS_DT_F16 ? "f16" : "bf16";
    int64_t R = (int64_t)d->batch * d->seq_kv, rows = (int64_t)d->q_heads * d->seq_q;
    memset(b, 0, sizeof *b);
    b->q = malloc((size_t)(rows * d->d) * sizeof(float));
    b->y = malloc((size_t)(rows * d->dv) * sizeof(float));
    if (!b->q || !b->y)
        return -1;
    for (int64_t i = 0; i < rows * d->d; i++)
        b->q[i] = rnd(&seed);
    if (make_cache(fmt, R * d->kv_heads, d->d, &seed, &b->k, &b->kb, d->kv_per_head, d->kv_heads) ||
        make_cache(fmt, R * d->kv_heads, d->dv, &seed, &b->v, &b->vb, d->kv_per_head, d->kv_heads))
        return -1;
    memset(qb, 0, sizeof *qb);
    qb->in[0] = b->q;
    qb->in_bytes[0] = (size_t)(rows * d->d) * sizeof(float);
    qb->in[1] = b->k;
    qb->in_bytes[1] = b->kb;
    qb->in[2] = b->v;
    qb->in_bytes[2] = b->vb;
    qb->out[0] = b->y;
    qb->out_bytes[0] = (size_t)(rows * d->dv) * sizeof(float);
    return 0;
}

static void bufs_free(bufs *b)
{
    free(b->q);
    free(b->k);
    free(b->v);
    free(b->y);
}

/* Median seconds of run+sync over at least min_time seconds and 5 samples. */
static int time_call(const qcts_backend *be, const qcts_attention_desc *d, const qcts_buffers *qb, double min_time,
                     double *sec)
{
    qcts_call *call = NULL;
    char msg[512];
    if (be->attention(d, qb, &call, msg, sizeof msg) != QCTS_OK) {
        fprintf(stderr, "bench attention: %s\n", msg);
        return -1;
    }
    double s[4096];
    int n = 0;
    double t_end = qcts_now() + min_time;
    be->run(call, msg, sizeof msg);   /* warm-up */
    if (be->sync)
        be->sync(call, msg, sizeof msg);
    while (n < 4096 && (n < 5 || qcts_now() < t_end)) {
        double t0 = qcts_now();
        if (be->run(call, msg, sizeof msg) != QCTS_OK || (be->sync && be->sync(call, msg, sizeof msg) != QCTS_OK)) {
            fprintf(stderr, "bench attention: %s\n", msg);
            be->release(call);
            return -1;
        }
        s[n++] = qcts_now() - t0;
    }
    be->release(call);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && s[j - 1] > s[j]; j--) {
            double x = s[j];
            s[j] = s[j - 1];
            s[j - 1] = x;
        }
    *sec = s[n / 2];
    return 0;
}

/* The kernel against the reference bound on a short context of this format. */
static int precheck(const qcts_backend *be, const model *m, const char *fmt)
{
    qcts_attention_desc d;
    desc_for(&d, m, fmt, 1, 300, 1);
    bufs b;
    qcts_buffers qb;
    int rc = -1;
    if (make_bufs(&d, 7, &b, &qb) == 0) {
        qcts_call *call = NULL;
        char msg[512];
        if (be->attention(&d, &qb, &call, msg, sizeof msg) == QCTS_OK && be->run(call, msg, sizeof msg) == QCTS_OK &&
            (!be->sync || be->sync(call, msg, sizeof msg) == QCTS_OK) &&
            (!be->fetch || be->fetch(call, msg, sizeof msg) == QCTS_OK)) {
            qref_attention a = { 1, d.q_heads, d.kv_heads, 1, 300, d.d, d.dv, 1, 0, 0, d.scale, 0, 0, 0, 0, 1 };
            int64_t n = (int64_t)d.q_heads * d.dv;
            float *y = malloc((size_t)n * 4), *bd = malloc((size_t)n * 4);
            qref_attn_io io = { 0 };
            io.q = b.q;
            io.k = (qref_attn_cache){ d.kv_scheme[0] ? qref_scheme_find(d.kv_scheme) : NULL,
                                      d.kv_dtype == QCTS_DT_F32 ? QREF_FMT_F32 : d.kv_dtype == QCTS_DT_F16 ? QREF_FMT_F16
                                                                                                        : QREF_FMT_BF16,
                                      d.kv_per_head, b.k, b.kb };
            io.v = io.k;
            io.v.data = b.v;
            io.v.bytes = b.vb;
            io.out_dtype = QREF_FMT_F32;
            io.y = y;
            io.bound_y = bd;
            qref_error e;
            if (y && bd && qref_attention_run(&a, &io, &e) == QREF_OK) {
                rc = 0;
                for (int64_t i = 0; i < n; i++) {
                    float diff = ((float *)b.y)[i] - y[i];
                    if (!(diff <= bd[i] && -diff <= bd[i]))
                        rc = -1;
                }
            }
            free(y);
            free(bd);
        }
        if (call)
            be->release(call);
    }
    bufs_free(&b);
    return rc;
}

int qcts_bench_attention(const char *backend, int threads, double min_time, int quick)
{
    char err[512];
    qcts_backend_handle *h = NULL;
    if (qcts_backend_open(backend, &h, err, sizeof err) != QCTS_OK) {
        fprintf(stderr, "bench attention: %s\n", err);
        return 1;
    }
    const qcts_backend *be = qcts_backend_get(h);
    if (!be->attention) {
        fprintf(stderr, "bench attention: backend %s has no attention\n", backend);
        qcts_backend_close(h);
        return 1;
    }
    qcts_roofline rf;
    qcts_roofline_probe(&rf, quick);
    int all = threads > 1;
    const char *isa = NULL;
    double peak = qcts_roofline_fma_best(&rf, all, &isa);
    double read = rf.read_gbs[all];
    printf("attention bench: backend %s, threads %d; read ceiling %.1f GB/s, FMA peak %.1f GFLOP/s (%s)\n",
           backend, threads, read, peak, isa ? isa : "?");
    printf("\n| model | KV format | context | time (ms) | KV MB | KV GB/s | %% of read | attn tok/s (all layers) |\n");
    printf("|---|---|---|---|---|---|---|---|\n");
    static const int ctx[2] = { 4096, 32768 };
    const char *only = getenv("QCTS_BENCH_ATTN_FORMATS");   /* comma-separated subset (profiling) */
    for (const char *const *f = FORMATS; *f; f++) {
        if (only && only[0]) {
            char pat[64];
            snprintf(pat, sizeof pat, ",%s,", *f);
            char lst[512];
            snprintf(lst, sizeof lst, ",%s,", only);
            if (!strstr(lst, pat))
                continue;
        }
        if (precheck(be, &MODELS[0], *f) != 0) {
            printf("| - | %s | - | not timed: fails the reference bound or unsupported | | | | |\n", *f);
            continue;
        }
        for (int c = 0; c < 2; c++) {
            qcts_attention_desc d;
            desc_for(&d, &MODELS[0], *f, 1, ctx[c], threads);
            bufs b;
            qcts_buffers qb;
            double sec;
            if (make_bufs(&d, 11 + (uint64_t)c, &b, &qb) != 0 || time_call(be, &d, &qb, min_time, &sec) != 0) {
                bufs_free(&b);
                continue;
            }
            double mb = (double)(b.kb + b.vb) / 1e6, gbs = (double)(b.kb + b.vb) / sec / 1e9;
            for (size_t mi = 0; mi < sizeof MODELS / sizeof *MODELS; mi++)
                printf("| %s | %s | %d | %.3f | %.1f | %.1f | %.0f%% | %.1f |\n", MODELS[mi].name, *f, ctx[c],
                       sec * 1e3, mb, gbs, 100.0 * gbs / read, 1.0 / (sec * MODELS[mi].layers));
            bufs_free(&b);
            fflush(stdout);
        }
    }
    printf("\n| model | prefill | KV | time (ms) | GFLOP/s | %% of FMA peak |\n|---|---|---|---|---|---|\n");
    for (size_t mi = 0; mi < 1; mi++) {
        int S = 1024;
        qcts_attention_desc d;
        desc_for(&d, &MODELS[mi], "f16", S, S, threads);
        bufs b;
        qcts_buffers qb;
        double sec;
        if (make_bufs(&d, 5, &b, &qb) == 0 && time_call(be, &d, &qb, min_time, &sec) == 0) {
            double pairs = (double)S * (S + 1) / 2;
            double gf = 4.0 * d.q_heads * d.d * pairs / sec / 1e9;
            printf("| Llama-3.1-8B / Qwen3-4B | %d x %d causal | f16 | %.2f | %.1f | %.0f%% |\n", S, S, sec * 1e3, gf,
                   100.0 * gf / peak);
        }
        bufs_free(&b);
    }
    qcts_backend_close(h);
    return 0;
}

int qcts_bench_attention_cli(int argc, char **argv)
{
    const char *backend = "avx2";
    int threads = 1, quick = 0;
    double min_time = 0.3;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--backend") && i + 1 < argc)
            backend = argv[++i];
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--min-time") && i + 1 < argc)
            min_time = atof(argv[++i]);
        else if (!strcmp(argv[i], "--quick-roofline"))
            quick = 1;
        else {
            fprintf(stderr, "usage: qcts bench attention [--backend B] [--threads N] [--min-time S] "
                            "[--quick-roofline]\n");
            return 2;
        }
    }
    if (threads < 1 || threads > 256 || !(min_time > 0 && min_time < 60)) {
        fprintf(stderr, "qcts bench attention: --threads 1..256, --min-time in (0, 60)\n");
        return 2;
    }
    return qcts_bench_attention(backend, threads, min_time, quick);
}
