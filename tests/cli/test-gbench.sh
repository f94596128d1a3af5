#!/bin/sh
# qcts bench --gbench FILE against the real Google Benchmark compare.py
# (tests/python/gbench, v1.9.5; scipy pinned in the venv): it reads every
# timed kernel of the file, finds no change between a run and itself, finds
# +25% where every time is scaled by 1.25 (and p < 0.05 in its U test over
# the repetitions), and a writer bug (no time_unit) makes the check fail:
# the check can fail.
. tests/cli/lib.sh
py=${QCTS_PYTHON:-}
[ -n "$py" ] && [ -x "$py" ] || { echo "SKIP: QCTS_PYTHON (the venv: make venv) is not set"; exit 77; }
scipy=$(ls -d "${py%/bin/python}"/oracle/scipy-* 2>/dev/null | tail -n 1)
[ -d "$scipy" ] || fail "scipy is not installed in the venv (tests/python/oracle-scipy-*.txt; make venv)"
compare=tests/python/gbench/compare.py

# 4 kernels x 5 repetitions: enough for the exact U test (p = 2/252 for
# two disjoint samples of 5), short under qemu.
run bench --backend ref,simd --shapes smoke --filter 'dequant/*' --repeat 5 --min-time 0.002 --warmup 0.001 \
    --quick-roofline --no-db --gbench "$tmp/a.json"
same "qcts bench --gbench (exit status; stderr: $err)" "0" "$rc"
PYTHONPATH=$scipy "$py" - "$tmp" "$compare" <<'PY' || fail "compare.py check failed (above)"
import json, math, os, subprocess, sys
tmp, compare = sys.argv[1], sys.argv[2]
a = json.load(open(os.path.join(tmp, "a.json")))
ok = True
def bad(msg):
    global ok
    print("test-gbench:", msg, file=sys.stderr)
    ok = False
assert a["context"]["json_schema_version"] == 1
names = sorted({b["run_name"] for b in a["benchmarks"]})
if len(names) < 4:
    bad(f"only {len(names)} kernels in the file")
for n in names:
    reps = [b for b in a["benchmarks"] if b["name"] == n and b["run_type"] == "iteration"]
    aggs = {b["aggregate_name"] for b in a["benchmarks"] if b["run_name"] == n and b["run_type"] == "aggregate"}
    if len(reps) != 5 or sorted(b["repetition_index"] for b in reps) != list(range(5)):
        bad(f"{n}: {len(reps)} repetitions, want 5 (indexes 0-4)")
    if aggs != {"mean", "median", "stddev"}:
        bad(f"{n}: aggregates {sorted(aggs)}")
    if not all(b["real_time"] > 0 and b["time_unit"] == "ns" and b["iterations"] > 0 for b in reps):
        bad(f"{n}: a repetition without a positive time")

def diff(base, cand, tag):
    out = os.path.join(tmp, f"diff-{tag}.json")
    p = subprocess.run([sys.executable, compare, "--no-color", "-a", "--dump_to_json", out, "benchmarks", base, cand],
                       capture_output=True, text=True)
    if p.returncode != 0:
        if tag != "broken":   # the broken file may also crash compare.py
            bad(f"compare.py {tag}: exit {p.returncode}: {p.stderr[-2000:]}")
        return {}
    return {d["name"]: d for d in json.load(open(out))}

def check(rep, want_change, want_significant):
    """Every kernel is in compare.py's report with the change wanted."""
    good = True
    for n in names:
        d = rep.get(n)
        if d is None:
            good = False
            continue
        ch = [m["time"] for m in d["measurements"]]
        if len(ch) != 5 or any(not math.isclose(c, want_change, abs_tol=1e-9) for c in ch):
            good = False
        u = d.get("utest") or {}
        if want_significant and not (u.get("time_pvalue", 1) < 0.05 and u.get("nr_of_repetitions") == 5):
            good = False
    return good and "OVERALL_GEOMEAN" in rep

def write(doc, name):
    path = os.path.join(tmp, name)
    json.dump(doc, open(path, "w"))
    return path

base = os.path.join(tmp, "a.json")
if not check(diff(base, base, "same"), 0.0, False):
    bad("compare.py of a run with itself: not every kernel with change 0")
def scaled(doc, f):
    out = json.loads(json.dumps(doc))
    for b in out["benchmarks"]:
        for k in ("real_time", "cpu_time"):
            b[k] *= f
    return out
if not check(diff(base, write(scaled(a, 1.25), "slow.json"), "slow"), 0.25, False):
    bad("compare.py with every time x1.25: not every kernel at +25%")
# The U test on repetitions: measured times may overlap by chance, so the
# repetitions get fixed times here (100..104 ns against 1.25 times that):
# disjoint, p = 2/252 whatever the machine did.
fixed = json.loads(json.dumps(a))
for b in fixed["benchmarks"]:
    if b["run_type"] == "iteration":
        b["real_time"] = b["cpu_time"] = 100.0 + b["repetition_index"]
if not check(diff(write(fixed, "fixed.json"), write(scaled(fixed, 1.25), "fixed-slow.json"), "utest"), 0.25, True):
    bad("compare.py U test: not every kernel at +25% with p < 0.05 over 5 repetitions")
broken = json.loads(json.dumps(a))
for b in broken["benchmarks"]:
    b.pop("time_unit")
if check(diff(base, write(broken, "broken.json"), "broken"), 0.0, False):
    bad("a file without time_unit passed the check (the check cannot fail)")
sys.exit(0 if ok else 1)
PY
checks=$((checks + 1))
done_checks
