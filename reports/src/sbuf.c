/* The growing string of the report pages (sbuf.h). */
#include "reports/src/sbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void sb(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (k < 0) {
        b->oom = 1;
        return;
    }
    if (b->n + (size_t)k + 1 > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 4096) + (size_t)k;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->oom = 1;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->n, b->cap - b->n, fmt, ap);
    va_end(ap);
    b->n += (size_t)k;
}

void sb_esc(sbuf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '&')
            sb(b, "&amp;");
        else if (*s == '<')
            sb(b, "&lt;");
        else if (*s == '>')
            sb(b, "&gt;");
        else if (*s == '"')
            sb(b, "&quot;");
        else
            sb(b, "%c", *s);
    }
}
