#!/bin/sh
# Flake detector: runs every CUnit test (suite by suite, each test's verdict
# read from the runner's output) and every tests/cli/test-*.sh script N
# times, then lists each test whose verdict was not the same in every run,
# with how often it had each verdict. Not part of `make test` or .ci/run.
#   QCTS=... TEST_RUNNER=... mk/test-repeat.sh N [LABEL]
# ONLY=GLOB keeps the tests whose name ("unit:SUITE/TEST" or
# "cli:tests/cli/test-x.sh") matches (suites are still run whole);
# EXCEPT=GLOB drops those that match (e.g. the slow cross-checks).
# J=LANES (default 2) runs that many runs at once, each lane in its own
# TMPDIR and vector cache (every database, PostgreSQL socket and scratch
# file of a test lives there), so lanes never share a file; the load of
# the other lanes is part of the test (flakes feed on load).
# Exit status: 0 when no verdict changed, 1 otherwise. Stopped early
# (SIGINT/SIGTERM), it reports the runs that finished.
set -u
: "${QCTS:?set QCTS to the qcts binary}" "${TEST_RUNNER:?set TEST_RUNNER}"
export QCTS
n=${1:-20}
label=${2:-native}
only=${ONLY:-*}
except=${EXCEPT:-}
case $n in '' | *[!0-9]* | 0) echo "test-repeat: N must be a positive integer, got '$n'" >&2; exit 2 ;; esac
lanes=${J:-2}
case $lanes in '' | *[!0-9]* | 0) echo "test-repeat: J must be a positive integer, got '$lanes'" >&2; exit 2 ;; esac
[ "$lanes" -le "$n" ] || lanes=$n
work=$(mktemp -d "${TMPDIR:-/tmp}/qcts-repeat.XXXXXX")
# mktemp -d makes the folder 0700. The lanes' TMPDIRs below must be what
# /tmp is (mode 1777, every folder above it traversable): tests that run a
# program as another user (the db-* hostile cases as nobody, initdb as
# postgres) failed in every run of the detector otherwise, looking like flakes.
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
suites=$("$TEST_RUNNER" --list) || { echo "test-repeat: $TEST_RUNNER --list failed" >&2; exit 2; }
start=$(date +%s)

# unit_verdicts SUITE LOG: "unit:SUITE/TEST passed|FAILED" per test; a
# runner that did not reach its summary adds "unit:SUITE/(runner) crashed".
unit_verdicts() {
    awk -v s="$1" '
        function flush() { if (name != "") print "unit:" s "/" name, (bad ? "FAILED" : "passed"); name = "" }
        # CUnit ends a failed test with "FAILED" (after its messages); a
        # test may print lines of its own before "passed".
        /Test: / { flush(); name = $0; sub(/.*Test: /, "", name); sub(/ \.\.\..*/, "", name)
                   bad = ($0 ~ /FAILED[ \t]*$/); next }
        /Run Summary/ { flush(); done = 1 }
        /FAILED[ \t]*$/ { if (name != "") bad = 1 }
        END { flush(); if (!done) print "unit:" s "/(runner)", "crashed" }' "$2"
}

summary() {
    done_runs=$(ls "$work" | grep -c '^run[0-9]*$')
    [ "$done_runs" -gt 0 ] || { echo "test-repeat ($label): no run finished"; exit 2; }
    cat "$work"/run[0-9]* | sort | uniq -c | awk '{ print $2, $3, $1 }' >"$work/counts"
    tests=$(cut -d' ' -f1 "$work/counts" | sort -u | wc -l)
    changed=$(cut -d' ' -f1 "$work/counts" | sort | uniq -d)
    echo
    echo "test-repeat ($label): $done_runs runs (of $n asked) of $tests tests in $(( $(date +%s) - start )) s"
    if [ -z "$changed" ]; then
        echo "test-repeat ($label): no test changed its verdict"
        # a test that failed every time is not a flake, but say so
        awk '$2 != "passed" { print "  always " $2 ": " $1 }' "$work/counts"
        [ -d "$keep" ] && echo "test-repeat ($label): output of each test that did not pass: $keep"
        exit 0
    fi
    [ -d "$keep" ] && echo "test-repeat ($label): output of each test that did not pass: $keep"
    echo "test-repeat ($label): tests whose verdict changed between runs:"
    for t in $changed; do
        printf '  %s:' "$t"
        awk -v t="$t" -v n="$done_runs" '$1 == t { printf " %s %d/%d", $2, $3, n }' "$work/counts"
        echo
    done
    exit 1
}
lane_pids=
stop() {
    trap '' INT TERM
    # the lanes and the test each one is running (their own children end
    # with them or run out); a run that did not finish is not counted
    for p in $lane_pids; do
        kill $(ps -o pid= --ppid "$p" 2>/dev/null) "$p" 2>/dev/null
    done
    wait
    summary
}
trap 'stop' INT TERM

# The output of every test that did not pass is kept (the work folder is
# removed at the end): KEEP=DIR, default build/test-repeat-logs/LABEL.
keep=${KEEP:-build/test-repeat-logs/$label}
[ -n "${KEEP:-}" ] || rm -rf "$keep"   # the default folder holds this run's logs only
keep_log() {   # keep_log RUN NAME: $ld/log becomes $keep/runRUN-NAME.log
    mkdir -p "$keep" && cp "$ld/log" "$keep/run$1-$2.log"
}

# one_run I LANE: run I in LANE's folder; its verdicts become $work/runI.
one_run() {
    i=$1 ld=$2
    out="$ld/part$i"
    : >"$out"
    for s in $suites; do
        case $only in cli:*) continue ;; unit:*/*) case "unit:$s" in ${only%%/*}) ;; *) continue ;; esac ;; esac
        "$TEST_RUNNER" "$s" >"$ld/log" 2>&1
        unit_verdicts "$s" "$ld/log" >"$ld/v"
        cat "$ld/v" >>"$out"
        grep -q -v ' passed$' "$ld/v" && keep_log "$i" "unit-$s"
    done
    for t in tests/cli/test-*.sh; do
        [ -e "$t" ] || continue
        case "cli:$t" in $only) ;; *) continue ;; esac
        [ -n "$except" ] && case "cli:$t" in $except) continue ;; esac
        sh "$t" >"$ld/log" 2>&1
        case $? in 0) v=passed ;; 77) v=SKIPPED ;; *) v=FAILED; keep_log "$i" "cli-${t##*/}" ;; esac
        echo "cli:$t $v" >>"$out"
    done
    # keep only the tests ONLY names (suites run whole)
    while read -r name v; do
        [ -n "$except" ] && case $name in $except) continue ;; esac
        case $name in $only) echo "$name $v" ;; esac
    done <"$out" >"$out.f"
    mv "$out.f" "$work/run$i"
    rm -f "$out"
    echo "test-repeat ($label): run $i of $n: $(grep -c ' passed$' "$work/run$i") passed, $(grep -c -v ' passed$' "$work/run$i") not passed ($(( $(date +%s) - start )) s so far)"
}

[ "$lanes" -gt 1 ] && echo "test-repeat ($label): $n runs in $lanes lanes at once, each with its own TMPDIR"
k=1
while [ "$k" -le "$lanes" ]; do
    ld="$work/lane$k"
    mkdir -p "$ld/tmp" "$ld/cache"
    chmod 755 "$ld"
    chmod 1777 "$ld/tmp"
    # lane k does runs k, k + J, k + 2J, ...
    (
        trap - INT TERM
        TMPDIR="$ld/tmp" QCTS_VEC_CACHE="$ld/cache"
        export TMPDIR QCTS_VEC_CACHE
        i=$k
        while [ "$i" -le "$n" ]; do
            one_run "$i" "$ld"
            i=$((i + lanes))
        done
    ) &
    lane_pids="$lane_pids $!"
    k=$((k + 1))
done
wait
summary
