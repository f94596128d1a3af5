/* op_attention.c — the attention op's definition (qcts/opdef.h): params <->
 * descriptor, the buffer slots (qcts/op_attention.h) and the call. */
#include "op_attention.h"

#include <string.h>

#include "op_json.h"
#include "qref/scheme.h"

static int float_dt(int32_t dt) { return dt == QCTS_DT_F32 || dt == QCTS_DT_F16 || dt == QCTS_DT_BF16; }

static qref_fmt to_fmt(int32_t dt)
{
    return dt == QCTS_DT_F16 ? QREF_FMT_F16 : dt == QCTS_DT_BF16 ? QREF_FMT_BF16 : QREF_FMT_F32;
}

static int finite_f(float x) { return x == x && x - x == 0.0f; }

void qcts_attention_shape(const qcts_attention_desc *d, qref_attention *a)
{
    memset(a, 0, sizeof *a);
    a->batch = d->batch;
    a->q_heads = d->q_heads;
    a->kv_heads = d->kv_heads;
    a->seq_q = d->seq_q;
    a->seq_kv = d->seq_kv;
    a->d = d->d;
    a->dv = d->dv;
    a->causal = d->causal;
    a->window = d->window;
    a->tree = d->tree;
    a->scale = d->scale;
    a->diff = d->diff;
    a->lambda = d->lambda;
    a->page_size = d->page_size;
    a->pages = d->page_size > 0 ? d->pages : 0;
    a->splits = d->splits;
}

static void cache_of(const qcts_attention_desc *d, qref_attn_cache *c)
{
    memset(c, 0, sizeof *c);
    if (d->kv_scheme[0]) {
        c->scheme = qref_scheme_find(d->kv_scheme);
        c->per_head = d->kv_per_head;
    } else {
        c->dtype = to_fmt(d->kv_dtype);
    }
}

#define RANGE(field, lo, hi)                                                                              \
    do {                                                                                                  \
        if (d->field < (lo) || d->field > (hi))                                                           \
            return op_fail(err, errlen, "attention: " #field " is %d, expected %lld..%lld", (int)d->field, \
                           (long long)(lo), (long long)(hi));                                             \
    } while (0)

static qcts_status attention_io(const void *desc, qcts_op_io *io, char *err, size_t errlen)
{
    const qcts_attention_desc *d = desc;
    RANGE(batch, 1, 4096);
    RANGE(q_heads, 1, 1024);
    RANGE(kv_heads, 1, d->q_heads);
    if (d->q_heads % d->kv_heads)
        return op_fail(err, errlen, "attention: kv_heads %d must divide q_heads %d", d->kv_heads, d->q_heads);
    RANGE(seq_q, 1, 1 << 20);
    RANGE(seq_kv, 1, 1 << 20);
    RANGE(d, 1, 1024);
    RANGE(dv, 1, 1024);
    RANGE(causal, 0, 1);
    RANGE(window, 0, 1 << 20);
    RANGE(tree, 0, 1);
    RANGE(diff, 0, 1);
    RANGE(kv_per_head, 0, 1);
    RANGE(page_size, 0, 1 << 20);
    RANGE(splits, 1, d->seq_kv);
    RANGE(want_lse, 0, 1);
    RANGE(want_probs, 0, 1);
    RANGE(threads, 0, 1024);
    if (d->page_size > 0)
        RANGE(pages, 1, 1 << 20);
    if (d->diff && d->d % 2)
        return op_fail(err, errlen, "attention: differential attention needs an even d, got %d", d->d);
    if (d->diff && (d->want_lse || d->want_probs))
        return op_fail(err, errlen, "attention: lse and probs are not defined for differential attention");
    if (!finite_f(d->scale))
        return op_fail(err, errlen, "attention: scale must be finite");
    if (d->diff && !finite_f(d->lambda))
        return op_fail(err, errlen, "attention: lambda must be finite");
    if (!float_dt(d->out_dtype))
        return op_fail(err, errlen, "attention: out_dtype must be f32, f16 or bf16");
    if (memchr(d->kv_scheme, 0, sizeof d->kv_scheme) == NULL)
        return op_fail(err, errlen, "attention: kv_scheme is not NUL-terminated");
    if (d->kv_scheme[0] && !qref_scheme_find(d->kv_scheme))
        return op_fail(err, errlen, "attention: unknown kv_scheme '%s' (qcts list schemes)", d->kv_scheme);
    if (!d->kv_scheme[0] && !float_dt(d->kv_dtype))
        return op_fail(err, errlen, "attention: kv_dtype must be f32, f16 or bf16 when kv_scheme is empty");
    qref_attention a;
    qcts_attention_shape(d, &a);
    qref_attn_cache kc, vc;
    cache_of(d, &kc);
    cache_of(d, &vc);
    size_t kb, vb;
    qref_error e;
    if (qref_attention_cache_bytes(&a, &kc, d->d, &kb, &e) != QREF_OK ||
        qref_attention_cache_bytes(&a, &vc, d->dv, &vb, &e) != QREF_OK)
        return op_fail(err, errlen, "attention: KV cache: %s", e.msg);
    int64_t R = qref_attention_cache_rows(&a), pps = qref_attention_pages_per_seq(&a);
    memset(io, 0, sizeof *io);
    io->n_in = 5;
    io->n_out = d->want_probs ? 3 : d->want_lse ? 2 : 1;
    int bad = op_spec(&io->in[0], "q", QCTS_DT_F32, 0, 4, d->batch, d->q_heads, d->seq_q, d->d);
    if (d->kv_scheme[0]) {
        bad |= op_spec(&io->in[1], "k", QCTS_DT_U8, 0, 1, (int64_t)kb, 0, 0, 0);
        bad |= op_spec(&io->in[2], "v", QCTS_DT_U8, 0, 1, (int64_t)vb, 0, 0, 0);
    } else {
        bad |= op_spec(&io->in[1], "k", (qcts_dtype)d->kv_dtype, 0, 3, d->kv_heads, R, d->d, 0);
        bad |= op_spec(&io->in[2], "v", (qcts_dtype)d->kv_dtype, 0, 3, d->kv_heads, R, d->dv, 0);
    }
    if (d->page_size > 0)
        bad |= op_spec(&io->in[3], "block_table", QCTS_DT_I32, 0, 2, d->batch, pps, 0, 0);
    else
        io->in[3].name = "block_table";
    if (d->tree)
        bad |= op_spec(&io->in[4], "tree_mask", QCTS_DT_U32, 0, 3, d->batch, d->seq_q, (d->seq_q + 31) / 32, 0);
    else
        io->in[4].name = "tree_mask";
    bad |= op_spec(&io->out[0], "y", (qcts_dtype)d->out_dtype, 0, 4, d->batch, d->q_heads, d->seq_q, d->dv);
    if (d->want_lse)
        bad |= op_spec(&io->out[1], "lse", QCTS_DT_F32, 0, 3, d->batch, d->q_heads, d->seq_q, 0);
    else
        io->out[1].name = "lse";
    if (d->want_probs)
        bad |= op_spec(&io->out[2], "probs", QCTS_DT_F32, 0, 4, d->batch, d->q_heads, d->seq_q, d->seq_kv);
    else
        io->out[2].name = "probs";
    if (bad)
        return op_fail(err, errlen, "attention: tensor sizes overflow");
    return QCTS_OK;
}

int qcts_attention_io(const qcts_attention_desc *d, const qcts_buffers *b, qref_attention *a, qref_attn_io *io,
                      char *err, size_t errlen)
{
    qcts_op_io oi;
    if (attention_io(d, &oi, err, errlen) != QCTS_OK)
        return -1;
    for (int i = 0; i < oi.n_in; i++)
        if (oi.in[i].used && (!b->in[i] || b->in_bytes[i] < oi.in[i].nbytes)) {
            op_fail(err, errlen, "attention: input %s is %s (%zu bytes needed)", oi.in[i].name,
                    b->in[i] ? "too small" : "missing", oi.in[i].nbytes);
            return -1;
        }
    for (int i = 0; i < oi.n_out; i++)
        if (oi.out[i].used && (!b->out[i] || b->out_bytes[i] < oi.out[i].nbytes)) {
            op_fail(err, errlen, "attention: output %s is %s (%zu bytes needed)", oi.out[i].name,
                    b->out[i] ? "too small" : "missing", oi.out[i].nbytes);
            return -1;
        }
    qcts_attention_shape(d, a);
    memset(io, 0, sizeof *io);
    io->q = b->in[0];
    cache_of(d, &io->k);
    cache_of(d, &io->v);
    io->k.data = b->in[1];
    io->k.bytes = oi.in[1].nbytes;
    io->v.data = b->in[2];
    io->v.bytes = oi.in[2].nbytes;
    io->block_table = d->page_size > 0 ? b->in[3] : NULL;
    io->tree_mask = d->tree ? b->in[4] : NULL;
    io->out_dtype = to_fmt(d->out_dtype);
    io->y = b->out[0];
    io->lse = d->want_lse ? b->out[1] : NULL;
    io->probs = d->want_probs ? b->out[2] : NULL;
    qref_error e;
    if (qref_attention_check(a, io, &e) != QREF_OK) {
        op_fail(err, errlen, "%s", e.msg);
        return -1;
    }
    return 0;
}

/* ---- params ---------------------------------------------------------------------- */

static const char *const DTYPES[] = { "f32", "f16", "bf16", NULL };

static qcts_status attention_from_json(const cJSON *p, void *desc, char *err, size_t errlen)
{
    qcts_attention_desc *d = desc;
    int64_t v;
    double x;
    int32_t e;
#define INT(key, req, dflt, lo, hi)                                               \
    do {                                                                          \
        if (op_json_int(p, #key, req, dflt, lo, hi, &v, err, errlen))             \
            return QCTS_ERROR;                                                    \
        d->key = (int32_t)v;                                                      \
    } while (0)
    INT(batch, 1, 1, 1, 4096);
    INT(q_heads, 1, 1, 1, 1024);
    INT(kv_heads, 1, 1, 1, 1024);
    INT(seq_q, 1, 1, 1, 1 << 20);
    INT(seq_kv, 1, 1, 1, 1 << 20);
    INT(d, 1, 1, 1, 1024);
    INT(dv, 0, d->d, 1, 1024);
    INT(window, 0, 0, 0, 1 << 20);
    INT(page_size, 0, 0, 0, 1 << 20);
    INT(pages, 0, 0, 0, 1 << 20);
    INT(splits, 0, 1, 1, 1 << 20);
    INT(threads, 0, 1, 0, 1024);
#undef INT
    if (op_json_bool(p, "causal", 0, &d->causal, err, errlen) || op_json_bool(p, "tree", 0, &d->tree, err, errlen) ||
        op_json_bool(p, "diff", 0, &d->diff, err, errlen) ||
        op_json_bool(p, "kv_per_head", 0, &d->kv_per_head, err, errlen) ||
        op_json_bool(p, "want_lse", 0, &d->want_lse, err, errlen) ||
        op_json_bool(p, "want_probs", 0, &d->want_probs, err, errlen))
        return QCTS_ERROR;
    if (op_json_double(p, "scale", 1, 0, -1e30, 1e30, &x, err, errlen))
        return QCTS_ERROR;
    d->scale = (float)x;
    if (op_json_double(p, "lambda", 0, 0, -1e30, 1e30, &x, err, errlen))
        return QCTS_ERROR;
    d->lambda = (float)x;
    if (op_json_str(p, "kv_scheme", "", d->kv_scheme, sizeof d->kv_scheme, err, errlen))
        return QCTS_ERROR;
    if (d->kv_scheme[0] && !qref_scheme_find(d->kv_scheme))
        return op_fail(err, errlen, "params.kv_scheme: unknown scheme '%s' (qcts list schemes)", d->kv_scheme);
    if (op_json_enum(p, "kv_dtype", "f32", DTYPES, &e, err, errlen))
        return QCTS_ERROR;
    d->kv_dtype = e == 0 ? QCTS_DT_F32 : e == 1 ? QCTS_DT_F16 : QCTS_DT_BF16;
    if (op_json_enum(p, "out_dtype", "f32", DTYPES, &e, err, errlen))
        return QCTS_ERROR;
    d->out_dtype = e == 0 ? QCTS_DT_F32 : e == 1 ? QCTS_DT_F16 : QCTS_DT_BF16;
    return QCTS_OK;
}

static const char *dt_name(int32_t dt) { return dt == QCTS_DT_F16 ? "f16" : dt == QCTS_DT_BF16 ? "bf16" : "f32"; }

static int attention_to_json(const void *desc, cJSON *p)
{
    const qcts_attention_desc *d = desc;
    int r = 0;
    r |= op_set_int(p, "batch", d->batch);
    r |= op_set_int(p, "q_heads", d->q_heads);
    r |= op_set_int(p, "kv_heads", d->kv_heads);
    r |= op_set_int(p, "seq_q", d->seq_q);
    r |= op_set_int(p, "seq_kv", d->seq_kv);
    r |= op_set_int(p, "d", d->d);
    r |= op_set_int(p, "dv", d->dv);
    r |= op_set_bool(p, "causal", d->causal);
    r |= op_set_int(p, "window", d->window);
    r |= op_set_bool(p, "tree", d->tree);
    r |= op_set_double(p, "scale", d->scale);
    r |= op_set_bool(p, "diff", d->diff);
    r |= op_set_double(p, "lambda", d->lambda);
    r |= op_set_str(p, "kv_scheme", d->kv_scheme);
    r |= op_set_str(p, "kv_dtype", dt_name(d->kv_dtype));
    r |= op_set_bool(p, "kv_per_head", d->kv_per_head);
    r |= op_set_int(p, "page_size", d->page_size);
    r |= op_set_int(p, "pages", d->pages);
    r |= op_set_int(p, "splits", d->splits);
    r |= op_set_str(p, "out_dtype", dt_name(d->out_dtype));
    r |= op_set_bool(p, "want_lse", d->want_lse);
    r |= op_set_bool(p, "want_probs", d->want_probs);
    r |= op_set_int(p, "threads", d->threads);
    return r ? -1 : 0;
}

static void attention_describe(const void *desc, char *buf, size_t n)
{
    const qcts_attention_desc *d = desc;
    snprintf(buf, n,
             "attention batch %d q_heads %d kv_heads %d seq_q %d seq_kv %d d %d dv %d%s%s%s window %d kv %s%s "
             "page %d splits %d out %s",
             d->batch, d->q_heads, d->kv_heads, d->seq_q, d->seq_kv, d->d, d->dv, d->causal ? " causal" : "",
             d->tree ? " tree" : "", d->diff ? " diff" : "", d->window,
             d->kv_scheme[0] ? d->kv_scheme : dt_name(d->kv_dtype), d->kv_per_head ? " per-head" : "",
             d->page_size, d->splits, dt_name(d->out_dtype));
}

static const char *attention_scheme(const void *desc)
{
    const qcts_attention_desc *d = desc;
    return d->kv_scheme[0] ? d->kv_scheme : dt_name(d->kv_dtype);
}

static qcts_status attention_call(const qcts_backend *be, const void *desc, const qcts_buffers *b, qcts_call **c,
                                  char *m, size_t n)
{
    return be->attention((const qcts_attention_desc *)desc, b, c, m, n);
}

static int attention_has(const qcts_backend *be) { return be->attention != NULL; }

static int32_t attention_threads(void *desc, int32_t n)
{
    qcts_attention_desc *d = desc;
    int32_t old = d->threads;
    if (n > 0)
        d->threads = n;
    return old;
}

const qcts_opdef qcts_opdef_attention = { QCTS_OP_ATTENTION, "attention", sizeof(qcts_attention_desc),
                                          attention_io, attention_from_json, attention_to_json,
                                          attention_describe, attention_scheme, attention_call, attention_has,
                                          attention_threads };
