/* The attention slots of the avx2 and neon backends: validate the
 * descriptor and buffers (every block-table entry, the quantized caches'
 * data), resolve the KV scheme to a dequant kernel of the ISA and build the
 * plan once at prepare; run calls the ISA's flash kernel
 * (attention_flash.inc: qcts_attention__avx2 / __neon). Built for the
 * baseline target (this is dispatch, not kernel code): on a CPU or build
 * without the ISA the slot answers UNAVAILABLE. avx2 (and avx512, which
 * falls back to the AVX2 dequant kernels): a scheme without a dequant kernel
 * is UNSUPPORTED (SKIP); neon: such a scheme's KV rows
 * are dequantized by the generic tier (qcts_dequant_span__scalar). */
#include <stdlib.h>
#include <string.h>

#include "kernels/backend_say.h"
#include "kernels/opcall.h"
#include "kernels/ops/op_attention.h"
#include "kernels/simd/simd.h"
#if QCTS_SIMD_X86 || QCTS_SIMD_ARM64
#include "kernels/simd/avx2/attention.h"
#define HAVE_ATTN_KERNEL 1
#else
#define HAVE_ATTN_KERNEL 0
#endif

#if HAVE_ATTN_KERNEL
typedef struct avx2_attn {
    qcts_opcall h;    /* first (kernels/opcall.h) */
    qcts_attention_desc d;
    qcts_buffers b;
    qcts_attn_plan pl;
    qcts_qview *views[2];
    int (*kernel)(const qcts_attn_plan *pl);
    const char *who;
} avx2_attn;

static void attn_free(avx2_attn *s)
{
    if (!s)
        return;
    free(s->views[0]);
    free(s->views[1]);
    free(s);
}

static void attn_release(qcts_opcall *c) { attn_free((avx2_attn *)c); }

static qcts_status attn_run(qcts_opcall *c, char *msg, size_t n)
{
    avx2_attn *s = (avx2_attn *)c;
    if (s->kernel(&s->pl) != 0)
        return qcts_say(QCTS_ERROR, msg, n, "%s: attention: out of memory or a thread failed to start", s->who);
    return QCTS_OK;
}


static qcts_status make_cache(avx2_attn *s, qcts_isa isa, int kv, const qcts_attention_desc *d,
                              const qref_attn_cache *rc, char *msg, size_t n)
{
    qcts_attn_cache *c = &s->pl.cache[kv];
    int64_t cols = kv ? d->dv : d->d, R = s->pl.R;
    c->data = rc->data;
    c->dtype = d->kv_scheme[0] ? QCTS_DT_U8 : (qcts_dtype)d->kv_dtype;
    if (!rc->scheme)
        return QCTS_OK;
    const qcts_dequant_variant *dv =
        isa == QCTS_ISA_AVX2 ? qcts_dequant_variant_find(isa, d->kv_scheme) : qcts_dequant_variant_best(isa, d->kv_scheme);
    if (!dv && isa != QCTS_ISA_NEON)
        return qcts_say(QCTS_UNSUPPORTED, msg, n, "%s: attention: no %s dequant kernel for KV scheme %s", s->who,
                        qcts_isa_name(isa), d->kv_scheme);
    if (dv && cols % dv->block)
        return qcts_say(QCTS_UNSUPPORTED, msg, n, "%s: attention: head dim %lld is not a multiple of %s's block %d",
                        s->who, (long long)cols, dv->symbol, dv->block);
    int nv = rc->per_head ? d->kv_heads : 1;
    c->view = calloc((size_t)nv, sizeof *c->view);
    s->views[kv] = c->view;
    if (!c->view)
        return qcts_say(QCTS_ERROR, msg, n, "%s: out of memory", s->who);
    size_t each = rc->bytes / (size_t)nv;
    for (int h = 0; h < nv; h++) {
        char why[256];
        if (qcts_qview_init(&c->view[h], d->kv_scheme, rc->per_head ? R : R * d->kv_heads, cols,
                            (const uint8_t *)rc->data + each * (size_t)h, each, why, sizeof why) != 0)
            return qcts_say(QCTS_ERROR, msg, n, "%s: attention: %s cache: %s", s->who, kv ? "V" : "K", why);
    }
    c->per_head = rc->per_head;
    c->kernel = dv ? dv->fn : qcts_dequant_span__scalar;
    return QCTS_OK;
}
#endif

static qcts_status attn_make(qcts_isa isa, const char *who, int (*kernel)(const qcts_attn_plan *pl),
                             const char *variant, const qcts_attention_desc *d, const qcts_buffers *b, qcts_call **call,
                             char *msg, size_t n)
{
    *call = NULL;
    char why[256];
    if (!qcts_isa_built(isa, why, sizeof why) || !qcts_isa_cpu_ok(isa, why, sizeof why))
        return qcts_say(QCTS_UNAVAILABLE, msg, n, "%s", why);
#if HAVE_ATTN_KERNEL
    qcts_status st;
    avx2_attn *s = QCTS_OPCALL_NEW(avx2_attn, QCTS_OP_ATTENTION, who, attn_run, attn_release, variant, d, b, NULL,
                                   &st, msg, n);
    if (!s)
        return st;
    s->kernel = kernel;
    s->who = who;
    qref_attention a;
    qref_attn_io io;
    char e[256];
    if (qcts_attention_io(d, b, &a, &io, e, sizeof e)) {
        attn_free(s);
        return qcts_say(QCTS_ERROR, msg, n, "%s: %s", who, e);
    }
    qcts_attn_plan *pl = &s->pl;
    pl->batch = a.batch;
    pl->q_heads = a.q_heads;
    pl->kv_heads = a.kv_heads;
    pl->seq_q = a.seq_q;
    pl->seq_kv = a.seq_kv;
    pl->d = a.d;
    pl->dv = a.dv;
    pl->R = qref_attention_cache_rows(&a);
    pl->causal = a.causal;
    pl->tree = a.tree;
    pl->diff = a.diff;
    pl->window = a.window;
    pl->page_size = a.page_size;
    pl->pps = qref_attention_pages_per_seq(&a);
    pl->splits = a.splits;
    pl->scale = a.scale;
    pl->lambda = a.lambda;
    pl->q = io.q;
    pl->block_table = io.block_table;
    pl->tree_mask = io.tree_mask;
    pl->out_dtype = (qcts_dtype)d->out_dtype;
    pl->y = io.y;
    pl->lse = io.lse;
    pl->probs = io.probs;
    pl->threads = d->threads < 1 ? 1 : d->threads > 64 ? 64 : d->threads;
    st = make_cache(s, isa, 0, d, &io.k, msg, n);
    if (st == QCTS_OK)
        st = make_cache(s, isa, 1, d, &io.v, msg, n);
    if (st != QCTS_OK) {
        attn_free(s);
        return st;
    }
    *call = (qcts_call *)(void *)s;
    return QCTS_OK;
#else
    (void)kernel, (void)variant, (void)d, (void)b;
    return qcts_say(QCTS_UNAVAILABLE, msg, n, "%s: no attention kernel in this build", who);
#endif
}

#if !QCTS_SIMD_X86
#define qcts_attention__avx2 NULL
#define qcts_attention__avx512 NULL
#endif
#if !QCTS_SIMD_ARM64
#define qcts_attention__neon NULL
#endif

qcts_status qcts_avx2_attention(const qcts_attention_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                                size_t n)
{
    return attn_make(QCTS_ISA_AVX2, "avx2", qcts_attention__avx2, "qcts_attention__avx2", d, b, call, msg, n);
}

/* The avx512 backend's attention (AVX-512 primitives; KV schemes without an
 * AVX-512 dequant kernel use their AVX2 one). */
qcts_status qcts_avx512_attention(const qcts_attention_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                                  size_t n)
{
    return attn_make(QCTS_ISA_AVX512, "avx512", qcts_attention__avx512, "qcts_attention__avx512", d, b, call, msg,
                     n);
}

/* The neon backend's attention (kernels/simd/op_slots.c calls it). */
qcts_status qcts_neon_attention_flash(const qcts_attention_desc *d, const qcts_buffers *b, qcts_call **call,
                                      char *msg, size_t n)
{
    return attn_make(QCTS_ISA_NEON, "neon", qcts_attention__neon, "qcts_attention__neon", d, b, call, msg, n);
}
