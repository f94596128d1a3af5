/* qcts/bench_rowops.h — bench rows of the AVX2 rope, norm and softmax
 * kernels (bench/src/bench_rowops.c), printed by qcts-probe (--only rowops)
 * in its row format. Nothing happens without AVX2. */
#ifndef QCTS_BENCH_ROWOPS_H
#define QCTS_BENCH_ROWOPS_H

/* read_gbs, copy_gbs: the one-core DRAM read and copy bandwidths
 * (qcts/roofline.h); reps: repetitions (median); quick: smaller data. */
void qcts_bench_rowops_rows(double read_gbs, double copy_gbs, int reps, int quick);

#endif
