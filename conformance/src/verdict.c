/* Check rules, poison and guards, mistrust (qcts/verdict.h). */
#include "qcts/verdict.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const verdict_names[QCTS_V_COUNT] = {
    "PASS", "FAIL", "SKIP", "UNAVAILABLE", "MISTRUSTED", "ERROR"
};

const char *qcts_verdict_name(qcts_verdict v)
{
    return (unsigned)v < QCTS_V_COUNT ? verdict_names[v] : NULL;
}

int qcts_verdict_from_name(const char *name, qcts_verdict *v)
{
    for (int i = 0; name && i < QCTS_V_COUNT; i++)
        if (strcmp(name, verdict_names[i]) == 0) {
            *v = (qcts_verdict)i;
            return 0;
        }
    return -1;
}

/* ---- poison and guards ----------------------------------------------------- */

static size_t esize(qcts_dtype d)
{
    size_t s = qcts_dtype_size(d);
    return s ? s : 1;
}

static uint32_t poison_bits(qcts_dtype d, int v)
{
    switch (d) {
    case QCTS_DT_F32:
    case QCTS_DT_U32:
    case QCTS_DT_I32: return v ? 0xFFC1BAD5u : 0x7FC0DEADu;
    case QCTS_DT_F16: return v ? 0xFFA5u : 0x7E5Au;
    case QCTS_DT_BF16: return v ? 0xFFE5u : 0x7FDAu;
    case QCTS_DT_U16: return v ? 0x2152u : 0xDEADu;
    case QCTS_DT_U8: return v ? 0x5Au : 0xA5u;
    }
    return v ? 0x5Au : 0xA5u;
}

void qcts_poison_element(qcts_dtype d, int variant, uint8_t out[4])
{
    uint32_t b = poison_bits(d, variant);
    for (size_t k = 0; k < 4; k++)
        out[k] = (uint8_t)(b >> (8 * k));
}

void qcts_poison_fill(void *buf, size_t nbytes, qcts_dtype d, int variant)
{
    uint8_t e[4];
    qcts_poison_element(d, variant, e);
    size_t s = esize(d);
    uint8_t *p = buf;
    for (size_t i = 0; i + s <= nbytes; i += s)
        memcpy(p + i, e, s);
}

int qcts_poison_at(const void *buf, size_t i, qcts_dtype d, int variant)
{
    uint8_t e[4];
    qcts_poison_element(d, variant, e);
    size_t s = esize(d);
    return memcmp((const uint8_t *)buf + i * s, e, s) == 0;
}

uint8_t qcts_guard_byte(size_t k, int variant)
{
    /* Varies along the guard (a constant fill would miss a memset of the
     * same value) and between variants (every byte differs). */
    uint8_t b = (uint8_t)(0x3Cu ^ (uint8_t)(k * 0x9Du) ^ (uint8_t)(k >> 3));
    return variant ? (uint8_t)~b : b;
}

int qcts_guarded_alloc(qcts_guarded *g, size_t nbytes, qcts_dtype d)
{
    memset(g, 0, sizeof *g);
    size_t total = QCTS_GUARD_BYTES + nbytes + QCTS_GUARD_BYTES;
    total = (total + 63) / 64 * 64;
    g->base = aligned_alloc(64, total);
    if (!g->base)
        return -1;
    g->data = (uint8_t *)g->base + QCTS_GUARD_BYTES;
    g->nbytes = nbytes;
    g->dtype = d;
    return 0;
}

void qcts_guarded_free(qcts_guarded *g)
{
    free(g->base);
    memset(g, 0, sizeof *g);
}

void qcts_guarded_arm(qcts_guarded *g, int variant)
{
    qcts_poison_fill(g->data, g->nbytes, g->dtype, variant);
    for (size_t k = 0; k < QCTS_GUARD_BYTES; k++) {
        g->data[-1 - (ptrdiff_t)k] = qcts_guard_byte(k, variant);
        g->data[g->nbytes + k] = qcts_guard_byte(k, variant);
    }
}

int qcts_guarded_check(const qcts_guarded *g, int variant, int64_t *byte)
{
    for (size_t k = 0; k < QCTS_GUARD_BYTES; k++)
        if (g->data[-1 - (ptrdiff_t)k] != qcts_guard_byte(k, variant)) {
            *byte = -1 - (int64_t)k;
            return 1;
        }
    for (size_t k = 0; k < QCTS_GUARD_BYTES; k++)
        if (g->data[g->nbytes + k] != qcts_guard_byte(k, variant)) {
            *byte = (int64_t)(g->nbytes + k);
            return 1;
        }
    return 0;
}

/* ---- layouts -------------------------------------------------------------------- */

qcts_layout qcts_layout_dense(size_t n)
{
    qcts_layout l = { 1, n, n };
    return l;
}

int qcts_layout_is_padding(const qcts_layout *l, size_t i)
{
    return l->ld > l->cols && i % l->ld >= l->cols;
}

static size_t layout_span(const qcts_layout *l)
{
    return l->rows * l->ld;
}

/* ---- elements -------------------------------------------------------------------- */

static int is_float(qcts_dtype d)
{
    return d == QCTS_DT_F32 || d == QCTS_DT_F16 || d == QCTS_DT_BF16;
}

static qref_fmt float_fmt(qcts_dtype d)
{
    return d == QCTS_DT_F32 ? QREF_FMT_F32 : d == QCTS_DT_F16 ? QREF_FMT_F16 : QREF_FMT_BF16;
}

static uint32_t bits_at(qcts_dtype d, const void *buf, size_t i)
{
    const uint8_t *p = (const uint8_t *)buf + i * esize(d);
    switch (esize(d)) {
    case 1: return p[0];
    case 2: return (uint32_t)p[0] | (uint32_t)p[1] << 8;
    default: return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    }
}

static float value_of(qcts_dtype d, uint32_t bits)
{
    float f;
    switch (d) {
    case QCTS_DT_F32: memcpy(&f, &bits, sizeof f); return f;
    case QCTS_DT_F16: return qref_f16_to_f32((uint16_t)bits);
    case QCTS_DT_BF16: return qref_bf16_to_f32((uint16_t)bits);
    default: return (float)bits;
    }
}

static uint64_t ulp_of(qcts_dtype d, uint32_t a, uint32_t b)
{
    if (d == QCTS_DT_F32) {
        float x, y;
        memcpy(&x, &a, sizeof x);
        memcpy(&y, &b, sizeof y);
        return qcts_ulp_distance_f32(x, y);
    }
    return d == QCTS_DT_F16 ? qcts_ulp_distance_f16((uint16_t)a, (uint16_t)b)
                            : qcts_ulp_distance_bf16((uint16_t)a, (uint16_t)b);
}

static void bits_text(qcts_dtype d, uint32_t bits, char *out, size_t n)
{
    if (!is_float(d)) {
        snprintf(out, n, "0x%0*x", (int)(2 * esize(d)), (unsigned)bits);
        return;
    }
    float v = value_of(d, bits);
    char val[40];
    if (isnan(v))
        snprintf(val, sizeof val, "%snan", signbit(v) ? "-" : "");
    else if (isinf(v))
        snprintf(val, sizeof val, "%sinf", v < 0 ? "-" : "");
    else if (v == 0)
        snprintf(val, sizeof val, "%s0", signbit(v) ? "-" : "");
    else
        snprintf(val, sizeof val, "%.9g", (double)v);
    snprintf(out, n, "%s (0x%0*x)", val, (int)(2 * esize(d)), (unsigned)bits);
}

void qcts_element_text(qcts_dtype d, const void *buf, size_t i, char *out, size_t n)
{
    bits_text(d, bits_at(d, buf, i), out, n);
}

/* Is a code of element format fmt a NaN? */
static int code_is_nan(qref_fmt fmt, uint32_t code)
{
    if (fmt >= QREF_FMT_COUNT)
        return 0;
    float v;
    return qref_decode(fmt, QREF_CONV_OCP, code, &v) == QREF_OK && isnan(v);
}

/* ---- comparing ---------------------------------------------------------------- */

static int rule_applies(qcts_dtype d, const qcts_rule *rule, const float *bound, char *err, size_t errlen)
{
    if (rule->kind == QCTS_CHECK_EXACT)
        return 0;
    const char *name = rule->kind == QCTS_CHECK_BOUND ? "bound" : "ulp";
    if (!is_float(d)) {
        snprintf(err, errlen, "check rule %s needs a float output, the output is %s", name,
                 qcts_dtype_name(d) ? qcts_dtype_name(d) : "?");
        return -1;
    }
    if (rule->kind == QCTS_CHECK_BOUND && !bound) {
        snprintf(err, errlen, "check rule bound without a bound tensor");
        return -1;
    }
    if (rule->kind != QCTS_CHECK_BOUND && rule->kind != QCTS_CHECK_ULP) {
        snprintf(err, errlen, "unknown check rule %d", (int)rule->kind);
        return -1;
    }
    return 0;
}

/* Gathers the data elements of a strided buffer into a dense one. */
static void *gather(qcts_dtype d, const void *buf, const qcts_layout *l)
{
    size_t s = esize(d);
    uint8_t *out = malloc(l->rows * l->cols * s + 1);
    if (!out)
        return NULL;
    for (size_t r = 0; r < l->rows; r++)
        memcpy(out + r * l->cols * s, (const uint8_t *)buf + r * l->ld * s, l->cols * s);
    return out;
}

int qcts_compare(qcts_dtype d, qref_fmt code_fmt, const void *expected, const void *got,
                 const qcts_layout *layout, const qcts_rule *rule, const float *bound,
                 qcts_cmp *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->worst_allowed = out->worst_error = NAN;
    if (err && errlen)
        err[0] = '\0';
    if (rule_applies(d, rule, bound, err, errlen))
        return -1;
    const int fl = is_float(d);
    const size_t span = layout_span(layout);
    /* The worst element: the largest score, the first on ties. Violations
     * score above 1 (bound: error/allowed; ulp: ulps/N + 1; exact: ulps + 1;
     * an out-of-place NaN or infinity scores +Inf); non-violations score
     * error/allowed <= 1 (bound, ulp rules only). */
    double worst_score = -1;
    for (size_t i = 0; i < span; i++) {
        if (qcts_layout_is_padding(layout, i))
            continue;
        out->n++;
        uint32_t e = bits_at(d, expected, i), g = bits_at(d, got, i);
        int match;
        if (fl) {
            float ev = value_of(d, e), gv = value_of(d, g);
            match = e == g || (isnan(ev) && isnan(gv));
        } else {
            match = e == g || (code_is_nan(code_fmt, e) && code_is_nan(code_fmt, g));
        }
        if (!match)
            out->mismatches++;
        int bad;
        double score = -1, allowed = 0, error = NAN;
        uint64_t ulps = 0;
        if (!fl) {
            bad = !match;
            score = bad ? 2 : -1;
        } else {
            float ev = value_of(d, e), gv = value_of(d, g);
            ulps = ulp_of(d, e, g);
            error = fabs((double)gv - (double)ev);
            if (rule->kind == QCTS_CHECK_EXACT) {
                bad = !match;
                score = bad ? (ulps == QCTS_ULP_NAN ? INFINITY : 1.0 + (double)ulps) : -1;
            } else if (rule->kind == QCTS_CHECK_ULP) {
                allowed = NAN;
                bad = ulps > rule->ulp;
                if (ulps == QCTS_ULP_NAN)
                    score = INFINITY;
                else if (rule->ulp == 0)
                    score = bad ? 1.0 + (double)ulps : 0;
                else
                    score = (double)ulps / rule->ulp + (bad ? 1.0 : 0.0);
            } else {
                allowed = rule->bound_c * (double)bound[i];
                if (isnan(ev)) {
                    bad = !isnan(gv);
                    score = bad ? INFINITY : 0;
                } else if (isinf(ev) || !isfinite(gv)) {
                    bad = e != g;
                    score = bad ? INFINITY : 0;
                } else {
                    bad = !(error <= allowed);
                    if (allowed > 0)
                        score = error / allowed + (bad ? 1.0 : 0.0);
                    else
                        score = bad ? INFINITY : 0;
                }
            }
        }
        if (bad)
            out->violations++;
        /* Violations score above every non-violation, so once there is one
         * only violations compete. Exact rules have no "closest to the
         * limit" among matching elements. */
        if (score > worst_score && (bad || rule->kind != QCTS_CHECK_EXACT)) {
            worst_score = score;
            out->has_worst = 1;
            out->worst = i;
            out->worst_expected = fl ? (double)value_of(d, e) : (double)e;
            out->worst_got = fl ? (double)value_of(d, g) : (double)g;
            out->worst_allowed = allowed;
            out->worst_error = error;
            out->worst_ulp = ulps;
            bits_text(d, e, out->worst_expected_text, sizeof out->worst_expected_text);
            bits_text(d, g, out->worst_got_text, sizeof out->worst_got_text);
        }
    }
    if (fl) {
        const void *ex = expected, *gt = got;
        void *ed = NULL, *gd = NULL;
        if (layout->ld != layout->cols) {
            ed = gather(d, expected, layout);
            gd = gather(d, got, layout);
            if (!ed || !gd) {
                free(ed);
                free(gd);
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            ex = ed;
            gt = gd;
        }
        out->has_metrics = qcts_metrics_compute_as(float_fmt(d), ex, gt, out->n, &out->m) == 0;
        free(ed);
        free(gd);
    }
    return 0;
}

static void num(char *buf, size_t n, double v)
{
    if (isnan(v))
        snprintf(buf, n, "nan");
    else if (isinf(v))
        snprintf(buf, n, "%sinf", v < 0 ? "-" : "");
    else
        snprintf(buf, n, "%.6g", v);
}

void qcts_cmp_describe(const qcts_cmp *c, const qcts_rule *rule, char *buf, size_t n)
{
    const char *what = rule->kind == QCTS_CHECK_EXACT ? "differ"
                     : rule->kind == QCTS_CHECK_BOUND ? "exceed the error bound"
                     : "exceed the ulp limit";
    int len = snprintf(buf, n, "%zu of %zu elements %s", c->violations, c->n, what);
    if (len < 0 || (size_t)len >= n || !c->has_worst)
        return;
    char extra[96] = "";
    if (rule->kind == QCTS_CHECK_BOUND) {
        char e[32], a[32];
        num(e, sizeof e, c->worst_error);
        num(a, sizeof a, c->worst_allowed);
        snprintf(extra, sizeof extra, ", |error| %s > bound %s", e, a);
    } else if (rule->kind == QCTS_CHECK_ULP) {
        if (c->worst_ulp == QCTS_ULP_NAN)
            snprintf(extra, sizeof extra, ", NaN vs number > %u ulp", (unsigned)rule->ulp);
        else
            snprintf(extra, sizeof extra, ", %llu ulp > %u ulp", (unsigned long long)c->worst_ulp,
                     (unsigned)rule->ulp);
    } else if (!isnan(c->worst_error) || c->worst_ulp) {
        if (c->worst_ulp == QCTS_ULP_NAN)
            snprintf(extra, sizeof extra, ", NaN vs number");
        else
            snprintf(extra, sizeof extra, ", %llu ulp", (unsigned long long)c->worst_ulp);
    }
    snprintf(buf + len, n - (size_t)len, "; worst element %zu: expected %s, got %s%s", c->worst,
             c->worst_expected_text, c->worst_got_text, extra);
}

double qcts_rows_kl(qcts_dtype d, const void *expected, const void *got, const qcts_layout *l)
{
    if (!is_float(d) || l->rows == 0 || l->cols == 0)
        return NAN;
    double *a = malloc(l->cols * sizeof *a), *b = malloc(l->cols * sizeof *b);
    double sum = 0;
    for (size_t r = 0; a && b && r < l->rows; r++) {
        for (size_t c = 0; c < l->cols; c++) {
            size_t i = r * l->ld + c;
            a[c] = (double)value_of(d, bits_at(d, expected, i));
            b[c] = (double)value_of(d, bits_at(d, got, i));
            if (!isfinite(a[c]) || !isfinite(b[c])) {
                free(a);
                free(b);
                return NAN;
            }
        }
        sum += qcts_kl_softmax(a, b, l->cols);
    }
    int ok = a && b;
    free(a);
    free(b);
    return ok ? sum / (double)l->rows : NAN;
}

int qcts_mistrust(int degenerate, qcts_dtype d, const void *expected, const qcts_layout *l,
                  char *why, size_t n)
{
    if (degenerate) {
        snprintf(why, n, "case is flagged degenerate");
        return 1;
    }
    size_t total = 0, zeros = 0, span = layout_span(l);
    for (size_t i = 0; i < span; i++) {
        if (qcts_layout_is_padding(l, i))
            continue;
        total++;
        uint32_t b = bits_at(d, expected, i);
        if (is_float(d))
            b &= d == QCTS_DT_F32 ? 0x7FFFFFFFu : 0x7FFFu;
        zeros += b == 0;
    }
    if (total == 0 || (double)zeros < QCTS_MISTRUST_ZERO_SHARE * (double)total)
        return 0;
    snprintf(why, n, "expected output is %d%% zeros (%zu of %zu elements)",
             (int)floor(100.0 * (double)zeros / (double)total), zeros, total);
    return 1;
}
