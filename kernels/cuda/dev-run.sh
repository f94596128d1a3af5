#!/bin/bash
# One device call (the `run` tool), from a folder packed by dev-pack.sh:
# check the golden set on the GPU, time the GEMV/GEMM shapes against the
# copy-bandwidth and cuBLAS ceilings, and profile one W4 GEMV with Nsight
# Compute when ncu is there. Everything goes under $OUT (at most 8 files
# come back): run.log, cuda.db (default kernels), cuda-v*.db (others),
# cuda-tc.db (the tensor-core int8 GEMM, QCTS_CUDA_GEMM=tc), ncu.txt. STEPS picks steps (default: all), e.g. STEPS="check bench".
#   cd .dev-cuda && bash kernels/cuda/dev-run.sh
set -u
OUT=${OUT:-/tmp/qcts-dev-out}
mkdir -p "$OUT"
export LD_LIBRARY_PATH=$PWD/pre/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
# The pack has no vectors/: check needs the suite definitions (the generated
# K=4096 twins are built from them) from the tree the pack travels in. The
# first GPU run (2026-12-08) failed every check without this.
if [ -z "${QCTS_SUITES_DIR:-}" ] && [ -d ../vectors/suites ]; then
    QCTS_SUITES_DIR=$(cd ../vectors/suites && pwd)
    export QCTS_SUITES_DIR
fi
STEPS=${STEPS:-check qact tc sweep bench ncu checkv2 benchv2 gemm}   # run in this order
GEMV_VERSIONS=${GEMV_VERSIONS:-2 3}
BUDGET=${BUDGET:-570}   # seconds: later steps are skipped past it
log=$OUT/run.log
t0=$(date +%s)
say() { echo "== $(date -u +%T) $*" | tee -a "$log"; }
has() {
    case " $STEPS " in *" $1 "*) ;; *) return 1 ;; esac
    if [ $(( $(date +%s) - t0 )) -gt "$((BUDGET - ${2:-60}))" ]; then say "skip $1: out of time"; return 1; fi
}
cap() {   # cap SECONDS: SECONDS, or what is left of the budget if less (at least 1)
    local r=$((BUDGET - ($(date +%s) - t0)))
    [ "$r" -lt "$1" ] && { [ "$r" -gt 1 ] && echo "$r" || echo 1; } || echo "$1"
}
say "start: $(nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,clocks.mem,temperature.gpu,power.draw --format=csv,noheader 2>&1)"
if has check; then
    say "make test-cuda (default kernels)"
    timeout "$(cap 240)" make --no-print-directory test-cuda QCTS_PREBUILT=pre VECTORS=../vectors/golden CUDA_DB="$OUT/cuda.db" >>"$log" 2>&1
    say "test-cuda exit $?"
fi
if has qact 30; then   # the activation-quantized GEMM and QUANTIZE alone (also in check's totals)
    for f in 'qact/*' 'quantize/*'; do
        say "check $f"
        timeout "$(cap 60)" pre/qcts check --backend cuda --vectors ../vectors/golden --filter "$f" --no-db -j "$(nproc)" 2>&1 |
            grep -E '^(FAIL|ERROR|passed:)' | tail -n 12 >>"$log"
        say "check $f exit ${PIPESTATUS[0]}"
    done
fi
if has tc 100; then   # the tensor-core product of int8-token GEMMs (opt-in): the qact suites, then M = 256
    say "QCTS_CUDA_GEMM=tc check of qact/int8_token__int*"
    QCTS_CUDA_GEMM=tc timeout "$(cap 60)" pre/qcts check --backend cuda --vectors ../vectors/golden \
        --filter 'qact/int8_token__int*' --db "$OUT/cuda-tc.db" -j "$(nproc)" 2>&1 |
        grep -E '^(FAIL|ERROR|passed:)' | tail -n 12 >>"$log"
    say "check tc exit ${PIPESTATUS[0]}"
    say "bench int8-token GEMM M=256, QCTS_CUDA_GEMM=tc (cuBLAS bf16 in the same run)"
    QCTS_CUDA_GEMM=tc timeout "$(cap 150)" pre/qcts bench --backend cuda --shapes bench/shapes/cuda-gemm-a8.json \
        --scheme int4_sym_g128 --cold --repeat 3 --quick-roofline --db "$OUT/cuda-tc.db" >>"$log" 2>&1
    say "bench tc exit $?"
fi
if has sweep 40 && [ -x pre/qcu-gemv-sweep ]; then
    say "qcu-gemv-sweep"
    timeout "$(cap 120)" pre/qcu-gemv-sweep 20 >"$OUT/sweep.txt" 2>&1
    say "sweep exit $?"
fi
bench() {   # bench DB SHAPES REPEAT [env...]
    local db=$1 shapes=$2 rep=$3
    shift 3
    env "$@" timeout "$(cap 280)" pre/qcts bench --backend cuda --shapes "$shapes" --cold --repeat "$rep" --quick-roofline \
        --db "$db" >>"$log" 2>&1
    say "bench $shapes $* exit $?"
}
if has bench 150; then
    say "bench GEMV, default kernels"
    bench "$OUT/cuda.db" bench/shapes/cuda-gemv.json 5
fi
if has ncu 60 && command -v ncu >/dev/null; then
    for v in ${NCU_VERSIONS:-1 3}; do
        say "ncu, int4_sym_g128 1x14336x4096, QCTS_CUDA_GEMV=$v"
        QCTS_CUDA_GEMV=$v timeout "$(cap 150)" ncu --clock-control none -k regex:qcu_gemv --launch-skip 3 --launch-count 1 \
            --section SpeedOfLight --section MemoryWorkloadAnalysis --section Occupancy \
            --section LaunchStats --section WarpStateStats --section SchedulerStats \
            pre/qcts bench --backend cuda --shapes bench/shapes/cuda-gemv.json --scheme int4_sym_g128 \
            --filter 'gemm/*/ffn_gate_up' --repeat 1 --quick-roofline --no-db >>"$OUT/ncu.txt" 2>&1
        say "ncu exit $?"
    done
fi
if has checkv2 120; then
    for v in $GEMV_VERSIONS; do
        say "QCTS_CUDA_GEMV=$v check of the GEMM/GEMV suites"
        QCTS_CUDA_GEMV=$v timeout "$(cap 120)" pre/qcts check --backend cuda --vectors ../vectors/golden --filter '*gem*' \
            --db "$OUT/cuda-v$v.db" -j "$(nproc)" 2>&1 | grep -v '^ *$' | tail -n 25 >>"$log"
        say "check v$v exit ${PIPESTATUS[0]}"
    done
fi
if has benchv2 150; then
    for v in $GEMV_VERSIONS; do
        say "bench GEMV, QCTS_CUDA_GEMV=$v"
        bench "$OUT/cuda-v$v.db" bench/shapes/cuda-gemv.json 5 QCTS_CUDA_GEMV=$v
    done
fi
if has gemm 200; then
    say "bench GEMM M=256"
    bench "$OUT/cuda.db" bench/shapes/cuda-gemm.json 3
fi
say "done in $(( $(date +%s) - t0 )) s"
grep -E '^(passed:|test-cuda:)' "$log"
cat "$OUT/sweep.txt" 2>/dev/null
