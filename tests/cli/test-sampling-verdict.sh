#!/bin/sh
# The sampling verdicts end to end (issue 14): qcts check on the sampling
# golden suites with two plugins of conformance/tests/plugins that share one
# float32 sampler (tiny_sampler.h), independent of ref/ and of the AVX2 one:
#   - tiny_sampler_ok (summation orders and exp of its own) PASSes every case:
#     the admissible sets accept a correct sampler that is not the reference;
#   - broken_sampler_topp keeps only the prefix strictly below top_p (the
#     wrong side of the threshold) and FAILs the top-p cases with
#     "not admissible", and nothing else.
. "${0%/*}/lib.sh"
build=$(dirname "$QCTS")
plugins=$build/plugins
for p in tiny_sampler_ok broken_sampler_topp; do
    [ -f "$plugins/$p.so" ] || { echo "SKIP: $plugins/$p.so is not built (make builds it)"; exit 77; }
done
root=$(cd "${0%/*}/../.." && pwd)
gold=$root/vectors/golden/sampling
[ -d "$gold" ] || fail "no sampling suites in $gold"

run check --backend "plugin:$plugins/tiny_sampler_ok.so" --vectors "$gold" --no-db
same "tiny_sampler_ok exit" 0 "$rc"
printf '%s\n' "$out" | grep -q "failed: 0 " || fail "tiny_sampler_ok: not every case passed:
$out"
checks=$((checks + 1))

run check --backend "plugin:$plugins/broken_sampler_topp.so" --vectors "$gold" --no-db
same "broken_sampler_topp exit" 1 "$rc"
fails=$(printf '%s\n' "$out" | grep -c '^FAIL .*not admissible')
[ "$fails" -ge 2 ] || fail "broken_sampler_topp: $fails cases FAIL as not admissible, expected at least 2:
$out"
checks=$((checks + 1))
# every FAIL is a top-p case (the bug touches nothing else)
for id in $(printf '%s\n' "$out" | sed -n 's/^FAIL [^ ]* sampling\/\([a-z]*\/c[0-9]*\) .*/\1/p'); do
    f=${id%/*}
    c=${id#*/}
    run case extract "$gold/$f.safetensors" "$c" "$tmp/one.safetensors"
    same "extract $id" 0 "$rc"
    # the generator flags a case "top_p" exactly when top_p < 1
    flags=$(grep -ao 'flags[^]]*]' "$tmp/one.safetensors" | head -n 1)
    case "$flags" in
    *top_p*) ;;
    *) fail "$id FAILs but is not a top-p case (flags: $flags)" ;;
    esac
    checks=$((checks + 1))
done
echo "$script: $checks checks passed"
