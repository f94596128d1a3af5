/* `qcts quality attention`: what a quantized KV cache does to attention.
 * For each KV format, K and V are quantized with the scheme (token rows;
 * fp8 per-tensor presets with one scale per KV head) and the reference
 * attention (qref_attention_run, exact dequantization, double) is compared
 * with the same attention on the unquantized float32 cache:
 *   NMSE    Σ (y − y0)² / Σ y0² over every output element
 *   cosine  of y and y0 as vectors
 *   KL      mean over query rows of KL(p0 || p) of the attention
 *           probabilities, in nats
 * The distribution is meant to look like a real decode step: Llama-3.1-8B /
 * Qwen3-4B heads (32 query heads, 8 KV heads, head dim 128, scale
 * 1/sqrt(128)), 1024 cached tokens, the last 8 positions as queries
 * (causal); q and V gaussian N(0, 1); K gaussian with 4 outlier channels
 * (×8, the same channels in every token and head, as LLM keys have them:
 * the reason per-token and per-channel KV quantizers differ). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qref/attention.h"
#include "qref/scheme.h"

static uint64_t sm(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

/* Box–Muller from two 53-bit uniforms. */
static double gauss(uint64_t *s)
{
    double u = ((double)(sm(s) >> 11) + 0.5) * 0x1p-53, v = (double)(sm(s) >> 11) * 0x1p-53;
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

static const char *const FORMATS[] = { "f16",           "bf16",           "fp8_e4m3_per_tensor", "fp8_e5m2_per_tensor",
                                       "fp8_e4m3_per_channel", "int8_per_channel", "mxfp8_e4m3", "gguf_q8_0",
                                       "gguf_q4_0",     "gguf_q4_1",      "int4_sym_g128", "int4_asym_g128",
                                       "nf4_g64",       "fp4_g32_f16",    "mxfp4",         "nvfp4",
                                       "int3_asym_g128", "int2_asym_g64", NULL };

typedef struct kvbuf {
    uint8_t *k, *v;
    size_t kb, vb;
} kvbuf;

static int quant(const char *fmt, const float *x, int64_t heads, int64_t R, int64_t cols, int per_head, uint8_t **out,
                 size_t *len, qref_attn_cache *c)
{
    memset(c, 0, sizeof *c);
    size_t n = (size_t)(heads * R * cols);
    if (!strcmp(fmt, "f16") || !strcmp(fmt, "bf16")) {
        uint16_t *h = malloc(n * 2);
        if (!h)
            return -1;
        for (size_t i = 0; i < n; i++)
            h[i] = fmt[0] == 'f' ? qref_f32_to_f16(x[i]) : qref_f32_to_bf16(x[i]);
        *out = (uint8_t *)h;
        *len = n * 2;
        c->dtype = fmt[0] == 'f' ? QREF_FMT_F16 : QREF_FMT_BF16;
    } else {
        const qref_scheme *s = qref_scheme_find(fmt);
        int parts = per_head ? (int)heads : 1;
        int64_t rows = per_head ? R : heads * R;
        *out = NULL;
        *len = 0;
        for (int p = 0; p < parts; p++) {
            qref_qtensor t;
            qref_error e;
            if (!s || qref_quantize(s, rows, cols, x + (size_t)p * (size_t)(rows * cols), &t, &e) != QREF_OK)
                return -1;
            uint8_t *nb = realloc(*out, *len + t.sizes.total);
            if (!nb)
                return -1;
            *out = nb;
            qref_qtensor_save(&t, *out + *len, t.sizes.total);
            *len += t.sizes.total;
            qref_qtensor_free(&t);
        }
        c->scheme = s;
        c->per_head = per_head;
    }
    c->data = *out;
    c->bytes = *len;
    return 0;
}

int qcts_quality_attention(FILE *out, uint64_t seed)
{
    qref_attention a = { .batch = 1, .q_heads = 32, .kv_heads = 8, .seq_q = 8, .seq_kv = 1024, .d = 128,
                         .dv = 128, .causal = 1, .scale = 0.08838834764831845f, .splits = 1 };
    int64_t R = a.seq_kv, H = a.kv_heads, rows = a.q_heads * a.seq_q;
    size_t nk = (size_t)(H * R * a.d), ny = (size_t)(rows * a.dv), np = (size_t)(rows * a.seq_kv);
    float *q = malloc((size_t)(rows * a.d) * 4), *k = malloc(nk * 4), *v = malloc(nk * 4), *y = malloc(ny * 4);
    double *y0 = malloc(ny * 8), *p0 = malloc(np * 8), *y1 = malloc(ny * 8), *p1 = malloc(np * 8);
    if (!q || !k || !v || !y || !y0 || !p0 || !y1 || !p1)
        return 1;
    uint64_t s = seed;
    for (int64_t i = 0; i < rows * a.d; i++)
        q[i] = (float)gauss(&s);
    static const int outl[4] = { 7, 42, 77, 100 };
    for (size_t i = 0; i < nk; i++) {
        k[i] = (float)gauss(&s);
        v[i] = (float)gauss(&s);
    }
    for (size_t r = 0; r < nk / (size_t)a.d; r++)
        for (int o = 0; o < 4; o++)
            k[r * (size_t)a.d + (size_t)outl[o]] *= 8.0f;
    qref_attn_io io = { 0 };
    io.q = q;
    io.k = (qref_attn_cache){ NULL, QREF_FMT_F32, 0, k, nk * 4 };
    io.v = (qref_attn_cache){ NULL, QREF_FMT_F32, 0, v, nk * 4 };
    io.out_dtype = QREF_FMT_F32;
    io.y = y;
    io.y_exact = y0;
    io.probs_exact = p0;
    qref_error e;
    if (qref_attention_run(&a, &io, &e) != QREF_OK) {
        fprintf(stderr, "quality attention: %s\n", e.msg);
        return 1;
    }
    fprintf(out, "attention with a quantized KV cache (reference, exact dequantization): 32 q heads, 8 KV heads, "
                 "d 128, 1024 tokens, 8 causal queries; q, V ~ N(0,1), K ~ N(0,1) with 4 outlier channels x8; "
                 "seed %llu\n\n",
            (unsigned long long)seed);
    fprintf(out, "| KV format | scales | KV bits/value | output NMSE | output cosine | probs KL (nats) |\n");
    fprintf(out, "|---|---|---|---|---|---|\n");
    for (const char *const *f = FORMATS; *f; f++) {
        int per_head = !strcmp(*f, "fp8_e4m3_per_tensor") || !strcmp(*f, "fp8_e5m2_per_tensor");
        kvbuf kb = { 0 };
        qref_attn_io qi = io;
        if (quant(*f, k, H, R, a.d, per_head, &kb.k, &kb.kb, &qi.k) ||
            quant(*f, v, H, R, a.dv, per_head, &kb.v, &kb.vb, &qi.v)) {
            fprintf(out, "| %s | - | - | cannot quantize | | |\n", *f);
            free(kb.k);
            free(kb.v);
            continue;
        }
        qi.y_exact = y1;
        qi.probs_exact = p1;
        if (qref_attention_run(&a, &qi, &e) != QREF_OK) {
            fprintf(out, "| %s | - | - | %s | | |\n", *f, e.msg);
            free(kb.k);
            free(kb.v);
            continue;
        }
        double se = 0, s0 = 0, dot = 0, s1 = 0, kl = 0;
        for (size_t i = 0; i < ny; i++) {
            se += (y1[i] - y0[i]) * (y1[i] - y0[i]);
            s0 += y0[i] * y0[i];
            s1 += y1[i] * y1[i];
            dot += y0[i] * y1[i];
        }
        for (int64_t r = 0; r < rows; r++)
            for (int64_t j = 0; j < a.seq_kv; j++) {
                double p = p0[r * a.seq_kv + j], pq = p1[r * a.seq_kv + j];
                if (p > 0)
                    kl += p * log(p / (pq > 0 ? pq : 1e-300));
            }
        const char *sc = per_head ? "per head" : strstr(*f, "per_channel") ? "per token"
                       : (!strcmp(*f, "f16") || !strcmp(*f, "bf16")) ? "none" : "per group";
        double bits = 8.0 * (double)(kb.kb + kb.vb) / (double)(2 * nk);
        fprintf(out, "| %s | %s | %.2f | %.3e | %.6f | %.3e |\n", *f, sc, bits, se / s0, dot / sqrt(s0 * s1),
                kl / (double)rows);
        free(kb.k);
        free(kb.v);
        fflush(out);
    }
    free(q);
    free(k);
    free(v);
    free(y);
    free(y0);
    free(p0);
    free(y1);
    free(p1);
    return 0;
}
