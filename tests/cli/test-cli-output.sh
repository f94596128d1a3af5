#!/bin/sh
# Output for CI logs and other tools (issue 18), end to end:
#   - check --fail-fast stops after the first failure and counts what did
#     not run; without it every case runs;
#   - when stderr is not a terminal, check and bench print plain progress
#     lines (--progress S or QCTS_PROGRESS; 0: one per case run /
#     repetition; off: none) with counts and elapsed time;
#   - a convert failure names the input of its worst element;
#   - TAP skips read "# SKIP reason" (no "# SKIP SKIP:");
#   - db tag latest counts bench runs (as compare does), --kind check check runs;
#   - db export --csv is one table per file;
#   - the data folder: --data-dir and QCTS_DATA_DIR choose it, a wrong one
#     is an error naming it.
. "$(dirname "$0")/lib.sh"
build=$(dirname "$QCTS")
torch=$build/plugins/torch_convention.so
example=$build/examples/plugin_example.so
for p in "$torch" "$example"; do
    [ -f "$p" ] || { echo "SKIP: $p is not built (make builds it)"; exit 77; }
done
# the plain lines without their elapsed seconds
progress() { grep '^qcts check: ' "$1" | sed 's/, [0-9]* s elapsed$/, T s elapsed/'; }

# --fail-fast: the torch-convention plugin fails e4m3 cases under ocp.
run check --no-db -j 1 --backend "plugin:$torch" --filter 'convert/e4m3_ocp/*'
same "without --fail-fast (exit status)" 1 "$rc"
all=$(printf '%s\n' "$out" | tail -n 1)
case $all in "passed: "*" failed: 4 "*) ;; *) fail "without --fail-fast: $all" ;; esac
run check --no-db -j 1 --backend "plugin:$torch" --filter 'convert/e4m3_ocp/*' --fail-fast
same "--fail-fast (exit status)" 1 "$rc"
same "--fail-fast (summary)" "passed: 2 failed: 1 skipped: 1 mistrusted: 0 unavailable: 0 errors: 0" \
    "$(printf '%s\n' "$out" | tail -n 1)"
same "--fail-fast (stderr)" "qcts check: --fail-fast: stopped after the first failure; 9 of 13 case runs not run" \
    "$(printf '%s\n' "$err" | grep fail-fast)"
# A passing run is not cut short.
run check --no-db -j 1 --backend ref --filter 'convert/e4m3_ocp/*' --fail-fast
same "--fail-fast on a passing run" "0 passed: 13 failed: 0 skipped: 0 mistrusted: 0 unavailable: 0 errors: 0" \
    "$rc $(printf '%s\n' "$out" | tail -n 1)"

# A convert failure names the input: c003 encodes inf, which ocp saturates.
case $out$(printf '%s\n' "$(run check --no-db -j 1 --backend "plugin:$torch" --filter 'convert/e4m3_ocp/c003'; printf '%s' "$out")") in
    *"worst element 2: expected 0x7e, got 0x7f (input inf, f32 0x7f800000)"*) checks=$((checks + 1)) ;;
    *) fail "the convert failure does not name its input" ;;
esac

# Progress lines (stderr is a file here, not a terminal).
"$QCTS" check --no-db -j 1 --backend ref --filter 'convert/e4m3_ocp/*' --progress 0 >/dev/null 2>"$tmp/p0"
same "--progress 0: a line per case run" 13 "$(progress "$tmp/p0" | wc -l | tr -d ' ')"
same "--progress 0: first and last lines" "qcts check: 1/13 case runs done, 0 failed or errors, T s elapsed
qcts check: 13/13 case runs done, 0 failed or errors, T s elapsed" "$(progress "$tmp/p0" | sed -n '1p;$p')"
"$QCTS" check --no-db -j 1 --backend "plugin:$torch" --filter 'convert/e4m3_ocp/*' --progress 0 >/dev/null 2>"$tmp/p1" || true
same "--progress 0 counts failures" "qcts check: 13/13 case runs done, 4 failed or errors, T s elapsed" \
    "$(progress "$tmp/p1" | tail -n 1)"
QCTS_PROGRESS=0 "$QCTS" check --no-db -j 1 --backend ref --filter 'convert/e4m3_ocp/*' >/dev/null 2>"$tmp/p2"
same "QCTS_PROGRESS=0: a line per case run" 13 "$(progress "$tmp/p2" | wc -l | tr -d ' ')"
QCTS_PROGRESS=0 "$QCTS" check --no-db -j 1 --backend ref --filter 'convert/e4m3_ocp/*' --progress off >/dev/null 2>"$tmp/p3"
same "--progress off over QCTS_PROGRESS=0: no line" "" "$(progress "$tmp/p3")"
expect_fail 2 "qcts check: --progress needs seconds from 0 to 86400 or 'off', got '-1'
try 'qcts help check'" check --no-db --progress -1
QCTS_PROGRESS=soon "$QCTS" check --no-db >/dev/null 2>"$tmp/p4" && fail "QCTS_PROGRESS=soon passed"
same "QCTS_PROGRESS=soon" "qcts check: QCTS_PROGRESS needs seconds from 0 to 86400 or 'off', got 'soon'
try 'qcts help check'" "$(cat "$tmp/p4")"

# TAP: a SKIP is "# SKIP reason".
run check --no-db --tap --backend "plugin:$example" --filter 'convert/e2m1_ocp/c000'
same "TAP skip line" "ok 1 - plugin:$example convert/e2m1_ocp/c000 # SKIP plugin_example converts only e4m3 and e5m2 (format 5 asked)" \
    "$(printf '%s\n' "$out" | sed -n 3p)"
# metal is unavailable on every Linux build, native or under qemu
run check --no-db --tap --backend metal --filter 'convert/e2m1_ocp/c000'
case $(printf '%s\n' "$out" | sed -n 3p) in
    "ok 1 - metal convert/e2m1_ocp/c000 # SKIP unavailable: backend 'metal' is not built: "*) checks=$((checks + 1)) ;;
    *) fail "TAP unavailable line: $(printf '%s\n' "$out" | sed -n 3p)" ;;
esac

# db tag latest: the newest bench run, even when a check ran after it.
db=$tmp/t.db
run bench --db "$db" --shapes smoke --backend ref --filter 'dequant/int4*' --repeat 2 --quick-roofline --min-time 0.001 \
    --progress 0
same "bench for tags (stderr: $err)" 0 "$rc"
same "bench --progress 0: a line before every repetition" "qcts bench: 0/2 repetitions done, T s elapsed
qcts bench: 1/2 repetitions done, T s elapsed" \
    "$(printf '%s\n' "$err" | grep '^qcts bench: [0-9]' | sed 's/, [0-9]* s elapsed$/, T s elapsed/')"
bench_run=$(printf '%s\n' "$err" | sed -n 's/.*recorded as run \([0-9a-f-]*\) in .*/\1/p')
run check --db "$db" --backend ref --filter 'convert/e4m3_ocp/c000'
check_run=$(printf '%s\n' "$err" | sed -n 's/.*recorded as run \([0-9a-f-]*\) in .*/\1/p')
[ -n "$bench_run" ] && [ -n "$check_run" ] || fail "no run uuids: '$bench_run' '$check_run'"
expect_ok "tagged run $bench_run as base" db tag --db "$db" latest base
expect_ok "tagged run $check_run as c" db tag --db "$db" --kind check latest c
expect_fail 2 "qcts db: --kind takes bench or check, got 'x'
try 'qcts help db'" db tag --db "$db" --kind x latest c

# CSV: one table per file.
expect_fail 2 "qcts db: CSV is one table per file: give --table results|measurements, or --out DIR for DIR/results.csv and DIR/measurements.csv
try 'qcts help db'" db export --csv --db "$db"
run db export --csv --table results --db "$db"
same "CSV results header" "run,kind,started_at" "$(printf '%s\n' "$out" | head -n 1 | cut -d, -f1-3)"
same "CSV results: one row per result, no section lines" "1 0" \
    "$(printf '%s\n' "$out" | sed 1d | wc -l | tr -d ' ') $(printf '%s\n' "$out" | grep -c '^#')"
expect_ok "" db export --csv --out "$tmp/csv" --db "$db"
same "CSV folder" "measurements.csv results.csv" "$(ls "$tmp/csv" | tr '\n' ' ' | sed 's/ $//')"
same "CSV measurements header" "run,started_at" "$(head -n 1 "$tmp/csv/measurements.csv" | cut -d, -f1-2)"
same "CSV measurements rows" 1 "$(sed 1d "$tmp/csv/measurements.csv" | wc -l | tr -d ' ')"

# The data folder.
QCTS_DATA_DIR=$tmp/nowhere "$QCTS" check --no-db --filter 'convert/e4m3_ocp/c000' >/dev/null 2>"$tmp/e" && fail "QCTS_DATA_DIR=nowhere passed"
same "QCTS_DATA_DIR=nowhere" "qcts check: $tmp/nowhere/golden: No such file or directory (generate the golden set with 'qcts vectors gen')" "$(cat "$tmp/e")"
run --data-dir vectors check --no-db --filter 'convert/e4m3_ocp/c000'
same "--data-dir vectors (stderr: $err)" 0 "$rc"
run --data-dir="$tmp/nowhere" check --no-db --filter 'convert/e4m3_ocp/c000'
same "--data-dir=nowhere" "1 qcts check: $tmp/nowhere/golden: No such file or directory (generate the golden set with 'qcts vectors gen')" "$rc $err"
expect_fail 2 "qcts: --data-dir needs a folder (holding golden/ and suites/)
try 'qcts help'" --data-dir
done_checks
