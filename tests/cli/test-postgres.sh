#!/bin/sh
# PostgreSQL as the shared results store (issue 19), against a real server:
# a throwaway cluster (mk/pg-cluster.sh: initdb + pg_ctl on a Unix socket in
# a temporary folder), stopped and removed at the end. Nothing is mocked.
#   - the same sequence of db commands (check x2, bench x2, tag, info,
#     export, compare, report) against a SQLite file and against the store
#     gives the same (normalized) answers;
#   - pushes from two SQLite files of two hosts, then report --db URL shows
#     both hosts side by side (Fleet); a second push adds nothing;
#   - 4 writers at once (check --db URL): every run stored, one host row;
#   - kill -9 during a push of 60 runs: the store has all of them or none;
#     a new push then completes it;
#   - the push time for 10 runs and the report time are printed.
. "${0%/*}/lib.sh"
command -v sqlite3 >/dev/null 2>&1 || { echo "SKIP: the sqlite3 program is missing"; exit 77; }
if "$QCTS" db info --db postgresql:///none 2>&1 | grep -q 'without libpq'; then
    echo "SKIP: this qcts was built without libpq (the arm64 sysroot has none)"; exit 77
fi
build=${QCTS%/*}
plugin=$build/plugins/slow30.so
[ -f "$plugin" ] || { echo "SKIP: $plugin is not built (make builds it)"; exit 77; }
pgdir=$(mktemp -d "${TMPDIR:-/tmp}/qcts-pg.XXXXXX")   # outside $tmp (0700): the server runs as postgres when we are root
set +e
url=$(sh mk/pg-cluster.sh start "$pgdir")
st=$?
set -e
[ $st = 77 ] && { echo "SKIP: the PostgreSQL server programs are missing (mk/ensure-deps.sh installs them)"; exit 77; }
[ $st = 0 ] || fail "cannot start the throwaway cluster"
trap 'sh mk/pg-cluster.sh stop "$pgdir"; rm -rf "$tmp"' EXIT
cat >"$tmp/shapes.json" <<'JSON'
{"name": "t", "source": "test", "schemes": ["int8_per_channel"],
 "shapes": [{"name": "dq", "phase": "decode", "op": "dequant", "N": 16, "K": 256, "per_token": 10}]}
JSON

# ---- the same commands against both stores --------------------------------------
norm() {   # uuids, times, commits and paths out; runs of spaces squeezed: the
           # width of the commit column depends on whether a commit ends in '+'
           # (a tree edited between the SQLite and the PostgreSQL sequence)
    sed -E 's/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/UUID/g;
            s/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z/TIME/g; s/ [0-9a-f]{12}\+? / COMMIT /g; s/  +/ /g;
            s/^database: .* \(schema/database: DB (schema/'
}
st() {   # st CMD...: the exit status of qcts CMD..., output dropped
    r=0
    "$QCTS" "$@" >/dev/null 2>&1 || r=$?
    echo "$r"
}
sequence() {   # sequence STORE OUTFILE
    s=$1
    {
        echo "check $(st check --backend ref --filter 'dequant/int8*' --db "$s")"
        echo "check $(st check --backend ref --filter 'convert/e2m1*' --db "$s")"
        for f in 1 1; do
            echo "bench $(QCTS_SLOW30_FACTOR=$f st bench --backend "plugin:$plugin" --shapes "$tmp/shapes.json" \
                --db "$s" --min-time 0.01 --min-samples 10 --repeat 2 --quick-roofline)"
        done
        echo "tag $(st db tag --db "$s" latest nightly)"
        "$QCTS" db info --db "$s" 2>&1 | norm
        echo "export $(st db export --json --db "$s" --out "$tmp/export.json")"
        echo "export uuids $(grep -c '"uuid"' "$tmp/export.json" || true)"
        # compare's verdict depends on the timings (0, 1 or 3): only that it judged
        c=$(st compare --db "$s" --baseline latest~1)
        case $c in 0 | 1 | 3) echo "compare ran" ;; *) echo "compare failed: $c" ;; esac
        echo "report $(st report --db "$s" --md "$tmp/r.md")"
        grep '^## ' "$tmp/r.md" || true
    } >"$2"
}
sequence "$tmp/file.db" "$tmp/seq.file"
sequence "$url" "$tmp/seq.pg"
same "the same commands on SQLite and PostgreSQL" "$(cat "$tmp/seq.file")" "$(cat "$tmp/seq.pg")"
grep -q '^runs: 4 results: 51 hosts: 1' "$tmp/seq.pg" || fail "store counts: $(cat "$tmp/seq.pg")"

# ---- two hosts pushed, report on the server ---------------------------------------------
cp "$tmp/file.db" "$tmp/other.db"
# new uuids with a fixed prefix: changing only the last digit left a uuid
# unchanged when it already ended in it (1 run in 16: a flake, seen in a fresh root)
sqlite3 "$tmp/other.db" "UPDATE host SET cpu_model = 'Other CPU X9', cores = 96, fingerprint = 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee';
                         UPDATE run SET uuid = 'eeeeeeee-eeee-4eee-beee-' || substr(uuid, 25); UPDATE tag SET name = 'other'" ||
    fail "cannot edit the copy"
run db push --to "$url" --db "$tmp/file.db"
same "push 1 exit" 0 "$rc"
case $out in *"4 runs added, 0 already in the store"*) ;; *) fail "push of this host's file: $out" ;; esac
run db push --to "$url" --db "$tmp/other.db"
same "push 2 exit" 0 "$rc"
case $out in *"4 runs added, 0 already in the store"*) ;; *) fail "push of the other host: $out" ;; esac
run db push --to "$url" --db "$tmp/other.db"
case $out in *"0 runs added, 4 already in the store, 0 rows"*) ;; *) fail "second push added: $out" ;; esac
t0=$(date +%s.%N)
run report --db "$url" --md "$tmp/fleet.md"
t1=$(date +%s.%N)
same "report on the server exit" 0 "$rc"
fleet=$(sed -n '/^## Fleet/,/^## /p' "$tmp/fleet.md")
case $fleet in *"Other CPU X9 (96 cpus)"*"|"*) ;; *) fail "the other host is not in the Fleet section: $fleet" ;; esac
printf '%s\n' "$fleet" | grep -q '^| kernel | #[0-9]* .*<br>.*| #[0-9]* .*<br>' || fail "the two hosts are not side by side: $fleet"
case $fleet in *"AMD"*"Other CPU X9"* | *"Other CPU X9"*"AMD"* | *"#1 "*"#2 "*) checks=$((checks + 1)) ;; *) fail "hosts: $fleet" ;; esac

# ---- writers at once ---------------------------------------------------------------
before=$("$QCTS" db info --db "$url" | sed -n 's/^runs: \([0-9]*\) .*/\1/p')
for i in 1 2 3 4; do
    "$QCTS" check --backend ref --filter 'dequant/int8*' --db "$url" >"$tmp/w$i.out" 2>&1 &
done
wait
after=$("$QCTS" db info --db "$url" | sed -n 's/^runs: \([0-9]*\)  results: [0-9]*  hosts: \([0-9]*\)/\1 \2/p')
same "4 concurrent writers: every run, no new host" "$((before + 4)) 2" "$after"

# ---- kill -9 during a push: all or nothing ---------------------------------------------
cp "$tmp/file.db" "$tmp/many.db"
sqlite3 "$tmp/many.db" "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 60)
    INSERT INTO run (uuid, kind, started_at, ended_at, git_commit, git_dirty, vector_set_sha256, command_line, host_id)
    SELECT printf('00000000-0000-4000-8000-%012d', i), kind, started_at, ended_at, git_commit, git_dirty,
           vector_set_sha256, command_line, host_id FROM k, (SELECT * FROM run WHERE kind = 'check' LIMIT 1);
    INSERT INTO result (run_id, backend, op, suite, case_id, verdict)
    SELECT r.id, x.backend, x.op, x.suite, x.case_id, x.verdict FROM run r, result x
    WHERE r.uuid LIKE '00000000-0000-4000-8000-%' AND x.run_id = (SELECT min(id) FROM run);" || fail "cannot make 60 runs"
before=$("$QCTS" db info --db "$url" | sed -n 's/^runs: \([0-9]*\) .*/\1/p')
"$QCTS" db push --to "$url" --db "$tmp/many.db" >/dev/null 2>&1 &
pid=$!
sleep 0.05
kill -9 $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
mid=$("$QCTS" db info --db "$url" | sed -n 's/^runs: \([0-9]*\) .*/\1/p')
case $mid in "$before" | "$((before + 60))") checks=$((checks + 1)) ;;
    *) fail "after kill -9 during the push the store has $mid runs: neither $before nor $((before + 60))" ;; esac
run db push --to "$url" --db "$tmp/many.db"
same "push after the kill exit" 0 "$rc"
same "every run after the second push" "$((before + 60))" "$("$QCTS" db info --db "$url" | sed -n 's/^runs: \([0-9]*\) .*/\1/p')"

# ---- timings for the record -------------------------------------------------------------
sqlite3 "$tmp/many.db" "DELETE FROM run WHERE id NOT IN (SELECT id FROM run ORDER BY id LIMIT 10)" || fail "trim"
sqlite3 "$tmp/many.db" "UPDATE run SET uuid = 'ffffffff' || substr(uuid, 9)"
run db push --to "$url" --db "$tmp/many.db"
echo "$script: push of 10 runs: $out"
echo "$script: report on the server: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s"
echo "$script: $checks checks passed"
