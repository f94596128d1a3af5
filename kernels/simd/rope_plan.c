/* The RoPE plan of the CPU SIMD backends (avx2/rowops.h): frequencies and
 * the attention factor of a descriptor, computed once in double with libm
 * (an implementation under test, not the reference: it does not use qref),
 * shared by every ISA's RoPE kernel (avx2/rope.c, neon/rope.c). Built for
 * the baseline target. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/simd/avx2/rowops.h"

#define PI_D 3.141592653589793

int64_t qcts_rope_scratch(const qcts_rope_desc *d) { return 6 * (int64_t)d->rot_dim + 32; }

static double yarn_g(double s, double m) { return s <= 1.0 ? 1.0 : 0.1 * m * log(s) + 1.0; }

int qcts_rope_plan_init(qcts_rope_plan *p, const qcts_rope_desc *d)
{
    memset(p, 0, sizeof *p);
    p->d = *d;
    int half = d->rot_dim / 2;
    if (half < 1)
        return -1;
    p->freq = calloc((size_t)half + 4, sizeof *p->freq);   /* padded to whole vectors with 0 */
    if (!p->freq)
        return -1;
    double R = (double)d->rot_dim, A = 1.0, low = 0, high = 0;
    if (d->scaling == QCTS_ROPE_SCALE_YARN) {
        double cf = R * log(d->orig_ctx / (d->beta_fast * 2 * PI_D)) / (2 * log(d->theta));
        double cs = R * log(d->orig_ctx / (d->beta_slow * 2 * PI_D)) / (2 * log(d->theta));
        low = fmax(floor(cf), 0.0);
        high = fmin(ceil(cs), R - 1);
        if (high == low)
            high += 0.001;
        A = d->mscale_all_dim > 0 ? yarn_g(d->factor, d->mscale) / yarn_g(d->factor, d->mscale_all_dim)
                                  : yarn_g(d->factor, 1.0);
    }
    for (int i = 0; i < half; i++) {
        double f = 1.0 / pow(d->theta, (double)(2 * i) / R);
        if (d->scaling == QCTS_ROPE_SCALE_LINEAR) {
            f /= d->factor;
        } else if (d->scaling == QCTS_ROPE_SCALE_YARN) {
            double ramp = fmin(fmax(((double)i - low) / (high - low), 0.0), 1.0);
            f = f / d->factor * ramp + f * (1.0 - ramp);
        } else if (d->scaling == QCTS_ROPE_SCALE_LLAMA3) {
            double wl = 2 * PI_D / f;
            if (wl > d->orig_ctx / d->low_freq_factor) {
                f /= d->factor;
            } else if (wl >= d->orig_ctx / d->high_freq_factor) {
                double s = (d->orig_ctx / wl - d->low_freq_factor) / (d->high_freq_factor - d->low_freq_factor);
                f = (1 - s) * f / d->factor + s * f;
            }
        }
        p->freq[i] = f;
    }
    p->attn = d->attn_factor > 0 ? d->attn_factor : A;
    return 0;
}

void qcts_rope_plan_free(qcts_rope_plan *p)
{
    free(p->freq);
    p->freq = NULL;
}

