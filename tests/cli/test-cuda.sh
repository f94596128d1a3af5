#!/bin/sh
# The cuda backend where there is no GPU (CI, this host) and the verdict of
# `make test-cuda` (kernels/cuda/test-cuda.sh):
#  - `qcts list backends` names cuda with "no: <reason>" (the CUDA runtime's
#    words when it was built, "not built: ..." otherwise); where a GPU is
#    present the rest is skipped here (test-check-backends.sh checks cuda
#    on the golden set like every available backend);
#  - `qcts check --backend cuda` gives UNAVAILABLE for every case, with the
#    reason, never PASS or FAIL;
#  - test-cuda.sh fails when cuda is unavailable, and decides PASS/FAIL from
#    qcts check's summary: a fake qcts (a shell script) answers with given
#    summaries, clean ones pass, every kind of bad one fails.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

gold=vectors/golden
[ -f "$gold/MANIFEST.json" ] || { echo "SKIP: no golden set in $gold"; exit 77; }
run list backends
same "list backends (exit status)" 0 "$rc"
line=$(printf '%s\n' "$out" | awk '$1 == "cuda"')
[ -n "$line" ] || fail "no cuda line in qcts list backends: $out"
if printf '%s\n' "$line" | awk '{ exit !($2 == "yes") }'; then
    echo "SKIP: a CUDA device is present (test-check-backends.sh checks cuda)"
    exit 77
fi
printf '%s\n' "$line" | grep -Eq '^cuda +no: [a-z].{10,}' || fail "cuda is not available but says no reason: $line"
checks=$((checks + 1))

run check --backend cuda --vectors "$gold" --no-db --filter 'dequant/*'
same "check --backend cuda (exit status)" 0 "$rc"
summary=$(printf '%s\n' "$out" | tail -n 1)
printf '%s\n' "$summary" | grep -Eq '^passed: 0 failed: 0 skipped: 0 mistrusted: 0 unavailable: [1-9][0-9]* errors: 0$' ||
    fail "check --backend cuda without a device: $summary"
printf '%s\n' "$out" | grep -Eq "UNAVAILABLE: backend '?cuda'? (cannot run here|is not built): [a-z]" ||
    fail "check --backend cuda gives no reason: $out"
checks=$((checks + 2))

# test-cuda.sh against the real qcts: cuda unavailable -> exit 1
mkdir -p "$tmp/real/lib"
printf '#!/bin/sh\nexec "%s" "$@"\n' "$(cd "$(dirname "$QCTS")" && pwd)/$(basename "$QCTS")" >"$tmp/real/qcts"
chmod +x "$tmp/real/qcts"   # a wrapper, not a link: QCTS may itself be a wrapper (qemu) that finds its binary by $0
rc=0
QCTS_PREBUILT="$tmp/real" VECTORS="$gold" CUDA_DB="$tmp/x.db" sh kernels/cuda/test-cuda.sh >"$tmp/t.out" 2>&1 || rc=$?
same "test-cuda.sh without a device (exit status; $(tail -n 1 "$tmp/t.out"))" 1 "$rc"
grep -q 'the cuda backend is not available here' "$tmp/t.out" || fail "test-cuda.sh: $(cat "$tmp/t.out")"

# test-cuda.sh's verdict from a fake qcts: STATUS SUMMARY EXPECTED_EXIT
mkdir -p "$tmp/fake/lib"
verdict() {
    cat >"$tmp/fake/qcts" <<FAKE
#!/bin/sh
case "\$1" in
list) printf 'name available description\ncuda yes fake\n' ;;
check) echo "checked 9 results in 0.1 s"; echo "$2"; exit $1 ;;
esac
FAKE
    chmod +x "$tmp/fake/qcts"
    rc=0
    QCTS_PREBUILT="$tmp/fake" VECTORS="$gold" CUDA_DB="$tmp/x.db" sh kernels/cuda/test-cuda.sh >"$tmp/t.out" 2>&1 || rc=$?
    same "test-cuda.sh on '$2' (qcts check exit $1)" "$3" "$rc"
}
verdict 0 "passed: 9 failed: 0 skipped: 3 mistrusted: 2 unavailable: 0 errors: 0" 0
verdict 0 "passed: 9 failed: 0 skipped: 0 mistrusted: 0 unavailable: 0 errors: 0" 0
verdict 1 "passed: 8 failed: 1 skipped: 0 mistrusted: 0 unavailable: 0 errors: 0" 1
verdict 0 "passed: 8 failed: 1 skipped: 0 mistrusted: 0 unavailable: 0 errors: 0" 1
verdict 0 "passed: 8 failed: 0 skipped: 0 mistrusted: 0 unavailable: 0 errors: 1" 1
verdict 0 "passed: 8 failed: 0 skipped: 0 mistrusted: 0 unavailable: 1 errors: 0" 1
verdict 0 "passed: 0 failed: 0 skipped: 9 mistrusted: 0 unavailable: 0 errors: 0" 1
verdict 2 "passed: 9 failed: 0 skipped: 0 mistrusted: 0 unavailable: 0 errors: 0" 1
verdict 0 "" 1
echo "test-cuda.sh: $checks checks passed"
