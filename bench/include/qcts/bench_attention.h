/* qcts/bench_attention.h — `qcts bench attention` (bench/src/bench_attention.c):
 * decode attention KV bytes/s at 4k and 32k context for every KV format
 * against the read ceiling, and prefill GFLOP/s against the FMA peak, with
 * the Llama-3.1-8B and Qwen3-4B head configurations. Prints a Markdown table. */
#ifndef QCTS_BENCH_ATTENTION_H
#define QCTS_BENCH_ATTENTION_H

/* args after "attention": [--backend B] [--threads N] [--min-time S] [--quick-roofline].
 * Returns the exit status. */
int qcts_bench_attention_cli(int argc, char **argv);
int qcts_bench_attention(const char *backend, int threads, double min_time, int quick);

#endif
