/* Metrics of attention's probabilities output (qcts/metrics.h). */
#include <math.h>

#include "qcts/metrics.h"

double qcts_attn_probs_kl(const float *expected, const float *got, int64_t n, size_t nelems, double *cos)
{
    double kl = 0, cs = 0;
    size_t rows = 0;
    if (n <= 0)
        return NAN;
    for (size_t r = 0; (r + 1) * (size_t)n <= nelems; r++) {
        const float *p = expected + r * (size_t)n, *q = got + r * (size_t)n;
        double sp = 0;
        for (int64_t j = 0; j < n; j++)
            sp += p[j];
        if (sp == 0)
            continue;
        double k = 0, pq = 0, pp = 0, qq = 0;
        for (int64_t j = 0; j < n; j++) {
            double a = p[j], b = q[j];
            if (a > 0)
                k += a * log(a / (b > 0 ? b : 1.4e-45));   /* got flushed to 0: the smallest float32 */
            pq += a * b;
            pp += a * a;
            qq += b * b;
        }
        kl += k;
        cs += pp > 0 && qq > 0 ? pq / sqrt(pp * qq) : 0;
        rows++;
    }
    if (cos)
        *cos = rows ? cs / (double)rows : NAN;
    return rows ? kl / (double)rows : NAN;
}
