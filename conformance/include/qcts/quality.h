/* qcts/quality.h — how much a quantization scheme loses on a reference
 * weight distribution.
 *
 * This is format error, not kernel error: a weight matrix W (rows x cols,
 * float32) is drawn from a named distribution, quantized with qref_quantize,
 * dequantized with qref_dequantize (float32, rounded once), and the result
 * W' is compared with W. Quality is a statistic, not golden bits, so W is
 * drawn with GSL (gsl_rng_mt19937 seeded with the seed, gsl_ran_*) and
 * libm is used freely; the numbers are deterministic for a given seed,
 * shape and build, and independent of the number of threads.
 *
 * Distributions, all with standard deviation QCTS_QUALITY_SIGMA (0.02, the
 * order of trained LLM weights) except where stated:
 *   gaussian   N(0, sigma^2)
 *   laplace    Laplace with scale sigma/sqrt(2)
 *   student_t  Student's t with nu = 3 degrees of freedom, scaled by
 *              sigma/sqrt(3) (heavy tails; the variance of t_3 is 3)
 *   outliers   gaussian, and each weight with probability 0.001 is
 *              multiplied by 20 (channel-independent outliers)
 * W is drawn row-major first; then `activations` vectors x, each cols
 * standard normal values, from the same generator.
 *
 * Metrics per scheme (definitions in qcts/metrics.h):
 *   bits_per_weight  qref_scheme_bits_per_weight(scheme, rows, cols)
 *   mse, nmse, snr_db, cosine, max_abs   of W' against W
 *   kl  mean over the activation vectors of KL(softmax(W x) || softmax(W' x)),
 *       W x and W' x computed in double (a synthetic output layer with
 *       `rows` classes)
 * Sparse (N:M) schemes are compared with the dense W, so their numbers
 * include the pruning error; the result's note says so.
 *
 * The default shape, 256 x 4096, fits every preset: Marlin (rows % 256,
 * cols % 128), 2:4 sparse (cols % 256), GGUF super-blocks (cols % 256).
 */
#ifndef QCTS_QUALITY_H
#define QCTS_QUALITY_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "qref/scheme.h"

#define QCTS_QUALITY_SIGMA 0.02
#define QCTS_QUALITY_ROWS 256
#define QCTS_QUALITY_COLS 4096
#define QCTS_QUALITY_ACTIVATIONS 8
#define QCTS_QUALITY_SEED 1

typedef enum qcts_dist {
    QCTS_DIST_GAUSSIAN,
    QCTS_DIST_LAPLACE,
    QCTS_DIST_STUDENT_T,
    QCTS_DIST_OUTLIERS,
    QCTS_DIST_COUNT
} qcts_dist;

const char *qcts_dist_name(qcts_dist d);                      /* NULL if out of range */
int qcts_dist_from_name(const char *name, qcts_dist *out);   /* 0, or -1 if unknown */
const char *qcts_dist_description(qcts_dist d);

typedef struct qcts_quality_config {
    qcts_dist dist;
    uint64_t seed;         /* passed to gsl_rng_set (mt19937 maps 0 to 4357) */
    int64_t rows, cols;
    int activations;       /* activation vectors averaged for the KL; >= 1 */
} qcts_quality_config;

/* The defaults above: gaussian, QCTS_QUALITY_SEED, 256 x 4096, 8 vectors. */
void qcts_quality_config_default(qcts_quality_config *c);

/* The reference data of one configuration: read-only once made, so any
 * number of threads may measure schemes on it at once. */
typedef struct qcts_quality_input {
    qcts_quality_config config;
    float *w;              /* rows * cols, row-major */
    double *x;             /* activations * cols */
    double *logits;        /* activations * rows: W x, in double */
} qcts_quality_input;

/* Draws the data. Returns 0, or -1 with a message in err (bad config, out
 * of memory); nothing to free on failure. */
int qcts_quality_input_make(const qcts_quality_config *c, qcts_quality_input *in, char *err, size_t errlen);
void qcts_quality_input_free(qcts_quality_input *in);

typedef enum qcts_quality_status {
    QCTS_QUALITY_OK,
    QCTS_QUALITY_UNSUPPORTED,  /* the scheme (its family) is not implemented */
    QCTS_QUALITY_ERROR         /* any other failure; message says which */
} qcts_quality_status;

typedef struct qcts_quality {
    const qref_scheme *scheme;
    qcts_quality_status status;
    qref_status qref_status;   /* the failing qref call's status, QREF_OK if none */
    char message[320];         /* why it failed; empty on success */
    char note[64];             /* e.g. "includes 2:4 pruning error"; "" if none */
    double bits_per_weight;    /* NaN when the scheme cannot size the shape */
    double mse, nmse, snr_db, cosine, max_abs, kl;   /* NaN unless OK */
} qcts_quality;

/* Measures one scheme. Always fills *out; returns out->status. */
qcts_quality_status qcts_quality_measure(const qref_scheme *s, const qcts_quality_input *in, qcts_quality *out);

/* Measures n schemes on up to `threads` threads (0: the number of online
 * CPUs); out[i] is the result of schemes[i], the same for any thread count
 * (each scheme is measured whole by one thread). If a thread cannot be
 * started, the calling thread measures what is left. */
void qcts_quality_measure_all(const qref_scheme *const *schemes, size_t n, const qcts_quality_input *in,
                             int threads, qcts_quality *out);

const char *qcts_quality_status_name(qcts_quality_status s);   /* "ok", "unsupported", "error" */

/* `qcts quality attention` (conformance/src/quality_attention.c): per KV
 * format, the attention-output NMSE and cosine and the KL of the attention
 * probabilities against an unquantized cache, as a Markdown table on out.
 * 0, or 1 on failure. */
int qcts_quality_attention(FILE *out, uint64_t seed);

#endif
