/* batch.h — the in-memory halves of the batch commands (convert --in/--out,
 * quant, dequant): bytes of an input file in, bytes of the output file out.
 * Kept apart from the commands so the fuzz targets (fuzz/) run exactly the
 * code the CLI runs on a file. Each returns QCTS_EXIT_OK with a new buffer
 * in *out (free() it; *out_n bytes), or prints why (naming path and the
 * element, row or block) and returns an exit status with *out untouched. */
#ifndef QCTS_CLI_BATCH_H
#define QCTS_CLI_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "qref/fmt.h"
#include "qref/scheme.h"

/* What convert does to each element. */
typedef struct qcts_convert_job {
    qref_fmt fmt;
    const qref_fmt_info *info;
    qref_conv conv;
    qref_mode mode;
    int verbose;
} qcts_convert_job;

/* Float32 values (little-endian) to codes of 1, 2 or 4 bytes. */
int qcts_batch_encode(const qcts_convert_job *j, const char *path, const unsigned char *in, size_t n,
                      unsigned char **out, size_t *out_n);
/* Codes to float32 values. */
int qcts_batch_decode(const qcts_convert_job *j, const char *path, const unsigned char *in, size_t n,
                      unsigned char **out, size_t *out_n);

/* quant: rows x cols float32 weights to the serialized quantized tensor. */
int qcts_batch_quant(const qref_scheme *s, int64_t rows, int64_t cols, const char *path,
                     const unsigned char *in, size_t n, unsigned char **out, size_t *out_n);
/* dequant: the serialized tensor (z->total bytes) to rows x cols weights of
 * dtype (f32, f16 or bf16), little-endian. */
int qcts_batch_dequant(const qref_scheme *s, int64_t rows, int64_t cols, const qref_qsizes *z,
                       qref_fmt dtype, const char *path, const unsigned char *in, size_t n,
                       unsigned char **out, size_t *out_n);

#endif
