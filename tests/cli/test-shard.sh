#!/bin/sh
# End-to-end tests of qcts check --shard I/N and run groups (issue 19):
#   - shards 1/3, 2/3 and 3/3 together run exactly the cases of the full run,
#     each once, with the same verdicts; every shard is non-empty;
#   - their runs share one run group (derived, or --run-group) and record
#     shard_index / shard_count;
#   - the report takes a run group only when every shard is stored: with 2
#     of 3 it says "run group with 2 of 3 shards" and uses no run, with all 3
#     it uses the group;
#   - a shard past the last case is empty but not an error;
#   - bad --shard / --run-group values are usage errors (exit 2).
. "${0%/*}/lib.sh"
command -v sqlite3 >/dev/null 2>&1 || { echo "SKIP: the sqlite3 program is missing"; exit 77; }
filter='convert/e2m1*'
# cases DB [SHARD]: "suite/case verdict" lines of the runs (of one shard), sorted
cases() {
    sqlite3 "$1" "SELECT x.suite || '/' || x.case_id || ' ' || x.verdict FROM result x JOIN run r ON r.id = x.run_id
                  WHERE ${2:-1} ORDER BY 1"
}
run check --backend ref --filter "$filter" --db "$tmp/full.db"
same "full run exit" 0 "$rc"
full=$(cases "$tmp/full.db")
[ -n "$full" ] || fail "no results in the full run's JSON"
n_full=$(printf '%s\n' "$full" | wc -l)
[ "$n_full" -ge 3 ] || fail "the filter selects only $n_full cases"
db=$tmp/s.db
union=""
for i in 1 2; do
    run check --backend ref --filter "$filter" --db "$db" --shard "$i/3"
    same "shard $i/3 exit" 0 "$rc"
done
# two of three shards: the report must not use the group
run report --db "$db" --md "$tmp/r2.md"
same "report exit (2 of 3)" 0 "$rc"
grep -q 'run group with 2 of 3 shards' "$tmp/r2.md" || fail "report with 2 of 3 shards: $(grep -n 'ref' "$tmp/r2.md" | head -5)"
grep -Eq '^\| ref \| - \|' "$tmp/r2.md" || fail "report used an incomplete group: $(grep -n '^| ref' "$tmp/r2.md" | head -3)"
run check --backend ref --filter "$filter" --db "$db" --shard 3/3
same "shard 3/3 exit" 0 "$rc"
for i in 1 2 3; do
    part=$(cases "$db" "r.shard_index = $i")
    [ -n "$part" ] || fail "shard $i/3 ran no case"
    union="$union$part
"
done
same "shards 1..3 = the full run" "$full" "$(printf '%s' "$union" | sed '/^$/d' | sort)"
same "no case twice" "$n_full" "$(printf '%s' "$union" | sed '/^$/d' | sort -u | wc -l)"
same "one run group, shards 1..3" "1|1,2,3|3" \
    "$(sqlite3 "$db" "SELECT count(DISTINCT run_group), group_concat(shard_index), max(shard_count) FROM (SELECT * FROM run ORDER BY shard_index)")"
group=$(sqlite3 "$db" "SELECT run_group FROM run LIMIT 1")
case $group in auto-????????????????) ;; *) fail "derived run group '$group'" ;; esac
run report --db "$db" --md "$tmp/r3.md"
same "report exit (3 of 3)" 0 "$rc"
grep -q "| ref | $group | $n_full |" "$tmp/r3.md" || fail "report with every shard: $(grep -n '^| ref' "$tmp/r3.md" | head -3)"
# an explicit group
run check --backend ref --filter "$filter" --db "$db" --shard 1/2 --run-group pipeline-42
same "explicit group exit" 0 "$rc"
same "explicit group stored" "pipeline-42|1|2" "$(sqlite3 "$db" "SELECT run_group, shard_index, shard_count FROM run WHERE run_group = 'pipeline-42'")"
# more shards than cases: the last ones are empty, not errors
big=$((n_full + 1))
run check --backend ref --filter "$filter" --no-db --shard "$big/$big"
same "empty shard exit" 0 "$rc"
case $err in *"shard $big/$big: 0 of the $n_full selected cases"*) ;; *) fail "empty shard message: $err" ;; esac
for bad in 0/3 4/3 3 /3 1/ 1/0 a/b 1/3/4; do
    run check --backend ref --filter "$filter" --no-db --shard "$bad"
    same "--shard $bad exit" 2 "$rc"
done
run check --backend ref --filter "$filter" --no-db --run-group g1
same "--run-group without --shard" 2 "$rc"
run check --backend ref --filter "$filter" --no-db --shard 1/2 --run-group 'a b'
same "--run-group with a space" 2 "$rc"
echo "$script: $checks checks passed"
