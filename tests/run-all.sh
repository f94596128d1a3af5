#!/bin/sh
# Runs every test of qcts: each CUnit suite (its own run of the runner) and
# each tests/cli/test-*.sh script (end-to-end tests of the qcts program; exit
# status 77 means skipped, and the script prints the reason). Prints one line
# per suite and script, in a fixed order, with its wall time; then the
# slowest ones, and one summary line, "N passed, N failed, N skipped"; exits
# non-zero if anything failed.
#   QCTS=path/to/qcts TEST_RUNNER=path/to/qcts-tests tests/run-all.sh
# QCTS_TEST_JOBS=N runs N of them at once (default: the number of CPUs; 1 =
# one after the other). Every test makes its own temporary folder, so
# parallel ones share no file; the output does not depend on N.
# QCTS_TEST_TIMES=all lists the time of every one, not only the slowest.
set -u
: "${QCTS:?set QCTS to the qcts binary}" "${TEST_RUNNER:?set TEST_RUNNER}"
export QCTS

# --one DIR ID ITEM: run one item (a worker of the xargs below); writes
# DIR/ID.log (its output), DIR/ID.rc and, last, DIR/ID.time.
if [ "${1:-}" = --one ]; then
    d=$2 id=$3 item=$4
    t0=$(date +%s.%N)
    case $item in
    unit:*) "$TEST_RUNNER" "${item#unit:}" >"$d/$id.log" 2>&1 ;;
    *) sh "${item#cli:}" >"$d/$id.log" 2>&1 ;;
    esac
    echo $? >"$d/$id.rc"
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", b - a }' >"$d/$id.time.tmp"
    mv "$d/$id.time.tmp" "$d/$id.time"
    exit 0
fi

jobs=${QCTS_TEST_JOBS:-$(nproc 2>/dev/null || echo 1)}
case $jobs in '' | *[!0-9]* | 0) echo "run-all: QCTS_TEST_JOBS must be a positive integer, got '$jobs'" >&2; exit 2 ;; esac
d=$(mktemp -d "${TMPDIR:-/tmp}/qcts-test.XXXXXX")
trap 'rm -rf "$d"' EXIT
trap 'exit 130' INT TERM
start=$(date +%s)

suites=$("$TEST_RUNNER" --list) || { echo "run-all: $TEST_RUNNER --list failed" >&2; exit 2; }
: >"$d/items"
for s in $suites; do echo "unit:$s" >>"$d/items"; done
for t in tests/cli/test-*.sh; do [ -e "$t" ] && echo "cli:$t" >>"$d/items"; done
# The order they start in: slowest first by the times of the last run of
# this build (a short test then fills the gap at the end, not a long one);
# without times, the CLI scripts (the long ones) first.
times=${QCTS%/*}/.test-times
[ -r "$times" ] && cp "$times" "$d/last" || : >"$d/last"
awk -v last="$d/last" 'FILENAME == last { t[$1] = $2; next }
    { print (($1 in t) ? t[$1] : ($1 ~ /^cli:/ ? 1e6 : 1e5)), FNR, $1 }' "$d/last" "$d/items" | sort -k1,1gr -k2,2n |
    awk '{ print $2, $3 }' >"$d/order"
# xargs runs them, $jobs at once, in the background; the loop below prints
# each result in the fixed order as soon as it is there.
xargs -P "$jobs" -L 1 sh "$0" --one "$d" <"$d/order" &
pool=$!

u_pass=0 u_fail=0 s_pass=0 s_fail=0 s_skip=0 id=0
: >"$d/times"
while read -r item; do
    id=$((id + 1))
    while [ ! -e "$d/$id.time" ]; do
        kill -0 "$pool" 2>/dev/null || [ -e "$d/$id.time" ] || { echo "run-all: the test pool ended before $item ran" >&2; break; }
        sleep 0.2
    done
    rc=$(cat "$d/$id.rc" 2>/dev/null || echo 255)
    sec=$(cat "$d/$id.time" 2>/dev/null || echo 0)
    echo "$item $sec" >>"$d/times"
    case $item in
    unit:*)
        # the runner's last line is "N passed, N failed"; no such line: it crashed
        unit=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$d/$id.log" | tail -n 1)
        if [ -z "$unit" ]; then
            u_fail=$((u_fail + 1)); echo "$item ... the runner did not finish (crash?, exit $rc) ($sec s)"
            sed 's/^/    /' "$d/$id.log" | tail -n 60
            continue
        fi
        p=${unit%% passed*} f=${unit#*, }; f=${f%% failed*}
        u_pass=$((u_pass + p)) u_fail=$((u_fail + f))
        if [ "$f" -eq 0 ] && [ "$rc" -eq 0 ]; then
            echo "$item ... $p passed ($sec s)"
        else
            [ "$f" -gt 0 ] || u_fail=$((u_fail + 1))
            echo "$item ... FAILED: $unit, exit $rc ($sec s)"; sed 's/^/    /' "$d/$id.log"
        fi ;;
    *)
        t=${item#cli:}
        if [ "$rc" -eq 0 ]; then
            s_pass=$((s_pass + 1)); echo "cli: $t ... passed ($sec s)"
        elif [ "$rc" -eq 77 ]; then
            s_skip=$((s_skip + 1)); echo "cli: $t ... SKIPPED: $(grep -m1 SKIP "$d/$id.log") ($sec s)"
        else
            s_fail=$((s_fail + 1)); echo "cli: $t ... FAILED (exit $rc) ($sec s)"; sed 's/^/    /' "$d/$id.log" | tail -n 40
        fi ;;
    esac
done <"$d/items"
wait "$pool"
# kept for the next run's order (a failed write only loses the ordering)
cp "$d/times" "$times" 2>/dev/null || true

echo
if [ "${QCTS_TEST_TIMES:-}" = all ]; then
    echo "times (s), slowest first, $jobs at once:"
    sort -k2,2gr "$d/times" | awk '{ printf "  %7.1f  %s\n", $2, $1 }'
else
    echo "slowest (s; QCTS_TEST_TIMES=all lists all), $jobs at once:"
    sort -k2,2gr "$d/times" | head -n 8 | awk '{ printf "  %7.1f  %s\n", $2, $1 }'
fi
echo "wall time: $(( $(date +%s) - start )) s"
echo "unit tests: $u_pass passed, $u_fail failed; cli tests: $s_pass passed, $s_fail failed, $s_skip skipped"
echo "$((u_pass + s_pass)) passed, $((u_fail + s_fail)) failed, $s_skip skipped"
[ "$u_fail" -eq 0 ] && [ "$s_fail" -eq 0 ]
