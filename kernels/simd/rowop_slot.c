/* The norm and softmax slots of the neon and avx512 backends: the kernels
 * of rowops.inc (neon/rowops.c, avx512/rowops.c) over the thread pool (rows
 * split into chunks; each row's bits depend on n only). Built for the
 * baseline target (dispatch, not kernel code); each ISA's slots exist in
 * the builds that have its kernels. */
#include <stdlib.h>

#include "kernels/backend_say.h"
#include "kernels/opcall.h"
#include "kernels/simd/rowops.h"
#include "kernels/simd/scratch_guard.h"
#include "kernels/simd/simd.h"

#if QCTS_SIMD_ARM64 || QCTS_SIMD_X86
typedef void (*rows_fn)(const void *d, const qcts_buffers *b, int64_t r0, int64_t r1, float *scratch);

typedef struct rows_call {
    qcts_opcall h;
    union {
        qcts_norm_desc norm;
        qcts_softmax_desc softmax;
    } d;
    qcts_buffers b;
    rows_fn rows;
    const char *who;
    int threads;
    int64_t nrows, per;   /* per: scratch floats per thread */
    float *scratch;
} rows_call;

static void rows_part(void *ctx, int t, int64_t lo, int64_t hi)
{
    const rows_call *c = ctx;
    c->rows(&c->d, &c->b, lo, hi, c->scratch + (size_t)t * (size_t)c->per);
}

static qcts_status rows_run(qcts_opcall *oc, char *msg, size_t n)
{
    rows_call *c = (rows_call *)oc;
    if (qcts_parallel_for(c->threads, c->nrows, 1, rows_part, c) != 0)
        return qcts_say(QCTS_ERROR, msg, n, "%s: could not start threads", c->who);
    if (!qcts_scratch_intact(c->scratch))   /* scratch_guard.h */
        return qcts_say(QCTS_ERROR, msg, n, "%s: a row kernel wrote outside its private buffer scratch "
                        "(per-thread float32 rows; guard zone changed)", c->who);
    return QCTS_OK;
}

static void rows_release(qcts_opcall *oc)
{
    rows_call *c = (rows_call *)oc;
    qcts_scratch_free(c->scratch);
    free(c);
}

/* One pair of row wrappers and slots per ISA. */
#define ROWOP_SLOTS(ISA, NAME, TAG, NORM_SLOT, SOFTMAX_SLOT)                                                   \
    static void norm_rows_##TAG(const void *d, const qcts_buffers *b, int64_t r0, int64_t r1, float *s)         \
    {                                                                                                           \
        qcts_norm_rows__##TAG(d, b, r0, r1, s);                                                                 \
    }                                                                                                           \
    static void softmax_rows_##TAG(const void *d, const qcts_buffers *b, int64_t r0, int64_t r1, float *s)      \
    {                                                                                                           \
        qcts_softmax_rows__##TAG(d, b, r0, r1, s);                                                              \
    }                                                                                                           \
    qcts_status NORM_SLOT(const qcts_norm_desc *d, const qcts_buffers *b, qcts_call **call, char *msg, size_t n) \
    {                                                                                                           \
        if (!d) /* qcts_opcall_new reports it; the fields below need d */                                      \
            return make(ISA, NAME, QCTS_OP_NORM, d, 0, b, NULL, NULL, 0, 0, 1, call, msg, n);                   \
        return make(ISA, NAME, QCTS_OP_NORM, d, sizeof *d, b, norm_rows_##TAG, "qcts_norm_rows__" #TAG, d->rows, \
                    d->n, d->threads, call, msg, n);                                                            \
    }                                                                                                           \
    qcts_status SOFTMAX_SLOT(const qcts_softmax_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,    \
                             size_t n)                                                                          \
    {                                                                                                           \
        if (!d)                                                                                                 \
            return make(ISA, NAME, QCTS_OP_SOFTMAX, d, 0, b, NULL, NULL, 0, 0, 1, call, msg, n);                \
        return make(ISA, NAME, QCTS_OP_SOFTMAX, d, sizeof *d, b, softmax_rows_##TAG,                            \
                    "qcts_softmax_rows__" #TAG, d->rows, d->n, d->threads, call, msg, n);                       \
    }

static qcts_status make(qcts_isa isa, const char *who, qcts_op op, const void *d, size_t dsize,
                        const qcts_buffers *b, rows_fn fn, const char *variant, int64_t rows, int64_t cols,
                        int32_t threads, qcts_call **call, char *msg, size_t n)
{
    qcts_status st;
    char why[256];
    *call = NULL;
    if (!qcts_isa_cpu_ok(isa, why, sizeof why))
        return qcts_say(QCTS_UNAVAILABLE, msg, n, "%s", why);
    const qcts_opcall_spec spec = { op, who, sizeof(rows_call), offsetof(rows_call, d), dsize,
                                    offsetof(rows_call, b), rows_run, rows_release, variant };
    rows_call *c = qcts_opcall_new(&spec, d, b, NULL, &st, msg, n);
    if (!c)
        return st;
    c->rows = fn;
    c->who = who;
    c->nrows = rows;
    c->threads = threads < 1 ? 1 : threads > 256 ? 256 : threads;
    c->per = (qcts_rowop_scratch(cols) + 15) & ~(int64_t)15;
    if (!(c->scratch = qcts_scratch_alloc(sizeof(float) * (size_t)c->per * (size_t)c->threads))) {
        rows_release(&c->h);
        return qcts_say(QCTS_ERROR, msg, n, "%s: out of memory", who);
    }
    *call = (qcts_call *)(void *)c;
    return QCTS_OK;
}

#if QCTS_SIMD_ARM64
qcts_status qcts_neon_norm_rows(const qcts_norm_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                                size_t n);
qcts_status qcts_neon_softmax_rows(const qcts_softmax_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                                   size_t n);
ROWOP_SLOTS(QCTS_ISA_NEON, "neon", neon, qcts_neon_norm_rows, qcts_neon_softmax_rows)
#else
ROWOP_SLOTS(QCTS_ISA_AVX512, "avx512", avx512, qcts_avx512_norm, qcts_avx512_softmax)
#endif
#endif
