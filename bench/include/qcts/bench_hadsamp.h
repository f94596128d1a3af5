/* qcts/bench_hadsamp.h — bench rows of the Hadamard and sampling kernels
 * (bench/src/bench_hadamard.c, bench_sampling.c), printed by qcts-probe
 * (--only hadamard|sampling) in its row format: milliseconds per call,
 * GB/s and the ratio to the one-core ceiling. Data larger than the LLC
 * (cold, from DRAM). Nothing happens without AVX2. */
#ifndef QCTS_BENCH_HADSAMP_H
#define QCTS_BENCH_HADSAMP_H

/* read_gbs, copy_gbs: the one-core DRAM read and copy bandwidths
 * (qcts/roofline.h); reps: repetitions (median); quick: smaller data. */
void qcts_bench_hadamard_rows(double read_gbs, double copy_gbs, int reps, int quick);
void qcts_bench_sampling_rows(double read_gbs, int reps, int quick);

#endif
