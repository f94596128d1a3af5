/* op_sampling.c — the sampling op's definition (qcts/opdef.h; the
 * descriptor and its slots: qcts/op_sampling.h). */
#include <string.h>

#include "op_json.h"

static int finite_f(float x) { return x - x == 0.0f; }

static qcts_status sampling_io(const void *desc, qcts_op_io *io, char *err, size_t errlen)
{
    const qcts_sampling_desc *d = desc;
    if (d->rows < 1 || d->rows > ((int64_t)1 << 32))
        return op_fail(err, errlen, "sampling: rows is %lld, expected 1..2^32", (long long)d->rows);
    if (d->vocab < 1 || d->vocab > (1 << 24))
        return op_fail(err, errlen, "sampling: vocab is %d, expected 1..2^24", (int)d->vocab);
    if (d->hist_len < 0 || d->hist_len > (1 << 24))
        return op_fail(err, errlen, "sampling: hist_len is %d, expected 0..2^24", (int)d->hist_len);
    if (!finite_f(d->temperature) || d->temperature < 0)
        return op_fail(err, errlen, "sampling: temperature must be 0 or finite > 0");
    if (!finite_f(d->rep_penalty) || !(d->rep_penalty > 0))
        return op_fail(err, errlen, "sampling: rep_penalty must be finite > 0");
    if (!finite_f(d->presence_penalty) || !finite_f(d->freq_penalty))
        return op_fail(err, errlen, "sampling: presence_penalty and freq_penalty must be finite");
    if (d->top_k < 0)
        return op_fail(err, errlen, "sampling: top_k is %d, expected >= 0", (int)d->top_k);
    if (!(d->top_p >= 0 && d->top_p <= 1) || !(d->min_p >= 0 && d->min_p <= 1))
        return op_fail(err, errlen, "sampling: top_p and min_p must lie in [0, 1]");
    if (d->logits_dtype != QCTS_DT_F32 && d->logits_dtype != QCTS_DT_F16 && d->logits_dtype != QCTS_DT_BF16)
        return op_fail(err, errlen, "sampling: logits_dtype is %d, expected f32, f16 or bf16", (int)d->logits_dtype);
    if ((d->want_probs != 0 && d->want_probs != 1) || d->threads < 0)
        return op_fail(err, errlen, "sampling: want_probs must be 0 or 1 and threads >= 0");
    memset(io, 0, sizeof *io);
    io->n_in = 3;
    io->n_out = d->want_probs ? 2 : 1;   /* probs exists only when asked for */
    if (op_spec(&io->in[0], "logits", (qcts_dtype)d->logits_dtype, 0, 2, d->rows, d->vocab, 0, 0) ||
        op_spec(&io->in[1], "history", QCTS_DT_I32, 0, 2, d->rows, d->hist_len, 0, 0) ||
        op_spec(&io->in[2], "u", QCTS_DT_F32, 0, 1, d->rows, 0, 0, 0) ||
        op_spec(&io->out[0], "token", QCTS_DT_I32, 0, 1, d->rows, 0, 0, 0) ||
        (d->want_probs && op_spec(&io->out[1], "probs", QCTS_DT_F32, 1, 2, d->rows, d->vocab, 0, 0)))
        return op_fail(err, errlen, "sampling: rows %lld x vocab %d overflows", (long long)d->rows, (int)d->vocab);
    io->in[1].used = d->hist_len > 0;
    return QCTS_OK;
}

/* A misspelt key ("topk") must not silently become a default. */
static qcts_status only_known_keys(const cJSON *p, char *err, size_t errlen)
{
    static const char *const known[] = { "rows", "vocab", "hist_len", "temperature", "rep_penalty", "presence_penalty", "freq_penalty", "top_k", "top_p", "min_p", "logits_dtype", "want_probs", "threads", "bound_c", NULL };
    for (const cJSON *it = p ? p->child : NULL; it; it = it->next) {
        int ok = 0;
        for (int i = 0; known[i] && !ok; i++)
            ok = it->string && strcmp(it->string, known[i]) == 0;
        if (!ok)
            return op_fail(err, errlen, "params.%s is not a parameter of sampling", it->string ? it->string : "?");
    }
    return QCTS_OK;
}

static qcts_status sampling_from_json(const cJSON *p, void *desc, char *err, size_t errlen)
{
    qcts_sampling_desc *d = desc;
    int64_t rows, vocab, hist, k, th;
    double T, rep, pres, freq, tp, mp;
    qcts_dtype dt;
    if (only_known_keys(p, err, errlen) != QCTS_OK)
        return QCTS_ERROR;
    if (op_json_int(p, "rows", 1, 0, 1, (int64_t)1 << 32, &rows, err, errlen) ||
        op_json_int(p, "vocab", 1, 0, 1, 1 << 24, &vocab, err, errlen) ||
        op_json_int(p, "hist_len", 0, 0, 0, 1 << 24, &hist, err, errlen) ||
        op_json_double(p, "temperature", 0, 1.0, 0, 3.4e38, &T, err, errlen) ||
        op_json_double(p, "rep_penalty", 0, 1.0, 1e-30, 3.4e38, &rep, err, errlen) ||
        op_json_double(p, "presence_penalty", 0, 0.0, -3.4e38, 3.4e38, &pres, err, errlen) ||
        op_json_double(p, "freq_penalty", 0, 0.0, -3.4e38, 3.4e38, &freq, err, errlen) ||
        op_json_int(p, "top_k", 0, 0, 0, 1 << 24, &k, err, errlen) ||
        op_json_double(p, "top_p", 0, 1.0, 0, 1, &tp, err, errlen) ||
        op_json_double(p, "min_p", 0, 0.0, 0, 1, &mp, err, errlen) ||
        op_json_dtype(p, "logits_dtype", "f32", 1, &dt, err, errlen) ||
        op_json_bool(p, "want_probs", 0, &d->want_probs, err, errlen) ||
        op_json_int(p, "threads", 0, 1, 1, 1024, &th, err, errlen))
        return QCTS_ERROR;
    d->rows = rows;
    d->vocab = (int32_t)vocab;
    d->hist_len = (int32_t)hist;
    /* the case files hold the float32 values printed exactly (%.9g round-trips) */
    d->temperature = (float)T;
    d->rep_penalty = (float)rep;
    d->presence_penalty = (float)pres;
    d->freq_penalty = (float)freq;
    d->top_k = (int32_t)k;
    d->top_p = (float)tp;
    d->min_p = (float)mp;
    d->logits_dtype = (int32_t)dt;
    d->threads = (int32_t)th;
    if (!(d->rep_penalty > 0) || !finite_f(d->temperature) || !finite_f(d->rep_penalty))
        return op_fail(err, errlen, "params.temperature / rep_penalty out of float32 range");
    return QCTS_OK;
}

static int sampling_to_json(const void *desc, cJSON *p)
{
    const qcts_sampling_desc *d = desc;
    return (op_set_int(p, "rows", d->rows) || op_set_int(p, "vocab", d->vocab) ||
            op_set_int(p, "hist_len", d->hist_len) || op_set_double(p, "temperature", d->temperature) ||
            op_set_double(p, "rep_penalty", d->rep_penalty) ||
            op_set_double(p, "presence_penalty", d->presence_penalty) ||
            op_set_double(p, "freq_penalty", d->freq_penalty) || op_set_int(p, "top_k", d->top_k) ||
            op_set_double(p, "top_p", d->top_p) || op_set_double(p, "min_p", d->min_p) ||
            op_set_str(p, "logits_dtype", qcts_dtype_name((qcts_dtype)d->logits_dtype)) ||
            op_set_bool(p, "want_probs", d->want_probs) || op_set_int(p, "threads", d->threads > 0 ? d->threads : 1))
               ? -1
               : 0;
}

static void sampling_describe(const void *desc, char *buf, size_t n)
{
    const qcts_sampling_desc *d = desc;
    const char *dt = qcts_dtype_name((qcts_dtype)d->logits_dtype);
    snprintf(buf, n,
             "sampling rows %lld vocab %d %s T %.9g rep %.9g presence %.9g freq %.9g hist %d top_k %d top_p %.9g "
             "min_p %.9g%s threads %d",
             (long long)d->rows, (int)d->vocab, dt ? dt : "?", (double)d->temperature, (double)d->rep_penalty,
             (double)d->presence_penalty, (double)d->freq_penalty, (int)d->hist_len, (int)d->top_k,
             (double)d->top_p, (double)d->min_p, d->want_probs ? " probs" : "", (int)d->threads);
}

static qcts_status sampling_call(const qcts_backend *be, const void *d, const qcts_buffers *b, qcts_call **c,
                                 char *m, size_t n)
{
    return be->sampling((const qcts_sampling_desc *)d, b, c, m, n);
}

static int sampling_has(const qcts_backend *be) { return be->sampling != NULL; }

static int32_t sampling_threads(void *desc, int32_t n)
{
    qcts_sampling_desc *d = desc;
    int32_t own = d->threads > 0 ? d->threads : 1;
    if (n > 0)
        d->threads = n;
    return own;
}

const qcts_opdef qcts_opdef_sampling = { QCTS_OP_SAMPLING, "sampling", sizeof(qcts_sampling_desc), sampling_io,
                                         sampling_from_json, sampling_to_json, sampling_describe, NULL,
                                         sampling_call, sampling_has, sampling_threads };
