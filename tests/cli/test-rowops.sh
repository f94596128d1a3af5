#!/bin/sh
# The check rules of the row ops (rope, norm, softmax) end to end, both ways,
# on the committed golden suites, through plugins that compute in plain
# float32 (conformance/tests/plugins/rowops_plugin.h; F32 cases only):
#   - rowops_ok (sequential sums, libm, a float32 angle) PASSES every case
#     it supports and fails none;
#   - rowops_eps_outside FAILS norm/rms/c002 (mean square near eps);
#   - rowops_no_max FAILS softmax/rows/c002 (logits near 300 overflow exp);
#   - rowops_swap_layout FAILS rope/basic c000, c004 and c007 (and passes
#     c005, where R = 2 makes both layouts the same pair).
# Also: ref and avx2 pass every row-op case (test-check*.sh run them on the
# whole set too; here the count is pinned).
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

build=$(dirname "$QCTS")
plugins=$build/plugins
for p in rowops_ok rowops_eps_outside rowops_no_max rowops_swap_layout; do
    [ -f "$plugins/$p.so" ] || { echo "SKIP: $plugins/$p.so is not built (make builds it)"; exit 77; }
done
gold=vectors/golden
[ -f "$gold/norm/rms.safetensors" ] || { echo "SKIP: no row-op suites in $gold"; exit 77; }

last() { printf '%s\n' "$out" | tail -n 1; }

# check PLUGIN FILTER: runs qcts check; $out, $rc
check() {
    run check --backend "plugin:$plugins/$1.so" --vectors "$gold" --no-db --filter "$2"
}

for f in 'norm/*' 'softmax/*' 'rope/*'; do
    check rowops_ok "$f"
    same "rowops_ok $f (exit status; $(last))" 0 "$rc"
    printf '%s\n' "$(last)" | grep -E -q '^passed: [1-9][0-9]* failed: 0 .* errors: 0$' || fail "rowops_ok $f: $(last)"
done

check rowops_eps_outside 'norm/*'
same "rowops_eps_outside (exit status)" 1 "$rc"
same "rowops_eps_outside summary" "passed: 6 failed: 1 skipped: 7 mistrusted: 0 unavailable: 0 errors: 0" "$(last)"
printf '%s\n' "$out" | grep -q '^FAIL .* norm/rms/c002 .*output y (bound)' || fail "eps outside: no FAIL of norm/rms/c002: $out"
checks=$((checks + 1))

check rowops_no_max 'softmax/*'
same "rowops_no_max (exit status)" 1 "$rc"
printf '%s\n' "$out" | grep -q '^FAIL .* softmax/rows/c002 ' || fail "no max: no FAIL of softmax/rows/c002: $out"
printf '%s\n' "$(last)" | grep -E -q '^passed: [0-9]+ failed: 1 ' || fail "no max: $(last)"
checks=$((checks + 2))

check rowops_swap_layout 'rope/*'
same "rowops_swap_layout (exit status)" 1 "$rc"
printf '%s\n' "$out" | grep -q '^FAIL .* rope/basic/c000 ' || fail "swapped layout: no FAIL of rope/basic/c000: $out"
printf '%s\n' "$out" | grep -q '^FAIL .* rope/basic/c004 ' || fail "swapped layout: no FAIL of rope/basic/c004: $out"
printf '%s\n' "$out" | grep -q '^FAIL .* rope/basic/c007 ' || fail "swapped layout: no FAIL of rope/basic/c007: $out"
same "rowops_swap_layout summary" "passed: 1 failed: 3 skipped: 17 mistrusted: 0 unavailable: 0 errors: 0" "$(last)"
checks=$((checks + 3))

for b in ref avx2; do
    run list backends
    if [ "$b" = avx2 ] && ! printf '%s\n' "$out" | grep -E -q '^avx2 +yes'; then
        echo "avx2 not available here: only ref"
        continue
    fi
    for f in 'rope/*:21' 'norm/*:14' 'softmax/*:9'; do
        run check --backend "$b" --vectors "$gold" --no-db --filter "${f%:*}"
        same "$b ${f%:*} (exit status; $(last))" 0 "$rc"
        same "$b ${f%:*}" "passed: ${f#*:} failed: 0 skipped: 0 mistrusted: 0 unavailable: 0 errors: 0" "$(last)"
    done
done
done_checks
