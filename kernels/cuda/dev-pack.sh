#!/bin/sh
# Packs what a GPU machine without -dev packages needs into DEST: the make
# files (`make test-cuda` parses them; no sources: nothing is built there),
# kernels/cuda's scripts, the bench shape sets, and the qcts built here
# (x86-64) with the shared libraries it links (but glibc's and
# libstdc++/libgcc_s, which every such machine has) into DEST/pre, plus
# qcu-gemv-sweep when it was built beside it. The device tool carries at
# most 64 MiB with the tracked tree (~46 MB): keep DEST small (~13 MB with
# an sm_90-only build without libpq, see README.md).
# QCTS=path picks the binary (default build/native/qcts).
# There: cd DEST && make test-cuda QCTS_PREBUILT=pre VECTORS=<golden set>.
#   kernels/cuda/dev-pack.sh /work/main/.dev-cuda
set -eu
dest=${1:?usage: kernels/cuda/dev-pack.sh DEST}
qcts=${QCTS:-build/native/qcts}
[ -x "$qcts" ] || { echo "dev-pack: build $qcts first (make)" >&2; exit 2; }
mkdir -p "$dest"
find "$dest" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
{
    echo Makefile
    echo cli/version.h
    find . -name '*.mk' -not -path './build/*' -not -path './.git/*'
    echo kernels/cuda/test-cuda.sh
    echo kernels/cuda/dev-run.sh
    echo bench/shapes
} | tar -cf - -T - | tar -xf - -C "$dest"
mkdir -p "$dest/pre/lib"
cp "$qcts" "$dest/pre/qcts"
strip "$dest/pre/qcts" 2>/dev/null || true
sweep=$(dirname "$qcts")/qcu-gemv-sweep
if [ -x "$sweep" ]; then
    cp "$sweep" "$dest/pre/"
    strip "$dest/pre/qcu-gemv-sweep" 2>/dev/null || true
fi
ldd "$qcts" | awk '/=> \// { print $3 }' | grep -Ev '/(libc|libm|libstdc\+\+|libgcc_s|libpthread|libdl|librt|libresolv|libutil|libnsl|libanl)\.so' |
    while read -r lib; do cp -L "$lib" "$dest/pre/lib/"; done
du -sh "$dest"
ls "$dest/pre" "$dest/pre/lib"
