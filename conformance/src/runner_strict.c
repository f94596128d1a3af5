/* The calls qcts check makes after a case's first call, to catch what one
 * call cannot show (issue 12):
 *   - call-to-call determinism: the same call again (other poison) must give
 *     the same bits (the ABI: "every run must produce the same outputs");
 *   - thread counts: gemm with threads 2 and 3 (the case's own count is 1)
 *     must give the same bits ("results must not depend on it");
 *   - padded strides: gemm with lda = K + 5 (the padding of A holds NaN, so
 *     a kernel that reads it shows) and ldy = N + 3 (the padding of Y must
 *     keep its poison) must give the same bits as the dense call.
 * Every call's inputs are compared byte for byte with the case's afterwards
 * (check_integrity), so a backend that writes into any input buffer FAILs
 * with the buffer's name. A backend that answers UNSUPPORTED for a thread
 * count or a padded layout is not checked for that variant (the ABI lets it
 * lack a shape); any other failed step is an ERROR naming the variant. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qcts/opdef.h"
#include "runner_impl.h"

enum { PAD_A = 5, PAD_Y = 3 };

/* A bit-for-bit comparison of output 0 of `x` (layout of case cx) with
 * output 0 of `y` (case cy): same B x M x N elements, any row strides. */
static int same_bits(const qcts_case *cx, const case_bufs *x, const qcts_case *cy, const case_bufs *y, char *msg,
                     size_t n)
{
    for (int i = 0; i < x->n_out; i++) {
        if (!x->out[i].base || !y->out[i].base)
            continue;
        size_t es = qcts_dtype_size(x->out[i].dtype);
        size_t rows = 1, cols = x->out[i].nbytes / (es ? es : 1), ldx = cols, ldy = cols;
        if (cx->op == QCTS_OP_GEMM && i == 0) {
            const qcts_gemm_desc *gx = &cx->desc.gemm, *gy = &cy->desc.gemm;
            rows = (size_t)(gx->batch * gx->M);
            cols = (size_t)gx->N;
            ldx = gx->ldy > 0 ? (size_t)gx->ldy : cols;
            ldy = gy->ldy > 0 ? (size_t)gy->ldy : cols;
        }
        for (size_t r = 0; r < rows; r++)
            for (size_t e = 0; e < cols; e++) {
                size_t a = r * ldx + e, b = r * ldy + e;
                if (memcmp(x->out[i].data + a * es, y->out[i].data + b * es, es) != 0) {
                    char tx[64], ty[64];
                    qcts_element_text(x->out[i].dtype, x->out[i].data, a, tx, sizeof tx);
                    qcts_element_text(y->out[i].dtype, y->out[i].data, b, ty, sizeof ty);
                    snprintf(msg, n, "element %zu of output %s is %s, but %s in the first call", r * cols + e,
                             cx->io.out[i].name ? cx->io.out[i].name : "?", ty, tx);
                    return 1;
                }
            }
    }
    return 0;
}

/* One more call of case `c` (desc as given) into fresh buffers; then its
 * integrity and its bits against `one` (case c0). */
static int call_and_compare(be_ctx *b, const qcts_case *c0, const case_bufs *one, const qcts_case *c,
                            const void *desc, int variant, const char *what, const char *fault, qcts_status *st,
                            char *msg, size_t n)
{
    case_bufs cb;
    char m[600];
    if (bufs_alloc(&cb, c)) {
        bufs_free(&cb);
        *st = QCTS_ERROR;
        snprintf(msg, n, "%s: out of memory for the case's buffers", what);
        return -1;
    }
    int rc = 0;
    *st = one_call(b, c, desc, &cb, variant, NULL, 0, NULL, m, sizeof m);
    if (*st == QCTS_UNSUPPORTED) {
        rc = 0;   /* the backend lacks this variant: not checked */
    } else if (*st != QCTS_OK) {
        snprintf(msg, n, "%s: %s", what, m);
        rc = -1;
    } else if (check_integrity(c, &cb, variant, m, sizeof m)) {
        snprintf(msg, n, "%s: %s", what, m);
        rc = 1;
    } else if (c == c0 ? compare_calls(c, one, &cb, m, sizeof m) : same_bits(c0, one, c, &cb, m, sizeof m)) {
        snprintf(msg, n, "%s (%s): %s", fault, what, m);
        rc = 1;
    }
    bufs_free(&cb);
    return rc;
}

/* NaN of the activation dtype, for the padding of A. */
static void fill_nan(void *p, qcts_dtype d, size_t count)
{
    if (d == QCTS_DT_F32) {
        uint32_t v = 0x7fc00000u;
        for (size_t i = 0; i < count; i++)
            memcpy((uint8_t *)p + 4 * i, &v, 4);
    } else {
        uint16_t v = d == QCTS_DT_F16 ? 0x7e00u : 0x7fc0u;
        for (size_t i = 0; i < count; i++)
            memcpy((uint8_t *)p + 2 * i, &v, 2);
    }
}

/* The case with lda = K + PAD_A and ldy = N + PAD_Y (A copied row by row,
 * its padding NaN). *a_out owns the new A. -1 when the desc does not
 * validate or memory is short. */
static int padded_case(const qcts_case *c, qcts_case *p, void **a_out)
{
    *p = *c;
    *a_out = NULL;
    qcts_gemm_desc *g = &p->desc.gemm;
    int64_t K = c->desc.gemm.K, lda0 = c->desc.gemm.lda ? c->desc.gemm.lda : K;
    g->lda = lda0 + PAD_A;
    g->ldy = (c->desc.gemm.ldy ? c->desc.gemm.ldy : c->desc.gemm.N) + PAD_Y;
    char err[256];
    if (qcts_op_io_get(QCTS_OP_GEMM, g, &p->io, err, sizeof err) != QCTS_OK ||
        qcts_op_buffer_sizes(QCTS_OP_GEMM, g, &p->buf, err, sizeof err) != QCTS_OK)
        return -1;
    size_t es = qcts_dtype_size(g->a_dtype), rows = (size_t)(g->batch * g->M);
    uint8_t *a = malloc(p->buf.in_bytes[0] ? p->buf.in_bytes[0] : 1);
    if (!a)
        return -1;
    fill_nan(a, g->a_dtype, p->buf.in_bytes[0] / es);
    for (size_t r = 0; r < rows; r++)
        memcpy(a + r * (size_t)g->lda * es, (const uint8_t *)c->buf.in[0] + r * (size_t)lda0 * es, (size_t)K * es);
    p->buf.in[0] = a;
    *a_out = a;
    return 0;
}

int strict_calls(be_ctx *b, const qcts_case *c, const case_bufs *one, qcts_status *st, char *msg, size_t n)
{
    *st = QCTS_OK;
    int rc = call_and_compare(b, c, one, c, &c->desc, 1, "a second identical call", "not deterministic", st, msg,
                              n);
    const qcts_opdef *od = qcts_opdef_get(c->op);
    if (!rc && od && od->threads) {
        /* ops after GEMM: threads 2 and 3 (or 1) must give the same bits */
        qcts_any_desc d = c->desc;
        int32_t own = od->threads(&d, 0);
        own = own > 0 ? own : 1;
        int32_t done = 0;
        for (int32_t t = 1; t <= 3 && done < 2 && rc == 0; t++) {
            if (t == own)
                continue;
            d = c->desc;
            od->threads(&d, t);
            char what[64];
            snprintf(what, sizeof what, "threads %d instead of %d", (int)t, (int)own);
            rc = call_and_compare(b, c, one, c, &d, 1, what, "the result depends on the thread count", st, msg, n);
            done++;
        }
        return rc;
    }
    if (rc || c->op != QCTS_OP_GEMM)
        return rc;
    int32_t own = c->desc.gemm.threads > 0 ? c->desc.gemm.threads : 1, done = 0;
    for (int32_t t = 1; t <= 3 && done < 2 && rc == 0; t++) {
        if (t == own)
            continue;
        qcts_gemm_desc d = c->desc.gemm;
        d.threads = t;
        char what[64];
        snprintf(what, sizeof what, "threads %d instead of %d", (int)t, (int)own);
        rc = call_and_compare(b, c, one, c, &d, 1, what, "the result depends on the thread count", st, msg, n);
        done++;
    }
    if (rc)
        return rc;
    qcts_case p;
    void *a = NULL;
    if (padded_case(c, &p, &a)) {
        free(a);
        *st = QCTS_ERROR;
        snprintf(msg, n, "padded strides: cannot build the padded call (out of memory or a bad shape)");
        return -1;
    }
    char what[96];
    snprintf(what, sizeof what, "padded strides (lda = K + %d, ldy = N + %d, NaN in A's padding)", PAD_A, PAD_Y);
    rc = call_and_compare(b, c, one, &p, &p.desc, 1, what, "the result depends on the row strides", st, msg, n);
    free(a);
    return rc;
}
