#!/bin/sh
# tools/ggml-compare.sh — qcts's CPU kernels beside ggml's, side by side on
# this machine, over a --threads sweep (issue 23). Repeatable anywhere:
#
#   tools/ggml-compare.sh [--ggml-src DIR] [--qcts PATH] [--threads 1,2,4,8,16]
#                         [--reps 5] [--backends avx512,avx2] [--types q4_0,mxfp4]
#                         [--shapes SET] [--filter GLOB] [--min-time S] [--out DIR]
#                         [--schemes S,S (qcts; default: those of --types)] [--jobs N] [--no-repack]
#                         [--qact]
#
# --qact (issue 15 item 4): qcts's quantized-activation GEMVs
#    (bench/shapes/q8-act.json: int8_token and q8_0 activations, and the
#    f32-activation GEMV of the same shape in the same run) against ggml's
#    (which always quantizes the activations to its vec_dot_type, q8_0 for
#    q4_0/mxfp4/q8_0): the decode shapes only, types q4_0,mxfp4,q8_0, qcts
#    schemes gguf_q4_0,gguf_mxfp4,gguf_q8_0 (ggml's bytes) plus mxfp4,
#    int4_sym_g128 (beside ggml q4_0) and fp4_g128_f16 (beside ggml mxfp4).
#    The table adds each one's weight bytes/s as a % of the 1-core read
#    bandwidth the qcts probe measured in the same run, and the load.
#
# 1. Builds ggml (CPU backend only) into build/ggml with llama.cpp's
#    defaults: Release, GGML_NATIVE=ON, GGML_LLAMAFILE=ON (llamafile's
#    sgemm, which llama.cpp turns on), GGML_CPU_REPACK=ON, OpenMP threads.
#    Its sources: --ggml-src (default build/ggml-src; e.g. a checkout of
#    https://github.com/ggml-org/ggml at d99724f). Never vendored here.
# 2. Builds tools/ggml-compare/ggml_mulmat_bench.c against it: ggml's graph
#    API, weights rotated over 512 MiB (cold), wall time per graph compute,
#    median of --reps repetitions. Weights go to ggml's repack buffer type
#    (runtime Q4_0 -> Q4_0_8x8 etc.) as llama.cpp allocates them, unless
#    --no-repack.
# 3. Runs ggml, then `qcts bench --shapes cpu-scaling --cold --threads T
#    --repeat R` (bench/shapes/cpu-scaling.json: the shapes below) for the same schemes (gguf_q4_0 = ggml q4_0 byte for byte,
#    gguf_mxfp4 = ggml mxfp4; qcts's OCP mxfp4 too), then ggml again (the
#    machine's drift shows as the gap between the two ggml runs).
# 4. Prints the table: per shape, scheme, threads: weights/s of each, the
#    ratio qcts/ggml (best ggml run of the two), speed-ups 1 -> T, and
#    qcts's % of the 1-core and all-core read roofline (GEMV) or FMA peak
#    (GEMM) measured by the same qcts run. Everything lands in --out
#    (default build/ggml-compare): ggml-*.txt, qcts.json, qcts.txt, table.txt.
set -eu
cd "$(dirname "$0")/.."
GGML_SRC=build/ggml-src
QCTS=build/native/qcts
THREADS=1,2,4,8,16
REPS=5
BACKENDS=avx512,avx2
TYPES=q4_0,mxfp4
FILTER="gemm/*"
SHAPESET=cpu-scaling
MINTIME=0.1
SCHEMES=
OUT=build/ggml-compare
JOBS=$(nproc 2>/dev/null || echo 2)
REPACK=--repack
QACT=
while [ $# -gt 0 ]; do
  case "$1" in
    --ggml-src) GGML_SRC=$2; shift 2 ;;
    --qcts) QCTS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --reps) REPS=$2; shift 2 ;;
    --backends) BACKENDS=$2; shift 2 ;;
    --types) TYPES=$2; shift 2 ;;
    --filter) FILTER=$2; shift 2 ;;
    --shapes) SHAPESET=$2; shift 2 ;;
    --min-time) MINTIME=$2; shift 2 ;;
    --schemes) SCHEMES=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --jobs) JOBS=$2; shift 2 ;;
    --no-repack) REPACK=; shift ;;
    --qact) QACT=1; shift ;;
    *) echo "ggml-compare: unknown option $1" >&2; exit 2 ;;
  esac
done
if [ -n "$QACT" ]; then
  SHAPESET=q8-act
  [ "$TYPES" = q4_0,mxfp4 ] && TYPES=q4_0,mxfp4,q8_0
  [ -n "$SCHEMES" ] || SCHEMES=gguf_q4_0,gguf_mxfp4,gguf_q8_0,mxfp4,int4_sym_g128,fp4_g128_f16
  [ "$FILTER" = "gemm/*" ] && FILTER="gemm/*/*[082]"   # the GEMVs (_q8_0, _i8, _f32), not the M = 16 row
fi
[ -f "$GGML_SRC/CMakeLists.txt" ] || { echo "ggml-compare: no ggml sources in $GGML_SRC (--ggml-src DIR)" >&2; exit 2; }
[ -x "$QCTS" ] || { echo "ggml-compare: no qcts at $QCTS (make, or --qcts PATH)" >&2; exit 2; }
mkdir -p "$OUT" build/ggml

# ---- 1. ggml, llama.cpp's defaults -----------------------------------------------
GGML_FLAGS="-DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DGGML_LLAMAFILE=ON -DGGML_CPU_REPACK=ON -DGGML_OPENMP=ON \
 -DBUILD_SHARED_LIBS=OFF -DGGML_BUILD_TESTS=OFF -DGGML_BUILD_EXAMPLES=OFF"
if [ ! -f build/ggml/.built ] || [ "$(cat build/ggml/.built)" != "$GGML_FLAGS" ]; then
  gen=; [ -f build/ggml/CMakeCache.txt ] || command -v ninja >/dev/null 2>&1 && gen="-G Ninja"
  # shellcheck disable=SC2086
  cmake -S "$GGML_SRC" -B build/ggml $gen $GGML_FLAGS > "$OUT/ggml-cmake.log"
  cmake --build build/ggml -j "$JOBS" --target ggml ggml-cpu ggml-base >> "$OUT/ggml-cmake.log"
  echo "$GGML_FLAGS" > build/ggml/.built
fi
LIBS=$(find build/ggml -name 'libggml*.a' | sort -r | tr '\n' ' ')
${CC:-cc} -O2 -std=c11 -I"$GGML_SRC/include" tools/ggml-compare/ggml_mulmat_bench.c \
  -Wl,--start-group $LIBS -Wl,--end-group -lstdc++ -lm -lpthread -fopenmp -o build/ggml/ggml_mulmat_bench
rev="sources in $GGML_SRC (no .git: revision unknown)"
[ -e "$GGML_SRC/.git" ] && rev=$(git -C "$GGML_SRC" rev-parse --short HEAD)
echo "ggml: $rev, flags: $GGML_FLAGS $REPACK" \
  | tee "$OUT/ggml-build.txt"

# ---- 2-3. ggml, qcts, ggml ---------------------------------------------------------
SHAPES="4096 4096 1
1024 4096 1
14336 4096 1
4096 14336 1
4096 4096 256"
[ -n "$QACT" ] && SHAPES="4096 4096 1
14336 4096 1
4096 14336 1"
run_ggml() {
  : > "$1"
  for t in $(echo "$TYPES" | tr ',' ' '); do
    echo "$SHAPES" | while read -r n k m; do
      for th in $(echo "$THREADS" | tr ',' ' '); do
        rp=$REPACK; [ "$t" = q8_0 ] && rp=   # d99724f's repack of q8_0 crashes in this bench: plain q8_0 (vec_dot)
        build/ggml/ggml_mulmat_bench "$t" "$n" "$k" "$m" "$th" --cold --reps "$REPS" --min-time "$MINTIME" $rp >> "$1" 2>> "$OUT/ggml-stderr.log"
      done
    done
  done
}
echo "load before: $(uptime)" | tee "$OUT/load.txt"
run_ggml "$OUT/ggml-before.txt"
[ -n "$SCHEMES" ] || SCHEMES=$(echo "$TYPES" | sed 's/q4_0/gguf_q4_0/; s/mxfp4/gguf_mxfp4,mxfp4/')
"$QCTS" bench --shapes "$SHAPESET" --backend "$BACKENDS" --scheme "$SCHEMES" --filter "$FILTER" --cold \
  --threads "$THREADS" --repeat "$REPS" --min-time "$MINTIME" --no-db --json "$OUT/qcts.json" | tee "$OUT/qcts.txt"
run_ggml "$OUT/ggml-after.txt"
echo "load after: $(uptime)" | tee -a "$OUT/load.txt"

# ---- 4. the table -------------------------------------------------------------------
python3 - "$OUT" "$QACT" <<'PY' | tee "$OUT/table.txt"
import json, sys, collections
out = sys.argv[1]
g = {}
for f in ("ggml-before.txt", "ggml-after.txt"):
    for line in open(f"{out}/{f}"):
        p = line.split()
        if len(p) < 12 or p[0] != "ggml":
            continue
        key = (p[1], int(p[2]), int(p[3]), int(p[4]), int(p[5]))
        g.setdefault(key, []).append(float(p[6]) * 1e-6)
j = json.load(open(f"{out}/qcts.json"))
rf = j["roofline"]
if len(sys.argv) > 2 and sys.argv[2] == "1":   # --qact: per activation mode, ratios to ggml and to the 1-core read
    rd = rf.get("read_gbs_1core", 0)
    print(f"roofline (qcts probe, same run): read DRAM {rd:.1f} GB/s 1 core, {rf.get('read_gbs_all', 0):.1f} GB/s all")
    print(open(f"{out}/load.txt").read().rstrip())
    gt = {"gguf_q4_0": "q4_0", "gguf_mxfp4": "mxfp4", "gguf_q8_0": "q8_0", "mxfp4": "mxfp4",
          "int4_sym_g128": "q4_0", "fp4_g128_f16": "mxfp4"}
    gbpw = {"q4_0": 18 / 32, "mxfp4": 17 / 32, "q8_0": 34 / 32}
    print(f"{'backend':8} {'scheme':13} {'N x K':12} {'act':5} {'thr':>3} {'qcts Gw/s':>9} {'ggml':6} {'ggml Gw/s':>9} "
          f"{'qcts/ggml':>9} {'qcts%rd1':>8} {'ggml%rd1':>8}  variant")
    for m in sorted(j["measurements"], key=lambda m: (m["backend"], m["scheme"], m["N"], m["K"], m["shape"], m["threads"])):
        if m["status"] != "ok" or m["scheme"] not in gt or m["M"] != 1:
            continue
        act = "q8_0" if m["shape"].endswith("q8_0") else m["shape"].rsplit("_", 1)[-1]
        N, K, th = m["N"], m["K"], m["threads"]
        w = N * K
        gk = (gt[m["scheme"]], N, K, 1, th)
        gs = min(g[gk]) if gk in g else None
        qs = m["median_s"]
        gbps = (w * gbpw[gt[m["scheme"]]] / gs * 1e-9) if gs else float("nan")
        print(f"{m['backend']:8} {m['scheme']:13} {f'{N}x{K}':12} {act:5} {th:3d} {w / qs * 1e-9:9.2f} {gt[m['scheme']]:6} "
              f"{(w / gs * 1e-9) if gs else float('nan'):9.2f} {(gs / qs) if gs else float('nan'):9.2f} "
              f"{100 * m.get('roof_1core', float('nan')):8.1f} {100 * gbps / rd if rd else float('nan'):8.1f}  {m.get('variant', '')}")
    sys.exit(0)
print(f"roofline (qcts probe, same run): read DRAM {rf.get('read_gbs_1core', 0):.1f} GB/s 1 core, "
      f"{rf.get('read_gbs_all', 0):.1f} GB/s all {rf['cores']} cores")
gtype = {"gguf_q4_0": "q4_0", "gguf_mxfp4": "mxfp4", "mxfp4": "mxfp4"}
q = collections.defaultdict(dict)
for m in j["measurements"]:
    if m["status"] != "ok" or m["scheme"] not in gtype:
        continue
    q[(m["backend"], m["scheme"], m["N"], m["K"], m["M"])][m["threads"]] = m
print(f"{'backend':8} {'scheme':11} {'N x K, M':18} {'thr':>3} {'qcts Gw/s':>9} {'ggml Gw/s':>9} {'qcts/ggml':>9} "
      f"{'qcts 1->T':>9} {'ggml 1->T':>9} {'%roof1':>6} {'%roofN':>6}")
for (be, sc, N, K, M), byt in sorted(q.items()):
    for th, m in sorted(byt.items()):
        w = N * K
        qs = m["median_s"]
        gk = (gtype[sc], N, K, M, th)
        gs = min(g[gk]) if gk in g else None
        g1 = min(g[(gtype[sc], N, K, M, 1)]) if (gtype[sc], N, K, M, 1) in g else None
        q1 = byt[1]["median_s"] if 1 in byt else None
        print(f"{be:8} {sc:11} {f'{N}x{K}, {M}':18} {th:3d} {w / qs * 1e-9:9.2f} "
              f"{(w / gs * 1e-9) if gs else float('nan'):9.2f} {(gs / qs) if gs else float('nan'):9.2f} "
              f"{(q1 / qs) if q1 else float('nan'):9.2f} {(g1 / gs) if (g1 and gs) else float('nan'):9.2f} "
              f"{100 * m.get('roof_1core', float('nan')):6.1f} {100 * m.get('roof_allcore', float('nan')):6.1f}")
PY
