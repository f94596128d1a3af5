#!/bin/sh
# Builds and runs tests/ggml/qact_ggml.c against ggml's own sources.
#
# ggml comes from the sdist of llama-cpp-python on PyPI (it vendors llama.cpp
# with ggml), pinned by version and SHA-256 below, downloaded once into
# $GGML_CACHE (default build/ggml-cache) and checked before every use. Only
# two files of it are compiled, ggml/src/ggml-quants.c (the _ref quantizers)
# and ggml/src/ggml-cpu/quants.c (the generic scalar vec_dot), at -O2 without
# FMA contraction and without -march (x86-64 baseline: no F16C, no FMA): the
# scalar semantics. libqref is compiled from ref/src for the host too, so the
# check works whatever build flavour (asan, aarch64) ran make. Nothing of
# ggml is committed to qcts.
#   sh tests/ggml/build.sh OUT_DIR
# Exit status: the harness's (0: all equal / within bound; 1: a difference),
# 2 when the build fails, 3 when the download fails (says why).
set -eu
out=${1:?usage: build.sh OUT_DIR}
VERSION=0.3.36
SHA256=832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e
URL=https://files.pythonhosted.org/packages/ec/e9/e7de2b0463ea3ffbf0ede6cb21b58c1258a8f6521aae45ca773a59fe7cf3/llama_cpp_python-$VERSION.tar.gz
cache=${GGML_CACHE:-build/ggml-cache}
tarball=$cache/llama_cpp_python-$VERSION.tar.gz
src=$cache/llama_cpp_python-$VERSION-ggml
CC=${HOST_CC:-cc}

mkdir -p "$cache" "$out"
sha_ok() { [ -f "$tarball" ] && [ "$(sha256sum "$tarball" | cut -d' ' -f1)" = "$SHA256" ]; }
if ! sha_ok; then
    echo "  GET    $URL"
    rm -f "$tarball.part"
    if ! curl -fsSL --retry 2 -o "$tarball.part" "$URL"; then
        echo "SKIP: cannot download $URL (no network to PyPI and nothing cached in $cache)" >&2
        exit 3
    fi
    mv "$tarball.part" "$tarball"
    if ! sha_ok; then
        echo "ggml cross-check: $tarball has SHA-256 $(sha256sum "$tarball" | cut -d' ' -f1), expected $SHA256" >&2
        rm -f "$tarball"
        exit 2
    fi
fi
if [ ! -f "$src/.complete" ]; then
    rm -rf "$src"
    mkdir -p "$src"
    tar xzf "$tarball" -C "$src" --strip-components=4 "llama_cpp_python-$VERSION/vendor/llama.cpp/ggml/include" \
        "llama_cpp_python-$VERSION/vendor/llama.cpp/ggml/src" || exit 2
    touch "$src/.complete"
fi
G=$src/src
GFLAGS="-std=gnu11 -O2 -ffp-contract=off -fno-fast-math -DNDEBUG -w -I$src/include -I$G -I$G/ggml-cpu"
QFLAGS="-std=c11 -O1 -ffp-contract=off -fno-fast-math -Wall -Wextra -Werror -Iref/include"
bin=$out/qact_ggml
stale=0
[ -f "$bin" ] || stale=1
for f in tests/ggml/qact_ggml.c ref/src/*.c ref/src/*.h ref/include/qref/*.h; do
    [ "$stale" = 1 ] || [ ! "$f" -nt "$bin" ] || stale=1
done
if [ "$stale" = 1 ]; then
    echo "  CC     ggml $VERSION (ggml-quants.c, ggml-cpu/quants.c), ref/src, tests/ggml/qact_ggml.c"
    mkdir -p "$out/ref"
    $CC $GFLAGS -c "$G/ggml-quants.c" -o "$out/ggml-quants.o" || exit 2
    $CC $GFLAGS -c "$G/ggml-cpu/quants.c" -o "$out/ggml-cpu-quants.o" || exit 2
    (cd "$out/ref" && rm -f ./*.o) || exit 2
    for f in ref/src/*.c; do
        $CC $QFLAGS -c "$f" -o "$out/ref/$(basename "$f" .c).o" || exit 2
    done
    $CC $QFLAGS -o "$bin.tmp" tests/ggml/qact_ggml.c "$out/ggml-quants.o" "$out/ggml-cpu-quants.o" "$out"/ref/*.o \
        -lm || exit 2
    mv "$bin.tmp" "$bin"
fi
"$bin"
