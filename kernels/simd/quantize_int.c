/* The driver of the vector integer-group quantizer (quantize_int.h): the
 * per-group scale in scalar code (qref's own scale codec), the per-element
 * codes by the ISA's kernel, then qref's packing and serialization. */
#include "kernels/simd/quantize_int.h"

#include <stdlib.h>
#include <string.h>

#include "qref/bits.h"
#include "qref/fmt.h"
#include "qref/pack.h"

const qcts_qint_ops *qcts_qint_ops_for(qcts_isa isa, const qref_scheme *s)
{
    if (!s || s->family != QREF_FAMILY_GROUP || s->zero != QREF_ZERO_NONE || s->tensor_scale ||
        (s->elem != QREF_FMT_INT4 && s->elem != QREF_FMT_INT8) || (s->group <= 0 && s->group != QREF_GROUP_ROW))
        return NULL;
#if QCTS_SIMD_X86
    if (isa == QCTS_ISA_AVX2 || isa == QCTS_ISA_AVX512)
        return &qcts_qint__avx2;
#endif
#if QCTS_SIMD_ARM64
    if (isa == QCTS_ISA_NEON)
        return &qcts_qint__neon;
#endif
    (void)isa;
    return NULL;
}

static int all_finite(const float *w, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if ((qref_f32_bits(w[i]) & 0x7F800000u) == 0x7F800000u)
            return 0;
    return 1;
}

int qcts_quantize_int(const qcts_qint_ops *ops, const qref_scheme *s, int64_t rows, int64_t cols, const float *w,
                      uint8_t *out, size_t out_bytes)
{
    const qref_fmt_info *info = qref_fmt_get(s->elem);
    const int64_t glen = s->group > 0 ? s->group : cols;
    if (!info || cols <= 0 || rows <= 0 || cols % glen || !all_finite(w, rows * cols))
        return 0;
    qref_qtensor t;
    qref_error e;
    if (qref_qtensor_alloc(s, rows, cols, &t, &e) != QREF_OK)
        return 0;
    uint8_t *codes = malloc((size_t)cols);
    const size_t row_bytes = qref_packed_row_bytes(s->layout, info->bits, cols);
    const uint8_t mask = (uint8_t)((1u << info->bits) - 1);
    int ok = codes != NULL && row_bytes > 0;
    for (int64_t r = 0; ok && r < rows; r++) {
        for (int64_t g = 0; ok && g < cols / glen; g++) {
            const float *x = w + r * cols + g * glen;
            const float tq = ops->absmax(x, glen) / info->max;   /* float / float, as ref */
            const uint32_t scode = qref_scale_encode(s->scale, tq);
            const double sd = qref_scale_decode(s->scale, scode);
            if (!(sd - sd == 0.0)) {   /* overflow: the generic tier reports it */
                ok = 0;
                break;
            }
            qref_scale_store(s->scale, t.scales, (size_t)(r * (cols / glen) + g), scode);
            const float sdf = (float)sd;
            if (sdf == 0.0f)
                memset(codes + g * glen, 0, (size_t)glen);
            else
                ops->codes(x, glen, sdf, info->max, mask, codes + g * glen);
        }
        ok = ok && qref_pack_codes(s->layout, info->bits, codes, cols, t.codes + (size_t)r * row_bytes) == QREF_OK;
    }
    ok = ok && qref_qtensor_save(&t, out, out_bytes) == QREF_OK;
    free(codes);
    qref_qtensor_free(&t);
    return ok;
}
