#!/bin/sh
# The test command of `make mutate-checker`: the parts of `make test` that
# exercise the checker (conformance/src/verdict.c, metrics.c, quality.c and
# the GEMM bound of ref/src/gemm.c), instead of all of `make test` (which
# takes minutes per mutant). Why this kills what `make test` kills:
#   - the CUnit suites of those files (metrics, quality, verdicts, writers,
#     gemm) and tests/cli/test-check.sh (every verdict, end to end, with the
#     deliberately broken plugins) are the only tests that call them, except
#     through `qcts check` on the golden set, which test-check.sh runs too;
#   - `make test` also regenerates the golden set (test-vectors-verify.sh):
#     a change of the bound (ref/src/gemm.c) changes bound.y of every random
#     gemm case, so regenerating three gemm files that hold f32, f16 and bf16
#     outputs, bias, batch, NaN/Inf and K past 256 and comparing them byte
#     for byte detects what regenerating all of them detects.
# Run from the repository root (of the copy); exit 0 = the mutant survived.
set -u
B=${BUILD:-build/native}
out=$("$B/tests/qcts-tests" metrics quality verdicts writers gemm 2>&1)
printf '%s\n' "$out" | tail -n 1 | grep -E -q '^[0-9]+ passed, 0 failed$' || exit 1
QCTS=$B/qcts sh tests/cli/test-check.sh >/dev/null 2>&1 || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/qcts-mut.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
for s in gemv/fp4_g32_f16 gemm/int8_per_channel sweep_gemm/nf4_g64 sweep_gemv/gguf_q4_k; do
    "$B/qcts" vectors gen --suite "$s" --out "$tmp" >/dev/null 2>&1 || exit 1
    cmp -s "$tmp/$s.safetensors" "vectors/golden/$s.safetensors" || exit 1
done
exit 0
