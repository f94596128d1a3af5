/* doc.h — a report as a list of blocks (headings, paragraphs, tables, SVG)
 * rendered twice: Markdown and HTML. Private to reports/. */
#ifndef QCTS_REPORTS_DOC_H
#define QCTS_REPORTS_DOC_H

#include <stddef.h>
#include <stdio.h>

typedef struct tbl {
    int ncol;
    size_t nrows, cap;         /* row 0 is the header */
    char **cells;              /* nrows * ncol, owned */
    const char *align;         /* per column 'l' or 'r'; NULL: all left */
} tbl;

typedef enum { B_H1, B_H2, B_H3, B_P, B_TABLE, B_SVG, B_COMMENT } bkind;

typedef struct block {
    bkind k;
    char *text;                /* H*, P (`code` spans allowed), SVG, COMMENT */
    tbl *t;
} block;

typedef struct doc {
    block *b;
    size_t n, cap;
    int oom;
} doc;

tbl *tbl_new(int ncol, const char *align, ...);            /* ncol header strings follow */
/* Adds a row: ncol preformatted cells (copied). */
void tbl_add(tbl *t, const char *const *cells);
void tbl_free(tbl *t);

void doc_add(doc *d, bkind k, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void doc_table(doc *d, tbl *t);   /* takes ownership */
void doc_svg(doc *d, char *svg);   /* takes ownership */
void doc_free(doc *d);

/* Renderers: 0 or -1 (write error). */
int doc_markdown(const doc *d, FILE *f);
int doc_html(const doc *d, FILE *f, const char *title);

#endif
