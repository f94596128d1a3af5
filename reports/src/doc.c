/* Blocks and their Markdown and HTML renderings (doc.h). */
#include "reports/src/doc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

tbl *tbl_new(int ncol, const char *align, ...)
{
    tbl *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->ncol = ncol;
    t->align = align;
    va_list ap;
    va_start(ap, align);
    const char *h[32];
    for (int i = 0; i < ncol && i < 32; i++)
        h[i] = va_arg(ap, const char *);
    va_end(ap);
    tbl_add(t, h);
    return t;
}

void tbl_add(tbl *t, const char *const *cells)
{
    if (!t)
        return;
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 16;
        char **c = realloc(t->cells, cap * (size_t)t->ncol * sizeof *c);
        if (!c)
            return;
        t->cells = c;
        t->cap = cap;
    }
    for (int i = 0; i < t->ncol; i++)
        t->cells[t->nrows * (size_t)t->ncol + (size_t)i] = strdup(cells[i] ? cells[i] : "");
    t->nrows++;
}

void tbl_free(tbl *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nrows * (size_t)t->ncol; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t);
}

static block *push(doc *d)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 32;
        block *b = realloc(d->b, cap * sizeof *b);
        if (!b) {
            d->oom = 1;
            return NULL;
        }
        d->b = b;
        d->cap = cap;
    }
    block *b = &d->b[d->n++];
    memset(b, 0, sizeof *b);
    return b;
}

void doc_add(doc *d, bkind k, const char *fmt, ...)
{
    block *b = push(d);
    if (!b)
        return;
    b->k = k;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    b->text = malloc((size_t)n + 1);
    if (!b->text) {
        d->oom = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(b->text, (size_t)n + 1, fmt, ap);
    va_end(ap);
}

void doc_table(doc *d, tbl *t)
{
    block *b = t ? push(d) : NULL;
    if (!b) {
        d->oom = 1;
        tbl_free(t);
        return;
    }
    b->k = B_TABLE;
    b->t = t;
}

void doc_svg(doc *d, char *svg)
{
    block *b = svg ? push(d) : NULL;
    if (!b) {
        free(svg);
        return;
    }
    b->k = B_SVG;
    b->text = svg;
}

void doc_raw(doc *d, char *html, char *md)
{
    block *b = push(d);
    if (!b) {
        free(html);
        free(md);
        return;
    }
    b->k = B_RAW;
    b->text = html;
    b->md = md;
}

void doc_end_details(doc *d)
{
    block *b = push(d);
    if (b)
        b->k = B_END_DETAILS;
}

void doc_slug(const char *text, char *out, size_t n)
{
    size_t k = 0;
    for (const char *s = text; *s && k + 1 < n; s++) {
        char c = *s;
        if (c >= 'A' && c <= 'Z')
            out[k++] = (char)(c - 'A' + 'a');
        else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')
            out[k++] = c;
        else if (c == ' ')
            out[k++] = '-';
    }
    out[k] = '\0';
}

void doc_free(doc *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->b[i].md);
        free(d->b[i].text);
        tbl_free(d->b[i].t);
    }
    free(d->b);
    memset(d, 0, sizeof *d);
}

/* ---- Markdown -------------------------------------------------------------------- */

static void md_cell(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", f);
        else if (*s == '\n')
            fputc(' ', f);
        else
            fputc(*s, f);
    }
}

int doc_markdown(const doc *d, FILE *f)
{
    for (size_t i = 0; i < d->n; i++) {
        const block *b = &d->b[i];
        switch (b->k) {
        case B_H1: fprintf(f, "# %s\n\n", b->text); break;
        case B_H2: fprintf(f, "## %s\n\n", b->text); break;
        case B_H3: fprintf(f, "### %s\n\n", b->text); break;
        case B_P: fprintf(f, "%s\n\n", b->text); break;
        case B_COMMENT: fprintf(f, "<!-- %s -->\n\n", b->text); break;
        case B_SVG: break;   /* charts are in the HTML only */
        case B_RAW:
            if (b->md)
                fprintf(f, "%s\n\n", b->md);
            break;
        case B_DETAILS: fprintf(f, "<details><summary>%s</summary>\n\n", b->text); break;
        case B_END_DETAILS: fputs("</details>\n\n", f); break;
        case B_TABLE: {
            const tbl *t = b->t;
            for (size_t r = 0; r < t->nrows; r++) {
                fputc('|', f);
                for (int c = 0; c < t->ncol; c++) {
                    fputc(' ', f);
                    md_cell(f, t->cells[r * (size_t)t->ncol + (size_t)c]);
                    fputs(" |", f);
                }
                fputc('\n', f);
                if (r == 0) {
                    fputc('|', f);
                    for (int c = 0; c < t->ncol; c++)
                        fputs(t->align && t->align[c] == 'r' ? "---:|" : "---|", f);
                    fputc('\n', f);
                }
            }
            fputc('\n', f);
            break;
        }
        }
    }
    return ferror(f) ? -1 : 0;
}

/* ---- HTML -------------------------------------------------------------------------- */

static void esc(FILE *f, const char *s, int code_spans)
{
    int in_code = 0;
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '`':
            if (code_spans) {
                fputs(in_code ? "</code>" : "<code>", f);
                in_code = !in_code;
                break;
            }
            fputc('`', f);
            break;
        default: fputc(*s, f);
        }
    }
    if (in_code)
        fputs("</code>", f);
}

int doc_html(const doc *d, FILE *f, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>", f);
    esc(f, title, 0);
    fputs("</title>\n<style>\n"
          "body{font-family:sans-serif;margin:24px;color:#222;background:#fff;max-width:1400px}\n"
          "table{border-collapse:collapse;margin:8px 0 20px 0;font-size:13px}\n"
          "th,td{border:1px solid #ccc;padding:3px 7px;vertical-align:top}\n"
          "th{background:#eef2f7;text-align:left}\n"
          "td.r{text-align:right;font-variant-numeric:tabular-nums}\n"
          "tr:nth-child(even) td{background:#fafafa}\n"
          "code{background:#f3f3f3;padding:0 3px}\n"
          "h1{font-size:24px}h2{font-size:19px;border-bottom:1px solid #ddd;margin-top:28px}h3{font-size:15px}\n"
          ".bad{color:#b00020;font-weight:bold}.good{color:#1b7f3b}\n"
          "svg{display:block;margin:8px 0 20px 0}\n"
          "td.c-pass{background:#d8f0dc!important}td.c-fail{background:#f8d0d4!important;color:#900;font-weight:bold}\n"
          "td.c-skip{background:#ececec!important;color:#666}td.c-mis{background:#fde9b8!important}\n"
          "details{margin:6px 0 14px 0}summary{cursor:pointer;font-weight:bold}\n"
          ".verdict{font-size:22px;font-weight:bold;padding:10px 14px;border-radius:6px;margin:6px 0 10px 0}\n"
          ".v-red{background:#f8d0d4;color:#7a0010}.v-amber{background:#fde9b8;color:#5a4000}"
          ".v-green{background:#d8f0dc;color:#0d4d22}\n"
          ".glance{display:grid;grid-template-columns:minmax(420px,1fr) minmax(520px,1.3fr);gap:10px 28px}\n"
          ".glance h4{margin:4px 0 6px 0;font-size:14px}.glance table{margin:0 0 8px 0}\n"
          ".glance ul{margin:0;padding-left:18px;font-size:13px}.glance li{margin:2px 0}\n"
          ".small{font-size:12px;color:#555}\n"
          "svg.spark{display:inline;margin:0;vertical-align:middle}\n"
          "</style>\n</head>\n<body>\n", f);
    for (size_t i = 0; i < d->n; i++) {
        const block *b = &d->b[i];
        switch (b->k) {
        case B_H1: fputs("<h1>", f); esc(f, b->text, 1); fputs("</h1>\n", f); break;
        case B_H2:
        case B_H3: {
            char id[160];
            doc_slug(b->text, id, sizeof id);
            fprintf(f, "<h%d id=\"%s\">", b->k == B_H2 ? 2 : 3, id);
            esc(f, b->text, 1);
            fprintf(f, "</h%d>\n", b->k == B_H2 ? 2 : 3);
            break;
        }
        case B_RAW:
            if (b->text)
                fprintf(f, "%s\n", b->text);
            break;
        case B_DETAILS: fputs("<details><summary>", f); esc(f, b->text, 1); fputs("</summary>\n", f); break;
        case B_END_DETAILS: fputs("</details>\n", f); break;
        case B_P: fputs("<p>", f); esc(f, b->text, 1); fputs("</p>\n", f); break;
        case B_COMMENT: fputs("<!-- ", f); esc(f, b->text, 0); fputs(" -->\n", f); break;
        case B_SVG: fputs(b->text, f); fputc('\n', f); break;
        case B_TABLE: {
            const tbl *t = b->t;
            fputs("<table>\n", f);
            for (size_t r = 0; r < t->nrows; r++) {
                fputs("<tr>", f);
                for (int c = 0; c < t->ncol; c++) {
                    const char *s = t->cells[r * (size_t)t->ncol + (size_t)c];
                    int bad = r > 0 && (strstr(s, "FAIL") || strstr(s, "REGRESSION") || strstr(s, "ERROR"));
                    int right = r && t->align && t->align[c] == 'r';
                    const char *cc = "";
                    if (r > 0 && t->colour && c > 0) {
                        if (strncmp(s, "FAIL", 4) == 0)
                            cc = " c-fail";
                        else if (strncmp(s, "pass", 4) == 0 || strncmp(s, "PASS", 4) == 0)
                            cc = " c-pass";
                        else if (strncmp(s, "mistrusted", 10) == 0 || strncmp(s, "MISTRUSTED", 10) == 0)
                            cc = " c-mis";
                        else if (strncmp(s, "skip", 4) == 0 || strncmp(s, "unavailable", 11) == 0)
                            cc = " c-skip";
                    }
                    fprintf(f, "<%s class=\"%s%s%s\">", r ? "td" : "th", right ? "r" : "", bad ? " bad" : "", cc);
                    esc(f, s, 1);
                    fprintf(f, "</%s>", r ? "td" : "th");
                }
                fputs("</tr>\n", f);
            }
            fputs("</table>\n", f);
            break;
        }
        }
    }
    fputs("</body>\n</html>\n", f);
    return ferror(f) ? -1 : 0;
}
