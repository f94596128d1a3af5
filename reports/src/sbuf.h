/* sbuf.h — the growing string both report pages are built in (glance.c,
 * svg.c). A failed allocation sets oom and drops the text; the writer that
 * owns the buffer must check oom before it publishes anything. */
#ifndef QCTS_REPORTS_SBUF_H
#define QCTS_REPORTS_SBUF_H

#include <stddef.h>

typedef struct sbuf {
    char *s;
    size_t n, cap;
    int oom;                    /* an append failed: the text is incomplete */
} sbuf;

/* Appends printf-formatted text. */
void sb(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s with &, <, > and " escaped for HTML text and attributes. */
void sb_esc(sbuf *b, const char *s);

#endif
