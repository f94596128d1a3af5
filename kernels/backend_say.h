/* backend_say.h — the one way a kernels/ function fills a status message:
 * formats into msg (when there is room) and returns the status it is given,
 * so an error path reads `return qcts_say(QCTS_ERROR, msg, n, "...", ...)`. */
#ifndef QCTS_KERNELS_BACKEND_SAY_H
#define QCTS_KERNELS_BACKEND_SAY_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "qcts/backend.h"

__attribute__((format(printf, 4, 5)))
static inline qcts_status qcts_say(qcts_status st, char *msg, size_t n, const char *fmt, ...)
{
    if (msg && n) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, n, fmt, ap);
        va_end(ap);
    }
    return st;
}

#endif
