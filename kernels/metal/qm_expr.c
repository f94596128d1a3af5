/* Manifest formulas (qm_expr.h): a recursive-descent parser. */
#include "kernels/metal/qm_expr.h"

#include <stdio.h>

typedef struct P {
    const char *s, *p;
    const qm_expr_vars *v;
    char *msg;
    size_t n;
    int err;
} P;

static int64_t fail(P *x, const char *what)
{
    if (!x->err)
        snprintf(x->msg, x->n, "formula \"%s\": %s at character %d", x->s, what, (int)(x->p - x->s) + 1);
    x->err = 1;
    return 0;
}

static void ws(P *x)
{
    while (*x->p == ' ' || *x->p == '\t')
        x->p++;
}

static int64_t expr(P *x, int depth);

static int64_t atom(P *x, int depth)
{
    ws(x);
    char c = *x->p;
    if (c == '(') {
        x->p++;
        int64_t r = expr(x, depth + 1);
        ws(x);
        if (*x->p != ')')
            return fail(x, "')' expected");
        x->p++;
        return r;
    }
    if (c >= '0' && c <= '9') {
        int64_t r = 0;
        while (*x->p >= '0' && *x->p <= '9') {
            if (r > (INT64_MAX - 9) / 10)
                return fail(x, "number too large");
            r = r * 10 + (*x->p++ - '0');
        }
        return r;
    }
    x->p++;
    switch (c) {
    case 'M': return x->v->M;
    case 'N': return x->v->N;
    case 'K': return x->v->K;
    case 'G': return x->v->G;
    case 'B': return x->v->B;
    }
    x->p--;
    return fail(x, c ? "a number, a variable (M N K G B) or '(' expected" : "unexpected end");
}

static int64_t term(P *x, int depth)
{
    int64_t r = atom(x, depth);
    for (;;) {
        ws(x);
        char op = *x->p;
        if (x->err || (op != '*' && op != '/' && op != '%'))
            return r;
        x->p++;
        int64_t b = atom(x, depth);
        if (x->err)
            return 0;
        if (op == '*') {
            if (b != 0 && (r > INT64_MAX / b || r < INT64_MIN / b))
                return fail(x, "overflow");
            r *= b;
        } else {
            if (b == 0)
                return fail(x, "division by zero");
            r = op == '/' ? r / b : r % b;
        }
    }
}

static int64_t expr(P *x, int depth)
{
    if (depth > 64)
        return fail(x, "nested too deeply");
    int64_t r = term(x, depth);
    for (;;) {
        ws(x);
        char op = *x->p;
        if (x->err || (op != '+' && op != '-'))
            return r;
        x->p++;
        int64_t b = term(x, depth);
        if (x->err)
            return 0;
        if ((op == '+' && ((b > 0 && r > INT64_MAX - b) || (b < 0 && r < INT64_MIN - b))) ||
            (op == '-' && ((b < 0 && r > INT64_MAX + b) || (b > 0 && r < INT64_MIN + b))))
            return fail(x, "overflow");
        r = op == '+' ? r + b : r - b;
    }
}

int qm_expr_eval(const char *s, const qm_expr_vars *v, int64_t *out, char *msg, size_t n)
{
    P x = { s ? s : "", s ? s : "", v, msg, n, 0 };
    int64_t r = expr(&x, 0);
    ws(&x);
    if (!x.err && *x.p)
        fail(&x, "unexpected character");
    if (!x.err && r < 0)
        fail(&x, "negative result");
    if (x.err)
        return -1;
    *out = r;
    return 0;
}
