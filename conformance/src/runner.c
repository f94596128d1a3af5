/* qcts check: backends x golden cases (qcts/runner.h). */
#include "qcts/runner.h"
#include "qcts/opdef.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "qcts/backends.h"
#include "qcts/case_call.h"
#include "qcts/vecset.h"
#include "runner_impl.h"

/* ---- small helpers ------------------------------------------------------------- */

__attribute__((format(printf, 3, 4)))
static void say(char *buf, size_t n, const char *fmt, ...)
{
    if (!buf || !n)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, n, fmt, ap);
    va_end(ap);
}

static void copy(char *dst, size_t n, const char *src)
{
    size_t l = src ? strlen(src) : 0;
    if (l >= n)
        l = n - 1;
    if (l)
        memcpy(dst, src, l);
    dst[l] = '\0';
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- finding case files ---------------------------------------------------------- */

typedef struct strlist {
    char **v;
    size_t n, cap;
} strlist;

static int strlist_add(strlist *l, const char *s)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        char **v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    if (!(l->v[l->n] = strdup(s)))
        return -1;
    l->n++;
    return 0;
}

/* "convert/e4m3_ocp" from "<dir>/convert/e4m3_ocp.safetensors". */
static void derived_suite(const char *dir, const char *path, char *out, size_t n)
{
    const char *rel = path;
    size_t dl = strlen(dir);
    if (strncmp(path, dir, dl) == 0 && path[dl] == '/')
        rel = path + dl + 1;
    copy(out, n, rel);
    size_t l = strlen(out), sl = strlen(".safetensors");
    if (l > sl && strcmp(out + l - sl, ".safetensors") == 0)
        out[l - sl] = '\0';
}

/* ---- backends ----------------------------------------------------------------------- */

/* be_ctx: runner_impl.h */

static void be_open(be_ctx *b, const char *spec, double exec_timeout, int in_process)
{
    memset(b, 0, sizeof *b);
    b->spec = spec;
    pthread_mutex_init(&b->lock, NULL);
    char err[512];
    qcts_backend_open_opts oo = { in_process, exec_timeout };   /* the timeout of isolated plugins */
    qcts_status st = qcts_backend_open_with(spec, &oo, &b->h, err, sizeof err);
    if (st != QCTS_OK) {
        b->none_verdict = st == QCTS_UNAVAILABLE ? QCTS_V_UNAVAILABLE : QCTS_V_ERROR;
        copy(b->why, sizeof b->why, err);
        return;
    }
    const qcts_backend *be = qcts_backend_get(b->h);
    if (exec_timeout > 0 && strncmp(spec, "exec:", 5) == 0) {
        char v[64];
        snprintf(v, sizeof v, "%g", exec_timeout);
        if (qcts_backend_set_option(b->h, "timeout", v, err, sizeof err) != QCTS_OK) {
            b->none_verdict = QCTS_V_ERROR;
            copy(b->why, sizeof b->why, err);
            return;
        }
    }
    if (be->available) {
        char why[256] = "";
        if (!be->available(why, sizeof why)) {
            b->none_verdict = QCTS_V_UNAVAILABLE;
            say(b->why, sizeof b->why, "backend %s cannot run here: %s", be->name ? be->name : spec,
                why[0] ? why : "(no reason given)");
            return;
        }
    }
    b->be = be;
    b->serial = (be->flags & QCTS_BACKEND_SERIAL) != 0;
}

static void be_close(be_ctx *b)
{
    qcts_backend_close(b->h);
    pthread_mutex_destroy(&b->lock);
}

static const char *op_fn_missing(const qcts_backend *be, qcts_op op)
{
    if (qcts_op_has(be, op))
        return NULL;
    return qcts_op_name(op) ? qcts_op_name(op) : "?";
}

/* ---- one call --------------------------------------------------------------------- */

/* case_bufs: runner_impl.h */

void bufs_free(case_bufs *cb)
{
    for (int i = 0; i < QCTS_MAX_INPUTS; i++)
        free(cb->in[i]);
    for (int i = 0; i < QCTS_MAX_OUTPUTS; i++)
        qcts_guarded_free(&cb->out[i]);
    memset(cb, 0, sizeof *cb);
}

int bufs_alloc(case_bufs *cb, const qcts_case *c)
{
    memset(cb, 0, sizeof *cb);
    for (int i = 0; i < QCTS_MAX_INPUTS; i++) {
        if (!c->buf.in[i])
            continue;
        size_t nb = c->buf.in_bytes[i];
        cb->in[i] = aligned_alloc(64, (nb + 63) / 64 * 64 + 64);
        if (!cb->in[i])
            return -1;
        memcpy(cb->in[i], c->buf.in[i], nb);
    }
    cb->n_out = c->io.n_out;
    for (int i = 0; i < c->io.n_out; i++)
        if (c->io.out[i].used && qcts_guarded_alloc(&cb->out[i], c->buf.out_bytes[i], c->io.out[i].dtype))
            return -1;
    return 0;
}

/* One whole call: arm the outputs with `variant`, prepare .. release.
 * Returns the status of the first step that failed with "step: message". */
qcts_status one_call(be_ctx *b, const qcts_case *c, const void *desc, case_bufs *cb, int variant,
                            char *variant_name, size_t vn, double *secs, char *msg, size_t n)
{
    const qcts_backend *be = b->be;
    qcts_buffers buf;
    memset(&buf, 0, sizeof buf);
    for (int i = 0; i < QCTS_MAX_INPUTS; i++) {
        buf.in[i] = cb->in[i];
        buf.in_bytes[i] = c->buf.in_bytes[i];
    }
    for (int i = 0; i < cb->n_out; i++) {
        if (!cb->out[i].base)
            continue;
        qcts_guarded_arm(&cb->out[i], variant);
        buf.out[i] = cb->out[i].data;
        buf.out_bytes[i] = cb->out[i].nbytes;
    }
    char m[1024] = "";
    qcts_call *call = NULL;
    qcts_status st;
    if (b->serial)
        pthread_mutex_lock(&b->lock);
    double t0 = now_s();
    st = qcts_op_call(be, c->op, desc, &buf, &call, m, sizeof m);
    const char *step = "prepare";
    if (st == QCTS_OK && !call) {
        st = QCTS_ERROR;
        snprintf(m, sizeof m, "returned ok but no call handle");
    }
    if (st == QCTS_OK) {
        step = "run";
        st = be->run(call, m, sizeof m);
        if (st == QCTS_OK && be->sync) {
            step = "sync";
            st = be->sync(call, m, sizeof m);
        }
        if (st == QCTS_OK && be->fetch) {
            step = "fetch";
            st = be->fetch(call, m, sizeof m);
        }
        if (st == QCTS_OK && be->variant && variant_name) {
            const char *v = be->variant(call);
            copy(variant_name, vn, v ? v : "");
        }
    }
    if (call)
        be->release(call);
    double t1 = now_s();
    if (b->serial)
        pthread_mutex_unlock(&b->lock);
    if (secs)
        *secs = t1 - t0;
    m[sizeof m - 1] = '\0';
    if (st != QCTS_OK) {
        if (st == QCTS_UNSUPPORTED && strcmp(step, "prepare") == 0)
            say(msg, n, "%s", m[0] ? m : "unsupported (no reason given)");
        else
            say(msg, n, "%s: %s", step, m[0] ? m : "(no message)");
    }
    return st;
}

static qcts_verdict status_verdict(qcts_status st)
{
    switch (st) {
    case QCTS_UNSUPPORTED: return QCTS_V_SKIP;
    case QCTS_UNAVAILABLE: return QCTS_V_UNAVAILABLE;
    default: return QCTS_V_ERROR;
    }
}

/* The data layout of output i: gemm's Y has rows of N every ldy. */
static qcts_layout out_layout(const qcts_case *c, int i)
{
    size_t n = c->io.out[i].nelems;
    if (c->op == QCTS_OP_GEMM && i == 0) {
        const qcts_gemm_desc *g = &c->desc.gemm;
        size_t ld = g->ldy > 0 ? (size_t)g->ldy : (size_t)g->N;
        if (ld > (size_t)g->N && (size_t)g->N > 0) {
            qcts_layout l = { n / ld, (size_t)g->N, ld };
            return l;
        }
    }
    return qcts_layout_dense(n);
}

static const char *out_name(const qcts_case *c, int i)
{
    return c->io.out[i].name ? c->io.out[i].name : "?";
}

/* Guards, inputs, padding after a call with `variant`. 0 fine, else 1 and
 * the failure in msg. */
int check_integrity(const qcts_case *c, const case_bufs *cb, int variant, char *msg, size_t n)
{
    for (int i = 0; i < cb->n_out; i++) {
        if (!cb->out[i].base)
            continue;
        int64_t byte;
        if (qcts_guarded_check(&cb->out[i], variant, &byte)) {
            if (byte < 0)
                say(msg, n, "wrote before the start of output %s at byte %lld", out_name(c, i), (long long)byte);
            else
                say(msg, n, "wrote past the end of output %s at byte %lld (the output has %zu bytes)",
                    out_name(c, i), (long long)byte, cb->out[i].nbytes);
            return 1;
        }
    }
    for (int i = 0; i < QCTS_MAX_INPUTS; i++) {
        if (!cb->in[i])
            continue;
        const uint8_t *a = cb->in[i], *o = c->buf.in[i];
        for (size_t k = 0; k < c->buf.in_bytes[i]; k++)
            if (a[k] != o[k]) {
                say(msg, n, "modified its input %s at byte %zu", c->io.in[i].name ? c->io.in[i].name : "?", k);
                return 1;
            }
    }
    for (int i = 0; i < cb->n_out; i++) {
        if (!cb->out[i].base)
            continue;
        qcts_layout l = out_layout(c, i);
        if (l.ld == l.cols)
            continue;
        for (size_t e = 0; e < l.rows * l.ld; e++)
            if (qcts_layout_is_padding(&l, e) && !qcts_poison_at(cb->out[i].data, e, cb->out[i].dtype, variant)) {
                say(msg, n, "wrote into the row padding of output %s at element %zu (row %zu, column %zu >= N = %zu)",
                    out_name(c, i), e, e / l.ld, e % l.ld, l.cols);
                return 1;
            }
    }
    return 0;
}

static int any_poison(const qcts_case *c, const case_bufs *cb, int variant)
{
    for (int i = 0; i < cb->n_out; i++) {
        if (!cb->out[i].base)
            continue;
        qcts_layout l = out_layout(c, i);
        for (size_t e = 0; e < l.rows * l.ld; e++)
            if (!qcts_layout_is_padding(&l, e) && qcts_poison_at(cb->out[i].data, e, cb->out[i].dtype, variant))
                return 1;
    }
    return 0;
}

/* After two calls (a: poison 0, b: poison 1): unwritten elements, then any
 * other difference. 0 when both calls agree everywhere. */
int compare_calls(const qcts_case *c, const case_bufs *a, const case_bufs *b, char *msg, size_t n)
{
    for (int i = 0; i < a->n_out; i++) {
        if (!a->out[i].base)
            continue;
        qcts_layout l = out_layout(c, i);
        qcts_dtype d = a->out[i].dtype;
        size_t first = 0, count = 0;
        for (size_t e = 0; e < l.rows * l.ld; e++)
            if (!qcts_layout_is_padding(&l, e) && qcts_poison_at(a->out[i].data, e, d, 0)
                && qcts_poison_at(b->out[i].data, e, d, 1)) {
                if (count++ == 0)
                    first = e;
            }
        if (count) {
            if (count == 1)
                say(msg, n, "element %zu of output %s not written (it kept the poison of two calls with "
                    "different poisons)", first, out_name(c, i));
            else
                say(msg, n, "element %zu of output %s not written, and %zu more (they kept the poison of two "
                    "calls with different poisons)", first, out_name(c, i), count - 1);
            return 1;
        }
    }
    size_t es;
    for (int i = 0; i < a->n_out; i++) {
        if (!a->out[i].base || !(es = qcts_dtype_size(a->out[i].dtype)))
            continue;
        qcts_layout l = out_layout(c, i);
        for (size_t e = 0; e < l.rows * l.ld; e++) {
            if (qcts_layout_is_padding(&l, e))
                continue;
            if (memcmp(a->out[i].data + e * es, b->out[i].data + e * es, es) != 0) {
                char x[64], y[64];
                qcts_element_text(a->out[i].dtype, a->out[i].data, e, x, sizeof x);
                qcts_element_text(a->out[i].dtype, b->out[i].data, e, y, sizeof y);
                say(msg, n, "two calls gave different outputs: element %zu of output %s is %s, then %s",
                    e, out_name(c, i), x, y);
                return 1;
            }
        }
    }
    return 0;
}

/* ---- one case on one backend ----------------------------------------------------- */

typedef struct shared {
    const qcts_check_opts *o;
    be_ctx *bes;
    be_ctx *ref;                   /* --identify: the ref backend, or NULL */
} shared;

static qref_fmt code_fmt_of(const qcts_case *c, int out_index)
{
    if (c->op == QCTS_OP_CONVERT && !c->desc.convert.decode && out_index == 0)
        return (qref_fmt)c->desc.convert.fmt;
    return QREF_FMT_COUNT;
}

/* Runs desc (the case's, or re-targeted) on b with plain poisoned outputs;
 * cb must be allocated. */
static qcts_status plain_call(be_ctx *b, const qcts_case *c, const void *desc, case_bufs *cb)
{
    char msg[256];
    return one_call(b, c, desc, cb, 0, NULL, 0, NULL, msg, sizeof msg);
}

static int outputs_equal(const qcts_case *c, const case_bufs *x, const case_bufs *y)
{
    for (int i = 0; i < x->n_out; i++) {
        if (!x->out[i].base)
            continue;
        qcts_rule exact = { QCTS_CHECK_EXACT, 1.0, 0 };
        qcts_layout l = out_layout(c, i);
        qcts_cmp cmp;
        char err[128];
        if (qcts_compare(x->out[i].dtype, code_fmt_of(c, i), x->out[i].data, y->out[i].data, &l, &exact,
                         NULL, &cmp, err, sizeof err)
            || cmp.violations)
            return 0;
    }
    return 1;
}

static void identify(const shared *s, be_ctx *b, const qcts_case *c, qcts_result *r)
{
    case_bufs mine, ref;
    if (bufs_alloc(&mine, c) || bufs_alloc(&ref, c)) {
        bufs_free(&mine);
        bufs_free(&ref);
        return;
    }
    r->identify_tried = 1;
    size_t len = 0;
    for (int conv = 0; conv < QREF_CONV_COUNT; conv++) {
        qcts_convert_desc d = c->desc.convert;
        d.convention = (uint32_t)conv;
        /* A mode the convention does not offer (ml_dtypes, torch and cuda_*
         * fix saturation) falls back to the convention's default. */
        if (plain_call(s->ref, c, &d, &ref) != QCTS_OK) {
            d.mode = QREF_MODE_DEFAULT;
            if (d.mode == c->desc.convert.mode || plain_call(s->ref, c, &d, &ref) != QCTS_OK)
                continue;
        }
        if (plain_call(b, c, &d, &mine) != QCTS_OK || !outputs_equal(c, &ref, &mine))
            continue;
        const char *name = qref_conv_name((qref_conv)conv);
        if (name && len + strlen(name) + 2 < sizeof r->identified)
            len += (size_t)snprintf(r->identified + len, sizeof r->identified - len, "%s%s", len ? " " : "", name);
    }
    bufs_free(&mine);
    bufs_free(&ref);
}

static void fill_identity(qcts_result *r, const qcts_case_file *f, const qcts_case *c, const char *suite)
{
    copy(r->op, sizeof r->op, qcts_op_name(c->op));
    if (c->op == QCTS_OP_CONVERT) {
        const qref_fmt_info *fi = qref_fmt_get((qref_fmt)c->desc.convert.fmt);
        copy(r->scheme, sizeof r->scheme, fi ? fi->name : "?");
    } else if (qcts_opdef_get(c->op)) {
        const qcts_opdef *od = qcts_opdef_get(c->op);
        const char *sch = od->scheme ? od->scheme(c->desc.raw) : NULL;
        copy(r->scheme, sizeof r->scheme, sch && sch[0] ? sch : od->name);
    } else {
        const char *sch = c->op == QCTS_OP_QUANTIZE ? c->desc.quantize.scheme
                        : c->op == QCTS_OP_DEQUANT ? c->desc.dequant.scheme : c->desc.gemm.scheme;
        copy(r->scheme, sizeof r->scheme, sch);
    }
    copy(r->suite, sizeof r->suite, suite);
    copy(r->case_id, sizeof r->case_id, c->id);
    copy(r->seed, sizeof r->seed, c->seed);
    copy(r->check, sizeof r->check, c->check_text);
    (void)f;
}

/* A convert failure names the input of its worst element (the value that
 * was encoded, or the code that was decoded): "expected 0x01, got 0x00"
 * alone does not say what to try. */
static void convert_input(const qcts_case *c, const qcts_cmp *cmp, char *buf, size_t n)
{
    if (c->op != QCTS_OP_CONVERT || !cmp->has_worst || c->desc.convert.n <= 0 || !c->buf.in[0])
        return;
    size_t w = c->buf.in_bytes[0] / (size_t)c->desc.convert.n;
    if ((w != 1 && w != 2 && w != 4) || (cmp->worst + 1) * w > c->buf.in_bytes[0])
        return;
    uint32_t v = 0;
    memcpy(&v, (const unsigned char *)c->buf.in[0] + cmp->worst * w, w);   /* little-endian host */
    if (c->desc.convert.decode) {
        snprintf(buf, n, " (input code 0x%0*x)", (int)(2 * w), (unsigned)v);
    } else {
        float x;
        memcpy(&x, &v, 4);
        snprintf(buf, n, " (input %.9g, f32 0x%08x)", (double)x, (unsigned)v);
    }
}

/* check admissible: element e of output i, an integer v, passes iff
 * 0 <= v < C and admit[e * C + v] == 1. 1 with the first failure in d. */
static int admissible_check(const qcts_case *c, int i, const void *got, char *d, size_t n)
{
    const qcts_tensor_spec *s = &c->io.out[i];
    const uint8_t *adm = c->admit[i].data;
    size_t C = c->admit_n[i], bad = 0, first = 0;
    int64_t first_v = 0, first_e = 0;
    size_t es = qcts_dtype_size(s->dtype);
    for (size_t e = 0; e < s->nelems; e++) {
        const uint8_t *p = (const uint8_t *)got + e * es;
        int64_t v, ev;
        uint32_t u = 0, eu = 0;
        for (size_t k = 0; k < es; k++) {
            u |= (uint32_t)p[k] << (8 * k);
            eu |= (uint32_t)((const uint8_t *)c->expect[i].data)[e * es + k] << (8 * k);
        }
        v = s->dtype == QCTS_DT_I32 ? (int64_t)(int32_t)u : (int64_t)u;
        ev = s->dtype == QCTS_DT_I32 ? (int64_t)(int32_t)eu : (int64_t)eu;
        if (v < 0 || (uint64_t)v >= C || !adm[e * C + (size_t)v]) {
            if (bad++ == 0) {
                first = e;
                first_v = v;
                first_e = ev;
            }
        }
    }
    if (!bad)
        return 0;
    size_t nadm = 0;
    for (size_t k = 0; k < C; k++)
        nadm += adm[first * C + k] != 0;
    say(d, n, "%zu of %zu elements are not admissible; first: element %zu is %lld, not one of the %zu "
        "admissible values (the reference's is %lld)", bad, s->nelems, first, (long long)first_v, nadm,
        (long long)first_e);
    return 1;
}

static void run_case(const shared *s, be_ctx *b, const qcts_case *c, qcts_result *r)
{
    r->verdict = QCTS_V_ERROR;
    if (!b->be) {
        r->verdict = b->none_verdict;
        copy(r->reason, sizeof r->reason, b->why);
        return;
    }
    const char *missing = op_fn_missing(b->be, c->op);
    if (missing) {
        r->verdict = QCTS_V_SKIP;
        say(r->reason, sizeof r->reason, "backend %s has no %s", b->be->name ? b->be->name : b->spec, missing);
        return;
    }
    case_bufs one, two;
    memset(&two, 0, sizeof two);
    if (bufs_alloc(&one, c)) {
        bufs_free(&one);
        copy(r->reason, sizeof r->reason, "out of memory for the case's buffers");
        return;
    }
    char msg[sizeof r->reason];
    qcts_status st = one_call(b, c, &c->desc, &one, 0, r->variant, sizeof r->variant, &r->duration_s,
                              msg, sizeof msg);
    if (st != QCTS_OK) {
        r->verdict = status_verdict(st);
        copy(r->reason, sizeof r->reason, msg);
        goto done;
    }
    if (check_integrity(c, &one, 0, msg, sizeof msg)) {
        r->verdict = QCTS_V_FAIL;
        copy(r->reason, sizeof r->reason, msg);
        goto done;
    }
    if (any_poison(c, &one, 0)) {
        if (bufs_alloc(&two, c)) {
            copy(r->reason, sizeof r->reason, "out of memory for the case's buffers");
            goto done;
        }
        st = one_call(b, c, &c->desc, &two, 1, NULL, 0, NULL, msg, sizeof msg);
        if (st != QCTS_OK) {
            r->verdict = status_verdict(st);
            say(r->reason, sizeof r->reason, "second call (made because an output element held the "
                "poison): %s", msg);
            goto done;
        }
        if (check_integrity(c, &two, 1, msg, sizeof msg) || compare_calls(c, &one, &two, msg, sizeof msg)) {
            r->verdict = QCTS_V_FAIL;
            copy(r->reason, sizeof r->reason, msg);
            goto done;
        }
    }
    {   /* determinism, thread counts, padded strides: runner_strict.c */
        int sr = strict_calls(b, c, &one, &st, msg, sizeof msg);
        if (sr) {
            r->verdict = sr > 0 ? QCTS_V_FAIL : status_verdict(st);
            copy(r->reason, sizeof r->reason, msg);
            goto done;
        }
    }
    /* The main output under the case's rule, the others exactly. */
    for (int i = 0; i < one.n_out; i++) {
        if (!one.out[i].base)
            continue;
        qcts_rule rule = { QCTS_CHECK_EXACT, 1.0, 0 };
        const float *bound = NULL;
        const char *rule_text = "exact";
        const qcts_dtype od = c->io.out[i].dtype;
        const int float_out = od == QCTS_DT_F32 || od == QCTS_DT_F16 || od == QCTS_DT_BF16;
        if (!qcts_opdef_get(c->op)) {
            if (i == 0) { /* convert .. gemm: the main output under the case's rule */
                rule.kind = c->check;
                rule.bound_c = c->bound_c;
                rule.ulp = c->ulp;
                bound = c->bound.name ? (const float *)c->bound.data : NULL;
                rule_text = c->check_text;
            }
        } else if (c->check == QCTS_CHECK_BOUND && c->bounds[i].name) {
            /* ops after GEMM: every output that has a bound.<name> tensor */
            rule.kind = QCTS_CHECK_BOUND;
            rule.bound_c = c->bound_c;
            bound = (const float *)c->bounds[i].data;
            rule_text = "bound";
        } else if (c->check == QCTS_CHECK_ULP && float_out) {
            rule.kind = QCTS_CHECK_ULP;
            rule.ulp = c->ulp;
            rule_text = c->check_text;
        }
        qcts_layout l = out_layout(c, i);
        qcts_cmp cmp;
        char err[256];
        if (!c->expect[i].name) {
            say(r->reason, sizeof r->reason, "the case has no expected output %s", out_name(c, i));
            goto done;
        }
        if (c->check == QCTS_CHECK_ADMISSIBLE && c->admit[i].name) {
            char d[400];
            if (admissible_check(c, i, one.out[i].data, d, sizeof d) && r->verdict != QCTS_V_FAIL) {
                r->verdict = QCTS_V_FAIL;
                say(r->reason, sizeof r->reason, "output %s (admissible): %s", out_name(c, i), d);
            }
            continue;
        }
        if (qcts_compare(one.out[i].dtype, code_fmt_of(c, i), c->expect[i].data, one.out[i].data, &l, &rule,
                         bound, &cmp, err, sizeof err)) {
            say(r->reason, sizeof r->reason, "cannot check output %s: %s", out_name(c, i), err);
            goto done;
        }
        if (i == 0) {
            r->has_cmp = 1;
            r->cmp = cmp;
            if (c->op == QCTS_OP_GEMM)
                r->kl = qcts_rows_kl(one.out[i].dtype, c->expect[i].data, one.out[i].data, &l);
        }
        if (c->op == QCTS_OP_ATTENTION && i == 2)   /* the probabilities: mean row KL (metrics_attention.c) */
            r->kl = qcts_attn_probs_kl((const float *)c->expect[i].data, (const float *)(const void *)one.out[i].data,
                                       c->io.out[i].shape[3],
                                       c->io.out[i].nelems, NULL);
        if (cmp.violations && r->verdict != QCTS_V_FAIL) {
            char d[600];
            qcts_cmp_describe(&cmp, &rule, d, sizeof d);
            convert_input(c, &cmp, d + strlen(d), sizeof d - strlen(d));
            r->verdict = QCTS_V_FAIL;
            say(r->reason, sizeof r->reason, "output %s (%s): %s", out_name(c, i), rule_text, d);
        }
    }
    if (r->verdict != QCTS_V_FAIL) {
        qcts_layout l = out_layout(c, 0);
        if (c->check != QCTS_CHECK_ADMISSIBLE && qcts_mistrust(c->degenerate, one.out[0].dtype, c->expect[0].data, &l, msg, sizeof msg)) {
            r->verdict = QCTS_V_MISTRUSTED;
            copy(r->reason, sizeof r->reason, msg);
        } else {
            r->verdict = QCTS_V_PASS;
            r->reason[0] = '\0';
        }
    }
done:
    bufs_free(&one);
    bufs_free(&two);
    if (s->o->identify && s->ref && s->ref->be && c->op == QCTS_OP_CONVERT && r->verdict != QCTS_V_SKIP
        && r->verdict != QCTS_V_UNAVAILABLE)
        identify(s, b, c, r);
}

/* ---- the work list ------------------------------------------------------------------- */

typedef struct item {
    const qcts_case_file *f;       /* NULL: the file did not load */
    const qcts_case *c;
    size_t backend;
    const char *suite;
    const char *path;              /* owned by the report */
    const char *load_error;
} item;

typedef struct work {
    shared s;
    item *items;
    qcts_result *results;
    size_t n, next, done;
    pthread_mutex_t lock;
    double last_progress;
    double t0, last_plain;
    size_t bad;                    /* FAIL + ERROR so far */
    int stop;                      /* --fail-fast: start no more cases */
} work;

/* For CI logs (not a terminal): a plain line now and then, so a long run
 * is seen to move. */
static void progress_plain(work *w)
{
    FILE *f = w->s.o->progress_plain;
    if (!f)
        return;
    double t = now_s();
    if (w->s.o->progress_every > 0 && t - w->last_plain < w->s.o->progress_every)
        return;
    w->last_plain = t;
    fprintf(f, "qcts check: %zu/%zu case runs done, %zu failed or errors, %.0f s elapsed\n", w->done, w->n, w->bad,
            t - w->t0);
    fflush(f);
}

static void progress(work *w, const item *it)
{
    progress_plain(w);
    FILE *f = w->s.o->progress;
    if (!f)
        return;
    double t = now_s();
    if (t - w->last_progress < 0.1 && w->done != w->n)
        return;
    w->last_progress = t;
    char line[200];
    snprintf(line, sizeof line, "[%zu/%zu] %s/%s on %s", w->done, w->n, it->suite, it->c ? it->c->id : "-",
             w->s.o->backends[it->backend]);
    fprintf(f, "\r\033[K%.*s", 78, line);
    fflush(f);
}

static void *worker(void *arg)
{
    work *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->lock);
        size_t i = w->next < w->n && !w->stop ? w->next++ : w->n;
        pthread_mutex_unlock(&w->lock);
        if (i >= w->n)
            return NULL;
        const item *it = &w->items[i];
        qcts_result *r = &w->results[i];
        if (it->c)
            run_case(&w->s, &w->s.bes[it->backend], it->c, r);
        pthread_mutex_lock(&w->lock);
        w->done++;
        if (r->verdict == QCTS_V_FAIL || r->verdict == QCTS_V_ERROR) {
            w->bad++;
            w->stop |= w->s.o->fail_fast;
        }
        progress(w, it);
        pthread_mutex_unlock(&w->lock);
    }
}

static void result_init(qcts_result *r, const item *it, const qcts_check_opts *o)
{
    memset(r, 0, sizeof *r);
    r->backend = o->backends[it->backend];
    r->kl = NAN;
    r->duration_s = NAN;
    r->file = it->path;
    if (it->c) {
        fill_identity(r, it->f, it->c, it->suite);
    } else {
        copy(r->op, sizeof r->op, "?");
        copy(r->suite, sizeof r->suite, it->suite);
        copy(r->case_id, sizeof r->case_id, "-");
        r->verdict = QCTS_V_ERROR;
        say(r->reason, sizeof r->reason, "case file does not load: %s", it->load_error);
    }
}

/* A file that does not load is reported when the filter could select
 * something in it. */
static int filter_may_match_suite(const char *filter, const char *suite)
{
    if (!filter)
        return 1;
    char probe[512];
    snprintf(probe, sizeof probe, "%s/-", suite);
    if (fnmatch(filter, probe, 0) == 0)
        return 1;
    const char *slash = strrchr(filter, '/');
    if (!slash)
        return 0;
    char head[512];
    snprintf(head, sizeof head, "%.*s", (int)(slash - filter), filter);
    return fnmatch(head, suite, 0) == 0;
}

typedef struct loaded {
    char *path;
    char suite[256];
    qcts_case_file *f;
    char err[QCTS_CASE_ERRLEN];
} loaded;

static int cmp_loaded(const void *a, const void *b)
{
    const loaded *x = a, *y = b;
    int c = strcmp(x->suite, y->suite);
    return c ? c : strcmp(x->path, y->path);
}

int qcts_check_run(const qcts_check_opts *o, qcts_check_report *rep, char *err, size_t errlen)
{
    memset(rep, 0, sizeof *rep);
    double t0 = now_s();
    const char *golden = o->golden_dir ? o->golden_dir : QCTS_VEC_GOLDEN_DIR;
    const char *vec = o->vectors ? o->vectors : golden;
    copy(rep->vectors, sizeof rep->vectors, vec);
    rep->backends = o->backends;
    rep->n_backends = o->n_backends;
    rep->jobs = o->jobs > 0 ? o->jobs : 1;
    if (o->n_backends == 0) {
        say(err, errlen, "no backend given");
        return -1;
    }
    if (o->shard_count > 1 && (o->shard_index < 1 || o->shard_index > o->shard_count)) {
        say(err, errlen, "shard %d/%d: the index must be 1..%d", o->shard_index, o->shard_count, o->shard_count);
        return -1;
    }
    /* Files: read once, verified against the manifest where there is one
     * (qcts/vecset.h); the cases are loaded from these bytes, so the hash
     * recorded is the hash of what ran. */
    strlist files = { 0 };
    qcts_vec_set set;
    const char *dir = vec;
    if (qcts_vec_set_read(vec, golden, &set, err, errlen) != QCTS_VEC_OK) {
        struct stat sb;
        if (stat(vec, &sb) != 0)
            say(err, errlen, "%s: %s (generate the golden set with 'qcts vectors gen')", vec, strerror(errno));
        return -1;
    }
    struct stat sb;
    if (stat(vec, &sb) != 0 || !S_ISDIR(sb.st_mode))
        dir = "";
    copy(rep->vector_set_sha256, sizeof rep->vector_set_sha256, set.sha256);
    rep->vector_set_official = set.official;
    for (size_t i = 0; i < set.n; i++)
        if (strlist_add(&files, set.files[i].path)) {
            say(err, errlen, "out of memory");
            goto fail_files;
        }
    if (files.n == 0) {
        say(err, errlen, "%s: no .safetensors case files (generate them with 'qcts vectors gen')", vec);
        goto fail_files;
    }
    /* set.files is sorted by relative path, which is the order of the paths. */
    rep->files = files.v;
    rep->n_files = files.n;

    loaded *ld = calloc(files.n, sizeof *ld);
    be_ctx *bes = calloc(o->n_backends, sizeof *bes);
    be_ctx ref;
    int have_ref = 0;
    item *items = NULL;
    if (!ld || !bes) {
        free(ld);
        free(bes);
        say(err, errlen, "out of memory");
        goto fail_files;
    }
    for (size_t i = 0; i < files.n; i++) {
        ld[i].path = files.v[i];
        if (qcts_case_file_load_mem(set.files[i].data, set.files[i].len, files.v[i], 0, &ld[i].f, ld[i].err,
                                    sizeof ld[i].err) == QCTS_OK
            && ld[i].f->suite && ld[i].f->suite[0])
            copy(ld[i].suite, sizeof ld[i].suite, ld[i].f->suite);
        else
            derived_suite(dir, files.v[i], ld[i].suite, sizeof ld[i].suite);
        free(set.files[i].data);   /* the case file keeps its own copy */
        set.files[i].data = NULL;
    }
    qcts_vec_set_free(&set);
    qsort(ld, files.n, sizeof *ld, cmp_loaded);
    /* Two files of one suite would run its cases twice and collide in the
     * database: refused before anything runs. */
    for (size_t i = 1; i < files.n; i++)
        if (strcmp(ld[i - 1].suite, ld[i].suite) == 0) {
            say(err, errlen, "%s and %s both hold suite '%s' (a duplicated suite file: remove one)",
                ld[i - 1].path, ld[i].path, ld[i].suite);
            goto fail;
        }

    /* Items: suite, case, backend. */
    size_t n_items = 0, cap = 0;
    for (size_t i = 0; i < files.n; i++) {
        size_t want = ld[i].f ? ld[i].f->n_cases : 1;
        cap += want * o->n_backends;
    }
    items = calloc(cap ? cap : 1, sizeof *items);
    if (!items) {
        say(err, errlen, "out of memory");
        goto fail;
    }
    /* --shard I/N: the k-th selected case (a file that did not load counts
     * as one) belongs to shard k % N + 1, so N shards cover every case
     * exactly once, whatever the backends. */
    size_t k_sel = 0;
    const size_t nsh = o->shard_count > 1 ? (size_t)o->shard_count : 1;
    const size_t mine = o->shard_count > 1 ? (size_t)(o->shard_index - 1) : 0;
    for (size_t i = 0; i < files.n; i++) {
        if (!ld[i].f) {
            if (!filter_may_match_suite(o->filter, ld[i].suite))
                continue;
            rep->n_cases_all_shards++;
            if (k_sel++ % nsh != mine)
                continue;
            for (size_t b = 0; b < o->n_backends; b++) {
                item it = { NULL, NULL, b, ld[i].suite, ld[i].path, ld[i].err };
                items[n_items++] = it;
            }
            continue;
        }
        for (size_t k = 0; k < ld[i].f->n_cases; k++) {
            const qcts_case *c = &ld[i].f->cases[k];
            char name[512];
            snprintf(name, sizeof name, "%s/%s", ld[i].suite, c->id);
            if (o->filter && fnmatch(o->filter, name, 0) != 0)
                continue;
            rep->n_cases_all_shards++;
            if (k_sel++ % nsh != mine)
                continue;
            rep->n_cases++;
            for (size_t b = 0; b < o->n_backends; b++) {
                item it = { ld[i].f, c, b, ld[i].suite, ld[i].path, NULL };
                items[n_items++] = it;
            }
        }
    }

    /* Backends. */
    for (size_t b = 0; b < o->n_backends; b++)
        be_open(&bes[b], o->backends[b], o->exec_timeout, o->in_process);
    if (o->identify) {
        be_open(&ref, "ref", 0, 0);
        have_ref = 1;
    }

    qcts_result *results = calloc(n_items ? n_items : 1, sizeof *results);
    if (!results) {
        say(err, errlen, "out of memory");
        for (size_t b = 0; b < o->n_backends; b++)
            be_close(&bes[b]);
        if (have_ref)
            be_close(&ref);
        goto fail;
    }
    for (size_t i = 0; i < n_items; i++)
        result_init(&results[i], &items[i], o);
    work w;
    memset(&w, 0, sizeof w);
    w.s.o = o;
    w.s.bes = bes;
    w.s.ref = have_ref ? &ref : NULL;
    w.items = items;
    w.results = results;
    w.n = n_items;
    w.t0 = w.last_plain = now_s();
    pthread_mutex_init(&w.lock, NULL);
    int jobs = rep->jobs;
    if ((size_t)jobs > n_items)
        jobs = n_items ? (int)n_items : 1;
    pthread_t *th = calloc((size_t)jobs, sizeof *th);
    int started = 0;
    for (int t = 1; th && t < jobs; t++) {
        if (pthread_create(&th[t], NULL, worker, &w) != 0)
            break;
        started = t;
    }
    worker(&w);
    for (int t = 1; t <= started; t++)
        pthread_join(th[t], NULL);
    free(th);
    pthread_mutex_destroy(&w.lock);
    if (o->progress && n_items) {
        fprintf(o->progress, "\r\033[K");
        fflush(o->progress);
    }

    /* --fail-fast: cases are started in order, so those never started are
     * the tail; they are left out, never counted as anything. */
    if (w.stop) {
        rep->not_run = n_items - w.next;
        n_items = w.next;
    }
    /* The file paths in results point into files.v, which the report keeps. */
    rep->results = results;
    rep->n_results = n_items;
    for (size_t i = 0; i < n_items; i++)
        rep->counts[results[i].verdict]++;
    for (size_t b = 0; b < o->n_backends; b++)
        be_close(&bes[b]);
    if (have_ref)
        be_close(&ref);
    /* Results keep copies of what they need; r->file points at the path
     * strings the report owns. */
    for (size_t i = 0; i < files.n; i++)
        qcts_case_file_free(ld[i].f);
    free(items);
    free(bes);
    free(ld);
    rep->seconds = now_s() - t0;
    return 0;

fail:
    for (size_t i = 0; i < files.n; i++)
        qcts_case_file_free(ld[i].f);
    free(items);
    free(bes);
    free(ld);
    qcts_check_report_free(rep);
    return -1;
fail_files:
    qcts_vec_set_free(&set);
    for (size_t i = 0; i < files.n; i++)
        free(files.v[i]);
    free(files.v);
    return -1;
}

void qcts_check_report_free(qcts_check_report *r)
{
    for (size_t i = 0; i < r->n_files; i++)
        free(r->files[i]);
    free(r->files);
    free(r->results);
    memset(r, 0, sizeof *r);
}

int qcts_check_failed(const qcts_check_report *r)
{
    return r->counts[QCTS_V_FAIL] + r->counts[QCTS_V_ERROR] > 0;
}
