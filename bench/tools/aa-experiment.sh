#!/bin/sh
# aa-experiment.sh — does `qcts compare` flag what it should, and only that,
# on this machine as it is? (issue 11: A/A and slowed-plugin figures)
#
#   bench/tools/aa-experiment.sh [ROUNDS] [OUTDIR]     (make first)
#
# Backends: the slowed_example plugin (bench/tools/slowed_example.c:
# plugin_example's int8_per_channel dequant, every call made
# QCTS_SLOWED_PCT percent slower by a busy-wait calibrated on that call's own
# time) and simd (never slowed: extra A/A pairs in every comparison), on
# the two dequant shapes of bench/shapes/aa-experiment.json.
#   0. qcts bench --calibrate-noise 5 (slowdown 0): the host's noise floor;
#   1. ROUNDS + 1 runs A (0%), ROUNDS runs B10 (+10%) and ROUNDS runs B3
#      (+3%), interleaved A B10 B3 A B10 B3 ... A so drift hits all alike;
#   2. compare A_i vs A_i+1 (A/A), A_i vs B10_i, A_i vs B3_i under four
#      rules: repetition medians with threshold 5% and the stored noise
#      floors, medians with the 5% threshold alone (--no-floor),
#      repetition minimums with threshold 5% and their floors (the default)
#      (--statistic min), and minimums with 2% alone.
# Shapes in the caches on purpose: a DRAM-bound kernel on a machine shared
# with other memory-heavy jobs moves by tens of percent between runs (its
# noise floor says so), so no 10% change can be told apart there.
# A comparison "flags the plugin" when a slowed_example line is a
# REGRESSION; any simd REGRESSION, and any REGRESSION in an A/A pair, is a
# false alarm. Every run records the machine's load (run_env); the summary
# gives its range. Writes OUTDIR/summary.txt (printed too), OUTDIR/compares.csv
# and the database OUTDIR/aa.db. Environment: QCTS (build/native/qcts),
# REPEAT (15), MIN_TIME (0.04 s per repetition), NICE (10).
set -eu
ROUNDS=${1:-20}
OUT=${2:-build/aa-experiment}
QCTS=${QCTS:-build/native/qcts}
REPEAT=${REPEAT:-15}
MIN_TIME=${MIN_TIME:-0.04}
NICE=${NICE:-10}
PLUGIN=${PLUGIN:-build/native/bench-plugins/slowed_example.so}
[ -x "$QCTS" ] && [ -f "$PLUGIN" ] || { echo "aa-experiment: build first (make): $QCTS, $PLUGIN" >&2; exit 2; }
mkdir -p "$OUT"
# private copies: a rebuild during the experiment must not change it
cp "$QCTS" "$OUT/qcts"; cp "$PLUGIN" "$OUT/slowed_example.so"
QCTS=$OUT/qcts PLUGIN=$OUT/slowed_example.so
DB=$OUT/aa.db
rm -f "$DB" "$DB-wal" "$DB-shm"
t0=$(date +%s)

bench() {   # bench PCT [extra args]: one recorded run; prints its uuid
    pct=$1; shift
    QCTS_SLOWED_PCT=$pct nice -n "$NICE" "$QCTS" bench --backend "plugin:$PLUGIN,simd" --shapes aa-experiment \
        --repeat "$REPEAT" --min-time "$MIN_TIME" --quick-roofline --db "$DB" "$@" >"$OUT/last.out" 2>"$OUT/last.err" || {
        cat "$OUT/last.out" "$OUT/last.err" >&2; echo "aa-experiment: bench failed" >&2; exit 1; }
    sed -n 's/^qcts bench: recorded as run \([0-9a-f-]*\) in .*/\1/p' "$OUT/last.err" | tail -1
}

echo "aa-experiment: calibrating the noise floor (5 runs)"
bench 0 --calibrate-noise 5 >/dev/null
sed -n '/^noise floor/,$p' "$OUT/last.out"
A= B10= B3=
i=0
while [ "$i" -le "$ROUNDS" ]; do
    A="$A $(bench 0)"
    if [ "$i" -lt "$ROUNDS" ]; then
        B10="$B10 $(bench 10)"
        B3="$B3 $(bench 3)"
    fi
    i=$((i + 1))
    echo "aa-experiment: round $i of $((ROUNDS + 1)) done ($(($(date +%s) - t0)) s)"
done

nth() { echo "$1" | tr ' ' '\n' | sed '/^$/d' | sed -n "${2}p"; }
echo "kind,threshold,pair,exit,plugin_flagged,false_alarms" >"$OUT/compares.csv"
RULES="median/5%/floor median/5%/no-floor min/5%/floor min/2%/no-floor"
for rule in $RULES; do
    stat=${rule%%/*}; thr=${rule#*/}; thr=${thr%/*}
    nf=; case $rule in */no-floor) nf=--no-floor ;; esac
    i=1
    while [ "$i" -le "$ROUNDS" ]; do
        a=$(nth "$A" "$i"); a2=$(nth "$A" $((i + 1))); b10=$(nth "$B10" "$i"); b3=$(nth "$B3" "$i")
        for kind in aa s10 s3; do
            case $kind in aa) c=$a2 ;; s10) c=$b10 ;; s3) c=$b3 ;; esac
            rc=0
            "$QCTS" compare --db "$DB" --baseline "$a" --candidate "$c" --threshold "$thr" --statistic "$stat" $nf \
                >"$OUT/cmp.out" 2>&1 || rc=$?
            pf=$(grep -c '^slowed_examp.*REGRESSION' "$OUT/cmp.out" || true)
            if [ "$kind" = aa ]; then fa=$(grep -c 'REGRESSION$' "$OUT/cmp.out" || true)
            else fa=$(grep -c '^simd .*REGRESSION$' "$OUT/cmp.out" || true); fi
            echo "$kind,$rule,$i,$rc,$pf,$fa" >>"$OUT/compares.csv"
        done
        i=$((i + 1))
    done
done

{
    echo "aa-experiment: $ROUNDS comparisons per kind, --repeat $REPEAT --min-time $MIN_TIME, nice $NICE, $(($(date +%s) - t0)) s in all"
    echo "host: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) CPUs"
    sqlite3 "$DB" "SELECT printf('machine during the %d runs: load average %.2f to %.2f (median-ish %.2f), other processes %.0f%% to %.0f%% of the CPUs, steal up to %.1f%%, busy in %d runs', count(*), min(load1_start), max(load1_start), avg(load1_start), 100*min(other_cpu_share), 100*max(other_cpu_share), 100*max(steal_fraction), sum(busy)) FROM run_env"
    echo "noise floors stored (largest |ratio - 1| over the 10 calibration A/A pairs):"
    sqlite3 "$DB" "SELECT printf('  %-22s %-10s %-7s %6.2f%%', substr(backend, 1 + length(rtrim(backend, replace(backend, '/', '')))), shape, statistic, 100*floor) FROM noise_floor ORDER BY backend, shape, statistic"
    for rule in $RULES; do
        awk -F, -v thr="$rule" '$2 == thr {
                n[$1]++; if ($5 > 0) flag[$1]++; fa[$1] += $6; if ($6 > 0) fac[$1]++; if ($4 == 3) cj[$1]++ }
            END {
                printf "rule %s (statistic/threshold/floor)%s:\n", thr, thr == "min/5%/floor" ? ", the default" : ""
                printf "  A/A:        %d of %d comparisons flagged (any kernel); cannot judge %d\n", fac["aa"], n["aa"], cj["aa"]
                printf "  plugin +10%%: flagged in %d of %d; false alarms on the unchanged simd kernels: %d\n", flag["s10"], n["s10"], fa["s10"]
                printf "  plugin +3%%:  flagged in %d of %d (detection rate %.0f%%); false alarms on simd: %d\n", flag["s3"], n["s3"], 100 * flag["s3"] / n["s3"], fa["s3"]
            }' "$OUT/compares.csv"
    done
} | tee "$OUT/summary.txt"
