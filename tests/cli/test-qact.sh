#!/bin/sh
# The quantized-activation GEMM (a_quant) end to end, both ways:
#   - qact_ok (conformance/tests/plugins/qact_plugin.h: int8_token x
#     int8_per_channel and q8_0 x gguf_q8_0, written from the rules without
#     libqref, isolated by default and --in-process) passes the qact suites
#     of both, the K = 4096 generated ones included, NaN rows too;
#   - the same kernel with one rounding rule wrong (roundf for int8, ties to
#     even for q8_0) FAILS the tie case c000 of that suite, exactly;
#   - exec:qcts case run --backend ref carries a_quant through the case file
#     and passes; simd/avx2/avx512 (their own kernels) pass; the backends
#     without a_quant (metal-cpu) answer SKIP, never PASS.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

build=$(dirname "$QCTS")
plugins=$build/plugins
for p in qact_ok qact_int8_roundf qact_q8_0_rne; do
    [ -f "$plugins/$p.so" ] || fail "$plugins/$p.so is not built (make builds it)"
done
gold=vectors/golden
[ -f "$gold/MANIFEST.json" ] || fail "no $gold/MANIFEST.json"
summary() { printf '%s\n' "$out" | grep -E '^passed: ' | tail -n 1; }
has() {
    checks=$((checks + 1))
    printf '%s\n%s\n' "$out" "$err" | grep -F -q -- "$2" || fail "$1: '$2' not in the output:
$out
--- stderr:
$err"
}
i8='qact/int8_token__int8_per_channel*'
q80='qact/q8_0__gguf_q8_0*'

for mode in "" --in-process; do
    for f in "$i8" "$q80"; do
        # shellcheck disable=SC2086
        run check --backend "plugin:$plugins/qact_ok.so" $mode --vectors "$gold" --no-db --filter "$f"
        same "qact_ok $mode $f (exit status; $(summary))" 0 "$rc"
        summary | grep -E -q '^passed: ([5-9]|[1-9][0-9]+) failed: 0 ' || fail "qact_ok $mode $f: $(summary)"
        checks=$((checks + 1))
    done
done

run check --backend "plugin:$plugins/qact_int8_roundf.so" --vectors "$gold" --no-db --filter "$i8"
same "int8 roundf (exit status)" 1 "$rc"
has "int8 roundf fails the tie case" "FAIL plugin:$plugins/qact_int8_roundf.so qact/int8_token__int8_per_channel/c000"
run check --backend "plugin:$plugins/qact_q8_0_rne.so" --vectors "$gold" --no-db --filter "$q80"
same "q8_0 rne (exit status)" 1 "$rc"
has "q8_0 rne fails the tie case" "FAIL plugin:$plugins/qact_q8_0_rne.so qact/q8_0__gguf_q8_0/c000"
# ... and each wrong rule only where it applies
run check --backend "plugin:$plugins/qact_q8_0_rne.so" --vectors "$gold" --no-db --filter "$i8"
same "q8_0 rne on int8 (exit status; $(summary))" 0 "$rc"

run check --backend "exec:$QCTS case run --backend ref" --vectors "$gold" --no-db \
    --filter 'qact/q8_[01k]__gguf_q4_[01k]/*'
same "exec ref on qact (exit status; $(summary))" 0 "$rc"
summary | grep -E -q '^passed: [1-9][0-9]* failed: 0 ' || fail "exec ref on qact: $(summary)"
checks=$((checks + 1))

# the CPU SIMD backends quantize the activations themselves (kernels/simd/actq.h): they pass
run check --backend simd,avx2,avx512 --vectors "$gold" --no-db --filter 'qact/*'
same "simd backends on qact (exit status; $(summary))" 0 "$rc"
summary | grep -E -q '^passed: [1-9][0-9]* failed: 0 ' || fail "simd backends on qact: $(summary)"
checks=$((checks + 1))
run check --backend metal-cpu --vectors "$gold" --no-db --filter 'qact/*'
same "backends without a_quant (exit status; $(summary))" 0 "$rc"
summary | grep -E -q '^passed: 0 failed: 0 skipped: [1-9][0-9]* ' || fail "backends without a_quant: $(summary)"
has "SKIP names a_quant" "activation quantization 2 is not implemented"
done_checks
