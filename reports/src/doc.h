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
    int colour;                /* HTML: cells coloured by verdict word (pass, FAIL, skip, mistrusted) */
} tbl;

/* B_RAW: HTML as is (text) and its Markdown (md, may be NULL); B_DETAILS:
 * <details><summary>text</summary> (in both renderings; GitHub shows it),
 * closed by B_END_DETAILS. */
typedef enum { B_H1, B_H2, B_H3, B_P, B_TABLE, B_SVG, B_COMMENT, B_RAW, B_DETAILS, B_END_DETAILS } bkind;

typedef struct block {
    bkind k;
    char *text;                /* H*, P (`code` spans allowed), SVG, COMMENT, RAW (HTML), DETAILS */
    char *md;                  /* RAW: the Markdown */
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
void doc_raw(doc *d, char *html, char *md);   /* takes ownership of both (either may be NULL) */
void doc_end_details(doc *d);
/* The anchor of a heading: GitHub's rule (lower case; letters, digits, '-'
 * and '_' kept; spaces to '-'; the rest dropped). */
void doc_slug(const char *text, char *out, size_t n);
void doc_free(doc *d);

/* Renderers: 0 or -1 (write error). */
int doc_markdown(const doc *d, FILE *f);
int doc_html(const doc *d, FILE *f, const char *title);

#endif
