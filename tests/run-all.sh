#!/bin/sh
# Runs every test of qcts: the CUnit runner, then each tests/cli/test-*.sh
# script (end-to-end tests of the qcts program; exit status 77 means skipped,
# and the script prints the reason). Prints one summary line,
# "N passed, N failed, N skipped", and exits non-zero if anything failed.
#   QCTS=path/to/qcts TEST_RUNNER=path/to/qcts-tests tests/run-all.sh
set -u
: "${QCTS:?set QCTS to the qcts binary}" "${TEST_RUNNER:?set TEST_RUNNER}"
export QCTS
log=$(mktemp "${TMPDIR:-/tmp}/qcts-test.XXXXXX")
trap 'rm -f "$log"' EXIT

unit_rc=0
"$TEST_RUNNER" 2>&1 | tee "$log" || true
# CUnit's runner prints "N passed, N failed" as its last line; its exit status
# is lost in the pipe above, so read the counts back.
unit=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
if [ -z "$unit" ]; then
    echo "run-all: the unit-test runner did not finish (crash?)" >&2
    unit="0 passed, 1 failed"
fi
u_pass=${unit%% passed*}
u_fail=${unit#*, }; u_fail=${u_fail%% failed*}

s_pass=0; s_fail=0; s_skip=0
for t in tests/cli/test-*.sh; do
    [ -e "$t" ] || continue
    sh "$t" >"$log" 2>&1
    rc=$?
    if [ $rc -eq 0 ]; then
        s_pass=$((s_pass + 1)); echo "cli: $t ... passed"
    elif [ $rc -eq 77 ]; then
        s_skip=$((s_skip + 1)); echo "cli: $t ... SKIPPED: $(grep -m1 SKIP "$log")"
    else
        s_fail=$((s_fail + 1)); echo "cli: $t ... FAILED (exit $rc)"; sed 's/^/    /' "$log" | tail -n 40
    fi
done

echo
echo "unit tests: $u_pass passed, $u_fail failed; cli tests: $s_pass passed, $s_fail failed, $s_skip skipped"
echo "$((u_pass + s_pass)) passed, $((u_fail + s_fail)) failed, $s_skip skipped"
[ "$u_fail" -eq 0 ] && [ "$s_fail" -eq 0 ]
