#!/bin/sh
# The Metal kernels on Linux (kernels/metal/README.md): metal-cpu per op on
# the golden set (test-check-backends.sh runs it on everything too), the
# interface manifest path through metal-cpu (the Marlin-interface example
# passes; the same manifest with a wrong packing or scale layout FAILS),
# the embedded MSL text being complete, and metal / metal-kernels: answering
# UNAVAILABLE with the reason where there is no Metal.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

gold=vectors/golden
[ -f "$gold/MANIFEST.json" ] || { echo "SKIP: no golden set in $gold"; exit 77; }
run list backends
printf '%s\n' "$out" | grep -E -q '^metal-cpu +yes' || { echo "SKIP: metal-cpu is not built here (cross build or METAL_CPU=0)"; exit 77; }

summary() { printf '%s\n' "$out" | tail -n 1; }
# pass FILTER MIN SKIP: at least MIN cases pass, none fails or errors, and
# exactly SKIP are skipped: the Metal kernels claim every convert case
# (every format and convention, both directions) and every preset of
# dequant, GEMV and GEMM, so nothing is skipped.
pass() {
    run check --backend metal-cpu --filter "$1" --no-db -j 2
    same "metal-cpu $1 (exit status; $(summary))" 0 "$rc"
    n=$(summary | sed -n "s/^passed: \([0-9]*\) failed: 0 skipped: $3 mistrusted: [0-9]* unavailable: 0 errors: 0\$/\1/p")
    [ -n "$n" ] && [ "$n" -ge "$2" ] || fail "metal-cpu $1: want >= $2 passed, $3 skipped, nothing failed: $(summary)"
    checks=$((checks + 1))
    echo "metal-cpu $1: $(summary)"
}
if [ "${QCTS_TEST_QUICK:-0}" != 0 ] && [ -n "${QCTS_TEST_QUICK:-}" ]; then
    # under qemu (make test-aarch64): the first cases of every suite
    pass 'convert/*/c00[01]' 360 0
    pass '*dequant/*/c00[01]' 132 0
    pass '*gemv/*/c00[01]' 132 0
    pass '*gemm/*/c00[01]' 132 0
else
    pass 'convert/*' 939 0
    pass '*dequant/*' 1021 0
    pass '*gemv/*' 1315 0
    pass '*gemm/*' 1079 0
fi

# The example manifest: the Marlin-interface kernel on the f16 cases.
ex=kernels/metal/examples/marlin_fp4.json
run check --backend "metal-cpu-kernels:$ex" --filter '*/fp4_g*_f16/*' --no-db
same "manifest example (exit status; $(summary))" 0 "$rc"
summary | grep -E -q '^passed: [1-9][0-9]* failed: 0 ' || fail "manifest example: $(summary)"
# A manifest that misdescribes the kernel must FAIL, not pass: codes packed
# along N instead of K, scales in qcts's order instead of [K/gs, N].
sed 's/"packing": "k_packed"/"packing": "n_packed"/' "$ex" > "$tmp/wrong_packing.json"
sed 's/"layout": "group_major"/"layout": "row_major"/' "$ex" > "$tmp/wrong_scales.json"
sed -i "s|\"\\.\\./msl/|\"$PWD/kernels/metal/msl/|" "$tmp/wrong_packing.json" "$tmp/wrong_scales.json"
for m in wrong_packing wrong_scales; do
    run check --backend "metal-cpu-kernels:$tmp/$m.json" --filter '*/fp4_g*_f16/*' --no-db
    same "manifest $m (exit status; $(summary))" 1 "$rc"
    summary | grep -E -q '^passed: [0-9]+ failed: [1-9]' || fail "manifest $m should fail: $(summary)"
done
# A kernel that is not compiled in cannot run on metal-cpu: UNAVAILABLE, with the reason.
sed 's/"function": "qm_marlin_gemm_fp4"/"function": "my_kernel"/' "$ex" > "$tmp/other.json"
sed -i "s|\"\\.\\./msl/|\"$PWD/kernels/metal/msl/|" "$tmp/other.json"
run check --backend "metal-cpu-kernels:$tmp/other.json" --filter 'gemm/fp4_g128_f16/*' --no-db
printf '%s\n' "$out" | grep -q 'metal-cpu runs only kernels compiled into qcts' || fail "other kernel: $out $err"
checks=$((checks + 1))

# The MSL text the Metal host compiles needs no include path.
if command -v clang++ >/dev/null 2>&1; then
    sh kernels/metal/tools/embed_msl.sh --raw kernels/metal/msl ref/include > "$tmp/all.metal"
    clang++ -std=c++14 -fsyntax-only -Wno-unknown-attributes -I. -Ikernels/metal/cpu/shim -x c++ "$tmp/all.metal" \
        || fail "the embedded MSL does not compile alone"
    checks=$((checks + 1))
fi

# No Metal here: metal, metal-fast and metal-kernels: say so (UNAVAILABLE, not an error).
if [ "$(uname -s)" != Darwin ]; then
    run list backends
    printf '%s\n' "$out" | grep -E -q '^metal +no: not built: Metal needs macOS' || fail "list backends: $out"
    run check --backend metal,metal-fast --filter 'dequant/nvfp4/*' --no-db
    same "check metal (exit status)" 0 "$rc"
    summary | grep -E -q '^passed: 0 failed: 0 skipped: 0 mistrusted: 0 unavailable: [1-9][0-9]* errors: 0$' \
        || fail "check metal: $(summary)"
    run check --backend "metal-kernels:$ex" --filter 'gemm/fp4_g128_f16/*' --no-db
    printf '%s\n' "$out" | grep -q 'UNAVAILABLE.*Metal needs macOS' || fail "metal-kernels: $out"
    checks=$((checks + 3))
fi
echo "$script: $checks checks passed"
