/* Checked number conversions (qcts/numparse.h). */
#include "qcts/numparse.h"

#include <errno.h>
#include <stdlib.h>

int qcts_num_to_i64(double x, int64_t lo, int64_t hi, int64_t *out)
{
    /* [-2^63, 2^63) is exactly where the cast is defined; NaN fails both. */
    if (!(x >= -9223372036854775808.0 && x < 9223372036854775808.0))
        return -1;
    int64_t i = (int64_t)x;
    if ((double)i != x || i < lo || i > hi)
        return -1;
    *out = i;
    return 0;
}

int qcts_num_to_size(double x, size_t max, size_t *out)
{
    int64_t i;
    int64_t hi = max > (size_t)INT64_MAX ? INT64_MAX : (int64_t)max;
    if (qcts_num_to_i64(x, 0, hi, &i) != 0)
        return -1;
    *out = (size_t)i;
    return 0;
}

int qcts_str_to_i64(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    if (!s)
        return -1;
    const char *p = s[0] == '-' ? s + 1 : s;
    if (*p < '0' || *p > '9')
        return -1;
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9')
            return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return -1;
    *out = (int64_t)v;
    return 0;
}
