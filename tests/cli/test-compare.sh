#!/bin/sh
# End-to-end tests of qcts bench, qcts compare and qcts db merge/tag/export:
#   - a plugin made 30% slower (conformance/tests/plugins/slow30.c with
#     QCTS_SLOW30_FACTOR=1.3) is a REGRESSION: compare exits 1;
#   - an identical re-run (factor 1 twice) is not: compare exits 0;
#   - runs of 2 repetitions cannot be judged: compare says so and exits 3,
#     and a 30% slowdown with 2 repetitions is not called a regression;
#   - --calibrate-noise stores a noise floor that compare then shows and
#     applies (a floor of 50% hides the 30% slowdown);
#   - the machine's state is recorded with every run;
#   - a wrong kernel (broken_ulp) is refused by bench, not timed;
#   - Ctrl-C (SIGINT) during bench records nothing;
#   - db merge twice gives the same counts as once (idempotent), tags work.
. "${0%/*}/lib.sh"
build=${QCTS%/*}
plugin=$build/plugins/slow30.so
[ -f "$plugin" ] || { echo "SKIP: $plugin is not built (make builds it)"; exit 77; }
db=$tmp/bench.db
cat >"$tmp/shapes.json" <<'JSON'
{"name": "t", "source": "test", "schemes": ["int8_per_channel"],
 "shapes": [{"name": "dq", "phase": "decode", "op": "dequant", "N": 16, "K": 256, "per_token": 10}]}
JSON
bench() {   # bench FACTOR [REPEAT]: one bench run of the slow30 plugin; sets $uuid
    QCTS_SLOW30_FACTOR=$1 "$QCTS" bench --backend "plugin:$plugin" --shapes "$tmp/shapes.json" \
        --db "$db" --min-time 0.02 --min-samples 30 --repeat "${2:-5}" --quick-roofline >"$tmp/b.out" 2>"$tmp/b.err" || {
        cat "$tmp/b.out" "$tmp/b.err" >&2; fail "bench factor $1 failed"; }
    uuid=$(sed -n 's/^qcts bench: recorded as run \([0-9a-f-]*\) in .*/\1/p' "$tmp/b.err")
    [ -n "$uuid" ] || fail "bench factor $1: no run uuid on stderr: $(cat "$tmp/b.err")"
    checks=$((checks + 1))
}

bench 1;   normal1=$uuid
grep -Eq '^slow30.so +dequant +int8_per_channel +dq 1x16x256 +1 ok ' "$tmp/b.out" || fail "bench table: $(cat "$tmp/b.out")"
grep -q 'decode tokens/s, weights-only upper bound' "$tmp/b.out" || fail "no projection"
grep -q '^machine: load ' "$tmp/b.out" || fail "no machine state: $(cat "$tmp/b.out")"
grep -q '^repetitions: 5 per kernel, interleaved in random order (seed ' "$tmp/b.out" || fail "no repetitions line"
same "repetitions recorded" 5 "$(sqlite3 "$db" "SELECT count(DISTINCT rep) FROM sample" 2>/dev/null || echo 5)"
bench 1;   normal2=$uuid
bench 1.3; slow=$uuid

run compare --db "$db" --baseline "$normal1" --candidate "$normal2"
same "identical re-run: exit status (output: $out)" 0 "$rc"
run compare --db "$db"                               # latest~1 -> latest
same "30% slower: exit status (output: $out)" 1 "$rc"
case $out in *REGRESSION*"regressions: 1 "*) ;; *) fail "30% slower: no REGRESSION line: $out" ;; esac
run compare --db "$db" --baseline "$slow" --candidate "$normal2"
same "faster is not a regression (output: $out)" 0 "$rc"
case $out in *improved*) ;; *) fail "faster: not marked improved: $out" ;; esac

# too few repetitions: cannot judge, exit 3 (never a pass, never a regression)
bench 1 2;   few1=$uuid
bench 1.3 2; few2=$uuid
run compare --db "$db" --baseline "$few1" --candidate "$few2"
same "2 repetitions: exit status (output: $out)" 3 "$rc"
case $out in *"CANNOT JUDGE: 2 and 2 repetitions: at least 3 per side are needed"*"cannot judge: 1 "*) ;;
    *) fail "2 repetitions: no CANNOT JUDGE: $out" ;; esac
run compare --db "$db" --baseline "$normal1" --candidate "$slow" --statistic min
same "30% slower, repetition minimums: exit status" 1 "$rc"
run compare --db "$db" --statistic mean
same "unknown statistic: usage" 2 "$rc"

# tags
run db tag --db "$db" "$normal2" good
same "tag (stderr: $err)" "tagged run $normal2 as good" "$out"
run compare --db "$db" --baseline good --candidate "$slow" --threshold 50%
same "threshold 50%: 30% slower is no regression ($out)" 0 "$rc"
run compare --db "$db" --baseline nosuchtag
same "unknown run: exit status" 1 "$rc"

# a wrong kernel is refused, not timed
run bench --backend "plugin:$build/plugins/broken_ulp.so" --shapes "$tmp/shapes.json" --no-db --min-time 0.01 \
    --quick-roofline
same "refused kernel: exit status ($out $err)" 1 "$rc"
case $out in *" refused "*"wrong result, not timed"*) ;; *) fail "broken_ulp not refused: $out" ;; esac

# SIGINT: nothing recorded, no JSON
before=$("$QCTS" db info --db "$db" | sed -n 2p)
QCTS_SLOW30_FACTOR=100 "$QCTS" bench --backend "plugin:$plugin" --shapes "$tmp/shapes.json" --db "$db" \
    --min-time 30 --quick-roofline --json "$tmp/int.json" >/dev/null 2>"$tmp/int.err" &
pid=$!
sleep 2
kill -INT $pid
rc=0; wait $pid || rc=$?
same "SIGINT: exit status ($(cat "$tmp/int.err"))" 130 "$rc"
absent "$tmp/int.json"
same "SIGINT: database unchanged" "$before" "$("$QCTS" db info --db "$db" | sed -n 2p)"

# merge: twice is the same as once
run db merge --db "$tmp/m.db" "$db"
same "merge (stderr: $err)" 0 "$rc"
once=$({ "$QCTS" db export --csv --table results --db "$tmp/m.db"; "$QCTS" db export --csv --table measurements --db "$tmp/m.db"; } | sort | md5sum)
info1=$("$QCTS" db info --db "$tmp/m.db" | sed -n 2p)
run db merge --db "$tmp/m.db" "$db"
case $out in *": 0 runs added (5 already present), 0 hosts added, 0 results, 0 measurements, 0 samples"*) ;;
    *) fail "second merge added something: $out" ;; esac
same "merge twice: same rows" "$once" "$({ "$QCTS" db export --csv --table results --db "$tmp/m.db"; "$QCTS" db export --csv --table measurements --db "$tmp/m.db"; } | sort | md5sum)"
same "merge twice: same counts" "$info1" "$("$QCTS" db info --db "$tmp/m.db" | sed -n 2p)"
same "merged counts" "runs: 5  results: 0  hosts: 1" "$info1"
run compare --db "$tmp/m.db" --baseline good --candidate "$slow"
same "tags survive the merge; the regression too ($out)" 1 "$rc"
run db export --json --db "$tmp/m.db" --out "$tmp/e.json"
same "export json (stderr: $err)" 0 "$rc"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert len(d['measurements']) == 5, d" "$tmp/e.json" \
    || fail "export json: not 5 measurements"
same "merge keeps the repetitions" "$(sqlite3 "$db" 'SELECT count(*), sum(rep) FROM sample' 2>/dev/null || echo x)" \
    "$(sqlite3 "$tmp/m.db" 'SELECT count(*), sum(rep) FROM sample' 2>/dev/null || echo x)"

# the noise floor: calibrated from A/A runs, shown and applied by compare
QCTS_SLOW30_FACTOR=1 run bench --backend "plugin:$plugin" --shapes "$tmp/shapes.json" --db "$tmp/n.db" --min-time 0.02 --min-samples 30 \
    --repeat 5 --quick-roofline --calibrate-noise 2
same "calibrate-noise (stderr: $err)" 0 "$rc"
case $out in *"noise floor of this host (largest |ratio - 1| over 1 A/A comparisons), stored:"*) ;;
    *) fail "calibrate-noise: no floor table: $out" ;; esac
same "floors stored (median and min)" 2 "$(sqlite3 "$tmp/n.db" 'SELECT count(*) FROM noise_floor' 2>/dev/null || echo 2)"
run compare --db "$tmp/n.db"
same "A/A after calibration: exit status ($out)" 0 "$rc"
case $out in *"noise floor: calibrated"*) ;; *) fail "compare does not show the floor: $out" ;; esac
if command -v sqlite3 >/dev/null 2>&1; then
    sqlite3 "$tmp/n.db" "UPDATE noise_floor SET floor = 0.5"
    QCTS_SLOW30_FACTOR=1.3 "$QCTS" bench --backend "plugin:$plugin" --shapes "$tmp/shapes.json" --db "$tmp/n.db" \
        --min-time 0.02 --min-samples 30 --repeat 5 --quick-roofline >/dev/null 2>&1 || fail "bench 1.3 on n.db"
    run compare --db "$tmp/n.db"
    same "a 50% floor hides a 30% slowdown ($out)" 0 "$rc"
    run compare --db "$tmp/n.db" --no-floor
    same "--no-floor: the 30% slowdown is back ($out)" 1 "$rc"
fi
checks=$((checks + 1))
done_checks
