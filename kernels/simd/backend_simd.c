/* The `avx2` and `simd` backends (qcts/backend.h): dequant and gemm through
 * the kernel registries (dequant.inc, gemm.inc).
 *
 *   avx2  the AVX2 variants only: available() is 0 with the reason on a CPU
 *         without AVX2/FMA/F16C; a scheme without an AVX2 kernel is
 *         UNSUPPORTED (with the reason).
 *   simd  the best ISA for this CPU, resolved once (QCTS_FORCE_ISA
 *         overrides: scalar|avx2|avx512|neon); schemes without a kernel of
 *         that ISA use the generic (scalar) tier, so every scheme works.
 *
 * Dequant to f16/bf16: where the scheme's float32 values are exact
 * (qcts_scheme_f32_exact) the float32 kernel's output is rounded once;
 * otherwise the kernel runs in its round-to-odd mode (simd.h: qview.odd)
 * and that float32 value rounded to nearest even f16/bf16 is the single
 * rounding of the exact value.
 *
 *   avx512 the AVX-512 variants; a scheme without one runs its AVX2 kernel
 *         (every AVX-512 CPU runs AVX2; variant() names the kernel used).
 *   neon  the NEON variants; a scheme without one runs on the generic tier
 *         (variant() says so).
 *
 * GEMM: activations are widened to float32 (exact) per batch; M = 1 takes
 * the fused GEMV variant when there is one (of the ISA, then of its
 * fallback: qcts_gemm_variant_best); N is split over `threads` participants
 * of the persistent pool (parallel.c) in chunks of whole 16-row tiles (GEMV:
 * 4 rows); kernels compute each output in an order fixed by the shape, so
 * the bits never depend on the thread count or the chunks;
 * Dequant: rows over the pool too (QCTS_THREADS participants, default 1:
 * the dequant descriptor has no thread count);
 * f16/bf16 outputs are rounded once from float32 by the thread that
 * computed them. prepare validates the weights (as qref_qtensor_load) and
 * allocates everything; run only computes. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/simd/simd.h"
#include "kernels/simd/actq.h"
#include "kernels/simd/scratch_guard.h"
#include "qcts/case_call.h"
#include "kernels/backend_say.h"
#include "kernels/opcall.h"
#include "qcts/opdef.h"

#define MAX_THREADS 256

struct qcts_call {
    qcts_op op;
    qcts_isa isa;
    const char *who;            /* backend name, for messages */
    char scheme[96];
    qcts_dequant_desc dd;
    qcts_gemm_desc gd;
    qcts_op_io io;
    qcts_buffers b;
    const char *variant;
    const qcts_convert_ops *cv;
    qcts_qview *views;          /* one per batch */
    /* dequant */
    qcts_dequant_kernel dk;
    float *row;                 /* one row of float32 (dequant to f16/bf16) */
    /* gemm */
    qcts_gemm_kernel gk;
    int threads;
    int64_t align;              /* rows per unit of the split: 16 (panel tiles) or 4 (GEMV) */
    /* the private buffers below (scratch, a32, y32, row) have guard zones
     * (scratch_guard.h), checked after each run */
    void **scratch;             /* per thread */
    float *a32;                 /* M x K float32 activations (a_dtype != F32) */
    float *y32;                 /* M x N float32 results (out_dtype != F32) */
    qcts_actq *aq;              /* a_quant != NONE: the quantized activations (actq.h) */
    const qcts_actq_variant *aqv; /* its integer-dot kernel, NULL: the generic product */
};

static void call_free(qcts_call *c)
{
    if (!c)
        return;
    if (c->scratch)
        for (int t = 0; t < c->threads; t++)
            qcts_scratch_free(c->scratch[t]);
    free(c->scratch);
    free(c->views);
    qcts_scratch_free(c->row);
    qcts_scratch_free(c->a32);
    qcts_scratch_free(c->y32);
    qcts_actq_free(c->aq);
    free(c);
}

/* Named ISA backends (avx2, avx512) refuse a scheme they have no kernel
 * for; simd and neon run the generic tier instead. */
static int strict(const char *who) { return strcmp(who, "avx2") == 0 || strcmp(who, "avx512") == 0; }

/* QCTS_THREADS: participants for dequant (its descriptor has no thread
 * count); 1 when unset or not a number in [1, MAX_THREADS]. */
static int env_threads(void)
{
    const char *e = getenv("QCTS_THREADS");
    if (!e || !*e)
        return 1;
    char *end;
    long v = strtol(e, &end, 10);
    return *end || v < 1 || v > MAX_THREADS ? 1 : (int)v;
}

/* Common checks: desc and buffer sizes (qcts_op_io_get), desc copied. */
static qcts_status prepare_common(qcts_call *c, const void *desc, const char *scheme, const qcts_buffers *b,
                                  char *msg, size_t n)
{
    if (!scheme || strlen(scheme) >= sizeof c->scheme)
        return qcts_say(QCTS_ERROR, msg, n, "%s: missing or too long scheme name", c->who);
    strcpy(c->scheme, scheme);
    if (c->op == QCTS_OP_DEQUANT) {
        c->dd = *(const qcts_dequant_desc *)desc;
        c->dd.scheme = c->scheme;
        desc = &c->dd;
    } else {
        c->gd = *(const qcts_gemm_desc *)desc;
        c->gd.scheme = c->scheme;
        desc = &c->gd;
    }
    char e[QCTS_CASE_ERRLEN];
    if (qcts_op_io_get(c->op, desc, &c->io, e, sizeof e) != QCTS_OK)
        return qcts_say(QCTS_ERROR, msg, n, "%s: %s", c->who, e);
    for (int i = 0; i < c->io.n_in; i++) {
        const qcts_tensor_spec *s = &c->io.in[i];
        if (s->used && (!b->in[i] || b->in_bytes[i] < s->nbytes))
            return qcts_say(QCTS_ERROR, msg, n, "%s: input %d (%s) is %s: %zu bytes given, %zu needed", c->who, i,
                       s->name, b->in[i] ? "too small" : "NULL", b->in_bytes[i], s->nbytes);
    }
    for (int i = 0; i < c->io.n_out; i++) {
        const qcts_tensor_spec *s = &c->io.out[i];
        if (s->used && !(s->optional && !b->out[i]) && (!b->out[i] || b->out_bytes[i] < s->nbytes))
            return qcts_say(QCTS_ERROR, msg, n, "%s: output %d (%s) is %s: %zu bytes given, %zu needed", c->who, i,
                       s->name, b->out[i] ? "too small" : "NULL", b->out_bytes[i], s->nbytes);
    }
    c->b = *b;
    c->cv = qcts_convert_ops_for(c->isa);
    return QCTS_OK;
}

/* Views of `batch` tensors of rows x cols, validated. */
static qcts_status make_views(qcts_call *c, const uint8_t *w, size_t total_bytes, int64_t batch, int64_t rows,
                              int64_t cols, char *msg, size_t n)
{
    c->views = calloc((size_t)batch, sizeof *c->views);
    if (!c->views)
        return qcts_say(QCTS_ERROR, msg, n, "%s: out of memory", c->who);
    size_t each = total_bytes / (size_t)batch;
    for (int64_t i = 0; i < batch; i++) {
        char e[320];
        if (qcts_qview_init(&c->views[i], c->scheme, rows, cols, w + (size_t)i * each, each, e, sizeof e) != 0)
            return qcts_say(QCTS_ERROR, msg, n, "%s: weights (batch %lld): %s", c->who, (long long)i, e);
    }
    return QCTS_OK;
}

/* ---- dequant ------------------------------------------------------------------ */

static qcts_status do_dequant(qcts_isa isa, const char *who, const qcts_dequant_desc *d, const qcts_buffers *b,
                              qcts_call **call, char *msg, size_t n)
{
    *call = NULL;
    if (!d || !b)
        return qcts_say(QCTS_ERROR, msg, n, "%s: NULL desc or buffers", who);
    qcts_call *c = calloc(1, sizeof *c);
    if (!c)
        return qcts_say(QCTS_ERROR, msg, n, "%s: out of memory", who);
    c->op = QCTS_OP_DEQUANT;
    c->isa = isa;
    c->who = who;
    qcts_status st = prepare_common(c, d, d->scheme, b, msg, n);
    const qref_scheme *s = qref_scheme_find(c->scheme);
    const qcts_dequant_variant *v = NULL;
    if (st == QCTS_OK) {
        v = qcts_dequant_variant_best(isa, c->scheme);
        if (!v && strict(who))
            st = qcts_say(QCTS_UNSUPPORTED, msg, n,
                     "%s: no %s dequant kernel for scheme %s (kernels/simd/dequant.inc lists them)", who,
                     qcts_isa_name(isa), c->scheme);
    }
    if (st == QCTS_OK)
        st = make_views(c, b->in[0], c->io.in[0].nbytes, 1, c->dd.rows, c->dd.cols, msg, n);
    if (st == QCTS_OK) {
        c->dk = v ? v->fn : qcts_dequant_span__scalar;
        c->variant = v ? v->symbol : "qcts_dequant_span__scalar";
        c->threads = env_threads();
        if (c->threads > c->dd.rows)
            c->threads = c->dd.rows > 0 ? (int)c->dd.rows : 1;
        if (c->dd.out_dtype != QCTS_DT_F32) {
            c->views[0].odd = !qcts_scheme_f32_exact(s);
            if (!(c->row = qcts_scratch_alloc(sizeof(float) * (size_t)c->dd.cols * (size_t)c->threads)))
                st = qcts_say(QCTS_ERROR, msg, n, "%s: out of memory", who);
        }
    }
    if (st != QCTS_OK) {
        call_free(c);
        return st;
    }
    *call = c;
    return QCTS_OK;
}

static void dequant_worker(void *ctx, int t, int64_t lo, int64_t hi)
{
    const qcts_call *c = ctx;
    const qcts_qview *w = &c->views[0];
    const int64_t K = c->dd.cols;
    float *row = c->row ? c->row + (size_t)t * (size_t)K : NULL;
    for (int64_t r = lo; r < hi; r++) {
        if (c->dd.out_dtype == QCTS_DT_F32) {
            c->dk(w, r, 0, K, (float *)c->b.out[0] + r * K);
        } else {
            c->dk(w, r, 0, K, row);
            uint16_t *o = (uint16_t *)c->b.out[0] + r * K;
            if (c->dd.out_dtype == QCTS_DT_F16)
                c->cv->f32_to_f16(row, o, K);
            else
                c->cv->f32_to_bf16(row, o, K);
        }
    }
}

static qcts_status run_dequant(qcts_call *c, char *msg, size_t n)
{
    (void)msg;
    (void)n;
    qcts_parallel_for(c->threads, c->dd.rows, 1, dequant_worker, c);
    return QCTS_OK;
}

/* ---- gemm ------------------------------------------------------------------------- */

static qcts_status do_gemm(qcts_isa isa, const char *who, const qcts_gemm_desc *d, const qcts_buffers *b,
                           qcts_call **call, char *msg, size_t n)
{
    *call = NULL;
    if (!d || !b)
        return qcts_say(QCTS_ERROR, msg, n, "%s: NULL desc or buffers", who);
    qcts_call *c = calloc(1, sizeof *c);
    if (!c)
        return qcts_say(QCTS_ERROR, msg, n, "%s: out of memory", who);
    c->op = QCTS_OP_GEMM;
    c->isa = isa;
    c->who = who;
    qcts_status st = prepare_common(c, d, d->scheme, b, msg, n);
    const qcts_gemm_variant *v = NULL;
    if (st == QCTS_OK && c->gd.a_quant != QCTS_AQ_NONE) {   /* actq.h; never run as if it were NONE */
        char why[256];
        if (c->gd.a_group != 0)
            st = qcts_say(QCTS_UNSUPPORTED, msg, n, "%s: a_group %d (grouped activation scales) is reserved: 0 only",
                          who, (int)c->gd.a_group);
        else if (!qcts_actq_pair_ok(c->gd.a_quant, qref_scheme_find(c->scheme), why, sizeof why))
            st = qcts_say(QCTS_UNSUPPORTED, msg, n, "%s: %s", who, why);
        else
            c->aqv = qcts_actq_variant_best(isa, c->gd.a_quant, c->scheme, c->gd.K);
    }
    if (st == QCTS_OK && c->gd.a_quant == QCTS_AQ_NONE) {
        v = qcts_gemm_variant_best(isa, c->scheme, c->gd.M == 1);
        if (!v && strict(who))
            st = qcts_say(QCTS_UNSUPPORTED, msg, n,
                     "%s: no %s GEMM kernel for scheme %s (kernels/simd/gemm.inc lists them)", who,
                     qcts_isa_name(isa), c->scheme);
    }
    if (st == QCTS_OK)
        st = make_views(c, b->in[1], c->io.in[1].nbytes, c->gd.batch, c->gd.N, c->gd.K, msg, n);
    if (st == QCTS_OK) {
        const qcts_gemm_desc *g = &c->gd;
        c->gk = v ? v->fn : qcts_gemm__scalar;
        c->variant = v ? v->symbol : "qcts_gemm__scalar";
        c->threads = g->threads < 1 ? 1 : g->threads > MAX_THREADS ? MAX_THREADS : g->threads;
        c->align = v && v->mr == 1 ? 4 : 16;
        if (g->a_quant != QCTS_AQ_NONE) {   /* every mode x scheme pair: its kernel or the generic product */
            c->gk = c->aqv ? c->aqv->fn : qcts_actq_gemm__scalar;
            c->variant = c->aqv ? c->aqv->symbol : "qcts_actq_gemm__scalar";
            c->align = 4;
        }
        int64_t tiles = (g->N + c->align - 1) / c->align;
        if (c->threads > tiles)
            c->threads = (int)tiles;
        c->scratch = calloc((size_t)c->threads, sizeof *c->scratch);
        int ok = c->scratch != NULL;
        size_t sb = qcts_gemm_scratch_bytes(g->M, g->K);
        if (g->a_quant != QCTS_AQ_NONE) {
            sb = sizeof(float) * (size_t)g->K + 64;   /* the generic product's weight row */
            ok = ok && (c->aq = qcts_actq_new(g->a_quant, g->M, g->K)) != NULL;
        }
        for (int t = 0; ok && t < c->threads; t++)
            ok = (c->scratch[t] = qcts_scratch_alloc(sb)) != NULL;
        if (ok && g->a_dtype != QCTS_DT_F32)
            ok = (c->a32 = qcts_scratch_alloc(sizeof(float) * (size_t)(g->M * g->K))) != NULL;
        if (ok && g->out_dtype != QCTS_DT_F32)
            ok = (c->y32 = qcts_scratch_alloc(sizeof(float) * (size_t)(g->M * g->N))) != NULL;
        if (!ok)
            st = qcts_say(QCTS_ERROR, msg, n, "%s: out of memory", who);
    }
    if (st != QCTS_OK) {
        call_free(c);
        return st;
    }
    *call = c;
    return QCTS_OK;
}

typedef struct gemm_job {
    const qcts_call *c;
    const qcts_gemm_args *g;
    void *out;                  /* out_dtype != F32: this batch's Y */
    int64_t ldy;
} gemm_job;

static void gemm_worker(void *ctx, int t, int64_t lo, int64_t hi)
{
    const gemm_job *j = ctx;
    const qcts_call *c = j->c;
    if (hi <= lo)
        return;
    c->gk(j->g, lo, hi, c->scratch[t]);
    if (j->out) {
        for (int64_t m = 0; m < j->g->M; m++) {
            const float *src = j->g->y + m * j->g->ldy + lo;
            uint16_t *dst = (uint16_t *)j->out + m * j->ldy + lo;
            if (c->gd.out_dtype == QCTS_DT_F16)
                c->cv->f32_to_f16(src, dst, hi - lo);
            else
                c->cv->f32_to_bf16(src, dst, hi - lo);
        }
    }
}

static qcts_status run_gemm(qcts_call *c, char *msg, size_t n)
{
    (void)msg;
    (void)n;
    const qcts_gemm_desc *d = &c->gd;
    const int64_t M = d->M, N = d->N, K = d->K;
    const int64_t lda = d->lda ? d->lda : K, ldy = d->ldy ? d->ldy : N;
    for (int64_t bt = 0; bt < d->batch; bt++) {
        qcts_gemm_args g = { .w = &c->views[bt], .M = M };
        if (d->a_dtype == QCTS_DT_F32) {
            g.a = (const float *)c->b.in[0] + bt * M * lda;
            g.lda = lda;
        } else {
            const uint16_t *a = (const uint16_t *)c->b.in[0] + bt * M * lda;
            for (int64_t m = 0; m < M; m++) {
                if (d->a_dtype == QCTS_DT_F16)
                    c->cv->f16_to_f32(a + m * lda, c->a32 + m * K, K);
                else
                    c->cv->bf16_to_f32(a + m * lda, c->a32 + m * K, K);
            }
            g.a = c->a32;
            g.lda = K;
        }
        gemm_job j = { c, &g, NULL, ldy };
        if (d->out_dtype == QCTS_DT_F32) {
            g.y = (float *)c->b.out[0] + bt * M * ldy;
            g.ldy = ldy;
        } else {
            g.y = c->y32;
            g.ldy = N;
            j.out = (uint16_t *)c->b.out[0] + bt * M * ldy;
        }
        g.bias = d->has_bias ? (const float *)c->b.in[2] + bt * N : NULL;
        if (c->aq) {   /* once per batch, before the split: the codes never depend on the threads */
            qcts_actq_quantize(c->aq, g.a, g.lda);
            qcts_actq_layout(c->aq, c->aqv);
            g.aq = c->aq;
        }
        qcts_parallel_for(c->threads, N, c->align, gemm_worker, &j);
    }
    return QCTS_OK;
}

/* ---- lifecycle -------------------------------------------------------------------- */

/* The calls of convert, quantize (convert_slot.c) and of the ops after GEMM
 * are qcts_opcall objects (kernels/opcall.h). */
static int is_opcall(const qcts_call *c)
{
    return c->op == QCTS_OP_CONVERT || c->op == QCTS_OP_QUANTIZE || qcts_opdef_get(c->op) != NULL;
}

/* After a dequant or GEMM run: QCTS_ERROR naming the private buffer whose
 * guard zone changed (a kernel wrote outside it; scratch_guard.h). */
static qcts_status guards_check(const qcts_call *c, qcts_status st, char *msg, size_t n)
{
    const char *what = NULL;
    int t = -1;
    if (!qcts_scratch_intact(c->a32))
        what = "a32 (M x K float32 activations)";
    else if (!qcts_scratch_intact(c->y32))
        what = "y32 (M x N float32 results)";
    else if (!qcts_scratch_intact(c->row))
        what = "row (float32 dequant rows)";
    else if (c->scratch)
        for (t = 0; t < c->threads && qcts_scratch_intact(c->scratch[t]); t++)
            ;
    if (!what && c->scratch && t < c->threads)
        what = "scratch (per-thread kernel scratch)";
    if (!what)
        return st;
    if (t >= 0 && t < c->threads)
        return qcts_say(QCTS_ERROR, msg, n, "%s: %s wrote outside its private buffer %s of thread %d "
                        "(guard zone changed)", c->who, c->variant, what, t);
    return qcts_say(QCTS_ERROR, msg, n, "%s: %s or the conversions wrote outside the private buffer %s "
                    "(guard zone changed)", c->who, c->variant, what);
}

static qcts_status simd_run(qcts_call *c, char *msg, size_t n)
{
    switch (c->op) {
    case QCTS_OP_DEQUANT: return guards_check(c, run_dequant(c, msg, n), msg, n);
    case QCTS_OP_GEMM: return guards_check(c, run_gemm(c, msg, n), msg, n);
    default:
        if (is_opcall(c))   /* convert, quantize and the ops after GEMM: kernels/opcall.h */
            return qcts_opcall_run(c, msg, n);
        return qcts_say(QCTS_ERROR, msg, n, "%s: op %d has no run", c->who, (int)c->op);
    }
}

static void simd_release(qcts_call *c)
{
    if (c && is_opcall(c))
        qcts_opcall_release(c);
    else
        call_free(c);
}

static const char *simd_variant(const qcts_call *c)
{
    return c ? (is_opcall(c) ? qcts_opcall_variant(c) : c->variant) : NULL;
}

/* ---- avx2, avx512, neon: one ISA each ------------------------------------------- */

#define ISA_BACKEND(lname, ISA, DESC, OPS)                                                            \
    static int lname##_available(char *why, size_t n)                                              \
    {                                                                                               \
        return qcts_isa_built(ISA, why, n) && qcts_isa_cpu_ok(ISA, why, n);                        \
    }                                                                                               \
    static qcts_status lname##_dequant(const qcts_dequant_desc *d, const qcts_buffers *b, qcts_call **call, \
                                       char *msg, size_t n)                                         \
    {                                                                                               \
        char why[256];                                                                              \
        if (!lname##_available(why, sizeof why))                                                    \
            return qcts_say(QCTS_UNAVAILABLE, msg, n, "%s", why);                                   \
        return do_dequant(ISA, #lname, d, b, call, msg, n);                                         \
    }                                                                                               \
    static qcts_status lname##_gemm(const qcts_gemm_desc *d, const qcts_buffers *b, qcts_call **call, char *msg, \
                                    size_t n)                                                       \
    {                                                                                               \
        char why[256];                                                                              \
        if (!lname##_available(why, sizeof why))                                                    \
            return qcts_say(QCTS_UNAVAILABLE, msg, n, "%s", why);                                   \
        return do_gemm(ISA, #lname, d, b, call, msg, n);                                            \
    }                                                                                               \
    static qcts_status lname##_convert(const qcts_convert_desc *d, const qcts_buffers *b, qcts_call **call, \
                                       char *msg, size_t n)                                         \
    {                                                                                               \
        char why[256];                                                                              \
        *call = NULL;                                                                               \
        if (!lname##_available(why, sizeof why))                                                    \
            return qcts_say(QCTS_UNAVAILABLE, msg, n, "%s", why);                                   \
        return qcts_simd_convert_slot(ISA, #lname, d, b, call, msg, n);                             \
    }                                                                                               \
    static qcts_status lname##_quantize(const qcts_quantize_desc *d, const qcts_buffers *b, qcts_call **call, \
                                        char *msg, size_t n)                                        \
    {                                                                                               \
        char why[256];                                                                              \
        *call = NULL;                                                                               \
        if (!lname##_available(why, sizeof why))                                                    \
            return qcts_say(QCTS_UNAVAILABLE, msg, n, "%s", why);                                   \
        return qcts_simd_quantize_slot(ISA, #lname, d, b, call, msg, n);                            \
    }                                                                                               \
    static const qcts_backend lname##_backend = {                                                   \
        .abi_version = QCTS_BACKEND_ABI_VERSION,                                                    \
        .struct_size = sizeof(qcts_backend),                                                        \
        .name = #lname,                                                                             \
        .description = DESC,                                                                        \
        .flags = 0,                                                                                 \
        .available = lname##_available,                                                             \
        .variant = simd_variant,                                                                    \
        .convert = lname##_convert,                                                                 \
        .quantize = lname##_quantize,                                                               \
        .dequant = lname##_dequant,                                                                 \
        .gemm = lname##_gemm,                                                                       \
        OPS                                                                                         \
        .run = simd_run,                                                                            \
        .release = simd_release,                                                                    \
    };                                                                                              \
    const qcts_backend *qcts_backend_##lname##_entry(void) { return &lname##_backend; }

/* The ops after GEMM that have AVX2 kernels (kernels/opcall.h and the op
 * owners' files); the avx512 backend offers them too (every AVX-512 CPU
 * runs AVX2 code; their variant names say avx2). */
#if QCTS_SIMD_X86
#define AVX2_REST_OPS .rope = qcts_avx2_rope, .sampling = qcts_avx2_sampling, .moe_route = qcts_avx2_moe_route, \
                      .moe_dispatch = qcts_avx2_moe_dispatch, .moe_experts = qcts_avx2_moe_experts,
#define AVX2_OPS .attention = qcts_avx2_attention, .hadamard = qcts_avx2_hadamard, .norm = qcts_avx2_norm, \
                 .softmax = qcts_avx2_softmax, AVX2_REST_OPS
/* avx512: its own attention, Hadamard, norm and softmax; the other ops after
 * GEMM run their AVX2 code */
#define AVX512_OPS .attention = qcts_avx512_attention, .hadamard = qcts_avx512_hadamard, \
                   .norm = qcts_avx512_norm, .softmax = qcts_avx512_softmax, AVX2_REST_OPS
#else
#define AVX2_OPS .attention = qcts_avx2_attention,
#define AVX512_OPS .attention = qcts_avx512_attention,
#endif
/* neon: kernels/simd/op_slots.c (NEON code where it has some, the generic
 * tier otherwise). */
#define NEON_OPS .attention = qcts_neon_attention, .rope = qcts_neon_rope, .norm = qcts_neon_norm,              \
                 .softmax = qcts_neon_softmax, .hadamard = qcts_neon_hadamard, .sampling = qcts_neon_sampling, \
                 .moe_route = qcts_neon_moe_route, .moe_dispatch = qcts_neon_moe_dispatch,                  \
                 .moe_experts = qcts_neon_moe_experts,

ISA_BACKEND(avx2, QCTS_ISA_AVX2,
            "x86-64 AVX2 + FMA + F16C kernels: dequant, fused dequant-GEMV, panel GEMM and every op after GEMM "
            "(thread pool); convert: vector f16/bf16, the rest and quantize on the generic tier", AVX2_OPS)
ISA_BACKEND(avx512, QCTS_ISA_AVX512,
            "x86-64 AVX-512 F/BW/DQ/VL kernels: dequant, fused dequant-GEMV, panel GEMM, attention, Hadamard, norm, softmax (thread pool); "
            "schemes without an AVX-512 kernel, and the other ops, run their AVX2 code; convert: vector f16/bf16, "
            "the rest and quantize on the generic tier", AVX512_OPS)
ISA_BACKEND(neon, QCTS_ISA_NEON,
            "AArch64 AdvSIMD kernels: dequant, fused dequant-GEMV, panel GEMM (thread pool); "
            "attention, RoPE, norm, softmax, Hadamard, MoE experts; schemes without a NEON kernel, MoE route/dispatch, "
            "sampling, quantize and convert other than f16/bf16 run the generic tier", NEON_OPS)

/* ---- simd ------------------------------------------------------------------------- */

static int simd_available(char *why, size_t n)
{
    qcts_isa isa;
    if (qcts_simd_isa(&isa, why, n) != 0)
        return 0;
    if (why && n)
        why[0] = '\0';
    return 1;
}

static qcts_status simd_dequant(const qcts_dequant_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                                size_t n)
{
    qcts_isa isa;
    char why[256];
    if (qcts_simd_isa(&isa, why, sizeof why) != 0)
        return qcts_say(QCTS_UNAVAILABLE, msg, n, "simd: %s", why);
    return do_dequant(isa, "simd", d, b, call, msg, n);
}

static qcts_status simd_gemm(const qcts_gemm_desc *d, const qcts_buffers *b, qcts_call **call, char *msg, size_t n)
{
    qcts_isa isa;
    char why[256];
    if (qcts_simd_isa(&isa, why, sizeof why) != 0)
        return qcts_say(QCTS_UNAVAILABLE, msg, n, "simd: %s", why);
    return do_gemm(isa, "simd", d, b, call, msg, n);
}

static qcts_status simd_convert(const qcts_convert_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                                size_t n)
{
    qcts_isa isa;
    char why[256];
    *call = NULL;
    if (qcts_simd_isa(&isa, why, sizeof why) != 0)
        return qcts_say(QCTS_UNAVAILABLE, msg, n, "simd: %s", why);
    return qcts_simd_convert_slot(isa, "simd", d, b, call, msg, n);
}

static qcts_status simd_quantize(const qcts_quantize_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                                 size_t n)
{
    qcts_isa isa;
    char why[256];
    *call = NULL;
    if (qcts_simd_isa(&isa, why, sizeof why) != 0)
        return qcts_say(QCTS_UNAVAILABLE, msg, n, "simd: %s", why);
    return qcts_simd_quantize_slot(isa, "simd", d, b, call, msg, n);
}

static qcts_backend simd_backend;
static char simd_description[384];
static pthread_once_t simd_backend_once = PTHREAD_ONCE_INIT;

static void simd_backend_init(void)
{
    snprintf(simd_description, sizeof simd_description,
             "best SIMD kernels for this CPU, generic scalar code for the rest (QCTS_FORCE_ISA overrides): %s",
             qcts_simd_isa_note());
    simd_backend = (qcts_backend){
        .abi_version = QCTS_BACKEND_ABI_VERSION,
        .struct_size = sizeof(qcts_backend),
        .name = "simd",
        .description = simd_description,
        .flags = 0,
        .available = simd_available,
        .variant = simd_variant,
        .convert = simd_convert,
        .quantize = simd_quantize,
        .dequant = simd_dequant,
        .gemm = simd_gemm,
        /* the ISA's slots of the ops after GEMM, chosen per call (op_slots.c) */
        .attention = qcts_simd_attention,
        .rope = qcts_simd_rope,
        .norm = qcts_simd_norm,
        .softmax = qcts_simd_softmax,
        .hadamard = qcts_simd_hadamard,
        .moe_route = qcts_simd_moe_route,
        .moe_dispatch = qcts_simd_moe_dispatch,
        .moe_experts = qcts_simd_moe_experts,
        .sampling = qcts_simd_sampling,
        .run = simd_run,
        .release = simd_release,
    };
}

const qcts_backend *qcts_backend_simd_entry(void)
{
    pthread_once(&simd_backend_once, simd_backend_init);
    return &simd_backend;
}

qcts_status qcts_simd_call(qcts_isa isa, qcts_op op, const void *desc, const qcts_buffers *b, const char **variant,
                           char *msg, size_t n)
{
    qcts_call *c = NULL;
    qcts_status st;
    if (op == QCTS_OP_DEQUANT)
        st = do_dequant(isa, "simd", desc, b, &c, msg, n);
    else if (op == QCTS_OP_GEMM)
        st = do_gemm(isa, "simd", desc, b, &c, msg, n);
    else
        st = qcts_say(QCTS_UNSUPPORTED, msg, n, "simd: op %d is not implemented", (int)op);
    if (st != QCTS_OK)
        return st;
    if (variant)
        *variant = c->variant;
    st = simd_run(c, msg, n);
    call_free(c);
    return st;
}
