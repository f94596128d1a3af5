#!/bin/sh
# Runs every hostile-input case in tests/hostile/ (see tests/hostile/README.md).
# Each must exit 0; a case that fails prints its own message.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
dir=$(dirname "$0")/../hostile
n=0
for t in "$dir"/*-*.sh; do
    [ -e "$t" ] || continue
    n=$((n + 1))
    sh "$t" || fail "hostile case ${t##*/} failed"
    checks=$((checks + 1))
done
[ "$n" -gt 0 ] || fail "no hostile cases found in $dir"
done_checks
