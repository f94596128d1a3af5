#!/bin/sh
# Runs fuzz targets built by `make fuzz`.
#   sh fuzz/run.sh smoke T...   each target SECONDS_PER_TARGET seconds from
#                               its seeds (new inputs go to a scratch folder),
#                               after replaying fuzz/regress/T/; exits 1 when
#                               any target had a finding
#   sh fuzz/run.sh long T SECS  one long run on build/fuzz/corpus/T (kept
#                               between runs), for the campaigns in README.md
# The targets' own stdout and stderr are closed (-close_fd_mask=3: the
# refusal messages would cost most of the time); sanitizer reports and
# libFuzzer's stack traces still show, FUZZ_CHECK failures as an abort at
# their line.
# FUZZ_BIN_DIR runs binaries copied elsewhere (so a rebuild does not
# replace them under a long run). Findings (crash-*, leak-*, timeout-*,
# oom-*) land in build/fuzz/artifacts/.
set -u
FUZZ_DIR=${FUZZ_DIR:-build/fuzz}
SECONDS_PER_TARGET=${SECONDS_PER_TARGET:-20}
mode=$1
shift

# Largest input per target (db files need more room than the rest).
max_len() { [ "$1" = db_merge ] && echo 262144 || echo 65536; }

run() {   # target seconds corpus-dir extra-dirs...
    t=$1 secs=$2
    shift 2
    mkdir -p "$FUZZ_DIR/artifacts"
    "${FUZZ_BIN_DIR:-$FUZZ_DIR/bin}/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -max_len="$(max_len "$t")" -print_final_stats=1 -close_fd_mask=3 \
        -artifact_prefix="$FUZZ_DIR/artifacts/$t-" "$@"
}

case $mode in
smoke)
    fail=0
    for t in "$@"; do
        work="$FUZZ_DIR/smoke/$t"
        rm -rf "$work" && mkdir -p "$work"
        regress=""
        [ -d "fuzz/regress/$t" ] && regress="fuzz/regress/$t"
        log="$FUZZ_DIR/smoke/$t.log"
        start=$(date +%s)
        if run "$t" "$SECONDS_PER_TARGET" "$work" "$FUZZ_DIR/seeds/$t" $regress > "$log" 2>&1; then
            echo "fuzz $t: ok ($(( $(date +%s) - start )) s, $(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{print $2}') execs)"
        else
            echo "fuzz $t: FINDING (log: $log)" >&2
            grep -A30 'ERROR:\|fuzz invariant\|==ERROR\|runtime error' "$log" | head -60 >&2
            fail=1
        fi
    done
    exit $fail
    ;;
long)
    t=$1 secs=$2
    mkdir -p "$FUZZ_DIR/corpus/$t"
    regress=""
    [ -d "fuzz/regress/$t" ] && regress="fuzz/regress/$t"
    run "$t" "$secs" "$FUZZ_DIR/corpus/$t" "$FUZZ_DIR/seeds/$t" $regress
    ;;
*)
    echo "usage: sh fuzz/run.sh smoke TARGET... | long TARGET SECONDS" >&2
    exit 2
    ;;
esac
