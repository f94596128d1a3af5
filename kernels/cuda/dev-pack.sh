#!/bin/sh
# Packs this tree for a GPU machine that has no -dev packages: the sources
# (without build/, .git and vectors/golden) into DEST, and the qcts built
# here (x86-64) with the shared libraries it links (but glibc's and
# libstdc++/libgcc_s, which every such machine has) into DEST/pre.
# QCTS=path picks the binary (e.g. one built with QCTS_PG_OK= to leave
# libpq and its dependencies, ~17 MB, out of a size-limited transfer).
# There: cd DEST && make test-cuda QCTS_PREBUILT=pre VECTORS=<golden set>.
#   kernels/cuda/dev-pack.sh /work/main/.dev-cuda
set -eu
dest=${1:?usage: kernels/cuda/dev-pack.sh DEST}
qcts=${QCTS:-build/native/qcts}
[ -x "$qcts" ] || { echo "dev-pack: build $qcts first (make)" >&2; exit 2; }
mkdir -p "$dest"
find "$dest" -mindepth 1 -maxdepth 1 ! -name pre -exec rm -rf {} +
tar -cf - --exclude=./build --exclude=./.git --exclude=./vectors/golden . | tar -xf - -C "$dest"
mkdir -p "$dest/pre/lib"
cp "$qcts" "$dest/pre/qcts"
strip "$dest/pre/qcts" 2>/dev/null || true
ldd "$qcts" | awk '/=> \// { print $3 }' | grep -Ev '/(libc|libm|libstdc\+\+|libgcc_s|libpthread|libdl|librt|libresolv|libutil|libnsl|libanl)\.so' |
    while read -r lib; do cp -L "$lib" "$dest/pre/lib/"; done
du -sh "$dest"
ls "$dest/pre/lib"
