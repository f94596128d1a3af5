/* The driver of the vector integer-group quantizer (quantize_int.h): the
 * per-group scale in scalar code (qref's own scale codec), the per-element
 * codes by the ISA's kernel, then qref's packing and serialization. */
#include "kernels/simd/quantize_int.h"

#include <stdlib.h>
#include <string.h>

#include "qref/bits.h"
#include "qref/fmt.h"
#include "qref/pack.h"

static int is_gguf(const qref_scheme *s, const char *name)
{
    return s->family == QREF_FAMILY_GGUF && strcmp(s->name, name) == 0;
}

const qcts_qint_ops *qcts_qint_ops_for(qcts_isa isa, const qref_scheme *s)
{
    if (!s)
        return NULL;
    int group = s->family == QREF_FAMILY_GROUP && s->zero == QREF_ZERO_NONE && !s->tensor_scale &&
                (s->elem == QREF_FMT_INT4 || s->elem == QREF_FMT_INT8) && (s->group > 0 || s->group == QREF_GROUP_ROW);
    if (!group && !is_gguf(s, "gguf_q8_0") && !is_gguf(s, "gguf_q4_0"))
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

/* GGUF Q8_0 / Q4_0: ggml's block quantizers (ref/src/gguf_q32.c), the
 * scale in scalar code, the codes by the ISA's kernel; a block whose f16
 * scale overflows is handed back (ref reports it). */
static int quantize_gguf(const qcts_qint_ops *ops, const qref_scheme *s, int64_t rows, int64_t cols, const float *w,
                         uint8_t *out, size_t out_bytes)
{
    const int q8 = is_gguf(s, "gguf_q8_0");
    const size_t bytes = q8 ? 34 : 18;   /* f16 d, then 32 int8 or 16 nibble bytes */
    if (cols % 32 || !all_finite(w, rows * cols))
        return 0;
    qref_qtensor t;
    qref_error e;
    if (qref_qtensor_alloc(s, rows, cols, &t, &e) != QREF_OK)
        return 0;
    int ok = t.sizes.codes == (size_t)(rows * (cols / 32)) * bytes;
    for (int64_t b = 0; ok && b < rows * (cols / 32); b++) {
        const float *x = w + b * 32;
        uint8_t *blk = t.codes + (size_t)b * bytes;
        float d;
        if (q8) {
            d = ops->absmax(x, 32) / 127.0f;
        } else {   /* the first element of the largest magnitude, with its sign */
            const float amax = ops->absmax(x, 32);
            float max = 0.0f;   /* +0 when every |x| is 0 (as ref: never a -0 element) */
            for (int j = 0; amax > 0.0f && j < 32; j++)
                if ((qref_f32_bits(x[j]) & 0x7FFFFFFFu) == qref_f32_bits(amax)) {
                    max = x[j];
                    break;
                }
            d = max / -8.0f;
        }
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        const uint16_t h = qref_f32_to_f16(d);
        if ((h & 0x7C00u) == 0x7C00u) {   /* Inf or NaN scale: ref's error */
            ok = 0;
            break;
        }
        blk[0] = (uint8_t)(h & 0xFF);
        blk[1] = (uint8_t)(h >> 8);
        (q8 ? ops->q8_0 : ops->q4_0)(x, id, blk + 2);
    }
    ok = ok && qref_qtensor_save(&t, out, out_bytes) == QREF_OK;
    qref_qtensor_free(&t);
    return ok;
}

int qcts_quantize_int(const qcts_qint_ops *ops, const qref_scheme *s, int64_t rows, int64_t cols, const float *w,
                      uint8_t *out, size_t out_bytes)
{
    if (s->family == QREF_FAMILY_GGUF)
        return quantize_gguf(ops, s, rows, cols, w, out, out_bytes);
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
