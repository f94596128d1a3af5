/* Formatting of codes and values for the CLI's output. */
#include "cli/text.h"

#include "qcts/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void qcts_text_code(char *buf, size_t n, uint32_t code, unsigned bits)
{
    snprintf(buf, n, "0x%0*lx", (int)((bits + 3) / 4), (unsigned long)code);
}

void qcts_text_bits(char *buf, size_t n, uint32_t code, unsigned bits)
{
    size_t i = 0;
    for (unsigned b = bits; b-- > 0 && i + 1 < n;)
        buf[i++] = (char)('0' + ((code >> b) & 1u));
    if (n)
        buf[i] = '\0';
}

static int special(char *buf, size_t n, float v)
{
    if (isnan(v))
        snprintf(buf, n, "%s", signbit(v) ? "-nan" : "nan");
    else if (isinf(v))
        snprintf(buf, n, "%s", v < 0 ? "-inf" : "inf");
    else if (v == 0.0f)
        snprintf(buf, n, "%s", signbit(v) ? "-0" : "0");
    else
        return 0;
    return 1;
}

void qcts_text_value(char *buf, size_t n, float v)
{
    if (!special(buf, n, v))
        snprintf(buf, n, "%.9g", (double)v);
}

void qcts_text_hexfloat(char *buf, size_t n, float v)
{
    if (v == 0.0f)
        snprintf(buf, n, "%s", signbit(v) ? "-0x0p+0" : "0x0p+0");
    else if (!special(buf, n, v))
        snprintf(buf, n, "%a", (double)v);
}

uint32_t qcts_f32_bits(float v)
{
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    return u;
}

void qcts_table_print(FILE *f, const qcts_cell *cells, size_t rows, size_t cols)
{
    enum { MAXCOLS = 16 };   /* columns past this are printed unpadded */
    size_t width[MAXCOLS] = { 0 };
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols && c < MAXCOLS; c++) {
            size_t len = strlen(cells[r * cols + c]);
            if (len > width[c])
                width[c] = len;
        }
    for (size_t r = 0; r < rows; r++) {
        for (size_t c = 0; c < cols; c++) {
            const char *s = cells[r * cols + c];
            if (c + 1 == cols)
                fprintf(f, "%s", s);
            else
                fprintf(f, "%-*s  ", c < MAXCOLS ? (int)width[c] : 0, s);
        }
        fputc('\n', f);
    }
}

char *qcts_command_line(const char *cmd, int argc, char **argv)
{
    size_t cap = 16 + strlen(cmd);
    for (int i = 0; i < argc; i++)
        cap += 4 * strlen(argv[i]) + 3;
    char *s = malloc(cap), q[4096];
    if (!s)
        return NULL;
    size_t len = (size_t)snprintf(s, cap, "qcts %s", cmd);
    for (int i = 0; i < argc; i++) {
        qcts_shell_quote(argv[i], q, sizeof q);
        len += (size_t)snprintf(s + len, cap - len, " %s", q);
    }
    return s;
}
