#!/bin/sh
# The cuda backend's ABI 2 row functions (kernels/cuda/ops_rows.h: norm,
# softmax, RoPE, Hadamard, MoE router, dispatch and experts, sampling,
# attention with plain or quantized caches), the code its GPU threads run,
# checked on the host through the cuda_ops_host test plugin against the
# golden set: every case of those ops passes; the plugin's plausible wrong
# kernels (CUDA_OPS_HOST_WRONG=1: other norm kind, no temperature, other
# RoPE layout, other Hadamard normalization, the router's renorm flipped, a
# dispatch slot forgotten, another top-k, the causal mask flipped, experts
# without the shared one) fail in every suite. The same for the
# quantized-activation GEMM (kernels/cuda/actq_rows.h) on the qact suites,
# the generated K = 4096 twins included: wrong rounding in the int8, Q8_0,
# Q8_K and FP8 token quantizers, per-row scales for FP8 per tensor, Q8_1's
# sum term recomputed; each mode's suites FAIL. And QUANTIZE
# (kernels/cuda/quant_rows.h) on the quantize suites of the presets it
# serves (integer groups, gguf_q8_0, gguf_q4_0): every case passes, each
# preset's wrong quantizer fails. Needs no GPU and no nvcc
# (make test-cuda checks the same ops on a GPU).
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

gold=vectors/golden
[ -f "$gold/MANIFEST.json" ] || { echo "SKIP: no golden set in $gold"; exit 77; }
so=$(dirname "$QCTS")/cuda-plugins/cuda_ops_host.so
[ -f "$so" ] || fail "$so is not built (make builds it)"
summary() { printf '%s\n' "$out" | tail -n 1; }
# under qemu (make test-aarch64): the first two cases of every file
cases='*'
if [ "${QCTS_TEST_QUICK:-0}" != 0 ] && [ -n "${QCTS_TEST_QUICK:-}" ]; then
    cases='*/c00[01]'
fi
# SUITE:SKIPPED
for sk in norm:0 softmax:0 rope:0 hadamard:0 moe_route:0 moe_dispatch:0 moe_experts:0 sampling:0 attention:0 qact:0; do
    suite=${sk%:*} skipped=${sk#*:}
    [ "$cases" = '*' ] || skipped='[0-9]+'
    run check --backend "plugin:$so" --vectors "$gold" --filter "$suite/$cases" --no-db -j 2
    same "cuda_ops_host $suite (exit status; $(summary))" 0 "$rc"
    summary | grep -Eq "^passed: [1-9][0-9]* failed: 0 skipped: $skipped mistrusted: [0-9]+ unavailable: 0 errors: 0\$" ||
        fail "cuda_ops_host $suite: $(summary)"
    echo "cuda_ops_host $suite: $(summary)"
    export CUDA_OPS_HOST_WRONG=1
    run check --backend "plugin:$so" --vectors "$gold" --filter "$suite/$cases" --no-db -j 2
    unset CUDA_OPS_HOST_WRONG
    same "wrong cuda_ops_host $suite (exit status; $(summary))" 1 "$rc"
    summary | grep -Eq '^passed: [0-9]+ failed: [1-9]' || fail "wrong cuda_ops_host $suite did not fail: $(summary)"
    if [ "$suite" = qact ] && [ "$cases" = '*' ]; then   # each mode's wrong rule is caught
        for mode in int8_token fp8_e4m3_tensor fp8_e4m3_token q8_0 q8_1 q8_k; do
            printf '%s\n' "$out" | grep -q "^FAIL .* qact/${mode}__" || fail "wrong cuda_ops_host: no qact/${mode}__* case failed"
            checks=$((checks + 1))
        done
    fi
    checks=$((checks + 4))
done
# QUANTIZE (kernels/cuda/quant_rows.h): the presets the cuda backend
# quantizes pass, every case; each one's wrong quantizer fails.
for f in 'quantize/int*' 'quantize/gguf_q[48]_0'; do
    if [ "$cases" = '*' ]; then f="$f/*"; else f="$f/c00[01]"; fi
    run check --backend "plugin:$so" --vectors "$gold" --filter "$f" --no-db -j 2
    same "cuda_ops_host $f (exit status; $(summary))" 0 "$rc"
    summary | grep -Eq "^passed: [1-9][0-9]* failed: 0 skipped: 0 mistrusted: [0-9]+ unavailable: 0 errors: 0\$" ||
        fail "cuda_ops_host $f: $(summary)"
    echo "cuda_ops_host $f: $(summary)"
    export CUDA_OPS_HOST_WRONG=1
    run check --backend "plugin:$so" --vectors "$gold" --filter "$f" --no-db -j 2
    unset CUDA_OPS_HOST_WRONG
    same "wrong cuda_ops_host $f (exit status; $(summary))" 1 "$rc"
    checks=$((checks + 2))
done
for s in int2_asym_g64 int3_asym_g128 int4_asym_g128 int4_sym_g128 int8_per_channel gguf_q4_0 gguf_q8_0; do
    [ "$cases" = '*' ] || break
    export CUDA_OPS_HOST_WRONG=1
    run check --backend "plugin:$so" --vectors "$gold" --filter "quantize/$s/*" --no-db
    unset CUDA_OPS_HOST_WRONG
    summary | grep -Eq '^passed: [0-9]+ failed: [1-9]' || fail "wrong cuda_ops_host quantize/$s did not fail: $(summary)"
    checks=$((checks + 1))
done
echo "test-cuda-ops-host.sh: $checks checks passed"
