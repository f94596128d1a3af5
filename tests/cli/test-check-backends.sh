#!/bin/sh
# qcts check of every in-tree backend this build has and this host can run
# (qcts list backends: available "yes"; ref is test-check.sh's), and of the simd backend forced to
# its generic scalar tier, on the whole golden set: nothing may FAIL or
# ERROR, and the CPU SIMD backends (avx2, avx512, neon, simd) may skip no
# case for lacking its op ("has no <op>": issue 15 asks every op). Under `make SANITIZE=address,undefined test` (.ci/run) this is the
# check of every built backend under ASan and UBSan: a kernel that writes
# past a private buffer without changing any output fails here.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

summary() {
    printf '%s\n' "$out" | tail -n 1
}

gold=vectors/golden
[ -f "$gold/MANIFEST.json" ] || { echo "SKIP: no golden set in $gold"; exit 77; }
run list backends
same "list backends (exit status)" 0 "$rc"
# ref: test-check.sh checks it on the whole golden set already
backends=$(printf '%s\n' "$out" | awk 'NR > 1 && $2 == "yes" && $1 !~ /:/ && $1 != "ref" { print $1 }')
[ -n "$backends" ] || fail "no available in-tree backend in: $out"
for b in $backends; do
    run check --backend "$b" --vectors "$gold" --no-db --json "$tmp/$b.json"
    same "check --backend $b (exit status; $(summary))" 0 "$rc"
    printf '%s\n' "$(summary)" | grep -E -q '^passed: [1-9][0-9]* failed: 0 .* errors: 0$' \
        || fail "check --backend $b: $(summary)"
    case $b in avx2 | avx512 | neon | simd)
        ! grep -o "backend $b has no [a-z_]*" "$tmp/$b.json" | sort | uniq -c | grep . \
            || fail "check --backend $b: an op without a slot (counts above)" ;;
    esac
    checks=$((checks + 1))
    echo "$b: $(summary)"
done
if printf '%s\n' "$backends" | grep -qx simd; then
    QCTS_FORCE_ISA=scalar
    export QCTS_FORCE_ISA
    run check --backend simd --vectors "$gold" --no-db --json "$tmp/scalar.json"
    same "check --backend simd, QCTS_FORCE_ISA=scalar (exit status; $(summary))" 0 "$rc"
    ! grep -o "backend simd has no [a-z_]*" "$tmp/scalar.json" | sort | uniq -c | grep . \
        || fail "check --backend simd, QCTS_FORCE_ISA=scalar: an op without a slot (counts above)"
    echo "simd (scalar): $(summary)"
    unset QCTS_FORCE_ISA
fi
done_checks
