/* The interval of plain progress lines (cli/progress.h). */
#include "cli/progress.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int parse(const char *v, double *every)
{
    if (strcmp(v, "off") == 0) {
        *every = -1;
        return 0;
    }
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (end == v || *end || errno || !(d >= 0) || d > 86400)
        return -1;
    *every = d;
    return 0;
}

int qcts_progress_every(const char *opt, double *every, const char **bad)
{
    *every = 30;
    *bad = NULL;
    const char *v = opt;
    if (!v) {
        v = getenv("QCTS_PROGRESS");
        if (!v || !*v)
            return 0;
    }
    if (parse(v, every) != 0) {
        *bad = v;
        *every = 30;
        return -1;
    }
    return 0;
}
