/* What every writer shares: the summary line, reproduce commands, quoting. */
#include "qcts/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void qcts_report_summary(const qcts_check_report *r, char *buf, size_t n)
{
    snprintf(buf, n, "passed: %zu failed: %zu skipped: %zu mistrusted: %zu unavailable: %zu errors: %zu",
             r->counts[QCTS_V_PASS], r->counts[QCTS_V_FAIL], r->counts[QCTS_V_SKIP],
             r->counts[QCTS_V_MISTRUSTED], r->counts[QCTS_V_UNAVAILABLE], r->counts[QCTS_V_ERROR]);
}

void qcts_shell_quote(const char *s, char *buf, size_t n)
{
    if (!n)
        return;
    int plain = s[0] != '\0';
    for (const char *p = s; *p && plain; p++)
        plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:=,+@%", *p) != NULL;
    size_t k = 0;
    if (plain) {
        snprintf(buf, n, "%s", s);
        return;
    }
    buf[k++] = '\'';
    for (const char *p = s; *p && k + 5 < n; p++) {
        if (*p == '\'') {
            memcpy(buf + k, "'\\''", 4);
            k += 4;
        } else {
            buf[k++] = *p;
        }
    }
    if (k + 1 < n)
        buf[k++] = '\'';
    buf[k < n ? k : n - 1] = '\0';
}

void qcts_report_rerun(const qcts_check_report *r, const qcts_result *res, char *buf, size_t n)
{
    char be[600], filter[320], vec[600] = "";
    qcts_shell_quote(res->backend, be, sizeof be);
    char f[300];
    snprintf(f, sizeof f, "%s/%s", res->suite, res->case_id);
    /* Quote always: a filter is a glob, and the shell must not expand it. */
    if (strchr(f, '\'') == NULL)
        snprintf(filter, sizeof filter, "'%s'", f);
    else
        qcts_shell_quote(f, filter, sizeof filter);
    if (strcmp(r->vectors, "vectors/golden") != 0) {
        char q[560];
        qcts_shell_quote(r->vectors, q, sizeof q);
        snprintf(vec, sizeof vec, " --vectors %s", q);
    }
    snprintf(buf, n, "qcts check --backend %s%s --filter %s", be, vec, filter);
}

void qcts_report_standalone(const qcts_result *res, char *buf, size_t n)
{
    char be[600], file[600], id[80], in[100], out[100];
    qcts_shell_quote(res->backend, be, sizeof be);
    qcts_shell_quote(res->file ? res->file : "?", file, sizeof file);
    qcts_shell_quote(res->case_id, id, sizeof id);
    char name[96];
    snprintf(name, sizeof name, "%s.safetensors", res->case_id);
    qcts_shell_quote(name, in, sizeof in);
    snprintf(name, sizeof name, "%s.out.safetensors", res->case_id);
    qcts_shell_quote(name, out, sizeof out);
    snprintf(buf, n, "qcts case extract %s %s %s && qcts case run --backend %s %s %s", file, id, in, be, in, out);
}

/* ---- XML -------------------------------------------------------------------------- */

typedef struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
} sbuf;

static void put(sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* Length of a valid UTF-8 sequence at s that XML allows, 0 otherwise. */
static size_t utf8_ok(const unsigned char *s)
{
    unsigned c = s[0];
    size_t len;
    unsigned cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    for (size_t k = 1; k < len; k++) {
        if ((s[k] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[k] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;                               /* overlong or too large */
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF)
        return 0;                               /* surrogates, non-characters XML forbids */
    return len;
}

char *qcts_xml_escape(const char *s, int attr)
{
    sbuf b = { 0 };
    put(&b, "", 0);
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        const char *rep = NULL;
        char tmp[8];
        switch (c) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&apos;"; break;
        case '\t': rep = attr ? "&#9;" : "\t"; break;
        case '\n': rep = attr ? "&#10;" : "\n"; break;
        case '\r': rep = attr ? "&#13;" : "&#13;"; break;
        default:
            if (c < 0x20) {
                snprintf(tmp, sizeof tmp, "\\x%02x", c);
                rep = tmp;
            }
        }
        if (rep) {
            put(&b, rep, strlen(rep));
            p++;
            continue;
        }
        size_t len = utf8_ok(p);
        if (len == 0) {
            put(&b, "\xEF\xBF\xBD", 3);        /* U+FFFD */
            p++;
        } else {
            put(&b, (const char *)p, len);
            p += len;
        }
    }
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}
