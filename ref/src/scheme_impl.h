/* scheme_impl.h — internal: what each scheme family provides to the catalog
 * (scheme_catalog.c). A family validates shapes and computes section sizes,
 * quantizes finite float32 weights into an allocated qref_qtensor, and
 * produces the exact value of every weight of a row as hi + lo. */
#ifndef QREF_SCHEME_IMPL_H
#define QREF_SCHEME_IMPL_H

#include <stdarg.h>

#include "qref/scheme.h"

typedef struct qref__family_ops {
    qref_status (*sizes)(const qref_scheme *s, int64_t rows, int64_t cols, qref_qsizes *out,
                         qref_error *err);
    /* w is finite (the catalog checked); t is allocated and zero-filled. */
    qref_status (*quantize)(const qref_scheme *s, const float *w, qref_qtensor *t, qref_error *err);
    qref_status (*dequant_row)(const qref_qtensor *t, int64_t row, double *hi, double *lo,
                               qref_error *err);
    /* Optional: checks loaded data (NaN scales, ...); NULL if nothing to check. */
    qref_status (*validate)(const qref_qtensor *t, qref_error *err);
} qref__family_ops;

extern const qref__family_ops qref__ops_group;
extern const qref__family_ops qref__ops_mx;
extern const qref__family_ops qref__ops_nvfp4;
extern const qref__family_ops qref__ops_gguf;
extern const qref__family_ops qref__ops_marlin;
extern const qref__family_ops qref__ops_sparse;

/* Fills err (if not NULL) and returns st. */
qref_status qref__fail(qref_error *err, qref_status st, int64_t row, int64_t block,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Exact TwoSum: s + e == a + b exactly (IEEE double, round to nearest). */
static inline void qref__two_sum(double a, double b, double *s, double *e)
{
    double sum = a + b;
    double bb = sum - a;
    *e = (a - (sum - bb)) + (b - bb);
    *s = sum;
}

#endif
