/* svg.h — inline SVG charts for the HTML report (no JavaScript). */
#ifndef QCTS_REPORTS_SVG_H
#define QCTS_REPORTS_SVG_H

#include <sqlite3.h>

#include "reports/src/doc.h"

/* Horizontal bars per backend and scheme: the median over shapes of GB/s
 * (GEMV and dequant) and of GFLOP/s (GEMM, M > 1) in bench run `run`. */
void svg_throughput_bars(doc *d, sqlite3 *h, const char *run);
/* Lines: median time per call of up to 8 kernels of run `run` (non-ref,
 * one thread count) over every bench run that timed them. */
void svg_history(doc *d, sqlite3 *h, const char *run);

#endif
