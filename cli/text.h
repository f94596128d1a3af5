/* text.h — how the CLI writes codes and values, and a plain-text table. */
#ifndef QCTS_CLI_TEXT_H
#define QCTS_CLI_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Big enough for every string below (a 32-bit binary string and its NUL). */
#define QCTS_TEXT_MAX 48

/* "0x7e": lower-case hex with ceil(bits/4) digits (e2m1 0x7, f16 0x7e00). */
void qcts_text_code(char *buf, size_t n, uint32_t code, unsigned bits);
/* "01111110": the code as a binary string of exactly `bits` digits. */
void qcts_text_bits(char *buf, size_t n, uint32_t code, unsigned bits);
/* "%.9g" (enough digits to round-trip a float32), or nan, -nan, inf, -inf,
 * -0 spelled the same on every libc. */
void qcts_text_value(char *buf, size_t n, float v);
/* "%a" of the value ("0x1.cp+8"); the same special spellings as above. */
void qcts_text_hexfloat(char *buf, size_t n, float v);
/* The float32 bit pattern of v. */
uint32_t qcts_f32_bits(float v);

/* One cell of a table (longer text is cut). */
typedef char qcts_cell[128];

/* Prints rows x cols cells (row-major) as
 * left-aligned columns two spaces apart, with no trailing blanks. */
void qcts_table_print(FILE *f, const qcts_cell *cells, size_t rows, size_t cols);

/* "qcts CMD" followed by every argument shell-quoted, for the database's
 * record of a run. Caller frees; NULL when out of memory. */
char *qcts_command_line(const char *cmd, int argc, char **argv);

#endif
