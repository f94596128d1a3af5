/* Scheme family "sparse" — being written; until then every call reports
 * QREF_ERR_UNSUPPORTED with a message. */
#include "scheme_impl.h"

static qref_status unsupported(qref_error *err)
{
    return qref__fail(err, QREF_ERR_UNSUPPORTED, -1, -1, "scheme family sparse is not available in this build");
}

static qref_status sizes(const qref_scheme *s, int64_t rows, int64_t cols, qref_qsizes *out, qref_error *err)
{
    (void)s; (void)rows; (void)cols; (void)out;
    return unsupported(err);
}

static qref_status quantize(const qref_scheme *s, const float *w, qref_qtensor *t, qref_error *err)
{
    (void)s; (void)w; (void)t;
    return unsupported(err);
}

static qref_status dequant_row(const qref_qtensor *t, int64_t row, double *hi, double *lo, qref_error *err)
{
    (void)t; (void)row; (void)hi; (void)lo;
    return unsupported(err);
}

const qref__family_ops qref__ops_sparse = { sizes, quantize, dequant_row, NULL };
