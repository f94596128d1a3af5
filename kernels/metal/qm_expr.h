/* qm_expr.h — integer formulas of a Metal kernel manifest ("(N + 7) / 8"):
 * non-negative integer literals, the variables M N K G (group size) B
 * (batch), + - * / % and parentheses, usual precedence, left to right.
 * 64-bit signed arithmetic; overflow, division by zero, a negative or
 * unknown result is an error, never a wrong grid. */
#ifndef QM_EXPR_H
#define QM_EXPR_H

#include <stddef.h>
#include <stdint.h>

typedef struct qm_expr_vars {
    int64_t M, N, K, G, B;
} qm_expr_vars;

/* 0 and *out on success; -1 with a sentence naming the position. */
int qm_expr_eval(const char *s, const qm_expr_vars *v, int64_t *out, char *msg, size_t n);

#endif
