#!/bin/sh
# qcts vectors coverage: the flags x groups table from MANIFEST.json, and the
# residue classes the sweeps must reach (issue 12): every class of N mod 8 and
# of M mod 6, NaN/Inf activations, double-rounding traps; usage errors.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

gold=vectors/golden
[ -f "$gold/MANIFEST.json" ] || { echo "SKIP: no golden set in $gold"; exit 77; }

# row FLAG: the line of the table for FLAG
row() {
    printf '%s\n' "$out" | awk -v f="$1" '$1 == f'
}

run vectors coverage
same "coverage (exit status)" 0 "$rc"
printf '%s\n' "$out" | sed -n 2p | grep -q '^flag  *\([a-z_0-9]*  *\)*convert  *\([a-z_0-9]*  *\)*dequant ' || fail "coverage header: $out"
checks=$((checks + 1))
for f in n8_0 n8_1 n8_2 n8_3 n8_4 n8_5 n8_6 n8_7 bias a_f16 a_bf16 out_f16 out_bf16; do
    # in sweep_gemv and sweep_gemm: at least 29 of the 33 suites (Marlin's N is a multiple of 256)
    r=$(row "$f")
    [ -n "$r" ] || fail "no row for $f"
    printf '%s\n' "$r" | grep -E -q ' [0-9]+/(29|3[0-3])  +[0-9]+/(29|3[0-3])$' || fail "$f is not in the sweeps: $r"
    checks=$((checks + 1))
done
for f in m6_0 m6_1 m6_2 m6_3 m6_4 m6_5 nan inf double_round k8_odd k_past_256; do
    [ -n "$(row "$f")" ] || fail "no row for $f"
    checks=$((checks + 1))
done

run vectors coverage --group sweep_gemm
same "coverage --group (exit status)" 0 "$rc"
printf '%s\n' "$out" | sed -n 2p | grep -q 'int8_per_channel' || fail "coverage --group header: $out"
checks=$((checks + 1))

run vectors coverage --group nosuch
same "unknown group (exit status)" 1 "$rc"
printf '%s\n' "$err" | grep -q "no suite of group 'nosuch'" || fail "unknown group message: $err"
checks=$((checks + 1))
run vectors coverage --regenerate
same "coverage --regenerate (exit status)" 2 "$rc"
run vectors verify --group gemm
same "verify --group (exit status)" 2 "$rc"
run vectors coverage --dir "$tmp"
same "no manifest (exit status)" 1 "$rc"
done_checks
