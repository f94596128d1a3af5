#!/bin/sh
# qcts check / qcts db / qcts case extract, end to end:
#   - the ref backend passes the whole golden set (vectors/golden, or a set
#     generated into a temporary folder when it is not there yet); its time
#     is printed;
#   - every deliberately broken plugin (conformance/tests/plugins) gets the
#     right verdict and message, and the exec timeout gives ERROR;
#   - --identify names torch for the torch-convention plugin;
#   - JUnit XML is well-formed (python3 xml.dom.minidom), JSON parses, TAP
#     and results do not depend on -j;
#   - a check killed with SIGKILL leaves no run in the database and the
#     database passes PRAGMA integrity_check.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

build=$(dirname "$QCTS")
plugins=$build/plugins
for p in broken_skip_last broken_overrun broken_ulp broken_modify_input broken_nondeterministic tiny_gemm_ok broken_gemm_threads broken_gemm_lda torch_convention; do
    if [ ! -f "$plugins/$p.so" ]; then
        echo "SKIP: $plugins/$p.so is not built (make builds it)"
        exit 77
    fi
done
have_python=0
command -v python3 >/dev/null 2>&1 && have_python=1

# ok WHAT COND-STATUS: counts one check; fails with WHAT unless status 0.
ok() {
    checks=$((checks + 1))
    [ "$2" -eq 0 ] || fail "$1"
}

# has WHAT NEEDLE: stdout of the last run contains NEEDLE (fixed string).
has() {
    checks=$((checks + 1))
    printf '%s\n' "$out" | grep -F -q -- "$2" || fail "$1: '$2' not in the output:
$out
--- stderr:
$err"
}

# last_line: the summary line must be the last line of stdout.
summary() {
    printf '%s\n' "$out" | tail -n 1
}

now() {
    python3 -c 'import time; print("%.3f" % time.time())' 2>/dev/null || date +%s
}

# ---- the golden set -----------------------------------------------------------------
gold=vectors/golden
if [ ! -f "$gold/MANIFEST.json" ]; then
    gold=$tmp/golden
    run vectors gen --out "$gold"
    same "vectors gen (exit status; stderr: $err)" 0 "$rc"
fi
db=$tmp/q.db

# ---- ref passes everything -----------------------------------------------------------
t0=$(now)
run check --backend ref --vectors "$gold" --db "$db" --json "$tmp/ref.json" --junit "$tmp/ref.xml"
t1=$(now)
same "check --backend ref (exit status; stderr: $err)" 0 "$rc"
line=$(summary)
printf '%s\n' "$line" | grep -E -q '^passed: [1-9][0-9]* failed: 0 skipped: 0 mistrusted: [0-9]+ unavailable: 0 errors: 0$' \
    || fail "ref summary: $line"
checks=$((checks + 1))
has "matrix header" "backend  op/scheme"
printf '%s\n' "$err" | grep -q '^qcts check: recorded as run [0-9a-f-]\{36\} in ' || fail "no 'recorded' note: $err"
echo "ref on the golden set ($gold): $line, $(python3 -c "print('%.2f' % ($t1 - $t0))" 2>/dev/null || echo '?') s"
ref_summary=$line

if [ "$have_python" -eq 1 ]; then
    python3 -c 'import sys, xml.dom.minidom
d = xml.dom.minidom.parse(sys.argv[1])
cases = d.getElementsByTagName("testcase")
suites = d.getElementsByTagName("testsuite")
root = d.documentElement
assert root.tagName == "testsuites", root.tagName
assert int(root.getAttribute("tests")) == len(cases) > 0, (root.getAttribute("tests"), len(cases))
assert int(root.getAttribute("failures")) == 0 and int(root.getAttribute("errors")) == 0
assert sum(int(s.getAttribute("tests")) for s in suites) == len(cases)
assert len(d.getElementsByTagName("skipped")) == int(root.getAttribute("skipped"))' "$tmp/ref.xml"
    ok "JUnit XML of the ref run is well-formed with consistent counts" $?
    python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
s = j["summary"]
assert s["total"] == len(j["results"]) == s["passed"] + s["mistrusted"], s
assert j["run"]["uuid"] and j["run"]["host"]["cores"] >= 1
r = [x for x in j["results"] if x["verdict"] == "PASS"][0]
assert r["metrics"]["violations"] == 0 and r["seed"].startswith("0x"), r
m = [x for x in j["results"] if x["verdict"] == "MISTRUSTED"]
assert all(x["reason"] for x in m)' "$tmp/ref.json"
    ok "JSON of the ref run" $?
fi

# ---- -j does not change results or their order ---------------------------------------------
run check --backend ref --vectors "$gold" --no-db --tap -j 1 --filter 'convert/e[45]m*'
same "tap -j 1 (exit status)" 0 "$rc"
tap1=$out
run check --backend ref --vectors "$gold" --no-db --tap -j 3 --filter 'convert/e[45]m*'
same "TAP with -j 3 equals -j 1" "$tap1" "$out"
printf '%s\n' "$out" | head -n 1 | grep -q '^TAP version 13$' || fail "TAP header"
checks=$((checks + 1))
printf '%s\n' "$out" | sed -n 2p | grep -q '^1\.\.[1-9][0-9]*$' || fail "TAP plan"

# ---- broken plugins --------------------------------------------------------------------------
dq='dequant/int8_per_channel/*'
run check --backend "plugin:$plugins/broken_skip_last.so" --vectors "$gold" --db "$db" --filter "$dq"
same "skip-last (exit status)" 1 "$rc"
has "skip-last verdict" "FAIL plugin:$plugins/broken_skip_last.so dequant/int8_per_channel/c0"
has "skip-last message" "of output y not written (it kept the poison of two calls with different poisons)"
has "skip-last seed" "(seed 0x"
has "skip-last rerun" "  rerun:      qcts check --backend plugin:$plugins/broken_skip_last.so "
has "skip-last standalone" "  standalone: qcts case extract "
printf '%s\n' "$(summary)" | grep -E -q '^passed: 0 failed: [1-9][0-9]* ' || fail "skip-last summary: $(summary)"

run check --backend "plugin:$plugins/broken_overrun.so" --vectors "$gold" --no-db --filter "$dq"
same "overrun (exit status)" 1 "$rc"
has "overrun message" "wrote past the end of output y at byte"

run check --backend "plugin:$plugins/broken_ulp.so" --vectors "$gold" --no-db --filter "$dq"
same "one-ulp (exit status)" 1 "$rc"
has "one-ulp message" "output y (exact): 1 of "
has "one-ulp distance" ", 1 ulp"

# Right values, but it writes into its input: FAIL naming the buffer.
run check --backend "plugin:$plugins/broken_modify_input.so" --vectors "$gold" --no-db --filter "$dq"
same "modify-input (exit status)" 1 "$rc"
has "modify-input message" "modified its input q at byte"
printf '%s\n' "$(summary)" | grep -E -q '^passed: 0 failed: [1-9][0-9]* ' || fail "modify-input summary: $(summary)"

# Right on its first call, different on the second: FAIL (one thread, so the
# first call of each case is the right one and the message is fixed).
run check --backend "plugin:$plugins/broken_nondeterministic.so" --vectors "$gold" --no-db --filter "$dq" -j 1
same "nondeterministic (exit status)" 1 "$rc"
has "nondeterministic message" "not deterministic (a second identical call): two calls gave different outputs: element 0 of output y"
printf '%s\n' "$(summary)" | grep -E -q '^passed: 0 failed: [1-9][0-9]* ' || fail "nondeterministic summary: $(summary)"

# GEMM strict calls: a correct small GEMM passes them; one whose bits depend
# on the thread count, and one that ignores lda, FAIL saying so.
gi='*/int8_per_channel/*'
run check --backend "plugin:$plugins/tiny_gemm_ok.so" --vectors "$gold" --no-db --filter "$gi"
same "tiny gemm (exit status; $(summary))" 0 "$rc"
printf '%s\n' "$(summary)" | grep -E -q '^passed: [1-9][0-9]* failed: 0 ' || fail "tiny gemm summary: $(summary)"
run check --backend "plugin:$plugins/broken_gemm_threads.so" --vectors "$gold" --no-db --filter "$gi"
same "gemm threads (exit status)" 1 "$rc"
has "gemm threads message" "the result depends on the thread count (threads 2 instead of 1): two calls gave different outputs"
run check --backend "plugin:$plugins/broken_gemm_lda.so" --vectors "$gold" --no-db --filter "$gi"
same "gemm lda (exit status)" 1 "$rc"
has "gemm lda message" "the result depends on the row strides (padded strides (lda = K + 5, ldy = N + 3, NaN in A's padding))"

# The same plugins lack the other ops: SKIP with their reason, never FAIL.
run check --backend "plugin:$plugins/broken_ulp.so" --vectors "$gold" --no-db --filter 'gemv/*'
same "no gemm: skipped (exit status)" 0 "$rc"
has "no gemm" "backend broken_ulp has no gemm"

# The exec timeout: ERROR, quickly, with the reason. The command sleeps
# 300 s: ending well before that shows the timeout acted (a bound of 10 s
# against a sleep of 30 s depended on the load of the host).
BROKEN_SLOW_SECONDS=300
export BROKEN_SLOW_SECONDS
t0=$(now)
run check --backend 'exec:sh conformance/tests/plugins/slow_exec.sh' --timeout 1 --vectors "$gold" --no-db \
    --filter 'dequant/int8_per_channel/c000'
t1=$(now)
unset BROKEN_SLOW_SECONDS
same "slow exec (exit status)" 1 "$rc"
has "slow exec ERROR" "ERROR exec:sh conformance/tests/plugins/slow_exec.sh dequant/int8_per_channel/c000"
has "slow exec reason" "timed out"
same "slow exec summary" "passed: 0 failed: 0 skipped: 0 mistrusted: 0 unavailable: 0 errors: 1" "$(summary)"
if [ "$have_python" -eq 1 ]; then
    python3 -c "import sys; sys.exit(0 if $t1 - $t0 < 200 else 1)"
    ok "the timeout took $t0 .. $t1" $?
fi

# An exec backend that works: qcts itself through the exec protocol.
run check --backend "exec:$QCTS case run --backend ref" --vectors "$gold" --no-db --filter 'convert/e4m3_ocp/c00[0-3]'
same "exec ref (exit status; $out)" 0 "$rc"
same "exec ref summary" "passed: 4 failed: 0 skipped: 0 mistrusted: 0 unavailable: 0 errors: 0" "$(summary)"

# ---- --identify ------------------------------------------------------------------------------
run check --backend "plugin:$plugins/torch_convention.so" --vectors "$gold" --no-db --identify \
    --filter 'convert/e4m3_torch/*' --json "$tmp/id.json"
same "identify on the torch suite (exit status; $out)" 0 "$rc"
has "identify section" "conventions identified"
printf '%s\n' "$out" | grep -E -q "^plugin:.*torch_convention\.so convert/e4m3_torch: (.* )?torch( .*)? \([1-9][0-9]* cases\)$" \
    || fail "torch not identified:
$out"
checks=$((checks + 1))
if [ "$have_python" -eq 1 ]; then
    python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
tried = [r for r in j["results"] if "identified" in r]
assert tried and all("torch" in r["identified"] for r in tried), tried[:1]' "$tmp/id.json"
    ok "identified lists torch in JSON" $?
fi
# On an ocp suite the plugin fails where torch and ocp differ, but is still identified as torch.
run check --backend "plugin:$plugins/torch_convention.so" --vectors "$gold" --no-db --identify --filter 'convert/e5m2_ocp/*'
printf '%s\n' "$out" | grep -E -q "convert/e5m2_ocp: (.* )?torch( .*)? \(" || fail "torch not identified on e5m2_ocp:
$out"
checks=$((checks + 1))

# ---- an in-tree backend that cannot run here (metal off macOS): UNAVAILABLE -------------------
run check --backend ref,metal --vectors "$gold" --no-db --filter 'dequant/int8_per_channel/c000'
same "metal unavailable (exit status)" 0 "$rc"
has "metal unavailable" "metal: 1 case UNAVAILABLE: "
same "metal summary" "passed: 1 failed: 0 skipped: 0 mistrusted: 0 unavailable: 1 errors: 0" "$(summary)"

# ---- case extract reproduces a failure on its own --------------------------------------------------
f=$(find "$gold" -path '*/dequant/int8_per_channel.safetensors' | head -n 1)
run case extract "$f" c002 "$tmp/c002.safetensors"
same "case extract (exit status; $err)" 0 "$rc"
run check --backend "plugin:$plugins/broken_ulp.so" --vectors "$tmp/c002.safetensors" --no-db
same "check of the extracted case (exit status)" 1 "$rc"
has "extracted case fails the same way" "dequant/int8_per_channel/c002"
run check --backend ref --vectors "$tmp/c002.safetensors" --no-db
same "ref passes the extracted case" "passed: 1 failed: 0 skipped: 0 mistrusted: 0 unavailable: 0 errors: 0" "$(summary)"
run case run --backend ref "$tmp/c002.safetensors" "$tmp/c002.out.safetensors"
same "case run of the extracted case (exit status; $err)" 0 "$rc"
expect_fail 1 "qcts case: $f: no case 'c999' (the file has 6: c000 .. c005)" case extract "$f" c999 "$tmp/x.safetensors"
absent "$tmp/x.safetensors"

# ---- usage errors ------------------------------------------------------------------------------
run check --backend nosuch --no-db
same "unknown backend (exit status)" 2 "$rc"
printf '%s\n' "$err" | grep -q "unknown backend 'nosuch'" || fail "unknown backend message: $err"
checks=$((checks + 1))
run check --db "$tmp/x.db" --no-db
same "--db with --no-db (exit status)" 2 "$rc"
run check --vectors "$tmp/nothing-here" --no-db
same "missing vectors (exit status)" 1 "$rc"
run check --no-db --vectors "$gold" --filter 'no/such/case'
same "a filter that selects nothing (exit status)" 1 "$rc"
printf '%s\n' "$err" | grep -q "no case matches --filter 'no/such/case'" || fail "empty filter message: $err"
checks=$((checks + 1))
run check -j 0 --no-db
same "-j 0 (exit status)" 2 "$rc"

# ---- the database ------------------------------------------------------------------------------
run db info --db "$db"
same "db info (exit status; $err)" 0 "$rc"
has "db info counts" "runs: 2  results: "
has "db info header" "uuid"
same "db info rows" 2 "$(printf '%s\n' "$out" | grep -c -E '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}  check  ')"
expect_ok "ok" db check --db "$db"
run db info --db "$tmp/none.db"
same "db info of a missing file (exit status)" 1 "$rc"
absent "$tmp/none.db"

# ---- a killed check leaves no run --------------------------------------------------------------
# The exec backend makes each case take a process start, so this check runs
# for several seconds; it is killed after about one.
"$QCTS" check --backend "exec:$QCTS case run --backend ref" -j 1 --vectors "$gold" --db "$db" \
    --filter 'convert/*' >"$tmp/killed.out" 2>&1 &
pid=$!
sleep 1
alive=0
kill -0 "$pid" 2>/dev/null && alive=1
kill -9 "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
same "the check was still running when killed (increase its work)" 1 "$alive"
run db info --db "$db"
has "killed run left no run" "runs: 2  results: "
expect_ok "ok" db check --db "$db"
if [ "$have_python" -eq 1 ]; then
    python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
assert c.execute("SELECT count(*) FROM run").fetchone()[0] == 2
orphans = c.execute("SELECT count(*) FROM result WHERE run_id NOT IN (SELECT id FROM run)").fetchone()[0]
assert orphans == 0, orphans' "$db"
    ok "python sqlite3: integrity, 2 runs, no orphan results" $?
fi

echo "ref: $ref_summary"
done_checks
