/* NormalFloat codebooks and the nearest-value encoder.
 *
 * NF4: bitsandbytes get_4bit_type("nf4") / nf4_dequantization_lut (float32).
 * NF3: huawei-csl/SINQ NF3_CODEBOOK; equals the NF quantile construction
 *      with k = 3 (ref/README.md).
 * NF2: the same construction with k = 2; no public table exists, qcts
 *      defines it: offset 0.8541667, values {-1, 0, 0.4358180761, 1}.
 * The tests recompute all three from normal quantiles (GSL).
 *
 * Encoding: nearest table value, ties to the even code (midpoints are exact
 * in double: the sum of two float32 values needs at most 49 bits). NaN is
 * QREF_ERR_NAN with the code of 0.0; +-Inf saturate to +-1. */
#include "codec_impl.h"

#include "qref/bits.h"

const float qref_nf4_table[16] = {
    -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
    -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
    0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
    0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f,
};

const float qref_nf3_table[8] = {
    -1.0f, -0.5350227355957031f, -0.2469314038753510f, 0.0f,
    0.1833375245332718f, 0.3819939494132996f, 0.6229856610298157f, 1.0f,
};

const float qref_nf2_table[4] = { -1.0f, 0.0f, 0.4358180761f, 1.0f };

qref_status qref__enc_codebook(const float *t, unsigned n, uint32_t u, uint32_t *code)
{
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) {
        uint32_t zero = 0;
        while (zero < n && t[zero] != 0.0f)
            zero++;
        *code = zero < n ? zero : 0;
        return QREF_ERR_NAN;
    }
    double x = (double)qref_f32_from_bits(u);
    uint32_t i = 0;
    while (i + 1 < n) {
        double mid = ((double)t[i] + (double)t[i + 1]) * 0.5;
        if (x < mid)
            break;
        if (x == mid) {
            if ((i + 1) % 2 == 0)
                i++;
            break;
        }
        i++;
    }
    *code = i;
    return QREF_OK;
}
