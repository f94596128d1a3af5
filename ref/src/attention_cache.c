/* Shapes, validation and KV-cache access of the reference attention
 * (qref/attention.h). The caches are dequantized one KV head at a time into
 * exact hi + lo doubles, so a 32k-token cache costs R·d·16 bytes per head,
 * never the whole cache at once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attention_impl.h"
#include "qref/fmt.h"

static int mul_ok(int64_t a, int64_t b, int64_t *out)
{
    if (a < 0 || b < 0 || (a && b > INT64_MAX / a))
        return 0;
    *out = a * b;
    return 1;
}

int64_t qref_attention_rows(const qref_attention *a)
{
    int64_t x, y;
    if (!mul_ok(a->batch, a->q_heads, &x) || !mul_ok(x, a->seq_q, &y))
        return -1;
    return y;
}

int64_t qref_attention_pages_per_seq(const qref_attention *a)
{
    if (a->page_size <= 0)
        return 0;
    return (a->seq_kv + a->page_size - 1) / a->page_size;
}

int64_t qref_attention_cache_rows(const qref_attention *a)
{
    int64_t r;
    if (a->page_size > 0)
        return mul_ok(a->pages, a->page_size, &r) ? r : -1;
    return mul_ok(a->batch, a->seq_kv, &r) ? r : -1;
}

static void set_err(qref_error *err, const char *msg)
{
    if (!err)
        return;
    err->row = -1;
    err->block = -1;
    snprintf(err->msg, sizeof err->msg, "%s", msg);
}

static size_t plain_size(qref_fmt f)
{
    return f == QREF_FMT_F32 ? 4 : (f == QREF_FMT_F16 || f == QREF_FMT_BF16) ? 2 : 0;
}

qref_status qref_attention_cache_bytes(const qref_attention *a, const qref_attn_cache *c, int64_t cols,
                                       size_t *bytes, qref_error *err)
{
    int64_t R = qref_attention_cache_rows(a), n, m;
    if (R <= 0) {
        set_err(err, "attention: the cache has no rows or its size overflows");
        return QREF_ERR_SIZE;
    }
    if (!c->scheme) {
        size_t es = plain_size(c->dtype);
        if (!es) {
            set_err(err, "attention: a plain KV cache must be f32, f16 or bf16");
            return QREF_ERR_ARG;
        }
        if (!mul_ok(R, a->kv_heads, &n) || !mul_ok(n, cols, &m) || !mul_ok(m, (int64_t)es, &n)) {
            set_err(err, "attention: KV cache size overflows");
            return QREF_ERR_SIZE;
        }
        *bytes = (size_t)n;
        return QREF_OK;
    }
    qref_qsizes z;
    qref_status st;
    if (c->per_head) {
        st = qref_qsizes_get(c->scheme, R, cols, &z, err);
        if (st != QREF_OK)
            return st;
        if (z.total > (size_t)INT64_MAX / (size_t)a->kv_heads) {
            set_err(err, "attention: KV cache size overflows");
            return QREF_ERR_SIZE;
        }
        *bytes = z.total * (size_t)a->kv_heads;
        return QREF_OK;
    }
    if (!mul_ok(R, a->kv_heads, &n)) {
        set_err(err, "attention: KV cache size overflows");
        return QREF_ERR_SIZE;
    }
    st = qref_qsizes_get(c->scheme, n, cols, &z, err);
    if (st == QREF_OK)
        *bytes = z.total;
    return st;
}

#define BAD(...)                                                       \
    do {                                                               \
        if (err) {                                                     \
            err->row = -1;                                             \
            err->block = -1;                                           \
            snprintf(err->msg, sizeof err->msg, __VA_ARGS__);          \
        }                                                              \
        return QREF_ERR_SIZE;                                          \
    } while (0)

qref_status qref_attention_check(const qref_attention *a, const qref_attn_io *io, qref_error *err)
{
    if (!a || !io || !io->q || !io->k.data || !io->v.data || !io->y) {
        set_err(err, "attention: NULL descriptor, q, k, v or y");
        return QREF_ERR_ARG;
    }
    if (a->batch < 1 || a->batch > QREF_ATTN_MAX_DIM)
        BAD("attention: batch is %lld, expected 1..%d", (long long)a->batch, QREF_ATTN_MAX_DIM);
    if (a->q_heads < 1 || a->q_heads > QREF_ATTN_MAX_HEADS)
        BAD("attention: q_heads is %lld, expected 1..%d", (long long)a->q_heads, QREF_ATTN_MAX_HEADS);
    if (a->kv_heads < 1 || a->kv_heads > a->q_heads || a->q_heads % a->kv_heads)
        BAD("attention: kv_heads is %lld, expected a divisor of q_heads %lld", (long long)a->kv_heads,
            (long long)a->q_heads);
    if (a->seq_q < 1 || a->seq_q > QREF_ATTN_MAX_SEQ)
        BAD("attention: seq_q is %lld, expected 1..%d", (long long)a->seq_q, QREF_ATTN_MAX_SEQ);
    if (a->seq_kv < 1 || a->seq_kv > QREF_ATTN_MAX_SEQ)
        BAD("attention: seq_kv is %lld, expected 1..%d", (long long)a->seq_kv, QREF_ATTN_MAX_SEQ);
    if (a->d < 1 || a->d > QREF_ATTN_MAX_HEAD_DIM || a->dv < 1 || a->dv > QREF_ATTN_MAX_HEAD_DIM)
        BAD("attention: head dims %lld / %lld, expected 1..%d", (long long)a->d, (long long)a->dv,
            QREF_ATTN_MAX_HEAD_DIM);
    if (a->diff && a->d % 2)
        BAD("attention: differential attention needs an even qk head dim, got %lld", (long long)a->d);
    if (a->window < 0 || a->window > QREF_ATTN_MAX_SEQ)
        BAD("attention: window is %lld, expected 0..%d", (long long)a->window, QREF_ATTN_MAX_SEQ);
    if (a->splits < 1 || a->splits > a->seq_kv)
        BAD("attention: splits is %lld, expected 1..seq_kv %lld", (long long)a->splits, (long long)a->seq_kv);
    if (!(a->scale == a->scale) || a->scale - a->scale != 0.0f)
        BAD("attention: scale must be finite");
    if (a->diff && (!(a->lambda == a->lambda) || a->lambda - a->lambda != 0.0f))
        BAD("attention: lambda must be finite");
    if (a->tree && !io->tree_mask)
        BAD("attention: tree mask requested but none given");
    if (io->out_dtype != QREF_FMT_F32 && io->out_dtype != QREF_FMT_F16 && io->out_dtype != QREF_FMT_BF16)
        BAD("attention: output dtype must be f32, f16 or bf16");
    if (a->diff && (io->lse || io->probs))
        BAD("attention: lse and probs are not defined for differential attention");
    if (a->page_size < 0 || a->page_size > QREF_ATTN_MAX_SEQ)
        BAD("attention: page_size is %lld, expected 0..%d", (long long)a->page_size, QREF_ATTN_MAX_SEQ);
    if (a->page_size > 0) {
        if (a->pages < 1 || a->pages > QREF_ATTN_MAX_SEQ)
            BAD("attention: pages is %lld, expected 1..%d", (long long)a->pages, QREF_ATTN_MAX_SEQ);
        if (!io->block_table)
            BAD("attention: paged cache without a block table");
        int64_t pps = qref_attention_pages_per_seq(a);
        for (int64_t i = 0; i < a->batch * pps; i++)
            if (io->block_table[i] < 0 || io->block_table[i] >= a->pages)
                BAD("attention: block_table[%lld][%lld] is %d, expected 0..%lld", (long long)(i / pps),
                    (long long)(i % pps), (int)io->block_table[i], (long long)a->pages - 1);
    }
    int64_t rows = qref_attention_rows(a), R = qref_attention_cache_rows(a);
    if (rows < 0 || R < 0 || R > INT64_MAX / (a->kv_heads * QREF_ATTN_MAX_HEAD_DIM))
        BAD("attention: sizes overflow");
    size_t kb, vb;
    qref_status st = qref_attention_cache_bytes(a, &io->k, a->d, &kb, err);
    if (st != QREF_OK)
        return st;
    st = qref_attention_cache_bytes(a, &io->v, a->dv, &vb, err);
    if (st != QREF_OK)
        return st;
    if (io->k.bytes != kb)
        BAD("attention: K cache is %zu bytes, expected %zu", io->k.bytes, kb);
    if (io->v.bytes != vb)
        BAD("attention: V cache is %zu bytes, expected %zu", io->v.bytes, vb);
    return QREF_OK;
}

int qref_attention_visible(const qref_attention *a, const uint32_t *tree_mask, int64_t b, int64_t i, int64_t j)
{
    int64_t pos = a->seq_kv - a->seq_q + i;
    if (j < 0 || j >= a->seq_kv)
        return 0;
    if (a->causal && j > pos)
        return 0;
    if (a->window > 0 && pos - j >= a->window)
        return 0;
    if (a->tree) {
        int64_t t = j - (a->seq_kv - a->seq_q);
        if (t >= 0) {
            int64_t words = (a->seq_q + 31) / 32;
            uint32_t w = tree_mask[(b * a->seq_q + i) * words + t / 32];
            if (!((w >> (t % 32)) & 1u))
                return 0;
        }
    }
    return 1;
}

int64_t qref_attn_cache_row(const qref_attention *a, const int32_t *block_table, int64_t b, int64_t t)
{
    if (a->page_size > 0) {
        int64_t pps = qref_attention_pages_per_seq(a);
        return (int64_t)block_table[b * pps + t / a->page_size] * a->page_size + t % a->page_size;
    }
    return b * a->seq_kv + t;
}

/* ---- one KV head, dequantized exactly -------------------------------------------- */

qref_status qref_attn_head_load(const qref_attention *a, const qref_attn_cache *c, int64_t cols, int64_t g,
                                double *hi, double *lo, qref_error *err)
{
    int64_t R = qref_attention_cache_rows(a);
    if (!c->scheme) {
        const uint8_t *p = (const uint8_t *)c->data;
        size_t es = plain_size(c->dtype);
        for (int64_t i = 0; i < R * cols; i++) {
            size_t off = ((size_t)(g * R) * (size_t)cols + (size_t)i) * es;
            double v;
            if (c->dtype == QREF_FMT_F32) {
                float f;
                memcpy(&f, p + off, 4);
                v = f;
            } else {
                uint16_t h = (uint16_t)(p[off] | (p[off + 1] << 8));
                v = c->dtype == QREF_FMT_F16 ? qref_f16_to_f32(h) : qref_bf16_to_f32(h);
            }
            hi[i] = v;
            lo[i] = 0;
        }
        return QREF_OK;
    }
    qref_qtensor t;
    qref_status st;
    int64_t row0;
    if (c->per_head) {
        size_t each = c->bytes / (size_t)a->kv_heads;
        st = qref_qtensor_load(c->scheme, R, cols, (const uint8_t *)c->data + each * (size_t)g, each, &t, err);
        row0 = 0;
    } else {
        st = qref_qtensor_load(c->scheme, R * a->kv_heads, cols, (const uint8_t *)c->data, c->bytes, &t, err);
        row0 = g * R;
    }
    if (st != QREF_OK)
        return st;
    for (int64_t r = 0; r < R && st == QREF_OK; r++)
        st = qref_dequantize_row_exact(&t, row0 + r, hi + r * cols, lo + r * cols, err);
    qref_qtensor_free(&t);
    return st;
}
