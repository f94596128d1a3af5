#!/bin/sh
# make test-cuda: build qcts with the CUDA backend (unless QCTS_PREBUILT
# names a folder holding a qcts built elsewhere, with the shared libraries
# it links under lib/), then check the whole golden set on the GPU.
# Passes when qcts check exits 0, at least one case passed and none is
# FAIL, ERROR or UNAVAILABLE (no GPU). SKIP (an op or format the backend
# does not have) and MISTRUSTED (a case of the golden set flagged
# degenerate: the same for every backend) are counted, not failures. The results go to $CUDA_DB (default: $OUT/cuda.db when
# OUT is set, else db/qcts.db), for `qcts db merge`.
#
#   make test-cuda                                  # on a machine with nvcc, the -dev packages and a GPU
#   make test-cuda QCTS_PREBUILT=.dev-cuda          # a qcts built elsewhere (device host: no -dev packages)
set -eu
vectors=${VECTORS:-vectors/golden}
[ -n "$vectors" ] || vectors=vectors/golden
if [ -n "${QCTS_PREBUILT:-}" ]; then
    qcts=$QCTS_PREBUILT/qcts
    [ -x "$qcts" ] || { echo "test-cuda: $qcts is missing (QCTS_PREBUILT=$QCTS_PREBUILT)" >&2; exit 2; }
    LD_LIBRARY_PATH=$QCTS_PREBUILT/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    export LD_LIBRARY_PATH
else
    ${MAKE:-make} --no-print-directory -j"$(nproc 2>/dev/null || echo 2)" build/native/qcts
    qcts=build/native/qcts
fi
db=${CUDA_DB:-${OUT:+$OUT/cuda.db}}
db=${db:-db/qcts.db}
if ! "$qcts" list backends | awk '$1 == "cuda"' | grep -q ' yes '; then
    "$qcts" list backends | awk '$1 == "cuda"' >&2
    echo "test-cuda: FAILED: the cuda backend is not available here (above: why)" >&2
    exit 1
fi
log=${TMPDIR:-/tmp}/qcts-test-cuda.$$
set +e
"$qcts" check --backend cuda --vectors "$vectors" --db "$db" -j "$(nproc 2>/dev/null || echo 2)" >"$log" 2>&1
rc=$?
set -e
grep -v '^ *$' "$log" | tail -n 40
summary=$(grep '^passed:' "$log" | tail -n 1)
rm -f "$log"
echo "test-cuda: qcts check exit status $rc; results in $db"
set -- $summary
# passed: P failed: F skipped: S mistrusted: M unavailable: U errors: E
if [ "$rc" = 0 ] && [ "$#" -ge 12 ] && [ "$2" -gt 0 ] && [ "$4" = 0 ] && [ "${10}" = 0 ] && [ "${12}" = 0 ]; then
    echo "test-cuda: PASSED ($2 passed, $6 skipped, $8 mistrusted)"
    exit 0
fi
echo "test-cuda: FAILED: $summary" >&2
exit 1
